/* testutil.c - see testutil.h. */
#define _GNU_SOURCE /* nftw */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

ar_ctx *tu_ctx(void) {
    ar_ctx *c = NULL;
    ar_status st = ar_ctx_create(NULL, &c);
    cr_assert(st == AR_OK, "no OpenCL context on '%s': %s",
              getenv("AUTOREC_DEVICE") ? getenv("AUTOREC_DEVICE") : "(default)", ar_last_error());
    return c;
}

uint64_t tu_seed(void) {
    static uint64_t seed;
    static int done;
    if (!done) {
        const char *s = getenv("AUTOREC_TEST_SEED");
        seed = s && *s ? strtoull(s, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 20);
        done = 1;
        fprintf(stderr, "[test seed %llu: rerun with AUTOREC_TEST_SEED=%llu]\n",
                (unsigned long long)seed, (unsigned long long)seed);
    }
    return seed;
}

void tu_fill(float *x, size_t n, float lo, float hi, ar_rng *rng) {
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * (float)ar_rng_uniform(rng);
}

cl_mem tu_buffer(ar_ctx *c, size_t n, const float *host) {
    cl_mem b = NULL;
    ar_status st = ar_buffer(c, n * sizeof(float), host, "test buffer", &b);
    cr_assert(st == AR_OK, "%s", ar_last_error());
    if (!host) {
        st = ark_fill(c, b, 0, n, NAN);
        cr_assert(st == AR_OK, "%s", ar_last_error());
    }
    return b;
}

cl_mem tu_ibuffer(ar_ctx *c, size_t n, const int *host) {
    cl_mem b = NULL;
    ar_status st = ar_buffer(c, n * sizeof(int), host, "test buffer", &b);
    cr_assert(st == AR_OK, "%s", ar_last_error());
    return b;
}

void tu_read(ar_ctx *c, cl_mem buf, size_t n, float *host) {
    ar_status st = ar_read(c, buf, 0, n * sizeof(float), host);
    cr_assert(st == AR_OK, "%s", ar_last_error());
}

void tu_compare(const char *what, const float *got, const float *ref, size_t n, double atol,
                double rtol) {
    double worst = 0;
    size_t worst_i = 0, bad = 0, first_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double tol = atol + rtol * fabs((double)ref[i]);
        if (!(d <= tol)) { /* NaN compares false: an unwritten element fails */
            if (!bad) first_bad = i;
            bad++;
        }
        if (d > worst || isnan(d)) {
            worst = isnan(d) ? INFINITY : d;
            worst_i = i;
        }
    }
    fprintf(stderr, "  %-28s n=%-8zu max |diff| %.3g at %zu (atol %.1g, rtol %.1g)\n", what, n,
            worst, worst_i, atol, rtol);
    cr_assert(bad == 0, "%s: %zu of %zu elements out of tolerance; first at %zu: got %.9g, "
              "reference %.9g (atol %g, rtol %g)", what, bad, n, first_bad,
              (double)got[first_bad], (double)ref[first_bad], atol, rtol);
}

void tu_random_csr(ar_csr *m, int rows, int cols, double density, ar_rng *rng) {
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->row_ptr = calloc((size_t)rows + 1, sizeof(int));
    m->col_idx = malloc((size_t)rows * cols * sizeof(int));
    m->vals = malloc((size_t)rows * cols * sizeof(float));
    cr_assert(m->row_ptr && m->col_idx && m->vals);
    int k = 0;
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            if (ar_rng_uniform(rng) < density) {
                m->col_idx[k] = c;
                m->vals[k] = (float)(1 + ar_rng_next(rng) % 5);
                k++;
            }
        m->row_ptr[r + 1] = k;
    }
}

static double gauss(ar_rng *rng) {
    double u1 = ar_rng_uniform(rng), u2 = ar_rng_uniform(rng);
    return sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2);
}

