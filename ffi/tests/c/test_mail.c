/* Exercises the MSSanté mail functions of segur.h from C against real servers: submission
 * (segur_mss_credentials_*, segur_mss_send, XOAUTH2 over STARTTLS), the IMAP mailbox
 * (segur_mss_mailbox_new, _pending,
 * _fetch, _mark_processed twice, _free), the acknowledgement (segur_mss_mdn_build,
 * segur_mss_mdn_send), an unknown CA refused with SEGUR_RESULT_MSS_TLS_UNKNOWN_CA for SMTP and
 * IMAP, a host name the certificate does not name refused with SEGUR_RESULT_MSS_TLS_NAME_MISMATCH,
 * and
 * segur_mss_discover (RFC 6186 SRV records) against a DNS server on loopback.
 *
 * Usage: test_mail SUBMISSION_PORT IMAP_PORT CA_PEM ROGUE_CA_PEM SENDER SENDER_TOKEN
 *                  RECIPIENT RECIPIENT_TOKEN XDM_ZIP CODE_CDA DNS_RESOLVER
 * (the servers and tokens are made by the Rust test that drives this program: ffi/tests/c_mail.rs) */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)
#define NIL "SEGUR-TEST-NIL-C"

/* Reads a whole file; NULL on failure. Free with free(). */
static uint8_t *read_file(const char *path, size_t *out_len) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *grown = realloc(buf, cap);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    size_t n = fread(buf + len, 1, cap - len, f);
    len += n;
    if (n == 0) break;
  }
  fclose(f);
  *out_len = len;
  return buf;
}

/* The value of the first `"key":"value"` string member of a compact JSON text, copied into
 * `out` (no escapes in the values this test reads). */
static bool json_string(const char *json, const char *key, char *out, size_t out_len) {
  char pattern[128];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *p = json ? strstr(json, pattern) : NULL;
  if (p == NULL) return false;
  p += strlen(pattern);
  const char *end = strchr(p, '"');
  if (end == NULL || (size_t)(end - p) >= out_len) return false;
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = '\0';
  return true;
}

/* The last UID of the `"uids":[...]` list of segur_mss_mailbox_pending; 0 when empty. */
static uint32_t last_uid(const char *json) {
  const char *p = json ? strstr(json, "\"uids\":[") : NULL;
  if (p == NULL) return 0;
  p += strlen("\"uids\":[");
  uint32_t last = 0;
  while (*p >= '0' && *p <= '9') {
    char *end = NULL;
    last = (uint32_t)strtoul(p, &end, 10);
    p = end;
    if (*p == ',') p++;
  }
  return last;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* A credentials handle holding `roots` and a PSC token (free with segur_mss_credentials_free). */
static segur_mss_credentials *credentials(const uint8_t *roots, size_t roots_len,
                                          const char *token) {
  segur_mss_credentials *c = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_new(&c));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_roots_pem(c, roots, roots_len));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_credentials_set_token(c, token, strlen(token)));
  return c;
}

