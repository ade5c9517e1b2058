/* Exercises the CDA, IHE_XDM and MSSante functions of segur.h from C: a vaccination note from
 * JSON to an MSSante message and back, every error family, NULL arguments, ownership (each
 * returned string freed with segur_string_free, each byte buffer with segur_bytes_free, borrowed
 * package bytes never freed). Usage: test_docs */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char OPTS[] =
    "{\"source_id\":\"1.2.250.1.999.1.1\",\"sender\":{\"organization\":\"Pharmacie du Centre "
    "(FINESS 750000001)\",\"contact\":\"pharmacie.centre@test.mssante.fr\"}}";
static const uint8_t PDF[] = "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

static void test_cda(char **xml_out) {
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_example(S("vaccination-note"), &json));
  CHECK_CONTAINS("\"type\":\"vaccination-note\"", json);

  char *xml = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_build(json, strlen(json), &xml));
  CHECK_CONTAINS("<ClinicalDocument", xml);
  CHECK_CONTAINS("87273-9", xml);
  segur_string_free(json);

  char *out = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_read((const uint8_t *)xml, strlen(xml), &out));
  CHECK_CONTAINS("\"code\":\"87273-9\"", out);
  CHECK_CONTAINS("\"kind\":\"structured\"", out);
  segur_string_free(out);

  out = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_cda_validate((const uint8_t *)xml, strlen(xml), &out));
  CHECK_STR("[]", out);
  segur_string_free(out);

  /* Errors: outputs untouched, details without patient data. */
  out = NULL;
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_cda_example(S("nope"), &out));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_cda_build(S("{\"type\":\"nope\"}"), &out));
  CHECK(out == NULL);
  CHECK_RESULT(SEGUR_RESULT_CDA_NOT_CDA, segur_cda_read((const uint8_t *)"<html/>", 7, &out));
  CHECK_RESULT(SEGUR_RESULT_CDA_XML,
               segur_cda_read((const uint8_t *)"<!DOCTYPE x><x/>", 16, &out));
  /* A root outside the HL7 v3 namespace is refused before any content rule. */
  CHECK_RESULT(SEGUR_RESULT_CDA_NAMESPACE,
               segur_cda_validate((const uint8_t *)S("<ClinicalDocument/>"), &out));
  CHECK(out == NULL);
  CHECK_RESULT(SEGUR_RESULT_CDA_MISSING,
               segur_cda_validate((const uint8_t *)S("<ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>"),
                                  &out));
  CHECK(out == NULL);
  char detail[512];
  size_t n = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail, &n));
  CHECK(n > 0);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cda_build(NULL, 0, &out));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cda_read((const uint8_t *)"x", 1, NULL));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cda_validate(NULL, 0, &out));
  *xml_out = xml;
}

