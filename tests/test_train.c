/* test_train.c - end to end: train on a generated low-rank dataset and beat the global mean
 * clearly; the same seed twice gives identical numbers; a different seed does not. */
#include <string.h>

#include "testutil.h"

typedef struct { double loss[8], train[8], test[8]; } history;

static history run(ar_ctx *ctx, const ar_dataset *ds, uint64_t seed, int epochs, int hidden) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = hidden;
    cfg.epochs = epochs;
    cfg.seed = seed;
    cfg.batch = 32; /* every field the run depends on is set here, not left to defaults */
    cfg.lr = 3e-3f;
    cfg.lr_decay = 1.0f;
    cfg.l2 = 1e-3f;
    cfg.dropout = 0.1f;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    history h;
    memset(&h, 0, sizeof h);
    for (int e = 0; e < epochs; e++) {
        ar_epoch_stats s;
        cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
        cr_assert_eq(s.epoch, e + 1);
        cr_assert(isfinite(s.loss) && isfinite(s.train_rmse) && isfinite(s.test_rmse));
        if (e < 8) h.loss[e] = s.loss, h.train[e] = s.train_rmse, h.test[e] = s.test_rmse;
        if (e == epochs - 1 && epochs > 8) h.test[7] = s.test_rmse;
    }
    ar_model_free(m);
    return h;
}

