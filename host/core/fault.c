/* fault.c - fault injection, a test hook (SQLite's way: every failure path is exercised on
 * purpose). AUTOREC_FAULT="KIND:N" makes the N-th operation of KIND in this process fail:
 *   cl     an OpenCL or CLBlast call that can fail (buffer creation, enqueues, program build,
 *          GEMMs); the failure is CL_OUT_OF_RESOURCES
 *   write  a write to an output file; the failure is AUTOREC_FAULT_ERRNO (ENOSPC or EIO, default
 *          ENOSPC)
 *   fsync  the flush to disk of an output file before it is published; the same errno
 * AUTOREC_FAULT=count fails nothing and prints, at exit, how many operations of each kind ran
 * ("autorec: fault counts: cl=N write=N fsync=N" on stderr), so that a test knows how far N
 * goes. Unset (the normal case), ar_fault costs one branch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const kind_names[AR_FAULT_KINDS] = {"cl", "write", "fsync"};

static struct {
    int state;                        /* 0: not read yet; 1: off; 2: inject; 3: count */
    int kind;                         /* the kind to fail */
    long n;                           /* ... its N-th operation */
    int err;                          /* the errno of write and fsync faults */
    long count[AR_FAULT_KINDS];       /* operations seen so far */
} f;

static void print_counts(void) {
    fprintf(stderr, "autorec: fault counts:");
    for (int k = 0; k < AR_FAULT_KINDS; k++) fprintf(stderr, " %s=%ld", kind_names[k], f.count[k]);
    fprintf(stderr, "\n");
}

/* Reads AUTOREC_FAULT once. A malformed value injects nothing: a test hook must not turn a
 * typo into a different experiment, so it says so on stderr. */
static void setup(void) {
    const char *v = getenv("AUTOREC_FAULT"), *e = getenv("AUTOREC_FAULT_ERRNO");
    f.state = 1;
    if (!v || !*v) return;
    if (!strcmp(v, "count")) {
        f.state = 3;
        atexit(print_counts);
        return;
    }
    for (int k = 0; k < AR_FAULT_KINDS; k++) {
        size_t n = strlen(kind_names[k]);
        char *end;
        if (strncmp(v, kind_names[k], n) || v[n] != ':') continue;
        long at = strtol(v + n + 1, &end, 10);
        if (*end || at < 1) break;
        f.state = 2, f.kind = k, f.n = at;
        f.err = e && !strcmp(e, "EIO") ? EIO : ENOSPC;
        return;
    }
    fprintf(stderr, "autorec: AUTOREC_FAULT='%s' ignored: expected count, cl:N, write:N or "
            "fsync:N (N >= 1)\n", v);
}

int ar_fault(ar_fault_kind kind) {
    if (f.state == 1) return 0;
    if (f.state == 0) {
        setup();
        if (f.state == 1) return 0;
    }
    long seen = ++f.count[kind];
    if (f.state != 2 || (int)kind != f.kind || seen != f.n) return 0;
    return kind == AR_FAULT_CL ? CL_OUT_OF_RESOURCES : f.err;
}
