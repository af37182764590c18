/* shard_share.c - a sharded model whose process holds only its dataset's share (MPI,
 * ar_dataset_create_share): the sums that make the whole dataset's baselines out of the
 * shares', and the training ratings of the model file gathered from the ranks a block of rows
 * at a time, so that no process holds them all. */
#include <stdlib.h>
#include <string.h>

#include "shard.h"

ar_status ar_sharded_share_sum(void *arg, double *v, size_t n) {
    ar_sharded *g = arg;
    return g->red->ops->sum(g->red, g->first, v, n, 1);
}

ar_status ar_sharded_baselines(ar_sharded *g, const ar_baseline_config *cfg,
                               ar_baselines *out) {
    if (!g->ds || g->ds == g->head)
        return ar_fail(AR_ERR_INVALID_ARG, "the baselines need the dataset, which this process "
                       "released (ar_sharded_release_data)");
    return ar_dataset_baselines_sum(g->ds, cfg, ar_sharded_share_sum, g, out);
}

/* ---- the training ratings, gathered -------------------------------------------------------- */

enum { BLOCK_RATINGS = 1 << 20 }; /* ratings of a block of rows, every shard's together */

/* A block of rows r0 .. r1-1, ratings in every shard's columns: every rank finds the same
 * blocks from the counts per row. */
typedef struct {
    int r0, r1;
    size_t n;
} block;

static block next_block(const ar_sharded *g, int r0) {
    block b = {r0, r0, 0};
    while (b.r1 < g->ds->n_rows &&
           (b.r1 == r0 || b.n + (size_t)g->row_nnz[b.r1] <= BLOCK_RATINGS))
        b.n += (size_t)g->row_nnz[b.r1++];
    return b;
}

/* This process's ratings in the block's rows (its shard's slice: its columns from c0): counts
 * per row into cnt, and into data the ratings' values (part 2) or the whole dataset's columns
 * (parts 0 and 1, the ids looked up by rank 0), as the floats' bits the transfers carry.
 * Returns how many. */
static size_t own_part(const ar_sharded *g, const block *b, int part, float *cnt, float *data) {
    const ar_csr *t = &g->slice[g->first]->train;
    const int32_t c0 = g->col[g->first];
    size_t n = 0;
    for (int r = b->r0; r < b->r1; r++) {
        const int32_t c = t->row_ptr[r + 1] - t->row_ptr[r];
        memcpy(&cnt[r - b->r0], &c, sizeof c);
        for (int k = t->row_ptr[r]; k < t->row_ptr[r + 1]; k++, n++) {
            const int32_t col = c0 + t->col_idx[k];
            if (part == 2) data[n] = t->vals[k];
            else memcpy(&data[n], &col, sizeof col);
        }
    }
    return n;
}

