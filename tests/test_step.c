/* test_step.c - whole training steps on the device (densify, forward, dropout, masked loss,
 * backward, Adam) against the CPU reference, tensor by tensor: loss, every gradient, and the
 * parameters after two Adam steps. */
#include <string.h>

#include "testutil.h"

Test(step, forward_backward_adam_match_reference) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(61, 45, 3, 0.2, 0.1, seed, &train, &test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 19;
    cfg.batch = 9;
    cfg.dropout = 0.25f;
    cfg.input_dropout = 0.15f;
    cfg.l2 = 0.01f;
    cfg.lr = 0.01f;
    cfg.seed = seed;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    const ar_layout *L = ar_model_layout(m);
    const size_t P = L->n_params;
    float *p = malloc(P * sizeof *p), *g = malloc(P * sizeof *g), *rg = malloc(P * sizeof *rg);
    float *mom = calloc(P, sizeof *mom), *vel = calloc(P, sizeof *vel), *got = malloc(P * sizeof *got);
    cr_assert(ar_model_params(m, p, 0) == AR_OK);
    const int B = 9;
    int rows[2][9];
    for (int b = 0; b < B; b++) rows[0][b] = (b * 5) % ds->n_rows, rows[1][b] = (b * 7 + 2) % ds->n_rows;
    for (uint32_t t = 1; t <= 2; t++) {
        double loss = 0;
        cr_assert(ar_model_batch(m, rows[t - 1], B, t, 1, &loss, g) == AR_OK, "%s", ar_last_error());
        double rl = ar_ref_forward_backward(L, p, rg, &ds->train, rows[t - 1], B, 1 - cfg.dropout,
                                            1 - cfg.input_dropout, seed, t, cfg.activation, cfg.out_activation, NULL);
        fprintf(stderr, "  step %u loss device %.7f reference %.7f\n", t, loss, rl);
        cr_assert(fabs(loss - rl) <= 1e-5 * (1 + fabs(rl)));
        tu_compare("dV", g + L->off_V, rg + L->off_V, (size_t)L->U * L->H, 1e-6, 1e-4);
        tu_compare("dW", g + L->off_W, rg + L->off_W, (size_t)L->U * L->H, 1e-6, 1e-4);
        tu_compare("dmu", g + L->off_mu, rg + L->off_mu, L->H, 1e-6, 1e-4);
        tu_compare("db", g + L->off_b, rg + L->off_b, L->U, 1e-6, 1e-4);
        double bc1 = 1 - pow(cfg.beta1, t), bc2 = 1 - pow(cfg.beta2, t);
        ar_adam_ref(p, rg, mom, vel, P, L->n_decay, cfg.lr, cfg.beta1, cfg.beta2, cfg.eps,
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
