/* test_cli.c - the autorec command as a user runs it: help, devices, a small training run with
 * --json, and the error paths (exit code 2 and a message naming the problem); and the CLI's
 * option tables, parser and message rewrite (library setting names into flags) as units. */
#define _GNU_SOURCE /* strcasestr, open_memstream */
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "testutil.h"

static char out[32768], err[32768];

TestSuite(cli, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* Runs `autorec ARGS` with an optional environment prefix; returns the exit code. */
static int run(const char *env, const char *args) {
    return tu_run_cli(tu_tmpdir(), env, out, err, sizeof out, "%s", args);
}

static void small_data(void) {
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(60, 40, 2, 0.3, 0.2, 7, &train, &test);
    tu_write_ratings(tu_path("train.data"), train);
    tu_write_ratings(tu_path("test.data"), test);
    ar_ratings_free(train);
    ar_ratings_free(test);
}

Test(cli, help_for_every_command) {
    cr_assert_eq(run(NULL, "--help"), 0);
    cr_assert(strstr(out, "devices") && strstr(out, "train"));
    cr_assert_eq(run(NULL, "train --help"), 0);
    const char *flags[] = {"--hidden", "--epochs", "--batch", "--lr", "--lr-decay", "--l2", "--dropout",
                           "--activation", "--out-activation", "--seed", "--device", "--json",
                           "--train", "--test", "--data", "--test-ratio"};
    for (size_t i = 0; i < sizeof flags / sizeof *flags; i++)
        cr_assert(strstr(out, flags[i]), "train --help does not describe %s", flags[i]);
    cr_assert_eq(run(NULL, "bench --help"), 0);
    cr_assert(strstr(out, "--device all") && strstr(out, "epoch_seconds"));
    cr_assert_eq(run(NULL, "devices --help"), 0);
    cr_assert(strstr(out, "P:D"));
    cr_assert_eq(run(NULL, "help train"), 0);
    cr_assert_eq(run(NULL, "--version"), 0);
    cr_assert(strstr(out, AR_VERSION_STRING));
    cr_assert_eq(run(NULL, "frobnicate"), 2);
    cr_assert(strstr(err, "unknown command"));
    cr_assert_eq(run(NULL, ""), 2);
}

Test(cli, devices_lists_ids) {
    cr_assert_eq(run(NULL, "devices"), 0, "%s", err);
    cr_assert(strstr(out, "platform 0:"), "%s", out);
    cr_assert(strstr(out, "0:0"), "%s", out);
    cr_assert(strstr(out, "compute units") && strstr(out, "GiB") && strstr(out, "OpenCL C"));
}

Test(cli, unknown_device_exits_2_and_lists_devices) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1 --device no-such-device-xyz",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "no-such-device-xyz"), "%s", err);
    cr_assert(strstr(err, "available devices") && strstr(err, "0:0"), "%s", err);
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1 --device 99:0",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    /* the environment variable too */
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1", tu_path("train.data"),
             tu_path("test.data"));
    cr_assert_eq(run("AUTOREC_DEVICE=nothing-matches", args), 2, "%s", err);
    cr_assert(strstr(err, "nothing-matches"), "%s", err);
}

Test(cli, missing_file_and_malformed_line_exit_2) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s", tu_path("nope.data"),
             tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "nope.data") && strstr(err, "cannot open"), "%s", err);
    FILE *f = fopen(tu_path("bad.data"), "w");
    fputs("1\t1\t5\t0\n2\t1\t4\t0\n3\tone\t4\t0\n", f);
    fclose(f);
    snprintf(args, sizeof args, "train --train %s --test %s", tu_path("bad.data"),
             tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    char want[300];
    snprintf(want, sizeof want, "%s:3:", tu_path("bad.data"));
    cr_assert(strstr(err, want), "'%s' does not name %s", err, want);
    /* nothing printed as if it had worked */
    cr_assert(!strstr(out, "RMSE"));
}

