/* Exercises the access-security functions of segur.h from C: a database and key file made by
 * segur_access_init, accounts, TOTP enrolment (the codes are computed here with an independent
 * SHA-1 / HMAC / RFC 6238 implementation from the otpauth:// URI), login, permission checks,
 * lock and unlock, replayed codes, logout, the audit trail (verify and export), every error
 * family of the API, NULL arguments and ownership (secrets freed with segur_access_secret_free,
 * strings with segur_string_free).
 * Usage: test_access */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#ifdef _WIN32
#include <direct.h>
#include <errno.h>
#include <io.h>
#include <process.h>
#else
#include <unistd.h>
#endif

#include "check.h"

/* A fresh private directory for the database and key file: mkdtemp on POSIX; the Windows C
 * runtime has none, so %TEMP%\segur-access-<pid>-<n>, created with _mkdir, which fails when the
 * name exists (scripts/test.d/55-ffi-windows runs this program under Wine). */
static bool make_temp_dir(char *dir, size_t size) {
#ifdef _WIN32
  const char *base = getenv("TEMP");
  if (base == NULL) base = ".";
  for (unsigned n = 0; n < 100; n++) {
    snprintf(dir, size, "%s\\segur-access-%d-%u", base, _getpid(), n);
    if (_mkdir(dir) == 0) return true;
    if (errno != EEXIST) return false;
  }
  return false;
#else
  snprintf(dir, size, "/tmp/segur-access-XXXXXX");
  return mkdtemp(dir) != NULL;
#endif
}

#ifdef _WIN32
#define unlink _unlink
#define rmdir _rmdir
#endif

#define S(lit) (lit), (sizeof(lit) - 1)
#define STR(s) (s), strlen(s)

/* ---- SHA-1 (FIPS 180-4) and HMAC (RFC 2104), only for this test --------------------------- */
typedef struct { uint32_t h[5]; uint8_t block[64]; size_t used; uint64_t bits; } sha1_ctx;

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(sha1_ctx *c) {
  uint32_t w[80], a = c->h[0], b = c->h[1], d3 = c->h[2], d = c->h[3], e = c->h[4];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)c->block[4 * i] << 24 | (uint32_t)c->block[4 * i + 1] << 16 |
           (uint32_t)c->block[4 * i + 2] << 8 | c->block[4 * i + 3];
  for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  for (int i = 0; i < 80; i++) {
    uint32_t f, k;
    if (i < 20) { f = (b & d3) | (~b & d); k = 0x5A827999; }
    else if (i < 40) { f = b ^ d3 ^ d; k = 0x6ED9EBA1; }
    else if (i < 60) { f = (b & d3) | (b & d) | (d3 & d); k = 0x8F1BBCDC; }
    else { f = b ^ d3 ^ d; k = 0xCA62C1D6; }
    uint32_t t = rol(a, 5) + f + e + k + w[i];
    e = d; d = d3; d3 = rol(b, 30); b = a; a = t;
  }
  c->h[0] += a; c->h[1] += b; c->h[2] += d3; c->h[3] += d; c->h[4] += e;
  c->used = 0;
}

static void sha1_init(sha1_ctx *c) {
  static const uint32_t iv[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  memcpy(c->h, iv, sizeof iv);
  c->used = 0;
  c->bits = 0;
}

static void sha1_update(sha1_ctx *c, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    c->block[c->used++] = p[i];
    c->bits += 8;
    if (c->used == 64) sha1_block(c);
  }
}

static void sha1_final(sha1_ctx *c, uint8_t out[20]) {
  uint64_t bits = c->bits;
  uint8_t pad = 0x80, zero = 0;
  sha1_update(c, &pad, 1);
  while (c->used != 56) sha1_update(c, &zero, 1);
  for (int i = 7; i >= 0; i--) { uint8_t b = (uint8_t)(bits >> (8 * i)); sha1_update(c, &b, 1); }
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (uint8_t)(c->h[i] >> 24); out[4 * i + 1] = (uint8_t)(c->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(c->h[i] >> 8); out[4 * i + 3] = (uint8_t)c->h[i];
  }
}

static void hmac_sha1(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t n,
                      uint8_t out[20]) {
  uint8_t k[64] = {0}, ipad[64], opad[64], inner[20];
  memcpy(k, key, key_len); /* keys here are 20 bytes, shorter than a block */
  for (int i = 0; i < 64; i++) { ipad[i] = k[i] ^ 0x36; opad[i] = k[i] ^ 0x5c; }
  sha1_ctx c;
  sha1_init(&c); sha1_update(&c, ipad, 64); sha1_update(&c, msg, n); sha1_final(&c, inner);
  sha1_init(&c); sha1_update(&c, opad, 64); sha1_update(&c, inner, 20); sha1_final(&c, out);
}

