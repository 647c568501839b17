/*
 * la_rng.h — seeded random numbers (splitmix64 streams), header-only.
 *
 * Every random choice in cv/ (fold shuffles, weight init, minibatch order,
 * dropout masks, augmentation) draws from a la_rng seeded from the user's
 * --seed and a stream number, so a run is reproducible for a given seed and
 * thread count. Not for cryptography.
 */
#ifndef LA_RNG_H
#define LA_RNG_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

typedef struct la_rng {
    uint64_t s;              /* splitmix64 state                                */
} la_rng;

/* Seeds a generator for (seed, stream): distinct streams are independent. */
static inline void la_rng_seed(la_rng *r, uint64_t seed, uint64_t stream)
{
    r->s = seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + 0x632BE59BD9B4E019ull;
}

static inline uint64_t la_rng_next(la_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static inline double la_rng_uniform(la_rng *r)
{
    return (double)(la_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < 2^-32 for n < 2^32). */
static inline size_t la_rng_below(la_rng *r, size_t n)
{
    return (size_t)(((unsigned __int128)la_rng_next(r) * n) >> 64);
}

/* Standard normal (Box-Muller, one value per call). */
static inline double la_rng_normal(la_rng *r)
{
    double u1 = la_rng_uniform(r), u2 = la_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Fisher-Yates shuffle of a size_t array. */
static inline void la_rng_shuffle(la_rng *r, size_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = la_rng_below(r, i);
        size_t t = a[i - 1]; a[i - 1] = a[j]; a[j] = t;
    }
}

#endif /* LA_RNG_H */
