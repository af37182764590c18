/* gather_ceiling.c - what one CPU core can do with the sparse products' access pattern, in
 * plain C with AVX2: the ceiling the OpenCL kernels (cl/sparse.cl) are measured against in
 * docs/performance.md (s14-s18).
 *
 *   autorec_gather_ceiling [ROWS_OF_W]     (default 943: ML-100K's users; 69878: ML-10M's)
 *
 * out[b, :] = sum over 48 random entries e of row b of c_e W[u_e, :], for 256 rows b and H =
 * 512, 32 columns at a time as four 8-float FMAs: the loop of ar_gather_sum. Three layouts and
 * orders, best of 20 repetitions each, in GFLOP/s:
 *   rows     W (ROWS, H) row-major, each row b all of h before the next (the kernels' order);
 *   slices   W stored slice by slice (H / 32 slices of (ROWS, 32)), every row for one slice
 *            before the next, so that the slice stays in L2;
 *   slices2  the same with two accumulator chains (even and odd entries).
 * x86-64 with AVX2 and FMA only (built when the compiler targets it). */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { H = 512, B = 256, PER_ROW = 48, REPS = 20 };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* acc[0..4) += c * the 32 floats at r */
static inline void fma32(__m256 *acc, __m256 c, const float *r) {
    for (int i = 0; i < 4; i++) acc[i] = _mm256_fmadd_ps(c, _mm256_loadu_ps(r + 8 * i), acc[i]);
}

static void store32(float *o, const __m256 *acc) {
    for (int i = 0; i < 4; i++) _mm256_storeu_ps(o + 8 * i, acc[i]);
}

int main(int argc, char **argv) {
    const int U = argc > 1 ? atoi(argv[1]) : 943;
    if (U < 1) {
        fprintf(stderr, "autorec_gather_ceiling: ROWS_OF_W must be a positive integer\n");
        return 2;
    }
    float *W = aligned_alloc(64, (size_t)U * H * sizeof *W);
    float *out = aligned_alloc(64, (size_t)B * H * sizeof *out);
    int *idx = malloc(B * PER_ROW * sizeof *idx);
    float *val = malloc(B * PER_ROW * sizeof *val);
    if (!W || !out || !idx || !val) {
        fprintf(stderr, "autorec_gather_ceiling: out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < (size_t)U * H; i++) W[i] = (float)(i % 7) * 0.1f;
    srand(1);
    for (int i = 0; i < B * PER_ROW; i++) idx[i] = rand() % U, val[i] = 1.0f;
    const char *names[3] = {"rows", "slices", "slices2"};
    for (int mode = 0; mode < 3; mode++) {
        double best = 1e30;
        for (int rep = 0; rep < REPS; rep++) {
            double t0 = now();
            if (mode == 0) /* each row b over every h, as the kernels' work-groups run */
                for (int b = 0; b < B; b++)
                    for (int h = 0; h < H; h += 32) {
                        __m256 a[4];
                        for (int i = 0; i < 4; i++) a[i] = _mm256_setzero_ps();
                        for (int e = b * PER_ROW; e < (b + 1) * PER_ROW; e++)
                            fma32(a, _mm256_set1_ps(val[e]), W + (size_t)idx[e] * H + h);
                        store32(out + (size_t)b * H + h, a);
                    }
            else /* slice by slice: every row for one slice of h, then the next slice */
                for (int h = 0; h < H; h += 32) {
                    const float *slice = W + (size_t)h * U; /* (U, 32) */
                    for (int b = 0; b < B; b++) {
                        __m256 a[4], q[4];
                        for (int i = 0; i < 4; i++) a[i] = q[i] = _mm256_setzero_ps();
                        const int *ix = idx + b * PER_ROW;
                        const float *vx = val + b * PER_ROW;
                        if (mode == 1) {
                            for (int e = 0; e < PER_ROW; e++)
                                fma32(a, _mm256_set1_ps(vx[e]), slice + (size_t)ix[e] * 32);
                        } else {
                            for (int e = 0; e + 1 < PER_ROW; e += 2) {
                                fma32(a, _mm256_set1_ps(vx[e]), slice + (size_t)ix[e] * 32);
                                fma32(q, _mm256_set1_ps(vx[e + 1]),
                                      slice + (size_t)ix[e + 1] * 32);
                            }
                            for (int i = 0; i < 4; i++) a[i] = _mm256_add_ps(a[i], q[i]);
                        }
                        store32(out + (size_t)b * H + h, a);
                    }
                }
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("%-8s W (%d, %d): %6.1f GFLOP/s\n", names[mode], U, H,
               2.0 * B * PER_ROW * H / best * 1e-9);
    }
    free(W); free(out); free(idx); free(val);
    return 0;
}