int main(int argc, char **argv) {
  if (argc != 12) {
    fprintf(stderr,
            "usage: %s SUBMISSION_PORT IMAP_PORT CA_PEM ROGUE_CA_PEM SENDER SENDER_TOKEN "
            "RECIPIENT RECIPIENT_TOKEN XDM_ZIP CODE_CDA DNS_RESOLVER\n",
            argv[0]);
    return 2;
  }
  const char *submission_port = argv[1], *imap_port = argv[2];
  const char *sender = argv[5], *sender_token = argv[6];
  const char *recipient = argv[7], *recipient_token = argv[8];
  const char *code_cda = argv[10], *resolver = argv[11];
  size_t roots_len = 0, rogue_len = 0, xdm_len = 0;
  uint8_t *roots = read_file(argv[3], &roots_len);
  uint8_t *rogue = read_file(argv[4], &rogue_len);
  uint8_t *xdm = read_file(argv[9], &xdm_len);
  if (roots == NULL || rogue == NULL || xdm == NULL) {
    fprintf(stderr, "cannot read the CA or XDM files\n");
    return 2;
  }

  char smtp_conn[256], imap_conn[512], options[1024], mdn_options[512];
  snprintf(smtp_conn, sizeof smtp_conn,
           "{\"host\":\"localhost\",\"port\":%s,\"timeout_secs\":20}", submission_port);
  snprintf(imap_conn, sizeof imap_conn,
           "{\"host\":\"localhost\",\"port\":%s,\"user\":\"%s\",\"timeout_secs\":20}", imap_port,
           recipient);
  snprintf(options, sizeof options,
           "{\"from\":\"%s\",\"nil\":\"" NIL "\",\"to\":[\"%s\"],\"subject\":\"Note de "
           "vaccination\",\"xdm_subject\":true,\"text\":\"Veuillez trouver la note.\","
           "\"read_receipt\":true}",
           sender, recipient);
  snprintf(mdn_options, sizeof mdn_options, "{\"reporter\":\"%s\",\"nil\":\"" NIL "\"}",
           recipient);
  segur_mss_credentials *sender_creds = credentials(roots, roots_len, sender_token);
  segur_mss_credentials *recipient_creds = credentials(roots, roots_len, recipient_token);

  /* 1. Send the XDM with XOAUTH2. */
  char *sent = NULL;
  char message_id[256] = "";
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_mss_send(smtp_conn, strlen(smtp_conn), sender_creds, options,
                              strlen(options), xdm, xdm_len, &sent));
  CHECK_CONTAINS("\"status\":\"accepted\"", sent);
  CHECK(json_string(sent, "message_id", message_id, sizeof message_id));
  segur_string_free(sent);

  /* 2. Wait for delivery (a fresh session each time), then list it as pending. */
  segur_mss_mailbox *mb = NULL;
  uint32_t uid = 0;
  for (int attempt = 0; attempt < 150 && uid == 0; attempt++) {
    CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_new(imap_conn, strlen(imap_conn),
                                                        recipient_creds, &mb));
    char *pending = NULL;
    CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_pending(mb, &pending));
    CHECK_CONTAINS("\"mailbox\":\"INBOX\"", pending);
    uid = last_uid(pending);
    segur_string_free(pending);
    if (uid == 0) {
      segur_mss_mailbox_free(mb);
      mb = NULL;
      sleep_ms(200);
    }
  }
  CHECK(uid != 0);

  /* 3. Fetch it: raw bytes and JSON with the X-MSS headers. */
  uint8_t *eml = NULL;
  size_t eml_len = 0;
  char *fetched = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_fetch(mb, uid, &eml, &eml_len, &fetched));
  CHECK(eml != NULL && eml_len > 0);
  char expected[512];
  snprintf(expected, sizeof expected, "\"message_id\":\"%s\"", message_id);
  CHECK_CONTAINS(expected, fetched);
  CHECK_CONTAINS("\"x_mss_nil\":\"" NIL "\"", fetched);
  snprintf(expected, sizeof expected, "\"x_mss_codecda\":[\"%s\"]", code_cda);
  CHECK_CONTAINS(expected, fetched);
  CHECK_CONTAINS("\"kind\":\"Xdm\"", fetched);
  snprintf(expected, sizeof expected, "\"disposition_notification_to\":\"%s\"", sender);
  CHECK_CONTAINS(expected, fetched);
  segur_string_free(fetched);

  /* 4. Mark processed, twice (idempotent): no longer pending. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_mark_processed(mb, uid));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_mark_processed(mb, uid));
  char *pending = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mailbox_pending(mb, &pending));
  CHECK_CONTAINS("\"uids\":[]", pending);
  segur_string_free(pending);
  /* A UID that does not exist is an error and writes no output. */
  uint8_t *none = NULL;
  size_t none_len = 0;
  char *none_json = NULL;
  CHECK(segur_mss_mailbox_fetch(mb, 999999, &none, &none_len, &none_json) != SEGUR_RESULT_OK);
  CHECK(none == NULL && none_json == NULL);
  segur_mss_mailbox_free(mb);
  segur_mss_mailbox_free(NULL);

  /* 5. Acknowledge: build the MDN (read it), then send it. */
  uint8_t *mdn = NULL;
  size_t mdn_len = 0;
  char *summary = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_mdn_build(eml, eml_len, mdn_options, strlen(mdn_options),
                                                    &mdn, &mdn_len, &summary));
  snprintf(expected, sizeof expected, "\"to\":[\"%s\"]", sender);
  CHECK_CONTAINS(expected, summary);
  CHECK_CONTAINS("processed", summary);
  segur_string_free(summary);
  char *parsed = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_mss_parse(mdn, mdn_len, &parsed));
  snprintf(expected, sizeof expected, "\"original_message_id\":\"%s\"", message_id);
  CHECK_CONTAINS(expected, parsed);
  segur_string_free(parsed);
  segur_bytes_free(mdn, mdn_len);
  char *outcome = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_mss_mdn_send(smtp_conn, strlen(smtp_conn), recipient_creds, eml, eml_len,
                                  mdn_options, strlen(mdn_options), &outcome));
  CHECK_CONTAINS("\"status\":\"accepted\"", outcome);
  segur_string_free(outcome);
  segur_bytes_free(eml, eml_len);

  /* 6. An unknown CA: refused before any credential is sent, for SMTP and IMAP. */
  char *refused = NULL;
  segur_mss_credentials *rogue_sender = credentials(rogue, rogue_len, sender_token);
  CHECK_RESULT(SEGUR_RESULT_MSS_TLS_UNKNOWN_CA,
               segur_mss_send(smtp_conn, strlen(smtp_conn), rogue_sender, options,
                              strlen(options), xdm, xdm_len, &refused));
  CHECK(refused == NULL);
  segur_mss_credentials_free(rogue_sender);
  segur_mss_credentials *rogue_recipient = credentials(rogue, rogue_len, recipient_token);
  segur_mss_mailbox *rogue_mb = NULL;
  CHECK_RESULT(SEGUR_RESULT_MSS_TLS_UNKNOWN_CA,
               segur_mss_mailbox_new(imap_conn, strlen(imap_conn), rogue_recipient, &rogue_mb));
  segur_mss_credentials_free(rogue_recipient);
  CHECK(rogue_mb == NULL);
  /* The certificate names "localhost", not 127.0.0.1 (RFC 6125). */
  char ip_conn[256];
  snprintf(ip_conn, sizeof ip_conn, "{\"host\":\"127.0.0.1\",\"port\":%s,\"timeout_secs\":20}",
           submission_port);
  CHECK_RESULT(SEGUR_RESULT_MSS_TLS_NAME_MISMATCH,
               segur_mss_send(ip_conn, strlen(ip_conn), sender_creds, options, strlen(options),
                              xdm, xdm_len, &refused));
  CHECK(refused == NULL);

  /* 7. Discovery: SRV records in RFC 2782 order; "." is no service. */
  char *servers = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_mss_discover(S("example.fr"), resolver, strlen(resolver), 5000, &servers));
  CHECK_CONTAINS("\"submission\":[{\"host\":\"smtp-a.example.fr\",\"port\":587},"
                 "{\"host\":\"smtp-b.example.fr\",\"port\":587},"
                 "{\"host\":\"backup.example.fr\",\"port\":587}]",
                 servers);
  CHECK_CONTAINS("\"imap\":[]", servers);
  segur_string_free(servers);
  char *bad = NULL;
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_mss_discover(S("example.fr"), S("not an address"), 100, &bad));
  CHECK_RESULT(SEGUR_RESULT_INVALID_PARAMETER,
               segur_mss_discover(S("example.fr"), resolver, strlen(resolver), 0, &bad));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_mss_discover(NULL, 0, NULL, 0, 100, &bad));
  CHECK(bad == NULL);

  segur_mss_credentials_free(sender_creds);
  segur_mss_credentials_free(recipient_creds);
  segur_mss_credentials_free(NULL);
  free(roots);
  free(rogue);
  free(xdm);
  return check_summary("test_mail");
}
