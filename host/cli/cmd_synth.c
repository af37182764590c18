/* cmd_synth.c - `autorec synth`: writes a synthetic u.data-style ratings file (ar_synth_write)
 * shaped like a named dataset or as given, for tests and benchmarks. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

typedef struct {
    ar_synth_config c;
    int preset;              /* --preset: an index into presets, -1 for none */
    const char *out;         /* --out FILE */
} synth_opts;

/* --scale MIN:MAX:STEP into the config (field); three numbers, the library checks that they
 * make a scale. */
static ar_status parse_scale(const cli_option *o, const char *val, void *field) {
    ar_synth_config *c = field;
    float v[3];
    char part[64];
    const char *s = val;
    for (int k = 0; k < 3; k++) {
        size_t n = strcspn(s, ":");
        if (n >= sizeof part || (k < 2) != (s[n] == ':'))
            return cli_fail(AR_ERR_INVALID_ARG, "%s: expected MIN:MAX:STEP such as 0.5:5:0.5, "
                            "got '%s'", o->name, val);
        memcpy(part, s, n);
        part[n] = '\0';
        if (!cli_parse_float(part, &v[k]))
            return cli_fail(AR_ERR_INVALID_ARG, "%s: '%s' is not a number in '%s'", o->name,
                            part, val);
        s += n + 1;
    }
    c->rating_min = v[0], c->rating_max = v[1], c->rating_step = v[2];
    return AR_OK;
}

static void show_scale(const void *field, char *buf, size_t cap) {
    const ar_synth_config *c = field;
    snprintf(buf, cap, "%g:%g:%g", (double)c->rating_min, (double)c->rating_max,
             (double)c->rating_step);
}

/* The shapes of real datasets: users x items x ratings. */
static const struct {
    int64_t users, items, ratings;
} presets[] = {
    {943, 1682, 100000},
    {6040, 3706, 1000209},
    {69878, 10677, 10000054},
    {480189, 17770, 100480507},
};
/* --preset's names, in presets' order (the value is the index), and the same sizes for help. */
static const cli_choice preset_names[] = {
    {"ml-100k", 0, "943 users x 1682 items x 100000 ratings"},
    {"ml-1m", 1, "6040 x 3706 x 1000209"},
    {"ml-10m", 2, "69878 x 10677 x 10000054"},
    {"netflix", 3, "480189 x 17770 x 100480507"},
    {NULL, 0, NULL}};

