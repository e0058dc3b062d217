/* session_score.c: how likely a model finds a given continuation of a prompt (teacher forcing).
 *
 * Completion ranking asks this of a few candidate lines (the model's own, one copied from the
 * workspace): each candidate token is fed after the prompt and the candidate tokens before it,
 * and its log-probability read from the logits that preceded it. The session's KV cache serves
 * the prompt and every shared candidate prefix, so scoring costs one decode step per candidate
 * token, and a second candidate that shares a start with the first pays only for where it differs. */
#include "core/error.h"
#include "seedling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* log softmax(logits)[id], computed stably. */
static float log_prob_of(const float *logits, int32_t V, int32_t id) {
    float max = -INFINITY;
    for (int32_t i = 0; i < V; i++)
        if (logits[i] > max) max = logits[i];
    double sum = 0.0;
    for (int32_t i = 0; i < V; i++) sum += exp((double)(logits[i] - max));
    return (float)((double)(logits[id] - max) - log(sum));
}

sl_status sl_session_score(sl_session *session, const sl_model *model, const int32_t *prompt, size_t n_prompt,
                           const int32_t *candidate, size_t n_candidate, float *out_logprobs,
                           float *out_next_logits) {
    if (!session || !model || !prompt || (n_candidate && (!candidate || !out_logprobs)))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_score: NULL argument");
    if (n_prompt == 0)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_score: the prompt is empty (scoring needs at least one token)");
    const sl_config cfg = sl_model_config(model);
    const size_t ctx = (size_t)cfg.context_length;
    if (n_candidate >= ctx)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_score: a candidate of %zu tokens does not fit the context of %zu",
                       n_candidate, ctx);
    for (size_t i = 0; i < n_candidate; i++)
        if (candidate[i] < 0 || candidate[i] >= cfg.vocab_size)
            return sl_fail(SL_ERR_INVALID_ARGUMENT, "candidate token %zu is %d, outside the vocabulary [0, %d)", i,
                           candidate[i], cfg.vocab_size);
    /* Drop the oldest prompt tokens once, up front, so that prompt + candidate fits: letting each
     * step's prompt slide instead would defeat the cache. */
    size_t keep = n_prompt + n_candidate <= ctx ? n_prompt : ctx - n_candidate;
    const int32_t *start = prompt + (n_prompt - keep);
    size_t total = keep + n_candidate;
    int32_t *seq = sl_calloc_or_fail(total, sizeof(int32_t), "scored sequence");
    float *logits = sl_calloc_or_fail((size_t)cfg.vocab_size, sizeof(float), "scoring logits");
    sl_status st = (seq && logits) ? SL_OK : SL_ERR_OUT_OF_MEMORY;
    if (st == SL_OK) {
        memcpy(seq, start, keep * sizeof(int32_t));
        if (n_candidate) memcpy(seq + keep, candidate, n_candidate * sizeof(int32_t));
    }
    for (size_t i = 0; st == SL_OK && i <= n_candidate; i++) {
        if (i == n_candidate && !out_next_logits) break;
        st = sl_session_logits(session, seq, keep + i, logits);
        if (st != SL_OK) break;
        if (i < n_candidate) {
            out_logprobs[i] = log_prob_of(logits, cfg.vocab_size, candidate[i]);
        } else {
            memcpy(out_next_logits, logits, (size_t)cfg.vocab_size * sizeof(float));
        }
    }
    free(seq);
    free(logits);
    return st;
}
