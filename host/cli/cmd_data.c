/* cmd_data.c - `autorec data`: reads a dataset as train would and describes it (source, format,
 * sizes, scale, cold-start ratings, the baselines, titles, the split), optionally writing the
 * split as files. Nothing is trained. */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    cli_data_opts d;
    uint64_t seed;           /* --seed: seeds the random splits */
    int json;                /* --json */
    const char *splits_dir;  /* --write-splits DIR */
    ar_baseline_config base; /* --baseline-reg-item, --baseline-reg-user, --baseline-sweeps */
} data_cmd_opts;

/* r as user<TAB>item<TAB>rating lines. */
static void emit_ratings(FILE *f, const ar_ratings *r) {
    const size_t n = ar_ratings_count(r);
    for (size_t k = 0; k < n && !ferror(f); k++) {
        int64_t u, i;
        float v;
        ar_ratings_get(r, k, &u, &i, &v);
        fprintf(f, "%lld\t%lld\t%.9g\n", (long long)u, (long long)i, (double)v);
    }
}

/* The split's files in dir: train.tsv, valid.tsv (with a validation set) and test.tsv. */
typedef struct {
    char path[3][4300];
    const ar_ratings *r[3];
    int n;
} split_files;

static void split_paths(const char *dir, const cli_data *x, split_files *s) {
    const char *names[3] = {"train.tsv", "valid.tsv", "test.tsv"};
    const ar_ratings *rs[3] = {x->train, x->valid, x->test};
    s->n = 0;
    for (int k = 0; k < 3; k++) {
        if (!rs[k]) continue;
        snprintf(s->path[s->n], sizeof s->path[0], "%s/%s", dir, names[k]);
        s->r[s->n++] = rs[k];
    }
}

/* The split's paths checked against the files read, before anything is written. */
static ar_status check_splits(const split_files *s, const cli_data_opts *d, const cli_data *x) {
    cli_files f = {0};
    for (int k = 0; k < s->n; k++) cli_files_out(&f, "--write-splits", s->path[k]);
    cli_files_data_opts(&f, d);
    cli_files_data(&f, x);
    return cli_files_check(&f);
}

/* Writes the split's files together: all or none replaced (and the directory, when made here,
 * removed again on failure). */
static ar_status write_splits(const char *dir, const cli_data_opts *d, const cli_data *x) {
    split_files s;
    split_paths(dir, x, &s);
    int made = 0;
    ar_status st = cli_for_option("--write-splits", cli_make_dir(dir, &made));
    if (st == AR_OK) st = check_splits(&s, d, x);
    cli_out outs[3] = {{0}, {0}, {0}};
    cli_out *ptrs[3] = {&outs[0], &outs[1], &outs[2]};
    for (int k = 0; k < s.n && st == AR_OK; k++)
        if ((st = cli_out_open(&outs[k], "--write-splits", s.path[k])) == AR_OK)
            emit_ratings(outs[k].f, s.r[k]);
    st = st == AR_OK ? cli_outs_commit(ptrs, s.n) : st;
    for (int k = 0; k < s.n; k++) cli_out_abort(&outs[k]);
    if (st != AR_OK && made) rmdir(dir);
    return st;
}

/* Pairs the files rated more than once, merged (a random split keeps them with training). */
static size_t merged(const cli_data *x) {
    return ar_ratings_merged(x->train, NULL) + ar_ratings_merged(x->test, NULL);
}

/* One baseline's errors as a JSON object {"train_rmse":...,"test_mae":...}. */
static void json_metrics(const char *key, const ar_metrics *m) {
    const ar_errors *sets[3] = {&m->train, &m->valid, &m->test};
    static const char *const names[3][2] = {{"train_rmse", "train_mae"},
                                            {"valid_rmse", "valid_mae"},
                                            {"test_rmse", "test_mae"}};
    printf("\"%s\":{", key);
    for (int k = 0; k < 3; k++) {
        printf("%s\"%s\":", k ? "," : "", names[k][0]);
        cli_json_value(stdout, sets[k]->rmse);
        cli_json_number(stdout, names[k][1], sets[k]->mae);
    }
    printf("}");
}

