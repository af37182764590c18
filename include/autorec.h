/*
 * autorec.h - the public API of autorec-cl.
 *
 * autorec-cl trains AutoRec recommenders (Sedhain et al., WWW 2015) on any OpenCL device.
 * Everything is reached through opaque handles; every fallible function returns an ar_status
 * and, on failure, leaves a one-line human-readable message in ar_last_error().
 *
 * Typical use:
 *   ar_ratings *all, *train, *test;  ar_dataset *ds;  ar_ctx *ctx;  ar_model *m;
 *   ar_ratings_load("u1.base", &train);  ar_ratings_load("u1.test", &test);
 *   ar_dataset_create(train, test, &ds);
 *   ar_ctx_create(NULL, &ctx);                  // NULL: $AUTOREC_DEVICE, else first GPU, else first device
 *   ar_train_config cfg;  ar_train_config_default(&cfg);
 *   ar_model_create(ctx, ds, &cfg, &m);
 *   for (int e = 0; e < cfg.epochs; e++) { ar_epoch_stats s; ar_model_train_epoch(m, &s); }
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
    AR_ERR_DIVERGED = -10,    /* training produced a non-finite loss */
} ar_status;

/* A static name for a status, e.g. "invalid argument". */
AR_API const char *ar_status_string(ar_status s);

/* The message of the last error raised on this thread ("" if none). One line, no newline. */
AR_API const char *ar_last_error(void);

/* Seconds on a monotonic clock, for timing (differences only). */
AR_API double ar_time_seconds(void);

/* True for statuses caused by the caller's input (bad option, bad file, unknown device): the CLI
 * maps these to exit code 2 and everything else to exit code 1. */
AR_API int ar_status_is_usage_error(ar_status s);

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
AR_API void ar_ctx_free(ar_ctx *ctx);
/* The device this context runs on. */
AR_API const ar_device_info *ar_ctx_device(const ar_ctx *ctx);

/* ---------------------------------------------------------------------------------------------
 * Ratings and datasets
 * ------------------------------------------------------------------------------------------- */

/* A list of (user, item, rating) triples with their raw ids, as read from a file. */
typedef struct ar_ratings ar_ratings;

/* Reads a MovieLens u.data-style file: one rating per line, "user item rating [timestamp]",
 * separated by tabs or spaces. Ids are non-negative integers; ratings are finite numbers.
 * Blank lines are skipped; anything else malformed is AR_ERR_PARSE naming file:line. */
AR_API ar_status ar_ratings_load(const char *path, ar_ratings **out);
AR_API size_t ar_ratings_count(const ar_ratings *r);
/* Reads triple i (raw ids). */
AR_API void ar_ratings_get(const ar_ratings *r, size_t i, int64_t *user, int64_t *item,
                           float *rating);
/* Builds ratings from arrays (copied). Used by tests and synthetic data. */
AR_API ar_status ar_ratings_from_arrays(const int64_t *users, const int64_t *items,
                                        const float *ratings, size_t n, ar_ratings **out);
/* Splits at random: each rating goes to test with probability test_ratio, decided by a
 * generator seeded with seed, so the same seed gives the same split. */
AR_API ar_status ar_ratings_split(const ar_ratings *all, double test_ratio, uint64_t seed,
                                  ar_ratings **train, ar_ratings **test);
AR_API void ar_ratings_free(ar_ratings *r);

/* A training set ready for the device: ids remapped to dense indices (from the training ratings
 * only), CSR by item, and the test ratings split into those the model can score and those whose
 * user or item has no training rating (predicted with the default rating). */
typedef struct ar_dataset ar_dataset;

/* test may be NULL. A duplicate (user, item) pair in train or in test is AR_ERR_PARSE. */
AR_API ar_status ar_dataset_create(const ar_ratings *train, const ar_ratings *test,
                                   ar_dataset **out);
AR_API void ar_dataset_free(ar_dataset *ds);

typedef struct ar_dataset_stats {
    int n_users;              /* users with a training rating */
    int n_items;              /* items with a training rating */
    size_t n_train;           /* training ratings */
    size_t n_test;            /* test ratings, all of them */
    size_t n_test_cold;       /* test ratings whose user or item has no training rating */
    float rating_min;         /* smallest training rating */
    float rating_max;         /* largest training rating */
    double train_mean;        /* mean training rating */
} ar_dataset_stats;
AR_API void ar_dataset_get_stats(const ar_dataset *ds, ar_dataset_stats *out);

