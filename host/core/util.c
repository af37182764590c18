/* util.c - clock, checked allocation, host RNG, whole-file reads, device buffer helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

ar_status ar_read_file(const char *path, char **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ar_fail(AR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
        fclose(f);
        return ar_fail(AR_ERR_IO, "%s: is a directory", path);
    }
    size_t cap = (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) ? (size_t)sb.st_size + 1
                                                                     : 1 << 20;
    char *b = malloc(cap);
    size_t n = 0;
    ar_status st = AR_OK;
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        char *nb = realloc(b, cap * 2);
        if (!nb) break;
        b = nb;
        cap *= 2;
    }
    if (!b || n == cap) st = ar_fail(AR_ERR_OUT_OF_MEMORY, "%s: out of host memory reading "
                                     "%zu bytes", path, cap);
    else if (ferror(f)) st = ar_fail(AR_ERR_IO, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (st != AR_OK) {
        free(b);
        return st;
    }
    b[n] = 0; /* n < cap here: room for the terminator */
    *buf = b;
    *len = n;
    return AR_OK;
}

ar_status ar_buffer(ar_ctx *c, size_t bytes, const void *host, const char *what, cl_mem *out) {
    cl_int err;
    if (bytes == 0) bytes = sizeof(float); /* OpenCL refuses empty buffers */
    if (bytes > c->info.max_alloc_bytes)
        return ar_fail(AR_ERR_OUT_OF_MEMORY,
                       "%s needs %zu bytes, over the device's largest allocation (%llu bytes, "
                       "CL_DEVICE_MAX_MEM_ALLOC_SIZE) on %s; try a smaller "
                       "ar_train_config.batch or ar_train_config.hidden",
                       what, bytes, (unsigned long long)c->info.max_alloc_bytes, c->info.name);
    cl_mem_flags flags = CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0);
    *out = NULL;
    if ((err = (cl_int)ar_fault(AR_FAULT_CL)) == CL_SUCCESS)
        *out = clCreateBuffer(c->context, flags, bytes, (void *)host, &err);
    if (err != CL_SUCCESS)
        return ar_fail(ar_cl_status(err), "clCreateBuffer for %s (%zu bytes) failed: %s (%d)",
                       what, bytes, ar_cl_error_name(err), (int)err);
    return AR_OK;
}

/* A blocking copy between host and device, timed as a transfer when profiling. */
static ar_status transfer(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host,
                          int to_device) {
    ar_status st = AR_OK;
    cl_event ev;
    if (to_device)
        AR_CL_TRY_AS("clEnqueueWriteBuffer",
                     clEnqueueWriteBuffer(c->queue, buf, CL_TRUE, off_bytes, bytes, host, 0,
                                          NULL, ar_prof_slot(c, &ev)));
    else
        AR_CL_TRY_AS("clEnqueueReadBuffer",
                     clEnqueueReadBuffer(c->queue, buf, CL_TRUE, off_bytes, bytes, host, 0, NULL,
                                         ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_TRANSFER, NULL, ev);
cleanup:
    return st;
}

ar_status ar_read(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host) {
    return transfer(c, buf, off_bytes, bytes, host, 0);
}

ar_status ar_write(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, const void *host) {
    return transfer(c, buf, off_bytes, bytes, (void *)host, 1);
}
