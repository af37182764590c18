/*
 * autorec.h - the public API of autorec-cl.
 *
 * autorec-cl trains AutoRec recommenders (Sedhain et al., WWW 2015) on any OpenCL device.
 * Everything is reached through opaque handles; every fallible function returns an ar_status
 * and, on failure, leaves a one-line human-readable message in ar_last_error().
 *
 * Typical use:
 *   ar_ratings *base, *train, *valid, *test;  ar_dataset *ds;  ar_ctx *ctx;  ar_model *m;
 *   ar_ratings_load("u1.base", &base);  ar_ratings_load("u1.test", &test);
 *   ar_ratings_split(base, 0.1, 1, &train, &valid);   // a validation set carved out of training
 *   ar_dataset_create_ex(train, valid, test, AR_ROWS_ITEMS, &ds);
 *   ar_ctx_create(NULL, &ctx);                  // NULL: $AUTOREC_DEVICE, else first GPU, else first device
 *   ar_train_config cfg;  ar_train_config_default(&cfg);
 *   ar_model_create(ctx, ds, &cfg, &m);
 *   ar_model_train(m, NULL, NULL, NULL);        // stops on validation, keeps the best epoch
 *   // or one epoch at a time: ar_model_train_epoch(m, &stats), cfg.epochs times
 */
#ifndef AUTOREC_H
#define AUTOREC_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) && defined(AR_BUILD_SHARED)
#define AR_API __declspec(dllexport)
#elif defined(__GNUC__)
#define AR_API __attribute__((visibility("default")))
#else
#define AR_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define AR_VERSION_MAJOR 0
#define AR_VERSION_MINOR 1
#define AR_VERSION_PATCH 0
#define AR_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------------------------------------
 * Status codes. 0 is success, every error is negative. ar_last_error() holds the details.
 * ------------------------------------------------------------------------------------------- */
typedef enum ar_status {
    AR_OK = 0,
    AR_ERR_INVALID_ARG = -1,  /* a parameter or option value is out of range */
    AR_ERR_IO = -2,           /* a file could not be opened, read or written */
    AR_ERR_PARSE = -3,        /* a data file is malformed (message names file:line) */
    AR_ERR_NO_PLATFORM = -4,  /* no OpenCL platform is installed */
    AR_ERR_NO_DEVICE = -5,    /* the device spec matches no device */
    AR_ERR_OPENCL = -6,       /* an OpenCL call failed (message names the call and the code) */
    AR_ERR_CLBLAST = -7,      /* a CLBlast call failed (message names the code) */
    AR_ERR_BUILD = -8,        /* a kernel failed to compile (message holds the build log) */
    AR_ERR_OUT_OF_MEMORY = -9,/* host or device memory ran out */
    AR_ERR_DIVERGED = -10,    /* training produced a non-finite loss, or a model a non-finite
                                 output where it is scored or predicted */
    AR_ERR_INTERRUPTED = -11, /* training was stopped by ar_model_interrupt */
    AR_ERR_PEER = -12,        /* another shard of a sharded model failed, or its process was
                                 lost: this one stopped (the message names the shard) */
} ar_status;

/* A static name for a status, e.g. "invalid argument". */
AR_API const char *ar_status_string(ar_status s);

/* The message of the last error raised on this thread ("" if none). One line, no newline. */
AR_API const char *ar_last_error(void);

/* The library's version, AR_VERSION_STRING of the build ("0.1.0"): what a program that loads
 * the shared library at run time (the Python package) checks against its own. */
AR_API const char *ar_version(void);

/* Seconds on a monotonic clock, for timing (differences only). */
AR_API double ar_time_seconds(void);

/* True for statuses caused by the caller's input (bad option, bad file, unknown device): the CLI
 * maps these to exit code 2 and everything else to exit code 1. */
AR_API int ar_status_is_usage_error(ar_status s);

/* Reads a whole regular file into a malloc'd, NUL-terminated buffer (free() it); *len gets its
 * size. Only a regular file is read, at most the size it had when opened: a directory, FIFO,
 * device or socket is refused without reading (AR_ERR_IO), so an endless stream (/dev/zero) or
 * a pipe with no writer never fills memory or blocks. Every file the library reads is read this
 * way or mapped after the same check. */
AR_API ar_status ar_read_file(const char *path, char **buf, size_t *len);

/* ---------------------------------------------------------------------------------------------
 * Devices
 * ------------------------------------------------------------------------------------------- */
typedef struct ar_device_info {
    int platform;             /* platform index P in "P:D" */
    int device;               /* device index D within its platform */
    int flat_index;           /* index over all devices of all platforms, in listing order */
    char platform_name[128];  /* CL_PLATFORM_NAME */
    char platform_version[128];/* CL_PLATFORM_VERSION */
    char name[256];           /* CL_DEVICE_NAME */
    char vendor[128];         /* CL_DEVICE_VENDOR */
    char type[32];            /* "cpu", "gpu", "accelerator", "custom" or "default" */
    char opencl_c_version[64];/* CL_DEVICE_OPENCL_C_VERSION, e.g. "OpenCL C 1.2 pocl" */
    unsigned compute_units;   /* CL_DEVICE_MAX_COMPUTE_UNITS */
    uint64_t global_mem_bytes;/* CL_DEVICE_GLOBAL_MEM_SIZE */
    uint64_t max_alloc_bytes; /* CL_DEVICE_MAX_MEM_ALLOC_SIZE */
} ar_device_info;

typedef struct ar_platform_info {
    int platform;             /* platform index P */
    char name[128];           /* CL_PLATFORM_NAME */
    char vendor[128];         /* CL_PLATFORM_VENDOR */
    char version[128];        /* CL_PLATFORM_VERSION */
    int n_devices;            /* number of devices (0 for a platform with none, e.g. Clover) */
} ar_platform_info;

/* Lists every platform and every device. The arrays are allocated with malloc; free them with
 * free(). Returns AR_ERR_NO_PLATFORM when no OpenCL platform is installed. */
AR_API ar_status ar_devices_list(ar_platform_info **platforms, int *n_platforms,
                                 ar_device_info **devices, int *n_devices);

/* Resolves a device spec to an index into the ar_devices_list() array. spec is one of
 * "P:D", a flat index "N", "cpu" / "gpu" / "accelerator" (the first of that type), or a
 * case-insensitive substring of the device name, the platform name or the vendor. NULL or ""
 * selects the first GPU, else the first device. AR_ERR_NO_DEVICE if nothing matches. */
AR_API ar_status ar_device_resolve(const char *spec, const ar_device_info *devices, int n_devices,
                                   int *index);

/* ---------------------------------------------------------------------------------------------
 * Context: one OpenCL context, one in-order queue and the built kernels for one device.
 * ------------------------------------------------------------------------------------------- */
typedef struct ar_ctx ar_ctx;

/* Creates a context on the device named by spec (see ar_device_resolve). A NULL spec uses the
 * environment variable AUTOREC_DEVICE, else the default device. Kernels are the ones embedded
 * at build time, or read from $AUTOREC_CL_DIR when that is set. */
AR_API ar_status ar_ctx_create(const char *spec, ar_ctx **out);

/* Options of ar_ctx_create_ex; zero-initialise, then set what you need. */
typedef struct ar_ctx_options {
    int profiling;            /* 1: create the queue with CL_QUEUE_PROFILING_ENABLE and time every
                                 command of a training epoch by phase (ar_epoch_stats.phase_seconds);
                                 costs one event per command, so leave it 0 when not measuring */
} ar_ctx_options;
/* ar_ctx_create with options (NULL: all defaults). */
AR_API ar_status ar_ctx_create_ex(const char *spec, const ar_ctx_options *opt, ar_ctx **out);
AR_API void ar_ctx_free(ar_ctx *ctx);
/* The device this context runs on. */
AR_API const ar_device_info *ar_ctx_device(const ar_ctx *ctx);
/* Seconds the context spent building its kernel program, and whether it came from the
 * built-program cache (*cached 1; docs/devices.md#the-built-program-cache); cached may be NULL. */
AR_API double ar_ctx_build_seconds(const ar_ctx *ctx, int *cached);
/* What CLBlast's GEMMs run with on this context's device: the tuning entries applied
 * ("XgemmDirect from gemm_db.c:12; ..."), "CLBlast defaults (...)", or notes on entries that
 * were refused (docs/devices.md#tuned-clblast). */
AR_API const char *ar_ctx_gemm_tuning(const ar_ctx *ctx);
/* The sparse kernels' tunable parameters ctx's program is built with now, as
 * $AUTOREC_KERNEL_PARAMS text ("sp_width=32,spmm_width=64,...", every field) in out (cap
 * bytes); returns where they came from: "default" (ar_kparams_default for the device's type),
 * "AUTOREC_KERNEL_PARAMS", or "tuned" (stored winners of `autorec tune-kernels` that a model
 * created on ctx loaded, or ar_kernels_tune left). A model rebuilds its context with tuned
 * ones at ar_model_create: ask after it. */
