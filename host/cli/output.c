/* output.c - the files the tool writes (see output.h): the checks of a command's outputs
 * before a run, and stdio streams (fopencookie) that write into the library's ar_output, so
 * that the rules of writing a file live in one place (host/core/file.c). */
#define _GNU_SOURCE /* fopencookie */
#include "output.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "cli.h"

/* ---- the checks before a run ---------------------------------------------------------------- */

void cli_files_in(cli_files *f, const char *path) {
    if (path && *path && f->n_in < CLI_MAX_INPUTS) f->in[f->n_in++] = path;
}

void cli_files_out(cli_files *f, const char *option, const char *path) {
    if (!path || f->n_out == CLI_MAX_OUTPUTS) return;
    f->out_option[f->n_out] = option;
    f->out[f->n_out++] = path;
}

void cli_files_data_opts(cli_files *f, const cli_data_opts *d) {
    cli_files_in(f, d->train);
    cli_files_in(f, d->test);
    cli_files_in(f, d->data);
}

void cli_files_configs(cli_files *f, const cli_parsed *p) {
    for (int k = 0; k < p->n_config; k++) cli_files_in(f, p->config[k]);
}

void cli_files_data(cli_files *f, const cli_data *x) {
    for (int k = 0; k < x->n_files; k++) cli_files_in(f, x->files[k]);
    if (x->has_titles_file) cli_files_in(f, x->titles_path);
}

ar_status cli_files_check(const cli_files *f) {
    for (int k = 0; k < f->n_out; k++) {
        const char *opt = f->out_option[k];
        if (!*f->out[k]) return cli_fail(AR_ERR_INVALID_ARG, "%s: an empty file name", opt);
        ar_status st = ar_output_check(f->out[k], f->in, (size_t)f->n_in);
        if (st == AR_ERR_INVALID_ARG)
            return cli_fail(st, "%s: %s, which this command reads", opt, ar_last_error());
        if (st == AR_OK && k > 0 && (st = ar_output_check(f->out[k], f->out, (size_t)k)) != AR_OK)
            return cli_fail(st, "%s: %s, another output of this command", opt, ar_last_error());
        if (st != AR_OK) return cli_for_option(opt, st);
    }
    return AR_OK;
}

/* ---- writing -------------------------------------------------------------------------------- */

/* The stream's bytes into the output (buffered there; the first error sticks in it). */
static ssize_t to_output(void *cookie, const char *buf, size_t n) {
    return ar_output_write(cookie, buf, n) == AR_OK ? (ssize_t)n : -1;
}

ar_status cli_out_open(cli_out *c, const char *option, const char *path) {
    memset(c, 0, sizeof *c);
    c->option = option;
    c->path = path;
    ar_status st = ar_output_open(path, &c->o);
    if (st != AR_OK) return cli_for_option(option, st);
    if (!(c->f = fopencookie(c->o, "w", (cookie_io_functions_t){.write = to_output}))) {
        cli_out_abort(c);
        return cli_fail(AR_ERR_OUT_OF_MEMORY, "%s: out of host memory", option);
    }
    return AR_OK;
}

/* The status after the stream was flushed (fflush_rc): the output's sticky error, else a
 * failure of the stream itself. */
static ar_status after_flush(cli_out *c, int fflush_rc, ar_status st) {
    if (st == AR_OK && fflush_rc != 0)
        st = cli_fail(AR_ERR_IO, "cannot write '%s': %s", c->path, strerror(errno ? errno : EIO));
    return cli_for_option(c->option, st);
}

ar_status cli_out_flush(cli_out *c) {
    int rc = fflush(c->f);
    return after_flush(c, rc, ar_output_flush(c->o));
}

ar_status cli_out_sync(cli_out *c) {
    int rc = fflush(c->f);
    return after_flush(c, rc, ar_output_sync(c->o));
}

ar_status cli_out_commit(cli_out *c) {
    ar_status st = cli_out_sync(c);
    fclose(c->f);
    c->f = NULL;
    if (st != AR_OK) {
        cli_out_abort(c);
        return st;
    }
    ar_output *o = c->o;
    c->o = NULL;
    return cli_for_option(c->option, ar_output_commit(o));
}

void cli_out_abort(cli_out *c) {
    if (c->f) fclose(c->f);
    ar_output_abort(c->o);
    c->f = NULL;
    c->o = NULL;
}

const char *cli_out_temp(const cli_out *c) { return c->o ? ar_output_temp_path(c->o) : NULL; }

ar_status cli_outs_sync(cli_out *const *outs, int n) {
    ar_status st = AR_OK;
    for (int k = 0; k < n && st == AR_OK; k++)
        if (outs[k]->o) st = cli_out_sync(outs[k]);
    for (int k = 0; k < n && st != AR_OK; k++) cli_out_abort(outs[k]);
    return st;
}

ar_status cli_outs_commit(cli_out *const *outs, int n) {
    ar_status st = cli_outs_sync(outs, n);
    for (int k = 0; k < n && st == AR_OK; k++)
        if (outs[k]->o) st = cli_out_commit(outs[k]);
    for (int k = 0; k < n; k++) cli_out_abort(outs[k]);
    return st;
}

ar_status cli_write_file(const char *option, const char *path,
                         void (*emit)(FILE *f, const void *arg), const void *arg) {
    cli_out c;
    ar_status st = cli_out_open(&c, option, path);
    if (st != AR_OK) return st;
    emit(c.f, arg);
    return cli_out_commit(&c);
}

ar_status cli_make_dir(const char *path, int *made) {
    struct stat sb;
    *made = 0;
    if (stat(path, &sb) == 0) return AR_OK;
    if (mkdir(path, 0777) != 0)
        return cli_fail(AR_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    *made = 1;
    return AR_OK;
}
