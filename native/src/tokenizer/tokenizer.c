/* tokenizer.c: the byte-level BPE tokenizer at run time: its merge table, encoding (with a
 * bounded cache of pre-token encodings), decoding, and the bytes of each token.
 * Training is in bpe_train.c, the pre-token rules in pretokenize.c, the blob in
 * tokenizer_blob.c. */
#include "tokenizer/tokenizer_internal.h"

#include <limits.h>
#include <string.h>

#include "core/error.h"

/* ---- the encode cache -------------------------------------------------------------------- */
/* Direct-mapped, one 64-byte line per slot, overwritten on collision: bounded at 2 MiB however
 * much text goes through, and a hit costs one hash and one compare. Source code repeats the same
 * few thousand pre-tokens (keywords, indentation, common names), so most lookups hit. Pre-tokens
 * longer than the key or encoding to more ids than fit are simply not cached. */
#define CACHE_SLOTS (1u << 15)
#define CACHE_KEY_MAX 24
#define CACHE_IDS_MAX 8

typedef struct {
    uint32_t hash;
    uint8_t key_len; /* 0 = empty (cached pre-tokens have 2 or more bytes) */
    uint8_t n_ids;
    uint16_t unused;
    uint8_t key[CACHE_KEY_MAX];
    int32_t ids[CACHE_IDS_MAX];
} cache_slot;

struct sl_encode_cache {
    cache_slot slots[CACHE_SLOTS];
};

/* ---- construction ------------------------------------------------------------------------ */

void sl_tokenizer_free(sl_tokenizer *tok) {
    if (!tok) return;
    free(tok->merges);
    free(tok->rank_keys);
    free(tok->rank_values);
    free(tok->token_offset);
    free(tok->token_len);
    free(tok->token_bytes);
    free(tok->cache);
    free(tok);
}

/* Check the merge table and size every token; returns the total bytes of all tokens. */
static sl_status validate_merges(const int32_t *merges, int32_t n_merges, uint16_t *token_len,
                                 size_t *out_total) {
    size_t total = 256;
    for (int32_t id = 0; id < SL_NUM_BYTE_AND_SPECIAL_TOKENS; id++) token_len[id] = id < 256;
    for (int32_t k = 0; k < n_merges; k++) {
        int32_t id = SL_NUM_BYTE_AND_SPECIAL_TOKENS + k;
        for (int side = 0; side < 2; side++) {
            int32_t part = merges[2 * k + side];
            if (part < 0 || part >= id)
                return sl_fail(SL_ERR_CORRUPT,
                               "tokenizer: merge %d (token %d) uses id %d, which is not defined "
                               "before it", k, id, part);
            if (part >= 256 && part < SL_NUM_BYTE_AND_SPECIAL_TOKENS)
                return sl_fail(SL_ERR_CORRUPT,
                               "tokenizer: merge %d (token %d) uses special token %d", k, id, part);
        }
        size_t len = (size_t)token_len[merges[2 * k]] + token_len[merges[2 * k + 1]];
        if (len > SL_TOKEN_MAX_BYTES)
            return sl_fail(SL_ERR_CORRUPT, "tokenizer: token %d would be %zu bytes long (limit %d)",
                           id, len, SL_TOKEN_MAX_BYTES);
        token_len[id] = (uint16_t)len;
        total += len;
    }
    *out_total = total;
    return SL_OK;
}

