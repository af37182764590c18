/* model.h - the model's internals shared by host/model/ and the tests (not installed).
 *
 * The model, I-AutoRec (U-AutoRec swaps rows and columns; "I" and "U" below are rows and
 * columns either way), on a batch of B rows:
 *   x   (B, U)  the batch's training ratings (0 = unobserved), input dropout applied
 *   a1 = g(x W0T + b0)        (B, H1)   W0T (U, H1): the paper's V, stored transposed, b0 = mu
 *   ad1 = dropout(a1)         (B, H1)
 *   ... the same for every further hidden layer k: a[k+1] = g(ad[k] Wk^T + bk)
 *   y  = f(ad_L WL^T + bL)    (B, U)    WL (U, H_L): the paper's W, bL = b
 *   loss = mean over the batch's observed (row, column) of (y - r)^2; L2 on every W in Adam
 * Two paths compute it: dense.c (densified batches, CLBlast GEMMs) and sparse.c (the first layer
 * from the observed ratings only, outputs only at observed positions). step.c runs one training
 * step by name (forward, backward, update) on either.
 */
#ifndef AR_MODEL_H
#define AR_MODEL_H

#include <stdatomic.h>

#include "core/core.h"
#include "data/data.h"

/* ---- the parameter layout (layout.c) --------------------------------------------------------
 * Where each tensor lives in the flat parameter (and gradient, and Adam m / v) buffer. The
 * weights of every layer come first, then the biases, so that L2 applies to one prefix
 * [0, n_decay). Layer l (0..n_hidden) maps dim[l] inputs to dim[l+1] outputs; its weight is
 * (dim[l+1], dim[l]) row-major, except the first layer's, which is stored transposed,
 * (dim[0], dim[1]) = (U, H): one contiguous row of H weights per input column, which is what
 * the sparse kernels walk (an observed rating at column u touches row u only). */
typedef struct ar_layout {
    int U;                    /* input and output width (users for I-AutoRec) */
    int n_hidden;             /* hidden layers, 1..AR_MAX_HIDDEN_LAYERS */
    int dim[AR_MAX_HIDDEN_LAYERS + 2];         /* U, hidden widths..., U */
    size_t off_w[AR_MAX_HIDDEN_LAYERS + 1];    /* weight of layer l: (dim[l+1], dim[l]);
                                                  layer 0: (dim[0], dim[1]) */
    size_t off_bias[AR_MAX_HIDDEN_LAYERS + 1]; /* bias of layer l: (dim[l+1]) */
    size_t n_decay;           /* all weights: the prefix L2 applies to */
    size_t n_params;          /* everything */
} ar_layout;
/* hidden: n_hidden widths (1..AR_MAX_HIDDEN_LAYERS). */
void ar_layout_init(ar_layout *l, int U, const int *hidden, int n_hidden);

/* ---- padded hidden layers (layout.c) --------------------------------------------------------
 * On the device every hidden layer is AR_HIDDEN_ALIGN-aligned: a layer of H units runs as
 * ar_hidden_padded(H) units, the extra ones dead. A dead unit's incoming weights are 0 and its
 * bias is ar_dead_bias(activation), where the activation is exactly 0; its outgoing weights are
 * 0. So it adds exactly 0 to every sum, every gradient that reaches its weights is exactly 0,
 * and Adam (and L2, l2 * 0) leaves them where they are: the model computes what the unpadded
 * one does (up to the order of its sums). What it buys: every row of V^T, W and the (B, H)
 * activations starts on a 64-byte line and ends on a whole vector: an epoch at H = 500 runs
 * 1.08-1.13x faster on PoCL (docs/performance.md, s24). Files, ar_model_params,
 * ar_model_state, ar_model_layout and gradients read back hold the logical layout (F); only the
 * device buffers hold the padded one (P). AUTOREC_HIDDEN_PAD=N pads to N units instead, 0 not
 * at all (A/B runs). */
