/* matmul.c: the transformer's matrix products on the CPU, as one packed and blocked GEMM driver
 * over the register-blocked tiles of matmul_kernels.h.
 *
 * All three products are C[M,N] (+)= A[M,K] @ B[K,N] with A and B read through strides:
 *   forward  out   = inp  @ W^T   M=N_rows K=C  N=OC   A row-major, B = W transposed
 *   dinp    += dout @ W           M=N_rows K=OC N=C    A row-major, B = W as stored
 *   dweight += dout^T @ inp       M=OC     K=N_rows N=C  A = dout read down its columns
 * B is packed once per call (shared by all threads) into panels of nr columns, k-major, so the
 * tile kernel reads it with aligned, contiguous loads. A's strips of mr rows are read in place
 * when they are rows of a row-major matrix, and packed (per K block, by all threads) otherwise.
 * K is walked in blocks of KC; see "the blocked GEMM" below for how threads share a block.
 * The same driver runs the bf16 tiles over 32-bit slots holding bf16 pairs (matmul_bf16.c).
 *
 * Small batches (inference: one token per decode step, a prompt of a few tokens) skip the packing
 * and run the kernels' rows_dot, which streams each weight row once per group of input rows. */
#include "matmul/matmul.h"
#include "matmul/matmul_kernels.h"
#include "core/platform.h"
#include "core/threadpool.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    KC = 512,                  /* K block: an A strip of 6 x 512 (12 KB) sits in L1; fewer, longer regions */
    STRIPS_PER_TASK_MAX = 8,   /* rows of one task: 8 strips reuse each block of packed B 8 times */
    COLS_PER_TASK_MAX = 256,   /* columns of one task: a KC x 256 block of packed B is 512 KB (half of L2) */
};
/* Don't wake another thread for less than this many multiply-adds (~10 us on one core). */
static double min_fmas_per_thread = 1 << 20;
/* rows_dot is bound by reading the weights; split it only when there is enough of them. */
static const double MIN_WEIGHTS_PER_THREAD = 32 << 10;

/* ---- per-thread scratch ------------------------------------------------------------------------
 * Packed panels need memory on every call; a grow-only buffer per calling thread avoids a
 * malloc/free (and page faults) per matmul. Freed when the thread exits. */
enum { SCRATCH_BUFFERS = 2 };
static sl_tls_key scratch_keys[SCRATCH_BUFFERS];
static sl_once scratch_once = SL_ONCE_INIT;
static _Thread_local float *scratch_ptr[SCRATCH_BUFFERS];
static _Thread_local size_t scratch_floats[SCRATCH_BUFFERS];

static void scratch_free(void *p) { sl_aligned_free(p); }
static void scratch_keys_init(void) {
    for (int i = 0; i < SCRATCH_BUFFERS; i++) sl_tls_key_create(&scratch_keys[i], scratch_free);
}

float *sl_matmul_scratch(int which, size_t n) {
    if (n <= scratch_floats[which]) return scratch_ptr[which];
    sl_call_once(&scratch_once, scratch_keys_init);
    sl_aligned_free(scratch_ptr[which]);
    scratch_ptr[which] = NULL;
    scratch_floats[which] = 0;
    n = (n + 4095) & ~(size_t)4095; /* grow in 16 KB steps */
    void *p = sl_aligned_alloc(64, n * sizeof(float));
    sl_tls_set(scratch_keys[which], p);
    if (!p) return NULL;
    scratch_ptr[which] = p;
    scratch_floats[which] = n;
    return p;
}

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }
static int min_int(int a, int b) { return a < b ? a : b; }

void sl_matmul_set_min_work_per_thread(double fmas) { min_fmas_per_thread = fmas > 1 ? fmas : 1; }

static int threads_for(double fmas, int max_tasks) {
    double t = fmas / min_fmas_per_thread;
    int n = t < 1 ? 1 : t > 1024 ? 1024 : (int)t;
    return min_int(n, max_tasks);
}

/* ---- packing B ---------------------------------------------------------------------------------
 * Panel p holds columns [p*nr, p*nr + nr) for all K rows: packed[(p*K + k)*nr + j], zero padded
 * past N so the tiles never need a column mask. B(k, j) = b[k*b_rs + j*b_cs]. */
typedef struct {
    const sl_matmul_kernels *kern;
    float *packed;
    const float *b;
    size_t b_rs, b_cs;
    int K, N, nr;
} pack_b_job;

