/* test_shard.c - a model sharded across contexts by columns (ar_sharded, host/model/shard.c)
 * trains the same model as one device: with the same seed, 1, 2 and 3 shards (contexts on the
 * same device, unequal weights too), and 2 shards on two different OpenCL platforms when the
 * machine has them, give the per-epoch loss and training / validation / test RMSEs of the
 * unsharded run to within TOL (the shards' sums are reordered; one shard: exactly), for one
 * and for three hidden layers, with dropout, input dropout and centering. The gathered model
 * is an ordinary model that evaluates as the shards did and predicts as the unsharded model.
 * Bad arguments are refused with a message; a shard that fails stops the others. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "testutil.h"

/* float sums of a few hundred terms reordered, compounded over a few epochs of Adam */
#define TOL 2e-4

#define MAX_EPOCHS 8
typedef struct {
    int n;
    ar_epoch_stats s[MAX_EPOCHS];
} seen;

static ar_status record(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    (void)r;
    seen *v = user;
    if (v->n < MAX_EPOCHS) v->s[v->n++] = *s;
    return AR_OK;
}

typedef struct {
    ar_ratings *base, *tr, *va, *te;
    ar_dataset *ds;
} data;

static void data_init(data *d, uint64_t seed) {
    tu_synth(70, 50, 3, 0.3, 0.15, seed, &d->base, &d->te);
    cr_assert(ar_ratings_split(d->base, 0.15, seed + 1, &d->tr, &d->va) == AR_OK, "%s",
              ar_last_error());
    cr_assert(ar_dataset_create_ex(d->tr, d->va, d->te, AR_ROWS_ITEMS, &d->ds) == AR_OK, "%s",
              ar_last_error());
}

static void data_free(data *d) {
    ar_dataset_free(d->ds);
    ar_ratings_free(d->base);
    ar_ratings_free(d->tr);
    ar_ratings_free(d->va);
    ar_ratings_free(d->te);
}

static ar_train_config config(uint64_t seed, int deep) {
    ar_train_config c;
    ar_train_config_default(&c);
    c.hidden = 24;
    if (deep) c.n_layers = 3, c.layers[0] = 20, c.layers[1] = 12, c.layers[2] = 20;
    c.batch = 16;
    c.epochs = 5;
    c.patience = 0;
    c.dropout = 0.3f;
    c.input_dropout = 0.2f;
    c.seed = seed;
    c.kernels = AR_KERNELS_SPARSE;
    c.baseline_fallback = 0; /* an epoch is kept: the gathered model's counters are checked */
    return c;
}

static void compare(const seen *a, const seen *b, double tol, const char *what) {
    cr_assert_eq(a->n, b->n, "%s: %d epochs against %d", what, b->n, a->n);
    for (int e = 0; e < a->n; e++) {
        const ar_epoch_stats *x = &a->s[e], *y = &b->s[e];
        double d[4] = {x->loss - y->loss, x->train_rmse - y->train_rmse,
                       x->valid_rmse - y->valid_rmse, x->test_rmse - y->test_rmse};
        for (int k = 0; k < 4; k++)
            cr_assert(fabs(d[k]) <= tol, "%s, epoch %d: loss %.7f/%.7f train %.7f/%.7f valid "
                      "%.7f/%.7f test %.7f/%.7f (tolerance %g)", what, e + 1, x->loss, y->loss,
                      x->train_rmse, y->train_rmse, x->valid_rmse, y->valid_rmse, x->test_rmse,
                      y->test_rmse, tol);
    }
}

/* Trains on n shards over ctxs with weights w and checks against the unsharded run ref; the
 * gathered model evaluates as the last epoch did. */
