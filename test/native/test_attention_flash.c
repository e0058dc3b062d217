/* test_attention_flash.c: the fused (flash-style) attention kernels against the reference that keeps
 * the probabilities (attention.c), forward and backward, on random inputs.
 *
 * Shapes: every head size the tiled kernels take (16, 32, 64) and one they do not (24: the
 * fallback), T below, at and past the 32-row tile (1, 5, 31, 32, 33, 64, 100, 128) and up to the
 * small preset's 512, batch and heads above 1 so the (batch, head, tile) indexing is exercised. Each
 * shape runs on 1 and 2 threads, and the results must be bit-identical between them (sums run in
 * a fixed order whatever the split).
 *
 * Where the CPU has AVX512-BF16, every shape runs again with the bf16 tiles: q, k, v, dout and each
 * tile's probabilities and score gradients rounded to bf16 (8 significant bits, relative error
 * 2^-9), sums in fp32. Errors then grow to ~1e-3..1e-2 of the largest value (the scores here reach
 * ~10, so a 0.4% rounding of q or k moves a probability by a few percent); the bounds are 2e-2
 * (forward) and 3e-2 (backward). A wrong index or mask still shows errors of order 1.
 *
 * Tolerance (fp32): both sides are fp32 but sum in different orders and the fused side uses the
 * polynomial exp, so they agree to a few ulp of the values' scale; measured worst errors are
 * ~1e-6 relative. The bound is 2e-5 of each tensor's largest magnitude: a wrong mask, a missed
 * tile or a wrong rescale shows errors of order 1e-2 to 1.
 * Scores are sized like a trained model's (|s| up to ~10), so the online max really moves. */
#include "check.h"
#include "core/rng.h"
#include "model/ops.h"
#include "seedling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static sl_rng rng;

static float *random_array(size_t n, float scale) {
    float *a = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) a[i] = scale * (2.0f * sl_rng_float(&rng) - 1.0f);
    return a;
}

/* Largest |a - b| over the largest |b|. */
static double relative_error(const float *a, const float *b, size_t n) {
    double worst = 0.0, largest = 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > worst || d != d) worst = d != d ? INFINITY : d;
        if (fabs(b[i]) > largest) largest = fabs(b[i]);
    }
    return worst / largest;
}

