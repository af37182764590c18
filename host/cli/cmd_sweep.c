/* cmd_sweep.c - `autorec sweep`: trains the same set-up once per value of one parameter (hidden
 * size, hidden layers, activation pair) and tabulates (stdout, --out CSV, --json) and plots
 * (--plot SVG) the RMSEs against it. Every value is checked before anything is trained. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef enum { P_HIDDEN, P_LAYERS, P_ACTIVATION } sweep_param;
static const char *const param_names[] = {"hidden", "layers", "activation"};

typedef struct {
    cli_train_opts t;
    int param;               /* --param: a sweep_param */
    const char *values;      /* --values LIST */
    const char *out, *plot;  /* --out FILE.csv, --plot FILE.svg */
} sweep_opts;

typedef struct {
    const char *label;       /* the value as given (points into the list's copy) */
    ar_train_config cfg;     /* the base configuration with the value applied */
} sweep_value;

/* A value's run (as train's): the last epoch's RMSEs and the selected one's. */
typedef struct {
    double train, test, seconds; /* the last epoch's RMSEs; training seconds */
    double train_mae, test_mae;  /* the last epoch's MAEs */
    int epochs;
    double best_valid;       /* the selected epoch's validation RMSE; NaN without a set */
    double sel_test;         /* its test RMSE */
    double sel_test_mae;     /* and MAE */
    int sel_epoch;
    int stopped_early;       /* the stop rule ended the run (patience or converged) */
    ar_activation activation;/* the encoder of the run kept (train's --tanh try may change it) */
    int tanh_run;            /* that run was --tanh try's */
} sweep_result;

/* What a value's epochs report to (ar_model_train's callback). */
typedef struct {
    const cli_train_opts *o;
    const char *prefix;
    int tty, epochs, has_valid;
    double seconds;
} sweep_progress;

/* ---- values --------------------------------------------------------------------------------- */

static ar_status value_hidden(const char *v, ar_train_config *cfg) {
    long long n;
    if (!cli_parse_int(v, 1, 1000000, &n))
        return cli_usage("sweep", "--values: '%s' is not a hidden size (an integer in "
                         "1..1000000)", v);
    cfg->hidden = (int)n;
    return AR_OK;
}

/* "enc/dec" or "enc" (the decoder stays the base configuration's). */
static ar_status value_activation(const char *v, ar_train_config *cfg) {
    char enc[64], *dec = NULL;
    int ok = strlen(v) < sizeof enc;
    if (ok) {
        strcpy(enc, v);
        if ((dec = strchr(enc, '/'))) *dec++ = 0;
        ok = !dec || !strchr(dec, '/');
    }
    if (!ok || ar_activation_parse(enc, &cfg->activation) != AR_OK ||
        (dec && ar_activation_parse(dec, &cfg->out_activation) != AR_OK))
        return cli_usage("sweep", "--values: '%s' is not an activation pair: expected ENC or "
                         "ENC/DEC with names sigmoid, relu, tanh, elu, selu, identity", v);
    return AR_OK;
}

/* Comma-separated hidden layer sizes, e.g. 500,250,500. */
static ar_status value_layers(const char *v, ar_train_config *cfg) {
    if (!cli_parse_layers(v, cfg))
        return cli_usage("sweep", "--values: '%s' is not a list of hidden layer sizes (up to 8 "
                         "integers in 1..1000000 separated by ',')", v);
    return AR_OK;
}

/* Splits list (modified in place) into values and applies each to a copy of base; every value
 * is checked here, before any training. *out (caller frees) gets *n values. */
