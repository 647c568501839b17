/*
 * cl_run.c — streaming, multi-threaded confident learning (see cl_run.h).
 *
 * Exactness with bounded memory: thresholds are numpy means over each class's
 * self-confidences, gathered class by class (8 bytes/example) so the pairwise
 * order is numpy's. prune_by_noise_rate keeps, per (given class k, class j),
 * a buffer of its c largest margins (compacted by quickselect); only when values equal to the c-th
 * largest were left out (a tie at the cut) does the order of numpy's
 * introsort matter, and then that pair's full margin vector is gathered in
 * an extra pass and sorted with cl_argsort. Integer accumulations are
 * per-thread and summed, so any thread count gives the same result. The
 * confident joint is counted speculatively in pass 1 (cl_spec_row), exact
 * whether the speculation holds or pass 2 has to run.
 */
#include "cl_run.h"
#include "../util/la_par.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CL_HAVE_AVX2_KERNEL 1
#endif

const char *const cl_filter_names[CL_FILTER_COUNT] = {
    "prune_by_noise_rate", "prune_by_class", "both", "confident_learning",
    "predicted_neq_given", "low_normalized_margin", "low_self_confidence", "noise_posterior"
};
const char *const cl_rank_names[CL_RANK_COUNT] = {
    "self_confidence", "normalized_margin", "confidence_weighted_entropy"
};

enum { CL_F_PBC = 16, CL_F_PBNR = 32 };   /* internal: the two pruning masks */

typedef struct cl_dist cl_dist;           /* across ranks (the end of this file) */

void cl_opts_init(cl_opts *o)
{
    memset(o, 0, sizeof *o);
    o->filter = CL_PRUNE_BY_NOISE_RATE;
    o->rank = CL_SELF_CONFIDENCE;
    o->frac_noise = 1.0;
    o->nmin = 1;
    o->threads = 1;
}

/* One (given class k, class j) pruning pair: keep the c largest margins. */
typedef struct cl_pair {
    uint32_t j;
    size_t   c;          /* number to flag (capped at n_k)                  */
    size_t   off, size;  /* buffer slice [off, off + cap) and its fill      */
    size_t   cap;        /* buffer capacity (> c)                           */
    double   thr;        /* c-th largest so far, once full                  */
    int      full;       /* c values have been kept at least once           */
    double   max_rej;    /* largest margin ever rejected or evicted         */
    double   floor;      /* margins below it are dropped (cl_pair_floors)   */
    uint32_t cls;        /* the given class k                               */
} cl_pair;

typedef struct cl_ctx {
    size_t n, k;
    const int32_t *y;
    const cl_opts *o;
    const cl_reader *rd;
    cl_result *res;
    size_t  *goff;        /* k+1: start of each class in the grouped arrays */
    double  *sc_g;        /* n: self-confidences grouped by class           */
    double  *rankv;       /* n: rank scores (index order) or NULL           */
    double  *post;        /* n: noise_posterior's P(true = given | x, given)
                             (index order), or NULL for the other filters */
    int32_t *post_alt;    /* n: noise_posterior's most likely true class other
                             than the given one, or NULL                  */
    double  *post_altp;   /* n: its posterior P(true = alt | x, given)      */
    float   *mb;          /* n: an upper bound on every margin p_j - p_y,
                             j != y, of the row (rounded up to float), for
                             stage 3's row skip; NULL without pass 3      */
    int      rank_kind;   /* which score rankv holds (cl_rank)              */
    double  *thr_m;       /* k: t_k - 1e-6                                  */
    double   tmax;
    double   log_k;
    /* pass 3 */
    size_t  *pstart;      /* k+1: pairs of class k are pairs[pstart[k]..]   */
    cl_pair *pairs;
    double  *cmin;        /* k: smallest level below which class k's pairs
                             drop a margin (thr when full, else floor):
                             the row skip in stage 3                        */
    int      no_floors;   /* stage 3 runs without floors (the re-run)       */
    double  *lvl;         /* per pair: margins below it are dropped: thr
                             when full (all kept values are >= the floor,
                             so thr >= floor), else the floor; contiguous
                             for the inner loop of stage 3                  */
    uint32_t *pj;         /* per pair: its class j                          */
    double  *hv;          /* candidate margins (per-pair buffers)           */
    uint32_t *hi;         /* candidate example indices                      */
    /* confident joint counted during pass 1 (cl_spec_row) */
    int      spec;        /* 1: try it in this pass 1                       */
    int      sp_ready;    /* sp_lo/sp_hi set (from chunk 0)                 */
    int      sp_threads;
    double  *sp_lo, *sp_hi;   /* k: band around the estimated t_j - 1e-6    */
    float   *sp_lof, *sp_hif;  /* k: the same bounds for float32 entries: the
                                  smallest float >= each (cl_float_ge)      */
    int      avx2;            /* the pass-1 sweep may use cl_sweep_f32_avx2 */
    double  *sp_maxlo, *sp_minhi; /* k: the tightest bounds any band used:
                                     the speculation holds when every
                                     t_j - 1e-6 lies in [maxlo_j, minhi_j) */
    double  *sp_s1, *sp_s2;   /* k: running sum and sum of squares of the
                                 self-confidences so far (the band estimate) */
    size_t  *sp_seen;         /* k: grouped positions summed into sp_s1/s2  */
    size_t   sp_budget;   /* words allowed per thread                       */
    struct cl_spec *sp;   /* per thread                                     */
    /* across ranks (cl_opts.coll): n, y and the reader are this rank's
     * rows, from global row g0; NULL and 0 in one process */
    cl_dist *d;
    size_t   g0;
    int      pbnr_done;   /* PBNR flags already set (cl_dist_finish)        */
} cl_ctx;

/* Per-thread state of the speculative confident joint: counts of the rows
 * decided without the exact thresholds, and the undecided rows as records
 * {g, nb | cnt << 11 | first << 12, nb x {j, value}}, the value as one word
 * (float32 bits) or two (float64 bits): CL_SPEC_EW words an entry. */
typedef struct cl_spec {
    uint32_t *buf;
    size_t    len, cap;
    int       over;       /* budget exceeded: the speculation is abandoned  */
    int64_t  *cj;         /* k x k                                          */
} cl_spec;

typedef struct cl_work {
    cl_ctx     *c;
    int         stage, tid, nthreads;
    size_t      r0, a, b;     /* chunk's first global row; local slice [a,b) */
    const void *data;
    size_t     *cursor;       /* k: grouped write positions (stage 1)        */
    int64_t    *cj;           /* k x k counts (stage 2)                      */
    double     *row, *tmp;    /* k scratch each                              */
    double     *scores;       /* chunk rows x 5 (stage 2 with a sink)        */
    size_t      bad_row;      /* first invalid global row, or SIZE_MAX       */
    size_t      bad_col;
    double      bad_val;
    int         outside01;
    cl_spec    *sp;           /* pass 1 with speculation, else NULL          */
} cl_work;

static void cl_load_row(const cl_work *w, size_t i, double *row)
{
    size_t k = w->c->k;
    if (w->c->rd->elem == 4) {
        const float *f = (const float *)w->data + i * k;
        for (size_t j = 0; j < k; j++) row[j] = f[j];
    } else {
        memcpy(row, (const double *)w->data + i * k, k * sizeof *row);
    }
}

/* Element j of row i of the chunk, widened to float64 (exact for float32).
 * `f32` is a constant at every call site, so each inline caller compiles
 * into a float32 and a float64 version with no per-element branch. */
#define CL_INLINE static inline __attribute__((always_inline))
CL_INLINE double cl_at(const void *data, size_t k, size_t i, size_t j, int f32)
{
    return f32 ? (double)((const float *)data)[i * k + j] : ((const double *)data)[i * k + j];
}

/* The smallest float x with (double)x >= t: for every float v (NaN aside),
 * (double)v >= t <=> v >= cl_float_ge(t), so float32 entries compare in
 * float lanes with the same outcome as in float64. */
static float cl_float_ge(double t)
{
    float f = (float)t;
    if ((double)f < t) f = nextafterf(f, INFINITY);
    return f;
}

/* The largest float x with (double)x <= t (the mirror of cl_float_ge). */
static float cl_float_le(double t)
{
    float f = (float)t;
    if ((double)f > t) f = nextafterf(f, -INFINITY);
    return f;
}

/* Words per recorded entry: the column, then the value's bits. */
#define CL_SPEC_EW(f32) ((f32) ? 2u : 3u)

/* Counts row g in the speculative joint at (y, sus). */
CL_INLINE void cl_spec_count_row(cl_work *w, size_t g, size_t y, size_t sus)
{
    w->sp->cj[y * w->c->k + sus]++;
    if (sus != y) w->c->res->flags[g] |= CL_F_OFFDIAG;
}

/* Pass 2 inside pass 1, before the thresholds are known. Each t_j - 1e-6
 * lies, with high probability, in [sp_lo_j, sp_hi_j) (estimated from the
 * chunks read so far): an entry >= sp_hi is in C_i = { j : p_ij >= t_j -
 * 1e-6 } and one below sp_lo is not, whatever the exact threshold inside
 * the band. The row counts at (y, sus) with sus = the one member when
 * |C_i| = 1, else the row's argmax (cleanlab's rule). So a row is decided
 * now when its argmax is surely in C_i (then sus = argmax whatever the
 * rest), when two entries surely are (|C_i| >= 2: argmax again), or when
 * no entry is in a band; the others are recorded with their in-band entries
 * and resolved by cl_spec_resolve once the thresholds are known. If a
 * threshold falls outside a band used (or the records outgrow their
 * budget) everything is discarded and pass 2 runs as usual: the result is
 * exact either way. Row i of `data`, with nhi and nlo its entries at or
 * above sp_hi and sp_lo (counted by the caller's sweep), am its argmax. */
CL_INLINE void cl_spec_row(cl_work *w, const void *data, size_t i, size_t g, size_t y, size_t am,
                           size_t nhi, size_t nlo, int f32)
{
    cl_ctx *c = w->c;
    cl_spec *s = w->sp;
    size_t k = c->k, first = 0, nb = 0, at = s->len, ew = CL_SPEC_EW(f32);
    if (s->over) return;
    /* common cases first: the argmax surely in C_i, two entries surely in
     * it, or no entry in a band */
    if (nhi >= 2 || (nhi && cl_at(data, k, i, am, f32) >= c->sp_hi[am])) { cl_spec_count_row(w, g, y, am); return; }
    if (nhi == nlo) {
        if (nhi) {
            for (first = 0; !(cl_at(data, k, i, first, f32) >= c->sp_hi[first]); first++) {}
            cl_spec_count_row(w, g, y, first);
        }
        return;
    }
    size_t need = at + 2 + ew * (nlo - nhi);
    if (need > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        while (cap < need) cap *= 2;
        if (cap > c->sp_budget) cap = c->sp_budget;
        uint32_t *nbuf = cap >= need ? realloc(s->buf, cap * sizeof *nbuf) : NULL;
        if (!nbuf) { s->over = 1; return; }
        s->buf = nbuf;
        s->cap = cap;
    }
    uint32_t *e = s->buf + at + 2;
    for (size_t j = 0; j < k; j++) {
        double v = cl_at(data, k, i, j, f32);
        if (v >= c->sp_hi[j]) { first = j; continue; }   /* the one sure member (nhi <= 1 here) */
        if (!(v >= c->sp_lo[j])) continue;
        *e++ = (uint32_t)j;
        if (f32) {
            float fv = ((const float *)data)[i * k + j];
            memcpy(e++, &fv, sizeof fv);
        } else {
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            *e++ = (uint32_t)bits;
            *e++ = (uint32_t)(bits >> 32);
        }
        nb++;
    }
    s->buf[at] = (uint32_t)g;
    s->buf[at + 1] = (uint32_t)(nb | nhi << 11 | first << 12);
    s->len = at + 2 + ew * nb;
}

/* The band from the self-confidences read so far (grouped [goff_j, gcur_j);
 * sums extended by the new ones): estimated mean +- 8 standard errors, so
 * it narrows as pass 1 reads on; unbounded for classes with fewer than 64
 * examples so far. Records the tightest bounds used (sp_maxlo, sp_minhi). */
static void cl_spec_setup(cl_ctx *c, const size_t *gcur)
{
    for (size_t j = 0; j < c->k; j++) {
        for (size_t q = c->sp_seen[j]; q < gcur[j]; q++) {
            double x = c->sc_g[q];
            c->sp_s1[j] += x;
            c->sp_s2[j] += x * x;
        }
        c->sp_seen[j] = gcur[j];
        size_t m = gcur[j] - c->goff[j];
        c->sp_lo[j] = -INFINITY;
        c->sp_hi[j] = INFINITY;
        if (m < 64) continue;
        double mean = c->sp_s1[j] / (double)m;
        double var = fmax(c->sp_s2[j] / (double)m - mean * mean, 0.0);
        double d = 8 * sqrt(var / (double)m) + 1e-9;
        double t = fmax(mean, CL_THRESHOLD_MIN) - CL_TOL;
        c->sp_lo[j] = t - d;
        c->sp_hi[j] = t + d;
        if (c->sp_lo[j] > c->sp_maxlo[j]) c->sp_maxlo[j] = c->sp_lo[j];
        if (c->sp_hi[j] < c->sp_minhi[j]) c->sp_minhi[j] = c->sp_hi[j];
    }
    for (size_t j = 0; j < c->k; j++) {
        c->sp_lof[j] = cl_float_ge(c->sp_lo[j]);
        c->sp_hif[j] = cl_float_ge(c->sp_hi[j]);
    }
    c->sp_ready = 1;
}

