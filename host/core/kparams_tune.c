/* kparams_tune.c - ar_kernels_tune: the sparse kernels' parameters measured on the device at a
 * model's shapes (synthetic data of that size and density), each variant checked against a
 * host computation of the first batch, the fastest stored (kparams_store.c).
 *
 * The search space is small on purpose (a program build each for the build-time parameters):
 * widths 8, 16, 32 (sp_width and spmm_width together), each with three work-group shapes
 * (launch-time: whole rows along h, 4 work-items along h, 4 rows per group), then the SpMMs
 * alone at 64 (spmm_width, at the winner's sp_width and shape: a row's work-items share its
 * entries' loads, which the weight gradients' Adam step has no registers left for; 16 and 32
 * left out, each a program build more), then each row's entries in 0, 8, 32 or 128 chunks
 * (row_split, launch-time, the three the defaults do not have), then SDDMM's lanes 4, 8, 16 at the winning widths,
 * each by rows and from the batch CSC (launch-time), and by rows in a GPU's shape with 16 and
 * 32 work-items per entry (sddmm_split, launch-time), then training's decoder, loss and last
 * hidden gradient as three kernels (the SDDMM winner's) or one (sp_fuse, launch-time): 26
 * variants with the defaults' three first measurements; then, for more than 512 inputs, column
 * tiles (sp_tile, launch-time) of 0, 512, 1024, 2048, 4096 weight rows (those under cols), each
 * checked and timed on the products and on the decoder: two variants each.
 *
 * Everything runs at the shapes a model's kernels run at (the hidden size padded, as
 * ar_hidden_padded pads it; a batch no larger than the rows), and the class is named from them;
 * the store's path is checked and a matrix with no ratings refused before anything is measured,
 * and defaults faster than timer noise (ar_ktune_noise_floor_s) store nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A defaults' pass faster than this is timer noise: winners measured against it would be luck,
 * so nothing is stored. Low, because a GPU's pass at ML-100K's shapes may take only 0.1 ms
 * (7 batches of 11k entries: 160 MB of gathers at a few TB/s, and a few launches) and must
 * still be tuned; PoCL's passes of a single rating take 9-18 us. A variable so that a test can
 * raise it. */
double ar_ktune_noise_floor_s = 1e-5;

void ar_kernel_tune_config_default(ar_kernel_tune_config *cfg) {
    cfg->rows = 1650, cfg->cols = 943, cfg->density = 0.0514;
    cfg->hidden = 500, cfg->batch = 256, cfg->reps = 5;
}

/* Synthetic inputs and their device copies. */
typedef struct {
    const ar_kernel_tune_config *cfg;
    ar_csr m;
    int nnz, nb, *order, *cp, *eb, *ek;
    float *w, *ck, *a;                       /* W (cols, H) + bias (max(cols, H)); ck; a (B, H) */
    cl_mem d_ptr, d_idx, d_ck, d_w, d_rows, d_a, d_out, d_yk, d_cp, d_eb, d_ek, d_dw;
    cl_mem d_dy, d_loss;                     /* the decoder's gradient (nnz), row losses (rows) */
} tune_data;

static float lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (float)((*s >> 40) & 0xFFFFFF) / 16777216.0f;
}

