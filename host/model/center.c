/* center.c - the network on top of the bias baseline (ar_center).
 *
 * The baseline b(r, c) = mu + b_row[r] + b_col[c] (the training mean plus regularised row and
 * column biases: items and users for I-AutoRec) is the bias baseline of ar_dataset_baselines,
 * fitted on the host from the training CSR when the model is created; a model file stores it,
 * so a loaded model predicts with the baseline it was trained with. On the device it appears
 * only as per-entry arrays, uploaded once: the residuals r - b at the training entries (the
 * training target; the input too with AR_CENTER_INPUT) and b at the entries of every set
 * (added to the outputs before clamping when scoring). Prediction adds ar_center_at on the
 * host. So the training kernels are the plain model's, fed other values, and the loss
 * (b + y - r)^2 = (y - (r - b))^2 is the centered model's. */
#include <stdlib.h>

#include "internal.h"

/* The bias model of the baselines (ar_bias_fit, host/data/baselines.c: ALS sweeps, item biases
 * first, with ar_baseline_config's default regularisation), stored as floats. */
static ar_status fit(ar_model *m) {
    ar_baseline_config cfg;
    ar_baseline_config_default(&cfg);
    double *b_row = NULL, *b_col = NULL;
    ar_status st = ar_bias_fit(m->ds, &cfg, &b_row, &b_col);
    if (st != AR_OK) return st;
    m->mu = (float)m->ds->train_mean;
    for (int r = 0; r < m->ds->n_rows; r++) m->b_row[r] = (float)b_row[r];
    for (int c = 0; c < m->ds->n_cols; c++) m->b_col[c] = (float)b_col[c];
    free(b_row);
    free(b_col);
    return AR_OK;
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
