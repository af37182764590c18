/* test_baselines.c - the figures every result is read against, on data small enough to check by
 * hand: the baselines of ar_dataset_baselines (the global mean and the user + item bias model,
 * clamped, cold pairs at the default, both row kinds), the top-N metrics of ar_topn_metrics
 * (ranks, ties, lists shorter than K, users without a relevant item), their bad settings, and
 * what `autorec data` prints of them. No device is used. */
#include <string.h>

#include "testutil.h"

TestSuite(baselines, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static void near_tol(const char *what, double got, double want, double tol) {
    cr_assert(fabs(got - want) <= tol, "%s: %.9f, by hand %.9f", what, got, want);
}

static void near(const char *what, double got, double want) { near_tol(what, got, want, 1e-6); }

/* JSON numbers have 6 significant digits. */
static void near_json(const char *what, double got, double want) {
    near_tol(what, got, want, 5e-6);
}

/* Training (user, item, rating): (1,10,5) (1,20,3) (2,10,4) (2,30,1); test (1,30,2) (2,20,5)
 * and (3,10,4), whose user 3 has no training rating (cold: predicted the default). */
static ar_dataset *tiny(ar_rows rows) {
    const int64_t tu[] = {1, 1, 2, 2}, ti[] = {10, 20, 10, 30}, eu[] = {1, 2, 3},
                  ei[] = {30, 20, 10};
    const float tr[] = {5, 3, 4, 1}, er[] = {2, 5, 4};
    ar_ratings *train, *test;
    ar_dataset *ds;
    cr_assert(ar_ratings_from_arrays(tu, ti, tr, 4, &train) == AR_OK);
    cr_assert(ar_ratings_from_arrays(eu, ei, er, 3, &test) == AR_OK);
    cr_assert(ar_dataset_create_ex(train, NULL, test, rows, &ds) == AR_OK, "%s", ar_last_error());
    ar_ratings_free(train);
    ar_ratings_free(test);
    return ds;
}

/* One sweep with reg_item = reg_user = 1, by hand: mu = 13/4 = 3.25; items first, from user
 * biases 0: b_10 = (1.75 + 0.75) / (1 + 2) = 0.833333, b_20 = -0.25 / 2 = -0.125,
 * b_30 = -2.25 / 2 = -1.125; then users: b_1 = ((5 - 3.25 - 0.833333) + (3 - 3.25 + 0.125)) / 3
 * = 0.263889, b_2 = ((4 - 3.25 - 0.833333) + (1 - 3.25 + 1.125)) / 3 = -0.402778.
 * Training predictions 4.347222, 3.388889, 3.680556, 1.722222: errors -0.652778, 0.388889,
 * -0.319444, 0.722222 (RMSE 0.547951, MAE 0.520833). Test: 2.388889 for 2, 2.722222 for 5, 3 for
 * the cold 4: errors 0.388889, -2.277778, -1 (RMSE 1.453674, MAE 1.222222). The mean: errors
 * -1.75, 0.25, -0.75, 2.25 (RMSE 1.479020, MAE 1.25) and 1.25, -1.75, -1 (RMSE 1.369306, MAE
 * 1.333333). */
Test(baselines, by_hand_both_row_kinds) {
    for (int rows = AR_ROWS_ITEMS; rows <= AR_ROWS_USERS; rows++) {
        ar_dataset *ds = tiny((ar_rows)rows);
        ar_baseline_config c;
        ar_baseline_config_default(&c);
        c.reg_item = c.reg_user = 1;
        c.sweeps = 1;
        ar_baselines b;
        cr_assert(ar_dataset_baselines(ds, &c, &b) == AR_OK, "%s", ar_last_error());
        near("bias train RMSE", b.bias.train.rmse, 0.5479514);
        near("bias train MAE", b.bias.train.mae, 0.5208333);
        near("bias test RMSE", b.bias.test.rmse, 1.4536742);
        near("bias test MAE", b.bias.test.mae, 1.2222222);
        near("mean train RMSE", b.mean.train.rmse, 1.4790199);
        near("mean train MAE", b.mean.train.mae, 1.25);
        near("mean test RMSE", b.mean.test.rmse, 1.3693064);
        near("mean test MAE", b.mean.test.mae, 1.3333333);
        cr_assert(b.bias.train.n == 4 && b.bias.test.n == 3 && b.mean.test.n == 3);
        cr_assert(b.bias.valid.n == 0 && isnan(b.bias.valid.rmse) && isnan(b.mean.valid.mae));
        ar_dataset_free(ds);
    }
}

/* The scale [2, 4] clamps the training predictions 4.347222 and 1.722222 to 4 and 2 (errors -1
 * and 1: MAE (1 + 0.388889 + 0.319444 + 1) / 4 = 0.677083), and the default 4.5, clamped to 4,
 * predicts the cold rating 4 exactly (test MAE (0.388889 + 2.277778 + 0) / 3 = 0.888889). */
Test(baselines, clamped_to_the_scale) {
    ar_dataset *ds = tiny(AR_ROWS_ITEMS);
    ar_baseline_config c;
    ar_baseline_config_default(&c);
    c.reg_item = c.reg_user = 1;
    c.sweeps = 1;
    c.rating_min = 2;
    c.rating_max = 4;
    c.default_rating = 4.5f;
    ar_baselines b;
    cr_assert(ar_dataset_baselines(ds, &c, &b) == AR_OK, "%s", ar_last_error());
    near("clamped bias train MAE", b.bias.train.mae, 0.6770833);
    near("bias test MAE, the default clamped", b.bias.test.mae, 0.8888889);
    near("mean test MAE", b.mean.test.mae, (1.25 + 1.75 + 0) / 3);
    /* more sweeps, no regularisation: the fit gets closer to the training ratings */
    ar_baselines more;
    c = (ar_baseline_config){0, 0, 50, NAN, NAN, NAN};
    cr_assert(ar_dataset_baselines(ds, &c, &more) == AR_OK, "%s", ar_last_error());
    cr_assert(more.bias.train.rmse < 0.5 * b.bias.train.rmse, "%g", more.bias.train.rmse);
    ar_dataset_free(ds);
}

Test(baselines, bad_settings_are_named) {
    ar_dataset *ds = tiny(AR_ROWS_ITEMS);
    struct { ar_baseline_config c; const char *name; } bad[] = {
        {{-1, 5, 10, NAN, NAN, NAN}, "ar_baseline_config.reg_item"},
        {{5, NAN, 10, NAN, NAN, NAN}, "ar_baseline_config.reg_user"},
        {{5, 5, 0, NAN, NAN, NAN}, "ar_baseline_config.sweeps"},
        {{5, 5, 10, 4, 2, NAN}, "ar_baseline_config.rating_min"},
        {{5, 5, 10, NAN, NAN, INFINITY}, "ar_baseline_config.default_rating"},
    };
    ar_baselines b;
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_assert_eq(ar_dataset_baselines(ds, &bad[k].c, &b), AR_ERR_INVALID_ARG, "%s",
                     bad[k].name);
        cr_assert(strstr(ar_last_error(), bad[k].name), "%s", ar_last_error());
    }
    cr_assert(ar_dataset_baselines(ds, NULL, &b) == AR_OK); /* NULL: the defaults */
    cr_assert(b.bias.test.rmse < b.mean.test.rmse + 0.5);
    ar_dataset_free(ds);
}

