/* data.c - ratings files, id maps, CSR, splits.
 *
 * Ratings stay sparse from the file to the device: a list of triples, then CSR by item. The
 * dense items x users matrix is never built (ML-10M would be 10,677 x 69,878).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_ID AR_MAX_ID

/* ---- ratings lists -------------------------------------------------------------------------- */

ar_ratings *ar_ratings_new_internal(const char *path) {
    ar_ratings *r = calloc(1, sizeof *r);
    if (r && path && !(r->path = strdup(path))) {
        free(r);
        r = NULL;
    }
    if (!r) ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    return r;
}

ar_status ar_ratings_alloc(ar_ratings *r, size_t n) {
    size_t c = n ? n : 1;
    r->user = malloc(c * sizeof *r->user);
    r->item = malloc(c * sizeof *r->item);
    r->rating = malloc(c * sizeof *r->rating);
    r->line = malloc(c * sizeof *r->line);
    if (!r->user || !r->item || !r->rating || !r->line)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for %zu ratings", n);
    r->cap = n;
    return AR_OK;
}

void ar_ratings_free(ar_ratings *r) {
    if (!r) return;
    free(r->user);
    free(r->item);
    free(r->rating);
    free(r->line);
    free(r->path);
    free(r->first_skip);
    free(r);
}

ar_format ar_ratings_format(const ar_ratings *r) { return r->format; }

size_t ar_ratings_skipped(const ar_ratings *r, const char **first) {
    if (first) *first = r->first_skip;
    return r->skipped;
}

size_t ar_ratings_count(const ar_ratings *r) { return r->n; }

void ar_ratings_get(const ar_ratings *r, size_t i, int64_t *user, int64_t *item, float *rating) {
    if (user) *user = r->user[i];
    if (item) *item = r->item[i];
    if (rating) *rating = r->rating[i];
}

ar_status ar_ratings_from_arrays(const int64_t *users, const int64_t *items, const float *ratings,
                                 size_t n, ar_ratings **out) {
    *out = NULL;
    ar_ratings *r = ar_ratings_new_internal(NULL);
    if (!r) return AR_ERR_OUT_OF_MEMORY;
    ar_status st = ar_ratings_alloc(r, n);
    for (size_t k = 0; st == AR_OK && k < n; k++) {
        if (users[k] < 0 || items[k] < 0 || users[k] > MAX_ID || items[k] > MAX_ID ||
            !isfinite(ratings[k])) {
            st = ar_fail(AR_ERR_INVALID_ARG, "rating %zu: ids must be in 0..%lld and the rating "
                         "finite (user %lld, item %lld)", k, MAX_ID, (long long)users[k],
                         (long long)items[k]);
            break;
        }
        r->user[k] = (int32_t)users[k];
        r->item[k] = (int32_t)items[k];
        r->rating[k] = ratings[k];
        r->line[k] = 0;
        r->n++;
    }
    if (st != AR_OK) ar_ratings_free(r);
    else *out = r;
    return st;
}

ar_status ar_ratings_split(const ar_ratings *all, double test_ratio, uint64_t seed,
                           ar_ratings **train, ar_ratings **test) {
    *train = *test = NULL;
    if (!(test_ratio > 0.0 && test_ratio < 1.0))
        return ar_fail(AR_ERR_INVALID_ARG, "the held-out ratio must be in (0, 1), got %g",
                       test_ratio);
    ar_ratings *tr = ar_ratings_new_internal(all->path), *te = ar_ratings_new_internal(all->path);
    unsigned char *to_test = malloc(all->n ? all->n : 1);
    ar_status st = AR_OK;
    if (!tr || !te || !to_test) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory splitting %zu ratings", all->n);
        goto cleanup;
    }
    /* Decide first, then copy into arrays of the exact size. */
    ar_rng rng = {seed ^ 0x5EEDF00DULL};
    size_t n_test = 0;
    for (size_t k = 0; k < all->n; k++) n_test += to_test[k] = ar_rng_uniform(&rng) < test_ratio;
    AR_TRY(ar_ratings_alloc(tr, all->n - n_test));
    AR_TRY(ar_ratings_alloc(te, n_test));
    tr->format = te->format = all->format;
    for (size_t k = 0; k < all->n; k++) {
        ar_ratings *d = to_test[k] ? te : tr;
        d->user[d->n] = all->user[k];
        d->item[d->n] = all->item[k];
        d->rating[d->n] = all->rating[k];
        d->line[d->n] = all->line[k];
        d->n++;
    }
    if (tr->n == 0 || te->n == 0)
        st = ar_fail(AR_ERR_INVALID_ARG, "holding out %g of %zu ratings leaves an empty %s set",
                     test_ratio, all->n, tr->n == 0 ? "training" : "held-out");
