/* data_opts.c - the data options shared by train, bench, data and sweep: where the ratings come
 * from (files, a directory, a named MovieLens dataset, synthetic), the split, the file format
 * and what the model's rows are; their table, readers and the check of their combination.
 * Loading the data they describe is data_load.c's. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define DATA(field) offsetof(cli_data_opts, field)

void cli_data_opts_default(cli_data_opts *d) {
    memset(d, 0, sizeof *d);
    d->test_ratio = 0.1;
    /* validation-driven training by default (train, sweep; data shows the same split): the one
     * place this default lives (the epoch budget and the patience are ar_train_config's) */
    d->valid_ratio = 0.1;
    d->rows = AR_ROWS_ITEMS;
    ar_synth_config_default(&d->synth);
    ar_load_options_default(&d->load);
}

/* ---- readers -------------------------------------------------------------------------------- */

static ar_status read_dataset(const cli_option *o, const char *val, void *field) {
    if (!ar_movielens_find(val))
        return cli_fail(AR_ERR_INVALID_ARG, "%s: unknown dataset '%s' (known: ml-100k, ml-1m, "
                        "ml-10m, ml-latest-small)", o->name, val);
    *(const char **)field = val;
    return AR_OK;
}

static void show_string(const void *field, char *buf, size_t cap) {
    const char *s = *(const char *const *)field;
    snprintf(buf, cap, "%s", s ? s : "");
}

/* UxIxN into the data options' synthetic fields. */
static ar_status read_synthetic(const cli_option *o, const char *val, void *field) {
    cli_data_opts *d = field;
    long long u, i, n;
    char tail;
    if (sscanf(val, "%lldx%lldx%lld%c", &u, &i, &n, &tail) != 3 || u < 1 || i < 1 || n < 1)
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects USERSxITEMSxRATINGS with positive counts, "
                        "e.g. 69878x10677x10000000, got '%s'", o->name, val);
    d->synthetic = val;
    d->synth.users = u;
    d->synth.items = i;
    d->synth.ratings = n;
    return AR_OK;
}

static void show_synthetic(const void *field, char *buf, size_t cap) {
    show_string(&((const cli_data_opts *)field)->synthetic, buf, cap);
}

ar_status cli_read_format(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_format_parse(val, field));
}

void cli_show_format(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_format_name(*(const ar_format *)field));
}

ar_status cli_read_duplicates(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_duplicates_parse(val, field));
}

void cli_show_duplicates(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_duplicates_name(*(const ar_duplicates *)field));
}

const cli_choice cli_duplicates[] = {
    {"error", AR_DUP_ERROR, "refuse the file, naming both lines"},
    {"first", AR_DUP_FIRST, "the first rating in the file counts"},
    {"last", AR_DUP_LAST, "the last rating in the file counts"},
    {"mean", AR_DUP_MEAN, "the mean of its ratings, not rounded (4 and 5 give 4.5)"},
    {NULL, 0, NULL}};

/* MIN,MAX into the load options' rating range. */
static ar_status read_rating_range(const cli_option *o, const char *val, void *field) {
    ar_load_options *lo = field;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", val);
    char *comma = strchr(buf, ',');
    float min, max;
    if (!comma || (*comma = 0, !cli_parse_float(buf, &min)) ||
        !cli_parse_float(comma + 1, &max) || !(min < max))
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects MIN,MAX with MIN < MAX, got '%s'",
                        o->name, val);
    lo->rating_min = min;
    lo->rating_max = max;
    return AR_OK;
}

