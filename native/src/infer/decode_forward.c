/* decode_forward.c: the inference forward over a KV cache (see decode_forward.h).
 *
 * A decode step (one row) is bound by reading the weights, so its matrix products are GEMVs over
 * output-row blocks, split across threads only when a matrix is big enough to pay for waking
 * a worker. A prompt (many rows) uses the blocked matmul. */
#include "infer/decode_forward.h"

#include "core/error.h"
#include "matmul/matmul.h"
#include "model/ops.h"
#include "core/threadpool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Up to this many rows the weight-streaming GEMV kernel beats packing for the blocked matmul. */
#define SKINNY_MAX_ROWS 8
/* Output rows per GEMV task. */
#define LINEAR_BLOCK 16
/* Multiply-adds worth giving a thread: a few microseconds of work (a 128 KB slice of
 * half-precision weights), several times what handing it to a spinning worker costs. Smaller
 * regions run on fewer threads, so a big pool does not wake every worker for a decode step. */
#define WORK_PER_THREAD 65536.0

static int threads_for(double multiply_adds) {
    int pool = sl_pool_threads();
    double wanted = multiply_adds / WORK_PER_THREAD;
    return wanted < 1.0 ? 1 : wanted >= pool ? pool : (int)wanted;
}

sl_status sl_kv_cache_init(sl_kv_cache *kv, const sl_config *config, int capacity) {
    memset(kv, 0, sizeof *kv);
    sl_status st = sl_config_validate(config);
    if (st != SL_OK) return st;
    if (capacity < 1 || capacity > config->context_length)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "KV cache capacity %d out of range [1, %d]", capacity,
                       config->context_length);
    kv->config = *config;
    kv->capacity = capacity;
    kv->max_rows = capacity < 512 ? capacity : 512;
    kv->kernels = sl_decode_kernels_select();
    const size_t L = (size_t)config->n_layers, C = (size_t)config->d_model, R = (size_t)kv->max_rows;
    const size_t cache_floats = L * C * (size_t)capacity;
    kv->keys_t = sl_calloc_or_fail(cache_floats, sizeof(float), "KV cache keys");
    kv->values = sl_calloc_or_fail(cache_floats, sizeof(float), "KV cache values");
    kv->x = sl_calloc_or_fail(R * C, sizeof(float), "inference residual stream");
    kv->ln = sl_calloc_or_fail(R * C, sizeof(float), "inference layernorm output");
    kv->qkv = sl_calloc_or_fail(R * 3 * C, sizeof(float), "inference q|k|v");
    kv->att = sl_calloc_or_fail(R * C, sizeof(float), "inference attention output");
    kv->proj = sl_calloc_or_fail(R * C, sizeof(float), "inference projection output");
    kv->hidden = sl_calloc_or_fail(R * 4 * C, sizeof(float), "inference MLP hidden");
    if (!kv->keys_t || !kv->values || !kv->x || !kv->ln || !kv->qkv || !kv->att || !kv->proj ||
        !kv->hidden) {
        sl_kv_cache_free(kv);
        return SL_ERR_OUT_OF_MEMORY;
    }
    return SL_OK;
}

void sl_kv_cache_free(sl_kv_cache *kv) {
    if (!kv) return;
    free(kv->keys_t);
    free(kv->values);
    free(kv->x);
    free(kv->ln);
    free(kv->qkv);
    free(kv->att);
    free(kv->proj);
    free(kv->hidden);
    free(kv->scores);
    memset(kv, 0, sizeof *kv);
}

/* One query's score row per worker; the pool may have grown since the cache was made. */
static sl_status ensure_score_scratch(sl_kv_cache *kv) {
    int threads = sl_pool_threads();
    if (threads <= kv->score_threads) return SL_OK;
    float *s = sl_calloc_or_fail((size_t)threads * SL_ATTEND4_SCRATCH(kv->capacity), sizeof(float), "attention scores");
    if (!s) return SL_ERR_OUT_OF_MEMORY;
    free(kv->scores);
    kv->scores = s;
    kv->score_threads = threads;
    return SL_OK;
}

/* ---- half-precision weights ------------------------------------------------------------------ */

