/* dense.c - the dense path: each batch densified into x (B, U), every layer a CLBlast GEMM plus
 * the element-wise kernels (bias + activation, dropout, masked loss). Its hidden-to-hidden
 * layers also serve the sparse path, which differs only in the first and last layer.
 *
 *   forward:  x = densify(rows); x = input_dropout(x)              (B, U)
 *             a[k+1] = g(ad[k] Wk^T + bk); ad[k+1] = dropout(a[k+1]) (B, dim[k+1])
 *             y = f(ad[L] WL^T + bL)                               (B, U)
 *   backward: dy = 2 scale (y - r) at observed entries, f'(y)      (B, U)
 *             (centered: r is the residual r - b and x maybe too: center.c)
 *             dWk = dz^T ad[k], dbk = colsum(dz), dz = (dz Wk) dropout' g'  layer by layer
 */
#include "internal.h"

cl_mem ar_layer_out(const ar_model *m, int k, float keep) {
    return keep < 1.0f ? m->ad[k] : m->a[k];
}

float ar_input_scale(const ar_model *m, float keep_in) {
    return m->cfg.input_noise == AR_NOISE_INVERTED ? 1.0f / keep_in : 1.0f;
}

/* Dropout after hidden layer k (0-based layer, output a[k + 1]) into ad[k + 1]. */
static ar_status dropout_forward(ar_model *m, int k, int B, float keep) {
    if (keep >= 1.0f) return AR_OK;
    return ark_dropout_mask(m->ctx, m->ad[k + 1], m->a[k + 1], m->mask[k + 1], AR_DROP_STORE,
                            B * m->L.dim[k + 1], keep, 1.0f / keep, m->cfg.seed, m->step,
                            ar_dropout_layer(k));
}

ar_status ar_dense_hidden_forward(ar_model *m, int k, cl_mem in, int B, float keep) {
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
    AR_TRY(dropout_forward(m, k, B, keep));
cleanup:
    return st;
}

ar_status ar_dense_forward(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden;
    ar_status st = AR_OK;
    AR_TRY(ark_fill(c, m->x, 0, (size_t)B * U, 0.0f));
    AR_TRY(ark_densify(c, m->x, m->tr_ptr, m->tr_idx, ar_model_inputs(m), rows, off, B, U));
    if (keep_in < 1.0f) /* in place; the backward pass uses this x for dW0, as it should */
        AR_TRY(ark_dropout(c, m->x, m->x, B * U, keep_in, ar_input_scale(m, keep_in),
                           m->cfg.seed, m->step, AR_DROPOUT_INPUT));
    cl_mem in = m->x; /* (B, dim[k]) */
    for (int k = 0; k < nh; k++) {
        AR_TRY(ar_dense_hidden_forward(m, k, in, B, keep));
        in = ar_layer_out(m, k + 1, keep);
    }
    const int dl = L->dim[nh];
    AR_TRY(ar_gemm(c, 0, 1, B, U, dl, 1.0f, in, 0, dl, m->params, L->off_w[nh], dl, 0.0f, m->y,
                   0, U));
    AR_TRY(ark_bias_act_forward(c, m->y, m->y, m->params, (int)L->off_bias[nh], B, U,
                                m->cfg.out_activation));
cleanup:
    return st;
}

/* dWk and dbk of layer k (0-based) from dz (B, dim[k+1]), the gradient at its pre-activation. */
static ar_status weight_grads(ar_model *m, int k, cl_mem dz, int B, float keep) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int din = L->dim[k], dout = L->dim[k + 1];
    ar_status st = AR_OK;
    cl_mem in = k == 0 ? m->x : ar_layer_out(m, k, keep); /* (B, din) */
    if (k == 0) /* dW0T (U, H) = x^T dz */
        AR_TRY(ar_gemm(c, 1, 0, din, dout, B, 1.0f, in, 0, din, dz, 0, dout, 0.0f, m->grads,
                       L->off_w[0], dout));
    else        /* dWk (dout, din) = dz^T in */
        AR_TRY(ar_gemm(c, 1, 0, dout, din, B, 1.0f, dz, 0, dout, in, 0, din, 0.0f, m->grads,
                       L->off_w[k], din));
    AR_TRY(ark_colsum(c, m->grads, (int)L->off_bias[k], dz, B, dout));
cleanup:
    return st;
}

ar_status ar_dense_layer_backward(ar_model *m, int k, cl_mem dz, int B, float keep,
                                  cl_mem *dprev) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int din = L->dim[k], dout = L->dim[k + 1];
    ar_status st = AR_OK;
    AR_TRY(weight_grads(m, k, dz, B, keep));
    *dprev = m->dh[(L->n_hidden - k) % 2]; /* (B, din): never the buffer dz is in */
    AR_TRY(ar_gemm(c, 0, 0, B, din, dout, 1.0f, dz, 0, dout, m->params, L->off_w[k], din, 0.0f,
                   *dprev, 0, din));
    if (keep < 1.0f)
        AR_TRY(ark_dropout_mask(c, *dprev, *dprev, m->mask[k], AR_DROP_APPLY, B * din, keep,
                                1.0f / keep, m->cfg.seed, m->step, ar_dropout_layer(k - 1)));
    AR_TRY(ark_act_backward(c, *dprev, *dprev, m->a[k], B * din, m->cfg.activation));
cleanup:
    return st;
}

ar_status ar_dense_backward(ar_model *m, cl_mem rows, int off, int B, float keep, float scale) {
    ar_ctx *c = m->ctx;
    const ar_layout *L = &m->L;
    const int U = L->U, nh = L->n_hidden;
    ar_status st = AR_OK;
    AR_TRY(ark_fill(c, m->dy, 0, (size_t)B * U, 0.0f));
    AR_TRY(ark_masked_loss_backward(c, m->dy, m->row_loss, m->y, m->tr_ptr, m->tr_idx,
                                    ar_model_targets(m), rows, off, B, U, scale));
    if (m->cfg.out_activation != AR_ACT_IDENTITY)
        AR_TRY(ark_act_backward(c, m->dy, m->dy, m->y, B * U, m->cfg.out_activation));
    cl_mem dz = m->dy; /* the gradient at layer k's pre-activation, (B, dim[k+1]) */
    for (int k = nh; k >= 1; k--) AR_TRY(ar_dense_layer_backward(m, k, dz, B, keep, &dz));
    AR_TRY(weight_grads(m, 0, dz, B, keep)); /* the first layer: no gradient to its input */
cleanup:
    return st;
}