static ar_status run_synth(const cli_command *self, void *opts, const cli_parsed *p) {
    synth_opts *o = opts;
    ar_status st;
    /* explicit sizes win over a preset wherever they appear */
    if (o->preset >= 0) {
        if (!cli_given(p, "--users")) o->c.users = presets[o->preset].users;
        if (!cli_given(p, "--items")) o->c.items = presets[o->preset].items;
        if (!cli_given(p, "--ratings")) o->c.ratings = presets[o->preset].ratings;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = ar_synth_write(&o->c, o->out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* a bad value is a usage error, worded like the others (the library names the setting) */
    if (st == AR_ERR_INVALID_ARG) return cli_usage(self->name, "%s", ar_last_error());
    if (st != AR_OK) return cli_for_option("--out", st);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    fprintf(stderr, "autorec: synth: %lld ratings, %lld users x %lld items, density %.4f%%, "
            "%.2f s -> %s\n", (long long)o->c.ratings, (long long)o->c.users, (long long)o->c.items,
            100.0 * (double)o->c.ratings / ((double)o->c.users * (double)o->c.items), secs, o->out);
    return AR_OK;
}

#define SYNTH(field) offsetof(synth_opts, field)

static const cli_option synth_options[] = {
    {.name = "--out", .meta = "FILE", .kind = CLI_STRING, .at = SYNTH(out),
     .flags = CLI_REQUIRED | CLI_NONEMPTY,
     .help = "the file to write: written to FILE.tmp-PID-XXXXXX next to it and renamed over "
             "it when complete, so a failure leaves FILE as it was (a link is written through; "
             "a directory, a device or a FIFO is refused)"},
    {.name = "--preset", .meta = "NAME", .kind = CLI_CHOICE, .at = SYNTH(preset),
     .choices = preset_names,
     .help = "the shape of a real dataset; --users, --items and --ratings override it (not "
             "train's --preset, which names a training configuration):"},
    {.name = "--users", .meta = "N", .kind = CLI_I64, .at = SYNTH(c.users), .min = 1,
     .setting = "ar_synth_config.users", .help = "users"},
    {.name = "--items", .meta = "N", .kind = CLI_I64, .at = SYNTH(c.items), .min = 1,
     .setting = "ar_synth_config.items", .help = "items"},
    {.name = "--ratings", .meta = "N", .kind = CLI_I64, .at = SYNTH(c.ratings), .min = 1,
     .setting = "ar_synth_config.ratings", .help = "ratings, at most half of users x items"},
    {.name = "--seed", .meta = "N", .kind = CLI_U64, .at = SYNTH(c.seed),
     .setting = "ar_synth_config.seed", .help = "the generator's seed"},
    {.name = "--rank", .meta = "N", .kind = CLI_INT, .at = SYNTH(c.rank), .min = 1, .max = 1000,
     .setting = "ar_synth_config.rank", .help = "rank of the latent model"},
    {.name = "--noise", .meta = "X", .kind = CLI_FLOAT, .at = SYNTH(c.noise), .lo = 0,
     .bounds = CLI_MIN, .setting = "ar_synth_config.noise",
     .help = "standard deviation of the rating noise"},
    {.name = "--skew", .meta = "X", .kind = CLI_FLOAT, .at = SYNTH(c.popularity_skew), .lo = 0,
     .hi = 4, .bounds = CLI_MIN | CLI_MAX, .setting = "ar_synth_config.popularity_skew",
     .help = "Zipf exponent of item popularity and user activity; 0 is uniform"},
    {.name = "--mnar", .meta = "X", .kind = CLI_FLOAT, .at = SYNTH(c.mnar), .lo = 0, .hi = 10,
     .bounds = CLI_MIN | CLI_MAX, .setting = "ar_synth_config.mnar",
     .help = "missing not at random: a user keeps a drawn item with probability sigmoid(X x "
             "(expected rating - 3.5)) on the 1..5 model scale, so users rate what they expect "
             "to like, as on real rating sites; 0 draws the rated pairs independently of their "
             "ratings"},
    {.name = "--scale", .meta = "MIN:MAX:STEP", .kind = CLI_CUSTOM, .at = SYNTH(c),
     .parse = parse_scale, .show = show_scale,
     .setting = "ar_synth_config.rating_min ar_synth_config.rating_max "
                "ar_synth_config.rating_step",
     .help = "the rating scale: the model's 1..5 mapped onto MIN..MAX and rounded to steps of "
             "STEP (at most 100), e.g. 0.5:5:0.5 for half stars (MovieLens 10M and later), "
             "0.5:4:0.5 for FilmTrust's scale"},
};
static const cli_group synth_group = CLI_GROUP(
    "options", synth_options,
    "A one-line summary (ratings, users, items, density, seconds) goes to stderr.");
static const cli_use synth_groups[] = {{&synth_group, 0}};

static void synth_defaults(void *opts) {
    synth_opts *o = opts;
    ar_synth_config_default(&o->c);
    o->preset = -1;
}

const cli_command cli_cmd_synth = {
    .name = "synth",
    .summary = "write a synthetic ratings file",
    .usage = "autorec synth --out FILE [options]",
    .about = "Writes a synthetic ratings file, one 'user<TAB>item<TAB>rating<TAB>timestamp' line "
             "per rating (MovieLens u.data format), drawn from a low-rank model: ratings on "
             "--scale (integers 1..5 by default), distinct (user, item) pairs, ids 1..users and 1..items, item popularity and "
             "user activity following a Zipf-like law. The same options give the same file, "
             "byte for byte.",
    CLI_USES(synth_groups),
    .size = sizeof(synth_opts),
    .defaults = synth_defaults,
    .run = run_synth,
};
