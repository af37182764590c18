/* fetch.h - MovieLens downloads' internals, shared by their three files; private to host/data/,
 * not installed.
 *
 *   fetch.c     the dataset table, $AUTOREC_DATA, the cache and its paths, signals, and
 *               ar_movielens_locate, which ties them together
 *   download.c  one download: the transfer (libcurl), the checksum (libcrypto), and the
 *               checked tree renamed into the cache
 *   unzip.c     the zip's extraction (libarchive)
 */
#ifndef AR_FETCH_H
#define AR_FETCH_H

#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "internal.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The buffer of a download's writes (the part file, each extracted file): a few write(2)s for
 * a MovieLens file. */
#define AR_FETCH_BUFFER (1 << 20)

/* snprintf into a PATH_MAX buffer; 0 when the path does not fit. */
#define PATHF(buf, ...) (snprintf(buf, sizeof buf, __VA_ARGS__) < (int)sizeof buf)

/* What the pinned checksum covers. */
typedef enum {
    SUM_RATINGS_SHA256, /* the extracted ratings file */
    SUM_ZIP_MD5,        /* the zip, as GroupLens publishes it in <zip>.md5 */
    SUM_ZIP_SHA256,     /* the zip */
} sum_kind;

/* A MovieLens release. */
typedef struct {
    ar_movielens_info info; /* first member: ar_movielens_find returns a pointer to it */
    const char *top;        /* the zip's top-level directory */
    sum_kind kind;
    const char *sum;        /* lower-case hex */
} dataset;

/* ---- fetch.c -------------------------------------------------------------------------------- */

/* SIGINT / SIGTERM during a download set this flag; the transfer and the extraction poll it,
 * stop, clean up, and the signal is raised again once the old handlers are back. Process-wide,
 * like the handlers: two threads should not download at the same time. */
extern volatile sig_atomic_t ar_fetch_interrupted;

/* Whether dir/file is a regular file (following links: a hand-made dataset may link it). */
int ar_fetch_has_file(const char *dir, const char *file);
/* The one-line error for "not here, and not fetched": what was looked at, what went wrong,
 * and exactly where a hand-downloaded copy would be found. */
ar_status ar_fetch_fail(const dataset *d, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- download.c ----------------------------------------------------------------------------- */

/* Downloads url into part (a mkstemp template under root), checks it, extracts it into tmp (a
 * mkdtemp template) and renames tmp to entry, the cache entry. The caller removes what part and
 * tmp name afterwards, whatever happened: each is "" when it could not be created, and tmp once
 * it is the entry. Called with the signal guard on. */
ar_status ar_fetch_download(const dataset *d, const char *root, const char *entry,
                            const char *url, char *part, char *tmp);

/* ---- unzip.c -------------------------------------------------------------------------------- */

/* Extracts the zip into tmp, dropping the top-level directory (ml-10m's is "ml-10M100K");
 * only plain files and directories, each checked by name. On failure why says what happened. */
ar_status ar_fetch_unzip(const char *zip, const char *tmp, char *why, size_t why_len);

#endif /* AR_FETCH_H */
