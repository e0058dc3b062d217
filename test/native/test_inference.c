/* test_inference.c: completions from a KV-cache session agree with the training forward, reuse
 * what they should, stop where they should, heal the cursor token, and survive bad input;
 * the FIM prompt builder and the attention maps. Models have random weights (scaled up so
 * their outputs and attention patterns are far from uniform); some are rigged so that the
 * next token is known. */
#include "check.h"
#include "test_os.h"
#include "matmul/matmul.h"
#include "model/model.h"
#include "model/ops.h"
#include "seedling.h"
#include "infer/session_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sl_model *make_model(int V, int ctx, int C, int L, int NH, uint64_t seed) {
    sl_config cfg = {V, ctx, C, L, NH};
    sl_model *m = NULL;
    CHECK_OK(sl_model_create(&cfg, seed, &m));
    if (!m) return NULL;
    /* GPT-2 init (std 0.02) gives near-uniform attention and logits; scale the matrices up so
     * heads attend sharply and argmaxes are well separated. */
    const sl_param_tensors *p = &m->params;
    float *mats[] = {p->wte, p->wpe, p->qkvw, p->attprojw, p->fcw, p->fcprojw};
    for (int i = 0, idx[] = {0, 1, 4, 6, 10, 12}; i < 6; i++)
        for (size_t j = 0; j < m->param_sizes[idx[i]]; j++) mats[i][j] *= 6.0f;
    return m;
}

/* A model whose every prediction is `id`: the final LayerNorm ignores its input (weight 0) and
 * emits wte[id] (scaled up to the longest embedding), so logits = wte . wte[id] peak at id. */
static sl_model *make_rigged_model(int V, int ctx, int id) {
    sl_model *m = make_model(V, ctx, 32, 1, 2, 99);
    if (!m) return NULL;
    const int C = m->config.d_model;
    float *row = m->params.wte + (size_t)id * C;
    for (int c = 0; c < C; c++) row[c] *= 4.0f;
    for (int c = 0; c < C; c++) {
        m->params.lnfw[c] = 0.0f;
        m->params.lnfb[c] = row[c];
    }
    return m;
}

static float *full_forward_logits(sl_model *m, const int32_t *tokens, int T) {
    sl_status st = sl_model_forward(m, tokens, NULL, 1, T, NULL);
    CHECK(st == SL_OK, "full forward: %s", sl_last_error());
    return st == SL_OK ? (float *)sl_model_last_logits(m) : NULL;
}

static double rel_diff(const float *a, const float *b, int n) {
    double worst = 0.0, scale = 1.0;
    for (int i = 0; i < n; i++) if (fabs(b[i]) > scale) scale = fabs(b[i]);
    for (int i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= worst)) worst = d;
    }
    return worst / scale;
}

/* (1) the cache, filled in pieces and partly invalidated, gives the full forward's logits: to
 * summation order with fp32 weights, to half-precision rounding with the default half weights */
static void test_logits_match_full_forward(int V, int ctx, int C, int L, int NH, int half) {
    sl_model *m = make_model(V, ctx, C, L, NH, 1234);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    if (half && !sl_session_half_weights(s)) {
        printf("skipped half-weight logits: this CPU decodes with fp32 weights\n");
        sl_session_free(s);
        sl_model_free(m);
        return;
    }
    if (!half) CHECK_OK(sl_session_set_half_weights(s, 0));
    const double tol = half ? 3e-3 : 1e-4;
    int T = ctx;
    int32_t *seq = malloc(sizeof(int32_t) * T), *changed = malloc(sizeof(int32_t) * T);
    float *got = malloc(sizeof(float) * V), *ref_all = malloc(sizeof(float) * (size_t)T * V);
    for (int t = 0; t < T; t++) seq[t] = (t * 7919 + 13) % V;
    memcpy(ref_all, full_forward_logits(m, seq, T), sizeof(float) * (size_t)T * V);
    /* prompt, one-token extension, a batch extension above the GEMV row limit, a small batch */
    const int lengths[] = {10, 11, 11, 25, 28, T};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        int n = lengths[i];
        if (n > T) continue;
        CHECK_OK(sl_session_logits(s, seq, (size_t)n, got));
        double d = rel_diff(got, ref_all + (size_t)(n - 1) * V, V);
        CHECK(d < tol, "config C=%d L=%d NH=%d half=%d: logits after %d tokens differ from the full forward by %g",
              C, L, NH, half, n, d);
    }
    /* a changed token in the middle: the cache keeps only what precedes it */
    memcpy(changed, seq, sizeof(int32_t) * T);
    changed[T / 2] = (changed[T / 2] + 1) % V;
    int n = T / 2 + 6;
    CHECK_OK(sl_session_logits(s, changed, (size_t)n, got));
    const float *ref = full_forward_logits(m, changed, n);
    if (ref) {
        double d = rel_diff(got, ref + (size_t)(n - 1) * V, V);
        CHECK(d < tol, "half=%d: after a changed token: logits differ from the full forward by %g", half, d);
    }
    free(seq); free(changed); free(got); free(ref_all);
    sl_session_free(s);
    sl_model_free(m);
}

