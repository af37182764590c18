/* model.c - the model object: its device buffers (shapes in model.h), creation from a
 * configuration, release, and accessors. The passes are in dense.c and sparse.c, the training
 * step in step.c, scoring and prediction in evaluate.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

ar_status ar_model_alloc(ar_model *m, cl_mem *buf, size_t bytes, const void *host,
                         const char *what) {
    ar_status st = ar_buffer(m->ctx, bytes, host, what, buf);
    if (st == AR_OK) m->device_bytes += bytes;
    return st;
}

/* A CSR matrix on the device: row pointers (rows + 1), column indices and values (nnz). */
static ar_status upload_csr(ar_model *m, const ar_csr *c, cl_mem *ptr, cl_mem *idx, cl_mem *val,
                            const char *what) {
    ar_status st = AR_OK;
    size_t nnz = (size_t)c->row_ptr[c->rows];
    AR_TRY(ar_model_alloc(m, ptr, ((size_t)c->rows + 1) * sizeof(int), c->row_ptr, what));
    AR_TRY(ar_model_alloc(m, idx, nnz * sizeof(int), nnz ? c->col_idx : NULL, what));
    AR_TRY(ar_model_alloc(m, val, nnz * sizeof(float), nnz ? c->vals : NULL, what));
cleanup:
    return st;
}

/* PyTorch's nn.Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and bias.
 * Drawn in layout order (all weights, then all biases). */
void ar_init_params(float *p, const ar_layout *L, uint64_t seed) {
    ar_rng rng = {seed * 0x9E3779B97F4A7C15ull + 1};
    for (int k = 0; k <= L->n_hidden; k++) {
        float s = 1.0f / sqrtf((float)L->dim[k]);
        size_t n = (size_t)L->dim[k + 1] * L->dim[k];
        for (size_t i = 0; i < n; i++)
            p[L->off_w[k] + i] = s * (float)(2 * ar_rng_uniform(&rng) - 1);
    }
    for (int k = 0; k <= L->n_hidden; k++) {
        float s = 1.0f / sqrtf((float)L->dim[k]);
        for (int i = 0; i < L->dim[k + 1]; i++)
            p[L->off_bias[k] + i] = s * (float)(2 * ar_rng_uniform(&rng) - 1);
    }
}

/* The rating scale: configured, else the training data's; cold pairs get its middle (or the
 * configured default, clamped to the scale). */
static void set_scale(ar_model *m) {
    const ar_train_config *cfg = &m->cfg;
    ar_dataset_scale(m->ds, cfg->rating_min, cfg->rating_max, cfg->default_rating, &m->lo, &m->hi,
                     &m->def);
}

/* The layout and the batch size; refuses sizes past 32-bit indexing on the device. */
static ar_status set_shapes(ar_model *m) {
    const int U = m->ds->n_cols, I = m->ds->n_rows;
    int widths[AR_MAX_HIDDEN_LAYERS], H = 0;
    int nh = ar_config_hidden(&m->cfg, widths);
    for (int k = 0; k < nh; k++) H = widths[k] > H ? widths[k] : H; /* the widest */
    ar_layout_init(&m->F, U, widths, nh);
    ar_layout_padded(&m->L, &m->F); /* the device's: see AR_HIDDEN_ALIGN */
    int Hp = 0; /* the widest as the device holds it */
    for (int k = 1; k <= nh; k++) Hp = m->L.dim[k] > Hp ? m->L.dim[k] : Hp;
    m->B = m->cfg.batch < I ? m->cfg.batch : I;
    m->n_batches = (I + m->B - 1) / m->B;
    if (m->L.n_params > 2147483647u || (size_t)m->B * U > 2147483647u ||
        (size_t)m->B * Hp > 2147483647u)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_train_config.hidden (widest layer %d) with %d "
                       "columns needs %zu parameters and batch tensors of %zu elements: over "
                       "the 2^31 limit of 32-bit indexing", H, U, m->L.n_params,
                       (size_t)m->B * (U > H ? U : H));
    return AR_OK;
}

