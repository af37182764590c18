/* sparse.cl - the first and last layers computed from the observed ratings only.
 *
 * A batch is B rows (items for I-AutoRec) rows[rows_off + b] of a CSR matrix (row_ptr, col_idx).
 * Observed entries are addressed by their CSR index k, so per-entry values (inputs xk, outputs
 * yk, output gradients dyk) live in arrays of the CSR's nnz. Weights that the sparse products
 * touch are stored one contiguous row of H per column u: the first layer's V^T (U, H) and the
 * last layer's W (U, H). Work-items run along h wherever they can, so that the work-items of a
 * group walk the same entry list together and read neighbouring weights (vector loads on a CPU,
 * coalesced loads on a GPU). Every sum runs in a fixed order: no atomics, the same numbers on
 * every run.
 */

/* xk[k] = the input value of each of the batch's entries after input dropout, drawn at element
 * b * cols + col_base + u as the dense path draws it over the (B, cols) batch (col_base: a
 * shard's first column in the whole model, 0 unsharded). L work-items per row (L = 1 on a
 * CPU; kernel parameter row_split on a GPU, where one work-item per row ran a 70k-entry row in
 * series, docs/performance.md, GPUs): the row's entries in pieces of 8 from its first
 * (ar_dropout_keep8), piece j to lane j % L, the last few one by one by the lane whose turn is
 * next. Each entry's draw is its own: the same bits whatever L. */
__kernel void ar_sp_input(__global float *xk, __global const int *row_ptr,
                          __global const int *col_idx, __global const float *vals,
                          __global const int *rows, int rows_off, int B, int cols, int col_base,
                          uint threshold, float scale, uint seed_lo, uint seed_hi, uint step,
                          int L) {
    const int i = (int)get_global_id(0);
    if (i >= B * L) return;
    const int b = i / L, lane = i % L;
    const int r = rows[rows_off + b], k0 = row_ptr[r], end = row_ptr[r + 1];
    const int full = (end - k0) / 8; /* pieces of 8 */
    const uint base = (uint)((size_t)b * (size_t)cols + (size_t)col_base);
    for (int j = lane; j < full; j += L) {
        const int k = k0 + 8 * j;
        uint8 e = (uint8)(base) + as_uint8(vload8(0, col_idx + k));
        int8 keep = ar_dropout_keep8(e, step, 1u, seed_lo, seed_hi, threshold);
        vstore8(select((float8)(0.0f), vload8(0, vals + k) * scale, keep), 0, xk + k);
    }
    if (full % L != lane) return;
    for (int k = k0 + 8 * full; k < end; k++) {
        uint e = (uint)((size_t)b * (size_t)cols + (size_t)col_base + (size_t)col_idx[k]);
        xk[k] = ar_dropout_keep(seed_lo, seed_hi, step, 1u, e, threshold) ? vals[k] * scale
                                                                           : 0.0f;
    }
}

/* The first and last layers' products give each work-item W neighbouring columns h as W / 8
 * float8 accumulators, W a build define (8, 16, 32 or 64): AR_SPMM_WIDTH for the SpMMs' 2-D
 * ranges (ar_sp_spmm, ar_sp_spmm_backward: a row's work-items along h), AR_SP_WIDTH for the
 * weight gradients and the kernels of one work-item per row (the column tiles, the fused
 * decoder). On PoCL the SpMM ran 1.1x at 64 where the weight step with Adam ran 0.9x, and the
 * fused decoder 1.0x for a slower build (docs/performance.md, s28). Explicit vectors are
 * what PoCL turns into AVX (scalar work-items along h are not vectorised across the group
 * there, and were 2-4x slower); several 256-bit accumulators rather than one float16 (1.6x
 * faster on PoCL, and no warnings about float16 arguments without AVX-512). Wider work-items
 * share each entry's index and value loads and PoCL's per-work-item cost over more columns;
 * narrower ones give a GPU more work-items. */
#if AR_SP_WIDTH != 8 && AR_SP_WIDTH != 16 && AR_SP_WIDTH != 32 && AR_SP_WIDTH != 64
#error "AR_SP_WIDTH must be 8, 16, 32 or 64"
#endif
#if AR_SPMM_WIDTH != 8 && AR_SPMM_WIDTH != 16 && AR_SPMM_WIDTH != 32 && AR_SPMM_WIDTH != 64
#error "AR_SPMM_WIDTH must be 8, 16, 32 or 64"
#endif
#define AR_SP_V (AR_SP_WIDTH / 8)     /* float8 per work-item of the weight gradients, ... */
#define AR_SPMM_V (AR_SPMM_WIDTH / 8) /* and of the SpMMs' 2-D ranges */

/* The first column of the W a work-item of a row's products computes for its own columns [h,
 * min(h + W, H)): h itself, or, for a row's last columns (fewer than W left, as
 * H = 500 leaves 20), the window moved back to end at H, so that every weight load of the
 * products is a whole vector: a partial window's masked loads went through the stack on every
 * entry, and whole vectors run the SpMMs and the fused decoder 1.04-1.06x faster at H = 500
 * (docs/performance.md, s23). The first h - h0 columns of a moved window are the work-item before's: computed again
 * with the same operations, and never stored (ar_store8_from). H < W: h. */
static inline int ar_window(int h, int H, int W) {
    return H >= W && H - h < W ? H - W : h;
}

/* ar_store8 of the lanes from `first` on only (first <= 0: all n; first >= 8: none): vector i
 * of a moved window stores from first = (h - h0) - 8 i, the lanes before are not its own. */
static inline void ar_store8_from(__global float *p, float8 v, int n, int first) {
    if (first <= 0) {
        ar_store8(p, v, n);
        return;
    }
    /* lane by lane, as ar_store8's tail (first >= 1 here: lane 0 is never this one's) */
    if (first <= 1 && n > 1) p[1] = v.s1;
    if (first <= 2 && n > 2) p[2] = v.s2;
    if (first <= 3 && n > 3) p[3] = v.s3;
    if (first <= 4 && n > 4) p[4] = v.s4;
    if (first <= 5 && n > 5) p[5] = v.s5;
    if (first <= 6 && n > 6) p[6] = v.s6;
    if (first <= 7 && n > 7) p[7] = v.s7;
}

/* act(v + bias) (bias: n valid floats). */
static inline AR_ALWAYS_INLINE float8 ar_bias_act8(float8 v, __global const float *bias, int n,
                                                 int act) {
    return ar_activate8(v + ar_load8(bias, n), act);
}

/* p[0 .. AR_SP_V) += sum over the entries e in [e0, end) of ck[e] * src[row[e] H + (0 ..
 * AR_SP_WIDTH)], src already at column h; n0 = H - h columns exist from h on: one running sum,
 * a block or a piece of one of ar_gather_sum's (its loop, without the CSC's kmap: written
 * once for both, the weight gradient's kernels ran 6-10% slower on PoCL, docs/performance.md
 * s21), for the kernels of one work-item per row. */
