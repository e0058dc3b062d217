/* bpe_train.c: learning the merge table from documents.
 *
 * 1. Cut every document into pre-tokens and count each distinct pre-token (a hash map whose keys
 *    point into the documents). Source code repeats itself: 5 MB of Python has ~1.3 M pre-tokens
 *    but only ~100 k distinct ones, and BPE then works on those, each weighted by its count.
 * 2. Count every adjacent pair of symbols over the distinct pre-tokens ("words"), remembering for
 *    each pair the words it occurs in, and keep the pairs in a max-heap by count.
 * 3. Repeatedly merge the most frequent pair (ties: the smaller (left, right) ids, so training
 *    is deterministic): rewrite only the words that contain it and adjust only the counts of the
 *    pairs next to each merge site. The heap is updated lazily: a count that drops leaves a stale
 *    entry that is re-queued with the true count when it surfaces; a count that grows is pushed
 *    anew. Every entry is thus >= its pair's true count, so a top entry whose count is exact is
 *    the true maximum.
 * 4. If the text runs out of pairs before vocab_size, the remaining ids are filled with merges
 *    of byte pairs that did not occur (valid tokens that encoding simply never produces), so the
 *    tokenizer always has exactly the vocabulary the model's embedding table was sized for. */
#include "tokenizer/tokenizer_internal.h"

#include <string.h>

#include "core/error.h"

/* ---- pre-token counting -------------------------------------------------------------------- */

typedef struct {
    const uint8_t *bytes; /* into the caller's document; NULL = empty slot */
    uint32_t len;
    uint64_t hash;
    int64_t count;
} pretoken_entry;

typedef struct {
    pretoken_entry *slots;
    size_t mask, used;
} pretoken_counts;

static int grow_pretoken_counts(pretoken_counts *pc) {
    size_t capacity = pc->slots ? 2 * (pc->mask + 1) : (1u << 16);
    pretoken_entry *slots = calloc(capacity, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; pc->slots && i <= pc->mask; i++) {
        if (!pc->slots[i].bytes) continue;
        size_t j = pc->slots[i].hash & (capacity - 1);
        while (slots[j].bytes) j = (j + 1) & (capacity - 1);
        slots[j] = pc->slots[i];
    }
    free(pc->slots);
    pc->slots = slots;
    pc->mask = capacity - 1;
    return 0;
}

static int count_pretoken(pretoken_counts *pc, const uint8_t *s, size_t n) {
    if (2 * (pc->used + 1) > pc->mask + 1 && grow_pretoken_counts(pc)) return -1;
    uint64_t h = sl_hash_bytes(s, n);
    size_t i = h & pc->mask;
    for (;; i = (i + 1) & pc->mask) {
        pretoken_entry *e = &pc->slots[i];
        if (!e->bytes) {
            *e = (pretoken_entry){s, (uint32_t)n, h, 1};
            pc->used++;
            return 0;
        }
        if (e->hash == h && e->len == n && memcmp(e->bytes, s, n) == 0) {
            e->count++;
            return 0;
        }
    }
}

/* ---- the merge state ----------------------------------------------------------------------- */

typedef struct {
    int64_t count;
    uint64_t key; /* sl_pair_key(left, right): the tie-break */
    int32_t pair;
} heap_entry;

typedef struct {
    /* words: the distinct pre-tokens of 2+ bytes, as symbol ids, rewritten in place */
    int32_t *symbols;
    uint32_t *word_start;
    uint8_t *word_len;
    int64_t *word_weight;
    int32_t n_words;
    /* pairs: index -> (left, right), count, the words it was seen in */
    uint64_t *map_keys; /* pair key -> pair index */
    int32_t *map_values;
    uint64_t map_mask;
    int32_t n_pairs, pair_capacity;
    int32_t *left, *right;
    int64_t *count;
    int64_t *count_before; /* count when first touched in the current merge step */
    int32_t *touched_step;
    int32_t **occ;         /* words the pair was added in (may repeat; may be stale) */
    int32_t *occ_len, *occ_cap;
    int32_t *touched;      /* pairs touched in the current step */
    int32_t n_touched;
    heap_entry *heap;
    size_t heap_len, heap_cap;
} bpe_state;

static int heap_before(const heap_entry *a, const heap_entry *b) {
    return a->count > b->count || (a->count == b->count && a->key < b->key);
}

