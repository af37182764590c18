/* testutil.h - shared helpers for the Criterion tests.
 *
 * Device tests create their own OpenCL context (Criterion runs each test in its own process) on
 * $AUTOREC_DEVICE, or the default device. Random inputs are fresh each run: the seed comes from
 * $AUTOREC_TEST_SEED or the clock and is printed, so a failure can be replayed.
 */
#ifndef AR_TESTUTIL_H
#define AR_TESTUTIL_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"
#include "ref.h"

/* A context on the test device; the test fails with the library's message if there is none. */
ar_ctx *tu_ctx(void);
/* The per-run seed (printed once per process). */
uint64_t tu_seed(void);
/* Uniform floats in [lo, hi). */
void tu_fill(float *x, size_t n, float lo, float hi, ar_rng *rng);
/* A device buffer of n floats, initialised from host (or NaN-poisoned when host is NULL, so that
 * any element a kernel fails to write shows up as NaN). */
cl_mem tu_buffer(ar_ctx *c, size_t n, const float *host);
cl_mem tu_ibuffer(ar_ctx *c, size_t n, const int *host);
void tu_read(ar_ctx *c, cl_mem buf, size_t n, float *host);
/* Asserts |got - ref| <= atol + rtol |ref| for every element (NaN fails) and reports the
 * largest difference. */
void tu_compare(const char *what, const float *got, const float *ref, size_t n, double atol,
                double rtol);
/* A random CSR matrix (rows x cols) with each entry present with probability density and
 * ratings in 1..5. */
void tu_random_csr(ar_csr *m, int rows, int cols, double density, ar_rng *rng);

/* A synthetic low-rank ratings set: users x items, true rating = clamp(round(3 + a_u . b_i +
 * noise), 1, 5) with rank k; each pair observed with probability density; then split at random
 * (test_ratio). */
void tu_synth(int users, int items, int rank, double density, double test_ratio, uint64_t seed,
              ar_ratings **train, ar_ratings **test);
/* Writes ratings as a u.data-style file. */
void tu_write_ratings(const char *path, const ar_ratings *r);

/* The number after "key": in a one-line JSON object; NAN when the key is absent or null (a
 * NAN then fails any comparison the test makes with it). */
double tu_json_number(const char *json, const char *key);
/* The whole file, NUL-terminated (caller frees); *len (may be NULL) gets its size. */
char *tu_slurp(const char *path, size_t *len);
/* Runs `autorec ARGS` (printf-style) through the shell, after the environment prefix env (may be
 * NULL, e.g. "AUTOREC_DEVICE=x" or "env -u AUTOREC_DATA"), with stdout and stderr captured in
 * out and err (cap bytes each) through files in dir. Returns the exit code; the test fails if
 * the command did not exit normally. */
int tu_run_cli(const char *dir, const char *env, char *out, char *err, size_t cap,
               const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A fresh temporary directory per test (Criterion runs each test in its own process): a suite
 * that writes files declares TestSuite(name, .init = tu_tmpdir_setup, .fini =
 * tu_tmpdir_teardown); tu_tmpdir() is its path, tu_path("f") a file in it (eight rotating
 * buffers, so several may be used in one call). The teardown removes the tree. */
void tu_tmpdir_setup(void);
void tu_tmpdir_teardown(void);
const char *tu_tmpdir(void);
const char *tu_path(const char *name);
/* Fails the test if the directory holds a writer's temporary (a name with ".tmp"): a failed or
 * interrupted write must leave nothing behind. */
void tu_assert_no_temporaries(void);
/* Writes text to tu_path(name) and returns that path. */
const char *tu_write_file(const char *name, const char *text);

/* A zip entry: name (ending in '/' for a directory) and its bytes. */
typedef struct {
    const char *name;
    const char *data;
    size_t len;
} tu_zip_entry;
/* A zip (deflate) of the n entries, in memory (caller frees); *len its size. */
char *tu_make_zip(const tu_zip_entry *e, size_t n, size_t *len);
/* A zip of the ml-100k directory dir's files under "ml-100k/", as GroupLens ships it (only the
 * file named only, when not NULL); alter flips byte 1000 of u.data. */
char *tu_ml100k_zip(const char *dir, int alter, const char *only, size_t *len);

#endif