static void cl_spec_resolve_part(void *ctx, int t, int T);

/* After pass 1: 1 when the speculation holds (res->cj and the off-diagonal
 * flags are then final), 0 when pass 2 must run (flags cleared). */
static int cl_spec_resolve(cl_ctx *c)
{
    size_t k = c->k;
    int ok = c->sp_ready;
    for (size_t j = 0; ok && j < k; j++)
        if (!(c->sp_maxlo[j] <= c->thr_m[j] && c->thr_m[j] < c->sp_minhi[j])) ok = 0;
    for (int t = 0; ok && t < c->sp_threads; t++) if (c->sp[t].over) ok = 0;
    if (!ok) {
        for (size_t i = 0; i < c->n; i++) c->res->flags[i] &= (uint8_t)~CL_F_OFFDIAG;
        return 0;
    }
    la_par_run(c->sp_threads, cl_spec_resolve_part, c);
    for (int t = 0; t < c->sp_threads; t++)
        for (size_t i = 0; i < k * k; i++) c->res->cj[i] += c->sp[t].cj[i];
    return 1;
}

/* cl_spec_resolve, part t of T: the records of pass-1 threads t, t + T, ...
 * into their own counts (sp[u].cj) and the flags of their rows. */
static void cl_spec_resolve_part(void *ctx, int t, int T)
{
    cl_ctx *c = ctx;
    size_t k = c->k;
    int f32 = c->rd->elem == 4;
    size_t ew = CL_SPEC_EW(f32);
    for (int u = t; u < c->sp_threads; u += T) {
        cl_spec *s = &c->sp[u];
        for (size_t at = 0; at < s->len;) {
            uint32_t h = s->buf[at + 1];
            size_t g = s->buf[at], nb = h & 2047, cnt = h >> 11 & 1, first = cnt ? h >> 12 : SIZE_MAX;
            const uint32_t *e = s->buf + at + 2;
            for (size_t q = 0; q < nb; q++, e += ew) {
                double v;
                if (f32) {
                    float fv;
                    memcpy(&fv, e + 1, sizeof fv);
                    v = fv;
                } else {
                    uint64_t bits = (uint64_t)e[1] | (uint64_t)e[2] << 32;
                    memcpy(&v, &bits, sizeof v);
                }
                if (v >= c->thr_m[e[0]]) { if (e[0] < first) first = e[0]; cnt++; }
            }
            at += 2 + ew * nb;
            if (!cnt) continue;
            size_t y = (size_t)c->y[g], sus = cnt == 1 ? first : (size_t)c->res->suggested[g];
            s->cj[y * k + sus]++;
            if (sus != y) c->res->flags[g] |= CL_F_OFFDIAG;
        }
    }
}

/* The band counts of cl_spec_row for row i (chunk 0, before any sweep). */
CL_INLINE void cl_spec_count(const cl_ctx *c, const void *data, size_t i, int f32, size_t *nhi, size_t *nlo)
{
    *nhi = *nlo = 0;
    for (size_t j = 0; j < c->k; j++) {
        double v = cl_at(data, c->k, i, j, f32);
        *nhi += v >= c->sp_hi[j];
        *nlo += v >= c->sp_lo[j];
    }
}

/* What pass 1's sweep learns of a row: the first maximum bv at am, whether
 * the row is invalid (an entry NaN or outside [-1e-6, 1 + 1e-6]) or lies
 * outside [0, 1], and the band counts nhi, nlo (entries >= sp_hi, >= sp_lo). */
typedef struct cl_sweep {
    double bv;
    size_t am, nhi, nlo;
    int    bad, out01;
} cl_sweep;

/* The sweep of row i, scalar (float64, or float32 without AVX2). Integer
 * flags: no floating-point dependency chain across the row. */
CL_INLINE void cl_sweep_row(const cl_ctx *c, const void *data, size_t i, int f32, int spec, cl_sweep *o)
{
    size_t k = c->k, am = 0, nhi = 0, nlo = 0;
    const double *hi = c->sp_hi, *lo = c->sp_lo;
    double bv = cl_at(data, k, i, 0, f32);
    int nan = 0, below = 0, neg = 0;
    for (size_t j = 0; j < k; j++) {
        double v = cl_at(data, k, i, j, f32);
        nan |= v != v;
        below |= v < -CL_TOL;
        neg |= v < 0;
        if (v > bv) { bv = v; am = j; }
        if (spec) {
            nhi += v >= hi[j];
            nlo += v >= lo[j];
        }
    }
    /* valid: every entry a number within 1e-6 of [0, 1] (an infinite one
     * fails the bounds) */
    o->bad = nan | below | !(bv <= 1 + CL_TOL);
    o->out01 = neg | (bv > 1);
    o->bv = bv;
    o->am = am;
    o->nhi = nhi;
    o->nlo = nlo;
}

#ifdef CL_HAVE_AVX2_KERNEL
/* cl_sweep_row for a float32 row in 8 lanes (AVX2, chosen at run time;
 * the same outcome as the scalar sweep: comparisons and max/min are exact).
 * bv = max_j p_j, am = the first j with p_j == bv (the first maximum, as
 * numpy's argmax; any NaN makes the row invalid, whatever am is); invalid
 * when min < -1e-6 or max > 1 + 1e-6 (float bounds flo, fhi equivalent to
 * the double ones) or NaN; nhi = #{j : p_j >= hif_j}, nlo likewise (bands
 * when hif != NULL). */
__attribute__((target("avx2"))) static void cl_sweep_f32_avx2(const float *f, size_t k, const float *hif,
                                                                const float *lof, float flo, float fhi,
                                                                cl_sweep *o)
{
    __m256 vmx = _mm256_set1_ps(-INFINITY), vmn = _mm256_set1_ps(INFINITY), vnan = _mm256_setzero_ps();
    __m256i vhi = _mm256_setzero_si256(), vlo = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 8 <= k; j += 8) {
        __m256 x = _mm256_loadu_ps(f + j);
        vmx = _mm256_max_ps(x, vmx);   /* a NaN x leaves vmx (flagged below) */
        vmn = _mm256_min_ps(x, vmn);
        vnan = _mm256_or_ps(vnan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
        if (hif) {
            vhi = _mm256_sub_epi32(vhi, _mm256_castps_si256(_mm256_cmp_ps(x, _mm256_loadu_ps(hif + j), _CMP_GE_OQ)));
            vlo = _mm256_sub_epi32(vlo, _mm256_castps_si256(_mm256_cmp_ps(x, _mm256_loadu_ps(lof + j), _CMP_GE_OQ)));
        }
    }
    float mx8[8], mn8[8];
    int32_t hi8[8], lo8[8];
    _mm256_storeu_ps(mx8, vmx);
    _mm256_storeu_ps(mn8, vmn);
    _mm256_storeu_si256((__m256i *)(void *)hi8, vhi);
    _mm256_storeu_si256((__m256i *)(void *)lo8, vlo);
    float mx = mx8[0], mn = mn8[0];
    size_t nhi = 0, nlo = 0;
    for (int q = 0; q < 8; q++) {
        mx = mx8[q] > mx ? mx8[q] : mx;
        mn = mn8[q] < mn ? mn8[q] : mn;
        nhi += (size_t)hi8[q];
        nlo += (size_t)lo8[q];
    }
    int nan = _mm256_movemask_ps(vnan) != 0;
    for (; j < k; j++) {
        float x = f[j];
        nan |= x != x;
        mx = x > mx ? x : mx;
        mn = x < mn ? x : mn;
        if (hif) {
            nhi += x >= hif[j];
            nlo += x >= lof[j];
        }
    }
    size_t am = 0;
    if (!nan) {
        __m256 vb = _mm256_set1_ps(mx);
        int found = 0;
        for (; !found && am + 8 <= k; am += 8) {
            int m = _mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(f + am), vb, _CMP_EQ_OQ));
            if (m) { am += (size_t)__builtin_ctz((unsigned)m); found = 1; break; }
        }
        if (!found) /* the tail */
            for (; am < k && f[am] != mx; am++) {}
    }
    o->bad = nan | !(mn >= flo) | !(mx <= fhi);
    o->out01 = (mn < 0) | (mx > 1);
    o->bv = mx;
    o->am = am;
    o->nhi = nhi;
    o->nlo = nlo;
}
#endif

/* MAX_{j != y} p_j of row i (k >= 2). */
CL_INLINE double cl_max_except(const void *data, size_t k, size_t i, size_t y, int f32)
{
    double m = -INFINITY;
    for (size_t j = 0; j < k; j++)
        if (j != y && cl_at(data, k, i, j, f32) > m) m = cl_at(data, k, i, j, f32);
    return m;
}

#ifdef CL_HAVE_AVX2_KERNEL
/* cl_max_except for a valid float32 row (no NaN) in 8 lanes. */
__attribute__((target("avx2"))) static double cl_max_except_f32_avx2(const float *f, size_t k, size_t y)
{
    __m256 vmx = _mm256_set1_ps(-INFINITY), ninf = vmx;
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), vy = _mm256_set1_epi32((int)y);
    size_t j = 0;
    for (; j + 8 <= k; j += 8) {
        __m256i at = _mm256_add_epi32(lane, _mm256_set1_epi32((int)j));
        __m256 x = _mm256_blendv_ps(_mm256_loadu_ps(f + j), ninf, _mm256_castsi256_ps(_mm256_cmpeq_epi32(at, vy)));
        vmx = _mm256_max_ps(x, vmx);
    }
    float mx8[8];
    _mm256_storeu_ps(mx8, vmx);
    float mx = mx8[0];
    for (int q = 1; q < 8; q++) mx = mx8[q] > mx ? mx8[q] : mx;
    for (; j < k; j++)
        if (j != y && f[j] > mx) mx = f[j];
    return mx;
}
#endif

/* 1 when this CPU runs cl_sweep_f32_avx2. */
static int cl_cpu_avx2(void)
{
#ifdef CL_HAVE_AVX2_KERNEL
    return __builtin_cpu_supports("avx2") != 0;
#else
    return 0;
#endif
}

/* Pass 1: validate; self-confidence into its class's slot; argmax; flags;
 * with `spec`, the folded pass 2 (cl_spec_row). */
CL_INLINE void cl_stage1_rows(cl_work *w, int f32, int spec)
{
    cl_ctx *c = w->c;
    size_t k = c->k;
    cl_result *res = c->res;
    const void *data = w->data;
#ifdef CL_HAVE_AVX2_KERNEL
    int vec = f32 && c->avx2;
    /* float bounds equivalent to the double ones: v >= -1e-6 <=> v >= flo,
     * v <= 1 + 1e-6 <=> v <= fhi */
    float flo = cl_float_ge(-CL_TOL), fhi = cl_float_le(1 + CL_TOL);
#endif
    for (size_t i = w->a; i < w->b; i++) {
        size_t g = w->r0 + i;
        size_t y = (size_t)c->y[g];
        cl_sweep sw;
#ifdef CL_HAVE_AVX2_KERNEL
        if (vec) cl_sweep_f32_avx2((const float *)data + i * k, k, spec ? c->sp_hif : NULL, c->sp_lof, flo, fhi, &sw);
        else
#endif
        cl_sweep_row(c, data, i, f32, spec, &sw);
        size_t am = sw.am, nhi = sw.nhi, nlo = sw.nlo;
        double bv = sw.bv;
        int bad = sw.bad, out01 = sw.out01;
        if (bad) {
            if (w->bad_row == SIZE_MAX) {
                size_t j = 0;
                for (double v; (v = cl_at(data, k, i, j, f32)) >= -CL_TOL && v <= 1 + CL_TOL; j++) {}
                w->bad_row = g;
                w->bad_col = j;
                w->bad_val = cl_at(data, k, i, j, f32);
            }
            continue;
        }
        if (w->bad_row != SIZE_MAX) continue;
        w->outside01 |= out01;
        double py = cl_at(data, k, i, y, f32);
        c->sc_g[w->cursor[y]++] = py;
        res->suggested[g] = (int32_t)am;
        if (res->suggested_p) res->suggested_p[g] = bv;
        /* forgiven: the ARGMAX of the row with p_y + 1e-6 is y, i.e. every
         * entry before y is below p_y + 1e-6 and every one after at most
         * equal; with the first maximum bv at am that is: am == y, or bv
         * below (am < y) or at most (am > y) p_y + 1e-6 */
        double py1 = py + CL_TOL;
        int forgiven = am == y || (am < y ? bv < py1 : bv <= py1);
        res->flags[g] = (uint8_t)((am != y ? CL_F_PRED_NEQ : 0) | (forgiven ? CL_F_FORGIVEN : 0));
        if (spec) cl_spec_row(w, data, i, g, y, am, nhi, nlo, f32);
        if (c->mb) {
            /* m2 = MAX_{j != y} p_j: the maximum when the argmax is not y */
            double m2 = bv;
#ifdef CL_HAVE_AVX2_KERNEL
            if (am == y && vec) m2 = cl_max_except_f32_avx2((const float *)data + i * k, k, y);
            else
#endif
            if (am == y) m2 = cl_max_except(data, k, i, y, f32);
            c->mb[g] = cl_float_ge(m2 - py);
        }
        if (c->rankv) {
            double *p = w->row;
            for (size_t j = 0; j < k; j++) p[j] = cl_at(data, k, i, j, f32);
            if (c->rank_kind == CL_NORMALIZED_MARGIN) c->rankv[g] = cl_normalized_margin(p, k, y);
            else if (c->rank_kind == CL_CW_ENTROPY) c->rankv[g] = cl_cw_entropy(p, k, y, c->log_k, w->tmp);
            else c->rankv[g] = py;
        }
    }
}

