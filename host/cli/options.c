/* options.c - the generic option parser: walks argv with a command's option table (options.h),
 * reads and range-checks each value as its descriptor says, and words every refusal the same
 * way, naming the option. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

int cli_parse_int(const char *s, long long lo, long long hi, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
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

const cli_option *cli_find_option(const cli_command *cmd, const char *name, size_t *base) {
    for (int g = 0; g < cmd->n_groups; g++) {
        const cli_group *grp = cmd->groups[g].group;
        for (int k = 0; k < grp->n; k++)
            if (!strcmp(grp->options[k].name, name)) {
                if (base) *base = cmd->groups[g].base;
                return &grp->options[k];
            }
    }
    return NULL;
}

int cli_given(const cli_parsed *p, const char *name) {
    for (int k = 0; k < p->n_given; k++)
        if (!strcmp(p->given[k]->name, name)) return 1;
    return 0;
}

/* ---- values --------------------------------------------------------------------------------- */

/* What an integer option accepts: "an integer in 1..1000", "a positive integer". */
static void expect_integer(const cli_option *o, char *buf, size_t cap) {
    unsigned long long top = o->kind == CLI_INT ? INT32_MAX : o->kind == CLI_I64 ? INT64_MAX
                                                                                 : UINT64_MAX;
    if (o->max && o->max < top) snprintf(buf, cap, "an integer in %lld..%llu", o->min, o->max);
    else if (o->min == 0) snprintf(buf, cap, "a non-negative integer");
    else if (o->min == 1) snprintf(buf, cap, "a positive integer");
    else snprintf(buf, cap, "an integer >= %lld", o->min);
}

/* What a number option accepts: "a finite number", "a number in (0, 1)", "a number in 0..4". */
static void expect_number(const cli_option *o, char *buf, size_t cap) {
    int b = o->bounds, open_lo = b & CLI_MIN_OPEN, open_hi = b & CLI_MAX_OPEN;
    if (!(b & (CLI_MIN | CLI_MAX))) snprintf(buf, cap, "a finite number");
    else if (!(b & CLI_MAX))
        snprintf(buf, cap, "a finite number %s %g", open_lo ? ">" : ">=", o->lo);
    else if (!(b & CLI_MIN))
        snprintf(buf, cap, "a finite number %s %g", open_hi ? "<" : "<=", o->hi);
    else if (!open_lo && !open_hi) snprintf(buf, cap, "a number in %g..%g", o->lo, o->hi);
    else snprintf(buf, cap, "a number in %c%g, %g%c", open_lo ? '(' : '[', o->lo, o->hi,
                  open_hi ? ')' : ']');
}

static int in_bounds(const cli_option *o, double v) {
    int b = o->bounds;
    if ((b & CLI_MIN) && (b & CLI_MIN_OPEN ? !(v > o->lo) : !(v >= o->lo))) return 0;
    if ((b & CLI_MAX) && (b & CLI_MAX_OPEN ? !(v < o->hi) : !(v <= o->hi))) return 0;
    return 1;
}

/* "a, b or c" from a choice list. */
static void choice_list(const cli_choice *c, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; c[k].name && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k == 0 ? "" : c[k + 1].name ? ", "
                                : " or ", c[k].name);
}

/* The same from a preset list. */
static void preset_list(const cli_preset *ps, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; ps[k].name && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k == 0 ? "" : ps[k + 1].name ? ", "
                                : " or ", ps[k].name);
}

/* The preset of o called name (any case), or NULL. */
static const cli_preset *find_preset(const cli_option *o, const char *name) {
    for (int k = 0; o->presets[k].name; k++)
        if (!strcasecmp(name, o->presets[k].name)) return &o->presets[k];
    return NULL;
}

void cli_preset_values(const cli_preset *ps, char join, char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; ps->args[k] && len < cap; k++) {
        char sep[2] = {k == 0 ? 0 : strncmp(ps->args[k], "--", 2) ? join : ' ', 0};
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, ps->args[k]);
    }
}

