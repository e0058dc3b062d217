/* matmul.c: the transformer's matrix products on the CPU, as one packed and blocked GEMM driver
 * over the register-blocked tiles of matmul_kernels.h.
 *
 * All three products are C[M,N] (+)= A[M,K] @ B[K,N] with A and B read through strides:
 *   forward  out   = inp  @ W^T   M=N_rows K=C  N=OC   A row-major, B = W transposed
 *   dinp    += dout @ W           M=N_rows K=OC N=C    A row-major, B = W as stored
 *   dweight += dout^T @ inp       M=OC     K=N_rows N=C  A = dout read down its columns
 * B is packed once per call (shared by all threads) into panels of nr columns, k-major, so the
 * tile kernel reads it with aligned, contiguous loads; A row strips are read in place when they
 * are rows of a row-major matrix, and packed per block of strips otherwise (dweight), so every
 * read of A is contiguous. Threads split the rows of C; each walks K in blocks of KC and the
 * columns in blocks that keep the B block in L2 while its A strips stream through L1.
 *
 * Small batches (inference: one token per decode step, a prompt of a few tokens) skip the packing
 * and run the kernels' rows_dot, which streams each weight row once per group of input rows. */
#include "matmul.h"
#include "matmul_kernels.h"
#include "threadpool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    KC = 256,                  /* depth of one K block: an A strip of mr x KC sits in L1 */
    STRIPS_PER_BLOCK = 16,     /* A strips packed together (dweight), one pack buffer */
    L2_BLOCK_BYTES = 512 << 10, /* a KC x nc block of packed B stays in (half of a 1 MB) L2 */
    ROWS_DOT_MAX_ROWS = 16,    /* forward batches up to this many rows use rows_dot */
};
/* Don't wake another thread for less than this many multiply-adds (~10 us on one core). */
static double min_fmas_per_thread = 1 << 20;
/* rows_dot is bound by reading the weights; split it only when there is enough of them. */
static const double MIN_WEIGHTS_PER_THREAD = 32 << 10;

