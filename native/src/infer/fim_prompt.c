/* fim_prompt.c: the fill-in-the-middle prompt for a completion at a cursor, in the
 * prefix-suffix-middle order the model was trained on:
 *   FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE
 * The prefix and suffix are encoded separately, as the training data encodes them. Under a
 * token budget the text nearest the cursor matters most: the END of the prefix and the START of
 * the suffix are kept, and the suffix gets at most a quarter of the budget (what it leaves
 * unused goes to the prefix). */
#include "core/error.h"
#include "seedling.h"

#include <stdlib.h>
#include <string.h>

sl_status sl_build_fim_prompt(const sl_tokenizer *tok, const char *prefix, size_t prefix_len,
                              const char *suffix, size_t suffix_len, int32_t max_tokens,
                              int32_t **out_tokens, size_t *out_n) {
    if (!tok || !out_tokens || !out_n)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_build_fim_prompt: NULL tokenizer or output");
    *out_tokens = NULL;
    *out_n = 0;
    if ((!prefix && prefix_len) || (!suffix && suffix_len))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_build_fim_prompt: NULL text with a nonzero length");
    if (max_tokens < 4)
        return sl_fail(SL_ERR_INVALID_ARGUMENT,
                       "max_tokens is %d; a fill-in-the-middle prompt needs at least 4 (3 markers and 1 text token)",
                       max_tokens);

    int32_t *pre = NULL, *suf = NULL;
    size_t n_pre = 0, n_suf = 0;
    sl_status st = sl_tokenizer_encode(tok, prefix ? prefix : "", prefix_len, &pre, &n_pre);
    if (st == SL_OK) st = sl_tokenizer_encode(tok, suffix ? suffix : "", suffix_len, &suf, &n_suf);
    if (st != SL_OK) {
        sl_free(pre);
        sl_free(suf);
        return st;
    }

    size_t budget = (size_t)max_tokens - 3;
    size_t keep_suf = n_suf < budget / 4 ? n_suf : budget / 4;
    size_t keep_pre = n_pre < budget - keep_suf ? n_pre : budget - keep_suf;
    size_t n = keep_pre + keep_suf + 3;
    int32_t *out = sl_calloc_or_fail(n, sizeof(int32_t), "fill-in-the-middle prompt");
    if (out) {
        size_t i = 0;
        out[i++] = SL_TOKEN_FIM_PREFIX;
        memcpy(out + i, pre + (n_pre - keep_pre), keep_pre * sizeof(int32_t));
        i += keep_pre;
        out[i++] = SL_TOKEN_FIM_SUFFIX;
        memcpy(out + i, suf, keep_suf * sizeof(int32_t));
        i += keep_suf;
        out[i++] = SL_TOKEN_FIM_MIDDLE;
        *out_tokens = out;
        *out_n = n;
    }
    sl_free(pre);
    sl_free(suf);
    return out ? SL_OK : SL_ERR_OUT_OF_MEMORY;
}
