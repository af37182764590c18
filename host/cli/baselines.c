/* baselines.c - the baselines every result is read against (ar_dataset_baselines): scored on a
 * model's rating scale, printed in the text summaries and the JSON of train and eval. */
#include "cli.h"

/* The default baselines on m's rating scale (a scale of one value, from training ratings that
 * are all equal, is the data's own: left to the baselines to take). */
static void model_config(const ar_model *m, ar_baseline_config *c) {
    ar_baseline_config_default(c);
    float lo, hi;
    ar_model_rating_scale(m, &lo, &hi, &c->default_rating);
    if (lo < hi) c->rating_min = lo, c->rating_max = hi;
}

ar_status cli_baselines(const ar_model *m, const ar_dataset *ds, ar_baselines *out) {
    ar_baseline_config c;
    model_config(m, &c);
    return ar_dataset_baselines(ds, &c, out);
}

ar_status cli_baselines_sharded(const ar_model *m, ar_sharded *g, ar_baselines *out) {
    ar_baseline_config c;
    model_config(m, &c);
    return ar_sharded_baselines(g, &c, out);
}

ar_status cli_baseline_topn(const ar_model *m, const ar_dataset *ds, const ar_topn_config *cfg,
                            ar_topn *out) {
    ar_baseline_config c;
    model_config(m, &c);
    return ar_dataset_baseline_topn(ds, &c, cfg, out);
}

void cli_baselines_text(FILE *f, const ar_baselines *b) {
    fprintf(f, "baselines: test RMSE %.4f MAE %.4f for user + item biases", b->bias.test.rmse,
            b->bias.test.mae);
    if (b->bias.valid.n)
        fprintf(f, " (validation RMSE %.4f MAE %.4f)", b->bias.valid.rmse, b->bias.valid.mae);
    fprintf(f, ", RMSE %.4f MAE %.4f for the training mean\n", b->mean.test.rmse,
            b->mean.test.mae);
}

void cli_baselines_json(FILE *f, const ar_baselines *b) {
    cli_json_number(f, "baseline_rmse", b->bias.test.rmse);
    cli_json_number(f, "baseline_mae", b->bias.test.mae);
    cli_json_number(f, "baseline_valid_rmse", b->bias.valid.rmse);
    cli_json_number(f, "baseline_valid_mae", b->bias.valid.mae);
    cli_json_number(f, "baseline_mean_rmse", b->mean.test.rmse);
    cli_json_number(f, "baseline_mean_mae", b->mean.test.mae);
}
