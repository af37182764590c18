/* test_sparse.c - the sparse path (cl/sparse.cl): each kernel against its CPU reference on
 * random data with awkward sizes (H not a multiple of 4, empty rows and columns); the batch CSC;
 * whole training runs agreeing with the dense path; identical numbers run to run; the auto
 * choice. (test_step checks sparse training steps tensor by tensor against the reference.) */
#include <string.h>

#include "testutil.h"

/* A random batch of B distinct rows of m, in a random order. */
static void random_rows(int *rows, int B, int n_rows, ar_rng *rng) {
    int *all = malloc((size_t)n_rows * sizeof *all);
    for (int i = 0; i < n_rows; i++) all[i] = i;
    for (int i = n_rows - 1; i > 0; i--) {
        int j = (int)(ar_rng_next(rng) % (uint64_t)(i + 1)), t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    memcpy(rows, all, (size_t)B * sizeof *rows);
    free(all);
}

static void csr_free(ar_csr *m) {
    free(m->row_ptr);
    free(m->col_idx);
    free(m->vals);
}

Test(sparse, kernels_match_reference) {
    ar_ctx *c = tu_ctx();
    ar_rng rng = {tu_seed()};
    const int R = 41, U = 53, B = 13, H = 23; /* H % 4 == 3: the float4 tail */
    ar_csr m;
    tu_random_csr(&m, R, U, 0.15, &rng);
    m.row_ptr[R] = m.row_ptr[R - 1]; /* the last row (maybe in the batch) has no entry */
    const int nnz = m.row_ptr[R];
    int rows[13];
    random_rows(rows, B, R, &rng);
    rows[B - 1] = R - 1;
    float *W = malloc((size_t)U * H * sizeof *W), *bias = malloc((size_t)U * sizeof *bias);
    float *ck = malloc((size_t)nnz * sizeof *ck), *a = malloc((size_t)B * H * sizeof *a);
    tu_fill(W, (size_t)U * H, -0.5f, 0.5f, &rng);
    tu_fill(bias, U, -0.5f, 0.5f, &rng);
    tu_fill(ck, nnz, -1.0f, 1.0f, &rng);
    tu_fill(a, (size_t)B * H, 0.0f, 1.0f, &rng);
    cl_mem d_ptr = tu_ibuffer(c, (size_t)R + 1, m.row_ptr), d_idx = tu_ibuffer(c, nnz, m.col_idx);
    cl_mem d_val = tu_buffer(c, nnz, m.vals), d_rows = tu_ibuffer(c, B, rows);
    /* weights and bias in one buffer at offsets, as in the flat parameter buffer */
    const int w_off = 5, b_off = w_off + U * H + 3;
    float *flat = calloc((size_t)b_off + U, sizeof *flat);
    memcpy(flat + w_off, W, (size_t)U * H * sizeof *W);
    memcpy(flat + b_off, bias, (size_t)U * sizeof *bias);
    cl_mem d_w = tu_buffer(c, (size_t)b_off + U, flat), d_ck = tu_buffer(c, nnz, ck);
    cl_mem d_a = tu_buffer(c, (size_t)B * H, a);
    float *got = malloc((size_t)(nnz > U * H ? nnz : U * H) * sizeof *got);
    float *ref = malloc((size_t)(nnz > U * H ? nnz : U * H) * sizeof *ref);

    /* input dropout at the entries: masking noise (kept ratings unchanged) and inverted */
    cl_mem d_x = tu_buffer(c, nnz, NULL);
    const float in_scales[2] = {1.0f, 1.0f / 0.7f};
    for (int v = 0; v < 2; v++) {
        cr_assert(ark_sp_input(c, d_x, d_ptr, d_idx, d_val, d_rows, 0, B, U, 0.7f, in_scales[v], 99,
                               3) == AR_OK);
        for (int k = 0; k < nnz; k++) ref[k] = got[k] = 0;
        ar_sp_input_ref(ref, &m, rows, B, 0.7f, in_scales[v], 99, 3);
        tu_read(c, d_x, nnz, got);
        int kept = 0, dropped = 0;
        for (int b = 0; b < B; b++) /* only the batch's entries are written */
            for (int k = m.row_ptr[rows[b]]; k < m.row_ptr[rows[b] + 1]; k++) {
                cr_assert(got[k] == ref[k], "input dropout at entry %d: %g vs %g", k, got[k],
                          ref[k]);
                if (got[k] == 0) {
                    dropped++;
                } else {
                    cr_assert(got[k] == m.vals[k] * in_scales[v]);
                    kept++;
                }
            }
        cr_assert(kept > 0 && dropped > 0, "kept %d, dropped %d", kept, dropped);
    }

    /* encoder forward (bias + sigmoid) and the input-gradient form (no bias) */
    cl_mem d_out = tu_buffer(c, (size_t)B * H, NULL);
    const int acts[2] = {AR_ACT_SIGMOID, AR_ACT_IDENTITY};
    for (int v = 0; v < 2; v++) {
        cr_assert(ark_sp_spmm(c, d_out, d_ck, d_w, w_off, v == 0 ? b_off : -1, d_ptr, d_idx,
                              d_rows, 0, B, H, acts[v]) == AR_OK, "%s", ar_last_error());
        float *zero = calloc((size_t)U, sizeof *zero);
        ar_sp_encoder_forward_ref(ref, ck, W, v == 0 ? bias : zero, &m, rows, B, H, acts[v]);
        free(zero);
        tu_read(c, d_out, (size_t)B * H, got);
        tu_compare(v == 0 ? "spmm (encoder)" : "spmm (input grad)", got, ref, (size_t)B * H,
                   1e-5, 1e-4);
    }
    /* decoder outputs at the entries */
    cl_mem d_y = tu_buffer(c, nnz, NULL);
    for (int v = 0; v < 2; v++) {
        cr_assert(ark_sp_sddmm(c, d_y, d_a, d_w, w_off, b_off, d_ptr, d_idx, d_rows, 0, B, H,
                               acts[v]) == AR_OK, "%s", ar_last_error());
        ar_sp_decoder_forward_ref(ref, a, W, bias, &m, rows, B, H, acts[v]);
        tu_read(c, d_y, nnz, got);
        for (int b = 0; b < B; b++)
            for (int k = m.row_ptr[rows[b]]; k < m.row_ptr[rows[b] + 1]; k++)
                cr_assert(fabsf(got[k] - ref[k]) <= 1e-5f + 1e-4f * fabsf(ref[k]),
                          "sddmm entry %d: %.7g vs %.7g", k, got[k], ref[k]);
    }
    /* loss gradient and SSE at the entries (sigmoid outputs in d_y from the last call) */
    float *yk = malloc((size_t)nnz * sizeof *yk);
    tu_read(c, d_y, nnz, yk);
    cl_mem d_dy = tu_buffer(c, nnz, NULL), d_loss = tu_buffer(c, R, NULL);
    float *loss = malloc((size_t)R * sizeof *loss), *rloss = malloc((size_t)R * sizeof *rloss);
    cr_assert(ark_sp_loss_backward(c, d_dy, d_loss, d_y, d_ptr, d_val, d_rows, 0, B, 0.01f,
                                   AR_ACT_SIGMOID) == AR_OK);
    ar_sp_loss_backward_ref(ref, rloss, yk, &m, rows, B, 0.01f, AR_ACT_SIGMOID);
    tu_read(c, d_dy, nnz, got);
    tu_read(c, d_loss, R, loss);
    for (int b = 0; b < B; b++) {
        cr_assert(fabsf(loss[rows[b]] - rloss[rows[b]]) <= 1e-5f * (1 + rloss[rows[b]]));
        for (int k = m.row_ptr[rows[b]]; k < m.row_ptr[rows[b] + 1]; k++)
            cr_assert(fabsf(got[k] - ref[k]) <= 1e-7f + 1e-5f * fabsf(ref[k]),
                      "dyk entry %d: %.7g vs %.7g", k, got[k], ref[k]);
    }
    cr_assert(ark_sp_sse(c, d_loss, d_y, d_ptr, d_val, d_rows, 0, B, 1.0f, 5.0f) == AR_OK);
    ar_sp_sse_ref(rloss, yk, &m, rows, B, 1.0f, 5.0f);
    tu_read(c, d_loss, R, loss);
    for (int b = 0; b < B; b++)
        cr_assert(fabsf(loss[rows[b]] - rloss[rows[b]]) <= 1e-5f * (1 + rloss[rows[b]]));

    /* weight and bias gradients from the batch's CSC, at an offset into a bigger buffer */
    int *cp = malloc(((size_t)U + 1) * sizeof *cp), *eb = malloc((size_t)nnz * sizeof *eb);
    int *ek = malloc((size_t)nnz * sizeof *ek);
    ar_sp_batch_csc(cp, eb, ek, &m, rows, B);
    int batch_nnz = 0;
    for (int b = 0; b < B; b++) batch_nnz += m.row_ptr[rows[b] + 1] - m.row_ptr[rows[b]];
    cr_assert_eq(cp[U], batch_nnz);
    for (int u = 0; u < U; u++)
        for (int e = cp[u]; e < cp[u + 1]; e++) {
            cr_assert_eq(m.col_idx[ek[e]], u, "entry %d of column %d is in column %d", e, u,
                         m.col_idx[ek[e]]);
            cr_assert(e == cp[u] || eb[e] > eb[e - 1], "column %d: rows not ascending", u);
        }
    int *cp2 = malloc(2 * ((size_t)U + 1) * sizeof *cp2); /* as batch 1 of 2 */
    for (int u = 0; u <= U; u++) cp2[u] = 0, cp2[U + 1 + u] = cp[u];
    cl_mem d_cp = tu_ibuffer(c, 2 * ((size_t)U + 1), cp2), d_eb = tu_ibuffer(c, batch_nnz, eb);
    cl_mem d_ek = tu_ibuffer(c, batch_nnz, ek), d_dw = tu_buffer(c, (size_t)U * H + 7, NULL);
    float *rdb = malloc((size_t)U * sizeof *rdb);
    cr_assert(ark_sp_weight_grad(c, d_dw, 7, d_ck, d_a, d_cp, U + 1, d_eb, d_ek, U, H) == AR_OK,
              "%s", ar_last_error());
    cr_assert(ark_sp_bias_grad(c, d_dw, 0, d_ck, d_cp, U + 1, d_ek, 7 < U ? 7 : U) == AR_OK);
    ar_sp_weight_grad_ref(ref, rdb, ck, a, cp, eb, ek, U, H);
    float *all = malloc(((size_t)U * H + 7) * sizeof *all);
    tu_read(c, d_dw, (size_t)U * H + 7, all);
    tu_compare("weight grad", all + 7, ref, (size_t)U * H, 1e-5, 1e-4);
    tu_compare("bias grad", all, rdb, 7, 1e-5, 1e-4);

    cl_mem bufs[] = {d_ptr, d_idx, d_val, d_rows, d_w, d_ck, d_a, d_x, d_out, d_y, d_dy, d_loss,
                     d_cp, d_eb, d_ek, d_dw};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(W); free(bias); free(ck); free(a); free(flat); free(got); free(ref); free(yk);
    free(loss); free(rloss); free(cp); free(eb); free(ek); free(cp2); free(rdb); free(all);
    csr_free(&m);
    ar_ctx_free(c);
}

typedef struct {
    double loss[4], train[4], test[4], valid[4];
} history;

static history train_run(ar_ctx *ctx, const ar_dataset *ds, uint64_t seed, ar_kernel_path path,
                         int n_layers) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 30;
    if (n_layers) {
        cfg.n_layers = 2;
        cfg.layers[0] = 21;
        cfg.layers[1] = 14;
    }
    cfg.batch = 16;
    cfg.dropout = 0.2f;
    cfg.input_dropout = 0.1f;
    cfg.seed = seed;
    cfg.kernels = path;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_kernels(m), path);
    history h;
    for (int e = 0; e < 4; e++) {
        ar_epoch_stats s;
        cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
        h.loss[e] = s.loss, h.train[e] = s.train_rmse, h.test[e] = s.test_rmse;
        h.valid[e] = s.valid_rmse;
    }
    ar_model_free(m);
    return h;
}

