/* epoch_ab.c - two versions of the kernels timed side by side in one training run, epoch by
 * epoch: the A/B measurement for a machine whose speed changes from minute to minute.
 *
 *   autorec_epoch_ab [--data DIR] [--pairs N] [--profile] --a SETTINGS --b SETTINGS
 *
 * SETTINGS is a list of VAR=VALUE separated by ';' (or "-": none), set in the environment
 * while that side's kernel program is built: the kernel parameters (AUTOREC_KERNEL_PARAMS,
 * over the device's defaults) and the kernel sources (AUTOREC_CL_DIR), e.g.
 *   --a 'AUTOREC_KERNEL_PARAMS=spmm_width=32' --b -
 *   --a 'AUTOREC_CL_DIR=/tmp/cl_old' --b 'AUTOREC_CL_DIR=cl'
 * One model trains on DIR's u1.base (the ml-100k directory; default $AUTOREC_DATA), the network
 * bench/compare.sh times (I-AutoRec, hidden 500, batch 256, sparse kernels, no dropout, no
 * centering, L2 2e-3, learning-rate decay 0.97, seed 1). Both programs are built on its context
 * up front, and each epoch runs with one of them, swapped in between epochs: the same buffers
 * for both sides. (Two models in one process, one per side, differed by up to 8% with the same
 * kernels in the VM's far phase, one of them faster in all 20 pairs of a run: where each
 * model's buffers landed, not the kernels.) After one epoch of each as a warm-up, N pairs (default 20)
 * alternate in the order ABBA, so that no side always runs first. The seconds per epoch are
 * training only, as autorec bench counts them. Printed: each side's median and quartiles, in
 * how many pairs B was faster, the ratio of the medians and the median of the pairs' ratios,
 * and, with --profile (the context profiles its commands), each side's median phases; last,
 * the test RMSE after the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* the context's program and kernels, swapped between epochs */

static void die(const char *what) {
    fprintf(stderr, "autorec_epoch_ab: %s: %s\n", what, ar_last_error());
    exit(1);
}

static int cmpd(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of n values (sorted in place). */
static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Sets (set = 1) or unsets each VAR=VALUE of the ';'-separated list (setenv copies them). */
static void settings(const char *list, int set) {
    if (!strcmp(list, "-")) return;
    char *copy = strdup(list), *save = NULL;
    if (!copy) exit(1);
    for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
            fprintf(stderr, "autorec_epoch_ab: '%s' is not VAR=VALUE\n", kv);
            exit(2);
        }
        *eq = 0;
        if (set) setenv(kv, eq + 1, 1);
        else unsetenv(kv); /* so that one side's variables do not reach the other's build */
    }
    free(copy);
}

typedef struct {
    cl_program program;
    ar_kernels k;
    ar_kparams kp;
    size_t wg;
} side_t;

/* Makes a side's program, kernels and parameters the context's (launches read them there). */
static void use(ar_ctx *c, const side_t *s) {
    c->program = s->program, c->k = s->k, c->kp = s->kp, c->wg = s->wg;
}

