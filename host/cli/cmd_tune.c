/* cmd_tune.c - `autorec tune`: hyperparameter search on a validation set carved from the
 * training ratings (the test split is never read), by successive halving over seeded
 * quasi-random samples (tune_space.c, tune_search.c). Prints progress (stderr), a leaderboard
 * and the best settings as a train command line (stdout), writes them as a settings file that
 * `train --config` reads (--out), and a JSON line (--json). */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

typedef struct {
    cli_train_opts t;        /* the settings not searched, data, device list, --json, --quiet */
    tune_space space;
    const char *space_file;  /* --space FILE (read by cli_parse) */
    const char *out;         /* --out FILE */
    int trials;              /* --trials; 0: not given */
    double time;             /* --time seconds; 0: not given */
    int eta, min_epochs;     /* the rungs: --min-epochs up to --epochs by factors of --eta */
} tune_opts;

enum { DEFAULT_TRIALS = 27 };

/* What a run holds. */
typedef struct {
    const tune_opts *o;
    const cli_parsed *p;
    tune_plan plan;
    cli_data data;
    ar_dataset *ds;
    ar_dataset_stats ss;
    cli_devices devs;
    ar_ctx *ctx[CLI_MAX_DEVICES];
    int n_ctx;
    tune_result res;
    const tune_trial *best;  /* NULL: no trial finished a rung */
    int baseline_kept;       /* train --config keeps the bias baseline alone for the best
                                trial's settings (--fallback): it is lower on validation */
    double baseline_valid, baseline_valid_mae; /* the baseline's validation RMSE and MAE */
} tune_run_state;

/* ---- the best trial as train's settings ---------------------------------------------------- */

/* train's options for the best trial: its settings, the epochs up to its best validation
 * RMSE, the same patience, validation set and seed (which also seeds the splits). */
static void best_train_opts(const tune_run_state *r, cli_train_opts *t) {
    *t = r->o->t;
    t->cfg = r->best->cfg;
    t->cfg.epochs = r->best->best_epoch;
}

/* The options train reads for the best trial, in table order: the training group, the split
 * (the validation ratio always, the rest as given) and the model's rows. */
typedef struct {
    const cli_group *group;
    size_t base;             /* of the group's struct in cli_train_opts */
    int always;              /* 0: only the options given to tune */
} key_source;

static const key_source key_sources[] = {
    {&cli_training, 0, 1},
    {&cli_data_split, offsetof(cli_train_opts, data), 0},
    {&cli_data_rows, offsetof(cli_train_opts, data), 1},
};

/* The data source and format options given to tune: train must read the same ratings. */
static const key_source data_sources[] = {
    {&cli_data_source, offsetof(cli_train_opts, data), 0},
    {&cli_data_format, offsetof(cli_train_opts, data), 0},
};

/* Calls emit(name, value, arg) for each option of the sources that applies; value NULL for a
 * flag. Only options train reads the same way are used (the keys stay train's flags). */
static void each_option(const tune_run_state *r, const key_source *src, int n,
                        const cli_train_opts *t,
                        void (*emit)(const char *name, const char *value, void *arg), void *arg) {
    for (int g = 0; g < n; g++)
        for (int k = 0; k < src[g].group->n; k++) {
            const cli_option *o = &src[g].group->options[k];
            if (cli_find_option(&cli_cmd_train, o->name, NULL) != o) continue;
            int valid_ratio = !strcmp(o->name, "--valid-ratio");
            if (!src[g].always && !valid_ratio && !cli_given(r->p, o->name)) continue;
            char value[4200];
            if (o->kind == CLI_FLAG) {
                if (*(const int *)((const char *)t + src[g].base + o->at)) emit(o->name, NULL, arg);
            } else if (cli_value_text(o, (const char *)t + src[g].base + o->at, value,
                                      sizeof value)) {
                emit(o->name, value, arg);
            }
        }
}

/* ---- the command line and the settings file ------------------------------------------------ */

/* A shell word: as it is when it is safe, else in single quotes. */
static void shell_word(FILE *f, const char *s) {
    if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:,=+-@%")
                  == strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    fputc('\'', f);
}