static ar_status parse_values(sweep_param param, char *list, const ar_train_config *base,
                              sweep_value **out, int *n) {
    const char *seps = param == P_LAYERS ? ";/" : ",";
    int cap = 1, k = 0;
    for (const char *p = list; *p; p++) cap += strchr(seps, *p) != NULL;
    sweep_value *v = calloc((size_t)cap, sizeof *v);
    ar_status st = v ? AR_OK : cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (char *p = list; st == AR_OK; p++) {
        size_t len = strcspn(p, seps);
        int last = p[len] == 0;
        p[len] = 0;
        v[k].label = p;
        v[k].cfg = *base;
        if (!*p) st = cli_usage("sweep", "--values has an empty value (two separators in a row, "
                                "or one at an end)");
        else if (param == P_HIDDEN) st = value_hidden(p, &v[k].cfg);
        else if (param == P_ACTIVATION) { /* each value trains the encoder it names */
            st = value_activation(p, &v[k].cfg);
            v[k].cfg.try_tanh = 0;
        }
        else st = value_layers(p, &v[k].cfg);
        if (st == AR_OK && ar_train_config_validate(&v[k].cfg) != AR_OK)
            st = cli_usage("sweep", "--values: '%s' is not a valid setting: %s", p,
                           ar_last_error());
        k++;
        if (last) break;
        p += len;
    }
    if (st != AR_OK) {
        free(v);
        return st;
    }
    *out = v;
    *n = k;
    return AR_OK;
}

/* ---- training and the table ----------------------------------------------------------------- */

static ar_status on_epoch(void *user, const ar_epoch_stats *s, const ar_train_result *res) {
    sweep_progress *p = user;
    (void)res;
    p->seconds += s->epoch_seconds;
    if (!p->o->quiet) cli_progress(p->tty, p->prefix, s, p->epochs, p->has_valid, 0);
    return AR_OK;
}

/* Trains one value like `autorec train` does (selection on validation, --patience). */
static ar_status run_value(ar_ctx *ctx, const ar_dataset *ds, const cli_train_opts *o,
                           const sweep_value *v, const char *param, int has_valid,
                           sweep_result *r) {
    ar_model *m = NULL;
    ar_train_result res;
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s %.100s: ", param, v->label);
    sweep_progress p = {.o = o, .prefix = prefix, .tty = isatty(fileno(stderr)) && !o->quiet,
                        .epochs = v->cfg.epochs, .has_valid = has_valid};
    ar_status st = ar_model_create(ctx, ds, &v->cfg, &m);
    if (st == AR_OK) st = cli_train_watched(m, p.tty, prefix, on_epoch, &p, &res);
    const ar_activation kept = st == AR_OK ? ar_model_config(m)->activation : v->cfg.activation;
    ar_model_free(m);
    if (st != AR_OK) return st;
    if (has_valid && !o->quiet) cli_progress_stop(prefix, &res, v->cfg.patience, v->cfg.epochs);
    *r = (sweep_result){.train = res.last.train_rmse, .test = res.last.test_rmse,
                        .train_mae = res.last.train_mae, .test_mae = res.last.test_mae,
                        .seconds = p.seconds, .epochs = res.last_epoch, .best_valid = NAN,
                        .sel_test = NAN, .sel_test_mae = NAN,
                        .stopped_early = res.stop != AR_STOP_EPOCHS, .activation = kept,
                        .tanh_run = res.tanh_run};
    if (has_valid) {
        r->best_valid = res.selected.valid_rmse;
        r->sel_test = res.selected.test_rmse;
        r->sel_test_mae = res.selected.test_mae;
        r->sel_epoch = res.selected_epoch;
    }
    return AR_OK;
}

/* A number column, "-" when there is none (no validation set). */
static void print_num(double v, int width, int prec) {
    if (isfinite(v)) printf(" %*.*f", width, prec, v);
    else printf(" %*s", width, "-");
}

