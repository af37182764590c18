/* quickstart.c - the autorec library in a few calls: read (or generate) ratings, split them,
 * train I-AutoRec on the default OpenCL device, and report RMSE.
 *
 *   quickstart [RATINGS_FILE]      any format autorec reads; without one, synthetic data
 *
 * Build against an installed copy:
 *   cc quickstart.c $(pkg-config --cflags --libs autorec) -o quickstart
 * or with CMake: find_package(autorec) and target_link_libraries(... autorec::autorec).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <autorec.h>

static int fail(const char *what) {
    fprintf(stderr, "quickstart: %s: %s\n", what, ar_last_error());
    return 1;
}

int main(int argc, char **argv) {
    char synth_path[] = "/tmp/autorec-quickstart-XXXXXX";
    const char *path = argc > 1 ? argv[1] : NULL;
    if (!path) { /* a small synthetic low-rank dataset, written to a temporary file */
        int fd = mkstemp(synth_path);
        if (fd < 0) return perror("mkstemp"), 1;
        close(fd);
        ar_synth_config sc;
        ar_synth_config_default(&sc);
        sc.users = 300, sc.items = 200, sc.ratings = 12000, sc.seed = 7;
        if (ar_synth_write(&sc, synth_path) != AR_OK) return fail("synth");
        path = synth_path;
    }
    ar_ratings *all = NULL, *train = NULL, *test = NULL;
    ar_dataset *ds = NULL;
    ar_ctx *ctx = NULL;
    ar_model *model = NULL;
    int rc = 1;
    if (ar_ratings_load(path, &all) != AR_OK) { fail("load"); goto done; }
    if (ar_ratings_split(all, 0.1, 1, &train, &test) != AR_OK) { fail("split"); goto done; }
    if (ar_dataset_create(train, test, &ds) != AR_OK) { fail("dataset"); goto done; }
    if (ar_ctx_create(NULL, &ctx) != AR_OK) { fail("device"); goto done; }
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 64;
    cfg.epochs = 20;
    cfg.batch = 16; /* 200 items: 13 steps an epoch */
    if (ar_model_create(ctx, ds, &cfg, &model) != AR_OK) { fail("model"); goto done; }
    printf("device: %s\n", ar_ctx_device(ctx)->name);
    for (int e = 0; e < cfg.epochs; e++) {
        ar_epoch_stats s;
        if (ar_model_train_epoch(model, &s) != AR_OK) { fail("train"); goto done; }
        printf("epoch %d: train RMSE %.4f, test RMSE %.4f\n", s.epoch, s.train_rmse, s.test_rmse);
    }
    printf("mean-rating baseline: test RMSE %.4f\n", ar_dataset_mean_baseline_rmse(ds));
    rc = 0;
done:
    ar_model_free(model);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    ar_ratings_free(all);
    ar_ratings_free(train);
    ar_ratings_free(test);
    if (path == synth_path) unlink(synth_path);
    return rc;
}
