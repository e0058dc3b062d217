/* test_threadpool.c: the persistent pool covers every task exactly once, in contiguous chunks, for
 * any task/thread count; survives resizing, nested regions, regions from a second application
 * thread, and long bursts of tiny regions (the decode pattern) without hanging. */
#include "seedling.h"
#include "core/platform.h"
#include "core/threadpool.h"
#include "check.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TASKS = 5000, MAX_T = 16 };

typedef struct {
    _Atomic int hits[MAX_TASKS];
    _Atomic int chunks_per_thread[MAX_T];
    _Atomic int bad_thread;
} coverage;

static void count_body(void *ctx, int begin, int end, int thread) {
    coverage *c = ctx;
    if (thread < 0 || thread >= MAX_T || begin >= end) { atomic_fetch_add(&c->bad_thread, 1); return; }
    atomic_fetch_add(&c->chunks_per_thread[thread], 1);
    for (int i = begin; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

static void check_coverage(int n_tasks, int max_threads) {
    static coverage c;
    memset(&c, 0, sizeof c);
    if (max_threads > 0) sl_parallel_for_limited(n_tasks, max_threads, count_body, &c);
    else sl_parallel_for(n_tasks, count_body, &c);
    int wrong = 0;
    for (int i = 0; i < n_tasks; i++) wrong += atomic_load(&c.hits[i]) != 1;
    CHECK(wrong == 0, "%d of %d tasks not run exactly once (pool %d, limit %d)", wrong, n_tasks,
          sl_get_threads(), max_threads);
    CHECK(atomic_load(&c.bad_thread) == 0, "bad thread index or empty chunk");
    int used = 0, limit = sl_get_threads();
    if (max_threads > 0 && max_threads < limit) limit = max_threads;
    for (int t = 0; t < MAX_T; t++) {
        int k = atomic_load(&c.chunks_per_thread[t]);
        CHECK(k <= 1, "thread %d got %d chunks in one region", t, k);
        used += k > 0;
        if (k) CHECK(t < limit, "thread %d used beyond the limit %d", t, limit);
    }
    if (n_tasks >= limit && n_tasks > 0) CHECK(used == limit, "%d threads used, expected %d", used, limit);
}

/* Nested region: the inner call must run inline on the same thread and still cover its tasks. */
typedef struct { _Atomic int inner_total; _Atomic int wrong_thread; } nested_ctx;
typedef struct { nested_ctx *outer; int thread; } inner_ctx;

static void inner_body(void *ctx, int begin, int end, int thread) {
    inner_ctx *ic = ctx;
    if (thread != ic->thread) atomic_fetch_add(&ic->outer->wrong_thread, 1);
    atomic_fetch_add(&ic->outer->inner_total, end - begin);
}

static void outer_body(void *ctx, int begin, int end, int thread) {
    for (int i = begin; i < end; i++) {
        inner_ctx ic = {ctx, thread};
        sl_parallel_for(10, inner_body, &ic);
    }
}

/* Tiny regions back to back: the sum must be exact (no lost or doubled chunk, no hang). */
static void add_body(void *ctx, int begin, int end, int thread) {
    atomic_fetch_add((_Atomic long *)ctx, (long)(end - begin));
}

static void second_app_thread(void *arg) {
    _Atomic long *sum = arg;
    for (int i = 0; i < 2000; i++) sl_parallel_for(7, add_body, sum);
}

int main(void) {
    CHECK(sl_get_threads() == 1, "default pool should be 1 thread, is %d", sl_get_threads());
    CHECK(sl_set_threads(-1) == SL_ERR_INVALID_ARGUMENT, "negative thread count accepted");

    static const int thread_counts[] = {1, 2, 3, 4, 7, 2, 1, 5};
    static const int task_counts[] = {0, 1, 2, 3, 5, 7, 16, 17, 100, 1023, 4999};
    for (size_t ti = 0; ti < sizeof thread_counts / sizeof *thread_counts; ti++) {
        CHECK_OK(sl_set_threads(thread_counts[ti]));
        CHECK(sl_get_threads() == thread_counts[ti], "pool has %d threads, asked %d", sl_get_threads(), thread_counts[ti]);
        CHECK(sl_pool_threads() == sl_get_threads(), "sl_pool_threads disagrees");
        for (size_t k = 0; k < sizeof task_counts / sizeof *task_counts; k++) {
            check_coverage(task_counts[k], 0);
            check_coverage(task_counts[k], 1);
            check_coverage(task_counts[k], 2);
            check_coverage(task_counts[k], 3);
        }
    }

    CHECK_OK(sl_set_threads(0));
    CHECK(sl_get_threads() >= 1, "0 = number of CPUs gave %d", sl_get_threads());

    CHECK_OK(sl_set_threads(3));
    nested_ctx nc = {0};
    sl_parallel_for(9, outer_body, &nc);
    CHECK(atomic_load(&nc.inner_total) == 90, "nested regions covered %d of 90 tasks", atomic_load(&nc.inner_total));
    CHECK(atomic_load(&nc.wrong_thread) == 0, "nested region ran on another thread");
    CHECK(sl_set_threads(2) == SL_OK, "resize after nested region");

    /* Burst of tiny regions, then one after the workers went to sleep (spin timeout passed). */
    _Atomic long sum = 0;
    for (int i = 0; i < 20000; i++) sl_parallel_for(2 + i % 5, add_body, &sum);
    long expect = 0;
    for (int i = 0; i < 20000; i++) expect += 2 + i % 5;
    CHECK(atomic_load(&sum) == expect, "burst sum %ld, expected %ld", atomic_load(&sum), expect);
    const int64_t nap_ns = 30 * 1000 * 1000;
    sl_sleep_ns(nap_ns);
    atomic_store(&sum, 0);
    sl_parallel_for(2, add_body, &sum);
    CHECK(atomic_load(&sum) == 2, "region after sleep summed %ld", atomic_load(&sum));
    /* Sleeping workers wake slowly, so the caller runs their chunks itself: each chunk must still
     * run exactly once, under its own thread index. */
    CHECK_OK(sl_set_threads(4));
    for (int round = 0; round < 3; round++) {
        sl_sleep_ns(nap_ns);
        check_coverage(4000, 0);
    }
    CHECK_OK(sl_set_threads(2));

    /* Two application threads calling at once: one may run inline, both must be complete. */
    atomic_store(&sum, 0);
    sl_thread *other = NULL;
    CHECK(sl_thread_start(&other, second_app_thread, &sum) == 0, "sl_thread_start");
    for (int i = 0; i < 2000; i++) sl_parallel_for(5, add_body, &sum);
    sl_thread_join(other);
    CHECK(atomic_load(&sum) == 2000L * 12, "concurrent callers summed %ld, expected %ld", atomic_load(&sum), 2000L * 12);

    CHECK_OK(sl_set_threads(1));
    return check_exit_code("test_threadpool");
}
