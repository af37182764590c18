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

/* "hidden 8 (16 on the device; class h16-...)" when a model pads it (the class is the padded
 * size's). */
static void print_shapes(const ar_kernel_tune_config *c, const ar_kernel_tune_result *r) {
    char hidden[64];
    if (r->device_hidden != c->hidden)
        snprintf(hidden, sizeof hidden, "%d (%d on the device; ", c->hidden, r->device_hidden);
    else snprintf(hidden, sizeof hidden, "%d (", c->hidden);
    printf("shapes %d x %d, density %g, hidden %sclass %s), batch %d; %d variants checked "
           "against the host, %d rejected\n", c->rows, c->cols, c->density, hidden,
           r->shape_class, c->batch, r->variants, r->rejected);
}

static void print_winners(const ar_kernel_tune_config *c, const ar_kernel_tune_result *r) {
    printf("sparse products  %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
           r->products, r->products_s, r->default_products_s,
           r->default_products_s / r->products_s);
    printf("sddmm            %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
           r->sddmm, r->sddmm_s, r->default_sddmm_s, r->default_sddmm_s / r->sddmm_s);
    printf("decoder+backward %-36s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
           strstr(r->sddmm, "sp_fuse") ? strstr(r->sddmm, "sp_fuse") : r->sddmm, r->decode_s,
           r->default_decode_s, r->default_decode_s / r->decode_s);
    if (r->tile_s > 0) {
        const char *tile = strstr(r->products, "sp_tile");
        if (!tile) tile = r->products;
        printf("column tiles     %-36.*s %.4f s per epoch pass (defaults %.4f s, %.2fx)\n",
               (int)strcspn(tile, ","), tile, r->tile_s, r->default_tile_s,
               r->default_tile_s / r->tile_s); /* sp_tile=N alone */
    } else {
        printf("column tiles     not timed: %d inputs, no more than the smallest tile (512)\n",
               c->cols);
    }
    printf("stored in %s\n", r->path);
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
        print_shapes(&o->cfg, &r);
        if (r.stored) print_winners(&o->cfg, &r);
        else /* winners against timer noise would be luck: a stored record would mislead */
            fprintf(stderr, "autorec: warning: the defaults' passes took %.2g s (products), "
                    "%.2g s (SDDMM), %.2g s (decoder), under 1e-5 s: timer noise, so nothing "
                    "was measured further or stored; raise --rows, --density or --hidden\n",
                    r.default_products_s, r.default_sddmm_s, r.default_decode_s);
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
     .help = "the first hidden layer's size; measured, and the winners stored for its class "
             "with the columns' (each rounded up to a power of two), at the size a model runs "
             "it at: padded to a multiple of 16 ($AUTOREC_HIDDEN_PAD), so 8 measures and is "
             "stored as 16"},
    {.name = "--batch", .meta = "N", .kind = CLI_INT, .at = TK(cfg.batch), .min = 1,
     .max = 1000000, .setting = "ar_kernel_tune_config.batch",
     .help = "rows per mini-batch (no more than --rows are used)"},
    {.name = "--reps", .meta = "N", .kind = CLI_INT, .at = TK(cfg.reps), .min = 1, .max = 1000,
     .setting = "ar_kernel_tune_config.reps",
     .help = "timed passes per variant; the fastest counts"},
};
static const cli_group tune_kernels_group = CLI_GROUP("options", tune_kernels_options, NULL);
static const cli_use tune_kernels_groups[] = {{&tune_kernels_group, 0}};

const cli_command cli_cmd_tune_kernels = {
    .name = "tune-kernels",
    .summary = "measure the sparse kernels' parameters on a device and keep the fastest",
    .usage = NULL, /* generated from the table: every option, --reps too */
    .about = "Times the sparse path's kernels (SpMM, SDDMM, the weight gradient) on one device "
             "at a model's shapes, on synthetic data of that size and density (its rows and "
             "columns as uneven as rating data's: a Zipf-like law), over a small "
             "space of parameters: columns per work-item (8, 16, 32, and 64 for the SpMMs "
             "alone), the work-group shape, each batch row's entries in 0, 8, 32 or 128 "
             "chunks (row_split, a GPU's form), "
             "SDDMM's lanes per row (4, 8, 16), training's SDDMM by rows or from the batch's "
             "columns or split 16 or 32 ways per rating (a GPU's form), training's decoder, loss and last hidden gradient as one kernel or "
             "three, and, for more than 512 columns, column tiles of 512-4096 weight rows or "
             "none. Each variant is checked against the same "
             "products computed on the host first; the fastest are stored in the built-program "
             "cache's directory ($AUTOREC_PROGRAM_CACHE, else the cache under "
             "$XDG_CACHE_HOME or ~/.cache), per device, driver and shape class (the hidden size "
             "and the columns, each rounded up to a power of two), and every later run whose "
             "model is of that class builds its kernels with them. The defaults are MovieLens 100K u1's shapes with the default model. "
             "$AUTOREC_KERNEL_PARAMS, when set, wins over stored parameters.\n\n"
             "Before measuring, it checks that the store (kernel-params.tsv) can be written "
             "and that the synthetic matrix has ratings; when a pass of the defaults takes "
             "under 1e-5 s (timer noise at tiny shapes) it warns and stores nothing.",
    CLI_USES(tune_kernels_groups),
    .size = sizeof(tune_kernels_opts),
    .defaults = tune_kernels_defaults,
    .run = run_tune_kernels,
};