static void emit_flag(const char *name, const char *value, void *arg) {
    FILE *f = arg;
    fprintf(f, " %s", name);
    if (value) fputc(' ', f), shell_word(f, value);
}

/* The data options as flags (the data path from $AUTOREC_DATA too). */
static void data_flags(const tune_run_state *r, FILE *f) {
    const cli_data_opts *d = &r->o->t.data;
    if (d->data && !cli_given(r->p, "--data")) emit_flag("--data", d->data, f);
    each_option(r, data_sources, 2, &r->o->t, emit_flag, f);
}

/* "autorec train DATA-FLAGS SETTINGS" for the best trial. */
static void print_command(const tune_run_state *r, FILE *f) {
    cli_train_opts t;
    best_train_opts(r, &t);
    fputs("autorec train", f);
    data_flags(r, f);
    each_option(r, key_sources, 3, &t, emit_flag, f);
}

static void emit_key(const char *name, const char *value, void *arg) {
    fprintf(arg, "%s = %s\n", name + 2, value ? value : "true");
}

static void emit_config(FILE *f, const void *arg) {
    const tune_run_state *r = arg;
    const tune_trial *b = r->best;
    char rungs[256] = "";
    for (int k = 0, len = 0; k < r->plan.n_rungs; k++)
        len += snprintf(rungs + len, sizeof rungs - (size_t)len, "%s%d", k ? "," : "",
                        r->plan.rungs[k]);
    fprintf(f, "# autorec tune: the best of %d trials by validation RMSE (the test split was "
            "not read)\n", r->res.n_trials);
    fprintf(f, "# trial %d: validation RMSE %.6g at epoch %d of %d; rungs %s epochs, eta %d\n",
            b->id, b->best_valid, b->best_epoch, b->epochs, rungs, r->plan.eta);
    if (r->baseline_kept)
        fprintf(f, "# the bias baseline alone is lower on validation (RMSE %.6g): train keeps "
                "it (fallback)\n", r->baseline_valid);
    fprintf(f, "# data:");
    data_flags(r, f);
    fprintf(f, "\n# 'autorec train --config FILE' with these data options trains it again\n");
    cli_train_opts t;
    best_train_opts(r, &t);
    each_option(r, key_sources, 3, &t, emit_key, f);
}

/* ---- the leaderboard and the JSON line ------------------------------------------------------ */

static void print_leaderboard(const tune_run_state *r, const tune_trial *sorted) {
    printf("%4s %5s %6s %6s %10s %9s %9s %8s %9s %7s %7s %6s %5s %-10s %-6s %s\n", "rank",
           "trial", "epochs", "best", "valid_RMSE", "valid_MAE", "lr", "lr_decay", "l2",
           "dropout", "in_drop", "hidden", "batch", "activation", "center", "note");
    for (int k = 0; k < r->res.n_trials; k++) {
        const tune_trial *t = &sorted[k];
        const ar_train_config *c = &t->cfg;
        const char *note = t->failed == AR_ERR_DIVERGED ? "diverged"
                           : t->failed               ? "out of memory"
                           : t->cut                  ? "cut by --time"
                           : t->stopped              ? "stopped (--patience)"
                           : t->rung < 0             ? "no rung finished"
                                                     : "";
        printf("%4d %5d %6d %6d", k + 1, t->id, t->epochs, t->best_epoch);
        if (isfinite(t->best_valid) && !t->failed)
            printf(" %10.4f %9.4f", t->best_valid, t->best_valid_mae);
        else
            printf(" %10s %9s", "-", "-");
        printf(" %9.3g %8.4g %9.3g %7.3g %7.3g %6d %5d", (double)c->lr, (double)c->lr_decay,
               (double)c->l2, (double)c->dropout, (double)c->input_dropout, c->hidden, c->batch);
        printf(" %-10s", ar_activation_name(c->activation));
        if (*note) printf(" %-6s %s\n", ar_center_name(c->center), note);
        else printf(" %s\n", ar_center_name(c->center)); /* no trailing blanks */
    }
}

