/* test_synth.c - synthetic ratings (ar_synth_write, `autorec synth`): determinism, the file's
 * shape (exact count, distinct pairs, id and rating ranges), the popularity skew, that the
 * data is learnable, validation, failures leaving no file, and the command line. Shapes are
 * small so that the suite stays fast. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char out[32768], err[32768];

TestSuite(synth, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

#define slurp tu_slurp

static int exists(const char *file) { return access(file, F_OK) == 0; }


static ar_synth_config shape(int64_t users, int64_t items, int64_t ratings) {
    ar_synth_config c;
    ar_synth_config_default(&c);
    c.users = users;
    c.items = items;
    c.ratings = ratings;
    return c;
}

static void write_ok(const ar_synth_config *c, const char *file) {
    ar_status st = ar_synth_write(c, file);
    cr_assert_eq(st, AR_OK, "ar_synth_write: %s", ar_last_error());
}

/* Checks the file against its config: the exact count, exactly 4 tab-separated integers, ids
 * in range, ratings 1..5, timestamps increasing, distinct pairs, every user's minimum degree
 * (min(20, ratings / users)); returns per-item counts (caller frees) when asked. */
static int64_t *check_file(const ar_synth_config *c, const char *file) {
    size_t len;
    char *buf = slurp(file, &len);
    cr_assert(len > 0 && buf[len - 1] == '\n');
    uint8_t *seen = calloc((size_t)(c->users * c->items), 1);
    int64_t *item_n = calloc((size_t)c->items, sizeof *item_n);
    int64_t *user_n = calloc((size_t)c->users, sizeof *user_n);
    int64_t n = 0;
    long long prev_ts = 0;
    for (char *s = buf; *s; n++) {
        /* digits by hand, not sscanf or strtoll: glibc's sscanf, and ASan's strtoll with
         * strict_string_checks (ci/sanitize.sh), measure the whole rest of the buffer per call,
         * which made this loop quadratic (minutes under the sanitizers) */
        long long f[4];
        char *e = s;
        for (int k = 0; k < 4; k++) {
            char *start = e;
            for (f[k] = 0; *e >= '0' && *e <= '9'; e++) f[k] = 10 * f[k] + (*e - '0');
            cr_assert(e > start && *e == (k < 3 ? '\t' : '\n'), "line %lld malformed",
                      (long long)n + 1);
            e++;
        }
        long long u = f[0], i = f[1], r = f[2], ts = f[3];
        cr_assert(u >= 1 && u <= c->users, "user %lld out of range", u);
        cr_assert(i >= 1 && i <= c->items, "item %lld out of range", i);
        cr_assert(r >= 1 && r <= 5, "rating %lld out of range", r);
        cr_assert(ts >= 874724710 && ts >= prev_ts, "timestamp %lld not increasing", ts);
        prev_ts = ts;
        size_t k = (size_t)((u - 1) * c->items + (i - 1));
        cr_assert(!seen[k], "pair (%lld, %lld) repeated", u, i);
        seen[k] = 1;
        item_n[i - 1]++;
        user_n[u - 1]++;
        s = e;
    }
    cr_assert_eq(n, c->ratings, "%lld lines, expected %lld", (long long)n,
                 (long long)c->ratings);
    int64_t min_deg = c->ratings / c->users;
    if (min_deg > 20) min_deg = 20;
    for (int64_t u = 0; u < c->users; u++) {
        cr_assert(user_n[u] >= min_deg, "user %lld has %lld ratings, fewer than %lld",
                  (long long)u + 1, (long long)user_n[u], (long long)min_deg);
        cr_assert(user_n[u] <= (c->items + 1) / 2);
    }
    free(user_n);
    free(seen);
    free(buf);
    return item_n;
}

