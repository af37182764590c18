/* test_baselines.c - the figures every result is read against, on data small enough to check by
 * hand: the baselines of ar_dataset_baselines (the global mean and the user + item bias model,
 * clamped, cold pairs at the default, both row kinds), the top-N metrics of ar_topn_metrics
 * (ranks, ties, lists shorter than K, users without a relevant item), their bad settings, and
 * what `autorec data` prints of them. No device is used. */
#include <string.h>

#include "testutil.h"

TestSuite(baselines, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static void near(const char *what, double got, double want) {
    cr_assert(fabs(got - want) <= 1e-6, "%s: %.9f, by hand %.9f", what, got, want);
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
                            "--baseline-reg-item 1 --baseline-reg-user 1 --baseline-sweeps 1 "
                            "--json", f, t), 0, "%s", err);
    near("baseline_rmse", tu_json_number(out, "baseline_rmse"), 1.453674);
    near("baseline_mean_mae", tu_json_number(out, "baseline_mean_mae"), 1.333333);
    const char *bias = strstr(out, "\"bias\":{");
    cr_assert(bias, "%s", out);
    near("bias train_mae", tu_json_number(bias, "train_mae"), 0.520833);
    cr_assert(isnan(tu_json_number(bias, "valid_rmse")), "%s", out);
    cr_assert(tu_json_number(out, "sweeps") == 1, "%s", out);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s",
                            f, t), 0, "%s", err);
    cr_assert(strstr(out, "test RMSE 1.3693 MAE 1.3333") &&
              strstr(out, "reg_item 3, reg_user 7, 20 sweeps"), "%s", out);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "data --train %s --test %s "
                            "--baseline-reg-user -1", f, t), 2);
    cr_assert(strstr(err, "--baseline-reg-user") && !strchr(strchr(err, '\n') + 1, '\n'), "%s",
              err);
}
