/* saved.c - what eval, predict and recommend share: the saved-model options (--model, several
 * for an ensemble; --device) and loading the models: each file is read (ar_checkpoint_read),
 * its dataset rebuilt from the training ratings stored in it, and the model recreated on the
 * device. */
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void cli_saved_free(cli_loaded *l) {
    for (int k = 0; k < l->n; k++) {
        ar_model_free(l->ms[k]);
        ar_dataset_free(l->dss[k]);
        ar_checkpoint_free(l->cks[k]);
    }
    ar_ctx_free(l->ctx);
    memset(l, 0, sizeof *l);
}

ar_status cli_saved_load(const cli_saved_opts *o, const ar_ratings *test, cli_loaded *l) {
    memset(l, 0, sizeof *l);
    ar_status st = AR_OK;
    /* the files first: a bad one fails before a device is set up */
    for (int k = 0; k < o->models.n && st == AR_OK; k++) {
        l->n = k + 1;
        struct stat sb; /* a large model file takes a while: say so on a terminal */
        if (cli_progress_on(0) && stat(o->models.v[k], &sb) == 0)
            cli_progress_note("reading model %s (%.1f MB)", o->models.v[k],
                              (double)sb.st_size / 1e6);
        st = ar_checkpoint_read(o->models.v[k], &l->cks[k]);
        if (st == AR_OK)
            st = ar_dataset_create_ex(ar_checkpoint_train(l->cks[k]), NULL, test,
                                      ar_checkpoint_rows(l->cks[k]), &l->dss[k]);
        cli_progress_end();
        if (st != AR_OK && l->cks[k]) /* the test file against the model's training ratings */
            st = cli_fail(st, "%s: %s", o->models.v[k], cli_message());
    }
    if (st == AR_OK) st = ar_ctx_create(o->device, &l->ctx);
    for (int k = 0; k < l->n && st == AR_OK; k++)
        st = ar_model_create_from(l->ctx, l->dss[k], l->cks[k], NULL, &l->ms[k]);
    if (st != AR_OK) cli_saved_free(l);
    return st;
}

static const cli_option saved_options[] = {
    {.name = "--model", .meta = "FILE", .kind = CLI_LIST, .at = offsetof(cli_saved_opts, models),
     .flags = CLI_REQUIRED,
     .help = "a model file written by 'autorec train --save'; several make an ensemble"},
    {.name = "--device", .meta = "SPEC", .kind = CLI_STRING, .at = offsetof(cli_saved_opts, device),
     .help = CLI_DEVICE_HELP},
};
const cli_group cli_saved = CLI_GROUP("saved models", saved_options, CLI_ENSEMBLE_ABOUT);
