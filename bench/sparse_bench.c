/* sparse_bench.c - times the sparse path's products (cl/sparse.cl) at a model's shapes, two
 * kernel versions side by side in one process, so that a busy machine slows both alike.
 *
 *   autorec_sparse_bench [--rows R] [--cols U] [--density D] [--hidden H] [--batch B]
 *                        [--reps N] [--cpu-time] [--params-a P] [--params-b P]
 *                        [DIR_A [DIR_B]]
 *
 * Defaults: the ML-100K u1 shapes (R 1650 items, U 943 users, density 0.0514, H 500, B 256).
 * DIR_A / DIR_B are kernel directories (as AUTOREC_CL_DIR; "-" or none: the embedded kernels);
 * --params-a / --params-b: each side's kernel parameters (as $AUTOREC_KERNEL_PARAMS,
 * host/core/kparams.c). With two sides, each repetition runs A then B, and the line per kernel
 * gives both versions' best and median GFLOP/s and B's speed-up on the medians. One repetition
 * times one whole batch pass (every batch of the epoch) of each kernel: SpMM (encoder: bias +
 * sigmoid; gradient: neither), SDDMM (decoder, sigmoid; by rows, and from the batch CSC as
 * training runs it), the weight gradient from the batch CSC, hidden dropout over (B, H)
 * ("GFLOP/s" there is the products' count over its time: read only the ratio), and last the
 * five products of an epoch together (spmm + decode + 2 x sparse_wgrad, the weight gradients
 * without Adam). Outputs of A and B are compared (max relative difference printed) before
 * timing. --cpu-time times with the process's CPU time instead of wall time: on a shared
 * machine, run PoCL with one thread (POCL_MAX_PTHREAD_COUNT=1) and time what the kernels
 * themselves cost.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

enum { K_SPMM, K_SPMM_GRAD, K_SDDMM, K_SDDMM_CSC, K_DECODE, K_WGRAD, K_WGRAD_ADAM,
       K_WEIGHT_ADAM, K_DROPOUT, N_KERNELS };
/* decode: training's decoder, loss and last hidden gradient in one pass
 * (ar_sp_decode_backward, sp_fuse: CPUs; two products' FLOPs); wgrad_adam: the weight gradient
 * then Adam over W, two passes (the step before s12); weight_adam: the two fused
 * (ar_sp_weight_adam, training's step since s12) */
static const char *const names[N_KERNELS] = {"spmm", "spmm_grad", "sddmm", "sddmm_csc",
                                             "decode", "sparse_wgrad", "wgrad_adam",
                                             "weight_adam", "dropout"};

typedef struct {
    ar_ctx *c;
    cl_mem ptr, idx, ck, w, rows, a, out, yk, dy, loss, cp, eb, ek, dw;
    cl_mem p, m, v; /* Adam's */
} side;

typedef struct {
    int R, U, H, B, nb, reps, nnz;
    ar_csr m;
    int *order, *cp, *eb, *ek; /* all batches' CSCs one after the other, as in sparse.c */
} shape;

static void die(const char *what) {
    fprintf(stderr, "autorec_sparse_bench: %s: %s\n", what, ar_last_error());
    exit(1);
}

