/* test_fault.c - the download cache under write faults: every write and every fsync of a
 * --dataset download (the zip's part file, each extracted file) fails in turn, with ENOSPC and
 * with EIO (AUTOREC_FAULT=write:N / fsync:N, N up to what AUTOREC_FAULT=count reports): the tool
 * exits 2 with one line naming the cache entry and the reason, and the cache holds nothing, no
 * temporary and no partial entry. The download comes from a file:// mirror holding a zip of the
 * real u.data (its checksum is pinned): skipped without $AUTOREC_DATA. The other outputs under
 * faults, and under kill -9: tests/test_fault.sh. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

TestSuite(fault, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static char out[16384], err[16384];

/* The N of "KIND=N" in the fault counts line of err. */
static long count_of(const char *kind) {
    const char *line = strstr(err, "fault counts:");
    cr_assert(line, "no fault counts: %s", err);
    char key[32];
    snprintf(key, sizeof key, " %s=", kind);
    const char *p = strstr(line, key);
    cr_assert(p, "no %s count: %s", kind, err);
    return strtol(p + strlen(key), NULL, 10);
}

/* The entries of dir other than . and .. (0 when it does not exist). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

Test(fault, download_faults_leave_the_cache_empty) {
    const char *data = getenv("AUTOREC_DATA");
    if (!data || !*data)
        cr_skip_test("MovieLens 100K not found: set AUTOREC_DATA to the ml-100k directory");
    size_t len;
    char *zip = tu_ml100k_zip(data, 0, "u.data", &len);
    cr_assert(mkdir(tu_path("mirror"), 0700) == 0);
    FILE *f = fopen(tu_path("mirror/ml-100k.zip"), "wb");
    cr_assert(f && fwrite(zip, 1, len, f) == len && fclose(f) == 0);
    free(zip);
    char env[1024], fenv[1200], cache[600], entry[700];
    snprintf(env, sizeof env, "env -u AUTOREC_DATA XDG_CACHE_HOME='%s/xdg' "
             "AUTOREC_MIRROR='file://%s/mirror'", tu_tmpdir(), tu_tmpdir());
    snprintf(cache, sizeof cache, "%s/xdg/autorec", tu_tmpdir());
    snprintf(entry, sizeof entry, "%s/ml-100k", cache);
    snprintf(fenv, sizeof fenv, "%s AUTOREC_FAULT=count", env);
    const char *cmd = "data --dataset ml-100k";
    cr_assert_eq(tu_run_cli(tu_tmpdir(), fenv, out, err, sizeof out, "%s", cmd), 0, "%s", err);
    const long writes = count_of("write"), fsyncs = count_of("fsync");
    cr_assert(writes >= 2 && fsyncs >= 1, "%s", err);
    char rm[800];
    snprintf(rm, sizeof rm, "rm -rf '%s'", entry);
    cr_assert_eq(system(rm), 0);
    static const char *const errnos[2][2] = {{"ENOSPC", "No space left"},
                                             {"EIO", "Input/output error"}};
    for (int e = 0; e < 2; e++)
        for (int fsync = 0; fsync < 2; fsync++)
            for (long n = 1; n <= (fsync ? fsyncs : writes); n++) {
                snprintf(fenv, sizeof fenv, "%s AUTOREC_FAULT=%s:%ld AUTOREC_FAULT_ERRNO=%s", env,
                         fsync ? "fsync" : "write", n, errnos[e][0]);
                cr_assert_eq(tu_run_cli(tu_tmpdir(), fenv, out, err, sizeof out, "%s", cmd), 2,
                             "%s: %s", fenv, err);
                cr_assert(strchr(err, '\n') == err + strlen(err) - 1, "not one line: %s", err);
                cr_assert(strstr(err, entry) && strstr(err, errnos[e][1]), "%s", err);
                cr_assert_eq(entries(cache), 0, "%s: the cache is not empty", fenv);
            }
    fprintf(stderr, "download: %ld writes and %ld fsyncs, each failed with ENOSPC and EIO\n",
            writes, fsyncs);
}
