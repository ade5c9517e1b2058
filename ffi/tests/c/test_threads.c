/* Several threads call the API at once: stateless functions, one shared read-only normaliser
 * handle, and one identity handle per thread. Run under valgrind (helgrind-clean by design:
 * no shared mutable state) and AddressSanitizer. */
#include <pthread.h>
#include <stdint.h>

#include "check.h"

#define THREADS 8
#define ROUNDS 200

static const char TRAITS[] =
    "{\"birth_name\":\"Dupont\",\"given_names\":[\"Marie\"],\"sex\":\"F\","
    "\"birth_date\":\"1990-05-12\"}";

struct job {
  const segur_normalizer *norm;
  int failures;
};

static void *worker(void *arg) {
  struct job *job = arg;
  for (int i = 0; i < ROUNDS; i++) {
    char *m = NULL;
    if (segur_ins_matricule_check("180032B02040123", 15, &m) != SEGUR_RESULT_OK ||
        strcmp(m, "180032B02040123") != 0)
      job->failures++;
    segur_string_free(m);

    /* Errors and their per-thread detail do not leak between threads. */
    if (segur_ins_matricule_check("18003?B02040123", 15, &m) != SEGUR_RESULT_INS_INVALID_CHAR)
      job->failures++;
    char detail[128];
    size_t n = 0;
    if (segur_last_error_detail(detail, sizeof detail, &n) != SEGUR_RESULT_OK ||
        n != strlen("invalid character at position 6") ||
        memcmp(detail, "invalid character at position 6", n) != 0)
      job->failures++;

    char *name = NULL;
    if (segur_normalizer_name(job->norm, SEGUR_NAME_KIND_GIVEN_NAME, "j\xc3\xa9r\xc3\xb4me", 8,
                              &name) != SEGUR_RESULT_OK ||
        strcmp(name, "JEROME") != 0)
      job->failures++;
    segur_string_free(name);

    segur_identity *id = NULL;
    if (segur_identity_new(TRAITS, sizeof TRAITS - 1, SEGUR_IDENTITY_ATTRIBUTES_NONE, &id) !=
        SEGUR_RESULT_OK)
      job->failures++;
    if (segur_identity_record_document_check(id, "\"NationalIdCard\"", 16) != SEGUR_RESULT_OK)
      job->failures++;
    segur_identity_status st = 0;
    if (segur_identity_get_status(id, &st) != SEGUR_RESULT_OK || st != SEGUR_IDENTITY_STATUS_VALIDEE)
      job->failures++;
    segur_identity_free(id);
  }
  return NULL;
}

int main(void) {
  segur_normalizer *norm = NULL;
  CHECK_RESULT(SEGUR_RESULT_OK, segur_normalizer_new(0, &norm));
  pthread_t threads[THREADS];
  struct job jobs[THREADS];
  for (int i = 0; i < THREADS; i++) {
    jobs[i].norm = norm;
    jobs[i].failures = 0;
    CHECK(pthread_create(&threads[i], NULL, worker, &jobs[i]) == 0);
  }
  for (int i = 0; i < THREADS; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(jobs[i].failures == 0);
  }
  segur_normalizer_free(norm);
  return check_summary("test_threads");
}
