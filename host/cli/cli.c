/* cli.c - the `autorec` commands: devices, train. Exit codes: 0 success, 2 usage error or bad
 * input, 1 any other failure. Progress goes to stderr, results to stdout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "autorec.h"
#include "cli.h"

#define report cli_report
#define usage_error cli_usage_error
#define parse_int cli_parse_int
#define parse_u64 cli_parse_u64
#define parse_float cli_parse_float
#define json_string cli_json_string
#define json_number cli_json_number

static const char main_help[] =
    "autorec - train AutoRec recommenders on any OpenCL device\n"
    "\n"
    "usage: autorec <command> [options]\n"
    "\n"
    "commands:\n"
    "  devices    list OpenCL platforms and devices\n"
    "  train      train AutoRec (I- or U-AutoRec) and report train / test RMSE per epoch\n"
    "  data       read a dataset and describe it (format, sizes, split) without training\n"
    "  eval       score a saved model (--save) on a test file\n"
    "  predict    predict ratings for 'user item' pairs with a saved model\n"
    "  recommend  list a user's top-N unrated items by a saved model, with titles\n"
    "  bench      time training on one or more devices, one row per device\n"
    "  synth      write a synthetic ratings file\n"
    "  sweep      train once per value of hidden, layers or activation; table and plot\n"
    "  help       show this help, or 'autorec help <command>'\n"
    "\n"
    "options:\n"
    "  --version  print the version\n"
    "  --help     show help ('autorec <command> --help' for a command's options)\n"
    "\n"
    "environment:\n"
    "  AUTOREC_DEVICE   default device spec (see 'autorec devices --help')\n"
    "  AUTOREC_DATA     default data path (a ratings file or a dataset directory), and the\n"
    "                   first place --dataset looks\n"
    "  AUTOREC_MIRROR   base URL for --dataset downloads (default GroupLens)\n"
    "  XDG_CACHE_HOME   downloads are cached in $XDG_CACHE_HOME/autorec (else ~/.cache/autorec)\n"
    "  AUTOREC_CL_DIR   read kernels from this directory instead of the embedded copies\n";

static const char devices_help[] =
    "usage: autorec devices [--ids]\n"
    "\n"
    "  --ids   print only the device ids, one P:D per line (for scripts)\n"
    "\n"
    "Lists every OpenCL platform and its devices. Each device has an id P:D (platform P,\n"
    "device D) and a flat index [N]. Anywhere a device is chosen (--device, AUTOREC_DEVICE)\n"
    "these specs are accepted:\n"
    "  P:D                 platform P, device D, e.g. 0:0\n"
    "  N                   the flat index\n"
    "  cpu|gpu|accelerator the first device of that type\n"
    "  TEXT                the first device whose name (then platform or vendor) contains TEXT,\n"
    "                      case-insensitive, e.g. pthread, llvmpipe, rusticl, radeon, nvidia\n"
    "The default is the first GPU, else the first device.\n";

static const char train_help[] =
    "usage: autorec train [data] [options]\n"
    "\n"
    "Trains AutoRec, item-based (I-AutoRec, the default) or user-based (--model user), and\n"
    "prints train (validation) and test RMSE after every epoch. Data options are listed below.\n"
    "\n"
    "model and training:\n"
    "  --hidden N[,N...]     hidden units (default 500); a list such as 500,250,500 builds\n"
    "                        that stack of hidden layers (up to 8)\n"
    "  --epochs N            epochs (default 60)\n"
    "  --batch N             rows (items, or users with --model user) per mini-batch\n"
    "                        (default 256)\n"
    "  --lr X                Adam learning rate of the first epoch (default 0.003)\n"
    "  --lr-decay G          multiply the learning rate by G after every epoch, in (0, 1]\n"
    "                        (default 0.97; 1 keeps it constant)\n"
    "  --l2 X                L2 coefficient on the weight matrices W and V, added to the\n"
    "                        gradient of the masked mean squared error (default 0.002)\n"
    "  --dropout P           dropout probability on the hidden layer (default 0)\n"
    "  --input-dropout P     denoising: drop input ratings with probability P while training\n"
    "                        (the loss still counts them all; default 0)\n"
    "  --input-noise FORM    what input dropout does to the ratings it keeps: mask (default:\n"
    "                        unchanged) or inverted (scaled by 1/(1-P))\n"
    "  --activation NAME     encoder activation: sigmoid (default), relu, tanh, elu, selu,\n"
    "                        identity\n"
    "  --out-activation NAME decoder activation: identity (default), sigmoid, relu, tanh,\n"
    "                        elu, selu\n"
    "  --seed N              seeds weights, batch order, dropout and random splits (default 1)\n"
    "  --kernels K           dense: densify each batch, CLBlast GEMMs over every entry;\n"
    "                        sparse: the first layer from the observed ratings only and the\n"
    "                        outputs only at observed positions (cl/sparse.cl); auto\n"
    "                        (default): sparse when at most 25% of the rating matrix is\n"
    "                        observed (every MovieLens release), else dense\n"
    "  --patience N          with --valid-ratio: stop when the validation RMSE has not\n"
    "                        improved for N epochs (default 0: train all --epochs)\n"
    "\n"
    "device and output:\n"
    "  --device SPEC         OpenCL device (see 'autorec devices --help'; default\n"
    "                        $AUTOREC_DEVICE, else the first GPU, else the first device)\n"
    "  --json                print a JSON summary as the last line of stdout\n"
    "  --quiet               no per-epoch progress on stderr\n"
    "  --metrics FILE.csv    write one row per epoch, flushed as it ends: epoch, loss,\n"
    "                        train_rmse, valid_rmse, test_rmse, epoch_seconds, eval_seconds\n"
    "                        (an empty field: no value, e.g. valid_rmse without --valid-ratio)\n"
    "  --plot FILE.svg       draw the train / validation / test RMSE curves as an SVG at the\n"
    "                        end (also after --patience stops early)\n"
    "  --save FILE           write the model to FILE (with --valid-ratio: the best-validation\n"
    "                        epoch's, rewritten whenever validation improves; else the last)\n"
    "  --resume FILE         continue a saved model up to --epochs in total; its settings\n"
    "                        (--hidden, --lr, ...) and seed come from the file; give the same\n"
    "                        data options\n"
    "Output files are checked before training starts: a path that cannot be written exits 2.\n";

static const char bench_help[] =
    "usage: autorec bench [data | --synthetic UxIxN] [--device all|SPEC[,SPEC...]]\n"
    "                     [--kernels dense,sparse] [--epochs N] [training flags]\n"
    "                     [--no-profile] [--json]\n"
    "\n"
    "Trains the same run on each selected device (and kernel path) and prints one row each:\n"
    "  epoch_s      median wall time of the timed epochs (all but the first, the warm-up),\n"
    "               training only (the per-epoch evaluation is not included)\n"
    "  ratings/s    training ratings per second (training ratings / epoch_s)\n"
    "  GFLOP/s      counted FLOPs of a training epoch's products (forward, weight gradients\n"
    "               and input gradients of every layer but the first) over epoch_s: dense\n"
    "               kernels 5 x 2 x rows x columns x hidden for one hidden layer, sparse\n"
    "               kernels 5 x 2 x training ratings x hidden (the work actually done)\n"
    "  memory_MiB   device memory held by the model's buffers (CLBlast's temporaries aside)\n"
    "  peak_RSS     the process's peak resident host memory so far, in MiB\n"
    "  compile_s    one-off cost: context, kernel build and model set-up, plus the first\n"
    "               epoch's time beyond the median (CLBlast compiles its kernels on first use)\n"
    "  test_RMSE    after the last epoch\n"
    "and then, per device, the median epoch split by phase from OpenCL profiling events: gemm\n"
    "(CLBlast), spmm, sddmm, sparse_wgrad (the sparse path's products), activation, dropout,\n"
    "densify, loss, bias_grad, adam, fill (kernel families),\n"
    "transfer (host <-> device copies) and host (the rest of the wall time: host work and\n"
    "launch overhead while the device had nothing queued). The phases add up to epoch_s.\n"
    "\n"
    "  --device all|SPEC[,SPEC...]  devices to run on (default: as for train)\n"
    "  --epochs N                   epochs per device, the first untimed (default 4)\n"
    "  --kernels LIST               dense, sparse, auto or a list such as dense,sparse: one\n"
    "                               row per device and path, same data (default: auto)\n"
    "  --synthetic UxIxN            synthetic data of that size instead of a dataset, e.g.\n"
    "                               69878x10677x10000000 (ML-10M-sized)\n"
    "  --no-profile                 no profiling events (phases are not measured; use it to\n"
    "                               check that profiling does not change the epoch time)\n"
    "  --json                       one JSON object per row, one per line, keys device, platform,\n"
    "                               id, epoch_seconds, ratings_per_second, gflops,\n"
    "                               gflop_per_epoch, device_memory_bytes, host_peak_rss_bytes,\n"
    "                               compile_seconds, phases (seconds per phase; null with\n"
    "                               --no-profile or when the driver gives no profiling\n"
    "                               timestamps), test_rmse, epochs, batch, train_ratings,\n"
    "                               hidden, kernels\n"
    "Data and training flags are those of 'autorec train' (see 'autorec train --help').\n";

/* ---- devices ------------------------------------------------------------------------------ */