/* Parameters (initialised from the seed), gradients and Adam's moments (zero). */
static ar_status alloc_params(ar_model *m) {
    const size_t P = m->L.n_params * sizeof(float);
    float *host = ar_malloc(P), *logical = ar_malloc(m->F.n_params * sizeof(float));
    ar_status st = AR_OK;
    if (!host || !logical) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    ar_init_params(logical, &m->F, m->cfg.seed); /* drawn in the logical layout's order */
    float dead[AR_MAX_HIDDEN_LAYERS];
    for (int k = 0; k < m->F.n_hidden; k++) dead[k] = ar_dead_bias(m->cfg.activation);
    ar_layout_unpack(&m->F, &m->L, logical, host, dead);
    AR_TRY(ar_model_alloc(m, &m->params, P, host, "parameters"));
    memset(host, 0, P);
    AR_TRY(ar_model_alloc(m, &m->grads, P, host, "gradients"));
    AR_TRY(ar_model_alloc(m, &m->m, P, host, "Adam first moments"));
    AR_TRY(ar_model_alloc(m, &m->v, P, host, "Adam second moments"));
cleanup:
    free(host);
    free(logical);
    return st;
}

/* Activations: x and y (both paths: prediction densifies), dy (dense training), hidden layer
 * outputs, their dropout copies and the hidden gradients. */
static ar_status alloc_activations(ar_model *m) {
    const int U = m->L.U, nh = m->L.n_hidden;
    int H = 0;
    for (int k = 1; k <= nh; k++) H = m->L.dim[k] > H ? m->L.dim[k] : H;
    const size_t BU = (size_t)m->B * U * sizeof(float), BH = (size_t)m->B * H * sizeof(float);
    ar_status st = AR_OK;
    AR_TRY(ar_model_alloc(m, &m->x, BU, NULL, "batch input (B, U)"));
    AR_TRY(ar_model_alloc(m, &m->y, BU, NULL, "batch output (B, U)"));
    if (!m->sparse) AR_TRY(ar_model_alloc(m, &m->dy, BU, NULL, "output gradient (B, U)"));
    for (int k = 1; k <= nh; k++) {
        const size_t bytes = (size_t)m->B * m->L.dim[k] * sizeof(float);
        AR_TRY(ar_model_alloc(m, &m->a[k], bytes, NULL, "hidden layer output (B, H)"));
        if (m->cfg.dropout > 0) {
            AR_TRY(ar_model_alloc(m, &m->ad[k], bytes, NULL, "hidden layer after dropout (B, H)"));
            AR_TRY(ar_model_alloc(m, &m->mask[k], bytes / sizeof(float), NULL,
                                  "hidden dropout mask (B, H) bytes"));
        }
    }
    AR_TRY(ar_model_alloc(m, &m->dh[0], BH, NULL, "hidden gradient (B, H)"));
    if (nh > 1) AR_TRY(ar_model_alloc(m, &m->dh[1], BH, NULL, "hidden gradient (B, H)"));
cleanup:
    return st;
}

/* The sparse path's buffers: values at the entries, and every batch's CSC (device and host). */
static ar_status alloc_sparse(ar_model *m) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows, U = m->L.U;
    const size_t nnz = (size_t)ds->train.row_ptr[I];
    size_t n_te = (size_t)ds->test.row_ptr[I], n_va = (size_t)ds->valid.row_ptr[I];
    size_t n_eval = n_te > n_va ? n_te : n_va;
    size_t n_ptr = (size_t)m->n_batches * ((size_t)U + 1);
    m->csc_chunk = AR_CSC_CHUNK;
    if (n_ptr > 2147483647u)
        return ar_fail(AR_ERR_INVALID_ARG, "the sparse path's batch index needs %zu entries: "
                       "over 2^31; use a larger ar_train_config.batch or the dense kernels",
                       n_ptr);
    ar_status st = AR_OK;
    AR_TRY(ar_model_alloc(m, &m->yk, nnz * sizeof(float), NULL, "outputs at training entries"));
    AR_TRY(ar_model_alloc(m, &m->dyk, nnz * sizeof(float), NULL, "output gradient at entries"));
    if (m->cfg.input_dropout > 0)
        AR_TRY(ar_model_alloc(m, &m->xk, nnz * sizeof(float), NULL, "inputs after dropout"));
    AR_TRY(ar_model_alloc(m, &m->ye, n_eval * sizeof(float), NULL, "outputs at scored entries"));
    AR_TRY(ar_model_alloc(m, &m->csc_ptr, n_ptr * sizeof(int), NULL, "batch column pointers"));
    AR_TRY(ar_model_alloc(m, &m->csc_b, nnz * sizeof(int), NULL, "batch column entries"));
    AR_TRY(ar_model_alloc(m, &m->csc_k, nnz * sizeof(int), NULL, "batch column entries"));
    m->csc_ptr_host = ar_malloc(n_ptr * sizeof(int));
    m->csc_b_host = ar_malloc((nnz ? nnz : 1) * sizeof(int));
    m->csc_k_host = ar_malloc((nnz ? nnz : 1) * sizeof(int));
    if (!m->csc_ptr_host || !m->csc_b_host || !m->csc_k_host) st = AR_ERR_OUT_OF_MEMORY;
