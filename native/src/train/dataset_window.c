/* dataset_window.c: drawing one training window, with the fill-in-the-middle transform
 * (Bavarian et al. 2022, "Efficient Training of Language Models to Fill in the Middle").
 *
 * A window is T+1 consecutive tokens from a random offset: inputs are the first T, targets the
 * last T. With probability fim_rate, the window's first T+1-4 tokens, or fewer if the document the
 * window starts in ends sooner (at its FILE_SEP), form the span that is cut at two uniform random
 * points into prefix, middle and suffix and rearranged, in one of two orders:
 *
 *   PSM (prefix-suffix-middle), probability 1 - fim_spm_rate:
 *       FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE middle EOT
 *   SPM (suffix-prefix-middle, the paper's variant that keeps prefix and middle adjacent):
 *       FIM_PREFIX FIM_SUFFIX suffix FIM_MIDDLE prefix middle EOT
 *
 * and the stream continues after the span (FILE_SEP, the next document, ...) up to exactly T+1
 * tokens. Leaving room for the four sentinel tokens means the rearranged span always fits whole:
 * every FIM window shows the model a complete middle and the EOT that ends it. PSM is exactly what
 * sl_build_fim_prompt asks at inference (FIM_PREFIX prefix FIM_SUFFIX suffix FIM_MIDDLE), and the
 * EOT after the middle is how the model learns to stop. Prefix, middle or suffix may be empty (an
 * empty prefix makes PSM and SPM the same sequence, as in the paper). Windows of T+1 <= 4 tokens
 * have no room and stay plain.
 */
#include "train/dataset.h"

enum { FIM_SENTINELS = 4 }; /* FIM_PREFIX, FIM_SUFFIX, FIM_MIDDLE, EOT */

/* Writes the window token by token into inputs (positions 0..T-1) and targets (1..T). */
typedef struct {
    int32_t *inputs, *targets;
    int T, pos;
} window_writer;

static void put(window_writer *w, int32_t token) {
    if (w->pos < w->T) w->inputs[w->pos] = token;
    if (w->pos >= 1 && w->pos <= w->T) w->targets[w->pos - 1] = token;
    w->pos++;
}

static void put_range(window_writer *w, const int32_t *tokens, size_t from, size_t to) {
    for (size_t i = from; i < to && w->pos <= w->T; i++) put(w, tokens[i]);
}

/* The document containing token offset pos: the last d with doc_starts[d] <= pos. */
static size_t document_of(const sl_dataset *ds, size_t pos) {
    size_t lo = 0, hi = ds->n_docs; /* answer in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ds->doc_starts[mid] <= pos) lo = mid;
        else hi = mid;
    }
    return lo;
}

void sl_dataset_sample_window(const sl_dataset *ds, const sl_train_options *opts, sl_rng *rng,
                              int T, int32_t *inputs, int32_t *targets) {
    window_writer w = {inputs, targets, T, 0};
    size_t start = (size_t)sl_rng_below(rng, ds->n_tokens - (size_t)T); /* n_tokens >= T+1 */
    size_t end = start + (size_t)T + 1;
    int fim = ds->n_docs > 0 && T + 1 > FIM_SENTINELS && sl_rng_float(rng) < opts->fim_rate;
    if (fim) {
        size_t doc = document_of(ds, start);
        size_t doc_end = ds->doc_starts[doc + 1] - 1; /* its FILE_SEP */
        size_t span_end = end - FIM_SENTINELS < doc_end ? end - FIM_SENTINELS : doc_end;
        fim = span_end > start; /* a window starting on the separator has nothing to rearrange */
        if (fim) {
            size_t len = span_end - start;
            size_t a = start + (size_t)sl_rng_below(rng, len + 1);
            size_t b = start + (size_t)sl_rng_below(rng, len + 1);
            if (a > b) { size_t t = a; a = b; b = t; }
            int spm = sl_rng_float(rng) < opts->fim_spm_rate;
            const int32_t *tok = ds->tokens;
            put(&w, SL_TOKEN_FIM_PREFIX);
            if (!spm) put_range(&w, tok, start, a);
            put(&w, SL_TOKEN_FIM_SUFFIX);
            put_range(&w, tok, b, span_end);
            put(&w, SL_TOKEN_FIM_MIDDLE);
            if (spm) put_range(&w, tok, start, a);
            put_range(&w, tok, a, b);
            put(&w, SL_TOKEN_EOT);
            /* Fill the rest from where the span stopped: T+1-4-len more tokens, which end
             * before start+T+1 <= n_tokens. */
            put_range(&w, tok, span_end, ds->n_tokens);
        }
    }
    if (!fim) put_range(&w, ds->tokens, start, end);
}
