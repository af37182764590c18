/* tune.h - `autorec tune`'s parts: the search space and its seeded quasi-random samples
 * (tune_space.c), the successive-halving search on one worker thread per device
 * (tune_search.c), and the command with its leaderboard and outputs (cmd_tune.c). */
#ifndef AR_CLI_TUNE_H
#define AR_CLI_TUNE_H
#include <stdint.h>

#include "cli.h"

enum { TUNE_MAX_CHOICES = 16, TUNE_MAX_RUNGS = 24 };

/* ---- the search space (tune_space.c) -------------------------------------------------------- */

typedef struct tune_range {
    float lo, hi;                 /* sampled in [lo, hi]; lo == hi: fixed */
} tune_range;
typedef struct tune_ints {
    int v[TUNE_MAX_CHOICES];      /* the choices, as given */
    int n;
} tune_ints;
typedef struct tune_acts {
    int v[TUNE_MAX_CHOICES];  /* ar_activation */
    int n;
} tune_acts;
typedef struct tune_centers {
    int v[TUNE_MAX_CHOICES];  /* ar_center */
    int n;
} tune_centers;

/* What is searched: learning rate and L2 log-uniform, the other ranges uniform, the lists
 * uniformly among their values. */
typedef struct tune_space {
    tune_range lr, lr_decay, l2, dropout, input_dropout;
    tune_ints hidden, batch;
    tune_acts activation;
    tune_centers center;          /* default: bias (train's default), none, input */
} tune_space;

/* --lr A:B, --lr-decay, --l2, --dropout, --input-dropout, --hidden LIST, --batch LIST,
 * --activation LIST, --center LIST, on a tune_space at base. */
extern const cli_group tune_space_group;
void tune_space_default(tune_space *s);
/* Each range's ends and each choice with base's other settings, checked by the library (a
 * usage error naming the flag). */
ar_status tune_space_check(const cli_command *cmd, const tune_space *s,
                           const ar_train_config *base);
/* The i-th configuration (i = 0, 1, ...) of the sequence seed gives: base with the searched
 * settings drawn from scrambled Halton point i, numbers rounded to 3 significant digits (so
 * that a settings file written with them holds exactly what was trained); i = 0 is base's own
 * settings (train's defaults), each moved to the nearest value the space allows, so that the
 * search starts from what train would do. */
void tune_space_sample(const tune_space *s, uint64_t seed, uint64_t i,
                       const ar_train_config *base, ar_train_config *cfg);

/* ---- the search (tune_search.c) ------------------------------------------------------------- */

typedef struct tune_trial {
    int id;                       /* 1, 2, ... in sampling order */
    ar_train_config cfg;
    int rung;                     /* the highest rung completed, -1 before the first */
    int running;                  /* a worker is training it */
    double score[TUNE_MAX_RUNGS]; /* the best validation RMSE within rung k's epochs */
    int epochs;                   /* epochs trained */
    double best_valid;            /* the best validation RMSE so far, at ... */
    double best_valid_mae;        /* (the validation MAE then) */
    int best_epoch;               /* ... this epoch (0: none) */
    double mark_valid;            /* the stop rule's mark, as train's: the last improvement by */
    int mark_epoch;               /*   more than min_improvement (host/model/train.c) */
    int stopped;                  /* --patience ended it: a later rung adds no epoch */
    int cut;                      /* the time budget ended it within a rung */
    ar_status failed;             /* AR_ERR_DIVERGED or AR_ERR_OUT_OF_MEMORY: out of the race */
    int worker;                   /* the worker (device) that trained it last */
    double seconds;               /* training and evaluation, summed over its jobs */
} tune_trial;

typedef struct tune_plan {
    const tune_space *space;
    ar_train_config base;         /* the settings not searched */
    uint64_t seed;                /* the samples' sequence */
    int rungs[TUNE_MAX_RUNGS];    /* the epochs a trial has trained at the end of each rung */
    int n_rungs;
    int eta;                      /* the reduction factor: 1 in eta of a rung goes on */
    int patience;                 /* within a trial, as train's --patience; 0: none */
    float min_improvement;        /* as train's --min-improvement */
    int max_trials;               /* 0: as many as the time allows */
    double time_limit;            /* seconds; 0: none */
    int quiet;                    /* no progress lines */
} tune_plan;

typedef struct tune_result {
    tune_trial *trials;           /* in id order */
    int n_trials;
    int jobs;                     /* rung runs, promotions of stopped trials excluded */
    long epochs;                  /* epochs trained in all */
    double seconds;               /* the search's wall time */
    int timed_out;                /* the time budget ended the search */
} tune_result;

/* The rungs: min, min eta, min eta^2, ... below max, then max; their count. */
int tune_rungs(int min, int max, int eta, int *rungs);
/* Runs the search with one worker thread per context (n_ctx of them), all on ds (training and
 * validation ratings only). With one context the result depends on the plan alone. */
ar_status tune_run(const tune_plan *plan, ar_ctx *const *ctxs, int n_ctx, const ar_dataset *ds,
                   tune_result *out);
void tune_result_free(tune_result *r);
/* Orders trials for the leaderboard: completed rungs' best validation RMSE, failed last. */
int tune_trial_cmp(const void *a, const void *b);
/* One line of a configuration's searched settings: "lr 0.00234  decay 0.973 ...". */
void tune_describe(const ar_train_config *c, char *buf, size_t cap);

#endif
