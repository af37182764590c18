/* cmd_train.c - `autorec train`: trains AutoRec on the data the options describe, prints the
 * RMSEs per epoch (stderr) and at the end (stdout, optionally as JSON), selects the epoch on
 * validation, stops early, and writes the model, per-epoch metrics and curves on request. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    cli_train_opts t;
    const char *metrics, *plot, *save, *resume; /* output files, and the model to continue */
} train_opts;

/* A run: what it was given, what it built, and what it measured. */
typedef struct {
    const train_opts *o;
    cli_files files;         /* what the run reads and writes, for the checks */
    ar_train_config cfg;     /* the run's settings (from the model file with --resume) */
    ar_checkpoint *ck;       /* --resume's model file */
    cli_curves curves;
    cli_data data;
    ar_dataset *ds;
    ar_ctx *ctx;
    ar_model *m;
    ar_dataset_stats ss;
    ar_baselines base;       /* on the model's scale */
    int tty;                 /* progress rewritten in place */
    ar_epoch_stats last;
    double seconds, best;    /* training seconds; the best test RMSE (reported, never used) */
    int best_epoch;
    cli_selection sel;
} train_run;

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
        char given[256], file[256];
        cli_value_text(opt, (const char *)o + base + opt->at, given, sizeof given);
        cli_value_text(opt, (const char *)saved + base + opt->at, file, sizeof file);
        if (strcmp(given, file))
            return cli_usage(self->name, "%s %s conflicts with %s, which was trained with %s %s: "
                             "--resume continues with the model file's settings (give %s %s "
                             "or leave %s out)", opt->name, given, o->resume, opt->name, file,
                             opt->name, file, opt->name);
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
    if (st == AR_OK)
        st = ar_dataset_create_ex(r->data.train, r->data.valid, r->data.test, o->t.data.rows,
                                  &r->ds);
    if (st == AR_OK) st = ar_ctx_create(o->t.device, &r->ctx);
    if (st != AR_OK) return st;
    ar_dataset_get_stats(r->ds, &r->ss);
    r->cfg = o->t.cfg;
    if (r->ck) {
        ar_checkpoint_config(r->ck, &r->cfg);
        r->cfg.epochs = o->t.cfg.epochs;
        r->cfg.seed = o->t.cfg.seed;
        st = ar_model_create_from(r->ctx, r->ds, r->ck, &r->cfg, &r->m);
    } else {
        st = ar_model_create(r->ctx, r->ds, &r->cfg, &r->m);
    }
    return st == AR_OK ? cli_baselines(r->m, r->ds, &r->base) : st;
}

/* The run's set-up on stderr: data, device, model. */
static void print_setup(const train_run *r) {
    const ar_device_info *dev = ar_ctx_device(r->ctx);
    const ar_dataset_stats *ss = &r->ss;
    const ar_train_config *c = &r->cfg;
    float lo, hi, def;
    ar_model_rating_scale(r->m, &lo, &hi, &def);
    if (r->ck)
        fprintf(stderr, "resumed: %s after %d epochs\n", r->o->resume, ar_model_epochs_done(r->m));
    fprintf(stderr, "data: %s\n", r->data.desc);
    fprintf(stderr, "      %d items x %d users, %zu training, %zu validation, %zu test ratings; "
            "scale %g..%g (%zu test ratings with an unseen user or item, predicted %g)\n",
            ss->n_items, ss->n_users, ss->n_train, ss->n_valid, ss->n_test, (double)lo,
            (double)hi, ss->n_test_cold, (double)def);
    fprintf(stderr, "device: %d:%d %s (%s)\n", dev->platform, dev->device, dev->name,
            dev->platform_name);
    char widths[128];
    cli_format_layers(c, widths, sizeof widths);
    fprintf(stderr, "model: %s, hidden %s, %s/%s, batch %d, lr %g (x%g per epoch), l2 %g, "
            "dropout %g, input dropout %g (%s), seed %llu, %s kernels\n",
            cli_model_name(r->o->t.data.rows), widths, ar_activation_name(c->activation),
            ar_activation_name(c->out_activation), c->batch, (double)c->lr,
            (double)c->lr_decay, (double)c->l2, (double)c->dropout, (double)c->input_dropout,
            ar_input_noise_name(c->input_noise), (unsigned long long)c->seed,
            ar_kernel_path_name(ar_model_kernels(r->m)));
    if (r->o->metrics)
        fprintf(stderr, "metrics: %s (renamed to %s when the run ends)\n",
                cli_out_temp(&r->curves.csv), r->o->metrics);
}

/* The epochs up to --epochs (fewer with --patience): progress, selection on validation (with
 * --save the selected epoch's model is written), metrics. */
