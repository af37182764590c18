/* cmd_bench.c - `autorec bench`: times the same training run on one or more devices (and kernel
 * paths): the median epoch, throughput, counted GFLOP/s, memory, one-off costs, and the median
 * epoch split by phase from OpenCL profiling events. A device that fails is reported and the
 * others still run. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

typedef struct {
    ar_kernel_path v[3];
    int n;
} kernel_list;

typedef struct {
    cli_train_opts t;
    kernel_list kernels;     /* --kernels: one row per device and path */
    int no_profile;          /* --no-profile */
    int sharded;             /* --sharded: one model across the --device list */
} bench_opts;

/* One row: a device and kernel path's measurements. */
typedef struct {
    const ar_device_info *dev;
    const char *path;        /* the kernel path taken */
    double epoch_s;          /* median of the timed epochs */
    double flops;            /* counted FLOPs of one training epoch */
    double compile_s;        /* set-up plus the first epoch beyond the median */
    double build_s;          /* of which building the kernel program */
    int cached;              /* 1: the program came from the built-program cache */
    const char *gemm_tuning; /* ar_ctx_gemm_tuning: what CLBlast runs with */
    char kparams[256];       /* ar_ctx_kernel_params: the sparse kernels' parameters ... */
    const char *kparams_from; /* ... and where they came from */
    double phase[AR_PHASE_COUNT]; /* the median epoch's phases, seconds (NaN: not measured) */
    size_t n_train, mem, rss;
    double test_rmse, test_mae;
} bench_row;

/* Peak resident set size of this process so far, in bytes (0 if unknown). */
static size_t peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

/* Counted multiply-add FLOPs of a training epoch (forward, weight and input gradients) over rows
 * rows of cols columns: dense, 5 x 2 rows cols H for one hidden layer of H units; sparse (the
 * path ar_model_kernels reports), 5 x 2 nnz H over the nnz training ratings instead. */