static inline void ar_gather_part(float8 *p, __global const float *src, __global const int *row,
                                  __global const float *ck, int e0, int end, int H, int n0) {
    if (n0 >= AR_SP_WIDTH) { /* every column there: whole vector loads */
        for (int e = e0; e < end; e++) {
            __global const float *r = src + (size_t)row[e] * (size_t)H;
            float c = ck[e];
            _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) p[i] += c * vload8(i, r);
        }
    } else { /* the row's last columns */
        for (int e = e0; e < end; e++) {
            __global const float *r = src + (size_t)row[e] * (size_t)H;
            float c = ck[e];
            _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++)
                p[i] += c * ar_load8(r + 8 * i, n0 - 8 * i);
        }
    }
}

/* z[0 .. AR_SP_V) += sum over the entries e in [e0, end) of c_e * src[row[e] H + (0 ..
 * AR_SP_WIDTH)], src already at column h, c_e = ck[e], or ck[kmap[e]] when kmap is given (a
 * CSC's entries); n0 = H - h columns exist from h on: the weight gradients' sums down a column.
 * Blocked summation: a popular item has tens of thousands of ratings, and one running float sum
 * over them would lose digits; partial sums of AR_SP_BLOCK terms keep the error at
 * (AR_SP_BLOCK + entries / AR_SP_BLOCK) roundings. The row products sum the same blocks
 * (ar_row_product, ar_tile_sum). */
static inline void ar_gather_sum(float8 *z, __global const float *src, __global const int *row,
                                 __global const float *ck, __global const int *kmap, int e0,
                                 int end, int H, int n0) {
    for (int b0 = e0; b0 < end; b0 += AR_SP_BLOCK) {
        const int bend = min(b0 + AR_SP_BLOCK, end);
        float8 p[AR_SP_V];
        _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) p[i] = (float8)(0.0f);
        if (n0 >= AR_SP_WIDTH) { /* every column there: whole vector loads */
            for (int e = b0; e < bend; e++) {
                __global const float *r = src + (size_t)row[e] * (size_t)H;
                float c = kmap ? ck[kmap[e]] : ck[e];
                _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) p[i] += c * vload8(i, r);
            }
        } else { /* the row's last columns */
            for (int e = b0; e < bend; e++) {
                __global const float *r = src + (size_t)row[e] * (size_t)H;
                float c = kmap ? ck[kmap[e]] : ck[e];
                _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++)
                    p[i] += c * ar_load8(r + 8 * i, n0 - 8 * i);
            }
        }
        _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) z[i] += p[i];
    }
}

/* Column tiles (kernel parameter sp_tile): a large weight matrix (ML-10M's 69,878 users x H =
 * 140 MB) is read from DRAM once per entry by the row-by-row products, a 2 KB row for each of
 * 9M entries per pass. Launched once per tile of sp_tile weight rows instead, every batch row
 * takes its entries in the tile while the tile's rows are in cache, continuing its blocked sums
 * (ar_gather_sum's blocks of AR_SP_BLOCK entries from the row's first) where the tile before
 * left them: the same terms in the same order, so the same bits as one launch
 * (docs/performance.md, s21). */

/* The first of the entries [lo, hi) (columns ascending) whose column is >= u. */
static inline int ar_lower_bound(__global const int *col_idx, int lo, int hi, int u) {
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (col_idx[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* The end of the block of AR_SP_BLOCK entries (counted from the row's first, k0) that entry s
 * is in: ar_gather_sum's blocks, which the tiles keep. */
static inline int ar_block_end(int k0, int s) {
    return k0 + ((s - k0) / AR_SP_BLOCK + 1) * AR_SP_BLOCK;
}

/* ar_gather_sum's blocks (from the row's first entry k0; the row ends at end) over the entries
 * [s, t) of one tile: p, the open block's partial sum, is added to z where its block or the row
 * ends, and left in p otherwise. */
static inline void ar_tile_sum(float8 *z, float8 *p, __global const float *src,
                               __global const int *row, __global const float *ck, int k0, int s,
                               int t, int end, int H, int n0) {
    while (s < t) {
        const int bend = ar_block_end(k0, s), e = min(bend, t);
        ar_gather_part(p, src, row, ck, s, e, H, n0);
        if (e == bend || e == end)
            _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) z[i] += p[i], p[i] = (float8)(0.0f);
        s = e;
    }
}

/* z[0 .. AR_SPMM_V) = the AR_SPMM_WIDTH columns at w (W's row at column h; n0 = H - h columns
 * exist from there) of the sum over the entries k in [lo, end) of ck[k] W[u_k, :]: the SpMMs'
 * product, in ar_gather_sum's blocks of AR_SP_BLOCK entries from lo. ar_gather_part's loop at the SpMMs' own
 * width: the one place it is written a third time (a width argument, constant at each call,
 * ran the weight step with Adam 0.8-0.9x on PoCL, s28). */
static inline void ar_range_product(float8 *z, __global const float *w, __global const float *ck,
                                    __global const int *col_idx, int lo, int end, int H, int n0) {
    _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) z[i] = (float8)(0.0f);
    for (int b0 = lo; b0 < end; b0 += AR_SP_BLOCK) {
        const int bend = min(b0 + AR_SP_BLOCK, end);
        float8 p[AR_SPMM_V];
        _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) p[i] = (float8)(0.0f);
        if (n0 >= AR_SPMM_WIDTH) { /* every column there: whole vector loads */
            for (int e = b0; e < bend; e++) {
                __global const float *wu = w + (size_t)col_idx[e] * (size_t)H;
                const float c = ck[e];
                _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) p[i] += c * vload8(i, wu);
            }
        } else { /* the row's last columns */
            for (int e = b0; e < bend; e++) {
                __global const float *wu = w + (size_t)col_idx[e] * (size_t)H;
                const float c = ck[e];
                _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++)
                    p[i] += c * ar_load8(wu + 8 * i, n0 - 8 * i);
            }
        }
        _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) z[i] += p[i];
    }
}

/* Chunk p of P of row r's entries (row_ptr): [*lo, *hi), the row cut into P contiguous
 * chunks of ceil(n / P) entries, the last ones shorter or empty (kernel parameter row_split:
 * ar_sp_spmm_part, ar_sp_loss_part). */
static inline void ar_row_chunk(__global const int *row_ptr, int r, int P, int p, int *lo,
                                int *hi) {
    const int k0 = row_ptr[r], len = row_ptr[r + 1] - k0, chunk = (len + P - 1) / P;
    *lo = k0 + min(len, p * chunk);
    *hi = k0 + min(len, (p + 1) * chunk);
}

