/* test_data.c - the ratings parser, id maps, CSR, splits; MovieLens 100K when available. */
#include <string.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(data, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

Test(data, parses_tabs_spaces_crlf_and_blank_lines) {
    const char *p = tu_write_file("ok.data", "1\t10\t5\t881250949\n2 10 3\r\n\n  3   20\t4.5  \n");
    ar_ratings *r = NULL;
    cr_assert(ar_ratings_load(p, &r) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_ratings_count(r), 3);
    int64_t u, i;
    float v;
    ar_ratings_get(r, 2, &u, &i, &v);
    cr_assert(u == 3 && i == 20 && v == 4.5f);
    ar_ratings_free(r);
}

/* Each malformed file must be refused with AR_ERR_PARSE and a message naming file:line. */
Test(data, malformed_lines_name_file_and_line) {
    static const struct { const char *text; int line; const char *words; } cases[] = {
        {"1\t2\t3\n1\t2\n", 2, "fields"},
        {"1\t2\t3\n\n1\t2\t3\t4\t5\n", 3, "fields"},
        {"x\t2\t3\n", 1, "user id"},
        {"1\t-2\t3\n", 1, "item id"},
        {"1\t99999999999\t3\n", 1, "item id"},
        {"1\t2\tabc\n", 1, "rating"},
        {"1\t2\tnan\n", 1, "rating"},
        {"1\t2\tinf\n", 1, "rating"},
        {"1\t2\t3\tyesterday\n", 1, "timestamp"},
        {"1\t2\t3\n1\t2\t4\n", 2, "duplicate"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const char *p = tu_write_file("bad.data", cases[k].text);
        ar_ratings *r = NULL;
        ar_dataset *ds = NULL;
        ar_status st = ar_ratings_load(p, &r);
        if (st == AR_OK) { /* duplicates are found when the CSR is built */
            st = ar_dataset_create(r, NULL, &ds);
            ar_dataset_free(ds);
            ar_ratings_free(r);
        }
        char want[300];
        snprintf(want, sizeof want, "%s:%d:", p, cases[k].line);
        cr_assert_eq(st, AR_ERR_PARSE, "case %zu: status %d (%s)", k, st, ar_last_error());
        cr_assert(strstr(ar_last_error(), want), "case %zu: message '%s' lacks '%s'", k,
                  ar_last_error(), want);
        cr_assert(strstr(ar_last_error(), cases[k].words), "case %zu: message '%s' lacks '%s'",
                  k, ar_last_error(), cases[k].words);
    }
}

Test(data, empty_binary_and_missing_files) {
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_load(tu_write_file("empty.data", ""), &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "no ratings"));
    const char bin[] = {'1', '\t', '2', '\t', '3', 0, 'x', '\n', 0};
    const char *p = tu_write_file("bin.data", "");
    FILE *f = fopen(p, "wb");
    fwrite(bin, 1, sizeof bin - 1, f);
    fclose(f);
    cr_assert_eq(ar_ratings_load(p, &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), ":1:"), "%s", ar_last_error());
    cr_assert_eq(ar_ratings_load("/nonexistent/u.data", &r), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "/nonexistent/u.data"));
}

