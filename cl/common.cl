/* common.cl - activations shared by the kernels.
 * Before this file the host prepends the AR_ACT_* defines (from ar_activation) and Random123.
 */

/* The scalar activations below are called per entry from the decoder's loops with the
 * activation a run-time argument; PoCL's compiler kept them as calls (a call and a switch per
 * entry: 6% of the sparse kernels' samples), inlined they run the SDDMMs and the fused decoder
 * 2-5% faster, the same bits (docs/performance.md, s22). An attribute of Clang, which PoCL,
 * Rusticl and most vendors' OpenCL compilers are built on; left out elsewhere. */
#if defined(__clang__)
#define AR_ALWAYS_INLINE __attribute__((always_inline))
#else
#define AR_ALWAYS_INLINE
#endif

/* Sigmoid in the stable form: exp() only ever sees a non-positive argument, so it never
 * overflows and 1 + e never loses the small tail. */
static inline AR_ALWAYS_INLINE float ar_sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + exp(-x));
    float e = exp(x);
    return e / (1.0f + e);
}

static inline AR_ALWAYS_INLINE float ar_activate(float x, int act) {
    switch (act) {
    case AR_ACT_SIGMOID: return ar_sigmoid(x);
    case AR_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case AR_ACT_TANH: return tanh(x);
    /* expm1: exp(x) - 1 without cancellation for x near 0 */
    case AR_ACT_ELU: return x > 0.0f ? x : expm1(x);
    case AR_ACT_SELU: return x > 0.0f ? AR_SELU_LAMBDA * x : AR_SELU_LAMBDA * AR_SELU_ALPHA * expm1(x);
    default: return x;
    }
}

/* ar_activate on 8 values at once: the same formulas as vector builtins (the sparse encoder's
 * epilogue computed them one by one, and 16 scalar exp per work-item cost as much as its
 * products on PoCL). select(b, a, c) is c ? a : b per lane, so NaN and the branches' edges go
 * where the scalar form sends them. */
static inline AR_ALWAYS_INLINE float8 ar_activate8(float8 x, int act) {
    const float8 zero = (float8)(0.0f);
    switch (act) {
    case AR_ACT_SIGMOID: { /* the stable form of ar_sigmoid: exp of -|x| only */
        float8 e = exp(-fabs(x));
        return select(e / (1.0f + e), 1.0f / (1.0f + e), x >= zero);
    }
    case AR_ACT_RELU: return select(zero, x, x > zero);
    case AR_ACT_TANH: return tanh(x);
    case AR_ACT_ELU: return select(expm1(x), x, x > zero);
    case AR_ACT_SELU:
        return select(AR_SELU_LAMBDA * AR_SELU_ALPHA * expm1(x), AR_SELU_LAMBDA * x, x > zero);
    default: return x;
    }
}

/* The derivative written in terms of the activation's output y, so that the backward pass needs
 * only the stored outputs. */
static inline AR_ALWAYS_INLINE float ar_act_grad_from_out(float y, int act) {
    switch (act) {
    case AR_ACT_SIGMOID: return y * (1.0f - y);
    case AR_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case AR_ACT_TANH: return 1.0f - y * y;
    /* for x <= 0: elu' = exp(x) = y + 1, selu' = lambda alpha exp(x) = y + lambda alpha */
    case AR_ACT_ELU: return y > 0.0f ? 1.0f : y + 1.0f;
    case AR_ACT_SELU: return y > 0.0f ? AR_SELU_LAMBDA : y + AR_SELU_LAMBDA * AR_SELU_ALPHA;
    default: return 1.0f;
    }
}

/* ar_act_grad_from_out on 8 outputs at once: the same formulas lane by lane (select(b, a, c)
 * is c ? a : b), so the fused backward pass (ar_sp_spmm_backward) gets ar_act_backward's bits. */
static inline AR_ALWAYS_INLINE float8 ar_act_grad8(float8 y, int act) {
    const float8 zero = (float8)(0.0f), one = (float8)(1.0f);
    switch (act) {
    case AR_ACT_SIGMOID: return y * (1.0f - y);
    case AR_ACT_RELU: return select(zero, one, y > zero);
    case AR_ACT_TANH: return 1.0f - y * y;
    case AR_ACT_ELU: return select(y + 1.0f, one, y > zero);
    case AR_ACT_SELU:
        return select(y + AR_SELU_LAMBDA * AR_SELU_ALPHA, (float8)(AR_SELU_LAMBDA), y > zero);
    default: return one;
    }
}

/* Kahan-compensated accumulation (OpenCL 1.2 has no portable double): *sum += y. */
static inline void ar_kahan_add(float *sum, float *comp, float y) {
    float yc = y - *comp;
    float t = *sum + yc;
    *comp = (t - *sum) - yc;
    *sum = t;
}

/* ar_kahan_add on 8 independent sums (lane by lane the same operations). */
static inline void ar_kahan_add8(float8 *sum, float8 *comp, float8 y) {
    float8 yc = y - *comp;
    float8 t = *sum + yc;
    *comp = (t - *sum) - yc;
    *sum = t;
}

/* 8 neighbouring floats from p, or the n < 8 left at the end of a row (zeros after them;
 * nothing is read when n <= 0). The loop's indices are constants once unrolled, so compilers
 * keep t in registers. ar_store8's tail goes lane by lane instead: a loop to n indexes a
 * private array by a variable, which NVIDIA's GPUs keep in (slow) local memory, a stack frame
 * of every kernel that stores a row (bench/gpu_isa.py; docs/performance.md, GPU portability
 * review). */
static inline float8 ar_load8(__global const float *p, int n) {
    if (n >= 8) return vload8(0, p);
    float t[8];
    for (int i = 0; i < 8; i++) t[i] = i < n ? p[i] : 0.0f;
    return vload8(0, t);
}
static inline void ar_store8(__global float *p, float8 v, int n) {
    if (n >= 8) {
        vstore8(v, 0, p);
        return;
    }
    if (n > 0) p[0] = v.s0;
    if (n > 1) p[1] = v.s1;
    if (n > 2) p[2] = v.s2;
    if (n > 3) p[3] = v.s3;
    if (n > 4) p[4] = v.s4;
    if (n > 5) p[5] = v.s5;
    if (n > 6) p[6] = v.s6;
}
