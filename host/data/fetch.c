/* fetch.c - MovieLens datasets by name: $AUTOREC_DATA, the cache, or a verified download.
 *
 * A download goes to temporaries inside the cache root (".<zip>.part-<pid>-XXXXXX" for the
 * zip, ".<name>.tmp-<pid>-XXXXXX" for the extracted tree) and enters the cache by one rename()
 * of the checked tree, so the cache never holds a partial dataset: any failure, or SIGINT /
 * SIGTERM, removes the temporaries. The pid in their names lets a later locate remove only
 * the leftovers of processes that died (kill -9), never those of a download still running.
 */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#define DEFAULT_MIRROR "https://files.grouplens.org/datasets/movielens"

/* What the pinned checksum covers. */
typedef enum {
    SUM_RATINGS_SHA256, /* the extracted ratings file */
    SUM_ZIP_MD5,        /* the zip, as GroupLens publishes it in <zip>.md5 */
    SUM_ZIP_SHA256,     /* the zip */
} sum_kind;

typedef struct {
    ar_movielens_info info; /* first member: ar_movielens_find returns a pointer to it */
    const char *top;        /* the zip's top-level directory */
    sum_kind kind;
    const char *sum;        /* lower-case hex */
} dataset;

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

/* snprintf into a PATH_MAX buffer; 0 when the path does not fit. */
#define PATHF(buf, ...) (snprintf(buf, sizeof buf, __VA_ARGS__) < (int)sizeof buf)

/* Whether dir/file is a regular file (following links: a hand-made dataset may link it). */
static int has_file(const char *dir, const char *file) {
    char p[PATH_MAX];
    struct stat sb;
    return PATHF(p, "%s/%s", dir, file) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Removes path and everything below it, never following symbolic links. */
static void remove_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (!S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            char child[PATH_MAX];
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
            if (PATHF(child, "%s/%s", path, e->d_name)) remove_tree(child);
        }
        closedir(dir);
    }
    rmdir(path);
}