void tu_synth(int users, int items, int rank, double density, double test_ratio, uint64_t seed,
              ar_ratings **train, ar_ratings **test) {
    ar_rng rng = {seed};
    double *a = malloc((size_t)users * rank * sizeof *a), *b = malloc((size_t)items * rank * sizeof *b);
    size_t cap = (size_t)users * items;
    int64_t *us = malloc(cap * sizeof *us), *is = malloc(cap * sizeof *is);
    float *rs = malloc(cap * sizeof *rs);
    cr_assert(a && b && us && is && rs);
    for (int i = 0; i < users * rank; i++) a[i] = gauss(&rng) / sqrt(rank) * 1.2;
    for (int i = 0; i < items * rank; i++) b[i] = gauss(&rng);
    size_t n = 0;
    for (int u = 0; u < users; u++)
        for (int i = 0; i < items; i++) {
            if (ar_rng_uniform(&rng) >= density) continue;
            double v = 3.0 + 0.2 * gauss(&rng);
            for (int k = 0; k < rank; k++) v += a[u * rank + k] * b[i * rank + k];
            v = round(v);
            us[n] = u + 1;
            is[n] = i + 1;
            rs[n] = (float)(v < 1 ? 1 : v > 5 ? 5 : v);
            n++;
        }
    ar_ratings *all = NULL;
    cr_assert(ar_ratings_from_arrays(us, is, rs, n, &all) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_ratings_split(all, test_ratio, seed + 1, train, test) == AR_OK, "%s",
              ar_last_error());
    ar_ratings_free(all);
    free(a);
    free(b);
    free(us);
    free(is);
    free(rs);
}

void tu_write_ratings(const char *path, const ar_ratings *r) {
    FILE *f = fopen(path, "w");
    cr_assert(f, "cannot write %s", path);
    for (size_t k = 0; k < r->n; k++)
        fprintf(f, "%lld\t%lld\t%g\t%d\n", (long long)r->user[k], (long long)r->item[k],
                (double)r->rating[k], 880000000 + (int)k);
    fclose(f);
}

char *tu_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert(f, "cannot open %s", path);
    cr_assert(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    cr_assert(n >= 0 && fseek(f, 0, SEEK_SET) == 0);
    char *buf = malloc((size_t)n + 1);
    cr_assert(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "cannot read %s", path);
    buf[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return buf;
}

/* Copies the file into buf (cap bytes, NUL-terminated, truncated if longer). */
static void slurp_into(const char *path, char *buf, size_t cap) {
    size_t n;
    char *s = tu_slurp(path, &n);
    snprintf(buf, cap, "%s", s);
    free(s);
}

int tu_run_cli(const char *dir, const char *env, char *out, char *err, size_t cap,
               const char *fmt, ...) {
    char args[4096], cmd[8192], p[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    /* the CLI built with the tests, or $AUTOREC_TEST_CLI (tests run from a moved bundle) */
    const char *bin = getenv("AUTOREC_TEST_CLI");
    snprintf(cmd, sizeof cmd, "%s '%s' %s >'%s/out' 2>'%s/err' </dev/null", env ? env : "",
             bin && *bin ? bin : AUTOREC_BIN, args, dir, dir);
    int status = system(cmd);
    snprintf(p, sizeof p, "%s/out", dir);
    slurp_into(p, out, cap);
    snprintf(p, sizeof p, "%s/err", dir);
    slurp_into(p, err, cap);
    cr_assert(WIFEXITED(status), "autorec %s did not exit normally", args);
    return WEXITSTATUS(status);
}

double tu_json_number(const char *json, const char *key) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    if (!p || !strncmp(p + strlen(k), "null", 4)) return NAN;
    return strtod(p + strlen(k), NULL);
}

/* ---- the test's temporary directory --------------------------------------------------------- */

static char tmpdir[64];
static pid_t tmpdir_owner; /* the process that made it: a forked child's exit leaves it alone */

static void tmpdir_at_exit(void) {
    if (getpid() == tmpdir_owner) tu_tmpdir_teardown();
}

void tu_tmpdir_setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/autorec-test-XXXXXX");
    cr_assert(mkdtemp(tmpdir), "mkdtemp failed: %s", strerror(errno));
    /* a test that ends by exit() (death tests, fatal asserts in helpers) skips .fini: without
     * this its directory stayed behind in /tmp, one per such test and run */
    if (!tmpdir_owner) atexit(tmpdir_at_exit);
    tmpdir_owner = getpid();
}

