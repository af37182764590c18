/* train_report.c - what `autorec train` prints: its set-up (stderr), the result lines (stdout)
 * and the JSON summary line. */
#include <math.h>

#include "train_run.h"

void cli_train_print_setup(const train_run *r) {
    const ar_device_info *dev = ar_ctx_device(r->ctx);
    const ar_dataset_stats *ss = &r->ss;
    const ar_train_config *c = &r->cfg;
    float lo, hi, def;
    const ar_model *view = cli_train_view(r);
    ar_model_rating_scale(view, &lo, &hi, &def);
    if (r->ck)
        fprintf(stderr, "resumed: %s after %d epochs\n", r->o->resume, ar_model_epochs_done(view));
    fprintf(stderr, "data: %s\n", r->data.desc);
    fprintf(stderr, "      %d items x %d users, %zu training, %zu validation, %zu test ratings; "
            "scale %g..%g (%zu test ratings with an unseen user or item, predicted %g)\n",
            ss->n_items, ss->n_users, ss->n_train, ss->n_valid, ss->n_test, (double)lo,
            (double)hi, ss->n_test_cold, (double)def);
    if (r->g)
        cli_train_shards_setup(r);
    else
        fprintf(stderr, "device: %d:%d %s (%s)\n", dev->platform, dev->device, dev->name,
                dev->platform_name);
    char widths[128];
    cli_format_layers(c, widths, sizeof widths);
    if (r->o->t.preset)
        fprintf(stderr, "preset: %s (the options given override it)\n", r->o->t.preset);
    fprintf(stderr, "model: %s, hidden %s, %s/%s, batch %d, lr %g (x%g per epoch), l2 %g, "
            "dropout %g, input dropout %g (%s), center %s, seed %llu, %s kernels\n",
            cli_model_name(r->o->t.data.rows), widths, ar_activation_name(c->activation),
            ar_activation_name(c->out_activation), c->batch, (double)c->lr,
            (double)c->lr_decay, (double)c->l2, (double)c->dropout, (double)c->input_dropout,
            ar_input_noise_name(c->input_noise), ar_center_name(c->center),
            (unsigned long long)c->seed,
            ar_kernel_path_name(ar_model_kernels(view)));
    const char *then = r->o->refit ? ", then refit on training + validation" : "";
    if (r->has_valid && c->patience > 0)
        fprintf(stderr, "training: up to %d epochs, stopping after %d without a validation RMSE "
                "lower by %g; the best-validation epoch is kept%s\n", c->epochs, c->patience,
                (double)c->min_improvement, then);
    else if (r->has_valid)
        fprintf(stderr, "training: %d epochs (--patience 0); the best-validation epoch is "
                "kept%s\n", c->epochs, then);
    else
        fprintf(stderr, "training: %d epochs, the last kept (no validation set)\n", c->epochs);
    if (r->o->metrics)
        fprintf(stderr, "metrics: %s (renamed to %s when the run ends)\n",
                cli_out_temp(&r->curves.csv), r->o->metrics);
}

/* --center auto: both runs, "center" being the one kept (flat keys, no nested object: readers
 * take a run's JSON line from its last '{'); false and nulls otherwise. */
static void print_center_auto(const train_run *r) {
    const ar_train_result *res = &r->res;
    printf(",\"center_auto\":%s", r->center_auto ? "true" : "false");
    for (int k = 0; k < 2; k++) {
        const char *name = k ? "input" : "bias";
        char key[40];
        snprintf(key, sizeof key, "auto_%s_epoch", name);
        cli_json_number(stdout, key, r->center_auto ? res->auto_epoch[k] : NAN);
        snprintf(key, sizeof key, "auto_%s_epochs_run", name);
        cli_json_number(stdout, key, r->center_auto ? res->auto_epochs_run[k] : NAN);
        snprintf(key, sizeof key, "auto_%s_valid_rmse", name);
        cli_json_number(stdout, key, r->center_auto ? res->auto_valid_rmse[k] : NAN);
    }
}

/* --lighter try: whether the lighter run was kept (the l2 and dropout printed are the kept
 * run's), and both sides' validation RMSE; --tanh try: the same for the tanh run (the
 * activation and lr printed are the kept run's); false and nulls otherwise. */
static void print_lighter(const train_run *r) {
    const ar_train_result *res = &r->res;
    const int t = r->try_lighter;
    printf(",\"try_lighter\":%s,\"lighter\":%s", t ? "true" : "false",
           t && res->lighter ? "true" : "false");
    cli_json_number(stdout, "lighter_valid_rmse", t ? res->lighter_valid_rmse : NAN);
    cli_json_number(stdout, "lighter_epoch", t ? res->lighter_epoch : NAN);
    cli_json_number(stdout, "lighter_epochs_run", t ? res->lighter_epochs_run : NAN);
    const int h = r->try_tanh;
    cli_json_number(stdout, "given_valid_rmse", t || h ? res->given_valid_rmse : NAN);
    printf(",\"try_tanh\":%s,\"tanh\":%s", h ? "true" : "false",
           h && res->tanh_run ? "true" : "false");
    cli_json_number(stdout, "tanh_valid_rmse", h ? res->tanh_valid_rmse : NAN);
    cli_json_number(stdout, "tanh_epoch", h ? res->tanh_epoch : NAN);
    cli_json_number(stdout, "tanh_epochs_run", h ? res->tanh_epochs_run : NAN);
}

