/* test_suffix_sort.c: sl_suffix_sort against a comparison sort of the suffixes' first `depth` tokens,
 * on random, repetitive and degenerate streams, and its argument checks. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "seedling.h"

static const uint16_t *g_tokens;
static size_t g_n;
static int32_t g_depth;

static int compare_suffixes(int32_t a, int32_t b) {
    for (int32_t d = 0; d < g_depth; d++) {
        int32_t ka = (size_t)a + d < g_n ? g_tokens[a + d] : -1;
        int32_t kb = (size_t)b + d < g_n ? g_tokens[b + d] : -1;
        if (ka != kb) return ka < kb ? -1 : 1;
        if (ka < 0) return 0;
    }
    return 0;
}

static void check_sorted(const uint16_t *tokens, size_t n, int32_t depth) {
    int32_t *order = malloc((n ? n : 1) * sizeof(int32_t));
    CHECK_OK(sl_suffix_sort(tokens, n, depth, order));
    g_tokens = tokens;
    g_n = n;
    g_depth = depth;
    char *seen = calloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++) {
        CHECK(order[i] >= 0 && (size_t)order[i] < n, "order[%zu] = %d is out of range", i, order[i]);
        CHECK(!seen[order[i]], "suffix %d appears twice", order[i]);
        seen[order[i]] = 1;
        if (i > 0) CHECK(compare_suffixes(order[i - 1], order[i]) <= 0, "suffixes %d and %d out of order (n %zu, depth %d)", order[i - 1], order[i], n, depth);
    }
    free(seen);
    free(order);
}

int main(void) {
    srand(7);
    enum { N = 5000 };
    uint16_t *t = malloc(N * sizeof(uint16_t));
    /* Random tokens over a small and a large alphabet. */
    for (int alphabet = 2; alphabet <= 65536; alphabet *= 64) {
        for (int i = 0; i < N; i++) t[i] = (uint16_t)(rand() % alphabet);
        check_sorted(t, N, 64);
    }
    /* Repetitive code: a motif repeated with rare changes, and a single token repeated (every
     * suffix equal to depth), with the separator value 0xffff between "files". */
    const uint16_t motif[] = {5, 9, 9, 3, 7, 1};
    for (int i = 0; i < N; i++) t[i] = rand() % 50 == 0 ? 0xffff : motif[i % 6];
    check_sorted(t, N, 64);
    check_sorted(t, N, 3);
    for (int i = 0; i < N; i++) t[i] = 4;
    check_sorted(t, N, 64);
    check_sorted(t, 1, 64);
    check_sorted(t, 0, 64);
    /* Bad arguments are errors with a message, never a crash. */
    int32_t order[4];
    CHECK(sl_suffix_sort(t, 4, 0, order) == SL_ERR_INVALID_ARGUMENT, "depth 0 must be refused");
    CHECK(strstr(sl_last_error(), "depth") != NULL, "message: %s", sl_last_error());
    CHECK(sl_suffix_sort(NULL, 4, 8, order) == SL_ERR_INVALID_ARGUMENT, "NULL tokens must be refused");
    free(t);
    return check_exit_code("test_suffix_sort");
}
