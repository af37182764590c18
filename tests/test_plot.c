/* test_plot.c - the SVG line-plot writer (host/cli/svg.c) and the CLI's file writer
 * (host/cli/output.c), linked in from the CLI's parts, and `autorec train --metrics/--plot` and
 * `autorec sweep`, on small synthetic data. */
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output.h"
#include "svg.h"
#include "testutil.h"

static char out[65536], err[65536];

TestSuite(plot, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

#define run(...) tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, __VA_ARGS__)

static int count(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* A tiny well-formedness check: every start tag is closed in order (self-closing tags count as
 * both), and no '&' starts anything but an entity. Returns NULL or what is wrong. */
static const char *xml_check(const char *s) {
    static char why[256];
    char stack[64][32];
    int depth = 0, roots = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '&') {
            if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
                strncmp(p, "&quot;", 6) && strncmp(p, "&#", 2))
                return "bare '&'";
            continue;
        }
        if (*p != '<') continue;
        if (p[1] == '?' || p[1] == '!') { /* declaration */
            p = strchr(p, '>');
            if (!p) return "unterminated declaration";
            continue;
        }
        const char *end = strchr(p, '>');
        if (!end) return "unterminated tag";
        if (memchr(p + 1, '<', (size_t)(end - p - 1))) return "'<' inside a tag";
        int closing = p[1] == '/', selfclose = end[-1] == '/';
        const char *name = p + 1 + closing;
        size_t n = strcspn(name, " \t\n/>");
        if (n == 0 || n >= 32) return "bad tag name";
        if (closing) {
            if (depth == 0 || strlen(stack[depth - 1]) != n || strncmp(stack[depth - 1], name, n)) {
                snprintf(why, sizeof why, "unbalanced </%.*s>", (int)n, name);
                return why;
            }
            depth--;
        } else if (!selfclose) {
            if (depth == 0) roots++;
            if (depth == 64) return "too deep";
            memcpy(stack[depth], name, n);
            stack[depth++][n] = 0;
        }
        p = end;
    }
    if (depth) return "unclosed tags at the end";
    if (roots != 1) return "not exactly one root element";
    return NULL;
}

/* xmllint, when installed, as a second opinion; silently skipped otherwise. */
static void xmllint_ok(const char *file) {
    if (system("command -v xmllint >/dev/null 2>&1") != 0) return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", file);
    cr_assert_eq(system(cmd), 0, "xmllint rejects %s", file);
}

static char *read_svg(const char *file) {
    char *s = tu_slurp(file, NULL);
    cr_assert(s, "no file %s", file);
    const char *bad = xml_check(s);
    cr_assert(!bad, "%s: %s", file, bad);
    cr_assert_eq(count(s, "<svg"), 1);
    cr_assert_eq(count(s, "</svg>"), 1);
    xmllint_ok(file);
    return s;
}

/* ---- the writer ----------------------------------------------------------------------------- */

/* The plot as a file, the way the CLI writes its figures. */
static ar_status svg_write(const char *file, const cli_plot *p) {
    return cli_write_file("--plot", file, cli_svg_emit, p);
}

Test(plot, nice_ticks_use_1_2_5_steps) {
    double f, l, s;
    cr_assert_eq(cli_nice_ticks(0.83, 1.02, 6, &f, &l, &s), 6);
    cr_assert_float_eq(s, 0.05, 1e-12);
    cr_assert_float_eq(f, 0.8, 1e-12);
    cr_assert_float_eq(l, 1.05, 1e-12);
    cr_assert_eq(cli_nice_ticks(0, 10, 5, &f, &l, &s), 6);
    cr_assert_float_eq(s, 2, 1e-12);
    cr_assert_eq(cli_nice_ticks(1, 60, 8, &f, &l, &s), 7); /* 0, 10, ..., 60 */
    cr_assert_float_eq(s, 10, 1e-12);
    /* one value: widened so that it lies inside */
    int n = cli_nice_ticks(0.9, 0.9, 6, &f, &l, &s);
    cr_assert(n >= 2 && f < 0.9 && l > 0.9, "%g..%g", f, l);
    n = cli_nice_ticks(NAN, NAN, 6, &f, &l, &s);
    cr_assert(n >= 2 && f <= 0 && l >= 1);
}

