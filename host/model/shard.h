/* shard.h - the sharded model's state (struct ar_sharded), shared by shard.c (creation,
 * training, the model file's weights) and shard_share.c (what a process that holds only its
 * dataset's share needs of the others: the baselines' sums, the training ratings gathered for
 * the model file); private to host/model/. */
#ifndef AR_SHARD_H
#define AR_SHARD_H

#include "internal.h"

struct ar_sharded {
    int n;                        /* shards in all */
    int first, n_local;           /* this process's: first .. first + n_local - 1 (in process:
                                     all of them; MPI: its rank's) */
    const ar_dataset *ds;         /* the whole dataset, or this process's share (borrowed) */
    ar_train_config cfg;
    ar_layout L;                  /* the whole model's layout */
    int col[AR_MAX_SHARDS + 1];   /* shard s owns columns col[s] .. col[s+1]-1 */
    ar_ctx *ctx[AR_MAX_SHARDS];   /* borrowed; the local shards' */
    ar_dataset *slice[AR_MAX_SHARDS];  /* the local shards' */
    ar_model *m[AR_MAX_SHARDS];        /* the local shards' */
    ar_shard_info info[AR_MAX_SHARDS];
    int *row_nnz;                 /* (I) training ratings per row, every column */
    size_t n_train[AR_MAX_SHARDS];/* training ratings of each shard's columns */
    float *baseline;              /* (1 + I + U) mu, b_row, b_col; NULL without centering */
    ar_reducer *red;
    int widths[AR_MAX_HIDDEN_LAYERS], n_hidden;
    ar_dataset *head;             /* a share once released: its ids and counts, no ratings (the
                                     slice holds them), what the model file needs; owned */
};

/* An ar_share_sum across the shards (arg: the ar_sharded), not counted in the training's
 * statistics. */
ar_status ar_sharded_share_sum(void *arg, double *v, size_t n);
/* The model file's training ratings (users, items, ratings, in CSR order), gathered from the
 * ranks' shares (rank 0: written through put; ar_ckpt_source.ratings), and the other ranks'
 * side of it: their shares' ratings sent to rank 0, in the same order. */
ar_status ar_sharded_put_ratings(ar_sharded *g, ar_status (*put)(void *w, const void *p, size_t n),
                                 void *w);
ar_status ar_sharded_send_ratings(ar_sharded *g);
/* A share's ids and counts, copied for g->head (ar_sharded_release_data); NULL when out of
 * memory. */
ar_dataset *ar_share_head(const ar_dataset *ds);

#endif
