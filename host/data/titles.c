/* titles.c - item titles: u.item, movies.dat or movies.csv read into a table sorted by item id,
 * and looked up by id. Titles are only displayed, never trained on. */
#define _GNU_SOURCE /* memmem, qsort_r */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "text.h"

struct ar_titles {
    size_t n;
    int64_t *ids;             /* (n) item ids, ascending */
    char **titles;            /* (n) UTF-8 */
};

/* The three layouts: u.item 'id|title|...', movies.dat 'id::title::genres', movies.csv
 * 'id,title,genres' (the title quoted when it holds a comma). */
enum { T_UITEM, T_DAT, T_CSV };

/* Returns 1 when s[0..n) is valid UTF-8. */
static int valid_utf8(const unsigned char *s, size_t n) {
    for (size_t k = 0; k < n;) {
        unsigned c = s[k];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (!len || k + len > n) return 0;
        if (len == 2 && c < 0xC2) return 0; /* overlong */
        for (size_t j = 1; j < len; j++)
            if ((s[k + j] & 0xC0) != 0x80) return 0;
        k += len;
    }
    return 1;
}

/* A NUL-terminated UTF-8 copy: kept as is when valid UTF-8, else read as Latin-1 (ML-100K's
 * u.item is Latin-1). Control characters become spaces. */
static char *utf8_copy(const char *s, size_t n) {
    int ok = valid_utf8((const unsigned char *)s, n);
    char *out = malloc(2 * n + 1), *o = out;
    if (!out) return NULL;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c < 0x20 || c == 0x7f) *o++ = ' ';
        else if (ok || c < 0x80) *o++ = (char)c;
        else {
            *o++ = (char)(0xC0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3F));
        }
    }
    *o = 0;
    return out;
}

/* Reads the title field of a movies.csv line: plain, or quoted with "" escapes. *title gets a
 * malloc'd copy; returns the field's end (at the ',' after it), or NULL when malformed. */
static const char *csv_field(const char *p, const char *end, char **title) {
    if (p < end && *p == '"') {
        char *buf = malloc((size_t)(end - p) + 1), *o = buf;
        if (!buf) return NULL;
        for (p++; p < end; p++) {
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') {
                    *o++ = '"';
                    p++;
                } else {
                    break;
                }
            } else {
                *o++ = *p;
            }
        }
        if (p == end) { /* no closing quote */
            free(buf);
            return NULL;
        }
        *title = utf8_copy(buf, (size_t)(o - buf));
        free(buf);
        return p + 1;
    }
    const char *q = p;
    while (q < end && *q != ',') q++;
    *title = utf8_copy(p, (size_t)(q - p));
    return q;
}

static int parse_title_id(const char *p, size_t n, int64_t *out) {
    if (n == 0 || n > 10) return 0;
    int64_t v = 0;
    for (size_t k = 0; k < n; k++) {
        if (p[k] < '0' || p[k] > '9') return 0;
        v = v * 10 + (p[k] - '0');
    }
    if (v > AR_MAX_ID) return 0;
    *out = v;
    return 1;
}

void ar_titles_free(ar_titles *t) {
    if (!t) return;
    for (size_t k = 0; k < t->n; k++) free(t->titles[k]);
    free(t->titles);
    free(t->ids);
    free(t);
}

static int cmp_idx_by_id(const void *a, const void *b, void *ids) {
    int64_t x = ((int64_t *)ids)[*(const size_t *)a], y = ((int64_t *)ids)[*(const size_t *)b];
    return (x > y) - (x < y);
}

/* The layout of a titles file from its first non-blank line s[0..n); -1 when it is none. */
static int titles_kind(const char *s, size_t n) {
    if (ar_starts_with_ci(s, n, "movieId,title")) return T_CSV; /* the header */
    return memmem(s, n, "::", 2) ? T_DAT : memchr(s, '|', n) ? T_UITEM : -1;
}

/* Reads line number `line`, s[0..le), of a file of the given kind: *id gets the item id and
 * *title a malloc'd UTF-8 copy of the title. */
static ar_status title_line(int kind, const char *s, const char *le, const char *name, int line,
                            int64_t *id, char **title) {
    const char *sep = kind == T_DAT ? memmem(s, (size_t)(le - s), "::", 2)
                                    : memchr(s, kind == T_UITEM ? '|' : ',', (size_t)(le - s));
    if (!sep || !parse_title_id(s, (size_t)(sep - s), id))
        return ar_fail(AR_ERR_PARSE, "%s:%d: expected an item id (0..%lld) and a title "
                       "separated by '%s'", name, line, AR_MAX_ID,
                       kind == T_DAT ? "::" : kind == T_UITEM ? "|" : ",");
    const char *f = sep + (kind == T_DAT ? 2 : 1), *fe;
    *title = NULL;
    if (kind == T_CSV) {
        fe = csv_field(f, le, title);
        if (!fe) return ar_fail(AR_ERR_PARSE, "%s:%d: unterminated quoted title", name, line);
    } else {
        fe = kind == T_DAT ? memmem(f, (size_t)(le - f), "::", 2)
                           : memchr(f, '|', (size_t)(le - f));
        if (!fe) fe = le;
        *title = utf8_copy(f, (size_t)(fe - f));
    }
    if (!*title) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
    return AR_OK;
}