static ar_status make_host(tune_data *t) {
    const ar_kernel_tune_config *c = t->cfg;
    uint64_t seed = 12345;
    size_t cap = (size_t)((double)c->rows * c->cols * c->density * 1.1) + 64;
    ar_csr *m = &t->m;
    m->rows = c->rows, m->cols = c->cols;
    m->row_ptr = ar_malloc(((size_t)c->rows + 1) * sizeof(int));
    m->col_idx = ar_malloc(cap * sizeof(int));
    t->order = ar_malloc((size_t)c->rows * sizeof(int));
    if (!m->row_ptr || !m->col_idx || !t->order) return AR_ERR_OUT_OF_MEMORY;
    /* Rows and columns as uneven as rating data's: weights (r + 1)^(-1/2) of mean 1, in a
     * shuffled order, entry (r, u) drawn with probability density f_r g_u (at most 1). Item
     * popularity and user activity are skewed (ML-10M's most rated item has 41x the mean
     * count, its most active user 51x; this law gives 52x and 132x at ML-10M's shapes), and a
     * kernel that walks a row's entries in one work-item is as slow as the batch's longest
     * row: on uniform rows the tuner chose such a kernel for an H200 that ran 7x slower on
     * skewed data than the one it passed over (docs/performance.md, GPUs). */
    double *f = ar_malloc(((size_t)c->rows + (size_t)c->cols) * sizeof *f), *g = f + c->rows;
    if (!f) return AR_ERR_OUT_OF_MEMORY;
    for (int pass = 0; pass < 2; pass++) {
        double *x = pass ? g : f, sum = 0;
        const int n = pass ? c->cols : c->rows;
        for (int i = 0; i < n; i++) x[i] = 1.0 / sqrt(i + 1.0), sum += x[i];
        for (int i = n - 1; i > 0; i--) { /* Fisher-Yates: the heavy ones spread out */
            const int j = (int)(lcg(&seed) * (float)(i + 1)) % (i + 1);
            const double tmp = x[i];
            x[i] = x[j], x[j] = tmp;
        }
        for (int i = 0; i < n; i++) x[i] *= n / sum;
    }
    size_t k = 0;
    m->row_ptr[0] = 0;
    for (int r = 0; r < c->rows; r++) {
        const double fr = c->density * f[r];
        for (int u = 0; u < c->cols && k < cap; u++)
            if (lcg(&seed) < fr * g[u]) m->col_idx[k++] = u;
        m->row_ptr[r + 1] = (int)k;
        t->order[r] = r;
    }
    free(f);
    t->nnz = (int)k;
    t->nb = (c->rows + c->batch - 1) / c->batch;
    size_t uh = (size_t)c->cols * c->hidden, nw = uh + (size_t)(c->cols > c->hidden ? c->cols
                                                                                  : c->hidden);
    t->cp = ar_malloc((size_t)t->nb * (c->cols + 1) * sizeof(int));
    t->eb = ar_malloc((k + 1) * sizeof(int));
    t->ek = ar_malloc((k + 1) * sizeof(int));
    t->w = ar_malloc(nw * sizeof(float));
    t->ck = ar_malloc((k + 1) * sizeof(float));
    t->a = ar_malloc((size_t)c->batch * c->hidden * sizeof(float));
    if (!t->cp || !t->eb || !t->ek || !t->w || !t->ck || !t->a) return AR_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; i < nw; i++) t->w[i] = lcg(&seed) - 0.5f;
    for (size_t i = 0; i < k; i++) t->ck[i] = lcg(&seed) - 0.5f;
    for (size_t i = 0; i < (size_t)c->batch * c->hidden; i++) t->a[i] = lcg(&seed);
    int ent = 0;
    for (int j = 0; j < t->nb; j++) {
        int off = j * c->batch, B = c->rows - off < c->batch ? c->rows - off : c->batch;
        int *p = t->cp + (size_t)j * (c->cols + 1);
        ar_sp_batch_csc(p, t->eb + ent, t->ek + ent, m, t->order + off, B);
        for (int u = 0; u <= c->cols; u++) p[u] += ent;
        ent = p[c->cols];
    }
    return AR_OK;
}

