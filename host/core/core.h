/* core.h - the engine's core, shared by the library's folders (not installed): errors, small
 * helpers, the device context, the kernel program and its launchers, CLBlast, buffers and
 * profiling. The only header that includes <CL/cl.h>; host/core/ and the model's passes are the
 * only code that calls OpenCL. */
#ifndef AR_CORE_H
#define AR_CORE_H

#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#include <stdio.h>

#include "autorec.h"

/* ---- errors (error.c) ---------------------------------------------------------------------- */

/* The error convention of the library: every fallible function returns an ar_status and, on
 * failure, leaves one line in ar_last_error() through ar_fail. Messages name files (file:line),
 * devices and the public API's settings (ar_train_config.lr, ar_load_options.columns: the
 * struct and field), never a command-line flag: the CLI rewrites those names into its flags.
 *
 * Records a message for ar_last_error() and returns s, so that `return ar_fail(...)` works.
 * The arguments may include ar_last_error() itself, to add context to a lower layer's message. */
ar_status ar_fail(ar_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Forgets the last message (a failure that was handled, such as a cache miss). */
void ar_clear_error(void);
/* The symbolic name of an OpenCL error code, e.g. "CL_OUT_OF_RESOURCES". */
const char *ar_cl_error_name(cl_int code);
/* Maps an OpenCL allocation failure to AR_ERR_OUT_OF_MEMORY and the rest to AR_ERR_OPENCL. */
ar_status ar_cl_status(cl_int code);

/* Runs an OpenCL call; on failure records "#expr failed: CL_NAME (code) at file:line", sets
 * `st` and jumps to `cleanup`. Needs `ar_status st` and a `cleanup:` label in scope. */
#define AR_CL_TRY(expr) AR_CL_CHECK_(#expr, 0, expr)
/* The same naming the call `what`: for a clCreate* call that returns its code through an
 * argument, AR_CL_TRY_AS("clCreateContext", err). */
#define AR_CL_TRY_AS(what, expr) AR_CL_CHECK_(what, 0, expr)
/* The same for a command enqueued on the queue (a transfer, a fill), which the fault hook
 * (fault.c) may fail instead of enqueueing it. The hook also fails buffer creation, kernel
 * launches, program builds and CLBlast calls, where those are made: the calls that can fail for
 * want of resources. Queries and object creation that only fail on a broken driver are not
 * injected: they share one failure path each and would multiply the runs of the fault tests. */
#define AR_CL_ENQUEUE(what, expr) AR_CL_CHECK_(what, 1, expr)
#define AR_CL_CHECK_(what, inject, expr)                                                       \
    do {                                                                                       \
        cl_int ar_err_ = (inject) ? (cl_int)ar_fault(AR_FAULT_CL) : CL_SUCCESS;                \
        if (ar_err_ == CL_SUCCESS) ar_err_ = (expr);                                           \
        if (ar_err_ != CL_SUCCESS) {                                                           \
            st = ar_fail(ar_cl_status(ar_err_), "%s failed: %s (%d) at %s:%d", what,           \
                         ar_cl_error_name(ar_err_), (int)ar_err_, __FILE__, __LINE__);         \
            goto cleanup;                                                                      \
        }                                                                                      \
    } while (0)

/* Runs a call returning ar_status; on failure sets `st` and jumps to `cleanup`. */
#define AR_TRY(expr)                                                                           \
    do {                                                                                       \
        st = (expr);                                                                           \
        if (st != AR_OK) goto cleanup;                                                         \
    } while (0)

/* SELU's constants (Klambauer et al., 2017), shared by the kernels (as defines) and the
 * reference. */
#define AR_SELU_LAMBDA 1.0507009873554805
#define AR_SELU_ALPHA 1.6732632423543772

/* ---- small helpers (util.c) ------------------------------------------------------------------ */
void *ar_malloc(size_t bytes);            /* malloc that records AR_ERR_OUT_OF_MEMORY on NULL */
/* The names of an enum's values 0..n-1 (activations, kernel paths, duplicates ...): names[i],
 * or "unknown" out of range; and the value named name (case-insensitive) into *out, else
 * AR_ERR_INVALID_ARG naming `what` and listing the names: "unknown activation 'x' (expected
 * identity, sigmoid, ... or selu)". */
const char *ar_choice_name(const char *const *names, int n, int i);
ar_status ar_choice_parse(const char *const *names, int n, const char *what, const char *name,
                          int *out);
/* A 64-bit generator for host-side randomness (init, shuffles, splits): splitmix64. */
typedef struct { uint64_t s; } ar_rng;
uint64_t ar_rng_next(ar_rng *r);
double ar_rng_uniform(ar_rng *r);         /* in [0, 1) */
/* Opens path for reading if it is a regular file, never blocking (a FIFO is opened without
 * waiting for a writer, then refused): *fd and *size (bytes) on success; a directory, FIFO,
 * device or socket is AR_ERR_IO saying what it is (docs/data.md: regular files only). Every
 * input the library reads goes through it, or through ar_read_file (autorec.h) which uses it. */
ar_status ar_open_regular(const char *path, int *fd, size_t *size);

/* ---- fault injection (fault.c): a test hook, driven by AUTOREC_FAULT ---------------------- */
typedef enum ar_fault_kind {
    AR_FAULT_CL,              /* an OpenCL or CLBlast call that can fail */
    AR_FAULT_WRITE,           /* a write to an output file */
    AR_FAULT_FSYNC,           /* an output file's flush to disk before it is published */
    AR_FAULT_KINDS
} ar_fault_kind;
/* Counts one operation of kind; 0: go on, else it must fail as if with the returned code (a
 * cl_int for AR_FAULT_CL, an errno for the others). Unset AUTOREC_FAULT: always 0. */
int ar_fault(ar_fault_kind kind);

/* ---- writing files (file.c, path.c) --------------------------------------------------------
 * Every file the library writes is an ar_output (include/autorec.h); downloads (host/data/),
 * which build a directory tree, use the pieces below it. */
/* One write(2) loop (EINTR retried) behind the fault hook: 0, or an errno. n == 0 writes and
 * counts nothing. */
int ar_write_all(int fd, const void *p, size_t n);
/* fsync behind the fault hook: 0, or an errno. */
int ar_fsync(int fd);
/* Buffered writes to fd: put copies into buf (cap bytes) and writes it out when full (a block of
 * cap bytes or more goes straight through); the first error sticks in err and later calls do
 * nothing. flush writes what is buffered; returns err. */
typedef struct ar_writer {
    int fd;
    int err;                  /* the first errno; 0 while all is well */
    char *buf;                /* (cap) */
    size_t len, cap;
} ar_writer;
void ar_writer_put(ar_writer *w, const void *p, size_t n);
int ar_writer_flush(ar_writer *w);

/* path with its symbolic links followed (at most 40), malloc'd; a path that is not there is
 * returned as it is. NULL with errno (ELOOP, ENOMEM, ...). */
char *ar_path_resolve(const char *path);
/* path's directory (malloc'd: "." when it has none) and its last name (a pointer into it). */
char *ar_path_dir(const char *path);
const char *ar_path_base(const char *path);
/* 1 when a and b are the same file: the same st_dev and st_ino after following links, or, for
 * two paths where nothing exists yet, the same canonical name. */
int ar_path_same(const char *a, const char *b);
/* "a directory", "a character device", "a FIFO", ... for a st_mode that is not a regular file. */
const char *ar_path_kind(unsigned mode);
/* mkdir -p with mode 0700 for what it creates (XDG asks for private cache directories): the
 * datasets' directories and the built-program cache's; 0, or -1 with errno set. */
int ar_path_make_dirs(const char *path);
/* The 1-based line of text's first NUL byte among its len bytes, 0 when there is none: a file
 * read whole whose parser would stop there, dropping what follows unseen (util.c). */
int ar_nul_line(const char *text, size_t len);
/* "DIR/NAME.TAG-PID-XXXXXX" (malloc'd), a template for mkstemp / mkdtemp: the name of a
 * temporary of this process that ar_remove_stale can tell from a dead writer's. */
char *ar_temp_template(const char *dir, const char *name, const char *tag);
/* Removes every entry of dir named PREFIX "PID-..." (PREFIX one of the n prefixes, e.g.
 * "m.bin.tmp-") whose process is gone (kill(PID, 0): ESRCH): the temporaries of a writer killed
 * before it could clean up. Live writers' temporaries (and this process's) are left alone. */
void ar_remove_stale(const char *dir, const char *const *prefixes, int n);
/* Removes path and everything below it, never following a symbolic link. */
void ar_remove_tree(const char *path);

/* ---- device layer (device.c) ---------------------------------------------------------------- */
/* Finds the cl_device_id of a listed device. */
ar_status ar_device_handle(const ar_device_info *info, cl_platform_id *platform, cl_device_id *dev);

/* ---- programs and kernels (program.c, kernels.c) -------------------------------------------- */

/* Every kernel the engine uses; created once per context. */
typedef struct ar_kernels {
    cl_kernel bias_act_forward;
    cl_kernel act_backward;
    cl_kernel dropout;
    cl_kernel densify;
    cl_kernel masked_loss_backward;
    cl_kernel masked_sse;
    cl_kernel colsum;
    cl_kernel adam;
    cl_kernel sp_input, sp_spmm, sp_sddmm, sp_sddmm_split, sp_sddmm_csc, sp_loss_backward, sp_sse,
        sp_weight_grad, sp_weight_adam, sp_bias_grad, sp_spmm_backward, sp_decode_backward,
        sp_bias_adam, sp_spmm_tile, sp_spmm_part, sp_spmm_join,
        sp_loss_part, sp_loss_join;
} ar_kernels;

/* Constants prepended to the kernels (program.c) for cl/sparse.cl: */
#define AR_SP_BLOCK 64 /* terms per partial sum in the sparse products (blocked summation) */

/* The kernels' tunable parameters (kparams.c), compiled in as -D options. */
typedef struct ar_kparams {
    int sp_width;    /* AR_SP_WIDTH: columns h per work-item of the weight gradients, the
                      * column tiles and the fused decoder (8, 16, 32 or 64) */
    int spmm_width;  /* AR_SPMM_WIDTH: the same for the SpMMs' 2-D ranges, a batch row's
                      * work-items along h (8, 16, 32 or 64) */
    int sddmm_lanes; /* AR_SDDMM_LANES: work-items sharing one row in ar_sp_sddmm (1-64) */
    int sp_group;    /* work-items along h per work-group of the 2-D launches; 0: up to ctx wg */
    int sp_rows;     /* rows (SpMM) / columns (weight gradient) per work-group of those launches */
    int sddmm_csc;   /* 1: training's SDDMM from the batch CSC (ar_sp_sddmm_csc), 0: by rows */
    int sddmm_split; /* SDDMM by rows in a GPU's shape (ar_sp_sddmm_split): work-items per entry
                      * (2-64, a power of two), work-groups per batch row enough to fill the
                      * device; 0: ar_sp_sddmm */
    int sp_fuse;     /* 1: training's decoder, loss and last hidden gradient in one kernel
                      * (ar_sp_decode_backward: one work-item per row, for CPUs), 0: three */
    int sp_tile;     /* weight rows per column tile of the encoder's SpMM and the fused decoder
                      * (ar_sp_spmm_tile, ar_sp_decode_backward) when W has more; 0: no tiles */
    int row_split;   /* a GPU's shape for the kernels that walk a batch row's entries: each
                      * row's entries in this many chunks (2-256) for the SpMMs
                      * (ar_sp_spmm_part, then ar_sp_spmm_join; fewer chunks when the (B x
                      * chunks, H) sums would not fit one allocation) and training's loss
                      * (ar_sp_loss_part, ar_sp_loss_join), and this many work-items per row
                      * for input dropout; 0: a row's entries in one work-item */
} ar_kparams;
/* Safe on any device; chosen by the device's type ("cpu", "gpu", ...: ar_device_info.type). */
void ar_kparams_default(ar_kparams *p, const char *device_type);
/* Sets the fields named in text ("sp_width=32,sddmm_lanes=8", any subset); a bad list is
 * AR_ERR_INVALID_ARG naming the format. */
ar_status ar_kparams_parse(const char *text, ar_kparams *p);
/* The list form ar_kparams_parse reads, every field. */
void ar_kparams_format(const ar_kparams *p, char *out, size_t cap);
/* The build options (" -DAR_SP_WIDTH=.. -DAR_SPMM_WIDTH=.. -DAR_SDDMM_LANES=..") appended to
 * -cl-std. */
void ar_kparams_options(const ar_kparams *p, char *out, size_t cap);
/* Rebuilds c's program and kernels with kp (from the built-program cache when it has them). */
ar_status ar_ctx_set_kparams(ar_ctx *c, const ar_kparams *kp);

/* Tuned parameters (kparams_store.c), per device, driver, kernel and shape class. The kernels
 * (record names): the sparse products (sp_width, sp_group, sp_rows) and SDDMM (sddmm_lanes). */
#define AR_KTUNE_PRODUCTS "sp_products"
#define AR_KTUNE_SDDMM "sp_sddmm"
/* "h512-c1024": the hidden size and the columns (the model's inputs) rounded up to powers of
 * two (at least 8). */
void ar_kparams_shape_class(int hidden, int cols, char *out, size_t cap);
/* The store's path (0: no cache directory; then why, why_cap bytes or NULL, says why). */
int ar_kparams_store_path(char *path, size_t cap, char *why, size_t why_cap);
/* ar_kparams_store_path, failing AR_ERR_IO with the reason when there is no directory. */
ar_status ar_kparams_store_need(char *path, size_t cap);
/* 1 when the store has a record for c's device and driver, kernel and class: its fields set
 * in *kp; 0 (kp untouched) otherwise, whatever the reason. */
int ar_kparams_lookup(const ar_ctx *c, const char *kernel, const char *shape_class,
                      ar_kparams *kp);
/* Writes (replaces) the record; its path into path. */
ar_status ar_kparams_record(const ar_ctx *c, const char *kernel, const char *shape_class,
                            const char *params, char *path, size_t cap);
/* Rebuilds c with the tuned parameters for a first hidden layer of `hidden` and `cols` inputs,
 * when the store has any that differ from c's (never when $AUTOREC_KERNEL_PARAMS is set). */
ar_status ar_kparams_apply_tuned(ar_ctx *c, int hidden, int cols);
/* ar_kernels_tune stores nothing when a defaults' pass takes less than this many seconds (timer
 * noise); 1e-5, raised by tests. */
extern double ar_ktune_noise_floor_s;

/* Profiling (profile.c): while `recording`, each enqueued command keeps its event with the
 * phase it belongs to; ar_prof_collect sums and releases them after the epoch's host read. */
typedef struct ar_prof_event {
    cl_event start;           /* a marker enqueued before the command(s), or NULL */
    cl_event end;             /* the command's event (or a marker after several commands) */
    int phase;                /* ar_phase */
} ar_prof_event;
typedef struct ar_profile {
    int enabled;              /* the queue has CL_QUEUE_PROFILING_ENABLE */
    int timestamps_ok;        /* the driver's timestamps passed ar_prof_probe */
    int recording;            /* commands enqueued now are timed */
    ar_prof_event *ev;        /* (n) pending, in enqueue order */
    size_t n, cap;
} ar_profile;

struct ar_ctx {
    ar_device_info info;      /* the device, as listed */
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;   /* in-order; every command of this context goes here */
    cl_program program;
    ar_kernels k;
    size_t max_wg;            /* CL_DEVICE_MAX_WORK_GROUP_SIZE, capped by AUTOREC_MAX_WG */
    size_t wg;                /* work-group size used for 1-D element-wise kernels */
    size_t wg_split;          /* ar_sp_sddmm_split's CL_KERNEL_WORK_GROUP_SIZE (not in wg) */
    ar_kparams kp;            /* the kernels' tunable parameters, as built */
    ar_kparams kp_base;       /* kp before a model's stored winners were applied (kp_by_store) */
    int kp_by_store;          /* 1: kp is kp_base with kernel-params.tsv's winners for the last
                                 model's shape class; the next model starts from kp_base */
    const char *kp_from;      /* where kp came from (ar_ctx_kernel_params): "default",
                                 "AUTOREC_KERNEL_PARAMS" or "tuned" */
    const char *kp_base_from; /* where kp_base came from (kp_from's values) */
    double build_seconds;     /* building the kernel programs (from source or the cache), all
                                 of this context's builds (ar_ctx_set_kparams rebuilds) */
    int program_cached;       /* 1: every program built came from the built-program cache */
    int program_builds;       /* how many ar_program_build ran */
    int gemm_tuned;           /* 1: a tuning entry was applied to CLBlast for this device */
    char gemm_tuning[512];    /* what CLBlast runs with (ar_ctx_gemm_tuning): entries or notes */
    int gemm_built;           /* 1 once a GEMM ran: CLBlast has built its program here */
    ar_profile prof;
    cl_mem scratch;           /* ar_ctx_scratch's buffer (NULL until asked for) */
    size_t scratch_bytes;     /* its size */
};
/* A device buffer of at least `bytes` for a launcher's temporary state (the column tiles'
 * partial sums), the context's own, grown on demand: commands run in order, so launchers share
 * it. */
ar_status ar_ctx_scratch(ar_ctx *c, size_t bytes, cl_mem *out);

/* The event pointer to pass to an enqueue call: somewhere to keep the event while recording,
 * else NULL (no event is created). */
static inline cl_event *ar_prof_slot(ar_ctx *c, cl_event *ev) {
    *ev = NULL;
    return c->prof.recording ? ev : NULL;
}
/* Keeps (start, end) under phase, or releases them when they cannot be kept. NULL end: nothing. */
void ar_prof_add(ar_ctx *c, int phase, cl_event start, cl_event end);
/* A marker event after everything enqueued so far (NULL when not recording or on failure). */
cl_event ar_prof_marker(ar_ctx *c);
/* Adds each pending command's device seconds to seconds[phase] and releases the events. Call
 * after a blocking read, when every pending command has completed. */
ar_status ar_prof_collect(ar_ctx *c, double *seconds);
/* Checks that the driver's profiling timestamps are real (sets prof.timestamps_ok). */
ar_status ar_prof_probe(ar_ctx *c);
/* Releases pending events without reading them. */
void ar_prof_discard(ar_ctx *c);

/* Builds the program from the embedded sources (or $AUTOREC_CL_DIR), or loads it from the
 * cache, and creates its kernels; on a compile error the message holds the device's build log.
 * Each call adds to ctx->build_seconds and clears ctx->program_cached when it missed. */
ar_status ar_program_build(ar_ctx *ctx);
/* The built-program cache (program_cache.c): 1 when the entry for this source and these
 * options (its path into path, cap bytes) gave c->program, built; 0 otherwise (path "" when
 * there is no cache). ar_program_cache_store writes c->program's binary at path. */
int ar_program_cache_load(ar_ctx *c, const char *src, const char *opts, char *path, size_t cap);
/* The cache's directory into dir (created with its parents); 0: no cache, and why (why_cap
 * bytes, or NULL) says why. A directory that cannot be used is also a note, once a process. */
int ar_program_cache_dir(char *dir, size_t cap, char *why, size_t why_cap);
void ar_program_cache_store(const ar_ctx *c, const char *path);
/* Removes the entry at path (a symbolic link there, never what it names). */
void ar_program_cache_remove(const char *path);
/* The concatenated kernel source as built (defines, Random123, cl/ files in the order of the
 * generated ar_embedded_cl table); *src is malloc'd, the caller frees it. */
ar_status ar_program_source(char **src);
ar_status ar_kernels_create(ar_ctx *ctx);
void ar_kernels_release(ar_kernels *k);

/* Embedded kernel sources (generated by cmake/embed.cmake). */
typedef struct { const char *name; const char *text; } ar_embedded_file;
extern const ar_embedded_file ar_embedded_cl[];  /* ends with {NULL, NULL} */
extern const char ar_embedded_philox[];          /* Random123 philox.h, includes inlined */

/* Kernel launchers (kernels.c): one per kernel, arguments as in cl/. Buffers with an offset are
 * (cl_mem, element offset) pairs into the flat parameter/gradient buffers. All are enqueued on
 * ctx->queue without waiting. */
ar_status ark_bias_act_forward(ar_ctx *c, cl_mem out, cl_mem in, cl_mem bias, int bias_off,
                               int rows, int cols, int act);
ar_status ark_act_backward(ar_ctx *c, cl_mem dinp, cl_mem dout, cl_mem out, int n, int act);
/* keep * 2^16 rounded (0 .. 65536) as a threshold on a 16-bit uniform draw (cl/rng.h); the
 * tests' reference uses it too, so that both draw the same mask. */
uint32_t ar_dropout_threshold(float keep);
/* out = keep(i) ? in * scale : 0 with the mask of (seed, step, layer) (cl/rng.h); out may be in.
 * Hidden dropout: scale 1 / keep, forward and backward (the same mask on the gradient). Input
 * noise: scale 1 (masking) or 1 / keep (inverted). */
ar_status ark_dropout(ar_ctx *c, cl_mem out, cl_mem in, int n, float keep, float scale,
                      uint64_t seed, uint32_t step, uint32_t layer);
/* ark_dropout with a mask of n bytes: AR_DROP_STORE draws as ark_dropout and stores keep(i) in
 * mask (a hidden layer's forward pass), AR_DROP_APPLY applies the stored mask without drawing
 * (its backward pass); AR_DROP_DRAW is ark_dropout. */
enum { AR_DROP_DRAW = 0, AR_DROP_STORE = 1, AR_DROP_APPLY = 2 };
ar_status ark_dropout_mask(ar_ctx *c, cl_mem out, cl_mem in, cl_mem mask, int mode, int n,
                           float keep, float scale, uint64_t seed, uint32_t step,
                           uint32_t layer);
ar_status ark_densify(ar_ctx *c, cl_mem x, cl_mem row_ptr, cl_mem col_idx, cl_mem vals,
                      cl_mem rows, int rows_off, int B, int cols);
ar_status ark_masked_loss_backward(ar_ctx *c, cl_mem dout, cl_mem row_loss, cl_mem out,
                                   cl_mem row_ptr, cl_mem col_idx, cl_mem vals, cl_mem rows,
                                   int rows_off, int B, int cols, float scale);
/* row_err (2, n_rows): each batch row's clamped squared errors, then its absolute errors; offs:
 * per-entry offsets added to the outputs before clamping (the centering baseline), or NULL for
 * none (ark_sp_sse too). */
ar_status ark_masked_sse(ar_ctx *c, cl_mem row_err, cl_mem out, cl_mem row_ptr, cl_mem col_idx,
                         cl_mem vals, cl_mem offs, cl_mem rows, int rows_off, int B, int cols,
                         int n_rows,
                         float lo, float hi);
ar_status ark_colsum(ar_ctx *c, cl_mem out, int out_off, cl_mem in, int rows, int cols);
ar_status ark_adam(ar_ctx *c, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int n,
                   int n_decay, float lr, float beta1, float beta2, float eps, float bc1,
                   float bc2, float l2);
/* One Adam step's scalars: the learning rate, betas, epsilon, bias corrections (1 - beta^t),
 * and the L2 added to the gradient of the first n_decay parameters. */
typedef struct {
    float lr, beta1, beta2, eps, bc1, bc2, l2;
} ark_adam_step;
/* ark_adam on the parameters [off, n) only (n_decay as for the whole buffer). */
ar_status ark_adam_range(ar_ctx *c, cl_mem params, cl_mem grads, cl_mem m, cl_mem v, int off,
                         int n, int n_decay, const ark_adam_step *s);
/* The sparse path (cl/sparse.cl). Weights (w, w_off) are (cols, H) row-major; b_off < 0: no
 * bias. pos_* / row_ptr are CSR arrays, rows / rows_off the batch as for the dense kernels. */
ar_status ark_sp_input(ar_ctx *c, cl_mem xk, cl_mem row_ptr, cl_mem col_idx, cl_mem vals,
                       cl_mem rows, int rows_off, int B, int cols, int col_base, float keep,
                       float scale, uint64_t seed, uint32_t step);
/* out (B, H) = act(bias + SpMM(ck, W)), W (cols, H): ar_sp_spmm, or, when W has more than
 * kp.sp_tile rows, ark_sp_spmm_tile (the same bits). */
ar_status ark_sp_spmm(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off, int b_off,
                      cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B, int H,
                      int act, int cols);
/* ark_sp_spmm launched once per column tile of `tile` weight rows (ar_sp_spmm_tile), its
 * partial sums kept between tiles in the context's scratch buffer. */
ar_status ark_sp_spmm_tile(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off, int b_off,
                           cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                           int H, int act, int cols, int tile);
/* The gradient at the last hidden layer, out (B, H) = (SpMM(ck, W), no bias, masked by a
 * stored dropout mask (B, H) bytes with scale 1 / keep when mask is not NULL) times act'(a), a
 * the layer's forward output (B, H): ark_sp_spmm, ark_dropout_mask (AR_DROP_APPLY) and
 * ark_act_backward in one pass, the same bits. */
ar_status ark_sp_spmm_backward(ar_ctx *c, cl_mem out, cl_mem ck, cl_mem w, int w_off,
                               cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                               int H, cl_mem mask, float scale, cl_mem a, int act);
ar_status ark_sp_sddmm(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                       cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows, int rows_off, int B, int H,
                       int act);
/* ar_sp_sddmm_split's work-group size G (the largest power of two within 64, the device's limits
 * and AUTOREC_MAX_WG, and the kernel's own limit, c->wg_split: a kernel with barriers may
 * report less than the others, so it is kept out of c->wg) and work-items per entry S
 * (kp.sddmm_split, 32 when 0, halved until within G). */
void ar_sddmm_split_shape(const ar_ctx *c, size_t *group, int *split);
/* ark_sp_sddmm's outputs in a GPU's shape: a work-group per batch row, kp.sddmm_split
 * work-items per entry (coalesced loads of its weight row, a fixed-order sum in local memory).
 * ark_sp_sddmm calls it when kp.sddmm_split > 0; called directly with 0: 32 per entry. */
ar_status ark_sp_sddmm_split(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                             cl_mem pos_ptr, cl_mem pos_idx, cl_mem rows, int rows_off, int B,
                             int H, int act);
/* ark_sp_sddmm at the batch's training entries, walked from its CSC (as ark_sp_weight_grad):
 * each weight row read once per batch; the same bits. */
ar_status ark_sp_sddmm_csc(ar_ctx *c, cl_mem yk, cl_mem a, cl_mem w, int w_off, int b_off,
                           cl_mem col_ptr, int col_off, cl_mem ent_b, cl_mem ent_k, int cols,
                           int H, int act);
/* The SpMMs' first pass in a GPU's shape (kernel parameter row_split = P): part (B P, H), row
 * b's entries cut into P contiguous chunks, chunk p's sum of ck[k] W[u_k, :] at row b P + p
 * (W (cols, H) at w_off). */
ar_status ark_sp_spmm_part(ar_ctx *c, cl_mem part, cl_mem ck, cl_mem w, int w_off,
                           cl_mem row_ptr, cl_mem col_idx, cl_mem rows, int rows_off, int B,
                           int H, int P);
/* out (B, H) = the sum over p of part's rows b P + p, in order; then, backward = 0,
 * act(bias + z) with the bias at b_off in w (none when b_off < 0: z), or, backward = 1, the
 * stored dropout mask (NULL: none; kept ? z scale : 0) and z act'(a): ark_sp_spmm's and
 * ark_sp_spmm_backward's endings. */
ar_status ark_sp_spmm_join(ar_ctx *c, cl_mem out, cl_mem part, cl_mem w, int b_off, int B,
                           int H, int act, int P, int backward, cl_mem mask, float scale,
                           cl_mem a);
/* ark_sp_loss_backward's dyk with each row's entries in P contiguous chunks; part (2, B P):
 * each chunk's Kahan sum of squared errors and its compensation. */
ar_status ark_sp_loss_part(ar_ctx *c, cl_mem dyk, cl_mem part, cl_mem yk, cl_mem row_ptr,
                           cl_mem vals, cl_mem rows, int rows_off, int B, float scale, int act,
                           int P);
/* row_loss[rows[b]] = row b's P chunk sums from ark_sp_loss_part, in order. */
ar_status ark_sp_loss_join(ar_ctx *c, cl_mem row_loss, cl_mem part, cl_mem rows, int rows_off,
                           int B, int P);
/* Training's decoder at the batch's entries (yk), the loss's gradient there (dyk, row_loss) and
 * the gradient at the last hidden layer (dz, as ark_sp_spmm_backward with mask / mscale / act_out
 * / act) in one pass: ark_sp_sddmm, ark_sp_loss_backward and ark_sp_spmm_backward, the same
 * bits. a: the decoder's input (B, H); W (cols, H) at w_off and its bias at b_off in w. Launched
 * once per column tile of kp.sp_tile weight rows when W has more (the same bits). */
ar_status ark_sp_decode_backward(ar_ctx *c, cl_mem yk, cl_mem dyk, cl_mem row_loss, cl_mem dz,
                                 cl_mem a, cl_mem w, int w_off, int b_off, cl_mem row_ptr,
                                 cl_mem col_idx, cl_mem vals, cl_mem rows, int rows_off, int B,
                                 int H, int out_act, float scale, cl_mem mask, float mscale,
                                 cl_mem act_out, int act, int cols);
ar_status ark_sp_loss_backward(ar_ctx *c, cl_mem dyk, cl_mem row_loss, cl_mem yk, cl_mem row_ptr,
                               cl_mem vals, cl_mem rows, int rows_off, int B, float scale,
                               int act);
ar_status ark_sp_sse(ar_ctx *c, cl_mem row_err, cl_mem yk, cl_mem pos_ptr, cl_mem vals,
                     cl_mem offs, cl_mem rows, int rows_off, int B, int n_rows, float lo,
                     float hi);
ar_status ark_sp_weight_grad(ar_ctx *c, cl_mem dw, int dw_off, cl_mem ck, cl_mem in,
                             cl_mem col_ptr, int col_off, cl_mem ent_b, cl_mem ent_k, int cols,
                             int H);
/* Adam's step of the decoder's biases (cols of them at dec_off in params; gradient: ck summed
 * over each column's entries in the batch CSC, as ark_sp_bias_grad) and of the encoder's (H at
 * enc_off; gradient: in (B, H) summed over the rows, as ark_colsum), in one launch; the
 * gradients are never stored. */
ar_status ark_sp_bias_adam(ar_ctx *c, cl_mem params, cl_mem m, cl_mem v, int dec_off,
                           int enc_off, cl_mem ck, cl_mem col_ptr, int col_off, cl_mem ent_k,
                           int cols, cl_mem in, int B, int H, const ark_adam_step *s);
ar_status ark_sp_bias_grad(ar_ctx *c, cl_mem db, int db_off, cl_mem ck, cl_mem col_ptr,
                           int col_off, cl_mem ent_k, int cols);
/* ark_sp_weight_grad's gradient of W (cols, H) at w_off in params, with L2 (every element is
 * decayed), and Adam's step applied to it at once: the gradient is never stored. */
ar_status ark_sp_weight_adam(ar_ctx *c, cl_mem params, cl_mem m, cl_mem v, int w_off,
                             cl_mem ck, cl_mem in, cl_mem col_ptr, int col_off, cl_mem ent_b,
                             cl_mem ent_k, int cols, int H, const ark_adam_step *s);
/* Sets n floats of buf (from element offset off) to value. */
ar_status ark_fill(ar_ctx *c, cl_mem buf, size_t off, size_t n, float value);

/* ---- GEMM (gemm.c, the only file that includes clblast_c.h) -------------------------------- */
/* Row-major C = alpha * op(A) * op(B) + beta * C, op(A) (m, k), op(B) (k, n), C (m, n). */
ar_status ar_gemm(ar_ctx *c, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  cl_mem a, size_t a_off, size_t lda, cl_mem b, size_t b_off, size_t ldb,
                  float beta, cl_mem cm, size_t c_off, size_t ldc);
/* Applies the CLBlast tuning entries for c's device (AUTOREC_CLBLAST_TUNING's file first, then
 * the shipped database), before the first GEMM. Never fails: a bad entry or a refused override
 * leaves CLBlast's own parameters for that kernel, with a note in c->gemm_tuning and on
 * stderr. AUTOREC_CLBLAST_TUNING=off applies nothing. */
void ar_gemm_tune(ar_ctx *c);
/* Puts CLBlast's generic parameters back in place of the applied entries (what ar_gemm does
 * when a GEMM fails to build or launch with them); note says why. */
void ar_gemm_untune(ar_ctx *c, const char *note);

/* ---- CLBlast tuning database (gemm_tune.c; the shipped entries in gemm_db.c) --------------- */
#define AR_GEMM_TUNE_MAX 16
typedef struct {
    char kernel[16];                        /* Xgemm, XgemmDirect or GemmRoutine */
    int n;                                  /* parameters, all of the kernel's */
    char name[AR_GEMM_TUNE_MAX][32];
    size_t value[AR_GEMM_TUNE_MAX];
    char origin[320];                       /* FILE:LINE of the entry */
} ar_gemm_params;
typedef struct {
    const char *platform;                   /* CL_PLATFORM_VENDOR */
    const char *device;                     /* CL_DEVICE_NAME */
    const char *driver;                     /* CL_DRIVER_VERSION */
    size_t max_wg;                          /* CL_DEVICE_MAX_WORK_GROUP_SIZE */
    uint64_t local_mem;                     /* CL_DEVICE_LOCAL_MEM_SIZE */
} ar_gemm_device;
extern const char ar_clblast_db[];          /* the shipped entries (gemm_db.c) */
/* The first entry of text (named origin in messages) for kernel whose patterns match dev, in
 * *out with *found 1; *found 0 when none matches. Every line is parsed: a malformed line
 * anywhere is AR_ERR_PARSE naming origin:line; a matching entry that breaks CLBlast's rules or
 * the device's limits is AR_ERR_INVALID_ARG naming it (*found 0 either way). */
ar_status ar_gemm_tuning_find(const char *text, const char *origin, const ar_gemm_device *dev,
                              const char *kernel, ar_gemm_params *out, int *found);
/* The value of a parameter of p (0 when absent). */
size_t ar_gemm_param(const ar_gemm_params *p, const char *name);
/* Checks p against CLBlast 1.5.3's tuner constraints and dev's work-group and local memory. */
ar_status ar_gemm_params_check(const ar_gemm_params *p, const ar_gemm_device *dev);

/* ---- buffers (util.c) ----------------------------------------------------------------------- */
/* Creates a device buffer; allocation failures become AR_ERR_OUT_OF_MEMORY naming `what`. */
ar_status ar_buffer(ar_ctx *c, size_t bytes, const void *host, const char *what, cl_mem *out);
/* Blocking read / write. */
ar_status ar_read(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, void *host);
ar_status ar_write(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes, const void *host);
/* A write queued behind what is enqueued, not waited for: host must stay as it is until a
 * later blocking call (or clFinish) has passed it. */
ar_status ar_write_queued(ar_ctx *c, cl_mem buf, size_t off_bytes, size_t bytes,
                          const void *host);
/* A marker after everything enqueued so far (*ev: release it), and a wait for one: how the
 * training loop learns how far the device has got (host/model/progress.c). */
ar_status ar_marker(ar_ctx *c, cl_event *ev);
ar_status ar_wait_event(cl_event ev);


/* ---- sums across the shards of a sharded model (reduce.c; reduce_mpi.c with MPI) ----------- */
typedef struct ar_reducer ar_reducer;
typedef struct ar_reducer_ops {
    const char *name;         /* "threads" (in process) or "mpi" */
    /* In place: buf (n floats, or doubles with is_double) holds this shard's partial; on
     * return, the sum over every shard, the same on each. AR_ERR_PEER when another failed. */
    ar_status (*sum)(ar_reducer *r, int shard, void *buf, size_t n, int is_double);
    /* This shard failed: the others' sums return AR_ERR_PEER instead of waiting for it. */
    void (*abort)(ar_reducer *r, int shard);
    void (*free)(ar_reducer *r);
    /* Across processes only (NULL in process): n floats sent to, or received from, rank peer. */
    ar_status (*move)(ar_reducer *r, int peer, float *buf, size_t n, int send);
} ar_reducer_ops;
typedef struct ar_reduce_stats {
    double seconds;           /* in sums, waiting for the other shards included */
    size_t bytes;             /* this shard's partials summed */
    long calls;
} ar_reduce_stats;
struct ar_reducer {
    const ar_reducer_ops *ops;
    int n_shards;             /* shards in all, over every process */
    int rank, n_ranks;        /* this process among the processes (MPI), else 0 of 1 */
    ar_reduce_stats stats[AR_MAX_SHARDS]; /* per shard of this process */
};
/* The in-process reducer: n_shards threads of this process, summing in shard order. */
ar_status ar_reducer_local(int n_shards, ar_reducer **out);
/* The MPI reducer (reduce_mpi.c): one shard per rank of MPI_COMM_WORLD; MPI started. */
ar_status ar_reducer_mpi(ar_reducer **out);
/* r->ops->sum with the shard's statistics counted. */
ar_status ar_reduce_sum(ar_reducer *r, int shard, void *buf, size_t n, int is_double);
void ar_reduce_abort(ar_reducer *r, int shard);
void ar_reducer_free(ar_reducer *r);

#endif /* AR_CORE_H */
