/* gemm.c - the one file that talks to CLBlast: SGEMM, and the tuning entries applied to it.
 *
 * CLBlast 1.5.3 traps: it is not thread-safe across queues (we use one queue per context and
 * call it from one thread); the event it creates leaks unless released (we always pass one and
 * release it); its compiled-kernel cache is per context (one context per run keeps it warm).
 */
#include <clblast_c.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char *const tuned_kernels[] = {"XgemmDirect", "Xgemm", "GemmRoutine"};
#define N_TUNED (sizeof tuned_kernels / sizeof tuned_kernels[0])
#define AR_NOTE_CAP 512

/* CLBlast 1.5.3's parameters for a device its database does not know (what it picks for
 * Mesa's llvmpipe): valid on any device with 128 work-items and 8 KB of local memory per
 * group, which every OpenCL 1.2 GPU and CPU has. The fallback when an applied entry fails. */
static const char generic_params[] =
    "Xgemm | * | * | * | GEMMK=0 KREG=1 KWG=32 KWI=2 MDIMA=8 MDIMC=8 MWG=32 NDIMB=16 NDIMC=16 "
    "NWG=32 SA=1 SB=1 STRM=0 STRN=0 VWM=4 VWN=2\n"
    "XgemmDirect | * | * | * | KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 "
    "VWND=1 WGD=16\n";

static const char *clblast_name(CLBlastStatusCode s) {
    switch (s) {
#define N(c) case c: return #c;
    N(CLBlastNotImplemented) N(CLBlastInvalidMatrixA) N(CLBlastInvalidMatrixB)
    N(CLBlastInvalidMatrixC) N(CLBlastInvalidVectorX) N(CLBlastInvalidVectorY)
    N(CLBlastInvalidDimension) N(CLBlastInvalidLeadDimA) N(CLBlastInvalidLeadDimB)
    N(CLBlastInvalidLeadDimC) N(CLBlastInvalidIncrementX) N(CLBlastInvalidIncrementY)
    N(CLBlastInsufficientMemoryA) N(CLBlastInsufficientMemoryB) N(CLBlastInsufficientMemoryC)
    N(CLBlastInsufficientMemoryX) N(CLBlastInsufficientMemoryY) N(CLBlastInsufficientMemoryTemp)
    N(CLBlastInvalidBatchCount) N(CLBlastInvalidOverrideKernel)
    N(CLBlastMissingOverrideParameter) N(CLBlastInvalidLocalMemUsage) N(CLBlastNoHalfPrecision)
    N(CLBlastNoDoublePrecision) N(CLBlastInvalidVectorScalar) N(CLBlastInsufficientMemoryScalar)
    N(CLBlastDatabaseError) N(CLBlastUnknownError) N(CLBlastUnexpectedError)
#undef N
    default: return ar_cl_error_name((cl_int)s); /* CLBlast passes OpenCL codes through */
    }
}

/* Appends a note to c->gemm_tuning ("; " between notes). */
static void note(ar_ctx *c, const char *fmt, const char *a, const char *b) {
    size_t len = strlen(c->gemm_tuning);
    snprintf(c->gemm_tuning + len, sizeof c->gemm_tuning - len, "%s", len ? "; " : "");
    len = strlen(c->gemm_tuning);
    snprintf(c->gemm_tuning + len, sizeof c->gemm_tuning - len, fmt, a, b);
}

static ar_status override(ar_ctx *c, const ar_gemm_params *p) {
    const char *names[AR_GEMM_TUNE_MAX];
    size_t values[AR_GEMM_TUNE_MAX];
    for (int i = 0; i < p->n; i++) names[i] = p->name[i], values[i] = p->value[i];
    CLBlastStatusCode s = CLBlastOverrideParameters(c->device, p->kernel, CLBlastPrecisionSingle,
                                                    (size_t)p->n, names, values);
    if (s != CLBlastSuccess)
        return ar_fail(AR_ERR_CLBLAST, "CLBlastOverrideParameters(%s) from %s refused on %s: %s (%d)",
                       p->kernel, p->origin, c->info.name, clblast_name(s), (int)s);
    return AR_OK;
}