static void sharded_run(const data *d, const ar_train_config *cfg, ar_ctx **ctxs, int n,
                        const double *w, const seen *ref, double tol, const char *what) {
    ar_sharded *g = NULL;
    cr_assert(ar_sharded_create(ctxs, n, w, d->ds, cfg, &g) == AR_OK, "%s: %s", what,
              ar_last_error());
    cr_assert_eq(ar_sharded_count(g), n);
    int cols = 0;
    for (int s = 0; s < n; s++) {
        ar_shard_stats st;
        ar_sharded_shard_stats(g, s, &st);
        cr_assert(st.first_col == cols && st.n_cols >= 1 && st.device_bytes > 0, "%s", what);
        cols += st.n_cols;
    }
    cr_assert_eq(cols, d->ds->n_cols);
    seen got = {0};
    ar_train_result r;
    cr_assert(ar_sharded_train(g, record, &got, &r) == AR_OK, "%s: %s", what, ar_last_error());
    compare(ref, &got, tol, what);
    for (int s = 0; n > 1 && s < n; s++) { /* two sums per batch went through every shard */
        ar_shard_stats st;
        ar_sharded_shard_stats(g, s, &st);
        cr_assert(st.reduce_calls > 2 * cfg->epochs && st.reduce_bytes > 0, "%s", what);
    }
    ar_model *m = NULL;
    cr_assert(ar_sharded_gather(g, ctxs[0], &m) == AR_OK, "%s: %s", what, ar_last_error());
    ar_metrics e;
    cr_assert(ar_model_evaluate_metrics(m, &e) == AR_OK, "%s", ar_last_error());
    const ar_epoch_stats *last = &r.selected; /* the best-validation epoch, put back */
    cr_assert(fabs(e.train.rmse - last->train_rmse) <= 1e-5 &&
              fabs(e.valid.rmse - last->valid_rmse) <= 1e-5 &&
              fabs(e.test.rmse - last->test_rmse) <= 1e-5,
              "%s: the gathered model evaluates to %.7f %.7f %.7f, the shards' selected epoch "
              "to %.7f %.7f %.7f",
              what, e.train.rmse, e.valid.rmse, e.test.rmse, last->train_rmse, last->valid_rmse,
              last->test_rmse);
    cr_assert_eq(ar_model_epochs_done(m), r.selected_epoch);
    /* the file written from the shards, piece by piece, is the gathered model's, byte for byte */
    cr_assert(ar_model_save(m, tu_path("gathered.model")) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_sharded_save(g, tu_path("sharded.model")) == AR_OK, "%s", ar_last_error());
    size_t na = 0, nb = 0;
    char *fa = tu_slurp(tu_path("gathered.model"), &na), *fb = tu_slurp(tu_path("sharded.model"),
                                                                      &nb);
    cr_assert(fa && fb && na == nb && !memcmp(fa, fb, na), "%s: the files differ (%zu, %zu "
              "bytes)", what, na, nb);
    free(fa);
    free(fb);
    ar_model_free(m);
    ar_sharded_free(g);
}