Test(cli, bad_options_exit_2) {
    small_data();
    const char *bad[] = {"--lr -1", "--lr abc", "--lr-decay 0", "--lr-decay 1.5", "--hidden 0", "--dropout 1", "--input-dropout -0.1", "--hidden 5,0", "--hidden 5,,5", "--batch 2x",
                         "--activation swish", "--frobnicate 3", "--epochs", "--input-noise gauss",
                         "--split-seed -1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[1024];
        snprintf(args, sizeof args, "train --train %s --test %s %s", tu_path("train.data"),
                 tu_path("test.data"), bad[i]);
        cr_assert_eq(run(NULL, args), 2, "'%s' was accepted: %s", bad[i], err);
        cr_assert(strstr(err, "autorec"), "no message for '%s'", bad[i]);
    }
    cr_assert_eq(run("AUTOREC_DATA=", "train"), 2);
    cr_assert(strstr(err, "AUTOREC_DATA"), "%s", err);
}

Test(cli, trains_and_prints_json_last) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 3 --hidden 16 --json",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    cr_assert(strstr(err, "epoch   3/3") && strstr(err, "test RMSE") && strstr(err, " MAE "), "%s",
              err);
    cr_assert(strstr(out, "baselines: test RMSE"), "%s", out);
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n') out[--n] = 0;
    const char *last = strrchr(out, '\n');
    last = last ? last + 1 : out;
    cr_assert(last[0] == '{' && last[strlen(last) - 1] == '}', "last line is not JSON: %s", last);
    const char *keys[] = {"\"test_rmse\":", "\"train_rmse\":", "\"epochs\":3", "\"seconds\":",
                          "\"device\":", "\"test_mae\":", "\"train_mae\":", "\"baseline_rmse\":",
                          "\"baseline_mean_rmse\":", "\"baseline_valid_rmse\":", "\"valid_mae\":"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_assert(strstr(last, keys[i]), "JSON lacks %s: %s", keys[i], last);
}

Test(cli, kernel_build_error_shows_the_build_log) {
    small_data();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cp -r '%s/cl' '%s/cl' && echo 'this is not OpenCL C;' >> '%s/cl/adam.cl'",
             AUTOREC_SOURCE_DIR, tu_tmpdir(), tu_tmpdir());
    cr_assert(system(cmd) == 0);
    char env[512], args[1024];
    snprintf(env, sizeof env, "AUTOREC_CL_DIR='%s/cl'", tu_tmpdir());
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1", tu_path("train.data"),
             tu_path("test.data"));
    cr_assert_eq(run(env, args), 1, "%s", err);
    cr_assert(strstr(err, "kernel build failed") && strstr(err, "build log"), "%s", err);
    cr_assert(strstr(err, "adam.cl"), "the log does not point at the file: %s", err);
    /* and the unmodified copy builds */
    snprintf(cmd, sizeof cmd, "cp '%s/cl/adam.cl' '%s/cl/adam.cl'", AUTOREC_SOURCE_DIR,
             tu_tmpdir());
    cr_assert(system(cmd) == 0);
    cr_assert_eq(run(env, args), 0, "%s", err);
}

/* Device specs: P:D and flat indices name the same device; the implementation names used in
 * the README (pthread for PoCL's CPU device, llvmpipe and rusticl for Mesa's) select them. */
Test(cli, device_specs_resolve) {
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0, idx = -1;
    cr_assert(ar_devices_list(&pl, &np, &dv, &nd) == AR_OK, "%s", ar_last_error());
    for (int i = 0; i < nd; i++) {
        char spec[32];
        snprintf(spec, sizeof spec, "%d:%d", dv[i].platform, dv[i].device);
        cr_assert(ar_device_resolve(spec, dv, nd, &idx) == AR_OK && idx == i, "%s", spec);
        snprintf(spec, sizeof spec, "%d", i);
        cr_assert(ar_device_resolve(spec, dv, nd, &idx) == AR_OK && idx == i, "%s", spec);
        cr_assert(ar_device_resolve(dv[i].type, dv, nd, &idx) == AR_OK);
        cr_assert_str_eq(dv[idx].type, dv[i].type);
    }
    static const struct { const char *spec, *platform; } names[] = {
        {"pthread", "Portable Computing Language"}, {"PTHREAD", "Portable Computing Language"},
        {"llvmpipe", "rusticl"}, {"rusticl", "rusticl"}};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        int present = 0;
        for (int i = 0; i < nd; i++) present |= strcasestr(dv[i].platform_name,
                                                           names[k].platform) != NULL;
        if (!present) {
            fprintf(stderr, "  no %s device here: '%s' not checked\n", names[k].platform,
                    names[k].spec);
            continue;
        }
        cr_assert(ar_device_resolve(names[k].spec, dv, nd, &idx) == AR_OK, "%s", ar_last_error());
        cr_assert(strcasestr(dv[idx].platform_name, names[k].platform), "'%s' chose %s (%s)",
                  names[k].spec, dv[idx].name, dv[idx].platform_name);
    }
    cr_assert_eq(ar_device_resolve("no-such-thing", dv, nd, &idx), AR_ERR_NO_DEVICE);
    cr_assert_eq(ar_device_resolve("7:7", dv, nd, &idx), AR_ERR_NO_DEVICE);
    free(pl);
    free(dv);
}

