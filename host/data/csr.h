/* csr.h - from raw ids to CSR, for building a dataset: id maps, rating triples in dense
 * indices, and the CSR build (csr.c), used by dataset.c; private to host/data/, not installed.
 */
#ifndef AR_CSR_H
#define AR_CSR_H

#include <stdlib.h>

#include "internal.h"

/* Rows are items (I-AutoRec) or users (U-AutoRec); these give a ratings list's row and column
 * ids, and a CSR entry's user and item ids, for either. */
#define ROW_KEY(ds, r) ((ds)->rows_are == AR_ROWS_USERS ? (r)->user : (r)->item)
#define COL_KEY(ds, r) ((ds)->rows_are == AR_ROWS_USERS ? (r)->item : (r)->user)
#define USER_OF(ds, row, col) \
    (long long)((ds)->rows_are == AR_ROWS_USERS ? (ds)->row_ids[row] : (ds)->col_ids[col])
#define ITEM_OF(ds, row, col) \
    (long long)((ds)->rows_are == AR_ROWS_USERS ? (ds)->col_ids[col] : (ds)->row_ids[row])

/* ---- id maps -------------------------------------------------------------------------------- */

/* Raw id -> dense index. Dense indices follow raw id order. MovieLens-like ids are small and
 * dense, so a direct table (O(n), no sort) is used when it costs at most a few bytes per rating;
 * otherwise the sorted distinct ids are searched. */
typedef struct ar_idmap {
    int64_t *ids;             /* (n) sorted distinct raw ids */
    int n;
    int32_t *table;           /* (max + 1) dense index or -1; NULL when searching */
    int32_t max;
} ar_idmap;

/* The map of the n raw ids (any order, repeats allowed). */
ar_status ar_idmap_build(ar_idmap *m, const int32_t *ids, size_t n);

static inline int ar_idmap_cmp(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The dense index of a raw id, or -1 when the map does not hold it. Inline: called twice per
 * rating when a dataset is built. */
static inline int ar_idmap_get(const ar_idmap *m, int32_t id) {
    if (m->table) return id <= m->max ? m->table[id] : -1;
    int64_t key = id;
    const int64_t *p = bsearch(&key, m->ids, (size_t)m->n, sizeof key, ar_idmap_cmp);
    return p ? (int)(p - m->ids) : -1;
}

/* ---- CSR ------------------------------------------------------------------------------------ */

/* A rating set in dense indices, before it becomes CSR. */
typedef struct ar_triples {
    int *row, *col;
    float *val;
    int32_t *line;
    size_t n;
} ar_triples;

/* Arrays for n triples, none used yet. */
ar_status ar_triples_alloc(ar_triples *t, size_t n);
void ar_triples_free(ar_triples *t);

/* The error for a pair rated twice in one ratings list (path; NULL: "(ratings)"), at lines a
 * and b in either order (0: not from a file): "PATH:B: duplicate rating for user U item I (first
 * at line A); choose one with ar_load_options.duplicates first|last|mean". */
ar_status ar_fail_repeat(const char *path, long long user, long long item, int a, int b);
/* The same for the pair (dense row, col) of ds. */
ar_status ar_fail_duplicate(const char *path, const ar_dataset *ds, int row, int col, int a,
                            int b);

/* Builds CSR (rows x cols) from triples with each row's columns ascending, by two stable
 * counting sorts (by column, then by row): O(n), no comparison sort. *lines gets the source
 * line of each CSR entry (caller frees). A repeated (row, col) stays: its entries are adjacent,
 * in the triples' order. */
ar_status ar_csr_sort(ar_csr *m, int32_t **lines, int rows, int cols, const ar_triples *t);
/* ar_csr_sort, where a repeated (row, col) is an error naming both lines of path
 * (ar_fail_duplicate; ds gives the raw ids). */
ar_status ar_csr_build(ar_csr *m, int32_t **lines, int rows, int cols, const ar_triples *t,
                       const char *path, const ar_dataset *ds);

/* ---- a shard's share (share.c) ------------------------------------------------------------- */
/* ds->share for shard `index` of n: the columns split by the whole training list's counts per
 * column (um, im: its id maps), the counts per row and per shard. */
ar_status ar_share_plan(ar_dataset *ds, const ar_ratings *train, const ar_idmap *um,
                        const ar_idmap *im, int n, const double *weights, int index);
void ar_share_free(ar_share *sh);

#endif /* AR_CSR_H */
