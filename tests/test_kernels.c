/* test_kernels.c - every kernel and the GEMM wrapper against the CPU reference, on fresh random
 * inputs, with outputs poisoned (NaN) first so that every element must be written. Sizes are
 * odd so that global sizes are not multiples of the work-group size. */
#include <string.h>

#include "testutil.h"

static ar_ctx *ctx;
static ar_rng rng;

static void setup(void) {
    ctx = tu_ctx();
    rng.s = tu_seed();
}
static void teardown(void) { ar_ctx_free(ctx); }

TestSuite(kernels, .init = setup, .fini = teardown);

static void check_status(ar_status st) { cr_assert(st == AR_OK, "%s", ar_last_error()); }

/* Every activation, and in place as the model uses it. */
Test(kernels, bias_act_forward) {
    const int rows = 37, cols = 53, n = rows * cols, off = 5;
    float *in = malloc(n * sizeof *in), *bias = malloc((cols + off) * sizeof *bias);
    float *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
    tu_fill(in, n, -30.0f, 30.0f, &rng); /* wide: exercises the stable sigmoid's tails */
    tu_fill(bias, cols + off, -1.0f, 1.0f, &rng);
    cl_mem din = tu_buffer(ctx, n, in), db = tu_buffer(ctx, cols + off, bias);
    for (int act = 0; act <= AR_ACT_SELU; act++) {
        cl_mem dout = tu_buffer(ctx, n, NULL);
        check_status(ark_bias_act_forward(ctx, dout, din, db, off, rows, cols, act));
        tu_read(ctx, dout, n, got);
        ar_bias_act_forward_ref(ref, in, bias + off, rows, cols, act);
        tu_compare(ar_activation_name(act), got, ref, n, 1e-6, 1e-5);
        clReleaseMemObject(dout);
    }
    /* In place, as the model uses it. */
    check_status(ark_bias_act_forward(ctx, din, din, db, off, rows, cols, AR_ACT_SIGMOID));
    tu_read(ctx, din, n, got);
    ar_bias_act_forward_ref(ref, in, bias + off, rows, cols, AR_ACT_SIGMOID);
    tu_compare("sigmoid in place", got, ref, n, 1e-6, 1e-5);
    for (int i = 0; i < n; i++) cr_assert(got[i] >= 0.0f && got[i] <= 1.0f);
    clReleaseMemObject(din);
    clReleaseMemObject(db);
    free(in); free(bias); free(got); free(ref);
}

/* Every activation, outputs drawn in its range. */
Test(kernels, act_backward) {
    const int n = 1001;
    float *out = malloc(n * sizeof *out), *dout = malloc(n * sizeof *dout);
    float *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
    tu_fill(dout, n, -2.0f, 2.0f, &rng);
    cl_mem dd = tu_buffer(ctx, n, dout);
    for (int act = 0; act <= AR_ACT_SELU; act++) {
        /* outputs in the activation's range */
        float lo = act == AR_ACT_SIGMOID ? 0.0f : act == AR_ACT_TANH || act == AR_ACT_ELU ? -1.0f
                   : act == AR_ACT_SELU ? -1.7580993f : -3.0f;
        float hi = act == AR_ACT_SIGMOID || act == AR_ACT_TANH ? 1.0f : 3.0f;
        tu_fill(out, n, lo, hi, &rng);
        if (act == AR_ACT_RELU)
            for (int i = 0; i < n; i++) out[i] = out[i] < 0 ? 0 : out[i];
        cl_mem dy = tu_buffer(ctx, n, out), dres = tu_buffer(ctx, n, NULL);
        check_status(ark_act_backward(ctx, dres, dd, dy, n, act));
        tu_read(ctx, dres, n, got);
        ar_act_backward_ref(ref, dout, out, n, act);
        tu_compare(ar_activation_name(act), got, ref, n, 1e-6, 1e-5);
        clReleaseMemObject(dy);
        clReleaseMemObject(dres);
    }
    clReleaseMemObject(dd);
    free(out); free(dout); free(got); free(ref);
}

