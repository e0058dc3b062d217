/* trainer.c: one optimizer step at a time.
 *
 * A step: grad_accum_steps micro-batches of batch_size random windows (forward + backward each,
 * gradients summed), gradients averaged over the micro-batches, clipped to a global norm, then
 * one AdamW update at the learning rate of the warmup + cosine schedule.
 *
 * Determinism: the data order and fill-in-the-middle choices come from trainer->rng_state alone
 * (saved in checkpoints, so a resumed run continues the same stream), and every reduction in the
 * ops has a fixed order, so two runs with the same seed and thread count are bit-identical. */
#include "train/backend_cuda.h"
#include "train/dataset.h"
#include "core/error.h"
#include "matmul/matmul.h"
#include "model/model.h"
#include "core/profile.h"
#include "core/rng.h"
#include "core/threadpool.h"
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sl_train_options_default(sl_train_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->batch_size = 4;
    o->seq_len = 0; /* the model's context length, resolved when the trainer is created */
    o->grad_accum_steps = 1;
    o->learning_rate = 3e-4f;
    o->min_lr_ratio = 0.1f;
    o->warmup_steps = 100;
    o->total_steps = 10000;
    o->weight_decay = 0.1f;
    o->beta1 = 0.9f;
    o->beta2 = 0.95f;
    o->eps = 1e-8f;
    o->grad_clip = 1.0f;
    o->fim_rate = 0.5f;
    o->fim_spm_rate = 0.5f;
    o->seed = 1337;
}

/* Resolve seq_len 0 and reject anything the step could not run with. */
static sl_status resolve_options(const sl_model *model, const sl_train_options *in, sl_train_options *out) {
    if (!in) return sl_fail(SL_ERR_INVALID_ARGUMENT, "training options are NULL");
    sl_train_options o = *in;
    int ctx = model->config.context_length;
    if (o.seq_len == 0) o.seq_len = ctx;
    if (o.seq_len < 1 || o.seq_len > ctx)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "seq_len %d must be in [1, %d] (the model's context length)", o.seq_len, ctx);
    if (o.batch_size < 1) return sl_fail(SL_ERR_INVALID_ARGUMENT, "batch_size must be >= 1, got %d", o.batch_size);
    if ((int64_t)o.batch_size * o.seq_len > (1 << 24))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "batch_size x seq_len = %lld tokens is too large", (long long)o.batch_size * o.seq_len);
    if (o.grad_accum_steps < 1)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "grad_accum_steps must be >= 1, got %d", o.grad_accum_steps);
    if (!(o.learning_rate >= 0.0f) || !isfinite(o.learning_rate))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "learning_rate must be finite and >= 0, got %g", o.learning_rate);
    if (!(o.min_lr_ratio >= 0.0f && o.min_lr_ratio <= 1.0f))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "min_lr_ratio must be in [0, 1], got %g", o.min_lr_ratio);
    if (o.warmup_steps < 0 || o.total_steps < 0)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "warmup_steps and total_steps must be >= 0 (got %d, %d)", o.warmup_steps, o.total_steps);
    if (!(o.weight_decay >= 0.0f) || !isfinite(o.weight_decay))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "weight_decay must be finite and >= 0, got %g", o.weight_decay);
    if (!(o.beta1 >= 0.0f && o.beta1 < 1.0f) || !(o.beta2 >= 0.0f && o.beta2 < 1.0f))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "beta1 and beta2 must be in [0, 1) (got %g, %g)", o.beta1, o.beta2);
    if (!(o.eps > 0.0f) || !isfinite(o.eps)) return sl_fail(SL_ERR_INVALID_ARGUMENT, "eps must be > 0, got %g", o.eps);
    if (!(o.grad_clip >= 0.0f) || !isfinite(o.grad_clip))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "grad_clip must be finite and >= 0 (0 = off), got %g", o.grad_clip);
    if (!(o.fim_rate >= 0.0f && o.fim_rate <= 1.0f) || !(o.fim_spm_rate >= 0.0f && o.fim_spm_rate <= 1.0f))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "fim_rate and fim_spm_rate must be in [0, 1] (got %g, %g)", o.fim_rate, o.fim_spm_rate);
    *out = o;
    return SL_OK;
}

/* Linear warmup to the peak over warmup_steps (step 0 already trains at peak/warmup), then a
 * half cosine down to peak * min_lr_ratio at total_steps, flat after. */
float sl_learning_rate_at(const sl_train_options *o, int64_t step) {
    double peak = o->learning_rate, lowest = peak * o->min_lr_ratio;
    if (step < o->warmup_steps) return (float)(peak * (double)(step + 1) / o->warmup_steps);
    if (step >= o->total_steps || o->total_steps <= o->warmup_steps) return (float)lowest;
    double progress = (double)(step - o->warmup_steps) / (double)(o->total_steps - o->warmup_steps);
    return (float)(lowest + 0.5 * (1.0 + cos(3.14159265358979323846 * progress)) * (peak - lowest));
}

