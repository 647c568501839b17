/*
 * cl_latent.h — cleanlab's estimate_latent from any confident joint (float or
 * integer counts, calibrated or not) with every py_method (cnt, eqn, marginal,
 * marginal_ps) and the optional convergence iterations: the general form of
 * cl_estimate_latent (cl.h), which the audit uses on its calibrated integer
 * joint. Pure functions, no I/O. SEMANTICS.md section 7 states the rules.
 */
#ifndef LA_CL_LATENT_H
#define LA_CL_LATENT_H

#include <stddef.h>
#include <stdint.h>

typedef enum cl_py_method { CL_PY_CNT = 0, CL_PY_EQN, CL_PY_MARGINAL, CL_PY_MARGINAL_PS, CL_PY_COUNT } cl_py_method;

extern const char *const cl_py_method_names[CL_PY_COUNT];

/* Latent estimates from cj (k x k, given label g at row, true t at column)
 * and ps[k] = P(given = j): py[k], nm[k*k] (P(given=i | true=j) at [i*k+j]),
 * inv[k*k] (P(true=i | given=j) at [i*k+j]). Returns 0, -1 when out of
 * memory, -2 when py_method is eqn and the noise matrix is singular. */
int cl_estimate_latent_f64(const double *cj, const double *ps, size_t k, cl_py_method method, int converge,
                           double *py, double *nm, double *inv);

/* cleanlab's compute_py (CLIPV(1e-6) applied): py[k] from ps, nm, inv and
 * the true-class counts tcc[k] (only for CL_PY_MARGINAL). Returns 0 or -2
 * (singular noise matrix for eqn), -1 (out of memory). */
int cl_compute_py_method(const double *ps, const double *nm, const double *inv, const double *tcc, size_t k,
                         cl_py_method method, double *py);

/* calibrate_confident_joint over a float joint: rows scaled to counts[i],
 * the whole to their sum, then each row rounded preserving its sum (cl.h's
 * cl_calibrate for any joint). Returns 0 or -1 (out of memory). */
int cl_calibrate_f64(const double *cj, const double *counts, size_t k, int64_t *out);

#endif