#define AR_HIDDEN_ALIGN 16
/* H rounded up to AR_HIDDEN_ALIGN, or to $AUTOREC_HIDDEN_PAD (0: H itself). */
int ar_hidden_padded(int h);
/* P: F's layout with every hidden width padded. */
void ar_layout_padded(ar_layout *P, const ar_layout *F);
/* The bias that makes a unit of activation act output exactly 0 (its input weights 0). */
float ar_dead_bias(ar_activation act);
/* Calls fn(logical offset, padded offset, n) for each row piece of the logical range
 * [a, a + n) of F, in order: where those elements live in P. */
typedef void (*ar_row_fn)(size_t logical, size_t padded, size_t n, void *arg);
void ar_layout_each_row(const ar_layout *F, const ar_layout *P, size_t a, size_t n,
                        ar_row_fn fn, void *arg);
/* src (F->n_params) into dst (P->n_params): the padding 0, except the hidden biases' padding,
 * dead[k] for layer k's when dead is given. */
void ar_layout_unpack(const ar_layout *F, const ar_layout *P, const float *src, float *dst,
                      const float *dead);
/* src (P->n_params) into dst (F->n_params): the padding dropped. */
void ar_layout_pack(const ar_layout *F, const ar_layout *P, const float *src, float *dst);

/* ---- dropout keys (layout.c), shared by the model and the tests' reference ------------------
 * (the keep threshold itself: ar_dropout_threshold, core.h) */
/* The Philox layer id of hidden layer k's dropout (0-based): 0 for the first (as in one-layer
 * nets), then 2, 3, ...; 1 is the input's (AR_DROPOUT_INPUT). */
uint32_t ar_dropout_layer(int k);
#define AR_DROPOUT_INPUT 1u
/* The Philox element of a hidden layer's unit (row, col) in a layer of `width` units: its
 * index in the padded (B, ar_hidden_padded(width)) buffer, which the device's dropout kernel
 * walks flat. */
uint32_t ar_dropout_key(int row, int col, int width);

/* ---- the model object (model.c) --------------------------------------------------------------
 * Device buffers carry their shape; I = rows (items), U = columns (users), B = batch rows,
 * H = the widest hidden layer, nnz = training ratings. */
