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