static size_t half_weight_count(const sl_config *c) {
    size_t C = (size_t)c->d_model, L = (size_t)c->n_layers;
    return L * 12 * C * C + (size_t)c->vocab_size * C;
}

void sl_half_weights_refresh(sl_half_weights *w, const sl_model *model, const sl_decode_kernels *kernels) {
    const sl_config *c = &model->config;
    size_t C = (size_t)c->d_model, L = (size_t)c->n_layers;
    const sl_param_tensors *p = &model->params;
    kernels->to_f16(w->qkvw, p->qkvw, L * 3 * C * C);
    kernels->to_f16(w->attprojw, p->attprojw, L * C * C);
    kernels->to_f16(w->fcw, p->fcw, L * 4 * C * C);
    kernels->to_f16(w->fcprojw, p->fcprojw, L * 4 * C * C);
    kernels->to_f16(w->wte, p->wte, (size_t)c->vocab_size * C);
}

sl_status sl_half_weights_init(sl_half_weights *w, const sl_model *model, const sl_decode_kernels *kernels) {
    memset(w, 0, sizeof *w);
    const sl_config *c = &model->config;
    size_t C = (size_t)c->d_model, L = (size_t)c->n_layers;
    w->memory = sl_calloc_or_fail(half_weight_count(c), sizeof(uint16_t), "half-precision decode weights");
    if (!w->memory) return SL_ERR_OUT_OF_MEMORY;
    w->qkvw = w->memory;
    w->attprojw = w->qkvw + L * 3 * C * C;
    w->fcw = w->attprojw + L * C * C;
    w->fcprojw = w->fcw + L * 4 * C * C;
    w->wte = w->fcprojw + L * 4 * C * C;
    sl_half_weights_refresh(w, model, kernels);
    return SL_OK;
}

void sl_half_weights_free(sl_half_weights *w) {
    if (!w) return;
    free(w->memory);
    memset(w, 0, sizeof *w);
}

/* ---- matrix products -------------------------------------------------------------------------- */

typedef struct {
    const sl_decode_kernels *kernels;
    float *out;
    const float *inp, *weight, *bias;
    const uint16_t *weight16;
    int n, C, OC;
} linear_job;

static void linear_body(void *ctx, int begin, int end, int thread) {
    (void)thread;
    const linear_job *j = ctx;
    int o_end = end * LINEAR_BLOCK < j->OC ? end * LINEAR_BLOCK : j->OC;
    if (j->weight16)
        j->kernels->linear_f16(j->out, j->inp, j->weight16, j->bias, j->n, j->C, j->OC, begin * LINEAR_BLOCK, o_end);
    else
        j->kernels->linear(j->out, j->inp, j->weight, j->bias, j->n, j->C, j->OC, begin * LINEAR_BLOCK, o_end);
}

/* out[n, OC] = inp[n, C] @ weight[OC, C]^T + bias; few rows read weight16 (the same matrix in
 * half precision) when it is given. */
static void linear(const sl_kv_cache *kv, float *out, const float *inp, const float *weight,
                   const uint16_t *weight16, const float *bias, int n, int C, int OC) {
    if (n > SKINNY_MAX_ROWS) {
        sl_matmul_forward(out, inp, weight, bias, n, C, OC);
        return;
    }
    if (!kv->half || !kv->kernels->linear_f16) weight16 = NULL;
    linear_job job = {kv->kernels, out, inp, weight, bias, weight16, n, C, OC};
    int tasks = (OC + LINEAR_BLOCK - 1) / LINEAR_BLOCK;
    sl_parallel_for_limited(tasks, threads_for((double)n * C * OC), linear_body, &job);
}

/* ---- attention -------------------------------------------------------------------------------- */

typedef struct {
    sl_kv_cache *kv;
    int layer, n, pos0;
    float *probs;
    int probs_stride;
} attention_job;