/* The device's keys and limits; strings in the caller's buffers. */
static void device_key(ar_ctx *c, ar_gemm_device *d, char *vendor, char *driver, size_t cap) {
    cl_ulong local = 0;
    vendor[0] = driver[0] = 0;
    clGetPlatformInfo(c->platform, CL_PLATFORM_VENDOR, cap, vendor, NULL);
    clGetDeviceInfo(c->device, CL_DRIVER_VERSION, cap, driver, NULL);
    clGetDeviceInfo(c->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof d->max_wg, &d->max_wg, NULL);
    clGetDeviceInfo(c->device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    vendor[cap - 1] = driver[cap - 1] = 0;
    d->platform = vendor, d->device = c->info.name, d->driver = driver;
    d->local_mem = local;
}

/* The entry for kernel from the user's file (text, origin) or the shipped database, applied.
 * Any failure is an ar_status; the caller turns it into a note. */
static ar_status tune_kernel(ar_ctx *c, const ar_gemm_device *d, const char *text,
                             const char *origin, const char *kernel) {
    ar_gemm_params p;
    int found = 0;
    ar_status st = AR_OK;
    if (text) st = ar_gemm_tuning_find(text, origin, d, kernel, &p, &found);
    if (st == AR_OK && !found)
        st = ar_gemm_tuning_find(ar_clblast_db, "shipped", d, kernel, &p, &found);
    if (st != AR_OK || !found) return st;
    st = override(c, &p);
    if (st != AR_OK) return st;
    c->gemm_tuned = 1;
    note(c, "%s from %s", p.kernel, p.origin);
    return AR_OK;
}

/* A NUL byte in the user's file is refused naming its line: the parser stops at the first one,
 * so the entries after it would be dropped unseen. */
static ar_status no_nul(const char *text, size_t len, const char *path) {
    const int line = ar_nul_line(text, len);
    return line ? ar_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte", path, line) : AR_OK;
}

void ar_gemm_tune(ar_ctx *c) {
    const char *path = getenv("AUTOREC_CLBLAST_TUNING");
    char vendor[256], driver[256], *text = NULL;
    size_t len = 0;
    c->gemm_tuning[0] = 0;
    if (path && !strcmp(path, "off")) {
        note(c, "CLBlast defaults (AUTOREC_CLBLAST_TUNING=off)%s%s", "", "");
        return;
    }
    /* A user file that cannot be read is a note too: tuning changes speed, never results. */
    if (path && *path && ar_read_file(path, &text, &len) != AR_OK) {
        note(c, "AUTOREC_CLBLAST_TUNING ignored: %s%s", ar_last_error(), "");
        fprintf(stderr, "autorec: note: %s\n", c->gemm_tuning);
    }
    ar_gemm_device d;
    device_key(c, &d, vendor, driver, sizeof vendor);
    char said[AR_NOTE_CAP] = "";
    ar_status bad = text ? no_nul(text, len, path) : AR_OK; /* as a malformed line: no kernel */
    for (size_t i = 0; i < N_TUNED; i++) {
        if (bad == AR_OK && tune_kernel(c, &d, text, path, tuned_kernels[i]) == AR_OK) continue;
        note(c, "%s: CLBlast's own parameters kept (%s)", tuned_kernels[i], ar_last_error());
        if (strcmp(said, ar_last_error())) /* a bad file is said once, not once a kernel */
            fprintf(stderr, "autorec: note: CLBlast's own parameters kept: %s\n", ar_last_error());
        snprintf(said, sizeof said, "%s", ar_last_error());
    }
    if (!c->gemm_tuning[0]) note(c, "CLBlast defaults (no entry for this device)%s%s", "", "");
    free(text);
}

void ar_gemm_untune(ar_ctx *c, const char *why) {
    ar_gemm_device d;
    char vendor[256], driver[256];
    device_key(c, &d, vendor, driver, sizeof vendor);
    for (size_t i = 0; i < 2; i++) { /* Xgemm and XgemmDirect: GemmRoutine cannot fail */
        ar_gemm_params p;
        int found = 0;
        if (ar_gemm_tuning_find(generic_params, "generic", &d, tuned_kernels[i], &p, &found) ==
                AR_OK && found)
            (void)override(c, &p);
    }
    c->gemm_tuned = 0;
    c->gemm_built = 0; /* the generic parameters' program is built at the next call */
    c->gemm_tuning[0] = 0;
    note(c, "CLBlast's generic parameters: the tuned entry failed (%s)%s", why, "");
    fprintf(stderr, "autorec: note: %s\n", c->gemm_tuning);
}

const char *ar_ctx_gemm_tuning(const ar_ctx *c) { return c->gemm_tuning; }

/* A GEMM that failed to build or launch its kernel with tuned parameters: the entry is at
 * fault, not the run. */
static int tuned_kernel_failure(CLBlastStatusCode s) {
    return s == CLBlastOpenCLBuildProgramFailure || s == CLBlastInvalidLocalMemUsage ||
           s == CLBlastInvalidLocalThreadsTotal || s == CLBlastInvalidLocalThreadsDim ||
           s == CLBlastInvalidLocalNumDimensions || s == CLBlastInvalidGlobalWorkSize ||
           s == CLBlastInvalidKernel || s == CLBlastInvalidKernelArgs;
}

/* CLBlast prints a failed build's log on stdout, where it would land in the middle of a
 * --json line or a piped prediction file (a tuned entry whose kernel does not build is what
 * the fallback below exists for). CLBlast builds its GEMM program at a context's first call, so
 * that call runs with stdout pointed at stderr. The descriptor is the process's: one such call
 * at a time (the lock), and no other thread of the library writes to stdout meanwhile. */
static pthread_mutex_t stdout_lock = PTHREAD_MUTEX_INITIALIZER;

static CLBlastStatusCode sgemm(ar_ctx *c, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                               float alpha, cl_mem a, size_t a_off, size_t lda, cl_mem b,
                               size_t b_off, size_t ldb, float beta, cl_mem cm, size_t c_off,
                               size_t ldc) {
    cl_event ev = NULL;
    int saved = -1;
    if (!c->gemm_built) {
        pthread_mutex_lock(&stdout_lock);
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        if (saved >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) < 0) close(saved), saved = -1;
    }
    CLBlastStatusCode s =
        CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                     trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a, a_off,
                     lda, b, b_off, ldb, beta, cm, c_off, ldc, &c->queue, &ev);
    if (!c->gemm_built) {
        fflush(stdout);
        if (saved >= 0) dup2(saved, STDOUT_FILENO), close(saved);
        pthread_mutex_unlock(&stdout_lock);
        c->gemm_built = s == CLBlastSuccess;
    }
    if (ev) clReleaseEvent(ev);
    return s;
}

