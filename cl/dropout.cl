/* dropout.cl - dropout with a counter-based mask (see rng.h). A hidden layer's forward pass
 * also stores its mask, one byte per element (mode AR_DROP_STORE), and the backward pass applies
 * it to the gradient (AR_DROP_APPLY: dinp = keep(i) ? dout * scale : 0) instead of drawing it
 * again: the same mask, for a byte per element instead of a Philox draw (docs/performance.md,
 * s13). AR_DROP_DRAW draws without storing (input noise, which has no backward pass). */

/* out = keep(i) ? in * scale : 0 (n). scale: 1 / keep probability for inverted dropout (hidden
 * layers), 1 for masking noise (the input). out may equal in. Each work-item takes 64
 * neighbouring elements, which share 8 Philox blocks (ar_dropout_keep64), the last few one by
 * one. */
__kernel void ar_dropout(__global float *out, __global const float *in, __global uchar *mask,
                         int mode, int n, uint threshold, float scale, uint seed_lo,
                         uint seed_hi, uint step, uint layer) {
    size_t i = 64 * get_global_id(0);
    if (i >= (size_t)n) return;
    if (i + 64 > (size_t)n) {
        for (size_t j = i; j < (size_t)n; j++) {
            int keep = mode == AR_DROP_APPLY
                           ? mask[j] != 0
                           : ar_dropout_keep(seed_lo, seed_hi, step, layer, (uint)j, threshold);
            if (mode == AR_DROP_STORE) mask[j] = (uchar)keep;
            out[j] = keep ? in[j] * scale : 0.0f;
        }
        return;
    }
    int8 keep[8];
    if (mode == AR_DROP_APPLY) {
        _Pragma("unroll") for (int q = 0; q < 8; q++)
            keep[q] = convert_int8(vload8(q, mask + i)) != (int8)(0);
    } else {
        ar_dropout_keep64(keep, (uint)i, step, layer, seed_lo, seed_hi, threshold);
        if (mode == AR_DROP_STORE)
            _Pragma("unroll") for (int q = 0; q < 8; q++)
                vstore8(convert_uchar8(keep[q] & (int8)(1)), q, mask + i);
    }
    _Pragma("unroll") for (int q = 0; q < 8; q++)
        vstore8(select((float8)(0.0f), vload8(q, in + i) * scale, keep[q]), q, out + i);
}
