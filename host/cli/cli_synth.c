/* cli_synth.c - `autorec synth`: writes a synthetic u.data-style ratings file (ar_synth_write)
 * shaped like a named dataset or as given, for tests and benchmarks. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

static const char synth_help[] =
    "usage: autorec synth --out FILE [options]\n"
    "\n"
    "Writes a synthetic ratings file, one 'user<TAB>item<TAB>rating<TAB>timestamp' line per\n"
    "rating (MovieLens u.data format), drawn from a low-rank model: integer ratings 1..5,\n"
    "distinct (user, item) pairs, ids 1..users and 1..items, item popularity and user\n"
    "activity following a Zipf-like law. The same options give the same file, byte for byte.\n"
    "\n"
    "  --out FILE        the file to write (required); written to a temporary file and\n"
    "                    renamed, so a failure leaves no file\n"
    "  --preset NAME     the shape of a real dataset: ml-100k (943 users x 1682 items x\n"
    "                    100000 ratings), ml-1m (6040 x 3706 x 1000209), ml-10m (69878 x\n"
    "                    10677 x 10000054), netflix (480189 x 17770 x 100480507); --users,\n"
    "                    --items and --ratings override it\n"
    "  --users N         users (default 943)\n"
    "  --items N         items (default 1682)\n"
    "  --ratings N       ratings, at most half of users x items (default 100000)\n"
    "  --seed N          the generator's seed (default 1)\n"
    "  --rank N          rank of the latent model, 1..1000 (default 10)\n"
    "  --noise X         standard deviation of the rating noise, >= 0 (default 0.5)\n"
    "  --skew X          Zipf exponent of item popularity and user activity, 0..4 (default 1;\n"
    "                    0 = uniform)\n"
    "\n"
    "A one-line summary (ratings, users, items, density, seconds) goes to stderr.\n";

typedef struct { const char *name; int64_t users, items, ratings; } synth_preset;

static const synth_preset presets[] = {
    {"ml-100k", 943, 1682, 100000},
    {"ml-1m", 6040, 3706, 1000209},
    {"ml-10m", 69878, 10677, 10000054},
    {"netflix", 480189, 17770, 100480507},
};

int cli_synth(int argc, char **argv) {
    const char *cmd = "synth", *out = NULL;
    ar_synth_config c;
    ar_synth_config_default(&c);
    /* explicit sizes win over a preset wherever they appear: keep them apart until the end */
    long long users = -1, items = -1, ratings = -1;
    const synth_preset *preset = NULL;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i], name[64];
        const char *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(synth_help, stdout);
            return EXIT_OK;
        }
        int rc = cli_option(argc, argv, &i, name, sizeof name, &val, cmd);
        if (rc >= 0) return rc;
        long n;
        float f;
        uint64_t u;
        /* sizes: positive integers; the upper bounds are the library's (it names the option) */
        if (!strcmp(name, "--users") || !strcmp(name, "--items") ||
            !strcmp(name, "--ratings")) {
            if (!cli_parse_u64(val, &u) || u < 1 || u > (uint64_t)INT64_MAX) {
                char msg[128];
                snprintf(msg, sizeof msg, "%s expects a positive integer, got '%%s'", name);
                return cli_usage_error(cmd, msg, val);
            }
            if (name[2] == 'u') users = (long long)u;
            else if (name[2] == 'i') items = (long long)u;
            else ratings = (long long)u;
            continue;
        }
        if (!strcmp(name, "--seed")) {
            if (!cli_parse_u64(val, &c.seed))
                return cli_usage_error(cmd, "--seed expects a non-negative integer, got '%s'",
                                       val);
            continue;
        }
        if (!strcmp(name, "--rank")) {
            if (!cli_parse_int(val, 1, 1000, &n))
                return cli_usage_error(cmd, "--rank expects an integer in 1..1000, got '%s'", val);
            c.rank = (int)n;
            continue;
        }
        if (!strcmp(name, "--noise")) {
            if (!cli_parse_float(val, &f) || f < 0)
                return cli_usage_error(cmd, "--noise expects a finite number >= 0, got '%s'", val);
            c.noise = f;
            continue;
        }
        if (!strcmp(name, "--skew")) {
            if (!cli_parse_float(val, &f) || f < 0 || f > 4)
                return cli_usage_error(cmd, "--skew expects a number in 0..4, got '%s'", val);
            c.popularity_skew = f;
            continue;
        }
        if (!strcmp(name, "--preset")) {
            preset = NULL;
            for (size_t k = 0; k < sizeof presets / sizeof *presets; k++)
                if (!strcasecmp(val, presets[k].name)) preset = &presets[k];
            if (!preset)
                return cli_usage_error(cmd, "--preset expects ml-100k, ml-1m, ml-10m or netflix, "
                                       "got '%s'", val);
            continue;
        }
        if (!strcmp(name, "--out")) {
            if (!*val) return cli_usage_error(cmd, "%s", "--out expects a file name");
            out = val;
            continue;
        }
        return cli_usage_error(cmd, "unknown option '%s'", name);
    }
    if (!out) return cli_usage_error(cmd, "%s", "--out FILE is required");
    if (preset) {
        c.users = preset->users;
        c.items = preset->items;
        c.ratings = preset->ratings;
    }
    if (users > 0) c.users = users;
    if (items > 0) c.items = items;
    if (ratings > 0) c.ratings = ratings;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ar_status st = ar_synth_write(&c, out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* a bad value is a usage error, worded like the others */
    if (st == AR_ERR_INVALID_ARG) return cli_usage_error(cmd, "%s", ar_last_error());
    if (st != AR_OK) return cli_report(st);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    fprintf(stderr, "autorec: synth: %lld ratings, %lld users x %lld items, density %.4f%%, "
            "%.2f s -> %s\n", (long long)c.ratings, (long long)c.users, (long long)c.items,
            100.0 * (double)c.ratings / ((double)c.users * (double)c.items), secs, out);
    return EXIT_OK;
}
