/* train_shards.c - `autorec train --device A,B,...`: the model sharded across several devices
 * (ar_sharded): the contexts, the shares of the columns (--shard-weights, by default measured),
 * the sharded model (new or from --resume), training, the per-shard figures; the model file is
 * written from the shards (ar_sharded_save). Under mpirun, the same with one shard per rank. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_run.h"

/* Under mpirun: this rank's device (cli_mpi_context). */
static ar_status mpi_device(train_run *r) {
    ar_status st = cli_mpi_context(&cli_cmd_train, r->o->t.device, &r->ctxs[0]);
    if (st == AR_OK) r->ctx = r->ctxs[0], r->n_ctx = 1;
    return st;
}

/* The devices --device lists: one context each (a device listed twice gets two). */
ar_status cli_train_devices(train_run *r) {
    if (cli_mpi.size > 1) return mpi_device(r);
    cli_devices d;
    ar_status st = cli_device_specs(&cli_cmd_train, r->o->t.device, &d);
    if (st == AR_OK && d.n > AR_MAX_SHARDS)
        st = cli_usage("train", "--device lists %d devices: a model is sharded across at most %d",
                       d.n, AR_MAX_SHARDS);
    for (int k = 0; st == AR_OK && k < d.n; k++) {
        st = ar_ctx_create(d.spec[k], &r->ctxs[k]);
        if (st == AR_OK) r->n_ctx = k + 1;
    }
    cli_devices_free(&d);
    if (st == AR_OK) r->ctx = r->ctxs[0];
    return st;
}

/* --shard-weights W1,W2,...: one positive number per device. */
static ar_status parse_weights(const char *s, int n, double *w) {
    int k = 0;
    for (const char *p = s; k <= n && *p;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || !(isfinite(v) && v > 0) || (*end && *end != ','))
            return cli_usage("train", "--shard-weights expects auto or %d numbers > 0 separated "
                             "by ',', got '%s'", n, s);
        if (k < n) w[k] = v;
        k++;
        p = *end ? end + 1 : end;
    }
    if (k != n)
        return cli_usage("train", "--shard-weights gives %d weights for the %d devices of "
                         "--device", k, n);
    return AR_OK;
}

/* Is the column with raw id `id` one of the 1/n that the measuring sample keeps? A mix of the id
 * (splitmix64's finaliser), so that the kept columns are spread over the id range. */
static int sample_column(int64_t id, int n) {
    uint64_t z = (uint64_t)id + 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) % (uint64_t)n == 0;
}

/* The ratings auto's measurement trains on: up to 20000 of the training ratings drawn at random,
 * and of those only the ones in about 1/n of the columns, so that the model measured is about
 * the size of one equal shard: a device that can hold its shard can hold it, even when the
 * whole model fits on none of them (the reason to shard). When the columns kept would leave
 * fewer than 2 ratings, all of the drawn ones. *out is owned by the caller. */
static ar_status measuring_sample(const train_run *r, int n, ar_ratings **out) {
    ar_ratings *drawn = NULL, *rest = NULL;
    const ar_ratings *all = r->data.train;
    const size_t total = ar_ratings_count(all);
    *out = NULL;
    ar_status st = total > 20000 ? ar_ratings_split(all, 1.0 - 20000.0 / (double)total,
                                                    r->cfg.seed, &drawn, &rest)
                                 : AR_OK;
    const ar_ratings *from = drawn ? drawn : all;
    const size_t m = ar_ratings_count(from);
    int64_t *users = malloc(m * sizeof *users), *items = malloc(m * sizeof *items);
    float *vals = malloc(m * sizeof *vals);
    if (st == AR_OK && (!users || !items || !vals))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory sampling %zu ratings", m);
    if (st != AR_OK) goto cleanup;
    size_t kept = 0;
    for (size_t i = 0; i < m; i++) {
        ar_ratings_get(from, i, &users[kept], &items[kept], &vals[kept]);
        int64_t col = r->o->t.data.rows == AR_ROWS_ITEMS ? users[kept] : items[kept];
        kept += n < 2 || sample_column(col, n);
    }
    if (kept < 2) /* too few columns to thin: every drawn rating */
        for (kept = 0; kept < m; kept++)
            ar_ratings_get(from, kept, &users[kept], &items[kept], &vals[kept]);
    st = ar_ratings_from_arrays(users, items, vals, kept, out);
cleanup:
    free(users);
    free(items);
    free(vals);
    ar_ratings_free(drawn);
    ar_ratings_free(rest);
    return st;
}

/* --shard-weights auto: each device's speed, measured: epochs of the run's model on a sample
 * of the training ratings (measuring_sample), on each device in turn, a warm-up epoch and then
 * the fastest of three (a shared machine's noise only ever slows an epoch down); the weight is
 * the inverse of that time. n: the shards in all (the sample's columns are about 1/n). */
