/* test_model_file.c - crafted model files: each field of a valid file changed to a value that
 * does not fit the others, the payload length and SHA-256 then rewritten to match (anyone can
 * recompute a checksum), must be refused by ar_checkpoint_read with one line "PATH: not a valid
 * model file: REASON" naming the field, and never read out of bounds (this test runs under
 * ci/sanitize.sh too). The first case is the one reported: the column count lowered, with the
 * parameter count and the weights cut to match, made `eval` copy past the weights and print
 * -nan. The valid files are the fuzz harness's seed corpus (tests/fuzz/corpus/model, written
 * by tests/fuzz/gen_model_corpus.c), so the reader's part needs no device. */
#include <openssl/evp.h>
#include <string.h>

#include "testutil.h"

TestSuite(model_file, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* Payload offsets of the fixed fields (format: host/model/checkpoint.c), version 3; version 2
 * lacks the input noise field, so the ones after it are 4 bytes earlier; version 4 has the
 * center field right after it, so they are 4 bytes later (and the baseline after the moments). */
enum {
    O_ROWS_ARE = 0, O_HIDDEN = 4, O_EPOCHS = 8, O_BATCH = 12, O_LR = 16, O_ACT = 36,
    O_NOISE = 44, O_N_LAYERS = 48, O_LAYERS = 52, O_SCALE_MIN = 104, O_SCALE_MAX = 108,
    O_DEFAULT = 112, O_EPOCHS_DONE = 116, O_ROWS = 124, O_COLS = 128, O_N_PARAMS = 132,
    O_SOURCE_LEN = 140
};
enum { HDR = 24, SUM = 32 };

/* A model file in memory and where its variable-length parts are. */
typedef struct {
    unsigned char *b;
    size_t n;
    uint32_t version;
    size_t n_train_at, users_at, items_at, ratings_at, params_at, m_at, v_at; /* absolute */
    size_t base_at, n_base;   /* version 4: the baseline (mu, b_row, b_col) and its floats */
    uint64_t n_train, P;
} mfile;

/* Absolute offset of fixed field o. */
static size_t at(const mfile *f, size_t o) {
    return HDR + o - (f->version == 2 && o > O_NOISE ? 4 : 0) +
           (f->version >= 4 && o > O_NOISE ? 4 : 0);
}

/* Absolute offset of the center field (version 4 on). */
static size_t center_at(const mfile *f) {
    cr_assert(f->version >= 4);
    return HDR + O_NOISE + 4;
}

static void locate(mfile *f) {
    uint32_t src;
    memcpy(&f->version, f->b + 8, 4);
    memcpy(&src, f->b + at(f, O_SOURCE_LEN), 4);
    memcpy(&f->P, f->b + at(f, O_N_PARAMS), 8);
    f->n_train_at = at(f, O_SOURCE_LEN) + 4 + src;
    memcpy(&f->n_train, f->b + f->n_train_at, 8);
    f->users_at = f->n_train_at + 8;
    f->items_at = f->users_at + 4 * f->n_train;
    f->ratings_at = f->items_at + 4 * f->n_train;
    f->params_at = f->ratings_at + 4 * f->n_train;
    f->m_at = f->params_at + 4 * f->P;
    f->v_at = f->m_at + 4 * f->P;
    int32_t dims[2];
    memcpy(dims, f->b + at(f, O_ROWS), sizeof dims);
    f->base_at = f->v_at + 4 * f->P;
    f->n_base = f->version >= 4 ? 1 + (size_t)dims[0] + (size_t)dims[1] : 0;
    cr_assert_eq(f->base_at + 4 * f->n_base + SUM, f->n,
                 "the corpus file's layout is not the test's");
}

static void load(mfile *f, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/model/%s", AUTOREC_SOURCE_DIR, name);
    f->b = (unsigned char *)tu_slurp(path, &f->n);
    cr_assert(f->b, "%s", path);
    locate(f);
}

/* The payload length and SHA-256 rewritten to match, as a crafter would. */
static void seal(mfile *f) {
    uint64_t plen = f->n - HDR - SUM;
    memcpy(f->b + 16, &plen, 8);
    unsigned int len = 0;
    EVP_Digest(f->b + HDR, (size_t)plen, f->b + HDR + plen, &len, EVP_sha256(), NULL);
}

static void put_i32(mfile *f, size_t abs, int32_t v) { memcpy(f->b + abs, &v, 4); }
static void put_f32(mfile *f, size_t abs, float v) { memcpy(f->b + abs, &v, 4); }
static void put_u64(mfile *f, size_t abs, uint64_t v) { memcpy(f->b + abs, &v, 8); }

/* params, m and v each cut to (or padded with zeros to) P floats, n_params set to P; the
 * baseline (version 4) kept after them. */
static void resize_params(mfile *f, uint64_t P) {
    size_t n = f->params_at + 12 * P + 4 * f->n_base + SUM;
    unsigned char *b = calloc(1, n);
    memcpy(b, f->b, f->params_at);
    uint64_t keep = P < f->P ? P : f->P;
    for (int k = 0; k < 3; k++)
        memcpy(b + f->params_at + 4 * P * k, f->b + f->params_at + 4 * f->P * k, 4 * keep);
    memcpy(b + f->params_at + 12 * P, f->b + f->base_at, 4 * f->n_base);
    free(f->b);
    f->b = b;
    f->n = n;
    put_u64(f, at(f, O_N_PARAMS), P);
    locate(f);
}

/* The file must be refused: AR_ERR_PARSE, one line naming the file, saying it is not a valid
 * model file, with words in it. */
static void refused(mfile *f, const char *what, const char *words) {
    seal(f);
    const char *path = tu_path("crafted.bin");
    FILE *o = fopen(path, "wb");
    cr_assert(o && fwrite(f->b, 1, f->n, o) == f->n && fclose(o) == 0);
    ar_checkpoint *ck = NULL;
    ar_status st = ar_checkpoint_read(path, &ck);
    const char *msg = ar_last_error();
    cr_assert_eq(st, AR_ERR_PARSE, "%s: accepted (status %d): %s", what, (int)st, msg);
    cr_assert_null(ck, "%s", what);
    char head[1100];
    snprintf(head, sizeof head, "%s: not a valid model file: ", path);
    cr_assert(strncmp(msg, head, strlen(head)) == 0 && strstr(msg, words) && !strchr(msg, '\n'),
              "%s: expected \"%s\", got: %s", what, words, msg);
    free(f->b);
}

Test(model_file, the_seed_corpus_reads) {
    static const char *const names[] = {"items_h3", "stack_4_2_4", "users_h2", "v2_users_h2",
                                        "one_rating", "source_sigmoid", "center_bias"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/model/%s", AUTOREC_SOURCE_DIR, names[k]);
        ar_checkpoint *ck = NULL;
        cr_assert(ar_checkpoint_read(path, &ck) == AR_OK, "%s", ar_last_error());
        /* files before version 4 are not centered; center_bias is */
        ar_train_config cfg;
        ar_checkpoint_config(ck, &cfg);
        cr_assert_eq(cfg.center, k == 6 ? AR_CENTER_BIAS : AR_CENTER_NONE, "%s", names[k]);
        ar_checkpoint_free(ck);
    }
}

/* The reported file: cols lowered from 6 to 5, n_params and the three arrays cut to the layout
 * of 5 columns, the checksum recomputed. Its ratings still have 6 distinct users. */
static void lower_cols(mfile *f) {
    load(f, "items_h3");
    int32_t cols;
    memcpy(&cols, f->b + at(f, O_COLS), 4);
    cr_assert_eq(cols, 6);
    put_i32(f, at(f, O_COLS), 5);
    ar_layout L;
    int hidden = 3;
    ar_layout_init(&L, 5, &hidden, 1);
    resize_params(f, L.n_params);
}

Test(model_file, fewer_columns_than_the_ratings_have) {
    mfile f;
    lower_cols(&f);
    refused(&f, "cols lowered", "cols is 5, but its training ratings have 6 distinct users");
}

/* The same file through the tool, as the defect was seen: refused with one line, exit 2, no
 * prediction printed. */
Test(model_file, fewer_columns_through_the_tool) {
    mfile f;
    lower_cols(&f);
    seal(&f);
    FILE *o = fopen(tu_path("m.bin"), "wb");
    cr_assert(o && fwrite(f.b, 1, f.n, o) == f.n && fclose(o) == 0);
    free(f.b);
    tu_write_file("test.tsv", "1\t10\t3\n2\t20\t4\n");
    static char out[8192], err[8192];
    const char *cmds[] = {"eval --model %s --test %s", "recommend --model %s --user 1%.0s",
                          "predict --model %s --pairs %s"};
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++) {
        char cmd[4096];
        snprintf(cmd, sizeof cmd, cmds[k], tu_path("m.bin"), tu_path("test.tsv"));
        cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "%s", cmd), 2, "%s: %s",
                     cmd, err);
        cr_assert(strstr(err, "not a valid model file: cols is 5") &&
                  strchr(err, '\n') == strrchr(err, '\n'), "%s: %s", cmd, err);
        cr_assert_str_eq(out, "", "%s", cmd);
    }
}