static void cl_stage1(cl_work *w)
{
    int spec = w->sp && w->c->sp_ready && !w->sp->over;
    if (w->c->rd->elem == 4) {
        if (spec) cl_stage1_rows(w, 1, 1);
        else cl_stage1_rows(w, 1, 0);
    } else {
        if (spec) cl_stage1_rows(w, 0, 1);
        else cl_stage1_rows(w, 0, 0);
    }
}

/* Pass 2: confident joint, off-diagonal flags, per-example score rows. */
static void cl_stage2(cl_work *w)
{
    cl_ctx *c = w->c;
    size_t k = c->k;
    cl_result *res = c->res;
    for (size_t i = w->a; i < w->b; i++) {
        size_t g = w->r0 + i;
        double *p = w->row;
        size_t y = (size_t)c->y[g], cnt = 0, first = 0;
        /* C_i = { j : p_ij >= t_j - 1e-6 }, compared in float64 */
        if (c->rd->elem == 4) {
            const float *f = (const float *)w->data + i * k;
            for (size_t j = 0; j < k; j++)
                if ((double)f[j] >= c->thr_m[j]) { if (!cnt) first = j; cnt++; }
        } else {
            const double *d = (const double *)w->data + i * k;
            for (size_t j = 0; j < k; j++)
                if (d[j] >= c->thr_m[j]) { if (!cnt) first = j; cnt++; }
        }
        if (cnt) {
            size_t sus = cnt == 1 ? first : (size_t)res->suggested[g];
            w->cj[y * k + sus]++;
            if (sus != y) res->flags[g] |= CL_F_OFFDIAG;
        }
        if (w->scores) {
            double *s = w->scores + i * 5;
            cl_load_row(w, i, p);
            s[0] = p[y];
            s[1] = cl_normalized_margin(p, k, y);
            s[2] = cl_cw_entropy(p, k, y, c->log_k, w->tmp);
            cl_adjust_row(p, res->thresholds, c->tmax, k, w->tmp);
            s[3] = w->tmp[y];
            s[4] = cl_normalized_margin(w->tmp, k, y);
        }
    }
}

/* The noise_posterior filter's pass (after the noise matrix, step 2):
 * Bayes' rule with the estimated noise matrix NM[i][j] = P(given = i |
 * true = j) and the model's p_j(x) taken as P(true = j | x) gives
 *
 *     P(true = j | x, given = i) = p_j(x) NM[i][j] / SUM_l p_l(x) NM[i][l],
 *
 * and post[g] = that at j = i, the probability that the given label is
 * right. 0 when no class explains the given label (the sum is 0). Also
 * post_alt[g] = ARGMAX_{j != i} of it (the first on ties) and post_altp[g]
 * its value, for the suggestion (cl_posterior_suggest). */
static void cl_stage_posterior(cl_work *w)
{
    cl_ctx *c = w->c;
    size_t k = c->k;
    const double *nm = c->res->nm;
    for (size_t i = w->a; i < w->b; i++) {
        size_t g = w->r0 + i, y = (size_t)c->y[g], alt = y == 0 ? 1 : 0;
        double *p = w->row, s = 0.0;
        cl_load_row(w, i, p);
        for (size_t j = 0; j < k; j++) {
            s += p[j] * nm[y * k + j];
            if (j != y && p[j] * nm[y * k + j] > p[alt] * nm[y * k + alt]) alt = j;
        }
        c->post[g] = s > 0 ? p[y] * nm[y * k + y] / s : 0.0;
        c->post_alt[g] = (int32_t)(k > 1 ? alt : y);
        c->post_altp[g] = s > 0 && k > 1 ? p[alt] * nm[y * k + alt] / s : 0.0;
    }
}

/* noise_posterior's suggested class (after the filter, before the ranking):
 * the most likely true class under the posterior of cl_stage_posterior,
 * and for a flagged row the most likely one other than the given label,
 * since the filter has judged the given one wrong. suggested_p becomes that
 * posterior. (The other filters suggest the model's argmax, as cleanlab.) */
static void cl_posterior_suggest(cl_ctx *c)
{
    cl_result *res = c->res;
    for (size_t i = 0; i < c->n; i++) {
        int use_alt = (res->flags[i] & CL_F_ISSUE) || c->post_altp[i] > c->post[i];
        res->suggested[i] = use_alt ? c->post_alt[i] : c->y[i];
        if (res->suggested_p) res->suggested_p[i] = use_alt ? c->post_altp[i] : c->post[i];
    }
}

/* Partially orders v[0..m) (with ix alongside) so that v[0..c) hold the c
 * largest values (ties broken arbitrarily: a tie at the cut is detected by
 * the caller and resolved exactly elsewhere). Hoare quickselect. */
static void cl_select_top(double *v, uint32_t *ix, size_t m, size_t c)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)m - 1, want = (ptrdiff_t)c - 1;
    while (lo < hi) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        double a = v[lo], b = v[mid], d = v[hi];
        double pv = a > b ? (b > d ? b : (a > d ? d : a)) : (a > d ? a : (b > d ? d : b));
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] > pv) i++;
            while (v[j] < pv) j--;
            if (i <= j) {
                double tv = v[i]; v[i] = v[j]; v[j] = tv;
                uint32_t ti = ix[i]; ix[i] = ix[j]; ix[j] = ti;
                i++; j--;
            }
        }
        if (want <= j) hi = j;
        else if (want >= i) lo = i;
        else break;
    }
}

/* The smallest level under which a margin cannot enter any of class k's
 * pairs (cl_ctx.lvl). */
static double cl_class_level(const cl_ctx *c, size_t k)
{
    double m = INFINITY;
    for (size_t q = c->pstart[k]; q < c->pstart[k + 1]; q++)
        if (c->lvl[q] < m) m = c->lvl[q];
    return m;
}

/* Keeps the c largest of the values seen, with the largest value ever
 * dropped (max_rej): a buffer of up to cap entries is compacted back to c
 * by quickselect when full (amortised O(1) per value, sequential memory). */
static void cl_pair_compact(cl_ctx *c, cl_pair *pr)
{
    double *v = c->hv + pr->off;
    uint32_t *ix = c->hi + pr->off;
    cl_select_top(v, ix, pr->size, pr->c);
    double mn = v[0];
    for (size_t r = 1; r < pr->c; r++) if (v[r] < mn) mn = v[r];
    for (size_t r = pr->c; r < pr->size; r++) if (v[r] > pr->max_rej) pr->max_rej = v[r];
    pr->size = pr->c;
    pr->thr = mn;
    pr->full = 1;
    c->lvl[pr - c->pairs] = mn;
    if (c->cmin) /* only the thread owning class cls touches its pairs */
        c->cmin[pr->cls] = cl_class_level(c, pr->cls);
}

static inline void cl_pair_push(cl_ctx *c, cl_pair *pr, double v, uint32_t idx)
{
    /* below the floor: below the final c-th largest, so neither kept nor
     * able to tie with it */
    if (v < pr->floor) return;
    if (pr->full && !(v > pr->thr)) { /* cannot beat the c-th largest */
        if (v > pr->max_rej) pr->max_rej = v;
        return;
    }
    c->hv[pr->off + pr->size] = v;
    c->hi[pr->off + pr->size] = idx;
    if (++pr->size == pr->cap) cl_pair_compact(c, pr);
}

/* The rank-th largest (1 <= rank <= m) of x[0..m): a min-heap h[1..rank]
 * of the largest seen (h: rank + 1 doubles), so most values cost one
 * comparison with its top. */
static double cl_kth_largest(const double *x, size_t m, size_t rank, double *h)
{
    assert(rank >= 1 && rank <= m);
    size_t fill = 0;
    for (size_t i = 0; i < m; i++) {
        double v = x[i];
        size_t q;
        if (fill < rank) { /* sift up */
            for (q = ++fill; q > 1 && h[q / 2] > v; q /= 2) h[q] = h[q / 2];
            h[q] = v;
            continue;
        }
        if (!(v > h[1])) continue;
        for (q = 1; 2 * q <= rank;) { /* sift down from the root */
            size_t ch = 2 * q;
            if (ch < rank && h[ch + 1] < h[ch]) ch++;
            if (!(h[ch] < v)) break;
            h[q] = h[ch];
            q = ch;
        }
        h[q] = v;
    }
    return h[1];
}

/* Margins gathered per block of pairs in cl_pair_floors: at most this many
 * doubles (2 MB, cache-sized). */
#define CL_FLOOR_BLOCK ((size_t)1 << 18)

/* Floors for stage 3 from its first chunk (rows [0, nr) of data). A pair
 * (k, j) keeps the c largest of n_k margins; chunk 0 holds m of class k's
 * rows, of which e = c m / n_k lie at or above the final cut on average
 * (a binomial count). The r-th largest margin in the chunk, r = e +
 * 8 sqrt(e) + 8, lies below the cut unless the chunk is 8 standard
 * deviations off, so smaller margins can be dropped on sight: most rows
 * then skip stage 3 at once, instead of filling buffers with values a
 * later compaction throws away. A floor set too high (a chunk unlike the
 * rest of the file) leaves its pair with fewer than c values, which
 * cl_prune_by_noise_rate detects and answers by re-running the pass
 * without floors: exact either way. */
static int cl_pair_floors(cl_ctx *c, const void *data, size_t nr)
{
    size_t k = c->k;
    int f32 = c->rd->elem == 4;
    size_t mcap = nr < 8192 ? nr : 8192;      /* rows per class: plenty for the estimate, and cheap */
    size_t bp = CL_FLOOR_BLOCK / (mcap + 1);  /* pairs per block */
    if (bp < 1) bp = 1;
    size_t *start = la_calloc(k + 2, sizeof *start);
    uint32_t *rows = la_malloc_array(nr + 1, sizeof *rows);
    double *h = la_malloc_array(mcap + 2, sizeof *h);
    double *mt = la_malloc_array(bp * mcap + 1, sizeof *mt);
    if (!start || !rows || !h || !mt) { free(start); free(rows); free(h); free(mt); return -1; }
    /* chunk 0's rows grouped by class (counting sort) */
    for (size_t i = 0; i < nr; i++) start[(size_t)c->y[i] + 2]++;
    for (size_t j = 0; j < k; j++) start[j + 2] += start[j + 1];
    for (size_t i = 0; i < nr; i++) rows[start[(size_t)c->y[i] + 1]++] = (uint32_t)i;
    for (size_t kk = 0; kk < k; kk++) {
        size_t m = start[kk + 1] - start[kk];
        const uint32_t *r = rows + start[kk];
        if (m > mcap) m = mcap;
        for (size_t q0 = c->pstart[kk]; q0 < c->pstart[kk + 1]; q0 += bp) {
            size_t q1 = q0 + bp < c->pstart[kk + 1] ? q0 + bp : c->pstart[kk + 1];
            /* mt[(q - q0) m + i] = p_{r_i, j_q} - p_{r_i, kk}: each row read once a block */
            for (size_t i = 0; i < m; i++) {
                double pk = cl_at(data, k, r[i], kk, f32);
                for (size_t q = q0; q < q1; q++) mt[(q - q0) * m + i] = cl_at(data, k, r[i], c->pj[q], f32) - pk;
            }
            for (size_t q = q0; q < q1; q++) {
                cl_pair *pr = &c->pairs[q];
                double e = (double)pr->c * (double)m / (double)c->res->counts[kk];
                double want = e + 8 * sqrt(e) + 8;
                if (want >= (double)m) continue;
                double lo = cl_kth_largest(mt + (q - q0) * m, m, (size_t)want, h);
                pr->floor = lo;
                c->lvl[q] = lo;
            }
        }
        c->cmin[kk] = cl_class_level(c, kk);
    }
    free(start); free(rows); free(h); free(mt);
    return 0;
}

CL_INLINE void cl_stage3_rows(cl_work *w, int f32)
{
    cl_ctx *c = w->c;
    size_t k = c->k;
    const void *data = w->data;
    for (size_t i = w->a; i < w->b; i++) {
        size_t g = w->r0 + i;
        size_t y = (size_t)c->y[g];
        if ((int)(y % (size_t)w->nthreads) != w->tid) continue;
        /* mu = p_j - p_y in float64 (float32 inputs widen exactly). A
         * margin below its pair's level (cl_ctx.lvl) is below the pair's
         * floor or below its current c-th largest, so it can neither be
         * kept nor equal the final c-th largest (thresholds only rise):
         * dropping it changes neither the kept values nor the tie test
         * (max_rej == thr). Every mu of the row is at most mb (pass 1's
         * bound), so a row whose bound is below all its class's levels is
         * skipped whole. */
        if ((double)c->mb[g] < c->cmin[y]) continue;   /* the row is not even read */
        double py = cl_at(data, k, i, y, f32);
        for (size_t q = c->pstart[y]; q < c->pstart[y + 1]; q++) {
            double mu = cl_at(data, k, i, c->pj[q], f32) - py;
            if (mu < c->lvl[q]) continue;
            cl_pair_push(c, &c->pairs[q], mu, (uint32_t)g);
        }
    }
}

/* Pass 3: margins mu = p_j - p_k into the pairs' buffers (class-owned threads). */
static void cl_stage3(cl_work *w)
{
    if (w->c->rd->elem == 4) cl_stage3_rows(w, 1);
    else cl_stage3_rows(w, 0);
}

/* Chunk 0 of pass 1 again once the bands are set (cl_spec_setup): its
 * rows' share of the folded pass 2. */
