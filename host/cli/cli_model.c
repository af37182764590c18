/* cli_model.c - using saved models: `autorec eval`, `autorec predict`, `autorec recommend`.
 * Each reads the model file (ar_checkpoint_read), rebuilds its dataset from the training
 * ratings stored in it, and recreates the model on a device. Several --model flags make an
 * ensemble: the mean of the models' predictions (ar_ensemble_predict). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ENSEMBLE_HELP                                                                          \
    "\n"                                                                                       \
    "--model may be given several times (up to 64): the models then act as one ensemble whose\n" \
    "prediction is the mean of theirs (e.g. the same settings trained with different seeds).\n"

static const char eval_help[] =
    "usage: autorec eval --model FILE [--model FILE ...] --test FILE [--format F]\n"
    "                    [--device SPEC] [--json]\n"
    "\n"
    "Scores a saved model on a test file by the AutoRec protocol (inputs are the model's\n"
    "training vectors; predictions clamped to its rating scale; pairs with an unseen user or\n"
    "item predicted as the middle of the scale). Prints test RMSE and the number of ratings;\n"
    "for an ensemble, each member's test RMSE too.\n" ENSEMBLE_HELP;

static const char predict_help[] =
    "usage: autorec predict --model FILE [--model FILE ...] --pairs FILE [--device SPEC]\n"
    "\n"
    "Reads 'user item' pairs, one per line (spaces, tabs or a comma; more fields are ignored,\n"
    "so a ratings file works too), and prints 'user item prediction' for each, in order.\n"
    ENSEMBLE_HELP;

static const char recommend_help[] =
    "usage: autorec recommend --model FILE [--model FILE ...] --user ID [-n N] [--titles FILE]\n"
    "                         [--device SPEC] [--json]\n"
    "\n"
    "Lists the N (default 10) items with the highest predicted rating among those the user has\n"
    "not rated in the (first) model's training data, with titles when the dataset has them\n"
    "(u.item, movies.dat or movies.csv next to the training file, or --titles FILE).\n"
    ENSEMBLE_HELP;

enum { MAX_MODELS = 64 };

typedef struct {
    const char *models[MAX_MODELS];
    int n_models;
    const char *test, *pairs, *device, *titles, *format;
    int64_t user;
    int has_user, n, json;
} model_opts;

static int parse(int argc, char **argv, const char *cmd, const char *help, model_opts *o) {
    memset(o, 0, sizeof *o);
    o->n = 10;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--json")) {
            o->json = 1;
            continue;
        }
        char name[64];
        const char *val;
        if (!strcmp(argv[i], "-n")) argv[i] = "--n";
        int rc = cli_option(argc, argv, &i, name, sizeof name, &val, cmd);
        if (rc >= 0) return rc;
        long v;
        uint64_t u;
        if (!strcmp(name, "--model")) {
            if (o->n_models == MAX_MODELS)
                return cli_usage_error(cmd, "at most 64 --model files, got more at '%s'", val);
            o->models[o->n_models++] = val;
        }
        else if (!strcmp(name, "--test") && !strcmp(cmd, "eval")) o->test = val;
        else if (!strcmp(name, "--format") && !strcmp(cmd, "eval")) o->format = val;
        else if (!strcmp(name, "--pairs") && !strcmp(cmd, "predict")) o->pairs = val;
        else if (!strcmp(name, "--titles") && !strcmp(cmd, "recommend")) o->titles = val;
        else if (!strcmp(name, "--device")) o->device = val;
        else if (!strcmp(name, "--user") && !strcmp(cmd, "recommend")) {
            if (!cli_parse_u64(val, &u) || u > 2147483647u)
                return cli_usage_error(cmd, "--user expects a user id (0..2^31-1), got '%s'", val);
            o->user = (int64_t)u;
            o->has_user = 1;
        } else if (!strcmp(name, "--n") && !strcmp(cmd, "recommend")) {
            if (!cli_parse_int(val, 1, 1000000, &v))
                return cli_usage_error(cmd, "-n expects an integer in 1..1000000, got '%s'", val);
            o->n = (int)v;
        } else {
            return cli_usage_error(cmd, "unknown option '%s'", name);
        }
    }
    if (!o->n_models) return cli_usage_error(cmd, "%s", "--model FILE is required");
    if (!strcmp(cmd, "eval") && !o->test) return cli_usage_error(cmd, "%s", "--test FILE is required");
    if (!strcmp(cmd, "predict") && !o->pairs)
        return cli_usage_error(cmd, "%s", "--pairs FILE is required");
    if (!strcmp(cmd, "recommend") && !o->has_user)
        return cli_usage_error(cmd, "%s", "--user ID is required");
    return -1;
}

/* The saved models on one device, each with its dataset (test may be NULL); [0] is the first
 * --model (the only one without an ensemble). */
