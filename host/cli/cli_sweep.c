/* cli_sweep.c - experiment outputs: train's per-epoch metrics and curves (--metrics, --plot),
 * and `autorec sweep`, which trains the same set-up once per value of one parameter (hidden
 * size, hidden layers, activation pair) and tabulates and plots the RMSEs against it. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>

#include "cli.h"
#include "svg.h"

/* ---- shared helpers ------------------------------------------------------------------------- */

int cli_take_option(int *argc, char **argv, const char *name, const char **val,
                    const char *cmd) {
    size_t n = strlen(name);
    int w = 0;
    *val = NULL;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        if (!strncmp(a, name, n) && a[n] == '=') {
            *val = a + n + 1;
        } else if (!strcmp(a, name)) {
            if (i + 1 >= *argc) return cli_usage_error(cmd, "option %s needs a value", name);
            *val = argv[++i];
        } else {
            argv[w++] = argv[i];
        }
    }
    *argc = w;
    return -1;
}

/* A usage error with a printf-style message; returns EXIT_USAGE. */
static int usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const char *cmd, const char *fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return cli_usage_error(cmd, "%s", buf);
}

/* "autorec: error: OPTION: cannot write 'PATH': REASON"; returns code. */
static int write_error(const char *option, const char *path, int err, int code) {
    if (path) fprintf(stderr, "autorec: error: %s: cannot write '%s': %s\n", option, path,
                      strerror(err));
    else fprintf(stderr, "autorec: error: %s: %s\n", option, cli_svg_error());
    return code;
}

/* Opens a CSV for writing after checking that the SVG path (if any) can be written, so a bad
 * path stops the command before any work and an early failure leaves no stray CSV. */
static int open_outputs(const char *csv_opt, const char *csv_path, const char *plot_opt,
                        const char *plot_path, FILE **csv) {
    *csv = NULL;
    if (plot_path && cli_check_writable(plot_path) != 0)
        return write_error(plot_opt, NULL, 0, EXIT_USAGE);
    if (csv_path && !(*csv = fopen(csv_path, "w")))
        return write_error(csv_opt, csv_path, errno, EXIT_USAGE);
    return -1;
}

/* ",value" with an empty field for NaN (no validation set, no test set). */
static void csv_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputc(',', f);
}

/* A CSV field, quoted when it holds a comma or quote (layer lists like 500,250). */
static void csv_text(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Flushes a row so that a long run can be watched (tail -f); returns -1 or an exit code. */
static int csv_flush(FILE *f, const char *option, const char *path) {
    if (fflush(f) != 0 || ferror(f))
        return write_error(option, path, errno ? errno : EIO, EXIT_FAIL);
    return -1;
}

static int any_finite(const double *v, int n) {
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) return 1;
    return 0;
}

static int plot_or_fail(const char *option, const char *path, const cli_plot *p) {
    if (cli_svg_write(path, p) != 0) return write_error(option, NULL, 0, EXIT_FAIL);
    return -1;
}

/* ---- train --metrics / --plot --------------------------------------------------------------- */

int cli_curves_open(cli_curves *c, const char *metrics, const char *plot) {
    memset(c, 0, sizeof *c);
    c->csv_path = metrics;
    c->plot_path = plot;
    int rc = open_outputs("--metrics", metrics, "--plot", plot, &c->csv);
    if (rc >= 0 || !c->csv) return rc;
    fputs("epoch,loss,train_rmse,valid_rmse,test_rmse,epoch_seconds,eval_seconds\n", c->csv);
    return csv_flush(c->csv, "--metrics", metrics);
}

/* Room for one more epoch in every array (doubling). */
static int curves_grow(cli_curves *c) {
    if (c->n < c->cap) return 0;
    int cap = c->cap ? 2 * c->cap : 64;
    double **arrs[] = {&c->epoch, &c->loss, &c->train, &c->valid, &c->test};
    for (size_t k = 0; k < sizeof arrs / sizeof arrs[0]; k++) {
        double *p = realloc(*arrs[k], (size_t)cap * sizeof **arrs[k]);
        if (!p) return -1;
        *arrs[k] = p;
    }
    c->cap = cap;
    return 0;
}

