/* model.c: the GPT-2 model: parameters, initialisation, the training forward and backward.
 *
 *   x = wte[tokens] + wpe[positions]
 *   for each layer:  x = x + attproj(attention(qkv(ln1(x))))
 *                    x = x + fcproj(gelu(fc(ln2(x))))
 *   logits = lnf(x) @ wte^T             (tied input/output embedding)
 *
 * The forward keeps every layer's intermediate tensors for the backward (struct sl_activations).
 * They are allocated for the (B, T) of the forward and reallocated only when a larger one comes.
 * A forward that will not be followed by a backward (sl_model_loss) keeps a single layer's worth
 * and reuses it for every layer. */
#include "core/error.h"
#include "matmul/matmul.h"
#include "model/model.h"
#include "model/ops.h"
#include "core/profile.h"
#include "core/rng.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sl_activations {
    int B, T;             /* of the last forward */
    int layers_kept;      /* L (training) or 1 (loss only) */
    size_t cap_bt;   /* allocated for B*T rows */
    int backward_ready;   /* the last forward had targets and was not yet back-propagated */
    float *memory, *grad_memory;

    int32_t *inputs; /* [B*T] copy, for the embedding backward */
    float *encoded;  /* [BT, C] */
    float *ln1, *ln1_mean, *ln1_rstd; /* [Lk, BT, C], [Lk, BT] x2 */
    float *qkv;      /* [Lk, BT, 3C] */
    float *atty;     /* [Lk, BT, C] attention output before the projection */
    float *lse;      /* [Lk, B, NH, T]: each attention row's log-sum-exp (the fused backward recomputes p) */
    float *residual2; /* [Lk, BT, C] after the attention branch */
    float *ln2, *ln2_mean, *ln2_rstd;
    float *fch, *fch_gelu; /* [Lk, BT, 4C] */
    float *residual3; /* [Lk, BT, C] after the MLP branch: the layer's output */
    float *lnf, *lnf_mean, *lnf_rstd;
    float *logits;   /* [BT, V]: logits, or their gradient after a forward with targets */
    float *branch;   /* [BT, C] a projection's output before it joins the residual stream */

    /* Backward scratch (allocated on the first backward). */
    float *dresidual; /* [BT, C] gradient flowing down the residual stream */
    float *dC;        /* [BT, C] */
    float *d4C;       /* [BT, 4C]: d(fc output), then dqkv [BT, 3C] */
};

/* The weight matrices converted to bf16 for one optimizer step (see model.h). */
enum { QKVW, ATTPROJW, FCW, FCPROJW, MATRICES_PER_LAYER };

struct sl_bf16_weights {
    int in_use;              /* between sl_model_begin_bf16 and sl_model_end_bf16 */
    float *memory;
    sl_bf16_weight wte;      /* the logits matmul (tied embedding) */
    sl_bf16_weight *layers;  /* [L][MATRICES_PER_LAYER] */
};

/* ---------------------------------------------------------------------------------------------- */
/* Creation                                                                                        */

sl_status sl_model_alloc(const sl_config *config, sl_model **out) {
    if (!out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_alloc: out is NULL");
    *out = NULL;
    sl_status st = sl_config_validate(config);
    if (st != SL_OK) return st;
    sl_model *m = sl_calloc_or_fail(1, sizeof *m, "model");
    if (!m) return SL_ERR_OUT_OF_MEMORY;
    m->config = *config;
    sl_param_sizes(config, m->param_sizes);
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) m->num_params += m->param_sizes[i];
    m->params_memory = sl_calloc_or_fail(m->num_params, sizeof(float), "model parameters");
    if (!m->params_memory) {
        free(m);
        return SL_ERR_OUT_OF_MEMORY;
    }
    sl_point_param_tensors(&m->params, m->params_memory, m->param_sizes);
    *out = m;
    return SL_OK;
}

