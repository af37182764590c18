/* slice.c - a column slice of a dataset (ar_dataset_slice): the dataset a shard of a sharded
 * model trains on. It keeps every row (the shards' batches are the same rows) and the columns
 * c0..c1-1, renumbered from 0; the ratings of those columns in each set; the whole dataset's
 * counts and scale, which the shard's sums are divided by and clamped to; and, on the slice that
 * asks for them, the cold pairs, which belong to no column. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The entries of `in` in columns [c0, c1), renumbered. */
static ar_status slice_csr(const ar_csr *in, int c0, int c1, ar_csr *out) {
    memset(out, 0, sizeof *out);
    size_t nnz = 0;
    for (int r = 0; in->row_ptr && r < in->rows; r++)
        for (int k = in->row_ptr[r]; k < in->row_ptr[r + 1]; k++)
            nnz += in->col_idx[k] >= c0 && in->col_idx[k] < c1;
    out->rows = in->rows, out->cols = c1 - c0;
    out->row_ptr = malloc(((size_t)in->rows + 1) * sizeof *out->row_ptr);
    out->col_idx = malloc((nnz ? nnz : 1) * sizeof *out->col_idx);
    out->vals = malloc((nnz ? nnz : 1) * sizeof *out->vals);
    if (!out->row_ptr || !out->col_idx || !out->vals)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory slicing %zu ratings", nnz);
    size_t e = 0;
    out->row_ptr[0] = 0;
    for (int r = 0; r < in->rows; r++) {
        for (int k = in->row_ptr ? in->row_ptr[r] : 0; in->row_ptr && k < in->row_ptr[r + 1]; k++)
            if (in->col_idx[k] >= c0 && in->col_idx[k] < c1) {
                out->col_idx[e] = in->col_idx[k] - c0;
                out->vals[e++] = in->vals[k];
            }
        out->row_ptr[r + 1] = (int)e;
    }
    return AR_OK;
}

static ar_status copy_floats(const float *src, size_t n, float **dst) {
    *dst = NULL;
    if (n == 0) return AR_OK;
    *dst = malloc(n * sizeof **dst);
    if (!*dst) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory slicing the cold pairs");
    memcpy(*dst, src, n * sizeof **dst);
    return AR_OK;
}

ar_status ar_dataset_slice(const ar_dataset *ds, int c0, int c1, int with_cold,
                           ar_dataset **out) {
    *out = NULL;
    if (c0 < 0 || c1 > ds->n_cols || c0 >= c1)
        return ar_fail(AR_ERR_INVALID_ARG, "column slice %d..%d of a dataset of %d columns", c0,
                       c1, ds->n_cols);
    ar_dataset *s = calloc(1, sizeof *s);
    if (!s) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory slicing a dataset");
    *s = *ds; /* counts, scale, mean; every pointer replaced below */
    s->row_ids = NULL, s->col_ids = NULL, s->train_path = NULL, s->cold = NULL;
    s->valid_cold = NULL, s->share = NULL;
    memset(&s->train, 0, sizeof s->train);
    memset(&s->test, 0, sizeof s->test);
    memset(&s->valid, 0, sizeof s->valid);
    s->n_cols = c1 - c0;
    s->n_cold = with_cold ? ds->n_cold : 0;
    s->n_valid_cold = with_cold ? ds->n_valid_cold : 0;
    ar_status st = AR_OK;
    s->row_ids = malloc((size_t)ds->n_rows * sizeof *s->row_ids);
    s->col_ids = malloc((size_t)s->n_cols * sizeof *s->col_ids);
    if (!s->row_ids || !s->col_ids) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory slicing a dataset");
        goto cleanup;
    }
    memcpy(s->row_ids, ds->row_ids, (size_t)ds->n_rows * sizeof *s->row_ids);
    memcpy(s->col_ids, ds->col_ids + c0, (size_t)s->n_cols * sizeof *s->col_ids);
    AR_TRY(slice_csr(&ds->train, c0, c1, &s->train));
    AR_TRY(slice_csr(&ds->test, c0, c1, &s->test));
    AR_TRY(slice_csr(&ds->valid, c0, c1, &s->valid));
    AR_TRY(copy_floats(ds->cold, s->n_cold, &s->cold));
    AR_TRY(copy_floats(ds->valid_cold, s->n_valid_cold, &s->valid_cold));
cleanup:
    if (st != AR_OK) ar_dataset_free(s);
    else *out = s;
    return st;
}
