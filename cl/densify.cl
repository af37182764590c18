/* densify.cl - builds a dense mini-batch from the CSR ratings kept on the device.
 * x (B, cols) must be zeroed first; row b of the batch is CSR row rows[rows_off + b]. One
 * work-item per batch row: rows are short (tens to thousands of entries) and independent. */
__kernel void ar_densify(__global float *x, __global const int *row_ptr,
                         __global const int *col_idx, __global const float *vals,
                         __global const int *rows, int rows_off, int B, int cols) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    int r = rows[rows_off + b];
    __global float *xb = x + (size_t)b * (size_t)cols;
    for (int k = row_ptr[r]; k < row_ptr[r + 1]; k++) xb[col_idx[k]] = vals[k];
}
