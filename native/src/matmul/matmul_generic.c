/* matmul_generic.c: portable C matmul kernels (any CPU; the arm64 path). Written so the compiler
 * can vectorize the innermost loops over fixed-size arrays (SSE2 on x86-64, NEON on arm64). */
#include "matmul/matmul_kernels.h"

/* 4 x NR accumulators must fit the vector registers with room for B and A: 16 x 128-bit on
 * x86-64 SSE2 (NR = 8: 8 registers of accumulators), 32 x 128-bit on arm64 NEON (NR = 16). */
#if defined(__aarch64__)
enum { MR = 4, NR = 16, LANES = 8 };
#else
enum { MR = 4, NR = 8, LANES = 8 };
#endif

static inline __attribute__((always_inline)) void tile_4xNR(int kc, const float *a, size_t a_rs,
                                                            size_t a_cs, const float *b, float *c,
                                                            size_t ldc, const float *bias, int accumulate) {
    float acc[MR][NR];
    #pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 16
        for (int j = 0; j < NR; j++)
            acc[i][j] = accumulate ? c[i * ldc + j] : bias ? bias[j] : 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *bk = b + (size_t)k * NR;
        const float *ak = a + (size_t)k * a_cs;
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            float ai = ak[i * a_rs];
            #pragma GCC unroll 16
            for (int j = 0; j < NR; j++) acc[i][j] += ai * bk[j];
        }
    }
    #pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 16
        for (int j = 0; j < NR; j++) c[i * ldc + j] = acc[i][j];
}

/* Vectorize across the fixed-size j loops (SLP), never across k: GCC's loop vectorizer would
 * otherwise vectorize the k loop of the row-major case with shuffles, 5x slower. */
__attribute__((optimize("no-tree-loop-vectorize"))) static void tile(int kc, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                 size_t ldc, const float *bias, int accumulate) {
    if (a_cs == 1) tile_4xNR(kc, a, a_rs, 1, b, c, ldc, bias, accumulate);
    else tile_4xNR(kc, a, 1, a_cs, b, c, ldc, bias, accumulate);
}

/* One dot product with LANES independent partial sums (vectorizable without reassociating). */
static float dot(const float *x, const float *w, int C) {
    float part[LANES] = {0};
    int c = 0;
    for (; c + LANES <= C; c += LANES)
        for (int l = 0; l < LANES; l++) part[l] += x[c + l] * w[c + l];
    float sum = 0.0f;
    for (; c < C; c++) sum += x[c] * w[c];
    for (int l = 0; l < LANES; l++) sum += part[l];
    return sum;
}

static void rows_dot(float *out, const float *x, const float *w, const float *bias, int N, int C,
                     int OC, int o_begin, int o_end) {
    /* Weight row outer: it is read from memory once and reused from L1 for all N inputs. */
    for (int o = o_begin; o < o_end; o++)
        for (int n = 0; n < N; n++)
            out[(size_t)n * OC + o] = dot(x + (size_t)n * C, w + (size_t)o * C, C) + (bias ? bias[o] : 0.0f);
}

const sl_matmul_kernels sl_matmul_kernels_generic = {"generic", MR, NR, 1, tile, rows_dot, NULL};
