/* cmd_train.c - `autorec train`: trains AutoRec on the data the options describe (by default
 * on a validation set carved out of the training ratings: ar_model_train keeps the
 * best-validation epoch and stops by patience), optionally refits on all the training ratings
 * for the selected number of epochs, prints the RMSEs per epoch (stderr) and at the end (stdout,
 * optionally as JSON), and writes the model, per-epoch metrics and curves on request. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train_run.h"

/* --resume: a model setting given again must equal the model file's (as printed: lr 0.001
 * equals 0.001); a conflict is a usage error naming the flag and both values. saved is o with
 * the file's settings. */
static ar_status resume_conflicts(const cli_command *self, const cli_parsed *p,
                                  const train_opts *o, const train_opts *saved) {
    for (int k = 0; k < p->n_given; k++) {
        const cli_option *opt = p->given[k];
        size_t base = 0;
        if (!(opt->flags & CLI_FROM_MODEL) || cli_find_option(self, opt->name, &base) != opt)
            continue;
        char given[256], file[256], from[96] = "", out[96];
        cli_value_text(opt, (const char *)o + base + opt->at, given, sizeof given);
        cli_value_text(opt, (const char *)saved + base + opt->at, file, sizeof file);
        snprintf(out, sizeof out, "leave %s out", opt->name);
        if (p->from_preset[k]) { /* the user never typed it: name where it came from */
            snprintf(from, sizeof from, " (from --preset %s)", p->from_preset[k]);
            snprintf(out, sizeof out, "leave --preset %s out", p->from_preset[k]);
        }
        if (strcmp(given, file))
            return cli_usage(self->name, "%s %s%s conflicts with %s, which was trained with %s "
                             "%s: --resume continues with the model file's settings (give %s %s "
                             "or %s)", opt->name, given, from, o->resume, opt->name, file,
                             opt->name, file, out);
    }
    return AR_OK;
}

/* --resume: reads the model file; its seed (unless --seed is given) and its rows; the model
 * settings given again must agree with it. */
static ar_status open_resume(const cli_command *self, const cli_parsed *p, train_opts *o,
                             train_run *r) {
    ar_status st = ar_checkpoint_read(o->resume, &r->ck);
    if (st != AR_OK) return st;
    train_opts *saved = malloc(sizeof *saved);
    if (!saved) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    *saved = *o;
    ar_checkpoint_config(r->ck, &saved->t.cfg);
    saved->t.data.rows = ar_checkpoint_rows(r->ck);
    st = resume_conflicts(self, p, o, saved);
    if (!cli_given(p, "--seed")) o->t.cfg.seed = saved->t.cfg.seed; /* the same splits */
    o->t.data.rows = saved->t.data.rows;
    free(saved);
    if (st != AR_OK) return st;
    int done = ar_checkpoint_epochs_done(r->ck);
    if (done >= o->t.cfg.epochs)
        return cli_usage(self->name, "%s has trained %d epochs already: --epochs is the total, "
                         "give more than that", o->resume, done);
    return AR_OK;
}

/* The output paths checked against the files the run reads (inputs), once as given, then with
 * the files loading found. */
static ar_status check_outputs(train_run *r, const cli_data *loaded) {
    cli_files *f = &r->files;
    if (loaded) {
        cli_files_data(f, loaded);
        return cli_files_check(f);
    }
    cli_files_out(f, "--save", r->o->save);
    cli_files_out(f, "--metrics", r->o->metrics);
    cli_files_out(f, "--plot", r->o->plot);
    cli_files_in(f, r->o->resume);
    cli_files_configs(f, r->p);
    cli_files_data_opts(f, &r->o->t.data);
    return cli_files_check(f);
}

/* Data, device and model, after the output paths are checked (fail fast: before the data is
 * loaded and trained on). */
