/* gen_model_corpus.c - writes the seed corpus of the model-file harness (fuzz_model.c): small
 * valid model files of several shapes, trained on tiny made-up ratings (no real data), each read
 * back with ar_checkpoint_read as a check.
 *
 *   cmake --build build --target gen_model_corpus
 *   build/tests/gen_model_corpus tests/fuzz/corpus/model    # needs an OpenCL device
 *
 * The files (a few hundred bytes to a few KB each):
 *   items_h3        I-AutoRec, one hidden layer of 3, one epoch (Adam moments set)
 *   stack_4_2_4     three hidden layers (4, 2, 4), tanh, dropout 0.2, batch 2: several steps
 *   users_h2        U-AutoRec, 2 hidden units, ELU, masking input dropout 0.25
 *   v2_users_h2     users_h2 as a version 2 file (no input noise field: read as inverted)
 *   one_rating      1 user, 1 item, 1 rating: the smallest model, scale min == max, untrained
 *   source_sigmoid  trained from a ratings file (so the source path is stored), sigmoid output,
 *                   a configured scale [0.5, 5] and default 2
 *   center_bias     I-AutoRec centered on the bias baseline (--center bias, format 4: the mode
 *                   and the baseline's mu, item and user biases stored)
 * The weights differ from one device to another; the shapes and fields do not. Version 2 files
 * are made from version 4 ones: the 4-byte noise and center fields and the baseline at the end
 * removed, the version, length and SHA-256 rewritten. The committed corpus keeps the files
 * written before format 4 (version 3, and v2_users_h2) as they were: they are its old-format
 * seeds; center_bias is the one written since.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "autorec.h"

static void die(const char *what) {
    fprintf(stderr, "gen_model_corpus: %s: %s\n", what, ar_last_error());
    exit(1);
}

/* users x items made-up ratings 1..5 with about 3 in 4 pairs present. */
static ar_ratings *made_up(int users, int items) {
    int64_t u[64], i[64];
    float r[64];
    size_t n = 0;
    for (int a = 1; a <= users; a++)
        for (int b = 1; b <= items; b++)
            if (n < 64 && ((a * 3 + b * 7) % 4 != 0 || users * items < 4)) {
                u[n] = a, i[n] = b * 10; /* item ids not dense: the id maps matter */
                r[n++] = (float)(1 + (a + 2 * b) % 5);
            }
    ar_ratings *out = NULL;
    if (ar_ratings_from_arrays(u, i, r, n, &out) != AR_OK) die("ratings");
    return out;
}

static void config(ar_train_config *c, int hidden, int epochs) {
    ar_train_config_default(c);
    c->hidden = hidden;
    c->epochs = epochs;
    c->batch = 4;
    c->seed = 7;
}

/* Trains a model of cfg on tr (rows) for its epochs (none with untrained set) and saves it to
 * path, then reads it back. */
static void save(ar_ctx *ctx, const ar_ratings *tr, ar_rows rows, const ar_train_config *cfg,
                 int untrained, const char *path) {
    ar_dataset *ds = NULL;
    ar_model *m = NULL;
    if (ar_dataset_create_ex(tr, NULL, NULL, rows, &ds) != AR_OK) die(path);
    if (ar_model_create(ctx, ds, cfg, &m) != AR_OK) die(path);
    while (!untrained && ar_model_epochs_done(m) < cfg->epochs)
        if (ar_model_train_epoch(m, NULL) != AR_OK) die(path);
    if (ar_model_save(m, path) != AR_OK) die(path);
    ar_checkpoint *ck = NULL;
    if (ar_checkpoint_read(path, &ck) != AR_OK) die(path);
    ar_checkpoint_free(ck);
    ar_model_free(m);
    ar_dataset_free(ds);
}

/* A version 2 copy of the version 4 file src. */
static void to_version_2(const char *src, const char *dst) {
    FILE *f = fopen(src, "rb");
    static unsigned char b[1 << 16];
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (!f || n == 0 || n == sizeof b) die(src);
    fclose(f);
    const size_t at = 24 + 16 + 20 + 8; /* header, i32[4], f32[5], i32[2] activations */
    int32_t dims[2]; /* rows, cols: after noise, center, layers, seed, Adam, scale, counters */
    memcpy(dims, b + at + 8 + 36 + 8 + 12 + 12 + 8, sizeof dims);
    const size_t tail = 4 * (1 + (size_t)dims[0] + (size_t)dims[1]); /* the baseline */
    memmove(b + n - 32 - tail, b + n - 32, 32);                       /* drop it */
    n -= tail;
    memmove(b + at, b + at + 8, n - at - 8); /* drop the noise and center fields */
    n -= 8;
    uint32_t version = 2;
    uint64_t plen = n - 24 - 32;
    memcpy(b + 8, &version, 4);
    memcpy(b + 16, &plen, 8);
    unsigned int len = 0;
    EVP_Digest(b + 24, (size_t)plen, b + 24 + plen, &len, EVP_sha256(), NULL);
    if (!(f = fopen(dst, "wb")) || fwrite(b, 1, n, f) != n || fclose(f) != 0) die(dst);
    ar_checkpoint *ck = NULL;
    if (ar_checkpoint_read(dst, &ck) != AR_OK) die(dst);
    ar_checkpoint_free(ck);
}

int main(int argc, char **argv) {
    if (argc != 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: gen_model_corpus DIR (an existing directory)\n");
        return 2;
    }
    ar_ctx *ctx = NULL;
    if (ar_ctx_create(NULL, &ctx) != AR_OK) die("device");
    ar_train_config c;
    ar_ratings *r = made_up(6, 5);
    config(&c, 3, 1);
    save(ctx, r, AR_ROWS_ITEMS, &c, 0, "items_h3");
    config(&c, 3, 2);
    c.n_layers = 3, c.layers[0] = 4, c.layers[1] = 2, c.layers[2] = 4;
    c.activation = AR_ACT_TANH, c.dropout = 0.2f, c.batch = 2;
    save(ctx, r, AR_ROWS_ITEMS, &c, 0, "stack_4_2_4");
    config(&c, 2, 1);
    c.activation = AR_ACT_ELU, c.input_dropout = 0.25f, c.input_noise = AR_NOISE_MASK;
    save(ctx, r, AR_ROWS_USERS, &c, 0, "users_h2");
    to_version_2("users_h2", "v2_users_h2");
    ar_ratings_free(r);
    r = made_up(1, 1);
    config(&c, 1, 1);
    save(ctx, r, AR_ROWS_ITEMS, &c, 1, "one_rating");
    ar_ratings_free(r);
    /* a ratings file, so that the model stores its (relative) path */
    FILE *f = fopen("synthetic.tsv", "w");
    if (!f || fputs("1\t1\t4\n1\t2\t2\n2\t1\t5\n3\t2\t1\n3\t3\t3\n", f) < 0 || fclose(f) != 0)
        die("synthetic.tsv");
    if (ar_ratings_load("synthetic.tsv", &r) != AR_OK) die("synthetic.tsv");
    config(&c, 2, 1);
    c.out_activation = AR_ACT_SIGMOID, c.rating_min = 0.5f, c.rating_max = 5, c.default_rating = 2;
    save(ctx, r, AR_ROWS_ITEMS, &c, 0, "source_sigmoid");
    ar_ratings_free(r);
    remove("synthetic.tsv");
    r = made_up(6, 5);
    config(&c, 3, 2);
    c.center = AR_CENTER_BIAS;
    save(ctx, r, AR_ROWS_ITEMS, &c, 0, "center_bias");
    ar_ratings_free(r);
    ar_ctx_free(ctx);
    return 0;
}
