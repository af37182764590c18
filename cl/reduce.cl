/* reduce.cl - column sums for bias gradients: out[out_off + j] = sum_i in[i, j], in (rows, cols).
 * One work-item per column walks down the rows: neighbouring work-items read neighbouring
 * addresses, the order of additions is fixed (deterministic, no atomics), Kahan-compensated. */
__kernel void ar_colsum(__global float *out, int out_off, __global const float *in, int rows,
                        int cols) {
    int j = (int)get_global_id(0);
    if (j >= cols) return;
    float sum = 0.0f, comp = 0.0f;
    for (int i = 0; i < rows; i++) {
        ar_kahan_add(&sum, &comp, in[(size_t)i * (size_t)cols + j]);
    }
    out[out_off + j] = sum;
}
