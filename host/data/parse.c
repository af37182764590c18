/* parse.c - rating files: format detection and a fast line parser over an in-memory buffer.
 *
 * The whole file is read into memory and parsed in one pass: a 10M-rating ratings.dat (~250 MB)
 * must load in well under three seconds on two cores, so fields are split by hand and numbers
 * are parsed without strtod/strtol on the common path (exactly, see parse_rating).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_ID AR_MAX_ID
#define MAX_FIELDS 64
#define AR_PARSE_THREADS 8 /* at most this many threads parse a large file */
#define ABS_RATING_MAX 1e9f /* generic files: larger magnitudes are taken as corrupt data */

/* ---- names ------------------------------------------------------------------------------------ */

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

void ar_load_options_default(ar_load_options *o) {
    memset(o, 0, sizeof *o);
    o->format = AR_FORMAT_AUTO;
    o->rating_min = NAN;
    o->rating_max = NAN;
}

/* ---- fields ------------------------------------------------------------------------------------ */

typedef struct { const char *p; size_t n; } field;

enum { ROLE_SKIP = 0, ROLE_USER, ROLE_ITEM, ROLE_RATING, ROLE_TIME };

typedef struct parser {
    const char *name;         /* file name for messages */
    ar_format fmt;
    char delim;               /* CSV only */
    int n_cols;               /* CSV: expected fields per line (0 until known) */
    int role[MAX_FIELDS];     /* CSV: role of each column */
    int c_user, c_item, c_rating;
    float lo, hi;             /* accepted rating range */
    int any_scale;            /* lo..hi is only the sanity bound of generic files */
    int skip_bad;
    ar_ratings *r;
    int line;
    char msg[512];            /* the current line's problem */
} parser;

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Trims blanks and one pair of surrounding double quotes. */
static field trim(const char *p, size_t n) {
    while (n && is_blank(*p)) p++, n--;
    while (n && is_blank(p[n - 1])) n--;
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') p++, n -= 2;
    return (field){p, n};
}

/* Splits a line into fields; returns the count, or MAX_FIELDS + 1 when there are more. */
static int split(const parser *ps, const char *s, size_t n, field *f) {
    int nf = 0;
    const char *end = s + n;
    if (ps->fmt == AR_FORMAT_TAB) {
        const char *p = s;
        for (;;) {
            while (p < end && is_blank(*p)) p++;
            if (p == end) break;
            const char *q = p;
            while (q < end && !is_blank(*q)) q++;
            if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
            f[nf++] = (field){p, (size_t)(q - p)};
            p = q;
        }
        return nf;
    }
    const char *p = s;
    for (;;) {
        const char *q = p;
        if (ps->fmt == AR_FORMAT_DAT) {
            while (q < end && !(q[0] == ':' && q + 1 < end && q[1] == ':')) q++;
        } else {
            char d = ps->fmt == AR_FORMAT_ML_CSV ? ',' : ps->delim;
            while (q < end && *q != d) q++;
        }
        if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
        f[nf++] = trim(p, (size_t)(q - p));
        if (q == end) break;
        p = q + (ps->fmt == AR_FORMAT_DAT ? 2 : 1);
    }
    return nf;
}

/* ---- numbers ----------------------------------------------------------------------------------- */

/* Non-negative decimal integer <= MAX_ID. Returns 1 on success, 0 not a number, -1 negative,
 * -2 too large. */
static int parse_id(field f, int32_t *out) {
    if (f.n == 0) return 0;
    if (f.p[0] == '-') {
        for (size_t k = 1; k < f.n; k++)
            if (f.p[k] < '0' || f.p[k] > '9') return 0;
        return f.n > 1 ? -1 : 0;
    }
    size_t k = f.p[0] == '+' ? 1 : 0;
    if (k == f.n) return 0;
    int64_t v = 0;
    for (; k < f.n; k++) {
        unsigned d = (unsigned)(f.p[k] - '0');
        if (d > 9) return 0;
        v = v * 10 + d;
        if (v > MAX_ID) {
            for (k++; k < f.n; k++)
                if (f.p[k] < '0' || f.p[k] > '9') return 0;
            return -2;
        }
    }
    *out = (int32_t)v;
    return 1;
}

