/* adam.cl - one Adam step over the flat parameter buffer (or its range [off, n)), with L2 on
 * the first n_decay parameters (the weight matrices; biases come after them and are not
 * decayed):
 *   g = grad + l2 * p            (only for i < n_decay)
 *   m = b1 m + (1 - b1) g        v = b2 v + (1 - b2) g^2
 *   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
 * bc1 = 1 - b1^t and bc2 = 1 - b2^t are computed on the host in double for step t, and the
 * kernels take the step as p -= step * m / (sqrt(v) * rs2 + eps) with step = lr / bc1 and
 * rs2 = 1 / sqrt(bc2) from the host (the same in exact arithmetic, PyTorch's form): one
 * division and one square root per parameter instead of three divisions and one; on a CPU they
 * share one divider, which bounds the step when the moments are in cache (docs/performance.md,
 * s14).
 * Each work-item updates 8 neighbouring parameters as float8s (what PoCL turns into AVX; a
 * scalar work-item per parameter ran 1.5x slower there), the last few one by one. The sparse
 * path's first and last weight matrices take their step in ar_sp_weight_adam (sparse.cl), which
 * computes their gradient and applies ar_adam8 to it at once. */
/* The step of the parameter pi at i, g its gradient (L2 included): m and v at i updated, the
 * new parameter returned (the scalar form of ar_adam8, for the ends of ranges and rows). */
static inline float ar_adam1(float pi, float g, __global float *m, __global float *v, size_t i,
                             float step, float b1, float b2, float eps, float rs2) {
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    return pi - step * mi / (sqrt(vi) * rs2 + eps);
}

static inline float ar_adam_one(__global float *p, __global const float *grad, __global float *m,
                                __global float *v, int i, int n_decay, float step, float b1,
                                float b2, float eps, float rs2, float l2) {
    float g = grad[i];
    if (i < n_decay) g += l2 * p[i];
    return ar_adam1(p[i], g, m, v, (size_t)i, step, b1, b2, eps, rs2);
}

/* The step of the 8 parameters pi at i, g their gradient (L2 included): m and v at i updated,
 * the new parameters returned. */
static inline float8 ar_adam8(float8 pi, float8 g, __global float *m, __global float *v,
                              size_t i, float step, float b1, float b2, float eps,
                              float rs2) {
    float8 mi = b1 * vload8(0, m + i) + (1.0f - b1) * g;
    float8 vi = b2 * vload8(0, v + i) + (1.0f - b2) * g * g;
    vstore8(mi, 0, m + i);
    vstore8(vi, 0, v + i);
    return pi - step * mi / (sqrt(vi) * rs2 + eps);
}

__kernel void ar_adam(__global float *p, __global const float *grad, __global float *m,
                      __global float *v, int off, int n, int n_decay, float step, float b1,
                      float b2, float eps, float rs2, float l2) {
    int i = off + 8 * (int)get_global_id(0);
    if (i >= n) return;
    if (i + 8 > n || (i < n_decay && i + 8 > n_decay)) { /* the ends: one by one */
        for (int j = i; j < min(i + 8, n); j++)
            p[j] = ar_adam_one(p, grad, m, v, j, n_decay, step, b1, b2, eps, rs2, l2);
        return;
    }
    float8 pi = vload8(0, p + i), g = vload8(0, grad + i);
    if (i < n_decay) g += l2 * pi;
    vstore8(ar_adam8(pi, g, m, v, (size_t)i, step, b1, b2, eps, rs2), 0, p + i);
}
