/* train.c - a training run (ar_model_train): epochs up to the budget, model selection on the
 * validation set, the patience stop rule, and the selected epoch's state kept on the host and
 * put back at the end, so that what is predicted, evaluated and saved after training is the
 * model that was selected. */
#include <math.h>
#include <stdio.h>
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
                           .center = m->cfg.center, .lighter = m->lighter,
                           .tanh_run = m->tanh_run,
                           .auto_valid_rmse = {NAN, NAN}, .given_valid_rmse = NAN,
                           .lighter_valid_rmse = NAN, .tanh_valid_rmse = NAN};
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

/* The runs ar_model_train chooses among on validation, each from the same starting state (the
 * same initial weights, row orders and dropout masks: run k is what a plain run of its settings
 * would train): with AR_CENTER_AUTO a BIAS run then an INPUT run, else the configured centering
 * alone; then, of the centering kept so far, with try_lighter one with l2 / 10 and dropout / 2,
 * and with try_tanh one with a tanh encoder at lr / 5. The one of lowest validation RMSE is kept
 * (the earlier on a tie), in its selected state, with its settings in m->cfg. Interrupted, the
 * best of what was trained is kept, as a plain run keeps its selected epoch. */
enum { ARM_BIAS, ARM_INPUT, N_ARMS = 4 }; /* AR_CENTER_AUTO's two, the lighter and tanh runs */

typedef struct {
    ar_center center;
    float l2, dropout, lr;
    ar_activation activation;
    int lighter, tanh_run; /* which kind of run: the given settings when both are 0 */
} arm;

/* x rounded to 6 significant digits, as reports print it: the lighter run's l2 and dropout are
 * then the floats `--l2 0.0001 --dropout 0.3` give (1e-3f / 10 is not 1e-4f), and the tanh
 * run's lr the float of `--lr 0.0006`, so a plain run with the settings printed trains the
 * same model bit for bit. */
static float printed(double x) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", x);
    return strtof(buf, NULL);
}

/* The run's settings; a new encoder activation moves the dead units' biases with it (see
 * AR_HIDDEN_ALIGN). */
static ar_status arm_apply(ar_model *m, const arm *a) {
    const ar_activation was = m->cfg.activation;
    m->cfg.center = a->center;
    m->cfg.l2 = a->l2, m->cfg.dropout = a->dropout, m->cfg.lr = a->lr;
    m->cfg.activation = a->activation;
    m->lighter = a->lighter, m->tanh_run = a->tanh_run;
    return a->activation != was ? ar_model_set_dead(m) : AR_OK;
}

