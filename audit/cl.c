/*
 * cl.c — confident learning's numeric primitives and K x K steps (see cl.h).
 *
 * Exactness first: every sum that can decide a discrete output follows
 * numpy's pairwise order, every sort follows numpy's introsort, every
 * rounding is half-to-even. Section numbers refer to SEMANTICS.md of the
 * golden cases. Nothing here allocates more than O(K^2).
 */
#include "cl.h"
#include "cl_run.h"  /* cl_argsort_par */
#include "../util/la_par.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- summation --------------------------------------------------------- */

/* numpy pairwise_sum: m < 8 sequential; m <= 128 eight accumulators;
 * else split at floor(m/2) lowered to a multiple of 8. */
static double cl_pairwise(const double *a, size_t m)
{
    if (m < 8) {
        double res = 0.0;
        for (size_t i = 0; i < m; i++) res += a[i];
        return res;
    }
    if (m <= 128) {
        double r[8];
        for (int j = 0; j < 8; j++) r[j] = a[j];
        size_t i;
        for (i = 8; i < m - (m % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += a[i + j];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < m; i++) res += a[i];
        return res;
    }
    size_t h = m / 2;
    h -= h % 8;
    return cl_pairwise(a, h) + cl_pairwise(a + h, m - h);
}

double cl_sum(const double *x, size_t m)
{
    assert(x || m == 0);
    double s = 0.0;
    for (size_t off = 0; off < m; off += 8192) {
        size_t len = m - off < 8192 ? m - off : 8192;
        s += cl_pairwise(x + off, len);
    }
    return s;
}

int64_t cl_trunc(double x)
{
    /* numpy on x86-64 (cvttsd2si): NaN, inf and |x| >= 2^63 give INT64_MIN. */
    if (!(x > -9223372036854775808.0 && x < 9223372036854775808.0)) return INT64_MIN;
    return (int64_t)x;
}

/* ---- numpy introsort argsort (npysort/quicksort.cpp, heapsort.cpp) ----- */

static inline int cl_less(double a, double b)
{
    return a < b || (b != b && a == a); /* NaN sorts last */
}

/* 1-based heap over idx[0..n-1] (section 1.4, heapsort). */
static void cl_aheapsort(const double *v, uint32_t *tosort, ptrdiff_t n)
{
    uint32_t *a = tosort - 1, tmp;
    ptrdiff_t i, j, l;
    for (l = n >> 1; l > 0; --l) {
        tmp = a[l];
        for (i = l, j = l << 1; j <= n;) {
            if (j < n && cl_less(v[a[j]], v[a[j + 1]])) j += 1;
            if (cl_less(v[tmp], v[a[j]])) { a[i] = a[j]; i = j; j += j; }
            else break;
        }
        a[i] = tmp;
    }
    for (; n > 1;) {
        tmp = a[n];
        a[n] = a[1];
        n -= 1;
        for (i = 1, j = 2; j <= n;) {
            if (j < n && cl_less(v[a[j]], v[a[j + 1]])) j++;
            if (cl_less(v[tmp], v[a[j]])) { a[i] = a[j]; i = j; j += j; }
            else break;
        }
        a[i] = tmp;
    }
}

static int cl_msb(size_t n)
{
    int d = 0;
    while (n >>= 1) d++;
    return d;
}

#define CL_SWAP(a, b) do { uint32_t t_ = (a); (a) = (b); (b) = t_; } while (0)

/* One median-of-3 partition of [pl, pr] (more than 16 entries): returns
 * the pivot's final position. */
static uint32_t *cl_partition(const double *v, uint32_t *pl, uint32_t *pr)
{
    uint32_t *pm = pl + ((pr - pl) >> 1), *pi, *pj, *pk;
    if (cl_less(v[*pm], v[*pl])) CL_SWAP(*pm, *pl);
    if (cl_less(v[*pr], v[*pm])) CL_SWAP(*pr, *pm);
    if (cl_less(v[*pm], v[*pl])) CL_SWAP(*pm, *pl);
    double vp = v[*pm];
    pi = pl;
    pj = pr - 1;
    CL_SWAP(*pm, *pj);
    for (;;) {
        do { ++pi; } while (cl_less(v[*pi], vp));
        do { --pj; } while (cl_less(vp, v[*pj]));
        if (pi >= pj) break;
        CL_SWAP(*pi, *pj);
    }
    pk = pr - 1;
    CL_SWAP(*pi, *pk);
    return pi;
}

/* numpy's introsort loop on [pl, pr] entered with depth budget cdepth.
 * Sub-ranges are independent, so sorting them in any order (or on other
 * threads) gives the same permutation. */
static void cl_argsort_range(const double *v, uint32_t *pl, uint32_t *pr, int cdepth)
{
    uint32_t *pi, *pj, *pk, vi;
    uint32_t *stack[128], **sptr = stack;
    int depth[64], *psdepth = depth;
    double vp;
    for (;;) {
        if (cdepth < 0) {
            cl_aheapsort(v, pl, pr - pl + 1);
            goto stack_pop;
        }
        while ((pr - pl) > 15) {
            pi = cl_partition(v, pl, pr);
            if (pi - pl < pr - pi) {
                *sptr++ = pi + 1;
                *sptr++ = pr;
                pr = pi - 1;
            } else {
                *sptr++ = pl;
                *sptr++ = pi - 1;
                pl = pi + 1;
            }
            *psdepth++ = --cdepth;
        }
        for (pi = pl + 1; pi <= pr; ++pi) {
            vi = *pi;
            vp = v[vi];
            pj = pi;
            pk = pi - 1;
            while (pj > pl && cl_less(vp, v[*pk])) *pj-- = *pk--;
            *pj = vi;
        }
    stack_pop:
        if (sptr == stack) break;
        pr = *(--sptr);
        pl = *(--sptr);
        cdepth = *(--psdepth);
    }
}

void cl_argsort(const double *v, size_t m, uint32_t *idx)
{
    assert((v && idx) || m == 0);
    for (size_t i = 0; i < m; i++) idx[i] = (uint32_t)i;
    if (m < 2) return;
    cl_argsort_range(v, idx, idx + m - 1, cl_msb(m) * 2);
}

/* The two sides of the first partition, each with depth budget d. */
typedef struct cl_sort_job { const double *v; uint32_t *pl, *pi, *pr; int d; } cl_sort_job;

static void cl_sort_part(void *ctx, int t, int T)
{
    (void)T;
    cl_sort_job *j = ctx;
    if (t == 0) cl_argsort_range(j->v, j->pi + 1, j->pr, j->d);
    else cl_argsort_range(j->v, j->pl, j->pi - 1, j->d);
}

/* cl_argsort with the two halves of the first partition on two threads:
 * the same steps as the serial loop (the first partition, then each side
 * with depth budget d - 1 >= 0), so the same permutation. */
void cl_argsort_par(const double *v, size_t m, uint32_t *idx, int threads)
{
    assert((v && idx) || m == 0);
    if (threads < 2 || m < 65536) { cl_argsort(v, m, idx); return; }
    for (size_t i = 0; i < m; i++) idx[i] = (uint32_t)i;
    uint32_t *pl = idx, *pr = idx + m - 1;
    int d = cl_msb(m) * 2 - 1;
    uint32_t *pi = cl_partition(v, pl, pr);
    cl_sort_job j = {v, pl, pi, pr, d};
    la_par_run(2, cl_sort_part, &j);
}

void cl_argsort_desc(const double *v, size_t m, uint32_t *idx, double *tmp)
{
    assert((v && idx && tmp) || m == 0);
    /* pandas nargsort(ascending=False): reverse, argsort, map back, reverse. */
    for (size_t q = 0; q < m; q++) tmp[q] = v[m - 1 - q];
    cl_argsort(tmp, m, idx);
    for (size_t q = 0; q < m; q++) idx[q] = (uint32_t)(m - 1 - idx[q]);
    for (size_t a = 0, b = m ? m - 1 : 0; a < b; a++, b--) CL_SWAP(idx[a], idx[b]);
}

/* ---- round preserving sum (section 5, RPS) ---------------------------- */

void cl_round_preserving_sum(const double *x, size_t k, int64_t *out)
{
    assert(x && out && k > 0);
    double *r = malloc(2 * k * sizeof *r + 1);
    uint32_t *o = malloc(k * sizeof *o + 1);
    if (!r || !o) { /* K is tiny; cannot realistically fail */
        for (size_t j = 0; j < k; j++) out[j] = cl_trunc(rint(x[j]));
        free(r); free(o);
        return;
    }
    double *res = r + k;
    for (size_t j = 0; j < k; j++) r[j] = rint(x[j]);
    double target = rint(cl_sum(x, k));
    double current = rint(cl_sum(r, k));
    while (fabs(current - target) > CL_TOL) {
        double d = rint(target - current);
        int s = cl_trunc(d) < 0 ? -1 : 1;
        double ad = fabs(d);
        size_t c = ad < (double)k ? (size_t)ad : k;
        for (size_t j = 0; j < k; j++) res[j] = x[j] - r[j];
        cl_argsort(res, k, o);
        for (size_t q = 0; q < c; q++) {
            size_t pos = s > 0 ? o[k - 1 - q] : o[q];
            r[pos] += s;
        }
        current = rint(cl_sum(r, k));
    }
    for (size_t j = 0; j < k; j++) out[j] = cl_trunc(r[j]);
    free(r);
    free(o);
}

/* ---- calibration, joint (sections 5, 6) ------------------------------- */

void cl_calibrate(const int64_t *cj, const int64_t *counts, size_t k, int64_t *out)
{
    assert(cj && counts && out && out != cj && k > 0);
    double *a = calloc(k * k + 1, sizeof *a);   /* calloc: -O1 -Wmaybe-uninitialized */
    if (!a) return;
    double n = 0;
    for (size_t i = 0; i < k; i++) n += (double)counts[i];
    /* A[i][j] = (cj[i][j] / max(R_i, 1e-100)) * n_i */
    for (size_t i = 0; i < k; i++) {
        int64_t ri = 0;
        for (size_t j = 0; j < k; j++) ri += cj[i * k + j];
        double rd = fmax((double)ri, CL_TINY);
        for (size_t j = 0; j < k; j++) a[i * k + j] = ((double)cj[i * k + j] / rd) * (double)counts[i];
    }
    /* B = (A / max(SUM(A), 1e-100)) * N, then RPS per row */
    double t = fmax(cl_sum(a, k * k), CL_TINY);
    for (size_t i = 0; i < k * k; i++) a[i] = (a[i] / t) * n;
    for (size_t i = 0; i < k; i++) cl_round_preserving_sum(a + i * k, k, out + i * k);
    free(a);
}

void cl_joint(const int64_t *cjc, size_t k, double *joint)
{
    assert(cjc && joint && k > 0);
    /* SUM of an integer matrix is exact in double (|sum| < 2^53). */
    double s = 0;
    for (size_t i = 0; i < k * k; i++) s += (double)cjc[i];
    for (size_t i = 0; i < k * k; i++) joint[i] = (double)cjc[i] / s;
}

/* ---- latent estimates (section 7) ------------------------------------- */

/* CLIPNR: clip off-diagonal to [0, 0.9999], keep diagonal, normalise columns.
 * pairwise = 1: column sums with cl_sum (transposed views), else sequential. */
void cl_clip_noise_rates(double *m, size_t k, int pairwise, double *col)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            if (i == j) continue;
            double v = m[i * k + j];
            m[i * k + j] = fmin(fmax(v, 0.0), 0.9999);
        }
    for (size_t j = 0; j < k; j++) {
        double s;
        if (pairwise) {
            for (size_t i = 0; i < k; i++) col[i] = m[i * k + j];
            s = cl_sum(col, k);
        } else {
            s = m[j];
            for (size_t i = 1; i < k; i++) s += m[i * k + j];
        }
        s = fmax(s, CL_TINY);
        for (size_t i = 0; i < k; i++) m[i * k + j] /= s;
    }
}

