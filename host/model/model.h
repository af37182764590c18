/* model.h - the model's internals shared by host/model/ and the tests (not installed). */
#ifndef AR_MODEL_H
#define AR_MODEL_H

#include "core/core.h"
#include "data/data.h"

/* ---- the parameter layout (layout.c) --------------------------------------------------------
 * Where each tensor lives in the flat parameter (and gradient, and Adam m / v) buffer. The
 * weights of every layer come first, then the biases, so that L2 applies to one prefix
 * [0, n_decay). Layer l (0..n_hidden) maps dim[l] inputs to dim[l+1] outputs; its weight is
 * (dim[l+1], dim[l]) row-major, except the first layer's, which is stored transposed,
 * (dim[0], dim[1]) = (U, H): one contiguous row of H weights per input column, which is what
 * the sparse kernels walk (an observed rating at column u touches row u only). */
typedef struct ar_layout {
    int U;                    /* input and output width (users for I-AutoRec) */
    int n_hidden;             /* hidden layers, 1..AR_MAX_HIDDEN_LAYERS */
    int dim[AR_MAX_HIDDEN_LAYERS + 2];         /* U, hidden widths..., U */
    size_t off_w[AR_MAX_HIDDEN_LAYERS + 1];    /* weight of layer l: (dim[l+1], dim[l]);
                                                  layer 0: (dim[0], dim[1]) */
    size_t off_bias[AR_MAX_HIDDEN_LAYERS + 1]; /* bias of layer l: (dim[l+1]) */
    size_t n_decay;           /* all weights: the prefix L2 applies to */
    size_t n_params;          /* everything */
} ar_layout;
/* hidden: n_hidden widths (1..AR_MAX_HIDDEN_LAYERS). */
void ar_layout_init(ar_layout *l, int U, const int *hidden, int n_hidden);

/* ---- dropout keys (layout.c), shared by the model and the tests' reference ------------------ */
/* keep * 2^32 (saturating) as a threshold on a 32-bit uniform word (cl/rng.h). */
uint32_t ar_dropout_threshold(float keep);
/* The Philox layer id of hidden layer k's dropout (0-based): 0 for the first (as in one-layer
 * nets), then 2, 3, ...; 1 is the input's (AR_DROPOUT_INPUT). */
uint32_t ar_dropout_layer(int k);
#define AR_DROPOUT_INPUT 1u

/* ---- the batch's CSC (layout.c): which entries of a batch fall in each column ---------------
 * For the batch rows[0..B) of m: col_ptr (cols + 1), and for each column u the entries
 * (ent_b[e], ent_k[e]) = (batch row, index into m's entries), b ascending. The sparse path's
 * weight gradients walk it. */
void ar_sp_batch_csc(int *col_ptr, int *ent_b, int *ent_k, const struct ar_csr *m,
                     const int *rows, int B);

/* ---- model internals for tests (model.c) ---------------------------------------------------- */
/* The hidden widths a configuration asks for (into widths[AR_MAX_HIDDEN_LAYERS]); returns how
 * many: cfg->layers when n_layers > 0, else the one layer of cfg->hidden. */
int ar_config_hidden(const ar_train_config *c, int *widths);
/* Epochs and Adam steps done. */
void ar_model_counters(const ar_model *m, int *epoch, uint32_t *step);
/* Copies the parameters and both Adam moments (n_params floats each) from the device
 * (write = 0) or to it with the counters (write = 1): checkpoints. */
ar_status ar_model_state(ar_model *m, float *params, float *m1, float *v, int epoch,
                         uint32_t step, int write);
const ar_layout *ar_model_layout(const ar_model *m);
/* Copies the flat parameter buffer to host (write = 0) or from host (write = 1). */
ar_status ar_model_params(ar_model *m, float *host, int write);
/* One forward + backward pass on the items rows[0..B) at Adam step `step` (which keys dropout),
 * with the configured dropout; reads the data loss and the gradient (n_params) back. When
 * `adam` is set, also takes the Adam step (as step number `step`). */
ar_status ar_model_batch(ar_model *m, const int *rows, int B, uint32_t step, int adam,
                         double *loss, float *grads);



#endif /* AR_MODEL_H */