static ar_status upload(ar_ctx *ctx, tune_data *t) {
    const ar_kernel_tune_config *c = t->cfg;
    size_t nnz = (size_t)t->nnz + 1, uh = (size_t)c->cols * c->hidden;
    size_t nw = uh + (size_t)(c->cols > c->hidden ? c->cols : c->hidden);
    size_t bh = (size_t)c->batch * c->hidden;
    ar_status st = AR_OK;
    AR_TRY(ar_buffer(ctx, ((size_t)c->rows + 1) * sizeof(int), t->m.row_ptr, "tune", &t->d_ptr));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(int), t->m.col_idx, "tune", &t->d_idx));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(float), t->ck, "tune", &t->d_ck));
    AR_TRY(ar_buffer(ctx, nw * sizeof(float), t->w, "tune", &t->d_w));
    AR_TRY(ar_buffer(ctx, (size_t)c->rows * sizeof(int), t->order, "tune", &t->d_rows));
    AR_TRY(ar_buffer(ctx, bh * sizeof(float), t->a, "tune", &t->d_a));
    AR_TRY(ar_buffer(ctx, bh * sizeof(float), NULL, "tune", &t->d_out));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(float), NULL, "tune", &t->d_yk));
    AR_TRY(ar_buffer(ctx, (size_t)t->nb * (c->cols + 1) * sizeof(int), t->cp, "tune", &t->d_cp));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(int), t->eb, "tune", &t->d_eb));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(int), t->ek, "tune", &t->d_ek));
    AR_TRY(ar_buffer(ctx, uh * sizeof(float), NULL, "tune", &t->d_dw));
    AR_TRY(ar_buffer(ctx, nnz * sizeof(float), NULL, "tune", &t->d_dy));
    AR_TRY(ar_buffer(ctx, (size_t)c->rows * sizeof(float), NULL, "tune", &t->d_loss));
cleanup:
    return st;
}

static void free_data(tune_data *t) {
    cl_mem *bufs[] = {&t->d_ptr, &t->d_idx, &t->d_ck, &t->d_w, &t->d_rows, &t->d_a,
                      &t->d_out, &t->d_yk, &t->d_cp, &t->d_eb, &t->d_ek, &t->d_dw,
                      &t->d_dy, &t->d_loss};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
    free(t->m.row_ptr), free(t->m.col_idx), free(t->order), free(t->cp), free(t->eb);
    free(t->ek), free(t->w), free(t->ck), free(t->a);
}

enum { K_PRODUCTS, K_SDDMM, K_DECODE };

/* Batch j of kernel kind k (the products: SpMM as encoder and as gradient, weight gradient;
 * SDDMM by rows or from the CSC as ctx->kp.sddmm_csc says, as training runs it; training's
 * decoder, loss (ck as the ratings) and the gradient at the hidden layer (a as its output,
 * sigmoid), fused or not as ctx->kp.sp_fuse says). */
static ar_status run_batch(ar_ctx *ctx, const tune_data *t, int k, int j) {
    const ar_kernel_tune_config *c = t->cfg;
    const int H = c->hidden, U = c->cols, UH = U * H, off = j * c->batch;
    const int B = c->rows - off < c->batch ? c->rows - off : c->batch;
    ar_status st = AR_OK;
    if (k == K_DECODE && ctx->kp.sp_fuse)
        return ark_sp_decode_backward(ctx, t->d_yk, t->d_dy, t->d_loss, t->d_out, t->d_a, t->d_w,
                                      0, UH, t->d_ptr, t->d_idx, t->d_ck, t->d_rows, off, B, H,
                                      AR_ACT_IDENTITY, 1.0f, NULL, 1.0f, t->d_a, AR_ACT_SIGMOID,
                                      U);
    if (k == K_DECODE) {
        AR_TRY(run_batch(ctx, t, K_SDDMM, j));
        AR_TRY(ark_sp_loss_backward(ctx, t->d_dy, t->d_loss, t->d_yk, t->d_ptr, t->d_ck,
                                    t->d_rows, off, B, 1.0f, AR_ACT_IDENTITY));
        return ark_sp_spmm_backward(ctx, t->d_out, t->d_dy, t->d_w, 0, t->d_ptr, t->d_idx,
                                    t->d_rows, off, B, H, NULL, 1.0f, t->d_a, AR_ACT_SIGMOID);
    }
    if (k == K_SDDMM && ctx->kp.sddmm_csc)
        return ark_sp_sddmm_csc(ctx, t->d_yk, t->d_a, t->d_w, 0, UH, t->d_cp, j * (U + 1),
                                t->d_eb, t->d_ek, U, H, AR_ACT_IDENTITY);
    if (k == K_SDDMM)
        return ark_sp_sddmm(ctx, t->d_yk, t->d_a, t->d_w, 0, UH, t->d_ptr, t->d_idx, t->d_rows,
                            off, B, H, AR_ACT_IDENTITY);
    AR_TRY(ark_sp_spmm(ctx, t->d_out, t->d_ck, t->d_w, 0, UH, t->d_ptr, t->d_idx, t->d_rows, off,
                       B, H, AR_ACT_SIGMOID, U));
    AR_TRY(ark_sp_spmm(ctx, t->d_out, t->d_ck, t->d_w, 0, -1, t->d_ptr, t->d_idx, t->d_rows, off,
                       B, H, AR_ACT_IDENTITY, U));
    AR_TRY(ark_sp_weight_grad(ctx, t->d_dw, 0, t->d_ck, t->d_a, t->d_cp, j * (U + 1), t->d_eb,
                              t->d_ek, U, H));
cleanup:
    return st;
}

