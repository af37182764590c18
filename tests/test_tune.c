/* test_tune.c - `autorec tune` and settings files (train --config, tune --space): a small search
 * on synthetic data writes a settings file that train reads and that reproduces the reported
 * validation RMSE; the test split is never read; the same seed gives the same leaderboard;
 * flags override a file; bad input exits 2 with one line naming it. The samples of the search
 * space as units (in range, exact through their text). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "tune.h"

/* stdout holds the leaderboard, a row per trial, before the JSON line: a time budget on a fast
 * machine runs hundreds of trials (768 in 1 s once), more than 64 KiB of rows */
static char out[1 << 22], err[1 << 22];

TestSuite(tune, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* Runs autorec in the test's directory (file names in args are relative to it). */
static int run(const char *fmt, const char *a, const char *b) {
    char args[4096], env[256];
    snprintf(args, sizeof args, fmt, a, b);
    snprintf(env, sizeof env, "cd '%s' &&", tu_tmpdir());
    return tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, "%s", args);
}

/* train.data / valid-free test.data (real ratings) and a test file that is no ratings file. */
static void small_data(void) {
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(80, 60, 3, 0.3, 0.15, 11, &train, &test);
    tu_write_ratings(tu_path("train.data"), train);
    tu_write_ratings(tu_path("test.data"), test);
    ar_ratings_free(train);
    ar_ratings_free(test);
    tu_write_file("garbage.data", "this is not a ratings file\n");
}

/* The short search the tests run: 9 trials, rungs of 1, 3 and 9 epochs. */
#define SEARCH "--trials 9 --min-epochs 1 --epochs 9 --hidden 20,40 --batch 16,32"

static const char *json_line(const char *text) {
    const char *j = strstr(text, "{\"trial\"");
    cr_assert(j, "no JSON line in:\n%s", text);
    return j;
}

/* One line on stderr and exit 2. */
static void assert_usage(int rc, const char *what) {
    cr_assert_eq(rc, 2, "%s: exit %d, stderr: %s", what, rc, err);
    const char *nl = strchr(err, '\n');
    cr_assert(nl && nl[1] == 0, "%s: not one line: %s", what, err);
}