typedef struct {
    ar_ctx *ctx;
    int n;
    ar_checkpoint *cks[MAX_MODELS];
    ar_dataset *dss[MAX_MODELS];
    ar_model *ms[MAX_MODELS];
} loaded;

static void unload(loaded *l) {
    for (int k = 0; k < l->n; k++) {
        ar_model_free(l->ms[k]);
        ar_dataset_free(l->dss[k]);
        ar_checkpoint_free(l->cks[k]);
    }
    ar_ctx_free(l->ctx);
    memset(l, 0, sizeof *l);
}

static ar_status load_model(const model_opts *o, const ar_ratings *test, loaded *l) {
    memset(l, 0, sizeof *l);
    ar_status st = ar_ctx_create(o->device, &l->ctx);
    for (int k = 0; k < o->n_models && st == AR_OK; k++) {
        l->n = k + 1;
        st = ar_checkpoint_read(o->models[k], &l->cks[k]);
        if (st == AR_OK)
            st = ar_dataset_create_ex(ar_checkpoint_train(l->cks[k]), NULL, test,
                                      ar_checkpoint_rows(l->cks[k]), &l->dss[k]);
        if (st == AR_OK) st = ar_model_create_from(l->ctx, l->dss[k], l->cks[k], NULL, &l->ms[k]);
    }
    if (st != AR_OK) unload(l);
    return st;
}

/* ---- eval ----------------------------------------------------------------------------------- */

/* An ensemble's test RMSE from its averaged predictions at the test pairs, and each member's
 * from its own (the same figure ar_model_evaluate gives, computed on the host). */
static ar_status eval_ensemble(const model_opts *o, const loaded *l, const ar_ratings *test) {
    const size_t n = ar_ratings_count(test);
    int64_t *u = malloc((n ? n : 1) * sizeof *u), *i = malloc((n ? n : 1) * sizeof *i);
    float *r = malloc((n ? n : 1) * sizeof *r), *mean = malloc((n ? n : 1) * sizeof *mean);
    float *each = malloc((n ? n : 1) * (size_t)l->n * sizeof *each);
    double sse[MAX_MODELS + 1] = {0}; /* [k]: member k; [n]: the ensemble */
    ar_status st = AR_OK;
    if (!u || !i || !r || !mean || !each) {
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) ar_ratings_get(test, k, &u[k], &i[k], &r[k]);
    if ((st = ar_ensemble_predict(l->ms, l->n, u, i, n, mean, each)) != AR_OK) goto done;
    for (size_t k = 0; k < n; k++) {
        for (int m = 0; m < l->n; m++) {
            double d = (double)each[(size_t)m * n + k] - r[k];
            sse[m] += d * d;
        }
        double d = (double)mean[k] - r[k];
        sse[l->n] += d * d;
    }
    const double N = n ? (double)n : NAN;
    ar_dataset_stats s;
    ar_dataset_get_stats(l->dss[0], &s);
    if (o->json) {
        printf("{\"models\":[");
        for (int m = 0; m < l->n; m++) {
            if (m) putchar(',');
            cli_json_string(stdout, o->models[m]);
        }
        printf("],\"test\":");
        cli_json_string(stdout, o->test);
        cli_json_number(stdout, "test_rmse", sqrt(sse[l->n] / N));
        printf(",\"member_test_rmse\":[");
        for (int m = 0; m < l->n; m++) printf("%s%.6g", m ? "," : "", sqrt(sse[m] / N));
        printf("],\"member_epochs\":[");
        for (int m = 0; m < l->n; m++) printf("%s%d", m ? "," : "", ar_model_epochs_done(l->ms[m]));
        printf("],\"n_test\":%zu,\"n_test_cold\":%zu}\n", n, s.n_test_cold);
    } else {
        for (int m = 0; m < l->n; m++)
            printf("member %d: test RMSE %.4f, model %s after %d epochs\n", m + 1,
                   sqrt(sse[m] / N), o->models[m], ar_model_epochs_done(l->ms[m]));
        printf("ensemble of %d models: test RMSE %.4f on %zu ratings (%zu with an unseen user "
               "or item in the first model's data)\n", l->n, sqrt(sse[l->n] / N), n,
               s.n_test_cold);
    }
done:
    free(u);
    free(i);
    free(r);
    free(mean);
    free(each);
    return st;
}