static double epoch_flops(const ar_train_config *cfg, int rows, int cols, size_t nnz,
                          int sparse) {
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

/* Sorts epoch indices by their time (insertion sort: a few epochs). */
static void sort_by_time(int *idx, int n, const double *t) {
    for (int i = 1; i < n; i++) {
        int x = idx[i], j = i;
        while (j > 0 && t[idx[j - 1]] > t[x]) idx[j] = idx[j - 1], j--;
        idx[j] = x;
    }
}

/* The row from the epochs' stats (es[0] the warm-up) and the set-up time. The epoch time is
 * the median of the timed epochs; its phases are those of the median epoch (the mean of the two
 * middle ones for an even count), so they add up to it. */
static ar_status measure(const bench_opts *o, const ar_dataset *ds, const ar_model *m,
                         const ar_epoch_stats *es, double setup, bench_row *row) {
    const int n = o->t.cfg.epochs - 1;
    int *idx = calloc((size_t)n + 1, sizeof *idx);
    double *times = calloc((size_t)n + 1, sizeof *times);
    if (!idx || !times) {
        free(idx), free(times);
        return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (int e = 0; e <= n; e++) times[e] = es[e].epoch_seconds;
    for (int k = 0; k < n; k++) idx[k] = k + 1;
    sort_by_time(idx, n, times);
    int lo = idx[(n - 1) / 2], hi = idx[n / 2];
    row->epoch_s = 0.5 * (times[lo] + times[hi]);
    for (int p = 0; p < AR_PHASE_COUNT; p++)
        row->phase[p] = 0.5 * (es[lo].phase_seconds[p] + es[hi].phase_seconds[p]);
    row->compile_s = setup + (times[0] > row->epoch_s ? times[0] - row->epoch_s : 0.0);
    free(idx), free(times);
    ar_dataset_stats ss;
    ar_dataset_get_stats(ds, &ss);
    const int by_user = ss.rows_are == AR_ROWS_USERS;
    row->flops = epoch_flops(&o->t.cfg, by_user ? ss.n_users : ss.n_items,
                             by_user ? ss.n_items : ss.n_users, ss.n_train,
                             ar_model_kernels(m) == AR_KERNELS_SPARSE);
    row->path = ar_kernel_path_name(ar_model_kernels(m));
    row->n_train = ss.n_train;
    row->mem = ar_model_device_bytes(m);
    row->rss = peak_rss_bytes();
    row->test_rmse = es[o->t.cfg.epochs - 1].test_rmse;
    row->test_mae = es[o->t.cfg.epochs - 1].test_mae;
    return AR_OK;
}

static void print_json_row(const bench_opts *o, const bench_row *r, int profiling) {
    printf("{\"device\":");
    cli_json_string(stdout, r->dev->name);
    printf(",\"platform\":");
    cli_json_string(stdout, r->dev->platform_name);
    printf(",\"id\":\"%d:%d\"", r->dev->platform, r->dev->device);
    cli_json_number(stdout, "epoch_seconds", r->epoch_s);
    cli_json_number(stdout, "ratings_per_second", (double)r->n_train / r->epoch_s);
    cli_json_number(stdout, "gflops", r->flops / r->epoch_s * 1e-9);
    cli_json_number(stdout, "gflop_per_epoch", r->flops * 1e-9);
    printf(",\"device_memory_bytes\":%zu,\"host_peak_rss_bytes\":%zu", r->mem, r->rss);
    cli_json_number(stdout, "compile_seconds", r->compile_s);
    cli_json_number(stdout, "program_build_seconds", r->build_s);
    printf(",\"program_cache\":\"%s\"", r->cached ? "hit" : "miss");
    printf(",\"clblast_tuning\":");
    cli_json_string(stdout, r->gemm_tuning);
    printf(",\"kernel_params\":");
    cli_json_string(stdout, r->kparams);
    printf(",\"kernel_params_from\":");
    cli_json_string(stdout, r->kparams_from);
    if (profiling && !isnan(r->phase[AR_PHASE_GEMM])) {
        printf(",\"phases\":{");
        for (int p = 0; p < AR_PHASE_COUNT; p++)
            printf("%s\"%s\":%.6g", p ? "," : "", ar_phase_name((ar_phase)p), r->phase[p]);
        printf("}");
    } else {
        printf(",\"phases\":null");
    }
    cli_json_number(stdout, "test_rmse", r->test_rmse);
    cli_json_number(stdout, "test_mae", r->test_mae);
    printf(",\"epochs\":%d,\"batch\":%d,\"train_ratings\":%zu", o->t.cfg.epochs, o->t.cfg.batch,
           r->n_train);
    printf(",\"kernels\":\"%s\"", r->path);
    char layers[256];
    cli_format_layers(&o->t.cfg, layers, sizeof layers);
    printf(",\"hidden\":");
    cli_json_string(stdout, layers);
    printf("}\n");
}

/* The table row, and with profiling the phase row for the table printed after all devices. */
static void print_table_row(const bench_row *r, int profiling, char *phase_row, size_t cap) {
    char id[32];
    snprintf(id, sizeof id, "%d:%d", r->dev->platform, r->dev->device);
    printf("%-5s %-6s %-30.30s %9.4f %11.0f %8.2f %10.1f %9.0f %9.2f %9.4f %8.4f\n", id,
           r->path, r->dev->name, r->epoch_s, (double)r->n_train / r->epoch_s,
           r->flops / r->epoch_s * 1e-9, (double)r->mem / (1024.0 * 1024.0),
           (double)r->rss / (1024.0 * 1024.0), r->compile_s, r->test_rmse, r->test_mae);
    if (!profiling) return;
    int len = snprintf(phase_row, cap, "%-5s %-6s", id, r->path);
    if (isnan(r->phase[AR_PHASE_GEMM]))
        snprintf(phase_row + len, cap - (size_t)len, " (this driver gives no profiling "
                 "timestamps)");
    for (int p = 0; p < AR_PHASE_COUNT && !isnan(r->phase[AR_PHASE_GEMM]) && (size_t)len < cap;
         p++)
        len += snprintf(phase_row + len, cap - (size_t)len, " %12.4f", r->phase[p]);
}

/* The table's header, before its first row: a run whose every device failed prints no empty
 * table on stdout, only its errors on stderr. */
static void table_header(void) {
    static int printed;
    if (printed++) return;
    printf("%-5s %-6s %-30s %9s %11s %8s %10s %9s %9s %9s %8s\n", "id", "path", "device",
           "epoch_s", "ratings/s", "GFLOP/s", "memory_MiB", "peak_RSS", "compile_s",
           "test_RMSE", "test_MAE");
}

/* Trains o's run on device spec and prints its row (the phase row goes to phase_row). A failure
 * is reported here, so that the next device still runs. */
static ar_status bench_device(const cli_command *self, const bench_opts *o, const ar_dataset *ds,
                              const char *spec, char *phase_row, size_t phase_cap) {
    ar_ctx *ctx = NULL;
    ar_model *m = NULL;
    const int profiling = !o->no_profile, epochs = o->t.cfg.epochs;
    ar_epoch_stats *es = calloc((size_t)epochs, sizeof *es);
    bench_row row = {0};
    phase_row[0] = 0;
    double t0 = ar_time_seconds();
    ar_ctx_options co = {.profiling = profiling};
    ar_status st = es ? AR_OK : cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK) st = ar_ctx_create_ex(spec, &co, &ctx);
    if (st == AR_OK) st = ar_model_create(ctx, ds, &o->t.cfg, &m);
    double setup = ar_time_seconds() - t0;
    if (st == AR_OK) row.dev = ar_ctx_device(ctx);
    if (st == AR_OK) row.build_s = ar_ctx_build_seconds(ctx, &row.cached);
    if (st == AR_OK) row.gemm_tuning = ar_ctx_gemm_tuning(ctx);
    /* after ar_model_create, which may have rebuilt the context with tuned parameters */
    if (st == AR_OK)
        row.kparams_from = ar_ctx_kernel_params(ctx, row.kparams, sizeof row.kparams);
    if (st == AR_OK && !o->t.quiet)
        fprintf(stderr, "%s: CLBlast: %s\n", row.dev->name, row.gemm_tuning);
    cli_watch w; /* progress within an epoch, on a terminal */
    if (st == AR_OK) cli_watch_model(m, &w, cli_progress_on(o->t.quiet), "");
    for (int e = 0; st == AR_OK && e < epochs; e++) {
        st = ar_model_train_epoch(m, &es[e]);
        cli_progress_end();
        if (st != AR_OK) break;
        if (!o->t.quiet)
            fprintf(stderr, "%s: epoch %d/%d %.3fs test RMSE %.4f MAE %.4f\n", row.dev->name,
                    e + 1, epochs, es[e].epoch_seconds, es[e].test_rmse, es[e].test_mae);
    }
    if (st == AR_OK) st = measure(o, ds, m, es, setup, &row);
    if (st == AR_OK && o->t.json) print_json_row(o, &row, profiling);
    else if (st == AR_OK) {
        table_header();
        print_table_row(&row, profiling, phase_row, phase_cap);
    }
    if (st != AR_OK) cli_report_now(self, st);
    fflush(stdout);
    free(es);
    ar_model_free(m);
    ar_ctx_free(ctx);
    return st;
}

/* After the table: the median epoch's phases, one row per device and path; nothing when no
 * device gave a row (each failure was said on stderr). */
static void print_phases(char (*phase_rows)[512], int n_rows) {
    int any = 0;
    for (int i = 0; i < n_rows; i++) any |= phase_rows[i][0] != 0;
    if (!any) return;
    printf("\nseconds per epoch by phase (OpenCL profiling events of the median epoch):\n");
    printf("%-5s %-6s", "id", "path");
    for (int p = 0; p < AR_PHASE_COUNT; p++) printf(" %12s", ar_phase_name((ar_phase)p));
    printf("\n");
    for (int i = 0; i < n_rows; i++)
        if (phase_rows[i][0]) printf("%s\n", phase_rows[i]);
}

static ar_status run_bench(const cli_command *self, void *opts, const cli_parsed *p) {
    bench_opts *o = opts;
    ar_status st;
    if ((st = cli_train_opts_check(self, p, &o->t)) != AR_OK) return st;
    char (*phase_rows)[512] = NULL;
    cli_devices devs = {0};
    cli_data data = {0};
    ar_dataset *ds = NULL;
    if (cli_mpi.size > 1 && !o->sharded)
        return cli_usage(self->name, "under mpirun, bench runs --sharded (one shard per "
                         "process)");
    if (cli_mpi.rank > 0) o->t.quiet = 1; /* rank 0 alone reports */
    st = cli_device_specs(self, o->t.device, &devs);
    const int n_specs = devs.n;
    if (st == AR_OK) st = cli_data_load(&o->t.data, o->t.cfg.seed, o->t.quiet, &data);
    if (st == AR_OK)
        st = ar_dataset_create_ex(data.train, data.valid, data.test, o->t.data.rows, &ds);
    const int n_rows = n_specs * o->kernels.n;
    if (st == AR_OK && !(phase_rows = calloc((size_t)n_rows, sizeof *phase_rows)))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK && !o->t.quiet) fprintf(stderr, "data: %s\n", data.desc);
    if (st == AR_OK && o->sharded) { /* one sharded model instead of one row per device */
        st = cli_bench_sharded(&o->t, ds, &devs);
        free(phase_rows);
        cli_devices_free(&devs);
        ar_dataset_free(ds);
        cli_data_free(&data);
        return st;
    }
    ar_status first = AR_OK; /* the first device's failure (each is reported as it happens) */
    for (int i = 0; st == AR_OK && i < n_rows; i++) {
        o->t.cfg.kernels = o->kernels.v[i % o->kernels.n];
        ar_status r = bench_device(self, o, ds, devs.spec[i / o->kernels.n], phase_rows[i],
                                   sizeof phase_rows[i]);
        if (first == AR_OK) first = r;
    }
    if (st == AR_OK && !o->t.json && !o->no_profile) print_phases(phase_rows, n_rows);
    free(phase_rows);
    cli_devices_free(&devs);
    ar_dataset_free(ds);
    cli_data_free(&data);
    return st != AR_OK ? st : first;
}

