/* fuzz_model.c - libFuzzer harness for the model-file reader (ar_checkpoint_parse: what
 * ar_checkpoint_read runs on a file's bytes) and for what eval, predict and recommend do with an
 * accepted file before they need a device: its configuration, row kind, counters and ratings,
 * and the dataset built from the stored ratings (host/cli/saved.c), against which the model's
 * layout must have exactly the stored parameter count (ar_model_state copies that many).
 *
 * Each input is parsed twice: as it is, which the header, length and SHA-256 checks mostly
 * refuse; then with its payload length and SHA-256 rewritten to match, as someone crafting a
 * file would do, so that mutations reach every field's check. The seed corpus
 * (tests/fuzz/corpus/model) holds small valid files written by gen_model_corpus.c.
 * Built by ci/fuzz.sh (cmake -DAUTOREC_FUZZ=ON with clang); see tests/fuzz/CMakeLists.txt.
 * Besides memory errors (ASan) and undefined behaviour (UBSan), the harness aborts when an
 * accepted file breaks what the rest of the library assumes of it (struct ar_checkpoint in
 * host/model/model.h), or a refusal is not one "fuzz.bin: ..." line.
 */
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_model: check failed at %s:%d: %s\n", __FILE__, __LINE__,  \
                    #cond);                                                                \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static const char name[] = "fuzz.bin";

/* The stored configuration is one the library accepts, with a usable rating scale. */
static void check_config(const ar_checkpoint *ck, ar_train_config *cfg) {
    ar_checkpoint_config(ck, cfg);
    CHECK(ar_train_config_validate(cfg) == AR_OK);
    CHECK(isfinite(cfg->rating_min) && isfinite(cfg->rating_max));
    CHECK(cfg->rating_min < cfg->rating_max);
    CHECK(cfg->default_rating >= cfg->rating_min && cfg->default_rating <= cfg->rating_max);
    ar_rows rows = ar_checkpoint_rows(ck);
    CHECK(rows == AR_ROWS_ITEMS || rows == AR_ROWS_USERS);
    CHECK(ar_checkpoint_epochs_done(ck) >= 0 && ar_checkpoint_epochs_done(ck) <= 1000000);
    CHECK(strlen(ar_checkpoint_source(ck)) < 1u << 16); /* reads it to its NUL */
}

/* What eval / predict / recommend build from the file before the device: the dataset of its
 * ratings, whose shape the weights must fit. */
static void check_dataset(const ar_checkpoint *ck, const ar_train_config *cfg) {
    const ar_ratings *tr = ar_checkpoint_train(ck);
    const size_t n = ar_ratings_count(tr);
    CHECK(n >= 1);
    for (size_t i = 0; i < n; i++) {
        int64_t u = -1, it = -1;
        float r = NAN;
        ar_ratings_get(tr, i, &u, &it, &r);
        CHECK(u >= 0 && u <= INT32_MAX && it >= 0 && it <= INT32_MAX && isfinite(r));
    }
    ar_dataset *ds = NULL;
    CHECK(ar_dataset_create_ex(tr, NULL, NULL, ar_checkpoint_rows(ck), &ds) == AR_OK);
    CHECK(ds->n_rows == ck->n_rows && ds->n_cols == ck->n_cols);
    ar_dataset_stats s;
    ar_dataset_get_stats(ds, &s);
    CHECK(s.n_train == n);
    int widths[AR_MAX_HIDDEN_LAYERS];
    ar_layout L;
    ar_layout_init(&L, ds->n_cols, widths, ar_config_hidden(cfg, widths));
    CHECK(L.n_params == ck->n_params);
    for (size_t i = 0; i < ck->n_params; i++)
        CHECK(isfinite(ck->params[i]) && isfinite(ck->m[i]) && isfinite(ck->v[i]) &&
              ck->v[i] >= 0);
    /* a centered model has its baseline (mu, a bias per row and per column), finite; an
     * uncentered one none, or all zero */
    CHECK(cfg->center == AR_CENTER_NONE || ck->baseline);
    for (size_t i = 0; ck->baseline && i < 1 + (size_t)ck->n_rows + (size_t)ck->n_cols; i++)
        CHECK(isfinite(ck->baseline[i]) &&
              (cfg->center != AR_CENTER_NONE || ck->baseline[i] == 0));
    ar_dataset_free(ds);
}

static void parse_one(const uint8_t *data, size_t size) {
    ar_checkpoint *ck = NULL;
    ar_status st = ar_checkpoint_parse(data, size, name, &ck);
    if (st != AR_OK) {
        CHECK(ck == NULL);
        CHECK(st == AR_ERR_PARSE || st == AR_ERR_OUT_OF_MEMORY);
        const char *msg = ar_last_error();
        CHECK(strncmp(msg, name, sizeof name - 1) == 0 || st == AR_ERR_OUT_OF_MEMORY);
        CHECK(strchr(msg, '\n') == NULL);
        return;
    }
    CHECK(ck != NULL);
    ar_train_config cfg;
    check_config(ck, &cfg);
    check_dataset(ck, &cfg);
    ar_checkpoint_free(ck);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* libFuzzer's buffer ends exactly at data + size: reading past it is a heap overflow */
    parse_one(data, size);
    const size_t frame = AR_CKPT_HEADER_BYTES + AR_CKPT_SUM_BYTES;
    if (size < frame) return 0;
    uint8_t *b = malloc(size);
    if (!b) return 0;
    memcpy(b, data, size);
    uint64_t plen = size - frame;
    memcpy(b + 16, &plen, sizeof plen);
    unsigned int len = 0;
    EVP_Digest(b + AR_CKPT_HEADER_BYTES, (size_t)plen, b + AR_CKPT_HEADER_BYTES + plen, &len,
               EVP_sha256(), NULL);
    parse_one(b, size);
    free(b);
    return 0;
}