static int parse_timestamp(field f) {
    if (f.n == 0 || f.n > 19) return 0;
    for (size_t k = 0; k < f.n; k++)
        if (f.p[k] < '0' || f.p[k] > '9') return 0;
    return 1;
}

/* A rating. The common forms ("4", "3.5", "-2.25") are parsed exactly: at most 15 significant
 * digits and 22 decimals make the digits and the power of ten exact doubles, so one division
 * gives the correctly rounded value, the same as strtod. Anything else goes through strtod. */
static int parse_rating(field f, float *out) {
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (f.n == 0) return 0;
    size_t k = 0;
    int neg = 0;
    if (f.p[0] == '-' || f.p[0] == '+') neg = f.p[k++] == '-';
    int64_t mant = 0;
    int digits = 0, decimals = 0, dot = 0, simple = 1;
    for (; k < f.n; k++) {
        char c = f.p[k];
        if (c >= '0' && c <= '9') {
            if (digits < 15) mant = mant * 10 + (c - '0');
            else simple = 0;
            if (mant) digits++;
            if (dot) decimals++;
        } else if (c == '.' && !dot) {
            dot = 1;
        } else {
            simple = 0;
            break;
        }
    }
    size_t sign_len = (f.p[0] == '-' || f.p[0] == '+') ? 1 : 0;
    if (simple && decimals <= 22 && f.n > sign_len + (size_t)dot) {
        double v = (double)mant / pow10[decimals];
        *out = (float)(neg ? -v : v);
        return 1;
    }
    char buf[64];
    if (f.n >= sizeof buf) return 0;
    memcpy(buf, f.p, f.n);
    buf[f.n] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end || !isfinite(v) || fabs(v) > 3.0e38) return 0;
    *out = (float)v;
    return 1;
}

/* ---- detection --------------------------------------------------------------------------------- */

/* A header line names its columns: none of its fields is a number. */
static int no_numbers(const field *f, int nf) {
    float v;
    for (int k = 0; k < nf; k++)
        if (parse_rating(f[k], &v)) return 0;
    return 1;
}

static int contains(const char *s, size_t n, const char *pat) {
    size_t m = strlen(pat);
    for (size_t k = 0; k + m <= n; k++)
        if (!memcmp(s + k, pat, m)) return 1;
    return 0;
}

static char detect_delim(const char *s, size_t n) {
    static const char cands[] = {',', ';', '|', '\t'};
    for (size_t k = 0; k < sizeof cands; k++)
        if (memchr(s, cands[k], n)) return cands[k];
    return 0;
}

static int starts_with_ci(const char *s, size_t n, const char *pre) {
    size_t m = strlen(pre);
    return n >= m && !strncasecmp(s, pre, m);
}

/* The format of a file whose first non-blank line is s[0..n). */
static ar_format detect_format(const char *s, size_t n, char *delim) {
    *delim = 0;
    if (contains(s, n, "::")) return AR_FORMAT_DAT;
    if (starts_with_ci(s, n, "userId,movieId,rating")) return AR_FORMAT_ML_CSV;
    char d = detect_delim(s, n);
    if (d && d != '\t') {
        *delim = d;
        return AR_FORMAT_CSV;
    }
    /* Tabs or spaces: u.data, unless the first line is a header (then columns come from it). */
    parser tmp = {.fmt = AR_FORMAT_TAB};
    field f[MAX_FIELDS];
    int nf = split(&tmp, s, n, f);
    if (d == '\t' && nf <= MAX_FIELDS && no_numbers(f, nf)) {
        *delim = '\t';
        return AR_FORMAT_CSV;
    }
    return AR_FORMAT_TAB;
}

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

