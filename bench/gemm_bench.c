/* gemm_bench.c - the ceilings the model's time is compared against (docs/performance.md):
 *
 *   1. CLBlast SGEMM on an OpenCL device at the exact shapes one training step uses,
 *   2. OpenBLAS SGEMM on the host at the same shapes (what PyTorch's CPU build calls),
 *   3. memory bandwidth: host (a STREAM-style triad over all cores) and device
 *      (clEnqueueCopyBuffer).
 *
 * Every GEMM shape is validated first (CLBlast against OpenBLAS on the same random inputs,
 * |diff| <= 1e-4 * k * max|A| max|B|), then timed: one untimed call, then repeated calls until
 * at least --seconds have passed; the figure is the best of 3 such rounds.
 *
 * usage: autorec_gemm_bench [--device P:D|N] [--shapes ml-100k|hidden|ml-10m|all] [--seconds S]
 *                           [--validate-only]
 * --validate-only checks small versions of every shape kind and exits (used as a test);
 * AUTOREC_GEMM_VERBOSE=1 also prints each timed shape's largest CLBlast - OpenBLAS difference.
 */
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <cblas.h>
#include <clblast_c.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "autorec.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CHECK_CL(expr)                                                                         \
    do {                                                                                       \
        cl_int e_ = (expr);                                                                    \
        if (e_ != CL_SUCCESS) {                                                                \
            fprintf(stderr, "autorec_gemm_bench: %s failed: OpenCL error %d\n", #expr, e_);    \
            exit(1);                                                                           \
        }                                                                                      \
    } while (0)

/* One GEMM of a training step, row-major C (m, n) = op(A) op(B). */
typedef struct {
    const char *what;
    int ta, tb;
    int m, n, k;
} shape;

/* The five GEMMs of a step with one hidden layer (model.c): rows = batch B, U = columns
 * (users for I-AutoRec), H = hidden units. */
static int step_shapes(shape *s, const char *tag, int B, int U, int H) {
    (void)tag;
    s[0] = (shape){"encoder forward   x W0^T", 0, 1, B, H, U};
    s[1] = (shape){"decoder forward   a W1^T", 0, 1, B, U, H};
    s[2] = (shape){"decoder dW1     dy^T a", 1, 0, U, H, B};
    s[3] = (shape){"hidden grad      dy W1", 0, 0, B, H, U};
    s[4] = (shape){"encoder dW0     dz^T x", 1, 0, H, U, B};
    return 5;
}

/* The three GEMMs of a hidden-to-hidden layer (--hidden H,H): forward, its weight gradient and
 * the gradient passed down. */
static int hidden_shapes(shape *s, int B, int H) {
    s[0] = (shape){"hidden forward    a W^T", 0, 1, B, H, H};
    s[1] = (shape){"hidden dW        dz^T a", 1, 0, H, H, B};
    s[2] = (shape){"hidden grad        dz W", 0, 0, B, H, H};
    return 3;
}

typedef struct {
    cl_context ctx;
    cl_command_queue q;
    cl_device_id dev;
    char name[256];
    char id[32];   /* "P:D", for ar_ctx_create */
} device;

static device open_device(const char *spec) {
    cl_platform_id plats[16];
    cl_uint np = 0;
    CHECK_CL(clGetPlatformIDs(16, plats, &np));
    int want_p = -1, want_d = -1, flat = 0, idx = 0;
    if (spec && strchr(spec, ':')) sscanf(spec, "%d:%d", &want_p, &want_d);
    else if (spec) flat = 1, idx = atoi(spec);
    int seen = 0;
    for (cl_uint p = 0; p < np; p++) {
        cl_device_id devs[16];
        cl_uint nd = 0;
        if (clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, 16, devs, &nd) != CL_SUCCESS) continue;
        for (cl_uint d = 0; d < nd; d++, seen++) {
            int match = spec == NULL ? 1 : flat ? seen == idx : ((int)p == want_p && (int)d == want_d);
            if (!match) continue;
            device r;
            cl_int err;
            r.dev = devs[d];
            snprintf(r.id, sizeof r.id, "%u:%u", p, d);
            clGetDeviceInfo(r.dev, CL_DEVICE_NAME, sizeof r.name, r.name, NULL);
            r.ctx = clCreateContext(NULL, 1, &r.dev, NULL, NULL, &err);
            CHECK_CL(err);
            r.q = clCreateCommandQueue(r.ctx, r.dev, 0, &err);
            CHECK_CL(err);
            return r;
        }
    }
    fprintf(stderr, "autorec_gemm_bench: device '%s' not found\n", spec ? spec : "(first)");
    exit(2);
}

