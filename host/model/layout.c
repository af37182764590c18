/* layout.c - where the parameters live in the flat buffers, and the dropout keys: the index
 * arithmetic that the model and the tests' reference share. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ar_layout_init(ar_layout *l, int U, const int *hidden, int n_hidden) {
    memset(l, 0, sizeof *l);
    l->U = U;
    l->n_hidden = n_hidden;
    l->dim[0] = U;
    for (int k = 0; k < n_hidden; k++) l->dim[k + 1] = hidden[k];
    l->dim[n_hidden + 1] = U;
    size_t off = 0;
    for (int k = 0; k <= n_hidden; k++) { /* weights first: L2 applies to [0, n_decay) */
        l->off_w[k] = off;
        off += (size_t)l->dim[k + 1] * (size_t)l->dim[k];
    }
    l->n_decay = off;
    for (int k = 0; k <= n_hidden; k++) {
        l->off_bias[k] = off;
        off += (size_t)l->dim[k + 1];
    }
    l->n_params = off;
}

int ar_hidden_padded(int h) {
    int align = AR_HIDDEN_ALIGN;
    const char *env = getenv("AUTOREC_HIDDEN_PAD"); /* 0: none; N in 1..1024: N; else the default */
    if (env && *env) {
        char *end;
        long v = strtol(env, &end, 10);
        if (!*end && v >= 0 && v <= 1024) align = v > 0 ? (int)v : 1;
    }
    return (int)(((long long)h + align - 1) / align * align);
}

void ar_layout_padded(ar_layout *P, const ar_layout *F) {
    int widths[AR_MAX_HIDDEN_LAYERS];
    for (int k = 0; k < F->n_hidden; k++) widths[k] = ar_hidden_padded(F->dim[k + 1]);
    ar_layout_init(P, F->U, widths, F->n_hidden);
}

/* Tensor t of a layout (weights 0..nh, then biases 0..nh) as rows x cols, row-major, at *off. */
static void tensor_shape(const ar_layout *L, int t, size_t *off, size_t *rows, size_t *cols) {
    const int nh = L->n_hidden;
    if (t <= nh) {
        *off = L->off_w[t];
        *rows = (size_t)(t == 0 ? L->dim[0] : L->dim[t + 1]); /* layer 0: (U, H1) */
        *cols = (size_t)(t == 0 ? L->dim[1] : L->dim[t]);
    } else {
        *off = L->off_bias[t - nh - 1];
        *rows = 1;
        *cols = (size_t)L->dim[t - nh];
    }
}

void ar_layout_each_row(const ar_layout *F, const ar_layout *P, size_t a, size_t n,
                        ar_row_fn fn, void *arg) {
    for (int t = 0; t < 2 * (F->n_hidden + 1); t++) {
        size_t fo, fr, fc, po, pr, pc;
        tensor_shape(F, t, &fo, &fr, &fc);
        tensor_shape(P, t, &po, &pr, &pc);
        const size_t lo = a > fo ? a : fo, hi = a + n < fo + fr * fc ? a + n : fo + fr * fc;
        for (size_t i = lo; i < hi;) { /* the row of element i, from i to its end or hi */
            const size_t r = (i - fo) / fc, c = (i - fo) % fc;
            const size_t len = fc - c < hi - i ? fc - c : hi - i;
            fn(i, po + r * pc + c, len, arg);
            i += len;
        }
    }
}

typedef struct {
    const float *src;
    float *dst;
    int to_padded;
} row_copy;

static void copy_row(size_t logical, size_t padded, size_t n, void *arg) {
    row_copy *j = arg;
    if (j->to_padded) memcpy(j->dst + padded, j->src + logical, n * sizeof(float));
    else memcpy(j->dst + logical, j->src + padded, n * sizeof(float));
}

void ar_layout_unpack(const ar_layout *F, const ar_layout *P, const float *src, float *dst,
                      const float *dead) {
    memset(dst, 0, P->n_params * sizeof *dst);
    if (dead)
        for (int k = 0; k < F->n_hidden; k++)
            for (int j = F->dim[k + 1]; j < P->dim[k + 1]; j++) dst[P->off_bias[k] + j] = dead[k];
    row_copy job = {src, dst, 1};
    ar_layout_each_row(F, P, 0, F->n_params, copy_row, &job);
}

void ar_layout_pack(const ar_layout *F, const ar_layout *P, const float *src, float *dst) {
    row_copy job = {src, dst, 0};
    ar_layout_each_row(F, P, 0, F->n_params, copy_row, &job);
}

float ar_dead_bias(ar_activation act) {
    /* sigmoid(-1e4): exp(-1e4) underflows to 0, so the unit's output is 0 exactly; every other
     * activation is 0 at 0 */
    return act == AR_ACT_SIGMOID ? -1e4f : 0.0f;
}

uint32_t ar_dropout_layer(int k) { return k == 0 ? 0u : (uint32_t)k + 1u; }

uint32_t ar_dropout_key(int row, int col, int width) {
    return (uint32_t)((size_t)row * (size_t)ar_hidden_padded(width) + (size_t)col);
}
