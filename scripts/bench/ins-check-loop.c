/*
 * The reference for `segur ins check --file`: a tight C loop doing the same checks on the same
 * file format, written as a C programmer would for speed (one 256 KiB read() at a time, memchr
 * for line breaks, one 64 KiB output buffer, no allocation per line).
 *
 * Input, as `segur ins check --file` reads it: lines ended by LF or CRLF (every trailing CR or
 * LF dropped), blank lines skipped, a line of more than 4096 bytes reported
 * `ERR - line-too-long` and skipped.
 *
 * Checks, as segur-ins's canonical path (ins/src/matricule.rs): 15 characters, all ASCII
 * digits except a department letter A/B (any case, stored upper case) at position 7 after a `2`;
 * sex digit 1 or 2 (3/4: sex-3-4, 5/6: mig, 7/8: nnp, else sex-digit); order number not 000;
 * key 01..=97 and equal to 97 - (N mod 97) with 2A -> 19, 2B -> 18 (décret 82-103, art. 4).
 * Output: `OK <15 characters>` or `ERR <line> <code>`, the codes of segur-ins.
 *
 * Other forms (separators, 13 characters, letters elsewhere), which segur parses on its general
 * path, are reported `ERR <line> not-canonical`: the benchmark file holds canonical lines only,
 * and scripts/bench/ins-check-vs-c checks that both outputs are identical byte for byte.
 *
 * Build: cc -O2 -o ins-check-loop ins-check-loop.c      Run: ./ins-check-loop FILE > out.txt
 * Exit status: 0 when every line is valid, 1 otherwise, 2 on a read or write error.
 */
#define _GNU_SOURCE /* memrchr */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BLOCK (1 << 18)
#define MAX_LINE 4096
#define OUT_CAP (1 << 16)

static unsigned char in_buf[BLOCK];
static unsigned char out_buf[OUT_CAP];
static size_t out_len;
static int failed_io;

static void out_flush(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t w = write(1, out_buf + done, out_len - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            failed_io = 1;
            break;
        }
        done += (size_t)w;
    }
    out_len = 0;
}

static void out_put(const void *p, size_t n) {
    if (out_len + n > OUT_CAP) out_flush();
    memcpy(out_buf + out_len, p, n);
    out_len += n;
}

static void out_err(const unsigned char *line, size_t n, const char *code) {
    static const char hex[] = "0123456789abcdef";
    out_put("ERR ", 4);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = line[i];
        if (c < 0x20 || c >= 0x7f) {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            out_put(esc, 4);
        } else {
            out_put(&c, 1);
        }
    }
    out_put(" ", 1);
    out_put(code, strlen(code));
    out_put("\n", 1);
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Checks one line (without its line break); returns 1 when valid. */
static int check_line(const unsigned char *l, size_t n) {
    if (n != 15) {
        out_err(l, n, "not-canonical");
        return 0;
    }
    unsigned char canon[15];
    memcpy(canon, l, 15);
    uint64_t num = 0;
    for (int i = 0; i < 13; i++) {
        unsigned char c = l[i];
        unsigned digit;
        if (is_digit(c)) {
            digit = c - '0';
        } else if (i == 6 && l[5] == '2' && ((c | 0x20) == 'a' || (c | 0x20) == 'b')) {
            canon[6] = c & ~0x20;
            /* 2A -> 19, 2B -> 18: the '2' already counted becomes '1'. */
            num -= 1;
            digit = canon[6] == 'A' ? 9 : 8;
        } else {
            out_err(l, n, "not-canonical");
            return 0;
        }
        num = num * 10 + digit;
    }
    if (!is_digit(l[13]) || !is_digit(l[14])) {
        out_err(l, n, "not-canonical");
        return 0;
    }
    const char *err = NULL;
    switch (l[0]) {
    case '1': case '2': break;
    case '3': case '4': err = "sex-3-4"; break;
    case '5': case '6': err = "mig"; break;
    case '7': case '8': err = "nnp"; break;
    default: err = "sex-digit"; break;
    }
    if (!err && l[10] == '0' && l[11] == '0' && l[12] == '0') err = "order-000";
    if (!err) {
        unsigned found = (unsigned)(l[13] - '0') * 10 + (unsigned)(l[14] - '0');
        unsigned expected = 97 - (unsigned)(num % 97);
        if (found == 0 || found > 97) err = "key-out-of-range";
        else if (found != expected) err = "key-mismatch";
    }
    if (err) {
        out_err(l, n, err);
        return 0;
    }
    unsigned char ok[19] = {'O', 'K', ' '};
    memcpy(ok + 3, canon, 15);
    ok[18] = '\n';
    out_put(ok, 19);
    return 1;
}

/* One line as read (without its LF): drop trailing CR/LF, skip blank lines, bound the length. */
static int handle_line(const unsigned char *l, size_t n) {
    if (n > MAX_LINE) {
        out_put("ERR - line-too-long\n", 20);
        return 0;
    }
    while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == '\n')) n--;
    if (n == 0) return 1;
    return check_line(l, n);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 2;
    }
    int all_ok = 1, skipping = 0;
    size_t end = 0;
    for (;;) {
        ssize_t r = read(fd, in_buf + end, BLOCK - end);
        if (r < 0) {
            if (errno == EINTR) continue;
            perror(argv[1]);
            return 2;
        }
        int eof = r == 0;
        end += (size_t)r;
        size_t from = 0;
        if (skipping) {
            unsigned char *nl = memchr(in_buf, '\n', end);
            if (nl) {
                skipping = 0;
                from = (size_t)(nl - in_buf) + 1;
            } else {
                from = end;
            }
        }
        size_t complete = end;
        if (!eof) {
            unsigned char *last = memrchr(in_buf + from, '\n', end - from);
            complete = last ? (size_t)(last - in_buf) + 1 : from;
        }
        size_t pos = from;
        while (pos < complete) {
            unsigned char *nl = memchr(in_buf + pos, '\n', complete - pos);
            size_t line_end = nl ? (size_t)(nl - in_buf) : complete;
            all_ok &= handle_line(in_buf + pos, line_end - pos);
            pos = line_end + 1;
        }
        if (eof) break;
        size_t tail = end - complete;
        if (tail > MAX_LINE) {
            out_put("ERR - line-too-long\n", 20);
            all_ok = 0;
            skipping = 1;
            end = 0;
        } else {
            memmove(in_buf, in_buf + complete, tail);
            end = tail;
        }
    }
    out_flush();
    if (failed_io) return 2;
    return all_ok ? 0 : 1;
}