static int heap_push(bpe_state *st, int32_t pair) {
    if (st->heap_len == st->heap_cap) {
        size_t cap = st->heap_cap ? 2 * st->heap_cap : 4096;
        heap_entry *h = realloc(st->heap, cap * sizeof *h);
        if (!h) return -1;
        st->heap = h;
        st->heap_cap = cap;
    }
    heap_entry e = {st->count[pair], sl_pair_key(st->left[pair], st->right[pair]), pair};
    size_t i = st->heap_len++;
    while (i > 0 && heap_before(&e, &st->heap[(i - 1) / 2])) {
        st->heap[i] = st->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    st->heap[i] = e;
    return 0;
}

static heap_entry heap_pop(bpe_state *st) {
    heap_entry top = st->heap[0], last = st->heap[--st->heap_len];
    size_t i = 0, n = st->heap_len;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && heap_before(&st->heap[c + 1], &st->heap[c])) c++;
        if (!heap_before(&st->heap[c], &last)) break;
        st->heap[i] = st->heap[c];
        i = c;
    }
    if (n) st->heap[i] = last;
    return top;
}

static int grow_pair_map(bpe_state *st) {
    uint64_t capacity = st->map_keys ? 2 * (st->map_mask + 1) : (1u << 16);
    uint64_t *keys = malloc(capacity * sizeof *keys);
    int32_t *values = malloc(capacity * sizeof *values);
    if (!keys || !values) {
        free(keys);
        free(values);
        return -1;
    }
    memset(keys, 0xff, capacity * sizeof *keys);
    for (int32_t p = 0; p < st->n_pairs; p++) {
        uint64_t key = sl_pair_key(st->left[p], st->right[p]);
        uint64_t i = sl_pair_find(keys, capacity - 1, key);
        keys[i] = key;
        values[i] = p;
    }
    free(st->map_keys);
    free(st->map_values);
    st->map_keys = keys;
    st->map_values = values;
    st->map_mask = capacity - 1;
    return 0;
}

#define GROW(ptr, cap) ((tmp = realloc((ptr), (size_t)(cap) * sizeof *(ptr))) ? ((ptr) = tmp, 0) : -1)

static int grow_pairs(bpe_state *st) {
    int32_t cap = st->pair_capacity ? 2 * st->pair_capacity : (1 << 16);
    void *tmp;
    if (GROW(st->left, cap) || GROW(st->right, cap) || GROW(st->count, cap) ||
        GROW(st->count_before, cap) || GROW(st->touched_step, cap) || GROW(st->occ, cap) ||
        GROW(st->occ_len, cap) || GROW(st->occ_cap, cap) || GROW(st->touched, cap))
        return -1;
    st->pair_capacity = cap;
    return 0;
}

/* Index of pair (left, right), created with count 0 if new; -1 if out of memory. */
static int32_t pair_index(bpe_state *st, int32_t left, int32_t right) {
    uint64_t key = sl_pair_key(left, right);
    uint64_t i = sl_pair_find(st->map_keys, st->map_mask, key);
    if (st->map_keys[i] == key) return st->map_values[i];
    if (st->n_pairs == st->pair_capacity && grow_pairs(st)) return -1;
    if (2 * ((uint64_t)st->n_pairs + 1) > st->map_mask + 1) {
        if (grow_pair_map(st)) return -1;
        i = sl_pair_find(st->map_keys, st->map_mask, key);
    }
    int32_t p = st->n_pairs++;
    st->left[p] = left;
    st->right[p] = right;
    st->count[p] = 0;
    st->touched_step[p] = -1;
    st->occ[p] = NULL;
    st->occ_len[p] = st->occ_cap[p] = 0;
    st->map_keys[i] = key;
    st->map_values[i] = p;
    return p;
}

/* Add delta occurrences (weighted) of (left, right) in word w during merge step `step`. */
static int pair_add(bpe_state *st, int32_t left, int32_t right, int64_t delta, int32_t w,
                    int32_t step) {
    int32_t p = pair_index(st, left, right);
    if (p < 0) return -1;
    if (st->touched_step[p] != step) {
        st->touched_step[p] = step;
        st->count_before[p] = st->count[p];
        st->touched[st->n_touched++] = p;
    }
    st->count[p] += delta;
    if (delta > 0 && (st->occ_len[p] == 0 || st->occ[p][st->occ_len[p] - 1] != w)) {
        if (st->occ_len[p] == st->occ_cap[p]) {
            int32_t cap = st->occ_cap[p] ? 2 * st->occ_cap[p] : 4;
            int32_t *o = realloc(st->occ[p], (size_t)cap * sizeof *o);
            if (!o) return -1;
            st->occ[p] = o;
            st->occ_cap[p] = cap;
        }
        st->occ[p][st->occ_len[p]++] = w;
    }
    return 0;
}

/* Queue every pair whose count grew in this step (those that shrank are fixed lazily). */
static int finish_step(bpe_state *st) {
    for (int32_t t = 0; t < st->n_touched; t++) {
        int32_t p = st->touched[t];
        if (st->count[p] > st->count_before[p] && heap_push(st, p)) return -1;
    }
    st->n_touched = 0;
    return 0;
}