/* Reads an integer or number option; 0 when the value is malformed or out of range. */
static int read_number(const cli_option *o, const char *val, void *field) {
    long long i;
    uint64_t u;
    float x;
    unsigned long long top = o->max ? o->max : o->kind == CLI_INT ? INT32_MAX : INT64_MAX;
    switch (o->kind) {
    case CLI_INT:
        if (!cli_parse_int(val, o->min, (long long)top, &i)) return 0;
        *(int *)field = (int)i;
        return 1;
    case CLI_I64:
        if (!cli_parse_int(val, o->min, (long long)top, &i)) return 0;
        *(int64_t *)field = i;
        return 1;
    case CLI_U64:
        if (!cli_parse_u64(val, &u) || u < (uint64_t)o->min || (o->max && u > o->max)) return 0;
        *(uint64_t *)field = u;
        return 1;
    case CLI_FLOAT:
        if (!cli_parse_float(val, &x) || !in_bounds(o, x)) return 0;
        *(float *)field = x;
        return 1;
    default: /* CLI_DOUBLE: at float precision, as these options have always been read */
        if (!cli_parse_float(val, &x) || !in_bounds(o, x)) return 0;
        *(double *)field = x;
        return 1;
    }
}

ar_status cli_read_value(const cli_command *cmd, const cli_option *o, const char *val,
                         void *field) {
    char want[256];
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)field = 1;
        return AR_OK;
    case CLI_PRESET: {
        const cli_preset *ps = find_preset(o, val);
        if (ps) {
            *(const char **)field = ps->name;
            return AR_OK;
        }
        preset_list(o->presets, want, sizeof want);
        return cli_usage(cmd->name, "%s expects %s, got '%s'", o->name, want, val);
    }
    case CLI_CONFIG: /* read by cli_parse before the rest of the command line */
        if (!*val) return cli_usage(cmd->name, "%s expects a file name", o->name);
        *(const char **)field = val;
        return AR_OK;
    case CLI_STRING:
        if ((o->flags & CLI_NONEMPTY) && !*val)
            return cli_usage(cmd->name, "%s expects a non-empty %s", o->name, o->meta);
        *(const char **)field = val;
        return AR_OK;
    case CLI_LIST: {
        cli_list *l = field;
        if (l->n == CLI_LIST_MAX)
            return cli_usage(cmd->name, "at most %d %s values, got more at '%s'", CLI_LIST_MAX,
                             o->name, val);
        l->v[l->n++] = val;
        return AR_OK;
    }
    case CLI_CHOICE:
        for (int k = 0; o->choices[k].name; k++)
            if (!strcasecmp(val, o->choices[k].name)) {
                *(int *)field = o->choices[k].value;
                return AR_OK;
            }
        choice_list(o->choices, want, sizeof want);
        return cli_usage(cmd->name, "%s expects %s, got '%s'", o->name, want, val);
    case CLI_CUSTOM:
        if (o->parse(o, val, field) != AR_OK) return cli_usage(cmd->name, "%s", cli_message());
        return AR_OK;
    case CLI_INT:
    case CLI_I64:
    case CLI_U64:
        if (read_number(o, val, field)) return AR_OK;
        expect_integer(o, want, sizeof want);
        return cli_usage(cmd->name, "%s expects %s, got '%s'", o->name, want, val);
    default:
        if (read_number(o, val, field)) return AR_OK;
        expect_number(o, want, sizeof want);
        return cli_usage(cmd->name, "%s expects %s, got '%s'", o->name, want, val);
    }
}

ar_status cli_library_value(const cli_option *o, ar_status s) {
    return s == AR_OK ? s : cli_fail(s, "%s: %s", o->name, ar_last_error());
}

