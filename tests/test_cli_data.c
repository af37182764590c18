/* test_cli_data.c - the data options as a user meets them: `autorec data`, formats, folds,
 * random and validation splits, skipping bad lines, rating ranges, --dataset offline, and
 * model selection on validation in `autorec train`. Synthetic data, plus ML-100K when
 * $AUTOREC_DATA points at it. */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char out[65536], err[65536];

TestSuite(cli_data, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* Runs `autorec ARGS` (printf-style) with an optional environment prefix. */
#define run(env, ...) tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, __VA_ARGS__)


/* A synthetic dataset directory laid out like ML-100K: u.data, u1..u2 folds, u.item. */
static void fake_ml100k(void) {
    ar_ratings *a = NULL, *b = NULL;
    tu_synth(50, 30, 2, 0.4, 0.2, 11, &a, &b);
    tu_write_ratings(tu_path("u1.base"), a);
    tu_write_ratings(tu_path("u1.test"), b);
    tu_write_ratings(tu_path("u2.base"), b); /* another split: the roles swapped */
    tu_write_ratings(tu_path("u2.test"), a);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cat '%s/u1.base' '%s/u1.test' > '%s/u.data'", tu_tmpdir(),
             tu_tmpdir(), tu_tmpdir());
    cr_assert(system(cmd) == 0);
    FILE *f = fopen(tu_path("u.item"), "wb");
    for (int i = 1; i <= 30; i++) fprintf(f, "%d|Film %d (1990)|01-Jan-1990||http://x|0\n", i, i);
    fclose(f);
    ar_ratings_free(a);
    ar_ratings_free(b);
}

Test(cli_data, describes_a_csv_file) {
    tu_write_file("r.csv", "item;user;score\n10;1;4\n20;1;2.5\n10;2;5\n20;2;1\n30;3;3\n10;3;4\n"
                        "20;3;4.5\n30;1;2\n30;2;3\n10;4;1\n20;4;5\n30;4;3.5\n");
    cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.25", tu_path("r.csv")), 0, "%s", err);
    cr_assert(strstr(out, "format:       csv"), "%s", out);
    cr_assert(strstr(out, "ratings:      12"), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --json", tu_path("r.csv")), 0, "%s", err);
    cr_assert(strstr(out, "\"format\":\"csv\"") && strstr(out, "\"ratings\":12"), "%s", out);
    cr_assert(strstr(out, "\"rating_max\":5"), "%s", out);
    /* columns given by hand, a forced format */
    cr_assert_eq(run(NULL, "data --data %s --columns item,user,rating --json", tu_path("r.csv")), 0,
                 "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --format dat", tu_path("r.csv")), 2);
    cr_assert(strstr(err, "r.csv:1:"), "%s", err);
    /* the library's messages name the flags a user sets, not its own settings */
    cr_assert_eq(run(NULL, "data --data %s --columns user,item", tu_path("r.csv")), 2);
    cr_assert(strstr(err, "--columns 'user,item' must name each of user, item and rating"),
              "%s", err);
    cr_assert(!strstr(err, "ar_load_options"), "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --format tab --columns item,user,rating",
                     tu_path("r.csv")), 2);
    cr_assert(strstr(err, "set --format to csv"), "%s", err);
}

Test(cli_data, folds_and_default_split_of_a_directory) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "data --data %s", tu_tmpdir()), 0, "%s", err);
    cr_assert(strstr(out, "u1.base") && strstr(out, "u1.test"), "default is fold 1: %s", out);
    cr_assert(strstr(out, "titles:       30 from"), "%s", out);
    cr_assert(strstr(out, "Film "), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --fold 2", tu_tmpdir()), 0, "%s", err);
    cr_assert(strstr(out, "u2.base") && strstr(out, "u2.test"), "%s", out);
    /* --test-ratio: a random split of u.data */
    cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.3 --json", tu_tmpdir()), 0, "%s", err);
    cr_assert(strstr(out, "u.data") && strstr(out, "random split 0.3"), "%s", out);
    /* folds that are not there, or make no sense */
    cr_assert_eq(run(NULL, "data --data %s --fold 3", tu_tmpdir()), 2);
    cr_assert(strstr(err, "u3.base") && strstr(err, "ML-100K"), "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --fold 9", tu_tmpdir()), 2);
    cr_assert(strstr(err, "--fold"), "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --fold 1 --test-ratio 0.2", tu_tmpdir()), 2);
    cr_assert_eq(run(NULL, "data --data %s --fold 1", tu_path("u.data")), 2);
    cr_assert(strstr(err, "not a directory"), "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --valid-ratio 1.5", tu_tmpdir()), 2);
    cr_assert_eq(run(NULL, "data --dataset ml-5m"), 2);
    cr_assert(strstr(err, "ml-100k"), "%s", err);
}