/* Uploads a CSR matrix; returns the three buffers. */
static void upload_csr(const ar_csr *m, cl_mem *ptr, cl_mem *idx, cl_mem *val) {
    int nnz = m->row_ptr[m->rows];
    *ptr = tu_ibuffer(ctx, m->rows + 1, m->row_ptr);
    *idx = tu_ibuffer(ctx, nnz ? nnz : 1, m->col_idx);
    *val = tu_buffer(ctx, nnz ? nnz : 1, m->vals);
}

/* B distinct rows of n_rows (B <= n_rows) in random order, as in a real batch: a partial
 * Fisher-Yates shuffle. (Distinct matters: two work-items writing one row's sum would race.) */
static void random_rows(int *rows, int B, int n_rows) {
    int *all = malloc((size_t)n_rows * sizeof *all);
    for (int i = 0; i < n_rows; i++) all[i] = i;
    for (int b = 0; b < B; b++) {
        int j = b + (int)(ar_rng_next(&rng) % (uint64_t)(n_rows - b)), t = all[b];
        all[b] = all[j];
        all[j] = t;
        rows[b] = all[b];
    }
    free(all);
}

Test(kernels, densify) {
    const int R = 40, C = 67, B = 13, off = 3;
    ar_csr m;
    tu_random_csr(&m, R, C, 0.2, &rng);
    int rows[B + off];
    random_rows(rows, B + off, R);
    cl_mem ptr, idx, val, drows = tu_ibuffer(ctx, B + off, rows);
    upload_csr(&m, &ptr, &idx, &val);
    cl_mem x = tu_buffer(ctx, (size_t)B * C, NULL);
    check_status(ark_fill(ctx, x, 0, (size_t)B * C, 0.0f));
    check_status(ark_densify(ctx, x, ptr, idx, val, drows, off, B, C));
    float got[B * C], ref[B * C];
    tu_read(ctx, x, (size_t)B * C, got);
    ar_densify_ref(ref, &m, rows + off, B);
    tu_compare("densify", got, ref, (size_t)B * C, 0, 0);
    ar_csr_free(&m);
}

/* A batch of B rows of a random R x C matrix of ratings, and outputs (B, C) on the device, with
 * values outside [1, 5] too (the clamp of masked_sse). */
typedef struct {
    ar_csr m;
    int rows[11];
    float *out;
    cl_mem ptr, idx, val, drows, dout;
} loss_case;
enum { LR = 30, LC = 71, LB = 11 };

static void loss_case_init(loss_case *t) {
    tu_random_csr(&t->m, LR, LC, 0.25, &rng);
    random_rows(t->rows, LB, LR);
    t->out = malloc((size_t)LB * LC * sizeof *t->out);
    tu_fill(t->out, (size_t)LB * LC, -1.0f, 7.0f, &rng);
    upload_csr(&t->m, &t->ptr, &t->idx, &t->val);
    t->drows = tu_ibuffer(ctx, LB, t->rows);
    t->dout = tu_buffer(ctx, (size_t)LB * LC, t->out);
}

static void loss_case_free(loss_case *t) {
    cl_mem bufs[] = {t->ptr, t->idx, t->val, t->drows, t->dout};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(t->out);
    ar_csr_free(&t->m);
}

/* Only the batch's rows of a per-row array are written: compares those. */
static void compare_rows(const char *what, const float *got, const float *ref, const int *rows,
                         int B, double atol, double rtol) {
    float g[LB], r[LB];
    for (int b = 0; b < B; b++) g[b] = got[rows[b]], r[b] = ref[rows[b]];
    tu_compare(what, g, r, (size_t)B, atol, rtol);
}

