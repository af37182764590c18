/* ref.h - the plain-C reference for every kernel and for a whole training step: test code,
 * linked into the tests only (the library and the tool never call it).
 *
 * One kernel, one name stem in four places: the kernel `ar_x` in cl/, its launcher `ark_x`
 * (host/core/kernels.c), its reference `ar_x_ref` here, and its test `Test(suite, x)`. Same
 * argument order as the launcher (outputs first, dims last), float storage, double accumulation.
 * The tests compare every device tensor against these.
 *
 *   kernels_ref.c  cl/activation.cl, dropout.cl, densify.cl, loss.cl, reduce.cl, adam.cl; GEMM
 *   sparse_ref.c   cl/sparse.cl
 *   step_ref.c     a whole training step (host/model/step.c) and the loss alone
 */
#ifndef AR_REF_H
#define AR_REF_H

#include "internal.h"

/* ---- kernels_ref.c ------------------------------------------------------------------------- */
/* The activations and their derivatives from the output (cl/common.cl), in double. */
double ar_activate_d(double x, int act);
float ar_activate_ref(float x, int act);
float ar_act_grad_from_out_ref(float y, int act);
/* The dropout decision of cl/rng.h, from a keep probability. */
int ar_dropout_keep_ref(uint64_t seed, uint32_t step, uint32_t layer, uint32_t element,
                        float keep);