/* bench --device all: one JSON line per device, with the documented keys; a table without
 * --json; a bad device in the list exits 2; a device that fails prints no table. */
Test(cli, bench_every_device) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "devices --ids");
    cr_assert_eq(run(NULL, args), 0);
    int n_devices = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++) n_devices++;
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 3 --hidden 16 --batch 8 "
             "--device all --json", tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    int lines = 0;
    const char *keys[] = {"\"device\":", "\"epoch_seconds\":", "\"ratings_per_second\":",
                          "\"gflops\":", "\"device_memory_bytes\":", "\"compile_seconds\":",
                          "\"test_mae\":"};
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cr_assert(line[0] == '{', "not JSON: %s", line);
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            cr_assert(strstr(line, keys[k]), "lacks %s: %s", keys[k], line);
    }
    cr_assert_eq(lines, n_devices, "%d JSON lines for %d devices", lines, n_devices);
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 2 --hidden 8 --device 0:0",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    cr_assert(strstr(out, "epoch_s") && strstr(out, "0:0"), "%s", out);
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 2 --device 0:0,nope-xyz",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "nope-xyz"), "%s", err);
    /* a device whose context fails: its error on stderr, no empty table on stdout */
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 2 --hidden 8 --device 0:0",
             tu_path("train.data"), tu_path("test.data"));
    cr_assert_eq(run("AUTOREC_KERNEL_PARAMS=sp_width=3", args), 2, "%s", err);
    cr_assert(out[0] == 0 && strstr(err, "AUTOREC_KERNEL_PARAMS: "), "out: %s\nerr: %s", out, err);
}

/* bench --synthetic on the test device: the phases object holds every phase and adds up to
 * epoch_seconds; --no-profile gives "phases":null; a bad size is a usage error. */
Test(cli, bench_synthetic_phases) {
    cr_assert_eq(run(NULL, "bench --synthetic 400x300x12000 --epochs 3 --hidden 32 --batch 64 "
                     "--json --quiet"), 0, "%s", err);
    cr_assert(out[0] == '{' && strchr(out, '\n') == out + strlen(out) - 1, "one line: %s", out);
    double epoch = tu_json_number(out, "epoch_seconds");
    cr_assert(epoch > 0, "%s", out);
    double n_train = tu_json_number(out, "train_ratings"); /* about 10% held out at random */
    cr_assert(n_train > 10400 && n_train < 11200, "%s", out);
    cr_assert(tu_json_number(out, "host_peak_rss_bytes") > 0, "%s", out);
    if (strstr(out, "\"phases\":null")) {
        cr_assert(strstr(out, "rusticl"), "phases missing on a driver with timestamps: %s", out);
    } else {
        const char *names[] = {"gemm", "spmm", "sddmm", "sparse_wgrad", "activation", "dropout", "densify", "loss",
                               "bias_grad", "adam", "fill", "transfer", "host"};
        double sum = 0;
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            double v = tu_json_number(strstr(out, "\"phases\":"), names[k]);
            cr_assert(v >= 0, "phase %s: %s", names[k], out);
            sum += v;
        }
        /* 10% dense: auto takes the sparse path, whose products are timed as "sparse" */
        cr_assert(strstr(out, "\"kernels\":\"sparse\""), "%s", out);
        cr_assert(tu_json_number(out, "spmm") > 0 && tu_json_number(out, "sddmm") > 0 &&
                  tu_json_number(out, "sparse_wgrad") > 0, "%s", out);
        cr_assert(fabs(sum - epoch) <= 1e-3 + 0.02 * epoch, "phases sum to %g, epoch %g: %s", sum,
                  epoch, out);
    }
    cr_assert_eq(run(NULL, "bench --synthetic 400x300x12000 --epochs 2 --hidden 8 --json "
                     "--quiet --no-profile"), 0, "%s", err);
    cr_assert(strstr(out, "\"phases\":null"), "%s", out);
    /* both paths in one run: one line each, the same model (RMSE within float tolerance) */
    cr_assert_eq(run(NULL, "bench --synthetic 400x300x12000 --epochs 2 --hidden 8 --json "
                     "--quiet --kernels dense,sparse"), 0, "%s", err);
    char *second = strchr(out, '\n');
    cr_assert(second && strstr(out, "\"kernels\":\"dense\"") &&
              strstr(second, "\"kernels\":\"sparse\""), "%s", out);
    double rmse_dense = tu_json_number(out, "test_rmse");
    double rmse_sparse = tu_json_number(second, "test_rmse");
    cr_assert(fabs(rmse_dense - rmse_sparse) <= 1e-4 * rmse_dense, "%g vs %g", rmse_dense,
              rmse_sparse);
    cr_assert_eq(run(NULL, "bench --synthetic 400x300x12000 --epochs 2 --kernels dense,csr"), 2);
    cr_assert(strstr(err, "--kernels"), "%s", err);
    cr_assert_eq(run(NULL, "bench --synthetic 400x300 --epochs 2"), 2);
    cr_assert(strstr(err, "--synthetic"), "%s", err);
    cr_assert_eq(run(NULL, "bench --synthetic 10x10x5000 --epochs 2"), 2); /* > half the pairs */
    cr_assert(strstr(err, "--synthetic"), "%s", err);
    cr_assert_eq(run(NULL, "train --synthetic 400x300x12000 --data x --epochs 2"), 2);
}

