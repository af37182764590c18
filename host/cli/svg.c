/* svg.c - line plots as standalone SVG 1.1 files (training curves, sweep results), so that a
 * run's figure needs no Python or plotting library: any browser shows it.
 *
 * Layout: title (and subtitle) on top, y axis on the left with "nice" ticks (1-2-5 steps) and a
 * light grid, x axis below (numeric ticks, or one label per category), a legend in the corner
 * of the plot area that covers the fewest data points. Deliberately only libc + libm. The file
 * itself is written through output.c (cli_write_atomic). */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* matplotlib's default colour cycle ("tab10"), so the figures look like the familiar ones. */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_PALETTE (int)(sizeof palette / sizeof palette[0])

#define FONT 12.0
#define CHAR_W (0.6 * FONT) /* a sans-serif character's average width, for layout only */

/* ---- ticks ---------------------------------------------------------------------------------- */

int cli_nice_ticks(double lo, double hi, int target, double *first, double *last, double *step) {
    if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
    if (lo > hi) {
        double t = lo;
        lo = hi, hi = t;
    }
    if (!(hi > lo)) { /* one value: widen around it so it sits inside the axis */
        double d = lo != 0 ? fabs(lo) * 0.1 : 1.0;
        lo -= d, hi += d;
    }
    if (target < 2) target = 2;
    double raw = (hi - lo) / target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double s = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
    /* the small tolerance keeps a range end that is a multiple of the step from gaining a tick */
    *first = floor(lo / s + 1e-9) * s;
    *last = ceil(hi / s - 1e-9) * s;
    *step = s;
    return (int)llround((*last - *first) / s) + 1;
}

/* A tick label with as many decimals as the step needs, never "-0". */
static void tick_label(char *buf, size_t n, double v, double step) {
    if (fabs(v) < step * 1e-6) v = 0;
    if (fabs(v) >= 1e6 || (step < 1e-4 && v != 0)) {
        snprintf(buf, n, "%g", v);
        return;
    }
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", dec, v);
}

/* An axis showing [*lo, *hi] widened by a 4% margin, so that no point sits on the frame (as
 * matplotlib does), with nice ticks inside it. Returns the tick count; *first and *step place
 * them. integer: no fractional ticks (epochs, hidden sizes). */
static int axis_ticks(double *lo, double *hi, int target, int integer, double *first,
                      double *step) {
    double f, l;
    cli_nice_ticks(*lo, *hi, target, &f, &l, step);
    if (!(*hi > *lo)) *lo = f, *hi = l; /* one value: the widened range around it */
    double margin = (*hi - *lo) * 0.04;
    *lo -= margin, *hi += margin;
    if (integer && *step < 1) *step = 1;
    *first = ceil(*lo / *step - 1e-9) * *step;
    return (int)floor((*hi - *first) / *step + 1e-9) + 1;
}

/* ---- text ----------------------------------------------------------------------------------- */

/* Length of a valid UTF-8 sequence at s, or 0 when it is not one. */
static int utf8_len(const unsigned char *s) {
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3
          : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 2 && s[0] < 0xC2) return 0; /* overlong */
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

/* Writes at most max_chars characters of s as XML character data: markup characters escaped,
 * characters XML 1.0 forbids (controls) dropped, invalid UTF-8 (e.g. Latin-1 file names)
 * replaced by '?', so the file always parses. A shortened text ends with "...". */
static void put_text(FILE *f, const char *s, int max_chars) {
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    for (int chars = 0; *p; chars++) {
        if (max_chars > 0 && chars == max_chars - 3 && strlen((const char *)p) > 3) {
            fputs("...", f);
            return;
        }
        int n = utf8_len(p);
        if (n == 0) {
            fputc('?', f);
            p++;
            continue;
        }
        if (n > 1) {
            fwrite(p, 1, (size_t)n, f);
        } else if (*p == '&') fputs("&amp;", f);
        else if (*p == '<') fputs("&lt;", f);
        else if (*p == '>') fputs("&gt;", f);
        else if (*p == '"') fputs("&quot;", f);
        else if (*p == '\'') fputs("&#39;", f);
        else if (*p >= 0x20 || *p == '\t') fputc(*p, f);
        else fputc(' ', f); /* newlines and other controls: a space keeps words apart */
        p += n;
    }
}

