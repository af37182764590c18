/* test_center.c - the network on top of the bias baseline (ar_center, host/model/center.c):
 * the baseline is the regularised least-squares fit; a centered model's prediction is the
 * baseline plus the network's output computed on the host from the weights read back (the
 * CPU reference), clamped (and an uncentered one's the output alone, with no baseline
 * anywhere); its loss is the squared error of that sum; device scoring agrees with
 * prediction; a saved model predicts the same after loading; a model file of format 3 still
 * loads and predicts as it did; a bad --center exits 2. (Sparse / dense agreement of centered
 * training: test_sparse.c.) */
#include <math.h>
#include <openssl/evp.h>
#include <string.h>

#include "ref.h"
#include "testutil.h"

TestSuite(center, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

typedef struct {
    ar_ratings *tr, *te;
    ar_dataset *ds;
    ar_ctx *ctx;
} fixture;

static void fixture_init(fixture *f, uint64_t seed) {
    tu_synth(40, 30, 3, 0.3, 0.2, seed, &f->tr, &f->te);
    cr_assert(ar_dataset_create(f->tr, f->te, &f->ds) == AR_OK, "%s", ar_last_error());
    f->ctx = tu_ctx();
}

static void fixture_free(fixture *f) {
    ar_dataset_free(f->ds);
    ar_ratings_free(f->tr);
    ar_ratings_free(f->te);
    ar_ctx_free(f->ctx);
}

/* The same small data with a validation set carved from its training ratings (the tests of
 * ar_model_train's choices: the fallback, --center auto, the lighter run). */
typedef struct {
    ar_ratings *base, *tr, *va, *te;
    ar_dataset *ds;
    ar_ctx *ctx;
} valid_fixture;

static void valid_init(valid_fixture *f) {
    *f = (valid_fixture){0};
    uint64_t seed = tu_seed();
    tu_synth(40, 30, 3, 0.3, 0.2, seed, &f->base, &f->te);
    cr_assert(ar_ratings_split(f->base, 0.2, seed + 3, &f->tr, &f->va) == AR_OK, "%s",
              ar_last_error());
    cr_assert(ar_dataset_create_ex(f->tr, f->va, f->te, AR_ROWS_ITEMS, &f->ds) == AR_OK, "%s",
              ar_last_error());
    f->ctx = tu_ctx();
}

static void valid_free(valid_fixture *f) {
    ar_ctx_free(f->ctx);
    ar_dataset_free(f->ds);
    ar_ratings_free(f->base);
    ar_ratings_free(f->tr);
    ar_ratings_free(f->va);
    ar_ratings_free(f->te);
}

static void config(ar_train_config *cfg, ar_center center) {
    ar_train_config_default(cfg);
    cfg->hidden = 8;
    cfg->batch = 7;
    cfg->center = center;
}

static ar_model *trained(const fixture *f, const ar_train_config *cfg, int epochs) {
    ar_model *m = NULL;
    cr_assert(ar_model_create(f->ctx, f->ds, cfg, &m) == AR_OK, "%s", ar_last_error());
    for (int e = 0; e < epochs; e++)
        cr_assert(ar_model_train_epoch(m, NULL) == AR_OK, "%s", ar_last_error());
    return m;
}

/* The baseline's fit: mu is the training mean, and the biases of the side fitted last in a
 * sweep (the columns, users, for I-AutoRec) satisfy their normal equations given the others:
 * b_col[c] (reg_user + n_c) = sum over c's ratings of (r - mu - b_row); the baselines' own test
 * (test_baselines.c) checks the fit itself. */
static void check_baseline_fit(const ar_model *m) {
    const ar_csr *t = &m->ds->train;
    ar_baseline_config bc; /* the regularisation the fit uses */
    ar_baseline_config_default(&bc);
    cr_assert(fabs(m->mu - m->ds->train_mean) < 1e-6, "mu %g, mean %g", (double)m->mu,
              m->ds->train_mean);
    double worst = 0;
    for (int c = 0; c < t->cols; c++) {
        double s = 0, n = 0;
        for (int r = 0; r < t->rows; r++)
            for (int k = t->row_ptr[r]; k < t->row_ptr[r + 1]; k++)
                if (t->col_idx[k] == c) s += t->vals[k] - m->mu - m->b_row[r], n += 1;
        double d = fabs(m->b_col[c] * (bc.reg_user + n) - s);
        worst = d > worst ? d : worst;
    }
    cr_assert(worst < 1e-3, "a user bias off its normal equation by %g", worst);
    double spread = 0; /* and the fit is not all zero */
    for (int r = 0; r < t->rows; r++) spread += fabs(m->b_row[r]);
    cr_assert(spread > 0.1, "the item biases are all (near) zero");
}

/* Predictions at every (row, col) pair, by raw id, from ar_model_predict: out (I, U). */
static void predict_all(ar_model *m, float *out) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows, U = ds->n_cols;
    int64_t *users = malloc((size_t)I * U * sizeof *users);
    int64_t *items = malloc((size_t)I * U * sizeof *items);
    cr_assert(users && items);
    for (int r = 0; r < I; r++)
        for (int c = 0; c < U; c++)
            items[(size_t)r * U + c] = ds->row_ids[r], users[(size_t)r * U + c] = ds->col_ids[c];
    cr_assert(ar_model_predict(m, users, items, (size_t)I * U, out) == AR_OK, "%s",
              ar_last_error());
    free(users);
    free(items);
}

