/* loss.cl - the loss over observed ratings only. The observed positions of batch row b are
 * the CSR entries of row rows[rows_off + b]; nothing else is read or scored. Per-row sums use
 * Kahan summation (OpenCL 1.2 has no portable double) and land in a per-CSR-row buffer, so that
 * the host reads one array per epoch and adds it up in double, in a fixed order. */

/* dout (B, cols) must be zeroed first. At each observed (b, c) with rating r:
 *   dout[b, c] = 2 * scale * (out[b, c] - r)      (scale = 1 / observed ratings in the batch)
 * and row_loss[row] = sum over the row of (out - r)^2. */
__kernel void ar_masked_loss_backward(__global float *dout, __global float *row_loss,
                                      __global const float *out, __global const int *row_ptr,
                                      __global const int *col_idx, __global const float *vals,
                                      __global const int *rows, int rows_off, int B, int cols,
                                      float scale) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    int r = rows[rows_off + b];
    size_t base = (size_t)b * (size_t)cols;
    float sum = 0.0f, comp = 0.0f;
    for (int k = row_ptr[r]; k < row_ptr[r + 1]; k++) {
        float d = out[base + col_idx[k]] - vals[k];
        dout[base + col_idx[k]] = 2.0f * scale * d;
        ar_kahan_add(&sum, &comp, d * d);
    }
    row_loss[r] = sum;
}

/* The evaluation protocol's errors of each batch row (predictions clamped to the rating scale),
 * into row_err (2, n_rows): row_err[row] = sum over the row's observed entries of
 * (clamp(out + offs, lo, hi) - r)^2, row_err[n_rows + row] = the sum of |clamp(out + offs, lo,
 * hi) - r|. offs (one float per entry k): the bias baseline under the network (ar_center), read
 * only when use_offs is set. A non-finite output makes both of the row's sums NaN instead of
 * being clamped into the scale (clamp takes NaN to lo): evaluation then fails rather than score
 * a number the model did not produce. */
__kernel void ar_masked_sse(__global float *row_err, __global const float *out,
                            __global const int *row_ptr, __global const int *col_idx,
                            __global const float *vals, __global const float *offs, int use_offs,
                            __global const int *rows, int rows_off, int B, int cols, int n_rows,
                            float lo, float hi) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    int r = rows[rows_off + b];
    size_t base = (size_t)b * (size_t)cols;
    float sum = 0.0f, comp = 0.0f, asum = 0.0f, acomp = 0.0f;
    for (int k = row_ptr[r]; k < row_ptr[r + 1]; k++) {
        float y = out[base + col_idx[k]];
        if (use_offs) y += offs[k];
        float d = (isfinite(y) ? clamp(y, lo, hi) : NAN) - vals[k];
        ar_kahan_add(&sum, &comp, d * d);
        ar_kahan_add(&asum, &acomp, fabs(d));
    }
    row_err[r] = sum;
    row_err[n_rows + r] = asum;
}