struct ar_model {
    ar_ctx *ctx;
    const ar_dataset *ds;      /* borrowed: outlives the model */
    ar_train_config cfg;
    ar_layout L;               /* the device buffers' layout: hidden layers padded */
    ar_layout F;               /* the logical layout: files, ar_model_params / state */
    int B;                     /* batch rows actually used: min(cfg.batch, I) */
    int sparse;                /* 1: cfg.kernels resolved to the sparse path */
    float lo, hi, def;         /* rating scale and cold-start prediction used in scoring */
    int epoch;                 /* epochs trained */
    uint32_t step;             /* Adam steps taken (t); keys dropout */
    atomic_int interrupt;      /* ar_model_interrupt's request, taken before a batch */
    size_t device_bytes;       /* what the buffers below hold */
    /* parameters and optimiser state: one flat buffer each (layout: ar_layout) */
    cl_mem params, grads;      /* (n_params) each; grads: the last batch's, overwritten */
    cl_mem m, v;               /* (n_params) each: Adam's first and second moments */
    /* activations */
    cl_mem x, y;               /* (B, U) each: input and output (dense path, prediction) */
    cl_mem dy;                 /* (B, U) output gradient (dense path only) */
    cl_mem a[AR_MAX_HIDDEN_LAYERS + 1];  /* a[k] (B, dim[k]), k = 1..n_hidden: hidden outputs */
    cl_mem ad[AR_MAX_HIDDEN_LAYERS + 1]; /* ad[k] (B, dim[k]): a[k] after dropout (with it) */
    cl_mem mask[AR_MAX_HIDDEN_LAYERS + 1]; /* mask[k] (B, dim[k]) bytes: the dropout mask the
                                              forward pass drew, which backward applies */
    cl_mem dh[2];              /* (B, H) each: hidden gradients, alternating layer to layer */
    cl_mem dz1;                /* the sparse path: which of dh holds the gradient at the first
                                  layer's pre-activation (B, dim[1]) after a backward pass */
    /* the data, CSR by row: pointers (I + 1), column indices and values (nnz of the set) */
    cl_mem tr_ptr, tr_idx, tr_val; /* training ratings */
    cl_mem te_ptr, te_idx, te_val; /* scoreable test ratings */
    cl_mem va_ptr, va_idx, va_val; /* scoreable validation ratings (empty without a set) */
    /* centering (ar_center, center.c): the bias baseline b(r, c) = mu + b_row[r] + b_col[c],
     * on the host (zero with AR_CENTER_NONE), and on the device only when centered: */
    float mu, *b_row, *b_col;  /* (I) and (U) on the host */
    cl_mem tr_res;             /* (nnz) r - b at the training entries: the target, and with
                                  AR_CENTER_INPUT the input too */
    int center_auto;           /* created with AR_CENTER_AUTO: cfg.center is BIAS (then INPUT
                                  while ar_model_train tries it) until training picks one */
    int try_lighter;           /* created with try_lighter: ar_model_train's first run from
                                  epoch 0 may add the lighter run (train.c), then clears it */
    int lighter;               /* the lighter run: being trained, or kept (m->cfg holds its l2
                                  and dropout) */
    int try_tanh;              /* created with try_tanh: the same, for the tanh run */
    int tanh_run;              /* the tanh run: being trained, or kept (m->cfg holds its
                                  activation and lr) */
    cl_mem tr_off, te_off, va_off; /* (nnz of each set) b at its entries: added when scoring */
    cl_mem perm;               /* (I) int: this epoch's row order (a batch is a slice of it) */
    cl_mem order;              /* (I) int: 0..I-1, for evaluation */
    cl_mem row_loss;           /* (I) per-row training SSE of the epoch's step */
    cl_mem err_tr, err_te, err_va; /* (2, I) each: per-row evaluation SSE, then absolute errors */
    int *perm_host;            /* (I) */
    float *row_host;           /* (2, I) */
    /* the sparse path */
    cl_mem xk;                 /* (nnz) inputs after input dropout (only with it) */
    cl_mem yk, dyk;            /* (nnz) outputs and their gradient at the training entries */
    cl_mem ye;                 /* (max nnz of test, validation) outputs when scoring */
    cl_mem csc_ptr;            /* (n_batches, U + 1) int: every batch's CSC column pointers */
    cl_mem csc_b, csc_k;       /* (nnz) int each: its entries: batch row, CSR index */
    int *csc_ptr_host, *csc_b_host, *csc_k_host; /* the same on the host, built per epoch */
    int n_batches;             /* ceil(I / B) */
    int csc_chunk;             /* entries a queued chunk of batch CSCs reaches (AR_CSC_CHUNK;
                                * the tests set others: ar_sparse_queue_csc) */
    /* sharding (shard.c): NULL for a whole model; else this model is one shard of a model
     * split by columns, and the step sums its partials with the others' (ar_shard_sum) */
    const struct ar_shard_info *shard;
    float *shard_host;         /* (B, H) host copy of a partial being summed */
    /* progress within an epoch (progress.c): NULL unless ar_model_set_progress set one */
    ar_train_progress_fn progress;
    void *progress_user;
};

/* ---- sharding (shard.c) ---------------------------------------------------------------------
 * A sharded model splits the columns (users for I-AutoRec) into contiguous ranges, one per
 * shard: shard s holds the rows of the first layer's V^T and of the last layer's W and b for its
 * columns, and the ratings in them; the hidden layers between, and the first layer's bias, are
 * replicated. Each shard is a model of its own over a column slice of the dataset, driven by
 * its own thread (or MPI process) through the same training step; the step sums, across the
 * shards, the first layer's pre-activation and the gradient at the last hidden layer (B, H),
 * and the epoch's and the evaluation's error sums. */
