/* cmd_predict.c - `autorec predict`: predictions of saved models (or their ensemble's mean) for
 * 'user item' pairs read from a file, printed in order. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    cli_saved_opts m;
    const char *pairs;       /* --pairs FILE */
} predict_opts;

/* Parses the line p..le, "user item" (a third field and more are ignored), into *a, *b; 0 when
 * malformed. p is not blank. */
static int parse_pair(const char *p, const char *le, long long *a, long long *b) {
    char *end;
    p += strspn(p, " \t\r");
    errno = 0;
    *a = strtoll(p, &end, 10);
    if (end == p || (*end != ' ' && *end != '\t' && *end != ',') || errno) return 0;
    p = end + 1;
    while (*p == ' ' || *p == '\t') p++;
    if (p >= le || *p == '\r' || *p == '\n') return 0; /* strtoll would read the next line */
    *b = strtoll(p, &end, 10);
    return end != p && !errno && *a >= 0 && *b >= 0 && *a <= 2147483647LL &&
           *b <= 2147483647LL && (*end == 0 || strchr("\n\r \t,", *end));
}

/* Appends a pair, growing the arrays (doubling); 0 when out of memory. */
static int push_pair(int64_t **u, int64_t **i, size_t *n, size_t *room, long long a,
                     long long b) {
    if (*n == *room) {
        size_t r = *room ? 2 * *room : 1024;
        int64_t *nu = realloc(*u, r * sizeof **u);
        if (nu) *u = nu;
        int64_t *ni = nu ? realloc(*i, r * sizeof **i) : NULL;
        if (ni) *i = ni;
        if (!nu || !ni) return 0;
        *room = r;
    }
    (*u)[*n] = a, (*i)[*n] = b, (*n)++;
    return 1;
}

/* Reads "user item" pairs, skipping blank lines; a malformed line is an error naming
 * file:line. The file is read by the library (ar_read_file: a regular file, read at most as
 * large as it was when opened; a FIFO or device is refused), then split into lines. */
static ar_status read_pairs(const char *path, int64_t **users, int64_t **items, size_t *n) {
    char *buf;
    size_t len, room = 0;
    ar_status st = ar_read_file(path, &buf, &len);
    *users = *items = NULL, *n = 0;
    const char *p = buf, *end = buf + len;
    for (int ln = 1; st == AR_OK && p < end; ln++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *line = p;
        long long a, b;
        p = nl ? nl + 1 : end;
        if (memchr(line, 0, (size_t)(le - line)))
            st = cli_fail(AR_ERR_PARSE, "%s:%d: contains a NUL byte (binary data?)", path, ln);
        else if (line + strspn(line, " \t\r") >= le)
            continue; /* blank */
        else if (!parse_pair(line, le, &a, &b))
            st = cli_fail(AR_ERR_PARSE, "%s:%d: expected 'user item' (two ids in 0..2^31-1)",
                          path, ln);
        else if (!push_pair(users, items, n, &room, a, b))
            st = cli_fail(AR_ERR_OUT_OF_MEMORY, "%s: out of host memory", path);
    }
    free(buf);
    if (st != AR_OK) {
        free(*users), free(*items);
        *users = *items = NULL;
    }
    return st;
}

static ar_status run_predict(const cli_command *self, void *opts, const cli_parsed *p) {
    (void)self, (void)p; /* what it needs is in the options */
    const predict_opts *o = opts;
    ar_status st;
    int64_t *u = NULL, *i = NULL;
    size_t n = 0;
    cli_loaded l = {0};
    float *pred = NULL;
    st = read_pairs(o->pairs, &u, &i, &n);
    if (st == AR_OK) st = cli_saved_load(&o->m, NULL, &l);
    if (st == AR_OK && !(pred = malloc((n ? n : 1) * sizeof *pred)))
        st = cli_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    if (st == AR_OK) st = ar_ensemble_predict(l.ms, l.n, u, i, n, pred, NULL);
    for (size_t k = 0; st == AR_OK && k < n; k++)
        printf("%lld\t%lld\t%.4f\n", (long long)u[k], (long long)i[k], (double)pred[k]);
    cli_saved_free(&l);
    free(u);
    free(i);
    free(pred);
    return st;
}

static const cli_option predict_options[] = {
    {.name = "--pairs", .meta = "FILE", .kind = CLI_STRING, .at = offsetof(predict_opts, pairs),
     .flags = CLI_REQUIRED,
     .help = "'user item' pairs, one per line (spaces, tabs or a comma; more fields are "
             "ignored, so a ratings file works too)"},
};
static const cli_group predict_group = CLI_GROUP("options", predict_options, NULL);

static const cli_use predict_groups[] = {
    {&cli_saved, offsetof(predict_opts, m)},
    {&predict_group, 0},
};

const cli_command cli_cmd_predict = {
    .name = "predict",
    .summary = "predict ratings for 'user item' pairs with a saved model",
    .usage = "autorec predict --model FILE [--model FILE ...] --pairs FILE [--device SPEC]",
    .about = "Reads 'user item' pairs, one per line, and prints 'user item prediction' for "
             "each, in order.",
    CLI_USES(predict_groups),
    .size = sizeof(predict_opts),
    .run = run_predict,
};
