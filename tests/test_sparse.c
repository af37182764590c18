/* test_sparse.c - the sparse path (cl/sparse.cl): each kernel against its CPU reference
 * (tests/ref/sparse_ref.c) on random data with awkward sizes (H not a multiple of 4, empty rows
 * and columns), outputs poisoned with NaN first; the batch CSC;
 * whole training runs agreeing with the dense path; identical numbers run to run; the auto
 * choice. (test_step checks sparse training steps tensor by tensor against the reference.) */
#include <string.h>

#include "testutil.h"

static void check_status(ar_status st) { cr_assert(st == AR_OK, "%s", ar_last_error()); }

/* A random batch of B distinct rows of m, in a random order. */
static void random_rows(int *rows, int B, int n_rows, ar_rng *rng) {
    int *all = malloc((size_t)n_rows * sizeof *all);
    for (int i = 0; i < n_rows; i++) all[i] = i;
    for (int i = n_rows - 1; i > 0; i--) {
        int j = (int)(ar_rng_next(rng) % (uint64_t)(i + 1)), t = all[i];
        all[i] = all[j];
        all[j] = t;
    }
    memcpy(rows, all, (size_t)B * sizeof *rows);
    free(all);
}

/* The inputs every sparse kernel test draws: a random R x U CSR matrix whose last row has no
 * entry (and is in the batch), a batch of B distinct rows in random order, weights W (U, H) and
 * a bias (U) at offsets of one flat buffer (as in the parameter buffer), values ck at the
 * entries and a hidden layer a (B, H). H % 4 == 3 and H = 23 (16 + 7): the vector tails at
 * every sp_width and spmm_width (8, 16, 32, 64; tests run under $AUTOREC_KERNEL_PARAMS too). */
enum { R = 41, U = 53, B = 13, H = 23, W_OFF = 5, B_OFF = W_OFF + U * H + 3 };
typedef struct {
    ar_ctx *c;
    ar_rng rng;
    ar_csr m;
    int nnz, rows[B];
    float *W, *bias, *ck, *a;     /* (U, H), (U), (nnz), (B, H) */
    float *got, *ref;             /* scratch, max(nnz, U H) each */
    cl_mem ptr, idx, val, drows;  /* the CSR and the batch on the device */
    cl_mem w, dck, da;            /* W and bias at W_OFF / B_OFF in one buffer; ck; a */
} sp_case;

static void sp_case_init_density(sp_case *t, double density) {
    t->c = tu_ctx();
    t->rng.s = tu_seed();
    tu_random_csr(&t->m, R, U, density, &t->rng);
    t->m.row_ptr[R] = t->m.row_ptr[R - 1];
    t->nnz = t->m.row_ptr[R];
    random_rows(t->rows, B, R, &t->rng);
    t->rows[B - 1] = R - 1;
    t->W = malloc((size_t)U * H * sizeof *t->W);
    t->bias = malloc((size_t)U * sizeof *t->bias);
    t->ck = malloc((size_t)t->nnz * sizeof *t->ck);
    t->a = malloc((size_t)B * H * sizeof *t->a);
    tu_fill(t->W, (size_t)U * H, -0.5f, 0.5f, &t->rng);
    tu_fill(t->bias, U, -0.5f, 0.5f, &t->rng);
    tu_fill(t->ck, t->nnz, -1.0f, 1.0f, &t->rng);
    tu_fill(t->a, (size_t)B * H, 0.0f, 1.0f, &t->rng);
    size_t scratch = (size_t)(t->nnz > U * H ? t->nnz : U * H);
    t->got = malloc(scratch * sizeof *t->got);
    t->ref = malloc(scratch * sizeof *t->ref);
    t->ptr = tu_ibuffer(t->c, (size_t)R + 1, t->m.row_ptr);
    t->idx = tu_ibuffer(t->c, t->nnz, t->m.col_idx);
    t->val = tu_buffer(t->c, t->nnz, t->m.vals);
    t->drows = tu_ibuffer(t->c, B, t->rows);
    float *flat = calloc((size_t)B_OFF + U, sizeof *flat);
    memcpy(flat + W_OFF, t->W, (size_t)U * H * sizeof *t->W);
    memcpy(flat + B_OFF, t->bias, (size_t)U * sizeof *t->bias);
    t->w = tu_buffer(t->c, (size_t)B_OFF + U, flat);
    free(flat);
    t->dck = tu_buffer(t->c, t->nnz, t->ck);
    t->da = tu_buffer(t->c, (size_t)B * H, t->a);
}

static void sp_case_init(sp_case *t) { sp_case_init_density(t, 0.15); }

static void sp_case_free(sp_case *t) {
    cl_mem bufs[] = {t->ptr, t->idx, t->val, t->drows, t->w, t->dck, t->da};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(t->W); free(t->bias); free(t->ck); free(t->a); free(t->got); free(t->ref);
    ar_csr_free(&t->m);
    ar_ctx_free(t->c);
}

/* The context's column tiles (kernel parameter sp_tile; 0: none), the other parameters kept. */
static void set_tile(ar_ctx *c, int tile) {
    ar_kparams kp = c->kp;
    kp.sp_tile = tile;
    check_status(ar_ctx_set_kparams(c, &kp));
}

/* A layer's forward output a (B, H) in [0.05, 0.95] and a stored dropout mask (about 2 in 3
 * kept), on the host and the device: the inputs of the gradient at the last hidden layer. */
typedef struct {
    float *a;
    unsigned char *mask;
    cl_mem d_a, d_mask;
} layer_case;

static void layer_case_init(layer_case *l, sp_case *t) {
    const size_t n = (size_t)B * H;
    l->a = malloc(n * sizeof *l->a);
    l->mask = malloc(n);
    tu_fill(l->a, n, 0.05f, 0.95f, &t->rng);
    for (size_t i = 0; i < n; i++) l->mask[i] = (unsigned char)(ar_rng_next(&t->rng) % 3 != 0);
    cl_int err = CL_SUCCESS;
    l->d_a = tu_buffer(t->c, n, l->a);
    l->d_mask = clCreateBuffer(t->c->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n,
                               l->mask, &err);
    cr_assert(err == CL_SUCCESS);
}

static void layer_case_free(layer_case *l) {
    clReleaseMemObject(l->d_a);
    clReleaseMemObject(l->d_mask);
    free(l->a);
    free(l->mask);
}

/* ark_sp_sddmm as ar_sp_sddmm and the SpMMs a row per work-item (launch-time choices, no
 * rebuild), whatever the device's defaults: the fused decoder, the column tiles and the CSC
 * form match those kernels' bits, not the split forms' (sddmm_split, row_split). */
static void lanes_form(ar_ctx *c) { c->kp.sddmm_split = 0, c->kp.row_split = 0; }

/* Asserts got == ref within atol + rtol |ref| at the batch's entries (the only ones written). */
static void compare_entries(const sp_case *t, const char *what, const float *got,
                            const float *ref, float atol, float rtol) {
    for (int b = 0; b < B; b++)
        for (int k = t->m.row_ptr[t->rows[b]]; k < t->m.row_ptr[t->rows[b] + 1]; k++)
            cr_assert(fabsf(got[k] - ref[k]) <= atol + rtol * fabsf(ref[k]),
                      "%s at entry %d: %.7g vs %.7g", what, k, got[k], ref[k]);
}

/* Input dropout at the entries: masking noise (kept ratings unchanged) and inverted, with a
 * work-item per row and with 2, 3 and 32 per row (kernel parameter row_split: the same bits). */
Test(sparse, sp_input) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    cl_mem d_x = tu_buffer(t.c, t.nnz, NULL);
    const float in_scales[2] = {1.0f, 1.0f / 0.7f};
    const int lanes[4] = {0, 2, 3, 32};
    for (int v = 0; v < 8; v++) {
        t.c->kp.row_split = lanes[v / 2];
        cr_assert(ark_sp_input(t.c, d_x, t.ptr, t.idx, t.val, t.drows, 0, B, U, 0, 0.7f,
                               in_scales[v % 2], 99, 3) == AR_OK, "%s", ar_last_error());
        ar_sp_input_ref(t.ref, &t.m, t.rows, B, 0.7f, in_scales[v % 2], 99, 3);
        tu_read(t.c, d_x, t.nnz, t.got);
        compare_entries(&t, "input dropout", t.got, t.ref, 0, 0);
        int kept = 0, dropped = 0;
        for (int b = 0; b < B; b++)
            for (int k = t.m.row_ptr[t.rows[b]]; k < t.m.row_ptr[t.rows[b] + 1]; k++) {
                cr_assert(t.got[k] == 0 || t.got[k] == t.m.vals[k] * in_scales[v % 2]);
                kept += t.got[k] != 0, dropped += t.got[k] == 0;
            }
        cr_assert(kept > 0 && dropped > 0, "kept %d, dropped %d", kept, dropped);
    }
    clReleaseMemObject(d_x);
    sp_case_free(&t);
}

