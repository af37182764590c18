/* dropout.cl - inverted dropout with a counter-based mask (see rng.h). The backward pass draws
 * the same mask again instead of storing it. */

/* out = keep(i) ? in * scale : 0, scale = 1 / keep probability; (n). out may equal in. */
__kernel void ar_dropout_forward(__global float *out, __global const float *in, int n,
                                 uint threshold, float scale, uint seed_lo, uint seed_hi,
                                 uint step, uint layer) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n) return;
    out[i] = ar_dropout_keep(seed_lo, seed_hi, step, layer, (uint)i, threshold) ? in[i] * scale
                                                                                 : 0.0f;
}

/* dinp = keep(i) ? dout * scale : 0; (n). dinp may equal dout. */
__kernel void ar_dropout_backward(__global float *dinp, __global const float *dout, int n,
                                  uint threshold, float scale, uint seed_lo, uint seed_hi,
                                  uint step, uint layer) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n) return;
    dinp[i] = ar_dropout_keep(seed_lo, seed_hi, step, layer, (uint)i, threshold) ? dout[i] * scale
                                                                                  : 0.0f;
}