/* ar_range_product over all of row r's entries. */
static inline void ar_row_product(float8 *z, __global const float *w, __global const float *ck,
                                  __global const int *row_ptr, __global const int *col_idx,
                                  int r, int H, int n0) {
    ar_range_product(z, w, ck, col_idx, row_ptr[r], row_ptr[r + 1], H, n0);
}

/* out (B, H) = act(bias + sum over row b's entries of ck[k] * W[u_k, :]), W (cols, H) at
 * w_off in w; bias at b_off in w, or none when b_off < 0 (then act is the identity): the
 * encoder's forward pass (ck = inputs), and a shard's part of the gradient at the last hidden
 * layer (ck = dyk; unsharded, ar_sp_spmm_backward or ar_sp_decode_backward computes it).
 * A 2-D range: dimension 0 is h / AR_SPMM_WIDTH, dimension 1 is b, so a work-group shares its
 * row and walks the same entries in step. */
__kernel void ar_sp_spmm(__global float *out, __global const float *ck, __global const float *w,
                         int w_off, int b_off, __global const int *row_ptr,
                         __global const int *col_idx, __global const int *rows, int rows_off,
                         int B, int H, int act) {
    int h = AR_SPMM_WIDTH * (int)get_global_id(0), b = (int)get_global_id(1);
    if (h >= H || b >= B) return;
    const int h0 = ar_window(h, H, AR_SPMM_WIDTH), n0 = H - h0;
    float8 z[AR_SPMM_V];
    ar_row_product(z, w + w_off + h0, ck, row_ptr, col_idx, rows[rows_off + b], H, n0);
    __global float *o = out + (size_t)b * (size_t)H + h0;
    _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) {
        if (b_off >= 0) z[i] = ar_bias_act8(z[i], w + b_off + h0 + 8 * i, n0 - 8 * i, act);
        ar_store8_from(o + 8 * i, z[i], n0 - 8 * i, h - h0 - 8 * i);
    }
}

/* The SpMMs in a GPU's shape (kernel parameter row_split = P): row b's entries cut into P
 * contiguous chunks, work-item (h / AR_SPMM_WIDTH, b P + p) summing chunk p into part (B P,
 * H); ar_sp_spmm_join then adds each row's P sums in order. With one work-item per (h, row),
 * the row with the most entries ran them all in series while the others had finished: on an
 * H200, a batch with a 70k-entry row (the ML-10M-sized synthetic set's most rated item) took
 * 15 ms, the whole epoch's SpMMs 0.63 s (docs/performance.md, GPUs). Deterministic; another
 * order than ar_sp_spmm's (within the tests' tolerance of the reference). */
__kernel void ar_sp_spmm_part(__global float *part, __global const float *ck,
                              __global const float *w, int w_off, __global const int *row_ptr,
                              __global const int *col_idx, __global const int *rows,
                              int rows_off, int B, int H, int P) {
    const int h = AR_SPMM_WIDTH * (int)get_global_id(0), bp = (int)get_global_id(1);
    if (h >= H || bp >= B * P) return;
    int lo, hi;
    ar_row_chunk(row_ptr, rows[rows_off + bp / P], P, bp % P, &lo, &hi);
    const int h0 = ar_window(h, H, AR_SPMM_WIDTH), n0 = H - h0;
    float8 z[AR_SPMM_V];
    ar_range_product(z, w + w_off + h0, ck, col_idx, lo, hi, H, n0);
    __global float *o = part + (size_t)bp * (size_t)H + h0;
    _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++)
        ar_store8_from(o + 8 * i, z[i], n0 - 8 * i, h - h0 - 8 * i);
}

/* out (B, H) from ar_sp_spmm_part's part (B P, H), one work-item per element (neighbouring
 * work-items, neighbouring h: coalesced): z = the row's P sums added in order p = 0, 1, ..;
 * then ar_sp_spmm's ending (backward = 0: act(bias + z) when b_off >= 0, else z) or
 * ar_sp_spmm_backward's (backward = 1: dropout's stored mask when use_mask, then z act'(a)),
 * element by element as their lanes do it. */
__kernel void ar_sp_spmm_join(__global float *out, __global const float *part,
                              __global const float *w, int b_off, int B, int H, int act, int P,
                              int backward, __global const uchar *mask, int use_mask,
                              float scale, __global const float *a) {
    const size_t i = get_global_id(0);
    if (i >= (size_t)B * (size_t)H) return;
    const size_t b = i / (size_t)H, h = i % (size_t)H;
    __global const float *s = part + b * (size_t)P * (size_t)H + h;
    float z = 0.0f;
    for (int p = 0; p < P; p++) z += s[(size_t)p * (size_t)H];
    if (backward) {
        if (use_mask) z = mask[i] ? z * scale : 0.0f;
        z *= ar_act_grad_from_out(a[i], act);
    } else if (b_off >= 0) {
        z = ar_activate(z + w[b_off + h], act);
    }
    out[i] = z;
}

/* ar_sp_spmm over one column tile, weight rows [u_lo, u_hi) (see ar_tile_sum): one work-item
 * per row b, all of H. Between tiles the row's sums wait in out (z) and part (B, H) (the open
 * block's partial sum); the first tile (u_lo = 0) starts them at zero, the last (last = 1)
 * adds the bias and the activation and stores the output, as ar_sp_spmm does. */
__kernel void ar_sp_spmm_tile(__global float *out, __global float *part,
                              __global const float *ck, __global const float *w, int w_off,
                              int b_off, __global const int *row_ptr, __global const int *col_idx,
                              __global const int *rows, int rows_off, int B, int H, int act,
                              int u_lo, int u_hi, int last) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    const int r = rows[rows_off + b], k0 = row_ptr[r], end = row_ptr[r + 1];
    const int s = ar_lower_bound(col_idx, k0, end, u_lo);
    const int t = ar_lower_bound(col_idx, s, end, u_hi);
    __global float *zb = out + (size_t)b * (size_t)H, *pb = part + (size_t)b * (size_t)H;
    for (int h = 0; h < H; h += AR_SP_WIDTH) {
        /* a moved last window (ar_window) reads the columns before h after this loop's
         * previous round stored them: computed on, never stored again */
        const int h0 = ar_window(h, H, AR_SP_WIDTH), n0 = H - h0;
        float8 z[AR_SP_V], p[AR_SP_V];
        _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) {
            z[i] = u_lo > 0 ? ar_load8(zb + h0 + 8 * i, n0 - 8 * i) : (float8)(0.0f);
            p[i] = u_lo > 0 ? ar_load8(pb + h0 + 8 * i, n0 - 8 * i) : (float8)(0.0f);
        }
        ar_tile_sum(z, p, w + w_off + h0, col_idx, ck, k0, s, t, end, H, n0);
        _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) {
            if (last && b_off >= 0)
                z[i] = ar_bias_act8(z[i], w + b_off + h0 + 8 * i, n0 - 8 * i, act);
            ar_store8_from(zb + h0 + 8 * i, z[i], n0 - 8 * i, h - h0 - 8 * i);
            if (!last) ar_store8_from(pb + h0 + 8 * i, p[i], n0 - 8 * i, h - h0 - 8 * i);
        }
    }
}

