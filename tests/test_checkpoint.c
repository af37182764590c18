/* test_checkpoint.c - model files: resuming gives exactly the uninterrupted run, bad files are
 * refused, predictions agree with evaluation, and the save / eval / predict / recommend
 * commands. Synthetic data on the test device. */
#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/autorec-test-ckpt-XXXXXX";
static char out[65536], err[65536];

static void setup(void) { cr_assert(mkdtemp(dir), "mkdtemp failed"); }
static void teardown(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}
TestSuite(checkpoint, .init = setup, .fini = teardown);

static const char *path(const char *name) {
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

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
    *test_rmse = s.test_rmse;
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
    cr_assert(ar_model_save(half, path("m3")) == AR_OK, "%s", ar_last_error());
    ar_checkpoint *ck;
    cr_assert(ar_checkpoint_read(path("m3"), &ck) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_checkpoint_epochs_done(ck), 3);
    /* the dataset rebuilt from the file's ratings, as `autorec eval` does */
    ar_dataset *ds2;
    cr_assert(ar_dataset_create(ar_checkpoint_train(ck), te, &ds2) == AR_OK, "%s", ar_last_error());
    config(&cfg, 6);
    cr_assert(ar_model_create_from(ctx, ds2, ck, &cfg, &resumed) == AR_OK, "%s", ar_last_error());
    train(resumed, &te_resumed);
    fprintf(stderr, "  test RMSE: 6 epochs %.9f, 3 + 3 resumed %.9f (after 3: %.9f)\n", te6,
            te_resumed, te3);
    cr_assert(fabs(te6 - te_resumed) <= 1e-6, "resumed %.9f vs uninterrupted %.9f", te_resumed, te6);
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
    cr_assert(strstr(ar_last_error(), "--hidden"), "%s", ar_last_error());
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
    ar_model *m;
    double t;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK);
    train(m, &t);
    cr_assert(ar_model_save(m, path("m")) == AR_OK, "%s", ar_last_error());
    size_t n = file_size(path("m"));
    char *good = tu_slurp(path("m"), NULL);
    static const struct { const char *name; size_t len; size_t flip; const char *words; } cases[] = {
        {"truncated", 0, 0, "truncated"},        /* len n/2 below */
        {"flipped", 1, 0, "SHA-256"},            /* one payload byte changed */
        {"foreign", 2, 0, "not an autorec model"},
        {"header-only", 3, 0, "truncated"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        FILE *f = fopen(path("bad"), "wb");
        if (cases[k].len == 0) fwrite(good, 1, n / 2, f);
        else if (cases[k].len == 1) {
            good[n / 2] ^= 0x10;
            fwrite(good, 1, n, f);
            good[n / 2] ^= 0x10;
        } else if (cases[k].len == 2) fputs("1\t2\t3\n", f);
        else fwrite(good, 1, 20, f);
        fclose(f);
        ar_checkpoint *ck = NULL;
        cr_assert_eq(ar_checkpoint_read(path("bad"), &ck), AR_ERR_PARSE, "%s", cases[k].name);
        cr_assert(strstr(ar_last_error(), cases[k].words) && strstr(ar_last_error(), "bad"),
                  "%s: %s", cases[k].name, ar_last_error());
        cr_assert_null(ck);
    }
    /* an unwritable place: an error, and no temporary left behind */
    cr_assert_eq(ar_model_save(m, "/nonexistent-dir/m"), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "/nonexistent-dir/m"), "%s", ar_last_error());
    DIR *d = opendir(dir);
    for (struct dirent *e; (e = readdir(d));)
        cr_assert(!strstr(e->d_name, ".tmp-"), "temporary %s left behind", e->d_name);
    closedir(d);
    free(good);
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
    ar_model *m;
    double t, train_rmse, test_rmse;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK);
    train(m, &t);
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

#define run(env, ...) tu_run_cli(dir, env, out, err, sizeof out, __VA_ARGS__)