static void pack_b_panels(void *ctx, int begin, int end, int thread) {
    const pack_b_job *job = ctx;
    const int K = job->K, nr = job->nr;
    for (int p = begin; p < end; p++) {
        int j0 = p * nr, cols = min_int(nr, job->N - j0);
        float *dst = job->packed + (size_t)p * K * nr;
        if (job->b_cs == 1) { /* rows of B are contiguous: copy nr floats per k */
            for (int k = 0; k < K; k++) {
                const float *src = job->b + (size_t)k * job->b_rs + j0;
                float *d = dst + (size_t)k * nr;
                memcpy(d, src, (size_t)cols * sizeof(float));
                for (int j = cols; j < nr; j++) d[j] = 0.0f;
            }
        } else if (job->kern->pack_b_transposed && job->b_rs == 1) {
            job->kern->pack_b_transposed(dst, job->b + (size_t)j0 * job->b_cs, job->b_cs, K, cols);
        } else { /* columns of B are contiguous (W transposed): transpose in k blocks */
            enum { KB = 64 };
            for (int k0 = 0; k0 < K; k0 += KB) {
                int k1 = min_int(K, k0 + KB);
                for (int j = 0; j < nr; j++) {
                    if (j < cols) {
                        const float *src = job->b + (size_t)(j0 + j) * job->b_cs;
                        for (int k = k0; k < k1; k++) dst[(size_t)k * nr + j] = src[(size_t)k * job->b_rs];
                    } else {
                        for (int k = k0; k < k1; k++) dst[(size_t)k * nr + j] = 0.0f;
                    }
                }
            }
        }
    }
}

/* ---- the blocked GEMM --------------------------------------------------------------------------
 * K is walked in blocks of KC, one parallel region per block. Within a block, C is cut into a
 * grid of tasks (a few strips of mr rows by up to COLS_PER_TASK_MAX columns) that threads take
 * from a shared counter, so a thread that lost its CPU to another process delays only its current
 * task. Every element of C gets its K blocks in order and each block's sum from one tile, so the
 * result does not depend on the thread count (deterministic). Tasks are numbered column block by
 * column block: consecutive tasks share a block of packed B, which stays in L2.
 *
 * A is read in place when its strips are rows of a row-major matrix (forward, dinp). dweight
 * reads dout down its columns; there each K block of A is first packed into strips by all
 * threads, reading dout row by row (it is often bigger than the caches, so it must stream from
 * memory once and in order). */
typedef struct {
    const sl_matmul_kernels *kern;
    int M, N, K;
    const float *a;
    size_t a_rs, a_cs;   /* A(i, k) = a[i*a_rs + k*a_cs]; one of them is 1 */
    const float *bp;     /* packed B panels */
    float *ap;           /* packed A strips of the current K block (NULL: A read in place) */
    float *a_row_sums;   /* with ap: += sum over k of A(i, k) (or NULL) */
    float *c;
    size_t ldc;
    const float *bias;   /* only when !accumulate */
    int accumulate;
    int pc, kc;          /* the current K block */
    int strips_per_task, cols_per_task, row_tasks, n_tasks;
    _Atomic int next_task;
    float *thread_bufs;  /* per thread: padded last strip, edge tile, padded bias */
    size_t thread_buf_floats;
    int slots;
} gemm_job;

/* Pack strips [s_begin, s_end) of A (mr rows each, k in [pc, pc + kc)) to
 * dst[((s - s_begin)*kc + k)*mr + i], zero padding rows past M. If row_sums is not NULL, also
 * add each packed value A(i, k) to row_sums[i] (dbias rides along with dweight's pack of dout,
 * saving a second pass over a matrix that may not fit in the caches). */
