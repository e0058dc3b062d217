/* matmul_bf16.c: the bf16 matmuls. Operands are converted to bf16 pair slots (two consecutive k
 * per 32-bit slot, see matmul_kernels.h), in the orientation each product reads them, then the
 * shared driver runs with the AVX512-BF16 tile. Outputs and gradients stay fp32.
 *
 * Training (sl_matmul_train_*) passes weights converted once per optimizer step (sl_bf16_weight),
 * so each call converts only its activations; the same entry points run fp32 when given none. */
#include "matmul/matmul.h"
#include "matmul/matmul_kernels.h"
#include "core/threadpool.h"

#include <stddef.h>
#include <string.h>

static const sl_matmul_kernels *bf16_kernels(void) { return sl_matmul_kernels_named("avx512-bf16"); }

int sl_matmul_bf16_available(void) { return bf16_kernels() != NULL; }

#if defined(__x86_64__) || defined(_M_X64)
/* Don't split a conversion over threads for fewer values than this. */
enum { CONVERT_MIN_PER_THREAD = 1 << 16 };

typedef struct {
    float *dst;
    const float *src;
    int K, width; /* along: K values per row, width rows; across: K rows of width values */
    int across;
} convert_job;

static void convert_tasks(void *ctx, int begin, int end, int thread) {
    const convert_job *j = ctx;
    const size_t pairs = (size_t)(j->K + 1) / 2;
    if (j->across) /* tasks are pair rows p: dst[p][x] = (src[2p][x], src[2p+1][x]) */
        sl_bf16_rowpairs_to_slots(j->dst, (size_t)j->width, j->src, (size_t)j->width, begin, end, j->K, j->width);
    else /* tasks are rows r: dst[r][p] = (src[r][2p], src[r][2p+1]) */
        sl_bf16_rows_to_pairs(j->dst + (size_t)begin * pairs, pairs, j->src + (size_t)begin * j->K, (size_t)j->K,
                              end - begin, j->K);
}

/* rows x K row-major -> rows x ceil(K/2) slots (pairs along each row). */
static void pairs_along_rows(float *dst, const float *src, int rows, int K) {
    convert_job j = {dst, src, K, rows, 0};
    int threads = (int)((double)rows * K / CONVERT_MIN_PER_THREAD);
    sl_parallel_for_limited(rows, threads < 1 ? 1 : threads, convert_tasks, &j);
}

/* K x width row-major -> ceil(K/2) x width slots (pairs of consecutive rows). */
static void pairs_across_rows(float *dst, const float *src, int K, int width) {
    convert_job j = {dst, src, K, width, 1};
    int pairs = (K + 1) / 2, threads = (int)((double)K * width / CONVERT_MIN_PER_THREAD);
    sl_parallel_for_limited(pairs, threads < 1 ? 1 : threads, convert_tasks, &j);
}
#endif

size_t sl_bf16_weight_slots(int OC, int C) {
    if (OC <= 0 || C <= 0) return 0;
    return (size_t)OC * (size_t)((C + 1) / 2) + (size_t)((OC + 1) / 2) * (size_t)C;
}

int sl_bf16_weight_convert(float *dst, const float *weight, int OC, int C, sl_bf16_weight *out) {
#if defined(__x86_64__) || defined(_M_X64)
    if (!bf16_kernels() || !dst || OC <= 0 || C <= 0) return 0;
    float *along = dst, *across = dst + (size_t)OC * (size_t)((C + 1) / 2);
    pairs_along_rows(along, weight, OC, C);
    pairs_across_rows(across, weight, OC, C);
    out->along = along;
    out->across = across;
    return 1;
#else
    (void)dst, (void)weight, (void)OC, (void)C, (void)out;
    return 0;
#endif
}

/* out = inp @ W^T in bf16; w_along is W already converted (pairs along its rows) or NULL to convert
 * it here. Returns 0 (nothing written) when the caller must compute in fp32. */
static int forward_bf16(float *out, const float *inp, const float *weight, const float *w_along,
                        const float *bias, int N, int C, int OC) {
#if defined(__x86_64__) || defined(_M_X64)
    const sl_matmul_kernels *k = bf16_kernels();
    if (!k || N <= SL_MATMUL_DOT_MAX_ROWS || OC <= 0 || C <= 0) return 0;
    const int CP = (C + 1) / 2;
    float *buf = sl_matmul_scratch(1, (size_t)N * CP + (w_along ? 0 : (size_t)OC * CP));
    if (!buf) return 0;
    float *inp2 = buf;
    if (!w_along) {
        float *w2 = buf + (size_t)N * CP;
        pairs_along_rows(w2, weight, OC, C);
        w_along = w2;
    }
    pairs_along_rows(inp2, inp, N, C);
    /* out = inp2 @ w2^T over CP pair slots: B(p, o) = w_along[o*CP + p] */
    return sl_matmul_gemm(k, N, OC, CP, inp2, (size_t)CP, 1, w_along, 1, (size_t)CP, out, (size_t)OC, bias, 0, NULL, NULL);
#else
    (void)out, (void)inp, (void)weight, (void)w_along, (void)bias, (void)N, (void)C, (void)OC;
    return 0;
#endif
}

