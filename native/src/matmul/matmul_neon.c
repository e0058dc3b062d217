/* matmul_neon.c: NEON matmul kernels for arm64 (Apple Silicon, Graviton, Linux laptops on ARM).
 *
 * NEON (Advanced SIMD) is part of the base AArch64 instruction set, so this file needs no compiler
 * flag and every arm64 CPU runs it; it is built only for arm64 (CMakeLists.txt) and chosen by the
 * same dispatch as the x86 sets (matmul_dispatch.c).
 *
 * Tile: 6 rows x 16 columns = 24 accumulators of 4 floats; per k, 4 loads of packed B and 6
 * broadcasts of A feed 24 fused multiply-adds. 24 accumulators + 4 B vectors + 1 broadcast fit the
 * 32 vector registers with room to spare, the same shape as the AVX2 tile with half-width vectors. */
#include "matmul/matmul_kernels.h"
#include <arm_neon.h>

enum { MR = 6, NV = 4, NR = 4 * NV };

static inline __attribute__((always_inline)) void tile_6x16(int kc, const float *a, size_t a_rs,
                                                            size_t a_cs, const float *b, float *c,
                                                            size_t ldc, const float *bias, int accumulate) {
    /* From zero, with the initial value (C or bias) added at the end: no branch before the loop, so
     * the compiler keeps every accumulator in a register. */
    float32x4_t acc[MR][NV];
    #pragma GCC unroll 16
    for (int i = 0; i < MR; i++)
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) acc[i][v] = vdupq_n_f32(0.0f);
    for (int k = 0; k < kc; k++) {
        const float *bk = b + (size_t)k * NR;
        float32x4_t bv[NV];
        #pragma GCC unroll 16
        for (int v = 0; v < NV; v++) bv[v] = vld1q_f32(bk + 4 * v);
        const float *ak = a + (size_t)k * a_cs;
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            float32x4_t ai = vld1q_dup_f32(ak + i * a_rs);
            #pragma GCC unroll 16
            for (int v = 0; v < NV; v++) acc[i][v] = vfmaq_f32(acc[i][v], ai, bv[v]);
        }
    }
    #pragma GCC unroll 16
    for (int v = 0; v < NV; v++) {
        float32x4_t init = bias && !accumulate ? vld1q_f32(bias + 4 * v) : vdupq_n_f32(0.0f);
        #pragma GCC unroll 16
        for (int i = 0; i < MR; i++) {
            float *ci = c + i * ldc + 4 * v;
            vst1q_f32(ci, vaddq_f32(acc[i][v], accumulate ? vld1q_f32(ci) : init));
        }
    }
}

static void tile(int kc, const float *a, size_t a_rs, size_t a_cs, const float *b, float *c,
                 size_t ldc, const float *bias, int accumulate) {
    /* Two instances with one stride constant each: rows of a row-major matrix, or a packed strip. */
    if (a_cs == 1) tile_6x16(kc, a, a_rs, 1, b, c, ldc, bias, accumulate);
    else tile_6x16(kc, a, 1, a_cs, b, c, ldc, bias, accumulate);
}

/* out[n][o] for NB rows of x and OB rows of w. Two accumulators per pair (8 floats per step) so
 * consecutive FMAs into one register do not wait on each other; the C % 8 tail is scalar. */
static inline __attribute__((always_inline)) void dot_block(int NB, int OB, const float *x,
                                                            const float *w, int C, float *out,
                                                            int OC, const float *bias) {
    float32x4_t acc[2][4][2];
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++) acc[n][o][0] = acc[n][o][1] = vdupq_n_f32(0.0f);
    int c = 0;
    for (; c + 8 <= C; c += 8) {
        float32x4_t xv[2][2];
        for (int n = 0; n < NB; n++) {
            xv[n][0] = vld1q_f32(x + (size_t)n * C + c);
            xv[n][1] = vld1q_f32(x + (size_t)n * C + c + 4);
        }
        for (int o = 0; o < OB; o++) {
            float32x4_t w0 = vld1q_f32(w + (size_t)o * C + c), w1 = vld1q_f32(w + (size_t)o * C + c + 4);
            for (int n = 0; n < NB; n++) {
                acc[n][o][0] = vfmaq_f32(acc[n][o][0], xv[n][0], w0);
                acc[n][o][1] = vfmaq_f32(acc[n][o][1], xv[n][1], w1);
            }
        }
    }
    for (int n = 0; n < NB; n++)
        for (int o = 0; o < OB; o++) {
            float s = vaddvq_f32(vaddq_f32(acc[n][o][0], acc[n][o][1]));
            for (int t = c; t < C; t++) s += x[(size_t)n * C + t] * w[(size_t)o * C + t];
            out[(size_t)n * OC + o] = s + (bias ? bias[o] : 0.0f);
        }
}

static void rows_dot(float *out, const float *x, const float *w, const float *bias, int N, int C,
                     int OC, int o_begin, int o_end) {
    /* Two input rows share each load of four weight rows: the weights are what decode streams. */
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

const sl_matmul_kernels sl_matmul_kernels_neon = {"neon", MR, NR, 1, tile, rows_dot, NULL};