typedef struct ar_shard_info {
    ar_reducer *red;          /* the sums across the shards (borrowed) */
    int index, n_shards;
    int col_base;             /* the whole model's column of this shard's column 0 */
    int cols_all;             /* columns of the whole model */
    size_t n_train_all;       /* training ratings of the whole model */
    const int *row_nnz_all;   /* (I) each row's training ratings over every shard (borrowed) */
} ar_shard_info;
/* Sums n floats of buf (device) with the other shards' (read back, summed, written back);
 * nothing for a whole model. */
ar_status ar_shard_sum(ar_model *m, cl_mem buf, size_t n);
/* The same for n doubles in host memory. */
ar_status ar_shard_sum_host(ar_model *m, double *v, size_t n);
/* The training ratings of the whole model, and of rows[0..B) (a batch), over every shard. */
size_t ar_model_train_all(const ar_model *m);
int ar_model_batch_ratings(const ar_model *m, const int *rows, int B);
/* PyTorch-style initial parameters of layout L from seed (model.c): what every model starts
 * from; a sharded model draws the whole model's and gives each shard its slice. */
void ar_init_params(float *p, const ar_layout *L, uint64_t seed);

/* ---- progress within an epoch (progress.c) -------------------------------------------------- */
/* Where an epoch stands for its progress callback: the last marker enqueued and not yet waited
 * for, after batch `at`. Unused (no marker, no wait) when the model has no callback. */
typedef struct ar_epoch_watch {
    cl_event pending;          /* the marker after batch `at`, or NULL */
    int at;                    /* batches before that marker */
    uint64_t ratings_at;       /* training ratings in them */
    uint64_t ratings;          /* training ratings in the batches enqueued so far */
    double t0;                 /* the epoch's start */
} ar_epoch_watch;
void ar_watch_begin(const ar_model *m, ar_epoch_watch *w);
/* After the epoch's `done`-th batch is enqueued: every AR_PROGRESS_BATCHES batches a marker,
 * a wait for the previous one and a call; after the last batch, a wait for it and the final
 * call. A status other than AR_OK: the callback's (or the wait's). */
ar_status ar_watch_batch(ar_model *m, ar_epoch_watch *w, int done);
void ar_watch_end(ar_epoch_watch *w);

/* Allocates a device buffer for the model, counted in device_bytes (model.c). */
ar_status ar_model_alloc(ar_model *m, cl_mem *buf, size_t bytes, const void *host,
                         const char *what);

/* ---- centering on the bias baseline (center.c) -------------------------------------------- */
/* Sets up m's baseline: with AR_CENTER_NONE all zero and nothing on the device; else stored
 * (mu, b_row (I), b_col (U) one after the other, from a model file) or, when NULL, fitted on the
 * training ratings; then the per-entry residuals and offsets uploaded. */
ar_status ar_center_setup(ar_model *m, const float *stored);
/* The baseline at (row, col) as the device adds it (a float); 0 with AR_CENTER_NONE. */
float ar_center_at(const ar_model *m, int row, int col);
/* What the network reads at the training entries (the ratings, or the residuals with
 * AR_CENTER_INPUT) and what its outputs are trained towards (the residuals when centered). */
cl_mem ar_model_inputs(const ar_model *m);
cl_mem ar_model_targets(const ar_model *m);
/* Creates a model whose baseline is the stored one (see ar_center_setup; NULL: fitted). */
ar_status ar_model_create_with(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                               const float *baseline, ar_model **out);

