/* session.c: completions from a model: a KV cache kept across requests, prompt processing,
 * token-by-token decoding, sampling, stop conditions and token healing.
 *
 * The cache remembers which token sits at each position. A new request recomputes only what
 * differs from the previous one: typing extends the prompt, so nearly all of it is served from
 * the cache and only the new tail goes through the model (as one batch). */
#include "infer/decode_forward.h"
#include "core/error.h"
#include "core/platform.h"
#include "model/model.h"
#include "infer/sampler.h"
#include "infer/session_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sl_session {
    sl_model *model;
    sl_kv_cache kv;
    sl_half_weights half; /* memory == NULL: decode reads the fp32 weights */
    int32_t *cached_tokens; /* [context] the token whose keys/values sit at each position */
    int n_cached;
    float *logits;          /* [vocab] after the last processed token */
};

static double now_ms(void) {
    return sl_monotonic_ns() / 1e6;
}

void sl_generate_options_default(sl_generate_options *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->max_tokens = 64;
    opts->temperature = 0.0f;
    opts->top_k = 0;
    opts->top_p = 1.0f;
}

sl_status sl_session_create(sl_model *model, sl_session **out) {
    if (!model || !out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_create: NULL argument");
    *out = NULL;
    sl_session *s = sl_calloc_or_fail(1, sizeof *s, "session");
    if (!s) return SL_ERR_OUT_OF_MEMORY;
    s->model = model;
    sl_status st = sl_kv_cache_init(&s->kv, &model->config, model->config.context_length);
    if (st != SL_OK) {
        free(s);
        return st;
    }
    s->cached_tokens = sl_calloc_or_fail((size_t)model->config.context_length, sizeof(int32_t), "session tokens");
    s->logits = sl_calloc_or_fail((size_t)model->config.vocab_size, sizeof(float), "session logits");
    if (!s->cached_tokens || !s->logits) {
        sl_session_free(s);
        return SL_ERR_OUT_OF_MEMORY;
    }
    if (s->kv.kernels->linear_f16) {
        st = sl_session_set_half_weights(s, 1);
        if (st != SL_OK) {
            sl_session_free(s);
            return st;
        }
    }
    *out = s;
    return SL_OK;
}

void sl_session_free(sl_session *s) {
    if (!s) return;
    sl_kv_cache_free(&s->kv);
    sl_half_weights_free(&s->half);
    free(s->cached_tokens);
    free(s->logits);
    free(s);
}

/* Also re-reads the weights into the half-precision copies: after training changed the model,
 * a reset is what makes the session see it (the cached keys and values were stale too). */
void sl_session_reset(sl_session *s) {
    if (!s) return;
    s->n_cached = 0;
    if (s->half.memory) sl_half_weights_refresh(&s->half, s->model, s->kv.kernels);
}

sl_status sl_session_set_half_weights(sl_session *s, int enabled) {
    if (!s) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_set_half_weights: NULL session");
    s->n_cached = 0;
    if (!enabled || !s->kv.kernels->linear_f16) {
        sl_half_weights_free(&s->half);
        s->kv.half = NULL;
        return enabled ? sl_fail(SL_ERR_UNSUPPORTED, "no half-precision kernels on this CPU") : SL_OK;
    }
    if (!s->half.memory) {
        sl_status st = sl_half_weights_init(&s->half, s->model, s->kv.kernels);
        if (st != SL_OK) return st;
    } else {
        sl_half_weights_refresh(&s->half, s->model, s->kv.kernels);
    }
    s->kv.half = &s->half;
    return SL_OK;
}

int sl_session_half_weights(const sl_session *s) { return s && s->kv.half != NULL; }

/* Bring the cache to exactly prompt[0..n) and leave the logits after it in s->logits. Reuses
 * the longest common prefix with what the cache holds; the last prompt token always runs again,
 * since its logits are not kept. Returns the number of positions served from the cache. */
static sl_status process_prompt(sl_session *s, const int32_t *prompt, int n, int *reused) {
    int common = 0;
    while (common < n && common < s->n_cached && s->cached_tokens[common] == prompt[common]) common++;
    if (common == n) common = n - 1;
    s->n_cached = common; /* whatever follows is about to be overwritten */
    sl_status st = sl_kv_forward(&s->kv, s->model, prompt + common, n - common, common, s->logits, NULL, 0);
    if (st != SL_OK) return st;
    memcpy(s->cached_tokens + common, prompt + common, (size_t)(n - common) * sizeof(int32_t));
    s->n_cached = n;
    *reused = common;
    return SL_OK;
}

static sl_status check_prompt(const sl_session *s, const int32_t *prompt, size_t n_prompt) {
    if (!prompt || n_prompt == 0)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "the prompt is empty (a completion needs at least one token)");
    const int32_t V = s->model->config.vocab_size;
    for (size_t i = 0; i < n_prompt; i++)
        if (prompt[i] < 0 || prompt[i] >= V)
            return sl_fail(SL_ERR_INVALID_ARGUMENT, "prompt token %zu is %d, outside the model's vocabulary [0, %d)",
                           i, prompt[i], V);
    return SL_OK;
}