Test(checkpoint, cli_save_resume_eval_predict_recommend) {
    ar_ratings *tr, *te;
    tu_synth(40, 30, 2, 0.4, 0.2, 4, &tr, &te);
    tu_write_ratings(path("u1.base"), tr);
    tu_write_ratings(path("u1.test"), te);
    FILE *f = fopen(path("u.item"), "wb");
    for (int k = 1; k <= 30; k++) fprintf(f, "%d|Film & <%d>|01-Jan-1990||\n", k, k);
    fclose(f);
    const char *common = "--hidden 8 --batch 8 --quiet --json";
    cr_assert_eq(run(NULL, "train --data %s %s --epochs 4", dir, common), 0, "%s", err);
    char *four = strstr(out, "\"test_rmse\":");
    cr_assert(four);
    char want[64];
    snprintf(want, sizeof want, "%.20s", four);
    cr_assert_eq(run(NULL, "train --data %s %s --epochs 2 --save %s", dir, common, path("m.bin")),
                 0, "%s", err);
    /* model settings come from the file: giving them again is a usage error */
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 4 --hidden 8", dir, path("m.bin")), 2);
    cr_assert(strstr(err, "--hidden") && strstr(err, "--resume"), "%s", err);
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 2", dir, path("m.bin")), 2);
    cr_assert(strstr(err, "2 epochs already"), "%s", err);
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 4 --quiet --json --save %s", dir,
                     path("m.bin"), path("m4.bin")), 0, "%s", err);
    cr_assert(strstr(out, want), "resumed run '%s' lacks the uninterrupted '%s'", out, want);
    /* eval on the test file reproduces the run's test RMSE */
    cr_assert_eq(run(NULL, "eval --model %s --test %s --json", path("m4.bin"), path("u1.test")), 0,
                 "%s", err);
    cr_assert(strstr(out, want), "eval '%s' lacks '%s'", out, want);
    /* predict: one line per pair, in order; cold pairs get the middle of the scale */
    f = fopen(path("pairs"), "wb");
    fputs("1 1\n\n1,2\n99999 1\n", f);
    fclose(f);
    cr_assert_eq(run(NULL, "predict --model %s --pairs %s", path("m4.bin"), path("pairs")), 0,
                 "%s", err);
    cr_assert(!strncmp(out, "1\t1\t", 4) && strstr(out, "\n1\t2\t") && strstr(out, "99999\t1\t3.0000"),
              "%s", out);
    f = fopen(path("pairs"), "wb");
    fputs("1 1\n1 x\n", f);
    fclose(f);
    cr_assert_eq(run(NULL, "predict --model %s --pairs %s", path("m4.bin"), path("pairs")), 2);
    cr_assert(strstr(err, "pairs:2:"), "%s", err);
    /* recommend: unrated items only, with (escaped, in JSON) titles */
    cr_assert_eq(run(NULL, "recommend --model %s --user 1 -n 3 --json", path("m4.bin")), 0, "%s", err);
    int lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++) lines++;
    cr_assert_eq(lines, 3, "%s", out);
    cr_assert(strstr(out, "\"title\":\"Film & <"), "%s", out);
    for (size_t k = 0; k < ar_ratings_count(tr); k++) {
        int64_t u, i;
        ar_ratings_get(tr, k, &u, &i, NULL);
        char item[48];
        snprintf(item, sizeof item, "\"item\":%lld,", (long long)i);
        cr_assert(u != 1 || !strstr(out, item), "recommended item %lld that user 1 rated", (long long)i);
    }
    cr_assert_eq(run(NULL, "recommend --model %s --user 777", path("m4.bin")), 2);
    cr_assert(strstr(err, "user 777"), "%s", err);
    cr_assert_eq(run(NULL, "eval --model %s --test %s", path("u1.test"), path("u1.test")), 2);
    cr_assert(strstr(err, "not an autorec model"), "%s", err);
    cr_assert_eq(run(NULL, "recommend --model %s", path("m4.bin")), 2);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}