/* The network's outputs (I, U) on the host from the weights read back: the CPU reference's
 * forward pass (ar_step_ref without dropout), its input the training ratings, or the residuals
 * r - b(r, c) with AR_CENTER_INPUT. */
static void host_outputs(ar_model *m, float *y) {
    const ar_dataset *ds = m->ds;
    const ar_layout *L = ar_model_layout(m);
    const int I = ds->n_rows;
    const size_t nnz = (size_t)ds->train.row_ptr[I];
    float *p = malloc(L->n_params * sizeof *p), *g = malloc(L->n_params * sizeof *g);
    float *vals = malloc(nnz * sizeof *vals);
    int *rows = malloc((size_t)I * sizeof *rows);
    cr_assert(p && g && vals && rows);
    cr_assert(ar_model_params(m, p, 0) == AR_OK);
    ar_csr in = ds->train;
    for (int r = 0; r < I; r++) {
        rows[r] = r;
        for (int k = in.row_ptr[r]; k < in.row_ptr[r + 1]; k++)
            vals[k] = m->cfg.center == AR_CENTER_INPUT
                          ? in.vals[k] - ar_center_at(m, r, in.col_idx[k]) : in.vals[k];
    }
    in.vals = vals;
    ar_step_ref(L, p, g, &in, rows, I, 1.0f, 1.0f, 1.0f, m->cfg.seed, 0, m->cfg.activation,
                m->cfg.out_activation, y);
    free(p);
    free(g);
    free(vals);
    free(rows);
}

/* bias and input: prediction = clamp(mu + b_row + b_col + network output), at every pair;
 * none: clamp(network output), with no baseline anywhere (all zero, nothing on the device). */
Test(center, prediction_is_baseline_plus_network_output) {
    fixture f;
    fixture_init(&f, tu_seed());
    for (ar_center c = AR_CENTER_NONE; c <= AR_CENTER_AUTO; c++) {
        ar_train_config cfg;
        config(&cfg, c);
        ar_model *m = trained(&f, &cfg, 3);
        if (c == AR_CENTER_NONE) {
            cr_assert(m->mu == 0 && !m->tr_res && !m->tr_off && !m->te_off && !m->va_off);
            for (int r = 0; r < f.ds->n_rows; r++) cr_assert(m->b_row[r] == 0);
            for (int k = 0; k < f.ds->n_cols; k++) cr_assert(m->b_col[k] == 0);
        } else {
            check_baseline_fit(m);
        }
        const int I = f.ds->n_rows, U = f.ds->n_cols;
        float *pred = malloc((size_t)I * U * sizeof *pred), *y = malloc((size_t)I * U * sizeof *y);
        cr_assert(pred && y);
        predict_all(m, pred);
        host_outputs(m, y);
        float lo, hi;
        ar_model_rating_scale(m, &lo, &hi, NULL);
        double worst = 0;
        for (int r = 0; r < I; r++)
            for (int k = 0; k < U; k++) {
                size_t e = (size_t)r * U + k;
                double want = (double)m->mu + m->b_row[r] + m->b_col[k] + y[e];
                want = want < lo ? lo : want > hi ? hi : want;
                double d = fabs(pred[e] - want);
                worst = d > worst ? d : worst;
            }
        /* float GEMMs against the reference's double sums, outputs of order 1 */
        cr_assert(worst < 1e-4, "%s: prediction off baseline + output by %g", ar_center_name(c),
                  worst);
        free(pred);
        free(y);
        ar_model_free(m);
    }
    fixture_free(&f);
}

/* The training loss of a centered model is the mean of (b + y - r)^2 over the batch's ratings
 * (no dropout: the host forward pass is the one the step takes), on both kernel paths. */
Test(center, loss_is_that_of_baseline_plus_output) {
    fixture f;
    fixture_init(&f, tu_seed());
    for (int run = 0; run < 4; run++) {
        const ar_center c = run % 2 ? AR_CENTER_INPUT : AR_CENTER_BIAS;
        ar_train_config cfg;
        config(&cfg, c);
        cfg.kernels = run < 2 ? AR_KERNELS_DENSE : AR_KERNELS_SPARSE;
        cfg.dropout = cfg.input_dropout = 0; /* the step's forward pass is the host's */
        ar_model *m = trained(&f, &cfg, 1);
        const int I = f.ds->n_rows, U = f.ds->n_cols, B = I < 7 ? I : 7;
        float *y = malloc((size_t)I * U * sizeof *y);
        cr_assert(y);
        host_outputs(m, y);
        int rows[7];
        double sse = 0;
        int n = 0;
        const ar_csr *t = &f.ds->train;
        for (int b = 0; b < B; b++) {
            rows[b] = b;
            for (int k = t->row_ptr[b]; k < t->row_ptr[b + 1]; k++, n++) {
                double d = (double)ar_center_at(m, b, t->col_idx[k]) +
                           y[(size_t)b * U + t->col_idx[k]] - t->vals[k];
                sse += d * d;
            }
        }
        double loss = 0;
        cr_assert(ar_model_batch(m, rows, B, 1, 0, &loss, NULL) == AR_OK, "%s", ar_last_error());
        cr_assert(fabs(loss - sse / n) <= 1e-5 * (1 + sse / n), "%s, %s: loss %.8g, host %.8g",
                  ar_center_name(c), ar_kernel_path_name(cfg.kernels), loss, sse / n);
        free(y);
        ar_model_free(m);
    }
    fixture_free(&f);
}

