/* shard.c - a model sharded across devices by columns (ar_sharded; the design in model.h,
 * "sharding", and docs/scaling.md).
 *
 * Each shard is an ordinary ar_model over a column slice of the dataset (ar_dataset_slice) whose
 * `shard` field makes its step sum partials with the other shards (ar_shard_sum, through an
 * ar_reducer). All shards start from the whole model's initial parameters (drawn once, sliced),
 * share the whole model's bias baseline, draw the same dropout masks (keyed by the whole
 * model's element indices) and shuffle rows alike, so the shards stay in lockstep: the same
 * batches, the same sums, the same validation RMSE, hence the same stopping decisions. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "shard.h"


/* Shard s's layout (its columns' first and last layers). */
static void shard_layout(const ar_sharded *g, int s, ar_layout *L) {
    ar_layout_init(L, g->col[s + 1] - g->col[s], g->widths, g->n_hidden);
}

/* ---- the hooks of the training step ---------------------------------------------------- */

ar_status ar_shard_sum(ar_model *m, cl_mem buf, size_t n) {
    if (!m->shard) return AR_OK;
    ar_status st = AR_OK;
    AR_TRY(ar_read(m->ctx, buf, 0, n * sizeof(float), m->shard_host));
    AR_TRY(ar_reduce_sum(m->shard->red, m->shard->index, m->shard_host, n, 0));
    AR_TRY(ar_write(m->ctx, buf, 0, n * sizeof(float), m->shard_host));
cleanup:
    return st;
}

ar_status ar_shard_sum_host(ar_model *m, double *v, size_t n) {
    return m->shard ? ar_reduce_sum(m->shard->red, m->shard->index, v, n, 1) : AR_OK;
}

size_t ar_model_train_all(const ar_model *m) {
    return m->shard ? m->shard->n_train_all : (size_t)m->ds->train.row_ptr[m->ds->n_rows];
}

int ar_model_batch_ratings(const ar_model *m, const int *rows, int B) {
    const int *ptr = m->ds->train.row_ptr;
    int n = 0;
    for (int i = 0; i < B; i++)
        n += m->shard ? m->shard->row_nnz_all[rows[i]] : ptr[rows[i] + 1] - ptr[rows[i]];
    return n;
}

/* ---- where the columns go ------------------------------------------------------------------- */

/* The whole dataset's columns split by their training ratings (ar_split_columns): the ratings
 * are what the sparse products' time follows. */
static void split_columns(const ar_dataset *ds, int n, const double *w, int *col) {
    const int U = ds->n_cols;
    size_t *per = calloc((size_t)U, sizeof *per);
    const ar_csr *t = &ds->train;
    const size_t nnz = (size_t)t->row_ptr[t->rows];
    if (per)
        for (size_t k = 0; k < nnz; k++) per[t->col_idx[k]]++;
    ar_split_columns(per, U, n, w, col);
    free(per);
}

/* ---- slices of the parameters -------------------------------------------------------------- */

/* Calls fn for every contiguous piece of a shard's parameter buffer (layout S, its first column
 * c0) with the matching offset in the whole model's (W); replicated: the piece is the whole
 * model's own (hidden layers, the first layer's bias) rather than a column slice of it. */
typedef void (*piece_fn)(size_t whole, size_t part, size_t n, int replicated, void *arg);
static void each_piece(const ar_layout *W, const ar_layout *S, int c0, piece_fn fn, void *arg) {
    const int nh = W->n_hidden, H1 = W->dim[1], HL = W->dim[nh];
    fn(W->off_w[0] + (size_t)c0 * H1, S->off_w[0], (size_t)S->U * H1, 0, arg); /* V^T (U, H1) */
    for (int k = 1; k < nh; k++)
        fn(W->off_w[k], S->off_w[k], (size_t)W->dim[k + 1] * W->dim[k], 1, arg);
    fn(W->off_w[nh] + (size_t)c0 * HL, S->off_w[nh], (size_t)S->U * HL, 0, arg); /* W (U, HL) */
    for (int k = 0; k < nh; k++) fn(W->off_bias[k], S->off_bias[k], (size_t)W->dim[k + 1], 1, arg);
    fn(W->off_bias[nh] + (size_t)c0, S->off_bias[nh], (size_t)S->U, 0, arg); /* b (U) */
}