/* ---- the table ------------------------------------------------------------------------------ */

/* dense,sparse (up to 3 paths) into a kernel_list. */
static ar_status read_kernel_list(const cli_option *o, const char *val, void *field) {
    kernel_list *k = field;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", val);
    k->n = 0;
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (k->n == 3 || ar_kernel_path_parse(t, &k->v[k->n]) != AR_OK)
            return cli_fail(AR_ERR_INVALID_ARG, "%s expects a list of auto, dense, sparse (up "
                            "to 3), got '%s'", o->name, val);
        k->n++;
    }
    if (k->n == 0)
        return cli_fail(AR_ERR_INVALID_ARG, "%s expects auto, dense or sparse", o->name);
    return AR_OK;
}

static void show_kernel_list(const void *field, char *buf, size_t cap) {
    const kernel_list *k = field;
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < k->n && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "",
                                ar_kernel_path_name(k->v[i]));
}

static const cli_option bench_options[] = {
    {.name = "--device", .meta = "all|SPEC[,SPEC...]", .kind = CLI_STRING,
     .at = offsetof(bench_opts, t.device),
     .help = "devices to run on, all or a list of specs (see 'autorec devices --help'); by "
             "default as for train"},
    {.name = "--kernels", .meta = "LIST", .kind = CLI_CUSTOM, .at = offsetof(bench_opts, kernels),
     .parse = read_kernel_list, .show = show_kernel_list, .setting = "ar_train_config.kernels",
     .help = "dense, sparse, auto or a list such as dense,sparse: one row per device and path, "
             "same data"},
    {.name = "--epochs", .meta = "N", .kind = CLI_INT, .at = offsetof(bench_opts, t.cfg.epochs),
     .min = 2, .max = 1000000, .setting = "ar_train_config.epochs",
     .help = "epochs per device, the first an untimed warm-up"},
    {.name = "--sharded", .kind = CLI_FLAG, .at = offsetof(bench_opts, sharded),
     .help = "one model sharded across the --device list (2 to 16 devices; as train --device "
             "A,B with equal shares), or under mpirun across the ranks (one shard each), "
             "instead of one run per device: per shard, the device (another rank's: rank K), "
             "the columns and ratings it owns, its device memory, and per epoch (the mean, its "
             "evaluation included) its compute time and its sums with the other shards "
             "(count, bytes, seconds); JSON keys sharded, devices, epochs, epoch_seconds, "
             "test_rmse, test_mae, mean_epoch_with_eval_seconds, shards (device, "
             "first_col, n_cols, n_train, device_memory_bytes, compute_seconds_per_epoch, "
             "sums_per_epoch, sum_bytes_per_epoch, sum_seconds_per_epoch)"},
    {.name = "--no-profile", .kind = CLI_FLAG, .at = offsetof(bench_opts, no_profile),
     .help = "no profiling events (phases are not measured; use it to check that profiling "
             "does not change the epoch time)"},
    {.name = "--json", .kind = CLI_FLAG, .at = offsetof(bench_opts, t.json),
     .help = "one JSON object per row, one per line, keys device, platform, id, epoch_seconds, "
             "ratings_per_second, gflops, gflop_per_epoch, device_memory_bytes, "
             "host_peak_rss_bytes, compile_seconds, program_build_seconds, program_cache (hit: "
             "the kernels came from the built-program cache; miss: built from source), "
             "clblast_tuning (the CLBlast tuning entries applied, or why none), kernel_params "
             "(the sparse kernels' parameters, as AUTOREC_KERNEL_PARAMS lists them) and "
             "kernel_params_from (default, AUTOREC_KERNEL_PARAMS, or tuned: stored by "
             "'autorec tune-kernels'), phases "
             "(seconds per phase; null with --no-profile or when the driver gives no "
             "profiling timestamps), test_rmse, test_mae, epochs, batch, train_ratings, "
             "hidden, kernels"},
};
static const cli_group bench_group = CLI_GROUP("bench", bench_options, NULL);

