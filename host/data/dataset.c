/* dataset.c - a dataset from its rating lists: the training ratings become CSR in dense
 * indices (csr.c), the held-out sets (test, validation) are mapped to the training ids and
 * checked against it and each other; then the dataset's accessors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"

/* ---- held-out sets -------------------------------------------------------------------------- */

/* The first column that row r of a and b share (both rows' columns ascending, so one merge walk
 * finds it): 1 with its places in *ia and *ib, else 0. */
static int row_shared(const ar_csr *a, const ar_csr *b, int r, int *ia, int *ib) {
    int i = a->row_ptr[r], ie = a->row_ptr[r + 1];
    for (int j = b->row_ptr[r]; j < b->row_ptr[r + 1]; j++) {
        while (i < ie && a->col_idx[i] < b->col_idx[j]) i++;
        if (i < ie && a->col_idx[i] == b->col_idx[j]) {
            *ia = i;
            *ib = j;
            return 1;
        }
    }
    return 0;
}

/* The held-out rating of src at line `line` (row r, column c) is also the training rating at
 * train_line of train_path (0: not from a file, e.g. a model file's). */
static ar_status leak(const ar_dataset *ds, const ar_ratings *src, const char *what,
                      const char *train_path, int r, int c, int line, int train_line) {
    const char *path = src->path ? src->path : "(ratings)";
    const int same_file = src->path && train_path && !strcmp(src->path, train_path);
    if (same_file && train_line > 0 && line != train_line) /* a random split of one file */
        return ar_fail_duplicate(src->path, ds, r, c, line, train_line);
    char where[4200];
    if (train_line > 0)
        snprintf(where, sizeof where, "a training rating (%s:%d%s)",
                 train_path ? train_path : "(ratings)", train_line,
                 same_file ? ", the same line: the training and test ratings are one file" : "");
    else
        snprintf(where, sizeof where, "one of the training ratings (%s%s)",
                 train_path ? "read from " : "not from a file", train_path ? train_path : "");
    return ar_fail(AR_ERR_PARSE, "%s:%d: the %s rating of user %lld item %lld is also %s; "
                   "held-out ratings must not be trained on", path, line, what,
                   USER_OF(ds, r, c), ITEM_OF(ds, r, c), where);
}

/* Maps a held-out set (test or validation) to the training ids: pairs with a known user and
 * item become CSR (*lines: each entry's line, caller frees), the others' ratings are kept as
 * "cold". A pair that is also a training pair is an error: the model would be scored on data it
 * was trained on. */
static ar_status heldout_build(ar_dataset *ds, const ar_idmap *um, const ar_idmap *im,
                               const int32_t *train_lines, const char *train_path,
                               const ar_ratings *src, const char *what, ar_csr *out,
                               int32_t **lines_out, float **cold, size_t *n_cold,
                               size_t *n_all) {
    int c0 = 0, c1 = ds->n_cols, keep_cold = 1; /* a share keeps its columns' pairs */
    if (ds->share) {
        c0 = ds->share->col[ds->share->index], c1 = ds->share->col[ds->share->index + 1];
        keep_cold = ds->share->index == 0;
    }
    ar_triples t = {0};
    int32_t *lines = NULL;
    ar_status st = AR_OK;
    size_t n = src ? src->n : 0;
    *n_all = n;
    *n_cold = 0;
    *cold = malloc((n ? n : 1) * sizeof **cold);
    if (!*cold) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    AR_TRY(ar_triples_alloc(&t, n));
    for (size_t k = 0; k < n; k++) {
        int i = ar_idmap_get(im, ROW_KEY(ds, src)[k]), u = ar_idmap_get(um, COL_KEY(ds, src)[k]);
        if (i < 0 || u < 0) {
            if (keep_cold) (*cold)[(*n_cold)++] = src->rating[k];
            continue;
        }
        if (u < c0 || u >= c1) continue;
        t.row[t.n] = i;
        t.col[t.n] = u;
        t.val[t.n] = src->rating[k];
        t.line[t.n] = src->line[k];
        t.n++;
    }
    AR_TRY(ar_csr_build(out, &lines, ds->n_rows, ds->n_cols, &t, src ? src->path : NULL, ds));
    for (int r = 0; r < ds->n_rows; r++) {
        int a, b;
        if (!row_shared(&ds->train, out, r, &a, &b)) continue;
        st = leak(ds, src, what, train_path, r, out->col_idx[b], lines[b], train_lines[a]);
        goto cleanup;
    }
cleanup:
    *lines_out = lines;
    ar_triples_free(&t);
    return st;
}

/* A pair held out twice, within one set or across the two, would be scored twice. Pairs with
 * a known user and item are in the CSRs (within a set ar_csr_build checks them; here valid
 * against test); the cold ones are compared by raw id. */
typedef struct { int32_t user, item, line; int set; } raw_pair;