cleanup:
    free(to_test);
    if (st != AR_OK) {
        ar_ratings_free(tr);
        ar_ratings_free(te);
    } else {
        *train = tr;
        *test = te;
    }
    return st;
}

/* Rows are items (I-AutoRec) or users (U-AutoRec); these give a ratings list's row and column
 * ids, and a CSR entry's user and item ids, for either. */
#define ROW_KEY(ds, r) ((ds)->rows_are == AR_ROWS_USERS ? (r)->user : (r)->item)
#define COL_KEY(ds, r) ((ds)->rows_are == AR_ROWS_USERS ? (r)->item : (r)->user)
#define USER_OF(ds, row, col) \
    (long long)((ds)->rows_are == AR_ROWS_USERS ? (ds)->row_ids[row] : (ds)->col_ids[col])
#define ITEM_OF(ds, row, col) \
    (long long)((ds)->rows_are == AR_ROWS_USERS ? (ds)->col_ids[col] : (ds)->row_ids[row])

/* ---- id maps ------------------------------------------------------------------------------- */

/* Raw id -> dense index. Dense indices follow raw id order. MovieLens-like ids are small and
 * dense, so a direct table (O(n), no sort) is used when it costs at most a few bytes per rating;
 * otherwise the sorted distinct ids are searched. */
typedef struct idmap {
    int64_t *ids;             /* (n) sorted distinct raw ids */
    int n;
    int32_t *table;           /* (max + 1) dense index or -1; NULL when searching */
    int32_t max;
} idmap;

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* LSD radix sort of 31-bit keys, 11 bits per pass (3 passes). */
static ar_status radix_sort_u32(uint32_t *a, size_t n) {
    uint32_t *tmp = malloc((n ? n : 1) * sizeof *tmp);
    size_t *cnt = malloc(2048 * sizeof *cnt);
    if (!tmp || !cnt) {
        free(tmp);
        free(cnt);
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory sorting %zu ids", n);
    }
    for (int shift = 0; shift < 33; shift += 11) {
        memset(cnt, 0, 2048 * sizeof *cnt);
        for (size_t k = 0; k < n; k++) cnt[(a[k] >> shift) & 2047]++;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t k = 0; k < n; k++) tmp[cnt[(a[k] >> shift) & 2047]++] = a[k];
        memcpy(a, tmp, n * sizeof *a);
    }
    free(tmp);
    free(cnt);
    return AR_OK;
}

