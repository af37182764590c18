/* ref.c - the CPU reference (see ref.h). Written for clarity, not speed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <Random123/philox.h>

#include "internal.h"
#include "rng.h"

void ar_layout_init(ar_layout *l, int U, int H) {
    l->U = U;
    l->H = H;
    size_t uh = (size_t)U * (size_t)H;
    l->off_V = 0;
    l->off_W = uh;
    l->off_mu = 2 * uh;
    l->off_b = 2 * uh + (size_t)H;
    l->n_decay = 2 * uh;
    l->n_params = 2 * uh + (size_t)H + (size_t)U;
}

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

uint32_t ar_dropout_threshold(float keep) {
    double t = (double)keep * 4294967296.0;
    return t >= 4294967295.0 ? 0xFFFFFFFFu : t <= 0 ? 0u : (uint32_t)t;
}

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
    float scale = 1.0f / keep;
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
                               float keep_in, uint64_t seed, uint32_t step, int act,
                               int out_act, float *out) {
    const int U = l->U, H = l->H;
    const float *V = params + l->off_V, *W = params + l->off_W;
    const float *mu = params + l->off_mu, *bias = params + l->off_b;
    float *x = calloc((size_t)B * U, sizeof(float));   // (B, U)
    float *h = calloc((size_t)B * H, sizeof(float));   // (B, H) encoder output
    float *hd = calloc((size_t)B * H, sizeof(float));  // (B, H) after dropout
    float *y = calloc((size_t)B * U, sizeof(float));   // (B, U) decoder output
    float *dy = calloc((size_t)B * U, sizeof(float));  // (B, U)
    float *dh = calloc((size_t)B * H, sizeof(float));  // (B, H)
    float *row_loss = calloc((size_t)train->rows, sizeof(float));
    double loss = NAN;
    if (!x || !h || !hd || !y || !dy || !dh || !row_loss) goto done;
    int n_obs = batch_observed(train, rows, B);
    float scale = 1.0f / (float)(n_obs > 0 ? n_obs : 1);

    ar_densify_ref(x, train, rows, B);
    if (keep_in < 1.0f) ar_dropout_forward_ref(x, x, B * U, keep_in, seed, step, 1);
    ar_gemm_ref(0, 1, B, H, U, 1.0f, x, U, V, U, 0.0f, h, H);
    ar_bias_act_forward_ref(h, h, mu, B, H, act);
    if (keep < 1.0f) ar_dropout_forward_ref(hd, h, B * H, keep, seed, step, 0);
    else memcpy(hd, h, (size_t)B * H * sizeof(float));
    ar_gemm_ref(0, 1, B, U, H, 1.0f, hd, H, W, H, 0.0f, y, U);
    ar_bias_act_forward_ref(y, y, bias, B, U, out_act);
    if (out) memcpy(out, y, (size_t)B * U * sizeof(float));

    ar_masked_loss_backward_ref(dy, row_loss, y, train, rows, B, scale);
    double sse = 0;
    for (int b = 0; b < B; b++) sse += row_loss[rows[b]];
    loss = sse * scale;
    ar_act_backward_ref(dy, dy, y, B * U, out_act);
    ar_gemm_ref(1, 0, U, H, B, 1.0f, dy, U, hd, H, 0.0f, grads + l->off_W, H);   // dW (U, H)
    ar_colsum_ref(grads + l->off_b, dy, B, U);                                  // db (U)
    ar_gemm_ref(0, 0, B, H, U, 1.0f, dy, U, W, H, 0.0f, dh, H);                  // dHd (B, H)
    if (keep < 1.0f) ar_dropout_backward_ref(dh, dh, B * H, keep, seed, step, 0);
    ar_act_backward_ref(dh, dh, h, B * H, act);
    ar_gemm_ref(1, 0, H, U, B, 1.0f, dh, H, x, U, 0.0f, grads + l->off_V, U);    // dV (H, U)
    ar_colsum_ref(grads + l->off_mu, dh, B, H);                                 // dmu (H)
done:
    free(x);
    free(h);
    free(hd);
    free(y);
    free(dy);
    free(dh);
    free(row_loss);
    return loss;
}

double ar_ref_loss(const ar_layout *l, const float *params, const ar_csr *train, const int *rows,
                   int B, float keep, float keep_in, uint64_t seed, uint32_t step, int act,
                   int out_act) {
    const int U = l->U, H = l->H;
    const float *V = params + l->off_V, *W = params + l->off_W;
    const float *mu = params + l->off_mu, *bias = params + l->off_b;
    double *h = malloc((size_t)H * sizeof *h);
    double sse = 0;
    int n_obs = batch_observed(train, rows, B);
    if (!h) return NAN;
    for (int b = 0; b < B; b++) {
        const int r = rows[b], k0 = train->row_ptr[r], k1 = train->row_ptr[r + 1];
        for (int j = 0; j < H; j++) {
            double z = mu[j];
            for (int k = k0; k < k1; k++) {
                const int u = train->col_idx[k];
                double xv = train->vals[k];
                if (keep_in < 1.0f) /* the device scales by the float 1/keep_in */
                    xv = ar_dropout_keep_ref(seed, step, 1, (uint32_t)((size_t)b * U + u), keep_in)
                             ? (double)(float)(train->vals[k] * (1.0f / keep_in)) : 0.0;
                z += (double)V[(size_t)j * U + u] * xv;
            }
            double a = activate_d(z, act);
            if (keep < 1.0f)
                a = ar_dropout_keep_ref(seed, step, 0, (uint32_t)((size_t)b * H + j), keep)
                        ? a / keep : 0.0;
            h[j] = a;
        }
        for (int k = k0; k < k1; k++) {
            int u = train->col_idx[k];
            double z = bias[u];
            for (int j = 0; j < H; j++) z += (double)W[(size_t)u * H + j] * h[j];
            double d = activate_d(z, out_act) - train->vals[k];
            sse += d * d;
        }
    }
    free(h);
    return sse / (n_obs > 0 ? n_obs : 1);
}