static ar_status train_epochs(train_run *r) {
    const train_opts *o = r->o;
    const int has_valid = r->ss.n_valid > 0;
    ar_epoch_stats *s = &r->last;
    ar_status st = AR_OK;
    cli_selection_start(&r->sel);
    r->best = INFINITY;
    while (st == AR_OK && ar_model_epochs_done(r->m) < r->cfg.epochs) {
        if ((st = ar_model_train_epoch(r->m, s)) != AR_OK) break;
        r->seconds += s->epoch_seconds;
        if (s->test_rmse < r->best) r->best = s->test_rmse, r->best_epoch = s->epoch;
        /* with a validation set the saved model is the best-validation epoch's */
        if (cli_selection_note(&r->sel, s, has_valid) && o->save)
            st = cli_for_option("--save", ar_model_save(r->m, o->save));
        if (st == AR_OK) st = cli_curves_add(&r->curves, s);
        if (st == AR_OK && !o->t.quiet) cli_progress(r->tty, "", s, r->cfg.epochs, has_valid, 1);
        if (st == AR_OK && cli_selection_stop(&r->sel, s, o->t.patience)) break;
    }
    if (r->tty) fputc('\n', stderr);
    return st;
}

/* The JSON summary line: the run's result and settings. */
static void print_json(const train_run *r) {
    const ar_device_info *dev = ar_ctx_device(r->ctx);
    const ar_epoch_stats *s = &r->last;
    const ar_train_config *c = &r->cfg;
    const ar_dataset_stats *ss = &r->ss;
    const int has_valid = ss->n_valid > 0;
    char widths[128];
    cli_format_layers(c, widths, sizeof widths);
    float lo, hi, def;
    ar_model_rating_scale(r->m, &lo, &hi, &def);
    printf("{\"device\":");
    cli_json_string(stdout, dev->name);
    printf(",\"platform\":");
    cli_json_string(stdout, dev->platform_name);
    printf(",\"epochs\":%d", s->epoch);
    cli_json_number(stdout, "test_rmse", s->test_rmse);
    cli_json_number(stdout, "train_rmse", s->train_rmse);
    cli_json_number(stdout, "test_mae", s->test_mae);
    cli_json_number(stdout, "train_mae", s->train_mae);
    cli_baselines_json(stdout, &r->base);
    cli_json_number(stdout, "loss", s->loss);
    cli_json_number(stdout, "best_test_rmse", r->best);
    printf(",\"best_epoch\":%d", r->best_epoch);
    cli_json_number(stdout, "seconds", r->seconds);
    cli_json_number(stdout, "epoch_seconds", r->seconds / s->epoch);
    printf(",\"hidden\":%d,\"layers\":\"%s\",\"batch\":%d", c->hidden, widths, c->batch);
    cli_json_number(stdout, "lr", c->lr);
    cli_json_number(stdout, "lr_decay", c->lr_decay);
    cli_json_number(stdout, "l2", c->l2);
    cli_json_number(stdout, "dropout", c->dropout);
    cli_json_number(stdout, "input_dropout", c->input_dropout);
    printf(",\"input_noise\":\"%s\"", ar_input_noise_name(c->input_noise));
    printf(",\"activation\":\"%s\",\"out_activation\":\"%s\",\"seed\":%llu",
           ar_activation_name(c->activation), ar_activation_name(c->out_activation),
           (unsigned long long)c->seed);
    printf(",\"kernels\":\"%s\"", ar_kernel_path_name(ar_model_kernels(r->m)));
    printf(",\"n_users\":%d,\"n_items\":%d,\"n_train\":%zu,\"n_test\":%zu", ss->n_users,
           ss->n_items, ss->n_train, ss->n_test);
    printf(",\"n_valid\":%zu,\"model\":\"%s\"", ss->n_valid,
           r->o->t.data.rows == AR_ROWS_USERS ? "user" : "item");
    cli_json_number(stdout, "valid_rmse", s->valid_rmse);
    cli_json_number(stdout, "valid_mae", s->valid_mae);
    cli_json_number(stdout, "best_valid_rmse", has_valid ? r->sel.best_valid : NAN);
    if (has_valid) printf(",\"selected_epoch\":%d", r->sel.epoch);
    cli_json_number(stdout, "selected_test_rmse", r->sel.test);
    cli_json_number(stdout, "selected_train_rmse", r->sel.train);
    cli_json_number(stdout, "selected_test_mae", r->sel.test_mae);
    cli_json_number(stdout, "selected_train_mae", r->sel.train_mae);
    cli_json_number(stdout, "selected_valid_mae", r->sel.valid_mae);
    printf(",\"stopped_early\":%s", r->sel.stopped_early ? "true" : "false");
    cli_json_number(stdout, "rating_min", lo);
    cli_json_number(stdout, "rating_max", hi);
    printf(",\"device_memory_bytes\":%zu}\n", ar_model_device_bytes(r->m));
}

/* After the last epoch: the curves, the result lines, the JSON, the last epoch's model; the
 * curves are published last, once everything is written. */