int cli_eval(int argc, char **argv) {
    model_opts o;
    int rc = parse(argc, argv, "eval", eval_help, &o);
    if (rc >= 0) return rc;
    ar_load_options lo;
    ar_load_options_default(&lo);
    if (o.format && ar_format_parse(o.format, &lo.format) != AR_OK)
        return cli_usage_error("eval", "--format: %s", ar_last_error());
    ar_ratings *test = NULL;
    loaded l;
    ar_status st = ar_ratings_load_ex(o.test, &lo, &test);
    if (st == AR_OK) st = load_model(&o, test, &l);
    if (st != AR_OK) {
        ar_ratings_free(test);
        return cli_report(st);
    }
    if (l.n > 1) {
        st = eval_ensemble(&o, &l, test);
        unload(&l);
        ar_ratings_free(test);
        return st == AR_OK ? (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL) : cli_report(st);
    }
    double tr = NAN, te = NAN;
    st = ar_model_evaluate(l.ms[0], &tr, &te);
    if (st == AR_OK) {
        ar_dataset_stats s;
        ar_dataset_get_stats(l.dss[0], &s);
        if (o.json) {
            printf("{\"model\":");
            cli_json_string(stdout, o.models[0]);
            printf(",\"test\":");
            cli_json_string(stdout, o.test);
            cli_json_number(stdout, "test_rmse", te);
            cli_json_number(stdout, "train_rmse", tr);
            printf(",\"n_test\":%zu,\"n_test_cold\":%zu,\"epochs\":%d}\n", s.n_test,
                   s.n_test_cold, ar_model_epochs_done(l.ms[0]));
        } else {
            printf("test RMSE %.4f on %zu ratings (%zu with an unseen user or item), train RMSE "
                   "%.4f; model %s after %d epochs\n", te, s.n_test, s.n_test_cold, tr, o.models[0],
                   ar_model_epochs_done(l.ms[0]));
        }
    }
    unload(&l);
    ar_ratings_free(test);
    return st == AR_OK ? (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL) : cli_report(st);
}

/* ---- predict -------------------------------------------------------------------------------- */

/* Reads "user item" pairs; a malformed line is an error naming file:line. */
static ar_status read_pairs(const char *path, int64_t **users, int64_t **items, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return cli_fail(AR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, cnt = 0, room = 1024;
    int64_t *u = malloc(room * sizeof *u), *i = malloc(room * sizeof *i);
    ar_status st = AR_OK;
    int ln = 0;
    while (u && i && getline(&line, &cap, f) >= 0) {
        ln++;
        char *p = line;
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p) continue;
        char *end;
        errno = 0;
        long long a = strtoll(p, &end, 10);
        int ok = end != p && (*end == ' ' || *end == '\t' || *end == ',') && !errno;
        p = end + (ok ? 1 : 0);
        while (ok && (*p == ' ' || *p == '\t')) p++;
        long long b = ok ? strtoll(p, &end, 10) : 0;
        ok = ok && end != p && !errno && a >= 0 && b >= 0 && a <= 2147483647LL && b <= 2147483647LL &&
             (*end == 0 || *end == '\n' || *end == '\r' || *end == ' ' || *end == '\t' || *end == ',');
        if (!ok) {
            st = cli_fail(AR_ERR_PARSE, "%s:%d: expected 'user item' (two ids in 0..2^31-1)",
                          path, ln);
            break;
        }
        if (cnt == room) {
            room *= 2;
            int64_t *nu = realloc(u, room * sizeof *u), *ni = nu ? realloc(i, room * sizeof *i) : NULL;
            if (nu) u = nu;
            if (ni) i = ni;
            if (!nu || !ni) break;
        }
        u[cnt] = a, i[cnt] = b, cnt++;
    }
    if (st == AR_OK && (!u || !i || (cnt == room && ferror(f))))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    else if (st == AR_OK && ferror(f))
        st = cli_fail(AR_ERR_IO, "%s: read error: %s", path, strerror(errno));
    free(line);
    fclose(f);
    if (st != AR_OK) {
        free(u);
        free(i);
        return st;
    }
    *users = u, *items = i, *n = cnt;
    return AR_OK;
}

int cli_predict(int argc, char **argv) {
    model_opts o;
    int rc = parse(argc, argv, "predict", predict_help, &o);
    if (rc >= 0) return rc;
    int64_t *u = NULL, *i = NULL;
    size_t n = 0;
    loaded l = {0};
    float *pred = NULL;
    ar_status st = read_pairs(o.pairs, &u, &i, &n);
    if (st == AR_OK) st = load_model(&o, NULL, &l);
    if (st == AR_OK && !(pred = malloc((n ? n : 1) * sizeof *pred)))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK) st = ar_ensemble_predict(l.ms, l.n, u, i, n, pred, NULL);
    if (st == AR_OK)
        for (size_t k = 0; k < n; k++)
            printf("%lld\t%lld\t%.4f\n", (long long)u[k], (long long)i[k], (double)pred[k]);
    rc = st == AR_OK ? (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL) : cli_report(st);
    unload(&l);
    free(u);
    free(i);
    free(pred);
    return rc;
}