static void show_rating_range(const void *field, char *buf, size_t cap) {
    const ar_load_options *lo = field;
    if (lo->rating_min == lo->rating_min) /* not NaN: a fixed range */
        snprintf(buf, cap, "%g,%g", (double)lo->rating_min, (double)lo->rating_max);
    else
        buf[0] = 0;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option source_options[] = {
    {.name = "--dataset", .meta = "NAME", .kind = CLI_CUSTOM, .at = DATA(dataset),
     .parse = read_dataset, .show = show_string,
     .help = "a MovieLens release: ml-100k, ml-1m, ml-10m, ml-latest-small; found in "
             "$AUTOREC_DATA or the cache ($XDG_CACHE_HOME/autorec, else ~/.cache/autorec), "
             "else downloaded from GroupLens and checked"},
    {.name = "--data", .meta = "PATH", .kind = CLI_STRING, .at = DATA(data),
     .help = "a dataset directory: its ratings file (u.data, ratings.dat or ratings.csv, also "
             "in its one subdirectory), for ML-100K with its canonical split u1.base / u1.test "
             "unless --test-ratio is given; or one ratings file, split at random by "
             "--test-ratio"},
    {.name = "--train", .meta = "FILE", .kind = CLI_STRING, .at = DATA(train),
     .help = "given training ratings (e.g. u1.base), with --test"},
    {.name = "--test", .meta = "FILE", .kind = CLI_STRING, .at = DATA(test),
     .help = "given test ratings (e.g. u1.test), with --train"},
    {.name = "--synthetic", .meta = "UxIxN", .kind = CLI_CUSTOM, .at = 0,
     .parse = read_synthetic, .show = show_synthetic,
     .help = "N ratings drawn in memory for U users and I items (as 'autorec synth' writes "
             "them, seeded by --seed), e.g. 69878x10677x10000000 for an ML-10M-sized run; "
             "split at random by --test-ratio"},
};
const cli_group cli_data_source = CLI_GROUP("data (one of)", source_options,
                                            "With none of them: --data $AUTOREC_DATA.");

static const cli_choice folds[] = {
    {"1", '1', NULL}, {"2", '2', NULL}, {"3", '3', NULL}, {"4", '4', NULL}, {"5", '5', NULL},
    {"a", 'a', NULL}, {"b", 'b', NULL}, {NULL, 0, NULL}};

static const cli_option split_options[] = {
    {.name = "--fold", .meta = "K", .kind = CLI_CHOICE, .at = DATA(fold), .choices = folds,
     .help = "ML-100K's canonical folds: 1..5 (uK.base / uK.test) or a, b (ua / ub: 10 test "
             "ratings per user)"},
    {.name = "--test-ratio", .meta = "R", .kind = CLI_DOUBLE, .at = DATA(test_ratio), .lo = 0,
     .hi = 1, .bounds = CLI_MIN | CLI_MAX | CLI_MIN_OPEN | CLI_MAX_OPEN,
     .help = "hold out a random fraction R of the ratings for testing, seeded by --seed, when "
             "the data has no canonical split"},
    {.name = "--valid-ratio", .meta = "R", .kind = CLI_DOUBLE, .at = DATA(valid_ratio), .lo = 0,
     .hi = 1, .bounds = CLI_MIN | CLI_MAX | CLI_MAX_OPEN,
     .help = "carve a random fraction R of the training ratings out as a validation set, for "
             "early stopping and model selection (train and sweep keep the best-validation "
             "epoch and stop by --patience); the test set is never used to choose anything; 0 "
             "for none"},
    {.name = "--split-seed", .meta = "N", .kind = CLI_U64, .at = DATA(split_seed),
     .flags = CLI_NO_DEFAULT,
     .help = "seed the random splits (--test-ratio, --valid-ratio) with N instead of --seed: "
             "the same split for models of different seeds"},
};
const cli_group cli_data_split = CLI_GROUP("split", split_options, NULL);

const cli_choice cli_formats[] = {
    {"auto", AR_FORMAT_AUTO, "detected from the content"},
    {"tab", AR_FORMAT_TAB, "u.data: 'user item rating [timestamp]', tabs or spaces"},
    {"dat", AR_FORMAT_DAT, "ratings.dat: 'user::item::rating::timestamp'"},
    {"ml-csv", AR_FORMAT_ML_CSV, "ratings.csv with the header userId,movieId,rating,timestamp"},
    {"csv", AR_FORMAT_CSV, "any delimited file"},
    {NULL, 0, NULL}};

static const cli_option format_options[] = {
    {.name = "--format", .meta = "F", .kind = CLI_CUSTOM, .at = DATA(load.format),
     .parse = cli_read_format, .show = cli_show_format, .choices = cli_formats,
     .setting = "ar_load_options.format", .help = "the ratings file's format:"},
    {.name = "--columns", .meta = "LIST", .kind = CLI_STRING, .at = DATA(load.columns),
     .setting = "ar_load_options.columns",
     .help = "csv: each column's role in order, e.g. item,user,rating or "
             "user,_,item,rating,timestamp (other names: columns read past); default: from a "
             "header line naming them, else user,item,rating"},
    {.name = "--rating-range", .meta = "MIN,MAX", .kind = CLI_CUSTOM, .at = DATA(load),
     .parse = read_rating_range, .show = show_rating_range,
     .setting = "ar_load_options.rating_min/max ar_load_options.rating_min "
                "ar_load_options.rating_max",
     .help = "ratings outside are malformed; default: 0.5..5 for dat and ml-csv and for "
             "--dataset, 1..5 for ML-100K's u.data, else any"},
    {.name = "--skip-bad", .kind = CLI_FLAG, .at = DATA(load.skip_bad),
     .setting = "ar_load_options.skip_bad",
     .help = "skip malformed lines and report how many, instead of stopping at the first "
             "(a user-item pair rated twice is no malformed line: see --duplicates)"},
    {.name = "--duplicates", .meta = "HOW", .kind = CLI_CUSTOM, .at = DATA(load.duplicates),
     .parse = cli_read_duplicates, .show = cli_show_duplicates, .choices = cli_duplicates,
     .setting = "ar_load_options.duplicates",
     .help = "what counts when one ratings file (training, test, or the one file a random "
             "split divides) rates a user-item pair more than once; merged as the file is read, "
             "before any split. A pair in both the training and the test file stays an error "
             "(a leak):"},
    {.name = "--no-download", .kind = CLI_FLAG, .at = DATA(no_download),
     .help = "with --dataset, never download: fail if the data is not local"},
};
const cli_group cli_data_format = CLI_GROUP("format", format_options, NULL);

static const cli_choice rows[] = {
    {"item", AR_ROWS_ITEMS, "I-AutoRec: each input is an item's ratings by all users"},
    {"user", AR_ROWS_USERS, "U-AutoRec: each input is a user's ratings"},
    {NULL, 0, NULL}};

static const cli_option rows_options[] = {
    {.name = "--model", .meta = "item|user", .kind = CLI_CHOICE, .at = DATA(rows),
     .choices = rows, .flags = CLI_FROM_MODEL, .help = "what the model's inputs are:"},
};
const cli_group cli_data_rows = CLI_GROUP(
    "model inputs", rows_options,
    "The rating scale used to clamp predictions is the training ratings' min..max; test "
    "ratings whose user or item has no training rating are predicted as its middle.");

/* ---- the check ------------------------------------------------------------------------------ */

ar_status cli_data_check(const cli_command *cmd, const cli_parsed *p, cli_data_opts *d) {
    const char *c = cmd->name;
    d->test_ratio_set = cli_given(p, "--test-ratio");
    d->split_seed_set = cli_given(p, "--split-seed");
    d->valid_ratio_set = cli_given(p, "--valid-ratio");
    if ((d->train != NULL) != (d->test != NULL))
        return cli_usage(c, "--train and --test go together");
    int sources = (d->train != NULL) + (d->data != NULL) + (d->dataset != NULL) +
                  (d->synthetic != NULL);
    if (sources > 1)
        return cli_usage(c, "give one of --train/--test, --data, --dataset and --synthetic");
    if (d->synthetic && d->fold)
        return cli_usage(c, "--fold needs ML-100K's files, not --synthetic");
    if (d->fold && d->test_ratio_set)
        return cli_usage(c, "--fold and --test-ratio are two different splits: give one");
    if (d->train && (d->fold || d->test_ratio_set))
        return cli_usage(c, "--train/--test are already split: --fold and --test-ratio do not "
                         "apply");
    if (sources == 0) {
        d->data = getenv("AUTOREC_DATA");
        if (!d->data || !*d->data)
            return cli_usage(c, "no data: give --dataset NAME, --data PATH, --train FILE --test "
                             "FILE, or set AUTOREC_DATA");
    }
    return AR_OK;
}
