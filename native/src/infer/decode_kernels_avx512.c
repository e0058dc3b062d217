/* decode_kernels_avx512.c: AVX-512 versions of the inference inner loops (decode_kernels.h).
 * Compiled with AVX-512 flags and only called when the CPU has them. */
#include "infer/decode_kernels.h"

#include <immintrin.h>
#include <math.h>

/* e^x for x in [-87, 88] (clamped), ~1e-7 relative error: x = n ln2 + r with |r| <= ln2/2, e^r by
 * its degree-6 Taylor polynomial, times 2^n with scalef. */
static inline __m512 exp_ps(__m512 x) {
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504089f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    /* ln 2 split in two so n*ln2_hi is exact */
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

static inline __mmask16 tail_mask(int remaining) {
    return remaining >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << remaining) - 1u);
}

/* The four horizontal sums of a0..a3 as one 4-float vector. */
static inline __m128 sum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
    __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
    __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
    __m512 s = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(1, 0, 1, 0)),
                             _mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(3, 2, 3, 2)));
    __m256 h = _mm256_add_ps(_mm512_castps512_ps256(s),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s), 1)));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* 16 weights at element index i as floats: fp32 as they are, or half precision converted in
 * registers. `half` is a constant at every call site, so each caller gets its own branch-free loop. */
#define SL_ALWAYS_INLINE static inline __attribute__((always_inline))
SL_ALWAYS_INLINE __m512 load_weights(const void *w, size_t i, int half) {
    return half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)w + i)))
                : _mm512_loadu_ps((const float *)w + i);
}

SL_ALWAYS_INLINE __m512 load_weights_masked(__mmask16 m, const void *w, size_t i, int half) {
    return half ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)w + i))
                : _mm512_maskz_loadu_ps(m, (const float *)w + i);
}

/* out[r, o] = inp[r, :] . weight[o, :] + bias[o] for rows r < n and outputs o in [o_begin, o_end). */
SL_ALWAYS_INLINE void linear_rows(float *out, const float *inp, const void *weight, int half,
                                  const float *bias, int n, int C, int OC, int o_begin, int o_end) {
    const int c_full = C & ~15;
    const __mmask16 m_tail = tail_mask(C & 15);
    int o = o_begin;
    /* Four weight rows at a time: they stay in L1 while every input row passes over them. */
    for (; o + 4 <= o_end; o += 4) {
        const size_t w0 = (size_t)o * C, w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
        __m128 b = bias ? _mm_loadu_ps(bias + o) : _mm_setzero_ps();
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            int c = 0;
            for (; c < c_full; c += 16) {
                __m512 xv = _mm512_loadu_ps(x + c);
                a0 = _mm512_fmadd_ps(load_weights(weight, w0 + c, half), xv, a0);
                a1 = _mm512_fmadd_ps(load_weights(weight, w1 + c, half), xv, a1);
                a2 = _mm512_fmadd_ps(load_weights(weight, w2 + c, half), xv, a2);
                a3 = _mm512_fmadd_ps(load_weights(weight, w3 + c, half), xv, a3);
            }
            if (c < C) {
                __m512 xv = _mm512_maskz_loadu_ps(m_tail, x + c);
                a0 = _mm512_fmadd_ps(load_weights_masked(m_tail, weight, w0 + c, half), xv, a0);
                a1 = _mm512_fmadd_ps(load_weights_masked(m_tail, weight, w1 + c, half), xv, a1);
                a2 = _mm512_fmadd_ps(load_weights_masked(m_tail, weight, w2 + c, half), xv, a2);
                a3 = _mm512_fmadd_ps(load_weights_masked(m_tail, weight, w3 + c, half), xv, a3);
            }
            _mm_storeu_ps(out + (size_t)r * OC + o, _mm_add_ps(sum4(a0, a1, a2, a3), b));
        }
    }
    for (; o < o_end; o++) {
        const size_t w = (size_t)o * C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            __m512 a = _mm512_setzero_ps();
            for (int c = 0; c < C; c += 16) {
                __mmask16 m = tail_mask(C - c);
                a = _mm512_fmadd_ps(load_weights_masked(m, weight, w + c, half), _mm512_maskz_loadu_ps(m, x + c), a);
            }
            out[(size_t)r * OC + o] = _mm512_reduce_add_ps(a) + (bias ? bias[o] : 0.0f);
        }
    }
}

static void linear_avx512(float *out, const float *inp, const float *weight, const float *bias,
                          int n, int C, int OC, int o_begin, int o_end) {
    linear_rows(out, inp, weight, 0, bias, n, C, OC, o_begin, o_end);
}

static void linear_f16_avx512(float *out, const float *inp, const uint16_t *weight, const float *bias,
                              int n, int C, int OC, int o_begin, int o_end) {
    linear_rows(out, inp, weight, 1, bias, n, C, OC, o_begin, o_end);
}