/* Sets the CSV roles from the --columns spec. */
static ar_status roles_from_spec(parser *ps, const char *spec) {
    int n = 0;
    const char *p = spec;
    memset(ps->role, 0, sizeof ps->role);
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        field f = trim(p, len);
        if (n == MAX_FIELDS)
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns '%s': more than %d columns", spec,
                           MAX_FIELDS);
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

/* ---- the line loop ----------------------------------------------------------------------------- */

#define BAD(...) (snprintf(ps->msg, sizeof ps->msg, __VA_ARGS__), 0)

static void describe_field(char *out, size_t cap, field f) {
    size_t n = f.n < 40 ? f.n : 40;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (f.p[i] >= 0x20 && f.p[i] < 0x7f) ? f.p[i] : '?';
    out[k] = 0;
}

static int check_id(parser *ps, field f, const char *what, int32_t *out) {
    int ok = parse_id(f, out);
    if (ok == 1) return 1;
    char s[48];
    describe_field(s, sizeof s, f);
    if (ok == -1) return BAD("%s id '%s' is negative", what, s);
    if (ok == -2) return BAD("%s id '%s' is larger than %lld", what, s, MAX_ID);
    if (f.n == 0) return BAD("%s id is empty", what);
    return BAD("%s id '%s' is not an integer", what, s);
}

/* Parses one non-blank line into the ratings list; 0 with ps->msg set when it is malformed. */
static int parse_line(parser *ps, const char *s, size_t n) {
    field f[MAX_FIELDS];
    int nf = split(ps, s, n, f);
    int cu = 0, ci = 1, cr = 2, lo_f = 3, hi_f = 4, ts = -1;
    if (ps->fmt == AR_FORMAT_ML_CSV) lo_f = hi_f = 4, ts = 3;
    else if (ps->fmt == AR_FORMAT_TAB || ps->fmt == AR_FORMAT_DAT) ts = nf == 4 ? 3 : -1;
    else {
        cu = ps->c_user, ci = ps->c_item, cr = ps->c_rating;
        lo_f = hi_f = ps->n_cols;
    }
    if (nf < lo_f || nf > hi_f) {
        const char *expect = ps->fmt == AR_FORMAT_TAB
                                 ? "3 or 4 fields 'user item rating [timestamp]' separated by "
                                   "tabs or spaces"
                             : ps->fmt == AR_FORMAT_DAT ? "3 or 4 fields 'user::item::rating[::timestamp]'"
                             : ps->fmt == AR_FORMAT_ML_CSV ? "4 fields 'userId,movieId,rating,timestamp'"
                                                           : "as many fields as the first line";
        char found[32];
        if (nf > MAX_FIELDS) snprintf(found, sizeof found, "more than %d", MAX_FIELDS);
        else snprintf(found, sizeof found, "%d", nf);
        if (ps->fmt == AR_FORMAT_CSV)
            return BAD("expected %d fields separated by '%s', found %s", ps->n_cols,
                       ps->delim == '\t' ? "\\t" : (char[2]){ps->delim, 0}, found);
        return BAD("expected %s, found %s", expect, found);
    }
    int32_t u, i;
    float v;
    if (!check_id(ps, f[cu], "user", &u) || !check_id(ps, f[ci], "item", &i)) return 0;
    if (!parse_rating(f[cr], &v)) {
        char s2[48];
        describe_field(s2, sizeof s2, f[cr]);
        return BAD("rating '%s' is not a finite number", s2);
    }
    if (!(v >= ps->lo && v <= ps->hi)) {
        char s2[48];
        describe_field(s2, sizeof s2, f[cr]);
        if (!ps->any_scale)
            return BAD("rating %s is outside the scale %g..%g (set the scale with "
                       "ar_load_options.rating_min/max)", s2, (double)ps->lo, (double)ps->hi);
        return BAD("rating %s is larger in magnitude than %g", s2, (double)ABS_RATING_MAX);
    }
    if (ts >= 0 && !parse_timestamp(f[ts])) {
        char s2[48];
        describe_field(s2, sizeof s2, f[ts]);
        return BAD("timestamp '%s' is not a non-negative integer", s2);
    }
    ar_ratings *r = ps->r;
    r->user[r->n] = u;
    r->item[r->n] = i;
    r->rating[r->n] = v;
    r->line[r->n] = ps->line;
    r->n++;
    return 1;
}

