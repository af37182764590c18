/* test_valid.c - validation-driven training as `autorec train` does it by default, on small
 * synthetic data: the run stops by patience well before the epoch budget, the model it reports
 * and saves is the best-validation epoch's (its metrics row, its evaluation by `autorec eval`),
 * --refit trains exactly the selected number of epochs on training + validation, a resumed run
 * keeps a saved best that nothing beats, --valid-ratio 0 gives the old behaviour, and bad
 * combinations exit 2 with one line. (ar_model_train itself: test_train.c.) */
#include <string.h>

#include "testutil.h"

static char out[65536], err[65536];

TestSuite(valid, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

#define run(...) tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, __VA_ARGS__)

/* Training and test files of a small low-rank data set. */
static void data(void) {
    ar_ratings *a = NULL, *b = NULL;
    tu_synth(150, 300, 2, 0.2, 0.2, 21, &a, &b);
    tu_write_ratings(tu_path("tr.data"), a);
    tu_write_ratings(tu_path("te.data"), b);
    ar_ratings_free(a);
    ar_ratings_free(b);
}

/* The JSON summary: the last line of out (copied into line). The checks below read the
 * defaults they depend on (the patience, the validation ratio) from it, the budget aside. */
static const char *json(char *line, size_t cap) {
    const char *p = strrchr(out, '{');
    cr_assert(p, "no JSON in %s", out);
    snprintf(line, cap, "%s", p);
    return line;
}

/* The text after "key": in a JSON line, up to the next ',' or '}' (a number as printed). */
static void field(const char *j, const char *key, char *buf, size_t cap) {
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(j, k);
    cr_assert(p, "no %s in %s", key, j);
    p += strlen(k);
    size_t n = strcspn(p, ",}");
    cr_assert(n < cap);
    memcpy(buf, p, n);
    buf[n] = 0;
}

/* Row `epoch` of a metrics CSV: its test_rmse field as printed, and the epoch of the lowest
 * validation RMSE (the first of equals) with the number of rows. */
static void metrics(const char *path, int epoch, char *test, size_t cap, int *argmin, int *rows) {
    char *csv = tu_slurp(path, NULL);
    cr_assert(csv, "no %s", path);
    double best = INFINITY;
    *rows = 0;
    for (char *line = strtok(strchr(csv, '\n') + 1, "\n"); line; line = strtok(NULL, "\n")) {
        int e;
        double loss, tr, va, te;
        cr_assert_eq(sscanf(line, "%d,%lf,%lf,%lf,%lf", &e, &loss, &tr, &va, &te), 5, "%s", line);
        cr_assert_eq(e, ++*rows);
        if (va < best) best = va, *argmin = e;
        if (e == epoch) {
            char *f = line;
            for (int k = 0; k < 4; k++) f = strchr(f, ',') + 1;
            size_t n = strcspn(f, ",");
            cr_assert(n < cap);
            memcpy(test, f, n);
            test[n] = 0;
        }
    }
    free(csv);
}

/* A small model that overfits this data within a few dozen epochs (settings pinned, so that
 * the test does not depend on the default hyperparameters; the validation set, the patience
 * and the epoch budget are the defaults). */
/* one run: the runs --center auto, --lighter try and --tanh try add are the last tests' */
#define MODEL "--hidden 16 --batch 32 --lr 0.01 --lr-decay 1 --l2 0 --center bias --lighter off " \
              "--tanh off"

Test(valid, default_run_keeps_the_best_validation_epoch, .timeout = 600) {
    data();
    cr_assert_eq(run("train --train %s --test %s " MODEL " --json --metrics %s --plot %s "
                     "--save %s", tu_path("tr.data"), tu_path("te.data"), tu_path("m.csv"),
                     tu_path("m.svg"), tu_path("m.bin")), 0, "%s", err);
    char j[8192], test[32], row_test[32] = "", eval_test[32], line[64];
    json(j, sizeof j);
    int epochs = (int)tu_json_number(j, "epochs"), sel = (int)tu_json_number(j, "selected_epoch");
    /* the stopping rule ended it, long before the budget, 20 epochs after the one kept */
    int patience = (int)tu_json_number(j, "patience");
    cr_assert(strstr(j, "\"stop_reason\":\"patience\"") && strstr(j, "\"stopped_early\":true") &&
              patience > 0 && epochs < 500 && sel == epochs - patience &&
              tu_json_number(j, "valid_ratio") > 0 && tu_json_number(j, "n_valid") > 0, "%s", j);
    snprintf(line, sizeof line, "keeping epoch %d (valid RMSE", sel);
    cr_assert(strstr(err, line) && strstr(err, "stopped after epoch"), "%s", err);
    /* the reported figures are the selected epoch's row, the lowest validation RMSE */
    int argmin = 0, rows = 0;
    metrics(tu_path("m.csv"), sel, row_test, sizeof row_test, &argmin, &rows);
    field(j, "test_rmse", test, sizeof test);
    cr_assert(rows == epochs && argmin == sel && !strcmp(test, row_test),
              "%d rows, lowest validation RMSE at %d; test RMSE %s, the row says %s", rows,
              argmin, test, row_test);
    /* the saved model is that epoch's: autorec eval gives the same figure */
    cr_assert_eq(run("eval --model %s --test %s --json", tu_path("m.bin"), tu_path("te.data")), 0,
                 "%s", err);
    field(out, "test_rmse", eval_test, sizeof eval_test);
    cr_assert(!strcmp(eval_test, test) && tu_json_number(out, "epochs") == sel,
              "eval: %s, train reported %s (epoch %d)", out, test, sel);
    /* the plot draws every epoch run and marks the one kept */
    char *svg = tu_slurp(tu_path("m.svg"), NULL);
    snprintf(line, sizeof line, ">selected epoch %d<", sel);
    cr_assert(svg && strstr(svg, line), "no '%s' in the plot", line);
    free(svg);
    /* resumed from it (same data options, so the same validation set): the epochs after it
     * replay, none is better, and the saved state is kept */
    cr_assert_eq(run("train --train %s --test %s --resume %s --json --quiet --save %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("m.bin"), tu_path("m2.bin")),
                 0, "%s", err);
    json(j, sizeof j);
    field(j, "test_rmse", eval_test, sizeof eval_test);
    cr_assert(tu_json_number(j, "selected_epoch") == sel && tu_json_number(j, "epochs") ==
              epochs && !strcmp(eval_test, test), "resumed: %s", j);
}

/* --center auto, train's default: both runs reported, "center" the one of lower validation
 * RMSE, a line on stderr says so; --refit and the saved model use the mode kept. */
Test(valid, center_auto_keeps_the_better_run, .timeout = 600) {
    data();
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --lr 0.01 --epochs 6 --fallback none "
                     "--lighter off --tanh off --refit --json --save %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("a.bin")), 0, "%s", err);
    char j[8192], kept[16];
    json(j, sizeof j);
    double vb = tu_json_number(j, "auto_bias_valid_rmse"), vi = tu_json_number(j,
                                                                               "auto_input_valid_rmse");
    const char *want = vi < vb ? "input" : "bias";
    field(j, "center", kept, sizeof kept);
    cr_assert(strstr(j, "\"center_auto\":true") && vb > 0 && vi > 0 &&
              !strcmp(kept, vi < vb ? "\"input\"" : "\"bias\"") &&
              tu_json_number(j, "auto_bias_epochs_run") == 6 &&
              tu_json_number(j, "auto_input_epochs_run") == 6 &&
              tu_json_number(j, "best_valid_rmse") == (vi < vb ? vi : vb), "%s", j);
    char line[64];
    snprintf(line, sizeof line, "center auto: the %s run (validation RMSE", want);
    cr_assert(strstr(err, line) && strstr(err, "now the input run"), "%s", err);
    cr_assert_eq(run("eval --model %s --test %s --json", tu_path("a.bin"), tu_path("te.data")), 0,
                 "%s", err);
    cr_assert(strstr(out, vi < vb ? "\"center\":\"input\"" : "\"center\":\"bias\"") ||
              !strstr(out, "\"center\""), "%s", out);
    cr_assert(tu_json_number(out, "test_rmse") == tu_json_number(j, "test_rmse"), "%s", out);
    /* an explicit mode trains one run and reports no auto figures */
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --epochs 3 --center input --json "
                     "--quiet", tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"center_auto\":false") && strstr(j, "\"auto_bias_valid_rmse\":null"),
              "%s", j);
}