static int close_enough(double got, double ref) {
    return fabs(got - ref) <= 1e-4 + 1e-3 * fabs(ref);
}

/* Batch 0 of kernel kind k against the host, in double: 1 when every output agrees. */
static ar_status check(ar_ctx *ctx, const tune_data *t, int k, int *ok) {
    const ar_kernel_tune_config *c = t->cfg;
    const int H = c->hidden, U = c->cols, B = c->rows < c->batch ? c->rows : c->batch;
    ar_status st = run_batch(ctx, t, k, 0);
    size_t n = k == K_SDDMM ? (size_t)t->nnz + 1 : (size_t)U * H + (size_t)B * H;
    float *got = ar_malloc(n * sizeof *got);
    if (!got) return AR_ERR_OUT_OF_MEMORY;
    *ok = 1;
    if (st == AR_OK && k == K_SDDMM) st = ar_read(ctx, t->d_yk, 0, n * sizeof *got, got);
    if (st == AR_OK && k == K_DECODE) st = ar_read(ctx, t->d_out, 0, (size_t)B * H * sizeof *got, got);
    if (st == AR_OK && k == K_PRODUCTS) {
        st = ar_read(ctx, t->d_dw, 0, (size_t)U * H * sizeof *got, got);
        if (st == AR_OK)
            st = ar_read(ctx, t->d_out, 0, (size_t)B * H * sizeof *got, got + (size_t)U * H);
    }
    const int *rp = t->m.row_ptr, *ci = t->m.col_idx;
    for (int b = 0; st == AR_OK && *ok && b < B; b++)
        for (int h = 0; k == K_PRODUCTS && h < H; h++) { /* SpMM as gradient: no bias */
            double z = 0;
            for (int e = rp[b]; e < rp[b + 1]; e++)
                z += (double)t->ck[e] * t->w[(size_t)ci[e] * H + h];
            *ok &= close_enough(got[(size_t)U * H + (size_t)b * H + h], z);
        }
    for (int b = 0; st == AR_OK && k == K_SDDMM && b < B; b++)
        for (int e = rp[b]; e < rp[b + 1]; e++) {
            double z = t->w[(size_t)U * H + ci[e]];
            for (int h = 0; h < H; h++)
                z += (double)t->a[(size_t)b * H + h] * t->w[(size_t)ci[e] * H + h];
            *ok &= close_enough(got[e], z);
        }
    /* the decoder's gradient: dz[b, h] = sum over the row's entries of 2 (y_e - ck_e) W[u_e, h],
     * times a (1 - a) (sigmoid's derivative at the layer's output a) */
    double *dy = k == K_DECODE ? ar_malloc(((size_t)t->nnz + 1) * sizeof *dy) : NULL;
    if (k == K_DECODE && !dy) st = AR_ERR_OUT_OF_MEMORY;
    for (int b = 0; st == AR_OK && k == K_DECODE && b < B; b++) {
        for (int e = rp[b]; e < rp[b + 1]; e++) { /* each entry's output gradient, once */
            double y = t->w[(size_t)U * H + ci[e]];
            for (int i = 0; i < H; i++)
                y += (double)t->a[(size_t)b * H + i] * t->w[(size_t)ci[e] * H + i];
            dy[e] = 2.0 * (y - t->ck[e]);
        }
        for (int h = 0; h < H; h++) {
            double z = 0;
            for (int e = rp[b]; e < rp[b + 1]; e++) z += dy[e] * t->w[(size_t)ci[e] * H + h];
            const double ah = t->a[(size_t)b * H + h];
            *ok &= close_enough(got[(size_t)b * H + h], z * ah * (1.0 - ah));
        }
    }
    free(dy);
    for (int u = 0; st == AR_OK && k == K_PRODUCTS && u < U; u++)
        for (int h = 0; h < H; h++) {
            double z = 0;
            for (int e = t->cp[u]; e < t->cp[u + 1]; e++)
                z += (double)t->ck[t->ek[e]] * t->a[(size_t)t->eb[e] * H + h];
            *ok &= close_enough(got[(size_t)u * H + h], z);
        }
    free(got);
    return st;
}