static void print_json(const tune_run_state *r) {
    const tune_trial *b = r->best;
    const ar_train_config *c = &b->cfg;
    printf("{\"trial\":%d", b->id);
    /* what train --config reproduces: the baseline's figures when it keeps the baseline */
    cli_json_number(stdout, "best_valid_rmse", r->baseline_kept ? r->baseline_valid
                                                                : b->best_valid);
    cli_json_number(stdout, "best_valid_mae", r->baseline_kept ? r->baseline_valid_mae
                                                               : b->best_valid_mae);
    printf(",\"kept\":\"%s\"", r->baseline_kept ? "baseline" : "network");
    cli_json_number(stdout, "network_valid_rmse", b->best_valid);
    printf(",\"best_epoch\":%d,\"trial_epochs\":%d", b->best_epoch, b->epochs);
    printf(",\"hidden\":%d,\"batch\":%d", c->hidden, c->batch);
    cli_json_number(stdout, "lr", c->lr);
    cli_json_number(stdout, "lr_decay", c->lr_decay);
    cli_json_number(stdout, "l2", c->l2);
    cli_json_number(stdout, "dropout", c->dropout);
    cli_json_number(stdout, "input_dropout", c->input_dropout);
    printf(",\"activation\":\"%s\",\"out_activation\":\"%s\",\"input_noise\":\"%s\"",
           ar_activation_name(c->activation), ar_activation_name(c->out_activation),
           ar_input_noise_name(c->input_noise));
    printf(",\"center\":\"%s\"", ar_center_name(c->center));
    printf(",\"seed\":%llu", (unsigned long long)c->seed);
    cli_json_number(stdout, "valid_ratio", r->o->t.data.valid_ratio);
    printf(",\"patience\":%d,\"trials\":%d,\"jobs\":%d,\"epochs_trained\":%ld", r->plan.patience,
           r->res.n_trials, r->res.jobs, r->res.epochs);
    cli_json_number(stdout, "seconds", r->res.seconds);
    printf(",\"timed_out\":%s,\"eta\":%d,\"rungs\":[", r->res.timed_out ? "true" : "false",
           r->plan.eta);
    for (int k = 0; k < r->plan.n_rungs; k++) printf("%s%d", k ? "," : "", r->plan.rungs[k]);
    printf("],\"devices\":%d,\"n_train\":%zu,\"n_valid\":%zu,\"n_test\":%zu,\"config\":", r->n_ctx,
           r->ss.n_train, r->ss.n_valid, r->ss.n_test);
    if (r->o->out) cli_json_string(stdout, r->o->out);
    else printf("null");
    char *cmd = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cmd, &len);
    if (f) print_command(r, f), fclose(f);
    printf(",\"command\":");
    cli_json_string(stdout, cmd ? cmd : "");
    free(cmd);
    printf("}\n");
}

/* ---- the run -------------------------------------------------------------------------------- */

/* The plan from the options (after the checks). */
static void make_plan(const tune_opts *o, tune_plan *p) {
    memset(p, 0, sizeof *p);
    p->space = &o->space;
    p->base = o->t.cfg;
    p->seed = o->t.cfg.seed;
    p->n_rungs = tune_rungs(o->min_epochs, o->t.cfg.epochs, o->eta, p->rungs);
    p->eta = o->eta;
    p->patience = o->t.cfg.patience;
    p->min_improvement = o->t.cfg.min_improvement;
    p->max_trials = o->trials ? o->trials : o->time > 0 ? 0 : DEFAULT_TRIALS;
    p->time_limit = o->time;
    p->quiet = o->t.quiet;
}

static ar_status check(const cli_command *self, const cli_parsed *p, tune_opts *o) {
    ar_status st = cli_train_opts_check(self, p, &o->t);
    if (st != AR_OK) return st;
    if (o->min_epochs > o->t.cfg.epochs)
        return cli_usage(self->name, "--min-epochs %d is more than --epochs %d", o->min_epochs,
                         o->t.cfg.epochs);
    if (o->t.cfg.try_lighter) /* a trial is one run of the settings sampled */
        return cli_usage(self->name, "--lighter try is train's: tune searches --l2 and "
                         "--dropout itself (leave --lighter out, or give --lighter off)");
    if (o->t.cfg.try_tanh)
        return cli_usage(self->name, "--tanh try is train's: tune searches --activation and "
                         "--lr itself (leave --tanh out, or give --tanh off)");
    return tune_space_check(self, &o->space, &o->t.cfg);
}