/* Reads every line of buf into t (sized for one title a line); line_of[k] gets the line of
 * title k, for messages. */
static ar_status titles_read(ar_titles *t, int *line_of, const char *buf, size_t len,
                             const char *name) {
    const char *p = ar_skip_bom(buf, len), *end = buf + len;
    int kind = -1, line = 0;
    while (p < end) {
        size_t n;
        const char *s = ar_next_line(&p, end, &n), *le = s + n;
        line++;
        if (memchr(s, 0, n))
            return ar_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte (binary data?)", name, line);
        const char *q = s;
        while (q < le && ar_is_blank(*q)) q++;
        if (q == le) continue;
        if (kind < 0) {
            kind = titles_kind(s, n);
            if (kind == T_CSV) continue; /* the header */
            if (kind < 0)
                return ar_fail(AR_ERR_PARSE, "%s:%d: not a titles file: expected u.item "
                               "('id|title|...'), movies.dat ('id::title::genres') or movies.csv "
                               "(header 'movieId,title,genres')", name, line);
        }
        ar_status st = title_line(kind, s, le, name, line, &t->ids[t->n], &t->titles[t->n]);
        if (st != AR_OK) return st;
        line_of[t->n] = line;
        t->n++;
    }
    if (t->n == 0) return ar_fail(AR_ERR_PARSE, "%s: no titles in the file", name);
    return AR_OK;
}

/* Sorts t by id (files are usually sorted already) and refuses a repeated id, naming both
 * lines. t keeps the sorted arrays either way. */
static ar_status titles_sort(ar_titles *t, const int *line_of, const char *name) {
    size_t *order = malloc(t->n * sizeof *order);
    int64_t *ids = malloc(t->n * sizeof *ids);
    char **titles = malloc(t->n * sizeof *titles);
    if (!order || !ids || !titles) {
        free(order);
        free(ids);
        free(titles);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
    }
    for (size_t k = 0; k < t->n; k++) order[k] = k;
    qsort_r(order, t->n, sizeof *order, cmp_idx_by_id, t->ids);
    for (size_t k = 0; k < t->n; k++) {
        ids[k] = t->ids[order[k]];
        titles[k] = t->titles[order[k]];
    }
    ar_status st = AR_OK;
    for (size_t k = 1; k < t->n; k++)
        if (ids[k] == ids[k - 1]) {
            int a = line_of[order[k - 1]], b = line_of[order[k]];
            st = ar_fail(AR_ERR_PARSE, "%s:%d: item %lld already has a title (line %d)", name,
                         a > b ? a : b, (long long)ids[k], a > b ? b : a);
            break;
        }
    free(t->ids);
    free(t->titles);
    t->ids = ids;
    t->titles = titles;
    free(order);
    return st;
}

ar_status ar_titles_parse(const char *buf, size_t len, const char *name, ar_titles **out) {
    *out = NULL;
    if (!name) name = "(titles)";
    ar_status st = AR_OK;
    size_t lines = 1;
    for (size_t k = 0; k < len; k++) lines += buf[k] == '\n';
    ar_titles *t = calloc(1, sizeof *t);
    int *line_of = NULL;
    if (!t || !(t->ids = malloc(lines * sizeof *t->ids)) ||
        !(t->titles = calloc(lines, sizeof *t->titles)) ||
        !(line_of = malloc(lines * sizeof *line_of))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
        goto cleanup;
    }
    AR_TRY(titles_read(t, line_of, buf, len, name));
    AR_TRY(titles_sort(t, line_of, name));
cleanup:
    free(line_of);
    if (st != AR_OK) ar_titles_free(t);
    else *out = t;
    return st;
}

ar_status ar_titles_load(const char *path, ar_titles **out) {
    *out = NULL;
    char *buf;
    size_t len;
    ar_status st = ar_read_file(path, &buf, &len);
    if (st != AR_OK) return st;
    st = ar_titles_parse(buf, len, path, out);
    free(buf);
    return st;
}

size_t ar_titles_count(const ar_titles *t) { return t->n; }

const char *ar_titles_get(const ar_titles *t, int64_t item) {
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->ids[mid] < item) lo = mid + 1;
        else hi = mid;
    }
    return lo < t->n && t->ids[lo] == item ? t->titles[lo] : NULL;
}
