/* test_cli.c - the autorec command as a user runs it: help, devices, a small training run with
 * --json, and the error paths (exit code 2 and a message naming the problem). */
#define _GNU_SOURCE /* strcasestr */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

static char dir[] = "/tmp/autorec-test-cli-XXXXXX";
static char out[32768], err[32768];

static void setup(void) { cr_assert(mkdtemp(dir), "mkdtemp failed"); }
static void teardown(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}
TestSuite(cli, .init = setup, .fini = teardown);

/* Runs `autorec ARGS` with an optional environment prefix; returns the exit code. */
static int run(const char *env, const char *args) {
    return tu_run_cli(dir, env, out, err, sizeof out, "%s", args);
}

static const char *path(const char *name) {
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void small_data(void) {
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(60, 40, 2, 0.3, 0.2, 7, &train, &test);
    tu_write_ratings(path("train.data"), train);
    tu_write_ratings(path("test.data"), test);
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
             path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "no-such-device-xyz"), "%s", err);
    cr_assert(strstr(err, "available devices") && strstr(err, "0:0"), "%s", err);
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1 --device 99:0",
             path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    /* the environment variable too */
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1", path("train.data"),
             path("test.data"));
    cr_assert_eq(run("AUTOREC_DEVICE=nothing-matches", args), 2, "%s", err);
    cr_assert(strstr(err, "nothing-matches"), "%s", err);
}

Test(cli, missing_file_and_malformed_line_exit_2) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "train --train %s --test %s", path("nope.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "nope.data") && strstr(err, "cannot open"), "%s", err);
    FILE *f = fopen(path("bad.data"), "w");
    fputs("1\t1\t5\t0\n2\t1\t4\t0\n3\tone\t4\t0\n", f);
    fclose(f);
    snprintf(args, sizeof args, "train --train %s --test %s", path("bad.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    char want[300];
    snprintf(want, sizeof want, "%s:3:", path("bad.data"));
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
        snprintf(args, sizeof args, "train --train %s --test %s %s", path("train.data"),
                 path("test.data"), bad[i]);
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
             path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    cr_assert(strstr(err, "epoch   3/3"), "%s", err);
    size_t n = strlen(out);
    while (n && out[n - 1] == '\n') out[--n] = 0;
    const char *last = strrchr(out, '\n');
    last = last ? last + 1 : out;
    cr_assert(last[0] == '{' && last[strlen(last) - 1] == '}', "last line is not JSON: %s", last);
    const char *keys[] = {"\"test_rmse\":", "\"train_rmse\":", "\"epochs\":3", "\"seconds\":",
                          "\"device\":"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        cr_assert(strstr(last, keys[i]), "JSON lacks %s: %s", keys[i], last);
}

Test(cli, kernel_build_error_shows_the_build_log) {
    small_data();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp -r '%s/cl' '%s/cl' && echo 'this is not OpenCL C;' >> '%s/cl/adam.cl'",
             AUTOREC_SOURCE_DIR, dir, dir);
    cr_assert(system(cmd) == 0);
    char env[512], args[1024];
    snprintf(env, sizeof env, "AUTOREC_CL_DIR='%s/cl'", dir);
    snprintf(args, sizeof args, "train --train %s --test %s --epochs 1", path("train.data"),
             path("test.data"));
    cr_assert_eq(run(env, args), 1, "%s", err);
    cr_assert(strstr(err, "kernel build failed") && strstr(err, "build log"), "%s", err);
    cr_assert(strstr(err, "adam.cl"), "the log does not point at the file: %s", err);
    /* and the unmodified copy builds */
    snprintf(cmd, sizeof cmd, "cp '%s/cl/adam.cl' '%s/cl/adam.cl'", AUTOREC_SOURCE_DIR, dir);
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
        for (int i = 0; i < nd; i++) present |= strcasestr(dv[i].platform_name, names[k].platform) != NULL;
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
 * --json; a bad device in the list exits 2. */
Test(cli, bench_every_device) {
    small_data();
    char args[1024];
    snprintf(args, sizeof args, "devices --ids");
    cr_assert_eq(run(NULL, args), 0);
    int n_devices = 0;
    for (const char *p = out; (p = strchr(p, '\n')); p++) n_devices++;
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 3 --hidden 16 --batch 8 "
             "--device all --json", path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    int lines = 0;
    const char *keys[] = {"\"device\":", "\"epoch_seconds\":", "\"ratings_per_second\":",
                          "\"gflops\":", "\"device_memory_bytes\":", "\"compile_seconds\":"};
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cr_assert(line[0] == '{', "not JSON: %s", line);
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            cr_assert(strstr(line, keys[k]), "lacks %s: %s", keys[k], line);
    }
    cr_assert_eq(lines, n_devices, "%d JSON lines for %d devices", lines, n_devices);
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 2 --hidden 8 --device 0:0",
             path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 0, "%s", err);
    cr_assert(strstr(out, "epoch_s") && strstr(out, "0:0"), "%s", out);
    snprintf(args, sizeof args, "bench --train %s --test %s --epochs 2 --device 0:0,nope-xyz",
             path("train.data"), path("test.data"));
    cr_assert_eq(run(NULL, args), 2, "%s", err);
    cr_assert(strstr(err, "nope-xyz"), "%s", err);
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

/* No OpenCL platform at all (the ICD loader pointed at an empty vendor directory): a clear
 * error saying how to install one, exit code 2. */
Test(cli, no_platform_says_how_to_install_one) {
    char env[512];
    snprintf(env, sizeof env, "OCL_ICD_VENDORS='%s'", dir);
    cr_assert_eq(run(env, "devices"), 2, "%s", err);
    cr_assert(strstr(err, "no OpenCL platform") && strstr(err, "pocl-opencl-icd"), "%s", err);
}
