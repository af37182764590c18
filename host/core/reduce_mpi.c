/* reduce_mpi.c - the sums of a sharded model across MPI processes (ar_reducer, one shard per
 * rank) and MPI's start and end; built when CMake finds MPI (AR_HAVE_MPI), the rest of the
 * library does not depend on it.
 *
 * A sum is MPI_Allreduce on the host copy of the shard's partial (sum order: MPI's, fixed for a
 * given number of processes). A rank whose shard fails cannot tell the others through the
 * collectives they wait in, so it says what failed on stderr and calls MPI_Abort: mpirun then
 * ends every rank with a non-zero status instead of leaving them waiting. Moving a shard's
 * state to rank 0 (gathering the model for saving) is point-to-point, in chunks under 2^31. */
#include <stdlib.h>
#include <string.h>

#include "core.h"

#ifdef AR_HAVE_MPI
#include <mpi.h>

typedef struct {
    ar_reducer base;
    MPI_Comm comm;
} mpi_reducer;

static ar_status mpi_error(int rc, const char *what) {
    char msg[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    return ar_fail(AR_ERR_PEER, "%s failed: %s", what, msg);
}

static ar_status mpi_sum(ar_reducer *base, int shard, void *buf, size_t n, int is_double) {
    (void)shard;
    mpi_reducer *r = (mpi_reducer *)base;
    if (n > 2147483647u) return ar_fail(AR_ERR_INVALID_ARG, "a sum of %zu values over MPI", n);
    int rc = MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, is_double ? MPI_DOUBLE : MPI_FLOAT, MPI_SUM,
                           r->comm);
    return rc == MPI_SUCCESS ? AR_OK : mpi_error(rc, "MPI_Allreduce");
}

static void mpi_abort(ar_reducer *base, int shard) {
    mpi_reducer *r = (mpi_reducer *)base;
    fprintf(stderr, "autorec: rank %d (shard %d) failed, stopping all %d ranks: %s\n",
            base->rank, shard, base->n_ranks, ar_last_error());
    fflush(stderr);
    MPI_Abort(r->comm, 1);
}

static void mpi_free(ar_reducer *base) {
    free(base);
}

/* Floats between ranks, in chunks MPI's int counts can carry. */
static ar_status mpi_move(ar_reducer *base, int peer, float *buf, size_t n, int send) {
    mpi_reducer *r = (mpi_reducer *)base;
    const size_t chunk = (size_t)1 << 30;
    for (size_t off = 0; off < n; off += chunk) {
        int cnt = (int)(n - off < chunk ? n - off : chunk);
        int rc = send ? MPI_Send(buf + off, cnt, MPI_FLOAT, peer, 7, r->comm)
                      : MPI_Recv(buf + off, cnt, MPI_FLOAT, peer, 7, r->comm, MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS) return mpi_error(rc, send ? "MPI_Send" : "MPI_Recv");
    }
    return AR_OK;
}

static const ar_reducer_ops mpi_ops = {"mpi", mpi_sum, mpi_abort, mpi_free, mpi_move};

int ar_mpi_built(void) { return 1; }

/* Launched by mpirun (Open MPI, or a PMI-based launcher): MPI is started, else not. */
static int launched(void) {
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

ar_status ar_mpi_start(int *argc, char ***argv, int *rank, int *size, int *local_rank) {
    *rank = 0, *size = 1, *local_rank = 0;
    int up = 0;
    MPI_Initialized(&up);
    if (!up && !launched()) return AR_OK;
    if (!up) {
        int provided = 0; /* MPI is called from the main thread only */
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return mpi_error(rc, "MPI_Init_thread");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    MPI_Comm node;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, *rank, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_rank(node, local_rank);
        MPI_Comm_free(&node);
    }
    return AR_OK;
}

void ar_mpi_stop(void) {
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down) MPI_Finalize();
}

void ar_mpi_abort(int code) {
    int up = 0, down = 0;
    MPI_Initialized(&up);
    MPI_Finalized(&down);
    if (up && !down) MPI_Abort(MPI_COMM_WORLD, code);
}

ar_status ar_mpi_allsum(double *v, int n) {
    int up = 0;
    MPI_Initialized(&up);
    if (!up) return AR_OK;
    int rc = MPI_Allreduce(MPI_IN_PLACE, v, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? AR_OK : mpi_error(rc, "MPI_Allreduce");
}

ar_status ar_reducer_mpi(ar_reducer **out) {
    *out = NULL;
    int up = 0;
    MPI_Initialized(&up);
    if (!up) return ar_fail(AR_ERR_INVALID_ARG, "MPI is not started (ar_mpi_start)");
    mpi_reducer *r = calloc(1, sizeof *r);
    if (!r) return ar_fail(AR_ERR_OUT_OF_MEMORY, "out of host memory");
    r->comm = MPI_COMM_WORLD;
    MPI_Comm_rank(r->comm, &r->base.rank);
    MPI_Comm_size(r->comm, &r->base.n_ranks);
    r->base.ops = &mpi_ops;
    r->base.n_shards = r->base.n_ranks;
    *out = &r->base;
    return AR_OK;
}

#else /* built without MPI */

int ar_mpi_built(void) { return 0; }

ar_status ar_mpi_start(int *argc, char ***argv, int *rank, int *size, int *local_rank) {
    (void)argc, (void)argv;
    *rank = 0, *size = 1, *local_rank = 0;
    /* launched as several processes: each would train the whole model on its own */
    const char *n = getenv("OMPI_COMM_WORLD_SIZE") ? getenv("OMPI_COMM_WORLD_SIZE")
                                                   : getenv("PMI_SIZE");
    if (n && atoi(n) > 1)
        return ar_fail(AR_ERR_INVALID_ARG, "launched as %d MPI processes, but this autorec was "
                       "built without MPI (install libopenmpi-dev and configure again)", atoi(n));
    return AR_OK;
}

void ar_mpi_stop(void) {}

void ar_mpi_abort(int code) { (void)code; }

ar_status ar_mpi_allsum(double *v, int n) {
    (void)v, (void)n;
    return AR_OK;
}

ar_status ar_reducer_mpi(ar_reducer **out) {
    *out = NULL;
    return ar_fail(AR_ERR_INVALID_ARG, "this autorec was built without MPI (install "
                   "libopenmpi-dev and configure again)");
}

#endif
