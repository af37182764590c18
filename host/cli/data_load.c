/* data_load.c - loads the ratings the data options (data_opts.c) describe: finds the files (a
 * named dataset, a fold, a directory's canonical split), reads or draws them, splits off the
 * test and validation sets, and finds the titles. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

ar_status cli_load_ratings(const char *path, const ar_load_options *o, int quiet,
                           ar_ratings **r) {
    ar_load_options lo = *o;
    cli_watch w; /* the file's progress, on a terminal */
    if (cli_progress_on(quiet)) cli_watch_load(&lo, &w);
    ar_status st = ar_ratings_load_ex(path, &lo, r);
    cli_progress_end();
    if (st != AR_OK || quiet) return st;
    const char *first = NULL;
    size_t n = ar_ratings_skipped(*r, &first);
    if (n)
        fprintf(stderr, "autorec: warning: %s: skipped %zu malformed line%s (--skip-bad); the "
                "first: %s\n", path, n, n == 1 ? "" : "s", first ? first : "");
    if ((n = ar_ratings_merged(*r, &first)))
        fprintf(stderr, "autorec: warning: %s: %zu user-item pair%s rated more than once, "
                "merged (--duplicates %s); the first: %s\n", path, n, n == 1 ? "" : "s",
                ar_duplicates_name(o->duplicates), first ? first : "");
    return st;
}

void cli_data_drop_ratings(cli_data *x) {
    ar_ratings_free(x->train);
    ar_ratings_free(x->valid);
    ar_ratings_free(x->test);
    ar_ratings_free(x->train_all);
    x->train = x->valid = x->test = x->train_all = NULL;
}

void cli_data_free(cli_data *x) {
    ar_ratings_free(x->train);
    ar_ratings_free(x->valid);
    ar_ratings_free(x->test);
    ar_ratings_free(x->train_all);
    ar_titles_free(x->titles);
    memset(x, 0, sizeof *x);
}

/* The given training and test files, else those of a fold (--fold K: uK.base / uK.test), else
 * ML-100K's first canonical fold when path is a directory that has it and no --test-ratio asks
 * for a random split (the split AutoRec results are usually quoted on). *tr stays NULL for a
 * random split. base and test (4200 bytes each) hold the fold's paths. */
static ar_status split_files(const cli_data_opts *d, const char *path, char *base, char *test,
                             const char **tr, const char **te) {
    *tr = d->train, *te = d->test;
    if (d->train || d->synthetic || (!d->fold && (d->test_ratio_set || !is_dir(path))))
        return AR_OK;
    const int fold = d->fold ? d->fold : '1';
    if (d->fold && !is_dir(path))
        return cli_fail(AR_ERR_INVALID_ARG, "--fold needs a dataset directory (ML-100K), but %s "
                        "is not a directory", path);
    snprintf(base, 4200, "%s/u%c.base", path, fold);
    snprintf(test, 4200, "%s/u%c.test", path, fold);
    if (is_file(base) && is_file(test)) *tr = base, *te = test;
    else if (d->fold)
        return cli_fail(AR_ERR_IO, "--fold %c: %s or %s is missing (the canonical folds come "
                        "with ML-100K only)", fold, base, test);
    return AR_OK;
}

/* --synthetic: drawn in memory (seeded by seed) and split at random. */
static ar_status load_synthetic(const cli_data_opts *d, uint64_t seed, uint64_t split,
                                cli_data *x) {
    ar_synth_config sc = d->synth;
    sc.seed = seed;
    ar_ratings *all = NULL;
    ar_status st = ar_synth_ratings(&sc, &all);
    if (st != AR_OK) return cli_fail(st, "--synthetic %s: %s", d->synthetic, ar_last_error());
    st = ar_ratings_split(all, d->test_ratio, split, &x->train, &x->test);
    snprintf(x->desc, sizeof x->desc, "synthetic %lld users x %lld items x %lld ratings (seed "
             "%llu), random split %.3g test", (long long)sc.users, (long long)sc.items,
             (long long)sc.ratings, (unsigned long long)seed, d->test_ratio);
    ar_ratings_free(all);
    return st;
}

/* One ratings file (a directory's ratings file: file gets its path) split at random. */
static ar_status load_random_split(const cli_data_opts *d, const char *path,
                                   ar_load_options lo, uint64_t split, int quiet, cli_data *x,
                                   char *file, size_t file_cap) {
    ar_status st;
    if (is_dir(path)) {
        if ((st = ar_ratings_find(path, file, file_cap)) != AR_OK) return st;
        /* ML-100K's u.data holds whole stars 1..5. */
        const char *slash = strrchr(file, '/');
        if (isnan(lo.rating_min) && slash && !strcmp(slash + 1, "u.data"))
            lo.rating_min = 1, lo.rating_max = 5;
    } else {
        snprintf(file, file_cap, "%s", path);
    }
    ar_ratings *all = NULL;
    if ((st = cli_load_ratings(file, &lo, quiet, &all)) != AR_OK) return st;
    st = ar_ratings_split(all, d->test_ratio, split, &x->train, &x->test);
    snprintf(x->desc, sizeof x->desc, "%.4100s (%s), random split %.3g test (seed %llu)", file,
             ar_format_name(ar_ratings_format(all)), d->test_ratio, (unsigned long long)split);
    ar_ratings_free(all);
    return st;
}

