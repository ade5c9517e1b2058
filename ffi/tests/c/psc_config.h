/* Helpers of the C tests that write a PSC proxy-client configuration: a file read whole, a text
 * appended as a JSON string. */
#ifndef SEGUR_TEST_PSC_CONFIG_H
#define SEGUR_TEST_PSC_CONFIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a whole file as a NUL-terminated string; NULL on failure. Free with free(). */
static inline char *read_text(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) return NULL;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 1 >= cap) {
      cap = cap ? cap * 2 : 4096;
      char *grown = realloc(buf, cap);
      if (grown == NULL) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = grown;
    }
    size_t n = fread(buf + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0) break;
  }
  fclose(f);
  buf[len] = '\0';
  return buf;
}

/* Appends `text` as a JSON string (quotes, backslash and line breaks escaped) to `out`. */
static inline void json_append(char *out, size_t size, const char *text) {
  size_t n = strlen(out);
  if (n + 1 < size) out[n++] = '"';
  for (const char *p = text; *p != '\0' && n + 3 < size; p++) {
    if (*p == '\n') {
      out[n++] = '\\';
      out[n++] = 'n';
    } else if (*p == '\r') {
      continue;
    } else if (*p == '"' || *p == '\\') {
      out[n++] = '\\';
      out[n++] = *p;
    } else {
      out[n++] = *p;
    }
  }
  if (n + 1 < size) out[n++] = '"';
  out[n] = '\0';
}

#endif
