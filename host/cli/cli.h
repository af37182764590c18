/* cli.h - the command-line tool's shared parts: the commands (one file each, cmd_*.c), the option
 * groups several commands compose (data, training, device and output, saved models), data
 * loading and train's per-epoch outputs. Built on include/autorec.h alone. */
#ifndef AR_CLI_H
#define AR_CLI_H
#include <stdint.h>
#include <stdio.h>

#include "autorec.h"
#include "options.h"
#include "output.h"
#include "svg.h"

/* ---- the commands (main.c dispatches to them from its table) -------------------------------- */
extern const cli_command cli_cmd_devices, cli_cmd_train, cli_cmd_data, cli_cmd_eval,
    cli_cmd_predict, cli_cmd_recommend, cli_cmd_bench, cli_cmd_synth, cli_cmd_sweep,
    cli_cmd_tune, cli_cmd_tune_kernels;

/* --device's help, wherever one device is chosen. */
#define CLI_DEVICE_HELP                                                                        \
    "OpenCL device (see 'autorec devices --help'); by default $AUTOREC_DEVICE, else the first " \
    "GPU, else the first device"

/* ---- data options and loading (data_opts.c, data_load.c) ------------------------------------ */
typedef struct cli_data_opts {
    const char *train, *test;   /* --train / --test files */
    const char *data;           /* --data PATH (file or directory), else $AUTOREC_DATA */
    const char *dataset;        /* --dataset NAME (ml-100k, ml-1m, ml-10m, ml-latest-small) */
    int fold;                   /* --fold: '1'..'5', 'a' or 'b' (ML-100K's splits); 0: none */
    double test_ratio;          /* --test-ratio (default 0.1) */
    int test_ratio_set;         /* --test-ratio was given */
    double valid_ratio;         /* --valid-ratio (0: no validation set; 0.1 by default, bench
                                   sets 0) */
    int valid_ratio_set;        /* --valid-ratio was given */
    int keep_unsplit;           /* keep the training ratings before the validation carve-out
                                   (cli_data.train_all: train --refit) */
    uint64_t split_seed;        /* --split-seed: seeds the random splits instead of --seed */
    int split_seed_set;         /* --split-seed was given */
    int no_download;            /* --no-download */
    int rows;                   /* --model: AR_ROWS_ITEMS (I-AutoRec, default) or AR_ROWS_USERS */
    ar_load_options load;       /* --format, --columns, --skip-bad, --rating-range,
                                   --duplicates */
    const char *synthetic;      /* --synthetic UxIxN as given, or NULL */
    ar_synth_config synth;      /* its users, items and ratings (seed: --seed) */
    int no_test;                /* set by a command that must not see the test split (tune):
                                   the test file is never opened, a random split's test part
                                   is dropped; only the training ratings (and the validation
                                   set carved from them) are loaded */
} cli_data_opts;

/* The data option groups (source, split, format, model inputs), on a cli_data_opts at base. */
extern const cli_group cli_data_source, cli_data_split, cli_data_format, cli_data_rows;
#define CLI_DATA_GROUPS(base)                                                                  \
    {&cli_data_source, base}, {&cli_data_split, base}, {&cli_data_format, base},               \
        {&cli_data_rows, base}

void cli_data_opts_default(cli_data_opts *d);
/* After parsing: notes which options were given, checks their combination and falls back to
 * $AUTOREC_DATA; a usage error of cmd otherwise. */
ar_status cli_data_check(const cli_command *cmd, const cli_parsed *p, cli_data_opts *d);
/* --format's names (for help: the library reads them), reader and default, also eval's. */
extern const cli_choice cli_formats[];
ar_status cli_read_format(const cli_option *o, const char *val, void *field);
void cli_show_format(const void *field, char *buf, size_t cap);
/* --duplicates's the same. */
extern const cli_choice cli_duplicates[];
ar_status cli_read_duplicates(const cli_option *o, const char *val, void *field);
void cli_show_duplicates(const void *field, char *buf, size_t cap);