/* A random split's test part, when the command must not see it: split off all the same, so
 * that the training part is the one train gets, then dropped. */
static void drop_test(cli_data *x) {
    ar_ratings_free(x->test);
    x->test = NULL;
    size_t len = strlen(x->desc);
    snprintf(x->desc + len, sizeof x->desc - len, ", test part dropped");
}

/* --valid-ratio: a random part of the training ratings becomes the validation set. The default
 * ratio on data too small to leave both parts a rating: a warning, and no validation set. */
static ar_status carve_validation(const cli_data_opts *d, uint64_t split, int quiet,
                                  cli_data *x) {
    ar_ratings *full = x->train;
    x->train = NULL;
    /* Its own stream: the validation split does not repeat the test split's draws. */
    ar_status st = ar_ratings_split(full, d->valid_ratio, split ^ 0xA5A5C3C3F00DBEEFull,
                                    &x->train, &x->valid);
    if (st == AR_ERR_INVALID_ARG && !d->valid_ratio_set) { /* the ratio is valid: too few */
        if (!quiet)
            fprintf(stderr, "autorec: warning: %zu training ratings: too few to carve a "
                    "validation set of %g out of them; training without one (no early "
                    "stopping)\n", ar_ratings_count(full), d->valid_ratio);
        x->train = full;
        return AR_OK;
    }
    if (st == AR_OK && d->keep_unsplit) x->train_all = full;
    else ar_ratings_free(full);
    if (st != AR_OK) return cli_fail(st, "--valid-ratio %g: %s", d->valid_ratio, ar_last_error());
    size_t len = strlen(x->desc);
    snprintf(x->desc + len, sizeof x->desc - len, ", validation %.3g of training", d->valid_ratio);
    return AR_OK;
}

/* The titles file next to the ratings file, when there is one; unreadable: a warning. */
static void load_titles(const char *file, int quiet, cli_data *x) {
    if (!file[0] || !ar_titles_find(file, x->titles_path, sizeof x->titles_path)) return;
    x->has_titles_file = 1;
    if (ar_titles_load(x->titles_path, &x->titles) != AR_OK) {
        if (!quiet) fprintf(stderr, "autorec: warning: titles not read: %s\n", ar_last_error());
        x->titles = NULL;
    }
}

ar_status cli_data_load(const cli_data_opts *d, uint64_t seed, int quiet, cli_data *x) {
    memset(x, 0, sizeof *x);
    const uint64_t split = d->split_seed_set ? d->split_seed : seed; /* seeds the splits */
    ar_load_options lo = d->load;
    char dir[4096], base[4200], test[4200], file[4200] = "";
    const char *path = d->data, *tr, *te;
    ar_status st = AR_OK;
    if (d->dataset) {
        const ar_movielens_info *info = ar_movielens_find(d->dataset);
        if ((st = ar_movielens_locate(d->dataset, !d->no_download, dir, sizeof dir)) != AR_OK)
            return st;
        path = dir;
        if (isnan(lo.rating_min))
            lo.rating_min = info->rating_min, lo.rating_max = info->rating_max;
    }
    if ((st = split_files(d, path, base, test, &tr, &te)) != AR_OK) return st;
    if (d->synthetic) {
        st = load_synthetic(d, seed, split, x);
    } else if (tr) {
        if ((st = cli_load_ratings(tr, &lo, quiet, &x->train)) == AR_OK && !d->no_test)
            st = cli_load_ratings(te, &lo, quiet, &x->test);
        if (st == AR_OK)
            snprintf(x->desc, sizeof x->desc, "train %.4000s, test %.4000s%s (%s)", tr, te,
                     d->no_test ? " not read" : "", ar_format_name(ar_ratings_format(x->train)));
        snprintf(file, sizeof file, "%s", tr);
        snprintf(x->files[x->n_files++], sizeof x->files[0], "%s", te);
    } else {
        st = load_random_split(d, path, lo, split, quiet, x, file, sizeof file);
    }
    if (file[0]) snprintf(x->files[x->n_files++], sizeof x->files[0], "%s", file);
    if (st == AR_OK && d->no_test && !tr) drop_test(x);
    if (st == AR_OK && d->valid_ratio > 0) st = carve_validation(d, split, quiet, x);
    if (st == AR_OK) load_titles(file, quiet, x);
    if (st != AR_OK) cli_data_free(x);
    return st;
}