void cli_train_print_json(const train_run *r) {
    const ar_device_info *dev = ar_ctx_device(r->ctx);
    const ar_train_result *res = &r->res;
    const ar_train_config *c = &r->cfg;
    const ar_dataset_stats *ss = &r->ss;
    char widths[128];
    cli_format_layers(c, widths, sizeof widths);
    float lo, hi, def;
    ar_model_rating_scale(cli_train_view(r), &lo, &hi, &def);
    printf("{\"device\":");
    cli_json_string(stdout, dev->name);
    printf(",\"platform\":");
    cli_json_string(stdout, dev->platform_name);
    printf(",\"epochs\":%d,\"epochs_run\":%d", res->last_epoch, res->epochs_run);
    cli_json_number(stdout, "test_rmse", r->rep.test);
    cli_json_number(stdout, "train_rmse", r->rep.train);
    cli_json_number(stdout, "test_mae", r->rep.test_mae);
    cli_json_number(stdout, "train_mae", r->rep.train_mae);
    cli_baselines_json(stdout, &r->base);
    printf(",\"baseline_beats_model\":%s", cli_train_baseline_wins(r) ? "true" : "false");
    cli_json_number(stdout, "loss", r->rep.loss);
    cli_json_number(stdout, "best_test_rmse", r->best);
    printf(",\"best_epoch\":%d", r->best_epoch);
    cli_json_number(stdout, "seconds", r->seconds);
    cli_json_number(stdout, "epoch_seconds", r->seconds / res->epochs_run);
    printf(",\"hidden\":%d,\"layers\":\"%s\",\"batch\":%d", c->hidden, widths, c->batch);
    cli_json_number(stdout, "lr", c->lr);
    cli_json_number(stdout, "lr_decay", c->lr_decay);
    cli_json_number(stdout, "l2", c->l2);
    cli_json_number(stdout, "dropout", c->dropout);
    cli_json_number(stdout, "input_dropout", c->input_dropout);
    printf(",\"input_noise\":\"%s\"", ar_input_noise_name(c->input_noise));
    printf(",\"center\":\"%s\"", ar_center_name(c->center));
    print_center_auto(r);
    print_lighter(r);
    printf(",\"activation\":\"%s\",\"out_activation\":\"%s\",\"seed\":%llu",
           ar_activation_name(c->activation), ar_activation_name(c->out_activation),
           (unsigned long long)c->seed);
    printf(",\"kernels\":\"%s\"", ar_kernel_path_name(ar_model_kernels(cli_train_view(r))));
    printf(",\"n_users\":%d,\"n_items\":%d,\"n_train\":%zu,\"n_test\":%zu", ss->n_users,
           ss->n_items, ss->n_train, ss->n_test);
    printf(",\"n_valid\":%zu,\"model\":\"%s\",\"preset\":", ss->n_valid,
           r->o->t.data.rows == AR_ROWS_USERS ? "user" : "item");
    if (r->o->t.preset) cli_json_string(stdout, r->o->t.preset);
    else printf("null");
    cli_json_number(stdout, "valid_ratio", r->has_valid ? r->o->t.data.valid_ratio : 0);
    printf(",\"patience\":%d", r->has_valid ? c->patience : 0);
    cli_json_number(stdout, "min_improvement", r->has_valid ? c->min_improvement : NAN);
    /* the validation figures: the selected epoch's (what selection chose on), the last's */
    cli_json_number(stdout, "valid_rmse", r->has_valid ? res->selected.valid_rmse : NAN);
    cli_json_number(stdout, "valid_mae", r->has_valid ? res->selected.valid_mae : NAN);
    cli_json_number(stdout, "best_valid_rmse", r->has_valid ? res->selected.valid_rmse : NAN);
    printf(",\"selected_epoch\":%d,\"stop_reason\":\"%s\"", res->selected_epoch,
           ar_stop_reason_name(res->stop));
    printf(",\"kept\":\"%s\",\"network_epoch\":%d", res->baseline_kept ? "baseline" : "network",
           res->network_epoch);
    cli_json_number(stdout, "network_valid_rmse", res->network_valid_rmse);
    cli_json_number(stdout, "selected_test_rmse", r->has_valid ? res->selected.test_rmse : NAN);
    cli_json_number(stdout, "selected_train_rmse", r->has_valid ? res->selected.train_rmse : NAN);
    cli_json_number(stdout, "selected_test_mae", r->has_valid ? res->selected.test_mae : NAN);
    cli_json_number(stdout, "selected_train_mae", r->has_valid ? res->selected.train_mae : NAN);
    cli_json_number(stdout, "last_valid_rmse", res->last.valid_rmse);
    cli_json_number(stdout, "last_test_rmse", res->last.test_rmse);
    cli_json_number(stdout, "last_valid_mae", res->last.valid_mae);
    cli_json_number(stdout, "last_test_mae", res->last.test_mae);
    printf(",\"stopped_early\":%s", res->stop != AR_STOP_EPOCHS ? "true" : "false");
    printf(",\"refit\":%s", r->o->refit ? "true" : "false");
    if (r->o->refit) {
        printf(",\"refit_epochs\":%d,\"refit_n_train\":%zu", r->refit.last_epoch,
               r->refit_n_train);
        cli_json_number(stdout, "refit_seconds", r->refit_seconds);
    }
    cli_json_number(stdout, "rating_min", lo);
    cli_json_number(stdout, "rating_max", hi);
    printf(",\"device_memory_bytes\":%zu,\"devices\":%d", cli_train_device_bytes(r),
           r->g ? ar_sharded_count(r->g) : 1);
    cli_train_shards_json(r);
    printf("}\n");
}

