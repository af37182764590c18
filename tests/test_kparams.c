/* test_kparams.c - the kernels' tunable parameters (host/core/kparams*.c): the parameter list,
 * ar_kernels_tune on small shapes (every variant agrees with the host; the winners stored and
 * loaded by a later context for a model of that hidden-size class, and only that class), the
 * store surviving garbage, $AUTOREC_KERNEL_PARAMS winning over it, bad settings refused; the
 * class named at the padded hidden size a model looks up, the batch sized by the rows, no
 * ratings, timer noise and an unwritable store refused before measuring. Each test points
 * AUTOREC_PROGRAM_CACHE at a fresh directory. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void fresh_cache(char *dir, size_t cap) {
    snprintf(dir, cap, "/tmp/autorec-kparams-XXXXXX");
    cr_assert(mkdtemp(dir));
    setenv("AUTOREC_PROGRAM_CACHE", dir, 1);
    unsetenv("AUTOREC_KERNEL_PARAMS");
}

static void remove_cache(const char *dir) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert(system(cmd) == 0);
}

Test(kparams, parse_and_format) {
    ar_kparams p;
    ar_kparams_default(&p, "gpu");
    cr_assert(p.sp_width == 8 && p.spmm_width == 8 && p.sddmm_lanes == 8 && p.sp_group == 0 &&
              p.sp_rows == 1 && p.sddmm_csc == 1 && p.sp_fuse == 0 && p.sp_tile == 0 &&
              p.sddmm_split == 32 && p.row_split == 32);
    ar_kparams_default(&p, "cpu");
    cr_assert(p.sp_width == 32 && p.spmm_width == 64 && p.sp_fuse == 1 && p.sp_tile == 1024 &&
              p.sddmm_split == 0 && p.sddmm_csc == 0 && p.row_split == 0);
    ar_kparams gpu;
    ar_kparams_default(&gpu, "gpu");
    ar_kparams as_gpu = p; /* the list ctest's sparse_gpu_defaults sets: a GPU's defaults */
    cr_assert(ar_kparams_parse("sp_width=8,spmm_width=8,sddmm_csc=1,sddmm_split=32,sp_fuse=0,sp_tile=0,"
                               "row_split=32",
                               &as_gpu) == AR_OK && !memcmp(&as_gpu, &gpu, sizeof gpu));
    cr_assert(ar_kparams_parse("sp_width=16,sp_rows=4", &p) == AR_OK);
    cr_assert(p.sp_width == 16 && p.spmm_width == 64 && p.sp_rows == 4 && p.sddmm_lanes == 8);
    cr_assert(ar_kparams_parse("spmm_width=8,sp_width=64", &p) == AR_OK);
    cr_assert(p.sp_width == 64 && p.spmm_width == 8);
    cr_assert(ar_kparams_parse("sp_width=16,spmm_width=64", &p) == AR_OK);
    char text[160];
    ar_kparams_format(&p, text, sizeof text);
    cr_assert_str_eq(text, "sp_width=16,spmm_width=64,sddmm_lanes=8,sp_group=0,sp_rows=4,"
                           "sddmm_csc=0,sddmm_split=0,sp_fuse=1,sp_tile=1024,row_split=0");
    cr_assert(ar_kparams_parse("sddmm_csc=1", &p) == AR_OK && p.sddmm_csc == 1);
    cr_assert(ar_kparams_parse("sddmm_split=16", &p) == AR_OK && p.sddmm_split == 16);
    cr_assert(ar_kparams_parse("sddmm_split=2", &p) == AR_OK && p.sddmm_split == 2);
    cr_assert(ar_kparams_parse("sddmm_split=0", &p) == AR_OK && p.sddmm_split == 0);
    cr_assert(ar_kparams_parse("row_split=3", &p) == AR_OK && p.row_split == 3);
    cr_assert(ar_kparams_parse("row_split=0", &p) == AR_OK && p.row_split == 0);
    cr_assert(ar_kparams_parse("sp_fuse=0", &p) == AR_OK && p.sp_fuse == 0);
    cr_assert(ar_kparams_parse("sp_tile=0", &p) == AR_OK && p.sp_tile == 0);
    cr_assert(ar_kparams_parse("sp_tile=37", &p) == AR_OK && p.sp_tile == 37);
    const char *bad[] = {"sp_width=12", "sp_width=128", "spmm_width=4", "spmm_width=128",
                         "sddmm_lanes=0", "sp_rows=0", "width=8", "sp_width=8;", "sp_width=",
                         "sp_group=-1", "sddmm_csc=2", "sp_fuse=2", "sp_tile=7", "sp_tile=-1",
                         "sp_tile=16777217", "sddmm_split=1", "sddmm_split=24", "row_split=1",
                         "row_split=257",
                         "sddmm_split=128", "sddmm_split=-2", "sp_width=32,", ",sp_width=32",
                         "sp_width= 32", "sp_width=+32", "sp_width=32,sp_width=16",
                         "sp_width=32,,sp_rows=2", "sp_width=32\nx", "", "sp_tile=99999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ar_kparams q = p;
        cr_assert(ar_kparams_parse(bad[i], &q) == AR_ERR_INVALID_ARG, "%s accepted", bad[i]);
        cr_assert(strstr(ar_last_error(), "sp_width"), "%s", ar_last_error());
        cr_assert(!strchr(ar_last_error(), '\n'), "%s", ar_last_error());
        cr_assert(!memcmp(&q, &p, sizeof q), "%s changed the settings", bad[i]); /* all or none */
    }
    /* the message quotes the entry at fault; a context names the variable */
    ar_kparams q = p;
    cr_assert(ar_kparams_parse("sp_width=32,sddmm_split=3", &q) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "'sddmm_split=3' is not a value sddmm_split takes"), "%s",
              ar_last_error());
    setenv("AUTOREC_KERNEL_PARAMS", "sp_width=32,sp_width=16", 1);
    ar_ctx *c = NULL;
    cr_assert(ar_ctx_create(getenv("AUTOREC_DEVICE"), &c) == AR_ERR_INVALID_ARG);
    cr_assert_str_eq(ar_last_error(), "AUTOREC_KERNEL_PARAMS: kernel parameters "
                     "'sp_width=32,sp_width=16': sp_width given twice");
    unsetenv("AUTOREC_KERNEL_PARAMS");
}