static void print_devices(FILE *out) {
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    if (ar_devices_list(&pl, &np, &dv, &nd) != AR_OK) {
        fprintf(out, "autorec: %s\n", ar_last_error());
        return;
    }
    for (int p = 0; p < np; p++) {
        fprintf(out, "platform %d: %s (%s, %s)%s\n", p, pl[p].name, pl[p].vendor, pl[p].version,
                pl[p].n_devices ? "" : ": no devices");
        for (int d = 0; d < nd; d++) {
            if (dv[d].platform != p) continue;
            fprintf(out, "  %d:%d  [%d]  %-4s  %s  (vendor %s; %s; %u compute units; %.1f GiB)\n",
                    dv[d].platform, dv[d].device, dv[d].flat_index, dv[d].type, dv[d].name,
                    dv[d].vendor, dv[d].opencl_c_version, dv[d].compute_units,
                    (double)dv[d].global_mem_bytes / (1024.0 * 1024.0 * 1024.0));
        }
    }
    free(pl);
    free(dv);
}

static int cmd_devices(int argc, char **argv) {
    int ids = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(devices_help, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--ids")) {
            ids = 1;
            continue;
        }
        return usage_error("devices", "unknown argument '%s'", argv[i]);
    }
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    ar_status st = ar_devices_list(&pl, &np, &dv, &nd);
    if (st == AR_OK && ids)
        for (int d = 0; d < nd; d++) printf("%d:%d\n", dv[d].platform, dv[d].device);
    free(pl);
    free(dv);
    if (st != AR_OK) return report(st);
    if (!ids) print_devices(stdout);
    return EXIT_OK;
}

