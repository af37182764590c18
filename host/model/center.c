/* center.c - the network on top of the bias baseline (ar_center).
 *
 * The baseline b(r, c) = mu + b_row[r] + b_col[c] (the training mean plus regularised row and
 * column biases: items and users for I-AutoRec) is fitted on the host from the training CSR by
 * alternating least squares, when the model is created; a model file stores it, so a loaded
 * model predicts with the baseline it was trained with. On the device it appears only as
 * per-entry arrays, uploaded once: the residuals r - b at the training entries (the training
 * target; the input too with AR_CENTER_INPUT) and b at the entries of every set (added to the
 * outputs before clamping when scoring). Prediction adds ar_center_at on the host. So the
 * training kernels are the plain model's, fed other values, and the loss
 * (b + y - r)^2 = (y - (r - b))^2 is the centered model's. */
#include <stdlib.h>

#include "internal.h"

/* b_row[r] = sum over row r's ratings of (v - mu - b_col[c]) / (reg + its count). */
static void fit_rows(const ar_csr *t, double mu, const double *b_col, double reg, double *b_row) {
    for (int r = 0; r < t->rows; r++) {
        double s = 0;
        for (int k = t->row_ptr[r]; k < t->row_ptr[r + 1]; k++)
            s += t->vals[k] - mu - b_col[t->col_idx[k]];
        b_row[r] = s / (reg + (t->row_ptr[r + 1] - t->row_ptr[r]));
    }
}

/* The same for the columns; n (cols) is scratch for each column's count. */
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

/* Minimises sum (r - mu - b_row - b_col)^2 + reg_item sum b_item^2 + reg_user sum b_user^2 by
 * ALS sweeps, item biases first from user biases 0 (one sweep is Koren's baseline estimate). */
static ar_status fit(ar_model *m) {
    const ar_dataset *ds = m->ds;
    const ar_csr *t = &ds->train;
    const int I = ds->n_rows, U = ds->n_cols, rows_items = ds->rows_are == AR_ROWS_ITEMS;
    double *br = calloc((size_t)I, sizeof *br), *bc = calloc((size_t)U, sizeof *bc);
    double *n = calloc((size_t)U, sizeof *n);
    ar_status st = AR_OK;
    if (!br || !bc || !n) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory fitting the bias baseline");
        goto cleanup;
    }
    const double mu = ds->train_mean;
    const double reg_row = rows_items ? AR_CENTER_REG_ITEM : AR_CENTER_REG_USER;
    const double reg_col = rows_items ? AR_CENTER_REG_USER : AR_CENTER_REG_ITEM;
    for (int s = 0; s < AR_CENTER_SWEEPS; s++) {
        if (rows_items) fit_rows(t, mu, bc, reg_row, br);
        fit_cols(t, mu, br, reg_col, bc, n);
        if (!rows_items) fit_rows(t, mu, bc, reg_row, br);
    }
    m->mu = (float)mu;
    for (int r = 0; r < I; r++) m->b_row[r] = (float)br[r];
    for (int c = 0; c < U; c++) m->b_col[c] = (float)bc[c];
cleanup:
    free(br);
    free(bc);
    free(n);
    return st;
}

float ar_center_at(const ar_model *m, int row, int col) {
    if (m->cfg.center == AR_CENTER_NONE) return 0.0f;
    return (float)((double)m->mu + m->b_row[row] + m->b_col[col]);
}

/* b at every entry of set s into *off; with res, also r - b into *res (the training set). */
static ar_status upload_set(ar_model *m, const ar_csr *s, cl_mem *off, cl_mem *res,
                            const char *what) {
    const size_t nnz = (size_t)s->row_ptr[s->rows];
    float *o = malloc((nnz ? nnz : 1) * sizeof *o), *d = malloc((nnz ? nnz : 1) * sizeof *d);
    ar_status st = AR_OK;
    if (!o || !d) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory centering the %s", what);
        goto cleanup;
    }
    for (int r = 0; r < s->rows; r++)
        for (int k = s->row_ptr[r]; k < s->row_ptr[r + 1]; k++) {
            o[k] = ar_center_at(m, r, s->col_idx[k]);
            d[k] = s->vals[k] - o[k];
        }
    AR_TRY(ar_model_alloc(m, off, nnz * sizeof *o, nnz ? o : NULL, what));
    if (res) AR_TRY(ar_model_alloc(m, res, nnz * sizeof *d, nnz ? d : NULL, what));
cleanup:
    free(o);
    free(d);
    return st;
}

ar_status ar_center_setup(ar_model *m, const float *stored) {
    const ar_dataset *ds = m->ds;
    const int I = ds->n_rows, U = ds->n_cols;
    m->b_row = calloc((size_t)I, sizeof *m->b_row);
    m->b_col = calloc((size_t)U, sizeof *m->b_col);
    if (!m->b_row || !m->b_col)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for the bias baseline");
    m->mu = 0;
    if (m->cfg.center == AR_CENTER_NONE) return AR_OK;
    ar_status st = AR_OK;
    if (stored) {
        m->mu = stored[0];
        for (int r = 0; r < I; r++) m->b_row[r] = stored[1 + r];
        for (int c = 0; c < U; c++) m->b_col[c] = stored[1 + I + c];
    } else {
        AR_TRY(fit(m));
    }
    AR_TRY(upload_set(m, &ds->train, &m->tr_off, &m->tr_res, "training residuals"));
    AR_TRY(upload_set(m, &ds->test, &m->te_off, NULL, "test baseline"));
    AR_TRY(upload_set(m, &ds->valid, &m->va_off, NULL, "validation baseline"));
cleanup:
    return st;
}

cl_mem ar_model_inputs(const ar_model *m) {
    return m->cfg.center == AR_CENTER_INPUT ? m->tr_res : m->tr_val;
}

cl_mem ar_model_targets(const ar_model *m) {
    return m->cfg.center != AR_CENTER_NONE ? m->tr_res : m->tr_val;
}
