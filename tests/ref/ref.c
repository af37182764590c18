/* ref.c - the CPU reference (see ref.h). Written for clarity, not speed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "ref.h"
#include "rng.h"

static double sigmoid_d(double x) {
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

static double activate_d(double x, int act) {
    switch (act) {
    case AR_ACT_SIGMOID: return sigmoid_d(x);
    case AR_ACT_RELU: return x > 0 ? x : 0;
    case AR_ACT_TANH: return tanh(x);
    case AR_ACT_ELU: return x > 0 ? x : expm1(x);
    case AR_ACT_SELU: return x > 0 ? AR_SELU_LAMBDA * x : AR_SELU_LAMBDA * AR_SELU_ALPHA * expm1(x);
    default: return x;
    }
}

static double act_grad_d(double y, int act) {
    switch (act) {
    case AR_ACT_SIGMOID: return y * (1 - y);
    case AR_ACT_RELU: return y > 0 ? 1 : 0;
    case AR_ACT_TANH: return 1 - y * y;
    case AR_ACT_ELU: return y > 0 ? 1 : y + 1;
    case AR_ACT_SELU: return y > 0 ? AR_SELU_LAMBDA : y + AR_SELU_LAMBDA * AR_SELU_ALPHA;
    default: return 1;
    }
}

float ar_activate_ref(float x, int act) { return (float)activate_d(x, act); }
float ar_act_grad_from_out_ref(float y, int act) { return (float)act_grad_d(y, act); }

int ar_dropout_keep_ref(uint64_t seed, uint32_t step, uint32_t layer, uint32_t element,
                        float keep) {
    return ar_dropout_keep((uint32_t)seed, (uint32_t)(seed >> 32), step, layer, element,
                           ar_dropout_threshold(keep));
}

void ar_gemm_ref(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) {
                double av = ta ? a[(size_t)p * lda + i] : a[(size_t)i * lda + p];
                double bv = tb ? b[(size_t)j * ldb + p] : b[(size_t)p * ldb + j];
                s += av * bv;
            }
            float *cij = &c[(size_t)i * ldc + j];
            *cij = (float)(alpha * s + (beta != 0.0f ? (double)beta * *cij : 0.0));
        }
}

void ar_bias_act_forward_ref(float *out, const float *in, const float *bias, int rows, int cols,
                             int act) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            size_t k = (size_t)i * cols + j;
            out[k] = ar_activate_ref(in[k] + bias[j], act);
        }
}

void ar_act_backward_ref(float *dinp, const float *dout, const float *out, int n, int act) {
    for (int i = 0; i < n; i++) dinp[i] = dout[i] * ar_act_grad_from_out_ref(out[i], act);
}

void ar_dropout_forward_ref(float *out, const float *in, int n, float keep, uint64_t seed,
                            uint32_t step, uint32_t layer) {
    ar_dropout_scaled_ref(out, in, n, keep, 1.0f / keep, seed, step, layer);
}

void ar_dropout_scaled_ref(float *out, const float *in, int n, float keep, float scale,
                           uint64_t seed, uint32_t step, uint32_t layer) {
    for (int i = 0; i < n; i++)
        out[i] = ar_dropout_keep_ref(seed, step, layer, (uint32_t)i, keep) ? in[i] * scale : 0.0f;
}

void ar_dropout_backward_ref(float *dinp, const float *dout, int n, float keep, uint64_t seed,
                             uint32_t step, uint32_t layer) {
    ar_dropout_forward_ref(dinp, dout, n, keep, seed, step, layer); /* same mask, same scale */
}

void ar_densify_ref(float *x, const ar_csr *m, const int *rows, int B) {
    memset(x, 0, (size_t)B * m->cols * sizeof *x);
    for (int b = 0; b < B; b++)
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++)
            x[(size_t)b * m->cols + m->col_idx[k]] = m->vals[k];
}

void ar_masked_loss_backward_ref(float *dout, float *row_loss, const float *out, const ar_csr *m,
                                 const int *rows, int B, float scale) {
    memset(dout, 0, (size_t)B * m->cols * sizeof *dout);
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            size_t idx = (size_t)b * m->cols + m->col_idx[k];
            double d = (double)out[idx] - m->vals[k];
            dout[idx] = (float)(2.0 * scale * d);
            s += d * d;
        }
        row_loss[rows[b]] = (float)s;
    }
}