typedef struct {
    float *whole[3], *part[3];    /* params, Adam m, Adam v */
    int to_whole, take_replicated;
} copy_job;

static void copy_piece(size_t whole, size_t part, size_t n, int replicated, void *arg) {
    copy_job *j = arg;
    if (j->to_whole && replicated && !j->take_replicated) return;
    for (int b = 0; b < 3; b++) {
        if (!j->whole[b] || !j->part[b]) continue;
        if (j->to_whole) memcpy(j->whole[b] + whole, j->part[b] + part, n * sizeof(float));
        else memcpy(j->part[b] + part, j->whole[b] + whole, n * sizeof(float));
    }
}

/* Three host buffers of n floats (zeroed). */
static ar_status alloc3(float **b, size_t n) {
    for (int k = 0; k < 3; k++) b[k] = calloc(n ? n : 1, sizeof(float));
    if (b[0] && b[1] && b[2]) return AR_OK;
    return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory (3 x %zu bytes) for a sharded "
                   "model's state", n * sizeof(float));
}

static void free3(float **b) {
    for (int k = 0; k < 3; k++) free(b[k]), b[k] = NULL;
}

/* The whole model's starting state, when it is not drawn from the seed: a model file's. */
typedef struct {
    const float *params, *m, *v;  /* (n_params) each */
    const float *baseline;        /* (1 + I + U), NULL: fitted */
    int epoch;
    uint32_t step;
} start_state;

/* The whole model's initial parameters drawn in layout order (ar_init_params' sequence), a
 * chunk at a time: the shards' slices are copied out of each chunk, so that no process ever
 * holds the whole model. */
typedef struct {
    const ar_layout *L;
    ar_rng rng;
    int k;                        /* the tensor being drawn: weights 0..nh, then biases */
    size_t left;                  /* its values still to draw */
} init_stream;

static void init_begin(init_stream *z, const ar_layout *L, uint64_t seed) {
    *z = (init_stream){.L = L, .rng = {seed * 0x9E3779B97F4A7C15ull + 1}, .k = 0,
                       .left = (size_t)L->dim[1] * L->dim[0]};
}

/* The next n values into out. */
static void init_next(init_stream *z, float *out, size_t n) {
    const ar_layout *L = z->L;
    const int nh = L->n_hidden;
    for (size_t i = 0; i < n; i++) {
        while (z->left == 0) { /* the next tensor: weights, then biases, as ar_init_params */
            z->k++;
            const int l = z->k <= nh ? z->k : z->k - nh - 1;
            z->left = z->k <= nh ? (size_t)L->dim[l + 1] * L->dim[l] : (size_t)L->dim[l + 1];
        }
        const int l = z->k <= nh ? z->k : z->k - nh - 1;
        out[i] = (1.0f / sqrtf((float)L->dim[l])) * (float)(2 * ar_rng_uniform(&z->rng) - 1);
        z->left--;
    }
}

/* Writes the part of every piece of a shard that lies in whole[a, a + n) (chunk: those values)
 * into its parameters on its device. */
typedef struct {
    const float *chunk;
    size_t a, n;
    ar_model *m;
    ar_status st;
} chunk_job;

static void chunk_piece(size_t whole, size_t part, size_t n, int replicated, void *arg) {
    (void)replicated;
    chunk_job *j = arg;
    size_t lo = whole > j->a ? whole : j->a, hi = whole + n < j->a + j->n ? whole + n : j->a + j->n;
    if (lo < hi && j->st == AR_OK)
        j->st = ar_model_io(j->m, j->m->params, part + (lo - whole), hi - lo,
                            (float *)j->chunk + (lo - j->a), 1);
}

/* Every local shard's start from the seed: the whole model's initial parameters drawn a chunk
 * at a time, each shard's pieces written to its device as they come (no shard's parameters are
 * ever whole on the host); the moments and counters are a new model's, zero. */
