/* test_checkpoint.c - model files: resuming gives exactly the uninterrupted run, bad files are
 * refused, predictions agree with evaluation, and the save / eval / predict / recommend
 * commands. Synthetic data on the test device. */
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char out[65536], err[65536];

TestSuite(checkpoint, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static void config(ar_train_config *cfg, int epochs) {
    ar_train_config_default(cfg);
    cfg->hidden = 12;
    cfg->batch = 8;
    cfg->dropout = 0.2f; /* dropout masks are keyed by the Adam step: resuming must keep it */
    cfg->epochs = epochs;
    cfg->seed = tu_seed();
}

static void train(ar_model *m, double *test_rmse) {
    ar_epoch_stats s = {0};
    while (ar_model_epochs_done(m) < ar_model_config(m)->epochs)
        cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
    if (test_rmse) *test_rmse = s.test_rmse;
}

/* A model created on ds and trained for cfg->epochs. */
static ar_model *trained(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg) {
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, cfg, &m) == AR_OK, "%s", ar_last_error());
    train(m, NULL);
    return m;
}

Test(checkpoint, resume_equals_the_uninterrupted_run) {
    ar_ratings *tr, *te;
    tu_synth(40, 30, 3, 0.4, 0.2, tu_seed(), &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK, "%s", ar_last_error());
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    ar_model *full, *half, *resumed;
    double te6, te3, te_resumed;
    config(&cfg, 6);
    cr_assert(ar_model_create(ctx, ds, &cfg, &full) == AR_OK, "%s", ar_last_error());
    train(full, &te6);
    config(&cfg, 3);
    cr_assert(ar_model_create(ctx, ds, &cfg, &half) == AR_OK);
    train(half, &te3);
    cr_assert(ar_model_save(half, tu_path("m3")) == AR_OK, "%s", ar_last_error());
    ar_checkpoint *ck;
    cr_assert(ar_checkpoint_read(tu_path("m3"), &ck) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_checkpoint_epochs_done(ck), 3);
    /* the dataset rebuilt from the file's ratings, as `autorec eval` does */
    ar_dataset *ds2;
    cr_assert(ar_dataset_create(ar_checkpoint_train(ck), te, &ds2) == AR_OK, "%s", ar_last_error());
    config(&cfg, 6);
    cr_assert(ar_model_create_from(ctx, ds2, ck, &cfg, &resumed) == AR_OK, "%s", ar_last_error());
    train(resumed, &te_resumed);
    fprintf(stderr, "  test RMSE: 6 epochs %.9f, 3 + 3 resumed %.9f (after 3: %.9f)\n", te6,
            te_resumed, te3);
    cr_assert(fabs(te6 - te_resumed) <= 1e-6, "resumed %.9f vs uninterrupted %.9f", te_resumed,
              te6);
    /* the weights too */
    size_t P = ar_model_layout(full)->n_params;
    float *a = malloc(P * sizeof *a), *b = malloc(P * sizeof *b);
    cr_assert(ar_model_params(full, a, 0) == AR_OK && ar_model_params(resumed, b, 0) == AR_OK);
    tu_compare("weights after 6 epochs", b, a, P, 1e-6, 1e-5);
    /* a different configuration or other training data is refused */
    ar_train_config other;
    config(&other, 6);
    other.hidden = 13;
    ar_model *x = NULL;
    cr_assert_eq(ar_model_create_from(ctx, ds2, ck, &other, &x), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_train_config.hidden"), "%s", ar_last_error());
    ar_dataset *ds3;
    cr_assert(ar_dataset_create(te, tr, &ds3) == AR_OK); /* train and test swapped */
    cr_assert_eq(ar_model_create_from(ctx, ds3, ck, NULL, &x), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "training ratings differ"), "%s", ar_last_error());
    free(a);
    free(b);
    ar_dataset_free(ds3);
    ar_model_free(full);
    ar_model_free(half);
    ar_model_free(resumed);
    ar_checkpoint_free(ck);
    ar_dataset_free(ds2);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

static size_t file_size(const char *p) {
    FILE *f = fopen(p, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    size_t n = (size_t)ftell(f);
    fclose(f);
    return n;
}

Test(checkpoint, bad_files_are_refused_and_saves_are_atomic) {
    ar_ratings *tr, *te;
    tu_synth(30, 20, 2, 0.4, 0.2, 5, &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK);
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    config(&cfg, 1);
    ar_model *m = trained(ctx, ds, &cfg);
    cr_assert(ar_model_save(m, tu_path("m")) == AR_OK, "%s", ar_last_error());
    size_t n = file_size(tu_path("m"));
    char *good = tu_slurp(tu_path("m"), NULL);
    static const struct { const char *name; size_t len; size_t flip; const char *words; } cases[] = {
        {"truncated", 0, 0, "truncated"},        /* len n/2 below */
        {"flipped", 1, 0, "SHA-256"},            /* one payload byte changed */
        {"foreign", 2, 0, "not an autorec model"},
        {"header-only", 3, 0, "truncated"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        FILE *f = fopen(tu_path("bad"), "wb");
        if (cases[k].len == 0) fwrite(good, 1, n / 2, f);
        else if (cases[k].len == 1) {
            good[n / 2] ^= 0x10;
            fwrite(good, 1, n, f);
            good[n / 2] ^= 0x10;
        } else if (cases[k].len == 2) fputs("1\t2\t3\n", f);
        else fwrite(good, 1, 20, f);
        fclose(f);
        ar_checkpoint *ck = NULL;
        cr_assert_eq(ar_checkpoint_read(tu_path("bad"), &ck), AR_ERR_PARSE, "%s", cases[k].name);
        cr_assert(strstr(ar_last_error(), cases[k].words) && strstr(ar_last_error(), "bad"),
                  "%s: %s", cases[k].name, ar_last_error());
        cr_assert_null(ck);
    }
    /* an unwritable place: an error, and no temporary left behind */
    cr_assert_eq(ar_model_save(m, "/nonexistent-dir/m"), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "/nonexistent-dir/m"), "%s", ar_last_error());
    tu_assert_no_temporaries();
    free(good);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

/* A version 2 file (written before the input noise form existed) is still read, as inverted
 * input dropout, which is what version 2 trained with. Made here from a version 4 file: the
 * 4-byte noise and center fields and the (all-zero) baseline at the end removed, the version and
 * length fields and the SHA-256 rewritten. */
Test(checkpoint, version_2_files_read_as_inverted_input_noise) {
    ar_ratings *tr, *te;
    tu_synth(30, 20, 2, 0.4, 0.2, 5, &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK);
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    config(&cfg, 1);
    cfg.input_dropout = 0.25f;
    cfg.input_noise = AR_NOISE_MASK;
    ar_model *m = trained(ctx, ds, &cfg);
    cr_assert(ar_model_save(m, tu_path("v3")) == AR_OK, "%s", ar_last_error());
    size_t n;
    unsigned char *v3 = (unsigned char *)tu_slurp(tu_path("v3"), &n);
    uint32_t version;
    memcpy(&version, v3 + 8, 4);
    cr_assert_eq(version, 4u);
    /* header 24 bytes, then i32[4] rows_are..batch, f32[5] lr..input_dropout, i32[2] acts */
    const size_t at = 24 + 16 + 20 + 8;
    int32_t noise;
    memcpy(&noise, v3 + at, 4);
    cr_assert_eq(noise, AR_NOISE_MASK);
    /* the baseline: mu and one float per row and column (30 users x 20 items) */
    const size_t tail = 4 * (1 + (size_t)ds->n_rows + (size_t)ds->n_cols), n2 = n - 8 - tail;
    unsigned char *v2 = malloc(n);
    memcpy(v2, v3, at);
    memcpy(v2 + at, v3 + at + 8, n - at - 8 - tail - 32);
    version = 2;
    memcpy(v2 + 8, &version, 4);
    uint64_t plen = n2 - 24 - 32;
    memcpy(v2 + 16, &plen, 8);
    unsigned int sum_len = 0;
    EVP_Digest(v2 + 24, (size_t)plen, v2 + 24 + plen, &sum_len, EVP_sha256(), NULL);
    FILE *f = fopen(tu_path("v2"), "wb");
    cr_assert(f && fwrite(v2, 1, n2, f) == n2 && fclose(f) == 0);
    ar_checkpoint *ck = NULL;
    cr_assert(ar_checkpoint_read(tu_path("v2"), &ck) == AR_OK, "%s", ar_last_error());
    ar_train_config got;
    ar_checkpoint_config(ck, &got);
    cr_assert_eq(got.input_noise, AR_NOISE_INVERTED);
    cr_assert(got.input_dropout == 0.25f && got.hidden == cfg.hidden && got.seed == cfg.seed);
    ar_checkpoint_free(ck);
    /* a version from the future is refused by name */
    version = 5;
    memcpy(v3 + 8, &version, 4);
    f = fopen(tu_path("v5"), "wb");
    cr_assert(f && fwrite(v3, 1, n, f) == n && fclose(f) == 0);
    cr_assert_eq(ar_checkpoint_read(tu_path("v5"), &ck), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "version 5"), "%s", ar_last_error());
    free(v2);
    free(v3);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

/* ar_model_predict at the test pairs gives the RMSE the evaluation reports. */
Test(checkpoint, predictions_agree_with_evaluation) {
    ar_ratings *tr, *te;
    tu_synth(50, 40, 3, 0.3, 0.2, 9, &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK);
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    config(&cfg, 3);
    cfg.batch = 7; /* several passes of B rows in the prediction too */
    ar_model *m = trained(ctx, ds, &cfg);
    double train_rmse, test_rmse;
    cr_assert(ar_model_evaluate(m, &train_rmse, &test_rmse) == AR_OK);
    size_t n = ar_ratings_count(te);
    int64_t *u = malloc((n + 1) * sizeof *u), *i = malloc((n + 1) * sizeof *i);
    float *r = malloc((n + 1) * sizeof *r), *p = malloc((n + 1) * sizeof *p);
    for (size_t k = 0; k < n; k++) ar_ratings_get(te, k, &u[k], &i[k], &r[k]);
    u[n] = 1000000, i[n] = 1; /* an unknown user: the default prediction */
    cr_assert(ar_model_predict(m, u, i, n + 1, p) == AR_OK, "%s", ar_last_error());
    double sse = 0;
    for (size_t k = 0; k < n; k++) sse += (double)(p[k] - r[k]) * (p[k] - r[k]);
    float lo, hi, def;
    ar_model_rating_scale(m, &lo, &hi, &def);
    cr_assert(p[n] == def, "unknown user predicted %g, default %g", (double)p[n], (double)def);
    cr_assert(fabs(sqrt(sse / n) - test_rmse) < 1e-5, "predict %.7f evaluate %.7f",
              sqrt(sse / n), test_rmse);
    free(u); free(i); free(r); free(p);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

#define run(env, ...) tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, __VA_ARGS__)

/* eval on the model's training file and predict on malformed pairs, with the model at path
 * (trained on u1.base). */
static void refuses_bad_inputs(const char *model) {
    /* eval on the training file: the model file and the test file's line named, no line 0 */
    cr_assert_eq(run(NULL, "eval --model %s --test %s", model, tu_path("u1.base")), 2);
    cr_assert(strstr(err, "m4.bin: ") && strstr(err, "u1.base:") &&
              strstr(err, ": the test rating of user") &&
              strstr(err, "one of the training ratings (read from") && !strstr(err, ":0"),
              "%s", err);
    /* a line's second id is never taken from the next line; a NUL byte is binary data */
    const char *bad_pairs[] = {"1 1\n1 \n2 3\n", "1 1\n1\0 2\n"};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(tu_path("pairs"), "wb");
        fwrite(bad_pairs[k], 1, k ? 9 : 11, f);
        fclose(f);
        cr_assert_eq(run(NULL, "predict --model %s --pairs %s", model, tu_path("pairs")), 2);
        cr_assert(strstr(err, "pairs:2:") && (!k || strstr(err, "NUL")), "%s", err);
    }
}

Test(checkpoint, cli_save_resume_eval_predict_recommend) {
    ar_ratings *tr, *te;
    tu_synth(40, 30, 2, 0.4, 0.2, 4, &tr, &te);
    tu_write_ratings(tu_path("u1.base"), tr);
    tu_write_ratings(tu_path("u1.test"), te);
    FILE *f = fopen(tu_path("u.item"), "wb");
    for (int k = 1; k <= 30; k++) fprintf(f, "%d|Film & <%d>|01-Jan-1990||\n", k, k);
    fclose(f);
    /* no validation set: the resumed run must reproduce the uninterrupted one's last epoch */
    const char *common = "--hidden 8 --batch 8 --quiet --json --valid-ratio 0";
    cr_assert_eq(run(NULL, "train --data %s %s --epochs 4", tu_tmpdir(), common), 0, "%s", err);
    char *four = strstr(out, "\"test_rmse\":");
    cr_assert(four);
    char want[64];
    snprintf(want, sizeof want, "%.20s", four);
    cr_assert_eq(run(NULL, "train --data %s %s --epochs 2 --save %s", tu_tmpdir(), common,
                     tu_path("m.bin")),
                 0, "%s", err);
    /* model settings come from the file: given again, a conflict is a usage error naming
     * the flag and both values */
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 4 --hidden 16 --lr 0.001",
                     tu_tmpdir(), tu_path("m.bin")), 2);
    cr_assert(strstr(err, "--hidden 16 conflicts with") && strstr(err, "m.bin") &&
              strstr(err, "trained with --hidden 8"), "%s", err);
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 2", tu_tmpdir(),
                     tu_path("m.bin")), 2);
    cr_assert(strstr(err, "2 epochs already"), "%s", err);
    /* the first run's command line with --resume added: its equal settings are accepted, and
     * the result is the uninterrupted run's */
    cr_assert_eq(run(NULL, "train --data %s %s --epochs 4 --resume %s --save %s", tu_tmpdir(),
                     common, tu_path("m.bin"), tu_path("m4.bin")), 0, "%s", err);
    cr_assert(strstr(out, want), "resumed run '%s' lacks the uninterrupted '%s'", out, want);
    /* eval on the test file reproduces the run's test RMSE */
    cr_assert_eq(run(NULL, "eval --model %s --test %s --json", tu_path("m4.bin"),
                     tu_path("u1.test")), 0,
                 "%s", err);
    cr_assert(strstr(out, want), "eval '%s' lacks '%s'", out, want);
    /* predict: one line per pair, in order; cold pairs get the middle of the scale */
    f = fopen(tu_path("pairs"), "wb");
    fputs("1 1\n\n1,2\n99999 1\n", f);
    fclose(f);
    cr_assert_eq(run(NULL, "predict --model %s --pairs %s", tu_path("m4.bin"), tu_path("pairs")), 0,
                 "%s", err);
    cr_assert(!strncmp(out, "1\t1\t", 4) && strstr(out, "\n1\t2\t") && strstr(out,
                                                                              "99999\t1\t3.0000"),
              "%s", out);
    f = fopen(tu_path("pairs"), "wb");
    fputs("1 1\n1 x\n", f);
    fclose(f);
    cr_assert_eq(run(NULL, "predict --model %s --pairs %s", tu_path("m4.bin"), tu_path("pairs")),
                 2);
    cr_assert(strstr(err, "pairs:2:"), "%s", err);
    refuses_bad_inputs(tu_path("m4.bin"));
    /* recommend: unrated items only, with (escaped, in JSON) titles */
    cr_assert_eq(run(NULL, "recommend --model %s --user 1 -n 3 --json", tu_path("m4.bin")), 0,
                 "%s", err);
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++) lines++;
    cr_assert_eq(lines, 3, "%s", out);
    cr_assert(strstr(out, "\"title\":\"Film & <"), "%s", out);
    for (size_t k = 0; k < ar_ratings_count(tr); k++) {
        int64_t u, i;
        ar_ratings_get(tr, k, &u, &i, NULL);
        char item[48];
        snprintf(item, sizeof item, "\"item\":%lld,", (long long)i);
        cr_assert(u != 1 || !strstr(out, item), "recommended item %lld that user 1 rated",
                  (long long)i);
    }
    cr_assert_eq(run(NULL, "recommend --model %s --user 777", tu_path("m4.bin")), 2);
    cr_assert(strstr(err, "user 777"), "%s", err);
    cr_assert_eq(run(NULL, "eval --model %s --test %s", tu_path("u1.test"), tu_path("u1.test")), 2);
    cr_assert(strstr(err, "not an autorec model"), "%s", err);
    cr_assert_eq(run(NULL, "recommend --model %s", tu_path("m4.bin")), 2);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}