Test(data, dataset_maps_ids_and_builds_csr) {
    /* users 7, 3, 9; items 100, 50. Test holds a cold user (4) and a cold item (77). */
    const int64_t tu[] = {7, 3, 9, 3}, ti[] = {100, 100, 50, 50};
    const float tr[] = {4, 2, 5, 1};
    const int64_t su[] = {7, 4, 9, 9}, si[] = {50, 100, 77, 100};
    const float sr[] = {3, 5, 2, 4};
    ar_ratings *train = NULL, *test = NULL;
    ar_dataset *ds = NULL;
    cr_assert(ar_ratings_from_arrays(tu, ti, tr, 4, &train) == AR_OK);
    cr_assert(ar_ratings_from_arrays(su, si, sr, 4, &test) == AR_OK);
    cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
    cr_assert(ds->n_cols == 3 && ds->n_rows == 2);
    cr_assert(ds->col_ids[0] == 3 && ds->col_ids[1] == 7 && ds->col_ids[2] == 9);
    cr_assert(ds->row_ids[0] == 50 && ds->row_ids[1] == 100);
    /* item 50: users 3 (1), 9 (5); item 100: users 3 (2), 7 (4) */
    const int ptr[] = {0, 2, 4}, idx[] = {0, 2, 0, 1};
    const float val[] = {1, 5, 2, 4};
    for (int k = 0; k < 3; k++) cr_assert_eq(ds->train.row_ptr[k], ptr[k]);
    for (int k = 0; k < 4; k++) cr_assert(ds->train.col_idx[k] == idx[k] && ds->train.vals[k] == val[k]);
    /* test: (7, 50) and (9, 100) scoreable; (4, 100) and (9, 77) cold */
    cr_assert_eq(ds->test.row_ptr[2], 2);
    cr_assert_eq(ds->n_cold, 2);
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    cr_assert(s.n_train == 4 && s.n_test == 4 && s.n_test_cold == 2);
    cr_assert(s.rating_min == 1 && s.rating_max == 5 && fabs(s.train_mean - 3.0) < 1e-12);
    /* baseline: predict 3 for 3, 5, 2, 4 -> sqrt((0 + 4 + 1 + 1) / 4) */
    cr_assert(fabs(ar_dataset_mean_baseline_rmse(ds) - sqrt(1.5)) < 1e-12);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

Test(data, random_split_is_seeded_and_proportional) {
    const size_t n = 20000;
    int64_t *u = malloc(n * sizeof *u), *i = malloc(n * sizeof *i);
    float *v = malloc(n * sizeof *v);
    for (size_t k = 0; k < n; k++) u[k] = (int64_t)(k % 97), i[k] = (int64_t)(k / 97), v[k] = 3;
    ar_ratings *all = NULL, *a1, *b1, *a2, *b2, *a3, *b3;
    cr_assert(ar_ratings_from_arrays(u, i, v, n, &all) == AR_OK);
    cr_assert(ar_ratings_split(all, 0.1, 5, &a1, &b1) == AR_OK);
    cr_assert(ar_ratings_split(all, 0.1, 5, &a2, &b2) == AR_OK);
    cr_assert(ar_ratings_split(all, 0.1, 6, &a3, &b3) == AR_OK);
    cr_assert_eq(a1->n + b1->n, n);
    cr_assert(fabs((double)b1->n / n - 0.1) < 0.01, "test fraction %.4f", (double)b1->n / n);
    cr_assert(b1->n == b2->n && memcmp(b1->user, b2->user, b1->n * sizeof *b1->user) == 0 &&
              memcmp(b1->item, b2->item, b1->n * sizeof *b1->item) == 0);
    cr_assert(b1->n != b3->n || memcmp(b1->item, b3->item, b1->n * sizeof *b1->item) != 0);
    ar_ratings_free(a3);
    ar_ratings_free(b3);
    cr_assert_eq(ar_ratings_split(all, 1.5, 5, &a3, &b3), AR_ERR_INVALID_ARG);
    ar_ratings_free(all); ar_ratings_free(a1); ar_ratings_free(b1);
    ar_ratings_free(a2); ar_ratings_free(b2);
    free(u); free(i); free(v);
}

Test(data, movielens_100k_u1) {
    const char *d = getenv("AUTOREC_DATA");
    char base[4096], test[4096];
    snprintf(base, sizeof base, "%s/u1.base", d ? d : "");
    snprintf(test, sizeof test, "%s/u1.test", d ? d : "");
    if (!d || access(base, R_OK) != 0 || access(test, R_OK) != 0)
        cr_skip_test("MovieLens 100K not found: set AUTOREC_DATA to the ml-100k directory");
    ar_ratings *tr = NULL, *te = NULL;
    ar_dataset *ds = NULL;
    cr_assert(ar_ratings_load(base, &tr) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_ratings_load(test, &te) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(tr->n, 80000);
    cr_assert_eq(te->n, 20000);
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK, "%s", ar_last_error());
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    fprintf(stderr, "  u1: %d users, %d items, %zu cold test ratings\n", s.n_users, s.n_items,
            s.n_test_cold);
    cr_assert(s.n_users == 943 && s.n_items == 1650);
    cr_assert(s.rating_min == 1 && s.rating_max == 5);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}

Test(data, heldout_pair_also_in_training_is_refused) {
    const char *tr = tu_write_file("tr.data", "1\t10\t4\n2\t10\t3\n");
    ar_ratings *train = NULL, *test = NULL;
    ar_dataset *ds = NULL;
    cr_assert(ar_ratings_load(tr, &train) == AR_OK);
    char trp[256];
    snprintf(trp, sizeof trp, "%s", tr);
    const char *te = tu_write_file("te.data", "3\t10\t4\n\n2\t10\t5\n");
    cr_assert(ar_ratings_load(te, &test) == AR_OK);
    cr_assert_eq(ar_dataset_create(train, test, &ds), AR_ERR_PARSE);
    char want[1024];
    snprintf(want, sizeof want, "%s:3: the test rating of user 2 item 10 is also a training "
             "rating (%s:2)", te, trp);
    cr_assert(strstr(ar_last_error(), want), "'%s' lacks '%s'", ar_last_error(), want);
    /* the same through the validation set */
    cr_assert_eq(ar_dataset_create_ex(train, test, NULL, AR_ROWS_ITEMS, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "validation rating"), "%s", ar_last_error());
    /* one file as both: both places named, the same line, and why */
    cr_assert_eq(ar_dataset_create(train, train, &ds), AR_ERR_PARSE);
    snprintf(want, sizeof want, "%s:1: the test rating of user 1 item 10 is also a training "
             "rating (%s:1, the same line: the training and test ratings are one file)", trp, trp);
    cr_assert(strstr(ar_last_error(), want), "'%s' lacks '%s'", ar_last_error(), want);
    /* training ratings with no lines (a model file's, arrays): no line 0, the source named */
    const int64_t u[] = {2}, i[] = {10};
    const float v[] = {3};
    ar_ratings *mem = NULL;
    cr_assert(ar_ratings_from_arrays(u, i, v, 1, &mem) == AR_OK);
    cr_assert_eq(ar_dataset_create(mem, test, &ds), AR_ERR_PARSE);
    snprintf(want, sizeof want, "%s:3: the test rating of user 2 item 10 is also one of the "
             "training ratings (not from a file)", te);
    cr_assert(strstr(ar_last_error(), want), "'%s' lacks '%s'", ar_last_error(), want);
    cr_assert(!strstr(ar_last_error(), ":0"), "%s", ar_last_error());
    ar_ratings_free(mem);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

/* A small set whose draw puts every rating on one side still splits: one rating crosses over
 * (the flake that once turned a 66-rating gradient check red). One rating cannot split. */
Test(data, small_split_never_leaves_a_part_empty) {
    int64_t u[3] = {1, 2, 3}, i[3] = {1, 1, 2};
    float v[3] = {4, 5, 3};
    ar_ratings *all = NULL, *one = NULL, *tr, *te;
    cr_assert(ar_ratings_from_arrays(u, i, v, 3, &all) == AR_OK);
    for (uint64_t seed = 1; seed <= 200; seed++) {
        double ratio = seed % 2 ? 0.001 : 0.999; /* nearly always all to one side */
        cr_assert(ar_ratings_split(all, ratio, seed, &tr, &te) == AR_OK, "seed %llu: %s",
                  (unsigned long long)seed, ar_last_error());
        cr_assert(tr->n >= 1 && te->n >= 1 && tr->n + te->n == 3, "seed %llu: %zu + %zu",
                  (unsigned long long)seed, tr->n, te->n);
        cr_assert_eq(te->n, ratio < 0.5 ? 1u : 2u);
        ar_ratings *tr2, *te2; /* still seeded: the same seed moves the same rating */
        cr_assert(ar_ratings_split(all, ratio, seed, &tr2, &te2) == AR_OK);
        cr_assert(te2->n == te->n && memcmp(te->user, te2->user, te->n * sizeof *te->user) == 0);
        ar_ratings_free(tr); ar_ratings_free(te); ar_ratings_free(tr2); ar_ratings_free(te2);
    }
    cr_assert(ar_ratings_from_arrays(u, i, v, 1, &one) == AR_OK);
    cr_assert_eq(ar_ratings_split(one, 0.5, 1, &tr, &te), AR_ERR_INVALID_ARG);
    cr_assert(tr == NULL && te == NULL);
    cr_assert(strstr(ar_last_error(), "empty"), "%s", ar_last_error());
    ar_ratings_free(all);
    ar_ratings_free(one);
}

/* A split keeps the file's skipped lines with the training part: the parts add up to them. */
Test(data, split_keeps_the_skipped_count) {
    const char *text = "1\t1\t5\nbad\n2\t1\t4\n3\t1\t3\nworse\n4\t1\t2\n5\t1\t1\n6\t2\t2\n";
    ar_load_options o;
    ar_load_options_default(&o);
    o.skip_bad = 1;
    ar_ratings *all = NULL, *tr = NULL, *te = NULL, *tr2 = NULL, *va = NULL;
    cr_assert(ar_ratings_parse(text, strlen(text), "s", &o, &all) == AR_OK, "%s",
              ar_last_error());
    cr_assert_eq(ar_ratings_skipped(all, NULL), 2);
    cr_assert(ar_ratings_split(all, 0.3, 1, &tr, &te) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_ratings_split(tr, 0.3, 2, &tr2, &va) == AR_OK, "%s", ar_last_error());
    const char *first = NULL;
    cr_assert_eq(ar_ratings_skipped(tr2, &first) + ar_ratings_skipped(va, NULL) +
                 ar_ratings_skipped(te, NULL), 2);
    cr_assert(first && strstr(first, "s:2:"), "%s", first ? first : "(none)");
    ar_ratings *parts[] = {all, tr, te, tr2, va};
    for (int k = 0; k < 5; k++) ar_ratings_free(parts[k]);
}

Test(data, validation_set_is_mapped_like_the_test_set) {
    const int64_t tu[] = {1, 2, 3, 1}, ti[] = {10, 10, 20, 20};
    const float tr[] = {4, 2, 5, 1};
    const int64_t vu[] = {2, 9}, vi[] = {20, 10}; /* (2, 20) scoreable, user 9 cold */
    const float vr[] = {3, 5};
    ar_ratings *train, *valid;
    ar_dataset *ds = NULL;
    cr_assert(ar_ratings_from_arrays(tu, ti, tr, 4, &train) == AR_OK);
    cr_assert(ar_ratings_from_arrays(vu, vi, vr, 2, &valid) == AR_OK);
    cr_assert(ar_dataset_create_ex(train, valid, NULL, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    cr_assert(s.n_valid == 2 && s.n_valid_cold == 1 && s.n_test == 0);
    cr_assert_eq(ds->valid.row_ptr[2], 1);
    cr_assert(ds->valid.col_idx[0] == 1 && ds->valid.vals[0] == 3); /* item 20 is row 1 */
    cr_assert(ds->valid_cold[0] == 5);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(valid);
}

/* The id maps take a direct table for small ids and a sorted search for huge sparse ones; both
 * must give the same CSR as a plain reference built here. */
Test(data, csr_matches_a_reference_for_small_and_huge_ids) {
    ar_rng rng = {tu_seed()};
    for (int huge = 0; huge < 2; huge++) {
        const int U = 300, I = 200;
        size_t n = 0, cap = (size_t)U * I;
        int64_t *u = malloc(cap * sizeof *u), *i = malloc(cap * sizeof *i);
        float *v = malloc(cap * sizeof *v);
        float *dense = calloc(cap, sizeof *dense);
        /* raw ids: 7 + 3k, or spread up to 2^31 - 1 */
        int64_t uid[300], iid[200];
        for (int k = 0; k < U; k++) uid[k] = huge ? 2147483647LL - 7000000LL * k : 7 + 3 * k;
        for (int k = 0; k < I; k++) iid[k] = huge ? 1000003LL * k + 5 : 2 * k;
        for (int a = 0; a < U; a++)
            for (int b = 0; b < I; b++)
                if (ar_rng_uniform(&rng) < 0.05 || b == a % I || a == b % U) {
                    u[n] = uid[a], i[n] = iid[b], v[n] = 1 + (float)(ar_rng_next(&rng) % 5);
                    dense[(size_t)a * I + b] = v[n];
                    n++;
                }
        /* shuffle the triples: the CSR must not depend on input order */
        for (size_t k = n - 1; k > 0; k--) {
            size_t j = ar_rng_next(&rng) % (k + 1);
            int64_t t = u[k]; u[k] = u[j]; u[j] = t;
            t = i[k]; i[k] = i[j]; i[j] = t;
            float f = v[k]; v[k] = v[j]; v[j] = f;
        }
        ar_ratings *r;
        ar_dataset *ds;
        cr_assert(ar_ratings_from_arrays(u, i, v, n, &r) == AR_OK);
        cr_assert(ar_dataset_create(r, NULL, &ds) == AR_OK, "%s", ar_last_error());
        cr_assert(ds->n_cols == U && ds->n_rows == I);
        /* dense user index a has the a-th smallest raw id */
        size_t k = 0;
        for (int row = 0; row < I; row++) {
            int b = huge ? row : row; /* item ids ascend with b in both layouts */
            int last = -1;
            for (int e = ds->train.row_ptr[row]; e < ds->train.row_ptr[row + 1]; e++, k++) {
                int c = ds->train.col_idx[e];
                cr_assert(c > last, "row %d not sorted", row);
                last = c;
                int a = huge ? U - 1 - c : c; /* huge user ids descend with a */
                cr_assert(ds->col_ids[c] == uid[a] && ds->row_ids[row] == iid[b]);
                cr_assert(ds->train.vals[e] == dense[(size_t)a * I + b]);
            }
        }
        cr_assert_eq(k, n);
        ar_dataset_free(ds);
        ar_ratings_free(r);
        free(u); free(i); free(v); free(dense);
    }
}

/* U-AutoRec: rows are users. The same ratings give the transposed CSR, and messages still name
 * users and items the right way round. */
Test(data, rows_can_be_users) {
    const int64_t tu[] = {7, 3, 9, 3}, ti[] = {100, 100, 50, 50};
    const float tr[] = {4, 2, 5, 1};
    ar_ratings *train = NULL;
    ar_dataset *ds = NULL;
    cr_assert(ar_ratings_from_arrays(tu, ti, tr, 4, &train) == AR_OK);
    cr_assert(ar_dataset_create_ex(train, NULL, NULL, AR_ROWS_USERS, &ds) == AR_OK, "%s",
              ar_last_error());
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    cr_assert(s.rows_are == AR_ROWS_USERS && s.n_users == 3 && s.n_items == 2);
    cr_assert(ds->n_rows == 3 && ds->n_cols == 2);
    cr_assert(ds->row_ids[0] == 3 && ds->row_ids[1] == 7 && ds->row_ids[2] == 9);
    /* user 3: items 50 (1), 100 (2); user 7: item 100 (4); user 9: item 50 (5) */
    const int ptr[] = {0, 2, 3, 4}, idx[] = {0, 1, 1, 0};
    const float val[] = {1, 2, 4, 5};
    for (int k = 0; k < 4; k++) cr_assert_eq(ds->train.row_ptr[k], ptr[k]);
    for (int k = 0; k < 4; k++)
        cr_assert(ds->train.col_idx[k] == idx[k] && ds->train.vals[k] == val[k]);
    ar_dataset_free(ds);
    /* a held-out pair that is also a training pair, named as (user, item) */
    const int64_t su[] = {9}, si[] = {50};
    const float sr[] = {3};
    ar_ratings *test = NULL;
    cr_assert(ar_ratings_from_arrays(su, si, sr, 1, &test) == AR_OK);
    cr_assert_eq(ar_dataset_create_ex(train, NULL, test, AR_ROWS_USERS, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "user 9 item 50"), "%s", ar_last_error());
    cr_assert_eq(ar_dataset_create_ex(train, NULL, test, (ar_rows)7, &ds), AR_ERR_INVALID_ARG);
    ar_ratings_free(train);
    ar_ratings_free(test);
}