static int cmp_raw_pair(const void *a, const void *b) {
    const raw_pair *x = a, *y = b;
    if (x->user != y->user) return (x->user > y->user) - (x->user < y->user);
    if (x->item != y->item) return (x->item > y->item) - (x->item < y->item);
    return (x->line > y->line) - (x->line < y->line);
}

/* The held-out sets src[0] (test) and src[1] (validation) both hold user-item, at line la of
 * set a and at line lb of set b. Two lines of one file (one set, or the parts of a random split)
 * are a duplicate, which ar_load_options.duplicates resolves when the file is loaded; a pair in
 * two files is named in both. */
static ar_status held_twice(const ar_ratings *const src[2], int a, int la, int b, int lb,
                            long long user, long long item) {
    static const char *const what[2] = {"test", "validation"};
    const char *pa = src[a]->path ? src[a]->path : "(ratings)";
    const char *pb = src[b]->path ? src[b]->path : "(ratings)";
    if (a == b || (src[a]->path && src[b]->path && !strcmp(pa, pb) && la != lb))
        return ar_fail_repeat(src[b]->path, user, item, la, lb);
    return ar_fail(AR_ERR_PARSE, "%s:%d: the %s rating of user %lld item %lld is also a %s "
                   "rating (%s:%d); a pair is held out once", pb, lb, what[b], user, item, what[a],
                   pa, la);
}

static ar_status heldout_overlap(const ar_dataset *ds, const ar_idmap *um, const ar_idmap *im,
                                 const ar_ratings *const src[2], const int32_t *const lines[2]) {
    size_t n_cold = ds->n_cold + ds->n_valid_cold;
    raw_pair *p = malloc((n_cold ? n_cold : 1) * sizeof *p);
    if (!p) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    size_t n = 0;
    for (int s = 0; s < 2 && !(ds->share && ds->share->index); s++) /* cold: shard 0's */
        for (size_t k = 0; src[s] && k < src[s]->n; k++)
            if (ar_idmap_get(im, ROW_KEY(ds, src[s])[k]) < 0 ||
                ar_idmap_get(um, COL_KEY(ds, src[s])[k]) < 0)
                p[n++] = (raw_pair){src[s]->user[k], src[s]->item[k], src[s]->line[k], s};
    qsort(p, n, sizeof *p, cmp_raw_pair);
    ar_status st = AR_OK;
    for (size_t k = 1; k < n && st == AR_OK; k++)
        if (p[k].user == p[k - 1].user && p[k].item == p[k - 1].item)
            st = held_twice(src, p[k - 1].set, p[k - 1].line, p[k].set, p[k].line, p[k].user,
                            p[k].item);
    free(p);
    if (st != AR_OK || !src[0] || !src[1]) return st;
    /* warm pairs: validation against test, row by row */
    for (int r = 0; r < ds->n_rows; r++) {
        int i, j;
        if (row_shared(&ds->test, &ds->valid, r, &i, &j))
            return held_twice(src, 0, lines[0][i], 1, lines[1][j],
                              USER_OF(ds, r, ds->valid.col_idx[j]),
                              ITEM_OF(ds, r, ds->valid.col_idx[j]));
    }
    return AR_OK;
}

/* ---- the dataset ---------------------------------------------------------------------------- */

/* The dataset, whole (sh NULL) or a shard's share of it. */
typedef struct { int n, index; const double *weights; } share_request;