AR_API const char *ar_ctx_kernel_params(const ar_ctx *ctx, char *out, size_t cap);

/* Kernel autotuning (`autorec tune-kernels`): the sparse kernels' parameters (columns per
 * work-item, work-group shape, SDDMM lanes) measured on ctx's device at a model's shapes on
 * synthetic data, each variant checked against a host computation; the fastest are stored in
 * the built-program cache's directory per (device, driver, kernel, shape class: the hidden size
 * and the columns rounded up to powers of two), and models created later of that class load
 * them. $AUTOREC_KERNEL_PARAMS, when set, wins over stored parameters. */
typedef struct ar_kernel_tune_config {
    int rows;          /* rows of the rating matrix (items for I-AutoRec, users for U-AutoRec) */
    int cols;          /* its columns: the model's inputs */
    double density;    /* ratings / (rows x cols), in (0, 1] */
    int hidden;        /* the first hidden layer's size (measured, and its class named, at
                          the size a model runs it at: padded, see device_hidden) */
    int batch;         /* rows per mini-batch (no more than rows are used) */
    int reps;          /* timed repetitions per variant; the fastest counts */
} ar_kernel_tune_config;
/* MovieLens 100K u1's shapes with the default model: 1650 x 943, density 0.0514, hidden 500,
 * batch 256; 5 repetitions. */
AR_API void ar_kernel_tune_config_default(ar_kernel_tune_config *cfg);
typedef struct ar_kernel_tune_result {
    char shape_class[32];      /* e.g. "h512-c1024" */
    char products[96];         /* the winners, as $AUTOREC_KERNEL_PARAMS text */
    char sddmm[64];            /* SDDMM's, and training's decoder fused or not (sp_fuse) */
    double products_s;         /* seconds of one pass over every batch: SpMM twice (encoder, */
    double default_products_s; /* gradient) and the weight gradient; the winner's and the */
    double sddmm_s;            /* defaults'; SDDMM likewise */
    double default_sddmm_s;
    double decode_s;           /* training's decoder, loss and last hidden gradient: one kernel */
    double default_decode_s;   /* (sp_fuse=1) or three; the winner's and the defaults' */
    double tile_s;             /* the products and the decoder at the winning column tiles */
    double default_tile_s;     /* (sp_tile) and at the defaults'; 0 when not timed (cols <= 512) */
    int variants;              /* variants measured, each checked against the host */
    int rejected;              /* variants whose results disagreed with the host (not kept) */
    char path[4096];           /* the file the winners were stored in ("" when not stored) */
    int device_hidden;         /* the hidden size the kernels run at (and the class names): a
                                * model's, hidden padded to 16 or to $AUTOREC_HIDDEN_PAD */
    int stored;                /* 1: the winners were stored; 0: a defaults' pass took under
                                * 1e-5 s (timer noise): nothing but the defaults measured, and
                                * nothing stored (raise the shapes) */
} ar_kernel_tune_result;
/* Tunes ctx's device (ctx is left built with the winners). AR_ERR_INVALID_ARG names a bad
 * ar_kernel_tune_config field, or the density and shape when they draw no ratings; AR_ERR_IO
 * when there is no cache directory to store in or its kernel-params.tsv cannot be written
 * (checked before measuring). */
AR_API ar_status ar_kernels_tune(ar_ctx *ctx, const ar_kernel_tune_config *cfg,
                                 ar_kernel_tune_result *res);

/* ---------------------------------------------------------------------------------------------
 * Ratings and datasets
 * ------------------------------------------------------------------------------------------- */

/* A list of (user, item, rating) triples with their raw ids, as read from a file. */
typedef struct ar_ratings ar_ratings;

/* Rating file formats. AR_FORMAT_AUTO detects the format from the first non-blank line:
 * "::" -> DAT; the header "userId,movieId,rating,timestamp" -> ML_CSV; a ',' ';' or '|' or a
 * header line -> CSV; otherwise TAB. */
typedef enum ar_format {
    AR_FORMAT_AUTO = 0,   /* detect from the content */
    AR_FORMAT_TAB = 1,    /* "user item rating [timestamp]", tabs or spaces (ML-100K u.data) */
    AR_FORMAT_DAT = 2,    /* "user::item::rating::timestamp" (ML-1M / ML-10M ratings.dat) */
    AR_FORMAT_ML_CSV = 3, /* header userId,movieId,rating,timestamp (MovieLens latest ratings.csv) */
    AR_FORMAT_CSV = 4,    /* generic delimited text (',' ';' '|' or tab), optional header line,
                             columns from ar_load_options.columns or the header's names */
} ar_format;

/* "auto", "tab", "dat", "ml-csv", "csv". */
AR_API const char *ar_format_name(ar_format f);
/* Parses a format name (case-insensitive; "tsv" and "u.data" mean tab, "ratings.dat" dat,
 * "ratings.csv" ml-csv); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_format_parse(const char *name, ar_format *out);

/* What to do with a (user, item) pair that one file (one ratings list) rates more than once. */
typedef enum ar_duplicates {
    AR_DUP_ERROR = 0,     /* AR_ERR_PARSE naming both lines, when the dataset is built */
    AR_DUP_FIRST = 1,     /* the first rating in file order counts, the later ones are dropped */
    AR_DUP_LAST = 2,      /* the last rating in file order counts */
    AR_DUP_MEAN = 3,      /* the mean of the pair's ratings, not rounded (4 and 5 give 4.5), at
                             the first one's place */
} ar_duplicates;
/* "error", "first", "last", "mean". */
AR_API const char *ar_duplicates_name(ar_duplicates d);
/* Parses a name (case-insensitive); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_duplicates_parse(const char *name, ar_duplicates *out);

/* How far a ratings file's load has got, for a display (the library prints nothing). */
typedef struct ar_load_progress {
    const char *name;         /* the file's path (ar_ratings_parse: its name) */
    int pass;                 /* 0: counting the lines (the pass that reads a file from disk),
                                 1: parsing them */
    uint64_t bytes_done;      /* bytes of the file this pass has gone through */
    uint64_t bytes_total;     /* the file's size */
    uint64_t lines_done;      /* lines this pass has gone through */
    double seconds;           /* wall time since the load began */
} ar_load_progress;

/* Called on the loading thread about every 0.1 s while a file is read (the parser's threads do
 * the work), and once more when every line is parsed without an error (pass 1, bytes_done ==
 * bytes_total, lines_done the file's lines). Within a pass the counts only grow. A status other
 * than AR_OK stops the load within a few thousand lines: the load returns that status. */
typedef ar_status (*ar_load_progress_fn)(void *user, const ar_load_progress *p);

typedef struct ar_load_options {
    ar_format format;     /* AR_FORMAT_AUTO (default) detects it from the content */
    const char *columns;  /* CSV only: each column's role, in order, comma-separated: "user",
                             "item", "rating"; any other name ("timestamp", "_") is a column
                             that is read past. NULL (default): from a header line whose names
                             say which is which (userId, movieId, item_id, rating, ...), else
                             "user,item,rating" */
    char delimiter;       /* CSV only: the field separator; 0 (default) detects it */
    int skip_bad;         /* 0 (default): the first malformed line is AR_ERR_PARSE naming
                             file:line. 1: malformed lines are skipped and counted (see
                             ar_ratings_skipped); a file with no good line is still an error */
    float rating_min;     /* ratings outside [rating_min, rating_max] are malformed. NAN */
    float rating_max;     /*   (default): 0.5..5 for the MovieLens formats DAT and ML_CSV,
                             any finite rating (|r| <= 1e9) for TAB and CSV */
    ar_duplicates duplicates; /* a pair the file rates twice: AR_DUP_ERROR (default) leaves it
                             to ar_dataset_create, which refuses it naming both lines; FIRST,
                             LAST and MEAN merge the file's repeats as the file is loaded, before
                             any split (see ar_ratings_merge_duplicates, ar_ratings_merged) */
    ar_load_progress_fn progress; /* NULL (default): none; else called as the file is read */
    void *progress_user;      /* progress's first argument */
} ar_load_options;

/* Fills o with the defaults above. */
AR_API void ar_load_options_default(ar_load_options *o);
/* The role a CSV header name gives its column, as the parser reads a header line: "user",
 * "item", "rating" or "timestamp" (case-insensitive names such as userId, movie_id, stars,
 * ts), NULL for a column it reads past. For programs that hold tables themselves (the Python
 * package's DataFrames), so that their columns are recognised as a file's are. */