/* ar_kernels_tune on c with cfg, which must succeed with `variants` variants, none rejected. */
static void tune_ok(ar_ctx *c, const ar_kernel_tune_config *cfg, ar_kernel_tune_result *r,
                    int variants) {
    /* these tiny shapes' passes are near the noise floor on a loaded machine; the search is
     * what is tested here (the floor: tune_refuses_empty_data_noise_and_unwritable_store) */
    const double floor = ar_ktune_noise_floor_s;
    ar_ktune_noise_floor_s = 0;
    cr_assert(ar_kernels_tune(c, cfg, r) == AR_OK, "%s", ar_last_error());
    ar_ktune_noise_floor_s = floor;
    cr_assert(r->stored, "nothing stored");
    cr_assert(r->variants == variants && r->rejected == 0, "%d variants, %d rejected (%s)",
              r->variants, r->rejected, r->products);
}

Test(kparams, tune_stores_and_later_contexts_load, .timeout = 600) {
    char dir[64], path[4200];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    ar_kernel_tune_config cfg = {.rows = 70, .cols = 45, .density = 0.2, .hidden = 40,
                                 .batch = 16, .reps = 1};
    ar_kernel_tune_result r;
    tune_ok(c, &cfg, &r, 26);
    cr_assert_str_eq(r.shape_class, "h64-c64");
    cr_assert(r.products_s <= r.default_products_s && r.sddmm_s <= r.default_sddmm_s &&
              r.decode_s <= r.default_decode_s);
    cr_assert(r.tile_s == 0 && r.default_tile_s == 0, "45 inputs: column tiles not timed");
    snprintf(path, sizeof path, "%s/kernel-params.tsv", dir);
    cr_assert_str_eq(r.path, path);
    ar_kparams want;
    ar_kparams_default(&want, ar_ctx_device(c)->type);
    cr_assert(ar_kparams_parse(r.products, &want) == AR_OK && ar_kparams_parse(r.sddmm, &want) ==
              AR_OK);
    cr_assert(!memcmp(&c->kp, &want, sizeof want), "the context is left with the winners");
    ar_ctx_free(c);
    /* a later context: defaults until a model of that class asks */
    ar_ctx *d = tu_ctx();
    ar_kparams def;
    ar_kparams_default(&def, ar_ctx_device(d)->type);
    cr_assert(!memcmp(&d->kp, &def, sizeof def));
    cr_assert(ar_kparams_apply_tuned(d, 500, 45) == AR_OK); /* h512-c64: nothing stored */
    cr_assert(!memcmp(&d->kp, &def, sizeof def));
    cr_assert(ar_kparams_apply_tuned(d, 40, 1000) == AR_OK); /* h64-c1024: nothing either */
    cr_assert(!memcmp(&d->kp, &def, sizeof def));
    cr_assert(ar_kparams_apply_tuned(d, 33, 64) == AR_OK); /* h64-c64 */
    cr_assert(!memcmp(&d->kp, &want, sizeof want));
    /* a record replaced, another class added: both read back */
    cr_assert(ar_kparams_record(d, AR_KTUNE_PRODUCTS, "h64-c64", "sp_width=16,sp_group=4,sp_rows=2",
                                path, sizeof path) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_kparams_record(d, AR_KTUNE_SDDMM, "h8", "sddmm_lanes=5", path, sizeof path) ==
              AR_OK);
    ar_kparams k = def;
    cr_assert(ar_kparams_lookup(d, AR_KTUNE_PRODUCTS, "h64-c64", &k) && k.sp_width == 16 &&
              k.sp_group == 4 && k.sp_rows == 2);
    cr_assert(ar_kparams_lookup(d, AR_KTUNE_SDDMM, "h8", &k) && k.sddmm_lanes == 5);
    cr_assert(ar_kparams_lookup(d, AR_KTUNE_SDDMM, "h64-c64", &k) &&
              k.sddmm_lanes == want.sddmm_lanes && k.sddmm_csc == want.sddmm_csc &&
              k.sddmm_split == want.sddmm_split && k.sp_fuse == want.sp_fuse);
    ar_ctx_free(d);
    remove_cache(dir);
}