static ar_status idmap_build(idmap *m, const int32_t *ids, size_t n) {
    memset(m, 0, sizeof *m);
    int32_t max = 0;
    for (size_t k = 0; k < n; k++)
        if (ids[k] > max) max = ids[k];
    m->max = max;
    if ((size_t)max <= 4 * n + (1u << 20)) {
        m->table = malloc(((size_t)max + 1) * sizeof *m->table);
        if (!m->table) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for id maps");
        memset(m->table, 0xff, ((size_t)max + 1) * sizeof *m->table);
        for (size_t k = 0; k < n; k++) m->table[ids[k]] = 0;
        int d = 0;
        for (int64_t id = 0; id <= max; id++)
            if (m->table[id] == 0) m->table[id] = d++;
        m->n = d;
        m->ids = malloc((d ? (size_t)d : 1) * sizeof *m->ids);
        if (!m->ids) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for id maps");
        for (int64_t id = 0; id <= max; id++)
            if (m->table[id] >= 0) m->ids[m->table[id]] = id;
        return AR_OK;
    }
    uint32_t *s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for id maps");
    for (size_t k = 0; k < n; k++) s[k] = (uint32_t)ids[k];
    ar_status st = radix_sort_u32(s, n);
    if (st == AR_OK) {
        m->ids = malloc((n ? n : 1) * sizeof *m->ids);
        if (!m->ids) st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for id maps");
    }
    if (st == AR_OK) {
        size_t d = 0;
        for (size_t k = 0; k < n; k++)
            if (d == 0 || m->ids[d - 1] != s[k]) m->ids[d++] = s[k];
        m->n = (int)d;
    }
    free(s);
    return st;
}

static int idmap_get(const idmap *m, int32_t id) {
    if (m->table) return id <= m->max ? m->table[id] : -1;
    int64_t key = id;
    const int64_t *p = bsearch(&key, m->ids, (size_t)m->n, sizeof key, cmp_i64);
    return p ? (int)(p - m->ids) : -1;
}

/* ---- CSR ------------------------------------------------------------------------------------ */

void ar_csr_free(ar_csr *m) {
    free(m->row_ptr);
    free(m->col_idx);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* A rating set in dense indices, before it becomes CSR. */
typedef struct triples {
    int *row, *col;
    float *val;
    int32_t *line;
    size_t n;
} triples;

static void triples_free(triples *t) {
    free(t->row);
    free(t->col);
    free(t->val);
    free(t->line);
    memset(t, 0, sizeof *t);
}

static ar_status triples_alloc(triples *t, size_t n) {
    size_t c = n ? n : 1;
    t->n = 0;
    t->row = malloc(c * sizeof *t->row);
    t->col = malloc(c * sizeof *t->col);
    t->val = malloc(c * sizeof *t->val);
    t->line = malloc(c * sizeof *t->line);
    if (!t->row || !t->col || !t->val || !t->line)
        return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory for %zu ratings", n);
    return AR_OK;
}

/* Builds CSR (rows x cols) from triples with each row's columns ascending, by two stable
 * counting sorts (by column, then by row): O(n), no comparison sort. *lines gets the source
 * line of each CSR entry (caller frees). A repeated (row, col) is an error naming both lines. */
static ar_status csr_build(ar_csr *m, int32_t **lines, int rows, int cols, const triples *t,
                           const char *path, const ar_dataset *ds) {
    ar_status st = AR_OK;
    size_t n = t->n, c = n ? n : 1;
    memset(m, 0, sizeof *m);
    *lines = NULL;
    m->rows = rows;
    m->cols = cols;
    m->row_ptr = calloc((size_t)rows + 1, sizeof *m->row_ptr);
    m->col_idx = malloc(c * sizeof *m->col_idx);
    m->vals = malloc(c * sizeof *m->vals);
    int32_t *ln = malloc(c * sizeof *ln);
    size_t *cnt = calloc((size_t)cols + 1, sizeof *cnt);
    size_t *by_col = malloc(c * sizeof *by_col);
    int *fill = malloc(((size_t)rows + 1) * sizeof *fill); /* next free slot of each row */
    if (!m->row_ptr || !m->col_idx || !m->vals || !ln || !cnt || !by_col || !fill) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory building CSR (%zu ratings)", n);
        goto cleanup;
    }
    for (size_t k = 0; k < n; k++) cnt[t->col[k] + 1]++;
    for (int j = 0; j < cols; j++) cnt[j + 1] += cnt[j];
    for (size_t k = 0; k < n; k++) by_col[cnt[t->col[k]]++] = k;
    for (size_t k = 0; k < n; k++) m->row_ptr[t->row[k] + 1]++;
    for (int r = 0; r < rows; r++) m->row_ptr[r + 1] += m->row_ptr[r];
    for (int r = 0; r < rows; r++) fill[r] = m->row_ptr[r];
    for (size_t j = 0; j < n; j++) {
        size_t k = by_col[j];
        int pos = fill[t->row[k]]++;
        m->col_idx[pos] = t->col[k];
        m->vals[pos] = t->val[k];
        ln[pos] = t->line[k];
    }
    for (int r = 0; r < rows; r++)
        for (int k = m->row_ptr[r] + 1; k < m->row_ptr[r + 1]; k++)
            if (m->col_idx[k] == m->col_idx[k - 1]) {
                int a = ln[k - 1] < ln[k] ? ln[k - 1] : ln[k], b = ln[k - 1] < ln[k] ? ln[k] : ln[k - 1];
                st = ar_fail(AR_ERR_PARSE, "%s:%d: duplicate rating for user %lld item %lld "
                             "(first at line %d)", path ? path : "(ratings)", b,
                             USER_OF(ds, r, m->col_idx[k]), ITEM_OF(ds, r, m->col_idx[k]), a);
                goto cleanup;
            }
cleanup:
    free(cnt);
    free(by_col);
    free(fill);
    if (st != AR_OK) {
        free(ln);
        ar_csr_free(m);
    } else {
        *lines = ln;
    }
    return st;
}

