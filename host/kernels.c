/* kernels.c - the kernel table and one launcher per kernel. Launchers only set arguments and
 * enqueue: nothing here waits for the device. */
#include <string.h>

#include "internal.h"

#define KERNEL_LIST(X)                                                                         \
    X(bias_act_forward) X(act_backward) X(dropout_forward) X(densify)      \
    X(masked_loss_backward) X(masked_sse) X(colsum) X(adam)

ar_status ar_kernels_create(ar_ctx *c) {
    ar_status st = AR_OK;
    cl_int err = CL_SUCCESS;
    size_t wg = c->max_wg < 64 ? c->max_wg : 64;
#define CREATE(name)                                                                           \
    c->k.name = clCreateKernel(c->program, "ar_" #name, &err);                                \
    AR_CL_TRY(err);                                                                            \
    {                                                                                          \
        size_t kwg = 0;                                                                        \
        AR_CL_TRY(clGetKernelWorkGroupInfo(c->k.name, c->device, CL_KERNEL_WORK_GROUP_SIZE,    \
                                           sizeof kwg, &kwg, NULL));                           \
        if (kwg < wg) wg = kwg;                                                                \
    }
    KERNEL_LIST(CREATE)
#undef CREATE
    c->wg = wg ? wg : 1;
cleanup:
    return st;
}

void ar_kernels_release(ar_kernels *k) {
#define RELEASE(name)                                                                          \
    if (k->name) clReleaseKernel(k->name);
    KERNEL_LIST(RELEASE)
#undef RELEASE
    memset(k, 0, sizeof *k);
}

/* Sets the kernel's arguments from a list of (size, pointer) pairs, then enqueues n work-items
 * as a 1-D range rounded up to the work-group size (kernels check their bounds). */
typedef struct { size_t size; const void *ptr; } arg;
#define A(x) ((arg){sizeof(x), &(x)})

static ar_status launch(ar_ctx *c, cl_kernel k, const char *name, int phase, size_t n,
                        const arg *args, int nargs) {
    ar_status st = AR_OK;
    if (n == 0) return AR_OK;
    for (int i = 0; i < nargs; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (err != CL_SUCCESS)
            return ar_fail(AR_ERR_OPENCL, "clSetKernelArg(ar_%s, %d) failed: %s (%d)", name, i,
                           ar_cl_error_name(err), (int)err);
    }
    size_t local = c->wg, global = (n + local - 1) / local * local;
    cl_event ev;
    cl_int err = clEnqueueNDRangeKernel(c->queue, k, 1, NULL, &global, &local, 0, NULL,
                                        ar_prof_slot(c, &ev));
    if (err == CL_SUCCESS) ar_prof_add(c, phase, NULL, ev);
    else
        st = ar_fail(ar_cl_status(err), "enqueue of kernel ar_%s (%zu work-items) failed: %s (%d)",
                     name, n, ar_cl_error_name(err), (int)err);
    return st;
}
#define LAUNCH(name, phase, n, ...)                                                            \
    do {                                                                                       \
        const arg args_[] = {__VA_ARGS__};                                                     \
        return launch(c, c->k.name, #name, AR_PHASE_##phase, (n), args_,                       \
                      (int)(sizeof args_ / sizeof *args_));                                    \
    } while (0)

ar_status ark_bias_act_forward(ar_ctx *c, cl_mem out, cl_mem in, cl_mem bias, int bias_off,
                               int rows, int cols, int act) {
    LAUNCH(bias_act_forward, ACTIVATION, (size_t)rows * (size_t)cols, A(out), A(in), A(bias), A(bias_off),
           A(rows), A(cols), A(act));
}

ar_status ark_act_backward(ar_ctx *c, cl_mem dinp, cl_mem dout, cl_mem out, int n, int act) {
    LAUNCH(act_backward, ACTIVATION, (size_t)n, A(dinp), A(dout), A(out), A(n), A(act));
}

ar_status ark_dropout_forward(ar_ctx *c, cl_mem out, cl_mem in, int n, float keep, uint64_t seed,
                              uint32_t step, uint32_t layer) {
    /* keep * 2^32 as a threshold on a uniform 32-bit word, computed as in ref.c */
    cl_uint thr = ar_dropout_threshold(keep), lo = (cl_uint)seed, hi = (cl_uint)(seed >> 32);
    cl_uint st = step, ly = layer;
    float scale = 1.0f / keep;
    LAUNCH(dropout_forward, DROPOUT, (size_t)n, A(out), A(in), A(n), A(thr), A(scale), A(lo), A(hi), A(st),
           A(ly));
}

/* The same mask and scale applied to the gradient: the forward kernel does exactly that. */
ar_status ark_dropout_backward(ar_ctx *c, cl_mem dinp, cl_mem dout, int n, float keep,
                               uint64_t seed, uint32_t step, uint32_t layer) {
    return ark_dropout_forward(c, dinp, dout, n, keep, seed, step, layer);
}

ar_status ark_densify(ar_ctx *c, cl_mem x, cl_mem row_ptr, cl_mem col_idx, cl_mem vals,
                      cl_mem rows, int rows_off, int B, int cols) {
    LAUNCH(densify, DENSIFY, (size_t)B, A(x), A(row_ptr), A(col_idx), A(vals), A(rows), A(rows_off), A(B),
           A(cols));
}

ar_status ark_masked_loss_backward(ar_ctx *c, cl_mem dout, cl_mem row_loss, cl_mem out,
                                   cl_mem row_ptr, cl_mem col_idx, cl_mem vals, cl_mem rows,
                                   int rows_off, int B, int cols, float scale) {
    LAUNCH(masked_loss_backward, LOSS, (size_t)B, A(dout), A(row_loss), A(out), A(row_ptr), A(col_idx),
           A(vals), A(rows), A(rows_off), A(B), A(cols), A(scale));
}

ar_status ark_masked_sse(ar_ctx *c, cl_mem row_sse, cl_mem out, cl_mem row_ptr, cl_mem col_idx,
                         cl_mem vals, cl_mem rows, int rows_off, int B, int cols, float lo,
                         float hi) {
    LAUNCH(masked_sse, LOSS, (size_t)B, A(row_sse), A(out), A(row_ptr), A(col_idx), A(vals), A(rows),
           A(rows_off), A(B), A(cols), A(lo), A(hi));
}

ar_status ark_colsum(ar_ctx *c, cl_mem out, int out_off, cl_mem in, int rows, int cols) {
    LAUNCH(colsum, BIAS_GRAD, (size_t)cols, A(out), A(out_off), A(in), A(rows), A(cols));
}

ar_status ark_adam(ar_ctx *c, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int n,
                   int n_decay, float lr, float beta1, float beta2, float eps, float bc1,
                   float bc2, float l2) {
    LAUNCH(adam, ADAM, (size_t)n, A(params), A(grads), A(m), A(v), A(n), A(n_decay), A(lr), A(beta1),
           A(beta2), A(eps), A(bc1), A(bc2), A(l2));
}

ar_status ark_fill(ar_ctx *c, cl_mem buf, size_t off, size_t n, float value) {
    ar_status st = AR_OK;
    if (n == 0) return AR_OK;
    cl_event ev;
    AR_CL_TRY(clEnqueueFillBuffer(c->queue, buf, &value, sizeof value, off * sizeof(float),
                                  n * sizeof(float), 0, NULL, ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_FILL, NULL, ev);
cleanup:
    return st;
}