static ar_status finish(train_run *r) {
    const train_opts *o = r->o;
    const ar_train_config *c = &r->cfg;
    const int has_valid = r->ss.n_valid > 0;
    char title[320], layers[128];
    cli_format_layers(c, layers, sizeof layers);
    snprintf(title, sizeof title, "%s RMSE per epoch: hidden %s, %s/%s",
             cli_model_name(o->t.data.rows), layers, ar_activation_name(c->activation),
             ar_activation_name(c->out_activation));
    ar_status st = cli_curves_finish(&r->curves, title, r->data.desc);
    if (st != AR_OK) return st;
    printf("test RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f after %d epochs (%.1f s training "
           "on %s)\n", r->last.test_rmse, r->last.test_mae, r->last.train_rmse,
           r->last.train_mae, r->last.epoch, r->seconds, ar_ctx_device(r->ctx)->name);
    if (has_valid)
        printf("selected on validation: epoch %d, valid RMSE %.4f, test RMSE %.4f MAE %.4f%s\n",
               r->sel.epoch, r->sel.best_valid, r->sel.test, r->sel.test_mae,
               r->sel.stopped_early ? " (stopped early: --patience)" : "");
    cli_baselines_text(stdout, &r->base);
    if (o->t.json) print_json(r);
    if (o->save && !has_valid && (st = ar_model_save(r->m, o->save)) != AR_OK)
        return cli_for_option("--save", st);
    if ((st = cli_curves_publish(&r->curves)) != AR_OK) return st;
    if (o->save && !o->t.quiet)
        fprintf(stderr, "saved: %s (%s)\n", o->save, has_valid ? "the best-validation epoch" :
                "the last epoch");
    return AR_OK;
}

static ar_status run_train(const cli_command *self, void *opts, const cli_parsed *p) {
    train_opts *o = opts;
    train_run r = {.o = o};
    ar_status st = cli_train_opts_check(self, p, &o->t);
    if (st == AR_OK && o->resume) st = open_resume(self, p, o, &r);
    if (st == AR_OK) st = start(&r);
    if (st == AR_OK) {
        r.tty = isatty(fileno(stderr)) && !o->t.quiet;
        if (!o->t.quiet) print_setup(&r);
        st = train_epochs(&r);
    }
    if (st == AR_OK) st = finish(&r);
    ar_checkpoint_free(r.ck);
    cli_curves_free(&r.curves);
    ar_model_free(r.m);
    ar_ctx_free(r.ctx);
    ar_dataset_free(r.ds);
    cli_data_free(&r.data);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option output_options[] = {
    {.name = "--metrics", .meta = "FILE.csv", .kind = CLI_STRING,
     .at = offsetof(train_opts, metrics),
     .help = "write one row per epoch: epoch, loss, train_rmse, valid_rmse, test_rmse, "
             "epoch_seconds, eval_seconds, train_mae, valid_mae, test_mae (an empty field: no "
             "value, e.g. valid_rmse without --valid-ratio). The rows go to FILE.csv.tmp-PID-XXXXXX next to it as each epoch "
             "ends (follow it with tail -f; its name is printed), renamed to FILE.csv when the "
             "run succeeds"},
    {.name = "--plot", .meta = "FILE.svg", .kind = CLI_STRING, .at = offsetof(train_opts, plot),
     .help = "draw the train / validation / test RMSE curves as an SVG at the end (also after "
             "--patience stops early)"},
    {.name = "--save", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(train_opts, save),
     .help = "write the model to FILE (with --valid-ratio: the best-validation epoch's, "
             "rewritten whenever validation improves; else the last)"},
    {.name = "--resume", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(train_opts, resume),
     .help = "continue a saved model up to --epochs in total; its settings (--hidden, --lr, "
             "...) and seed come from the file (given again, a setting must equal the file's); "
             "give the same data options (and another --save file: an input is never "
             "overwritten)"},
};
static const cli_group output_group = CLI_GROUP(
    "output files", output_options,
    "Output files are checked before any data is loaded, and again against the files loading "
    "found: a path that cannot be written, that is not a regular file (a directory, a device, a "
    "FIFO), or that is a file the run reads or another output exits 2. Each is written to a "
    "temporary next to it (FILE.tmp-PID-XXXXXX) and renamed over it when complete, through a "
    "symbolic link to its target; a run that fails (bad data, unknown device, a full disk) "
    "removes its temporaries and leaves every existing file as it was.");

static const cli_use train_groups[] = {
    {&cli_training, offsetof(train_opts, t)},
    {&cli_run, offsetof(train_opts, t)},
    {&output_group, 0},
    CLI_DATA_GROUPS(offsetof(train_opts, t.data)),
};

static void train_defaults(void *o) { cli_train_opts_default(&((train_opts *)o)->t); }

const cli_command cli_cmd_train = {
    .name = "train",
    .summary = "train AutoRec (I- or U-AutoRec) and report train / test RMSE per epoch",
    .usage = "autorec train [data] [options]",
    .about = "Trains AutoRec, item-based (I-AutoRec, the default) or user-based (--model user), "
             "and prints train (validation) and test RMSE and MAE after every epoch; the summary "
             "sets them against two baselines scored alike: the training mean and a regularised "
             "user + item bias model.",
    CLI_USES(train_groups),
    .size = sizeof(train_opts),
    .defaults = train_defaults,
    .run = run_train,
};