static int cpu_has_bf16(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

/* One shape in one precision. Returns the worst error (to see the bf16 path differs from fp32). */
static double check_shape_in(int B, int T, int C, int NH, int bf16) {
    size_t n_qkv = (size_t)B * T * 3 * C, n_out = (size_t)B * T * C;
    int hs = C / NH;
    float *qkv = random_array(n_qkv, 3.0f / sqrtf(sqrtf((float)hs))), *dout = random_array(n_out, 1.0f);
    float *att = calloc((size_t)B * NH * T * T, sizeof(float)), *ref_out = calloc(n_out, sizeof(float));
    float *ref_dqkv = calloc(n_qkv, sizeof(float));
    sl_attention_forward(ref_out, att, qkv, B, T, C, NH);
    sl_attention_backward(ref_dqkv, dout, qkv, att, B, T, C, NH);

    float *out[2], *lse[2], *dqkv[2];
    for (int run = 0; run < 2; run++) {
        CHECK_OK(sl_set_threads(run + 1));
        out[run] = malloc(n_out * sizeof(float));
        lse[run] = malloc((size_t)B * NH * T * sizeof(float));
        dqkv[run] = malloc(n_qkv * sizeof(float));
        /* Garbage first: the forward must write every output, the backward every gradient. */
        for (size_t i = 0; i < n_out; i++) out[run][i] = NAN;
        for (size_t i = 0; i < n_qkv; i++) dqkv[run][i] = NAN;
        sl_attention_flash_forward(out[run], lse[run], qkv, B, T, C, NH, bf16);
        sl_attention_flash_backward(dqkv[run], dout, qkv, out[run], lse[run], B, T, C, NH, bf16);
    }

    /* lse against the reference's probabilities: p[t][t] = e^(s_tt - lse) with s_tt = scale q.k. */
    double lse_err = 0.0;
    float scale = 1.0f / sqrtf((float)hs);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs, *k = q + C;
                double s = 0.0;
                for (int d = 0; d < hs; d++) s += (double)q[d] * k[d];
                double p = att[(((size_t)b * NH + h) * T + t) * T + t];
                double e = fabs(exp(scale * s - lse[0][((size_t)b * NH + h) * T + t]) - p);
                if (e > lse_err || e != e) lse_err = e != e ? INFINITY : e;
            }

    double e_out = relative_error(out[0], ref_out, n_out), e_dq = relative_error(dqkv[0], ref_dqkv, n_qkv);
    printf("%s B=%d T=%-3d C=%-3d NH=%d (hs %2d): out %.1e  dqkv %.1e  lse->p %.1e\n", bf16 ? "bf16" : "fp32", B, T,
           C, NH, hs, e_out, e_dq, lse_err);
    if (bf16) {
        CHECK(e_out < 2e-2, "bf16 forward differs from the reference by %g (B=%d T=%d C=%d NH=%d)", e_out, B, T, C, NH);
        CHECK(e_dq < 3e-2, "bf16 backward differs from the reference by %g (B=%d T=%d C=%d NH=%d)", e_dq, B, T, C, NH);
        CHECK(lse_err < 2e-2, "bf16 lse gives probabilities off by %g (B=%d T=%d C=%d NH=%d)", lse_err, B, T, C, NH);
    } else {
    CHECK(e_out < 2e-5, "forward differs from the reference by %g (B=%d T=%d C=%d NH=%d)", e_out, B, T, C, NH);
    CHECK(e_dq < 2e-5, "backward differs from the reference by %g (B=%d T=%d C=%d NH=%d)", e_dq, B, T, C, NH);
    CHECK(lse_err < 1e-5, "lse gives probabilities off by %g (B=%d T=%d C=%d NH=%d)", lse_err, B, T, C, NH);
    }
    CHECK(memcmp(out[0], out[1], n_out * sizeof(float)) == 0, "forward differs between 1 and 2 threads (T=%d)", T);
    CHECK(memcmp(dqkv[0], dqkv[1], n_qkv * sizeof(float)) == 0, "backward differs between 1 and 2 threads (T=%d)", T);

    for (int run = 0; run < 2; run++) free(out[run]), free(lse[run]), free(dqkv[run]);
    free(qkv), free(dout), free(att), free(ref_out), free(ref_dqkv);
    return e_out > e_dq ? e_out : e_dq;
}

static int has_bf16;
static double bf16_worst_tiled = 0.0; /* over the tiled head sizes: must show bf16 rounding */

static void check_shape(int B, int T, int C, int NH) {
    check_shape_in(B, T, C, NH, 0);
    if (has_bf16) {
        double e = check_shape_in(B, T, C, NH, 1);
        int hs = C / NH;
        if ((hs == 16 || hs == 32 || hs == 64) && T > 1 && e > bf16_worst_tiled) bf16_worst_tiled = e;
    }
}

int main(void) {
    sl_rng_seed(&rng, 15);
    has_bf16 = cpu_has_bf16();
    if (!has_bf16) printf("no AVX512-BF16 on this CPU: the bf16 tiles are not tested here\n");
    const int lengths[] = {1, 5, 31, 32, 33, 64, 100, 128};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        check_shape(2, lengths[i], 128, 2); /* hs 64 */
        check_shape(1, lengths[i], 64, 2);  /* hs 32 */
        check_shape(2, lengths[i], 48, 3);  /* hs 16 */
        check_shape(1, lengths[i], 48, 2);  /* hs 24: not tiled, the per-head fallback */
    }
    check_shape(1, 512, 256, 4); /* the small preset's layer */
    check_shape(1, 300, 128, 2);
    /* The bf16 tiles really ran (they round, so they cannot match the fp32 reference to 2e-5). */
    if (has_bf16) CHECK(bf16_worst_tiled > 2e-5, "the bf16 path matched fp32 exactly (%g): did it run?", bf16_worst_tiled);
    return check_exit_code("test_attention_flash");
}
