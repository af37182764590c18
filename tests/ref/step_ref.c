/* step_ref.c - the CPU reference of a whole training step (forward and backward through every
 * layer, dense, built from the kernel references) and of the data loss alone in double (for
 * finite differences). test_step and test_gradcheck compare the device against these. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"

static int batch_observed(const ar_csr *m, const int *rows, int B) {
    int n = 0;
    for (int b = 0; b < B; b++) n += m->row_ptr[rows[b] + 1] - m->row_ptr[rows[b]];
    return n;
}

double ar_step_ref(const ar_layout *l, const float *params, float *grads,
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
    if (keep_in < 1.0f)
        ar_dropout_ref(a[0], a[0], B * U, keep_in, in_scale, seed, step, AR_DROPOUT_INPUT);
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
            ar_dropout_hidden_ref(ad[k + 1], a[k + 1], B, dout, keep, 1.0f / keep, seed, step,
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
            ar_dropout_hidden_ref(dprev, dprev, B, din, keep, 1.0f / keep, seed, step,
                                  ar_dropout_layer(k - 1));
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

double ar_loss_ref(const ar_layout *l, const float *params, const ar_csr *train, const int *rows,
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
                uint32_t e = (uint32_t)((size_t)b * U + u); /* the element x (B, U) drops */
                if (keep_in < 1.0f) /* the device multiplies by the float in_scale */
                    xv = ar_dropout_keep_ref(seed, step, AR_DROPOUT_INPUT, e, keep_in)
                             ? (double)(float)(train->vals[k] * in_scale) : 0.0;
                z += (double)V[(size_t)u * l->dim[1] + j] * xv; /* V^T (U, H) */
            }
            double a = ar_activate_d(z, act);
            if (keep < 1.0f)
                a = ar_dropout_keep_ref(seed, step, ar_dropout_layer(0),
                                        ar_dropout_key(b, j, l->dim[1]), keep) ? a / keep : 0.0;
            h[j] = a;
        }
        /* further hidden layers, dense */
        for (int m = 1; m < nh; m++) {
            const int din = l->dim[m], dout = l->dim[m + 1];
            const float *W = params + l->off_w[m], *bias = params + l->off_bias[m];
            for (int j = 0; j < dout; j++) {
                double z = bias[j];
                for (int i = 0; i < din; i++) z += (double)W[(size_t)j * din + i] * h[i];
                double a = ar_activate_d(z, act);
                if (keep < 1.0f)
                    a = ar_dropout_keep_ref(seed, step, ar_dropout_layer(m),
                                            ar_dropout_key(b, j, dout), keep) ? a / keep : 0.0;
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
            double d = ar_activate_d(z, out_act) - train->vals[k];
            sse += d * d;
        }
    }
    free(h);
    free(g);
    return sse / (double)(n_obs > 0 ? n_obs : 1);
}

/* ---- the sparse path ------------------------------------------------------------------------ */
