/* train_run.h - `autorec train`'s run, shared by its two files: cmd_train.c (the options, the
 * selection run, the refit, the outputs) and train_report.c (what it prints: the set-up, the
 * result lines, the JSON summary). */
#ifndef AR_TRAIN_RUN_H
#define AR_TRAIN_RUN_H
#include "cli.h"

typedef struct {
    cli_train_opts t;
    const char *metrics, *plot, *save, *resume; /* output files, and the model to continue */
    int refit;               /* --refit */
    const char *shard_weights; /* --shard-weights: "auto" or W1,W2,... */
} train_opts;

/* The model a run reports and saves, the selected epoch's or the refit: its RMSEs and MAEs, and
 * the loss of the epoch that made it. */
typedef struct {
    double train, test, loss;
    double train_mae, test_mae;
} train_reported;

/* A run: what it was given, what it built, and what it measured. */
typedef struct {
    const train_opts *o;
    const cli_parsed *p;     /* what the command line gave (the settings files read) */
    cli_files files;         /* what the run reads and writes, for the checks */
    ar_train_config cfg;     /* the run's settings (from the model file with --resume) */
    ar_checkpoint *ck;       /* --resume's model file */
    cli_curves curves;
    cli_data data;
    ar_dataset *ds;
    ar_ctx *ctx;             /* the device, or the first of several (ctxs[0]) */
    ar_model *m;             /* the model reported and saved: the selection run's, or the refit
                                (NULL when sharded: g is) */
    /* --device A,B,...: the model sharded across them (train_shards.c) */
    ar_ctx *ctxs[AR_MAX_SHARDS];
    int n_ctx;               /* contexts created: 1 unless sharded */
    ar_sharded *g;           /* the sharded model (NULL on one device; also under mpirun) */
    ar_shard_stats stats[AR_MAX_SHARDS]; /* every shard's, after training (all ranks') */
    ar_dataset_stats ss;
    int has_valid;           /* the data has a validation set */
    int tty;                 /* progress rewritten in place */
    ar_train_result res;     /* the selection run: its last and its selected epoch */
    train_reported rep;
    ar_baselines base;       /* on the model's scale; with --refit, training and test figures
                                fitted on the refit's ratings */
    double seconds, best;    /* training seconds; the best test RMSE (reported, never used) */
    int best_epoch;
    /* --center auto, --lighter try and --tanh try (ar_model_train trains up to four runs: bias,
     * input, lighter, tanh): the run being trained, and each run's last result and best test
     * RMSE */
    int center_auto;         /* the run was asked for auto: cfg.center is the kept mode after */
    int try_lighter;         /* the run was asked to try lighter: cfg's l2 and dropout are the
                                kept run's after */
    int try_tanh;            /* after training: a tanh run was trained (ar_model_train decides:
                                asked, a validation set, not tanh already); cfg's activation
                                and lr are the kept run's */
    int arm;                 /* the run being trained: 0 .. 3 in the order they run */
    ar_train_result arm_res[4];
    double arm_best[4];
    int arm_best_epoch[4];
    /* --refit */
    ar_dataset *ds_refit;
    ar_train_result refit;
    double refit_seconds;
    size_t refit_n_train;
} train_run;


/* Several devices (train_shards.c): the contexts --device lists (r->ctxs, r->ctx the first);
 * the sharded model on ds (from ck with --resume), its weights from --shard-weights or
 * measured; training it (r->stats then every shard's statistics); the shards on stderr and in
 * the JSON line; the release. cli_train_view: the model to read
 * settings from before training (r->m, else the first shard's). */
ar_status cli_train_devices(train_run *r);
ar_status cli_train_shards_create(train_run *r, const ar_dataset *ds, const ar_checkpoint *ck);
/* Under mpirun, unless --refit or --resume (which need the whole dataset: the refit's is built
 * from the rating lists again, the model file's ratings are compared with it): 1, each rank
 * builds only its share of the dataset (ar_dataset_create_share, r->ds) and its shard on it
 * (r->g), the rating lists dropped in between. */
int cli_train_by_share(const train_run *r);
ar_status cli_train_shards_share(train_run *r);
/* Under mpirun, after the set-up: what this rank no longer needs of the data released. */
void cli_train_shards_release(train_run *r);
ar_status cli_train_shards_run(train_run *r, const char *prefix, ar_epoch_callback cb,
                               ar_train_result *res);
void cli_train_shards_setup(const train_run *r);
void cli_train_shards_json(const train_run *r);
void cli_train_shards_free_model(train_run *r); /* the sharded model alone */
void cli_train_shards_free(train_run *r);
ar_model *cli_train_view(const train_run *r);
/* The model's file (sharded: written from the shards; with MPI every rank calls it), and the
 * device memory it holds (sharded: every shard's). */
ar_status cli_train_save(train_run *r, const char *path);
size_t cli_train_device_bytes(const train_run *r);

/* The run's set-up on stderr: data, device, model, how it trains. */
void cli_train_print_setup(const train_run *r);
/* The result lines on stdout: the model reported, and how it was chosen. */
void cli_train_print_result(const train_run *r);
/* 1 when the bias baseline's validation RMSE is below the selected epoch's (a warning on
 * stderr, "baseline_beats_model" in the JSON line). */
int cli_train_baseline_wins(const train_run *r);
/* The JSON summary line: the run's result and settings. */
void cli_train_print_json(const train_run *r);

#endif
