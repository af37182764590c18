/* cmd_eval.c - `autorec eval`: scores saved models on a test file by the AutoRec protocol; an
 * ensemble (several --model) by its averaged predictions, and each member alone. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    cli_saved_opts m;
    const char *test;        /* --test FILE */
    ar_load_options load;    /* its --format, --duplicates */
    int json;                /* --json */
    ar_topn_config topn;     /* --topn K (0: not asked for), --relevant R */
} eval_opts;

/* What eval reports. */
typedef struct {
    ar_errors test;                   /* the model's, or the ensemble mean's */
    ar_errors train;                  /* one model: on its training ratings; else n 0 */
    ar_errors member[CLI_LIST_MAX];   /* an ensemble's members' test errors */
    ar_baselines base;                /* on the first model's data and scale */
    ar_topn topn;                     /* with --topn */
    ar_topn base_topn;                /* the bias baseline's, with --topn */
} eval_result;

/* Errors from sums: squared and absolute errors over n ratings. */
static ar_errors errors_of(double sse, double sae, size_t n) {
    const double N = n ? (double)n : NAN;
    return (ar_errors){.rmse = sqrt(sse / N), .mae = sae / N, .n = n};
}

/* The errors of each member's predictions at the test pairs and of their mean, the same
 * figures ar_model_evaluate_metrics gives, computed on the host. */
static ar_status ensemble_errors(const cli_loaded *l, const ar_ratings *test, eval_result *res) {
    const size_t n = ar_ratings_count(test), cap = n ? n : 1;
    int64_t *u = malloc(cap * sizeof *u), *i = malloc(cap * sizeof *i);
    float *r = malloc(cap * sizeof *r), *mean = malloc(cap * sizeof *mean);
    float *each = malloc(cap * (size_t)l->n * sizeof *each);
    double se[CLI_LIST_MAX + 1] = {0}, ae[CLI_LIST_MAX + 1] = {0}; /* members, then the mean */
    ar_status st = AR_OK;
    if (!u || !i || !r || !mean || !each) st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (size_t k = 0; st == AR_OK && k < n; k++) ar_ratings_get(test, k, &u[k], &i[k], &r[k]);
    if (st == AR_OK) st = ar_ensemble_predict(l->ms, l->n, u, i, n, mean, each);
    for (size_t k = 0; st == AR_OK && k < n; k++)
        for (int m = 0; m <= l->n; m++) {
            double d = (double)(m < l->n ? each[(size_t)m * n + k] : mean[k]) - r[k];
            se[m] += d * d;
            ae[m] += fabs(d);
        }
    for (int m = 0; m < l->n; m++) res->member[m] = errors_of(se[m], ae[m], n);
    res->test = errors_of(se[l->n], ae[l->n], n);
    free(u);
    free(i);
    free(r);
    free(mean);
    free(each);
    return st;
}

/* The figures: errors (by the library's evaluation for one model), baselines, top-N. */
static ar_status evaluate(const eval_opts *o, const cli_loaded *l, const ar_ratings *test,
                          eval_result *res) {
    ar_status st;
    memset(res, 0, sizeof *res);
    if (l->n > 1) {
        st = ensemble_errors(l, test, res);
    } else {
        ar_metrics e;
        st = ar_model_evaluate_metrics(l->ms[0], &e);
        res->test = e.test;
        res->train = e.train;
    }
    if (st == AR_OK) st = cli_baselines(l->ms[0], l->dss[0], &res->base);
    if (st == AR_OK && o->topn.k) st = ar_ensemble_topn(l->ms, l->n, &o->topn, &res->topn);
    if (st == AR_OK && o->topn.k)
        st = cli_baseline_topn(l->ms[0], l->dss[0], &o->topn, &res->base_topn);
    return st;
}