/* The backward in bf16 (w_across: W converted as pairs of rows, or NULL to convert it here), with
 * the SL_MATMUL_SET_* flags. Whatever bf16 cannot do here (no AVX512-BF16, no scratch memory) is
 * done in fp32. */
static void backward_bf16(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                          const float *weight, const float *w_across, int flags, int N, int C, int OC) {
    if (N <= 0 || C <= 0 || OC <= 0) return;
#if defined(__x86_64__) || defined(_M_X64)
    const sl_matmul_kernels *k = bf16_kernels();
    if (k) {
        const int OCP = (OC + 1) / 2, NP = (N + 1) / 2;
        if (dinp) { /* dinp (+)= dout @ W: pairs of consecutive o */
            float *buf = sl_matmul_scratch(1, (size_t)N * OCP + (w_across ? 0 : (size_t)C * OCP));
            if (buf) {
                float *dout2 = buf;
                if (!w_across) {
                    float *w2 = buf + (size_t)N * OCP;
                    pairs_across_rows(w2, weight, OC, C);
                    w_across = w2;
                }
                pairs_along_rows(dout2, dout, N, OC);
                if (sl_matmul_gemm(k, N, C, OCP, dout2, (size_t)OCP, 1, w_across, (size_t)C, 1, dinp, (size_t)C, NULL,
                                   !(flags & SL_MATMUL_SET_DINP), NULL, NULL))
                    dinp = NULL; /* done */
            }
        }
        if (dweight) { /* dweight (+)= dout^T @ inp: pairs of consecutive rows n */
            float *buf = sl_matmul_scratch(1, (size_t)NP * ((size_t)OC + C));
            if (buf) {
                float *dout2 = buf, *inp2 = buf + (size_t)NP * OC;
                pairs_across_rows(dout2, dout, N, OC);
                pairs_across_rows(inp2, inp, N, C);
                /* A(o, p) = dout2[p*OC + o] */
                if (sl_matmul_gemm(k, OC, C, NP, dout2, 1, (size_t)OC, inp2, (size_t)C, 1, dweight, (size_t)C, NULL,
                                   !(flags & SL_MATMUL_SET_DWEIGHT), NULL, NULL))
                    dweight = NULL;
            }
        }
        if (dbias) {
            if (flags & SL_MATMUL_SET_DWEIGHT) memset(dbias, 0, sizeof(float) * (size_t)OC);
            sl_matmul_dbias(dbias, dout, N, OC);
            dbias = NULL;
        }
    }
#else
    (void)w_across;
#endif
    /* No bf16 on this CPU, or out of scratch memory: whatever is left, in fp32. */
    if (dinp || dweight || dbias)
        sl_matmul_backward_flags_with(sl_matmul_active_kernels(), dinp, dweight, dbias, dout, inp, weight, flags, N, C, OC);
}

void sl_matmul_forward_bf16(float *out, const float *inp, const float *weight, const float *bias,
                            int N, int C, int OC) {
    if (!forward_bf16(out, inp, weight, NULL, bias, N, C, OC)) sl_matmul_forward(out, inp, weight, bias, N, C, OC);
}

void sl_matmul_backward_bf16(float *dinp, float *dweight, float *dbias, const float *dout,
                             const float *inp, const float *weight, int N, int C, int OC) {
    backward_bf16(dinp, dweight, dbias, dout, inp, weight, NULL, 0, N, C, OC);
}

void sl_matmul_train_forward(float *out, const float *inp, const float *weight,
                             const sl_bf16_weight *w16, const float *bias, int N, int C, int OC) {
    if (w16 && forward_bf16(out, inp, weight, w16->along, bias, N, C, OC)) return;
    sl_matmul_forward(out, inp, weight, bias, N, C, OC);
}

void sl_matmul_train_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                              const float *inp, const float *weight, const sl_bf16_weight *w16,
                              int flags, int N, int C, int OC) {
    if (w16) backward_bf16(dinp, dweight, dbias, dout, inp, weight, w16->across, flags, N, C, OC);
    else sl_matmul_backward_flags_with(sl_matmul_active_kernels(), dinp, dweight, dbias, dout, inp, weight, flags, N, C, OC);
}
