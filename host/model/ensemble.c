/* ensemble.c - several trained models used as one: the mean of their predictions.
 * Averaging models that differ only in their seed (or in the data they were refit on) lowers
 * the variance part of the error; docs/experiments.md measures it on ML-100K. */
#include <stdlib.h>

#include "internal.h"

ar_status ar_ensemble_scores(ar_model *const *models, int n_models, const int64_t *users,
                             const int64_t *items, size_t n, float *out, float *members,
                             int clamp) {
    if (n_models < 1 || !models)
        return ar_fail(AR_ERR_INVALID_ARG, "an ensemble needs at least one model, got %d",
                       n_models);
    for (int k = 0; k < n_models; k++)
        if (!models[k]) return ar_fail(AR_ERR_INVALID_ARG, "ensemble member %d is NULL", k + 1);
    double *sum = calloc(n ? n : 1, sizeof *sum);
    float *one = members ? NULL : malloc((n ? n : 1) * sizeof *one);
    ar_status st = AR_OK;
    if (!sum || (!members && !one)) {
        st = ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory averaging %zu predictions", n);
        goto cleanup;
    }
    for (int k = 0; k < n_models; k++) {
        float *p = members ? members + (size_t)k * n : one; /* (n) member k's predictions */
        if ((st = ar_model_scores(models[k], users, items, n, p, clamp)) != AR_OK) {
            if (n_models > 1) st = ar_fail(st, "ensemble member %d: %s", k + 1, ar_last_error());
            goto cleanup;
        }
        for (size_t i = 0; i < n; i++) sum[i] += p[i];
    }
    for (size_t i = 0; i < n; i++) out[i] = (float)(sum[i] / n_models);
cleanup:
    free(sum);
    free(one);
    return st;
}

ar_status ar_ensemble_predict(ar_model *const *models, int n_models, const int64_t *users,
                              const int64_t *items, size_t n, float *out, float *members) {
    return ar_ensemble_scores(models, n_models, users, items, n, out, members, 1);
}
