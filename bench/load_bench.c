/* load_bench.c - times loading and splitting a ratings file, the way `autorec train` does it:
 * read + parse, random test split, validation split, and building the dataset (id maps, CSR).
 *
 *   autorec_load_bench FILE [REPEATS [DUPLICATES]]
 *
 * (default 5 repeats; prints the median of each phase). DUPLICATES (error, first, last, mean;
 * default error) is ar_load_options.duplicates: anything but error merges repeated pairs as the
 * file loads, which the load phase then includes.
 *
 * Each phase is timed with ar_time_seconds; the last line is a JSON summary. The first repeat
 * also warms the page cache, so run it twice when the file was just written.
 */
#include <stdio.h>
#include <stdlib.h>

#include "autorec.h"

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s FILE [REPEATS [DUPLICATES]]\n", argv[0]);
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (reps < 1 || reps > 100) {
        fprintf(stderr, "%s: REPEATS must be in 1..100\n", argv[0]);
        return 2;
    }
    ar_load_options lo;
    ar_load_options_default(&lo);
    if (argc > 3 && ar_duplicates_parse(argv[3], &lo.duplicates) != AR_OK) {
        fprintf(stderr, "%s: DUPLICATES: %s\n", argv[0], ar_last_error());
        return 2;
    }
    enum { LOAD, SPLIT, DATASET, TOTAL, NPHASE };
    static const char *names[NPHASE] = {"load", "split", "dataset", "total"};
    double t[NPHASE][100];
    size_t n = 0, merged = 0;
    int users = 0, items = 0;
    for (int r = 0; r < reps; r++) {
        ar_ratings *all = NULL, *rest = NULL, *test = NULL, *train = NULL, *valid = NULL;
        ar_dataset *ds = NULL;
        double t0 = ar_time_seconds();
        ar_status st = ar_ratings_load_ex(argv[1], &lo, &all);
        double t1 = ar_time_seconds();
        if (st == AR_OK) st = ar_ratings_split(all, 0.1, 1, &rest, &test);
        if (st == AR_OK) st = ar_ratings_split(rest, 0.05, 2, &train, &valid);
        double t2 = ar_time_seconds();
        if (st == AR_OK) st = ar_dataset_create_ex(train, valid, test, AR_ROWS_ITEMS, &ds);
        double t3 = ar_time_seconds();
        if (st != AR_OK) {
            fprintf(stderr, "%s: %s\n", argv[0], ar_last_error());
            return 1;
        }
        ar_dataset_stats s;
        ar_dataset_get_stats(ds, &s);
        n = ar_ratings_count(all);
        merged = ar_ratings_merged(all, NULL);
        users = s.n_users;
        items = s.n_items;
        t[LOAD][r] = t1 - t0;
        t[SPLIT][r] = t2 - t1;
        t[DATASET][r] = t3 - t2;
        t[TOTAL][r] = t3 - t0;
        fprintf(stderr, "repeat %d: load %.3f s, split %.3f s, dataset %.3f s, total %.3f s\n",
                r + 1, t1 - t0, t2 - t1, t3 - t2, t3 - t0);
        ar_dataset_free(ds);
        ar_ratings_free(all);
        ar_ratings_free(rest);
        ar_ratings_free(test);
        ar_ratings_free(train);
        ar_ratings_free(valid);
    }
    printf("{\"file\":\"%s\",\"ratings\":%zu,\"users\":%d,\"items\":%d,\"repeats\":%d", argv[1], n,
           users, items, reps);
    printf(",\"duplicates\":\"%s\",\"merged\":%zu", ar_duplicates_name(lo.duplicates), merged);
    for (int p = 0; p < NPHASE; p++) printf(",\"%s_seconds\":%.4f", names[p], median(t[p], reps));
    printf("}\n");
    return 0;
}
