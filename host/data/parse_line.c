/* parse_line.c - the ratings parser's hot loop: a line split into fields, the numbers in them,
 * one line to one rating, and a chunk's lines (one thread's share of the file).
 *
 * Everything a data line goes through is in this one file, so that the compiler sees the whole
 * path: fields are split by hand and numbers parsed without strtod/strtol on the common path
 * (see parse.h for why). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "text.h"

/* ---- fields --------------------------------------------------------------------------------- */

field ar_parse_trim(const char *p, size_t n) {
    while (n && ar_is_blank(*p)) p++, n--;
    while (n && ar_is_blank(p[n - 1])) n--;
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') p++, n -= 2;
    return (field){p, n};
}

/* A tab file's line: blanks at its ends are ignored; inside, a run of blanks is one separator,
 * but each tab after the run's first encloses an empty field (two tabs in a row). */
static int split_blanks(const char *s, size_t n, field *f) {
    const char *p = s, *end = s + n;
    while (p < end && ar_is_blank(*p)) p++;
    while (end > p && ar_is_blank(end[-1])) end--;
    int nf = 0;
    while (p < end) { /* end[-1] is no blank: the blank runs below stop before end */
        const char *q = p;
        while (q < end && !ar_is_blank(*q)) q++;
        if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
        f[nf++] = (field){p, (size_t)(q - p)};
        if (q == end) break;
        p = q + 1;
        if (!ar_is_blank(*p)) continue; /* the common one-character separator */
        int tabs = *q == '\t';
        for (; ar_is_blank(*p); p++) tabs += *p == '\t';
        for (; tabs > 1; tabs--) {
            if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
            f[nf++] = (field){p, 0};
        }
    }
    return nf;
}

/* A quoted CSV field (RFC 4180) whose opening quote is at a: *f gets what is between the quotes
 * ("" left doubled: no id or rating holds a quote). Returns where it ends (the delimiter d or
 * end); NULL with *why a SPLIT_ code when the quote is not closed on the line or text other
 * than blanks follows it. */
static const char *quoted_field(const char *a, const char *end, char d, field *f, int *why) {
    const char *q = a + 1;
    while ((q = memchr(q, '"', (size_t)(end - q))) && q + 1 < end && q[1] == '"') q += 2;
    if (!q) return *why = SPLIT_UNCLOSED, NULL;
    *f = (field){a + 1, (size_t)(q - a - 1)};
    for (q++; q < end && *q != d && ar_is_blank(*q); q++) {}
    if (q < end && *q != d) return *why = SPLIT_AFTER_QUOTE, NULL;
    return q;
}

/* A CSV line split at d: blanks around a field are trimmed; a field whose first non-blank is a
 * quote is quoted (quoted_field). */
static int split_delimited(const char *s, size_t n, char d, field *f) {
    const char *p = s, *end = s + n;
    int nf = 0;
    for (;;) {
        if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
        const char *q = p, *a = p;
        while (q < end && *q != d) q++;
        while (a < q && ar_is_blank(*a)) a++;
        if (a < q && *a == '"' && d != '"') { /* it may hold d: read to its closing quote */
            int why = 0;
            if (!(q = quoted_field(a, end, d, &f[nf++], &why))) return why;
        } else {
            const char *e = q;
            while (e > a && ar_is_blank(e[-1])) e--;
            f[nf++] = (field){a, (size_t)(e - a)};
        }
        if (q == end) return nf;
        p = q + 1;
    }
}

int ar_parse_split(const parser *ps, const char *s, size_t n, field *f) {
    if (ps->fmt == AR_FORMAT_TAB) return split_blanks(s, n, f);
    if (ps->fmt != AR_FORMAT_DAT)
        return split_delimited(s, n, ps->fmt == AR_FORMAT_ML_CSV ? ',' : ps->delim, f);
    const char *p = s, *end = s + n;
    int nf = 0;
    for (;;) {
        const char *q = p;
        while (q < end && !(q[0] == ':' && q + 1 < end && q[1] == ':')) q++;
        if (nf == MAX_FIELDS) return MAX_FIELDS + 1;
        f[nf++] = ar_parse_trim(p, (size_t)(q - p));
        if (q == end) break;
        p = q + 2;
    }
    return nf;
}

