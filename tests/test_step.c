/* test_step.c - whole training steps on the device (densify, forward, dropout, masked loss,
 * backward, Adam) against the CPU reference, tensor by tensor: loss, every gradient, and the
 * parameters after two Adam steps. */
#include <string.h>

#include "testutil.h"

/* n_layers 0: one hidden layer of `hidden`; else the given stack. path: dense or sparse
 * kernels (both must match the same reference). */
static void step_check_noise(int n_layers, const int *layers, int act, int out_act,
                             ar_kernel_path path, ar_input_noise noise) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(61, 45, 3, 0.2, 0.1, seed, &train, &test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 19;
    cfg.center = AR_CENTER_NONE; /* the reference is the plain net (test_center: centering) */
    cfg.n_layers = n_layers;
    cfg.activation = act;
    cfg.out_activation = out_act;
    for (int k = 0; k < n_layers; k++) cfg.layers[k] = layers[k];
    cfg.batch = 9;
    cfg.dropout = 0.25f;
    cfg.input_dropout = 0.15f;
    cfg.input_noise = noise;
    cfg.l2 = 0.01f;
    cfg.lr = 0.01f;
    cfg.seed = seed;
    cfg.kernels = path;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_kernels(m), path);
    const ar_layout *L = ar_model_layout(m);
    const size_t P = L->n_params;
    float *p = malloc(P * sizeof *p), *g = malloc(P * sizeof *g), *rg = malloc(P * sizeof *rg);
    float *mom = calloc(P, sizeof *mom), *vel = calloc(P,
                                                       sizeof *vel), *got = malloc(P * sizeof *got);
    cr_assert(ar_model_params(m, p, 0) == AR_OK);
    const int B = 9;
    int rows[2][9];
    for (int b = 0; b < B; b++) rows[0][b] = (b * 5) % ds->n_rows, rows[1][b] = (b * 7 + 2) % ds->n_rows;
    for (uint32_t t = 1; t <= 2; t++) {
        double loss = 0;
        cr_assert(ar_model_batch(m, rows[t - 1], B, t, 1, &loss, g) == AR_OK, "%s",
                  ar_last_error());
        double rl = ar_step_ref(L, p, rg, &ds->train, rows[t - 1], B, 1 - cfg.dropout,
                                1 - cfg.input_dropout,
                                noise == AR_NOISE_INVERTED ? 1 / (1 - cfg.input_dropout) : 1,
                                seed, t, cfg.activation, cfg.out_activation, NULL);
        fprintf(stderr, "  step %u loss device %.7f reference %.7f\n", t, loss, rl);
        cr_assert(fabs(loss - rl) <= 1e-5 * (1 + fabs(rl)));
        for (int k = 0; k <= L->n_hidden; k++) { /* every layer's weight and bias gradient */
            char what[32];
            snprintf(what, sizeof what, "dW%d", k);
            tu_compare(what, g + L->off_w[k], rg + L->off_w[k],
                       (size_t)L->dim[k + 1] * L->dim[k], 1e-6, 1e-4);
            snprintf(what, sizeof what, "db%d", k);
            tu_compare(what, g + L->off_bias[k], rg + L->off_bias[k], L->dim[k + 1], 1e-6, 1e-4);
        }
        double bc1 = 1 - pow(cfg.beta1, t), bc2 = 1 - pow(cfg.beta2, t);
        /* The reference Adam takes the device's gradient (compared above): Adam divides by
         * sqrt(v), so where a gradient is near zero (1e-9, next to eps 1e-8) its last-bit
         * differences become visible in the update; this way the check is of Adam itself. */
        ar_adam_ref(p, g, mom, vel, P, L->n_decay, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
                    (float)bc1, (float)bc2, cfg.l2);
        cr_assert(ar_model_params(m, got, 0) == AR_OK);
        tu_compare("params after Adam", got, p, P, 1e-5, 1e-4);
        memcpy(p, got, P * sizeof *p); /* continue from the device's state */
    }
    free(p); free(g); free(rg); free(mom); free(vel); free(got);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

/* Input dropout as masking noise (the default). */
static void step_check(int n_layers, const int *layers, int act, int out_act,
                       ar_kernel_path path) {
    step_check_noise(n_layers, layers, act, out_act, path, AR_NOISE_MASK);
}

Test(step, forward_backward_adam_match_reference) {
    step_check(0, NULL, AR_ACT_SIGMOID, AR_ACT_IDENTITY, AR_KERNELS_DENSE);
}

Test(step, selu_matches_reference) {
    step_check(0, NULL, AR_ACT_SELU, AR_ACT_SELU, AR_KERNELS_DENSE);
}

Test(step, deeper_net_matches_reference) {
    const int layers[] = {13, 7, 11};
    step_check(3, layers, AR_ACT_SIGMOID, AR_ACT_IDENTITY, AR_KERNELS_DENSE);
}

/* The sparse path against the same reference: every gradient, the loss, the Adam update. */
Test(step, sparse_matches_reference) {
    step_check(0, NULL, AR_ACT_SIGMOID, AR_ACT_IDENTITY, AR_KERNELS_SPARSE);
}

Test(step, sparse_selu_matches_reference) {
    step_check(0, NULL, AR_ACT_SELU, AR_ACT_SELU, AR_KERNELS_SPARSE);
}

Test(step, sparse_deeper_net_matches_reference) {
    const int layers[] = {13, 7, 11};
    step_check(3, layers, AR_ACT_TANH, AR_ACT_SIGMOID, AR_KERNELS_SPARSE);
}

/* Input dropout as inverted dropout (kept ratings scaled by 1/(1-p)), on both paths. */
Test(step, inverted_input_noise_matches_reference) {
    step_check_noise(0, NULL, AR_ACT_SIGMOID, AR_ACT_IDENTITY, AR_KERNELS_DENSE,
                     AR_NOISE_INVERTED);
}

Test(step, sparse_inverted_input_noise_matches_reference) {
    step_check_noise(0, NULL, AR_ACT_SIGMOID, AR_ACT_IDENTITY, AR_KERNELS_SPARSE,
                     AR_NOISE_INVERTED);
}