/* Data (training and validation only), output checks, contexts. */
static ar_status start(const cli_command *self, tune_run_state *r) {
    const tune_opts *o = r->o;
    cli_files files = {0};
    cli_files_out(&files, "--out", o->out);
    cli_files_configs(&files, r->p);
    cli_files_data_opts(&files, &o->t.data);
    ar_status st = cli_files_check(&files);
    if (st == AR_OK) st = cli_data_load(&o->t.data, o->t.cfg.seed, o->t.quiet, &r->data);
    if (st == AR_OK) cli_files_data(&files, &r->data);
    if (st == AR_OK) st = cli_files_check(&files);
    if (st == AR_OK)
        st = ar_dataset_create_ex(r->data.train, r->data.valid, NULL, o->t.data.rows, &r->ds);
    if (st == AR_OK) st = cli_device_specs(self, o->t.device, &r->devs);
    /* every context here, before the workers start: each worker only trains on its own */
    for (int k = 0; st == AR_OK && k < r->devs.n; k++)
        if ((st = ar_ctx_create(r->devs.spec[k], &r->ctx[k])) == AR_OK) r->n_ctx++;
    if (st == AR_OK) ar_dataset_get_stats(r->ds, &r->ss);
    return st;
}

static void print_setup(const tune_run_state *r) {
    const tune_plan *p = &r->plan;
    fprintf(stderr, "data: %s\n      %d items x %d users: %zu training, %zu validation "
            "ratings\n", r->data.desc, r->ss.n_items, r->ss.n_users, r->ss.n_train,
            r->ss.n_valid);
    for (int k = 0; k < r->n_ctx; k++)
        fprintf(stderr, "device %d: %s\n", k, ar_ctx_device(r->ctx[k])->name);
    fprintf(stderr, "search: rungs");
    for (int k = 0; k < p->n_rungs; k++) fprintf(stderr, "%s%d", k ? "," : " ", p->rungs[k]);
    fprintf(stderr, " epochs (eta %d), patience %d, seed %llu, budget ", p->eta, p->patience,
            (unsigned long long)p->seed);
    if (p->max_trials) fprintf(stderr, "%d trials%s", p->max_trials, p->time_limit ? " or " : "");
    if (p->time_limit) fprintf(stderr, "%g s", p->time_limit);
    fputc('\n', stderr);
}

/* Whether train, given the best trial's settings, keeps the bias baseline alone instead
 * (ar_train_config.baseline_fallback: no epoch of its network beats the baseline on
 * validation): the baseline is scored as train scores it, a model of those settings with its
 * output layer zeroed (ar_model_keep_baseline), so that tune reports what train reproduces. */
static ar_status check_baseline(tune_run_state *r) {
    const ar_train_config *c = &r->best->cfg;
    if (!c->baseline_fallback || c->center == AR_CENTER_NONE ||
        c->out_activation == AR_ACT_SIGMOID)
        return AR_OK;
    ar_model *m = NULL;
    ar_metrics e;
    ar_status st = ar_model_create(r->ctx[0], r->ds, c, &m);
    if (st == AR_OK) st = ar_model_keep_baseline(m);
    if (st == AR_OK) st = ar_model_evaluate_metrics(m, &e);
    ar_model_free(m);
    if (st != AR_OK) return st;
    r->baseline_valid = e.valid.rmse, r->baseline_valid_mae = e.valid.mae;
    r->baseline_kept = e.valid.rmse < r->best->best_valid;
    return AR_OK;
}