sl_status sl_tokenizer_from_merges(const int32_t *merges, int32_t n_merges, sl_tokenizer **out) {
    if (!out || (n_merges > 0 && !merges))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "tokenizer: NULL argument");
    *out = NULL;
    if (n_merges < 0 || n_merges > SL_TOKENIZER_MAX_VOCAB - SL_NUM_BYTE_AND_SPECIAL_TOKENS)
        return sl_fail(SL_ERR_CORRUPT, "tokenizer: %d merges is out of range (0..%d)", n_merges,
                       SL_TOKENIZER_MAX_VOCAB - SL_NUM_BYTE_AND_SPECIAL_TOKENS);

    sl_tokenizer *tok = sl_calloc_or_fail(1, sizeof *tok, "tokenizer");
    if (!tok) return SL_ERR_OUT_OF_MEMORY;
    tok->n_merges = n_merges;
    tok->vocab_size = SL_NUM_BYTE_AND_SPECIAL_TOKENS + n_merges;
    atomic_init(&tok->cache_busy, 0);
    uint64_t capacity = 16;
    while (capacity < 2 * (uint64_t)n_merges) capacity *= 2;
    tok->rank_mask = capacity - 1;

    tok->merges = sl_calloc_or_fail((size_t)n_merges * 2, sizeof(int32_t), "tokenizer merges");
    tok->rank_keys = sl_calloc_or_fail(capacity, sizeof(uint64_t), "tokenizer merge table");
    tok->rank_values = sl_calloc_or_fail(capacity, sizeof(int32_t), "tokenizer merge table");
    tok->token_offset = sl_calloc_or_fail(tok->vocab_size, sizeof(uint32_t), "token offsets");
    tok->token_len = sl_calloc_or_fail(tok->vocab_size, sizeof(uint16_t), "token lengths");
    if (!tok->merges || !tok->rank_keys || !tok->rank_values || !tok->token_offset ||
        !tok->token_len) {
        sl_tokenizer_free(tok);
        return SL_ERR_OUT_OF_MEMORY;
    }
    if (n_merges) memcpy(tok->merges, merges, (size_t)n_merges * 2 * sizeof(int32_t));

    size_t total = 0;
    sl_status st = validate_merges(tok->merges, n_merges, tok->token_len, &total);
    if (st != SL_OK) {
        sl_tokenizer_free(tok);
        return st;
    }

    memset(tok->rank_keys, 0xff, capacity * sizeof(uint64_t)); /* all SL_PAIR_EMPTY */
    for (int32_t k = 0; k < n_merges; k++) {
        uint64_t key = sl_pair_key(tok->merges[2 * k], tok->merges[2 * k + 1]);
        uint64_t slot = sl_pair_find(tok->rank_keys, tok->rank_mask, key);
        if (tok->rank_keys[slot] == key) {
            sl_fail(SL_ERR_CORRUPT, "tokenizer: merge %d repeats merge %d (%d, %d)", k,
                    tok->rank_values[slot], tok->merges[2 * k], tok->merges[2 * k + 1]);
            sl_tokenizer_free(tok);
            return SL_ERR_CORRUPT;
        }
        tok->rank_keys[slot] = key;
        tok->rank_values[slot] = k;
    }

    tok->token_bytes = sl_calloc_or_fail(total, 1, "token bytes");
    if (!tok->token_bytes) {
        sl_tokenizer_free(tok);
        return SL_ERR_OUT_OF_MEMORY;
    }
    size_t at = 0;
    for (int32_t id = 0; id < tok->vocab_size; id++) {
        tok->token_offset[id] = (uint32_t)at;
        if (id < 256) {
            tok->token_bytes[at] = (char)id;
        } else if (id >= SL_NUM_BYTE_AND_SPECIAL_TOKENS) {
            const int32_t *pair = &tok->merges[2 * (id - SL_NUM_BYTE_AND_SPECIAL_TOKENS)];
            memcpy(tok->token_bytes + at, tok->token_bytes + tok->token_offset[pair[0]],
                   tok->token_len[pair[0]]);
            memcpy(tok->token_bytes + at + tok->token_len[pair[0]],
                   tok->token_bytes + tok->token_offset[pair[1]], tok->token_len[pair[1]]);
        }
        at += tok->token_len[id];
    }
    *out = tok;
    return SL_OK;
}

sl_status sl_tokenizer_create_bytes(sl_tokenizer **out) {
    if (!out) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_create_bytes: out is NULL");
    return sl_tokenizer_from_merges(NULL, 0, out);
}

int32_t sl_tokenizer_vocab_size(const sl_tokenizer *tok) { return tok ? tok->vocab_size : 0; }

const char *sl_tokenizer_token_bytes(const sl_tokenizer *tok, int32_t id, size_t *out_len) {
    if (out_len) *out_len = 0;
    if (!tok || id < 0 || id >= tok->vocab_size) return NULL;
    if (id >= 256 && id < SL_NUM_BYTE_AND_SPECIAL_TOKENS) return NULL;
    if (out_len) *out_len = tok->token_len[id];
    return tok->token_bytes + tok->token_offset[id];
}

/* ---- encoding ---------------------------------------------------------------------------- */

/* BPE on one pre-token: start from its bytes and apply the lowest-ranked merge present (the
 * leftmost of equals) until none applies, exactly the order training learned them in. n is at
 * most SL_PRETOKEN_MAX_BYTES, so the quadratic scan stays a few hundred steps at worst. */
static size_t merge_pretoken(const sl_tokenizer *tok, const uint8_t *s, size_t n, int32_t *out) {
    int32_t ids[SL_PRETOKEN_MAX_BYTES];
    int32_t ranks[SL_PRETOKEN_MAX_BYTES]; /* ranks[i]: merge rank of (ids[i], ids[i+1]) */
    size_t m = n;
    for (size_t i = 0; i < m; i++) ids[i] = s[i];
    for (size_t i = 0; i + 1 < m; i++) {
        int32_t r = sl_tokenizer_rank(tok, ids[i], ids[i + 1]);
        ranks[i] = r < 0 ? INT32_MAX : r;
    }
    while (m > 1) {
        size_t at = 0;
        for (size_t i = 1; i + 1 < m; i++)
            if (ranks[i] < ranks[at]) at = i;
        if (ranks[at] == INT32_MAX) break;
        ids[at] = SL_NUM_BYTE_AND_SPECIAL_TOKENS + ranks[at];
        for (size_t j = at + 1; j + 1 < m; j++) {
            ids[j] = ids[j + 1];
            ranks[j] = ranks[j + 1];
        }
        m--;
        if (at > 0) {
            int32_t r = sl_tokenizer_rank(tok, ids[at - 1], ids[at]);
            ranks[at - 1] = r < 0 ? INT32_MAX : r;
        }
        if (at + 1 < m) {
            int32_t r = sl_tokenizer_rank(tok, ids[at], ids[at + 1]);
            ranks[at] = r < 0 ? INT32_MAX : r;
        }
    }
    memcpy(out, ids, m * sizeof(int32_t));
    return m;
}