Test(train, beats_global_mean_on_low_rank_data, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(200, 1000, 3, 0.2, 0.1, seed, &train, &test); /* I-AutoRec learns from many items */
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    double base = ar_dataset_mean_baseline_rmse(ds);
    history h = run(ctx, ds, seed, 25, 64);
    fprintf(stderr, "  global mean RMSE %.4f, AutoRec test RMSE %.4f\n", base, h.test[7]);
    cr_assert(h.test[7] < 0.8 * base, "test RMSE %.4f does not clearly beat the global mean "
              "(%.4f)", h.test[7], base);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

Test(train, same_seed_same_numbers) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(120, 90, 2, 0.2, 0.1, seed, &train, &test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    history a = run(ctx, ds, seed, 3, 16), b = run(ctx, ds, seed, 3, 16),
            c = run(ctx, ds, seed + 1, 3, 16);
    for (int e = 0; e < 3; e++) {
        cr_assert(a.loss[e] == b.loss[e] && a.train[e] == b.train[e] && a.test[e] == b.test[e],
                  "epoch %d differs between two runs with seed %llu: loss %.9g vs %.9g", e + 1,
                  (unsigned long long)seed, a.loss[e], b.loss[e]);
    }
    cr_assert(a.loss[0] != c.loss[0], "seeds %llu and %llu gave the same loss",
              (unsigned long long)seed, (unsigned long long)seed + 1);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

/* With profiling the epoch's time is split by phase: every phase >= 0, the device phases
 * (GEMM and the kernels) are measured, and the phases add up to the epoch's wall time. A driver
 * without real timestamps (Mesa 22's Rusticl) reports NaN for all of them instead. Without
 * profiling they are all 0. */
Test(train, profiling_splits_the_epoch_by_phase) {
    uint64_t seed = tu_seed();
    ar_ctx_options opt = {.profiling = 1};
    ar_ctx *ctx = NULL;
    cr_assert_eq(ar_ctx_create_ex(getenv("AUTOREC_DEVICE"), &opt, &ctx), AR_OK, "%s",
                 ar_last_error());
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(120, 90, 2, 0.2, 0.1, seed, &train, &test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 24;
    cfg.batch = 32;
    cfg.dropout = 0.2f;
    cfg.kernels = AR_KERNELS_DENSE; /* GEMM, densify, ...; test_sparse times the other path */
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    ar_epoch_stats s;
    for (int e = 0; e < 2; e++) cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s",
                                          ar_last_error());
    if (isnan(s.phase_seconds[AR_PHASE_GEMM])) {
        for (int p = 0; p < AR_PHASE_COUNT; p++) cr_assert(isnan(s.phase_seconds[p]));
        fprintf(stderr, "  %s gives no profiling timestamps: phases are NaN\n",
                ar_ctx_device(ctx)->name);
    } else {
        double sum = 0;
        for (int p = 0; p < AR_PHASE_COUNT; p++) {
            cr_assert(s.phase_seconds[p] >= 0, "phase %s: %g", ar_phase_name((ar_phase)p),
                      s.phase_seconds[p]);
            sum += s.phase_seconds[p];
        }
        for (int p = AR_PHASE_GEMM; p <= AR_PHASE_ADAM; p++)
            if (p != AR_PHASE_DENSIFY && p != AR_PHASE_LOSS && /* can round to 0 ns */
                p != AR_PHASE_SPMM && p != AR_PHASE_SDDMM &&     /* not on this path */
                p != AR_PHASE_SPARSE_WGRAD)
                cr_assert(s.phase_seconds[p] > 0, "phase %s not measured",
                          ar_phase_name((ar_phase)p));
        /* host is the remainder, so the sum is the wall time unless the device phases alone
         * exceed it (they cannot, in an in-order queue, beyond clock granularity) */
        cr_assert(fabs(sum - s.epoch_seconds) <= 1e-3 + 0.02 * s.epoch_seconds,
                  "phases add up to %g s, the epoch took %g s", sum, s.epoch_seconds);
    }
    ar_model_free(m);
    ar_ctx_free(ctx);
    ctx = tu_ctx(); /* no profiling: zeros */
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
    for (int p = 0; p < AR_PHASE_COUNT; p++) cr_assert_eq(s.phase_seconds[p], 0.0);
    cr_assert_str_eq(ar_phase_name(AR_PHASE_BIAS_GRAD), "bias_grad");
    cr_assert_str_eq(ar_phase_name(AR_PHASE_COUNT), "unknown");
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

/* ---- ar_model_train: validation-driven runs ------------------------------------------------- */

TestSuite(train, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

#define MAX_EPOCHS 400
typedef struct {
    ar_epoch_stats s[MAX_EPOCHS]; /* s[e - 1]: epoch e as the callback saw it */
    int n, first, fail_at;        /* epochs seen, the first one's number; fail there */
} seen;

static ar_status record(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    seen *v = user;
    cr_assert(r->last.epoch == s->epoch && r->last_epoch == s->epoch);
    cr_assert(r->selected_epoch <= s->epoch);
    if (!v->n) v->first = s->epoch;
    if (v->n < MAX_EPOCHS) v->s[v->n++] = *s;
    return s->epoch == v->fail_at ? AR_ERR_IO : AR_OK;
}

/* The parameters and Adam's moments of m, read back (caller frees). */
static float *state_of(ar_model *m) {
    size_t P = ar_model_layout(m)->n_params;
    float *s = malloc(3 * P * sizeof *s);
    cr_assert(s && ar_model_state(m, s, s + P, s + 2 * P, 0, 0, 0) == AR_OK, "%s",
              ar_last_error());
    return s;
}

static void same_state(ar_model *a, ar_model *b, const char *what) {
    size_t P = ar_model_layout(a)->n_params;
    float *x = state_of(a), *y = state_of(b);
    cr_assert(!memcmp(x, y, 3 * P * sizeof *x), "%s: weights or Adam moments differ", what);
    free(x);
    free(y);
}

/* A configuration that overfits the small data set quickly (no L2, a large constant rate), so
 * that the validation RMSE turns up within a few dozen epochs. */
static ar_train_config overfitting(uint64_t seed) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 32;
    cfg.batch = 16;
    cfg.lr = 0.02f;
    cfg.lr_decay = 1;
    cfg.l2 = 0;
    cfg.seed = seed;
    cfg.epochs = MAX_EPOCHS;
    cfg.patience = 4;
    cfg.min_improvement = 0; /* any lower RMSE counts: the run ends by patience alone */
    cfg.baseline_fallback = 0; /* an epoch is kept, always (the fallback: test_center.c) */
    cfg.center = AR_CENTER_BIAS; /* one run: auto's two, the lighter and tanh runs: test_center.c */
    cfg.try_lighter = 0;
    cfg.try_tanh = 0;
    return cfg;
}

/* The run stops `patience` epochs after the lowest validation RMSE, and the model then holds
 * exactly that epoch's state: its RMSEs, its counters, and the weights and Adam moments that
 * training that many epochs gives. Resumed from a save of it, the same rule replays the same
 * epochs, finds none better, and keeps the starting state. */
Test(train, validation_keeps_the_best_epoch, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *base = NULL, *tr = NULL, *va = NULL, *te = NULL;
    tu_synth(120, 90, 2, 0.3, 0.1, seed, &base, &te);
    cr_assert(ar_ratings_split(base, 0.2, seed + 7, &tr, &va) == AR_OK, "%s", ar_last_error());
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    ar_train_config cfg = overfitting(seed);
    ar_model *m = NULL, *ref = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    seen *v = calloc(1, sizeof *v);
    ar_train_result r;
    cr_assert(ar_model_train(m, record, v, &r) == AR_OK, "%s", ar_last_error());
    int best = 1;
    for (int e = 1; e <= v->n; e++)
        if (v->s[e - 1].valid_rmse < v->s[best - 1].valid_rmse) best = e;
    fprintf(stderr, "  stopped after epoch %d (%s), kept epoch %d\n", r.last_epoch,
            ar_stop_reason_name(r.stop), r.selected_epoch);
    cr_assert(r.stop == AR_STOP_PATIENCE && r.last_epoch == r.selected_epoch + cfg.patience &&
              r.epochs_run == r.last_epoch && v->n == r.last_epoch, "stopped after %d (%s), "
              "kept %d", r.last_epoch, ar_stop_reason_name(r.stop), r.selected_epoch);
    cr_assert_eq(r.selected_epoch, best, "kept %d, lowest validation RMSE at %d",
                 r.selected_epoch, best);
    const ar_epoch_stats *b = &v->s[best - 1];
    cr_assert(r.selected.valid_rmse == b->valid_rmse && r.selected.test_rmse == b->test_rmse &&
              r.selected.loss == b->loss && r.last.epoch == r.last_epoch);
    /* the model is that epoch's: RMSEs, counters, weights and moments */
    double trm, vam, tem;
    cr_assert(ar_model_evaluate_ex(m, &trm, &vam, &tem) == AR_OK, "%s", ar_last_error());
    cr_assert(trm == b->train_rmse && vam == b->valid_rmse && tem == b->test_rmse,
              "evaluated %.9g %.9g %.9g, epoch %d had %.9g %.9g %.9g", trm, vam, tem, best,
              b->train_rmse, b->valid_rmse, b->test_rmse);
    cr_assert_eq(ar_model_epochs_done(m), best);
    cr_assert(ar_model_create(ctx, ds, &cfg, &ref) == AR_OK, "%s", ar_last_error());
    for (int e = 0; e < best; e++)
        cr_assert(ar_model_train_epoch(ref, NULL) == AR_OK, "%s", ar_last_error());
    same_state(m, ref, "restored vs trained to the selected epoch");
    /* resumed from a save of it: the same epochs again, none better, the start kept */
    cr_assert(ar_model_save(m, tu_path("best.bin")) == AR_OK, "%s", ar_last_error());
    ar_checkpoint *ck = NULL;
    ar_model *res = NULL;
    cr_assert(ar_checkpoint_read(tu_path("best.bin"), &ck) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_create_from(ctx, ds, ck, &cfg, &res) == AR_OK, "%s", ar_last_error());
    seen *w = calloc(1, sizeof *w);
    ar_train_result r2;
    cr_assert(ar_model_train(res, record, w, &r2) == AR_OK, "%s", ar_last_error());
    cr_assert(r2.stop == AR_STOP_PATIENCE && r2.selected_epoch == best &&
              r2.epochs_run == cfg.patience && w->first == best + 1 && isnan(r2.selected.loss),
              "resumed: kept %d after %d epochs", r2.selected_epoch, r2.epochs_run);
    for (int k = 0; k < w->n; k++)
        cr_assert(w->s[k].valid_rmse == v->s[best + k].valid_rmse, "epoch %d replayed "
                  "differently", best + k + 1);
    cr_assert_eq(ar_model_epochs_done(res), best);
    same_state(res, m, "resumed and restored vs the saved state");
    ar_model_free(res);
    ar_checkpoint_free(ck);
    free(w);
    free(v);
    ar_model_free(ref);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(base);
    ar_ratings_free(tr);
    ar_ratings_free(va);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

/* Patience 0 trains every epoch and still keeps the best; an improvement must beat
 * min_improvement to count (smaller ones: converged); without a validation set every epoch runs
 * and the last is kept; a callback's error ends the run with that status. */
Test(train, stop_rules_and_callback_errors, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *base = NULL, *tr = NULL, *va = NULL, *te = NULL;
    tu_synth(120, 90, 2, 0.3, 0.1, seed, &base, &te);
    cr_assert(ar_ratings_split(base, 0.2, seed + 7, &tr, &va) == AR_OK, "%s", ar_last_error());
    ar_dataset *ds = NULL, *plain = NULL;
    cr_assert(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    cr_assert(ar_dataset_create(tr, te, &plain) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg = overfitting(seed);
    cfg.epochs = 30;
    cfg.patience = 0;
    ar_model *m = NULL;
    seen *v = calloc(1, sizeof *v);
    ar_train_result r;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train(m, record, v, &r) == AR_OK, "%s", ar_last_error());
    int best = 1;
    for (int e = 1; e <= v->n; e++)
        if (v->s[e - 1].valid_rmse < v->s[best - 1].valid_rmse) best = e;
    cr_assert(r.stop == AR_STOP_EPOCHS && r.last_epoch == 30 && r.selected_epoch == best &&
              ar_model_epochs_done(m) == best, "patience 0: %d epochs, kept %d (best %d)",
              r.last_epoch, r.selected_epoch, best);
    cr_assert_str_eq(ar_stop_reason_name(r.stop), "epochs");
    cr_assert_str_eq(ar_stop_reason_name(AR_STOP_PATIENCE), "patience");
    ar_model_free(m);
    /* no epoch lowers the RMSE by half: the run stops `patience` epochs after the first,
     * converged if some epoch lowered it at all (and that one is kept) */
    cfg.patience = 3;
    cfg.min_improvement = 0.5f;
    memset(v, 0, sizeof *v);
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train(m, record, v, &r) == AR_OK, "%s", ar_last_error());
    best = 1;
    for (int e = 1; e <= v->n; e++)
        if (v->s[e - 1].valid_rmse < v->s[best - 1].valid_rmse) best = e;
    cr_assert(r.last_epoch == 4 && r.selected_epoch == best &&
              r.stop == (best > 1 ? AR_STOP_CONVERGED : AR_STOP_PATIENCE), "%d epochs, kept %d "
              "(best %d), %s", r.last_epoch, r.selected_epoch, best, ar_stop_reason_name(r.stop));
    cr_assert_str_eq(ar_stop_reason_name(AR_STOP_CONVERGED), "converged");
    ar_model_free(m);
    cfg.min_improvement = 0;
    /* no validation set: patience does not apply, the last epoch is the model */
    cfg.epochs = 6;
    cfg.patience = 1;
    memset(v, 0, sizeof *v);
    cr_assert(ar_model_create(ctx, plain, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train(m, record, v, &r) == AR_OK, "%s", ar_last_error());
    cr_assert(r.stop == AR_STOP_EPOCHS && r.last_epoch == 6 && r.selected_epoch == 6 &&
              v->n == 6 && isnan(r.selected.valid_rmse) && ar_model_epochs_done(m) == 6);
    cr_assert(r.selected.test_rmse == v->s[5].test_rmse);
    ar_model_free(m);
    /* the callback says stop: its status, the model as that epoch left it */
    memset(v, 0, sizeof *v);
    v->fail_at = 3;
    cfg.epochs = 10;
    cfg.patience = 0;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_train(m, record, v, NULL), AR_ERR_IO);
    cr_assert_eq(ar_model_epochs_done(m), 3);
    /* carried on, the state it stopped in is a candidate too */
    cr_assert_eq(ar_model_train(m, NULL, NULL, &r), AR_OK, "%s", ar_last_error());
    cr_assert(r.epochs_run == 7 && r.selected_epoch >= 3 && r.selected_epoch <= 10 &&
              ar_model_epochs_done(m) == r.selected_epoch, "kept %d", r.selected_epoch);
    ar_model_free(m);
    free(v);
    ar_dataset_free(ds);
    ar_dataset_free(plain);
    ar_ratings_free(base);
    ar_ratings_free(tr);
    ar_ratings_free(va);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

/* The run ar_model_interrupt stops, and the one it asks to stop (what the Python package's
 * Ctrl-C calls), and the lowest validation RMSE among the epochs it saw. */
typedef struct {
    ar_model *m;
    int stop_at;
    double best_valid;
} interrupting;

static ar_status interrupt_at(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    interrupting *x = user;
    (void)r;
    if (s->valid_rmse < x->best_valid) x->best_valid = s->valid_rmse;
    if (s->epoch == x->stop_at) ar_model_interrupt(x->m); /* as from another thread */
    return AR_OK;
}

/* ar_model_interrupt stops before the next batch: an epoch asked before it starts runs no batch
 * and is not counted, the request is used up; in ar_model_train the run ends with
 * AR_ERR_INTERRUPTED in its selected epoch's state; a request made before a run is dropped. */
Test(train, interrupt_between_batches, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *base = NULL, *tr = NULL, *va = NULL, *te = NULL;
    tu_synth(120, 90, 2, 0.3, 0.1, seed, &base, &te);
    cr_assert(ar_ratings_split(base, 0.2, seed + 7, &tr, &va) == AR_OK, "%s", ar_last_error());
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    ar_train_config cfg = overfitting(seed);
    cfg.epochs = 8;
    cfg.patience = 0;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    ar_epoch_stats s;
    ar_model_interrupt(m);
    cr_assert_eq(ar_model_train_epoch(m, &s), AR_ERR_INTERRUPTED);
    cr_assert(strstr(ar_last_error(), "interrupted") && strstr(ar_last_error(), "after 0 of"),
              "%s", ar_last_error());
    cr_assert_str_eq(ar_status_string(AR_ERR_INTERRUPTED), "interrupted");
    cr_assert_eq(ar_model_epochs_done(m), 0);
    cr_assert_eq(ar_model_train_epoch(m, &s), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_epochs_done(m), 1);
    interrupting x = {m, 3, s.valid_rmse};
    cr_assert_eq(ar_model_train(m, interrupt_at, &x, NULL), AR_ERR_INTERRUPTED);
    double valid = NAN;
    cr_assert(ar_model_evaluate_ex(m, NULL, &valid, NULL) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_epochs_done(m) <= 3 && valid == x.best_valid,
              "kept epoch %d, valid RMSE %g, best seen %g", ar_model_epochs_done(m), valid,
              x.best_valid);
    ar_model_interrupt(m);
    cr_assert_eq(ar_model_train(m, NULL, NULL, NULL), AR_OK, "%s", ar_last_error());
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(base);
    ar_ratings_free(tr);
    ar_ratings_free(va);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}