static void pack_a_strips(const gemm_job *job, int s_begin, int s_end, float *dst, float *row_sums) {
    const int mr = job->kern->mr, kc = job->kc;
    const float *a = job->a + (size_t)job->pc * job->a_cs;
    if (job->a_rs == 1) { /* k outer: each k reads one contiguous run of A's rows */
        const int i0 = s_begin * mr, rows = min_int(job->M, s_end * mr) - i0;
        const int full = rows / mr; /* strips without padding */
        for (int k = 0; k < kc; k++) {
            const float *src = a + (size_t)k * job->a_cs + i0;
            if (row_sums) /* a contiguous run: vectorizes */
                for (int i = 0; i < rows; i++) row_sums[i0 + i] += src[i];
            float *d = dst + (size_t)k * mr;
            const size_t strip_stride = (size_t)kc * mr;
            int s = 0;
            if (mr == 6) /* fixed-size copies become a couple of vector moves */
                for (; s < full; s++) memcpy(d + s * strip_stride, src + s * 6, 6 * sizeof(float));
            else if (mr == 4)
                for (; s < full; s++) memcpy(d + s * strip_stride, src + s * 4, 4 * sizeof(float));
            for (; s < s_end - s_begin; s++) {
                const int r = min_int(mr, rows - s * mr);
                for (int i = 0; i < r; i++) d[s * strip_stride + i] = src[s * mr + i];
                for (int i = r; i < mr; i++) d[s * strip_stride + i] = 0.0f;
            }
        }
        return;
    }
    for (int s = s_begin; s < s_end; s++) {
        const int r = min_int(mr, job->M - s * mr);
        const float *src = a + (size_t)s * mr * job->a_rs;
        float *d = dst + (size_t)(s - s_begin) * kc * mr;
        for (int k = 0; k < kc; k++, d += mr) {
            for (int i = 0; i < r; i++) d[i] = src[(size_t)i * job->a_rs + (size_t)k * job->a_cs];
            for (int i = r; i < mr; i++) d[i] = 0.0f;
            if (row_sums)
                for (int i = 0; i < r; i++) row_sums[s * mr + i] += d[i];
        }
    }
}

static void pack_a_tasks(void *ctx, int begin, int end, int thread) {
    const gemm_job *job = ctx;
    pack_a_strips(job, begin, end, job->ap + (size_t)begin * job->kc * job->kern->mr, job->a_row_sums);
}

/* A tile that sticks out past M or N: run the full tile on a local copy, write back the part
 * that exists. */
static void edge_tile(const gemm_job *job, const float *a, size_t a_rs, size_t a_cs,
                      const float *bpanel, float *c, int rows, int cols, const float *bias,
                      int accumulate, float *tmp, float *bias_pad) {
    const int nr = job->kern->nr, mr = job->kern->mr;
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            tmp[i * nr + j] = (accumulate && i < rows && j < cols) ? c[(size_t)i * job->ldc + j] : 0.0f;
    if (bias)
        for (int j = 0; j < nr; j++) bias_pad[j] = j < cols ? bias[j] : 0.0f;
    job->kern->tile(job->kc, a, a_rs, a_cs, bpanel, tmp, (size_t)nr, bias ? bias_pad : NULL, accumulate);
    for (int i = 0; i < rows; i++)
        memcpy(c + (size_t)i * job->ldc, tmp + i * nr, (size_t)cols * sizeof(float));
}

static void gemm_task(const gemm_job *job, int task, float *buf) {
    const sl_matmul_kernels *kern = job->kern;
    const int mr = kern->mr, nr = kern->nr, M = job->M, K = job->K, pc = job->pc, kc = job->kc;
    const int s_begin = (task % job->row_tasks) * job->strips_per_task;
    const int s_end = min_int(s_begin + job->strips_per_task, (M + mr - 1) / mr);
    const int j_begin = (task / job->row_tasks) * job->cols_per_task;
    const int j_end = min_int(j_begin + job->cols_per_task, job->N);
    float *strip_pad = buf;
    float *tmp = strip_pad + (size_t)mr * KC;
    float *bias_pad = tmp + (size_t)mr * nr;
    const int acc = job->accumulate || pc > 0;
    const float *bias = (!job->accumulate && pc == 0) ? job->bias : NULL;

    for (int s = s_begin; s < s_end; s++) {
        const int i0 = s * mr, rows = min_int(mr, M - i0);
        const float *a;
        size_t a_rs, a_cs;
        if (job->ap) {
            a = job->ap + (size_t)s * kc * mr, a_rs = 1, a_cs = (size_t)mr;
        } else if (rows < mr) { /* the last, partial strip: padded rather than read past A */
            pack_a_strips(job, s, s + 1, strip_pad, NULL);
            a = strip_pad, a_rs = 1, a_cs = (size_t)mr;
        } else {
            a = job->a + (size_t)i0 * job->a_rs + pc, a_rs = job->a_rs, a_cs = 1;
        }
        float *crow = job->c + (size_t)i0 * job->ldc;
        for (int jr = j_begin; jr < j_end; jr += nr) {
            const float *bpanel = job->bp + ((size_t)(jr / nr) * K + pc) * nr;
            const int cols = min_int(nr, job->N - jr);
            const float *bj = bias ? bias + jr : NULL;
            if (rows == mr && cols == nr)
                kern->tile(kc, a, a_rs, a_cs, bpanel, crow + jr, job->ldc, bj, acc);
            else
                edge_tile(job, a, a_rs, a_cs, bpanel, crow + jr, rows, cols, bj, acc, tmp, bias_pad);
        }
    }
}

