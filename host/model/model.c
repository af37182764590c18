/* model.c - AutoRec on the device: buffers, forward, backward, Adam, evaluation.
 *
 *   x  (B, U)  densified ratings of B rows (items, or users for U-AutoRec; 0 = unobserved),
 *              input dropout applied in place when denoising
 *   a1 = g(x W0T + b0)          (B, H1)     W0T (U, H1): "V" (stored transposed) and "mu"
 *   ad1 = dropout(a1)           (B, H1)
 *   ...  the same for every further hidden layer k: a_k+1 = g(ad_k Wk^T + bk)
 *   y  = f(ad_L WL^T + bL)      (B, U)      WL (U, H_L): "W" and "b" of the paper
 *   loss = mean over observed (row, column) of (y - r)^2; L2 on every W inside Adam
 *
 * Params, grads and the Adam moments are one flat buffer each (layout in ref.h). Within an
 * epoch nothing waits for the device; the one read per epoch is the per-item loss array.
 *
 * The sparse path (cfg.kernels, cl/sparse.cl) computes the same model from the observed entries
 * only: a1 from the batch's CSR rows (no x), the decoder's outputs yk only at the observed
 * positions (no y), its gradient dyk there, and dW / db of the first and last layers from the
 * batch's CSC (built on the host once per epoch for every batch, uploaded in one write). Layers
 * in between are dense on both paths.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct ar_model {
    ar_ctx *ctx;
    const ar_dataset *ds;
    ar_train_config cfg;
    ar_layout L;
    int B;                     /* batch rows actually used: min(cfg.batch, items) */
    cl_mem params, grads, m, v;/* (n_params) each */
    cl_mem x, y, dy;           /* (B, U) each */
    cl_mem a[AR_MAX_HIDDEN_LAYERS + 1];  /* a[k] (B, dim[k]), k = 1..n_hidden: hidden outputs */
    cl_mem ad[AR_MAX_HIDDEN_LAYERS + 1]; /* ad[k]: a[k] after dropout (only with dropout) */
    cl_mem dh[2];              /* (B, max hidden width): hidden gradients, alternating */
    cl_mem tr_ptr, tr_idx, tr_val; /* training CSR by item */
    cl_mem te_ptr, te_idx, te_val; /* scoreable test CSR by item */
    cl_mem va_ptr, va_idx, va_val; /* scoreable validation CSR by item (empty without one) */
    cl_mem perm;               /* (I) this epoch's item order */
    cl_mem order;              /* (I) 0..I-1, for evaluation */
    cl_mem row_loss;           /* (I) per-item training SSE of the epoch */
    cl_mem sse_tr, sse_te, sse_va; /* (I) per-item evaluation SSE */
    float lo, hi, def;         /* rating scale and cold-start prediction used in scoring */
    int *perm_host;            /* (I) */
    float *row_host;           /* (I) */
    int epoch;                 /* epochs trained */
    uint32_t step;             /* Adam steps taken (t) */
    size_t device_bytes;
    /* the sparse path */
    int sparse;                /* 1: cfg.kernels resolved to sparse */
    cl_mem xk;                 /* (nnz train) inputs after input dropout (only with it) */
    cl_mem yk, dyk;            /* (nnz train) outputs and their gradient at training entries */
    cl_mem ye;                 /* (max nnz of test, validation) outputs when scoring */
    cl_mem csc_ptr;            /* (n_batches, U + 1) every batch's CSC column pointers */
    cl_mem csc_b, csc_k;       /* (nnz train) its entries: batch row, CSR index */
    int *csc_ptr_host, *csc_b_host, *csc_k_host;
    int n_batches;
};

static const char *const path_names[] = {"auto", "dense", "sparse"};

const char *ar_kernel_path_name(ar_kernel_path k) {
    return (unsigned)k < 3 ? path_names[k] : "unknown";
}

ar_status ar_kernel_path_parse(const char *name, ar_kernel_path *out) {
    for (int i = 0; i < 3; i++)
        if (strcasecmp(name, path_names[i]) == 0) return *out = (ar_kernel_path)i, AR_OK;
    return ar_fail(AR_ERR_INVALID_ARG, "unknown kernel path '%s' (expected auto, dense or sparse)", name);
}

static const char *const noise_names[] = {"mask", "inverted"};

const char *ar_input_noise_name(ar_input_noise n) {
    return (unsigned)n < 2 ? noise_names[n] : "unknown";
}

ar_status ar_input_noise_parse(const char *name, ar_input_noise *out) {
    for (int i = 0; i < 2; i++)
        if (strcasecmp(name, noise_names[i]) == 0) return *out = (ar_input_noise)i, AR_OK;
    return ar_fail(AR_ERR_INVALID_ARG, "unknown input noise '%s' (expected mask or inverted)", name);
}

ar_kernel_path ar_model_kernels(const ar_model *m) {
    return m->sparse ? AR_KERNELS_SPARSE : AR_KERNELS_DENSE;
}

static const char *const act_names[] = {"identity", "sigmoid", "relu", "tanh", "elu", "selu"};

const char *ar_activation_name(ar_activation a) {
    return (unsigned)a < sizeof act_names / sizeof *act_names ? act_names[a] : "unknown";
}

ar_status ar_activation_parse(const char *name, ar_activation *out) {
    for (size_t i = 0; i < sizeof act_names / sizeof *act_names; i++)
        if (strcasecmp(name, act_names[i]) == 0) return *out = (ar_activation)i, AR_OK;
    return ar_fail(AR_ERR_INVALID_ARG, "unknown activation '%s' (expected identity, sigmoid, "
                   "relu, tanh, elu or selu)", name);
}

