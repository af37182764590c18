/* kernels_ref.c - the CPU reference of the dense kernels (cl/activation.cl, dropout.cl,
 * densify.cl, loss.cl, reduce.cl, adam.cl) and of the GEMM wrapper: same names as the
 * kernels with _ref, float storage, double accumulation. Written for clarity, not speed. */
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

double ar_activate_d(double x, int act) {
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

float ar_activate_ref(float x, int act) { return (float)ar_activate_d(x, act); }
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

void ar_dropout_ref(float *out, const float *in, int n, float keep, float scale, uint64_t seed,
                    uint32_t step, uint32_t layer) {
    for (int i = 0; i < n; i++)
        out[i] = ar_dropout_keep_ref(seed, step, layer, (uint32_t)i, keep) ? in[i] * scale : 0.0f;
}

void ar_dropout_hidden_ref(float *out, const float *in, int B, int H, float keep, float scale,
                           uint64_t seed, uint32_t step, uint32_t layer) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < H; j++) {
            size_t i = (size_t)b * H + j;
            out[i] = ar_dropout_keep_ref(seed, step, layer, ar_dropout_key(b, j, H), keep)
                         ? in[i] * scale
                         : 0.0f;
        }
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

void ar_masked_sse_ref(float *row_err, const float *out, const ar_csr *m, const float *offs,
                       const int *rows, int B, int n_rows, float lo, float hi) {
    for (int b = 0; b < B; b++) {
        double s = 0, a = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            float yf = out[(size_t)b * m->cols + m->col_idx[k]];
            if (offs) yf += offs[k]; /* the device's float addition */
            double y = yf;
            y = !isfinite(y) ? NAN : y < lo ? lo : y > hi ? hi : y;
            double d = y - m->vals[k];
            s += d * d;
            a += fabs(d);
        }
        row_err[rows[b]] = (float)s;
        row_err[n_rows + rows[b]] = (float)a;
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
