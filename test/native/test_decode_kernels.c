/* test_decode_kernels.c: every inference kernel set this CPU runs (AVX-512, AVX2, NEON) against
 * the portable C ones, on awkward shapes: channel counts that are not multiples of the vector
 * width, few or many keys, head sizes below and above 64. */
#include "check.h"
#include "infer/decode_kernels.h"
#include "core/rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill(float *x, size_t n, sl_rng *r, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * sl_rng_normal(r);
}

static double max_rel_diff(const float *a, const float *b, size_t n) {
    double worst = 0.0, ref = 1e-3;
    for (size_t i = 0; i < n; i++) if (fabs(b[i]) > ref) ref = fabs(b[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]) / ref;
        if (d > worst || isnan(d)) worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

static void test_linear(const sl_decode_kernels *fast, const sl_decode_kernels *ref, sl_rng *r) {
    const int shapes[][3] = {{1, 256, 768}, {1, 37, 19}, {3, 64, 5}, {8, 100, 33}, {2, 16, 4}, {1, 1, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int n = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *inp = malloc(sizeof(float) * n * C), *w = malloc(sizeof(float) * OC * C),
              *b = malloc(sizeof(float) * OC), *o1 = calloc((size_t)n * OC, sizeof(float)),
              *o2 = calloc((size_t)n * OC, sizeof(float));
        fill(inp, (size_t)n * C, r, 1.0f);
        fill(w, (size_t)OC * C, r, 0.1f);
        fill(b, (size_t)OC, r, 0.1f);
        /* two column ranges, as two threads would split them */
        int mid = OC / 3;
        fast->linear(o1, inp, w, s % 2 ? NULL : b, n, C, OC, 0, mid);
        fast->linear(o1, inp, w, s % 2 ? NULL : b, n, C, OC, mid, OC);
        ref->linear(o2, inp, w, s % 2 ? NULL : b, n, C, OC, 0, OC);
        double d = max_rel_diff(o1, o2, (size_t)n * OC);
        CHECK(d < 1e-5, "linear n=%d C=%d OC=%d: %s differs from portable by %g", n, C, OC, fast->name, d);
        free(inp); free(w); free(b); free(o1); free(o2);
    }
}

static void test_attend(const sl_decode_kernels *fast, const sl_decode_kernels *ref, sl_rng *r) {
    const int head_sizes[] = {8, 12, 64, 80};
    const int key_counts[] = {1, 2, 15, 16, 17, 63, 64, 65, 130};
    for (size_t h = 0; h < sizeof head_sizes / sizeof head_sizes[0]; h++) {
        for (size_t k = 0; k < sizeof key_counts / sizeof key_counts[0]; k++) {
            int hs = head_sizes[h], n = key_counts[k], stride = n + 5;
            float *q = malloc(sizeof(float) * hs), *kt = malloc(sizeof(float) * hs * stride),
                  *v = malloc(sizeof(float) * n * hs), *scratch = malloc(sizeof(float) * n),
                  *p1 = malloc(sizeof(float) * n), *p2 = malloc(sizeof(float) * n),
                  *o1 = malloc(sizeof(float) * hs), *o2 = malloc(sizeof(float) * hs),
                  *o3 = malloc(sizeof(float) * hs);
            fill(q, hs, r, 1.0f);
            fill(kt, (size_t)hs * stride, r, 1.0f);
            fill(v, (size_t)n * hs, r, 1.0f);
            float scale = 1.0f / sqrtf((float)hs);
            fast->attend(o1, p1, scratch, q, kt, v, n, hs, stride, scale);
            fast->attend(o3, NULL, scratch, q, kt, v, n, hs, stride, scale);
            ref->attend(o2, p2, scratch, q, kt, v, n, hs, stride, scale);
            double dp = max_rel_diff(p1, p2, n), d1 = max_rel_diff(o1, o2, hs), d3 = max_rel_diff(o3, o2, hs);
            CHECK(dp < 1e-5 && d1 < 1e-5 && d3 < 1e-5,
                  "attend hs=%d keys=%d: %s differs from portable: probs %g, out %g, out without probs %g",
                  hs, n, fast->name, dp, d1, d3);
            double sum = 0.0;
            for (int j = 0; j < n; j++) sum += p1[j];
            CHECK_NEAR(sum, 1.0, 1e-5);
            free(q); free(kt); free(v); free(scratch); free(p1); free(p2); free(o1); free(o2); free(o3);
        }
    }
}

/* Four queries at once equal four single queries (each seeing one more key than the last). */
static void test_attend4(const sl_decode_kernels *fast, const sl_decode_kernels *ref, sl_rng *r) {
    const int head_sizes[] = {8, 20, 64, 80};
    const int key_counts[] = {1, 2, 13, 61, 62, 64, 100};
    for (size_t h = 0; h < sizeof head_sizes / sizeof head_sizes[0]; h++) {
        for (size_t k = 0; k < sizeof key_counts / sizeof key_counts[0]; k++) {
            int hs = head_sizes[h], n = key_counts[k], stride = n + 3 + 7, total = n + 3;
            size_t qs = (size_t)hs * 3, os = (size_t)hs + 5, ps = (size_t)total + 2;
            float *q = malloc(sizeof(float) * 4 * qs), *kt = malloc(sizeof(float) * hs * stride),
                  *v = malloc(sizeof(float) * total * hs), *scratch = malloc(sizeof(float) * SL_ATTEND4_SCRATCH(n)),
                  *p1 = calloc(4 * ps, sizeof(float)), *p2 = calloc(4 * ps, sizeof(float)),
                  *o1 = calloc(4 * os, sizeof(float)), *o2 = calloc(4 * os, sizeof(float)),
                  *o3 = calloc(4 * os, sizeof(float));
            fill(q, 4 * qs, r, 1.0f);
            fill(kt, (size_t)hs * stride, r, 1.0f);
            fill(v, (size_t)total * hs, r, 1.0f);
            float scale = 1.0f / sqrtf((float)hs);
            fast->attend4(o1, os, p1, ps, scratch, q, qs, kt, v, n, hs, stride, scale);
            fast->attend4(o3, os, NULL, 0, scratch, q, qs, kt, v, n, hs, stride, scale);
            ref->attend4(o2, os, p2, ps, scratch, q, qs, kt, v, n, hs, stride, scale);
            double dp = max_rel_diff(p1, p2, 4 * ps), d1 = max_rel_diff(o1, o2, 4 * os), d3 = max_rel_diff(o3, o2, 4 * os);
            CHECK(dp < 1e-5 && d1 < 1e-5 && d3 < 1e-5,
                  "attend4 hs=%d keys=%d: %s differs from portable: probs %g, out %g, out without probs %g",
                  hs, n, fast->name, dp, d1, d3);
            free(q); free(kt); free(v); free(scratch); free(p1); free(p2); free(o1); free(o2); free(o3);
        }
    }
}

/* Half conversions: every half survives a round trip; rounding is to nearest, ties to even, with
 * overflow to infinity; the SIMD conversion agrees with the scalar one. */
static void test_half_conversions(const sl_decode_kernels *fast, sl_rng *r) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        if (((h >> 10) & 0x1f) == 0x1f && (h & 0x3ff)) continue; /* NaNs: payloads may differ */
        if (sl_f32_to_f16(sl_f16_to_f32((uint16_t)h)) != h) bad++;
    }
    CHECK(bad == 0, "%d halves do not survive a round trip", bad);
    CHECK(sl_f32_to_f16(1.0f) == 0x3c00 && sl_f32_to_f16(-2.0f) == 0xc000, "1 and -2");
    CHECK(sl_f32_to_f16(65504.0f) == 0x7bff && sl_f32_to_f16(65520.0f) == 0x7c00, "largest half, overflow");
    CHECK(sl_f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00, "a tie rounds to even (down)");
    CHECK(sl_f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02, "a tie rounds to even (up)");
    CHECK(sl_f32_to_f16(5.960464477539063e-08f) == 0x0001, "smallest subnormal");
    CHECK(isnan(sl_f16_to_f32(sl_f32_to_f16(NAN))), "NaN stays NaN");
    enum { N = 1000 };
    float x[N];
    uint16_t a[N], b[N];
    for (int i = 0; i < N; i++) x[i] = sl_rng_normal(r) * (i % 3 == 0 ? 1e-6f : i % 3 == 1 ? 1.0f : 3e4f);
    fast->to_f16(a, x, N);
    for (int i = 0; i < N; i++) b[i] = sl_f32_to_f16(x[i]);
    CHECK(memcmp(a, b, sizeof a) == 0, "%s half conversion differs from the scalar one", fast->name);
}

