/* quickstart.c - the autorec library in a few calls: read (or generate) ratings, split them
 * (training, validation, test), train I-AutoRec on the default OpenCL device until the
 * validation RMSE stops improving and report RMSE, save the best-validation model, load it back
 * and recommend items to a user.
 *
 *   quickstart [RATINGS_FILE]      any format autorec reads; without one, synthetic data
 *
 * Build against an installed copy:
 *   cc quickstart.c $(pkg-config --cflags --libs autorec) -o quickstart
 * or with CMake: find_package(autorec) and target_link_libraries(... autorec::autorec).
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <autorec.h>

static int fail(const char *what) {
    fprintf(stderr, "quickstart: %s: %s\n", what, ar_last_error());
    return 1;
}

/* ar_model_train calls this after every epoch. */
static ar_status show_epoch(void *user, const ar_epoch_stats *s, const ar_train_result *r) {
    (void)user;
    printf("epoch %d: train RMSE %.4f, valid RMSE %.4f%s, test RMSE %.4f\n", s->epoch,
           s->train_rmse, s->valid_rmse, r->selected_epoch == s->epoch ? " (best)" : "",
           s->test_rmse);
    return AR_OK;
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
    ar_ratings *all = NULL, *base = NULL, *train = NULL, *valid = NULL, *test = NULL;
    ar_dataset *ds = NULL;
    ar_ctx *ctx = NULL;
    ar_model *model = NULL;
    int rc = 1;
    if (ar_ratings_load(path, &all) != AR_OK) { fail("load"); goto done; }
    if (ar_ratings_split(all, 0.1, 1, &base, &test) != AR_OK) { fail("split"); goto done; }
    /* a validation set out of the training ratings: it chooses when to stop, not the test set */
    if (ar_ratings_split(base, 0.1, 2, &train, &valid) != AR_OK) { fail("split"); goto done; }
    if (ar_dataset_create_ex(train, valid, test, AR_ROWS_ITEMS, &ds) != AR_OK) {
        fail("dataset");
        goto done;
    }
    if (ar_ctx_create(NULL, &ctx) != AR_OK) { fail("device"); goto done; }
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = 64;
    cfg.epochs = 100; /* at most: cfg.patience epochs without a better validation RMSE stop it */
    cfg.batch = 16;   /* 200 items: 13 steps an epoch */
    if (ar_model_create(ctx, ds, &cfg, &model) != AR_OK) { fail("model"); goto done; }
    printf("device: %s\n", ar_ctx_device(ctx)->name);
    ar_train_result r;
    if (ar_model_train(model, show_epoch, NULL, &r) != AR_OK) { fail("train"); goto done; }
    /* the model now holds the best-validation epoch's weights */
    printf("stopped after epoch %d (%s); kept epoch %d: test RMSE %.4f\n", r.last_epoch,
           ar_stop_reason_name(r.stop), r.selected_epoch, r.selected.test_rmse);
    printf("mean-rating baseline: test RMSE %.4f\n", ar_dataset_mean_baseline_rmse(ds));

    /* save, then load into a fresh model: the file holds everything prediction needs */
    char model_path[] = "/tmp/autorec-quickstart-model-XXXXXX";
    int mfd = mkstemp(model_path);
    if (mfd < 0) { perror("mkstemp"); goto done; }
    close(mfd);
    if (ar_model_save(model, model_path) != AR_OK) { fail("save"); goto done; }
    ar_checkpoint *ck = NULL;
    ar_dataset *ds2 = NULL;
    ar_model *loaded = NULL;
    if (ar_checkpoint_read(model_path, &ck) != AR_OK) fail("read");
    else if (ar_dataset_create_ex(ar_checkpoint_train(ck), NULL, NULL, ar_checkpoint_rows(ck),
                                  &ds2) != AR_OK) fail("dataset");
    else if (ar_model_create_from(ctx, ds2, ck, NULL, &loaded) != AR_OK) fail("load");
    else {
        /* recommend to the first user of the file: the best predicted unrated items */
        const ar_ratings *tr = ar_checkpoint_train(ck);
        int64_t user, item, best_item = -1;
        float best = -1e30f;
        ar_ratings_get(tr, 0, &user, NULL, NULL);
        for (int64_t i = 1; i <= 200; i++) {
            int rated = 0;
            for (size_t k = 0; k < ar_ratings_count(tr) && !rated; k++) {
                int64_t u;
                ar_ratings_get(tr, k, &u, &item, NULL);
                rated = u == user && item == i;
            }
            float p;
            if (rated || ar_model_predict(loaded, &user, &i, 1, &p) != AR_OK) continue;
            if (p > best) best = p, best_item = i;
        }
        printf("recommended to user %lld: item %lld (predicted %.2f)\n", (long long)user,
               (long long)best_item, best);
        rc = 0;
    }
    ar_model_free(loaded);
    ar_dataset_free(ds2);
    ar_checkpoint_free(ck);
    unlink(model_path);
done:
    ar_model_free(model);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    ar_ratings_free(all);
    ar_ratings_free(base);
    ar_ratings_free(train);
    ar_ratings_free(valid);
    ar_ratings_free(test);
    if (path == synth_path) unlink(synth_path);
    return rc;
}