static void gemm_worker(void *ctx, int begin, int end, int thread) {
    gemm_job *job = ctx;
    float *buf = job->thread_bufs + (size_t)(thread < job->slots ? thread : 0) * job->thread_buf_floats;
    for (int t; (t = atomic_fetch_add_explicit(&job->next_task, 1, memory_order_relaxed)) < job->n_tasks;)
        gemm_task(job, t, buf);
}

int sl_matmul_gemm(const sl_matmul_kernels *kern, int M, int N, int K, const float *a, size_t a_rs,
                size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c, size_t ldc,
                const float *bias, int accumulate, float *a_row_sums, int *row_sums_done) {
    if (M <= 0 || N <= 0) return 1;
    if (K <= 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) c[(size_t)i * ldc + j] = bias ? bias[j] : 0.0f;
        return 1;
    }
    const int mr = kern->mr, nr = kern->nr;
    const int panels = (N + nr - 1) / nr, strips = (M + mr - 1) / mr;
    const int threads = threads_for((double)M * N * K, strips * panels);

    /* Task grid: wide column blocks (an A strip is reused across several panels), and enough
     * tasks (>= 8 per thread where possible) that the threads finish together. */
    int panels_per_task = min_int(panels, COLS_PER_TASK_MAX / nr > 0 ? COLS_PER_TASK_MAX / nr : 1);
    int strips_per_task = STRIPS_PER_TASK_MAX;
    for (;;) {
        long tasks = (long)((strips + strips_per_task - 1) / strips_per_task) *
                     ((panels + panels_per_task - 1) / panels_per_task);
        if (threads == 1 || tasks >= 8L * threads) break;
        if (strips_per_task > 1) strips_per_task /= 2;
        else if (panels_per_task > 1) panels_per_task /= 2;
        else break;
    }
    const int row_tasks = (strips + strips_per_task - 1) / strips_per_task;
    const int n_tasks = row_tasks * ((panels + panels_per_task - 1) / panels_per_task);

    const int pack_a = a_cs != 1;
    const int slots = sl_pool_threads();
    size_t packed_b = round_up((size_t)panels * nr * K, 16);
    size_t packed_a = pack_a ? round_up((size_t)strips * mr * KC, 16) : 0;
    size_t per_thread = round_up((size_t)mr * KC + (size_t)mr * nr + nr, 16);
    float *scratch = sl_matmul_scratch(0, packed_b + packed_a + per_thread * slots);
    if (!scratch) return 0;

    pack_b_job pj = {kern, scratch, b, b_rs, b_cs, K, N, nr};
    sl_parallel_for_limited(panels, threads_for((double)panels * nr * K * 8, panels), pack_b_panels, &pj);

    gemm_job job = {.kern = kern, .M = M, .N = N, .K = K, .a = a, .a_rs = a_rs, .a_cs = a_cs,
                    .bp = scratch, .ap = pack_a ? scratch + packed_b : NULL,
                    .a_row_sums = pack_a && kern->k_per_slot == 1 ? a_row_sums : NULL, .c = c, .ldc = ldc,
                    .bias = bias, .accumulate = accumulate, .strips_per_task = strips_per_task,
                    .cols_per_task = panels_per_task * nr, .row_tasks = row_tasks, .n_tasks = n_tasks,
                    .thread_bufs = scratch + packed_b + packed_a, .thread_buf_floats = per_thread,
                    .slots = slots};
    for (int pc = 0; pc < K; pc += KC) {
        job.pc = pc;
        job.kc = min_int(KC, K - pc);
        if (pack_a) sl_parallel_for_limited(strips, threads, pack_a_tasks, &job);
        atomic_store_explicit(&job.next_task, 0, memory_order_relaxed);
        sl_parallel_for_limited(threads, threads, gemm_worker, &job);
    }
    if (row_sums_done) *row_sums_done = job.a_row_sums != NULL;
    return 1;
}

/* ---- small-batch forward ------------------------------------------------------------------------ */
typedef struct {
    const sl_matmul_kernels *kern;
    float *out;
    const float *x, *w, *bias;
    int N, C, OC;
} rows_dot_job;

enum { ROWS_DOT_GROUP = 16 }; /* weight rows per task */

static void rows_dot_tasks(void *ctx, int begin, int end, int thread) {
    const rows_dot_job *j = ctx;
    j->kern->rows_dot(j->out, j->x, j->w, j->bias, j->N, j->C, j->OC, begin * ROWS_DOT_GROUP,
                      min_int(j->OC, end * ROWS_DOT_GROUP));
}

