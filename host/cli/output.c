/* output.c - the files the CLI writes: atomically written outputs (figures, splits), streams
 * written row by row (per-epoch metrics, sweep tables), and the checks that find an unwritable
 * path before a long run. */
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static ar_status cannot_write(const char *path, const char *why) {
    return cli_fail(AR_ERR_IO, "cannot write '%s': %s", path, why);
}

/* A fresh temporary file next to path (path + suffix + "XXXXXX"), so rename() stays in one file
 * system. Returns its descriptor and fills *tmp (caller frees), or -1 with errno. */
static int make_temp(const char *path, const char *suffix, char **tmp) {
    size_t n = strlen(path) + strlen(suffix) + 8;
    *tmp = malloc(n);
    if (!*tmp) return -1;
    snprintf(*tmp, n, "%s%sXXXXXX", path, suffix);
    int fd = mkstemp(*tmp);
    if (fd < 0) {
        int e = errno;
        free(*tmp);
        *tmp = NULL;
        errno = e;
    }
    return fd;
}

static int is_directory(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates and removes a temporary file next to path; 0, or -1 with errno. */
static int probe(const char *path, const char *suffix) {
    char *tmp = NULL;
    int fd = make_temp(path, suffix, &tmp);
    if (fd < 0) return -1;
    close(fd);
    unlink(tmp);
    free(tmp);
    return 0;
}

ar_status cli_check_writable(const char *path) {
    if (!path || !*path) return cannot_write("", "empty file name");
    if (is_directory(path)) return cannot_write(path, "is a directory");
    if (probe(path, ".tmp.") != 0) return cannot_write(path, strerror(errno));
    return AR_OK;
}

ar_status cli_check_beside(const char *path) {
    if (probe(path, ".probe-") != 0)
        return cli_fail(AR_ERR_IO, "cannot write next to '%s': %s", path, strerror(errno));
    return AR_OK;
}

ar_status cli_make_dir(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0 && mkdir(path, 0777) != 0)
        return cli_fail(AR_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    return AR_OK;
}

ar_status cli_write_atomic(const char *path, void (*emit)(FILE *f, const void *arg),
                           const void *arg) {
    if (!path || !*path) return cannot_write("", "empty file name");
    if (is_directory(path)) return cannot_write(path, "is a directory");
    char *tmp = NULL;
    int fd = make_temp(path, ".tmp.", &tmp);
    if (fd < 0) return cannot_write(path, strerror(errno));
    fchmod(fd, 0644); /* mkstemp's 0600 would hide the file from a web server or other users */
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmp);
        free(tmp);
        return cannot_write(path, strerror(e));
    }
    emit(f, arg);
    int bad = ferror(f);
    int e = bad ? EIO : 0;
    if (fclose(f) != 0 && !bad) bad = 1, e = errno;
    if (!bad && rename(tmp, path) != 0) bad = 1, e = errno;
    if (bad) unlink(tmp);
    free(tmp);
    return bad ? cannot_write(path, strerror(e)) : AR_OK;
}

ar_status cli_stream_open(const char *path, FILE **f) {
    if (!(*f = fopen(path, "w"))) return cannot_write(path, strerror(errno));
    return AR_OK;
}

ar_status cli_stream_flush(FILE *f, const char *path) {
    if (fflush(f) != 0 || ferror(f))
        return cli_fail(CLI_ERR_OUTPUT, "cannot write '%s': %s", path, strerror(errno ? errno
                                                                                      : EIO));
    return AR_OK;
}

ar_status cli_stream_close(FILE *f, const char *path) {
    if (fclose(f) != 0)
        return cli_fail(CLI_ERR_OUTPUT, "cannot write '%s': %s", path, strerror(errno));
    return AR_OK;
}

void cli_stream_discard(FILE *f, const char *path) {
    fclose(f);
    unlink(path);
}

void cli_stream_abandon(FILE *f) { fclose(f); }