static void test_xdm(const char *xml, uint8_t **zip_out, size_t *zip_len_out) {
  uint8_t *zip = NULL;
  size_t zip_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_pack((const uint8_t *)xml, strlen(xml), PDF,
                                               sizeof PDF - 1, S(OPTS), &zip, &zip_len));
  CHECK(zip_len > 100 && zip[0] == 'P' && zip[1] == 'K');

  segur_xdm_package *pkg = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_unpack(zip, zip_len, &pkg));
  CHECK(segur_xdm_package_count(pkg) == 2);
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_package_json(pkg, &json));
  CHECK_CONTAINS("IHE_XDM/SUBSET01/DOC0001.XML", json);
  CHECK_CONTAINS("\"mimeType\":\"application/pdf\"", json);
  CHECK_CONTAINS("\"integrity\":{\"hash\":\"verified\",\"size\":\"verified\"}", json);
  CHECK_CONTAINS("urn:ihe:iti:xds:2017:mimeTypeSufficient", json);
  segur_string_free(json);
  const uint8_t *doc = NULL;
  size_t doc_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_package_document(pkg, 0, &doc, &doc_len));
  CHECK(doc_len == strlen(xml) && memcmp(doc, xml, doc_len) == 0);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_package_document(pkg, 1, &doc, &doc_len));
  CHECK(doc_len == sizeof PDF - 1 && memcmp(doc, PDF, doc_len) == 0);
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_xdm_package_document(pkg, 2, &doc, &doc_len));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_xdm_package_document(pkg, 0, NULL, &doc_len));
  segur_xdm_package_free(pkg);
  /* Our own archives carry hash and size: requiring both changes nothing. */
  pkg = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_xdm_unpack_checked(zip, zip_len, true, &pkg));
  CHECK(segur_xdm_package_count(pkg) == 2);
  segur_xdm_package_free(pkg);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_xdm_unpack_checked(zip, zip_len, true, NULL));
  segur_xdm_package_free(NULL);
  CHECK(segur_xdm_package_count(NULL) == 0);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_xdm_package_json(NULL, &json));

  /* Errors. */
  pkg = NULL;
  CHECK_RESULT(SEGUR_RESULT_XDM_ZIP, segur_xdm_unpack((const uint8_t *)"PK\3\4 no", 8, &pkg));
  CHECK_RESULT(SEGUR_RESULT_XDM_ZIP, segur_xdm_unpack(zip, zip_len / 2, &pkg));
  CHECK(pkg == NULL);
  uint8_t *z2 = NULL;
  size_t z2_len = 0;
  CHECK_RESULT(SEGUR_RESULT_XDM_CDA,
               segur_xdm_pack((const uint8_t *)"<x/>", 4, NULL, 0, S(OPTS), &z2, &z2_len));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_xdm_pack((const uint8_t *)xml, strlen(xml), NULL,
                                                         0, S("{}"), &z2, &z2_len));
  /* README.TXT must name the sender's organisation and contact (IHE ITI TF-1 §16). */
  CHECK_RESULT(SEGUR_RESULT_XDM_SENDER_MISSING,
               segur_xdm_pack((const uint8_t *)xml, strlen(xml), NULL, 0,
                              S("{\"source_id\":\"1.2.250.1.999.1.1\"}"), &z2, &z2_len));
  CHECK_RESULT(SEGUR_RESULT_XDM_SENDER_MISSING,
               segur_xdm_pack((const uint8_t *)xml, strlen(xml), NULL, 0,
                              S("{\"source_id\":\"1.2.250.1.999.1.1\",\"sender\":{"
                                "\"organization\":\"Pharmacie\",\"contact\":\" \"}}"),
                              &z2, &z2_len));
  CHECK(z2 == NULL);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_xdm_unpack(NULL, 0, &pkg));
  segur_bytes_free(NULL, 0);
  *zip_out = zip;
  *zip_len_out = zip_len;
}