static void to_f16_avx512(uint16_t *dst, const float *src, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) dst[i] = sl_f32_to_f16(src[i]);
}

/* s[j] = scale * q . k_j, 64 keys per pass so each broadcast of q[d] feeds four FMAs. */
static void attention_scores(float *s, const float *q, const float *keys_t, int n_keys,
                             int head_size, int key_stride, float scale) {
    const __m512 vscale = _mm512_set1_ps(scale);
    int j = 0;
    for (; j + 64 <= n_keys; j += 64) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int d = 0; d < head_size; d++) {
            const float *k = keys_t + (size_t)d * key_stride + j;
            __m512 qd = _mm512_set1_ps(q[d]);
            a0 = _mm512_fmadd_ps(qd, _mm512_loadu_ps(k), a0);
            a1 = _mm512_fmadd_ps(qd, _mm512_loadu_ps(k + 16), a1);
            a2 = _mm512_fmadd_ps(qd, _mm512_loadu_ps(k + 32), a2);
            a3 = _mm512_fmadd_ps(qd, _mm512_loadu_ps(k + 48), a3);
        }
        _mm512_storeu_ps(s + j, _mm512_mul_ps(a0, vscale));
        _mm512_storeu_ps(s + j + 16, _mm512_mul_ps(a1, vscale));
        _mm512_storeu_ps(s + j + 32, _mm512_mul_ps(a2, vscale));
        _mm512_storeu_ps(s + j + 48, _mm512_mul_ps(a3, vscale));
    }
    for (; j < n_keys; j += 16) {
        __mmask16 m = tail_mask(n_keys - j);
        __m512 a = _mm512_setzero_ps();
        for (int d = 0; d < head_size; d++)
            a = _mm512_fmadd_ps(_mm512_set1_ps(q[d]),
                                _mm512_maskz_loadu_ps(m, keys_t + (size_t)d * key_stride + j), a);
        _mm512_mask_storeu_ps(s + j, m, _mm512_mul_ps(a, vscale));
    }
}

/* s[j] = exp(s[j] - max s); returns the sum. */
static float softmax_numerators(float *s, int n_keys) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (int j = 0; j < n_keys; j += 16) {
        __mmask16 m = tail_mask(n_keys - j);
        mx = _mm512_mask_max_ps(mx, m, mx, _mm512_maskz_loadu_ps(m, s + j));
    }
    __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
    __m512 sum = _mm512_setzero_ps();
    for (int j = 0; j < n_keys; j += 16) {
        __mmask16 m = tail_mask(n_keys - j);
        __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, s + j), vmax));
        _mm512_mask_storeu_ps(s + j, m, e);
        sum = _mm512_mask_add_ps(sum, m, sum, e);
    }
    return _mm512_reduce_add_ps(sum);
}

static void attend_avx512(float *out, float *probs, float *scores, const float *q,
                          const float *keys_t, const float *values, int n_keys, int head_size,
                          int key_stride, float scale) {
    float *s = probs ? probs : scores;
    attention_scores(s, q, keys_t, n_keys, head_size, key_stride, scale);
    const float inv_sum = 1.0f / softmax_numerators(s, n_keys);
    if (probs) {
        for (int j = 0; j < n_keys; j += 16) {
            __mmask16 m = tail_mask(n_keys - j);
            _mm512_mask_storeu_ps(s + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + j),
                                                          _mm512_set1_ps(inv_sum)));
        }
    }
    /* out = sum_j s_j v_j, 64 channels per pass, two keys per step for independent chains;
     * unnormalized numerators are rescaled once at the end. */
    const __m512 vnorm = _mm512_set1_ps(probs ? 1.0f : inv_sum);
    for (int d = 0; d < head_size; d += 64) {
        __mmask16 m0 = tail_mask(head_size - d), m1 = head_size - d > 16 ? tail_mask(head_size - d - 16) : 0,
                  m2 = head_size - d > 32 ? tail_mask(head_size - d - 32) : 0,
                  m3 = head_size - d > 48 ? tail_mask(head_size - d - 48) : 0;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int j = 0;
        for (; j + 2 <= n_keys; j += 2) {
            const float *v = values + (size_t)j * head_size + d, *w = v + head_size;
            __m512 p = _mm512_set1_ps(s[j]), r = _mm512_set1_ps(s[j + 1]);
            a0 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m0, v), a0);
            a1 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m1, v + 16), a1);
            a2 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m2, v + 32), a2);
            a3 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m3, v + 48), a3);
            b0 = _mm512_fmadd_ps(r, _mm512_maskz_loadu_ps(m0, w), b0);
            b1 = _mm512_fmadd_ps(r, _mm512_maskz_loadu_ps(m1, w + 16), b1);
            b2 = _mm512_fmadd_ps(r, _mm512_maskz_loadu_ps(m2, w + 32), b2);
            b3 = _mm512_fmadd_ps(r, _mm512_maskz_loadu_ps(m3, w + 48), b3);
        }
        if (j < n_keys) {
            const float *v = values + (size_t)j * head_size + d;
            __m512 p = _mm512_set1_ps(s[j]);
            a0 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m0, v), a0);
            a1 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m1, v + 16), a1);
            a2 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m2, v + 32), a2);
            a3 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m3, v + 48), a3);
        }
        _mm512_mask_storeu_ps(out + d, m0, _mm512_mul_ps(_mm512_add_ps(a0, b0), vnorm));
        _mm512_mask_storeu_ps(out + d + 16, m1, _mm512_mul_ps(_mm512_add_ps(a1, b1), vnorm));
        _mm512_mask_storeu_ps(out + d + 32, m2, _mm512_mul_ps(_mm512_add_ps(a2, b2), vnorm));
        _mm512_mask_storeu_ps(out + d + 48, m3, _mm512_mul_ps(_mm512_add_ps(a3, b3), vnorm));
    }
}

