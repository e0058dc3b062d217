/* attention_maps.c: what the attention inspector shows: every layer's and head's attention
 * probabilities over a text, from the same forward that serves completions. */
#include "infer/decode_forward.h"
#include "core/error.h"

#include <string.h>

sl_status sl_model_attention(sl_model *model, const int32_t *tokens, int T, float *out,
                             float *next_logits, const sl_cancel_flag *cancel) {
    if (!model || !tokens || !out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_attention: NULL argument");
    const sl_config *cfg = &model->config;
    if (T < 1 || T > cfg->context_length)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_model_attention: T = %d outside [1, %d] (the context length)",
                       T, cfg->context_length);
    sl_kv_cache kv;
    sl_status st = sl_kv_cache_init(&kv, cfg, T);
    if (st != SL_OK) return st;
    kv.cancel = cancel; /* the inspector's request may be cancelled (a newer one, a closed panel) */
    /* the forward fills each row up to the diagonal; the rest must read as zero */
    memset(out, 0, (size_t)cfg->n_layers * cfg->n_heads * T * T * sizeof(float));
    st = sl_kv_forward(&kv, model, tokens, T, 0, next_logits, out, T);
    sl_kv_cache_free(&kv);
    return st;
}