cleanup:
    return st;
}

/* The data sets (CSR), the row orders and the per-row loss and error arrays. */
static ar_status alloc_data(ar_model *m) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows;
    ar_status st = AR_OK;
    AR_TRY(upload_csr(m, &ds->train, &m->tr_ptr, &m->tr_idx, &m->tr_val, "training ratings"));
    AR_TRY(upload_csr(m, &ds->test, &m->te_ptr, &m->te_idx, &m->te_val, "test ratings"));
    AR_TRY(upload_csr(m, &ds->valid, &m->va_ptr, &m->va_idx, &m->va_val, "validation ratings"));
    for (int i = 0; i < I; i++) m->perm_host[i] = i;
    AR_TRY(ar_model_alloc(m, &m->order, (size_t)I * sizeof(int), m->perm_host, "row order"));
    AR_TRY(ar_model_alloc(m, &m->perm, (size_t)I * sizeof(int), m->perm_host, "row permutation"));
    AR_TRY(ar_model_alloc(m, &m->row_loss, (size_t)I * sizeof(float), NULL, "per-row loss"));
    const size_t err_bytes = 2 * (size_t)I * sizeof(float); /* squared, absolute */
    AR_TRY(ar_model_alloc(m, &m->err_tr, err_bytes, NULL, "per-row train errors"));
    AR_TRY(ar_model_alloc(m, &m->err_te, err_bytes, NULL, "per-row test errors"));
    AR_TRY(ar_model_alloc(m, &m->err_va, err_bytes, NULL, "per-row validation errors"));
cleanup:
    return st;
}

ar_status ar_model_create(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                          ar_model **out) {
    return ar_model_create_with(ctx, ds, cfg, NULL, out);
}

ar_status ar_model_create_with(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                               const float *baseline, ar_model **out) {
    ar_status st = ar_train_config_validate(cfg);
    *out = NULL;
    if (st != AR_OK) return st;
    ar_model *m = calloc(1, sizeof *m);
    if (!m) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    m->ctx = ctx;
    m->ds = ds;
    m->cfg = *cfg;
    /* both centered modes share every buffer: only which one feeds the input differs
     * (ar_model_inputs), so ar_model_train can switch between them */
    m->center_auto = cfg->center == AR_CENTER_AUTO;
    if (m->center_auto) m->cfg.center = AR_CENTER_BIAS;
    m->try_lighter = cfg->try_lighter;
    m->try_tanh = cfg->try_tanh;
    set_scale(m);
    const int I = ds->n_rows, U = ds->n_cols;
    double density = (double)ds->train.row_ptr[I] / ((double)I * (double)U);
    m->sparse = cfg->kernels == AR_KERNELS_SPARSE ||
                (cfg->kernels == AR_KERNELS_AUTO && density <= AR_SPARSE_MAX_DENSITY);
    AR_TRY(set_shapes(m));
    /* the kernels' tuned parameters for this shape (autorec tune-kernels), when there are any */
    /* the stored winners for the kernels' real shape: the padded hidden size, which
     * ar_kernels_tune names its class by too */
    if (m->sparse) AR_TRY(ar_kparams_apply_tuned(ctx, m->L.dim[1], m->L.U));
    m->perm_host = ar_malloc((size_t)I * sizeof(int));
    m->row_host = ar_malloc(2 * (size_t)I * sizeof(float));
    if (!m->perm_host || !m->row_host) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    AR_TRY(alloc_params(m));
    AR_TRY(alloc_activations(m));
    if (m->sparse) AR_TRY(alloc_sparse(m));
    AR_TRY(alloc_data(m));
    AR_TRY(ar_center_setup(m, baseline));
    /* clCreateBuffer may defer allocation; finishing an upload makes failures show here. */
    AR_CL_TRY(clFinish(ctx->queue));
cleanup:
    if (st != AR_OK) ar_model_free(m);
    else *out = m;
    return st;
}