Test(plot, svg_has_axes_ticks_legend_gaps_and_escaped_text) {
    double x[6] = {1, 2, 3, 4, 5, 6};
    double a[6] = {1.0, 0.95, 0.92, NAN, 0.90, 0.89}; /* a gap after the third point */
    double b[6] = {1.1, 1.0, 0.97, 0.96, 0.95, 0.95};
    cli_plot_series s[2] = {{"train <RMSE> & co", x, a, 6}, {"test RMSE", x, b, 6}};
    cli_plot p = {.title = "curves <b>&amp; \"friends\"</b>", .subtitle = "data \x01 caf\xe9",
                  .x_label = "epoch", .y_label = "RMSE", .series = s, .n_series = 2,
                  .x_integer = 1};
    cr_assert_eq(svg_write(tu_path("a.svg"), &p), AR_OK, "%s", cli_message());
    char *svg = read_svg(tu_path("a.svg"));
    cr_assert(strstr(svg, "curves &lt;b&gt;&amp;amp; &quot;friends&quot;&lt;/b&gt;"), "%s", svg);
    cr_assert(strstr(svg, "train &lt;RMSE&gt; &amp; co") && strstr(svg, ">test RMSE<"), "legend");
    cr_assert(strstr(svg, ">epoch</text>") && strstr(svg, ">RMSE</text>"), "axis labels");
    /* y ticks 0.90 .. 1.10 in steps of 0.05 (inside a margin round the data), x ticks at
     * integers */
    cr_assert(strstr(svg, ">0.90</text>") && strstr(svg, ">0.95</text>") &&
              strstr(svg, ">1.10</text>"), "%s", svg);
    cr_assert(strstr(svg, ">1</text>") && strstr(svg, ">6</text>") && !strstr(svg, ">1.5<"));
    /* the NaN splits the first series: two polylines, plus one for the second series */
    cr_assert_eq(count(svg, "<polyline"), 3, "%s", svg);
    cr_assert(!strstr(svg, "nan") && !strstr(svg, "inf"), "%s", svg);
    /* control characters dropped, invalid UTF-8 replaced: the file stays XML */
    cr_assert(strstr(svg, "caf?") && !strchr(svg, '\x01'));
    /* few points: markers (and the legend shows them) */
    cr_assert(count(svg, "<circle") >= 12);
    free(svg);
}

Test(plot, categorical_x_and_a_lone_point) {
    const char *cats[3] = {"sigmoid/identity", "elu/selu", "relu/identity"};
    double y[3] = {0.9, NAN, 0.95};
    cli_plot_series s[1] = {{"final test RMSE", NULL, y, 3}};
    cli_plot p = {.title = "sweep", .series = s, .n_series = 1, .categories = cats,
                  .n_categories = 3, .markers = -1};
    cr_assert_eq(svg_write(tu_path("c.svg"), &p), AR_OK, "%s", cli_message());
    char *svg = read_svg(tu_path("c.svg"));
    for (int i = 0; i < 3; i++) cr_assert(strstr(svg, cats[i]), "%s", cats[i]);
    /* no line joins two points around the gap; lone points are still drawn */
    cr_assert_eq(count(svg, "<polyline"), 0);
    cr_assert_eq(count(svg, "<circle"), 2);
    free(svg);
    /* many points: no markers by default */
    double many[100];
    for (int i = 0; i < 100; i++) many[i] = 1.0 / (i + 1);
    cli_plot_series m[1] = {{"loss", NULL, many, 100}};
    cli_plot q = {.series = m, .n_series = 1};
    cr_assert_eq(svg_write(tu_path("m.svg"), &q), AR_OK);
    svg = read_svg(tu_path("m.svg"));
    cr_assert_eq(count(svg, "<circle"), 0);
    free(svg);
}

