/* report.c - the CLI's one error convention (see report.h): recording a failure's message,
 * printing it with the command's flags in place of the library's setting names, the exit code;
 * also the device list and the JSON helpers every command's output uses. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The failure being reported. The CLI's own message takes precedence over the library's. */
static struct {
    char text[8192];
    int pending;          /* text holds a message not yet printed */
    int usage;            /* it is a usage error ... */
    const char *cmd;      /* ... pointing at this command's help (NULL: 'autorec --help') */
    int printed;          /* the current failure has been printed (cli_report_now) */
} msg;

/* Records a failure's message (a usage error of cmd when usage is set), formatted through a
 * scratch buffer so that an argument may be cli_message(). */
static void record(int usage, const char *cmd, const char *fmt, va_list ap) {
    char scratch[sizeof msg.text];
    vsnprintf(scratch, sizeof scratch, fmt, ap);
    memcpy(msg.text, scratch, sizeof msg.text);
    msg.pending = 1;
    msg.printed = 0;
    msg.usage = usage;
    msg.cmd = cmd;
}

ar_status cli_fail(ar_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(0, NULL, fmt, ap);
    va_end(ap);
    return s;
}

ar_status cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    record(1, cmd, fmt, ap);
    va_end(ap);
    return AR_ERR_INVALID_ARG;
}

const char *cli_message(void) { return msg.pending ? msg.text : ar_last_error(); }

ar_status cli_for_option(const char *option, ar_status s) {
    return s == AR_OK ? s : cli_fail(s, "%s: %s", option, cli_message());
}

static int ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Does name (len bytes) stand at p as a whole word? Setting names are C identifiers joined by
 * '.' (and '/' in "rating_min/max"): "ar_train_config.lr" must not match inside
 * "ar_train_config.lr_decay". */
static int word_at(const char *start, const char *p, const char *name, size_t len) {
    if (strncmp(p, name, len) != 0) return 0;
    return !(p > start && (ident_char(p[-1]) || p[-1] == '.')) && !ident_char(p[len]);
}

/* The flag of cmd whose option sets the setting named at p, with the name's length. */
static const char *flag_at(const cli_command *cmd, const char *start, const char *p,
                           size_t *len) {
    for (int g = 0; cmd && g < cmd->n_groups; g++) {
        const cli_group *grp = cmd->groups[g].group;
        for (int k = 0; k < grp->n; k++) {
            for (const char *s = grp->options[k].setting; s && *s;) {
                size_t n = strcspn(s, " ");
                if (word_at(start, p, s, n)) {
                    *len = n;
                    return grp->options[k].name;
                }
                s += n + strspn(s + n, " ");
            }
        }
    }
    return NULL;
}

void cli_flag_names(const cli_command *cmd, const char *in, char *out, size_t cap) {
    size_t o = 0;
    for (const char *p = in; *p && o + 1 < cap;) {
        size_t len = 0;
        const char *flag = flag_at(cmd, in, p, &len);
        if (flag) {
            o += (size_t)snprintf(out + o, cap - o, "%s", flag);
            if (o >= cap) o = cap - 1;
            p += len;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

static void print_failure(const cli_command *cmd, ar_status s) {
    char text[sizeof msg.text + 256];
    cli_flag_names(cmd, cli_message(), text, sizeof text);
    if (msg.pending && msg.usage)
        fprintf(stderr, "autorec: %s (see 'autorec %s%s--help')\n", text, msg.cmd ? msg.cmd : "",
                msg.cmd ? " " : "");
    else
        fprintf(stderr, "autorec: error: %s\n", text);
    if (s == AR_ERR_NO_DEVICE) {
        fprintf(stderr, "available devices:\n");
        cli_print_devices(stderr);
    }
    msg.pending = 0;
    msg.printed = 1;
}

ar_status cli_report_now(const cli_command *cmd, ar_status s) {
    print_failure(cmd, s);
    return s;
}

ar_status cli_reported(ar_status s) {
    msg.pending = 0;
    msg.printed = 1;
    return s;
}

int cli_exit(const cli_command *cmd, ar_status s) {
    if (s != AR_OK) cli_progress_end(); /* a progress line open: the message on its own */
    if (s != AR_OK && !msg.printed) print_failure(cmd, s);
    msg.pending = msg.printed = 0;
    return s == AR_OK ? 0 : ar_status_is_usage_error(s) ? 2 : 1;
}

void cli_print_devices(FILE *out) {
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    if (ar_devices_list(&pl, &np, &dv, &nd) != AR_OK) {
        fprintf(out, "autorec: %s\n", ar_last_error());
        return;
    }
    for (int p = 0; p < np; p++) {
        fprintf(out, "platform %d: %s (%s, %s)%s\n", p, pl[p].name, pl[p].vendor, pl[p].version,
                pl[p].n_devices ? "" : ": no devices");
        for (int d = 0; d < nd; d++) {
            if (dv[d].platform != p) continue;
            fprintf(out, "  %d:%d  [%d]  %-4s  %s  (vendor %s; %s; %u compute units; %.1f GiB)\n",
                    dv[d].platform, dv[d].device, dv[d].flat_index, dv[d].type, dv[d].name,
                    dv[d].vendor, dv[d].opencl_c_version, dv[d].compute_units,
                    (double)dv[d].global_mem_bytes / (1024.0 * 1024.0 * 1024.0));
        }
    }
    free(pl);
    free(dv);
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

void cli_json_value(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, "%.6g", v);
    else fputs("null", f);
}

void cli_json_number(FILE *f, const char *key, double v) {
    fprintf(f, ",\"%s\":", key);
    cli_json_value(f, v);
}
