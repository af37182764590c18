/* activation.cl - bias + activation, forward and backward. One work-item per element; the
 * global size may exceed n (rounded up to the work-group size), hence the bounds checks. */

/* out = act(in + bias[bias_off + column]); in (rows, cols), bias (cols). out may equal in. */
__kernel void ar_bias_act_forward(__global float *out, __global const float *in,
                                  __global const float *bias, int bias_off, int rows, int cols,
                                  int act) {
    size_t i = get_global_id(0);
    if (i >= (size_t)rows * (size_t)cols) return;
    int j = (int)(i % (size_t)cols);
    out[i] = ar_activate(in[i] + bias[bias_off + j], act);
}

/* dinp = dout * act'(.) computed from the forward output `out`; all (n). dinp may equal dout. */
__kernel void ar_act_backward(__global float *dinp, __global const float *dout,
                              __global const float *out, int n, int act) {
    size_t i = get_global_id(0);
    if (i >= (size_t)n) return;
    dinp[i] = dout[i] * ar_act_grad_from_out(out[i], act);
}
