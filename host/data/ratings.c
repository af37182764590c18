/* ratings.c - ratings lists: creation, accessors, from arrays, and the random split into
 * training and held-out ratings. Read from files by parse*.c, drawn by synth.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- lists ---------------------------------------------------------------------------------- */

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
    free(r->first_merge);
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
        if (users[k] < 0 || items[k] < 0 || users[k] > AR_MAX_ID || items[k] > AR_MAX_ID ||
            !isfinite(ratings[k])) {
            st = ar_fail(AR_ERR_INVALID_ARG, "rating %zu: ids must be in 0..%lld and the rating "
                         "finite (user %lld, item %lld)", k, AR_MAX_ID, (long long)users[k],
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

/* ---- the split ------------------------------------------------------------------------------ */

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
    /* A small set can draw every rating to one side (66 ratings at 0.1 do it once in ~1000
     * seeds). Then one rating, drawn by the same generator, crosses over, so any two ratings
     * split; splits that drew both sides are left exactly as they were. */
    if (all->n >= 2 && (n_test == 0 || n_test == all->n)) {
        size_t k = (size_t)(ar_rng_uniform(&rng) * (double)all->n);
        if (k >= all->n) k = all->n - 1;
        to_test[k] = !to_test[k];
        n_test = n_test == 0 ? 1 : all->n - 1;
    }
    AR_TRY(ar_ratings_alloc(tr, all->n - n_test));
    AR_TRY(ar_ratings_alloc(te, n_test));
    tr->format = te->format = all->format;
    /* the file's skipped lines and merged pairs stay with the training part: the parts' counts
     * add up to the file's */
    tr->skipped = all->skipped;
    tr->merged = all->merged;
    if ((all->first_skip && !(tr->first_skip = strdup(all->first_skip))) ||
        (all->first_merge && !(tr->first_merge = strdup(all->first_merge)))) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory splitting %zu ratings", all->n);
        goto cleanup;
    }
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