/* Device scoring (clamped baseline + output at the test pairs, cold pairs the default) gives
 * the RMSE of ar_model_predict's predictions. */
Test(center, evaluation_agrees_with_prediction) {
    fixture f;
    fixture_init(&f, tu_seed());
    for (ar_center c = AR_CENTER_BIAS; c <= AR_CENTER_INPUT; c++) {
        ar_train_config cfg;
        config(&cfg, c);
        ar_model *m = trained(&f, &cfg, 2);
        double tr_rmse, te_rmse;
        cr_assert(ar_model_evaluate(m, &tr_rmse, &te_rmse) == AR_OK, "%s", ar_last_error());
        size_t n = ar_ratings_count(f.te);
        int64_t *u = malloc(n * sizeof *u), *i = malloc(n * sizeof *i);
        float *r = malloc(n * sizeof *r), *p = malloc(n * sizeof *p);
        for (size_t k = 0; k < n; k++) ar_ratings_get(f.te, k, &u[k], &i[k], &r[k]);
        cr_assert(ar_model_predict(m, u, i, n, p) == AR_OK, "%s", ar_last_error());
        double sse = 0;
        for (size_t k = 0; k < n; k++) sse += (double)(p[k] - r[k]) * (p[k] - r[k]);
        cr_assert(fabs(sqrt(sse / n) - te_rmse) < 1e-5, "%s: predict %.7f evaluate %.7f",
                  ar_center_name(c), sqrt(sse / n), te_rmse);
        free(u); free(i); free(r); free(p);
        ar_model_free(m);
    }
    fixture_free(&f);
}

/* Loads a model file into a model on its own training ratings (as eval / predict do). */
static ar_model *load(ar_ctx *ctx, const char *path, ar_checkpoint **ck, ar_dataset **ds) {
    cr_assert(ar_checkpoint_read(path, ck) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_dataset_create_ex(ar_checkpoint_train(*ck), NULL, NULL, ar_checkpoint_rows(*ck),
                                   ds) == AR_OK, "%s", ar_last_error());
    ar_model *m = NULL;
    cr_assert(ar_model_create_from(ctx, *ds, *ck, NULL, &m) == AR_OK, "%s", ar_last_error());
    return m;
}

/* Saved and loaded, a centered model has the same mode and baseline, and predicts exactly the
 * same at every pair. */
Test(center, save_and_load_predict_the_same) {
    fixture f;
    fixture_init(&f, tu_seed());
    ar_train_config cfg;
    config(&cfg, AR_CENTER_BIAS);
    ar_model *m = trained(&f, &cfg, 2);
    cr_assert(ar_model_save(m, tu_path("bias.model")) == AR_OK, "%s", ar_last_error());
    ar_checkpoint *ck = NULL;
    ar_dataset *ds = NULL;
    ar_model *l = load(f.ctx, tu_path("bias.model"), &ck, &ds);
    cr_assert_eq(l->cfg.center, AR_CENTER_BIAS);
    cr_assert(l->mu == m->mu);
    cr_assert(!memcmp(l->b_row, m->b_row, (size_t)f.ds->n_rows * sizeof *m->b_row));
    cr_assert(!memcmp(l->b_col, m->b_col, (size_t)f.ds->n_cols * sizeof *m->b_col));
    const size_t n = (size_t)f.ds->n_rows * f.ds->n_cols;
    float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
    predict_all(m, a);
    predict_all(l, b);
    cr_assert(!memcmp(a, b, n * sizeof *a), "the loaded model predicts differently");
    /* resuming with another mode is refused, naming the setting */
    cfg.center = AR_CENTER_INPUT;
    ar_model *r = NULL;
    cr_assert_eq(ar_model_create_from(f.ctx, ds, ck, &cfg, &r), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_train_config.center bias, not input"), "%s",
              ar_last_error());
    free(a);
    free(b);
    ar_model_free(l);
    ar_model_free(m);
    ar_checkpoint_free(ck);
    ar_dataset_free(ds);
    fixture_free(&f);
}

/* A model saved in format 3 (before centering: no center field, no baseline) loads as center
 * none and predicts what the same model saved in format 4 does. Made from a format 4 file of
 * an uncentered model: the center field and the zero baseline removed, version, length and
 * SHA-256 rewritten (the committed corpus has real format 3 files: test_model_file). */