/* Characters in s (UTF-8 sequences count once), for layout. */
static int text_chars(const char *s) {
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* <text x y [anchor] [extra]>s</text> */
static void text_at(FILE *f, double x, double y, const char *anchor, const char *extra,
                    const char *s, int max_chars) {
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
    if (anchor) fprintf(f, " text-anchor=\"%s\"", anchor);
    if (extra) fprintf(f, " %s", extra);
    fputc('>', f);
    put_text(f, s, max_chars);
    fputs("</text>\n", f);
}

/* ---- geometry ------------------------------------------------------------------------------- */

typedef struct {
    double left, top, w, h;   /* the plot area in pixels */
    double x0, x1, y0, y1;    /* the data range it shows */
} frame;

static double px(const frame *fr, double x) {
    return fr->left + (x - fr->x0) / (fr->x1 - fr->x0) * fr->w;
}
static double py(const frame *fr, double y) {
    return fr->top + fr->h - (y - fr->y0) / (fr->y1 - fr->y0) * fr->h;
}

static double xval(const cli_plot_series *s, int i) { return s->x ? s->x[i] : (double)i; }

static int point_ok(const cli_plot_series *s, int i) {
    return isfinite(xval(s, i)) && isfinite(s->y[i]);
}

/* The finite data range of all series; returns 0 when there is no finite point. */
static int data_range(const cli_plot *p, double *xlo, double *xhi, double *ylo, double *yhi) {
    int any = 0;
    *xlo = *ylo = INFINITY;
    *xhi = *yhi = -INFINITY;
    for (int k = 0; k < p->n_series; k++)
        for (int i = 0; i < p->series[k].n; i++) {
            if (!point_ok(&p->series[k], i)) continue;
            double x = xval(&p->series[k], i), y = p->series[k].y[i];
            *xlo = fmin(*xlo, x), *xhi = fmax(*xhi, x);
            *ylo = fmin(*ylo, y), *yhi = fmax(*yhi, y);
            any = 1;
        }
    return any;
}

static int draw_markers(const cli_plot *p) {
    if (p->markers) return p->markers > 0;
    for (int k = 0; k < p->n_series; k++)
        if (p->series[k].n > 40) return 0;
    return 1;
}

/* ---- drawing -------------------------------------------------------------------------------- */

static void draw_y_axis(FILE *f, const frame *fr, double first, double step, int n,
                        const char *label) {
    for (int i = 0; i < n; i++) {
        double v = first + i * step, y = py(fr, v);
        char buf[64];
        tick_label(buf, sizeof buf, v, step);
        fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                fr->left, y, fr->left + fr->w, y);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr->left - 5, y,
                fr->left, y);
        text_at(f, fr->left - 8, y + FONT * 0.35, "end", NULL, buf, 0);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr->left, fr->top,
            fr->left, fr->top + fr->h);
    if (label) {
        char rot[96];
        double x = 18, y = fr->top + fr->h / 2;
        snprintf(rot, sizeof rot, "transform=\"rotate(-90 %.1f %.1f)\"", x, y);
        text_at(f, x, y, "middle", rot, label, 80);
    }
}

