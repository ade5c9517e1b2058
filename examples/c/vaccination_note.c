/* A vaccination note (VAC-NOTE 2023.01) from JSON to IHE_XDM.ZIP with libsegur.
 * Usage: vaccination_note <input.json> <output IHE_XDM.ZIP>
 * The input is the form `segur cda example vaccination-note` prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segur.h"

static int fail(const char *step, segur_result r) {
  char detail[512];
  size_t n = 0;
  if (segur_last_error_detail(detail, sizeof detail - 1, &n) != SEGUR_RESULT_OK) n = 0;
  detail[n] = '\0';
  fprintf(stderr, "%s: %s (%s)\n", step, segur_result_name(r), detail);
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return fprintf(stderr, "usage: %s input.json IHE_XDM.ZIP\n", argv[0]), 2;
  FILE *in = fopen(argv[1], "rb");
  if (in == NULL) return perror(argv[1]), 2;
  static char json[1 << 16];
  size_t json_len = fread(json, 1, sizeof json, in);
  fclose(in);

  char *xml = NULL, *findings = NULL;
  segur_result r = segur_cda_build(json, json_len, &xml);
  if (r != SEGUR_RESULT_OK) return fail("build", r);
  r = segur_cda_validate((const uint8_t *)xml, strlen(xml), &findings);
  if (r != SEGUR_RESULT_OK || strcmp(findings, "[]") != 0) return fail("validate", r);
  segur_string_free(findings);

  /* README.TXT names the sender's organisation and contact (IHE ITI TF-1 §16): required. */
  static const char options[] =
      "{\"source_id\":\"1.2.250.1.999.1.1\",\"sender\":{\"organization\":\"Pharmacie du "
      "Centre (FINESS 750000001)\",\"contact\":\"pharmacie.centre@test.mssante.fr\"}}";
  uint8_t *zip = NULL;
  size_t zip_len = 0;
  r = segur_xdm_pack((const uint8_t *)xml, strlen(xml), NULL, 0, options, strlen(options), &zip,
                     &zip_len);
  segur_string_free(xml);
  if (r != SEGUR_RESULT_OK) return fail("pack", r);
  FILE *out = fopen(argv[2], "wb");
  int ok = out != NULL && fwrite(zip, 1, zip_len, out) == zip_len && fclose(out) == 0;
  segur_bytes_free(zip, zip_len);
  if (!ok) return perror(argv[2]), 1;
  printf("%s: %zu bytes\n", argv[2], zip_len);
  return 0;
}