/* The greedy continuation computed the slow way: a full forward per token, masked as the
 * session masks (specials except EOT, ids the byte tokenizer cannot spell). */
static int reference_greedy(sl_model *m, const int32_t *prompt, int n_prompt, int max_tokens, int32_t *out) {
    const int V = m->config.vocab_size;
    int32_t *seq = malloc(sizeof(int32_t) * (n_prompt + max_tokens));
    memcpy(seq, prompt, sizeof(int32_t) * n_prompt);
    int n = 0;
    for (; n < max_tokens; n++) {
        const float *all = full_forward_logits(m, seq, n_prompt + n);
        if (!all) break;
        const float *logits = all + (size_t)(n_prompt + n - 1) * V;
        int best = -1;
        for (int id = 0; id < V && id < SL_NUM_BYTE_AND_SPECIAL_TOKENS; id++) {
            if (id > SL_TOKEN_EOT) continue;
            if (best < 0 || logits[id] > logits[best]) best = id;
        }
        if (best == SL_TOKEN_EOT) break;
        out[n] = best;
        seq[n_prompt + n] = best;
    }
    free(seq);
    return n;
}

/* (2) greedy generation equals the argmax of the full forward, step by step; a model vocabulary
 * larger than the tokenizer's never yields an unspellable id */
static void test_greedy_matches_full_forward(const sl_tokenizer *bytes_tok) {
    sl_model *m = make_model(300, 64, 48, 2, 3, 77);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    CHECK_OK(sl_session_set_half_weights(s, 0)); /* bit-comparable argmaxes */
    int32_t prompt[12];
    for (int i = 0; i < 12; i++) prompt[i] = "int main() {"[i];
    sl_generate_options o;
    sl_generate_options_default(&o);
    o.max_tokens = 20;
    char *text = NULL;
    size_t len = 0;
    sl_generate_stats st;
    CHECK_OK(sl_session_generate(s, bytes_tok, prompt, 12, &o, &text, &len, &st));
    int32_t expect[20];
    int n = reference_greedy(m, prompt, 12, 20, expect);
    CHECK(text && (int)len == n && st.generated_tokens == n, "generated %zu bytes / %d tokens, reference %d",
          len, st.generated_tokens, n);
    for (int i = 0; text && i < n && i < (int)len; i++)
        CHECK((unsigned char)text[i] == expect[i], "token %d: generated %d, full-forward argmax %d", i,
              (unsigned char)text[i], expect[i]);
    CHECK(st.stopped_by == (n == 20 ? 0 : 1), "stopped_by %d for %d tokens", st.stopped_by, n);
    sl_free(text);
    sl_session_free(s);
    sl_model_free(m);
}

static sl_generate_stats run(sl_session *s, const sl_tokenizer *tok, const int32_t *prompt, size_t n,
                             const sl_generate_options *o, char **text) {
    sl_generate_stats st;
    memset(&st, 0xff, sizeof st);
    char *t = NULL;
    CHECK_OK(sl_session_generate(s, tok, prompt, n, o, &t, NULL, &st));
    if (text) *text = t;
    else sl_free(t);
    return st;
}

