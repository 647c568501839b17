/*
 * cl.h — confident learning: the numeric primitives and every K x K step,
 * as pure functions (no I/O, no globals). The per-example passes over the
 * probability matrix live in cl_run.h, which streams rows and calls these.
 *
 * Every rule reproduces cleanlab 2.9.0 (numpy 1.24, pandas 1.5) exactly,
 * including numpy's summation order, round-half-even, its introsort tie
 * order and float-to-int conversion; ../shared/golden/SEMANTICS.md states the
 * rules and the section numbers below refer to it.
 * Conventions: K x K matrices are row-major; cj[g*k + t] counts given label g,
 * suspected true label t; prune matrices are indexed [t*k + g].
 */
#ifndef LA_CL_H
#define LA_CL_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_rng.h"

/* ---- cleanlab's tolerances -------------------------------------------- */

/* cleanlab 2.9.0, cleanlab/internal/constants.py (SEMANTICS.md sections 2-11):
 * FLOATING_POINT_COMPARISON and CLIPPING_LOWER_BOUND are both 1e-6: the slack
 * of every probability comparison (C_i uses p_ij >= t_j - CL_TOL, forgiveness
 * p_y + CL_TOL, inputs must lie in [-CL_TOL, 1 + CL_TOL], the sum-preserving
 * rounding stops within CL_TOL) and the floor of clips and score divisors
 * (CLIPV(py, CL_TOL), max(rs, CL_TOL), max(p_y, CL_TOL)).
 * CONFIDENT_THRESHOLDS_LOWER_BOUND = 2 * FLOATING_POINT_COMPARISON floors the
 * per-class thresholds; TINY_VALUE = 1e-100 floors the divisors of the K x K
 * estimates. Changing any of them breaks parity with the golden outputs. */
#define CL_TOL           1e-6
#define CL_THRESHOLD_MIN (2 * CL_TOL)
#define CL_TINY          1e-100

/* ---- numeric primitives (section 1) --------------------------------- */

/* numpy's sum of a contiguous vector: 8192-element blocks, each summed
 * pairwise with eight accumulators (section 1.1). Returns 0.0 for m = 0. */
double cl_sum(const double *x, size_t m);

/* numpy's float -> int64 cast: truncation, NaN/inf/out of range -> INT64_MIN. */
int64_t cl_trunc(double x);

/* numpy's default argsort (introsort, unstable) of v[0..m-1] into idx:
 * idx lists v in ascending order with numpy's exact tie order (section 1.4).
 * idx need not be initialised. */
void cl_argsort(const double *v, size_t m, uint32_t *idx);

/* pandas sort_values(ascending=False) order of v (section 1.4, DESC).
 * tmp: caller scratch of m doubles. */
void cl_argsort_desc(const double *v, size_t m, uint32_t *idx, double *tmp);

/* Sum-preserving round-half-even of a row x[0..k-1] into out (RPS,
 * section 5). Non-finite entries convert as cl_trunc does. */
void cl_round_preserving_sum(const double *x, size_t k, int64_t *out);

/* CLIPNR: off-diagonal entries of the k x k noise matrix m clipped into
 * [0, 0.9999], then each column divided by max(its sum, 1e-100) (numpy's
 * pairwise sum when pairwise = 1; col: k doubles scratch). */
void cl_clip_noise_rates(double *m, size_t k, int pairwise, double *col);
/* CLIPV: x clipped to [low, 1], then x_j = (x_j * 1.0) / max(SUM(x), 1e-100). */
void cl_clip_values(double *x, size_t k, double low);

/* ---- K x K steps ------------------------------------------------------ */

/* Calibration (section 5): cj k x k counts, counts[k] = n_k given labels;
 * out k x k integers, row i sums to n_i. out may not alias cj. */
void cl_calibrate(const int64_t *cj, const int64_t *counts, size_t k, int64_t *out);

/* Joint (section 6): joint = cjc / sum(cjc). */
void cl_joint(const int64_t *cjc, size_t k, double *joint);

/* Latent estimates (section 7) from the calibrated confident joint.
 * converge = 0: the raw estimate; 1: with the 3 x 5 convergence iterations.
 * py[k], nm[k*k] (P(given=i | true=j) at [i*k+j]), inv[k*k] (P(true=i |
 * given=j) at [i*k+j]). Returns 0, or -1 when out of memory. */
int cl_estimate_latent(const int64_t *cjc, const int64_t *counts, size_t k, int converge,
                       double *py, double *nm, double *inv);

