/* checkpoint_read.c - reading a model file (the format: checkpoint.c) as hostile input.
 *
 * The SHA-256 guards against damage, not against a crafted file: anyone can recompute it. So
 * every field is checked against the others and against the bytes actually there before
 * anything is copied or allocated from it (every allocation is bounded by the file's length),
 * and a checkpoint that passes is one the rest of the library can use as it is:
 *   - header: magic, byte order, version, payload length = the file's length less header and
 *     checksum, checksum;
 *   - configuration: ar_train_config_validate (hidden sizes, layer count, batch, epochs, lr,
 *     ...), rows_are, epochs done in 0..1000000; the rating scale finite with min < max (min == max only
 *     when every stored rating is that value: a model of data with one rating value), the
 *     default rating within it;
 *   - sizes: rows, cols >= 1; n_params equal to the layout's for cols and the hidden sizes; the
 *     source path within the bytes left; what follows exactly n_train ratings and 3 n_params
 *     floats;
 *   - ratings: ids in 0..2^31-1, ratings finite, no (user, item) pair twice, and exactly rows
 *     and cols distinct row and column ids: the weights must line up with the id maps the
 *     ratings rebuild (a file whose cols was lowered, with n_params and the weights cut to
 *     match, made ar_model_state copy past the end of params);
 *   - weights and Adam's first moments finite, second moments finite and >= 0;
 *   - (version 4 on) the centering mode one of ar_center, its baseline (mu, one bias per row
 *     and per column) finite, and all zero for center none (a baseline that would be ignored).
 * Every refusal is AR_ERR_PARSE "NAME: not a valid model file: REASON", the field named (the
 * envelope's own messages say truncated, corrupted, foreign or the version).
 */
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The payload being read: p up to end. */
typedef struct { const unsigned char *p, *end; } cursor;

static size_t left(const cursor *c) { return (size_t)(c->end - c->p); }

static int get(cursor *c, void *out, size_t n) {
    if (left(c) < n) return 0;
    memcpy(out, c->p, n);
    c->p += n;
    return 1;
}
#define GET(c, x) get(c, &(x), sizeof(x))

