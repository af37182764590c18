/* cli.h - the command-line front end, shared between the command files (cli*.c). */
#ifndef AR_CLI_H
#define AR_CLI_H
#include <stdint.h>
#include <stdio.h>

#include "autorec.h"

int ar_cli_main(int argc, char **argv);
/* `autorec synth` (cli_synth.c); argv holds the options after the command name. */
int cli_synth(int argc, char **argv);
/* `autorec sweep` (cli_sweep.c): train once per value of one parameter, tabulate, plot. */
int cli_sweep(int argc, char **argv);

/* Exit codes: 0 success, 2 usage error or bad input, 1 any other failure. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* ---- shared helpers (cli_common.c) ---------------------------------------------------------- */
/* The exit code for a status. */
int cli_exit_code(ar_status s);
/* Prints "autorec: error: <message>" and returns the exit code for s: the message of the
 * last cli_fail() since the last report, else ar_last_error(). */
int cli_report(ar_status s);
/* Records a CLI-level error message for cli_report; returns s. */
ar_status cli_fail(ar_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "autorec: <fmt with arg> (see 'autorec <cmd> --help')"; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, const char *arg);
/* Strict number parsers: the whole string, in range; return 1 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_float(const char *s, float *out);
/* Reads the option at argv[*i]: "--name=value" or "--name value" (then *i moves past the value).
 * Returns -1 with name and *val set, else the usage exit code after printing why. */
int cli_option(int argc, char **argv, int *i, char *name, size_t name_len, const char **val,
               const char *cmd);
/* "500" or "500,250,500" into cfg (hidden, n_layers, layers); 0 when malformed. */
int cli_parse_layers(const char *s, ar_train_config *cfg);
/* The hidden layer widths as "500" or "500,250,500". */
void cli_format_layers(const ar_train_config *cfg, char *buf, size_t cap);
/* Counted multiply-add FLOPs of a training epoch (forward, weight and input gradients) over rows
 * rows of cols columns: dense, 5 x 2 rows cols H for one hidden layer of H units; sparse (the
 * path ar_model_kernels reports), 5 x 2 nnz H over the nnz training ratings instead. */
double cli_epoch_flops(const ar_train_config *cfg, int rows, int cols, size_t nnz, int sparse);
/* JSON output: a quoted, escaped string; ",\"key\":number" (null when not finite). */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, const char *key, double v);

/* ---- data options and loading (cli_data.c) -------------------------------------------------- */
typedef struct cli_data_opts {
    const char *train, *test;   /* --train / --test files */
    const char *data;           /* --data PATH (file or directory), else $AUTOREC_DATA */
    const char *dataset;        /* --dataset NAME (ml-100k, ml-1m, ml-10m, ml-latest-small) */
    const char *fold;           /* --fold 1..5|a|b (ML-100K canonical splits) */
    double test_ratio;          /* --test-ratio (default 0.1) */
    int test_ratio_set;         /* --test-ratio was given */
    double valid_ratio;         /* --valid-ratio (0: no validation set) */
    uint64_t split_seed;        /* --split-seed: seeds the random splits instead of --seed */
    int split_seed_set;         /* --split-seed was given */
    int no_download;            /* --no-download */
    ar_rows rows;               /* --model item (I-AutoRec, default) or user (U-AutoRec) */
    ar_load_options load;       /* --format, --columns, --skip-bad, --rating-range */
    const char *synthetic;      /* --synthetic UxIxN as given, or NULL */
    ar_synth_config synth;      /* its users, items and ratings (seed: --seed) */
} cli_data_opts;

void cli_data_opts_default(cli_data_opts *d);
/* Handles one data option `name` with value `val` (NULL for flags). Returns 1 when consumed,
 * 0 when name is not a data option, or an exit code + 2 (>= 2) after printing a usage error. */
int cli_data_option(cli_data_opts *d, const char *name, const char *val, const char *cmd);
/* 1 when name is a data flag that takes no value. */
int cli_data_is_flag(const char *name);
/* Checks the combination after parsing; returns -1 to go on, else an exit code. */
int cli_data_check(cli_data_opts *d, const char *cmd);

/* Ratings as the options say: train and test, optionally validation, titles when present. */
typedef struct cli_data {
    ar_ratings *train, *valid, *test;
    ar_titles *titles;          /* NULL when the data has no titles file */
    char desc[8400];            /* one line describing the source and the split */
    char titles_path[4096];
} cli_data;

/* seed is --seed: it seeds the random splits. Prints warnings (skipped lines, unreadable
 * titles) to stderr unless quiet. */
ar_status cli_data_load(const cli_data_opts *d, uint64_t seed, int quiet, cli_data *out);
void cli_data_free(cli_data *x);
/* Help text for the data options, shared by train, bench and data. */
extern const char cli_data_help[];
/* Using a saved model (cli_model.c): `autorec eval`, `predict`, `recommend`. */
int cli_eval(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_recommend(int argc, char **argv);
/* `autorec data`: describe a dataset and its split. */
int cli_data_cmd(int argc, char **argv);

/* ---- train's options (cli.c), shared with sweep ---------------------------------------------- */
typedef struct cli_train_opts {
    const char *device;
    int json, quiet;
    int patience;              /* early stopping on validation RMSE; 0 = off */
    cli_data_opts data;
    ar_train_config cfg;
} cli_train_opts;

/* Parses train's options (data, model, device, output); `help` (then the data options' help)
 * is printed for --help. Returns -1 to go on, else the exit code. */
int cli_parse_train(int argc, char **argv, cli_train_opts *o, const char *cmd, const char *help);

/* ---- experiment outputs (cli_sweep.c) ------------------------------------------------------- */
/* Removes "--name VALUE" / "--name=VALUE" from argv (all occurrences; the last wins) so the rest
 * can go to cli_parse_train. Returns -1 with *val set (NULL when absent), else a usage exit
 * code (the option has no value). */
int cli_take_option(int *argc, char **argv, const char *name, const char **val, const char *cmd);

/* train --metrics / --plot: per-epoch rows of a CSV, written and flushed as the epochs finish,
 * and the RMSE curves drawn as an SVG at the end. */
typedef struct cli_curves {
    const char *csv_path, *plot_path;  /* NULL: not wanted */
    FILE *csv;
    double *epoch, *loss, *train, *valid, *test;
    int n, cap;
    int rows;                          /* CSV rows written */
} cli_curves;

/* Opens the CSV (writing its header) and checks the plot can be written, before any training:
 * returns -1 to go on, else the exit code after a message naming the option and path. */
int cli_curves_open(cli_curves *c, const char *metrics, const char *plot);
/* One epoch: a CSV row (flushed) and the points for the plot. Returns -1, else an exit code. */
int cli_curves_add(cli_curves *c, const ar_epoch_stats *s);
/* Draws the plot (title and subtitle describe the run) and closes the CSV. Returns -1, else an
 * exit code. */
int cli_curves_finish(cli_curves *c, const char *title, const char *subtitle);
void cli_curves_free(cli_curves *c);

#endif
