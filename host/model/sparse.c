/* sparse.c - the sparse path (cl/sparse.cl): the same model as dense.c computed from the
 * observed entries only. The first layer reads the batch's CSR rows (no x), the decoder's
 * outputs yk exist only at observed positions (no y), its gradient dyk too, and dW / db of the
 * first and last layers come from the batch's CSC, built on the host for every batch of the
 * epoch and uploaded a chunk of batches at a time (ar_sparse_queue_csc). Layers in between are
 * dense (dense.c) on both paths.
 *
 *   encode:   xk = input_dropout(r) at the entries                    (nnz)
 *             a1 = g(SpMM(batch CSR of xk, W0T) + b0); ad1 = dropout   (B, H1)
 *             further hidden layers as dense.c                         (B, dim[k])
 *   decode:   yk = f(SDDMM(ad_L, WL) + bL) at the chosen positions     (nnz of the positions)
 *   backward: dyk = 2 scale (yk - r) f'(yk)                            (nnz)
 *             dz = SpMM(dyk, WL) dropout' g'                           (B, H_L)
 *             (one kernel, ar_sp_spmm_backward, unless sharded; on CPUs with the decoder
 *             and the loss, ar_sp_decode_backward)
 *             hidden-to-hidden layers as dense.c
 *   update:   WL, bL -= Adam(dWL, dbL), both from the batch CSC (dyk, ad_L);
 *             W0T, b0 -= Adam(dW0T, db0), dW0T from the CSC (xk, dz), db0 = colsum(dz):
 *             gradients fused with their steps, never stored (the tests ask for them:
 *             ar_sparse_backward's weight_grads); the hidden-to-hidden parameters: Adam over
 *             m->grads
 */
#include <limits.h>
#include <string.h>

#include "internal.h"

/* The inputs at the batch's entries: the ratings (or residuals: ar_model_inputs) themselves,
 * or after input dropout. */
static cl_mem entry_inputs(const ar_model *m, float keep_in) {
    return keep_in < 1.0f ? m->xk : ar_model_inputs(m);
}

ar_status ar_sparse_encode(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in,
                           cl_mem *last) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    ar_status st = AR_OK;
    /* a shard draws the input mask at the whole model's columns: the same mask as unsharded */
    const int cols = m->shard ? m->shard->cols_all : L->U, base = m->shard ? m->shard->col_base : 0;
    if (keep_in < 1.0f)
        AR_TRY(ark_sp_input(c, m->xk, m->tr_ptr, m->tr_idx, ar_model_inputs(m), rows, off, B, cols,
                            base, keep_in, ar_input_scale(m, keep_in), m->cfg.seed, m->step));
    if (!m->shard) {
        AR_TRY(ark_sp_spmm(c, m->a[1], entry_inputs(m, keep_in), m->params, (int)L->off_w[0],
                           (int)L->off_bias[0], m->tr_ptr, m->tr_idx, rows, off, B, L->dim[1],
                           m->cfg.activation, L->U));
    } else { /* this shard's part of the pre-activation, summed over the shards, then g(. + b0) */
        AR_TRY(ark_sp_spmm(c, m->a[1], entry_inputs(m, keep_in), m->params, (int)L->off_w[0], -1,
                           m->tr_ptr, m->tr_idx, rows, off, B, L->dim[1], AR_ACT_IDENTITY, L->U));
        AR_TRY(ar_shard_sum(m, m->a[1], (size_t)B * L->dim[1]));
        AR_TRY(ark_bias_act_forward(c, m->a[1], m->a[1], m->params, (int)L->off_bias[0], B,
                                    L->dim[1], m->cfg.activation));
    }
    if (keep < 1.0f)
        AR_TRY(ark_dropout_mask(c, m->ad[1], m->a[1], m->mask[1], AR_DROP_STORE, B * L->dim[1],
                                keep, 1.0f / keep, m->cfg.seed, m->step, ar_dropout_layer(0)));
    for (int k = 1; k < L->n_hidden; k++)
        AR_TRY(ar_dense_hidden_forward(m, k, ar_layer_out(m, k, keep), B, keep));
    *last = ar_layer_out(m, L->n_hidden, keep);
cleanup:
    return st;
}

ar_status ar_sparse_decode(ar_model *m, cl_mem last, cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows,
                           int off, int B, cl_mem out) {
    const ar_layout *L = &m->L;
    return ark_sp_sddmm(m->ctx, out, last, m->params, (int)L->off_w[L->n_hidden],
                        (int)L->off_bias[L->n_hidden], pos_ptr, pos_idx, rows, off, B,
                        L->dim[L->n_hidden], m->cfg.out_activation);
}