static ar_status measure_weights(train_run *r, int n, double *w) {
    ar_ratings *sample = NULL;
    ar_dataset *ds = NULL;
    ar_status st = measuring_sample(r, n, &sample);
    if (st == AR_OK)
        st = ar_dataset_create_ex(sample, NULL, NULL, r->o->t.data.rows, &ds);
    ar_train_config cfg = r->cfg;
    cfg.kernels = AR_KERNELS_SPARSE;
    for (int k = 0; st == AR_OK && k < r->n_ctx; k++) {
        ar_model *m = NULL;
        st = ar_model_create(r->ctxs[k], ds, &cfg, &m);
        if (st == AR_OK) st = ar_model_train_epoch(m, NULL);
        double best = INFINITY;
        for (int rep = 0; st == AR_OK && rep < 3; rep++) {
            double t0 = ar_time_seconds();
            st = ar_model_train_epoch(m, NULL);
            best = fmin(best, ar_time_seconds() - t0);
        }
        w[k] = 1.0 / fmax(best, 1e-6);
        ar_model_free(m);
    }
    ar_dataset_free(ds);
    ar_ratings_free(sample);
    return st;
}

/* The warning when a device has not the memory for auto's measuring model, the library's
 * message with the options' names; AR_OK. */
static ar_status unmeasured_warning(void) {
    char text[1024];
    cli_flag_names(&cli_cmd_train, ar_last_error(), text, sizeof text);
    if (cli_mpi.size > 1)
        fprintf(stderr, "autorec: warning: rank %d: --shard-weights auto could not measure its "
                "device: %s\n", cli_mpi.rank, text);
    else
        fprintf(stderr, "autorec: warning: --shard-weights auto could not measure the devices: "
                "%s\n", text);
    return AR_OK;
}

/* The shards' weights: given, or measured (with MPI each rank its own device, then summed
 * into everyone's copy). n: the shards in all. A device without the memory for the measuring
 * model (AR_ERR_OUT_OF_MEMORY) does not stop the run: every shard then gets the same weight,
 * with a warning (under MPI a rank that could not measure reports 0, and the sum tells every
 * rank alike). */
static ar_status shard_weights(train_run *r, int n, double *w) {
    const char *s = r->o->shard_weights;
    if (s && strcmp(s, "auto")) return parse_weights(s, n, w);
    ar_status st = AR_OK;
    if (cli_mpi.size > 1) {
        double own = 0;
        for (int k = 0; k < n; k++) w[k] = 0;
        st = measure_weights(r, n, &own);
        if (st == AR_ERR_OUT_OF_MEMORY) own = 0, st = unmeasured_warning();
        w[cli_mpi.rank] = own;
        if (st == AR_OK) st = ar_mpi_allsum(w, n);
    } else {
        st = measure_weights(r, n, w);
        if (st == AR_ERR_OUT_OF_MEMORY) w[0] = 0, st = unmeasured_warning();
    }
    if (st != AR_OK) return st;
    int unmeasured = 0;
    for (int k = 0; k < n; k++) unmeasured |= !(w[k] > 0);
    if (unmeasured) {
        for (int k = 0; k < n; k++) w[k] = 1.0;
        if (cli_mpi.rank == 0)
            fprintf(stderr, "autorec: warning: the shards get equal weights; give "
                    "--shard-weights to choose them\n");
    } else if (!r->o->t.quiet) {
        fprintf(stderr, "shard weights (auto: each device's measured speed):");
        for (int k = 0; k < n; k++) fprintf(stderr, " %.3g", w[k] / w[0]);
        fputc('\n', stderr);
    }
    return st;
}

/* Under mpirun, once the shard has its slice: the rating lists go (the dataset holds them
 * all), and the dataset too on ranks other than 0 (rank 0 writes the whole one into the model
 * file) or, built as a share, on every rank (the shard's slice holds the same ratings; the model
 * keeps the ids and counts the file needs): a rank keeps its columns' ratings once. --refit,
 * which builds a dataset again from the lists, keeps everything. */
void cli_train_shards_release(train_run *r) {
    if (cli_mpi.size == 1 || !r->g || r->o->refit) return;
    cli_data_drop_ratings(&r->data);
    if (cli_mpi.rank == 0 && !cli_train_by_share(r)) return; /* a share: its slice holds it */
    ar_sharded_release_data(r->g);
    ar_dataset_free(r->ds);
    r->ds = NULL;
}

int cli_train_by_share(const train_run *r) {
    return cli_mpi.size > 1 && !r->o->refit && !r->ck;
}

ar_status cli_train_shards_share(train_run *r) {
    const int n = cli_mpi.size;
    if (n > AR_MAX_SHARDS)
        return cli_usage("train", "%d processes: a model is sharded across at most %d", n,
                         AR_MAX_SHARDS);
    double w[AR_MAX_SHARDS];
    ar_status st = shard_weights(r, n, w);
    if (st == AR_OK)
        st = ar_dataset_create_share(r->data.train, r->data.valid, r->data.test,
                                     r->o->t.data.rows, n, w, cli_mpi.rank, &r->ds);
    cli_data_drop_ratings(&r->data); /* the share holds this rank's; nothing reads them again */
    return st == AR_OK ? ar_sharded_create_mpi(r->ctx, w, r->ds, &r->cfg, NULL, &r->g) : st;
}