AR_API const char *ar_column_role(const char *name);

/* Reads a ratings file (see ar_format): a regular file only, as ar_read_file (a FIFO, device
 * or directory is AR_ERR_IO, refused before reading). Ids are integers in 0..2^31-1; ratings
 * are decimal numbers, 0 or normal floats (a nonzero rating below FLT_MIN is out of range).
 * A UTF-8 byte-order mark, CRLF line ends, blank lines and RFC 4180 quotes (CSV) are accepted;
 * anything else malformed (missing, extra or empty fields, non-numbers, negative or huge ids,
 * out-of-range or NaN ratings, NUL bytes) is AR_ERR_PARSE naming file:line, or is skipped when
 * o->skip_bad is set. Tab files: two tabs in a row enclose an empty field.
 * o may be NULL (defaults). Repeated (user, item) pairs are merged as o->duplicates says, or
 * by default found by ar_dataset_create. */
AR_API ar_status ar_ratings_load_ex(const char *path, const ar_load_options *o,
                                    ar_ratings **out);
/* ar_ratings_load_ex with the default options. */
AR_API ar_status ar_ratings_load(const char *path, ar_ratings **out);
/* Parses len bytes of ratings text held in memory; name is used in messages. */
AR_API ar_status ar_ratings_parse(const char *buf, size_t len, const char *name,
                                  const ar_load_options *o, ar_ratings **out);
/* The format the ratings were read in (AR_FORMAT_AUTO for ratings built from arrays). */
AR_API ar_format ar_ratings_format(const ar_ratings *r);
/* Malformed lines skipped with skip_bad; *first (may be NULL) gets the first one's message. */
AR_API size_t ar_ratings_skipped(const ar_ratings *r, const char **first);
/* Repeated (user, item) pairs merged into one rating each (ar_load_options.duplicates); *first
 * (may be NULL) gets the first repeat's message, "FILE:LINE: user U item I, first at line L". */
AR_API size_t ar_ratings_merged(const ar_ratings *r, const char **first);
/* Merges the pairs r rates more than once into one rating each, as how says, keeping the list's
 * order (what loading does for AR_DUP_FIRST, LAST and MEAN; for lists built from arrays).
 * "First" and "last" are in the list's order, a file's line order. AR_DUP_ERROR: a repeated
 * pair is AR_ERR_PARSE naming both lines and r is left as it was. */
AR_API ar_status ar_ratings_merge_duplicates(ar_ratings *r, ar_duplicates how);
AR_API size_t ar_ratings_count(const ar_ratings *r);
/* Reads triple i (raw ids). */
AR_API void ar_ratings_get(const ar_ratings *r, size_t i, int64_t *user, int64_t *item,
                           float *rating);
/* Builds ratings from arrays (copied). Used by tests and synthetic data. */
AR_API ar_status ar_ratings_from_arrays(const int64_t *users, const int64_t *items,
                                        const float *ratings, size_t n, ar_ratings **out);
/* Splits at random: each rating goes to test with probability test_ratio, decided by a
 * generator seeded with seed, so the same seed gives the same split. When the draw leaves one
 * part empty, one rating drawn by the same generator moves to it, so any two or more ratings
 * split (fewer fail with AR_ERR_INVALID_ARG). The training part keeps
 * all's skipped lines (ar_ratings_skipped) and merged pairs (ar_ratings_merged), the test part
 * has none: the two add up to all's. */
AR_API ar_status ar_ratings_split(const ar_ratings *all, double test_ratio, uint64_t seed,
                                  ar_ratings **train, ar_ratings **test);
AR_API void ar_ratings_free(ar_ratings *r);

/* Finds the ratings file in a MovieLens-style directory: u.data, ratings.dat or ratings.csv,
 * in dir or in its only subdirectory that has one (a zip extracted as is). AR_ERR_IO names
 * the files looked for when there is none. */
AR_API ar_status ar_ratings_find(const char *dir, char *path, size_t path_len);

/* Item titles, for display: item id -> UTF-8 title. */
typedef struct ar_titles ar_titles;
/* Reads u.item ("id|title|..."), movies.dat ("id::title::genres") or movies.csv (header
 * "movieId,title,genres", quoted titles), detected from the content. Latin-1 text (u.item)
 * is converted to UTF-8. Malformed lines are AR_ERR_PARSE naming file:line. */
AR_API ar_status ar_titles_load(const char *path, ar_titles **out);
/* Parses len bytes of a titles file held in memory; name is used in messages. */
AR_API ar_status ar_titles_parse(const char *buf, size_t len, const char *name, ar_titles **out);
/* Finds u.item, movies.dat or movies.csv next to a ratings file (in the same directory);
 * returns 0 when there is none. */
AR_API int ar_titles_find(const char *ratings_path, char *path, size_t path_len);
AR_API size_t ar_titles_count(const ar_titles *t);
/* The title of item id, or NULL when the file has none. */
AR_API const char *ar_titles_get(const ar_titles *t, int64_t item);
AR_API void ar_titles_free(ar_titles *t);

/* ---- MovieLens downloads (fetch.c) ---------------------------------------------------------- */
typedef struct ar_movielens_info {
    const char *name;         /* "ml-100k", "ml-1m", "ml-10m", "ml-latest-small" */
    const char *zip;          /* file name of the GroupLens zip, e.g. "ml-1m.zip" */
    const char *ratings_file; /* ratings file inside the dataset, e.g. "ratings.dat" */
    float rating_min;         /* the dataset's rating scale */
    float rating_max;
    size_t n_ratings;         /* ratings in the file, for a sanity check */
} ar_movielens_info;

/* The table entry for a dataset name (case-insensitive), NULL when unknown. */
AR_API const ar_movielens_info *ar_movielens_find(const char *name);
/* Finds dataset `name` and writes the directory holding its files to dir: first
 * $AUTOREC_DATA (the dataset directory itself, or a directory holding <name>/), then the
 * cache ($XDG_CACHE_HOME/autorec/<name>, else ~/.cache/autorec/<name>); when absent and
 * download is set, downloads the GroupLens zip from $AUTOREC_MIRROR (default
 * https://files.grouplens.org/datasets/movielens), checks its pinned checksum, extracts it
 * and moves it into the cache as one rename. A failed or interrupted download leaves nothing
 * in the cache; the error says what happened and where the files can be put by hand. */
AR_API ar_status ar_movielens_locate(const char *name, int download, char *dir, size_t dir_len);

/* ---- synthetic data (synth.c) --------------------------------------------------------------- */
typedef struct ar_synth_config {
    int64_t users;            /* users (ids 1..users) */
    int64_t items;            /* items (ids 1..items) */
    int64_t ratings;          /* distinct (user, item) ratings to draw, at most users*items/2 */
    uint64_t seed;            /* the same seed, the same file (default 1) */
    int rank;                 /* rank of the latent low-rank model (default 10) */
    float noise;              /* standard deviation of the rating noise (default 0.5) */
    float popularity_skew;    /* Zipf exponent of item popularity and user activity (default 1.0;
                                 0 = uniform) */
    float rating_min;         /* the rating scale, rating_min..rating_max by rating_step (default */
    float rating_max;         /*   1..5 by 1; 0.5..5 by 0.5 gives half stars): the model's 1..5 */
    float rating_step;        /*   is mapped linearly onto it; at most 100 steps */
    float mnar;               /* missing not at random: a drawn pair is kept with probability
                                 sigmoid(mnar x (expected rating - 3.5)) on the 1..5 model
                                 scale, 0..10 (default 0: which pairs are rated is independent
                                 of their ratings) */
} ar_synth_config;
AR_API void ar_synth_config_default(ar_synth_config *c);
/* Writes a u.data-style file ("user\titem\trating\ttimestamp", ratings on c's scale) drawn
 * from the model, as an ar_output (see "Output files"): a failure leaves path as it was. */
AR_API ar_status ar_synth_write(const ar_synth_config *c, const char *path);
/* The same ratings as ar_synth_write, in memory (no source file or lines to name):
 * benchmarks at any scale without a file. */
AR_API ar_status ar_synth_ratings(const ar_synth_config *c, ar_ratings **out);

/* A training set ready for the device: ids remapped to dense indices (from the training ratings
 * only), CSR by row (item or user), and the held-out ratings split into those the model can
 * score and those whose user or item has no training rating (predicted with the default). */
typedef struct ar_dataset ar_dataset;

/* test may be NULL. A duplicate (user, item) pair within train or within test (one list: its
 * message suggests ar_load_options.duplicates), or a test pair that is also a training pair (a
 * leak, whatever ar_load_options.duplicates says), is AR_ERR_PARSE naming both lines. */
AR_API ar_status ar_dataset_create(const ar_ratings *train, const ar_ratings *test,
                                   ar_dataset **out);