/* ---- scoring (evaluate.c) ------------------------------------------------------------------ */
/* Reads a per-row float array (I) from the device and sums it in double, in row order. */
ar_status ar_model_read_sum(ar_model *m, cl_mem buf, double *sum);
/* The same for n (1 or 2) such arrays one after the other in buf, (n, I): sums[0..n). */
ar_status ar_model_read_sums(ar_model *m, cl_mem buf, int n, double *sums);
/* ar_model_predict with clamp 1; with clamp 0 the model's outputs as they are (cold pairs still
 * get the default), for ranking: clamping would tie every item predicted above the scale. */
ar_status ar_model_scores(ar_model *m, const int64_t *users, const int64_t *items, size_t n,
                          float *out, int clamp);
/* ar_ensemble_predict with the members' scores as ar_model_scores gives them (clamp 0 or 1). */
ar_status ar_ensemble_scores(ar_model *const *models, int n_models, const int64_t *users,
                             const int64_t *items, size_t n, float *out, float *members,
                             int clamp);

/* ---- the dense path (dense.c) -------------------------------------------------------------- */
/* Layer k's output as the next layer reads it (k = 1..n_hidden): ad[k] with dropout, else a[k]. */
cl_mem ar_layer_out(const ar_model *m, int k, float keep);
/* What input dropout multiplies the ratings it keeps by (ar_input_noise). */
float ar_input_scale(const ar_model *m, float keep_in);
/* Hidden layer k (0-based; k >= 1 on the sparse path): a[k+1] = g(in Wk^T + bk), then dropout
 * into ad[k+1]. in: (B, dim[k]). */
ar_status ar_dense_hidden_forward(ar_model *m, int k, cl_mem in, int B, float keep);
/* y (B, U) for the batch rows[off .. off+B): densify, input dropout (keep_in), every layer.
 * keep / keep_in: keep probabilities (1: no dropout, as at evaluation). */
ar_status ar_dense_forward(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in);
/* Gradients of the batch's masked MSE (scale = 1 / its observed ratings) into m->grads, every
 * element overwritten; row_loss[row] gets each row's SSE. After ar_dense_forward. */
ar_status ar_dense_backward(ar_model *m, cl_mem rows, int off, int B, float keep, float scale);
/* The backward pass through hidden-to-hidden layer k >= 1 given dz (B, dim[k+1]), the
 * gradient at its pre-activation: dWk, dbk, and the gradient at layer k-1's pre-activation in
 * *dprev (one of m->dh). */
ar_status ar_dense_layer_backward(ar_model *m, int k, cl_mem dz, int B, float keep,
                                  cl_mem *dprev);

/* ---- the sparse path (sparse.c) ------------------------------------------------------------ */
/* Hidden layers of the batch rows[off .. off+B) from its observed ratings only; *last gets
 * what the decoder reads: (B, dim[n_hidden]). */
ar_status ar_sparse_encode(ar_model *m, cl_mem rows, int off, int B, float keep, float keep_in,
                           cl_mem *last);
/* The decoder's outputs at the positions (pos_ptr, pos_idx: a CSR by row) of the batch's rows
 * into out (indexed like pos_idx). */
ar_status ar_sparse_decode(ar_model *m, cl_mem last, cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows,
                           int off, int B, cl_mem out);
/* The decoder at batch j's training entries (m->yk), from its uploaded CSC: ar_sparse_decode's
 * numbers, each weight row read once per batch. */
ar_status ar_sparse_decode_train(ar_model *m, cl_mem last, int j);
/* 1 when training's decoder runs fused with the backward pass (ar_kparams.sp_fuse, unsharded):
 * forward then leaves m->yk to ar_sparse_backward, which computes it with the loss and dz. */
int ar_sparse_fused(const ar_model *m);
/* The backward pass of batch j (rows[off .. off+B), its CSC uploaded) into m->grads, every
 * element overwritten, but the first and last weight matrices' (the largest) only when
 * weight_grads is set: ar_sparse_update computes those as it applies them. After
 * ar_sparse_encode and a decode into m->yk (or, when ar_sparse_fused, the decode too). */
