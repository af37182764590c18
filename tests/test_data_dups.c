/* test_data_dups.c - user-item pairs rated more than once (ar_load_options.duplicates,
 * --duplicates): every mode on every format, lists from arrays, the split, the held-out sets
 * (one file and two), the messages (both lines and the setting, or the flag in the tool), the
 * counts reported by `autorec data`, train's and eval's warnings. */
#include <float.h>
#include <string.h>

#include "testutil.h"

static char out[65536], err[65536];

TestSuite(data_dups, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

#define run(env, ...) tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, __VA_ARGS__)
#define HINT "choose one with ar_load_options.duplicates first|last|mean"

/* ---- the library ------------------------------------------------------------------------- */

Test(data_dups, names_and_bad_values) {
    static const char *const names[] = {"error", "first", "last", "mean"};
    for (int k = 0; k < 4; k++) {
        ar_duplicates d = AR_DUP_ERROR;
        cr_assert_str_eq(ar_duplicates_name((ar_duplicates)k), names[k]);
        cr_assert_eq(ar_duplicates_parse(names[k], &d), AR_OK);
        cr_assert_eq((int)d, k);
    }
    ar_duplicates d = AR_DUP_ERROR;
    cr_assert_eq(ar_duplicates_parse("MEAN", &d), AR_OK);
    cr_assert_eq(d, AR_DUP_MEAN);
    cr_assert_eq(ar_duplicates_parse("median", &d), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "error, first, last or mean"), "%s", ar_last_error());
    cr_assert_str_eq(ar_duplicates_name((ar_duplicates)9), "unknown");
    ar_load_options o;
    ar_load_options_default(&o);
    cr_assert_eq(o.duplicates, AR_DUP_ERROR);
    o.duplicates = (ar_duplicates)7;
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse("1\t1\t1\n", 6, "m", &o, &r), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_load_options.duplicates 7"), "%s", ar_last_error());
}

/* The same six ratings in each format: user 1 rates item 10 three times (lines 1, 4, 6 of the
 * data) and item 20 twice (lines 3, 5). */
static const struct {
    const char *name, *text, *columns;
    int header; /* lines before the first rating */
} files[] = {
    {"r.tab", "1\t10\t4\n2\t10\t3\n1\t20\t3\n1\t10\t5\n1\t20\t4\n1\t10\t2\n", NULL, 0},
    {"r.dat", "1::10::4::0\n2::10::3::0\n1::20::3::0\n1::10::5::0\n1::20::4::0\n1::10::2::0\n",
     NULL, 0},
    {"r.mlcsv", "userId,movieId,rating,timestamp\n1,10,4,0\n2,10,3,0\n1,20,3,0\n1,10,5,0\n"
                "1,20,4,0\n1,10,2,0\n", NULL, 1},
    {"r.csv", "item;user;score\n10;1;4\n10;2;3\n20;1;3\n10;1;5\n20;1;4\n10;1;2\n", NULL, 1},
    {"r.cols", "x|10|4|1\nx|10|3|2\nx|20|3|1\nx|10|5|1\nx|20|4|1\nx|10|2|1\n",
     "_,item,rating,user", 0},
};

/* What each mode keeps, in order: (user, item, rating, data line). */
static const struct { int64_t u, i; float v; int line; } kept[3][3] = {
    {{1, 10, 4, 1}, {2, 10, 3, 2}, {1, 20, 3, 3}},          /* first */
    {{2, 10, 3, 2}, {1, 20, 4, 5}, {1, 10, 2, 6}},          /* last */
    {{1, 10, (float)(11.0 / 3), 1}, {2, 10, 3, 2}, {1, 20, 3.5f, 3}}, /* mean */
};

static ar_ratings *load(int f, ar_duplicates how) {
    ar_load_options o;
    ar_load_options_default(&o);
    o.columns = files[f].columns;
    o.duplicates = how;
    ar_ratings *r = NULL;
    const char *p = tu_write_file(files[f].name, files[f].text);
    cr_assert_eq(ar_ratings_load_ex(p, &o, &r), AR_OK, "%s: %s", files[f].name, ar_last_error());
    return r;
}