/* CLIPV: clip to [low, 1], then x_k = (x_k * 1.0) / max(SUM(x), 1e-100). */
void cl_clip_values(double *x, size_t k, double low)
{
    for (size_t j = 0; j < k; j++) x[j] = fmin(fmax(x[j], low), 1.0);
    double s = fmax(cl_sum(x, k), CL_TINY);
    for (size_t j = 0; j < k; j++) x[j] = (x[j] * 1.0) / s;
}

/* CNT: py_k = (inv[k][k] / max(nm[k][k], 1e-100)) * ps_k, then CLIPV(1e-6). */
static void cl_compute_py(const double *ps, const double *nm, const double *inv, size_t k, double *py)
{
    for (size_t j = 0; j < k; j++) py[j] = (inv[j * k + j] / fmax(nm[j * k + j], CL_TINY)) * ps[j];
    cl_clip_values(py, k, CL_TOL);
}

int cl_estimate_latent(const int64_t *cjc, const int64_t *counts, size_t k, int converge,
                       double *py, double *nm, double *inv)
{
    assert(cjc && counts && py && nm && inv && k > 0);
    double *ps = malloc((2 * k + 1) * sizeof *ps);
    if (!ps) return -1;
    double *col = ps + k;
    double n = 0;
    for (size_t i = 0; i < k; i++) n += (double)counts[i];
    for (size_t i = 0; i < k; i++) ps[i] = (double)counts[i] / n;
    /* NM0[i][j] = C[i][j] / max(S_j); INV0[j][i] = C[i][j] / max(R_i) */
    for (size_t j = 0; j < k; j++) {
        int64_t s = 0;
        for (size_t i = 0; i < k; i++) s += cjc[i * k + j];
        for (size_t i = 0; i < k; i++) nm[i * k + j] = (double)cjc[i * k + j] / fmax((double)s, CL_TINY);
    }
    for (size_t i = 0; i < k; i++) {
        int64_t r = 0;
        for (size_t j = 0; j < k; j++) r += cjc[i * k + j];
        for (size_t j = 0; j < k; j++) inv[j * k + i] = (double)cjc[i * k + j] / fmax((double)r, CL_TINY);
    }
    cl_compute_py(ps, nm, inv, k, py);
    cl_clip_noise_rates(nm, k, 0, col);
    cl_clip_noise_rates(inv, k, 1, col);
    if (!converge) { free(ps); return 0; }
    for (int outer = 0; outer < 3; outer++) {
        for (int inner = 0; inner < 5; inner++) {
            /* INV = CLIPNR(X), X[j][i] = (NM[i][j] * py_j) / max(ps_i) */
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < k; j++)
                    inv[j * k + i] = (nm[i * k + j] * py[j]) / fmax(ps[i], CL_TINY);
            cl_clip_noise_rates(inv, k, 1, col);
            cl_compute_py(ps, nm, inv, k, py);
        }
        /* NM = CLIPNR(Y), Y[i][j] = (INV[j][i] * ps_i) / max(py_j) */
        for (size_t i = 0; i < k; i++)
            for (size_t j = 0; j < k; j++)
                nm[i * k + j] = (inv[j * k + i] * ps[i]) / fmax(py[j], CL_TINY);
        cl_clip_noise_rates(nm, k, 0, col);
    }
    cl_clip_values(py, k, 1e-5);
    cl_clip_noise_rates(nm, k, 0, col);
    cl_clip_noise_rates(inv, k, 1, col);
    free(ps);
    return 0;
}

