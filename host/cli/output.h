/* output.h - every file the CLI itself writes goes through here (the library writes model
 * files and synth's ratings). A failure is AR_ERR_IO recorded as "cannot write 'PATH': REASON"
 * (callers prefix the option that named the path), except where noted. */
#ifndef AR_CLI_OUTPUT_H
#define AR_CLI_OUTPUT_H
#include <stdio.h>

#include "report.h"

/* Writes path with emit(f, arg) through a temporary file in the same directory that is renamed
 * over path at the end (mode 0644), so a failure never leaves a partial file; an error while
 * emitting is seen through ferror. */
ar_status cli_write_atomic(const char *path, void (*emit)(FILE *f, const void *arg),
                           const void *arg);
/* AR_OK when a file can be created at path (it tries, in path's directory, and removes what it
 * made; an existing file at path is left alone). Used to fail before a long run rather than
 * after it. */
ar_status cli_check_writable(const char *path);
/* AR_OK when a file can be created next to path ("cannot write next to 'PATH': REASON"): for a
 * file that someone else writes later (train --save, through the library). */
ar_status cli_check_beside(const char *path);
/* Makes the directory path unless something is there already ("cannot create PATH: REASON"). */
ar_status cli_make_dir(const char *path);

/* A file written row by row while a run goes on (train --metrics, sweep --out): opened (and
 * truncated) at once, each row flushed so that it can be watched. Flushing and closing fail
 * with CLI_ERR_OUTPUT: the run's input was fine. */
ar_status cli_stream_open(const char *path, FILE **f);
ar_status cli_stream_flush(FILE *f, const char *path);
ar_status cli_stream_close(FILE *f, const char *path);
/* Closes f and removes path: a stream that got no row leaves no header-only file behind. */
void cli_stream_discard(FILE *f, const char *path);
/* Closes f after the run failed: the rows written so far stay (they show how far it got), and
 * nothing is reported (the run's own failure is). */
void cli_stream_abandon(FILE *f);

#endif