/* Replace every (a, b) in word w, left to right, by id c, adjusting neighbouring pair counts. */
static int merge_word(bpe_state *st, int32_t w, int32_t a, int32_t b, int32_t c, int32_t step) {
    int32_t *s = st->symbols + st->word_start[w];
    int len = st->word_len[w], out = 0;
    int64_t weight = st->word_weight[w];
    for (int i = 0; i < len;) {
        if (i + 1 < len && s[i] == a && s[i + 1] == b) {
            if (out > 0 && (pair_add(st, s[out - 1], a, -weight, w, step) ||
                            pair_add(st, s[out - 1], c, weight, w, step)))
                return -1;
            if (i + 2 < len && (pair_add(st, b, s[i + 2], -weight, w, step) ||
                                pair_add(st, c, s[i + 2], weight, w, step)))
                return -1;
            s[out++] = c;
            i += 2;
        } else {
            s[out++] = s[i++];
        }
    }
    st->word_len[w] = (uint8_t)out;
    return 0;
}

static void free_state(bpe_state *st) {
    free(st->symbols);
    free(st->word_start);
    free(st->word_len);
    free(st->word_weight);
    free(st->map_keys);
    free(st->map_values);
    for (int32_t p = 0; p < st->n_pairs; p++) free(st->occ[p]);
    free(st->left);
    free(st->right);
    free(st->count);
    free(st->count_before);
    free(st->touched_step);
    free(st->occ);
    free(st->occ_len);
    free(st->occ_cap);
    free(st->touched);
    free(st->heap);
}

/* Words from the counted pre-tokens, their pairs and the initial heap. */
static int build_state(bpe_state *st, const pretoken_counts *pc) {
    size_t n_words = 0, n_symbols = 0;
    for (size_t i = 0; pc->slots && i <= pc->mask; i++)
        if (pc->slots[i].bytes && pc->slots[i].len >= 2) {
            n_words++;
            n_symbols += pc->slots[i].len;
        }
    st->symbols = malloc((n_symbols ? n_symbols : 1) * sizeof *st->symbols);
    st->word_start = malloc((n_words ? n_words : 1) * sizeof *st->word_start);
    st->word_len = malloc(n_words ? n_words : 1);
    st->word_weight = malloc((n_words ? n_words : 1) * sizeof *st->word_weight);
    if (!st->symbols || !st->word_start || !st->word_len || !st->word_weight) return -1;
    if (grow_pair_map(st) || grow_pairs(st)) return -1;

    size_t at = 0;
    for (size_t i = 0; pc->slots && i <= pc->mask; i++) {
        const pretoken_entry *e = &pc->slots[i];
        if (!e->bytes || e->len < 2) continue;
        int32_t w = st->n_words++;
        st->word_start[w] = (uint32_t)at;
        st->word_len[w] = (uint8_t)e->len;
        st->word_weight[w] = e->count;
        for (uint32_t j = 0; j < e->len; j++) st->symbols[at + j] = e->bytes[j];
        for (uint32_t j = 0; j + 1 < e->len; j++)
            if (pair_add(st, e->bytes[j], e->bytes[j + 1], e->count, w, -1)) return -1;
        at += e->len;
    }
    st->n_touched = 0; /* the initial counts all start from zero: push them all */
    for (int32_t p = 0; p < st->n_pairs; p++)
        if (heap_push(st, p)) return -1;
    return 0;
}

/* Pop the most frequent pair (-1 when none is left), re-queueing entries that went stale. */
static int32_t best_pair(bpe_state *st, int *oom) {
    while (st->heap_len) {
        heap_entry e = heap_pop(st);
        int64_t c = st->count[e.pair];
        if (c <= 0) continue;
        if (c == e.count) return e.pair;
        if (c < e.count && heap_push(st, e.pair)) {
            *oom = 1;
            return -1;
        }
    }
    return -1;
}

/* ---- filler merges ------------------------------------------------------------------------- */

/* Extend merges[0..n_learned) to n_total with merges that did not occur: byte pairs first, then
 * (token, byte) pairs, skipping any pair already merged and any token that would be too long. */
