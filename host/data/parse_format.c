/* parse_format.c - what a ratings file is: format names, the format detected from the first
 * line, the rating scale, and a CSV file's columns and header; everything the parser decides
 * before the first data line (ar_parse_preamble). The lines themselves: parse_line.c. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "parse.h"
#include "text.h"

/* ---- names ---------------------------------------------------------------------------------- */

const char *ar_format_name(ar_format f) {
    switch (f) {
    case AR_FORMAT_AUTO: return "auto";
    case AR_FORMAT_TAB: return "tab";
    case AR_FORMAT_DAT: return "dat";
    case AR_FORMAT_ML_CSV: return "ml-csv";
    case AR_FORMAT_CSV: return "csv";
    }
    return "unknown";
}

ar_status ar_format_parse(const char *name, ar_format *out) {
    static const struct { const char *name; ar_format f; } names[] = {
        {"auto", AR_FORMAT_AUTO},    {"tab", AR_FORMAT_TAB},        {"tsv", AR_FORMAT_TAB},
        {"u.data", AR_FORMAT_TAB},   {"dat", AR_FORMAT_DAT},        {"ratings.dat", AR_FORMAT_DAT},
        {"ml-csv", AR_FORMAT_ML_CSV}, {"ratings.csv", AR_FORMAT_ML_CSV}, {"csv", AR_FORMAT_CSV},
    };
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        if (name && !strcasecmp(name, names[k].name)) {
            *out = names[k].f;
            return AR_OK;
        }
    return ar_fail(AR_ERR_INVALID_ARG, "unknown format '%s': expected auto, tab, dat, ml-csv "
                   "or csv", name ? name : "(null)");
}

/* ---- detection ------------------------------------------------------------------------------ */

/* A header line names its columns: none of its fields is a number. */
static int no_numbers(const field *f, int nf) {
    float v;
    for (int k = 0; k < nf; k++)
        if (ar_parse_rating(f[k], &v)) return 0;
    return 1;
}

static char detect_delim(const char *s, size_t n) {
    static const char cands[] = {',', ';', '|', '\t'};
    for (size_t k = 0; k < sizeof cands; k++)
        if (memchr(s, cands[k], n)) return cands[k];
    return 0;
}

/* The format of a file whose first non-blank line is s[0..n). */
static ar_format detect_format(const char *s, size_t n, char *delim) {
    *delim = 0;
    if (memmem(s, n, "::", 2)) return AR_FORMAT_DAT;
    if (ar_starts_with_ci(s, n, "userId,movieId,rating")) return AR_FORMAT_ML_CSV;
    char d = detect_delim(s, n);
    if (d && d != '\t') {
        *delim = d;
        return AR_FORMAT_CSV;
    }
    /* Tabs or spaces: u.data, unless the first line is a header (then columns come from it). */
    parser tmp = {.fmt = AR_FORMAT_TAB};
    field f[MAX_FIELDS];
    int nf = ar_parse_split(&tmp, s, n, f);
    if (d == '\t' && nf <= MAX_FIELDS && no_numbers(f, nf)) {
        *delim = '\t';
        return AR_FORMAT_CSV;
    }
    return AR_FORMAT_TAB;
}

/* ---- CSV columns ---------------------------------------------------------------------------- */

/* The role a header name gives its column. */
static int header_role(field f) {
    static const char *users[] = {"user", "userid", "user_id", "uid", "user id", "users"};
    static const char *items[] = {"item", "itemid", "item_id", "movie", "movieid", "movie_id",
                                  "iid", "item id", "movie id", "items", "book_id", "isbn"};
    static const char *ratings[] = {"rating", "ratings", "score", "stars", "value",
                                    "book_rating", "book-rating"};
    static const char *times[] = {"timestamp", "time", "date", "ts"};
#define MATCH(list, role)                                                                      \
    for (size_t k = 0; k < sizeof list / sizeof *list; k++)                                    \
        if (f.n == strlen(list[k]) && !strncasecmp(f.p, list[k], f.n)) return role;
    MATCH(users, ROLE_USER)
    MATCH(items, ROLE_ITEM)
    MATCH(ratings, ROLE_RATING)
    MATCH(times, ROLE_TIME)
#undef MATCH
    return ROLE_SKIP;
}

