/* fetch.c - MovieLens datasets by name: $AUTOREC_DATA, the cache, or a verified download
 * (download.c). This file holds the dataset table, the cache's paths, the signal guard, and
 * ar_movielens_locate, which ties them together.
 *
 * A download goes to temporaries inside the cache root (".<zip>.part-<pid>-XXXXXX" for the
 * zip, ".<name>.tmp-<pid>-XXXXXX" for the extracted tree) and enters the cache by one rename()
 * of the checked tree, so the cache never holds a partial dataset: any failure, or SIGINT /
 * SIGTERM, removes the temporaries. The pid in their names lets a later locate remove only
 * the leftovers of processes that died (kill -9), never those of a download still running.
 */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "fetch.h"

/* ---- datasets ------------------------------------------------------------------------------- */

#define DEFAULT_MIRROR "https://files.grouplens.org/datasets/movielens"

static const dataset datasets[] = {
    /* SHA-256 of ml-100k/u.data (sha256sum of the file from the official ml-100k.zip; the
     * same value is pinned by the cmfrec Ruby gem's Cmfrec::Data.load_movielens for
     * files.grouplens.org/datasets/movielens/ml-100k/u.data). Pinned on the ratings
     * rather than the zip so that any zip holding the same ratings passes: a mirror that
     * re-zipped the files, or the archive the tests build. */
    {{"ml-100k", "ml-100k.zip", "u.data", 1.0f, 5.0f, 100000}, "ml-100k", SUM_RATINGS_SHA256,
     "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"},
    /* MD5 published in https://files.grouplens.org/datasets/movielens/ml-1m.zip.md5, as pinned
     * by public loaders, e.g. eli-osherovich/papers_with_code datasets/movielens/dl_config.py
     * (the zip's SHA-256 a6898adb... in tensorflow/datasets agrees with the same file). */
    {{"ml-1m", "ml-1m.zip", "ratings.dat", 1.0f, 5.0f, 1000209}, "ml-1m", SUM_ZIP_MD5,
     "c4d9eecfca2ab87c1945afe126590906"},
    /* MD5 published in https://files.grouplens.org/datasets/movielens/ml-10m.zip.md5, as pinned
     * by public loaders, e.g. eli-osherovich/papers_with_code datasets/movielens/dl_config.py. */
    {{"ml-10m", "ml-10m.zip", "ratings.dat", 0.5f, 5.0f, 10000054}, "ml-10M100K", SUM_ZIP_MD5,
     "ce571fd55effeba0271552578f2648bd"},
    /* ml-latest-small.zip (2018-09-26 release, 978202 bytes): SHA-256 from tensorflow/datasets
     * tensorflow_datasets/url_checksums/movielens.txt, matched by other projects. GroupLens's own
     * ml-latest-small.zip.md5 could not be read when this was written, so the zip's SHA-256
     * is pinned instead of the MD5. GroupLens may re-release "latest": a new release fails
     * this check and has to be fetched by hand (the error says where to put it). */
    {{"ml-latest-small", "ml-latest-small.zip", "ratings.csv", 0.5f, 5.0f, 100836},
     "ml-latest-small", SUM_ZIP_SHA256,
     "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436"},
};
#define N_DATASETS (sizeof datasets / sizeof *datasets)

static const dataset *find(const char *name) {
    for (size_t i = 0; name && i < N_DATASETS; i++)
        if (strcasecmp(name, datasets[i].info.name) == 0) return &datasets[i];
    return NULL;
}

const ar_movielens_info *ar_movielens_find(const char *name) {
    const dataset *d = find(name);
    return d ? &d->info : NULL;
}

/* ---- paths ---------------------------------------------------------------------------------- */

int ar_fetch_has_file(const char *dir, const char *file) {
    char p[PATH_MAX];
    struct stat sb;
    return PATHF(p, "%s/%s", dir, file) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* $XDG_CACHE_HOME/autorec, else ~/.cache/autorec. XDG says to ignore a relative value. *home
 * gets the home directory the root is under (NULL for XDG_CACHE_HOME's, which may be created
 * as a whole, as XDG asks). */
static int cache_root(char *root, size_t len, const char **home) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    *home = NULL;
    if (xdg && xdg[0] == '/') return snprintf(root, len, "%s/autorec", xdg) < (int)len;
    const char *h = getenv("HOME");
    if (!h || !*h) {
        struct passwd *pw = getpwuid(getuid());
        h = pw ? pw->pw_dir : NULL;
    }
    *home = h;
    return h && *h && snprintf(root, len, "%s/.cache/autorec", h) < (int)len;
}

