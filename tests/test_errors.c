/* test_errors.c - the library's error convention: ar_status with a one-line message in
 * ar_last_error(). A message may add context to a lower layer's message (ar_fail given
 * ar_last_error() itself) without losing it: before, the buffer was formatted into itself and
 * the reason was overwritten ("m.bin: not a valid model file: m.bin: not a valid model file:"). */
#include <openssl/evp.h>
#include <string.h>

#include "testutil.h"

TestSuite(errors, .init = tu_tmpdir_setup, .fini = tu_tmpdir_teardown);

/* The number of non-overlapping occurrences of pat in s. */
static int count(const char *s, const char *pat) {
    int n = 0;
    for (const char *p = s; (p = strstr(p, pat)); p += strlen(pat)) n++;
    return n;
}

Test(errors, context_keeps_the_reason) {
    ar_fail(AR_ERR_PARSE, "u.data:7: the line has 2 fields");
    cr_assert_eq(ar_fail(AR_ERR_IO, "loading %s: %s", "u.data", ar_last_error()), AR_ERR_IO);
    cr_assert_str_eq(ar_last_error(), "loading u.data: u.data:7: the line has 2 fields");
    /* twice nested, and a message as long as the buffer: cut, never overrun */
    ar_fail(AR_ERR_IO, "a: %s", ar_last_error());
    cr_assert_str_eq(ar_last_error(), "a: loading u.data: u.data:7: the line has 2 fields");
    static char big[40000];
    memset(big, 'x', sizeof big - 1);
    ar_fail(AR_ERR_IO, "%s", big);
    ar_fail(AR_ERR_IO, "b: %s", ar_last_error());
    cr_assert(strncmp(ar_last_error(), "b: xxx", 6) == 0);
    cr_assert(strlen(ar_last_error()) < sizeof big);
}

Test(errors, every_status_has_a_name) {
    const ar_status all[] = {AR_OK, AR_ERR_INVALID_ARG, AR_ERR_IO, AR_ERR_PARSE,
                             AR_ERR_NO_PLATFORM, AR_ERR_NO_DEVICE, AR_ERR_OPENCL, AR_ERR_CLBLAST,
                             AR_ERR_BUILD, AR_ERR_OUT_OF_MEMORY, AR_ERR_DIVERGED};
    const int n = (int)(sizeof all / sizeof *all);
    for (int i = 0; i < n; i++) {
        cr_assert(strcmp(ar_status_string(all[i]), "unknown status") != 0, "%d", (int)all[i]);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(ar_status_string(all[i]), ar_status_string(all[j]));
    }
    cr_assert_str_eq(ar_status_string((ar_status)-99), "unknown status");
}

/* A model file with an impossible setting (lr = 20) whose checksum was rewritten to match: the
 * checksum guards against damage, validation against the setting, and the message says both
 * where (the file) and why (the setting), once each. */
Test(errors, model_file_with_an_invalid_setting_names_the_reason) {
    ar_ratings *tr, *te;
    tu_synth(30, 20, 2, 0.4, 0.2, 5, &tr, &te);
    ar_dataset *ds;
    cr_assert(ar_dataset_create(tr, te, &ds) == AR_OK);
    ar_ctx *ctx = tu_ctx();
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 4;
    cfg.epochs = 1;
    ar_model *m = NULL;
    cr_assert(ar_model_create(ctx, ds, &cfg, &m) == AR_OK, "%s", ar_last_error());
    const char *path = tu_path("m.bin");
    cr_assert(ar_model_save(m, path) == AR_OK, "%s", ar_last_error());
    size_t n;
    unsigned char *b = (unsigned char *)tu_slurp(path, &n);
    const size_t lr_at = 24 + 16; /* header, then i32[4] rows_are..batch, then f32 lr */
    const float lr = 20.0f;
    memcpy(b + lr_at, &lr, sizeof lr);
    uint64_t plen;
    memcpy(&plen, b + 16, sizeof plen);
    unsigned int sum_len = 0;
    EVP_Digest(b + 24, (size_t)plen, b + 24 + plen, &sum_len, EVP_sha256(), NULL);
    FILE *f = fopen(path, "wb");
    cr_assert(f && fwrite(b, 1, n, f) == n && fclose(f) == 0);
    ar_checkpoint *ck = NULL;
    cr_assert_eq(ar_checkpoint_read(path, &ck), AR_ERR_PARSE);
    const char *msg = ar_last_error();
    cr_assert_eq(count(msg, "not a valid model file"), 1, "%s", msg);
    cr_assert(strstr(msg, "m.bin") && strstr(msg, "ar_train_config.lr must be in (0, 10), got 20"),
              "%s", msg);
    cr_assert_null(ck);
    /* the same through the tool, as the bug was seen: one line, the reason kept */
    static char out[8192], err[8192];
    tu_write_file("pairs", "1 1\n");
    cr_assert_eq(tu_run_cli(tu_tmpdir(), NULL, out, err, sizeof out,
                            "predict --model %s --pairs %s",
                            path, tu_path("pairs")), 2, "%s", err);
    cr_assert_eq(count(err, "not a valid model file"), 1, "%s", err);
    cr_assert(strstr(err, "lr must be in (0, 10), got 20") && strchr(err, '\n') == strrchr(err,
                                                                                           '\n'),
              "%s", err);
    free(b);
    ar_model_free(m);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
}

/* AUTOREC_CL_DIR naming a missing directory: the message names the variable, the file and the
 * reason (it used to be empty: the same self-formatting). */
Test(errors, missing_kernel_directory_says_why) {
    setenv("AUTOREC_CL_DIR", "/nonexistent-autorec-cl", 1);
    ar_ctx *ctx = NULL;
    cr_assert_eq(ar_ctx_create(NULL, &ctx), AR_ERR_IO, "%s", ar_last_error());
    const char *msg = ar_last_error();
    cr_assert(strstr(msg, "AUTOREC_CL_DIR") && strstr(msg, "/nonexistent-autorec-cl/") &&
              strstr(msg, "No such file"), "%s", msg);
    cr_assert_null(ctx);
}