sl_status sl_session_logits(sl_session *s, const int32_t *prompt, size_t n_prompt, float *out_logits) {
    if (!s || !out_logits) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_logits: NULL argument");
    sl_status st = check_prompt(s, prompt, n_prompt);
    if (st != SL_OK) return st;
    const size_t ctx = (size_t)s->model->config.context_length;
    size_t keep = n_prompt < ctx ? n_prompt : ctx; /* the end of an over-long prompt */
    int reused;
    st = process_prompt(s, prompt + (n_prompt - keep), (int)keep, &reused);
    if (st != SL_OK) return st;
    memcpy(out_logits, s->logits, (size_t)s->model->config.vocab_size * sizeof(float));
    return SL_OK;
}

/* ---- generation ------------------------------------------------------------------------------- */

/* The text generated so far, and where stop strings may still start. */
typedef struct {
    char *bytes;
    size_t len, cap;
} text_buffer;

static sl_status text_append(text_buffer *t, const char *bytes, size_t n) {
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1) cap *= 2;
        char *grown = realloc(t->bytes, cap);
        if (!grown) return sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory growing the generated text to %zu bytes", cap);
        t->bytes = grown;
        t->cap = cap;
    }
    memcpy(t->bytes + t->len, bytes, n);
    t->len += n;
    t->bytes[t->len] = '\0';
    return SL_OK;
}

/* Earliest start >= from of any stop string in t, among matches that end after `fresh` (the
 * text before `fresh` was searched already). SIZE_MAX if none. */
static size_t find_stop(const text_buffer *t, size_t from, size_t fresh, const sl_generate_options *o) {
    size_t best = SIZE_MAX;
    for (int32_t i = 0; i < o->n_stop; i++) {
        const char *stop = o->stop[i];
        size_t n = stop ? strlen(stop) : 0;
        if (n == 0 || n > t->len) continue;
        size_t start = fresh >= n - 1 ? fresh - (n - 1) : 0;
        if (start < from) start = from;
        for (size_t p = start; p + n <= t->len && p < best; p++)
            if (memcmp(t->bytes + p, stop, n) == 0) {
                best = p;
                break;
            }
    }
    return best;
}

/* The ids that must never be generated: special tokens other than EOT, and ids the tokenizer
 * cannot spell (a model's vocabulary may be larger than its tokenizer's). Listed once per
 * request so each step only touches these. *out is sl_free'd by the caller. */
static sl_status list_unspeakable(const sl_tokenizer *tok, int32_t V, int32_t **out, int32_t *n_out) {
    int32_t *ids = sl_calloc_or_fail((size_t)V, sizeof(int32_t), "masked token list");
    if (!ids) return SL_ERR_OUT_OF_MEMORY;
    int32_t n = 0;
    for (int32_t id = 0; id < V; id++) {
        size_t len = 0;
        if (id != SL_TOKEN_EOT && (!sl_tokenizer_token_bytes(tok, id, &len) || len == 0)) ids[n++] = id;
    }
    *out = ids;
    *n_out = n;
    return SL_OK;
}

/* Token healing: while `remaining` bytes of the required prefix are unproduced, allow only
 * tokens whose bytes agree with them (the token is a prefix of what remains, or what remains is
 * a prefix of the token). EOT would end the text before the prefix, so it is masked too. */
static void mask_inconsistent(float *logits, const sl_tokenizer *tok, int32_t V, const char *remaining,
                              size_t n_remaining) {
    for (int32_t id = 0; id < V; id++) {
        if (logits[id] == -INFINITY) continue;
        size_t len = 0;
        const char *bytes = sl_tokenizer_token_bytes(tok, id, &len);
        size_t n = len < n_remaining ? len : n_remaining;
        if (!bytes || len == 0 || memcmp(bytes, remaining, n) != 0) logits[id] = -INFINITY;
    }
}

static sl_status check_options(const sl_generate_options *o) {
    if (o->max_tokens < 0) return sl_fail(SL_ERR_INVALID_ARGUMENT, "max_tokens must be >= 0, got %d", o->max_tokens);
    if (!(o->temperature >= 0.0f) || !isfinite(o->temperature))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "temperature must be a finite number >= 0, got %g", (double)o->temperature);
    if (o->top_k < 0) return sl_fail(SL_ERR_INVALID_ARGUMENT, "top_k must be >= 0 (0 = off), got %d", o->top_k);
    if (!(o->top_p > 0.0f && o->top_p <= 1.0f))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "top_p must be in (0, 1] (1 = off), got %g", (double)o->top_p);
    if (o->n_stop < 0 || (o->n_stop > 0 && !o->stop))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "stop: %d strings but no array", o->n_stop);
    if (o->required_prefix_len > 0 && !o->required_prefix)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "required_prefix_len is %zu but required_prefix is NULL",
                       o->required_prefix_len);
    return SL_OK;
}