/* Garbage lines are skipped, a good line among them still read; $AUTOREC_KERNEL_PARAMS wins. */
Test(kparams, store_survives_garbage) {
    char dir[64], path[4200];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    char cls[32];
    ar_kparams_shape_class(20, 10, cls, sizeof cls);
    cr_assert_str_eq(cls, "h32-c16");
    cr_assert(ar_kparams_record(c, AR_KTUNE_PRODUCTS, cls, "sp_width=8,sp_group=2,sp_rows=1",
                                path, sizeof path) == AR_OK, "%s", ar_last_error());
    char *good = NULL;
    size_t n = 0;
    cr_assert(ar_read_file(path, &good, &n) == AR_OK);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fprintf(f, "junk\n\t\t\t\t\n%.*s\tX\n", (int)(n - 1), good); /* that line: 6 fields */
    fprintf(f, "%.*ssp_width=12\n", (int)(strrchr(good, '\t') - good + 1), good);
    fputs(good, f);
    fputs("\x01\x02 binary \xff\n", f);
    fclose(f);
    free(good);
    ar_kparams def = c->kp;
    cr_assert(ar_kparams_apply_tuned(c, 20, 10) == AR_OK, "%s", ar_last_error());
    cr_assert(c->kp.sp_width == 8 && c->kp.sp_group == 2 && c->kp.sddmm_lanes == def.sddmm_lanes);
    /* recording is another matter: a line that is neither a record nor a comment may be
     * someone's text (the file may be a link to theirs), so the file is not rewritten */
    char *before = NULL, *after = NULL, again[4200];
    size_t nb = 0, na = 0;
    cr_assert(ar_read_file(path, &before, &nb) == AR_OK);
    cr_assert(ar_kparams_record(c, AR_KTUNE_SDDMM, cls, "sddmm_lanes=4", again, sizeof again) ==
              AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "kernel-params.tsv:1: not a record"), "%s", ar_last_error());
    cr_assert(ar_read_file(path, &after, &na) == AR_OK && na == nb && !memcmp(before, after, nb));
    free(after);
    /* '#' comments and blank lines are kept through a rewrite */
    f = fopen(path, "w");
    cr_assert(f);
    fputs("# shared by hand\n\n", f);
    fclose(f);
    free(before);
    cr_assert(ar_kparams_record(c, AR_KTUNE_SDDMM, cls, "sddmm_lanes=4", again, sizeof again) ==
              AR_OK, "%s", ar_last_error());
    cr_assert(ar_read_file(path, &after, &na) == AR_OK);
    cr_assert(!strncmp(after, "# shared by hand\n\n", 18) && strstr(after, "sddmm_lanes=4\n"),
              "%s", after);
    free(after);
    ar_ctx_free(c);
    setenv("AUTOREC_KERNEL_PARAMS", "sp_width=16", 1);
    ar_ctx *e = tu_ctx();
    cr_assert(ar_kparams_apply_tuned(e, 20, 10) == AR_OK && e->kp.sp_width == 16 &&
              e->kp.sp_group == 0);
    ar_ctx_free(e);
    unsetenv("AUTOREC_KERNEL_PARAMS");
    remove_cache(dir);
}