void ar_model_free(ar_model *m) {
    if (!m) return;
    for (int k = 0; k <= AR_MAX_HIDDEN_LAYERS; k++) {
        if (m->a[k]) clReleaseMemObject(m->a[k]);
        if (m->ad[k]) clReleaseMemObject(m->ad[k]);
        if (m->mask[k]) clReleaseMemObject(m->mask[k]);
    }
    cl_mem *bufs[] = {&m->params, &m->grads, &m->m, &m->v, &m->x, &m->y, &m->dy, &m->dh[0],
                      &m->dh[1], &m->tr_ptr, &m->tr_idx, &m->tr_val, &m->te_ptr,
                      &m->te_idx, &m->te_val, &m->va_ptr, &m->va_idx, &m->va_val, &m->perm,
                      &m->order, &m->row_loss, &m->err_tr, &m->err_te, &m->err_va, &m->xk,
                      &m->yk, &m->dyk, &m->ye, &m->csc_ptr, &m->csc_b, &m->csc_k,
                      &m->tr_res, &m->tr_off, &m->te_off, &m->va_off};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        if (*bufs[i]) clReleaseMemObject(*bufs[i]);
    free(m->perm_host);
    free(m->row_host);
    free(m->shard_host);
    free(m->csc_ptr_host);
    free(m->csc_b_host);
    free(m->csc_k_host);
    free(m->b_row);
    free(m->b_col);
    free(m);
}

/* ---- accessors ------------------------------------------------------------------------------ */

size_t ar_model_device_bytes(const ar_model *m) { return m->device_bytes; }
const ar_train_config *ar_model_config(const ar_model *m) { return &m->cfg; }
const ar_dataset *ar_model_dataset(const ar_model *m) { return m->ds; }
int ar_model_epochs_done(const ar_model *m) { return m->epoch; }
const ar_layout *ar_model_layout(const ar_model *m) { return &m->F; }

ar_kernel_path ar_model_kernels(const ar_model *m) {
    return m->sparse ? AR_KERNELS_SPARSE : AR_KERNELS_DENSE;
}

void ar_model_rating_scale(const ar_model *m, float *min, float *max, float *def) {
    if (min) *min = m->lo;
    if (max) *max = m->hi;
    if (def) *def = m->def;
}

void ar_model_counters(const ar_model *m, int *epoch, uint32_t *step) {
    if (epoch) *epoch = m->epoch;
    if (step) *step = m->step;
}

/* ---- the logical layout at the host boundary ----------------------------------------------- */

static int padded(const ar_model *m) { return m->L.n_params != m->F.n_params; }

/* One parameter-shaped buffer to or from host (logical layout): through a padded host copy when
 * the layouts differ. dead: for the parameters, the dead units' biases; NULL for Adam's
 * moments (padding 0). */
static ar_status buffer_io(ar_model *m, cl_mem buf, float *host, int write, int params) {
    if (!padded(m))
        return write ? ar_write(m->ctx, buf, 0, m->F.n_params * sizeof(float), host)
                     : ar_read(m->ctx, buf, 0, m->F.n_params * sizeof(float), host);
    const size_t bytes = m->L.n_params * sizeof(float);
    float *tmp = ar_malloc(bytes);
    if (!tmp) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory (%zu bytes) copying the "
                             "parameters", bytes);
    ar_status st = AR_OK;
    if (write) {
        float dead[AR_MAX_HIDDEN_LAYERS];
        for (int k = 0; k < m->F.n_hidden; k++) dead[k] = ar_dead_bias(m->cfg.activation);
        ar_layout_unpack(&m->F, &m->L, host, tmp, params ? dead : NULL);
        st = ar_write(m->ctx, buf, 0, bytes, tmp);
    } else {
        st = ar_read(m->ctx, buf, 0, bytes, tmp);
        if (st == AR_OK) ar_layout_pack(&m->F, &m->L, tmp, host);
    }
    free(tmp);
    return st;
}

ar_status ar_model_params(ar_model *m, float *host, int write) {
    return buffer_io(m, m->params, host, write, 1);
}

ar_status ar_model_read_grads(ar_model *m, float *host) {
    return buffer_io(m, m->grads, host, 0, 0);
}

typedef struct {
    float *host, *span;       /* the logical range's values; the device span's */
    size_t a, base;           /* logical offset of host[0]; padded offset of span[0] */
    int write;
} io_job;

static void io_row(size_t logical, size_t pad, size_t n, void *arg) {
    io_job *j = arg;
    float *d = j->span + (pad - j->base), *h = j->host + (logical - j->a);
    if (j->write) memcpy(d, h, n * sizeof(float));
    else memcpy(h, d, n * sizeof(float));
}