/* The half-weight GEMV equals the fp32 one on the same (half-rounded) weights. */
static void test_linear_f16(const sl_decode_kernels *fast, const sl_decode_kernels *ref, sl_rng *r) {
    if (!fast->linear_f16) {
        printf("skipped half-weight GEMV: %s kernels have none\n", fast->name);
        return;
    }
    const int shapes[][3] = {{1, 256, 768}, {1, 37, 19}, {5, 100, 33}, {1, 1024, 8}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int n = shapes[s][0], C = shapes[s][1], OC = shapes[s][2];
        float *inp = malloc(sizeof(float) * n * C), *w = malloc(sizeof(float) * OC * C),
              *b = malloc(sizeof(float) * OC), *o1 = calloc((size_t)n * OC, sizeof(float)),
              *o2 = calloc((size_t)n * OC, sizeof(float));
        uint16_t *w16 = malloc(sizeof(uint16_t) * OC * C);
        fill(inp, (size_t)n * C, r, 1.0f);
        fill(w, (size_t)OC * C, r, 0.1f);
        fill(b, (size_t)OC, r, 0.1f);
        for (int i = 0; i < OC * C; i++) {
            w16[i] = sl_f32_to_f16(w[i]);
            w[i] = sl_f16_to_f32(w16[i]);
        }
        fast->linear_f16(o1, inp, w16, b, n, C, OC, 0, OC / 2);
        fast->linear_f16(o1, inp, w16, b, n, C, OC, OC / 2, OC);
        ref->linear(o2, inp, w, b, n, C, OC, 0, OC);
        double d = max_rel_diff(o1, o2, (size_t)n * OC);
        CHECK(d < 1e-5, "half GEMV n=%d C=%d OC=%d differs by %g", n, C, OC, d);
        free(inp); free(w); free(b); free(o1); free(o2); free(w16);
    }
}

int main(void) {
    const sl_decode_kernels *ref = sl_decode_kernels_portable();
    printf("decode kernels selected: %s\n", sl_decode_kernels_select()->name);
    sl_rng r;
    sl_rng_seed(&r, 7);
    const char *sets[] = {"avx512", "avx2", "neon", "generic"};
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        const sl_decode_kernels *k = sl_decode_kernels_named(sets[i]);
        if (!k) {
            printf("skipped %s kernels: this CPU lacks them\n", sets[i]);
            continue;
        }
        test_linear(k, ref, &r);
        test_attend(k, ref, &r);
        test_attend4(k, ref, &r);
        test_half_conversions(k, &r);
        test_linear_f16(k, ref, &r);
    }
    return check_exit_code("test_decode_kernels");
}
