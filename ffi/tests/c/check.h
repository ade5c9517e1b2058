/* Minimal assertion helpers shared by the C tests of libsegur. */
#ifndef SEGUR_TEST_CHECK_H
#define SEGUR_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "segur.h"

static int check_failures = 0;
static int check_passes = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (cond) {                                                                     \
      check_passes++;                                                               \
    } else {                                                                        \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);       \
    }                                                                               \
  } while (0)

#define CHECK_RESULT(expected, call)                                                \
  do {                                                                              \
    segur_result check_r_ = (call);                                                 \
    if (check_r_ == (expected)) {                                                   \
      check_passes++;                                                               \
    } else {                                                                        \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u\n", __FILE__,        \
              __LINE__, #call, (unsigned)check_r_, segur_result_name(check_r_),     \
              (unsigned)(expected));                                                \
    }                                                                               \
  } while (0)

#define CHECK_STR(expected, actual)                                                 \
  do {                                                                              \
    const char *check_a_ = (actual);                                                \
    if (check_a_ != NULL && strcmp((expected), check_a_) == 0) {                    \
      check_passes++;                                                               \
    } else {                                                                        \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: expected \"%s\", got \"%s\"\n", __FILE__, __LINE__,    \
              (expected), check_a_ ? check_a_ : "(null)");                          \
    }                                                                               \
  } while (0)

#define CHECK_CONTAINS(needle, haystack)                                            \
  do {                                                                              \
    const char *check_h_ = (haystack);                                              \
    if (check_h_ != NULL && strstr(check_h_, (needle)) != NULL) {                   \
      check_passes++;                                                               \
    } else {                                                                        \
      check_failures++;                                                             \
      fprintf(stderr, "%s:%d: \"%s\" not found in \"%s\"\n", __FILE__, __LINE__,     \
              (needle), check_h_ ? check_h_ : "(null)");                            \
    }                                                                               \
  } while (0)

/* Prints the totals in the suite's format and returns the exit status. */
static int check_summary(const char *name) {
  printf("%s: %d checks passed, %d failed\n", name, check_passes, check_failures);
  return check_failures == 0 ? 0 : 1;
}

#endif
