/* threadpool.h: the process-wide persistent worker pool.
 *
 * Workers are created once and reused for every parallel region. Between regions they spin for a
 * short while before sleeping, because these virtual CPUs halt the moment they idle and take
 * milliseconds to wake: a burst of decode steps must not pay a wake-up per step. */
#ifndef SL_THREADPOOL_H
#define SL_THREADPOOL_H

/* Body of a parallel loop: handle tasks [begin, end) on worker `thread` (0 = the caller). */
typedef void (*sl_parallel_body)(void *ctx, int begin, int end, int thread);

/* Run body over n_tasks tasks split into contiguous chunks across the pool (the calling thread
 * takes part). Returns when all tasks are done. With one thread (or n_tasks <= 1), runs inline. */
void sl_parallel_for(int n_tasks, sl_parallel_body body, void *ctx);

/* Like sl_parallel_for but never uses more than max_threads threads (small work: fewer threads
 * is faster than waking everyone). */
void sl_parallel_for_limited(int n_tasks, int max_threads, sl_parallel_body body, void *ctx);

/* Threads in the pool including the caller (>= 1). */
int sl_pool_threads(void);
#endif
