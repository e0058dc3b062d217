/* decode_kernels.c: portable C versions of the inference inner loops, and the run-time choice
 * between them and the SIMD versions (decode_kernels_avx512.c). */
#include "decode_kernels.h"

#include <math.h>

static void linear_portable(float *out, const float *inp, const float *weight, const float *bias,
                            int n, int C, int OC, int o_begin, int o_end) {
    for (int o = o_begin; o < o_end; o++) {
        const float *w = weight + (size_t)o * C;
        for (int r = 0; r < n; r++) {
            const float *x = inp + (size_t)r * C;
            float sum = bias ? bias[o] : 0.0f;
            for (int c = 0; c < C; c++) sum += w[c] * x[c];
            out[(size_t)r * OC + o] = sum;
        }
    }
}

static void attend_portable(float *out, float *probs, float *scores, const float *q,
                            const float *keys_t, const float *values, int n_keys, int head_size,
                            int key_stride, float scale) {
    float *s = probs ? probs : scores;
    for (int j = 0; j < n_keys; j++) s[j] = 0.0f;
    for (int d = 0; d < head_size; d++) {
        const float *k = keys_t + (size_t)d * key_stride;
        for (int j = 0; j < n_keys; j++) s[j] += q[d] * k[j];
    }
    float max = -INFINITY;
    for (int j = 0; j < n_keys; j++) {
        s[j] *= scale;
        if (s[j] > max) max = s[j];
    }
    float sum = 0.0f;
    for (int j = 0; j < n_keys; j++) {
        s[j] = expf(s[j] - max);
        sum += s[j];
    }
    float inv = 1.0f / sum;
    for (int j = 0; j < n_keys; j++) s[j] *= inv;
    for (int d = 0; d < head_size; d++) out[d] = 0.0f;
    for (int j = 0; j < n_keys; j++) {
        const float *v = values + (size_t)j * head_size;
        for (int d = 0; d < head_size; d++) out[d] += s[j] * v[d];
    }
}

static const sl_decode_kernels portable = {"portable", linear_portable, attend_portable};

const sl_decode_kernels *sl_decode_kernels_portable(void) { return &portable; }

#if defined(__x86_64__) || defined(_M_X64)
extern const sl_decode_kernels sl_decode_kernels_avx512;
#endif

const sl_decode_kernels *sl_decode_kernels_select(void) {
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return &sl_decode_kernels_avx512;
#endif
    return &portable;
}
