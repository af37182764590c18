/* dropout.cl - dropout with a counter-based mask (see rng.h). The backward pass draws the same
 * mask again instead of storing it: the host runs this kernel on the gradient
 * (dinp = keep(i) ? dout * scale : 0), so forward and backward cannot disagree. */

/* out = keep(i) ? in * scale : 0 (n). scale: 1 / keep probability for inverted dropout (hidden
 * layers), 1 for masking noise (the input). out may equal in. Each work-item takes 8
 * neighbouring elements (ar_philox8_first), the last few one by one. */
__kernel void ar_dropout(__global float *out, __global const float *in, int n,
                                 uint threshold, float scale, uint seed_lo, uint seed_hi,
                                 uint step, uint layer) {
    size_t i = 8 * get_global_id(0);
    if (i >= (size_t)n) return;
    if (i + 8 > (size_t)n) {
        for (size_t j = i; j < (size_t)n; j++)
            out[j] = ar_dropout_keep(seed_lo, seed_hi, step, layer, (uint)j, threshold)
                         ? in[j] * scale : 0.0f;
        return;
    }
    uint8 e = (uint8)((uint)i) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7);
    int8 keep = ar_philox8_first(e, step, layer, seed_lo, seed_hi) < (uint8)(threshold);
    vstore8(select((float8)(0.0f), vload8(0, in + i) * scale, keep), 0, out + i);
}