/* ---- prune count matrix (section 10.2) -------------------------------- */

int cl_prune_matrix(const int64_t *cjc, const int64_t *counts, size_t k, double phi,
                    const int64_t *remove, long nmin, int64_t *out)
{
    return cl_prune_matrix_ex(cjc, counts, k, phi, remove, nmin, 0, out);
}

int cl_prune_matrix_ex(const int64_t *cjc, const int64_t *counts, size_t k, double phi,
                       const int64_t *remove, long nmin, int corrected, int64_t *out)
{
    assert(cjc && counts && out && k > 0);
    double *m = malloc((3 * k * k + k + 1) * sizeof *m);
    if (!m) return -1;
    double *f = m + k * k, *q = f + k * k, *col = q + k * k;
    /* P[t][g] = C[g][t]; keep at least nmin per class (column g). */
    for (size_t g = 0; g < k; g++) {
        double d = (double)cjc[g * k + g];
        double nw = fmax(d, (double)nmin);
        double delta = nw - d;
        size_t nz = 0;
        for (size_t t = 0; t < k; t++) nz += cjc[g * k + t] != 0;
        double z = fmax((double)nz - 1.0, 1.0);
        for (size_t t = 0; t < k; t++) {
            double v = (double)cjc[g * k + t] - delta / z;
            m[t * k + g] = v < 0 ? 0 : v;
        }
        m[g * k + g] = nw;
    }
    /* frac_noise: off-diagonal * phi; diagonal += SUM over the column of
     * (M - new), where that difference is 0 on the diagonal. Then TRUNC. */
    for (size_t t = 0; t < k; t++)
        for (size_t g = 0; g < k; g++)
            f[t * k + g] = t == g ? m[t * k + g] : m[t * k + g] * phi;
    for (size_t g = 0; g < k; g++) {
        for (size_t t = 0; t < k; t++) col[t] = m[t * k + g] - f[t * k + g];
        f[g * k + g] = m[g * k + g] + cl_sum(col, k);
    }
    for (size_t i = 0; i < k * k; i++) q[i] = corrected ? rint(f[i]) : (double)cl_trunc(f[i]);
    for (size_t t = 0; t < k; t++) cl_round_preserving_sum(q + t * k, k, out + t * k);
    if (remove) {
        /* Psi[t][g] = P[t][g] / rho_g (row sum of row g: numpy broadcasting). */
        double *rho = col;
        for (size_t t = 0; t < k; t++) {
            int64_t s = 0;
            for (size_t g = 0; g < k; g++) s += out[t * k + g];
            rho[t] = (double)s;
        }
        for (size_t t = 0; t < k; t++)
            for (size_t g = 0; g < k; g++)
                f[t * k + g] = (double)out[t * k + g] / (corrected ? fmax(rho[t], 1.0) : rho[g]);
        for (size_t t = 0; t < k; t++) {
            double eta = cl_sum(f + t * k, k) - f[t * k + t];
            for (size_t g = 0; g < k; g++) {
                double v = (f[t * k + g] * (double)remove[t]) / eta;
                if (corrected && !(eta > 0)) v = 0;
                q[t * k + g] = g == t ? (double)counts[t] - (double)remove[t] : v;
            }
        }
        for (size_t t = 0; t < k; t++) cl_round_preserving_sum(q + t * k, k, out + t * k);
    }
    free(m);
    return 0;
}

