/* test_preset.c - train --preset: a named configuration read through the option table before
 * the command line (defaults < preset < command line). The parser's rules on a small table of
 * its own, every preset of every command read without error, and `autorec train --preset d2l`
 * as a user runs it: its values in the JSON line, flags overriding them wherever they stand,
 * an unknown name refused with exit code 2. */
#include <math.h>
#include <string.h>

#include "cli.h"
#include "testutil.h"

static char out[32768], err[32768];

TestSuite(preset, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static int run(const char *args) {
    return tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, "%s", args);
}

/* ---- the parser, on a table of its own ------------------------------------------------------ */

typedef struct {
    int n, flag;
    float x;
    const char *preset;
} demo_opts;

static const char *const small_args[] = {"-n", "2", "--x", "0.5", "--flag", NULL};
static const char *const big_args[] = {"-n", "9", NULL};
static const char *const broken_args[] = {"--nope", "1", NULL};
static const cli_preset demo_presets[] = {
    {"small", "a small one", small_args},
    {"big", "a big one", big_args},
    {"broken", "names an option the command lacks", broken_args},
    {NULL, NULL, NULL}};
static const cli_option demo_options[] = {
    {.name = "--preset", .meta = "NAME", .kind = CLI_PRESET, .at = offsetof(demo_opts, preset),
     .presets = demo_presets, .help = "a preset:"},
    {.name = "-n", .meta = "N", .kind = CLI_INT, .at = offsetof(demo_opts, n), .min = 1, .max = 9,
     .help = "a count"},
    {.name = "--x", .meta = "X", .kind = CLI_FLOAT, .at = offsetof(demo_opts, x), .help = "x"},
    {.name = "--flag", .kind = CLI_FLAG, .at = offsetof(demo_opts, flag), .help = "a flag"},
};
static const cli_group demo_group = CLI_GROUP("demo", demo_options, NULL);
static const cli_use demo_uses[] = {{&demo_group, 0}};
static void demo_defaults(void *o) { ((demo_opts *)o)->n = 5, ((demo_opts *)o)->x = 3; }
static const cli_command demo = {.name = "demo", .summary = "a demo", .usage = "demo",
                                 .about = "Demonstrates.", CLI_USES(demo_uses),
                                 .size = sizeof(demo_opts), .defaults = demo_defaults};

/* The preset named in p for option name, NULL when the command line gave it (or nobody did). */
static const char *origin(const cli_parsed *p, const char *name) {
    for (int k = 0; k < p->n_given; k++)
        if (!strcmp(p->given[k]->name, name)) return p->from_preset[k];
    return NULL;
}

Test(preset, command_line_overrides_the_preset_wherever_it_stands) {
    demo_opts o;
    cli_parsed p;
    char *none[] = {"--x", "1"};
    cr_assert_eq(cli_parse(&demo, 2, none, &o, &p), AR_OK);
    cr_assert(o.n == 5 && o.x == 1 && !o.flag && !o.preset, "defaults, then the flag");
    char *before[] = {"-n", "7", "--preset", "small"};
    char *after[] = {"--preset=SMALL", "-n", "7"};
    char **both[] = {before, after};
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(cli_parse(&demo, k ? 3 : 4, both[k], &o, &p), AR_OK, "%s", cli_message());
        cr_assert(o.n == 7, "-n 7 given %s the preset: %d", k ? "after" : "before", o.n);
        cr_assert(o.x == 0.5f && o.flag && !strcmp(o.preset, "small"), "the preset's others");
        cr_assert(cli_given(&p, "--x") && !strcmp(origin(&p, "--x"), "small"));
        cr_assert(cli_given(&p, "-n") && origin(&p, "-n") == NULL, "-n: the command line's");
    }
    char *twice[] = {"--preset", "small", "--preset", "big"}; /* the last one wins, alone */
    cr_assert_eq(cli_parse(&demo, 4, twice, &o, &p), AR_OK);
    cr_assert(o.n == 9 && o.x == 3 && !o.flag && !strcmp(o.preset, "big"));
}