Test(center, format_3_files_load_as_uncentered) {
    fixture f;
    fixture_init(&f, tu_seed());
    ar_train_config cfg;
    config(&cfg, AR_CENTER_NONE);
    ar_model *m = trained(&f, &cfg, 2);
    cr_assert(ar_model_save(m, tu_path("v4")) == AR_OK, "%s", ar_last_error());
    size_t n;
    unsigned char *v4 = (unsigned char *)tu_slurp(tu_path("v4"), &n);
    const size_t noise_at = 24 + 16 + 20 + 8; /* header, i32[4], f32[5], i32[2] activations */
    const size_t tail = 4 * (1 + (size_t)f.ds->n_rows + (size_t)f.ds->n_cols);
    const size_t n3 = n - 4 - tail;
    unsigned char *v3 = malloc(n);
    memcpy(v3, v4, noise_at + 4);
    memcpy(v3 + noise_at + 4, v4 + noise_at + 8, n3 - 32 - noise_at - 4);
    uint32_t version = 3;
    uint64_t plen = n3 - 24 - 32;
    memcpy(v3 + 8, &version, 4);
    memcpy(v3 + 16, &plen, 8);
    unsigned int len = 0;
    EVP_Digest(v3 + 24, (size_t)plen, v3 + 24 + plen, &len, EVP_sha256(), NULL);
    FILE *o = fopen(tu_path("v3"), "wb");
    cr_assert(o && fwrite(v3, 1, n3, o) == n3 && fclose(o) == 0);
    ar_checkpoint *ck = NULL;
    ar_dataset *ds = NULL;
    ar_model *l = load(f.ctx, tu_path("v3"), &ck, &ds);
    cr_assert_eq(l->cfg.center, AR_CENTER_NONE);
    const size_t N = (size_t)f.ds->n_rows * f.ds->n_cols;
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    predict_all(m, a);
    predict_all(l, b);
    cr_assert(!memcmp(a, b, N * sizeof *a), "the format 3 model predicts differently");
    free(a);
    free(b);
    free(v3);
    free(v4);
    ar_model_free(l);
    ar_model_free(m);
    ar_checkpoint_free(ck);
    ar_dataset_free(ds);
    fixture_free(&f);
}

/* The fallback (ar_train_config.baseline_fallback, ar_model_keep_baseline): a network that
 * cannot learn in the epochs it has (every output 1.5 too high, lr 1e-7) is worse on validation
 * than the baseline it sits on, so ar_model_train keeps the baseline alone: selected epoch 0,
 * the network's best epoch and validation RMSE reported beside it, every prediction the
 * clamped baseline, and the evaluation the one it reports. With the fallback off, that epoch is kept. A model without
 * centering, or with a sigmoid output (0.5 at 0), cannot keep a baseline. */
Test(center, a_network_worse_than_its_baseline_gives_way_to_it) {
    valid_fixture f;
    valid_init(&f);
    ar_dataset *ds = f.ds;
    ar_ctx *ctx = f.ctx;
    for (int fallback = 1; fallback >= 0; fallback--) {
        ar_train_config cfg;
        config(&cfg, AR_CENTER_BIAS);
        cfg.lr = 1e-7f;
        cfg.epochs = 3;
        cfg.baseline_fallback = fallback;
        ar_model *m = NULL;
        cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
        /* an output bias of 1.5 everywhere: far off, and lr 1e-7 keeps it there */
        const ar_layout *L = ar_model_layout(m);
        const size_t n = L->n_params;
        float *p = malloc(n * sizeof *p), *m1 = malloc(n * sizeof *m1), *v = malloc(n * sizeof *v);
        cr_assert(p && m1 && v);
        cr_assert(ar_model_state(m, p, m1, v, 0, 0, 0) == AR_OK, "%s", ar_last_error());
        for (int k = 0; k < L->dim[L->n_hidden + 1]; k++) p[L->off_bias[L->n_hidden] + k] = 1.5f;
        cr_assert(ar_model_state(m, p, m1, v, 0, 0, 1) == AR_OK, "%s", ar_last_error());
        free(p);
        free(m1);
        free(v);
        ar_train_result r;
        cr_assert(ar_model_train(m, NULL, NULL, &r) == AR_OK, "%s", ar_last_error());
        cr_assert(r.network_epoch >= 1 && r.network_epoch <= 3, "network epoch %d",
                  r.network_epoch);
        double tr_rmse, va_rmse, te_rmse;
        cr_assert(ar_model_evaluate_ex(m, &tr_rmse, &va_rmse, &te_rmse) == AR_OK, "%s",
                  ar_last_error());
        cr_assert(va_rmse == r.selected.valid_rmse && te_rmse == r.selected.test_rmse,
                  "evaluated %.9g %.9g, reported %.9g %.9g", va_rmse, te_rmse,
                  r.selected.valid_rmse, r.selected.test_rmse);
        if (!fallback) {
            cr_assert(!r.baseline_kept && r.selected_epoch == r.network_epoch &&
                      r.selected.valid_rmse == r.network_valid_rmse);
            ar_model_free(m);
            break;
        }
        cr_assert(r.baseline_kept && r.selected_epoch == 0 && isnan(r.selected.loss),
                  "kept %d, epoch %d", r.baseline_kept, r.selected_epoch);
        cr_assert(r.selected.valid_rmse < r.network_valid_rmse, "baseline %.6f, network %.6f",
                  r.selected.valid_rmse, r.network_valid_rmse);
        const int I = ds->n_rows, U = ds->n_cols;
        float *pred = malloc((size_t)I * U * sizeof *pred);
        cr_assert(pred);
        predict_all(m, pred);
        float lo, hi;
        ar_model_rating_scale(m, &lo, &hi, NULL);
        double worst = 0;
        for (int row = 0; row < I; row++)
            for (int k = 0; k < U; k++) {
                double want = (double)m->mu + m->b_row[row] + m->b_col[k];
                want = want < lo ? lo : want > hi ? hi : want;
                double d = fabs(pred[(size_t)row * U + k] - want);
                worst = d > worst ? d : worst;
            }
        cr_assert(worst < 1e-5, "a prediction off the baseline by %g", worst);
        free(pred);
        ar_model_free(m);
    }
    ar_train_config cfg;
    ar_model *m = NULL;
    config(&cfg, AR_CENTER_NONE);
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_keep_baseline(m), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "center none"), "%s", ar_last_error());
    ar_model_free(m);
    config(&cfg, AR_CENTER_BIAS);
    cfg.out_activation = AR_ACT_SIGMOID;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_keep_baseline(m), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "sigmoid"), "%s", ar_last_error());
    ar_model_free(m);
    cfg.baseline_fallback = 2;
    cr_assert_eq(ar_train_config_validate(&cfg), AR_ERR_INVALID_ARG);
    valid_free(&f);
}

