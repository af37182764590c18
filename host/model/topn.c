/* topn.c - top-N ranking metrics (the definitions: include/autorec.h, "Top-N ranking metrics";
 * the protocol: docs/guide.md#top-n-metrics). One function scores given rankings
 * (ar_topn_metrics); the others make the rankings on a dataset's test ratings, a batch of users
 * at a time, from a model's or an ensemble's predictions or from the bias baseline's, and score
 * them the same way. */
#include <math.h>
#include <stdlib.h>

#include "internal.h"

/* Candidate pairs predicted per batch of users (ar_ensemble_predict's arrays: 20 bytes each). */
enum { TOPN_BATCH_PAIRS = 1 << 22 };

void ar_topn_config_default(ar_topn_config *c) {
    c->k = 10;
    c->relevant = 4.0f;
}

typedef struct {
    int64_t item;
    float score;
    int relevant;
} candidate;

/* Highest score first; ties: the smaller item id first. */
static int by_rank(const void *a, const void *b) {
    const candidate *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? 1 : -1;
    return (x->item > y->item) - (x->item < y->item);
}

/* Sums over the users counted, before the means. */
typedef struct {
    double precision, recall, ndcg, hit;
    size_t users, relevant;
} topn_sums;

/* One user's n candidates (sorted here): its figures added to s when it has a relevant one. */
static void add_user(candidate *c, size_t n, int k, topn_sums *s) {
    size_t rel = 0, hits = 0;
    for (size_t i = 0; i < n; i++) rel += c[i].relevant != 0;
    if (rel == 0) return;
    qsort(c, n, sizeof *c, by_rank);
    const size_t top = n < (size_t)k ? n : (size_t)k;
    const size_t ideal = rel < (size_t)k ? rel : (size_t)k;
    double dcg = 0, idcg = 0;
    for (size_t p = 0; p < top; p++) /* rank p + 1: discount 1 / log2(p + 2) */
        if (c[p].relevant) hits++, dcg += 1.0 / log2((double)p + 2.0);
    for (size_t p = 0; p < ideal; p++) idcg += 1.0 / log2((double)p + 2.0);
    s->precision += (double)hits / k;
    s->recall += (double)hits / (double)rel;
    s->ndcg += dcg / idcg;
    s->hit += hits > 0;
    s->users++;
    s->relevant += rel;
}

/* Adds the users of a batch given as arrays (see ar_topn_metrics); c: room for the largest
 * user's candidates. */
static ar_status add_users(const size_t *user_ptr, size_t n_users, const int64_t *items,
                           const float *scores, const unsigned char *relevant, int k,
                           candidate *c, topn_sums *s) {
    for (size_t u = 0; u < n_users; u++) {
        const size_t n = user_ptr[u + 1] - user_ptr[u];
        for (size_t i = 0; i < n; i++) {
            const size_t at = user_ptr[u] + i;
            if (!isfinite(scores[at]))
                return ar_fail(AR_ERR_INVALID_ARG, "top-N metrics: the score of item %lld "
                               "(candidate %zu) is not finite", (long long)items[at], at);
            c[i] = (candidate){items[at], scores[at], relevant[at]};
        }
        add_user(c, n, k, s);
    }
    return AR_OK;
}

static void topn_means(const topn_sums *s, ar_topn *out) {
    const double n = s->users ? (double)s->users : NAN;
    *out = (ar_topn){.precision = s->precision / n, .recall = s->recall / n,
                     .ndcg = s->ndcg / n, .hit_rate = s->hit / n, .users = s->users,
                     .relevant = s->relevant};
}

static ar_status check_k(int k) {
    return k >= 1 ? AR_OK : ar_fail(AR_ERR_INVALID_ARG, "ar_topn_config.k must be at least 1, "
                                    "got %d", k);
}

ar_status ar_topn_metrics(const size_t *user_ptr, size_t n_users, const int64_t *items,
                          const float *scores, const unsigned char *relevant, int k,
                          ar_topn *out) {
    ar_status st = check_k(k);
    if (st != AR_OK) return st;
    size_t most = 1;
    for (size_t u = 0; u < n_users; u++)
        if (user_ptr[u + 1] - user_ptr[u] > most) most = user_ptr[u + 1] - user_ptr[u];
    candidate *c = malloc(most * sizeof *c);
    if (!c) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory ranking %zu items", most);
    topn_sums s = {0};
    st = add_users(user_ptr, n_users, items, scores, relevant, k, c, &s);
    free(c);
    if (st == AR_OK) topn_means(&s, out);
    return st;
}

/* ---- rankings from a model ------------------------------------------------------------------ */