/* The encoder forward (bias + sigmoid) and the input-gradient form (no bias, identity). */
Test(sparse, sp_spmm) {
    sp_case t;
    sp_case_init(&t);
    cl_mem d_out = tu_buffer(t.c, (size_t)B * H, NULL);
    const int acts[2] = {AR_ACT_SIGMOID, AR_ACT_IDENTITY};
    for (int v = 0; v < 2; v++) {
        cr_assert(ark_sp_spmm(t.c, d_out, t.dck, t.w, W_OFF, v == 0 ? B_OFF : -1, t.ptr, t.idx,
                              t.drows, 0, B, H, acts[v], U) == AR_OK, "%s", ar_last_error());
        ar_sp_spmm_ref(t.ref, t.ck, t.W, v == 0 ? t.bias : NULL, &t.m, t.rows, B, H, acts[v]);
        tu_read(t.c, d_out, (size_t)B * H, t.got);
        tu_compare(v == 0 ? "sp_spmm (encoder)" : "sp_spmm (input gradient)", t.got, t.ref,
                   (size_t)B * H, 1e-5, 1e-4);
    }
    clReleaseMemObject(d_out);
    sp_case_free(&t);
}

/* The gradient at the last hidden layer in one pass, for every activation, with and without a
 * stored dropout mask: bit for bit the three kernels it replaces (ar_sp_spmm's gradient form,
 * ar_dropout applying the mask, ar_act_backward), and the CPU reference within rounding. */
Test(sparse, sp_spmm_backward) {
    sp_case t;
    sp_case_init(&t);
    const size_t n = (size_t)B * H;
    float *a = malloc(n * sizeof *a), *three = malloc(n * sizeof *three);
    unsigned char *mask = malloc(n);
    tu_fill(a, n, -0.9f, 0.9f, &t.rng); /* negative outputs too: elu and selu's other branch */
    for (size_t i = 0; i < n; i++) mask[i] = (unsigned char)(ar_rng_next(&t.rng) % 3 != 0);
    cl_int err = CL_SUCCESS;
    cl_mem d_a = tu_buffer(t.c, n, a), d_out = tu_buffer(t.c, n, NULL);
    cl_mem d_three = tu_buffer(t.c, n, NULL);
    cl_mem d_mask = clCreateBuffer(t.c->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n,
                                   mask, &err);
    cr_assert(err == CL_SUCCESS);
    const int acts[] = {AR_ACT_SIGMOID, AR_ACT_RELU, AR_ACT_TANH, AR_ACT_ELU, AR_ACT_SELU,
                        AR_ACT_IDENTITY};
    const float scale = 1.0f / 0.7f;
    for (size_t v = 0; v < sizeof acts / sizeof *acts; v++)
        for (int masked = 0; masked < 2; masked++) {
            cr_assert(ark_sp_spmm_backward(t.c, d_out, t.dck, t.w, W_OFF, t.ptr, t.idx, t.drows,
                                           0, B, H, masked ? d_mask : NULL, scale, d_a,
                                           acts[v]) == AR_OK, "%s", ar_last_error());
            cr_assert(ark_sp_spmm(t.c, d_three, t.dck, t.w, W_OFF, -1, t.ptr, t.idx, t.drows, 0,
                                  B, H, AR_ACT_IDENTITY, U) == AR_OK, "%s", ar_last_error());
            if (masked)
                cr_assert(ark_dropout_mask(t.c, d_three, d_three, d_mask, AR_DROP_APPLY, (int)n,
                                           0.7f, scale, 1, 2, 3) == AR_OK, "%s", ar_last_error());
            cr_assert(ark_act_backward(t.c, d_three, d_three, d_a, (int)n, acts[v]) == AR_OK,
                      "%s", ar_last_error());
            tu_read(t.c, d_out, n, t.got);
            tu_read(t.c, d_three, n, three);
            tu_compare("sp_spmm_backward against the three kernels", t.got, three, n, 0, 0);
            ar_sp_spmm_backward_ref(t.ref, t.ck, t.W, &t.m, t.rows, B, H, masked ? mask : NULL,
                                    scale, a, acts[v]);
            tu_compare("sp_spmm_backward", t.got, t.ref, n, 1e-5, 1e-4);
        }
    clReleaseMemObject(d_a); clReleaseMemObject(d_out); clReleaseMemObject(d_three);
    clReleaseMemObject(d_mask);
    free(a); free(three); free(mask);
    sp_case_free(&t);
}

/* Training's decoder, loss and last hidden gradient in one kernel: bit for bit the three
 * kernels it replaces (ar_sp_sddmm, ar_sp_loss_backward, ar_sp_spmm_backward) and the CPU
 * reference within rounding, with the identity and sigmoid outputs, with and without a mask,
 * on short rows and full ones (53 entries). Rows longer than a block of the blocked sums:
 * sp_decode_backward_long_rows. */
Test(sparse, sp_decode_backward) {
    for (int dense = 0; dense < 2; dense++) {
        sp_case t;
        sp_case_init_density(&t, dense ? 1.0 : 0.15); /* 53 entries a row, or all U = 53 */
        lanes_form(t.c);
        const size_t n = (size_t)B * H;
        float *dz = malloc(n * sizeof *dz), *dz3 = malloc(n * sizeof *dz3);
        float *act_out = malloc(n * sizeof *act_out), *y3 = malloc((size_t)t.nnz * sizeof *y3);
        float *dy3 = malloc((size_t)t.nnz * sizeof *dy3), loss[R], loss3[R], rloss[R];
        unsigned char *mask = malloc(n);
        tu_fill(act_out, n, 0.05f, 0.95f, &t.rng);
        for (size_t i = 0; i < n; i++) mask[i] = (unsigned char)(ar_rng_next(&t.rng) % 3 != 0);
        cl_int err = CL_SUCCESS;
        cl_mem d_y = tu_buffer(t.c, t.nnz, NULL), d_dy = tu_buffer(t.c, t.nnz, NULL);
        cl_mem d_y3 = tu_buffer(t.c, t.nnz, NULL), d_dy3 = tu_buffer(t.c, t.nnz, NULL);
        cl_mem d_loss = tu_buffer(t.c, R, NULL), d_loss3 = tu_buffer(t.c, R, NULL);
        cl_mem d_dz = tu_buffer(t.c, n, NULL), d_dz3 = tu_buffer(t.c, n, NULL);
        cl_mem d_act = tu_buffer(t.c, n, act_out);
        cl_mem d_mask = clCreateBuffer(t.c->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, n,
                                       mask, &err);
        cr_assert(err == CL_SUCCESS);
        const int outs[2] = {AR_ACT_IDENTITY, AR_ACT_SIGMOID};
        const float scale = 0.01f, mscale = 1.0f / 0.7f;
        for (int v = 0; v < 2; v++)
            for (int masked = 0; masked < 2; masked++) {
                cl_mem dm = masked ? d_mask : NULL;
                cr_assert(ark_sp_decode_backward(t.c, d_y, d_dy, d_loss, d_dz, t.da, t.w, W_OFF,
                                                 B_OFF, t.ptr, t.idx, t.val, t.drows, 0, B, H,
                                                 outs[v], scale, dm, mscale, d_act,
                                                 AR_ACT_SIGMOID, U) == AR_OK,
                          "%s", ar_last_error());
                cr_assert(ark_sp_sddmm(t.c, d_y3, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows,
                                       0, B, H, outs[v]) == AR_OK, "%s", ar_last_error());
                cr_assert(ark_sp_loss_backward(t.c, d_dy3, d_loss3, d_y3, t.ptr, t.val, t.drows,
                                               0, B, scale, outs[v]) == AR_OK, "%s",
                          ar_last_error());
                cr_assert(ark_sp_spmm_backward(t.c, d_dz3, d_dy3, t.w, W_OFF, t.ptr, t.idx,
                                               t.drows, 0, B, H, dm, mscale, d_act,
                                               AR_ACT_SIGMOID) == AR_OK, "%s", ar_last_error());
                tu_read(t.c, d_y, t.nnz, t.got);
                tu_read(t.c, d_y3, t.nnz, y3);
                compare_entries(&t, "fused yk against ar_sp_sddmm", t.got, y3, 0, 0);
                tu_read(t.c, d_dy, t.nnz, t.got);
                tu_read(t.c, d_dy3, t.nnz, dy3);
                compare_entries(&t, "fused dyk against ar_sp_loss_backward", t.got, dy3, 0, 0);
                tu_read(t.c, d_loss, R, loss);
                tu_read(t.c, d_loss3, R, loss3);
                tu_read(t.c, d_dz, n, dz);
                tu_read(t.c, d_dz3, n, dz3);
                tu_compare("fused dz against ar_sp_spmm_backward", dz, dz3, n, 0, 0);
                float *ry = malloc((size_t)t.nnz * sizeof *ry);
                ar_sp_decode_backward_ref(ry, t.ref, rloss, dz3, t.a, t.W, t.bias, &t.m, t.rows,
                                          B, H, outs[v], scale, masked ? mask : NULL, mscale,
                                          act_out, AR_ACT_SIGMOID);
                tu_read(t.c, d_y, t.nnz, t.got);
                compare_entries(&t, "sp_decode_backward yk", t.got, ry, 1e-5f, 1e-4f);
                tu_read(t.c, d_dy, t.nnz, t.got);
                compare_entries(&t, "sp_decode_backward dyk", t.got, t.ref, 1e-6f, 1e-4f);
                tu_compare("sp_decode_backward dz", dz, dz3, n, 1e-6, 1e-4);
                for (int b = 0; b < B; b++) {
                    const int r = t.rows[b];
                    cr_assert(loss[r] == loss3[r], "row %d loss %.9g vs %.9g", r, loss[r],
                              loss3[r]);
                    cr_assert(fabsf(loss[r] - rloss[r]) <= 1e-5f * (1 + rloss[r]));
                }
                free(ry);
            }
        cl_mem bufs[] = {d_y, d_dy, d_y3, d_dy3, d_loss, d_loss3, d_dz, d_dz3, d_act, d_mask};
        for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
        free(dz); free(dz3); free(act_out); free(y3); free(dy3); free(mask);
        sp_case_free(&t);
    }
}