/* Ratings as the options say: train and test, optionally validation, titles when present. */
typedef struct cli_data {
    ar_ratings *train, *valid, *test;
    ar_ratings *train_all;      /* with keep_unsplit and a validation set: train + valid as
                                   loaded, before the carve-out; else NULL */
    ar_titles *titles;          /* NULL when the data has no titles file */
    char desc[8400];            /* one line describing the source and the split */
    char titles_path[4096];
    int has_titles_file;        /* titles_path names a file that was read (or tried) */
    char files[2][4200];        /* the ratings files read: train and test, or the one split */
    int n_files;
} cli_data;

/* seed is --seed: it seeds the random splits (with d->no_test, out->test stays NULL and the
 * test file is not opened). Prints warnings (skipped lines, merged pairs, unreadable titles, a
 * default validation set too small to carve) to stderr unless quiet. */
ar_status cli_data_load(const cli_data_opts *d, uint64_t seed, int quiet, cli_data *out);
void cli_data_free(cli_data *x);
/* The rating lists alone (the dataset built from them has them all), the rest kept. */
void cli_data_drop_ratings(cli_data *x);
/* One ratings file, with the warnings for its skipped lines and merged pairs unless quiet. */
ar_status cli_load_ratings(const char *path, const ar_load_options *o, int quiet,
                           ar_ratings **r);

/* ---- training options, shared by train, bench and sweep (train_opts.c) ---------------------- */
typedef struct cli_train_opts {
    const char *device;         /* --device SPEC, else $AUTOREC_DEVICE, else the default */
    int json, quiet;            /* --json, --quiet */
    const char *config;         /* --config FILE (read by cli_parse: its values are here) */
    const char *preset;         /* --preset NAME (its values are already in place), or NULL */
    cli_data_opts data;
    ar_train_config cfg;        /* cfg.patience: --patience */
} cli_train_opts;

/* "model and training" and "device and output", on a cli_train_opts at base. */
extern const cli_group cli_training, cli_run;
/* "preset": --preset NAME (train), on a cli_train_opts at base. */
extern const cli_group cli_train_preset;
#define CLI_TRAIN_GROUPS(base)                                                                 \
    {&cli_training, base}, {&cli_run, base},                                                   \
        CLI_DATA_GROUPS(base + offsetof(cli_train_opts, data))

/* The defaults: the data options' (a validation set included) and the library's
 * configuration (ar_train_config_default: the epoch budget and the patience). */
void cli_train_opts_default(cli_train_opts *o);
/* After parsing: the data options' check, --patience's need of a validation set, and the
 * configuration as the library validates it (a usage error naming the flag). */
ar_status cli_train_opts_check(const cli_command *cmd, const cli_parsed *p, cli_train_opts *o);
/* "500" or "500,250,500" into cfg (hidden, n_layers, layers); 0 when malformed. */
int cli_parse_layers(const char *s, ar_train_config *cfg);
/* The hidden layer widths as "500" or "500,250,500". */
void cli_format_layers(const ar_train_config *cfg, char *buf, size_t cap);
/* "I-AutoRec" or "U-AutoRec". */
const char *cli_model_name(int rows);

/* Where this process runs under mpirun (main.c: ar_mpi_start): rank of size, local_rank on
 * its machine; 0 of 1 otherwise. */
typedef struct cli_mpi_info {
    int rank, size, local_rank;
} cli_mpi_info;
extern cli_mpi_info cli_mpi;
/* Under mpirun, this rank's context: the rank-th spec of device (a --device list, cycled),
 * else the local-rank-th GPU of this machine (cycled), else of all its devices ($AUTOREC_DEVICE
 * when set and no --device is given). */
ar_status cli_mpi_context(const struct cli_command *cmd, const char *device, ar_ctx **out);

/* --device all|SPEC[,SPEC...] (bench, tune): the device specs it lists. */
enum { CLI_MAX_DEVICES = 256 };
typedef struct cli_devices {
    const char *spec[CLI_MAX_DEVICES]; /* a NULL spec: the default device ($AUTOREC_DEVICE) */
    char idx[CLI_MAX_DEVICES][16];     /* "all": every device's flat index */
    char *list;                        /* the list's copy, cut into the specs */
    int n;
} cli_devices;
/* device NULL: the default device; "all": every device by flat index; else a comma list. */
ar_status cli_device_specs(const cli_command *cmd, const char *device, cli_devices *d);
void cli_devices_free(cli_devices *d);
/* bench --sharded (bench_shards.c): one model sharded across the devices d lists (equal shares
 * of the ratings), timed over t's epochs; the table (or a JSON line) of its shards. */