void ar_train_config_default(ar_train_config *c) {
    memset(c, 0, sizeof *c);
    c->hidden = 500;
    c->epochs = 60;
    c->batch = 256;
    c->lr = 3e-3f;
    c->lr_decay = 0.97f;
    c->l2 = 2e-3f;
    c->dropout = 0.0f;
    c->activation = AR_ACT_SIGMOID;
    c->out_activation = AR_ACT_IDENTITY;
    c->seed = 1;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->rating_min = NAN; /* from the data */
    c->rating_max = NAN;
    c->default_rating = NAN;
}

ar_status ar_train_config_validate(const ar_train_config *c) {
#define CHECK(cond, ...) if (!(cond)) return ar_fail(AR_ERR_INVALID_ARG, __VA_ARGS__)
    CHECK(c->hidden >= 1 && c->hidden <= 1000000, "ar_train_config.hidden must be in 1..1000000, got %d",
          c->hidden);
    CHECK(c->n_layers >= 0 && c->n_layers <= AR_MAX_HIDDEN_LAYERS,
          "ar_train_config.n_layers must be in 0..%d, got %d", AR_MAX_HIDDEN_LAYERS, c->n_layers);
    for (int k = 0; k < c->n_layers; k++)
        CHECK(c->layers[k] >= 1 && c->layers[k] <= 1000000,
              "ar_train_config.layers[%d] has %d units; each must be in 1..1000000", k + 1, c->layers[k]);
    CHECK(c->epochs >= 1 && c->epochs <= 1000000, "ar_train_config.epochs must be in 1..1000000, got %d",
          c->epochs);
    CHECK(c->batch >= 1 && c->batch <= 1000000, "ar_train_config.batch must be in 1..1000000, got %d", c->batch);
    CHECK(isfinite(c->lr) && c->lr > 0 && c->lr < 10, "ar_train_config.lr must be in (0, 10), got %g",
          (double)c->lr);
    CHECK(isfinite(c->lr_decay) && c->lr_decay > 0 && c->lr_decay <= 1,
          "ar_train_config.lr_decay must be in (0, 1], got %g", (double)c->lr_decay);
    CHECK(isfinite(c->l2) && c->l2 >= 0, "ar_train_config.l2 must be a finite number >= 0, got %g",
          (double)c->l2);
    CHECK(c->dropout >= 0 && c->dropout < 1, "ar_train_config.dropout must be in [0, 1), got %g",
          (double)c->dropout);
    CHECK(c->input_dropout >= 0 && c->input_dropout < 1,
          "ar_train_config.input_dropout must be in [0, 1), got %g", (double)c->input_dropout);
    CHECK((unsigned)c->input_noise <= AR_NOISE_INVERTED, "ar_train_config.input_noise: unknown form %d",
          (int)c->input_noise);
    CHECK((unsigned)c->activation <= AR_ACT_SELU, "ar_train_config.activation: unknown activation %d",
          (int)c->activation);
    CHECK((unsigned)c->out_activation <= AR_ACT_SELU, "ar_train_config.out_activation: unknown activation %d",
          (int)c->out_activation);
    CHECK((unsigned)c->kernels <= AR_KERNELS_SPARSE, "ar_train_config.kernels: unknown path %d",
          (int)c->kernels);
    CHECK(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1,
          "Adam's ar_train_config.beta1 and beta2 must be in [0, 1)");
    CHECK(isfinite(c->eps) && c->eps > 0, "Adam's ar_train_config.eps must be > 0");
    CHECK((isnan(c->rating_min) && isnan(c->rating_max)) ||
          (isfinite(c->rating_min) && isfinite(c->rating_max) && c->rating_min < c->rating_max),
          "the rating scale [ar_train_config.rating_min, rating_max] = [%g, %g] must be empty (NaN, from the data) or finite with min < max",
          (double)c->rating_min, (double)c->rating_max);
    CHECK(isnan(c->default_rating) || isfinite(c->default_rating),
          "ar_train_config.default_rating must be finite (or NaN: the middle of the scale)");
#undef CHECK
    return AR_OK;
}

static ar_status alloc(ar_model *m, cl_mem *buf, size_t bytes, const void *host,
                       const char *what) {
    ar_status st = ar_buffer(m->ctx, bytes, host, what, buf);
    if (st == AR_OK) m->device_bytes += bytes;
    return st;
}

static ar_status upload_csr(ar_model *m, const ar_csr *c, cl_mem *ptr, cl_mem *idx, cl_mem *val,
                            const char *what) {
    ar_status st = AR_OK;
    size_t nnz = (size_t)c->row_ptr[c->rows];
    AR_TRY(alloc(m, ptr, ((size_t)c->rows + 1) * sizeof(int), c->row_ptr, what));
    AR_TRY(alloc(m, idx, nnz * sizeof(int), nnz ? c->col_idx : NULL, what));
    AR_TRY(alloc(m, val, nnz * sizeof(float), nnz ? c->vals : NULL, what));
cleanup:
    return st;
}

int ar_config_hidden(const ar_train_config *c, int *widths) {
    if (c->n_layers == 0) {
        widths[0] = c->hidden;
        return 1;
    }
    for (int k = 0; k < c->n_layers; k++) widths[k] = c->layers[k];
    return c->n_layers;
}

/* PyTorch's nn.Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and bias.
 * Drawn in layout order (all weights, then all biases). */
static void init_params(float *p, const ar_layout *L, uint64_t seed) {
    ar_rng rng = {seed * 0x9E3779B97F4A7C15ull + 1};
    for (int k = 0; k <= L->n_hidden; k++) {
        float s = 1.0f / sqrtf((float)L->dim[k]);
        size_t n = (size_t)L->dim[k + 1] * L->dim[k];
        for (size_t i = 0; i < n; i++) p[L->off_w[k] + i] = s * (float)(2 * ar_rng_uniform(&rng) - 1);
    }
    for (int k = 0; k <= L->n_hidden; k++) {
        float s = 1.0f / sqrtf((float)L->dim[k]);
        for (int i = 0; i < L->dim[k + 1]; i++)
            p[L->off_bias[k] + i] = s * (float)(2 * ar_rng_uniform(&rng) - 1);
    }
}

