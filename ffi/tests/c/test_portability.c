/* Exercises the portability functions of segur.h from C on store folders prepared by the Rust
 * side of the test (tests/c_store.rs): SOURCE holds three patients with documents, one
 * document waiting for review and its vendor.json; EMPTY and FRESH do not exist yet.
 * - segur_store_export of SOURCE to EXPORT (the Rust side checks it with `unzip -t` and
 *   compares the reports printed here with those of the Rust API), one patient's export, and
 *   every refused option (typed code, detail naming the field, no file left behind);
 * - segur_store_import of EXPORT into FRESH (patients recreated, counts equal to the export's);
 * - hostile archives (HOSTILE_DIR/traversal.zip with a `../` entry, truncated.zip cut inside
 *   the first lot, cut-after-lot.zip cut just after the first lot's own end record) refused
 *   with SEGUR_RESULT_STORE_ARCHIVE_REFUSED, FRESH and EMPTY unchanged;
 * - NULL arguments, lengths that cut a text short or exceed the input limit, invalid UTF-8.
 * Prints `export-json: ...`, `patient-export-json: ...` and `import-json: ...` for the Rust side.
 * Usage: test_portability SOURCE EXPORT FRESH EMPTY HOSTILE_DIR PATIENT_INS UNKNOWN_INS */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

#define STR(s) (s), strlen(s)
#define VENDOR                                                                           \
  "{\"denomination\":\"Editeur\",\"siret\":\"73282932000074\",\"contact_name\":"   \
  "\"Support\",\"software\":\"lgo 1.0\",\"source_id\":\"1.2.250.1.999.1\","        \
  "\"local_id_root\":\"1.2.250.1.999.1.2\"}"

/* The value of the integer member `"name":N` of a flat JSON report, or -1. */
static long json_count(const char *json, const char *name) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\":", name);
  const char *at = json != NULL ? strstr(json, key) : NULL;
  return at != NULL ? strtol(at + strlen(key), NULL, 10) : -1;
}

/* The last error detail of this thread (static buffer). */
static const char *detail(void) {
  static char buf[512];
  size_t len = 0;
  if (segur_last_error_detail(buf, sizeof buf - 1, &len) != SEGUR_RESULT_OK) return "";
  buf[len] = '\0';
  return buf;
}

/* The review list of `store`, decided entries included: what an import that changes nothing
 * must leave as it was (the Rust side counts patients and documents too). */
