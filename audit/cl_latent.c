/*
 * cl_latent.c — estimate_latent over a float confident joint with every
 * py_method (see cl_latent.h). The arithmetic follows cleanlab 2.9.0's
 * count.estimate_latent and internal/latent_algebra.py step by step; eqn
 * solves nm * py = ps by Gaussian elimination with partial pivoting (LAPACK's
 * dgesv order, so agreement with numpy.linalg.inv is to rounding only).
 */
#include "cl_latent.h"
#include "cl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cl_py_method_names[CL_PY_COUNT] = {"cnt", "eqn", "marginal", "marginal_ps"};

/* Solves a x = b (a k x k, destroyed; b overwritten by x). -2 if singular. */
static int cl_lat_solve(double *a, double *b, size_t k)
{
    for (size_t c = 0; c < k; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < k; r++)
            if (fabs(a[r * k + c]) > fabs(a[p * k + c])) p = r;
        if (a[p * k + c] == 0) return -2;
        if (p != c) {
            for (size_t j = 0; j < k; j++) { double t = a[c * k + j]; a[c * k + j] = a[p * k + j]; a[p * k + j] = t; }
            double t = b[c]; b[c] = b[p]; b[p] = t;
        }
        for (size_t r = c + 1; r < k; r++) {
            double f = a[r * k + c] / a[c * k + c];
            for (size_t j = c; j < k; j++) a[r * k + j] -= f * a[c * k + j];
            b[r] -= f * b[c];
        }
    }
    for (size_t c = k; c-- > 0;) {
        double s = b[c];
        for (size_t j = c + 1; j < k; j++) s -= a[c * k + j] * b[j];
        b[c] = s / a[c * k + c];
    }
    return 0;
}

int cl_compute_py_method(const double *ps, const double *nm, const double *inv, const double *tcc, size_t k,
                         cl_py_method method, double *py)
{
    assert(ps && nm && inv && py && k > 0);
    if (method == CL_PY_CNT) {
        for (size_t j = 0; j < k; j++) py[j] = inv[j * k + j] / fmax(nm[j * k + j], CL_TINY) * ps[j];
    } else if (method == CL_PY_EQN) {
        double *a = malloc((k * k + 1) * sizeof *a);
        if (!a) return -1;
        memcpy(a, nm, k * k * sizeof *a);
        memcpy(py, ps, k * sizeof *py);
        int rc = cl_lat_solve(a, py, k);
        free(a);
        if (rc) return rc;
    } else if (method == CL_PY_MARGINAL) {
        assert(tcc);
        double s = 0;
        for (size_t j = 0; j < k; j++) s += tcc[j];       /* Python's sum(): left to right */
        for (size_t j = 0; j < k; j++) py[j] = tcc[j] / s;
    } else {
        for (size_t i = 0; i < k; i++) {
            double s = 0;
            for (size_t j = 0; j < k; j++) s += inv[i * k + j] * ps[j];
            py[i] = s;
        }
    }
    cl_clip_values(py, k, CL_TOL);
    return 0;
}

int cl_estimate_latent_f64(const double *cj, const double *ps, size_t k, cl_py_method method, int converge,
                           double *py, double *nm, double *inv)
{
    assert(cj && ps && py && nm && inv && k > 0 && method < CL_PY_COUNT);
    double *w = malloc((3 * k + 1) * sizeof *w);
    if (!w) return -1;
    double *col = w, *rs = w + k, *cs = w + 2 * k;
    for (size_t i = 0; i < k; i++) rs[i] = cl_sum(cj + i * k, k);
    for (size_t j = 0; j < k; j++) {
        double s = cj[j];
        for (size_t i = 1; i < k; i++) s += cj[i * k + j];
        cs[j] = s;
    }
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            nm[i * k + j] = cj[i * k + j] / fmax(cs[j], CL_TINY);
            inv[j * k + i] = cj[i * k + j] / fmax(rs[i], CL_TINY);
        }
    int rc = cl_compute_py_method(ps, nm, inv, cs, k, method, py);
    if (rc) { free(w); return rc; }
    cl_clip_noise_rates(nm, k, 0, col);
    cl_clip_noise_rates(inv, k, 1, col);
    if (converge) {
        for (int outer = 0; outer < 3; outer++) {
            for (int inner = 0; inner < 5; inner++) {
                for (size_t i = 0; i < k; i++)
                    for (size_t j = 0; j < k; j++)
                        inv[j * k + i] = (nm[i * k + j] * py[j]) / fmax(ps[i], CL_TINY);
                cl_clip_noise_rates(inv, k, 1, col);
                cl_compute_py_method(ps, nm, inv, NULL, k, CL_PY_CNT, py);
            }
            for (size_t i = 0; i < k; i++)
                for (size_t j = 0; j < k; j++)
                    nm[i * k + j] = (inv[j * k + i] * ps[i]) / fmax(py[j], CL_TINY);
            cl_clip_noise_rates(nm, k, 0, col);
        }
        cl_clip_values(py, k, 1e-5);
        cl_clip_noise_rates(nm, k, 0, col);
        cl_clip_noise_rates(inv, k, 1, col);
    }
    free(w);
    return 0;
}

int cl_calibrate_f64(const double *cj, const double *counts, size_t k, int64_t *out)
{
    assert(cj && counts && out && k > 0);
    double *a = calloc(k * k + 1, sizeof *a);
    if (!a) return -1;
    double n = 0;
    for (size_t i = 0; i < k; i++) n += counts[i];
    for (size_t i = 0; i < k; i++) {
        double rd = fmax(cl_sum(cj + i * k, k), CL_TINY);
        for (size_t j = 0; j < k; j++) a[i * k + j] = (cj[i * k + j] / rd) * counts[i];
    }
    double t = fmax(cl_sum(a, k * k), CL_TINY);
    for (size_t i = 0; i < k * k; i++) a[i] = (a[i] / t) * n;
    for (size_t i = 0; i < k; i++) cl_round_preserving_sum(a + i * k, k, out + i * k);
    free(a);
    return 0;
}