static void attention_body(void *ctx, int begin, int end, int thread) {
    const attention_job *job = ctx;
    sl_kv_cache *kv = job->kv;
    const int C = kv->config.d_model, NH = kv->config.n_heads, hs = C / NH, cap = kv->capacity;
    const int n_groups = (job->n + 3) / 4;
    const float scale = 1.0f / sqrtf((float)hs);
    const size_t ps = (size_t)job->probs_stride;
    float *scores = kv->scores + (size_t)thread * SL_ATTEND4_SCRATCH(cap);
    for (int task = begin; task < end; task++) {
        int h = task % NH, k = task / NH;
        /* Groups of four rows in the order first, last, second, second-to-last, ...: later rows
         * attend to more keys, so contiguous chunks of tasks get equal work. */
        int group = (k & 1) ? n_groups - 1 - k / 2 : k / 2;
        int row0 = group * 4, rows = job->n - row0 < 4 ? job->n - row0 : 4;
        size_t lh = (size_t)job->layer * NH + h;
        const float *keys_t = kv->keys_t + lh * hs * cap, *values = kv->values + lh * cap * hs;
        float *probs = job->probs ? job->probs + (lh * ps + job->pos0 + row0) * ps : NULL;
        float *out = kv->att + (size_t)row0 * C + h * hs;
        const float *q = kv->qkv + (size_t)row0 * 3 * C + h * hs;
        if (rows == 4) {
            kv->kernels->attend4(out, (size_t)C, probs, ps, scores, q, (size_t)3 * C, keys_t, values,
                                 job->pos0 + row0 + 1, hs, cap, scale);
            continue;
        }
        for (int r = 0; r < rows; r++)
            kv->kernels->attend(out + (size_t)r * C, probs ? probs + r * ps : NULL, scores,
                                q + (size_t)r * 3 * C, keys_t, values, job->pos0 + row0 + r + 1, hs, cap, scale);
    }
}

/* Copy the new rows' keys and values from qkv into the cache of this layer. Keys go in
 * transposed, sixteen positions at a time, so each write fills a cache line instead of touching
 * one float of sixteen different lines. */
static void store_keys_values(sl_kv_cache *kv, int layer, int n, int pos0) {
    const int C = kv->config.d_model, NH = kv->config.n_heads, hs = C / NH, cap = kv->capacity;
    for (int h = 0; h < NH; h++) {
        size_t lh = (size_t)layer * NH + h;
        float *kt = kv->keys_t + lh * hs * cap, *v = kv->values + lh * cap * hs;
        const float *k_src = kv->qkv + C + h * hs, *v_src = kv->qkv + 2 * C + h * hs;
        for (int t0 = 0; t0 < n; t0 += 16) {
            int rows = n - t0 < 16 ? n - t0 : 16;
            for (int d = 0; d < hs; d++) {
                float *dst = kt + (size_t)d * cap + pos0 + t0;
                for (int t = 0; t < rows; t++) dst[t] = k_src[(size_t)(t0 + t) * 3 * C + d];
            }
        }
        for (int t = 0; t < n; t++)
            memcpy(v + (size_t)(pos0 + t) * hs, v_src + (size_t)t * 3 * C, (size_t)hs * sizeof(float));
    }
}

/* ---- elementwise ------------------------------------------------------------------------------ */