Test(kernels, masked_loss_backward) {
    loss_case t;
    loss_case_init(&t);
    const float scale = 1.0f / 97.0f;
    cl_mem dgrad = tu_buffer(ctx, (size_t)LB * LC, NULL), dloss = tu_buffer(ctx, LR, NULL);
    check_status(ark_fill(ctx, dgrad, 0, (size_t)LB * LC, 0.0f));
    check_status(ark_masked_loss_backward(ctx, dgrad, dloss, t.dout, t.ptr, t.idx, t.val, t.drows,
                                          0, LB, LC, scale));
    float got[LB * LC], ref[LB * LC], gl[LR], rl[LR];
    tu_read(ctx, dgrad, (size_t)LB * LC, got);
    tu_read(ctx, dloss, LR, gl);
    ar_masked_loss_backward_ref(ref, rl, t.out, &t.m, t.rows, LB, scale);
    tu_compare("masked loss gradient", got, ref, (size_t)LB * LC, 1e-7, 1e-5);
    compare_rows("masked loss per row", gl, rl, t.rows, LB, 1e-4, 1e-5);
    clReleaseMemObject(dgrad);
    clReleaseMemObject(dloss);
    loss_case_free(&t);
}

/* Both sums of each batch row, squared and absolute errors of the clamped outputs. With an
 * infinite and a NaN output at observed positions of two rows: those rows' sums are NaN (a
 * non-finite output is not clamped into the scale), the others as before. */
Test(kernels, masked_sse) {
    loss_case t;
    loss_case_init(&t);
    int bad[2] = {-1, -1}, nb = 0; /* batch rows given a non-finite output */
    for (int b = 0; b < LB && nb < 2; b++) {
        const int r = t.rows[b];
        if (t.m.row_ptr[r] == t.m.row_ptr[r + 1]) continue; /* no entry to poison */
        t.out[(size_t)b * LC + t.m.col_idx[t.m.row_ptr[r]]] = nb ? NAN : INFINITY;
        bad[nb++] = b;
    }
    cr_assert_eq(nb, 2);
    clReleaseMemObject(t.dout);
    t.dout = tu_buffer(ctx, (size_t)LB * LC, t.out);
    cl_mem derr = tu_buffer(ctx, 2 * LR, NULL);
    /* twice: without offsets, then with a centering baseline at every entry (ar_center) */
    const int nnz = t.m.row_ptr[t.m.rows];
    float *offs = malloc((size_t)nnz * sizeof *offs);
    cr_assert(offs);
    tu_fill(offs, nnz, -2.0f, 2.0f, &rng);
    cl_mem doffs = tu_buffer(ctx, nnz, offs);
    for (int with = 0; with < 2; with++) {
        check_status(ark_masked_sse(ctx, derr, t.dout, t.ptr, t.idx, t.val, with ? doffs : NULL,
                                    t.drows, 0, LB, LC, LR, 1.0f, 5.0f));
        float gl[2 * LR], rl[2 * LR];
        tu_read(ctx, derr, 2 * LR, gl);
        ar_masked_sse_ref(rl, t.out, &t.m, with ? offs : NULL, t.rows, LB, LR, 1.0f, 5.0f);
        for (int half = 0; half < 2; half++)
            for (int k = 0; k < 2; k++) {
                const int r = half * LR + t.rows[bad[k]];
                cr_assert(isnan(gl[r]) && isnan(rl[r]), "row %d: %g, reference %g", r,
                          (double)gl[r], (double)rl[r]);
                gl[r] = rl[r] = 0;
            }
        compare_rows("masked clamped SSE per row", gl, rl, t.rows, LB, 1e-4, 1e-5);
        compare_rows("masked clamped absolute errors per row", gl + LR, rl + LR, t.rows, LB,
                     1e-4, 1e-5);
    }
    clReleaseMemObject(doffs);
    free(offs);
    clReleaseMemObject(derr);
    loss_case_free(&t);
}