static char *snapshot(segur_store *store) {
  char *review = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_review(store, true, &review));
  return review;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr,
            "usage: test_portability SOURCE EXPORT FRESH EMPTY HOSTILE_DIR PATIENT_INS "
            "UNKNOWN_INS\n");
    return 2;
  }
  const char *source = argv[1], *export_path = argv[2], *fresh = argv[3], *empty = argv[4];
  const char *hostile = argv[5], *patient_ins = argv[6], *unknown_ins = argv[7];
  char path[4096], options[512], traversal[4096], truncated[4096], cut[4096];
  snprintf(traversal, sizeof traversal, "%s/traversal.zip", hostile);
  snprintf(truncated, sizeof truncated, "%s/truncated.zip", hostile);
  snprintf(cut, sizeof cut, "%s/cut-after-lot.zip", hostile);

  segur_store *store = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_open(STR(source), &store));

  /* The whole store, vendor identity from vendor.json in the store folder. */
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_export(store, STR("{}"), STR(export_path), &json));
  printf("export-json: %s\n", json ? json : "(null)");
  long lots = json_count(json, "lots"), documents = json_count(json, "documents");
  CHECK(lots == 3);
  CHECK(documents == 5);
  CHECK(json_count(json, "review_documents_not_exported") == 1);
  CHECK(access(export_path, R_OK) == 0);
  snprintf(path, sizeof path, "%s.part", export_path);
  CHECK(access(path, F_OK) != 0);
  segur_string_free(json);

  /* One patient, by INS, from a date, vendor identity inline. */
  snprintf(path, sizeof path, "%s.patient.zip", export_path);
  snprintf(options, sizeof options,
           "{\"patient\":\"%s\",\"since\":\"2020-01-01\",\"vendor\":" VENDOR "}", patient_ins);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_export(store, STR(options), STR(path), &json));
  printf("patient-export-json: %s\n", json ? json : "(null)");
  CHECK(json_count(json, "lots") == 1);
  CHECK(strstr(json ? json : "", patient_ins) == NULL);
  segur_string_free(json);
  unlink(path);

  /* Refused options: typed code, the detail naming the field, nothing written, no output. */
  const char *out_refused = "refused-export.zip";
  struct {
    const char *options;
    segur_result code;
    const char *detail;
  } refused[] = {
      {"{\"patient\":\"279035121518988\"}", SEGUR_RESULT_STORE_EXPORT_OPTIONS, "patient"},
      {"{\"since\":\"2026-02-30\"}", SEGUR_RESULT_STORE_EXPORT_OPTIONS, "since"},
      {"{\"since\":\"1979-12-31\"}", SEGUR_RESULT_STORE_EXPORT_OPTIONS, "since"},
      {"{\"all\":true,\"patient\":\"279035121518989\"}", SEGUR_RESULT_STORE_EXPORT_OPTIONS,
       "exclude"},
      {"{\"vendor_file\":\"/nonexistent/segur/vendor.json\"}", SEGUR_RESULT_STORE_EXPORT_OPTIONS,
       "vendor identity"},
      {"{\"vendor\":" VENDOR ",\"vendor_file\":\"vendor.json\"}",
       SEGUR_RESULT_STORE_EXPORT_OPTIONS, "exclude"},
      {"{\"vendor\":{\"denomination\":\"x\"}}", SEGUR_RESULT_INVALID_JSON, "line 1"},
      {"{\"bogus\":1}", SEGUR_RESULT_INVALID_JSON, "line 1 column"},
      {"[]", SEGUR_RESULT_INVALID_JSON, "not a JSON object"},
  };
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    json = NULL;
    CHECK_RESULT(refused[i].code,
                 segur_store_export(store, STR(refused[i].options), STR(out_refused), &json));
    CHECK(json == NULL);
    CHECK_CONTAINS(refused[i].detail, detail());
    CHECK(access(out_refused, F_OK) != 0);
  }
  snprintf(options, sizeof options, "{\"patient\":\"%s\"}", unknown_ins);
  CHECK_RESULT(SEGUR_RESULT_STORE_UNKNOWN_PATIENT,
               segur_store_export(store, STR(options), STR(out_refused), &json));
  CHECK(strstr(detail(), unknown_ins) == NULL);
  CHECK(access(out_refused, F_OK) != 0);
  /* A folder that does not exist: the export cannot be written, nothing is left. */
  CHECK_RESULT(SEGUR_RESULT_STORE_EXPORT,
               segur_store_export(store, STR("{}"), STR("/nonexistent/segur/out.zip"), &json));
  CHECK_CONTAINS("I/O", detail());
  /* A path that is a folder: the export is written whole to FOLDER.part, the rename fails,
   * and the part file is removed (nothing that looks like an export is left). */
  CHECK_RESULT(SEGUR_RESULT_STORE_EXPORT,
               segur_store_export(store, STR("{}"), STR(hostile), &json));
  snprintf(path, sizeof path, "%s.part", hostile);
  CHECK(access(path, F_OK) != 0);

  /* NULL arguments, lengths, UTF-8. */
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_store_export(NULL, STR("{}"), STR(out_refused), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_store_export(store, NULL, 2, STR(out_refused), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_store_export(store, STR("{}"), NULL, 5, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_store_export(store, STR("{}"), STR(out_refused), NULL));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON,
               segur_store_export(store, "{\"since\":\"2026-01-01\"}", 12, STR(out_refused),
                                  &json));
  CHECK_RESULT(SEGUR_RESULT_INPUT_TOO_LARGE,
               segur_store_export(store, "{}", (size_t)1 << 40, STR(out_refused), &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_store_export(store, STR("{}"), "", 0, &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_UTF8,
               segur_store_export(store, STR("{}"), STR("out\xff.zip"), &json));
  CHECK(access(out_refused, F_OK) != 0);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_import(NULL, STR(export_path), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_import(store, NULL, 4, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_store_import(store, STR(export_path), NULL));
  CHECK_RESULT(SEGUR_RESULT_INPUT_TOO_LARGE,
               segur_store_import(store, export_path, (size_t)1 << 40, &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_UTF8, segur_store_import(store, STR("\xc3("), &json));
  CHECK_RESULT(SEGUR_RESULT_STORE_ARCHIVE_UNREADABLE,
               segur_store_import(store, STR("/nonexistent/segur/export.zip"), &json));
  /* A length that cuts the path short names another file. */
  CHECK_RESULT(SEGUR_RESULT_STORE_ARCHIVE_UNREADABLE,
               segur_store_import(store, export_path, strlen(export_path) - 1, &json));
  segur_store_free(store);

  /* The export into a fresh store: its patients recreated, every document placed. */
  segur_store *target = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_open(STR(fresh), &target));
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_import(target, STR(export_path), &json));
  printf("import-json: %s\n", json ? json : "(null)");
  CHECK_CONTAINS("\"format\":\"export\"", json);
  CHECK_CONTAINS("\"recreated_patients\":true", json);
  CHECK(json_count(json, "lots") == lots);
  CHECK(json_count(json, "patients_created") == lots);
  CHECK(json_count(json, "documents_linked") + json_count(json, "documents_to_review") ==
        documents);
  CHECK(json_count(json, "documents_to_review") == 0);
  segur_string_free(json);

  /* Hostile archives: refused with their code, the store unchanged. */
  char *before = snapshot(target);
  const char *archives[] = {traversal, truncated, cut};
  for (size_t i = 0; i < 3; i++) {
    json = NULL;
    CHECK_RESULT(SEGUR_RESULT_STORE_ARCHIVE_REFUSED,
                 segur_store_import(target, STR(archives[i]), &json));
    CHECK(json == NULL);
    CHECK_CONTAINS(i == 0 ? "path traversal" : "the store is unchanged", detail());
  }
  char *after = snapshot(target);
  CHECK_STR(before, after);
  segur_string_free(before);
  segur_string_free(after);
  segur_store_free(target);

  segur_store *nothing = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_open(STR(empty), &nothing));
  for (size_t i = 0; i < 3; i++) {
    CHECK_RESULT(SEGUR_RESULT_STORE_ARCHIVE_REFUSED,
                 segur_store_import(nothing, STR(archives[i]), &json));
  }
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_review(nothing, true, &json));
  CHECK_STR("[]", json);
  segur_string_free(json);
  segur_store_free(nothing);

  return check_summary("test_portability");
}
