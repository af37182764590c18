/* program.c - assembles and builds the kernel program.
 *
 * Source = generated defines + Random123 philox.h (inlined at build time) + cl/ files in order.
 * With AUTOREC_CL_DIR set, the cl/ files are read from that directory instead of the embedded
 * copies, so kernels can be edited without rebuilding the binary.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The order matters: rng.h and common.cl define helpers used by the rest. */
static const char *const cl_files[] = {"rng.h", "common.cl", "activation.cl", "dropout.cl",
                                       "densify.cl", "mask.cl", "reduce.cl", "adam.cl",
                                       "sparse.cl"};

static const char *embedded(const char *name) {
    for (const ar_embedded_file *f = ar_embedded_cl; f->name; f++)
        if (strcmp(f->name, name) == 0) return f->text;
    return NULL;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    if (fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
            if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                free(buf);
                buf = NULL;
            } else {
                buf[n] = 0;
            }
        }
    }
    fclose(f);
    return buf;
}

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

char *ar_program_source(void) {
    char defines[640];
    snprintf(defines, sizeof defines,
             "/* autorec-cl defines */\n#define AR_ACT_IDENTITY %d\n#define AR_ACT_SIGMOID %d\n"
             "#define AR_ACT_RELU %d\n#define AR_ACT_TANH %d\n#define AR_ACT_ELU %d\n"
             "#define AR_ACT_SELU %d\n#define AR_SELU_LAMBDA %.9ef\n#define AR_SELU_ALPHA %.9ef\n"
             "#define AR_SDDMM_LANES %d\n#define AR_SP_WIDTH %d\n#define AR_SP_BLOCK %d\n",
             AR_ACT_IDENTITY, AR_ACT_SIGMOID, AR_ACT_RELU, AR_ACT_TANH, AR_ACT_ELU, AR_ACT_SELU,
             AR_SELU_LAMBDA, AR_SELU_ALPHA, AR_SDDMM_LANES, AR_SP_WIDTH, AR_SP_BLOCK);
    char *src = NULL;
    size_t len = 0;
    if (!append(&src, &len, defines) || !append(&src, &len, ar_embedded_philox)) goto oom;
    const char *dir = getenv("AUTOREC_CL_DIR");
    for (size_t i = 0; i < sizeof cl_files / sizeof *cl_files; i++) {
        char line[300];
        snprintf(line, sizeof line, "\n#line 1 \"%s\"\n", cl_files[i]);
        if (!append(&src, &len, line)) goto oom;
        if (dir && *dir) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", dir, cl_files[i]);
            char *text = read_file(path);
            if (!text) {
                free(src);
                ar_fail(AR_ERR_IO, "AUTOREC_CL_DIR: cannot read kernel file %s", path);
                return NULL;
            }
            int ok = append(&src, &len, text);
            free(text);
            if (!ok) goto oom;
        } else {
            const char *text = embedded(cl_files[i]);
            if (!text || !append(&src, &len, text)) goto oom;
        }
    }
    return src;
oom:
    free(src);
    ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory assembling kernel source");
    return NULL;
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

ar_status ar_program_build(ar_ctx *c) {
    ar_status st = AR_OK;
    cl_int err;
    char *src = ar_program_source();
    if (!src) return ar_fail(AR_ERR_IO, "%s", ar_last_error());
    const char *srcs[] = {src};
    c->program = clCreateProgramWithSource(c->context, 1, srcs, NULL, &err);
    free(src);
    AR_CL_TRY(err);
    char opts[64];
    cl_std_option(c, opts, sizeof opts);
    err = clBuildProgram(c->program, 1, &c->device, opts, NULL, NULL);
    if (err != CL_SUCCESS) {
        size_t n = 0;
        clGetProgramBuildInfo(c->program, c->device, CL_PROGRAM_BUILD_LOG, 0, NULL, &n);
        char *log = calloc(n + 1, 1);
        if (log) clGetProgramBuildInfo(c->program, c->device, CL_PROGRAM_BUILD_LOG, n, log, NULL);
        st = ar_fail(AR_ERR_BUILD, "kernel build failed on %s (%s, options '%s'): %s (%d); "
                     "build log:\n%s", c->info.name, c->info.platform_name, opts,
                     ar_cl_error_name(err), (int)err, log ? log : "(unavailable)");
        free(log);
    }
cleanup:
    return st;
}