/* Maps a held-out set (test or validation) to the training ids: pairs with a known user and
 * item become CSR, the others' ratings are kept as "cold". A pair that is also a training pair
 * is an error: the model would be scored on data it was trained on. */
static ar_status heldout_build(ar_dataset *ds, const idmap *um, const idmap *im,
                               const int32_t *train_lines, const char *train_path,
                               const ar_ratings *src, const char *what, ar_csr *out,
                               float **cold, size_t *n_cold, size_t *n_all) {
    triples t = {0};
    int32_t *lines = NULL;
    ar_status st = AR_OK;
    size_t n = src ? src->n : 0;
    *n_all = n;
    *n_cold = 0;
    *cold = malloc((n ? n : 1) * sizeof **cold);
    if (!*cold) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    AR_TRY(triples_alloc(&t, n));
    for (size_t k = 0; k < n; k++) {
        int i = idmap_get(im, ROW_KEY(ds, src)[k]), u = idmap_get(um, COL_KEY(ds, src)[k]);
        if (i < 0 || u < 0) {
            (*cold)[(*n_cold)++] = src->rating[k];
            continue;
        }
        t.row[t.n] = i;
        t.col[t.n] = u;
        t.val[t.n] = src->rating[k];
        t.line[t.n] = src->line[k];
        t.n++;
    }
    AR_TRY(csr_build(out, &lines, ds->n_rows, ds->n_cols, &t, src ? src->path : NULL, ds));
    const ar_csr *tr = &ds->train;
    const int same_file = src && src->path && train_path && !strcmp(src->path, train_path);
    for (int r = 0; r < ds->n_rows; r++) {
        int a = tr->row_ptr[r], ae = tr->row_ptr[r + 1];
        for (int b = out->row_ptr[r]; b < out->row_ptr[r + 1]; b++) {
            while (a < ae && tr->col_idx[a] < out->col_idx[b]) a++;
            if (a < ae && tr->col_idx[a] == out->col_idx[b] && same_file) {
                /* a random split of one file: the pair is simply there twice */
                int l1 = lines[b] < train_lines[a] ? lines[b] : train_lines[a];
                int l2 = lines[b] < train_lines[a] ? train_lines[a] : lines[b];
                st = ar_fail(AR_ERR_PARSE, "%s:%d: duplicate rating for user %lld item %lld "
                             "(first at line %d)", src->path, l2,
                             USER_OF(ds, r, out->col_idx[b]), ITEM_OF(ds, r, out->col_idx[b]),
                             l1);
                goto cleanup;
            }
            if (a < ae && tr->col_idx[a] == out->col_idx[b]) {
                st = ar_fail(AR_ERR_PARSE, "%s:%d: the %s rating of user %lld item %lld is also "
                             "a training rating (%s:%d); held-out ratings must not be trained on",
                             src->path ? src->path : "(ratings)", lines[b], what,
                             USER_OF(ds, r, out->col_idx[b]), ITEM_OF(ds, r, out->col_idx[b]),
                             train_path ? train_path : "(ratings)",
                             train_lines[a]);
                goto cleanup;
            }
        }
    }
cleanup:
    free(lines);
    triples_free(&t);
    return st;
}

