/* program.c - assembles and builds the kernel program.
 *
 * Source = generated defines + Random123 philox.h (inlined at build time) + the cl/ files in the
 * order CMakeLists.txt lists them (AR_CL_FILES), which cmake/embed.cmake writes into the
 * generated ar_embedded_cl table: that table is the one list of kernel files. With
 * AUTOREC_CL_DIR set, each file of the table is read from that directory instead of the embedded
 * copy, so kernels can be edited without rebuilding the binary.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Appends s to the growing buffer *buf (length *len). Returns 0 on allocation failure. */
static int append(char **buf, size_t *len, const char *s) {
    size_t n = strlen(s);
    char *g = realloc(*buf, *len + n + 1);
    if (!g) return 0;
    memcpy(g + *len, s, n + 1);
    *buf = g;
    *len += n;
    return 1;
}

/* The host's constants the kernels share, as #defines. */
static void defines(char *out, size_t cap) {
    snprintf(out, cap,
             "/* autorec-cl defines */\n#define AR_ACT_IDENTITY %d\n#define AR_ACT_SIGMOID %d\n"
             "#define AR_ACT_RELU %d\n#define AR_ACT_TANH %d\n#define AR_ACT_ELU %d\n"
             "#define AR_ACT_SELU %d\n#define AR_SELU_LAMBDA %.9ef\n#define AR_SELU_ALPHA %.9ef\n"
             "#define AR_SP_BLOCK %d\n#define AR_DROP_STORE %d\n#define AR_DROP_APPLY %d\n",
             AR_ACT_IDENTITY, AR_ACT_SIGMOID, AR_ACT_RELU, AR_ACT_TANH, AR_ACT_ELU, AR_ACT_SELU,
             AR_SELU_LAMBDA, AR_SELU_ALPHA, AR_SP_BLOCK, AR_DROP_STORE, AR_DROP_APPLY);
}

ar_status ar_program_source(char **out) {
    char head[640];
    defines(head, sizeof head);
    char *src = NULL;
    size_t len = 0;
    ar_status st = AR_OK;
    *out = NULL;
    if (!append(&src, &len, head) || !append(&src, &len, ar_embedded_philox)) goto oom;
    const char *dir = getenv("AUTOREC_CL_DIR");
    for (const ar_embedded_file *f = ar_embedded_cl; f->name; f++) {
        char line[300];
        snprintf(line, sizeof line, "\n#line 1 \"%s\"\n", f->name);
        if (!append(&src, &len, line)) goto oom;
        if (!dir || !*dir) {
            if (!append(&src, &len, f->text)) goto oom;
            continue;
        }
        char path[4096], *text = NULL;
        size_t n;
        snprintf(path, sizeof path, "%s/%s", dir, f->name);
        if ((st = ar_read_file(path, &text, &n)) != AR_OK) {
            free(src);
            return ar_fail(st, "AUTOREC_CL_DIR: cannot read kernel file: %s", ar_last_error());
        }
        int ok = append(&src, &len, text);
        free(text);
        if (!ok) goto oom;
    }
    *out = src;
    return AR_OK;
oom:
    free(src);
    return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory assembling kernel source");
}

/* "-cl-std=CLx.y" from CL_DEVICE_OPENCL_C_VERSION ("OpenCL C x.y ..."). The kernels are
 * OpenCL C 1.2; a newer device compiles them in its own newest version, which accepts them. */
static void cl_std_option(const ar_ctx *c, char *out, size_t n) {
    int major = 1, minor = 2;
    if (sscanf(c->info.opencl_c_version, "OpenCL C %d.%d", &major, &minor) != 2 ||
        major * 10 + minor < 12) {
        major = 1;
        minor = 2;
    }
    snprintf(out, n, "-cl-std=CL%d.%d", major, minor);
}

/* The kernels of a program just loaded from the cache. 0 when the driver took the binary but
 * its kernels cannot be created (an entry built elsewhere): the program is dropped and the
 * entry removed, so that it is built from source and rewritten, not refused by every run. */
static int cached_kernels(ar_ctx *c, const char *cache_path) {
    if (ar_kernels_create(c) == AR_OK) return 1;
    fprintf(stderr, "autorec: note: built-program cache entry %s removed (%s); building from "
            "source\n", cache_path, ar_last_error());
    ar_clear_error();
    ar_kernels_release(&c->k);
    clReleaseProgram(c->program);
    c->program = NULL;
    ar_program_cache_remove(cache_path);
    return 0;
}

/* Builds src for c from source and creates its kernels; the entry at cache_path written. */
static ar_status source_build(ar_ctx *c, const char *src, const char *opts,
                              const char *cache_path) {
    ar_status st = AR_OK;
    cl_int err;
    const char *srcs[] = {src};
    c->program = clCreateProgramWithSource(c->context, 1, srcs, NULL, &err);
    AR_CL_TRY_AS("clCreateProgramWithSource", err);
    if ((err = (cl_int)ar_fault(AR_FAULT_CL)) == CL_SUCCESS)
        err = clBuildProgram(c->program, 1, &c->device, opts, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t n = 0;
        clGetProgramBuildInfo(c->program, c->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
        char *log = calloc(n + 1, 1);
        if (log) clGetProgramBuildInfo(c->program, c->device, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        int has_log = log && *log; /* the log on lines of its own; no log, one line */
        st = ar_fail(AR_ERR_BUILD, "kernel build failed on %s (%s, options '%s'): %s (%d); "
                     "build log:%s%s", c->info.name, c->info.platform_name, opts,
                     ar_cl_error_name(err), (int)err, has_log ? "\n" : " ",
                     has_log ? log : "(empty)");
        free(log);
    }
    if (st == AR_OK) st = ar_kernels_create(c);
    if (st == AR_OK) ar_program_cache_store(c, cache_path);
cleanup:
    return st;
}

ar_status ar_program_build(ar_ctx *c) {
    char *src = NULL, cache_path[4200] = "";
    const double t0 = ar_time_seconds();
    ar_status st = ar_program_source(&src);
    if (st != AR_OK) return st;
    char opts[160];
    cl_std_option(c, opts, sizeof opts);
    ar_kparams_options(&c->kp, opts + strlen(opts), sizeof opts - strlen(opts));
    const int hit = ar_program_cache_load(c, src, opts, cache_path, sizeof cache_path) &&
                    cached_kernels(c, cache_path);
    if (!hit) st = source_build(c, src, opts, cache_path);
    free(src);
    /* over all of the context's builds (a model's tuned parameters rebuild): a run that
     * compiled any of them from source is a miss, and its time counts */
    c->program_cached = hit && (c->program_builds == 0 || c->program_cached);
    c->program_builds++;
    c->build_seconds += ar_time_seconds() - t0;
    return st;
}
