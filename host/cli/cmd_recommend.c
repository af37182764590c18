/* cmd_recommend.c - `autorec recommend`: a user's top-N items by the predicted rating of saved
 * models (or their ensemble's mean), among the items the user has not rated in the (first)
 * model's training data, with titles when the dataset has them. */
#include <stddef.h>
#include <stdlib.h>

#include "cli.h"

typedef struct {
    cli_saved_opts m;
    int64_t user;            /* --user ID */
    int n;                   /* -n N */
    const char *titles;      /* --titles FILE */
    int json;                /* --json */
} recommend_opts;

typedef struct {
    int64_t item;
    float score;
} scored;

static int by_score(const void *a, const void *b) {
    const scored *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->item > y->item) - (x->item < y->item); /* ties: the smaller id first */
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts ids[0..n) and drops repeats; returns how many distinct ids remain. */
static size_t sort_unique(int64_t *ids, size_t n) {
    if (n == 0) return 0;
    qsort(ids, n, sizeof *ids, cmp_i64);
    size_t w = 1;
    for (size_t k = 1; k < n; k++)
        if (ids[k] != ids[w - 1]) ids[w++] = ids[k];
    return w;
}

/* The items of the training ratings tr that user has not rated, in id order, into *items (caller
 * frees; *n of them); *n_rated gets how many the user rated (0 is an error: no profile). Sorted
 * id lists, not an array indexed by id: ids go up to 2^31 and a model file may hold any of them. */
static ar_status unrated_items(const ar_ratings *tr, int64_t user, int64_t **items, size_t *n,
                               size_t *n_rated) {
    const size_t count = ar_ratings_count(tr);
    int64_t *all = malloc((count ? count : 1) * sizeof *all);
    int64_t *rated = malloc((count ? count : 1) * sizeof *rated);
    *items = all;
    *n = *n_rated = 0;
    if (!all || !rated) {
        free(rated);
        return cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    }
    for (size_t k = 0; k < count; k++) {
        int64_t u, it;
        ar_ratings_get(tr, k, &u, &it, NULL);
        all[k] = it;
        if (u == user) rated[(*n_rated)++] = it;
    }
    if (*n_rated == 0) {
        free(rated);
        return cli_fail(AR_ERR_INVALID_ARG, "user %lld has no rating in the model's training "
                        "data: nothing to recommend from", (long long)user);
    }
    size_t n_all = sort_unique(all, count), n_rt = sort_unique(rated, *n_rated), r = 0;
    for (size_t k = 0; k < n_all; k++) { /* all minus rated, both sorted */
        while (r < n_rt && rated[r] < all[k]) r++;
        if (r == n_rt || rated[r] != all[k]) all[(*n)++] = all[k];
    }
    free(rated);
    return AR_OK;
}

/* The items scored for user and sorted, best first, into *out (caller frees). */
static ar_status rank(const cli_loaded *l, int64_t user, const int64_t *items, size_t n,
                      scored **out) {
    int64_t *users = malloc((n ? n : 1) * sizeof *users);
    float *pred = malloc((n ? n : 1) * sizeof *pred);
    *out = malloc((n ? n : 1) * sizeof **out);
    ar_status st = users && pred && *out ? AR_OK
                                         : cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (size_t k = 0; st == AR_OK && k < n; k++) users[k] = user;
    if (st == AR_OK) st = ar_ensemble_predict(l->ms, l->n, users, items, n, pred, NULL);
    for (size_t k = 0; st == AR_OK && k < n; k++) (*out)[k] = (scored){items[k], pred[k]};
    if (st == AR_OK) qsort(*out, n, sizeof **out, by_score);
    free(users);
    free(pred);
    return st;
}

/* --titles FILE (an error when unreadable), else the titles next to the model's training
 * file (a warning when unreadable); *titles stays NULL without. */
static ar_status find_titles(const recommend_opts *o, const cli_loaded *l, ar_titles **titles) {
    char path[4096] = "";
    *titles = NULL;
    if (o->titles) snprintf(path, sizeof path, "%s", o->titles);
    else if (ar_checkpoint_source(l->cks[0])[0])
        ar_titles_find(ar_checkpoint_source(l->cks[0]), path, sizeof path);
    if (!path[0] || ar_titles_load(path, titles) == AR_OK) return AR_OK;
    *titles = NULL;
    if (o->titles) return AR_ERR_PARSE;
    fprintf(stderr, "autorec: warning: titles not read: %s\n", ar_last_error());
    return AR_OK;
}

