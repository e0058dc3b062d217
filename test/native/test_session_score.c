/* test_session_score.c: teacher-forced scoring of candidate continuations agrees with the
 * training forward's log-softmax at every candidate position, keeps agreeing when a second
 * candidate reuses the cache of the first, fits over-long prompts into the context, and rejects
 * bad input with an error. */
#include "check.h"
#include "model/model.h"
#include "seedling.h"
#include "infer/session_internal.h"

#include <math.h>
#include <stdlib.h>

enum { V = 300, CTX = 32, C = 32, L = 2, NH = 2 };

static sl_model *make_model(void) {
    sl_config cfg = {V, CTX, C, L, NH};
    sl_model *m = NULL;
    CHECK_OK(sl_model_create(&cfg, 77, &m));
    if (!m) return NULL;
    /* Sharper than GPT-2 init, so log-probabilities differ clearly between tokens. */
    for (size_t j = 0; j < m->param_sizes[0]; j++) m->params.wte[j] *= 8.0f;
    return m;
}

/* log softmax of the full forward's last logits at token `id`, over seq[0..T). */
static double reference_logprob(sl_model *m, const int32_t *seq, int T, int32_t id) {
    CHECK_OK(sl_model_forward(m, seq, NULL, 1, T, NULL));
    const float *logits = sl_model_last_logits(m) + (size_t)(T - 1) * V; /* [T, V]: the row after seq[T-1] */
    double max = -INFINITY, sum = 0.0;
    for (int i = 0; i < V; i++) if (logits[i] > max) max = logits[i];
    for (int i = 0; i < V; i++) sum += exp(logits[i] - max);
    return logits[id] - max - log(sum);
}

static void check_candidate(sl_session *s, sl_model *m, const int32_t *prompt, int n_prompt, const int32_t *cand,
                            int n_cand) {
    float got[CTX], next[V];
    CHECK_OK(sl_session_score(s, m, prompt, (size_t)n_prompt, cand, (size_t)n_cand, got, next));
    int keep = n_prompt + n_cand <= CTX ? n_prompt : CTX - n_cand;
    int32_t seq[2 * CTX];
    for (int i = 0; i < keep; i++) seq[i] = prompt[n_prompt - keep + i];
    for (int i = 0; i < n_cand; i++) seq[keep + i] = cand[i];
    for (int i = 0; i < n_cand; i++) {
        double want = reference_logprob(m, seq, keep + i, cand[i]);
        CHECK_NEAR(got[i], want, 2e-3);
        CHECK(got[i] <= 0.0f, "a log-probability is <= 0, got %g", (double)got[i]);
    }
    /* the next logits are the full forward's after the whole candidate */
    CHECK_OK(sl_model_forward(m, seq, NULL, 1, keep + n_cand, NULL));
    const float *want_next = sl_model_last_logits(m) + (size_t)(keep + n_cand - 1) * V;
    double worst = 0.0;
    for (int i = 0; i < V; i++) if (fabs(next[i] - want_next[i]) > worst) worst = fabs(next[i] - want_next[i]);
    CHECK(worst < 2e-3, "next logits differ by %g", worst);
}

int main(void) {
    sl_model *m = make_model();
    sl_session *s = NULL;
    if (m) CHECK_OK(sl_session_create(m, &s));
    if (!s) return check_exit_code("test_session_score");
    CHECK_OK(sl_session_set_half_weights(s, 0)); /* compare against fp32 training math */

    int32_t prompt[40];
    for (int i = 0; i < 40; i++) prompt[i] = (i * 7 + 3) % V;
    const int32_t first[] = {5, 9, 13, 2, 40};
    const int32_t shares_start[] = {5, 9, 21, 22}; /* differs from `first` after two tokens */
    check_candidate(s, m, prompt, 12, first, 5);
    check_candidate(s, m, prompt, 12, shares_start, 4);
    check_candidate(s, m, prompt, 12, first, 5); /* and back */
    check_candidate(s, m, prompt, 40, first, 5); /* prompt + candidate exceed the context */
    check_candidate(s, m, prompt, 1, first, 1);

    /* an empty candidate only fills the next logits */
    float next[V];
    CHECK_OK(sl_session_score(s, m, prompt, 3, NULL, 0, NULL, next));

    /* bad input is an error, not a crash */
    float lp[8];
    const int32_t bad[] = {1, V + 3};
    CHECK(sl_session_score(s, m, prompt, 4, bad, 2, lp, NULL) == SL_ERR_INVALID_ARGUMENT, "out-of-vocabulary candidate");
    CHECK(sl_session_score(s, m, prompt, 0, first, 2, lp, NULL) == SL_ERR_INVALID_ARGUMENT, "empty prompt");
    CHECK(sl_session_score(s, m, prompt, 4, first, 2, NULL, NULL) == SL_ERR_INVALID_ARGUMENT, "no output");
    int32_t long_cand[CTX];
    for (int i = 0; i < CTX; i++) long_cand[i] = 1;
    float long_lp[CTX];
    CHECK(sl_session_score(s, m, prompt, 4, long_cand, CTX, long_lp, NULL) == SL_ERR_INVALID_ARGUMENT,
          "candidate as long as the context");
    /* the session still works after the errors */
    check_candidate(s, m, prompt, 8, shares_start, 4);

    sl_session_free(s);
    sl_model_free(m);
    return check_exit_code("test_session_score");
}
