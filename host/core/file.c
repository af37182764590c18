/* file.c - writing a file whole or not at all, for every file the library writes (model files,
 * synthetic ratings): a temporary next to the target (the same directory, so that rename is
 * atomic), flushed to disk, then renamed over the target; the directory is synced so that the
 * rename itself survives a crash. On any failure the temporary is removed and the target is
 * left as it was. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

ar_status ar_atomic_open(ar_atomic_file *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->fd = -1;
    a->path = path;
    size_t n = strlen(path) + sizeof ".tmp-XXXXXX";
    if (!(a->tmp = ar_malloc(n))) return AR_ERR_OUT_OF_MEMORY;
    snprintf(a->tmp, n, "%s.tmp-XXXXXX", path);
    a->fd = mkstemp(a->tmp);
    if (a->fd < 0) {
        ar_status st = ar_fail(AR_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
        free(a->tmp);
        a->tmp = NULL;
        return st;
    }
    /* mkstemp makes the file 0600; a data or model file is normally readable by all (umask
     * aside, which cannot be read without changing it) */
    (void)fchmod(a->fd, 0644);
    return AR_OK;
}

/* fsync of path's directory: makes a rename inside it durable. Best effort. */
static void sync_dir(const char *path) {
    char *dir = strdup(path);
    if (!dir) return;
    char *slash = strrchr(dir, '/');
    const char *d = slash ? (slash == dir ? "/" : (*slash = 0, dir)) : ".";
    int dfd = open(d, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
}

ar_status ar_atomic_commit(ar_atomic_file *a, int err) {
    /* synced before the rename, so the name never points at a partial file; a full disk may
     * only show here (NFS) */
    if (!err) err = ar_fault(AR_FAULT_FSYNC);
    if (!err && fsync(a->fd) != 0) err = errno;
    if (close(a->fd) != 0 && !err) err = errno;
    a->fd = -1;
    if (!err && rename(a->tmp, a->path) != 0) err = errno;
    if (err) {
        ar_atomic_abort(a);
        return ar_fail(AR_ERR_IO, "%s: cannot write: %s", a->path, strerror(err));
    }
    sync_dir(a->path);
    free(a->tmp);
    a->tmp = NULL;
    return AR_OK;
}

void ar_atomic_abort(ar_atomic_file *a) {
    if (a->fd >= 0) close(a->fd);
    a->fd = -1;
    if (a->tmp) unlink(a->tmp);
    free(a->tmp);
    a->tmp = NULL;
}
