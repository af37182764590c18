/* cli_common.c - helpers shared by the command files: exit codes, messages, number parsing,
 * JSON output. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_exit_code(ar_status s) {
    return s == AR_OK ? EXIT_OK : ar_status_is_usage_error(s) ? EXIT_USAGE : EXIT_FAIL;
}

/* A message set by the CLI itself (cli_fail); it takes precedence over the library's. */
static char cli_error[8192];

ar_status cli_fail(ar_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cli_error, sizeof cli_error, fmt, ap);
    va_end(ap);
    return s;
}

int cli_report(ar_status s) {
    fprintf(stderr, "autorec: error: %s\n", cli_error[0] ? cli_error : ar_last_error());
    cli_error[0] = 0;
    return cli_exit_code(s);
}

int cli_usage_error(const char *cmd, const char *fmt, const char *arg) {
    fprintf(stderr, "autorec: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'autorec %s --help')\n", cmd);
    return EXIT_USAGE;
}

int cli_parse_int(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

int cli_parse_u64(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    if (!*s || *s == '-') return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return 0;
    *out = v;
    return 1;
}

int cli_parse_float(const char *s, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v)) return 0;
    *out = (float)v;
    return 1;
}

void cli_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
        else if (ch < 0x20) fprintf(f, "\\u%04x", ch);
        else fputc(ch, f);
    }
    fputc('"', f);
}

void cli_json_number(FILE *f, const char *key, double v) {
    fprintf(f, ",\"%s\":", key);
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fputs("null", f);
}

int cli_option(int argc, char **argv, int *i, char *name, size_t name_len, const char **val,
               const char *cmd) {
    const char *a = argv[*i];
    if (strncmp(a, "--", 2) != 0) return cli_usage_error(cmd, "unexpected argument '%s'", a);
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    if (n >= name_len) return cli_usage_error(cmd, "unknown option '%s'", a);
    memcpy(name, a, n);
    name[n] = 0;
    if (eq) {
        *val = eq + 1;
    } else if (*i + 1 < argc) {
        *val = argv[++*i];
    } else {
        return cli_usage_error(cmd, "option %s needs a value", a);
    }
    return -1;
}
