/* parse.h - the ratings parser's state, shared by its three files; private to host/data/, not
 * installed.
 *
 *   parse_format.c  what a file is: format names and detection, the rating scale, the CSV
 *                   columns and header (everything up to the first data line)
 *   parse_line.c    the hot loop: fields, numbers, one line to one rating, a chunk's lines
 *   parse.c         ar_ratings_parse / ar_ratings_load: chunks of lines, file mapping
 *   parse_run.c     the chunks on threads, and the load's progress callback
 *
 * The whole file is parsed in memory in one pass: a 10M-rating ratings.dat (~250 MB) must load
 * in well under three seconds on two cores, so fields are split by hand and numbers are parsed
 * without strtod/strtol on the common path (exactly, see ar_parse_rating).
 */
#ifndef AR_PARSE_H
#define AR_PARSE_H

#include <stdatomic.h>

#include "internal.h"

#define MAX_FIELDS 64
#define AR_PARSE_THREADS 8 /* at most this many threads parse a large file */
#define ABS_RATING_MAX 1e9f /* generic files: larger magnitudes are taken as corrupt data */
#define ABS_RATING_MAX_TEXT "1e9" /* the same, in messages */

/* A line holding a NUL byte is malformed (a text file has none): what is said about it. */
#define AR_NUL_MESSAGE "contains a NUL byte (binary data?)"

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
    int pre_skipped;          /* skip_bad: lines with a NUL byte before the first data line */
    int pre_skip_line;        /* the first of them */
} parser;

/* One thread's share of the lines: [begin, end), the first numbered first_line. Ratings go to
 * view (arrays pointing into the final ones). Stops at the first error unless skipping. */
typedef struct chunk {
    parser ps;
    ar_ratings view;
    const char *begin, *end;
    size_t newlines;          /* '\n' in [begin, end) */
    int error_line;           /* 0: none; else ps.msg says what is wrong */
    int skip_line;            /* first skipped line */
    char skip_msg[512];
    /* progress, read by the loading thread while the chunk's thread works (parse_run.c) */
    _Atomic size_t done;      /* bytes of [begin, end) gone through, stored every few thousand
                                 lines */
    _Atomic size_t lines;     /* lines gone through */
    _Atomic int *stop;        /* NULL, or set when the load's callback stops it */
} chunk;

/* Every AR_TICK_LINES lines a chunk's pass stores how far it has got (p: where it is) and
 * learns whether to stop (returns 1). */
#define AR_TICK_LINES 4096
static inline int ar_chunk_tick(chunk *c, const char *p, size_t lines) {
    atomic_store_explicit(&c->done, (size_t)(p - c->begin), memory_order_relaxed);
    atomic_store_explicit(&c->lines, lines, memory_order_relaxed);
    return c->stop && atomic_load_explicit(c->stop, memory_order_relaxed);
}

/* ---- parse_run.c ---------------------------------------------------------------------------- */
/* A load as its progress callback sees it. */
typedef struct parse_watch {
    const ar_load_options *o; /* its progress and progress_user */
    const char *name;
    size_t offset, size;      /* the first data line's offset; the file's size */
    size_t lines0;            /* lines before the first data line */
    double t0;                /* the load's start */
} parse_watch;
/* Runs f on every chunk (nc of them), on its own thread when there are several; with a
 * progress callback every chunk gets a thread and the calling thread calls it about every
 * 0.1 s for `pass` (0: counting lines, 1: parsing). A status other than AR_OK: the callback's,
 * the chunks stopped. */
ar_status ar_parse_run(chunk *c, int nc, void *(*f)(void *), const parse_watch *w, int pass);
/* The callback's last call: every line (`lines`) parsed. */
ar_status ar_parse_finished(const parse_watch *w, size_t lines);

/* ---- parse_line.c --------------------------------------------------------------------------- */
/* Trims blanks and one pair of surrounding double quotes. */
field ar_parse_trim(const char *p, size_t n);
/* ar_parse_split's answers besides a count: a CSV field's quote is not closed on its line, or
 * text follows its closing quote. */
enum { SPLIT_UNCLOSED = -1, SPLIT_AFTER_QUOTE = -2 };
/* Splits a line into fields; returns the count, MAX_FIELDS + 1 when there are more, or a
 * SPLIT_ code. Tab files: blanks at the ends are ignored, a run of blanks is one separator, and
 * two tabs in a row enclose an empty field. CSV: RFC 4180 quotes (a quoted field may hold the
 * delimiter and "" for a quote, and ends on its line). */
int ar_parse_split(const parser *ps, const char *s, size_t n, field *f);
/* ar_parse_rating's answers: 0 (RATING_BAD) is no decimal number at all. */
enum { RATING_BAD = 0, RATING_OK, RATING_HUGE, RATING_TINY };
/* A rating: a decimal number, [sign] digits [. digits] [e [sign] digits] (hex floats, inf and
 * nan are not). RATING_OK with *out; RATING_HUGE beyond a float's range; RATING_TINY nonzero but
 * below the smallest normal float (it would become 0, or a denormal that devices may flush). */
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
