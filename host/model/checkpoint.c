/* checkpoint.c - model files: the format, saving, and resuming a model from one (reading and
 * validating: checkpoint_read.c).
 *
 * Layout (native byte order; a byte-order mark refuses a file from the other order):
 *   magic "ARMODEL\0" | u32 version | u32 byte-order mark 0x01020304 | u64 payload bytes |
 *   payload | SHA-256 of the payload (32 bytes)
 * payload:
 *   i32 rows_are, hidden, epochs, batch | f32 lr, lr_decay, l2, dropout, input_dropout |
 *   i32 activation, out_activation | i32 input noise (version 3 on) | i32 center (version 4
 *   on) | i32 n_layers, layers[8] |
 *   u64 seed | f32 beta1, beta2, eps | f32 rating scale lo, hi, default |
 *   i32 epochs done | u32 Adam steps | i32 rows, cols | u64 n_params | u32 source length,
 *   source bytes | u64 n_train | i32 users[n], i32 items[n], f32 ratings[n] |
 *   f32 params[P], adam_m[P], adam_v[P] |
 *   f32 mu, b_row[rows], b_col[cols] (version 4 on: the centering baseline, zero for center none)
 * The training ratings are stored raw (ids, not dense indices): rebuilding the dataset from them
 * gives the same id maps, so the weights line up, and prediction has its input vectors.
 * Reading trusts none of it, checksum or not: checkpoint_read.c checks every field.
 */
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Versions (AR_CKPT_VERSION, model.h): 2, the first layer's weight stored (U, H), transposed;
 * 3 adds the input noise form; 4 the centering mode and its baseline. Versions 2 and 3 are
 * still read (version 2's input dropout was inverted dropout; neither was centered). */

/* ---- writing -------------------------------------------------------------------------------- */

/* Writes to the model's output (buffered there), hashing what it writes; the first error
 * sticks. */
typedef struct { ar_output *o; EVP_MD_CTX *sha; uint64_t bytes; ar_status st; } writer;

static void put_raw(writer *w, const void *p, size_t n) {
    if (w->st == AR_OK) w->st = ar_output_write(w->o, p, n);
}

static void put(writer *w, const void *p, size_t n) {
    if (w->st != AR_OK || n == 0) return;
    put_raw(w, p, n);
    EVP_DigestUpdate(w->sha, p, n);
    w->bytes += n;
}
#define PUT(w, x) put(w, &(x), sizeof(x))

/* put() for a state callback: hashes and writes; the first error sticks. */
static ar_status put_cb(void *w, const void *p, size_t n) {
    put(w, p, n);
    return ((writer *)w)->st;
}

/* The training ratings by raw id (users, items, ratings: n each), from the CSR. */
static void put_ratings(writer *w, const ar_dataset *ds) {
    enum { CH = 1 << 16 };
    const int by_user = ds->rows_are == AR_ROWS_USERS;
    int32_t buf[CH];
    for (int part = 0; part < 3; part++) { /* users, items, ratings: each in CSR order */
        size_t fill = 0;
        for (int r = 0; r < ds->n_rows && w->st == AR_OK; r++)
            for (int e = ds->train.row_ptr[r]; e < ds->train.row_ptr[r + 1]; e++) {
                int64_t row = ds->row_ids[r], col = ds->col_ids[ds->train.col_idx[e]];
                if (part == 2) memcpy(&buf[fill++], &ds->train.vals[e], 4);
                else buf[fill++] = (int32_t)((part == 0) == by_user ? row : col);
                if (fill == CH) put(w, buf, fill * 4), fill = 0;
            }
        put(w, buf, fill * 4);
    }
}

static void put_payload(writer *w, const ar_ckpt_source *src) {
    const ar_train_config *c = src->cfg;
    const ar_dataset *ds = src->ds;
    int32_t i32[4] = {(int32_t)ds->rows_are, c->hidden, c->epochs, c->batch};
    put(w, i32, sizeof i32);
    float f5[5] = {c->lr, c->lr_decay, c->l2, c->dropout, c->input_dropout};
    put(w, f5, sizeof f5);
    int32_t acts[2] = {(int32_t)c->activation, (int32_t)c->out_activation};
    put(w, acts, sizeof acts);
    int32_t noise = (int32_t)c->input_noise, center = (int32_t)c->center;
    PUT(w, noise);
    PUT(w, center);
    int32_t layers[1 + AR_MAX_HIDDEN_LAYERS] = {c->n_layers};
    for (int k = 0; k < c->n_layers; k++) layers[1 + k] = c->layers[k];
    put(w, layers, sizeof layers);
    PUT(w, c->seed);
    float adam[3] = {c->beta1, c->beta2, c->eps};
    put(w, adam, sizeof adam);
    float scale[3] = {src->lo, src->hi, src->def};
    put(w, scale, sizeof scale);
    int32_t e32 = src->epoch, dims[2] = {ds->n_rows, ds->n_cols};
    PUT(w, e32);
    PUT(w, src->step);
    put(w, dims, sizeof dims);
    uint64_t P = src->n_params, n_train = (uint64_t)ar_dataset_n_train(ds);
    PUT(w, P);
    const char *path = ds->train_path ? ds->train_path : "";
    uint32_t len = (uint32_t)strlen(path);
    PUT(w, len);
    put(w, path, len);
    PUT(w, n_train);
    if (src->ratings) {
        ar_status st = src->ratings(src->arg, put_cb, w);
        if (w->st == AR_OK) w->st = st;
    } else {
        put_ratings(w, ds);
    }
    for (int which = 0; which < 3 && w->st == AR_OK; which++) {
        ar_status st = src->state(src->arg, which, put_cb, w);
        if (w->st == AR_OK) w->st = st;
    }
    PUT(w, src->mu);
    put(w, src->b_row, (size_t)ds->n_rows * sizeof *src->b_row);
    put(w, src->b_col, (size_t)ds->n_cols * sizeof *src->b_col);
}

/* The payload's length, written in the header before the payload itself. */
static uint64_t payload_bytes(const ar_ckpt_source *src) {
    const ar_dataset *ds = src->ds;
    const char *path = ds->train_path ? ds->train_path : "";
    const uint64_t n_train = (uint64_t)ar_dataset_n_train(ds);
    return 4 * 4 + 5 * 4 + 2 * 4 + 4 + 4 + 4 * (1 + AR_MAX_HIDDEN_LAYERS) + 8 + 3 * 4 + 3 * 4 +
           4 + 4 + 2 * 4 + 8 + 4 + strlen(path) + 8 + n_train * 12 + 3 * src->n_params * 4 +
           4 * (1 + (uint64_t)ds->n_rows + ds->n_cols);
}

/* Header, payload and checksum to o. */
static ar_status write_model(ar_output *o, const ar_ckpt_source *src, const char *path) {
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    if (!sha) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    uint32_t hdr[2] = {AR_CKPT_VERSION, AR_CKPT_BOM};
    uint64_t len = payload_bytes(src);
    writer w = {o, sha, 0, AR_OK};
    put_raw(&w, AR_CKPT_MAGIC, 8); /* the header is not hashed: the payload is */
    put_raw(&w, hdr, sizeof hdr);
    put_raw(&w, &len, sizeof len);
    EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
    put_payload(&w, src);
    unsigned char sum[AR_CKPT_SUM_BYTES];
    unsigned int sum_len = 0;
    EVP_DigestFinal_ex(sha, sum, &sum_len);
    EVP_MD_CTX_free(sha);
    put_raw(&w, sum, AR_CKPT_SUM_BYTES);
    if (w.st == AR_OK && w.bytes != len) /* payload_bytes out of step: a bug */
        w.st = ar_fail(AR_ERR_INVALID_ARG, "%s: %llu payload bytes written, %llu announced",
                       path, (unsigned long long)w.bytes, (unsigned long long)len);
    return w.st;
}

ar_status ar_checkpoint_write(const char *path, const ar_ckpt_source *src) {
    ar_output *o = NULL;
    ar_status st = ar_output_open(path, &o);
    if (st == AR_OK) st = write_model(o, src, path);
    if (st == AR_OK) st = ar_output_commit(o);
    else ar_output_abort(o);
    return st;
}

/* A one-device model's state, read back whole: parameters and both moments (n floats each). */
typedef struct {
    float *a[3];
    size_t n;
} whole_state;

static ar_status whole_state_put(void *arg, int which,
                                 ar_status (*put_fn)(void *, const void *, size_t), void *w) {
    const whole_state *s = arg;
    return put_fn(w, s->a[which], s->n * sizeof(float));
}

ar_status ar_model_save(ar_model *m, const char *path) {
    const size_t P = ar_model_layout(m)->n_params;
    whole_state s = {{malloc(P * 4), malloc(P * 4), malloc(P * 4)}, P};
    ar_status st = s.a[0] && s.a[1] && s.a[2]
                       ? ar_model_state(m, s.a[0], s.a[1], s.a[2], 0, 0, 0)
                       : ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    ar_ckpt_source src = {.cfg = ar_model_config(m), .ds = ar_model_dataset(m), .n_params = P,
                          .mu = m->mu, .b_row = m->b_row, .b_col = m->b_col,
                          .state = whole_state_put, .arg = &s};
    ar_model_rating_scale(m, &src.lo, &src.hi, &src.def);
    ar_model_counters(m, &src.epoch, &src.step);
    if (st == AR_OK) st = ar_checkpoint_write(path, &src);
    for (int k = 0; k < 3; k++) free(s.a[k]);
    return st;
}

/* ---- accessors ----------------------------------------------------------------------------- */

const ar_ratings *ar_checkpoint_train(const ar_checkpoint *c) { return c->train; }
ar_rows ar_checkpoint_rows(const ar_checkpoint *c) { return c->rows; }
int ar_checkpoint_epochs_done(const ar_checkpoint *c) { return c->epoch; }
const char *ar_checkpoint_source(const ar_checkpoint *c) { return c->source; }

void ar_checkpoint_config(const ar_checkpoint *c, ar_train_config *cfg) { *cfg = c->cfg; }

/* ---- resuming ------------------------------------------------------------------------------- */

/* Whether two datasets have the same id maps and training CSR (a: the one the reader built from
 * a model file's ratings). */
static int same_training(const ar_dataset *a, const ar_dataset *b) {
    if (a->n_rows != b->n_rows || a->n_cols != b->n_cols) return 0;
    size_t nnz = (size_t)a->train.row_ptr[a->n_rows];
    return nnz == (size_t)b->train.row_ptr[b->n_rows] &&
           !memcmp(a->row_ids, b->row_ids, (size_t)b->n_rows * sizeof *b->row_ids) &&
           !memcmp(a->col_ids, b->col_ids, (size_t)b->n_cols * sizeof *b->col_ids) &&
           !memcmp(a->train.row_ptr, b->train.row_ptr, ((size_t)b->n_rows + 1) * sizeof(int)) &&
           !memcmp(a->train.col_idx, b->train.col_idx, nnz * sizeof(int)) &&
           !memcmp(a->train.vals, b->train.vals, nnz * sizeof(float));
}

ar_status ar_checkpoint_check(const ar_dataset *ds, const ar_checkpoint *c,
                              const ar_train_config *cfg, ar_train_config *out) {
    ar_train_config eff = c->cfg;
    if (cfg) {
        /* only the run's length and stop rule may differ: the rest defines the model and its
         * optimiser */
#define SAME(f)                                                                                \
    if (cfg->f != c->cfg.f)                                                                    \
        return ar_fail(AR_ERR_INVALID_ARG,                                                     \
                       "the model was trained with ar_train_config." #f " %g, not %g",         \
                       (double)c->cfg.f, (double)cfg->f);
        SAME(hidden) SAME(n_layers) SAME(batch) SAME(lr) SAME(lr_decay) SAME(l2) SAME(dropout)
        SAME(input_dropout)
        if (cfg->input_noise != c->cfg.input_noise)
            return ar_fail(AR_ERR_INVALID_ARG, "the model was trained with "
                           "ar_train_config.input_noise %s, "
                           "not %s", ar_input_noise_name(c->cfg.input_noise),
                           ar_input_noise_name(cfg->input_noise));
        for (int k = 0; k < c->cfg.n_layers; k++)
            if (cfg->layers[k] != c->cfg.layers[k])
                return ar_fail(AR_ERR_INVALID_ARG, "the model's hidden layer %d has %d units, "
                               "not %d", k + 1, c->cfg.layers[k], cfg->layers[k]);
        SAME(activation) SAME(out_activation) SAME(seed)
        /* auto asks training to choose: a file holds the mode it chose, bias or input */
        if (cfg->center != c->cfg.center &&
            !(cfg->center == AR_CENTER_AUTO && c->cfg.center != AR_CENTER_NONE))
            return ar_fail(AR_ERR_INVALID_ARG, "the model was trained with "
                           "ar_train_config.center %s, not %s", ar_center_name(c->cfg.center),
                           ar_center_name(cfg->center));
#undef SAME
        eff.epochs = cfg->epochs;
        eff.patience = cfg->patience; /* the run's stop rule, not the model's */
        eff.min_improvement = cfg->min_improvement;
        eff.kernels = cfg->kernels; /* how it runs, not what it is: the caller's choice */
        eff.baseline_fallback = cfg->baseline_fallback;
        eff.try_lighter = cfg->try_lighter;
        eff.try_tanh = cfg->try_tanh;
    }
    if (ds->rows_are != c->rows)
        return ar_fail(AR_ERR_INVALID_ARG, "the model is %s-based, the dataset %s-based",
                       c->rows == AR_ROWS_USERS ? "user" : "item",
                       ds->rows_are == AR_ROWS_USERS ? "user" : "item");
    /* The same training ratings give the same id maps and CSR: the weights line up. */
    if (!same_training(c->ds, ds))
        return ar_fail(AR_ERR_INVALID_ARG, "the training ratings differ from the ones the model "
                       "was trained on (%zu ratings%s%s): give the same data and split options",
                       c->train->n, c->source[0] ? " from " : "", c->source);
    *out = eff;
    return AR_OK;
}

ar_status ar_model_create_from(ar_ctx *ctx, const ar_dataset *ds, const ar_checkpoint *c,
                               const ar_train_config *cfg, ar_model **out) {
    *out = NULL;
    ar_train_config eff;
    ar_status st = ar_checkpoint_check(ds, c, cfg, &eff);
    if (st != AR_OK) return st;
    ar_model *m = NULL;
    st = ar_model_create_with(ctx, ds, &eff, c->baseline, &m);
    /* ar_model_state copies the model's n_params: the stored arrays must be that long (the
     * reader and the comparison above ensure it; checked again here, where it would matter) */
    if (st == AR_OK && ar_model_layout(m)->n_params != c->n_params)
        st = ar_fail(AR_ERR_INVALID_ARG, "the model file has %zu parameters, the model on this "
                     "dataset %zu", c->n_params, ar_model_layout(m)->n_params);
    if (st == AR_OK) st = ar_model_state(m, c->params, c->m, c->v, c->epoch, c->step, 1);
    if (st != AR_OK) {
        ar_model_free(m);
        return st;
    }
    *out = m;
    return AR_OK;
}
