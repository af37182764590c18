/* tune_space.c - what `autorec tune` searches: the ranges and lists of its flags (--lr 1e-4:1e-2,
 * --hidden 250,500, ...), their check against the library, and the samples: a scrambled Halton
 * sequence, one dimension per setting, so that a few dozen trials cover the space more evenly
 * than independent draws, and the same seed gives the same trials. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tune.h"

#define SPACE(field) offsetof(tune_space, field)

void tune_space_default(tune_space *s) {
    *s = (tune_space){
        .lr = {3e-4f, 1e-2f},
        .lr_decay = {0.9f, 1.0f},
        .l2 = {1e-5f, 1e-1f},
        .dropout = {0.0f, 0.8f},
        .input_dropout = {0.0f, 0.5f},
        .hidden = {{100, 250, 500, 1000}, 4},
        .batch = {{64, 128, 256, 512}, 4},
        .activation = {{AR_ACT_SIGMOID, AR_ACT_RELU, AR_ACT_ELU, AR_ACT_TANH}, 4},
        .center = {{AR_CENTER_BIAS, AR_CENTER_NONE, AR_CENTER_INPUT}, 3},
    };
}

/* ---- readers -------------------------------------------------------------------------------- */

/* "A:B" or "A" (fixed) into a range; log ranges need A > 0 unless fixed. */
static ar_status read_range_as(const cli_option *o, const char *val, tune_range *r, int log) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", val);
    char *colon = strchr(buf, ':');
    if (colon) *colon = 0;
    float lo, hi;
    if (strlen(val) >= sizeof buf || !cli_parse_float(buf, &lo) ||
        !cli_parse_float(colon ? colon + 1 : buf, &hi))
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects a value or a range MIN:MAX, got '%s'",
                        o->name, val);
    if (lo > hi)
        return cli_fail(AR_ERR_INVALID_ARG, "%s %s is an empty range: MIN > MAX", o->name, val);
    if (log && lo < hi && !(lo > 0))
        return cli_fail(AR_ERR_INVALID_ARG, "%s %s: this range is searched on a log scale and "
                        "needs MIN > 0", o->name, val);
    r->lo = lo, r->hi = hi;
    return AR_OK;
}

static ar_status read_range(const cli_option *o, const char *val, void *field) {
    return read_range_as(o, val, field, 0);
}

static ar_status read_log_range(const cli_option *o, const char *val, void *field) {
    return read_range_as(o, val, field, 1);
}

static void show_range(const void *field, char *buf, size_t cap) {
    const tune_range *r = field;
    if (r->lo == r->hi) snprintf(buf, cap, "%g", (double)r->lo);
    else snprintf(buf, cap, "%g:%g", (double)r->lo, (double)r->hi);
}

/* Splits a comma list (up to TUNE_MAX_CHOICES non-empty items) into item[]; 0 when malformed. */
static int split_list(const char *val, char *buf, size_t cap, char **item, int *n) {
    *n = 0;
    if (strlen(val) >= cap) return 0;
    strcpy(buf, val);
    for (char *p = buf;; p++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        p += strspn(p, " "); /* "elu, relu" as in a settings file */
        for (char *e = p + strlen(p); e > p && e[-1] == ' ';) *--e = 0;
        if (!*p || *n == TUNE_MAX_CHOICES) return 0;
        item[(*n)++] = p;
        if (!comma) return 1;
        p = comma;
    }
}

static ar_status read_ints(const cli_option *o, const char *val, void *field) {
    tune_ints *l = field;
    char buf[512], *item[TUNE_MAX_CHOICES];
    int n = 0, ok = split_list(val, buf, sizeof buf, item, &n);
    for (int k = 0; ok && k < n; k++) {
        long long v;
        ok = cli_parse_int(item[k], 1, 1000000, &v);
        l->v[k] = (int)v;
    }
    if (!ok)
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects a list of up to %d integers in "
                        "1..1000000 separated by ',', got '%s'", o->name, TUNE_MAX_CHOICES, val);
    l->n = n;
    return AR_OK;
}

static void show_ints(const void *field, char *buf, size_t cap) {
    const tune_ints *l = field;
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < l->n && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%d", k ? "," : "", l->v[k]);
}

