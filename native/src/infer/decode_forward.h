/* decode_forward.h: GPT-2's forward for inference, over a KV cache.
 *
 * New tokens are appended at positions pos0 .. pos0+n-1: their rows go through every layer as
 * one batch (matrix products over all new rows), attending causally to the keys and values
 * already cached for positions < pos0 and to each other. A decode step is the same call with
 * n = 1. Only the last row's logits are computed. */
#ifndef SL_DECODE_FORWARD_H
#define SL_DECODE_FORWARD_H
#include "infer/decode_kernels.h"
#include "model/model.h"

/* Half-precision copies of the matrices a decode step streams (every layer's qkvw, attprojw,
 * fcw, fcprojw, and wte for the logits). A decode step reads all of them per token; in fp32
 * (17 MB for the small preset) they spill out of the last-level cache, in fp16 they fit, which
 * is most of the decode speed. Arithmetic stays fp32. A snapshot: refresh after the model's
 * weights change. */
typedef struct {
    uint16_t *memory;
    uint16_t *qkvw, *attprojw, *fcw, *fcprojw, *wte;
} sl_half_weights;

/* Allocate and fill (kernels->to_f16). */
sl_status sl_half_weights_init(sl_half_weights *w, const sl_model *model, const sl_decode_kernels *kernels);
/* Convert the model's current weights again. */
void sl_half_weights_refresh(sl_half_weights *w, const sl_model *model, const sl_decode_kernels *kernels);
void sl_half_weights_free(sl_half_weights *w);

typedef struct {
    sl_config config;
    int capacity; /* positions the cache holds */
    int max_rows; /* rows per batch; longer inputs go through in chunks of this many */
    /* [L][NH][head_size][capacity]: keys transposed, so one query's scores vectorize over keys */
    float *keys_t;
    /* [L][NH][capacity][head_size] */
    float *values;
    /* Row scratch for max_rows rows: residual stream, normalized input, q|k|v, attention output,
     * projection output, MLP hidden. */
    float *x, *ln, *qkv, *att, *proj, *hidden;
    float *scores;     /* [score_threads][SL_ATTEND4_SCRATCH(capacity)]: scores per worker */
    int score_threads;
    const sl_decode_kernels *kernels;
    /* If not NULL (and kernels->linear_f16 exists), few-row matrix products read these. */
    const sl_half_weights *half;
    /* If not NULL and raised, sl_kv_forward stops between layers with SL_ERR_CANCELLED (the cache's
     * new positions are then incomplete). Set by long one-shot forwards (attention maps). */
    const sl_cancel_flag *cancel;
} sl_kv_cache;

/* Allocate a cache for `capacity` positions of a model with this config. */
sl_status sl_kv_cache_init(sl_kv_cache *kv, const sl_config *config, int capacity);
void sl_kv_cache_free(sl_kv_cache *kv);

/* Run tokens[0..n) at positions pos0.. (keys/values of positions < pos0 must be in the cache;
 * pos0 + n <= capacity). Writes the vocab_size logits after the last token to logits (if not
 * NULL). If probs is not NULL, every layer's and head's attention probabilities are written
 * to probs[((l * NH + h) * probs_stride + pos) * probs_stride + key] for the new positions
 * (keys <= pos; other entries are left untouched). */
sl_status sl_kv_forward(sl_kv_cache *kv, const sl_model *model, const int32_t *tokens, int n,
                        int pos0, float *logits, float *probs, int probs_stride);
#endif
