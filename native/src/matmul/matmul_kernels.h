/* matmul_kernels.h: the per-instruction-set inner kernels behind sl_matmul_forward/backward, and
 * the run-time choice between them.
 *
 * matmul.c drives every product as C[M,N] (+)= A[M,K] @ B[K,N]: it packs B into panels of nr
 * columns, blocks for the caches and splits rows over the pool. The instruction-set files
 * (matmul_avx512.c, matmul_avx2.c, matmul_neon.c, matmul_generic.c) only provide the register-blocked tile and
 * the small-batch dot kernel below; everything else is shared. */
#ifndef SL_MATMUL_KERNELS_H
#define SL_MATMUL_KERNELS_H
#include <stddef.h>
#include "seedling.h"

/* Forward batches up to this many rows skip packing and use rows_dot (measured crossover with
 * the packed GEMM on AVX-512). */
#define SL_MATMUL_DOT_MAX_ROWS 32

typedef struct {
    const char *name; /* "avx512", "avx2", "neon", "generic" (or "avx512-bf16", see below) */
    int mr, nr;       /* tile: mr rows of A times nr columns of B */
    /* Values of k per 32-bit slot of A and B: 1 (fp32), or 2 for the bf16 set, whose slots hold
     * bf16 pairs (k = 2p in the low half, 2p + 1 in the high half); the driver then works in
     * slots, kc counts pairs, and the tile multiplies pairs into fp32 accumulators. */
    int k_per_slot;

    /* One mr x nr tile of C (row stride ldc):
     *   C[i][j] = init[i][j] + sum_{k<kc} A(i,k) * b[k*nr + j]
     * with A(i,k) = a[i*a_rs + k*a_cs], where a_cs == 1 (rows of a row-major matrix) or
     * a_rs == 1 (mr consecutive values per k, e.g. a packed strip with a_cs == mr).
     * init = C itself if accumulate, else bias[j] if bias != NULL, else 0.
     * b is 64-byte aligned (a packed panel); c and bias may be unaligned. */
    void (*tile)(int kc, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                 size_t ldc, const float *bias, int accumulate);

    /* Small-batch forward without packing: for n < N and o in [o_begin, o_end),
     *   out[n*OC + o] = dot(x[n*C .. +C], w[o*C .. +C]) + (bias ? bias[o] : 0).
     * Reads the weights once per group of rows: single-token decode is a stream over w. */
    void (*rows_dot)(float *out, const float *x, const float *w, const float *bias, int N, int C,
                     int OC, int o_begin, int o_end);

    /* Optional (NULL: the driver's portable loop): one packed panel of a transposed matrix,
     * dst[k*nr + j] = src[j*ld + k] for j < cols, zero for cols <= j < nr, k < K; dst aligned.
     * The forward product packs W^T this way on every call, so it has to be quick. */
    void (*pack_b_transposed)(float *dst, const float *src, size_t ld, int K, int cols);
} sl_matmul_kernels;

extern const sl_matmul_kernels sl_matmul_kernels_generic;
#if defined(__aarch64__)
extern const sl_matmul_kernels sl_matmul_kernels_neon;
#endif
#if defined(__x86_64__) || defined(_M_X64)
extern const sl_matmul_kernels sl_matmul_kernels_avx2;
extern const sl_matmul_kernels sl_matmul_kernels_avx512;
extern const sl_matmul_kernels sl_matmul_kernels_avx512_bf16;

/* Conversions to bf16 pair slots (round to nearest even; odd K padded with a zero), AVX512-BF16:
 * pairs along a row:  dst[r*ld_dst + p] = (src[r][2p], src[r][2p+1]) for r < rows, p < ceil(K/2)
 * pairs across rows:  dst[p*ld_dst + j] = (src[2p][j], src[2p+1][j]) for p in [p_begin, p_end),
 *                     j < cols, where src has K rows. */
void sl_bf16_rows_to_pairs(float *dst, size_t ld_dst, const float *src, size_t ld_src, int rows, int K);
void sl_bf16_rowpairs_to_slots(float *dst, size_t ld_dst, const float *src, size_t ld_src, int p_begin,
                               int p_end, int K, int cols);
#endif

/* The kernels named name if this build and this CPU can run them, else NULL. */
const sl_matmul_kernels *sl_matmul_kernels_named(const char *name);
/* The kernels sl_matmul_forward/backward use now: chosen on first use from the CPU (best
 * available), unless the environment variable SEEDLING_KERNEL=generic|avx2|avx512|neon forces one. */
const sl_matmul_kernels *sl_matmul_active_kernels(void);
/* Force a kernel set (tests, benchmarks). Not thread safe against running matmuls. */
sl_status sl_matmul_use_kernels(const char *name);

/* The driver, for the bf16 glue (matmul_bf16.c): C[M,N] (+)= A @ B over K slots (see
 * k_per_slot), A(i, k) = a[i*a_rs + k*a_cs] (one of a_rs, a_cs is 1), B(k, j) = b[k*b_rs + j*b_cs]
 * (one of them is 1), bias only when !accumulate. If a_row_sums is not NULL, A is packed
 * (a_cs != 1) and the slots are fp32, also a_row_sums[i] += sum_k A(i, k) and *row_sums_done = 1.
 * Returns 0 if scratch memory ran out (nothing written; the caller falls back). */
int sl_matmul_gemm(const sl_matmul_kernels *kern, int M, int N, int K, const float *a, size_t a_rs,
                   size_t a_cs, const float *b, size_t b_rs, size_t b_cs, float *c, size_t ldc,
                   const float *bias, int accumulate, float *a_row_sums, int *row_sums_done);
/* dbias[o] += sum_n dout[n*OC + o], in parallel. */
void sl_matmul_dbias(float *dbias, const float *dout, int N, int OC);
/* A grow-only, 64-byte aligned buffer of at least n floats owned by the calling thread (freed at
 * thread exit), or NULL. Buffer 0 is the driver's; 1 is free for its callers. */
float *sl_matmul_scratch(int which, size_t n);

/* Smallest share of work (multiply-adds) worth another thread; tests lower it to 1 so even
 * tiny shapes are split across the pool. */
void sl_matmul_set_min_work_per_thread(double fmas);

/* The products themselves, with an explicit fp32 kernel set (k_per_slot == 1; the public
 * functions pass the active one, tests each available one). Same contracts as matmul.h. */
void sl_matmul_forward_with(const sl_matmul_kernels *k, float *out, const float *inp,
                            const float *weight, const float *bias, int N, int C, int OC);
void sl_matmul_backward_with(const sl_matmul_kernels *k, float *dinp, float *dweight, float *dbias,
                             const float *dout, const float *inp, const float *weight, int N,
                             int C, int OC);
/* sl_matmul_backward_with with the SL_MATMUL_SET_* flags of matmul.h (write instead of accumulate). */
void sl_matmul_backward_flags_with(const sl_matmul_kernels *k, float *dinp, float *dweight, float *dbias,
                                   const float *dout, const float *inp, const float *weight, int flags,
                                   int N, int C, int OC);
#endif