/* The fastest of cfg->reps passes over every batch, in seconds, after one untimed pass (a
 * driver may compile a kernel for each launch shape the first time it sees it: PoCL does). */
static ar_status time_kind(ar_ctx *ctx, const tune_data *t, int k, double *best) {
    ar_status st = AR_OK;
    *best = INFINITY;
    for (int r = -1; r < t->cfg->reps; r++) {
        double t0 = ar_time_seconds();
        for (int j = 0; j < t->nb; j++) AR_TRY(run_batch(ctx, t, k, j));
        AR_CL_TRY(clFinish(ctx->queue));
        double s = ar_time_seconds() - t0;
        if (r >= 0 && s < *best) *best = s;
    }
cleanup:
    return st;
}

/* Checks and times ctx as built (with c->kp's launch shape); INFINITY when it disagrees. */
static ar_status measure(ar_ctx *ctx, const tune_data *t, int k, ar_kernel_tune_result *res,
                         double *s) {
    int ok = 0;
    ar_status st = check(ctx, t, k, &ok);
    res->variants++;
    *s = INFINITY;
    if (st == AR_OK && !ok) res->rejected++;
    if (st == AR_OK && ok) st = time_kind(ctx, t, k, s);
    return st;
}

static ar_status validate(const ar_kernel_tune_config *c) {
    if (c->rows < 1 || c->cols < 1 || c->hidden < 1 || c->batch < 1 || c->reps < 1)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_kernel_tune_config.rows, cols, hidden, batch and "
                       "reps must be positive");
    if (!(c->density > 0 && c->density <= 1))
        return ar_fail(AR_ERR_INVALID_ARG, "ar_kernel_tune_config.density must be in (0, 1]");
    if ((double)c->rows * c->cols * c->density > 2e9 || (double)c->cols * c->hidden > 1e9)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_kernel_tune_config: over 2e9 ratings or 1e9 "
                       "weights");
    return AR_OK;
}

/* The products over widths x launch shapes; *win and *best hold the defaults' on entry, and
 * the fastest variant's on return (a variant must beat the defaults to replace them). The
 * defaults are among the variants: res->default_*_s keeps their best time, so that the
 * winner's speed-up is not the luck of one measurement against another. */
static int same_products(const ar_kparams *a, const ar_kparams *b) {
    return a->sp_width == b->sp_width && a->spmm_width == b->spmm_width &&
           a->sp_group == b->sp_group && a->sp_rows == b->sp_rows &&
           a->row_split == b->row_split;
}