static void print_json(const cli_data *x, const ar_dataset_stats *s, const ar_baselines *b,
                       const ar_baseline_config *bc) {
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
    cli_baselines_json(stdout, b);
    printf(",\"baselines\":{");
    json_metrics("mean", &b->mean);
    putchar(',');
    json_metrics("bias", &b->bias);
    cli_json_number(stdout, "reg_item", bc->reg_item);
    cli_json_number(stdout, "reg_user", bc->reg_user);
    printf(",\"sweeps\":%d}", bc->sweeps);
    printf(",\"skipped_lines\":%zu,\"merged_pairs\":%zu,\"titles\":%zu}\n", skipped,
           merged(x), x->titles ? ar_titles_count(x->titles) : 0);
}

/* "train RMSE 1.1 MAE 0.9, validation ..., test ..." (sets that are present). */
static void text_metrics(const ar_metrics *m) {
    const ar_errors *sets[3] = {&m->train, &m->valid, &m->test};
    static const char *const names[3] = {"train", "validation", "test"};
    for (int k = 0, n = 0; k < 3; k++)
        if (sets[k]->n)
            printf("%s%s RMSE %.4f MAE %.4f", n++ ? ", " : "", names[k], sets[k]->rmse,
                   sets[k]->mae);
    putchar('\n');
}

static void print_text(const cli_data *x, const cli_data_opts *d, const ar_dataset_stats *s,
                       const ar_baselines *b, const ar_baseline_config *bc) {
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
    printf("baseline:     the training mean: ");
    text_metrics(&b->mean);
    printf("bias model:   user + item biases (reg_item %g, reg_user %g, %d sweeps): ",
           (double)bc->reg_item, (double)bc->reg_user, bc->sweeps);
    text_metrics(&b->bias);
    printf("skipped:      %zu malformed lines\n", skipped);
    printf("duplicates:   %zu user-item pairs rated more than once, merged (--duplicates %s)\n",
           merged(x), ar_duplicates_name(d->load.duplicates));
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
    if (st == AR_OK && o->splits_dir) st = write_splits(o->splits_dir, &o->d, &x);
    ar_baselines b;
    if (st == AR_OK) st = ar_dataset_baselines(ds, &o->base, &b);
    if (st == AR_OK) {
        ar_dataset_stats s;
        ar_dataset_get_stats(ds, &s);
        if (o->json) print_json(&x, &s, &b, &o->base);
        else print_text(&x, &o->d, &s, &b, &o->base);
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
    {.name = "--baseline-reg-item", .meta = "R", .kind = CLI_FLOAT,
     .at = offsetof(data_cmd_opts, base.reg_item), .bounds = CLI_MIN,
     .setting = "ar_baseline_config.reg_item",
     .help = "the bias baseline's L2 regularisation of the item biases"},
    {.name = "--baseline-reg-user", .meta = "R", .kind = CLI_FLOAT,
     .at = offsetof(data_cmd_opts, base.reg_user), .bounds = CLI_MIN,
     .setting = "ar_baseline_config.reg_user",
     .help = "the bias baseline's L2 regularisation of the user biases"},
    {.name = "--baseline-sweeps", .meta = "N", .kind = CLI_INT,
     .at = offsetof(data_cmd_opts, base.sweeps), .min = 1, .max = 1000,
     .setting = "ar_baseline_config.sweeps",
     .help = "the bias baseline's alternating least-squares sweeps (items, then users)"},
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
    ar_baseline_config_default(&o->base);
}

const cli_command cli_cmd_data = {
    .name = "data",
    .summary = "read a dataset and describe it (format, sizes, split) without training",
    .usage = "autorec data [data options] [--seed N] [--json]",
    .about = "Reads a dataset as 'autorec train' would and describes it: source, format, "
             "ratings, users, items, density, rating scale, skipped lines, merged duplicates, "
             "titles, and the split, and scores two baselines on it as a model is scored "
             "(predictions clamped to the scale, cold pairs predicted as its middle): the "
             "training mean and a regularised user + item bias model, RMSE and MAE on every set. "
             "Nothing is trained. Use it to check a file before training.",
    CLI_USES(data_groups),
    .size = sizeof(data_cmd_opts),
    .defaults = data_defaults,
    .run = run_data,
};