/* A pair held out twice, within one set or across the two, would be scored twice. Pairs with
 * a known user and item are in the CSRs (within a set csr_build checks them; here valid
 * against test); the cold ones are compared by raw id. */
typedef struct { int32_t user, item, line; int set; } raw_pair;

static int cmp_raw_pair(const void *a, const void *b) {
    const raw_pair *x = a, *y = b;
    if (x->user != y->user) return (x->user > y->user) - (x->user < y->user);
    if (x->item != y->item) return (x->item > y->item) - (x->item < y->item);
    return (x->line > y->line) - (x->line < y->line);
}

static ar_status heldout_overlap(const ar_dataset *ds, const idmap *um, const idmap *im,
                                 const ar_ratings *valid, const ar_ratings *test) {
    const ar_ratings *src[2] = {test, valid};
    static const char *const what[2] = {"test", "validation"};
    size_t n_cold = ds->n_cold + ds->n_valid_cold;
    raw_pair *p = malloc((n_cold ? n_cold : 1) * sizeof *p);
    if (!p) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    size_t n = 0;
    for (int s = 0; s < 2; s++)
        for (size_t k = 0; src[s] && k < src[s]->n; k++)
            if (idmap_get(im, ROW_KEY(ds, src[s])[k]) < 0 ||
                idmap_get(um, COL_KEY(ds, src[s])[k]) < 0)
                p[n++] = (raw_pair){src[s]->user[k], src[s]->item[k], src[s]->line[k], s};
    qsort(p, n, sizeof *p, cmp_raw_pair);
    ar_status st = AR_OK;
    for (size_t k = 1; k < n && st == AR_OK; k++)
        if (p[k].user == p[k - 1].user && p[k].item == p[k - 1].item) {
            const ar_ratings *r = src[p[k].set], *r0 = src[p[k - 1].set];
            st = ar_fail(AR_ERR_PARSE, "%s:%d: duplicate %s rating for user %d item %d (first "
                         "at %s:%d, %s)", r->path ? r->path : "(ratings)", p[k].line,
                         what[p[k].set], p[k].user, p[k].item, r0->path ? r0->path : "(ratings)",
                         p[k - 1].line, what[p[k - 1].set]);
        }
    free(p);
    if (st != AR_OK || !valid || !test) return st;
    /* warm pairs: validation against test, row by row (columns are sorted) */
    const ar_csr *a = &ds->test, *b = &ds->valid;
    for (int r = 0; r < ds->n_rows; r++) {
        int i = a->row_ptr[r], ie = a->row_ptr[r + 1];
        for (int j = b->row_ptr[r]; j < b->row_ptr[r + 1]; j++) {
            while (i < ie && a->col_idx[i] < b->col_idx[j]) i++;
            if (i < ie && a->col_idx[i] == b->col_idx[j])
                return ar_fail(AR_ERR_PARSE, "%s and %s: user %lld item %lld is both a test and "
                               "a validation rating", test->path ? test->path : "(test)",
                               valid->path ? valid->path : "(validation)",
                               USER_OF(ds, r, b->col_idx[j]), ITEM_OF(ds, r, b->col_idx[j]));
        }
    }
    return AR_OK;
}