static ar_status tune_products(ar_ctx *ctx, const tune_data *t, ar_kernel_tune_result *res,
                               const ar_kparams *def, ar_kparams *win, double *best) {
    static const int widths[] = {8, 16, 32}, shapes[][2] = {{0, 1}, {4, 1}, {0, 4}};
    ar_status st = AR_OK;
    for (size_t w = 0; w < sizeof widths / sizeof *widths; w++) {
        ar_kparams kp = ctx->kp;
        kp.sp_width = kp.spmm_width = widths[w], kp.sp_group = 0, kp.sp_rows = 1;
        AR_TRY(ar_ctx_set_kparams(ctx, &kp));
        for (size_t g = 0; g < sizeof shapes / sizeof *shapes; g++) {
            ctx->kp.sp_group = shapes[g][0], ctx->kp.sp_rows = shapes[g][1]; /* launch only */
            double s;
            AR_TRY(measure(ctx, t, K_PRODUCTS, res, &s));
            if (same_products(&ctx->kp, def) && s < res->default_products_s)
                res->default_products_s = s; /* the defaults again: their best time counts */
            if (s < *best) *best = s, *win = ctx->kp;
        }
    }
    /* the SpMMs at 64 on their own, at the winner's weight-gradient width and shape (the
     * winner may be the defaults, which are that already on a CPU: then measured again) */
    {
        ar_kparams kp = *win;
        kp.spmm_width = 64;
        AR_TRY(ar_ctx_set_kparams(ctx, &kp));
        double s;
        AR_TRY(measure(ctx, t, K_PRODUCTS, res, &s));
        if (same_products(&ctx->kp, def) && s < res->default_products_s)
            res->default_products_s = s;
        if (s < *best) *best = s, *win = ctx->kp;
    }
    /* each row's entries in chunks or not (row_split, launch-time) at the winner so far */
    {
        static const int chunks[] = {0, 8, 32, 128};
        const int measured = win->row_split;
        AR_TRY(ar_ctx_set_kparams(ctx, win));
        for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
            if (chunks[i] == measured) continue;
            ctx->kp.row_split = chunks[i];
            double s;
            AR_TRY(measure(ctx, t, K_PRODUCTS, res, &s));
            if (same_products(&ctx->kp, def) && s < res->default_products_s)
                res->default_products_s = s;
            if (s < *best) *best = s, *win = ctx->kp;
        }
    }
cleanup:
    return st;
}

static ar_status tune_sddmm(ar_ctx *ctx, const tune_data *t, ar_kernel_tune_result *res,
                            const ar_kparams *def, ar_kparams *win, double *best) {
    static const int lanes[] = {4, 8, 16}, splits[] = {16, 32};
    ar_status st = AR_OK;
    for (size_t l = 0; l < sizeof lanes / sizeof *lanes; l++) {
        ar_kparams kp = *win;
        kp.sddmm_lanes = lanes[l], kp.sddmm_csc = 0, kp.sddmm_split = 0;
        AR_TRY(ar_ctx_set_kparams(ctx, &kp));
        for (int csc = 0; csc < 2; csc++) { /* by rows, from the CSC: launch only */
            /* from the CSC, scoring (which has no CSC) keeps the defaults' kernel by rows */
            ctx->kp.sddmm_csc = csc, ctx->kp.sddmm_split = csc ? def->sddmm_split : 0;
            double s;
            AR_TRY(measure(ctx, t, K_SDDMM, res, &s));
            if (same_products(&kp, def) && kp.sddmm_lanes == def->sddmm_lanes &&
                csc == def->sddmm_csc && (csc || !def->sddmm_split) &&
                s < res->default_sddmm_s)
                res->default_sddmm_s = s;
            if (s < *best)
                *best = s, win->sddmm_lanes = lanes[l], win->sddmm_csc = csc,
                win->sddmm_split = ctx->kp.sddmm_split;
        }
    }
    /* by rows in a GPU's shape (launch-time; the lanes stay the winner's, unused) */
    AR_TRY(ar_ctx_set_kparams(ctx, win));
    for (size_t i = 0; i < sizeof splits / sizeof *splits; i++) {
        ctx->kp.sddmm_csc = 0, ctx->kp.sddmm_split = splits[i];
        double s;
        AR_TRY(measure(ctx, t, K_SDDMM, res, &s));
        if (same_products(win, def) && !def->sddmm_csc && splits[i] == def->sddmm_split &&
            s < res->default_sddmm_s)
            res->default_sddmm_s = s;
        if (s < *best) *best = s, win->sddmm_csc = 0, win->sddmm_split = splits[i];
    }
cleanup:
    return st;
}

/* Training's decoder and backward pass as three kernels (the SDDMM winner's) or one, at the
 * winners so far; a launch-time choice. */
