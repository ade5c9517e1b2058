/* Exercises every function of segur.h from C: success paths, every error family, NULL
 * arguments, small buffers, ownership (each returned string freed once with segur_string_free).
 * Usage: test_ins <directory of INSi responses (shared/insi/cnda-responses)> [--pcsc-wine-stub]
 * (the option: the PC/SC layer is Wine 8's stub winscard.dll, see test_cards) */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char TRAITS[] =
    "{\"birth_name\":\"d'Artagnan\",\"given_names\":[\"Pierre-Alain\",\"Muriel\"],"
    "\"sex\":\"M\",\"birth_date\":\"1980-03-01\",\"birth_place\":\"2B020\"}";

static char *read_file(const char *dir, const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void test_version_and_results(void) {
  CHECK_STR("segur/0.1.0", segur_version());
  CHECK(SEGUR_VERSION_NUMBER == 100);

  char buf[256];
  size_t n = 0;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_result_message(SEGUR_RESULT_INS_KEY_MISMATCH, buf, sizeof buf, &n));
  CHECK(n == strlen("the key does not match the matricule"));
  CHECK(memcmp(buf, "the key does not match the matricule", n) == 0);

  /* Too small: the needed size is reported and the buffer is untouched. */
  char small[4] = {'x', 'x', 'x', 'x'};
  n = 0;
  CHECK_RESULT(SEGUR_RESULT_INSUFFICIENT_SIZE,
               segur_result_message(SEGUR_RESULT_PANIC, small, sizeof small, &n));
  CHECK(n > sizeof small);
  CHECK(small[0] == 'x');
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_result_message(SEGUR_RESULT_OK, NULL, 10, &n));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_result_message(SEGUR_RESULT_OK, buf, 10, NULL));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_result_message(123456, buf, sizeof buf, &n));
  CHECK(n == strlen("unknown result code"));

  CHECK_STR("INS_KEY_MISMATCH", segur_result_name(SEGUR_RESULT_INS_KEY_MISMATCH));
  CHECK_STR("OK", segur_result_name(SEGUR_RESULT_OK));
  CHECK_STR("UNKNOWN", segur_result_name(99999));
  CHECK(segur_result_is_ins_error(SEGUR_RESULT_INS_NAME_EMPTY));
  CHECK(!segur_result_is_ins_error(SEGUR_RESULT_NULL_PARAMETER));

  segur_string_free(NULL); /* a no-op */
}

static void test_matricule(void) {
  char *m = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_matricule_check(S("1 80 03 2B 020 401"), &m));
  CHECK_STR("180032B02040123", m);
  segur_string_free(m);

  m = NULL;
  CHECK_RESULT(SEGUR_RESULT_INS_KEY_MISMATCH,
               segur_ins_matricule_check(S("180032B02040124"), &m));
  CHECK(m == NULL); /* outputs are written only on success */
  char detail[256];
  size_t n = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail, &n));
  detail[n] = '\0';
  CHECK_STR("key mismatch: expected 23, found 24", detail);

  CHECK_RESULT(SEGUR_RESULT_INS_LENGTH, segur_ins_matricule_check(S("1234"), &m));
  CHECK_RESULT(SEGUR_RESULT_INS_NNP, segur_ins_matricule_check(S("7800320204012"), &m));
  CHECK_RESULT(SEGUR_RESULT_INS_INVALID_CHAR, segur_ins_matricule_check(S("18003?B02040123"), &m));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail, &n));
  detail[n] = '\0';
  CHECK_STR("invalid character at position 6", detail);
  CHECK_RESULT(SEGUR_RESULT_INVALID_UTF8, segur_ins_matricule_check("\xff\xfe", 2, &m));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_ins_matricule_check(NULL, 0, &m));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_ins_matricule_check(S("180032B02040123"), NULL));
  /* A successful call resets the detail. */
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_ins_matricule_check(NULL, 0, &m));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail, &n));
  CHECK(n == 0);
  CHECK(m == NULL);

  /* Without allocation, into the caller's buffer. */
  char canon[15];
  char tiny[14];
  n = 0;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_ins_matricule_check_into(S("1 80 03 2B 020 401"), canon, sizeof canon, &n));
  CHECK(n == 15 && memcmp(canon, "180032B02040123", 15) == 0);
  n = 0;
  CHECK_RESULT(SEGUR_RESULT_INSUFFICIENT_SIZE,
               segur_ins_matricule_check_into(S("180032B02040123"), tiny, sizeof tiny, &n));
  CHECK(n == 15);
  n = 0;
  CHECK_RESULT(SEGUR_RESULT_INS_KEY_MISMATCH,
               segur_ins_matricule_check_into(S("180032B02040124"), canon, sizeof canon, &n));
  CHECK(n == 0);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_ins_matricule_check_into(S("180032B02040123"), NULL, 15, &n));

  uint8_t key = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_matricule_key(S("180032B020401"), &key));
  CHECK(key == 23);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_ins_matricule_key(S("180032B020401"), NULL));

  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_matricule_decode(S("180032B02040123"), &json));
  CHECK_CONTAINS("\"sex\":\"Male\"", json);
  CHECK_CONTAINS("\"department\":\"2B\"", json);
  CHECK_CONTAINS("\"key\":23", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_INS_SEX_DIGIT, segur_ins_matricule_decode(S("980032B02040123"), &json));
  CHECK(json == NULL);
}

