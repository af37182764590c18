/* download.c - one MovieLens download: the zip fetched with libcurl into a part file, its
 * checksum (libcrypto), its extraction into a temporary tree (unzip.c), and the checked tree
 * renamed into the cache. Which file is where, and the clean-up: fetch.c. */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"

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
        return ar_fetch_fail(d, entry, "the download from %s could not be checked (%s)", url, why);
    if (strcmp(hex, d->sum) != 0)
        return ar_fetch_fail(d, entry,
                             "the download from %s was refused: the %s of %s is %s, not the pinned "
                             "%s (corrupt or altered; nothing was cached)",
                             url, algo, what, hex, d->sum);
    return AR_OK;
}

/* ---- the transfer --------------------------------------------------------------------------- */

typedef struct {
    ar_writer *w;      /* the part file (core/file.c: buffered, behind the fault hook) */
    int write_errno;   /* why a write to the part file failed */
    const char *name;
    int tty;           /* show progress: only when a person watches stderr */
    int shown;
    struct timespec last;
    curl_off_t last_now;
} xfer;

static size_t on_data(char *p, size_t size, size_t n, void *user) {
    xfer *x = user;
    ar_writer_put(x->w, p, size * n);
    if (x->w->err) {
        x->write_errno = x->w->err;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    return n;
}

static int on_progress(void *user, curl_off_t total, curl_off_t now, curl_off_t ut,
                       curl_off_t un) {
    (void)ut, (void)un;
    xfer *x = user;
    if (ar_fetch_interrupted) return 1; /* CURLE_ABORTED_BY_CALLBACK */
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

/* Fetches url into w (the part file). */
static ar_status fetch(const dataset *d, const char *entry, const char *url, ar_writer *w) {
    char err[CURL_ERROR_SIZE] = "";
    xfer x = {.w = w, .name = d->info.name, .tty = isatty(STDERR_FILENO)};
    CURL *c = curl_easy_init();
    if (!c) return ar_fetch_fail(d, entry, "libcurl could not start for %s", url);
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

    if (rc == CURLE_ABORTED_BY_CALLBACK && ar_fetch_interrupted)
        return ar_fetch_fail(d, entry, "the download from %s was interrupted by signal %d",
                             url, (int)ar_fetch_interrupted);
    if (rc == CURLE_WRITE_ERROR && x.write_errno)
        return ar_fetch_fail(d, entry, "the download from %s could not be written (%s)", url,
                             strerror(x.write_errno));
    if (rc != CURLE_OK)
        /* The error buffer is the specific one ("Failed to connect to … port …"). */
        return ar_fetch_fail(d, entry, "the download from %s failed (curl: %s)", url,
                             err[0] ? err : curl_easy_strerror(rc));
    if (code >= 400)
        return ar_fetch_fail(d, entry, "the download from %s failed (HTTP status %ld)", url, code);
    if (ar_writer_flush(w) != 0)
        return ar_fetch_fail(d, entry, "the download from %s could not be written (%s)", url,
                             strerror(w->err));
    return AR_OK;
}

/* ---- the download --------------------------------------------------------------------------- */

ar_status ar_fetch_download(const dataset *d, const char *root, const char *entry,
                            const char *url, char *part, char *tmp) {
    char why[PATH_MAX + 256] = "";
    int fd = mkstemp(part);
    if (fd < 0) {
        part[0] = '\0';
        return ar_fetch_fail(d, entry, "the cache is not writable (cannot create a file in %s: %s)",
                             root, strerror(errno));
    }
    ar_writer w = {fd, 0, malloc(AR_FETCH_BUFFER), 0, AR_FETCH_BUFFER};
    ar_status st = w.buf ? fetch(d, entry, url, &w)
                         : ar_fetch_fail(d, entry, "out of host memory for the download");
    free(w.buf);
    if (close(fd) != 0 && st == AR_OK)
        st = ar_fetch_fail(d, entry, "the download from %s could not be written (%s)", url,
                           strerror(errno));
    if (st != AR_OK) return st;

    if (d->kind != SUM_RATINGS_SHA256 &&
        (st = check_sum(d, entry, url, part, d->info.zip)) != AR_OK)
        return st;
    if (!mkdtemp(tmp)) {
        tmp[0] = '\0';
        return ar_fetch_fail(d, entry, "the cache is not writable (cannot create a directory in "
                             "%s: %s)", root, strerror(errno));
    }
    if (ar_fetch_unzip(part, tmp, why, sizeof why) != AR_OK)
        return ar_fetch_fail(d, entry, "the zip from %s could not be extracted (%s; nothing was "
                             "cached)", url, why);
    if (!ar_fetch_has_file(tmp, d->info.ratings_file))
        return ar_fetch_fail(d, entry, "the zip from %s has no %s/%s (nothing was cached)", url,
                             d->top, d->info.ratings_file);
    if (d->kind == SUM_RATINGS_SHA256) {
        char ratings[PATH_MAX];
        if (!PATHF(ratings, "%s/%s", tmp, d->info.ratings_file))
            return ar_fetch_fail(d, entry, "the cache path is too long");
        if ((st = check_sum(d, entry, url, ratings, d->info.ratings_file)) != AR_OK) return st;
    }
    if (ar_fetch_interrupted)
        return ar_fetch_fail(d, entry, "the download from %s was interrupted by signal %d", url,
                             (int)ar_fetch_interrupted);
    if (rename(tmp, entry) != 0) {
        int e = errno;
        /* Another process may have finished the same download first: use its copy. */
        if (ar_fetch_has_file(entry, d->info.ratings_file)) return AR_OK;
        return ar_fetch_fail(d, entry, "the checked download could not be moved into place "
                             "(rename %s: %s; remove %s if it is left over)", tmp, strerror(e),
                             entry);
    }
    tmp[0] = '\0'; /* it is the cache entry now */
    return AR_OK;
}