/* ---- option parsing ------------------------------------------------------------------------- */

/* The options struct and parser are in cli.h: sweep forwards its training flags here. */
typedef cli_train_opts train_opts;
#define parse_train cli_parse_train

int cli_parse_train(int argc, char **argv, train_opts *o, const char *cmd, const char *help) {
    memset(o, 0, sizeof *o);
    cli_data_opts_default(&o->data);
    ar_train_config_default(&o->cfg);
    for (int i = 0; i < argc; i++) {
        char *a = argv[i], name[64];
        const char *val = NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(help, stdout);
            fputs("\n", stdout);
            fputs(cli_data_help, stdout);
            return EXIT_OK;
        }
        if (!strcmp(a, "--json")) { o->json = 1; continue; }
        if (!strcmp(a, "--quiet")) { o->quiet = 1; continue; }
        if (cli_data_is_flag(a)) { cli_data_option(&o->data, a, NULL, cmd); continue; }
        int rc = cli_option(argc, argv, &i, name, sizeof name, &val, cmd);
        if (rc >= 0) return rc;
        long n;
        float f;
        ar_status st;
#define INT_OPT(opt, field, lo, hi)                                                            \
    if (!strcmp(name, opt)) {                                                                  \
        if (!parse_int(val, lo, hi, &n))                                                       \
            return usage_error(cmd, opt " expects an integer in " #lo ".." #hi ", got '%s'",   \
                               val);                                                           \
        o->cfg.field = (int)n;                                                                 \
        continue;                                                                              \
    }
#define FLOAT_OPT(opt, field)                                                                  \
    if (!strcmp(name, opt)) {                                                                  \
        if (!parse_float(val, &f))                                                             \
            return usage_error(cmd, opt " expects a finite number, got '%s'", val);        \
        o->cfg.field = f;                                                                      \
        continue;                                                                              \
    }
        if (!strcmp(name, "--hidden")) {
            if (!cli_parse_layers(val, &o->cfg))
                return usage_error(cmd, "--hidden expects N or a list of up to 8 layer sizes "
                                   "like 500,250,500 (each in 1..1000000), got '%s'", val);
            continue;
        }
        INT_OPT("--epochs", epochs, 1, 1000000)
        INT_OPT("--batch", batch, 1, 1000000)
        FLOAT_OPT("--lr", lr)
        FLOAT_OPT("--lr-decay", lr_decay)
        FLOAT_OPT("--l2", l2)
        FLOAT_OPT("--dropout", dropout)
        FLOAT_OPT("--input-dropout", input_dropout)
#undef INT_OPT
#undef FLOAT_OPT
        if (!strcmp(name, "--activation") || !strcmp(name, "--out-activation")) {
            ar_activation act;
            if ((st = ar_activation_parse(val, &act)) != AR_OK)
                return usage_error(cmd, "%s", ar_last_error());
            if (name[2] == 'a') o->cfg.activation = act;
            else o->cfg.out_activation = act;
            continue;
        }
        if (!strcmp(name, "--seed")) {
            if (!parse_u64(val, &o->cfg.seed))
                return usage_error(cmd, "--seed expects a non-negative integer, got '%s'",
                                   val);
            continue;
        }
        if (!strcmp(name, "--input-noise")) {
            if (ar_input_noise_parse(val, &o->cfg.input_noise) != AR_OK)
                return usage_error(cmd, "%s", ar_last_error());
            continue;
        }
        if (!strcmp(name, "--kernels")) {
            if (ar_kernel_path_parse(val, &o->cfg.kernels) != AR_OK)
                return usage_error(cmd, "%s", ar_last_error());
            continue;
        }
        if (!strcmp(name, "--patience")) {
            if (!parse_int(val, 0, 1000000, &n))
                return usage_error(cmd, "--patience expects an integer in 0..1000000, got '%s'",
                                   val);
            o->patience = (int)n;
            continue;
        }
        int r = cli_data_option(&o->data, name, val, cmd);
        if (r >= 2) return r - 2;
        if (r == 1) continue;
        if (!strcmp(name, "--device")) { o->device = val; continue; }
        return usage_error(cmd, "unknown option '%s'", name);
    }
    int rc = cli_data_check(&o->data, cmd);
    if (rc >= 0) return rc;
    if (o->patience && o->data.valid_ratio <= 0)
        return usage_error(cmd, "%s", "--patience needs a validation set: give --valid-ratio "
                           "(the test set never chooses anything)");
    if (ar_train_config_validate(&o->cfg) != AR_OK)
        return usage_error(cmd, "%s", ar_last_error());
    return -1;
}

/* ---- train -------------------------------------------------------------------------------- */

