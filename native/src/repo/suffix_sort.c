/* suffix_sort.c: the order of a token stream's suffixes by their first `depth` tokens, for the
 * repository's ∞-gram (src/engine/infgram/tokenSuffixArray.ts queries it).
 *
 * Counting sort by the first token, then multikey quicksort (Bentley and Sedgewick 1997) inside each
 * bucket: a three-way partition on the token at offset d, recursing on the smaller and larger parts
 * and moving on to d + 1 in the equal part. Sorting stops at `depth` tokens, so a long repeat costs at
 * most `depth` token comparisons per suffix. A suffix that runs out of tokens sorts before every
 * longer one that shares its tokens (the key past the end is -1). Order among suffixes equal for
 * `depth` tokens is unspecified. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "seedling.h"

/* Below this many suffixes a part is sorted by insertion. */
#define SMALL_PART 12

typedef struct {
    const uint16_t *tokens;
    size_t n;
    int32_t depth;
} sort_ctx;

static inline int32_t key_at(const sort_ctx *c, int32_t suffix, int32_t d) {
    size_t at = (size_t)suffix + (size_t)d;
    return at < c->n ? (int32_t)c->tokens[at] : -1;
}

/* Compares two suffixes from offset d up to the sort depth. */
static int compare_from(const sort_ctx *c, int32_t a, int32_t b, int32_t d) {
    for (; d < c->depth; d++) {
        int32_t ka = key_at(c, a, d), kb = key_at(c, b, d);
        if (ka != kb) return ka < kb ? -1 : 1;
        if (ka < 0) return 0;
    }
    return 0;
}

static void insertion_sort(const sort_ctx *c, int32_t *a, size_t n, int32_t d) {
    for (size_t i = 1; i < n; i++) {
        int32_t v = a[i];
        size_t j = i;
        while (j > 0 && compare_from(c, a[j - 1], v, d) > 0) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

static int32_t median3(int32_t x, int32_t y, int32_t z) {
    if (x < y) return y < z ? y : (x < z ? z : x);
    return x < z ? x : (y < z ? z : y);
}

static void swap32(int32_t *a, int32_t *b) {
    int32_t t = *a;
    *a = *b;
    *b = t;
}

static void multikey_sort(const sort_ctx *c, int32_t *a, size_t n, int32_t d) {
    while (n > 1 && d < c->depth) {
        if (n < SMALL_PART) {
            insertion_sort(c, a, n, d);
            return;
        }
        int32_t pivot = median3(key_at(c, a[0], d), key_at(c, a[n / 2], d), key_at(c, a[n - 1], d));
        /* Three-way partition (Dijkstra): [0, lt) < pivot, [lt, i) == pivot, (gt, n) > pivot. */
        size_t lt = 0, i = 0, gt = n;
        while (i < gt) {
            int32_t k = key_at(c, a[i], d);
            if (k < pivot) swap32(&a[lt++], &a[i++]);
            else if (k > pivot) swap32(&a[i], &a[--gt]);
            else i++;
        }
        multikey_sort(c, a, lt, d);
        multikey_sort(c, a + gt, n - gt, d);
        /* The equal part: all share the key at d. A pivot past the end means they all ended here. */
        if (pivot < 0) return;
        a += lt;
        n = gt - lt;
        d++;
    }
}

sl_status sl_suffix_sort(const uint16_t *tokens, size_t n, int32_t depth, int32_t *order) {
    if (n > 0 && (!tokens || !order)) return sl_fail(SL_ERR_INVALID_ARGUMENT, "suffix sort: null buffer");
    if (depth < 1) return sl_fail(SL_ERR_INVALID_ARGUMENT, "suffix sort: depth must be >= 1, got %d", depth);
    if (n > (size_t)INT32_MAX) return sl_fail(SL_ERR_INVALID_ARGUMENT, "suffix sort: %zu tokens is more than 2^31 - 1", n);
    if (n == 0) return SL_OK;
    /* Bucket by the first token. */
    size_t *start = calloc(65537, sizeof(size_t));
    if (!start) return sl_fail(SL_ERR_OUT_OF_MEMORY, "suffix sort: out of memory");
    for (size_t i = 0; i < n; i++) start[(size_t)tokens[i] + 1]++;
    for (size_t b = 1; b <= 65536; b++) start[b] += start[b - 1];
    size_t *fill = malloc(65536 * sizeof(size_t));
    if (!fill) {
        free(start);
        return sl_fail(SL_ERR_OUT_OF_MEMORY, "suffix sort: out of memory");
    }
    memcpy(fill, start, 65536 * sizeof(size_t));
    for (size_t i = 0; i < n; i++) order[fill[tokens[i]]++] = (int32_t)i;
    free(fill);
    sort_ctx c = {tokens, n, depth};
    for (size_t b = 0; b < 65536; b++) {
        size_t lo = start[b], hi = start[b + 1];
        if (hi - lo > 1) multikey_sort(&c, order + lo, hi - lo, 1);
    }
    free(start);
    return SL_OK;
}