ar_status ar_model_create(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                          ar_model **out) {
    ar_status st = ar_train_config_validate(cfg);
    *out = NULL;
    if (st != AR_OK) return st;
    ar_model *m = calloc(1, sizeof *m);
    float *host = NULL;
    if (!m) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    m->ctx = ctx;
    m->ds = ds;
    m->cfg = *cfg;
    /* The scale: configured, else the training data's; cold pairs get its middle. */
    m->lo = isnan(cfg->rating_min) ? ds->rating_min : cfg->rating_min;
    m->hi = isnan(cfg->rating_max) ? ds->rating_max : cfg->rating_max;
    m->def = isnan(cfg->default_rating) ? 0.5f * (m->lo + m->hi) : cfg->default_rating;
    m->def = m->def < m->lo ? m->lo : m->def > m->hi ? m->hi : m->def;
    const int U = ds->n_cols, I = ds->n_rows;
    int widths[AR_MAX_HIDDEN_LAYERS], H = 0;
    int nh = ar_config_hidden(cfg, widths);
    for (int k = 0; k < nh; k++) H = widths[k] > H ? widths[k] : H; /* the widest */
    ar_layout_init(&m->L, U, widths, nh);
    m->B = cfg->batch < I ? cfg->batch : I;
    if (m->L.n_params > 2147483647u || (size_t)m->B * U > 2147483647u ||
        (size_t)m->B * H > 2147483647u) {
        st = ar_fail(AR_ERR_INVALID_ARG, "ar_train_config.hidden (widest layer %d) with %d columns needs %zu "
                     "parameters and batch tensors of %zu elements: over the 2^31 limit of "
                     "32-bit indexing", H, U, m->L.n_params, (size_t)m->B * (U > H ? U : H));
        goto cleanup;
    }
    const size_t P = m->L.n_params * sizeof(float);
    const size_t BU = (size_t)m->B * U * sizeof(float), BH = (size_t)m->B * H * sizeof(float);
    host = ar_malloc(P > (size_t)I * sizeof(int) ? P : (size_t)I * sizeof(int));
    m->perm_host = ar_malloc((size_t)I * sizeof(int));
    m->row_host = ar_malloc((size_t)I * sizeof(float));
    if (!host || !m->perm_host || !m->row_host) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    init_params(host, &m->L, cfg->seed);
    AR_TRY(alloc(m, &m->params, P, host, "parameters"));
    memset(host, 0, P);
    AR_TRY(alloc(m, &m->grads, P, host, "gradients"));
    AR_TRY(alloc(m, &m->m, P, host, "Adam first moments"));
    AR_TRY(alloc(m, &m->v, P, host, "Adam second moments"));
    /* x and y serve prediction on both paths; training needs them (and dy) on the dense one */
    AR_TRY(alloc(m, &m->x, BU, NULL, "batch input (B, U)"));
    AR_TRY(alloc(m, &m->y, BU, NULL, "batch output (B, U)"));
    const size_t nnz = (size_t)ds->train.row_ptr[I];
    double density = (double)nnz / ((double)I * (double)U);
    m->sparse = cfg->kernels == AR_KERNELS_SPARSE ||
                (cfg->kernels == AR_KERNELS_AUTO && density <= AR_SPARSE_MAX_DENSITY);
    if (!m->sparse) {
        AR_TRY(alloc(m, &m->dy, BU, NULL, "output gradient (B, U)"));
    } else {
        size_t n_te = (size_t)ds->test.row_ptr[I], n_va = (size_t)ds->valid.row_ptr[I];
        size_t n_eval = n_te > n_va ? n_te : n_va;
        m->n_batches = (I + m->B - 1) / m->B;
        size_t n_ptr = (size_t)m->n_batches * ((size_t)U + 1);
        if (n_ptr > 2147483647u) {
            st = ar_fail(AR_ERR_INVALID_ARG, "the sparse path's batch index needs %zu entries: "
                         "over 2^31; use a larger ar_train_config.batch or the dense kernels", n_ptr);
            goto cleanup;
        }
        AR_TRY(alloc(m, &m->yk, nnz * sizeof(float), NULL, "outputs at training entries"));
        AR_TRY(alloc(m, &m->dyk, nnz * sizeof(float), NULL, "output gradient at entries"));
        if (cfg->input_dropout > 0)
            AR_TRY(alloc(m, &m->xk, nnz * sizeof(float), NULL, "inputs after dropout"));
        AR_TRY(alloc(m, &m->ye, n_eval * sizeof(float), NULL, "outputs at scored entries"));
        AR_TRY(alloc(m, &m->csc_ptr, n_ptr * sizeof(int), NULL, "batch column pointers"));
        AR_TRY(alloc(m, &m->csc_b, nnz * sizeof(int), NULL, "batch column entries"));
        AR_TRY(alloc(m, &m->csc_k, nnz * sizeof(int), NULL, "batch column entries"));
        m->csc_ptr_host = ar_malloc(n_ptr * sizeof(int));
        m->csc_b_host = ar_malloc((nnz ? nnz : 1) * sizeof(int));
        m->csc_k_host = ar_malloc((nnz ? nnz : 1) * sizeof(int));
        if (!m->csc_ptr_host || !m->csc_b_host || !m->csc_k_host) {
            st = AR_ERR_OUT_OF_MEMORY;
            goto cleanup;
        }
    }
    for (int k = 1; k <= nh; k++) {
        const size_t bytes = (size_t)m->B * m->L.dim[k] * sizeof(float);
        AR_TRY(alloc(m, &m->a[k], bytes, NULL, "hidden layer output (B, H)"));
        if (cfg->dropout > 0)
            AR_TRY(alloc(m, &m->ad[k], bytes, NULL, "hidden layer after dropout (B, H)"));
    }
    AR_TRY(alloc(m, &m->dh[0], BH, NULL, "hidden gradient (B, H)"));
    if (nh > 1) AR_TRY(alloc(m, &m->dh[1], BH, NULL, "hidden gradient (B, H)"));
    AR_TRY(upload_csr(m, &ds->train, &m->tr_ptr, &m->tr_idx, &m->tr_val, "training ratings"));
    AR_TRY(upload_csr(m, &ds->test, &m->te_ptr, &m->te_idx, &m->te_val, "test ratings"));
    AR_TRY(upload_csr(m, &ds->valid, &m->va_ptr, &m->va_idx, &m->va_val, "validation ratings"));
    int *ord = (int *)host;
    for (int i = 0; i < I; i++) ord[i] = i;
    AR_TRY(alloc(m, &m->order, (size_t)I * sizeof(int), ord, "item order"));
    AR_TRY(alloc(m, &m->perm, (size_t)I * sizeof(int), ord, "item permutation"));
    AR_TRY(alloc(m, &m->row_loss, (size_t)I * sizeof(float), NULL, "per-item loss"));
    AR_TRY(alloc(m, &m->sse_tr, (size_t)I * sizeof(float), NULL, "per-item train error"));
    AR_TRY(alloc(m, &m->sse_te, (size_t)I * sizeof(float), NULL, "per-item test error"));
    AR_TRY(alloc(m, &m->sse_va, (size_t)I * sizeof(float), NULL, "per-item validation error"));
    /* clCreateBuffer may defer allocation; finishing an upload makes failures show here. */
    AR_CL_TRY(clFinish(ctx->queue));
cleanup:
    free(host);
    if (st != AR_OK) ar_model_free(m);
    else *out = m;
    return st;
}