static ar_status start_drawn(ar_sharded *g) {
    const size_t CH = (size_t)1 << 20;
    float *chunk = malloc(CH * sizeof *chunk);
    if (!chunk) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for the initial weights");
    init_stream z;
    init_begin(&z, &g->L, g->cfg.seed);
    ar_status st = AR_OK;
    for (size_t a = 0; a < g->L.n_params && st == AR_OK; a += CH) {
        const size_t n = g->L.n_params - a < CH ? g->L.n_params - a : CH;
        init_next(&z, chunk, n);
        for (int s = g->first; s < g->first + g->n_local && st == AR_OK; s++) {
            chunk_job j = {chunk, a, n, g->m[s], AR_OK};
            each_piece(&g->L, ar_model_layout(g->m[s]), g->col[s], chunk_piece, &j);
            st = j.st;
        }
    }
    free(chunk);
    return st;
}

/* Every local shard's start: its slice of the file's state (from), or of the initial
 * parameters drawn from the seed (start_drawn), with the counters. */
static ar_status start_shards(ar_sharded *g, const start_state *from) {
    if (!from) return start_drawn(g);
    const int f = g->first, e = g->first + g->n_local;
    float *parts[AR_MAX_SHARDS][3] = {{NULL}};
    ar_status st = AR_OK;
    for (int s = f; s < e; s++) AR_TRY(alloc3(parts[s], ar_model_layout(g->m[s])->n_params));
    for (int s = f; s < e; s++) {
        copy_job j = {.whole = {(float *)from->params, (float *)from->m, (float *)from->v},
                      .part = {parts[s][0], parts[s][1], parts[s][2]}, .to_whole = 0};
        each_piece(&g->L, ar_model_layout(g->m[s]), g->col[s], copy_piece, &j);
    }
    for (int s = f; s < e; s++)
        AR_TRY(ar_model_state(g->m[s], parts[s][0], parts[s][1], parts[s][2], from->epoch,
                              from->step, 1));
cleanup:
    for (int s = f; s < e; s++) free3(parts[s]);
    return st;
}

/* ---- creation ------------------------------------------------------------------------------- */

static ar_status check_args(int n, const double *weights, const ar_dataset *ds,
                            const ar_train_config *cfg) {
    if (n < 1 || n > AR_MAX_SHARDS)
        return ar_fail(AR_ERR_INVALID_ARG, "a sharded model has 1..%d shards, not %d",
                       AR_MAX_SHARDS, n);
    ar_status bad = ar_shard_weights_check(n, weights, ds->n_cols);
    if (bad != AR_OK) return bad;
    if (cfg->kernels == AR_KERNELS_DENSE)
        return ar_fail(AR_ERR_INVALID_ARG, "ar_train_config.kernels: a sharded model runs the "
                       "sparse kernels (auto or sparse), not dense");
    return ar_train_config_validate(cfg);
}

/* The whole dataset's bias baseline as a model file stores it (mu, b_row, b_col). */
static ar_status fit_baseline(ar_sharded *g) {
    const ar_dataset *ds = g->ds;
    if (g->cfg.center == AR_CENTER_NONE) return AR_OK;
    ar_baseline_config bc;
    ar_baseline_config_default(&bc);
    double *b_row = NULL, *b_col = NULL;
    ar_status st = ar_bias_fit_sum(ds, &bc, ar_sharded_share_sum, g, &b_row, &b_col);
    if (st != AR_OK) return st;
    g->baseline = malloc((1 + (size_t)ds->n_rows + (size_t)ds->n_cols) * sizeof *g->baseline);
    if (g->baseline) {
        g->baseline[0] = (float)ds->train_mean;
        for (int r = 0; r < ds->n_rows; r++) g->baseline[1 + r] = (float)b_row[r];
        for (int c = 0; c < ds->n_cols; c++) g->baseline[1 + ds->n_rows + c] = (float)b_col[c];
    } else {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for the bias baseline");
    }
    free(b_row);
    free(b_col);
    return st;
}