static float frand(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

static void make_shape(shape *s, double density) {
    uint64_t seed = 42;
    ar_csr *m = &s->m;
    memset(m, 0, sizeof *m);
    m->rows = s->R, m->cols = s->U;
    m->row_ptr = calloc((size_t)s->R + 1, sizeof(int));
    size_t cap = (size_t)((double)s->R * s->U * density * 1.2) + 1024;
    m->col_idx = malloc(cap * sizeof(int));
    m->vals = malloc(cap * sizeof(float));
    size_t k = 0;
    for (int r = 0; r < s->R; r++) {
        for (int u = 0; u < s->U && k < cap; u++)
            if (frand(&seed) < density)
                m->col_idx[k] = u, m->vals[k++] = 1.0f + 4.0f * frand(&seed);
        m->row_ptr[r + 1] = (int)k;
    }
    s->nnz = (int)k;
    s->nb = (s->R + s->B - 1) / s->B;
    s->order = malloc((size_t)s->R * sizeof(int));
    for (int r = 0; r < s->R; r++) s->order[r] = r;
    s->cp = malloc((size_t)s->nb * (s->U + 1) * sizeof(int));
    s->eb = malloc(k * sizeof(int) + 4);
    s->ek = malloc(k * sizeof(int) + 4);
    int ent = 0;
    for (int j = 0; j < s->nb; j++) {
        int off = j * s->B, B = s->R - off < s->B ? s->R - off : s->B;
        int *p = s->cp + (size_t)j * (s->U + 1);
        ar_sp_batch_csc(p, s->eb + ent, s->ek + ent, m, s->order + off, B);
        for (int u = 0; u <= s->U; u++) p[u] += ent;
        ent = p[s->U];
    }
}

static cl_mem buf(ar_ctx *c, size_t bytes, const void *host) {
    cl_mem b;
    if (ar_buffer(c, bytes ? bytes : 4, host, "bench", &b) != AR_OK) die("buffer");
    return b;
}

static void make_side(side *d, const shape *s, const char *dir, const char *params) {
    if (dir && strcmp(dir, "-") != 0) setenv("AUTOREC_CL_DIR", dir, 1);
    else unsetenv("AUTOREC_CL_DIR");
    if (params) setenv("AUTOREC_KERNEL_PARAMS", params, 1);
    else unsetenv("AUTOREC_KERNEL_PARAMS");
    if (ar_ctx_create(NULL, &d->c) != AR_OK) die("context");
    size_t nnz = (size_t)s->nnz, UH = (size_t)s->U * s->H, BH = (size_t)s->B * s->H;
    uint64_t seed = 7;
    /* W, then a bias: the encoder's (H) or the decoder's (U) */
    size_t nw = UH + (size_t)(s->U > s->H ? s->U : s->H);
    float *w = malloc(nw * sizeof *w), *ck = malloc(nnz * sizeof *ck);
    float *a = malloc(BH * sizeof *a);
    for (size_t i = 0; i < nw; i++) w[i] = frand(&seed) - 0.5f;
    for (size_t i = 0; i < nnz; i++) ck[i] = frand(&seed) - 0.5f;
    for (size_t i = 0; i < BH; i++) a[i] = frand(&seed);
    d->ptr = buf(d->c, ((size_t)s->R + 1) * sizeof(int), s->m.row_ptr);
    d->idx = buf(d->c, nnz * sizeof(int), s->m.col_idx);
    d->ck = buf(d->c, nnz * sizeof(float), ck);
    d->w = buf(d->c, nw * sizeof(float), w);
    d->rows = buf(d->c, (size_t)s->R * sizeof(int), s->order);
    d->a = buf(d->c, BH * sizeof(float), a);
    d->out = buf(d->c, BH * sizeof(float), NULL);
    d->yk = buf(d->c, nnz * sizeof(float), NULL);
    d->dy = buf(d->c, nnz * sizeof(float), NULL);
    d->loss = buf(d->c, (size_t)s->R * sizeof(float), NULL);
    d->cp = buf(d->c, (size_t)s->nb * (s->U + 1) * sizeof(int), s->cp);
    d->eb = buf(d->c, nnz * sizeof(int), s->eb);
    d->ek = buf(d->c, nnz * sizeof(int), s->ek);
    d->dw = buf(d->c, UH * sizeof(float), NULL);
    d->p = buf(d->c, UH * sizeof(float), w); /* W's values: any will do */
    d->m = buf(d->c, UH * sizeof(float), NULL);
    d->v = buf(d->c, UH * sizeof(float), NULL);
    /* the moments start at 0, as a model's */
    if (ark_fill(d->c, d->m, 0, UH, 0.0f) != AR_OK || ark_fill(d->c, d->v, 0, UH, 0.0f) != AR_OK)
        die("ark_fill");
    free(w), free(ck), free(a);
}

/* One pass of kernel k over every batch of the epoch, waited for. */
static void run(side *d, const shape *s, int k) {
    const int UH = s->U * s->H;
    for (int j = 0; j < s->nb; j++) {
        int off = j * s->B, B = s->R - off < s->B ? s->R - off : s->B;
        ar_status st = AR_OK;
        if (k == K_SPMM)
            st = ark_sp_spmm(d->c, d->out, d->ck, d->w, 0, UH, d->ptr, d->idx, d->rows, off, B,
                             s->H, AR_ACT_SIGMOID, s->U);
        else if (k == K_SPMM_GRAD)
            st = ark_sp_spmm(d->c, d->out, d->ck, d->w, 0, -1, d->ptr, d->idx, d->rows, off, B,
                             s->H, AR_ACT_IDENTITY, s->U);
        else if (k == K_SDDMM)
            st = ark_sp_sddmm(d->c, d->yk, d->a, d->w, 0, UH, d->ptr, d->idx, d->rows, off, B,
                              s->H, AR_ACT_SIGMOID);
        else if (k == K_SDDMM_CSC)
            st = ark_sp_sddmm_csc(d->c, d->yk, d->a, d->w, 0, UH, d->cp, j * (s->U + 1), d->eb,
                                  d->ek, s->U, s->H, AR_ACT_SIGMOID);
        else if (k == K_DECODE) /* ck as the ratings, a as both layer outputs */
            st = ark_sp_decode_backward(d->c, d->yk, d->dy, d->loss, d->out, d->a, d->w, 0, UH,
                                        d->ptr, d->idx, d->ck, d->rows, off, B, s->H,
                                        AR_ACT_IDENTITY, 1e-3f, NULL, 1.0f, d->a,
                                        AR_ACT_SIGMOID, s->U);
        else if (k == K_WGRAD_ADAM || k == K_WEIGHT_ADAM) {
            const ark_adam_step a = {1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 1e-3f};
            if (k == K_WEIGHT_ADAM)
                st = ark_sp_weight_adam(d->c, d->p, d->m, d->v, 0, d->ck, d->a, d->cp,
                                        j * (s->U + 1), d->eb, d->ek, s->U, s->H, &a);
            else if ((st = ark_sp_weight_grad(d->c, d->dw, 0, d->ck, d->a, d->cp, j * (s->U + 1),
                                              d->eb, d->ek, s->U, s->H)) == AR_OK)
                st = ark_adam_range(d->c, d->p, d->dw, d->m, d->v, 0, UH, UH, &a);
        } else if (k == K_DROPOUT) /* hidden dropout (B, H) in place, as the backward pass */
            st = ark_dropout(d->c, d->out, d->out, B * s->H, 0.4f, 2.5f, 42, (uint32_t)j, 1);
        else
            st = ark_sp_weight_grad(d->c, d->dw, 0, d->ck, d->a, d->cp, j * (s->U + 1), d->eb,
                                    d->ek, s->U, s->H);
        if (st != AR_OK) die(names[k]);
    }
    if (clFinish(d->c->queue) != CL_SUCCESS) die("clFinish");
}

/* The largest |x - y| / (|y| + 1e-3) over the output of kernel k on the two sides. */
static double compare(side *x, side *y, const shape *s, int k) {
    if (k == K_WEIGHT_ADAM) return 0; /* its output is Adam's running state (test_sparse checks
                                         it); wgrad_adam's row compares its gradient */
    run(x, s, k), run(y, s, k);
    int dense_out = k == K_SPMM || k == K_SPMM_GRAD || k == K_DROPOUT || k == K_DECODE;
    int entries = k == K_SDDMM || k == K_SDDMM_CSC;
    cl_mem bx = dense_out ? x->out : entries ? x->yk : x->dw;
    cl_mem by = dense_out ? y->out : entries ? y->yk : y->dw;
    size_t n = dense_out ? (size_t)s->B * s->H : k == K_SDDMM || k == K_SDDMM_CSC ? (size_t)s->nnz
                                                                 : (size_t)s->U * s->H;
    float *hx = malloc(n * sizeof *hx), *hy = malloc(n * sizeof *hy);
    if (ar_read(x->c, bx, 0, n * sizeof *hx, hx) != AR_OK ||
        ar_read(y->c, by, 0, n * sizeof *hy, hy) != AR_OK)
        die("read");
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)hx[i] - hy[i]) / (fabs((double)hy[i]) + 1e-3);
        if (!(e <= worst)) worst = e;
    }
    free(hx), free(hy);
    return worst;
}