ar_status ar_sparse_backward(ar_model *m, int j, cl_mem rows, int off, int B, float keep,
                             float keep_in, float scale, int weight_grads);
/* Adam's step after ar_sparse_backward of batch j (B rows): the first and last layers' weights
 * and biases fused with their gradients (ark_sp_weight_adam, ark_sp_bias_adam, from the
 * activations and gradients the backward pass left), the hidden-to-hidden parameters of deeper
 * nets from m->grads. */
ar_status ar_sparse_update(ar_model *m, int j, int B, float keep, float keep_in,
                           const ark_adam_step *s);
/* Builds the CSC of the nb batches of order[0 .. n_rows) (batch j: order[j B ...]) on the host
 * and uploads them: batch j's column pointers at j (U + 1) of m->csc_ptr. */
ar_status ar_sparse_upload_csc(ar_model *m, const int *order, int n_rows, int nb);
/* The training epoch's form of ar_sparse_upload_csc over order[0 .. n_rows), m->n_batches
 * batches: the CSCs from batch *next on (0 and *ent 0 at the epoch's start) until they hold
 * m->csc_chunk entries or the epoch's last batch is built, their three writes queued, not waited
 * for; *next and *ent advanced past them. Few commands (each costs the device a few
 * microseconds between kernels) and a first chunk small enough to build while the device runs
 * the first batch's forward and backward passes. The host arrays stay as they are until the
 * epoch's closing read. */
#define AR_CSC_CHUNK (1 << 18)
ar_status ar_sparse_queue_csc(ar_model *m, const int *order, int n_rows, int *next, int *ent);
/* The batch's CSC: for the batch rows[0..B) of m, col_ptr (cols + 1), and for each column u
 * the entries (ent_b[e], ent_k[e]) = (batch row, index into m's entries), b ascending. The
 * sparse weight gradients walk it. */
void ar_sp_batch_csc(int *col_ptr, int *ent_b, int *ent_k, const struct ar_csr *m,
                     const int *rows, int B);

/* ---- model internals for the tests (model.c, step.c) --------------------------------------- */
/* The hidden widths a configuration asks for (into widths[AR_MAX_HIDDEN_LAYERS]); returns how
 * many: cfg->layers when n_layers > 0, else the one layer of cfg->hidden. */
int ar_config_hidden(const ar_train_config *c, int *widths);
/* Epochs and Adam steps done. */
void ar_model_counters(const ar_model *m, int *epoch, uint32_t *step);
/* Copies the parameters and both Adam moments (n_params floats each) from the device
 * (write = 0) or to it with the counters (write = 1): checkpoints. */
ar_status ar_model_state(ar_model *m, float *params, float *m1, float *v, int epoch,
                         uint32_t step, int write);
/* The logical layout (m->F), which every host copy of the parameters uses. */
const ar_layout *ar_model_layout(const ar_model *m);
/* Copies the logical range [off, off + n) of a parameter-shaped device buffer (params, m or v)
 * from host (write = 1) or to it (write = 0), through the padded layout: a shard's piece. */
ar_status ar_model_io(ar_model *m, cl_mem buf, size_t off, size_t n, float *host, int write);
/* Writes the dead units' biases for the current activation (after it changes). */
ar_status ar_model_set_dead(ar_model *m);
/* Copies the flat parameter buffer to host (write = 0) or from host (write = 1). */
ar_status ar_model_params(ar_model *m, float *host, int write);
/* Copies the last batch's gradient (n_params of the logical layout) to host. */
ar_status ar_model_read_grads(ar_model *m, float *host);
/* One forward + backward pass on the items rows[0..B) at Adam step `step` (which keys dropout),
 * with the configured dropout; reads the data loss and the gradient (n_params) back. When
 * `adam` is set, also takes the Adam step (as step number `step`). */