void ar_model_free(ar_model *m) {
    if (!m) return;
    for (int k = 0; k <= AR_MAX_HIDDEN_LAYERS; k++) {
        if (m->a[k]) clReleaseMemObject(m->a[k]);
        if (m->ad[k]) clReleaseMemObject(m->ad[k]);
    }
    cl_mem *bufs[] = {&m->params, &m->grads, &m->m, &m->v, &m->x, &m->y, &m->dy, &m->dh[0],
                      &m->dh[1], &m->tr_ptr, &m->tr_idx, &m->tr_val, &m->te_ptr,
                      &m->te_idx, &m->te_val, &m->va_ptr, &m->va_idx, &m->va_val, &m->perm,
                      &m->order, &m->row_loss, &m->sse_tr, &m->sse_te, &m->sse_va, &m->xk,
                      &m->yk, &m->dyk, &m->ye, &m->csc_ptr, &m->csc_b, &m->csc_k};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
    free(m->perm_host);
    free(m->row_host);
    free(m->csc_ptr_host);
    free(m->csc_b_host);
    free(m->csc_k_host);
    free(m);
}

size_t ar_model_device_bytes(const ar_model *m) { return m->device_bytes; }

/* y = f(dropout(g(x V^T + mu)) W^T + b) for the B items rows[off .. off+B); x densified here. */

/* Layer k's output as the next layer reads it: after dropout when there is dropout. Hidden
 * layers are 1-based here (a[1] is the first hidden layer's output). */
static cl_mem layer_out(const ar_model *m, int k, float keep) {
    return keep < 1.0f ? m->ad[k] : m->a[k];
}

/* Dropout after hidden layer k (0-based layer, output a[k + 1]). */
static ar_status drop(ar_model *m, int k, int B, float keep) {
    if (keep >= 1.0f) return AR_OK;
    return ark_dropout_forward(m->ctx, m->ad[k + 1], m->a[k + 1], B * m->L.dim[k + 1], keep,
                               m->cfg.seed, m->step, ar_dropout_layer(k));
}

/* Dense hidden layer k (0-based): a[k+1] = g(in Wk^T + bk), then dropout. */
static ar_status dense_hidden(ar_model *m, int k, cl_mem in, int B, float keep) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int din = L->dim[k], dout = L->dim[k + 1];
    ar_status st = AR_OK;
    if (k == 0) /* W0T (U, H): stored transposed */
        AR_TRY(ar_gemm(c, 0, 0, B, dout, din, 1.0f, in, 0, din, m->params, L->off_w[0], dout,
                       0.0f, m->a[1], 0, dout));
    else
        AR_TRY(ar_gemm(c, 0, 1, B, dout, din, 1.0f, in, 0, din, m->params, L->off_w[k], din,
                       0.0f, m->a[k + 1], 0, dout));
    AR_TRY(ark_bias_act_forward(c, m->a[k + 1], m->a[k + 1], m->params, (int)L->off_bias[k], B,
                                dout, m->cfg.activation));
    AR_TRY(drop(m, k, B, keep));
cleanup:
    return st;
}

/* What input dropout multiplies the ratings it keeps by (see ar_input_noise). */
static float input_scale(const ar_model *m, float keep_in) {
    return m->cfg.input_noise == AR_NOISE_INVERTED ? 1.0f / keep_in : 1.0f;
}

/* keep: hidden-layer keep probability; keep_in: input keep probability (denoising: the
 * input ratings are dropped, the loss still counts every observed rating). 1 = no dropout. */
static ar_status forward(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden;
    ar_status st = AR_OK;
    AR_TRY(ark_fill(c, m->x, 0, (size_t)B * U, 0.0f));
    AR_TRY(ark_densify(c, m->x, m->tr_ptr, m->tr_idx, m->tr_val, rows, off, B, U));
    if (keep_in < 1.0f) /* in place; the backward pass uses this x for dW0, as it should */
        AR_TRY(ark_dropout_scaled(c, m->x, m->x, B * U, keep_in, input_scale(m, keep_in),
                                  m->cfg.seed, m->step, 1));
    cl_mem in = m->x;
    for (int k = 0; k < nh; k++) {
        AR_TRY(dense_hidden(m, k, in, B, keep));
        in = layer_out(m, k + 1, keep);
    }
    const int dl = L->dim[nh];
    AR_TRY(ar_gemm(c, 0, 1, B, U, dl, 1.0f, in, 0, dl, m->params, L->off_w[nh], dl, 0.0f, m->y,
                   0, U));
    AR_TRY(ark_bias_act_forward(c, m->y, m->y, m->params, (int)L->off_bias[nh], B, U,
                                m->cfg.out_activation));
cleanup:
    return st;
}

