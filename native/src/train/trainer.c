/* trainer.c: one optimizer step at a time.
 *
 * A step: grad_accum_steps micro-batches of batch_size random windows (forward + backward each,
 * gradients summed), gradients averaged over the micro-batches, clipped to a global norm, then
 * one AdamW update at the learning rate of the warmup + cosine schedule. This file draws the
 * windows, sets the learning rate and keeps the statistics; the arithmetic runs on the trainer's
 * backend (train_backend.h: the CPU, or a GPU).
 *
 * Determinism: the data order and fill-in-the-middle choices come from trainer->rng_state alone
 * (saved in checkpoints, so a resumed run continues the same stream), and every reduction in the
 * ops has a fixed order, so two runs with the same seed and thread count are bit-identical. */
#include "train/dataset.h"
#include "core/error.h"
#include "core/platform.h"
#include "matmul/matmul.h"
#include "model/model.h"
#include "core/profile.h"
#include "core/rng.h"
#include "train/trainer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    if (sl_cpu_backend_create(sl_trainer_host_state(t), &t->cpu) != SL_OK) {
        sl_trainer_free(t);
        return SL_ERR_OUT_OF_MEMORY;
    }
    t->backend = t->cpu;
    sl_rng rng;
    sl_rng_seed(&rng, resolved.seed);
    t->rng_state = rng.state;
    sl_trainer_set_precision(t, "auto"); /* cannot fail */
    *out = t;
    return SL_OK;
}

void sl_trainer_free(sl_trainer *trainer) {
    if (!trainer) return;
    sl_trainer_use_cpu(trainer);
    if (trainer->cpu) trainer->cpu->free(trainer->cpu);
    sl_profile_report();
    free(trainer->adam_m);
    free(trainer->adam_v);
    free(trainer);
}

sl_host_state sl_trainer_host_state(sl_trainer *t) { return (sl_host_state){t->model, t->adam_m, t->adam_v}; }

void sl_trainer_use_cpu(sl_trainer *t) {
    if (t->backend && t->backend != t->cpu) t->backend->free(t->backend);
    t->backend = t->cpu;
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
/* Step                                                                                            */

static double now_seconds(void) {
    return sl_monotonic_ns() * 1e-9;
}

/* New options may ask for a larger batch than the backend's buffers hold: rebuild them around the
 * current state. If that fails the host copies are current, so the trainer goes on on the CPU
 * rather than fail again at every step. */
static sl_status fit_backend(sl_trainer *t) {
    sl_train_backend *be = t->backend;
    int B = t->opts.batch_size, T = t->opts.seq_len;
    if (B <= be->max_batch && T <= be->max_seq) return SL_OK;
    sl_status st = be->sync(be);
    if (st != SL_OK) return st;
    st = be->resize(be, B, T);
    if (st != SL_OK) sl_trainer_use_cpu(t);
    return st;
}

sl_status sl_trainer_step(sl_trainer *trainer, const sl_dataset *data, sl_step_stats *out) {
    if (!trainer) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_trainer_step: trainer is NULL");
    double t_start = now_seconds();
    const sl_train_options *o = &trainer->opts;
    int B = o->batch_size, T = o->seq_len, accum = o->grad_accum_steps;
    sl_status st = check_data(data, T, "training");
    if (st == SL_OK) st = fit_backend(trainer);
    if (st != SL_OK) return st;

    /* Every window of the step is drawn here, in the same order whatever the device, so a run
     * sees the same data on the CPU and on a GPU. */
    size_t n = (size_t)B * T * accum;
    int32_t *inputs = sl_calloc_or_fail(2 * n, sizeof(int32_t), "training batch");
    if (!inputs) return SL_ERR_OUT_OF_MEMORY;
    int32_t *targets = inputs + n;
    sl_rng rng = {trainer->rng_state};
    int64_t t0 = sl_profile_start();
    for (size_t w = 0; w < (size_t)B * accum; w++)
        sl_dataset_sample_window(data, o, &rng, T, inputs + w * T, targets + w * T);
    sl_profile_stop(SL_PROF_DATA, t0);

    float lr = sl_learning_rate_at(o, trainer->step);
    sl_train_batch batch = {inputs, targets, accum, B, T};
    sl_step_params params = {lr, o->beta1, o->beta2, o->eps, o->weight_decay, o->grad_clip, trainer->step + 1,
                             trainer->bf16_matmuls};
    sl_step_result result = {0};
    st = trainer->backend->step(trainer->backend, &batch, &params, &result);
    free(inputs);
    if (st != SL_OK) return st; /* the data stream is not advanced either */
    trainer->rng_state = rng.state; /* these windows are used up, whatever happens next */
    if (!result.applied)
        return sl_fail(SL_ERR_INTERNAL, "step %lld: loss %g, gradient norm %g: not finite; parameters left unchanged",
                       (long long)trainer->step + 1, result.loss, result.grad_norm);

    trainer->step++;
    trainer->tokens_seen += (int64_t)n;
    if (out) {
        out->step = trainer->step;
        out->tokens_seen = trainer->tokens_seen;
        out->loss = result.loss;
        out->grad_norm = result.grad_norm;
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
    if (st == SL_OK) st = fit_backend(trainer);
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
        st = trainer->backend->loss(trainer->backend, inputs, targets, nb, T, &loss);
        weighted += (double)loss * nb;
    }
    free(inputs);
    if (st != SL_OK) return st;
    *out_loss = (float)(weighted / wanted);
    return SL_OK;
}