/* A run's epochs as the callback saw them: validation RMSE and the centering trained. */
typedef struct {
    int n;
    double valid[64];
    ar_center center[64];
    int lighter[64];
    int tanh_run[64];
} epochs_seen;

static ar_status see(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    epochs_seen *e = user;
    cr_assert(e->n < 64 && r->last.epoch == s->epoch);
    e->valid[e->n] = s->valid_rmse;
    e->lighter[e->n] = r->lighter;
    e->tanh_run[e->n] = r->tanh_run;
    e->center[e->n++] = r->center;
    return AR_OK;
}

/* Trains cfg on ds from scratch; returns the model, *r and what the callback saw. */
static ar_model *train_run(ar_ctx *ctx, ar_dataset *ds, const ar_train_config *cfg,
                           ar_train_result *r, epochs_seen *e) {
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, cfg, &m) == AR_OK, "%s", ar_last_error());
    memset(e, 0, sizeof *e);
    cr_assert(ar_model_train(m, see, e, r) == AR_OK, "%s", ar_last_error());
    return m;
}

/* The model m holds run w's selected state (evaluated again: its validation and test RMSE),
 * and its file (saved as `name`) holds the settings *saved returns, for the caller to check. */
static void check_kept(ar_model *m, const ar_train_result *w, const char *name,
                       ar_train_config *saved) {
    double tr_rmse, va_rmse, te_rmse;
    cr_assert(ar_model_evaluate_ex(m, &tr_rmse, &va_rmse, &te_rmse) == AR_OK, "%s",
              ar_last_error());
    cr_assert(va_rmse == w->selected.valid_rmse && te_rmse == w->selected.test_rmse,
              "evaluated %.9g %.9g, the kept run's %.9g %.9g", va_rmse, te_rmse,
              w->selected.valid_rmse, w->selected.test_rmse);
    cr_assert(ar_model_save(m, tu_path(name)) == AR_OK, "%s", ar_last_error());
    ar_checkpoint *ck = NULL;
    cr_assert(ar_checkpoint_read(tu_path(name), &ck) == AR_OK, "%s", ar_last_error());
    ar_checkpoint_config(ck, saved);
    ar_checkpoint_free(ck);
}

/* AR_CENTER_AUTO: a bias run, then an input run from the same start, each epoch for epoch the
 * run that --center bias or input alone trains (bit for bit: same weights, orders, masks), and
 * the model ends as the one of lower validation RMSE, its mode resolved (in the model, the
 * result and the file), the other's figures in the result. Without a validation set: bias. */