/* Creates the cache root, below the home directory only: a HOME that does not exist
 * (HOME=/nonexistent for a service account) is not created. */
static ar_status make_root(const dataset *d, const char *entry, const char *root,
                           const char *home) {
    struct stat sb;
    if (home && (stat(home, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return ar_fetch_fail(d, entry, "the cache directory %s cannot be created: the home "
                             "directory %s does not exist (autorec does not create it); set "
                             "XDG_CACHE_HOME to a directory for the cache", root, home);
    if (ar_path_make_dirs(root) != 0)
        return ar_fetch_fail(d, entry, "the cache directory %s cannot be created (%s); set "
                             "XDG_CACHE_HOME to a writable directory for the cache", root,
                             strerror(errno));
    return AR_OK;
}

/* Removes the temporaries of downloads whose process is gone: a download killed with SIGKILL
 * (or a power cut) cannot clean up after itself. Those of live processes are left alone. */
static void remove_stale(const char *root) {
    char names[2 * N_DATASETS][64];
    const char *prefixes[2 * N_DATASETS];
    for (size_t i = 0; i < N_DATASETS; i++) {
        snprintf(names[2 * i], sizeof names[0], ".%s.part-", datasets[i].info.zip);
        snprintf(names[2 * i + 1], sizeof names[0], ".%s.tmp-", datasets[i].info.name);
        prefixes[2 * i] = names[2 * i], prefixes[2 * i + 1] = names[2 * i + 1];
    }
    ar_remove_stale(root, prefixes, (int)(2 * N_DATASETS));
}

/* The download's temporaries in root, named so that remove_stale knows them: the zip
 * ".<zip>.part-<pid>-XXXXXX" and the extracted tree ".<name>.tmp-<pid>-XXXXXX". */
static int temp_names(const dataset *d, const char *root, char part[PATH_MAX],
                      char tmp[PATH_MAX]) {
    char zip[128], name[128];
    snprintf(zip, sizeof zip, ".%s", d->info.zip);
    snprintf(name, sizeof name, ".%s", d->info.name);
    char *p = ar_temp_template(root, zip, "part"), *t = ar_temp_template(root, name, "tmp");
    int ok = p && t && snprintf(part, PATH_MAX, "%s", p) < PATH_MAX &&
             snprintf(tmp, PATH_MAX, "%s", t) < PATH_MAX;
    free(p);
    free(t);
    return ok;
}

/* ---- messages ------------------------------------------------------------------------------- */

ar_status ar_fetch_fail(const dataset *d, const char *entry, const char *fmt, ...) {
    char what[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *env = getenv("AUTOREC_DATA");
    return ar_fail(AR_ERR_IO,
                   "%s: not found in $AUTOREC_DATA (%s) or %s, and %s; download %s by hand and "
                   "extract it so that %s/%s exists, or point AUTOREC_DATA at its directory",
                   d->info.name, env && *env ? env : "unset", entry, what, d->info.zip, entry,
                   d->info.ratings_file);
}

/* ---- signals -------------------------------------------------------------------------------- */

volatile sig_atomic_t ar_fetch_interrupted;

static void on_signal(int sig) { ar_fetch_interrupted = sig; }

typedef struct {
    struct sigaction old_int, old_term;
    int have_int, have_term;
} sig_guard;

/* Installs the handler for sig unless the process ignores it (nohup, background jobs). */
static int guard_one(int sig, struct sigaction *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, NULL, old) != 0 || old->sa_handler == SIG_IGN) return 0;
    return sigaction(sig, &sa, NULL) == 0;
}

static void guard_on(sig_guard *g) {
    ar_fetch_interrupted = 0;
    g->have_int = guard_one(SIGINT, &g->old_int);
    g->have_term = guard_one(SIGTERM, &g->old_term);
}

/* Restores the old handlers; returns the signal that arrived meanwhile, or 0. */
static int guard_off(sig_guard *g) {
    if (g->have_int) sigaction(SIGINT, &g->old_int, NULL);
    if (g->have_term) sigaction(SIGTERM, &g->old_term, NULL);
    return ar_fetch_interrupted;
}

/* ---- locate --------------------------------------------------------------------------------- */

static ar_status copy_out(const char *path, char *dir, size_t dir_len) {
    if (snprintf(dir, dir_len, "%s", path) >= (int)dir_len)
        return ar_fail(AR_ERR_INVALID_ARG, "the path %s does not fit in %zu bytes", path, dir_len);
    return AR_OK;
}

/* $AUTOREC_DATA as the dataset itself, or as a directory holding <name>/ (or the zip's own
 * top-level name, e.g. ml-10M100K/). The subdirectory wins: a directory of several datasets
 * may hold a stray ratings file of its own. */
static int find_in_data(const dataset *d, char *path, size_t len) {
    const char *env = getenv("AUTOREC_DATA");
    if (!env || !*env) return 0;
    const char *subs[] = {d->info.name, d->top};
    for (size_t i = 0; i < 2; i++) {
        char p[PATH_MAX];
        if (PATHF(p, "%s/%s", env, subs[i]) && ar_fetch_has_file(p, d->info.ratings_file))
            return snprintf(path, len, "%s", p) < (int)len;
    }
    return ar_fetch_has_file(env, d->info.ratings_file) &&
           snprintf(path, len, "%s", env) < (int)len;
}

ar_status ar_movielens_locate(const char *name, int download_ok, char *dir, size_t dir_len) {
    if (!name || !dir || dir_len == 0)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_movielens_locate: NULL name or empty buffer");
    const dataset *d = find(name);
    if (!d) {
        char known[256] = "";
        for (size_t i = 0; i < N_DATASETS; i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     datasets[i].info.name);
        return ar_fail(AR_ERR_INVALID_ARG, "unknown dataset '%s' (known: %s)", name, known);
    }
    char path[PATH_MAX], root[PATH_MAX], entry[PATH_MAX], url[PATH_MAX];
    const char *home;
    if (find_in_data(d, path, sizeof path)) return copy_out(path, dir, dir_len);

    if (!cache_root(root, sizeof root, &home) || !PATHF(entry, "%s/%s", root, d->info.name)) {
        const char *env = getenv("AUTOREC_DATA");
        return ar_fail(AR_ERR_IO, "%s: not found in $AUTOREC_DATA (%s), and there is no cache "
                       "directory (set XDG_CACHE_HOME or HOME); download %s by hand, extract "
                       "it and point AUTOREC_DATA at the directory holding %s",
                       d->info.name, env && *env ? env : "unset", d->info.zip,
                       d->info.ratings_file);
    }
    remove_stale(root);
    if (ar_fetch_has_file(entry, d->info.ratings_file)) return copy_out(entry, dir, dir_len);

    const char *mirror = getenv("AUTOREC_MIRROR");
    if (!mirror || !*mirror) mirror = DEFAULT_MIRROR;
    size_t ml = strlen(mirror);
    while (ml > 1 && mirror[ml - 1] == '/') ml--; /* "…/movielens/" works too */
    if (snprintf(url, sizeof url, "%.*s/%s", (int)ml, mirror, d->info.zip) >= (int)sizeof url)
        return ar_fail(AR_ERR_INVALID_ARG, "AUTOREC_MIRROR is too long");
    if (!download_ok)
        return ar_fetch_fail(d, entry, "downloading is off (it would fetch %s)", url);
    ar_status st = make_root(d, entry, root, home);
    if (st != AR_OK) return st;

    char part[PATH_MAX], tmp[PATH_MAX];
    if (!temp_names(d, root, part, tmp))
        return ar_fetch_fail(d, entry, "the cache path is too long");

    sig_guard g;
    guard_on(&g);
    st = ar_fetch_download(d, root, entry, url, part, tmp);
    /* Both temporaries go, whatever happened; the cache keeps only a complete entry. */
    if (part[0]) unlink(part);
    if (tmp[0]) ar_remove_tree(tmp);
    int sig = guard_off(&g);
    if (sig) {
        if (st == AR_OK)
            st = ar_fetch_fail(d, entry, "the download was interrupted by signal %d", sig);
        raise(sig); /* the default action ends the process; a handler of the caller runs */
        return st;
    }
    return st == AR_OK ? copy_out(entry, dir, dir_len) : st;
}
