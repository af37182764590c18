/* config.c - the training configuration: defaults, validation, and the names of its choices
 * (activations, kernel paths, input noise, centering). */
#include <math.h>
#include <string.h>

#include "internal.h"

#define COUNT(a) ((int)(sizeof a / sizeof *a))

static const char *const path_names[] = {"auto", "dense", "sparse"};
static const char *const noise_names[] = {"mask", "inverted"};
static const char *const act_names[] = {"identity", "sigmoid", "relu", "tanh", "elu", "selu"};
static const char *const center_names[] = {"none", "bias", "input", "auto"};

const char *ar_center_name(ar_center c) {
    return ar_choice_name(center_names, COUNT(center_names), (int)c);
}

ar_status ar_center_parse(const char *name, ar_center *out) {
    int i = 0;
    ar_status st = ar_choice_parse(center_names, COUNT(center_names), "centering", name, &i);
    if (st == AR_OK) *out = (ar_center)i;
    return st;
}

const char *ar_kernel_path_name(ar_kernel_path k) {
    return ar_choice_name(path_names, COUNT(path_names), (int)k);
}

const char *ar_input_noise_name(ar_input_noise n) {
    return ar_choice_name(noise_names, COUNT(noise_names), (int)n);
}

const char *ar_activation_name(ar_activation a) {
    return ar_choice_name(act_names, COUNT(act_names), (int)a);
}

ar_status ar_kernel_path_parse(const char *name, ar_kernel_path *out) {
    int i = 0;
    ar_status st = ar_choice_parse(path_names, COUNT(path_names), "kernel path", name, &i);
    if (st == AR_OK) *out = (ar_kernel_path)i;
    return st;
}

ar_status ar_input_noise_parse(const char *name, ar_input_noise *out) {
    int i = 0;
    ar_status st = ar_choice_parse(noise_names, COUNT(noise_names), "input noise", name, &i);
    if (st == AR_OK) *out = (ar_input_noise)i;
    return st;
}

ar_status ar_activation_parse(const char *name, ar_activation *out) {
    int i = 0;
    ar_status st = ar_choice_parse(act_names, COUNT(act_names), "activation", name, &i);
    if (st == AR_OK) *out = (ar_activation)i;
    return st;
}

void ar_train_config_default(ar_train_config *c) {
    memset(c, 0, sizeof *c);
    c->hidden = 500;
    c->epochs = 500;  /* a budget: with a validation set, patience ends normal runs */
    c->patience = 20;
    c->min_improvement = 1e-4f;
    c->batch = 256;
    c->lr = 3e-3f;
    /* regularization and schedule chosen on validation over eight dataset shapes
     * (bench/defaults_suite.sh, docs/experiments.md#defaults) */
    c->lr_decay = 0.98f;
    c->l2 = 1e-3f;
    c->dropout = 0.6f;
    c->input_dropout = 0.2f;
    c->center = AR_CENTER_AUTO; /* bias or input, whichever validates better: see ar_center */
    c->baseline_fallback = 1;   /* never worse than that baseline on validation */
    c->try_lighter = 1;         /* l2 / 10 and dropout / 2 tried too: see ar_train_config */
    c->try_tanh = 1;            /* a tanh encoder at lr / 5 tried too: see ar_train_config */
    c->activation = AR_ACT_SIGMOID;
    c->out_activation = AR_ACT_IDENTITY;
    c->seed = 1;
    c->beta1 = 0.9f;
    c->beta2 = 0.999f;
    c->eps = 1e-8f;
    c->rating_min = NAN; /* from the data */
    c->rating_max = NAN;
    c->default_rating = NAN;
}

