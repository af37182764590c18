/* test_gradcheck.c - the device's gradient of the whole loss (masked MSE through decoder,
 * dropout, encoder) against central finite differences of the reference loss, computed in
 * double. Small sizes; every parameter group is probed. */
#include <string.h>

#include "testutil.h"

typedef struct {
    int act, out_act;
    float dropout, input_dropout;
    int deep;
    ar_input_noise noise;
} variant;

static void gradcheck(variant v) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(17, 12, 2, 0.4, 0.1, seed, &train, &test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 7;
    cfg.center = AR_CENTER_NONE; /* the reference is the plain net (test_center: centering) */
    cfg.batch = 5;
    cfg.activation = v.act;
    cfg.out_activation = v.out_act;
    cfg.dropout = v.dropout;
    cfg.input_dropout = v.input_dropout;
    cfg.input_noise = v.noise;
    if (v.deep) { /* three hidden layers */
        cfg.n_layers = 3;
        cfg.layers[0] = 6, cfg.layers[1] = 4, cfg.layers[2] = 5;
    }
    cfg.seed = seed;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    const ar_layout *L = ar_model_layout(m);
    const size_t P = L->n_params;
    float *params = malloc(P * sizeof *params), *grads = malloc(P * sizeof *grads);
    cr_assert(ar_model_params(m, params, 0) == AR_OK);
    int rows[5] = {0, 3, 5, 7, 11};
    const int B = ds->n_rows < 12 ? 4 : 5;
    const uint32_t step = 42;
    double loss = 0;
    cr_assert(ar_model_batch(m, rows, B, step, 0, &loss, grads) == AR_OK, "%s", ar_last_error());
    const float keep = 1.0f - v.dropout, keep_in = 1.0f - v.input_dropout;
    const float in_scale = v.noise == AR_NOISE_INVERTED ? 1.0f / keep_in : 1.0f;
    double ref_loss = ar_loss_ref(L, params, &ds->train, rows, B, keep, keep_in, in_scale, seed,
                                  step, v.act, v.out_act);
    fprintf(stderr, "  loss device %.7f reference %.7f\n", loss, ref_loss);
    cr_assert(fabs(loss - ref_loss) <= 1e-5 + 1e-5 * fabs(ref_loss), "loss %.9g vs %.9g", loss,
              ref_loss);

    /* Probe parameters spread over every layer's weight and bias. */
    size_t probes[4 * (AR_MAX_HIDDEN_LAYERS + 1)], n_probes = 0;
    for (int k = 0; k <= L->n_hidden; k++) {
        size_t nw = (size_t)L->dim[k + 1] * L->dim[k];
        probes[n_probes++] = L->off_w[k];
        probes[n_probes++] = L->off_w[k] + nw - 1 - (size_t)k;
        probes[n_probes++] = L->off_bias[k];
        probes[n_probes++] = L->off_bias[k] + (size_t)L->dim[k + 1] - 1;
    }
    double worst = 0;
    for (size_t k = 0; k < n_probes; k++) {
        size_t i = probes[k];
        /* a small step: the loss is computed in double, so rounding does not dominate */
        const float p0 = params[i], h = 1e-3f;
        params[i] = p0 + h;
        float hp = params[i];
        double lp = ar_loss_ref(L, params, &ds->train, rows, B, keep, keep_in, in_scale, seed, step,
                                v.act, v.out_act);
        params[i] = p0 - h;
        float hm = params[i];
        double lm = ar_loss_ref(L, params, &ds->train, rows, B, keep, keep_in, in_scale, seed, step,
                                v.act, v.out_act);
        params[i] = p0;
        double fd = (lp - lm) / ((double)hp - (double)hm);
        double tol = 2e-4 + 2e-3 * fabs(fd);
        double d = fabs(fd - grads[i]);
        if (d > worst) worst = d;
        cr_assert(d <= tol, "parameter %zu: device gradient %.7g, finite difference %.7g "
                  "(tolerance %.2g)", i, (double)grads[i], fd, tol);
    }
    fprintf(stderr, "  %s/%s dropout %.2f: max |grad - fd| %.3g over %zu probes\n",
            ar_activation_name(v.act), ar_activation_name(v.out_act), (double)v.dropout, worst,
            n_probes);
    free(params);
    free(grads);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

Test(gradcheck, sigmoid_identity_no_dropout) { gradcheck((variant){AR_ACT_SIGMOID, AR_ACT_IDENTITY, 0.0f}); }
Test(gradcheck, sigmoid_identity_dropout) { gradcheck((variant){AR_ACT_SIGMOID, AR_ACT_IDENTITY, 0.3f}); }
Test(gradcheck, tanh_sigmoid_dropout) { gradcheck((variant){AR_ACT_TANH, AR_ACT_SIGMOID, 0.2f}); }
Test(gradcheck, sigmoid_identity_input_dropout) {
    gradcheck((variant){AR_ACT_SIGMOID, AR_ACT_IDENTITY, 0.2f, 0.3f, 0, AR_NOISE_MASK});
}
Test(gradcheck, sigmoid_identity_inverted_input_dropout) {
    gradcheck((variant){AR_ACT_SIGMOID, AR_ACT_IDENTITY, 0.2f, 0.3f, 0, AR_NOISE_INVERTED});
}
Test(gradcheck, deep_tanh_identity_dropout) {
    gradcheck((variant){AR_ACT_TANH, AR_ACT_IDENTITY, 0.2f, 0.1f, 1, AR_NOISE_MASK});
}
Test(gradcheck, identity_tanh) { gradcheck((variant){AR_ACT_IDENTITY, AR_ACT_TANH, 0.0f}); }
Test(gradcheck, elu_identity_dropout) { gradcheck((variant){AR_ACT_ELU, AR_ACT_IDENTITY, 0.2f}); }
/* Only activations with a continuous derivative: SELU's jumps at 0 (lambda vs lambda alpha), and
 * a finite difference across that kink is wrong by design, however small the step. SELU is
 * checked exactly against the reference in test_step instead. */
Test(gradcheck, elu_elu) { gradcheck((variant){AR_ACT_ELU, AR_ACT_ELU, 0.0f}); }
