/* The DMP entry points of libsegur against the DMP simulator of segur-dmp (started by
 * ffi/tests/c_dmp.rs, which passes its dmp.toml): status, authorisation, feed of a VAC-NOTE
 * built with the CDA entry points, find, get back byte for byte, mask, unmask, archive, delete,
 * the DMP's refusals with their codes, NULL parameters and a buffer too small, and a
 * replacement (RPLC).
 * Usage: test_dmp <dmp.toml> <patient matricule> <matricule of a patient whose DMP is closed> */
#include "check.h"

static char detail_text[1024];

/* The detail of the last error on this thread, NUL-terminated (empty when none). */
static const char *detail(void) {
  size_t n = 0;
  if (segur_last_error_detail(detail_text, sizeof detail_text - 1, &n) != SEGUR_RESULT_OK) n = 0;
  detail_text[n] = '\0';
  return detail_text;
}

/* The unsigned number following `"key":` in `json`, or 0. */
static size_t json_number(const char *json, const char *key) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":", key);
  const char *p = strstr(json, pattern);
  return p == NULL ? 0 : (size_t)strtoul(p + strlen(pattern), NULL, 10);
}

/* Copies the string value following `"key":"` in `json` into `out` (empty when absent). */
static void json_string(const char *json, const char *key, char *out, size_t out_size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *p = strstr(json, pattern);
  out[0] = '\0';
  if (p == NULL) return;
  p += strlen(pattern);
  size_t n = strcspn(p, "\"");
  if (n >= out_size) n = out_size - 1;
  memcpy(out, p, n);
  out[n] = '\0';
}

/* Replaces every `from` in `s` by `to` of the same length. */
static int replace_all(char *s, const char *from, const char *to) {
  int count = 0;
  size_t n = strlen(from);
  for (char *p = strstr(s, from); p != NULL; p = strstr(p + n, from)) {
    memcpy(p, to, n);
    count++;
  }
  return count;
}

/* A copy of `s` (freed by the caller) with its first `from` replaced by `to`; NULL when absent. */
static char *replace_once(const char *s, const char *from, const char *to) {
  const char *p = strstr(s, from);
  if (p == NULL) return NULL;
  size_t head = (size_t)(p - s), from_len = strlen(from), to_len = strlen(to);
  char *out = malloc(strlen(s) - from_len + to_len + 1);
  if (out == NULL) return NULL;
  memcpy(out, s, head);
  memcpy(out + head, to, to_len);
  strcpy(out + head + to_len, p + from_len);
  return out;
}

/* A VAC-NOTE of the builder's example input with its header `id` replaced by `header`. */
static char *vac_note_with(const char *header) {
  char *input = NULL, *xml = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_example("vaccination-note", 16, &input));
  if (input == NULL) return NULL;
  char *changed = replace_once(input, "\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.1\"}", header);
  segur_string_free(input);
  CHECK(changed != NULL);
  if (changed == NULL) return NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_build(changed, strlen(changed), &xml));
  free(changed);
  return xml;
}

/* TD2.1 replacement: a first version, then a second one of the same setId replacing it (RPLC);
 * the first is deprecated. */
