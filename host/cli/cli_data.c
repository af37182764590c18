/* cli_data.c - the data options shared by train, bench and data: where the ratings come from
 * (files, a directory, a named MovieLens dataset), their format, and the split; and the
 * `autorec data` command that describes them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "svg.h"

const char cli_data_help[] =
    "data (one of):\n"
    "  --dataset NAME        a MovieLens release: ml-100k, ml-1m, ml-10m, ml-latest-small;\n"
    "                        found in $AUTOREC_DATA or the cache ($XDG_CACHE_HOME/autorec, else\n"
    "                        ~/.cache/autorec), else downloaded from GroupLens and checked\n"
    "  --data DIR            a dataset directory: its ratings file (u.data, ratings.dat or\n"
    "                        ratings.csv, also in its one subdirectory); for ML-100K its\n"
    "                        canonical split u1.base / u1.test unless --test-ratio is given\n"
    "  --data FILE           one ratings file, split at random by --test-ratio\n"
    "  --train FILE --test FILE  given training and test files (e.g. u1.base u1.test)\n"
    "  --synthetic UxIxN     N ratings drawn in memory for U users and I items (as 'autorec\n"
    "                        synth' writes them, seeded by --seed), e.g. 69878x10677x10000000\n"
    "                        for an ML-10M-sized run; split at random by --test-ratio\n"
    "  (nothing)             --data $AUTOREC_DATA\n"
    "split:\n"
    "  --fold K              ML-100K's canonical folds: 1..5 (uK.base / uK.test) or a, b\n"
    "                        (ua / ub: 10 test ratings per user)\n"
    "  --test-ratio R        hold out a random fraction R of the ratings for testing, seeded\n"
    "                        by --seed (default 0.1 when the data has no canonical split)\n"
    "  --valid-ratio R       carve a random fraction R of the training ratings out as a\n"
    "                        validation set, for early stopping and model selection; the test\n"
    "                        set is never used to choose anything (default 0: none)\n"
    "  --split-seed N        seed the random splits (--test-ratio, --valid-ratio) with N\n"
    "                        instead of --seed: the same split for models of different seeds\n"
    "format:\n"
    "  --format F            auto (default: detected from the content), tab (u.data: 'user\n"
    "                        item rating [timestamp]', tabs or spaces), dat (ratings.dat:\n"
    "                        'user::item::rating::timestamp'), ml-csv (ratings.csv with the\n"
    "                        header userId,movieId,rating,timestamp), csv (any delimited file)\n"
    "  --columns LIST        csv: each column's role in order, e.g. item,user,rating or\n"
    "                        user,_,item,rating,timestamp (other names: columns read past);\n"
    "                        default: from a header line naming them, else user,item,rating\n"
    "  --rating-range MIN,MAX  ratings outside are malformed (default: 0.5..5 for dat and\n"
    "                        ml-csv and for --dataset, 1..5 for ML-100K's u.data, else any)\n"
    "  --skip-bad            skip malformed lines and report how many, instead of stopping\n"
    "                        at the first (duplicate user-item pairs are always an error)\n"
    "  --no-download         with --dataset, never download: fail if the data is not local\n"
    "model inputs:\n"
    "  --model item|user     item: I-AutoRec, each input is an item's ratings by all users\n"
    "                        (default); user: U-AutoRec, each input is a user's ratings\n"
    "The rating scale used to clamp predictions is the training ratings' min..max; test\n"
    "ratings whose user or item has no training rating are predicted as its middle.\n";

void cli_data_opts_default(cli_data_opts *d) {
    memset(d, 0, sizeof *d);
    d->test_ratio = 0.1;
    ar_synth_config_default(&d->synth);
    ar_load_options_default(&d->load);
}

int cli_data_is_flag(const char *name) {
    return !strcmp(name, "--skip-bad") || !strcmp(name, "--no-download");
}

static int parse_ratio(const char *val, double *out, int allow_zero) {
    float f;
    if (!cli_parse_float(val, &f) || !(f < 1) || !(allow_zero ? f >= 0 : f > 0)) return 0;
    *out = f;
    return 1;
}

int cli_data_option(cli_data_opts *d, const char *name, const char *val, const char *cmd) {
    if (!strcmp(name, "--skip-bad")) return d->load.skip_bad = 1, 1;
    if (!strcmp(name, "--no-download")) return d->no_download = 1, 1;
    if (!strcmp(name, "--train")) return d->train = val, 1;
    if (!strcmp(name, "--test")) return d->test = val, 1;
    if (!strcmp(name, "--data")) return d->data = val, 1;
    if (!strcmp(name, "--columns")) return d->load.columns = val, 1;
    if (!strcmp(name, "--model")) {
        if (!strcmp(val, "item")) d->rows = AR_ROWS_ITEMS;
        else if (!strcmp(val, "user")) d->rows = AR_ROWS_USERS;
        else return 2 + cli_usage_error(cmd, "--model expects item (I-AutoRec) or user "
                                        "(U-AutoRec), got '%s'", val);
        return 1;
    }
    if (!strcmp(name, "--dataset")) {
        if (!ar_movielens_find(val))
            return 2 + cli_usage_error(cmd, "--dataset: unknown dataset '%s' (known: ml-100k, "
                                       "ml-1m, ml-10m, ml-latest-small)", val);
        d->dataset = val;
        return 1;
    }
    if (!strcmp(name, "--synthetic")) {
        long long u, i, n;
        char tail;
        if (sscanf(val, "%lldx%lldx%lld%c", &u, &i, &n, &tail) != 3 || u < 1 || i < 1 || n < 1)
            return 2 + cli_usage_error(cmd, "--synthetic expects USERSxITEMSxRATINGS with "
                                       "positive counts, e.g. 69878x10677x10000000, got '%s'",
                                       val);
        d->synthetic = val;
        d->synth.users = u;
        d->synth.items = i;
        d->synth.ratings = n;
        return 1;
    }
    if (!strcmp(name, "--fold")) {
        if (!(strlen(val) == 1 && strchr("12345ab", val[0])))
            return 2 + cli_usage_error(cmd, "--fold expects 1, 2, 3, 4, 5, a or b, got '%s'",
                                       val);
        d->fold = val;
        return 1;
    }
    if (!strcmp(name, "--test-ratio")) {
        if (!parse_ratio(val, &d->test_ratio, 0))
            return 2 + cli_usage_error(cmd, "--test-ratio expects a number in (0, 1), got '%s'",
                                       val);
        d->test_ratio_set = 1;
        return 1;
    }
    if (!strcmp(name, "--valid-ratio")) {
        if (!parse_ratio(val, &d->valid_ratio, 1))
            return 2 + cli_usage_error(cmd, "--valid-ratio expects a number in [0, 1), got "
                                       "'%s'", val);
        return 1;
    }
    if (!strcmp(name, "--split-seed")) {
        if (!cli_parse_u64(val, &d->split_seed))
            return 2 + cli_usage_error(cmd, "--split-seed expects a non-negative integer, got "
                                       "'%s'", val);
        d->split_seed_set = 1;
        return 1;
    }
    if (!strcmp(name, "--format")) {
        if (ar_format_parse(val, &d->load.format) != AR_OK)
            return 2 + cli_usage_error(cmd, "--format: %s", ar_last_error());
        return 1;
    }
    if (!strcmp(name, "--rating-range")) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s", val);
        char *comma = strchr(buf, ',');
        float lo, hi;
        if (!comma || (*comma = 0, !cli_parse_float(buf, &lo)) ||
            !cli_parse_float(comma + 1, &hi) || !(lo < hi))
            return 2 + cli_usage_error(cmd, "--rating-range expects MIN,MAX with MIN < MAX, "
                                       "got '%s'", val);
        d->load.rating_min = lo;
        d->load.rating_max = hi;
        return 1;
    }
    return 0;
}

int cli_data_check(cli_data_opts *d, const char *cmd) {
    if ((d->train != NULL) != (d->test != NULL))
        return cli_usage_error(cmd, "%s", "--train and --test go together");
    int sources = (d->train != NULL) + (d->data != NULL) + (d->dataset != NULL) +
                  (d->synthetic != NULL);
    if (sources > 1)
        return cli_usage_error(cmd, "%s", "give one of --train/--test, --data, --dataset and "
                               "--synthetic");
    if (d->synthetic && d->fold)
        return cli_usage_error(cmd, "%s", "--fold needs ML-100K's files, not --synthetic");
    if (d->fold && d->test_ratio_set)
        return cli_usage_error(cmd, "%s", "--fold and --test-ratio are two different splits: "
                               "give one");
    if (d->train && (d->fold || d->test_ratio_set))
        return cli_usage_error(cmd, "%s", "--train/--test are already split: --fold and "
                               "--test-ratio do not apply");
    if (sources == 0) {
        d->data = getenv("AUTOREC_DATA");
        if (!d->data || !*d->data)
            return cli_usage_error(cmd, "%s", "no data: give --dataset NAME, --data PATH, "
                                   "--train FILE --test FILE, or set AUTOREC_DATA");
    }
    return -1;
}

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void warn_skipped(const ar_ratings *r, const char *path, int quiet) {
    const char *first = NULL;
    size_t n = ar_ratings_skipped(r, &first);
    if (n && !quiet)
        fprintf(stderr, "autorec: warning: %s: skipped %zu malformed line%s (--skip-bad); the "
                "first: %s\n", path, n, n == 1 ? "" : "s", first ? first : "");
}

static ar_status load(const char *path, const ar_load_options *o, int quiet, ar_ratings **r) {
    ar_status st = ar_ratings_load_ex(path, o, r);
    if (st == AR_OK) warn_skipped(*r, path, quiet);
    return st;
}

void cli_data_free(cli_data *x) {
    ar_ratings_free(x->train);
    ar_ratings_free(x->valid);
    ar_ratings_free(x->test);
    ar_titles_free(x->titles);
    memset(x, 0, sizeof *x);
}

ar_status cli_data_load(const cli_data_opts *d, uint64_t seed, int quiet, cli_data *x) {
    memset(x, 0, sizeof *x);
    const uint64_t split = d->split_seed_set ? d->split_seed : seed; /* seeds the splits */
    ar_load_options lo = d->load;
    ar_status st = AR_OK;
    char dir[4096], base[4200], test[4200], file[4200];
    const char *path = d->data;
    const char *tr = d->train, *te = d->test;
    if (d->dataset) {
        const ar_movielens_info *info = ar_movielens_find(d->dataset);
        st = ar_movielens_locate(d->dataset, !d->no_download, dir, sizeof dir);
        if (st != AR_OK) return st;
        path = dir;
        if (isnan(lo.rating_min)) lo.rating_min = info->rating_min, lo.rating_max = info->rating_max;
    }
    if (d->synthetic) {
        /* nothing to find on disk */
    } else if (!tr && d->fold) {
        if (!is_dir(path))
            return cli_fail(AR_ERR_INVALID_ARG, "--fold needs a dataset directory (ML-100K), "
                           "but %s is not a directory", path);
        snprintf(base, sizeof base, "%s/u%s.base", path, d->fold);
        snprintf(test, sizeof test, "%s/u%s.test", path, d->fold);
        if (!is_file(base) || !is_file(test))
            return cli_fail(AR_ERR_IO, "--fold %s: %s or %s is missing (the canonical folds "
                           "come with ML-100K only)", d->fold, base, test);
        tr = base, te = test;
    } else if (!tr && is_dir(path) && !d->test_ratio_set) {
        /* ML-100K's first canonical fold, the split AutoRec results are usually quoted on. */
        snprintf(base, sizeof base, "%s/u1.base", path);
        snprintf(test, sizeof test, "%s/u1.test", path);
        if (is_file(base) && is_file(test)) tr = base, te = test;
    }
    if (d->synthetic) {
        ar_synth_config sc = d->synth;
        sc.seed = seed;
        ar_ratings *all = NULL;
        if ((st = ar_synth_ratings(&sc, &all)) != AR_OK) {
            cli_fail(st, "--synthetic %s: %s", d->synthetic, ar_last_error());
            goto cleanup;
        }
        st = ar_ratings_split(all, d->test_ratio, split, &x->train, &x->test);
        snprintf(x->desc, sizeof x->desc, "synthetic %lld users x %lld items x %lld ratings "
                 "(seed %llu), random split %.3g test", (long long)sc.users,
                 (long long)sc.items, (long long)sc.ratings, (unsigned long long)seed,
                 d->test_ratio);
        ar_ratings_free(all);
        if (st != AR_OK) goto cleanup;
        file[0] = 0;
    } else if (tr) {
        if ((st = load(tr, &lo, quiet, &x->train)) != AR_OK) goto cleanup;
        if ((st = load(te, &lo, quiet, &x->test)) != AR_OK) goto cleanup;
        snprintf(x->desc, sizeof x->desc, "train %.4000s, test %.4000s (%s)", tr, te,
                 ar_format_name(ar_ratings_format(x->train)));
        snprintf(file, sizeof file, "%s", tr);
    } else {
        if (is_dir(path)) {
            if ((st = ar_ratings_find(path, file, sizeof file)) != AR_OK) goto cleanup;
            /* ML-100K's u.data holds whole stars 1..5. */
            const char *slash = strrchr(file, '/');
            if (isnan(lo.rating_min) && slash && !strcmp(slash + 1, "u.data"))
                lo.rating_min = 1, lo.rating_max = 5;
        } else {
            snprintf(file, sizeof file, "%s", path);
        }
        ar_ratings *all = NULL;
        if ((st = load(file, &lo, quiet, &all)) != AR_OK) goto cleanup;
        st = ar_ratings_split(all, d->test_ratio, split, &x->train, &x->test);
        snprintf(x->desc, sizeof x->desc, "%.4100s (%s), random split %.3g test (seed %llu)", file,
                 ar_format_name(ar_ratings_format(all)), d->test_ratio,
                 (unsigned long long)split);
        ar_ratings_free(all);
        if (st != AR_OK) goto cleanup;
    }
    if (d->valid_ratio > 0) {
        ar_ratings *full = x->train;
        x->train = NULL;
        /* Its own stream: the validation split does not repeat the test split's draws. */
        st = ar_ratings_split(full, d->valid_ratio, split ^ 0xA5A5C3C3F00DBEEFull, &x->train,
                              &x->valid);
        ar_ratings_free(full);
        if (st != AR_OK) {
            cli_fail(st, "--valid-ratio %g: %s", d->valid_ratio, ar_last_error());
            goto cleanup;
        }
        size_t len = strlen(x->desc);
        snprintf(x->desc + len, sizeof x->desc - len, ", validation %.3g of training",
                 d->valid_ratio);
    }
    if (file[0] && ar_titles_find(file, x->titles_path, sizeof x->titles_path)) {
        if (ar_titles_load(x->titles_path, &x->titles) != AR_OK) {
            if (!quiet)
                fprintf(stderr, "autorec: warning: titles not read: %s\n", ar_last_error());
            x->titles = NULL;
        }
    }
