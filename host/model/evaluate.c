/* evaluate.c - scoring and prediction by the paper's protocol: the input is a row's training
 * ratings, predictions are read at the held-out positions only and clamped to the rating
 * scale (after the centering baseline is added, ar_center), and a pair whose user or item has
 * no training rating gets the default (the middle of the scale). Test ratings are never an
 * input; unobserved entries are never scored.
 * A non-finite output (weights that overflow float: a damaged or hand-made model) is an error,
 * AR_ERR_DIVERGED, in both scoring and prediction: no made-up number is scored or returned. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

ar_status ar_model_read_sums(ar_model *m, cl_mem buf, int n, double *sums) {
    const int I = m->ds->n_rows;
    ar_status st = ar_read(m->ctx, buf, 0, (size_t)n * (size_t)I * sizeof(float), m->row_host);
    for (int k = 0; k < n; k++) {
        double s = 0;
        for (int i = 0; i < I; i++) s += m->row_host[(size_t)k * I + i];
        sums[k] = s;
    }
    return st;
}

ar_status ar_model_read_sum(ar_model *m, cl_mem buf, double *sum) {
    return ar_model_read_sums(m, buf, 1, sum);
}

/* Adds the cold pairs' errors (predicted m->def) to a set's sums (err: squared, absolute). */
static void add_cold(const ar_model *m, double *err, const float *cold, size_t n_cold) {
    for (size_t k = 0; k < n_cold; k++) {
        double d = (double)m->def - cold[k];
        err[0] += d * d;
        err[1] += fabs(d);
    }
}

/* The errors of a set of n_all ratings from its sums. */
static ar_errors set_errors(const double *err, size_t n_all) {
    const double n = n_all ? (double)n_all : NAN;
    return (ar_errors){.rmse = sqrt(err[0] / n), .mae = err[1] / n, .n = n_all};
}

/* The per-row errors (squared and absolute) of the sets at rows order[off .. off+B) on the
 * sparse path: the outputs are computed only where they are scored. */
static ar_status score_sparse(ar_model *m, int off, int B, int has_valid) {
    const int I = m->ds->n_rows;
    ar_status st = AR_OK;
    cl_mem last; /* (B, H_L) */
    AR_TRY(ar_sparse_encode(m, m->order, off, B, 1.0f, 1.0f, &last));
    AR_TRY(ar_sparse_decode(m, last, m->tr_ptr, m->tr_idx, m->order, off, B, m->yk));
    AR_TRY(ark_sp_sse(m->ctx, m->err_tr, m->yk, m->tr_ptr, m->tr_val, m->tr_off, m->order, off,
                      B, I, m->lo, m->hi));
    AR_TRY(ar_sparse_decode(m, last, m->te_ptr, m->te_idx, m->order, off, B, m->ye));
    AR_TRY(ark_sp_sse(m->ctx, m->err_te, m->ye, m->te_ptr, m->te_val, m->te_off, m->order, off,
                      B, I, m->lo, m->hi));
    if (has_valid) {
        AR_TRY(ar_sparse_decode(m, last, m->va_ptr, m->va_idx, m->order, off, B, m->ye));
        AR_TRY(ark_sp_sse(m->ctx, m->err_va, m->ye, m->va_ptr, m->va_val, m->va_off, m->order,
                          off, B, I, m->lo, m->hi));
    }
cleanup:
    return st;
}

/* The same on the dense path: y (B, U) once, read at each set's positions. */
static ar_status score_dense(ar_model *m, int off, int B, int has_valid) {
    const int U = m->L.U, I = m->ds->n_rows;
    ar_status st = AR_OK;
    AR_TRY(ar_dense_forward(m, m->order, off, B, 1.0f, 1.0f));
    AR_TRY(ark_masked_sse(m->ctx, m->err_tr, m->y, m->tr_ptr, m->tr_idx, m->tr_val, m->tr_off,
                          m->order, off, B, U, I, m->lo, m->hi));
    AR_TRY(ark_masked_sse(m->ctx, m->err_te, m->y, m->te_ptr, m->te_idx, m->te_val, m->te_off,
                          m->order, off, B, U, I, m->lo, m->hi));
    if (has_valid)
        AR_TRY(ark_masked_sse(m->ctx, m->err_va, m->y, m->va_ptr, m->va_idx, m->va_val,
                              m->va_off, m->order, off, B, U, I, m->lo, m->hi));
cleanup:
    return st;
}

