/* parse_run.c - a pass of the parser over the file's chunks on threads, and the load's progress
 * callback (ar_load_options.progress): while the threads work, the loading thread sleeps and,
 * about every 0.1 s, adds up how far each chunk has got (ar_chunk_tick) and calls it. */
#include <pthread.h>
#include <time.h>

#include "parse.h"

#define AR_LOAD_TICK 0.1 /* seconds between two calls of the load's progress callback */

/* Without a callback: chunk 0 on the calling thread, the others on their own. */
static void run_plain(chunk *c, int nc, void *(*f)(void *)) {
    pthread_t th[AR_PARSE_THREADS];
    int started[AR_PARSE_THREADS] = {0};
    for (int k = 1; k < nc; k++) started[k] = pthread_create(&th[k], NULL, f, &c[k]) == 0;
    f(&c[0]);
    for (int k = 1; k < nc; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        else f(&c[k]); /* no thread: do it here */
    }
}

/* A chunk's thread under watch: the pass, then the chunk marked finished. */
typedef struct {
    chunk *c;
    void *(*f)(void *);
    _Atomic int finished;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    j->f(j->c);
    atomic_store(&j->finished, 1);
    return NULL;
}

static ar_status report(const parse_watch *w, const chunk *c, int nc, int pass) {
    size_t bytes = w->offset, lines = pass ? w->lines0 : 0;
    for (int k = 0; k < nc; k++) {
        bytes += atomic_load_explicit(&c[k].done, memory_order_relaxed);
        lines += atomic_load_explicit(&c[k].lines, memory_order_relaxed);
    }
    ar_load_progress p = {.name = w->name, .pass = pass, .bytes_done = bytes,
                          .bytes_total = w->size, .lines_done = lines,
                          .seconds = ar_time_seconds() - w->t0};
    return w->o->progress(w->o->progress_user, &p);
}

static int all_finished(job *j, int nc) {
    for (int k = 0; k < nc; k++)
        if (!atomic_load(&j[k].finished)) return 0;
    return 1;
}

ar_status ar_parse_run(chunk *c, int nc, void *(*f)(void *), const parse_watch *w, int pass) {
    if (!w->o->progress) {
        run_plain(c, nc, f);
        return AR_OK;
    }
    pthread_t th[AR_PARSE_THREADS];
    int started[AR_PARSE_THREADS] = {0};
    job j[AR_PARSE_THREADS];
    _Atomic int stop = 0;
    for (int k = 0; k < nc; k++) {
        c[k].stop = &stop;
        atomic_store(&c[k].done, 0);
        atomic_store(&c[k].lines, 0);
        j[k].c = &c[k], j[k].f = f;
        atomic_store(&j[k].finished, 0);
        started[k] = pthread_create(&th[k], NULL, run_job, &j[k]) == 0;
        if (!started[k]) run_job(&j[k]); /* no thread: do it here, unwatched */
    }
    ar_status st = AR_OK;
    double next = ar_time_seconds() + AR_LOAD_TICK;
    while (st == AR_OK && !all_finished(j, nc)) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL); /* 10 ms */
        if (ar_time_seconds() < next) continue;
        st = report(w, c, nc, pass);
        next = ar_time_seconds() + AR_LOAD_TICK;
    }
    if (st != AR_OK) atomic_store(&stop, 1);
    for (int k = 0; k < nc; k++) {
        if (started[k]) pthread_join(th[k], NULL);
        c[k].stop = NULL;
    }
    return st;
}

ar_status ar_parse_finished(const parse_watch *w, size_t lines) {
    if (!w->o->progress) return AR_OK;
    ar_load_progress p = {.name = w->name, .pass = 1, .bytes_done = w->size,
                          .bytes_total = w->size, .lines_done = lines,
                          .seconds = ar_time_seconds() - w->t0};
    return w->o->progress(w->o->progress_user, &p);
}
