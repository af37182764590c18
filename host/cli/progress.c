/* progress.c - what a terminal shows while long work runs: the library's progress callbacks
 * (ar_model_set_progress, ar_load_options.progress) drawn as one line on stderr, redrawn in
 * place with \r and erased when the work ends. Only when stderr is a terminal and not --quiet:
 * otherwise no callback is set, so the library does exactly what it did without, and stderr
 * gets the one line per epoch it always had. Never stdout. Tune's workers draw from their own
 * threads: one mutex keeps the line whole. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli.h"

/* The terminal's last line: nothing open, a progress line (erased when work ends), or an epoch
 * line rewritten in place (cli_progress: ended with a newline to keep it). */
enum { LINE_NONE, LINE_PROGRESS, LINE_EPOCH };

static struct {
    pthread_mutex_t mu;
    int line;
    int drawn;  /* a progress line was drawn since the last epoch line */
} S = {PTHREAD_MUTEX_INITIALIZER, LINE_NONE, 0};

int cli_progress_on(int quiet) {
    return !quiet && isatty(STDERR_FILENO);
}

/* $AUTOREC_PROGRESS_INTERVAL: the seconds between two redraws (0.2 by default; 0 draws every
 * report, which the tests use). */
static double interval(void) {
    const char *e = getenv("AUTOREC_PROGRESS_INTERVAL");
    char *end;
    double v = e && *e ? strtod(e, &end) : 0.2;
    return e && *e && (*end || !(v >= 0)) ? 0.2 : v;
}

/* The terminal's width less one, so that a line never wraps (a wrapped line cannot be redrawn
 * with \r). */
static int width(void) {
    struct winsize ws;
    int w = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
    return w - 1;
}

static void draw(const char *text) {
    pthread_mutex_lock(&S.mu);
    fprintf(stderr, "\r%.*s\033[K", width(), text);
    fflush(stderr);
    S.line = LINE_PROGRESS;
    S.drawn = 1;
    pthread_mutex_unlock(&S.mu);
}

void cli_progress_note(const char *fmt, ...) {
    char text[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    draw(text);
}

void cli_progress_end(void) {
    pthread_mutex_lock(&S.mu);
    if (S.line == LINE_PROGRESS) fputs("\r\033[K", stderr);
    else if (S.line == LINE_EPOCH) fputc('\n', stderr);
    fflush(stderr);
    S.line = LINE_NONE;
    pthread_mutex_unlock(&S.mu);
}

const char *cli_progress_epoch_end(void) {
    pthread_mutex_lock(&S.mu);
    const int keep = S.drawn; /* a slow epoch: its line stays, above the next one's progress */
    S.drawn = 0;
    S.line = keep ? LINE_NONE : LINE_EPOCH;
    pthread_mutex_unlock(&S.mu);
    return keep ? "\033[K\n" : "\033[K";
}

/* 1234567 -> "1.2M". */
static void human(char *s, size_t cap, double x) {
    if (x < 1e3) snprintf(s, cap, "%.0f", x);
    else if (x < 1e6) snprintf(s, cap, "%.1fk", x / 1e3);
    else if (x < 1e9) snprintf(s, cap, "%.1fM", x / 1e6);
    else snprintf(s, cap, "%.1fG", x / 1e9);
}

/* Seconds left at `rate` per second for `left` more: "0:41", "1:02:03", "?" without a rate. */
static void eta(char *s, size_t cap, double left, double rate) {
    if (!(rate > 0) || left / rate > 360000) {
        snprintf(s, cap, "?");
        return;
    }
    long t = (long)(left / rate + 0.5);
    if (t >= 3600) snprintf(s, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(s, cap, "%ld:%02ld", t / 60, t % 60);
}

/* Whether a report at `seconds` into the work is drawn: one per interval. */
static int due(cli_watch *w, double seconds) {
    if (seconds < w->last) w->last = 0; /* a new epoch or load */
    if (w->shown && seconds - w->last < interval()) return 0;
    if (!w->shown && seconds < interval()) return 0; /* work this short shows nothing */
    w->shown = 1;
    w->last = seconds;
    return 1;
}

static ar_status on_batches(void *user, const ar_train_progress *p) {
    cli_watch *w = user;
    if (p->epoch != w->epoch) w->epoch = p->epoch, w->shown = 0, w->last = 0;
    if (!due(w, p->seconds)) return AR_OK;
    double rate = p->seconds > 0 ? (double)p->ratings_done / p->seconds : 0;
    char r[32], left[32], text[512];
    human(r, sizeof r, rate);
    eta(left, sizeof left, (double)(p->ratings_total - p->ratings_done), rate);
    snprintf(text, sizeof text, "%sepoch %d/%d  batch %d/%d  %s ratings/s  ETA %s", w->prefix,
             p->epoch, p->epochs, p->batches_done, p->batches_total, r, left);
    draw(text);
    return AR_OK;
}

void cli_watch_model(ar_model *m, cli_watch *w, int on, const char *prefix) {
    memset(w, 0, sizeof *w);
    snprintf(w->prefix, sizeof w->prefix, "%s", prefix);
    ar_model_set_progress(m, on ? on_batches : NULL, on ? w : NULL);
}

static ar_status on_load(void *user, const ar_load_progress *p) {
    cli_watch *w = user;
    if (!due(w, p->seconds)) return AR_OK;
    double rate = p->seconds > 0 ? (double)p->bytes_done / p->seconds : 0;
    double left = (double)(p->bytes_total - p->bytes_done);
    int pct = p->bytes_total ? (int)(100.0 * (double)p->bytes_done / (double)p->bytes_total) : 100;
    char lines[32], t[32], text[4400];
    human(lines, sizeof lines, (double)p->lines_done);
    eta(t, sizeof t, left, rate);
    if (p->pass) /* parsing */
        snprintf(text, sizeof text, "reading %s: %d%% (%s lines, %.0f MB/s, ETA %s)", p->name,
                 pct, lines, rate / 1e6, t);
    else /* the first pass, which reads the file from disk: its own speed, no ETA */
        snprintf(text, sizeof text, "reading %s: scanning %d%% (%.0f MB/s)", p->name, pct,
                 rate / 1e6);
    draw(text);
    return AR_OK;
}

void cli_watch_load(ar_load_options *o, cli_watch *w) {
    memset(w, 0, sizeof *w);
    o->progress = on_load;
    o->progress_user = w;
}

ar_status cli_train_watched(ar_model *m, int tty, const char *prefix, ar_epoch_callback cb,
                            void *user, ar_train_result *out) {
    cli_watch w;
    cli_watch_model(m, &w, tty, prefix);
    ar_status st = ar_model_train(m, cb, user, out);
    ar_model_set_progress(m, NULL, NULL); /* w goes out of scope */
    if (tty) cli_progress_end();
    return st;
}
