/* parse.c - ar_ratings_parse and ar_ratings_load: the load options, the file cut into chunks of
 * whole lines parsed on threads, the chunks' ratings merged in file order, and a regular file
 * mapped rather than read. What a file is: parse_format.c; the lines: parse_line.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

void ar_load_options_default(ar_load_options *o) {
    memset(o, 0, sizeof *o);
    o->format = AR_FORMAT_AUTO;
    o->rating_min = NAN;
    o->rating_max = NAN;
}

/* ---- chunks on threads ---------------------------------------------------------------------- */

static void *chunk_count(void *arg) {
    chunk *c = arg;
    size_t n = 0;
    for (const char *p = c->begin; (p = memchr(p, '\n', (size_t)(c->end - p))); p++)
        if (++n % AR_TICK_LINES == 0 && ar_chunk_tick(c, p, n)) break;
    c->newlines = n;
    return NULL;
}

/* Threads for a large file: $AUTOREC_PARSE_THREADS, else the online CPUs, at most
 * AR_PARSE_THREADS. */
static int parse_threads(void) {
    const char *env = getenv("AUTOREC_PARSE_THREADS");
    long n = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > AR_PARSE_THREADS ? AR_PARSE_THREADS : (int)n;
}

/* Cuts [p, end) into nc chunks of whole lines: each boundary moves to just after a newline. */
static void cut_chunks(chunk *c, int nc, const char *p, const char *end) {
    for (int k = 0; k < nc; k++) {
        c[k].begin = k ? c[k - 1].end : p;
        const char *cut = k == nc - 1 ? end : p + (size_t)(end - p) * (size_t)(k + 1) / (size_t)nc;
        if (cut < c[k].begin) cut = c[k].begin;
        const char *nl = cut < end ? memchr(cut, '\n', (size_t)(end - cut)) : NULL;
        c[k].end = k == nc - 1 ? end : nl ? nl + 1 : end;
    }
}

/* Gives each chunk the parser, numbered from the chunk's first line, and its share of r's
 * arrays: a line holds at most one rating, so k newlines need k + 1 places. */
static void place_chunks(chunk *c, int nc, const parser *ps, ar_ratings *r) {
    size_t base = 0;
    int first_line = ps->line;
    for (int k = 0; k < nc; k++) {
        c[k].ps = *ps;
        c[k].ps.line = first_line;
        c[k].view = (ar_ratings){.user = r->user + base, .item = r->item + base,
                                 .rating = r->rating + base, .line = r->line + base};
        base += c[k].newlines + 1;
        first_line += (int)c[k].newlines;
    }
}

/* The first error in file order wins; otherwise packs the chunks' ratings together in r. */
static ar_status merge_chunks(chunk *c, int nc, const char *name, ar_ratings *r) {
    for (int k = 0; k < nc; k++) {
        if (c[k].error_line)
            return ar_fail(AR_ERR_PARSE, "%s:%d: %s", name, c[k].error_line, c[k].ps.msg);
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
    return AR_OK;
}

/* ---- the entry points ----------------------------------------------------------------------- */

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
    if (ar_duplicates_check(o->duplicates) != AR_OK) return AR_ERR_INVALID_ARG;
    ar_status st = AR_OK;
    parse_watch w = {.o = o, .name = name, .size = len, .t0 = ar_time_seconds()};
    parser ps = {.name = name, .fmt = o->format, .delim = o->delimiter, .skip_bad = o->skip_bad};
    ar_ratings *r = ar_ratings_new_internal(name);
    if (!r) return AR_ERR_OUT_OF_MEMORY;
    const char *p = buf, *end = buf + len;
    AR_TRY(ar_parse_preamble(&ps, o, buf, len, &p));
    /* Inputs over 8 MiB are parsed by several threads, each on whole lines; small ones by one. */
    int nc = (size_t)(end - p) >= ((size_t)8 << 20) ? parse_threads() : 1;
    chunk c[AR_PARSE_THREADS];
    memset(c, 0, sizeof c);
    cut_chunks(c, nc, p, end);
    w.offset = (size_t)(p - buf), w.lines0 = (size_t)ps.line;
    AR_TRY(ar_parse_run(c, nc, chunk_count, &w, 0));
    /* Every line holds at most one rating: allocate once, each chunk writes from its offset. */
    size_t cap = 0, lines = (size_t)ps.line;
    for (int k = 0; k < nc; k++) cap += c[k].newlines + 1, lines += c[k].newlines + 1;
    if (lines >= 2147483647u) {
        st = ar_fail(AR_ERR_PARSE, "%s: more than 2^31 lines", name);
        goto cleanup;
    }
    AR_TRY(ar_ratings_alloc(r, cap));
    place_chunks(c, nc, &ps, r);
    if (ps.pre_skipped) { /* skip_bad: NUL lines before the first data line */
        c[0].view.skipped = (size_t)ps.pre_skipped;
        c[0].skip_line = ps.pre_skip_line;
        snprintf(c[0].skip_msg, sizeof c[0].skip_msg, "%s", AR_NUL_MESSAGE);
    }
    AR_TRY(ar_parse_run(c, nc, ar_parse_chunk, &w, 1));
    AR_TRY(merge_chunks(c, nc, name, r));
    AR_TRY(ar_parse_finished(&w, (size_t)c[nc - 1].ps.line)); /* the last line's number */
    r->format = ps.fmt;
    if (r->n == 0) {
        if (r->skipped)
            st = ar_fail(AR_ERR_PARSE, "%s: no valid ratings (%zu malformed lines skipped; the "
                         "first: %s)", name, r->skipped, r->first_skip ? r->first_skip : "");
        else
            st = ar_fail(AR_ERR_PARSE, "%s: no ratings in the file", name);
    }
    /* repeated pairs merged before any split; left alone, the dataset refuses them */
    if (st == AR_OK && o->duplicates != AR_DUP_ERROR)
        st = ar_ratings_merge_duplicates(r, o->duplicates);
cleanup:
    if (st != AR_OK) ar_ratings_free(r);
    else *out = r;
    return st;
}

ar_status ar_ratings_load_ex(const char *path, const ar_load_options *o, ar_ratings **out) {
    *out = NULL;
    int fd;
    size_t size;
    ar_status st = ar_open_regular(path, &fd, &size); /* regular files only: docs/data.md */
    if (st != AR_OK) return st;
    /* A regular file is mapped, not copied: the parser reads the page cache directly, which
     * saves copying (and the kernel zeroing) a buffer as large as the file. */
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    if (map != MAP_FAILED) {
        madvise(map, size, MADV_WILLNEED);
        st = ar_ratings_parse(map, size, path, o, out);
        munmap(map, size);
        return st;
    }
    char *buf;
    size_t len;
    if ((st = ar_read_file(path, &buf, &len)) != AR_OK) return st; /* empty, or no mmap */
    st = ar_ratings_parse(buf, len, path, o, out);
    free(buf);
    return st;
}

ar_status ar_ratings_load(const char *path, ar_ratings **out) {
    return ar_ratings_load_ex(path, NULL, out);
}
