/* text.h - reading text a line at a time, shared by the ratings parser (parse*.c) and the
 * titles parser (titles.c); private to host/data/, not installed.
 *
 * Static inline: the ratings parser calls these once per line of files of 10^8 lines, from its
 * hot loop (parse_line.c), so they must inline there. */
#ifndef AR_TEXT_H
#define AR_TEXT_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

static inline int ar_is_blank(char c) { return c == ' ' || c == '\t'; }

/* Past a UTF-8 byte-order mark at the start of buf[0..len), if there is one. */
static inline const char *ar_skip_bom(const char *buf, size_t len) {
    return len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? buf + 3 : buf;
}

/* The line at *p (p < end): returns its start and sets *n to its length without the '\n' and
 * one '\r' before it (Windows line ends); *p moves to the next line (end after the last). */
static inline const char *ar_next_line(const char **p, const char *end, size_t *n) {
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    *n = (size_t)((nl ? nl : end) - s);
    *p = nl ? nl + 1 : end;
    if (*n && s[*n - 1] == '\r') (*n)--;
    return s;
}

/* Whether s[0..n) holds only blanks and carriage returns (a blank line of a ratings file). */
static inline int ar_blank_line(const char *s, size_t n) {
    size_t k = 0;
    while (k < n && (ar_is_blank(s[k]) || s[k] == '\r')) k++;
    return k == n;
}

/* Whether s[0..n) starts with pre, ignoring ASCII case. */
static inline int ar_starts_with_ci(const char *s, size_t n, const char *pre) {
    size_t m = strlen(pre);
    return n >= m && !strncasecmp(s, pre, m);
}

#endif /* AR_TEXT_H */