/* What a model input (a row of the rating matrix) is. */
typedef enum ar_rows {
    AR_ROWS_ITEMS = 0,        /* I-AutoRec: each input is an item's ratings by all users */
    AR_ROWS_USERS = 1,        /* U-AutoRec: each input is a user's ratings of all items */
} ar_rows;

/* As ar_dataset_create, with a validation set (may be NULL) scored like the test set, for
 * early stopping and model selection (so that the test set chooses nothing), and the row kind:
 * a model trained on the dataset is I-AutoRec (AR_ROWS_ITEMS) or U-AutoRec (AR_ROWS_USERS).
 * A pair in both held-out sets is AR_ERR_PARSE too. */
AR_API ar_status ar_dataset_create_ex(const ar_ratings *train, const ar_ratings *valid,
                                      const ar_ratings *test, ar_rows rows, ar_dataset **out);
AR_API void ar_dataset_free(ar_dataset *ds);

typedef struct ar_dataset_stats {
    ar_rows rows_are;         /* what the rows (model inputs) are */
    int n_users;              /* users with a training rating */
    int n_items;              /* items with a training rating */
    size_t n_train;           /* training ratings */
    size_t n_test;            /* test ratings, all of them */
    size_t n_test_cold;       /* test ratings whose user or item has no training rating */
    size_t n_valid;           /* validation ratings, all of them (0 without a validation set) */
    size_t n_valid_cold;      /* validation ratings whose user or item has no training rating */
    float rating_min;         /* smallest training rating */
    float rating_max;         /* largest training rating */
    double train_mean;        /* mean training rating */
} ar_dataset_stats;
AR_API void ar_dataset_get_stats(const ar_dataset *ds, ar_dataset_stats *out);

/* RMSE of predicting the global training mean for every test rating, cold ones included (the
 * first baseline autorec reported; ar_dataset_baselines scores the mean by the evaluation
 * protocol instead). */
AR_API double ar_dataset_mean_baseline_rmse(const ar_dataset *ds);

/* The errors of one set of ratings under the evaluation protocol: predictions clamped to the
 * rating scale, a pair whose user or item has no training rating predicted as the default. */
typedef struct ar_errors {
    double rmse;              /* root mean squared error (NaN when n is 0) */
    double mae;               /* mean absolute error (NaN when n is 0) */
    size_t n;                 /* ratings scored, the cold ones included */
} ar_errors;

/* A predictor's errors on the training, validation and test ratings of a dataset. */
typedef struct ar_metrics {
    ar_errors train, valid, test;  /* valid: n 0 and NaN without a validation set */
} ar_metrics;

/* Baselines without a network, fitted on the training ratings on the host:
 *   mean:  r_ui ~ mu, the global training mean;
 *   bias:  r_ui ~ mu + b_u + b_i, minimising sum (r_ui - mu - b_u - b_i)^2 + reg_user sum b_u^2
 *          + reg_item sum b_i^2 by alternating least squares: a sweep sets every b_i =
 *          sum over i's ratings of (r_ui - mu - b_u) / (reg_item + |R(i)|), then every b_u =
 *          sum over u's ratings of (r_ui - mu - b_i) / (reg_user + |R(u)|), from b_u = 0 (one
 *          sweep is Koren's baseline estimate, KDD 2008 / TKDD 2010). */
typedef struct ar_baseline_config {
    float reg_item;           /* L2 on the item biases (default 3: docs/guide.md#baselines) */
    float reg_user;           /* L2 on the user biases (default 7) */
    int sweeps;               /* alternating sweeps, 1..1000 (default 20) */
    float rating_min;         /* the scale predictions are clamped to and the default for cold */
    float rating_max;         /*   pairs, as in ar_train_config: NAN (default) takes the */
    float default_rating;     /*   training ratings' min / max and the middle of the scale */
} ar_baseline_config;
AR_API void ar_baseline_config_default(ar_baseline_config *c);

typedef struct ar_baselines {
    ar_metrics mean;          /* the global mean */
    ar_metrics bias;          /* the user + item bias model */
} ar_baselines;

/* Fits the baselines on ds's training ratings and scores them on its training, validation and
 * test ratings by the model's protocol (clamped; cold pairs get the default rating, so the
 * baselines and a model on the same scale are scored on exactly the same terms). cfg may be
 * NULL (defaults); a bad setting is AR_ERR_INVALID_ARG naming it (ar_baseline_config.reg_item).
 * Pass a model's scale (ar_model_rating_scale) to score the baselines as that model is. */
AR_API ar_status ar_dataset_baselines(const ar_dataset *ds, const ar_baseline_config *cfg,
                                      ar_baselines *out);

/* ---------------------------------------------------------------------------------------------
 * Model and training
 * ------------------------------------------------------------------------------------------- */
typedef enum ar_activation {
    AR_ACT_IDENTITY = 0,
    AR_ACT_SIGMOID = 1,
    AR_ACT_RELU = 2,
    AR_ACT_TANH = 3,
    AR_ACT_ELU = 4,   /* x > 0 ? x : exp(x) - 1 */
    AR_ACT_SELU = 5,  /* lambda (x > 0 ? x : alpha (exp(x) - 1)), Klambauer et al. 2017 */
} ar_activation;

/* "identity", "sigmoid", "relu", "tanh", "elu", "selu". */
AR_API const char *ar_activation_name(ar_activation a);
/* Parses a name (case-insensitive); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_activation_parse(const char *name, ar_activation *out);

#define AR_MAX_HIDDEN_LAYERS 8

/* How the first and last layers are computed (issue: sparse-aware layers). */
typedef enum ar_kernel_path {
    AR_KERNELS_AUTO = 0,      /* sparse when the training matrix is at most AR_SPARSE_MAX_DENSITY
                                 dense (every MovieLens release), else dense */
    AR_KERNELS_DENSE = 1,     /* densify each batch and run CLBlast GEMMs over every entry */
    AR_KERNELS_SPARSE = 2     /* only the observed ratings: the first layer as sparse x dense, the
                                 decoder's outputs only at observed positions (cl/sparse.cl) */
} ar_kernel_path;
/* AR_KERNELS_AUTO picks the sparse path up to this density (observed / rows x columns). The
 * sparse path does 2 nnz H multiply-adds per product where the dense one does 2 rows cols H; it
 * also reads weights row by row instead of in GEMM tiles, so it is chosen well before 1. */
#define AR_SPARSE_MAX_DENSITY 0.25
AR_API const char *ar_kernel_path_name(ar_kernel_path k); /* "auto", "dense", "sparse" */
AR_API ar_status ar_kernel_path_parse(const char *name, ar_kernel_path *out);

/* Input dropout's two forms. Both zero the dropped ratings; they differ in the kept ones. */
typedef enum ar_input_noise {
    AR_NOISE_MASK = 0,        /* masking noise (denoising autoencoders, Vincent et al. 2008): kept
                                 ratings unchanged, so training inputs look like evaluation
                                 inputs with fewer ratings (lower validation RMSE on ML-100K:
                                 docs/experiments.md) */
    AR_NOISE_INVERTED = 1     /* inverted dropout: kept ratings scaled by 1/(1-p), keeping the
                                 input's expected value (what model files of format 2 used) */
} ar_input_noise;
/* "mask", "inverted". */
AR_API const char *ar_input_noise_name(ar_input_noise n);
/* Parses a name (case-insensitive); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_input_noise_parse(const char *name, ar_input_noise *out);

/* What the network is trained to predict, relative to the bias baseline b(u, i) = mu + b_u +
 * b_i (the global training mean plus regularised user and item biases, fitted on the training
 * ratings on the host when the model is created and stored in its model file). Plain AutoRec
 * represents item and user biases poorly on some data; the baseline carries them. */
