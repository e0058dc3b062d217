/* backend_cpu.c: the training backend that computes on the host: forward and backward of each
 * micro-batch (the first writes the gradients, the others add to them), the gradients averaged and
 * clipped to a global norm, then AdamW, all in place on the trainer's host state.
 *
 * Determinism: every reduction here has a fixed order (the norm sums fixed blocks, then the
 * blocks in order), so two runs with the same seed and thread count are bit-identical. */
#include "core/error.h"
#include "core/profile.h"
#include "core/threadpool.h"
#include "model/model.h"
#include "train/adamw.h"
#include "train/train_backend.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>

typedef struct {
    sl_train_backend base; /* first, so the vtable's self is this struct */
    sl_host_state state;
} cpu_backend;

/* ---------------------------------------------------------------------------------------------- */
/* Gradient norm and scaling                                                                       */

enum { NORM_BLOCK = 16384 };

typedef struct {
    float *grads;
    size_t n;
    float scale;
    double *block_sums;
} grad_ctx;

static void sum_squares_blocks(void *p, int begin, int end, int thread) {
    grad_ctx *c = p;
    for (int blk = begin; blk < end; blk++) {
        size_t i0 = (size_t)blk * NORM_BLOCK, i1 = i0 + NORM_BLOCK;
        if (i1 > c->n) i1 = c->n;
        float partial[16] = {0};
        size_t i = i0;
        for (; i + 16 <= i1; i += 16)
            for (int k = 0; k < 16; k++) partial[k] += c->grads[i + k] * c->grads[i + k];
        double s = 0.0;
        for (; i < i1; i++) s += (double)c->grads[i] * c->grads[i];
        for (int k = 0; k < 16; k++) s += partial[k];
        c->block_sums[blk] = s;
    }
}

static void scale_blocks(void *p, int begin, int end, int thread) {
    grad_ctx *c = p;
    size_t i0 = (size_t)begin * NORM_BLOCK, i1 = (size_t)end * NORM_BLOCK;
    if (i1 > c->n) i1 = c->n;
    for (size_t i = i0; i < i1; i++) c->grads[i] *= c->scale;
}

/* Global L2 norm of all gradients, summed per fixed block then over blocks in order. */
static sl_status gradient_norm(const sl_model *model, double *out) {
    grad_ctx c = {model->grads_memory, model->num_params, 1.0f, NULL};
    int blocks = (int)((c.n + NORM_BLOCK - 1) / NORM_BLOCK);
    c.block_sums = sl_calloc_or_fail((size_t)blocks, sizeof(double), "gradient norm partial sums");
    if (!c.block_sums) return SL_ERR_OUT_OF_MEMORY;
    sl_parallel_for(blocks, sum_squares_blocks, &c);
    double total = 0.0;
    for (int i = 0; i < blocks; i++) total += c.block_sums[i];
    free(c.block_sums);
    *out = sqrt(total);
    return SL_OK;
}

static void scale_gradients(const sl_model *model, float scale) {
    grad_ctx c = {model->grads_memory, model->num_params, scale, NULL};
    sl_parallel_for((int)((c.n + NORM_BLOCK - 1) / NORM_BLOCK), scale_blocks, &c);
}

/* ---------------------------------------------------------------------------------------------- */
/* The backend                                                                                     */

static sl_status cpu_step(sl_train_backend *self, const sl_train_batch *batch, const sl_step_params *p,
                          sl_step_result *out) {
    sl_host_state *s = &((cpu_backend *)self)->state;
    sl_model *model = s->model;
    size_t bt = (size_t)batch->B * batch->T;
    /* bf16: the weights are converted once here and serve every micro-batch of the step. */
    sl_status st = p->bf16_matmuls ? sl_model_begin_bf16(model) : SL_OK;
    double loss_sum = 0.0;
    for (int micro = 0; micro < batch->n_micro && st == SL_OK; micro++) {
        float loss = 0.0f;
        st = sl_model_forward(model, batch->inputs + micro * bt, batch->targets + micro * bt, batch->B, batch->T, &loss);
        /* The first micro-batch writes the gradients (no zeroing pass), the others add to them. */
        if (st == SL_OK) st = micro == 0 ? sl_model_backward_set(model) : sl_model_backward(model);
        loss_sum += loss;
    }
    sl_model_end_bf16(model);
    if (st != SL_OK) return st; /* parameters untouched */

    /* The gradients are a sum over micro-batches of per-micro-batch means: average them, and fold
     * the clipping factor into the same pass. */
    int accum = batch->n_micro;
    double norm = 0.0;
    int64_t t0 = sl_profile_start();
    if (accum > 1) scale_gradients(model, 1.0f / (float)accum);
    st = gradient_norm(model, &norm);
    if (st != SL_OK) return st;
    out->loss = (float)(loss_sum / accum);
    out->grad_norm = (float)norm;
    /* One bad batch must not poison the weights or the optimizer moments: refuse the update. */
    out->applied = isfinite(norm) && isfinite(loss_sum);
    if (out->applied && p->grad_clip > 0.0f && norm > p->grad_clip) scale_gradients(model, (float)(p->grad_clip / norm));
    sl_profile_stop(SL_PROF_GRAD_NORM, t0);
    if (!out->applied) return SL_OK;

    t0 = sl_profile_start();
    sl_adamw_update(model, s->adam_m, s->adam_v, p->learning_rate, p->beta1, p->beta2, p->eps, p->weight_decay, p->t);
    sl_profile_stop(SL_PROF_ADAMW, t0);
    sl_profile_step();
    return SL_OK;
}

static sl_status cpu_loss(sl_train_backend *self, const int32_t *inputs, const int32_t *targets, int B, int T,
                          float *out_loss) {
    return sl_model_loss(((cpu_backend *)self)->state.model, inputs, targets, B, T, out_loss);
}

static sl_status cpu_sync(sl_train_backend *self) { return SL_OK; } /* the host state is the state */

static void cpu_free(sl_train_backend *self) { free(self); }

sl_status sl_cpu_backend_create(sl_host_state state, sl_train_backend **out) {
    cpu_backend *b = sl_calloc_or_fail(1, sizeof *b, "CPU training backend");
    *out = b ? &b->base : NULL;
    if (!b) return SL_ERR_OUT_OF_MEMORY;
    b->base = (sl_train_backend){.name = "cpu", .max_batch = INT_MAX, .max_seq = INT_MAX, .step = cpu_step,
                                 .loss = cpu_loss, .sync = cpu_sync, .resize = NULL, .free = cpu_free};
    b->state = state;
    return SL_OK;
}