static int cmd_train(int argc, char **argv) {
    train_opts o;
    const char *metrics = NULL, *plot = NULL, *save = NULL, *resume = NULL;
    int rc = cli_take_option(&argc, argv, "--metrics", &metrics, "train");
    if (rc < 0) rc = cli_take_option(&argc, argv, "--plot", &plot, "train");
    if (rc < 0) rc = cli_take_option(&argc, argv, "--save", &save, "train");
    if (rc < 0) rc = cli_take_option(&argc, argv, "--resume", &resume, "train");
    /* --resume continues the saved model: its settings come from the file, not from flags */
    static const char *const model_flags[] = {"--hidden", "--batch", "--lr", "--lr-decay", "--l2",
                                              "--dropout", "--input-dropout", "--input-noise",
                                              "--activation", "--out-activation", "--model"};
    for (int i = 0; rc < 0 && resume && i < argc; i++)
        for (size_t k = 0; rc < 0 && k < sizeof model_flags / sizeof *model_flags; k++) {
            size_t n = strlen(model_flags[k]);
            if (!strncmp(argv[i], model_flags[k], n) && (argv[i][n] == 0 || argv[i][n] == '='))
                rc = usage_error("train", "%s is set by the model file with --resume", argv[i]);
        }
    if (rc < 0) rc = parse_train(argc, argv, &o, "train", train_help);
    if (rc >= 0) return rc;
    ar_checkpoint *ck = NULL;
    if (resume) {
        ar_status cst = ar_checkpoint_read(resume, &ck);
        if (cst != AR_OK) return report(cst);
        int seed_given = 0;
        for (int i = 0; i < argc; i++) seed_given |= !strncmp(argv[i], "--seed", 6);
        ar_train_config kc;
        ar_checkpoint_config(ck, &kc);
        if (!seed_given) o.cfg.seed = kc.seed; /* the same seed: the same random splits */
        o.data.rows = ar_checkpoint_rows(ck);
        if (ar_checkpoint_epochs_done(ck) >= o.cfg.epochs) {
            fprintf(stderr, "autorec: %s has trained %d epochs already: --epochs is the total, "
                    "give more than that\n", resume, ar_checkpoint_epochs_done(ck));
            ar_checkpoint_free(ck);
            return EXIT_USAGE;
        }
    }
    if (save) { /* fail fast on an unwritable directory, before any training */
        char probe[4200];
        snprintf(probe, sizeof probe, "%.4000s.probe-XXXXXX", save);
        int fd = mkstemp(probe);
        if (fd < 0) {
            fprintf(stderr, "autorec: error: --save: cannot write next to '%s': %s\n", save,
                    strerror(errno));
            ar_checkpoint_free(ck);
            return EXIT_USAGE;
        }
        close(fd);
        unlink(probe);
    }
    /* fail fast: an unwritable output path is found before the data is loaded and trained on */
    cli_curves curves;
    if ((rc = cli_curves_open(&curves, metrics, plot)) >= 0) return rc;
    cli_data data = {0};
    ar_dataset *ds = NULL;
    ar_ctx *ctx = NULL;
    ar_model *m = NULL;
    ar_status st = cli_data_load(&o.data, o.cfg.seed, o.quiet, &data);
    if (st == AR_OK) st = ar_dataset_create_ex(data.train, data.valid, data.test, o.data.rows, &ds);
    if (st != AR_OK) {
        rc = report(st);
        goto cleanup;
    }
    st = ar_ctx_create(o.device, &ctx);
    if (st != AR_OK) {
        rc = report(st);
        if (st == AR_ERR_NO_DEVICE) {
            fprintf(stderr, "available devices:\n");
            print_devices(stderr);
        }
        goto cleanup;
    }
    ar_dataset_stats ss;
    ar_dataset_get_stats(ds, &ss);
    const ar_device_info *dev = ar_ctx_device(ctx);
    int tty = isatty(fileno(stderr)) && !o.quiet;
    if (ck) {
        ar_train_config kc;
        ar_checkpoint_config(ck, &kc);
        kc.epochs = o.cfg.epochs;
        kc.seed = o.cfg.seed;
        o.cfg = kc; /* printed and reported below as the run's settings */
        st = ar_model_create_from(ctx, ds, ck, &o.cfg, &m);
    } else {
        st = ar_model_create(ctx, ds, &o.cfg, &m);
    }
    if (st != AR_OK) {
        rc = report(st);
        goto cleanup;
    }
    if (ck && !o.quiet)
        fprintf(stderr, "resumed: %s after %d epochs\n", resume, ar_model_epochs_done(m));
    float lo, hi, def;
    ar_model_rating_scale(m, &lo, &hi, &def);
    if (!o.quiet) {
        fprintf(stderr, "data: %s\n", data.desc);
        fprintf(stderr, "      %d items x %d users, %zu training, %zu validation, %zu test "
                "ratings; scale %g..%g (%zu test ratings with an unseen user or item, "
                "predicted %g)\n", ss.n_items, ss.n_users, ss.n_train, ss.n_valid, ss.n_test,
                (double)lo, (double)hi, ss.n_test_cold, (double)def);
        fprintf(stderr, "device: %d:%d %s (%s)\n", dev->platform, dev->device, dev->name,
                dev->platform_name);
        char widths[128];
        cli_format_layers(&o.cfg, widths, sizeof widths);
        fprintf(stderr, "model: %s, hidden %s, %s/%s, batch %d, lr %g (x%g per epoch), l2 %g, "
                "dropout %g, input dropout %g (%s), seed %llu, %s kernels\n",
                o.data.rows == AR_ROWS_USERS ? "U-AutoRec" : "I-AutoRec", widths,
                ar_activation_name(o.cfg.activation), ar_activation_name(o.cfg.out_activation),
                o.cfg.batch, (double)o.cfg.lr, (double)o.cfg.lr_decay, (double)o.cfg.l2,
                (double)o.cfg.dropout, (double)o.cfg.input_dropout,
                ar_input_noise_name(o.cfg.input_noise), (unsigned long long)o.cfg.seed,
                ar_kernel_path_name(ar_model_kernels(m)));
    }
    ar_epoch_stats s = {0};
    double seconds = 0, best = INFINITY;
    int best_epoch = 0;
    /* Model selection on validation: the epoch with the best validation RMSE, and the test
     * RMSE the model had then (the test set is only read, never used to choose). */
    const int has_valid = ss.n_valid > 0;
    double best_valid = INFINITY, sel_test = NAN, sel_train = NAN;
    int sel_epoch = 0, stopped_early = 0;
    while (ar_model_epochs_done(m) < o.cfg.epochs) {
        st = ar_model_train_epoch(m, &s);
        if (st != AR_OK) {
            if (tty) fputc('\n', stderr);
            rc = report(st);
            goto cleanup;
        }
        seconds += s.epoch_seconds;
        if (s.test_rmse < best) {
            best = s.test_rmse;
            best_epoch = s.epoch;
        }
        if (has_valid && s.valid_rmse < best_valid) {
            best_valid = s.valid_rmse;
            sel_epoch = s.epoch;
            sel_test = s.test_rmse;
            sel_train = s.train_rmse;
            /* with a validation set the saved model is the best-validation epoch's */
            if (save && (st = ar_model_save(m, save)) != AR_OK) {
                if (tty) fputc('\n', stderr);
                rc = report(st);
                goto cleanup;
            }
        }
        if ((rc = cli_curves_add(&curves, &s)) >= 0) {
            if (tty) fputc('\n', stderr);
            goto cleanup;
        }
        if (!o.quiet) {
            char vbuf[40] = "";
            if (has_valid) snprintf(vbuf, sizeof vbuf, "  valid RMSE %.4f", s.valid_rmse);
            fprintf(stderr, "%sepoch %3d/%d  loss %.4f  train RMSE %.4f%s  test RMSE %.4f  "
                    "%.2fs%s", tty ? "\r" : "", s.epoch, o.cfg.epochs, s.loss, s.train_rmse,
                    vbuf, s.test_rmse, s.epoch_seconds, tty ? "\033[K" : "\n");
        }
        if (o.patience && s.epoch - sel_epoch >= o.patience) {
            stopped_early = 1;
            break;
        }
    }
    if (tty) fputc('\n', stderr);
    char title[320];
    char layer_list[128];
    cli_format_layers(&o.cfg, layer_list, sizeof layer_list);
    snprintf(title, sizeof title, "%s RMSE per epoch: hidden %s, %s/%s",
             o.data.rows == AR_ROWS_USERS ? "U-AutoRec" : "I-AutoRec", layer_list,
             ar_activation_name(o.cfg.activation), ar_activation_name(o.cfg.out_activation));
    if ((rc = cli_curves_finish(&curves, title, data.desc)) >= 0) goto cleanup;
    printf("test RMSE %.4f, train RMSE %.4f after %d epochs (%.1f s training on %s)\n",
           s.test_rmse, s.train_rmse, s.epoch, seconds, dev->name);
    if (has_valid)
        printf("selected on validation: epoch %d, valid RMSE %.4f, test RMSE %.4f%s\n",
               sel_epoch, best_valid, sel_test,
               stopped_early ? " (stopped early: --patience)" : "");
    if (o.json) {
        printf("{\"device\":");
        json_string(stdout, dev->name);
        printf(",\"platform\":");
        json_string(stdout, dev->platform_name);
        printf(",\"epochs\":%d", s.epoch);
        json_number(stdout, "test_rmse", s.test_rmse);
        json_number(stdout, "train_rmse", s.train_rmse);
        json_number(stdout, "loss", s.loss);
        json_number(stdout, "best_test_rmse", best);
        printf(",\"best_epoch\":%d", best_epoch);
        json_number(stdout, "seconds", seconds);
        json_number(stdout, "epoch_seconds", seconds / s.epoch);
        char widths[128];
        cli_format_layers(&o.cfg, widths, sizeof widths);
        printf(",\"hidden\":%d,\"layers\":\"%s\",\"batch\":%d", o.cfg.hidden, widths,
               o.cfg.batch);
        json_number(stdout, "lr", o.cfg.lr);
        json_number(stdout, "lr_decay", o.cfg.lr_decay);
        json_number(stdout, "l2", o.cfg.l2);
        json_number(stdout, "dropout", o.cfg.dropout);
        json_number(stdout, "input_dropout", o.cfg.input_dropout);
        printf(",\"input_noise\":\"%s\"", ar_input_noise_name(o.cfg.input_noise));
        printf(",\"activation\":\"%s\",\"out_activation\":\"%s\",\"seed\":%llu",
               ar_activation_name(o.cfg.activation), ar_activation_name(o.cfg.out_activation),
               (unsigned long long)o.cfg.seed);
        printf(",\"kernels\":\"%s\"", ar_kernel_path_name(ar_model_kernels(m)));
        printf(",\"n_users\":%d,\"n_items\":%d,\"n_train\":%zu,\"n_test\":%zu", ss.n_users,
               ss.n_items, ss.n_train, ss.n_test);
        printf(",\"n_valid\":%zu,\"model\":\"%s\"", ss.n_valid,
               o.data.rows == AR_ROWS_USERS ? "user" : "item");
        json_number(stdout, "valid_rmse", s.valid_rmse);
        json_number(stdout, "best_valid_rmse", has_valid ? best_valid : NAN);
        if (has_valid) printf(",\"selected_epoch\":%d", sel_epoch);
        json_number(stdout, "selected_test_rmse", sel_test);
        json_number(stdout, "selected_train_rmse", sel_train);
        printf(",\"stopped_early\":%s", stopped_early ? "true" : "false");
        json_number(stdout, "rating_min", lo);
        json_number(stdout, "rating_max", hi);
        printf(",\"device_memory_bytes\":%zu}\n", ar_model_device_bytes(m));
    }
    if (save && !has_valid && (st = ar_model_save(m, save)) != AR_OK) {
        rc = report(st);
        goto cleanup;
    }
    if (save && !o.quiet)
        fprintf(stderr, "saved: %s (%s)\n", save, has_valid ? "the best-validation epoch" :
                "the last epoch");
    rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
cleanup:
    ar_checkpoint_free(ck);
    cli_curves_free(&curves);
    ar_model_free(m);
    ar_ctx_free(ctx);
    ar_dataset_free(ds);
    cli_data_free(&data);
    return rc;
}