Test(center, auto_trains_both_and_keeps_the_better_on_validation, .timeout = 300) {
    valid_fixture f;
    valid_init(&f);
    ar_dataset *ds = f.ds;
    ar_ctx *ctx = f.ctx;
    ar_dataset *plain = NULL;
    ar_train_config cfg;
    config(&cfg, AR_CENTER_BIAS);
    cfg.epochs = 12;
    cfg.patience = 4;
    cfg.lr = 0.02f; /* a net that moves within a few epochs, and overfits soon after */
    cfg.l2 = 0;
    cfg.dropout = 0;
    cfg.baseline_fallback = 0; /* the network runs compared, not the baseline */
    cfg.try_lighter = 0;       /* the centering alone (the lighter and tanh runs: the next */
    cfg.try_tanh = 0;          /* tests) */
    ar_train_result rb, ri, ra;
    epochs_seen eb, ei, ea;
    ar_model *mb = train_run(ctx, ds, &cfg, &rb, &eb);
    cfg.center = AR_CENTER_INPUT;
    ar_model *mi = train_run(ctx, ds, &cfg, &ri, &ei);
    cfg.center = AR_CENTER_AUTO;
    ar_model *ma = train_run(ctx, ds, &cfg, &ra, &ea);
    cr_assert_eq(ea.n, eb.n + ei.n, "auto ran %d epochs, bias %d and input %d", ea.n, eb.n, ei.n);
    for (int k = 0; k < ea.n; k++) {
        const int bias = k < eb.n;
        cr_assert_eq(ea.center[k], bias ? AR_CENTER_BIAS : AR_CENTER_INPUT, "epoch row %d", k);
        cr_assert(ea.valid[k] == (bias ? eb.valid[k] : ei.valid[k - eb.n]),
                  "row %d: auto %.9g, alone %.9g", k, ea.valid[k],
                  bias ? eb.valid[k] : ei.valid[k - eb.n]);
    }
    cr_assert(rb.selected.valid_rmse != ri.selected.valid_rmse, "the two runs must differ");
    const int input_wins = ri.selected.valid_rmse < rb.selected.valid_rmse;
    const ar_train_result *w = input_wins ? &ri : &rb;
    fprintf(stderr, "  auto: bias %.6f, input %.6f, kept %s\n", rb.selected.valid_rmse,
            ri.selected.valid_rmse, ar_center_name(ra.center));
    cr_assert(ra.center == (input_wins ? AR_CENTER_INPUT : AR_CENTER_BIAS) &&
              ar_model_config(ma)->center == ra.center, "kept %s", ar_center_name(ra.center));
    cr_assert(ra.selected_epoch == w->selected_epoch &&
              ra.selected.valid_rmse == w->selected.valid_rmse &&
              ra.selected.test_rmse == w->selected.test_rmse && ra.epochs_run == eb.n + ei.n &&
              ra.auto_valid_rmse[0] == rb.network_valid_rmse &&
              ra.auto_valid_rmse[1] == ri.network_valid_rmse &&
              ra.auto_epoch[0] == rb.network_epoch && ra.auto_epoch[1] == ri.network_epoch &&
              ra.auto_epochs_run[0] == eb.n && ra.auto_epochs_run[1] == ei.n,
              "auto's result is not the kept run's");
    ar_train_config saved;
    check_kept(ma, w, "auto.bin", &saved);
    cr_assert_eq(saved.center, ra.center, "the file says %s", ar_center_name(saved.center));
    ar_model_free(mb);
    ar_model_free(mi);
    ar_model_free(ma);
    /* no validation set: nothing to choose with, the bias run alone */
    cr_assert(ar_dataset_create(f.tr, f.te, &plain) == AR_OK, "%s", ar_last_error());
    cfg.epochs = 2;
    ma = train_run(ctx, plain, &cfg, &ra, &ea);
    cr_assert(ea.n == 2 && ra.center == AR_CENTER_BIAS &&
              ar_model_config(ma)->center == AR_CENTER_BIAS, "%d epochs, %s", ea.n,
              ar_center_name(ra.center));
    ar_model_free(ma);
    ar_dataset_free(plain);
    valid_free(&f);
}

/* try_lighter: after the given run, one of the same centering from the same start with l2 / 10
 * and dropout / 2, epoch for epoch what a plain run of those settings trains; the lower on
 * validation is kept, with its settings in the model, its file and the result. With
 * AR_CENTER_AUTO it follows both centering runs and takes the one they kept. */