static void cl_stage1_spec0(cl_work *w)
{
    const cl_ctx *c = w->c;
    int f32 = c->rd->elem == 4;
    for (size_t i = w->a; i < w->b; i++) {
        size_t nhi, nlo;
        cl_spec_count(c, w->data, i, f32, &nhi, &nlo);
        cl_spec_row(w, w->data, i, i, (size_t)c->y[i], (size_t)c->res->suggested[i], nhi, nlo, f32);
    }
}

static void cl_worker(cl_work *w)
{
    if (w->stage == 1) cl_stage1(w);
    else if (w->stage == 2) cl_stage2(w);
    else if (w->stage == 3) cl_stage3(w);
    else if (w->stage == 5) cl_stage_posterior(w);
    else cl_stage1_spec0(w);
}

/* la_par_run part t: worker t of the chunk (its slice is already set). */
static void cl_worker_part(void *ctx, int t, int T)
{
    (void)T;
    cl_worker(&((cl_work *)ctx)[t]);
}

static void cl_workers_free(cl_work *w, int T)
{
    if (w)
        for (int t = 0; t < T; t++) { free(w[t].cursor); free(w[t].cj); free(w[t].row); }
    free(w);
}

/* T workers for one pass of `stage` (scores: the chunk's score rows or NULL).
 * NULL when out of memory. */
static cl_work *cl_workers_alloc(cl_ctx *c, int stage, int T, double *scores)
{
    size_t k = c->k;
    cl_work *w = la_calloc((size_t)T, sizeof *w);
    if (!w) return NULL;
    for (int t = 0; t < T; t++) {
        w[t].c = c;
        w[t].stage = stage;
        w[t].tid = t;
        w[t].nthreads = stage == 3 ? T : 1;
        w[t].cursor = la_calloc(k + 1, sizeof *w[t].cursor);
        w[t].cj = stage == 2 ? la_calloc(k * k, sizeof *w[t].cj) : NULL;
        w[t].row = la_malloc_array(2 * k + 2, sizeof(double));
        w[t].bad_row = SIZE_MAX;
        if (!w[t].cursor || (stage == 2 && !w[t].cj) || !w[t].row) { cl_workers_free(w, T); return NULL; }
        w[t].tmp = w[t].row + k + 1;
        w[t].scores = scores;
        w[t].sp = stage == 1 && c->spec ? &c->sp[t] : NULL;
    }
    return w;
}

/* Hands chunk rows [r0, r0 + nr) to workers 0..tt-1: stages 1 and 2 split
 * them into contiguous slices (stage 1 also gets each slice's grouped write
 * positions from gcur, which advances past the chunk); stage 3 gives every
 * worker the whole chunk. */
static void cl_split_chunk(const cl_ctx *c, cl_work *w, int stage, int tt, size_t r0, size_t nr,
                           const void *data, size_t *gcur)
{
    size_t k = c->k;
    for (int t = 0; t < tt; t++) {
        w[t].r0 = r0;
        w[t].data = data;
        w[t].nthreads = stage == 3 ? tt : 1;
        if (stage == 3) { w[t].a = 0; w[t].b = nr; }
        else { w[t].a = nr * (size_t)t / (size_t)tt; w[t].b = nr * (size_t)(t + 1) / (size_t)tt; }
        if (stage == 1) { /* grouped positions: counts of earlier slices */
            memcpy(w[t].cursor, gcur, k * sizeof *gcur);
            for (size_t i = w[t].a; i < w[t].b; i++) gcur[c->y[r0 + i]]++;
        }
    }
}

/* After a pass-1 chunk: refuses the first invalid row, and after chunk 0
 * narrows the speculation's band; after chunk 0 also runs its share of the folded pass 2
 * (abandoning the speculation when its records would not fit). */
static int cl_pass1_chunk_done(cl_ctx *c, cl_work *w, int tt, size_t r0, size_t nr, const size_t *gcur,
                               la_error *err)
{
    size_t bad = SIZE_MAX, bt = 0;
    for (int t = 0; t < tt; t++)
        if (w[t].bad_row < bad) { bad = w[t].bad_row; bt = (size_t)t; }
    if (bad != SIZE_MAX) {
        double v = w[bt].bad_val;
        return la_error_set(err, LA_EUSAGE, c->rd->path, 0, "row %zu, column %zu: probability %.17g is %s", bad + c->g0,
                            w[bt].bad_col, v,
                            isfinite(v) ? "outside [0, 1] (beyond the 1e-6 tolerance)" : "not a finite number");
    }
    if (!c->spec) return 0;
    cl_spec_setup(c, gcur);        /* the band for the next chunk */
    if (r0 != 0) return 0;
    /* chunk 0 was read before any band: its rows now */
    for (int t = 0; t < tt; t++) w[t].stage = 4;
    la_par_run(tt, cl_worker_part, w);
    for (int t = 0; t < tt; t++) w[t].stage = 1;
    /* too many undecided rows to fit (wide bands: few rows per class in the
     * chunk, or low thresholds at large K): give up now */
    double len = 0;
    for (int t = 0; t < c->sp_threads; t++) len += (double)c->sp[t].len;
    if (len * ((double)c->n / (double)nr) > 0.5 * (double)c->sp_budget * c->sp_threads) {
        for (int t = 0; t < c->sp_threads; t++) {
            c->sp[t].over = 1;
            free(c->sp[t].buf);
            c->sp[t].buf = NULL;
            c->sp[t].len = c->sp[t].cap = 0;
        }
    }
    return 0;
}

/* One pass over the matrix. Stages 1, 2 and 5 (noise_posterior) split each
 * chunk into contiguous slices; stage 3 gives every thread the whole chunk
 * and a set of classes. */
static int cl_pass(cl_ctx *c, int stage, la_error *err)
{
    const cl_reader *rd = c->rd;
    size_t n = c->n, k = c->k;
    int T = c->o->threads < 1 ? 1 : c->o->threads;
    if (T > 256) T = 256;
    size_t cr = rd->chunk_rows ? rd->chunk_rows : 4096;
    int rc = 0;
    double *scores = stage == 2 && c->o->sink ? la_malloc_array(cr * 5, sizeof *scores) : NULL;
    size_t *gcur = la_calloc(k + 1, sizeof *gcur);
    cl_work *w = (stage != 2 || !c->o->sink || scores) && gcur ? cl_workers_alloc(c, stage, T, scores) : NULL;
    if (!w) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
    for (size_t j = 0; j < k; j++) gcur[j] = c->goff[j];
    for (size_t r0 = 0; r0 < n; r0 += cr) {
        size_t nr = n - r0 < cr ? n - r0 : cr;
        const void *data;
        if ((rc = rd->read(rd->ctx, r0, nr, &data, err))) goto done;
        if (stage == 3 && r0 == 0 && !c->no_floors && cl_pair_floors(c, data, nr)) {
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            goto done;
        }
        /* Small chunks are not worth a thread. */
        int tt = (nr < 2048 || T == 1) ? 1 : T;
        if (stage == 3 && tt != T) tt = 1;
        cl_split_chunk(c, w, stage, tt, r0, nr, data, gcur);
        la_par_run(tt, cl_worker_part, w);
        if (stage == 1 && (rc = cl_pass1_chunk_done(c, w, tt, r0, nr, gcur, err))) goto done;
        if (scores && (rc = c->o->sink(c->o->sink_ctx, r0, nr, scores, err))) goto done;
    }
    for (int t = 0; t < T; t++) {
        if (w[t].outside01) c->res->cwe_refused = 1;
        if (stage == 2)
            for (size_t i = 0; i < k * k; i++) c->res->cj[i] += w[t].cj[i];
    }
done:
    cl_workers_free(w, T);
    free(gcur);
    free(scores);
    return rc;
}

/* Sets `bit` on the examples whose grouped position is flagged in gflag. */
static void cl_grouped_to_flags(cl_ctx *c, const uint8_t *gflag, uint8_t bit, size_t *cur)
{
    for (size_t j = 0; j < c->k; j++) cur[j] = c->goff[j];
    for (size_t i = 0; i < c->n; i++) {
        size_t pos = cur[c->y[i]]++;
        if (gflag[pos]) c->res->flags[i] |= bit;
    }
}

/* Section 10.3: flag the m = n_k - P[k][k] lowest self-confidences per class. */
static int cl_prune_by_class(cl_ctx *c, const int64_t *P, la_error *err)
{
    size_t n = c->n, k = c->k, maxn = 1;
    const int64_t *cnt = c->res->counts;
    for (size_t j = 0; j < k; j++) if ((size_t)cnt[j] > maxn) maxn = (size_t)cnt[j];
    uint8_t *gflag = la_calloc(n + 1, 1);
    uint32_t *idx = la_malloc_array(maxn, sizeof *idx);
    size_t *cur = la_calloc(k + 1, sizeof *cur);
    if (!gflag || !idx || !cur) {
        free(gflag); free(idx); free(cur);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t j = 0; j < k; j++) {
        int64_t nk = cnt[j];
        if (!(nk > c->o->nmin && nk >= 2)) continue;
        int64_t m = nk - P[j * k + j];
        if (m < 1) continue;
        if (m > nk) m = nk;
        cl_argsort_par(c->sc_g + c->goff[j], (size_t)nk, idx, c->o->threads);
        for (int64_t q = 0; q < m; q++) gflag[c->goff[j] + idx[q]] = 1;
    }
    cl_grouped_to_flags(c, gflag, CL_F_PBC, cur);
    free(gflag); free(idx); free(cur);
    return 0;
}

/* Exact tie resolution for the pairs in tie[0..nt): gathers -mu per pair in
 * class order (extra passes, batches of at most n doubles), sorts with
 * numpy's argsort and flags the first c. */
static int cl_resolve_ties(cl_ctx *c, const size_t *tie, size_t nt, la_error *err)
{
    size_t n = c->n, k = c->k, cr = c->rd->chunk_rows ? c->rd->chunk_rows : 4096;
    size_t b0 = 0;
    int rc = 0;
    double *row = la_malloc_array(k + 1, sizeof *row);
    size_t *cur = la_calloc(k + 1, sizeof *cur);
    double *buf = NULL;
    uint32_t *ex = NULL, *idx = NULL;
    size_t *bofs = la_calloc(nt + 1, sizeof *bofs);
    if (!row || !cur || !bofs) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
    while (b0 < nt) {
        /* batch [b0, b1): total class sizes within max(n, one pair) */
        size_t b1 = b0, tot = 0;
        while (b1 < nt) {
            size_t cls = 0;
            for (size_t j = 0; j < k; j++) if (tie[b1] >= c->pstart[j] && tie[b1] < c->pstart[j + 1]) cls = j;
            size_t nk = (size_t)c->res->counts[cls];
            if (b1 > b0 && tot + nk > n) break;
            bofs[b1] = tot;
            tot += nk;
            b1++;
        }
        free(buf); free(ex); free(idx);
        buf = la_malloc_array(tot + 1, sizeof *buf);
        ex = la_malloc_array(tot + 1, sizeof *ex);
        idx = la_malloc_array(tot + 1, sizeof *idx);
        if (!buf || !ex || !idx) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
        for (size_t j = 0; j < k; j++) cur[j] = 0;
        c->res->tie_passes++;
        for (size_t r0 = 0; r0 < n; r0 += cr) {
            size_t nr = n - r0 < cr ? n - r0 : cr;
            const void *data;
            if ((rc = c->rd->read(c->rd->ctx, r0, nr, &data, err))) goto done;
            cl_work w = {.c = c, .data = data};
            for (size_t i = 0; i < nr; i++) {
                size_t g = r0 + i, y = (size_t)c->y[g];
                size_t pos = cur[y]++;
                int loaded = 0;
                for (size_t q = b0; q < b1; q++) {
                    cl_pair *pr = &c->pairs[tie[q]];
                    if (tie[q] < c->pstart[y] || tie[q] >= c->pstart[y + 1]) continue;
                    if (!loaded) { cl_load_row(&w, i, row); loaded = 1; }
                    buf[bofs[q] + pos] = -(row[pr->j] - row[y]);
                    ex[bofs[q] + pos] = (uint32_t)g;
                }
            }
        }
        for (size_t q = b0; q < b1; q++) {
            cl_pair *pr = &c->pairs[tie[q]];
            size_t cls = 0;
            for (size_t j = 0; j < k; j++) if (tie[q] >= c->pstart[j] && tie[q] < c->pstart[j + 1]) cls = j;
            size_t nk = (size_t)c->res->counts[cls];
            cl_argsort_par(buf + bofs[q], nk, idx, c->o->threads);
            for (size_t r = 0; r < pr->c && r < nk; r++) c->res->flags[ex[bofs[q] + idx[r]]] |= CL_F_PBNR;
        }
        b0 = b1;
    }
done:
    free(row); free(cur); free(buf); free(ex); free(idx); free(bofs);
    return rc;
}

/* The pairs of section 10.4 from P, with their buffers (pstart, pairs,
 * lvl, pj, cmin, hv, hi): *np_out pairs. 0 or a status. */
