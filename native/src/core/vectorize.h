/* vectorize.h: run-time dispatched auto-vectorisation for the elementwise and attention loops.
 *
 * The engine is built for baseline x86-64 (SSE2) so one binary runs anywhere. Functions marked
 * SL_VECTORIZED are compiled three times (AVX-512, AVX2+FMA, baseline) and the loader picks the
 * best clone for the CPU (GCC function multi-versioning through ifunc). Elsewhere the macro is
 * empty and the plain C is compiled once for the target. Mark the outer function of a hot loop
 * (the helpers below inline into each clone); a clone call per element would cost more than it
 * saves. The loops are written so the compiler can vectorise them without -ffast-math: no
 * floating-point reduction into one scalar inside them, but sixteen independent partial sums
 * added in a fixed order (so results stay deterministic).
 *
 * Also a polynomial exp that vectorises (libm's expf is a call per element). */
#ifndef SL_VECTORIZE_H
#define SL_VECTORIZE_H
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(SL_NO_TARGET_CLONES)
#define SL_VECTORIZED __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SL_VECTORIZED
#endif

/* e^x to about 2 ulp for x in [-87, 88] (clamped outside; exp(-87) ~ 1.6e-38 stands in for 0).
 * Round x/ln2 to n with the 1.5*2^23 trick (no floorf call), reduce r = x - n ln2 in two parts
 * (Cody-Waite), a degree-6 Taylor polynomial on |r| <= ln2/2, then scale by 2^n built in the
 * exponent bits. */
static inline float sl_exp_approx(float x) {
    /* NaN must stay NaN (a diverged step is detected by its loss); converting it to int is UB. */
    if (x != x) return x;
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    const float shifter = 12582912.0f; /* 1.5 * 2^23 */
    float n = (x * 1.44269504089f + shifter) - shifter;
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187e-06f;
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* x[i] = e^(x[i] - shift) for i < n; returns the sum of the results. */
static inline float sl_exp_shifted_sum(float *x, int n, float shift) {
    float partial[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) {
            x[i + k] = sl_exp_approx(x[i + k] - shift);
            partial[k] += x[i + k];
        }
    float sum = 0.0f;
    for (; i < n; i++) {
        x[i] = sl_exp_approx(x[i] - shift);
        sum += x[i];
    }
    for (int k = 0; k < 16; k++) sum += partial[k];
    return sum;
}

/* Largest of x[0..n), n >= 1. */
static inline float sl_max(const float *x, int n) {
    float partial[16];
    for (int k = 0; k < 16; k++) partial[k] = x[0];
    int i = 0;
    for (; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; k++) partial[k] = x[i + k] > partial[k] ? x[i + k] : partial[k];
    float m = x[0];
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    for (int k = 0; k < 16; k++) m = partial[k] > m ? partial[k] : m;
    return m;
}

/* Dot product of n floats. Thirty-two partial sums: two independent vector chains, so the loop
 * is not bound by the latency of one multiply-add chain. */
static inline float sl_dot(const float *restrict a, const float *restrict b, int n) {
    float partial[32] = {0};
    int i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 32; k++) partial[k] += a[i + k] * b[i + k];
    float sum = 0.0f;
    for (; i < n; i++) sum += a[i] * b[i];
    for (int k = 0; k < 32; k++) sum += partial[k];
    return sum;
}

/* y += a * x over n floats. */
static inline void sl_axpy(float *restrict y, const float *restrict x, float a, int n) {
    for (int i = 0; i < n; i++) y[i] += a * x[i];
}
#endif
