/* device.c - OpenCL platforms and devices: listing, device specs, contexts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define AR_NO_PLATFORM_HELP                                                                    \
    "no OpenCL platform found: install an OpenCL driver (for the CPU on Debian/Ubuntu: "       \
    "apt-get install ocl-icd-libopencl1 pocl-opencl-icd; for GPUs see the README)"

static ar_status get_platforms(cl_platform_id **out, cl_uint *n) {
    *out = NULL;
    *n = 0;
    cl_int err = clGetPlatformIDs(0, NULL, n);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && *n == 0))
        return ar_fail(AR_ERR_NO_PLATFORM, AR_NO_PLATFORM_HELP);
    if (err != CL_SUCCESS)
        return ar_fail(AR_ERR_OPENCL, "clGetPlatformIDs failed: %s (%d)", ar_cl_error_name(err),
                       (int)err);
    *out = ar_malloc(*n * sizeof **out);
    if (!*out) return AR_ERR_OUT_OF_MEMORY;
    err = clGetPlatformIDs(*n, *out, NULL);
    if (err != CL_SUCCESS) {
        free(*out);
        *out = NULL;
        return ar_fail(AR_ERR_OPENCL, "clGetPlatformIDs failed: %s (%d)", ar_cl_error_name(err),
                       (int)err);
    }
    return AR_OK;
}

/* A platform with no devices (Mesa's Clover here) answers CL_DEVICE_NOT_FOUND: that is zero
 * devices, not an error. */
static cl_uint get_devices(cl_platform_id p, cl_device_id **out) {
    cl_uint n = 0;
    *out = NULL;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, NULL, &n) != CL_SUCCESS || n == 0) return 0;
    *out = malloc(n * sizeof **out);
    if (!*out || clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, n, *out, NULL) != CL_SUCCESS) {
        free(*out);
        *out = NULL;
        return 0;
    }
    return n;
}

static void trim(char *s) {
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    size_t k = 0;
    while (s[k] && isspace((unsigned char)s[k])) k++;
    if (k) memmove(s, s + k, n - k + 1);
}

