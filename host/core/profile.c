/* profile.c - per-phase device time from OpenCL profiling events.
 *
 * Each timed command keeps its event; a CLBlast call (which may enqueue several kernels and
 * hands back only the last one's event) is bracketed by two markers instead, and timed from
 * the first marker's end to the second's. The queue is in-order, so these spans do not overlap
 * and their sum is the device's busy time. Events are read and released once per epoch, after
 * the epoch's one blocking read, so timing adds no host waits inside the epoch.
 */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

static const char *const phase_names[AR_PHASE_COUNT] = {
    [AR_PHASE_GEMM] = "gemm",         [AR_PHASE_SPMM] = "spmm",
    [AR_PHASE_SDDMM] = "sddmm",       [AR_PHASE_SPARSE_WGRAD] = "sparse_wgrad",
    [AR_PHASE_ACTIVATION] = "activation",
    [AR_PHASE_DROPOUT] = "dropout",   [AR_PHASE_DENSIFY] = "densify",
    [AR_PHASE_LOSS] = "loss",         [AR_PHASE_BIAS_GRAD] = "bias_grad",
    [AR_PHASE_ADAM] = "adam",         [AR_PHASE_FILL] = "fill",
    [AR_PHASE_TRANSFER] = "transfer", [AR_PHASE_HOST] = "host",
};

const char *ar_phase_name(ar_phase p) {
    return (unsigned)p < AR_PHASE_COUNT ? phase_names[p] : "unknown";
}

void ar_prof_add(ar_ctx *c, int phase, cl_event start, cl_event end) {
    ar_profile *p = &c->prof;
    if (!end) {
        if (start) clReleaseEvent(start);
        return;
    }
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        ar_prof_event *ev = realloc(p->ev, cap * sizeof *ev);
        if (!ev) { /* out of host memory: this command goes untimed (shows up as host time) */
            if (start) clReleaseEvent(start);
            clReleaseEvent(end);
            return;
        }
        p->ev = ev;
        p->cap = cap;
    }
    p->ev[p->n++] = (ar_prof_event){start, end, phase};
}

cl_event ar_prof_marker(ar_ctx *c) {
    cl_event ev = NULL;
    if (!c->prof.recording) return NULL;
    if (clEnqueueMarkerWithWaitList(c->queue, 0, NULL, &ev) != CL_SUCCESS) return NULL;
    return ev;
}

static ar_status stamp(cl_event ev, cl_profiling_info what, cl_ulong *ns) {
    cl_int err = clGetEventProfilingInfo(ev, what, sizeof *ns, ns, NULL);
    if (err != CL_SUCCESS)
        return ar_fail(AR_ERR_OPENCL, "clGetEventProfilingInfo failed: %s (%d)",
                       ar_cl_error_name(err), (int)err);
    return AR_OK;
}

ar_status ar_prof_collect(ar_ctx *c, double *seconds) {
    ar_profile *p = &c->prof;
    ar_status st = AR_OK;
    if (p->n) {
        cl_int err = clWaitForEvents(1, &p->ev[p->n - 1].end);
        if (err != CL_SUCCESS)
            st = ar_fail(AR_ERR_OPENCL, "clWaitForEvents (profiling) failed: %s (%d)",
                         ar_cl_error_name(err), (int)err);
    }
    int unavailable = p->enabled && !p->timestamps_ok;
    for (size_t i = 0; i < p->n && st == AR_OK; i++) {
        const ar_prof_event *e = &p->ev[i];
        cl_ulong t0 = 0, t1 = 0;
        st = e->start ? stamp(e->start, CL_PROFILING_COMMAND_END, &t0)
                      : stamp(e->end, CL_PROFILING_COMMAND_START, &t0);
        if (st == AR_OK) st = stamp(e->end, CL_PROFILING_COMMAND_END, &t1);
        if (st == AR_OK && t1 > t0) seconds[e->phase] += (double)(t1 - t0) * 1e-9;
    }
    if (st == AR_OK && unavailable)
        for (int k = 0; k < AR_PHASE_COUNT; k++) seconds[k] = NAN;
    ar_prof_discard(c);
    return st;
}

void ar_prof_discard(ar_ctx *c) {
    ar_profile *p = &c->prof;
    for (size_t i = 0; i < p->n; i++) {
        if (p->ev[i].start) clReleaseEvent(p->ev[i].start);
        clReleaseEvent(p->ev[i].end);
    }
    p->n = 0;
}

ar_status ar_prof_probe(ar_ctx *c) {
    /* Some drivers accept CL_QUEUE_PROFILING_ENABLE and answer every query with made-up
     * numbers (Mesa 22's Rusticl: queued 0, start 2, end 3). Filling 4 MiB takes at least a
     * microsecond on any device, so a shorter span means the timestamps are not real. */
    const size_t bytes = 4u << 20;
    ar_status st = AR_OK;
    cl_mem buf = NULL;
    cl_event ev = NULL;
    cl_int err;
    float zero = 0;
    c->prof.timestamps_ok = 0;
    buf = clCreateBuffer(c->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    AR_CL_TRY_AS("clCreateBuffer (profiling probe)", err);
    AR_CL_TRY(clEnqueueFillBuffer(c->queue, buf, &zero, sizeof zero, 0, bytes, 0, NULL, &ev));
    AR_CL_TRY(clWaitForEvents(1, &ev));
    cl_ulong t0 = 0, t1 = 0;
    if (clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_START, sizeof t0, &t0, NULL) ==
            CL_SUCCESS &&
        clGetEventProfilingInfo(ev, CL_PROFILING_COMMAND_END, sizeof t1, &t1, NULL) ==
            CL_SUCCESS)
        c->prof.timestamps_ok = t1 >= t0 + 1000;
cleanup:
    if (ev) clReleaseEvent(ev);
    if (buf) clReleaseMemObject(buf);
    return st;
}