ar_status ar_dataset_create_ex(const ar_ratings *train, const ar_ratings *valid,
                               const ar_ratings *test, ar_rows rows, ar_dataset **out) {
    *out = NULL;
    if (!train || train->n == 0)
        return ar_fail(AR_ERR_INVALID_ARG, "the training set has no ratings");
    if (rows != AR_ROWS_ITEMS && rows != AR_ROWS_USERS)
        return ar_fail(AR_ERR_INVALID_ARG, "unknown row kind %d", (int)rows);
    if (train->n > (size_t)MAX_ID)
        return ar_fail(AR_ERR_INVALID_ARG, "%zu training ratings: at most %lld are supported",
                       train->n, MAX_ID);
    ar_status st = AR_OK;
    ar_dataset *ds = calloc(1, sizeof *ds);
    idmap um = {0}, im = {0};
    triples t = {0};
    int32_t *train_lines = NULL;
    if (!ds) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    ds->rows_are = rows;
    if (train->path && !(ds->train_path = strdup(train->path))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
        goto cleanup;
    }
    AR_TRY(idmap_build(&um, COL_KEY(ds, train), train->n));
    ds->col_ids = um.ids;
    AR_TRY(idmap_build(&im, ROW_KEY(ds, train), train->n));
    ds->row_ids = im.ids;
    ds->n_cols = um.n;
    ds->n_rows = im.n;
    AR_TRY(triples_alloc(&t, train->n));
    double sum = 0;
    ds->rating_min = ds->rating_max = train->rating[0];
    for (size_t k = 0; k < train->n; k++) {
        float v = train->rating[k];
        t.row[k] = idmap_get(&im, ROW_KEY(ds, train)[k]);
        t.col[k] = idmap_get(&um, COL_KEY(ds, train)[k]);
        t.val[k] = v;
        t.line[k] = train->line[k];
        sum += v;
        if (v < ds->rating_min) ds->rating_min = v;
        if (v > ds->rating_max) ds->rating_max = v;
    }
    t.n = train->n;
    ds->train_mean = sum / (double)train->n;
    AR_TRY(csr_build(&ds->train, &train_lines, ds->n_rows, ds->n_cols, &t, train->path, ds));
    triples_free(&t);
    AR_TRY(heldout_build(ds, &um, &im, train_lines, train->path, test, "test", &ds->test,
                         &ds->cold, &ds->n_cold, &ds->n_test_all));
    AR_TRY(heldout_build(ds, &um, &im, train_lines, train->path, valid, "validation",
                         &ds->valid, &ds->valid_cold, &ds->n_valid_cold, &ds->n_valid_all));
    AR_TRY(heldout_overlap(ds, &um, &im, valid, test));
cleanup:
    free(train_lines);
    triples_free(&t);
    free(um.table);
    free(im.table);
    if (!ds->col_ids) free(um.ids);
    if (!ds->row_ids) free(im.ids);
    if (st != AR_OK) ar_dataset_free(ds); /* frees the ids the maps handed over */
    else *out = ds;
    return st;
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
    free(ds);
}

void ar_dataset_get_stats(const ar_dataset *ds, ar_dataset_stats *o) {
    const int by_user = ds->rows_are == AR_ROWS_USERS;
    o->rows_are = ds->rows_are;
    o->n_users = by_user ? ds->n_rows : ds->n_cols;
    o->n_items = by_user ? ds->n_cols : ds->n_rows;
    o->n_train = (size_t)ds->train.row_ptr[ds->n_rows];
    o->n_test = ds->n_test_all;
    o->n_test_cold = ds->n_cold;
    o->n_valid = ds->n_valid_all;
    o->n_valid_cold = ds->n_valid_cold;
    o->rating_min = ds->rating_min;
    o->rating_max = ds->rating_max;
    o->train_mean = ds->train_mean;
}

double ar_dataset_mean_baseline_rmse(const ar_dataset *ds) {
    double sse = 0;
    size_t n = 0;
    for (int k = 0; k < ds->test.row_ptr[ds->n_rows]; k++, n++)
        sse += (ds->test.vals[k] - ds->train_mean) * (ds->test.vals[k] - ds->train_mean);
    for (size_t k = 0; k < ds->n_cold; k++, n++)
        sse += (ds->cold[k] - ds->train_mean) * (ds->cold[k] - ds->train_mean);
    return n ? sqrt(sse / (double)n) : NAN;
}