/* C (m, n) = alpha op(A) op(B) + beta C, row-major, double accumulators (ar_gemm). */
void ar_gemm_ref(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
/* out (rows, cols) = act(in + bias[col]). */
void ar_bias_act_forward_ref(float *out, const float *in, const float *bias, int rows, int cols,
                             int act);
/* dinp (n) = dout * act'(from out). */
void ar_act_backward_ref(float *dinp, const float *dout, const float *out, int n, int act);
/* out (n) = keep(i) ? in * scale : 0 with the mask of (seed, step, layer). */
void ar_dropout_ref(float *out, const float *in, int n, float keep, float scale, uint64_t seed,
                    uint32_t step, uint32_t layer);
/* ar_dropout_ref on a hidden layer's (B, H) outputs, each unit keyed as the device keys it
 * (ar_dropout_key: its place in the padded layer). */
void ar_dropout_hidden_ref(float *out, const float *in, int B, int H, float keep, float scale,
                           uint64_t seed, uint32_t step, uint32_t layer);
/* x (B, cols) = the CSR rows rows[0..B), zero elsewhere. */
void ar_densify_ref(float *x, const struct ar_csr *m, const int *rows, int B);
/* dout (B, cols) = 2 scale (out - r) at observed positions, 0 elsewhere; row_loss[row] = SSE. */
void ar_masked_loss_backward_ref(float *dout, float *row_loss, const float *out,
                                 const struct ar_csr *m, const int *rows, int B, float scale);
/* row_err (2, n_rows): row_err[row] = sum over the row's observed positions of
 * (clamp(out + offs, lo, hi) - r)^2, row_err[n_rows + row] = the sum of |clamp(out + offs, lo,
 * hi) - r| (offs: one per entry, or NULL for none); NaN when an output there is not finite. */
void ar_masked_sse_ref(float *row_err, const float *out, const struct ar_csr *m,
                       const float *offs, const int *rows, int B, int n_rows, float lo, float hi);
/* out (cols) = the column sums of in (rows, cols). */
void ar_colsum_ref(float *out, const float *in, int rows, int cols);
/* One Adam step on n parameters, L2 (coupled) on the first n_decay. */
void ar_adam_ref(float *p, const float *grad, float *m, float *v, size_t n, size_t n_decay,
                 float lr, float beta1, float beta2, float eps, float bc1, float bc2, float l2);

/* ---- sparse_ref.c (cl/sparse.cl) -------------------------------------------------------------
 * Observed entries are addressed by their index k in the training CSR (train->vals[k]); the
 * batch is rows[0..B). "CSC of the batch" lists, for each column u, the entries (b, k) of the
 * batch in that column, b ascending: col_ptr (cols + 1), ent_b and ent_k (nnz of the batch);
 * the library builds it (ar_sp_batch_csc). */
/* xk[k] = the input value at entry k: the rating, or 0 / rating * in_scale after input dropout
 * at element b * cols + u (as the dense path drops x); in_scale is 1 for masking noise,
 * 1 / keep_in for inverted dropout (ar_input_noise). */
void ar_sp_input_ref(float *xk, const struct ar_csr *m, const int *rows, int B, float keep_in,
                     float in_scale, uint64_t seed, uint32_t step);
/* out (B, H) = act(bias + sum over row b's entries of xk[k] * WT[u_k, :]), WT (cols, H);
 * bias NULL: none (the input-gradient form). */
void ar_sp_spmm_ref(float *out, const float *xk, const float *WT, const float *bias,
                    const struct ar_csr *m, const int *rows, int B, int H, int act);
/* ar_sp_spmm_tile: column tiles change the order of the device's reads, not its sums: the
 * reference is ar_sp_spmm_ref's (tile unused). */
void ar_sp_spmm_tile_ref(float *out, const float *xk, const float *WT, const float *bias,
                         const struct ar_csr *m, const int *rows, int B, int H, int act, int tile);
/* The gradient at the last hidden layer: out (B, H) = ar_sp_spmm_ref's gradient form (no bias),
 * then mask[b H + h] ? z * scale : 0 when mask is not NULL (a stored dropout mask), then
 * z * act'(a[b, h]) from the layer's forward output a (B, H). */
void ar_sp_spmm_backward_ref(float *out, const float *dyk, const float *W,
                             const struct ar_csr *m, const int *rows, int B, int H,
                             const unsigned char *mask, float scale, const float *a, int act);
/* The SpMMs in a GPU's shape, first pass: part (B P, H), row b's entries cut into P contiguous
 * chunks of ceil(n / P) (the last ones shorter or empty), part[b P + p, :] = the sum over chunk
 * p of xk[k] * WT[u_k, :]. */
void ar_sp_spmm_part_ref(float *part, const float *xk, const float *WT, const struct ar_csr *m,
                         const int *rows, int B, int H, int P);
/* out (B, H) = z, the sum over p of part[b P + p, :]; then backward = 0: act(bias + z) (bias
 * NULL: z unchanged, act unused), backward = 1: mask[i] ? z * scale : 0 (mask NULL: none), then
 * z * act'(a[i]). */
void ar_sp_spmm_join_ref(float *out, const float *part, const float *bias, int B, int H, int act,
                         int P, int backward, const unsigned char *mask, float scale,
                         const float *a);
/* yk[k] = act(bias[u_k] + a[b, :] . W[u_k, :]) at every entry of the batch; W (cols, H), a (B, H);
 * pos is the CSR of the positions to compute (training, or test / validation at evaluation). */
void ar_sp_sddmm_ref(float *yk, const float *a, const float *W, const float *bias,
                     const struct ar_csr *pos, const int *rows, int B, int H, int act);
/* ar_sp_sddmm_ref in ar_sp_sddmm_split's float order: S strided partial sums per entry (lane j
 * over h = j, j + S, ...), added in the kernel's tree, then the bias. */
void ar_sp_sddmm_split_ref(float *yk, const float *a, const float *W, const float *bias,
                           const struct ar_csr *pos, const int *rows, int B, int H, int act,
                           int S);
/* ar_sp_sddmm_ref at a batch's entries walked from its CSC (col_ptr, ent_b, ent_k, cols). */
void ar_sp_sddmm_csc_ref(float *yk, const float *a, const float *W, const float *bias,
                         const int *col_ptr, const int *ent_b, const int *ent_k, int cols, int H,
                         int act);
/* dyk[k] = 2 scale (yk[k] - r_k) act'(yk[k]); row_loss[row] = sum over the row of (yk - r)^2. */
/* Training's decoder, loss and last hidden gradient in one: ar_sp_sddmm_ref (yk at the batch's
 * entries of m, out_act), ar_sp_loss_backward_ref (dyk, row_loss, targets m->vals, scale), then
 * ar_sp_spmm_backward_ref from dyk (dz (B, H); mask, mscale, act_out, act). */
void ar_sp_decode_backward_ref(float *yk, float *dyk, float *row_loss, float *dz, const float *a,
                               const float *W, const float *bias, const struct ar_csr *m,
                               const int *rows, int B, int H, int out_act, float scale,
                               const unsigned char *mask, float mscale, const float *act_out,
                               int act);
void ar_sp_loss_backward_ref(float *dyk, float *row_loss, const float *yk, const struct ar_csr *m,
                             const int *rows, int B, float scale, int act);
/* ar_sp_loss_backward_ref's dyk with each row's entries in P contiguous chunks (as
 * ar_sp_spmm_part_ref cuts them); part (2, B P): part[b P + p] = chunk p's sum of (yk - r)^2,
 * part[B P + b P + p] = 0 (the device's Kahan compensation; exact here). */
void ar_sp_loss_part_ref(float *dyk, float *part, const float *yk, const struct ar_csr *m,
                         const int *rows, int B, float scale, int act, int P);
/* row_loss[rows[b]] = the sum over p of part[b P + p] - part[B P + b P + p]. */
void ar_sp_loss_join_ref(float *row_loss, const float *part, const int *rows, int B, int P);
/* row_err (2, n_rows): row_err[row] = sum over the row of (clamp(yk + offs, lo, hi) - r)^2,
 * row_err[n_rows + row] = the sum of |clamp(yk + offs, lo, hi) - r| (offs NULL: none); NaN when
 * a yk there is not finite. */
void ar_sp_sse_ref(float *row_err, const float *yk, const struct ar_csr *m, const float *offs,
                   const int *rows, int B, int n_rows, float lo, float hi);
/* dW (cols, H): dW[u, :] = sum over the batch's entries (b, k) in column u of ck[k] * in[b, :]
 * (0 for columns without one). */
void ar_sp_weight_grad_ref(float *dW, const float *ck, const float *in, const int *col_ptr,
                           const int *ent_b, const int *ent_k, int cols, int H);
/* The fused step of ar_sp_weight_adam: dW as ar_sp_weight_grad_ref, then ar_adam_ref on W
 * (cols, H) with every element decayed; p, m, v are W's own (cols H each). */
void ar_sp_weight_adam_ref(float *p, float *m, float *v, const float *ck, const float *in,
                           const int *col_ptr, const int *ent_b, const int *ent_k, int cols,
                           int H, float lr, float b1, float b2, float eps, float bc1, float bc2,
                           float l2);
/* ar_sp_bias_adam: the decoder's biases p_dec (cols) step with the gradient of
 * ar_sp_bias_grad_ref, the encoder's p_enc (H) with in's (B, H) column sums (ar_colsum_ref);
 * Adam as ar_adam_ref without L2; m and v alongside each. */
void ar_sp_bias_adam_ref(float *p_dec, float *m_dec, float *v_dec, float *p_enc, float *m_enc,
                         float *v_enc, const float *ck, const int *col_ptr, const int *ent_k,
                         int cols, const float *in, int B, int H, float lr, float b1, float b2,
                         float eps, float bc1, float bc2);
/* db (cols): db[u] = sum of ck[k] over the batch's entries in column u. */
void ar_sp_bias_grad_ref(float *db, const float *ck, const int *col_ptr, const int *ent_k,
                         int cols);

/* ---- step_ref.c ---------------------------------------------------------------------------- */
/* One forward and backward pass of AutoRec on the batch rows[0..B) of train, exactly as the
 * device does it (hidden dropout with keep probability `keep` at (seed, step,
 * ar_dropout_layer(k)), input dropout with `keep_in` at (seed, step, AR_DROPOUT_INPUT), kept
 * ratings times in_scale). Writes the gradient of the data loss (masked MSE over the batch; L2
 * is added by Adam) into grads, and the decoder output into out (B, U) when out is not NULL.
 * Returns the data loss. */
double ar_step_ref(const ar_layout *l, const float *params, float *grads,
                   const struct ar_csr *train, const int *rows, int B, float keep,
                   float keep_in, float in_scale, uint64_t seed, uint32_t step, int act,
                   int out_act, float *out);
/* The data loss alone, accumulated in double throughout (for finite differences). */
double ar_loss_ref(const ar_layout *l, const float *params, const struct ar_csr *train,
                   const int *rows, int B, float keep, float keep_in, float in_scale,
                   uint64_t seed, uint32_t step, int act, int out_act);

#endif /* AR_REF_H */