/* The bias model computed another way: straight from the rating lists (no CSR, no row kind),
 * users and items indexed by their raw ids, on random data with cold test pairs, several sweeps
 * and unequal regularisations; both row kinds must give these figures. */
typedef struct { double sse, sae; size_t n; } sums;

static void direct_add(sums *s, double pred, float lo, float hi, float r) {
    double d = (pred < lo ? lo : pred > hi ? hi : pred) - r;
    s->sse += d * d;
    s->sae += fabs(d);
    s->n++;
}

Test(baselines, direct_computation) {
    enum { USERS = 40, ITEMS = 30, SWEEPS = 4 };
    const double reg_i = 2.5, reg_u = 7;
    ar_ratings *train, *test, *held;
    tu_synth(USERS, ITEMS, 2, 0.3, 0.3, tu_seed(), &train, &held);
    /* the held-out ratings plus two cold pairs: an unknown user, an unknown item */
    const size_t n = ar_ratings_count(train), nt = ar_ratings_count(held) + 2;
    int64_t *eu = malloc(nt * sizeof *eu), *ei = malloc(nt * sizeof *ei);
    float *er = malloc(nt * sizeof *er);
    for (size_t k = 0; k + 2 < nt; k++) ar_ratings_get(held, k, &eu[k], &ei[k], &er[k]);
    eu[nt - 2] = USERS + 1, ei[nt - 2] = 1, er[nt - 2] = 5;
    eu[nt - 1] = 1, ei[nt - 1] = ITEMS + 1, er[nt - 1] = 1;
    cr_assert(ar_ratings_from_arrays(eu, ei, er, nt, &test) == AR_OK, "%s", ar_last_error());
    ar_ratings_free(held);
    free(eu), free(ei), free(er);
    int64_t *u = malloc(n * sizeof *u), *i = malloc(n * sizeof *i);
    float *r = malloc(n * sizeof *r), lo = INFINITY, hi = -INFINITY;
    double mu = 0, bu[USERS + 2] = {0}, bi[ITEMS + 2] = {0};
    int cu[USERS + 2] = {0}, ci[ITEMS + 2] = {0}; /* ids 1..USERS, 1..ITEMS; + 1: the cold */
    for (size_t k = 0; k < n; k++) {
        ar_ratings_get(train, k, &u[k], &i[k], &r[k]);
        mu += r[k];
        cu[u[k]]++, ci[i[k]]++;
        lo = r[k] < lo ? r[k] : lo;
        hi = r[k] > hi ? r[k] : hi;
    }
    mu /= (double)n;
    for (int s = 0; s < SWEEPS; s++) {
        double acc[USERS + ITEMS + 2] = {0};
        for (size_t k = 0; k < n; k++) acc[i[k]] += r[k] - mu - bu[u[k]];
        for (int j = 1; j <= ITEMS; j++) bi[j] = acc[j] / (reg_i + ci[j]);
        for (size_t k = 0; k < n; k++) acc[ITEMS + 1 + u[k]] += r[k] - mu - bi[i[k]];
        for (int j = 1; j <= USERS; j++) bu[j] = acc[ITEMS + 1 + j] / (reg_u + cu[j]);
    }
    sums te = {0}, tr = {0};
    for (size_t k = 0; k < n; k++) direct_add(&tr, mu + bu[u[k]] + bi[i[k]], lo, hi, r[k]);
    size_t cold = 0;
    for (size_t k = 0; k < nt; k++) {
        int64_t a, b;
        float v;
        ar_ratings_get(test, k, &a, &b, &v);
        const int known = cu[a] > 0 && ci[b] > 0;
        cold += !known;
        direct_add(&te, known ? mu + bu[a] + bi[b] : 0.5 * (lo + hi), lo, hi, v);
    }
    cr_assert(cold >= 2);
    for (int rows = AR_ROWS_ITEMS; rows <= AR_ROWS_USERS; rows++) {
        ar_dataset *ds;
        cr_assert(ar_dataset_create_ex(train, NULL, test, (ar_rows)rows, &ds) == AR_OK);
        ar_baseline_config c;
        ar_baseline_config_default(&c);
        c.reg_item = (float)reg_i;
        c.reg_user = (float)reg_u;
        c.sweeps = SWEEPS;
        ar_baselines b;
        cr_assert(ar_dataset_baselines(ds, &c, &b) == AR_OK, "%s", ar_last_error());
        near("train RMSE", b.bias.train.rmse, sqrt(tr.sse / (double)tr.n));
        near("train MAE", b.bias.train.mae, tr.sae / (double)tr.n);
        near("test RMSE", b.bias.test.rmse, sqrt(te.sse / (double)te.n));
        near("test MAE", b.bias.test.mae, te.sae / (double)te.n);
        cr_assert(b.bias.test.n == nt && b.bias.train.n == n);
        ar_dataset_free(ds);
    }
    free(u), free(i), free(r);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

/* Four users, K = 3, by hand (discount 1 / log2(rank + 1); l3 = 1 / log2(3) = 0.630930):
 *   A: items 30 10 20 50 40, scores .8 .9 .8 .5 .1, relevant 30 50 40. Ranking 10, 20, 30
 *      (the tie .8: 20 before 30), 50, 40: one hit, at rank 3. P 1/3, R 1/3, hit 1, NDCG
 *      (1/2) / (1 + l3 + 1/2) = 0.234639.
 *   B: items 1 2, scores 2 3, relevant 1: a list of 2 < K. Ranking 2, 1: a hit at rank 2.
 *      P 1/3 (divided by K), R 1, hit 1, NDCG l3 / 1 = 0.630930 (ideal: min(K, 1) = 1 item).
 *   C: item 5, no relevant item: not counted.
 *   D: items 7 8 9 11, scores 4 3 2 1, relevant 11: nothing in the first 3. All 0.
 * Means over A, B, D: precision 2/9, recall 4/9, NDCG 0.865569 / 3 = 0.288523, hit rate 2/3;
 * 3 users, 5 relevant items. */
Test(baselines, topn_by_hand) {
    const size_t ptr[] = {0, 5, 7, 8, 12};
    const int64_t items[] = {30, 10, 20, 50, 40, 1, 2, 5, 7, 8, 9, 11};
    const float scores[] = {.8f, .9f, .8f, .5f, .1f, 2, 3, 1, 4, 3, 2, 1};
    const unsigned char rel[] = {1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1};
    ar_topn t;
    cr_assert(ar_topn_metrics(ptr, 4, items, scores, rel, 3, &t) == AR_OK, "%s", ar_last_error());
    near("precision@3", t.precision, 2.0 / 9);
    near("recall@3", t.recall, 4.0 / 9);
    near("NDCG@3", t.ndcg, 0.2885230);
    near("hit rate@3", t.hit_rate, 2.0 / 3);
    cr_assert(t.users == 3 && t.relevant == 5, "%zu users, %zu relevant", t.users, t.relevant);
    /* K = 1: only A's 10, B's 2 and D's 7 are listed, none relevant */
    cr_assert(ar_topn_metrics(ptr, 4, items, scores, rel, 1, &t) == AR_OK);
    cr_assert(t.precision == 0 && t.recall == 0 && t.ndcg == 0 && t.hit_rate == 0);
    /* K = 5 for A alone: every relevant item listed, at ranks 3, 4, 5 of 5: R 1, P 3/5, NDCG
     * (1/2 + 1/log2(5) + 1/log2(6)) / (1 + l3 + 1/2) */
    cr_assert(ar_topn_metrics(ptr, 1, items, scores, rel, 5, &t) == AR_OK);
    near("A: recall@5", t.recall, 1);
    near("A: precision@5", t.precision, 0.6);
    near("A: NDCG@5", t.ndcg, (0.5 + 1 / log2(5.0) + 1 / log2(6.0)) / (1.5 + 1 / log2(3.0)));
    /* no user with a relevant item: nothing counted, NaN means */
    cr_assert(ar_topn_metrics(ptr + 2, 1, items, scores, rel, 3, &t) == AR_OK);
    cr_assert(t.users == 0 && isnan(t.precision) && isnan(t.ndcg));
}

/* The bias baseline's rankings on a dataset, by hand. Training (user, item, rating): (1,10,5)
 * (2,10,5) (1,20,4) (3,20,4) (2,30,3) (3,40,2) (1,50,1). With no regularisation and one sweep
 * each item's bias is its mean rating less mu, so every user's candidates rank by item mean:
 * 10, 20, 30, 40, 50. Candidates (items not rated in training): user 1 {30, 40}, user 2
 * {20, 40, 50}, user 3 {10, 30, 50}. Test: (1,30,3) (1,40,5) (2,20,2) (2,40,4) (2,50,4) (3,30,1),
 * and (4,10,5) (1,60,5) whose user or item has no training rating (not ranked, not counted).
 * Relevant (>= 4): user 1 {40}, user 2 {40, 50}, user 3 none (not counted).
 *   K = 2: user 1 lists 30, 40: a hit at rank 2: P 1/2, R 1, NDCG l3 = 1/log2(3), hit 1;
 *          user 2 lists 20, 40: a hit at rank 2: P 1/2, R 1/2, NDCG l3 / (1 + l3), hit 1.
 *   K = 3: user 1 lists its 2: P 1/3, R 1, NDCG l3; user 2 lists 20, 40, 50: P 2/3, R 1, NDCG
 *          (l3 + 1/2) / (1 + l3). */
static ar_dataset *ranked(ar_rows rows) {
    const int64_t tu[] = {1, 2, 1, 3, 2, 3, 1}, ti[] = {10, 10, 20, 20, 30, 40, 50};
    const int64_t eu[] = {1, 1, 2, 2, 2, 3, 4, 1}, ei[] = {30, 40, 20, 40, 50, 30, 10, 60};
    const float tr[] = {5, 5, 4, 4, 3, 2, 1}, er[] = {3, 5, 2, 4, 4, 1, 5, 5};
    ar_ratings *train, *test;
    ar_dataset *ds;
    cr_assert(ar_ratings_from_arrays(tu, ti, tr, 7, &train) == AR_OK);
    cr_assert(ar_ratings_from_arrays(eu, ei, er, 8, &test) == AR_OK);
    cr_assert(ar_dataset_create_ex(train, NULL, test, rows, &ds) == AR_OK, "%s", ar_last_error());
    ar_ratings_free(train);
    ar_ratings_free(test);
    return ds;
}

Test(baselines, topn_of_the_bias_model_by_hand) {
    const double l3 = 1 / log2(3.0);
    ar_baseline_config bc;
    ar_baseline_config_default(&bc);
    bc.reg_item = bc.reg_user = 0;
    bc.sweeps = 1;
    for (int rows = AR_ROWS_ITEMS; rows <= AR_ROWS_USERS; rows++) {
        ar_dataset *ds = ranked((ar_rows)rows);
        ar_topn_config c = {.k = 2, .relevant = 4};
        ar_topn t;
        cr_assert(ar_dataset_baseline_topn(ds, &bc, &c, &t) == AR_OK, "%s", ar_last_error());
        cr_assert(t.users == 2 && t.relevant == 3, "%zu users, %zu relevant", t.users, t.relevant);
        near("P@2", t.precision, 0.5);
        near("R@2", t.recall, 0.75);
        near("NDCG@2", t.ndcg, (l3 + l3 / (1 + l3)) / 2);
        near("hit@2", t.hit_rate, 1);
        c.k = 3;
        cr_assert(ar_dataset_baseline_topn(ds, &bc, &c, &t) == AR_OK, "%s", ar_last_error());
        near("P@3", t.precision, (1.0 / 3 + 2.0 / 3) / 2);
        near("R@3", t.recall, 1);
        near("NDCG@3", t.ndcg, (l3 + (l3 + 0.5) / (1 + l3)) / 2);
        /* relevant 5: only user 1's 40 */
        c = (ar_topn_config){.k = 1, .relevant = 5};
        cr_assert(ar_dataset_baseline_topn(ds, &bc, &c, &t) == AR_OK, "%s", ar_last_error());
        cr_assert(t.users == 1 && t.relevant == 1 && t.precision == 0 && t.hit_rate == 0);
        c.relevant = 5.5f; /* outside the data's scale 1..5 */
        cr_assert_eq(ar_dataset_baseline_topn(ds, &bc, &c, &t), AR_ERR_INVALID_ARG);
        cr_assert(strstr(ar_last_error(), "ar_topn_config.relevant"), "%s", ar_last_error());
        ar_dataset_free(ds);
    }
}

/* `autorec eval --topn` on a model trained on the data above: its figures are in range and
 * counted over the users and relevant items found by hand above, the JSON has the top-N and
 * baseline fields, train's and eval's baseline_rmse equal `autorec data`'s, and bad input
 * (--topn 0 among it) is a one-line error naming the flag, exit 2. */
Test(baselines, eval_topn_command) {
    static char out[16384], err[16384];
    const char *f = tu_write_file("r.tsv", "1\t10\t5\n2\t10\t5\n1\t20\t4\n3\t20\t4\n2\t30\t3\n"
                                           "3\t40\t2\n1\t50\t1\n");
    const char *t = tu_write_file("t.tsv", "1\t30\t3\n1\t40\t5\n2\t20\t2\n2\t40\t4\n2\t50\t4\n"
                                           "3\t30\t1\n4\t10\t5\n1\t60\t5\n");
    const char *m = tu_path("m.bin");
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "train --train %s --test %s "
                            "--valid-ratio 0 --epochs 2 --hidden 4 --quiet --save %s --json", f, t,
                            m), 0, "%s",
                 err);
    const char *train_json = strrchr(out, '{');
    const double train_base = tu_json_number(train_json, "baseline_rmse");
    cr_assert(!isnan(tu_json_number(train_json, "test_mae")) &&
              !isnan(tu_json_number(train_json, "baseline_mean_rmse")), "%s", train_json);
    cr_assert(strstr(train_json, "\"baseline_valid_rmse\":null"), "%s", train_json);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--valid-ratio 0 --json", f, t), 0, "%s", err);
    near_json("train's baseline_rmse against data's", train_base,
              tu_json_number(out, "baseline_rmse"));
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "eval --model %s --test %s "
                            "--topn 2 --json", m, t), 0, "%s", err);
    near_json("eval's baseline_rmse", tu_json_number(out, "baseline_rmse"), train_base);
    const char *keys[] = {"topn_precision", "topn_recall", "topn_ndcg", "topn_hit_rate",
                          "baseline_topn_precision", "baseline_topn_ndcg", "test_mae",
                          "baseline_mae"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        double v = tu_json_number(out, keys[k]);
        cr_assert(v >= 0 && v <= 1 + (k >= 6) * 4, "%s: %g in %s", keys[k], v, out);
    }
    cr_assert(tu_json_number(out, "topn_users") == 2 && tu_json_number(out, "topn_relevant") == 3,
              "%s", out);
    cr_assert(tu_json_number(out, "topn") == 2 && tu_json_number(out, "relevant") == 4, "%s", out);
    /* with train's default validation set: its baseline_valid_rmse is data's on the same split */
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "train --train %s --test %s "
                            "--epochs 1 --hidden 4 --quiet --json", f, t), 0, "%s", err);
    const double valid_base = tu_json_number(strrchr(out, '{'), "baseline_valid_rmse");
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--json", f, t), 0, "%s", err);
    cr_assert(tu_json_number(out, "valid") > 0, "%s", out);
    near_json("train's baseline_valid_rmse against data's", valid_base,
              tu_json_number(out, "baseline_valid_rmse"));
    /* text: both lines */
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "eval --model %s --test %s "
                            "--topn 2 --relevant 5", m, t), 0, "%s", err);
    cr_assert(strstr(out, "top-2 ranking (relevant: a test rating >= 5)") &&
              strstr(out, "over 1 users (1 relevant ratings)") &&
              strstr(out, "top-2 of the bias baseline"), "%s", out);
    /* bad input: one line naming the flag, exit 2 */
    const char *bad[] = {"--topn 0", "--topn -3", "--relevant 4", "--topn 2 --relevant 9"};
    const char *flag[] = {"--topn", "--topn", "--relevant", "--relevant"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "eval --model %s --test "
                                "%s %s", m, t, bad[k]), 2, "%s: %s", bad[k], err);
        cr_assert(strstr(err, flag[k]) && strchr(err, '\n') == err + strlen(err) - 1, "%s: %s",
                  bad[k], err);
    }
}