int cli_value_text(const cli_option *o, const void *field, char *buf, size_t cap) {
    buf[0] = 0;
    switch (o->kind) {
    case CLI_INT: snprintf(buf, cap, "%d", *(const int *)field); break;
    case CLI_I64: snprintf(buf, cap, "%lld", (long long)*(const int64_t *)field); break;
    case CLI_U64: snprintf(buf, cap, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case CLI_FLOAT: snprintf(buf, cap, "%g", (double)*(const float *)field); break;
    case CLI_DOUBLE: snprintf(buf, cap, "%g", *(const double *)field); break;
    case CLI_STRING:
    case CLI_PRESET: {
        const char *s = *(const char *const *)field;
        snprintf(buf, cap, "%s", s ? s : "");
        break;
    }
    case CLI_CHOICE:
        for (int k = 0; o->choices[k].name; k++)
            if (o->choices[k].value == *(const int *)field)
                snprintf(buf, cap, "%s", o->choices[k].name);
        break;
    case CLI_CUSTOM:
        if (o->show) o->show(field, buf, cap);
        break;
    default: break; /* flags, lists and settings files have no one value */
    }
    return buf[0] != 0;
}

/* ---- the parser ----------------------------------------------------------------------------- */

int cli_note_given(cli_parsed *p, const cli_option *o, int file, int line) {
    int k = 0;
    while (k < p->n_given && p->given[k] != o) k++;
    if (k == CLI_MAX_GIVEN) return -1;
    if (k == p->n_given) p->given[p->n_given++] = o;
    p->from_file[k] = file, p->from_line[k] = line;
    p->from_preset[k] = NULL; /* given again after the preset: no longer the preset's */
    return k;
}

/* Each CLI_REQUIRED option of cmd that was not given is a usage error (the first one is). */
static ar_status check_required(const cli_command *cmd, const cli_parsed *p) {
    for (int g = 0; g < cmd->n_groups; g++) {
        const cli_group *grp = cmd->groups[g].group;
        for (int k = 0; k < grp->n; k++) {
            const cli_option *o = &grp->options[k];
            if (!(o->flags & CLI_REQUIRED) || cli_given(p, o->name)) continue;
            char choices[256] = "";
            if (o->kind == CLI_CHOICE) choice_list(o->choices, choices, sizeof choices);
            return cli_usage(cmd->name, "%s %s is required%s%s", o->name, o->meta,
                             choices[0] ? ": " : "", choices);
        }
    }
    return AR_OK;
}

/* The last CLI_PRESET option on the command line (its value in *val), or NULL. Only names are
 * looked at: values and mistakes are the main reading's. */
static const cli_option *preset_option(const cli_command *cmd, int argc, char **argv,
                                       const char **val, size_t *base) {
    const cli_option *found = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) break; /* nothing after it is read */
        char name[64];
        size_t n = eq ? (size_t)(eq - a) : strlen(a), b = 0;
        if (a[0] != '-' || n >= sizeof name) continue;
        memcpy(name, a, n);
        name[n] = 0;
        const cli_option *o = cli_find_option(cmd, name, &b);
        if (!o || o->kind == CLI_FLAG || eq) {
            if (o && o->kind == CLI_PRESET) found = o, *val = eq + 1, *base = b;
            continue;
        }
        if (i + 1 == argc || !strncmp(argv[i + 1], "--", 2)) continue; /* no value */
        if (o->kind == CLI_PRESET) found = o, *val = argv[i + 1], *base = b;
        i++; /* the value is no option */
    }
    return found;
}

/* Reads the values of the preset named on the command line into opts, before the command line
 * itself: what it gives afterwards overrides them. */
static ar_status apply_preset(const cli_command *cmd, int argc, char **argv, void *opts,
                              cli_parsed *p) {
    const char *val = NULL;
    size_t base = 0;
    const cli_option *o = preset_option(cmd, argc, argv, &val, &base);
    if (!o) return AR_OK;
    ar_status st = cli_read_value(cmd, o, val, (char *)opts + base + o->at);
    if (st != AR_OK) return st;
    const cli_preset *ps = find_preset(o, val);
    for (int k = 0; ps->args[k] && st == AR_OK; k++) {
        const char *flag = ps->args[k];
        size_t b = 0;
        const cli_option *x = cli_find_option(cmd, flag, &b);
        const char *v = x && x->kind != CLI_FLAG ? ps->args[++k] : NULL;
        if (!x || (x->kind != CLI_FLAG && !v)) /* the table's mistake, worded as a refusal */
            return cli_usage(cmd->name, "%s %s sets %s, which %s does not take", o->name,
                             ps->name, flag, cmd->name);
        st = cli_read_value(cmd, x, v, (char *)opts + b + x->at);
        int given = st == AR_OK ? cli_note_given(p, x, 0, 0) : -1;
        if (given >= 0) p->from_preset[given] = ps->name;
    }
    return st;
}