static cl_mem upload(device *d, const float *host, size_t n) {
    cl_int err;
    cl_mem m = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n * sizeof(float),
                              (void *)host, &err);
    CHECK_CL(err);
    return m;
}

static void clblast_gemm(device *d, const shape *s, cl_mem a, cl_mem b, cl_mem c) {
    size_t lda = s->ta ? (size_t)s->m : (size_t)s->k, ldb = s->tb ? (size_t)s->k : (size_t)s->n;
    cl_event ev = NULL;
    CLBlastStatusCode st = CLBlastSgemm(
        CLBlastLayoutRowMajor, s->ta ? CLBlastTransposeYes : CLBlastTransposeNo,
        s->tb ? CLBlastTransposeYes : CLBlastTransposeNo, (size_t)s->m, (size_t)s->n,
        (size_t)s->k, 1.0f, a, 0, lda, b, 0, ldb, 0.0f, c, 0, (size_t)s->n, &d->q, &ev);
    if (ev) clReleaseEvent(ev);
    if (st != CLBlastSuccess) {
        fprintf(stderr, "autorec_gemm_bench: CLBlastSgemm(%d, %d, %d) failed: %d\n", s->m, s->n,
                s->k, (int)st);
        exit(1);
    }
}

static void host_gemm(const shape *s, const float *a, const float *b, float *c) {
    cblas_sgemm(CblasRowMajor, s->ta ? CblasTrans : CblasNoTrans, s->tb ? CblasTrans : CblasNoTrans,
                s->m, s->n, s->k, 1.0f, a, s->ta ? s->m : s->k, b, s->tb ? s->k : s->n, 0.0f, c,
                s->n);
}

static void fill(float *x, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) * (1.0f / 16777216.0f) - 0.5f;
    }
}

/* Runs f until `seconds` pass; returns the seconds per call (best of 3 rounds). */
typedef void (*call_fn)(void *);
static double time_calls(call_fn f, void *arg, double seconds) {
    double best = INFINITY;
    f(arg); /* warm-up: CLBlast compiles its kernel, OpenBLAS spins up its threads */
    for (int round = 0; round < 3; round++) {
        int n = 0;
        double t0 = now(), t;
        do {
            f(arg);
            n++;
        } while ((t = now() - t0) < seconds / 3);
        if (t / n < best) best = t / n;
    }
    return best;
}

typedef struct {
    device *d;
    const shape *s;
    cl_mem a, b, c;
    const float *ha, *hb;
    float *hc;
} gemm_arg;

static void call_clblast(void *p) {
    gemm_arg *g = p;
    clblast_gemm(g->d, g->s, g->a, g->b, g->c);
    CHECK_CL(clFinish(g->d->q));
}
static void call_host(void *p) {
    gemm_arg *g = p;
    host_gemm(g->s, g->ha, g->hb, g->hc);
}