/* GPT-2's initialisation: every weight matrix and both embeddings normal(0, 0.02); the two
 * projections that write into the residual stream scaled by 1/sqrt(2L) so the stream's variance
 * does not grow with depth; biases 0; LayerNorm gain 1, bias 0. */
sl_status sl_model_create(const sl_config *config, uint64_t seed, sl_model **out) {
    sl_status st = sl_model_alloc(config, out);
    if (st != SL_OK) return st;
    sl_model *m = *out;
    sl_rng rng;
    sl_rng_seed(&rng, seed);
    float residual_std = 0.02f / sqrtf(2.0f * (float)config->n_layers);
    float *p = m->params_memory;
    static const enum sl_param_init init_of[SL_NUM_PARAM_TENSORS] = {
#define TENSOR_INIT(id, name, count, decays, init) init,
        SL_PARAM_TABLE(TENSOR_INIT)
#undef TENSOR_INIT
    };
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        size_t n = m->param_sizes[i];
        if (init_of[i] == SL_INIT_NORMAL || init_of[i] == SL_INIT_RESIDUAL) {
            float std = init_of[i] == SL_INIT_RESIDUAL ? residual_std : 0.02f;
            for (size_t k = 0; k < n; k++) p[k] = std * sl_rng_normal(&rng);
        } else if (init_of[i] == SL_INIT_ONES) {
            for (size_t k = 0; k < n; k++) p[k] = 1.0f;
        } /* SL_INIT_ZEROS: sl_model_alloc's memory is zeroed */
        p += n;
    }
    return SL_OK;
}

static void activations_free(sl_activations *a) {
    if (!a) return;
    free(a->memory);
    free(a->grad_memory);
    free(a->inputs);
    free(a);
}

static void bf16_weights_free(sl_bf16_weights *w) {
    if (!w) return;
    free(w->memory);
    free(w->layers);
    free(w);
}

void sl_model_free(sl_model *model) {
    if (!model) return;
    activations_free(model->acts);
    bf16_weights_free(model->bf16);
    free(model->params_memory);
    free(model->grads_memory);
    free(model);
}

sl_config sl_model_config(const sl_model *model) {
    sl_config none = {0};
    return model ? model->config : none;
}

size_t sl_model_num_params(const sl_model *model) { return model ? model->num_params : 0; }

/* ---------------------------------------------------------------------------------------------- */
/* Activation memory                                                                               */

typedef struct {
    float **ptr;
    size_t count;
} buffer_spec;

/* Point each buffer into one block (allocating it); returns 0 when out of memory. */
static int carve(float **memory, buffer_spec *specs, int n, const char *what) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += specs[i].count;
    *memory = sl_calloc_or_fail(total, sizeof(float), what);
    if (!*memory) return 0;
    float *p = *memory;
    for (int i = 0; i < n; i++) {
        *specs[i].ptr = p;
        p += specs[i].count;
    }
    return 1;
}

/* Make model->acts big enough for a forward of (B, T) keeping `layers` layers. */
static sl_status ensure_activations(sl_model *model, int B, int T, int layers) {
    sl_activations *a = model->acts;
    size_t bt = (size_t)B * T;
    if (a && a->cap_bt >= bt && a->layers_kept >= layers) return SL_OK;
    if (a) { /* grow to cover both the old and the new shape */
        if (a->cap_bt > bt) bt = a->cap_bt;
        if (a->layers_kept > layers) layers = a->layers_kept;
        activations_free(a);
        model->acts = NULL;
    }
    a = sl_calloc_or_fail(1, sizeof *a, "activations");
    if (!a) return SL_ERR_OUT_OF_MEMORY;
    size_t C = (size_t)model->config.d_model, V = (size_t)model->config.vocab_size,
           NH = (size_t)model->config.n_heads, Lk = (size_t)layers;
    buffer_spec specs[] = {
        {&a->encoded, bt * C},      {&a->ln1, Lk * bt * C},       {&a->ln1_mean, Lk * bt},
        {&a->ln1_rstd, Lk * bt},    {&a->qkv, Lk * bt * 3 * C},   {&a->atty, Lk * bt * C},
        {&a->lse, Lk * NH * bt},   {&a->residual2, Lk * bt * C}, {&a->ln2, Lk * bt * C},
        {&a->ln2_mean, Lk * bt},    {&a->ln2_rstd, Lk * bt},      {&a->fch, Lk * bt * 4 * C},
        {&a->fch_gelu, Lk * bt * 4 * C}, {&a->residual3, Lk * bt * C}, {&a->lnf, bt * C},
        {&a->lnf_mean, bt},         {&a->lnf_rstd, bt},           {&a->logits, bt * V},
        {&a->branch, bt * C},
    };
    a->inputs = sl_calloc_or_fail(bt, sizeof(int32_t), "activation inputs");
    if (!a->inputs || !carve(&a->memory, specs, (int)(sizeof specs / sizeof specs[0]), "activations")) {
        activations_free(a);
        return SL_ERR_OUT_OF_MEMORY;
    }
    a->cap_bt = bt;
    a->layers_kept = layers;
    model->acts = a;
    return SL_OK;
}