/* (3) how much of each request the cache serves */
static void test_prefix_reuse(const sl_tokenizer *tok) {
    sl_model *m = make_model(300, 64, 32, 2, 2, 5);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    int32_t p[40];
    for (int i = 0; i < 40; i++) p[i] = 'a' + i % 26;
    sl_generate_options o;
    sl_generate_options_default(&o);
    o.max_tokens = 0;
    sl_generate_stats st = run(s, tok, p, 20, &o, NULL);
    CHECK(st.prompt_tokens == 20 && st.reused_tokens == 0, "first: prompt %d reused %d", st.prompt_tokens, st.reused_tokens);
    st = run(s, tok, p, 20, &o, NULL);
    CHECK(st.reused_tokens == 19, "same prompt again: reused %d (the last token reruns), want 19", st.reused_tokens);
    st = run(s, tok, p, 23, &o, NULL);
    CHECK(st.reused_tokens == 20, "extended by 3: reused %d, want 20", st.reused_tokens);
    int32_t q[40];
    memcpy(q, p, sizeof q);
    q[10] = '!';
    st = run(s, tok, q, 30, &o, NULL);
    CHECK(st.reused_tokens == 10, "changed at 10: reused %d, want 10", st.reused_tokens);
    sl_session_reset(s);
    st = run(s, tok, q, 30, &o, NULL);
    CHECK(st.reused_tokens == 0, "after reset: reused %d, want 0", st.reused_tokens);

    /* after a generation the cache holds the prompt and every generated token that was fed back */
    o.max_tokens = 6;
    char *text = NULL;
    st = run(s, tok, p, 20, &o, &text);
    int g = st.generated_tokens, fed = st.stopped_by == 1 ? g : g - 1;
    int32_t next[40];
    memcpy(next, p, sizeof(int32_t) * 20);
    for (int i = 0; i < g; i++) next[20 + i] = (unsigned char)text[i];
    next[20 + g] = '#';
    o.max_tokens = 0;
    st = run(s, tok, next, (size_t)(21 + g), &o, NULL);
    CHECK(st.reused_tokens == 20 + fed, "prompt + %d generated tokens: reused %d, want %d", g,
          st.reused_tokens, 20 + fed);
    sl_free(text);
    sl_session_free(s);
    sl_model_free(m);
}

/* (4) end of text, stop strings, budget, cancel */
static void test_stops(const sl_tokenizer *tok) {
    int32_t prompt[3] = {'x', 'y', 'z'};
    sl_generate_options o;
    sl_generate_options_default(&o);
    char *text = NULL;
    size_t len = 0;
    sl_generate_stats st;

    sl_model *eot = make_rigged_model(300, 32, SL_TOKEN_EOT);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(eot, &s));
    if (s) {
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && len == 0 && text[0] == '\0' && st.stopped_by == 1 && st.generated_tokens == 0,
              "EOT model: len %zu stopped_by %d generated %d", len, st.stopped_by, st.generated_tokens);
        sl_free(text);
        /* healing wins over EOT: the required prefix comes out first, then EOT stops */
        o.required_prefix = "ab";
        o.required_prefix_len = 2;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && len == 2 && memcmp(text, "ab", 2) == 0 && st.stopped_by == 1,
              "EOT model healing 'ab': got '%s' stopped_by %d", text ? text : "(null)", st.stopped_by);
        sl_free(text);
        o.required_prefix = NULL;
        o.required_prefix_len = 0;
    }
    sl_session_free(s);
    sl_model_free(eot);

    sl_model *aa = make_rigged_model(300, 32, 'a');
    s = NULL;
    CHECK_OK(sl_session_create(aa, &s));
    if (s) {
        o.max_tokens = 5;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && strcmp(text, "aaaaa") == 0 && st.stopped_by == 0 && st.generated_tokens == 5,
              "budget 5: '%s' stopped_by %d", text ? text : "(null)", st.stopped_by);
        sl_free(text);
        /* healing: "q!" first, then the model's own choice */
        o.required_prefix = "q!";
        o.required_prefix_len = 2;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && strcmp(text, "q!aaa") == 0, "healing 'q!': got '%s'", text ? text : "(null)");
        sl_free(text);
        /* stop strings: the first occurrence ends the text (not counting the healed prefix) */
        const char *stops[] = {"zz", "aaa"};
        o.stop = stops;
        o.n_stop = 2;
        o.required_prefix = "aa";
        o.max_tokens = 10;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && strcmp(text, "aa") == 0 && st.stopped_by == 2,
              "stop 'aaa' after healed 'aa': got '%s' stopped_by %d", text ? text : "(null)", st.stopped_by);
        sl_free(text);
        o.required_prefix = NULL;
        o.required_prefix_len = 0;
        const char *stops2[] = {"aaaa", "aa"};
        o.stop = stops2;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && len == 0 && st.stopped_by == 2 && st.generated_tokens == 2,
              "stop 'aa': got '%s' (%d tokens) stopped_by %d", text ? text : "(null)", st.generated_tokens, st.stopped_by);
        sl_free(text);
        o.stop = NULL;
        o.n_stop = 0;
        /* cancel: a raised flag stops before the next token, with what was made so far */
        sl_cancel_flag *cancel = NULL;
        CHECK_OK(sl_cancel_flag_create(&cancel));
        CHECK(!sl_cancel_flag_is_set(cancel) && !sl_cancel_flag_is_set(NULL), "a new flag (or NULL) reads raised");
        sl_cancel_flag_set(cancel, 1);
        o.cancel = cancel;
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(text && len == 0 && st.stopped_by == 3, "cancelled: len %zu stopped_by %d", len, st.stopped_by);
        sl_free(text);
        /* lowered again, the same options generate */
        sl_cancel_flag_set(cancel, 0);
        CHECK_OK(sl_session_generate(s, tok, prompt, 3, &o, &text, &len, &st));
        CHECK(st.stopped_by != 3, "a lowered flag still cancelled");
        sl_free(text);
        o.cancel = NULL;
        sl_cancel_flag_free(cancel);
    }
    sl_session_free(s);
    sl_model_free(aa);
}

