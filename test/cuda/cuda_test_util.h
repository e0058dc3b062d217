/* cuda_test_util.h: what the CUDA parity tests share: the skip when there is no device, seeded
 * random tensors, and the error measure tolerances are stated in.
 *
 * Error measure: max |got - want| / max |want| over a tensor. Element-wise relative error is
 * meaningless for entries near zero (a dot product of random vectors often is), while the
 * tensor's scale is what a bf16 rounding error is proportional to. */
#ifndef SL_CUDA_TEST_UTIL_H
#define SL_CUDA_TEST_UTIL_H
#include "check.h"
#include "seedling_cuda.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Return 0 from main (a pass) with "skipped: ..." when no usable CUDA device exists. */
#define SKIP_WITHOUT_CUDA_DEVICE(name)                                                            \
    do {                                                                                          \
        if (slc_device_count() < 1) {                                                             \
            printf("%s: skipped: no CUDA device (%s)\n", name, slc_last_error());                 \
            return 0;                                                                             \
        }                                                                                         \
    } while (0)

static uint64_t test_rng_state = 0x9e3779b97f4a7c15ull;

static inline float test_uniform(void) { /* [-1, 1) */
    test_rng_state ^= test_rng_state << 13;
    test_rng_state ^= test_rng_state >> 7;
    test_rng_state ^= test_rng_state << 17;
    return (float)((test_rng_state >> 40) * (2.0 / 16777216.0) - 1.0);
}

static inline void fill_random(float *x, size_t n, float scale) {
    for (size_t i = 0; i < n; i++) x[i] = scale * test_uniform();
}

static inline void fill_tokens(int32_t *x, size_t n, int V) {
    for (size_t i = 0; i < n; i++) x[i] = (int32_t)((test_uniform() * 0.5f + 0.5f) * V) % V;
}

static inline double scaled_error(const float *got, const float *want, size_t n) {
    double worst = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= worst)) worst = d; /* NaN counts as the worst */
        if (fabs(want[i]) > scale) scale = fabs(want[i]);
    }
    return scale > 0.0 ? worst / scale : worst;
}

/* CHECK that got matches want to tol (scaled error) and print the figure either way. */
static inline void expect_close(const char *what, const float *got, const float *want, size_t n, double tol) {
    double err = scaled_error(got, want, n);
    printf("  %-44s scaled error %.3e (tolerance %.1e)%s\n", what, err, tol, err <= tol ? "" : "  FAIL");
    CHECK(err <= tol, "%s: scaled error %.3e > %.1e", what, err, tol);
}
#endif