/* A context that ran one model with stored winners gives the next model, whose shape class has
 * none, the parameters it had before (a sweep over --hidden must not depend on its order); a
 * store that cannot be read, or holds a NUL byte, is not rewritten (its records would go). */
Test(kparams, store_per_model_and_kept_when_unreadable) {
    char dir[64], path[4200];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    const ar_kparams def = c->kp;
    char cls[32];
    ar_kparams_shape_class(20, 10, cls, sizeof cls);
    cr_assert(ar_kparams_record(c, AR_KTUNE_PRODUCTS, cls, "sp_width=8,sp_rows=2", path,
                                sizeof path) == AR_OK, "%s", ar_last_error());
    cr_assert(ar_kparams_apply_tuned(c, 20, 10) == AR_OK && c->kp.sp_width == 8 &&
              c->kp.sp_rows == 2);
    cr_assert(ar_kparams_apply_tuned(c, 100, 10) == AR_OK, "%s", ar_last_error());
    cr_assert(!memcmp(&c->kp, &def, sizeof def), "the last model's winners carried over");
    cr_assert(ar_kparams_apply_tuned(c, 20, 10) == AR_OK && c->kp.sp_width == 8);
    /* by hand wins from then on (ar_ctx_set_kparams), until a class with a record */
    ar_kparams hand = def;
    hand.sddmm_lanes = 4;
    cr_assert(ar_ctx_set_kparams(c, &hand) == AR_OK);
    cr_assert(ar_kparams_apply_tuned(c, 100, 10) == AR_OK && c->kp.sddmm_lanes == 4);
    /* a NUL byte: not rewritten, the line named */
    char *good = NULL;
    size_t n = 0;
    cr_assert(ar_read_file(path, &good, &n) == AR_OK);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fwrite(good, 1, n, f);
    fwrite("x\0y\n", 1, 4, f);
    fwrite(good, 1, n, f);
    fclose(f);
    free(good);
    char again[4200];
    cr_assert(ar_kparams_record(c, AR_KTUNE_SDDMM, cls, "sddmm_lanes=2", again, sizeof again) ==
              AR_ERR_PARSE);
    cr_assert(strstr(ar_last_error(), "kernel-params.tsv:2: a NUL byte"), "%s", ar_last_error());
    struct stat sb;
    cr_assert(stat(path, &sb) == 0 && (size_t)sb.st_size == 2 * n + 4, "the file was rewritten");
    /* a store that cannot be read (here a directory) is not replaced */
    cr_assert(remove(path) == 0 && mkdir(path, 0755) == 0);
    cr_assert(ar_kparams_record(c, AR_KTUNE_SDDMM, cls, "sddmm_lanes=2", again, sizeof again) !=
              AR_OK);
    cr_assert(strstr(ar_last_error(), "not rewritten"), "%s", ar_last_error());
    cr_assert(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
    ar_ctx_free(c);
    remove_cache(dir);
}

Test(kparams, bad_settings) {
    char dir[64];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    ar_kernel_tune_config cfg;
    ar_kernel_tune_config_default(&cfg);
    cr_assert(cfg.rows == 1650 && cfg.cols == 943 && cfg.hidden == 500 && cfg.batch == 256);
    ar_kernel_tune_result r;
    cfg.density = 1.5;
    cr_assert(ar_kernels_tune(c, &cfg, &r) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_kernel_tune_config.density"), "%s", ar_last_error());
    cfg.density = 0.1, cfg.hidden = 0;
    cr_assert(ar_kernels_tune(c, &cfg, &r) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "ar_kernel_tune_config."), "%s", ar_last_error());
    cfg.hidden = 16;
    setenv("AUTOREC_PROGRAM_CACHE", "0", 1);
    cr_assert(ar_kernels_tune(c, &cfg, &r) == AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "AUTOREC_PROGRAM_CACHE"), "%s", ar_last_error());
    ar_ctx_free(c);
    setenv("AUTOREC_KERNEL_PARAMS", "sp_width=7", 1);
    ar_ctx *bad = NULL;
    cr_assert(ar_ctx_create(NULL, &bad) == AR_ERR_INVALID_ARG && !bad);
    cr_assert(strstr(ar_last_error(), "sp_width"), "%s", ar_last_error());
    unsetenv("AUTOREC_KERNEL_PARAMS");
    remove_cache(dir);
}