ar_status ar_sparse_decode_train(ar_model *m, cl_mem last, int j) {
    const ar_layout *L = &m->L;
    return ark_sp_sddmm_csc(m->ctx, m->yk, last, m->params, (int)L->off_w[L->n_hidden],
                            (int)L->off_bias[L->n_hidden], m->csc_ptr, j * (L->U + 1), m->csc_b,
                            m->csc_k, L->U, L->dim[L->n_hidden], m->cfg.out_activation);
}

int ar_sparse_fused(const ar_model *m) { return m->ctx->kp.sp_fuse && !m->shard; }

ar_status ar_sparse_backward(ar_model *m, int j, cl_mem rows, int off, int B, float keep,
                             float keep_in, float scale, int weight_grads) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden, col_off = j * (U + 1);
    ar_status st = AR_OK;
    cl_mem dz = m->dh[0]; /* (B, dim[nh]) */
    const int fused = ar_sparse_fused(m);
    if (fused) /* the decoder (forward skipped it), the loss and dz at once */
        AR_TRY(ark_sp_decode_backward(c, m->yk, m->dyk, m->row_loss, dz, ar_layer_out(m, nh, keep),
                                      m->params, (int)L->off_w[nh], (int)L->off_bias[nh],
                                      m->tr_ptr, m->tr_idx, ar_model_targets(m), rows, off, B,
                                      L->dim[nh], m->cfg.out_activation, scale,
                                      keep < 1.0f ? m->mask[nh] : NULL, 1.0f / keep, m->a[nh],
                                      m->cfg.activation, U));
    else
        AR_TRY(ark_sp_loss_backward(c, m->dyk, m->row_loss, m->yk, m->tr_ptr,
                                    ar_model_targets(m), rows, off, B, scale,
                                    m->cfg.out_activation));
    /* the last layer's dW and db from the output gradient at the entries, when asked for
     * (training sums them as it takes their steps: ar_sparse_update), then the gradient at the
     * last hidden layer */
    if (weight_grads)
        AR_TRY(ark_sp_weight_grad(c, m->grads, (int)L->off_w[nh], m->dyk,
                                  ar_layer_out(m, nh, keep), m->csc_ptr, col_off, m->csc_b,
                                  m->csc_k, U, L->dim[nh]));
    if (weight_grads) /* else ar_sparse_update sums it as it takes the step (ark_sp_bias_adam) */
        AR_TRY(ark_sp_bias_grad(c, m->grads, (int)L->off_bias[nh], m->dyk, m->csc_ptr, col_off,
                                m->csc_k, U));
    if (!fused && !m->shard) { /* the product, dropout's mask and g' in one pass */
        AR_TRY(ark_sp_spmm_backward(c, dz, m->dyk, m->params, (int)L->off_w[nh], m->tr_ptr,
                                    m->tr_idx, rows, off, B, L->dim[nh],
                                    keep < 1.0f ? m->mask[nh] : NULL, 1.0f / keep, m->a[nh],
                                    m->cfg.activation));
    } else if (!fused) { /* a shard's part of the product, summed over the shards first */
        AR_TRY(ark_sp_spmm(c, dz, m->dyk, m->params, (int)L->off_w[nh], -1, m->tr_ptr,
                           m->tr_idx, rows, off, B, L->dim[nh], AR_ACT_IDENTITY, U));
        AR_TRY(ar_shard_sum(m, dz, (size_t)B * L->dim[nh]));
        if (keep < 1.0f)
            AR_TRY(ark_dropout_mask(c, dz, dz, m->mask[nh], AR_DROP_APPLY, B * L->dim[nh], keep,
                                    1.0f / keep, m->cfg.seed, m->step, ar_dropout_layer(nh - 1)));
        AR_TRY(ark_act_backward(c, dz, dz, m->a[nh], B * L->dim[nh], m->cfg.activation));
    }
    for (int k = nh - 1; k >= 1; k--) AR_TRY(ar_dense_layer_backward(m, k, dz, B, keep, &dz));
    /* the first layer: dW0T from the inputs at the entries and db0 dense, when asked for */
    m->dz1 = dz;
    if (weight_grads) {
        AR_TRY(ark_sp_weight_grad(c, m->grads, (int)L->off_w[0], entry_inputs(m, keep_in), dz,
                                  m->csc_ptr, col_off, m->csc_b, m->csc_k, U, L->dim[1]));
        AR_TRY(ark_colsum(c, m->grads, (int)L->off_bias[0], dz, B, L->dim[1]));
    }
cleanup:
    return st;
}