/* Validates, then (unless validate_only) times one shape; returns 0 when it validates. */
static int run_shape(device *d, const shape *s, double seconds, int validate_only) {
    size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
    float *ha = malloc(na * sizeof *ha), *hb = malloc(nb * sizeof *hb);
    float *hc = malloc(nc * sizeof *hc), *dc = malloc(nc * sizeof *dc);
    if (!ha || !hb || !hc || !dc) {
        fprintf(stderr, "autorec_gemm_bench: out of host memory\n");
        exit(1);
    }
    fill(ha, na, 1);
    fill(hb, nb, 2);
    cl_mem a = upload(d, ha, na), b = upload(d, hb, nb), c = upload(d, hc, nc);
    clblast_gemm(d, s, a, b, c);
    CHECK_CL(clEnqueueReadBuffer(d->q, c, CL_TRUE, 0, nc * sizeof(float), dc, 0, NULL, NULL));
    host_gemm(s, ha, hb, hc);
    double tol = 1e-4 * s->k * 0.25, worst = 0;
    for (size_t i = 0; i < nc; i++) worst = fmax(worst, fabs((double)dc[i] - hc[i]));
    int ok = worst <= tol;
    double flop = 2.0 * s->m * s->n * s->k;
    if (!ok || validate_only || getenv("AUTOREC_GEMM_VERBOSE")) {
        printf("%-26s %c%c m=%6d n=%6d k=%6d  max|CLBlast - OpenBLAS| %.2e (tol %.1e) %s\n",
               s->what, s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, worst, tol,
               ok ? "ok" : "MISMATCH");
    } else {
        gemm_arg g = {d, s, a, b, c, ha, hb, hc};
        double tc = time_calls(call_clblast, &g, seconds);
        double th = time_calls(call_host, &g, seconds);
        printf("%-26s %c%c %6d %6d %6d %8.2f %10.2f %10.4f %10.2f %10.4f\n", s->what,
               s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', s->m, s->n, s->k, flop * 1e-9,
               flop / tc * 1e-9, tc, flop / th * 1e-9, th);
    }
    fflush(stdout);
    clReleaseMemObject(a);
    clReleaseMemObject(b);
    clReleaseMemObject(c);
    free(ha);
    free(hb);
    free(hc);
    free(dc);
    return ok ? 0 : 1;
}

/* ---- bandwidth ------------------------------------------------------------------------------- */

typedef struct {
    float *a, *b, *c;
    size_t lo, hi;
} triad_arg;

static void *triad_part(void *p) {
    triad_arg *t = p;
    for (size_t i = t->lo; i < t->hi; i++) t->a[i] = t->b[i] + 3.0f * t->c[i];
    return NULL;
}

typedef struct {
    float *a, *b, *c;
    size_t n;
    int threads;
} triad_all;

static void call_triad(void *p) {
    triad_all *t = p;
    pthread_t th[64];
    triad_arg parts[64];
    for (int k = 0; k < t->threads; k++) {
        parts[k] = (triad_arg){t->a, t->b, t->c, t->n * k / t->threads, t->n * (k + 1) / t->threads};
        pthread_create(&th[k], NULL, triad_part, &parts[k]);
    }
    for (int k = 0; k < t->threads; k++) pthread_join(th[k], NULL);
}

typedef struct {
    device *d;
    cl_mem src, dst;
    size_t bytes;
} copy_arg;

static void call_copy(void *p) {
    copy_arg *c = p;
    CHECK_CL(clEnqueueCopyBuffer(c->d->q, c->src, c->dst, 0, 0, c->bytes, 0, NULL, NULL));
    CHECK_CL(clFinish(c->d->q));
}