/* Shard s: its slice, its model on its context, its share of the whole baseline. */
static ar_status create_shard(ar_sharded *g, int s) {
    const ar_dataset *ds = g->ds;
    const int c0 = g->col[s], c1 = g->col[s + 1], I = ds->n_rows;
    ar_status st = ar_dataset_slice(ds, c0, c1, s == 0, &g->slice[s]);
    float *base = NULL;
    if (st == AR_OK && g->baseline) {
        base = malloc((1 + (size_t)I + (size_t)(c1 - c0)) * sizeof *base);
        if (!base) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for a baseline");
        memcpy(base, g->baseline, (1 + (size_t)I) * sizeof *base);
        memcpy(base + 1 + I, g->baseline + 1 + I + c0, (size_t)(c1 - c0) * sizeof *base);
    }
    if (st == AR_OK) st = ar_model_create_with(g->ctx[s], g->slice[s], &g->cfg, base, &g->m[s]);
    free(base);
    if (st != AR_OK)
        return ar_fail(st, "shard %d on %s (columns %d..%d): %s", s, g->ctx[s]->info.name, c0,
                       c1 - 1, ar_last_error());
    ar_model *m = g->m[s];
    g->info[s] = (ar_shard_info){.red = g->red, .index = s, .n_shards = g->n, .col_base = c0,
                                 .cols_all = ds->n_cols,
                                 .n_train_all = ar_dataset_n_train(ds),
                                 .row_nnz_all = g->row_nnz};
    m->shard = &g->info[s];
    int H = 0;
    for (int k = 1; k <= m->L.n_hidden; k++) H = m->L.dim[k] > H ? m->L.dim[k] : H;
    m->shard_host = malloc((size_t)m->B * (size_t)H * sizeof *m->shard_host);
    if (!m->shard_host) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for a shard");
    return AR_OK;
}


/* Where the shards run: n in all, this process's first .. first + n_local - 1 on ctxs (one
 * each), summing through red (owned from here on, freed on failure too). */
typedef struct {
    ar_ctx *const *ctxs;
    int n, first, n_local;
    ar_reducer *red;
} placement;

static ar_status create(const placement *pl, const double *weights, const ar_dataset *ds,
                        const ar_train_config *cfg, const start_state *from, ar_sharded **out);

/* The configuration a model file trains with, and its state, for create. */
static ar_status from_file(const ar_dataset *ds, const ar_checkpoint *ck,
                           const ar_train_config *cfg, ar_train_config *eff, start_state *from) {
    ar_status st = ar_checkpoint_check(ds, ck, cfg, eff);
    *from = (start_state){ck->params, ck->m, ck->v, ck->baseline, ck->epoch, ck->step};
    return st;
}

ar_status ar_sharded_create(ar_ctx *const *ctxs, int n, const double *weights,
                            const ar_dataset *ds, const ar_train_config *cfg, ar_sharded **out) {
    *out = NULL;
    placement pl = {ctxs, n, 0, n, NULL};
    ar_status st = n >= 1 && n <= AR_MAX_SHARDS ? ar_reducer_local(n, &pl.red) : AR_OK;
    return st == AR_OK ? create(&pl, weights, ds, cfg, NULL, out) : st;
}

ar_status ar_sharded_create_from(ar_ctx *const *ctxs, int n, const double *weights,
                                 const ar_dataset *ds, const ar_checkpoint *ck,
                                 const ar_train_config *cfg, ar_sharded **out) {
    *out = NULL;
    ar_train_config eff;
    start_state from;
    ar_status st = from_file(ds, ck, cfg, &eff, &from);
    placement pl = {ctxs, n, 0, n, NULL};
    if (st == AR_OK && n >= 1 && n <= AR_MAX_SHARDS) st = ar_reducer_local(n, &pl.red);
    return st == AR_OK ? create(&pl, weights, ds, &eff, &from, out) : st;
}

ar_status ar_sharded_create_mpi(ar_ctx *ctx, const double *weights, const ar_dataset *ds,
                                const ar_train_config *cfg, const ar_checkpoint *ck,
                                ar_sharded **out) {
    *out = NULL;
    ar_train_config eff = *cfg;
    start_state from;
    ar_status st = ck ? from_file(ds, ck, cfg, &eff, &from) : AR_OK;
    placement pl = {&ctx, 0, 0, 1, NULL};
    if (st == AR_OK) st = ar_reducer_mpi(&pl.red);
    if (st != AR_OK) return st;
    pl.n = pl.red->n_ranks, pl.first = pl.red->rank;
    return create(&pl, weights, ds, &eff, ck ? &from : NULL, out);
}

