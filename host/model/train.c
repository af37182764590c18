/* train.c - a training run (ar_model_train): epochs up to the budget, model selection on the
 * validation set, the patience stop rule, and the selected epoch's state kept on the host and
 * put back at the end, so that what is predicted, evaluated and saved after training is the
 * model that was selected. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const stop_names[] = {"epochs", "patience", "converged"};

const char *ar_stop_reason_name(ar_stop_reason r) {
    return ar_choice_name(stop_names, (int)(sizeof stop_names / sizeof *stop_names), (int)r);
}

/* A copy of the model's training state: enough to carry on from it, or save it, as if training
 * had stopped there. On the host: the device holds the model and its optimiser, and a copy
 * there would add three more parameter buffers to what must fit. */
typedef struct {
    float *params, *m1, *v;   /* (n_params) each; NULL until the first copy */
    int epoch;
    uint32_t step;
} snapshot;

static void snapshot_free(snapshot *s) {
    free(s->params);
    free(s->m1);
    free(s->v);
}

static ar_status snapshot_take(ar_model *m, snapshot *s) {
    const size_t bytes = ar_model_layout(m)->n_params * sizeof(float);
    if (!s->params) {
        s->params = ar_malloc(bytes), s->m1 = ar_malloc(bytes), s->v = ar_malloc(bytes);
        if (!s->params || !s->m1 || !s->v)
            return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory keeping the best "
                           "validation epoch's weights (%zu bytes)", 3 * bytes);
    }
    ar_model_counters(m, &s->epoch, &s->step);
    return ar_model_state(m, s->params, s->m1, s->v, 0, 0, 0);
}

static ar_status snapshot_restore(ar_model *m, const snapshot *s) {
    return ar_model_state(m, s->params, s->m1, s->v, s->epoch, s->step, 1);
}

/* Where the stop rule stands: the epoch of the last improvement by more than min_improvement,
 * and the validation RMSE it reached. */
typedef struct {
    int epoch;
    double rmse;
} progress;

/* Notes an epoch (or a resumed model's starting state): with validation, a lower RMSE than the
 * selected one's makes it the selected one, and its state is copied; one lower by more than
 * the configured fraction moves the stop rule's mark. */
static ar_status consider(ar_model *m, const ar_epoch_stats *s, int has_valid, snapshot *snap,
                          progress *p, ar_train_result *r) {
    if (has_valid && s->valid_rmse < p->rmse * (1.0 - (double)m->cfg.min_improvement))
        *p = (progress){s->epoch, s->valid_rmse};
    if (has_valid && !(s->valid_rmse < r->selected.valid_rmse)) return AR_OK;
    r->selected = *s;
    r->selected_epoch = s->epoch;
    return has_valid ? snapshot_take(m, snap) : AR_OK;
}

/* A resumed model's starting state, evaluated: the first candidate. */
static ar_status consider_start(ar_model *m, int has_valid, snapshot *snap, progress *p,
                                ar_train_result *r) {
    ar_metrics e;
    ar_status st = ar_model_evaluate_metrics(m, &e);
    if (st != AR_OK) return st;
    ar_epoch_stats s = {.epoch = m->epoch, .loss = NAN, .train_rmse = e.train.rmse,
                        .valid_rmse = e.valid.rmse, .test_rmse = e.test.rmse,
                        .train_mae = e.train.mae, .valid_mae = e.valid.mae,
                        .test_mae = e.test.mae};
    return consider(m, &s, has_valid, snap, p, r);
}

/* The bias baseline alone as the last candidate (cfg.baseline_fallback): the selected state
 * with its output layer zeroed (ar_model_keep_baseline) is evaluated; it stays when it is lower
 * on validation than the selected epoch, else the selected state goes back. Only with a
 * validation set, a centered model whose output activation is 0 at 0, and a snapshot. */
static ar_status consider_baseline(ar_model *m, const snapshot *snap, ar_train_result *r) {
    if (!m->cfg.baseline_fallback || m->cfg.center == AR_CENTER_NONE ||
        m->cfg.out_activation == AR_ACT_SIGMOID || !snap->params)
        return AR_OK;
    ar_status st = ar_model_keep_baseline(m);
    ar_metrics e;
    if (st == AR_OK) st = ar_model_evaluate_metrics(m, &e);
    if (st != AR_OK) return st;
    if (!(e.valid.rmse < r->selected.valid_rmse)) return snapshot_restore(m, snap);
    r->baseline_kept = 1;
    r->selected_epoch = 0;
    r->selected = (ar_epoch_stats){.epoch = 0, .loss = NAN, .train_rmse = e.train.rmse,
                                   .valid_rmse = e.valid.rmse, .test_rmse = e.test.rmse,
                                   .train_mae = e.train.mae, .valid_mae = e.valid.mae,
                                   .test_mae = e.test.mae};
    return AR_OK;
}

void ar_model_interrupt(ar_model *m) { atomic_store(&m->interrupt, 1); }

/* An interrupted run (ar_model_interrupt) ends as a finished one would: in the selected
 * epoch's state, when there is one. */
static ar_status end_interrupted(ar_model *m, const snapshot *snap) {
    if (!snap->params) return AR_ERR_INTERRUPTED;
    ar_status st = snapshot_restore(m, snap);
    return st == AR_OK ? AR_ERR_INTERRUPTED : st;
}