static void test_ins(void) {
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_ins_check(S("180032B02040123"), S("1.2.250.1.213.1.4.8"), &json));
  CHECK_CONTAINS("\"authority\":\"nir\"", json);
  CHECK_CONTAINS("\"xds_cx\":\"180032B02040123^^^&1.2.250.1.213.1.4.8&ISO^NH\"", json);
  segur_string_free(json);
  CHECK_RESULT(SEGUR_RESULT_INS_LEGACY_INS_C,
               segur_ins_check(S("180032B02040123"), S("1.2.250.1.213.1.4.2"), &json));
  CHECK_RESULT(SEGUR_RESULT_INS_UNKNOWN_AUTHORITY,
               segur_ins_check(S("180032B02040123"), S("1.2.3"), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_ins_check(S("180032B02040123"), NULL, 0, &json));
}

static void test_names_and_traits(void) {
  char *s = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_ins_normalize_name(SEGUR_NAME_KIND_BIRTH_NAME, S("d\xe2\x80\x99\xc3\x86rtagnan"), &s));
  CHECK_STR("D'AERTAGNAN", s);
  segur_string_free(s);
  s = NULL;
  CHECK_RESULT(SEGUR_RESULT_INS_NAME_DOUBLE_HYPHEN,
               segur_ins_normalize_name(SEGUR_NAME_KIND_GIVEN_NAME, S("JEAN--PAUL"), &s));
  CHECK_RESULT(SEGUR_RESULT_INS_NAME_UNSUPPORTED_CHAR,
               segur_ins_normalize_name(SEGUR_NAME_KIND_BIRTH_NAME, S("DUPONT\xe2\x82\xac"), &s));
  CHECK_RESULT(SEGUR_RESULT_INS_NAME_EMPTY,
               segur_ins_normalize_name(SEGUR_NAME_KIND_BIRTH_NAME, S(""), &s));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_ins_normalize_name(42, S("DUPONT"), &s));
  CHECK(s == NULL);

  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_traits_normalize(S(TRAITS), &json));
  CHECK_CONTAINS("\"birth_name\":\"D'ARTAGNAN\"", json);
  CHECK_CONTAINS("\"first_given_name\":\"PIERRE-ALAIN\"", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_ins_traits_normalize(S("{\"birth_name\":"), &json));
  char detail[256];
  size_t n = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail, &n));
  detail[n] = '\0';
  CHECK_CONTAINS("line 1 column", detail);
  CHECK_RESULT(SEGUR_RESULT_INS_TRAITS_SEX,
               segur_ins_traits_normalize(S("{\"birth_name\":\"A\",\"given_names\":[\"B\"],"
                                            "\"sex\":\"X\",\"birth_date\":\"2000-01-01\"}"),
                                          &json));
  CHECK(json == NULL);

  segur_normalizer *norm = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_normalizer_new(5, &norm));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_normalizer_name(norm, SEGUR_NAME_KIND_BIRTH_NAME, S("abc"), &s));
  CHECK_STR("ABC", s);
  segur_string_free(s);
  s = NULL;
  CHECK_RESULT(SEGUR_RESULT_INS_NAME_TOO_LONG,
               segur_normalizer_name(norm, SEGUR_NAME_KIND_BIRTH_NAME, S("abcdefgh"), &s));
  CHECK_RESULT(SEGUR_RESULT_INS_NAME_TOO_LONG, segur_normalizer_traits(norm, S(TRAITS), &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_normalizer_name(NULL, SEGUR_NAME_KIND_BIRTH_NAME, S("abc"), &s));
  segur_normalizer_free(norm);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_normalizer_new(0, &norm));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_normalizer_traits(norm, S(TRAITS), &json));
  CHECK_CONTAINS("\"given_names\":[\"PIERRE-ALAIN\",\"MURIEL\"]", json);
  segur_string_free(json);
  segur_normalizer_free(norm);
  segur_normalizer_free(NULL);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_normalizer_new(0, NULL));

  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_coherence(S("180032B02040123"), S(TRAITS), &json));
  CHECK_STR("[]", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_ins_coherence(S("280032B020401"), S(TRAITS), &json));
  CHECK_CONTAINS("SexMismatch", json);
  segur_string_free(json);
}