static int32_t bits(const float *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Buffers for a block: counts (rows x shards) and every shard's ratings one after another. */
typedef struct {
    float *cnt, *data;
    int32_t *out;             /* (BLOCK_RATINGS) what is written */
} gather_bufs;

static ar_status bufs_alloc(const ar_sharded *g, gather_bufs *x) {
    size_t rows = 1, most = BLOCK_RATINGS;
    for (int r = 0, r0 = 0; r0 < g->ds->n_rows; r0 = r) { /* the largest block */
        block b = next_block(g, r0);
        r = b.r1;
        if ((size_t)(b.r1 - b.r0) > rows) rows = (size_t)(b.r1 - b.r0);
        if (b.n > most) most = b.n;
    }
    x->cnt = malloc(rows * (size_t)g->n * sizeof *x->cnt);
    x->data = malloc(most * sizeof *x->data);
    x->out = malloc(BLOCK_RATINGS * sizeof *x->out);
    if (x->cnt && x->data && x->out) return AR_OK;
    return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory gathering the training ratings");
}

static void bufs_free(gather_bufs *x) {
    free(x->cnt);
    free(x->data);
    free(x->out);
}

/* Rank 0: the block's part in the file's order (row by row; in a row, shard 0's columns, then
 * shard 1's, ...: columns ascending), written through put. */
static ar_status write_block(ar_sharded *g, const block *b, int part, gather_bufs *x,
                             ar_status (*put)(void *, const void *, size_t), void *w) {
    const int rows = b->r1 - b->r0, by_user = g->ds->rows_are == AR_ROWS_USERS;
    size_t at[AR_MAX_SHARDS], n = own_part(g, b, part, x->cnt, x->data);
    ar_status st = AR_OK;
    at[0] = 0;
    for (int s = 1; s < g->n && st == AR_OK; s++) { /* shard s's counts, then its ratings */
        float *cnt = x->cnt + (size_t)s * rows;
        st = g->red->ops->move(g->red, s, cnt, (size_t)rows, 0);
        size_t m = 0;
        for (int r = 0; r < rows; r++) m += (size_t)bits(&cnt[r]);
        at[s] = n;
        if (st == AR_OK && n + m > b->n)
            st = ar_fail(AR_ERR_INVALID_ARG, "rank %d sent %zu training ratings for rows "
                         "%d..%d, which hold %zu in all", s, m, b->r0, b->r1 - 1, b->n);
        if (st == AR_OK) st = g->red->ops->move(g->red, s, x->data + n, m, 0);
        n += m;
    }
    size_t fill = 0;
    for (int r = 0; r < rows && st == AR_OK; r++)
        for (int s = 0; s < g->n && st == AR_OK; s++)
            for (int32_t k = 0; k < bits(&x->cnt[(size_t)s * rows + r]); k++) {
                const float *v = &x->data[at[s]++];
                const int row = b->r0 + r;
                if (part == 2) memcpy(&x->out[fill], v, sizeof *v);
                else x->out[fill] = (int32_t)((part == 0) == by_user ? g->ds->row_ids[row]
                                                                      : g->ds->col_ids[bits(v)]);
                if (++fill == BLOCK_RATINGS) st = put(w, x->out, fill * 4), fill = 0;
            }
    return st == AR_OK && fill ? put(w, x->out, fill * 4) : st;
}

/* Every block of every part, in the file's order: rank 0 writes, the others send. */
static ar_status each_block(ar_sharded *g, ar_status (*put)(void *, const void *, size_t),
                            void *w) {
    gather_bufs x = {0};
    ar_status st = bufs_alloc(g, &x);
    const int root = g->red->rank == 0;
    for (int part = 0; part < 3 && st == AR_OK; part++)
        for (int r0 = 0; r0 < g->ds->n_rows && st == AR_OK;) {
            block b = next_block(g, r0);
            if (root) {
                st = write_block(g, &b, part, &x, put, w);
            } else {
                size_t n = own_part(g, &b, part, x.cnt, x.data);
                st = g->red->ops->move(g->red, 0, x.cnt, (size_t)(b.r1 - b.r0), 1);
                if (st == AR_OK) st = g->red->ops->move(g->red, 0, x.data, n, 1);
            }
            r0 = b.r1;
        }
    bufs_free(&x);
    return st;
}

ar_status ar_sharded_put_ratings(ar_sharded *g, ar_status (*put)(void *w, const void *p, size_t n),
                                 void *w) {
    return each_block(g, put, w);
}

ar_status ar_sharded_send_ratings(ar_sharded *g) { return each_block(g, NULL, NULL); }

ar_dataset *ar_share_head(const ar_dataset *ds) {
    ar_dataset *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    *h = *ds; /* counts, scale, mean; the pointers copied or cleared below */
    memset(&h->train, 0, sizeof h->train);
    memset(&h->test, 0, sizeof h->test);
    memset(&h->valid, 0, sizeof h->valid);
    h->cold = h->valid_cold = NULL, h->n_cold = h->n_valid_cold = 0;
    h->row_ids = malloc((size_t)ds->n_rows * sizeof *h->row_ids);
    h->col_ids = malloc((size_t)ds->n_cols * sizeof *h->col_ids);
    h->train_path = ds->train_path ? strdup(ds->train_path) : NULL;
    h->share = malloc(sizeof *h->share);
    if (!h->row_ids || !h->col_ids || !h->share || (ds->train_path && !h->train_path)) {
        free(h->share);
        h->share = NULL;
        ar_dataset_free(h);
        return NULL;
    }
    memcpy(h->row_ids, ds->row_ids, (size_t)ds->n_rows * sizeof *h->row_ids);
    memcpy(h->col_ids, ds->col_ids, (size_t)ds->n_cols * sizeof *h->col_ids);
    *h->share = *ds->share;
    h->share->row_nnz = NULL; /* the model's own copy (row_nnz) serves */
    return h;
}