/* ---- bench -------------------------------------------------------------------------------- */

/* Peak resident set size of this process so far, in bytes (0 if unknown). */
static size_t peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (size_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

/* Sorts epoch indices by their time (insertion sort: a few epochs). */
static void sort_by_time(int *idx, int n, const double *t) {
    for (int i = 1; i < n; i++) {
        int x = idx[i], j = i;
        while (j > 0 && t[idx[j - 1]] > t[x]) idx[j] = idx[j - 1], j--;
        idx[j] = x;
    }
}

/* Trains o->cfg on device `spec` and prints its row (and with profiling its phase row into
 * phase_rows, printed after the table). Returns an exit code. */
static int bench_device(const train_opts *o, const ar_dataset *ds, const char *spec,
                        int profiling, char *phase_row, size_t phase_cap) {
    ar_ctx *ctx = NULL;
    ar_model *m = NULL;
    ar_epoch_stats *es = NULL;
    int *idx = NULL;
    double *times = NULL;
    int rc = EXIT_OK;
    phase_row[0] = 0;
    double t0 = ar_time_seconds();
    ar_ctx_options co = {.profiling = profiling};
    ar_status st = ar_ctx_create_ex(spec, &co, &ctx);
    if (st == AR_OK) st = ar_model_create(ctx, ds, &o->cfg, &m);
    double setup = ar_time_seconds() - t0;
    es = calloc((size_t)o->cfg.epochs, sizeof *es);
    idx = calloc((size_t)o->cfg.epochs, sizeof *idx);
    times = calloc((size_t)o->cfg.epochs, sizeof *times);
    if (st == AR_OK && (!es || !idx || !times)) {
        fprintf(stderr, "autorec: error: out of host memory\n");
        rc = EXIT_FAIL;
        goto cleanup;
    }
    if (st != AR_OK) {
        rc = report(st);
        if (st == AR_ERR_NO_DEVICE) {
            fprintf(stderr, "available devices:\n");
            print_devices(stderr);
        }
        goto cleanup;
    }
    const ar_device_info *dev = ar_ctx_device(ctx);
    for (int e = 0; e < o->cfg.epochs; e++) {
        if ((st = ar_model_train_epoch(m, &es[e])) != AR_OK) {
            rc = report(st);
            goto cleanup;
        }
        if (!o->quiet)
            fprintf(stderr, "%s: epoch %d/%d %.3fs test RMSE %.4f\n", dev->name, e + 1,
                    o->cfg.epochs, es[e].epoch_seconds, es[e].test_rmse);
    }
    /* The first epoch is the warm-up. The epoch time is the median of the rest; its phases are
     * those of the median epoch (the mean of the two middle ones for an even count), so they
     * add up to it. */
    int n = o->cfg.epochs - 1;
    for (int e = 0; e <= n; e++) times[e] = es[e].epoch_seconds;
    for (int k = 0; k < n; k++) idx[k] = k + 1;
    sort_by_time(idx, n, times);
    int lo = idx[(n - 1) / 2], hi = idx[n / 2];
    double med = 0.5 * (times[lo] + times[hi]);
    double phase[AR_PHASE_COUNT];
    for (int p = 0; p < AR_PHASE_COUNT; p++)
        phase[p] = 0.5 * (es[lo].phase_seconds[p] + es[hi].phase_seconds[p]);
    double compile = setup + (times[0] > med ? times[0] - med : 0.0);
    const ar_epoch_stats *last = &es[o->cfg.epochs - 1];
    ar_dataset_stats ss;
    ar_dataset_get_stats(ds, &ss);
    double flops = cli_epoch_flops(&o->cfg, ss.rows_are == AR_ROWS_USERS ? ss.n_users : ss.n_items,
                                   ss.rows_are == AR_ROWS_USERS ? ss.n_items : ss.n_users,
                                   ss.n_train, ar_model_kernels(m) == AR_KERNELS_SPARSE);
    double rps = (double)ss.n_train / med, gflops = flops / med * 1e-9;
    size_t mem = ar_model_device_bytes(m), rss = peak_rss_bytes();
    if (o->json) {
        printf("{\"device\":");
        json_string(stdout, dev->name);
        printf(",\"platform\":");
        json_string(stdout, dev->platform_name);
        printf(",\"id\":\"%d:%d\"", dev->platform, dev->device);
        json_number(stdout, "epoch_seconds", med);
        json_number(stdout, "ratings_per_second", rps);
        json_number(stdout, "gflops", gflops);
        json_number(stdout, "gflop_per_epoch", flops * 1e-9);
        printf(",\"device_memory_bytes\":%zu,\"host_peak_rss_bytes\":%zu", mem, rss);
        json_number(stdout, "compile_seconds", compile);
        if (profiling && !isnan(phase[AR_PHASE_GEMM])) {
            printf(",\"phases\":{");
            for (int p = 0; p < AR_PHASE_COUNT; p++) {
                printf("%s\"%s\":", p ? "," : "", ar_phase_name((ar_phase)p));
                printf("%.6g", phase[p]);
            }
            printf("}");
        } else {
            printf(",\"phases\":null");
        }
        json_number(stdout, "test_rmse", last->test_rmse);
        printf(",\"epochs\":%d,\"batch\":%d,\"train_ratings\":%zu", o->cfg.epochs, o->cfg.batch,
               ss.n_train);
        printf(",\"kernels\":\"%s\"", ar_kernel_path_name(ar_model_kernels(m)));
        char layers[256];
        cli_format_layers(&o->cfg, layers, sizeof layers);
        printf(",\"hidden\":");
        json_string(stdout, layers);
        printf("}\n");
    } else {
        char id[32];
        snprintf(id, sizeof id, "%d:%d", dev->platform, dev->device);
        const char *path = ar_kernel_path_name(ar_model_kernels(m));
        printf("%-5s %-6s %-30.30s %9.4f %11.0f %8.2f %10.1f %9.0f %9.2f %9.4f\n", id, path,
               dev->name, med, rps, gflops, (double)mem / (1024.0 * 1024.0),
               (double)rss / (1024.0 * 1024.0), compile, last->test_rmse);
        if (profiling) {
            int len = snprintf(phase_row, phase_cap, "%-5s %-6s", id, path);
            if (isnan(phase[AR_PHASE_GEMM]))
                snprintf(phase_row + len, phase_cap - (size_t)len, " (this driver gives no "
                         "profiling timestamps)");
            for (int p = 0; p < AR_PHASE_COUNT && !isnan(phase[AR_PHASE_GEMM]) &&
                            (size_t)len < phase_cap; p++)
                len += snprintf(phase_row + len, phase_cap - (size_t)len, " %12.4f", phase[p]);
        }
    }
    fflush(stdout);
cleanup:
    free(es);
    free(idx);
    free(times);
    ar_model_free(m);
    ar_ctx_free(ctx);
    return rc;
}

static int cmd_bench(int argc, char **argv) {
    train_opts o;
    int epochs_given = 0, profile = 1, n_args = 0, n_paths = 0;
    ar_kernel_path paths[3];
    /* bench's own flags come out before the training options are parsed: --no-profile, and
     * --kernels, which takes a list here (one row per device and path) */
    char **args = calloc((size_t)argc + 1, sizeof *args);
    if (!args) return report(AR_ERR_OUT_OF_MEMORY);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--no-profile")) {
            profile = 0;
            continue;
        }
        if (!strncmp(argv[i], "--kernels", 9) && (argv[i][9] == 0 || argv[i][9] == '=')) {
            const char *val = argv[i][9] == '=' ? argv[i] + 10 : i + 1 < argc ? argv[++i] : "";
            char buf[64];
            snprintf(buf, sizeof buf, "%s", val);
            n_paths = 0;
            for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
                if (n_paths == 3 || ar_kernel_path_parse(t, &paths[n_paths]) != AR_OK) {
                    free(args);
                    return usage_error("bench", "--kernels expects a list of auto, dense, "
                                       "sparse (up to 3), got '%s'", val);
                }
                n_paths++;
            }
            if (n_paths == 0) {
                free(args);
                return usage_error("bench", "%s", "--kernels expects auto, dense or sparse");
            }
            continue;
        }
        epochs_given |= !strncmp(argv[i], "--epochs", 8);
        args[n_args++] = argv[i];
    }
    int rc = parse_train(n_args, args, &o, "bench", bench_help);
    free(args);
    if (rc >= 0) return rc;
    if (!epochs_given) o.cfg.epochs = 4;
    if (n_paths == 0) paths[n_paths++] = o.cfg.kernels;
    if (o.cfg.epochs < 2) return usage_error("bench", "%s", "--epochs must be at least 2 (the "
                                             "first epoch is an untimed warm-up)");
    /* The device list: "all", or comma-separated specs. */
    char *specs[256];
    int n_specs = 0;
    char *list = NULL;
    ar_platform_info *pl = NULL;
    ar_device_info *dv = NULL;
    int np = 0, nd = 0;
    cli_data data = {0};
    ar_dataset *ds = NULL;
    char idx[256][16];
    if (o.device && !strcmp(o.device, "all")) {
        ar_status st = ar_devices_list(&pl, &np, &dv, &nd);
        if (st != AR_OK) return report(st);
        for (int i = 0; i < nd && i < 256; i++) {
            snprintf(idx[i], sizeof idx[i], "%d", i);
            specs[n_specs++] = idx[i];
        }
    } else if (o.device) {
        list = strdup(o.device);
        for (char *t = strtok(list, ","); t && n_specs < 256; t = strtok(NULL, ","))
            specs[n_specs++] = t;
    } else {
        specs[n_specs++] = NULL; /* AUTOREC_DEVICE, else the default device */
    }
    if (n_specs == 0) {
        rc = usage_error("bench", "%s", "--device lists no device");
        goto cleanup;
    }
    ar_status st = cli_data_load(&o.data, o.cfg.seed, o.quiet, &data);
    if (st == AR_OK) st = ar_dataset_create_ex(data.train, data.valid, data.test, o.data.rows, &ds);
    if (st != AR_OK) {
        rc = report(st);
        goto cleanup;
    }
    if (!o.quiet) fprintf(stderr, "data: %s\n", data.desc);
    if (!o.json)
        printf("%-5s %-6s %-30s %9s %11s %8s %10s %9s %9s %9s\n", "id", "path", "device",
               "epoch_s", "ratings/s", "GFLOP/s", "memory_MiB", "peak_RSS", "compile_s",
               "test_RMSE");
    rc = EXIT_OK;
    const int n_rows = n_specs * n_paths;
    char(*phase_rows)[512] = calloc((size_t)n_rows, sizeof *phase_rows);
    if (!phase_rows) {
        rc = report(AR_ERR_OUT_OF_MEMORY);
        goto cleanup;
    }
    for (int i = 0; i < n_rows; i++) {
        o.cfg.kernels = paths[i % n_paths];
        int r = bench_device(&o, ds, specs[i / n_paths], profile, phase_rows[i],
                             sizeof phase_rows[i]);
        if (r != EXIT_OK && rc == EXIT_OK) rc = r;
    }
    if (!o.json && profile) {
        printf("\nseconds per epoch by phase (OpenCL profiling events of the median epoch):\n");
        printf("%-5s %-6s", "id", "path");
        for (int p = 0; p < AR_PHASE_COUNT; p++) printf(" %12s", ar_phase_name((ar_phase)p));
        printf("\n");
        for (int i = 0; i < n_rows; i++)
            if (phase_rows[i][0]) printf("%s\n", phase_rows[i]);
    }
    free(phase_rows);