/* 8 keep decisions of a stored dropout mask (cl/dropout.cl: a byte per element, nonzero =
 * kept), or the n < 8 left at the end of a row (the others dropped; nothing read past n). */
static inline int8 ar_keep8(__global const uchar *p, int n) {
    if (n >= 8) return convert_int8(vload8(0, p)) != (int8)(0);
    uchar t[8];
    for (int i = 0; i < 8; i++) t[i] = i < n ? p[i] : (uchar)0;
    return convert_int8(vload8(0, t)) != (int8)(0);
}

/* The gradient at the hidden layer's 8 elements at `at` (n of them exist) from the product v:
 * dropout's stored mask (use_mask: kept ? v * scale : 0, as ar_dropout's AR_DROP_APPLY), then
 * v * act'(a) (as ar_act_backward). */
static inline float8 ar_dz_epilogue(float8 v, __global const uchar *mask, int use_mask,
                                    float scale, __global const float *a, int act, size_t at,
                                    int n) {
    if (use_mask) v = select((float8)(0.0f), v * scale, ar_keep8(mask + at, n));
    return v * ar_act_grad8(ar_load8(a + at, n), act);
}

/* The gradient at the last hidden layer in one pass: dz (B, H) = SpMM(dyk, W) (ar_sp_spmm's
 * gradient form: W (cols, H) at w_off, no bias), then dropout's stored mask (use_mask: kept ?
 * z * scale : 0, as ar_dropout's AR_DROP_APPLY) and the activation's derivative from the forward
 * output a (B, H) (z * act'(a), as ar_act_backward). Instead of three passes over dz, one: the
 * same operations on each element in the same order, so the same bits as the three kernels
 * (test sparse::sp_spmm_backward). The range is ar_sp_spmm's. */
__kernel void ar_sp_spmm_backward(__global float *out, __global const float *ck,
                                  __global const float *w, int w_off,
                                  __global const int *row_ptr, __global const int *col_idx,
                                  __global const int *rows, int rows_off, int B, int H,
                                  __global const uchar *mask, int use_mask, float scale,
                                  __global const float *a, int act) {
    int h = AR_SPMM_WIDTH * (int)get_global_id(0), b = (int)get_global_id(1);
    if (h >= H || b >= B) return;
    const int h0 = ar_window(h, H, AR_SPMM_WIDTH), n0 = H - h0;
    float8 z[AR_SPMM_V];
    ar_row_product(z, w + w_off + h0, ck, row_ptr, col_idx, rows[rows_off + b], H, n0);
    const size_t at = (size_t)b * (size_t)H + (size_t)h0;
    _Pragma("unroll") for (int i = 0; i < AR_SPMM_V; i++) {
        const int n = n0 - 8 * i;
        if (n <= 0) break;
        ar_store8_from(out + at + 8 * i,
                       ar_dz_epilogue(z[i], mask, use_mask, scale, a, act, at + 8 * i, n), n,
                       h - h0 - 8 * i);
    }
}

/* The dot product a . w over H floats, w a row of W: as pairs of float8 accumulators over
 * h % 16 < 8 and >= 8, reduced in a fixed order, then the last H % 16 one by one. */
static inline float ar_dot_reduce(float8 acc0, float8 acc1, __global const float *ab,
                                  __global const float *wu, int H16, int H) {
    float8 acc = acc0 + acc1;
    float z = ((acc.s0 + acc.s1) + (acc.s2 + acc.s3)) + ((acc.s4 + acc.s5) + (acc.s6 + acc.s7));
    for (int h = H16; h < H; h++) z += ab[h] * wu[h];
    return z;
}

/* The partial sums of the dot products x . y_j over the first H16 floats for j < cnt (1 to 4):
 * p[2j] over h % 16 < 8 and p[2j + 1] over h % 16 >= 8 (ar_dot_reduce adds them and the tail).
 * Four rows at a time share each float8 of x and give four independent FMA chains (one chain
 * was latency bound); when fewer are left, two and then one, never a padding row: an SDDMM
 * lane's last round had computed on copies of its first row, 41% more dot products than
 * entries at ML-100K's row lengths by rows, 2.8x from the batch CSC (docs/performance.md,
 * s14). Each sum runs in the same order whichever loop computes it: the same bits. */
static inline void ar_dot_parts(float8 *p, __global const float *x, __global const float *y0,
                                __global const float *y1, __global const float *y2,
                                __global const float *y3, int cnt, int H16) {
    _Pragma("unroll") for (int j = 0; j < 8; j++) p[j] = (float8)(0.0f);
    if (cnt >= 4) {
        for (int h = 0; h < H16; h += 16) {
            float8 x0 = vload8(0, x + h), x1 = vload8(0, x + h + 8);
            p[0] += x0 * vload8(0, y0 + h);
            p[1] += x1 * vload8(0, y0 + h + 8);
            p[2] += x0 * vload8(0, y1 + h);
            p[3] += x1 * vload8(0, y1 + h + 8);
            p[4] += x0 * vload8(0, y2 + h);
            p[5] += x1 * vload8(0, y2 + h + 8);
            p[6] += x0 * vload8(0, y3 + h);
            p[7] += x1 * vload8(0, y3 + h + 8);
        }
        return;
    }
    if (cnt >= 2)
        for (int h = 0; h < H16; h += 16) {
            float8 x0 = vload8(0, x + h), x1 = vload8(0, x + h + 8);
            p[0] += x0 * vload8(0, y0 + h);
            p[1] += x1 * vload8(0, y0 + h + 8);
            p[2] += x0 * vload8(0, y1 + h);
            p[3] += x1 * vload8(0, y1 + h + 8);
        }
    if (cnt == 1)
        for (int h = 0; h < H16; h += 16) {
            p[0] += vload8(0, x + h) * vload8(0, y0 + h);
            p[1] += vload8(0, x + h + 8) * vload8(0, y0 + h + 8);
        }
    if (cnt == 3)
        for (int h = 0; h < H16; h += 16) {
            p[4] += vload8(0, x + h) * vload8(0, y2 + h);
            p[5] += vload8(0, x + h + 8) * vload8(0, y2 + h + 8);
        }
}

