/* threadpool.c: PLACEHOLDER (serial) until the persistent pool lands (owned by the kernels work). */
#include "threadpool.h"
#include "error.h"

static int pool_threads = 1;

void sl_parallel_for(int n_tasks, sl_parallel_body body, void *ctx) {
    if (n_tasks > 0) body(ctx, 0, n_tasks, 0);
}

void sl_parallel_for_limited(int n_tasks, int max_threads, sl_parallel_body body, void *ctx) {
    (void)max_threads;
    sl_parallel_for(n_tasks, body, ctx);
}

int sl_pool_threads(void) { return pool_threads; }

sl_status sl_set_threads(int n_threads) {
    if (n_threads < 0) return sl_fail(SL_ERR_INVALID_ARGUMENT, "thread count must be >= 0, got %d", n_threads);
    pool_threads = 1;
    return SL_OK;
}

int sl_get_threads(void) { return pool_threads; }