ar_status cli_bench_sharded(const cli_train_opts *t, const ar_dataset *ds, const cli_devices *d);
/* Every shard's statistics into all (n shards): read here, and under mpirun the device memory
 * and sums of the other ranks' shards summed in from them (collective: every rank calls it). */
ar_status cli_shard_stats_all(const ar_sharded *g, ar_shard_stats *all);

/* ---- progress on a terminal (progress.c) ----------------------------------------------------
 * Within an epoch and while a file is read, one line on stderr redrawn in place, only when
 * stderr is a terminal and not --quiet; erased when the work ends. */
/* Whether to draw: stderr is a terminal and not quiet. */
int cli_progress_on(int quiet);
/* What a callback needs between its calls; owned by the caller while the work runs. */
typedef struct cli_watch {
    char prefix[64];          /* before "epoch": "refit: ", a sweep's value, a tune trial */
    int epoch;                /* the epoch last reported */
    int shown;                /* drawn once in this epoch or load */
    double last;              /* seconds into the work of the last draw */
} cli_watch;
/* Sets (on) or removes m's progress callback, drawing "PREFIXepoch 3/500  batch 120/392  1.2M
 * ratings/s  ETA 0:41". */
void cli_watch_model(ar_model *m, cli_watch *w, int on, const char *prefix);
/* Sets o's load progress callback: "reading FILE: 45% (2.1M lines, 38 MB/s, ETA 0:03)". */
void cli_watch_load(ar_load_options *o, cli_watch *w);
/* ar_model_train with the progress drawn when tty; the line ended after it. */
ar_status cli_train_watched(ar_model *m, int tty, const char *prefix, ar_epoch_callback cb,
                            void *user, ar_train_result *out);
/* A progress line that says what is under way, where the library reports no counts (a model
 * file being read); the caller draws it only when cli_progress_on. */
void cli_progress_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the terminal's open line before other output: a progress line erased, an epoch line
 * rewritten in place kept (a newline). Nothing when none is open. */
void cli_progress_end(void);
/* How a tty's epoch line ends (cli_progress): kept with a newline when progress was drawn
 * within the epoch (a slow one), else left open to be rewritten by the next. */
const char *cli_progress_epoch_end(void);

/* The per-epoch progress line on stderr ("PREFIXepoch  3/500  train RMSE ..."), rewritten in
 * place on a terminal (tty). */
void cli_progress(int tty, const char *prefix, const ar_epoch_stats *s, int epochs,
                  int has_valid, int with_loss);
/* The line that says why a run with a validation set stopped and which epoch it keeps
 * (stderr). */
void cli_progress_stop(const char *prefix, const ar_train_result *r, int patience, int epochs);
/* ar_model_train's runs (--center auto, --lighter try): prev has ended and next begins, with
 * the settings `now` (the model's as it trains); at the end, which was kept over which. */
void cli_run_switch(int tty, const ar_train_result *prev, const ar_train_result *next,
                    const ar_train_config *now);
void cli_runs_kept(const ar_train_result *r, int center_auto, int try_lighter, int try_tanh);

/* ---- train --metrics / --plot, and the outputs sweep shares (curves.c) ----------------------- */
/* Per-epoch rows of a CSV, written and flushed as the epochs finish (into the output's
 * temporary, published at the end), and the RMSE curves drawn as an SVG at the end. */
typedef struct cli_curves {
    const char *csv_path, *plot_path;  /* NULL: not wanted */
    cli_out csv, plot;
    double *epoch, *loss, *train, *valid, *test;
    const char **run;           /* (n) the run each epoch belongs to (cli_run_name) */
    int n, cap;
    int selected;               /* the selected epoch, marked on the plot; 0: none */
    const char *keep;           /* the run the plot draws (--center auto and --lighter try train
                                   several); NULL: all */
} cli_curves;

