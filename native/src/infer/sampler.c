/* sampler.c: greedy, temperature, top-k and top-p sampling (see sampler.h).
 *
 * Order of operations (as in common practice): logits / temperature, keep the top_k best,
 * softmax over those, keep the smallest best-first set whose probability reaches top_p, draw.
 * Candidates are ranked by logit, ties to the lower id, so results never depend on sort
 * stability. Sorting the whole vocabulary every token would cost more than the model's decode
 * step, so only as many of the best candidates as the nucleus needs are selected and sorted. */
#include "infer/sampler.h"

#include "core/error.h"

#include <math.h>
#include <stdlib.h>

int sl_sampler_init(sl_sampler *s, int32_t n_vocab, float temperature, int32_t top_k, float top_p,
                    uint64_t seed) {
    s->temperature = temperature;
    s->top_k = top_k;
    s->top_p = top_p;
    sl_rng_seed(&s->rng, seed);
    s->capacity = n_vocab;
    s->candidates = sl_calloc_or_fail((size_t)n_vocab, sizeof(sl_candidate), "sampler candidates");
    return s->candidates ? SL_OK : SL_ERR_OUT_OF_MEMORY;
}

void sl_sampler_free(sl_sampler *s) {
    if (!s) return;
    free(s->candidates);
    s->candidates = NULL;
    s->capacity = 0;
}

int32_t sl_argmax(const float *logits, int32_t n) {
    int32_t best = -1;
    float best_logit = -INFINITY;
    for (int32_t i = 0; i < n; i++) {
        if (logits[i] > best_logit) { /* strict: ties keep the lower id; NaN never wins */
            best_logit = logits[i];
            best = i;
        }
    }
    return best;
}

static inline int ranks_before(const sl_candidate *a, const sl_candidate *b) {
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int compare_rank(const void *pa, const void *pb) {
    const sl_candidate *a = pa, *b = pb;
    return ranks_before(a, b) ? -1 : ranks_before(b, a) ? 1 : 0;
}

static void swap(sl_candidate *a, sl_candidate *b) {
    sl_candidate t = *a;
    *a = *b;
    *b = t;
}

/* Rearrange c[0..n) so its k best (by rank) come first, in no particular order. Quickselect
 * with a median-of-three pivot: linear time on average. */
static void select_best(sl_candidate *c, int32_t n, int32_t k) {
    int32_t lo = 0, hi = n - 1;
    while (lo < hi && k > lo && k <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (ranks_before(&c[mid], &c[lo])) swap(&c[mid], &c[lo]);
        if (ranks_before(&c[hi], &c[lo])) swap(&c[hi], &c[lo]);
        if (ranks_before(&c[hi], &c[mid])) swap(&c[hi], &c[mid]);
        sl_candidate pivot = c[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (ranks_before(&c[i], &pivot)) i++;
            while (ranks_before(&pivot, &c[j])) j--;
            if (i <= j) swap(&c[i++], &c[j--]);
        }
        /* now c[lo..j] rank before-or-equal pivot, c[i..hi] after-or-equal */
        if (k <= j + 1) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* Of the n candidates (best first after this call), how many form the nucleus: the fewest
 * whose probabilities (softmax with maximum max_logit and normalizer total) reach top_p. */
static int32_t nucleus_size(sl_candidate *c, int32_t n, float max_logit, double total, float top_p) {
    for (int32_t sorted = n < 32 ? n : 32;; sorted = sorted * 2 < n ? sorted * 2 : n) {
        select_best(c, n, sorted);
        qsort(c, (size_t)sorted, sizeof *c, compare_rank);
        double cumulative = 0.0;
        for (int32_t i = 0; i < sorted; i++) {
            cumulative += exp((double)c[i].logit - max_logit) / total;
            if (cumulative >= top_p) return i + 1;
        }
        if (sorted == n) return n;
    }
}

int32_t sl_sample(sl_sampler *s, const float *logits, int32_t n) {
    if (s->temperature <= 0.0f || s->top_k == 1) return sl_argmax(logits, n);
    if (n > s->capacity) n = s->capacity;
    sl_candidate *c = s->candidates;
    int32_t m = 0;
    float max_logit = -INFINITY;
    const float inv_t = 1.0f / s->temperature;
    for (int32_t i = 0; i < n; i++) {
        if (!(logits[i] > -INFINITY)) continue; /* masked (or NaN) */
        float l = logits[i] * inv_t;
        c[m].id = i;
        c[m].logit = l;
        if (l > max_logit) max_logit = l;
        m++;
    }
    if (m == 0) return -1;
    if (s->top_k > 0 && s->top_k < m) {
        select_best(c, m, s->top_k);
        m = s->top_k;
    }
    double total = 0.0;
    for (int32_t i = 0; i < m; i++) total += exp((double)c[i].logit - max_logit);
    if (s->top_p < 1.0f) {
        int32_t keep = nucleus_size(c, m, max_logit, total, s->top_p > 0.0f ? s->top_p : 0.0f);
        if (keep < m) {
            m = keep;
            total = 0.0;
            for (int32_t i = 0; i < m; i++) total += exp((double)c[i].logit - max_logit);
        }
    }
    double u = (double)sl_rng_float(&s->rng) * total, cumulative = 0.0;
    for (int32_t i = 0; i < m; i++) {
        cumulative += exp((double)c[i].logit - max_logit);
        if (u < cumulative) return c[i].id;
    }
    return c[m - 1].id; /* u rounded up to total */
}
