/* test_dropout.c - dropout masks: identical on host (Random123 in C) and device (Random123 in
 * OpenCL C), keep rate within statistical tolerance, new masks for new steps and layers. */
#include "testutil.h"

#include <Random123/philox.h>

#include "rng.h"

static void check_status(ar_status st) { cr_assert(st == AR_OK, "%s", ar_last_error()); }

/* ar_dropout: the mask is identical on host and device, the keep rate is right, the backward
 * use (the same call on a gradient) draws the same mask, and other steps and layers draw other
 * masks. */
Test(dropout, dropout) {
    ar_ctx *ctx = tu_ctx();
    ar_rng rng = {tu_seed()};
    const int n = 1 << 20;
    const float keep = 0.8f;
    const uint64_t seed = ar_rng_next(&rng);
    const uint32_t step = (uint32_t)ar_rng_next(&rng), layer = 3;
    float *in = malloc(n * sizeof *in), *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
    tu_fill(in, n, 0.5f, 1.5f, &rng); /* never zero: a zero output means dropped */
    cl_mem din = tu_buffer(ctx, n, in), dout = tu_buffer(ctx, n, NULL);
    check_status(ark_dropout(ctx, dout, din, n, keep, 1.0f / keep, seed, step, layer));
    tu_read(ctx, dout, n, got);
    ar_dropout_ref(ref, in, n, keep, 1.0f / keep, seed, step, layer);
    tu_compare("dropout forward", got, ref, n, 0, 1e-6);
    size_t kept = 0;
    for (int i = 0; i < n; i++) kept += got[i] != 0.0f;
    double rate = (double)kept / n, sigma = sqrt(keep * (1 - keep) / n);
    fprintf(stderr, "  keep rate %.5f (want %.2f, 5 sigma = %.5f)\n", rate, (double)keep,
            5 * sigma);
    cr_assert(fabs(rate - keep) < 5 * sigma, "keep rate %.5f, want %.2f +- %.5f", rate,
              (double)keep, 5 * sigma);

    /* Elements 8 apart in a group of 32 take the four words of one Philox block, elements 32
     * apart in a group of 64 the two halves of one word (rng.h): their decisions are
     * independent, agreeing on keep^2 + (1-keep)^2 = 68% of pairs, not all. */
    for (int d = 8; d <= 32; d += 24) {
        size_t pairs = 0, agree = 0;
        for (int i = 0; i + d < n; i++)
            if (d == 8 ? i % 32 < 24 : i % 64 < 32)
                pairs++, agree += (got[i] != 0.0f) == (got[i + d] != 0.0f);
        cr_assert(fabs((double)agree / pairs - 0.68) < 0.01,
                  "elements %d apart sharing a Philox block agree on %.3f of pairs", d,
                  (double)agree / pairs);
    }

    /* Backward (the model runs the same call on the gradient, in place) draws the same mask. */
    cl_mem dgrad = tu_buffer(ctx, n, in);
    check_status(ark_dropout(ctx, dgrad, dgrad, n, keep, 1.0f / keep, seed, step, layer));
    float *gg = malloc(n * sizeof *gg);
    tu_read(ctx, dgrad, n, gg);
    tu_compare("dropout backward", gg, ref, n, 0, 1e-6);

    /* Another step and another layer draw different masks (agreeing only by chance: about
     * keep^2 + (1-keep)^2 = 68% of positions). */
    for (int k = 0; k < 2; k++) {
        check_status(ark_dropout(ctx, dout, din, n, keep, 1.0f / keep, seed, step + (k == 0),
                                 layer + (k == 1)));
        tu_read(ctx, dout, n, gg);
        size_t same = 0;
        for (int i = 0; i < n; i++) same += (gg[i] != 0.0f) == (got[i] != 0.0f);
        double agree = (double)same / n;
        cr_assert(fabs(agree - 0.68) < 0.01, "masks of another %s agree on %.3f of positions",
                  k == 0 ? "step" : "layer", agree);
    }
    free(in); free(got); free(ref); free(gg);
    ar_ctx_free(ctx);
}