void ar_masked_sse_ref(float *row_sse, const float *out, const ar_csr *m, const int *rows, int B,
                       float lo, float hi) {
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            double y = out[(size_t)b * m->cols + m->col_idx[k]];
            y = y < lo ? lo : y > hi ? hi : y;
            double d = y - m->vals[k];
            s += d * d;
        }
        row_sse[rows[b]] = (float)s;
    }
}

void ar_colsum_ref(float *out, const float *in, int rows, int cols) {
    for (int j = 0; j < cols; j++) {
        double s = 0;
        for (int i = 0; i < rows; i++) s += in[(size_t)i * cols + j];
        out[j] = (float)s;
    }
}

void ar_adam_ref(float *p, const float *grad, float *m, float *v, size_t n, size_t n_decay,
                 float lr, float beta1, float beta2, float eps, float bc1, float bc2, float l2) {
    for (size_t i = 0; i < n; i++) {
        double g = grad[i] + (i < n_decay ? (double)l2 * p[i] : 0.0);
        double mi = beta1 * (double)m[i] + (1.0 - beta1) * g;
        double vi = beta2 * (double)v[i] + (1.0 - beta2) * g * g;
        m[i] = (float)mi;
        v[i] = (float)vi;
        p[i] = (float)(p[i] - lr * (mi / bc1) / (sqrt(vi / bc2) + eps));
    }
}

static int batch_observed(const ar_csr *m, const int *rows, int B) {
    int n = 0;
    for (int b = 0; b < B; b++) n += m->row_ptr[rows[b] + 1] - m->row_ptr[rows[b]];
    return n;
}

double ar_ref_forward_backward(const ar_layout *l, const float *params, float *grads,
                               const ar_csr *train, const int *rows, int B, float keep,
                               float keep_in, float in_scale, uint64_t seed, uint32_t step,
                               int act, int out_act, float *out) {
    const int nl = l->n_hidden + 1, U = l->U;
    float *a[AR_MAX_HIDDEN_LAYERS + 2] = {0};  // a[k] (B, dim[k]): layer outputs, a[0] = x
    float *ad[AR_MAX_HIDDEN_LAYERS + 2] = {0}; // ad[k]: after dropout (hidden layers)
    float *dz = NULL, *dprev = NULL;           // (B, max dim) scratch
    float *row_loss = calloc((size_t)train->rows, sizeof(float));
    int maxd = 0;
    for (int k = 0; k <= nl; k++) maxd = l->dim[k] > maxd ? l->dim[k] : maxd;
    double loss = NAN;
    int ok = row_loss != NULL;
    for (int k = 0; k <= nl; k++) {
        ok = ok && (a[k] = calloc((size_t)B * l->dim[k], sizeof(float)));
        ok = ok && (ad[k] = calloc((size_t)B * l->dim[k], sizeof(float)));
    }
    ok = ok && (dz = calloc((size_t)B * maxd, sizeof(float))) &&
         (dprev = calloc((size_t)B * maxd, sizeof(float)));
    if (!ok) goto done;
    int n_obs = batch_observed(train, rows, B);
    float scale = 1.0f / (float)(n_obs > 0 ? n_obs : 1);

    ar_densify_ref(a[0], train, rows, B);
    if (keep_in < 1.0f) ar_dropout_scaled_ref(a[0], a[0], B * U, keep_in, in_scale, seed, step, 1);
    memcpy(ad[0], a[0], (size_t)B * U * sizeof(float));
    for (int k = 0; k < nl; k++) {
        const int din = l->dim[k], dout = l->dim[k + 1], last = k == nl - 1;
        if (k == 0) /* the first layer's weight is stored transposed, (U, H) */
            ar_gemm_ref(0, 0, B, dout, din, 1.0f, ad[k], din, params + l->off_w[k], dout, 0.0f,
                        a[k + 1], dout);
        else
            ar_gemm_ref(0, 1, B, dout, din, 1.0f, ad[k], din, params + l->off_w[k], din, 0.0f,
                        a[k + 1], dout);
        ar_bias_act_forward_ref(a[k + 1], a[k + 1], params + l->off_bias[k], B, dout,
                                last ? out_act : act);
        if (!last && keep < 1.0f)
            ar_dropout_forward_ref(ad[k + 1], a[k + 1], B * dout, keep, seed, step,
                                   ar_dropout_layer(k));
        else
            memcpy(ad[k + 1], a[k + 1], (size_t)B * dout * sizeof(float));
    }
    float *y = a[nl];
    if (out) memcpy(out, y, (size_t)B * U * sizeof(float));

    ar_masked_loss_backward_ref(dz, row_loss, y, train, rows, B, scale);
    double sse = 0;
    for (int b = 0; b < B; b++) sse += row_loss[rows[b]];
    loss = sse * scale;
    ar_act_backward_ref(dz, dz, y, B * U, out_act);
    for (int k = nl - 1; k >= 0; k--) { /* dz: (B, dim[k+1]), the gradient at layer k's z */
        const int din = l->dim[k], dout = l->dim[k + 1];
        if (k == 0)
            ar_gemm_ref(1, 0, din, dout, B, 1.0f, ad[k], din, dz, dout, 0.0f,
                        grads + l->off_w[k], dout);                                // dW_0^T
        else
            ar_gemm_ref(1, 0, dout, din, B, 1.0f, dz, dout, ad[k], din, 0.0f,
                        grads + l->off_w[k], din);                                 // dW_k
        ar_colsum_ref(grads + l->off_bias[k], dz, B, dout);                        // db_k
        if (k == 0) break;
        ar_gemm_ref(0, 0, B, din, dout, 1.0f, dz, dout, params + l->off_w[k], din, 0.0f, dprev,
                    din);                                                          // d ad[k]
        if (keep < 1.0f)
            ar_dropout_backward_ref(dprev, dprev, B * din, keep, seed, step, ar_dropout_layer(k - 1));
        ar_act_backward_ref(dprev, dprev, a[k], B * din, act);
        float *t = dz;
        dz = dprev;
        dprev = t;
    }
done:
    for (int k = 0; k <= nl; k++) {
        free(a[k]);
        free(ad[k]);
    }
    free(dz);
    free(dprev);
    free(row_loss);
    return loss;
}