static const cli_use bench_groups[] = {
    {&bench_group, 0},
    CLI_TRAIN_GROUPS(offsetof(bench_opts, t)),
};

static void bench_defaults(void *opts) {
    bench_opts *o = opts;
    cli_train_opts_default(&o->t);
    o->t.cfg.epochs = 4;
    o->t.data.valid_ratio = 0; /* timing: every epoch, on all the training ratings */
    o->kernels.v[0] = o->t.cfg.kernels; /* train's default path */
    o->kernels.n = 1;
}

const cli_command cli_cmd_bench = {
    .name = "bench",
    .summary = "time training on one or more devices, one row per device",
    .usage = "autorec bench [data | --synthetic UxIxN] [--device all|SPEC[,SPEC...]]\n"
             "                     [--kernels dense,sparse] [--epochs N] [training flags]\n"
             "                     [--no-profile] [--json]",
    .about = "Trains the same run on each selected device (and kernel path) and prints one row "
             "each:\n"
             "  epoch_s      median wall time of the timed epochs (all but the first, the\n"
             "               warm-up), training only (the per-epoch evaluation is not included)\n"
             "  ratings/s    training ratings per second (training ratings / epoch_s)\n"
             "  GFLOP/s      counted FLOPs of a training epoch's products (forward, weight\n"
             "               gradients and input gradients of every layer but the first) over\n"
             "               epoch_s: dense kernels 5 x 2 x rows x columns x hidden for one\n"
             "               hidden layer, sparse kernels 5 x 2 x training ratings x hidden\n"
             "               (the work actually done)\n"
             "  memory_MiB   device memory held by the model's buffers (CLBlast's temporaries\n"
             "               aside)\n"
             "  peak_RSS     the process's peak resident host memory so far, in MiB\n"
             "  compile_s    one-off cost: context, kernel build and model set-up, plus the\n"
             "               first epoch's time beyond the median (CLBlast compiles its kernels\n"
             "               on first use); the kernels themselves come from the built-program\n"
             "               cache after the first run on a device (JSON program_cache)\n"
             "  test_RMSE    after the last epoch\n"
             "  test_MAE     after the last epoch\n"
             "and then, per device, the median epoch split by phase from OpenCL profiling "
             "events: gemm (CLBlast), spmm, sddmm, sparse_wgrad (the sparse path's products; with "
             "the first and last weights' Adam step, fused), activation, dropout, densify, "
             "loss, bias_grad, adam (the other parameters' on the sparse path), fill (kernel "
             "families), "
             "transfer (host <-> device copies) and host (the rest of the wall time: host work "
             "and launch overhead while the device had nothing queued). The phases add up to "
             "epoch_s.",
    CLI_USES(bench_groups),
    .size = sizeof(bench_opts),
    .defaults = bench_defaults,
    .run = run_bench,
};
