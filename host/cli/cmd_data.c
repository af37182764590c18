/* cmd_data.c - `autorec data`: reads a dataset as train would and describes it (source, format,
 * sizes, scale, cold-start ratings, a baseline, titles, the split), optionally writing the
 * split as files. Nothing is trained. */
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "output.h"

typedef struct {
    cli_data_opts d;
    uint64_t seed;           /* --seed: seeds the random splits */
    int json;                /* --json */
    const char *splits_dir;  /* --write-splits DIR */
} data_cmd_opts;

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
    return cli_for_option("--write-splits", cli_write_atomic(path, emit_ratings, r));
}

static ar_status write_splits(const char *dir, const cli_data *x) {
    ar_status st = cli_for_option("--write-splits", cli_make_dir(dir));
    if (st == AR_OK) st = write_split(dir, "train.tsv", x->train);
    if (st == AR_OK && x->valid) st = write_split(dir, "valid.tsv", x->valid);
    if (st == AR_OK) st = write_split(dir, "test.tsv", x->test);
    return st;
}

static void print_json(const cli_data *x, const ar_dataset *ds, const ar_dataset_stats *s) {
    size_t skipped = ar_ratings_skipped(x->train, NULL) + ar_ratings_skipped(x->test, NULL);
    printf("{\"source\":");
    cli_json_string(stdout, x->desc);
    printf(",\"format\":\"%s\",\"ratings\":%zu,\"train\":%zu,\"valid\":%zu,\"test\":%zu",
           ar_format_name(ar_ratings_format(x->train)), s->n_train + s->n_valid + s->n_test,
           s->n_train, s->n_valid, s->n_test);
    printf(",\"test_cold\":%zu,\"valid_cold\":%zu,\"users\":%d,\"items\":%d", s->n_test_cold,
           s->n_valid_cold, s->n_users, s->n_items);
    cli_json_number(stdout, "density",
                    (double)s->n_train / ((double)s->n_users * (double)s->n_items));
    cli_json_number(stdout, "rating_min", s->rating_min);
    cli_json_number(stdout, "rating_max", s->rating_max);
    cli_json_number(stdout, "train_mean", s->train_mean);
    cli_json_number(stdout, "mean_baseline_rmse", ar_dataset_mean_baseline_rmse(ds));
    printf(",\"skipped_lines\":%zu,\"titles\":%zu}\n", skipped,
           x->titles ? ar_titles_count(x->titles) : 0);
}

static void print_text(const cli_data *x, const ar_dataset *ds, const ar_dataset_stats *s) {
    size_t skipped = ar_ratings_skipped(x->train, NULL) + ar_ratings_skipped(x->test, NULL);
    double density = (double)s->n_train / ((double)s->n_users * (double)s->n_items);
    printf("source:       %s\n", x->desc);
    printf("format:       %s\n", ar_format_name(ar_ratings_format(x->train)));
    printf("ratings:      %zu (train %zu, validation %zu, test %zu)\n",
           s->n_train + s->n_valid + s->n_test, s->n_train, s->n_valid, s->n_test);
    printf("training:     %d users x %d items, density %.4f%%, ratings %g..%g, mean %.4f; "
           "rows (model inputs) are %s\n", s->n_users, s->n_items, 100.0 * density,
           (double)s->rating_min, (double)s->rating_max, s->train_mean,
           s->rows_are == AR_ROWS_USERS ? "users (U-AutoRec)" : "items (I-AutoRec)");
    printf("cold start:   %zu test and %zu validation ratings have a user or item with no "
           "training rating (predicted %g)\n", s->n_test_cold, s->n_valid_cold,
           0.5 * ((double)s->rating_min + (double)s->rating_max));
    printf("baseline:     predicting the training mean gives test RMSE %.4f\n",
           ar_dataset_mean_baseline_rmse(ds));
    printf("skipped:      %zu malformed lines\n", skipped);
    if (x->titles) {
        int64_t item;
        ar_ratings_get(x->train, 0, NULL, &item, NULL);
        const char *t = ar_titles_get(x->titles, item);
        printf("titles:       %zu from %s (item %lld: %s)\n", ar_titles_count(x->titles),
               x->titles_path, (long long)item, t ? t : "(none)");
    } else {
        printf("titles:       none\n");
    }
}

static ar_status run_data(const cli_command *self, void *opts, const cli_parsed *p) {
    data_cmd_opts *o = opts;
    ar_status st;
    if ((st = cli_data_check(self, p, &o->d)) != AR_OK) return st;
    cli_data x;
    ar_dataset *ds = NULL;
    st = cli_data_load(&o->d, o->seed, 0, &x);
    if (st == AR_OK) st = ar_dataset_create_ex(x.train, x.valid, x.test, o->d.rows, &ds);
    if (st == AR_OK && o->splits_dir) st = write_splits(o->splits_dir, &x);
    if (st == AR_OK) {
        ar_dataset_stats s;
        ar_dataset_get_stats(ds, &s);
        if (o->json) print_json(&x, ds, &s);
        else print_text(&x, ds, &s);
    }
    ar_dataset_free(ds);
    cli_data_free(&x);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option data_options[] = {
    {.name = "--seed", .meta = "N", .kind = CLI_U64, .at = offsetof(data_cmd_opts, seed),
     .help = "seeds the random splits"},
    {.name = "--json", .kind = CLI_FLAG, .at = offsetof(data_cmd_opts, json),
     .help = "print the description as one JSON object"},
    {.name = "--write-splits", .meta = "DIR", .kind = CLI_STRING,
     .at = offsetof(data_cmd_opts, splits_dir),
     .help = "also write the split as DIR/train.tsv, DIR/valid.tsv (with --valid-ratio) and "
             "DIR/test.tsv, 'user<TAB>item<TAB>rating' lines: the exact ratings a train run "
             "with the same data options and seed uses, as files (e.g. to score models on the "
             "validation set with 'autorec eval')"},
};
static const cli_group data_group = CLI_GROUP("options", data_options, NULL);

static const cli_use data_groups[] = {
    {&data_group, 0},
    CLI_DATA_GROUPS(offsetof(data_cmd_opts, d)),
};

static void data_defaults(void *opts) {
    data_cmd_opts *o = opts;
    cli_data_opts_default(&o->d);
    o->seed = 1;
}

const cli_command cli_cmd_data = {
    .name = "data",
    .summary = "read a dataset and describe it (format, sizes, split) without training",
    .usage = "autorec data [data options] [--seed N] [--json]",
    .about = "Reads a dataset as 'autorec train' would and describes it: source, format, "
             "ratings, users, items, density, rating scale, skipped lines, titles, and the "
             "split. Nothing is trained. Use it to check a file before training.",
    CLI_USES(data_groups),
    .size = sizeof(data_cmd_opts),
    .defaults = data_defaults,
    .run = run_data,
};
