/* kparams_store.c - the winners of `autorec tune-kernels` (kparams_tune.c), kept in the
 * built-program cache's directory (ar_program_cache_dir) as kernel-params.tsv, one line per
 * (device, driver, kernel, shape class: hidden size and columns rounded up to powers of two):
 * tab-separated, the parameters last in the form
 * ar_kparams_parse reads. A model that uses the sparse kernels looks its shape class up when it
 * is created (ar_kparams_apply_tuned) and rebuilds its context's program with the winners.
 * Like the program cache, the file never fails a run: unreadable, malformed or stale lines are
 * skipped; it is rewritten whole through the output module (temporary + rename), keeping '#'
 * comments, and not at all when it holds a line that is neither (tune-kernels then fails
 * naming the line, and the file is left as it was). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define STORE_NAME "kernel-params.tsv"

/* The record fields of ctx's device: name and platform (tabs and newlines made spaces). */
static void clean(char *s) {
    for (; *s; s++)
        if (*s == '\t' || *s == '\n' || *s == '\r') *s = ' ';
}
static void device_key(const ar_ctx *c, char *dev, size_t cap, char *driver, size_t dcap) {
    snprintf(dev, cap, "%s | %s", c->info.name, c->info.platform_name);
    driver[0] = 0;
    if (clGetDeviceInfo(c->device, CL_DRIVER_VERSION, dcap - 1, driver, NULL) != CL_SUCCESS)
        driver[0] = 0;
    driver[dcap - 1] = 0;
    clean(dev);
    clean(driver);
}

static int pow2_at_least(int v) {
    int p = 8;
    while (p < v && p < (1 << 30)) p *= 2;
    return p;
}

void ar_kparams_shape_class(int hidden, int cols, char *out, size_t cap) {
    snprintf(out, cap, "h%d-c%d", pow2_at_least(hidden), pow2_at_least(cols));
}

int ar_kparams_store_path(char *path, size_t cap, char *why, size_t why_cap) {
    char dir[4096];
    if (!ar_program_cache_dir(dir, sizeof dir, why, why_cap)) return 0;
    if (snprintf(path, cap, "%s/%s", dir, STORE_NAME) < (int)cap) return 1;
    if (why) snprintf(why, why_cap, "the path under %s is too long", dir);
    return 0;
}

ar_status ar_kparams_store_need(char *path, size_t cap) {
    char why[4400];
    if (ar_kparams_store_path(path, cap, why, sizeof why)) return AR_OK;
    return ar_fail(AR_ERR_IO, "no cache directory for the tuned kernel parameters: %s", why);
}

/* The whole file (NULL when absent or unreadable; *n its length). */
static char *read_store(const char *path, size_t *n) {
    char *text = NULL;
    *n = 0;
    if (ar_read_file(path, &text, n) != AR_OK) {
        ar_clear_error();
        return NULL;
    }
    return text;
}

/* The store as ar_kparams_record rewrites it: *old NULL when there is no file; a file that is
 * there but cannot be read, or holds a NUL byte (the lines after it would be lost unseen), is
 * an error: rewriting it would drop the records in it. */
static ar_status read_for_rewrite(const char *path, char **old) {
    size_t n = 0;
    struct stat sb;
    *old = NULL;
    if (stat(path, &sb) != 0 && errno == ENOENT) return AR_OK;
    ar_status st = ar_read_file(path, old, &n);
    if (st != AR_OK)
        return ar_fail(st, "%s; it was not rewritten (its records would be lost)",
                       ar_last_error());
    const int line = ar_nul_line(*old, n);
    if (!line) return AR_OK;
    free(*old);
    *old = NULL;
    return ar_fail(AR_ERR_PARSE, "%s:%d: a NUL byte; the file was not rewritten", path, line);
}

/* Splits line (modified) into its 5 fields; 0 when it has not exactly 5. */
static int split(char *line, char *f[5]) {
    int k = 0;
    for (char *s = line; k < 5; k++) {
        f[k] = s;
        char *t = strchr(s, '\t');
        if (!t) return k == 4;
        *t = 0;
        s = t + 1;
    }
    return 0;
}

