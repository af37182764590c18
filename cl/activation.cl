/* activation.cl - bias + activation, forward and backward. The global size may exceed the
 * work (rounded up to the work-group size), hence the bounds checks. */

/* out = act(in + bias[bias_off + column]); in (rows, cols), bias (cols). out may equal in. Each
 * work-item takes 8 neighbouring columns of a row (the last ones of a row fewer) through
 * ar_activate8, the function the sparse encoder's epilogue uses: the two paths, and a model
 * sharded into one piece, compute the same activations bit for bit. */
__kernel void ar_bias_act_forward(__global float *out, __global const float *in,
                                  __global const float *bias, int bias_off, int rows, int cols,
                                  int act) {
    size_t i = get_global_id(0), per_row = ((size_t)cols + 7) / 8;
    if (i >= (size_t)rows * per_row) return;
    int c0 = 8 * (int)(i % per_row), n = cols - c0;
    size_t at = (i / per_row) * (size_t)cols + (size_t)c0;
    float8 v = ar_load8(in + at, n) + ar_load8(bias + bias_off + c0, n);
    ar_store8(out + at, ar_activate8(v, act), n);
}

/* dinp = dout * act'(.) computed from the forward output `out`; all (n). dinp may equal dout. */
__kernel void ar_act_backward(__global float *dinp, __global const float *dout,
                              __global const float *out, int n, int act) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n) return;
    dinp[i] = dout[i] * ar_act_grad_from_out(out[i], act);
}