static void same_model_any_sharding(int deep) {
    data d;
    uint64_t seed = tu_seed();
    data_init(&d, seed);
    ar_train_config cfg = config(seed, deep);
    ar_ctx *ctxs[3] = {tu_ctx(), tu_ctx(), tu_ctx()};
    ar_model *m = NULL;
    seen ref = {0};
    cr_assert(ar_model_create(ctxs[0], d.ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train(m, record, &ref, NULL) == AR_OK, "%s", ar_last_error());
    ar_model_free(m);
    sharded_run(&d, &cfg, ctxs, 1, NULL, &ref, 0, "1 shard");
    sharded_run(&d, &cfg, ctxs, 2, NULL, &ref, TOL, "2 shards, one device");
    const double w[3] = {1, 2.5, 1};
    sharded_run(&d, &cfg, ctxs, 3, w, &ref, TOL, "3 shards, weights 1,2.5,1");
    for (int k = 0; k < 3; k++) ar_ctx_free(ctxs[k]);
    data_free(&d);
}

TestSuite(shard, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

Test(shard, one_hidden_layer_same_model_any_sharding, .timeout = 600) {
    same_model_any_sharding(0);
}

Test(shard, three_hidden_layers_same_model_any_sharding, .timeout = 600) {
    same_model_any_sharding(1);
}

/* A device of another platform than the default context's, if the machine has one. */
static ar_ctx *other_platform(const ar_ctx *c) {
    ar_platform_info *plats = NULL;
    ar_device_info *devs = NULL;
    int np = 0, n = 0;
    if (ar_devices_list(&plats, &np, &devs, &n) != AR_OK) return NULL;
    ar_ctx *o = NULL;
    for (int k = 0; k < n && !o; k++)
        if (devs[k].platform != ar_ctx_device(c)->platform) {
            char spec[32];
            snprintf(spec, sizeof spec, "%d:%d", devs[k].platform, devs[k].device);
            if (ar_ctx_create(spec, &o) != AR_OK) o = NULL;
        }
    free(plats);
    free(devs);
    return o;
}

Test(shard, two_platforms_same_model, .timeout = 600) {
    ar_ctx *a = tu_ctx(), *b = other_platform(a);
    if (!b) {
        ar_ctx_free(a);
        cr_skip_test("one OpenCL platform here: 2 shards on two platforms need two");
    }
    data d;
    uint64_t seed = tu_seed();
    data_init(&d, seed);
    ar_train_config cfg = config(seed, 0);
    ar_model *m = NULL;
    seen ref = {0};
    cr_assert(ar_model_create(a, d.ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_model_train(m, record, &ref, NULL) == AR_OK, "%s", ar_last_error());
    ar_model_free(m);
    ar_ctx *ctxs[2] = {a, b};
    fprintf(stderr, "  shards on %s and %s\n", ar_ctx_device(a)->name, ar_ctx_device(b)->name);
    sharded_run(&d, &cfg, ctxs, 2, NULL, &ref, TOL, "2 shards, two platforms");
    ar_ctx_free(a);
    ar_ctx_free(b);
    data_free(&d);
}

Test(shard, bad_arguments_are_refused) {
    data d;
    data_init(&d, 5);
    ar_ctx *c = tu_ctx();
    ar_ctx *ctxs[17];
    for (int k = 0; k < 17; k++) ctxs[k] = c;
    ar_train_config cfg = config(5, 0);
    ar_sharded *g = NULL;
    cr_assert_eq(ar_sharded_create(ctxs, 0, NULL, d.ds, &cfg, &g), AR_ERR_INVALID_ARG);
    cr_assert_eq(ar_sharded_create(ctxs, 17, NULL, d.ds, &cfg, &g),
                 AR_ERR_INVALID_ARG);
    const double w[2] = {1, 0};
    cr_assert_eq(ar_sharded_create(ctxs, 2, w, d.ds, &cfg, &g), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "shard 1's weight"), "%s", ar_last_error());
    cfg.kernels = AR_KERNELS_DENSE;
    cr_assert_eq(ar_sharded_create(ctxs, 2, NULL, d.ds, &cfg, &g), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_train_config.kernels"), "%s", ar_last_error());
    cfg = config(5, 0);
    cfg.lr = -1;
    cr_assert_eq(ar_sharded_create(ctxs, 2, NULL, d.ds, &cfg, &g), AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_train_config.lr"), "%s", ar_last_error());
    cr_assert(g == NULL);
    ar_ctx_free(c);
    data_free(&d);
}

/* ---- a dataset's shares (ar_dataset_create_share: what each MPI rank holds) -------------- */

/* Every entry of a (whole) in the columns c0..c1-1 is in b (a share, the same numbering), and b
 * holds nothing else. */
static void same_entries(const ar_csr *a, const ar_csr *b, int c0, int c1, const char *what) {
    cr_assert_eq(a->rows, b->rows, "%s", what);
    for (int r = 0; r < a->rows; r++) {
        int k = b->row_ptr[r];
        for (int e = a->row_ptr[r]; e < a->row_ptr[r + 1]; e++) {
            if (a->col_idx[e] < c0 || a->col_idx[e] >= c1) continue;
            cr_assert(k < b->row_ptr[r + 1] && b->col_idx[k] == a->col_idx[e] &&
                      b->vals[k] == a->vals[e], "%s: row %d", what, r);
            k++;
        }
        cr_assert_eq(k, b->row_ptr[r + 1], "%s: row %d has more in the share", what, r);
    }
}

typedef struct {
    ar_reducer *red;
    int s;
    const ar_dataset *share;
    ar_baselines b;
    ar_status st;
} share_job;

static ar_status share_sum(void *arg, double *v, size_t n) {
    share_job *j = arg;
    return ar_reduce_sum(j->red, j->s, v, n, 1);
}

static void *share_baselines(void *arg) {
    share_job *j = arg;
    j->st = ar_dataset_baselines_sum(j->share, NULL, share_sum, j, &j->b);
    return NULL;
}

static void close_errors(const ar_errors *a, const ar_errors *b, const char *what) {
    cr_assert_eq(a->n, b->n, "%s", what);
    cr_assert(fabs(a->rmse - b->rmse) < 1e-12 && fabs(a->mae - b->mae) < 1e-12,
              "%s: %.15g %.15g", what, a->rmse, b->rmse);
}

/* Three shares (unequal weights) of a dataset with cold test pairs: each holds its columns'
 * training, validation and test ratings exactly, the cold pairs on shard 0 alone, the whole
 * dataset's statistics; their baselines, summed across them, are the whole dataset's. */
Test(shard, shares_partition_the_dataset, .timeout = 120) {
    data d;
    data_init(&d, 8);
    /* a cold test pair: a user the training ratings never saw */
    int64_t *u = malloc((d.te->n + 1) * sizeof *u), *it = malloc((d.te->n + 1) * sizeof *it);
    float *v = malloc((d.te->n + 1) * sizeof *v);
    for (size_t k = 0; k < d.te->n; k++)
        u[k] = d.te->user[k], it[k] = d.te->item[k], v[k] = d.te->rating[k];
    u[d.te->n] = 1000000, it[d.te->n] = d.te->item[0], v[d.te->n] = 2;
    ar_ratings *te = NULL;
    cr_assert(ar_ratings_from_arrays(u, it, v, d.te->n + 1, &te) == AR_OK);
    ar_dataset *whole = NULL, *sh[3] = {NULL};
    cr_assert(ar_dataset_create_ex(d.tr, d.va, te, AR_ROWS_ITEMS, &whole) == AR_OK);
    cr_assert(whole->n_cold >= 1);
    const double w[3] = {1, 2, 1};
    ar_dataset_stats ws, ss;
    ar_dataset_get_stats(whole, &ws);
    size_t loaded = 0;
    for (int s = 0; s < 3; s++) {
        cr_assert(ar_dataset_create_share(d.tr, d.va, te, AR_ROWS_ITEMS, 3, w, s, &sh[s]) ==
                  AR_OK, "%s", ar_last_error());
        const ar_share *p = sh[s]->share;
        const int c0 = p->col[s], c1 = p->col[s + 1];
        same_entries(&whole->train, &sh[s]->train, c0, c1, "train");
        same_entries(&whole->valid, &sh[s]->valid, c0, c1, "validation");
        same_entries(&whole->test, &sh[s]->test, c0, c1, "test");
        cr_assert_eq((size_t)sh[s]->train.row_ptr[sh[s]->n_rows], p->n_train[s]);
        loaded += p->n_train[s];
        cr_assert_eq(sh[s]->n_cold, s == 0 ? whole->n_cold : 0);
        ar_dataset_get_stats(sh[s], &ss);
        cr_assert(ss.n_train == ws.n_train && ss.n_test == ws.n_test &&
                  ss.n_valid == ws.n_valid && ss.n_users == ws.n_users &&
                  ss.n_items == ws.n_items && ss.train_mean == ws.train_mean &&
                  ss.rating_min == ws.rating_min && ss.rating_max == ws.rating_max);
    }
    cr_assert_eq(loaded, ws.n_train);
    /* the split is the one a sharded model makes on the whole dataset */
    cr_assert(sh[1]->share->col[1] > 0 && sh[1]->share->col[2] > sh[1]->share->col[1]);
    ar_baselines b;
    cr_assert(ar_dataset_baselines(whole, NULL, &b) == AR_OK);
    ar_reducer *red = NULL;
    cr_assert(ar_reducer_local(3, &red) == AR_OK);
    share_job jobs[3];
    pthread_t th[3];
    for (int s = 0; s < 3; s++) {
        jobs[s] = (share_job){.red = red, .s = s, .share = sh[s]};
        cr_assert(pthread_create(&th[s], NULL, share_baselines, &jobs[s]) == 0);
    }
    for (int s = 0; s < 3; s++) pthread_join(th[s], NULL);
    for (int s = 0; s < 3; s++) {
        cr_assert(jobs[s].st == AR_OK, "%s", ar_last_error());
        close_errors(&jobs[s].b.bias.test, &b.bias.test, "bias, test");
        close_errors(&jobs[s].b.bias.valid, &b.bias.valid, "bias, validation");
        close_errors(&jobs[s].b.bias.train, &b.bias.train, "bias, training");
        close_errors(&jobs[s].b.mean.test, &b.mean.test, "mean, test");
    }
    /* a share alone cannot score: it needs the others' sums */
    cr_assert_eq(ar_dataset_baselines(sh[1], NULL, &b), AR_ERR_INVALID_ARG);
    ar_reducer_free(red);
    for (int s = 0; s < 3; s++) ar_dataset_free(sh[s]);
    ar_dataset_free(whole);
    ar_ratings_free(te);
    free(u);
    free(it);
    free(v);
    data_free(&d);
}

/* ---- the CLI: train --device A,B ------------------------------------------------------------ */

TestSuite(shard_cli, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

static char out[65536], err[65536];
#define run(...) tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out, __VA_ARGS__)

/* The per-epoch figures of a metrics CSV (loss, train, valid, test RMSE). */
static int read_metrics(const char *path, double (*rows)[4], int cap) {
    char *csv = tu_slurp(path, NULL);
    cr_assert(csv, "no %s", path);
    int n = 0;
    for (char *line = strtok(strchr(csv, '\n') + 1, "\n"); line && n < cap;
         line = strtok(NULL, "\n"), n++) {
        int e;
        cr_assert_eq(sscanf(line, "%d,%lf,%lf,%lf,%lf", &e, &rows[n][0], &rows[n][1],
                            &rows[n][2], &rows[n][3]), 5, "%s", line);
    }
    free(csv);
    return n;
}

static void same_metrics(const char *a, const char *b) {
    double x[16][4], y[16][4];
    int n = read_metrics(a, x, 16), m = read_metrics(b, y, 16);
    cr_assert(n == m && n > 0, "%d rows against %d", m, n);
    for (int e = 0; e < n; e++)
        for (int k = 0; k < 4; k++)
            cr_assert(fabs(x[e][k] - y[e][k]) <= TOL, "epoch %d, column %d: %.6f against %.6f",
                      e + 1, k + 1, y[e][k], x[e][k]);
}

/* The CLI tests' data (tr.data, te.data: 120 users x 90 items) and devices: returns the test's
 * device spec; *two lists it twice (two contexts). */
static const char *two_contexts_data(char *two, size_t cap) {
    const char *dev = getenv("AUTOREC_DEVICE") && *getenv("AUTOREC_DEVICE")
                          ? getenv("AUTOREC_DEVICE") : "0";
    snprintf(two, cap, "%s,%s", dev, dev);
    ar_ratings *a = NULL, *b = NULL;
    tu_synth(120, 90, 3, 0.3, 0.2, 4, &a, &b);
    tu_write_ratings(tu_path("tr.data"), a);
    tu_write_ratings(tu_path("te.data"), b);
    ar_ratings_free(a);
    ar_ratings_free(b);
    return dev;
}

/* Two contexts on the test's device train the one-device model, epoch by epoch; the model file
 * is the whole model (eval agrees); --resume scatters it onto two shards and goes on as one
 * device does; bad weights and the dense kernels exit 2 naming the option. */
Test(shard_cli, train_on_two_contexts_saves_and_resumes_the_whole_model, .timeout = 600) {
    char two[64];
    const char *dev = two_contexts_data(two, sizeof two);
    char cfg[512];
    snprintf(cfg, sizeof cfg, "--test %s --hidden 16 --batch 32 --epochs 4 --patience 0 "
             "--fallback none --quiet", tu_path("te.data"));
    cr_assert_eq(run("train --train %s %s --device %s --metrics %s --save %s",
                     tu_path("tr.data"), cfg, dev, tu_path("one.csv"), tu_path("one.model")),
                 0, "%s", err);
    cr_assert_eq(run("train --train %s %s --device %s --shard-weights 1,2 --metrics "
                     "%s --save %s --json", tu_path("tr.data"), cfg, two, tu_path("two.csv"),
                     tu_path("two.model")), 0, "%s", err);
    same_metrics(tu_path("one.csv"), tu_path("two.csv"));
    cr_assert(strstr(out, "\"devices\":2") && strstr(out, "\"shards\":[{") &&
              strstr(out, "\"reduce_bytes\":"), "%s", out);
    const double test = tu_json_number(strstr(out, "{\"device"), "test_rmse");
    cr_assert_eq(run("eval --model %s --test %s --json", tu_path("two.model"),
                     tu_path("te.data")), 0, "%s", err);
    cr_assert(fabs(tu_json_number(out, "test_rmse") - test) < 1e-5, "%s vs %.6f", out, test);
    /* resumed: 2 more epochs on one device and on two shards */
    cr_assert_eq(run("train --train %s %s --device %s --resume %s --epochs 6 "
                     "--metrics %s", tu_path("tr.data"), cfg, dev, tu_path("two.model"),
                     tu_path("r1.csv")), 0, "%s", err);
    cr_assert_eq(run("train --train %s %s --device %s --resume %s --epochs 6 "
                     "--metrics %s", tu_path("tr.data"), cfg, two, tu_path("two.model"),
                     tu_path("r2.csv")), 0, "%s", err);
    same_metrics(tu_path("r1.csv"), tu_path("r2.csv"));
    /* bench --sharded: one JSON line, two shards that own every column, their sums counted */
    cr_assert_eq(run("bench --train %s --test %s --hidden 16 --epochs 2 --device %s --sharded "
                     "--json --quiet", tu_path("tr.data"), tu_path("te.data"), two), 0, "%s", err);
    cr_assert(strstr(out, "\"sharded\":true") && strstr(out, "\"devices\":2") &&
              strstr(out, "\"first_col\":0") && tu_json_number(out, "sums_per_epoch") > 0 &&
              tu_json_number(out, "sum_bytes_per_epoch") > 0 &&
              tu_json_number(out, "epoch_seconds") > 0, "%s", out);
    cr_assert_eq(run("bench --train %s --test %s --epochs 2 --device %s --sharded",
                     tu_path("tr.data"), tu_path("te.data"), dev), 2);
    cr_assert(strstr(err, "--sharded needs 2 to 16 devices"), "%s", err);
    /* bad input */
    cr_assert_eq(run("train --train %s %s --device %s --shard-weights 1", tu_path("tr.data"), cfg,
                     two), 2);
    cr_assert(strstr(err, "--shard-weights gives 1 weights for the 2 devices"), "%s", err);
    cr_assert_eq(run("train --train %s %s --device %s --shard-weights 1,-2", tu_path("tr.data"),
                     cfg, two), 2);
    cr_assert(strstr(err, "--shard-weights expects"), "%s", err);
    cr_assert_eq(run("train --train %s %s --device %s --kernels dense", tu_path("tr.data"), cfg,
                     two), 2);
    cr_assert(strstr(err, "--kernels") && strchr(err, '\n') == err + strlen(err) - 1, "%s", err);
}

/* Sharding is the way to train a model too large for one device, so --shard-weights auto (the
 * default) must not need the whole model on one device to measure it: under a largest
 * allocation (AUTOREC_MAX_ALLOC) that the whole model's parameters or ratings exceed and a shard's
 * do not, two contexts train the one-device model. Under a limit nothing fits, auto warns that
 * it could not measure, gives the shards equal weights, and the run then stops on one line
 * naming the shard. */
Test(shard_cli, auto_weights_measure_a_model_one_device_cannot_hold, .timeout = 600) {
    char two[64];
    const char *dev = two_contexts_data(two, sizeof two);
    char cfg[512];
    snprintf(cfg, sizeof cfg, "--test %s --hidden 16 --batch 32 --epochs 3 --patience 0 "
             "--fallback none", tu_path("te.data"));
    cr_assert_eq(run("train --train %s %s --quiet --device %s --metrics %s", tu_path("tr.data"),
                     cfg, dev, tu_path("one.csv")), 0, "%s", err);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), "AUTOREC_MAX_ALLOC=12000", out, err, sizeof out,
                            "train --train %s %s --quiet --device %s", tu_path("tr.data"), cfg,
                            dev), 1);
    cr_assert(strstr(err, "over the device's largest allocation"), "%s", err);
    cr_assert_eq(tu_run_cli(tu_tmpdir(), "AUTOREC_MAX_ALLOC=12000", out, err, sizeof out,
                            "train --train %s %s --device %s --metrics %s", tu_path("tr.data"),
                            cfg, two, tu_path("two.csv")), 0, "%s", err);
    cr_assert(strstr(err, "shard weights (auto: each device's measured speed)") &&
              !strstr(err, "could not measure"), "%s", err);
    same_metrics(tu_path("one.csv"), tu_path("two.csv"));
    cr_assert_eq(tu_run_cli(tu_tmpdir(), "AUTOREC_MAX_ALLOC=2000", out, err, sizeof out,
                            "train --train %s %s --quiet --device %s", tu_path("tr.data"), cfg,
                            two), 1);
    cr_assert(strstr(err, "autorec: warning: --shard-weights auto could not measure the devices: ") &&
              strstr(err, "the shards get equal weights") &&
              strstr(err, "autorec: error: shard 0 on "), "%s", err);
}

/* A shard that fails (here shard 0, whose epoch callback returns an error in epoch 2) stops the
 * others at their next sum instead of leaving them waiting: ar_sharded_train returns the failed
 * shard's own status and message, naming it. */
static ar_status fail_in_epoch_2(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    (void)user, (void)r;
    return s->epoch == 2 ? ar_fail(AR_ERR_IO, "the callback gave up") : AR_OK;
}

Test(shard, a_failed_shard_stops_the_others, .timeout = 600) {
    data d;
    data_init(&d, 9);
    ar_ctx *ctxs[3] = {tu_ctx(), tu_ctx(), tu_ctx()};
    ar_train_config cfg = config(9, 0);
    ar_sharded *g = NULL;
    cr_assert(ar_sharded_create(ctxs, 3, NULL, d.ds, &cfg, &g) == AR_OK, "%s", ar_last_error());
    const double t0 = ar_time_seconds();
    cr_assert_eq(ar_sharded_train(g, fail_in_epoch_2, NULL, NULL), AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "shard 0 of 3") &&
              strstr(ar_last_error(), "the callback gave up"), "%s", ar_last_error());
    cr_assert(ar_time_seconds() - t0 < 120, "the others took too long to stop");
    ar_sharded_free(g);
    for (int k = 0; k < 3; k++) ar_ctx_free(ctxs[k]);
    data_free(&d);
}