static size_t encode_pretoken_cached(const sl_tokenizer *tok, sl_encode_cache *cache,
                                     const uint8_t *s, size_t n, int32_t *out) {
    if (!cache || n > CACHE_KEY_MAX) return merge_pretoken(tok, s, n, out);
    uint64_t h = sl_hash_bytes(s, n);
    cache_slot *slot = &cache->slots[h & (CACHE_SLOTS - 1)];
    uint32_t check = (uint32_t)(h >> 32);
    if (slot->hash == check && slot->key_len == n && memcmp(slot->key, s, n) == 0) {
        memcpy(out, slot->ids, slot->n_ids * sizeof(int32_t));
        return slot->n_ids;
    }
    size_t m = merge_pretoken(tok, s, n, out);
    if (m <= CACHE_IDS_MAX) {
        slot->hash = check;
        slot->key_len = (uint8_t)n;
        slot->n_ids = (uint8_t)m;
        memcpy(slot->key, s, n);
        memcpy(slot->ids, out, m * sizeof(int32_t));
    }
    return m;
}

/* Take the tokenizer's cache for this call (allocating it on first use), or NULL if another
 * thread is using it or memory is short: encoding then simply runs uncached. */
static sl_encode_cache *acquire_cache(sl_tokenizer *tok) {
    if (atomic_exchange_explicit(&tok->cache_busy, 1, memory_order_acquire)) return NULL;
    if (!tok->cache) tok->cache = calloc(1, sizeof(sl_encode_cache));
    if (!tok->cache) atomic_store_explicit(&tok->cache_busy, 0, memory_order_release);
    return tok->cache;
}

static void release_cache(sl_tokenizer *tok, sl_encode_cache *cache) {
    if (cache) atomic_store_explicit(&tok->cache_busy, 0, memory_order_release);
}

sl_status sl_tokenizer_encode(const sl_tokenizer *tok, const char *text, size_t len,
                              int32_t **out_tokens, size_t *out_n) {
    if (!tok || (!text && len) || !out_tokens || !out_n)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_encode: NULL argument");
    *out_tokens = NULL;
    *out_n = 0;
    if (len > SIZE_MAX / sizeof(int32_t) - 1)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_encode: text of %zu bytes is too long", len);
    /* Never more tokens than bytes. */
    int32_t *ids = sl_calloc_or_fail(len ? len : 1, sizeof(int32_t), "encoded tokens");
    if (!ids) return SL_ERR_OUT_OF_MEMORY;

    const uint8_t *s = (const uint8_t *)text;
    size_t n = 0, pos = 0;
    if (tok->n_merges == 0) {
        for (; pos < len; pos++) ids[n++] = s[pos];
    } else {
        /* The cache is scratch state, not part of the tokenizer's value: see cache_busy. */
        sl_tokenizer *mutable_tok = (sl_tokenizer *)tok;
        sl_encode_cache *cache = acquire_cache(mutable_tok);
        while (pos < len) {
            size_t piece = sl_pretoken_length(s + pos, len - pos);
            if (piece == 1) ids[n++] = s[pos];
            else n += encode_pretoken_cached(tok, cache, s + pos, piece, ids + n);
            pos += piece;
        }
        release_cache(mutable_tok, cache);
    }
    if (n < len) {
        int32_t *shrunk = realloc(ids, (n ? n : 1) * sizeof(int32_t));
        if (shrunk) ids = shrunk;
    }
    *out_tokens = ids;
    *out_n = n;
    return SL_OK;
}

/* ---- decoding ---------------------------------------------------------------------------- */

sl_status sl_tokenizer_decode(const sl_tokenizer *tok, const int32_t *tokens, size_t n,
                              char **out_text, size_t *out_len) {
    if (!tok || (!tokens && n) || !out_text || !out_len)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_decode: NULL argument");
    *out_text = NULL;
    *out_len = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (tokens[i] < 0 || tokens[i] >= tok->vocab_size)
            return sl_fail(SL_ERR_INVALID_ARGUMENT,
                           "sl_tokenizer_decode: token %d at position %zu is outside the vocabulary "
                           "(0..%d)", tokens[i], i, tok->vocab_size - 1);
        total += tok->token_len[tokens[i]]; /* <= 256 per token: cannot overflow size_t */
    }
    char *text = sl_calloc_or_fail(total + 1, 1, "decoded text");
    if (!text) return SL_ERR_OUT_OF_MEMORY;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = tok->token_len[tokens[i]]; /* special tokens have length 0 */
        memcpy(text + at, tok->token_bytes + tok->token_offset[tokens[i]], l);
        at += l;
    }
    text[at] = '\0';
    *out_text = text;
    *out_len = at;
    return SL_OK;
}
