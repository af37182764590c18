/* test_progress.c - progress on long work: the library's callbacks (ar_model_set_progress,
 * ar_load_options.progress) report monotone counts that end at the totals, a non-AR_OK status
 * stops the work with that status, and a callback changes no number; the CLI draws the line on
 * a terminal (a pseudo-terminal here) and never on stdout, and prints no progress when stderr
 * is not a terminal. */
#include <fcntl.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

TestSuite(progress, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* ---- training ------------------------------------------------------------------------------- */

typedef struct {
    ar_train_progress last;
    int calls, finals, stop_at; /* stop_at: the call (1-based) that returns AR_ERR_IO; 0 never */
} seen;

static ar_status on_train(void *user, const ar_train_progress *p) {
    seen *s = user;
    const ar_train_progress *q = &s->last;
    cr_assert(p->batches_done >= 1 && p->batches_done <= p->batches_total);
    cr_assert(p->ratings_done <= p->ratings_total && p->seconds >= 0);
    if (s->calls && p->epoch == q->epoch) /* monotone within an epoch */
        cr_assert(p->batches_done >= q->batches_done && p->ratings_done >= q->ratings_done &&
                  p->seconds >= q->seconds, "epoch %d: batch %d after %d", p->epoch,
                  p->batches_done, q->batches_done);
    else if (s->calls) /* a new epoch only after the last one's final call */
        cr_assert(p->epoch == q->epoch + 1 && q->batches_done == q->batches_total);
    if (p->batches_done == p->batches_total) {
        cr_assert_eq(p->ratings_done, p->ratings_total, "every rating once per epoch");
        s->finals++;
    }
    s->last = *p;
    return ++s->calls == s->stop_at ? AR_ERR_IO : AR_OK;
}

typedef struct {
    ar_ratings *train, *test;
    ar_dataset *ds;
} data;

static data make_data(void) {
    data d = {0};
    tu_synth(40, 300, 2, 0.2, 0.1, tu_seed(), &d.train, &d.test); /* 300 item rows */
    cr_assert(ar_dataset_create(d.train, d.test, &d.ds) == AR_OK, "%s", ar_last_error());
    return d;
}

static void free_data(data *d) {
    ar_dataset_free(d->ds);
    ar_ratings_free(d->train);
    ar_ratings_free(d->test);
}

static ar_model *make_model(ar_ctx *ctx, const data *d, ar_kernel_path k, int epochs) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 16, cfg.batch = 8, cfg.epochs = epochs, cfg.kernels = k, cfg.seed = 7;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, d->ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    return m;
}

Test(progress, train_counts_end_at_the_totals) {
    ar_ctx *ctx = tu_ctx();
    data d = make_data();
    ar_dataset_stats ss;
    ar_dataset_get_stats(d.ds, &ss);
    const ar_kernel_path paths[] = {AR_KERNELS_DENSE, AR_KERNELS_SPARSE};
    for (int k = 0; k < 2; k++) {
        ar_model *m = make_model(ctx, &d, paths[k], 2), *plain = make_model(ctx, &d, paths[k], 2);
        seen s = {0};
        ar_model_set_progress(m, on_train, &s);
        ar_train_result r, rp;
        cr_assert(ar_model_train(m, NULL, NULL, &r) == AR_OK, "%s", ar_last_error());
        cr_assert(ar_model_train(plain, NULL, NULL, &rp) == AR_OK, "%s", ar_last_error());
        const int nb = (ss.n_items + 7) / 8; /* about 38: calls at 8, 16, 24, 32, the last */
        cr_assert_eq(s.last.batches_total, nb);
        cr_assert_eq(s.last.ratings_total, (uint64_t)ss.n_train);
        cr_assert_eq(s.last.epochs, 2);
        cr_assert_eq(s.finals, 2, "one final call per epoch, got %d", s.finals);
        cr_assert_eq(s.calls, 2 * (nb / AR_PROGRESS_BATCHES + 1), "%d calls", s.calls);
        cr_assert_eq(s.last.epoch, 2);
        /* watching changes nothing: the same seed gives the same numbers */
        cr_assert(r.last.loss == rp.last.loss && r.last.test_rmse == rp.last.test_rmse,
                  "loss %.9g vs %.9g", r.last.loss, rp.last.loss);
        ar_model_free(m);
        ar_model_free(plain);
    }
    free_data(&d);
    ar_ctx_free(ctx);
}

