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

/* ---- ratings lists -------------------------------------------------------------------------- */

static ar_ratings *ratings_new(const char *path) {
    ar_ratings *r = calloc(1, sizeof *r);
    if (r && path && !(r->path = strdup(path))) {
        free(r);
        r = NULL;
    }
    if (!r) ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    return r;
}

static ar_status ratings_push(ar_ratings *r, int64_t u, int64_t i, float v, int line) {
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 1024;
        int64_t *nu = realloc(r->user, cap * sizeof *nu);
        if (nu) r->user = nu;
        int64_t *ni = realloc(r->item, cap * sizeof *ni);
        if (ni) r->item = ni;
        float *nv = realloc(r->rating, cap * sizeof *nv);
        if (nv) r->rating = nv;
        int *nl = realloc(r->line, cap * sizeof *nl);
        if (nl) r->line = nl;
        if (!nu || !ni || !nv || !nl)
            return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory reading %zu ratings", cap);
        r->cap = cap;
    }
    r->user[r->n] = u;
    r->item[r->n] = i;
    r->rating[r->n] = v;
    r->line[r->n] = line;
    r->n++;
    return AR_OK;
}

void ar_ratings_free(ar_ratings *r) {
    if (!r) return;
    free(r->user);
    free(r->item);
    free(r->rating);
    free(r->line);
    free(r->path);
    free(r);
}

size_t ar_ratings_count(const ar_ratings *r) { return r->n; }

void ar_ratings_get(const ar_ratings *r, size_t i, int64_t *user, int64_t *item, float *rating) {
    if (user) *user = r->user[i];
    if (item) *item = r->item[i];
    if (rating) *rating = r->rating[i];
}

ar_status ar_ratings_from_arrays(const int64_t *users, const int64_t *items, const float *ratings,
                                 size_t n, ar_ratings **out) {
    ar_ratings *r = ratings_new(NULL);
    if (!r) return AR_ERR_OUT_OF_MEMORY;
    for (size_t k = 0; k < n; k++) {
        if (users[k] < 0 || items[k] < 0 || !isfinite(ratings[k])) {
            ar_ratings_free(r);
            return ar_fail(AR_ERR_INVALID_ARG, "rating %zu: ids must be >= 0 and the rating "
                           "finite (user %lld, item %lld)", k, (long long)users[k],
                           (long long)items[k]);
        }
        ar_status st = ratings_push(r, users[k], items[k], ratings[k], 0);
        if (st != AR_OK) {
            ar_ratings_free(r);
            return st;
        }
    }
    *out = r;
    return AR_OK;
}

/* ---- parsing -------------------------------------------------------------------------------- */

#define MAX_ID 2147483647LL /* dense indices and CSR offsets are 32-bit on the device */

static int parse_id(const char *s, int64_t *out) {
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno || v > MAX_ID) return 0;
    *out = v;
    return 1;
}

static int parse_rating(const char *s, float *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v) || fabs(v) > 1e30) return 0;
    *out = (float)v;
    return 1;
}

ar_status ar_ratings_load(const char *path, ar_ratings **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return ar_fail(AR_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    ar_ratings *r = ratings_new(path);
    if (!r) {
        fclose(f);
        return AR_ERR_OUT_OF_MEMORY;
    }
    ar_status st = AR_OK;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        line++;
        if ((size_t)len != strlen(buf)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte (binary data?)", path, line);
            goto cleanup;
        }
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        char *fields[5];
        int nf = 0;
        for (char *tok = strtok(buf, " \t"); tok; tok = strtok(NULL, " \t")) {
            if (nf == 5) break;
            fields[nf++] = tok;
        }
        if (nf == 0) continue; /* blank line */
        if (nf < 3 || nf > 4) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: expected 3 or 4 fields 'user item rating "
                         "[timestamp]' separated by tabs or spaces, found %s%d", path, line,
                         nf > 4 ? "more than " : "", nf > 4 ? 4 : nf);
            goto cleanup;
        }
        int64_t u, i, ts;
        float v;
        if (!parse_id(fields[0], &u) || !parse_id(fields[1], &i)) {
            int bad = parse_id(fields[0], &u) ? 1 : 0;
            st = ar_fail(AR_ERR_PARSE, "%s:%d: %s id '%.40s' is not an integer in 0..%lld", path,
                         line, bad ? "item" : "user", fields[bad], MAX_ID);
            goto cleanup;
        }
        if (!parse_rating(fields[2], &v)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: rating '%.40s' is not a finite number", path, line,
                         fields[2]);
            goto cleanup;
        }
        if (nf == 4 && !parse_id(fields[3], &ts)) {
            st = ar_fail(AR_ERR_PARSE, "%s:%d: timestamp '%.40s' is not a non-negative integer",
                         path, line, fields[3]);
            goto cleanup;
        }
        AR_TRY(ratings_push(r, u, i, v, line));
    }
    if (ferror(f)) {
        st = ar_fail(AR_ERR_IO, "%s: read error: %s", path, strerror(errno));
        goto cleanup;
    }
    if (r->n == 0) st = ar_fail(AR_ERR_PARSE, "%s: no ratings in the file", path);
