/* decode_kernels_neon.c: the decode GEMV for arm64, with fp32 or half-precision weights, and the
 * conversion to half. A decode step streams every weight matrix once, so it is bound by memory:
 * half weights halve what a token reads, and AArch64's base instruction set converts halves in
 * registers (FCVTL/FCVTN), so every arm64 CPU gets the half path, as x86 ones with F16C do.
 * The attention loops stay the portable ones (auto-vectorized to NEON by the compiler). */
#include "infer/decode_kernels.h"

#include <arm_neon.h>

/* 8 weights at element index i as two vectors of 4 floats: fp32 as they are, or halves widened.
 * `half` is a constant at every call site, so each caller gets its own branch-free loop. */
static inline __attribute__((always_inline)) void load8(const void *w, size_t i, int half,
                                                        float32x4_t *lo, float32x4_t *hi) {
    if (half) {
        float16x8_t h = vreinterpretq_f16_u16(vld1q_u16((const uint16_t *)w + i));
        *lo = vcvt_f32_f16(vget_low_f16(h));
        *hi = vcvt_high_f32_f16(h);
    } else {
        *lo = vld1q_f32((const float *)w + i);
        *hi = vld1q_f32((const float *)w + i + 4);
    }
}

static inline __attribute__((always_inline)) float weight_at(const void *w, size_t i, int half) {
    return half ? sl_f16_to_f32(((const uint16_t *)w)[i]) : ((const float *)w)[i];
}

/* out[r, o] = inp[r, :] . weight[o, :] + bias[o] for rows r < n and outputs o in [o_begin, o_end). */
static inline __attribute__((always_inline)) void linear_rows(float *out, const float *inp, const void *weight,
                                                              int half, const float *bias, int n, int C,
                                                              int OC, int o_begin, int o_end) {
    const int c_full = C & ~7;
    int o = o_begin;
    /* Four weight rows at a time: they stay in L1 while every input row passes over them, and
     * each load of the input feeds four FMAs. */
    for (; o + 4 <= o_end; o += 4) {
        const size_t w0 = (size_t)o * C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            float32x4_t acc[4][2];
            for (int i = 0; i < 4; i++) acc[i][0] = acc[i][1] = vdupq_n_f32(0.0f);
            for (int c = 0; c < c_full; c += 8) {
                float32x4_t x0 = vld1q_f32(x + c), x1 = vld1q_f32(x + c + 4);
                #pragma GCC unroll 4
                for (int i = 0; i < 4; i++) {
                    float32x4_t lo, hi;
                    load8(weight, w0 + (size_t)i * C + c, half, &lo, &hi);
                    acc[i][0] = vfmaq_f32(acc[i][0], lo, x0);
                    acc[i][1] = vfmaq_f32(acc[i][1], hi, x1);
                }
            }
            for (int i = 0; i < 4; i++) {
                float s = vaddvq_f32(vaddq_f32(acc[i][0], acc[i][1]));
                for (int c = c_full; c < C; c++) s += weight_at(weight, w0 + (size_t)i * C + c, half) * x[c];
                out[(size_t)r * OC + o + i] = s + (bias ? bias[o + i] : 0.0f);
            }
        }
    }
    for (; o < o_end; o++) {
        const size_t w = (size_t)o * C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0;
            for (int c = 0; c < c_full; c += 8) {
                float32x4_t lo, hi;
                load8(weight, w + c, half, &lo, &hi);
                a0 = vfmaq_f32(a0, lo, vld1q_f32(x + c));
                a1 = vfmaq_f32(a1, hi, vld1q_f32(x + c + 4));
            }
            float s = vaddvq_f32(vaddq_f32(a0, a1));
            for (int c = c_full; c < C; c++) s += weight_at(weight, w + c, half) * x[c];
            out[(size_t)r * OC + o] = s + (bias ? bias[o] : 0.0f);
        }
    }
}

void sl_decode_linear_neon(float *out, const float *inp, const float *weight, const float *bias, int n,
                           int C, int OC, int o_begin, int o_end) {
    linear_rows(out, inp, weight, 0, bias, n, C, OC, o_begin, o_end);
}

void sl_decode_linear_f16_neon(float *out, const float *inp, const uint16_t *weight, const float *bias,
                               int n, int C, int OC, int o_begin, int o_end) {
    linear_rows(out, inp, weight, 1, bias, n, C, OC, o_begin, o_end);
}

/* FCVTN rounds as the FPCR says: to nearest, ties to even, by default (what every OS sets), with
 * IEEE halves (AHP = 0): the same bits as sl_f32_to_f16, which the tests check. */
void sl_decode_to_f16_neon(uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        float16x8_t h = vcvt_high_f16_f32(vcvt_f16_f32(vld1q_f32(src + i)), vld1q_f32(src + i + 4));
        vst1q_u16(dst + i, vreinterpretq_u16_f16(h));
    }
    for (; i < n; i++) dst[i] = sl_f32_to_f16(src[i]);
}
