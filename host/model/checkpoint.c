/* checkpoint.c - model files: save, read and verify, and resume a model from one.
 *
 * Layout (native byte order; a byte-order mark refuses a file from the other order):
 *   magic "ARMODEL\0" | u32 version | u32 byte-order mark 0x01020304 | u64 payload bytes |
 *   payload | SHA-256 of the payload (32 bytes)
 * payload:
 *   i32 rows_are, hidden, epochs, batch | f32 lr, lr_decay, l2, dropout, input_dropout |
 *   i32 activation, out_activation | i32 input noise (version 3 on) | i32 n_layers, layers[8] |
 *   u64 seed | f32 beta1, beta2, eps | f32 rating scale lo, hi, default |
 *   i32 epochs done | u32 Adam steps | i32 rows, cols | u64 n_params | u32 source length,
 *   source bytes | u64 n_train | i32 users[n], i32 items[n], f32 ratings[n] |
 *   f32 params[P], adam_m[P], adam_v[P]
 * The training ratings are stored raw (ids, not dense indices): rebuilding the dataset from them
 * gives the same id maps, so the weights line up, and prediction has its input vectors.
 */
#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* 2: the first layer's weight is stored (U, H), transposed; 3: adds the input noise form.
 * Version 2 files are still read (their input dropout was inverted dropout). */
#define CKPT_VERSION 3u
#define CKPT_OLDEST 2u
#define CKPT_BOM 0x01020304u
static const char ckpt_magic[8] = {'A', 'R', 'M', 'O', 'D', 'E', 'L', 0};
enum { HEADER_BYTES = 8 + 4 + 4 + 8, SUM_BYTES = 32 };

struct ar_checkpoint {
    ar_train_config cfg;      /* rating_min/max/default: the model's resolved scale */
    ar_rows rows;
    int epoch;
    uint32_t step;
    int n_rows, n_cols;
    size_t n_params;
    char *source;
    ar_ratings *train;
    float *params, *m, *v;    /* (n_params) each */
};

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

static void put_payload(writer *w, ar_model *m, const float *params, const float *m1,
                        const float *v, const int32_t *users, const int32_t *items,
                        const float *ratings, uint64_t n_train) {
    const ar_train_config *c = ar_model_config(m);
    const ar_dataset *ds = ar_model_dataset(m);
    int32_t i32[4] = {(int32_t)ds->rows_are, c->hidden, c->epochs, c->batch};
    put(w, i32, sizeof i32);
    float f5[5] = {c->lr, c->lr_decay, c->l2, c->dropout, c->input_dropout};
    put(w, f5, sizeof f5);
    int32_t acts[2] = {(int32_t)c->activation, (int32_t)c->out_activation};
    put(w, acts, sizeof acts);
    int32_t noise = (int32_t)c->input_noise;
    PUT(w, noise);
    int32_t layers[1 + AR_MAX_HIDDEN_LAYERS] = {c->n_layers};
    for (int k = 0; k < c->n_layers; k++) layers[1 + k] = c->layers[k];
    put(w, layers, sizeof layers);
    PUT(w, c->seed);
    float adam[3] = {c->beta1, c->beta2, c->eps};
    put(w, adam, sizeof adam);
    float scale[3];
    ar_model_rating_scale(m, &scale[0], &scale[1], &scale[2]);
    put(w, scale, sizeof scale);
    int epoch;
    uint32_t step;
    ar_model_counters(m, &epoch, &step);
    int32_t e32 = epoch, dims[2] = {ds->n_rows, ds->n_cols};
    PUT(w, e32);
    PUT(w, step);
    put(w, dims, sizeof dims);
    uint64_t P = ar_model_layout(m)->n_params;
    PUT(w, P);
    const char *src = ds->train_path ? ds->train_path : "";
    uint32_t len = (uint32_t)strlen(src);
    PUT(w, len);
    put(w, src, len);
    PUT(w, n_train);
    put(w, users, n_train * sizeof *users);
    put(w, items, n_train * sizeof *items);
    put(w, ratings, n_train * sizeof *ratings);
    put(w, params, P * sizeof *params);
    put(w, m1, P * sizeof *m1);
    put(w, v, P * sizeof *v);
}

/* The payload's length, written in the header before the payload itself. */
static uint64_t payload_bytes(const ar_model *m, uint64_t n_train) {
    const ar_dataset *ds = ar_model_dataset(m);
    const char *src = ds->train_path ? ds->train_path : "";
    return 4 * 4 + 5 * 4 + 2 * 4 + 4 + 4 * (1 + AR_MAX_HIDDEN_LAYERS) + 8 + 3 * 4 + 3 * 4 + 4 +
           4 + 2 * 4 + 8 + 4 + strlen(src) + 8 + n_train * 12 +
           3 * ar_model_layout(m)->n_params * 4;
}