/* ---- dbias: column sums of dout ------------------------------------------------------------------ */
typedef struct {
    float *dbias;
    const float *dout;
    int N, OC;
} dbias_job;

/* Rows outer, a block of columns inner: dout is read row by row in contiguous runs (reading it
 * column block by column block would stride through memory at the row pitch). */
enum { DBIAS_COLS = 512 };

static void dbias_tasks(void *ctx, int begin, int end, int thread) {
    const dbias_job *j = ctx;
    for (int t = begin; t < end; t++) {
        int o0 = t * DBIAS_COLS, cols = min_int(DBIAS_COLS, j->OC - o0);
        float sum[DBIAS_COLS] = {0};
        for (int n = 0; n < j->N; n++) {
            const float *row = j->dout + (size_t)n * j->OC + o0;
            for (int o = 0; o < cols; o++) sum[o] += row[o];
        }
        for (int o = 0; o < cols; o++) j->dbias[o0 + o] += sum[o];
    }
}

void sl_matmul_dbias(float *dbias, const float *dout, int N, int OC) {
    dbias_job j = {dbias, dout, N, OC};
    int tasks = (OC + DBIAS_COLS - 1) / DBIAS_COLS;
    sl_parallel_for_limited(tasks, threads_for((double)N * OC * 4, tasks), dbias_tasks, &j);
}

/* ---- the products -------------------------------------------------------------------------------- */
void sl_matmul_forward_with(const sl_matmul_kernels *kern, float *out, const float *inp,
                            const float *weight, const float *bias, int N, int C, int OC) {
    if (N <= 0 || OC <= 0) return;
    if (N <= SL_MATMUL_DOT_MAX_ROWS) {
        rows_dot_job j = {kern, out, inp, weight, bias, N, C, OC};
        int groups = (OC + ROWS_DOT_GROUP - 1) / ROWS_DOT_GROUP;
        /* Bound by reading the weights: scale the work so MIN_WEIGHTS_PER_THREAD counts as much
         * as a thread's minimum share of multiply-adds. */
        double weights = (double)OC * (C > 0 ? C : 1);
        sl_parallel_for_limited(groups, threads_for(weights / MIN_WEIGHTS_PER_THREAD * (1 << 20), groups),
                                rows_dot_tasks, &j);
        return;
    }
    if (!sl_matmul_gemm(kern, N, OC, C, inp, (size_t)C, 1, weight, 1, (size_t)C, out, (size_t)OC, bias, 0, NULL, NULL))
        sl_matmul_forward_reference(out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward_flags_with(const sl_matmul_kernels *kern, float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight, int flags,
                                   int N, int C, int OC) {
    if (N <= 0 || C <= 0 || OC <= 0) return;
    const int set_dinp = (flags & SL_MATMUL_SET_DINP) != 0, set_dweight = (flags & SL_MATMUL_SET_DWEIGHT) != 0;
    if (dinp && !sl_matmul_gemm(kern, N, C, OC, dout, (size_t)OC, 1, weight, (size_t)C, 1, dinp, (size_t)C, NULL,
                                !set_dinp, NULL, NULL)) {
        if (set_dinp) memset(dinp, 0, sizeof(float) * (size_t)N * C);
        sl_matmul_backward_reference(dinp, NULL, NULL, dout, inp, weight, N, C, OC);
    }
    /* dbias rides along as row sums of the packed dout, which add: start it from zero. */
    if (dbias && set_dweight) memset(dbias, 0, sizeof(float) * (size_t)OC);
    int dbias_done = 0;
    if (dweight && !sl_matmul_gemm(kern, OC, C, N, dout, 1, (size_t)OC, inp, (size_t)C, 1, dweight, (size_t)C, NULL,
                                   !set_dweight, dbias, &dbias_done)) {
        if (set_dweight) memset(dweight, 0, sizeof(float) * (size_t)OC * C);
        sl_matmul_backward_reference(NULL, dweight, NULL, dout, inp, weight, N, C, OC);
    }
    if (dbias && !dbias_done) sl_matmul_dbias(dbias, dout, N, OC);
}

void sl_matmul_backward_with(const sl_matmul_kernels *kern, float *dinp, float *dweight, float *dbias,
                             const float *dout, const float *inp, const float *weight, int N,
                             int C, int OC) {
    sl_matmul_backward_flags_with(kern, dinp, dweight, dbias, dout, inp, weight, 0, N, C, OC);
}

void sl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC) {
    sl_matmul_forward_with(sl_matmul_active_kernels(), out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC) {
    sl_matmul_backward_with(sl_matmul_active_kernels(), dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}