ar_status ar_model_batch(ar_model *m, const int *rows, int B, uint32_t step, int adam,
                         double *loss, float *grads);

/* ---- model files (checkpoint.c: the format, writing, resuming; checkpoint_read.c: reading) -- */
#define AR_CKPT_VERSION 4u          /* what ar_model_save writes */
#define AR_CKPT_OLDEST 2u           /* the oldest version read */
#define AR_CKPT_BOM 0x01020304u     /* byte-order mark: the other byte order reads 0x04030201 */
#define AR_CKPT_MAGIC "ARMODEL"     /* the first 8 bytes, its NUL included */
enum { AR_CKPT_HEADER_BYTES = 8 + 4 + 4 + 8, AR_CKPT_SUM_BYTES = 32 };

/* A model file in memory. Once ar_checkpoint_parse accepts it, every field holds what the rest
 * of the library assumes (checkpoint_read.c lists the checks). */
struct ar_checkpoint {
    ar_train_config cfg;      /* valid; rating_min/max/default: the model's resolved scale */
    ar_rows rows;
    int epoch;                /* 0..1000000 */
    uint32_t step;
    int n_rows, n_cols;       /* == ds->n_rows, ds->n_cols */
    size_t n_params;          /* == the layout's for n_cols and cfg's hidden sizes */
    char *source;             /* NUL-terminated */
    ar_ratings *train;        /* (n >= 1) ids in 0..2^31-1, finite ratings, no pair twice */
    ar_dataset *ds;           /* built from train: the id maps and CSR the weights line up with */
    float *params, *m, *v;    /* (n_params) each, finite; v >= 0 */
    float *baseline;          /* (1 + n_rows + n_cols) mu, b_row, b_col, finite (version 4 on,
                                 all zero when cfg.center is none); NULL before version 4 */
};
/* What a model file is written from (ar_checkpoint_write): the whole model's description, and
 * its three state arrays (0: parameters, 1 and 2: Adam's moments), n_params floats each in
 * layout order, which state() hands to put(w, bytes, n) in as many pieces as it likes. A
 * one-device model writes them from host copies (ar_model_save); a sharded one piece by piece
 * from its shards (shard.c), so that the whole model is never in one place. */
typedef struct ar_ckpt_source {
    const ar_train_config *cfg;
    const ar_dataset *ds;     /* the whole model's: ids, training ratings */
    float lo, hi, def;        /* the rating scale */
    int epoch;
    uint32_t step;
    size_t n_params;
    float mu;
    const float *b_row, *b_col; /* (rows), (cols): the baseline (zero for center none) */
    ar_status (*state)(void *arg, int which, ar_status (*put)(void *w, const void *p, size_t n),
                       void *w);
    /* the training ratings (users, items, ratings: the whole dataset's count each, in CSR
     * order) when ds holds only a share of them; NULL: ds's own */
    ar_status (*ratings)(void *arg, ar_status (*put)(void *w, const void *p, size_t n), void *w);
    void *arg;
} ar_ckpt_source;
/* Writes a model file at path (the output rules: temporary, sync, rename). */
ar_status ar_checkpoint_write(const char *path, const ar_ckpt_source *src);
/* The configuration a model file trains with on ds (ar_model_create_from's checks: the same
 * training ratings and rows; cfg, when given, may change only the run's length, stop rule,
 * kernels and fallback) into *out. */
ar_status ar_checkpoint_check(const ar_dataset *ds, const ar_checkpoint *c,
                              const ar_train_config *cfg, ar_train_config *out);
/* Parses and validates a model file's bytes buf[0..len) (need not be NUL-terminated); name is
 * the file's name in messages. What ar_checkpoint_read does after reading the file; the fuzz
 * harness calls it directly. */
ar_status ar_checkpoint_parse(const void *buf, size_t len, const char *name, ar_checkpoint **out);



#endif /* AR_MODEL_H */
