/* kernels.c - the kernel table and one launcher per kernel. Launchers only set arguments and
 * enqueue: nothing here waits for the device. */
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include "internal.h"

#define KERNEL_LIST(X)                                                                         \
    X(bias_act_forward) X(act_backward) X(dropout) X(densify)      \
    X(masked_loss_backward) X(masked_sse) X(colsum) X(adam) X(sp_input) X(sp_spmm) X(sp_sddmm) \
    X(sp_sddmm_split) X(sp_sddmm_csc) X(sp_spmm_backward) X(sp_decode_backward) X(sp_bias_adam) \
    X(sp_spmm_tile) X(sp_spmm_part) X(sp_spmm_join) X(sp_loss_part) X(sp_loss_join) \
    X(sp_loss_backward) X(sp_sse) X(sp_weight_grad) X(sp_weight_adam) X(sp_bias_grad)

ar_status ar_kernels_create(ar_ctx *c) {
    ar_status st = AR_OK;
    cl_int err = CL_SUCCESS;
    size_t wg = c->max_wg < 64 ? c->max_wg : 64;
#define CREATE(name)                                                                           \
    c->k.name = clCreateKernel(c->program, "ar_" #name, &err);                                \
    AR_CL_TRY_AS("clCreateKernel(ar_" #name ")", err);                                        \
    {                                                                                          \
        size_t kwg = 0;                                                                        \
        AR_CL_TRY(clGetKernelWorkGroupInfo(c->k.name, c->device, CL_KERNEL_WORK_GROUP_SIZE,    \
                                           sizeof kwg, &kwg, NULL));                           \
        if (c->k.name == c->k.sp_sddmm_split) c->wg_split = kwg;                               \
        else if (kwg < wg) wg = kwg;                                                           \
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

static ar_status set_args(cl_kernel k, const char *name, const arg *args, int nargs) {
    for (int i = 0; i < nargs; i++) {
        cl_int err = clSetKernelArg(k, (cl_uint)i, args[i].size, args[i].ptr);
        if (err != CL_SUCCESS)
            return ar_fail(AR_ERR_OPENCL, "clSetKernelArg(ar_%s, %d) failed: %s (%d)", name, i,
                           ar_cl_error_name(err), (int)err);
    }
    return AR_OK;
}

/* Enqueues k over a dims-D range (global, local), with fault injection and the phase's
 * profiling; a failure names the kernel and the work-items asked for (want: dims sizes). */
static ar_status enqueue(ar_ctx *c, cl_kernel k, const char *name, int phase, cl_uint dims,
                         const size_t *want, const size_t *global, const size_t *local) {
    cl_event ev;
    cl_int err = (cl_int)ar_fault(AR_FAULT_CL);
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(c->queue, k, dims, NULL, global, local, 0, NULL,
                                     ar_prof_slot(c, &ev));
    if (err != CL_SUCCESS && dims == 1)
        return ar_fail(ar_cl_status(err), "enqueue of kernel ar_%s (%zu work-items) failed: %s "
                       "(%d)", name, want[0], ar_cl_error_name(err), (int)err);
    if (err != CL_SUCCESS)
        return ar_fail(ar_cl_status(err), "enqueue of kernel ar_%s (%zu x %zu work-items) "
                       "failed: %s (%d)", name, want[0], want[1], ar_cl_error_name(err), (int)err);
    ar_prof_add(c, phase, NULL, ev);
    return AR_OK;
}

/* n work-items as a 1-D range. `row` > 0: the kernel gives each of its rows (batch rows of
 * unequal lengths) `row` work-items, and on a CPU each row is a work-group of its own. PoCL's
 * CPU device hands a thread 1 + R / T of the R work-groups left at once (T threads, at most 32
 * T): of 16 groups of 16 rows one thread took 9 and the other the last 7, however long their
 * rows. With one row per group the chunks end in single rows, which even out the rows'
 * lengths (the fused decoder's phase 1.03x, docs/performance.md s28). */
static ar_status launch(ar_ctx *c, cl_kernel k, const char *name, int phase, size_t n, int row,
                        const arg *args, int nargs) {
    ar_status st = AR_OK;
    if (n == 0) return AR_OK;
    if ((st = set_args(k, name, args, nargs)) != AR_OK) return st;
    size_t local = c->wg;
    if (!strcmp(c->info.type, "cpu") && row > 0 && (size_t)row <= c->wg) {
        local = (size_t)row;
    } else if (!strcmp(c->info.type, "cpu")) {
        /* a CPU runs a work-group on one core: a small range (a layer's columns in ar_colsum)
         * still gets eight groups a core, or one core did all of it, or waited for the other
         * (docs/performance.md, s16) */
        const size_t want = 8 * (size_t)(c->info.compute_units ? c->info.compute_units : 1);
        while (local > 1 && (n + local - 1) / local < want) local /= 2;
    }
    size_t global = (n + local - 1) / local * local;
    return enqueue(c, k, name, phase, 1, &n, &global, &local);
}
/* A 2-D range (gx, gy) with work-groups (up to wg, 1): a group shares its y, so loops that
 * depend only on y run in step across the group (vectorised on CPUs, coalesced on GPUs). */
static ar_status launch2d(ar_ctx *c, cl_kernel k, const char *name, int phase, size_t gx,
                          size_t gy, const arg *args, int nargs) {
    if (gx == 0 || gy == 0) return AR_OK;
    ar_status st = set_args(k, name, args, nargs);
    if (st != AR_OK) return st;
    size_t local[2] = {gx < c->wg ? gx : c->wg, 1};
    if (c->kp.sp_group > 0 && (size_t)c->kp.sp_group < local[0])
        local[0] = (size_t)c->kp.sp_group;
    /* rows per group: as many as asked, within the device's group size and the range */
    size_t rows = (size_t)c->kp.sp_rows;
    while (rows > 1 && (rows > gy || local[0] * rows > c->max_wg)) rows--;
    local[1] = rows;
    size_t global[2] = {(gx + local[0] - 1) / local[0] * local[0],
                        (gy + local[1] - 1) / local[1] * local[1]}, want[2] = {gx, gy};
    return enqueue(c, k, name, phase, 2, want, global, local);
}
#define LAUNCH2D(name, phase, gx, gy, ...)                                                     \
    do {                                                                                       \
        const arg args_[] = {__VA_ARGS__};                                                     \
        return launch2d(c, c->k.name, #name, AR_PHASE_##phase, (gx), (gy), args_,             \
                        (int)(sizeof args_ / sizeof *args_));                                  \
    } while (0)

#define LAUNCH(name, phase, n, ...)                                                            \
    do {                                                                                       \
        const arg args_[] = {__VA_ARGS__};                                                     \
        return launch(c, c->k.name, #name, AR_PHASE_##phase, (n), 0, args_,                    \
                      (int)(sizeof args_ / sizeof *args_));                                    \
    } while (0)

ar_status ark_bias_act_forward(ar_ctx *c, cl_mem out, cl_mem in, cl_mem bias, int bias_off,
                               int rows, int cols, int act) {
    /* 8 columns of a row per work-item (cl/activation.cl) */
    LAUNCH(bias_act_forward, ACTIVATION, (size_t)rows * (((size_t)cols + 7) / 8), A(out), A(in),
           A(bias), A(bias_off), A(rows), A(cols), A(act));
}

ar_status ark_act_backward(ar_ctx *c, cl_mem dinp, cl_mem dout, cl_mem out, int n, int act) {
    LAUNCH(act_backward, ACTIVATION, (size_t)n, A(dinp), A(dout), A(out), A(n), A(act));
}

uint32_t ar_dropout_threshold(float keep) {
    /* 16 bits: the draws are halves of Philox words (cl/rng.h); keep 1 keeps every element */
    double t = (double)keep * 65536.0;
    return t >= 65536.0 ? 65536u : t <= 0 ? 0u : (uint32_t)(t + 0.5);
}

ar_status ark_dropout(ar_ctx *c, cl_mem out, cl_mem in, int n, float keep, float scale,
                      uint64_t seed, uint32_t step, uint32_t layer) {
    /* no mask: any buffer will do for the argument, the kernel never touches it */
    return ark_dropout_mask(c, out, in, in, AR_DROP_DRAW, n, keep, scale, seed, step, layer);
}

ar_status ark_dropout_mask(ar_ctx *c, cl_mem out, cl_mem in, cl_mem mask, int mode, int n,
                           float keep, float scale, uint64_t seed, uint32_t step,
                           uint32_t layer) {
    cl_uint thr = ar_dropout_threshold(keep), lo = (cl_uint)seed, hi = (cl_uint)(seed >> 32);
    cl_uint st = step, ly = layer;
    /* 64 elements per work-item (cl/dropout.cl) */
    LAUNCH(dropout, DROPOUT, ((size_t)n + 63) / 64, A(out), A(in), A(mask), A(mode), A(n), A(thr),
           A(scale), A(lo), A(hi), A(st), A(ly));
}

ar_status ark_densify(ar_ctx *c, cl_mem x, cl_mem row_ptr, cl_mem col_idx, cl_mem vals,
                      cl_mem rows, int rows_off, int B, int cols) {
    LAUNCH(densify, DENSIFY, (size_t)B, A(x), A(row_ptr), A(col_idx), A(vals), A(rows),
           A(rows_off), A(B), A(cols));
}

ar_status ark_masked_loss_backward(ar_ctx *c, cl_mem dout, cl_mem row_loss, cl_mem out,
                                   cl_mem row_ptr, cl_mem col_idx, cl_mem vals, cl_mem rows,
                                   int rows_off, int B, int cols, float scale) {
    LAUNCH(masked_loss_backward, LOSS, (size_t)B, A(dout), A(row_loss), A(out), A(row_ptr),
           A(col_idx), A(vals), A(rows), A(rows_off), A(B), A(cols), A(scale));
}

ar_status ark_masked_sse(ar_ctx *c, cl_mem row_err, cl_mem out, cl_mem row_ptr, cl_mem col_idx,
                         cl_mem vals, cl_mem offs, cl_mem rows, int rows_off, int B, int cols,
                         int n_rows, float lo, float hi) {
    int use_offs = offs != NULL;
    if (!offs) offs = vals; /* never read: a valid buffer rather than a NULL argument */
    LAUNCH(masked_sse, LOSS, (size_t)B, A(row_err), A(out), A(row_ptr), A(col_idx), A(vals),
           A(offs), A(use_offs), A(rows), A(rows_off), A(B), A(cols), A(n_rows), A(lo), A(hi));
}

ar_status ark_colsum(ar_ctx *c, cl_mem out, int out_off, cl_mem in, int rows, int cols) {
    /* 8 columns per work-item (cl/reduce.cl) */
    LAUNCH(colsum, BIAS_GRAD, ((size_t)cols + 7) / 8, A(out), A(out_off), A(in), A(rows), A(cols));
}

/* The kernels' form of Adam's step (cl/adam.cl): step = lr / bc1 and rs2 = 1 / sqrt(bc2),
 * computed in double from the floats the callers give. */
static float adam_step_size(const ark_adam_step *s) { return (float)((double)s->lr / s->bc1); }
static float adam_rs2(const ark_adam_step *s) { return (float)(1.0 / sqrt((double)s->bc2)); }

ar_status ark_adam(ar_ctx *c, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int n,
                   int n_decay, float lr, float beta1, float beta2, float eps, float bc1,
                   float bc2, float l2) {
    const ark_adam_step s = {lr, beta1, beta2, eps, bc1, bc2, l2};
    return ark_adam_range(c, params, grads, m, v, 0, n, n_decay, &s);
}

ar_status ark_adam_range(ar_ctx *c, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int off,
                         int n, int n_decay, const ark_adam_step *s) {
    if (n <= off) return AR_OK;
    const float step = adam_step_size(s), rs2 = adam_rs2(s);
    /* 8 parameters per work-item (cl/adam.cl) */
    LAUNCH(adam, ADAM, ((size_t)(n - off) + 7) / 8, A(params), A(grads), A(m), A(v), A(off),
           A(n), A(n_decay), A(step), A(s->beta1), A(s->beta2), A(s->eps), A(rs2), A(s->l2));
}

ar_status ark_sp_input(ar_ctx *c, cl_mem xk, cl_mem row_ptr, cl_mem col_idx, cl_mem vals,
                       cl_mem rows, int rows_off, int B, int cols, int col_base, float keep,
                       float scale, uint64_t seed, uint32_t step) {
    cl_uint thr = ar_dropout_threshold(keep), lo = (cl_uint)seed, hi = (cl_uint)(seed >> 32);
    cl_uint st = step;
    /* work-items per row: row_split's (a GPU's) or one; the same bits either way */
    cl_int L = c->kp.row_split >= 2 ? c->kp.row_split : 1;
    LAUNCH(sp_input, DROPOUT, (size_t)B * (size_t)L, A(xk), A(row_ptr), A(col_idx), A(vals),
           A(rows), A(rows_off), A(B), A(cols), A(col_base), A(thr), A(scale), A(lo), A(hi),
           A(st), A(L));
}

/* 1 when W (cols, H) is read in column tiles (kernel parameter sp_tile) */
static int tiled(const ar_ctx *c, int cols) { return c->kp.sp_tile > 0 && cols > c->kp.sp_tile; }

ar_status ark_sp_spmm_tile(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off, int b_off,
                           cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                           int H, int act, int cols, int tile) {
    ar_status st = AR_OK;
    cl_mem part = NULL; /* (B, H): each row's open block between tiles */
    if (B <= 0 || H <= 0) return AR_OK;
    if (tile < 1) tile = cols > 0 ? cols : 1;
    AR_TRY(ar_ctx_scratch(c, (size_t)B * (size_t)H * sizeof(float), &part));
    /* one launch per tile, in order (the queue is in order), one work-item per row */
    for (int u_lo = 0, u_hi, last;; u_lo = u_hi) {
        u_hi = cols - u_lo > tile ? u_lo + tile : cols;
        last = u_hi >= cols;
        const arg args[] = {A(out),  A(part),  A(ck),       A(w),    A(w_off), A(b_off),
                            A(row_ptr), A(col_idx), A(rows), A(rows_off), A(B), A(H),
                            A(act),  A(u_lo),  A(u_hi),     A(last)};
        AR_TRY(launch(c, c->k.sp_spmm_tile, "sp_spmm_tile", AR_PHASE_SPMM, (size_t)B, 0, args,
                      (int)(sizeof args / sizeof *args)));
        if (last) break;
    }
cleanup:
    return st;
}

ar_status ark_sp_spmm_part(ar_ctx *c, cl_mem part, cl_mem ck, cl_mem w, int w_off,
                           cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                           int H, int P) {
    LAUNCH2D(sp_spmm_part, SPMM, ((size_t)H + c->kp.spmm_width - 1) / c->kp.spmm_width,
             (size_t)B * (size_t)P, A(part), A(ck), A(w), A(w_off), A(row_ptr), A(col_idx),
             A(rows), A(rows_off), A(B), A(H), A(P));
}

ar_status ark_sp_spmm_join(ar_ctx *c, cl_mem out, cl_mem part, cl_mem w, int b_off, int B,
                           int H, int act, int P, int backward, cl_mem mask, float scale,
                           cl_mem a) {
    cl_int use_mask = mask != NULL;
    if (!mask) mask = out; /* never read: valid buffers rather than NULL arguments */
    if (!a) a = out;
    LAUNCH(sp_spmm_join, SPMM, (size_t)B * (size_t)H, A(out), A(part), A(w), A(b_off), A(B),
           A(H), A(act), A(P), A(backward), A(mask), A(use_mask), A(scale), A(a));
}

/* The SpMMs with each row's entries in kp.row_split chunks (ark_sp_spmm_part into the
 * context's scratch buffer, then ark_sp_spmm_join): *done = 0 and nothing launched when they
 * are off, or the (B x chunks, H) sums would not fit one allocation with 2 chunks. backward:
 * ar_sp_spmm_backward's ending (mask, scale, a), else ar_sp_spmm's (b_off, act). */
static ar_status spmm_split(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off, int b_off,
                            cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                            int H, int act, int backward, cl_mem mask, float scale, cl_mem a,
                            int *done) {
    ar_status st = AR_OK;
    *done = 0;
    if (c->kp.row_split < 2 || B <= 0 || H <= 0) return AR_OK;
    const size_t row_bytes = (size_t)B * (size_t)H * sizeof(float);
    const size_t cap = c->info.max_alloc_bytes ? (size_t)c->info.max_alloc_bytes : SIZE_MAX;
    int P = c->kp.row_split;
    while (P >= 2 && (size_t)P > cap / row_bytes) P /= 2;
    if (P < 2) return AR_OK;
    cl_mem part = NULL; /* (B P, H) */
    AR_TRY(ar_ctx_scratch(c, (size_t)P * row_bytes, &part));
    AR_TRY(ark_sp_spmm_part(c, part, ck, w, w_off, row_ptr, col_idx, rows, rows_off, B, H, P));
    AR_TRY(ark_sp_spmm_join(c, out, part, w, b_off, B, H, act, P, backward, mask, scale, a));
    *done = 1;
cleanup:
    return st;
}

ar_status ark_sp_spmm(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off, int b_off,
                      cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B, int H,
                      int act, int cols) {
    if (tiled(c, cols))
        return ark_sp_spmm_tile(c, out, ck, w, w_off, b_off, row_ptr, col_idx, rows, rows_off, B,
                                H, act, cols, c->kp.sp_tile);
    int done = 0;
    ar_status st = spmm_split(c, out, ck, w, w_off, b_off, row_ptr, col_idx, rows, rows_off, B,
                              H, act, 0, NULL, 1.0f, NULL, &done);
    if (st != AR_OK || done) return st;
    LAUNCH2D(sp_spmm, SPMM, ((size_t)H + c->kp.spmm_width - 1) / c->kp.spmm_width, (size_t)B,
             A(out), A(ck), A(w), A(w_off), A(b_off), A(row_ptr), A(col_idx), A(rows),
             A(rows_off), A(B), A(H), A(act));
}

ar_status ark_sp_spmm_backward(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off,
                               cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                               int H, cl_mem mask, float scale, cl_mem a, int act) {
    int done = 0;
    ar_status st = spmm_split(c, out, ck, w, w_off, -1, row_ptr, col_idx, rows, rows_off, B, H,
                              act, 1, mask, scale, a, &done);
    if (st != AR_OK || done) return st;
    cl_int use_mask = mask != NULL;
    if (!mask) mask = a; /* never read: a valid buffer rather than a NULL argument */
    LAUNCH2D(sp_spmm_backward, SPMM, ((size_t)H + c->kp.spmm_width - 1) / c->kp.spmm_width,
             (size_t)B, A(out), A(ck), A(w), A(w_off), A(row_ptr), A(col_idx), A(rows),
             A(rows_off), A(B), A(H), A(mask), A(use_mask), A(scale), A(a), A(act));
}

ar_status ark_sp_sddmm(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                       cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows, int rows_off, int B, int H,
                       int act) {
    if (c->kp.sddmm_split > 0)
        return ark_sp_sddmm_split(c, yk, a, w, w_off, b_off, pos_ptr, pos_idx, rows, rows_off, B,
                                  H, act);
    LAUNCH(sp_sddmm, SDDMM, (size_t)B * c->kp.sddmm_lanes, A(yk), A(a), A(w), A(w_off), A(b_off),
           A(pos_ptr), A(pos_idx), A(rows), A(rows_off), A(B), A(H), A(act));
}

void ar_sddmm_split_shape(const ar_ctx *c, size_t *group, int *split) {
    size_t cap = c->max_wg < 64 ? c->max_wg : 64, G = 1;
    if (c->wg_split && c->wg_split < cap) cap = c->wg_split;
    while (2 * G <= cap) G *= 2;
    int S = c->kp.sddmm_split > 0 ? c->kp.sddmm_split : 32;
    while ((size_t)S > G) S /= 2;
    *group = G, *split = S;
}

/* P work-groups of G work-items per batch row (ar_sddmm_split_shape); local memory: G floats. */
ar_status ark_sp_sddmm_split(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                             cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows, int rows_off, int B,
                             int H, int act) {
    if (B <= 0) return AR_OK;
    size_t G;
    cl_int S;
    ar_sddmm_split_shape(c, &G, &S);
    /* groups per row: 16 groups per compute unit over the batch (a GPU keeps tens of groups of
     * 64 resident on each), so that a long row is shared by P groups */
    const size_t want = 16 * (size_t)(c->info.compute_units ? c->info.compute_units : 1);
    cl_int P = (cl_int)((want + (size_t)B - 1) / (size_t)B);
    if (P > 64) P = 64;
    const arg args[] = {A(yk),   A(a),  A(w),   A(w_off), A(b_off), A(pos_ptr), A(pos_idx),
                        A(rows), A(rows_off), A(H), A(act), A(S), A(P), {G * sizeof(float), NULL}};
    ar_status st = set_args(c->k.sp_sddmm_split, "sp_sddmm_split", args,
                            (int)(sizeof args / sizeof *args));
    if (st != AR_OK) return st;
    size_t global = (size_t)B * (size_t)P * G;
    return enqueue(c, c->k.sp_sddmm_split, "sp_sddmm_split", AR_PHASE_SDDMM, 1, &global,
                   &global, &G);
}

ar_status ark_sp_sddmm_csc(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                           cl_mem col_ptr, int col_off, cl_mem ent_b, cl_mem ent_k, int cols,
                           int H, int act) {
    LAUNCH(sp_sddmm_csc, SDDMM, (size_t)cols * c->kp.sddmm_lanes, A(yk), A(a), A(w), A(w_off),
           A(b_off), A(col_ptr), A(col_off), A(ent_b), A(ent_k), A(cols), A(H), A(act));
}

ar_status ark_sp_decode_backward(ar_ctx *c, cl_mem yk, cl_mem dyk, cl_mem row_loss, cl_mem dz,
                                 cl_mem a, cl_mem w, int w_off, int b_off, cl_mem row_ptr,
                                 cl_mem col_idx, cl_mem vals, cl_mem rows, int rows_off, int B,
                                 int H, int out_act, float scale, cl_mem mask, float mscale,
                                 cl_mem act_out, int act, int cols) {
    ar_status st = AR_OK;
    cl_int use_mask = mask != NULL;
    if (!mask) mask = a; /* never read, as in ark_sp_spmm_backward */
    /* untiled: one launch over [0, cols), part never touched (any buffer will do); tiled: the
     * open blocks (B, H) and then the loss's Kahan sums (B, 2) between tiles */
    const int tile = tiled(c, cols) ? c->kp.sp_tile : cols > 0 ? cols : 1;
    cl_mem part = a;
    cl_int st_off = 0; /* the Kahan sums' place in part, after the open blocks */
    if (tile < cols) {
        if ((size_t)B * (size_t)H + 2 * (size_t)B > (size_t)INT_MAX)
            return ar_fail(AR_ERR_INVALID_ARG, "ark_sp_decode_backward: a batch of %d rows x %d "
                           "hidden units is too large for column tiles (sp_tile=0 runs it "
                           "untiled)", B, H);
        st_off = B * H;
        AR_TRY(ar_ctx_scratch(c, ((size_t)B * (size_t)H + 2 * (size_t)B) * sizeof(float), &part));
    }
    /* one work-item per row (cl/sparse.cl), one launch per tile in order */
    for (int u_lo = 0, u_hi, last;; u_lo = u_hi) {
        u_hi = cols - u_lo > tile ? u_lo + tile : cols;
        last = u_hi >= cols;
        const arg args[] = {A(yk),     A(dyk),     A(row_loss), A(dz),      A(a),       A(w),
                            A(w_off),  A(b_off),   A(row_ptr),  A(col_idx), A(vals),    A(rows),
                            A(rows_off), A(B),     A(H),        A(out_act), A(scale),   A(mask),
                            A(use_mask), A(mscale), A(act_out), A(act),     A(part),    A(st_off),
                            A(u_lo),   A(u_hi),    A(last)};
        AR_TRY(launch(c, c->k.sp_decode_backward, "sp_decode_backward", AR_PHASE_SDDMM,
                      (size_t)B, 1, args, (int)(sizeof args / sizeof *args)));
        if (last) break;
    }
cleanup:
    return st;
}

ar_status ark_sp_loss_part(ar_ctx *c, cl_mem dyk, cl_mem part, cl_mem yk, cl_mem row_ptr,
                           cl_mem vals, cl_mem rows, int rows_off, int B, float scale, int act,
                           int P) {
    LAUNCH(sp_loss_part, LOSS, (size_t)B * (size_t)P, A(dyk), A(part), A(yk), A(row_ptr),
           A(vals), A(rows), A(rows_off), A(B), A(scale), A(act), A(P));
}

ar_status ark_sp_loss_join(ar_ctx *c, cl_mem row_loss, cl_mem part, cl_mem rows, int rows_off,
                           int B, int P) {
    LAUNCH(sp_loss_join, LOSS, (size_t)B, A(row_loss), A(part), A(rows), A(rows_off), A(B),
           A(P));
}

ar_status ark_sp_loss_backward(ar_ctx *c, cl_mem dyk, cl_mem row_loss, cl_mem yk, cl_mem row_ptr,
                               cl_mem vals, cl_mem rows, int rows_off, int B, float scale,
                               int act) {
    const int P = c->kp.row_split;
    if (P >= 2 && B > 0) { /* each row's entries in P chunks (a GPU's), then the rows' sums */
        ar_status st = AR_OK;
        cl_mem part = NULL; /* (2, B P): the chunks' sums and their compensations */
        AR_TRY(ar_ctx_scratch(c, 2 * (size_t)B * (size_t)P * sizeof(float), &part));
        AR_TRY(ark_sp_loss_part(c, dyk, part, yk, row_ptr, vals, rows, rows_off, B, scale, act,
                                P));
        AR_TRY(ark_sp_loss_join(c, row_loss, part, rows, rows_off, B, P));
    cleanup:
        return st;
    }
    LAUNCH(sp_loss_backward, LOSS, (size_t)B, A(dyk), A(row_loss), A(yk), A(row_ptr), A(vals),
           A(rows), A(rows_off), A(B), A(scale), A(act));
}

ar_status ark_sp_sse(ar_ctx *c, cl_mem row_err, cl_mem yk, cl_mem pos_ptr, cl_mem vals,
                     cl_mem offs, cl_mem rows, int rows_off, int B, int n_rows, float lo,
                     float hi) {
    int use_offs = offs != NULL;
    if (!offs) offs = vals; /* never read, as in ark_masked_sse */
    LAUNCH(sp_sse, LOSS, (size_t)B, A(row_err), A(yk), A(pos_ptr), A(vals), A(offs), A(use_offs),
           A(rows), A(rows_off), A(B), A(n_rows), A(lo), A(hi));
}

ar_status ark_sp_weight_grad(ar_ctx *c, cl_mem dw, int dw_off, cl_mem ck, cl_mem in,
                             cl_mem col_ptr, int col_off, cl_mem ent_b, cl_mem ent_k, int cols,
                             int H) {
    LAUNCH2D(sp_weight_grad, SPARSE_WGRAD, ((size_t)H + c->kp.sp_width - 1) / c->kp.sp_width,
             (size_t)cols, A(dw), A(dw_off), A(ck), A(in), A(col_ptr), A(col_off), A(ent_b),
             A(ent_k), A(cols), A(H));
}

ar_status ark_sp_weight_adam(ar_ctx *c, cl_mem params, cl_mem m, cl_mem v, int w_off,
                             cl_mem ck, cl_mem in, cl_mem col_ptr, int col_off, cl_mem ent_b,
                             cl_mem ent_k, int cols, int H, const ark_adam_step *s) {
    const float step = adam_step_size(s), rs2 = adam_rs2(s);
    LAUNCH2D(sp_weight_adam, SPARSE_WGRAD,
             ((size_t)H + c->kp.sp_width - 1) / c->kp.sp_width, (size_t)cols, A(params), A(m),
             A(v), A(w_off), A(ck), A(in), A(col_ptr), A(col_off), A(ent_b), A(ent_k), A(cols),
             A(H), A(step), A(s->beta1), A(s->beta2), A(s->eps), A(rs2), A(s->l2));
}

ar_status ark_sp_bias_adam(ar_ctx *c, cl_mem params, cl_mem m, cl_mem v, int dec_off,
                           int enc_off, cl_mem ck, cl_mem col_ptr, int col_off, cl_mem ent_k,
                           int cols, cl_mem in, int B, int H, const ark_adam_step *s) {
    const float step = adam_step_size(s), rs2 = adam_rs2(s);
    /* a work-item per 32 encoder biases (a CPU's) or per bias (a GPU's: row_split set), then
     * one per decoder bias (cl/sparse.cl) */
    cl_int one = c->kp.row_split >= 2;
    LAUNCH(sp_bias_adam, BIAS_GRAD, (size_t)cols + (one ? (size_t)H : ((size_t)H + 31) / 32),
           A(params), A(m), A(v), A(dec_off), A(enc_off), A(ck), A(col_ptr), A(col_off),
           A(ent_k), A(cols), A(in), A(B), A(H), A(step), A(s->beta1), A(s->beta2), A(s->eps),
           A(rs2), A(one));
}

ar_status ark_sp_bias_grad(ar_ctx *c, cl_mem db, int db_off, cl_mem ck, cl_mem col_ptr,
                           int col_off, cl_mem ent_k, int cols) {
    LAUNCH(sp_bias_grad, BIAS_GRAD, (size_t)cols, A(db), A(db_off), A(ck), A(col_ptr), A(col_off),
           A(ent_k), A(cols));
}

ar_status ark_fill(ar_ctx *c, cl_mem buf, size_t off, size_t n, float value) {
    ar_status st = AR_OK;
    if (n == 0) return AR_OK;
    cl_event ev;
    AR_CL_ENQUEUE("clEnqueueFillBuffer",
                  clEnqueueFillBuffer(c->queue, buf, &value, sizeof value, off * sizeof(float),
                                      n * sizeof(float), 0, NULL, ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_FILL, NULL, ev);
cleanup:
    return st;
}