static void print_top(const recommend_opts *o, const scored *sc, size_t n_items, size_t n_rated,
                      const ar_titles *titles) {
    size_t top = n_items < (size_t)o->n ? n_items : (size_t)o->n;
    if (!o->json)
        printf("top %zu of %zu items user %lld has not rated (%zu rated):\n", top, n_items,
               (long long)o->user, n_rated);
    for (size_t k = 0; k < top; k++) {
        const char *t = titles ? ar_titles_get(titles, sc[k].item) : NULL;
        if (!o->json) {
            printf("%3zu  item %-8lld %.3f  %s\n", k + 1, (long long)sc[k].item,
                   (double)sc[k].score, t ? t : "");
            continue;
        }
        printf("{\"rank\":%zu,\"user\":%lld,\"item\":%lld", k + 1, (long long)o->user,
               (long long)sc[k].item);
        cli_json_number(stdout, "prediction", sc[k].score);
        if (t) {
            printf(",\"title\":");
            cli_json_string(stdout, t);
        }
        printf("}\n");
    }
}

static ar_status run_recommend(const cli_command *self, void *opts, const cli_parsed *p) {
    (void)self, (void)p; /* what it needs is in the options */
    const recommend_opts *o = opts;
    ar_status st;
    cli_loaded l = {0};
    int64_t *items = NULL;
    size_t n_items = 0, n_rated = 0;
    scored *sc = NULL;
    ar_titles *titles = NULL;
    st = cli_saved_load(&o->m, NULL, &l);
    if (st == AR_OK)
        st = unrated_items(ar_checkpoint_train(l.cks[0]), o->user, &items, &n_items, &n_rated);
    if (st == AR_OK) st = rank(&l, o->user, items, n_items, &sc);
    if (st == AR_OK) st = find_titles(o, &l, &titles);
    if (st == AR_OK) print_top(o, sc, n_items, n_rated, titles);
    ar_titles_free(titles);
    free(items);
    free(sc);
    cli_saved_free(&l);
    return st;
}

static const cli_option recommend_options[] = {
    {.name = "--user", .meta = "ID", .kind = CLI_I64, .at = offsetof(recommend_opts, user),
     .min = 0, .max = 2147483647, .flags = CLI_REQUIRED | CLI_NO_DEFAULT,
     .help = "the user to recommend to"},
    {.name = "-n", .meta = "N", .kind = CLI_INT, .at = offsetof(recommend_opts, n), .min = 1,
     .max = 1000000, .help = "how many items to list"},
    {.name = "--titles", .meta = "FILE", .kind = CLI_STRING,
     .at = offsetof(recommend_opts, titles),
     .help = "item titles (u.item, movies.dat or movies.csv); by default the one next to the "
             "model's training file, if any"},
    {.name = "--json", .kind = CLI_FLAG, .at = offsetof(recommend_opts, json),
     .help = "one JSON object per item"},
};
static const cli_group recommend_group = CLI_GROUP("options", recommend_options, NULL);

static const cli_use recommend_groups[] = {
    {&cli_saved, offsetof(recommend_opts, m)},
    {&recommend_group, 0},
};

static void recommend_defaults(void *opts) { ((recommend_opts *)opts)->n = 10; }

const cli_command cli_cmd_recommend = {
    .name = "recommend",
    .summary = "list a user's top-N unrated items by a saved model, with titles",
    .usage = "autorec recommend --model FILE [--model FILE ...] --user ID [-n N] [--titles FILE]\n"
             "                         [--device SPEC] [--json]",
    .about = "Lists the N items with the highest predicted rating among those the user has not "
             "rated in the (first) model's training data, with titles when the dataset has them "
             "(u.item, movies.dat or movies.csv next to the training file, or --titles FILE).",
    CLI_USES(recommend_groups),
    .size = sizeof(recommend_opts),
    .defaults = recommend_defaults,
    .run = run_recommend,
};