static void print_row(const char *param, const sweep_value *v, const sweep_result *r, int json) {
    const int has_sel = isfinite(r->best_valid);
    if (json) {
        printf("{\"param\":\"%s\",\"value\":", param);
        cli_json_string(stdout, v->label);
        printf(",\"hidden\":%d,\"activation\":\"%s\",\"out_activation\":\"%s\",\"tanh\":%s",
               v->cfg.hidden, ar_activation_name(r->activation),
               ar_activation_name(v->cfg.out_activation), r->tanh_run ? "true" : "false");
        cli_json_number(stdout, "test_rmse", r->test);
        cli_json_number(stdout, "train_rmse", r->train);
        cli_json_number(stdout, "test_mae", r->test_mae);
        cli_json_number(stdout, "train_mae", r->train_mae);
        cli_json_number(stdout, "best_valid_rmse", r->best_valid);
        if (has_sel) printf(",\"selected_epoch\":%d,\"kept\":\"%s\"", r->sel_epoch,
                            r->sel_epoch ? "network" : "baseline");
        cli_json_number(stdout, "selected_test_rmse", r->sel_test);
        cli_json_number(stdout, "selected_test_mae", r->sel_test_mae);
        printf(",\"epochs\":%d,\"stopped_early\":%s", r->epochs,
               r->stopped_early ? "true" : "false");
        cli_json_number(stdout, "seconds", r->seconds);
        printf("}\n");
    } else {
        printf("%-20s", v->label);
        print_num(r->test, 10, 4);
        print_num(r->test_mae, 9, 4);
        print_num(r->best_valid, 10, 4);
        if (has_sel) printf(" %9d", r->sel_epoch);
        else printf(" %9s", "-");
        print_num(r->sel_test, 10, 4);
        print_num(r->sel_test_mae, 9, 4);
        printf(" %6d", r->epochs);
        print_num(r->seconds, 9, 2);
        printf("\n");
    }
    fflush(stdout);
}

static void csv_row(FILE *f, const sweep_value *v, const sweep_result *r) {
    cli_csv_text(f, v->label);
    cli_csv_number(f, r->test);
    cli_csv_number(f, r->test_mae);
    cli_csv_number(f, r->best_valid);
    if (isfinite(r->best_valid)) fprintf(f, ",%d", r->sel_epoch);
    else fputc(',', f);
    cli_csv_number(f, r->sel_test);
    cli_csv_number(f, r->sel_test_mae);
    fprintf(f, ",%d", r->epochs);
    cli_csv_number(f, r->seconds);
    fputc('\n', f);
}

/* ---- the plot ------------------------------------------------------------------------------- */

static const sweep_value *sort_values;
static int by_hidden(const void *a, const void *b) {
    int x = sort_values[*(const int *)a].cfg.hidden, y = sort_values[*(const int *)b].cfg.hidden;
    return (x > y) - (x < y);
}

/* RMSE against the values: numeric x (sorted) for hidden sizes, one category per value
 * otherwise, in the order given. */
static ar_status sweep_plot(cli_out *out, const char *path, sweep_param param,
                            const sweep_value *v, const sweep_result *r, int n, int has_valid,
                            const char *subtitle) {
    int *ord = malloc((size_t)n * sizeof *ord);
    double *buf = malloc((size_t)n * 4 * sizeof *buf);
    const char **cats = malloc((size_t)n * sizeof *cats);
    if (!ord || !buf || !cats) {
        free(ord), free(buf), free(cats);
        return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int i = 0; i < n; i++) ord[i] = i;
    if (param == P_HIDDEN) {
        sort_values = v;
        qsort(ord, (size_t)n, sizeof *ord, by_hidden);
    }
    double *x = buf, *test = buf + n, *valid = buf + 2 * n, *sel = buf + 3 * n;
    for (int i = 0; i < n; i++) {
        int k = ord[i];
        x[i] = param == P_HIDDEN ? v[k].cfg.hidden : i;
        test[i] = r[k].test, valid[i] = r[k].best_valid, sel[i] = r[k].sel_test;
        cats[i] = v[k].label;
    }
    cli_plot_series s[3] = {{"final test RMSE", x, test, n}};
    int ns = 1;
    if (has_valid) {
        s[ns++] = (cli_plot_series){"best validation RMSE", x, valid, n};
        s[ns++] = (cli_plot_series){"test RMSE at the selected epoch", x, sel, n};
    }
    static const char *const xlabels[] = {"hidden units", "hidden layers",
                                          "activation (encoder/decoder)"};
    char title[128];
    snprintf(title, sizeof title, "AutoRec sweep: RMSE against %s", param_names[param]);
    cli_plot p = {.title = title, .subtitle = subtitle, .x_label = xlabels[param],
                  .y_label = "RMSE", .series = s, .n_series = ns, .markers = 1,
                  .x_integer = param == P_HIDDEN};
    if (param != P_HIDDEN) p.categories = cats, p.n_categories = n;
    ar_status st = cli_plot_open(out, "--plot", path, &p);
    free(ord), free(buf), free(cats);
    return st;
}