Test(plot, write_errors_name_the_path_and_leave_nothing) {
    double y[2] = {1, 2};
    cli_plot_series s[1] = {{"y", NULL, y, 2}};
    cli_plot p = {.series = s, .n_series = 1};
    cr_assert_eq(svg_write("/nonexistent-autorec-dir/x.svg", &p), AR_ERR_IO);
    cr_assert(strstr(cli_message(), "/nonexistent-autorec-dir/x.svg"), "%s", cli_message());
    cli_files bad = {0}, ok = {0};
    cli_files_out(&bad, "--plot", "/nonexistent-autorec-dir/x.svg");
    cr_assert_eq(cli_files_check(&bad), AR_ERR_IO);
    cr_assert(strstr(cli_message(), "--plot") && strstr(cli_message(), "x.svg"), "%s",
              cli_message());
    cr_assert_eq(svg_write(tu_tmpdir(), &p), AR_ERR_IO);
    cr_assert(strstr(cli_message(), "directory"), "%s", cli_message());
    cli_files_out(&ok, "--plot", tu_path("ok.svg"));
    cr_assert_eq(cli_files_check(&ok), AR_OK);
    cr_assert(access(tu_path("ok.svg"), F_OK) != 0, "the check must not leave a file");
    /* success replaces an existing file and leaves no temporary behind */
    FILE *f = fopen(tu_path("r.svg"), "w");
    fputs("old", f);
    fclose(f);
    cr_assert_eq(svg_write(tu_path("r.svg"), &p), AR_OK);
    char *svg = read_svg(tu_path("r.svg"));
    free(svg);
    tu_assert_no_temporaries();
}

/* ---- train --metrics / --plot --------------------------------------------------------------- */

static void synth_data(void) {
    ar_ratings *a = NULL, *b = NULL;
    tu_synth(50, 30, 2, 0.4, 0.2, 11, &a, &b);
    tu_write_ratings(tu_path("tr.data"), a);
    tu_write_ratings(tu_path("te.data"), b);
    ar_ratings_free(a);
    ar_ratings_free(b);
}

/* Checks a metrics CSV: header, one row per epoch, numbers everywhere but empty valid_rmse and
 * valid_mae when valid is 0, each MAE at most its RMSE, and the centering, lighter and tanh
 * flags of each row's run last: epochs count from 1 in each run (--center auto: bias, then
 * input; then --lighter try's run, then --tanh try's, of the centering kept). Returns the
 * number of rows. */
static int check_metrics(const char *file, int valid) {
    char *csv = tu_slurp(file, NULL);
    cr_assert(csv, "no %s", file);
    const char *hdr = "epoch,loss,train_rmse,valid_rmse,test_rmse,epoch_seconds,eval_seconds,"
                      "train_mae,valid_mae,test_mae,center,lighter,tanh\n";
    cr_assert(!strncmp(csv, hdr, strlen(hdr)), "%s", csv);
    int rows = 0, run_rows = 0, prev_kind = -1;
    char prev_center[16] = "";
    for (char *line = strtok(csv + strlen(hdr), "\n"); line; line = strtok(NULL, "\n")) {
        int epoch;
        double loss, tr, va = NAN, te, es, ev, tra, vaa = NAN, tea;
        int n = valid ? sscanf(line, "%d,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &epoch, &loss, &tr,
                               &va, &te, &es, &ev, &tra, &vaa, &tea)
                      : sscanf(line, "%d,%lf,%lf,,%lf,%lf,%lf,%lf,,%lf", &epoch, &loss, &tr, &te,
                               &es, &ev, &tra, &tea);
        cr_assert_eq(n, valid ? 10 : 8, "bad row '%s'", line);
        const char *c = line + strlen(line); /* back to the third comma from the end */
        for (int commas = 0; c > line && commas < 3; c--)
            if (c[-1] == ',' && ++commas == 3) break;
        char center[16];
        int light = -1, th = -1;
        cr_assert(sscanf(c, "%15[a-z],%d,%d", center, &light, &th) == 3, "%s", line);
        cr_assert((!strcmp(center, "bias") || !strcmp(center, "input") ||
                   !strcmp(center, "none")) && (light == 0 || light == 1) &&
                  (th == 0 || th == 1) && !(light && th), "%s", line);
        const int kind = light ? 1 : th ? 2 : 0; /* given, lighter, tanh */
        if (kind != prev_kind || strcmp(center, prev_center) != 0) { /* the next run */
            cr_assert(prev_kind < 0 || kind > prev_kind ||
                      (kind == 0 && !strcmp(prev_center, "bias") && !strcmp(center, "input")),
                      "run %s,%d after %s,%d", center, kind, prev_center, prev_kind);
            cr_assert(kind == 0 || prev_kind < 0 || !strcmp(center, prev_center) ||
                      prev_kind == 0, "%s", line);
            snprintf(prev_center, sizeof prev_center, "%s", center);
            prev_kind = kind;
            run_rows = 0;
        }
        rows++;
        cr_assert_eq(epoch, ++run_rows);
        cr_assert(tr > 0 && tr < 5 && te > 0 && te < 5 && es >= 0 && ev >= 0, "'%s'", line);
        cr_assert(tra > 0 && tra <= tr && tea > 0 && tea <= te, "MAE <= RMSE: '%s'", line);
        if (valid) cr_assert(va > 0 && va < 5 && vaa > 0 && vaa <= va, "'%s'", line);
    }
    free(csv);
    return rows;
}