int cli_curves_add(cli_curves *c, const ar_epoch_stats *s) {
    if (c->csv) {
        fprintf(c->csv, "%d", s->epoch);
        csv_num(c->csv, s->loss);
        csv_num(c->csv, s->train_rmse);
        csv_num(c->csv, s->valid_rmse);
        csv_num(c->csv, s->test_rmse);
        csv_num(c->csv, s->epoch_seconds);
        csv_num(c->csv, s->eval_seconds);
        fputc('\n', c->csv);
        c->rows++;
        int rc = csv_flush(c->csv, "--metrics", c->csv_path);
        if (rc >= 0) return rc;
    }
    if (!c->plot_path) return -1;
    if (curves_grow(c) != 0) {
        fprintf(stderr, "autorec: error: out of host memory\n");
        return EXIT_FAIL;
    }
    c->epoch[c->n] = s->epoch;
    c->loss[c->n] = s->loss;
    c->train[c->n] = s->train_rmse;
    c->valid[c->n] = s->valid_rmse;
    c->test[c->n] = s->test_rmse;
    c->n++;
    return -1;
}

int cli_curves_finish(cli_curves *c, const char *title, const char *subtitle) {
    if (c->csv) {
        int bad = fclose(c->csv) != 0;
        c->csv = NULL;
        if (bad) return write_error("--metrics", c->csv_path, errno, EXIT_FAIL);
    }
    if (!c->plot_path) return -1;
    /* the validation curve only when there is a validation set: no empty legend entry */
    cli_plot_series s[3];
    int n = 0;
    s[n++] = (cli_plot_series){"train RMSE", c->epoch, c->train, c->n};
    if (any_finite(c->valid, c->n))
        s[n++] = (cli_plot_series){"validation RMSE", c->epoch, c->valid, c->n};
    if (any_finite(c->test, c->n))
        s[n++] = (cli_plot_series){"test RMSE", c->epoch, c->test, c->n};
    cli_plot p = {.title = title, .subtitle = subtitle, .x_label = "epoch", .y_label = "RMSE",
                  .series = s, .n_series = n, .x_integer = 1};
    return plot_or_fail("--plot", c->plot_path, &p);
}

void cli_curves_free(cli_curves *c) {
    if (c->csv) {
        fclose(c->csv);
        /* a run that failed before its first epoch leaves no header-only file behind */
        if (c->rows == 0 && c->csv_path) unlink(c->csv_path);
    }
    free(c->epoch);
    free(c->loss);
    free(c->train);
    free(c->valid);
    free(c->test);
    memset(c, 0, sizeof *c);
}

/* ---- sweep: values ------------------------------------------------------------------------ */

static const char sweep_help[] =
    "usage: autorec sweep --param hidden|layers|activation --values LIST [--out FILE.csv]\n"
    "                     [--plot FILE.svg] [data] [training flags]\n"
    "\n"
    "Trains the same set-up once per value of one parameter (same data, split, seed and\n"
    "device) and prints one row per value: the final test RMSE, and with --valid-ratio the\n"
    "best validation RMSE, the epoch it selects and the test RMSE at that epoch, the epochs\n"
    "run (fewer with --patience) and the training seconds.\n"
    "\n"
    "  --param NAME      what to vary:\n"
    "                      hidden      hidden units, e.g. --values 100,250,500,1000\n"
    "                      activation  encoder/decoder pairs, e.g. --values\n"
    "                                  sigmoid/identity,relu/identity,elu/selu; a single name\n"
    "                                  is the encoder with the decoder of --out-activation\n"
    "                                  (default identity)\n"
    "                      layers      hidden layer sizes, values separated by ';' or '/',\n"
    "                                  sizes within a value by ',', e.g. --values\n"
    "                                  '500;500,500;500,250,500' (the seed's extra\n"
    "                                  hidden layers exercise)\n"
    "  --values LIST     the values, separated by ',' (';' or '/' for layers)\n"
    "  --out FILE.csv    also write the table as CSV, one row per value as it finishes:\n"
    "                    PARAM,test_rmse,best_valid_rmse,selected_epoch,selected_test_rmse,\n"
    "                    epochs,seconds (empty fields without a validation set)\n"
    "  --plot FILE.svg   draw the final test RMSE (and the best validation RMSE and the\n"
    "                    selected test RMSE) against the values as an SVG\n"
    "  --json            one JSON object per value instead of the table\n"
    "Every value is checked before anything is trained (a bad one exits 2), and so are the\n"
    "output paths. All other flags are those of 'autorec train' (see 'autorec train --help'):\n"
    "--epochs, --lr, --patience, --valid-ratio, --device, ...; a flag for the swept parameter\n"
    "is overridden by each value.\n";

typedef enum { P_HIDDEN, P_LAYERS, P_ACTIVATION } sweep_param;
static const char *const param_names[] = {"hidden", "layers", "activation"};

