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
    /* training's SDDMM: a CPU by rows; a GPU from the batch CSC, whose columns hold at most B
     * entries each, where a row can hold tens of thousands: on an H200, the ML-10M-sized
     * synthetic run's SDDMMs took 1.79 s an epoch by rows (a work-group per row), 0.20 s with
     * the rows shared by several groups, 0.028 s from the CSC (at ML-100K's shapes the rows'
     * kernel was faster, 0.3 ms against 1.4 ms: tune-kernels finds that; docs/performance.md,
     * GPUs) */
    p->sddmm_csc = device_type && !strcmp(device_type, "cpu") ? 0 : 1;
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
    /* a GPU: each batch row's entries in 32 chunks (the SpMMs, the loss) or shared by 32
     * work-items (input dropout), so that a row of 70k entries (a popular item) is not one
     * work-item's series while the device idles; on an H200 the ML-10M-sized synthetic run's
     * SpMMs went from 0.63 s an epoch to 0.030 s, input dropout from 0.17 s to 0.008 s, the
     * loss from 0.13 s to 0.013 s (docs/performance.md, GPUs); a CPU: none (its cores are
     * filled by the rows, and the chunks' sums cost a pass: 0.2 s against 0.04 s at ML-100K
     * on PoCL) */
    p->row_split = device_type && !strcmp(device_type, "cpu") ? 0 : 32;
}

/* 1 when v is one of the values the kernels accept for the field. */
static int valid(const char *key, long v) {
    if (!strcmp(key, "sp_width") || !strcmp(key, "spmm_width"))
        return v == 8 || v == 16 || v == 32 || v == 64;
    if (!strcmp(key, "sddmm_lanes")) return v >= 1 && v <= 64;
    if (!strcmp(key, "sddmm_split")) return v == 0 || (v >= 2 && v <= 64 && !(v & (v - 1)));
    if (!strcmp(key, "sp_rows")) return v >= 1 && v <= 1024;
    if (!strcmp(key, "row_split")) return v == 0 || (v >= 2 && v <= 256);
    if (!strcmp(key, "sddmm_csc") || !strcmp(key, "sp_fuse")) return v == 0 || v == 1;
    if (!strcmp(key, "sp_tile")) return v == 0 || (v >= 8 && v <= (1L << 24));
    return v >= 0 && v <= 1024; /* sp_group */
}

/* The field named key, and its index (in ar_kparams_format's order) in *index; NULL when no
 * field has that name. */
static int *field(ar_kparams *p, const char *key, int *index) {
    struct { const char *name; int *at; } f[] = {
        {"sp_width", &p->sp_width}, {"spmm_width", &p->spmm_width},
        {"sddmm_lanes", &p->sddmm_lanes}, {"sp_group", &p->sp_group}, {"sp_rows", &p->sp_rows},
        {"sddmm_csc", &p->sddmm_csc}, {"sddmm_split", &p->sddmm_split},
        {"sp_fuse", &p->sp_fuse}, {"sp_tile", &p->sp_tile}, {"row_split", &p->row_split}};
    for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
        if (!strcmp(f[i].name, key)) return *index = i, f[i].at;
    return NULL;
}

#define KPARAMS_EXPECTED                                                                      \
    "expected comma-separated NAME=VALUE like 'sp_width=16,sddmm_lanes=8' (sp_width and "     \
    "spmm_width 8, 16, 32 or 64; sddmm_lanes 1-64; sp_group 0-1024; sp_rows 1-1024; "         \
    "sddmm_csc and sp_fuse 0 or 1; sddmm_split 0 or a power of two 2-64; sp_tile 0 or "       \
    "8-16777216; row_split 0 or 2-256)"

/* Strict: each entry NAME=DIGITS, a known name once, no empty entry (so no trailing comma),
 * no sign or blank; the whole text refused on the first bad entry, which the message quotes. */
ar_status ar_kparams_parse(const char *text, ar_kparams *p) {
    for (const char *c = text; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters: a control character at "
                           "offset %d; " KPARAMS_EXPECTED, (int)(c - text));
    ar_kparams t = *p;
    unsigned seen = 0; /* the fields given so far, a bit each */
    for (const char *s = text;;) {
        const size_t len = strcspn(s, ",");
        char entry[64], key[32];
        snprintf(entry, sizeof entry, "%.*s", (int)(len < 63 ? len : 63), s);
        const char *eq = memchr(s, '=', len);
        const char *digits = eq ? eq + 1 : NULL;
        const size_t klen = eq ? (size_t)(eq - s) : 0, dlen = eq ? len - klen - 1 : 0;
        snprintf(key, sizeof key, "%.*s", (int)(klen < 31 ? klen : 31), s);
        int index = 0;
        int *at = eq && klen < sizeof key ? field(&t, key, &index) : NULL;
        if (!at)
            return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters '%s': '%s' is not a known "
                           "NAME=VALUE; " KPARAMS_EXPECTED, text, entry);
        if (seen & 1u << index)
            return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters '%s': %s given twice", text,
                           key);
        seen |= 1u << index;
        long v = 0;
        int ok = dlen > 0 && dlen <= 9;
        for (size_t i = 0; ok && i < dlen; i++) {
            ok = digits[i] >= '0' && digits[i] <= '9';
            v = v * 10 + (digits[i] - '0');
        }
        if (!ok || !valid(key, v))
            return ar_fail(AR_ERR_INVALID_ARG, "kernel parameters '%s': '%s' is not a value %s "
                           "takes; " KPARAMS_EXPECTED, text, entry, key);
        *at = (int)v;
        if (!s[len]) break;
        s += len + 1; /* past the comma: an entry must follow */
    }
    *p = t;
    return AR_OK;
}

void ar_kparams_format(const ar_kparams *p, char *out, size_t cap) {
    snprintf(out, cap,
             "sp_width=%d,spmm_width=%d,sddmm_lanes=%d,sp_group=%d,sp_rows=%d,sddmm_csc=%d,"
             "sddmm_split=%d,sp_fuse=%d,sp_tile=%d,row_split=%d",
             p->sp_width, p->spmm_width, p->sddmm_lanes, p->sp_group, p->sp_rows, p->sddmm_csc,
             p->sddmm_split, p->sp_fuse, p->sp_tile, p->row_split);
}

void ar_kparams_options(const ar_kparams *p, char *out, size_t cap) {
    snprintf(out, cap, " -DAR_SP_WIDTH=%d -DAR_SPMM_WIDTH=%d -DAR_SDDMM_LANES=%d", p->sp_width,
             p->spmm_width, p->sddmm_lanes);
}