/* The stored mask (a hidden layer's forward pass stores it, its backward pass applies it): the
 * same outputs as drawing, a byte of 1 per kept element and 0 per dropped one, and applied to
 * a gradient the same as drawing the mask again; n not a multiple of 64 (the tail). */
Test(dropout, stored_mask_is_the_drawn_mask) {
    ar_ctx *ctx = tu_ctx();
    ar_rng rng = {tu_seed()};
    const int n = 100003;
    const float keep = 0.7f;
    const uint64_t seed = ar_rng_next(&rng);
    const uint32_t step = 17, layer = 2;
    float *in = malloc(n * sizeof *in), *got = malloc(n * sizeof *got), *ref = malloc(n * sizeof *ref);
    tu_fill(in, n, 0.5f, 1.5f, &rng);
    cl_mem din = tu_buffer(ctx, n, in), dout = tu_buffer(ctx, n, NULL);
    cl_int err = CL_SUCCESS;
    cl_mem dmask = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, (size_t)n, NULL, &err);
    cr_assert(err == CL_SUCCESS);
    check_status(ark_dropout_mask(ctx, dout, din, dmask, AR_DROP_STORE, n, keep, 1.0f / keep,
                                  seed, step, layer));
    tu_read(ctx, dout, n, got);
    ar_dropout_ref(ref, in, n, keep, 1.0f / keep, seed, step, layer);
    tu_compare("dropout storing its mask", got, ref, n, 0, 0);
    unsigned char *mask = malloc((size_t)n);
    cr_assert(ar_read(ctx, dmask, 0, (size_t)n, mask) == AR_OK, "%s", ar_last_error());
    for (int i = 0; i < n; i++)
        cr_assert(mask[i] == (ref[i] != 0.0f), "mask[%d] = %d, output %g", i, mask[i], ref[i]);
    /* applied to a gradient, in place, with another seed given: the stored mask, not a draw */
    cl_mem dgrad = tu_buffer(ctx, n, in);
    check_status(ark_dropout_mask(ctx, dgrad, dgrad, dmask, AR_DROP_APPLY, n, keep, 1.0f / keep,
                                  seed + 1, step + 1, layer + 1));
    tu_read(ctx, dgrad, n, got);
    tu_compare("dropout applying its mask", got, ref, n, 0, 0);
    clReleaseMemObject(din); clReleaseMemObject(dout); clReleaseMemObject(dmask);
    clReleaseMemObject(dgrad);
    free(in); free(got); free(ref); free(mask);
    ar_ctx_free(ctx);
}

/* Each element draws its own (block, word, half): in every group of 64 elements the 8 blocks
 * from e / 8 on, each half of each word of each once. */
Test(dropout, block_word_and_half_cover_each_draw_once) {
    for (uint32_t g = 0; g < 64; g++) {
        const uint32_t base = g == 63 ? 0xFFFFFFC0u : 64 * g; /* the last group of uint32 too */
        int seen[8][4][2] = {{{0}}};
        for (uint32_t e = base; e - base < 64; e++) {
            uint32_t b = ar_dropout_block(e), w = ar_dropout_word(e), h = ar_dropout_half(e);
            cr_assert(b >= base / 8 && b < base / 8 + 8 && w < 4 && h < 2,
                      "element %u: block %u word %u half %u", e, b, w, h);
            cr_assert(!seen[b - base / 8][w][h]++, "element %u: block %u word %u half %u "
                      "drawn twice", e, b, w, h);
        }
    }
}

Test(dropout, threshold_edges) {
    cr_assert_eq(ar_dropout_threshold(1.0f), 65536u); /* every 16-bit draw kept */
    cr_assert_eq(ar_dropout_threshold(0.0f), 0u);
    cr_assert_eq(ar_dropout_threshold(0.5f), 32768u);
    cr_assert_eq(ar_dropout_threshold(0.4f), 26214u); /* 26214.4 rounded */
    cr_assert_eq(ar_dropout_threshold(2.0f), 65536u);
}