Test(center, lighter_run_is_the_plain_run_with_lighter_settings, .timeout = 300) {
    valid_fixture f;
    valid_init(&f);
    ar_dataset *ds = f.ds;
    ar_ctx *ctx = f.ctx;
    ar_train_config cfg;
    config(&cfg, AR_CENTER_INPUT);
    cfg.epochs = 8;
    cfg.patience = 3;
    cfg.lr = 0.02f;
    cfg.l2 = 0.05f;     /* heavy enough that a tenth of it differs */
    cfg.dropout = 0.4f;
    cfg.baseline_fallback = 0;
    cfg.try_lighter = 0;
    cfg.try_tanh = 0; /* the lighter run alone (the tanh run: the next test) */
    ar_train_result rg, rl, rt;
    epochs_seen eg, el, et;
    ar_model *mg = train_run(ctx, ds, &cfg, &rg, &eg);
    ar_train_config light = cfg;
    light.l2 = 0.005f, light.dropout = 0.2f; /* as printed: %g of 0.05 / 10 and 0.4 / 2 */
    ar_model *ml = train_run(ctx, ds, &light, &rl, &el);
    cfg.try_lighter = 1;
    ar_model *mt = train_run(ctx, ds, &cfg, &rt, &et);
    cr_assert_eq(et.n, eg.n + el.n, "try ran %d epochs, given %d and lighter %d", et.n, eg.n,
                 el.n);
    for (int k = 0; k < et.n; k++) {
        const int given = k < eg.n;
        cr_assert(et.lighter[k] == !given && et.center[k] == AR_CENTER_INPUT, "row %d", k);
        cr_assert(et.valid[k] == (given ? eg.valid[k] : el.valid[k - eg.n]),
                  "row %d: %.9g, alone %.9g", k, et.valid[k],
                  given ? eg.valid[k] : el.valid[k - eg.n]);
    }
    cr_assert(rg.selected.valid_rmse != rl.selected.valid_rmse, "the two runs must differ");
    const int lighter_wins = rl.selected.valid_rmse < rg.selected.valid_rmse;
    const ar_train_result *w = lighter_wins ? &rl : &rg;
    const ar_train_config *kept = lighter_wins ? &light : &cfg;
    fprintf(stderr, "  lighter: given %.6f, lighter %.6f, kept %s\n", rg.selected.valid_rmse,
            rl.selected.valid_rmse, rt.lighter ? "lighter" : "given");
    cr_assert(rt.lighter == lighter_wins && ar_model_config(mt)->l2 == kept->l2 &&
              ar_model_config(mt)->dropout == kept->dropout, "kept the wrong run");
    cr_assert(rt.selected_epoch == w->selected_epoch &&
              rt.selected.valid_rmse == w->selected.valid_rmse &&
              rt.selected.test_rmse == w->selected.test_rmse && rt.epochs_run == eg.n + el.n &&
              rt.given_valid_rmse == rg.network_valid_rmse &&
              rt.lighter_valid_rmse == rl.network_valid_rmse &&
              rt.lighter_epoch == rl.network_epoch && rt.lighter_epochs_run == el.n,
              "the result is not the kept run's");
    ar_train_config saved;
    check_kept(mt, w, "lighter.bin", &saved);
    cr_assert(saved.l2 == kept->l2 && saved.dropout == kept->dropout, "the file holds %g %g",
              (double)saved.l2, (double)saved.dropout);
    ar_model_free(mg);
    ar_model_free(ml);
    ar_model_free(mt);
    /* with AR_CENTER_AUTO: bias, input, then the lighter run of the one they kept */
    cfg.center = AR_CENTER_AUTO;
    mt = train_run(ctx, ds, &cfg, &rt, &et);
    const int last = et.n - 1, n_light = rt.lighter_epochs_run;
    cr_assert(n_light > 0 && et.lighter[last] && !et.lighter[last - n_light] &&
              rt.epochs_run == rt.auto_epochs_run[0] + rt.auto_epochs_run[1] + n_light,
              "%d epochs: bias %d, input %d, lighter %d", et.n, rt.auto_epochs_run[0],
              rt.auto_epochs_run[1], n_light);
    const ar_center first = rt.auto_valid_rmse[1] < rt.auto_valid_rmse[0] ? AR_CENTER_INPUT
                                                                          : AR_CENTER_BIAS;
    cr_assert(et.center[last] == first && rt.center == first &&
              rt.given_valid_rmse == rt.auto_valid_rmse[first == AR_CENTER_INPUT],
              "the lighter run is %s, auto kept %s", ar_center_name(et.center[last]),
              ar_center_name(first));
    ar_model_free(mt);
    valid_free(&f);
}

