/* tokenizer_internal.h: what the tokenizer's files (pretokenize.c, bpe_train.c, tokenizer.c)
 * share inside the engine: the limits, the pre-token splitter, the merge table, and a small
 * open-addressing map from a pair of token ids to an int32. */
#ifndef SL_TOKENIZER_INTERNAL_H
#define SL_TOKENIZER_INTERNAL_H
#include "seedling.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

/* A pre-token is never longer than this: it bounds the work of merging one pre-token and the
 * length of every trained token. */
#define SL_PRETOKEN_MAX_BYTES 64
/* Longest token a deserialized merge table may define (imported tokenizers may have longer
 * tokens than ours, but never unbounded ones: a chain of self-merges doubles each time). */
#define SL_TOKEN_MAX_BYTES 256
/* Largest vocabulary a tokenizer may have (bounds what a hostile blob can make us allocate). */
#define SL_TOKENIZER_MAX_VOCAB (1 << 20)

/* Length (>= 1) of the pre-token that starts at text[0], given n >= 1 bytes from there on.
 * The rules are documented at the top of pretokenize.c. */
size_t sl_pretoken_length(const uint8_t *text, size_t n);

typedef struct sl_encode_cache sl_encode_cache; /* tokenizer.c: pre-token -> ids, bounded */

struct sl_tokenizer {
    int32_t vocab_size;
    int32_t n_merges;       /* vocab_size - SL_NUM_BYTE_AND_SPECIAL_TOKENS */
    int32_t *merges;        /* [n_merges][2]: merge k joins (left, right) into id 261 + k */
    uint64_t *rank_keys;    /* open-addressing set of merged pairs (see sl_pair_key) ... */
    int32_t *rank_values;   /* ... mapped to their merge index, the rank */
    uint64_t rank_mask;
    uint32_t *token_offset; /* [vocab_size] where each token's bytes start in token_bytes */
    uint16_t *token_len;    /* [vocab_size] 1 for bytes, 0 for special tokens */
    char *token_bytes;
    /* The encode cache belongs to whichever thread holds cache_busy; a concurrent encode on the
     * same tokenizer simply runs without it, so a const tokenizer is safe to share. */
    sl_encode_cache *cache;
    atomic_int cache_busy;
};

/* Build a tokenizer from a merge table ([n_merges][2] ids). Validates every merge (ids defined
 * before use, no special tokens, no repeated pair, bounded token length) and fails with
 * SL_ERR_CORRUPT on the first bad one. */
sl_status sl_tokenizer_from_merges(const int32_t *merges, int32_t n_merges, sl_tokenizer **out);

/* ---- pair map ----------------------------------------------------------------------------- */
/* Token ids are < 2^20, so (left, right) packs into one 64-bit key and all-ones marks an empty
 * slot. Linear probing, power-of-two capacity, kept at most half full. */

#define SL_PAIR_EMPTY UINT64_MAX

static inline uint64_t sl_pair_key(int32_t left, int32_t right) {
    return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
}

static inline uint64_t sl_pair_slot(uint64_t key, uint64_t mask) {
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 32;
    return key & mask;
}

/* Index of key's slot: either holding key, or the empty slot where it would go. */
static inline uint64_t sl_pair_find(const uint64_t *keys, uint64_t mask, uint64_t key) {
    uint64_t i = sl_pair_slot(key, mask);
    while (keys[i] != key && keys[i] != SL_PAIR_EMPTY) i = (i + 1) & mask;
    return i;
}

/* Rank of merging (left, right), or -1 if the pair is not a merge. */
static inline int32_t sl_tokenizer_rank(const sl_tokenizer *tok, int32_t left, int32_t right) {
    uint64_t key = sl_pair_key(left, right);
    uint64_t i = sl_pair_find(tok->rank_keys, tok->rank_mask, key);
    return tok->rank_keys[i] == key ? tok->rank_values[i] : -1;
}

/* ---- byte-string hash (pre-token counting in training, the encode cache) ------------------- */
static inline uint64_t sl_hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull);
    while (n >= 8) {
        uint64_t w = 0;
        for (int i = 0; i < 8; i++) w |= (uint64_t)p[i] << (8 * i); /* compiles to one load */
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) w |= (uint64_t)p[i] << (8 * i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h;
}
#endif
