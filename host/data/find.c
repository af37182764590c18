/* find.c - a dataset directory's files: its ratings file (u.data, ratings.dat or ratings.csv,
 * also in its one subdirectory, as a zip extracts) and the titles file next to a ratings file
 * (u.item, movies.dat or movies.csv). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

static int is_regular(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *const ratings_names[] = {"u.data", "ratings.dat", "ratings.csv"};

/* The first ratings file name present in dir, written to path; 0 when none. */
static int ratings_in(const char *dir, char *path, size_t len) {
    if (!path || !len) return 0;
    for (size_t k = 0; k < sizeof ratings_names / sizeof *ratings_names; k++) {
        int n = snprintf(path, len, "%s/%s", dir, ratings_names[k]);
        if (n > 0 && (size_t)n < len && is_regular(path)) return 1;
    }
    return 0;
}

ar_status ar_ratings_find(const char *dir, char *path, size_t path_len) {
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return ar_fail(AR_ERR_IO, "%s: not a directory", dir);
    if (ratings_in(dir, path, path_len)) return AR_OK;
    /* A zip extracted as is: the files sit in its one subdirectory (ml-10M100K/, ...). */
    DIR *d = opendir(dir);
    int found = 0;
    char sub[4096], hit[4096];
    if (d) {
        for (struct dirent *e; (e = readdir(d));) {
            if (e->d_name[0] == '.') continue;
            snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
            if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode) && ratings_in(sub, hit, sizeof hit)) {
                if (found++ == 0) snprintf(path, path_len, "%s", hit);
            }
        }
        closedir(d);
    }
    if (found == 1) return AR_OK;
    if (found > 1)
        return ar_fail(AR_ERR_IO, "%s: several subdirectories hold ratings files; give the "
                       "file itself", dir);
    return ar_fail(AR_ERR_IO, "%s: no ratings file: looked for u.data, ratings.dat and "
                   "ratings.csv in it and in its subdirectories", dir);
}

int ar_titles_find(const char *ratings_path, char *path, size_t path_len) {
    if (!path || !path_len) return 0;
    static const char *const names[] = {"u.item", "movies.dat", "movies.csv"};
    const char *slash = strrchr(ratings_path, '/');
    int dir_len = slash ? (int)(slash - ratings_path) : 1;
    const char *dir = slash ? ratings_path : ".";
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        int n = snprintf(path, path_len, "%.*s/%s", dir_len, dir, names[k]);
        if (n > 0 && (size_t)n < path_len && is_regular(path)) return 1;
    }
    return 0;
}