Test(cli_data, validation_split_is_carved_from_training) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "data --data %s --valid-ratio 0.2 --json", tu_tmpdir()), 0, "%s", err);
    /* u1.base has the training ratings: train + valid = its size; test untouched */
    ar_ratings *a = NULL, *b = NULL;
    cr_assert(ar_ratings_load(tu_path("u1.base"), &a) == AR_OK);
    cr_assert(ar_ratings_load(tu_path("u1.test"), &b) == AR_OK);
    size_t tr = 0, va = 0, te = 0;
    const char *p = strstr(out, "\"train\":");
    cr_assert(p && sscanf(p, "\"train\":%zu,\"valid\":%zu,\"test\":%zu", &tr, &va, &te) == 3,
              "%s", out);
    cr_assert_eq(tr + va, ar_ratings_count(a));
    cr_assert_eq(te, ar_ratings_count(b));
    cr_assert(va > ar_ratings_count(a) / 10 && va < ar_ratings_count(a) * 3 / 10, "valid %zu", va);
    ar_ratings_free(a);
    ar_ratings_free(b);
}

/* --write-splits writes the exact split as files; --split-seed fixes it while --seed varies. */
Test(cli_data, write_splits_and_split_seed) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "data --data %s --valid-ratio 0.2 --seed 7 --write-splits %s --json",
                     tu_tmpdir(), tu_path("s7")), 0, "%s", err);
    size_t tr = 0, va = 0, te = 0;
    const char *p = strstr(out, "\"train\":");
    cr_assert(p && sscanf(p, "\"train\":%zu,\"valid\":%zu,\"test\":%zu", &tr, &va, &te) == 3,
              "%s", out);
    ar_ratings *r[3], *base = NULL;
    const char *names[3] = {"s7/train.tsv", "s7/valid.tsv", "s7/test.tsv"};
    const size_t want[3] = {tr, va, te};
    for (int k = 0; k < 3; k++) {
        cr_assert(ar_ratings_load(tu_path(names[k]), &r[k]) == AR_OK, "%s", ar_last_error());
        cr_assert_eq(ar_ratings_count(r[k]), want[k], "%s", names[k]);
    }
    /* training + validation is u1.base, rating for rating */
    cr_assert(ar_ratings_load(tu_path("u1.base"), &base) == AR_OK);
    cr_assert_eq(tr + va, ar_ratings_count(base));
    double sum_parts = 0, sum_base = 0;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < ar_ratings_count(r[k]); i++) {
            int64_t u, it;
            float v;
            ar_ratings_get(r[k], i, &u, &it, &v);
            sum_parts += (double)u * 1e6 + (double)it * 10 + v;
        }
    for (size_t i = 0; i < ar_ratings_count(base); i++) {
        int64_t u, it;
        float v;
        ar_ratings_get(base, i, &u, &it, &v);
        sum_base += (double)u * 1e6 + (double)it * 10 + v;
    }
    cr_assert(sum_parts == sum_base, "the parts are not u1.base");
    /* the split follows --split-seed, not --seed */
    cr_assert_eq(run(NULL, "data --data %s --valid-ratio 0.2 --seed 3 --split-seed 7 "
                     "--write-splits %s", tu_tmpdir(), tu_path("s3")), 0, "%s", err);
    char *a = tu_slurp(tu_path("s7/valid.tsv"), NULL), *b = tu_slurp(tu_path("s3/valid.tsv"), NULL);
    cr_assert_str_eq(a, b);
    free(b);
    cr_assert_eq(run(NULL, "data --data %s --valid-ratio 0.2 --seed 3 --write-splits %s",
                     tu_tmpdir(),
                     tu_path("s3b")), 0, "%s", err);
    b = tu_slurp(tu_path("s3b/valid.tsv"), NULL);
    cr_assert_str_neq(a, b);
    free(a);
    free(b);
    /* train: a model of seed 3 on split 7 reports the validation RMSE that eval gives on the
     * written validation file */
    cr_assert_eq(run(NULL, "train --data %s --valid-ratio 0.2 --seed 3 --split-seed 7 "
                     "--epochs 3 --hidden 8 --quiet --json --save %s", tu_tmpdir(), tu_path("m.bin")), 0,
                 "%s", err);
    p = strstr(out, "\"best_valid_rmse\":");
    cr_assert(p, "%s", out);
    double best = strtod(p + strlen("\"best_valid_rmse\":"), NULL);
    cr_assert_eq(run(NULL, "eval --model %s --test %s --json", tu_path("m.bin"),
                     tu_path("s7/valid.tsv")), 0, "%s", err);
    p = strstr(out, "\"test_rmse\":");
    cr_assert(p && fabs(strtod(p + strlen("\"test_rmse\":"), NULL) - best) < 1e-5, "%s vs %.6f",
              out, best);
    /* an unwritable place is an error naming it */
    cr_assert_eq(run(NULL, "data --data %s --write-splits /nonexistent/dir/x", tu_tmpdir()), 2,
                 "%s", err);
    cr_assert(strstr(err, "/nonexistent/dir/x"), "%s", err);
    for (int k = 0; k < 3; k++) ar_ratings_free(r[k]);
    ar_ratings_free(base);
}