static ar_status start(train_run *r) {
    const train_opts *o = r->o;
    ar_status st = check_outputs(r, NULL);
    if (st == AR_OK) st = cli_curves_open(&r->curves, o->metrics, o->plot);
    if (st == AR_OK) st = cli_data_load(&o->t.data, o->t.cfg.seed, o->t.quiet, &r->data);
    if (st == AR_OK) st = check_outputs(r, &r->data);
    const int share = cli_train_by_share(r); /* mpirun: each rank its share of the dataset */
    if (st == AR_OK && !share)
        st = ar_dataset_create_ex(r->data.train, r->data.valid, r->data.test, o->t.data.rows,
                                  &r->ds);
    if (st == AR_OK) st = cli_train_devices(r);
    if (st != AR_OK) return st;
    r->cfg = o->t.cfg;
    if (r->ck) {
        ar_checkpoint_config(r->ck, &r->cfg);
        r->cfg.epochs = o->t.cfg.epochs;
        r->cfg.patience = o->t.cfg.patience;
        r->cfg.min_improvement = o->t.cfg.min_improvement;
        r->cfg.seed = o->t.cfg.seed;
        r->cfg.baseline_fallback = o->t.cfg.baseline_fallback;
        r->cfg.try_lighter = o->t.cfg.try_lighter;
        r->cfg.try_tanh = o->t.cfg.try_tanh;
    }
    if (share && (st = cli_train_shards_share(r)) != AR_OK) return st;
    ar_dataset_get_stats(r->ds, &r->ss);
    r->has_valid = r->ss.n_valid > 0;
    if (o->refit && !r->has_valid)
        return cli_usage("train", "--refit trains again for the epochs validation selects, but "
                         "the %zu training ratings are too few to carve a validation set of %g",
                         r->ss.n_train, o->t.data.valid_ratio);
    if (share)
        st = AR_OK; /* created above */
    else if (r->n_ctx > 1 || cli_mpi.size > 1)
        st = cli_train_shards_create(r, r->ds, r->ck);
    else if (r->ck)
        st = ar_model_create_from(r->ctx, r->ds, r->ck, &r->cfg, &r->m);
    else
        st = ar_model_create(r->ctx, r->ds, &r->cfg, &r->m);
    if (st == AR_OK)
        st = r->g ? cli_baselines_sharded(cli_train_view(r), r->g, &r->base)
                  : cli_baselines(r->m, r->ds, &r->base);
    if (st == AR_OK) cli_train_shards_release(r);
    return st;
}

/* Each epoch of the selection run: the metrics row, the progress line; with several runs
 * (--center auto, --lighter try, --tanh try), a line when the next one begins. */
static ar_status on_epoch(void *user, const ar_epoch_stats *s, const ar_train_result *res) {
    train_run *r = user;
    const ar_train_result *prev = &r->arm_res[r->arm];
    if (s->epoch == 1 && prev->epochs_run > 0 && r->arm < 3) { /* the next run begins */
        r->arm++;
        if (!r->o->t.quiet) /* the settings the model trains now (lighter's, tanh's too) */
            cli_run_switch(r->tty, prev, res, ar_model_config(cli_train_view(r)));
    }
    r->arm_res[r->arm] = *res;
    r->seconds += s->epoch_seconds;
    if (s->test_rmse < r->arm_best[r->arm])
        r->arm_best[r->arm] = s->test_rmse, r->arm_best_epoch[r->arm] = s->epoch;
    ar_status st = cli_curves_add(&r->curves, s, res->center, res->lighter, res->tanh_run);
    if (st == AR_OK && !r->o->t.quiet)
        cli_progress(r->tty, "", s, r->cfg.epochs, r->has_valid, 1);
    return st;
}

/* The errors of the model as it ends: the last epoch's when it is the one kept, else evaluated
 * again after the restore (the figures reported are those of the model saved). */
static ar_status measure(train_run *r, const ar_train_result *res) {
    train_reported *p = &r->rep;
    p->loss = res->selected.loss;
    const ar_epoch_stats *s = &res->last;
    if (res->selected_epoch == res->last_epoch && res->epochs_run > 0) {
        p->train = s->train_rmse, p->test = s->test_rmse;
        p->train_mae = s->train_mae, p->test_mae = s->test_mae;
        return AR_OK;
    }
    ar_metrics e;
    ar_status st = ar_model_evaluate_metrics(r->m, &e);
    p->train = e.train.rmse, p->test = e.test.rmse;
    p->train_mae = e.train.mae, p->test_mae = e.test.mae;
    return st;
}

