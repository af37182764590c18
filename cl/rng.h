/* rng.h - the dropout keep decision, compiled both as C (host reference) and as OpenCL C.
 *
 * Each element of a dropout layer draws one Philox4x32-10 block (Random123) with
 *   counter = {element, step, layer, 0}   key = {seed low 32 bits, seed high 32 bits}
 * and keeps the element when the first output word is below a threshold. Counter-based, so the
 * host reference and any device draw the same mask with no state to carry between steps.
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

/* 1 when `element` survives dropout at this (seed, step, layer); threshold = keep * 2^32. */
AR_INLINE int ar_dropout_keep(ar_u32 seed_lo, ar_u32 seed_hi, ar_u32 step, ar_u32 layer,
                              ar_u32 element, ar_u32 threshold) {
    philox4x32_ctr_t ctr = {{element, step, layer, 0u}};
    philox4x32_key_t key = {{seed_lo, seed_hi}};
    philox4x32_ctr_t r = philox4x32(ctr, key);
    return r.v[0] < threshold;
}

#ifdef __OPENCL_VERSION__
/* The first output word of the Philox4x32-10 blocks of 8 elements at once (counter {e, step,
 * layer, 0} per lane, key {k0, k1}): Random123's rounds (philox4x32round, bumpkey) written on
 * uint8, the same integer arithmetic lane by lane, so the masks are bit for bit
 * ar_dropout_keep's (the tests compare them with the host's). PoCL does not vectorise one
 * scalar Philox per work-item across a group; as uint8 it runs 8 lanes per instruction, and the
 * dropout kernels had become the largest phase of the default epoch (dropout 0.6). */
static inline uint8 ar_philox8_first(uint8 e, uint step, uint layer, uint k0, uint k1) {
    uint8 c0 = e, c1 = (uint8)(step), c2 = (uint8)(layer), c3 = (uint8)(0u);
    const uint8 m0 = (uint8)(0xD2511F53u), m1 = (uint8)(0xCD9E8D57u);
    for (int r = 0; r < 10; r++) {
        if (r > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u; /* bumpkey between rounds */
        uint8 hi0 = mul_hi(m0, c0), lo0 = m0 * c0, hi1 = mul_hi(m1, c2), lo1 = m1 * c2;
        c0 = hi1 ^ c1 ^ (uint8)(k0);
        c1 = lo1;
        c2 = hi0 ^ c3 ^ (uint8)(k1);
        c3 = lo0;
    }
    return c0;
}
#endif

#endif /* AR_RNG_H */
