/* test_program_cache.c - the built-program cache (host/core/program_cache.c): a first context
 * builds from source and writes the entry, a second loads it (a hit) and trains to the same
 * numbers; an entry that is truncated, has a byte of its binary changed, a wrong magic or
 * another length is a miss that rebuilds and rewrites it (a hit again after); no cache with
 * AUTOREC_PROGRAM_CACHE=0 or under fault injection; a cache directory that cannot be written
 * leaves contexts working. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

TestSuite(program_cache, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* The one entry in dir (its path into path), or 0 when there is none. */
static int entry(const char *dir, char *path, size_t cap) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".bin") && !strstr(e->d_name, ".tmp-"))
            snprintf(path, cap, "%s/%s", dir, e->d_name), n++;
    closedir(d);
    return n;
}

/* A context and two epochs of a small model on it: whether its program was cached, the test
 * RMSE. */
static double train(int *cached) {
    ar_ctx *c = tu_ctx();
    ar_ctx_build_seconds(c, cached);
    ar_ratings *tr = NULL, *te = NULL;
    tu_synth(40, 30, 2, 0.3, 0.2, 5, &tr, &te);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 8;
    cfg.batch = 8;
    ar_model *m = NULL;
    cr_assert(ar_model_create(c, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
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