/* What a model file holds besides the configuration: the parameters and Adam's moments read
 * back from the device, and the training ratings by raw id (from the CSR). */
typedef struct {
    float *params, *m1, *v;   /* (P) each */
    int32_t *users, *items;   /* (n) each */
    float *ratings;           /* (n) */
    uint64_t n;
} model_state;

static void state_free(model_state *s) {
    free(s->params); free(s->m1); free(s->v);
    free(s->users); free(s->items); free(s->ratings);
}

static ar_status state_read(ar_model *m, model_state *s, const char *path) {
    const ar_dataset *ds = ar_model_dataset(m);
    const size_t P = ar_model_layout(m)->n_params, n = (size_t)ds->train.row_ptr[ds->n_rows];
    memset(s, 0, sizeof *s);
    s->n = n;
    s->params = malloc(P * sizeof *s->params), s->m1 = malloc(P * sizeof *s->m1);
    s->v = malloc(P * sizeof *s->v), s->ratings = malloc((n ? n : 1) * sizeof *s->ratings);
    s->users = malloc((n ? n : 1) * sizeof *s->users);
    s->items = malloc((n ? n : 1) * sizeof *s->items);
    if (!s->params || !s->m1 || !s->v || !s->ratings || !s->users || !s->items)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    const int by_user = ds->rows_are == AR_ROWS_USERS;
    for (int r = 0; r < ds->n_rows; r++)
        for (int k = ds->train.row_ptr[r]; k < ds->train.row_ptr[r + 1]; k++) {
            int64_t row = ds->row_ids[r], col = ds->col_ids[ds->train.col_idx[k]];
            s->users[k] = (int32_t)(by_user ? row : col);
            s->items[k] = (int32_t)(by_user ? col : row);
            s->ratings[k] = ds->train.vals[k];
        }
    return ar_model_state(m, s->params, s->m1, s->v, 0, 0, 0);
}

/* Header, payload and checksum to o. */
static ar_status write_model(ar_output *o, ar_model *m, const model_state *s, const char *path) {
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    if (!sha) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory saving %s", path);
    uint32_t hdr[2] = {CKPT_VERSION, CKPT_BOM};
    uint64_t len = payload_bytes(m, s->n);
    writer w = {o, sha, 0, AR_OK};
    put_raw(&w, ckpt_magic, 8); /* the header is not hashed: the payload is */
    put_raw(&w, hdr, sizeof hdr);
    put_raw(&w, &len, sizeof len);
    EVP_DigestInit_ex(sha, EVP_sha256(), NULL);
    put_payload(&w, m, s->params, s->m1, s->v, s->users, s->items, s->ratings, s->n);
    unsigned char sum[SUM_BYTES];
    unsigned int sum_len = 0;
    EVP_DigestFinal_ex(sha, sum, &sum_len);
    EVP_MD_CTX_free(sha);
    put_raw(&w, sum, SUM_BYTES);
    if (w.st == AR_OK && w.bytes != len) /* payload_bytes out of step: a bug */
        w.st = ar_fail(AR_ERR_INVALID_ARG, "%s: %llu payload bytes written, %llu announced",
                       path, (unsigned long long)w.bytes, (unsigned long long)len);
    return w.st;
}

ar_status ar_model_save(ar_model *m, const char *path) {
    model_state s;
    ar_output *o = NULL;
    ar_status st = state_read(m, &s, path);
    if (st == AR_OK) st = ar_output_open(path, &o);
    if (st == AR_OK) st = write_model(o, m, &s, path);
    if (st == AR_OK) st = ar_output_commit(o);
    else ar_output_abort(o);
    state_free(&s);
    return st;
}

/* ---- reading -------------------------------------------------------------------------------- */

typedef struct { const unsigned char *p, *end; } cursor;

static int get(cursor *c, void *out, size_t n) {
    if ((size_t)(c->end - c->p) < n) return 0;
    memcpy(out, c->p, n);
    c->p += n;
    return 1;
}
#define GET(c, x) get(c, &(x), sizeof(x))

void ar_checkpoint_free(ar_checkpoint *c) {
    if (!c) return;
    free(c->source);
    ar_ratings_free(c->train);
    free(c->params);
    free(c->m);
    free(c->v);
    free(c);
}

