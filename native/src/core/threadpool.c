/* threadpool.c: the process-wide persistent worker pool behind sl_parallel_for.
 *
 * Each worker owns a mailbox: the caller writes a chunk [begin, end) of the current region into it
 * and bumps the mailbox's generation; the worker sees the bump, claims the chunk, runs it and
 * decrements the region's pending count. The caller runs chunk 0 itself, then claims and runs any
 * chunk whose worker has not picked it up yet (a worker that lost its CPU to another process must
 * not hold the region up for a whole scheduler time slice), then waits for pending to reach 0.
 * Only the workers a region uses are posted to, so a region limited to 2 threads of a big pool
 * disturbs nobody else.
 *
 * Why workers spin before they sleep: these machines are virtual CPUs that halt as soon as they
 * idle, and waking a halted vCPU costs milliseconds (llama.cpp's 2-thread decode went from 0.4 ms
 * to 15+ ms per token when its workers slept between steps). So a worker that finished a chunk keeps
 * polling its mailbox (with a pause instruction) for spin_ns before it blocks on its condition
 * variable; a burst of small regions (one decode step = dozens of them) never pays a wake-up.
 * After a short pure spin the poll also yields the CPU (a yield returns at once when nothing
 * else wants it, so the vCPU never idles), which keeps a loaded machine usable. 
 *
 * Regions are deterministic: chunk boundaries depend only on n_tasks and the thread count. */
#include "core/threadpool.h"
#include "core/error.h"
#include "core/platform.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static inline void cpu_relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax(void) { __asm__ __volatile__("yield"); }
#else
static inline void cpu_relax(void) {}
#endif

enum { MAX_THREADS = 256 };
/* How long an idle worker polls before blocking (tunable through SEEDLING_SPIN_US for
 * measurements). 2 ms covers the gap between decode steps and between training ops. */
static const int64_t DEFAULT_SPIN_NS = 2000000;
/* Pure spinning (no yield) for this long first: the common case, the next region comes soon. */
static const int64_t PURE_SPIN_NS = 50000;

typedef struct {
    sl_thread *thread;
    int index;                /* 1..n-1; 0 is the caller */
    _Atomic uint32_t posted;  /* generation of the last chunk posted to this worker */
    _Atomic int sleeping;     /* set while blocked (or about to block) on cond */
    _Atomic int claimed;      /* 0 while the posted chunk waits for someone (worker or caller) to run it */
    _Atomic int quit;
    sl_mutex *mutex;
    sl_cond *cond;
    /* The chunk to run; written by the caller before posting, read by whoever claims it. */
    sl_parallel_body body;
    void *ctx;
    int begin, end;
} worker;

static struct {
    int n_threads;            /* including the caller */
    worker *workers;          /* n_threads - 1 of them */
    _Atomic int pending;      /* workers still running the current region */
    atomic_flag busy;         /* held by the thread running a region (regions never overlap) */
    int64_t spin_ns;
} pool = {.n_threads = 1, .busy = ATOMIC_FLAG_INIT, .spin_ns = -1};

/* Set while this thread runs a body: a nested sl_parallel_for runs inline (no deadlock). */
static _Thread_local int in_region = 0;
static _Thread_local int thread_index = 0;

static int64_t now_ns(void) { return sl_monotonic_ns(); }

/* Wait until the mailbox holds a generation other than seen: spin first, then block. */
static uint32_t wait_for_post(worker *w, uint32_t seen) {
    int64_t start = 0;
    for (uint32_t spins = 0;; spins++) {
        uint32_t g = atomic_load_explicit(&w->posted, memory_order_acquire);
        if (g != seen) return g;
        cpu_relax();
        if ((spins & 255) == 255) {
            int64_t t = now_ns();
            if (!start) start = t;
            else if (t - start >= pool.spin_ns) break;
            else if (t - start >= PURE_SPIN_NS) sl_thread_yield();
        }
    }
    sl_mutex_lock(w->mutex);
    atomic_store(&w->sleeping, 1); /* seq_cst: pairs with the caller's store of posted */
    while (atomic_load(&w->posted) == seen) sl_cond_wait(w->cond, w->mutex);
    atomic_store(&w->sleeping, 0);
    sl_mutex_unlock(w->mutex);
    return atomic_load_explicit(&w->posted, memory_order_acquire);
}

static void worker_main(void *arg) {
    worker *w = arg;
    thread_index = w->index;
    uint32_t seen = 0;
    for (;;) {
        seen = wait_for_post(w, seen);
        if (atomic_load(&w->quit)) break;
        /* The caller may have taken the chunk already (or a newer one was posted meanwhile:
         * whatever is posted now is claimed and run, its fields are published before claimed). */
        if (atomic_exchange(&w->claimed, 1) != 0) continue;
        in_region = 1;
        w->body(w->ctx, w->begin, w->end, w->index);
        in_region = 0;
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
    }
}

