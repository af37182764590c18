/* adam.cl - one Adam step over the flat parameter buffer, with L2 on the first n_decay
 * parameters (the weight matrices; biases come after them and are not decayed):
 *   g = grad + l2 * p            (only for i < n_decay)
 *   m = b1 m + (1 - b1) g        v = b2 v + (1 - b2) g^2
 *   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
 * bc1 = 1 - b1^t and bc2 = 1 - b2^t are computed on the host in double for step t. */
__kernel void ar_adam(__global float *p, __global const float *grad, __global float *m,
                      __global float *v, int n, int n_decay, float lr, float b1, float b2,
                      float eps, float bc1, float bc2, float l2) {
    int i = (int)get_global_id(0);
    if (i >= n) return;
    float g = grad[i];
    if (i < n_decay) g += l2 * p[i];
    float mi = b1 * m[i] + (1.0f - b1) * g;
    float vi = b2 * v[i] + (1.0f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] -= lr * (mi / bc1) / (sqrt(vi / bc2) + eps);
}