/* ar_sp_decode_backward on rows of 150-300 entries, two to five blocks of the blocked sums
 * (AR_SP_BLOCK = 64; dz carried between blocks in memory): bit for bit the three kernels; and
 * in column tiles (sp_tile 37 and 100 of 301 weight rows, cutting blocks), bit for bit itself
 * in one launch, as the encoder's SpMM is. */
Test(sparse, sp_decode_backward_long_rows) {
    enum { LR = 5, LU = 301, LH = 19 };
    ar_ctx *c = tu_ctx();
    lanes_form(c);
    ar_rng rng = {tu_seed()};
    ar_csr m;
    tu_random_csr(&m, LR, LU, 0.7, &rng);
    const int nnz = m.row_ptr[LR], rows[LR] = {3, 0, 4, 1, 2};
    cr_assert(m.row_ptr[1] - m.row_ptr[0] > 2 * 64, "a row of %d entries", m.row_ptr[1]);
    float *w = malloc(((size_t)LU * LH + LU) * sizeof *w), *a = malloc(LR * LH * sizeof *a);
    float *got = malloc((size_t)nnz * sizeof *got), *ref = malloc((size_t)nnz * sizeof *ref);
    float dz[LR * LH], dz3[LR * LH];
    tu_fill(w, (size_t)LU * LH + LU, -0.2f, 0.2f, &rng);
    tu_fill(a, LR * LH, 0.0f, 1.0f, &rng);
    cl_mem d_ptr = tu_ibuffer(c, LR + 1, m.row_ptr), d_idx = tu_ibuffer(c, nnz, m.col_idx);
    cl_mem d_val = tu_buffer(c, nnz, m.vals), d_rows = tu_ibuffer(c, LR, rows);
    cl_mem d_w = tu_buffer(c, (size_t)LU * LH + LU, w), d_a = tu_buffer(c, LR * LH, a);
    cl_mem d_y = tu_buffer(c, nnz, NULL), d_dy = tu_buffer(c, nnz, NULL);
    cl_mem d_y3 = tu_buffer(c, nnz, NULL), d_dy3 = tu_buffer(c, nnz, NULL);
    cl_mem d_loss = tu_buffer(c, LR, NULL), d_loss3 = tu_buffer(c, LR, NULL);
    cl_mem d_dz = tu_buffer(c, LR * LH, NULL), d_dz3 = tu_buffer(c, LR * LH, NULL);
    const int b_off = LU * LH;
    check_status(ark_sp_decode_backward(c, d_y, d_dy, d_loss, d_dz, d_a, d_w, 0, b_off, d_ptr,
                                        d_idx, d_val, d_rows, 0, LR, LH, AR_ACT_IDENTITY, 0.01f,
                                        NULL, 1.0f, d_a, AR_ACT_SIGMOID, LU));
    check_status(ark_sp_sddmm(c, d_y3, d_a, d_w, 0, b_off, d_ptr, d_idx, d_rows, 0, LR, LH,
                              AR_ACT_IDENTITY));
    check_status(ark_sp_loss_backward(c, d_dy3, d_loss3, d_y3, d_ptr, d_val, d_rows, 0, LR, 0.01f,
                                      AR_ACT_IDENTITY));
    check_status(ark_sp_spmm_backward(c, d_dz3, d_dy3, d_w, 0, d_ptr, d_idx, d_rows, 0, LR, LH,
                                      NULL, 1.0f, d_a, AR_ACT_SIGMOID));
    tu_read(c, d_y, nnz, got);
    tu_read(c, d_y3, nnz, ref);
    tu_compare("fused yk (long rows)", got, ref, nnz, 0, 0);
    tu_read(c, d_dy, nnz, got);
    tu_read(c, d_dy3, nnz, ref);
    tu_compare("fused dyk (long rows)", got, ref, nnz, 0, 0);
    tu_read(c, d_dz, LR * LH, dz);
    tu_read(c, d_dz3, LR * LH, dz3);
    tu_compare("fused dz (long rows)", dz, dz3, LR * LH, 0, 0);
    tu_read(c, d_loss, LR, got);
    tu_read(c, d_loss3, LR, ref);
    tu_compare("fused row loss (long rows)", got, ref, LR, 0, 0);
    /* in column tiles of 37 and 100 weight rows (kernel parameter sp_tile), which cut the rows'
     * blocks of 64 entries: the same bits; and the encoder's SpMM with them */
    float *y1 = malloc((size_t)nnz * sizeof *y1), *dy1 = malloc((size_t)nnz * sizeof *dy1);
    float loss1[LR], z1[LR * LH], zt[LR * LH];
    tu_read(c, d_y, nnz, y1);
    tu_read(c, d_dy, nnz, dy1);
    tu_read(c, d_loss, LR, loss1);
    cl_mem d_z1 = tu_buffer(c, LR * LH, NULL);
    check_status(ark_sp_spmm(c, d_z1, d_val, d_w, 0, b_off, d_ptr, d_idx, d_rows, 0, LR, LH,
                             AR_ACT_SIGMOID, LU));
    tu_read(c, d_z1, LR * LH, z1);
    const int tiles[2] = {37, 100};
    for (int i = 0; i < 2; i++) {
        set_tile(c, tiles[i]);
        check_status(ark_sp_decode_backward(c, d_y, d_dy, d_loss, d_dz, d_a, d_w, 0, b_off,
                                            d_ptr, d_idx, d_val, d_rows, 0, LR, LH,
                                            AR_ACT_IDENTITY, 0.01f, NULL, 1.0f, d_a,
                                            AR_ACT_SIGMOID, LU));
        tu_read(c, d_y, nnz, got);
        tu_compare("tiled yk (long rows)", got, y1, nnz, 0, 0);
        tu_read(c, d_dy, nnz, got);
        tu_compare("tiled dyk (long rows)", got, dy1, nnz, 0, 0);
        tu_read(c, d_dz, LR * LH, zt);
        tu_compare("tiled dz (long rows)", zt, dz, LR * LH, 0, 0);
        tu_read(c, d_loss, LR, got);
        tu_compare("tiled row loss (long rows)", got, loss1, LR, 0, 0);
        check_status(ark_sp_spmm(c, d_z1, d_val, d_w, 0, b_off, d_ptr, d_idx, d_rows, 0, LR, LH,
                                 AR_ACT_SIGMOID, LU));
        tu_read(c, d_z1, LR * LH, zt);
        tu_compare("tiled SpMM (long rows)", zt, z1, LR * LH, 0, 0);
    }
    clReleaseMemObject(d_z1);
    free(y1); free(dy1);
    cl_mem bufs[] = {d_ptr, d_idx, d_val, d_rows, d_w, d_a, d_y, d_dy, d_y3, d_dy3, d_loss,
                     d_loss3, d_dz, d_dz3};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(w); free(a); free(got); free(ref);
    ar_csr_free(&m);
    ar_ctx_free(c);
}

/* SpMM in column tiles (kernel parameter sp_tile), 1, 7 and 8 tiles of U = 53 weight rows and
 * more tiles than some rows have entries: bit for bit the one launch's output (the same blocked
 * sums in the same order), encoder (bias, sigmoid) and gradient form, and the reference. */
Test(sparse, sp_spmm_tile) {
    sp_case t;
    sp_case_init(&t);
    lanes_form(t.c);
    const size_t n = (size_t)B * H;
    cl_mem d_one = tu_buffer(t.c, n, NULL), d_tiled = tu_buffer(t.c, n, NULL);
    float *one = malloc(n * sizeof *one);
    const int tiles[3] = {53, 8, 7}, acts[2] = {AR_ACT_SIGMOID, AR_ACT_IDENTITY};
    for (int v = 0; v < 2; v++) {
        const int b_off = v == 0 ? B_OFF : -1;
        cr_assert(ark_sp_spmm(t.c, d_one, t.dck, t.w, W_OFF, b_off, t.ptr, t.idx, t.drows, 0, B,
                              H, acts[v], U) == AR_OK, "%s", ar_last_error());
        tu_read(t.c, d_one, n, one);
        for (int i = 0; i < 3; i++) {
            cr_assert(ark_sp_spmm_tile(t.c, d_tiled, t.dck, t.w, W_OFF, b_off, t.ptr, t.idx,
                                       t.drows, 0, B, H, acts[v], U, tiles[i]) == AR_OK, "%s",
                      ar_last_error());
            tu_read(t.c, d_tiled, n, t.got);
            tu_compare("sp_spmm_tile against one launch", t.got, one, n, 0, 0);
            ar_sp_spmm_tile_ref(t.ref, t.ck, t.W, v == 0 ? t.bias : NULL, &t.m, t.rows, B, H,
                                acts[v], tiles[i]);
            tu_compare("sp_spmm_tile", t.got, t.ref, n, 1e-5, 1e-4);
        }
    }
    clReleaseMemObject(d_one); clReleaseMemObject(d_tiled);
    free(one);
    sp_case_free(&t);
}