Test(tune, settings_file_reproduces_validation_rmse_in_train) {
    small_data();
    int rc = run("tune --train %s --test %s " SEARCH " --out best.conf --json --quiet",
                 tu_path("train.data"), tu_path("garbage.data"));
    cr_assert_eq(rc, 0, "%s", err);
    const double tuned = tu_json_number(json_line(out), "best_valid_rmse");
    const double epoch = tu_json_number(json_line(out), "best_epoch");
    const int kept = strstr(json_line(out), "\"kept\":\"baseline\"") != NULL;
    cr_assert(isfinite(tuned) && epoch >= 1, "%s", out);
    cr_assert(strstr(out, "rank") && strstr(out, "command: autorec train"), "%s", out);
    char *conf = tu_slurp(tu_path("best.conf"), NULL);
    cr_assert(strstr(conf, "lr = ") && strstr(conf, "valid-ratio = 0.1") &&
              strstr(conf, "hidden = ") && strstr(conf, "activation = "), "%s", conf);
    free(conf);
    /* train on the same training file, now with a real test file */
    rc = run("train --train %s --test %s --config best.conf --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    const double trained = tu_json_number(out, "best_valid_rmse");
    cr_assert(fabs(trained - tuned) <= 1e-6 * tuned, "tune reported %.6g, train --config %.6g",
              tuned, trained);
    /* the network's best epoch either way; and when the bias baseline alone is lower on
     * validation (--fallback), both keep it */
    cr_assert_eq(tu_json_number(out, "network_epoch"), epoch);
    cr_assert_eq(strstr(out, "\"kept\":\"baseline\"") != NULL, kept, "%s", out);
}

Test(tune, never_reads_the_test_split) {
    small_data();
    /* the test file is garbage: train refuses it, tune never opens it */
    int rc = run("train --train %s --test %s --epochs 1 --quiet", tu_path("train.data"),
                 tu_path("garbage.data"));
    cr_assert_eq(rc, 2, "%s", err);
    rc = run("tune --train %s --test %s " SEARCH " --json --quiet", tu_path("train.data"),
             tu_path("garbage.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_json_number(json_line(out), "n_test"), 0);
    /* nor does it need it to exist */
    rc = run("tune --train %s --test %s --trials 3 --min-epochs 1 --epochs 1 --quiet",
             tu_path("train.data"), tu_path("no-such-file"));
    cr_assert_eq(rc, 0, "%s", err);
    /* one file split at random: the test part is dropped, the training part is train's */
    rc = run("tune --data %s --test-ratio 0.2 --trials 3 --min-epochs 1 --epochs 2 --json "
             "--quiet%s", tu_path("train.data"), "");
    cr_assert_eq(rc, 0, "%s", err);
    const double n_train = tu_json_number(json_line(out), "n_train");
    const double n_valid = tu_json_number(json_line(out), "n_valid");
    cr_assert_eq(tu_json_number(json_line(out), "n_test"), 0);
    rc = run("train --data %s --test-ratio 0.2 --valid-ratio 0.1 --epochs 1 --json --quiet%s",
             tu_path("train.data"), "");
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_json_number(out, "n_train"), n_train);
    cr_assert_eq(tu_json_number(out, "n_valid"), n_valid);
}

Test(tune, same_seed_same_leaderboard) {
    small_data();
    static char first[65536];
    const char *fmt = "tune --train %s --test %s " SEARCH " --seed 3 --quiet";
    cr_assert_eq(run(fmt, tu_path("train.data"), tu_path("test.data")), 0, "%s", err);
    strcpy(first, out);
    cr_assert(strstr(first, "best: trial"), "%s", first);
    cr_assert_eq(run(fmt, tu_path("train.data"), tu_path("test.data")), 0, "%s", err);
    cr_assert_str_eq(out, first);
    /* another seed, other samples */
    cr_assert_eq(run("tune --train %s --test %s " SEARCH " --seed 4 --quiet",
                     tu_path("train.data"), tu_path("test.data")), 0, "%s", err);
    cr_assert_str_neq(out, first);
}

Test(tune, budgets_and_devices) {
    small_data();
    /* a time budget alone: as many trials as it allows */
    int rc = run("tune --train %s --test %s --time 1 --min-epochs 1 --epochs 3 --json --quiet",
                 tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(tu_json_number(json_line(out), "trials") >= 1, "%s", out);
    /* two workers on the default device at once (timing decides the order of promotions, so
     * only the outcome is checked: a settings file that train accepts) */
    rc = run("tune --train %s --test %s " SEARCH " --device 0,0 --out two.conf --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_json_number(json_line(out), "devices"), 2);
    cr_assert_eq(tu_json_number(json_line(out), "trials"), 9);
    const double tuned = tu_json_number(json_line(out), "best_valid_rmse");
    rc = run("train --train %s --test %s --config two.conf --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(fabs(tu_json_number(out, "best_valid_rmse") - tuned) <= 1e-6 * tuned);
}

Test(tune, bad_input_exits_2) {
    small_data();
    const char *bad[] = {"--trials 0", "--time 0", "--lr 1e-2:1e-4", "--dropout 0.5:0.2",
                         "--hidden ''", "--batch 32,,64", "--activation sigmoid,nope",
                         "--center none,nope", "--dropout 0:1", "--l2 0:1e-3", "--min-epochs 10 --epochs 5",
                         "--valid-ratio 0", "--eta 1", "--space nothing-here.conf"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char args[1024];
        snprintf(args, sizeof args, "tune --train %s --test %s %s", tu_path("train.data"),
                 tu_path("test.data"), bad[k]);
        assert_usage(run("%s%s", args, ""), bad[k]);
        char flag[32]; /* the message names the flag */
        snprintf(flag, sizeof flag, "%.*s", (int)strcspn(bad[k], " "), bad[k]);
        cr_assert(strstr(err, flag), "%s: %s", bad[k], err);
    }
    /* a search-space file takes the search-space options only, named with FILE:LINE */
    tu_write_file("space.conf", "# narrower\nlr = 1e-3:3e-3\n\nepochs = 4\n");
    assert_usage(run("tune --train %s --test %s --space space.conf", tu_path("train.data"),
                     tu_path("test.data")), "--space epochs");
    cr_assert(strstr(err, "space.conf:4") && strstr(err, "'epochs'"), "%s", err);
    /* the output may not overwrite what the run reads */
    assert_usage(run("tune --train %s --test %s --out train.data", tu_path("train.data"),
                     tu_path("test.data")), "--out an input");
}

Test(tune, space_file_narrows_the_search) {
    small_data();
    tu_write_file("space.conf", "lr = 2e-3   # fixed\nhidden = 30\nactivation = elu, relu\n");
    int rc = run("tune --train %s --test %s --space space.conf --trials 6 --min-epochs 1 "
                 "--epochs 3 --activation elu --json --quiet", tu_path("train.data"),
                 tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    const char *j = json_line(out);
    cr_assert_float_eq(tu_json_number(j, "lr"), 2e-3, 1e-9);
    cr_assert_eq(tu_json_number(j, "hidden"), 30);
    cr_assert(strstr(j, "\"activation\":\"elu\""), "the flag overrides the file: %s", j);
    cr_assert(!strstr(out, " relu "), "%s", out);
}

/* ---- train --config ------------------------------------------------------------------------- */

Test(tune, config_flags_override_the_file) {
    small_data();
    tu_write_file("c.conf", "# settings\nlr = 0.01\nepochs = 2   # short\nhidden = 30\n"
                            "json = true\n\nquiet = yes\ntanh = off  # lr as given\n");
    /* a flag wins over the file wherever it stands */
    int rc = run("train --epochs 3 --train %s --test %s --config c.conf", tu_path("train.data"),
                 tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_json_number(out, "epochs"), 3, "%s", out);
    cr_assert_float_eq(tu_json_number(out, "lr"), 0.01, 1e-9);
    cr_assert_eq(tu_json_number(out, "hidden"), 30);
    cr_assert_eq(err[0], 0, "quiet = yes: %s", err);
    rc = run("train --train %s --test %s --config c.conf --lr 0.002 --hidden 20",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert_eq(tu_json_number(out, "epochs"), 2);
    cr_assert_float_eq(tu_json_number(out, "lr"), 0.002, 1e-9);
    cr_assert_eq(tu_json_number(out, "hidden"), 20);
    /* sweep and bench read settings files too */
    rc = run("sweep --param hidden --values 10,20 --train %s --test %s --config c.conf",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    tu_write_file("b.conf", "epochs = 2\nhidden = 16\n");
    rc = run("bench --train %s --test %s --config b.conf --json --no-profile",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(strstr(out, "\"hidden\":\"16\""), "%s", out);
}

Test(tune, config_errors_name_file_line_and_key) {
    small_data();
    struct {
        const char *text, *want;
    } bad[] = {
        {"lr = 0.01\nlearning-rate = 3\n", "c.conf:2: unknown key 'learning-rate'"},
        {"# a comment\n\nlr = fast\n", "c.conf:3: --lr expects a finite number, got 'fast'"},
        {"epochs 3\n", "c.conf:1: expected KEY = VALUE"},
        {"json = maybe\n", "c.conf:1: --json expects true or false"},
        {"config = other.conf\n", "c.conf:1: unknown key 'config'"},
        {"dropout = 1.5\n", "c.conf:1: --dropout"},
        {"= 3\n", "c.conf:1: unknown key ''"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        tu_write_file("c.conf", bad[k].text);
        int rc = run("train --train %s --test %s --config c.conf --epochs 1",
                     tu_path("train.data"), tu_path("test.data"));
        assert_usage(rc, bad[k].text);
        cr_assert(strstr(err, bad[k].want), "want '%s', got: %s", bad[k].want, err);
    }
    assert_usage(run("train --train %s --test %s --config missing.conf", tu_path("train.data"),
                     tu_path("test.data")), "a missing settings file");
    cr_assert(strstr(err, "--config") && strstr(err, "missing.conf"), "%s", err);
    /* an output never overwrites the settings file the run reads */
    tu_write_file("c.conf", "epochs = 1\n");
    assert_usage(run("train --train %s --test %s --config c.conf --save c.conf",
                     tu_path("train.data"), tu_path("test.data")), "--save over --config");
}

/* ---- the search space as units --------------------------------------------------------------- */

Test(tune, samples_stay_in_range_and_survive_their_text) {
    tune_space s;
    tune_space_default(&s);
    ar_train_config base;
    ar_train_config_default(&base);
    int seen_hidden[4] = {0};
    for (uint64_t i = 0; i < 300; i++) {
        ar_train_config c, again;
        tune_space_sample(&s, 42, i, &base, &c);
        tune_space_sample(&s, 42, i, &base, &again);
        cr_assert_eq(memcmp(&c, &again, sizeof c), 0, "sample %llu is not a function of its "
                     "index", (unsigned long long)i);
        cr_assert(c.lr >= s.lr.lo && c.lr <= s.lr.hi && c.l2 >= s.l2.lo && c.l2 <= s.l2.hi);
        cr_assert(c.dropout >= 0 && c.dropout <= 0.8f && c.input_dropout <= 0.5f);
        cr_assert(c.lr_decay >= 0.9f && c.lr_decay <= 1);
        cr_assert_eq(ar_train_config_validate(&c), AR_OK, "%s", ar_last_error());
        /* what a settings file holds ("%g") reads back as the very value trained */
        const float v[] = {c.lr, c.l2, c.dropout, c.input_dropout, c.lr_decay};
        for (int k = 0; k < 5; k++) {
            char text[32];
            snprintf(text, sizeof text, "%g", (double)v[k]);
            cr_assert_eq(strtof(text, NULL), v[k], "%s", text);
        }
        for (int k = 0; k < 4; k++) seen_hidden[k] += c.hidden == s.hidden.v[k];
    }
    /* a low-discrepancy sequence: each of the 4 choices about a quarter of the time */
    for (int k = 0; k < 4; k++) cr_assert(seen_hidden[k] >= 60 && seen_hidden[k] <= 90);
    /* the log scale: about half of the learning rates below the geometric middle */
    int below = 0;
    for (uint64_t i = 0; i < 300; i++) {
        ar_train_config c;
        tune_space_sample(&s, 7, i, &base, &c);
        below += c.lr < sqrtf(s.lr.lo * s.lr.hi);
    }
    cr_assert(below >= 130 && below <= 170, "%d of 300 below the geometric middle", below);
}

Test(tune, rungs) {
    int r[TUNE_MAX_RUNGS];
    cr_assert_eq(tune_rungs(5, 135, 3, r), 4);
    cr_assert(r[0] == 5 && r[1] == 15 && r[2] == 45 && r[3] == 135);
    cr_assert_eq(tune_rungs(5, 100, 3, r), 4);
    cr_assert_eq(r[3], 100);
    cr_assert_eq(tune_rungs(7, 7, 3, r), 1);
    cr_assert_eq(r[0], 7);
}