Test(model_file, parameter_count_that_does_not_fit_the_sizes) {
    mfile f;
    load(&f, "items_h3"); /* 6 columns, 3 hidden units: 45 parameters */
    put_u64(&f, at(&f, O_N_PARAMS), 46);
    refused(&f, "n_params + 1", "n_params is 46; cols 6 and the hidden sizes need 45");
    load(&f, "items_h3");
    resize_params(&f, 44); /* the length consistent with the count */
    refused(&f, "n_params - 1, arrays cut", "n_params is 44; cols 6 and the hidden sizes need 45");
    load(&f, "items_h3");
    resize_params(&f, 48);
    refused(&f, "n_params + 3, arrays padded", "n_params is 48;");
    load(&f, "items_h3");
    put_u64(&f, at(&f, O_N_PARAMS), UINT64_MAX / 4);
    refused(&f, "n_params huge", "n_params is 4611686018427387903;");
    load(&f, "items_h3"); /* a huge cols: no allocation from it */
    put_i32(&f, at(&f, O_COLS), INT32_MAX);
    refused(&f, "cols 2^31-1", "n_params is 45; cols 2147483647 and the hidden sizes need");
}

Test(model_file, ratings_count_against_the_length) {
    mfile f;
    load(&f, "items_h3");
    put_u64(&f, f.n_train_at, f.n_train + 1);
    refused(&f, "n_train + 1", "ratings and n_params 45 do not fill the");
    load(&f, "items_h3");
    put_u64(&f, f.n_train_at, (uint64_t)1 << 40); /* no allocation from it */
    refused(&f, "n_train 2^40", "n_train 1099511627776 ratings");
    load(&f, "items_h3");
    put_u64(&f, f.n_train_at, 0);
    refused(&f, "n_train 0", "n_train 0 ratings");
    load(&f, "items_h3");
    put_i32(&f, at(&f, O_SOURCE_LEN), -16); /* 4 GiB of source path */
    refused(&f, "source length", "the source path's length runs past the end");
    load(&f, "items_h3"); /* cut inside the weights: a consistent header, too few bytes */
    f.n -= 12;
    refused(&f, "cut short", "do not fill");
    load(&f, "items_h3");
    f.n = HDR + 20 + SUM;
    refused(&f, "header cut", "the header is cut short");
}