/* Opens the CSV (its temporary, with the header) before any training; a failure names the
 * option and path. The paths are checked by the command (cli_files_check) before. */
ar_status cli_curves_open(cli_curves *c, const char *metrics, const char *plot);
/* One epoch of the run trained with centering `center`, the lighter run when `lighter` (the
 * CSV's last two columns): a CSV row (flushed to the temporary) and the points for the plot. */
ar_status cli_curves_add(cli_curves *c, const ar_epoch_stats *s, ar_center center, int lighter,
                         int tanh_run);
/* A run's name: "bias", "input, lighter", ... (static). */
const char *cli_run_name(ar_center center, int lighter, int tanh_run);
/* Draws the plot (title and subtitle describe the run) and syncs both files: after AR_OK only
 * their renames are left, by cli_curves_publish. */
ar_status cli_curves_finish(cli_curves *c, const char *title, const char *subtitle);
/* Publishes the CSV and the plot under their names. */
ar_status cli_curves_publish(cli_curves *c);
/* Frees c; a file not published is removed (its temporary), the old one at its name stays. */
void cli_curves_free(cli_curves *c);

/* Draws the plot as an SVG into out (opened here at path, named by option in a failure); the
 * caller commits it. */
ar_status cli_plot_open(cli_out *out, const char *option, const char *path, const cli_plot *p);
/* CSV fields: ",value" (empty for NaN); a text field, quoted when it holds ',' or '"'. */
void cli_csv_number(FILE *f, double v);
void cli_csv_text(FILE *f, const char *s);

/* ---- baselines: train and eval (baselines.c) ----------------------------------------------- */
/* The default baselines of ds (ar_dataset_baselines) scored on m's rating scale, so that they
 * and the model are scored alike. */
ar_status cli_baselines(const ar_model *m, const ar_dataset *ds, ar_baselines *out);
/* The same for a sharded model's dataset (ar_sharded_baselines: under mpirun collective, the
 * whole dataset's figures from the ranks' shares). */
ar_status cli_baselines_sharded(const ar_model *m, ar_sharded *g, ar_baselines *out);
/* "baselines: test RMSE .. MAE .. for user + item biases (validation ..), ... for the training
 * mean" (the validation figures only with a validation set). */
void cli_baselines_text(FILE *f, const ar_baselines *b);
/* The bias baseline's top-N metrics (ar_dataset_baseline_topn) with the same settings. */
ar_status cli_baseline_topn(const ar_model *m, const ar_dataset *ds, const ar_topn_config *cfg,
                            ar_topn *out);
/* ,"baseline_rmse":..,"baseline_mae":.. (the bias model's test errors), "baseline_valid_rmse",
 * "baseline_valid_mae" (its validation errors, null without a validation set),
 * "baseline_mean_rmse", "baseline_mean_mae" (the training mean's test errors). */
void cli_baselines_json(FILE *f, const ar_baselines *b);

/* ---- saved models: eval, predict and recommend (saved.c) ------------------------------------ */
typedef struct cli_saved_opts {
    cli_list models;            /* --model FILE, up to CLI_LIST_MAX: an ensemble */
    const char *device;         /* --device SPEC */
} cli_saved_opts;

/* "saved models": --model and --device, on a cli_saved_opts at base. */
extern const cli_group cli_saved;
/* Said in the help of each command that reads saved models. */
#define CLI_ENSEMBLE_ABOUT                                                                     \
    "--model may be given several times (up to 64): the models then act as one ensemble whose " \
    "prediction is the mean of theirs (e.g. the same settings trained with different seeds)."

/* The saved models on one device, each with its dataset (test may be NULL); [0] is the first
 * --model (the only one without an ensemble). */
typedef struct cli_loaded {
    ar_ctx *ctx;
    int n;
    ar_checkpoint *cks[CLI_LIST_MAX];
    ar_dataset *dss[CLI_LIST_MAX];
    ar_model *ms[CLI_LIST_MAX];
} cli_loaded;

ar_status cli_saved_load(const cli_saved_opts *o, const ar_ratings *test, cli_loaded *l);
void cli_saved_free(cli_loaded *l);

#endif