/* A list of names of an enum (activations, centering modes) into v[] (int-sized enums), by
 * parse; 0 when malformed or a name is unknown. */
static int read_names(const char *val, int *v, int *n,
                      int (*parse)(const char *name, int *out)) {
    char buf[512], *item[TUNE_MAX_CHOICES];
    int ok = split_list(val, buf, sizeof buf, item, n);
    for (int k = 0; ok && k < *n; k++) ok = parse(item[k], &v[k]);
    return ok;
}

/* The same list as "a,b,c" by name(). */
static void show_names(const int *v, int n, const char *(*name)(int), char *buf, size_t cap) {
    size_t len = 0;
    buf[0] = 0;
    for (int k = 0; k < n && len < cap; k++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", k ? "," : "", name(v[k]));
}

static int parse_act(const char *s, int *out) {
    ar_activation a;
    return ar_activation_parse(s, &a) == AR_OK ? (*out = (int)a, 1) : 0;
}
static const char *act_name(int a) { return ar_activation_name((ar_activation)a); }
/* auto is not a point of the space: it is two of them (bias and input), which tune compares
 * as trials */
static int parse_center(const char *s, int *out) {
    ar_center c;
    return ar_center_parse(s, &c) == AR_OK && c != AR_CENTER_AUTO ? (*out = (int)c, 1) : 0;
}
static const char *center_name(int c) { return ar_center_name((ar_center)c); }

static ar_status read_acts(const cli_option *o, const char *val, void *field) {
    tune_acts *l = field;
    if (!read_names(val, l->v, &l->n, parse_act))
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects a list of activations (sigmoid, relu, "
                        "tanh, elu, selu, identity) separated by ',', got '%s'", o->name, val);
    return AR_OK;
}

static void show_acts(const void *field, char *buf, size_t cap) {
    const tune_acts *l = field;
    show_names(l->v, l->n, act_name, buf, cap);
}

static ar_status read_centers(const cli_option *o, const char *val, void *field) {
    tune_centers *l = field;
    if (!read_names(val, l->v, &l->n, parse_center))
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects a list of centering modes (none, bias, "
                        "input) separated by ',', got '%s'", o->name, val);
    return AR_OK;
}

static void show_centers(const void *field, char *buf, size_t cap) {
    const tune_centers *l = field;
    show_names(l->v, l->n, center_name, buf, cap);
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option space_options[] = {
    {.name = "--lr", .meta = "MIN:MAX", .kind = CLI_CUSTOM, .at = SPACE(lr),
     .parse = read_log_range, .show = show_range, .setting = "ar_train_config.lr",
     .help = "Adam learning rate, log-uniform"},
    {.name = "--lr-decay", .meta = "MIN:MAX", .kind = CLI_CUSTOM, .at = SPACE(lr_decay),
     .parse = read_range, .show = show_range, .setting = "ar_train_config.lr_decay",
     .help = "learning-rate decay per epoch, uniform"},
    {.name = "--l2", .meta = "MIN:MAX", .kind = CLI_CUSTOM, .at = SPACE(l2),
     .parse = read_log_range, .show = show_range, .setting = "ar_train_config.l2",
     .help = "L2 coefficient, log-uniform"},
    {.name = "--dropout", .meta = "MIN:MAX", .kind = CLI_CUSTOM, .at = SPACE(dropout),
     .parse = read_range, .show = show_range, .setting = "ar_train_config.dropout",
     .help = "hidden-layer dropout, uniform"},
    {.name = "--input-dropout", .meta = "MIN:MAX", .kind = CLI_CUSTOM,
     .at = SPACE(input_dropout), .parse = read_range, .show = show_range,
     .setting = "ar_train_config.input_dropout", .help = "input dropout (denoising), uniform"},
    {.name = "--hidden", .meta = "N,N...", .kind = CLI_CUSTOM, .at = SPACE(hidden),
     .parse = read_ints, .show = show_ints, .setting = "ar_train_config.hidden",
     .help = "hidden units of the one hidden layer, one of the list"},
    {.name = "--batch", .meta = "N,N...", .kind = CLI_CUSTOM, .at = SPACE(batch),
     .parse = read_ints, .show = show_ints, .setting = "ar_train_config.batch",
     .help = "mini-batch rows, one of the list"},
    {.name = "--activation", .meta = "NAME,...", .kind = CLI_CUSTOM, .at = SPACE(activation),
     .parse = read_acts, .show = show_acts, .setting = "ar_train_config.activation",
     .help = "encoder activation, one of the list"},
    {.name = "--center", .meta = "MODE,...", .kind = CLI_CUSTOM, .at = SPACE(center),
     .parse = read_centers, .show = show_centers, .setting = "ar_train_config.center",
     .help = "centering on the bias baseline (train's --center), one of the list; "
             "none,bias,input searches all three (auto, train's default, is bias and input: "
             "list both)"},
};
const cli_group tune_space_group = CLI_GROUP(
    "search space", space_options,
    "A range MIN:MAX is sampled, a single value (or a list of one) fixes the setting. An empty "
    "range (MIN > MAX) or list exits 2, and so does an end that train would refuse.");

/* ---- the check ------------------------------------------------------------------------------ */

/* cfg as the library validates it; a usage error naming the setting (turned into its flag). */
static ar_status check_cfg(const cli_command *cmd, const ar_train_config *cfg) {
    if (ar_train_config_validate(cfg) != AR_OK) return cli_usage(cmd->name, "%s", ar_last_error());
    return AR_OK;
}

ar_status tune_space_check(const cli_command *cmd, const tune_space *s,
                           const ar_train_config *base) {
    const tune_range *ranges[] = {&s->lr, &s->lr_decay, &s->l2, &s->dropout, &s->input_dropout};
    ar_status st = AR_OK;
    for (int end = 0; end < 2 && st == AR_OK; end++) {
        ar_train_config c = *base;
        float *at[] = {&c.lr, &c.lr_decay, &c.l2, &c.dropout, &c.input_dropout};
        for (int k = 0; k < 5; k++) *at[k] = end ? ranges[k]->hi : ranges[k]->lo;
        st = check_cfg(cmd, &c);
    }
    for (int k = 0; k < TUNE_MAX_CHOICES && st == AR_OK; k++) {
        ar_train_config c = *base;
        c.n_layers = 0;
        c.hidden = s->hidden.v[k < s->hidden.n ? k : 0];
        c.batch = s->batch.v[k < s->batch.n ? k : 0];
        c.activation = (ar_activation)s->activation.v[k < s->activation.n ? k : 0];
        c.center = (ar_center)s->center.v[k < s->center.n ? k : 0];
        st = check_cfg(cmd, &c);
    }
    return st;
}

/* ---- the samples ---------------------------------------------------------------------------- */

/* One dimension per setting; the smallest bases for the settings that matter most. */
enum { D_LR, D_L2, D_DROPOUT, D_HIDDEN, D_INPUT, D_DECAY, D_BATCH, D_ACT, D_CENTER, N_DIMS };
static const int bases[N_DIMS] = {2, 3, 5, 7, 11, 13, 17, 19, 23};

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Coordinate d of point i in [0, 1): i's digits in base b, each mapped through a seeded
 * permutation of 0..b-1 (breaking the correlations of plain Halton in the larger bases), read
 * after the radix point with the infinite tail of zero digits mapped too, then shifted by a
 * seeded offset modulo 1 (Cranley-Patterson). */
static double halton(uint64_t seed, int d, uint64_t i) {
    const int b = bases[d];
    int perm[23];
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(d + 1));
    for (int k = 0; k < b; k++) perm[k] = k;
    for (int k = b - 1; k > 0; k--) {
        int j = (int)(splitmix64(&s) % (uint64_t)(k + 1)), t = perm[k];
        perm[k] = perm[j], perm[j] = t;
    }
    double f = 1.0 / b, r = 0;
    for (uint64_t n = i; n; n /= (uint64_t)b, f /= b) r += f * perm[n % (uint64_t)b];
    r += f * perm[0] * b / (b - 1.0);
    r += (double)(splitmix64(&s) >> 11) * 0x1.0p-53;
    r -= floor(r);
    return r < 1 ? r : 0;
}

/* x rounded to 3 significant digits, within [lo, hi]. */
static float round3(double x, float lo, float hi) {
    char buf[32];
    snprintf(buf, sizeof buf, "%.3g", x);
    float v = strtof(buf, NULL);
    return v < lo ? lo : v > hi ? hi : v;
}

static float uniform(const tune_range *r, double u) {
    return r->lo == r->hi ? r->lo : round3(r->lo + u * (r->hi - r->lo), r->lo, r->hi);
}

static float log_uniform(const tune_range *r, double u) {
    if (r->lo == r->hi) return r->lo;
    double a = log(r->lo), b = log(r->hi);
    return round3(exp(a + u * (b - a)), r->lo, r->hi);
}

static int pick(int n, double u) {
    int k = (int)(u * n);
    return k < n ? k : n - 1;
}

static float clamp(float v, const tune_range *r) {
    return v < r->lo ? r->lo : v > r->hi ? r->hi : v;
}

/* The choice nearest to v (the first of equals). */
static int nearest(const tune_ints *l, int v) {
    int best = l->v[0];
    for (int k = 1; k < l->n; k++)
        if (abs(l->v[k] - v) < abs(best - v)) best = l->v[k];
    return best;
}

/* Trial 1: base's own settings, each moved to the nearest point of the space. */
static void base_point(const tune_space *s, ar_train_config *cfg) {
    cfg->lr = clamp(cfg->lr, &s->lr);
    cfg->l2 = clamp(cfg->l2, &s->l2);
    cfg->dropout = clamp(cfg->dropout, &s->dropout);
    cfg->input_dropout = clamp(cfg->input_dropout, &s->input_dropout);
    cfg->lr_decay = clamp(cfg->lr_decay, &s->lr_decay);
    cfg->hidden = nearest(&s->hidden, cfg->hidden);
    cfg->batch = nearest(&s->batch, cfg->batch);
    int act = 0;
    while (act < s->activation.n && s->activation.v[act] != (int)cfg->activation) act++;
    cfg->activation = (ar_activation)s->activation.v[act < s->activation.n ? act : 0];
    int cen = 0;
    while (cen < s->center.n && s->center.v[cen] != (int)cfg->center) cen++;
    cfg->center = (ar_center)s->center.v[cen < s->center.n ? cen : 0];
}

void tune_space_sample(const tune_space *s, uint64_t seed, uint64_t i,
                       const ar_train_config *base, ar_train_config *cfg) {
    *cfg = *base;
    cfg->n_layers = 0;
    memset(cfg->layers, 0, sizeof cfg->layers);
    if (i == 0) {
        base_point(s, cfg);
        return;
    }
    double u[N_DIMS];
    for (int d = 0; d < N_DIMS; d++) u[d] = halton(seed, d, i);
    cfg->lr = log_uniform(&s->lr, u[D_LR]);
    cfg->l2 = log_uniform(&s->l2, u[D_L2]);
    cfg->dropout = uniform(&s->dropout, u[D_DROPOUT]);
    cfg->input_dropout = uniform(&s->input_dropout, u[D_INPUT]);
    cfg->lr_decay = uniform(&s->lr_decay, u[D_DECAY]);
    cfg->hidden = s->hidden.v[pick(s->hidden.n, u[D_HIDDEN])];
    cfg->batch = s->batch.v[pick(s->batch.n, u[D_BATCH])];
    cfg->activation = (ar_activation)s->activation.v[pick(s->activation.n, u[D_ACT])];
    cfg->center = (ar_center)s->center.v[pick(s->center.n, u[D_CENTER])];
}

void tune_describe(const ar_train_config *c, char *buf, size_t cap) {
    snprintf(buf, cap, "lr %g  decay %g  l2 %g  dropout %g  input %g  hidden %d  batch %d  %s"
             "  center %s", (double)c->lr, (double)c->lr_decay, (double)c->l2,
             (double)c->dropout, (double)c->input_dropout, c->hidden, c->batch,
             ar_activation_name(c->activation), ar_center_name(c->center));
}