/* mkdir -p with mode 0700 for what it creates (XDG asks for private cache directories). */
static int make_dirs(const char *path) {
    char p[PATH_MAX];
    if (!PATHF(p, "%s", path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
        *s = c;
        if (c == '\0') break;
    }
    struct stat sb;
    if (stat(p, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* $XDG_CACHE_HOME/autorec, else ~/.cache/autorec. XDG says to ignore a relative value. */
static int cache_root(char *root, size_t len) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/') return snprintf(root, len, "%s/autorec", xdg) < (int)len;
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home && *home && snprintf(root, len, "%s/.cache/autorec", home) < (int)len;
}

/* Removes the temporaries of downloads whose process is gone: a download killed with SIGKILL
 * (or a power cut) cannot clean up after itself. Those of live processes are left alone. */
static void remove_stale(const char *root) {
    DIR *dir = opendir(root);
    if (!dir) return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        const char *n = e->d_name, *tag = NULL;
        if (n[0] != '.') continue;
        for (size_t i = 0; i < N_DATASETS && !tag; i++) {
            size_t zl = strlen(datasets[i].info.zip), nl = strlen(datasets[i].info.name);
            if (strncmp(n + 1, datasets[i].info.zip, zl) == 0 &&
                strncmp(n + 1 + zl, ".part-", 6) == 0)
                tag = n + 1 + zl + 6;
            else if (strncmp(n + 1, datasets[i].info.name, nl) == 0 &&
                     strncmp(n + 1 + nl, ".tmp-", 5) == 0)
                tag = n + 1 + nl + 5;
        }
        if (!tag) continue;
        char *end;
        long pid = strtol(tag, &end, 10);
        if (end == tag || *end != '-' || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue; /* alive (or not ours) */
        char p[PATH_MAX];
        if (PATHF(p, "%s/%s", root, n)) remove_tree(p);
    }
    closedir(dir);
}

/* ---- messages ------------------------------------------------------------------------------- */

/* The one-line error for "not here, and not fetched": what was looked at, what went wrong,
 * and exactly where a hand-downloaded copy would be found. */
static ar_status fail_where(const dataset *d, const char *entry, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ar_status fail_where(const dataset *d, const char *entry, const char *fmt, ...) {
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

/* SIGINT / SIGTERM during a download set this flag; the transfer and the extraction poll it,
 * stop, clean up, and the signal is raised again once the old handlers are back. Process-wide,
 * like the handlers: two threads should not download at the same time. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

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
    interrupted = 0;
    g->have_int = guard_one(SIGINT, &g->old_int);
    g->have_term = guard_one(SIGTERM, &g->old_term);
}

/* Restores the old handlers; returns the signal that arrived meanwhile, or 0. */
static int guard_off(sig_guard *g) {
    if (g->have_int) sigaction(SIGINT, &g->old_int, NULL);
    if (g->have_term) sigaction(SIGTERM, &g->old_term, NULL);
    return interrupted;
}

/* ---- checksums ------------------------------------------------------------------------------ */

/* Hex digest of a file; 0 with errno-style reason in why on failure. */
static int file_digest(const char *path, const EVP_MD *md, char *hex, size_t hex_len,
                       char *why, size_t why_len) {
    unsigned char buf[65536], out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    int ok = 0;
    FILE *f = fopen(path, "rb");
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!f) {
        snprintf(why, why_len, "cannot read %s: %s", path, strerror(errno));
        goto done;
    }
    if (!ctx || !EVP_DigestInit_ex(ctx, md, NULL)) {
        snprintf(why, why_len, "OpenSSL cannot compute the digest");
        goto done;
    }
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(ctx, buf, got);
    if (ferror(f)) {
        snprintf(why, why_len, "cannot read %s", path);
        goto done;
    }
    EVP_DigestFinal_ex(ctx, out, &n);
    if (hex_len < 2 * (size_t)n + 1) goto done;
    for (unsigned int i = 0; i < n; i++) snprintf(hex + 2 * i, 3, "%02x", out[i]);
    ok = 1;
done:
    if (f) fclose(f);
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* Checks path against the pinned value; the message names both digests. */
static ar_status check_sum(const dataset *d, const char *entry, const char *url,
                           const char *path, const char *what) {
    const EVP_MD *md = d->kind == SUM_ZIP_MD5 ? EVP_md5() : EVP_sha256();
    const char *algo = d->kind == SUM_ZIP_MD5 ? "MD5" : "SHA-256";
    char hex[2 * EVP_MAX_MD_SIZE + 1], why[PATH_MAX + 128];
    if (!file_digest(path, md, hex, sizeof hex, why, sizeof why))
        return fail_where(d, entry, "the download from %s could not be checked (%s)", url, why);
    if (strcmp(hex, d->sum) != 0)
        return fail_where(d, entry,
                          "the download from %s was refused: the %s of %s is %s, not the pinned "
                          "%s (corrupt or altered; nothing was cached)",
                          url, algo, what, hex, d->sum);
    return AR_OK;
}

/* ---- download ------------------------------------------------------------------------------- */

typedef struct {
    FILE *f;
    int write_errno;   /* why a write to the part file failed */
    const char *name;
    int tty;           /* show progress: only when a person watches stderr */
    int shown;
    struct timespec last;
    curl_off_t last_now;
} xfer;

static size_t on_data(char *p, size_t size, size_t n, void *user) {
    xfer *x = user;
    if (fwrite(p, size, n, x->f) != n) {
        x->write_errno = errno;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut,
                       curl_off_t un) {
    (void)ut, (void)un;
    xfer *x = user;
    if (interrupted) return 1; /* CURLE_ABORTED_BY_CALLBACK */
    if (!x->tty) return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    double dt = (double)(t.tv_sec - x->last.tv_sec) + 1e-9 * (double)(t.tv_nsec - x->last.tv_nsec);
    /* A few updates a second, and the final one, each once. */
    if (x->shown && (now == x->last_now || (dt < 0.25 && !(total > 0 && now == total))))
        return 0;
    x->last = t;
    x->last_now = now;
    x->shown = 1;
    if (total > 0)
        fprintf(stderr, "\r%s: downloading %.1f of %.1f MB (%d%%)  ", x->name, (double)now / 1e6,
                (double)total / 1e6, (int)(100 * now / total));
    else
        fprintf(stderr, "\r%s: downloading %.1f MB  ", x->name, (double)now / 1e6);
    return 0;
}

/* Fetches url into the open file f (the part file). */
static ar_status fetch(const dataset *d, const char *entry, const char *url, FILE *f) {
    char err[CURL_ERROR_SIZE] = "";
    xfer x = {.f = f, .name = d->info.name, .tty = isatty(STDERR_FILENO)};
    CURL *c = curl_easy_init();
    if (!c) return fail_where(d, entry, "libcurl could not start for %s", url);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    /* Our own status check below names the status; FAILONERROR would hide it in a string. */
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 0L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    /* A stalled server must not hang training forever: give up below 1 KB/s for 60 s. */
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "autorec-cl/" "0.1");
    /* file:// serves an offline mirror; redirects may only go to http(s). */
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS,
                     (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    if (x.shown) fputc('\n', stderr);

    if (rc == CURLE_ABORTED_BY_CALLBACK && interrupted)
        return fail_where(d, entry, "the download from %s was interrupted by signal %d",
                          url, (int)interrupted);
    if (rc == CURLE_WRITE_ERROR && x.write_errno)
        return fail_where(d, entry, "the download from %s could not be written (%s)", url,
                          strerror(x.write_errno));
    if (rc != CURLE_OK)
        /* The error buffer is the specific one ("Failed to connect to … port …"). */
        return fail_where(d, entry, "the download from %s failed (curl: %s)", url,
                          err[0] ? err : curl_easy_strerror(rc));
    if (code >= 400)
        return fail_where(d, entry, "the download from %s failed (HTTP status %ld)", url, code);
    if (fflush(f) != 0)
        return fail_where(d, entry, "the download from %s could not be written (%s)", url,
                          strerror(errno));
    return AR_OK;
}

/* ---- extraction ----------------------------------------------------------------------------- */

/* Whether a zip entry name is safe to create under the extraction directory: relative, and
 * without ".." components that would climb out of it. */
static int safe_name(const char *p) {
    if (!p || !*p || p[0] == '/') return 0;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.') return 0;
        s += n;
        while (*s == '/') s++;
    }
    return 1;
}

/* Creates the directories above tmp/rel (rel is relative and safe). */
static int make_parents(const char *tmp, const char *rel) {
    char p[PATH_MAX];
    if (!PATHF(p, "%s/%s", tmp, rel)) return -1;
    char *slash = strrchr(p, '/');
    *slash = '\0';
    return make_dirs(p);
}

/* Writes the current entry's data to path; never follows a link already there. */
static ar_status write_entry(struct archive *a, const char *path, char *why, size_t why_len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (fd < 0) {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        return AR_ERR_IO;
    }
    char buf[65536];
    la_ssize_t n;
    ar_status st = AR_OK;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) {
        if (interrupted) {
            snprintf(why, why_len, "interrupted by signal %d", (int)interrupted);
            st = AR_ERR_IO;
            break;
        }
        for (la_ssize_t off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
                close(fd);
                return AR_ERR_IO;
            }
            off += w;
        }
    }
    if (st == AR_OK && n < 0) {
        snprintf(why, why_len, "%s", archive_error_string(a));
        st = AR_ERR_IO;
    }
    /* fsync: after a crash the renamed entry must not hold truncated files. */
    if (st == AR_OK && fsync(fd) != 0) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        st = AR_ERR_IO;
    }
    if (close(fd) != 0 && st == AR_OK) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        st = AR_ERR_IO;
    }
    return st;
}

/* Extracts the zip into tmp, dropping the top-level directory (ml-10m's is "ml-10M100K");
 * only plain files and directories, each checked by safe_name. */
static ar_status extract(const char *zip, const char *tmp, char *why, size_t why_len) {
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    ar_status st = AR_OK;
    int r;
    if (!a) {
        snprintf(why, why_len, "out of memory");
        return AR_ERR_OUT_OF_MEMORY;
    }
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, zip, 65536) != ARCHIVE_OK) {
        snprintf(why, why_len, "not a zip archive (%s)", archive_error_string(a));
        archive_read_free(a);
        return AR_ERR_IO;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (interrupted) {
            snprintf(why, why_len, "interrupted by signal %d", (int)interrupted);
            st = AR_ERR_IO;
            break;
        }
        if (!safe_name(name)) {
            snprintf(why, why_len, "unsafe path in the zip: '%s'", name ? name : "(none)");
            st = AR_ERR_IO;
            break;
        }
        const char *slash = strchr(name, '/');
        if (strncmp(name, "__MACOSX/", 9) == 0) continue; /* resource forks of a Mac zip */
        const char *rel = slash ? slash + 1 : name;
        while (*rel == '/') rel++;
        if (!*rel) continue; /* the top-level directory itself */
        char path[PATH_MAX];
        if (!PATHF(path, "%s/%s", tmp, rel)) {
            snprintf(why, why_len, "path too long in the zip: '%s'", name);
            st = AR_ERR_IO;
            break;
        }
        mode_t type = archive_entry_filetype(e);
        if (type == AE_IFDIR) {
            if (make_dirs(path) != 0) {
                snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
                st = AR_ERR_IO;
                break;
            }
        } else if (type == AE_IFREG) {
            if (make_parents(tmp, rel) != 0) {
                snprintf(why, why_len, "cannot create the directory of %s: %s", path,
                         strerror(errno));
                st = AR_ERR_IO;
                break;
            }
            if ((st = write_entry(a, path, why, why_len)) != AR_OK) break;
        } else {
            /* A link could point outside the cache; MovieLens zips hold none. */
            snprintf(why, why_len, "unsupported entry (a link or device) in the zip: '%s'", name);
            st = AR_ERR_IO;
            break;
        }
    }
    if (st == AR_OK && r != ARCHIVE_EOF) {
        snprintf(why, why_len, "damaged zip (%s)", archive_error_string(a));
        st = AR_ERR_IO;
    }
    archive_read_free(a);
    return st;
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
        if (PATHF(p, "%s/%s", env, subs[i]) && has_file(p, d->info.ratings_file))
            return snprintf(path, len, "%s", p) < (int)len;
    }
    return has_file(env, d->info.ratings_file) && snprintf(path, len, "%s", env) < (int)len;
}