static void test_replacement(const segur_dmp_client *c, const char *ins) {
  /* The example's setId is 1.2.250.1.999.1.1.2024.2 and its version 1. */
  static const char v1[] = "\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.11\"}";
  static const char v2[] = "\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.12\"},"
                           "\"replaces\":{\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.11\"},"
                           "\"setId\":{\"root\":\"1.2.250.1.999.1.1.2024.2\"},\"version\":1}";
  static const char v3[] = "\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.13\"},"
                           "\"replaces\":{\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.11\"},"
                           "\"setId\":{\"root\":\"1.2.250.1.999.1.1.2024.2\"},\"version\":1}";
  static const char first[] = "1.2.250.1.999.1.1.2024.11";
  char *xml1 = vac_note_with(v1), *xml2 = vac_note_with(v2), *xml3 = vac_note_with(v3);
  char *json = NULL;
  if (xml1 == NULL || xml2 == NULL || xml3 == NULL) {
    segur_string_free(xml1);
    segur_string_free(xml2);
    segur_string_free(xml3);
    return;
  }
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_feed(c, (const uint8_t *)xml1, strlen(xml1), NULL, 0, &json));
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_feed(c, (const uint8_t *)xml2, strlen(xml2),
                                                      first, strlen(first), &json));
  CHECK_CONTAINS("\"replaces\":\"1.2.250.1.999.1.1.2024.11\"", json);
  CHECK_CONTAINS("\"unique_id\":\"1.2.250.1.999.1.1.2024.12\"", json);
  segur_string_free(json);
  json = NULL;
  /* The replaced version can be replaced no more. */
  CHECK_RESULT(SEGUR_RESULT_DMP_DEPRECATED_DOCUMENT,
               segur_dmp_client_feed(c, (const uint8_t *)xml3, strlen(xml3), first, strlen(first),
                                     &json));
  CHECK(json == NULL);
  segur_string_free(xml1);
  segur_string_free(xml2);
  segur_string_free(xml3);
  char *approved = NULL, *deprecated = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_find(c, ins, strlen(ins), NULL, 0,
                                                      SEGUR_DMP_STATUS_FILTER_APPROVED, &approved));
  CHECK_CONTAINS("1.2.250.1.999.1.1.2024.12", approved);
  CHECK(approved != NULL && strstr(approved, first) == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_find(c, ins, strlen(ins), NULL, 0,
                                     SEGUR_DMP_STATUS_FILTER_DEPRECATED, &deprecated));
  CHECK_CONTAINS(first, deprecated);
  segur_string_free(approved);
  segur_string_free(deprecated);
}

/* TD3.1 of the patient, returned as a string the caller frees (NULL on error). */
static char *find(const segur_dmp_client *c, const char *ins, const char *type_code,
                  segur_dmp_status_filter status) {
  char *json = NULL;
  segur_result r = segur_dmp_client_find(c, ins, strlen(ins), type_code,
                                         type_code ? strlen(type_code) : 0, status, &json);
  CHECK_RESULT(SEGUR_RESULT_OK, r);
  return json;
}

static void test_web_url(const char *ins) {
  static const char base[] = "https://dmp.example";
  static const char page[] = "DossierPatient";
  char *url = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_web_url(base, strlen(base), page, strlen(page), ins,
                                                  strlen(ins), NULL, 0, &url));
  char expected[256];
  snprintf(expected, sizeof expected, "https://dmp.example/AccesDirect/DossierPatient/%s", ins);
  CHECK_STR(expected, url);
  segur_string_free(url);
  url = NULL;
  /* A page that needs a patient, an unknown page, a base that is not https: refused. */
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_web_url(base, strlen(base), page, strlen(page), NULL, 0, NULL, 0, &url));
  CHECK_CONTAINS("needs a patient INS", detail());
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_web_url(base, strlen(base), "Accueil", 7, NULL, 0, NULL, 0, &url));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_web_url("http://dmp.example", 18, "TableauDeBord", 13, NULL, 0, NULL, 0,
                                 &url));
  CHECK(url == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_web_url(base, strlen(base), "TableauDeBord", 13, NULL,
                                                  0, NULL, 0, &url));
  CHECK_STR("https://dmp.example/AccesDirect/TableauDeBord", url);
  segur_string_free(url);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_web_url(base, strlen(base), page, strlen(page), ins, strlen(ins), NULL,
                                 0, NULL));
}

/* A VAC-NOTE of the builder's example input (the qualified test identity of `ins`). */
static char *vac_note(void) {
  char *input = NULL, *xml = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_example("vaccination-note", 16, &input));
  if (input == NULL) return NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_build(input, strlen(input), &xml));
  segur_string_free(input);
  return xml;
}

/* From MSSanté to the DMP: a VAC-NOTE received in an IHE_XDM (packed here as a sender would),
 * its documents listed, the CDA fed with the sender's metadata, found; fed again, the DMP's
 * refusal is that document's `failed` entry; a package that is not a zip, an unknown index. */