static int numeric_at(const field *f, int nf, int c) {
    float v;
    return c >= 0 && c < nf && parse_rating(f[c], &v);
}

/* Fixes the CSV columns from --columns, else from a header line naming them, else
 * user,item,rating; *header tells whether the line s[0..n) is a header (to be read past). */
static ar_status csv_setup(parser *ps, const char *s, size_t n, const ar_load_options *o,
                           int *header) {
    if (!ps->delim) ps->delim = detect_delim(s, n);
    if (!ps->delim)
        return ar_fail(AR_ERR_PARSE, "%s:%d: no field separator (',' ';' '|' or tab) on the "
                       "first line; set ar_load_options.format to tab for space-separated files", ps->name,
                       ps->line);
    field f[MAX_FIELDS];
    int nf = split(ps, s, n, f);
    if (nf > MAX_FIELDS)
        return ar_fail(AR_ERR_PARSE, "%s:%d: more than %d columns", ps->name, ps->line,
                       MAX_FIELDS);
    if (o->columns) {
        ar_status st = roles_from_spec(ps, o->columns);
        if (st != AR_OK) return st;
        if (!roles_complete(ps, ps->n_cols))
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns '%s' must name each of user, item "
                           "and rating once", o->columns);
        if (nf != ps->n_cols)
            return ar_fail(AR_ERR_PARSE, "%s:%d: ar_load_options.columns names %d columns but the line has "
                           "%d", ps->name, ps->line, ps->n_cols, nf);
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

/* Reads up to the first data line: detects the format, fixes the rating range and the CSV
 * columns, and reads past a header. *pos gets the first data line's start, ps->line the number
 * of the lines before it. */
static ar_status parse_preamble(parser *ps, const ar_load_options *o, const char *buf,
                                size_t len, const char **pos) {
    const char *p = buf, *end = buf + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* UTF-8 byte-order mark */
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = (size_t)((nl ? nl : end) - s);
        if (n && s[n - 1] == '\r') n--;
        size_t k = 0;
        while (k < n && (is_blank(s[k]) || s[k] == '\r')) k++;
        if (k == n && !memchr(s, 0, n)) { /* blank line */
            p = nl ? nl + 1 : end;
            ps->line++;
            continue;
        }
        *pos = s; /* the first non-blank line: the parse loop checks it for NUL bytes */
        char d = 0;
        if (ps->fmt == AR_FORMAT_AUTO) ps->fmt = detect_format(s, n, &d);
        if (!ps->delim) ps->delim = d;
        if (ps->fmt == AR_FORMAT_DAT || ps->fmt == AR_FORMAT_ML_CSV) {
            ps->lo = 0.5f, ps->hi = 5.0f; /* every MovieLens release in these formats */
        } else {
            ps->lo = -ABS_RATING_MAX, ps->hi = ABS_RATING_MAX, ps->any_scale = 1;
        }
        if (!isnan(o->rating_min))
            ps->lo = o->rating_min, ps->hi = o->rating_max, ps->any_scale = 0;
        if (o->columns && ps->fmt != AR_FORMAT_CSV)
            return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.columns applies to the csv format only; %s is "
                           "%s (set ar_load_options.format to csv)", ps->name, ar_format_name(ps->fmt));
        if (memchr(s, 0, n)) return AR_OK; /* reported with its line number by the loop */
        int header = 0;
        if (ps->fmt == AR_FORMAT_ML_CSV) {
            if (!starts_with_ci(s, n, "userId,movieId,rating"))
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
            *pos = nl ? nl + 1 : end;
            ps->line++;
        }
        return AR_OK;
    }
    *pos = end;
    return AR_OK;
}

/* One thread's share of the lines: [begin, end), the first numbered first_line. Ratings go to
 * view (arrays pointing into the final ones). Stops at the first error unless skipping. */
