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

#endif /* AR_RNG_H */