Test(progress, train_stops_on_the_callbacks_status) {
    ar_ctx *ctx = tu_ctx();
    data d = make_data();
    ar_model *m = make_model(ctx, &d, AR_KERNELS_AUTO, 3);
    seen s = {.stop_at = 2};
    ar_model_set_progress(m, on_train, &s);
    cr_assert_eq(ar_model_train(m, NULL, NULL, NULL), AR_ERR_IO);
    cr_assert_eq(s.calls, 2, "no call after the stop");
    cr_assert_eq(s.last.batches_done, 2 * AR_PROGRESS_BATCHES);
    cr_assert_eq(ar_model_epochs_done(m), 0, "the stopped epoch is not counted");
    ar_model_set_progress(m, NULL, NULL); /* removed: the next epoch runs whole, unwatched */
    ar_epoch_stats es;
    cr_assert(ar_model_train_epoch(m, &es) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(s.calls, 2);
    cr_assert_eq(es.epoch, 1);
    ar_model_free(m);
    free_data(&d);
    ar_ctx_free(ctx);
}

/* ---- loading -------------------------------------------------------------------------------- */

typedef struct {
    ar_load_progress last;
    int calls, stop_at;
} load_seen;

static ar_status on_load(void *user, const ar_load_progress *p) {
    load_seen *s = user;
    cr_assert(p->bytes_done <= p->bytes_total && (p->pass == 0 || p->pass == 1));
    if (s->calls) {
        cr_assert(p->pass >= s->last.pass);
        if (p->pass == s->last.pass)
            cr_assert(p->bytes_done >= s->last.bytes_done &&
                      p->lines_done >= s->last.lines_done, "bytes %llu after %llu",
                      (unsigned long long)p->bytes_done, (unsigned long long)s->last.bytes_done);
    }
    s->last = *p;
    return ++s->calls == s->stop_at ? AR_ERR_IO : AR_OK;
}

/* n lines "user\titem\trating\n" (over 8 MiB for 1M: the parser's threads run). */
static char *ratings_text(size_t n, size_t *len) {
    char *buf = malloc(n * 24), *p = buf;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%zu\t%zu\t%zu\n", i % 5000, i / 5000, 1 + i % 5);
    *len = (size_t)(p - buf);
    return buf;
}

Test(progress, load_counts_end_at_the_totals) {
    const size_t sizes[] = {1000, 1000000};
    for (int k = 0; k < 2; k++) {
        size_t len;
        char *text = ratings_text(sizes[k], &len);
        if (k == 1) cr_assert(len > ((size_t)8 << 20), "%zu bytes: under the threads' 8 MiB", len);
        ar_load_options o;
        ar_load_options_default(&o);
        load_seen s = {0};
        o.progress = on_load, o.progress_user = &s;
        ar_ratings *r = NULL;
        cr_assert(ar_ratings_parse(text, len, "mem", &o, &r) == AR_OK, "%s", ar_last_error());
        cr_assert_eq(ar_ratings_count(r), sizes[k]);
        cr_assert(s.calls >= 1);
        cr_assert_eq(s.last.pass, 1);
        cr_assert_eq(s.last.bytes_done, (uint64_t)len);
        cr_assert_eq(s.last.bytes_total, (uint64_t)len);
        cr_assert_eq(s.last.lines_done, (uint64_t)sizes[k], "%llu lines",
                     (unsigned long long)s.last.lines_done);
        cr_assert_str_eq(s.last.name, "mem");
        ar_ratings_free(r);
        free(text);
    }
}

Test(progress, load_stops_on_the_callbacks_status) {
    size_t len;
    char *text = ratings_text(1000000, &len);
    ar_load_options o;
    ar_load_options_default(&o);
    load_seen s = {.stop_at = 1};
    o.progress = on_load, o.progress_user = &s;
    ar_ratings *r = NULL;
    cr_assert_eq(ar_ratings_parse(text, len, "mem", &o, &r), AR_ERR_IO);
    cr_assert_null(r);
    cr_assert_eq(s.calls, 1, "no call after the stop");
    free(text);
}

/* ---- the CLI -------------------------------------------------------------------------------- */

static const char *cli_bin(void) {
    const char *bin = getenv("AUTOREC_TEST_CLI");
    return bin && *bin ? bin : AUTOREC_BIN;
}

/* A small ratings file for the CLI: about 300 items, an epoch several batches of 8. */
static const char *ratings_file(void) {
    data d = make_data();
    const char *path = tu_path("r.data");
    tu_write_ratings(path, d.train);
    free_data(&d);
    return path;
}

/* Runs the CLI with stderr on a pseudo-terminal and stdout into tu_path("out"); returns what
 * the terminal got (free it). */
static char *run_on_tty(char *const argv[]) {
    const char *out = tu_path("out");
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    cr_assert(pid >= 0, "forkpty failed");
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) _exit(127);
        setenv("AUTOREC_PROGRESS_INTERVAL", "0", 1); /* every report drawn */
        execv(argv[0], argv);
        _exit(127);
    }
    size_t cap = 1 << 16, n = 0;
    char *tty = malloc(cap + 1);
    for (;;) { /* until the child closes the terminal (EIO on Linux) */
        ssize_t got = read(master, tty + n, cap - n);
        if (got <= 0) break;
        n += (size_t)got;
        if (n == cap) tty = realloc(tty, (cap *= 2) + 1);
    }
    tty[n] = 0;
    close(master);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit %d; terminal: %s",
              WEXITSTATUS(status), tty);
    return tty;
}

