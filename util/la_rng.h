/*
 * la_rng.h — the one module of seeded random numbers. Two engines, because
 * each one's exact sequence is part of a byte-identical output:
 *   la_rng      splitmix64 streams, inline (cv/: fold shuffles, weight init,
 *               minibatch order, dropout masks, augmentation), seeded from
 *               --seed and a stream number;
 *   la_xoshiro  xoshiro256** seeded through splitmix64 (audit/: the bootstrap
 *               intervals and `noise`), with the distributions they draw from
 *               (polar normal, gamma, exact binomial) written once, in la_rng.c.
 * A run is reproducible for a given seed (and, in cv, thread count).
 * Not for cryptography; no global state.
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

/* ---- xoshiro256** (la_rng.c) ------------------------------------------ */

typedef struct la_xoshiro {
    uint64_t s[4];           /* xoshiro256** state, never all zero              */
} la_xoshiro;

/* Seeds the four state words with splitmix64 from `seed`. */
void     la_xoshiro_seed(la_xoshiro *r, uint64_t seed);
uint64_t la_xoshiro_next(la_xoshiro *r);
double   la_xoshiro_uniform(la_xoshiro *r);             /* [0, 1), 53 bits      */
double   la_xoshiro_normal(la_xoshiro *r);              /* Marsaglia polar      */
double   la_xoshiro_gamma(la_xoshiro *r, double shape); /* scale 1, shape > 0   */
/* Exact Binomial(n, p): inversion when n p < 10, else Hoermann's BTRD. */
int64_t  la_xoshiro_binomial(la_xoshiro *r, int64_t n, double p);

#endif /* LA_RNG_H */
