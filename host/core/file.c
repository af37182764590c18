/* file.c - every file autorec writes, whole or not at all (ar_output, include/autorec.h): model
 * files, synthetic ratings, and the tool's metrics, plots and splits. Downloads share the
 * bottom of it (ar_write_all, ar_fsync, ar_writer).
 *
 * The rules live here, once:
 *   - the target is path with its symbolic links followed: a link is written through, and stays;
 *   - an existing target that is not a regular file (a directory, a device, a FIFO, a socket)
 *     is refused, never replaced;
 *   - bytes go to a temporary next to the target, "TARGET.tmp-PID-XXXXXX" (the same directory,
 *     so that rename() is atomic), which is flushed to disk and renamed over the target at the
 *     end; the directory is synced so that the rename itself survives a crash. A failure
 *     removes the temporary and leaves the target as it was;
 *   - the PID in the name lets a later open remove the temporaries of a writer that died
 *     (kill -9, power cut), never those of a live one;
 *   - every write and every fsync first asks the fault hook (fault.c), whose answer is taken
 *     exactly as that errno from the system. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

enum { OUTPUT_BUFFER = 1 << 20 }; /* a small file is one write(2) */

struct ar_output {
    char *path;       /* as the caller gave it: messages name it */
    char *target;     /* path with its symbolic links followed: what the rename replaces */
    char *tmp;        /* the temporary; NULL once renamed or removed */
    ar_writer w;      /* buffered writes to the temporary; the first error sticks */
    int synced;       /* everything written is on disk (ar_output_sync) */
};

/* ---- the system calls, behind the fault hook ------------------------------------------------ */

