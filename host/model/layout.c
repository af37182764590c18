/* layout.c - where the parameters live in the flat buffers, and the dropout keys: the index
 * arithmetic that the model and the tests' reference share. */
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

uint32_t ar_dropout_layer(int k) { return k == 0 ? 0u : (uint32_t)k + 1u; }