/* H = 109, over 64 and a multiple of none of the work-item widths (8, 16, 32, 64): each row's
 * last work-item moves its window back to end at H (cl/sparse.cl, ar_window), computes columns of
 * the work-item before it again and must store only its own. The encoder's SpMM (bias,
 * sigmoid), its gradient form, the fused backward SpMM and the fused decoder's dz, in one
 * launch and in column tiles of 7 weight rows, against the CPU reference. */
Test(sparse, sp_products_moved_window) {
    enum { WR = 9, WU = 40, WB = 6, WH = 109 };
    ar_ctx *c = tu_ctx();
    ar_rng rng = {tu_seed()};
    ar_csr m;
    tu_random_csr(&m, WR, WU, 0.5, &rng);
    const int nnz = m.row_ptr[WR], rows[WB] = {4, 0, 8, 2, 7, 5}, b_off = WU * WH;
    /* W, then a bias: the encoder's (WH) or the decoder's (WU) */
    const size_t n = (size_t)WB * WH, nw = (size_t)WU * WH + (WU > WH ? WU : WH);
    float *w = malloc(nw * sizeof *w), *a = malloc(n * sizeof *a);
    float *ck = malloc((size_t)nnz * sizeof *ck), *got = malloc(n * sizeof *got);
    float *ref = malloc(n * sizeof *ref), *yk = malloc((size_t)nnz * sizeof *yk);
    float *dyk = malloc((size_t)nnz * sizeof *dyk), loss[WR];
    tu_fill(w, nw, -0.5f, 0.5f, &rng);
    tu_fill(a, n, 0.05f, 0.95f, &rng);
    tu_fill(ck, (size_t)nnz, -1.0f, 1.0f, &rng);
    cl_mem d_ptr = tu_ibuffer(c, WR + 1, m.row_ptr), d_idx = tu_ibuffer(c, nnz, m.col_idx);
    cl_mem d_val = tu_buffer(c, nnz, m.vals), d_rows = tu_ibuffer(c, WB, rows);
    cl_mem d_w = tu_buffer(c, nw, w), d_a = tu_buffer(c, n, a), d_ck = tu_buffer(c, nnz, ck);
    cl_mem d_y = tu_buffer(c, nnz, NULL), d_dy = tu_buffer(c, nnz, NULL);
    cl_mem d_loss = tu_buffer(c, WR, NULL);
    const int acts[2] = {AR_ACT_SIGMOID, AR_ACT_IDENTITY};
    for (int v = 0; v < 2; v++)
        for (int tile = 0; tile < 2; tile++) { /* one launch, then tiles of 7 weight rows */
            cl_mem d_out = tu_buffer(c, n, NULL); /* NaN: a column left unwritten fails */
            check_status(tile ? ark_sp_spmm_tile(c, d_out, d_ck, d_w, 0, v ? -1 : b_off, d_ptr,
                                                 d_idx, d_rows, 0, WB, WH, acts[v], WU, 7)
                              : ark_sp_spmm(c, d_out, d_ck, d_w, 0, v ? -1 : b_off, d_ptr, d_idx,
                                            d_rows, 0, WB, WH, acts[v], WU));
            ar_sp_spmm_ref(ref, ck, w, v ? NULL : w + b_off, &m, rows, WB, WH, acts[v]);
            tu_read(c, d_out, n, got);
            tu_compare(tile ? "sp_spmm_tile (H 109)" : "sp_spmm (H 109)", got, ref, n, 1e-5, 1e-4);
            clReleaseMemObject(d_out);
        }
    cl_mem d_dz = tu_buffer(c, n, NULL);
    check_status(ark_sp_spmm_backward(c, d_dz, d_ck, d_w, 0, d_ptr, d_idx, d_rows, 0, WB, WH,
                                      NULL, 1.0f, d_a, AR_ACT_SIGMOID));
    ar_sp_spmm_backward_ref(ref, ck, w, &m, rows, WB, WH, NULL, 1.0f, a, AR_ACT_SIGMOID);
    tu_read(c, d_dz, n, got);
    tu_compare("sp_spmm_backward (H 109)", got, ref, n, 1e-5, 1e-4);
    ar_sp_decode_backward_ref(yk, dyk, loss, ref, a, w, w + b_off, &m, rows, WB, WH,
                              AR_ACT_IDENTITY, 0.1f, NULL, 1.0f, a, AR_ACT_SIGMOID);
    const int tiles[2] = {0, 7};
    for (int i = 0; i < 2; i++) {
        set_tile(c, tiles[i]);
        check_status(ark_sp_decode_backward(c, d_y, d_dy, d_loss, d_dz, d_a, d_w, 0, b_off,
                                            d_ptr, d_idx, d_val, d_rows, 0, WB, WH,
                                            AR_ACT_IDENTITY, 0.1f, NULL, 1.0f, d_a,
                                            AR_ACT_SIGMOID, WU));
        tu_read(c, d_dz, n, got);
        tu_compare(i ? "tiled sp_decode_backward dz (H 109)" : "sp_decode_backward dz (H 109)",
                   got, ref, n, 1e-5, 1e-4);
    }
    cl_mem bufs[] = {d_ptr, d_idx, d_val, d_rows, d_w, d_a, d_ck, d_y, d_dy, d_loss, d_dz};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(w); free(a); free(ck); free(got); free(ref); free(yk); free(dyk);
    ar_csr_free(&m);
    ar_ctx_free(c);
}

/* The decoder's outputs at the entries, sigmoid and identity. */
Test(sparse, sp_sddmm) {
    sp_case t;
    sp_case_init(&t);
    cl_mem d_y = tu_buffer(t.c, t.nnz, NULL);
    const int acts[2] = {AR_ACT_SIGMOID, AR_ACT_IDENTITY};
    for (int v = 0; v < 2; v++) {
        cr_assert(ark_sp_sddmm(t.c, d_y, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows, 0, B, H,
                               acts[v]) == AR_OK, "%s", ar_last_error());
        ar_sp_sddmm_ref(t.ref, t.a, t.W, t.bias, &t.m, t.rows, B, H, acts[v]);
        tu_read(t.c, d_y, t.nnz, t.got);
        compare_entries(&t, "sp_sddmm", t.got, t.ref, 1e-5f, 1e-4f);
    }
    clReleaseMemObject(d_y);
    sp_case_free(&t);
}

/* SDDMM in a GPU's shape (kernel parameter sddmm_split), S work-items per entry: the reference
 * in the kernel's float order (lane sums and tree) closely, the plain reference within SDDMM's
 * tolerance; S above H (idle lanes) and long rows (more entries than a group's teams), and as
 * ark_sp_sddmm runs it when the parameter is set. Under AUTOREC_MAX_WG=3 groups of 2. */
Test(sparse, sp_sddmm_split) {
    const double dens[2] = {0.15, 0.6};
    const int splits[4] = {2, 8, 32, 64};
    for (int v = 0; v < 2; v++) {
        sp_case t;
        sp_case_init_density(&t, dens[v]);
        cl_mem d_y = tu_buffer(t.c, t.nnz, NULL);
        for (int si = 0; si < 4; si++) {
            /* groups per row from the compute units (ark_sp_sddmm_split, 16 per unit over
             * the batch): 3 at 2 units (B = 13), the cap of 64 at a GPU's 100 */
            t.c->info.compute_units = si % 2 ? 100 : 2;
            ar_kparams kp = t.c->kp;
            kp.sddmm_split = splits[si];
            check_status(ar_ctx_set_kparams(t.c, &kp));
            size_t G;
            int S;
            ar_sddmm_split_shape(t.c, &G, &S);
            cr_assert(S <= splits[si] && (size_t)S <= G && G % (size_t)S == 0);
            const int act = si % 2 ? AR_ACT_IDENTITY : AR_ACT_SIGMOID;
            check_status(ark_sp_sddmm_split(t.c, d_y, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx,
                                            t.drows, 0, B, H, act));
            tu_read(t.c, d_y, t.nnz, t.got);
            ar_sp_sddmm_split_ref(t.ref, t.a, t.W, t.bias, &t.m, t.rows, B, H, act, S);
            compare_entries(&t, "sp_sddmm_split in its order", t.got, t.ref, 1e-6f, 1e-6f);
            ar_sp_sddmm_ref(t.ref, t.a, t.W, t.bias, &t.m, t.rows, B, H, act);
            compare_entries(&t, "sp_sddmm_split", t.got, t.ref, 1e-5f, 1e-4f);
            check_status(ark_sp_sddmm(t.c, d_y, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows,
                                      0, B, H, act)); /* dispatches to the split form */
            float *again = malloc((size_t)t.nnz * sizeof *again);
            tu_read(t.c, d_y, t.nnz, again);
            compare_entries(&t, "ark_sp_sddmm with sddmm_split", again, t.got, 0, 0);
            free(again);
        }
        clReleaseMemObject(d_y);
        sp_case_free(&t);
    }
}