/* ---- numbers -------------------------------------------------------------------------------- */

/* Non-negative decimal integer <= AR_MAX_ID. Returns 1 on success, 0 not a number, -1 negative,
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
        if (v > AR_MAX_ID) {
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

/* The decimal digits of f from k on: returns where they end; *nonzero notes a digit 1..9. */
static size_t digits_from(field f, size_t k, int *nonzero) {
    for (; k < f.n && f.p[k] >= '0' && f.p[k] <= '9'; k++) *nonzero |= f.p[k] != '0';
    return k;
}

/* Whether f is [sign] digits [. digits] [(e|E) [sign] digits] with a digit in the mantissa:
 * -1 when not; else 1 when the mantissa has a nonzero digit, 0 when it is zero. */
static int decimal_syntax(field f) {
    int nonzero = 0;
    size_t k = f.n && (f.p[0] == '+' || f.p[0] == '-'), m = k;
    k = digits_from(f, k, &nonzero);
    size_t digits = k - m;
    if (k < f.n && f.p[k] == '.') {
        size_t d0 = ++k;
        k = digits_from(f, k, &nonzero);
        digits += k - d0;
    }
    if (!digits) return -1;
    if (k < f.n && (f.p[k] == 'e' || f.p[k] == 'E')) {
        int unused = 0;
        k += 1 + (k + 1 < f.n && (f.p[k + 1] == '+' || f.p[k + 1] == '-'));
        size_t e0 = k;
        if ((k = digits_from(f, k, &unused)) == e0) return -1;
    }
    return k == f.n ? nonzero : -1;
}

/* The common forms ("4", "3.5", "-2.25") are parsed exactly: at most 15 significant digits and
 * 22 decimals make the digits and the power of ten exact doubles, so one division gives the
 * correctly rounded value, the same as strtod. Anything else is checked to be a decimal number
 * and goes through strtod. */
int ar_parse_rating(field f, float *out) {
    static const double pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (f.n == 0) return RATING_BAD;
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
        return RATING_OK;
    }
    char buf[128];
    int nonzero = decimal_syntax(f);
    if (nonzero < 0 || f.n >= sizeof buf) return RATING_BAD;
    memcpy(buf, f.p, f.n);
    buf[f.n] = 0;
    double v = strtod(buf, NULL); /* the whole field: its syntax is checked */
    if (!(fabs(v) <= FLT_MAX)) return RATING_HUGE;
    if (nonzero && fabs(v) < FLT_MIN) return RATING_TINY;
    *out = (float)v;
    return RATING_OK;
}

/* ---- lines ---------------------------------------------------------------------------------- */

#define BAD(...) (snprintf(ps->msg, sizeof ps->msg, __VA_ARGS__), 0)

static void describe_field(char *out, size_t cap, field f) {
    size_t n = f.n < 40 ? f.n : 40;
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        out[k++] = (f.p[i] >= 0x20 && f.p[i] < 0x7f) ? f.p[i] : '?';
    out[k] = 0;
}

/* After "is empty" in a tab file: how an empty field comes about there. */
static const char *empty_hint(const parser *ps) {
    return ps->fmt == AR_FORMAT_TAB ? " (two tabs in a row enclose an empty field)" : "";
}

static int check_id(parser *ps, field f, const char *what, int32_t *out) {
    int ok = parse_id(f, out);
    if (ok == 1) return 1;
    char s[48];
    describe_field(s, sizeof s, f);
    if (ok == -1) return BAD("%s id '%s' is negative", what, s);
    if (ok == -2) return BAD("%s id '%s' is larger than %lld", what, s, AR_MAX_ID);
    if (f.n == 0) return BAD("%s id is empty%s", what, empty_hint(ps));
    return BAD("%s id '%s' is not an integer", what, s);
}

/* The message for a rating field that is no rating (code: ar_parse_rating's, or RATING_OK for
 * a number outside the accepted range); returns 0, as BAD. */