/* The leaderboard, the best trial, the settings file, the JSON line. */
static ar_status report(tune_run_state *r) {
    const tune_opts *o = r->o;
    tune_trial *sorted = malloc((size_t)r->res.n_trials * sizeof *sorted);
    if (!sorted) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    memcpy(sorted, r->res.trials, (size_t)r->res.n_trials * sizeof *sorted);
    qsort(sorted, (size_t)r->res.n_trials, sizeof *sorted, tune_trial_cmp);
    print_leaderboard(r, sorted);
    if (!o->t.quiet)
        fprintf(stderr, "%d trials, %d rung runs, %ld epochs in %.1f s on %d device%s%s\n",
                r->res.n_trials, r->res.jobs, r->res.epochs, r->res.seconds, r->n_ctx,
                r->n_ctx == 1 ? "" : "s", r->res.timed_out ? " (--time reached)" : "");
    const tune_trial *b = &sorted[0];
    ar_status st = AR_OK;
    if (b->failed || b->rung < 0 || !isfinite(b->best_valid)) {
        st = cli_fail(AR_ERR_DIVERGED, "no trial finished a rung with a finite validation RMSE "
                      "(narrow the search space, e.g. a lower --lr, or give more --time)");
    } else {
        r->best = &r->res.trials[b->id - 1];
        st = check_baseline(r);
        if (st != AR_OK) goto done;
        printf("\nbest: trial %d, validation RMSE %.4f MAE %.4f at epoch %d\n", b->id,
               b->best_valid, b->best_valid_mae, b->best_epoch);
        if (r->baseline_kept) {
            printf("but no trial beat the user + item bias baseline on validation (RMSE %.4f MAE "
                   "%.4f): train with these settings keeps the baseline alone (--fallback)\n",
                   r->baseline_valid, r->baseline_valid_mae);
            if (!o->t.quiet)
                fprintf(stderr, "autorec: warning: no trial beat the bias baseline on "
                        "validation; try other ranges (e.g. --center input)\n");
        }
        printf("command: ");
        print_command(r, stdout);
        printf("\n");
        if (o->out) {
            st = cli_write_file("--out", o->out, emit_config, r);
            if (st == AR_OK) printf("settings: %s (autorec train --config %s)\n", o->out, o->out);
        }
        if (st == AR_OK && o->t.json) print_json(r);
    }
done:
    free(sorted);
    return st;
}