cleanup:
    if (st != AR_OK) cli_data_free(x);
    return st;
}

/* ---- autorec data --------------------------------------------------------------------------- */

static const char data_cmd_help[] =
    "usage: autorec data [data options] [--seed N] [--json]\n"
    "\n"
    "Reads a dataset as 'autorec train' would and describes it: source, format, ratings,\n"
    "users, items, density, rating scale, skipped lines, titles, and the split. Nothing is\n"
    "trained. Use it to check a file before training.\n"
    "\n"
    "  --seed N   seeds the random splits (default 1)\n"
    "  --json     print the description as one JSON object\n"
    "  --write-splits DIR\n"
    "             also write the split as DIR/train.tsv, DIR/valid.tsv (with --valid-ratio)\n"
    "             and DIR/test.tsv, 'user<TAB>item<TAB>rating' lines: the exact ratings a\n"
    "             train run with the same data options and seed uses, as files (e.g. to\n"
    "             score models on the validation set with 'autorec eval')\n"
    "\n";

/* r as user<TAB>item<TAB>rating lines (the emitter for cli_write_atomic). */
static void emit_ratings(FILE *f, const void *arg) {
    const ar_ratings *r = arg;
    const size_t n = ar_ratings_count(r);
    for (size_t k = 0; k < n && !ferror(f); k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(r, k, &u, &i, &v);
        fprintf(f, "%lld\t%lld\t%.9g\n", (long long)u, (long long)i, (double)v);
    }
}