/* The columns' split, the training ratings per row and per shard, from the whole dataset... */
static void columns_of_whole(ar_sharded *g, const ar_dataset *ds, const double *weights) {
    split_columns(ds, g->n, weights, g->col);
    for (int r = 0; r < ds->n_rows; r++)
        g->row_nnz[r] = ds->train.row_ptr[r + 1] - ds->train.row_ptr[r];
    for (size_t k = 0, s = 0; k < (size_t)ds->train.row_ptr[ds->n_rows]; k++) {
        for (s = 0; ds->train.col_idx[k] >= g->col[s + 1]; s++) {}
        g->n_train[s]++;
    }
}

/* ... or as the share of this process's shard recorded them (the split made with the weights
 * the share was built with). */
static ar_status columns_of_share(ar_sharded *g, const ar_share *sh) {
    if (sh->n != g->n || g->n_local != 1 || sh->index != g->first)
        return ar_fail(AR_ERR_INVALID_ARG, "the dataset is shard %d of %d's share, the model "
                       "here shard %d of %d's: one process, one share", sh->index, sh->n,
                       g->first, g->n);
    memcpy(g->col, sh->col, ((size_t)g->n + 1) * sizeof *g->col);
    memcpy(g->n_train, sh->n_train, (size_t)g->n * sizeof *g->n_train);
    memcpy(g->row_nnz, sh->row_nnz, (size_t)g->ds->n_rows * sizeof *g->row_nnz);
    return AR_OK;
}

static ar_status create(const placement *pl, const double *weights, const ar_dataset *ds,
                        const ar_train_config *cfg, const start_state *from, ar_sharded **out) {
    *out = NULL;
    const int n = pl->n;
    ar_status st = check_args(n, weights, ds, cfg);
    ar_sharded *g = st == AR_OK ? calloc(1, sizeof *g) : NULL;
    if (!g) {
        ar_reducer_free(pl->red);
        return st != AR_OK ? st : ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    g->n = n, g->first = pl->first, g->n_local = pl->n_local, g->red = pl->red;
    g->ds = ds, g->cfg = *cfg;
    g->cfg.kernels = AR_KERNELS_SPARSE;
    for (int k = 0; k < g->n_local; k++) g->ctx[g->first + k] = pl->ctxs[k];
    g->n_hidden = ar_config_hidden(&g->cfg, g->widths);
    ar_layout_init(&g->L, ds->n_cols, g->widths, g->n_hidden);
    g->row_nnz = malloc((size_t)ds->n_rows * sizeof *g->row_nnz);
    if (!g->row_nnz) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for a sharded model");
        goto cleanup;
    }
    if (ds->share) AR_TRY(columns_of_share(g, ds->share));
    else columns_of_whole(g, ds, weights);
    if (from && from->baseline && g->cfg.center != AR_CENTER_NONE) {
        const size_t nb = 1 + (size_t)ds->n_rows + (size_t)ds->n_cols;
        if (!(g->baseline = malloc(nb * sizeof *g->baseline))) {
            st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for the bias baseline");
            goto cleanup;
        }
        memcpy(g->baseline, from->baseline, nb * sizeof *g->baseline);
    } else {
        AR_TRY(fit_baseline(g));
    }
    for (int s = g->first; s < g->first + g->n_local; s++) AR_TRY(create_shard(g, s));
    AR_TRY(start_shards(g, from));
cleanup:
    if (st != AR_OK) ar_sharded_free(g);
    else *out = g;
    return st;
}

/* ---- training: a thread per shard ---------------------------------------------------------- */

typedef struct {
    ar_sharded *g;
    int s;
    ar_epoch_callback cb;
    void *user;
    ar_train_result res;
    ar_status st;
    char msg[1024];
} shard_job;

static void *train_shard(void *arg) {
    shard_job *j = arg;
    j->st = ar_model_train(j->g->m[j->s], j->cb, j->user, &j->res);
    if (j->st != AR_OK) {
        snprintf(j->msg, sizeof j->msg, "%s", ar_last_error());
        ar_reduce_abort(j->g->red, j->s); /* the others stop at their next sum */
    }
    return NULL;
}