/* The download proper, between the signal guard's on and off. */
static ar_status download(const dataset *d, const char *root, const char *entry,
                          const char *url, char *part, char *tmp) {
    char why[PATH_MAX + 256] = "";
    int fd = mkstemp(part);
    if (fd < 0) {
        part[0] = '\0';
        return fail_where(d, entry, "the cache is not writable (cannot create a file in %s: %s)",
                          root, strerror(errno));
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        return fail_where(d, entry, "the download could not start (%s)", strerror(errno));
    }
    ar_status st = fetch(d, entry, url, f);
    if (fclose(f) != 0 && st == AR_OK)
        st = fail_where(d, entry, "the download from %s could not be written (%s)", url,
                        strerror(errno));
    if (st != AR_OK) return st;

    if (d->kind != SUM_RATINGS_SHA256 &&
        (st = check_sum(d, entry, url, part, d->info.zip)) != AR_OK)
        return st;
    if (!mkdtemp(tmp)) {
        tmp[0] = '\0';
        return fail_where(d, entry, "the cache is not writable (cannot create a directory in "
                          "%s: %s)", root, strerror(errno));
    }
    if (extract(part, tmp, why, sizeof why) != AR_OK)
        return fail_where(d, entry, "the zip from %s could not be extracted (%s; nothing was "
                          "cached)", url, why);
    if (!has_file(tmp, d->info.ratings_file))
        return fail_where(d, entry, "the zip from %s has no %s/%s (nothing was cached)", url,
                          d->top, d->info.ratings_file);
    if (d->kind == SUM_RATINGS_SHA256) {
        char ratings[PATH_MAX];
        if (!PATHF(ratings, "%s/%s", tmp, d->info.ratings_file))
            return fail_where(d, entry, "the cache path is too long");
        if ((st = check_sum(d, entry, url, ratings, d->info.ratings_file)) != AR_OK) return st;
    }
    if (interrupted)
        return fail_where(d, entry, "the download from %s was interrupted by signal %d", url,
                          (int)interrupted);
    if (rename(tmp, entry) != 0) {
        int e = errno;
        /* Another process may have finished the same download first: use its copy. */
        if (has_file(entry, d->info.ratings_file)) return AR_OK;
        return fail_where(d, entry, "the checked download could not be moved into place "
                          "(rename %s: %s; remove %s if it is left over)", tmp, strerror(e),
                          entry);
    }
    tmp[0] = '\0'; /* it is the cache entry now */
    return AR_OK;
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
    if (find_in_data(d, path, sizeof path)) return copy_out(path, dir, dir_len);

    if (!cache_root(root, sizeof root) || !PATHF(entry, "%s/%s", root, d->info.name)) {
        const char *env = getenv("AUTOREC_DATA");
        return ar_fail(AR_ERR_IO, "%s: not found in $AUTOREC_DATA (%s), and there is no cache "
                       "directory (set XDG_CACHE_HOME or HOME); download %s by hand, extract "
                       "it and point AUTOREC_DATA at the directory holding %s",
                       d->info.name, env && *env ? env : "unset", d->info.zip,
                       d->info.ratings_file);
    }
    remove_stale(root);
    if (has_file(entry, d->info.ratings_file)) return copy_out(entry, dir, dir_len);

    const char *mirror = getenv("AUTOREC_MIRROR");
    if (!mirror || !*mirror) mirror = DEFAULT_MIRROR;
    size_t ml = strlen(mirror);
    while (ml > 1 && mirror[ml - 1] == '/') ml--; /* "…/movielens/" works too */
    if (snprintf(url, sizeof url, "%.*s/%s", (int)ml, mirror, d->info.zip) >= (int)sizeof url)
        return ar_fail(AR_ERR_INVALID_ARG, "AUTOREC_MIRROR is too long");
    if (!download_ok)
        return fail_where(d, entry, "downloading is off (it would fetch %s)", url);
    if (make_dirs(root) != 0)
        return fail_where(d, entry, "the cache directory %s cannot be created (%s)", root,
                          strerror(errno));

    char part[PATH_MAX], tmp[PATH_MAX];
    if (!PATHF(part, "%s/.%s.part-%ld-XXXXXX", root, d->info.zip, (long)getpid()) ||
        !PATHF(tmp, "%s/.%s.tmp-%ld-XXXXXX", root, d->info.name, (long)getpid()))
        return fail_where(d, entry, "the cache path is too long");

    sig_guard g;
    guard_on(&g);
    ar_status st = download(d, root, entry, url, part, tmp);
    /* Both temporaries go, whatever happened; the cache keeps only a complete entry. */
    if (part[0]) unlink(part);
    if (tmp[0]) remove_tree(tmp);
    int sig = guard_off(&g);
    if (sig) {
        if (st == AR_OK)
            st = fail_where(d, entry, "the download was interrupted by signal %d", sig);
        raise(sig); /* the default action ends the process; a handler of the caller runs */
        return st;
    }
    return st == AR_OK ? copy_out(entry, dir, dir_len) : st;
}
