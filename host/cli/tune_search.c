/* tune_search.c - `autorec tune`'s search: asynchronous successive halving (ASHA, Li et al.
 * 2018). Trials are trained in rungs of growing epoch counts; whenever a worker is free it
 * promotes a trial that is in the best 1/eta of the trials that finished its rung (highest rung
 * first), or else starts a new trial. One worker thread per device, each with its own context;
 * the trials, the jobs and the progress lines are shared under one mutex. A worker keeps the
 * models of its last trials on its device, so a promoted trial usually goes on where it
 * stopped; otherwise it is trained again from its first epoch, which gives the same numbers on
 * the same device (training is deterministic). */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

/* ---- the rungs and the order of trials ------------------------------------------------------ */

int tune_rungs(int min, int max, int eta, int *rungs) {
    int n = 0;
    for (long e = min; e < max && n < TUNE_MAX_RUNGS - 1; e *= eta) rungs[n++] = (int)e;
    rungs[n++] = max;
    return n;
}

/* The score a trial is ranked by: its best validation RMSE, failed trials last. */
static double rank_score(const tune_trial *t) {
    return t->failed || t->rung < 0 ? INFINITY : t->best_valid;
}

int tune_trial_cmp(const void *a, const void *b) {
    const tune_trial *x = a, *y = b;
    double sx = rank_score(x), sy = rank_score(y);
    if (sx != sy) return sx < sy ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* ---- shared state --------------------------------------------------------------------------- */

enum { CACHE_MAX = 8 }; /* models a worker keeps for promotions */

typedef struct {
    int trial;               /* index into the trials; -1: empty */
    ar_model *m;
    size_t bytes;
    long used;               /* when it was last put here: the oldest goes first */
} cache_entry;

typedef struct search search;

typedef struct {
    search *s;
    int index;
    ar_ctx *ctx;
    cache_entry cache[CACHE_MAX];
    size_t cache_budget;     /* bytes of device memory the kept models may hold */
    long clock;
    pthread_t thread;
    int started;
    cli_watch watch;         /* the progress of the trial it trains, on a terminal */
} worker;

struct search {
    const tune_plan *plan;
    const ar_dataset *ds;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    tune_trial *trials;
    int n_trials, cap;
    int running;             /* jobs being trained */
    int jobs;
    long epochs;
    double t0;
    _Atomic int stop;        /* a hard failure: every worker stops (read between epochs) */
    ar_status status;
    char error[1024];
    int timed_out;
    int best;                /* the best trial so far (index), -1: none */
};

typedef struct {
    int trial;               /* index */
    int rung;                /* the rung to complete */
} job;

static int time_over(search *s) {
    const double limit = s->plan->time_limit;
    return limit > 0 && ar_time_seconds() - s->t0 >= limit;
}

/* ---- choosing the next job (under the lock) ------------------------------------------------- */

static int rung_k; /* the rung the sort below compares (the lock serialises its use) */
static const tune_trial *rung_trials;
static int by_rung_score(const void *a, const void *b) {
    const tune_trial *x = &rung_trials[*(const int *)a], *y = &rung_trials[*(const int *)b];
    double sx = x->score[rung_k], sy = y->score[rung_k];
    if (sx != sy) return sx < sy ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* A trial to promote from rung k: in the best 1/eta of those that completed rung k, not yet
 * promoted, not failed; -1 when none. A trial --patience stopped goes up at once (no epoch to
 * train): *instant is set. */
static int promotable(search *s, int k, int *order) {
    int n = 0;
    for (int i = 0; i < s->n_trials; i++)
        if (s->trials[i].rung >= k) order[n++] = i;
    rung_k = k, rung_trials = s->trials;
    qsort(order, (size_t)n, sizeof *order, by_rung_score);
    for (int r = 0; r < n / s->plan->eta; r++) {
        const tune_trial *t = &s->trials[order[r]];
        if (t->rung == k && !t->running && !t->failed) return order[r];
    }
    return -1;
}

/* A new trial, sampled; -1 when the budget allows none or memory runs out. */
static int new_trial(search *s) {
    const tune_plan *p = s->plan;
    if ((p->max_trials && s->n_trials >= p->max_trials) || time_over(s)) return -1;
    if (s->n_trials == s->cap) {
        int cap = s->cap ? 2 * s->cap : 64;
        tune_trial *t = realloc(s->trials, (size_t)cap * sizeof *t);
        if (!t) return -1;
        s->trials = t, s->cap = cap;
    }
    tune_trial *t = &s->trials[s->n_trials];
    memset(t, 0, sizeof *t);
    t->id = s->n_trials + 1;
    t->rung = -1;
    t->best_valid = INFINITY;
    t->best_valid_mae = NAN;
    t->mark_valid = INFINITY;
    tune_space_sample(p->space, p->seed, (uint64_t)s->n_trials, &p->base, &t->cfg);
    return s->n_trials++;
}

/* The next job: a promotion from the highest rung that has one, else a new trial. */
static int next_job(search *s, job *j) {
    const int top = s->plan->n_rungs - 1;
    int *order = malloc((size_t)(s->n_trials + 1) * sizeof *order);
    if (!order) return 0;
    for (int k = top - 1; k >= 0; k--) {
        int i = promotable(s, k, order);
        if (i < 0 || time_over(s)) continue;
        tune_trial *t = &s->trials[i];
        if (t->stopped) { /* nothing left to train: it keeps its score */
            t->score[k + 1] = t->score[k];
            t->rung = k + 1;
            k = top; /* a rung above may have a promotion now */
            continue;
        }
        free(order);
        *j = (job){i, k + 1};
        return 1;
    }
    free(order);
    int i = new_trial(s);
    if (i < 0) return 0;
    *j = (job){i, 0};
    return 1;
}

/* ---- a worker's kept models ----------------------------------------------------------------- */

static ar_model *cache_take(worker *w, int trial) {
    for (int k = 0; k < CACHE_MAX; k++)
        if (w->cache[k].m && w->cache[k].trial == trial) {
            ar_model *m = w->cache[k].m;
            w->cache[k].m = NULL;
            return m;
        }
    return NULL;
}

/* Keeps m; the oldest models go while the kept ones exceed the budget or the slots. */
static void cache_put(worker *w, int trial, ar_model *m) {
    size_t bytes = ar_model_device_bytes(m), total = bytes;
    for (int k = 0; k < CACHE_MAX; k++) total += w->cache[k].m ? w->cache[k].bytes : 0;
    for (;;) {
        int oldest = -1, empty = -1;
        for (int k = 0; k < CACHE_MAX; k++) {
            if (!w->cache[k].m) empty = k;
            else if (oldest < 0 || w->cache[k].used < w->cache[oldest].used) oldest = k;
        }
        if (empty >= 0 && (total <= w->cache_budget || oldest < 0)) {
            if (total > w->cache_budget) break; /* m alone is over the budget */
            w->cache[empty] = (cache_entry){trial, m, bytes, ++w->clock};
            return;
        }
        if (oldest < 0) break;
        total -= w->cache[oldest].bytes;
        ar_model_free(w->cache[oldest].m);
        w->cache[oldest].m = NULL;
    }
    ar_model_free(m);
}

static void cache_free(worker *w) {
    for (int k = 0; k < CACHE_MAX; k++) ar_model_free(w->cache[k].m), w->cache[k].m = NULL;
}

/* ---- training a job (without the lock) ------------------------------------------------------ */

/* Trains t (a copy) up to rung r's epochs, continuing the kept model when this worker has it.
 * A diverged trial or one that does not fit on the device is marked failed; any other failure
 * is returned (the search stops). */
static ar_status train_job(worker *w, tune_trial *t, int r, int *trained) {
    search *s = w->s;
    const tune_plan *p = s->plan;
    ar_model *m = cache_take(w, t->id - 1);
    ar_status st = AR_OK;
    if (m && ar_model_epochs_done(m) != t->epochs) ar_model_free(m), m = NULL;
    if (!m) { /* from the first epoch again */
        t->epochs = 0, t->best_valid = INFINITY, t->best_valid_mae = NAN, t->best_epoch = 0;
        t->stopped = 0;
        t->mark_valid = INFINITY, t->mark_epoch = 0;
        st = ar_model_create(w->ctx, s->ds, &t->cfg, &m);
    }
    t->worker = w->index;
    char prefix[32];
    snprintf(prefix, sizeof prefix, "trial %d: ", t->id);
    if (m) cli_watch_model(m, &w->watch, cli_progress_on(p->quiet), prefix);
    while (st == AR_OK && t->epochs < p->rungs[r]) {
        if (s->stop) break;
        if (time_over(s)) {
            t->cut = 1;
            break;
        }
        ar_epoch_stats e;
        if ((st = ar_model_train_epoch(m, &e)) != AR_OK) break;
        ++*trained;
        t->epochs = e.epoch;
        t->seconds += e.epoch_seconds + e.eval_seconds;
        if (e.valid_rmse < t->best_valid)
            t->best_valid = e.valid_rmse, t->best_valid_mae = e.valid_mae, t->best_epoch = e.epoch;
        /* train's rule (ar_model_train), so that train --patience stops where this did */
        if (e.valid_rmse < t->mark_valid * (1.0 - (double)p->min_improvement))
            t->mark_valid = e.valid_rmse, t->mark_epoch = e.epoch;
        if (p->patience && e.epoch - t->mark_epoch >= p->patience) t->stopped = 1;
        if (t->stopped) break;
    }
    if (st == AR_ERR_DIVERGED || st == AR_ERR_OUT_OF_MEMORY) {
        t->failed = st;
        t->score[r] = INFINITY;
        t->rung = r;
        st = AR_OK;
    } else if (st == AR_OK && !t->cut && !s->stop) {
        t->score[r] = t->best_valid;
        t->rung = r;
    }
    const int more = st == AR_OK && !t->failed && !t->cut && !t->stopped && !s->stop &&
                     r + 1 < p->n_rungs;
    if (m) ar_model_set_progress(m, NULL, NULL);
    if (m && more) cache_put(w, t->id - 1, m);
    else ar_model_free(m);
    return st;
}

/* ---- progress (under the lock) -------------------------------------------------------------- */

static void progress(search *s, const tune_trial *t, int r, double secs) {
    const tune_plan *p = s->plan;
    char what[256], score[96];
    tune_describe(&t->cfg, what, sizeof what);
    if (t->failed)
        snprintf(score, sizeof score, "%s", t->failed == AR_ERR_DIVERGED ? "diverged"
                                                                          : "out of memory");
    else if (t->cut)
        snprintf(score, sizeof score, "cut by --time at epoch %d", t->epochs);
    else
        snprintf(score, sizeof score, "valid RMSE %.4f MAE %.4f (epoch %d)%s", t->best_valid,
                 t->best_valid_mae, t->best_epoch, t->stopped ? ", stopped by --patience" : "");
    cli_progress_end(); /* a worker's progress line: erased, drawn again by its next report */
    fprintf(stderr, "[%6.1fs] trial %3d  rung %d/%d (%3d epochs)  %s  | %s | %.1fs on device "
            "%d", ar_time_seconds() - s->t0, t->id, r + 1, p->n_rungs, p->rungs[r], score, what,
            secs, t->worker);
    if (s->best >= 0)
        fprintf(stderr, "  | best %.4f (trial %d)", s->trials[s->best].best_valid,
                s->trials[s->best].id);
    fputc('\n', stderr);
}

/* Takes a finished job's trial back; keeps the best trial so far. */
static void job_done(search *s, const tune_trial *t, int r, double secs) {
    tune_trial *slot = &s->trials[t->id - 1];
    *slot = *t;
    slot->running = 0;
    s->jobs++;
    if (!t->failed && t->rung >= 0 &&
        (s->best < 0 || tune_trial_cmp(slot, &s->trials[s->best]) < 0))
        s->best = t->id - 1;
    if (t->cut) s->timed_out = 1;
    if (!s->plan->quiet && !s->stop) progress(s, slot, r, secs);
}

/* ---- the worker thread ---------------------------------------------------------------------- */

static void *work(void *arg) {
    worker *w = arg;
    search *s = w->s;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        job j;
        if (s->stop) break;
        if (!next_job(s, &j)) {
            if (s->running == 0) break; /* nothing will change any more */
            pthread_cond_wait(&s->cv, &s->mu);
            continue;
        }
        tune_trial t = s->trials[j.trial];
        s->trials[j.trial].running = 1;
        s->running++;
        pthread_mutex_unlock(&s->mu);
        const double t0 = ar_time_seconds();
        int trained = 0;
        ar_status st = train_job(w, &t, j.rung, &trained);
        const double secs = ar_time_seconds() - t0;
        pthread_mutex_lock(&s->mu);
        s->running--;
        s->epochs += trained;
        if (st != AR_OK && !s->stop) {
            s->stop = 1;
            s->status = st;
            snprintf(s->error, sizeof s->error, "trial %d on device %d: %s", t.id, w->index,
                     ar_last_error());
        }
        job_done(s, &t, j.rung, secs);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    cache_free(w);
    return NULL;
}

/* ---- the search ----------------------------------------------------------------------------- */

ar_status tune_run(const tune_plan *plan, ar_ctx *const *ctxs, int n_ctx, const ar_dataset *ds,
                   tune_result *out) {
    memset(out, 0, sizeof *out);
    search s = {.plan = plan, .ds = ds, .best = -1};
    worker *w = calloc((size_t)n_ctx, sizeof *w);
    if (!w) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    s.t0 = ar_time_seconds();
    ar_status st = AR_OK;
    for (int k = 0; k < n_ctx; k++) {
        w[k] = (worker){.s = &s, .index = k, .ctx = ctxs[k]};
        /* a quarter of the device's memory for the kept models */
        w[k].cache_budget = (size_t)(ar_ctx_device(ctxs[k])->global_mem_bytes / 4);
        if (pthread_create(&w[k].thread, NULL, work, &w[k]) != 0) {
            st = cli_fail(AR_ERR_OUT_OF_MEMORY, "cannot start a worker thread");
            pthread_mutex_lock(&s.mu);
            s.stop = 1;
            pthread_mutex_unlock(&s.mu);
            break;
        }
        w[k].started = 1;
    }
    for (int k = 0; k < n_ctx; k++)
        if (w[k].started) pthread_join(w[k].thread, NULL);
    cli_progress_end();
    free(w);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    if (st == AR_OK && s.status != AR_OK) st = cli_fail(s.status, "%s", s.error);
    if (st == AR_OK && s.n_trials == 0)
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "no trial could be started (out of host memory)");
    out->trials = s.trials;
    out->n_trials = s.n_trials;
    out->jobs = s.jobs;
    out->epochs = s.epochs;
    out->seconds = ar_time_seconds() - s.t0;
    out->timed_out = s.timed_out || (plan->time_limit > 0 && time_over(&s));
    return st;
}

void tune_result_free(tune_result *r) {
    free(r->trials);
    memset(r, 0, sizeof *r);
}
