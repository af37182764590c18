/* program_cache.c - built kernel programs kept on disk (CL_PROGRAM_BINARIES), so that a
 * context's start-up skips compiling the kernels from source after the first time.
 *
 * An entry is named by the SHA-256 of everything that decides the binary: the full kernel
 * source (defines included), the build options, the device's name, vendor and OpenCL version,
 * the driver's version, the platform's name and version, and autorec's version. It holds a
 * magic, the binary's length and SHA-256, then the binary. Loading checks all three and then
 * builds the binary (clCreateProgramWithBinary + clBuildProgram); anything that fails (a
 * missing, partial, corrupt or refused entry) is a miss: the program is built from source and
 * the entry written again, to a temporary renamed over it, so that concurrent writers never
 * leave half a file. Cache failures never fail a run. Where: $AUTOREC_PROGRAM_CACHE (a
 * directory, or 0 for no cache), else $XDG_CACHE_HOME/autorec/programs, else
 * ~/.cache/autorec/programs when the home directory exists (it is never created). Not used
 * under fault injection ($AUTOREC_FAULT): the tests count the calls of a build from source. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

#define MAGIC "ARPROGB1"

/* dir (cap bytes) for the cache, created below an existing base; 0: no cache. */
int ar_program_cache_dir(char *dir, size_t cap) {
    const char *env = getenv("AUTOREC_PROGRAM_CACHE");
    if (getenv("AUTOREC_FAULT") && *getenv("AUTOREC_FAULT")) return 0;
    if (env && (!strcmp(env, "0") || !*env)) return 0;
    if (env) {
        if (snprintf(dir, cap, "%s", env) >= (int)cap) return 0;
        mkdir(dir, 0755); /* its parent must exist */
        struct stat sb;
        return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
    }
    char base[4096];
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    struct stat sb;
    if (xdg && xdg[0] == '/') {
        snprintf(base, sizeof base, "%s", xdg);
        mkdir(base, 0755);
    } else if (home && *home && stat(home, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        snprintf(base, sizeof base, "%s/.cache", home);
        mkdir(base, 0755);
    } else {
        return 0;
    }
    if (snprintf(dir, cap, "%s/autorec", base) >= (int)cap) return 0;
    mkdir(dir, 0755);
    if (snprintf(dir, cap, "%s/autorec/programs", base) >= (int)cap) return 0;
    mkdir(dir, 0755);
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static void device_string(cl_device_id d, cl_device_info what, char *out, size_t cap) {
    out[0] = 0;
    if (clGetDeviceInfo(d, what, cap - 1, out, NULL) != CL_SUCCESS) out[0] = 0;
    out[cap - 1] = 0;
}

/* The entry's path: dir/SHA256-HEX.bin. */
static int entry_path(const ar_ctx *c, const char *src, const char *opts, const char *dir,
                      char *path, size_t cap) {
    char dev_version[256], driver[256];
    device_string(c->device, CL_DEVICE_VERSION, dev_version, sizeof dev_version);
    device_string(c->device, CL_DRIVER_VERSION, driver, sizeof driver);
    const char *parts[] = {"autorec program cache 1", AR_VERSION_STRING, src, opts,
                           c->info.name, c->info.vendor, dev_version, driver,
                           c->info.platform_name, c->info.platform_version};
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    if (!sha) return 0;
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
    for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
        EVP_DigestUpdate(sha, parts[k], strlen(parts[k]) + 1); /* the NUL separates them */
    EVP_DigestFinal_ex(sha, md, &n);
    EVP_MD_CTX_free(sha);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return snprintf(path, cap, "%s/%s.bin", dir, hex) < (int)cap;
}

static void sha256(const void *p, size_t n, unsigned char *md) {
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
}

/* The entry's binary built for c, or NULL (a miss). */
static cl_program load(ar_ctx *c, const char *path, const char *opts) {
    char *buf = NULL;
    size_t len = 0;
    if (ar_read_file(path, &buf, &len) != AR_OK) return NULL;
    cl_program p = NULL;
    uint64_t n = 0;
    unsigned char md[32];
    if (len < 8 + 8 + 32 || memcmp(buf, MAGIC, 8)) goto done;
    memcpy(&n, buf + 8, 8);
    if (n == 0 || n != len - 48) goto done;
    const unsigned char *bin = (const unsigned char *)buf + 48;
    sha256(bin, (size_t)n, md);
    if (memcmp(md, buf + 16, 32)) goto done;
    size_t size = (size_t)n;
    cl_int err, bin_status;
    p = clCreateProgramWithBinary(c->context, 1, &c->device, &size, &bin, &bin_status, &err);
    if (err != CL_SUCCESS || bin_status != CL_SUCCESS) {
        if (p) clReleaseProgram(p);
        p = NULL;
        goto done;
    }
    if (clBuildProgram(p, 1, &c->device, opts, NULL, NULL) != CL_SUCCESS) {
        clReleaseProgram(p);
        p = NULL;
    }
done:
    free(buf);
    ar_clear_error(); /* a miss is not an error */
    return p;
}

/* Writes the program's binary as the entry at path (a temporary renamed over it). */
static void store(const ar_ctx *c, const char *path) {
    size_t size = 0;
    if (clGetProgramInfo(c->program, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) !=
            CL_SUCCESS || size == 0)
        return;
    unsigned char *bin = malloc(size);
    char tmp[4200];
    if (!bin) return;
    int fd = -1;
    if (clGetProgramInfo(c->program, CL_PROGRAM_BINARIES, sizeof bin, &bin, NULL) != CL_SUCCESS)
        goto done;
    snprintf(tmp, sizeof tmp, "%s.tmp-%ld-XXXXXX", path, (long)getpid());
    if ((fd = mkstemp(tmp)) < 0) goto done;
    uint64_t n = size;
    unsigned char md[32];
    sha256(bin, size, md);
    int ok = write(fd, MAGIC, 8) == 8 && write(fd, &n, 8) == 8 && write(fd, md, 32) == 32 &&
             write(fd, bin, size) == (ssize_t)size;
    ok = close(fd) == 0 && ok;
    fd = -1;
    if (!ok || rename(tmp, path) != 0) unlink(tmp);
done:
    if (fd >= 0) close(fd);
    free(bin);
}

int ar_program_cache_load(ar_ctx *c, const char *src, const char *opts, char *path, size_t cap) {
    char dir[4096];
    path[0] = 0;
    if (!ar_program_cache_dir(dir, sizeof dir) || !entry_path(c, src, opts, dir, path, cap)) {
        path[0] = 0;
        return 0;
    }
    c->program = load(c, path, opts);
    return c->program != NULL;
}

void ar_program_cache_store(const ar_ctx *c, const char *path) {
    if (path[0]) store(c, path);
}