/* The backward pass through dense layer k (0-based) given dz, the gradient at its
 * pre-activation (B, dim[k+1]): dW_k, db_k, and for k > 0 the gradient at layer k-1's
 * pre-activation, returned in *dprev (one of the dh buffers). */
static ar_status dense_backward(ar_model *m, int k, cl_mem dz, int B, float keep, cl_mem *dprev) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int din = L->dim[k], dout = L->dim[k + 1], nh = L->n_hidden;
    ar_status st = AR_OK;
    cl_mem in = k == 0 ? m->x : layer_out(m, k, keep);
    if (k == 0) /* dW0T (U, H) = x^T dz */
        AR_TRY(ar_gemm(c, 1, 0, din, dout, B, 1.0f, in, 0, din, dz, 0, dout, 0.0f, m->grads,
                       L->off_w[0], dout));
    else
        AR_TRY(ar_gemm(c, 1, 0, dout, din, B, 1.0f, dz, 0, dout, in, 0, din, 0.0f, m->grads,
                       L->off_w[k], din));
    AR_TRY(ark_colsum(c, m->grads, (int)L->off_bias[k], dz, B, dout));
    if (k == 0) goto cleanup;
    *dprev = m->dh[(nh - k) % 2];
    AR_TRY(ar_gemm(c, 0, 0, B, din, dout, 1.0f, dz, 0, dout, m->params, L->off_w[k], din, 0.0f,
                   *dprev, 0, din));
    if (keep < 1.0f)
        AR_TRY(ark_dropout_backward(c, *dprev, *dprev, B * din, keep, m->cfg.seed, m->step,
                                    ar_dropout_layer(k - 1)));
    AR_TRY(ark_act_backward(c, *dprev, *dprev, m->a[k], B * din, m->cfg.activation));
cleanup:
    return st;
}

/* Gradients of the batch's masked MSE into m->grads (all of it is overwritten). */
static ar_status backward(ar_model *m, int off, int B, float keep, float scale) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden;
    ar_status st = AR_OK;
    AR_TRY(ark_fill(c, m->dy, 0, (size_t)B * U, 0.0f));
    AR_TRY(ark_masked_loss_backward(c, m->dy, m->row_loss, m->y, m->tr_ptr, m->tr_idx,
                                    m->tr_val, m->perm, off, B, U, scale));
    if (m->cfg.out_activation != AR_ACT_IDENTITY)
        AR_TRY(ark_act_backward(c, m->dy, m->dy, m->y, B * U, m->cfg.out_activation));
    cl_mem dz = m->dy; /* the gradient at layer k's pre-activation, (B, dim[k+1]) */
    for (int k = nh; k >= 0; k--) AR_TRY(dense_backward(m, k, dz, B, keep, &dz));
cleanup:
    return st;
}

/* ---- the sparse path ------------------------------------------------------------------------ */

/* The inputs of the batch's entries: the ratings themselves, or after input dropout. */
static cl_mem sp_inputs(const ar_model *m, float keep_in) {
    return keep_in < 1.0f ? m->xk : m->tr_val;
}

/* Hidden layers of the batch rows[off .. off+B) from its observed ratings; *last gets what the
 * decoder reads (the last hidden layer after dropout). */
static ar_status sp_encode(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in,
                           cl_mem *last) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    ar_status st = AR_OK;
    if (keep_in < 1.0f)
        AR_TRY(ark_sp_input(c, m->xk, m->tr_ptr, m->tr_idx, m->tr_val, rows, off, B, L->U, keep_in,
                            input_scale(m, keep_in), m->cfg.seed, m->step));
    AR_TRY(ark_sp_spmm(c, m->a[1], sp_inputs(m, keep_in), m->params, (int)L->off_w[0],
                       (int)L->off_bias[0], m->tr_ptr, m->tr_idx, rows, off, B, L->dim[1],
                       m->cfg.activation));
    AR_TRY(drop(m, 0, B, keep));
    for (int k = 1; k < L->n_hidden; k++)
        AR_TRY(dense_hidden(m, k, layer_out(m, k, keep), B, keep));
    *last = layer_out(m, L->n_hidden, keep);
cleanup:
    return st;
}

/* The decoder's outputs at the positions (pos_ptr, pos_idx) of the batch's rows into out. */
static ar_status sp_decode(ar_model *m, cl_mem last, cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows,
                           int off, int B, cl_mem out) {
    const ar_layout *L = &m->L;
    return ark_sp_sddmm(m->ctx, out, last, m->params, (int)L->off_w[L->n_hidden],
                        (int)L->off_bias[L->n_hidden], pos_ptr, pos_idx, rows, off, B,
                        L->dim[L->n_hidden], m->cfg.out_activation);
}

