/* layout.c - where the parameters live in the flat buffers, the dropout keys, and the batch CSC
 * of the sparse path: the index arithmetic that the model and the tests' reference share. */
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

uint32_t ar_dropout_threshold(float keep) {
    double t = (double)keep * 4294967296.0;
    return t >= 4294967295.0 ? 0xFFFFFFFFu : t <= 0 ? 0u : (uint32_t)t;
}

uint32_t ar_dropout_layer(int k) { return k == 0 ? 0u : (uint32_t)k + 1u; }

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
