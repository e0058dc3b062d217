/* decode_kernels.c: portable C versions of the inference inner loops, and the run-time choice
 * between them and the SIMD versions (decode_kernels_avx512.c, decode_kernels_avx2.c,
 * decode_kernels_neon.c). */
#include "infer/decode_kernels.h"
#include "core/vectorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint16_t sl_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t mag = x & 0x7fffffffu;
    if (mag >= 0x7f800000u) return sign | 0x7c00u | (mag > 0x7f800000u ? 0x200u : 0u); /* inf, NaN */
    if (mag >= 0x477ff000u) return sign | 0x7c00u; /* rounds past 65504: infinity */
    if (mag < 0x38800000u) { /* below 2^-14: a subnormal half, in units of 2^-24 */
        float a;
        memcpy(&a, &mag, sizeof a);
        return sign | (uint16_t)lrintf(a * 16777216.0f);
    }
    uint32_t h = (((mag >> 23) - 112u) << 10) | ((mag & 0x7fffffu) >> 13);
    uint32_t rest = mag & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++; /* a carry correctly bumps the exponent */
    return sign | (uint16_t)h;
}

float sl_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
    if (e == 0) {
        float v = (float)m / 16777216.0f;
        return sign ? -v : v;
    }
    bits = sign | (e == 31 ? 0x7f800000u | (m << 13) : ((e + 112u) << 23) | (m << 13));
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static void to_f16_portable(uint16_t *dst, const float *src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = sl_f32_to_f16(src[i]);
}

/* The portable kernels are plain C written to auto-vectorize (vectorize.h): compiled once per
 * instruction set and picked by the loader, they are what AVX2 machines run. */
SL_VECTORIZED
static void linear_portable(float *out, const float *inp, const float *weight, const float *bias,
                            int n, int C, int OC, int o_begin, int o_end) {
    for (int o = o_begin; o < o_end; o++) {
        const float *w = weight + (size_t)o * C;
        for (int r = 0; r < n; r++)
            out[(size_t)r * OC + o] = sl_dot(w, inp + (size_t)r * C, C) + (bias ? bias[o] : 0.0f);
    }
}

SL_VECTORIZED
static void attend_portable(float *out, float *probs, float *scores, const float *q,
                            const float *keys_t, const float *values, int n_keys, int head_size,
                            int key_stride, float scale) {
    float *s = probs ? probs : scores;
    for (int j = 0; j < n_keys; j++) s[j] = 0.0f;
    for (int d = 0; d < head_size; d++) sl_axpy(s, keys_t + (size_t)d * key_stride, q[d], n_keys);
    for (int j = 0; j < n_keys; j++) s[j] *= scale;
    float inv = 1.0f / sl_exp_shifted_sum(s, n_keys, sl_max(s, n_keys));
    for (int j = 0; j < n_keys; j++) s[j] *= inv;
    for (int d = 0; d < head_size; d++) out[d] = 0.0f;
    for (int j = 0; j < n_keys; j++) sl_axpy(out, values + (size_t)j * head_size, s[j], head_size);
}

static void attend4_portable(float *out, size_t out_stride, float *probs, size_t probs_stride,
                             float *scores, const float *q, size_t q_stride, const float *keys_t,
                             const float *values, int n_keys, int head_size, int key_stride, float scale) {
    for (int i = 0; i < 4; i++)
        attend_portable(out + i * out_stride, probs ? probs + i * probs_stride : NULL, scores,
                        q + i * q_stride, keys_t, values, n_keys + i, head_size, key_stride, scale);
}

static const sl_decode_kernels portable = {"portable", linear_portable, NULL, to_f16_portable,
                                           attend_portable, attend4_portable};

const sl_decode_kernels *sl_decode_kernels_portable(void) { return &portable; }

#if defined(__x86_64__) || defined(_M_X64)
extern const sl_decode_kernels sl_decode_kernels_avx512;
void sl_decode_linear_f16_avx2(float *out, const float *inp, const uint16_t *weight, const float *bias,
                               int n, int C, int OC, int o_begin, int o_end);
void sl_decode_to_f16_avx2(uint16_t *dst, const float *src, size_t n);
static const sl_decode_kernels avx2 = {"avx2", linear_portable, sl_decode_linear_f16_avx2,
                                       sl_decode_to_f16_avx2, attend_portable, attend4_portable};
#endif

#if defined(__aarch64__)
void sl_decode_linear_neon(float *out, const float *inp, const float *weight, const float *bias, int n,
                           int C, int OC, int o_begin, int o_end);
void sl_decode_linear_f16_neon(float *out, const float *inp, const uint16_t *weight, const float *bias,
                               int n, int C, int OC, int o_begin, int o_end);
void sl_decode_to_f16_neon(uint16_t *dst, const float *src, size_t n);
static const sl_decode_kernels neon = {"neon", sl_decode_linear_neon, sl_decode_linear_f16_neon,
                                       sl_decode_to_f16_neon, attend_portable, attend4_portable};
#endif

const sl_decode_kernels *sl_decode_kernels_named(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "generic") == 0 || strcmp(name, "portable") == 0) return &portable;
#if defined(__aarch64__)
    /* NEON is part of base AArch64: every arm64 CPU has it, no run-time probe needed. */
    if (strcmp(name, "neon") == 0) return &neon;
#endif
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return &avx2;
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return &sl_decode_kernels_avx512;
#endif
    return NULL;
}

const sl_decode_kernels *sl_decode_kernels_select(void) {
    /* The matmul's override (SEEDLING_KERNEL=generic|avx2|avx512|neon) applies here too, so one
     * variable measures or tests a whole configuration. */
    const sl_decode_kernels *k = sl_decode_kernels_named(getenv("SEEDLING_KERNEL"));
    if (!k) k = sl_decode_kernels_named("avx512");
    if (!k) k = sl_decode_kernels_named("avx2");
    if (!k) k = sl_decode_kernels_named("neon");
    return k ? k : &portable;
}
