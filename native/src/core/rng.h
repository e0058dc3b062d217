/* rng.h: small, fast, seedable random numbers (splitmix64 seeding a xoshiro256** state would be
 * overkill here: one 64-bit xorshift* stream per use is deterministic and plenty for init and
 * data order). Header-only so every user inlines it. */
#ifndef SL_RNG_H
#define SL_RNG_H
#include <math.h>
#include <stdint.h>

typedef struct { uint64_t state; } sl_rng;

static inline void sl_rng_seed(sl_rng *r, uint64_t seed) {
    /* splitmix64 of the seed, so nearby seeds give unrelated streams; never zero. */
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    r->state = z ? z : 0x853C49E6748FEA9Bull;
}

static inline uint64_t sl_rng_u64(sl_rng *r) {
    uint64_t x = r->state;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    r->state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, 1). */
static inline float sl_rng_float(sl_rng *r) { return (float)(sl_rng_u64(r) >> 40) / 16777216.0f; }

/* Uniform integer in [0, n). */
static inline uint64_t sl_rng_below(sl_rng *r, uint64_t n) { return n ? sl_rng_u64(r) % n : 0; }

/* Standard normal (Box-Muller). */
static inline float sl_rng_normal(sl_rng *r) {
    float u1 = sl_rng_float(r), u2 = sl_rng_float(r);
    if (u1 < 1e-12f) u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.28318530718f * u2);
}
#endif