Test(cli_data, train_selects_on_validation_and_stops_early) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "train --data %s --valid-ratio 0.2 --epochs 4 --hidden 8 --fallback none "
                     "--json",
                     tu_tmpdir()),
                 0, "%s", err);
    cr_assert(strstr(err, "valid RMSE"), "%s", err);
    cr_assert(strstr(out, ", selected on validation (valid RMSE"), "%s", out);
    cr_assert(strstr(out, "\"selected_epoch\":") && strstr(out, "\"best_valid_rmse\":"), "%s", out);
    cr_assert(!strstr(out, "\"valid_rmse\":null"), "%s", out);
    /* a learning rate this large makes the validation RMSE stop improving quickly */
    cr_assert_eq(run(NULL, "train --data %s --valid-ratio 0.2 --epochs 200 --hidden 8 --lr 0.5 "
                     "--lr-decay 1 --patience 2 --json", tu_tmpdir()), 0, "%s", err);
    cr_assert(strstr(out, "\"stopped_early\":true"), "%s", out);
    cr_assert_eq(run(NULL, "train --data %s --patience 3 --valid-ratio 0", tu_tmpdir()), 2);
    cr_assert(strstr(err, "--valid-ratio"), "%s", err);
}

Test(cli_data, user_based_autorec) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "train --data %s --model user --epochs 2 --hidden 8 --json",
                     tu_tmpdir()), 0,
                 "%s", err);
    cr_assert(strstr(err, "model: U-AutoRec") && strstr(out, "\"model\":\"user\""), "%s%s", err,
              out);
    /* users and items keep their names: 50 users (some may lack a training rating), 30 items */
    int users = 0, items = 0;
    const char *p = strstr(out, "\"n_users\":");
    cr_assert(p && sscanf(p, "\"n_users\":%d,\"n_items\":%d", &users, &items) == 2, "%s", out);
    cr_assert(users > 30 && users <= 50 && items <= 30, "users %d items %d", users, items);
    cr_assert_eq(run(NULL, "data --data %s --model user", tu_tmpdir()), 0, "%s", err);
    cr_assert(strstr(out, "rows (model inputs) are users"), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --model items", tu_tmpdir()), 2);
    cr_assert(strstr(err, "--model"), "%s", err);
}