static ar_status train_arms(ar_model *m, ar_epoch_callback cb, void *user, ar_train_result *out) {
    arm arms[N_ARMS];
    int n = 0;
    const arm given = {m->cfg.center, m->cfg.l2, m->cfg.dropout, m->cfg.lr, m->cfg.activation,
                       0, 0};
    if (m->center_auto) {
        arms[n] = arms[n + 1] = given;
        arms[n++].center = AR_CENTER_BIAS;
        arms[n++].center = AR_CENTER_INPUT;
    } else {
        arms[n++] = given;
    }
    const int n_given = n;
    int lighter = -1, tanh_arm = -1; /* their places in arms[], if tried */
    if (m->try_lighter) {
        arms[lighter = n++] = given;
        arms[lighter].l2 = printed(given.l2 / 10.0);
        arms[lighter].dropout = printed(given.dropout / 2.0);
        arms[lighter].lighter = 1;
    }
    if (m->try_tanh && given.activation != AR_ACT_TANH) {
        arms[tanh_arm = n++] = given;
        arms[tanh_arm].activation = AR_ACT_TANH;
        arms[tanh_arm].lr = printed(given.lr / 5.0);
        arms[tanh_arm].tanh_run = 1;
    }
    snapshot start = {0}, best = {0}, cur = {0};
    ar_train_result r[N_ARMS], *rw = NULL;
    int w = -1, ran = 0; /* the best run so far; the runs started */
    ar_status st = snapshot_take(m, &start);
    for (int k = 0; k < n && st == AR_OK; k++) {
        if (k >= n_given && w < 0) break; /* no run selected an epoch: no centering to vary */
        if (k > 0) st = snapshot_restore(m, &start);
        if (k >= n_given) arms[k].center = arms[w].center;
        if (st == AR_OK) st = arm_apply(m, &arms[k]);
        if (st == AR_OK) st = run(m, cb, user, &cur, &r[k]);
        ran = k + 1;
        if (cur.params && (w < 0 || r[k].selected.valid_rmse < rw->selected.valid_rmse)) {
            snapshot t = best; /* the run's selected state becomes the best; the loser's
                                  buffers are reused by the next run */
            best = cur, cur = t;
            w = k, rw = &r[k];
        }
    }
    if (st != AR_OK && st != AR_ERR_INTERRUPTED) goto cleanup; /* left as the error left it */
    if (w < 0) { /* interrupted before the first epoch ended: nothing to keep */
        st = AR_ERR_INTERRUPTED;
        goto cleanup;
    }
    ar_status as = arm_apply(m, &arms[w]);
    if (as != AR_OK) {
        st = as;
        goto cleanup;
    }
    m->center_auto = m->try_lighter = m->try_tanh = 0;
    if (ran - 1 != w || st != AR_OK) { /* an earlier run won, or interrupted: not in place */
        ar_status rs = snapshot_restore(m, &best);
        if (rs != AR_OK) {
            st = rs;
            goto cleanup;
        }
    }
    if (st != AR_OK) goto cleanup; /* interrupted: the best run's selected state is kept */
    ar_train_result res = *rw; /* every run ended (st is AR_OK) */
    res.epochs_run = 0;
    for (int k = 0; k < ran; k++) res.epochs_run += r[k].epochs_run;
    if (n_given == 2)
        for (int k = 0; k < 2; k++) {
            res.auto_valid_rmse[k] = r[k].network_valid_rmse;
            res.auto_epoch[k] = r[k].network_epoch;
            res.auto_epochs_run[k] = r[k].epochs_run;
        }
    if (ran > n_given) { /* a run of other settings ran: the given settings' best, to compare */
        int g = n_given == 2 && r[ARM_INPUT].selected.valid_rmse <
                                    r[ARM_BIAS].selected.valid_rmse ? ARM_INPUT : 0;
        res.given_valid_rmse = r[g].network_valid_rmse;
    }
    if (lighter >= 0 && lighter < ran) {
        res.lighter_valid_rmse = r[lighter].network_valid_rmse;
        res.lighter_epoch = r[lighter].network_epoch;
        res.lighter_epochs_run = r[lighter].epochs_run;
    }
    if (tanh_arm >= 0 && tanh_arm < ran) {
        res.tanh_valid_rmse = r[tanh_arm].network_valid_rmse;
        res.tanh_epoch = r[tanh_arm].network_epoch;
        res.tanh_epochs_run = r[tanh_arm].epochs_run;
    }
    AR_TRY(consider_baseline(m, &best, &res));
    if (out) *out = res;
cleanup:
    snapshot_free(&start);
    snapshot_free(&best);
    snapshot_free(&cur);
    return st;
}

ar_status ar_model_train(ar_model *m, ar_epoch_callback cb, void *user, ar_train_result *out) {
    const int has_valid = m->ds->n_valid_all > 0;
    atomic_store(&m->interrupt, 0); /* a request made before the run */
    if ((m->center_auto || m->try_lighter || m->try_tanh) && has_valid && m->epoch == 0)
        return train_arms(m, cb, user, out);
    m->center_auto = m->try_lighter = m->try_tanh = 0; /* nothing to choose with: BIAS, as
                                                          created */
    snapshot snap = {0};
    ar_train_result r;
    ar_status st = run(m, cb, user, &snap, &r);
    if (st == AR_OK && has_valid) st = consider_baseline(m, &snap, &r);
    if (st == AR_OK && out) *out = r;
    if (st == AR_ERR_INTERRUPTED) st = end_interrupted(m, &snap);
    snapshot_free(&snap);
    return st;
}
