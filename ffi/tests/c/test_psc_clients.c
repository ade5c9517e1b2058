/* One Pro Santé Connect provider handle for INSi and the DMP, from C: the provider signs in
 * through a real proxy e-Santé (segur-psc's server, mutual TLS), then an INSi client in PSC
 * mode (segur_insi_client_set_auth_psc_provider) searches the local INSi server, which requires
 * the token the proxy releases for its `insi` backend, and a DMP client
 * (segur_dmp_client_set_psc_provider) asks the DMP simulator, which requires the token of the
 * `dmp` backend. The provider is freed before the clients once, after them once; a provider
 * logged out fails both clients with their token codes before anything is sent.
 * Usage: test_psc_clients PROXY_URL PROXY_CA CERT KEY CLIENT_ID NATIONAL_ID INSI_ENDPOINT
 *        INSI_CA INSI_CHAIN INSI_KEY DMP_CONFIG PATIENT */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "psc_config.h"

#define S(lit) (lit), (sizeof(lit) - 1)

static const char SOFTWARE[] =
    "{\"idam\":\"TEST-IDAM\",\"version\":\"1.0\",\"name\":\"segur-tests\","
    "\"instance\":\"b6f0c6c2-3b75-4d6f-9a0b-2f1b1f0a9e11\",\"emitter\":\"officine-test\"}";
static const char PROFESSIONAL[] =
    "{\"national_id\":\"899700123456\",\"billing_id\":\"2A1234567\",\"amo_specialty\":\"50\","
    "\"activity_sector\":\"SA33\"}";
static const char TRAITS[] =
    "{\"birth_name\":\"ECETINSI\",\"given_names\":[\"PIERRE-ALAIN\",\"MURIEL\",\"FLORIANT\"],"
    "\"sex\":\"M\",\"birth_date\":\"2009-07-14\"}";


static const char *national_id;
static const char *insi_endpoint, *dmp_config, *patient;
static char *insi_ca, *insi_chain, *insi_key;
static char config[32768];

/* A provider signed in by CIBA on the card. */
static segur_psc_provider *signed_in_provider(void) {
  segur_psc_provider *provider = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_psc_provider_new(config, strlen(config), &provider));
  char *who = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_psc_provider_login(provider, national_id, strlen(national_id),
                                        SEGUR_PSC_CHANNEL_CARD, NULL, NULL, &who));
  CHECK_CONTAINS(national_id, who);
  segur_string_free(who);
  return provider;
}

static segur_insi_client *insi_client(void) {
  segur_insi_client *client = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_insi_client_new(insi_endpoint, strlen(insi_endpoint), insi_ca,
                                     strlen(insi_ca), insi_chain, strlen(insi_chain), insi_key,
                                     strlen(insi_key), S(SOFTWARE), &client));
  return client;
}

static segur_dmp_client *dmp_client(void) {
  segur_dmp_client *client = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_new(dmp_config, strlen(dmp_config), 20000, &client));
  return client;
}

/* Both clients take their tokens from `provider`. */
static void attach(segur_insi_client *insi, segur_dmp_client *dmp,
                   const segur_psc_provider *provider) {
  CHECK_RESULT(SEGUR_RESULT_OK, segur_insi_client_set_auth_psc_provider(
                                    insi, S(PROFESSIONAL), provider, S("insi")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_dmp_client_set_psc_provider(dmp, provider, S("dmp")));
}

/* One INSi search and one DMP existence test, both expected to succeed. */
static void use_both(segur_insi_client *insi, segur_dmp_client *dmp) {
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_insi_client_search(insi, S(TRAITS), false, &json));
  CHECK_CONTAINS("\"found\":true", json);
  segur_string_free(json);
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_dmp_client_status(dmp, patient, strlen(patient), &json));
  CHECK_CONTAINS("\"state\":\"active\"", json);
  segur_string_free(json);
}