/* More inputs than the smallest column tile (512): tiles of 0 (none) and 512 rows timed and
 * checked too, two variants each, and the winner stored with the products. */
Test(kparams, tune_times_column_tiles, .timeout = 600) {
    char dir[64];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    ar_kernel_tune_config cfg = {.rows = 40, .cols = 600, .density = 0.05, .hidden = 24,
                                 .batch = 16, .reps = 1};
    ar_kernel_tune_result r;
    tune_ok(c, &cfg, &r, 30);
    cr_assert(r.tile_s > 0 && r.tile_s <= r.default_tile_s, "tiles %g s, defaults' %g s",
              r.tile_s, r.default_tile_s);
    const char *tile = strstr(r.products, "sp_tile=");
    cr_assert(tile, "%s", r.products);
    const int won = atoi(tile + strlen("sp_tile="));
    ar_kparams def;
    ar_kparams_default(&def, ar_ctx_device(c)->type);
    cr_assert(won == 0 || won == 512 || won == def.sp_tile, "%s", r.products);
    cr_assert(c->kp.sp_tile == won, "the context is left with the winning tiles");
    ar_ctx_free(c);
    ar_ctx *d = tu_ctx();
    cr_assert(ar_kparams_apply_tuned(d, 24, 600) == AR_OK && d->kp.sp_tile == won);
    ar_ctx_free(d);
    remove_cache(dir);
}

