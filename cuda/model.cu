/* model.cu: GPT-2 on the GPU, the same computation as native/src/model/model.c, composed from the
 * kernels with the fusions the GPU rewards:
 *  - each residual add is fused with the LayerNorm that reads its result;
 *  - the MLP's bias + GELU live in the fc matmul's epilogue, GELU's derivative in the epilogue of
 *    the fcproj input-gradient matmul;
 *  - attention is flash-style (log-sum-exp kept instead of the T x T probabilities).
 * Every layer's activations are kept for the backward, in slabs laid out [layer][token][channel]. */
#include "common.cuh"
#include "kernels.cuh"
#include "model.cuh"

void slc_param_layout_of(const slc_config *c, slc_param_layout *out) {
    sl_param_layout_counts((size_t)c->vocab_size, (size_t)c->context_length, (size_t)c->d_model,
                           (size_t)c->n_layers, out->sizes);
    out->num_params = 0;
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) out->num_params += out->sizes[i];
}

void slc_point_tensors(float *t[SL_NUM_PARAM_TENSORS], float *memory, const slc_param_layout *layout) {
    for (int i = 0; i < SL_NUM_PARAM_TENSORS; i++) {
        t[i] = memory;
        memory += layout->sizes[i];
    }
}

int slc_check_config(const slc_config *c) {
    if (!c) return slc_fail(SLC_ERR_INVALID_ARGUMENT, "config is NULL");
    if (c->vocab_size < 1 || c->context_length < 1 || c->d_model < 1 || c->n_layers < 1 ||
        c->n_heads < 1 || c->d_model % c->n_heads != 0)
        return slc_fail(SLC_ERR_INVALID_ARGUMENT, "invalid config (V=%d ctx=%d C=%d L=%d NH=%d)", c->vocab_size,
                        c->context_length, c->d_model, c->n_layers, c->n_heads);
    if (c->d_model / c->n_heads > SLC_MAX_HEAD_SIZE)
        return slc_fail(SLC_ERR_UNSUPPORTED, "head size %d exceeds the CUDA backend's limit of %d",
                        c->d_model / c->n_heads, SLC_MAX_HEAD_SIZE);
    return SLC_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Training forward and backward                                                                   */

namespace {

/* Per-layer views of the activation slabs for N = B*T rows (slabs are strided by max_tokens so a
 * smaller batch reuses the same memory). */
struct layer_acts {
    float *ln1, *ln1_mean, *ln1_rstd, *qkv, *atty, *lse, *residual2;
    float *ln2, *ln2_mean, *ln2_rstd, *fch, *fch_gelu, *residual3;
};

layer_acts layer_view(const slc_trainer *t, int l) {
    size_t M = t->max_tokens, C = (size_t)t->config.d_model, NH = (size_t)t->config.n_heads;
    const slc_activations *a = &t->a;
    layer_acts v;
    v.ln1 = a->ln1 + l * M * C;
    v.ln1_mean = a->ln1_mean + l * M;
    v.ln1_rstd = a->ln1_rstd + l * M;
    v.qkv = a->qkv + l * M * 3 * C;
    v.atty = a->atty + l * M * C;
    v.lse = a->lse + l * M * NH;
    v.residual2 = a->residual2 + l * M * C;
    v.ln2 = a->ln2 + l * M * C;
    v.ln2_mean = a->ln2_mean + l * M;
    v.ln2_rstd = a->ln2_rstd + l * M;
    v.fch = a->fch + l * M * 4 * C;
    v.fch_gelu = a->fch_gelu + l * M * 4 * C;
    v.residual3 = a->residual3 + l * M * C;
    return v;
}

/* Parameter views of layer l. */
struct layer_params {
    float *ln1w, *ln1b, *qkvw, *qkvb, *attprojw, *attprojb, *ln2w, *ln2b, *fcw, *fcb, *fcprojw, *fcprojb;
};

layer_params layer_params_of(float *const p[SL_NUM_PARAM_TENSORS], int l, int C) {
    size_t lC = (size_t)l * C, CC = (size_t)C * C;
    layer_params v;
    v.ln1w = p[SL_PARAM_LN1W] + lC;
    v.ln1b = p[SL_PARAM_LN1B] + lC;
    v.qkvw = p[SL_PARAM_QKVW] + 3 * l * CC;
    v.qkvb = p[SL_PARAM_QKVB] + 3 * lC;
    v.attprojw = p[SL_PARAM_ATTPROJW] + l * CC;
    v.attprojb = p[SL_PARAM_ATTPROJB] + lC;
    v.ln2w = p[SL_PARAM_LN2W] + lC;
    v.ln2b = p[SL_PARAM_LN2B] + lC;
    v.fcw = p[SL_PARAM_FCW] + 4 * l * CC;
    v.fcb = p[SL_PARAM_FCB] + 4 * lC;
    v.fcprojw = p[SL_PARAM_FCPROJW] + 4 * l * CC;
    v.fcprojb = p[SL_PARAM_FCPROJB] + lC;
    return v;
}

} // namespace

void slc_model_forward(slc_trainer *t, int B, int T) {
    const slc_config *c = &t->config;
    int L = c->n_layers, C = c->d_model, V = c->vocab_size, NH = c->n_heads, N = B * T;
    int fp32 = t->opts.fp32_matmul;
    slc_activations *a = &t->a;
    slc_embedding_forward(a->encoded, a->inputs, t->p[SL_PARAM_WTE], t->p[SL_PARAM_WPE], B, T, C, 0);
    layer_params p0 = layer_params_of(t->p, 0, C);
    layer_acts a0 = layer_view(t, 0);
    slc_layernorm_forward(a0.ln1, a0.ln1_mean, a0.ln1_rstd, a->encoded, p0.ln1w, p0.ln1b, N, C);
    const float *residual = a->encoded;
    for (int l = 0; l < L; l++) {
        layer_params p = layer_params_of(t->p, l, C);
        layer_acts v = layer_view(t, l);
        slc_matmul_forward(v.qkv, NULL, v.ln1, p.qkvw, p.qkvb, N, C, 3 * C, fp32);
        slc_attention_forward(v.atty, v.lse, v.qkv, B, T, C, NH);
        slc_matmul_forward(a->branch, NULL, v.atty, p.attprojw, p.attprojb, N, C, C, fp32);
        slc_residual_layernorm_forward(v.residual2, v.ln2, v.ln2_mean, v.ln2_rstd, residual, a->branch,
                                       p.ln2w, p.ln2b, N, C);
        slc_matmul_forward(v.fch_gelu, v.fch, v.ln2, p.fcw, p.fcb, N, C, 4 * C, fp32);
        slc_matmul_forward(a->branch, NULL, v.fch_gelu, p.fcprojw, p.fcprojb, N, 4 * C, C, fp32);
        /* The layer's output feeds the next layer's first LayerNorm, or the final one. */
        if (l + 1 < L) {
            layer_params next = layer_params_of(t->p, l + 1, C);
            layer_acts vn = layer_view(t, l + 1);
            slc_residual_layernorm_forward(v.residual3, vn.ln1, vn.ln1_mean, vn.ln1_rstd, v.residual2,
                                           a->branch, next.ln1w, next.ln1b, N, C);
        } else {
            slc_residual_layernorm_forward(v.residual3, a->lnf, a->lnf_mean, a->lnf_rstd, v.residual2,
                                           a->branch, t->p[SL_PARAM_LNFW], t->p[SL_PARAM_LNFB], N, C);
        }
        residual = v.residual3;
    }
    slc_matmul_forward(a->logits, NULL, a->lnf, t->p[SL_PARAM_WTE], NULL, N, C, V, fp32);
    slc_softmax_cross_entropy(a->logits, a->row_loss, &t->scalars[0], a->targets, N, V);
}

void slc_model_backward(slc_trainer *t, int B, int T) {
    const slc_config *c = &t->config;
    int L = c->n_layers, C = c->d_model, V = c->vocab_size, NH = c->n_heads, N = B * T;
    int fp32 = t->opts.fp32_matmul;
    slc_activations *a = &t->a;
    size_t NC = (size_t)N * C;

    /* a->logits holds d loss / d logits (the fused cross-entropy put it there). */
    slc_matmul_backward(a->dC, t->g[SL_PARAM_WTE], NULL, a->logits, a->lnf, t->p[SL_PARAM_WTE], NULL, N, C, V, fp32);
    cudaMemsetAsync(a->dresidual, 0, sizeof(float) * NC);
    layer_acts last = layer_view(t, L - 1);
    slc_layernorm_backward(a->dresidual, t->g[SL_PARAM_LNFW], t->g[SL_PARAM_LNFB], a->dC, last.residual3, t->p[SL_PARAM_LNFW],
                           a->lnf_mean, a->lnf_rstd, N, C);
    for (int l = L - 1; l >= 0; l--) {
        layer_params p = layer_params_of(t->p, l, C), g = layer_params_of(t->g, l, C);
        layer_acts v = layer_view(t, l);
        const float *residual = l == 0 ? a->encoded : layer_view(t, l - 1).residual3;
        float *dfch = a->d4C_b, *dqkv = a->d4C_a, *dln = a->dC, *datty = a->dC;

        /* MLP branch: dresidual = d(fcproj output). */
        slc_matmul_backward(dfch, g.fcprojw, g.fcprojb, a->dresidual, v.fch_gelu, p.fcprojw, v.fch, N, 4 * C, C, fp32);
        slc_matmul_backward(dln, g.fcw, g.fcb, dfch, v.ln2, p.fcw, NULL, N, C, 4 * C, fp32);
        slc_layernorm_backward(a->dresidual, g.ln2w, g.ln2b, dln, v.residual2, p.ln2w, v.ln2_mean, v.ln2_rstd, N, C);

        /* Attention branch: dresidual = d(attproj output). */
        slc_matmul_backward(datty, g.attprojw, g.attprojb, a->dresidual, v.atty, p.attprojw, NULL, N, C, C, fp32);
        slc_attention_backward(dqkv, datty, v.qkv, v.atty, v.lse, a->att_scratch, B, T, C, NH);
        slc_matmul_backward(dln, g.qkvw, g.qkvb, dqkv, v.ln1, p.qkvw, NULL, N, C, 3 * C, fp32);
        slc_layernorm_backward(a->dresidual, g.ln1w, g.ln1b, dln, residual, p.ln1w, v.ln1_mean, v.ln1_rstd, N, C);
    }
    slc_embedding_backward(t->g[SL_PARAM_WTE], t->g[SL_PARAM_WPE], a->dresidual, a->inputs, B, T, C);
}

/* ---------------------------------------------------------------------------------------------- */
/* Inference with the KV cache                                                                     */

void slc_inference_forward(slc_inference *inf, int n, int pos0) {
    const slc_config *c = &inf->config;
    int L = c->n_layers, C = c->d_model, V = c->vocab_size, NH = c->n_heads, ctx = c->context_length;
    int fp32 = inf->fp32;
    size_t cache_stride = (size_t)ctx * C;
    slc_embedding_forward(inf->x, inf->tokens, inf->p[SL_PARAM_WTE], inf->p[SL_PARAM_WPE], 1, n, C, pos0);
    layer_params p0 = layer_params_of(inf->p, 0, C);
    slc_layernorm_forward(inf->ln, NULL, NULL, inf->x, p0.ln1w, p0.ln1b, n, C);
    for (int l = 0; l < L; l++) {
        layer_params p = layer_params_of(inf->p, l, C);
        float *k_cache = inf->k_cache + l * cache_stride, *v_cache = inf->v_cache + l * cache_stride;
        slc_matmul_forward(inf->qkv, NULL, inf->ln, p.qkvw, p.qkvb, n, C, 3 * C, fp32);
        slc_kv_cache_store(k_cache, v_cache, inf->qkv, n, pos0, C);
        slc_attention_cached(inf->atty, inf->qkv, k_cache, v_cache, n, pos0, C, NH);
        slc_matmul_forward(inf->branch, NULL, inf->atty, p.attprojw, p.attprojb, n, C, C, fp32);
        /* x += branch in place (each element is read and written by the same thread). */
        slc_residual_layernorm_forward(inf->x, inf->ln, NULL, NULL, inf->x, inf->branch, p.ln2w, p.ln2b, n, C);
        slc_matmul_forward(inf->fch_gelu, inf->fch, inf->ln, p.fcw, p.fcb, n, C, 4 * C, fp32);
        slc_matmul_forward(inf->branch, NULL, inf->fch_gelu, p.fcprojw, p.fcprojb, n, 4 * C, C, fp32);
        const float *w = l + 1 < L ? layer_params_of(inf->p, l + 1, C).ln1w : inf->p[SL_PARAM_LNFW];
        const float *b = l + 1 < L ? layer_params_of(inf->p, l + 1, C).ln1b : inf->p[SL_PARAM_LNFB];
        slc_residual_layernorm_forward(inf->x, inf->ln, NULL, NULL, inf->x, inf->branch, w, b, n, C);
    }
    /* inf->ln now holds lnf(x) of every new row; only the last one's logits are wanted. */
    slc_matmul_forward(inf->logits, NULL, inf->ln + (size_t)(n - 1) * C, inf->p[SL_PARAM_WTE], NULL, 1, C, V, fp32);
}