double ar_ref_loss(const ar_layout *l, const float *params, const ar_csr *train, const int *rows,
                   int B, float keep, float keep_in, float in_scale, uint64_t seed,
                   uint32_t step, int act, int out_act) {
    const int U = l->U, nh = l->n_hidden;
    int maxd = 0;
    for (int k = 1; k <= nh; k++) maxd = l->dim[k] > maxd ? l->dim[k] : maxd;
    double *h = malloc((size_t)maxd * sizeof *h), *g = malloc((size_t)maxd * sizeof *g);
    double sse = 0;
    int n_obs = batch_observed(train, rows, B);
    if (!h || !g) {
        free(h);
        free(g);
        return NAN;
    }
    for (int b = 0; b < B; b++) {
        const int r = rows[b], k0 = train->row_ptr[r], k1 = train->row_ptr[r + 1];
        /* first hidden layer from the sparse input */
        const float *V = params + l->off_w[0], *mu = params + l->off_bias[0];
        for (int j = 0; j < l->dim[1]; j++) {
            double z = mu[j];
            for (int k = k0; k < k1; k++) {
                const int u = train->col_idx[k];
                double xv = train->vals[k];
                if (keep_in < 1.0f) /* the device multiplies by the float in_scale */
                    xv = ar_dropout_keep_ref(seed, step, 1, (uint32_t)((size_t)b * U + u), keep_in)
                             ? (double)(float)(train->vals[k] * in_scale) : 0.0;
                z += (double)V[(size_t)u * l->dim[1] + j] * xv; /* V^T (U, H) */
            }
            double a = activate_d(z, act);
            if (keep < 1.0f)
                a = ar_dropout_keep_ref(seed, step, ar_dropout_layer(0),
                                        (uint32_t)((size_t)b * l->dim[1] + j), keep) ? a / keep : 0.0;
            h[j] = a;
        }
        /* further hidden layers, dense */
        for (int m = 1; m < nh; m++) {
            const int din = l->dim[m], dout = l->dim[m + 1];
            const float *W = params + l->off_w[m], *bias = params + l->off_bias[m];
            for (int j = 0; j < dout; j++) {
                double z = bias[j];
                for (int i = 0; i < din; i++) z += (double)W[(size_t)j * din + i] * h[i];
                double a = activate_d(z, act);
                if (keep < 1.0f)
                    a = ar_dropout_keep_ref(seed, step, ar_dropout_layer(m),
                                            (uint32_t)((size_t)b * dout + j), keep) ? a / keep : 0.0;
                g[j] = a;
            }
            memcpy(h, g, (size_t)dout * sizeof *h);
        }
        /* outputs at the observed positions only */
        const int dl = l->dim[nh];
        const float *W = params + l->off_w[nh], *bias = params + l->off_bias[nh];
        for (int k = k0; k < k1; k++) {
            int u = train->col_idx[k];
            double z = bias[u];
            for (int j = 0; j < dl; j++) z += (double)W[(size_t)u * dl + j] * h[j];
            double d = activate_d(z, out_act) - train->vals[k];
            sse += d * d;
        }
    }
    free(h);
    free(g);
    return sse / (double)(n_obs > 0 ? n_obs : 1);
}