/* Writes r to dir/name, atomically (no half-written split is left under the name). */
static ar_status write_split(const char *dir, const char *name, const ar_ratings *r) {
    char path[4300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (cli_write_atomic(path, emit_ratings, r) != 0)
        return cli_fail(AR_ERR_IO, "--write-splits: %s", cli_svg_error());
    return AR_OK;
}

int cli_data_cmd(int argc, char **argv) {
    cli_data_opts d;
    cli_data_opts_default(&d);
    int json = 0;
    uint64_t seed = 1;
    const char *splits_dir = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(data_cmd_help, stdout);
            fputs(cli_data_help, stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "--json")) { json = 1; continue; }
        if (cli_data_is_flag(a)) { cli_data_option(&d, a, NULL, "data"); continue; }
        char name[64];
        const char *val;
        int rc = cli_option(argc, argv, &i, name, sizeof name, &val, "data");
        if (rc >= 0) return rc;
        a = name;
        if (!strcmp(a, "--seed")) {
            if (!cli_parse_u64(val, &seed))
                return cli_usage_error("data", "--seed expects a non-negative integer, got '%s'",
                                       val);
            continue;
        }
        if (!strcmp(a, "--write-splits")) {
            splits_dir = val;
            continue;
        }
        int r = cli_data_option(&d, a, val, "data");
        if (r >= 2) return r - 2;
        if (r == 0) return cli_usage_error("data", "unknown option '%s'", a);
    }
    int rc = cli_data_check(&d, "data");
    if (rc >= 0) return rc;
    cli_data x;
    ar_dataset *ds = NULL;
    ar_status st = cli_data_load(&d, seed, 0, &x);
    if (st == AR_OK) st = ar_dataset_create_ex(x.train, x.valid, x.test, d.rows, &ds);
    if (st == AR_OK && splits_dir) {
        struct stat sb;
        if (stat(splits_dir, &sb) != 0 && mkdir(splits_dir, 0777) != 0)
            st = cli_fail(AR_ERR_IO, "--write-splits: cannot create %s: %s", splits_dir,
                          strerror(errno));
        if (st == AR_OK) st = write_split(splits_dir, "train.tsv", x.train);
        if (st == AR_OK && x.valid) st = write_split(splits_dir, "valid.tsv", x.valid);
        if (st == AR_OK) st = write_split(splits_dir, "test.tsv", x.test);
    }
    if (st != AR_OK) {
        rc = cli_report(st);
        ar_dataset_free(ds);
        cli_data_free(&x);
        return rc;
    }
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    size_t n_all = s.n_train + s.n_valid + s.n_test;
    double density = (double)s.n_train / ((double)s.n_users * (double)s.n_items);
    size_t skipped = ar_ratings_skipped(x.train, NULL) + ar_ratings_skipped(x.test, NULL);
    const char *fmt = ar_format_name(ar_ratings_format(x.train));
    size_t n_titles = x.titles ? ar_titles_count(x.titles) : 0;
    if (json) {
        printf("{\"source\":");
        cli_json_string(stdout, x.desc);
        printf(",\"format\":\"%s\",\"ratings\":%zu,\"train\":%zu,\"valid\":%zu,\"test\":%zu", fmt,
               n_all, s.n_train, s.n_valid, s.n_test);
        printf(",\"test_cold\":%zu,\"valid_cold\":%zu,\"users\":%d,\"items\":%d", s.n_test_cold,
               s.n_valid_cold, s.n_users, s.n_items);
        cli_json_number(stdout, "density", density);
        cli_json_number(stdout, "rating_min", s.rating_min);
        cli_json_number(stdout, "rating_max", s.rating_max);
        cli_json_number(stdout, "train_mean", s.train_mean);
        cli_json_number(stdout, "mean_baseline_rmse", ar_dataset_mean_baseline_rmse(ds));
        printf(",\"skipped_lines\":%zu,\"titles\":%zu}\n", skipped, n_titles);
    } else {
        printf("source:       %s\n", x.desc);
        printf("format:       %s\n", fmt);
        printf("ratings:      %zu (train %zu, validation %zu, test %zu)\n", n_all, s.n_train,
               s.n_valid, s.n_test);
        printf("training:     %d users x %d items, density %.4f%%, ratings %g..%g, mean %.4f; "
               "rows (model inputs) are %s\n", s.n_users, s.n_items, 100.0 * density,
               (double)s.rating_min, (double)s.rating_max, s.train_mean,
               s.rows_are == AR_ROWS_USERS ? "users (U-AutoRec)" : "items (I-AutoRec)");
        printf("cold start:   %zu test and %zu validation ratings have a user or item with no "
               "training rating (predicted %g)\n", s.n_test_cold, s.n_valid_cold,
               0.5 * ((double)s.rating_min + (double)s.rating_max));
        printf("baseline:     predicting the training mean gives test RMSE %.4f\n",
               ar_dataset_mean_baseline_rmse(ds));
        printf("skipped:      %zu malformed lines\n", skipped);
        if (x.titles) {
            int64_t item;
            ar_ratings_get(x.train, 0, NULL, &item, NULL);
            const char *t = ar_titles_get(x.titles, item);
            printf("titles:       %zu from %s (item %lld: %s)\n", n_titles, x.titles_path,
                   (long long)item, t ? t : "(none)");
        } else {
            printf("titles:       none\n");
        }
    }
    ar_dataset_free(ds);
    cli_data_free(&x);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
