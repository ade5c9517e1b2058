/* Exercises the Pro Santé Connect functions of segur.h from C against a real proxy e-Santé
 * (segur-psc's server, mutual TLS) and a real Postfix: a provider made from PEM files,
 * segur_psc_provider_login with its progress callback (the binding message first, then
 * CONNECTED), whoami, an MSSanté message sent with XOAUTH2 with the token the proxy releases for
 * its `mss` backend (segur_mss_credentials_set_psc_provider), logout, and the errors after it
 * (not signed in, token provider failure), NULL arguments and bad values.
 * Usage: test_psc PROXY_URL PROXY_CA CERT KEY CLIENT_ID NATIONAL_ID SUBMISSION_PORT MAIL_CA
 *        SENDER RECIPIENT */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "psc_config.h"

#define S(lit) (lit), (sizeof(lit) - 1)


typedef struct {
  int started, waiting, connected;
  char binding[3];
  bool order_ok;
} progress_log;

static void on_progress(void *user_data, segur_psc_progress event, const char *binding_message,
                        uint64_t elapsed_ms) {
  progress_log *log = user_data;
  (void)elapsed_ms;
  switch (event) {
    case SEGUR_PSC_PROGRESS_STARTED:
      log->started++;
      log->order_ok = log->waiting == 0 && log->connected == 0;
      if (binding_message != NULL && strlen(binding_message) == 2) {
        memcpy(log->binding, binding_message, 3);
      }
      break;
    case SEGUR_PSC_PROGRESS_WAITING:
      log->waiting++;
      if (binding_message != NULL) log->order_ok = false;
      break;
    case SEGUR_PSC_PROGRESS_CONNECTED:
      log->connected++;
      break;
  }
}

int main(int argc, char **argv) {
  if (argc != 11) {
    fprintf(stderr,
            "usage: %s PROXY_URL PROXY_CA CERT KEY CLIENT_ID NATIONAL_ID SUBMISSION_PORT MAIL_CA "
            "SENDER RECIPIENT\n",
            argv[0]);
    return 2;
  }
  const char *proxy = argv[1], *client_id = argv[5], *national_id = argv[6];
  const char *submission_port = argv[7], *sender = argv[9], *recipient = argv[10];
  char *ca = read_text(argv[2]), *cert = read_text(argv[3]), *key = read_text(argv[4]);
  char *mail_ca = read_text(argv[8]);
  if (ca == NULL || cert == NULL || key == NULL || mail_ca == NULL) {
    fprintf(stderr, "cannot read the PEM files\n");
    return 2;
  }
  static char config[32768];
  snprintf(config, sizeof config, "{\"proxy\":\"%s\",\"client_id\":\"%s\",\"ca_pem\":", proxy,
           client_id);
  json_append(config, sizeof config, ca);
  strncat(config, ",\"cert_pem\":", sizeof config - strlen(config) - 1);
  json_append(config, sizeof config, cert);
  strncat(config, ",\"key_pem\":", sizeof config - strlen(config) - 1);
  json_append(config, sizeof config, key);
  strncat(config, "}", sizeof config - strlen(config) - 1);

  /* 1. The provider: bad inputs, then the real one. */
  segur_psc_provider *provider = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_psc_provider_new(NULL, 0, &provider));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON, segur_psc_provider_new(S("{\"proxy\":1}"), &provider));
  CHECK(provider == NULL);
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_psc_provider_new(config, strlen(config), NULL));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_psc_provider_new(config, strlen(config), &provider));
  CHECK(provider != NULL);

  /* 2. Not signed in yet. */
  char *who = NULL;
  CHECK_RESULT(SEGUR_RESULT_PSC_NOT_SIGNED_IN, segur_psc_provider_whoami(provider, &who));
  CHECK_RESULT(SEGUR_RESULT_PSC_NOT_SIGNED_IN, segur_psc_provider_logout(provider));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_psc_provider_whoami(NULL, &who));

  /* 3. Login: a bad channel, then CIBA on the e-CPS with the progress callback. */
  progress_log log = {0, 0, 0, "", false};
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_psc_provider_login(provider, national_id, strlen(national_id), 7, on_progress,
                                        &log, &who));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_psc_provider_login(provider, S(""), SEGUR_PSC_CHANNEL_MOBILE, NULL, NULL,
                                        &who));
  CHECK(log.started == 0);
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_psc_provider_login(provider, national_id, strlen(national_id),
                                        SEGUR_PSC_CHANNEL_MOBILE, on_progress, &log, &who));
  CHECK(log.started == 1 && log.connected == 1 && log.order_ok);
  CHECK(strlen(log.binding) == 2 && log.binding[0] >= '0' && log.binding[0] <= '9');
  printf("binding message %s\n", log.binding);
  CHECK_CONTAINS(national_id, who);
  CHECK_CONTAINS("\"backends\":[\"mss\"]", who);
  segur_string_free(who);
  who = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_psc_provider_whoami(provider, &who));
  CHECK_CONTAINS("\"client_id\":\"", who);
  segur_string_free(who);

  /* 4. MSSanté with the token of the proxy's `mss` backend (XOAUTH2 through Postfix). */
  segur_mss_credentials *creds = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_new(&creds));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_roots_pem(
                                    creds, (const uint8_t *)mail_ca, strlen(mail_ca)));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_mss_credentials_set_psc_provider(creds, provider, S("../mss")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_mss_credentials_set_psc_provider(creds, NULL, S("mss")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_psc_provider(creds, provider, S("mss")));
  char conn[256], options[512];
  snprintf(conn, sizeof conn, "{\"host\":\"localhost\",\"port\":%s,\"timeout_secs\":20}",
           submission_port);
  snprintf(options, sizeof options,
           "{\"from\":\"%s\",\"nil\":\"SEGUR-TEST-NIL-PSC\",\"to\":[\"%s\"],\"subject\":\"Signed in with Pro Sante Connect\","
           "\"text\":\"Sent with the token of the proxy e-Sante.\"}",
           sender, recipient);
  char *sent = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_send(conn, strlen(conn), creds, options,
                                               strlen(options), NULL, 0, &sent));
  CHECK_CONTAINS("\"status\":\"accepted\"", sent);
  segur_string_free(sent);

  /* 5. Logout: the session is gone, and so is the token MSSanté asks for. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_psc_provider_logout(provider));
  CHECK_RESULT(SEGUR_RESULT_PSC_NOT_SIGNED_IN, segur_psc_provider_logout(provider));
  sent = NULL;
  CHECK_RESULT(SEGUR_RESULT_MSS_TOKEN_PROVIDER,
               segur_mss_send(conn, strlen(conn), creds, options, strlen(options), NULL, 0,
                              &sent));
  CHECK(sent == NULL);

  segur_mss_credentials_free(creds);
  segur_psc_provider_free(provider);
  segur_psc_provider_free(NULL);
  free(ca);
  free(cert);
  free(key);
  free(mail_ca);
  return check_summary("test_psc");
}
