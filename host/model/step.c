/* step.c - the training step and the epoch around it.
 *
 * One step on a batch, by name, as llm.c does it:
 *
 *     forward(m, b);    // activations; the outputs at the batch's observed ratings
 *     backward(m, b);   // the loss's gradient into m->grads
 *     update(m, b);     // Adam (L2 on the weights is added there)
 *
 * There is no zero_grad: backward overwrites every gradient element (GEMMs with beta 0, and
 * kernels that write every column), so nothing carries over from one batch to the next. On
 * the sparse path the first and last weight matrices' gradients are computed in update, fused
 * with their Adam step, and not stored (ar_sparse_update).
 * forward and backward pick the dense path (dense.c) or the sparse path (sparse.c); both keep
 * the model's shapes (model.h). ar_model_train_epoch runs the step over a shuffled epoch;
 * ar_model_batch runs it once on given rows, for the tests.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

/* One mini-batch: a slice of a device row list, and what the step needs to know about it. */
typedef struct ar_batch {
    cl_mem rows;        /* (>= off + B) int: dense row indices on the device (m->perm) */
    int off, B;         /* the batch is rows[off .. off + B) */
    int csc;            /* the sparse path: the index of this batch's uploaded CSC */
    float scale;        /* 1 / the batch's observed ratings: the loss is their mean */
    float keep, keep_in;/* keep probabilities of hidden and input dropout (1: none) */
} ar_batch;

/* 1 when the sparse path's forward reads the batch CSC (its decoder walks it by column). */
static int forward_reads_csc(const ar_model *m) {
    return !ar_sparse_fused(m) && m->ctx->kp.sddmm_csc;
}

/* Activations of the batch and its outputs at its observed ratings: y (B, U) on the dense path,
 * yk (nnz) on the sparse path. */
static ar_status forward(ar_model *m, const ar_batch *b) {
    if (!m->sparse) return ar_dense_forward(m, b->rows, b->off, b->B, b->keep, b->keep_in);
    cl_mem last; /* (B, H_L): the last hidden layer, after dropout */
    ar_status st = ar_sparse_encode(m, b->rows, b->off, b->B, b->keep, b->keep_in, &last);
    if (st != AR_OK) return st;
    /* fused with the backward pass there (ar_sparse_fused: one kernel on CPUs) */
    if (ar_sparse_fused(m)) return AR_OK;
    /* by rows, or from the batch's CSC (the same numbers; the faster depends on the device and
     * the shapes: ar_kparams.sddmm_csc, autorec tune-kernels) */
    if (forward_reads_csc(m)) return ar_sparse_decode_train(m, last, b->csc);
    return ar_sparse_decode(m, last, m->tr_ptr, m->tr_idx, b->rows, b->off, b->B, m->yk);
}

/* The gradient of the batch's masked MSE into m->grads (n_params), every element overwritten;
 * m->row_loss gets each row's squared error. */
static ar_status backward(ar_model *m, const ar_batch *b, int weight_grads) {
    if (!m->sparse) return ar_dense_backward(m, b->rows, b->off, b->B, b->keep, b->scale);
    return ar_sparse_backward(m, b->csc, b->rows, b->off, b->B, b->keep, b->keep_in, b->scale,
                              weight_grads);
}

/* One Adam step (t = m->step) with coupled L2 on the weights; the learning rate decays per
 * finished epoch. Bias corrections are computed here in double. */
static ar_status update(ar_model *m, const ar_batch *b) {
    const ar_train_config *cf = &m->cfg;
    double bc1 = 1.0 - pow(cf->beta1, (double)m->step);
    double bc2 = 1.0 - pow(cf->beta2, (double)m->step);
    double lr = cf->lr * pow(cf->lr_decay, (double)m->epoch);
    const ark_adam_step s = {(float)lr, cf->beta1, cf->beta2, cf->eps, (float)bc1, (float)bc2,
                             cf->l2};
    if (m->sparse) return ar_sparse_update(m, b->csc, b->B, b->keep, b->keep_in, &s);
    return ark_adam_range(m->ctx, m->params, m->grads, m->m, m->v, 0, (int)m->L.n_params,
                          (int)m->L.n_decay, &s);
}