cleanup:
    free(buf);
    fclose(f);
    if (st != AR_OK) ar_ratings_free(r);
    else *out = r;
    return st;
}

ar_status ar_ratings_split(const ar_ratings *all, double test_ratio, uint64_t seed,
                           ar_ratings **train, ar_ratings **test) {
    *train = *test = NULL;
    if (!(test_ratio > 0.0 && test_ratio < 1.0))
        return ar_fail(AR_ERR_INVALID_ARG, "--test-ratio must be in (0, 1), got %g", test_ratio);
    ar_ratings *tr = ratings_new(all->path), *te = ratings_new(all->path);
    ar_status st = AR_OK;
    if (!tr || !te) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    ar_rng rng = {seed ^ 0x5EEDF00DULL};
    for (size_t k = 0; k < all->n; k++) {
        ar_ratings *dst = ar_rng_uniform(&rng) < test_ratio ? te : tr;
        AR_TRY(ratings_push(dst, all->user[k], all->item[k], all->rating[k], all->line[k]));
    }
    if (tr->n == 0 || te->n == 0)
        st = ar_fail(AR_ERR_INVALID_ARG, "--test-ratio %g leaves an empty %s set (%zu ratings)",
                     test_ratio, tr->n == 0 ? "training" : "test", all->n);
cleanup:
    if (st != AR_OK) {
        ar_ratings_free(tr);
        ar_ratings_free(te);
    } else {
        *train = tr;
        *test = te;
    }
    return st;
}

/* ---- id maps and CSR ------------------------------------------------------------------------ */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of ids[0..n): the dense index of an id is its position. */
static ar_status unique_ids(const int64_t *ids, size_t n, int64_t **out, int *n_out) {
    int64_t *u = ar_malloc(n * sizeof *u);
    if (!u) return AR_ERR_OUT_OF_MEMORY;
    memcpy(u, ids, n * sizeof *u);
    qsort(u, n, sizeof *u, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || u[k - 1] != u[i]) u[k++] = u[i];
    *out = u;
    *n_out = (int)k;
    return AR_OK;
}

static int dense_index(const int64_t *ids, int n, int64_t id) {
    const int64_t *p = bsearch(&id, ids, (size_t)n, sizeof id, cmp_i64);
    return p ? (int)(p - ids) : -1;
}

void ar_csr_free(ar_csr *m) {
    free(m->row_ptr);
    free(m->col_idx);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

typedef struct { int col; float val; int line; } entry;

static int cmp_entry(const void *a, const void *b) {
    const entry *x = a, *y = b;
    return (x->col > y->col) - (x->col < y->col);
}

/* Builds CSR (rows x cols) from triples (row[k], col[k], val[k]); rows sorted by column.
 * A repeated (row, col) pair is an error naming both source lines. */
static ar_status csr_build(ar_csr *m, int rows, int cols, const int *row, const int *col,
                           const float *val, const int *line, size_t n, const ar_ratings *src,
                           const ar_dataset *ds) {
    ar_status st = AR_OK;
    memset(m, 0, sizeof *m);
    m->rows = rows;
    m->cols = cols;
    m->row_ptr = calloc((size_t)rows + 1, sizeof *m->row_ptr);
    m->col_idx = ar_malloc(n * sizeof *m->col_idx);
    m->vals = ar_malloc(n * sizeof *m->vals);
    entry *e = ar_malloc(n * sizeof *e);
    int *fill = calloc((size_t)rows + 1, sizeof *fill);
    if (!m->row_ptr || !m->col_idx || !m->vals || !e || !fill) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory building CSR (%zu ratings)", n);
        goto cleanup;
    }
    for (size_t k = 0; k < n; k++) m->row_ptr[row[k] + 1]++;
    for (int r = 0; r < rows; r++) m->row_ptr[r + 1] += m->row_ptr[r];
    for (size_t k = 0; k < n; k++) {
        int pos = m->row_ptr[row[k]] + fill[row[k]]++;
        e[pos] = (entry){col[k], val[k], line[k]};
    }
    for (int r = 0; r < rows; r++) {
        entry *re = e + m->row_ptr[r];
        int len = m->row_ptr[r + 1] - m->row_ptr[r];
        qsort(re, (size_t)len, sizeof *re, cmp_entry);
        for (int k = 1; k < len; k++)
            if (re[k].col == re[k - 1].col) {
                st = ar_fail(AR_ERR_PARSE, "%s:%d: duplicate rating for user %lld item %lld "
                             "(first at line %d)", src->path ? src->path : "(ratings)",
                             re[k].line, (long long)ds->user_ids[re[k].col],
                             (long long)ds->item_ids[r], re[k - 1].line);
                goto cleanup;
            }
    }
    for (size_t k = 0; k < n; k++) {
        m->col_idx[k] = e[k].col;
        m->vals[k] = e[k].val;
    }
cleanup:
    free(e);
    free(fill);
    if (st != AR_OK) ar_csr_free(m);
    return st;
}

