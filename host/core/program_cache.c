/* program_cache.c - built kernel programs kept on disk (CL_PROGRAM_BINARIES), so that a
 * context's start-up skips compiling the kernels from source after the first time.
 *
 * An entry is named by the SHA-256 of everything that decides the binary: the full kernel
 * source (defines included), the build options, the device's name, vendor and OpenCL version,
 * the driver's version, the platform's name and version, and autorec's version. It holds a
 * magic, the binary's length and SHA-256, that key's SHA-256 (its name), then the binary.
 * Loading checks all four and then builds the binary (clCreateProgramWithBinary +
 * clBuildProgram) and creates its kernels (program.c); anything that fails (a missing,
 * partial, corrupt, another key's or refused entry, or one whose kernels cannot be created) is a
 * miss: the program is built from source and the entry written again, to a temporary renamed
 * over it, so that concurrent writers never leave half a file. Cache failures never fail a
 * run. Where: $AUTOREC_PROGRAM_CACHE (a directory, created with its parents, or 0 for no
 * cache), else $XDG_CACHE_HOME/autorec/programs, else ~/.cache/autorec/programs when the home
 * directory exists (it is never created); a directory that cannot be used is a note, once per
 * process. Not used under fault injection ($AUTOREC_FAULT): the tests count the calls of a
 * build from source. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

#define MAGIC "ARPROGB2" /* B1 (no key): a wrong magic, so a miss, rewritten */
#define HEAD (8 + 8 + 32 + 32) /* magic, binary length, binary SHA-256, key SHA-256 */

/* A note on the cache, once per process for each kind (`said`: a flag of its own), or every
 * run would compile again without a word: "autorec: note: WHAT: cannot VERB PATH: REASON". */
static void note_once(atomic_int *said, const char *what, const char *verb, const char *path,
                      int err) {
    if (!atomic_exchange(said, 1))
        fprintf(stderr, "autorec: note: %s: cannot %s %s: %s\n", what, verb, path,
                strerror(err));
}

int ar_program_cache_dir(char *dir, size_t cap, char *why, size_t why_cap) {
    const char *env = getenv("AUTOREC_PROGRAM_CACHE"), *fault = getenv("AUTOREC_FAULT");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    struct stat sb;
    char none[8];
    if (!why) why = none, why_cap = sizeof none;
    if (fault && *fault) {
        snprintf(why, why_cap, "no cache under fault injection (AUTOREC_FAULT is set)");
        return 0;
    }
    if (env && (!strcmp(env, "0") || !*env)) {
        snprintf(why, why_cap, "AUTOREC_PROGRAM_CACHE is '%s' (no cache): set it to a "
                 "directory", env);
        return 0;
    }
    int n;
    if (env) n = snprintf(dir, cap, "%s", env);
    else if (xdg && xdg[0] == '/') n = snprintf(dir, cap, "%s/autorec/programs", xdg);
    else if (home && *home && stat(home, &sb) == 0 && S_ISDIR(sb.st_mode))
        n = snprintf(dir, cap, "%s/.cache/autorec/programs", home); /* below an existing home */
    else {
        snprintf(why, why_cap, "no home directory: set AUTOREC_PROGRAM_CACHE to a directory");
        return 0;
    }
    int err = n >= (int)cap ? ENAMETOOLONG : ar_path_make_dirs(dir) == 0 ? 0 : errno;
    if (err) { /* the cache off: why, and a note */
        static atomic_int said;
        snprintf(why, why_cap, "cannot use %s: %s", dir, strerror(err));
        note_once(&said, "no built-program cache", "use", dir, err);
    }
    return !err;
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

/* The key's SHA-256, read back from the entry's name (dir/HEX.bin). The entry holds it too: a
 * file copied to another key's name (another device's) is then a miss, not a binary handed to
 * a driver it was not built for (Rusticl panics on PoCL's). */
static int name_key(const char *path, unsigned char *key) {
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (sscanf(name + 2 * i, "%2x", &v) != 1) return 0;
        key[i] = (unsigned char)v;
    }
    return 1;
}

/* The entry's binary built for c, or NULL (a miss). */
static cl_program load(ar_ctx *c, const char *path, const char *opts) {
    char *buf = NULL;
    size_t len = 0;
    if (ar_read_file(path, &buf, &len) != AR_OK) return NULL;
    cl_program p = NULL;
    uint64_t n = 0;
    unsigned char md[32], key[32];
    if (len < HEAD || memcmp(buf, MAGIC, 8) || !name_key(path, key) || memcmp(key, buf + 48, 32))
        goto done;
    memcpy(&n, buf + 8, 8);
    if (n == 0 || n != len - HEAD) goto done;
    const unsigned char *bin = (const unsigned char *)buf + HEAD;
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

/* An entry that could not be written (a read-only or full cache directory). */
static atomic_int unwritten;
#define WRITE_NOTE "built-program cache" /* the run compiles from source until it can */

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
    if ((fd = mkstemp(tmp)) < 0) {
        note_once(&unwritten, WRITE_NOTE, "write", path, errno);
        goto done;
    }
    uint64_t n = size;
    unsigned char md[32], key[32];
    sha256(bin, size, md);
    errno = 0;
    int ok = name_key(path, key) && write(fd, MAGIC, 8) == 8 && write(fd, &n, 8) == 8 &&
             write(fd, md, 32) == 32 && write(fd, key, 32) == 32 &&
             write(fd, bin, size) == (ssize_t)size;
    ok = close(fd) == 0 && ok;
    fd = -1;
    if (!ok || rename(tmp, path) != 0) {
        if (errno) /* ENOSPC, EIO; a short write without errno: none */
            note_once(&unwritten, WRITE_NOTE, "write", path, errno);
        unlink(tmp);
    }
done:
    if (fd >= 0) close(fd);
    free(bin);
}

int ar_program_cache_load(ar_ctx *c, const char *src, const char *opts, char *path, size_t cap) {
    char dir[4096];
    path[0] = 0;
    if (!ar_program_cache_dir(dir, sizeof dir, NULL, 0) ||
        !entry_path(c, src, opts, dir, path, cap)) {
        path[0] = 0;
        return 0;
    }
    c->program = load(c, path, opts);
    return c->program != NULL;
}

void ar_program_cache_store(const ar_ctx *c, const char *path) {
    if (path[0]) store(c, path);
}

void ar_program_cache_remove(const char *path) {
    if (path[0]) unlink(path); /* a symbolic link itself, never the file it names */
}