int main(int argc, char **argv) {
  if (argc != 13) {
    fprintf(stderr,
            "usage: %s PROXY_URL PROXY_CA CERT KEY CLIENT_ID NATIONAL_ID INSI_ENDPOINT INSI_CA "
            "INSI_CHAIN INSI_KEY DMP_CONFIG PATIENT\n",
            argv[0]);
    return 2;
  }
  const char *proxy = argv[1], *client_id = argv[5];
  national_id = argv[6];
  insi_endpoint = argv[7];
  dmp_config = argv[11];
  patient = argv[12];
  char *ca = read_text(argv[2]), *cert = read_text(argv[3]), *key = read_text(argv[4]);
  insi_ca = read_text(argv[8]);
  insi_chain = read_text(argv[9]);
  insi_key = read_text(argv[10]);
  if (ca == NULL || cert == NULL || key == NULL || insi_ca == NULL || insi_chain == NULL ||
      insi_key == NULL) {
    fprintf(stderr, "cannot read the PEM files\n");
    return 2;
  }
  snprintf(config, sizeof config, "{\"proxy\":\"%s\",\"client_id\":\"%s\",\"ca_pem\":", proxy,
           client_id);
  json_append(config, sizeof config, ca);
  strncat(config, ",\"cert_pem\":", sizeof config - strlen(config) - 1);
  json_append(config, sizeof config, cert);
  strncat(config, ",\"key_pem\":", sizeof config - strlen(config) - 1);
  json_append(config, sizeof config, key);
  strncat(config, "}", sizeof config - strlen(config) - 1);

  /* 1. Bad arguments leave the clients as they were. */
  segur_psc_provider *provider = signed_in_provider();
  segur_insi_client *insi = insi_client();
  segur_dmp_client *dmp = dmp_client();
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_insi_client_set_auth_psc_provider(
                                                insi, S(PROFESSIONAL), NULL, S("insi")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_insi_client_set_auth_psc_provider(
                                                NULL, S(PROFESSIONAL), provider, S("insi")));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_insi_client_set_auth_psc_provider(
                                              insi, S("{\"national_id\":\"1\"}"), provider,
                                              S("insi")));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER, segur_insi_client_set_auth_psc_provider(
                                                   insi, S(PROFESSIONAL), provider, S("../insi")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_set_psc_provider(dmp, NULL, S("dmp")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_dmp_client_set_psc_provider(NULL, provider, S("dmp")));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_dmp_client_set_psc_provider(dmp, provider, S("")));
  /* Without the provider, the DMP requires a token (HTTP 401) and INSi its PSC assertion. */
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_DMP_HTTP_STATUS,
               segur_dmp_client_status(dmp, patient, strlen(patient), &json));
  CHECK(json == NULL);
  CHECK_RESULT(SEGUR_RESULT_INSI_FAULT, segur_insi_client_search(insi, S(TRAITS), false, &json));
  CHECK(json == NULL);

  /* 2. The provider freed before the clients: they keep the session. */
  attach(insi, dmp, provider);
  segur_psc_provider_free(provider);
  use_both(insi, dmp);
  segur_insi_client_free(insi);
  segur_dmp_client_free(dmp);

  /* 3. The clients freed first; a logout in between fails both before anything is sent. */
  provider = signed_in_provider();
  insi = insi_client();
  dmp = dmp_client();
  attach(insi, dmp, provider);
  use_both(insi, dmp);
  CHECK_RESULT(SEGUR_RESULT_OK, segur_psc_provider_logout(provider));
  json = NULL;
  CHECK_RESULT(SEGUR_RESULT_INSI_TOKEN, segur_insi_client_search(insi, S(TRAITS), false, &json));
  CHECK(json == NULL);
  CHECK_RESULT(SEGUR_RESULT_DMP_TOKEN,
               segur_dmp_client_status(dmp, patient, strlen(patient), &json));
  CHECK(json == NULL);
  char detail[512];
  size_t detail_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_last_error_detail(detail, sizeof detail - 1, &detail_len));
  detail[detail_len < sizeof detail ? detail_len : sizeof detail - 1] = '\0';
  CHECK_CONTAINS("not signed in", detail);
  segur_insi_client_free(insi);
  segur_dmp_client_free(dmp);
  segur_psc_provider_free(provider);

  free(ca);
  free(cert);
  free(key);
  free(insi_ca);
  free(insi_chain);
  free(insi_key);
  return check_summary("test_psc_clients");
}
