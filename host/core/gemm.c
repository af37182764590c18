/* gemm.c - the one file that talks to CLBlast.
 *
 * CLBlast 1.5.3 traps: it is not thread-safe across queues (we use one queue per context and
 * call it from one thread); the event it creates leaks unless released (we always pass one and
 * release it); its compiled-kernel cache is per context (one context per run keeps it warm).
 */
#include <clblast_c.h>

#include "internal.h"

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

ar_status ar_gemm(ar_ctx *c, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                  float beta, cl_mem cm, size_t c_off, size_t ldc) {
    if (m == 0 || n == 0) return AR_OK;
    cl_event ev = NULL, before = ar_prof_marker(c);
    CLBlastStatusCode s = (CLBlastStatusCode)ar_fault(AR_FAULT_CL); /* OpenCL codes pass */
    if (s == CLBlastSuccess)
        s = CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                         trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, m, n, k, alpha, a,
                         a_off, lda, b, b_off, ldb, beta, cm, c_off, ldc, &c->queue, &ev);
    if (ev) clReleaseEvent(ev);
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