ar_status ar_model_evaluate_metrics(ar_model *m, ar_metrics *out) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows;
    const int has_valid = ds->n_valid_all > 0;
    ar_status st = AR_OK;
    for (int off = 0; off < I; off += m->B) {
        int B = I - off < m->B ? I - off : m->B;
        AR_TRY(m->sparse ? score_sparse(m, off, B, has_valid) : score_dense(m, off, B, has_valid));
    }
    double sums[6] = {0}; /* squared, absolute: training, test, validation */
    double *tr = sums, *te = sums + 2, *va = sums + 4;
    AR_TRY(ar_model_read_sums(m, m->err_tr, 2, tr));
    AR_TRY(ar_model_read_sums(m, m->err_te, 2, te));
    if (has_valid) AR_TRY(ar_model_read_sums(m, m->err_va, 2, va));
    /* the cold pairs (a sharded model's: all on its first shard), then every shard's sums */
    add_cold(m, te, ds->cold, ds->n_cold);
    add_cold(m, va, ds->valid_cold, ds->n_valid_cold);
    AR_TRY(ar_shard_sum_host(m, sums, 6));
    /* the error kernels turn a non-finite output into NaN sums */
    if (!isfinite(tr[0] + tr[1]) || !isfinite(te[0] + te[1]) || !isfinite(va[0] + va[1])) {
        st = ar_fail(AR_ERR_DIVERGED, "the model's outputs for the %s ratings are not finite: its "
                     "weights overflow float arithmetic", !isfinite(tr[0] + tr[1]) ? "training"
                     : !isfinite(te[0] + te[1]) ? "test" : "validation");
        goto cleanup;
    }
    out->train = set_errors(tr, ar_model_train_all(m));
    out->test = set_errors(te, ds->n_test_all);
    out->valid = set_errors(va, ds->n_valid_all);
cleanup:
    return st;
}

ar_status ar_model_evaluate_ex(ar_model *m, double *train_rmse, double *valid_rmse,
                               double *test_rmse) {
    ar_metrics e;
    ar_status st = ar_model_evaluate_metrics(m, &e);
    if (st != AR_OK) return st;
    if (train_rmse) *train_rmse = e.train.rmse;
    if (valid_rmse) *valid_rmse = e.valid.rmse;
    if (test_rmse) *test_rmse = e.test.rmse;
    return AR_OK;
}

ar_status ar_model_evaluate(ar_model *m, double *train_rmse, double *test_rmse) {
    return ar_model_evaluate_ex(m, train_rmse, NULL, test_rmse);
}

static int cmp_i64_key(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Dense index of a raw id in a sorted id array, or -1. */
static int dense_of(const int64_t *ids, int n, int64_t id) {
    const int64_t *p = bsearch(&id, ids, (size_t)n, sizeof id, cmp_i64_key);
    return p ? (int)(p - ids) : -1;
}

typedef struct { int row, col; size_t k; } want;

static int cmp_want(const void *a, const void *b) {
    const want *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

ar_status ar_model_scores(ar_model *m, const int64_t *users, const int64_t *items, size_t n,
                          float *out, int clamp) {
    const ar_dataset *ds = m->ds;
    const int U = m->L.U, by_user = ds->rows_are == AR_ROWS_USERS;
    ar_status st = AR_OK;
    want *w = malloc((n ? n : 1) * sizeof *w);
    int *rows = malloc((size_t)m->B * sizeof *rows);
    float *y = malloc((size_t)m->B * (size_t)U * sizeof *y);
    if (!w || !rows || !y) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory predicting %zu pairs", n);
        goto cleanup;
    }
    /* Cold pairs get the default; the others are grouped by row, B distinct rows a pass. */
    size_t nw = 0;
    for (size_t k = 0; k < n; k++) {
        int r = dense_of(ds->row_ids, ds->n_rows, by_user ? users[k] : items[k]);
        int c = dense_of(ds->col_ids, ds->n_cols, by_user ? items[k] : users[k]);
        if (r < 0 || c < 0) out[k] = m->def;
        else w[nw++] = (want){r, c, k};
    }
    qsort(w, nw, sizeof *w, cmp_want);
    for (size_t a = 0; a < nw;) {
        int B = 0;
        size_t b = a;
        while (b < nw && (B < m->B || w[b].row == rows[B - 1])) {
            if (B == 0 || w[b].row != rows[B - 1]) rows[B++] = w[b].row;
            b++;
        }
        AR_TRY(ar_write(m->ctx, m->perm, 0, (size_t)B * sizeof(int), rows));
        AR_TRY(ar_dense_forward(m, m->perm, 0, B, 1.0f, 1.0f));
        AR_TRY(ar_read(m->ctx, m->y, 0, (size_t)B * (size_t)U * sizeof(float), y));
        for (int r = 0; a < b; a++) {
            while (rows[r] != w[a].row) r++;
            float p = y[(size_t)r * U + w[a].col];
            if (m->cfg.center != AR_CENTER_NONE) p += ar_center_at(m, w[a].row, w[a].col);
            if (!isfinite(p)) {
                st = ar_fail(AR_ERR_DIVERGED, "the model's output for user %lld item %lld is not "
                             "a finite number: its weights overflow float arithmetic",
                             (long long)users[w[a].k], (long long)items[w[a].k]);
                goto cleanup;
            }
            out[w[a].k] = !clamp ? p : p < m->lo ? m->lo : p > m->hi ? m->hi : p;
        }
    }
cleanup:
    free(w);
    free(rows);
    free(y);
    return st;
}

ar_status ar_model_predict(ar_model *m, const int64_t *users, const int64_t *items, size_t n,
                           float *out) {
    return ar_model_scores(m, users, items, n, out, 1);
}