Test(cli_data, deeper_nets_from_the_command_line) {
    fake_ml100k();
    cr_assert_eq(run(NULL, "train --data %s --hidden 6,4,6 --epochs 2 --json --save %s",
                     tu_tmpdir(),
                     tu_path("deep.bin")), 0, "%s", err);
    cr_assert(strstr(out, "\"layers\":\"6,4,6\"") && strstr(err, "hidden 6,4,6"), "%s%s", out,
              err);
    /* the stack is saved with the model and resumes */
    cr_assert_eq(run(NULL, "train --data %s --resume %s --epochs 3 --json", tu_tmpdir(),
                     tu_path("deep.bin")),
                 0, "%s", err);
    cr_assert(strstr(out, "\"layers\":\"6,4,6\"") && strstr(out, "\"epochs\":3"), "%s", out);
    cr_assert_eq(run(NULL, "train --data %s --hidden 1,2,3,4,5,6,7,8,9", tu_tmpdir()), 2);
    cr_assert(strstr(err, "--hidden"), "%s", err);
}

Test(cli_data, rating_scale_comes_from_the_data) {
    /* half stars 0.5..5 in a MovieLens ratings.csv: predictions are clamped to that scale */
    FILE *f = fopen(tu_path("ratings.csv"), "wb");
    fputs("userId,movieId,rating,timestamp\n", f);
    ar_rng rng = {tu_seed()};
    for (int u = 1; u <= 40; u++)
        for (int i = 1; i <= 25; i++)
            if (ar_rng_uniform(&rng) < 0.5)
                fprintf(f, "%d,%d,%.1f,0\n", u, i, 0.5 * (double)(1 + (u * i) % 10));
    fprintf(f, "1,26,0.5,0\n2,26,5.0,0\n");
    fclose(f);
    cr_assert_eq(run(NULL, "train --data %s --epochs 1 --hidden 4 --json", tu_path("ratings.csv")),
                 0,
                 "%s", err);
    cr_assert(strstr(out, "\"rating_min\":0.5") && strstr(out, "\"rating_max\":5"), "%s", out);
    cr_assert(strstr(err, "scale 0.5..5"), "%s", err);
}

Test(cli_data, skip_bad_and_rating_range) {
    tu_write_file("bad.data",
                  "1\t1\t5\n2\t1\t4\nthree\t1\t4\n3\t2\t4\n4\t2\t9\n4\t1\t2\n5\t3\t1\n");
    cr_assert_eq(run(NULL, "data --data %s", tu_path("bad.data")), 2);
    cr_assert(strstr(err, "bad.data:3:") && strstr(err, "user id 'three'"), "%s", err);
    cr_assert_eq(run(NULL, "data --data %s --skip-bad --rating-range 1,5 --test-ratio 0.3",
                     tu_path("bad.data")), 0, "%s", err);
    cr_assert(strstr(err, "skipped 2 malformed lines") && strstr(err, "bad.data:3:"), "%s", err);
    cr_assert(strstr(out, "ratings:      5"), "%s", out);
    /* the report counts the file's skipped lines, after the random (and validation) split */
    cr_assert(strstr(out, "skipped:      2 malformed lines"), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --skip-bad --rating-range 1,5 --test-ratio 0.3 "
                     "--valid-ratio 0.3 --json", tu_path("bad.data")), 0, "%s", err);
    cr_assert(strstr(out, "\"skipped_lines\":2,"), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --rating-range 5,1", tu_path("bad.data")), 2);
    cr_assert(strstr(err, "--rating-range"), "%s", err);
}

/* Regular files only: an endless device, a FIFO with no writer and a directory, wherever a
 * command reads a file, fail at once with one line and exit 2 (timeout: a reader that blocks
 * or reads on fails the test instead of hanging it). */
Test(cli_data, endless_and_blocking_inputs_are_refused) {
    const char *r = tu_write_file("r.data", "1\t1\t5\n2\t1\t4\n1\t2\t3\n");
    char fifo[300], dir[300];
    snprintf(fifo, sizeof fifo, "%s", tu_path("fifo"));
    snprintf(dir, sizeof dir, "%s", tu_path("dir"));
    cr_assert(mkfifo(fifo, 0600) == 0 && mkdir(dir, 0700) == 0);
    const char *inputs[3][2] = {{"/dev/zero", "is a character device; autorec reads regular "
                                 "files only"}, {fifo, "is a FIFO"}, {dir, "is a directory"}};
    const char *commands[] = {
        "data --train %s --test %s",   "train --data %s%.0s",   "eval --model %2$s --test %1$s",
        "predict --model %2$s --pairs %1$s", "eval --model %s --test %s",
        "recommend --model %s --user 1%.0s", "train --resume %1$s --train %2$s --test %2$s",
    };
    for (int k = 0; k < 3; k++)
        for (size_t c = 0; c < sizeof commands / sizeof *commands; c++) {
            if (k == 2 && c == 1) continue; /* --data DIR is a dataset directory */
            char args[1024];
            snprintf(args, sizeof args, commands[c], inputs[k][0], r);
            double t0 = ar_time_seconds();
            cr_assert_eq(run("timeout -s KILL 20", "%s", args), 2, "autorec %s: %s", args, err);
            double dt = ar_time_seconds() - t0;
            cr_assert(strstr(err, inputs[k][1]) && strchr(err, '\n') == err + strlen(err) - 1,
                      "autorec %s: %s", args, err);
            cr_assert_lt(dt, 3.0, "autorec %s took %.2f s", args, dt);
        }
}