/* bench --json names the sparse kernels' parameters the run used and where they came from. */
Test(cli, bench_json_names_kernel_params) {
    char env[600];
    snprintf(env, sizeof env, "AUTOREC_PROGRAM_CACHE='%s' AUTOREC_KERNEL_PARAMS=",
             tu_path("programs"));
    const char *args = "bench --synthetic 200x150x3000 --epochs 2 --hidden 8 --kernels sparse "
                       "--json --quiet";
    cr_assert_eq(run(env, args), 0, "%s", err);
    cr_assert(strstr(out, "\"kernel_params\":\"sp_width=") &&
              strstr(out, "\"kernel_params_from\":\"default\""), "%s", out);
    snprintf(env, sizeof env, "AUTOREC_PROGRAM_CACHE='%s' AUTOREC_KERNEL_PARAMS=sp_width=16,"
             "sp_tile=0", tu_path("programs"));
    cr_assert_eq(run(env, args), 0, "%s", err);
    cr_assert(strstr(out, "\"kernel_params\":\"sp_width=16,") && strstr(out, "sp_tile=0,") &&
              strstr(out, "\"kernel_params_from\":\"AUTOREC_KERNEL_PARAMS\""), "%s", out);
}

/* tune-kernels refuses, before measuring, data with no ratings (exit 2, the flags named) and a
 * store it could not write (a directory in its place); a batch over the rows is sized by the
 * rows (here under a 64 KiB allocation limit); tiny passes (timer noise) store nothing, with a
 * warning. Its usage line lists every option. */