static int cl_pairs_build(cl_ctx *c, const int64_t *P, size_t *np_out, la_error *err)
{
    size_t k = c->k, np = 0, tot = 0;
    const int64_t *cnt = c->res->counts;
    *np_out = 0;
    c->pstart = la_calloc(k + 1, sizeof *c->pstart);
    if (!c->pstart) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t kk = 0; kk < k; kk++) {
        c->pstart[kk] = np;
        if (!(cnt[kk] > c->o->nmin && cnt[kk] >= 2)) continue;
        for (size_t j = 0; j < k; j++)
            if (j != kk && P[j * k + kk] > 0) np++;
    }
    c->pstart[k] = np;
    c->pairs = la_calloc(np + 1, sizeof *c->pairs);
    c->lvl = la_malloc_array(np + 1, sizeof *c->lvl);
    c->pj = la_malloc_array(np + 1, sizeof *c->pj);
    if (!c->pairs || !c->lvl || !c->pj) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t q = 0;
    for (size_t kk = 0; kk < k; kk++) {
        if (!(cnt[kk] > c->o->nmin && cnt[kk] >= 2)) continue;
        for (size_t j = 0; j < k; j++) {
            if (j == kk || P[j * k + kk] <= 0) continue;
            cl_pair *pr = &c->pairs[q++];
            pr->j = (uint32_t)j;
            pr->cls = (uint32_t)kk;
            pr->c = (uint64_t)P[j * k + kk] < (uint64_t)cnt[kk] ? (size_t)P[j * k + kk] : (size_t)cnt[kk];
            pr->off = tot;
            pr->max_rej = -INFINITY;
            pr->floor = -INFINITY;
            c->lvl[q - 1] = -INFINITY;
            c->pj[q - 1] = (uint32_t)j;
            pr->cap = 2 * pr->c + 16;
            tot += pr->cap;
        }
    }
    if (np == 0) return 0;
    c->cmin = la_malloc_array(k, sizeof *c->cmin);
    if (!c->cmin) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t j = 0; j < k; j++) c->cmin[j] = -INFINITY;
    c->hv = la_big_alloc(tot + 1, sizeof *c->hv);
    c->hi = la_big_alloc(tot + 1, sizeof *c->hi);
    if (!c->hv || !c->hi) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    *np_out = np;
    return 0;
}

/* Pass 3 again without floors, every pair emptied first (a floor was above
 * its pair's final cut). */
static int cl_pairs_unfloor(cl_ctx *c, size_t np, la_error *err)
{
    for (size_t p = 0; p < np; p++) {
        cl_pair *pr = &c->pairs[p];
        pr->size = 0;
        pr->full = 0;
        pr->max_rej = pr->floor = -INFINITY;
        c->lvl[p] = -INFINITY;
    }
    for (size_t j = 0; j < c->k; j++) c->cmin[j] = -INFINITY;
    c->no_floors = 1;
    c->res->floor_passes++;
    return cl_pass(c, 3, err);
}

/* Section 10.4 with top-c buffers (pass 3) and exact tie resolution. */
static int cl_prune_by_noise_rate(cl_ctx *c, const int64_t *P, la_error *err)
{
    size_t np;
    int rc = cl_pairs_build(c, P, &np, err);
    if (rc || np == 0) return rc;
    if ((rc = cl_pass(c, 3, err))) return rc;
    int refloor = 0;
    for (size_t p = 0; p < np; p++) {
        cl_pair *pr = &c->pairs[p];
        if (pr->size > pr->c) cl_pair_compact(c, pr);
        if (pr->size < pr->c) refloor = 1;   /* a floor above the final cut */
    }
    if (refloor && (rc = cl_pairs_unfloor(c, np, err))) return rc;
    size_t *tie = la_malloc_array(np + 1, sizeof *tie), nt = 0;
    if (!tie) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t p = 0; p < np; p++) {
        cl_pair *pr = &c->pairs[p];
        /* a tie at the cut: some value equal to the c-th largest was left out */
        if (pr->size > pr->c) cl_pair_compact(c, pr);
        if (pr->full && pr->max_rej == pr->thr) {
            tie[nt++] = p;
            continue;
        }
        for (size_t r = 0; r < pr->size; r++) c->res->flags[c->hi[pr->off + r]] |= CL_F_PBNR;
    }
    free(c->hv); c->hv = NULL;
    free(c->hi); c->hi = NULL;
    if (nt) rc = cl_resolve_ties(c, tie, nt, err);
    free(tie);
    return rc;
}

/* Section 10.8: flag the m lowest of s (index order) over the dataset. */
static int cl_low_filter(cl_ctx *c, const double *s, int64_t m, la_error *err)
{
    uint32_t *idx = la_big_alloc(c->n + 1, sizeof *idx);
    if (!idx) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    cl_argsort_par(s, c->n, idx, c->o->threads);
    for (int64_t q = 0; q < m && (size_t)q < c->n; q++) c->res->flags[idx[q]] |= CL_F_ISSUE;
    free(idx);
    return 0;
}

/* Self-confidences in index order, from the grouped array. */
static double *cl_sc_index_order(cl_ctx *c)
{
    double *s = la_big_alloc(c->n + 1, sizeof *s);
    size_t *cur = la_calloc(c->k + 1, sizeof *cur);
    if (!s || !cur) { free(s); free(cur); return NULL; }
    for (size_t j = 0; j < c->k; j++) cur[j] = c->goff[j];
    for (size_t i = 0; i < c->n; i++) s[i] = c->sc_g[cur[c->y[i]]++];
    free(cur);
    return s;
}

/* The ranking's gather: rank q takes the flagged example ranked[q] (an
 * index into the m flagged ones, fi) with its score and labels. Random
 * reads, so split over threads. */
typedef struct cl_reorder {
    cl_result      *res;
    const double   *fs;
    const uint32_t *fi;
    const int32_t  *gy;   /* given labels, then suggested ones (2m)         */
    size_t          m;
} cl_reorder;

static void cl_reorder_part(void *ctx, int t, int T)
{
    cl_reorder *ro = ctx;
    cl_result *res = ro->res;
    size_t q0 = ro->m * (size_t)t / (size_t)T, q1 = ro->m * (size_t)(t + 1) / (size_t)T;
    for (size_t q = q0; q < q1; q++) {
        uint32_t r = res->ranked[q];
        res->ranked_score[q] = ro->fs[r];
        res->ranked_given[q] = ro->gy[r];
        res->ranked_suggested[q] = ro->gy[ro->m + r];
        res->ranked[q] = ro->fi[r];
    }
}

static void cl_spec_free(cl_ctx *c)
{
    for (int t = 0; c->sp && t < c->sp_threads; t++) { free(c->sp[t].buf); free(c->sp[t].cj); }
    free(c->sp); free(c->sp_lo); free(c->sp_hi); free(c->sp_lof); free(c->sp_hif); free(c->sp_maxlo); free(c->sp_minhi);
    free(c->sp_s1); free(c->sp_s2); free(c->sp_seen);
    c->sp_lof = c->sp_hif = NULL;
    c->sp = NULL; c->sp_lo = c->sp_hi = c->sp_maxlo = c->sp_minhi = c->sp_s1 = c->sp_s2 = NULL;
    c->sp_seen = NULL;
    c->sp_threads = 0;
}

static int cl_alloc_result(cl_result *r, size_t n, size_t k)
{
    r->n = n;
    r->k = k;
    r->counts = la_calloc(k, sizeof *r->counts);
    r->thresholds = la_calloc(k, sizeof *r->thresholds);
    r->cj = la_calloc(k * k, sizeof *r->cj);
    r->cjc = la_calloc(k * k, sizeof *r->cjc);
    r->joint = la_calloc(k * k, sizeof *r->joint);
    r->py = la_calloc(k, sizeof *r->py);
    r->nm = la_calloc(k * k, sizeof *r->nm);
    r->inv = la_calloc(k * k, sizeof *r->inv);
    r->py_raw = la_calloc(k, sizeof *r->py_raw);
    r->nm_raw = la_calloc(k * k, sizeof *r->nm_raw);
    r->inv_raw = la_calloc(k * k, sizeof *r->inv_raw);
    r->class_off_diagonal = la_calloc(k, sizeof(int64_t));
    r->class_flagged = la_calloc(k, sizeof(int64_t));
    r->class_quality = la_calloc(k, sizeof *r->class_quality);
    r->overlap = la_calloc(k * (k - 1) / 2 + 1, sizeof *r->overlap);
    r->flags = la_big_alloc(n + 1, 1);
    r->suggested = la_big_alloc(n + 1, sizeof *r->suggested);
    if (r->flags) memset(r->flags, 0, n + 1);
    return r->counts && r->thresholds && r->cj && r->cjc && r->joint && r->py && r->nm && r->inv &&
           r->py_raw && r->nm_raw && r->inv_raw && r->class_off_diagonal && r->class_flagged &&
           r->class_quality && r->overlap && r->flags && r->suggested ? 0 : -1;
}

/* Frees everything cl_run's context owns (not the result). */
static void cl_ctx_free(cl_ctx *c)
{
    free(c->goff); free(c->sc_g); free(c->rankv); free(c->post); free(c->post_alt); free(c->post_altp); free(c->mb); free(c->thr_m); free(c->pstart); free(c->pairs);
    free(c->cmin); free(c->lvl); free(c->pj); free(c->hv); free(c->hi);
    c->goff = c->pstart = NULL; c->sc_g = c->rankv = c->post = c->thr_m = c->cmin = c->lvl = c->hv = NULL;
    c->pairs = NULL; c->pj = c->hi = NULL;
    c->mb = NULL;
    c->post_alt = NULL; c->post_altp = NULL;
    cl_spec_free(c);
}

static int cl_oom(la_error *err)
{
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}

/* Across ranks (the end of this file): each returns the status every rank
 * agreed on, so all ranks stop together. */
static int cl_dist_counts(cl_ctx *c, int rc, la_error *err);
static int cl_dist_pass1(cl_ctx *c, int rc, double *sums, la_error *err);
static int cl_dist_joint(cl_ctx *c, int rc, la_error *err);
static int cl_dist_finish(cl_ctx *c, la_error *err);
static size_t cl_dist_lcount(const cl_ctx *c, size_t j);
static void cl_dist_rank_scores(cl_ctx *c);
static void cl_dist_free(cl_ctx *c);
static cl_dist *cl_dist_new(void);

/* Rows over all ranks. */
static size_t cl_rows_all(const cl_ctx *c)
{
    return c->o->coll ? c->o->n_all : c->n;
}

/* Step 0: refuses unusable shapes and labels, allocates the result and the
 * context's per-example arrays, counts the given labels and decides whether
 * pass 2 can be folded into pass 1. */
static int cl_setup(cl_ctx *c, la_error *err)
{
    size_t n = c->n, k = c->k;
    const cl_opts *o = c->o;
    cl_result *res = c->res;
    const char *path = c->rd->path;
    int rc;
    if (cl_rows_all(c) == 0) return la_error_set(err, LA_EUSAGE, path, 0, "no examples");
    if (cl_rows_all(c) >= UINT32_MAX) return la_error_set(err, LA_EUSAGE, path, 0, "too many examples (limit 2^32 - 1)");
    if (k < 2) return la_error_set(err, LA_EUSAGE, path, 0, "need at least 2 classes (columns), found %zu", k);
    /* about a dozen K x K double matrices: refuse before trying to allocate them */
    if (k > 16384) return la_error_set(err, LA_EUSAGE, path, 0, "%zu classes (columns): more than the 16384 supported "
                                       "(each K x K matrix would need %.1f GB)", k, (double)k * (double)k * 8 / 1e9);
    rc = cl_alloc_result(res, n, k) ? la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory (N = %zu examples, "
                                                   "K = %zu classes)", n, k) : 0;
    if (!rc && c->o->keep_rank_scores && !(res->suggested_p = la_big_alloc(n + 1, sizeof *res->suggested_p)))
        rc = cl_oom(err);
    for (size_t i = 0; !rc && i < n; i++) res->counts[c->y[i]]++;
    if (c->d) rc = cl_dist_counts(c, rc, err);   /* the counts of all ranks */
    if (rc) return rc;
    size_t distinct = 0;
    for (size_t j = 0; j < k; j++) distinct += res->counts[j] > 0;
    /* cleanlab's find_label_issues accepts a single class only when every
     * label is 0 (quirk 10); num_label_issues never does, so neither do the
     * low_* filters, which need it. */
    if (distinct < 2) {
        if (res->counts[0] != (int64_t)cl_rows_all(c) || o->filter == CL_LOW_NORMALIZED_MARGIN ||
            o->filter == CL_LOW_SELF_CONFIDENCE || o->filter == CL_NOISE_POSTERIOR)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "labels must contain at least 2 classes (found %zu)", distinct);
        res->single_class = 1;
    }
    c->goff = la_calloc(k + 1, sizeof *c->goff);
    c->sc_g = la_big_alloc(n, sizeof *c->sc_g);
    c->thr_m = la_calloc(k, sizeof *c->thr_m);
    if (!c->goff || !c->sc_g || !c->thr_m) return cl_oom(err);
    for (size_t j = 0; j < k; j++) c->goff[j + 1] = c->goff[j] + (c->d ? cl_dist_lcount(c, j) : (size_t)res->counts[j]);
    c->log_k = log((double)k);
    c->avx2 = !o->no_simd && cl_cpu_avx2();
    /* A second per-example score is kept only when needed. */
    int need_nm = o->filter == CL_LOW_NORMALIZED_MARGIN;
    c->rank_kind = need_nm ? CL_NORMALIZED_MARGIN : (int)o->rank;
    if (need_nm || o->rank != CL_SELF_CONFIDENCE) {
        c->rankv = la_big_alloc(n, sizeof *c->rankv);
        if (!c->rankv) return cl_oom(err);
    }
    if (o->filter == CL_NOISE_POSTERIOR &&
        (!(c->post = la_big_alloc(n + 1, sizeof *c->post)) || !(c->post_alt = la_big_alloc(n + 1, sizeof *c->post_alt)) ||
         !(c->post_altp = la_big_alloc(n + 1, sizeof *c->post_altp))))
        return cl_oom(err);
    if (o->filter == CL_PRUNE_BY_NOISE_RATE || o->filter == CL_BOTH) {
        c->mb = la_big_alloc(n, sizeof *c->mb);
        if (!c->mb) return cl_oom(err);
    }
    /* Pass 2 folded into pass 1 when possible (cl_spec_row): not with a
     * score sink (pass 2 writes the scores) nor for large K (k x k counts
     * per thread); at most 4 bytes per example + 16 MB of records. */
    if (!o->sink && k <= 1024) {
        c->sp_threads = o->threads < 1 ? 1 : o->threads > 256 ? 256 : o->threads;
        c->sp = la_calloc((size_t)c->sp_threads, sizeof *c->sp);
        c->sp_lo = la_malloc_array(k, sizeof *c->sp_lo);
        c->sp_hi = la_malloc_array(k, sizeof *c->sp_hi);
        c->sp_lof = la_malloc_array(k, sizeof *c->sp_lof);
        c->sp_hif = la_malloc_array(k, sizeof *c->sp_hif);
        c->sp_maxlo = la_malloc_array(k, sizeof *c->sp_maxlo);
        c->sp_minhi = la_malloc_array(k, sizeof *c->sp_minhi);
        c->sp_s1 = la_calloc(k, sizeof *c->sp_s1);
        c->sp_s2 = la_calloc(k, sizeof *c->sp_s2);
        c->sp_seen = la_malloc_array(k, sizeof *c->sp_seen);
        c->spec = c->sp && c->sp_lo && c->sp_hi && c->sp_lof && c->sp_hif && c->sp_maxlo && c->sp_minhi && c->sp_s1 && c->sp_s2 && c->sp_seen;
        for (size_t j = 0; c->spec && j < k; j++) {
            c->sp_maxlo[j] = -INFINITY;
            c->sp_minhi[j] = INFINITY;
            c->sp_seen[j] = c->goff[j];
        }
        for (int t = 0; c->spec && t < c->sp_threads; t++)
            if (!(c->sp[t].cj = la_calloc(k * k, sizeof *c->sp[t].cj))) c->spec = 0;
        c->sp_budget = (n + (4u << 20)) / (size_t)c->sp_threads;
    }
    return 0;
}