static int cmp_desc(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

/* The share of all ratings held by the 10% most rated items. */
static double top_decile_share(const int64_t *item_n, int64_t items) {
    int64_t *s = malloc((size_t)items * sizeof *s);
    memcpy(s, item_n, (size_t)items * sizeof *s);
    qsort(s, (size_t)items, sizeof *s, cmp_desc);
    double top = 0, all = 0;
    for (int64_t i = 0; i < items; i++) {
        all += (double)s[i];
        if (i < items / 10) top += (double)s[i];
    }
    free(s);
    return top / all;
}

Test(synth, same_seed_same_bytes_other_seed_other_bytes) {
    ar_synth_config c = shape(200, 150, 5000);
    write_ok(&c, tu_path("a"));
    write_ok(&c, tu_path("b"));
    c.seed = 2;
    write_ok(&c, tu_path("c"));
    size_t la, lb, lc;
    char *a = slurp(tu_path("a"), &la), *b = slurp(tu_path("b"), &lb), *cc = slurp(tu_path("c"),
                                                                                   &lc);
    cr_assert(la == lb && !memcmp(a, b, la), "the same config gave different files");
    cr_assert(la != lc || memcmp(a, cc, la), "another seed gave the same file");
    free(a);
    free(b);
    free(cc);
    tu_assert_no_temporaries();
}

/* ar_synth_ratings (in memory, for bench --synthetic) draws exactly the file's ratings, in the
 * file's order. */
Test(synth, in_memory_equals_the_file) {
    ar_synth_config c = shape(300, 120, 5000);
    c.seed = tu_seed();
    write_ok(&c, tu_path("s.data"));
    ar_ratings *file = NULL, *mem = NULL;
    cr_assert_eq(ar_ratings_load(tu_path("s.data"), &file), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_synth_ratings(&c, &mem), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_ratings_count(mem), 5000);
    cr_assert_eq(ar_ratings_count(file), ar_ratings_count(mem));
    for (size_t i = 0; i < ar_ratings_count(mem); i++) {
        int64_t u1, i1, u2, i2;
        float r1, r2;
        ar_ratings_get(file, i, &u1, &i1, &r1);
        ar_ratings_get(mem, i, &u2, &i2, &r2);
        cr_assert(u1 == u2 && i1 == i2 && r1 == r2, "rating %zu: file %lld %lld %g, memory "
                  "%lld %lld %g", i, (long long)u1, (long long)i1, r1, (long long)u2,
                  (long long)i2, r2);
    }
    ar_ratings_free(file);
    ar_ratings_free(mem);
    c.ratings = c.users * c.items; /* more than half of all pairs: refused, nothing returned */
    mem = (ar_ratings *)&c;
    cr_assert_eq(ar_synth_ratings(&c, &mem), AR_ERR_INVALID_ARG);
    cr_assert_null(mem);
}

Test(synth, exact_count_distinct_pairs_and_ranges) {
    ar_synth_config c = shape(300, 200, 15000);
    write_ok(&c, tu_path("r.data"));
    free(check_file(&c, tu_path("r.data")));
    /* the loader reads it and the dataset finds no duplicate */
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_load(tu_path("r.data"), &r), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_ratings_count(r), 15000);
    double sum = 0;
    for (size_t k = 0; k < ar_ratings_count(r); k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(r, k, &u, &i, &v);
        cr_assert(v == floorf(v) && v >= 1 && v <= 5);
        sum += v;
    }
    double mean = sum / 15000;
    cr_assert(mean > 3.2 && mean < 3.8, "mean rating %g, expected about 3.5", mean);
    ar_dataset *ds = NULL;
    cr_assert_eq(ar_dataset_create(r, NULL, &ds), AR_OK, "%s", ar_last_error());
    ar_dataset_free(ds);
    ar_ratings_free(r);
}

/* Another scale: half stars 0.5..5 (MovieLens 10M and later) and FilmTrust's 0.5..4, every
 * level used and nothing off the scale; the file reads back to the in-memory ratings. */
Test(synth, rating_scales) {
    const float scales[2][3] = {{0.5f, 5, 0.5f}, {0.5f, 4, 0.5f}};
    for (int s = 0; s < 2; s++) {
        ar_synth_config c = shape(200, 150, 8000);
        c.rating_min = scales[s][0], c.rating_max = scales[s][1], c.rating_step = scales[s][2];
        write_ok(&c, tu_path("h.data"));
        ar_ratings *file = NULL, *mem = NULL;
        cr_assert_eq(ar_ratings_load(tu_path("h.data"), &file), AR_OK, "%s", ar_last_error());
        cr_assert_eq(ar_synth_ratings(&c, &mem), AR_OK, "%s", ar_last_error());
        int seen[16] = {0};
        for (size_t k = 0; k < ar_ratings_count(file); k++) {
            int64_t u, i, u2, i2;
            float v, v2;
            ar_ratings_get(file, k, &u, &i, &v);
            ar_ratings_get(mem, k, &u2, &i2, &v2);
            cr_assert(v == v2, "rating %zu: file %g, memory %g", k, v, v2);
            float level = (v - c.rating_min) / c.rating_step;
            cr_assert(v >= c.rating_min && v <= c.rating_max && level == floorf(level),
                      "rating %g is off the scale %g..%g by %g", v, c.rating_min, c.rating_max,
                      c.rating_step);
            seen[(int)level] = 1;
        }
        int n_levels = (int)((c.rating_max - c.rating_min) / c.rating_step) + 1;
        for (int k = 0; k < n_levels; k++) cr_assert(seen[k], "scale %d: level %d unused", s, k);
        ar_ratings_free(file);
        ar_ratings_free(mem);
    }
}

