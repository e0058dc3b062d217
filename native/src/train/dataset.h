/* dataset.h: a tokenized corpus of documents, and how training windows are drawn from it. */
#ifndef SL_DATASET_H
#define SL_DATASET_H
#include "seedling.h"
#include "core/rng.h"

struct sl_dataset {
    int32_t *tokens;     /* all documents, each followed by SL_TOKEN_FILE_SEP */
    size_t n_tokens;
    size_t *doc_starts;  /* [n_docs + 1] offsets of each document's first token (last = n_tokens) */
    size_t n_docs;
};

/* Fill inputs/targets ([T] each) with one random window of T+1 tokens, FIM-transformed with
 * probability opts->fim_rate (within the document the window starts in). */
void sl_dataset_sample_window(const sl_dataset *ds, const sl_train_options *opts, sl_rng *rng,
                              int T, int32_t *inputs, int32_t *targets);
#endif