cleanup:
    free(list);
    free(pl);
    free(dv);
    ar_dataset_free(ds);
    cli_data_free(&data);
    return rc;
}

int ar_cli_main(int argc, char **argv) {
    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("autorec %s\n", AR_VERSION_STRING);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc > 2 && !strcmp(argv[2], "devices")) fputs(devices_help, stdout);
        else if (argc > 2 && !strcmp(argv[2], "train")) fputs(train_help, stdout);
        else if (argc > 2 && !strcmp(argv[2], "bench")) fputs(bench_help, stdout);
        else if (argc > 2 && (!strcmp(argv[2], "eval") || !strcmp(argv[2], "predict") ||
                              !strcmp(argv[2], "recommend"))) {
            char *h[] = {"--help"};
            return !strcmp(argv[2], "eval") ? cli_eval(1, h)
                   : !strcmp(argv[2], "predict") ? cli_predict(1, h) : cli_recommend(1, h);
        }
        else if (argc > 2 && !strcmp(argv[2], "data")) return cli_data_cmd(1, (char *[]){"--help"});
        else if (argc > 2 && !strcmp(argv[2], "sweep")) return cli_sweep(1, (char *[]){"--help"});
        else if (argc > 2) return usage_error("help", "unknown command '%s'", argv[2]);
        else fputs(main_help, stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "devices")) return cmd_devices(argc - 2, argv + 2);
    if (!strcmp(cmd, "train")) return cmd_train(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "synth")) return cli_synth(argc - 2, argv + 2);
    if (!strcmp(cmd, "eval")) return cli_eval(argc - 2, argv + 2);
    if (!strcmp(cmd, "predict")) return cli_predict(argc - 2, argv + 2);
    if (!strcmp(cmd, "recommend")) return cli_recommend(argc - 2, argv + 2);
    if (!strcmp(cmd, "data")) return cli_data_cmd(argc - 2, argv + 2);
    if (!strcmp(cmd, "sweep")) return cli_sweep(argc - 2, argv + 2);
    fprintf(stderr, "autorec: unknown command '%s' (see 'autorec --help')\n", cmd);
    return EXIT_USAGE;
}