static ar_status tune_fuse(ar_ctx *ctx, const tune_data *t, ar_kernel_tune_result *res,
                           const ar_kparams *def, ar_kparams *win, double *best) {
    ar_status st = AR_OK;
    AR_TRY(ar_ctx_set_kparams(ctx, win));
    for (int fuse = 0; fuse < 2; fuse++) {
        ctx->kp.sp_fuse = fuse;
        double s;
        AR_TRY(measure(ctx, t, K_DECODE, res, &s));
        /* the defaults again (SDDMM's parameters do not touch the fused kernel) */
        if (same_products(win, def) && fuse == def->sp_fuse &&
            (fuse || (win->sddmm_lanes == def->sddmm_lanes && win->sddmm_csc == def->sddmm_csc &&
                      win->sddmm_split == def->sddmm_split)) &&
            s < res->default_decode_s)
            res->default_decode_s = s;
        if (s < *best) *best = s, win->sp_fuse = fuse;
    }
cleanup:
    return st;
}

/* Column tiles at the winners so far (a launch-time choice): each candidate under cols (and 0,
 * none) timed over the two passes it changes, the products (the encoder's SpMM) and training's
 * decoder; the defaults' tiling among them. A candidate must beat the defaults to replace them. */
static ar_status tune_tile(ar_ctx *ctx, const tune_data *t, ar_kernel_tune_result *res,
                           const ar_kparams *def, ar_kparams *win) {
    static const int tiles[] = {0, 512, 1024, 2048, 4096};
    enum { N = sizeof tiles / sizeof *tiles };
    const int cols = t->cfg->cols;
    /* the defaults' tiling as a candidate: 0 when their tile does not cut this matrix */
    const int def_tile = def->sp_tile > 0 && def->sp_tile < cols ? def->sp_tile : 0;
    double secs[N];
    ar_status st = AR_OK;
    res->tile_s = res->default_tile_s = 0;
    win->sp_tile = def->sp_tile;
    if (cols <= tiles[1]) return AR_OK; /* no tile would cut it: nothing to time */
    AR_TRY(ar_ctx_set_kparams(ctx, win));
    for (int i = 0; i < N; i++) {
        double p = INFINITY, d = INFINITY;
        secs[i] = INFINITY;
        if (tiles[i] && tiles[i] >= cols) continue;
        ctx->kp.sp_tile = tiles[i];
        AR_TRY(measure(ctx, t, K_PRODUCTS, res, &p));
        AR_TRY(measure(ctx, t, K_DECODE, res, &d));
        secs[i] = p + d;
    }
    res->default_tile_s = res->tile_s = INFINITY;
    for (int i = 0; i < N; i++)
        if (tiles[i] == def_tile) res->default_tile_s = res->tile_s = secs[i];
    for (int i = 0; i < N; i++)
        if (secs[i] < res->tile_s) res->tile_s = secs[i], win->sp_tile = tiles[i];
cleanup:
    return st;
}

/* The shapes the kernels really run at: the hidden size padded as a model pads it
 * (ar_hidden_padded: a model of hidden 8 runs its kernels at 16, and looks its tuned
 * parameters up under that class), and no more batch rows than the matrix has (a batch over
 * rows would size the activations for rows that never exist). */
static ar_kernel_tune_config device_shapes(const ar_kernel_tune_config *cfg) {
    ar_kernel_tune_config d = *cfg;
    d.hidden = ar_hidden_padded(cfg->hidden);
    if (d.batch > d.rows) d.batch = d.rows;
    return d;
}

/* Before minutes of measuring: the store's path must be writable later (a directory in its
 * place, a read-only cache directory), or the winners would be lost at the end. */
static ar_status check_store(char *path, size_t cap) {
    ar_status st = ar_kparams_store_need(path, cap);
    return st == AR_OK ? ar_output_check(path, NULL, 0) : st;
}

/* The defaults' passes under ar_ktune_noise_floor_s: nothing to compare winners against. */
static int defaults_are_noise(const ar_kernel_tune_result *res) {
    return res->default_products_s < ar_ktune_noise_floor_s ||
           res->default_sddmm_s < ar_ktune_noise_floor_s ||
           res->default_decode_s < ar_ktune_noise_floor_s;
}