Test(model_file, ids_out_of_range_or_not_lining_up) {
    mfile f;
    load(&f, "items_h3");
    put_i32(&f, f.users_at + 4 * 2, -1);
    refused(&f, "user -1", "stored rating 2: user -1 item");
    load(&f, "items_h3");
    put_i32(&f, f.items_at, INT32_MIN);
    refused(&f, "item -2^31", "ids must be in 0..2147483647");
    load(&f, "items_h3"); /* an item no other rating has: one row more than stored */
    put_i32(&f, f.items_at, 999);
    refused(&f, "new item", "rows is 5, but its training ratings have 6 distinct items");
    load(&f, "users_h2"); /* U-AutoRec: users are the rows */
    put_i32(&f, f.users_at, 999);
    refused(&f, "new user", "rows is 6, but its training ratings have 7 distinct users");
    load(&f, "items_h3");
    memcpy(f.b + f.users_at + 4, f.b + f.users_at, 4);
    memcpy(f.b + f.items_at + 4, f.b + f.items_at, 4);
    refused(&f, "pair twice", "a (user, item) pair is stored twice in its training ratings");
    load(&f, "items_h3");
    put_f32(&f, f.ratings_at + 4, NAN);
    refused(&f, "NaN rating", "stored rating 1 is nan, not finite");
}

Test(model_file, weights_and_moments_not_finite) {
    mfile f;
    load(&f, "items_h3");
    put_f32(&f, f.params_at + 4 * 3, NAN);
    refused(&f, "NaN weight", "params[3] is nan: it must be finite");
    load(&f, "stack_4_2_4");
    put_f32(&f, f.params_at + 4 * (f.P - 1), -INFINITY);
    refused(&f, "-inf bias", "is -inf: it must be finite");
    load(&f, "items_h3");
    put_f32(&f, f.m_at + 4 * 2, INFINITY);
    refused(&f, "inf Adam m", "adam_m[2] is inf");
    load(&f, "items_h3");
    put_f32(&f, f.v_at + 4, -1e-3f);
    refused(&f, "negative Adam v", "adam_v[1] is -0.001: it must be finite and >= 0");
    load(&f, "v2_users_h2");
    put_f32(&f, f.v_at, NAN);
    refused(&f, "NaN Adam v, version 2", "adam_v[0] is nan");
}