/* Step 1: pass 1, then thresholds t_k = max(MEAN_{y_i = k} p_ik, 2 CL_TOL)
 * (2 when n_k = 0). Sets *spec_ok when the folded pass 2 held. */
static int cl_step_thresholds(cl_ctx *c, int *spec_ok, la_error *err)
{
    cl_result *res = c->res;
    double *sums = c->d ? la_calloc(c->k + 1, sizeof *sums) : NULL;
    int rc = cl_pass(c, 1, err);
    if (c->d) rc = cl_dist_pass1(c, rc, sums, err);   /* exact class sums of all ranks */
    if (rc) { free(sums); return rc; }
    for (size_t j = 0; j < c->k; j++) {
        double s = sums ? sums[j] : res->counts[j] ? cl_sum(c->sc_g + c->goff[j], (size_t)res->counts[j]) : 0;
        double t = res->counts[j] ? s / (double)res->counts[j] : 2.0;
        res->thresholds[j] = fmax(t, CL_THRESHOLD_MIN);
        c->thr_m[j] = res->thresholds[j] - CL_TOL;
        if (j == 0 || res->thresholds[j] > c->tmax) c->tmax = res->thresholds[j];
    }
    free(sums);
    if (c->o->rank == CL_CW_ENTROPY && res->cwe_refused)
        return la_error_set(err, LA_EUSAGE, c->rd->path, 0,
                            "ranking by confidence_weighted_entropy needs every probability in [0, 1] exactly "
                            "(some lie within the 1e-6 tolerance outside it)");
    *spec_ok = c->spec && cl_spec_resolve(c);
    res->folded = *spec_ok;
    c->spec = 0;
    cl_spec_free(c);
    return 0;
}

/* Step 2: pass 2 (unless folded) for the confident joint, then every K x K
 * estimate (sections 5-7, 11) and the off-diagonal counts (section 9). */
static int cl_step_joint(cl_ctx *c, int spec_ok, la_error *err)
{
    size_t n = cl_rows_all(c), k = c->k;
    cl_result *res = c->res;
    int rc = spec_ok ? 0 : cl_pass(c, 2, err);
    if (c->d) rc = cl_dist_joint(c, rc, err);   /* the sum of every rank's joint */
    if (rc) return rc;
    for (size_t j = 0; j < k; j++) res->cj[j * k + j] = res->cj[j * k + j] < 1 ? 1 : res->cj[j * k + j];
    cl_calibrate(res->cj, res->counts, k, res->cjc);
    cl_joint(res->cjc, k, res->joint);
    if (cl_estimate_latent(res->cjc, res->counts, k, 1, res->py, res->nm, res->inv) ||
        cl_estimate_latent(res->cjc, res->counts, k, 0, res->py_raw, res->nm_raw, res->inv_raw) ||
        cl_class_quality_table(res->joint, k, n, res->class_quality) ||
        cl_overlapping_classes(res->joint, k, n, res->overlap))
        return cl_oom(err);
    for (size_t i = 0; i < c->n; i++)
        if ((res->flags[i] & (CL_F_OFFDIAG | CL_F_FORGIVEN)) == CL_F_OFFDIAG) {
            res->num_off_diagonal++;
            res->class_off_diagonal[c->y[i]]++;
        }
    if (c->d && ((rc = la_coll_agree(c->o->coll, 0, err)) ||
                 (rc = la_coll_sum_i64(c->o->coll, &res->num_off_diagonal, 1, err)) ||
                 (rc = la_coll_sum_i64(c->o->coll, res->class_off_diagonal, k, err))))
        return rc;
    res->num_off_diagonal_calibrated = cl_num_issues_calibrated(res->cj, res->counts, k, n);
    res->health = 1 - (double)res->num_off_diagonal / (double)n;
    return 0;
}

/* Step 3: pass 3 and the chosen filter (section 10), then one sweep: the
 * filter's mask (the flags holding every bit of `need`), forgiveness (10.1,
 * except for the low_* filters), the flagged counts. */
static int cl_step_filter(cl_ctx *c, la_error *err)
{
    size_t k = c->k;
    const cl_opts *o = c->o;
    cl_result *res = c->res;
    cl_filter f = o->filter;
    int rc = 0;
    if (f == CL_PRUNE_BY_NOISE_RATE || f == CL_PRUNE_BY_CLASS || f == CL_BOTH) {
        int64_t *P = la_calloc(k * k, sizeof *P);
        if (!P || cl_prune_matrix_ex(o->prune_joint ? o->prune_joint : res->cjc, res->counts, k, o->frac_noise, o->remove, o->nmin, o->corrected, P))
            rc = cl_oom(err);
        if (!rc && f != CL_PRUNE_BY_NOISE_RATE) rc = cl_prune_by_class(c, P, err);
        if (!rc && f != CL_PRUNE_BY_CLASS && !c->pbnr_done) rc = cl_prune_by_noise_rate(c, P, err);
        free(P);
    } else if (f == CL_LOW_SELF_CONFIDENCE) {
        double *s = cl_sc_index_order(c);
        rc = s ? cl_low_filter(c, s, res->num_off_diagonal, err) : cl_oom(err);
        free(s);
    } else if (f == CL_LOW_NORMALIZED_MARGIN) {
        rc = cl_low_filter(c, c->rankv, res->num_off_diagonal, err);
    } else if (f == CL_NOISE_POSTERIOR) {
        /* the low_* filters' count, ranked by the posterior (cl_stage_posterior) */
        rc = cl_low_filter(c, c->post, res->num_off_diagonal, err);
    }
    if (rc) return rc;
    uint8_t need = f == CL_PRUNE_BY_CLASS ? CL_F_PBC : f == CL_PRUNE_BY_NOISE_RATE ? CL_F_PBNR
                 : f == CL_BOTH ? (CL_F_PBC | CL_F_PBNR) : f == CL_CONFIDENT_LEARNING ? CL_F_OFFDIAG
                 : f == CL_PREDICTED_NEQ_GIVEN ? CL_F_PRED_NEQ : CL_F_ISSUE;
    uint8_t forgive = f == CL_LOW_SELF_CONFIDENCE || f == CL_LOW_NORMALIZED_MARGIN || f == CL_NOISE_POSTERIOR
                      ? 0 : CL_F_FORGIVEN;
    for (size_t i = 0; i < c->n; i++) {
        uint8_t fl = res->flags[i];
        int issue = (fl & need) == need && !(fl & forgive);
        res->flags[i] = (uint8_t)((fl & ~(CL_F_PBC | CL_F_PBNR | CL_F_ISSUE)) | (issue ? CL_F_ISSUE : 0));
        res->n_flagged += (size_t)issue;
        res->class_flagged[c->y[i]] += issue;
    }
    return 0;
}

/* The rank score of every example for step 4, in index order: c->rankv when
 * it holds the ranking's score, the self-confidences reordered when every
 * score is wanted (*owned set), or NULL: the self-confidences stay grouped by
 * class (saves 8 bytes per example). Runs one more pass 1 when rankv held
 * margins for the low_normalized_margin filter but another score ranks. */
static int cl_rank_scores(cl_ctx *c, const double **rs, double **owned, la_error *err)
{
    const cl_opts *o = c->o;
    cl_result *res = c->res;
    size_t n = c->n;
    *rs = NULL;
    *owned = NULL;
    if (o->filter == CL_LOW_NORMALIZED_MARGIN && o->rank != CL_NORMALIZED_MARGIN) {
        free(c->rankv);
        c->rankv = NULL;
    }
    if (c->d) cl_dist_rank_scores(c);   /* rank 0: the scores gathered from every rank */
    if (c->rankv) { *rs = c->rankv; return 0; }
    if (o->rank == CL_SELF_CONFIDENCE) {
        if (o->keep_rank_scores && !(*rs = *owned = cl_sc_index_order(c))) return cl_oom(err);
        return 0;
    }
    c->rankv = la_malloc_array(n, sizeof *c->rankv);
    uint8_t *save = la_malloc_array(n + 1, 1);
    if (!c->rankv || !save) { free(save); return cl_oom(err); }
    c->rank_kind = (int)o->rank;
    memcpy(save, res->flags, n);
    int rc = cl_pass(c, 1, err);
    memcpy(res->flags, save, n);
    free(save);
    *rs = c->rankv;
    return rc;
}

/* Step 4, the ranking (10.10): flagged indices in index order, ASORT of
 * their scores, then their scores and labels gathered in rank order. */
static int cl_step_rank(cl_ctx *c, la_error *err)
{
    size_t n = c->n, k = c->k;
    const cl_opts *o = c->o;
    cl_result *res = c->res;
    const double *rs;
    double *owned;
    int rc = cl_rank_scores(c, &rs, &owned, err);
    if (rc) return rc;
    if (c->post_alt) cl_posterior_suggest(c);
    res->ranked = la_big_alloc(res->n_flagged + 1, sizeof *res->ranked);
    res->ranked_score = la_big_alloc(res->n_flagged + 1, sizeof *res->ranked_score);
    double *fs = la_big_alloc(res->n_flagged + 1, sizeof *fs);
    uint32_t *fi = la_big_alloc(res->n_flagged + 1, sizeof *fi);
    size_t *cur = rs ? NULL : la_calloc(k + 1, sizeof *cur);
    int32_t *gy = NULL;
    if (!res->ranked || !res->ranked_score || !fs || !fi || (!rs && !cur)) { rc = cl_oom(err); goto done; }
    size_t m = 0;
    if (rs) {
        for (size_t i = 0; i < n; i++)
            if (res->flags[i] & CL_F_ISSUE) { fi[m] = (uint32_t)i; fs[m] = rs[i]; m++; }
    } else {
        for (size_t j = 0; j < k; j++) cur[j] = c->goff[j];
        for (size_t i = 0; i < n; i++) {
            size_t pos = cur[c->y[i]]++;
            if (res->flags[i] & CL_F_ISSUE) { fi[m] = (uint32_t)i; fs[m] = c->sc_g[pos]; m++; }
        }
    }
    cl_argsort_par(fs, m, res->ranked, o->threads);
    /* labels of the flagged examples gathered in index order first, so the
     * reordering below touches m-sized arrays, not n-sized ones at random */
    res->ranked_given = la_big_alloc(m + 1, sizeof *res->ranked_given);
    res->ranked_suggested = la_big_alloc(m + 1, sizeof *res->ranked_suggested);
    gy = la_big_alloc(2 * m + 1, sizeof *gy);
    if (!res->ranked_given || !res->ranked_suggested || !gy) { rc = cl_oom(err); goto done; }
    for (size_t q = 0; q < m; q++) { gy[q] = c->y[fi[q]]; gy[m + q] = res->suggested[fi[q]]; }
    cl_reorder ro = {res, fs, fi, gy, m};
    la_par_run(o->threads, cl_reorder_part, &ro);
    if (o->keep_rank_scores) {
        res->quality = la_malloc_array(n + 1, sizeof *res->quality);
        if (!res->quality) { rc = cl_oom(err); goto done; }
        memcpy(res->quality, rs, n * sizeof *rs);
    }
done:
    free(fs); free(fi); free(gy); free(cur); free(owned);
    return rc;
}

