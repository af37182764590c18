/* rng.h - the dropout keep decision, compiled both as C (host reference) and as OpenCL C.
 *
 * Each Philox4x32-10 block (Random123), with
 *   counter = {block, step, layer, 0}   key = {seed low 32 bits, seed high 32 bits},
 * gives four output words, one to each of four elements of a dropout layer: element e takes
 * word (e / 8) % 4 of block (e / 32) * 8 + e % 8 (ar_dropout_block, ar_dropout_word), and is
 * kept when that word is below a threshold. So 32 neighbouring elements share 8 blocks, which a
 * device draws at once as uint8 lanes and reads as four vectors of 8 neighbouring decisions, no
 * shuffles: a quarter of the rounds of a block per element (docs/performance.md, s20).
 * Counter-based, so the host reference and any device draw the same mask with no state to
 * carry between steps, and a shard or a tail drawn element by element gets the same bits.
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

/* The Philox block element e draws from, and which of its four words. */
AR_INLINE ar_u32 ar_dropout_block(ar_u32 e) { return ((e >> 5) << 3) | (e & 7u); }
AR_INLINE ar_u32 ar_dropout_word(ar_u32 e) { return (e >> 3) & 3u; }

/* 1 when `element` survives dropout at this (seed, step, layer); threshold = keep * 2^32. */
AR_INLINE int ar_dropout_keep(ar_u32 seed_lo, ar_u32 seed_hi, ar_u32 step, ar_u32 layer,
                              ar_u32 element, ar_u32 threshold) {
    philox4x32_ctr_t ctr = {{ar_dropout_block(element), step, layer, 0u}};
    philox4x32_key_t key = {{seed_lo, seed_hi}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    return r.v[ar_dropout_word(element)] < threshold;
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

/* The keep decisions of 32 neighbouring elements from e0 (a multiple of 32) on: keep[q] for
 * elements e0 + 8q .. e0 + 8q + 7, the 8 blocks from e0 / 4 on, word q of each. */
static inline void ar_dropout_keep32(int8 *keep, uint e0, uint step, uint layer, uint k0,
                                     uint k1, uint threshold) {
    uint8 w[4];
    ar_philox8(w, (uint8)(e0 >> 2) + (uint8)(0, 1, 2, 3, 4, 5, 6, 7), step, layer, k0, k1);
    _Pragma("unroll") for (int q = 0; q < 4; q++) keep[q] = w[q] < (uint8)(threshold);
}

/* The keep decisions of 8 elements e anywhere (a sparse row's entries): each lane's own block
 * and word. */
static inline int8 ar_dropout_keep8(uint8 e, uint step, uint layer, uint k0, uint k1,
                                    uint threshold) {
    uint8 w[4];
    ar_philox8(w, ((e >> 5) << 3) | (e & (uint8)(7u)), step, layer, k0, k1);
    const uint8 q = (e >> 3) & (uint8)(3u);
    uint8 x = select(select(w[0], w[1], q == (uint8)(1u)), select(w[2], w[3], q == (uint8)(3u)),
                     q >= (uint8)(2u));
    return x < (uint8)(threshold);
}
#endif
#endif /* AR_RNG_H */
