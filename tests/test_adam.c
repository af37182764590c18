/* test_adam.c - the Adam kernel against values computed by hand (Python, double precision):
 *   m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2,  p -= lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * with g = grad + l2 p for decayed parameters. lr 0.1, b1 0.9, b2 0.999, eps 1e-8. */
#include "testutil.h"

Test(adam, three_steps_by_hand) {
    ar_ctx *ctx = tu_ctx();
    /* p0: no decay, grads 0.5, -1, 0.25.  p1: decayed with l2 0.5, grads 0.3, -0.2, 0.1.
     * p2: same grads as p1 but past n_decay, so not decayed. */
    float p[3] = {1.0f, 2.0f, 2.0f}, zero[3] = {0, 0, 0};
    const float grads[3][3] = {{0.5f, 0.3f, 0.3f}, {-1.0f, -0.2f, -0.2f}, {0.25f, 0.1f, 0.1f}};
    const double want[3][3] = {{0.900000002, 1.9000000007692308, 1.9000000033333333},
                               {0.9366103542405654, 1.8047676285279353, 1.8855479509285968},
                               {0.9502794203389762, 1.7080660365693185, 1.8576970608345973}};
    /* On the device the decayed parameter comes first (n_decay = 1, l2 = 0.5): order p1, p0, p2. */
    float order_p[3] = {p[1], p[0], p[2]};
    cl_mem dp = tu_buffer(ctx, 3, order_p), dm = tu_buffer(ctx, 3, zero),
           dv = tu_buffer(ctx, 3, zero);
    for (int t = 1; t <= 3; t++) {
        float g[3] = {grads[t - 1][1], grads[t - 1][0], grads[t - 1][2]};
        cl_mem dg = tu_buffer(ctx, 3, g);
        double bc1 = 1 - pow(0.9, t), bc2 = 1 - pow(0.999, t);
        ar_status st = ark_adam(ctx, dp, dg, dm, dv, 3, 1, 0.1f, 0.9f, 0.999f, 1e-8f, (float)bc1,
                                (float)bc2, 0.5f);
        cr_assert(st == AR_OK, "%s", ar_last_error());
        float got[3];
        tu_read(ctx, dp, 3, got);
        const float expect[3] = {(float)want[t - 1][1], (float)want[t - 1][0],
                                 (float)want[t - 1][2]};
        char what[32];
        snprintf(what, sizeof what, "adam step %d", t);
        tu_compare(what, got, expect, 3, 1e-6, 1e-6);
        clReleaseMemObject(dg);
    }
    ar_ctx_free(ctx);
}