Test(data_dups, every_mode_on_every_format) {
    for (int f = 0; f < (int)(sizeof files / sizeof *files); f++) {
        const int h = files[f].header;
        char want[512];
        for (int m = 0; m < 3; m++) {
            ar_ratings *r = load(f, (ar_duplicates)(AR_DUP_FIRST + m));
            cr_assert_eq(ar_ratings_count(r), 3, "%s %d", files[f].name, m);
            for (size_t k = 0; k < 3; k++) {
                int64_t u, i;
                float v;
                ar_ratings_get(r, k, &u, &i, &v);
                cr_assert(u == kept[m][k].u && i == kept[m][k].i && v == kept[m][k].v &&
                          r->line[k] == kept[m][k].line + h, "%s mode %d rating %zu: (%lld, "
                          "%lld, %g) line %d", files[f].name, m, k, (long long)u, (long long)i,
                          (double)v, r->line[k]);
            }
            const char *first = NULL;
            cr_assert_eq(ar_ratings_merged(r, &first), 2);
            snprintf(want, sizeof want, "%s:%d: user 1 item 10, first at line %d",
                     tu_path(files[f].name), 4 + h, 1 + h);
            cr_assert(first && strstr(first, want), "%s lacks %s", first, want);
            ar_dataset *ds = NULL;
            cr_assert_eq(ar_dataset_create(r, NULL, &ds), AR_OK, "%s", ar_last_error());
            ar_dataset_free(ds);
            ar_ratings_free(r);
        }
        /* error (the default): loaded as it is, refused by the dataset naming both lines */
        ar_ratings *r = load(f, AR_DUP_ERROR);
        ar_dataset *ds = NULL;
        cr_assert_eq(ar_ratings_count(r), 6);
        cr_assert_eq(ar_ratings_merged(r, NULL), 0);
        cr_assert_eq(ar_dataset_create(r, NULL, &ds), AR_ERR_PARSE);
        snprintf(want, sizeof want, "%s:%d: duplicate rating for user 1 item 10 (first at line "
                 "%d); " HINT, tu_path(files[f].name), 4 + h, 1 + h);
        cr_assert(strstr(ar_last_error(), want), "'%s' lacks '%s'", ar_last_error(), want);
        ar_ratings_free(r);
    }
}

/* Lists from arrays (no lines): merged in list order; error leaves the list as it was. */
Test(data_dups, lists_from_arrays) {
    const int64_t u[] = {1, 2, 1, 3, 3}, i[] = {2, 2, 2, 4, 4};
    const float v[] = {4, 1, 5, 1.5e-38f, -1.2e-38f};
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_from_arrays(u, i, v, 5, &r), AR_OK);
    cr_assert_eq(ar_ratings_merge_duplicates(r, AR_DUP_ERROR), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "(ratings): duplicate rating for user 1 item 2; " HINT),
              "%s", ar_last_error());
    cr_assert_eq(ar_ratings_count(r), 5);
    cr_assert_eq(ar_ratings_merge_duplicates(r, (ar_duplicates)-1), AR_ERR_INVALID_ARG);
    cr_assert_eq(ar_ratings_merge_duplicates(r, AR_DUP_MEAN), AR_OK, "%s", ar_last_error());
    const char *first = NULL;
    cr_assert_eq(ar_ratings_merged(r, &first), 2);
    cr_assert(first && strstr(first, "(ratings): user 1 item 2, ratings 1 and 3 of the list"),
              "%s", first);
    cr_assert_eq(ar_ratings_count(r), 3);
    /* 4 and 5 give 4.5, not rounded; a mean below the smallest normal float is 0 */
    const float want[3] = {4.5f, 1, 0};
    for (size_t k = 0; k < 3; k++) {
        float got;
        ar_ratings_get(r, k, NULL, NULL, &got);
        cr_assert(got == want[k], "rating %zu: %g", k, (double)got);
    }
    /* nothing left to merge: the count stays */
    cr_assert_eq(ar_ratings_merge_duplicates(r, AR_DUP_LAST), AR_OK);
    cr_assert_eq(ar_ratings_merged(r, NULL), 2);
    ar_ratings_free(r);
}

