/* train_opts.c - the training options shared by train, bench and sweep: the model and its
 * training (ar_train_config), early stopping, the device and the output flags; their defaults,
 * table, the check after parsing, the hidden-layer list syntax ("500,250,500"), and what train
 * and sweep both print per epoch and when a run stops. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TRAIN(field) offsetof(cli_train_opts, field)

void cli_train_opts_default(cli_train_opts *o) {
    memset(o, 0, sizeof *o);
    cli_data_opts_default(&o->data);
    ar_train_config_default(&o->cfg);
}

const char *cli_model_name(int rows) { return rows == AR_ROWS_USERS ? "U-AutoRec" : "I-AutoRec"; }

int cli_parse_layers(const char *s, ar_train_config *cfg) {
    int w[AR_MAX_HIDDEN_LAYERS], n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char num[32];
        long long v;
        if (len >= sizeof num || n == AR_MAX_HIDDEN_LAYERS) return 0;
        memcpy(num, p, len);
        num[len] = 0;
        if (!cli_parse_int(num, 1, 1000000, &v)) return 0;
        w[n++] = (int)v;
        if (!comma) break;
        p = comma + 1;
    }
    cfg->hidden = w[0];
    cfg->n_layers = n > 1 ? n : 0;
    for (int k = 0; k < n; k++) cfg->layers[k] = n > 1 ? w[k] : 0;
    return 1;
}

void cli_format_layers(const ar_train_config *cfg, char *buf, size_t cap) {
    if (cfg->n_layers == 0) {
        snprintf(buf, cap, "%d", cfg->hidden);
        return;
    }
    size_t off = 0;
    buf[0] = 0;
    for (int k = 0; k < cfg->n_layers && off < cap; k++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%d", k ? "," : "", cfg->layers[k]);
}

/* ---- readers of the library's settings ------------------------------------------------------ */

static ar_status read_hidden(const cli_option *o, const char *val, void *field) {
    if (!cli_parse_layers(val, field))
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects N or a list of up to %d layer sizes like "
                        "500,250,500 (each in 1..1000000), got '%s'", o->name,
                        AR_MAX_HIDDEN_LAYERS, val);
    return AR_OK;
}

static void show_hidden(const void *field, char *buf, size_t cap) {
    cli_format_layers(field, buf, cap);
}

static ar_status read_activation(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_activation_parse(val, field));
}

static void show_activation(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_activation_name(*(const ar_activation *)field));
}

static ar_status read_input_noise(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_input_noise_parse(val, field));
}

static void show_input_noise(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_input_noise_name(*(const ar_input_noise *)field));
}

static ar_status read_center(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_center_parse(val, field));
}

static void show_center(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_center_name(*(const ar_center *)field));
}

static ar_status read_kernels(const cli_option *o, const char *val, void *field) {
    return cli_library_value(o, ar_kernel_path_parse(val, field));
}