Test(cli, tune_kernels_refusals) {
    char env[600];
    snprintf(env, sizeof env, "AUTOREC_PROGRAM_CACHE='%s' AUTOREC_KERNEL_PARAMS=",
             tu_path("programs"));
    cr_assert_eq(run(env, "tune-kernels --rows 3 --cols 2 --density 0.000001 --reps 1"), 2,
                 "%s", err);
    cr_assert(strstr(err, "--density 1e-06 over --rows x --cols (3 x 2) draws no ratings; "
                     "raise --density or the shape") && strchr(err, '\n') == err + strlen(err) - 1,
              "not one line: %s", err);
    cr_assert(!strstr(out, "stored"), "%s", out);
    /* one rating: its passes (9-18 us on PoCL) may or may not be under the noise floor (the
     * library's test raises the floor: kparams::tune_refuses_empty_data_noise_and_unwritable_store) */
    char env2[700];
    snprintf(env2, sizeof env2, "%s AUTOREC_MAX_ALLOC=65536", env);
    cr_assert_eq(run(env2, "tune-kernels --rows 1 --cols 1 --density 1 --hidden 1 "
                     "--batch 1000000 --reps 3"), 0, "%s", err);
    cr_assert(strstr(out, "hidden 1 (16 on the device; class h16-c8)"), "%s", out);
    char store[4200];
    snprintf(store, sizeof store, "%s/kernel-params.tsv", tu_path("programs"));
    remove(store);
    cr_assert(mkdir(store, 0755) == 0);
    cr_assert_neq(run(env, "tune-kernels --rows 30 --cols 20 --density 0.5 --reps 1"), 0);
    cr_assert(strstr(err, "kernel-params.tsv") && strstr(err, "directory"), "%s", err);
    cr_assert(!strstr(out, "variants"), "measured: %s", out);
    cr_assert_eq(run(NULL, "help tune-kernels"), 0);
    const char *usage_end = strstr(out, "\n\n");
    const cli_group *g = cli_cmd_tune_kernels.groups[0].group;
    for (int k = 0; k < g->n; k++) {
        char item[64];
        snprintf(item, sizeof item, "[%s %s]", g->options[k].name, g->options[k].meta);
        const char *at = strstr(out, item);
        cr_assert(at && at < usage_end, "usage lacks %s: %s", item, out);
    }
}

/* No OpenCL platform at all (the ICD loader pointed at an empty vendor directory): a clear
 * error saying how to install one, exit code 2. */
Test(cli, no_platform_says_how_to_install_one) {
    char env[512];
    snprintf(env, sizeof env, "OCL_ICD_VENDORS='%s'", tu_tmpdir());
    cr_assert_eq(run(env, "devices"), 2, "%s", err);
    cr_assert(strstr(err, "no OpenCL platform") && strstr(err, "pocl-opencl-icd"), "%s", err);
}

/* ---- the option tables, the parser, the flag names in messages ------------------------------ */

static const cli_command *const all_commands[] = {
    &cli_cmd_devices, &cli_cmd_train, &cli_cmd_data, &cli_cmd_eval, &cli_cmd_predict,
    &cli_cmd_recommend, &cli_cmd_bench, &cli_cmd_synth, &cli_cmd_sweep};

/* Every entry is complete for its kind, and every setting it names looks like the library's
 * "ar_struct.field": a table mistake shows here, not in front of a user. */
Test(cli, option_tables_are_complete) {
    for (size_t c = 0; c < sizeof all_commands / sizeof *all_commands; c++) {
        const cli_command *cmd = all_commands[c];
        cr_assert(cmd->name && cmd->summary && cmd->usage && cmd->about && cmd->run);
        for (int g = 0; g < cmd->n_groups; g++) {
            const cli_group *grp = cmd->groups[g].group;
            cr_assert(grp->heading && grp->n > 0, "%s: group %d", cmd->name, g);
            for (int k = 0; k < grp->n; k++) {
                const cli_option *o = &grp->options[k];
                cr_assert(o->name[0] == '-' && o->help && o->help[0], "%s %s", cmd->name,
                          o->name);
                cr_assert((o->kind == CLI_FLAG) == (o->meta == NULL), "%s %s: metavar", cmd->name,
                          o->name);
                cr_assert(o->kind != CLI_INT || (o->min <= (long long)o->max && o->max > 0),
                          "%s %s: range", cmd->name, o->name);
                cr_assert(o->kind != CLI_CHOICE || o->choices, "%s %s", cmd->name, o->name);
                cr_assert(o->kind != CLI_CUSTOM || o->parse, "%s %s", cmd->name, o->name);
                for (const char *s = o->setting; s && *s; s += strcspn(s, " "), s += *s == ' ')
                    cr_assert(!strncmp(s, "ar_", 3) && memchr(s, '.', strcspn(s, " ")),
                              "%s %s: setting '%s'", cmd->name, o->name, o->setting);
            }
        }
    }
}

/* A small command of every kind of option, to test the machinery on its own. */
typedef struct {
    int flag, n, pick;
    int64_t big;
    uint64_t seed;
    float x;
    double ratio;
    const char *name;
    cli_list files;
} demo_opts;