/* One selection run from the model's state as it is: epochs up to the budget, each considered
 * (snap gets the selected epoch's state), the patience rule, and the selected state put back.
 * On an error r holds the run so far. */
static ar_status run(ar_model *m, ar_epoch_callback cb, void *user, snapshot *snap,
                     ar_train_result *r) {
    const int has_valid = m->ds->n_valid_all > 0;
    const int patience = m->cfg.patience;
    *r = (ar_train_result){.stop = AR_STOP_EPOCHS, .selected = {.valid_rmse = INFINITY},
                           .center = m->cfg.center,
                           .auto_valid_rmse = {NAN, NAN}};
    progress p = {m->epoch, INFINITY};
    ar_status st = AR_OK;
    if (m->epoch > 0) AR_TRY(consider_start(m, has_valid, snap, &p, r));
    while (m->epoch < m->cfg.epochs) {
        AR_TRY(ar_model_train_epoch(m, &r->last));
        r->epochs_run++;
        r->last_epoch = r->last.epoch;
        AR_TRY(consider(m, &r->last, has_valid, snap, &p, r));
        if (cb) AR_TRY(cb(user, &r->last, r));
        if (has_valid && patience > 0 && r->last.epoch - p.epoch >= patience) {
            /* lower since the mark, by too little: converged; not at all: patience */
            r->stop = r->selected_epoch > p.epoch ? AR_STOP_CONVERGED : AR_STOP_PATIENCE;
            break;
        }
    }
    if (r->epochs_run == 0) r->last_epoch = m->epoch;
    if (snap->params && r->selected_epoch != m->epoch) AR_TRY(snapshot_restore(m, snap));
    r->network_epoch = r->selected_epoch;
    r->network_valid_rmse = has_valid ? r->selected.valid_rmse : NAN;
cleanup:
    return st;
}

/* AR_CENTER_AUTO: a run with BIAS, then one with INPUT from the same starting state (the same
 * initial weights, row orders and dropout masks: what `--center input` alone would train), and
 * the one of lower validation RMSE kept (BIAS on a tie), in its selected state. Interrupted,
 * the better of what was trained is kept, as a plain run keeps its selected epoch. */
static ar_status train_auto(ar_model *m, ar_epoch_callback cb, void *user, ar_train_result *out) {
    static const ar_center mode[2] = {AR_CENTER_BIAS, AR_CENTER_INPUT};
    snapshot start = {0}, snap[2] = {{0}, {0}};
    ar_train_result r[2];
    int ran = 0;
    ar_status st = snapshot_take(m, &start);
    for (int k = 0; k < 2 && st == AR_OK; k++) {
        if (k > 0) st = snapshot_restore(m, &start);
        m->cfg.center = mode[k];
        if (st == AR_OK) st = run(m, cb, user, &snap[k], &r[k]);
        ran = k + 1;
    }
    int w = ran == 2 && snap[1].params &&
            (!snap[0].params || r[1].selected.valid_rmse < r[0].selected.valid_rmse);
    if (st != AR_OK && st != AR_ERR_INTERRUPTED) goto cleanup; /* left as the error left it */
    m->cfg.center = mode[w];
    m->center_auto = 0;
    if (!snap[w].params) { /* interrupted before the first epoch ended: nothing to keep */
        st = AR_ERR_INTERRUPTED;
        goto cleanup;
    }
    if (ran - 1 != w || st != AR_OK) { /* interrupted: its run had not restored yet */
        ar_status rs = snapshot_restore(m, &snap[w]);
        if (rs != AR_OK) {
            st = rs;
            goto cleanup;
        }
    }
    if (st != AR_OK) goto cleanup; /* interrupted: the better run's selected state is kept */
    ar_train_result res = r[w]; /* both runs ended (st is AR_OK) */
    for (int k = 0; k < 2; k++) {
        res.auto_valid_rmse[k] = r[k].network_valid_rmse;
        res.auto_epoch[k] = r[k].network_epoch;
        res.auto_epochs_run[k] = r[k].epochs_run;
    }
    res.epochs_run = res.auto_epochs_run[0] + res.auto_epochs_run[1];
    AR_TRY(consider_baseline(m, &snap[w], &res));
    if (out) *out = res;
cleanup:
    snapshot_free(&start);
    snapshot_free(&snap[0]);
    snapshot_free(&snap[1]);
    return st;
}

ar_status ar_model_train(ar_model *m, ar_epoch_callback cb, void *user, ar_train_result *out) {
    const int has_valid = m->ds->n_valid_all > 0;
    atomic_store(&m->interrupt, 0); /* a request made before the run */
    if (m->center_auto && has_valid && m->epoch == 0) return train_auto(m, cb, user, out);
    m->center_auto = 0; /* nothing to choose with: BIAS, as created */
    snapshot snap = {0};
    ar_train_result r;
    ar_status st = run(m, cb, user, &snap, &r);
    if (st == AR_OK && has_valid) st = consider_baseline(m, &snap, &r);
    if (st == AR_OK && out) *out = r;
    if (st == AR_ERR_INTERRUPTED) st = end_interrupted(m, &snap);
    snapshot_free(&snap);
    return st;
}