Test(kernels, colsum) {
    const int rows = 29, cols = 83, off = 7;
    float *in = malloc(rows * cols * sizeof *in), got[cols + off], ref[cols];
    tu_fill(in, rows * cols, -1.0f, 1.0f, &rng);
    cl_mem din = tu_buffer(ctx, rows * cols, in), dout = tu_buffer(ctx, cols + off, NULL);
    check_status(ark_colsum(ctx, dout, off, din, rows, cols));
    tu_read(ctx, dout, cols + off, got);
    ar_colsum_ref(ref, in, rows, cols);
    tu_compare("colsum", got + off, ref, cols, 1e-5, 1e-5);
    free(in);
}

Test(kernels, adam) {
    const int n = 777, n_decay = 500;
    float p[n], g[n], m[n], v[n], rp[n], rm[n], rv[n], got[n];
    tu_fill(p, n, -1, 1, &rng);
    tu_fill(g, n, -0.1f, 0.1f, &rng);
    tu_fill(m, n, -0.01f, 0.01f, &rng);
    tu_fill(v, n, 0.0f, 1e-3f, &rng);
    memcpy(rp, p, sizeof p);
    memcpy(rm, m, sizeof m);
    memcpy(rv, v, sizeof v);
    cl_mem dp = tu_buffer(ctx, n, p), dg = tu_buffer(ctx, n, g), dm = tu_buffer(ctx, n, m),
           dv = tu_buffer(ctx, n, v);
    const float lr = 1e-3f, b1 = 0.9f, b2 = 0.999f, eps = 1e-8f, l2 = 0.01f;
    const float bc1 = 1 - powf(b1, 7), bc2 = 1 - powf(b2, 7);
    check_status(ark_adam(ctx, dp, dg, dm, dv, n, n_decay, lr, b1, b2, eps, bc1, bc2, l2));
    ar_adam_ref(rp, g, rm, rv, n, n_decay, lr, b1, b2, eps, bc1, bc2, l2);
    tu_read(ctx, dp, n, got);
    tu_compare("adam params", got, rp, n, 1e-7, 1e-5);
    tu_read(ctx, dm, n, got);
    tu_compare("adam m", got, rm, n, 1e-9, 1e-5);
    tu_read(ctx, dv, n, got);
    tu_compare("adam v", got, rv, n, 1e-12, 1e-5);
}

/* The GEMM wrapper (ar_gemm, CLBlast) in every transpose combination, with offsets. */
Test(kernels, gemm) {
    const int M = 19, N = 23, K = 31, off = 3;
    float *a = malloc((M * K + off) * sizeof *a), *b = malloc((K * N + off) * sizeof *b);
    float *c0 = malloc((M * N + off) * sizeof *c0), got[M * N + off], ref[M * N];
    tu_fill(a, M * K + off, -1, 1, &rng);
    tu_fill(b, K * N + off, -1, 1, &rng);
    tu_fill(c0, M * N + off, -1, 1, &rng);
    cl_mem da = tu_buffer(ctx, M * K + off, a), db = tu_buffer(ctx, K * N + off, b);
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int beta1 = 0; beta1 < 2; beta1++) {
                float beta = beta1 ? 0.5f : 0.0f;
                int lda = ta ? M : K, ldb = tb ? K : N;
                cl_mem dc = tu_buffer(ctx, M * N + off, beta1 ? c0 : NULL);
                check_status(ar_gemm(ctx, ta, tb, M, N, K, 1.5f, da, off, lda, db, off, ldb, beta,
                                     dc, off, N));
                tu_read(ctx, dc, M * N + off, got);
                memcpy(ref, c0 + off, sizeof ref);
                ar_gemm_ref(ta, tb, M, N, K, 1.5f, a + off, lda, b + off, ldb, beta, ref, N);
                char what[64];
                snprintf(what, sizeof what, "gemm %c%c beta %.1f", ta ? 'T' : 'N', tb ? 'T' : 'N',
                         (double)beta);
                tu_compare(what, got + off, ref, M * N, 1e-4, 1e-4);
                clReleaseMemObject(dc);
            }
    free(a); free(b); free(c0);
}
