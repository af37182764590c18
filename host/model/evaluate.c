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

ar_status ar_model_read_sum(ar_model *m, cl_mem buf, double *sum) {
    const int I = m->ds->n_rows;
    ar_status st = ar_read(m->ctx, buf, 0, (size_t)I * sizeof(float), m->row_host);
    double s = 0;
    for (int i = 0; i < I; i++) s += m->row_host[i];
    *sum = s;
    return st;
}

/* RMSE of a held-out set: device SSE of the scoreable pairs plus the cold pairs' error. */
static double heldout_rmse(const ar_model *m, double sse, const float *cold, size_t n_cold,
                           size_t n_all) {
    for (size_t k = 0; k < n_cold; k++) sse += (double)(m->def - cold[k]) * (m->def - cold[k]);
    return n_all ? sqrt(sse / (double)n_all) : NAN;
}

/* The per-row SSE of the sets at rows order[off .. off+B) on the sparse path: the outputs are
 * computed only where they are scored. */
static ar_status score_sparse(ar_model *m, int off, int B, int has_valid) {
    ar_status st = AR_OK;
    cl_mem last; /* (B, H_L) */
    AR_TRY(ar_sparse_encode(m, m->order, off, B, 1.0f, 1.0f, &last));
    AR_TRY(ar_sparse_decode(m, last, m->tr_ptr, m->tr_idx, m->order, off, B, m->yk));
    AR_TRY(ark_sp_sse(m->ctx, m->sse_tr, m->yk, m->tr_ptr, m->tr_val, m->tr_off, m->order, off,
                      B, m->lo, m->hi));
    AR_TRY(ar_sparse_decode(m, last, m->te_ptr, m->te_idx, m->order, off, B, m->ye));
    AR_TRY(ark_sp_sse(m->ctx, m->sse_te, m->ye, m->te_ptr, m->te_val, m->te_off, m->order, off,
                      B, m->lo, m->hi));
    if (has_valid) {
        AR_TRY(ar_sparse_decode(m, last, m->va_ptr, m->va_idx, m->order, off, B, m->ye));
        AR_TRY(ark_sp_sse(m->ctx, m->sse_va, m->ye, m->va_ptr, m->va_val, m->va_off, m->order,
                          off, B, m->lo, m->hi));
    }
cleanup:
    return st;
}

/* The same on the dense path: y (B, U) once, read at each set's positions. */
static ar_status score_dense(ar_model *m, int off, int B, int has_valid) {
    const int U = m->L.U;
    ar_status st = AR_OK;
    AR_TRY(ar_dense_forward(m, m->order, off, B, 1.0f, 1.0f));
    AR_TRY(ark_masked_sse(m->ctx, m->sse_tr, m->y, m->tr_ptr, m->tr_idx, m->tr_val, m->tr_off,
                          m->order, off, B, U, m->lo, m->hi));
    AR_TRY(ark_masked_sse(m->ctx, m->sse_te, m->y, m->te_ptr, m->te_idx, m->te_val, m->te_off,
                          m->order, off, B, U, m->lo, m->hi));
    if (has_valid)
        AR_TRY(ark_masked_sse(m->ctx, m->sse_va, m->y, m->va_ptr, m->va_idx, m->va_val,
                              m->va_off, m->order, off, B, U, m->lo, m->hi));
cleanup:
    return st;
}

ar_status ar_model_evaluate_ex(ar_model *m, double *train_rmse, double *valid_rmse,
                               double *test_rmse) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows;
    const int has_valid = ds->n_valid_all > 0;
    ar_status st = AR_OK;
    for (int off = 0; off < I; off += m->B) {
        int B = I - off < m->B ? I - off : m->B;
        AR_TRY(m->sparse ? score_sparse(m, off, B, has_valid) : score_dense(m, off, B, has_valid));
    }
    double sse_tr = 0, sse_te = 0, sse_va = 0;
    AR_TRY(ar_model_read_sum(m, m->sse_tr, &sse_tr));
    AR_TRY(ar_model_read_sum(m, m->sse_te, &sse_te));
    if (has_valid) AR_TRY(ar_model_read_sum(m, m->sse_va, &sse_va));
    /* the SSE kernels turn a non-finite output into a NaN sum */
    if (!isfinite(sse_tr) || !isfinite(sse_te) || !isfinite(sse_va)) {
        st = ar_fail(AR_ERR_DIVERGED, "the model's outputs for the %s ratings are not finite: its "
                     "weights overflow float arithmetic", !isfinite(sse_tr) ? "training"
                     : !isfinite(sse_te) ? "test" : "validation");
        goto cleanup;
    }
    if (train_rmse) *train_rmse = sqrt(sse_tr / (double)ds->train.row_ptr[I]);
    if (test_rmse) *test_rmse = heldout_rmse(m, sse_te, ds->cold, ds->n_cold, ds->n_test_all);
    if (valid_rmse)
        *valid_rmse = heldout_rmse(m, sse_va, ds->valid_cold, ds->n_valid_cold, ds->n_valid_all);
cleanup:
    return st;
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

ar_status ar_model_predict(ar_model *m, const int64_t *users, const int64_t *items, size_t n,
                           float *out) {
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
            out[w[a].k] = p < m->lo ? m->lo : p > m->hi ? m->hi : p;
        }
    }
cleanup:
    free(w);
    free(rows);
    free(y);
    return st;
}
