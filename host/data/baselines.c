/* baselines.c - predictors without a network, to read a model's figures against: the global
 * training mean and the regularised user + item bias model, fitted on the host from the
 * training CSR and scored by the model's protocol (clamped to the rating scale, cold pairs
 * predicted as the default). Also the rating scale itself, which the model resolves the same
 * way (ar_dataset_scale). */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

void ar_dataset_scale(const ar_dataset *ds, float min, float max, float def, float *lo,
                      float *hi, float *d) {
    *lo = isnan(min) ? ds->rating_min : min;
    *hi = isnan(max) ? ds->rating_max : max;
    float v = isnan(def) ? 0.5f * (*lo + *hi) : def;
    *d = v < *lo ? *lo : v > *hi ? *hi : v;
}

ar_status ar_scale_validate(const char *owner, float min, float max, float def) {
    if (!((isnan(min) && isnan(max)) || (isfinite(min) && isfinite(max) && min < max)))
        return ar_fail(AR_ERR_INVALID_ARG, "the rating scale [%s.rating_min, rating_max] = [%g, "
                       "%g] must be empty (NaN: from the data) or finite with min < max", owner,
                       (double)min, (double)max);
    if (!(isnan(def) || isfinite(def)))
        return ar_fail(AR_ERR_INVALID_ARG, "%s.default_rating must be finite (or NaN: the middle "
                       "of the scale)", owner);
    return AR_OK;
}

void ar_baseline_config_default(ar_baseline_config *c) {
    /* chosen on validation carve-outs over seven dataset shapes (bench/baseline_reg.sh,
     * docs/experiments.md, "The bias baseline's regularisation") */
    c->reg_item = 3.0f;
    c->reg_user = 7.0f;
    c->sweeps = 20;
    c->rating_min = c->rating_max = c->default_rating = NAN;
}

static ar_status baseline_validate(const ar_baseline_config *c) {
    const float regs[2] = {c->reg_item, c->reg_user};
    for (int k = 0; k < 2; k++)
        if (!(isfinite(regs[k]) && regs[k] >= 0))
            return ar_fail(AR_ERR_INVALID_ARG, "ar_baseline_config.%s must be a finite number "
                           ">= 0, got %g", k ? "reg_user" : "reg_item", (double)regs[k]);
    if (c->sweeps < 1 || c->sweeps > 1000)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_baseline_config.sweeps must be in 1..1000, got "
                       "%d", c->sweeps);
    return ar_scale_validate("ar_baseline_config", c->rating_min, c->rating_max,
                             c->default_rating);
}

/* The sums across a share's shards (ar_share_sum), or none on a whole dataset. */
typedef struct {
    const ar_share *share;
    ar_share_sum fn;
    void *arg;
} summer;

static ar_status sum_up(const summer *u, double *v, size_t n) {
    return u->share ? u->fn(u->arg, v, n) : AR_OK;
}

/* b_row[r] = sum over row r's ratings of (v - mu - b_col[c]) / (reg + its count); over a
 * share, each shard's part of the sums added up first. */
static ar_status fit_rows(const ar_csr *t, double mu, const double *b_col, double reg,
                          const summer *u, double *b_row) {
    for (int r = 0; r < t->rows; r++) {
        double s = 0;
        for (int k = t->row_ptr[r]; k < t->row_ptr[r + 1]; k++)
            s += t->vals[k] - mu - b_col[t->col_idx[k]];
        b_row[r] = s;
    }
    ar_status st = sum_up(u, b_row, (size_t)t->rows);
    for (int r = 0; r < t->rows; r++)
        b_row[r] /= reg + (u->share ? u->share->row_nnz[r] : t->row_ptr[r + 1] - t->row_ptr[r]);
    return st;
}

/* The same for the columns; n (cols) counts each column's ratings. */
static void fit_cols(const ar_csr *t, double mu, const double *b_row, double reg, double *b_col,
                     double *n) {
    for (int c = 0; c < t->cols; c++) b_col[c] = n[c] = 0;
    for (int r = 0; r < t->rows; r++)
        for (int k = t->row_ptr[r]; k < t->row_ptr[r + 1]; k++) {
            b_col[t->col_idx[k]] += t->vals[k] - mu - b_row[r];
            n[t->col_idx[k]] += 1;
        }
    for (int c = 0; c < t->cols; c++) b_col[c] /= reg + n[c];
}

/* The scale and the fitted biases a prediction needs; b_row NULL: the mean alone. */
typedef struct {
    double mu;
    const double *b_row, *b_col;
    float lo, hi, def;
} predictor;

/* The sums of squared and absolute errors on a held-out (or the training) set: its scoreable
 * pairs by CSR, the cold ones predicted as the default. */
static void score_sums(const predictor *p, const ar_csr *set, const float *cold, size_t n_cold,
                       double *sse_out, double *sae_out) {
    double sse = 0, sae = 0;
    for (int r = 0; r < set->rows; r++)
        for (int k = set->row_ptr[r]; k < set->row_ptr[r + 1]; k++) {
            double y = p->mu + (p->b_row ? p->b_row[r] + p->b_col[set->col_idx[k]] : 0);
            double d = (y < p->lo ? p->lo : y > p->hi ? p->hi : y) - set->vals[k];
            sse += d * d;
            sae += fabs(d);
        }
    for (size_t k = 0; k < n_cold; k++) {
        double d = (double)p->def - cold[k];
        sse += d * d;
        sae += fabs(d);
    }
    *sse_out = sse, *sae_out = sae;
}