const char *ar_column_role(const char *name) {
    static const char *const names[] = {[ROLE_USER] = "user", [ROLE_ITEM] = "item",
                                        [ROLE_RATING] = "rating", [ROLE_TIME] = "timestamp"};
    if (!name) return NULL;
    int role = header_role((field){name, strlen(name)});
    return role == ROLE_SKIP ? NULL : names[role];
}

/* Sets the CSV roles from ar_load_options.columns. */
static ar_status roles_from_spec(parser *ps, const char *spec) {
    int n = 0;
    const char *p = spec;
    memset(ps->role, 0, sizeof ps->role);
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        field f = ar_parse_trim(p, len);
        if (n == MAX_FIELDS)
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns '%s': more than %d "
                           "columns", spec, MAX_FIELDS);
        int role = ROLE_SKIP;
        if (f.n == 4 && !strncasecmp(f.p, "user", 4)) role = ROLE_USER;
        else if (f.n == 4 && !strncasecmp(f.p, "item", 4)) role = ROLE_ITEM;
        else if (f.n == 6 && !strncasecmp(f.p, "rating", 6)) role = ROLE_RATING;
        ps->role[n++] = role;
        if (!q) break;
        p = q + 1;
    }
    ps->n_cols = n;
    return AR_OK;
}

/* Finds the user, item and rating columns in ps->role; all three exactly once. */
static int roles_complete(parser *ps, int n) {
    int cu = -1, ci = -1, cr = -1;
    for (int k = 0; k < n; k++) {
        int *c = ps->role[k] == ROLE_USER ? &cu : ps->role[k] == ROLE_ITEM ? &ci
                 : ps->role[k] == ROLE_RATING ? &cr : NULL;
        if (!c) continue;
        if (*c >= 0) return 0;
        *c = k;
    }
    ps->c_user = cu;
    ps->c_item = ci;
    ps->c_rating = cr;
    return cu >= 0 && ci >= 0 && cr >= 0;
}

/* Whether field c of the line (if it has one) is a number. */
static int numeric_at(const field *f, int nf, int c) {
    float v;
    return c >= 0 && c < nf && ar_parse_rating(f[c], &v);
}

/* Fixes the CSV columns from ar_load_options.columns, else from a header line naming them, else
 * user,item,rating; *header tells whether the line s[0..n) is a header (to be read past). */
static ar_status csv_setup(parser *ps, const char *s, size_t n, const ar_load_options *o,
                           int *header) {
    if (!ps->delim) ps->delim = detect_delim(s, n);
    if (!ps->delim)
        return ar_fail(AR_ERR_PARSE, "%s:%d: no field separator (',' ';' '|' or tab) on the "
                       "first line; set ar_load_options.format to tab for space-separated "
                       "files", ps->name, ps->line);
    field f[MAX_FIELDS];
    int nf = ar_parse_split(ps, s, n, f);
    if (nf > MAX_FIELDS)
        return ar_fail(AR_ERR_PARSE, "%s:%d: more than %d columns", ps->name, ps->line,
                       MAX_FIELDS);
    if (nf < 0)
        return ar_fail(AR_ERR_PARSE, "%s:%d: %s", ps->name, ps->line, nf == SPLIT_UNCLOSED
                       ? "a quoted field is not closed on its line"
                       : "text after a quoted field's closing quote");
    if (o->columns) {
        ar_status st = roles_from_spec(ps, o->columns);
        if (st != AR_OK) return st;
        if (!roles_complete(ps, ps->n_cols))
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns '%s' must name each "
                           "of user, item and rating once", o->columns);
        if (nf != ps->n_cols)
            return ar_fail(AR_ERR_PARSE, "%s:%d: ar_load_options.columns names %d columns but "
                           "the line has %d", ps->name, ps->line, ps->n_cols, nf);
    } else {
        memset(ps->role, 0, sizeof ps->role);
        ps->role[0] = ROLE_USER, ps->role[1] = ROLE_ITEM, ps->role[2] = ROLE_RATING;
        ps->n_cols = nf;
        roles_complete(ps, nf);
    }
    *header = !numeric_at(f, nf, ps->c_user) && !numeric_at(f, nf, ps->c_item) &&
              !numeric_at(f, nf, ps->c_rating);
    if (o->columns) return AR_OK;
    if (*header) {
        for (int k = 0; k < nf; k++) ps->role[k] = header_role(f[k]);
        if (!roles_complete(ps, nf))
            return ar_fail(AR_ERR_PARSE, "%s:%d: the first line is not numeric and, as a "
                           "header, does not name one user, one item and one rating column; "
                           "give the columns' roles in ar_load_options.columns, e.g. "
                           "user,item,rating,timestamp", ps->name, ps->line);
        return AR_OK;
    }
    if (nf < 3)
        return ar_fail(AR_ERR_PARSE, "%s:%d: expected at least 3 fields 'user%citem%crating', "
                       "found %d", ps->name, ps->line, ps->delim, ps->delim, nf);
    return AR_OK;
}