ar_status ar_sharded_train(ar_sharded *g, ar_epoch_callback cb, void *user,
                           ar_train_result *out) {
    shard_job jobs[AR_MAX_SHARDS];
    pthread_t threads[AR_MAX_SHARDS];
    int started[AR_MAX_SHARDS] = {0};
    const int f = g->first, e = g->first + g->n_local; /* this process's shards */
    for (int s = f; s < e; s++)
        jobs[s] = (shard_job){.g = g, .s = s, .cb = s == f ? cb : NULL, .user = user};
    for (int s = f + 1; s < e; s++) {
        started[s] = pthread_create(&threads[s], NULL, train_shard, &jobs[s]) == 0;
        if (!started[s]) {
            jobs[s].st = AR_ERR_OUT_OF_MEMORY;
            snprintf(jobs[s].msg, sizeof jobs[s].msg, "could not start a thread for shard %d", s);
            ar_reduce_abort(g->red, s);
        }
    }
    train_shard(&jobs[f]); /* the first here: the callback (and MPI) on the caller's thread */
    for (int s = f + 1; s < e; s++)
        if (started[s]) pthread_join(threads[s], NULL);
    int bad = -1; /* the first shard that failed on its own, else the first that failed */
    for (int s = f; s < e; s++)
        if (jobs[s].st != AR_OK && (bad < 0 || (jobs[bad].st == AR_ERR_PEER &&
                                                jobs[s].st != AR_ERR_PEER)))
            bad = s;
    if (bad >= 0) {
        if (g->n == 1) return ar_fail(jobs[bad].st, "%s", jobs[bad].msg);
        return ar_fail(jobs[bad].st, "shard %d of %d (%s): %s", bad, g->n,
                       g->ctx[bad]->info.name, jobs[bad].msg);
    }
    /* AR_CENTER_AUTO, try_lighter and try_tanh resolved: every shard chose alike (the same
     * summed validation errors) */
    g->cfg.center = g->m[f]->cfg.center;
    g->cfg.l2 = g->m[f]->cfg.l2, g->cfg.dropout = g->m[f]->cfg.dropout;
    g->cfg.lr = g->m[f]->cfg.lr, g->cfg.activation = g->m[f]->cfg.activation;
    g->cfg.try_lighter = g->cfg.try_tanh = 0;
    if (out) *out = jobs[f].res;
    return AR_OK;
}

/* ---- the whole model ------------------------------------------------------------------------ */

/* Shard s's state into part (3 buffers of its n_params): read from its model when it is this
 * process's, else received from its rank (MPI); a rank other than 0 sends its own instead. */
static ar_status shard_state(ar_sharded *g, int s, float **part, size_t n) {
    const int local = s >= g->first && s < g->first + g->n_local;
    if (local && g->red->rank == 0)
        return ar_model_state(g->m[s], part[0], part[1], part[2], 0, 0, 0);
    ar_status st = AR_OK;
    if (local) AR_TRY(ar_model_state(g->m[s], part[0], part[1], part[2], 0, 0, 0));
    for (int b = 0; b < 3; b++) AR_TRY(g->red->ops->move(g->red, local ? 0 : s, part[b], n, local));
cleanup:
    return st;
}

static ar_status released(const char *what) {
    return ar_fail(AR_ERR_INVALID_ARG, "%s needs the whole dataset, which this process released "
                   "(ar_sharded_release_data) or never held (ar_dataset_create_share)", what);
}

