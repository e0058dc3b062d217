/* sampler.h: choosing the next token from logits: greedy, or temperature with top-k and
 * top-p (nucleus) truncation, from a seeded stream so a seed reproduces a completion.
 * Tokens the caller must never produce are masked beforehand by setting their logit to -INFINITY. */
#ifndef SL_SAMPLER_H
#define SL_SAMPLER_H
#include "core/rng.h"

#include <stdint.h>

typedef struct {
    int32_t id;
    float logit;
} sl_candidate;

typedef struct {
    float temperature; /* <= 0: greedy */
    int32_t top_k;     /* <= 0: off */
    float top_p;       /* >= 1: off */
    sl_rng rng;
    sl_candidate *candidates; /* scratch, one per vocabulary entry */
    int32_t capacity;
} sl_sampler;

/* Scratch for a vocabulary of n_vocab ids. Returns SL_ERR_OUT_OF_MEMORY (message set) on failure. */
int sl_sampler_init(sl_sampler *s, int32_t n_vocab, float temperature, int32_t top_k, float top_p,
                    uint64_t seed);
void sl_sampler_free(sl_sampler *s);

/* Index of the largest finite logit, the lowest id among ties; -1 if every logit is -inf/NaN. */
int32_t sl_argmax(const float *logits, int32_t n);

/* The next token under the sampler's settings; -1 if every logit is masked. */
int32_t sl_sample(sl_sampler *s, const float *logits, int32_t n);
#endif