/* Whether the line at p holds a NUL byte in its first 4 KiB: binary data, seen without looking
 * for the end of a line that may be as long as the file (a sparse file of zeros, say). */
static int binary_start(const char *p, const char *end) {
    size_t look = (size_t)(end - p) < 4096 ? (size_t)(end - p) : 4096;
    const char *z = memchr(p, 0, look);
    return z && !memchr(p, '\n', (size_t)(z - p));
}

/* ---- the preamble --------------------------------------------------------------------------- */

/* The accepted rating range: MovieLens's scale for its own formats, else a sanity bound only;
 * ar_load_options.rating_min/max override either. */
static void set_scale(parser *ps, const ar_load_options *o) {
    if (ps->fmt == AR_FORMAT_DAT || ps->fmt == AR_FORMAT_ML_CSV) {
        ps->lo = 0.5f, ps->hi = 5.0f; /* every MovieLens release in these formats */
    } else {
        ps->lo = -ABS_RATING_MAX, ps->hi = ABS_RATING_MAX, ps->any_scale = 1;
    }
    if (!isnan(o->rating_min))
        ps->lo = o->rating_min, ps->hi = o->rating_max, ps->any_scale = 0;
}

ar_status ar_parse_preamble(parser *ps, const ar_load_options *o, const char *buf, size_t len,
                            const char **pos) {
    const char *p = ar_skip_bom(buf, len), *end = buf + len;
    while (p < end) {
        if (!o->skip_bad && binary_start(p, end)) /* no scan for the end of such a line */
            return ar_fail(AR_ERR_PARSE, "%s:%d: %s", ps->name, ps->line + 1, AR_NUL_MESSAGE);
        size_t n;
        const char *s = ar_next_line(&p, end, &n); /* p: the next line */
        if (ar_blank_line(s, n)) {
            ps->line++;
            continue;
        }
        if (memchr(s, 0, n)) { /* binary: an error at once, or skipped and counted */
            if (!o->skip_bad)
                return ar_fail(AR_ERR_PARSE, "%s:%d: %s", ps->name, ps->line + 1, AR_NUL_MESSAGE);
            if (ps->pre_skipped++ == 0) ps->pre_skip_line = ps->line + 1;
            ps->line++;
            continue;
        }
        *pos = s; /* the first data line, unless it is a header */
        char d = 0;
        if (ps->fmt == AR_FORMAT_AUTO) ps->fmt = detect_format(s, n, &d);
        if (!ps->delim) ps->delim = d;
        set_scale(ps, o);
        if (o->columns && ps->fmt != AR_FORMAT_CSV)
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns applies to the csv format "
                           "only; %s is %s (set ar_load_options.format to csv)", ps->name,
                           ar_format_name(ps->fmt));
        int header = 0;
        if (ps->fmt == AR_FORMAT_ML_CSV) {
            if (!ar_starts_with_ci(s, n, "userId,movieId,rating"))
                return ar_fail(AR_ERR_PARSE, "%s:%d: expected the header "
                               "'userId,movieId,rating,timestamp' of a MovieLens ratings.csv",
                               ps->name, ps->line + 1);
            header = 1;
        } else if (ps->fmt == AR_FORMAT_CSV) {
            ps->line++; /* csv_setup names this line */
            ar_status st = csv_setup(ps, s, n, o, &header);
            ps->line--;
            if (st != AR_OK) return st;
        }
        if (header) {
            *pos = p;
            ps->line++;
        }
        return AR_OK;
    }
    *pos = end;
    return AR_OK;
}
