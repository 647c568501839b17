/*
 * la_rng.c — the xoshiro256** engine of la_rng.h and the distributions drawn
 * from it (normal, gamma, binomial). Moved unchanged from audit/cl.c: the
 * bootstrap intervals and `noise` outputs depend on these exact sequences.
 * (The splitmix64 streams of la_rng are inline in the header.)
 */
#include "la_rng.h"

#include <math.h>

void la_xoshiro_seed(la_xoshiro *r, uint64_t seed)
{
    la_rng sm = {seed};                 /* splitmix64 from the seed itself */
    for (int i = 0; i < 4; i++) r->s[i] = la_rng_next(&sm);
}

static inline uint64_t la_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t la_xoshiro_next(la_xoshiro *r)
{
    uint64_t *s = r->s;
    uint64_t res = la_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = la_rotl(s[3], 45);
    return res;
}

double la_xoshiro_uniform(la_xoshiro *r)
{
    return (double)(la_xoshiro_next(r) >> 11) * 0x1.0p-53;
}

double la_xoshiro_normal(la_xoshiro *r)
{
    /* Marsaglia polar method (the spare value is discarded: no hidden state). */
    for (;;) {
        double u = 2 * la_xoshiro_uniform(r) - 1, v = 2 * la_xoshiro_uniform(r) - 1;
        double s = u * u + v * v;
        if (s > 0 && s < 1) return u * sqrt(-2 * log(s) / s);
    }
}

double la_xoshiro_gamma(la_xoshiro *r, double a)
{
    /* Marsaglia & Tsang (2000); for a < 1 use Gamma(a+1) * U^(1/a). */
    if (a < 1) {
        double u = la_xoshiro_uniform(r);
        return la_xoshiro_gamma(r, a + 1) * pow(u > 0 ? u : 0x1.0p-53, 1 / a);
    }
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x, v;
        do { x = la_xoshiro_normal(r); v = 1 + c * x; } while (v <= 0);
        v = v * v * v;
        double u = la_xoshiro_uniform(r);
        if (u < 1 - 0.0331 * x * x * x * x) return d * v;
        if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
}

/* Stirling-series remainder fc(k) = ln k! - (k + 1/2) ln(k + 1) + (k + 1) - ln sqrt(2 pi). */
static double la_stirling_fc(int64_t k)
{
    static const double t[10] = {0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
                                 0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
                                 0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
                                 0.008330563433362871};
    if (k < 10) return t[k];
    double kk = (double)k + 1, r = 1 / (kk * kk);
    return (1.0 / 12 - (1.0 / 360 - r / 1260) * r) / kk;
}

int64_t la_xoshiro_binomial(la_xoshiro *r, int64_t n, double p)
{
    /* Exact sampling: inversion when n p < 10, else Hoermann's BTRD
     * (transformed rejection with decomposition, 1993). p > 1/2 by symmetry. */
    if (p <= 0 || n <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - la_xoshiro_binomial(r, n, 1 - p);
    double q = 1 - p, dn = (double)n;
    if (dn * p < 10) {
        double s = p / q, a = (dn + 1) * s, f = pow(q, dn), u = la_xoshiro_uniform(r);
        int64_t x = 0;
        while (u > f) {
            u -= f;
            x++;
            if (x > n) { x = 0; u = la_xoshiro_uniform(r); f = pow(q, dn); continue; } /* round-off */
            f *= a / (double)x - s;
        }
        return x;
    }
    double m = floor((dn + 1) * p), rr = p / q, nr = (dn + 1) * rr, npq = dn * p * q, spq = sqrt(npq);
    double b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p, c = dn * p + 0.5;
    double alpha = (2.83 + 5.1 / b) * spq, vr = 0.92 - 4.2 / b, urvr = 0.86 * vr;
    for (;;) {
        double v = la_xoshiro_uniform(r), u;
        if (v <= urvr) {
            u = v / vr - 0.43;
            return (int64_t)floor((2 * a / (0.5 - fabs(u)) + b) * u + c);
        }
        if (v >= vr) {
            u = la_xoshiro_uniform(r) - 0.5;
        } else {
            u = v / vr - 0.93;
            u = (u < 0 ? -0.5 : 0.5) - u;
            v = la_xoshiro_uniform(r) * vr;
        }
        double us = 0.5 - fabs(u), kd = floor((2 * a / us + b) * u + c);
        if (kd < 0 || kd > dn) continue;
        int64_t k = (int64_t)kd, mi = (int64_t)m;
        v = v * alpha / (a / (us * us) + b);
        int64_t km = k > mi ? k - mi : mi - k;
        if (km <= 15) {
            double f = 1;
            if (mi < k) for (int64_t i = mi + 1; i <= k; i++) f *= nr / (double)i - rr;
            else for (int64_t i = k + 1; i <= mi; i++) v *= nr / (double)i - rr;
            if (v <= f) return k;
            continue;
        }
        v = log(v);
        double kmd = (double)km;
        double rho = (kmd / npq) * (((kmd / 3 + 0.625) * kmd + 1.0 / 6) / npq + 0.5);
        double t = -kmd * kmd / (2 * npq);
        if (v < t - rho) return k;
        if (v > t + rho) continue;
        double nm = dn - m + 1, h = (m + 0.5) * log((m + 1) / (rr * nm)) + la_stirling_fc(mi) + la_stirling_fc(n - mi);
        double nk = dn - kd + 1;
        if (v <= h + (dn + 1) * log(nm / nk) + (kd + 0.5) * log(nk * rr / (kd + 1)) - la_stirling_fc(k) - la_stirling_fc(n - k))
            return k;
    }
}