/* The backward pass of batch j (rows perm[off .. off+B), its CSC uploaded) into m->grads. */
static ar_status sp_backward(ar_model *m, int j, int off, int B, float keep, float keep_in,
                             float scale) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden, col_off = j * (U + 1);
    ar_status st = AR_OK;
    AR_TRY(ark_sp_loss_backward(c, m->dyk, m->row_loss, m->yk, m->tr_ptr, m->tr_val, m->perm, off,
                                B, scale, m->cfg.out_activation));
    /* the last layer: dW, db from the output gradient at the entries, then the gradient at the
     * last hidden layer */
    AR_TRY(ark_sp_weight_grad(c, m->grads, (int)L->off_w[nh], m->dyk, layer_out(m, nh, keep),
                              m->csc_ptr, col_off, m->csc_b, m->csc_k, U, L->dim[nh]));
    AR_TRY(ark_sp_bias_grad(c, m->grads, (int)L->off_bias[nh], m->dyk, m->csc_ptr, col_off,
                            m->csc_k, U));
    cl_mem dz = m->dh[0];
    AR_TRY(ark_sp_spmm(c, dz, m->dyk, m->params, (int)L->off_w[nh], -1, m->tr_ptr, m->tr_idx,
                       m->perm, off, B, L->dim[nh], AR_ACT_IDENTITY));
    if (keep < 1.0f)
        AR_TRY(ark_dropout_backward(c, dz, dz, B * L->dim[nh], keep, m->cfg.seed, m->step,
                                    ar_dropout_layer(nh - 1)));
    AR_TRY(ark_act_backward(c, dz, dz, m->a[nh], B * L->dim[nh], m->cfg.activation));
    for (int k = nh - 1; k >= 1; k--) AR_TRY(dense_backward(m, k, dz, B, keep, &dz));
    /* the first layer: dW0T from the inputs at the entries, db0 dense */
    AR_TRY(ark_sp_weight_grad(c, m->grads, (int)L->off_w[0], sp_inputs(m, keep_in), dz,
                              m->csc_ptr, col_off, m->csc_b, m->csc_k, U, L->dim[1]));
    AR_TRY(ark_colsum(c, m->grads, (int)L->off_bias[0], dz, B, L->dim[1]));
cleanup:
    return st;
}

/* The CSC of the nb batches of order[0 .. n_rows) (batch j: rows order[j * B ...]) on the
 * host, then uploaded: batch j's column pointers at j * (U + 1), pointing into one entry array
 * that holds the batches one after the other. */
static ar_status sp_upload_csc(ar_model *m, const int *order, int n_rows, int nb) {
    const ar_csr *tr = &m->ds->train;
    const int U = m->L.U;
    int ent = 0;
    for (int j = 0; j < nb; j++) {
        int off = j * m->B, B = n_rows - off < m->B ? n_rows - off : m->B;
        int *ptr = m->csc_ptr_host + (size_t)j * (U + 1);
        ar_sp_batch_csc(ptr, m->csc_b_host + ent, m->csc_k_host + ent, tr, order + off, B);
        for (int u = 0; u <= U; u++) ptr[u] += ent;
        ent = ptr[U];
    }
    ar_status st = AR_OK;
    AR_TRY(ar_write(m->ctx, m->csc_ptr, 0, (size_t)nb * (U + 1) * sizeof(int),
                    m->csc_ptr_host));
    if (ent > 0) {
        AR_TRY(ar_write(m->ctx, m->csc_b, 0, (size_t)ent * sizeof(int), m->csc_b_host));
        AR_TRY(ar_write(m->ctx, m->csc_k, 0, (size_t)ent * sizeof(int), m->csc_k_host));
    }
cleanup:
    return st;
}

static ar_status adam_step(ar_model *m) {
    const ar_train_config *cf = &m->cfg;
    double bc1 = 1.0 - pow(cf->beta1, (double)m->step);
    double bc2 = 1.0 - pow(cf->beta2, (double)m->step);
    double lr = cf->lr * pow(cf->lr_decay, (double)m->epoch); /* epochs finished so far */
    return ark_adam(m->ctx, m->params, m->grads, m->m, m->v, (int)m->L.n_params,
                    (int)m->L.n_decay, (float)lr, cf->beta1, cf->beta2, cf->eps, (float)bc1,
                    (float)bc2, cf->l2);
}

/* Sums a per-item float array read from the device, in double, in item order. */
static ar_status read_sum(ar_model *m, cl_mem buf, double *sum) {
    const int I = m->ds->n_rows;
    ar_status st = ar_read(m->ctx, buf, 0, (size_t)I * sizeof(float), m->row_host);
    double s = 0;
    for (int i = 0; i < I; i++) s += m->row_host[i];
    *sum = s;
    return st;
}

void ar_model_rating_scale(const ar_model *m, float *min, float *max, float *def) {
    if (min) *min = m->lo;
    if (max) *max = m->hi;
    if (def) *def = m->def;
}

/* RMSE of a held-out set: device SSE of the scoreable pairs plus the cold pairs' error. */
static double heldout_rmse(const ar_model *m, double sse, const float *cold, size_t n_cold,
                           size_t n_all) {
    for (size_t k = 0; k < n_cold; k++) sse += (double)(m->def - cold[k]) * (m->def - cold[k]);
    return n_all ? sqrt(sse / (double)n_all) : NAN;
}