/* nftw callback: removes each entry, the directory's contents before the directory itself. */
static int remove_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

void tu_tmpdir_teardown(void) {
    if (tmpdir[0]) nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = 0;
}

const char *tu_tmpdir(void) {
    cr_assert(tmpdir[0], "no temporary directory: the suite needs .init = tu_tmpdir_setup");
    return tmpdir;
}

const char *tu_path(const char *name) {
    static char p[8][4096];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", tu_tmpdir(), name);
    return p[k];
}

const char *tu_write_file(const char *name, const char *text) {
    const char *p = tu_path(name);
    FILE *f = fopen(p, "wb");
    cr_assert(f, "cannot write %s: %s", p, strerror(errno));
    cr_assert(fputs(text, f) >= 0 && fclose(f) == 0, "cannot write %s", p);
    return p;
}

void tu_assert_no_temporaries(void) {
    DIR *d = opendir(tu_tmpdir());
    cr_assert(d, "cannot list %s", tu_tmpdir());
    for (struct dirent *e; (e = readdir(d));)
        cr_assert(!strstr(e->d_name, ".tmp"), "temporary file %s left behind", e->d_name);
    closedir(d);
}

/* ---- zips ----------------------------------------------------------------------------------- */

char *tu_make_zip(const tu_zip_entry *e, size_t n, size_t *len) {
    size_t cap = 1 << 20;
    for (size_t i = 0; i < n; i++) cap += e[i].len + 512;
    char *buf = malloc(cap);
    cr_assert(buf);
    struct archive *a = archive_write_new();
    cr_assert(archive_write_set_format_zip(a) == ARCHIVE_OK);
    cr_assert(archive_write_open_memory(a, buf, cap, len) == ARCHIVE_OK, "%s",
              archive_error_string(a));
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        int dir = e[i].name[strlen(e[i].name) - 1] == '/';
        archive_entry_set_pathname(ae, e[i].name);
        archive_entry_set_filetype(ae, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(ae, dir ? 0755 : 0644);
        archive_entry_set_size(ae, dir ? 0 : (la_int64_t)e[i].len);
        archive_entry_set_mtime(ae, 893286638, 0);
        cr_assert(archive_write_header(a, ae) == ARCHIVE_OK, "%s", archive_error_string(a));
        if (!dir) cr_assert(archive_write_data(a, e[i].data, e[i].len) == (la_ssize_t)e[i].len);
        archive_entry_free(ae);
    }
    cr_assert(archive_write_close(a) == ARCHIVE_OK, "%s", archive_error_string(a));
    archive_write_free(a);
    return buf;
}

char *tu_ml100k_zip(const char *dir, int alter, const char *only, size_t *len) {
    DIR *d = opendir(dir);
    cr_assert(d, "cannot open %s", dir);
    tu_zip_entry e[64] = {{"ml-100k/", NULL, 0}};
    size_t n = 1;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        char p[600];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        if (only && strcmp(de->d_name, only) != 0) continue;
        char *name = malloc(strlen(de->d_name) + 9);
        sprintf(name, "ml-100k/%s", de->d_name);
        size_t l;
        char *data = tu_slurp(p, &l);
        if (alter && strcmp(de->d_name, "u.data") == 0) data[1000] ^= 1;
        e[n++] = (tu_zip_entry){name, data, l};
    }
    closedir(d);
    char *zip = tu_make_zip(e, n, len);
    for (size_t i = 1; i < n; i++) {
        free((char *)e[i].name);
        free((char *)e[i].data);
    }
    return zip;
}