/* RMSE of predicting the global training mean for every test rating (a baseline to beat). */
AR_API double ar_dataset_mean_baseline_rmse(const ar_dataset *ds);

/* ---------------------------------------------------------------------------------------------
 * Model and training
 * ------------------------------------------------------------------------------------------- */
typedef enum ar_activation {
    AR_ACT_IDENTITY = 0,
    AR_ACT_SIGMOID = 1,
    AR_ACT_RELU = 2,
    AR_ACT_TANH = 3,
} ar_activation;

/* "identity", "sigmoid", "relu", "tanh". */
AR_API const char *ar_activation_name(ar_activation a);
/* Parses a name (case-insensitive); AR_ERR_INVALID_ARG if unknown. */
AR_API ar_status ar_activation_parse(const char *name, ar_activation *out);

typedef struct ar_train_config {
    int hidden;                  /* hidden units H (default 500) */
    int epochs;                  /* epochs to train (default 60) */
    int batch;                   /* items per mini-batch B (default 256) */
    float lr;                    /* Adam learning rate of the first epoch (default 3e-3) */
    float lr_decay;              /* the learning rate is multiplied by this after every epoch,
                                    in (0, 1] (default 0.97; 1 = constant) */
    float l2;                    /* L2 coefficient on W and V, added to the gradient as l2*w;
                                    the data term is the mean squared error of the batch's
                                    observed ratings (default 2e-3) */
    float dropout;               /* probability of dropping a hidden unit after the encoder,
                                    inverted dropout, in [0, 1) (default 0) */
    ar_activation activation;    /* encoder activation g (default sigmoid) */
    ar_activation out_activation;/* decoder activation f (default identity) */
    uint64_t seed;               /* seeds weights, batch order and dropout masks (default 1) */
    float beta1;                 /* Adam beta1 (default 0.9) */
    float beta2;                 /* Adam beta2 (default 0.999) */
    float eps;                   /* Adam epsilon (default 1e-8) */
    float rating_min;            /* predictions are clamped to [rating_min, rating_max] when */
    float rating_max;            /*   scored (defaults 1 and 5, MovieLens) */
    float default_rating;        /* prediction for a test rating whose user or item has no
                                    training rating (default 3) */
} ar_train_config;

/* Fills cfg with the documented defaults. */
AR_API void ar_train_config_default(ar_train_config *cfg);
/* Checks every field; AR_ERR_INVALID_ARG names the first bad one. */
AR_API ar_status ar_train_config_validate(const ar_train_config *cfg);

typedef struct ar_model ar_model;

typedef struct ar_epoch_stats {
    int epoch;                /* 1-based epoch just finished */
    double loss;              /* mean over the epoch's batches of the training loss (masked MSE
                                 with dropout, without the L2 term) */
    double train_rmse;        /* RMSE on the observed training ratings, no dropout, clamped */
    double test_rmse;         /* test RMSE by the AutoRec protocol (NaN when there is no test set) */
    double epoch_seconds;     /* wall time of this epoch's training (evaluation excluded) */
    double eval_seconds;      /* wall time of this epoch's evaluation */
} ar_epoch_stats;

/* I-AutoRec on ds: inputs are items' rating vectors over users. The dataset must outlive the
 * model. Device memory is allocated here; AR_ERR_OUT_OF_MEMORY if it does not fit. */
AR_API ar_status ar_model_create(ar_ctx *ctx, const ar_dataset *ds, const ar_train_config *cfg,
                                 ar_model **out);
AR_API void ar_model_free(ar_model *m);
/* Trains one epoch (shuffled mini-batches), then evaluates; fills stats (may be NULL). */
AR_API ar_status ar_model_train_epoch(ar_model *m, ar_epoch_stats *stats);
/* Evaluates the current weights: RMSE on training ratings and on the test set. */
AR_API ar_status ar_model_evaluate(ar_model *m, double *train_rmse, double *test_rmse);
/* Bytes of device memory the model holds. */
AR_API size_t ar_model_device_bytes(const ar_model *m);

#ifdef __cplusplus
}
#endif
#endif /* AUTOREC_H */