typedef enum ar_center {
    AR_CENTER_NONE = 0,       /* the paper's model: input and target are the ratings */
    AR_CENTER_BIAS = 1,       /* input: the ratings (who rated is kept); prediction b(u, i) +
                                 output, so the network learns the residual r - b(u, i)
                                 (better than NONE on validation on every shape of
                                 docs/experiments.md#centering-on-the-bias-baseline) */
    AR_CENTER_INPUT = 2,      /* input and target are both the residuals r - b(u, i) (0 where
                                 unobserved); prediction b(u, i) + output */
    AR_CENTER_AUTO = 3        /* (default) ar_model_train trains BIAS, then INPUT from the same
                                 initial state, and keeps the one of lower validation RMSE (twice
                                 the epochs; BIAS alone without a validation set): BIAS wins on
                                 MovieLens, where who rated carries information, INPUT where
                                 it does not (docs/experiments.md#defaults-across-dataset-shapes).
                                 A model created with it is BIAS until trained; a model file
                                 holds the mode kept */
} ar_center;
/* "none", "bias", "input", "auto". */
AR_API const char *ar_center_name(ar_center c);
/* Parses a name (case-insensitive); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_center_parse(const char *name, ar_center *out);

typedef struct ar_train_config {
    int hidden;                  /* hidden units H of a one-hidden-layer net (default 500) */
    int n_layers;                /* deeper nets: n_layers > 0 hidden layers of widths layers[]
                                    (e.g. 3: 500, 250, 500), overriding `hidden`; 0 (default):
                                    one hidden layer of `hidden` units */
    int layers[AR_MAX_HIDDEN_LAYERS];
    int epochs;                  /* the most epochs to train: a budget (default 500); with a
                                    validation set, ar_model_train's stop rule (patience)
                                    usually ends the run well before it */
    int batch;                   /* items per mini-batch B (default 256) */
    float lr;                    /* Adam learning rate of the first epoch (default 3e-3) */
    float lr_decay;              /* the learning rate is multiplied by this after every epoch,
                                    in (0, 1] (default 0.98; 1 = constant) */
    float l2;                    /* L2 coefficient on W and V, added to the gradient as l2*w;
                                    the data term is the mean squared error of the batch's
                                    observed ratings (default 1e-3) */
    float dropout;               /* probability of dropping a unit after every hidden layer,
                                    inverted dropout, in [0, 1) (default 0.6) */
    float input_dropout;         /* probability of dropping an input rating (denoising
                                    AutoRec); the loss still counts every observed rating
                                    (default 0.2) */
    ar_input_noise input_noise;  /* what input dropout does to the ratings it keeps (default
                                    AR_NOISE_MASK: leaves them as they are) */
    ar_activation activation;    /* activation g of every hidden layer (default sigmoid) */
    ar_activation out_activation;/* decoder activation f (default identity) */
    uint64_t seed;               /* seeds weights, batch order and dropout masks (default 1) */
    float beta1;                 /* Adam beta1 (default 0.9) */
    float beta2;                 /* Adam beta2 (default 0.999) */
    float eps;                   /* Adam epsilon (default 1e-8) */
    float rating_min;            /* predictions are clamped to [rating_min, rating_max] when */
    float rating_max;            /*   scored; NAN (default): the training ratings' min / max */
    float default_rating;        /* prediction for a test rating whose user or item has no
                                    training rating; NAN (default): the middle of the scale,
                                    (rating_min + rating_max) / 2, i.e. 3 on MovieLens' 1..5 */
    ar_kernel_path kernels;      /* dense, sparse or auto (default; see ar_kernel_path) */
    ar_center center;            /* the network alone or on top of the bias baseline (default
                                    AR_CENTER_AUTO; see ar_center) */
    int patience;                /* ar_model_train with a validation set: stop when the
                                    validation RMSE has not improved (by min_improvement) for
                                    this many epochs; 0: train all `epochs` (default 20). Not
                                    part of the model: model files do not store it (nor
                                    min_improvement) */
    float min_improvement;       /* for the patience rule only: an epoch counts as an
                                    improvement when it lowers the validation RMSE by more than
                                    this fraction of the lowest before, in [0, 1) (default
                                    1e-4; 0: any lower RMSE). A run whose RMSE still creeps
                                    down by less has converged. The epoch kept is the lowest
                                    either way */
    int baseline_fallback;       /* ar_model_train with a validation set and a centered model
                                    (center != AR_CENTER_NONE, an output activation with f(0)
                                    = 0): 1 (default) makes the bias baseline alone a
                                    candidate too, kept (ar_model_keep_baseline) when no epoch
                                    beats it on validation, so the model is never worse there
                                    than the baseline it is built on; 0: the best epoch
                                    whatever it scores. Not stored in model files */
    int try_lighter;             /* ar_model_train with a validation set, from epoch 0: 1
                                    (default) trains one more run after center's (both runs
                                    with AR_CENTER_AUTO), of the centering kept, from the same
                                    initial state, with lighter regularisation (l2 / 10,
                                    dropout / 2), and keeps it when its validation RMSE is
                                    lower: the defaults suit MovieLens-like data, and overfit
                                    less than they underfit where ratings are less noisy
                                    (docs/experiments.md#defaults-across-dataset-shapes). The
                                    model then holds the l2 and dropout it was trained with
                                    (ar_model_config), as its file does. 0: l2 and dropout as
                                    given. Not stored in model files */
    int try_tanh;                /* ar_model_train with a validation set, from epoch 0, and an
                                    encoder activation other than AR_ACT_TANH: 1 (default)
                                    trains one more run after those above, of the centering
                                    kept, from the same initial state, with a tanh encoder at
                                    lr / 5, and keeps it when its validation RMSE is lowest:
                                    where the ratings' level is removed (centering) and few
                                    ratings per row carry little noise, a zero-centred encoder
                                    fits better (docs/experiments.md, round 5). The model then
                                    holds that activation and lr (ar_model_config), as its file
                                    does. 0: activation and lr as given. Not stored in model
                                    files */
} ar_train_config;

/* Fills cfg with the documented defaults. */
AR_API void ar_train_config_default(ar_train_config *cfg);
/* Checks every field; AR_ERR_INVALID_ARG names the first bad one. */
AR_API ar_status ar_train_config_validate(const ar_train_config *cfg);

typedef struct ar_model ar_model;

/* Where a training epoch's time goes, from OpenCL profiling events (see ar_ctx_options). */
typedef enum ar_phase {
    AR_PHASE_GEMM,            /* CLBlast SGEMMs: every dense layer, forward and backward */
    AR_PHASE_SPMM,            /* sparse path: CSR batch x weights (first layer forward, gradient
                                 at the last hidden layer) */
    AR_PHASE_SDDMM,           /* sparse path: decoder outputs at the observed positions only */
    AR_PHASE_SPARSE_WGRAD,    /* sparse path: first / last layer weight gradients (batch CSC),
                                 with their Adam step while training (fused) */
    AR_PHASE_ACTIVATION,      /* bias + activation forward, activation derivative */
    AR_PHASE_DROPOUT,         /* dropout masks (hidden layers and the denoising input) */
    AR_PHASE_DENSIFY,         /* CSR batch -> dense (B, U) input */
    AR_PHASE_LOSS,            /* masked loss and its gradient at the observed ratings */
    AR_PHASE_BIAS_GRAD,       /* bias gradients: column sums of the layer gradients */
    AR_PHASE_ADAM,            /* the Adam update of all parameters */
    AR_PHASE_FILL,            /* clearing buffers (clEnqueueFillBuffer) */
    AR_PHASE_TRANSFER,        /* host <-> device copies (batch order, the epoch's loss read) */
    AR_PHASE_HOST,            /* the rest of the epoch's wall time: host work and launch
                                 overhead while the device had nothing queued */
    AR_PHASE_COUNT
} ar_phase;
/* A phase's short name, e.g. "gemm", "bias_grad", "host" (used as JSON keys). */
AR_API const char *ar_phase_name(ar_phase p);

typedef struct ar_epoch_stats {
    int epoch;                /* 1-based epoch just finished */
    double loss;              /* mean over the epoch's batches of the training loss (masked MSE
                                 with dropout, without the L2 term) */
    double train_rmse;        /* RMSE on the observed training ratings, no dropout, clamped */
    double valid_rmse;        /* validation RMSE, same protocol (NaN without a validation set) */
    double test_rmse;         /* test RMSE by the AutoRec protocol (NaN when there is no test set) */
    double epoch_seconds;     /* wall time of this epoch's training (evaluation excluded) */
    double eval_seconds;      /* wall time of this epoch's evaluation */
    double phase_seconds[AR_PHASE_COUNT]; /* with profiling: epoch_seconds split by phase (device
                                 time of each phase's commands; AR_PHASE_HOST the remainder); all
                                 0 without profiling, all NaN when the driver gives no
                                 timestamps */
    double train_mae;         /* mean absolute errors, the same protocol as the RMSEs above */
    double valid_mae;         /*   (NaN without a validation set) */
    double test_mae;          /*   (NaN without a test set) */
} ar_epoch_stats;

/* AutoRec on ds: inputs are the dataset's rows, items' rating vectors over users (I-AutoRec) or
 * users' over items (U-AutoRec), see ar_dataset_create_ex. The dataset must outlive the
 * model. Device memory is allocated here; AR_ERR_OUT_OF_MEMORY if it does not fit. */
