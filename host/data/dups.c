/* dups.c - user-item pairs that one ratings list rates more than once: the names of
 * ar_duplicates, and merging a list's repeats into one rating each (ar_load_options.duplicates
 * first, last or mean), as a file is loaded and before any split. Left alone (AR_DUP_ERROR),
 * they are refused when the dataset is built (csr.c, dataset.c), where the CSR finds them at no
 * extra cost to the default load.
 *
 * The repeats are found as the dataset finds them: the pairs in CSR order by two counting sorts
 * (ar_csr_sort), a pair's ratings adjacent and in list order. O(n), no comparison sort; only a
 * load that asks for merging pays for it.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csr.h"

static const char *const dup_names[] = {"error", "first", "last", "mean"};
#define N_DUP ((int)(sizeof dup_names / sizeof *dup_names))

const char *ar_duplicates_name(ar_duplicates d) { return ar_choice_name(dup_names, N_DUP, (int)d); }

ar_status ar_duplicates_parse(const char *name, ar_duplicates *out) {
    int i = 0;
    ar_status st = ar_choice_parse(dup_names, N_DUP, "duplicates mode", name, &i);
    if (st == AR_OK) *out = (ar_duplicates)i;
    return st;
}

ar_status ar_duplicates_check(ar_duplicates how) {
    if ((int)how >= 0 && (int)how < N_DUP) return AR_OK;
    return ar_fail(AR_ERR_INVALID_ARG, "ar_load_options.duplicates %d is not one of error, first, "
                   "last or mean", (int)how);
}

size_t ar_ratings_merged(const ar_ratings *r, const char **first) {
    if (first) *first = r->first_merge;
    return r->merged;
}

/* r's pairs in CSR order (rows items, columns users), a pair's ratings adjacent and in list
 * order: *at gets each entry's index in r. */
static ar_status pairs_sorted(const ar_ratings *r, ar_csr *m, int32_t **at) {
    ar_idmap um = {0}, im = {0};
    ar_triples t = {0};
    ar_status st = AR_OK;
    *at = NULL;
    memset(m, 0, sizeof *m);
    AR_TRY(ar_idmap_build(&um, r->user, r->n));
    AR_TRY(ar_idmap_build(&im, r->item, r->n));
    AR_TRY(ar_triples_alloc(&t, r->n));
    for (size_t k = 0; k < r->n; k++) {
        t.row[k] = ar_idmap_get(&im, r->item[k]);
        t.col[k] = ar_idmap_get(&um, r->user[k]);
        t.val[k] = r->rating[k];
        t.line[k] = (int32_t)k;
    }
    t.n = r->n;
    st = ar_csr_sort(m, at, im.n, um.n, &t);
cleanup:
    ar_triples_free(&t);
    free(um.ids);
    free(um.table);
    free(im.ids);
    free(im.table);
    return st;
}

/* One repeated pair, r's ratings at[0..n) (ascending): the one that counts takes the rating
 * `how` gives and the others are marked in drop. A mean lies between the ratings it averages,
 * so it stays within the rating range; one too small for a normal float is 0, as a rating is
 * (docs/data.md, "Bad input"). */
static void merge_pair(ar_ratings *r, const int32_t *at, int n, ar_duplicates how,
                       unsigned char *drop) {
    const int keep = how == AR_DUP_LAST ? n - 1 : 0;
    if (how == AR_DUP_MEAN) {
        double sum = 0;
        for (int j = 0; j < n; j++) sum += r->rating[at[j]];
        float mean = (float)(sum / n);
        r->rating[at[0]] = fabsf(mean) < FLT_MIN ? 0.0f : mean;
    }
    for (int j = 0; j < n; j++)
        if (j != keep) drop[at[j]] = 1;
}

/* The first repeat (the pair's second rating earliest in the list: at index k, its first at
 * index f) as a message. */
static ar_status note_first(ar_ratings *r, size_t f, size_t k) {
    char msg[4400];
    const char *path = r->path ? r->path : "(ratings)";
    if (r->line[k] > 0)
        snprintf(msg, sizeof msg, "%s:%d: user %d item %d, first at line %d", path, r->line[k],
                 r->user[k], r->item[k], r->line[f]);
    else
        snprintf(msg, sizeof msg, "%s: user %d item %d, ratings %zu and %zu of the list", path,
                 r->user[k], r->item[k], f + 1, k + 1);
    if (!(r->first_merge = strdup(msg))) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    return AR_OK;
}

/* Keeps the ratings drop does not mark, in their order. */
static void compact(ar_ratings *r, const unsigned char *drop) {
    size_t w = 0;
    for (size_t k = 0; k < r->n; k++) {
        if (drop[k]) continue;
        r->user[w] = r->user[k];
        r->item[w] = r->item[k];
        r->rating[w] = r->rating[k];
        r->line[w] = r->line[k];
        w++;
    }
    r->n = w;
}

/* Walks the repeated pairs of m (at: each entry's index in the list): counts them and finds the
 * first repeat (the pair's second rating earliest in the list, at *first; its first rating at
 * *first_of). With drop, also merges each pair of r as how says. */
static size_t repeats(const ar_csr *m, const int32_t *at, ar_ratings *r, ar_duplicates how,
                      unsigned char *drop, size_t *first, size_t *first_of) {
    size_t pairs = 0;
    *first = SIZE_MAX;
    for (int row = 0; row < m->rows; row++)
        for (int a = m->row_ptr[row], b; a < m->row_ptr[row + 1]; a = b) {
            for (b = a + 1; b < m->row_ptr[row + 1] && m->col_idx[b] == m->col_idx[a]; b++)
                continue;
            if (b - a < 2) continue;
            pairs++;
            if ((size_t)at[a + 1] < *first) *first = (size_t)at[a + 1], *first_of = (size_t)at[a];
            if (drop) merge_pair(r, at + a, b - a, how, drop);
        }
    return pairs;
}

ar_status ar_ratings_merge_duplicates(ar_ratings *r, ar_duplicates how) {
    if (ar_duplicates_check(how) != AR_OK) return AR_ERR_INVALID_ARG;
    if (r->n > (size_t)AR_MAX_ID)
        return ar_fail(AR_ERR_INVALID_ARG, "%zu ratings: at most %lld can be merged", r->n,
                       AR_MAX_ID);
    ar_csr m;
    int32_t *at = NULL;
    unsigned char *drop = NULL;
    size_t first = 0, first_of = 0;
    ar_status st = AR_OK;
    AR_TRY(pairs_sorted(r, &m, &at));
    size_t pairs = repeats(&m, at, r, how, NULL, &first, &first_of);
    if (pairs == 0) goto cleanup;
    if (how == AR_DUP_ERROR) {
        st = ar_fail_repeat(r->path, r->user[first], r->item[first], r->line[first_of],
                            r->line[first]);
        goto cleanup;
    }
    if (!(drop = calloc(r->n, 1))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory merging %zu ratings", r->n);
        goto cleanup;
    }
    if (!r->first_merge) AR_TRY(note_first(r, first_of, first)); /* before r changes */
    repeats(&m, at, r, how, drop, &first, &first_of);
    r->merged += pairs;
    compact(r, drop);
cleanup:
    free(at);
    free(drop);
    ar_csr_free(&m);
    return st;
}
