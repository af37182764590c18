/* test_program_cache.c - the built-program cache (host/core/program_cache.c): a first context
 * builds from source and writes the entry, a second loads it (a hit) and trains to the same
 * numbers; an entry that is truncated, has a byte of its binary changed, a wrong magic or
 * another length, another key's entry, an old-format one, or one the driver loads without the
 * kernels is a miss that rebuilds and rewrites it (a hit again after); a model's tuned
 * parameters (a second build) count in the cache state and the build seconds; no cache with
 * AUTOREC_PROGRAM_CACHE=0 or under fault injection; a cache directory that cannot be written
 * leaves contexts working, one whose parents are missing is created. */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(program_cache, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* The entries in dir other than `except` (may be NULL): how many, the last one's path into path. */
static int entries(const char *dir, const char *except, char *path, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    char p[4096];
    for (struct dirent *e; (e = readdir(d));) {
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp-") &&
            (!except || strcmp(p, except)))
            snprintf(path, cap, "%s", p), n++;
    }
    closedir(d);
    return n;
}
/* The one entry in dir (its path into path), or 0 when there is none. */
static int entry(const char *dir, char *path, size_t cap) { return entries(dir, NULL, path, cap); }

/* The small data set and model every test trains (kernels: AR_KERNELS_*). */
static void small_model(ar_ctx *c, int kernels, ar_ratings **tr, ar_ratings **te,
                        ar_dataset **ds, ar_model **m) {
    tu_synth(40, 30, 2, 0.3, 0.2, 5, tr, te);
    cr_assert(ar_dataset_create(*tr, *te, ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 8;
    cfg.batch = 8;
    cfg.kernels = kernels;
    cr_assert(ar_model_create(c, *ds, &cfg, m) == AR_OK, "%s", ar_last_error());
}

/* A context and two epochs of a small model on it: whether its program was cached (the model
 * created: a tuned rebuild counts), the test RMSE; build_s (NULL, or 2) the build seconds after
 * the context and after the model. */
static double train_as(int kernels, int *cached, double *build_s) {
    ar_ctx *c = tu_ctx();
    const double ctx_s = ar_ctx_build_seconds(c, NULL);
    ar_ratings *tr = NULL, *te = NULL;
    ar_dataset *ds = NULL;
    ar_model *m = NULL;
    small_model(c, kernels, &tr, &te, &ds, &m);
    const double all_s = ar_ctx_build_seconds(c, cached);
    if (build_s) build_s[0] = ctx_s, build_s[1] = all_s;
    ar_epoch_stats s;
    for (int e = 0; e < 2; e++)
        cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(c);
    return s.test_rmse;
}
static double train(int *cached) { return train_as(AR_KERNELS_AUTO, cached, NULL); }

/* Rewrites the entry at path through f. */
static void damage(const char *path, void (*f)(char *buf, size_t *len)) {
    size_t len = 0;
    char *buf = tu_slurp(path, &len);
    cr_assert(buf && len > 64);
    f(buf, &len);
    FILE *o = fopen(path, "wb");
    cr_assert(o);
    fwrite(buf, 1, len, o);
    fclose(o);
    free(buf);
}
static void truncate_half(char *b, size_t *len) { (void)b, *len /= 2; }
static void flip_binary(char *b, size_t *len) { b[*len - 7] ^= 0x5a; }
static void bad_magic(char *b, size_t *len) { (void)len, b[0] = 'X'; }
static void bad_length(char *b, size_t *len) { (void)len, b[8] ^= 1; }

Test(program_cache, miss_then_hit_and_damaged_entries_rebuild, .timeout = 600) {
    const char *dir = tu_path("programs");
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_FAULT");
    int cached = -1;
    const double first = train(&cached);
    char path[4096];
    cr_assert(cached == 0 && entry(dir, path, sizeof path) == 1, "cached %d, entries %d", cached,
              entry(dir, path, sizeof path));
    cr_assert(train(&cached) == first && cached == 1, "a hit: cached %d", cached);
    void (*harm[])(char *, size_t *) = {truncate_half, flip_binary, bad_magic, bad_length};
    for (size_t k = 0; k < sizeof harm / sizeof *harm; k++) {
        damage(path, harm[k]);
        cr_assert(train(&cached) == first && cached == 0, "damage %zu: not a miss", k);
        cr_assert(train(&cached) == first && cached == 1, "damage %zu: not rewritten", k);
    }
    cr_assert_eq(entry(dir, path, sizeof path), 1, "one entry, no temporaries");
}

Test(program_cache, off_under_fault_injection_and_when_disabled) {
    const char *dir = tu_path("programs");
    char path[4096];
    int cached = -1;
    setenv("AUTOREC_PROGRAM_CACHE", "0", 1);
    train(&cached);
    cr_assert(cached == 0);
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    setenv("AUTOREC_FAULT", "count", 1);
    train(&cached);
    cr_assert(cached == 0 && entry(dir, path, sizeof path) == 0);
    unsetenv("AUTOREC_FAULT");
    /* a directory that cannot be written: contexts still work (root can write anywhere: then
     * this is a plain miss and hit) */
    mkdir(dir, 0500);
    const double a = train(&cached), b = train(&cached);
    cr_assert(a == b);
    chmod(dir, 0700);
}

/* A stored record (kernel-params.tsv) for the sparse small model's shape class, with another
 * sp_width than the device's default: its model rebuilds the context's program. The context
 * that records it builds the default program, so its entry is in the cache after. */
static void record_tuned(void) {
    ar_ctx *c = tu_ctx();
    ar_ratings *tr = NULL, *te = NULL;
    ar_dataset *ds = NULL;
    ar_model *m = NULL;
    small_model(c, AR_KERNELS_SPARSE, &tr, &te, &ds, &m);
    char cls[32], path[4200];
    ar_kparams_shape_class(m->L.dim[1], m->L.U, cls, sizeof cls);
    cr_assert(c->kp.sp_width != 16);
    cr_assert(ar_kparams_record(c, AR_KTUNE_PRODUCTS, cls, "sp_width=16", path, sizeof path) ==
              AR_OK, "%s", ar_last_error());
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(c);
}

/* Runs train_as on the sparse path and asserts the model rebuilt with sp_width=16 (a second
 * build, whose seconds add to the first's) and the cache state. */
static void tuned_run(int want_cached, const char *what) {
    int cached = -1;
    double s[2];
    train_as(AR_KERNELS_SPARSE, &cached, s);
    cr_assert(cached == want_cached, "%s: cached %d", what, cached);
    cr_assert(s[1] > s[0] && s[0] > 0, "%s: build seconds %g after the context, %g after the "
              "model: the rebuild's not added", what, s[0], s[1]);
}

Test(program_cache, tuned_rebuild_counts_in_cache_state_and_seconds, .timeout = 600) {
    const char *dir = tu_path("programs");
    char path[4096];
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_FAULT");
    unsetenv("AUTOREC_KERNEL_PARAMS");
    record_tuned();
    cr_assert_eq(entry(dir, path, sizeof path), 1);
    tuned_run(0, "default program a hit, tuned one built from source");
    cr_assert_eq(entry(dir, path, sizeof path), 2);
    tuned_run(1, "both from the cache");
    while (entry(dir, path, sizeof path)) unlink(path);
    tuned_run(0, "a cold cache");
    tuned_run(1, "warm again");
}

static void sha256(const void *p, size_t n, unsigned char *md) {
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
}

/* Writes to file an entry in program_cache.c's format for the key named by entry path `key_of`
 * (its file name is the key's SHA-256 in hex): magic, length, the binary's SHA-256, the key's,
 * then the binary. */
static void write_entry(const char *file, const char *key_of, const unsigned char *bin,
                        size_t n) {
    unsigned char md[32], key[32];
    const char *name = strrchr(key_of, '/') + 1;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        cr_assert(sscanf(name + 2 * i, "%2x", &v) == 1);
        key[i] = (unsigned char)v;
    }
    sha256(bin, n, md);
    uint64_t len = n;
    FILE *o = fopen(file, "wb");
    cr_assert(o);
    cr_assert(fwrite("ARPROGB2", 1, 8, o) == 8 && fwrite(&len, 8, 1, o) == 1 &&
              fwrite(md, 1, 32, o) == 32 && fwrite(key, 1, 32, o) == 32 &&
              fwrite(bin, 1, n, o) == n);
    cr_assert(fclose(o) == 0);
}

/* The binary of a program holding one kernel that is none of autorec's, built on c. */
static unsigned char *tiny_binary(ar_ctx *c, size_t *n) {
    const char *src = "__kernel void not_autorec(__global float *x) { x[0] = 1.0f; }";
    cl_int err;
    cl_program p = clCreateProgramWithSource(c->context, 1, &src, NULL, &err);
    cr_assert(err == CL_SUCCESS && clBuildProgram(p, 1, &c->device, "", NULL, NULL) ==
              CL_SUCCESS);
    cr_assert(clGetProgramInfo(p, CL_PROGRAM_BINARY_SIZES, sizeof *n, n, NULL) == CL_SUCCESS);
    unsigned char *bin = malloc(*n);
    cr_assert(bin && clGetProgramInfo(p, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) ==
              CL_SUCCESS);
    clReleaseProgram(p);
    return bin;
}

/* An entry the driver builds but whose kernels cannot be created (a user's file it links to):
 * a miss that removes the link, never the file, and rebuilds; a hit after. */
Test(program_cache, entry_without_the_kernels_is_a_miss, .timeout = 600) {
    const char *dir = tu_path("programs"), *user = tu_path("user.bin");
    char path[4096];
    int cached = -1;
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_FAULT");
    unsetenv("AUTOREC_KERNEL_PARAMS");
    const double first = train(&cached);
    cr_assert(cached == 0 && entry(dir, path, sizeof path) == 1);
    ar_ctx *c = tu_ctx();
    size_t n = 0;
    unsigned char *bin = tiny_binary(c, &n);
    ar_ctx_free(c);
    write_entry(user, path, bin, n);
    free(bin);
    size_t before_n = 0, after_n = 0;
    char *before = tu_slurp(user, &before_n);
    cr_assert(unlink(path) == 0 && symlink(user, path) == 0);
    cr_assert(train(&cached) == first && cached == 0, "cached %d", cached);
    char *after = tu_slurp(user, &after_n);
    cr_assert(before && after && before_n == after_n && !memcmp(before, after, after_n),
              "the user's file was changed");
    free(before);
    free(after);
    struct stat sb;
    cr_assert(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode), "the link replaced by an entry");
    cr_assert(train(&cached) == first && cached == 1, "not rewritten: cached %d", cached);
}