/* Messages name the field (ar_train_config.lr): the CLI rewrites that into its flag. */
ar_status ar_train_config_validate(const ar_train_config *c) {
#define CHECK(cond, ...) if (!(cond)) return ar_fail(AR_ERR_INVALID_ARG, __VA_ARGS__)
#define F "ar_train_config."
    CHECK(c->hidden >= 1 && c->hidden <= 1000000, F "hidden must be in 1..1000000, got %d",
          c->hidden);
    CHECK(c->n_layers >= 0 && c->n_layers <= AR_MAX_HIDDEN_LAYERS,
          F "n_layers must be in 0..%d, got %d", AR_MAX_HIDDEN_LAYERS, c->n_layers);
    for (int k = 0; k < c->n_layers; k++)
        CHECK(c->layers[k] >= 1 && c->layers[k] <= 1000000,
              F "layers[%d] has %d units; each must be in 1..1000000", k, c->layers[k]);
    CHECK(c->epochs >= 1 && c->epochs <= 1000000, F "epochs must be in 1..1000000, got %d",
          c->epochs);
    CHECK(c->patience >= 0 && c->patience <= 1000000,
          F "patience must be in 0..1000000, got %d", c->patience);
    CHECK(c->min_improvement >= 0 && c->min_improvement < 1,
          F "min_improvement must be in [0, 1), got %g", (double)c->min_improvement);
    CHECK(c->batch >= 1 && c->batch <= 1000000, F "batch must be in 1..1000000, got %d",
          c->batch);
    CHECK(isfinite(c->lr) && c->lr > 0 && c->lr < 10, F "lr must be in (0, 10), got %g",
          (double)c->lr);
    CHECK(isfinite(c->lr_decay) && c->lr_decay > 0 && c->lr_decay <= 1,
          F "lr_decay must be in (0, 1], got %g", (double)c->lr_decay);
    CHECK(isfinite(c->l2) && c->l2 >= 0, F "l2 must be a finite number >= 0, got %g",
          (double)c->l2);
    CHECK(c->dropout >= 0 && c->dropout < 1, F "dropout must be in [0, 1), got %g",
          (double)c->dropout);
    CHECK(c->input_dropout >= 0 && c->input_dropout < 1,
          F "input_dropout must be in [0, 1), got %g", (double)c->input_dropout);
    CHECK((unsigned)c->input_noise <= AR_NOISE_INVERTED, F "input_noise: unknown form %d",
          (int)c->input_noise);
    CHECK((unsigned)c->activation <= AR_ACT_SELU, F "activation: unknown activation %d",
          (int)c->activation);
    CHECK((unsigned)c->out_activation <= AR_ACT_SELU, F "out_activation: unknown activation %d",
          (int)c->out_activation);
    CHECK((unsigned)c->kernels <= AR_KERNELS_SPARSE, F "kernels: unknown path %d",
          (int)c->kernels);
    CHECK((unsigned)c->center <= AR_CENTER_AUTO, F "center: unknown mode %d", (int)c->center);
    CHECK(c->baseline_fallback == 0 || c->baseline_fallback == 1,
          F "baseline_fallback must be 0 or 1, got %d", c->baseline_fallback);
    CHECK(c->try_lighter == 0 || c->try_lighter == 1,
          F "try_lighter must be 0 or 1, got %d", c->try_lighter);
    CHECK(c->try_tanh == 0 || c->try_tanh == 1,
          F "try_tanh must be 0 or 1, got %d", c->try_tanh);
    CHECK(c->beta1 >= 0 && c->beta1 < 1 && c->beta2 >= 0 && c->beta2 < 1,
          "Adam's " F "beta1 and beta2 must be in [0, 1)");
    CHECK(isfinite(c->eps) && c->eps > 0, "Adam's " F "eps must be > 0");
#undef F
#undef CHECK
    return ar_scale_validate("ar_train_config", c->rating_min, c->rating_max, c->default_rating);
}

int ar_config_hidden(const ar_train_config *c, int *widths) {
    if (c->n_layers == 0) {
        widths[0] = c->hidden;
        return 1;
    }
    for (int k = 0; k < c->n_layers; k++) widths[k] = c->layers[k];
    return c->n_layers;
}