/* attend_avx512 for four queries at once: each key and value vector loaded feeds four FMAs
 * (one per query) instead of one, which is what limits the single-query loop. */
static void attend4_avx512(float *out, size_t out_stride, float *probs, size_t probs_stride,
                           float *scores, const float *q, size_t q_stride, const float *keys_t,
                           const float *values, int n_keys, int head_size, int key_stride, float scale) {
    const int total = n_keys + 3; /* keys the last query sees */
    const size_t row = ((size_t)total + 15) & ~(size_t)15;
    float *s[4] = {scores, scores + row, scores + 2 * row, scores + 3 * row};
    const float *qs[4] = {q, q + q_stride, q + 2 * q_stride, q + 3 * q_stride};
    const __m512 vscale = _mm512_set1_ps(scale);
    for (int j = 0; j < total; j += 64) {
        __mmask16 m[4];
        for (int v = 0; v < 4; v++) m[v] = total - j > 16 * v ? tail_mask(total - j - 16 * v) : 0;
        __m512 acc[4][4];
        for (int i = 0; i < 4; i++)
            for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();
        for (int d = 0; d < head_size; d++) {
            const float *k = keys_t + (size_t)d * key_stride + j;
            __m512 kv[4];
            for (int v = 0; v < 4; v++) kv[v] = _mm512_maskz_loadu_ps(m[v], k + 16 * v);
            for (int i = 0; i < 4; i++) {
                __m512 b = _mm512_set1_ps(qs[i][d]);
                for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(b, kv[v], acc[i][v]);
            }
        }
        for (int i = 0; i < 4; i++)
            for (int v = 0; v < 4; v++) _mm512_mask_storeu_ps(s[i] + j + 16 * v, m[v], _mm512_mul_ps(acc[i][v], vscale));
    }
    float inv[4];
    for (int i = 0; i < 4; i++) {
        int len = n_keys + i;
        inv[i] = 1.0f / softmax_numerators(s[i], len);
        for (int j = len; j < total; j++) s[i][j] = 0.0f; /* keys after this query's position */
        if (probs) {
            float *p = probs + i * probs_stride;
            for (int j = 0; j < len; j += 16) {
                __mmask16 mm = tail_mask(len - j);
                _mm512_mask_storeu_ps(p + j, mm, _mm512_mul_ps(_mm512_maskz_loadu_ps(mm, s[i] + j), _mm512_set1_ps(inv[i])));
            }
        }
    }
    for (int d = 0; d < head_size; d += 64) {
        __mmask16 m[4];
        for (int v = 0; v < 4; v++) m[v] = head_size - d > 16 * v ? tail_mask(head_size - d - 16 * v) : 0;
        __m512 acc[4][4];
        for (int i = 0; i < 4; i++)
            for (int v = 0; v < 4; v++) acc[i][v] = _mm512_setzero_ps();
        for (int j = 0; j < total; j++) {
            const float *val = values + (size_t)j * head_size + d;
            __m512 vv[4];
            for (int v = 0; v < 4; v++) vv[v] = _mm512_maskz_loadu_ps(m[v], val + 16 * v);
            for (int i = 0; i < 4; i++) {
                __m512 b = _mm512_set1_ps(s[i][j]);
                for (int v = 0; v < 4; v++) acc[i][v] = _mm512_fmadd_ps(b, vv[v], acc[i][v]);
            }
        }
        for (int i = 0; i < 4; i++)
            for (int v = 0; v < 4; v++)
                _mm512_mask_storeu_ps(out + i * out_stride + d + 16 * v, m[v],
                                      _mm512_mul_ps(acc[i][v], _mm512_set1_ps(inv[i])));
    }
}

const sl_decode_kernels sl_decode_kernels_avx512 = {"avx512", linear_avx512, linear_f16_avx512,
                                                    to_f16_avx512, attend_avx512, attend4_avx512};