/* The batch rows_host[0..B) (the same rows as on the device at rows[off..]) as the step sees
 * it, with the configured dropout. */
static ar_batch make_batch(const ar_model *m, const int *rows_host, int off, int B, int csc) {
    const int n_obs = ar_model_batch_ratings(m, rows_host, B); /* over every shard */
    return (ar_batch){.rows = m->perm, .off = off, .B = B, .csc = csc,
                      .scale = 1.0f / (float)(n_obs > 0 ? n_obs : 1),
                      .keep = 1.0f - m->cfg.dropout, .keep_in = 1.0f - m->cfg.input_dropout};
}

/* Fisher-Yates with a generator seeded by (seed, epoch): the same seed, the same order. */
static void shuffle_rows(ar_model *m) {
    const int I = m->ds->n_rows;
    ar_rng rng = {m->cfg.seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(m->epoch + 1))};
    for (int i = 0; i < I; i++) m->perm_host[i] = i;
    for (int i = I - 1; i > 0; i--) {
        int j = (int)(ar_rng_next(&rng) % (uint64_t)(i + 1));
        int t = m->perm_host[i];
        m->perm_host[i] = m->perm_host[j];
        m->perm_host[j] = t;
    }
}

/* Every batch of one shuffled epoch, one step each; *sse gets the epoch's training SSE. Within
 * the epoch nothing waits for the device: the one read is the per-row loss at the end. */
static ar_status run_epoch(ar_model *m, double *sse) {
    const int I = m->ds->n_rows;
    ar_status st = AR_OK;
    ar_epoch_watch w; /* the progress callback's, when the model has one (progress.c) */
    ar_watch_begin(m, &w);
    shuffle_rows(m);
    /* queued: perm_host stays as it is until the epoch's one blocking read below */
    AR_TRY(ar_write_queued(m->ctx, m->perm, 0, (size_t)I * sizeof(int), m->perm_host));
    /* the batch CSCs, built on the host and queued a chunk at a time (ar_sparse_queue_csc).
     * Only update reads them, so they are queued after backward: the first chunk is built while
     * the device runs the first batch. Before forward instead when its decoder walks them
     * (forward_reads_csc), and for a shard, whose passes wait for the other shards' partials
     * (ar_shard_sum): built there, a chunk overlaps the batch before's update. */
    const int csc_first = m->sparse && (forward_reads_csc(m) || m->shard);
    int csc_next = 0, csc_ent = 0; /* the first batch whose CSC is not yet built, its entry */
    for (int off = 0; off < I; off += m->B) {
        if (atomic_exchange(&m->interrupt, 0)) { /* ar_model_interrupt, from another thread */
            st = ar_fail(AR_ERR_INTERRUPTED, "training interrupted (ar_model_interrupt) in "
                         "epoch %d after %d of %d batches", m->epoch + 1, off / m->B,
                         m->n_batches);
            goto cleanup;
        }
        ar_batch b = make_batch(m, m->perm_host + off, off, I - off < m->B ? I - off : m->B,
                                off / m->B);
        const int need_csc = m->sparse && csc_next <= off / m->B;
        if (need_csc && csc_first)
            AR_TRY(ar_sparse_queue_csc(m, m->perm_host, I, &csc_next, &csc_ent));
        m->step++; /* keys this step's dropout masks, and is Adam's t */
        AR_TRY(forward(m, &b));
        AR_TRY(backward(m, &b, 0));
        if (need_csc && !csc_first)
            AR_TRY(ar_sparse_queue_csc(m, m->perm_host, I, &csc_next, &csc_ent));
        AR_TRY(update(m, &b));
        AR_TRY(ar_watch_batch(m, &w, off / m->B + 1));
    }
    AR_TRY(ar_model_read_sum(m, m->row_loss, sse));
    AR_TRY(ar_shard_sum_host(m, sse, 1));
cleanup:
    /* stopped early: the queued CSC writes read the host arrays, which the caller may free */
    if (st != AR_OK) clFinish(m->ctx->queue);
    ar_watch_end(&w);
    return st;
}

