/* fuzz_titles.c - libFuzzer harness for the titles parser (ar_titles_parse: u.item, movies.dat,
 * movies.csv, detected from the content) and ar_titles_count/get.
 *
 * The whole input is the file's text. Built by ci/fuzz.sh (cmake -DAUTOREC_FUZZ=ON with clang);
 * see tests/fuzz/CMakeLists.txt. Besides memory errors (ASan) and undefined behaviour (UBSan),
 * the harness aborts when a failure leaves no message or a lookup breaks the contract in
 * include/autorec.h. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autorec.h"

#define CHECK(cond)                                                                        \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_titles: check failed at %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

/* Reads every byte of a title (so that ASan sees a title that is not NUL-terminated). */
static size_t touch(const char *s) {
    return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The text is libFuzzer's buffer, which ends exactly at data + size. */
    ar_titles *t = NULL;
    ar_status st = ar_titles_parse((const char *)data, size, "fuzz", &t);
    if (st != AR_OK) {
        CHECK(st == AR_ERR_PARSE || st == AR_ERR_INVALID_ARG || st == AR_ERR_OUT_OF_MEMORY);
        const char *msg = ar_last_error();
        CHECK(msg != NULL && strlen(msg) > 0);
        return 0;
    }
    CHECK(t != NULL);
    size_t n = ar_titles_count(t), found = 0, total = 0;
    /* Look up the small ids (where the fuzzer's ids mostly are), the edges, and ids read from
     * the start of each line. */
    for (int64_t id = -2; id < 64; id++) {
        const char *s = ar_titles_get(t, id);
        if (s) found++;
        total += touch(s);
    }
    const int64_t edges[] = {INT32_MAX, (int64_t)INT32_MAX + 1, INT64_MAX, INT64_MIN};
    for (size_t k = 0; k < sizeof edges / sizeof *edges; k++) total += touch(ar_titles_get(t, edges[k]));
    for (size_t i = 0; i < size; i++) {
        if (i > 0 && data[i - 1] != '\n') continue;
        int64_t id = 0;
        size_t j = i;
        while (j < size && j - i < 12 && data[j] >= '0' && data[j] <= '9') id = id * 10 + (data[j++] - '0');
        if (j > i) total += touch(ar_titles_get(t, id));
    }
    CHECK(found <= n);
    (void)total;
    ar_titles_free(t);
    return 0;
}
