/* decode_kernels.h: the inner loops of inference that are not big matrix products: skinny
 * matrix-vector products (a decode step multiplies each weight matrix by one or a few rows, so
 * it is bound by reading the weights, not by arithmetic) and one query's attention over the KV
 * cache. Chosen at run time (AVX-512, AVX2 with F16C, NEON on arm64, or portable C), like the
 * matmul kernels. */
#ifndef SL_DECODE_KERNELS_H
#define SL_DECODE_KERNELS_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name;
    /* out[r, o] = bias[o] + dot(weight[o, :], inp[r, :]) for rows r < n and columns
     * o_begin <= o < o_end. out is [n, OC], inp [n, C], weight [OC, C]; bias may be NULL. */
    void (*linear)(float *out, const float *inp, const float *weight, const float *bias, int n,
                   int C, int OC, int o_begin, int o_end);
    /* The same with IEEE half-precision weights (half the bytes to stream; fp32 arithmetic).
     * NULL where the CPU has no fast half-to-float conversion: then decode keeps fp32 weights. */
    void (*linear_f16)(float *out, const float *inp, const uint16_t *weight, const float *bias,
                       int n, int C, int OC, int o_begin, int o_end);
    /* dst[i] = src[i] rounded to the nearest half (ties to even); overflow becomes infinity. */
    void (*to_f16)(uint16_t *dst, const float *src, size_t n);
    /* One query of one head against n_keys cached positions:
     *   p = softmax(scale * q . k_j),  out = sum_j p_j v_j.
     * keys_t is the head's keys transposed, [head_size][key_stride] (key j of dimension d at
     * keys_t[d * key_stride + j]), so scores vectorize over keys; values is [n_keys][head_size].
     * scores is scratch of n_keys floats; if probs is not NULL the probabilities land there (and
     * scores may alias it). */
    void (*attend)(float *out, float *probs, float *scores, const float *q, const float *keys_t,
                   const float *values, int n_keys, int head_size, int key_stride, float scale);
    /* Four queries of one head at consecutive positions, query i seeing n_keys + i keys, sharing
     * every key and value load (a prompt's rows go through attention four at a time). Query,
     * output and probability rows are q + i*q_stride, out + i*out_stride, probs + i*probs_stride
     * (probs may be NULL); scores is scratch of SL_ATTEND4_SCRATCH(n_keys) floats. */
    void (*attend4)(float *out, size_t out_stride, float *probs, size_t probs_stride, float *scores,
                    const float *q, size_t q_stride, const float *keys_t, const float *values,
                    int n_keys, int head_size, int key_stride, float scale);
} sl_decode_kernels;

#define SL_ATTEND4_SCRATCH(n_keys) (4 * ((size_t)(n_keys) + 32))

/* Scalar conversions, exact (tests and the portable path). */
uint16_t sl_f32_to_f16(float f);
float sl_f16_to_f32(uint16_t h);

/* The best kernels this CPU runs, or those SEEDLING_KERNEL names (generic, avx2, avx512, neon). */
const sl_decode_kernels *sl_decode_kernels_select(void);
/* A set by name ("generic", "avx2", "avx512", "neon"); NULL if unknown or this CPU lacks it. */
const sl_decode_kernels *sl_decode_kernels_named(const char *name);
/* The portable kernels (the tests compare the SIMD ones against these). */
const sl_decode_kernels *sl_decode_kernels_portable(void);
#endif