/* (4b) stop strings on a real (random) model: the text ends right before the first match */
static void test_stop_string_on_free_text(const sl_tokenizer *tok) {
    sl_model *m = make_model(300, 64, 48, 2, 3, 31);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    int32_t prompt[4] = {'d', 'e', 'f', ' '};
    sl_generate_options o;
    sl_generate_options_default(&o);
    o.max_tokens = 16;
    char *full = NULL, *cut = NULL;
    sl_generate_stats st = run(s, tok, prompt, 4, &o, &full);
    CHECK(full && strlen(full) >= 8, "the free text is too short for this test (%s); pick another seed",
          full ? full : "(null)");
    if (full && strlen(full) >= 8) {
        char stop[3] = {full[5], full[6], 0};
        const char *stops[] = {stop};
        o.stop = stops;
        o.n_stop = 1;
        st = run(s, tok, prompt, 4, &o, &cut);
        size_t first = (size_t)(strstr(full, stop) - full);
        CHECK(cut && strlen(cut) == first && strncmp(cut, full, first) == 0 && st.stopped_by == 2,
              "stop '%s' in '%s': got '%s'", stop, full, cut ? cut : "(null)");
    }
    sl_free(full);
    sl_free(cut);
    sl_session_free(s);
    sl_model_free(m);
}

/* (5) token healing with merged tokens: the prefix may be covered by a longer token */
static void test_healing_with_merges(void) {
    const char *docs[] = {"hello hello hello help helper hello world hello there hello hello"};
    size_t lens[] = {strlen(docs[0])};
    sl_tokenizer *tok = NULL;
    CHECK_OK(sl_tokenizer_train(docs, lens, 1, 300, &tok));
    if (!tok) return;
    int32_t *ids = NULL;
    size_t n = 0;
    CHECK_OK(sl_tokenizer_encode(tok, "hello", 5, &ids, &n));
    CHECK(n == 1, "'hello' should be one token after training, got %zu", n);
    if (n == 1) {
        /* a model that always wants "hello": healing "he" must allow it (the prefix is a prefix
         * of the token); healing "hex" must not (then it spells h, e, x byte by byte or with
         * merges consistent with "hex") */
        sl_model *m = make_rigged_model(300, 32, ids[0]);
        sl_session *s = NULL;
        CHECK_OK(sl_session_create(m, &s));
        int32_t prompt[2] = {'=', ' '};
        sl_generate_options o;
        sl_generate_options_default(&o);
        o.max_tokens = 2;
        o.required_prefix = "he";
        o.required_prefix_len = 2;
        char *text = NULL;
        if (s) CHECK_OK(sl_session_generate(s, tok, prompt, 2, &o, &text, NULL, NULL));
        CHECK(text && strcmp(text, "hellohello") == 0, "healing 'he' with a hello-model: '%s'", text ? text : "(null)");
        sl_free(text);
        text = NULL;
        o.required_prefix = "hex";
        o.required_prefix_len = 3;
        o.max_tokens = 4;
        if (s) CHECK_OK(sl_session_generate(s, tok, prompt, 2, &o, &text, NULL, NULL));
        CHECK(text && strncmp(text, "hex", 3) == 0, "healing 'hex': '%s'", text ? text : "(null)");
        sl_free(text);
        /* a free (random) model also begins with the prefix */
        sl_model *r = make_model(300, 32, 32, 2, 2, 8);
        sl_session *rs = NULL;
        CHECK_OK(sl_session_create(r, &rs));
        o.required_prefix = "help";
        o.required_prefix_len = 4;
        o.max_tokens = 8;
        text = NULL;
        if (rs) CHECK_OK(sl_session_generate(rs, tok, prompt, 2, &o, &text, NULL, NULL));
        CHECK(text && strncmp(text, "help", 4) == 0, "healing 'help' with a random model: '%s'", text ? text : "(null)");
        sl_free(text);
        sl_session_free(rs);
        sl_model_free(r);
        sl_session_free(s);
        sl_model_free(m);
    }
    sl_free(ids);
    sl_tokenizer_free(tok);
}