/* ar_kernels_tune with nothing measured past the defaults (the noise floor raised over any
 * pass), which must succeed and store nothing: a fast way to see what it would store where. */
static void tune_defaults_only(ar_ctx *c, const ar_kernel_tune_config *cfg,
                               ar_kernel_tune_result *r) {
    const double floor = ar_ktune_noise_floor_s;
    ar_ktune_noise_floor_s = 1e9;
    cr_assert(ar_kernels_tune(c, cfg, r) == AR_OK, "%s", ar_last_error());
    ar_ktune_noise_floor_s = floor;
    cr_assert(!r->stored && r->variants == 3 && r->path[0] == 0, "%d variants, path '%s'",
              r->variants, r->path);
}

/* A small sparse model of hidden `hidden` on c (its data and model out). */
static void sparse_model(ar_ctx *c, int hidden, ar_ratings **tr, ar_ratings **te,
                         ar_dataset **ds, ar_model **m) {
    tu_synth(40, 30, 2, 0.3, 0.2, 5, tr, te);
    cr_assert(ar_dataset_create(*tr, *te, ds) == AR_OK, "%s", ar_last_error());
    ar_train_config cfg;
    ar_train_config_default(&cfg);
    cfg.hidden = hidden, cfg.batch = 8, cfg.kernels = AR_KERNELS_SPARSE;
    cr_assert(ar_model_create(c, *ds, &cfg, m) == AR_OK, "%s", ar_last_error());
}

/* A model pads hidden 8 to 16 on the device and looks its class up at 16: the tuner measures
 * at 16 and names that class, so what it stores for --hidden 8 is what the model loads; the
 * context then says its parameters are tuned ones. */
Test(kparams, tune_class_is_the_padded_hidden) {
    char dir[64], path[4200], text[256];
    fresh_cache(dir, sizeof dir);
    unsetenv("AUTOREC_HIDDEN_PAD");
    ar_ctx *c = tu_ctx();
    cr_assert_str_eq(ar_ctx_kernel_params(c, text, sizeof text), "default");
    /* sparse_model's shapes: I-AutoRec, 30 items of 40 users' ratings */
    ar_kernel_tune_config cfg = {.rows = 30, .cols = 40, .density = 0.3, .hidden = 8,
                                 .batch = 8, .reps = 1};
    ar_kernel_tune_result r;
    tune_defaults_only(c, &cfg, &r);
    cr_assert(r.device_hidden == 16, "%d", r.device_hidden);
    cr_assert_str_eq(r.shape_class, "h16-c64");
    /* the record tune-kernels writes for that class, with a width the defaults do not have */
    const int width = c->kp.sp_width == 16 ? 8 : 16;
    char params[64];
    snprintf(params, sizeof params, "sp_width=%d", width);
    cr_assert(ar_kparams_record(c, AR_KTUNE_PRODUCTS, r.shape_class, params, path,
                                sizeof path) == AR_OK, "%s", ar_last_error());
    ar_ctx_free(c);
    ar_ctx *d = tu_ctx();
    ar_ratings *tr = NULL, *te = NULL;
    ar_dataset *ds = NULL;
    ar_model *m = NULL;
    sparse_model(d, 8, &tr, &te, &ds, &m);
    char cls[32];
    ar_kparams_shape_class(m->L.dim[1], m->L.U, cls, sizeof cls); /* as model.c looks it up */
    cr_assert_str_eq(cls, r.shape_class);
    cr_assert(d->kp.sp_width == width, "the model of hidden 8 did not load class %s",
              r.shape_class);
    cr_assert_str_eq(ar_ctx_kernel_params(d, text, sizeof text), "tuned");
    cr_assert(strstr(text, params), "%s", text);
    ar_model_free(m);
    ar_dataset_free(ds);
    ar_ratings_free(tr);
    ar_ratings_free(te);
    ar_ctx_free(d);
    /* AUTOREC_HIDDEN_PAD: both sides pad alike (8 units to 24) */
    setenv("AUTOREC_HIDDEN_PAD", "24", 1);
    ar_ctx *e = tu_ctx();
    cfg.hidden = 20;
    tune_defaults_only(e, &cfg, &r);
    cr_assert(r.device_hidden == 24 && !strcmp(r.shape_class, "h32-c64"), "%d %s",
              r.device_hidden, r.shape_class);
    ar_ctx_free(e);
    unsetenv("AUTOREC_HIDDEN_PAD");
    remove_cache(dir);
}

