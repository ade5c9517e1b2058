/* The card functions of segur.h on a machine without PC/SC: the PC/SC library is loaded at run
 * time, and when it cannot be found every card call returns
 * SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING, the detail saying what to install. Run with
 * SEGUR_PCSC_LIBRARY naming a library that does not exist (scripts/test.d/50-ffi does).
 * Usage: SEGUR_PCSC_LIBRARY=/nonexistent/libpcsclite.so.1 test_no_pcsc */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* The detail of the last error, NUL-terminated, in `buf`. */
static const char *last_detail(char *buf, size_t len) {
  size_t n = 0;
  if (segur_last_error_detail(buf, len - 1, &n) != SEGUR_RESULT_OK || n >= len) {
    return NULL;
  }
  buf[n] = '\0';
  return buf;
}

static void check_detail(void) {
  char buf[1024];
  const char *d = last_detail(buf, sizeof buf);
  CHECK_CONTAINS(getenv("SEGUR_PCSC_LIBRARY"), d);
  CHECK_CONTAINS("apt install libpcsclite1 pcscd", d);
  CHECK_CONTAINS("pcsc-lite-libs", d);
}

int main(void) {
  const char *path = getenv("SEGUR_PCSC_LIBRARY");
  CHECK(path != NULL && path[0] != '\0');
  if (path == NULL) {
    return check_summary("test_no_pcsc");
  }

  char *json = NULL;
  CHECK_RESULT(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING, segur_card_list(&json));
  CHECK(json == NULL);
  check_detail();
  CHECK(segur_result_is_card_error(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING));
  char message[256];
  size_t message_len = 0;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_result_message(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING,
                                                     message, sizeof message - 1, &message_len));
  message[message_len < sizeof message ? message_len : 0] = '\0';
  CHECK_CONTAINS("libpcsclite1", message);
  CHECK_STR("CARD_PCSC_LIBRARY_MISSING",
            segur_result_name(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING));

  segur_cps_card *card = NULL;
  CHECK_RESULT(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING,
               segur_cps_card_open(S("Virtual PCD 00 00"), &card));
  CHECK(card == NULL);
  check_detail();

  segur_vitale_card *vitale = NULL;
  CHECK_RESULT(SEGUR_RESULT_CARD_PCSC_LIBRARY_MISSING,
               segur_vitale_card_open(S("Virtual PCD 00 00"), &vitale));
  CHECK(vitale == NULL);
  check_detail();

  return check_summary("test_no_pcsc");
}