static void test_xdm_feed(const segur_dmp_client *c, const char *ins) {
  static const char opts[] =
      "{\"source_id\":\"1.2.250.1.999.1.1\",\"sender\":{\"organization\":\"Pharmacie de test\","
      "\"contact\":\"pharma@pharmacie-test.mssante.fr\"}}";
  char *xml = vac_note_with("\"id\":{\"root\":\"1.2.250.1.999.1.1.2024.77\"}");
  if (xml == NULL) return;
  uint8_t *zip = NULL;
  size_t zip_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_pack((const uint8_t *)xml, strlen(xml), NULL, 0, opts,
                                               strlen(opts), &zip, &zip_len));
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_xdm_documents(NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_xdm_documents(zip, zip_len, NULL));
  CHECK_RESULT(SEGUR_RESULT_XDM_ZIP, segur_dmp_xdm_documents((const uint8_t *)"PK", 2, &json));
  CHECK(json == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_xdm_documents(zip, zip_len, &json));
  CHECK_CONTAINS("\"kind\":\"cda\"", json);
  CHECK_CONTAINS("\"feedable\":true", json);
  CHECK_CONTAINS("1.2.250.1.999.1.1.2024.77", json);
  CHECK(json != NULL && strstr(json, ins) == NULL); /* no patient data */
  segur_string_free(json);
  json = NULL;

  size_t unknown[1] = {7};
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_feed_xdm(NULL, zip, zip_len, NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_feed_xdm(c, zip, zip_len, NULL, 1, &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_client_feed_xdm(c, zip, zip_len, unknown, 1, &json));
  CHECK(json == NULL);
  size_t first[1] = {0};
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_feed_xdm(c, zip, zip_len, first, 1, &json));
  CHECK_CONTAINS("\"outcome\":\"fed\"", json);
  segur_string_free(json);
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_CONTAINS("1.2.250.1.999.1.1.2024.77", json);
  segur_string_free(json);
  json = NULL;
  /* Every CDA again: the DMP refuses the duplicate, reported in the document's entry. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_feed_xdm(c, zip, zip_len, NULL, 0, &json));
  CHECK_CONTAINS("\"outcome\":\"failed\"", json);
  segur_string_free(json);
  segur_bytes_free(zip, zip_len);
  segur_string_free(xml);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s dmp.toml PATIENT CLOSED_PATIENT STORE_DIR\n", argv[0]);
    return 2;
  }
  const char *config = argv[1], *ins = argv[2], *closed = argv[3], *store_dir = argv[4];
  segur_dmp_client *c = NULL;
  char *json = NULL;

  /* The configuration. */
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_new(NULL, 0, 0, &c));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_new(config, strlen(config), 0, NULL));
  CHECK_RESULT(SEGUR_RESULT_DMP_CONFIG, segur_dmp_client_new("/nonexistent/dmp.toml", 21, 0, &c));
  CHECK(c == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_new(config, strlen(config), 20000, &c));
  if (c == NULL) return check_summary("test_dmp");

  /* TD0.2: the test patient's DMP is active, the closed one answers closed (not an error). */
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_status(NULL, ins, strlen(ins), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_status(c, NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_status(c, ins, strlen(ins), NULL));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_status(c, ins, strlen(ins), &json));
  CHECK_CONTAINS("\"state\":\"active\"", json);
  CHECK_CONTAINS("\"authorization\":\"VALIDE\"", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_status(c, closed, strlen(closed), &json));
  CHECK_CONTAINS("\"state\":\"closed\"", json);
  segur_string_free(json);
  json = NULL;
  /* A matricule whose key does not match: refused before any exchange, without the digits. */
  char wrong[16];
  snprintf(wrong, sizeof wrong, "%s", ins);
  wrong[14] = wrong[14] == '0' ? '1' : '0';
  CHECK_RESULT(SEGUR_RESULT_INS_KEY_MISMATCH, segur_dmp_client_status(c, wrong, 15, &json));
  CHECK(strstr(detail(), wrong) == NULL);
  CHECK(json == NULL);

  /* TD0.3. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_set_authorization(c, ins, strlen(ins),
                                                                    SEGUR_DMP_AUTHORIZATION_ADD));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_client_set_authorization(c, ins, strlen(ins), 9));

  /* TD2.1: a VAC-NOTE built here; the same uniqueId again is a duplicate. */
  char *xml = vac_note();
  if (xml == NULL) return check_summary("test_dmp");
  size_t xml_len = strlen(xml);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_dmp_client_feed(c, NULL, 0, NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_feed(c, (const uint8_t *)xml, xml_len, NULL, 0, &json));
  CHECK_CONTAINS("\"outcome\":\"fed\"", json);
  char unique_id[128];
  json_string(json ? json : "", "unique_id", unique_id, sizeof unique_id);
  CHECK(unique_id[0] != '\0');
  segur_string_free(json);
  json = NULL;
  segur_result r = segur_dmp_client_feed(c, (const uint8_t *)xml, xml_len, NULL, 0, &json);
  CHECK_RESULT(SEGUR_RESULT_DMP_DUPLICATE_DOCUMENT, r);
  CHECK(segur_result_is_dmp_refusal(r));
  CHECK_CONTAINS("XDSDuplicateUniqueIdInRegistry", detail());
  CHECK(json == NULL);
  /* Not a CDA; a CDA without INS (its patient id under a non-INS authority). */
  CHECK_RESULT(SEGUR_RESULT_CDA_XML,
               segur_dmp_client_feed(c, (const uint8_t *)"not xml", 7, NULL, 0, &json));
  char *no_ins = malloc(xml_len + 1);
  memcpy(no_ins, xml, xml_len + 1);
  CHECK(replace_all(no_ins, "root=\"1.2.250.1.213.1.4.10\"", "root=\"1.2.250.1.213.1.4.99\"") > 0);
  CHECK_RESULT(SEGUR_RESULT_DMP_PATIENT_NOT_QUALIFIED,
               segur_dmp_client_feed(c, (const uint8_t *)no_ins, xml_len, NULL, 0, &json));
  CHECK(!segur_result_is_dmp_refusal(SEGUR_RESULT_DMP_PATIENT_NOT_QUALIFIED));
  free(no_ins);

  /* TD3.1: the entry, filtered by its type code and status. */
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_client_find(c, ins, strlen(ins), NULL, 0, 0, &json));
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_CONTAINS(unique_id, json);
  size_t size = json ? json_number(json, "size") : 0;
  CHECK(size == xml_len);
  char type_code[32];
  json_string(json ? json : "", "type_code", type_code, sizeof type_code);
  CHECK(type_code[0] != '\0');
  segur_string_free(json);
  json = find(c, ins, type_code, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_CONTAINS(unique_id, json);
  segur_string_free(json);
  json = find(c, ins, "00000-0", SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_STR("[]", json);
  segur_string_free(json);
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_DEPRECATED);
  CHECK_STR("[]", json);
  segur_string_free(json);
  json = NULL;

  /* TD3.2: too small a buffer gives the size needed; then the very bytes that were fed. */
  uint8_t small[1];
  size_t needed = 0;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_get(c, ins, strlen(ins), unique_id, strlen(unique_id), NULL, 0,
                                    &needed));
  CHECK_RESULT(SEGUR_RESULT_INSUFFICIENT_SIZE,
               segur_dmp_client_get(c, ins, strlen(ins), unique_id, strlen(unique_id), small,
                                    sizeof small, &needed));
  CHECK(needed == xml_len);
  uint8_t *doc = malloc(size + 1);
  size_t doc_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_get(c, ins, strlen(ins), unique_id,
                                                     strlen(unique_id), doc, size + 1, &doc_len));
  CHECK(doc_len == xml_len && memcmp(doc, xml, xml_len) == 0);
  free(doc);
  CHECK_RESULT(SEGUR_RESULT_DMP_UNKNOWN_DOCUMENT,
               segur_dmp_client_get(c, ins, strlen(ins), "1.2.3.4", 7, small, sizeof small,
                                    &needed));

  /* TD3.2 through the store: retrieved and kept by the first call (which finds the buffer too
     small), answered from the store by the second, same document, same bytes. */
  segur_store *store = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_store_open(store_dir, strlen(store_dir), &store));
  int64_t kept_id = 0, again_id = 0;
  bool from_store = true;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_get_kept(c, NULL, ins, strlen(ins), unique_id, strlen(unique_id),
                                         "marie", 5, small, sizeof small, &needed, &kept_id,
                                         &from_store));
  CHECK_RESULT(SEGUR_RESULT_INSUFFICIENT_SIZE,
               segur_dmp_client_get_kept(c, store, ins, strlen(ins), unique_id,
                                         strlen(unique_id), "marie", 5, small, sizeof small,
                                         &needed, &kept_id, &from_store));
  CHECK(needed == xml_len && kept_id > 0 && !from_store);
  uint8_t *kept = malloc(size + 1);
  size_t kept_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_get_kept(c, store, ins, strlen(ins), unique_id,
                                         strlen(unique_id), "marie", 5, kept, size + 1,
                                         &kept_len, &again_id, &from_store));
  CHECK(from_store && again_id == kept_id);
  CHECK(kept_len == xml_len && memcmp(kept, xml, xml_len) == 0);
  free(kept);
  /* The kept document is filed to PATIENT's local identity: asked for with another INS, it is
     refused before any exchange, without the digits in the detail. */
  CHECK_RESULT(SEGUR_RESULT_STORE_RETRIEVED_OTHER_PATIENT,
               segur_dmp_client_get_kept(c, store, closed, strlen(closed), unique_id,
                                         strlen(unique_id), "marie", 5, small, sizeof small,
                                         &needed, &kept_id, &from_store));
  CHECK(strstr(detail(), closed) == NULL && strstr(detail(), ins) == NULL);
  CHECK_RESULT(SEGUR_RESULT_DMP_UNKNOWN_DOCUMENT,
               segur_dmp_client_get_kept(c, store, ins, strlen(ins), "1.2.3.4", 7, "marie", 5,
                                         small, sizeof small, &needed, &kept_id, &from_store));
  segur_store_free(store);

  /* TD3.3: mask and unmask (confidentiality), archive, delete. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_update(c, ins, strlen(ins), unique_id,
                                                        strlen(unique_id), SEGUR_DMP_CHANGE_MASK));
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_CONTAINS("MASQUE_PS", json);
  segur_string_free(json);
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_update(c, ins, strlen(ins), unique_id, strlen(unique_id),
                                       SEGUR_DMP_CHANGE_UNMASK));
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK_CONTAINS(unique_id, json);
  CHECK(json != NULL && strstr(json, "MASQUE_PS") == NULL);
  segur_string_free(json);
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_update(c, ins, strlen(ins), unique_id, strlen(unique_id),
                                       SEGUR_DMP_CHANGE_ARCHIVE));
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_APPROVED);
  CHECK(json != NULL && strstr(json, unique_id) == NULL);
  segur_string_free(json);
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_ALL);
  CHECK_CONTAINS("\"status\":\"archived\"", json);
  segur_string_free(json);
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_client_update(c, ins, strlen(ins), unique_id, strlen(unique_id), 0));
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_update(c, ins, strlen(ins), unique_id, strlen(unique_id),
                                       SEGUR_DMP_CHANGE_DELETE));
  /* Only the versions the updates deprecated remain listed. */
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_ALL);
  CHECK(json != NULL && strstr(json, "\"status\":\"archived\"") == NULL &&
        strstr(json, "\"status\":\"approved\"") == NULL);
  segur_string_free(json);
  json = NULL;
  /* A deleted document is final: archiving it is refused, the DMP's code in the detail. */
  r = segur_dmp_client_update(c, ins, strlen(ins), unique_id, strlen(unique_id),
                              SEGUR_DMP_CHANGE_ARCHIVE);
  CHECK_RESULT(SEGUR_RESULT_DMP_REFUSED, r);
  CHECK(segur_result_is_dmp_refusal(r));
  CHECK_CONTAINS("XDSMetadataUpdateError", detail());
  segur_string_free(xml);

  /* Refusals: a closed DMP; the authorisation removed, then declared again. */
  r = segur_dmp_client_find(c, closed, strlen(closed), NULL, 0, SEGUR_DMP_STATUS_FILTER_ALL, &json);
  CHECK_RESULT(SEGUR_RESULT_DMP_CLOSED, r);
  CHECK(segur_result_is_dmp_refusal(r));
  CHECK(strstr(detail(), closed) == NULL);
  CHECK(json == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_set_authorization(
                                    c, ins, strlen(ins), SEGUR_DMP_AUTHORIZATION_REMOVE));
  r = segur_dmp_client_find(c, ins, strlen(ins), NULL, 0, SEGUR_DMP_STATUS_FILTER_ALL, &json);
  CHECK_RESULT(SEGUR_RESULT_DMP_NO_AUTHORISATION, r);
  CHECK_CONTAINS("DMPAccessDenied", detail());
  CHECK(json == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_set_authorization(c, ins, strlen(ins),
                                                                    SEGUR_DMP_AUTHORIZATION_ADD));
  json = find(c, ins, NULL, SEGUR_DMP_STATUS_FILTER_ALL);
  CHECK(json != NULL);
  segur_string_free(json);
  CHECK(!segur_result_is_dmp_refusal(SEGUR_RESULT_DMP_TIMEOUT));

  test_replacement(c, ins);
  test_xdm_feed(c, ins);
  test_web_url(ins);
  segur_dmp_client_free(c);
  segur_dmp_client_free(NULL);
  return check_summary("test_dmp");
}