/* Prune count matrix (section 10.2): rows = true class t, columns = given g.
 * cjc calibrated confident joint, counts n_k, frac_noise phi, remove = r or
 * NULL, nmin = min_examples_per_class. out[t*k+g] int64. Returns 0 or -1 (OOM). */
int cl_prune_matrix(const int64_t *cjc, const int64_t *counts, size_t k, double frac_noise,
                    const int64_t *remove, long nmin, int64_t *out);

/* Same, with corrected = 1 fixing two reference quirks (opt-in, not the
 * default): fractional counts are rounded half-to-even instead of truncated
 * (quirk 5), and num_to_remove_per_class normalises each row by its own sum,
 * a zero noise row pruning nothing without NaN (quirk 6). */
int cl_prune_matrix_ex(const int64_t *cjc, const int64_t *counts, size_t k, double frac_noise,
                       const int64_t *remove, long nmin, int corrected, int64_t *out);

/* num_label_issues 'off_diagonal_calibrated' (section 9): ROUND((1 - trace(J)) * n)
 * with J from calibrating cj twice. Returns -1 on OOM. */
int64_t cl_num_issues_calibrated(const int64_t *cj, const int64_t *counts, size_t k, size_t n);

/* class_label_quality rows (section 11.2), in output order. */
typedef struct cl_class_quality {
    int64_t cls, issues, inv_issues;
    double  noise, inv_noise, quality;
} cl_class_quality;
int cl_class_quality_table(const double *joint, size_t k, size_t n, cl_class_quality *rows);

/* overlapping_classes rows (section 11.3), k*(k-1)/2 rows in output order. */
typedef struct cl_overlap {
    int64_t a, b, num;
    double  joint;
} cl_overlap;
int cl_overlapping_classes(const double *joint, size_t k, size_t n, cl_overlap *rows);

/* ---- per-row quantities (sections 8, 10.1) --------------------------- */

/* ARGMAX of row p[0..k-1]: first index of the maximum. */
size_t cl_argmax(const double *p, size_t k);

/* 1 when example is forgiven: argmax of p with p[y] + 1e-6 is y. */
int cl_forgiven(const double *p, size_t k, size_t y);

/* Normalized margin ((p_y - max_{j != y} p_j) + 1) / 2. */
double cl_normalized_margin(const double *p, size_t k, size_t y);

/* Confidence-weighted entropy score; log_k = log(k). tmp: k doubles scratch. */
double cl_cw_entropy(const double *p, size_t k, size_t y, double log_k, double *tmp);

/* Adjusted row: out_j = ((p_j - t_j) + tmax) / SUM(...) (section 8). */
void cl_adjust_row(const double *p, const double *t, double tmax, size_t k, double *out);

/* ---- uncertainty ------------------------------------------------------ */

/* Percentile bootstrap of the label-error rates. The overall rate is the
 * mean of per-example 0/1 indicators, so resampling N examples with
 * replacement is exactly a multinomial draw of N over the 2k cells (given
 * class c, indicator 0/1) with probabilities cell/N; each replicate is drawn
 * that way (conditional binomials, exact). err[c] = examples of class c
 * counted as errors, cnt[c] = examples of class c. Outputs: ci[2] for the
 * overall rate, class_ci[2c], [2c+1] per class (replicates where class c
 * drew no example are skipped; when all were, or the class is empty, the
 * interval is the point estimate, 0 for an empty class). Percentiles use numpy's
 * linear interpolation at (1 -/+ conf) / 2. Returns 0 or -1 (OOM). */
int cl_bootstrap_ci(const int64_t *err, const int64_t *cnt, size_t k, int resamples,
                    double conf, uint64_t seed, double *ci, double *class_ci);

/* ---- synthetic noise (cleanlab.benchmarking.noise_generation style) --- */

/* Noise matrix P(given=i | true=j) at [i*k+j] with trace `trace` (1 < trace
 * <= k), columns summing to 1, frac_zero of the off-diagonal entries exactly
 * zero, and py (may be NULL = uniform) making it "valid" (py_j * nm[j][j] >
 * sum of the off-diagonal mass flowing into j). Returns 0, or -1 when no
 * valid matrix was found in max_iter attempts. */
int cl_noise_matrix_from_trace(size_t k, double trace, const double *py, double frac_zero,
                               la_xoshiro *rng, int max_iter, double *nm);

/* Noisy labels: for each true class j, flips exactly round(n_j * (1 - nm[j][j]))
 * examples (chosen uniformly) to class i with proportions nm[i][j]. */
int cl_noisy_labels(const int64_t *true_labels, size_t n, const double *nm, size_t k,
                    la_xoshiro *rng, int64_t *out);

#endif