/* CPU seconds of the whole process (PoCL's worker threads included): on a shared machine,
 * time taken by other processes does not count, unlike wall time. */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds of an epoch's five products as training runs them, from each kernel's seconds a
 * pass: the encoder's SpMM with its sigmoid, the fused decoder (two products and the loss) and
 * the two weight gradients (dW, dV; Adam left out, as issue 19 counted them). */
static double products_seconds(const double *t) {
    return t[K_SPMM] + t[K_DECODE] + 2 * t[K_WGRAD];
}

static int cmpd(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    shape s = {.R = 1650, .U = 943, .H = 500, .B = 256, .reps = 15};
    double density = 0.0514;
    const char *dirs[2] = {NULL, NULL}, *params[2] = {NULL, NULL};
    int nd = 0, use_cpu = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--rows")) s.R = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--cols")) s.U = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--hidden")) s.H = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--batch")) s.B = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps")) s.reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--cpu-time")) use_cpu = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--params-a")) params[0] = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--params-b")) params[1] = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--density")) density = atof(argv[++i]);
        else if (argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            if (nd == 2) break;
            dirs[nd++] = argv[i];
        } else {
            fprintf(stderr, "usage: %s [--rows R] [--cols U] [--density D] [--hidden H] "
                            "[--batch B] [--reps N] [--cpu-time] [--params-a P] [--params-b P] "
                            "[DIR_A [DIR_B]]\n", argv[0]);
            return 2;
        }
    }
    if (s.R < 1 || s.U < 1 || s.H < 1 || s.B < 1 || s.reps < 1 || !(density > 0 && density <= 1)) {
        fprintf(stderr, "autorec_sparse_bench: sizes, reps and density must be positive\n");
        return 2;
    }
    if (nd == 0) nd = 1;
    make_shape(&s, density);
    side d[2];
    for (int v = 0; v < nd; v++) make_side(&d[v], &s, dirs[v], params[v]);
    double flop = 2.0 * s.nnz * s.H;
    printf("R %d, U %d, H %d, B %d, nnz %d, %d reps; GFLOP/s best / median\n", s.R, s.U, s.H,
           s.B, s.nnz, s.reps);
    double *t = malloc((size_t)s.reps * 2 * sizeof *t);
    double best[2][N_KERNELS], mid[2][N_KERNELS]; /* seconds a pass, per side and kernel */
    for (int k = 0; k < N_KERNELS; k++) {
        double diff = nd == 2 ? compare(&d[0], &d[1], &s, k) : 0;
        for (int r = 0; r < s.reps; r++)
            for (int v = 0; v < nd; v++) {
                double t0 = use_cpu ? cpu_seconds() : ar_time_seconds();
                run(&d[v], &s, k);
                t[v * s.reps + r] = (use_cpu ? cpu_seconds() : ar_time_seconds()) - t0;
            }
        printf("%-13s", names[k]);
        double med[2];
        for (int v = 0; v < nd; v++) {
            qsort(t + v * s.reps, (size_t)s.reps, sizeof *t, cmpd);
            med[v] = t[v * s.reps + s.reps / 2];
            best[v][k] = t[v * s.reps], mid[v][k] = med[v];
            const double f = k == K_DECODE ? 2 * flop : flop;
            printf("  %s: %7.2f / %7.2f", v ? "B" : "A", f / t[v * s.reps] * 1e-9,
                   f / med[v] * 1e-9);
        }
        if (nd == 2) printf("  B/A speed-up %.2fx  max rel diff %.1e", med[0] / med[1], diff);
        printf("\n");
    }
    printf("%-13s", "products"); /* their FLOPs over the sum of those kernels' times */
    for (int v = 0; v < nd; v++)
        printf("  %s: %7.2f / %7.2f", v ? "B" : "A", 5 * flop / products_seconds(best[v]) * 1e-9,
               5 * flop / products_seconds(mid[v]) * 1e-9);
    if (nd == 2) printf("  B/A speed-up %.2fx", products_seconds(mid[0]) / products_seconds(mid[1]));
    printf("  (spmm + decode + 2 x sparse_wgrad: an epoch's five)\n");
    free(t);
    return 0;
}