static ar_ratings *parse(const char *text, const char *name, ar_duplicates how) {
    ar_load_options o;
    ar_load_options_default(&o);
    o.duplicates = how;
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse(text, strlen(text), name, &o, &r), AR_OK, "%s",
                 ar_last_error());
    return r;
}

/* A random split: merged before it (the count kept with training), or refused wherever the
 * split puts the two copies (training, test, validation; known or cold user), naming both
 * lines and the setting. */
Test(data_dups, one_file_split_three_ways) {
    char text[2048] = "";
    for (int k = 0; k < 40; k++) /* user 1 and item 1 have other ratings: the pair is warm */
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d\t%d\t%d\n", 1 + k % 7,
                 1 + k / 7, 1 + k % 5);
    strcat(text, "1\t1\t2\n7\t9\t1\n7\t9\t5\n"); /* lines 41 (first at 1), 42 and 43: cold */
    for (int seed = 1; seed <= 40; seed++) {
        ar_ratings *all = parse(text, "f", AR_DUP_ERROR), *rest, *te, *tr, *va;
        cr_assert_eq(ar_ratings_split(all, 0.3, (uint64_t)seed, &rest, &te), AR_OK);
        cr_assert_eq(ar_ratings_split(rest, 0.3, (uint64_t)seed + 99, &tr, &va), AR_OK);
        ar_dataset *ds = NULL;
        cr_assert_eq(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds), AR_ERR_PARSE);
        const char *e = ar_last_error();
        cr_assert((strstr(e, "f:41: duplicate rating for user 1 item 1 (first at line 1); " HINT)
                   || strstr(e, "f:43: duplicate rating for user 7 item 9 (first at line 42); "
                             HINT)), "seed %d: %s", seed, e);
        ar_ratings_free(all), ar_ratings_free(rest), ar_ratings_free(te), ar_ratings_free(tr);
        ar_ratings_free(va);
        all = parse(text, "f", AR_DUP_LAST);
        cr_assert_eq(ar_ratings_count(all), 41);
        cr_assert_eq(ar_ratings_split(all, 0.3, (uint64_t)seed, &tr, &te), AR_OK);
        cr_assert_eq(ar_ratings_merged(tr, NULL), 2);
        cr_assert_eq(ar_ratings_merged(te, NULL), 0);
        cr_assert_eq(ar_dataset_create(tr, te, &ds), AR_OK, "%s", ar_last_error());
        ar_dataset_free(ds);
        ar_ratings_free(all), ar_ratings_free(tr), ar_ratings_free(te);
    }
}

/* Two files: a pair in training and test, or in test and validation, stays an error whatever
 * the mode (a leak; no hint at the setting); repeats within the test file are merged. */
