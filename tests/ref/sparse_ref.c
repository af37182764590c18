/* sparse_ref.c - the CPU reference of the sparse path's kernels (cl/sparse.cl): same names with
 * _ref, double accumulation. Entries are addressed by their index k in the training CSR. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

void ar_sp_input_ref(float *xk, const ar_csr *m, const int *rows, int B, float keep_in,
                     float in_scale, uint64_t seed, uint32_t step) {
    for (int b = 0; b < B; b++)
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            uint32_t e = (uint32_t)((size_t)b * m->cols + m->col_idx[k]);
            xk[k] = keep_in >= 1.0f ? m->vals[k]
                    : ar_dropout_keep_ref(seed, step, AR_DROPOUT_INPUT, e, keep_in)
                        ? m->vals[k] * in_scale
                        : 0.0f;
        }
}

void ar_sp_spmm_ref(float *out, const float *xk, const float *WT, const float *bias,
                               const ar_csr *m, const int *rows, int B, int H, int act) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            double z = bias ? bias[h] : 0.0; /* no bias: the gradient form */
            for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++)
                z += (double)xk[k] * WT[(size_t)m->col_idx[k] * H + h];
            out[(size_t)b * H + h] = ar_activate_ref((float)z, act);
        }
}

void ar_sp_spmm_tile_ref(float *out, const float *xk, const float *WT, const float *bias,
                         const ar_csr *m, const int *rows, int B, int H, int act, int tile) {
    (void)tile;
    ar_sp_spmm_ref(out, xk, WT, bias, m, rows, B, H, act);
}

void ar_sp_spmm_backward_ref(float *out, const float *dyk, const float *W, const ar_csr *m,
                             const int *rows, int B, int H, const unsigned char *mask,
                             float scale, const float *a, int act) {
    ar_sp_spmm_ref(out, dyk, W, NULL, m, rows, B, H, AR_ACT_IDENTITY);
    for (size_t i = 0; i < (size_t)B * H; i++) {
        float z = out[i];
        if (mask) z = mask[i] ? z * scale : 0.0f;
        out[i] = z * ar_act_grad_from_out_ref(a[i], act);
    }
}

/* Chunk p of P of the n entries from k0: [k0 + min(n, p c), k0 + min(n, (p + 1) c)), c =
 * ceil(n / P), as the kernels cut them. */
static void chunk(int k0, int n, int P, int p, int *lo, int *hi) {
    const int c = (n + P - 1) / P;
    *lo = k0 + (p * c < n ? p * c : n);
    *hi = k0 + ((p + 1) * c < n ? (p + 1) * c : n);
}

void ar_sp_spmm_part_ref(float *part, const float *xk, const float *WT, const ar_csr *m,
                         const int *rows, int B, int H, int P) {
    for (int b = 0; b < B; b++) {
        const int k0 = m->row_ptr[rows[b]], n = m->row_ptr[rows[b] + 1] - k0;
        for (int p = 0; p < P; p++) {
            int lo, hi;
            chunk(k0, n, P, p, &lo, &hi);
            for (int h = 0; h < H; h++) {
                double z = 0;
                for (int k = lo; k < hi; k++)
                    z += (double)xk[k] * WT[(size_t)m->col_idx[k] * H + h];
                part[((size_t)b * P + p) * H + h] = (float)z;
            }
        }
    }
}

void ar_sp_spmm_join_ref(float *out, const float *part, const float *bias, int B, int H, int act,
                         int P, int backward, const unsigned char *mask, float scale,
                         const float *a) {
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++) {
            const size_t i = (size_t)b * H + h;
            double z = 0;
            for (int p = 0; p < P; p++) z += part[((size_t)b * P + p) * H + h];
            float f = (float)z;
            if (backward) {
                if (mask) f = mask[i] ? f * scale : 0.0f;
                f *= ar_act_grad_from_out_ref(a[i], act);
            } else if (bias) {
                f = ar_activate_ref((float)(z + bias[h]), act);
            }
            out[i] = f;
        }
}

void ar_sp_sddmm_ref(float *yk, const float *a, const float *W, const float *bias,
                               const ar_csr *pos, const int *rows, int B, int H, int act) {
    for (int b = 0; b < B; b++)
        for (int k = pos->row_ptr[rows[b]]; k < pos->row_ptr[rows[b] + 1]; k++) {
            const int u = pos->col_idx[k];
            double z = bias[u];
            for (int h = 0; h < H; h++) z += (double)a[(size_t)b * H + h] * W[(size_t)u * H + h];
            yk[k] = ar_activate_ref((float)z, act);
        }
}

void ar_sp_sddmm_split_ref(float *yk, const float *a, const float *W, const float *bias,
                           const ar_csr *pos, const int *rows, int B, int H, int act, int S) {
    float *part = malloc((size_t)S * sizeof *part);
    for (int b = 0; b < B; b++)
        for (int k = pos->row_ptr[rows[b]]; k < pos->row_ptr[rows[b] + 1]; k++) {
            const int u = pos->col_idx[k];
            for (int j = 0; j < S; j++) { /* lane j's strided float sum, in its order */
                float s = 0.0f;
                for (int h = j; h < H; h += S) s += a[(size_t)b * H + h] * W[(size_t)u * H + h];
                part[j] = s;
            }
            for (int half = S / 2; half > 0; half /= 2) /* the kernel's tree */
                for (int j = 0; j < half; j++) part[j] += part[j + half];
            yk[k] = ar_activate_ref(part[0] + bias[u], act);
        }
    free(part);
}