int cl_run(size_t n, size_t k, const int32_t *y, const cl_reader *rd, const cl_opts *o,
           cl_result *res, la_error *err)
{
    assert(y && rd && rd->read && o && res && err);
    assert(rd->elem == 4 || rd->elem == 8);
    cl_ctx c = {.n = n, .k = k, .y = y, .o = o, .rd = rd, .res = res, .g0 = o->coll ? o->row0 : 0};
    int rc, spec_ok = 0;
    memset(res, 0, sizeof *res);
    if (o->coll && !(c.d = cl_dist_new())) { rc = cl_oom(err); goto fail; }
    if ((rc = cl_setup(&c, err))) goto fail;
    double t0 = la_now();
    if ((rc = cl_step_thresholds(&c, &spec_ok, err))) goto fail;
    res->seconds[0] = la_now() - t0;
    t0 = la_now();
    if ((rc = cl_step_joint(&c, spec_ok, err))) goto fail;
    /* every rank knows the noise matrix now: the posterior of its rows */
    if (o->filter == CL_NOISE_POSTERIOR && (rc = cl_pass(&c, 5, err))) goto fail;
    res->seconds[1] = la_now() - t0;
    t0 = la_now();
    /* across ranks: the passes over this rank's rows, then rank 0 alone
     * on the gathered per-example arrays (non-root ranks stop here) */
    if (c.d && (rc = cl_dist_finish(&c, err))) goto fail;
    if (c.d && la_coll_rank(o->coll) != 0) goto done;
    if ((rc = cl_step_filter(&c, err))) goto fail;
    res->seconds[2] = la_now() - t0;
    t0 = la_now();
    if ((rc = cl_step_rank(&c, err))) goto fail;
    res->seconds[3] = la_now() - t0;
done:
    cl_dist_free(&c);
    cl_ctx_free(&c);
    return 0;
fail:
    cl_dist_free(&c);
    cl_ctx_free(&c);
    cl_result_free(res);
    return rc ? rc : LA_EINTERNAL;
}

void cl_result_free(cl_result *r)
{
    free(r->counts); free(r->thresholds); free(r->cj); free(r->cjc); free(r->joint);
    free(r->py); free(r->nm); free(r->inv); free(r->py_raw); free(r->nm_raw); free(r->inv_raw);
    free(r->class_off_diagonal); free(r->class_flagged); free(r->class_quality); free(r->overlap);
    free(r->flags); free(r->suggested); free(r->suggested_p); free(r->ranked); free(r->ranked_score); free(r->quality);
    free(r->ranked_given); free(r->ranked_suggested);
    memset(r, 0, sizeof *r);
}

/* ---- across ranks (cl_opts.coll) ----------------------------------------
 * Every rank runs the passes over its own rows; what crosses ranks, in
 * order (each preceded by la_coll_agree, so a failing rank stops all):
 *   1. the label counts (k int64, summed: exact);
 *   2. the thresholds' class sums: cl_sum over a class's self-confidences in
 *      global index order is the in-order sum of pairwise sums of 8192-value
 *      blocks of that array; a rank sends the pairwise sum of each block
 *      wholly inside its part and the raw values of the blocks it shares
 *      with a neighbour (at most two per class), and rank 0 rebuilds every
 *      block sum and adds them in block order: the same double as one
 *      process for any split;
 *   3. the confident joint (k x k int64 summed), off-diagonal counts and
 *      the confidence_weighted_entropy refusal;
 *   4. the per-example arrays (label, flags, argmax, self-confidence, rank
 *      scores: at most 25 bytes an example) gathered at rank 0 in row order;
 *   5. prune_by_noise_rate: each rank's top-c margins per (given, true) pair
 *      with their global indices and its largest rejected margin, merged at
 *      rank 0 (the union of the ranks' top c holds the global top c); a
 *      pair tied at its cut gets its whole margin vector gathered in index
 *      order and sorted with numpy's argsort, as one process does.
 * Rank 0 then runs prune_by_class, the low_* filters and the ranking on the
 * gathered arrays exactly as one process would. Floors (cl_pair_floors) are
 * off across ranks: each rank's first chunk is not the file's.
 */
struct cl_dist {
    int64_t  *lcount;     /* k: this rank's rows per class                  */
    /* rank 0, from step 4 until they move into the context: */
    int32_t  *y, *sugg;   /* N labels, N argmax                             */
    double   *sugp;       /* N argmax probabilities (keep_rank_scores)      */
    uint8_t  *flags;      /* N flags                                        */
    double   *sc;         /* N self-confidences, index order                */
    double   *rankv;      /* N scores of c->rankv's kind, or NULL           */
    double   *rank_pre;   /* N ranking scores of a second pass 1, or NULL   */
    double   *post;       /* N noise posteriors (noise_posterior), or NULL   */
    int32_t  *post_alt;   /* N of cl_ctx.post_alt, with post                 */
    double   *post_altp;
    double   *lrank;      /* this rank's ranking scores of that pass        */
};

static cl_dist *cl_dist_new(void)
{
    return la_calloc(1, sizeof(cl_dist));
}

static void cl_dist_free(cl_ctx *c)
{
    cl_dist *d = c->d;
    if (!d) return;
    if (c->y == d->y) c->y = NULL;
    free(d->lcount); free(d->y); free(d->sugg); free(d->sugp); free(d->flags); free(d->sc); free(d->rankv);
    free(d->rank_pre); free(d->lrank); free(d->post); free(d->post_alt); free(d->post_altp);
    free(d);
    c->d = NULL;
}

static size_t cl_dist_lcount(const cl_ctx *c, size_t j)
{
    return (size_t)c->d->lcount[j];
}

static void cl_dist_rank_scores(cl_ctx *c)
{
    if (!c->d->rank_pre) return;
    free(c->rankv);
    c->rankv = c->d->rank_pre;
    c->d->rank_pre = NULL;
    c->rank_kind = (int)c->o->rank;
}

static int cl_dist_counts(cl_ctx *c, int rc, la_error *err)
{
    size_t k = c->k;
    if (!rc && !(c->d->lcount = la_calloc(k, sizeof *c->d->lcount))) rc = cl_oom(err);
    if ((rc = la_coll_agree(c->o->coll, rc, err))) return rc;
    memcpy(c->d->lcount, c->res->counts, k * sizeof *c->res->counts);
    return la_coll_sum_i64(c->o->coll, c->res->counts, k, err);
}

enum { CL_BLOCK = 8192 };   /* cl_sum's block (cl.c) */

/* Block t of a class of nk values: [t B, min((t + 1) B, nk)). A rank's
 * values [o, o + m) of the class contribute to block t either its sum (the
 * block lies inside) or their raw values; *kind 1 for a sum. Returns the
 * number of doubles contributed. */
static size_t cl_block_part(size_t t, size_t nk, size_t o, size_t m, size_t *a, size_t *b, int *kind)
{
    size_t lo = t * CL_BLOCK, hi = lo + CL_BLOCK < nk ? lo + CL_BLOCK : nk;
    *a = lo > o ? lo : o;
    *b = hi < o + m ? hi : o + m;
    if (*a >= *b) { *kind = 0; return 0; }
    *kind = *a == lo && *b == hi;
    return *kind ? 1 : *b - *a;
}

/* Step 2 of the list above: sums[j] = cl_sum(class j's values in global
 * order) on every rank. off: size x k global starts of each rank's part. */
static int cl_dist_class_sums(cl_ctx *c, double *sums, la_error *err)
{
    const la_collective *co = c->o->coll;
    size_t k = c->k, R = (size_t)co->size, me = (size_t)co->rank;
    int64_t *off = NULL, *lc = NULL;
    double *msg = NULL, *all = NULL, *blk = NULL;
    size_t *lens = la_calloc(R, sizeof *lens), *cur = la_calloc(R, sizeof *cur);
    int rc = lens && cur ? 0 : cl_oom(err);
    /* every rank's counts, to rank 0, which makes each part's start */
    if ((rc = la_coll_agree(co, rc, err)) ||
        (rc = la_coll_gather(co, c->d->lcount, k * sizeof *lc, (void **)&lc, NULL, err)))
        goto done;
    if (!(off = la_calloc(R * k, sizeof *off))) rc = cl_oom(err);
    if (!rc && me == 0)
        for (size_t r = 1; r < R; r++)
            for (size_t j = 0; j < k; j++) off[r * k + j] = off[(r - 1) * k + j] + lc[(r - 1) * k + j];
    if ((rc = la_coll_agree(co, rc, err)) || (rc = la_coll_bcast(co, off, R * k * sizeof *off, err))) goto done;
    /* this rank's message: per class, per block it touches, a sum or values */
    size_t len = 0, a, b;
    int kind;
    for (size_t j = 0; j < k; j++) {
        size_t nk = (size_t)c->res->counts[j], o = (size_t)off[me * k + j], m = cl_dist_lcount(c, j);
        for (size_t t = o / CL_BLOCK; m && t * CL_BLOCK < o + m; t++) len += cl_block_part(t, nk, o, m, &a, &b, &kind);
    }
    if (!(msg = la_malloc_array(len + 1, sizeof *msg))) rc = cl_oom(err);
    for (size_t j = 0, q = 0; !rc && j < k; j++) {
        size_t nk = (size_t)c->res->counts[j], o = (size_t)off[me * k + j], m = cl_dist_lcount(c, j);
        const double *x = c->sc_g + c->goff[j] - o;   /* x[g]: global class position g */
        for (size_t t = o / CL_BLOCK; m && t * CL_BLOCK < o + m; t++) {
            if (!cl_block_part(t, nk, o, m, &a, &b, &kind)) continue;
            if (kind) msg[q++] = cl_sum(x + a, b - a);
            else { memcpy(msg + q, x + a, (b - a) * sizeof *msg); q += b - a; }
        }
    }
    if ((rc = la_coll_agree(co, rc, err)) ||
        (rc = la_coll_gather(co, msg, len * sizeof *msg, (void **)&all, lens, err)))
        goto done;
    if (me == 0) {
        /* rank r's message starts at cur[r]; blocks rebuilt in order */
        if (!(blk = la_malloc_array(CL_BLOCK, sizeof *blk))) rc = cl_oom(err);
        for (size_t r = 1; r < R; r++) cur[r] = cur[r - 1] + lens[r - 1] / sizeof *all;
        for (size_t j = 0; !rc && j < k; j++) {
            size_t nk = (size_t)c->res->counts[j];
            double s = 0.0;
            /* s = sum_t pairwise(block t), t in order (cl_sum) */
            for (size_t t = 0; t * CL_BLOCK < nk; t++) {
                double bs = 0.0;
                size_t nb = 0;
                int whole = 0;
                for (size_t r = 0; r < R; r++) {
                    size_t m = (size_t)lc[r * k + j], o = (size_t)off[r * k + j];
                    size_t got = cl_block_part(t, nk, o, m, &a, &b, &kind);
                    if (!got) continue;
                    if (kind) { bs = all[cur[r]]; whole = 1; }
                    else memcpy(blk + nb, all + cur[r], got * sizeof *blk), nb += got;
                    cur[r] += got;
                }
                s += whole ? bs : cl_sum(blk, nb);
            }
            sums[j] = s;
        }
    }
    if (!(rc = la_coll_agree(co, rc, err))) rc = la_coll_bcast(co, sums, k * sizeof *sums, err);
done:
    free(off); free(lc); free(msg); free(all); free(blk); free(lens); free(cur);
    return rc;
}

static int cl_dist_pass1(cl_ctx *c, int rc, double *sums, la_error *err)
{
    if (!rc && !sums) rc = cl_oom(err);
    if ((rc = la_coll_agree(c->o->coll, rc, err))) return rc;
    int64_t refused = c->res->cwe_refused;
    if ((rc = la_coll_sum_i64(c->o->coll, &refused, 1, err))) return rc;
    c->res->cwe_refused = refused > 0;
    return cl_dist_class_sums(c, sums, err);
}

static int cl_dist_joint(cl_ctx *c, int rc, la_error *err)
{
    if ((rc = la_coll_agree(c->o->coll, rc, err))) return rc;
    return la_coll_sum_i64(c->o->coll, c->res->cj, c->k * c->k, err);
}

/* Gathers n_local elements of `size` bytes from every rank into *out
 * (rank 0: N of them, else NULL). */
static int cl_dist_gather(cl_ctx *c, const void *v, size_t size, void **out, la_error *err)
{
    int rc = la_coll_gather(c->o->coll, v, c->n * size, out, NULL, err);
    return la_coll_agree(c->o->coll, rc, err);
}

/* Step 4: the per-example arrays at rank 0 (the ranking's second pass 1
 * first, when the low_normalized_margin filter keeps margins in rankv). */
static int cl_dist_examples(cl_ctx *c, la_error *err)
{
    cl_dist *d = c->d;
    const cl_opts *o = c->o;
    int rc = 0;
    if (o->filter == CL_LOW_NORMALIZED_MARGIN && o->rank == CL_CW_ENTROPY) {
        double *keep = c->rankv;
        uint8_t *save = la_malloc_array(c->n + 1, 1);
        c->rankv = d->lrank = la_malloc_array(c->n + 1, sizeof *c->rankv);
        if (!save || !c->rankv) rc = cl_oom(err);
        else {
            memcpy(save, c->res->flags, c->n);
            c->rank_kind = (int)o->rank;
            rc = cl_pass(c, 1, err);
            memcpy(c->res->flags, save, c->n);
        }
        free(save);
        c->rankv = keep;
        c->rank_kind = CL_NORMALIZED_MARGIN;
    }
    double *sc = rc ? NULL : cl_sc_index_order(c);
    if (!rc && !sc) rc = cl_oom(err);
    if ((rc = la_coll_agree(o->coll, rc, err))) { free(sc); return rc; }
    if (!(rc = cl_dist_gather(c, c->y, sizeof *c->y, (void **)&d->y, err)) &&
        !(rc = cl_dist_gather(c, c->res->flags, 1, (void **)&d->flags, err)) &&
        !(rc = cl_dist_gather(c, c->res->suggested, sizeof *c->res->suggested, (void **)&d->sugg, err)) &&
        !(c->res->suggested_p && (rc = cl_dist_gather(c, c->res->suggested_p, sizeof *c->res->suggested_p,
                                                      (void **)&d->sugp, err))) &&
        !(rc = cl_dist_gather(c, sc, sizeof *sc, (void **)&d->sc, err)) &&
        !(c->rankv && (rc = cl_dist_gather(c, c->rankv, sizeof *c->rankv, (void **)&d->rankv, err))) &&
        !(c->post && (rc = cl_dist_gather(c, c->post, sizeof *c->post, (void **)&d->post, err))) &&
        !(c->post && (rc = cl_dist_gather(c, c->post_alt, sizeof *c->post_alt, (void **)&d->post_alt, err))) &&
        !(c->post && (rc = cl_dist_gather(c, c->post_altp, sizeof *c->post_altp, (void **)&d->post_altp, err))))
        if (d->lrank) rc = cl_dist_gather(c, d->lrank, sizeof *d->lrank, (void **)&d->rank_pre, err);
    free(sc);
    return rc;
}