/* --lighter try, train's default: after the centering runs, one of the centering kept with
 * --l2 / 10 and --dropout / 2; the JSON says which was kept and prints its l2 and dropout, a
 * line on stderr says so, and the refit and the saved model train those settings. */
Test(valid, lighter_run_kept_when_it_validates_better, .timeout = 600) {
    data();
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --lr 0.01 --epochs 5 --fallback none "
                     "--center input --l2 0.02 --dropout 0.5 --tanh off --refit --json --save %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("l.bin")), 0, "%s", err);
    char j[8192];
    json(j, sizeof j);
    double vg = tu_json_number(j, "given_valid_rmse"), vl = tu_json_number(j, "lighter_valid_rmse");
    const int light = vl < vg;
    cr_assert(strstr(j, "\"try_lighter\":true") &&
              strstr(j, light ? "\"lighter\":true" : "\"lighter\":false") && vg > 0 && vl > 0 &&
              tu_json_number(j, "lighter_epochs_run") == 5 && tu_json_number(j, "epochs_run") == 10 &&
              tu_json_number(j, "l2") == (light ? 0.002 : 0.02) &&
              tu_json_number(j, "dropout") == (light ? 0.25 : 0.5) &&
              tu_json_number(j, "best_valid_rmse") == (light ? vl : vg), "%s", j);
    cr_assert(strstr(err, light ? "lighter: the lighter run (" :
                                  "lighter: the regularisation given (") &&
              strstr(err, "now the input, lighter run (--l2 0.002 --dropout 0.25)"), "%s", err);
    /* the (refit) model file holds the kept settings: resuming it, on all the training
     * ratings as it was refit, with them given again agrees */
    cr_assert_eq(run("train --train %s --test %s --resume %s --valid-ratio 0 --epochs 30 --l2 %s "
                     "--dropout %s --json --quiet", tu_path("tr.data"), tu_path("te.data"), tu_path("l.bin"),
                     light ? "0.002" : "0.02", light ? "0.25" : "0.5"), 0, "%s", err);
    /* --lighter off: one run, nulls */
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --epochs 3 --center input --lighter "
                     "off --tanh off --json --quiet", tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"try_lighter\":false") && strstr(j, "\"lighter_valid_rmse\":null") &&
              tu_json_number(j, "epochs_run") == 3, "%s", j);
}