ar_status ar_sparse_update(ar_model *m, int j, int B, float keep, float keep_in,
                           const ark_adam_step *s) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden, col_off = j * (U + 1);
    ar_status st = AR_OK;
    /* the last and first layers' weights, then their biases */
    AR_TRY(ark_sp_weight_adam(c, m->params, m->m, m->v, (int)L->off_w[nh], m->dyk,
                              ar_layer_out(m, nh, keep), m->csc_ptr, col_off, m->csc_b,
                              m->csc_k, U, L->dim[nh], s));
    AR_TRY(ark_sp_weight_adam(c, m->params, m->m, m->v, (int)L->off_w[0],
                              entry_inputs(m, keep_in), m->dz1, m->csc_ptr, col_off, m->csc_b,
                              m->csc_k, U, L->dim[1], s));
    AR_TRY(ark_sp_bias_adam(c, m->params, m->m, m->v, (int)L->off_bias[nh], (int)L->off_bias[0],
                            m->dyk, m->csc_ptr, col_off, m->csc_k, U, m->dz1, B, L->dim[1], s));
    /* the hidden-to-hidden weights (decayed) and biases, from m->grads (deeper nets only) */
    AR_TRY(ark_adam_range(c, m->params, m->grads, m->m, m->v, (int)L->off_w[1],
                          (int)L->off_w[nh], (int)L->n_decay, s));
    AR_TRY(ark_adam_range(c, m->params, m->grads, m->m, m->v, (int)L->off_bias[1],
                          (int)L->off_bias[nh], (int)L->n_decay, s));
cleanup:
    return st;
}

/* The CSCs of batches *next, *next + 1, ... of order[0 .. n_rows) built on the host, one after
 * the other in csc_b_host / csc_k_host from entry *ent (batch j's column pointers at j (U + 1),
 * absolute), until they hold at least min_entries entries or batch nb - 1 is built; then
 * uploaded in three writes, waited for (blocking) or queued, and *next and *ent advanced past
 * them. */
static ar_status upload_csc(ar_model *m, const int *order, int n_rows, int nb, int *next,
                            int *ent, int min_entries, int blocking) {
    const ar_csr *tr = &m->ds->train;
    const int U = m->L.U, j0 = *next, e0 = *ent;
    int j = j0, e = e0;
    do {
        const int off = j * m->B, B = n_rows - off < m->B ? n_rows - off : m->B;
        int *ptr = m->csc_ptr_host + (size_t)j * (U + 1);
        ar_sp_batch_csc(ptr, m->csc_b_host + e, m->csc_k_host + e, tr, order + off, B);
        for (int u = 0; u <= U; u++) ptr[u] += e;
        e = ptr[U];
        j++;
    } while (j < nb && e - e0 < min_entries);
    ar_status (*write)(ar_ctx *, cl_mem, size_t, size_t, const void *) =
        blocking ? ar_write : ar_write_queued;
    ar_status st = AR_OK;
    const size_t ptr_at = (size_t)j0 * (U + 1);
    AR_TRY(write(m->ctx, m->csc_ptr, ptr_at * sizeof(int), (size_t)(j - j0) * (U + 1) * sizeof(int),
                 m->csc_ptr_host + ptr_at));
    if (e > e0) {
        AR_TRY(write(m->ctx, m->csc_b, (size_t)e0 * sizeof(int), (size_t)(e - e0) * sizeof(int),
                     m->csc_b_host + e0));
        AR_TRY(write(m->ctx, m->csc_k, (size_t)e0 * sizeof(int), (size_t)(e - e0) * sizeof(int),
                     m->csc_k_host + e0));
    }
    *next = j;
    *ent = e;
cleanup:
    return st;
}

ar_status ar_sparse_upload_csc(ar_model *m, const int *order, int n_rows, int nb) {
    int next = 0, ent = 0;
    return upload_csc(m, order, n_rows, nb, &next, &ent, INT_MAX, 1);
}

ar_status ar_sparse_queue_csc(ar_model *m, const int *order, int n_rows, int *next, int *ent) {
    return upload_csc(m, order, n_rows, m->n_batches, next, ent, m->csc_chunk, 0);
}

void ar_sp_batch_csc(int *col_ptr, int *ent_b, int *ent_k, const ar_csr *m, const int *rows,
                     int B) {
    memset(col_ptr, 0, ((size_t)m->cols + 1) * sizeof *col_ptr);
    for (int b = 0; b < B; b++)
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++)
            col_ptr[m->col_idx[k] + 1]++;
    for (int u = 0; u < m->cols; u++) col_ptr[u + 1] += col_ptr[u];
    /* a counting sort, b ascending within each column because b is the outer loop */
    for (int b = 0; b < B; b++)
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            int u = m->col_idx[k];
            int e = col_ptr[u]++;
            ent_b[e] = b;
            ent_k[e] = k;
        }
    for (int u = m->cols; u > 0; u--) col_ptr[u] = col_ptr[u - 1]; /* undo the fill's shift */
    col_ptr[0] = 0;
}