static void test_identity(void) {
  segur_identity *id = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_new(S(TRAITS), SEGUR_IDENTITY_ATTRIBUTES_NONE, &id));
  segur_identity_status st = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_get_status(id, &st));
  CHECK(st == SEGUR_IDENTITY_STATUS_PROVISOIRE);
  CHECK(segur_identity_may_call_insi(id));
  CHECK(!segur_identity_can_transmit_matricule(id));
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_IDENTITY_NOT_QUALIFIED, segur_identity_qualified_ins(id, &json));
  CHECK(json == NULL);

  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_identity_record_insi_retrieval(id, S("180032B02040123"), S("1.2.250.1.213.1.4.8"),
                                                    S(TRAITS)));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_get_status(id, &st));
  CHECK(st == SEGUR_IDENTITY_STATUS_RECUPEREE);
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_identity_record_document_check(id, S("\"Tattoo\"")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_record_document_check(id, S("\"Passport\"")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_get_status(id, &st));
  CHECK(st == SEGUR_IDENTITY_STATUS_QUALIFIEE);
  CHECK(segur_identity_can_transmit_matricule(id));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_qualified_ins(id, &json));
  CHECK_CONTAINS("\"matricule\":\"180032B02040123\"", json);
  segur_string_free(json);

  /* Round trip through the LGO's storage form. */
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_to_json(id, &json));
  CHECK_CONTAINS("Qualifiee", json);
  segur_identity *copy = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_from_json(json, strlen(json), &copy));
  CHECK(segur_identity_can_transmit_matricule(copy));
  segur_string_free(json);
  segur_identity_free(copy);

  CHECK_RESULT(SEGUR_RESULT_OK, segur_identity_mark(id, SEGUR_IDENTITY_ATTRIBUTES_FICTIVE));
  CHECK(!segur_identity_may_call_insi(id));
  CHECK(!segur_identity_can_transmit_matricule(id));
  CHECK_RESULT(SEGUR_RESULT_IDENTITY_INSI_BLOCKED,
               segur_identity_record_insi_retrieval(id, S("180032B02040123"), S("1.2.250.1.213.1.4.8"),
                                                    S(TRAITS)));
  CHECK_RESULT(SEGUR_RESULT_IDENTITY_DOUBTFUL, segur_identity_record_document_check(id, S("\"Passport\"")));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_identity_mark(id, 99));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_identity_new(S(TRAITS), 99, &copy));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_identity_from_json(S("{}"), &copy));
  segur_identity_free(id);
  segur_identity_free(NULL);

  CHECK(!segur_identity_may_call_insi(NULL));
  CHECK(!segur_identity_can_transmit_matricule(NULL));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_identity_get_status(NULL, &st));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_identity_to_json(NULL, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_identity_mark(NULL, 0));
}