Test(preset, bad_names_are_usage_errors) {
    demo_opts o;
    cli_parsed p;
    struct { const char *a, *b, *want; } bad[] = {
        {"--preset", "tiny", "--preset expects small, big or broken, got 'tiny'"},
        {"--preset", NULL, "option --preset needs a value"},
        {"--preset", "broken", "--preset broken sets --nope, which demo does not take"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char *argv[] = {(char *)bad[k].a, (char *)bad[k].b};
        cr_assert_eq(cli_parse(&demo, bad[k].b ? 2 : 1, argv, &o, &p), AR_ERR_INVALID_ARG);
        cr_assert_str_eq(cli_message(), bad[k].want);
        cli_exit(NULL, AR_OK); /* consumed: the next message is the next case's */
    }
}

/* Every preset of train reads cleanly through train's table (a typo in a preset's values would
 * otherwise surface only when a user names it). */
Test(preset, every_train_preset_reads) {
    size_t base;
    const cli_option *o = cli_find_option(&cli_cmd_train, "--preset", &base);
    cr_assert(o && o->kind == CLI_PRESET && o->presets);
    for (int k = 0; o->presets[k].name; k++) {
        char *argv[] = {"--preset", (char *)o->presets[k].name};
        void *opts = calloc(1, cli_cmd_train.size);
        cli_parsed p;
        cr_assert_eq(cli_parse(&cli_cmd_train, 2, argv, opts, &p), AR_OK, "%s: %s",
                     o->presets[k].name, cli_message());
        free(opts);
    }
}

/* ---- autorec train --preset d2l --------------------------------------------------------------- */

static void small_data(void) {
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(60, 40, 2, 0.3, 0.2, 7, &train, &test);
    tu_write_ratings(tu_path("train.data"), train);
    tu_write_ratings(tu_path("test.data"), test);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

/* The JSON string value of key ("key":"value"), or "" when absent. */
static const char *json_text(const char *json, const char *key, char *buf, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *s = strstr(json, pat);
    buf[0] = 0;
    if (s) snprintf(buf, cap, "%.*s", (int)strcspn(s + strlen(pat), "\""), s + strlen(pat));
    return buf;
}

/* d2l's values, as the JSON line reports what the run used (--epochs 1 keeps it short and
 * shows an override). */
Test(preset, d2l_sets_the_seed_configuration) {
    small_data();
    char args[1024], t[64];
    snprintf(args, sizeof args, "train --train %s --test %s --preset d2l --epochs 1 --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    const char *json = strrchr(out, '{');
    cr_assert(json, "no JSON: %s", out);
    cr_assert_eq(tu_json_number(json, "hidden"), 500, "%s", json);
    cr_assert(!strcmp(json_text(json, "layers", t, sizeof t), "500"), "%s", json);
    cr_assert_eq(tu_json_number(json, "batch"), 256);
    cr_assert(fabs(tu_json_number(json, "lr") - 0.002) < 1e-9, "%s", json);
    cr_assert_eq(tu_json_number(json, "lr_decay"), 1, "constant learning rate: %s", json);
    cr_assert(fabs(tu_json_number(json, "l2") - 3.5e-4) < 1e-9, "%s", json);
    cr_assert(fabs(tu_json_number(json, "dropout") - 0.05) < 1e-7, "%s", json);
    cr_assert_eq(tu_json_number(json, "input_dropout"), 0);
    cr_assert_eq(tu_json_number(json, "epochs"), 1, "--epochs 1 overrides the preset's 100");
    cr_assert_eq(tu_json_number(json, "n_valid"), 0, "no validation: %s", json);
    cr_assert(!strcmp(json_text(json, "activation", t, sizeof t), "sigmoid"), "%s", json);
    cr_assert(!strcmp(json_text(json, "out_activation", t, sizeof t), "identity"), "%s", json);
    cr_assert(!strcmp(json_text(json, "model", t, sizeof t), "item"), "%s", json);
    cr_assert(!strcmp(json_text(json, "preset", t, sizeof t), "d2l"), "%s", json);
    /* without --epochs: 100 epochs (a tiny net keeps it fast) */
    snprintf(args, sizeof args, "train --train %s --test %s --preset d2l --hidden 4 --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    cr_assert_eq(tu_json_number(strrchr(out, '{'), "epochs"), 100, "%s", out);
}

/* Flags override the preset before or after it; the rest of the preset stays. */
Test(preset, flags_override_d2l) {
    small_data();
    char args[1024], t[64];
    snprintf(args, sizeof args, "train --train %s --test %s --lr 0.01 --preset d2l --hidden 8 "
             "--valid-ratio 0.2 --out-activation sigmoid --epochs 2 --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    const char *json = strrchr(out, '{');
    cr_assert(fabs(tu_json_number(json, "lr") - 0.01) < 1e-9, "%s", json);
    cr_assert_eq(tu_json_number(json, "hidden"), 8, "%s", json);
    cr_assert(tu_json_number(json, "n_valid") > 0, "--valid-ratio 0.2 overrides: %s", json);
    cr_assert(!strcmp(json_text(json, "out_activation", t, sizeof t), "sigmoid"), "%s", json);
    cr_assert(fabs(tu_json_number(json, "l2") - 3.5e-4) < 1e-9, "the preset's l2 stays");
    cr_assert_eq(tu_json_number(json, "epochs"), 2);
    /* no preset: the defaults, and the JSON says so */
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1 --hidden 4 --json --quiet",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(args), 0, "%s", err);
    cr_assert(strstr(out, "\"preset\":null"), "%s", out);
    cr_assert(tu_json_number(strrchr(out, '{'), "l2") != 3.5e-4f, "%s", out);
}

Test(preset, unknown_preset_exits_2) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s --preset ml-100k --epochs 1",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(args), 2, "%s", err);
    cr_assert(strstr(err, "--preset expects d2l, got 'ml-100k'"), "%s", err);
    cr_assert_eq(strchr(err, '\n'), err + strlen(err) - 1, "one line: %s", err);
    cr_assert_str_empty(out, "nothing trained: %s", out);
}

/* defaults < preset < settings file < command line: a file's value beats the preset's, a flag
 * beats both, and a preset cannot be named in a file (it sits under files). */
Test(preset, settings_file_sits_between_preset_and_flags) {
    small_data();
    tu_write_file("s.conf", "lr = 0.004\nhidden = 6\n");
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s --config %s --preset d2l --hidden 5 "
             "--epochs 1 --json --quiet", tu_path("train.data"), tu_path("test.data"),
             tu_path("s.conf"));
    cr_assert_eq(run(args), 0, "%s", err);
    const char *json = strrchr(out, '{');
    cr_assert(fabs(tu_json_number(json, "lr") - 0.004) < 1e-9, "the file's lr: %s", json);
    cr_assert_eq(tu_json_number(json, "hidden"), 5, "the flag's hidden: %s", json);
    cr_assert(fabs(tu_json_number(json, "l2") - 3.5e-4) < 1e-9, "the preset's l2: %s", json);
    tu_write_file("p.conf", "preset = d2l\n");
    snprintf(args, sizeof args, "train --train %s --test %s --config %s --epochs 1",
             tu_path("train.data"), tu_path("test.data"), tu_path("p.conf"));
    cr_assert_eq(run(args), 2, "%s", err);
    cr_assert(strstr(err, "p.conf:1"), "%s", err);
}
