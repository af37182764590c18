/* test_model_output.c - a prediction is never NaN or infinite. Weights that are finite but so
 * large that the outputs overflow float (what a crafted or damaged model file can hold: the
 * reader accepts any finite weight) make evaluation, prediction and ensembles fail with
 * AR_ERR_DIVERGED and one line, on both kernel paths; through the tool, eval, predict and
 * recommend exit 1 with that line and print no number. On the test device. */
#include <string.h>

#include "testutil.h"

TestSuite(model_output, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* A model on ds (the given path) as created (big 0), or with every weight and bias 3e38 (big 1,
 * 2). Sigmoid hidden units are then all 1 and each output sums 13 terms of 3e38: +inf. With big
 * 2 the hidden units are identity, so +inf, and the decoder's weights alternate in sign along
 * each row of H = 12: inf - inf, NaN. */
static ar_model *model_on(ar_ctx *ctx, const ar_dataset *ds, ar_kernel_path path, int big) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 12;
    cfg.batch = 8;
    cfg.epochs = 1;
    cfg.kernels = path;
    cfg.activation = big == 2 ? AR_ACT_IDENTITY : AR_ACT_SIGMOID;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    if (!big) return m;
    const ar_layout *L = ar_model_layout(m);
    float *w = malloc(L->n_params * sizeof *w);
    for (size_t i = 0; i < L->n_params; i++) w[i] = 3e38f;
    const size_t dec = L->off_w[1], n_dec = (size_t)L->dim[2] * (size_t)L->dim[1]; /* (U, H) */
    for (size_t i = 0; big == 2 && i < n_dec; i += 2) w[dec + i] = -3e38f;
    cr_assert(ar_model_params(m, w, 1) == AR_OK, "%s", ar_last_error());
    free(w);
    return m;
}

Test(model_output, non_finite_outputs_are_errors_not_numbers) {
    ar_ratings *tr, *te;
    tu_synth(30, 20, 2, 0.4, 0.2, 5, &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK);
    ar_ctx *ctx = tu_ctx();
    ar_model *fine = model_on(ctx, ds, AR_KERNELS_AUTO, 0);
    int64_t u, i;
    ar_ratings_get(tr, 0, &u, &i, NULL);
    char pair[64];
    snprintf(pair, sizeof pair, "for user %lld item %lld is not a finite number", (long long)u,
             (long long)i);
    for (int v = 0; v < 4; v++) {
        ar_kernel_path path = v % 2 ? AR_KERNELS_SPARSE : AR_KERNELS_DENSE;
        ar_model *m = model_on(ctx, ds, path, 1 + v / 2);
        double rmse[2] = {0, 0};
        cr_assert_eq(ar_model_evaluate(m, &rmse[0], &rmse[1]), AR_ERR_DIVERGED, "case %d", v);
        cr_assert(strstr(ar_last_error(), "outputs for the training ratings are not finite"),
                  "%s", ar_last_error());
        float p = 0, mean = 0, members[2];
        cr_assert_eq(ar_model_predict(m, &u, &i, 1, &p), AR_ERR_DIVERGED, "case %d", v);
        cr_assert(strstr(ar_last_error(), pair), "%s", ar_last_error());
        ar_model *both[2] = {fine, m};
        cr_assert_eq(ar_ensemble_predict(both, 2, &u, &i, 1, &mean, members), AR_ERR_DIVERGED);
        cr_assert(!strncmp(ar_last_error(), "ensemble member 2: ", 19) &&
                  strstr(ar_last_error(), pair), "%s", ar_last_error());
        if (v == 3) cr_assert(ar_model_save(m, tu_path("m.bin")) == AR_OK, "%s", ar_last_error());
        ar_model_free(m);
    }
    /* the saved model's weights are finite: the file is valid, its outputs are not */
    tu_write_ratings(tu_path("test.tsv"), te);
    char pairs[64];
    snprintf(pairs, sizeof pairs, "%lld %lld\n", (long long)u, (long long)i);
    tu_write_file("pairs", pairs);
    static char out[65536], err[8192];
    char cmds[3][4096];
    snprintf(cmds[0], sizeof cmds[0], "eval --model %s --test %s", tu_path("m.bin"),
             tu_path("test.tsv"));
    snprintf(cmds[1], sizeof cmds[1], "predict --model %s --pairs %s", tu_path("m.bin"),
             tu_path("pairs"));
    snprintf(cmds[2], sizeof cmds[2], "recommend --model %s --user %lld", tu_path("m.bin"),
             (long long)u);
    for (size_t k = 0; k < 3; k++) {
        const char *cmd = cmds[k];
        cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "%s", cmd), 1, "%s: %s",
                     cmd, err);
        cr_assert((strstr(err, "not a finite number") || strstr(err, "are not finite")) &&
                  strchr(err, '\n') == strrchr(err, '\n'), "%s: %s", cmd, err);
        cr_assert_str_eq(out, "", "%s", cmd);
    }
    ar_model_free(fine);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}
