/* reduce.cl - column sums for bias gradients: out[out_off + j] = sum_i in[i, j], in (rows, cols).
 * Each work-item owns 8 neighbouring columns (the last work-item of a row fewer) and walks down
 * the rows: neighbouring work-items read neighbouring 32-byte pieces, the order of additions is
 * fixed (deterministic, no atomics), Kahan-compensated lane by lane. 8 columns per work-item
 * rather than one: PoCL does not vectorise scalar work-items across a group, and the scalar
 * form cost 5x more (docs/performance.md, s14). */
__kernel void ar_colsum(__global float *out, int out_off, __global const float *in, int rows,
                        int cols) {
    int j = 8 * (int)get_global_id(0);
    if (j >= cols) return;
    const int n = cols - j;
    float8 sum = (float8)(0.0f), comp = (float8)(0.0f);
    for (int i = 0; i < rows; i++)
        ar_kahan_add8(&sum, &comp, ar_load8(in + (size_t)i * (size_t)cols + j, n));
    ar_store8(out + out_off + j, sum, n);
}
