/* tokenizer_blob.c: the tokenizer as a self-contained byte blob (checkpoints embed it).
 *
 * Layout, all integers unsigned 32-bit little-endian:
 *   "SLTK"  version (1)  pretokenizer (1)  vocab_size  then vocab_size - 261 merges,
 *   each as (left id, right id); merge k defines id 261 + k.
 * The pretokenizer field names the pre-token rules (pretokenize.c) the merges were learned
 * with: a future change of rules gets a new number, and old blobs keep meaning what they meant.
 * Deserialization trusts nothing: the length must match vocab_size exactly before anything is
 * allocated, and every merge is checked by sl_tokenizer_from_merges. */
#include "tokenizer/tokenizer_internal.h"

#include <string.h>

#include "core/error.h"

#define BLOB_VERSION 1
#define BLOB_PRETOKENIZER 1
#define BLOB_HEADER_BYTES 16

static void put_u32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

sl_status sl_tokenizer_serialize(const sl_tokenizer *tok, uint8_t **out_bytes, size_t *out_len) {
    if (!tok || !out_bytes || !out_len)
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_serialize: NULL argument");
    *out_bytes = NULL;
    *out_len = 0;
    size_t len = BLOB_HEADER_BYTES + (size_t)tok->n_merges * 8;
    uint8_t *blob = sl_calloc_or_fail(len, 1, "tokenizer blob");
    if (!blob) return SL_ERR_OUT_OF_MEMORY;
    memcpy(blob, "SLTK", 4);
    put_u32(blob + 4, BLOB_VERSION);
    put_u32(blob + 8, BLOB_PRETOKENIZER);
    put_u32(blob + 12, (uint32_t)tok->vocab_size);
    for (int32_t k = 0; k < 2 * tok->n_merges; k++)
        put_u32(blob + BLOB_HEADER_BYTES + 4 * (size_t)k, (uint32_t)tok->merges[k]);
    *out_bytes = blob;
    *out_len = len;
    return SL_OK;
}

sl_status sl_tokenizer_deserialize(const uint8_t *bytes, size_t len, sl_tokenizer **out) {
    if (!out || (!bytes && len))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_deserialize: NULL argument");
    *out = NULL;
    if (len < BLOB_HEADER_BYTES)
        return sl_fail(SL_ERR_CORRUPT, "tokenizer blob: %zu bytes is shorter than its %d-byte header",
                       len, BLOB_HEADER_BYTES);
    if (memcmp(bytes, "SLTK", 4) != 0)
        return sl_fail(SL_ERR_CORRUPT, "tokenizer blob: bad magic (expected \"SLTK\")");
    uint32_t version = get_u32(bytes + 4);
    if (version == 0)
        return sl_fail(SL_ERR_CORRUPT, "tokenizer blob: version 0 is not valid");
    if (version > BLOB_VERSION)
        return sl_fail(SL_ERR_UNSUPPORTED,
                       "tokenizer blob: version %u is newer than this engine reads (%d)", version,
                       BLOB_VERSION);
    uint32_t pretokenizer = get_u32(bytes + 8);
    if (pretokenizer != BLOB_PRETOKENIZER)
        return sl_fail(pretokenizer > BLOB_PRETOKENIZER ? SL_ERR_UNSUPPORTED : SL_ERR_CORRUPT,
                       "tokenizer blob: unknown pre-token rules %u (this engine has %d)",
                       pretokenizer, BLOB_PRETOKENIZER);
    uint32_t vocab = get_u32(bytes + 12);
    if (vocab < SL_NUM_BYTE_AND_SPECIAL_TOKENS || vocab > SL_TOKENIZER_MAX_VOCAB)
        return sl_fail(SL_ERR_CORRUPT, "tokenizer blob: vocab_size %u is out of range (%d..%d)",
                       vocab, SL_NUM_BYTE_AND_SPECIAL_TOKENS, SL_TOKENIZER_MAX_VOCAB);
    size_t n_merges = vocab - SL_NUM_BYTE_AND_SPECIAL_TOKENS;
    size_t expected = BLOB_HEADER_BYTES + n_merges * 8;
    if (len != expected)
        return sl_fail(SL_ERR_CORRUPT,
                       "tokenizer blob: %zu bytes, but vocab_size %u needs exactly %zu (%s)", len,
                       vocab, expected, len < expected ? "truncated" : "trailing bytes");

    int32_t *merges = sl_calloc_or_fail(n_merges * 2, sizeof(int32_t), "tokenizer merges");
    if (!merges) return SL_ERR_OUT_OF_MEMORY;
    for (size_t k = 0; k < 2 * n_merges; k++) {
        uint32_t id = get_u32(bytes + BLOB_HEADER_BYTES + 4 * k);
        /* Anything >= vocab is invalid; clamping keeps it invalid without int32 overflow. */
        merges[k] = id < vocab ? (int32_t)id : (int32_t)vocab;
    }
    sl_status st = sl_tokenizer_from_merges(merges, (int32_t)n_merges, out);
    free(merges);
    return st;
}