static ar_status parse_payload(ar_checkpoint *k, cursor *c, const char *path, uint32_t version) {
    int32_t i32[4], acts[2], e32, dims[2], layers[1 + AR_MAX_HIDDEN_LAYERS];
    int32_t noise = AR_NOISE_INVERTED; /* what version 2 did */
    float f5[5], adam[3], scale[3];
    uint32_t len;
    uint64_t P, n, seed;
    ar_train_config *cf = &k->cfg;
#define BAD(what) ar_fail(AR_ERR_PARSE, "%s: not a valid model file: %s", path, what)
    if (!get(c, i32, sizeof i32) || !get(c, f5, sizeof f5) || !get(c, acts, sizeof acts) ||
        (version >= 3 && !GET(c, noise)) || !get(c, layers, sizeof layers) ||
        !GET(c, seed) || !get(c, adam, sizeof adam) || !get(c, scale, sizeof scale) ||
        !GET(c, e32) || !GET(c, k->step) || !get(c, dims, sizeof dims) || !GET(c, P) ||
        !GET(c, len))
        return BAD("the header is cut short");
    ar_train_config_default(cf);
    cf->seed = seed;
    k->rows = (ar_rows)i32[0];
    cf->hidden = i32[1], cf->epochs = i32[2], cf->batch = i32[3];
    cf->lr = f5[0], cf->lr_decay = f5[1], cf->l2 = f5[2], cf->dropout = f5[3];
    cf->input_dropout = f5[4];
    cf->input_noise = (ar_input_noise)noise;
    cf->activation = (ar_activation)acts[0], cf->out_activation = (ar_activation)acts[1];
    cf->n_layers = layers[0];
    for (int k = 0; k < AR_MAX_HIDDEN_LAYERS && k < layers[0]; k++) cf->layers[k] = layers[1 + k];
    cf->beta1 = adam[0], cf->beta2 = adam[1], cf->eps = adam[2];
    cf->rating_min = scale[0], cf->rating_max = scale[1], cf->default_rating = scale[2];
    k->epoch = e32;
    k->n_rows = dims[0], k->n_cols = dims[1];
    if ((k->rows != AR_ROWS_ITEMS && k->rows != AR_ROWS_USERS) || k->epoch < 0 ||
        layers[0] < 0 || layers[0] > AR_MAX_HIDDEN_LAYERS ||
        k->n_rows < 1 || k->n_cols < 1)
        return BAD("impossible sizes");
    if (!(cf->rating_min < cf->rating_max)) /* data with one rating value */
        cf->rating_max = cf->rating_min + 1e-6f;
    if (ar_train_config_validate(cf) != AR_OK) return BAD(ar_last_error());
    ar_layout L;
    int widths[AR_MAX_HIDDEN_LAYERS];
    ar_layout_init(&L, k->n_cols, widths, ar_config_hidden(cf, widths));
    if (P != L.n_params) return BAD("the parameter count does not match the sizes");
    k->n_params = (size_t)P;
    if ((size_t)(c->end - c->p) < len) return BAD("cut short");
    if (!(k->source = malloc((size_t)len + 1)))
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    get(c, k->source, len);
    k->source[len] = 0;
    if (!GET(c, n) || n == 0 || n > (uint64_t)AR_MAX_ID ||
        (uint64_t)(c->end - c->p) != n * 12 + 12 * P)
        return BAD("the ratings and weights do not match the file's length");
    if (!(k->train = ar_ratings_new_internal(k->source[0] ? k->source : NULL)))
        return AR_ERR_OUT_OF_MEMORY;
    ar_status st = ar_ratings_alloc(k->train, (size_t)n);
    if (st != AR_OK) return st;
    get(c, k->train->user, n * 4);
    get(c, k->train->item, n * 4);
    get(c, k->train->rating, n * 4);
    for (uint64_t i = 0; i < n; i++) {
        k->train->line[i] = 0;
        if (k->train->user[i] < 0 || k->train->item[i] < 0 || !isfinite(k->train->rating[i]))
            return BAD("a stored rating is out of range");
    }
    k->train->n = (size_t)n;
    k->params = malloc(P * 4), k->m = malloc(P * 4), k->v = malloc(P * 4);
    if (!k->params || !k->m || !k->v) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    get(c, k->params, P * 4);
    get(c, k->m, P * 4);
    get(c, k->v, P * 4);
    return AR_OK;
#undef BAD
}

