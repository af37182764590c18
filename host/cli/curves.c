/* curves.c - train's per-epoch outputs (--metrics: a CSV row per epoch as it ends; --plot: the
 * RMSE curves as an SVG at the end), and the pieces sweep's table and plot share with them: CSV
 * fields, checking output paths before a run, writing a figure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "output.h"

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

ar_status cli_open_outputs(const char *csv_opt, const char *csv_path, const char *plot_opt,
                           const char *plot_path, FILE **csv) {
    *csv = NULL;
    ar_status st = plot_path ? cli_for_option(plot_opt, cli_check_writable(plot_path)) : AR_OK;
    if (st == AR_OK && csv_path) st = cli_for_option(csv_opt, cli_stream_open(csv_path, csv));
    return st;
}

ar_status cli_write_plot(const char *option, const char *path, const cli_plot *p) {
    /* written after the work is done: a failure now is the output's, not the input's */
    if (cli_write_atomic(path, cli_svg_emit, p) != AR_OK)
        return cli_fail(CLI_ERR_OUTPUT, "%s: %s", option, cli_message());
    return AR_OK;
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
    ar_status st = cli_open_outputs("--metrics", metrics, "--plot", plot, &c->csv);
    if (st != AR_OK || !c->csv) return st;
    fputs("epoch,loss,train_rmse,valid_rmse,test_rmse,epoch_seconds,eval_seconds\n", c->csv);
    return cli_for_option("--metrics", cli_stream_flush(c->csv, metrics));
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

ar_status cli_curves_add(cli_curves *c, const ar_epoch_stats *s) {
    if (c->csv) {
        fprintf(c->csv, "%d", s->epoch);
        cli_csv_number(c->csv, s->loss);
        cli_csv_number(c->csv, s->train_rmse);
        cli_csv_number(c->csv, s->valid_rmse);
        cli_csv_number(c->csv, s->test_rmse);
        cli_csv_number(c->csv, s->epoch_seconds);
        cli_csv_number(c->csv, s->eval_seconds);
        fputc('\n', c->csv);
        c->rows++;
        ar_status st = cli_for_option("--metrics", cli_stream_flush(c->csv, c->csv_path));
        if (st != AR_OK) return st;
    }
    if (!c->plot_path) return AR_OK;
    if (curves_grow(c) != 0) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    c->epoch[c->n] = s->epoch;
    c->loss[c->n] = s->loss;
    c->train[c->n] = s->train_rmse;
    c->valid[c->n] = s->valid_rmse;
    c->test[c->n] = s->test_rmse;
    c->n++;
    return AR_OK;
}

ar_status cli_curves_finish(cli_curves *c, const char *title, const char *subtitle) {
    if (c->csv) {
        FILE *f = c->csv;
        c->csv = NULL;
        ar_status st = cli_for_option("--metrics", cli_stream_close(f, c->csv_path));
        if (st != AR_OK) return st;
    }
    if (!c->plot_path) return AR_OK;
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
    return cli_write_plot("--plot", c->plot_path, &p);
}

void cli_curves_free(cli_curves *c) {
    if (c->csv) {
        /* a run that failed before its first epoch leaves no header-only file behind */
        if (c->rows == 0 && c->csv_path) cli_stream_discard(c->csv, c->csv_path);
        else cli_stream_abandon(c->csv);
    }
    free(c->epoch);
    free(c->loss);
    free(c->train);
    free(c->valid);
    free(c->test);
    memset(c, 0, sizeof *c);
}