sl_status sl_trainer_create(sl_model *model, const sl_train_options *opts, sl_trainer **out) {
    if (!out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_create: out is NULL");
    *out = NULL;
    if (!model) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_create: model is NULL");
    sl_train_options resolved;
    sl_status st = resolve_options(model, opts, &resolved);
    if (st != SL_OK) return st;
    sl_trainer *t = sl_calloc_or_fail(1, sizeof *t, "trainer");
    if (!t) return SL_ERR_OUT_OF_MEMORY;
    t->model = model;
    t->opts = resolved;
    t->adam_m = sl_calloc_or_fail(model->num_params, sizeof(float), "AdamW first moments");
    t->adam_v = t->adam_m ? sl_calloc_or_fail(model->num_params, sizeof(float), "AdamW second moments") : NULL;
    if (!t->adam_v) {
        sl_trainer_free(t);
        return SL_ERR_OUT_OF_MEMORY;
    }
    sl_rng rng;
    sl_rng_seed(&rng, resolved.seed);
    t->rng_state = rng.state;
    sl_trainer_set_precision(t, "auto"); /* cannot fail */
    *out = t;
    return SL_OK;
}

void sl_trainer_free(sl_trainer *trainer) {
    if (!trainer) return;
    sl_cuda_trainer_detach(trainer);
    sl_profile_report();
    free(trainer->adam_m);
    free(trainer->adam_v);
    free(trainer);
}

int64_t sl_trainer_step_count(const sl_trainer *t) { return t ? t->step : 0; }
int64_t sl_trainer_tokens_seen(const sl_trainer *t) { return t ? t->tokens_seen : 0; }

sl_status sl_trainer_set_options(sl_trainer *trainer, const sl_train_options *opts) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_set_options: trainer is NULL");
    sl_train_options resolved;
    sl_status st = resolve_options(trainer->model, opts, &resolved);
    if (st != SL_OK) return st;
    /* A new seed restarts the data stream; the same seed continues it. */
    if (resolved.seed != trainer->opts.seed) {
        sl_rng rng;
        sl_rng_seed(&rng, resolved.seed);
        trainer->rng_state = rng.state;
    }
    trainer->opts = resolved;
    return SL_OK;
}

/* "auto": bf16 where the CPU multiplies bf16 natively. bf16 training follows fp32's loss curve (on
 * the small preset, 300 steps of real code: docs/training-speed.md) at a higher rate. */
static const int AUTO_PICKS_BF16 = 1;

sl_status sl_trainer_set_precision(sl_trainer *trainer, const char *precision) {
    if (!trainer || !precision) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_set_precision: NULL trainer or precision");
    if (strcmp(precision, "fp32") == 0) {
        trainer->bf16_matmuls = 0;
    } else if (strcmp(precision, "bf16") == 0) {
        if (!sl_matmul_bf16_available())
            return sl_fail(SL_ERR_UNSUPPORTED, "bf16 training needs a CPU with AVX512-BF16; this one has none (use fp32)");
        trainer->bf16_matmuls = 1;
    } else if (strcmp(precision, "auto") == 0) {
        trainer->bf16_matmuls = AUTO_PICKS_BF16 && sl_matmul_bf16_available();
    } else {
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "unknown precision '%s' (expected fp32, bf16 or auto)", precision);
    }
    return SL_OK;
}

const char *sl_trainer_precision(const sl_trainer *trainer) {
    return trainer && trainer->bf16_matmuls ? "bf16" : "fp32";
}

sl_train_options sl_trainer_options(const sl_trainer *trainer) {
    sl_train_options o;
    if (trainer) return trainer->opts;
    sl_train_options_default(&o);
    return o;
}

static sl_status check_data(const sl_dataset *data, int T, const char *what) {
    if (!data) return sl_fail(SL_ERR_INVALID_ARGUMENT, "%s data is NULL", what);
    if (data->n_tokens < (size_t)T + 1)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "%s data has %zu tokens; need at least seq_len+1 = %d",
                       what, data->n_tokens, T + 1);
    return SL_OK;
}

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
/* Step                                                                                            */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