ar_status ar_checkpoint_read(const char *path, ar_checkpoint **out) {
    *out = NULL;
    char *buf;
    size_t len;
    ar_status st = ar_read_file(path, &buf, &len);
    if (st != AR_OK) return st;
    ar_checkpoint *k = calloc(1, sizeof *k);
    if (!k) {
        free(buf);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t hdr[2];
    uint64_t plen;
    if (len < 8 || memcmp(p, ckpt_magic, 8) != 0) {
        st = ar_fail(AR_ERR_PARSE, "%s: not an autorec model file (no ARMODEL header)", path);
        goto cleanup;
    }
    if (len < HEADER_BYTES) {
        st = ar_fail(AR_ERR_PARSE, "%s: truncated model file (%zu bytes)", path, len);
        goto cleanup;
    }
    memcpy(hdr, p + 8, 8);
    memcpy(&plen, p + 16, 8);
    if (hdr[1] != CKPT_BOM) {
        st = ar_fail(AR_ERR_PARSE, "%s: model file written with the other byte order", path);
        goto cleanup;
    }
    if (hdr[0] < CKPT_OLDEST || hdr[0] > CKPT_VERSION) {
        st = ar_fail(AR_ERR_PARSE, "%s: model file format version %u; this autorec reads "
                     "versions %u to %u", path, hdr[0], CKPT_OLDEST, CKPT_VERSION);
        goto cleanup;
    }
    if (plen > len || len - HEADER_BYTES - SUM_BYTES != plen || len < HEADER_BYTES + SUM_BYTES) {
        st = ar_fail(AR_ERR_PARSE, "%s: truncated or padded model file: %zu bytes, the header "
                     "announces %llu", path, len,
                     (unsigned long long)(plen + HEADER_BYTES + SUM_BYTES));
        goto cleanup;
    }
    unsigned char sum[SUM_BYTES];
    unsigned int sum_len = 0;
    EVP_Digest(p + HEADER_BYTES, (size_t)plen, sum, &sum_len, EVP_sha256(), NULL);
    if (memcmp(sum, p + HEADER_BYTES + plen, SUM_BYTES) != 0) {
        st = ar_fail(AR_ERR_PARSE, "%s: corrupted model file: the SHA-256 of its contents does "
                     "not match the one stored in it", path);
        goto cleanup;
    }
    cursor c = {p + HEADER_BYTES, p + HEADER_BYTES + plen};
    st = parse_payload(k, &c, path, hdr[0]);
cleanup:
    free(buf);
    if (st != AR_OK) ar_checkpoint_free(k);
    else *out = k;
    return st;
}

const ar_ratings *ar_checkpoint_train(const ar_checkpoint *c) { return c->train; }
ar_rows ar_checkpoint_rows(const ar_checkpoint *c) { return c->rows; }
int ar_checkpoint_epochs_done(const ar_checkpoint *c) { return c->epoch; }
const char *ar_checkpoint_source(const ar_checkpoint *c) { return c->source; }

void ar_checkpoint_config(const ar_checkpoint *c, ar_train_config *cfg) { *cfg = c->cfg; }

/* ---- resuming ------------------------------------------------------------------------------- */

ar_status ar_model_create_from(ar_ctx *ctx, const ar_dataset *ds, const ar_checkpoint *c,
                               const ar_train_config *cfg, ar_model **out) {
    *out = NULL;
    ar_train_config eff = c->cfg;
    if (cfg) {
        /* only the run's length may differ: the rest defines the model and its optimiser */
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
#undef SAME
        eff.epochs = cfg->epochs;
        eff.kernels = cfg->kernels; /* how it runs, not what it is: the caller's choice */
    }
    if (ds->rows_are != c->rows)
        return ar_fail(AR_ERR_INVALID_ARG, "the model is %s-based, the dataset %s-based",
                       c->rows == AR_ROWS_USERS ? "user" : "item",
                       ds->rows_are == AR_ROWS_USERS ? "user" : "item");
    /* The same training ratings give the same id maps and CSR: rebuild and compare. */
    ar_dataset *mine = NULL;
    ar_status st = ar_dataset_create_ex(c->train, NULL, NULL, c->rows, &mine);
    if (st != AR_OK) return st;
    int same = mine->n_rows == ds->n_rows && mine->n_cols == ds->n_cols;
    size_t nnz = same ? (size_t)mine->train.row_ptr[mine->n_rows] : 0;
    same = same && nnz == (size_t)ds->train.row_ptr[ds->n_rows] &&
           !memcmp(mine->row_ids, ds->row_ids, (size_t)ds->n_rows * sizeof *ds->row_ids) &&
           !memcmp(mine->col_ids, ds->col_ids, (size_t)ds->n_cols * sizeof *ds->col_ids) &&
           !memcmp(mine->train.row_ptr, ds->train.row_ptr,
                   ((size_t)ds->n_rows + 1) * sizeof(int)) &&
           !memcmp(mine->train.col_idx, ds->train.col_idx, nnz * sizeof(int)) &&
           !memcmp(mine->train.vals, ds->train.vals, nnz * sizeof(float));
    ar_dataset_free(mine);
    if (!same)
        return ar_fail(AR_ERR_INVALID_ARG, "the training ratings differ from the ones the model "
                       "was trained on (%zu ratings%s%s): give the same data and split options",
                       c->train->n, c->source[0] ? " from " : "", c->source);
    ar_model *m = NULL;
    st = ar_model_create(ctx, ds, &eff, &m);
    if (st == AR_OK) st = ar_model_state(m, c->params, c->m, c->v, c->epoch, c->step, 1);
    if (st != AR_OK) {
        ar_model_free(m);
        return st;
    }
    *out = m;
    return AR_OK;
}
