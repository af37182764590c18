/* fuzz_ratings.c - libFuzzer harness for the ratings parser (ar_ratings_parse) and what consumes
 * its output: ar_ratings_count/get/format/skipped/merged, ar_ratings_split, ar_dataset_create
 * and ar_dataset_get_stats.
 *
 * Input layout: byte 0 and byte 1 choose the ar_load_options, the rest is the file's text.
 *   byte 0: bits 0-2 format (value % 5: auto, tab, dat, ml-csv, csv), bit 3 skip_bad,
 *           bits 4-5 columns (NULL or one of three role lists), bits 6-7 rating range
 *           (the default NAN/NAN, [1, 5], [0.5, 5], [-10, 10])
 *   byte 1: bits 0-2 delimiter (0 = detect, ',', ';', '|', '\t', ' ', ':', 'x'),
 *           bits 3-4 duplicates (error, first, last, mean),
 *           bits 5-7 the test ratio of the split (0..7 / 7: 0 and 1 are refused)
 * Built by ci/fuzz.sh (cmake -DAUTOREC_FUZZ=ON with clang); see tests/fuzz/CMakeLists.txt.
 * Besides memory errors (ASan) and undefined behaviour (UBSan), the harness aborts when the
 * results break the contract in include/autorec.h (ids out of 0..2^31-1, non-finite,
 * denormal or out-of-range ratings, counts that do not add up, skipped lines and merged pairs
 * included; merged lists that differ from a plain reference merge of the same file read with
 * duplicates = error, or that still hold a repeated pair). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autorec.h"

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "fuzz_ratings: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                 \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static const char *const columns_choices[4] = {NULL, "user,item,rating",
                                               "item,user,rating,timestamp",
                                               "_,rating,item,user"};
static const char delimiter_choices[8] = {0, ',', ';', '|', '\t', ' ', ':', 'x'};
static const float range_choices[4][2] = {{NAN, NAN}, {1, 5}, {0.5f, 5}, {-10, 10}};

/* Every triple of r must satisfy the documented contract. */
static void check_ratings(const ar_ratings *r, const ar_load_options *o) {
    size_t n = ar_ratings_count(r);
    for (size_t i = 0; i < n; i++) {
        int64_t u = -1, it = -1;
        float v = NAN;
        ar_ratings_get(r, i, &u, &it, &v);
        CHECK(u >= 0 && u <= INT32_MAX);
        CHECK(it >= 0 && it <= INT32_MAX);
        CHECK(isfinite(v));
        CHECK(v == 0 || fabsf(v) >= FLT_MIN); /* no denormals: docs/data.md, "Bad input" */
        if (o && !isnan(o->rating_min)) CHECK(v >= o->rating_min);
        if (o && !isnan(o->rating_max)) CHECK(v <= o->rating_max);
    }
}

static void check_error_message(void) {
    const char *msg = ar_last_error();
    CHECK(msg != NULL);
    CHECK(strlen(msg) > 0); /* a failure always says why */
}

/* Builds the dataset; merged lists (distinct pairs, split or not) must give one. */
static void exercise_dataset(const ar_ratings *train, const ar_ratings *test, int merged) {
    ar_dataset *ds = NULL;
    ar_status st = ar_dataset_create(train, test, &ds);
    if (st != AR_OK) { /* duplicate pairs: a parse error naming both lines */
        CHECK(ds == NULL || st != AR_OK);
        CHECK(!merged || st == AR_ERR_OUT_OF_MEMORY);
        check_error_message();
        return;
    }
    CHECK(ds != NULL);
    ar_dataset_stats s;
    memset(&s, 0xa5, sizeof s);
    ar_dataset_get_stats(ds, &s);
    CHECK(s.n_train == ar_ratings_count(train));
    CHECK(s.n_test == (test ? ar_ratings_count(test) : 0));
    CHECK(s.n_test_cold <= s.n_test);
    CHECK(s.n_users >= 0 && s.n_items >= 0);
    CHECK((size_t)s.n_users <= s.n_train && (size_t)s.n_items <= s.n_train);
    if (s.n_train > 0) {
        CHECK(s.rating_min <= s.rating_max);
        CHECK(isfinite(s.train_mean));
    }
    (void)ar_dataset_mean_baseline_rmse(ds);
    ar_baselines b;
    if (s.n_train > 0 && ar_dataset_baselines(ds, NULL, &b) == AR_OK) {
        CHECK(b.bias.train.n == s.n_train && b.bias.test.n == s.n_test);
        CHECK(!(b.bias.test.mae < 0) && !(b.mean.test.mae < 0));
        ar_topn t;
        ar_topn_config tc = {.k = 3, .relevant = s.rating_max};
        if (ar_dataset_baseline_topn(ds, NULL, &tc, &t) == AR_OK)
            CHECK(t.users <= (size_t)s.n_users && !(t.precision > 1) && !(t.recall > 1));
    }
    ar_dataset_free(ds);
}

/* The merge of raw (the file read with duplicates = error) by its definition, in O(n^2), for
 * small lists: a pair rated more than once keeps one rating, at its first place (first, mean)
 * or its last (last), with the first, last or mean (summed in double in list order; too small
 * for a normal float: 0) of its ratings; got must equal it, and merged must count the pairs
 * rated more than once. */
