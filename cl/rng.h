/* rng.h - the dropout keep decision, compiled both as C (host reference) and as OpenCL C.
 *
 * Each Philox4x32-10 block (Random123), with
 *   counter = {block, step, layer, 0}   key = {seed low 32 bits, seed high 32 bits},
 * gives four 32-bit output words, and each word two 16-bit halves: eight draws, one to each of
 * eight elements of a dropout layer. Element e takes half (e / 32) % 2 of word (e / 8) % 4 of
 * block (e / 64) * 8 + e % 8 (ar_dropout_block, ar_dropout_word, ar_dropout_half), and is kept
 * when that half is below a threshold (keep * 2^16). So 64 neighbouring elements share 8
 * blocks, which a device draws at once as uint8 lanes and reads as eight vectors of 8
 * neighbouring decisions, no shuffles: an eighth of the rounds of a block per element
 * (docs/performance.md, s20 and s25). Counter-based, so the host reference and any device draw
 * the same mask with no state to carry between steps, and a shard or a tail drawn element by
 * element gets the same bits.
 * Before this file: Random123's philox.h (the host includes it, the device gets it inlined).
 */
#ifndef AR_RNG_H
#define AR_RNG_H

#ifdef __OPENCL_VERSION__
typedef uint ar_u32;
#define AR_INLINE static inline
#else
#include <stdint.h>
typedef uint32_t ar_u32;
#define AR_INLINE static inline
#endif

/* The Philox block element e draws from, which of its four words, and which half of it. */
AR_INLINE ar_u32 ar_dropout_block(ar_u32 e) { return ((e >> 6) << 3) | (e & 7u); }
AR_INLINE ar_u32 ar_dropout_word(ar_u32 e) { return (e >> 3) & 3u; }
AR_INLINE ar_u32 ar_dropout_half(ar_u32 e) { return (e >> 5) & 1u; }

/* 1 when `element` survives dropout at this (seed, step, layer); threshold = keep * 2^16
 * (ar_dropout_threshold: 0 .. 65536). */
AR_INLINE int ar_dropout_keep(ar_u32 seed_lo, ar_u32 seed_hi, ar_u32 step, ar_u32 layer,
                              ar_u32 element, ar_u32 threshold) {
    philox4x32_ctr_t ctr = {{ar_dropout_block(element), step, layer, 0u}};
    philox4x32_key_t key = {{seed_lo, seed_hi}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    ar_u32 w = r.v[ar_dropout_word(element)];
    return ((ar_u32)(w >> (16u * ar_dropout_half(element))) & 0xFFFFu) < threshold;
}
#ifdef __OPENCL_VERSION__
/* The four output words w[0 .. 4) of the Philox4x32-10 blocks of 8 counters c at once (counter
 * {c, step, layer, 0} per lane, key {k0, k1}): Random123's rounds (philox4x32round, bumpkey)
 * written on uint8, the same integer arithmetic lane by lane, so the masks are bit for bit
 * ar_dropout_keep's (the tests compare them with the host's). PoCL does not vectorise one
 * scalar Philox per work-item across a group; as uint8 it runs 8 lanes per instruction. */
static inline void ar_philox8(uint8 *w, uint8 c, uint step, uint layer, uint k0, uint k1) {
    uint8 c0 = c, c1 = (uint8)(step), c2 = (uint8)(layer), c3 = (uint8)(0u);
    const uint8 m0 = (uint8)(0xD2511F53u), m1 = (uint8)(0xCD9E8D57u);
    for (int r = 0; r < 10; r++) {
        if (r > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u; /* bumpkey between rounds */
        uint8 hi0 = mul_hi(m0, c0), lo0 = m0 * c0, hi1 = mul_hi(m1, c2), lo1 = m1 * c2;
        c0 = hi1 ^ c1 ^ (uint8)(k0);
        c1 = lo1;
        c2 = hi0 ^ c3 ^ (uint8)(k1);
        c3 = lo0;
    }
    w[0] = c0, w[1] = c1, w[2] = c2, w[3] = c3;
}

/* The keep decisions of 64 neighbouring elements from e0 (a multiple of 64) on: keep[q] for
 * elements e0 + 8q .. e0 + 8q + 7 (q = 0 .. 7), the 8 blocks from e0 / 8 on, word q % 4 of
 * each, its low half for q < 4, its high half after. */
static inline void ar_dropout_keep64(int8 *keep, uint e0, uint step, uint layer, uint k0,
                                     uint k1, uint threshold) {
    uint8 w[4];
    ar_philox8(w, (uint8)(e0 >> 3) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7), step, layer, k0, k1);
    const uint8 t = (uint8)(threshold), lo = (uint8)(0xFFFFu);
    _Pragma("unroll") for (int q = 0; q < 4; q++) {
        keep[q] = (w[q] & lo) < t;
        keep[q + 4] = (w[q] >> 16) < t;
    }
}

/* The keep decisions of 8 elements e anywhere (a sparse row's entries): each lane's own block,
 * word and half. */
static inline int8 ar_dropout_keep8(uint8 e, uint step, uint layer, uint k0, uint k1,
                                    uint threshold) {
    uint8 w[4];
    ar_philox8(w, ((e >> 6) << 3) | (e & (uint8)(7u)), step, layer, k0, k1);
    const uint8 q = (e >> 3) & (uint8)(3u);
    uint8 x = select(select(w[0], w[1], q == (uint8)(1u)), select(w[2], w[3], q == (uint8)(3u)),
                     q >= (uint8)(2u));
    x = select(x & (uint8)(0xFFFFu), x >> 16, ((e >> 5) & (uint8)(1u)) != (uint8)(0u));
    return x < (uint8)(threshold);
}
#endif
#endif /* AR_RNG_H */