static void print_topn_text(const eval_opts *o, const ar_topn *t, const ar_topn *b) {
    printf("top-%d ranking (relevant: a test rating >= %g): precision %.4f, recall %.4f, NDCG "
           "%.4f, hit rate %.4f over %zu users (%zu relevant ratings)\n", o->topn.k,
           (double)o->topn.relevant, t->precision, t->recall, t->ndcg, t->hit_rate, t->users,
           t->relevant);
    printf("top-%d of the bias baseline: precision %.4f, recall %.4f, NDCG %.4f, hit rate %.4f\n",
           o->topn.k, b->precision, b->recall, b->ndcg, b->hit_rate);
}

/* ,"PREFIXprecision":..,"PREFIXrecall":..,"PREFIXndcg":..,"PREFIXhit_rate":.. */
static void topn_json(const char *prefix, const ar_topn *t) {
    const char *names[4] = {"precision", "recall", "ndcg", "hit_rate"};
    const double v[4] = {t->precision, t->recall, t->ndcg, t->hit_rate};
    char key[64];
    for (int k = 0; k < 4; k++) {
        snprintf(key, sizeof key, "%s%s", prefix, names[k]);
        cli_json_number(stdout, key, v[k]);
    }
}

static void print_topn_json(const eval_opts *o, const ar_topn *t, const ar_topn *b) {
    printf(",\"topn\":%d", o->topn.k);
    cli_json_number(stdout, "relevant", o->topn.relevant);
    topn_json("topn_", t);
    printf(",\"topn_users\":%zu,\"topn_relevant\":%zu", t->users, t->relevant);
    topn_json("baseline_topn_", b);
}

static void print_text(const eval_opts *o, const cli_loaded *l, const eval_result *res,
                       const ar_dataset_stats *s) {
    if (l->n > 1) {
        for (int m = 0; m < l->n; m++)
            printf("member %d: test RMSE %.4f MAE %.4f, model %s after %d epochs\n", m + 1,
                   res->member[m].rmse, res->member[m].mae, o->m.models.v[m],
                   ar_model_epochs_done(l->ms[m]));
        printf("ensemble of %d models: test RMSE %.4f MAE %.4f on %zu ratings (%zu with an "
               "unseen user or item in the first model's data)\n", l->n, res->test.rmse,
               res->test.mae, res->test.n, s->n_test_cold);
    } else {
        printf("test RMSE %.4f MAE %.4f on %zu ratings (%zu with an unseen user or item), train "
               "RMSE %.4f MAE %.4f; model %s after %d epochs\n", res->test.rmse, res->test.mae,
               s->n_test, s->n_test_cold, res->train.rmse, res->train.mae, o->m.models.v[0],
               ar_model_epochs_done(l->ms[0]));
    }
    cli_baselines_text(stdout, &res->base);
    if (o->topn.k) print_topn_text(o, &res->topn, &res->base_topn);
}

static void print_json(const eval_opts *o, const cli_loaded *l, const eval_result *res,
                       const ar_dataset_stats *s) {
    if (l->n > 1) {
        printf("{\"models\":[");
        for (int m = 0; m < l->n; m++) {
            if (m) putchar(',');
            cli_json_string(stdout, o->m.models.v[m]);
        }
        printf("]");
    } else {
        printf("{\"model\":");
        cli_json_string(stdout, o->m.models.v[0]);
    }
    printf(",\"test\":");
    cli_json_string(stdout, o->test);
    cli_json_number(stdout, "test_rmse", res->test.rmse);
    cli_json_number(stdout, "test_mae", res->test.mae);
    if (l->n > 1) {
        const char *keys[2] = {"member_test_rmse", "member_test_mae"};
        for (int k = 0; k < 2; k++) {
            printf(",\"%s\":[", keys[k]);
            for (int m = 0; m < l->n; m++)
                printf("%s%.6g", m ? "," : "", k ? res->member[m].mae : res->member[m].rmse);
            printf("]");
        }
        printf(",\"member_epochs\":[");
        for (int m = 0; m < l->n; m++) printf("%s%d", m ? "," : "", ar_model_epochs_done(l->ms[m]));
        printf("]");
    } else {
        cli_json_number(stdout, "train_rmse", res->train.rmse);
        cli_json_number(stdout, "train_mae", res->train.mae);
    }
    cli_baselines_json(stdout, &res->base);
    if (o->topn.k) print_topn_json(o, &res->topn, &res->base_topn);
    printf(",\"n_test\":%zu,\"n_test_cold\":%zu", res->test.n, s->n_test_cold);
    if (l->n == 1) printf(",\"epochs\":%d", ar_model_epochs_done(l->ms[0]));
    printf("}\n");
}