int64_t cl_num_issues_calibrated(const int64_t *cj, const int64_t *counts, size_t k, size_t n)
{
    assert(cj && counts && k > 0);
    int64_t *c1 = malloc((2 * k * k + 1) * sizeof *c1);
    double *diag = malloc((k + 1) * sizeof *diag);
    if (!c1 || !diag) { free(c1); free(diag); return -1; }
    int64_t *c2 = c1 + k * k;
    cl_calibrate(cj, counts, k, c1);
    cl_calibrate(c1, counts, k, c2);
    double s = 0;
    for (size_t i = 0; i < k * k; i++) s += (double)c2[i];
    for (size_t i = 0; i < k; i++) diag[i] = (double)c2[i * k + i] / s;
    double frac = 1 - cl_sum(diag, k);
    int64_t r = cl_trunc(rint(frac * (double)n));
    free(c1);
    free(diag);
    return r;
}

/* ---- dataset summaries (section 11) ----------------------------------- */

int cl_class_quality_table(const double *joint, size_t k, size_t n, cl_class_quality *rows)
{
    assert(joint && rows && k > 0);
    double *score = calloc(k + 1, sizeof *score);
    uint32_t *o = calloc(k + 1, sizeof *o);
    cl_class_quality *tmp = calloc(k + 1, sizeof *tmp);
    if (!score || !o || !tmp) { free(score); free(o); free(tmp); return -1; }
    for (size_t c = 0; c < k; c++) {
        double rs = cl_sum(joint + c * k, k);
        double cs = joint[c];
        for (size_t i = 1; i < k; i++) cs += joint[i * k + c];
        double g = rs - joint[c * k + c], h = cs - joint[c * k + c];
        tmp[c].cls = (int64_t)c;
        tmp[c].issues = cl_trunc(rint(g * (double)n));
        tmp[c].inv_issues = cl_trunc(rint(h * (double)n));
        tmp[c].noise = g / fmax(rs, CL_TOL);
        tmp[c].inv_noise = h / fmax(cs, CL_TOL);
        tmp[c].quality = 1 - tmp[c].noise;
        score[c] = tmp[c].quality;
    }
    cl_argsort(score, k, o);
    for (size_t c = 0; c < k; c++) rows[c] = tmp[o[c]];
    free(score); free(o); free(tmp);
    return 0;
}