/* ar_ensemble_predict is the mean of its members' ar_model_predict, which it also returns;
 * the two members here are trained on different data (U-AutoRec and I-AutoRec even). */
Test(checkpoint, ensemble_predict_is_the_mean_of_the_members) {
    ar_ratings *tr, *te;
    tu_synth(30, 25, 2, 0.4, 0.2, 12, &tr, &te);
    ar_dataset *ds[2];
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    ar_model *m[2];
    for (int k = 0; k < 2; k++) {
        cr_assert(ar_dataset_create_ex(tr, NULL, te, k ? AR_ROWS_USERS : AR_ROWS_ITEMS, &ds[k]) ==
                  AR_OK);
        config(&cfg, 25); /* enough epochs to leave the clamp at the scale's bottom */
        cfg.seed = 5 + (unsigned)k;
        m[k] = trained(ctx, ds[k], &cfg);
    }
    size_t n = ar_ratings_count(te);
    int64_t *u = malloc((n + 1) * sizeof *u), *i = malloc((n + 1) * sizeof *i);
    float *p[2], *mean = malloc((n + 1) * sizeof *mean), *both = malloc(2 * (n + 1) * sizeof *both);
    for (size_t k = 0; k < n; k++) ar_ratings_get(te, k, &u[k], &i[k], NULL);
    u[n] = 99999, i[n] = 1; /* unseen by both: the default from each, so the default */
    for (int k = 0; k < 2; k++) {
        p[k] = malloc((n + 1) * sizeof *p[k]);
        cr_assert(ar_model_predict(m[k], u, i, n + 1, p[k]) == AR_OK, "%s", ar_last_error());
    }
    cr_assert(ar_ensemble_predict(m, 2, u, i, n + 1, mean, both) == AR_OK, "%s", ar_last_error());
    double diff = 0;
    for (size_t k = 0; k <= n; k++) {
        cr_assert(both[k] == p[0][k] && both[n + 1 + k] == p[1][k], "member outputs at %zu", k);
        cr_assert(fabs(mean[k] - 0.5f * (p[0][k] + p[1][k])) <= 1e-6f, "pair %zu", k);
        diff += fabs(p[0][k] - p[1][k]);
    }
    cr_assert(diff > 1e-3, "the two members predict the same: the test would not see a mix-up");
    float lo, hi, def;
    ar_model_rating_scale(m[0], &lo, &hi, &def);
    cr_assert(mean[n] == def);
    /* without the members' buffer, the same means */
    cr_assert(ar_ensemble_predict(m, 2, u, i, n + 1, both, NULL) == AR_OK);
    cr_assert(memcmp(both, mean, (n + 1) * sizeof *mean) == 0);
    /* no models, or a NULL one: refused */
    cr_assert_eq(ar_ensemble_predict(m, 0, u, i, n, mean, NULL), AR_ERR_INVALID_ARG);
    ar_model *holes[2] = {m[0], NULL};
    cr_assert_eq(ar_ensemble_predict(holes, 2, u, i, n, mean, NULL), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "member 2"), "%s", ar_last_error());
    for (int k = 0; k < 2; k++) {
        free(p[k]);
        ar_model_free(m[k]);
        ar_dataset_free(ds[k]);
    }
    free(u); free(i); free(mean); free(both);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(ctx);
}

