/* cmd_tune_kernels.c - `autorec tune-kernels`: the sparse kernels' parameters measured on one
 * device at a model's shapes and stored for later runs (ar_kernels_tune). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *device;
    ar_kernel_tune_config cfg;
} tune_kernels_opts;

#define TK(f) offsetof(tune_kernels_opts, f)

static void tune_kernels_defaults(void *opts) {
    tune_kernels_opts *o = opts;
    ar_kernel_tune_config_default(&o->cfg);
}

static ar_status run_tune_kernels(const cli_command *self, void *opts, const cli_parsed *p) {
    (void)self, (void)p;
    tune_kernels_opts *o = opts;
    ar_ctx *ctx = NULL;
    ar_kernel_tune_result r;
    ar_status st = ar_ctx_create(o->device, &ctx);
    if (st == AR_OK) st = ar_kernels_tune(ctx, &o->cfg, &r);
    if (st == AR_OK) {
        const ar_device_info *d = ar_ctx_device(ctx);
        printf("device %d:%d %s (%s)\n", d->platform, d->device, d->name, d->platform_name);
        printf("shapes %d x %d, density %g, hidden %d (class %s), batch %d; %d variants checked "
               "against the host, %d rejected\n", o->cfg.rows, o->cfg.cols, o->cfg.density,
               o->cfg.hidden, r.shape_class, o->cfg.batch, r.variants, r.rejected);
        printf("sparse products  %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
               r.products, r.products_s, r.default_products_s,
               r.default_products_s / r.products_s);
        printf("sddmm            %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
               r.sddmm, r.sddmm_s, r.default_sddmm_s, r.default_sddmm_s / r.sddmm_s);
        printf("decoder+backward %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
               strstr(r.sddmm, "sp_fuse") ? strstr(r.sddmm, "sp_fuse") : r.sddmm, r.decode_s,
               r.default_decode_s, r.default_decode_s / r.decode_s);
        if (r.tile_s > 0) {
            const char *tile = strstr(r.products, "sp_tile");
            printf("column tiles     %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
                   tile ? tile : r.products, r.tile_s, r.default_tile_s,
                   r.default_tile_s / r.tile_s);
        } else {
            printf("column tiles     not timed: %d inputs, no more than the smallest tile (512)\n",
                   o->cfg.cols);
        }
        printf("stored in %s\n", r.path);
    }
    ar_ctx_free(ctx);
    return st;
}

static const cli_option tune_kernels_options[] = {
    {.name = "--device", .meta = "SPEC", .kind = CLI_STRING, .at = TK(device),
     .help = CLI_DEVICE_HELP},
    {.name = "--rows", .meta = "N", .kind = CLI_INT, .at = TK(cfg.rows), .min = 1,
     .max = 100000000, .setting = "ar_kernel_tune_config.rows",
     .help = "rows of the rating matrix: items for I-AutoRec (--model item), users for "
             "U-AutoRec"},
    {.name = "--cols", .meta = "N", .kind = CLI_INT, .at = TK(cfg.cols), .min = 1,
     .max = 100000000, .setting = "ar_kernel_tune_config.cols",
     .help = "columns: the model's inputs (users for I-AutoRec)"},
    {.name = "--density", .meta = "X", .kind = CLI_DOUBLE, .at = TK(cfg.density), .lo = 0,
     .hi = 1, .bounds = CLI_MIN | CLI_MAX | CLI_MIN_OPEN,
     .setting = "ar_kernel_tune_config.density",
     .help = "training ratings / (rows x cols)"},
    {.name = "--hidden", .meta = "N", .kind = CLI_INT, .at = TK(cfg.hidden), .min = 1,
     .max = 65536, .setting = "ar_kernel_tune_config.hidden",
     .help = "the first hidden layer's size; the winners are stored for its class with the "
             "columns' (each rounded up to a power of two)"},
    {.name = "--batch", .meta = "N", .kind = CLI_INT, .at = TK(cfg.batch), .min = 1,
     .max = 1000000, .setting = "ar_kernel_tune_config.batch", .help = "rows per mini-batch"},
    {.name = "--reps", .meta = "N", .kind = CLI_INT, .at = TK(cfg.reps), .min = 1, .max = 1000,
     .setting = "ar_kernel_tune_config.reps",
     .help = "timed passes per variant; the fastest counts"},
};
static const cli_group tune_kernels_group = CLI_GROUP("options", tune_kernels_options, NULL);
static const cli_use tune_kernels_groups[] = {{&tune_kernels_group, 0}};

const cli_command cli_cmd_tune_kernels = {
    .name = "tune-kernels",
    .summary = "measure the sparse kernels' parameters on a device and keep the fastest",
    .usage = "autorec tune-kernels [--device SPEC] [--rows N --cols N --density X] "
             "[--hidden N] [--batch N]",
    .about = "Times the sparse path's kernels (SpMM, SDDMM, the weight gradient) on one device "
             "at a model's shapes, on synthetic data of that size and density, over a small "
             "space of parameters: columns per work-item (8, 16, 32, and 64 for the SpMMs "
             "alone), the work-group shape, "
             "SDDMM's lanes per row (4, 8, 16), training's SDDMM by rows or from the batch's "
             "columns, training's decoder, loss and last hidden gradient as one kernel or "
             "three, and, for more than 512 columns, column tiles of 512-4096 weight rows or "
             "none. Each variant is checked against the same "
             "products computed on the host first; the fastest are stored in the built-program "
             "cache's directory ($AUTOREC_PROGRAM_CACHE, else the cache under "
             "$XDG_CACHE_HOME or ~/.cache), per device, driver and shape class (the hidden size "
             "and the columns, each rounded up to a power of two), and every later run whose "
             "model is of that class builds its kernels with them. The defaults are MovieLens 100K u1's shapes with the default model. "
             "$AUTOREC_KERNEL_PARAMS, when set, wins over stored parameters.",
    CLI_USES(tune_kernels_groups),
    .size = sizeof(tune_kernels_opts),
    .defaults = tune_kernels_defaults,
    .run = run_tune_kernels,
};