static int bad_rating(parser *ps, field f, int code) {
    char s[48];
    describe_field(s, sizeof s, f);
    if (f.n == 0) return BAD("rating is empty%s", empty_hint(ps));
    if (code == RATING_BAD) {
        field t = f;
        if (t.n && (t.p[0] == '+' || t.p[0] == '-')) t.p++, t.n--;
        int special = ar_starts_with_ci(t.p, t.n, "nan") || ar_starts_with_ci(t.p, t.n, "inf");
        return BAD("rating '%s' is not a %s number", s, special ? "finite" : "decimal");
    }
    if (code == RATING_TINY)
        return BAD("rating %s is out of range: nonzero but below %.2g in magnitude, the "
                   "smallest normal float (write 0 for zero)", s, (double)FLT_MIN);
    if (!ps->any_scale)
        return BAD("rating %s is outside the scale %g..%g (set the scale with "
                   "ar_load_options.rating_min/max)", s, (double)ps->lo, (double)ps->hi);
    return BAD("rating %s is out of range (|r| <= " ABS_RATING_MAX_TEXT "; set the scale with "
               "ar_load_options.rating_min/max)", s);
}

/* The message for a line with too few or too many fields, or a quoted field's bad end (nf a
 * SPLIT_ code); returns 0, as BAD. */
static int bad_field_count(parser *ps, int nf) {
    char found[32];
    if (nf == SPLIT_UNCLOSED)
        return BAD("a quoted field is not closed on its line (a field may not span lines; \"\" "
                   "inside quotes is a quote)");
    if (nf == SPLIT_AFTER_QUOTE)
        return BAD("text after a quoted field's closing quote (expected '%c' or the line's end)",
                   ps->fmt == AR_FORMAT_ML_CSV ? ',' : ps->delim);
    if (nf > MAX_FIELDS) snprintf(found, sizeof found, "more than %d", MAX_FIELDS);
    else snprintf(found, sizeof found, "%d", nf);
    if (ps->fmt == AR_FORMAT_CSV)
        return BAD("expected %d fields separated by '%s', found %s", ps->n_cols,
                   ps->delim == '\t' ? "\\t" : (char[2]){ps->delim, 0}, found);
    const char *expect =
        ps->fmt == AR_FORMAT_TAB
            ? "3 or 4 fields 'user item rating [timestamp]' separated by tabs or spaces"
        : ps->fmt == AR_FORMAT_DAT ? "3 or 4 fields 'user::item::rating[::timestamp]'"
                                   : "4 fields 'userId,movieId,rating,timestamp'";
    return BAD("expected %s, found %s", expect, found);
}

/* Parses one non-blank line into the ratings list; 0 with ps->msg set when it is malformed. */
static int parse_line(parser *ps, const char *s, size_t n) {
    field f[MAX_FIELDS];
    int nf = ar_parse_split(ps, s, n, f);
    int cu = 0, ci = 1, cr = 2, lo_f = 3, hi_f = 4, ts = -1;
    if (ps->fmt == AR_FORMAT_ML_CSV) lo_f = hi_f = 4, ts = 3;
    else if (ps->fmt == AR_FORMAT_TAB || ps->fmt == AR_FORMAT_DAT) ts = nf == 4 ? 3 : -1;
    else {
        cu = ps->c_user, ci = ps->c_item, cr = ps->c_rating;
        lo_f = hi_f = ps->n_cols;
    }
    if (nf < lo_f || nf > hi_f) return bad_field_count(ps, nf);
    int32_t u, i;
    float v;
    if (!check_id(ps, f[cu], "user", &u) || !check_id(ps, f[ci], "item", &i)) return 0;
    int code = ar_parse_rating(f[cr], &v);
    if (code != RATING_OK || !(v >= ps->lo && v <= ps->hi)) return bad_rating(ps, f[cr], code);
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

void *ar_parse_chunk(void *arg) {
    chunk *c = arg;
    parser *ps = &c->ps;
    ps->r = &c->view;
    const char *p = c->begin, *end = c->end;
    size_t k = 0;
    while (p < end) {
        if (++k % AR_TICK_LINES == 0 && ar_chunk_tick(c, p, k - 1)) return NULL;
        size_t n;
        const char *s = ar_next_line(&p, end, &n);
        ps->line++;
        if (memchr(s, 0, n)) { /* malformed like any other line: skipped with skip_bad */
            snprintf(ps->msg, sizeof ps->msg, "%s", AR_NUL_MESSAGE);
        } else {
            if (ar_blank_line(s, n)) continue;
            if (parse_line(ps, s, n)) continue;
        }
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
