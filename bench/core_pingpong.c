/* core_pingpong.c - how far apart two CPUs are, as the round trip of one cache line between
 * them: the quick check, before timing anything on a VM, of which phase the machine is in
 * (docs/performance.md, "Two vCPUs, two distances").
 *
 *   autorec_core_pingpong [CPU_A CPU_B] [--reps N]     (default CPUs 0 and 1, 200000 round trips)
 *
 * One thread pinned to each CPU hands a counter back and forth through one cache line; the
 * median of 5 runs of N round trips is printed in ns. Cores sharing an L3 answer in well under
 * 200 ns; cores that do not (other chiplets, other sockets, or vCPUs the hypervisor has placed
 * apart) take several hundred, and then every kernel whose input the other PoCL thread wrote
 * pays for it. Linux only (thread affinity). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RUNS = 5 };

static _Atomic long line __attribute__((aligned(64))); /* the cache line handed back and forth */
static long reps = 200000;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int pin(int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static _Atomic int ready; /* the answering side: 1 pinned, -1 could not pin */

/* the answering side: waits for each odd value and writes the next even one */
static void *answer(void *arg) {
    if (pin(*(const int *)arg) != 0) {
        atomic_store(&ready, -1);
        return NULL;
    }
    atomic_store(&ready, 1);
    for (long i = 0; i < reps; i++) {
        while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 1) {}
        atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

/* one run: the mean round trip in ns, or a negative value when a CPU cannot be used */
static double run(int a, int b) {
    pthread_t t;
    atomic_store(&line, 0);
    atomic_store(&ready, 0);
    if (pin(a) != 0 || pthread_create(&t, NULL, answer, &b) != 0) return -1;
    int r;
    while ((r = atomic_load(&ready)) == 0) sched_yield();
    if (r < 0) {
        pthread_join(t, NULL);
        return -1;
    }
    double t0 = now();
    for (long i = 0; i < reps; i++) {
        atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&line, memory_order_acquire) != 2 * i + 2) {}
    }
    double t1 = now();
    pthread_join(t, NULL);
    return (t1 - t0) / (double)reps * 1e9;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

int main(int argc, char **argv) {
    int cpu[2] = {0, 1}, n_cpu = 0;
    for (int i = 1; i < argc; i++) {
        char *end;
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = strtol(argv[++i], &end, 10);
            if (*end || reps < 1 || reps > 100000000) {
                fprintf(stderr, "%s: --reps must be 1-100000000, got '%s'\n", argv[0], argv[i]);
                return 2;
            }
        } else if (n_cpu < 2) {
            long v = strtol(argv[i], &end, 10);
            if (*end || v < 0 || v >= CPU_SETSIZE) {
                fprintf(stderr, "usage: %s [CPU_A CPU_B] [--reps N] (bad argument '%s')\n",
                        argv[0], argv[i]);
                return 2;
            }
            cpu[n_cpu++] = (int)v;
        } else {
            fprintf(stderr, "usage: %s [CPU_A CPU_B] [--reps N]\n", argv[0]);
            return 2;
        }
    }
    if (n_cpu == 1 || cpu[0] == cpu[1]) {
        fprintf(stderr, "%s: give two different CPUs (default 0 and 1)\n", argv[0]);
        return 2;
    }
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        t[r] = run(cpu[0], cpu[1]);
        if (t[r] < 0) {
            fprintf(stderr, "%s: cannot run threads on CPUs %d and %d (see nproc and "
                            "taskset)\n", argv[0], cpu[0], cpu[1]);
            return 1;
        }
    }
    qsort(t, RUNS, sizeof *t, cmp);
    printf("CPUs %d and %d: cache-line round trip %.0f ns (median of %d runs of %ld; %.0f-%.0f)\n",
           cpu[0], cpu[1], t[RUNS / 2], RUNS, reps, t[0], t[RUNS - 1]);
    return 0;
}