/* Reads predict's "user item prediction" lines into p (n of them). */
static void read_predictions(const char *text, float *p, size_t n) {
    size_t k = 0;
    for (const char *s = text; *s && k < n; k++) {
        long long u, i;
        cr_assert_eq(sscanf(s, "%lld\t%lld\t%f", &u, &i, &p[k]), 3, "%s", s);
        s = strchr(s, '\n');
        cr_assert(s);
        s++;
    }
    cr_assert_eq(k, n);
}

/* Several --model flags: predict gives the mean of the members' predictions, eval the RMSE of
 * that mean and each member's own, recommend ranks by the mean. */
Test(checkpoint, cli_ensemble_eval_predict_recommend) {
    ar_ratings *tr, *te;
    tu_synth(40, 30, 2, 0.4, 0.2, 6, &tr, &te);
    tu_write_ratings(tu_path("u1.base"), tr);
    tu_write_ratings(tu_path("u1.test"), te);
    const size_t n = ar_ratings_count(te);
    for (int s = 1; s <= 2; s++) {
        char name[16];
        snprintf(name, sizeof name, "s%d.bin", s);
        cr_assert_eq(run(NULL, "train --data %s --hidden 8 --batch 8 --epochs 3 --seed %d --quiet "
                         "--valid-ratio 0 --dropout 0 --input-dropout 0 --save %s", tu_tmpdir(), s,
                         tu_path(name)), 0, "%s",
                     err);
    }
    double member[2];
    float *p[3];
    for (int s = 0; s < 3; s++) cr_assert((p[s] = malloc(n * sizeof *p[s])) != NULL);
    for (int s = 0; s < 2; s++) {
        const char *m = tu_path(s ? "s2.bin" : "s1.bin");
        cr_assert_eq(run(NULL, "eval --model %s --test %s --json", m, tu_path("u1.test")), 0, "%s",
                     err);
        member[s] = tu_json_number(out, "test_rmse");
        cr_assert_eq(run(NULL, "predict --model %s --pairs %s", m, tu_path("u1.test")), 0, "%s",
                     err);
        read_predictions(out, p[s], n);
    }
    cr_assert(fabs(member[0] - member[1]) > 1e-6, "two seeds, the same model?");
    cr_assert_eq(run(NULL, "predict --model %s --model %s --pairs %s", tu_path("s1.bin"),
                     tu_path("s2.bin"), tu_path("u1.test")), 0, "%s", err);
    read_predictions(out, p[2], n);
    double sse = 0;
    for (size_t k = 0; k < n; k++) {
        float r;
        ar_ratings_get(te, k, NULL, NULL, &r);
        /* printed to 4 decimals: each figure is within 5e-5 of the exact one */
        cr_assert(fabs(p[2][k] - 0.5 * (p[0][k] + p[1][k])) <= 1.0001e-4, "pair %zu: %g vs %g, %g",
                  k, (double)p[2][k], (double)p[0][k], (double)p[1][k]);
        sse += (double)(p[2][k] - r) * (p[2][k] - r);
    }
    cr_assert_eq(run(NULL, "eval --model %s --model %s --test %s --json", tu_path("s1.bin"),
                     tu_path("s2.bin"), tu_path("u1.test")), 0, "%s", err);
    cr_assert(strstr(out, "\"member_test_rmse\":[") && strstr(out, "\"models\":["), "%s", out);
    const char *mem = strstr(out, "\"member_test_rmse\":[") + strlen("\"member_test_rmse\":[");
    double m0 = strtod(mem, NULL), m1 = strtod(strchr(mem, ',') + 1, NULL);
    cr_assert(fabs(m0 - member[0]) < 1e-5 && fabs(m1 - member[1]) < 1e-5,
              "members %.7f %.7f, alone %.7f %.7f", m0, m1, member[0], member[1]);
    double ens = tu_json_number(out, "test_rmse");
    cr_assert(fabs(ens - sqrt(sse / n)) < 2e-4, "ensemble %.6f, from predict %.6f", ens,
              sqrt(sse / n));
    /* a model averaged with itself is that model */
    cr_assert_eq(run(NULL, "eval --model %s --model %s --test %s --json", tu_path("s1.bin"),
                     tu_path("s1.bin"), tu_path("u1.test")), 0, "%s", err);
    cr_assert(fabs(tu_json_number(out, "test_rmse") - member[0]) < 1e-6, "%s", out);
    cr_assert_eq(run(NULL, "recommend --model %s --model %s --user 1 -n 2 --json",
                     tu_path("s1.bin"),
                     tu_path("s2.bin")), 0, "%s", err);
    cr_assert(strstr(out, "\"rank\":2,"), "%s", out);
    /* a bad member is named */
    cr_assert_eq(run(NULL, "eval --model %s --model %s --test %s", tu_path("s1.bin"),
                     tu_path("u1.test"), tu_path("u1.test")), 2);
    cr_assert(strstr(err, "u1.test") && strstr(err, "not an autorec model"), "%s", err);
    for (int s = 0; s < 3; s++) free(p[s]);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}

