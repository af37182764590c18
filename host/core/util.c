/* util.c - clock, checked allocation, names of choices, host RNG, whole-file reads, device buffer
 * helpers. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

const char *ar_choice_name(const char *const *names, int n, int i) {
    return i >= 0 && i < n ? names[i] : "unknown";
}

ar_status ar_choice_parse(const char *const *names, int n, const char *what, const char *name,
                          int *out) {
    for (int i = 0; name && i < n; i++)
        if (strcasecmp(name, names[i]) == 0) return *out = i, AR_OK;
    char list[160] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
    return ar_fail(AR_ERR_INVALID_ARG, "unknown %s '%s' (expected %s)", what,
                   name ? name : "(null)", list);
}

/* splitmix64 (Steele, Lea, Flood 2014): tiny, full-period, well mixed; host-side only. */
uint64_t ar_rng_next(ar_rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double ar_rng_uniform(ar_rng *r) { return (double)(ar_rng_next(r) >> 11) * 0x1.0p-53; }

/* What a file that is not regular is, for the refusal. */
static const char *file_kind(mode_t m) {
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO (named pipe)"
           : S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

ar_status ar_open_regular(const char *path, int *fd, size_t *size) {
    *fd = -1;
    *size = 0;
    /* O_NONBLOCK: opening a FIFO does not wait for a writer; fstat then refuses it. */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) return ar_fail(AR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(f, &sb) != 0) {
        int e = errno;
        close(f);
        return ar_fail(AR_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(f);
        if (S_ISDIR(sb.st_mode)) return ar_fail(AR_ERR_IO, "%s: is a directory", path);
        return ar_fail(AR_ERR_IO, "%s: is %s; autorec reads regular files only (their size is "
                       "known before reading, so an endless stream cannot fill memory): save "
                       "the data to a file first", path, file_kind(sb.st_mode));
    }
    fcntl(f, F_SETFL, fcntl(f, F_GETFL) & ~O_NONBLOCK);
    *fd = f;
    *size = (size_t)sb.st_size;
    return AR_OK;
}

ar_status ar_read_file(const char *path, char **buf, size_t *len) {
    *buf = NULL;
    *len = 0;
    int fd;
    size_t size;
    ar_status st = ar_open_regular(path, &fd, &size);
    if (st != AR_OK) return st;
    /* The size at opening bounds the read: a file that grows meanwhile is read as it was. */
    char *b = size < SIZE_MAX ? malloc(size + 1) : NULL;
    size_t n = 0;
    if (!b) st = ar_fail(AR_ERR_OUT_OF_MEMORY, "%s: out of host memory reading %zu bytes", path,
                         size);
    while (st == AR_OK && n < size) {
        ssize_t got = read(fd, b + n, size - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) st = ar_fail(AR_ERR_IO, "%s: read error: %s", path, strerror(errno));
        if (got <= 0) break; /* 0: the file shrank; what was there is read */
        n += (size_t)got;
    }
    close(fd);
    if (st != AR_OK) {
        free(b);
        return st;
    }
    b[n] = 0;
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

/* A copy between host and device, timed as a transfer when profiling; blocking, or (writes
 * only) queued. */
static ar_status transfer(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host,
                          int to_device, cl_bool blocking) {
    ar_status st = AR_OK;
    cl_event ev;
    if (to_device)
        AR_CL_ENQUEUE("clEnqueueWriteBuffer",
                     clEnqueueWriteBuffer(c->queue, buf, blocking, off_bytes, bytes, host, 0,
                                          NULL, ar_prof_slot(c, &ev)));
    else
        AR_CL_ENQUEUE("clEnqueueReadBuffer",
                     clEnqueueReadBuffer(c->queue, buf, CL_TRUE, off_bytes, bytes, host, 0, NULL,
                                         ar_prof_slot(c, &ev)));
    ar_prof_add(c, AR_PHASE_TRANSFER, NULL, ev);
cleanup:
    return st;
}

ar_status ar_read(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host) {
    return transfer(c, buf, off_bytes, bytes, host, 0, CL_TRUE);
}

ar_status ar_write(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, const void *host) {
    return transfer(c, buf, off_bytes, bytes, (void *)host, 1, CL_TRUE);
}

ar_status ar_write_queued(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes,
                          const void *host) {
    return transfer(c, buf, off_bytes, bytes, (void *)host, 1, CL_FALSE);
}

ar_status ar_marker(ar_ctx *c, cl_event *ev) {
    ar_status st = AR_OK;
    *ev = NULL;
    AR_CL_TRY(clEnqueueMarkerWithWaitList(c->queue, 0, NULL, ev));
cleanup:
    return st;
}

ar_status ar_wait_event(cl_event ev) {
    ar_status st = AR_OK;
    AR_CL_TRY(clWaitForEvents(1, &ev));
cleanup:
    return st;
}

int ar_nul_line(const char *text, size_t len) {
    const char *nul = memchr(text, 0, len);
    if (!nul) return 0;
    int line = 1;
    for (const char *s = text; s < nul; s++) line += *s == '\n';
    return line;
}
