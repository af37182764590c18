/* share.c - what a shard of a model sharded by columns needs to know of the whole dataset when
 * it holds only its share (ar_dataset_create_share; dataset.c builds the share itself): the
 * columns' split, which follows the training ratings per column, and the training ratings per
 * row and per shard, which the shards' sums are divided by. */
#include <math.h>

#include "csr.h"

void ar_split_columns(const size_t *per, int U, int n, const double *w, int *col) {
    size_t nnz = 0;
    for (int c = 0; per && c < U; c++) nnz += per[c];
    double W = 0, share = 0;
    for (int s = 0; s < n; s++) W += w ? w[s] : 1.0;
    col[0] = 0;
    int c = 0;
    double cum = 0;
    for (int s = 1; s < n; s++) {
        share += w ? w[s - 1] : 1.0;
        const double target = (double)nnz * share / W;
        while (c < U - (n - s) && (c < col[s - 1] + 1 || cum + 0.5 * (per ? per[c] : 1) < target))
            cum += per ? (double)per[c] : 1.0, c++;
        col[s] = c;
    }
    col[n] = U;
}

size_t ar_dataset_n_train(const ar_dataset *ds) {
    return ds->share ? ds->share->n_train_all : (size_t)ds->train.row_ptr[ds->n_rows];
}

void ar_share_free(ar_share *sh) {
    if (!sh) return;
    free(sh->row_nnz);
    free(sh);
}

ar_status ar_shard_weights_check(int n, const double *weights, int n_cols) {
    for (int s = 0; weights && s < n; s++)
        if (!(isfinite(weights[s]) && weights[s] > 0))
            return ar_fail(AR_ERR_INVALID_ARG, "shard %d's weight must be a number > 0, got %g",
                           s, weights[s]);
    if (n_cols < n)
        return ar_fail(AR_ERR_INVALID_ARG, "%d shards for %d columns: each needs one", n, n_cols);
    return AR_OK;
}

ar_status ar_share_plan(ar_dataset *ds, const ar_ratings *train, const ar_idmap *um,
                        const ar_idmap *im, int n, const double *weights, int index) {
    ar_status bad = ar_shard_weights_check(n, weights, ds->n_cols);
    if (bad != AR_OK) return bad;
    ar_share *sh = calloc(1, sizeof *sh);
    size_t *per = calloc((size_t)ds->n_cols, sizeof *per);
    if (sh) sh->row_nnz = calloc((size_t)ds->n_rows, sizeof *sh->row_nnz);
    if (!sh || !per || !sh->row_nnz) {
        ar_share_free(sh);
        free(per);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for a dataset's share");
    }
    sh->n = n, sh->index = index, sh->n_train_all = train->n;
    for (size_t k = 0; k < train->n; k++) {
        per[ar_idmap_get(um, COL_KEY(ds, train)[k])]++;
        sh->row_nnz[ar_idmap_get(im, ROW_KEY(ds, train)[k])]++;
    }
    ar_split_columns(per, ds->n_cols, n, weights, sh->col);
    for (int s = 0; s < n; s++)
        for (int c = sh->col[s]; c < sh->col[s + 1]; c++) sh->n_train[s] += per[c];
    free(per);
    ds->share = sh;
    return AR_OK;
}