/* t = the transpose of a (rows and columns swapped), each row's columns ascending. */
static ar_status transpose(const ar_csr *a, ar_csr *t) {
    const int nnz = a->row_ptr[a->rows];
    *t = (ar_csr){.rows = a->cols, .cols = a->rows};
    t->row_ptr = calloc((size_t)a->cols + 1, sizeof *t->row_ptr);
    t->col_idx = malloc((nnz ? (size_t)nnz : 1) * sizeof *t->col_idx);
    t->vals = malloc((nnz ? (size_t)nnz : 1) * sizeof *t->vals);
    if (!t->row_ptr || !t->col_idx || !t->vals)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    for (int k = 0; k < nnz; k++) t->row_ptr[a->col_idx[k] + 1]++;
    for (int c = 0; c < a->cols; c++) t->row_ptr[c + 1] += t->row_ptr[c];
    int *next = t->row_ptr; /* filled in row order, then shifted back */
    for (int r = 0; r < a->rows; r++)
        for (int k = a->row_ptr[r]; k < a->row_ptr[r + 1]; k++) {
            int at = next[a->col_idx[k]]++;
            t->col_idx[at] = r;
            t->vals[at] = a->vals[k];
        }
    for (int c = a->cols; c > 0; c--) t->row_ptr[c] = t->row_ptr[c - 1];
    t->row_ptr[0] = 0;
    return AR_OK;
}

/* The dataset by user: training and test ratings with users as rows, items as columns. */
typedef struct {
    ar_csr train, test;        /* (users, items) */
    const int64_t *user_ids, *item_ids;
    int own;                   /* the CSRs are transposes made here (freed) */
} by_user;

static ar_status by_user_make(const ar_dataset *ds, by_user *v) {
    *v = (by_user){.train = ds->train, .test = ds->test, .user_ids = ds->row_ids,
                   .item_ids = ds->col_ids};
    if (ds->rows_are == AR_ROWS_USERS) return AR_OK;
    v->user_ids = ds->col_ids;
    v->item_ids = ds->row_ids;
    v->own = 1;
    v->train = v->test = (ar_csr){0};
    ar_status st = transpose(&ds->train, &v->train);
    return st == AR_OK ? transpose(&ds->test, &v->test) : st;
}

static void by_user_free(by_user *v) {
    if (!v->own) return;
    ar_csr_free(&v->train);
    ar_csr_free(&v->test);
}

/* A batch of users' candidate pairs as ar_ensemble_predict takes them, and their rankings. */
typedef struct {
    size_t cap, n, n_users;
    size_t *ptr;               /* (users + 1) */
    int64_t *users, *items;    /* (cap) raw ids */
    int *du, *di;              /* (cap) the same as indexes into the by_user CSRs */
    float *scores;             /* (cap) */
    unsigned char *relevant;   /* (cap) */
    candidate *c;              /* (items) */
} pairs;

/* Adds user u's candidates (the items it has not rated in training, ascending), when one of its
 * test ratings is relevant; 0 when the batch has no room left for them. */
static int pairs_add_user(pairs *p, const by_user *v, int u, float relevant) {
    const ar_csr *tr = &v->train, *te = &v->test;
    int any = 0;
    for (int k = te->row_ptr[u]; k < te->row_ptr[u + 1]; k++) any |= te->vals[k] >= relevant;
    if (!any) return 1;
    if (p->n + (size_t)tr->cols > p->cap && p->n_users > 0) return 0;
    int a = tr->row_ptr[u], b = te->row_ptr[u];
    for (int i = 0; i < tr->cols; i++) {
        while (a < tr->row_ptr[u + 1] && tr->col_idx[a] < i) a++;
        while (b < te->row_ptr[u + 1] && te->col_idx[b] < i) b++;
        if (a < tr->row_ptr[u + 1] && tr->col_idx[a] == i) continue; /* rated in training */
        p->users[p->n] = v->user_ids[u];
        p->items[p->n] = v->item_ids[i];
        p->du[p->n] = u;
        p->di[p->n] = i;
        p->relevant[p->n++] = b < te->row_ptr[u + 1] && te->col_idx[b] == i &&
                              te->vals[b] >= relevant;
    }
    p->ptr[++p->n_users] = p->n;
    return 1;
}

static ar_status pairs_alloc(pairs *p, const by_user *v) {
    const size_t items = (size_t)v->train.cols;
    p->cap = items > TOPN_BATCH_PAIRS ? items : TOPN_BATCH_PAIRS;
    p->ptr = malloc(((size_t)v->train.rows + 1) * sizeof *p->ptr);
    p->users = malloc(p->cap * sizeof *p->users);
    p->items = malloc(p->cap * sizeof *p->items);
    p->du = malloc(p->cap * sizeof *p->du);
    p->di = malloc(p->cap * sizeof *p->di);
    p->scores = malloc(p->cap * sizeof *p->scores);
    p->relevant = malloc(p->cap);
    p->c = malloc((items ? items : 1) * sizeof *p->c);
    if (p->ptr && p->users && p->items && p->du && p->di && p->scores && p->relevant && p->c)
        return AR_OK;
    return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for %zu top-N candidates", p->cap);
}

