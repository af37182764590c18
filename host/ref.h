/* ref.h - the plain-C reference for every kernel and for a whole training step.
 *
 * Same names as the kernels with _ref, same argument order (outputs first, dims last), float
 * storage and double accumulation. The tests compare every device tensor against these.
 */
#ifndef AR_REF_H
#define AR_REF_H

#include <stddef.h>
#include <stdint.h>

struct ar_csr;

#define AR_LAYOUT_MAX_HIDDEN 8

/* Where each tensor lives in the flat parameter (and gradient, and Adam m / v) buffer. The
 * weights of every layer come first, then the biases, so that L2 applies to one prefix
 * [0, n_decay). Layer l (0..n_hidden) maps dim[l] inputs to dim[l+1] outputs. */
typedef struct ar_layout {
    int U, H;                 /* input and output width (users for I-AutoRec); first hidden width */
    int n_hidden;             /* hidden layers */
    int dim[AR_LAYOUT_MAX_HIDDEN + 2]; /* U, hidden widths..., U */
    size_t off_w[AR_LAYOUT_MAX_HIDDEN + 1];    /* weight of layer l: (dim[l+1], dim[l]) */
    size_t off_bias[AR_LAYOUT_MAX_HIDDEN + 1]; /* bias of layer l: (dim[l+1]) */
    size_t off_V;             /* V (H, U): the first layer's weight, off_w[0] */
    size_t off_W;             /* W (U, H_last): the last layer's weight, off_w[n_hidden] */
    size_t off_mu;            /* mu (H): the first layer's bias */
    size_t off_b;             /* b (U): the last layer's bias */
    size_t n_decay;           /* all weights */
    size_t n_params;          /* everything */
} ar_layout;
/* hidden: n_hidden widths (1..AR_LAYOUT_MAX_HIDDEN). */
void ar_layout_init(ar_layout *l, int U, const int *hidden, int n_hidden);

float ar_activate_ref(float x, int act);
float ar_act_grad_from_out_ref(float y, int act);
/* keep * 2^32 (saturating) as a threshold on a 32-bit uniform word. */
uint32_t ar_dropout_threshold(float keep);
int ar_dropout_keep_ref(uint64_t seed, uint32_t step, uint32_t layer, uint32_t element,
                        float keep);

/* C (m, n) = alpha op(A) op(B) + beta C, row-major, double accumulators. */
void ar_gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
void ar_bias_act_forward_ref(float *out, const float *in, const float *bias, int rows, int cols,
                             int act);
void ar_act_backward_ref(float *dinp, const float *dout, const float *out, int n, int act);
void ar_dropout_forward_ref(float *out, const float *in, int n, float keep, uint64_t seed,
                            uint32_t step, uint32_t layer);
void ar_dropout_backward_ref(float *dinp, const float *dout, int n, float keep, uint64_t seed,
                             uint32_t step, uint32_t layer);
/* x (B, cols) = the CSR rows rows[0..B), zero elsewhere. */
void ar_densify_ref(float *x, const struct ar_csr *m, const int *rows, int B);
/* dout (B, cols) = 2 scale (out - r) at observed positions, 0 elsewhere; row_loss[row] = SSE. */
void ar_masked_loss_backward_ref(float *dout, float *row_loss, const float *out,
                                 const struct ar_csr *m, const int *rows, int B, float scale);
void ar_masked_sse_ref(float *row_sse, const float *out, const struct ar_csr *m, const int *rows,
                       int B, float lo, float hi);
void ar_colsum_ref(float *out, const float *in, int rows, int cols);
void ar_adam_ref(float *p, const float *grad, float *m, float *v, size_t n, size_t n_decay,
                 float lr, float beta1, float beta2, float eps, float bc1, float bc2, float l2);

/* One forward and backward pass of I-AutoRec on the batch rows[0..B) of train, exactly as the
 * device does it (hidden dropout with keep probability `keep` at (seed, step, layer 0), input
 * dropout with `keep_in` at (seed, step, layer 1)). Writes the
 * gradient of the data loss (masked MSE over the batch; L2 is added by Adam) into grads, and
 * the decoder output into out (B, U) when out is not NULL. Returns the data loss. */
double ar_ref_forward_backward(const ar_layout *l, const float *params, float *grads,
                               const struct ar_csr *train, const int *rows, int B, float keep,
                               float keep_in, uint64_t seed, uint32_t step, int act,
                               int out_act, float *out);
/* The data loss alone, accumulated in double throughout (for finite differences). */
double ar_ref_loss(const ar_layout *l, const float *params, const struct ar_csr *train,
                   const int *rows, int B, float keep, float keep_in, uint64_t seed,
                   uint32_t step, int act, int out_act);

#endif /* AR_REF_H */
