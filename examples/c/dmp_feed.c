/* A vaccination note (VAC-NOTE) from JSON to the DMP with libsegur: built, fed (TD2.1), then
 * found again (TD3.1) among the patient's documents.
 * Usage: dmp_feed <dmp.toml> <input.json>
 * dmp.toml names the DMP endpoint and the structure's certificates; `segur dmp simulate
 * --listen 127.0.0.1:0 --write-config DIR` writes one for the local DMP simulator. The input is
 * the form `segur cda example vaccination-note` prints; its patient must be a qualified
 * identity (the only one whose INS may be sent). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segur.h"

static int fail(const char *step, segur_result r) {
  char detail[512];
  size_t n = 0;
  if (segur_last_error_detail(detail, sizeof detail - 1, &n) != SEGUR_RESULT_OK) n = 0;
  detail[n] = '\0';
  fprintf(stderr, "%s: %s (%s)%s\n", step, segur_result_name(r), detail,
          segur_result_is_dmp_refusal(r) ? ", refused by the DMP" : "");
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: %s dmp.toml input.json\n", argv[0]), 2;
  FILE *in = fopen(argv[2], "rb");
  if (in == NULL) return perror(argv[2]), 2;
  static char json[1 << 16];
  size_t json_len = fread(json, 1, sizeof json, in);
  fclose(in);

  char *xml = NULL;
  segur_result r = segur_cda_build(json, json_len, &xml);
  if (r != SEGUR_RESULT_OK) return fail("build", r);

  segur_dmp_client *dmp = NULL;
  r = segur_dmp_client_new(argv[1], strlen(argv[1]), 30000, &dmp);
  if (r != SEGUR_RESULT_OK) return segur_string_free(xml), fail("dmp.toml", r);

  char *fed = NULL;
  r = segur_dmp_client_feed(dmp, (const uint8_t *)xml, strlen(xml), NULL, 0, &fed);
  segur_string_free(xml);
  if (r != SEGUR_RESULT_OK) return segur_dmp_client_free(dmp), fail("feed", r);
  printf("%s\n", fed);
  segur_string_free(fed);

  /* The matricule of the input's patient names the DMP to search. */
  char ins[16] = "";
  const char *m = strstr(json, "\"matricule\"");
  if (m != NULL) m = strchr(m + 11, ':');
  if (m != NULL) m = strchr(m, '"');
  if (m != NULL) snprintf(ins, sizeof ins, "%.15s", m + 1);
  char *entries = NULL;
  r = segur_dmp_client_find(dmp, ins, strlen(ins), NULL, 0, SEGUR_DMP_STATUS_FILTER_APPROVED,
                            &entries);
  segur_dmp_client_free(dmp);
  if (r != SEGUR_RESULT_OK) return fail("find", r);
  printf("%s\n", entries);
  segur_string_free(entries);
  return 0;
}
