/* test_output.c - the library's output files (ar_output, include/autorec.h "Output files";
 * host/core/file.c and path.c), called directly: bytes reach the target only at the commit, an
 * abort or a failed write or fsync (the fault hook) leaves the target as it was and no
 * temporary, a link is written through, a non-regular target is refused, ar_output_check finds
 * an output that is an input (by link, hard link or another spelling), and a dead writer's
 * temporaries are removed while a live one's are kept. The tool's side: test_output.sh. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(output, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static void assert_text(const char *path, const char *want) {
    char *got = tu_slurp(path, NULL);
    cr_assert_str_eq(got, want, "%s", path);
    free(got);
}

static int exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Writes text to path through an ar_output and commits it. */
static ar_status write_text(const char *path, const char *text) {
    ar_output *o = NULL;
    ar_status st = ar_output_open(path, &o);
    if (st == AR_OK) st = ar_output_write(o, text, strlen(text));
    if (st == AR_OK) return ar_output_commit(o);
    ar_output_abort(o);
    return st;
}

Test(output, bytes_reach_the_target_at_the_commit_only) {
    const char *path = tu_write_file("t.csv", "old\n");
    cr_assert(chmod(path, 0600) == 0);
    ar_output *o = NULL;
    cr_assert_eq(ar_output_open(path, &o), AR_OK, "%s", ar_last_error());
    const char *tmp = ar_output_temp_path(o);
    cr_assert(strstr(tmp, "t.csv.tmp-") && strstr(tmp, tu_tmpdir()), "%s", tmp);
    cr_assert_eq(ar_output_write(o, "row 1\n", 6), AR_OK);
    cr_assert_eq(ar_output_flush(o), AR_OK);
    assert_text(tmp, "row 1\n");       /* what tail -f sees */
    assert_text(path, "old\n");        /* not yet published */
    cr_assert_eq(ar_output_write(o, "row 2\n", 6), AR_OK);
    char keep[4096];
    snprintf(keep, sizeof keep, "%s", tmp);
    cr_assert_eq(ar_output_commit(o), AR_OK, "%s", ar_last_error());
    assert_text(path, "row 1\nrow 2\n");
    cr_assert(!exists(keep), "the temporary is still there");
    struct stat st;
    cr_assert(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the mode was not kept");
    /* abort: the target stays, the temporary goes */
    cr_assert_eq(ar_output_open(path, &o), AR_OK);
    cr_assert_eq(ar_output_write(o, "new\n", 4), AR_OK);
    ar_output_abort(o);
    ar_output_abort(NULL);
    assert_text(path, "row 1\nrow 2\n");
    tu_assert_no_temporaries();
}

/* A fault at the first write: the commit reports it, naming the file; nothing changes. */
Test(output, a_failed_write_changes_nothing) {
    setenv("AUTOREC_FAULT", "write:1", 1);
    setenv("AUTOREC_FAULT_ERRNO", "EIO", 1);
    const char *path = tu_write_file("m.bin", "old\n");
    cr_assert_eq(write_text(path, "new\n"), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "m.bin") && strstr(ar_last_error(), strerror(EIO)), "%s",
              ar_last_error());
    assert_text(path, "old\n");
    tu_assert_no_temporaries();
}

Test(output, a_failed_fsync_changes_nothing) {
    setenv("AUTOREC_FAULT", "fsync:1", 1);
    unsetenv("AUTOREC_FAULT_ERRNO"); /* ENOSPC */
    cr_assert_eq(write_text(tu_path("new.bin"), "new\n"), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), strerror(ENOSPC)), "%s", ar_last_error());
    cr_assert(!exists(tu_path("new.bin")), "a failed output was created");
    tu_assert_no_temporaries();
}

Test(output, links_are_written_through) {
    cr_assert(mkdir(tu_path("d"), 0700) == 0);
    tu_write_file("d/target", "old\n");
    cr_assert(symlink("d/target", tu_path("link")) == 0);
    cr_assert(symlink("d/new", tu_path("dangling")) == 0);
    cr_assert_eq(write_text(tu_path("link"), "new\n"), AR_OK, "%s", ar_last_error());
    cr_assert_eq(write_text(tu_path("dangling"), "created\n"), AR_OK, "%s", ar_last_error());
    struct stat st;
    cr_assert(lstat(tu_path("link"), &st) == 0 && S_ISLNK(st.st_mode), "the link was replaced");
    cr_assert(lstat(tu_path("dangling"), &st) == 0 && S_ISLNK(st.st_mode));
    assert_text(tu_path("d/target"), "new\n");
    assert_text(tu_path("d/new"), "created\n");
    tu_assert_no_temporaries();
}

