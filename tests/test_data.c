/* test_data.c - the ratings parser, id maps, CSR, splits; MovieLens 100K when available. */
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/autorec-test-data-XXXXXX";

static void setup(void) { cr_assert(mkdtemp(dir), "mkdtemp failed"); }
static void teardown(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}
TestSuite(data, .init = setup, .fini = teardown);

static const char *write_file(const char *name, const char *text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    return path;
}

Test(data, parses_tabs_spaces_crlf_and_blank_lines) {
    const char *p = write_file("ok.data", "1\t10\t5\t881250949\n2 10 3\r\n\n  3   20\t4.5  \n");
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
        const char *p = write_file("bad.data", cases[k].text);
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
    cr_assert_eq(ar_ratings_load(write_file("empty.data", ""), &r), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "no ratings"));
    const char bin[] = {'1', '\t', '2', '\t', '3', 0, 'x', '\n', 0};
    const char *p = write_file("bin.data", "");
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
    cr_assert(ds->n_users == 3 && ds->n_items == 2);
    cr_assert(ds->user_ids[0] == 3 && ds->user_ids[1] == 7 && ds->user_ids[2] == 9);
    cr_assert(ds->item_ids[0] == 50 && ds->item_ids[1] == 100);
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