/* (6) sampling settings that reduce to greedy do; seeded sampling reproduces */
static void test_sampling(const sl_tokenizer *tok) {
    sl_model *m = make_model(300, 64, 32, 2, 2, 11);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    int32_t prompt[5] = {'f', 'o', 'r', ' ', '('};
    sl_generate_options o;
    sl_generate_options_default(&o);
    o.max_tokens = 12;
    char *greedy = NULL, *t = NULL;
    run(s, tok, prompt, 5, &o, &greedy);
    o.temperature = 1.0f;
    o.top_k = 1;
    run(s, tok, prompt, 5, &o, &t);
    CHECK(greedy && t && strcmp(greedy, t) == 0, "top_k=1 '%s' vs greedy '%s'", t, greedy);
    sl_free(t);
    o.top_k = 0;
    o.top_p = 1e-6f;
    run(s, tok, prompt, 5, &o, &t);
    CHECK(greedy && t && strcmp(greedy, t) == 0, "top_p=1e-6 '%s' vs greedy '%s'", t, greedy);
    sl_free(t);
    o.top_p = 0.9f;
    o.temperature = 1.5f;
    o.seed = 42;
    char *a = NULL, *b = NULL;
    run(s, tok, prompt, 5, &o, &a);
    sl_session_reset(s);
    run(s, tok, prompt, 5, &o, &b); /* from an empty cache: same draw */
    CHECK(a && b && strcmp(a, b) == 0, "same seed, different text: '%s' vs '%s'", a, b);
    int differs = 0;
    for (uint64_t seed = 1; seed <= 6 && !differs; seed++) {
        o.seed = seed;
        run(s, tok, prompt, 5, &o, &t);
        differs = t && a && strcmp(t, a) != 0;
        sl_free(t);
    }
    CHECK(differs, "six seeds at temperature 1.5 all gave '%s'", a);
    sl_free(a);
    sl_free(b);
    sl_free(greedy);
    sl_session_free(s);
    sl_model_free(m);
}