ar_status ar_kernels_tune(ar_ctx *ctx, const ar_kernel_tune_config *cfg,
                          ar_kernel_tune_result *res) {
    memset(res, 0, sizeof *res);
    ar_status st = validate(cfg);
    if (st != AR_OK) return st;
    const ar_kernel_tune_config dc = device_shapes(cfg);
    if ((st = validate(&dc)) != AR_OK) return st;
    char probe[4200];
    if ((st = check_store(probe, sizeof probe)) != AR_OK) return st;
    res->device_hidden = dc.hidden;
    ar_kparams_shape_class(dc.hidden, dc.cols, res->shape_class, sizeof res->shape_class);
    tune_data t = {.cfg = &dc};
    ar_kparams def;
    ar_kparams_default(&def, ctx->info.type);
    if ((st = make_host(&t)) != AR_OK) goto cleanup;
    if (t.nnz == 0) { /* every variant would time empty launches */
        st = ar_fail(AR_ERR_INVALID_ARG, "ar_kernel_tune_config.density %g over "
                     "ar_kernel_tune_config.rows x ar_kernel_tune_config.cols (%d x %d) draws "
                     "no ratings; raise ar_kernel_tune_config.density or the shape",
                     cfg->density, cfg->rows, cfg->cols);
        goto cleanup;
    }
    AR_TRY(upload(ctx, &t));
    AR_TRY(ar_ctx_set_kparams(ctx, &def));
    ctx->kp_from = "default";
    AR_TRY(measure(ctx, &t, K_PRODUCTS, res, &res->default_products_s));
    AR_TRY(measure(ctx, &t, K_SDDMM, res, &res->default_sddmm_s));
    AR_TRY(measure(ctx, &t, K_DECODE, res, &res->default_decode_s));
    ar_kparams win = def;
    res->products_s = res->default_products_s, res->sddmm_s = res->default_sddmm_s;
    res->decode_s = res->default_decode_s;
    if (defaults_are_noise(res)) goto cleanup; /* res->stored 0: the caller says so */
    AR_TRY(tune_products(ctx, &t, res, &def, &win, &res->products_s));
    if (!isfinite(res->products_s)) {
        st = ar_fail(AR_ERR_OPENCL, "tune-kernels: no variant of the sparse products agreed "
                     "with the host on %s", ctx->info.name);
        goto cleanup;
    }
    AR_TRY(tune_sddmm(ctx, &t, res, &def, &win, &res->sddmm_s));
    if (!isfinite(res->sddmm_s)) {
        st = ar_fail(AR_ERR_OPENCL, "tune-kernels: no SDDMM variant agreed with the host on %s",
                     ctx->info.name);
        goto cleanup;
    }
    win.sp_fuse = def.sp_fuse;
    AR_TRY(tune_fuse(ctx, &t, res, &def, &win, &res->decode_s));
    if (!isfinite(res->decode_s)) {
        st = ar_fail(AR_ERR_OPENCL, "tune-kernels: neither form of the decoder's backward pass "
                     "agreed with the host on %s", ctx->info.name);
        goto cleanup;
    }
    AR_TRY(tune_tile(ctx, &t, res, &def, &win));
    if (!isfinite(res->tile_s)) {
        st = ar_fail(AR_ERR_OPENCL, "tune-kernels: no column tiling of the products agreed with "
                     "the host on %s", ctx->info.name);
        goto cleanup;
    }
    AR_TRY(ar_ctx_set_kparams(ctx, &win));
    ctx->kp_from = "tuned";
    snprintf(res->products, sizeof res->products,
             "sp_width=%d,spmm_width=%d,sp_group=%d,sp_rows=%d,sp_tile=%d,row_split=%d",
             win.sp_width, win.spmm_width, win.sp_group, win.sp_rows, win.sp_tile,
             win.row_split);
    snprintf(res->sddmm, sizeof res->sddmm,
             "sddmm_lanes=%d,sddmm_csc=%d,sddmm_split=%d,sp_fuse=%d", win.sddmm_lanes,
             win.sddmm_csc, win.sddmm_split, win.sp_fuse);
    AR_TRY(ar_kparams_record(ctx, AR_KTUNE_PRODUCTS, res->shape_class, res->products, res->path,
                             sizeof res->path));
    AR_TRY(ar_kparams_record(ctx, AR_KTUNE_SDDMM, res->shape_class, res->sddmm, res->path,
                             sizeof res->path));
    res->stored = 1;
cleanup:
    free_data(&t);
    return st;
}