Test(progress, cli_draws_on_a_terminal_never_on_stdout, .timeout = 300) {
    const char *file = ratings_file();
    char *argv[] = {(char *)cli_bin(), "train", "--data", (char *)file, "--epochs", "2",
                    "--hidden", "16", "--batch", "8", "--json", NULL};
    char *tty = run_on_tty(argv);
    cr_assert(strstr(tty, "\rreading ") && strstr(tty, "% ("), "no load progress: %s", tty);
    cr_assert(strstr(tty, "\repoch 1/2  batch 8/") && strstr(tty, "ratings/s  ETA "),
              "no epoch progress: %s", tty);
    cr_assert(strstr(tty, "\repoch 2/2  batch 8/"), "no second epoch: %s", tty);
    char *out = tu_slurp(tu_path("out"), NULL);
    cr_assert(strstr(out, "\"test_rmse\""), "no JSON on stdout: %s", out);
    cr_assert(!strstr(out, "ratings/s") && !strstr(out, "reading") && !strchr(out, '\r') &&
              !strchr(out, '\033'), "progress on stdout: %s", out);
    free(out);
    free(tty);
}

Test(progress, cli_prints_none_when_stderr_is_not_a_terminal, .timeout = 300) {
    const char *file = ratings_file();
    static char out[1 << 16], err[1 << 16];
    int rc = tu_run_cli(tu_tmpdir(), "AUTOREC_PROGRESS_INTERVAL=0", out, err, sizeof out,
                        "train --data '%s' --epochs 2 --hidden 16 --batch 8", file);
    cr_assert_eq(rc, 0, "%s", err);
    cr_assert(!strstr(err, "ratings/s") && !strstr(err, "reading") && !strchr(err, '\r') &&
              !strchr(err, '\033'), "progress on a file: %s", err);
    cr_assert(strstr(err, "\nepoch   1/2 ") && strstr(err, "\nepoch   2/2 "),
              "one line per epoch: %s", err);
}