static void test_mss(const uint8_t *zip, size_t zip_len) {
  static const char OPTIONS[] =
      "{\"from\":\"pharmacie@pharma.mssante.fr\",\"nil\":\"REF-CONVERGENCE-1\","
      "\"to\":[\"dr.martin@medecin.mssante.fr\"],\"subject\":\"Note de vaccination\","
      "\"xdm_subject\":true,\"text\":\"Note de vaccination en piece jointe.\","
      "\"read_receipt\":true}";
  uint8_t *eml = NULL;
  size_t eml_len = 0;
  char *summary = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_mss_compose(S(OPTIONS), zip, zip_len, &eml, &eml_len, &summary));
  CHECK_CONTAINS("\"x_mss_codecda\":[\"87273-9\"]", summary);
  CHECK_CONTAINS("\"x_mss_ins\":\"O\"", summary);
  CHECK_CONTAINS("\"x_mss_nil\":\"REF-CONVERGENCE-1\"", summary);
  segur_string_free(summary);

  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_parse(eml, eml_len, &json));
  CHECK_CONTAINS("\"kind\":\"Xdm\"", json);
  CHECK_CONTAINS("\"display_subject\":\"Note de vaccination\"", json);
  CHECK_CONTAINS("\"disposition_notification_to\":\"pharmacie@pharma.mssante.fr\"", json);
  segur_string_free(json);
  segur_bytes_free(eml, eml_len);

  /* Errors: outputs untouched. */
  eml = NULL;
  summary = NULL;
  CHECK_RESULT(SEGUR_RESULT_MSS_COMPOSE,
               segur_mss_compose(S("{\"from\":\"a@pharma.mssante.fr\",\"nil\":\"R\",\"subject\":\"s\","
                                   "\"to\":[\"279035121518989@patient.mssante.fr\"]}"),
                                 NULL, 0, &eml, &eml_len, &summary));
  CHECK_RESULT(SEGUR_RESULT_MSS_INVALID_ADDRESS,
               segur_mss_compose(S("{\"from\":\"no address\",\"nil\":\"R\",\"subject\":\"s\"}"),
                                 NULL, 0, &eml, &eml_len, &summary));
  CHECK_RESULT(SEGUR_RESULT_MSS_XDM_ARCHIVE,
               segur_mss_compose(S(OPTIONS), (const uint8_t *)"nope", 4, &eml, &eml_len,
                                 &summary));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_mss_compose(S(OPTIONS), NULL, 0, &eml, &eml_len, NULL));
  CHECK(eml == NULL && summary == NULL);
  CHECK_RESULT(SEGUR_RESULT_MSS_MALFORMED,
               segur_mss_parse((const uint8_t *)"\1\2 not a message", 16, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_mss_parse(NULL, 0, &json));

  /* Sending: error paths (no credentials handle, none set, unusable roots and PKCS#12 refused
   * by their setters, nobody listening on port 1). */
  static const char CONN[] = "{\"host\":\"127.0.0.1\",\"port\":1,\"timeout_secs\":5}";
  static const char PEM[] = "not a PEM";
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_mss_send(S(CONN), NULL, S(OPTIONS), NULL, 0, &json));
  segur_mss_credentials *creds = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_mss_credentials_new(NULL));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_new(&creds));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_mss_send(S(CONN), creds, S(OPTIONS), NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_MSS_CERTIFICATE,
               segur_mss_credentials_set_roots_pem(creds, (const uint8_t *)PEM, sizeof PEM - 1));
  CHECK_RESULT(SEGUR_RESULT_MSS_CERTIFICATE,
               segur_mss_credentials_set_pkcs12(creds, (const uint8_t *)"p12", 3, S("pw")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_mss_credentials_set_roots_pem(creds, NULL, 0));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_token(creds, S("token")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_token(creds, S("token2")));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_mss_send(S(CONN), creds, S(OPTIONS), zip, zip_len, &json));
  segur_mss_credentials_free(creds);
  segur_mss_credentials_free(NULL);
  CHECK(json == NULL);

  /* Annuaire Sante: the calls that fail before any connection (the search itself runs against
   * a local FHIR server in tests/annuaire.rs). */
  static const char CLIENT[] = "{\"page_size\":50}";
  CHECK_RESULT(SEGUR_RESULT_MSS_CERTIFICATE,
               segur_mss_annuaire_search(S(CLIENT), (const uint8_t *)PEM, sizeof PEM - 1,
                                         S("key"), S("{\"family\":\"MARTIN\"}"), &json));
  CHECK_RESULT(SEGUR_RESULT_IDENTIFIER_CHECK_DIGIT,
               segur_mss_annuaire_search(S(CLIENT), (const uint8_t *)PEM, sizeof PEM - 1,
                                         S("key"), S("{\"rpps\":\"10001234566\"}"), &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON,
               segur_mss_annuaire_search(S("{\"base_url\":1}"), (const uint8_t *)PEM,
                                         sizeof PEM - 1, S("key"), S("{\"family\":\"A\"}"),
                                         &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_mss_annuaire_search(S(CLIENT), NULL, 0, S("key"),
                                         S("{\"family\":\"MARTIN\"}"), &json));
  CHECK(json == NULL);
}

static void test_eprescription(void) {
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_eprescription_scanner_normalise(S("]Q1DC<GS>04\r\n"), NULL, 0, &json));
  CHECK_CONTAINS("\"text\":\"DC\\u001d04\"", json);
  CHECK_CONTAINS("\"aim_identifier\":\"]Q1\"", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_EP_SCANNER_INPUT,
               segur_eprescription_scanner_normalise(S("AB\aCD"), NULL, 0, &json));
  CHECK_RESULT(SEGUR_RESULT_EP_IMAGE,
               segur_eprescription_decode_image((const uint8_t *)"not an image", 12, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_eprescription_decode_image(NULL, 0, &json));
  CHECK(json == NULL);
}

int main(void) {
  test_eprescription();
  char *xml = NULL;
  uint8_t *zip = NULL;
  size_t zip_len = 0;
  test_cda(&xml);
  if (xml != NULL) {
    test_xdm(xml, &zip, &zip_len);
    segur_string_free(xml);
  }
  if (zip != NULL) {
    test_mss(zip, zip_len);
    segur_bytes_free(zip, zip_len);
  }
  return check_summary("test_docs");
}