/* Another key's entry copied to this key's name (as from another device), and an entry of the
 * format before the key was kept (ARPROGB1: no key), are misses, rewritten. */
Test(program_cache, another_keys_entry_and_old_format_are_misses, .timeout = 600) {
    const char *dir = tu_path("programs");
    char def[4096], tuned[4096];
    int cached = -1;
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_FAULT");
    unsetenv("AUTOREC_KERNEL_PARAMS");
    const double first = train(&cached);
    cr_assert(entry(dir, def, sizeof def) == 1);
    setenv("AUTOREC_KERNEL_PARAMS", "sp_width=16", 1); /* another source: another key */
    train(&cached);
    cr_assert(entries(dir, def, tuned, sizeof tuned) == 1);
    size_t n = 0;
    char *other = tu_slurp(def, &n);
    FILE *o = fopen(tuned, "wb");
    cr_assert(other && o && fwrite(other, 1, n, o) == n && fclose(o) == 0);
    free(other);
    train(&cached);
    cr_assert(cached == 0, "another key's entry loaded");
    train(&cached);
    cr_assert(cached == 1, "not rewritten");
    unsetenv("AUTOREC_KERNEL_PARAMS");
    char *cur = tu_slurp(def, &n); /* B1: magic, length, SHA-256, binary */
    cr_assert(cur && n > 80);
    memcpy(cur, "ARPROGB1", 8);
    memmove(cur + 48, cur + 80, n - 80);
    o = fopen(def, "wb");
    cr_assert(o && fwrite(cur, 1, n - 32, o) == n - 32 && fclose(o) == 0);
    free(cur);
    cr_assert(train(&cached) == first && cached == 0, "an old entry loaded");
    cr_assert(train(&cached) == first && cached == 1, "an old entry not rewritten");
}