/* Notes a settings file given on the command line (first pass only). */
static ar_status note_config(const cli_command *cmd, cli_parsed *p, const cli_option *o,
                             const char *path) {
    if (p->n_config == CLI_MAX_CONFIGS)
        return cli_usage(cmd->name, "at most %d settings files, got more at %s %s",
                         CLI_MAX_CONFIGS, o->name, path);
    p->config[p->n_config] = path;
    p->config_option[p->n_config++] = o;
    return AR_OK;
}

/* One pass over argv into opts; the first pass (first) also notes the settings files. */
static ar_status parse_args(const cli_command *cmd, int argc, char **argv, void *opts,
                            cli_parsed *p, int first) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            p->help = 1; /* the caller prints the help: nothing else is read */
            return AR_OK;
        }
        if (a[0] != '-' && cmd->operand && !p->operand) {
            p->operand = a;
            continue;
        }
        if (a[0] != '-') return cli_usage(cmd->name, "unexpected argument '%s'", a);
        const char *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a), base = 0;
        char name[64];
        if (n >= sizeof name) return cli_usage(cmd->name, "unknown option '%s'", a);
        memcpy(name, a, n);
        name[n] = 0;
        const cli_option *o = cli_find_option(cmd, name, &base);
        if (!o) return cli_usage(cmd->name, "unknown option '%s'", name);
        const char *val = NULL;
        if (o->kind == CLI_FLAG && eq)
            return cli_usage(cmd->name, "option %s takes no value", name);
        if (o->kind != CLI_FLAG) {
            if (eq) val = eq + 1;
            else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2)) val = argv[++i];
            else if (i + 1 < argc) /* an option where its value belongs: a value was left out */
                return cli_usage(cmd->name, "option %s needs a value, but the option %s follows "
                                 "it (a value that starts with -- goes as %s=VALUE)", a,
                                 argv[i + 1], a);
            else return cli_usage(cmd->name, "option %s needs a value", a);
        }
        ar_status st = cli_read_value(cmd, o, val, (char *)opts + base + o->at);
        if (st == AR_OK && first && o->kind == CLI_CONFIG) st = note_config(cmd, p, o, val);
        if (st != AR_OK) return st;
        cli_note_given(p, o, 0, 0);
    }
    return AR_OK;
}

static void reset(const cli_command *cmd, void *opts) {
    memset(opts, 0, cmd->size);
    if (cmd->defaults) cmd->defaults(opts);
}

void cli_parsed_free(cli_parsed *p) {
    for (int k = 0; k < p->n_config; k++) free(p->config_text[k]);
    memset(p->config_text, 0, sizeof p->config_text);
}

/* The command line is read twice when it names a preset or settings files: once to find them
 * (and --help, and the command line's own errors), then, over the defaults again, the preset's
 * values, the files in order and the command line once more on top, so that a flag overrides a
 * file and a file a preset wherever they stand. */
ar_status cli_parse(const cli_command *cmd, int argc, char **argv, void *opts, cli_parsed *p) {
    reset(cmd, opts);
    memset(p, 0, sizeof *p);
    ar_status st = parse_args(cmd, argc, argv, opts, p, 1);
    if (st != AR_OK || p->help) return st;
    size_t base;
    const char *val;
    if (p->n_config || preset_option(cmd, argc, argv, &val, &base)) {
        /* again over the defaults: defaults < preset < settings files < command line */
        reset(cmd, opts);
        p->n_given = 0;
        p->operand = NULL;
        st = apply_preset(cmd, argc, argv, opts, p);
        for (int k = 0; st == AR_OK && k < p->n_config; k++)
            st = cli_config_read(cmd, p, k, opts);
        if (st == AR_OK) st = parse_args(cmd, argc, argv, opts, p, 0);
        if (st != AR_OK) return st;
    }
    return check_required(cmd, p);
}