/* ---- the command ---------------------------------------------------------------------------- */

/* The files a sweep reads and writes: --out's table, written row by row into its temporary,
 * and --plot, both published at the end. */
typedef struct {
    cli_files files;
    cli_out csv, plot;
} sweep_files;

/* Trains every value, printing (and writing to the CSV) each row as it finishes; then the
 * plot, and both files are published. */
static ar_status sweep_all(const sweep_opts *o, const sweep_value *v, int n, sweep_files *out,
                           sweep_result *res) {
    const cli_train_opts *t = &o->t;
    const char *pname = param_names[o->param];
    FILE *csv = out->csv.f;
    cli_data data = {0};
    ar_dataset *ds = NULL;
    ar_ctx *ctx = NULL;
    ar_status st = cli_data_load(&t->data, t->cfg.seed, t->quiet, &data);
    if (st == AR_OK) cli_files_data(&out->files, &data);
    if (st == AR_OK) st = cli_files_check(&out->files);
    if (st == AR_OK)
        st = ar_dataset_create_ex(data.train, data.valid, data.test, t->data.rows, &ds);
    if (st == AR_OK) st = ar_ctx_create(t->device, &ctx);
    ar_dataset_stats ss = {0};
    if (st == AR_OK) ar_dataset_get_stats(ds, &ss);
    if (st == AR_OK && !t->quiet)
        fprintf(stderr, "data: %s\ndevice: %s\n", data.desc, ar_ctx_device(ctx)->name);
    if (st == AR_OK && csv) {
        fprintf(csv, "%s,test_rmse,test_mae,best_valid_rmse,selected_epoch,selected_test_rmse,"
                "selected_test_mae,epochs,seconds\n", pname);
        st = cli_out_flush(&out->csv);
    }
    if (st == AR_OK && !t->json)
        printf("%-20s %10s %9s %10s %9s %10s %9s %6s %9s\n", pname, "test_RMSE", "test_MAE",
               "best_valid", "sel_epoch", "sel_test", "sel_MAE", "epochs", "seconds");
    for (int i = 0; st == AR_OK && i < n; i++) {
        if ((st = run_value(ctx, ds, t, &v[i], pname, ss.n_valid > 0, &res[i])) != AR_OK) {
            st = cli_fail(st, "%s %s: %s", pname, v[i].label, cli_message());
            break;
        }
        print_row(pname, &v[i], &res[i], t->json);
        if (csv) {
            csv_row(csv, &v[i], &res[i]);
            st = cli_out_flush(&out->csv);
        }
    }
    if (st == AR_OK && o->plot)
        st = sweep_plot(&out->plot, o->plot, o->param, v, res, n, ss.n_valid > 0, data.desc);
    cli_out *outs[2] = {&out->plot, &out->csv};
    if (st == AR_OK) st = cli_outs_commit(outs, 2);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    cli_data_free(&data);
    return st;
}