/* The output gradient and each row's loss, a row per work-item and in 2, 7 and 256 chunks of
 * each row (kernel parameter row_split; most of 256 empty). */
Test(sparse, sp_loss_backward) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    float *yk = malloc((size_t)t.nnz * sizeof *yk), loss[R], rloss[R];
    tu_fill(yk, t.nnz, 0.0f, 1.0f, &t.rng);
    cl_mem d_y = tu_buffer(t.c, t.nnz, yk), d_dy = tu_buffer(t.c, t.nnz, NULL);
    cl_mem d_loss = tu_buffer(t.c, R, NULL);
    ar_sp_loss_backward_ref(t.ref, rloss, yk, &t.m, t.rows, B, 0.01f, AR_ACT_SIGMOID);
    const int chunks[4] = {0, 2, 7, 256};
    for (int i = 0; i < 4; i++) {
        t.c->kp.row_split = chunks[i];
        cr_assert(ark_sp_loss_backward(t.c, d_dy, d_loss, d_y, t.ptr, t.val, t.drows, 0, B,
                                       0.01f, AR_ACT_SIGMOID) == AR_OK, "%s", ar_last_error());
        tu_read(t.c, d_dy, t.nnz, t.got);
        tu_read(t.c, d_loss, R, loss);
        compare_entries(&t, "sp_loss_backward dyk", t.got, t.ref, 1e-7f, 1e-5f);
        for (int b = 0; b < B; b++)
            cr_assert(fabsf(loss[t.rows[b]] - rloss[t.rows[b]]) <= 1e-5f * (1 + rloss[t.rows[b]]),
                      "row_split %d: row %d's loss %g, reference %g", chunks[i], t.rows[b],
                      loss[t.rows[b]], rloss[t.rows[b]]);
    }
    clReleaseMemObject(d_y); clReleaseMemObject(d_dy); clReleaseMemObject(d_loss);
    free(yk);
    sp_case_free(&t);
}

/* ar_sp_loss_part: dyk at every entry and each chunk's squared error (P = 1, 4, 64), its
 * compensation small against the sum; ar_sp_loss_join: the rows' losses from given chunk sums
 * and compensations. */
Test(sparse, sp_loss_part) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    float *yk = malloc((size_t)t.nnz * sizeof *yk);
    tu_fill(yk, t.nnz, 0.0f, 1.0f, &t.rng);
    cl_mem d_y = tu_buffer(t.c, t.nnz, yk), d_dy = tu_buffer(t.c, t.nnz, NULL);
    const int chunks[3] = {1, 4, 64};
    for (int i = 0; i < 3; i++) {
        const int P = chunks[i];
        const size_t n = 2 * (size_t)B * P;
        float *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
        cl_mem d_part = tu_buffer(t.c, n, NULL);
        check_status(ark_sp_loss_part(t.c, d_dy, d_part, d_y, t.ptr, t.val, t.drows, 0, B, 0.01f,
                                      AR_ACT_SIGMOID, P));
        ar_sp_loss_part_ref(t.ref, ref, yk, &t.m, t.rows, B, 0.01f, AR_ACT_SIGMOID, P);
        tu_read(t.c, d_dy, t.nnz, t.got);
        compare_entries(&t, "sp_loss_part dyk", t.got, t.ref, 1e-7f, 1e-5f);
        tu_read(t.c, d_part, n, got);
        tu_compare("sp_loss_part sums", got, ref, (size_t)B * P, 1e-6, 1e-5);
        for (size_t j = 0; j < (size_t)B * P; j++) /* a compensation is a rounding error */
            cr_assert(fabsf(got[(size_t)B * P + j]) <= 1e-5f * (1.0f + ref[j]),
                      "chunk %zu: compensation %g for a sum of %g", j, got[(size_t)B * P + j],
                      ref[j]);
        clReleaseMemObject(d_part);
        free(got); free(ref);
    }
    clReleaseMemObject(d_y); clReleaseMemObject(d_dy);
    free(yk);
    sp_case_free(&t);
}

Test(sparse, sp_loss_join) {
    sp_case t;
    sp_case_init(&t);
    const int P = 7;
    const size_t n = 2 * (size_t)B * P;
    float *part = malloc(n * sizeof *part), loss[R], rloss[R];
    tu_fill(part, (size_t)B * P, 0.0f, 3.0f, &t.rng);
    tu_fill(part + (size_t)B * P, (size_t)B * P, -1e-6f, 1e-6f, &t.rng);
    /* a row twice in the batch (sp_case forces its last row) gets the same sums both times:
     * the two work-items write the same loss, whichever is last */
    for (int b = 0; b < B; b++)
        for (int e = 0; e < b; e++)
            if (t.rows[e] == t.rows[b])
                for (int q = 0; q < 2; q++)
                    memcpy(part + (size_t)q * B * P + (size_t)b * P,
                           part + (size_t)q * B * P + (size_t)e * P, P * sizeof *part);
    cl_mem d_part = tu_buffer(t.c, n, part), d_loss = tu_buffer(t.c, R, NULL);
    check_status(ark_sp_loss_join(t.c, d_loss, d_part, t.drows, 0, B, P));
    tu_read(t.c, d_loss, R, loss);
    ar_sp_loss_join_ref(rloss, part, t.rows, B, P);
    for (int b = 0; b < B; b++)
        cr_assert(fabsf(loss[t.rows[b]] - rloss[t.rows[b]]) <= 1e-6f * (1 + rloss[t.rows[b]]),
                  "row %d: %g, reference %g", t.rows[b], loss[t.rows[b]], rloss[t.rows[b]]);
    clReleaseMemObject(d_part); clReleaseMemObject(d_loss);
    free(part);
    sp_case_free(&t);
}

/* The clamped squared and absolute errors of each row at its entries; a row with a non-finite
 * output (one -inf, one NaN) sums to NaN in both. */
Test(sparse, sp_sse) {
    sp_case t;
    sp_case_init(&t);
    float *yk = malloc((size_t)t.nnz * sizeof *yk), err[2 * R], rerr[2 * R];
    tu_fill(yk, t.nnz, -1.0f, 7.0f, &t.rng); /* outside [1, 5] too: the clamp */
    int bad[2] = {-1, -1}, nb = 0; /* rows given a non-finite output */
    for (int b = 0; b < B && nb < 2; b++) {
        const int r = t.rows[b];
        if (t.m.row_ptr[r] == t.m.row_ptr[r + 1]) continue;
        yk[t.m.row_ptr[r + 1] - 1] = nb ? NAN : -INFINITY;
        bad[nb++] = r;
    }
    cr_assert_eq(nb, 2);
    cl_mem d_y = tu_buffer(t.c, t.nnz, yk), d_err = tu_buffer(t.c, 2 * R, NULL);
    /* twice: without offsets, then with a centering baseline at every entry (ar_center) */
    float *offs = malloc((size_t)t.nnz * sizeof *offs);
    cr_assert(offs);
    tu_fill(offs, t.nnz, -2.0f, 2.0f, &t.rng);
    cl_mem d_offs = tu_buffer(t.c, t.nnz, offs);
    for (int with = 0; with < 2; with++) {
        cr_assert(ark_sp_sse(t.c, d_err, d_y, t.ptr, t.val, with ? d_offs : NULL, t.drows, 0, B,
                             R, 1.0f, 5.0f) == AR_OK);
        ar_sp_sse_ref(rerr, yk, &t.m, with ? offs : NULL, t.rows, B, R, 1.0f, 5.0f);
        tu_read(t.c, d_err, 2 * R, err);
        for (int k = 0; k < 4; k++) {
            const int r = (k / 2) * R + bad[k % 2];
            cr_assert(isnan(err[r]) && isnan(rerr[r]), "entry %d: %g, reference %g", r,
                      (double)err[r], (double)rerr[r]);
            err[r] = rerr[r] = 0;
        }
        /* squared, then absolute: |got - ref| <= 1e-5 (1 + ref) */
        for (int k = 0; k < 2 * B; k++) {
            const int r = (k / B) * R + t.rows[k % B];
            cr_assert(fabsf(err[r] - rerr[r]) <= 1e-5f * (1 + rerr[r]),
                      "entry %d: %g, reference %g", r, (double)err[r], (double)rerr[r]);
        }
    }
    clReleaseMemObject(d_y); clReleaseMemObject(d_err); clReleaseMemObject(d_offs);
    free(yk);
    free(offs);
    sp_case_free(&t);
}

