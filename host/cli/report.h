/* report.h - how the CLI fails and says so. Every CLI function returns an ar_status; the message
 * for a failure is recorded by cli_fail / cli_usage (printf-style, checked by the compiler) or
 * left by the library in ar_last_error(). cli_exit, called by the dispatcher alone, prints it
 * (library setting names turned into the flags that set them) and maps the status to the exit
 * code: 0 success, 2 a usage error or bad input (ar_status_is_usage_error), 1 anything else. */
#ifndef AR_CLI_REPORT_H
#define AR_CLI_REPORT_H
#include <stddef.h>
#include <stdio.h>

#include "autorec.h"

struct cli_command;

/* Records "MESSAGE" for the failure s and returns s; printed as "autorec: error: MESSAGE". The
 * arguments may include cli_message() (the message being replaced). */
ar_status cli_fail(ar_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a usage error and returns AR_ERR_INVALID_ARG; printed as "autorec: MESSAGE (see
 * 'autorec CMD --help')", or "(see 'autorec --help')" when cmd is NULL. */
ar_status cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The current failure's message: the last one recorded and not yet printed, else the
 * library's ar_last_error(). */
const char *cli_message(void);
/* s; a failure's message gets "OPTION: " before it (the option that named a path, say). */
ar_status cli_for_option(const char *option, ar_status s);
/* Prints the current failure now (as cli_exit would) and returns s; cli_exit then prints it no
 * more. For a command that reports a failure and goes on (bench, device after device). */
ar_status cli_report_now(const struct cli_command *cmd, ar_status s);
/* s, a failure already explained on stderr some other way: cli_exit prints nothing for it. */
ar_status cli_reported(ar_status s);
/* The dispatcher's last step: prints the failure (unless printed already) with cmd's flags for
 * the library's setting names (cmd may be NULL), followed by the device list when a device
 * spec matched nothing; returns the exit code for s. */
int cli_exit(const struct cli_command *cmd, ar_status s);

/* msg with every library setting name that one of cmd's options sets ("ar_train_config.lr",
 * "ar_load_options.rating_min/max") replaced by the option's flag ("--lr", "--rating-range"),
 * into out (cap bytes, always terminated). Names without a flag in cmd stay. */
void cli_flag_names(const struct cli_command *cmd, const char *msg, char *out, size_t cap);

/* Every OpenCL platform and its devices, one line each (`autorec devices`). */
void cli_print_devices(FILE *out);

/* JSON output: a quoted, escaped string; ",\"key\":number" (null when not finite); the number
 * (or null) alone. */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, const char *key, double v);
void cli_json_value(FILE *f, double v);

#endif