/* RFC 6238 code for `step`, 6 digits, into `out` (7 bytes). */
static void totp_code(const uint8_t *key, size_t key_len, uint64_t step, char out[7]) {
  uint8_t msg[8], mac[20];
  for (int i = 7; i >= 0; i--) { msg[i] = (uint8_t)step; step >>= 8; }
  hmac_sha1(key, key_len, msg, 8, mac);
  int off = mac[19] & 0x0f;
  uint32_t v = ((uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
                (uint32_t)mac[off + 2] << 8 | mac[off + 3]) % 1000000u;
  snprintf(out, 7, "%06u", (unsigned)v);
}

/* Base32 (RFC 4648, no padding) of the `secret=` parameter of an otpauth:// URI. */
static size_t secret_of(const char *uri, uint8_t *out, size_t cap) {
  const char *p = strstr(uri, "secret=");
  if (!p) return 0;
  p += 7;
  uint32_t acc = 0;
  int nbits = 0;
  size_t n = 0;
  for (; *p && *p != '&'; p++) {
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const char *at = strchr(alpha, *p);
    if (!at) return 0;
    acc = (acc << 5) | (uint32_t)(at - alpha);
    nbits += 5;
    if (nbits >= 8 && n < cap) { out[n++] = (uint8_t)(acc >> (nbits - 8)); nbits -= 8; }
  }
  return n;
}

static bool rfc6238_vector_holds(void) {
  /* RFC 6238 Appendix B, SHA-1, T = 59 s: 94287082 (8 digits) -> 287082 with 6. */
  char code[7];
  totp_code((const uint8_t *)"12345678901234567890", 20, 59 / 30, code);
  return strcmp(code, "287082") == 0;
}

static char *detail(void) {
  static char buf[512];
  size_t n = 0;
  if (segur_last_error_detail(buf, sizeof buf - 1, &n) != SEGUR_RESULT_OK) n = 0;
  buf[n] = 0;
  return buf;
}

static const char PW[] = "Correct-Horse-Battery-9";
static const char CHEAP[] = "{\"argon2\":{\"memory_kib\":1024,\"iterations\":1,\"parallelism\":1}}";

int main(void) {
  CHECK(rfc6238_vector_holds());

  char dir[200];
  CHECK(make_temp_dir(dir, sizeof dir));
  char db[256], key[256];
  snprintf(db, sizeof db, "%s/officine.db", dir);
  snprintf(key, sizeof key, "%s/officine.key", dir);

  segur_access *a = NULL;
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER,
               segur_access_init(STR(db), STR(key), NULL, 0, S(CHEAP), NULL));
  CHECK_RESULT(SEGUR_RESULT_INVALID_JSON,
               segur_access_init(STR(db), STR(key), NULL, 0, S("{\"argon3\":{}}"), &a));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_POLICY,
               segur_access_init(STR(db), STR(key), S("[roles"), S(CHEAP), &a));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_init(STR(db), STR(key), NULL, 0, S(CHEAP), &a));
  CHECK(a != NULL);
  struct stat st;
#ifdef _WIN32
  /* Windows has no mode bits: the key file gets the ACL its folder passes on (segur-access sets
   * none of its own, see ffi/WINDOWS.md), so only its 32 bytes are checked here. */
  CHECK(stat(key, &st) == 0 && st.st_size == 32);
#else
  CHECK(stat(key, &st) == 0 && (st.st_mode & 0777) == 0600);
