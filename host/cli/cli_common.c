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

int cli_parse_layers(const char *s, ar_train_config *cfg) {
    int w[AR_MAX_HIDDEN_LAYERS], n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char num[32];
        long v;
        if (len >= sizeof num || n == AR_MAX_HIDDEN_LAYERS) return 0;
        memcpy(num, p, len);
        num[len] = 0;
        if (!cli_parse_int(num, 1, 1000000, &v)) return 0;
        w[n++] = (int)v;
        if (!comma) break;
        p = comma + 1;
    }
    cfg->hidden = w[0];
    cfg->n_layers = n > 1 ? n : 0;
    for (int k = 0; k < n; k++) cfg->layers[k] = n > 1 ? w[k] : 0;
    return 1;
}

void cli_format_layers(const ar_train_config *cfg, char *buf, size_t cap) {
    if (cfg->n_layers == 0) {
        snprintf(buf, cap, "%d", cfg->hidden);
        return;
    }
    size_t off = 0;
    buf[0] = 0;
    for (int k = 0; k < cfg->n_layers && off < cap; k++)
        off += (size_t)snprintf(buf + off, cap - off, "%s%d", k ? "," : "", cfg->layers[k]);
}

double cli_epoch_flops(const ar_train_config *cfg, int rows, int cols, size_t nnz, int sparse) {
    int w[AR_MAX_HIDDEN_LAYERS + 2], n;
    w[0] = cols;
    if (cfg->n_layers == 0) {
        w[1] = cfg->hidden;
        n = 1;
    } else {
        for (int k = 0; k < cfg->n_layers; k++) w[k + 1] = cfg->layers[k];
        n = cfg->n_layers;
    }
    w[n + 1] = cols;
    /* forward and the weight gradients: one GEMM per layer each; the input gradient of every
     * layer but the first: 2 rows d_k d_k+1 FLOPs per GEMM */
    double s = 0;
    for (int k = 0; k <= n; k++) s += (double)w[k] * w[k + 1];
    double dense = 2.0 * rows * (3.0 * s - (double)w[0] * w[1]);
    if (!sparse) return dense;
    /* the sparse path: the first layer's forward and weight gradient (2 products) and the last
     * layer's forward, weight gradient and input gradient (3) over the observed entries only;
     * the layers in between stay dense */
    double inner = 0;
    for (int k = 1; k < n; k++) inner += (double)w[k] * w[k + 1];
    return 2.0 * (double)nnz * (2.0 * w[1] + 3.0 * w[n]) + 2.0 * rows * 3.0 * inner;
}