sl_status sl_trainer_step(sl_trainer *trainer, const sl_dataset *data, sl_step_stats *out) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_step: trainer is NULL");
    if (trainer->device_state) return sl_cuda_trainer_step(trainer, data, out);
    double t_start = now_seconds();
    const sl_train_options *o = &trainer->opts;
    sl_model *model = trainer->model;
    int B = o->batch_size, T = o->seq_len;
    sl_status st = check_data(data, T, "training");
    if (st != SL_OK) return st;

    size_t bt = (size_t)B * T;
    int32_t *inputs = sl_calloc_or_fail(2 * bt, sizeof(int32_t), "training batch");
    if (!inputs) return SL_ERR_OUT_OF_MEMORY;
    int32_t *targets = inputs + bt;

    /* bf16: the weights are converted once here and serve every micro-batch of the step. */
    st = trainer->bf16_matmuls ? sl_model_begin_bf16(model) : SL_OK;
    sl_rng rng = {trainer->rng_state};
    double loss_sum = 0.0;
    for (int micro = 0; micro < o->grad_accum_steps && st == SL_OK; micro++) {
        int64_t t0 = sl_profile_start();
        for (int b = 0; b < B; b++)
            sl_dataset_sample_window(data, o, &rng, T, inputs + (size_t)b * T, targets + (size_t)b * T);
        sl_profile_stop(SL_PROF_DATA, t0);
        float loss = 0.0f;
        st = sl_model_forward(model, inputs, targets, B, T, &loss);
        /* The first micro-batch writes the gradients (no zeroing pass), the others add to them. */
        if (st == SL_OK) st = micro == 0 ? sl_model_backward_set(model) : sl_model_backward(model);
        loss_sum += loss;
    }
    sl_model_end_bf16(model);
    free(inputs);
    if (st != SL_OK) return st; /* parameters untouched; the data stream is not advanced either */

    /* The gradients are a sum over micro-batches of per-micro-batch means: average them, and fold
     * the clipping factor into the same pass. */
    int accum = o->grad_accum_steps;
    double norm = 0.0;
    int64_t t0 = sl_profile_start();
    if (accum > 1) scale_gradients(model, 1.0f / (float)accum);
    st = gradient_norm(model, &norm);
    if (st != SL_OK) return st;
    trainer->rng_state = rng.state; /* these windows are used up, whatever happens next */
    if (!isfinite(norm) || !isfinite(loss_sum)) {
        sl_profile_stop(SL_PROF_GRAD_NORM, t0);
        /* One bad batch must not poison the weights or the optimizer moments: refuse the update. */
        return sl_fail(SL_ERR_INTERNAL, "step %lld: loss %g, gradient norm %g: not finite; parameters left unchanged",
                       (long long)trainer->step + 1, loss_sum / accum, norm);
    }
    if (o->grad_clip > 0.0f && norm > o->grad_clip) scale_gradients(model, (float)(o->grad_clip / norm));
    sl_profile_stop(SL_PROF_GRAD_NORM, t0);

    float lr = sl_learning_rate_at(o, trainer->step);
    t0 = sl_profile_start();
    sl_adamw_update(model, trainer->adam_m, trainer->adam_v, lr, o->beta1, o->beta2, o->eps,
                    o->weight_decay, trainer->step + 1);
    sl_profile_stop(SL_PROF_ADAMW, t0);
    sl_profile_step();

    trainer->step++;
    trainer->tokens_seen += (int64_t)bt * accum;
    if (out) {
        out->step = trainer->step;
        out->tokens_seen = trainer->tokens_seen;
        out->loss = (float)(loss_sum / accum);
        out->grad_norm = (float)norm;
        out->learning_rate = lr;
        out->seconds = now_seconds() - t_start;
    }
    return SL_OK;
}

/* Windows k = 0, 1, ... cover inputs [k T, (k+1) T) and predict the token after each, so every
 * token is a target once. With more windows than max_batches * batch_size, an evenly spaced subset
 * is taken (the whole set, not just its first files). */
sl_status sl_trainer_evaluate(sl_trainer *trainer, const sl_dataset *data, int max_batches,
                              float *out_loss) {
    if (!trainer || !out_loss) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_evaluate: NULL trainer or out_loss");
    int B = trainer->opts.batch_size, T = trainer->opts.seq_len;
    sl_status st = check_data(data, T, "evaluation");
    if (st != SL_OK) return st;
    size_t windows = (data->n_tokens - 1) / (size_t)T;
    size_t wanted = max_batches > 0 && (size_t)max_batches * B < windows ? (size_t)max_batches * B : windows;

    size_t bt = (size_t)B * T;
    int32_t *inputs = sl_calloc_or_fail(2 * bt, sizeof(int32_t), "evaluation batch");
    if (!inputs) return SL_ERR_OUT_OF_MEMORY;
    int32_t *targets = inputs + bt;
    double weighted = 0.0;
    for (size_t first = 0; first < wanted && st == SL_OK; first += (size_t)B) {
        int nb = (int)(wanted - first < (size_t)B ? wanted - first : (size_t)B);
        for (int b = 0; b < nb; b++) {
            size_t w = (first + b) * windows / wanted; /* evenly spaced, strictly increasing */
            memcpy(inputs + (size_t)b * T, data->tokens + w * T, sizeof(int32_t) * T);
            memcpy(targets + (size_t)b * T, data->tokens + w * T + 1, sizeof(int32_t) * T);
        }
        float loss = 0.0f;
        st = trainer->device_state ? sl_cuda_trainer_loss(trainer, inputs, targets, nb, T, &loss)
                                   : sl_model_loss(trainer->model, inputs, targets, nb, T, &loss);
        weighted += (double)loss * nb;
    }
    free(inputs);
    if (st != SL_OK) return st;
    *out_loss = (float)(weighted / wanted);
    return SL_OK;
}