static void show_kernels(const void *field, char *buf, size_t cap) {
    snprintf(buf, cap, "%s", ar_kernel_path_name(*(const ar_kernel_path *)field));
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_choice noise_forms[] = {
    {"mask", AR_NOISE_MASK, "the kept ratings unchanged"},
    {"inverted", AR_NOISE_INVERTED, "the kept ratings scaled by 1/(1-P)"},
    {NULL, 0, NULL}};

static const cli_choice center_modes[] = {
    {"none", AR_CENTER_NONE, "the network alone: input and target are the ratings (the paper)"},
    {"bias", AR_CENTER_BIAS, "input the ratings, predict b(u,i) + output: the network learns "
                             "the residual from the bias baseline b = mu + b_u + b_i"},
    {"input", AR_CENTER_INPUT, "input and target both the residuals r - b(u,i); predict "
                               "b(u,i) + output"},
    {"auto", AR_CENTER_AUTO, "bias, then input from the same start, and keep the one with the "
                             "lower validation RMSE (twice the epochs; bias without a "
                             "validation set). bias wins on MovieLens, input where who rated "
                             "says little (docs/experiments.md)"},
    {NULL, 0, NULL}};

static const cli_choice kernel_paths[] = {
    {"dense", AR_KERNELS_DENSE, "densify each batch, CLBlast GEMMs over every entry"},
    {"sparse", AR_KERNELS_SPARSE, "the first layer from the observed ratings only and the "
                                  "outputs only at observed positions (cl/sparse.cl)"},
    {"auto", AR_KERNELS_AUTO, "sparse when at most 25% of the rating matrix is observed "
                              "(every MovieLens release), else dense"},
    {NULL, 0, NULL}};

static const cli_choice fallbacks[] = {
    {"baseline", 1, "the baseline alone (the network's output layer set to zero): the model is "
                    "never worse on validation than the baseline it is built on"},
    {"none", 0, "the best epoch, whatever it scores"},
    {NULL, 0, NULL}};

static const cli_choice lighter_modes[] = {
    {"try", 1, "after --center's run(s), one more from the same start with --l2 / 10 and "
               "--dropout / 2, kept when it validates better: the defaults suit noisy "
               "MovieLens-like data and underfit cleaner data (docs/experiments.md)"},
    {"off", 0, "--l2 and --dropout as given"},
    {NULL, 0, NULL}};

static const cli_choice tanh_modes[] = {
    {"try", 1, "after the runs above, one more from the same start with --activation tanh and "
               "--lr / 5, kept when it validates best: a zero-centred encoder fits centred "
               "ratings better where rows have few, clean ratings (docs/experiments.md); "
               "not tried when --activation is tanh already"},
    {"off", 0, "--activation and --lr as given"},
    {NULL, 0, NULL}};

static const cli_option training_options[] = {
    {.name = "--hidden", .meta = "N[,N...]", .kind = CLI_CUSTOM, .at = TRAIN(cfg),
     .parse = read_hidden, .show = show_hidden, .flags = CLI_FROM_MODEL,
     .setting = "ar_train_config.hidden ar_train_config.n_layers ar_train_config.layers",
     .help = "hidden units; a list such as 500,250,500 builds that stack of hidden layers (up "
             "to 8)"},
    {.name = "--epochs", .meta = "N", .kind = CLI_INT, .at = TRAIN(cfg.epochs), .min = 1,
     .max = 1000000, .setting = "ar_train_config.epochs",
     .help = "the most epochs to train; with a validation set --patience usually stops the run "
             "first"},
    {.name = "--batch", .meta = "N", .kind = CLI_INT, .at = TRAIN(cfg.batch), .min = 1,
     .max = 1000000, .flags = CLI_FROM_MODEL, .setting = "ar_train_config.batch",
     .help = "rows (items, or users with --model user) per mini-batch"},
    {.name = "--lr", .meta = "X", .kind = CLI_FLOAT, .at = TRAIN(cfg.lr), .flags = CLI_FROM_MODEL,
     .setting = "ar_train_config.lr", .help = "Adam learning rate of the first epoch"},
    {.name = "--lr-decay", .meta = "G", .kind = CLI_FLOAT, .at = TRAIN(cfg.lr_decay),
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.lr_decay",
     .help = "multiply the learning rate by G after every epoch, in (0, 1]; 1 keeps it "
             "constant"},
    {.name = "--l2", .meta = "X", .kind = CLI_FLOAT, .at = TRAIN(cfg.l2), .flags = CLI_FROM_MODEL,
     .setting = "ar_train_config.l2",
     .help = "L2 coefficient on the weight matrices W and V, added to the gradient of the "
             "masked mean squared error"},
    {.name = "--dropout", .meta = "P", .kind = CLI_FLOAT, .at = TRAIN(cfg.dropout),
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.dropout",
     .help = "dropout probability on the hidden layer"},
    {.name = "--input-dropout", .meta = "P", .kind = CLI_FLOAT, .at = TRAIN(cfg.input_dropout),
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.input_dropout",
     .help = "denoising: drop input ratings with probability P while training; the loss still "
             "counts them all"},
    {.name = "--input-noise", .meta = "FORM", .kind = CLI_CUSTOM, .at = TRAIN(cfg.input_noise),
     .parse = read_input_noise, .show = show_input_noise, .choices = noise_forms,
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.input_noise",
     .help = "what input dropout does to the ratings it keeps:"},
    {.name = "--activation", .meta = "NAME", .kind = CLI_CUSTOM, .at = TRAIN(cfg.activation),
     .parse = read_activation, .show = show_activation, .flags = CLI_FROM_MODEL,
     .setting = "ar_train_config.activation",
     .help = "encoder activation: sigmoid, relu, tanh, elu, selu or identity"},
    {.name = "--out-activation", .meta = "NAME", .kind = CLI_CUSTOM,
     .at = TRAIN(cfg.out_activation), .parse = read_activation, .show = show_activation,
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.out_activation",
     .help = "decoder activation: identity, sigmoid, relu, tanh, elu or selu"},
    {.name = "--center", .meta = "MODE", .kind = CLI_CUSTOM, .at = TRAIN(cfg.center),
     .parse = read_center, .show = show_center, .choices = center_modes,
     .flags = CLI_FROM_MODEL, .setting = "ar_train_config.center",
     .help = "put the network on top of the regularised user + item bias baseline b(u,i), "
             "fitted on the training ratings (stored in the model file):"},
    {.name = "--seed", .meta = "N", .kind = CLI_U64, .at = TRAIN(cfg.seed),
     .setting = "ar_train_config.seed",
     .help = "seeds weights, batch order, dropout and random splits"},
    {.name = "--kernels", .meta = "K", .kind = CLI_CUSTOM, .at = TRAIN(cfg.kernels),
     .parse = read_kernels, .show = show_kernels, .choices = kernel_paths,
     .setting = "ar_train_config.kernels", .help = "how the products are computed:"},
    {.name = "--patience", .meta = "N", .kind = CLI_INT, .at = TRAIN(cfg.patience), .min = 0,
     .max = 1000000, .setting = "ar_train_config.patience",
     .help = "with a validation set (--valid-ratio): stop when the validation RMSE has not "
             "improved (by --min-improvement) for N epochs; 0 trains all --epochs. The model "
             "kept is the best-validation epoch's either way"},
    {.name = "--min-improvement", .meta = "F", .kind = CLI_FLOAT, .at = TRAIN(cfg.min_improvement),
     .setting = "ar_train_config.min_improvement",
     .help = "for --patience: an epoch counts as an improvement when it lowers the validation "
             "RMSE by more than this fraction of the lowest before (a run that still creeps "
             "down by less has converged); 0: any lower RMSE counts"},
    {.name = "--lighter", .meta = "MODE", .kind = CLI_CHOICE, .at = TRAIN(cfg.try_lighter),
     .choices = lighter_modes, .setting = "ar_train_config.try_lighter",
     .help = "with a validation set: whether one more run, of the centering kept, tries lighter "
             "regularisation:"},
    {.name = "--tanh", .meta = "MODE", .kind = CLI_CHOICE, .at = TRAIN(cfg.try_tanh),
     .choices = tanh_modes, .setting = "ar_train_config.try_tanh",
     .help = "with a validation set: whether one more run, of the centering kept, tries a tanh "
             "encoder:"},
    {.name = "--fallback", .meta = "MODE", .kind = CLI_CHOICE, .at = TRAIN(cfg.baseline_fallback),
     .choices = fallbacks, .setting = "ar_train_config.baseline_fallback",
     .help = "with a validation set and --center bias or input: what is kept when no epoch "
             "beats the bias baseline on validation:"},
};
const cli_group cli_training = CLI_GROUP("model and training", training_options, NULL);

/* Named configurations. d2l: the AutoRec chapter of Dive into Deep Learning, the project's
 * seed; why its weight decay 1e-5 is --l2 3.5e-4 here, and what else differs: docs/seed.md. */
static const char *const d2l_args[] = {
    "--hidden", "500", "--activation", "sigmoid", "--out-activation", "identity",
    "--dropout", "0.05", "--input-dropout", "0", "--lr", "0.002", "--lr-decay", "1",
    "--l2", "3.5e-4", "--batch", "256", "--epochs", "100", "--valid-ratio", "0",
    "--model", "item", "--center", "none", "--lighter", "off", "--tanh", "off",
    NULL};
static const cli_preset train_presets[] = {
    {"d2l", "the I-AutoRec of Dive into Deep Learning (d2l.ai, 'AutoRec: Rating Prediction "
            "with Autoencoders'): Adam with weight decay 1e-5 (here --l2 3.5e-4, see "
            "docs/seed.md), constant learning rate, 100 epochs, no validation", d2l_args},
    {NULL, NULL, NULL}};

static const cli_option preset_options[] = {
    {.name = "--preset", .meta = "NAME", .kind = CLI_PRESET, .at = TRAIN(preset),
     .presets = train_presets,
     .help = "start from a named training configuration: options given on the command line "
             "override its values, wherever they stand (defaults < preset < --config file < "
             "command line). Not synth's --preset, which names a dataset shape:"},
};
const cli_group cli_train_preset = CLI_GROUP("preset", preset_options, NULL);

static const cli_option run_options[] = {
    {.name = "--device", .meta = "SPEC", .kind = CLI_STRING, .at = TRAIN(device),
     .help = CLI_DEVICE_HELP},
    {.name = "--json", .kind = CLI_FLAG, .at = TRAIN(json),
     .help = "print a JSON summary as the last line of stdout"},
    {.name = "--quiet", .kind = CLI_FLAG, .at = TRAIN(quiet),
     .help = "no per-epoch progress on stderr"},
    {.name = "--config", .meta = "FILE", .kind = CLI_CONFIG, .at = TRAIN(config),
     .help = "read settings from FILE, one 'key = value' per line, each key an option of this "
             "command without its '--' (lr = 0.001, lr-decay = 0.98, hidden = 500, a flag as "
             "json = true), '#' starting a comment; what 'autorec tune --out' writes. Options "
             "given on the command line override the file's; an unknown key or a bad value "
             "exits 2 naming FILE:LINE"},
};
const cli_group cli_run = CLI_GROUP("device and output", run_options, NULL);

/* ---- the check ------------------------------------------------------------------------------ */

ar_status cli_train_opts_check(const cli_command *cmd, const cli_parsed *p, cli_train_opts *o) {
    ar_status st = cli_data_check(cmd, p, &o->data);
    if (st != AR_OK) return st;
    if (cli_given(p, "--patience") && o->cfg.patience && o->data.valid_ratio <= 0)
        return cli_usage(cmd->name, "--patience needs a validation set: leave --valid-ratio at "
                         "its default or give one above 0 (the test set never chooses "
                         "anything)");
    if (ar_train_config_validate(&o->cfg) != AR_OK)
        return cli_usage(cmd->name, "%s", ar_last_error());
    return AR_OK;
}

/* ---- device lists (bench, tune) ----------------------------------------------------------- */

cli_mpi_info cli_mpi = {0, 1, 0}; /* set by main.c under mpirun */

ar_status cli_mpi_context(const cli_command *cmd, const char *device, ar_ctx **out) {
    cli_devices d;
    ar_status st = cli_device_specs(cmd, device, &d);
    char idx[16];
    const char *spec = d.n ? d.spec[cli_mpi.rank % d.n] : NULL;
    if (st == AR_OK && !device && !getenv("AUTOREC_DEVICE")) {
        ar_platform_info *pl = NULL;
        ar_device_info *dv = NULL;
        int np = 0, nd = 0, gpus = 0;
        st = ar_devices_list(&pl, &np, &dv, &nd);
        for (int k = 0; k < nd; k++) gpus += !strcmp(dv[k].type, "gpu");
        for (int k = 0, seen = 0; st == AR_OK && k < nd; k++)
            if (!gpus || !strcmp(dv[k].type, "gpu"))
                if (seen++ == cli_mpi.local_rank % (gpus ? gpus : nd))
                    snprintf(idx, sizeof idx, "%d", k), spec = idx;
        free(pl);
        free(dv);
    }
    if (st == AR_OK) st = ar_ctx_create(spec, out);
    cli_devices_free(&d);
    return st;
}

ar_status cli_device_specs(const cli_command *cmd, const char *device, cli_devices *d) {
    memset(d, 0, sizeof *d);
    if (!device) {
        d->spec[d->n++] = NULL; /* AUTOREC_DEVICE, else the default device */
        return AR_OK;
    }
    if (!strcmp(device, "all")) {
        ar_platform_info *pl = NULL;
        ar_device_info *dv = NULL;
        int np = 0, nd = 0;
        ar_status st = ar_devices_list(&pl, &np, &dv, &nd);
        for (int i = 0; st == AR_OK && i < nd && i < CLI_MAX_DEVICES; i++) {
            snprintf(d->idx[i], sizeof d->idx[i], "%d", i);
            d->spec[d->n++] = d->idx[i];
        }
        free(pl);
        free(dv);
        return st;
    }
    if (!(d->list = strdup(device))) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (char *t = strtok(d->list, ","); t && d->n < CLI_MAX_DEVICES; t = strtok(NULL, ","))
        d->spec[d->n++] = t;
    return d->n ? AR_OK : cli_usage(cmd->name, "--device lists no device");
}

void cli_devices_free(cli_devices *d) {
    free(d->list);
    memset(d, 0, sizeof *d);
}

/* ---- progress, shared by train and sweep ---------------------------------------------------- */

void cli_progress(int tty, const char *prefix, const ar_epoch_stats *s, int epochs,
                  int has_valid, int with_loss) {
    char loss[32] = "", valid[64] = "";
    if (with_loss) snprintf(loss, sizeof loss, "  loss %.4f", s->loss);
    if (has_valid)
        snprintf(valid, sizeof valid, "  valid RMSE %.4f MAE %.4f", s->valid_rmse, s->valid_mae);
    fprintf(stderr, "%s%sepoch %3d/%d%s  train RMSE %.4f MAE %.4f%s  test RMSE %.4f MAE %.4f  "
            "%.2fs%s", tty ? "\r" : "", prefix, s->epoch, epochs, loss, s->train_rmse,
            s->train_mae, valid, s->test_rmse, s->test_mae, s->epoch_seconds,
            tty ? cli_progress_epoch_end() : "\n");
}

void cli_progress_stop(const char *prefix, const ar_train_result *r, int patience, int epochs) {
    if (r->stop == AR_STOP_PATIENCE)
        fprintf(stderr, "%sstopped after epoch %d: the validation RMSE has not improved for %d "
                "epochs (--patience %d)", prefix, r->last_epoch, patience, patience);
    else if (r->stop == AR_STOP_CONVERGED)
        fprintf(stderr, "%sstopped after epoch %d: converged, the validation RMSE has improved "
                "by less than --min-improvement in %d epochs (--patience %d)", prefix,
                r->last_epoch, patience, patience);
    else
        fprintf(stderr, "%sstopped after epoch %d: the budget of --epochs %d is spent", prefix,
                r->last_epoch, epochs);
    if (r->baseline_kept)
        fprintf(stderr, "; no epoch beat the bias baseline on validation (epoch %d: valid RMSE "
                "%.4f), keeping the baseline alone (valid RMSE %.4f MAE %.4f, test RMSE %.4f "
                "MAE %.4f; --fallback)\n", r->network_epoch, r->network_valid_rmse,
                r->selected.valid_rmse, r->selected.valid_mae, r->selected.test_rmse,
                r->selected.test_mae);
    else
    fprintf(stderr, "; keeping epoch %d (valid RMSE %.4f MAE %.4f, test RMSE %.4f MAE %.4f)\n",
            r->selected_epoch, r->selected.valid_rmse, r->selected.valid_mae,
            r->selected.test_rmse, r->selected.test_mae);
}

void cli_run_switch(int tty, const ar_train_result *prev, const ar_train_result *next,
                    const ar_train_config *now) {
    fprintf(stderr, "%sthe %s run's lowest validation RMSE is %.4f, at epoch %d of %d; now the "
            "%s run", tty ? "\n" : "", cli_run_name(prev->center, prev->lighter, prev->tanh_run),
            prev->selected.valid_rmse, prev->selected_epoch, prev->last_epoch,
            cli_run_name(next->center, next->lighter, next->tanh_run));
    if (next->lighter)
        fprintf(stderr, " (--l2 %g --dropout %g)", (double)now->l2, (double)now->dropout);
    if (next->tanh_run)
        fprintf(stderr, " (--activation %s --lr %g)", ar_activation_name(now->activation),
                (double)now->lr);
    fprintf(stderr, ", from the same initial weights\n");
}

void cli_runs_kept(const ar_train_result *r, int center_auto, int try_lighter, int try_tanh) {
    if (center_auto) {
        const int k = r->center == AR_CENTER_INPUT;
        fprintf(stderr, "center auto: the %s run (validation RMSE %.4f at epoch %d) beat the %s "
                "run (%.4f at epoch %d)\n", ar_center_name(k ? AR_CENTER_INPUT : AR_CENTER_BIAS),
                r->auto_valid_rmse[k], r->auto_epoch[k], k ? "bias" : "input",
                r->auto_valid_rmse[!k], r->auto_epoch[!k]);
    }
    /* each line compares one more run with what ran before it; the last one run says what
     * is kept (then --fallback may still keep the baseline: progress_stop's line) */
    const double given = r->given_valid_rmse, light = r->lighter_valid_rmse;
    if (try_lighter && light < given)
        fprintf(stderr, "lighter: the lighter run (validation RMSE %.4f at epoch %d) beat the "
                "regularisation given (%.4f)\n", light, r->lighter_epoch, given);
    else if (try_lighter)
        fprintf(stderr, "lighter: the regularisation given (validation RMSE %.4f) beat the "
                "lighter run (%.4f at epoch %d)\n", given, light, r->lighter_epoch);
    if (try_tanh) {
        const double other = try_lighter && light < given ? light : given;
        const char *which = try_lighter && light < given ? "the lighter run" : "the encoder given";
        if (r->tanh_run)
            fprintf(stderr, "tanh: the tanh run (validation RMSE %.4f at epoch %d) beat %s "
                    "(%.4f)\n", r->tanh_valid_rmse, r->tanh_epoch, which, other);
        else
            fprintf(stderr, "tanh: %s (validation RMSE %.4f) beat the tanh run (%.4f at epoch "
                    "%d)\n", which, other, r->tanh_valid_rmse, r->tanh_epoch);
    }
}