Test(data_dups, across_files) {
    ar_ratings *tr = parse("1\t10\t4\n2\t20\t3\n2\t10\t3\n", "tr", AR_DUP_MEAN);
    ar_ratings *te = parse("1\t20\t3\n9\t9\t1\n1\t20\t4\n9\t9\t2\n", "te", AR_DUP_ERROR);
    ar_dataset *ds = NULL;
    /* within the test file, a known pair and a cold one */
    cr_assert_eq(ar_dataset_create(tr, te, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "te:3: duplicate rating for user 1 item 20 (first at line "
                     "1); " HINT), "%s", ar_last_error());
    ar_ratings_free(te);
    te = parse("9\t9\t1\n9\t9\t2\n", "te", AR_DUP_ERROR);
    cr_assert_eq(ar_dataset_create(tr, te, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "te:2: duplicate rating for user 9 item 9 (first at line "
                     "1); " HINT), "%s", ar_last_error());
    ar_ratings_free(te);
    te = parse("1\t20\t3\n9\t9\t1\n1\t20\t4\n9\t9\t2\n", "te", AR_DUP_MEAN);
    cr_assert_eq(ar_dataset_create(tr, te, &ds), AR_OK, "%s", ar_last_error());
    cr_assert_eq(ds->test.row_ptr[ds->n_rows], 1);
    cr_assert(ds->test.vals[0] == 3.5f && ds->n_cold == 1 && ds->cold[0] == 1.5f);
    ar_dataset_free(ds);
    /* training and test: a leak in every mode */
    for (int m = AR_DUP_ERROR; m <= AR_DUP_MEAN; m++) {
        ar_ratings *leak = parse("5\t5\t1\n2\t10\t5\n2\t10\t4\n", "lk", (ar_duplicates)m);
        ar_status st = ar_dataset_create(tr, leak, &ds);
        cr_assert_eq(st, AR_ERR_PARSE);
        cr_assert(strstr(ar_last_error(), m ? "also a training rating (tr:3)" : "duplicate"),
                  "%d: %s", m, ar_last_error());
        cr_assert(!m || !strstr(ar_last_error(), "ar_load_options"), "%s", ar_last_error());
        ar_ratings_free(leak);
    }
    /* test and validation: two files named, or one file's two lines */
    ar_ratings *va = parse("\n1\t20\t5\n", "va", AR_DUP_FIRST);
    cr_assert_eq(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "va:2: the validation rating of user 1 item 20 is also a "
                     "test rating (te:1); a pair is held out once"), "%s", ar_last_error());
    ar_ratings_free(va);
    va = parse("\n\n\n\n9\t9\t5\n", "te", AR_DUP_FIRST);
    cr_assert_eq(ar_dataset_create_ex(tr, va, te, AR_ROWS_ITEMS, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "te:5: duplicate rating for user 9 item 9 (first at line "
                     "2); " HINT), "%s", ar_last_error());
    ar_ratings_free(va);
    va = parse("\n\n\n\n1\t20\t5\n", "te", AR_DUP_FIRST);
    cr_assert_eq(ar_dataset_create_ex(tr, va, te, AR_ROWS_USERS, &ds), AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "te:5: duplicate rating for user 1 item 20 (first at line "
                     "1); " HINT), "%s", ar_last_error());
    ar_ratings_free(va);
    ar_ratings_free(te);
    ar_ratings_free(tr);
}

/* ---- the tool ---------------------------------------------------------------------------- */

/* d.data: 30 pairs, user 1 item 1 rated again at lines 31 and 32; te.data: user 1 item 3 twice;
 * lk.data: a training pair of tr.data. */
static void write_files(void) {
    char text[1024] = "";
    for (int k = 0; k < 30; k++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%d\t%d\t%d\n", 1 + k % 6,
                 1 + k / 6, 1 + k % 5);
    strcat(text, "1\t1\t2\n1\t1\t3\n");
    tu_write_file("d.data", text);
    tu_write_file("tr.data", "1\t1\t4\n2\t1\t3\n1\t2\t2\n2\t2\t5\n3\t1\t1\n3\t2\t2\n");
    tu_write_file("te.data", "1\t3\t4\n4\t1\t3\n1\t3\t5\n");
    tu_write_file("lk.data", "2\t2\t5\n4\t4\t4\n");
}