/* recommend on a model whose items have ids near 2^31 (valid ids): the unrated items come from
 * sorted id lists, not from an array indexed by id (which would be 4 GiB). */
Test(checkpoint, recommend_with_huge_item_ids) {
    tu_write_file("r.data", "1\t2147483000\t5\n1\t7\t3\n2\t2147483000\t4\n2\t9\t2\n"
                            "3\t7\t4\n3\t9\t5\n3\t11\t1\n4\t11\t3\n4\t2147483000\t2\n");
    tu_write_file("t.data", "1\t9\t4\n2\t7\t3\n");
    cr_assert_eq(run(NULL, "train --train %s --test %s --hidden 4 --epochs 2 --valid-ratio 0 "
                     "--quiet --save %s", tu_path("r.data"), tu_path("t.data"), tu_path("m.bin")),
                 0, "%s", err);
    cr_assert_eq(run(NULL, "recommend --model %s --user 1 -n 5 --json", tu_path("m.bin")), 0,
                 "%s", err);
    /* user 1 rated 7 and 2147483000: the unrated items are 9 and 11 */
    cr_assert(strstr(out, "\"item\":9") && strstr(out, "\"item\":11") &&
              !strstr(out, "\"item\":7,") && !strstr(out, "\"item\":2147483000"), "%s", out);
}