/* (7) the FIM prompt keeps the prefix's end and the suffix's start within the budget */
static void test_fim_prompt(const sl_tokenizer *tok) {
    int32_t *out = NULL;
    size_t n = 0;
    CHECK_OK(sl_build_fim_prompt(tok, "abcdefghij", 10, "0123456789", 10, 11, &out, &n));
    /* budget 8 text tokens: suffix at most 2, the prefix takes the other 6 */
    int32_t expect[] = {SL_TOKEN_FIM_PREFIX, 'e', 'f', 'g', 'h', 'i', 'j', SL_TOKEN_FIM_SUFFIX, '0', '1',
                        SL_TOKEN_FIM_MIDDLE};
    CHECK(n == 11 && out && memcmp(out, expect, sizeof expect) == 0, "truncated FIM prompt wrong (n=%zu)", n);
    sl_free(out);
    CHECK_OK(sl_build_fim_prompt(tok, "abcdefghij", 10, "0", 1, 11, &out, &n));
    int32_t expect2[] = {SL_TOKEN_FIM_PREFIX, 'd', 'e', 'f', 'g', 'h', 'i', 'j', SL_TOKEN_FIM_SUFFIX, '0',
                         SL_TOKEN_FIM_MIDDLE};
    CHECK(n == 11 && out && memcmp(out, expect2, sizeof expect2) == 0, "short suffix: its unused budget goes to the prefix (n=%zu)", n);
    sl_free(out);
    CHECK_OK(sl_build_fim_prompt(tok, "ab", 2, "cd", 2, 100, &out, &n));
    int32_t expect3[] = {SL_TOKEN_FIM_PREFIX, 'a', 'b', SL_TOKEN_FIM_SUFFIX, 'c', 'd', SL_TOKEN_FIM_MIDDLE};
    CHECK(n == 7 && out && memcmp(out, expect3, sizeof expect3) == 0, "everything fits (n=%zu)", n);
    sl_free(out);
    CHECK_OK(sl_build_fim_prompt(tok, NULL, 0, NULL, 0, 4, &out, &n));
    CHECK(n == 3 && out && out[0] == SL_TOKEN_FIM_PREFIX && out[2] == SL_TOKEN_FIM_MIDDLE, "empty texts (n=%zu)", n);
    sl_free(out);
    out = NULL;
    CHECK(sl_build_fim_prompt(tok, "a", 1, "b", 1, 3, &out, &n) == SL_ERR_INVALID_ARGUMENT && !out,
          "max_tokens 3 must be rejected");
    CHECK(strstr(sl_last_error(), "max_tokens") != NULL, "message names max_tokens: %s", sl_last_error());
    CHECK(sl_build_fim_prompt(NULL, "a", 1, "b", 1, 10, &out, &n) == SL_ERR_INVALID_ARGUMENT, "NULL tokenizer");
    CHECK(sl_build_fim_prompt(tok, NULL, 5, "b", 1, 10, &out, &n) == SL_ERR_INVALID_ARGUMENT, "NULL prefix with length");
}

/* (8) attention maps: probability rows, causal zeros, layer 0 recomputed independently, and the
 * logits of the same forward */