static void pairs_free(pairs *p) {
    free(p->ptr);
    free(p->users);
    free(p->items);
    free(p->du);
    free(p->di);
    free(p->scores);
    free(p->relevant);
    free(p->c);
}

static ar_status check_relevant(const ar_topn_config *c, float lo, float hi, const char *whose) {
    ar_status st = check_k(c->k);
    if (st == AR_OK && !(c->relevant >= lo && c->relevant <= hi))
        st = ar_fail(AR_ERR_INVALID_ARG, "ar_topn_config.relevant %g is outside the %s rating "
                     "scale [%g, %g]", (double)c->relevant, whose, (double)lo, (double)hi);
    return st;
}

/* What scores a batch's pairs (p->scores from p->users / items or p->du / di). */
typedef ar_status (*scorer)(void *arg, pairs *p);

/* The users of ds in batches: candidates, scores, rankings; the means into out. */
static ar_status rank_all(const ar_dataset *ds, const ar_topn_config *c, scorer score,
                          void *arg, ar_topn *out) {
    ar_status st = AR_OK;
    by_user v;
    pairs p = {0};
    topn_sums s = {0};
    AR_TRY(by_user_make(ds, &v));
    AR_TRY(pairs_alloc(&p, &v));
    for (int u = 0; u < v.train.rows;) {
        p.n = p.n_users = 0;
        p.ptr[0] = 0;
        while (u < v.train.rows && pairs_add_user(&p, &v, u, c->relevant)) u++;
        AR_TRY(score(arg, &p));
        AR_TRY(add_users(p.ptr, p.n_users, p.items, p.scores, p.relevant, c->k, p.c, &s));
    }
    topn_means(&s, out);
cleanup:
    pairs_free(&p);
    by_user_free(&v);
    return st;
}

typedef struct {
    ar_model *const *models;
    int n;
} ensemble_arg;

/* Unclamped: clamping would tie every item predicted above the scale, and the tie order (item
 * ids) would rank them. */
static ar_status score_ensemble(void *arg, pairs *p) {
    const ensemble_arg *e = arg;
    return ar_ensemble_scores(e->models, e->n, p->users, p->items, p->n, p->scores, NULL, 0);
}

ar_status ar_ensemble_topn(ar_model *const *models, int n_models, const ar_topn_config *cfg,
                           ar_topn *out) {
    ar_topn_config c;
    if (cfg) c = *cfg;
    else ar_topn_config_default(&c);
    if (n_models < 1 || !models || !models[0])
        return ar_fail(AR_ERR_INVALID_ARG, "top-N metrics need a model, got %d", n_models);
    float lo, hi;
    ar_model_rating_scale(models[0], &lo, &hi, NULL);
    ar_status st = check_relevant(&c, lo, hi, "model's");
    if (st != AR_OK) return st;
    ensemble_arg e = {models, n_models};
    return rank_all(models[0]->ds, &c, score_ensemble, &e, out);
}

/* ---- the bias baseline's rankings ----------------------------------------------------------- */

typedef struct {
    const double *b_user, *b_item; /* indexed like the by_user CSRs' rows and columns */
    double mu;
} bias_arg;

/* Unclamped too; for one user the order is the item biases' (popularity, shrunk). */
static ar_status score_bias(void *arg, pairs *p) {
    const bias_arg *b = arg;
    for (size_t k = 0; k < p->n; k++)
        p->scores[k] = (float)(b->mu + b->b_user[p->du[k]] + b->b_item[p->di[k]]);
    return AR_OK;
}

ar_status ar_dataset_baseline_topn(const ar_dataset *ds, const ar_baseline_config *bcfg,
                                   const ar_topn_config *cfg, ar_topn *out) {
    ar_baseline_config bc;
    ar_topn_config c;
    if (bcfg) bc = *bcfg;
    else ar_baseline_config_default(&bc);
    if (cfg) c = *cfg;
    else ar_topn_config_default(&c);
    float lo, hi, def;
    ar_dataset_scale(ds, bc.rating_min, bc.rating_max, bc.default_rating, &lo, &hi, &def);
    ar_status st = check_relevant(&c, lo, hi, "data's");
    double *b_row = NULL, *b_col = NULL;
    if (st == AR_OK) st = ar_bias_fit(ds, &bc, &b_row, &b_col);
    if (st != AR_OK) return st;
    const int by_user = ds->rows_are == AR_ROWS_USERS;
    bias_arg b = {by_user ? b_row : b_col, by_user ? b_col : b_row, ds->train_mean};
    st = rank_all(ds, &c, score_bias, &b, out);
    free(b_row);
    free(b_col);
    return st;
}