typedef struct {
    const char *label;          /* the value as given (points into the list's copy) */
    ar_train_config cfg;        /* the base configuration with the value applied */
} sweep_value;

typedef struct {
    double train, test, best_valid, sel_test, seconds;
    int sel_epoch, epochs, stopped_early;
} sweep_result;

static int parse_param(const char *s, sweep_param *p) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, param_names[i])) return *p = (sweep_param)i, 1;
    return 0;
}

static int value_hidden(const char *v, ar_train_config *cfg) {
    long n;
    if (!cli_parse_int(v, 1, 1000000, &n))
        return usage("sweep", "--values: '%s' is not a hidden size (an integer in 1..1000000)", v);
    cfg->hidden = (int)n;
    return -1;
}

/* "enc/dec" or "enc" (the decoder stays the base configuration's). */
static int value_activation(const char *v, ar_train_config *cfg) {
    char enc[64], *dec = NULL;
    int ok = strlen(v) < sizeof enc;
    if (ok) {
        strcpy(enc, v);
        if ((dec = strchr(enc, '/'))) *dec++ = 0;
        ok = !dec || !strchr(dec, '/');
    }
    if (!ok || ar_activation_parse(enc, &cfg->activation) != AR_OK ||
        (dec && ar_activation_parse(dec, &cfg->out_activation) != AR_OK))
        return usage("sweep", "--values: '%s' is not an activation pair: expected ENC or ENC/DEC "
                     "with names sigmoid, relu, tanh, elu, selu, identity", v);
    return -1;
}

/* Comma-separated hidden layer sizes, e.g. 500,250,500. */
static int value_layers(const char *v, ar_train_config *cfg) {
    if (!cli_parse_layers(v, cfg))
        return usage("sweep", "--values: '%s' is not a list of hidden layer sizes (up to 8 "
                     "integers in 1..1000000 separated by ',')", v);
    return -1;
}

/* Splits list (modified in place) into values and applies each to a copy of base; every value
 * is checked here, before any training. Returns -1 with *out / *n set, else an exit code. */
static int parse_values(sweep_param param, char *list, const ar_train_config *base,
                        sweep_value **out, int *n) {
    const char *seps = param == P_LAYERS ? ";/" : ",";
    int cap = 1;
    for (const char *p = list; *p; p++) cap += strchr(seps, *p) != NULL;
    sweep_value *v = calloc((size_t)cap, sizeof *v);
    if (!v) return fprintf(stderr, "autorec: error: out of host memory\n"), EXIT_FAIL;
    int k = 0, rc = -1;
    for (char *p = list; rc < 0; k++) {
        size_t len = strcspn(p, seps);
        int last = p[len] == 0;
        p[len] = 0;
        v[k].label = p;
        v[k].cfg = *base;
        if (!*p) rc = usage("sweep", "%s", "--values has an empty value (two separators in a "
                            "row, or one at an end)");
        else if (param == P_HIDDEN) rc = value_hidden(p, &v[k].cfg);
        else if (param == P_ACTIVATION) rc = value_activation(p, &v[k].cfg);
        else rc = value_layers(p, &v[k].cfg);
        if (rc < 0 && ar_train_config_validate(&v[k].cfg) != AR_OK)
            rc = usage("sweep", "--values: '%s' is not a valid setting: %s", p, ar_last_error());
        if (last) {
            k++;
            break;
        }
        p += len + 1;
    }
    if (rc >= 0) {
        free(v);
        return rc;
    }
    *out = v;
    *n = k;
    return -1;
}

/* ---- sweep: training ------------------------------------------------------------------------ */