int main(int argc, char **argv) {
    const char *data = getenv("AUTOREC_DATA"), *set[2] = {NULL, NULL};
    int pairs = 20, profile = 0;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--data")) data = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--pairs")) pairs = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--a")) set[0] = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--b")) set[1] = argv[++i];
        else if (!strcmp(argv[i], "--profile")) profile = 1;
        else {
            fprintf(stderr, "usage: autorec_epoch_ab [--data DIR] [--pairs N] [--profile] "
                            "--a SETTINGS --b SETTINGS (see bench/epoch_ab.c)\n");
            return 2;
        }
    }
    if (!set[0] || !set[1] || !data || pairs < 2 || pairs > 10000) {
        fprintf(stderr, "autorec_epoch_ab: needs --a, --b, --data (or $AUTOREC_DATA) and "
                        "--pairs from 2 to 10000\n");
        return 2;
    }
    char path[4096];
    ar_ratings *train = NULL, *test = NULL;
    snprintf(path, sizeof path, "%s/u1.base", data);
    if (ar_ratings_load(path, &train) != AR_OK) die(path);
    snprintf(path, sizeof path, "%s/u1.test", data);
    if (ar_ratings_load(path, &test) != AR_OK) die(path);
    ar_dataset *ds = NULL;
    if (ar_dataset_create_ex(train, NULL, test, AR_ROWS_ITEMS, &ds) != AR_OK) die("dataset");
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.center = AR_CENTER_NONE, cfg.dropout = 0, cfg.input_dropout = 0;
    cfg.l2 = 2e-3f, cfg.lr_decay = 0.97f, cfg.kernels = AR_KERNELS_SPARSE;
    const ar_ctx_options opt = {.profiling = profile};
    ar_ctx *ctx = NULL;
    ar_model *m = NULL;
    if (ar_ctx_create_ex(NULL, &opt, &ctx) != AR_OK) die("context");
    if (ar_model_create(ctx, ds, &cfg, &m) != AR_OK) die("model");
    /* each side's program and kernels, built with its settings, kept for the whole run */
    side_t side[2];
    for (int v = 0; v < 2; v++) {
        settings(set[v], 1);
        ar_kparams kp;
        ar_kparams_default(&kp, ctx->info.type);
        const char *env = getenv("AUTOREC_KERNEL_PARAMS");
        if (env && *env && ar_kparams_parse(env, &kp) != AR_OK) die("AUTOREC_KERNEL_PARAMS");
        if (ar_ctx_set_kparams(ctx, &kp) != AR_OK) die(v ? "kernels B" : "kernels A");
        side[v].program = ctx->program, side[v].k = ctx->k, side[v].kp = ctx->kp;
        side[v].wg = ctx->wg;
        ctx->program = NULL; /* now side v's: the next build must not release it */
        memset(&ctx->k, 0, sizeof ctx->k);
        settings(set[v], 0);
    }
    enum { N_SHOWN = 3 };
    static const ar_phase shown[N_SHOWN] = {AR_PHASE_SPMM, AR_PHASE_SDDMM,
                                            AR_PHASE_SPARSE_WGRAD};
    double *t[2], *ph[2][N_SHOWN], *ratio = malloc((size_t)pairs * sizeof *ratio);
    for (int v = 0; v < 2; v++) {
        t[v] = malloc((size_t)pairs * sizeof *t[v]);
        for (int p = 0; p < N_SHOWN; p++) ph[v][p] = malloc((size_t)pairs * sizeof *ph[v][p]);
        if (!t[v] || !ph[v][N_SHOWN - 1] || !ratio) return 1;
    }
    ar_epoch_stats s;
    for (int v = 0; v < 2; v++) { /* warm-up: PoCL compiles each launch shape the first time */
        use(ctx, &side[v]);
        if (ar_model_train_epoch(m, &s) != AR_OK) die("training");
    }
    int wins = 0;
    for (int i = 0; i < pairs; i++) {
        for (int j = 0; j < 2; j++) {
            const int v = i % 2 ? 1 - j : j; /* ABBA */
            use(ctx, &side[v]);
            if (ar_model_train_epoch(m, &s) != AR_OK) die("training");
            t[v][i] = s.epoch_seconds;
            for (int p = 0; p < N_SHOWN; p++) ph[v][p][i] = s.phase_seconds[shown[p]];
        }
        wins += t[1][i] < t[0][i];
        ratio[i] = t[0][i] / t[1][i];
    }
    double med[2];
    for (int v = 0; v < 2; v++) {
        med[v] = median(t[v], pairs);
        printf("%s (%s): epoch median %.5f s, quartiles %.5f-%.5f", v ? "B" : "A", set[v],
               med[v], t[v][pairs / 4], t[v][(3 * pairs) / 4]);
        if (profile)
            for (int p = 0; p < N_SHOWN; p++)
                printf(", %s %.3f ms", ar_phase_name(shown[p]), 1e3 * median(ph[v][p], pairs));
        printf("\n");
    }
    printf("B faster in %d of %d pairs; A/B: medians %.4f, median of the pairs' ratios %.4f\n",
           wins, pairs, med[0] / med[1], median(ratio, pairs));
    printf("test RMSE after %d epochs: %.6f\n", 2 * pairs + 2, s.test_rmse);
    ctx->program = NULL; /* both sides' are released here, not by ar_ctx_free */
    memset(&ctx->k, 0, sizeof ctx->k);
    for (int v = 0; v < 2; v++) {
        ar_kernels_release(&side[v].k);
        clReleaseProgram(side[v].program);
        free(t[v]);
        for (int p = 0; p < N_SHOWN; p++) free(ph[v][p]);
    }
    ar_model_free(m);
    ar_ctx_free(ctx);
    free(ratio);
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    return 0;
}
