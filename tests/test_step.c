/* test_step.c - whole training steps on the device (densify, forward, dropout, masked loss,
 * backward, Adam) against the CPU reference, tensor by tensor: loss, every gradient, and the
 * parameters after two Adam steps. */
#include <string.h>

#include "testutil.h"

/* The step tests' data: 61 x 45 synthetic ratings (the caller frees all three). */
static ar_dataset *step_dataset(uint64_t seed, ar_ratings **train, ar_ratings **test) {
    tu_synth(61, 45, 3, 0.2, 0.1, seed, train, test);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create(*train, *test, &ds) == AR_OK, "%s", ar_last_error());
    return ds;
}

/* n_layers 0: one hidden layer of `hidden`; else the given stack. path: dense or sparse
 * kernels (both must match the same reference). */
static void step_check_noise(int n_layers, const int *layers, int act, int out_act,
                             ar_kernel_path path, ar_input_noise noise) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    ar_dataset *ds = step_dataset(seed, &train, &test);
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

/* ---- padded hidden layers (AR_HIDDEN_ALIGN) -------------------------------------------------- */

/* Every device element of params / m / v outside the logical layout is where the dead units
 * keep it: weights and moments exactly 0, hidden biases exactly ar_dead_bias(act). */
static void check_padding(ar_model *m, ar_activation act) {
    const ar_layout *F = &m->F, *P = &m->L;
    float *ones = malloc(F->n_params * sizeof *ones), *mask = malloc(P->n_params * sizeof *mask);
    float *dev = malloc(P->n_params * sizeof *dev);
    for (size_t i = 0; i < F->n_params; i++) ones[i] = 1.0f;
    ar_layout_unpack(F, P, ones, mask, NULL); /* 1 at the logical elements, 0 at the padding */
    cl_mem bufs[3] = {m->params, m->m, m->v};
    size_t n_pad = 0;
    for (int b = 0; b < 3; b++) {
        tu_read(m->ctx, bufs[b], P->n_params, dev);
        for (size_t i = 0; i < P->n_params; i++) {
            if (mask[i] != 0.0f) continue;
            const float want = b == 0 && i >= P->n_decay ? ar_dead_bias(act) : 0.0f;
            cr_assert(dev[i] == want, "buffer %d element %zu (padding): %g, not %g", b, i,
                      dev[i], want);
            n_pad += b == 0;
        }
    }
    cr_assert(n_pad == P->n_params - F->n_params, "%zu padding elements", n_pad);
    free(ones);
    free(mask);
    free(dev);
}

static ar_model *padding_model(ar_ctx *ctx, const ar_dataset *ds, uint64_t seed, int pad) {
    if (pad) unsetenv("AUTOREC_HIDDEN_PAD"); /* the default: padded to AR_HIDDEN_ALIGN */
    else setenv("AUTOREC_HIDDEN_PAD", "0", 1);
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.n_layers = 2;
    cfg.layers[0] = 19, cfg.layers[1] = 11; /* padded to 32 and 16 */
    cfg.center = AR_CENTER_NONE;
    cfg.batch = 16;
    cfg.dropout = 0; /* hidden dropout is keyed by the padded place: not the same masks */
    cfg.input_dropout = 0.15f;
    cfg.seed = seed;
    cfg.kernels = AR_KERNELS_SPARSE;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(m->L.dim[1], pad ? 32 : 19);
    cr_assert_eq(m->L.dim[2], pad ? 16 : 11);
    return m;
}

/* A padded model trains what the unpadded one does, its padding stays dead through training
 * and through a change of the encoder's activation (train.c's tanh run), and every host copy
 * (params, state, gradients) is in the logical layout. */
