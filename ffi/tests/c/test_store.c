/* Exercises the document-store functions of segur.h from C on a store folder prepared by the
 * Rust side of the test (tests/c_store.rs: one local patient, two documents waiting for review):
 * the review list as JSON, attach and reject (each decided once), unknown entries, NULL
 * arguments, a store that cannot be created, and ownership (strings freed with
 * segur_string_free). The inbox synchronisation itself runs against Dovecot in
 * segur-store's tests; here only its argument checks.
 * Usage: test_store STORE_FOLDER PATIENT_ID */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define STR(s) (s), strlen(s)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: test_store STORE_FOLDER PATIENT_ID\n");
    return 2;
  }
  const char *folder = argv[1];
  int64_t patient = strtoll(argv[2], NULL, 10);

  segur_store *store = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_open(STR(folder), &store));
  CHECK(store != NULL);

  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_review(store, false, &json));
  CHECK_CONTAINS("\"reason\":\"not_xdm\"", json);
  CHECK_CONTAINS("\"reason\":\"malformed_xdm\"", json);
  CHECK_CONTAINS("\"state\":\"open\"", json);
  CHECK(strstr(json, "PAT-TROIS") == NULL);
  segur_string_free(json);

  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_attach(store, 1, patient, STR("marie")));
  CHECK_RESULT(SEGUR_RESULT_STORE_ALREADY_DECIDED, segur_store_reject(store, 1, STR("paul")));
  CHECK_RESULT(SEGUR_RESULT_STORE_UNKNOWN_PATIENT,
               segur_store_attach(store, 2, patient + 1000, STR("marie")));
  CHECK_RESULT(SEGUR_RESULT_STORE_INVALID_FIELD, segur_store_reject(store, 2, STR("ma\nrie")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_reject(store, 2, STR("marie")));
  CHECK_RESULT(SEGUR_RESULT_STORE_UNKNOWN_REVIEW, segur_store_reject(store, 99, STR("marie")));

  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_review(store, false, &json));
  CHECK_STR("[]", json);
  segur_string_free(json);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_review(store, true, &json));
  CHECK_CONTAINS("\"state\":\"attached\"", json);
  CHECK_CONTAINS("\"state\":\"rejected\"", json);
  char linked[64];
  snprintf(linked, sizeof linked, "\"patient\":%lld", (long long)patient);
  CHECK_CONTAINS(linked, json);
  segur_string_free(json);

  /* NULL arguments. */
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_review(NULL, false, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_review(store, false, NULL));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_inbox_sync(store, NULL, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_attach(store, 1, patient, NULL, 3));
  segur_store *none = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_open(STR(folder), NULL));
  /* A folder that cannot be created. */
  CHECK_RESULT(SEGUR_RESULT_STORE_STORAGE,
               segur_store_open(STR("/proc/segur-store-cannot-exist"), &none));
  CHECK(none == NULL);

  segur_store_free(store);
  segur_store_free(NULL);
  return check_summary("test_store");
}