Test(baselines, topn_bad_input) {
    const size_t ptr[] = {0, 2};
    const int64_t items[] = {1, 2};
    float scores[] = {1, 2};
    const unsigned char rel[] = {1, 0};
    ar_topn t;
    cr_assert_eq(ar_topn_metrics(ptr, 1, items, scores, rel, 0, &t), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_topn_config.k"), "%s", ar_last_error());
    scores[1] = NAN;
    cr_assert_eq(ar_topn_metrics(ptr, 1, items, scores, rel, 2, &t), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "item 2"), "%s", ar_last_error());
    ar_topn_config c;
    ar_topn_config_default(&c);
    cr_assert(c.k == 10 && c.relevant == 4);
}

/* `autorec data` prints both baselines on every set, text and JSON, with the settings; a bad
 * setting is a usage error naming the flag. */
Test(baselines, data_command) {
    static char out[16384], err[16384];
    const char *f = tu_write_file("r.tsv", "1\t10\t5\n1\t20\t3\n2\t10\t4\n2\t30\t1\n");
    const char *t = tu_write_file("t.tsv", "1\t30\t2\n2\t20\t5\n3\t10\t4\n");
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--valid-ratio 0 --baseline-reg-item 1 --baseline-reg-user 1 "
                            "--baseline-sweeps 1 --json", f, t), 0, "%s", err);
    near_json("baseline_rmse", tu_json_number(out, "baseline_rmse"), 1.453674);
    near_json("baseline_mean_mae", tu_json_number(out, "baseline_mean_mae"), 1.333333);
    const char *bias = strstr(out, "\"bias\":{");
    cr_assert(bias, "%s", out);
    near_json("bias train_mae", tu_json_number(bias, "train_mae"), 0.520833);
    cr_assert(isnan(tu_json_number(bias, "valid_rmse")), "%s", out);
    cr_assert(tu_json_number(out, "sweeps") == 1, "%s", out);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--valid-ratio 0", f, t), 0, "%s", err);
    ar_baseline_config d;
    ar_baseline_config_default(&d);
    char settings[96];
    snprintf(settings, sizeof settings, "reg_item %g, reg_user %g, %d sweeps", (double)d.reg_item,
             (double)d.reg_user, d.sweeps);
    cr_assert(strstr(out, "test RMSE 1.3693 MAE 1.3333") && strstr(out, settings), "%s", out);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--baseline-reg-user -1", f, t), 2);
    cr_assert(strstr(err, "--baseline-reg-user") && !strchr(strchr(err, '\n') + 1, '\n'), "%s",
              err);
}