AR_API ar_status ar_model_create(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                                 ar_model **out);
AR_API void ar_model_free(ar_model *m);
/* Trains one epoch (shuffled mini-batches), then evaluates; fills stats (may be NULL). */
AR_API ar_status ar_model_train_epoch(ar_model *m, ar_epoch_stats *stats);
/* Why ar_model_train stopped. */
typedef enum ar_stop_reason {
    AR_STOP_EPOCHS = 0,       /* ar_train_config.epochs are trained (the budget is spent) */
    AR_STOP_PATIENCE = 1,     /* the validation RMSE had not gone lower for
                                 ar_train_config.patience epochs (the model overfits) */
    AR_STOP_CONVERGED = 2,    /* it had gone lower in those epochs, but by less than
                                 ar_train_config.min_improvement (it creeps down: converged) */
} ar_stop_reason;
/* "epochs", "patience", "converged". */
AR_API const char *ar_stop_reason_name(ar_stop_reason r);

/* What a training run did and which epoch it kept. */
typedef struct ar_train_result {
    ar_stop_reason stop;      /* why it stopped */
    int epochs_run;           /* epochs this call trained */
    int last_epoch;           /* the model's epoch count when training ended (before the
                                 restore) */
    int selected_epoch;       /* the epoch whose state the model holds at the end: with a
                                 validation set the one of the lowest validation RMSE (the
                                 earliest of equals), else the last. AR_STOP_PATIENCE: exactly
                                 patience epochs before the last. 0 when baseline_kept */
    ar_epoch_stats selected;  /* that epoch's statistics (for a resumed model's starting state:
                                 its evaluation, loss NaN and times 0) */
    ar_epoch_stats last;      /* the last epoch's statistics (zeros when none ran) */
    int baseline_kept;        /* 1: no epoch beat the bias baseline on validation and the model
                                 was set to predict the baseline alone (baseline_fallback,
                                 ar_model_keep_baseline); `selected` then holds its evaluation
                                 (loss NaN) and selected_epoch is 0 */
    int network_epoch;        /* the epoch of the lowest validation RMSE among those trained
                                 (== selected_epoch unless baseline_kept) */
    double network_valid_rmse;/* its validation RMSE (NaN without a validation set) */
    ar_center center;         /* the centering trained (in an epoch callback: being trained);
                                 with AR_CENTER_AUTO the one kept, BIAS or INPUT */
    double auto_valid_rmse[2];/* AR_CENTER_AUTO: the lowest validation RMSE of the BIAS run and
                                 of the INPUT run (NaN: not trained) */
    int auto_epoch[2];        /*   and the epochs that reached them; auto_epochs_run[k] the
                                 epochs each ran (epochs_run is their sum) */
    int auto_epochs_run[2];
    int lighter;              /* try_lighter: 1 for the lighter run (in an epoch callback: being
                                 trained; at the end: kept, and the model's l2 and dropout are
                                 its) */
    double given_valid_rmse;  /* try_lighter or try_tanh: the lowest validation RMSE with the
                                 settings as given (with AR_CENTER_AUTO, of the centering kept) */
    double lighter_valid_rmse;/*   and of the lighter run (NaN: not trained) */
    int lighter_epoch;        /*   the epoch that reached it, and the epochs the lighter run
                                 ran (counted in epochs_run) */
    int lighter_epochs_run;
    int tanh_run;             /* try_tanh: 1 for the tanh run (in an epoch callback: being
                                 trained; at the end: kept, and the model's activation and lr
                                 are its) */
    double tanh_valid_rmse;   /*   the tanh run's lowest validation RMSE (NaN: not trained) */
    int tanh_epoch;           /*   the epoch that reached it, and the epochs the tanh run ran
                                 (counted in epochs_run) */
    int tanh_epochs_run;
} ar_train_result;

/* Called after every epoch of ar_model_train with its statistics and the run so far (r->last is
 * s; r->selected_epoch == s->epoch when this epoch became the selected one). A status other than
 * AR_OK ends the run: ar_model_train returns it. */
typedef ar_status (*ar_epoch_callback)(void *user, const ar_epoch_stats *s,
                                       const ar_train_result *r);

/* A validation-driven training run: epochs (ar_model_train_epoch) from ar_model_epochs_done up to
 * ar_train_config.epochs. With a validation set (ar_dataset_create_ex), each epoch that lowers
 * the validation RMSE becomes the selected one and the model's state (weights, Adam moments,
 * counters) is copied to host memory; the run stops after ar_train_config.patience epochs
 * without a lower one by more than ar_train_config.min_improvement (0: never early), and the model is then put back in the selected
 * epoch's state, so that ar_model_predict, ar_model_evaluate and ar_model_save use it and
 * ar_model_epochs_done is that epoch (a saved model resumes from there). A model resumed from a
 * checkpoint counts its starting state as a candidate. Without a validation set: every epoch,
 * the last state kept. cb (may be NULL) sees every epoch; out (may be NULL) gets the result. On
 * an error (an epoch's, or cb's) the model is left as the last epoch left it. */
AR_API ar_status ar_model_train(ar_model *m, ar_epoch_callback cb, void *user,
                                ar_train_result *out);
/* Asks a training run of m to stop before its next mini-batch; safe to call from another thread
 * (or a signal handler) while ar_model_train or ar_model_train_epoch runs. The epoch then ends
 * with AR_ERR_INTERRUPTED, and ar_model_train puts the model back in its selected epoch's
 * state as at a normal end (with a validation set and an epoch done); otherwise the model keeps
 * the interrupted epoch's updates, which ar_model_epochs_done does not count. One request stops
 * one epoch; ar_model_train drops a request made before it starts. */
AR_API void ar_model_interrupt(ar_model *m);
/* Makes a centered model predict the bias baseline alone: its last layer's weights and biases,
 * and their Adam moments, are set to zero, so the network adds nothing to b(u, i). What
 * ar_model_train does when no epoch beats the baseline on validation (baseline_fallback);
 * --refit does it to the refit model. AR_ERR_INVALID_ARG for a model with center
 * AR_CENTER_NONE or an output activation whose f(0) is not 0 (sigmoid). */
AR_API ar_status ar_model_keep_baseline(ar_model *m);
/* ---- a model sharded across devices ----------------------------------------------------------
 * The columns (users for I-AutoRec) split into contiguous ranges, one per shard, each shard on
 * its own context (several may share a device): a shard holds its columns' rows of the first
 * and last layers and its columns' ratings; the hidden layers are replicated. One host thread
 * per shard runs the training step; per batch the shards sum two (batch, hidden) arrays, so the
 * traffic does not grow with the number of columns (docs/scaling.md). The sparse kernels only.
 * With the same seed it trains the same model as ar_model_train on one device, to float
 * rounding (the sums are reordered). */
typedef struct ar_sharded ar_sharded;
struct ar_checkpoint;             /* a model file read (below) */
#define AR_MAX_SHARDS 16          /* shards of one sharded model, at most */
/* n_shards contexts (1..16, borrowed: they outlive the model); weights (n_shards, > 0; NULL:
 * equal) the shares of the training ratings each shard's columns should hold; cfg as for
 * ar_model_create (kernels auto or sparse). */
AR_API ar_status ar_sharded_create(ar_ctx *const *ctxs, int n_shards, const double *weights,
                                   const ar_dataset *ds, const ar_train_config *cfg,
                                   ar_sharded **out);
/* The same from a model file (ar_checkpoint_read; the checks of ar_model_create_from): its
 * weights, Adam moments, counters and baseline scattered onto the shards, so that training
 * continues as it would on one device. */
AR_API ar_status ar_sharded_create_from(ar_ctx *const *ctxs, int n_shards,
                                        const double *weights, const ar_dataset *ds,
                                        const struct ar_checkpoint *ck,
                                        const ar_train_config *cfg,
                                        ar_sharded **out);
/* ar_model_train on every shard at once (cb, if any, is called from shard 0's thread). A shard's
 * failure stops the others (AR_ERR_PEER there); the error returned is the first shard's own. */
AR_API ar_status ar_sharded_train(ar_sharded *g, ar_epoch_callback cb, void *user,
                                  ar_train_result *out);
/* The whole model on ctx, in the sharded model's state (weights, Adam moments, counters,
 * baseline): an ordinary model, to save, evaluate or predict with. */
AR_API ar_status ar_sharded_gather(ar_sharded *g, ar_ctx *ctx, ar_model **out);
/* Writes the whole model's file (ar_model_save's format: it loads on one device) piece by piece
 * from the shards, so that the whole model is never held in one place. With MPI collective:
 * rank 0 writes path, the others send it their pieces (their path is not used). */
