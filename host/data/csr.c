/* csr.c - from raw ids to CSR: id maps (raw id -> dense index, by a direct table or a radix
 * sort) and the CSR build from rating triples (two counting sorts). The dataset is assembled
 * from these in dataset.c.
 *
 * Ratings stay sparse from the file to the device: a list of triples, then CSR by row. The
 * dense items x users matrix is never built (ML-10M would be 10,677 x 69,878).
 */
#include <stdlib.h>
#include <string.h>

#include "csr.h"

/* ---- id maps -------------------------------------------------------------------------------- */

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

ar_status ar_idmap_build(ar_idmap *m, const int32_t *ids, size_t n) {
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

/* ---- CSR ------------------------------------------------------------------------------------ */

void ar_csr_free(ar_csr *m) {
    free(m->row_ptr);
    free(m->col_idx);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void ar_triples_free(ar_triples *t) {
    free(t->row);
    free(t->col);
    free(t->val);
    free(t->line);
    memset(t, 0, sizeof *t);
}

ar_status ar_triples_alloc(ar_triples *t, size_t n) {
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

ar_status ar_fail_repeat(const char *path, long long user, long long item, int a, int b) {
    const char *hint = "choose one with ar_load_options.duplicates first|last|mean";
    if (!path) path = "(ratings)";
    if (a <= 0 && b <= 0) /* not from a file: no line 0 */
        return ar_fail(AR_ERR_PARSE, "%s: duplicate rating for user %lld item %lld; %s", path,
                       user, item, hint);
    return ar_fail(AR_ERR_PARSE, "%s:%d: duplicate rating for user %lld item %lld (first at line "
                   "%d); %s", path, a > b ? a : b, user, item, a < b ? a : b, hint);
}

ar_status ar_fail_duplicate(const char *path, const ar_dataset *ds, int row, int col, int a,
                            int b) {
    return ar_fail_repeat(path, USER_OF(ds, row, col), ITEM_OF(ds, row, col), a, b);
}

ar_status ar_csr_sort(ar_csr *m, int32_t **lines, int rows, int cols, const ar_triples *t) {
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
        free(ln);
        ar_csr_free(m);
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
    *lines = ln;
cleanup:
    free(cnt);
    free(by_col);
    free(fill);
    return st;
}

ar_status ar_csr_build(ar_csr *m, int32_t **lines, int rows, int cols, const ar_triples *t,
                       const char *path, const ar_dataset *ds) {
    ar_status st = ar_csr_sort(m, lines, rows, cols, t);
    if (st != AR_OK) return st;
    for (int r = 0; r < rows; r++)
        for (int k = m->row_ptr[r] + 1; k < m->row_ptr[r + 1]; k++)
            if (m->col_idx[k] == m->col_idx[k - 1]) {
                st = ar_fail_duplicate(path, ds, r, m->col_idx[k], (*lines)[k - 1], (*lines)[k]);
                free(*lines);
                *lines = NULL;
                ar_csr_free(m);
                return st;
            }
    return AR_OK;
}