/* The batch's CSC: every batch entry once, in its column, rows ascending within a column. */
Test(sparse, sp_batch_csc) {
    sp_case t;
    sp_case_init(&t);
    int cp[U + 1], *eb = malloc((size_t)t.nnz * sizeof *eb), *ek = malloc((size_t)t.nnz * sizeof *ek);
    ar_sp_batch_csc(cp, eb, ek, &t.m, t.rows, B);
    int batch_nnz = 0;
    for (int b = 0; b < B; b++) batch_nnz += t.m.row_ptr[t.rows[b] + 1] - t.m.row_ptr[t.rows[b]];
    cr_assert_eq(cp[U], batch_nnz);
    for (int u = 0; u < U; u++)
        for (int e = cp[u]; e < cp[u + 1]; e++) {
            cr_assert_eq(t.m.col_idx[ek[e]], u, "entry %d of column %d is in column %d", e, u,
                         t.m.col_idx[ek[e]]);
            cr_assert(ek[e] >= t.m.row_ptr[t.rows[eb[e]]] && ek[e] < t.m.row_ptr[t.rows[eb[e]] + 1],
                      "entry %d is not in its batch row", e);
            cr_assert(e == cp[u] || eb[e] > eb[e - 1], "column %d: rows not ascending", u);
        }
    free(eb); free(ek);
    sp_case_free(&t);
}

/* The batch's CSC uploaded as batch 1 of 2 (column pointers at U + 1), its entries after
 * CSC_SHIFT of batch 0's (whose pointers give it none: placeholders that no kernel may read,
 * valid indices so that one that does fails a comparison, not with a fault), so that they start
 * past the buffer's first entry as a later batch's do in training. */
enum { CSC_SHIFT = 3 };
typedef struct {
    int cp[U + 1], *eb, *ek;      /* on the host: column pointers, entries (batch row, index) */
    cl_mem d_cp, d_eb, d_ek;      /* on the device, the pointers as batch 1 of 2 */
} csc_upload;

static void csc_upload_init(const sp_case *t, csc_upload *u) {
    u->eb = malloc((size_t)t->nnz * sizeof *u->eb);
    u->ek = malloc((size_t)t->nnz * sizeof *u->ek);
    ar_sp_batch_csc(u->cp, u->eb, u->ek, &t->m, t->rows, B);
    int cp2[2 * (U + 1)];
    for (int c = 0; c <= U; c++) cp2[c] = 0, cp2[U + 1 + c] = CSC_SHIFT + u->cp[c];
    const size_t n = (size_t)CSC_SHIFT + (size_t)u->cp[U];
    int *eb = malloc(n * sizeof *eb), *ek = malloc(n * sizeof *ek);
    for (int e = 0; e < CSC_SHIFT; e++) eb[e] = B - 1, ek[e] = e;
    memcpy(eb + CSC_SHIFT, u->eb, (size_t)u->cp[U] * sizeof *eb);
    memcpy(ek + CSC_SHIFT, u->ek, (size_t)u->cp[U] * sizeof *ek);
    u->d_cp = tu_ibuffer(t->c, 2 * ((size_t)U + 1), cp2);
    u->d_eb = tu_ibuffer(t->c, n, eb);
    u->d_ek = tu_ibuffer(t->c, n, ek);
    free(eb);
    free(ek);
}

static void csc_upload_free(csc_upload *u) {
    clReleaseMemObject(u->d_cp); clReleaseMemObject(u->d_eb); clReleaseMemObject(u->d_ek);
    free(u->eb);
    free(u->ek);
}

/* dW (U, H) from the batch CSC, written at an offset into a bigger buffer. */
Test(sparse, sp_weight_grad) {
    sp_case t;
    sp_case_init(&t);
    csc_upload u;
    csc_upload_init(&t, &u);
    cl_mem d_dw = tu_buffer(t.c, (size_t)U * H + 7, NULL);
    cr_assert(ark_sp_weight_grad(t.c, d_dw, 7, t.dck, t.da, u.d_cp, U + 1, u.d_eb, u.d_ek, U,
                                 H) == AR_OK, "%s", ar_last_error());
    ar_sp_weight_grad_ref(t.ref, t.ck, t.a, u.cp, u.eb, u.ek, U, H);
    float *all = malloc(((size_t)U * H + 7) * sizeof *all);
    tu_read(t.c, d_dw, (size_t)U * H + 7, all);
    tu_compare("sp_weight_grad", all + 7, t.ref, (size_t)U * H, 1e-5, 1e-4);
    clReleaseMemObject(d_dw);
    free(all);
    csc_upload_free(&u);
    sp_case_free(&t);
}

/* A fused Adam step's parameters and moments (pb, mb, vb) against the passes it replaces (pa,
 * ma, va: within rounding) and against the CPU reference's (pr, mr, vr), n floats each. */
static void compare_adam_step(ar_ctx *c, const char *what, cl_mem pa, cl_mem ma, cl_mem va,
                              cl_mem pb, cl_mem mb, cl_mem vb, const float *pr, const float *mr,
                              const float *vr, size_t n) {
    float *ga = malloc(n * sizeof *ga), *gb = malloc(n * sizeof *gb);
    const cl_mem fused[3] = {pb, mb, vb}, passes[3] = {pa, ma, va};
    const float *ref[3] = {pr, mr, vr};
    const char *names[3] = {"params", "m", "v"};
    const double atol[3] = {1e-5, 1e-6, 1e-8};
    char label[96];
    for (int k = 0; k < 3; k++) {
        tu_read(c, passes[k], n, ga);
        tu_read(c, fused[k], n, gb);
        snprintf(label, sizeof label, "%s %s", what, names[k]);
        tu_compare(label, gb, ga, n, 1e-7, 1e-6); /* fused against the passes */
        snprintf(label, sizeof label, "%s %s (reference)", what, names[k]);
        tu_compare(label, gb, ref[k], n, atol[k], 1e-4);
    }
    free(ga); free(gb);
}

/* The fused gradient + Adam step of the first and last weight matrices: the same parameters and
 * moments as ar_sp_weight_grad followed by ar_adam on the same range (the same arithmetic), and
 * as the CPU reference; nothing outside the range touched. */
Test(sparse, sp_weight_adam) {
    sp_case t;
    sp_case_init(&t);
    csc_upload u;
    csc_upload_init(&t, &u);
    const size_t n = (size_t)B_OFF + U, end = (size_t)W_OFF + (size_t)U * H;
    float *p = malloc(n * sizeof *p), *m0 = malloc(n * sizeof *m0), *v0 = malloc(n * sizeof *v0);
    tu_read(t.c, t.w, n, p);
    tu_fill(m0, n, -0.01f, 0.01f, &t.rng);
    tu_fill(v0, n, 0.0f, 1e-4f, &t.rng);
    const ark_adam_step s = {0.01f, 0.9f, 0.999f, 1e-8f, 0.19f, 0.002f, 0.05f}; /* step 2 */
    cl_mem pa = tu_buffer(t.c, n, p), ma = tu_buffer(t.c, n, m0), va = tu_buffer(t.c, n, v0);
    cl_mem pb = tu_buffer(t.c, n, p), mb = tu_buffer(t.c, n, m0), vb = tu_buffer(t.c, n, v0);
    cl_mem dw = tu_buffer(t.c, n, NULL);
    cr_assert(ark_sp_weight_grad(t.c, dw, W_OFF, t.dck, t.da, u.d_cp, U + 1, u.d_eb, u.d_ek, U,
                                 H) == AR_OK, "%s", ar_last_error());
    cr_assert(ark_adam_range(t.c, pa, dw, ma, va, W_OFF, (int)end, (int)end, &s) == AR_OK, "%s",
              ar_last_error());
    cr_assert(ark_sp_weight_adam(t.c, pb, mb, vb, W_OFF, t.dck, t.da, u.d_cp, U + 1, u.d_eb,
                                 u.d_ek, U, H, &s) == AR_OK, "%s", ar_last_error());
    /* against the CPU: the reference gradient, then the reference Adam over the range */
    float *pr = malloc(n * sizeof *pr);
    memcpy(pr, p, n * sizeof *pr);
    ar_sp_weight_adam_ref(pr + W_OFF, m0 + W_OFF, v0 + W_OFF, t.ck, t.a, u.cp, u.eb, u.ek, U, H,
                          s.lr, s.beta1, s.beta2, s.eps, s.bc1, s.bc2, s.l2);
    compare_adam_step(t.c, "weight step", pa, ma, va, pb, mb, vb, pr, m0, v0, n);
    cl_mem bufs[] = {pa, ma, va, pb, mb, vb, dw};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(p); free(m0); free(v0); free(pr);
    csc_upload_free(&u);
    sp_case_free(&t);
}

/* Long rows and columns (about 30 and 8 entries): SDDMM's four entries per lane all taken, input
 * dropout's 8-entry draws, not only their tails. */