/* --tanh try, train's default: after the other runs, one of the centering kept with a tanh
 * encoder at --lr / 5; the JSON says whether it was kept and prints its activation and lr, a
 * line on stderr says so, and the refit model file holds the kept settings. */
Test(valid, tanh_run_kept_when_it_validates_better, .timeout = 600) {
    data();
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --lr 0.01 --epochs 5 --fallback none "
                     "--center input --lighter off --refit --json --save %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("t.bin")), 0, "%s", err);
    char j[8192];
    json(j, sizeof j);
    double vg = tu_json_number(j, "given_valid_rmse"), vt = tu_json_number(j, "tanh_valid_rmse");
    const int th = vt < vg;
    cr_assert(strstr(j, "\"try_tanh\":true") && strstr(j, th ? "\"tanh\":true" : "\"tanh\":false") &&
              strstr(j, th ? "\"activation\":\"tanh\"" : "\"activation\":\"sigmoid\"") &&
              vg > 0 && vt > 0 && tu_json_number(j, "tanh_epochs_run") == 5 &&
              tu_json_number(j, "epochs_run") == 10 &&
              tu_json_number(j, "lr") == (th ? 0.002 : 0.01) &&
              tu_json_number(j, "best_valid_rmse") == (th ? vt : vg), "%s", j);
    cr_assert(strstr(err, th ? "tanh: the tanh run (" : "tanh: the encoder given (") &&
              strstr(err, "now the input, tanh run (--activation tanh --lr 0.002)"), "%s", err);
    /* the refit model file holds the kept settings: resuming it with them given agrees, with
     * the other encoder it is refused */
    cr_assert_eq(run("train --train %s --test %s --resume %s --valid-ratio 0 --epochs 30 "
                     "--activation %s --lr %s --json --quiet", tu_path("tr.data"),
                     tu_path("te.data"), tu_path("t.bin"), th ? "tanh" : "sigmoid",
                     th ? "0.002" : "0.01"), 0, "%s", err);
    cr_assert_eq(run("train --train %s --test %s --resume %s --valid-ratio 0 --epochs 30 "
                     "--activation %s --json --quiet", tu_path("tr.data"), tu_path("te.data"),
                     tu_path("t.bin"), th ? "sigmoid" : "tanh"), 2, "%s", err);
    /* --tanh off, or a tanh encoder given: no tanh run, nulls */
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --epochs 3 --center input --lighter "
                     "off --tanh off --json --quiet", tu_path("tr.data"), tu_path("te.data")),
                 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"try_tanh\":false") && strstr(j, "\"tanh_valid_rmse\":null") &&
              tu_json_number(j, "epochs_run") == 3, "%s", j);
    cr_assert_eq(run("train --train %s --test %s --hidden 16 --epochs 3 --center input --lighter "
                     "off --activation tanh --json --quiet", tu_path("tr.data"),
                     tu_path("te.data")), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"try_tanh\":false") && tu_json_number(j, "epochs_run") == 3, "%s", j);
}