typedef struct {
    size_t lo, hi;            /* the padded span the range's rows cover */
} span_job;

static void span_row(size_t logical, size_t pad, size_t n, void *arg) {
    (void)logical;
    span_job *j = arg;
    if (pad < j->lo) j->lo = pad;
    if (pad + n > j->hi) j->hi = pad + n;
}

ar_status ar_model_io(ar_model *m, cl_mem buf, size_t off, size_t n, float *host, int write) {
    if (!padded(m))
        return write ? ar_write(m->ctx, buf, off * sizeof(float), n * sizeof(float), host)
                     : ar_read(m->ctx, buf, off * sizeof(float), n * sizeof(float), host);
    if (n == 0) return AR_OK;
    /* the device span the range lives in, read (and written back with the range in it: what
     * else the span holds, the padding included, stays as it is) */
    span_job sp = {(size_t)-1, 0};
    ar_layout_each_row(&m->F, &m->L, off, n, span_row, &sp);
    const size_t bytes = (sp.hi - sp.lo) * sizeof(float);
    float *span = ar_malloc(bytes);
    if (!span) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory (%zu bytes) copying "
                              "parameters", bytes);
    io_job j = {host, span, off, sp.lo, write};
    ar_status st = ar_read(m->ctx, buf, sp.lo * sizeof(float), bytes, span);
    if (st == AR_OK) ar_layout_each_row(&m->F, &m->L, off, n, io_row, &j);
    if (st == AR_OK && write) st = ar_write(m->ctx, buf, sp.lo * sizeof(float), bytes, span);
    free(span);
    return st;
}

ar_status ar_model_set_dead(ar_model *m) {
    const float dead = ar_dead_bias(m->cfg.activation);
    float row[AR_HIDDEN_ALIGN];
    for (int i = 0; i < AR_HIDDEN_ALIGN; i++) row[i] = dead;
    ar_status st = AR_OK;
    for (int k = 0; k < m->F.n_hidden; k++) /* layer k's padding, AR_HIDDEN_ALIGN at a time */
        for (int j = m->F.dim[k + 1]; j < m->L.dim[k + 1]; j += AR_HIDDEN_ALIGN) {
            const int n = m->L.dim[k + 1] - j < AR_HIDDEN_ALIGN ? m->L.dim[k + 1] - j
                                                                : AR_HIDDEN_ALIGN;
            AR_TRY(ar_write(m->ctx, m->params, (m->L.off_bias[k] + (size_t)j) * sizeof(float),
                            (size_t)n * sizeof(float), row));
        }
cleanup:
    return st;
}

ar_status ar_model_keep_baseline(ar_model *m) {
    if (m->cfg.center == AR_CENTER_NONE)
        return ar_fail(AR_ERR_INVALID_ARG, "the model has no bias baseline to keep: it was "
                       "trained with center none");
    if (m->cfg.out_activation == AR_ACT_SIGMOID)
        return ar_fail(AR_ERR_INVALID_ARG, "a zero output layer does not predict the bias "
                       "baseline with the sigmoid output activation (sigmoid(0) = 0.5)");
    const ar_layout *L = &m->L;
    const int n = L->n_hidden;
    const size_t nw = (size_t)L->dim[n + 1] * (size_t)L->dim[n], nb = (size_t)L->dim[n + 1];
    float *zero = calloc(nw > nb ? nw : nb, sizeof *zero);
    if (!zero) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory (%zu bytes) zeroing "
                              "the output layer", nw * sizeof *zero);
    cl_mem bufs[] = {m->params, m->m, m->v}; /* the weights and both moments: Adam restarts */
    ar_status st = AR_OK;
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) {
        AR_TRY(ar_write(m->ctx, bufs[i], L->off_w[n] * sizeof *zero, nw * sizeof *zero, zero));
        AR_TRY(ar_write(m->ctx, bufs[i], L->off_bias[n] * sizeof *zero, nb * sizeof *zero,
                        zero));
    }
cleanup:
    free(zero);
    return st;
}

ar_status ar_model_state(ar_model *m, float *params, float *m1, float *v, int epoch,
                         uint32_t step, int write) {
    ar_status st = AR_OK;
    AR_TRY(buffer_io(m, m->params, params, write, 1));
    AR_TRY(buffer_io(m, m->m, m1, write, 0));
    AR_TRY(buffer_io(m, m->v, v, write, 0));
    if (write) {
        m->epoch = epoch;
        m->step = step;
    }
cleanup:
    return st;
}