static ar_status build(const ar_ratings *train, const ar_ratings *valid, const ar_ratings *test,
                       ar_rows rows, const share_request *sh, ar_dataset **out) {
    *out = NULL;
    if (!train || train->n == 0)
        return ar_fail(AR_ERR_INVALID_ARG, "the training set has no ratings");
    if (rows != AR_ROWS_ITEMS && rows != AR_ROWS_USERS)
        return ar_fail(AR_ERR_INVALID_ARG, "unknown row kind %d", (int)rows);
    if (train->n > (size_t)AR_MAX_ID)
        return ar_fail(AR_ERR_INVALID_ARG, "%zu training ratings: at most %lld are supported",
                       train->n, AR_MAX_ID);
    ar_status st = AR_OK;
    ar_dataset *ds = calloc(1, sizeof *ds);
    ar_idmap um = {0}, im = {0};
    ar_triples t = {0};
    int32_t *train_lines = NULL, *lines[2] = {NULL, NULL}; /* test's and validation's */
    if (!ds) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    ds->rows_are = rows;
    if (train->path && !(ds->train_path = strdup(train->path))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto cleanup;
    }
    AR_TRY(ar_idmap_build(&um, COL_KEY(ds, train), train->n));
    ds->col_ids = um.ids;
    AR_TRY(ar_idmap_build(&im, ROW_KEY(ds, train), train->n));
    ds->row_ids = im.ids;
    ds->n_cols = um.n;
    ds->n_rows = im.n;
    int c0 = 0, c1 = ds->n_cols; /* the columns kept */
    if (sh) {
        AR_TRY(ar_share_plan(ds, train, &um, &im, sh->n, sh->weights, sh->index));
        c0 = ds->share->col[sh->index], c1 = ds->share->col[sh->index + 1];
    }
    AR_TRY(ar_triples_alloc(&t, sh ? ds->share->n_train[sh->index] : train->n));
    double sum = 0;
    ds->rating_min = ds->rating_max = train->rating[0];
    for (size_t k = 0; k < train->n; k++) {
        float v = train->rating[k];
        sum += v;
        if (v < ds->rating_min) ds->rating_min = v;
        if (v > ds->rating_max) ds->rating_max = v;
        const int c = ar_idmap_get(&um, COL_KEY(ds, train)[k]);
        if (c < c0 || c >= c1) continue;
        t.row[t.n] = ar_idmap_get(&im, ROW_KEY(ds, train)[k]);
        t.col[t.n] = c;
        t.val[t.n] = v;
        t.line[t.n] = train->line[k];
        t.n++;
    }
    ds->train_mean = sum / (double)train->n;
    AR_TRY(ar_csr_build(&ds->train, &train_lines, ds->n_rows, ds->n_cols, &t, train->path, ds));
    ar_triples_free(&t);
    AR_TRY(heldout_build(ds, &um, &im, train_lines, train->path, test, "test", &ds->test,
                         &lines[0], &ds->cold, &ds->n_cold, &ds->n_test_all));
    AR_TRY(heldout_build(ds, &um, &im, train_lines, train->path, valid, "validation",
                         &ds->valid, &lines[1], &ds->valid_cold, &ds->n_valid_cold,
                         &ds->n_valid_all));
    const ar_ratings *const held[2] = {test, valid};
    AR_TRY(heldout_overlap(ds, &um, &im, held, (const int32_t *const *)lines));
cleanup:
    free(train_lines);
    free(lines[0]);
    free(lines[1]);
    ar_triples_free(&t);
    free(um.table);
    free(im.table);
    if (!ds->col_ids) free(um.ids);
    if (!ds->row_ids) free(im.ids);
    if (st != AR_OK) ar_dataset_free(ds); /* frees the ids the maps handed over */
    else *out = ds;
    return st;
}

ar_status ar_dataset_create_ex(const ar_ratings *train, const ar_ratings *valid,
                               const ar_ratings *test, ar_rows rows, ar_dataset **out) {
    return build(train, valid, test, rows, NULL, out);
}

ar_status ar_dataset_create_share(const ar_ratings *train, const ar_ratings *valid,
                                  const ar_ratings *test, ar_rows rows, int n,
                                  const double *weights, int shard, ar_dataset **out) {
    *out = NULL;
    if (n < 1 || n > AR_MAX_SHARDS || shard < 0 || shard >= n)
        return ar_fail(AR_ERR_INVALID_ARG, "shard %d of %d: a dataset is shared among 1..%d "
                       "shards", shard, n, AR_MAX_SHARDS);
    share_request sh = {n, shard, weights};
    return build(train, valid, test, rows, &sh, out);
}

ar_status ar_dataset_create(const ar_ratings *train, const ar_ratings *test, ar_dataset **out) {
    return ar_dataset_create_ex(train, NULL, test, AR_ROWS_ITEMS, out);
}

void ar_dataset_free(ar_dataset *ds) {
    if (!ds) return;
    free(ds->col_ids);
    free(ds->row_ids);
    free(ds->train_path);
    ar_csr_free(&ds->train);
    ar_csr_free(&ds->test);
    ar_csr_free(&ds->valid);
    free(ds->cold);
    free(ds->valid_cold);
    ar_share_free(ds->share);
    free(ds);
}

void ar_dataset_get_stats(const ar_dataset *ds, ar_dataset_stats *o) {
    const int by_user = ds->rows_are == AR_ROWS_USERS;
    o->rows_are = ds->rows_are;
    o->n_users = by_user ? ds->n_rows : ds->n_cols;
    o->n_items = by_user ? ds->n_cols : ds->n_rows;
    o->n_train = ar_dataset_n_train(ds);
    o->n_test = ds->n_test_all;
    o->n_test_cold = ds->n_cold;
    o->n_valid = ds->n_valid_all;
    o->n_valid_cold = ds->n_valid_cold;
    o->rating_min = ds->rating_min;
    o->rating_max = ds->rating_max;
    o->train_mean = ds->train_mean;
}

double ar_dataset_mean_baseline_rmse(const ar_dataset *ds) {
    if (ds->share) return NAN; /* a share's test ratings are a part: ar_sharded_baselines */
    double sse = 0;
    size_t n = 0;
    for (int k = 0; k < ds->test.row_ptr[ds->n_rows]; k++, n++)
        sse += (ds->test.vals[k] - ds->train_mean) * (ds->test.vals[k] - ds->train_mean);
    for (size_t k = 0; k < ds->n_cold; k++, n++)
        sse += (ds->cold[k] - ds->train_mean) * (ds->cold[k] - ds->train_mean);
    return n ? sqrt(sse / (double)n) : NAN;
}