ar_status ar_model_evaluate_ex(ar_model *m, double *train_rmse, double *valid_rmse,
                               double *test_rmse) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows, U = m->L.U;
    const int has_valid = ds->n_valid_all > 0;
    ar_status st = AR_OK;
    for (int off = 0; off < I; off += m->B) {
        int B = I - off < m->B ? I - off : m->B;
        if (m->sparse) { /* outputs only where they are scored */
            cl_mem last;
            AR_TRY(sp_encode(m, m->order, off, B, 1.0f, 1.0f, &last));
            AR_TRY(sp_decode(m, last, m->tr_ptr, m->tr_idx, m->order, off, B, m->yk));
            AR_TRY(ark_sp_sse(m->ctx, m->sse_tr, m->yk, m->tr_ptr, m->tr_val, m->order, off, B,
                              m->lo, m->hi));
            AR_TRY(sp_decode(m, last, m->te_ptr, m->te_idx, m->order, off, B, m->ye));
            AR_TRY(ark_sp_sse(m->ctx, m->sse_te, m->ye, m->te_ptr, m->te_val, m->order, off, B,
                              m->lo, m->hi));
            if (has_valid) {
                AR_TRY(sp_decode(m, last, m->va_ptr, m->va_idx, m->order, off, B, m->ye));
                AR_TRY(ark_sp_sse(m->ctx, m->sse_va, m->ye, m->va_ptr, m->va_val, m->order, off,
                                  B, m->lo, m->hi));
            }
            continue;
        }
        AR_TRY(forward(m, m->order, off, B, 1.0f, 1.0f));
        AR_TRY(ark_masked_sse(m->ctx, m->sse_tr, m->y, m->tr_ptr, m->tr_idx, m->tr_val, m->order,
                              off, B, U, m->lo, m->hi));
        AR_TRY(ark_masked_sse(m->ctx, m->sse_te, m->y, m->te_ptr, m->te_idx, m->te_val, m->order,
                              off, B, U, m->lo, m->hi));
        if (has_valid)
            AR_TRY(ark_masked_sse(m->ctx, m->sse_va, m->y, m->va_ptr, m->va_idx, m->va_val,
                                  m->order, off, B, U, m->lo, m->hi));
    }
    double sse_tr = 0, sse_te = 0, sse_va = 0;
    AR_TRY(read_sum(m, m->sse_tr, &sse_tr));
    AR_TRY(read_sum(m, m->sse_te, &sse_te));
    if (has_valid) AR_TRY(read_sum(m, m->sse_va, &sse_va));
    if (train_rmse) *train_rmse = sqrt(sse_tr / (double)ds->train.row_ptr[I]);
    if (test_rmse) *test_rmse = heldout_rmse(m, sse_te, ds->cold, ds->n_cold, ds->n_test_all);
    if (valid_rmse)
        *valid_rmse = heldout_rmse(m, sse_va, ds->valid_cold, ds->n_valid_cold, ds->n_valid_all);
cleanup:
    return st;
}

ar_status ar_model_evaluate(ar_model *m, double *train_rmse, double *test_rmse) {
    return ar_model_evaluate_ex(m, train_rmse, NULL, test_rmse);
}

ar_status ar_model_train_epoch(ar_model *m, ar_epoch_stats *stats) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows;
    const float keep = 1.0f - m->cfg.dropout;
    ar_status st = AR_OK;
    double phase[AR_PHASE_COUNT] = {0};
    double t0 = ar_time_seconds();
    m->ctx->prof.recording = m->ctx->prof.enabled; /* time this epoch's commands by phase */
    /* Fisher-Yates with a generator seeded by (seed, epoch): the same seed, the same order. */
    ar_rng rng = {m->cfg.seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(m->epoch + 1))};
    for (int i = 0; i < I; i++) m->perm_host[i] = i;
    for (int i = I - 1; i > 0; i--) {
        int j = (int)(ar_rng_next(&rng) % (uint64_t)(i + 1));
        int t = m->perm_host[i];
        m->perm_host[i] = m->perm_host[j];
        m->perm_host[j] = t;
    }
    AR_TRY(ar_write(m->ctx, m->perm, 0, (size_t)I * sizeof(int), m->perm_host));
    if (m->sparse) AR_TRY(sp_upload_csc(m, m->perm_host, I, m->n_batches));
    for (int off = 0; off < I; off += m->B) {
        int B = I - off < m->B ? I - off : m->B;
        int n_obs = 0;
        for (int b = 0; b < B; b++) {
            int r = m->perm_host[off + b];
            n_obs += ds->train.row_ptr[r + 1] - ds->train.row_ptr[r];
        }
        m->step++;
        const float keep_in = 1.0f - m->cfg.input_dropout, scale = 1.0f / (float)n_obs;
        if (m->sparse) {
            cl_mem last;
            AR_TRY(sp_encode(m, m->perm, off, B, keep, keep_in, &last));
            AR_TRY(sp_decode(m, last, m->tr_ptr, m->tr_idx, m->perm, off, B, m->yk));
            AR_TRY(sp_backward(m, off / m->B, off, B, keep, keep_in, scale));
        } else {
            AR_TRY(forward(m, m->perm, off, B, keep, keep_in));
            AR_TRY(backward(m, off, B, keep, scale));
        }
        AR_TRY(adam_step(m));
    }
    double sse = 0;
    AR_TRY(read_sum(m, m->row_loss, &sse)); /* the epoch's one wait for the device */
    double t1 = ar_time_seconds();
    m->ctx->prof.recording = 0;
    AR_TRY(ar_prof_collect(m->ctx, phase));
    m->epoch++;
    double loss = sse / (double)ds->train.row_ptr[I];
    if (!isfinite(loss)) {
        st = ar_fail(AR_ERR_DIVERGED, "training diverged in epoch %d: the loss is %g; try a "
                     "smaller ar_train_config.lr", m->epoch, loss);
        goto cleanup;
    }
    double tr = NAN, va = NAN, te = NAN;
    AR_TRY(ar_model_evaluate_ex(m, &tr, &va, &te));
    if (stats) {
        stats->epoch = m->epoch;
        stats->loss = loss;
        stats->train_rmse = tr;
        stats->valid_rmse = va;
        stats->test_rmse = te;
        stats->epoch_seconds = t1 - t0;
        stats->eval_seconds = ar_time_seconds() - t1;
        double device = 0;
        for (int p = 0; p < AR_PHASE_COUNT; p++) device += phase[p];
        if (m->ctx->prof.enabled && !isnan(device))
            phase[AR_PHASE_HOST] = fmax(0.0, (t1 - t0) - device);
        memcpy(stats->phase_seconds, phase, sizeof phase);
    }
cleanup:
    if (m->ctx->prof.recording) { /* an error inside the epoch: drop its pending events */
        m->ctx->prof.recording = 0;
        ar_prof_discard(m->ctx);
    }
    return st;
}

/* ---- internals for the tests ---------------------------------------------------------------- */

const ar_layout *ar_model_layout(const ar_model *m) { return &m->L; }

ar_status ar_model_params(ar_model *m, float *host, int write) {
    size_t bytes = m->L.n_params * sizeof(float);
    return write ? ar_write(m->ctx, m->params, 0, bytes, host)
                 : ar_read(m->ctx, m->params, 0, bytes, host);
}