int ar_write_all(int fd, const void *p, size_t n) {
    if (n == 0) return 0;
    int e = ar_fault(AR_FAULT_WRITE);
    if (e) return e;
    for (const char *c = p; n > 0;) {
        ssize_t k = write(fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return k < 0 ? errno : EIO;
        c += k, n -= (size_t)k;
    }
    return 0;
}

int ar_fsync(int fd) {
    int e = ar_fault(AR_FAULT_FSYNC);
    if (e) return e;
    return fsync(fd) == 0 ? 0 : errno;
}

void ar_writer_put(ar_writer *w, const void *p, size_t n) {
    if (w->err || n == 0) return;
    if (w->len + n > w->cap) {
        if (ar_writer_flush(w)) return;
        if (n >= w->cap) { /* a large block goes straight through */
            w->err = ar_write_all(w->fd, p, n);
            return;
        }
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

int ar_writer_flush(ar_writer *w) {
    if (!w->err && w->len) w->err = ar_write_all(w->fd, w->buf, w->len);
    w->len = 0;
    return w->err;
}

/* ---- checks --------------------------------------------------------------------------------- */

static ar_status cannot_write(const char *path, int err) {
    return ar_fail(AR_ERR_IO, "cannot write '%s': %s", path, strerror(err));
}

/* The target of path (caller frees), refused when something other than a regular file is
 * there; the temporaries of dead writers next to it are removed. */
static ar_status find_target(const char *path, char **target) {
    *target = NULL;
    if (!path || !*path)
        return ar_fail(AR_ERR_INVALID_ARG, "an output needs a file name (the path is empty)");
    char *t = ar_path_resolve(path);
    if (!t) return cannot_write(path, errno);
    struct stat st;
    if (stat(t, &st) == 0 && !S_ISREG(st.st_mode)) {
        ar_status s = ar_fail(AR_ERR_IO, "cannot write '%s': it is %s, and only a regular file "
                              "is replaced", path, ar_path_kind(st.st_mode));
        free(t);
        return s;
    }
    char *dir = ar_path_dir(t), *prefix = malloc(strlen(t) + 8);
    if (dir && prefix) {
        snprintf(prefix, strlen(t) + 8, "%s.tmp-", ar_path_base(t));
        const char *prefixes[1] = {prefix};
        ar_remove_stale(dir, prefixes, 1);
    }
    free(dir);
    free(prefix);
    *target = t;
    return AR_OK;
}

/* A new temporary next to target (mode: the target's, else 0644); its descriptor, or -1 with
 * errno. */
static int make_temp(const char *target, char **tmp) {
    char *dir = ar_path_dir(target);
    *tmp = dir ? ar_temp_template(dir, ar_path_base(target), "tmp") : NULL;
    free(dir);
    if (!*tmp) {
        errno = ENOMEM;
        return -1;
    }
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
        return -1;
    }
    /* mkstemp's 0600 would hide a model or a figure from other users; a file being replaced
     * keeps its own permissions */
    struct stat st;
    (void)fchmod(fd, stat(target, &st) == 0 ? (st.st_mode & 07777) : 0644);
    return fd;
}

ar_status ar_output_check(const char *path, const char *const *inputs, size_t n_inputs) {
    char *target = NULL, *tmp = NULL;
    ar_status st = find_target(path, &target);
    for (size_t k = 0; st == AR_OK && k < n_inputs; k++)
        if (inputs[k] && ar_path_same(target, inputs[k]))
            st = ar_fail(AR_ERR_INVALID_ARG, "refusing to write '%s': it is the same file as "
                         "'%s'", path, inputs[k]);
    if (st == AR_OK) {
        int fd = make_temp(target, &tmp);
        if (fd < 0) st = cannot_write(path, errno);
        else close(fd), unlink(tmp);
    }
    free(tmp);
    free(target);
    return st;
}

/* ---- writing -------------------------------------------------------------------------------- */

ar_status ar_output_open(const char *path, ar_output **out) {
    *out = NULL;
    ar_output *o = calloc(1, sizeof *o);
    if (!o) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory opening %s", path);
    o->w.fd = -1;
    ar_status st = find_target(path, &o->target);
    if (st == AR_OK && (!(o->path = strdup(path)) || !(o->w.buf = malloc(OUTPUT_BUFFER))))
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory opening %s", path);
    if (st == AR_OK && (o->w.fd = make_temp(o->target, &o->tmp)) < 0)
        st = cannot_write(path, errno);
    if (st != AR_OK) {
        ar_output_abort(o);
        return st;
    }
    o->w.cap = OUTPUT_BUFFER;
    *out = o;
    return AR_OK;
}

ar_status ar_output_write(ar_output *o, const void *buf, size_t n) {
    ar_writer_put(&o->w, buf, n);
    return o->w.err ? cannot_write(o->path, o->w.err) : AR_OK;
}

ar_status ar_output_flush(ar_output *o) {
    return ar_writer_flush(&o->w) ? cannot_write(o->path, o->w.err) : AR_OK;
}

ar_status ar_output_sync(ar_output *o) {
    if (!ar_writer_flush(&o->w) && !o->synced) o->w.err = ar_fsync(o->w.fd);
    o->synced = !o->w.err;
    return o->w.err ? cannot_write(o->path, o->w.err) : AR_OK;
}

const char *ar_output_temp_path(const ar_output *o) { return o->tmp; }

/* fsync of path's directory: makes a rename inside it durable. Best effort: the file is in
 * place already. */
static void sync_dir(const char *path) {
    char *dir = ar_path_dir(path);
    int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY) : -1;
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
}

ar_status ar_output_commit(ar_output *o) {
    /* synced before the rename, so the name never points at a partial file; a full disk may
     * only show here (NFS) */
    int err = ar_output_sync(o) == AR_OK ? 0 : o->w.err;
    if (close(o->w.fd) != 0 && !err) err = errno;
    o->w.fd = -1;
    if (!err && rename(o->tmp, o->target) != 0) err = errno;
    if (err) {
        ar_status st = cannot_write(o->path, err);
        ar_output_abort(o);
        return st;
    }
    sync_dir(o->target);
    free(o->tmp);
    o->tmp = NULL;
    ar_output_abort(o); /* frees the rest */
    return AR_OK;
}

void ar_output_abort(ar_output *o) {
    if (!o) return;
    if (o->w.fd >= 0) close(o->w.fd);
    if (o->tmp) unlink(o->tmp);
    free(o->tmp);
    free(o->w.buf);
    free(o->target);
    free(o->path);
    free(o);
}
