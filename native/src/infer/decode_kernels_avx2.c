/* decode_kernels_avx2.c: the half-precision GEMV and conversion for CPUs with AVX2, FMA and F16C
 * but no AVX-512 (most laptops): there, too, decode weights in fp16 halve what a token streams.
 * The other inference loops are the portable ones, auto-vectorized for AVX2. */
#include "infer/decode_kernels.h"

#include <immintrin.h>

static inline __m256 load_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }

void sl_decode_linear_f16_avx2(float *out, const float *inp, const uint16_t *weight, const float *bias,
                               int n, int C, int OC, int o_begin, int o_end) {
    const int c_full = C & ~7;
    int o = o_begin;
    for (; o + 4 <= o_end; o += 4) {
        const uint16_t *w0 = weight + (size_t)o * C, *w1 = w0 + C, *w2 = w1 + C, *w3 = w2 + C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < c_full; c += 8) {
                __m256 xv = _mm256_loadu_ps(x + c);
                a0 = _mm256_fmadd_ps(load_f16(w0 + c), xv, a0);
                a1 = _mm256_fmadd_ps(load_f16(w1 + c), xv, a1);
                a2 = _mm256_fmadd_ps(load_f16(w2 + c), xv, a2);
                a3 = _mm256_fmadd_ps(load_f16(w3 + c), xv, a3);
            }
            /* the four horizontal sums, one per lane */
            __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            __m128 sums = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
            float v[4];
            _mm_storeu_ps(v, sums);
            for (int i = 0; i < 4; i++) {
                const uint16_t *w = w0 + (size_t)i * C;
                for (int c = c_full; c < C; c++) v[i] += sl_f16_to_f32(w[c]) * x[c];
                out[(size_t)r * OC + o + i] = v[i] + (bias ? bias[o + i] : 0.0f);
            }
        }
    }
    for (; o < o_end; o++) {
        const uint16_t *w = weight + (size_t)o * C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            __m256 a = _mm256_setzero_ps();
            for (int c = 0; c < c_full; c += 8) a = _mm256_fmadd_ps(load_f16(w + c), _mm256_loadu_ps(x + c), a);
            __m128 h = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
            h = _mm_hadd_ps(h, h);
            h = _mm_hadd_ps(h, h);
            float sum = _mm_cvtss_f32(h);
            for (int c = c_full; c < C; c++) sum += sl_f16_to_f32(w[c]) * x[c];
            out[(size_t)r * OC + o] = sum + (bias ? bias[o] : 0.0f);
        }
    }
}

void sl_decode_to_f16_avx2(uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) dst[i] = sl_f32_to_f16(src[i]);
}