AR_API ar_status ar_sharded_save(ar_sharded *g, const char *path);
typedef struct ar_shard_stats { /* of a shard of another process (MPI): the columns only */
    int first_col, n_cols;    /* the columns it owns: first_col .. first_col + n_cols - 1 */
    size_t n_train;           /* training ratings in them */
    size_t device_bytes;      /* device memory its buffers hold */
    double reduce_seconds;    /* in sums with the other shards, waiting included, so far */
    size_t reduce_bytes;      /* bytes of its partials summed so far */
    long reduce_calls;
    size_t ratings_loaded;    /* training ratings its process holds: all of them, or (MPI, a
                                 dataset's share) its own columns' */
} ar_shard_stats;
AR_API int ar_sharded_count(const ar_sharded *g);
/* Forgets the whole dataset given to ar_sharded_create*, which the caller may then free: each
 * shard keeps its own column slice, so a process keeps only its columns' ratings. Only the
 * process that writes the model file (ar_sharded_save: rank 0) and gathers it needs the whole
 * dataset; there they fail with AR_ERR_INVALID_ARG after this. A share (ar_dataset_create_share)
 * is released on every rank alike: the model keeps its ids and counts, and ar_sharded_save
 * still writes the file (the ratings gathered from the slices); the baselines need it. */
AR_API void ar_sharded_release_data(ar_sharded *g);
/* Shard s's own model (its columns only; owned by g): its settings, rating scale, kernels;
 * NULL for a shard of another process (MPI). */
AR_API ar_model *ar_sharded_model(ar_sharded *g, int shard);
/* The first shard of this process (0 in process; the rank with MPI), and how many it runs. */
AR_API int ar_sharded_first_local(const ar_sharded *g, int *n_local);
AR_API void ar_sharded_shard_stats(const ar_sharded *g, int shard, ar_shard_stats *out);
/* ar_dataset_baselines of the dataset the model was created on; when that is this process's
 * share (MPI), every rank calls it and the errors are summed across them: the same figures. */
AR_API ar_status ar_sharded_baselines(ar_sharded *g, const ar_baseline_config *cfg,
                                      ar_baselines *out);
AR_API void ar_sharded_free(ar_sharded *g);

/* ---- a model sharded across processes: MPI ---------------------------------------------------
 * One shard per MPI rank (mpirun -np N), the same training step, the sums by MPI_Allreduce. The
 * library is built with MPI when CMake finds it (ar_mpi_built); without it, ar_mpi_start finds
 * one process and ar_sharded_create_mpi fails. */
AR_API int ar_mpi_built(void);
/* Starts MPI when the process was launched by mpirun (MPI_Init_thread), and says where it is:
 * rank of size, and local_rank among the ranks on this machine (to pick a device); 0 of 1
 * otherwise. */
AR_API ar_status ar_mpi_start(int *argc, char ***argv, int *rank, int *size, int *local_rank);
/* MPI_Finalize, if MPI was started. */
AR_API void ar_mpi_stop(void);
/* MPI_Abort(code) of every rank, if MPI was started (a rank that cannot go on: the others
 * would wait for it in a collective forever); nothing otherwise. */
AR_API void ar_mpi_abort(int code);
/* v[0..n) summed over the ranks, in place (nothing without MPI started). */
AR_API ar_status ar_mpi_allsum(double *v, int n);
/* This rank's shard of a model sharded over every rank (collective: every rank calls it with
 * the same dataset, settings and weights (size entries or NULL), and ck or NULL alike); ctx
 * is this rank's device. ar_sharded_train then trains this shard in step with the others;
 * ar_sharded_gather is collective too: rank 0 gets the whole model, the others NULL. A rank
 * that fails aborts the job (MPI_Abort) after saying why on stderr. */
AR_API ar_status ar_sharded_create_mpi(ar_ctx *ctx, const double *weights, const ar_dataset *ds,
                                       const ar_train_config *cfg,
                                       const struct ar_checkpoint *ck, ar_sharded **out);
/* This rank's share of the dataset ar_dataset_create_ex(train, valid, test, rows) would build,
 * for shard `shard` of n (weights: n numbers > 0, NULL: equal): every row and column and the
 * whole dataset's counts, scale and mean, but only the ratings of the shard's columns (split as
 * ar_sharded_create_* splits them) and, on shard 0, the cold pairs. Given to
 * ar_sharded_create_mpi (ck NULL) with the same weights, each rank holds only its columns'
 * ratings; ar_sharded_save gathers the training ratings into the model file from the ranks.
 * Its statistics (ar_dataset_get_stats) and the baselines (ar_sharded_baselines) are the
 * whole dataset's; ar_dataset_baselines refuses a share, ar_dataset_mean_baseline_rmse is NaN. */
AR_API ar_status ar_dataset_create_share(const ar_ratings *train, const ar_ratings *valid,
                                         const ar_ratings *test, ar_rows rows, int n,
                                         const double *weights, int shard, ar_dataset **out);

/* The path the model runs: AR_KERNELS_DENSE or AR_KERNELS_SPARSE (auto resolved). */
AR_API ar_kernel_path ar_model_kernels(const ar_model *m);
/* Evaluates the current weights: RMSE on training ratings and on the test set. An output that
 * is not finite (weights that overflow float) is AR_ERR_DIVERGED, not a clamped number. */
AR_API ar_status ar_model_evaluate(ar_model *m, double *train_rmse, double *test_rmse);
/* The same with the validation RMSE too (NaN without a validation set); pointers may be NULL. */
AR_API ar_status ar_model_evaluate_ex(ar_model *m, double *train_rmse, double *valid_rmse,
                                      double *test_rmse);
/* Every figure of the evaluation: RMSE and MAE on the training, validation and test ratings
 * (the device sums the squared and the absolute errors in one pass), with the counts. */
AR_API ar_status ar_model_evaluate_metrics(ar_model *m, ar_metrics *out);
/* The rating scale the model scores with: the configured one, else the training data's. */
AR_API void ar_model_rating_scale(const ar_model *m, float *min, float *max, float *def);
/* Bytes of device memory the model holds. */
AR_API size_t ar_model_device_bytes(const ar_model *m);
/* The model's configuration and the dataset it trains on. */
AR_API const ar_train_config *ar_model_config(const ar_model *m);
AR_API const ar_dataset *ar_model_dataset(const ar_model *m);
/* Epochs trained so far (including those of a checkpoint it was resumed from). */
AR_API int ar_model_epochs_done(const ar_model *m);

/* How far the epoch under way has got, for a display (the library prints nothing). */
typedef struct ar_train_progress {
    int epoch;                /* 1-based epoch under way */
    int epochs;               /* ar_train_config.epochs: the budget (a run may stop sooner) */
    int batches_done;         /* mini-batches of this epoch the device has finished */
    int batches_total;        /* mini-batches in the epoch */
    uint64_t ratings_done;    /* training ratings in those batches */
    uint64_t ratings_total;   /* training ratings in the epoch: every one, once */
    double seconds;           /* wall time since the epoch began */
} ar_train_progress;

/* Called on the training thread from within each epoch (ar_model_train_epoch, and so
 * ar_model_train) every AR_PROGRESS_BATCHES batches the device has finished, and once when the
 * last one has (batches_done == batches_total), before the epoch is evaluated. Within an epoch
 * the counts only grow. A status other than AR_OK stops the epoch there: ar_model_train_epoch
 * (and ar_model_train) returns it, the batches done stay applied and the epoch is not counted. */
typedef ar_status (*ar_train_progress_fn)(void *user, const ar_train_progress *p);
#define AR_PROGRESS_BATCHES 8

/* Sets the model's progress callback (fn NULL: none, the default). With one, the training loop
 * waits for the device every AR_PROGRESS_BATCHES batches, keeping that many queued, to learn
 * how far it has got; without, an epoch does exactly what it did before. */
AR_API void ar_model_set_progress(ar_model *m, ar_train_progress_fn fn, void *user);

/* Predictions for n (user, item) pairs of raw ids, clamped to the rating scale; a pair whose
 * user or item has no training rating gets the default prediction (see ar_model_rating_scale).
 * Computes the rows it needs (items for I-AutoRec, users for U-AutoRec) from their training
 * vectors, as the evaluation protocol does. An output that is not finite is AR_ERR_DIVERGED
 * naming the pair (out then partly written): a prediction is never NaN or infinite. */
AR_API ar_status ar_model_predict(ar_model *m, const int64_t *users, const int64_t *items,
                                  size_t n, float *out);

/* An ensemble: out[i] = the mean of the n_models models' predictions for pair i (each as
 * ar_model_predict gives it, so clamped, and the default for a pair a model has not seen).
 * members (may be NULL): (n_models, n) every model's own predictions, model k's at k * n.
 * The models may live on one context or several; they need not share their training data. */
AR_API ar_status ar_ensemble_predict(ar_model *const *models, int n_models, const int64_t *users,
                                     const int64_t *items, size_t n, float *out, float *members);