static ar_status bad(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "name: not a valid model file: REASON". The reason is formatted first: it may quote
 * ar_last_error() (the configuration's own message). */
static ar_status bad(const char *name, const char *fmt, ...) {
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return ar_fail(AR_ERR_PARSE, "%s: not a valid model file: %s", name, why);
}

void ar_checkpoint_free(ar_checkpoint *c) {
    if (!c) return;
    free(c->source);
    ar_ratings_free(c->train);
    ar_dataset_free(c->ds);
    free(c->params);
    free(c->m);
    free(c->v);
    free(c->baseline);
    free(c);
}

/* The header and the checksum around the payload; *payload gets the payload's bytes. */
static ar_status check_envelope(const unsigned char *p, size_t len, const char *name,
                                uint32_t *version, cursor *payload) {
    uint32_t hdr[2];
    uint64_t plen;
    if (len < 8 || memcmp(p, AR_CKPT_MAGIC, 8) != 0)
        return ar_fail(AR_ERR_PARSE, "%s: not an autorec model file (no ARMODEL header)", name);
    if (len < AR_CKPT_HEADER_BYTES)
        return ar_fail(AR_ERR_PARSE, "%s: truncated model file (%zu bytes)", name, len);
    memcpy(hdr, p + 8, 8);
    memcpy(&plen, p + 16, 8);
    if (hdr[1] != AR_CKPT_BOM)
        return ar_fail(AR_ERR_PARSE, "%s: model file written with the other byte order", name);
    if (hdr[0] < AR_CKPT_OLDEST || hdr[0] > AR_CKPT_VERSION)
        return ar_fail(AR_ERR_PARSE, "%s: model file format version %u; this autorec reads "
                       "versions %u to %u", name, hdr[0], AR_CKPT_OLDEST, AR_CKPT_VERSION);
    const size_t frame = AR_CKPT_HEADER_BYTES + AR_CKPT_SUM_BYTES;
    if (len < frame || plen != len - frame)
        return ar_fail(AR_ERR_PARSE, "%s: truncated or padded model file: %zu bytes, the header "
                       "announces %llu", name, len, (unsigned long long)plen + frame);
    unsigned char sum[AR_CKPT_SUM_BYTES];
    unsigned int sum_len = 0;
    const unsigned char *body = p + AR_CKPT_HEADER_BYTES;
    if (!EVP_Digest(body, (size_t)plen, sum, &sum_len, EVP_sha256(), NULL))
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "%s: computing the SHA-256 failed", name);
    if (memcmp(sum, body + plen, AR_CKPT_SUM_BYTES) != 0)
        return ar_fail(AR_ERR_PARSE, "%s: corrupted model file: the SHA-256 of its contents does "
                       "not match the one stored in it", name);
    *version = hdr[0];
    *payload = (cursor){body, body + plen};
    return AR_OK;
}

/* The resolved rating scale the model scores with (lo, hi, default). lo == hi is what a model
 * of data with a single rating value stores (its scale comes from the data); the ratings are
 * checked against it once read. ar_train_config needs min < max: hi is nudged one float up. */
static ar_status read_scale(ar_train_config *cf, const float *s, const char *name) {
    if (!isfinite(s[0]) || !isfinite(s[1]) || !isfinite(s[2]))
        return bad(name, "the rating scale [rating_min, rating_max] = [%g, %g] and its "
                   "default_rating %g must be finite", (double)s[0], (double)s[1], (double)s[2]);
    if (s[0] > s[1])
        return bad(name, "the rating scale [rating_min, rating_max] = [%g, %g] has min > max",
                   (double)s[0], (double)s[1]);
    if (s[2] < s[0] || s[2] > s[1])
        return bad(name, "default_rating %g is outside the rating scale [%g, %g]",
                   (double)s[2], (double)s[0], (double)s[1]);
    cf->rating_min = s[0];
    cf->rating_max = s[0] < s[1] ? s[1] : nextafterf(s[1], INFINITY);
    cf->default_rating = s[2];
    return AR_OK;
}

/* The fixed-size fields (configuration, counters, sizes), checked against each other; *P gets
 * the parameter count, which equals the layout's; *one_value is set for a scale min == max. */
static ar_status parse_config(ar_checkpoint *k, cursor *c, const char *name, uint32_t version,
                              uint64_t *P, int *one_value) {
    int32_t i32[4], acts[2], e32, dims[2], layers[1 + AR_MAX_HIDDEN_LAYERS];
    int32_t noise = AR_NOISE_INVERTED; /* what version 2 did */
    int32_t center = AR_CENTER_NONE;   /* before version 4 */
    float f5[5], adam[3], scale[3];
    uint64_t seed;
    if (!get(c, i32, sizeof i32) || !get(c, f5, sizeof f5) || !get(c, acts, sizeof acts) ||
        (version >= 3 && !GET(c, noise)) || (version >= 4 && !GET(c, center)) ||
        !get(c, layers, sizeof layers) ||
        !GET(c, seed) || !get(c, adam, sizeof adam) || !get(c, scale, sizeof scale) ||
        !GET(c, e32) || !GET(c, k->step) || !get(c, dims, sizeof dims) || !GET(c, *P))
        return bad(name, "the header is cut short");
    ar_train_config *cf = &k->cfg;
    ar_train_config_default(cf);
    cf->seed = seed;
    cf->hidden = i32[1], cf->epochs = i32[2], cf->batch = i32[3];
    cf->lr = f5[0], cf->lr_decay = f5[1], cf->l2 = f5[2], cf->dropout = f5[3];
    cf->input_dropout = f5[4];
    cf->input_noise = (ar_input_noise)noise;
    cf->center = (ar_center)center; /* validated with the rest below */
    cf->activation = (ar_activation)acts[0], cf->out_activation = (ar_activation)acts[1];
    cf->n_layers = layers[0]; /* validated below; the unused slots of layers[] are ignored */
    for (int l = 0; l < AR_MAX_HIDDEN_LAYERS && l < layers[0]; l++) cf->layers[l] = layers[1 + l];
    cf->beta1 = adam[0], cf->beta2 = adam[1], cf->eps = adam[2];
    if (center == AR_CENTER_AUTO) /* training resolves it: a file holds bias or input */
        return bad(name, "its centering is auto, which a trained model never has");
    if (i32[0] != AR_ROWS_ITEMS && i32[0] != AR_ROWS_USERS)
        return bad(name, "rows_are is %d (%d: items, %d: users)", i32[0], AR_ROWS_ITEMS,
                   AR_ROWS_USERS);
    k->rows = (ar_rows)i32[0];
    /* at most what ar_train_config.epochs allows: resuming adds 1 to it (int arithmetic) */
    if (e32 < 0 || e32 > 1000000)
        return bad(name, "the epochs done are %d, not in 0..1000000", e32);
    k->epoch = e32;
    if (dims[0] < 1 || dims[1] < 1)
        return bad(name, "rows %d and cols %d must be >= 1", dims[0], dims[1]);
    k->n_rows = dims[0], k->n_cols = dims[1];
    ar_status st = read_scale(cf, scale, name);
    if (st != AR_OK) return st;
    *one_value = scale[0] == scale[1];
    if (ar_train_config_validate(cf) != AR_OK) return bad(name, "%s", ar_last_error());
    ar_layout L;
    int widths[AR_MAX_HIDDEN_LAYERS];
    ar_layout_init(&L, k->n_cols, widths, ar_config_hidden(cf, widths));
    if (*P != L.n_params)
        return bad(name, "n_params is %llu; cols %d and the hidden sizes need %zu",
                   (unsigned long long)*P, k->n_cols, L.n_params);
    k->n_params = L.n_params;
    return AR_OK;
}

/* The source path and the training ratings; what follows them must be exactly the 3 P floats
 * of the weights and moments and the `tail` bytes of the baseline. */
static ar_status parse_ratings(ar_checkpoint *k, cursor *c, const char *name, uint64_t P,
                               size_t tail) {
    uint32_t len;
    uint64_t n;
    if (!GET(c, len) || left(c) < len)
        return bad(name, "the source path's length runs past the end of the file");
    if (!(k->source = ar_malloc((size_t)len + 1))) return AR_ERR_OUT_OF_MEMORY;
    get(c, k->source, len);
    k->source[len] = 0;
    if (!GET(c, n)) return bad(name, "n_train is cut short");
    /* 12 bytes a rating (user, item, rating), 12 a parameter (weight, m, v) */
    if (left(c) < tail)
        return bad(name, "the file ends before its centering baseline (%zu bytes)", tail);
    const size_t rest = left(c) - tail;
    if (n == 0 || n > (uint64_t)AR_MAX_ID || n > rest / 12 || (rest - n * 12) % 12 != 0 ||
        (rest - n * 12) / 12 != P)
        return bad(name, "n_train %llu ratings and n_params %llu do not fill the %zu bytes "
                   "after them", (unsigned long long)n, (unsigned long long)P, rest);
    if (!(k->train = ar_ratings_new_internal(k->source[0] ? k->source : NULL)))
        return AR_ERR_OUT_OF_MEMORY;
    ar_status st = ar_ratings_alloc(k->train, (size_t)n);
    if (st != AR_OK) return st;
    ar_ratings *r = k->train;
    get(c, r->user, n * 4);
    get(c, r->item, n * 4);
    get(c, r->rating, n * 4);
    for (size_t i = 0; i < n; i++) {
        r->line[i] = 0;
        if (r->user[i] < 0 || r->item[i] < 0)
            return bad(name, "stored rating %zu: user %d item %d: ids must be in 0..%lld", i,
                       r->user[i], r->item[i], AR_MAX_ID);
        if (!isfinite(r->rating[i]))
            return bad(name, "stored rating %zu is %g, not finite", i, (double)r->rating[i]);
    }
    r->n = (size_t)n;
    return AR_OK;
}

/* n floats of the file into *out; each finite (and >= 0 with nonneg). */
static ar_status parse_floats(cursor *c, size_t n, float **out, int nonneg, const char *field,
                              const char *name) {
    if (!(*out = ar_malloc(n * sizeof **out))) return AR_ERR_OUT_OF_MEMORY;
    get(c, *out, n * sizeof **out);
    for (size_t i = 0; i < n; i++)
        if (!isfinite((*out)[i]) || (nonneg && (*out)[i] < 0))
            return bad(name, "%s[%zu] is %g: it must be finite%s", field, i, (double)(*out)[i],
                       nonneg ? " and >= 0" : "");
    return AR_OK;
}

/* The centering baseline (n floats: mu, b_row, b_col): finite, and all zero for a model that is
 * not centered. */
static ar_status parse_baseline(ar_checkpoint *k, cursor *c, size_t n, const char *name) {
    ar_status st = parse_floats(c, n, &k->baseline, 0, "baseline", name);
    if (st != AR_OK || k->cfg.center != AR_CENTER_NONE) return st;
    for (size_t i = 0; i < n; i++)
        if (k->baseline[i] != 0)
            return bad(name, "baseline[%zu] is %g, but the model is not centered (center none)",
                       i, (double)k->baseline[i]);
    return AR_OK;
}

/* The ratings against the sizes and the scale: the id maps they rebuild must have exactly the
 * model's rows and columns, or the weights would belong to other ids (and a smaller cols would
 * make the model's layout larger than the stored weights). */
static ar_status check_ratings(ar_checkpoint *k, int one_value, const char *name) {
    const ar_ratings *r = k->train;
    const float lo = k->cfg.rating_min;
    if (one_value) /* only what one-value data gives */
        for (size_t i = 0; i < r->n; i++)
            if (r->rating[i] != lo)
                return bad(name, "the rating scale [rating_min, rating_max] is the single value "
                           "%g, but stored rating %zu is %g", (double)lo, i, (double)r->rating[i]);
    ar_status st = ar_dataset_create_ex(r, NULL, NULL, k->rows, &k->ds);
    if (st == AR_ERR_PARSE) /* the only parse error of a training set alone */
        return bad(name, "a (user, item) pair is stored twice in its training ratings");
    if (st != AR_OK) return st;
    const int by_user = k->rows == AR_ROWS_USERS;
    const char *rows = by_user ? "users" : "items", *cols = by_user ? "items" : "users";
    if (k->ds->n_cols != k->n_cols)
        return bad(name, "cols is %d, but its training ratings have %d distinct %s (the "
                   "model's columns)", k->n_cols, k->ds->n_cols, cols);
    if (k->ds->n_rows != k->n_rows)
        return bad(name, "rows is %d, but its training ratings have %d distinct %s (the "
                   "model's rows)", k->n_rows, k->ds->n_rows, rows);
    return AR_OK;
}

ar_status ar_checkpoint_parse(const void *buf, size_t len, const char *name,
                              ar_checkpoint **out) {
    *out = NULL;
    uint32_t version = 0;
    cursor c = {0};
    ar_status st = check_envelope(buf, len, name, &version, &c);
    if (st != AR_OK) return st;
    ar_checkpoint *k = calloc(1, sizeof *k);
    if (!k) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    uint64_t P = 0;
    int one_value = 0;
    st = parse_config(k, &c, name, version, &P, &one_value);
    /* version 4 on: mu, b_row (rows), b_col (cols) after the moments */
    const size_t n_base = version >= 4 ? 1 + (size_t)k->n_rows + (size_t)k->n_cols : 0;
    if (st == AR_OK) st = parse_ratings(k, &c, name, P, n_base * 4);
    if (st == AR_OK) st = parse_floats(&c, k->n_params, &k->params, 0, "params", name);
    if (st == AR_OK) st = parse_floats(&c, k->n_params, &k->m, 0, "adam_m", name);
    if (st == AR_OK) st = parse_floats(&c, k->n_params, &k->v, 1, "adam_v", name);
    if (st == AR_OK && n_base) st = parse_baseline(k, &c, n_base, name);
    if (st == AR_OK) st = check_ratings(k, one_value, name);
    if (st != AR_OK) ar_checkpoint_free(k);
    else *out = k;
    return st;
}

ar_status ar_checkpoint_read(const char *path, ar_checkpoint **out) {
    *out = NULL;
    char *buf;
    size_t len;
    ar_status st = ar_read_file(path, &buf, &len);
    if (st != AR_OK) return st;
    st = ar_checkpoint_parse(buf, len, path, out);
    free(buf);
    return st;
}