static void fill_device(ar_device_info *d, cl_device_id id) {
    cl_device_type type = 0;
    cl_uint cu = 0;
    cl_ulong mem = 0, alloc = 0;
    clGetDeviceInfo(id, CL_DEVICE_NAME, sizeof d->name, d->name, NULL);
    clGetDeviceInfo(id, CL_DEVICE_VENDOR, sizeof d->vendor, d->vendor, NULL);
    clGetDeviceInfo(id, CL_DEVICE_OPENCL_C_VERSION, sizeof d->opencl_c_version,
                    d->opencl_c_version, NULL);
    clGetDeviceInfo(id, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cu, &cu, NULL);
    clGetDeviceInfo(id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    clGetDeviceInfo(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
    trim(d->name);
    trim(d->vendor);
    trim(d->opencl_c_version);
    const char *t = (type & CL_DEVICE_TYPE_GPU)           ? "gpu"
                    : (type & CL_DEVICE_TYPE_CPU)         ? "cpu"
                    : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator"
                    : (type & CL_DEVICE_TYPE_CUSTOM)      ? "custom"
                                                          : "default";
    snprintf(d->type, sizeof d->type, "%s", t);
    d->compute_units = cu;
    d->global_mem_bytes = mem;
    d->max_alloc_bytes = alloc;
}

ar_status ar_devices_list(ar_platform_info **platforms, int *n_platforms,
                          ar_device_info **devices, int *n_devices) {
    cl_platform_id *pids = NULL;
    cl_uint np = 0;
    ar_status st = get_platforms(&pids, &np);
    if (st != AR_OK) return st;
    ar_platform_info *pl = calloc(np, sizeof *pl);
    ar_device_info *dv = NULL;
    int nd = 0;
    if (!pl) goto oom;
    for (cl_uint p = 0; p < np; p++) {
        pl[p].platform = (int)p;
        clGetPlatformInfo(pids[p], CL_PLATFORM_NAME, sizeof pl[p].name, pl[p].name, NULL);
        clGetPlatformInfo(pids[p], CL_PLATFORM_VENDOR, sizeof pl[p].vendor, pl[p].vendor, NULL);
        clGetPlatformInfo(pids[p], CL_PLATFORM_VERSION, sizeof pl[p].version, pl[p].version,
                          NULL);
        trim(pl[p].name);
        cl_device_id *ids = NULL;
        cl_uint n = get_devices(pids[p], &ids);
        pl[p].n_devices = (int)n;
        if (n) {
            ar_device_info *grown = realloc(dv, (size_t)(nd + (int)n) * sizeof *dv);
            if (!grown) {
                free(ids);
                goto oom;
            }
            dv = grown;
        }
        for (cl_uint d = 0; d < n; d++) {
            ar_device_info *info = &dv[nd];
            memset(info, 0, sizeof *info);
            info->platform = (int)p;
            info->device = (int)d;
            info->flat_index = nd;
            snprintf(info->platform_name, sizeof info->platform_name, "%s", pl[p].name);
            snprintf(info->platform_version, sizeof info->platform_version, "%s", pl[p].version);
            fill_device(info, ids[d]);
            nd++;
        }
        free(ids);
    }
    free(pids);
    *platforms = pl;
    *n_platforms = (int)np;
    *devices = dv;
    *n_devices = nd;
    return AR_OK;
oom:
    free(pids);
    free(pl);
    free(dv);
    return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory listing OpenCL devices");
}

static int is_uint(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

static int contains_nocase(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0) return 1;
    return n == 0;
}

ar_status ar_device_resolve(const char *spec, const ar_device_info *dv, int nd, int *index) {
    if (nd == 0)
        return ar_fail(AR_ERR_NO_DEVICE,
                       "no OpenCL device found: the installed platforms have no devices");
    if (!spec || !*spec) {
        for (int i = 0; i < nd; i++)
            if (strcmp(dv[i].type, "gpu") == 0) return *index = i, AR_OK;
        return *index = 0, AR_OK;
    }
    const char *colon = strchr(spec, ':');
    if (colon) {
        char p[32] = {0};
        size_t plen = (size_t)(colon - spec);
        if (plen < sizeof p) memcpy(p, spec, plen);
        if (plen < sizeof p && is_uint(p) && is_uint(colon + 1)) {
            int pi = atoi(p), di = atoi(colon + 1);
            for (int i = 0; i < nd; i++)
                if (dv[i].platform == pi && dv[i].device == di) return *index = i, AR_OK;
            return ar_fail(AR_ERR_NO_DEVICE, "device '%s' not found (no device %d on platform %d)",
                           spec, di, pi);
        }
    }
    if (is_uint(spec)) {
        int i = atoi(spec);
        if (i < nd) return *index = i, AR_OK;
        return ar_fail(AR_ERR_NO_DEVICE, "device '%s' not found: there are %d devices (0..%d)",
                       spec, nd, nd - 1);
    }
    static const char *types[] = {"cpu", "gpu", "accelerator"};
    for (size_t t = 0; t < sizeof types / sizeof *types; t++) {
        if (strcasecmp(spec, types[t]) != 0) continue;
        for (int i = 0; i < nd; i++)
            if (strcmp(dv[i].type, types[t]) == 0) return *index = i, AR_OK;
        return ar_fail(AR_ERR_NO_DEVICE, "device '%s' not found: no %s device", spec, types[t]);
    }
    for (int i = 0; i < nd; i++)
        if (contains_nocase(dv[i].name, spec)) return *index = i, AR_OK;
    for (int i = 0; i < nd; i++)
        if (contains_nocase(dv[i].platform_name, spec) || contains_nocase(dv[i].vendor, spec))
            return *index = i, AR_OK;
    return ar_fail(AR_ERR_NO_DEVICE, "device '%s' not found: it matches no device id, index, "
                   "type or name (see 'autorec devices')", spec);
}

ar_status ar_device_handle(const ar_device_info *info, cl_platform_id *platform,
                           cl_device_id *dev) {
    cl_platform_id *pids = NULL;
    cl_uint np = 0;
    ar_status st = get_platforms(&pids, &np);
    if (st != AR_OK) return st;
    if ((cl_uint)info->platform >= np) {
        free(pids);
        return ar_fail(AR_ERR_NO_DEVICE, "platform %d disappeared", info->platform);
    }
    cl_device_id *ids = NULL;
    cl_uint n = get_devices(pids[info->platform], &ids);
    *platform = pids[info->platform];
    free(pids);
    if ((cl_uint)info->device >= n) {
        free(ids);
        return ar_fail(AR_ERR_NO_DEVICE, "device %d:%d disappeared", info->platform, info->device);
    }
    *dev = ids[info->device];
    free(ids);
    return AR_OK;
}

ar_status ar_ctx_create(const char *spec, ar_ctx **out) {
    return ar_ctx_create_ex(spec, NULL, out);
}

ar_status ar_ctx_create_ex(const char *spec, const ar_ctx_options *opt, ar_ctx **out) {
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0, idx = 0;
    ar_status st = AR_OK;
    cl_int err;
    *out = NULL;
    if (!spec) spec = getenv("AUTOREC_DEVICE");
    AR_TRY(ar_devices_list(&pl, &np, &dv, &nd));
    AR_TRY(ar_device_resolve(spec, dv, nd, &idx));
    ar_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto cleanup;
    }
    *out = c;
    c->info = dv[idx];
    AR_TRY(ar_device_handle(&c->info, &c->platform, &c->device));
    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)c->platform, 0};
    c->context = clCreateContext(props, 1, &c->device, NULL, NULL, &err);
    AR_CL_TRY_AS("clCreateContext", err);
    c->prof.enabled = opt && opt->profiling;
    c->queue = clCreateCommandQueue(c->context, c->device,
                                    c->prof.enabled ? CL_QUEUE_PROFILING_ENABLE : 0, &err);
    AR_CL_TRY_AS("clCreateCommandQueue", err);
    if (c->prof.enabled) AR_TRY(ar_prof_probe(c));
    ar_gemm_tune(c); /* before any GEMM: CLBlast builds its kernels with what it holds then */
    AR_CL_TRY(clGetDeviceInfo(c->device, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof c->max_wg,
                              &c->max_wg, NULL));
    /* 1-D launches are also bounded by the first work-item dimension. */
    size_t item_sizes[3] = {0, 0, 0};
    AR_CL_TRY(clGetDeviceInfo(c->device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizeof item_sizes,
                              item_sizes, NULL));
    if (item_sizes[0] && item_sizes[0] < c->max_wg) c->max_wg = item_sizes[0];
    /* AUTOREC_MAX_WG caps work-group sizes: a way to test that kernels do not depend on large
     * work-groups, and a tuning knob. */
    const char *cap = getenv("AUTOREC_MAX_WG");
    if (cap && *cap) {
        long v = strtol(cap, NULL, 10);
        if (v < 1) {
            st = ar_fail(AR_ERR_INVALID_ARG, "AUTOREC_MAX_WG must be a positive integer, got '%s'",
                         cap);
            goto cleanup;
        }
        if ((size_t)v < c->max_wg) c->max_wg = (size_t)v;
    }
    /* AUTOREC_MAX_ALLOC (bytes) lowers the device's CL_DEVICE_MAX_MEM_ALLOC_SIZE as ar_buffer
     * sees it: the way to test, without a GPU, that a buffer over a GPU's limit (often a quarter
     * of its memory) is refused by name before the driver fails obscurely. */
    const char *alloc = getenv("AUTOREC_MAX_ALLOC");
    if (alloc && *alloc) {
        char *end;
        unsigned long long v = strtoull(alloc, &end, 10);
        if (*end || v < 1 || alloc[0] == '-') {
            st = ar_fail(AR_ERR_INVALID_ARG, "AUTOREC_MAX_ALLOC must be a positive number of "
                         "bytes, got '%s'", alloc);
            goto cleanup;
        }
        if (v < c->info.max_alloc_bytes) c->info.max_alloc_bytes = v;
    }
    ar_kparams_default(&c->kp, c->info.type);
    c->kp_from = "default";
    const char *kp = getenv("AUTOREC_KERNEL_PARAMS");
    if (kp && *kp && (st = ar_kparams_parse(kp, &c->kp)) != AR_OK) {
        st = ar_fail(st, "AUTOREC_KERNEL_PARAMS: %s", ar_last_error());
        goto cleanup;
    }
    if (kp && *kp) c->kp_from = "AUTOREC_KERNEL_PARAMS";
    AR_TRY(ar_program_build(c));