void cli_train_print_result(const train_run *r) {
    const ar_train_result *res = &r->res;
    const char *dev = ar_ctx_device(r->ctx)->name;
    if (!r->has_valid) {
        printf("test RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f after %d epochs (%.1f s "
               "training on %s)\n", r->rep.test, r->rep.test_mae, r->rep.train, r->rep.train_mae,
               res->last_epoch, r->seconds, dev);
        cli_baselines_text(stdout, &r->base);
        return;
    }
    char why[96];
    if (res->stop == AR_STOP_PATIENCE)
        snprintf(why, sizeof why, "stopped by --patience %d", r->cfg.patience);
    else if (res->stop == AR_STOP_CONVERGED)
        snprintf(why, sizeof why, "converged (--min-improvement %g in --patience %d)",
                 (double)r->cfg.min_improvement, r->cfg.patience);
    else
        snprintf(why, sizeof why, "the --epochs budget");
    const ar_epoch_stats *sel = &res->selected;
    if (res->baseline_kept)
        printf("%s RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f for the bias baseline alone, "
               "kept because no epoch beat it on validation (valid RMSE %.4f MAE %.4f against "
               "%.4f at epoch %d); %d epochs run, %s (%.1f s training on %s)\n",
               r->o->refit ? "selection run: test" : "test", sel->test_rmse, sel->test_mae,
               sel->train_rmse, sel->train_mae, sel->valid_rmse, sel->valid_mae,
               res->network_valid_rmse, res->network_epoch, res->last_epoch, why, r->seconds,
               dev);
    else
    printf("%s RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f at epoch %d, selected on validation "
           "(valid RMSE %.4f MAE %.4f); %d epochs run, %s (%.1f s training on %s)\n",
           r->o->refit ? "selection run: test" : "test", sel->test_rmse, sel->test_mae,
           sel->train_rmse, sel->train_mae, res->selected_epoch, sel->valid_rmse, sel->valid_mae,
           res->last_epoch, why, r->seconds, dev);
    if (r->o->refit && res->baseline_kept)
        printf("test RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f for the bias baseline refitted "
               "on the %zu training and validation ratings\n", r->rep.test, r->rep.test_mae,
               r->rep.train, r->rep.train_mae, r->refit_n_train);
    else if (r->o->refit)
        printf("test RMSE %.4f MAE %.4f, train RMSE %.4f MAE %.4f after refitting %d epochs on "
               "the %zu training and validation ratings (%.1f s training on %s)\n", r->rep.test,
               r->rep.test_mae, r->rep.train, r->rep.train_mae, r->refit.last_epoch,
               r->refit_n_train, r->refit_seconds, dev);
    cli_baselines_text(stdout, &r->base);
    /* validation says the network adds nothing to the baseline: say so, and what to try */
    if (res->baseline_kept && !r->o->t.quiet)
        fprintf(stderr, "autorec: warning: the network did not beat the user + item bias baseline "
                "on validation (RMSE %.4f against %.4f), so the model kept is the baseline "
                "alone; try --center input, or 'autorec tune'\n", res->network_valid_rmse,
                sel->valid_rmse);
    else if (cli_train_baseline_wins(r) && !r->o->t.quiet)
        fprintf(stderr, "autorec: warning: the user + item bias baseline beats this model on "
                "validation (RMSE %.4f against %.4f); try --center input, or 'autorec tune'\n",
                r->base.bias.valid.rmse, sel->valid_rmse);
}

int cli_train_baseline_wins(const train_run *r) {
    return r->has_valid && !r->res.baseline_kept && r->base.bias.valid.n > 0 &&
           r->base.bias.valid.rmse < r->res.selected.valid_rmse;
}