static ar_errors errors_of(double sse, double sae, size_t n_all) {
    const double n = n_all ? (double)n_all : NAN;
    return (ar_errors){.rmse = sqrt(sse / n), .mae = sae / n, .n = n_all};
}

/* The errors on the training, validation and test sets; over a share, each shard's sums
 * added up. */
static ar_status score_all(const ar_dataset *ds, const predictor *p, const summer *u,
                           ar_metrics *out) {
    double v[6];
    score_sums(p, &ds->train, NULL, 0, &v[0], &v[1]);
    score_sums(p, &ds->valid, ds->valid_cold, ds->n_valid_cold, &v[2], &v[3]);
    score_sums(p, &ds->test, ds->cold, ds->n_cold, &v[4], &v[5]);
    ar_status st = sum_up(u, v, 6);
    out->train = errors_of(v[0], v[1], ar_dataset_n_train(ds));
    out->valid = errors_of(v[2], v[3], ds->n_valid_all);
    out->test = errors_of(v[4], v[5], ds->n_test_all);
    return st;
}

ar_status ar_bias_fit(const ar_dataset *ds, const ar_baseline_config *cfg, double **b_row_out,
                      double **b_col_out) {
    return ar_bias_fit_sum(ds, cfg, NULL, NULL, b_row_out, b_col_out);
}

ar_status ar_bias_fit_sum(const ar_dataset *ds, const ar_baseline_config *cfg, ar_share_sum sum,
                          void *arg, double **b_row_out, double **b_col_out) {
    *b_row_out = *b_col_out = NULL;
    const summer u = {ds->share, sum, arg};
    ar_status st = baseline_validate(cfg);
    if (st != AR_OK) return st;
    const int I = ds->n_rows, U = ds->n_cols;
    double *b_row = calloc(I ? (size_t)I : 1, sizeof *b_row);
    double *b_col = calloc(U ? (size_t)U : 1, sizeof *b_col);
    double *n = malloc((U ? (size_t)U : 1) * sizeof *n);
    if (!b_row || !b_col || !n) {
        free(b_row);
        free(b_col);
        free(n);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory fitting the bias baseline");
    }
    /* items first, from user biases 0: rows are items (I-AutoRec) or users (U-AutoRec) */
    const int rows_are_items = ds->rows_are == AR_ROWS_ITEMS;
    const double reg_row = rows_are_items ? cfg->reg_item : cfg->reg_user;
    const double reg_col = rows_are_items ? cfg->reg_user : cfg->reg_item;
    const double mu = ds->train_mean;
    /* a share's columns are whole (fit_cols is exact on each shard's own); its rows are not */
    for (int s = 0; s < cfg->sweeps && st == AR_OK; s++) {
        if (rows_are_items) st = fit_rows(&ds->train, mu, b_col, reg_row, &u, b_row);
        fit_cols(&ds->train, mu, b_row, reg_col, b_col, n);
        if (!rows_are_items && st == AR_OK)
            st = fit_rows(&ds->train, mu, b_col, reg_row, &u, b_row);
    }
    if (st == AR_OK) st = sum_up(&u, b_col, (size_t)U); /* the other shards' columns */
    free(n);
    if (st != AR_OK) {
        free(b_row);
        free(b_col);
        return st;
    }
    *b_row_out = b_row;
    *b_col_out = b_col;
    return AR_OK;
}

ar_status ar_dataset_baselines(const ar_dataset *ds, const ar_baseline_config *cfg,
                               ar_baselines *out) {
    return ar_dataset_baselines_sum(ds, cfg, NULL, NULL, out);
}

ar_status ar_dataset_baselines_sum(const ar_dataset *ds, const ar_baseline_config *cfg,
                                   ar_share_sum sum, void *arg, ar_baselines *out) {
    if (ds->share && !sum)
        return ar_fail(AR_ERR_INVALID_ARG, "the baselines of a dataset's share need the sums "
                       "across its shards");
    const summer u = {ds->share, sum, arg};
    ar_baseline_config c;
    if (cfg) c = *cfg;
    else ar_baseline_config_default(&c);
    double *b_row = NULL, *b_col = NULL;
    ar_status st = ar_bias_fit_sum(ds, &c, sum, arg, &b_row, &b_col);
    if (st != AR_OK) return st;
    predictor p = {.mu = ds->train_mean};
    ar_dataset_scale(ds, c.rating_min, c.rating_max, c.default_rating, &p.lo, &p.hi, &p.def);
    st = score_all(ds, &p, &u, &out->mean);
    p.b_row = b_row;
    p.b_col = b_col;
    if (st == AR_OK) st = score_all(ds, &p, &u, &out->bias);
    free(b_row);
    free(b_col);
    return st;
}