/* yk[k] = act(bias[u_k] + a[b, :] . W[u_k, :]) at the positions (pos_ptr, pos_idx) of row b:
 * the training entries while training, the test or validation entries when scoring. Each row
 * is shared by AR_SDDMM_LANES work-items, entry j of the row going to lane j % LANES. A lane
 * takes its entries up to four at a time (k, k + LANES, k + 2 LANES, k + 3 LANES:
 * ar_dot_parts), each float8 of the row of a loaded once for all of them. Every entry's sum
 * runs in the same order as alone. */
__kernel void ar_sp_sddmm(__global float *yk, __global const float *a, __global const float *w,
                          int w_off, int b_off, __global const int *pos_ptr,
                          __global const int *pos_idx, __global const int *rows, int rows_off,
                          int B, int H, int act) {
    size_t i = get_global_id(0);
    if (i >= (size_t)B * AR_SDDMM_LANES) return;
    int b = (int)(i / AR_SDDMM_LANES), lane = (int)(i % AR_SDDMM_LANES);
    int r = rows[rows_off + b], end = pos_ptr[r + 1];
    __global const float *ab = a + (size_t)b * (size_t)H, *wb = w + w_off;
    const int H16 = H - H % 16, L = AR_SDDMM_LANES;
    for (int k = pos_ptr[r] + lane; k < end; k += 4 * L) {
        const int cnt = min(4, (end - k + L - 1) / L); /* entries of the four that exist */
        int u0 = pos_idx[k], u1 = cnt > 1 ? pos_idx[k + L] : u0;
        int u2 = cnt > 2 ? pos_idx[k + 2 * L] : u0, u3 = cnt > 3 ? pos_idx[k + 3 * L] : u0;
        __global const float *w0 = wb + (size_t)u0 * (size_t)H, *w1 = wb + (size_t)u1 * (size_t)H;
        __global const float *w2 = wb + (size_t)u2 * (size_t)H, *w3 = wb + (size_t)u3 * (size_t)H;
        float8 p[8];
        ar_dot_parts(p, ab, w0, w1, w2, w3, cnt, H16);
        yk[k] = ar_activate(ar_dot_reduce(p[0], p[1], ab, w0, H16, H) + w[b_off + u0], act);
        if (cnt > 1)
            yk[k + L] = ar_activate(ar_dot_reduce(p[2], p[3], ab, w1, H16, H) + w[b_off + u1], act);
        if (cnt > 2)
            yk[k + 2 * L] =
                ar_activate(ar_dot_reduce(p[4], p[5], ab, w2, H16, H) + w[b_off + u2], act);
        if (cnt > 3)
            yk[k + 3 * L] =
                ar_activate(ar_dot_reduce(p[6], p[7], ab, w3, H16, H) + w[b_off + u3], act);
    }
}

/* ar_sp_sddmm in a GPU's shape (kernel parameter sddmm_split, the default off CPUs): P
 * work-groups per batch row (b = the group's index / P), their work-items in teams of S (a
 * power of two, at most the group's size G, which is a multiple of S), one team per entry: G /
 * S entries of the row at a time in each of the row's P groups. One group per row ran the
 * longest row's entries in series (on an H200, a 70k-entry row made an epoch's SDDMMs 1.8 s:
 * docs/performance.md, GPUs); the host picks P to give the device work enough. Lane j of a team sums a[b, h] W[u, h] over h = j, j + S, j + 2 S, ...,
 * so a team's loads at each step are S neighbouring floats of one weight row (coalesced, where
 * ar_sp_sddmm's lanes each read their own row), then the team adds its S partial sums in a
 * fixed tree in local memory (part: G floats): deterministic, and another order than
 * ar_sp_sddmm's (within the same tolerance of the reference). B x P x G work-items: 16k P at
 * B = 256, G = 64, against ar_sp_sddmm's 2k (docs/performance.md, GPU portability review). */
__kernel void ar_sp_sddmm_split(__global float *yk, __global const float *a,
                                __global const float *w, int w_off, int b_off,
                                __global const int *pos_ptr, __global const int *pos_idx,
                                __global const int *rows, int rows_off, int H, int act, int S,
                                int P, __local float *part) {
    const int g = (int)get_group_id(0), b = g / P, t = (int)get_local_id(0);
    const int team = t / S, lane = t % S, teams = (int)get_local_size(0) / S;
    const int r = rows[rows_off + b], end = pos_ptr[r + 1];
    __global const float *ab = a + (size_t)b * (size_t)H;
    /* every work-item of the group runs the loop the same number of times: the barriers are
     * uniform */
    for (int k0 = pos_ptr[r] + (g % P) * teams; k0 < end; k0 += P * teams) {
        const int k = k0 + team;
        const int u = k < end ? pos_idx[k] : 0;
        float s = 0.0f;
        if (k < end) {
            __global const float *wu = w + w_off + (size_t)u * (size_t)H;
            for (int h = lane; h < H; h += S) s += ab[h] * wu[h];
        }
        part[t] = s;
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int gap = S / 2; gap > 0; gap /= 2) {
            if (lane < gap) part[t] += part[t + gap];
            barrier(CLK_LOCAL_MEM_FENCE);
        }
        if (lane == 0 && k < end) yk[k] = ar_activate(part[t] + w[b_off + u], act);
        barrier(CLK_LOCAL_MEM_FENCE); /* part is written again by the next entries */
    }
}

/* ar_sp_sddmm at the batch's training entries, walked by column from the batch's CSC (col_ptr
 * from col_off, ent_b / ent_k, as ar_sp_weight_grad): yk[k] = act(bias[u] + a[b, :] . W[u, :])
 * for each entry (b, k) of column u. AR_SDDMM_LANES work-items share a column, up to four
 * entries at a time per lane, so a weight row is read once per batch (it stays in L1 across its
 * column's entries) instead of once per entry, and the rows of a (B, H) stay in L2. Each dot
 * product runs in ar_sp_sddmm's order: the same bits. Training only (scoring has no CSC of its
 * positions). */