/* ---- the sparse path ------------------------------------------------------------------------ */

void ar_sp_input_ref(float *xk, const ar_csr *m, const int *rows, int B, float keep_in,
                     float in_scale, uint64_t seed, uint32_t step) {
    for (int b = 0; b < B; b++)
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            uint32_t e = (uint32_t)((size_t)b * m->cols + m->col_idx[k]);
            xk[k] = keep_in >= 1.0f ? m->vals[k]
                    : ar_dropout_keep_ref(seed, step, 1, e, keep_in) ? m->vals[k] * in_scale : 0.0f;
        }
}

void ar_sp_encoder_forward_ref(float *out, const float *xk, const float *WT, const float *bias,
                               const ar_csr *m, const int *rows, int B, int H, int act) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            double z = bias[h];
            for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++)
                z += (double)xk[k] * WT[(size_t)m->col_idx[k] * H + h];
            out[(size_t)b * H + h] = ar_activate_ref((float)z, act);
        }
}

void ar_sp_decoder_forward_ref(float *yk, const float *a, const float *W, const float *bias,
                               const ar_csr *pos, const int *rows, int B, int H, int act) {
    for (int b = 0; b < B; b++)
        for (int k = pos->row_ptr[rows[b]]; k < pos->row_ptr[rows[b] + 1]; k++) {
            const int u = pos->col_idx[k];
            double z = bias[u];
            for (int h = 0; h < H; h++) z += (double)a[(size_t)b * H + h] * W[(size_t)u * H + h];
            yk[k] = ar_activate_ref((float)z, act);
        }
}

void ar_sp_loss_backward_ref(float *dyk, float *row_loss, const float *yk, const ar_csr *m,
                             const int *rows, int B, float scale, int act) {
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            double d = (double)yk[k] - m->vals[k];
            dyk[k] = (float)(2.0 * scale * d) * ar_act_grad_from_out_ref(yk[k], act);
            s += d * d;
        }
        row_loss[rows[b]] = (float)s;
    }
}

void ar_sp_sse_ref(float *row_sse, const float *yk, const ar_csr *m, const int *rows, int B,
                   float lo, float hi) {
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            double y = yk[k] < lo ? lo : yk[k] > hi ? hi : yk[k];
            s += (y - m->vals[k]) * (y - m->vals[k]);
        }
        row_sse[rows[b]] = (float)s;
    }
}

void ar_sp_weight_grad_ref(float *dW, float *dbias, const float *ck, const float *in,
                           const int *col_ptr, const int *ent_b, const int *ent_k, int cols,
                           int H) {
    for (int u = 0; u < cols; u++) {
        double sb = 0;
        for (int h = 0; h < H; h++) {
            double s = 0;
            for (int e = col_ptr[u]; e < col_ptr[u + 1]; e++)
                s += (double)ck[ent_k[e]] * in[(size_t)ent_b[e] * H + h];
            dW[(size_t)u * H + h] = (float)s;
        }
        for (int e = col_ptr[u]; e < col_ptr[u + 1]; e++) sb += ck[ent_k[e]];
        if (dbias) dbias[u] = (float)sb;
    }
}