Test(output, non_regular_targets_are_refused) {
    cr_assert(mkfifo(tu_path("fifo"), 0600) == 0);
    cr_assert(mkdir(tu_path("dir"), 0700) == 0);
    const char *kinds[][2] = {{"fifo", "a FIFO"}, {"dir", "a directory"}};
    for (int k = 0; k < 2; k++) {
        const char *p = tu_path(kinds[k][0]);
        ar_output *o = NULL;
        cr_assert_eq(ar_output_open(p, &o), AR_ERR_IO);
        cr_assert_null(o);
        cr_assert(strstr(ar_last_error(), p) && strstr(ar_last_error(), kinds[k][1]), "%s",
                  ar_last_error());
        cr_assert_eq(ar_output_check(p, NULL, 0), AR_ERR_IO);
    }
    struct stat st;
    cr_assert(stat(tu_path("fifo"), &st) == 0 && S_ISFIFO(st.st_mode));
    cr_assert_eq(ar_output_check("", NULL, 0), AR_ERR_INVALID_ARG);
    cr_assert_eq(ar_output_check("/nonexistent-autorec-dir/x", NULL, 0), AR_ERR_IO);
    tu_assert_no_temporaries();
}

Test(output, an_output_that_is_an_input_is_refused) {
    char in[4096], other[4096], x[4096]; /* tu_path's buffers rotate: kept here */
    snprintf(in, sizeof in, "%s", tu_write_file("r.data", "1\t1\t5\n"));
    snprintf(other, sizeof other, "%s", tu_path("other"));
    snprintf(x, sizeof x, "%s", tu_path("x.csv"));
    cr_assert(symlink("r.data", tu_path("soft")) == 0 && link(in, tu_path("hard")) == 0);
    cr_assert(mkdir(tu_path("sub"), 0700) == 0);
    const char *inputs[] = {other, in};
    const char *same[] = {"soft", "hard", "sub/../r.data"};
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(ar_output_check(tu_path(same[k]), inputs, 2), AR_ERR_INVALID_ARG, "%s",
                     same[k]);
        cr_assert(strstr(ar_last_error(), same[k]) && strstr(ar_last_error(), in), "%s",
                  ar_last_error());
    }
    /* two outputs not yet there, spelt differently */
    const char *out[] = {x};
    cr_assert_eq(ar_output_check(tu_path("sub/../x.csv"), out, 1), AR_ERR_INVALID_ARG);
    cr_assert_eq(ar_output_check(tu_path("y.csv"), out, 1), AR_OK, "%s", ar_last_error());
    cr_assert(!exists(tu_path("y.csv")), "the check left a file");
    assert_text(in, "1\t1\t5\n");
    tu_assert_no_temporaries();
}

Test(output, dead_writers_temporaries_are_removed) {
    pid_t dead = fork();
    if (dead == 0) _exit(0);
    cr_assert(dead > 0 && waitpid(dead, NULL, 0) == dead);
    char d[64], l[64], other[64];
    snprintf(d, sizeof d, "m.bin.tmp-%ld-abcdef", (long)dead);
    snprintf(l, sizeof l, "m.bin.tmp-%ld-abcdef", (long)getppid()); /* the runner: alive */
    snprintf(other, sizeof other, "n.bin.tmp-%ld-abcdef", (long)dead); /* another target's */
    tu_write_file(d, "x");
    tu_write_file(l, "x");
    tu_write_file(other, "x");
    cr_assert_eq(write_text(tu_path("m.bin"), "model\n"), AR_OK, "%s", ar_last_error());
    cr_assert(!exists(tu_path(d)), "a dead writer's temporary was left");
    cr_assert(exists(tu_path(l)), "a live writer's temporary was removed");
    cr_assert(exists(tu_path(other)), "another target's temporary was removed");
}
