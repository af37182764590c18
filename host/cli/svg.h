/* svg.h - a small SVG 1.1 line-plot writer for the CLI (training curves, sweeps).
 *
 * Self-contained (libc and libm only): it draws into a FILE, output.c writes the file. */
#ifndef AR_SVG_H
#define AR_SVG_H
#include <stddef.h>
#include <stdio.h>

/* One named line: n points (x[i], y[i]). A NaN y (or x) breaks the line: a gap. */
typedef struct cli_plot_series {
    const char *name;     /* legend text */
    const double *x;      /* NULL: x = 0, 1, ..., n-1 (what categorical plots want) */
    const double *y;
    int n;
} cli_plot_series;

typedef struct cli_plot {
    const char *title, *x_label, *y_label; /* any may be NULL */
    const char *subtitle; /* a smaller second line under the title (shortened when long) */
    const cli_plot_series *series;
    int n_series;
    /* Categorical x: when set, the x axis shows these labels at x = 0 .. n_categories-1 (the
     * series' x values are indices into it) instead of numeric ticks. */
    const char *const *categories;
    int n_categories;
    int x_integer;        /* numeric x ticks only at integers (epochs, hidden sizes) */
    int markers;          /* 0 (a zeroed struct): auto, when no series has more than 40 points;
                             1 always; -1 never */
    int width, height;    /* pixels; 0: 800 x 500 */
} cli_plot;

/* Writes the plot as a standalone SVG document to f (the emitter for cli_write_atomic; plot is a
 * const cli_plot *). Errors are f's (ferror). */
void cli_svg_emit(FILE *f, const void *plot);

/* "Nice" axis ticks: a step of 1, 2 or 5 x 10^k giving about `target` ticks that cover
 * [lo, hi]; *first and *last are multiples of *step enclosing the range. Returns the number of
 * ticks. lo == hi is widened around the value. Exposed for the tests. */
int cli_nice_ticks(double lo, double hi, int target, double *first, double *last, double *step);

#endif
