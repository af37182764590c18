/* reduce.c - the sums a sharded model needs across its shards (ar_reducer), in process: one
 * host thread per shard, each with its own device context, meeting at every sum.
 *
 * A sharded model (host/model/shard.c) splits the input / output columns across shards; twice
 * per step (the encoder's pre-activation, the gradient at the last hidden layer) and for the
 * epoch's sums, every shard holds a partial (B, H) array and needs the total. Each shard's
 * thread calls ar_reduce_sum with its partial in host memory; the last to arrive adds them up
 * in shard order, 0 first, and every shard gets that same total back, so the shards stay
 * identical where they are replicated and the result does not depend on which thread came
 * last. The MPI implementation (reduce_mpi.c) has the same interface, one shard per process.
 * A shard that fails calls ar_reduce_abort: the others, waiting or arriving later, return
 * AR_ERR_PEER instead of waiting forever. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct {
    ar_reducer base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;              /* shards at the current sum */
    unsigned long gen;        /* sums completed: a waiter leaves when it changes */
    int failed;               /* a shard called ar_reduce_abort: -1 none, else its index */
    void **bufs;              /* (n_shards) each shard's partial at the current sum */
    size_t n;                 /* its element count, the same for every shard */
    int is_double;
} local_reducer;

static void add_in_order(local_reducer *r) {
    const int S = r->base.n_shards;
    if (r->is_double) {
        double **b = (double **)r->bufs;
        for (size_t i = 0; i < r->n; i++) {
            double acc = b[0][i];
            for (int s = 1; s < S; s++) acc += b[s][i];
            for (int s = 0; s < S; s++) b[s][i] = acc;
        }
    } else {
        float **b = (float **)r->bufs;
        for (size_t i = 0; i < r->n; i++) {
            float acc = b[0][i];
            for (int s = 1; s < S; s++) acc += b[s][i];
            for (int s = 0; s < S; s++) b[s][i] = acc;
        }
    }
}

static ar_status peer_failed(const local_reducer *r) {
    return ar_fail(AR_ERR_PEER, "shard %d of %d failed: the others stopped", r->failed,
                   r->base.n_shards);
}

static ar_status local_sum(ar_reducer *base, int shard, void *buf, size_t n, int is_double) {
    local_reducer *r = (local_reducer *)base;
    ar_status st = AR_OK;
    pthread_mutex_lock(&r->mu);
    if (r->failed >= 0) {
        st = peer_failed(r);
        goto done;
    }
    if (r->arrived == 0) r->n = n, r->is_double = is_double;
    if (r->n != n || r->is_double != is_double) { /* the shards' steps disagree: a bug */
        r->failed = shard;
        pthread_cond_broadcast(&r->cv);
        st = ar_fail(AR_ERR_INVALID_ARG, "shard %d summed %zu values where another summed %zu",
                     shard, n, r->n);
        goto done;
    }
    r->bufs[shard] = buf;
    if (++r->arrived == base->n_shards) {
        add_in_order(r);
        r->arrived = 0;
        r->gen++;
        pthread_cond_broadcast(&r->cv);
    } else {
        const unsigned long gen = r->gen;
        while (r->gen == gen && r->failed < 0) pthread_cond_wait(&r->cv, &r->mu);
        if (r->gen == gen) st = peer_failed(r);
    }
done:
    pthread_mutex_unlock(&r->mu);
    return st;
}

static void local_abort(ar_reducer *base, int shard) {
    local_reducer *r = (local_reducer *)base;
    pthread_mutex_lock(&r->mu);
    if (r->failed < 0) r->failed = shard;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void local_free(ar_reducer *base) {
    local_reducer *r = (local_reducer *)base;
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r->bufs);
    free(r);
}

static const ar_reducer_ops local_ops = {"threads", local_sum, local_abort, local_free, NULL};

ar_status ar_reducer_local(int n_shards, ar_reducer **out) {
    *out = NULL;
    local_reducer *r = calloc(1, sizeof *r);
    void **bufs = calloc((size_t)n_shards, sizeof *bufs);
    if (!r || !bufs) {
        free(r);
        free(bufs);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for %d shards", n_shards);
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->base = (ar_reducer){.ops = &local_ops, .n_shards = n_shards, .rank = 0, .n_ranks = 1};
    r->bufs = bufs;
    r->failed = -1;
    *out = &r->base;
    return AR_OK;
}

ar_status ar_reduce_sum(ar_reducer *r, int shard, void *buf, size_t n, int is_double) {
    double t0 = ar_time_seconds();
    ar_status st = r->ops->sum(r, shard, buf, n, is_double);
    /* per shard, so threads never write the same counter */
    if (shard >= 0 && shard < AR_MAX_SHARDS) { /* (MPI: every rank counts its own shard) */
        r->stats[shard].seconds += ar_time_seconds() - t0;
        r->stats[shard].bytes += n * (is_double ? sizeof(double) : sizeof(float));
        r->stats[shard].calls++;
    }
    return st;
}

void ar_reduce_abort(ar_reducer *r, int shard) {
    if (r) r->ops->abort(r, shard);
}

void ar_reducer_free(ar_reducer *r) {
    if (r) r->ops->free(r);
}