/* The names parse both ways; a bad value is a usage error naming the flag (exit 2). */
Test(center, names_and_a_bad_value) {
    for (ar_center c = AR_CENTER_NONE; c <= AR_CENTER_AUTO; c++) {
        ar_center back = AR_CENTER_NONE;
        cr_assert(ar_center_parse(ar_center_name(c), &back) == AR_OK && back == c);
    }
    ar_center x;
    cr_assert_eq(ar_center_parse("residual", &x), AR_ERR_INVALID_ARG);
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cr_assert_eq(cfg.center, AR_CENTER_AUTO);
    cfg.center = (ar_center)4;
    cr_assert_eq(ar_train_config_validate(&cfg), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_train_config.center"), "%s", ar_last_error());
    static char out[8192], err[8192];
    int rc = tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out,
                        "train --data nowhere.data --center residual");
    cr_assert_eq(rc, 2, "exit %d: %s", rc, err);
    cr_assert(strstr(err, "--center") && strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}

/* try_tanh: after the given run (and the lighter one), one of the same centering from the same
 * start with a tanh encoder at lr / 5, epoch for epoch what a plain run of those settings
 * trains; the lowest on validation is kept, with its activation and lr in the model, its file
 * and the result. Not tried when the encoder is tanh already. */
Test(center, tanh_run_is_the_plain_run_with_tanh_settings, .timeout = 300) {
    valid_fixture f;
    valid_init(&f);
    ar_dataset *ds = f.ds;
    ar_ctx *ctx = f.ctx;
    ar_train_config cfg;
    config(&cfg, AR_CENTER_INPUT);
    cfg.epochs = 8;
    cfg.patience = 3;
    cfg.lr = 0.02f;
    cfg.baseline_fallback = 0;
    cfg.try_lighter = 0;
    cfg.try_tanh = 0;
    ar_train_result rg, rh, rt;
    epochs_seen eg, eh, et;
    ar_model *mg = train_run(ctx, ds, &cfg, &rg, &eg);
    ar_train_config th = cfg;
    th.activation = AR_ACT_TANH, th.lr = 0.004f; /* as printed: %g of 0.02 / 5 */
    ar_model *mh = train_run(ctx, ds, &th, &rh, &eh);
    cfg.try_tanh = 1;
    ar_model *mt = train_run(ctx, ds, &cfg, &rt, &et);
    cr_assert_eq(et.n, eg.n + eh.n, "try ran %d epochs, given %d and tanh %d", et.n, eg.n, eh.n);
    for (int k = 0; k < et.n; k++) {
        const int given = k < eg.n;
        cr_assert(et.tanh_run[k] == !given && !et.lighter[k] && et.center[k] == AR_CENTER_INPUT,
                  "row %d", k);
        cr_assert(et.valid[k] == (given ? eg.valid[k] : eh.valid[k - eg.n]),
                  "row %d: %.9g, alone %.9g", k, et.valid[k],
                  given ? eg.valid[k] : eh.valid[k - eg.n]);
    }
    cr_assert(rg.selected.valid_rmse != rh.selected.valid_rmse, "the two runs must differ");
    const int tanh_wins = rh.selected.valid_rmse < rg.selected.valid_rmse;
    const ar_train_result *w = tanh_wins ? &rh : &rg;
    const ar_train_config *kept = tanh_wins ? &th : &cfg;
    fprintf(stderr, "  tanh: given %.6f, tanh %.6f, kept %s\n", rg.selected.valid_rmse,
            rh.selected.valid_rmse, rt.tanh_run ? "tanh" : "given");
    cr_assert(rt.tanh_run == tanh_wins && !rt.lighter &&
              ar_model_config(mt)->activation == kept->activation &&
              ar_model_config(mt)->lr == kept->lr, "kept the wrong run");
    cr_assert(rt.selected_epoch == w->selected_epoch &&
              rt.selected.valid_rmse == w->selected.valid_rmse &&
              rt.selected.test_rmse == w->selected.test_rmse && rt.epochs_run == eg.n + eh.n &&
              rt.given_valid_rmse == rg.network_valid_rmse && isnan(rt.lighter_valid_rmse) &&
              rt.tanh_valid_rmse == rh.network_valid_rmse && rt.tanh_epoch == rh.network_epoch &&
              rt.tanh_epochs_run == eh.n, "the result is not the kept run's");
    ar_train_config saved;
    check_kept(mt, w, "tanh.bin", &saved);
    cr_assert(saved.activation == kept->activation && saved.lr == kept->lr,
              "the file holds %s %g", ar_activation_name(saved.activation), (double)saved.lr);
    ar_model_free(mg);
    ar_model_free(mh);
    ar_model_free(mt);
    /* a tanh encoder given: nothing to try, the given run alone */
    mt = train_run(ctx, ds, &th, &rt, &et);
    cr_assert(et.n == eh.n && !rt.tanh_run && isnan(rt.tanh_valid_rmse) &&
              rt.selected.valid_rmse == rh.selected.valid_rmse, "%d epochs, alone %d", et.n,
              eh.n);
    ar_model_free(mt);
    /* every run: bias, input, the lighter and the tanh runs of the centering kept, in order */
    cfg.center = AR_CENTER_AUTO;
    cfg.try_lighter = 1;
    mt = train_run(ctx, ds, &cfg, &rt, &et);
    const int n_b = rt.auto_epochs_run[0], n_i = rt.auto_epochs_run[1];
    const int n_l = rt.lighter_epochs_run, n_t = rt.tanh_epochs_run;
    cr_assert(n_b > 0 && n_i > 0 && n_l > 0 && n_t > 0 && et.n == n_b + n_i + n_l + n_t &&
              rt.epochs_run == et.n, "%d epochs: %d %d %d %d", et.n, n_b, n_i, n_l, n_t);
    const ar_center first = rt.auto_valid_rmse[1] < rt.auto_valid_rmse[0] ? AR_CENTER_INPUT
                                                                          : AR_CENTER_BIAS;
    for (int k = n_b + n_i; k < et.n; k++)
        cr_assert(et.center[k] == first && et.lighter[k] == (k < n_b + n_i + n_l) &&
                  et.tanh_run[k] == (k >= n_b + n_i + n_l), "row %d", k);
    double best = fmin(fmin(rt.auto_valid_rmse[0], rt.auto_valid_rmse[1]),
                       fmin(rt.lighter_valid_rmse, rt.tanh_valid_rmse));
    cr_assert(rt.selected.valid_rmse == best && rt.tanh_run == (rt.tanh_valid_rmse == best) &&
              (ar_model_config(mt)->activation == AR_ACT_TANH) == rt.tanh_run,
              "kept %.9g of best %.9g", rt.selected.valid_rmse, best);
    ar_model_free(mt);
    valid_free(&f);
}