Test(sparse, sp_products_long_rows) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    csc_upload u;
    csc_upload_init(&t, &u);
    cl_mem d_out = tu_buffer(t.c, (size_t)(t.nnz > U * H ? t.nnz : U * H), NULL);
    cr_assert(ark_sp_spmm(t.c, d_out, t.dck, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows, 0, B, H,
                          AR_ACT_SIGMOID, U) == AR_OK, "%s", ar_last_error());
    ar_sp_spmm_ref(t.ref, t.ck, t.W, t.bias, &t.m, t.rows, B, H, AR_ACT_SIGMOID);
    tu_read(t.c, d_out, (size_t)B * H, t.got);
    tu_compare("sp_spmm (long rows)", t.got, t.ref, (size_t)B * H, 1e-5, 1e-4);
    cr_assert(ark_sp_sddmm(t.c, d_out, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows, 0, B, H,
                           AR_ACT_IDENTITY) == AR_OK, "%s", ar_last_error());
    ar_sp_sddmm_ref(t.ref, t.a, t.W, t.bias, &t.m, t.rows, B, H, AR_ACT_IDENTITY);
    tu_read(t.c, d_out, t.nnz, t.got);
    compare_entries(&t, "sp_sddmm (long rows)", t.got, t.ref, 1e-5f, 1e-4f);
    cr_assert(ark_sp_weight_grad(t.c, d_out, 0, t.dck, t.da, u.d_cp, U + 1, u.d_eb, u.d_ek, U,
                                 H) == AR_OK, "%s", ar_last_error());
    ar_sp_weight_grad_ref(t.ref, t.ck, t.a, u.cp, u.eb, u.ek, U, H);
    tu_read(t.c, d_out, (size_t)U * H, t.got);
    tu_compare("sp_weight_grad (long rows)", t.got, t.ref, (size_t)U * H, 1e-5, 1e-4);
    cr_assert(ark_sp_input(t.c, d_out, t.ptr, t.idx, t.val, t.drows, 0, B, U, 0, 0.7f, 1.5f, 99,
                           3) == AR_OK, "%s", ar_last_error()); /* 8 entries per draw */
    ar_sp_input_ref(t.ref, &t.m, t.rows, B, 0.7f, 1.5f, 99, 3);
    tu_read(t.c, d_out, t.nnz, t.got);
    compare_entries(&t, "input dropout (long rows)", t.got, t.ref, 0, 0);
    clReleaseMemObject(d_out);
    csc_upload_free(&u);
    sp_case_free(&t);
}

/* The SpMMs with each row's entries in chunks (kernel parameter row_split, a GPU's default):
 * 2, 3 and 256 chunks of rows of about 30 entries (most of 256 empty), the encoder's forward
 * (bias, sigmoid), the gradient form (no bias) and the backward pass with a mask, against the
 * reference within rounding, and the same bits run after run. */
Test(sparse, sp_spmm_chunks) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    const size_t n = (size_t)B * H;
    float *first = malloc(n * sizeof *first);
    layer_case l;
    layer_case_init(&l, &t);
    cl_mem d_out = tu_buffer(t.c, n, NULL);
    const int chunks[3] = {2, 3, 256};
    for (int i = 0; i < 3; i++) {
        t.c->kp.row_split = chunks[i];
        for (int v = 0; v < 3; v++) {
            for (int run = 0; run < 2; run++) {
                if (v < 2)
                    cr_assert(ark_sp_spmm(t.c, d_out, t.dck, t.w, W_OFF, v == 0 ? B_OFF : -1,
                                          t.ptr, t.idx, t.drows, 0, B, H,
                                          v == 0 ? AR_ACT_SIGMOID : AR_ACT_IDENTITY, U) == AR_OK,
                              "%s", ar_last_error());
                else
                    cr_assert(ark_sp_spmm_backward(t.c, d_out, t.dck, t.w, W_OFF, t.ptr, t.idx,
                                                   t.drows, 0, B, H, l.d_mask, 1.5f, l.d_a,
                                                   AR_ACT_SIGMOID) == AR_OK, "%s",
                              ar_last_error());
                tu_read(t.c, d_out, n, run ? t.got : first);
            }
            tu_compare("sp_spmm in chunks, run again", t.got, first, n, 0, 0);
            if (v < 2)
                ar_sp_spmm_ref(t.ref, t.ck, t.W, v == 0 ? t.bias : NULL, &t.m, t.rows, B, H,
                               v == 0 ? AR_ACT_SIGMOID : AR_ACT_IDENTITY);
            else
                ar_sp_spmm_backward_ref(t.ref, t.ck, t.W, &t.m, t.rows, B, H, l.mask, 1.5f, l.a,
                                        AR_ACT_SIGMOID);
            tu_compare(v == 0 ? "sp_spmm in chunks (encoder)"
                       : v == 1 ? "sp_spmm in chunks (input gradient)"
                                : "sp_spmm_backward in chunks",
                       t.got, t.ref, n, 1e-5, 1e-4);
        }
    }
    clReleaseMemObject(d_out);
    layer_case_free(&l);
    free(first);
    sp_case_free(&t);
}

/* ar_sp_spmm_part: each row's P chunk sums against the reference, P = 1 (the whole row), 3,
 * and 256 (most chunks empty: zeros), rows of about 30 entries. */
Test(sparse, sp_spmm_part) {
    sp_case t;
    sp_case_init_density(&t, 0.6);
    const int chunks[3] = {1, 3, 256};
    for (int i = 0; i < 3; i++) {
        const int P = chunks[i];
        const size_t n = (size_t)B * P * H;
        float *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
        cl_mem d_part = tu_buffer(t.c, n, NULL);
        check_status(ark_sp_spmm_part(t.c, d_part, t.dck, t.w, W_OFF, t.ptr, t.idx, t.drows, 0,
                                      B, H, P));
        tu_read(t.c, d_part, n, got);
        ar_sp_spmm_part_ref(ref, t.ck, t.W, &t.m, t.rows, B, H, P);
        tu_compare("sp_spmm_part", got, ref, n, 1e-5, 1e-4);
        clReleaseMemObject(d_part);
        free(got); free(ref);
    }
    sp_case_free(&t);
}

/* ar_sp_spmm_join: P = 1 and 5 chunk sums added per row, the encoder's ending (bias, sigmoid),
 * the gradient form's (no bias) and the backward pass's (mask, scale, g'), against the
 * reference. */
Test(sparse, sp_spmm_join) {
    sp_case t;
    sp_case_init(&t);
    const size_t n = (size_t)B * H;
    layer_case l;
    layer_case_init(&l, &t);
    cl_mem d_out = tu_buffer(t.c, n, NULL);
    const int chunks[2] = {1, 5};
    for (int i = 0; i < 2; i++) {
        const int P = chunks[i];
        float *part = malloc(n * P * sizeof *part);
        tu_fill(part, n * P, -1.0f, 1.0f, &t.rng);
        cl_mem d_part = tu_buffer(t.c, n * P, part);
        for (int v = 0; v < 3; v++) {
            const int act = v == 0 ? AR_ACT_SIGMOID : v == 1 ? AR_ACT_IDENTITY : AR_ACT_TANH;
            check_status(ark_sp_spmm_join(t.c, d_out, d_part, t.w, v == 0 ? B_OFF : -1,
                                          B, H, act, P, v == 2, v == 2 ? l.d_mask : NULL, 1.5f,
                                          v == 2 ? l.d_a : NULL));
            tu_read(t.c, d_out, n, t.got);
            ar_sp_spmm_join_ref(t.ref, part, v == 0 ? t.bias : NULL, B, H, act, P, v == 2,
                                v == 2 ? l.mask : NULL, 1.5f, l.a);
            tu_compare(v == 0 ? "sp_spmm_join (encoder)" : v == 1 ? "sp_spmm_join (gradient form)"
                                                                  : "sp_spmm_join (backward)",
                       t.got, t.ref, n, 1e-6, 1e-5);
        }
        clReleaseMemObject(d_part);
        free(part);
    }
    clReleaseMemObject(d_out);
    layer_case_free(&l);
    sp_case_free(&t);
}

/* SDDMM from the batch CSC (uploaded as batch 1 of 2): the reference, and exactly ar_sp_sddmm's
 * numbers (the same dot product order), short columns and the long rows' long columns. */
Test(sparse, sp_sddmm_csc) {
    const double dens[2] = {0.15, 0.6};
    for (int v = 0; v < 2; v++) {
        sp_case t;
        sp_case_init_density(&t, dens[v]);
        lanes_form(t.c);
        csc_upload u;
        csc_upload_init(&t, &u);
        cl_mem d_y = tu_buffer(t.c, t.nnz, NULL), d_y2 = tu_buffer(t.c, t.nnz, NULL);
        cr_assert(ark_sp_sddmm_csc(t.c, d_y, t.da, t.w, W_OFF, B_OFF, u.d_cp, U + 1, u.d_eb,
                                   u.d_ek, U, H, AR_ACT_SIGMOID) == AR_OK, "%s", ar_last_error());
        ar_sp_sddmm_csc_ref(t.ref, t.a, t.W, t.bias, u.cp, u.eb, u.ek, U, H, AR_ACT_SIGMOID);
        tu_read(t.c, d_y, t.nnz, t.got);
        compare_entries(&t, "sp_sddmm_csc", t.got, t.ref, 1e-5f, 1e-4f);
        cr_assert(ark_sp_sddmm(t.c, d_y2, t.da, t.w, W_OFF, B_OFF, t.ptr, t.idx, t.drows, 0, B, H,
                               AR_ACT_SIGMOID) == AR_OK, "%s", ar_last_error());
        tu_read(t.c, d_y2, t.nnz, t.ref);
        compare_entries(&t, "sp_sddmm_csc against sp_sddmm", t.got, t.ref, 0, 0);
        clReleaseMemObject(d_y);
        clReleaseMemObject(d_y2);
        csc_upload_free(&u);
        sp_case_free(&t);
    }
}