static ar_status run_sweep(const cli_command *self, void *opts, const cli_parsed *p) {
    sweep_opts *o = opts;
    ar_status st;
    if ((st = cli_train_opts_check(self, p, &o->t)) != AR_OK) return st;
    char *list = strdup(o->values);
    sweep_value *v = NULL;
    sweep_result *res = NULL;
    sweep_files out = {0};
    int n = 0;
    st = list ? AR_OK : cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK) st = parse_values(o->param, list, &o->t.cfg, &v, &n);
    cli_files_out(&out.files, "--out", o->out);
    cli_files_out(&out.files, "--plot", o->plot);
    cli_files_configs(&out.files, p);
    cli_files_data_opts(&out.files, &o->t.data);
    if (st == AR_OK) st = cli_files_check(&out.files);
    if (st == AR_OK && o->out) st = cli_out_open(&out.csv, "--out", o->out);
    if (st == AR_OK && !(res = calloc((size_t)n, sizeof *res)))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK) st = sweep_all(o, v, n, &out, res);
    cli_out_abort(&out.csv);
    cli_out_abort(&out.plot);
    free(res);
    free(v);
    free(list);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_choice params[] = {
    {"hidden", P_HIDDEN, "hidden units, e.g. --values 100,250,500,1000"},
    {"layers", P_LAYERS, "hidden layer sizes, values separated by ';' or '/', sizes within a "
                         "value by ',', e.g. --values '500;500,500;500,250,500' (the seed's "
                         "extra hidden layers exercise)"},
    {"activation", P_ACTIVATION, "encoder/decoder pairs, e.g. --values "
                                 "sigmoid/identity,relu/identity,elu/selu; a single name is "
                                 "the encoder with the decoder of --out-activation (train's "
                                 "--tanh try is off: each value trains the encoder it names)"},
    {NULL, 0, NULL}};

#define SWEEP(field) offsetof(sweep_opts, field)

static const cli_option sweep_options[] = {
    {.name = "--param", .meta = "NAME", .kind = CLI_CHOICE, .at = SWEEP(param), .choices = params,
     .flags = CLI_REQUIRED | CLI_NO_DEFAULT, .help = "what to vary:"},
    {.name = "--values", .meta = "LIST", .kind = CLI_STRING, .at = SWEEP(values),
     .flags = CLI_REQUIRED | CLI_NONEMPTY,
     .help = "the values, separated by ',' (';' or '/' for layers)"},
    {.name = "--out", .meta = "FILE.csv", .kind = CLI_STRING, .at = SWEEP(out),
     .help = "also write the table as CSV, one row per value as it finishes: "
             "PARAM,test_rmse,test_mae,best_valid_rmse,selected_epoch,selected_test_rmse,"
             "selected_test_mae,epochs,seconds (empty fields without a validation set; selected_epoch 0: "
             "the bias baseline alone was kept, see train's --fallback); the rows go to FILE.csv.tmp-PID-XXXXXX "
             "next to it (tail -f), renamed to FILE.csv at the end"},
    {.name = "--plot", .meta = "FILE.svg", .kind = CLI_STRING, .at = SWEEP(plot),
     .help = "draw the final test RMSE (and the best validation RMSE and the selected test "
             "RMSE) against the values as an SVG"},
    {.name = "--json", .kind = CLI_FLAG, .at = SWEEP(t.json),
     .help = "one JSON object per value instead of the table"},
};
static const cli_group sweep_group = CLI_GROUP(
    "sweep", sweep_options,
    "Every value is checked before anything is trained (a bad one exits 2), and so are the "
    "output paths, as train's (see 'autorec train --help'). A flag for the swept parameter is "
    "overridden by each value.");

static const cli_use sweep_groups[] = {
    {&sweep_group, 0},
    CLI_TRAIN_GROUPS(offsetof(sweep_opts, t)),
};

static void sweep_defaults(void *opts) { cli_train_opts_default(&((sweep_opts *)opts)->t); }

const cli_command cli_cmd_sweep = {
    .name = "sweep",
    .summary = "train once per value of hidden, layers or activation; table and plot",
    .usage = "autorec sweep --param hidden|layers|activation --values LIST [--out FILE.csv]\n"
             "                     [--plot FILE.svg] [data] [training flags]",
    .about = "Trains the same set-up once per value of one parameter (same data, split, seed "
             "and device) and trains each as 'autorec train' does (by default on a validation "
             "set carved out of the training ratings, stopped by --patience), and prints one "
             "row per value: the last epoch's test RMSE and MAE, and with a validation set the "
             "best validation RMSE, the epoch it selects and the test RMSE and MAE at that epoch "
             "(what train reports), the epochs run and the training seconds.",
    CLI_USES(sweep_groups),
    .size = sizeof(sweep_opts),
    .defaults = sweep_defaults,
    .run = run_sweep,
};