Test(cli_data, duplicates_and_leaks_are_refused) {
    tu_write_file("tr.data", "1\t1\t5\n2\t1\t4\n2\t2\t3\n");
    tu_write_file("te.data", "1\t2\t5\n2\t1\t4\n");
    cr_assert_eq(run(NULL, "train --train %s --test %s --epochs 1", tu_path("tr.data"),
                     tu_path("te.data")), 2);
    cr_assert(strstr(err, "te.data:2:") && strstr(err, "also a training rating"), "%s", err);
    /* a duplicate in one file is found wherever the random split puts its two copies */
    for (int seed = 1; seed <= 6; seed++) {
        FILE *f = fopen(tu_path("dup.data"), "wb");
        fputs("1\t1\t5\n", f);
        for (int k = 2; k <= 20; k++) fprintf(f, "%d\t%d\t3\n", k, k % 3);
        fputs("1\t1\t3\n", f);
        fclose(f);
        cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.5 --seed %d", tu_path("dup.data"),
                         seed),
                     2);
        cr_assert(strstr(err, "dup.data:21:") && strstr(err, "duplicate") &&
                  (strstr(err, "first at line 1)") || strstr(err, "dup.data:1, ")), "seed %d: %s",
                  seed, err);
    }
}

Test(cli_data, dataset_offline_says_where_to_put_files) {
    char env[1024];
    snprintf(env, sizeof env, "env -u AUTOREC_DATA XDG_CACHE_HOME='%s/cache'", tu_tmpdir());
    cr_assert_eq(run(env, "data --dataset ml-1m --no-download"), 2);
    cr_assert(strstr(err, "ml-1m") && strstr(err, "cache/autorec/ml-1m"), "%s", err);
    cr_assert(strstr(err, "ratings.dat"), "%s", err);
}

Test(cli_data, movielens_100k_folds_titles_and_dataset) {
    const char *d = getenv("AUTOREC_DATA");
    char p[4096];
    snprintf(p, sizeof p, "%s/u.data", d ? d : "");
    if (!d || access(p, R_OK) != 0)
        cr_skip_test("MovieLens 100K not found: set AUTOREC_DATA to the ml-100k directory");
    cr_assert_eq(run(NULL, "data --data %s --fold a --valid-ratio 0 --json", d), 0, "%s", err);
    cr_assert(strstr(out, "\"train\":90570") && strstr(out, "\"test\":9430"), "%s", out);
    /* by default the split train uses: a tenth of the training ratings for validation */
    cr_assert_eq(run(NULL, "data --data %s --fold a --json", d), 0, "%s", err);
    cr_assert(strstr(out, "\"train\":81439,\"valid\":9131,\"test\":9430"), "%s", out);
    cr_assert(strstr(out, "\"titles\":1682"), "%s", out);
    cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.2 --json", d), 0, "%s", err);
    cr_assert(strstr(out, "\"ratings\":100000"), "%s", out);
    /* --dataset finds it through AUTOREC_DATA, without the network */
    char env[4300];
    snprintf(env, sizeof env, "AUTOREC_MIRROR=http://127.0.0.1:9 XDG_CACHE_HOME='%s/c'",
             tu_tmpdir());
    cr_assert_eq(run(env, "data --dataset ml-100k --fold 5 --json"), 0, "%s", err);
    cr_assert(strstr(out, "u5.base") && strstr(out, "\"train\":71904,\"valid\":8096"), "%s",
              out);
}