int ar_kparams_lookup(const ar_ctx *c, const char *kernel, const char *shape_class,
                      ar_kparams *kp) {
    char path[4200], dev[400], driver[256];
    if (!ar_kparams_store_path(path, sizeof path, NULL, 0)) return 0;
    size_t len;
    char *text = read_store(path, &len); /* (a NUL ends it early: what follows is not read) */
    if (!text) return 0;
    device_key(c, dev, sizeof dev, driver, sizeof driver);
    int found = 0;
    char *save = NULL; /* strtok_r: tune's worker threads create models concurrently */
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[5];
        ar_kparams t = *kp;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') line[n - 1] = 0; /* a file saved with CRLF ends */
        if (split(line, f) && !strcmp(f[0], dev) && !strcmp(f[1], driver) &&
            !strcmp(f[2], kernel) && !strcmp(f[3], shape_class) &&
            ar_kparams_parse(f[4], &t) == AR_OK)
            *kp = t, found = 1; /* the last matching line wins */
        else ar_clear_error();
    }
    free(text);
    return found;
}

ar_status ar_kparams_record(const ar_ctx *c, const char *kernel, const char *shape_class,
                            const char *params, char *path, size_t cap) {
    char dev[400], driver[256];
    ar_status st = ar_kparams_store_need(path, cap);
    if (st != AR_OK) return st;
    device_key(c, dev, sizeof dev, driver, sizeof driver);
    /* one writer at a time: two tune-kernels runs (two devices) would each read the file,
     * add their records and rename, the second dropping the first's. A lock file beside it;
     * without one (a read-only directory: the rename would fail anyway) no lock. */
    char lock_path[4300];
    snprintf(lock_path, sizeof lock_path, "%s.lock", path);
    const int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock >= 0) flock(lock, LOCK_EX);
    char *old = NULL;
    ar_output *o = NULL;
    st = read_for_rewrite(path, &old);
    if (st == AR_OK) st = ar_output_open(path, &o);
    /* every other record kept, in order, and every blank or '#' line; this one last. A line
     * that is neither is not ours to drop (the file, or what a link in its place points to,
     * may hold someone's text): the file is left as it is. */
    int lineno = 0;
    for (char *rest = old, *line; st == AR_OK && rest && (line = strsep(&rest, "\n"));) {
        char copy[1024], *f[5];
        lineno++;
        if (!rest && !*line) break; /* after the last newline */
        snprintf(copy, sizeof copy, "%s", line);
        const int blank = line[strspn(line, " \t\r")] == 0 || line[0] == '#';
        if (!blank && !split(copy, f)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: not a record of tuned kernel parameters (5 "
                         "tab-separated fields) nor a '#' comment; the file was not rewritten",
                         path, lineno);
        } else if (blank || !(!strcmp(f[0], dev) && !strcmp(f[1], driver) &&
                              !strcmp(f[2], kernel) && !strcmp(f[3], shape_class))) {
            st = ar_output_write(o, line, strlen(line));
            if (st == AR_OK) st = ar_output_write(o, "\n", 1);
        }
    }
    char rec[1200];
    int n = snprintf(rec, sizeof rec, "%s\t%s\t%s\t%s\t%s\n", dev, driver, kernel, shape_class,
                     params);
    if (st == AR_OK) st = ar_output_write(o, rec, (size_t)n);
    free(old);
    if (st == AR_OK) st = ar_output_commit(o);
    else if (o) ar_output_abort(o);
    if (lock >= 0) close(lock); /* and with it the lock */
    return st;
}

ar_status ar_kparams_apply_tuned(ar_ctx *c, int hidden, int cols) {
    const char *env = getenv("AUTOREC_KERNEL_PARAMS");
    if (env && *env) return AR_OK; /* set by hand: it wins */
    char cls[32];
    ar_kparams_shape_class(hidden, cols, cls, sizeof cls);
    /* from what the context had before any stored winners, so that a model whose class has
     * none does not run with the last model's (a sweep over --hidden on one context) */
    const ar_kparams base = c->kp_by_store ? c->kp_base : c->kp;
    const char *base_from = c->kp_by_store ? c->kp_base_from : c->kp_from;
    ar_kparams kp = base;
    ar_kparams_lookup(c, AR_KTUNE_PRODUCTS, cls, &kp);
    ar_kparams_lookup(c, AR_KTUNE_SDDMM, cls, &kp);
    ar_status st = memcmp(&kp, &c->kp, sizeof kp) ? ar_ctx_set_kparams(c, &kp) : AR_OK;
    if (st == AR_OK) {
        c->kp_base = base;
        c->kp_base_from = base_from;
        c->kp_by_store = memcmp(&kp, &base, sizeof kp) != 0;
        c->kp_from = c->kp_by_store ? "tuned" : base_from; /* ar_ctx_kernel_params */
    }
    return st;
}
