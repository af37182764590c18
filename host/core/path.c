/* path.c - the paths under every output file (file.c) and download (host/data/fetch.c): a
 * target with its symbolic links followed, whether two paths name the same file, what kind of
 * file is in the way, and the temporaries: their names ("NAME.TAG-PID-XXXXXX", next to what
 * they become), and the removal of those left by a process that died. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The directory part of path ("." when it has none; "/" for a file at the root). */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

const char *ar_path_base(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *ar_path_dir(const char *path) { return dir_of(path); }

/* The link at p read and made a path: absolute as it is, relative to p's directory. */
static char *follow(const char *p) {
    char link[PATH_MAX];
    ssize_t n = readlink(p, link, sizeof link - 1);
    if (n < 0) return NULL;
    link[n] = '\0';
    if (link[0] == '/') return strdup(link);
    char *dir = dir_of(p);
    if (!dir) return NULL;
    size_t len = strlen(dir) + 1 + (size_t)n + 1;
    char *next = malloc(len);
    if (next) snprintf(next, len, "%s/%s", dir, link);
    free(dir);
    return next;
}

char *ar_path_resolve(const char *path) {
    char *p = strdup(path);
    for (int hops = 0; p; hops++) {
        struct stat st;
        /* not there (or not visible): the path itself, whose use then says why */
        if (lstat(p, &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        char *next = hops < 40 ? follow(p) : NULL;
        int e = hops < 40 ? errno : ELOOP;
        free(p);
        p = next;
        if (!p) errno = e ? e : ENOMEM;
    }
    return NULL;
}

/* path's directory made absolute without links (realpath) and its last name: one spelling
 * per place, for files that do not exist yet. NULL when the directory cannot be resolved. */
static char *canonical(const char *path) {
    char *target = ar_path_resolve(path), *dir = target ? dir_of(target) : NULL;
    char *real = dir ? realpath(dir, NULL) : NULL, *out = NULL;
    if (real) {
        size_t len = strlen(real) + strlen(ar_path_base(target)) + 2;
        if ((out = malloc(len))) snprintf(out, len, "%s/%s", real, ar_path_base(target));
    }
    free(real);
    free(dir);
    free(target);
    return out;
}

int ar_path_same(const char *a, const char *b) {
    struct stat sa, sb;
    int ea = stat(a, &sa) == 0, eb = stat(b, &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea || eb) return 0;
    char *ca = canonical(a), *cb = canonical(b);
    int same = ca && cb && !strcmp(ca, cb);
    free(ca);
    free(cb);
    return same;
}

const char *ar_path_kind(unsigned mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

/* ---- temporaries ---------------------------------------------------------------------------- */

char *ar_temp_template(const char *dir, const char *name, const char *tag) {
    size_t len = strlen(dir) + strlen(name) + strlen(tag) + 40;
    char *t = malloc(len);
    /* "NAME..." rather than "./NAME..." in the current directory: the name a user sees */
    int here = !strcmp(dir, ".");
    if (t) snprintf(t, len, "%s%s%s.%s-%ld-XXXXXX", here ? "" : dir, here ? "" : "/", name, tag,
                    (long)getpid());
    return t;
}

void ar_remove_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (!S_ISDIR(sb.st_mode)) {
        unlink(path);
        return;
    }
    DIR *dir = opendir(path);
    if (dir) {
        struct dirent *e;
        while ((e = readdir(dir))) {
            char child[PATH_MAX];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) < (int)sizeof child)
                ar_remove_tree(child);
        }
        closedir(dir);
    }
    rmdir(path);
}

/* The writer's process id in name when it is PREFIX "PID-..." for one of the prefixes; 0. */
static long writer_of(const char *name, const char *const *prefixes, int n) {
    for (int k = 0; k < n; k++) {
        size_t len = strlen(prefixes[k]);
        if (strncmp(name, prefixes[k], len) != 0) continue;
        char *end;
        long pid = strtol(name + len, &end, 10);
        if (end != name + len && *end == '-' && pid > 0) return pid;
    }
    return 0;
}

void ar_remove_stale(const char *dir, const char *const *prefixes, int n) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        long pid = writer_of(e->d_name, prefixes, n);
        /* alive, or not ours to ask about (EPERM): left alone */
        if (!pid || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p) ar_remove_tree(p);
    }
    closedir(d);
}

int ar_path_make_dirs(const char *path) {
    char p[PATH_MAX];
    if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s != '\0') continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) return -1;
        *s = c;
        if (c == '\0') break;
    }
    struct stat sb;
    if (stat(p, &sb) != 0) return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