/* ---- per-thread scratch ------------------------------------------------------------------------
 * Packed panels need memory on every call; a grow-only buffer per calling thread avoids a
 * malloc/free (and page faults) per matmul. Freed when the thread exits. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local float *scratch_ptr = NULL;
static _Thread_local size_t scratch_floats = 0;

static void scratch_free(void *p) { free(p); }
static void scratch_key_init(void) { pthread_key_create(&scratch_key, scratch_free); }

/* A 64-byte aligned buffer of at least n floats owned by this thread, or NULL. */
static float *thread_scratch(size_t n) {
    if (n <= scratch_floats) return scratch_ptr;
    pthread_once(&scratch_once, scratch_key_init);
    free(scratch_ptr);
    scratch_ptr = NULL;
    scratch_floats = 0;
    void *p = NULL;
    n = (n + 4095) & ~(size_t)4095; /* grow in 16 KB steps */
    if (posix_memalign(&p, 64, n * sizeof(float)) != 0) p = NULL;
    pthread_setspecific(scratch_key, p);
    if (!p) return NULL;
    scratch_ptr = p;
    scratch_floats = n;
    return scratch_ptr;
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

/* ---- the blocked GEMM -------------------------------------------------------------------------- */
typedef struct {
    const sl_matmul_kernels *kern;
    int M, N, K;
    const float *a;
    size_t a_rs, a_cs;   /* A(i, k) = a[i*a_rs + k*a_cs]; one of them is 1 */
    const float *bp;     /* packed B panels */
    float *c;
    size_t ldc;
    const float *bias;   /* only when !accumulate */
    int accumulate;
    float *thread_bufs;  /* per thread: A pack block, edge tile, padded bias */
    size_t thread_buf_floats;
    int slots;
} gemm_job;

/* Pack rows [i0, i0 + rows) x k in [pc, pc + kc) of A into strips of mr rows, k-major within a
 * strip (dst[(s*kc + k)*mr + i]), zero padded to whole strips. */
static void pack_a_strips(const gemm_job *job, int i0, int rows, int pc, int kc, float *dst) {
    const int mr = job->kern->mr;
    int strips = (rows + mr - 1) / mr;
    for (int s = 0; s < strips; s++) {
        float *d = dst + (size_t)s * kc * mr;
        int r = min_int(mr, rows - s * mr);
        const float *src = job->a + (size_t)(i0 + s * mr) * job->a_rs + (size_t)pc * job->a_cs;
        for (int k = 0; k < kc; k++) {
            const float *sk = src + (size_t)k * job->a_cs;
            for (int i = 0; i < r; i++) d[(size_t)k * mr + i] = sk[(size_t)i * job->a_rs];
            for (int i = r; i < mr; i++) d[(size_t)k * mr + i] = 0.0f;
        }
    }
}

/* A tile that sticks out past M or N: run the full tile on a local copy, write back the part
 * that exists. */
static void edge_tile(const gemm_job *job, int kc, const float *a, size_t a_rs, size_t a_cs,
                      const float *bpanel, float *c, int rows, int cols, const float *bias,
                      int accumulate, float *tmp, float *bias_pad) {
    const int nr = job->kern->nr, mr = job->kern->mr;
    for (int i = 0; i < mr; i++)
        for (int j = 0; j < nr; j++)
            tmp[i * nr + j] = (accumulate && i < rows && j < cols) ? c[(size_t)i * job->ldc + j] : 0.0f;
    if (bias)
        for (int j = 0; j < nr; j++) bias_pad[j] = j < cols ? bias[j] : 0.0f;
    job->kern->tile(kc, a, a_rs, a_cs, bpanel, tmp, (size_t)nr, bias ? bias_pad : NULL, accumulate);
    for (int i = 0; i < rows; i++)
        memcpy(c + (size_t)i * job->ldc, tmp + i * nr, (size_t)cols * sizeof(float));
}

/* Rows of C in strips [s_begin, s_end) (strip = mr rows). */
static void gemm_strips(void *ctx, int s_begin, int s_end, int thread) {
    const gemm_job *job = ctx;
    const sl_matmul_kernels *kern = job->kern;
    const int mr = kern->mr, nr = kern->nr, M = job->M, N = job->N, K = job->K;
    float *buf = job->thread_bufs + (size_t)(thread < job->slots ? thread : 0) * job->thread_buf_floats;
    float *apack = buf;
    float *tmp = apack + (size_t)STRIPS_PER_BLOCK * mr * KC;
    float *bias_pad = tmp + (size_t)mr * nr;
    const int pack_all = job->a_cs != 1;

    for (int pc = 0; pc < K; pc += KC) {
        const int kc = min_int(KC, K - pc);
        const int acc = job->accumulate || pc > 0;
        const float *bias = (!job->accumulate && pc == 0) ? job->bias : NULL;
        int nc = (int)(L2_BLOCK_BYTES / ((size_t)kc * sizeof(float))) / nr * nr;
        if (nc < nr) nc = nr;
        for (int jc = 0; jc < N; jc += nc) {
            const int jc_end = min_int(N, jc + nc);
            for (int sb = s_begin; sb < s_end; sb += STRIPS_PER_BLOCK) {
                const int sb_end = min_int(s_end, sb + STRIPS_PER_BLOCK);
                const int i_block = sb * mr, rows_block = min_int(M, sb_end * mr) - i_block;
                if (pack_all) pack_a_strips(job, i_block, rows_block, pc, kc, apack);
                for (int s = sb; s < sb_end; s++) {
                    const int i0 = s * mr, rows = min_int(mr, M - i0);
                    const float *a;
                    size_t a_rs, a_cs;
                    if (pack_all) {
                        a = apack + (size_t)(s - sb) * kc * mr, a_rs = 1, a_cs = (size_t)mr;
                    } else if (rows < mr) { /* the last, partial strip: pad it rather than read past A */
                        pack_a_strips(job, i0, rows, pc, kc, apack);
                        a = apack, a_rs = 1, a_cs = (size_t)mr;
                    } else {
                        a = job->a + (size_t)i0 * job->a_rs + pc, a_rs = job->a_rs, a_cs = 1;
                    }
                    float *crow = job->c + (size_t)i0 * job->ldc;
                    for (int jr = jc; jr < jc_end; jr += nr) {
                        const float *bpanel = job->bp + ((size_t)(jr / nr) * K + pc) * nr;
                        const int cols = min_int(nr, N - jr);
                        const float *bj = bias ? bias + jr : NULL;
                        if (rows == mr && cols == nr)
                            kern->tile(kc, a, a_rs, a_cs, bpanel, crow + jr, job->ldc, bj, acc);
                        else
                            edge_tile(job, kc, a, a_rs, a_cs, bpanel, crow + jr, rows, cols, bj, acc, tmp, bias_pad);
                    }
                }
            }
        }
    }
}

/* C[M,N] (+)= A @ B with B(k, j) = b[k*b_rs + j*b_cs]. Returns 0 if scratch memory ran out
 * (the caller then falls back to the reference). */
static int gemm(const sl_matmul_kernels *kern, int M, int N, int K, const float *a, size_t a_rs,
                size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c, size_t ldc,
                const float *bias, int accumulate) {
    if (M <= 0 || N <= 0) return 1;
    if (K <= 0) {
        if (!accumulate)
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) c[(size_t)i * ldc + j] = bias ? bias[j] : 0.0f;
        return 1;
    }
    const int mr = kern->mr, nr = kern->nr;
    const int panels = (N + nr - 1) / nr, strips = (M + mr - 1) / mr;
    const int slots = sl_pool_threads();
    size_t packed_floats = round_up((size_t)panels * nr * K, 16);
    size_t per_thread = round_up((size_t)STRIPS_PER_BLOCK * mr * KC + (size_t)mr * nr + nr, 16);
    float *scratch = thread_scratch(packed_floats + per_thread * slots);
    if (!scratch) return 0;

    pack_b_job pj = {scratch, b, b_rs, b_cs, K, N, nr};
    sl_parallel_for_limited(panels, threads_for((double)panels * nr * K * 8, panels), pack_b_panels, &pj);

    gemm_job job = {kern, M, N, K, a, a_rs, a_cs, scratch, c, ldc, bias, accumulate,
                    scratch + packed_floats, per_thread, slots};
    sl_parallel_for_limited(strips, threads_for((double)M * N * K, strips), gemm_strips, &job);
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

enum { DBIAS_COLS = 64 };

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

/* ---- the products -------------------------------------------------------------------------------- */
void sl_matmul_forward_with(const sl_matmul_kernels *kern, float *out, const float *inp,
                            const float *weight, const float *bias, int N, int C, int OC) {
    if (N <= 0 || OC <= 0) return;
    if (N <= ROWS_DOT_MAX_ROWS) {
        rows_dot_job j = {kern, out, inp, weight, bias, N, C, OC};
        int groups = (OC + ROWS_DOT_GROUP - 1) / ROWS_DOT_GROUP;
        /* Bound by reading the weights: scale the work so MIN_WEIGHTS_PER_THREAD counts as much
         * as a thread's minimum share of multiply-adds. */
        double weights = (double)OC * (C > 0 ? C : 1);
        sl_parallel_for_limited(groups, threads_for(weights / MIN_WEIGHTS_PER_THREAD * (1 << 20), groups),
                                rows_dot_tasks, &j);
        return;
    }
    if (!gemm(kern, N, OC, C, inp, (size_t)C, 1, weight, 1, (size_t)C, out, (size_t)OC, bias, 0))
        sl_matmul_forward_reference(out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward_with(const sl_matmul_kernels *kern, float *dinp, float *dweight, float *dbias,
                             const float *dout, const float *inp, const float *weight, int N,
                             int C, int OC) {
    if (N <= 0 || C <= 0 || OC <= 0) return;
    if (dinp && !gemm(kern, N, C, OC, dout, (size_t)OC, 1, weight, (size_t)C, 1, dinp, (size_t)C, NULL, 1))
        sl_matmul_backward_reference(dinp, NULL, NULL, dout, inp, weight, N, C, OC);
    if (dweight && !gemm(kern, OC, C, N, dout, 1, (size_t)OC, inp, (size_t)C, 1, dweight, (size_t)C, NULL, 1))
        sl_matmul_backward_reference(NULL, dweight, NULL, dout, inp, weight, N, C, OC);
    if (dbias) {
        dbias_job j = {dbias, dout, N, OC};
        int tasks = (OC + DBIAS_COLS - 1) / DBIAS_COLS;
        sl_parallel_for_limited(tasks, threads_for((double)N * OC * 4, tasks), dbias_tasks, &j);
    }
}

void sl_matmul_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC) {
    sl_matmul_forward_with(sl_matmul_active_kernels(), out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC) {
    sl_matmul_backward_with(sl_matmul_active_kernels(), dinp, dweight, dbias, dout, inp, weight, N, C, OC);
}
