/* test_agree.c - portability: the same small training run (same data, same seed, so the same
 * initial weights, batch order and dropout masks) on two independent OpenCL implementations,
 * PoCL and Mesa's Rusticl, gives the same per-epoch losses and RMSEs within a stated tolerance.
 * The implementations differ in compiler and in CLBlast's kernel choices, so summation orders
 * differ: the numbers agree to float rounding, amplified a little by training, not bit for bit. */
#define _GNU_SOURCE /* strcasestr */
#include <string.h>

#include "testutil.h"

#define EPOCHS 6
/* |a - b| <= TOL_ABS + TOL_REL * |a| for every per-epoch loss and RMSE. */
#define TOL_ABS 1e-5
#define TOL_REL 1e-4

static int find(const ar_device_info *dv, int nd, const char *platform_substring) {
    for (int i = 0; i < nd; i++)
        if (strcasestr(dv[i].platform_name, platform_substring)) return i;
    return -1;
}

static void train(int device, const ar_dataset *ds, uint64_t seed, ar_epoch_stats *out) {
    char spec[32];
    snprintf(spec, sizeof spec, "%d", device);
    ar_ctx *ctx = NULL;
    cr_assert(ar_ctx_create(spec, &ctx) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 24;
    cfg.batch = 16;
    cfg.lr = 1e-2f;
    cfg.lr_decay = 1.0f;
    cfg.dropout = 0.2f;
    cfg.seed = seed;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    for (int e = 0; e < EPOCHS; e++)
        cr_assert(ar_model_train_epoch(m, &out[e]) == AR_OK, "%s", ar_last_error());
    fprintf(stderr, "  %s (%s): final loss %.7f test RMSE %.7f\n", ar_ctx_device(ctx)->name,
            ar_ctx_device(ctx)->platform_name, out[EPOCHS - 1].loss, out[EPOCHS - 1].test_rmse);
    ar_model_free(m);
    ar_ctx_free(ctx);
}

static void agree(const char *what, int epoch, double a, double b) {
    double d = fabs(a - b), tol = TOL_ABS + TOL_REL * fabs(a);
    cr_assert(d <= tol, "epoch %d %s: PoCL %.9g, Rusticl %.9g, |diff| %.3g > %.3g", epoch, what,
              a, b, d, tol);
}

Test(agree, pocl_and_rusticl_train_the_same, .timeout = 900) {
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    cr_assert(ar_devices_list(&pl, &np, &dv, &nd) == AR_OK, "%s", ar_last_error());
    int pocl = find(dv, nd, "Portable Computing Language"), rusticl = find(dv, nd, "rusticl");
    free(pl);
    free(dv);
    if (pocl < 0 || rusticl < 0)
        cr_skip_test("needs both PoCL and Rusticl devices (install pocl-opencl-icd and "
                     "mesa-opencl-icd, set RUSTICL_ENABLE=llvmpipe); found %s%s",
                     pocl < 0 ? "no PoCL device " : "", rusticl < 0 ? "no Rusticl device" : "");
    uint64_t seed = tu_seed();
    ar_ratings *tr = NULL, *te = NULL;
    tu_synth(80, 150, 2, 0.2, 0.1, seed, &tr, &te);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK, "%s", ar_last_error());
    ar_epoch_stats a[EPOCHS], b[EPOCHS];
    train(pocl, ds, seed, a);
    train(rusticl, ds, seed, b);
    for (int e = 0; e < EPOCHS; e++) {
        agree("loss", e + 1, a[e].loss, b[e].loss);
        agree("train RMSE", e + 1, a[e].train_rmse, b[e].train_rmse);
        agree("test RMSE", e + 1, a[e].test_rmse, b[e].test_rmse);
    }
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}