ar_status ar_gemm(ar_ctx *c, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                  float beta, cl_mem cm, size_t c_off, size_t ldc) {
    if (m == 0 || n == 0) return AR_OK;
    cl_event before = ar_prof_marker(c);
    CLBlastStatusCode s = (CLBlastStatusCode)ar_fault(AR_FAULT_CL); /* OpenCL codes pass */
    if (s == CLBlastSuccess)
        s = sgemm(c, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, cm,
                  c_off, ldc);
    if (s != CLBlastSuccess && c->gemm_tuned && tuned_kernel_failure(s)) {
        ar_gemm_untune(c, clblast_name(s)); /* once: gemm_tuned is 0 from here on */
        s = sgemm(c, trans_a, trans_b, m, n, k, alpha, a, a_off, lda, b, b_off, ldb, beta, cm,
                  c_off, ldc);
    }
    ar_prof_add(c, AR_PHASE_GEMM, before, before ? ar_prof_marker(c) : NULL);
    if (s != CLBlastSuccess) {
        ar_status st = (s == CLBlastTempBufferAllocFailure || s == CLBlastOpenCLOutOfResources ||
                        s == CLBlastOpenCLOutOfHostMemory)
                           ? AR_ERR_OUT_OF_MEMORY
                           : AR_ERR_CLBLAST;
        return ar_fail(st, "CLBlastSgemm(m=%zu, n=%zu, k=%zu, trans %c%c) failed on %s: %s (%d)",
                       m, n, k, trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', c->info.name,
                       clblast_name(s), (int)s);
    }
    return AR_OK;
}