ar_status ar_sharded_gather(ar_sharded *g, ar_ctx *ctx, ar_model **out) {
    *out = NULL;
    if ((!g->ds || g->ds->share) && g->red->rank == 0) return released("gathering the model");
    ar_model *m = NULL;
    float *whole[3] = {NULL, NULL, NULL};
    copy_job j = {.to_whole = 1};
    const int root = g->red->rank == 0;
    ar_status st = AR_OK;
    if (!root) { /* MPI, another rank: its shard goes to rank 0 */
        ar_layout L;
        shard_layout(g, g->first, &L);
        AR_TRY(alloc3(j.part, L.n_params));
        AR_TRY(shard_state(g, g->first, j.part, L.n_params));
        goto cleanup;
    }
    AR_TRY(ar_model_create_with(ctx, g->ds, &g->cfg, g->baseline, &m));
    AR_TRY(alloc3(whole, g->L.n_params));
    for (int s = 0; s < g->n; s++) {
        ar_layout L;
        shard_layout(g, s, &L);
        free3(j.part);
        AR_TRY(alloc3(j.part, L.n_params));
        AR_TRY(shard_state(g, s, j.part, L.n_params));
        for (int b = 0; b < 3; b++) j.whole[b] = whole[b];
        j.take_replicated = s == 0;
        each_piece(&g->L, &L, g->col[s], copy_piece, &j);
    }
    int epoch;
    uint32_t step;
    ar_model_counters(g->m[g->first], &epoch, &step);
    AR_TRY(ar_model_state(m, whole[0], whole[1], whole[2], epoch, step, 1));
cleanup:
    free3(j.part);
    free3(whole);
    if (st != AR_OK) ar_model_free(m);
    else *out = m;
    return st;
}

int ar_sharded_count(const ar_sharded *g) { return g->n; }

void ar_sharded_release_data(ar_sharded *g) {
    /* a share's ratings are its slice's too: only its ids and counts are kept, for the model
     * file (without them, what still needs the dataset checks and fails) */
    if (g->ds && g->ds->share && !g->head) g->head = ar_share_head(g->ds);
    g->ds = g->head;
}

ar_model *ar_sharded_model(ar_sharded *g, int shard) {
    return shard >= g->first && shard < g->first + g->n_local ? g->m[shard] : NULL;
}

int ar_sharded_first_local(const ar_sharded *g, int *n_local) {
    if (n_local) *n_local = g->n_local;
    return g->first;
}

void ar_sharded_shard_stats(const ar_sharded *g, int s, ar_shard_stats *o) {
    *o = (ar_shard_stats){.first_col = g->col[s], .n_cols = g->col[s + 1] - g->col[s],
                          .n_train = g->n_train[s]};
    if (!g->m[s]) return; /* another process's: its columns and their ratings */
    /* the training ratings its process holds: the whole dataset's, else (a share, or once
     * released) its slice's */
    const ar_dataset *held = g->ds && !g->ds->share ? g->ds : g->slice[s];
    o->ratings_loaded = (size_t)held->train.row_ptr[held->n_rows];
    const ar_reduce_stats *r = &g->red->stats[s];
    o->device_bytes = ar_model_device_bytes(g->m[s]);
    o->reduce_seconds = r->seconds, o->reduce_bytes = r->bytes, o->reduce_calls = r->calls;
}

void ar_sharded_free(ar_sharded *g) {
    if (!g) return;
    for (int s = g->first; s < g->first + g->n_local; s++) {
        ar_model_free(g->m[s]);
        ar_dataset_free(g->slice[s]);
    }
    ar_reducer_free(g->red);
    ar_dataset_free(g->head);
    free(g->row_nnz);
    free(g->baseline);
    free(g);
}

/* ---- saving: the model file written piece by piece ------------------------------------- */

/* The whole layout's tensors in order (weights 0..nh, then biases 0..nh), each as the pieces the
 * shards hold: a column-split tensor (the first and last layers' weights, the last bias) one
 * piece per shard in shard order, a replicated one shard 0's copy. fn(shard, offset in the
 * shard's buffer, count). */
typedef ar_status (*segment_fn)(ar_sharded *g, int s, size_t off, size_t n, void *arg);
static ar_status each_segment(ar_sharded *g, segment_fn fn, void *arg) {
    const int nh = g->L.n_hidden;
    ar_status st = AR_OK;
    for (int t = 0; t < 2 * (nh + 1) && st == AR_OK; t++) {
        const int bias = t > nh, k = bias ? t - nh - 1 : t;
        const int split = bias ? k == nh : (k == 0 || k == nh);
        for (int s = 0; s < (split ? g->n : 1) && st == AR_OK; s++) {
            ar_layout L;
            shard_layout(g, s, &L);
            const size_t n = bias ? (size_t)L.dim[k + 1] : (size_t)L.dim[k + 1] * L.dim[k];
            st = fn(g, s, bias ? L.off_bias[k] : L.off_w[k], n, arg);
        }
    }
    return st;
}