static void test_attention_maps(void) {
    const int V = 300, ctx = 64, C = 48, L = 2, NH = 3, hs = C / NH, T = 21;
    sl_model *m = make_model(V, ctx, C, L, NH, 3);
    if (!m) return;
    int32_t tokens[21];
    for (int t = 0; t < T; t++) tokens[t] = (t * 37 + 5) % V;
    float *att = malloc(sizeof(float) * L * NH * T * T), *logits = malloc(sizeof(float) * V);
    CHECK_OK(sl_model_attention(m, tokens, T, att, logits, NULL));
    int bad_rows = 0, bad_zeros = 0;
    for (int lh = 0; lh < L * NH; lh++)
        for (int i = 0; i < T; i++) {
            double sum = 0.0;
            for (int j = 0; j < T; j++) {
                float p = att[((size_t)lh * T + i) * T + j];
                if (j <= i) sum += p;
                else if (p != 0.0f) bad_zeros++;
            }
            if (fabs(sum - 1.0) > 1e-5) bad_rows++;
        }
    CHECK(bad_rows == 0 && bad_zeros == 0, "%d rows do not sum to 1, %d entries above the diagonal not 0",
          bad_rows, bad_zeros);
    const float *ref = full_forward_logits(m, tokens, T);
    if (ref) CHECK(rel_diff(logits, ref + (size_t)(T - 1) * V, V) < 1e-4, "attention-map logits differ from the full forward");

    /* layer 0 by hand: embeddings, LayerNorm, q/k projections, softmax of scaled dot products */
    const sl_param_tensors *p = &m->params;
    float *x = malloc(sizeof(float) * T * C), *ln = malloc(sizeof(float) * T * C), *qkv = malloc(sizeof(float) * T * 3 * C);
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++) x[t * C + c] = p->wte[tokens[t] * C + c] + p->wpe[t * C + c];
    sl_layernorm_forward(ln, NULL, NULL, x, p->ln1w, p->ln1b, T, C);
    sl_matmul_forward_reference(qkv, ln, p->qkvw, p->qkvb, T, C, 3 * C);
    double worst = 0.0, sharpest = 0.0;
    for (int h = 0; h < NH; h++)
        for (int i = 0; i < T; i++) {
            double s[21], max = -1e30, sum = 0.0;
            for (int j = 0; j <= i; j++) {
                double dot = 0.0;
                for (int d = 0; d < hs; d++) dot += (double)qkv[i * 3 * C + h * hs + d] * qkv[j * 3 * C + C + h * hs + d];
                s[j] = dot / sqrt((double)hs);
                if (s[j] > max) max = s[j];
            }
            for (int j = 0; j <= i; j++) sum += (s[j] = exp(s[j] - max));
            for (int j = 0; j <= i; j++) {
                double got = att[((size_t)h * T + i) * T + j], want = s[j] / sum;
                if (fabs(got - want) > worst) worst = fabs(got - want);
                if (want > sharpest) sharpest = want;
            }
        }
    CHECK(worst < 1e-4, "layer 0 probabilities differ from a by-hand softmax by %g", worst);
    CHECK(sharpest > 0.5, "the scaled-up model should attend sharply somewhere (max prob %g)", sharpest);
    CHECK(sl_model_attention(m, tokens, ctx + 1, att, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "T > context accepted");
    CHECK(sl_model_attention(m, tokens, 0, att, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "T = 0 accepted");
    /* a raised cancel flag stops the map between layers, with a status and message, not a result */
    sl_cancel_flag *cancel = NULL;
    CHECK_OK(sl_cancel_flag_create(&cancel));
    sl_cancel_flag_set(cancel, 1);
    CHECK(sl_model_attention(m, tokens, T, att, logits, cancel) == SL_ERR_CANCELLED, "a cancelled attention map ran to the end");
    sl_cancel_flag_set(cancel, 0);
    CHECK_OK(sl_model_attention(m, tokens, T, att, logits, cancel));
    sl_cancel_flag_free(cancel);
    free(x); free(ln); free(qkv); free(att); free(logits);
    sl_model_free(m);
}

/* (9) prompts longer than the context keep their end */
static void test_context_overflow(const sl_tokenizer *tok) {
    const int V = 300, ctx = 32;
    sl_model *m = make_model(V, ctx, 32, 2, 2, 21);
    sl_session *s = NULL, *s2 = NULL;
    CHECK_OK(sl_session_create(m, &s));
    CHECK_OK(sl_session_create(m, &s2));
    if (!m || !s || !s2) return;
    CHECK_OK(sl_session_set_half_weights(s, 0));
    CHECK_OK(sl_session_set_half_weights(s2, 0));
    int32_t prompt[50];
    for (int i = 0; i < 50; i++) prompt[i] = 'A' + (i * 5) % 26;
    float *got = malloc(sizeof(float) * V);
    CHECK_OK(sl_session_logits(s, prompt, 50, got));
    const float *ref = full_forward_logits(m, prompt + 50 - ctx, ctx);
    if (ref) CHECK(rel_diff(got, ref + (size_t)(ctx - 1) * V, V) < 1e-4, "logits of an over-long prompt are not those of its last %d tokens", ctx);

    sl_generate_options o;
    sl_generate_options_default(&o);
    o.max_tokens = 4;
    char *a = NULL, *b = NULL;
    sl_generate_stats st = run(s, tok, prompt, 40, &o, &a);
    CHECK(st.prompt_tokens == 28, "40-token prompt, budget 4, context 32: kept %d, want 28", st.prompt_tokens);
    run(s2, tok, prompt + 12, 28, &o, &b);
    CHECK(a && b && strcmp(a, b) == 0, "over-long prompt '%s' vs its last 28 tokens '%s'", a, b);
    sl_free(a);
    sl_free(b);
    /* a budget larger than the context: the prompt keeps half, generation ends when full */
    o.max_tokens = 100;
    st = run(s, tok, prompt, 40, &o, &a);
    CHECK(st.prompt_tokens == 16 && st.generated_tokens <= 17 && (st.stopped_by == 0 || st.stopped_by == 1),
          "budget 100, context 32: kept %d, generated %d, stopped_by %d", st.prompt_tokens, st.generated_tokens, st.stopped_by);
    sl_free(a);
    free(got);
    sl_session_free(s);
    sl_session_free(s2);
    sl_model_free(m);
}

/* A reset makes the session see changed weights (its half-precision copies are snapshots). */
static void test_reset_rereads_weights(void) {
    const int V = 300;
    sl_model *m = make_model(V, 32, 32, 1, 2, 17);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    int32_t tokens[6] = {'p', 'r', 'i', 'n', 't', '('};
    float got[300];
    CHECK_OK(sl_session_logits(s, tokens, 6, got));
    for (size_t i = 0; i < m->param_sizes[4]; i++) m->params.qkvw[i] *= -1.0f; /* "training" */
    for (size_t i = 0; i < m->param_sizes[0]; i++) m->params.wte[i] *= 1.5f;
    sl_session_reset(s);
    CHECK_OK(sl_session_logits(s, tokens, 6, got));
    const float *ref = full_forward_logits(m, tokens, 6);
    if (ref) CHECK(rel_diff(got, ref + 5 * V, V) < 3e-3, "after reset the session does not see the new weights (%g)",
                   rel_diff(got, ref + 5 * V, V));
    sl_session_free(s);
    sl_model_free(m);
}

static void test_bad_input(const sl_tokenizer *tok) {
    sl_model *m = make_model(300, 32, 32, 1, 2, 2);
    sl_session *s = NULL;
    CHECK_OK(sl_session_create(m, &s));
    if (!m || !s) return;
    int32_t ok[2] = {'a', 'b'}, bad[2] = {'a', 300};
    float logits[300];
    char *text = (char *)1;
    sl_generate_options o;
    sl_generate_options_default(&o);
    CHECK(sl_session_generate(s, tok, ok, 0, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT && !text, "empty prompt");
    CHECK(sl_session_generate(s, tok, bad, 2, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "token 300 of 300");
    CHECK(sl_session_logits(s, bad, 2, logits) == SL_ERR_INVALID_ARGUMENT, "logits with a bad token");
    CHECK(sl_session_generate(s, NULL, ok, 2, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "NULL tokenizer");
    o.top_p = 0.0f;
    CHECK(sl_session_generate(s, tok, ok, 2, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "top_p 0");
    o.top_p = 1.0f;
    o.temperature = NAN;
    CHECK(sl_session_generate(s, tok, ok, 2, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "temperature NaN");
    o.temperature = 0.0f;
    o.n_stop = 2;
    CHECK(sl_session_generate(s, tok, ok, 2, &o, &text, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "stop count without array");
    o.n_stop = 0;
    CHECK(sl_session_create(NULL, &s) == SL_ERR_INVALID_ARGUMENT, "NULL model");
    /* the session still works after all that */
    CHECK_OK(sl_session_generate(s, tok, ok, 2, &o, &text, NULL, NULL));
    sl_free(text);
    sl_session_free(s);
    sl_model_free(m);
}

int main(void) {
    CHECK_OK(sl_set_threads(2)); /* parallel regions split work by thread: exercise that too */
    sl_tokenizer *bytes_tok = NULL;
    CHECK_OK(sl_tokenizer_create_bytes(&bytes_tok));
    if (!bytes_tok) return check_exit_code("test_inference");
    for (int half = 0; half <= 1; half++) {
        test_logits_match_full_forward(300, 40, 32, 2, 4, half);  /* head size 8 (below a vector) */
        test_logits_match_full_forward(512, 128, 64, 2, 2, half); /* the tiny preset's shape */
        test_logits_match_full_forward(270, 30, 36, 1, 3, half);  /* channels not a multiple of 16 */
        test_logits_match_full_forward(280, 600, 16, 2, 2, half); /* prompts in 512-row chunks */
    }
    /* the portable kernels (what machines without AVX-512 run) give the same logits */
    const char *kernel = getenv("SEEDLING_KERNEL");
    if (!kernel || strcmp(kernel, "generic") != 0) {
        test_setenv("SEEDLING_KERNEL", "generic", 1);
        test_logits_match_full_forward(300, 40, 32, 2, 4, 0);
        test_logits_match_full_forward(270, 30, 36, 1, 3, 1); /* prints "skipped": no half kernels */
        if (kernel) test_setenv("SEEDLING_KERNEL", kernel, 1);
        else test_unsetenv("SEEDLING_KERNEL");
    }
    test_greedy_matches_full_forward(bytes_tok);
    test_prefix_reuse(bytes_tok);
    test_stops(bytes_tok);
    test_stop_string_on_free_text(bytes_tok);
    test_healing_with_merges();
    test_sampling(bytes_tok);
    test_fim_prompt(bytes_tok);
    test_attention_maps();
    test_context_overflow(bytes_tok);
    test_reset_rereads_weights();
    test_bad_input(bytes_tok);
    sl_tokenizer_free(bytes_tok);
    return check_exit_code("test_inference");
}
