/* cmd_eval.c - `autorec eval`: scores saved models on a test file by the AutoRec protocol; an
 * ensemble (several --model) by its averaged predictions, and each member alone. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "cli.h"

typedef struct {
    cli_saved_opts m;
    const char *test;        /* --test FILE */
    ar_load_options load;    /* its --format, --duplicates */
    int json;                /* --json */
} eval_opts;

/* The squared errors of each member's predictions at the test pairs (sse[k]) and of their mean
 * (sse[l->n]), the same figures ar_model_evaluate gives, computed on the host. */
static ar_status ensemble_errors(const cli_loaded *l, const ar_ratings *test, double *sse) {
    const size_t n = ar_ratings_count(test), cap = n ? n : 1;
    int64_t *u = malloc(cap * sizeof *u), *i = malloc(cap * sizeof *i);
    float *r = malloc(cap * sizeof *r), *mean = malloc(cap * sizeof *mean);
    float *each = malloc(cap * (size_t)l->n * sizeof *each);
    ar_status st = AR_OK;
    if (!u || !i || !r || !mean || !each) st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (size_t k = 0; st == AR_OK && k < n; k++) ar_ratings_get(test, k, &u[k], &i[k], &r[k]);
    if (st == AR_OK) st = ar_ensemble_predict(l->ms, l->n, u, i, n, mean, each);
    for (size_t k = 0; st == AR_OK && k < n; k++) {
        for (int m = 0; m < l->n; m++) {
            double d = (double)each[(size_t)m * n + k] - r[k];
            sse[m] += d * d;
        }
        double d = (double)mean[k] - r[k];
        sse[l->n] += d * d;
    }
    free(u);
    free(i);
    free(r);
    free(mean);
    free(each);
    return st;
}

/* An ensemble's test RMSE and each member's. */
static ar_status eval_ensemble(const eval_opts *o, const cli_loaded *l, const ar_ratings *test) {
    double sse[CLI_LIST_MAX + 1] = {0};
    ar_status st = ensemble_errors(l, test, sse);
    if (st != AR_OK) return st;
    const size_t n = ar_ratings_count(test);
    const double N = n ? (double)n : NAN;
    ar_dataset_stats s;
    ar_dataset_get_stats(l->dss[0], &s);
    if (!o->json) {
        for (int m = 0; m < l->n; m++)
            printf("member %d: test RMSE %.4f, model %s after %d epochs\n", m + 1,
                   sqrt(sse[m] / N), o->m.models.v[m], ar_model_epochs_done(l->ms[m]));
        printf("ensemble of %d models: test RMSE %.4f on %zu ratings (%zu with an unseen user "
               "or item in the first model's data)\n", l->n, sqrt(sse[l->n] / N), n,
               s.n_test_cold);
        return AR_OK;
    }
    printf("{\"models\":[");
    for (int m = 0; m < l->n; m++) {
        if (m) putchar(',');
        cli_json_string(stdout, o->m.models.v[m]);
    }
    printf("],\"test\":");
    cli_json_string(stdout, o->test);
    cli_json_number(stdout, "test_rmse", sqrt(sse[l->n] / N));
    printf(",\"member_test_rmse\":[");
    for (int m = 0; m < l->n; m++) printf("%s%.6g", m ? "," : "", sqrt(sse[m] / N));
    printf("],\"member_epochs\":[");
    for (int m = 0; m < l->n; m++) printf("%s%d", m ? "," : "", ar_model_epochs_done(l->ms[m]));
    printf("],\"n_test\":%zu,\"n_test_cold\":%zu}\n", n, s.n_test_cold);
    return AR_OK;
}

/* One model's test (and train) RMSE, from the library's evaluation. */
static ar_status eval_one(const eval_opts *o, const cli_loaded *l) {
    double tr = NAN, te = NAN;
    ar_status st = ar_model_evaluate(l->ms[0], &tr, &te);
    if (st != AR_OK) return st;
    ar_dataset_stats s;
    ar_dataset_get_stats(l->dss[0], &s);
    if (o->json) {
        printf("{\"model\":");
        cli_json_string(stdout, o->m.models.v[0]);
        printf(",\"test\":");
        cli_json_string(stdout, o->test);
        cli_json_number(stdout, "test_rmse", te);
        cli_json_number(stdout, "train_rmse", tr);
        printf(",\"n_test\":%zu,\"n_test_cold\":%zu,\"epochs\":%d}\n", s.n_test, s.n_test_cold,
               ar_model_epochs_done(l->ms[0]));
    } else {
        printf("test RMSE %.4f on %zu ratings (%zu with an unseen user or item), train RMSE "
               "%.4f; model %s after %d epochs\n", te, s.n_test, s.n_test_cold, tr,
               o->m.models.v[0], ar_model_epochs_done(l->ms[0]));
    }
    return AR_OK;
}

static ar_status run_eval(const cli_command *self, void *opts, const cli_parsed *p) {
    (void)self, (void)p; /* what it needs is in the options */
    const eval_opts *o = opts;
    ar_status st;
    ar_ratings *test = NULL;
    cli_loaded l = {0};
    st = cli_load_ratings(o->test, &o->load, 0, &test);
    if (st == AR_OK) st = cli_saved_load(&o->m, test, &l);
    if (st == AR_OK) st = l.n > 1 ? eval_ensemble(o, &l, test) : eval_one(o, &l);
    cli_saved_free(&l);
    ar_ratings_free(test);
    return st;
}

/* ---- the table ------------------------------------------------------------------------------ */

static const cli_option eval_options[] = {
    {.name = "--test", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(eval_opts, test),
     .flags = CLI_REQUIRED, .help = "the test ratings"},
    {.name = "--format", .meta = "F", .kind = CLI_CUSTOM, .at = offsetof(eval_opts, load.format),
     .parse = cli_read_format, .show = cli_show_format, .choices = cli_formats,
     .setting = "ar_load_options.format", .help = "the test file's format:"},
    {.name = "--duplicates", .meta = "HOW", .kind = CLI_CUSTOM,
     .at = offsetof(eval_opts, load.duplicates), .parse = cli_read_duplicates,
     .show = cli_show_duplicates, .choices = cli_duplicates,
     .setting = "ar_load_options.duplicates",
     .help = "what counts when the test file rates a user-item pair more than once (a test "
             "pair that is also one of the model's training pairs stays an error):"},
    {.name = "--json", .kind = CLI_FLAG, .at = offsetof(eval_opts, json),
     .help = "print the result as one JSON object"},
};
static const cli_group eval_group = CLI_GROUP("options", eval_options, NULL);

static const cli_use eval_groups[] = {
    {&cli_saved, offsetof(eval_opts, m)},
    {&eval_group, 0},
};

static void eval_defaults(void *opts) { ar_load_options_default(&((eval_opts *)opts)->load); }

const cli_command cli_cmd_eval = {
    .name = "eval",
    .summary = "score a saved model (--save) on a test file",
    .usage = "autorec eval --model FILE [--model FILE ...] --test FILE [--format F]\n"
             "                    [--duplicates HOW] [--device SPEC] [--json]",
    .about = "Scores a saved model on a test file by the AutoRec protocol (inputs are the "
             "model's training vectors; predictions clamped to its rating scale; pairs with an "
             "unseen user or item predicted as the middle of the scale). Prints test RMSE and "
             "the number of ratings; for an ensemble, each member's test RMSE too.",
    CLI_USES(eval_groups),
    .size = sizeof(eval_opts),
    .defaults = eval_defaults,
    .run = run_eval,
};