/* Numeric x ticks, or the categories' labels (turned when they would overlap). */
static void draw_x_axis(FILE *f, const frame *fr, const cli_plot *p, double first, double step,
                        int n, int rotate, double label_y) {
    double base = fr->top + fr->h;
    int cat = p->categories != NULL;
    int count = cat ? p->n_categories : n;
    for (int i = 0; i < count; i++) {
        double v = cat ? i : first + i * step, x = px(fr, v);
        char buf[64];
        const char *s = buf;
        if (cat) s = p->categories[i];
        else tick_label(buf, sizeof buf, v, step);
        if (!cat)
            fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                    x, fr->top, x, base);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, base, x,
                base + 5);
        if (rotate) {
            char rot[96];
            snprintf(rot, sizeof rot, "transform=\"rotate(-35 %.1f %.1f)\"", x, base + 16);
            text_at(f, x, base + 16, "end", rot, s, 40);
        } else {
            text_at(f, x, base + 8 + FONT, "middle", NULL, s, 40);
        }
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr->left, base,
            fr->left + fr->w, base);
    if (p->x_label) text_at(f, fr->left + fr->w / 2, label_y, "middle", NULL, p->x_label, 100);
}

static void marker(FILE *f, double x, double y, const char *colour) {
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n", x, y, colour);
}

/* One series: a polyline per run of finite points (NaN = gap); a lone point gets a marker so it
 * does not vanish. */
static void draw_series(FILE *f, const frame *fr, const cli_plot_series *s, const char *colour,
                        int markers) {
    fprintf(f, "<g stroke=\"%s\">\n", colour);
    for (int i = 0; i < s->n;) {
        if (!point_ok(s, i)) {
            i++;
            continue;
        }
        int j = i;
        while (j < s->n && point_ok(s, j)) j++;
        if (j - i == 1) {
            if (!markers) marker(f, px(fr, xval(s, i)), py(fr, s->y[i]), colour);
        } else {
            fputs("<polyline points=\"", f);
            for (int k = i; k < j; k++)
                fprintf(f, "%s%.2f,%.2f", k > i ? " " : "", px(fr, xval(s, k)), py(fr, s->y[k]));
            fputs("\"/>\n", f);
        }
        i = j;
    }
    if (markers)
        for (int i = 0; i < s->n; i++)
            if (point_ok(s, i)) marker(f, px(fr, xval(s, i)), py(fr, s->y[i]), colour);
    fputs("</g>\n", f);
}

/* How many points (segments sampled 8 times) fall inside the box: the legend goes where this is
 * smallest, like matplotlib's loc="best". */
static int covered(const frame *fr, const cli_plot *p, double bx, double by, double bw,
                   double bh) {
    int hits = 0;
    for (int k = 0; k < p->n_series; k++) {
        const cli_plot_series *s = &p->series[k];
        for (int i = 0; i < s->n; i++) {
            if (!point_ok(s, i)) continue;
            int seg = i + 1 < s->n && point_ok(s, i + 1);
            double x0 = xval(s, i), y0 = s->y[i];
            double dx = seg ? xval(s, i + 1) - x0 : 0, dy = seg ? s->y[i + 1] - y0 : 0;
            for (int t = 0; t < (seg ? 8 : 1); t++) {
                double x = px(fr, x0 + t / 8.0 * dx), y = py(fr, y0 + t / 8.0 * dy);
                hits += x >= bx && x <= bx + bw && y >= by && y <= by + bh;
            }
        }
    }
    return hits;
}

static void draw_legend(FILE *f, const frame *fr, const cli_plot *p, int markers) {
    if (p->n_series == 0) return;
    int longest = 0;
    for (int k = 0; k < p->n_series; k++) {
        int c = text_chars(p->series[k].name);
        if (c > longest) longest = c;
    }
    if (longest > 60) longest = 60;
    double row = FONT + 8, bw = 46 + longest * CHAR_W, bh = 8 + row * p->n_series, pad = 10;
    /* corners in order of preference: top right, bottom right, top left, bottom left */
    double cx[4] = {fr->left + fr->w - bw - pad, fr->left + fr->w - bw - pad, fr->left + pad,
                    fr->left + pad};
    double cy[4] = {fr->top + pad, fr->top + fr->h - bh - pad, fr->top + pad,
                    fr->top + fr->h - bh - pad};
    int best = 0, best_hits = -1;
    for (int c = 0; c < 4; c++) {
        int h = covered(fr, p, cx[c], cy[c], bw, bh);
        if (best_hits < 0 || h < best_hits) best = c, best_hits = h;
    }
    double x = cx[best], y = cy[best];
    fprintf(f, "<g class=\"legend\">\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"#ffffff\" fill-opacity=\"0.85\" stroke=\"#999999\" rx=\"3\"/>\n", x, y, bw, bh);
    for (int k = 0; k < p->n_series; k++) {
        const char *colour = palette[k % N_PALETTE];
        double ly = y + 4 + row * k + row / 2;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                "stroke-width=\"2\"/>\n", x + 8, ly, x + 34, ly, colour);
        if (markers) marker(f, x + 21, ly, colour);
        text_at(f, x + 40, ly + FONT * 0.35, NULL, NULL, p->series[k].name, 60);
    }
    fputs("</g>\n", f);
}