Test(model_file, sizes_and_settings) {
    static const struct { const char *base; size_t o; int32_t v; const char *words; } cases[] = {
        {"stack_4_2_4", O_N_LAYERS, 9, "ar_train_config.n_layers must be in 0..8, got 9"},
        {"stack_4_2_4", O_N_LAYERS, -1, "ar_train_config.n_layers must be in 0..8, got -1"},
        {"stack_4_2_4", O_LAYERS + 4, 0, "layers[1] has 0 units"},
        {"items_h3", O_HIDDEN, 0, "ar_train_config.hidden must be in 1..1000000, got 0"},
        {"v2_users_h2", O_HIDDEN, 0, "ar_train_config.hidden must be in 1..1000000, got 0"},
        {"items_h3", O_BATCH, 0, "ar_train_config.batch must be in"},
        {"items_h3", O_EPOCHS, -3, "ar_train_config.epochs must be in"},
        {"items_h3", O_ACT, 17, "ar_train_config.activation: unknown activation 17"},
        {"items_h3", O_NOISE, 5, "ar_train_config.input_noise: unknown form 5"},
        {"items_h3", O_ROWS_ARE, 2, "rows_are is 2"},
        {"items_h3", O_EPOCHS_DONE, -1, "the epochs done are -1, not in 0..1000000"},
        {"items_h3", O_EPOCHS_DONE, INT32_MAX, "the epochs done are 2147483647"},
        {"items_h3", O_ROWS, 0, "rows 0 and cols 6 must be >= 1"},
        {"items_h3", O_ROWS, 4, "rows is 4, but its training ratings have 5 distinct items"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mfile f;
        load(&f, cases[k].base);
        put_i32(&f, at(&f, cases[k].o), cases[k].v);
        refused(&f, cases[k].words, cases[k].words);
    }
    mfile f;
    load(&f, "items_h3");
    put_f32(&f, at(&f, O_LR), NAN);
    refused(&f, "lr NaN", "ar_train_config.lr must be in (0, 10), got nan");
}

Test(model_file, rating_scale) {
    static const struct { float lo, hi, def; const char *words; } cases[] = {
        {5, 1, 3, "[rating_min, rating_max] = [5, 1] has min > max"},
        {1, INFINITY, 3, "must be finite"},
        {NAN, 5, 3, "must be finite"},
        {1, 5, NAN, "must be finite"},
        {1, 5, 9, "default_rating 9 is outside the rating scale [1, 5]"},
        {3, 3, 3, "is the single value 3, but stored rating"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mfile f;
        load(&f, "items_h3");
        put_f32(&f, at(&f, O_SCALE_MIN), cases[k].lo);
        put_f32(&f, at(&f, O_SCALE_MAX), cases[k].hi);
        put_f32(&f, at(&f, O_DEFAULT), cases[k].def);
        refused(&f, cases[k].words, cases[k].words);
    }
    /* a one-value scale is what data with one rating value gives: read, as a usable scale */
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/model/one_rating", AUTOREC_SOURCE_DIR);
    ar_checkpoint *ck = NULL;
    cr_assert(ar_checkpoint_read(path, &ck) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_checkpoint_config(ck, &cfg);
    cr_assert(cfg.rating_min < cfg.rating_max && ar_train_config_validate(&cfg) == AR_OK);
    ar_checkpoint_free(ck);
}

/* Version 4's centering fields: the mode one of ar_center, the baseline finite, all zero when
 * the model is not centered, and exactly 1 + rows + cols floats of it. */
Test(model_file, centering_mode_and_baseline) {
    mfile f;
    load(&f, "center_bias");
    cr_assert_eq(f.version, 4u);
    put_i32(&f, center_at(&f), 3);
    refused(&f, "center 3", "its centering is auto, which a trained model never has");
    load(&f, "center_bias");
    put_i32(&f, center_at(&f), 4);
    refused(&f, "center 4", "ar_train_config.center: unknown mode 4");
    load(&f, "center_bias");
    put_i32(&f, center_at(&f), -1);
    refused(&f, "center -1", "ar_train_config.center: unknown mode -1");
    load(&f, "center_bias");
    put_f32(&f, f.base_at, NAN);
    refused(&f, "NaN mu", "baseline[0] is nan: it must be finite");
    load(&f, "center_bias");
    put_f32(&f, f.base_at + 4 * (f.n_base - 1), INFINITY);
    refused(&f, "infinite column bias", "is inf: it must be finite");
    /* a baseline that center none would ignore */
    load(&f, "center_bias");
    put_i32(&f, center_at(&f), AR_CENTER_NONE);
    refused(&f, "center none with a baseline", "but the model is not centered");
    /* the baseline one float short: the floats after the ratings no longer fit */
    load(&f, "center_bias");
    memmove(f.b + f.n - SUM - 4, f.b + f.n - SUM, SUM);
    f.n -= 4;
    refused(&f, "baseline cut short", "do not fill");
}