static void test_insi(const char *dir) {
  size_t len = 0;
  char *xml = read_file(dir, "TEST_2.04_cas2.xml", &len);
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_insi_parse_response(xml, len, &json));
  CHECK_CONTAINS("\"code\":\"00\"", json);
  CHECK_CONTAINS("\"matricule\":\"109076322083489\"", json);
  CHECK_CONTAINS("\"birth_name\":\"ECETINSI\"", json);
  segur_string_free(json);
  free(xml);

  xml = read_file(dir, "TEST_2.08_cas2.xml", &len);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_insi_parse_response(xml, len, &json));
  CHECK_CONTAINS("\"history\":null", json);
  CHECK_CONTAINS("\"name\":\"INS_KEY_MISMATCH\"", json);
  CHECK_CONTAINS("\"birth_name\":\"HERMANN\"", json);
  segur_string_free(json);
  free(xml);

  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_INSI_DTD,
               segur_insi_parse_response(S("<!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>"), &json));
  CHECK_RESULT(SEGUR_RESULT_INSI_NO_RESULT, segur_insi_parse_response(S("<x/>"), &json));
  CHECK(json == NULL);
}

static void test_insi_client(void) {
  /* The network path is tested in Rust against a local mutual-TLS server (tests/insi_search.rs);
   * from C: argument checks and error codes, and the output untouched on failure. */
  static const char SOFTWARE[] = "{\"idam\":\"X\",\"version\":\"1\",\"name\":\"lgo\","
                                 "\"instance\":\"i\",\"emitter\":\"e\"}";
  segur_insi_client *client = NULL;
  CHECK_RESULT(SEGUR_RESULT_INSI_TLS_CONFIG,
               segur_insi_client_new(S("https://127.0.0.1:1/lps"), S("no pem"), S("no pem"),
                                     S("no pem"), S(SOFTWARE), &client));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON,
               segur_insi_client_new(S("https://127.0.0.1:1/lps"), S("no pem"), S("no pem"),
                                     S("no pem"), S("{\"idam\":1}"), &client));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_insi_client_new(NULL, 0, S("no pem"), S("no pem"), S("no pem"), S(SOFTWARE),
                                     &client));
  CHECK(client == NULL);
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_insi_client_search(NULL, S("{}"), false, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_insi_client_set_timeout(NULL, 1000));
  /* Authentication modes: the PSC mode and the return to mutual TLS are tested in Rust against
   * the local server (tests/insi_search.rs), the CPx mode with a virtual card in segur-cli. */
  static const char PROFESSIONAL[] = "{\"national_id\":\"899700123456\",\"billing_id\":"
                                     "\"2A1234567\",\"amo_specialty\":\"50\","
                                     "\"activity_sector\":\"SA33\"}";
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_insi_client_set_auth_mtls(NULL));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_insi_client_set_auth_psc(NULL, S(PROFESSIONAL), S("token"), 0));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_insi_client_set_auth_cps(NULL, NULL, S(PROFESSIONAL)));
  CHECK(json == NULL);
  segur_insi_client_free(NULL);
}

/* True when the PC/SC layer is Wine 8's winscard.dll, whose SCardEstablishContext is a stub
 * answering SCARD_F_INTERNAL_ERROR: scripts/test.d/55-ffi-windows says so on the command line. */
static bool pcsc_is_wine_stub = false;

/* What a card call gives when no card can be reached: on Linux and Windows, no PC/SC service or
 * no such reader; under Wine 8, the SCARD_F_INTERNAL_ERROR of its stub, mapped to CARD_PCSC. */
