/* titles.c - item titles (u.item, movies.dat, movies.csv) and finding files in a dataset
 * directory. Titles are only displayed, never trained on. */
#define _GNU_SOURCE /* memmem, qsort_r */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal.h"

struct ar_titles {
    size_t n;
    int64_t *ids;             /* (n) item ids, ascending */
    char **titles;            /* (n) UTF-8 */
};

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

ar_status ar_titles_parse(const char *buf, size_t len, const char *name, ar_titles **out) {
    *out = NULL;
    if (!name) name = "(titles)";
    ar_status st = AR_OK;
    size_t lines = 1;
    for (size_t k = 0; k < len; k++) lines += buf[k] == '\n';
    ar_titles *t = calloc(1, sizeof *t);
    int *line_of = NULL;
    size_t *order = NULL;
    if (!t || !(t->ids = malloc(lines * sizeof *t->ids)) ||
        !(t->titles = calloc(lines, sizeof *t->titles)) ||
        !(line_of = malloc(lines * sizeof *line_of))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
        goto cleanup;
    }
    const char *p = buf, *end = buf + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;
    int kind = -1, line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        const char *s = p;
        p = nl ? nl + 1 : end;
        line++;
        size_t n_line = (size_t)(le - s);
        if (n_line && s[n_line - 1] == '\r') n_line--;
        le = s + n_line;
        if (memchr(s, 0, n_line)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte (binary data?)", name, line);
            goto cleanup;
        }
        const char *q = s;
        while (q < le && (*q == ' ' || *q == '\t')) q++;
        if (q == le) continue;
        if (kind < 0) {
            size_t n = (size_t)(le - s);
            if (n >= 13 && !strncasecmp(s, "movieId,title", 13)) {
                kind = T_CSV;
                continue; /* header */
            }
            kind = memmem(s, n, "::", 2) ? T_DAT : memchr(s, '|', n) ? T_UITEM : -2;
            if (kind == -2) {
                st = ar_fail(AR_ERR_PARSE, "%s:%d: not a titles file: expected u.item "
                             "('id|title|...'), movies.dat ('id::title::genres') or movies.csv "
                             "(header 'movieId,title,genres')", name, line);
                goto cleanup;
            }
        }
        const char *sep = kind == T_DAT ? memmem(s, (size_t)(le - s), "::", 2)
                                        : memchr(s, kind == T_UITEM ? '|' : ',', (size_t)(le - s));
        int64_t id;
        if (!sep || !parse_title_id(s, (size_t)(sep - s), &id)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: expected an item id (0..%lld) and a title "
                         "separated by '%s'", name, line, AR_MAX_ID,
                         kind == T_DAT ? "::" : kind == T_UITEM ? "|" : ",");
            goto cleanup;
        }
        const char *f = sep + (kind == T_DAT ? 2 : 1), *fe;
        char *title = NULL;
        if (kind == T_CSV) {
            fe = csv_field(f, le, &title);
            if (!fe) {
                st = ar_fail(AR_ERR_PARSE, "%s:%d: unterminated quoted title", name, line);
                goto cleanup;
            }
        } else {
            fe = kind == T_DAT ? memmem(f, (size_t)(le - f), "::", 2)
                               : memchr(f, '|', (size_t)(le - f));
            if (!fe) fe = le;
            title = utf8_copy(f, (size_t)(fe - f));
        }
        if (!title) {
            st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
            goto cleanup;
        }
        t->ids[t->n] = id;
        t->titles[t->n] = title;
        line_of[t->n] = line;
        t->n++;
    }
    if (t->n == 0) {
        st = ar_fail(AR_ERR_PARSE, "%s: no titles in the file", name);
        goto cleanup;
    }
    /* Sort by id (files are usually sorted already) and refuse a repeated id. */
    order = malloc(t->n * sizeof *order);
    int64_t *ids = malloc(t->n * sizeof *ids);
    char **titles = malloc(t->n * sizeof *titles);
    if (!order || !ids || !titles) {
        free(ids);
        free(titles);
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %s", name);
        goto cleanup;
    }
    for (size_t k = 0; k < t->n; k++) order[k] = k;
    qsort_r(order, t->n, sizeof *order, cmp_idx_by_id, t->ids);
    for (size_t k = 0; k < t->n; k++) {
        ids[k] = t->ids[order[k]];
        titles[k] = t->titles[order[k]];
    }
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
cleanup:
    free(line_of);
    free(order);
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

/* ---- finding files -------------------------------------------------------------------------- */

static int is_regular(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *const ratings_names[] = {"u.data", "ratings.dat", "ratings.csv"};

/* The first ratings file name present in dir, written to path; 0 when none. */
static int ratings_in(const char *dir, char *path, size_t len) {
    if (!path || !len) return 0;
    for (size_t k = 0; k < sizeof ratings_names / sizeof *ratings_names; k++) {
        int n = snprintf(path, len, "%s/%s", dir, ratings_names[k]);
        if (n > 0 && (size_t)n < len && is_regular(path)) return 1;
    }
    return 0;
}

ar_status ar_ratings_find(const char *dir, char *path, size_t path_len) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ar_fail(AR_ERR_IO, "%s: not a directory", dir);
    if (ratings_in(dir, path, path_len)) return AR_OK;
    /* A zip extracted as is: the files sit in its one subdirectory (ml-10M100K/, ...). */
    DIR *d = opendir(dir);
    int found = 0;
    char sub[4096], hit[4096];
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && ratings_in(sub, hit, sizeof hit)) {
                if (found++ == 0) snprintf(path, path_len, "%s", hit);
            }
        }
        closedir(d);
    }
    if (found == 1) return AR_OK;
    if (found > 1)
        return ar_fail(AR_ERR_IO, "%s: several subdirectories hold ratings files; give the "
                       "file itself", dir);
    return ar_fail(AR_ERR_IO, "%s: no ratings file: looked for u.data, ratings.dat and "
                   "ratings.csv in it and in its subdirectories", dir);
}

int ar_titles_find(const char *ratings_path, char *path, size_t path_len) {
    if (!path || !path_len) return 0;
    static const char *const names[] = {"u.item", "movies.dat", "movies.csv"};
    const char *slash = strrchr(ratings_path, '/');
    int dir_len = slash ? (int)(slash - ratings_path) : 1;
    const char *dir = slash ? ratings_path : ".";
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        int n = snprintf(path, path_len, "%.*s/%s", dir_len, dir, names[k]);
        if (n > 0 && (size_t)n < path_len && is_regular(path)) return 1;
    }
    return 0;
}
