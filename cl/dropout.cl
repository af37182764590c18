/* dropout.cl - dropout with a counter-based mask (see rng.h). The backward pass draws the same
 * mask again instead of storing it: the host runs this kernel on the gradient
 * (dinp = keep(i) ? dout * scale : 0), so forward and backward cannot disagree. */

/* out = keep(i) ? in * scale : 0 (n). scale: 1 / keep probability for inverted dropout (hidden
 * layers), 1 for masking noise (the input). out may equal in. */
__kernel void ar_dropout(__global float *out, __global const float *in, int n,
                                 uint threshold, float scale, uint seed_lo, uint seed_hi,
                                 uint step, uint layer) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n) return;
    out[i] = ar_dropout_keep(seed_lo, seed_hi, step, layer, (uint)i, threshold) ? in[i] * scale
                                                                                 : 0.0f;
}