typedef struct chunk {
    parser ps;
    ar_ratings view;
    const char *begin, *end;
    size_t newlines;          /* '\n' in [begin, end) */
    int error_line;           /* 0: none */
    int nul;                  /* the error is a NUL byte */
    int skip_line;            /* first skipped line */
    char skip_msg[512];
} chunk;

static void *chunk_count(void *arg) {
    chunk *c = arg;
    size_t n = 0;
    for (const char *p = c->begin; (p = memchr(p, '\n', (size_t)(c->end - p))); p++) n++;
    c->newlines = n;
    return NULL;
}

static void *chunk_parse(void *arg) {
    chunk *c = arg;
    parser *ps = &c->ps;
    ps->r = &c->view;
    const char *p = c->begin, *end = c->end;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t n = (size_t)((nl ? nl : end) - s);
        p = nl ? nl + 1 : end;
        ps->line++;
        if (n && s[n - 1] == '\r') n--;
        if (memchr(s, 0, n)) {
            c->error_line = ps->line;
            c->nul = 1;
            return NULL;
        }
        size_t k = 0;
        while (k < n && (is_blank(s[k]) || s[k] == '\r')) k++;
        if (k == n) continue; /* blank line */
        if (parse_line(ps, s, n)) continue;
        if (!ps->skip_bad) {
            c->error_line = ps->line;
            return NULL;
        }
        if (c->view.skipped++ == 0) {
            c->skip_line = ps->line;
            memcpy(c->skip_msg, ps->msg, sizeof c->skip_msg);
        }
    }
    return NULL;
}