static sl_status ensure_backward_scratch(sl_model *model) {
    sl_activations *a = model->acts;
    if (a->grad_memory) return SL_OK;
    size_t bt = a->cap_bt, C = (size_t)model->config.d_model;
    buffer_spec specs[] = {
        {&a->dresidual, bt * C}, {&a->dC, bt * C}, {&a->d4C, bt * 4 * C}};
    return carve(&a->grad_memory, specs, 3, "activation gradients") ? SL_OK : SL_ERR_OUT_OF_MEMORY;
}

/* ---------------------------------------------------------------------------------------------- */
/* Forward                                                                                         */

static sl_status check_tokens(const int32_t *tokens, size_t n, int V, const char *what) {
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return sl_fail(SL_ERR_INVALID_ARGUMENT, "%s token %d at position %zu is outside the vocabulary [0, %d)",
                           what, tokens[i], i, V);
    return SL_OK;
}

static sl_status check_forward_args(const sl_model *model, const int32_t *inputs,
                                    const int32_t *targets, int B, int T) {
    if (!model || !inputs) return sl_fail(SL_ERR_INVALID_ARGUMENT, "model forward: NULL model or inputs");
    const sl_config *c = &model->config;
    if (B < 1 || T < 1 || T > c->context_length)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "model forward: need B >= 1 and 1 <= T <= context %d (got B=%d, T=%d)",
                       c->context_length, B, T);
    /* Every op indexes its flat tensors with int: keep the largest one below INT_MAX. */
    int64_t rows = (int64_t)B * T, widest = c->vocab_size > 4 * c->d_model ? c->vocab_size : 4 * c->d_model;
    if (rows * widest >= INT_MAX || rows * T * c->n_heads >= (int64_t)1 << 40)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "model forward: batch %d x %d tokens is too large", B, T);
    sl_status st = check_tokens(inputs, (size_t)rows, c->vocab_size, "input");
    if (st == SL_OK && targets) st = check_tokens(targets, (size_t)rows, c->vocab_size, "target");
    return st;
}

/* The bf16 copy of layer l's matrix m, or NULL to multiply in fp32. */
static const sl_bf16_weight *bf16_of(const sl_bf16_weights *w16, int l, int m) {
    return w16 ? &w16->layers[(size_t)l * MATRICES_PER_LAYER + m] : NULL;
}

#define PROFILED(op, call)                          \
    do {                                            \
        int64_t prof_t0_ = sl_profile_start();      \
        call;                                       \
        sl_profile_stop(op, prof_t0_);              \
    } while (0)

/* The forward pass. keep_layers = 0 overwrites one layer's buffers for every layer (no backward
 * possible afterwards). */
