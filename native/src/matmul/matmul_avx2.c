/* matmul_avx2.c: AVX2 + FMA matmul kernels (compiled with -mavx2 -mfma, chosen at run time).
 *
 * Tile: 6 rows x 16 columns = 12 ymm accumulators; per k, 2 loads of packed B and 6 broadcasts
 * of A feed 12 FMAs. 12 accumulators + 2 B vectors + 1 broadcast fit the 16 ymm registers. */
#include "matmul/matmul_kernels.h"
#include <immintrin.h>

enum { MR = 6, NV = 2, NR = 8 * NV };

static inline __attribute__((always_inline)) void tile_6x16(int kc, const float *a, size_t a_rs,
                                                            size_t a_cs, const float *b, float *c,
                                                            size_t ldc, const float *bias, int accumulate) {
    /* Accumulate from zero and apply the initial value (C or bias) at the end: with no branch
     * before the loop the compiler keeps all accumulators in registers. */
    __m256 acc[MR][NV];
    #pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) acc[i][v] = _mm256_setzero_ps();
    for (int k = 0; k < kc; k++) {
        const float *bk = b + (size_t)k * NR;
        __m256 bv[NV];
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) bv[v] = _mm256_load_ps(bk + 8 * v);
        const float *ak = a + (size_t)k * a_cs;
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(ak + i * a_rs);
            #pragma GCC unroll 16
            for (int v = 0; v < NV; v++) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
        }
    }
    #pragma GCC unroll 16
    for (int v = 0; v < NV; v++) {
        __m256 init = bias && !accumulate ? _mm256_loadu_ps(bias + 8 * v) : _mm256_setzero_ps();
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc + 8 * v;
            _mm256_storeu_ps(ci, _mm256_add_ps(acc[i][v], accumulate ? _mm256_loadu_ps(ci) : init));
        }
    }
}

static void tile(int kc, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                 size_t ldc, const float *bias, int accumulate) {
    if (a_cs == 1) tile_6x16(kc, a, a_rs, 1, b, c, ldc, bias, accumulate);
    else tile_6x16(kc, a, 1, a_cs, b, c, ldc, bias, accumulate);
}

static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* out[n][o] for NB rows of x and OB rows of w; the C % 8 tail is done in scalar. */
static inline __attribute__((always_inline)) void dot_block(int NB, int OB, const float *x,
                                                            const float *w, int C, float *out,
                                                            int OC, const float *bias) {
    __m256 acc[2][4];
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++) acc[n][o] = _mm256_setzero_ps();
    int c = 0;
    for (; c + 8 <= C; c += 8) {
        __m256 xv[2];
        for (int n = 0; n < NB; n++) xv[n] = _mm256_loadu_ps(x + (size_t)n * C + c);
        for (int o = 0; o < OB; o++) {
            __m256 wv = _mm256_loadu_ps(w + (size_t)o * C + c);
            for (int n = 0; n < NB; n++) acc[n][o] = _mm256_fmadd_ps(xv[n], wv, acc[n][o]);
        }
    }
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++) {
            float s = hsum(acc[n][o]);
            for (int t = c; t < C; t++) s += x[(size_t)n * C + t] * w[(size_t)o * C + t];
            out[(size_t)n * OC + o] = s + (bias ? bias[o] : 0.0f);
        }
}

static void rows_dot(float *out, const float *x, const float *w, const float *bias, int N, int C,
                     int OC, int o_begin, int o_end) {
    for (int n = 0; n < N; n += 2) {
        const float *xn = x + (size_t)n * C;
        float *on = out + (size_t)n * OC;
        int o = o_begin;
        if (N - n >= 2) {
            for (; o + 4 <= o_end; o += 4) dot_block(2, 4, xn, w + (size_t)o * C, C, on + o, OC, bias ? bias + o : NULL);
            for (; o < o_end; o++) dot_block(2, 1, xn, w + (size_t)o * C, C, on + o, OC, bias ? bias + o : NULL);
        } else {
            for (; o + 4 <= o_end; o += 4) dot_block(1, 4, xn, w + (size_t)o * C, C, on + o, OC, bias ? bias + o : NULL);
            for (; o < o_end; o++) dot_block(1, 1, xn, w + (size_t)o * C, C, on + o, OC, bias ? bias + o : NULL);
        }
    }
}

const sl_matmul_kernels sl_matmul_kernels_avx2 = {"avx2", MR, NR, 1, tile, rows_dot, NULL};