static void check_merge(const ar_ratings *raw, const ar_ratings *got, ar_duplicates how) {
    const size_t n = ar_ratings_count(raw);
    size_t out = 0, pairs = 0;
    if (n > 600) return;
    for (size_t k = 0; k < n; k++) {
        int64_t u, i, u2, i2;
        float v, v2;
        ar_ratings_get(raw, k, &u, &i, &v);
        int earlier = 0, later = 0, count = 0;
        double sum = 0;
        for (size_t j = 0; j < n; j++) {
            ar_ratings_get(raw, j, &u2, &i2, &v2);
            if (u2 != u || i2 != i) continue;
            earlier |= j < k;
            later |= j > k;
            count++;
            sum += v2;
        }
        if (how == AR_DUP_LAST ? later : earlier) continue; /* not the place it keeps */
        if (how == AR_DUP_MEAN) v = (float)(sum / count), v = fabsf(v) < FLT_MIN ? 0.0f : v;
        pairs += count > 1;
        CHECK(out < ar_ratings_count(got));
        ar_ratings_get(got, out++, &u2, &i2, &v2);
        CHECK(u2 == u && i2 == i && v2 == v);
    }
    CHECK(out == ar_ratings_count(got));
    CHECK(ar_ratings_merged(got, NULL) == pairs);
}

/* duplicates = how: the merge checked against the same file read with duplicates = error. */
static void exercise_merge(const char *buf, size_t len, ar_load_options o, const ar_ratings *r) {
    const char *first = NULL;
    size_t merged = ar_ratings_merged(r, &first);
    CHECK(merged == 0 || (first != NULL && strlen(first) > 0));
    if (o.duplicates == AR_DUP_ERROR) {
        CHECK(merged == 0);
        return;
    }
    ar_duplicates how = o.duplicates;
    ar_ratings *raw = NULL;
    o.duplicates = AR_DUP_ERROR;
    ar_status st = ar_ratings_parse(buf, len, "fuzz", &o, &raw);
    CHECK(st == AR_OK || st == AR_ERR_OUT_OF_MEMORY);
    if (st == AR_OK) check_merge(raw, r, how);
    ar_ratings_free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    ar_load_options o;
    ar_load_options_default(&o);
    o.format = (ar_format)((data[0] & 7) % 5);
    o.skip_bad = (data[0] >> 3) & 1;
    o.columns = columns_choices[(data[0] >> 4) & 3];
    o.rating_min = range_choices[(data[0] >> 6) & 3][0];
    o.rating_max = range_choices[(data[0] >> 6) & 3][1];
    o.delimiter = delimiter_choices[data[1] & 7];
    o.duplicates = (ar_duplicates)((data[1] >> 3) & 3);
    double test_ratio = (double)(data[1] >> 5) / 7.0;
    /* The text is the rest of libFuzzer's buffer, which ends exactly at data + size: reading one
     * byte past len is a heap-buffer-overflow. */
    const char *buf = (const char *)data + 2;
    size_t len = size - 2;

    ar_ratings *r = NULL;
    ar_status st = ar_ratings_parse(buf, len, "fuzz", &o, &r);
    if (st != AR_OK) {
        CHECK(st == AR_ERR_PARSE || st == AR_ERR_INVALID_ARG || st == AR_ERR_OUT_OF_MEMORY);
        check_error_message();
        return 0;
    }
    CHECK(r != NULL);
    CHECK(ar_ratings_count(r) > 0 || !o.skip_bad); /* skip_bad: a file with no good line fails */
    CHECK(o.format == AR_FORMAT_AUTO || ar_ratings_format(r) == o.format);
    CHECK(ar_format_name(ar_ratings_format(r)) != NULL);
    const char *first = NULL;
    size_t skipped = ar_ratings_skipped(r, &first);
    if (skipped > 0) {
        CHECK(o.skip_bad);
        CHECK(first != NULL && strlen(first) > 0);
    }
    check_ratings(r, &o);
    exercise_merge(buf, len, o, r);
    const int merged = o.duplicates != AR_DUP_ERROR;

    exercise_dataset(r, NULL, merged);

    ar_ratings *train = NULL, *test = NULL;
    uint64_t seed = size;
    st = ar_ratings_split(r, test_ratio, seed, &train, &test);
    if (st == AR_OK) {
        CHECK(train != NULL && test != NULL);
        CHECK(ar_ratings_count(train) + ar_ratings_count(test) == ar_ratings_count(r));
        CHECK(ar_ratings_skipped(train, NULL) + ar_ratings_skipped(test, NULL) == skipped);
        CHECK(ar_ratings_merged(train, NULL) + ar_ratings_merged(test, NULL) ==
              ar_ratings_merged(r, NULL));
        check_ratings(train, &o);
        check_ratings(test, &o);
        exercise_dataset(train, test, merged);
        ar_ratings_free(train);
        ar_ratings_free(test);
    } else {
        check_error_message();
    }
    ar_ratings_free(r);
    return 0;
}
