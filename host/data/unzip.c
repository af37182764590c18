/* unzip.c - a downloaded MovieLens zip extracted with libarchive into the download's
 * temporary tree: plain files and directories only, every name checked to stay inside it, and
 * each file synced before the tree is renamed into the cache (download.c). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"

/* Whether a zip entry name is safe to create under the extraction directory: relative, and
 * without ".." components that would climb out of it. */
static int safe_name(const char *p) {
    if (!p || !*p || p[0] == '/') return 0;
    for (const char *s = p; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 2 && s[0] == '.' && s[1] == '.') return 0;
        s += n;
        while (*s == '/') s++;
    }
    return 1;
}

/* Creates the directories above tmp/rel (rel is relative and safe). */
static int make_parents(const char *tmp, const char *rel) {
    char p[PATH_MAX];
    if (!PATHF(p, "%s/%s", tmp, rel)) return -1;
    char *slash = strrchr(p, '/');
    *slash = '\0';
    return ar_path_make_dirs(p);
}

/* Puts the reason for a failure in why; returns AR_ERR_IO. */
static ar_status why_io(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ar_status why_io(char *why, size_t why_len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return AR_ERR_IO;
}

/* Writes the current entry's data to path (through core/file.c's writer: buffered, behind
 * the fault hook); never follows a link already there. */
static ar_status write_entry(struct archive *a, const char *path, char *why, size_t why_len) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
    if (fd < 0) return why_io(why, why_len, "cannot create %s: %s", path, strerror(errno));
    ar_writer w = {fd, 0, malloc(AR_FETCH_BUFFER), 0, AR_FETCH_BUFFER};
    char buf[65536];
    la_ssize_t n = 0;
    ar_status st = w.buf ? AR_OK : why_io(why, why_len, "out of host memory");
    while (st == AR_OK && !w.err && (n = archive_read_data(a, buf, sizeof buf)) > 0) {
        if (ar_fetch_interrupted)
            st = why_io(why, why_len, "interrupted by signal %d", (int)ar_fetch_interrupted);
        else ar_writer_put(&w, buf, (size_t)n);
    }
    if (st == AR_OK && n < 0) st = why_io(why, why_len, "%s", archive_error_string(a));
    /* fsync: after a crash the renamed entry must not hold truncated files */
    if (st == AR_OK && !ar_writer_flush(&w)) w.err = ar_fsync(fd);
    if (close(fd) != 0 && !w.err) w.err = errno;
    if (st == AR_OK && w.err)
        st = why_io(why, why_len, "cannot write %s: %s", path, strerror(w.err));
    free(w.buf);
    return st;
}

/* Extracts the archive's current entry e into tmp, without the top-level directory. */
static ar_status unzip_entry(struct archive *a, struct archive_entry *e, const char *tmp,
                             char *why, size_t why_len) {
    const char *name = archive_entry_pathname(e);
    if (ar_fetch_interrupted)
        return why_io(why, why_len, "interrupted by signal %d", (int)ar_fetch_interrupted);
    if (!safe_name(name))
        return why_io(why, why_len, "unsafe path in the zip: '%s'", name ? name : "(none)");
    const char *slash = strchr(name, '/');
    if (strncmp(name, "__MACOSX/", 9) == 0) return AR_OK; /* resource forks of a Mac zip */
    const char *rel = slash ? slash + 1 : name;
    while (*rel == '/') rel++;
    if (!*rel) return AR_OK; /* the top-level directory itself */
    char path[PATH_MAX];
    if (!PATHF(path, "%s/%s", tmp, rel))
        return why_io(why, why_len, "path too long in the zip: '%s'", name);
    mode_t type = archive_entry_filetype(e);
    if (type == AE_IFDIR) {
        if (ar_path_make_dirs(path) != 0)
            return why_io(why, why_len, "cannot create %s: %s", path, strerror(errno));
        return AR_OK;
    }
    if (type == AE_IFREG) {
        if (make_parents(tmp, rel) != 0)
            return why_io(why, why_len, "cannot create the directory of %s: %s", path,
                          strerror(errno));
        return write_entry(a, path, why, why_len);
    }
    /* A link could point outside the cache; MovieLens zips hold none. */
    return why_io(why, why_len, "unsupported entry (a link or device) in the zip: '%s'", name);
}

ar_status ar_fetch_unzip(const char *zip, const char *tmp, char *why, size_t why_len) {
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    ar_status st = AR_OK;
    int r;
    if (!a) {
        snprintf(why, why_len, "out of memory");
        return AR_ERR_OUT_OF_MEMORY;
    }
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, zip, 65536) != ARCHIVE_OK) {
        st = why_io(why, why_len, "not a zip archive (%s)", archive_error_string(a));
        archive_read_free(a);
        return st;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK)
        if ((st = unzip_entry(a, e, tmp, why, why_len)) != AR_OK) break;
    if (st == AR_OK && r != ARCHIVE_EOF)
        st = why_io(why, why_len, "damaged zip (%s)", archive_error_string(a));
    archive_read_free(a);
    return st;
}