static const cli_choice demo_picks[] = {{"one", 1, "the first"}, {"two", 2, NULL}, {NULL, 0, NULL}};
static const cli_option demo_options[] = {
    {.name = "--flag", .kind = CLI_FLAG, .at = offsetof(demo_opts, flag), .help = "a flag"},
    {.name = "-n", .meta = "N", .kind = CLI_INT, .at = offsetof(demo_opts, n), .min = 1, .max = 9,
     .help = "a count"},
    {.name = "--big", .meta = "N", .kind = CLI_I64, .at = offsetof(demo_opts, big), .min = 1,
     .help = "a size"},
    {.name = "--seed", .meta = "N", .kind = CLI_U64, .at = offsetof(demo_opts, seed),
     .help = "a seed"},
    {.name = "--x", .meta = "X", .kind = CLI_FLOAT, .at = offsetof(demo_opts, x), .lo = 0, .hi = 4,
     .bounds = CLI_MIN | CLI_MAX, .help = "a number"},
    {.name = "--ratio", .meta = "R", .kind = CLI_DOUBLE, .at = offsetof(demo_opts, ratio), .lo = 0,
     .hi = 1, .bounds = CLI_MIN | CLI_MAX | CLI_MIN_OPEN | CLI_MAX_OPEN, .help = "a fraction"},
    {.name = "--name", .meta = "TEXT", .kind = CLI_STRING, .at = offsetof(demo_opts, name),
     .flags = CLI_REQUIRED | CLI_NONEMPTY, .help = "a name"},
    {.name = "--file", .meta = "FILE", .kind = CLI_LIST, .at = offsetof(demo_opts, files),
     .help = "files"},
    {.name = "--pick", .meta = "P", .kind = CLI_CHOICE, .at = offsetof(demo_opts, pick),
     .choices = demo_picks, .help = "a choice:"},
};
static const cli_group demo_group = CLI_GROUP("demo options", demo_options, "A note.");
static const cli_use demo_uses[] = {{&demo_group, 0}};
static void demo_defaults(void *o) { ((demo_opts *)o)->n = 5, ((demo_opts *)o)->pick = 2; }
static const cli_command demo = {.name = "demo", .summary = "a demo", .usage = "demo [options]",
                                 .about = "Demonstrates.", CLI_USES(demo_uses),
                                 .size = sizeof(demo_opts), .defaults = demo_defaults};