/* The selection run: up to --epochs, the best-validation epoch kept (ar_model_train). */
static ar_status train_epochs(train_run *r) {
    r->center_auto = r->cfg.center == AR_CENTER_AUTO && r->has_valid;
    r->try_lighter = r->cfg.try_lighter && r->has_valid && !r->ck;
    r->arm = 0;
    for (int k = 0; k < 4; k++) r->arm_best[k] = INFINITY, r->arm_best_epoch[k] = 0;
    ar_status st = r->g ? cli_train_shards_run(r, "", on_epoch, &r->res)
                        : cli_train_watched(r->m, r->tty, "", on_epoch, r, &r->res);
    if (st == AR_OK && r->has_valid && !r->o->t.quiet)
        cli_progress_stop("", &r->res, r->cfg.patience, r->cfg.epochs);
    r->try_tanh = st == AR_OK && !isnan(r->res.tanh_valid_rmse); /* ar_model_train's rule */
    const int several = r->center_auto || r->try_lighter || r->try_tanh;
    if (st == AR_OK && several && !r->o->t.quiet)
        cli_runs_kept(&r->res, r->center_auto, r->try_lighter, r->try_tanh);
    if (st != AR_OK) return st;
    /* the runs resolved: what the refit trains, the report prints and the plot draws */
    const ar_train_config *kept = ar_model_config(cli_train_view(r));
    r->cfg.center = kept->center;
    r->cfg.l2 = kept->l2, r->cfg.dropout = kept->dropout;
    r->cfg.lr = kept->lr, r->cfg.activation = kept->activation;
    int k = 0; /* the kept run among those that ran */
    while (k < r->arm && (r->arm_res[k].center != r->res.center ||
                          r->arm_res[k].lighter != r->res.lighter ||
                          r->arm_res[k].tanh_run != r->res.tanh_run))
        k++;
    r->best = r->arm_best[k], r->best_epoch = r->arm_best_epoch[k];
    r->curves.keep = several ? cli_run_name(r->res.center, r->res.lighter, r->res.tanh_run)
                             : NULL;
    if (r->g) { /* sharded: the kept epoch's figures as training measured them */
        const ar_epoch_stats *s = &r->res.selected;
        r->rep = (train_reported){.train = s->train_rmse, .test = s->test_rmse, .loss = s->loss,
                                  .train_mae = s->train_mae, .test_mae = s->test_mae};
        return AR_OK;
    }
    return measure(r, &r->res);
}

static ar_status on_refit_epoch(void *user, const ar_epoch_stats *s, const ar_train_result *res) {
    train_run *r = user;
    (void)res;
    r->refit_seconds += s->epoch_seconds;
    if (!r->o->t.quiet) cli_progress(r->tty, "refit: ", s, r->cfg.epochs, 0, 1);
    return AR_OK;
}

/* The baselines' training and test figures as the refit model's: fitted on the same ratings
 * (training and validation); the validation figures stay the selection run's. */
static ar_status refit_baselines(train_run *r) {
    ar_baselines b;
    ar_status st = cli_baselines(cli_train_view(r), r->ds_refit, &b);
    if (st != AR_OK) return st;
    r->base.mean.train = b.mean.train, r->base.mean.test = b.mean.test;
    r->base.bias.train = b.bias.train, r->base.bias.test = b.bias.test;
    return AR_OK;
}

/* --refit after the selection run kept the bias baseline alone (--fallback): the baseline
 * fitted again on the training and validation ratings, no epochs. */
static ar_status refit_baseline(train_run *r) {
    ar_metrics e;
    ar_status st = ar_model_keep_baseline(r->m);
    if (st == AR_OK) st = ar_model_evaluate_metrics(r->m, &e);
    if (st != AR_OK) return st;
    r->rep = (train_reported){.train = e.train.rmse, .test = e.test.rmse, .loss = NAN,
                              .train_mae = e.train.mae, .test_mae = e.test.mae};
    return refit_baselines(r);
}

/* --refit: a new model from scratch, same settings and seed, on the training ratings with the
 * validation set merged back, for the selected number of epochs; it replaces the selection
 * run's as the model reported and saved. */
static ar_status refit(train_run *r) {
    ar_model_free(r->m);
    r->m = NULL;
    r->cfg.epochs = r->res.baseline_kept ? 1 : r->res.selected_epoch;
    if (!r->o->t.quiet && r->res.baseline_kept)
        fprintf(stderr, "refit: the bias baseline alone, fitted on the training and validation "
                "ratings\n");
    else if (!r->o->t.quiet)
        fprintf(stderr, "refit: %d epochs from scratch on the training and validation ratings\n",
                r->cfg.epochs);
    ar_status st = ar_dataset_create_ex(r->data.train_all, NULL, r->data.test,
                                        r->o->t.data.rows, &r->ds_refit);
    const int sharded = r->g && !r->res.baseline_kept;
    if (st == AR_OK && sharded) st = cli_train_shards_create(r, r->ds_refit, NULL);
    else if (st == AR_OK) {
        cli_train_shards_free_model(r); /* the baseline refitted: one device's model */
        st = ar_model_create(r->ctx, r->ds_refit, &r->cfg, &r->m);
    }
    if (st != AR_OK) return st;
    ar_dataset_stats ss;
    ar_dataset_get_stats(r->ds_refit, &ss);
    r->refit_n_train = ss.n_train;
    if (r->res.baseline_kept) return refit_baseline(r);
    st = sharded ? cli_train_shards_run(r, "refit: ", on_refit_epoch, &r->refit)
                 : cli_train_watched(r->m, r->tty, "refit: ", on_refit_epoch, r, &r->refit);
    if (st != AR_OK) return st;
    const ar_epoch_stats *s = &r->refit.last;
    r->rep = (train_reported){.train = s->train_rmse, .test = s->test_rmse, .loss = s->loss,
                              .train_mae = s->train_mae, .test_mae = s->test_mae};
    return refit_baselines(r);
}