static void close_enough(const char *what, int e, double d, double s) {
    cr_assert(fabs(d - s) <= 1e-5 + 1e-4 * fabs(d), "epoch %d %s: dense %.9g, sparse %.9g", e + 1,
              what, d, s);
}

/* Same seed, same device: the dense and the sparse path train the same model (losses and
 * every RMSE within float tolerance), one and three hidden layers; the sparse path twice gives
 * identical numbers. */
Test(sparse, training_agrees_with_dense_and_repeats_exactly, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(90, 70, 3, 0.15, 0.1, seed, &train, &test);
    ar_ratings *tr = NULL, *va = NULL;
    cr_assert(ar_ratings_split(train, 0.1, seed + 1, &tr, &va) == AR_OK);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create_ex(tr, va, test, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    for (int deep = 0; deep < 2; deep++) {
        history d = train_run(ctx, ds, seed, AR_KERNELS_DENSE, deep);
        history s = train_run(ctx, ds, seed, AR_KERNELS_SPARSE, deep);
        for (int e = 0; e < 4; e++) {
            close_enough("loss", e, d.loss[e], s.loss[e]);
            close_enough("train RMSE", e, d.train[e], s.train[e]);
            close_enough("valid RMSE", e, d.valid[e], s.valid[e]);
            close_enough("test RMSE", e, d.test[e], s.test[e]);
        }
        history s2 = train_run(ctx, ds, seed, AR_KERNELS_SPARSE, deep);
        cr_assert(!memcmp(&s, &s2, sizeof s), "the sparse path gave different numbers twice");
    }
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ratings_free(tr);
    ar_ratings_free(va);
    ar_ctx_free(ctx);
}

/* auto: sparse up to AR_SPARSE_MAX_DENSITY, dense above; names parse both ways. */
Test(sparse, auto_picks_by_density) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    const double density[2] = {0.1, 0.6};
    for (int i = 0; i < 2; i++) {
        ar_ratings *train = NULL, *test = NULL;
        tu_synth(40, 30, 2, density[i], 0.1, seed, &train, &test);
        ar_dataset *ds = NULL;
        cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
        ar_train_config cfg;
        ar_train_config_default(&cfg);
        cfg.hidden = 8;
        ar_model *m = NULL;
        cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
        cr_assert_eq(ar_model_kernels(m), i == 0 ? AR_KERNELS_SPARSE : AR_KERNELS_DENSE,
                     "density %g", density[i]);
        ar_model_free(m);
        ar_dataset_free(ds);
        ar_ratings_free(train);
        ar_ratings_free(test);
    }
    ar_kernel_path k;
    cr_assert(ar_kernel_path_parse("Sparse", &k) == AR_OK && k == AR_KERNELS_SPARSE);
    cr_assert(ar_kernel_path_parse("csr", &k) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "kernel path"), "%s", ar_last_error());
    cr_assert_str_eq(ar_kernel_path_name(AR_KERNELS_AUTO), "auto");
    ar_ctx_free(ctx);
}