/* The parser stores what the table says, and refuses what it should, naming the option. */
Test(cli, parser_reads_the_table) {
    demo_opts o;
    cli_parsed p;
    char *ok[] = {"--flag", "-n", "7", "--big=123456789012", "--seed", "18446744073709551615",
                  "--x", "2.5", "--ratio=0.25", "--name", "a", "--file", "f1", "--file=f2",
                  "--pick", "ONE", "--name", "b"};
    cr_assert_eq(cli_parse(&demo, 18, ok, &o, &p), AR_OK, "%s", cli_message());
    cr_assert(!p.help && o.flag && o.n == 7 && o.big == 123456789012LL && o.x == 2.5f);
    cr_assert(o.seed == UINT64_MAX && o.ratio == 0.25 && o.pick == 1);
    cr_assert(!strcmp(o.name, "b") && o.files.n == 2 && !strcmp(o.files.v[1], "f2"));
    cr_assert(cli_given(&p, "--seed") && !cli_given(&p, "--nope"));
    char *defaults[] = {"--name", "c"};
    cr_assert_eq(cli_parse(&demo, 2, defaults, &o, &p), AR_OK);
    cr_assert(o.n == 5 && o.pick == 2 && !o.flag && o.files.n == 0, "defaults");
    struct { const char *a, *b, *want; } bad[] = {
        {"-n", "0", "-n expects an integer in 1..9, got '0'"},
        {"-n", "3x", "-n expects an integer in 1..9, got '3x'"},
        {"--big", "0", "--big expects a positive integer, got '0'"},
        {"--seed", "-1", "--seed expects a non-negative integer, got '-1'"},
        {"--x", "4.5", "--x expects a number in 0..4, got '4.5'"},
        {"--x", "nan", "--x expects a number in 0..4, got 'nan'"},
        {"--ratio", "1", "--ratio expects a number in (0, 1), got '1'"},
        {"--name", "", "--name expects a non-empty TEXT"},
        {"--pick", "three", "--pick expects one or two, got 'three'"},
        {"--flag=1", NULL, "option --flag takes no value"},
        {"--nope", NULL, "unknown option '--nope'"},
        {"stray", NULL, "unexpected argument 'stray'"},
        {"--x", NULL, "option --x needs a value"},
        {"--flag", NULL, "--name TEXT is required"},
        /* an unknown option given last is unknown, whatever came before it */
        {"--flag", "--nope", "unknown option '--nope'"},
        /* an option where a value belongs: the value was forgotten */
        {"--name", "--flag", "option --name needs a value, but the option --flag follows it (a "
                             "value that starts with -- goes as --name=VALUE)"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        char *argv[] = {(char *)bad[k].a, (char *)bad[k].b};
        cr_assert_eq(cli_parse(&demo, bad[k].b ? 2 : 1, argv, &o, &p), AR_ERR_INVALID_ARG,
                     "%s %s", bad[k].a, bad[k].b);
        cr_assert_str_eq(cli_message(), bad[k].want);
        cli_exit(NULL, AR_OK); /* consumed: the next message is the next case's */
    }
    char *last[] = {"--name", "a", "-n", "3", "--nope"};
    cr_assert_eq(cli_parse(&demo, 5, last, &o, &p), AR_ERR_INVALID_ARG);
    cr_assert_str_eq(cli_message(), "unknown option '--nope'");
    cli_exit(NULL, AR_OK);
    char *dashes[] = {"--name=--a", "-n", "3"}; /* with '=', a value may start with -- */
    cr_assert(cli_parse(&demo, 3, dashes, &o, &p) == AR_OK && !strcmp(o.name, "--a"));
    /* --help stops the reading, whatever follows */
    char *help[] = {"--help", "--nope"};
    cr_assert(cli_parse(&demo, 2, help, &o, &p) == AR_OK && p.help);
    /* a real table: train's options land in its cli_train_opts (where its groups say) */
    size_t base;
    cr_assert(cli_find_option(&cli_cmd_train, "--quiet", &base));
    char *train_args[] = {"--lr=0.5", "--hidden", "8,4,8", "--model", "user", "--kernels",
                          "dense", "--valid-ratio", "0.25"};
    void *opts = calloc(1, cli_cmd_train.size);
    cr_assert_eq(cli_parse(&cli_cmd_train, 9, train_args, opts, &p), AR_OK, "%s", cli_message());
    const cli_train_opts *t = (const cli_train_opts *)((const char *)opts + base);
    cr_assert(t->cfg.lr == 0.5f && t->cfg.n_layers == 3 && t->cfg.layers[1] == 4);
    cr_assert(t->data.rows == AR_ROWS_USERS && t->cfg.kernels == AR_KERNELS_DENSE);
    cr_assert(t->data.valid_ratio == 0.25 && t->cfg.epochs == 500 && t->data.test_ratio == 0.1);
    /* the defaults: train carves a validation set and stops by patience, bench does not */
    memset(opts, 0, cli_cmd_train.size);
    cr_assert_eq(cli_parse(&cli_cmd_train, 0, train_args, opts, &p), AR_OK, "%s", cli_message());
    cr_assert(t->data.valid_ratio == 0.1 && t->cfg.patience == 20 && t->cfg.epochs == 500,
              "train: valid ratio %g, patience %d, epochs %d", t->data.valid_ratio,
              t->cfg.patience, t->cfg.epochs);
    free(opts);
    opts = calloc(1, cli_cmd_bench.size);
    cr_assert(cli_find_option(&cli_cmd_bench, "--quiet", &base));
    t = (const cli_train_opts *)((const char *)opts + base);
    cr_assert_eq(cli_parse(&cli_cmd_bench, 0, train_args, opts, &p), AR_OK, "%s", cli_message());
    cr_assert(t->data.valid_ratio == 0 && t->cfg.epochs == 4, "bench: valid ratio %g",
              t->data.valid_ratio);
    free(opts);
    char *sweep_args[] = {"--values", "4"};
    opts = calloc(1, cli_cmd_sweep.size);
    cr_assert_eq(cli_parse(&cli_cmd_sweep, 2, sweep_args, opts, &p), AR_ERR_INVALID_ARG);
    cr_assert_str_eq(cli_message(), "--param NAME is required: hidden, layers or activation");
    cli_exit(NULL, AR_OK);
    free(opts);
}

/* The help comes from the table: usage, description, the group, each option with the default
 * defaults() gives it, the choices that have help, the group's note. */
Test(cli, help_is_generated_from_the_table) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cli_print_help(&demo, f);
    fclose(f);
    const char *want[] = {"usage: demo [options]\n\nDemonstrates.\n\ndemo options:\n",
                          "  -n N                  a count (default: 5)\n",
                          "  --pick P              a choice (default: two):\n",
                          "                          one  the first\n", "\nA note.\n"};
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        cr_assert(strstr(text, want[k]), "no '%s' in:\n%s", want[k], text);
    cr_assert(!strstr(text, "--name TEXT             a name (default"), "%s", text);
    free(text);
}