static int add_filler_merges(int32_t *merges, int32_t n_learned, int32_t n_total) {
    if (n_learned == n_total) return 0;
    uint64_t capacity = 16;
    while (capacity < 2 * (uint64_t)n_total) capacity *= 2;
    uint64_t *keys = malloc(capacity * sizeof *keys);
    uint16_t *token_len = malloc(((size_t)n_total + SL_NUM_BYTE_AND_SPECIAL_TOKENS) * sizeof *token_len);
    if (!keys || !token_len) {
        free(keys);
        free(token_len);
        return -1;
    }
    memset(keys, 0xff, capacity * sizeof *keys);
    for (int32_t id = 0; id < SL_NUM_BYTE_AND_SPECIAL_TOKENS; id++) token_len[id] = id < 256;
    for (int32_t k = 0; k < n_learned; k++) {
        uint64_t key = sl_pair_key(merges[2 * k], merges[2 * k + 1]);
        keys[sl_pair_find(keys, capacity - 1, key)] = key;
        token_len[SL_NUM_BYTE_AND_SPECIAL_TOKENS + k] = token_len[merges[2 * k]] + token_len[merges[2 * k + 1]];
    }
    int32_t k = n_learned;
    /* left runs over bytes, then over merged ids (including fillers just made); right over bytes */
    for (int32_t left = 0; k < n_total; left = left == 255 ? SL_NUM_BYTE_AND_SPECIAL_TOKENS : left + 1) {
        if (left >= SL_NUM_BYTE_AND_SPECIAL_TOKENS + k) break; /* cannot happen: ids outpace k */
        if (token_len[left] + 1 > SL_TOKEN_MAX_BYTES) continue;
        for (int32_t right = 0; right < 256 && k < n_total; right++) {
            uint64_t key = sl_pair_key(left, right);
            uint64_t slot = sl_pair_find(keys, capacity - 1, key);
            if (keys[slot] == key) continue;
            keys[slot] = key;
            merges[2 * k] = left;
            merges[2 * k + 1] = right;
            token_len[SL_NUM_BYTE_AND_SPECIAL_TOKENS + k] = (uint16_t)(token_len[left] + 1);
            k++;
        }
    }
    free(keys);
    free(token_len);
    return k == n_total ? 0 : -1;
}

/* ---- the entry point ----------------------------------------------------------------------- */

sl_status sl_tokenizer_train(const char *const *docs, const size_t *doc_lens, size_t n_docs,
                             int32_t vocab_size, sl_tokenizer **out) {
    if (!out || (n_docs && (!docs || !doc_lens)))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_train: NULL argument");
    *out = NULL;
    if (vocab_size < SL_NUM_BYTE_AND_SPECIAL_TOKENS || vocab_size > SL_TOKENIZER_MAX_VOCAB)
        return sl_fail(SL_ERR_INVALID_ARGUMENT,
                       "sl_tokenizer_train: vocab_size %d is out of range (%d..%d)", vocab_size,
                       SL_NUM_BYTE_AND_SPECIAL_TOKENS, SL_TOKENIZER_MAX_VOCAB);
    for (size_t d = 0; d < n_docs; d++)
        if (!docs[d] && doc_lens[d])
            return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_tokenizer_train: document %zu is NULL", d);

    int32_t n_merges = vocab_size - SL_NUM_BYTE_AND_SPECIAL_TOKENS;
    int32_t *merges = malloc(((size_t)n_merges + 1) * 2 * sizeof *merges);
    pretoken_counts pc = {0};
    bpe_state st = {0};
    sl_status status = SL_ERR_OUT_OF_MEMORY;
    if (!merges || grow_pretoken_counts(&pc)) goto done;

    for (size_t d = 0; d < n_docs; d++) {
        const uint8_t *s = (const uint8_t *)docs[d];
        for (size_t pos = 0, n; pos < doc_lens[d]; pos += n) {
            n = sl_pretoken_length(s + pos, doc_lens[d] - pos);
            if (count_pretoken(&pc, s + pos, n)) goto done;
        }
    }
    if (build_state(&st, &pc)) goto done;

    int32_t learned = 0;
    while (learned < n_merges) {
        int oom = 0;
        int32_t p = best_pair(&st, &oom);
        if (oom) goto done;
        if (p < 0) break;
        int32_t a = st.left[p], b = st.right[p], c = SL_NUM_BYTE_AND_SPECIAL_TOKENS + learned;
        merges[2 * learned] = a;
        merges[2 * learned + 1] = b;
        /* The list may move while merge_word adds pairs, but never gains entries: after a
         * word's left-to-right merge no (a, b) is left in it. */
        for (int32_t i = 0; i < st.occ_len[p]; i++)
            if (merge_word(&st, st.occ[p][i], a, b, c, learned)) goto done;
        st.count[p] = 0;
        free(st.occ[p]);
        st.occ[p] = NULL;
        st.occ_len[p] = st.occ_cap[p] = 0;
        if (finish_step(&st)) goto done;
        learned++;
    }
    if (add_filler_merges(merges, learned, n_merges)) goto done;
    status = sl_tokenizer_from_merges(merges, n_merges, out);

done:
    if (status == SL_ERR_OUT_OF_MEMORY)
        sl_fail(status, "sl_tokenizer_train: out of memory (%zu distinct pre-tokens, %d pairs)",
                pc.used, st.n_pairs);
    free_state(&st);
    free(pc.slots);
    free(merges);
    return status;
}