static ar_status run_eval(const cli_command *self, void *opts, const cli_parsed *p) {
    const eval_opts *o = opts;
    if (cli_given(p, "--relevant") && !o->topn.k)
        return cli_usage(self->name, "--relevant sets what --topn counts as relevant: give --topn "
                         "K too");
    ar_status st;
    ar_ratings *test = NULL;
    cli_loaded l = {0};
    eval_result *res = malloc(sizeof *res);
    if (!res) return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    st = cli_load_ratings(o->test, &o->load, 0, &test);
    if (st == AR_OK) st = cli_saved_load(&o->m, test, &l);
    if (st == AR_OK) st = evaluate(o, &l, test, res);
    if (st == AR_OK) {
        ar_dataset_stats s;
        ar_dataset_get_stats(l.dss[0], &s);
        if (o->json) print_json(o, &l, res, &s);
        else print_text(o, &l, res, &s);
    }
    free(res);
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
    {.name = "--topn", .meta = "K", .kind = CLI_INT, .at = offsetof(eval_opts, topn.k), .min = 1,
     .max = 1000000, .flags = CLI_NO_DEFAULT, .setting = "ar_topn_config.k",
     .help = "also rank, for each user with a relevant test rating, every item the user has not "
             "rated in training by the predicted rating (before clamping), and report precision, "
             "recall, NDCG and hit rate of the first K, averaged over those users, for the model "
             "and for the bias baseline (docs/guide.md, \"Top-N metrics\")"},
    {.name = "--relevant", .meta = "R", .kind = CLI_FLOAT, .at = offsetof(eval_opts, topn.relevant),
     .setting = "ar_topn_config.relevant",
     .help = "with --topn: a test rating >= R is relevant; within the model's rating scale"},
};
static const cli_group eval_group = CLI_GROUP("options", eval_options, NULL);

static const cli_use eval_groups[] = {
    {&cli_saved, offsetof(eval_opts, m)},
    {&eval_group, 0},
};

static void eval_defaults(void *opts) {
    eval_opts *o = opts;
    ar_load_options_default(&o->load);
    ar_topn_config_default(&o->topn);
    o->topn.k = 0; /* no ranking unless --topn is given */
}

const cli_command cli_cmd_eval = {
    .name = "eval",
    .summary = "score a saved model (--save) on a test file",
    .usage = "autorec eval --model FILE [--model FILE ...] --test FILE [--format F]\n"
             "                    [--duplicates HOW] [--topn K [--relevant R]] [--device SPEC]\n"
             "                    [--json]",
    .about = "Scores a saved model on a test file by the AutoRec protocol (inputs are the "
             "model's training vectors; predictions clamped to its rating scale; pairs with an "
             "unseen user or item predicted as the middle of the scale). Prints test RMSE and "
             "MAE and the number of ratings; for an ensemble, each member's too; and two "
             "baselines fitted on the (first) model's training ratings and scored alike: the "
             "training mean and a regularised user + item bias model. --topn K adds top-N "
             "ranking metrics.",
    CLI_USES(eval_groups),
    .size = sizeof(eval_opts),
    .defaults = eval_defaults,
    .run = run_eval,
};