static sl_status forward(sl_model *model, const int32_t *inputs, const int32_t *targets, int B,
                         int T, float *loss, int keep_layers, int use_bf16) {
    sl_status st = check_forward_args(model, inputs, targets, B, T);
    if (st != SL_OK) return st;
    const sl_config *cfg = &model->config;
    int L = cfg->n_layers, C = cfg->d_model, V = cfg->vocab_size, NH = cfg->n_heads;
    st = ensure_activations(model, B, T, keep_layers ? L : 1);
    if (st != SL_OK) return st;
    sl_activations *a = model->acts;
    const sl_param_tensors *p = &model->params;
    int N = B * T;
    a->B = B;
    a->T = T;
    a->backward_ready = 0;
    const sl_bf16_weights *w16 = use_bf16 && model->bf16 && model->bf16->in_use ? model->bf16 : NULL;
    memcpy(a->inputs, inputs, sizeof(int32_t) * (size_t)N);

    PROFILED(SL_PROF_EMBEDDING, sl_embedding_forward(a->encoded, inputs, p->wte, p->wpe, B, T, C));
    const float *residual = a->encoded;
    for (int l = 0; l < L; l++) {
        size_t o = keep_layers ? (size_t)l : 0; /* which slot this layer's tensors use */
        size_t NC = (size_t)N * C;
        float *ln1 = a->ln1 + o * NC, *ln1_mean = a->ln1_mean + o * N, *ln1_rstd = a->ln1_rstd + o * N;
        float *qkv = a->qkv + o * 3 * NC, *atty = a->atty + o * NC;
        float *lse = a->lse + o * (size_t)NH * N;
        float *residual2 = a->residual2 + o * NC;
        float *ln2 = a->ln2 + o * NC, *ln2_mean = a->ln2_mean + o * N, *ln2_rstd = a->ln2_rstd + o * N;
        float *fch = a->fch + o * 4 * NC, *fch_gelu = a->fch_gelu + o * 4 * NC;
        float *residual3 = a->residual3 + o * NC;
        size_t lC = (size_t)l * C;

        PROFILED(SL_PROF_LAYERNORM, sl_layernorm_forward(ln1, ln1_mean, ln1_rstd, residual, p->ln1w + lC, p->ln1b + lC, N, C));
        PROFILED(SL_PROF_MATMUL_FWD, sl_matmul_train_forward(qkv, ln1, p->qkvw + lC * 3 * C, bf16_of(w16, l, QKVW), p->qkvb + 3 * lC, N, C, 3 * C));
        PROFILED(SL_PROF_ATTENTION_FWD, sl_attention_flash_forward(atty, lse, qkv, B, T, C, NH, w16 != NULL));
        PROFILED(SL_PROF_MATMUL_FWD, sl_matmul_train_forward(a->branch, atty, p->attprojw + lC * C, bf16_of(w16, l, ATTPROJW), p->attprojb + lC, N, C, C));
        PROFILED(SL_PROF_RESIDUAL, sl_residual_forward(residual2, residual, a->branch, (int)NC));
        PROFILED(SL_PROF_LAYERNORM, sl_layernorm_forward(ln2, ln2_mean, ln2_rstd, residual2, p->ln2w + lC, p->ln2b + lC, N, C));
        PROFILED(SL_PROF_MATMUL_FWD, sl_matmul_train_forward(fch, ln2, p->fcw + lC * 4 * C, bf16_of(w16, l, FCW), p->fcb + 4 * lC, N, C, 4 * C));
        PROFILED(SL_PROF_GELU, sl_gelu_forward(fch_gelu, fch, (int)(4 * NC)));
        PROFILED(SL_PROF_MATMUL_FWD, sl_matmul_train_forward(a->branch, fch_gelu, p->fcprojw + lC * 4 * C, bf16_of(w16, l, FCPROJW), p->fcprojb + lC, N, 4 * C, C));
        PROFILED(SL_PROF_RESIDUAL, sl_residual_forward(residual3, residual2, a->branch, (int)NC));
        residual = residual3;
    }
    PROFILED(SL_PROF_LAYERNORM, sl_layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, residual, p->lnfw, p->lnfb, N, C));
    PROFILED(SL_PROF_LM_HEAD_FWD, sl_matmul_train_forward(a->logits, a->lnf, p->wte, w16 ? &w16->wte : NULL, NULL, N, C, V));
    if (targets) {
        float l;
        PROFILED(SL_PROF_SOFTMAX_CE, l = sl_softmax_cross_entropy(a->logits, targets, N, V));
        if (loss) *loss = l;
        a->backward_ready = keep_layers;
    }
    return SL_OK;
}