static bool unreachable_card(segur_result r) {
  if (pcsc_is_wine_stub) return r == SEGUR_RESULT_CARD_PCSC;
  return r == SEGUR_RESULT_CARD_NO_SUCH_READER || r == SEGUR_RESULT_CARD_NO_SERVICE ||
         r == SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING;
}

static void test_cards(void) {
  /* Real cards are exercised in Rust through pcscd + vpcd virtual cards (tests/cards_pcsc.rs);
   * here: the calls from C whatever the machine has (no PC/SC library or service, no reader,
   * readers; test_no_pcsc checks the missing library). */
  char *json = NULL;
  segur_result r = segur_card_list(&json);
  if (pcsc_is_wine_stub) {
    CHECK_RESULT(SEGUR_RESULT_CARD_PCSC, r);
  } else {
    CHECK(r == SEGUR_RESULT_OK || r == SEGUR_RESULT_CARD_NO_SERVICE ||
          r == SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING);
  }
  if (r == SEGUR_RESULT_OK) {
    CHECK(json != NULL && json[0] == '[');
    segur_string_free(json);
  } else {
    CHECK(json == NULL);
    CHECK(segur_result_is_card_error(r));
  }
  segur_cps_card *card = NULL;
  r = segur_cps_card_open(S("no such reader 42"), &card);
  CHECK(unreachable_card(r));
  CHECK(card == NULL);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_card_list(NULL));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cps_card_open(NULL, 0, &card));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cps_card_info(NULL, &json));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_cps_card_verify_pin(NULL, S("1234")));
  uint8_t *bytes = NULL;
  size_t len = 0;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_cps_card_certificate(NULL, SEGUR_CARD_KEY_SIGNATURE, &bytes, &len));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_cps_card_sign(NULL, SEGUR_CARD_KEY_SIGNATURE,
                                   SEGUR_SIGNATURE_ALGORITHM_RSA_PKCS1_SHA256,
                                   (const uint8_t *)"abc", 3, &bytes, &len));
  CHECK(bytes == NULL && len == 0);
  segur_bytes_free(NULL, 0);
  segur_cps_card_free(NULL);
  segur_vitale_card *vitale = NULL;
  r = segur_vitale_card_open(S("no such reader 42"), &vitale);
  CHECK(unreachable_card(r));
  CHECK(vitale == NULL);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_vitale_card_open(NULL, 0, &vitale));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_vitale_card_open(S("pcd"), NULL));
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_vitale_card_read_identity(NULL, &json));
  CHECK(json == NULL);
  segur_vitale_card_free(NULL);
  CHECK(!segur_result_is_card_error(SEGUR_RESULT_INS_NNP));
}

static void test_national_id(void) {
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_national_id(SEGUR_IDENTIFIER_KIND_RPPS, S("01234567897"), &json));
  CHECK_STR("{\"root\":\"1.2.250.1.71.4.2.1\",\"extension\":\"801234567897\"}", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_IDENTIFIER_CHECK_DIGIT,
               segur_national_id(SEGUR_IDENTIFIER_KIND_RPPS, S("10001234567"), &json));
  CHECK_RESULT(SEGUR_RESULT_IDENTIFIER_LENGTH,
               segur_national_id(SEGUR_IDENTIFIER_KIND_SIRET, S("123"), &json));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_national_id(0, S("123"), &json));
  CHECK(json == NULL);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[2], "--pcsc-wine-stub") == 0) {
    pcsc_is_wine_stub = true;
  } else if (argc != 2) {
    fprintf(stderr, "usage: %s <insi responses directory> [--pcsc-wine-stub]\n", argv[0]);
    return 2;
  }
  test_version_and_results();
  test_matricule();
  test_ins();
  test_names_and_traits();
  test_identity();
  test_insi(argv[1]);
  test_insi_client();
  test_cards();
  test_national_id();
  return check_summary("test_ins");
}