int cl_overlapping_classes(const double *joint, size_t k, size_t n, cl_overlap *rows)
{
    assert(joint && rows && k > 0);
    size_t m = k * (k - 1) / 2, r = 0;
    double *v = calloc(2 * m + 1, sizeof *v);    /* calloc: -O1 -Wmaybe-uninitialized */
    uint32_t *o = malloc((m + 1) * sizeof *o);
    cl_overlap *tmp = malloc((m + 1) * sizeof *tmp);
    if (!v || !o || !tmp) { free(v); free(o); free(tmp); return -1; }
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++, r++) {
            double x = joint[a * k + b] + joint[b * k + a];
            tmp[r].a = (int64_t)a;
            tmp[r].b = (int64_t)b;
            tmp[r].num = cl_trunc(rint(x * (double)n));
            tmp[r].joint = x;
            v[r] = x;
        }
    cl_argsort_desc(v, m, o, v + m);
    for (size_t i = 0; i < m; i++) rows[i] = tmp[o[i]];
    free(v); free(o); free(tmp);
    return 0;
}

/* ---- per-row quantities ----------------------------------------------- */

size_t cl_argmax(const double *p, size_t k)
{
    assert(p && k > 0);
    /* numpy argmax: first maximum; a NaN wins (never happens: inputs are validated). */
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (p[j] > p[best]) best = j;
    return best;
}