ar_status cli_train_shards_create(train_run *r, const ar_dataset *ds, const ar_checkpoint *ck) {
    const int n = cli_mpi.size > 1 ? cli_mpi.size : r->n_ctx;
    if (n > AR_MAX_SHARDS)
        return cli_usage("train", "%d processes: a model is sharded across at most %d", n,
                         AR_MAX_SHARDS);
    double w[AR_MAX_SHARDS];
    ar_status st = shard_weights(r, n, w);
    if (st != AR_OK) return st;
    ar_sharded_free(r->g);
    r->g = NULL;
    /* under mpirun the rating lists go before the shard's buffers are allocated, so that the
     * two are never in memory together (the dataset holds the ratings; --refit needs them) */
    if (cli_mpi.size > 1 && !r->o->refit && ds == r->ds) cli_data_drop_ratings(&r->data);
    if (cli_mpi.size > 1) {
        return ar_sharded_create_mpi(r->ctx, w, ds, &r->cfg, ck, &r->g);
    }
    return ck ? ar_sharded_create_from(r->ctxs, r->n_ctx, w, ds, ck, &r->cfg, &r->g)
              : ar_sharded_create(r->ctxs, r->n_ctx, w, ds, &r->cfg, &r->g);
}

ar_status cli_train_shards_run(train_run *r, const char *prefix, ar_epoch_callback cb,
                               ar_train_result *res) {
    ar_model *first = cli_train_view(r); /* its progress stands for every shard's */
    cli_watch w;
    cli_watch_model(first, &w, r->tty, prefix);
    ar_status st = ar_sharded_train(r->g, cb, r, res);
    ar_model_set_progress(first, NULL, NULL); /* w goes out of scope */
    if (r->tty) cli_progress_end();
    return st == AR_OK ? cli_shard_stats_all(r->g, r->stats) : st;
}

ar_status cli_train_save(train_run *r, const char *path) {
    return r->g ? ar_sharded_save(r->g, path) : ar_model_save(r->m, path);
}

size_t cli_train_device_bytes(const train_run *r) {
    if (!r->g) return ar_model_device_bytes(r->m);
    size_t sum = 0;
    for (int s = 0; s < ar_sharded_count(r->g); s++) sum += r->stats[s].device_bytes;
    return sum;
}

void cli_train_shards_setup(const train_run *r) {
    int n_local, first = ar_sharded_first_local(r->g, &n_local);
    for (int s = 0; s < ar_sharded_count(r->g); s++) {
        ar_shard_stats st;
        ar_sharded_shard_stats(r->g, s, &st);
        char where[320];
        if (s >= first && s < first + n_local) {
            const ar_device_info *dev = ar_ctx_device(r->ctxs[s - first]);
            snprintf(where, sizeof where, "%s%d:%d %s, %.1f MB of device memory",
                     cli_mpi.size > 1 ? "rank 0, " : "", dev->platform, dev->device, dev->name,
                     (double)st.device_bytes / 1e6);
        } else {
            snprintf(where, sizeof where, "rank %d", s);
        }
        fprintf(stderr, "shard %d: %s; columns %d..%d (%d), %zu training ratings\n", s, where,
                st.first_col, st.first_col + st.n_cols - 1, st.n_cols, st.n_train);
    }
}

void cli_train_shards_json(const train_run *r) {
    if (!r->g) return;
    printf(",\"shards\":[");
    int n_local, first = ar_sharded_first_local(r->g, &n_local);
    for (int s = 0; s < ar_sharded_count(r->g); s++) {
        const ar_shard_stats st = r->stats[s];
        printf("%s{\"device\":", s ? "," : "");
        if (s >= first && s < first + n_local)
            cli_json_string(stdout, ar_ctx_device(r->ctxs[s - first])->name);
        else
            printf("null"); /* another rank's */
        if (cli_mpi.size > 1) printf(",\"rank\":%d", s);
        printf(",\"first_col\":%d,\"n_cols\":%d,\"n_train\":%zu,\"device_memory_bytes\":%zu",
               st.first_col, st.n_cols, st.n_train, st.device_bytes);
        cli_json_number(stdout, "reduce_seconds", st.reduce_seconds);
        printf(",\"reduce_bytes\":%zu,\"reduce_calls\":%ld,\"ratings_loaded\":%zu}",
               st.reduce_bytes, st.reduce_calls, st.ratings_loaded);
    }
    printf("]");
}

void cli_train_shards_free_model(train_run *r) {
    ar_sharded_free(r->g);
    r->g = NULL;
}

void cli_train_shards_free(train_run *r) {
    cli_train_shards_free_model(r);
    for (int k = 1; k < r->n_ctx; k++) ar_ctx_free(r->ctxs[k]); /* ctxs[0] is r->ctx */
}

ar_model *cli_train_view(const train_run *r) {
    return r->m ? r->m : ar_sharded_model(r->g, ar_sharded_first_local(r->g, NULL));
}