/* Only min(batch, rows) rows exist: a batch of 1e8 rows at hidden 16 would be 6.4 GB of
 * activations; under a 64 KiB allocation limit it runs. */
Test(kparams, tune_batch_over_rows_sizes_by_rows) {
    char dir[64];
    fresh_cache(dir, sizeof dir);
    setenv("AUTOREC_MAX_ALLOC", "65536", 1);
    ar_ctx *c = tu_ctx();
    unsetenv("AUTOREC_MAX_ALLOC");
    ar_kernel_tune_config cfg = {.rows = 10, .cols = 10, .density = 0.5, .hidden = 16,
                                 .batch = 100000000, .reps = 1};
    ar_kernel_tune_result r;
    tune_defaults_only(c, &cfg, &r);
    ar_ctx_free(c);
    remove_cache(dir);
}

/* No ratings drawn: refused before anything is measured, naming the settings. Defaults'
 * passes under the noise floor: nothing stored (a good record of the class stays). A store
 * that cannot be written: refused before measuring. */
Test(kparams, tune_refuses_empty_data_noise_and_unwritable_store) {
    char dir[64], path[4200];
    fresh_cache(dir, sizeof dir);
    ar_ctx *c = tu_ctx();
    ar_kernel_tune_config cfg = {.rows = 3, .cols = 2, .density = 0.000001, .hidden = 8,
                                 .batch = 8, .reps = 1};
    ar_kernel_tune_result r;
    cr_assert(ar_kernels_tune(c, &cfg, &r) == AR_ERR_INVALID_ARG);
    cr_assert(strstr(ar_last_error(), "draws no ratings") &&
              strstr(ar_last_error(), "ar_kernel_tune_config.density"), "%s", ar_last_error());
    cr_assert(r.variants == 0, "measured %d variants", r.variants);
    /* a good record of the class, then a run whose defaults are "noise": kept as it was */
    cfg.density = 0.5;
    char cls[32];
    ar_kparams_shape_class(16, 2, cls, sizeof cls); /* hidden 8 as the device runs it */
    cr_assert(ar_kparams_record(c, AR_KTUNE_PRODUCTS, cls, "sp_width=16", path, sizeof path) ==
              AR_OK, "%s", ar_last_error());
    char *before = NULL, *after = NULL;
    size_t nb = 0, na = 0;
    cr_assert(ar_read_file(path, &before, &nb) == AR_OK);
    tune_defaults_only(c, &cfg, &r);
    cr_assert_str_eq(r.shape_class, cls);
    cr_assert(ar_read_file(path, &after, &na) == AR_OK && na == nb && !memcmp(before, after, nb));
    free(before), free(after);
    /* kernel-params.tsv a directory: refused before measuring, naming it */
    cr_assert(unlink(path) == 0 && mkdir(path, 0755) == 0);
    cr_assert(ar_kernels_tune(c, &cfg, &r) == AR_ERR_IO);
    cr_assert(strstr(ar_last_error(), "kernel-params.tsv") &&
              strstr(ar_last_error(), "directory"), "%s", ar_last_error());
    cr_assert(r.variants == 0, "measured %d variants", r.variants);
    ar_ctx_free(c);
    remove_cache(dir);
}