/* The epoch's statistics once it has run (t0..t1: its wall time; phase: device seconds). */
static void fill_stats(ar_model *m, ar_epoch_stats *s, double loss, const ar_metrics *e,
                       double t0, double t1, double *phase) {
    s->epoch = m->epoch;
    s->loss = loss;
    s->train_rmse = e->train.rmse;
    s->valid_rmse = e->valid.rmse;
    s->test_rmse = e->test.rmse;
    s->train_mae = e->train.mae;
    s->valid_mae = e->valid.mae;
    s->test_mae = e->test.mae;
    s->epoch_seconds = t1 - t0;
    s->eval_seconds = ar_time_seconds() - t1;
    double device = 0;
    for (int p = 0; p < AR_PHASE_COUNT; p++) device += phase[p];
    if (m->ctx->prof.enabled && !isnan(device))
        phase[AR_PHASE_HOST] = fmax(0.0, (t1 - t0) - device);
    memcpy(s->phase_seconds, phase, sizeof s->phase_seconds);
}

ar_status ar_model_train_epoch(ar_model *m, ar_epoch_stats *stats) {
    ar_status st = AR_OK;
    double phase[AR_PHASE_COUNT] = {0}, sse = 0;
    ar_metrics e;
    double t0 = ar_time_seconds();
    m->ctx->prof.recording = m->ctx->prof.enabled; /* time this epoch's commands by phase */
    AR_TRY(run_epoch(m, &sse));
    double t1 = ar_time_seconds();
    m->ctx->prof.recording = 0;
    AR_TRY(ar_prof_collect(m->ctx, phase));
    m->epoch++;
    double loss = sse / (double)ar_model_train_all(m);
    if (!isfinite(loss)) {
        st = ar_fail(AR_ERR_DIVERGED, "training diverged in epoch %d: the loss is %g; try a "
                     "smaller ar_train_config.lr", m->epoch, loss);
        goto cleanup;
    }
    AR_TRY(ar_model_evaluate_metrics(m, &e));
    if (stats) fill_stats(m, stats, loss, &e, t0, t1, phase);
cleanup:
    if (m->ctx->prof.recording) { /* an error inside the epoch: drop its pending events */
        m->ctx->prof.recording = 0;
        ar_prof_discard(m->ctx);
    }
    return st;
}

ar_status ar_model_batch(ar_model *m, const int *rows, int B, uint32_t step, int adam,
                         double *loss, float *grads) {
    ar_status st = AR_OK;
    if (B < 1 || B > m->B) return ar_fail(AR_ERR_INVALID_ARG, "batch of %d rows (max %d)", B, m->B);
    ar_batch b = make_batch(m, rows, 0, B, 0);
    AR_TRY(ar_write(m->ctx, m->perm, 0, (size_t)B * sizeof(int), rows));
    if (m->sparse) AR_TRY(ar_sparse_upload_csc(m, rows, B, 1));
    m->step = step;
    AR_TRY(forward(m, &b));
    AR_TRY(backward(m, &b, grads != NULL)); /* the whole gradient, when it is read */
    if (adam) AR_TRY(update(m, &b));
    if (grads) AR_TRY(ar_model_read_grads(m, grads));
    if (loss) {
        double sse = 0;
        AR_TRY(ar_read(m->ctx, m->row_loss, 0, (size_t)m->ds->n_rows * sizeof(float),
                       m->row_host));
        for (int i = 0; i < B; i++) sse += m->row_host[rows[i]];
        *loss = sse * b.scale;
    }
cleanup:
    return st;
}