Test(data_dups, cli_data_counts_and_messages) {
    write_files();
    cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.3", tu_path("d.data")), 2);
    cr_assert(strstr(err, "d.data:") && strstr(err, "duplicate rating for user 1 item 1 (first "
                     "at line ") && strstr(err, "; choose one with --duplicates first|last|mean"),
              "%s", err);
    cr_assert(!strstr(err, "ar_load_options") && strchr(err, '\n') == err + strlen(err) - 1,
              "%s", err);
    static const char *const modes[] = {"first", "last", "mean"};
    for (int m = 0; m < 3; m++) {
        cr_assert_eq(run(NULL, "data --data %s --test-ratio 0.3 --duplicates %s --valid-ratio "
                         "0.2", tu_path("d.data"), modes[m]), 0, "%s", err);
        cr_assert(strstr(out, "ratings:      30 ") && strstr(out, "duplicates:   1 user-item "
                         "pairs rated more than once, merged (--duplicates ")
                  && strstr(out, modes[m]), "%s", out);
        cr_assert(strstr(err, "warning: ") && strstr(err, "d.data: 1 user-item pair rated more "
                         "than once, merged (--duplicates ") && strstr(err, "the first: ") &&
                  strstr(err, "d.data:31: user 1 item 1, first at line 1"), "%s", err);
    }
    /* --train/--test: the test file's repeats; JSON */
    cr_assert_eq(run(NULL, "data --train %s --test %s --duplicates mean --json",
                     tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    cr_assert(strstr(out, "\"test\":2,") && strstr(out, "\"merged_pairs\":1,"), "%s", out);
    cr_assert(strstr(err, "te.data:3: user 1 item 3, first at line 1"), "%s", err);
    cr_assert_eq(run(NULL, "data --train %s --test %s", tu_path("tr.data"), tu_path("te.data")),
                 2);
    cr_assert(strstr(err, "te.data:3: duplicate rating for user 1 item 3 (first at line 1); "
                     "choose one with --duplicates"), "%s", err);
    /* a pair in training and test: a leak whatever --duplicates says */
    cr_assert_eq(run(NULL, "data --train %s --test %s --duplicates last", tu_path("tr.data"),
                     tu_path("lk.data")), 2);
    cr_assert(strstr(err, "lk.data:1: the test rating of user 2 item 2 is also a training "
                     "rating") && !strstr(err, "--duplicates"), "%s", err);
    /* the written split holds the merged ratings */
    cr_assert_eq(run(NULL, "data --data %s --duplicates last --test-ratio 0.3 --valid-ratio 0 "
                     "--write-splits %s", tu_path("d.data"), tu_path("s")), 0, "%s", err);
    ar_ratings *tr = NULL, *te = NULL;
    ar_dataset *ds = NULL;
    cr_assert_eq(ar_ratings_load(tu_path("s/train.tsv"), &tr), AR_OK);
    cr_assert_eq(ar_ratings_load(tu_path("s/test.tsv"), &te), AR_OK);
    cr_assert_eq(ar_ratings_count(tr) + ar_ratings_count(te), 30);
    cr_assert_eq(ar_dataset_create(tr, te, &ds), AR_OK, "%s", ar_last_error());
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    cr_assert_eq(run(NULL, "data --data %s --duplicates median", tu_path("d.data")), 2);
    cr_assert(strstr(err, "--duplicates: unknown duplicates mode 'median'"), "%s", err);
}

/* train warns on stderr unless --quiet; eval merges its test file's repeats; every command that
 * reads a dataset has the option. */
Test(data_dups, cli_train_and_eval) {
    write_files();
    cr_assert_eq(run(NULL, "train --train %s --test %s --duplicates first --epochs 1 --hidden 4 "
                     "--save %s", tu_path("tr.data"), tu_path("te.data"), tu_path("m.bin")), 0,
                 "%s", err);
    cr_assert(strstr(err, "warning: ") && strstr(err, "te.data: 1 user-item pair rated more "
                     "than once, merged (--duplicates first)"), "%s", err);
    cr_assert_eq(run(NULL, "train --train %s --test %s --duplicates first --epochs 1 --hidden 4 "
                     "--quiet", tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    cr_assert(!strstr(err, "warning"), "%s", err);
    cr_assert_eq(run(NULL, "eval --model %s --test %s", tu_path("m.bin"), tu_path("te.data")), 2);
    cr_assert(strstr(err, "te.data:3: duplicate rating for user 1 item 3 (first at line 1); "
                     "choose one with --duplicates first|last|mean"), "%s", err);
    cr_assert_eq(run(NULL, "eval --model %s --test %s --duplicates mean --json",
                     tu_path("m.bin"), tu_path("te.data")), 0, "%s", err);
    cr_assert(strstr(out, "\"n_test\":2,") && strstr(err, "merged (--duplicates mean)"),
              "%s%s", out, err);
    cr_assert_eq(run(NULL, "eval --model %s --test %s --duplicates mean", tu_path("m.bin"),
                     tu_path("lk.data")), 2);
    cr_assert(strstr(err, "also one of the training ratings"), "%s", err);
    static const char *const commands[] = {"data", "train", "bench", "sweep", "eval"};
    for (int k = 0; k < 5; k++) {
        cr_assert_eq(run(NULL, "%s --help", commands[k]), 0);
        cr_assert(strstr(out, "--duplicates HOW"), "%s: %s", commands[k], out);
    }
}
