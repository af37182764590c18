/* progress.c - how far an epoch has got, for the model's progress callback
 * (ar_model_set_progress). Launchers only enqueue, so the host is ahead of the device by an
 * unknown number of batches; to report batches the device has finished, a marker goes into the
 * queue every AR_PROGRESS_BATCHES batches and the previous marker is waited for. The device
 * keeps the batches between the two queued, so the wait leaves it nothing to idle on. Without a
 * callback none of this runs: an epoch enqueues exactly what it did before. */
#include "internal.h"

void ar_model_set_progress(ar_model *m, ar_train_progress_fn fn, void *user) {
    m->progress = fn;
    m->progress_user = user;
}

void ar_watch_begin(const ar_model *m, ar_epoch_watch *w) {
    *w = (ar_epoch_watch){.t0 = m->progress ? ar_time_seconds() : 0};
}

/* The callback with `done` batches (`ratings` ratings) finished. */
static ar_status report(ar_model *m, const ar_epoch_watch *w, int done, uint64_t ratings) {
    ar_train_progress p = {.epoch = m->epoch + 1, .epochs = m->cfg.epochs,
                           .batches_done = done, .batches_total = m->n_batches,
                           .ratings_done = ratings,
                           .ratings_total = (uint64_t)m->ds->train.row_ptr[m->ds->n_rows],
                           .seconds = ar_time_seconds() - w->t0};
    return m->progress(m->progress_user, &p);
}

/* Waits for the pending marker and reports the batches before it. */
static ar_status settle(ar_model *m, ar_epoch_watch *w) {
    ar_status st = ar_wait_event(w->pending);
    clReleaseEvent(w->pending);
    w->pending = NULL;
    return st == AR_OK ? report(m, w, w->at, w->ratings_at) : st;
}

ar_status ar_watch_batch(ar_model *m, ar_epoch_watch *w, int done) {
    if (!m->progress) return AR_OK;
    const ar_csr *tr = &m->ds->train;
    const int I = m->ds->n_rows, end = done * m->B < I ? done * m->B : I;
    for (int i = (done - 1) * m->B; i < end; i++) /* the batch just enqueued: its ratings */
        w->ratings += (uint64_t)(tr->row_ptr[m->perm_host[i] + 1] - tr->row_ptr[m->perm_host[i]]);
    if (done % AR_PROGRESS_BATCHES && done != m->n_batches) return AR_OK;
    cl_event ev;
    ar_status st = ar_marker(m->ctx, &ev);
    if (st == AR_OK && w->pending) st = settle(m, w);
    if (st != AR_OK) {
        if (ev) clReleaseEvent(ev);
        return st;
    }
    w->pending = ev, w->at = done, w->ratings_at = w->ratings;
    return done == m->n_batches ? settle(m, w) : AR_OK;
}

void ar_watch_end(ar_epoch_watch *w) {
    if (w->pending) clReleaseEvent(w->pending); /* an error left it: nothing waits for it */
    w->pending = NULL;
}