__kernel void ar_sp_sddmm_csc(__global float *yk, __global const float *a,
                              __global const float *w, int w_off, int b_off,
                              __global const int *col_ptr, int col_off,
                              __global const int *ent_b, __global const int *ent_k, int cols,
                              int H, int act) {
    size_t i = get_global_id(0);
    if (i >= (size_t)cols * AR_SDDMM_LANES) return;
    int u = (int)(i / AR_SDDMM_LANES), lane = (int)(i % AR_SDDMM_LANES);
    int end = col_ptr[col_off + u + 1];
    __global const float *wu = w + w_off + (size_t)u * (size_t)H;
    const int H16 = H - H % 16, L = AR_SDDMM_LANES;
    const float bias = w[b_off + u];
    for (int e = col_ptr[col_off + u] + lane; e < end; e += 4 * L) {
        const int cnt = min(4, (end - e + L - 1) / L);
        int b0 = ent_b[e], b1 = cnt > 1 ? ent_b[e + L] : b0;
        int b2 = cnt > 2 ? ent_b[e + 2 * L] : b0, b3 = cnt > 3 ? ent_b[e + 3 * L] : b0;
        __global const float *a0 = a + (size_t)b0 * (size_t)H, *a1 = a + (size_t)b1 * (size_t)H;
        __global const float *a2 = a + (size_t)b2 * (size_t)H, *a3 = a + (size_t)b3 * (size_t)H;
        float8 p[8];
        ar_dot_parts(p, wu, a0, a1, a2, a3, cnt, H16);
        yk[ent_k[e]] = ar_activate(ar_dot_reduce(p[0], p[1], a0, wu, H16, H) + bias, act);
        if (cnt > 1)
            yk[ent_k[e + L]] = ar_activate(ar_dot_reduce(p[2], p[3], a1, wu, H16, H) + bias, act);
        if (cnt > 2)
            yk[ent_k[e + 2 * L]] =
                ar_activate(ar_dot_reduce(p[4], p[5], a2, wu, H16, H) + bias, act);
        if (cnt > 3)
            yk[ent_k[e + 3 * L]] =
                ar_activate(ar_dot_reduce(p[6], p[7], a3, wu, H16, H) + bias, act);
    }
}

/* One entry of the loss: its gradient 2 scale (y - r) act'(y) returned, (y - r)^2 added to the
 * row's Kahan sum (sum, comp). Shared by ar_sp_loss_backward and ar_sp_decode_backward. */
static inline float ar_loss_entry(float y, float r, float scale, int act, float *sum,
                                  float *comp) {
    float d = y - r;
    ar_kahan_add(sum, comp, d * d);
    return 2.0f * scale * d * ar_act_grad_from_out(y, act);
}

/* Training's decoder, its loss and the gradient at the last hidden layer in one pass over
 * each row's entries (kernel parameter sp_fuse, on CPUs): what ar_sp_sddmm (yk),
 * ar_sp_loss_backward (dyk, row_loss) and ar_sp_spmm_backward (dz) compute, bit for bit, with
 * each weight row read once from L3 instead of twice: for each block of AR_SP_BLOCK entries of
 * row b, the outputs yk and their gradients dyk four at a time (ar_dot_parts, as SDDMM's
 * lanes), then dz[b, :] += the block's sum of dyk * W[u, :] (ar_gather_sum's block, its
 * weight rows now in L2), dz[b, :] holding the running sum between blocks; last, dropout's
 * mask and g' (ar_dz_epilogue). One work-item per row: the rows of a batch are enough work for
 * a CPU's cores, not for a GPU's (which keeps the three kernels). a: the decoder's input (the
 * last hidden layer after dropout), act_out: that layer's output before dropout, for g'.
 * Column tiles (ar_tile_sum): the entries of weight rows [u_lo, u_hi) only, the row's state
 * waiting between tiles in dz (the sum), part (B, H) (the open block's partial sum) and
 * part[st_off + 2 b ..] (the loss's Kahan sum); one tile [0, cols) with last = 1 is the whole
 * pass, part then never touched. */
__kernel void ar_sp_decode_backward(__global float *yk, __global float *dyk,
                                    __global float *row_loss, __global float *dz,
                                    __global const float *a, __global const float *w, int w_off,
                                    int b_off, __global const int *row_ptr,
                                    __global const int *col_idx, __global const float *vals,
                                    __global const int *rows, int rows_off, int B, int H,
                                    int out_act, float scale, __global const uchar *mask,
                                    int use_mask, float mscale, __global const float *act_out,
                                    int act, __global float *part, int st_off, int u_lo,
                                    int u_hi, int last) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    const int r = rows[rows_off + b], k0 = row_ptr[r], end = row_ptr[r + 1];
    const int s0 = ar_lower_bound(col_idx, k0, end, u_lo);
    const int t0 = ar_lower_bound(col_idx, s0, end, u_hi);
    __global const float *ab = a + (size_t)b * (size_t)H, *wb = w + w_off;
    __global float *zb = dz + (size_t)b * (size_t)H, *pb = part + (size_t)b * (size_t)H;
    const int H16 = H - H % 16;
    float sum = 0.0f, comp = 0.0f;
    if (u_lo == 0) {
        for (int h = 0; h < H; h += 8) ar_store8(zb + h, (float8)(0.0f), H - h);
    } else {
        sum = part[st_off + 2 * b], comp = part[st_off + 2 * b + 1];
    }
    for (int blk = s0; blk < t0;) {
        /* the block's entries in this tile: [blk, bend) */
        const int bfirst = (blk - k0) % AR_SP_BLOCK == 0, bstop = ar_block_end(k0, blk);
        const int bend = min(bstop, t0), flush = bend == bstop || bend == end;
        for (int k = blk; k < bend; k += 4) {
            const int cnt = min(4, bend - k);
            int u0 = col_idx[k], u1 = cnt > 1 ? col_idx[k + 1] : u0;
            int u2 = cnt > 2 ? col_idx[k + 2] : u0, u3 = cnt > 3 ? col_idx[k + 3] : u0;
            __global const float *w0 = wb + (size_t)u0 * (size_t)H;
            __global const float *w1 = wb + (size_t)u1 * (size_t)H;
            __global const float *w2 = wb + (size_t)u2 * (size_t)H;
            __global const float *w3 = wb + (size_t)u3 * (size_t)H;
            float8 p[8];
            ar_dot_parts(p, ab, w0, w1, w2, w3, cnt, H16);
            float y[4];
            y[0] = ar_activate(ar_dot_reduce(p[0], p[1], ab, w0, H16, H) + w[b_off + u0], out_act);
            if (cnt > 1)
                y[1] = ar_activate(ar_dot_reduce(p[2], p[3], ab, w1, H16, H) + w[b_off + u1],
                                   out_act);
            if (cnt > 2)
                y[2] = ar_activate(ar_dot_reduce(p[4], p[5], ab, w2, H16, H) + w[b_off + u2],
                                   out_act);
            if (cnt > 3)
                y[3] = ar_activate(ar_dot_reduce(p[6], p[7], ab, w3, H16, H) + w[b_off + u3],
                                   out_act);
            for (int j = 0; j < cnt; j++) {
                yk[k + j] = y[j];
                dyk[k + j] = ar_loss_entry(y[j], vals[k + j], scale, out_act, &sum, &comp);
            }
        }
        for (int h = 0; h < H; h += AR_SP_WIDTH) {
            /* a moved last window (ar_window) reads the columns before h after this loop's
             * previous round stored them: computed on, never stored again */
            const int h0 = ar_window(h, H, AR_SP_WIDTH), n0 = H - h0;
            float8 p[AR_SP_V];
            _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++)
                p[i] = bfirst ? (float8)(0.0f) : ar_load8(pb + h0 + 8 * i, n0 - 8 * i);
            ar_gather_part(p, wb + h0, col_idx, dyk, blk, bend, H, n0);
            _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) {
                const int n = n0 - 8 * i, first = h - h0 - 8 * i;
                if (flush)
                    ar_store8_from(zb + h0 + 8 * i, ar_load8(zb + h0 + 8 * i, n) + p[i], n,
                                   first);
                else ar_store8_from(pb + h0 + 8 * i, p[i], n, first);
            }
        }
        blk = bend;
    }
    if (!last) {
        part[st_off + 2 * b] = sum, part[st_off + 2 * b + 1] = comp;
        return;
    }
    row_loss[r] = sum;
    const size_t at = (size_t)b * (size_t)H;
    for (int h = 0; h < H; h += 8)
        ar_store8(zb + h,
                  ar_dz_epilogue(ar_load8(zb + h, H - h), mask, use_mask, mscale, act_out, act,
                                 at + (size_t)h, H - h),
                  H - h);
}