/* After the last epoch: the curves, the result lines, the JSON, the model; the curves are
 * published last, once everything is written. */
static ar_status finish(train_run *r) {
    const train_opts *o = r->o;
    const ar_train_config *c = &r->cfg;
    char title[320], layers[128];
    cli_format_layers(c, layers, sizeof layers);
    snprintf(title, sizeof title, "%s RMSE per epoch: hidden %s, %s/%s",
             cli_model_name(o->t.data.rows), layers, ar_activation_name(c->activation),
             ar_activation_name(c->out_activation));
    r->curves.selected = r->has_valid ? r->res.selected_epoch : 0;
    ar_status st = cli_curves_finish(&r->curves, title, r->data.desc);
    if (st != AR_OK) return st;
    cli_train_print_result(r);
    if (o->t.json) cli_train_print_json(r);
    if (o->save && (st = cli_train_save(r, o->save)) != AR_OK)
        return cli_for_option("--save", st);
    if ((st = cli_curves_publish(&r->curves)) != AR_OK) return st;
    if (o->save && !o->t.quiet) {
        char what[96];
        if (o->refit && r->res.baseline_kept)
            snprintf(what, sizeof what, "the bias baseline alone, refitted");
        else if (o->refit)
            snprintf(what, sizeof what, "the refit, %d epochs", r->refit.last_epoch);
        else if (r->res.baseline_kept)
            snprintf(what, sizeof what, "the bias baseline alone: no epoch beat it on "
                     "validation");
        else if (r->has_valid)
            snprintf(what, sizeof what, "the best-validation epoch, %d", r->res.selected_epoch);
        else
            snprintf(what, sizeof what, "the last epoch");
        fprintf(stderr, "saved: %s (%s)\n", o->save, what);
    }
    return AR_OK;
}

