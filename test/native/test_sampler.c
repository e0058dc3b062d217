/* test_sampler.c: the sampler's choices and distributions on hand-made logits. */
#include "check.h"
#include "infer/sampler.h"

#include <math.h>
#include <string.h>

/* Frequencies of each id over `draws` samples. */
static void histogram(sl_sampler *s, const float *logits, int n, int draws, double *freq) {
    memset(freq, 0, sizeof(double) * n);
    for (int i = 0; i < draws; i++) {
        int id = sl_sample(s, logits, n);
        if (id >= 0 && id < n) freq[id] += 1.0 / draws;
        else CHECK(0, "sample returned %d", id);
    }
}

int main(void) {
    const float NEG = -INFINITY;
    /* argmax: ties go to the lowest id, masked and NaN never win, all masked gives -1 */
    float tie[5] = {1.0f, 3.0f, NEG, 3.0f, NAN};
    CHECK(sl_argmax(tie, 5) == 1, "argmax with a tie: %d", sl_argmax(tie, 5));
    float masked[3] = {NEG, NEG, NEG};
    CHECK(sl_argmax(masked, 3) == -1, "all masked: %d", sl_argmax(masked, 3));

    sl_sampler s;
    CHECK(sl_sampler_init(&s, 8, 1.0f, 0, 1.0f, 123) == 0, "init");
    CHECK(sl_sample(&s, masked, 3) == -1, "sampling all-masked logits must give -1");

    /* probabilities 1/4, 1/4, 1/2, 0 (masked) */
    float logits[4] = {0.0f, 0.0f, logf(2.0f), NEG};
    double f[4];
    const int draws = 40000;
    histogram(&s, logits, 4, draws, f);
    CHECK(fabs(f[0] - 0.25) < 0.015 && fabs(f[1] - 0.25) < 0.015 && fabs(f[2] - 0.5) < 0.015 && f[3] == 0.0,
          "temperature 1: %.3f %.3f %.3f %.3f", f[0], f[1], f[2], f[3]);
    /* temperature 2 flattens: weights 1, 1, sqrt 2 */
    s.temperature = 2.0f;
    histogram(&s, logits, 4, draws, f);
    double z = 2.0 + sqrt(2.0);
    CHECK(fabs(f[0] - 1 / z) < 0.015 && fabs(f[2] - sqrt(2.0) / z) < 0.015, "temperature 2: %.3f %.3f %.3f",
          f[0], f[1], f[2]);
    s.temperature = 1.0f;
    /* top-k 2 keeps ids 2 and 0 (0 wins the tie with 1): 1/3, 2/3 */
    s.top_k = 2;
    histogram(&s, logits, 4, draws, f);
    CHECK(fabs(f[0] - 1.0 / 3) < 0.015 && f[1] == 0.0 && fabs(f[2] - 2.0 / 3) < 0.015, "top_k 2: %.3f %.3f %.3f",
          f[0], f[1], f[2]);
    s.top_k = 1;
    histogram(&s, logits, 4, 100, f);
    CHECK(f[2] > 0.9999, "top_k 1 is greedy: %.3f", f[2]);
    s.top_k = 0;
    /* top-p 0.5: id 2 alone reaches 0.5; top-p 0.6 needs id 0 as well */
    s.top_p = 0.5f;
    histogram(&s, logits, 4, 1000, f);
    CHECK(f[2] > 0.9999, "top_p 0.5: %.3f", f[2]);
    s.top_p = 0.6f;
    histogram(&s, logits, 4, draws, f);
    CHECK(fabs(f[0] - 1.0 / 3) < 0.015 && f[1] == 0.0, "top_p 0.6: %.3f %.3f %.3f", f[0], f[1], f[2]);
    s.top_p = 1.0f;
    sl_sampler_free(&s);

    /* a large vocabulary: the nucleus grows past the first sorted block; seeds reproduce */
    enum { N = 3000 };
    static float big[N];
    for (int i = 0; i < N; i++) big[i] = (float)((i * 7919) % 1000) / 1000.0f; /* many near-ties */
    sl_sampler a, b;
    CHECK(sl_sampler_init(&a, N, 0.7f, 0, 0.95f, 9) == 0 && sl_sampler_init(&b, N, 0.7f, 0, 0.95f, 9) == 0, "init");
    int same = 1, distinct = 0, seen_low = 0;
    int first = sl_sample(&a, big, N);
    sl_sample(&b, big, N);
    for (int i = 0; i < 500; i++) {
        int x = sl_sample(&a, big, N), y = sl_sample(&b, big, N);
        same &= x == y;
        distinct += x != first;
        if (big[x] < 0.04f) seen_low++; /* the bottom 4% is outside a 0.95 nucleus here */
    }
    CHECK(same, "same seed, different streams");
    CHECK(distinct > 400, "the 0.95 nucleus of a flat distribution should give many ids (%d)", distinct);
    CHECK(seen_low == 0, "%d draws from outside the nucleus", seen_low);
    sl_sampler_free(&a);
    sl_sampler_free(&b);
    return check_exit_code("test_sampler");
}