void ar_sp_sddmm_csc_ref(float *yk, const float *a, const float *W, const float *bias,
                         const int *col_ptr, const int *ent_b, const int *ent_k, int cols, int H,
                         int act) {
    for (int u = 0; u < cols; u++)
        for (int e = col_ptr[u]; e < col_ptr[u + 1]; e++) {
            double z = bias[u];
            for (int h = 0; h < H; h++)
                z += (double)a[(size_t)ent_b[e] * H + h] * W[(size_t)u * H + h];
            yk[ent_k[e]] = ar_activate_ref((float)z, act);
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

void ar_sp_loss_part_ref(float *dyk, float *part, const float *yk, const ar_csr *m,
                         const int *rows, int B, float scale, int act, int P) {
    for (int b = 0; b < B; b++) {
        const int k0 = m->row_ptr[rows[b]], n = m->row_ptr[rows[b] + 1] - k0;
        for (int p = 0; p < P; p++) {
            int lo, hi;
            chunk(k0, n, P, p, &lo, &hi);
            double s = 0;
            for (int k = lo; k < hi; k++) {
                double d = (double)yk[k] - m->vals[k];
                dyk[k] = (float)(2.0 * scale * d) * ar_act_grad_from_out_ref(yk[k], act);
                s += d * d;
            }
            part[(size_t)b * P + p] = (float)s;
            part[(size_t)B * P + (size_t)b * P + p] = 0.0f;
        }
    }
}

void ar_sp_loss_join_ref(float *row_loss, const float *part, const int *rows, int B, int P) {
    for (int b = 0; b < B; b++) {
        double s = 0;
        for (int p = 0; p < P; p++)
            s += (double)part[(size_t)b * P + p] - part[(size_t)B * P + (size_t)b * P + p];
        row_loss[rows[b]] = (float)s;
    }
}

void ar_sp_decode_backward_ref(float *yk, float *dyk, float *row_loss, float *dz, const float *a,
                               const float *W, const float *bias, const ar_csr *m,
                               const int *rows, int B, int H, int out_act, float scale,
                               const unsigned char *mask, float mscale, const float *act_out,
                               int act) {
    ar_sp_sddmm_ref(yk, a, W, bias, m, rows, B, H, out_act);
    ar_sp_loss_backward_ref(dyk, row_loss, yk, m, rows, B, scale, out_act);
    ar_sp_spmm_backward_ref(dz, dyk, W, m, rows, B, H, mask, mscale, act_out, act);
}

void ar_sp_sse_ref(float *row_err, const float *yk, const ar_csr *m, const float *offs,
                   const int *rows, int B, int n_rows, float lo, float hi) {
    for (int b = 0; b < B; b++) {
        double s = 0, a = 0;
        for (int k = m->row_ptr[rows[b]]; k < m->row_ptr[rows[b] + 1]; k++) {
            float yf = offs ? yk[k] + offs[k] : yk[k]; /* the device's float addition */
            double y = !isfinite(yf) ? NAN : yf < lo ? lo : yf > hi ? hi : yf;
            s += (y - m->vals[k]) * (y - m->vals[k]);
            a += fabs(y - m->vals[k]);
        }
        row_err[rows[b]] = (float)s;
        row_err[n_rows + rows[b]] = (float)a;
    }
}

void ar_sp_weight_grad_ref(float *dW, const float *ck, const float *in, const int *col_ptr,
                           const int *ent_b, const int *ent_k, int cols, int H) {
    for (int u = 0; u < cols; u++)
        for (int h = 0; h < H; h++) {
            double s = 0;
            for (int e = col_ptr[u]; e < col_ptr[u + 1]; e++)
                s += (double)ck[ent_k[e]] * in[(size_t)ent_b[e] * H + h];
            dW[(size_t)u * H + h] = (float)s;
        }
}

void ar_sp_weight_adam_ref(float *p, float *m, float *v, const float *ck, const float *in,
                           const int *col_ptr, const int *ent_b, const int *ent_k, int cols,
                           int H, float lr, float b1, float b2, float eps, float bc1, float bc2,
                           float l2) {
    const size_t n = (size_t)cols * H;
    float *g = malloc(n * sizeof *g);
    if (!g) abort();
    ar_sp_weight_grad_ref(g, ck, in, col_ptr, ent_b, ent_k, cols, H);
    ar_adam_ref(p, g, m, v, n, n, lr, b1, b2, eps, bc1, bc2, l2);
    free(g);
}

void ar_sp_bias_grad_ref(float *db, const float *ck, const int *col_ptr, const int *ent_k,
                         int cols) {
    for (int u = 0; u < cols; u++) {
        double s = 0;
        for (int e = col_ptr[u]; e < col_ptr[u + 1]; e++) s += ck[ent_k[e]];
        db[u] = (float)s;
    }
}

void ar_sp_bias_adam_ref(float *p_dec, float *m_dec, float *v_dec, float *p_enc, float *m_enc,
                         float *v_enc, const float *ck, const int *col_ptr, const int *ent_k,
                         int cols, const float *in, int B, int H, float lr, float b1, float b2,
                         float eps, float bc1, float bc2) {
    float *g = malloc((size_t)(cols > H ? cols : H) * sizeof *g);
    if (!g) abort();
    ar_sp_bias_grad_ref(g, ck, col_ptr, ent_k, cols);
    ar_adam_ref(p_dec, g, m_dec, v_dec, (size_t)cols, 0, lr, b1, b2, eps, bc1, bc2, 0.0f);
    ar_colsum_ref(g, in, B, H);
    ar_adam_ref(p_enc, g, m_enc, v_enc, (size_t)H, 0, lr, b1, b2, eps, bc1, bc2, 0.0f);
    free(g);
}
