/* parse.h - the ratings parser's state, shared by its three files; private to host/data/, not
 * installed.
 *
 *   parse_format.c  what a file is: format names and detection, the rating scale, the CSV
 *                   columns and header (everything up to the first data line)
 *   parse_line.c    the hot loop: fields, numbers, one line to one rating, a chunk's lines
 *   parse.c         ar_ratings_parse / ar_ratings_load: chunks on threads, file mapping
 *
 * The whole file is parsed in memory in one pass: a 10M-rating ratings.dat (~250 MB) must load
 * in well under three seconds on two cores, so fields are split by hand and numbers are parsed
 * without strtod/strtol on the common path (exactly, see ar_parse_rating).
 */
#ifndef AR_PARSE_H
#define AR_PARSE_H

#include "internal.h"

#define MAX_FIELDS 64
#define ABS_RATING_MAX 1e9f /* generic files: larger magnitudes are taken as corrupt data */

/* A field of a line: not NUL-terminated, it points into the file. */
typedef struct { const char *p; size_t n; } field;

/* What a CSV column holds. */
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

/* ---- parse_line.c --------------------------------------------------------------------------- */
/* Trims blanks and one pair of surrounding double quotes. */
field ar_parse_trim(const char *p, size_t n);
/* Splits a line into fields; returns the count, or MAX_FIELDS + 1 when there are more. */
int ar_parse_split(const parser *ps, const char *s, size_t n, field *f);
/* A rating (any finite number); 0 when f is not one. */
int ar_parse_rating(field f, float *out);
/* Parses the chunk's lines (a thread's start routine: arg is a chunk). */
void *ar_parse_chunk(void *arg);

/* ---- parse_format.c ------------------------------------------------------------------------- */
/* Reads up to the first data line: detects the format, fixes the rating range and the CSV
 * columns, and reads past a header. *pos gets the first data line's start, ps->line the number
 * of the lines before it. */
ar_status ar_parse_preamble(parser *ps, const ar_load_options *o, const char *buf, size_t len,
                            const char **pos);

#endif /* AR_PARSE_H */