/* Edge shapes: the cap of half the items (rounded up) per user, every user at the cap, a
 * single user or item, and a steep skew whose heavy users exhaust the rejection sampler. */
Test(synth, edge_shapes) {
    struct { int64_t u, i, n; float skew; } cases[] = {
        {3, 3, 4, 1}, {1, 10, 5, 1}, {10, 1, 5, 1}, {2, 1, 1, 1}, {7, 9, 31, 1},
        {5, 400, 1000, 4}, {50, 400, 10000, 4}, {40, 30, 600, 0}, {1000, 50, 300, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ar_synth_config c = shape(cases[k].u, cases[k].i, cases[k].n);
        c.popularity_skew = cases[k].skew;
        write_ok(&c, tu_path("e.data"));
        free(check_file(&c, tu_path("e.data")));
    }
}

Test(synth, popularity_skew_is_measurable) {
    ar_synth_config c = shape(2000, 1000, 60000);
    write_ok(&c, tu_path("skew1"));
    int64_t *n1 = check_file(&c, tu_path("skew1"));
    c.popularity_skew = 0;
    write_ok(&c, tu_path("skew0"));
    int64_t *n0 = check_file(&c, tu_path("skew0"));
    double s1 = top_decile_share(n1, c.items), s0 = top_decile_share(n0, c.items);
    cr_assert(s1 > 0.4, "top 10%% of items hold %.3f of the ratings with skew 1", s1);
    cr_assert(s0 < 0.15, "top 10%% of items hold %.3f of the ratings with skew 0", s0);
    /* popularity is shuffled over the ids: the popular items' ids are spread out */
    int64_t *sorted = malloc((size_t)c.items * sizeof *sorted);
    memcpy(sorted, n1, (size_t)c.items * sizeof *sorted);
    qsort(sorted, (size_t)c.items, sizeof *sorted, cmp_desc);
    int64_t threshold = sorted[c.items / 10 - 1];
    double id_sum = 0, cnt = 0;
    for (int64_t i = 0; i < c.items; i++)
        if (n1[i] >= threshold) { id_sum += (double)(i + 1); cnt++; }
    double mean_id = id_sum / cnt;
    cr_assert(mean_id > 0.3 * (double)c.items && mean_id < 0.7 * (double)c.items,
              "popular items have mean id %g of %lld: not shuffled", mean_id,
              (long long)c.items);
    free(sorted);
    free(n1);
    free(n0);
}

/* Missing not at random (ar_synth_config.mnar): users keep the items they expect to like, so
 * the observed ratings are higher than the same model's at random, each user still rates
 * exactly as many items, and the file keeps its shape. */
static void user_counts_and_mean(const ar_ratings *r, int64_t users, int64_t *n, double *mean) {
    double sum = 0;
    memset(n, 0, (size_t)users * sizeof *n);
    for (size_t k = 0; k < ar_ratings_count(r); k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(r, k, &u, &i, &v);
        n[u - 1]++;
        sum += v;
    }
    *mean = sum / (double)ar_ratings_count(r);
}

Test(synth, mnar_users_rate_what_they_expect_to_like) {
    ar_synth_config c = shape(400, 300, 20000);
    ar_ratings *mcar = NULL, *mnar = NULL;
    cr_assert_eq(ar_synth_ratings(&c, &mcar), AR_OK, "%s", ar_last_error());
    c.mnar = 3;
    cr_assert_eq(ar_synth_ratings(&c, &mnar), AR_OK, "%s", ar_last_error());
    int64_t n0[400], n3[400];
    double m0, m3;
    user_counts_and_mean(mcar, c.users, n0, &m0);
    user_counts_and_mean(mnar, c.users, n3, &m3);
    cr_log_info("mean rating: %.3f at random, %.3f with mnar 3", m0, m3);
    cr_assert(m3 > m0 + 0.2, "mnar 3 mean %.3f, at random %.3f: not selected by rating", m3, m0);
    for (int u = 0; u < 400; u++) cr_assert_eq(n3[u], n0[u], "user %d's degree changed", u + 1);
    write_ok(&c, tu_path("mnar.data"));
    free(check_file(&c, tu_path("mnar.data"))); /* distinct pairs, ranges, exact count */
    ar_ratings_free(mcar);
    ar_ratings_free(mnar);
}

/* A user + item bias model (a few alternating regularised averaging sweeps on 90%) beats the
 * global mean on the other 10% clearly: the file carries a learnable signal. */
Test(synth, learnable_by_a_bias_model) {
    ar_synth_config c = shape(600, 400, 40000);
    write_ok(&c, tu_path("l.data"));
    ar_ratings *all = NULL, *train = NULL, *test = NULL;
    cr_assert_eq(ar_ratings_load(tu_path("l.data"), &all), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_ratings_split(all, 0.1, 5, &train, &test), AR_OK);
    size_t nt = ar_ratings_count(train), ne = ar_ratings_count(test);
    double mu = 0;
    for (size_t k = 0; k < nt; k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(train, k, &u, &i, &v);
        mu += v;
    }
    mu /= (double)nt;
    double *bu = calloc(601, sizeof *bu), *bi = calloc(401, sizeof *bi);
    double *su = malloc(601 * sizeof *su), *si = malloc(401 * sizeof *si);
    double *cu = malloc(601 * sizeof *cu), *ci = malloc(401 * sizeof *ci);
    const double lambda = 5;
    for (int sweep = 0; sweep < 5; sweep++) {
        memset(si, 0, 401 * sizeof *si);
        memset(ci, 0, 401 * sizeof *ci);
        for (size_t k = 0; k < nt; k++) {
            int64_t u, i;
            float v;
            ar_ratings_get(train, k, &u, &i, &v);
            si[i] += v - mu - bu[u];
            ci[i] += 1;
        }
        for (int i = 0; i <= 400; i++) bi[i] = si[i] / (ci[i] + lambda);
        memset(su, 0, 601 * sizeof *su);
        memset(cu, 0, 601 * sizeof *cu);
        for (size_t k = 0; k < nt; k++) {
            int64_t u, i;
            float v;
            ar_ratings_get(train, k, &u, &i, &v);
            su[u] += v - mu - bi[i];
            cu[u] += 1;
        }
        for (int u = 0; u <= 600; u++) bu[u] = su[u] / (cu[u] + lambda);
    }
    double se_mean = 0, se_bias = 0;
    for (size_t k = 0; k < ne; k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(test, k, &u, &i, &v);
        double p = mu + bu[u] + bi[i];
        p = p < 1 ? 1 : p > 5 ? 5 : p;
        se_mean += (v - mu) * (v - mu);
        se_bias += (v - p) * (v - p);
    }
    double rmse_mean = sqrt(se_mean / (double)ne), rmse_bias = sqrt(se_bias / (double)ne);
    cr_log_info("global mean RMSE %.4f, bias model RMSE %.4f", rmse_mean, rmse_bias);
    cr_assert(rmse_mean > 0.85 && rmse_mean < 1.3, "ratings spread %.3f, expected about 1",
              rmse_mean);
    cr_assert(rmse_bias < 0.92 * rmse_mean, "bias model %.4f does not beat the mean %.4f",
              rmse_bias, rmse_mean);
    free(bu); free(bi); free(su); free(si); free(cu); free(ci);
    ar_ratings_free(all);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

Test(synth, invalid_configs_name_the_setting_and_write_nothing) {
    struct { ar_synth_config c; const char *opt; } bad[10];
    for (int k = 0; k < 10; k++) bad[k].c = shape(10, 10, 20);
    bad[0].c.ratings = 51; bad[0].opt = "ar_synth_config.ratings";
    bad[1].c.ratings = 0; bad[1].opt = "ar_synth_config.ratings";
    bad[2].c.users = 0; bad[2].opt = "ar_synth_config.users";
    bad[3].c.rank = 0; bad[3].opt = "ar_synth_config.rank";
    bad[4].c.noise = NAN; bad[4].opt = "ar_synth_config.noise";
    bad[5].c.popularity_skew = 4.5f; bad[5].opt = "ar_synth_config.popularity_skew";
    bad[6].c.rating_step = 0.3f; bad[6].opt = "ar_synth_config.rating_step"; /* 1..5 by 0.3 */
    bad[7].c.rating_max = 1; bad[7].opt = "ar_synth_config.rating_min";     /* empty scale */
    bad[8].c.rating_step = 0.01f; bad[8].opt = "ar_synth_config.rating_step"; /* 400 steps */
    bad[9].c.mnar = -1; bad[9].opt = "ar_synth_config.mnar";
    for (int k = 0; k < 10; k++) {
        cr_assert_eq(ar_synth_write(&bad[k].c, tu_path("bad")), AR_ERR_INVALID_ARG, "case %d", k);
        cr_assert(strstr(ar_last_error(), bad[k].opt), "case %d: '%s' does not name %s", k,
                  ar_last_error(), bad[k].opt);
        cr_assert(!exists(tu_path("bad")));
    }
    cr_assert(strstr((ar_synth_write(&bad[0].c, tu_path("bad")), ar_last_error()),
                     "exceeds half of users x items (50)"), "%s", ar_last_error());
    tu_assert_no_temporaries();
}

Test(synth, write_failures_leave_no_file) {
    ar_synth_config c = shape(100, 100, 2000);
    cr_assert_eq(ar_synth_write(&c, "/nonexistent/dir/x"), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "/nonexistent/dir/x"), "%s", ar_last_error());
    /* a write that fails half way (the file size limit stands in for a full disk): the
     * temporary file goes, and the message names the path and the reason */
    c = shape(2000, 1000, 200000);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit old, lim;
    cr_assert(getrlimit(RLIMIT_FSIZE, &old) == 0);
    lim = old;
    lim.rlim_cur = 64 * 1024;
    cr_assert(setrlimit(RLIMIT_FSIZE, &lim) == 0);
    ar_status st = ar_synth_write(&c, tu_path("big"));
    cr_assert(setrlimit(RLIMIT_FSIZE, &old) == 0);
    cr_assert_eq(st, AR_ERR_IO, "status %d: %s", st, ar_last_error());
    cr_assert(strstr(ar_last_error(), tu_path("big")), "%s", ar_last_error());
    cr_assert(!exists(tu_path("big")));
    tu_assert_no_temporaries();
}

/* ---- the command line -------------------------------------------------------------------- */

static int run(const char *args) {
    return tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "synth %s", args);
}