static void bandwidth(device *d, double seconds) {
    const size_t n = 32u << 20; /* 3 x 128 MiB: far beyond any cache */
    triad_all t = {malloc(n * 4), malloc(n * 4), malloc(n * 4), n, 0};
    if (!t.a || !t.b || !t.c) {
        fprintf(stderr, "autorec_gemm_bench: out of host memory\n");
        exit(1);
    }
    fill(t.b, n, 3);
    fill(t.c, n, 4);
    memset(t.a, 0, n * 4);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    t.threads = cores < 1 ? 1 : cores > 64 ? 64 : (int)cores;
    double tt = time_calls(call_triad, &t, seconds);
    printf("host triad a = b + s c, %d threads, 3 x %zu MiB: %.2f GB/s\n", t.threads,
           n * 4 >> 20, 3.0 * n * 4 / tt * 1e-9);
    cl_int err;
    copy_arg c = {d, NULL, NULL, n * 4};
    c.src = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, c.bytes, t.b, &err);
    CHECK_CL(err);
    c.dst = clCreateBuffer(d->ctx, CL_MEM_READ_WRITE, c.bytes, NULL, &err);
    CHECK_CL(err);
    double tc = time_calls(call_copy, &c, seconds);
    printf("device clEnqueueCopyBuffer %zu MiB on %s: %.2f GB/s (read + write)\n", c.bytes >> 20,
           d->name, 2.0 * c.bytes / tc * 1e-9);
    clReleaseMemObject(c.src);
    clReleaseMemObject(c.dst);
    free(t.a);
    free(t.b);
    free(t.c);
}

int main(int argc, char **argv) {
    const char *spec = NULL, *which = "ml-100k";
    double seconds = 1.5;
    int validate_only = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) spec = argv[++i];
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc) which = argv[++i];
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--validate-only")) validate_only = 1;
        else {
            fprintf(stderr, "usage: %s [--device P:D|N] [--shapes ml-100k|hidden|ml-10m|all] "
                    "[--seconds S] [--validate-only]\n", argv[0]);
            return 2;
        }
    }
    if (!spec) spec = getenv("AUTOREC_DEVICE");
    if (spec && !*spec) spec = NULL;
    device d = open_device(spec);
    shape s[16];
    int n = 0;
    if (validate_only) {
        n += step_shapes(s + n, "small", 37, 91, 23); /* odd sizes: CLBlast's padding paths */
        n += hidden_shapes(s + n, 37, 23);
    } else {
        if (!strcmp(which, "ml-100k") || !strcmp(which, "all"))
            n += step_shapes(s + n, "ml-100k", 256, 943, 500);
        if (!strcmp(which, "hidden") || !strcmp(which, "all")) n += hidden_shapes(s + n, 256, 500);
        if (!strcmp(which, "ml-10m") || !strcmp(which, "all"))
            n += step_shapes(s + n, "ml-10m", 256, 69878, 500);
        if (n == 0) {
            fprintf(stderr, "autorec_gemm_bench: --shapes expects ml-100k, hidden, ml-10m or all\n");
            return 2;
        }
    }
    /* An autorec context on the same device applies autorec's CLBlast tuning entries to it
     * (CLBlast keeps them per device, for the whole process), so that these are the GEMMs the
     * model runs; AUTOREC_CLBLAST_TUNING=off measures CLBlast's own parameters. */
    ar_ctx *tuned = NULL;
    if (ar_ctx_create(d.id, &tuned) != AR_OK) {
        fprintf(stderr, "autorec_gemm_bench: %s\n", ar_last_error());
        return 1;
    }
    printf("device: %s; OpenBLAS: %s, %d threads\nCLBlast tuning: %s\n", d.name,
           openblas_get_config(), openblas_get_num_threads(), ar_ctx_gemm_tuning(tuned));
    if (!validate_only)
        printf("%-26s %-2s %6s %6s %6s %8s %10s %10s %10s %10s\n", "GEMM (B=256 rows, H=500)", "op",
               "m", "n", "k", "GFLOP", "CLB_GF/s", "CLB_s", "OBLAS_GF/s", "OBLAS_s");
    int bad = 0;
    for (int i = 0; i < n; i++) bad |= run_shape(&d, &s[i], seconds, validate_only);
    if (!validate_only) bandwidth(&d, seconds);
    ar_ctx_free(tuned);
    clReleaseCommandQueue(d.q);
    clReleaseContext(d.ctx);
    return bad;
}