/* The library's messages name its settings (ar_train_config.lr); the CLI shows each command's
 * flag for them, and leaves the settings it has no flag for. */
Test(cli, library_setting_names_become_flags) {
    struct { const cli_command *cmd; const char *in, *out; } cases[] = {
        {&cli_cmd_train, "ar_train_config.lr must be in (0, 10), got 20",
         "--lr must be in (0, 10), got 20"},
        {&cli_cmd_train, "ar_train_config.lr_decay must be in (0, 1], got 0",
         "--lr-decay must be in (0, 1], got 0"},
        {&cli_cmd_train, "needs 9 GiB; try a smaller ar_train_config.batch or "
         "ar_train_config.hidden", "needs 9 GiB; try a smaller --batch or --hidden"},
        {&cli_cmd_train, "ar_train_config.hidden (widest layer 9) with 4 columns",
         "--hidden (widest layer 9) with 4 columns"},
        {&cli_cmd_train, "Adam's ar_train_config.beta1 and beta2 must be in [0, 1)",
         "Adam's ar_train_config.beta1 and beta2 must be in [0, 1)"},
        {&cli_cmd_train, "x:1: first line; set ar_load_options.format to tab for space-separated "
         "files", "x:1: first line; set --format to tab for space-separated files"},
        {&cli_cmd_data, "rating 9 outside 1..5 (set the scale with "
         "ar_load_options.rating_min/max)", "rating 9 outside 1..5 (set the scale with "
         "--rating-range)"},
        {&cli_cmd_synth, "ar_synth_config.popularity_skew must be in 0..4, got 9",
         "--skew must be in 0..4, got 9"},
        {&cli_cmd_synth, "ar_synth_config.ratings 51 exceeds half of users x items (50)",
         "--ratings 51 exceeds half of users x items (50)"},
        {&cli_cmd_bench, "ar_train_config.kernels: unknown path 7", "--kernels: unknown path 7"},
        /* no flag for it in that command: as the library said it */
        {&cli_cmd_bench, "ar_synth_config.ratings 5 exceeds", "ar_synth_config.ratings 5 exceeds"},
        {&cli_cmd_eval, "ar_load_options.columns 'x' in ar_load_options.format csv",
         "ar_load_options.columns 'x' in --format csv"},
        {NULL, "ar_train_config.lr", "ar_train_config.lr"},
    };
    char out[256];
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        cli_flag_names(cases[k].cmd, cases[k].in, out, sizeof out);
        cr_assert_str_eq(out, cases[k].out, "case %zu", k);
    }
    /* a short buffer: cut, terminated */
    cli_flag_names(&cli_cmd_train, "try a smaller ar_train_config.batch", out, 16);
    cr_assert_str_eq(out, "try a smaller -");
}

/* A run that diverges: the library's advice names the flag to change. Ratings of 1e9 and a deep
 * linear stack at the largest learning rate overflow the loss at once. */
Test(cli, diverging_run_names_the_flag) {
    FILE *f = fopen(tu_path("big.data"), "w");
    for (int u = 1; u <= 30; u++)
        for (int i = 1; i <= 20; i++)
            if ((u * 7 + i * 3) % 4 == 0)
                fprintf(f, "%d\t%d\t%d\n", u, i, (u + i) % 5 * 200000000 + 1);
    fclose(f);
    char args[1024];
    snprintf(args, sizeof args, "train --data %s --hidden 16,16,16,16,16,16 --batch 4 --epochs 5 "
             "--lr 9.9 --lr-decay 1 --activation identity --quiet", tu_path("big.data"));
    cr_assert_eq(run(NULL, args), 1, "%s", err);
    cr_assert(strstr(err, "diverged") && strstr(err, "try a smaller --lr"), "%s", err);
    cr_assert(!strstr(err, "ar_train_config"), "%s", err);
}