sl_status sl_model_forward(sl_model *model, const int32_t *inputs, const int32_t *targets, int B,
                           int T, float *loss) {
    return forward(model, inputs, targets, B, T, loss, 1, 1);
}

const float *sl_model_last_logits(const sl_model *model) {
    return model && model->acts ? model->acts->logits : NULL;
}

sl_status sl_model_loss(sl_model *model, const int32_t *inputs, const int32_t *targets, int B,
                        int T, float *out_loss) {
    if (!targets || !out_loss) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_loss: NULL targets or out_loss");
    /* Keep the live set small: with a training-sized buffer present, reuse it; otherwise one
     * layer's worth. */
    int keep = model && model->acts && model->acts->layers_kept > 1;
    float loss = 0.0f;
    sl_status st = forward(model, inputs, targets, B, T, &loss, keep, 0);
    if (st != SL_OK) return st;
    model->acts->backward_ready = 0;
    *out_loss = loss;
    return SL_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Backward                                                                                        */

sl_status sl_model_zero_grad(sl_model *model) {
    if (!model) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_zero_grad: NULL model");
    int64_t t0 = sl_profile_start();
    if (!model->grads_memory) {
        model->grads_memory = sl_calloc_or_fail(model->num_params, sizeof(float), "gradients");
        if (!model->grads_memory) return SL_ERR_OUT_OF_MEMORY;
        sl_point_param_tensors(&model->grads, model->grads_memory, model->param_sizes);
    } else {
        memset(model->grads_memory, 0, sizeof(float) * model->num_params);
    }
    sl_profile_stop(SL_PROF_ZERO_GRAD, t0);
    return SL_OK;
}

/* Walks the forward in reverse. Gradients of the residual stream accumulate in dresidual: each
 * residual add passes its gradient unchanged to both inputs, so dresidual is at once the gradient
 * of a block's output and (after the branch's backward adds into it) of its input.
 *
 * Activation gradients that a matmul produces are written, not accumulated (SL_MATMUL_SET_DINP),
 * so no buffer is zeroed first. With set_grads the weight and bias gradients of the matmuls are
 * written too, and only the small tensors that ops accumulate into (LayerNorm, wpe) are zeroed. */
static sl_status backward(sl_model *model, int set_grads) {
    if (!model) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_backward: NULL model");
    sl_activations *a = model->acts;
    if (!a || !a->backward_ready)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_backward needs a training forward (with targets) first");
    sl_status st = model->grads_memory ? SL_OK : sl_model_zero_grad(model);
    if (st == SL_OK) st = ensure_backward_scratch(model);
    if (st != SL_OK) return st;
    a->backward_ready = 0;

    const sl_config *cfg = &model->config;
    int L = cfg->n_layers, C = cfg->d_model, V = cfg->vocab_size, NH = cfg->n_heads;
    int B = a->B, T = a->T, N = B * T;
    size_t NC = (size_t)N * C;
    const sl_param_tensors *p = &model->params;
    const sl_param_tensors *g = &model->grads;
    const sl_bf16_weights *w16 = model->bf16 && model->bf16->in_use ? model->bf16 : NULL;
    const int set = SL_MATMUL_SET_DINP | (set_grads ? SL_MATMUL_SET_DWEIGHT : 0);
    if (set_grads) {
        int64_t t0 = sl_profile_start();
        /* Written by accumulating ops (LayerNorm, the position embedding): start them at zero. */
        float *small[] = {g->wpe, g->ln1w, g->ln1b, g->ln2w, g->ln2b, g->lnfw, g->lnfb};
        const int sizes[] = {cfg->context_length * C, L * C, L * C, L * C, L * C, C, C};
        for (int i = 0; i < 7; i++) memset(small[i], 0, sizeof(float) * (size_t)sizes[i]);
        sl_profile_stop(SL_PROF_ZERO_GRAD, t0);
    }

    /* a->logits holds d loss / d logits, left there by the fused cross-entropy. The logits matmul
     * comes first, so it also starts dwte (the embedding backward adds to it at the end). */
    PROFILED(SL_PROF_LM_HEAD_BWD, sl_matmul_train_backward(a->dC, g->wte, NULL, a->logits, a->lnf, p->wte, w16 ? &w16->wte : NULL, set, N, C, V));
    memset(a->dresidual, 0, sizeof(float) * NC);
    const float *last = a->residual3 + (size_t)(L - 1) * NC;
    PROFILED(SL_PROF_LAYERNORM, sl_layernorm_backward(a->dresidual, g->lnfw, g->lnfb, a->dC, last, p->lnfw, a->lnf_mean, a->lnf_rstd, N, C));

    for (int l = L - 1; l >= 0; l--) {
        size_t lC = (size_t)l * C;
        const float *residual = l == 0 ? a->encoded : a->residual3 + (size_t)(l - 1) * NC;
        const float *ln1 = a->ln1 + l * NC, *ln1_mean = a->ln1_mean + (size_t)l * N, *ln1_rstd = a->ln1_rstd + (size_t)l * N;
        const float *qkv = a->qkv + l * 3 * NC, *atty = a->atty + l * NC;
        const float *lse = a->lse + (size_t)l * NH * N;
        const float *residual2 = a->residual2 + l * NC;
        const float *ln2 = a->ln2 + l * NC, *ln2_mean = a->ln2_mean + (size_t)l * N, *ln2_rstd = a->ln2_rstd + (size_t)l * N;
        const float *fch = a->fch + l * 4 * NC, *fch_gelu = a->fch_gelu + l * 4 * NC;
        float *dfch = a->d4C, *dqkv = a->d4C, *dln = a->dC, *datty = a->dC;

        /* MLP branch: dresidual is d(residual3) = d(fcproj output). dfch first holds d(gelu
         * output), turned into d(fc output) in place. */
        PROFILED(SL_PROF_MATMUL_BWD, sl_matmul_train_backward(dfch, g->fcprojw + lC * 4 * C, g->fcprojb + lC, a->dresidual, fch_gelu, p->fcprojw + lC * 4 * C, bf16_of(w16, l, FCPROJW), set, N, 4 * C, C));
        PROFILED(SL_PROF_GELU, sl_gelu_backward_inplace(dfch, fch, (int)(4 * NC)));
        PROFILED(SL_PROF_MATMUL_BWD, sl_matmul_train_backward(dln, g->fcw + lC * 4 * C, g->fcb + 4 * lC, dfch, ln2, p->fcw + lC * 4 * C, bf16_of(w16, l, FCW), set, N, C, 4 * C));
        PROFILED(SL_PROF_LAYERNORM, sl_layernorm_backward(a->dresidual, g->ln2w + lC, g->ln2b + lC, dln, residual2, p->ln2w + lC, ln2_mean, ln2_rstd, N, C));

        /* Attention branch: dresidual is now d(residual2) = d(attproj output). */
        PROFILED(SL_PROF_MATMUL_BWD, sl_matmul_train_backward(datty, g->attprojw + lC * C, g->attprojb + lC, a->dresidual, atty, p->attprojw + lC * C, bf16_of(w16, l, ATTPROJW), set, N, C, C));
        PROFILED(SL_PROF_ATTENTION_BWD, sl_attention_flash_backward(dqkv, datty, qkv, atty, lse, B, T, C, NH, w16 != NULL)); /* writes all of dqkv */
        PROFILED(SL_PROF_MATMUL_BWD, sl_matmul_train_backward(dln, g->qkvw + lC * 3 * C, g->qkvb + 3 * lC, dqkv, ln1, p->qkvw + lC * 3 * C, bf16_of(w16, l, QKVW), set, N, C, 3 * C));
        PROFILED(SL_PROF_LAYERNORM, sl_layernorm_backward(a->dresidual, g->ln1w + lC, g->ln1b + lC, dln, residual, p->ln1w + lC, ln1_mean, ln1_rstd, N, C));
    }
    PROFILED(SL_PROF_EMBEDDING, sl_embedding_backward(g->wte, g->wpe, a->dresidual, a->inputs, B, T, C));
    return SL_OK;
}

sl_status sl_model_backward(sl_model *model) { return backward(model, 0); }
sl_status sl_model_backward_set(sl_model *model) { return backward(model, 1); }

/* ---------------------------------------------------------------------------------------------- */
/* bf16 weights                                                                                    */

static sl_status bf16_weights_alloc(sl_model *model) {
    const sl_config *c = &model->config;
    int L = c->n_layers, C = c->d_model;
    size_t layer_slots = sl_bf16_weight_slots(3 * C, C) + sl_bf16_weight_slots(C, C) +
                         sl_bf16_weight_slots(4 * C, C) + sl_bf16_weight_slots(C, 4 * C);
    size_t total = sl_bf16_weight_slots(c->vocab_size, C) + (size_t)L * layer_slots;
    sl_bf16_weights *w = sl_calloc_or_fail(1, sizeof *w, "bf16 weights");
    if (w) w->layers = sl_calloc_or_fail((size_t)L * MATRICES_PER_LAYER, sizeof *w->layers, "bf16 weight table");
    if (w && w->layers) w->memory = sl_calloc_or_fail(total, sizeof(float), "bf16 weights");
    if (!w || !w->memory) {
        bf16_weights_free(w);
        return SL_ERR_OUT_OF_MEMORY;
    }
    model->bf16 = w;
    return SL_OK;
}

sl_status sl_model_begin_bf16(sl_model *model) {
    if (!model) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_begin_bf16: NULL model");
    if (!sl_matmul_bf16_available())
        return sl_fail(SL_ERR_UNSUPPORTED, "bf16 matmuls need a CPU with AVX512-BF16; this one has none");
    if (!model->bf16) {
        sl_status st = bf16_weights_alloc(model);
        if (st != SL_OK) return st;
    }
    const sl_config *c = &model->config;
    const sl_param_tensors *p = &model->params;
    int L = c->n_layers, C = c->d_model;
    sl_bf16_weights *w = model->bf16;
    float *dst = w->memory;
    int ok = 1;
#define CONVERT(out, weight, OC, IC)                                            \
    do {                                                                        \
        ok = ok && sl_bf16_weight_convert(dst, (weight), (OC), (IC), (out));    \
        dst += sl_bf16_weight_slots((OC), (IC));                                \
    } while (0)
    CONVERT(&w->wte, p->wte, c->vocab_size, C);
    for (int l = 0; l < L; l++) {
        size_t lC = (size_t)l * C;
        sl_bf16_weight *lw = &w->layers[(size_t)l * MATRICES_PER_LAYER];
        CONVERT(&lw[QKVW], p->qkvw + lC * 3 * C, 3 * C, C);
        CONVERT(&lw[ATTPROJW], p->attprojw + lC * C, C, C);
        CONVERT(&lw[FCW], p->fcw + lC * 4 * C, 4 * C, C);
        CONVERT(&lw[FCPROJW], p->fcprojw + lC * 4 * C, C, 4 * C);
    }
#undef CONVERT
    if (!ok) return sl_fail(SL_ERR_INTERNAL, "bf16 weight conversion failed");
    w->in_use = 1;
    return SL_OK;
}

void sl_model_end_bf16(sl_model *model) {
    if (model && model->bf16) model->bf16->in_use = 0;
}