ar_status ar_model_batch(ar_model *m, const int *rows, int B, uint32_t step, int adam,
                         double *loss, float *grads) {
    const ar_csr *tr = &m->ds->train;
    const float keep = 1.0f - m->cfg.dropout;
    ar_status st = AR_OK;
    if (B < 1 || B > m->B) return ar_fail(AR_ERR_INVALID_ARG, "batch of %d rows (max %d)", B, m->B);
    int n_obs = 0;
    for (int b = 0; b < B; b++) n_obs += tr->row_ptr[rows[b] + 1] - tr->row_ptr[rows[b]];
    float scale = 1.0f / (float)(n_obs > 0 ? n_obs : 1);
    AR_TRY(ar_write(m->ctx, m->perm, 0, (size_t)B * sizeof(int), rows));
    m->step = step;
    const float keep_in = 1.0f - m->cfg.input_dropout;
    if (m->sparse) {
        cl_mem last;
        AR_TRY(sp_upload_csc(m, rows, B, 1));
        AR_TRY(sp_encode(m, m->perm, 0, B, keep, keep_in, &last));
        AR_TRY(sp_decode(m, last, m->tr_ptr, m->tr_idx, m->perm, 0, B, m->yk));
        AR_TRY(sp_backward(m, 0, 0, B, keep, keep_in, scale));
    } else {
        AR_TRY(forward(m, m->perm, 0, B, keep, keep_in));
        AR_TRY(backward(m, 0, B, keep, scale));
    }
    if (adam) AR_TRY(adam_step(m));
    if (grads) AR_TRY(ar_read(m->ctx, m->grads, 0, m->L.n_params * sizeof(float), grads));
    if (loss) {
        double sse = 0;
        AR_TRY(ar_read(m->ctx, m->row_loss, 0, (size_t)m->ds->n_rows * sizeof(float),
                       m->row_host));
        for (int b = 0; b < B; b++) sse += m->row_host[rows[b]];
        *loss = sse * scale;
    }
cleanup:
    return st;
}

/* ---- accessors and prediction --------------------------------------------------------------- */

const ar_train_config *ar_model_config(const ar_model *m) { return &m->cfg; }
const ar_dataset *ar_model_dataset(const ar_model *m) { return m->ds; }
int ar_model_epochs_done(const ar_model *m) { return m->epoch; }

void ar_model_counters(const ar_model *m, int *epoch, uint32_t *step) {
    if (epoch) *epoch = m->epoch;
    if (step) *step = m->step;
}

ar_status ar_model_state(ar_model *m, float *params, float *m1, float *v, int epoch,
                         uint32_t step, int write) {
    size_t bytes = m->L.n_params * sizeof(float);
    ar_status st = AR_OK;
    if (write) {
        AR_TRY(ar_write(m->ctx, m->params, 0, bytes, params));
        AR_TRY(ar_write(m->ctx, m->m, 0, bytes, m1));
        AR_TRY(ar_write(m->ctx, m->v, 0, bytes, v));
        m->epoch = epoch;
        m->step = step;
    } else {
        AR_TRY(ar_read(m->ctx, m->params, 0, bytes, params));
        AR_TRY(ar_read(m->ctx, m->m, 0, bytes, m1));
        AR_TRY(ar_read(m->ctx, m->v, 0, bytes, v));
    }
cleanup:
    return st;
}

static int cmp_i64_key(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Dense index of a raw id in a sorted id array, or -1. */
static int dense_of(const int64_t *ids, int n, int64_t id) {
    const int64_t *p = bsearch(&id, ids, (size_t)n, sizeof id, cmp_i64_key);
    return p ? (int)(p - ids) : -1;
}

typedef struct { int row, col; size_t k; } want;

static int cmp_want(const void *a, const void *b) {
    const want *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

ar_status ar_model_predict(ar_model *m, const int64_t *users, const int64_t *items, size_t n,
                           float *out) {
    const ar_dataset *ds = m->ds;
    const int U = m->L.U, by_user = ds->rows_are == AR_ROWS_USERS;
    ar_status st = AR_OK;
    want *w = malloc((n ? n : 1) * sizeof *w);
    int *rows = malloc((size_t)m->B * sizeof *rows);
    float *y = malloc((size_t)m->B * (size_t)U * sizeof *y);
    if (!w || !rows || !y) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory predicting %zu pairs", n);
        goto cleanup;
    }
    /* Cold pairs get the default; the others are grouped by row, B distinct rows a pass. */
    size_t nw = 0;
    for (size_t k = 0; k < n; k++) {
        int r = dense_of(ds->row_ids, ds->n_rows, by_user ? users[k] : items[k]);
        int c = dense_of(ds->col_ids, ds->n_cols, by_user ? items[k] : users[k]);
        if (r < 0 || c < 0) out[k] = m->def;
        else w[nw++] = (want){r, c, k};
    }
    qsort(w, nw, sizeof *w, cmp_want);
    for (size_t a = 0; a < nw;) {
        int B = 0;
        size_t b = a;
        while (b < nw && (B < m->B || w[b].row == rows[B - 1])) {
            if (B == 0 || w[b].row != rows[B - 1]) rows[B++] = w[b].row;
            b++;
        }
        AR_TRY(ar_write(m->ctx, m->perm, 0, (size_t)B * sizeof(int), rows));
        AR_TRY(forward(m, m->perm, 0, B, 1.0f, 1.0f));
        AR_TRY(ar_read(m->ctx, m->y, 0, (size_t)B * (size_t)U * sizeof(float), y));
        for (int r = 0; a < b; a++) {
            while (rows[r] != w[a].row) r++;
            float p = y[(size_t)r * U + w[a].col];
            out[w[a].k] = p < m->lo ? m->lo : p > m->hi ? m->hi : p;
        }
    }
cleanup:
    free(w);
    free(rows);
    free(y);
    return st;
}