static void add_inplace(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

/* ---- the forward ------------------------------------------------------------------------------ */

/* Rows [0, n) of the scratch at positions pos0..: through every block. Returns the row of kv->x
 * that holds the last token's output.
 *
 * In the last layer only keys and values are needed from every row (for later tokens); the rest
 * of the layer matters only for the row whose logits are wanted. So unless attention maps are
 * being recorded, the last layer continues with the last row alone (need_output) or stops after
 * storing keys and values: a quarter less work for a prompt of a 4-layer model. */
/* blocks_forward's answer when kv->cancel was raised before a layer. */
#define BLOCKS_CANCELLED (-2)

static int blocks_forward(sl_kv_cache *kv, const sl_model *model, const int32_t *tokens, int n,
                          int pos0, float *probs, int probs_stride, int need_output) {
    const sl_config *cfg = &kv->config;
    const int C = cfg->d_model, NH = cfg->n_heads;
    const sl_param_tensors *p = &model->params;
    const sl_half_weights *h = kv->half;
    for (int t = 0; t < n; t++) {
        const float *te = p->wte + (size_t)tokens[t] * C, *pe = p->wpe + (size_t)(pos0 + t) * C;
        float *x = kv->x + (size_t)t * C;
        for (int c = 0; c < C; c++) x[c] = te[c] + pe[c];
    }
    for (int l = 0; l < cfg->n_layers; l++) {
        if (sl_cancel_flag_is_set(kv->cancel)) return BLOCKS_CANCELLED;
        const size_t lc = (size_t)l * C;
        sl_layernorm_forward(kv->ln, NULL, NULL, kv->x, p->ln1w + lc, p->ln1b + lc, n, C);
        linear(kv, kv->qkv, kv->ln, p->qkvw + lc * 3 * C, h ? h->qkvw + lc * 3 * C : NULL, p->qkvb + lc * 3, n, C, 3 * C);
        store_keys_values(kv, l, n, pos0);
        if (l == cfg->n_layers - 1 && !probs) {
            if (!need_output) return -1;
            if (n > 1) {
                memcpy(kv->x, kv->x + (size_t)(n - 1) * C, sizeof(float) * C);
                memcpy(kv->qkv, kv->qkv + (size_t)(n - 1) * 3 * C, sizeof(float) * 3 * C);
                pos0 += n - 1;
                n = 1;
            }
        }
        attention_job aj = {kv, l, n, pos0, probs, probs_stride};
        double attention_work = (double)n * (pos0 + n) * C * 2;
        sl_parallel_for_limited((n + 3) / 4 * NH, threads_for(attention_work), attention_body, &aj);
        linear(kv, kv->proj, kv->att, p->attprojw + lc * C, h ? h->attprojw + lc * C : NULL, p->attprojb + lc, n, C, C);
        add_inplace(kv->x, kv->proj, (size_t)n * C);
        sl_layernorm_forward(kv->ln, NULL, NULL, kv->x, p->ln2w + lc, p->ln2b + lc, n, C);
        linear(kv, kv->hidden, kv->ln, p->fcw + lc * 4 * C, h ? h->fcw + lc * 4 * C : NULL, p->fcb + lc * 4, n, C, 4 * C);
        sl_gelu_forward(kv->hidden, kv->hidden, n * 4 * C);
        linear(kv, kv->proj, kv->hidden, p->fcprojw + lc * 4 * C, h ? h->fcprojw + lc * 4 * C : NULL, p->fcprojb + lc, n, 4 * C, C);
        add_inplace(kv->x, kv->proj, (size_t)n * C);
    }
    return n - 1;
}

sl_status sl_kv_forward(sl_kv_cache *kv, const sl_model *model, const int32_t *tokens, int n,
                        int pos0, float *logits, float *probs, int probs_stride) {
    const sl_config *cfg = &kv->config;
    if (!model || !tokens) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_kv_forward: NULL argument");
    if (memcmp(&model->config, cfg, sizeof *cfg) != 0)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "KV cache was made for a model of another shape");
    if (n < 1 || pos0 < 0 || pos0 + n > kv->capacity)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "positions %d..%d outside the KV cache (capacity %d)",
                       pos0, pos0 + n - 1, kv->capacity);
    for (int t = 0; t < n; t++)
        if (tokens[t] < 0 || tokens[t] >= cfg->vocab_size)
            return sl_fail(SL_ERR_INVALID_ARGUMENT, "token id %d at position %d outside the vocabulary [0, %d)",
                           tokens[t], pos0 + t, cfg->vocab_size);
    sl_status st = ensure_score_scratch(kv);
    if (st != SL_OK) return st;

    for (int done = 0; done < n;) {
        int rows = n - done < kv->max_rows ? n - done : kv->max_rows;
        int last = done + rows == n;
        int out_row = blocks_forward(kv, model, tokens + done, rows, pos0 + done, probs, probs_stride, last && logits);
        if (out_row == BLOCKS_CANCELLED) return sl_fail(SL_ERR_CANCELLED, "cancelled");
        done += rows;
        if (last && logits) {
            const int C = cfg->d_model;
            const sl_param_tensors *p = &model->params;
            sl_layernorm_forward(kv->ln, NULL, NULL, kv->x + (size_t)out_row * C, p->lnfw, p->lnfb, 1, C);
            linear(kv, logits, kv->ln, p->wte, kv->half ? kv->half->wte : NULL, NULL, 1, C, cfg->vocab_size);
        }
    }
    return SL_OK;
}