/* The margins -(p_j - p_y) of this rank's class-`cls` rows for the tied
 * pairs tie[0..nt), one pass: out[q] holds lcount(cls of q) values. */
static int cl_dist_tie_margins(cl_ctx *c, const uint64_t *tie, size_t nt, double **out, la_error *err)
{
    size_t k = c->k, cr = c->rd->chunk_rows ? c->rd->chunk_rows : 4096;
    size_t *at = la_calloc(nt + 1, sizeof *at);
    double *row = la_malloc_array(k + 1, sizeof *row);
    if (!at || !row) { free(at); free(row); return cl_oom(err); }
    int rc = 0;
    for (size_t q = 0; q < nt; q++)
        if (!(out[q] = la_malloc_array(cl_dist_lcount(c, c->pairs[tie[q]].cls) + 1, sizeof **out))) rc = cl_oom(err);
    for (size_t r0 = 0; !rc && r0 < c->n; r0 += cr) {
        size_t nr = c->n - r0 < cr ? c->n - r0 : cr;
        const void *data;
        if ((rc = c->rd->read(c->rd->ctx, r0, nr, &data, err))) break;
        cl_work w = {.c = c, .data = data};
        for (size_t i = 0; i < nr; i++) {
            size_t y = (size_t)c->y[r0 + i];
            int loaded = 0;
            for (size_t q = 0; q < nt; q++) {
                const cl_pair *pr = &c->pairs[tie[q]];
                if (pr->cls != y) continue;
                if (!loaded) { cl_load_row(&w, i, row); loaded = 1; }
                out[q][at[q]++] = -(row[pr->j] - row[y]);
            }
        }
    }
    free(at); free(row);
    return rc;
}

/* Rank 0: the pairs' merged top c (from every rank's candidates in `all`:
 * per rank np x {size, max_rej, floor}, then the values, then the indices,
 * all as doubles) flagged PBNR, or listed in tie[0..*nt) when tied at the
 * cut. *refloor set when some rank's floor lies above its pair's merged
 * cut (or fewer than c values survived): that rank may have dropped one of
 * the top c, so the caller clears the flags and runs pass 3 without floors.
 * Below every rank's floor nothing can be kept or tie, as in one process. */
static int cl_dist_merge_pairs(cl_ctx *c, size_t np, const double *all, const size_t *lens, uint64_t *tie,
                               size_t *nt, int *refloor, la_error *err)
{
    size_t R = (size_t)c->o->coll->size, tot = 0;
    size_t *base = la_calloc(R + 1, sizeof *base), *vat = la_calloc(R + 1, sizeof *vat);
    if (!base || !vat) { free(base); free(vat); return cl_oom(err); }
    for (size_t r = 0; r < R; r++) {
        base[r + 1] = base[r] + lens[r] / sizeof *all;
        size_t sz = 0;
        for (size_t p = 0; p < np; p++) sz += (size_t)all[base[r] + 3 * p];
        vat[r] = sz;   /* this rank's value count: its indices follow its values */
        tot = tot > sz ? tot : sz;
    }
    double *v = la_malloc_array(tot * R + 1, sizeof *v);
    uint32_t *ix = la_malloc_array(tot * R + 1, sizeof *ix);
    size_t *cur = la_calloc(R + 1, sizeof *cur);
    int rc = v && ix && cur ? 0 : cl_oom(err);
    *nt = 0;
    *refloor = 0;
    for (size_t p = 0; !rc && p < np; p++) {
        const cl_pair *pr = &c->pairs[p];
        size_t m = 0;
        double max_rej = -INFINITY, max_floor = -INFINITY;
        for (size_t r = 0; r < R; r++) {
            const double *h = all + base[r];
            size_t sz = (size_t)h[3 * p], v0 = base[r] + 3 * np;
            if (h[3 * p + 1] > max_rej) max_rej = h[3 * p + 1];
            if (h[3 * p + 2] > max_floor) max_floor = h[3 * p + 2];
            for (size_t q = 0; q < sz; q++, m++) {
                v[m] = all[v0 + cur[r] + q];
                ix[m] = (uint32_t)all[v0 + vat[r] + cur[r] + q];
            }
            cur[r] += sz;
        }
        size_t keep = m;
        double thr = INFINITY;
        if (m > pr->c) {   /* the c largest of the union, the rest rejected */
            cl_select_top(v, ix, m, pr->c);
            keep = pr->c;
            for (size_t q = pr->c; q < m; q++) if (v[q] > max_rej) max_rej = v[q];
        }
        for (size_t q = 0; q < keep; q++) if (v[q] < thr) thr = v[q];
        if (m < pr->c || thr < max_floor) { *refloor = 1; break; }
        /* a tie at the cut: a value equal to the c-th largest was left out */
        if (m >= pr->c && max_rej == thr) { tie[(*nt)++] = p; continue; }
        for (size_t q = 0; q < keep; q++) c->d->flags[ix[q]] |= CL_F_PBNR;
    }
    free(base); free(vat); free(v); free(ix); free(cur);
    return rc;
}

/* Rank 0: a tied pair's margins of every rank (class `cls` in index order)
 * sorted with numpy's argsort; the first c flagged. */
static int cl_dist_flag_tie(cl_ctx *c, const cl_pair *pr, const double *mu, size_t N, la_error *err)
{
    size_t nk = (size_t)c->res->counts[pr->cls], m = 0;
    uint32_t *ex = la_malloc_array(nk + 1, sizeof *ex), *idx = la_malloc_array(nk + 1, sizeof *idx);
    if (!ex || !idx) { free(ex); free(idx); return cl_oom(err); }
    for (size_t i = 0; i < N && m < nk; i++) if ((uint32_t)c->d->y[i] == pr->cls) ex[m++] = (uint32_t)i;
    cl_argsort_par(mu, nk, idx, c->o->threads);
    for (size_t r = 0; r < pr->c && r < nk; r++) c->d->flags[ex[idx[r]]] |= CL_F_PBNR;
    c->res->tie_passes++;
    free(ex); free(idx);
    return 0;
}

/* Step 5: prune_by_noise_rate across ranks. */
static int cl_dist_pbnr(cl_ctx *c, la_error *err)
{
    const la_collective *co = c->o->coll;
    const cl_opts *o = c->o;
    size_t k = c->k, np = 0, nt = 0, N = o->n_all;
    int64_t *P = la_calloc(k * k, sizeof *P);
    double *msg = NULL, *all = NULL, **mu = NULL;
    size_t *lens = la_calloc((size_t)co->size, sizeof *lens);
    uint64_t *tie = NULL;
    int rc = P && lens ? 0 : cl_oom(err);
    if (!rc && cl_prune_matrix_ex(o->prune_joint ? o->prune_joint : c->res->cjc, c->res->counts, k, o->frac_noise,
                                  o->remove, o->nmin, o->corrected, P))
        rc = cl_oom(err);
    if (!rc) rc = cl_pairs_build(c, P, &np, err);
    if (!rc && np) rc = cl_pass(c, 3, err);   /* with floors from this rank's first chunk */
    int64_t refloor = 0;
    if (!rc && !(tie = la_calloc(np + 1, sizeof *tie))) rc = cl_oom(err);
again:
    if (!rc && refloor) rc = cl_pairs_unfloor(c, np, err);
    size_t len = 3 * np;
    for (size_t p = 0; !rc && p < np; p++) {
        cl_pair *pr = &c->pairs[p];
        if (pr->size > pr->c) cl_pair_compact(c, pr);
        len += 2 * pr->size;
    }
    /* {size, max_rej, floor} per pair, the values, the global indices */
    free(msg); free(all);
    msg = NULL; all = NULL;
    if (!rc && !(msg = la_malloc_array(len + 1, sizeof *msg))) rc = cl_oom(err);
    for (size_t p = 0, q = 3 * np; !rc && p < np; p++) {
        const cl_pair *pr = &c->pairs[p];
        msg[3 * p] = (double)pr->size;
        msg[3 * p + 1] = pr->max_rej;
        msg[3 * p + 2] = pr->floor;
        for (size_t r = 0; r < pr->size; r++) msg[q++] = c->hv[pr->off + r];
    }
    for (size_t p = 0, q = 3 * np + (len - 3 * np) / 2; !rc && p < np; p++) {
        const cl_pair *pr = &c->pairs[p];
        for (size_t r = 0; r < pr->size; r++) msg[q++] = (double)(c->hi[pr->off + r] + c->g0);
    }
    if ((rc = la_coll_agree(co, rc, err)) || np == 0 ||
        (rc = la_coll_gather(co, msg, len * sizeof *msg, (void **)&all, lens, err)))
        goto done;
    int above = 0;   /* a floor above its pair's cut */
    if (co->rank == 0) rc = cl_dist_merge_pairs(c, np, all, lens, tie, &nt, &above, err);
    if (co->rank == 0 && above) {   /* undo: only this merge sets PBNR bits */
        for (size_t i = 0; i < N; i++) c->d->flags[i] &= (uint8_t)~CL_F_PBNR;
        nt = 0;
    }
    int64_t redo = above && !refloor;
    if ((rc = la_coll_agree(co, rc, err)) || (rc = la_coll_bcast(co, &redo, sizeof redo, err))) goto done;
    if (redo) { refloor = 1; goto again; }
    uint64_t ntw = nt;
    if ((rc = la_coll_agree(co, rc, err)) || (rc = la_coll_bcast(co, &ntw, sizeof ntw, err)) ||
        (rc = la_coll_bcast(co, tie, (size_t)ntw * sizeof *tie, err)) || ntw == 0)
        goto done;
    nt = (size_t)ntw;
    if (!(mu = la_calloc(nt, sizeof *mu))) rc = cl_oom(err);
    if (!rc) rc = cl_dist_tie_margins(c, tie, nt, mu, err);
    if ((rc = la_coll_agree(co, rc, err))) goto done;
    for (size_t q = 0; !rc && q < nt; q++) {
        const cl_pair *pr = &c->pairs[tie[q]];
        double *gm = NULL;
        rc = la_coll_gather(co, mu[q], cl_dist_lcount(c, pr->cls) * sizeof *gm, (void **)&gm, NULL, err);
        if (!rc && co->rank == 0) rc = cl_dist_flag_tie(c, pr, gm, N, err);
        free(gm);
        rc = la_coll_agree(co, rc, err);
    }
done:
    for (size_t q = 0; mu && q < nt; q++) free(mu[q]);
    free(mu); free(P); free(msg); free(all); free(lens); free(tie);
    return rc;
}

/* Rank 0 takes the gathered arrays: the context becomes one process's over
 * all N rows (labels, flags, argmax, self-confidences grouped by class). */
static int cl_dist_adopt(cl_ctx *c, la_error *err)
{
    cl_dist *d = c->d;
    cl_result *res = c->res;
    size_t N = c->o->n_all, k = c->k;
    double *g = la_big_alloc(N + 1, sizeof *g);
    size_t *cur = la_calloc(k + 1, sizeof *cur);
    if (!g || !cur) { free(g); free(cur); return cl_oom(err); }
    c->n = res->n = N;
    c->y = d->y;
    free(res->flags); res->flags = d->flags; d->flags = NULL;
    free(res->suggested); res->suggested = d->sugg; d->sugg = NULL;
    if (d->sugp) { free(res->suggested_p); res->suggested_p = d->sugp; d->sugp = NULL; }
    for (size_t j = 0; j < k; j++) c->goff[j + 1] = c->goff[j] + (size_t)res->counts[j];
    for (size_t j = 0; j < k; j++) cur[j] = c->goff[j];
    for (size_t i = 0; i < N; i++) g[cur[c->y[i]]++] = d->sc[i];
    free(c->sc_g); c->sc_g = g;
    free(d->sc); d->sc = NULL;
    if (c->rankv) { free(c->rankv); c->rankv = d->rankv; d->rankv = NULL; }
    if (c->post) {
        free(c->post); c->post = d->post; d->post = NULL;
        free(c->post_alt); c->post_alt = d->post_alt; d->post_alt = NULL;
        free(c->post_altp); c->post_altp = d->post_altp; d->post_altp = NULL;
    }
    c->g0 = 0;
    c->pbnr_done = 1;
    free(cur);
    return 0;
}

/* Steps 4 and 5, then rank 0 adopts the gathered arrays. */
static int cl_dist_finish(cl_ctx *c, la_error *err)
{
    cl_filter f = c->o->filter;
    int rc = cl_dist_examples(c, err);
    if (!rc && (f == CL_PRUNE_BY_NOISE_RATE || f == CL_BOTH)) rc = cl_dist_pbnr(c, err);
    if (!rc && la_coll_rank(c->o->coll) == 0) rc = cl_dist_adopt(c, err);
    return rc;
}
