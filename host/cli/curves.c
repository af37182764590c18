/* curves.c - train's per-epoch outputs (--metrics: a CSV row per epoch as it ends; --plot: the
 * RMSE curves as an SVG at the end), and the pieces sweep's table and plot share with them: CSV
 * fields, drawing a figure into an output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_csv_number(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputc(',', f);
}

void cli_csv_text(FILE *f, const char *s) {
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

ar_status cli_plot_open(cli_out *out, const char *option, const char *path, const cli_plot *p) {
    ar_status st = cli_out_open(out, option, path);
    if (st == AR_OK) cli_svg_emit(out->f, p);
    return st;
}

static int any_finite(const double *v, int n) {
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) return 1;
    return 0;
}

/* ---- train --metrics / --plot --------------------------------------------------------------- */

ar_status cli_curves_open(cli_curves *c, const char *metrics, const char *plot) {
    memset(c, 0, sizeof *c);
    c->csv_path = metrics;
    c->plot_path = plot;
    if (!metrics) return AR_OK;
    ar_status st = cli_out_open(&c->csv, "--metrics", metrics);
    if (st != AR_OK) return st;
    fputs("epoch,loss,train_rmse,valid_rmse,test_rmse,epoch_seconds,eval_seconds,train_mae,"
          "valid_mae,test_mae,center,lighter,tanh\n", c->csv.f);
    return cli_out_flush(&c->csv);
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
    const char **run = realloc(c->run, (size_t)cap * sizeof *run);
    if (!run) return -1;
    c->run = run;
    c->cap = cap;
    return 0;
}

/* The name of a run (the plot's legend and keep): its centering, and "lighter" for the lighter
 * run (ar_train_config.try_lighter), "tanh" for the tanh run (try_tanh). Static strings. */
const char *cli_run_name(ar_center center, int lighter, int tanh_run) {
    static const char *const names[][3] = {{"none", "none, lighter", "none, tanh"},
                                            {"bias", "bias, lighter", "bias, tanh"},
                                            {"input", "input, lighter", "input, tanh"},
                                            {"auto", "auto, lighter", "auto, tanh"}};
    const int kind = tanh_run ? 2 : lighter != 0;
    return (unsigned)center <= AR_CENTER_AUTO ? names[center][kind] : "?";
}

ar_status cli_curves_add(cli_curves *c, const ar_epoch_stats *s, ar_center center, int lighter,
                         int tanh_run) {
    const char *run = cli_run_name(center, lighter, tanh_run);
    FILE *f = c->csv.f;
    if (f) {
        fprintf(f, "%d", s->epoch);
        cli_csv_number(f, s->loss);
        cli_csv_number(f, s->train_rmse);
        cli_csv_number(f, s->valid_rmse);
        cli_csv_number(f, s->test_rmse);
        cli_csv_number(f, s->epoch_seconds);
        cli_csv_number(f, s->eval_seconds);
        cli_csv_number(f, s->train_mae);
        cli_csv_number(f, s->valid_mae);
        cli_csv_number(f, s->test_mae);
        fprintf(f, ",%s,%d,%d\n", ar_center_name(center), lighter != 0, tanh_run != 0);
        ar_status st = cli_out_flush(&c->csv);
        if (st != AR_OK) return st;
    }
    if (!c->plot_path) return AR_OK;
    if (curves_grow(c) != 0) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    c->epoch[c->n] = s->epoch;
    c->loss[c->n] = s->loss;
    c->train[c->n] = s->train_rmse;
    c->valid[c->n] = s->valid_rmse;
    c->test[c->n] = s->test_rmse;
    c->run[c->n] = run; /* a static name (cli_run_name) */
    c->n++;
    return AR_OK;
}

/* The lowest and highest finite values of the n points of the k arrays (NaN when none). */
static void finite_range(const double *const *v, int k, int n, double *lo, double *hi) {
    *lo = *hi = NAN;
    for (int a = 0; a < k; a++)
        for (int i = 0; i < n; i++) {
            if (!isfinite(v[a][i])) continue;
            if (!(v[a][i] >= *lo)) *lo = v[a][i];
            if (!(v[a][i] <= *hi)) *hi = v[a][i];
        }
}

/* Only the points of the run c->keep (--center auto: the one kept), moved to the front. */
static void keep_run(cli_curves *c) {
    if (!c->keep) return;
    int n = 0;
    for (int i = 0; i < c->n; i++) {
        if (strcmp(c->run[i], c->keep) != 0) continue;
        c->epoch[n] = c->epoch[i], c->loss[n] = c->loss[i], c->train[n] = c->train[i];
        c->valid[n] = c->valid[i], c->test[n] = c->test[i], c->run[n] = c->run[i];
        n++;
    }
    c->n = n;
}

ar_status cli_curves_finish(cli_curves *c, const char *title, const char *subtitle) {
    cli_out *outs[2] = {&c->csv, &c->plot};
    if (!c->plot_path) return cli_outs_sync(outs, 1);
    keep_run(c);
    /* the validation curve only when there is a validation set: no empty legend entry */
    cli_plot_series s[4];
    int n = 0;
    s[n++] = (cli_plot_series){"train RMSE", c->epoch, c->train, c->n};
    if (any_finite(c->valid, c->n))
        s[n++] = (cli_plot_series){"validation RMSE", c->epoch, c->valid, c->n};
    if (any_finite(c->test, c->n))
        s[n++] = (cli_plot_series){"test RMSE", c->epoch, c->test, c->n};
    /* the selected epoch: a vertical line across the curves */
    const double *curves[3] = {c->train, c->valid, c->test};
    double sel_x[2] = {c->selected, c->selected}, sel_y[2];
    char sel_name[64];
    finite_range(curves, 3, c->n, &sel_y[0], &sel_y[1]);
    if (c->selected > 0 && isfinite(sel_y[0])) {
        snprintf(sel_name, sizeof sel_name, "selected epoch %d", c->selected);
        s[n++] = (cli_plot_series){sel_name, sel_x, sel_y, 2};
    }
    cli_plot p = {.title = title, .subtitle = subtitle, .x_label = "epoch", .y_label = "RMSE",
                  .series = s, .n_series = n, .x_integer = 1};
    ar_status st = cli_plot_open(&c->plot, "--plot", c->plot_path, &p);
    return st == AR_OK ? cli_outs_sync(outs, 2) : st;
}

ar_status cli_curves_publish(cli_curves *c) {
    cli_out *outs[2] = {&c->plot, &c->csv};
    return cli_outs_commit(outs, 2);
}

void cli_curves_free(cli_curves *c) {
    cli_out_abort(&c->csv);
    cli_out_abort(&c->plot);
    free(c->epoch);
    free(c->loss);
    free(c->run);
    free(c->train);
    free(c->valid);
    free(c->test);
    memset(c, 0, sizeof *c);
}