cleanup:
    free(pl);
    free(dv);
    if (st != AR_OK && *out) {
        ar_ctx_free(*out);
        *out = NULL;
    }
    return st;
}

const char *ar_ctx_kernel_params(const ar_ctx *ctx, char *out, size_t cap) {
    ar_kparams_format(&ctx->kp, out, cap);
    return ctx->kp_from;
}

void ar_ctx_free(ar_ctx *c) {
    if (!c) return;
    ar_prof_discard(c);
    free(c->prof.ev);
    ar_kernels_release(&c->k);
    if (c->scratch) clReleaseMemObject(c->scratch);
    if (c->program) clReleaseProgram(c->program);
    if (c->queue) clReleaseCommandQueue(c->queue);
    if (c->context) clReleaseContext(c->context);
    free(c);
}

ar_status ar_ctx_set_kparams(ar_ctx *c, const ar_kparams *kp) {
    /* commands already enqueued keep the kernels they were enqueued with (OpenCL retains
     * them); launches from now on use the new program and c->kp's shapes together */
    ar_kernels_release(&c->k);
    if (c->program) clReleaseProgram(c->program);
    c->program = NULL;
    c->kp = *kp;
    c->kp_by_store = 0; /* set by hand (ar_kparams_apply_tuned sets it again after) */
    return ar_program_build(c);
}

ar_status ar_ctx_scratch(ar_ctx *c, size_t bytes, cl_mem *out) {
    if (!c->scratch || c->scratch_bytes < bytes) {
        cl_mem b = NULL;
        ar_status st = ar_buffer(c, bytes, NULL, "the kernels' scratch buffer", &b);
        if (st != AR_OK) return st;
        /* commands enqueued with the old buffer keep it (OpenCL retains it until they ran) */
        if (c->scratch) clReleaseMemObject(c->scratch);
        c->scratch = b, c->scratch_bytes = bytes;
    }
    *out = c->scratch;
    return AR_OK;
}

const ar_device_info *ar_ctx_device(const ar_ctx *c) { return &c->info; }

double ar_ctx_build_seconds(const ar_ctx *ctx, int *cached) {
    if (cached) *cached = ctx->program_cached;
    return ctx->build_seconds;
}