/* ---- recommend ------------------------------------------------------------------------------ */

typedef struct { int64_t item; float score; } scored;

static int by_score(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->item > y->item) - (x->item < y->item); /* ties: the smaller id first */
}

int cli_recommend(int argc, char **argv) {
    model_opts o;
    int rc = parse(argc, argv, "recommend", recommend_help, &o);
    if (rc >= 0) return rc;
    loaded l;
    ar_status st = load_model(&o, NULL, &l);
    if (st != AR_OK) return cli_report(st);
    /* the user's rated items, and every item the model knows */
    const ar_ratings *tr = ar_checkpoint_train(l.cks[0]);
    size_t n = ar_ratings_count(tr), n_items = 0, n_rated = 0;
    int64_t *items = malloc((n ? n : 1) * sizeof *items), *users = NULL;
    scored *sc = NULL;
    float *pred = NULL;
    ar_titles *titles = NULL;
    char *rated = NULL;
    if (!items) {
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        int64_t u, it;
        ar_ratings_get(tr, k, &u, &it, NULL);
        items[k] = it;
        n_rated += u == o.user;
    }
    if (n_rated == 0) {
        st = cli_fail(AR_ERR_INVALID_ARG, "user %lld has no rating in the model's training data: "
                      "nothing to recommend from", (long long)o.user);
        goto done;
    }
    /* distinct items, sorted, then those the user rated marked */
    int64_t max_item = 0;
    for (size_t k = 0; k < n; k++) max_item = items[k] > max_item ? items[k] : max_item;
    rated = calloc((size_t)max_item + 1, 2);
    if (!rated) {
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto done;
    }
    for (size_t k = 0; k < n; k++) rated[items[k] * 2] = 1; /* [2i]: known, [2i+1]: rated */
    for (size_t k = 0; k < n; k++) {
        int64_t u, it;
        ar_ratings_get(tr, k, &u, &it, NULL);
        if (u == o.user) rated[it * 2 + 1] = 1;
    }
    for (int64_t it = 0; it <= max_item; it++)
        if (rated[it * 2] && !rated[it * 2 + 1]) items[n_items++] = it;
    users = malloc((n_items ? n_items : 1) * sizeof *users);
    pred = malloc((n_items ? n_items : 1) * sizeof *pred);
    sc = malloc((n_items ? n_items : 1) * sizeof *sc);
    if (!users || !pred || !sc) {
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto done;
    }
    for (size_t k = 0; k < n_items; k++) users[k] = o.user;
    st = ar_ensemble_predict(l.ms, l.n, users, items, n_items, pred, NULL);
    if (st != AR_OK) goto done;
    for (size_t k = 0; k < n_items; k++) sc[k] = (scored){items[k], pred[k]};
    qsort(sc, n_items, sizeof *sc, by_score);
    char tpath[4096] = "";
    if (o.titles) snprintf(tpath, sizeof tpath, "%s", o.titles);
    else if (ar_checkpoint_source(l.cks[0])[0])
        ar_titles_find(ar_checkpoint_source(l.cks[0]), tpath, sizeof tpath);
    if (tpath[0] && ar_titles_load(tpath, &titles) != AR_OK) {
        if (o.titles) {
            st = AR_ERR_PARSE;
            goto done;
        }
        fprintf(stderr, "autorec: warning: titles not read: %s\n", ar_last_error());
        titles = NULL;
    }
    size_t top = n_items < (size_t)o.n ? n_items : (size_t)o.n;
    if (!o.json)
        printf("top %zu of %zu items user %lld has not rated (%zu rated):\n", top, n_items,
               (long long)o.user, n_rated);
    for (size_t k = 0; k < top; k++) {
        const char *t = titles ? ar_titles_get(titles, sc[k].item) : NULL;
        if (o.json) {
            printf("{\"rank\":%zu,\"user\":%lld,\"item\":%lld", k + 1, (long long)o.user,
                   (long long)sc[k].item);
            cli_json_number(stdout, "prediction", sc[k].score);
            if (t) {
                printf(",\"title\":");
                cli_json_string(stdout, t);
            }
            printf("}\n");
        } else {
            printf("%3zu  item %-8lld %.3f  %s\n", k + 1, (long long)sc[k].item,
                   (double)sc[k].score, t ? t : "");
        }
    }
done:
    rc = st == AR_OK ? (fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL) : cli_report(st);
    ar_titles_free(titles);
    free(rated);
    free(items);
    free(users);
    free(pred);
    free(sc);
    unload(&l);
    return rc;
}