/* ---------------------------------------------------------------------------------------------
 * Top-N ranking metrics (docs/guide.md#top-n-metrics)
 *
 * For each user, the candidates are the items the user has not rated in training; they are
 * ranked by score, highest first, ties broken by the smaller item id. A model's score is its
 * predicted rating before clamping to the scale (clamped, every item predicted above the top
 * of the scale would tie, and the item ids would order them). A candidate is
 * relevant when the user's test rating of it is >= the threshold. With L the first
 * min(K, candidates) of the ranking and hits the relevant items in L:
 *   precision = hits / K;  recall = hits / relevant;  hit = (hits > 0);
 *   NDCG = (sum over the hits at 1-based rank p in L of 1 / log2(p + 1)) / IDCG,
 *          IDCG = sum over p = 1 .. min(K, relevant) of 1 / log2(p + 1);
 * each averaged over the users with at least one relevant candidate (the others are not
 * counted).
 * ------------------------------------------------------------------------------------------- */
typedef struct ar_topn_config {
    int k;                    /* the list length K, >= 1 (default 10) */
    float relevant;           /* a test rating >= this is relevant; within the model's rating
                                 scale (default 4, MovieLens' "liked") */
} ar_topn_config;
AR_API void ar_topn_config_default(ar_topn_config *c);

typedef struct ar_topn {
    double precision;         /* means over the users counted (NaN when none is) */
    double recall;
    double ndcg;
    double hit_rate;
    size_t users;             /* users counted: with at least one relevant candidate */
    size_t relevant;          /* their relevant candidates, all together */
} ar_topn;

/* The metrics of given rankings, for predictions made elsewhere: n_users users, user j's
 * candidates at user_ptr[j] .. user_ptr[j + 1] of items (ids: the tie order), scores (any
 * finite numbers, higher first) and relevant (nonzero: relevant). AR_ERR_INVALID_ARG when k <
 * 1 (ar_topn_config.k) or a score is not finite. */
AR_API ar_status ar_topn_metrics(const size_t *user_ptr, size_t n_users, const int64_t *items,
                                 const float *scores, const unsigned char *relevant, int k,
                                 ar_topn *out);

/* The metrics of a model (n_models 1) or of an ensemble's mean score (the mean of the
 * members' unclamped predictions) on the test ratings of the first model's dataset: its users
 * with a
 * training rating, candidates among its training items (users and items unknown to it are not
 * ranked). Predictions are made in batches of users. A relevance threshold outside the first
 * model's rating scale is AR_ERR_INVALID_ARG (ar_topn_config.relevant). */
AR_API ar_status ar_ensemble_topn(ar_model *const *models, int n_models,
                                  const ar_topn_config *cfg, ar_topn *out);

/* The same metrics for the bias baseline of ar_dataset_baselines (bcfg NULL: the defaults)
 * fitted on ds's training ratings, ranking by mu + b_u + b_i unclamped: for each user its
 * candidates in the order of their item biases. A reference for a model's figures (the same
 * users, candidates and relevant items when ds is the model's dataset). The threshold must lie
 * in bcfg's rating scale (ar_topn_config.relevant). */
AR_API ar_status ar_dataset_baseline_topn(const ar_dataset *ds, const ar_baseline_config *bcfg,
                                          const ar_topn_config *cfg, ar_topn *out);

/* ---------------------------------------------------------------------------------------------
 * Checkpoints: a self-contained model file
 * ------------------------------------------------------------------------------------------- */

/* Writes the model to path: format version, configuration, row kind, rating scale, epochs and
 * Adam steps done, weights and Adam moments, the id maps and the training ratings (which
 * prediction needs as inputs), the training file's path (to find titles), and a SHA-256 of
 * all of it. Written as an ar_output (see "Output files"): a crash or a failure never leaves a
 * half-written model under path, nor changes what was there. */
AR_API ar_status ar_model_save(ar_model *m, const char *path);

/* A model file read into memory (verified: format, length, checksum). */
typedef struct ar_checkpoint ar_checkpoint;
/* Reads and verifies a model file: a truncated, corrupted or foreign file is AR_ERR_PARSE
 * naming the path and what is wrong. The file is hostile input, its checksum no guarantee:
 * every size, count, id, setting and weight is checked against the others and the file's
 * length ("PATH: not a valid model file: REASON" names the field). */
AR_API ar_status ar_checkpoint_read(const char *path, ar_checkpoint **out);
AR_API void ar_checkpoint_free(ar_checkpoint *c);
/* The training ratings stored in the file (raw ids; owned by the checkpoint). Building a
 * dataset from them with ar_checkpoint_rows() gives the model's exact id maps. */
AR_API const ar_ratings *ar_checkpoint_train(const ar_checkpoint *c);
AR_API ar_rows ar_checkpoint_rows(const ar_checkpoint *c);
/* The configuration the model was trained with (epochs: the run's target; patience, which a
 * model file does not store: the default). */
AR_API void ar_checkpoint_config(const ar_checkpoint *c, ar_train_config *cfg);
/* Epochs the model had trained when it was saved. */
AR_API int ar_checkpoint_epochs_done(const ar_checkpoint *c);
/* The path of the training file the model was trained on ("" when not from a file). */
AR_API const char *ar_checkpoint_source(const ar_checkpoint *c);
/* Creates a model on ds with the checkpoint's weights, Adam state and counters, so that
 * training continues exactly where it stopped. cfg (may be NULL: the checkpoint's) sets the
 * run's target epochs and patience (and kernels) and must otherwise match the checkpoint's
 * model; ds must hold the same training ratings (AR_ERR_INVALID_ARG otherwise). */
AR_API ar_status ar_model_create_from(ar_ctx *ctx, const ar_dataset *ds, const ar_checkpoint *c,
                                      const ar_train_config *cfg, ar_model **out);

/* ---------------------------------------------------------------------------------------------
 * Output files: how autorec writes every file (model files, synthetic ratings, the tool's
 * metrics, plots and splits), for a program that writes its own next to them the same way.
 *
 * A file is written whole or not at all, and nothing that is not being written is destroyed:
 *   - path's symbolic links are followed: a link is written through (its target is replaced,
 *     the link stays);
 *   - an existing target that is not a regular file (a directory, a device such as /dev/full, a
 *     FIFO, a socket) is refused, AR_ERR_IO;
 *   - bytes go to a temporary file next to the target, "TARGET.tmp-PID-XXXXXX", which
 *     ar_output_commit flushes to disk and renames over the target; every failure (a full disk,
 *     an I/O error, ar_output_abort) removes the temporary and leaves the target as it was;
 *   - opening removes the temporaries next to the target that a process no longer running left
 *     (a writer killed with SIGKILL cannot clean up), never those of a live one.
 * Failures are AR_ERR_IO, "cannot write 'PATH': REASON" naming path as given.
 * ------------------------------------------------------------------------------------------- */
typedef struct ar_output ar_output;

/* Checks, before a long run, that path can be written by ar_output_open later: not an existing
 * non-regular file (AR_ERR_IO), not the same file (st_dev and st_ino, after following links;
 * for paths where nothing exists yet, the same name) as any of the n_inputs paths
 * (AR_ERR_INVALID_ARG, "refusing to write 'PATH': it is the same file as 'INPUT'": pass every
 * file the run reads, and the other outputs of the run), and a file can be created next to its
 * target (it tries, and removes what it made). An existing file at path is left alone. */
AR_API ar_status ar_output_check(const char *path, const char *const *inputs, size_t n_inputs);
/* Starts writing path (see above): creates the temporary. Nothing at path changes before
 * ar_output_commit. */
AR_API ar_status ar_output_open(const char *path, ar_output **out);
/* Appends n bytes (buffered). The first failure sticks: later writes do nothing and return it,
 * and ar_output_commit reports it. */
AR_API ar_status ar_output_write(ar_output *o, const void *buf, size_t n);
/* Writes what is buffered to the temporary, so that a reader of ar_output_temp_path (tail -f)
 * sees every byte written so far. */
AR_API ar_status ar_output_flush(ar_output *o);
/* Flushes and syncs the temporary to disk: after AR_OK only the rename of ar_output_commit is
 * left to fail. For a program that publishes several files together: sync them all, then
 * commit them all. */
AR_API ar_status ar_output_sync(ar_output *o);
/* The temporary's path, where the bytes are until the commit. */
AR_API const char *ar_output_temp_path(const ar_output *o);
/* Syncs the temporary (unless ar_output_sync did) and renames it over the target; frees o,
 * whatever happens. On failure the temporary is removed and the target left as it was. */
AR_API ar_status ar_output_commit(ar_output *o);
/* Removes the temporary and frees o (NULL: nothing); the target is left as it was. */
AR_API void ar_output_abort(ar_output *o);

#ifdef __cplusplus
}
#endif
#endif /* AUTOREC_H */
