/* dataset.c: a tokenized corpus. Documents are encoded one by one and laid end to end, each
 * followed by SL_TOKEN_FILE_SEP, so the model learns where a file ends and training windows may
 * run across file boundaries. Where each document starts is kept for the fill-in-the-middle
 * transform (dataset_window.c), which must stay inside one document. */
#include "train/dataset.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

/* Append n tokens, growing the buffer geometrically. */
static sl_status append_tokens(sl_dataset *ds, size_t *capacity, const int32_t *tokens, size_t n) {
    if (ds->n_tokens + n > *capacity) {
        size_t cap = *capacity ? *capacity : 4096;
        while (cap < ds->n_tokens + n) cap *= 2;
        int32_t *grown = realloc(ds->tokens, cap * sizeof(int32_t));
        if (!grown) return sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory growing the dataset to %zu tokens", cap);
        ds->tokens = grown;
        *capacity = cap;
    }
    memcpy(ds->tokens + ds->n_tokens, tokens, n * sizeof(int32_t));
    ds->n_tokens += n;
    return SL_OK;
}

sl_status sl_dataset_create(const sl_tokenizer *tok, const char *const *docs,
                            const size_t *doc_lens, size_t n_docs, sl_dataset **out) {
    if (!out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_dataset_create: out is NULL");
    *out = NULL;
    if (!tok) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_dataset_create: tokenizer is NULL");
    if (n_docs == 0) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_dataset_create: no documents");
    if (!docs || !doc_lens) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_dataset_create: NULL docs or doc_lens");
    for (size_t i = 0; i < n_docs; i++)
        if (!docs[i] && doc_lens[i]) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_dataset_create: document %zu is NULL", i);

    sl_dataset *ds = sl_calloc_or_fail(1, sizeof *ds, "dataset");
    if (!ds) return SL_ERR_OUT_OF_MEMORY;
    ds->doc_starts = sl_calloc_or_fail(n_docs + 1, sizeof(size_t), "dataset document offsets");
    sl_status st = ds->doc_starts ? SL_OK : SL_ERR_OUT_OF_MEMORY;
    size_t capacity = 0;
    const int32_t sep = SL_TOKEN_FILE_SEP;
    for (size_t i = 0; i < n_docs && st == SL_OK; i++) {
        ds->doc_starts[i] = ds->n_tokens;
        int32_t *ids = NULL;
        size_t n = 0;
        st = sl_tokenizer_encode(tok, doc_lens[i] ? docs[i] : "", doc_lens[i], &ids, &n);
        if (st == SL_OK) st = append_tokens(ds, &capacity, ids, n);
        if (st == SL_OK) st = append_tokens(ds, &capacity, &sep, 1);
        sl_free(ids);
    }
    if (st != SL_OK) {
        sl_dataset_free(ds);
        return st;
    }
    ds->doc_starts[n_docs] = ds->n_tokens;
    ds->n_docs = n_docs;
    *out = ds;
    return SL_OK;
}

void sl_dataset_free(sl_dataset *ds) {
    if (!ds) return;
    free(ds->tokens);
    free(ds->doc_starts);
    free(ds);
}

size_t sl_dataset_num_tokens(const sl_dataset *ds) { return ds ? ds->n_tokens : 0; }