/* At each training entry k of row b: dyk[k] = 2 scale (yk - r) act'(yk) and
 * row_loss[row] = sum over the row of (yk - r)^2 (Kahan). One work-item per row. */
__kernel void ar_sp_loss_backward(__global float *dyk, __global float *row_loss,
                                  __global const float *yk, __global const int *row_ptr,
                                  __global const float *vals, __global const int *rows,
                                  int rows_off, int B, float scale, int act) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    int r = rows[rows_off + b];
    float sum = 0.0f, comp = 0.0f;
    for (int k = row_ptr[r]; k < row_ptr[r + 1]; k++)
        dyk[k] = ar_loss_entry(yk[k], vals[k], scale, act, &sum, &comp);
    row_loss[r] = sum;
}

/* ar_sp_loss_backward with each row's entries in P contiguous chunks (kernel parameter
 * row_split, a GPU's): work-item b P + p computes the chunk's dyk, as ar_sp_loss_backward does,
 * and its squared errors' Kahan sum into part[b P + p] (sum) and part[B P + b P + p] (its
 * compensation); ar_sp_loss_join adds a row's chunks in order. */
__kernel void ar_sp_loss_part(__global float *dyk, __global float *part,
                              __global const float *yk, __global const int *row_ptr,
                              __global const float *vals, __global const int *rows,
                              int rows_off, int B, float scale, int act, int P) {
    const int bp = (int)get_global_id(0);
    if (bp >= B * P) return;
    int lo, hi;
    ar_row_chunk(row_ptr, rows[rows_off + bp / P], P, bp % P, &lo, &hi);
    float sum = 0.0f, comp = 0.0f;
    for (int k = lo; k < hi; k++) dyk[k] = ar_loss_entry(yk[k], vals[k], scale, act, &sum, &comp);
    part[bp] = sum;
    part[(size_t)B * P + bp] = comp;
}

/* row_loss[r] of each batch row b: its P chunks' sums from ar_sp_loss_part, in order, each
 * chunk's compensation carried into the row's Kahan sum. */
__kernel void ar_sp_loss_join(__global float *row_loss, __global const float *part,
                              __global const int *rows, int rows_off, int B, int P) {
    const int b = (int)get_global_id(0);
    if (b >= B) return;
    float sum = 0.0f, comp = 0.0f;
    for (int p = 0; p < P; p++) {
        ar_kahan_add(&sum, &comp, part[b * P + p]);
        ar_kahan_add(&sum, &comp, -part[(size_t)B * P + b * P + p]);
    }
    row_loss[rows[rows_off + b]] = sum;
}

/* row_err (2, n_rows): row_err[row] = sum over the row's entries of (clamp(yk + offs, lo, hi) -
 * r)^2, row_err[n_rows + row] = the sum of |clamp(yk + offs, lo, hi) - r|: scoring; offs (per
 * entry) only when use_offs is set, as in ar_masked_sse. A non-finite output makes both sums
 * NaN (as there). */
__kernel void ar_sp_sse(__global float *row_err, __global const float *yk,
                        __global const int *pos_ptr, __global const float *vals,
                        __global const float *offs, int use_offs, __global const int *rows,
                        int rows_off, int B, int n_rows, float lo, float hi) {
    int b = (int)get_global_id(0);
    if (b >= B) return;
    int r = rows[rows_off + b];
    float sum = 0.0f, comp = 0.0f, asum = 0.0f, acomp = 0.0f;
    for (int k = pos_ptr[r]; k < pos_ptr[r + 1]; k++) {
        float y = yk[k];
        if (use_offs) y += offs[k];
        float d = (isfinite(y) ? clamp(y, lo, hi) : NAN) - vals[k];
        ar_kahan_add(&sum, &comp, d * d);
        ar_kahan_add(&asum, &acomp, fabs(d));
    }
    row_err[r] = sum;
    row_err[n_rows + r] = asum;
}

/* dW (cols, H) at dw_off: dW[u, h] = sum over the batch's entries (b, k) in column u of
 * ck[k] * in[b, h], from the batch's CSC: entries col_ptr[col_off + u] .. col_ptr[col_off + u
 * + 1] of ent_b / ent_k (b ascending). Columns without an entry get 0. A 2-D range as in
 * ar_sp_spmm: dimension 0 is h / AR_SP_WIDTH, dimension 1 is u, so a work-group shares its
 * column. */
/* s[0 .. AR_SP_V) = columns h .. h + AR_SP_WIDTH of dW[u, :], as ar_sp_weight_grad defines it
 * (n0 = H - h of them exist). */
static inline void ar_weight_grad_row(float8 *s, __global const float *ck,
                                      __global const float *in, __global const int *col_ptr,
                                      int col_off, __global const int *ent_b,
                                      __global const int *ent_k, int u, int h, int H, int n0) {
    _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) s[i] = (float8)(0.0f);
    ar_gather_sum(s, in + h, ent_b, ck, ent_k, col_ptr[col_off + u], col_ptr[col_off + u + 1], H,
                  n0);
}

__kernel void ar_sp_weight_grad(__global float *dw, int dw_off, __global const float *ck,
                                __global const float *in, __global const int *col_ptr,
                                int col_off, __global const int *ent_b,
                                __global const int *ent_k, int cols, int H) {
    int h = AR_SP_WIDTH * (int)get_global_id(0), u = (int)get_global_id(1);
    if (h >= H || u >= cols) return;
    int n0 = H - h;
    float8 s[AR_SP_V];
    ar_weight_grad_row(s, ck, in, col_ptr, col_off, ent_b, ent_k, u, h, H, n0);
    __global float *d = dw + dw_off + (size_t)u * (size_t)H + h;
    _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) ar_store8(d + 8 * i, s[i], n0 - 8 * i);
}