int cl_forgiven(const double *p, size_t k, size_t y)
{
    assert(p && y < k);
    double py = p[y] + CL_TOL;
    for (size_t j = 0; j < k; j++) {
        double v = j == y ? py : p[j];
        if (j < y && v >= py) return 0;  /* an earlier index ties or beats y */
        if (j > y && v > py) return 0;
    }
    return 1;
}

double cl_normalized_margin(const double *p, size_t k, size_t y)
{
    assert(p && y < k);
    double m = -INFINITY;
    for (size_t j = 0; j < k; j++)
        if (j != y && p[j] > m) m = p[j];
    return ((p[y] - m) + 1) / 2;
}

double cl_cw_entropy(const double *p, size_t k, size_t y, double log_k, double *tmp)
{
    assert(p && tmp && y < k);
    /* H = (-SUM_j p_j ln p_j) / ln K;  q = H / max(p_y, 1e-6);
     * score = ln(q + 1) / max(q, 1e-6) */
    for (size_t j = 0; j < k; j++) tmp[j] = p[j] == 0 ? 0.0 : p[j] * log(p[j]);
    double h = -cl_sum(tmp, k) / log_k;
    double q = h / fmax(p[y], CL_TOL);
    return log(q + 1) / fmax(q, CL_TOL);
}