void cli_svg_emit(FILE *f, const void *plot) {
    const cli_plot *p = plot;
    double W = p->width > 0 ? p->width : 800, H = p->height > 0 ? p->height : 500;
    int cat = p->categories != NULL;
    double xlo, xhi, ylo, yhi;
    if (!data_range(p, &xlo, &xhi, &ylo, &yhi)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;
    double yf, ys, xf = 0, xs = 1;
    int ny = axis_ticks(&ylo, &yhi, 8, 0, &yf, &ys), nx = 0;
    if (!cat) nx = axis_ticks(&xlo, &xhi, 8, p->x_integer, &xf, &xs);
    /* categorical labels are turned when side by side they would not fit */
    int longest = 0;
    for (int i = 0; cat && i < p->n_categories; i++) {
        int c = text_chars(p->categories[i]);
        if (c > longest) longest = c;
    }
    if (longest > 40) longest = 40;
    double top = p->subtitle ? 62 : 46, left = 78, right = 24;
    double w = W - left - right;
    int rotate = cat && p->n_categories > 0 && longest * CHAR_W + 10 > w / p->n_categories;
    double tick_h = rotate ? 16 + 0.6 * longest * CHAR_W : 8 + FONT + 4;
    double bottom = tick_h + (p->x_label ? 28 : 10);
    frame fr = {left, top, w, H - top - bottom, cat ? -0.5 : xlo,
                cat ? p->n_categories - 0.5 : xhi, ylo, yhi};
    if (cat && p->n_categories == 0) fr.x0 = -0.5, fr.x1 = 0.5;
    int markers = draw_markers(p);

    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n", f);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, "
            "Arial, sans-serif\" font-size=\"%.0f\">\n", W, H, W, H, FONT);
    fputs("<title>", f);
    put_text(f, p->title ? p->title : "plot", 0);
    /* scoped to the axes: a style rule beats the legend's stroke="colour" attributes */
    fputs("</title>\n<style>.axes line { stroke: #333333; } .axes line.grid { stroke: #e0e0e0; } "
          "polyline { fill: none; stroke-width: 2; stroke-linejoin: round; }</style>\n", f);
    fprintf(f, "<rect width=\"%.0f\" height=\"%.0f\" fill=\"#ffffff\"/>\n", W, H);
    if (p->title) text_at(f, W / 2, 26, "middle", "font-size=\"16\" font-weight=\"bold\"",
                          p->title, (int)(W / (16 * 0.62)));
    if (p->subtitle) text_at(f, W / 2, 46, "middle", "font-size=\"11\" fill=\"#555555\"",
                             p->subtitle, (int)(W / (11 * 0.6)));
    fputs("<g class=\"axes\">\n", f);
    draw_y_axis(f, &fr, yf, ys, ny, p->y_label);
    draw_x_axis(f, &fr, p, xf, xs, nx, rotate, H - 12);
    fputs("</g>\n<g class=\"series\">\n", f);
    for (int k = 0; k < p->n_series; k++)
        draw_series(f, &fr, &p->series[k], palette[k % N_PALETTE], markers);
    fputs("</g>\n", f);
    draw_legend(f, &fr, p, markers);
    fputs("</svg>\n", f);
}
