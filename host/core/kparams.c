/* kparams.c - the kernels' tunable parameters (ar_kparams): compiled into the program as -D
 * build options, so each setting is its own built program (and its own entry in the built-program
 * cache, which keys on the options). Defaults are safe on any device; $AUTOREC_KERNEL_PARAMS
 * ("sp_width=32,sddmm_lanes=8,sp_group=64", any subset) overrides them for experiments and
 * for the side-by-side benchmark (bench/sparse_bench.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void ar_kparams_default(ar_kparams *p, const char *device_type) {
    /* a CPU: 32 columns per work-item share each entry's loads and PoCL's per-work-item cost
     * (1.1-1.3x over 16 on the products, docs/performance.md); anything else (a GPU): 8, so
     * that a row of H = 500 is 63 work-items reading neighbouring 32-byte pieces (coalesced) */
    p->sp_width = device_type && !strcmp(device_type, "cpu") ? 32 : 8;
    /* along a row a CPU takes 64: the SpMM 1.1x over 32, PoCL's per-work-item cost paid by
     * half as many work-items (docs/performance.md, s28); the weight gradients were 0.9x at
     * 64, their Adam step's registers */
    p->spmm_width = device_type && !strcmp(device_type, "cpu") ? 64 : 8;
    p->sddmm_lanes = 8;  /* work-items sharing a row's entries */
    p->sp_group = 0;     /* work-group size along h in the 2-D launches: 0, as many as fit */
    p->sp_rows = 1;      /* rows (SpMM) or columns (weight gradient) per work-group */
    p->sddmm_csc = 0;    /* training's SDDMM by rows (1: from the batch CSC) */
    /* a CPU: ar_sp_sddmm (a row's entries shared by sddmm_lanes work-items, each a whole dot
     * product, vectorised); anything else: 32 work-items per entry, a work-group per row, so
     * that a team's loads are 32 neighbouring floats of its weight row (coalesced: NVIDIA's
     * warp, half an AMD wavefront) and B x 64 work-items fill more of a GPU than B x 8
     * (docs/performance.md, GPU portability review) */
    p->sddmm_split = device_type && !strcmp(device_type, "cpu") ? 0 : 32;
    /* a CPU: training's decoder, loss and last hidden gradient in one pass, each weight row
     * read once (docs/performance.md, s15); a GPU: three kernels, whose work-items fill it */
    p->sp_fuse = device_type && !strcmp(device_type, "cpu");
    /* a CPU: weight matrices of more than 1024 rows (2 MB at H = 500) read in column tiles, so
     * that a tile's rows stay in cache while every batch row takes its entries there
     * (docs/performance.md, s21); a GPU: none (its bandwidth, and one launch) */
    p->sp_tile = device_type && !strcmp(device_type, "cpu") ? 1024 : 0;
}

/* 1 when v is one of the values the kernels accept for the field. */
static int valid(const char *key, long v) {
    if (!strcmp(key, "sp_width") || !strcmp(key, "spmm_width"))
        return v == 8 || v == 16 || v == 32 || v == 64;
    if (!strcmp(key, "sddmm_lanes")) return v >= 1 && v <= 64;
    if (!strcmp(key, "sddmm_split")) return v == 0 || (v >= 2 && v <= 64 && !(v & (v - 1)));
    if (!strcmp(key, "sp_rows")) return v >= 1 && v <= 1024;
    if (!strcmp(key, "sddmm_csc") || !strcmp(key, "sp_fuse")) return v == 0 || v == 1;
    if (!strcmp(key, "sp_tile")) return v == 0 || (v >= 8 && v <= (1L << 24));
    return v >= 0 && v <= 1024; /* sp_group */
}

ar_status ar_kparams_parse(const char *text, ar_kparams *p) {
    const char *s = text;
    while (*s) {
        char key[32];
        long v;
        int n = 0;
        if (sscanf(s, "%31[a-z_]=%ld%n", key, &v, &n) != 2 ||
            (strcmp(key, "sp_width") && strcmp(key, "spmm_width") && strcmp(key, "sddmm_lanes") &&
             strcmp(key, "sp_group") &&
             strcmp(key, "sp_rows") && strcmp(key, "sddmm_csc") && strcmp(key, "sddmm_split") &&
             strcmp(key, "sp_fuse") && strcmp(key, "sp_tile")) ||
            !valid(key, v))
            return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters '%s': expected a list like "
                           "'sp_width=16,spmm_width=64,sddmm_lanes=8,sp_group=0,sp_rows=1,"
                           "sddmm_csc=0,sddmm_split=0,sp_fuse=1,sp_tile=1024' (sp_width and "
                           "spmm_width 8, 16, 32 or 64; sddmm_lanes 1-64; sp_group 0-1024; "
                           "sp_rows 1-1024; sddmm_csc and sp_fuse 0 or 1; sddmm_split 0 or a "
                           "power of two 2-64; sp_tile 0 or 8-16777216)", text);
        if (!strcmp(key, "sp_width")) p->sp_width = (int)v;
        else if (!strcmp(key, "spmm_width")) p->spmm_width = (int)v;
        else if (!strcmp(key, "sddmm_lanes")) p->sddmm_lanes = (int)v;
        else if (!strcmp(key, "sp_group")) p->sp_group = (int)v;
        else if (!strcmp(key, "sp_rows")) p->sp_rows = (int)v;
        else if (!strcmp(key, "sddmm_csc")) p->sddmm_csc = (int)v;
        else if (!strcmp(key, "sddmm_split")) p->sddmm_split = (int)v;
        else if (!strcmp(key, "sp_fuse")) p->sp_fuse = (int)v;
        else p->sp_tile = (int)v;
        s += n;
        if (*s == ',') s++;
        else if (*s) return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters '%s': entries are "
                                    "separated by commas", text);
    }
    return AR_OK;
}

void ar_kparams_format(const ar_kparams *p, char *out, size_t cap) {
    snprintf(out, cap,
             "sp_width=%d,spmm_width=%d,sddmm_lanes=%d,sp_group=%d,sp_rows=%d,sddmm_csc=%d,"
             "sddmm_split=%d,sp_fuse=%d,sp_tile=%d",
             p->sp_width, p->spmm_width, p->sddmm_lanes, p->sp_group, p->sp_rows, p->sddmm_csc,
             p->sddmm_split, p->sp_fuse, p->sp_tile);
}

void ar_kparams_options(const ar_kparams *p, char *out, size_t cap) {
    snprintf(out, cap, " -DAR_SP_WIDTH=%d -DAR_SPMM_WIDTH=%d -DAR_SDDMM_LANES=%d", p->sp_width,
             p->spmm_width, p->sddmm_lanes);
}