/* db (U) from the batch CSC, written at an offset. */
Test(sparse, sp_bias_grad) {
    sp_case t;
    sp_case_init(&t);
    csc_upload u;
    csc_upload_init(&t, &u);
    cl_mem d_db = tu_buffer(t.c, (size_t)U + 7, NULL);
    cr_assert(ark_sp_bias_grad(t.c, d_db, 7, t.dck, u.d_cp, U + 1, u.d_ek, U) == AR_OK, "%s",
              ar_last_error());
    float rdb[U], all[U + 7];
    ar_sp_bias_grad_ref(rdb, t.ck, u.cp, u.ek, U);
    tu_read(t.c, d_db, (size_t)U + 7, all);
    tu_compare("sp_bias_grad", all + 7, rdb, U, 1e-5, 1e-4);
    clReleaseMemObject(d_db);
    csc_upload_free(&u);
    sp_case_free(&t);
}

/* Both layers' biases step in one launch: the same parameters and moments as the passes it
 * replaces (ar_sp_bias_grad and ar_colsum into a gradient buffer, then ar_adam over the bias
 * range, as training ran them before s17), within rounding, and the CPU reference; nothing
 * else touched. The encoder's H = 23 biases: two whole float8 and a tail of 7. */
Test(sparse, sp_bias_adam) {
    sp_case t;
    sp_case_init(&t);
    csc_upload u;
    csc_upload_init(&t, &u);
    /* a bias buffer laid out as the model's: [0, 4) other, encoder's H at 4, decoder's U after */
    const int enc = 4, dec = enc + H, n = dec + U + 3;
    float *p = malloc(n * sizeof *p), *m0 = malloc(n * sizeof *m0), *v0 = malloc(n * sizeof *v0);
    tu_fill(p, n, -0.5f, 0.5f, &t.rng);
    tu_fill(m0, n, -0.01f, 0.01f, &t.rng);
    tu_fill(v0, n, 0.0f, 1e-4f, &t.rng);
    const ark_adam_step s = {0.01f, 0.9f, 0.999f, 1e-8f, 0.19f, 0.002f, 0.05f}; /* step 2 */
    cl_mem pa = tu_buffer(t.c, n, p), ma = tu_buffer(t.c, n, m0), va = tu_buffer(t.c, n, v0);
    cl_mem g = tu_buffer(t.c, n, NULL);
    check_status(ark_sp_bias_grad(t.c, g, dec, t.dck, u.d_cp, U + 1, u.d_ek, U));
    check_status(ark_colsum(t.c, g, enc, t.da, B, H));
    check_status(ark_adam_range(t.c, pa, g, ma, va, enc, dec + U, 0, &s));
    float *pr = malloc(n * sizeof *pr), *m1 = malloc(n * sizeof *m1), *v1 = malloc(n * sizeof *v1);
    memcpy(pr, p, n * sizeof *pr);
    memcpy(m1, m0, n * sizeof *m1), memcpy(v1, v0, n * sizeof *v1); /* the ref steps m0, v0 */
    ar_sp_bias_adam_ref(pr + dec, m0 + dec, v0 + dec, pr + enc, m0 + enc, v0 + enc, t.ck, u.cp,
                        u.ek, U, t.a, B, H, s.lr, s.beta1, s.beta2, s.eps, s.bc1, s.bc2);
    /* 32 encoder biases per work-item (a CPU's) and one (a GPU's: row_split set) */
    for (int form = 0; form < 2; form++) {
        t.c->kp.row_split = form ? 32 : 0;
        cl_mem qb = tu_buffer(t.c, n, p), rb = tu_buffer(t.c, n, m1), sb = tu_buffer(t.c, n, v1);
        check_status(ark_sp_bias_adam(t.c, qb, rb, sb, dec, enc, t.dck, u.d_cp, U + 1, u.d_ek,
                                      U, t.da, B, H, &s));
        compare_adam_step(t.c, "bias step", pa, ma, va, qb, rb, sb, pr, m0, v0, n);
        clReleaseMemObject(qb); clReleaseMemObject(rb); clReleaseMemObject(sb);
    }
    cl_mem bufs[] = {pa, ma, va, g};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) clReleaseMemObject(bufs[i]);
    free(p); free(m0); free(v0); free(pr); free(m1); free(v1);
    csc_upload_free(&u);
    sp_case_free(&t);
}

typedef struct {
    double loss[4], train[4], test[4], valid[4];
} history;

static history train_run(ar_ctx *ctx, const ar_dataset *ds, uint64_t seed, ar_kernel_path path,
                         int n_layers, ar_center center) {
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 30;
    if (n_layers) {
        cfg.n_layers = 2;
        cfg.layers[0] = 21;
        cfg.layers[1] = 14;
    }
    cfg.batch = 16;
    cfg.dropout = 0.2f;
    cfg.input_dropout = 0.1f;
    cfg.seed = seed;
    cfg.kernels = path;
    cfg.center = center;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    cr_assert_eq(ar_model_kernels(m), path);
    history h;
    for (int e = 0; e < 4; e++) {
        ar_epoch_stats s;
        cr_assert(ar_model_train_epoch(m, &s) == AR_OK, "%s", ar_last_error());
        h.loss[e] = s.loss, h.train[e] = s.train_rmse, h.test[e] = s.test_rmse;
        h.valid[e] = s.valid_rmse;
    }
    ar_model_free(m);
    return h;
}

static void close_enough(const char *what, int e, double d, double s) {
    cr_assert(fabs(d - s) <= 1e-5 + 1e-4 * fabs(d), "epoch %d %s: dense %.9g, sparse %.9g", e + 1,
              what, d, s);
}

/* Same seed, same device: the dense and the sparse path train the same model (losses and
 * every RMSE within float tolerance), one and three hidden layers, and one hidden layer centered
 * on the bias baseline both ways (ar_center: residual targets, and residual inputs); the sparse
 * path twice gives identical numbers. */
Test(sparse, training_agrees_with_dense_and_repeats_exactly, .timeout = 600) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    ar_ratings *train = NULL, *test = NULL;
    tu_synth(90, 70, 3, 0.15, 0.1, seed, &train, &test);
    ar_ratings *tr = NULL, *va = NULL;
    cr_assert(ar_ratings_split(train, 0.1, seed + 1, &tr, &va) == AR_OK);
    ar_dataset *ds = NULL;
    cr_assert(ar_dataset_create_ex(tr, va, test, AR_ROWS_ITEMS, &ds) == AR_OK, "%s",
              ar_last_error());
    static const struct { int deep; ar_center center; } runs[] = {
        {0, AR_CENTER_NONE}, {1, AR_CENTER_NONE}, {0, AR_CENTER_BIAS}, {0, AR_CENTER_INPUT}};
    for (size_t r = 0; r < sizeof runs / sizeof *runs; r++) {
        const int deep = runs[r].deep;
        const ar_center center = runs[r].center;
        history d = train_run(ctx, ds, seed, AR_KERNELS_DENSE, deep, center);
        history s = train_run(ctx, ds, seed, AR_KERNELS_SPARSE, deep, center);
        for (int e = 0; e < 4; e++) {
            close_enough("loss", e, d.loss[e], s.loss[e]);
            close_enough("train RMSE", e, d.train[e], s.train[e]);
            close_enough("valid RMSE", e, d.valid[e], s.valid[e]);
            close_enough("test RMSE", e, d.test[e], s.test[e]);
        }
        history s2 = train_run(ctx, ds, seed, AR_KERNELS_SPARSE, deep, center);
        cr_assert(!memcmp(&s, &s2, sizeof s), "the sparse path gave different numbers twice");
    }
    ar_dataset_free(ds);
    ar_ratings_free(train);
    ar_ratings_free(test);
    ar_ratings_free(tr);
    ar_ratings_free(va);
    ar_ctx_free(ctx);
}

/* auto: sparse up to AR_SPARSE_MAX_DENSITY, dense above; names parse both ways. */
Test(sparse, auto_picks_by_density) {
    ar_ctx *ctx = tu_ctx();
    uint64_t seed = tu_seed();
    const double density[2] = {0.1, 0.6};
    for (int i = 0; i < 2; i++) {
        ar_ratings *train = NULL, *test = NULL;
        tu_synth(40, 30, 2, density[i], 0.1, seed, &train, &test);
        ar_dataset *ds = NULL;
        cr_assert(ar_dataset_create(train, test, &ds) == AR_OK, "%s", ar_last_error());
        ar_train_config cfg;
        ar_train_config_default(&cfg);
        cfg.hidden = 8;
        ar_model *m = NULL;
        cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
        cr_assert_eq(ar_model_kernels(m), i == 0 ? AR_KERNELS_SPARSE : AR_KERNELS_DENSE,
                     "density %g", density[i]);
        ar_model_free(m);
        ar_dataset_free(ds);
        ar_ratings_free(train);
        ar_ratings_free(test);
    }
    ar_kernel_path k;
    cr_assert(ar_kernel_path_parse("Sparse", &k) == AR_OK && k == AR_KERNELS_SPARSE);
    cr_assert(ar_kernel_path_parse("csr", &k) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "kernel path"), "%s", ar_last_error());
    cr_assert_str_eq(ar_kernel_path_name(AR_KERNELS_AUTO), "auto");
    ar_ctx_free(ctx);
}