void cl_adjust_row(const double *p, const double *t, double tmax, size_t k, double *out)
{
    assert(p && t && out && k > 0);
    for (size_t j = 0; j < k; j++) out[j] = (p[j] - t[j]) + tmax;
    double s = cl_sum(out, k);
    for (size_t j = 0; j < k; j++) out[j] /= s;
}

/* ---- bootstrap ---------------------------------------------------------- */

static int cl_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile(v, 100*q) with linear interpolation; v sorted, m > 0. */
static double cl_percentile(const double *v, size_t m, double q)
{
    double pos = q * (double)(m - 1);
    size_t lo = (size_t)floor(pos);
    if (lo + 1 >= m) return v[m - 1];
    double f = pos - (double)lo;
    return v[lo] + (v[lo + 1] - v[lo]) * f;
}

int cl_bootstrap_ci(const int64_t *err, const int64_t *cnt, size_t k, int resamples,
                    double conf, uint64_t seed, double *ci, double *class_ci)
{
    assert(err && cnt && ci && class_ci && conf > 0 && conf < 1);
    size_t B = resamples > 0 ? (size_t)resamples : 1;
    double *all = malloc((B + 1) * sizeof *all);
    double *cls = malloc((B * k + 1) * sizeof *cls);
    size_t *ncls = calloc(k + 1, sizeof *ncls);
    int64_t *cell = malloc((2 * k + 1) * sizeof *cell);
    if (!all || !cls || !ncls || !cell) { free(all); free(cls); free(ncls); free(cell); return -1; }
    int64_t n = 0;
    for (size_t c = 0; c < k; c++) n += cnt[c];
    la_xoshiro rng;
    la_xoshiro_seed(&rng, seed);
    for (size_t b = 0; b < B; b++) {
        /* multinomial(n; cells) by conditional binomials over the cells */
        int64_t left = n, mass = n, errs = 0;
        for (size_t c = 0; c < 2 * k; c++) {
            int64_t w = c % 2 ? cnt[c / 2] - err[c / 2] : err[c / 2];
            int64_t x = mass > 0 ? la_xoshiro_binomial(&rng, left, (double)w / (double)mass) : 0;
            if (w == mass) x = left;
            cell[c] = x;
            left -= x;
            mass -= w;
        }
        for (size_t c = 0; c < k; c++) {
            errs += cell[2 * c];
            int64_t nc = cell[2 * c] + cell[2 * c + 1];
            if (nc > 0) cls[c * B + ncls[c]++] = (double)cell[2 * c] / (double)nc;
        }
        all[b] = n > 0 ? (double)errs / (double)n : 0;
    }
    double lo = (1 - conf) / 2, hi = (1 + conf) / 2;
    qsort(all, B, sizeof *all, cl_cmp_double);
    ci[0] = cl_percentile(all, B, lo);
    ci[1] = cl_percentile(all, B, hi);
    for (size_t c = 0; c < k; c++) {
        if (!ncls[c]) { /* no example of the class in any replicate (or none at all) */
            class_ci[2 * c] = class_ci[2 * c + 1] = cnt[c] ? (double)err[c] / (double)cnt[c] : 0.0;
            continue;
        }
        qsort(cls + c * B, ncls[c], sizeof *cls, cl_cmp_double);
        class_ci[2 * c] = cl_percentile(cls + c * B, ncls[c], lo);
        class_ci[2 * c + 1] = cl_percentile(cls + c * B, ncls[c], hi);
    }
    free(all); free(cls); free(ncls); free(cell);
    return 0;
}

/* ---- synthetic noise --------------------------------------------------- */