/* ar_sp_weight_grad and ar_adam in one pass, training's step for the first and last weight
 * matrices: the gradient of W (cols, H) at w_off in p, summed as ar_sp_weight_grad sums it, L2
 * added, and Adam's step applied there and then (ar_adam8), so the gradient is never written
 * to memory and read back: 24 bytes per weight instead of 32 (docs/performance.md). The same
 * arithmetic as the two kernels in turn. */
__kernel void ar_sp_weight_adam(__global float *p, __global float *m, __global float *v,
                                int w_off, __global const float *ck, __global const float *in,
                                __global const int *col_ptr, int col_off,
                                __global const int *ent_b, __global const int *ent_k, int cols,
                                int H, float step, float b1, float b2, float eps, float rs2,
                                float l2) {
    int h = AR_SP_WIDTH * (int)get_global_id(0), u = (int)get_global_id(1);
    if (h >= H || u >= cols) return;
    int n0 = H - h;
    float8 s[AR_SP_V];
    ar_weight_grad_row(s, ck, in, col_ptr, col_off, ent_b, ent_k, u, h, H, n0);
    const size_t base = (size_t)w_off + (size_t)u * (size_t)H + (size_t)h;
    _Pragma("unroll") for (int i = 0; i < AR_SP_V; i++) {
        const int n = n0 - 8 * i;
        const size_t e = base + 8 * (size_t)i;
        if (n >= 8) {
            float8 pi = vload8(0, p + e);
            vstore8(ar_adam8(pi, s[i] + l2 * pi, m, v, e, step, b1, b2, eps, rs2), 0, p + e);
        } else if (n > 0) { /* the row's last columns, one by one as ar_adam does its ends */
            float g[8];
            vstore8(s[i], 0, g);
            for (int j = 0; j < n; j++)
                p[e + j] = ar_adam1(p[e + j], g[j] + l2 * p[e + j], m, v, e + j, step, b1, b2,
                                    eps, rs2);
        }
    }
}

/* Training's step for the last and first layers' biases in one launch, their gradients never
 * stored: the first (H + 31) / 32 work-items take the encoder's biases (at enc_off) 32 at a time
 * (one = 0: a CPU's) or the first H one each (one = 1: a GPU's, kernel parameter row_split),
 * their gradient in's (B, H) column sums as ar_colsum sums them (the longest work-items first,
 * so that the others fill the cores around them); work-item n_enc + u the decoder's bias of
 * column u (at dec_off), its gradient summed as ar_sp_bias_grad sums it (ck over the column's
 * entries in the batch CSC). Adam as ar_adam does it (no L2 on biases). One launch
 * and no stored gradient instead of ar_sp_bias_grad, ar_colsum and ar_adam over the biases
 * (docs/performance.md, s17). */
__kernel void ar_sp_bias_adam(__global float *p, __global float *m, __global float *v,
                              int dec_off, int enc_off, __global const float *ck,
                              __global const int *col_ptr, int col_off,
                              __global const int *ent_k, int cols, __global const float *in,
                              int B, int H, float step, float b1, float b2, float eps,
                              float rs2, int one) {
    const int i = (int)get_global_id(0), n_enc = one ? H : (H + 31) / 32;
    if (i >= n_enc) {
        const int u = i - n_enc;
        if (u >= cols) return;
        float sum = 0.0f, comp = 0.0f;
        for (int e = col_ptr[col_off + u]; e < col_ptr[col_off + u + 1]; e++)
            ar_kahan_add(&sum, &comp, ck[ent_k[e]]);
        const size_t at = (size_t)dec_off + (size_t)u;
        p[at] = ar_adam1(p[at], sum, m, v, at, step, b1, b2, eps, rs2);
        return;
    }
    if (one) { /* one encoder bias per work-item (a GPU's: H work-items reading neighbouring
                * floats of each row, where 16 ran the whole batch in series) */
        float sum = 0.0f, comp = 0.0f;
        for (int b = 0; b < B; b++) ar_kahan_add(&sum, &comp, in[(size_t)b * (size_t)H + i]);
        const size_t at = (size_t)enc_off + (size_t)i;
        p[at] = ar_adam1(p[at], sum, m, v, at, step, b1, b2, eps, rs2);
        return;
    }
    /* 32 encoder biases: four independent Kahan sums down the rows (one sum's chain of
     * dependent adds per row was what bounded it) */
    const int h = 32 * i, n0 = H - h;
    float8 sum[4], comp[4];
    _Pragma("unroll") for (int q = 0; q < 4; q++) sum[q] = comp[q] = (float8)(0.0f);
    for (int b = 0; b < B; b++) {
        __global const float *row = in + (size_t)b * (size_t)H + h;
        _Pragma("unroll") for (int q = 0; q < 4; q++)
            if (n0 > 8 * q) ar_kahan_add8(&sum[q], &comp[q], ar_load8(row + 8 * q, n0 - 8 * q));
    }
    _Pragma("unroll") for (int q = 0; q < 4; q++) {
        const int n = n0 - 8 * q;
        const size_t at = (size_t)enc_off + (size_t)h + 8 * (size_t)q;
        if (n >= 8) {
            vstore8(ar_adam8(vload8(0, p + at), sum[q], m, v, at, step, b1, b2, eps, rs2), 0,
                    p + at);
        } else if (n > 0) {
            /* all 8 lanes, unrolled: g's indices are constants, so g stays in registers (a
             * loop to n indexes it by a variable: a stack frame on NVIDIA, bench/gpu_isa.py) */
            float g[8];
            vstore8(sum[q], 0, g);
            _Pragma("unroll") for (int j = 0; j < 8; j++) if (j < n)
                p[at + j] = ar_adam1(p[at + j], g[j], m, v, at + j, step, b1, b2, eps, rs2);
        }
    }
}

/* dbias[u] (at db_off) = sum over the batch's entries in column u of ck[k]. One work-item per
 * column. */
__kernel void ar_sp_bias_grad(__global float *db, int db_off, __global const float *ck,
                              __global const int *col_ptr, int col_off,
                              __global const int *ent_k, int cols) {
    int u = (int)get_global_id(0);
    if (u >= cols) return;
    float sum = 0.0f, comp = 0.0f;
    for (int e = col_ptr[col_off + u]; e < col_ptr[col_off + u + 1]; e++)
        ar_kahan_add(&sum, &comp, ck[ent_k[e]]);
    db[db_off + u] = sum;
}