/* How much of an over-long prompt to keep: its end, leaving room for the generated tokens, but
 * never less than half the context (a huge budget must not starve the prompt; generation then
 * stops when the context is full). */
static size_t prompt_tokens_to_keep(size_t n_prompt, int32_t max_tokens, int32_t context) {
    int32_t reserve = max_tokens < context / 2 ? max_tokens : context / 2;
    size_t room = (size_t)(context - reserve);
    return n_prompt < room ? n_prompt : room;
}

sl_status sl_session_generate(sl_session *s, const sl_tokenizer *tok, const int32_t *prompt,
                              size_t n_prompt, const sl_generate_options *opts, char **out_text,
                              size_t *out_len, sl_generate_stats *out_stats) {
    if (!s || !tok || !out_text) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_session_generate: NULL argument");
    *out_text = NULL;
    if (out_len) *out_len = 0;
    sl_generate_options defaults;
    if (!opts) {
        sl_generate_options_default(&defaults);
        opts = &defaults;
    }
    sl_status st = check_options(opts);
    if (st == SL_OK) st = check_prompt(s, prompt, n_prompt);
    if (st != SL_OK) return st;

    const sl_config *cfg = &s->model->config;
    const int32_t V = cfg->vocab_size;
    sl_generate_stats stats = {0};
    sl_sampler sampler;
    if (sl_sampler_init(&sampler, V, opts->temperature, opts->top_k, opts->top_p, opts->seed) != SL_OK)
        return SL_ERR_OUT_OF_MEMORY;
    text_buffer text = {0};
    st = text_append(&text, "", 0); /* an empty result is still a valid string */
    int32_t *unspeakable = NULL, n_unspeakable = 0;
    if (st == SL_OK) st = list_unspeakable(tok, V, &unspeakable, &n_unspeakable);

    double t0 = now_ms();
    size_t keep = prompt_tokens_to_keep(n_prompt, opts->max_tokens, cfg->context_length);
    int reused = 0;
    if (st == SL_OK) st = process_prompt(s, prompt + (n_prompt - keep), (int)keep, &reused);
    stats.prompt_tokens = (int32_t)keep;
    stats.reused_tokens = reused;
    double t1 = now_ms();
    stats.prompt_ms = t1 - t0;

    const char *required = opts->required_prefix ? opts->required_prefix : "";
    size_t required_len = opts->required_prefix_len, healed = 0;
    stats.stopped_by = SL_STOP_BUDGET;
    for (int32_t step = 0; st == SL_OK && step < opts->max_tokens; step++) {
        if (sl_cancel_flag_is_set(opts->cancel)) {
            stats.stopped_by = SL_STOP_CANCELLED;
            break;
        }
        for (int32_t i = 0; i < n_unspeakable; i++) s->logits[unspeakable[i]] = -INFINITY;
        if (healed < required_len) mask_inconsistent(s->logits, tok, V, required + healed, required_len - healed);
        int32_t id = sl_sample(&sampler, s->logits, V);
        if (id < 0) break; /* nothing may follow (cannot happen with byte tokens present) */
        if (id == SL_TOKEN_EOT) {
            stats.stopped_by = SL_STOP_END_OF_TEXT;
            break;
        }
        stats.generated_tokens++;
        size_t len = 0;
        const char *bytes = sl_tokenizer_token_bytes(tok, id, &len);
        size_t before = text.len;
        st = text_append(&text, bytes, len);
        if (st != SL_OK) break;
        if (healed < required_len) healed += len < required_len - healed ? len : required_len - healed;
        /* stop strings are looked for after the healed prefix: that text was the user's */
        size_t stop_at = find_stop(&text, required_len, before, opts);
        if (stop_at != SIZE_MAX) {
            text.len = stop_at;
            text.bytes[stop_at] = '\0';
            stats.stopped_by = SL_STOP_STOP_STRING;
            break;
        }
        if (step + 1 == opts->max_tokens || s->n_cached == cfg->context_length) break;
        st = sl_kv_forward(&s->kv, s->model, &id, 1, s->n_cached, s->logits, NULL, 0);
        if (st == SL_OK) s->cached_tokens[s->n_cached++] = id;
    }
    stats.decode_ms = now_ms() - t1;
    sl_sampler_free(&sampler);
    free(unspeakable);
    if (st != SL_OK) {
        free(text.bytes);
        return st;
    }
    *out_text = text.bytes;
    if (out_len) *out_len = text.len;
    if (out_stats) *out_stats = stats;
    return SL_OK;
}