/* Trains one value like `autorec train` does (selection on validation, --patience). */
static ar_status run_value(ar_ctx *ctx, const ar_dataset *ds, const cli_train_opts *o,
                           const sweep_value *v, const char *param, int has_valid,
                           sweep_result *r) {
    ar_model *m = NULL;
    ar_status st = ar_model_create(ctx, ds, &v->cfg, &m);
    *r = (sweep_result){.best_valid = INFINITY, .sel_test = NAN, .test = NAN, .train = NAN};
    int tty = isatty(fileno(stderr)) && !o->quiet;
    for (int e = 0; st == AR_OK && e < v->cfg.epochs; e++) {
        ar_epoch_stats s;
        if ((st = ar_model_train_epoch(m, &s)) != AR_OK) break;
        r->seconds += s.epoch_seconds;
        r->epochs = s.epoch;
        r->test = s.test_rmse;
        r->train = s.train_rmse;
        if (has_valid && s.valid_rmse < r->best_valid) {
            r->best_valid = s.valid_rmse;
            r->sel_epoch = s.epoch;
            r->sel_test = s.test_rmse;
        }
        if (!o->quiet) {
            char vbuf[40] = "";
            if (has_valid) snprintf(vbuf, sizeof vbuf, "  valid RMSE %.4f", s.valid_rmse);
            fprintf(stderr, "%s%s %s: epoch %3d/%d  train RMSE %.4f%s  test RMSE %.4f  %.2fs%s",
                    tty ? "\r" : "", param, v->label, s.epoch, v->cfg.epochs, s.train_rmse, vbuf,
                    s.test_rmse, s.epoch_seconds, tty ? "\033[K" : "\n");
        }
        if (o->patience && s.epoch - r->sel_epoch >= o->patience) {
            r->stopped_early = 1;
            break;
        }
    }
    if (tty) fputc('\n', stderr);
    if (!has_valid) r->best_valid = NAN;
    ar_model_free(m);
    return st;
}

static void print_header(const char *param) {
    printf("%-20s %10s %10s %9s %10s %6s %9s\n", param, "test_RMSE", "best_valid", "sel_epoch",
           "sel_test", "epochs", "seconds");
}

/* A number column, "-" when there is none (no validation set). */
static void print_num(double v, int width, int prec) {
    if (isfinite(v)) printf(" %*.*f", width, prec, v);
    else printf(" %*s", width, "-");
}

static void print_row(const char *param, const sweep_value *v, const sweep_result *r, int json) {
    if (json) {
        printf("{\"param\":\"%s\",\"value\":", param);
        cli_json_string(stdout, v->label);
        printf(",\"hidden\":%d,\"activation\":\"%s\",\"out_activation\":\"%s\"", v->cfg.hidden,
               ar_activation_name(v->cfg.activation), ar_activation_name(v->cfg.out_activation));
        cli_json_number(stdout, "test_rmse", r->test);
        cli_json_number(stdout, "train_rmse", r->train);
        cli_json_number(stdout, "best_valid_rmse", r->best_valid);
        if (isfinite(r->best_valid)) printf(",\"selected_epoch\":%d", r->sel_epoch);
        cli_json_number(stdout, "selected_test_rmse", r->sel_test);
        printf(",\"epochs\":%d,\"stopped_early\":%s", r->epochs,
               r->stopped_early ? "true" : "false");
        cli_json_number(stdout, "seconds", r->seconds);
        printf("}\n");
    } else {
        printf("%-20s", v->label);
        print_num(r->test, 10, 4);
        print_num(r->best_valid, 10, 4);
        if (isfinite(r->best_valid)) printf(" %9d", r->sel_epoch);
        else printf(" %9s", "-");
        print_num(r->sel_test, 10, 4);
        printf(" %6d", r->epochs);
        print_num(r->seconds, 9, 2);
        printf("\n");
    }
    fflush(stdout);
}

static void csv_row(FILE *f, const sweep_value *v, const sweep_result *r) {
    csv_text(f, v->label);
    csv_num(f, r->test);
    csv_num(f, r->best_valid);
    if (isfinite(r->best_valid)) fprintf(f, ",%d", r->sel_epoch);
    else fputc(',', f);
    csv_num(f, r->sel_test);
    fprintf(f, ",%d", r->epochs);
    csv_num(f, r->seconds);
    fputc('\n', f);
}

/* ---- sweep: the plot ------------------------------------------------------------------------ */

static const sweep_value *sort_values;
static int by_hidden(const void *a, const void *b) {
    int x = sort_values[*(const int *)a].cfg.hidden, y = sort_values[*(const int *)b].cfg.hidden;
    return (x > y) - (x < y);
}

/* RMSE against the values: numeric x (sorted) for hidden sizes, one category per value
 * otherwise, in the order given. */