static ar_status run_tune(const cli_command *self, void *opts, const cli_parsed *p) {
    tune_opts *o = opts;
    tune_run_state r = {.o = o, .p = p};
    o->t.data.no_test = 1; /* the test split is never read */
    ar_status st = check(self, p, o);
    if (st == AR_OK) st = start(self, &r);
    if (st == AR_OK) {
        make_plan(o, &r.plan);
        if (!o->t.quiet) print_setup(&r);
        st = tune_run(&r.plan, r.ctx, r.n_ctx, r.ds, &r.res);
    }
    if (st == AR_OK) st = report(&r);
    tune_result_free(&r.res);
    for (int k = 0; k < r.n_ctx; k++) ar_ctx_free(r.ctx[k]);
    cli_devices_free(&r.devs);
    ar_dataset_free(r.ds);
    cli_data_free(&r.data);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

#define TUNE(field) offsetof(tune_opts, field)

static const cli_option tune_options[] = {
    {.name = "--trials", .meta = "N", .kind = CLI_INT, .at = TUNE(trials), .min = 1,
     .max = 1000000, .flags = CLI_NO_DEFAULT,
     .help = "configurations to sample (default: 27, or as many as --time allows when only "
             "--time is given)"},
    {.name = "--time", .meta = "S", .kind = CLI_DOUBLE, .at = TUNE(time), .lo = 0,
     .bounds = CLI_MIN | CLI_MIN_OPEN, .flags = CLI_NO_DEFAULT,
     .help = "wall-clock budget in seconds: no trial starts or goes on after it (a rung cut "
             "short is not counted); with --trials, whichever ends first"},
    {.name = "--epochs", .meta = "N", .kind = CLI_INT, .at = TUNE(t.cfg.epochs), .min = 1,
     .max = 1000000, .setting = "ar_train_config.epochs",
     .help = "epochs of the last rung: the most a trial trains"},
    {.name = "--min-epochs", .meta = "N", .kind = CLI_INT, .at = TUNE(min_epochs), .min = 1,
     .max = 1000000, .help = "epochs of the first rung"},
    {.name = "--eta", .meta = "N", .kind = CLI_INT, .at = TUNE(eta), .min = 2, .max = 100,
     .help = "reduction factor: the best 1/N of a rung go on, and each rung trains N times "
             "the epochs of the one before"},
    {.name = "--patience", .meta = "N", .kind = CLI_INT, .at = TUNE(t.cfg.patience), .min = 0,
     .max = 1000000,
     .help = "a trial stops when its validation RMSE has not improved for N epochs (train's "
             "rule, written to the settings file); 0: never"},
    {.name = "--valid-ratio", .meta = "R", .kind = CLI_DOUBLE, .at = TUNE(t.data.valid_ratio),
     .lo = 0, .hi = 1, .bounds = CLI_MIN | CLI_MAX | CLI_MIN_OPEN | CLI_MAX_OPEN,
     .help = "the fraction of the training ratings carved out as the validation set, seeded "
             "by --seed (or --split-seed) exactly as train carves it"},
    {.name = "--space", .meta = "FILE", .kind = CLI_CONFIG, .at = TUNE(space_file),
     .keys = &tune_space_group,
     .help = "read the search space from FILE: 'key = value' lines with the search-space "
             "options below as keys (lr = 1e-4:1e-2, hidden = 250,500, activation = "
             "sigmoid,elu), '#' starting a comment; options on the command line override it"},
    {.name = "--out", .meta = "FILE", .kind = CLI_STRING, .at = TUNE(out),
     .help = "write the best settings as a settings file for 'autorec train --config FILE' "
             "(train's option names as keys)"},
    {.name = "--device", .meta = "all|SPEC[,SPEC...]", .kind = CLI_STRING, .at = TUNE(t.device),
     .help = "run trials on these devices at once, one worker each (all: every device; a "
             "device listed twice runs two trials on it at once); by default as for train"},
};
static const cli_group tune_group = CLI_GROUP(
    "search", tune_options,
    "Settings not searched (--out-activation, --input-noise, --kernels, --seed, the data and "
    "its split) are train's options below; --config FILE reads any of these options from a "
    "settings file.");

static const cli_use tune_groups[] = {
    {&tune_group, 0},
    {&tune_space_group, offsetof(tune_opts, space)},
    CLI_TRAIN_GROUPS(offsetof(tune_opts, t)),
};

static void tune_defaults(void *opts) {
    tune_opts *o = opts;
    cli_train_opts_default(&o->t);
    tune_space_default(&o->space);
    o->t.data.valid_ratio = 0.1;
    o->t.cfg.patience = 10;
    o->t.cfg.try_lighter = 0; /* a trial trains its sample alone; --lighter off in the file */
    o->t.cfg.try_tanh = 0;    /* and --tanh off */
    o->t.cfg.epochs = 135;
    o->min_epochs = 5;
    o->eta = 3;
}

const cli_command cli_cmd_tune = {
    .name = "tune",
    .summary = "search hyperparameters on a validation set; leaderboard and best settings",
    .usage = "autorec tune [data] [--trials N] [--time S] [--lr MIN:MAX] [--hidden N,N...] ...\n"
             "                     [--space FILE] [--out FILE] [--device all|SPEC,...] [--json]",
    .about = "Searches learning rate, its decay, L2, dropout, input dropout, hidden size, batch, "
             "activation and centering (--center) on a validation set carved from the "
             "training ratings, as 'autorec "
             "train --valid-ratio R' carves it with the same --seed: the test split is never "
             "read (a --test file is not opened, a random split's test part is dropped). "
             "Trial 1 is train's default settings (moved into the space where it is narrower); "
             "the others are a seeded scrambled Halton sequence over the space (learning "
             "rate and L2 log-uniform), trained by asynchronous successive halving: every "
             "trial trains --min-epochs epochs, the best 1/eta of each rung go on to eta times "
             "more, up to --epochs; a trial's score is its best validation RMSE so far. "
             "Progress goes to stderr, the leaderboard and the best settings as a train "
             "command line to stdout. With one device the search is reproducible: the same "
             "options and --seed give the same leaderboard (docs/tune.md).",
    CLI_USES(tune_groups),
    .size = sizeof(tune_opts),
    .defaults = tune_defaults,
    .run = run_tune,
};