ar_status ar_dataset_create(const ar_ratings *train, const ar_ratings *test, ar_dataset **out) {
    *out = NULL;
    if (!train || train->n == 0)
        return ar_fail(AR_ERR_INVALID_ARG, "the training set has no ratings");
    if (train->n > (size_t)MAX_ID)
        return ar_fail(AR_ERR_INVALID_ARG, "%zu training ratings: at most %lld are supported",
                       train->n, MAX_ID);
    ar_status st = AR_OK;
    ar_dataset *ds = calloc(1, sizeof *ds);
    int *row = NULL, *col = NULL, *line = NULL;
    float *val = NULL;
    size_t n_test = test ? test->n : 0, n_max = train->n > n_test ? train->n : n_test;
    if (!ds) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    AR_TRY(unique_ids(train->user, train->n, &ds->user_ids, &ds->n_users));
    AR_TRY(unique_ids(train->item, train->n, &ds->item_ids, &ds->n_items));
    row = ar_malloc(n_max * sizeof *row);
    col = ar_malloc(n_max * sizeof *col);
    line = ar_malloc(n_max * sizeof *line);
    val = ar_malloc(n_max * sizeof *val);
    ds->cold = ar_malloc((n_test ? n_test : 1) * sizeof *ds->cold);
    if (!row || !col || !line || !val || !ds->cold) {
        st = AR_ERR_OUT_OF_MEMORY;
        goto cleanup;
    }
    double sum = 0;
    ds->rating_min = ds->rating_max = train->rating[0];
    for (size_t k = 0; k < train->n; k++) {
        row[k] = dense_index(ds->item_ids, ds->n_items, train->item[k]);
        col[k] = dense_index(ds->user_ids, ds->n_users, train->user[k]);
        val[k] = train->rating[k];
        line[k] = train->line[k];
        sum += val[k];
        if (val[k] < ds->rating_min) ds->rating_min = val[k];
        if (val[k] > ds->rating_max) ds->rating_max = val[k];
    }
    ds->train_mean = sum / (double)train->n;
    AR_TRY(csr_build(&ds->train, ds->n_items, ds->n_users, row, col, val, line, train->n, train,
                     ds));
    size_t n_warm = 0;
    for (size_t k = 0; k < n_test; k++) {
        int i = dense_index(ds->item_ids, ds->n_items, test->item[k]);
        int u = dense_index(ds->user_ids, ds->n_users, test->user[k]);
        if (i < 0 || u < 0) {
            ds->cold[ds->n_cold++] = test->rating[k];
            continue;
        }
        row[n_warm] = i;
        col[n_warm] = u;
        val[n_warm] = test->rating[k];
        line[n_warm] = test->line[k];
        n_warm++;
    }
    ds->n_test_all = n_test;
    AR_TRY(csr_build(&ds->test, ds->n_items, ds->n_users, row, col, val, line, n_warm,
                     test ? test : train, ds));
cleanup:
    free(row);
    free(col);
    free(line);
    free(val);
    if (st != AR_OK) ar_dataset_free(ds);
    else *out = ds;
    return st;
}

void ar_dataset_free(ar_dataset *ds) {
    if (!ds) return;
    free(ds->user_ids);
    free(ds->item_ids);
    ar_csr_free(&ds->train);
    ar_csr_free(&ds->test);
    free(ds->cold);
    free(ds);
}

void ar_dataset_get_stats(const ar_dataset *ds, ar_dataset_stats *o) {
    o->n_users = ds->n_users;
    o->n_items = ds->n_items;
    o->n_train = (size_t)ds->train.row_ptr[ds->n_items];
    o->n_test = ds->n_test_all;
    o->n_test_cold = ds->n_cold;
    o->rating_min = ds->rating_min;
    o->rating_max = ds->rating_max;
    o->train_mean = ds->train_mean;
}

double ar_dataset_mean_baseline_rmse(const ar_dataset *ds) {
    double sse = 0;
    size_t n = 0;
    for (int k = 0; k < ds->test.row_ptr[ds->n_items]; k++, n++)
        sse += (ds->test.vals[k] - ds->train_mean) * (ds->test.vals[k] - ds->train_mean);
    for (size_t k = 0; k < ds->n_cold; k++, n++)
        sse += (ds->cold[k] - ds->train_mean) * (ds->cold[k] - ds->train_mean);
    return n ? sqrt(sse / (double)n) : NAN;
}