Test(plot, train_writes_metrics_and_curves) {
    synth_data();
    cr_assert_eq(run("train --train %s --test %s --epochs 3 --hidden 4 --quiet --valid-ratio 0 "
                     "--metrics %s --plot %s", tu_path("tr.data"), tu_path("te.data"), tu_path("m.csv"),
                     tu_path("m.svg")), 0, "%s", err);
    cr_assert_eq(check_metrics(tu_path("m.csv"), 0), 3);
    char *svg = read_svg(tu_path("m.svg"));
    cr_assert(strstr(svg, ">train RMSE<") && strstr(svg, ">test RMSE<"), "%s", svg);
    cr_assert(!strstr(svg, "validation RMSE"), "no validation set, no validation curve");
    cr_assert(!strstr(svg, "selected epoch"), "no validation set, nothing selected");
    cr_assert(strstr(svg, ">epoch</text>"));
    free(svg);
    /* with a validation set, its column and its curve; --opt=value works too */
    cr_assert_eq(run("train --train %s --test %s --epochs 2 --hidden 4 --quiet --valid-ratio 0.2 "
                     "--metrics=%s --plot=%s", tu_path("tr.data"), tu_path("te.data"), tu_path("v.csv"),
                     tu_path("v.svg")), 0, "%s", err);
    cr_assert_eq(check_metrics(tu_path("v.csv"), 1), 8,
                 "--center auto, --lighter try, --tanh try: 2 epochs of each of four runs");
    svg = read_svg(tu_path("v.svg"));
    cr_assert(strstr(svg, ">validation RMSE<"), "%s", svg);
    free(svg);
    /* by default too (train carves a validation set) */
    cr_assert_eq(run("train --train %s --test %s --epochs 2 --hidden 4 --quiet --metrics %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("d.csv")), 0, "%s", err);
    cr_assert_eq(check_metrics(tu_path("d.csv"), 1), 8);
}

Test(plot, train_plots_after_early_stopping) {
    synth_data();
    cr_assert_eq(run("train --train %s --test %s --valid-ratio 0.2 --epochs 200 --hidden 8 "
                     "--lr 0.5 --lr-decay 1 --patience 2 --center bias --lighter off --tanh off --quiet "
                     "--metrics %s "
                     "--plot %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("p.csv"), tu_path("p.svg")), 0, "%s",
                 err);
    cr_assert(strstr(out, "stopped by --patience 2"), "%s", out);
    int rows = check_metrics(tu_path("p.csv"), 1);
    cr_assert(rows >= 3 && rows < 200, "%d rows", rows);
    /* every epoch run is drawn, and the one kept is marked: patience 2 epochs before the last */
    char *svg = read_svg(tu_path("p.svg")), mark[64];
    snprintf(mark, sizeof mark, ">selected epoch %d<", rows - 2);
    cr_assert(strstr(svg, mark), "no '%s' in %s", mark, svg);
    free(svg);
}

Test(plot, unwritable_outputs_fail_before_training) {
    synth_data();
    cr_assert_eq(run("train --train %s --test %s --epochs 50 --hidden 4 --metrics "
                     "/nonexistent-autorec-dir/m.csv", tu_path("tr.data"), tu_path("te.data")), 2);
    cr_assert(strstr(err, "--metrics") && strstr(err, "/nonexistent-autorec-dir/m.csv"), "%s",
              err);
    cr_assert(!strstr(err, "epoch") && !strstr(err, "data:"), "trained anyway: %s", err);
    cr_assert_eq(run("train --train %s --test %s --epochs 50 --hidden 4 --metrics %s --plot "
                     "/nonexistent-autorec-dir/m.svg", tu_path("tr.data"), tu_path("te.data"),
                     tu_path("m.csv")), 2);
    cr_assert(strstr(err, "--plot") && strstr(err, "/nonexistent-autorec-dir/m.svg"), "%s", err);
    cr_assert(access(tu_path("m.csv"), F_OK) != 0, "a CSV was left by a failed start");
    cr_assert_eq(run("train --train %s --test %s --plot %s", tu_path("tr.data"), tu_path("te.data"),
                     tu_tmpdir()), 2);
    cr_assert(strstr(err, "directory"), "%s", err);
    cr_assert_eq(run("train --train %s --test %s --metrics", tu_path("tr.data"),
                     tu_path("te.data")),
                 2);
    cr_assert_eq(run("train --help"), 0);
    cr_assert(strstr(out, "--metrics FILE.csv") && strstr(out, "--plot FILE.svg"), "%s", out);
}

/* ---- sweep ---------------------------------------------------------------------------------- */

Test(plot, sweep_hidden_table_csv_and_plot) {
    synth_data();
    cr_assert_eq(run("sweep --param hidden --values 8,4 --epochs 2 --valid-ratio 0.2 --fallback none --quiet "
                     "--train %s --test %s --out %s --plot %s", tu_path("tr.data"), tu_path("te.data"),
                     tu_path("s.csv"), tu_path("s.svg")), 0, "%s", err);
    cr_assert_eq(count(out, "\n"), 3, "header + 2 rows: %s", out);
    cr_assert(!strncmp(out, "hidden ", 7), "%s", out);
    char *csv = tu_slurp(tu_path("s.csv"), NULL);
    const char *hdr = "hidden,test_rmse,test_mae,best_valid_rmse,selected_epoch,"
                      "selected_test_rmse,selected_test_mae,epochs,seconds\n";
    cr_assert(!strncmp(csv, hdr, strlen(hdr)), "%s", csv);
    cr_assert_eq(count(csv, "\n"), 3, "%s", csv);
    double te, tm, bv, st, sm, sec;
    int h, se, ep;
    const char *row2 = strchr(csv, '\n') + 1;
    cr_assert_eq(sscanf(row2, "%d,%lf,%lf,%lf,%d,%lf,%lf,%d,%lf", &h, &te, &tm, &bv, &se, &st, &sm,
                        &ep, &sec), 9, "%s", csv);
    cr_assert(h == 8 && te > 0 && bv > 0 && se >= 1 && se <= 2 && ep == 2, "%s", csv);
    cr_assert(tm > 0 && tm <= te && sm > 0 && sm <= st, "MAE <= RMSE: %s", csv);
    free(csv);
    char *svg = read_svg(tu_path("s.svg"));
    cr_assert(strstr(svg, "final test RMSE") && strstr(svg, "best validation RMSE"), "%s", svg);
    cr_assert(strstr(svg, ">hidden units</text>"));
    free(svg);
    /* --json: one object per value */
    cr_assert_eq(run("sweep --param hidden --values 4,8 --epochs 1 --quiet --json --train %s "
                     "--test %s --valid-ratio 0", tu_path("tr.data"), tu_path("te.data")), 0,
                 "%s", err);
    cr_assert_eq(count(out, "{\"param\":\"hidden\""), 2, "%s", out);
    cr_assert(strstr(out, "\"best_valid_rmse\":null"), "%s", out);
    cr_assert(tu_json_number(out, "test_mae") > 0, "%s", out);
}

Test(plot, sweep_activation_and_layers) {
    synth_data();
    cr_assert_eq(run("sweep --param activation --values sigmoid/identity,elu/selu --epochs 1 "
                     "--hidden 4 --quiet --valid-ratio 0 --train %s --test %s --plot %s --out %s",
                     tu_path("tr.data"), tu_path("te.data"), tu_path("a.svg"), tu_path("a.csv")), 0, "%s",
                 err);
    cr_assert(strstr(out, "sigmoid/identity") && strstr(out, "elu/selu"), "%s", out);
    char *svg = read_svg(tu_path("a.svg"));
    cr_assert(strstr(svg, ">sigmoid/identity<") && strstr(svg, ">elu/selu<"), "%s", svg);
    free(svg);
    /* no validation set: empty fields */
    char *csv = tu_slurp(tu_path("a.csv"), NULL);
    cr_assert(strstr(csv, "\nelu/selu,") && strstr(csv, ",,,"), "%s", csv);
    free(csv);
    /* with a validation set, each value still trains the encoder it names (no tanh run) */
    cr_assert_eq(run("sweep --param activation --values sigmoid,relu --epochs 2 --hidden 4 "
                     "--quiet --json --train %s --test %s", tu_path("tr.data"),
                     tu_path("te.data")), 0, "%s", err);
    cr_assert(strstr(out, "\"value\":\"sigmoid\",\"hidden\":4,\"activation\":\"sigmoid\"") &&
              strstr(out, "\"value\":\"relu\",\"hidden\":4,\"activation\":\"relu\"") &&
              count(out, "\"tanh\":false") == 2, "%s", out);
    /* one value per stack of hidden layers, the seed's extra-layer exercise */
    cr_assert_eq(run("sweep --param layers --values '4/6' --epochs 1 --quiet --train %s "
                     "--test %s", tu_path("tr.data"), tu_path("te.data")), 0, "%s", err);
    cr_assert_eq(count(out, "\n"), 3, "%s", out);
    cr_assert_eq(run("sweep --param layers --values '8;8,8;8,4,8' --epochs 1 --quiet --train %s "
                     "--test %s --out %s", tu_path("tr.data"), tu_path("te.data"), tu_path("l.csv")), 0,
                 "%s", err);
    cr_assert_eq(count(out, "\n"), 4, "%s", out);
    cr_assert(strstr(out, "8,4,8"), "%s", out);
    cr_assert_eq(run("sweep --param layers --values '8;8,x' --epochs 1 --train %s --test %s",
                     tu_path("tr.data"), tu_path("te.data")), 2);
    cr_assert(strstr(err, "'8,x'"), "%s", err);
}

Test(plot, sweep_rejects_bad_input_before_training) {
    synth_data();
    char cmd[1024];
    struct { const char *args, *needle; } bad[] = {
        {"--param depth --values 1", "--param"},
        {"--values 4,8", "--param"},
        {"--param hidden", "--values"},
        {"--param hidden --values ''", "--values"},
        {"--param hidden --values 4,,8", "empty value"},
        {"--param hidden --values 4,x", "'x'"},
        {"--param hidden --values 0", "'0'"},
        {"--param activation --values sigmoid/foo", "'sigmoid/foo'"},
        {"--param activation --values a/b/c", "'a/b/c'"},
        {"--param layers --values 500,x", "'500,x'"},
        {"--param hidden --values 4 --out /nonexistent-autorec-dir/s.csv", "--out"},
        {"--param hidden --values 4 --plot /nonexistent-autorec-dir/s.svg", "--plot"},
        {"--param hidden --values 4 --bogus 1", "--bogus"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(cmd, sizeof cmd, "sweep %s --epochs 1 --train %s --test %s", bad[i].args,
                 tu_path("tr.data"), tu_path("te.data"));
        int rc = run("%s", cmd);
        cr_assert_eq(rc, 2, "%s: exit %d: %s", bad[i].args, rc, err);
        cr_assert(strstr(err, bad[i].needle), "%s: %s", bad[i].args, err);
        cr_assert(!strstr(err, "epoch"), "%s trained: %s", bad[i].args, err);
    }
}

Test(plot, sweep_help) {
    cr_assert_eq(run("sweep --help"), 0);
    const char *opts[] = {"--param", "--values", "--out", "--plot", "--json", "hidden", "layers",
                          "activation"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        cr_assert(strstr(out, opts[i]), "%s missing: %s", opts[i], out);
    cr_assert_eq(run("help sweep"), 0);
    cr_assert(strstr(out, "--values LIST"), "%s", out);
    cr_assert_eq(run("--help"), 0);
    cr_assert(strstr(out, "  sweep "), "%s", out);
}