/* Threads for a large file: $AUTOREC_PARSE_THREADS, else the online CPUs, at most 8. */
static int parse_threads(void) {
    const char *env = getenv("AUTOREC_PARSE_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > AR_PARSE_THREADS ? AR_PARSE_THREADS : (int)n;
}

/* Runs f on every chunk, on its own thread when there are several. */
static void run_chunks(chunk *c, int n, void *(*f)(void *)) {
    pthread_t th[AR_PARSE_THREADS];
    int started[AR_PARSE_THREADS] = {0};
    for (int k = 1; k < n; k++) started[k] = pthread_create(&th[k], NULL, f, &c[k]) == 0;
    f(&c[0]);
    for (int k = 1; k < n; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else f(&c[k]); /* no thread: do it here */
    }
}

ar_status ar_ratings_parse(const char *buf, size_t len, const char *name,
                           const ar_load_options *o, ar_ratings **out) {
    *out = NULL;
    ar_load_options def;
    if (!o) {
        ar_load_options_default(&def);
        o = &def;
    }
    if (!name) name = "(ratings)";
    if (isnan(o->rating_min) != isnan(o->rating_max) ||
        (!isnan(o->rating_min) && !(o->rating_min <= o->rating_max)))
        return ar_fail(AR_ERR_INVALID_ARG, "the rating range [%g, %g] is empty or half-set",
                       (double)o->rating_min, (double)o->rating_max);
    ar_status st = AR_OK;
    parser ps = {.name = name, .fmt = o->format, .delim = o->delimiter, .skip_bad = o->skip_bad};
    ar_ratings *r = ar_ratings_new_internal(name);
    if (!r) return AR_ERR_OUT_OF_MEMORY;
    const char *p = buf, *end = buf + len;
    AR_TRY(parse_preamble(&ps, o, buf, len, &p));
    /* Inputs over 8 MiB are parsed by several threads, each on whole lines: the boundaries
     * move to just after a newline. Small ones by one. */
    int nc = (size_t)(end - p) >= ((size_t)8 << 20) ? parse_threads() : 1;
    chunk c[AR_PARSE_THREADS];
    memset(c, 0, sizeof c);
    for (int k = 0; k < nc; k++) {
        c[k].begin = k ? c[k - 1].end : p;
        const char *cut = k == nc - 1 ? end : p + (size_t)(end - p) * (size_t)(k + 1) / (size_t)nc;
        if (cut < c[k].begin) cut = c[k].begin;
        const char *nl = cut < end ? memchr(cut, '\n', (size_t)(end - cut)) : NULL;
        c[k].end = k == nc - 1 ? end : nl ? nl + 1 : end;
    }
    run_chunks(c, nc, chunk_count);
    /* Every line holds at most one rating: allocate once, each chunk writes from its offset. */
    size_t cap = 0, lines = (size_t)ps.line;
    for (int k = 0; k < nc; k++) cap += c[k].newlines + 1, lines += c[k].newlines + 1;
    if (lines >= 2147483647u) {
        st = ar_fail(AR_ERR_PARSE, "%s: more than 2^31 lines", name);
        goto cleanup;
    }
    AR_TRY(ar_ratings_alloc(r, cap));
    size_t base = 0;
    int first_line = ps.line;
    for (int k = 0; k < nc; k++) {
        c[k].ps = ps;
        c[k].ps.line = first_line;
        c[k].view = (ar_ratings){.user = r->user + base, .item = r->item + base,
                                 .rating = r->rating + base, .line = r->line + base};
        base += c[k].newlines + 1;
        first_line += (int)c[k].newlines;
    }
    run_chunks(c, nc, chunk_parse);
    /* The first error in file order wins; otherwise pack the chunks' ratings together. */
    for (int k = 0; k < nc; k++) {
        if (c[k].error_line) {
            if (c[k].nul)
                st = ar_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte (binary data?)", name,
                             c[k].error_line);
            else
                st = ar_fail(AR_ERR_PARSE, "%s:%d: %s", name, c[k].error_line, c[k].ps.msg);
            goto cleanup;
        }
        if (c[k].view.skipped && !r->first_skip) {
            char first[700];
            snprintf(first, sizeof first, "%s:%d: %s", name, c[k].skip_line, c[k].skip_msg);
            r->first_skip = strdup(first);
        }
        r->skipped += c[k].view.skipped;
        if (c[k].view.user != r->user + r->n) {
            memmove(r->user + r->n, c[k].view.user, c[k].view.n * sizeof *r->user);
            memmove(r->item + r->n, c[k].view.item, c[k].view.n * sizeof *r->item);
            memmove(r->rating + r->n, c[k].view.rating, c[k].view.n * sizeof *r->rating);
            memmove(r->line + r->n, c[k].view.line, c[k].view.n * sizeof *r->line);
        }
        r->n += c[k].view.n;
    }
    r->format = ps.fmt;
    if (r->n == 0) {
        if (r->skipped)
            st = ar_fail(AR_ERR_PARSE, "%s: no valid ratings (%zu malformed lines skipped; the "
                         "first: %s)", name, r->skipped, r->first_skip ? r->first_skip : "");
        else
            st = ar_fail(AR_ERR_PARSE, "%s: no ratings in the file", name);
    }
cleanup:
    if (st != AR_OK) ar_ratings_free(r);
    else *out = r;
    return st;
}

ar_status ar_ratings_load_ex(const char *path, const ar_load_options *o, ar_ratings **out) {
    *out = NULL;
    /* A regular file is mapped, not copied: the parser reads the page cache directly, which
     * saves copying (and the kernel zeroing) a buffer as large as the file. */
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            close(fd);
            madvise(map, (size_t)sb.st_size, MADV_WILLNEED);
            ar_status st = ar_ratings_parse(map, (size_t)sb.st_size, path, o, out);
            munmap(map, (size_t)sb.st_size);
            return st;
        }
    }
    if (fd >= 0) close(fd);
    char *buf;
    size_t len;
    ar_status st = ar_read_file(path, &buf, &len); /* pipes, empty files, or no mmap */
    if (st != AR_OK) return st;
    st = ar_ratings_parse(buf, len, path, o, out);
    free(buf);
    return st;
}

ar_status ar_ratings_load(const char *path, ar_ratings **out) {
    return ar_ratings_load_ex(path, NULL, out);
}
