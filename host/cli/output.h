/* output.h - every file the tool writes goes through the library's ar_output (include/autorec.h,
 * "Output files": a temporary next to the target renamed at the end, links written through,
 * anything but a regular file refused, dead writers' temporaries removed), the library's own
 * writers (model files, synth) included. Here: the checks of a command's outputs against the
 * files it reads before any work, and stdio streams onto an ar_output for the tool's text.
 * A failure is recorded as "OPTION: cannot write 'PATH': REASON" (AR_ERR_IO, exit 2), or
 * "OPTION: refusing to write 'PATH': it is the same file as 'OTHER' ..." (AR_ERR_INVALID_ARG). */
#ifndef AR_CLI_OUTPUT_H
#define AR_CLI_OUTPUT_H
#include <stdio.h>

#include "report.h"

struct cli_data_opts;
struct cli_data;
struct cli_parsed;

/* ---- the checks before a run ---------------------------------------------------------------- */

enum { CLI_MAX_INPUTS = 16, CLI_MAX_OUTPUTS = 4 };

/* The files one command reads and the files it writes, with the options that named them. */
typedef struct cli_files {
    const char *in[CLI_MAX_INPUTS];
    int n_in;
    const char *out[CLI_MAX_OUTPUTS], *out_option[CLI_MAX_OUTPUTS];
    int n_out;
} cli_files;

/* Notes a file the command reads (NULL: nothing). */
void cli_files_in(cli_files *f, const char *path);
/* Notes a file the command writes, named by option (NULL path: nothing). */
void cli_files_out(cli_files *f, const char *option, const char *path);
/* The data options' files, as given (--train, --test, --data): known before loading. */
void cli_files_data_opts(cli_files *f, const struct cli_data_opts *d);
/* The settings files the command line named (--config): read before the run. */
void cli_files_configs(cli_files *f, const struct cli_parsed *p);
/* The files loading read (the ratings files, found in a directory too, and the titles). */
void cli_files_data(cli_files *f, const struct cli_data *x);
/* Every output: writable (a file can be created next to it), not an existing non-regular
 * file, not the same file as an input nor as another output (ar_output_check). Called before
 * any work, and again once loading has found the files it read. */
ar_status cli_files_check(const cli_files *f);

/* ---- writing -------------------------------------------------------------------------------- */

/* One output file being written: a stdio stream whose bytes go to an ar_output. */
typedef struct cli_out {
    const char *option;        /* the option that named the file, for messages */
    const char *path;
    ar_output *o;              /* NULL when not open (never, or committed, or aborted) */
    FILE *f;                   /* write here */
} cli_out;

/* Starts the file (its temporary). */
ar_status cli_out_open(cli_out *c, const char *option, const char *path);
/* Writes what the stream holds to the temporary, where `tail -f` sees it. */
ar_status cli_out_flush(cli_out *c);
/* ... and syncs it to disk: after AR_OK only the rename is left to fail. */
ar_status cli_out_sync(cli_out *c);
/* Renames the temporary over the file: published. */
ar_status cli_out_commit(cli_out *c);
/* Removes the temporary; the file stays as it was. Nothing for one not open. */
void cli_out_abort(cli_out *c);
/* The temporary's path, NULL when not open. */
const char *cli_out_temp(const cli_out *c);

/* Several outputs published together: syncs every open one, then commits them in order; on a
 * failure the rest are aborted (so a failing write or sync leaves every file as it was). */
ar_status cli_outs_sync(cli_out *const *outs, int n);
ar_status cli_outs_commit(cli_out *const *outs, int n);
/* Writes path whole with emit(f, arg) (an error while emitting is seen through the stream). */
ar_status cli_write_file(const char *option, const char *path,
                         void (*emit)(FILE *f, const void *arg), const void *arg);

/* Makes the directory path unless something is there already ("cannot create PATH: REASON");
 * *made says whether it did (to remove it again when what goes in it fails). */
ar_status cli_make_dir(const char *path, int *made);

#endif
