/* bench_shards.c - `autorec bench --sharded`: one model sharded across the --device list (as
 * `train --device A,B`), or under mpirun across the ranks (as `mpirun autorec train`), timed; per shard, the device, the columns and ratings it owns, its
 * device memory, and per epoch its compute time and the number, bytes and seconds of its sums
 * with the other shards. The sums' counters cover the whole run (training and evaluation, the
 * warm-up epoch too), so the split is of the mean epoch with its evaluation: compute = that
 * wall time less the time in sums (which includes waiting for the slower shard). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    int n;
    ar_epoch_stats s[64];     /* the timed epochs (the first, a warm-up, too) */
} bench_epochs;

static ar_status record(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    (void)r;
    bench_epochs *b = user;
    if (b->n < 64) b->s[b->n++] = *s;
    return AR_OK;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median epoch after the first (a warm-up, with the kernels' first compilation). */
static double median_epoch(const bench_epochs *b) {
    double t[64];
    int n = 0;
    for (int e = 1; e < b->n; e++) t[n++] = b->s[e].epoch_seconds;
    if (n == 0) return b->n ? b->s[0].epoch_seconds : NAN;
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* The mean epoch with its evaluation, over every epoch run. */
static double mean_wall(const bench_epochs *b) {
    double t = 0;
    for (int e = 0; e < b->n; e++) t += b->s[e].epoch_seconds + b->s[e].eval_seconds;
    return b->n ? t / b->n : NAN;
}

ar_status cli_shard_stats_all(const ar_sharded *g, ar_shard_stats *all) {
    const int n = ar_sharded_count(g);
    double v[AR_MAX_SHARDS][5] = {{0}};
    for (int s = 0; s < n; s++) {
        ar_sharded_shard_stats(g, s, &all[s]);
        if (!ar_sharded_model((ar_sharded *)g, s)) continue; /* another rank's */
        v[s][0] = (double)all[s].device_bytes, v[s][1] = all[s].reduce_seconds;
        v[s][2] = (double)all[s].reduce_bytes, v[s][3] = (double)all[s].reduce_calls;
        v[s][4] = (double)all[s].ratings_loaded;
    }
    if (cli_mpi.size == 1) return AR_OK;
    ar_status st = ar_mpi_allsum(&v[0][0], 5 * n);
    for (int s = 0; s < n; s++) {
        all[s].device_bytes = (size_t)v[s][0], all[s].reduce_seconds = v[s][1];
        all[s].reduce_bytes = (size_t)v[s][2], all[s].reduce_calls = (long)v[s][3];
        all[s].ratings_loaded = (size_t)v[s][4];
    }
    return st;
}

static void print_shards(const ar_sharded *g, ar_ctx *const *ctxs, const ar_shard_stats *all,
                         const bench_epochs *b, int json) {
    const int epochs = b->n;
    const double epoch_s = median_epoch(b), wall = mean_wall(b);
    const ar_epoch_stats *last = &b->s[b->n - 1];
    const int n = ar_sharded_count(g);
    if (json) {
        printf("{\"sharded\":true,\"devices\":%d,\"epochs\":%d", n, epochs);
        cli_json_number(stdout, "epoch_seconds", epoch_s);
        cli_json_number(stdout, "test_rmse", last->test_rmse);
        cli_json_number(stdout, "test_mae", last->test_mae);
        cli_json_number(stdout, "mean_epoch_with_eval_seconds", wall);
        printf(",\"shards\":[");
    } else {
        printf("sharded across %d devices: median epoch %.3f s (mean with evaluation %.3f s), "
               "test RMSE %.4f MAE %.4f\n", n, epoch_s, wall, last->test_rmse, last->test_mae);
        printf("%-5s %-30s %16s %10s %10s %10s %11s %11s %10s\n", "shard", "device", "columns",
               "ratings", "memory_MiB", "compute_s", "sums/epoch", "sum_MB/ep", "sum_s/ep");
    }
    int n_local, first = ar_sharded_first_local((ar_sharded *)g, &n_local);
    for (int s = 0; s < n; s++) {
        const ar_shard_stats st = all[s];
        const double sums = (double)st.reduce_calls / epochs, mb = st.reduce_bytes / 1e6 / epochs;
        const double sum_s = st.reduce_seconds / epochs, compute = fmax(0.0, wall - sum_s);
        char rank[32];
        snprintf(rank, sizeof rank, "rank %d", s);
        const char *name = s >= first && s < first + n_local
                               ? ar_ctx_device(ctxs[s - first])->name : rank;
        if (json) {
            printf("%s{\"device\":", s ? "," : "");
            cli_json_string(stdout, name);
            printf(",\"first_col\":%d,\"n_cols\":%d,\"n_train\":%zu,\"device_memory_bytes\":%zu",
                   st.first_col, st.n_cols, st.n_train, st.device_bytes);
            cli_json_number(stdout, "compute_seconds_per_epoch", compute);
            cli_json_number(stdout, "sums_per_epoch", sums);
            cli_json_number(stdout, "sum_bytes_per_epoch", st.reduce_bytes / (double)epochs);
            cli_json_number(stdout, "sum_seconds_per_epoch", sum_s);
            printf("}");
        } else {
            char cols[40];
            snprintf(cols, sizeof cols, "%d..%d", st.first_col, st.first_col + st.n_cols - 1);
            printf("%-5d %-30.30s %16s %10zu %10.1f %10.3f %11.1f %11.2f %10.3f\n", s, name, cols,
                   st.n_train, st.device_bytes / 1048576.0, compute, sums, mb, sum_s);
        }
    }
    if (json) printf("]}\n");
}

ar_status cli_bench_sharded(const cli_train_opts *t, const ar_dataset *ds,
                            const cli_devices *devs) {
    ar_ctx *ctxs[AR_MAX_SHARDS] = {NULL};
    ar_sharded *g = NULL;
    bench_epochs *b = calloc(1, sizeof *b);
    ar_train_config cfg = t->cfg;
    cfg.kernels = AR_KERNELS_SPARSE;
    cfg.patience = 0; /* every epoch, timed */
    ar_shard_stats all[AR_MAX_SHARDS];
    ar_status st = b ? AR_OK : cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    const int mpi = cli_mpi.size > 1;
    if (st == AR_OK && mpi && cli_mpi.size > AR_MAX_SHARDS)
        st = cli_usage("bench", "%d processes: a model is sharded across at most %d",
                       cli_mpi.size, AR_MAX_SHARDS);
    if (st == AR_OK && !mpi && (devs->n < 2 || devs->n > AR_MAX_SHARDS))
        st = cli_usage("bench", "--sharded needs 2 to %d devices in --device (a device listed "
                       "twice gets two contexts), got %d", AR_MAX_SHARDS, devs->n);
    if (st == AR_OK && cfg.epochs > 64)
        st = cli_usage("bench", "--sharded times at most 64 epochs, not %d", cfg.epochs);
    const int n_ctx = mpi ? 1 : devs->n; /* MPI: this rank's device alone */
    if (st == AR_OK && mpi) st = cli_mpi_context(&cli_cmd_bench, t->device, &ctxs[0]);
    for (int k = 0; st == AR_OK && !mpi && k < n_ctx; k++)
        st = ar_ctx_create(devs->spec[k], &ctxs[k]);
    if (st == AR_OK)
        st = mpi ? ar_sharded_create_mpi(ctxs[0], NULL, ds, &cfg, NULL, &g)
                 : ar_sharded_create(ctxs, n_ctx, NULL, ds, &cfg, &g);
    if (st == AR_OK) st = ar_sharded_train(g, record, b, NULL);
    if (st == AR_OK) st = cli_shard_stats_all(g, all);
    if (st == AR_OK && cli_mpi.rank == 0) print_shards(g, ctxs, all, b, t->json);
    ar_sharded_free(g);
    for (int k = 0; k < n_ctx; k++) ar_ctx_free(ctxs[k]);
    free(b);
    return st;
}