int cl_noise_matrix_from_trace(size_t k, double trace, const double *py, double frac_zero,
                               la_xoshiro *rng, int max_iter, double *nm)
{
    assert(rng && nm);
    if (k < 2 || trace <= 1 || trace > (double)k) return -1;
    double *diag = malloc((2 * k + 1) * sizeof *diag);
    if (!diag) return -1;
    double *w = diag + k;
    for (int it = 0; it < max_iter; it++) {
        /* Diagonal: Dirichlet-like split of (trace) with each entry in (1/k... 1],
         * drawn as trace * g / sum(g) and redrawn until all <= 1. */
        int ok = 0;
        for (int tries = 0; tries < 1000 && !ok; tries++) {
            double s = 0;
            for (size_t j = 0; j < k; j++) { diag[j] = la_xoshiro_gamma(rng, 5.0); s += diag[j]; }
            ok = 1;
            for (size_t j = 0; j < k; j++) {
                diag[j] = diag[j] / s * trace;
                if (diag[j] > 1 || diag[j] <= 0) ok = 0;
            }
        }
        if (!ok) continue;
        memset(nm, 0, k * k * sizeof *nm);
        for (size_t j = 0; j < k; j++) {
            nm[j * k + j] = diag[j];
            double mass = 1 - diag[j];
            /* off-diagonal entries of column j: a random subset is zeroed. */
            size_t nonzero = 0;
            for (size_t i = 0; i < k; i++) {
                w[i] = 0;
                if (i == j) continue;
                if (la_xoshiro_uniform(rng) >= frac_zero) { w[i] = la_xoshiro_gamma(rng, 1.0); nonzero++; }
            }
            if (nonzero == 0 && mass > 0) {
                size_t i = (size_t)(la_xoshiro_next(rng) % (k - 1));
                if (i >= j) i++;
                w[i] = 1;
            }
            double s = 0;
            for (size_t i = 0; i < k; i++) s += w[i];
            for (size_t i = 0; i < k; i++)
                if (i != j) nm[i * k + j] = s > 0 ? mass * w[i] / s : 0;
        }
        /* valid: py_j * nm[j][j] > sum_{i != j} py_i * nm[j][i] for every j */
        int valid = 1;
        for (size_t j = 0; j < k && valid; j++) {
            double pj = py ? py[j] : 1.0 / (double)k, off = 0;
            for (size_t i = 0; i < k; i++)
                if (i != j) off += (py ? py[i] : 1.0 / (double)k) * nm[j * k + i];
            if (!(pj * nm[j * k + j] > off)) valid = 0;
        }
        if (valid) { free(diag); return 0; }
    }
    free(diag);
    return -1;
}

int cl_noisy_labels(const int64_t *true_labels, size_t n, const double *nm, size_t k,
                    la_xoshiro *rng, int64_t *out)
{
    assert((true_labels && out) || n == 0);
    assert(nm && rng);
    uint32_t *members = malloc((n + 1) * sizeof *members);
    int64_t *flips = malloc((k + 1) * sizeof *flips);
    if (!members || !flips) { free(members); free(flips); return -1; }
    memcpy(out, true_labels, n * sizeof *out);
    for (size_t j = 0; j < k; j++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (true_labels[i] == (int64_t)j) members[m++] = (uint32_t)i;
        /* Shuffle the members (Fisher-Yates), then hand out flips in order. */
        for (size_t i = m; i > 1; i--) {
            size_t r = (size_t)(la_xoshiro_next(rng) % i);
            uint32_t t = members[i - 1]; members[i - 1] = members[r]; members[r] = t;
        }
        int64_t total = cl_trunc(rint((double)m * (1 - nm[j * k + j])));
        /* split `total` over destinations i != j proportionally (RPS). */
        double *x = malloc((k + 1) * sizeof *x);
        if (!x) { free(members); free(flips); return -1; }
        double off = 0;
        for (size_t i = 0; i < k; i++) if (i != j) off += nm[i * k + j];
        for (size_t i = 0; i < k; i++)
            x[i] = (i == j || off <= 0) ? 0 : (double)total * nm[i * k + j] / off;
        cl_round_preserving_sum(x, k, flips);
        free(x);
        size_t pos = 0;
        for (size_t i = 0; i < k; i++)
            for (int64_t c = 0; c < flips[i] && pos < m; c++) out[members[pos++]] = (int64_t)i;
    }
    free(members);
    free(flips);
    return 0;
}