Test(valid, refit_trains_the_selected_epochs_on_training_and_validation, .timeout = 600) {
    data();
    cr_assert_eq(run("train --train %s --test %s " MODEL " --refit --json --save %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("r.bin")), 0, "%s", err);
    char j[8192], test[32], train[32], again[32];
    json(j, sizeof j);
    int sel = (int)tu_json_number(j, "selected_epoch");
    cr_assert(strstr(j, "\"refit\":true") && tu_json_number(j, "refit_epochs") == sel &&
              tu_json_number(j, "refit_n_train") ==
                  tu_json_number(j, "n_train") + tu_json_number(j, "n_valid"), "%s", j);
    cr_assert(strstr(out, "after refitting") && strstr(err, "refit: epoch"), "%s%s", out, err);
    field(j, "test_rmse", test, sizeof test);
    field(j, "train_rmse", train, sizeof train);
    /* the refit is exactly a run without a validation set for that many epochs */
    cr_assert_eq(run("train --train %s --test %s " MODEL " --valid-ratio 0 --epochs %d --json "
                     "--quiet", tu_path("tr.data"), tu_path("te.data"), sel), 0, "%s", err);
    field(out, "test_rmse", again, sizeof again);
    cr_assert(!strcmp(again, test), "refit %s, --valid-ratio 0 --epochs %d %s", test, sel, again);
    field(out, "train_rmse", again, sizeof again);
    cr_assert(!strcmp(again, train), "refit train RMSE %s, plain %s", train, again);
    /* and the refit is what was saved */
    cr_assert_eq(run("eval --model %s --test %s --json", tu_path("r.bin"), tu_path("te.data")), 0,
                 "%s", err);
    field(out, "test_rmse", again, sizeof again);
    cr_assert(!strcmp(again, test) && tu_json_number(out, "epochs") == sel, "%s", out);
}

Test(valid, valid_ratio_0_trains_every_epoch_and_keeps_the_last) {
    data();
    cr_assert_eq(run("train --train %s --test %s --hidden 8 --valid-ratio 0 --epochs 7 --json",
                     tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    char j[8192];
    json(j, sizeof j);
    cr_assert(tu_json_number(j, "epochs") == 7 && tu_json_number(j, "selected_epoch") == 7 &&
              tu_json_number(j, "n_valid") == 0 && strstr(j, "\"stop_reason\":\"epochs\"") &&
              strstr(j, "\"valid_rmse\":null"), "%s", j);
    cr_assert(tu_json_number(j, "test_rmse") == tu_json_number(j, "last_test_rmse"), "%s", j);
    cr_assert(strstr(out, "after 7 epochs") && !strstr(err, "keeping epoch"), "%s%s", out, err);
    /* sweep trains as train does: a validation set by default, none with --valid-ratio 0 */
    cr_assert_eq(run("sweep --param hidden --values 8 --epochs 3 --quiet --json --train %s "
                     "--test %s", tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    cr_assert(strstr(out, "\"selected_epoch\":") && !strstr(out, "\"best_valid_rmse\":null"),
              "%s", out);
}

/* A network that cannot learn (2 hidden units, a learning rate too small to move, no
 * centering) loses to the bias baseline on validation: a warning says so and what to try, and
 * the JSON line records it; one that beats it (on this synthetic set, --center input) gets
 * neither. */
Test(valid, a_model_worse_than_the_baseline_is_flagged) {
    cr_assert_eq(run("synth --out %s --users 150 --items 300 --ratings 9000 --seed 21",
                     tu_path("a.data")), 0, "%s", err);
    cr_assert_eq(run("train --data %s --test-ratio 0.2 --center none --hidden 2 --lr 1e-6 "
                     "--epochs 3 --json", tu_path("a.data")), 0, "%s", err);
    char j[8192];
    json(j, sizeof j);
    cr_assert(strstr(j, "\"baseline_beats_model\":true"), "%s", j);
    cr_assert(tu_json_number(j, "baseline_valid_rmse") < tu_json_number(j, "best_valid_rmse"),
              "%s", j);
    cr_assert(strstr(err, "warning: the user + item bias baseline beats this model on "
                     "validation") && strstr(err, "--center input"), "%s", err);
    cr_assert_eq(run("train --data %s --test-ratio 0.2 --center input --hidden 32 --epochs 100 "
                     "--json", tu_path("a.data")), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"baseline_beats_model\":false") && !strstr(err, "bias baseline beats"),
              "%s\n%s", j, err);
    cr_assert(tu_json_number(j, "baseline_valid_rmse") > tu_json_number(j, "best_valid_rmse"),
              "%s", j);
}

/* The default --fallback baseline: a centered network that cannot learn in its 3 epochs keeps
 * the bias baseline alone (its test RMSE the baseline's, a warning, "kept":"baseline"); with
 * --refit the baseline is refitted, no epochs; --fallback none keeps the epoch. */
Test(valid, a_network_worse_than_the_baseline_falls_back_to_it) {
    cr_assert_eq(run("synth --out %s --users 150 --items 300 --ratings 9000 --seed 21",
                     tu_path("a.data")), 0, "%s", err);
    const char *a = "--test-ratio 0.2 --hidden 2 --lr 1e-7 --epochs 3 --json";
    cr_assert_eq(run("train --data %s %s", tu_path("a.data"), a), 0, "%s", err);
    char j[8192];
    json(j, sizeof j);
    cr_assert(strstr(j, "\"kept\":\"baseline\"") && strstr(j, "\"selected_epoch\":0") &&
              strstr(j, "\"baseline_beats_model\":false"), "%s", j);
    cr_assert(fabs(tu_json_number(j, "test_rmse") - tu_json_number(j, "baseline_rmse")) < 1e-5,
              "%s", j);
    cr_assert(tu_json_number(j, "network_valid_rmse") > tu_json_number(j, "best_valid_rmse"),
              "%s", j);
    cr_assert(strstr(err, "so the model kept is the baseline alone"), "%s", err);
    cr_assert_eq(run("train --data %s %s --refit --save %s", tu_path("a.data"), a,
                     tu_path("r.model")), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(fabs(tu_json_number(j, "test_rmse") - tu_json_number(j, "baseline_rmse")) < 1e-5 &&
              strstr(j, "\"refit_epochs\":0"), "%s", j);
    cr_assert(strstr(err, "saved: ") && strstr(err, "(the bias baseline alone, refitted)"), "%s",
              err);
    cr_assert_eq(run("train --data %s %s --fallback none", tu_path("a.data"), a), 0, "%s", err);
    json(j, sizeof j);
    cr_assert(strstr(j, "\"kept\":\"network\"") && !strstr(j, "\"selected_epoch\":0") &&
              strstr(j, "\"baseline_beats_model\":true"), "%s", j);
}

/* err holds one line, which contains what */
static void one_line(const char *what) {
    cr_assert(strstr(err, what) && strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}

Test(valid, bad_combinations_exit_2) {
    data();
    const char *d = "--hidden 4 --epochs 2 --quiet";
    cr_assert_eq(run("train --train %s --test %s %s --refit --valid-ratio 0", tu_path("tr.data"),
                     tu_path("te.data"), d), 2);
    one_line("--refit");
    cr_assert_eq(run("train --train %s --test %s %s --patience 5 --valid-ratio 0",
                     tu_path("tr.data"), tu_path("te.data"), d), 2);
    one_line("--patience needs a validation set");
    cr_assert_eq(run("train --train %s --test %s %s --patience -1", tu_path("tr.data"),
                     tu_path("te.data"), d), 2);
    one_line("--patience");
    cr_assert_eq(run("train --train %s --test %s %s --valid-ratio 1", tu_path("tr.data"),
                     tu_path("te.data"), d), 2);
    one_line("--valid-ratio");
    /* --patience 0 without validation says nothing wrong; --refit with --patience 0 is fine */
    cr_assert_eq(run("train --train %s --test %s %s --patience 0 --valid-ratio 0",
                     tu_path("tr.data"), tu_path("te.data"), d), 0, "%s", err);
    cr_assert_eq(run("train --train %s --test %s %s --patience 0 --refit", tu_path("tr.data"),
                     tu_path("te.data"), d), 0, "%s", err);
    /* too few ratings for the default validation set: a warning, training without one; an
     * explicit ratio that leaves it empty, and --refit, exit 2 */
    tu_write_file("few.data", "1\t1\t5\n"); /* one rating: no split leaves both parts one */
    tu_write_file("few.test", "2\t1\t4\n");
    cr_assert_eq(run("train --train %s --test %s --hidden 4 --epochs 2 --json",
                     tu_path("few.data"), tu_path("few.test")), 0, "%s", err);
    cr_assert(strstr(err, "warning: 1 training ratings: too few to carve a validation set") &&
              strstr(out, "\"n_valid\":0"), "%s%s", err, out);
    cr_assert_eq(run("train --train %s --test %s %s --valid-ratio 0.1", tu_path("few.data"),
                     tu_path("few.test"), d), 2);
    one_line("--valid-ratio 0.1");
    cr_assert_eq(run("train --train %s --test %s %s --refit", tu_path("few.data"),
                     tu_path("few.test"), d), 2);
    one_line("--refit");
    /* five ratings: the default 0.1 draws no validation rating for many seeds; one is moved
     * across then (ar_ratings_split), so every seed trains with one and early stopping */
    tu_write_file("five.data", "1\t1\t5\n2\t2\t4\n1\t2\t3\n3\t2\t2\n3\t1\t5\n");
    for (int seed = 1; seed <= 4; seed++) {
        cr_assert_eq(run("train --train %s --test %s --hidden 4 --epochs 2 --json --seed %d",
                         tu_path("five.data"), tu_path("few.test"), seed), 0, "%s", err);
        cr_assert(!strstr(err, "too few") && strstr(out, "\"n_valid\":1"), "seed %d: %s%s",
                  seed, err, out);
    }
}