static int sweep_plot(const char *path, sweep_param param, const sweep_value *v,
                      const sweep_result *r, int n, int has_valid, const char *subtitle) {
    int *ord = malloc((size_t)n * sizeof *ord);
    double *buf = malloc((size_t)n * 4 * sizeof *buf);
    const char **cats = malloc((size_t)n * sizeof *cats);
    if (!ord || !buf || !cats) {
        free(ord), free(buf), free(cats);
        return fprintf(stderr, "autorec: error: out of host memory\n"), EXIT_FAIL;
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
    int rc = plot_or_fail("--plot", path, &p);
    free(ord), free(buf), free(cats);
    return rc;
}

/* ---- sweep: the command --------------------------------------------------------------------- */

typedef struct {
    const char *param, *values, *out, *plot;
} sweep_args;

/* Takes sweep's own options out of argv; the rest are train's. */
static int take_sweep_args(int *argc, char **argv, sweep_args *a) {
    int rc = cli_take_option(argc, argv, "--param", &a->param, "sweep");
    if (rc < 0) rc = cli_take_option(argc, argv, "--values", &a->values, "sweep");
    if (rc < 0) rc = cli_take_option(argc, argv, "--out", &a->out, "sweep");
    if (rc < 0) rc = cli_take_option(argc, argv, "--plot", &a->plot, "sweep");
    return rc;
}

/* Trains every value, printing (and writing) each row as it finishes. */
static int sweep_all(const cli_train_opts *o, const sweep_args *a, sweep_param param,
                     const sweep_value *v, int n, FILE *csv, sweep_result *res) {
    cli_data data = {0};
    ar_dataset *ds = NULL;
    ar_ctx *ctx = NULL;
    int rc = -1;
    ar_status st = cli_data_load(&o->data, o->cfg.seed, o->quiet, &data);
    if (st == AR_OK)
        st = ar_dataset_create_ex(data.train, data.valid, data.test, o->data.rows, &ds);
    if (st == AR_OK) st = ar_ctx_create(o->device, &ctx);
    if (st != AR_OK) {
        rc = cli_report(st);
        goto done;
    }
    ar_dataset_stats ss;
    ar_dataset_get_stats(ds, &ss);
    const int has_valid = ss.n_valid > 0;
    const char *pname = param_names[param];
    if (!o->quiet)
        fprintf(stderr, "data: %s\ndevice: %s\n", data.desc, ar_ctx_device(ctx)->name);
    if (csv) {
        fprintf(csv, "%s,test_rmse,best_valid_rmse,selected_epoch,selected_test_rmse,epochs,"
                "seconds\n", pname);
        if ((rc = csv_flush(csv, "--out", a->out)) >= 0) goto done;
    }
    if (!o->json) print_header(pname);
    for (int i = 0; i < n; i++) {
        if ((st = run_value(ctx, ds, o, &v[i], pname, has_valid, &res[i])) != AR_OK) {
            fprintf(stderr, "autorec: error: %s %s: %s\n", pname, v[i].label, ar_last_error());
            rc = cli_exit_code(st);
            goto done;
        }
        print_row(pname, &v[i], &res[i], o->json);
        if (csv) {
            csv_row(csv, &v[i], &res[i]);
            if ((rc = csv_flush(csv, "--out", a->out)) >= 0) goto done;
        }
    }
    if (a->plot) rc = sweep_plot(a->plot, param, v, res, n, has_valid, data.desc);
done:
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    cli_data_free(&data);
    return rc;
}

int cli_sweep(int argc, char **argv) {
    sweep_args a = {0};
    cli_train_opts o;
    int rc = take_sweep_args(&argc, argv, &a);
    if (rc < 0) rc = cli_parse_train(argc, argv, &o, "sweep", sweep_help);
    if (rc >= 0) return rc;
    sweep_param param;
    if (!a.param) return usage("sweep", "%s", "--param is required: hidden, layers or activation");
    if (!parse_param(a.param, &param))
        return usage("sweep", "--param expects hidden, layers or activation, got '%s'", a.param);
    if (!a.values || !*a.values)
        return usage("sweep", "%s", "--values is required: the values to try, e.g. --values "
                     "100,250,500");
    char *list = strdup(a.values);
    sweep_value *v = NULL;
    sweep_result *res = NULL;
    FILE *csv = NULL;
    int n = 0;
    if (!list) return fprintf(stderr, "autorec: error: out of host memory\n"), EXIT_FAIL;
    if ((rc = parse_values(param, list, &o.cfg, &v, &n)) >= 0) goto done;
    if ((rc = open_outputs("--out", a.out, "--plot", a.plot, &csv)) >= 0) goto done;
    if (!(res = calloc((size_t)n, sizeof *res))) {
        rc = EXIT_FAIL;
        fprintf(stderr, "autorec: error: out of host memory\n");
        goto done;
    }
    rc = sweep_all(&o, &a, param, v, n, csv, res);
    if (csv) {
        int bad = fclose(csv) != 0;
        csv = NULL;
        if (bad && rc < 0) rc = write_error("--out", a.out, errno, EXIT_FAIL);
    }
    if (rc < 0) rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
done:
    if (csv) fclose(csv);
    free(res);
    free(v);
    free(list);
    return rc;
}
