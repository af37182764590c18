/* util.c - clock, checked allocation, host RNG, device buffer helpers. */
#include <stdlib.h>
#include <time.h>

#include "internal.h"

double ar_time_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void *ar_malloc(size_t bytes) {
    void *p = malloc(bytes ? bytes : 1);
    if (!p) ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory allocating %zu bytes", bytes);
    return p;
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, full-period, well mixed; host-side only. */
uint64_t ar_rng_next(ar_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double ar_rng_uniform(ar_rng *r) { return (double)(ar_rng_next(r) >> 11) * 0x1.0p-53; }

ar_status ar_buffer(ar_ctx *c, size_t bytes, const void *host, const char *what, cl_mem *out) {
    cl_int err;
    if (bytes == 0) bytes = sizeof(float); /* OpenCL refuses empty buffers */
    if (bytes > c->info.max_alloc_bytes)
        return ar_fail(AR_ERR_OUT_OF_MEMORY,
                       "%s needs %zu bytes, over the device's largest allocation (%llu bytes, "
                       "CL_DEVICE_MAX_MEM_ALLOC_SIZE) on %s; try a smaller --batch or --hidden",
                       what, bytes, (unsigned long long)c->info.max_alloc_bytes, c->info.name);
    cl_mem_flags flags = CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0);
    *out = clCreateBuffer(c->context, flags, bytes, (void *)host, &err);
    if (err != CL_SUCCESS)
        return ar_fail(ar_cl_status(err), "clCreateBuffer for %s (%zu bytes) failed: %s (%d)",
                       what, bytes, ar_cl_error_name(err), (int)err);
    return AR_OK;
}

ar_status ar_read(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host) {
    ar_status st = AR_OK;
    cl_event ev;
    AR_CL_TRY(clEnqueueReadBuffer(c->queue, buf, CL_TRUE, off_bytes, bytes, host, 0, NULL,
                                  ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_TRANSFER, NULL, ev);
cleanup:
    return st;
}

ar_status ar_write(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, const void *host) {
    ar_status st = AR_OK;
    cl_event ev;
    AR_CL_TRY(clEnqueueWriteBuffer(c->queue, buf, CL_TRUE, off_bytes, bytes, host, 0, NULL,
                                  ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_TRANSFER, NULL, ev);
cleanup:
    return st;
}