static void post(worker *w, sl_parallel_body body, void *ctx, int begin, int end) {
    w->body = body;
    w->ctx = ctx;
    w->begin = begin;
    w->end = end;
    atomic_store_explicit(&w->claimed, 0, memory_order_release);
    atomic_fetch_add(&w->posted, 1); /* seq_cst: the worker's check of sleeping can't be missed */
    if (atomic_load(&w->sleeping)) {
        sl_mutex_lock(w->mutex);
        sl_cond_signal(w->cond);
        sl_mutex_unlock(w->mutex);
    }
}

static void stop_workers(void) {
    int n = pool.n_threads - 1;
    for (int i = 0; i < n; i++) {
        atomic_store(&pool.workers[i].quit, 1);
        atomic_store(&pool.workers[i].claimed, 1);
        atomic_fetch_add(&pool.workers[i].posted, 1);
        sl_mutex_lock(pool.workers[i].mutex);
        sl_cond_signal(pool.workers[i].cond);
        sl_mutex_unlock(pool.workers[i].mutex);
    }
    for (int i = 0; i < n; i++) {
        sl_thread_join(pool.workers[i].thread);
        sl_mutex_free(pool.workers[i].mutex);
        sl_cond_free(pool.workers[i].cond);
    }
    free(pool.workers);
    pool.workers = NULL;
    pool.n_threads = 1;
}

static int64_t spin_ns_setting(void) {
    const char *s = getenv("SEEDLING_SPIN_US");
    if (s && *s) {
        long us = strtol(s, NULL, 10);
        if (us >= 0) return (int64_t)us * 1000;
    }
    return DEFAULT_SPIN_NS;
}

sl_status sl_set_threads(int n_threads) {
    if (n_threads < 0) return sl_fail(SL_ERR_INVALID_ARGUMENT, "thread count must be >= 0, got %d", n_threads);
    if (n_threads == 0) {
        n_threads = sl_cpu_count();
    }
    if (n_threads > MAX_THREADS) n_threads = MAX_THREADS;
    if (in_region) return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_set_threads called from inside a parallel region");
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire))
        return sl_fail(SL_ERR_INVALID_ARGUMENT, "sl_set_threads called while another thread runs a parallel region");
    sl_status st = SL_OK;
    if (pool.spin_ns < 0) pool.spin_ns = spin_ns_setting();
    if (n_threads != pool.n_threads) {
        stop_workers();
        worker *ws = n_threads > 1 ? calloc((size_t)n_threads - 1, sizeof *ws) : NULL;
        if (n_threads > 1 && !ws) {
            st = sl_fail(SL_ERR_OUT_OF_MEMORY, "out of memory for %d pool threads", n_threads);
        } else {
            pool.workers = ws;
            int started = 0;
            for (int i = 0; i < n_threads - 1; i++) {
                worker *w = &ws[i];
                w->index = i + 1;
                atomic_store(&w->claimed, 1);
                w->mutex = sl_mutex_new();
                w->cond = sl_cond_new();
                if (!w->mutex || !w->cond || sl_thread_start(&w->thread, worker_main, w) != 0) {
                    sl_mutex_free(w->mutex);
                    sl_cond_free(w->cond);
                    break;
                }
                started++;
            }
            pool.n_threads = started + 1;
            if (started < n_threads - 1)
                st = sl_fail(SL_ERR_INTERNAL, "could only start %d of %d pool threads", started + 1, n_threads);
        }
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return st;
}

int sl_get_threads(void) { return pool.n_threads; }
int sl_pool_threads(void) { return pool.n_threads; }

void sl_parallel_for_limited(int n_tasks, int max_threads, sl_parallel_body body, void *ctx) {
    if (n_tasks <= 0) return;
    int t = pool.n_threads;
    if (max_threads < t) t = max_threads;
    if (n_tasks < t) t = n_tasks;
    /* Inline when there is nothing to share, when called from inside a body, or when another
     * application thread is running a region right now (correct, just not parallel). */
    if (t <= 1 || in_region || atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) {
        int outer = in_region;
        in_region = 1;
        body(ctx, 0, n_tasks, thread_index);
        in_region = outer;
        return;
    }
    atomic_store_explicit(&pool.pending, t - 1, memory_order_relaxed);
    for (int i = 1; i < t; i++)
        post(&pool.workers[i - 1], body, ctx, (int)((int64_t)n_tasks * i / t), (int)((int64_t)n_tasks * (i + 1) / t));
    in_region = 1;
    body(ctx, 0, (int)((int64_t)n_tasks / t), 0);
    for (int i = 1; i < t; i++) {
        worker *w = &pool.workers[i - 1];
        if (atomic_exchange(&w->claimed, 1) == 0) {
            thread_index = w->index; /* the chunk keeps its thread slot, also for nested calls */
            w->body(w->ctx, w->begin, w->end, w->index);
            thread_index = 0;
            atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_release);
        }
    }
    in_region = 0;
    /* Chunks still out are running on their workers: spin briefly, then yield in case one of
     * them is waiting for a CPU. */
    for (uint32_t spins = 1; atomic_load_explicit(&pool.pending, memory_order_acquire) != 0; spins++) {
        cpu_relax();
        if ((spins & 1023) == 0) sl_thread_yield();
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
}

void sl_parallel_for(int n_tasks, sl_parallel_body body, void *ctx) {
    sl_parallel_for_limited(n_tasks, MAX_THREADS, body, ctx);
}