static ar_status run_train(const cli_command *self, void *opts, const cli_parsed *p) {
    train_opts *o = opts;
    train_run r = {.o = o, .p = p};
    ar_status st = cli_train_opts_check(self, p, &o->t);
    if (st == AR_OK && o->refit && o->t.data.valid_ratio <= 0)
        st = cli_usage(self->name, "--refit trains again for the epochs validation selects: it "
                       "needs a validation set (leave --valid-ratio at its default or give one "
                       "above 0)");
    o->t.data.keep_unsplit = o->refit;
    if (cli_mpi.rank > 0) /* under mpirun rank 0 alone reports and writes (the others send it
                             their parts of the model file) */
        o->metrics = o->plot = NULL, o->t.quiet = 1;
    if (st == AR_OK && o->resume) st = open_resume(self, p, o, &r);
    if (st == AR_OK) st = start(&r);
    if (st == AR_OK) {
        r.tty = isatty(fileno(stderr)) && !o->t.quiet;
        if (!o->t.quiet) cli_train_print_setup(&r);
        st = train_epochs(&r);
    }
    if (st == AR_OK && o->refit) st = refit(&r);
    if (st == AR_OK && cli_mpi.rank == 0) st = finish(&r);
    else if (st == AR_OK && o->save && r.g) /* MPI: the other ranks' parts to rank 0 */
        st = cli_train_save(&r, o->save);
    ar_checkpoint_free(r.ck);
    cli_curves_free(&r.curves);
    ar_model_free(r.m);
    cli_train_shards_free(&r);
    ar_ctx_free(r.ctx);
    ar_dataset_free(r.ds);
    ar_dataset_free(r.ds_refit);
    cli_data_free(&r.data);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option output_options[] = {
    {.name = "--metrics", .meta = "FILE.csv", .kind = CLI_STRING,
     .at = offsetof(train_opts, metrics),
     .help = "write one row per epoch: epoch, loss, train_rmse, valid_rmse, test_rmse, "
             "epoch_seconds, eval_seconds, train_mae, valid_mae, test_mae (an empty field: no "
             "value, e.g. valid_rmse with --valid-ratio 0). The rows go to "
             "FILE.csv.tmp-PID-XXXXXX next to it as each epoch "
             "ends (follow it with tail -f; its name is printed), renamed to FILE.csv when the "
             "run succeeds"},
    {.name = "--plot", .meta = "FILE.svg", .kind = CLI_STRING, .at = offsetof(train_opts, plot),
     .help = "draw the train / validation / test RMSE curves of every epoch run as an SVG at "
             "the end, the selected epoch marked"},
    {.name = "--save", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(train_opts, save),
     .help = "write the model reported to FILE when the run ends: the best-validation epoch's "
             "(with --refit the refit; without a validation set the last epoch's)"},
    {.name = "--refit", .kind = CLI_FLAG, .at = offsetof(train_opts, refit),
     .help = "after the run selects its epoch on validation, train a new model from scratch "
             "(same settings and seed) on all the training ratings, the validation set merged "
             "back, for exactly that many epochs, and report and save it instead (the "
             "--metrics and --plot curves stay the selection run's)"},
    {.name = "--resume", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(train_opts, resume),
     .help = "continue a saved model up to --epochs in total; its settings (--hidden, --lr, "
             "...) and seed come from the file (given again, a setting must equal the file's); "
             "give the same data options, so that the validation set is the same one (and "
             "another --save file: an input is never overwritten). The model's state as saved "
             "is a candidate too: if no later epoch has a lower validation RMSE, it is kept"},
};
static const cli_option shard_options[] = {
    {.name = "--shard-weights", .meta = "auto|W1,W2,...", .kind = CLI_STRING,
     .at = offsetof(train_opts, shard_weights),
     .help = "with several devices: the share of the training ratings each device's columns "
             "hold, one positive weight per device of --device (2,1: the first twice the "
             "second's); auto (the default) measures each device's speed first, on a sample of "
             "about one shard's size (equal weights, with a warning, when a device cannot "
             "hold even that)"},
};
static const cli_group shard_group = CLI_GROUP(
    "several devices", shard_options,
    "--device A,B,... (e.g. --device 0:0,1:0; a device listed twice gets two contexts) shards "
    "the model across the devices: each holds the first and last layers' weights of a "
    "contiguous range of the columns (users for I-AutoRec) and their ratings, the hidden "
    "layers are replicated, and each step sums two (batch, hidden) arrays across the devices. "
    "Same seed, same model as on one device, to float rounding (docs/scaling.md). The sparse "
    "kernels only; the model is gathered on the first device to be reported and saved.");

static const cli_group output_group = CLI_GROUP(
    "output files", output_options,
    "Output files are checked before any data is loaded, and again against the files loading "
    "found: a path that cannot be written, that is not a regular file (a directory, a device, a "
    "FIFO), or that is a file the run reads or another output exits 2. Each is written to a "
    "temporary next to it (FILE.tmp-PID-XXXXXX) and renamed over it when complete, through a "
    "symbolic link to its target; a run that fails (bad data, unknown device, a full disk) "
    "removes its temporaries and leaves every existing file as it was.");

static const cli_use train_groups[] = {
    {&cli_train_preset, offsetof(train_opts, t)},
    {&cli_training, offsetof(train_opts, t)},
    {&cli_run, offsetof(train_opts, t)},
    {&shard_group, 0},
    {&output_group, 0},
    CLI_DATA_GROUPS(offsetof(train_opts, t.data)),
};

static void train_defaults(void *o) { cli_train_opts_default(&((train_opts *)o)->t); }

const cli_command cli_cmd_train = {
    .name = "train",
    .summary = "train AutoRec (I- or U-AutoRec) and report train / test RMSE per epoch",
    .usage = "autorec train [data] [options]",
    .about = "Trains AutoRec, item-based (I-AutoRec, the default) or user-based (--model user), "
             "and prints train, validation and test RMSE and MAE after every epoch. By default a part "
             "of the training ratings is held out as a validation set (--valid-ratio): the run "
             "stops when the validation RMSE has not improved for --patience epochs (or after "
             "--epochs), and the model it reports and saves is the epoch with the lowest "
             "validation RMSE; --refit then trains again on all the training ratings for that "
             "many epochs. --valid-ratio 0 trains all --epochs and keeps the last. The test set "
             "never chooses anything. The summary sets the model against two baselines scored "
             "alike: the training mean and a regularised user + item bias model.",
    CLI_USES(train_groups),
    .size = sizeof(train_opts),
    .defaults = train_defaults,
    .run = run_train,
};