enum { SAVE_CHUNK = 1 << 22 }; /* floats per transfer: 16 MB */

typedef struct {
    ar_sharded *g;
    int which;                    /* 0: parameters, 1, 2: Adam's moments */
    float *buf;                   /* (SAVE_CHUNK) */
    ar_status (*put)(void *w, const void *p, size_t n);
    void *w;                      /* rank 0: the writer; other ranks: NULL (they send) */
} save_job;

static cl_mem state_buffer(const ar_model *m, int which) {
    return which == 0 ? m->params : which == 1 ? m->m : m->v;
}

/* One piece, chunk by chunk: rank 0 writes it (read from its device, or received from the rank
 * that holds it); the rank that holds it, if not 0, reads and sends it. */
static ar_status save_segment(ar_sharded *g, int s, size_t off, size_t n, void *arg) {
    save_job *j = arg;
    const int local = s >= g->first && s < g->first + g->n_local, root = g->red->rank == 0;
    if (!root && !local) return AR_OK;
    ar_status st = AR_OK;
    for (size_t a = 0; a < n && st == AR_OK; a += SAVE_CHUNK) {
        const size_t c = n - a < SAVE_CHUNK ? n - a : SAVE_CHUNK;
        if (local)
            st = ar_model_io(g->m[s], state_buffer(g->m[s], j->which), off + a, c, j->buf, 0);
        if (st == AR_OK && local != root) /* MPI: to rank 0, or from shard s's rank */
            st = g->red->ops->move(g->red, root ? s : 0, j->buf, c, !root);
        if (st == AR_OK && root) st = j->put(j->w, j->buf, c * sizeof(float));
    }
    return st;
}

static ar_status save_state(void *arg, int which, ar_status (*put)(void *, const void *, size_t),
                            void *w) {
    save_job *j = arg;
    j->which = which, j->put = put, j->w = w;
    return each_segment(j->g, save_segment, j);
}

/* The model file's training ratings from the ranks' shares (ar_ckpt_source.ratings). */
static ar_status put_share_ratings(void *arg, ar_status (*put)(void *, const void *, size_t),
                                   void *w) {
    return ar_sharded_put_ratings(((save_job *)arg)->g, put, w);
}

ar_status ar_sharded_save(ar_sharded *g, const char *path) {
    save_job j = {.g = g, .buf = malloc(SAVE_CHUNK * sizeof(float))};
    if (!j.buf) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    ar_status st = AR_OK;
    if (g->red->rank != 0) { /* MPI: this rank's pieces to rank 0, in the file's order */
        if (g->ds && g->ds->share) st = ar_sharded_send_ratings(g);
        for (int which = 0; which < 3 && st == AR_OK; which++) {
            j.which = which;
            st = each_segment(g, save_segment, &j);
        }
        free(j.buf);
        return st;
    }
    const ar_model *m0 = g->m[g->first];
    const ar_dataset *ds = g->ds;
    if (!ds) {
        free(j.buf);
        return released("writing the model file");
    }
    float *zeros = g->baseline ? NULL : calloc((size_t)ds->n_rows + ds->n_cols + 1, sizeof *zeros);
    const float *base = g->baseline ? g->baseline : zeros;
    ar_ckpt_source src = {.cfg = &g->cfg, .ds = ds, .lo = m0->lo, .hi = m0->hi, .def = m0->def,
                          .n_params = g->L.n_params, .mu = base ? base[0] : 0,
                          .b_row = base ? base + 1 : NULL,
                          .b_col = base ? base + 1 + ds->n_rows : NULL, .state = save_state,
                          .ratings = ds->share ? put_share_ratings : NULL, .arg = &j};
    ar_model_counters(m0, &src.epoch, &src.step);
    st = base ? ar_checkpoint_write(path, &src)
              : ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    free(zeros);
    free(j.buf);
    return st;
}
