/* data.h - rating lists, sparse matrices and datasets as the library holds them (not installed).
 * Defined in host/data/; read by the model and the tests. */
#ifndef AR_DATA_H
#define AR_DATA_H

#include "core/core.h"

/* ---- data (ratings.c, dups.c, csr.c, dataset.c) --------------------------------------------  */
#define AR_MAX_ID 2147483647LL /* dense indices and CSR offsets are 32-bit on the device */
struct ar_ratings {
    size_t n, cap;
    int32_t *user;            /* (n) raw user ids, 0..2^31-1 */
    int32_t *item;            /* (n) raw item ids */
    float *rating;            /* (n) */
    int32_t *line;            /* (n) source line (0 when not from a file) */
    char *path;               /* source file, for messages (may be NULL) */
    ar_format format;         /* the format it was read in */
    size_t skipped;           /* malformed lines skipped (skip_bad) */
    char *first_skip;         /* the first skipped line's message, or NULL */
    size_t merged;            /* repeated pairs merged into one rating (ar_duplicates) */
    char *first_merge;        /* the first repeat's message, or NULL */
};
/* An empty ratings list named path (may be NULL); NULL and AR_ERR_OUT_OF_MEMORY recorded. */
ar_ratings *ar_ratings_new_internal(const char *path);
/* AR_OK when how is an ar_duplicates value, else AR_ERR_INVALID_ARG naming the setting. */
ar_status ar_duplicates_check(ar_duplicates how);
/* Allocates the arrays of an empty list for exactly n ratings (n may be 0). */
ar_status ar_ratings_alloc(ar_ratings *r, size_t n);

/* Compressed sparse rows: row r holds col_idx/vals[row_ptr[r] .. row_ptr[r+1]). */
typedef struct ar_csr {
    int rows, cols;
    int *row_ptr;             /* (rows + 1) */
    int *col_idx;             /* (nnz) sorted within each row */
    float *vals;              /* (nnz) */
} ar_csr;
void ar_csr_free(ar_csr *m);

/* The model's rows are items (I-AutoRec: an item's ratings by all users are one input) or
 * users (U-AutoRec); "I" and "U" in shape comments are rows and columns either way. */
struct ar_dataset {
    ar_rows rows_are;         /* AR_ROWS_ITEMS or AR_ROWS_USERS */
    int n_rows, n_cols;       /* I, U: dense ids 0..I-1, 0..U-1 from the training set */
    int64_t *row_ids;         /* (I) raw id of each dense row */
    int64_t *col_ids;         /* (U) raw id of each dense column */
    ar_csr train;             /* (I, U) training ratings by row */
    ar_csr test;              /* (I, U) scoreable test ratings by row */
    size_t n_test_all;        /* test ratings including cold ones */
    float *cold;              /* (n_cold) ratings of test pairs with an unseen user or item */
    size_t n_cold;
    ar_csr valid;             /* (I, U) scoreable validation ratings by row (nnz 0 without a set) */
    size_t n_valid_all;       /* validation ratings including cold ones */
    float *valid_cold;        /* (n_valid_cold) validation ratings with an unseen user or item */
    size_t n_valid_cold;
    float rating_min, rating_max;
    double train_mean;
    char *train_path;         /* the training ratings' file, or NULL */
    struct ar_share *share;   /* NULL: the whole dataset; else a shard's share (share.c) */
};

/* ---- a shard's share (share.c) --------------------------------------------------------------
 * Under MPI each rank builds only its share of the dataset (ar_dataset_create_share): every row
 * and column, their ids, the whole dataset's scale, mean and counts (n_test_all, n_valid_all),
 * but only the ratings of its own contiguous columns (col_idx stays the whole dataset's
 * numbering), and the cold pairs on shard 0 alone. The split of the columns follows the whole
 * training set's counts per column and the weights, as ar_split_columns. */
typedef struct ar_share {
    int n, index;                     /* shards in all; this one */
    int col[AR_MAX_SHARDS + 1];       /* shard s owns columns col[s] .. col[s+1]-1 */
    size_t n_train[AR_MAX_SHARDS];    /* training ratings in each shard's columns */
    size_t n_train_all;               /* in every column */
    int *row_nnz;                     /* (rows) training ratings per row, every column */
} ar_share;
/* Contiguous column ranges (col: n + 1 bounds) whose ratings (per: U counts) are in proportion
 * to the weights (NULL: equal), each range at least one column. */
void ar_split_columns(const size_t *per, int U, int n, const double *w, int *col);
/* The training ratings of the whole dataset, in every column (a share's too). */
size_t ar_dataset_n_train(const ar_dataset *ds);

/* ---- column slices (slice.c) ----------------------------------------------------------------
 * The columns [c0, c1) of ds (renumbered from 0) with every row, the ratings in them, and ds's
 * counts (n_test_all, n_valid_all), scale and training mean; the cold pairs when with_cold (the
 * first shard of a sharded model), else none. A shard's dataset: its counts are the whole
 * model's, since what the shards sum is divided by them. */
ar_status ar_dataset_slice(const ar_dataset *ds, int c0, int c1, int with_cold,
                           ar_dataset **out);

/* ---- the rating scale (baselines.c) --------------------------------------------------------- */
/* The scale predictions are scored on from settings as in ar_train_config (min, max, def; NaN:
 * the training ratings' min / max and the middle): lo, hi and the default clamped into them. */
void ar_dataset_scale(const ar_dataset *ds, float min, float max, float def, float *lo,
                      float *hi, float *d);
/* AR_ERR_INVALID_ARG unless min and max are both NaN or finite with min < max, and def is NaN or
 * finite; messages name owner's fields ("ar_train_config.rating_min"). */
ar_status ar_scale_validate(const char *owner, float min, float max, float def);
/* The bias model of ar_dataset_baselines fitted on ds's training ratings: b_row (n_rows) and
 * b_col (n_cols), the biases of the rows and the columns (items and users, or users and items),
 * allocated here (the caller frees them); cfg is checked first (AR_ERR_INVALID_ARG naming the
 * field). A prediction is train_mean + b_row[r] + b_col[c]. */
ar_status ar_bias_fit(const ar_dataset *ds, const ar_baseline_config *cfg, double **b_row,
                      double **b_col);
/* Sums n doubles in place over every shard's share (an all-reduce), for the fits and scores
 * of a share (ds->share): each adds its columns' part, the sum makes the whole's. */
typedef ar_status (*ar_share_sum)(void *arg, double *v, size_t n);
/* ar_bias_fit and ar_dataset_baselines over a share: the row sums of each sweep and the
 * errors are summed across the shards through sum; b_col comes back whole (every column's).
 * On a whole dataset (ds->share NULL), sum is not called. */
ar_status ar_bias_fit_sum(const ar_dataset *ds, const ar_baseline_config *cfg,
                          ar_share_sum sum, void *arg, double **b_row, double **b_col);
ar_status ar_dataset_baselines_sum(const ar_dataset *ds, const ar_baseline_config *cfg,
                                   ar_share_sum sum, void *arg, ar_baselines *out);

/* The shard weights (NULL: equal; else n numbers > 0) and n <= n_cols, one column at least per
 * shard: AR_ERR_INVALID_ARG naming the bad one. Shared by shares and sharded models. */
ar_status ar_shard_weights_check(int n, const double *weights, int n_cols);

#endif /* AR_DATA_H */