Test(step, padded_hidden_layers_are_inert) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    ar_dataset *ds = step_dataset(seed, &train, &test);
    ar_model *m[2];
    float *p[2];
    for (int pad = 1; pad >= 0; pad--) {
        m[pad] = padding_model(ctx, ds, seed, pad);
        const size_t P = ar_model_layout(m[pad])->n_params;
        p[pad] = malloc(P * sizeof(float));
        ar_epoch_stats s;
        cr_assert(ar_model_train_epoch(m[pad], &s) == AR_OK, "%s", ar_last_error());
        m[pad]->cfg.activation = AR_ACT_TANH; /* what train.c's arm_apply does */
        cr_assert(ar_model_set_dead(m[pad]) == AR_OK);
        for (int e = 0; e < 2; e++)
            cr_assert(ar_model_train_epoch(m[pad], &s) == AR_OK, "%s", ar_last_error());
        cr_assert(ar_model_params(m[pad], p[pad], 0) == AR_OK);
    }
    unsetenv("AUTOREC_HIDDEN_PAD");
    check_padding(m[1], AR_ACT_TANH);
    cr_assert_eq(ar_model_layout(m[0])->n_params, ar_model_layout(m[1])->n_params);
    /* the same model up to the order of the sums: 3 epochs of Adam from the same start */
    tu_compare("padded vs unpadded params", p[1], p[0], ar_model_layout(m[0])->n_params, 1e-4,
               1e-3);
    /* a state written back (a checkpoint's path) keeps the padding dead, for the activation
     * the model has then */
    const size_t P = ar_model_layout(m[1])->n_params;
    float *mm = malloc(P * sizeof *mm), *vv = malloc(P * sizeof *vv);
    cr_assert(ar_model_state(m[1], p[1], mm, vv, 0, 0, 0) == AR_OK);
    m[1]->cfg.activation = AR_ACT_SIGMOID;
    cr_assert(ar_model_state(m[1], p[1], mm, vv, 3, 7, 1) == AR_OK);
    check_padding(m[1], AR_ACT_SIGMOID);
    cr_assert(ar_model_params(m[1], p[0], 0) == AR_OK);
    cr_assert(memcmp(p[0], p[1], P * sizeof *p[0]) == 0, "parameters changed on the way back");
    free(mm);
    free(vv);
    for (int pad = 0; pad < 2; pad++) {
        free(p[pad]);
        ar_model_free(m[pad]);
    }
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}

/* ---- the epoch's batch CSCs, queued a chunk at a time (ar_sparse_queue_csc) ---------------- */

/* The chunks only group the uploads: whether every batch's CSC is its own chunk, two or three
 * batches make one, or the whole epoch is one (the default at this size), two epochs train the
 * same parameters, bit for bit, with and without dropout. */
Test(step, csc_chunks_train_the_same) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    ar_dataset *ds = step_dataset(seed, &train, &test);
    const int chunks[3] = {AR_CSC_CHUNK, 1, 100}; /* 100: two or three batches a chunk */
    for (int drop = 0; drop < 2; drop++) {
        ar_train_config cfg;
        ar_train_config_default(&cfg);
        cfg.hidden = 19;
        cfg.batch = 7; /* 7 batches of the 45 items, the last of 3 rows */
        cfg.dropout = drop ? 0.25f : 0.0f;
        cfg.input_dropout = drop ? 0.15f : 0.0f;
        cfg.seed = seed;
        cfg.kernels = AR_KERNELS_SPARSE;
        float *p[3] = {NULL};
        size_t P = 0;
        for (int c = 0; c < 3; c++) {
            ar_model *m = NULL;
            cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
            cr_assert_eq(m->n_batches, 7, "%d batches of %d rows", m->n_batches, ds->n_rows);
            m->csc_chunk = chunks[c];
            ar_epoch_stats s;
            for (int e = 0; e < 2; e++)
                cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
            P = ar_model_layout(m)->n_params;
            p[c] = malloc(P * sizeof *p[c]);
            cr_assert(ar_model_params(m, p[c], 0) == AR_OK);
            ar_model_free(m);
        }
        for (int c = 1; c < 3; c++)
            cr_assert(memcmp(p[0], p[c], P * sizeof *p[0]) == 0,
                      "chunks of %d entries train other parameters than one chunk (dropout %d)",
                      chunks[c], drop);
        for (int c = 0; c < 3; c++) free(p[c]);
    }
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ctx_free(ctx);
}