Test(synth, cli_writes_the_file_and_a_summary) {
    char args[512];
    snprintf(args, sizeof args, "--users 120 --items 80 --ratings 3000 --seed 3 --out '%s'",
             tu_path("c.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    cr_assert(strstr(err, "3000") && strstr(err, "120") && strstr(err, "80"), "%s", err);
    ar_synth_config c = shape(120, 80, 3000);
    c.seed = 3;
    free(check_file(&c, tu_path("c.data")));
    /* the library with the same config writes the same bytes */
    write_ok(&c, tu_path("lib.data"));
    size_t l1, l2;
    char *a = slurp(tu_path("c.data"), &l1), *b = slurp(tu_path("lib.data"), &l2);
    cr_assert(l1 == l2 && !memcmp(a, b, l1));
    free(a);
    free(b);
    /* a preset with an explicit size overriding it */
    snprintf(args, sizeof args, "--preset ml-100k --ratings 5000 --out '%s'", tu_path("p.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    c = shape(943, 1682, 5000);
    free(check_file(&c, tu_path("p.data")));
}

Test(synth, cli_help_and_usage_errors) {
    cr_assert_eq(run("--help"), 0);
    const char *flags[] = {"--users", "--items", "--ratings", "--seed", "--out", "--rank",
                           "--noise", "--skew", "--mnar", "--preset", "ml-10m", "netflix"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        cr_assert(strstr(out, flags[i]), "synth --help does not describe %s", flags[i]);
    char args[512];
    struct { const char *args, *opt; } bad[] = {
        {"--ratings 0", "--ratings"},
        {"--users 10 --items 10 --ratings 51", "--ratings"},
        {"--users abc", "--users"},
        {"--items -3", "--items"},
        {"--rank 0", "--rank"},
        {"--noise -1", "--noise"},
        {"--mnar 11", "--mnar"},
        {"--skew 9", "--skew"},
        {"--preset ml-20x", "--preset"},
        {"--bogus 1", "--bogus"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(args, sizeof args, "%s --out '%s'", bad[k].args, tu_path("u.data"));
        cr_assert_eq(run(args), 2, "synth %s: exit code", bad[k].args);
        cr_assert(strstr(err, bad[k].opt), "synth %s: '%s' does not name %s", bad[k].args, err,
                  bad[k].opt);
        cr_assert(!strstr(err, "ar_synth_config"), "synth %s: %s", bad[k].args, err);
        cr_assert(!strchr(err, '\n') || strchr(err, '\n') == err + strlen(err) - 1,
                  "not one line: %s", err);
        cr_assert(!exists(tu_path("u.data")));
    }
    cr_assert_eq(run("--users 10"), 2);
    cr_assert(strstr(err, "--out"), "%s", err);
    cr_assert_neq(run("--out /nonexistent/dir/x"), 0);
    cr_assert(strstr(err, "/nonexistent/dir/x"), "%s", err);
    cr_assert(!exists("/nonexistent/dir/x"));
}