/* A cache path whose parents are missing is created; a regular file is one note, no entry. */
Test(program_cache, missing_parents_created_and_a_file_is_a_note) {
    char dir[4096], path[4096];
    snprintf(dir, sizeof dir, "%s/a/b/programs", tu_tmpdir());
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_FAULT");
    unsetenv("AUTOREC_KERNEL_PARAMS");
    int cached = -1;
    train(&cached);
    cr_assert(entry(dir, path, sizeof path) == 1, "no entry under missing parents");
    const char *file = tu_write_file("file", "not a directory\n");
    char why[4400] = "";
    setenv("AUTOREC_PROGRAM_CACHE", file, 1);
    cr_assert(!ar_program_cache_dir(dir, sizeof dir, why, sizeof why));
    cr_assert(strstr(why, file) && strstr(why, "Not a directory"), "%s", why);
    cr_assert(ar_kparams_store_need(path, sizeof path) == AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), file) && strstr(ar_last_error(), "Not a directory"), "%s",
              ar_last_error());
}

/* An entry that cannot be written (here a directory stands at its name, so the rename onto it
 * fails) does not fail the run, and is said in one note naming it, once. */
Test(program_cache, unwritable_entry_is_a_note, .timeout = 600) {
    const char *dir = tu_path("programs");
    char path[4096], env[4300], out[8192], err[8192];
    snprintf(env, sizeof env, "AUTOREC_PROGRAM_CACHE='%s' AUTOREC_KERNEL_PARAMS=", dir);
    const char *args = "bench --synthetic 300x200x6000 --epochs 2 --hidden 8 --json --quiet";
    cr_assert_eq(tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, "%s", args), 0, "%s", err);
    cr_assert_eq(entry(dir, path, sizeof path), 1);
    cr_assert(remove(path) == 0 && mkdir(path, 0755) == 0);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, "%s", args), 0, "%s", err);
    cr_assert(strstr(out, "\"program_cache\":\"miss\""), "%s", out);
    const char *note = strstr(err, "autorec: note: built-program cache: cannot write ");
    cr_assert(note && strstr(note, path) && !strstr(note + 1, "autorec: note: built-program"),
              "%s", err);
}