#endif
  segur_access *again = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_ALREADY_INITIALISED,
               segur_access_init(STR(db), STR(key), NULL, 0, S(CHEAP), &again));
  CHECK(again == NULL);

  /* Accounts. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_user_add(a, S("marie"), S("titulaire"), S(PW)));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_user_add(a, S("luc"), S("preparateur"), S(PW)));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_USER_EXISTS,
               segur_access_user_add(a, S("luc"), S("adjoint"), S(PW)));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_UNKNOWN_ROLE,
               segur_access_user_add(a, S("x"), S("chef"), S(PW)));
  CHECK_CONTAINS("chef", detail());
  CHECK_RESULT(SEGUR_RESULT_ACCESS_PASSWORD_RULE,
               segur_access_user_add(a, S("y"), S("adjoint"), S("short")));
  CHECK_CONTAINS("at least 12", detail());
  CHECK_RESULT(SEGUR_RESULT_ACCESS_USER_NAME,
               segur_access_user_add(a, S(" z"), S("adjoint"), S(PW)));
  CHECK_RESULT(SEGUR_RESULT_INVALID_UTF8,
               segur_access_user_add(a, S("\xff"), S("adjoint"), S(PW)));

  /* TOTP enrolment. */
  char *uri = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_NO_SUCH_USER, segur_access_totp_enroll(a, S("nobody"), &uri));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_totp_enroll(a, S("marie"), &uri));
  CHECK_CONTAINS("otpauth://totp/segur:marie?secret=", uri);
  CHECK_CONTAINS("&algorithm=SHA1&digits=6&period=30", uri);
  uint8_t secret[64];
  size_t secret_len = secret_of(uri, secret, sizeof secret);
  CHECK(secret_len == 20);
  segur_access_secret_free(uri);
  segur_access_secret_free(NULL);
  char *luc_uri = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_totp_enroll(a, S("luc"), &luc_uri));
  uint8_t luc_secret[64];
  size_t luc_len = secret_of(luc_uri, luc_secret, sizeof luc_secret);
  segur_access_secret_free(luc_uri);

  /* Login. */
  char code[7];
  totp_code(secret, secret_len, (uint64_t)time(NULL) / 30, code);
  char *session = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_BAD_CREDENTIALS,
               segur_access_login(a, S("marie"), S("wrong password 42"), STR(code), S("c1"),
                                  &session));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_BAD_CREDENTIALS,
               segur_access_login(a, S("nobody"), S(PW), STR(code), S("c1"), &session));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_SECOND_FACTOR,
               segur_access_login(a, S("marie"), S(PW), S("12345"), S("c1"), &session));
  CHECK_CONTAINS("6 digits", detail());
  CHECK(session == NULL);
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_access_login(a, S("marie"), S(PW), STR(code), S("c1"), &session));
  CHECK(session != NULL && strlen(session) == 64);
  char *replayed = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_SECOND_FACTOR,
               segur_access_login(a, S("marie"), S(PW), STR(code), S("c2"), &replayed));
  CHECK_CONTAINS("already used", detail());
  char luc_code[7];
  totp_code(luc_secret, luc_len, (uint64_t)time(NULL) / 30, luc_code);
  char *luc = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK,
               segur_access_login(a, S("luc"), S(PW), STR(luc_code), S("c1"), &luc));

  /* Checks. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_check(a, STR(session), S("dispense.validate")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_check(a, STR(luc), S("dispense")));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_DENIED, segur_access_check(a, STR(luc), S("dispense.validate")));
  CHECK_CONTAINS("preparateur", detail());
  CHECK_RESULT(SEGUR_RESULT_ACCESS_UNKNOWN_PERMISSION,
               segur_access_check(a, STR(session), S("dmp.delete")));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_UNKNOWN_SESSION, segur_access_check(a, S("abc"), S("dispense")));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_UNKNOWN_SESSION,
               segur_access_check(a, S("0000000000000000000000000000000000000000000000000000000000000000"),
                                  S("dispense")));
  CHECK_RESULT(SEGUR_RESULT_NULL_PARAMETER, segur_access_check(NULL, STR(session), S("dispense")));

  /* Quick switch: lock, unlock with the password alone. */
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_lock(a, STR(session)));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_SESSION_LOCKED, segur_access_check(a, STR(session), S("dispense")));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_BAD_CREDENTIALS,
               segur_access_unlock(a, STR(session), S("not the password 1")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_unlock(a, STR(session), S(PW)));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_check(a, STR(session), S("dispense")));
  /* Re-authentication with an already used code is refused. */
  CHECK_RESULT(SEGUR_RESULT_ACCESS_SECOND_FACTOR,
               segur_access_reauthenticate(a, STR(session), S(PW), STR(code)));

  /* A second handle on the same database sees the session (another process would too). */
  segur_access *b = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_KEY,
               segur_access_open(STR(db), S("/nonexistent/key"), NULL, 0, &b));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_open(STR(db), STR(key), S(CHEAP), &b));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_check(b, STR(session), S("users.manage")));
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_logout(b, STR(session)));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_SESSION_CLOSED, segur_access_check(a, STR(session), S("dispense")));
  segur_access_free(b);
  segur_access_secret_free(session);
  segur_access_secret_free(luc);

  /* The trail. */
  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_audit_verify(STR(db), &json));
  CHECK_CONTAINS("\"entries\":", json);
  segur_string_free(json);
  char *lines = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_access_audit_export(STR(db), &lines));
  CHECK_CONTAINS("\"kind\":\"login_succeeded\"", lines);
  CHECK_CONTAINS("\"outcome\":\"denied\"", lines);
  CHECK(strstr(lines, PW) == NULL);
  segur_string_free(lines);
  char missing[300];
  snprintf(missing, sizeof missing, "%s/missing.db", dir);
  CHECK_RESULT(SEGUR_RESULT_ACCESS_AUDIT, segur_access_audit_verify(STR(missing), &json));
  CHECK_RESULT(SEGUR_RESULT_ACCESS_AUDIT, segur_access_audit_export(STR(missing), &lines));
  segur_access *none = NULL;
  CHECK_RESULT(SEGUR_RESULT_ACCESS_NOT_INITIALISED,
               segur_access_open(STR(missing), STR(key), NULL, 0, &none));

  segur_access_free(a);
  segur_access_free(NULL);

  char path[300];
  const char *suffixes[] = {"", "-wal", "-shm"};
  for (int i = 0; i < 3; i++) { snprintf(path, sizeof path, "%s%s", db, suffixes[i]); unlink(path); }
  unlink(key);
  rmdir(dir);
  return check_summary("test_access");
}
