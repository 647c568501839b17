/*
 * cs_dawid_skene.c — the Dawid-Skene estimator (1979) for multi-annotator
 * consensus: each annotator j has a confusion matrix theta_j[c][l] =
 * P(j says l | true class c); EM alternates the true-class posteriors and
 * the matrices. Here each example's class prior is the model's out-of-sample
 * probabilities (instead of one global prior), and EM starts from them as
 * the posteriors. Not cleanlab: `consensus --consensus dawid-skene`.
 */
#include "consensus.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CS_DS_LOG_FLOOR 1e-300   /* log(0) guard for model probabilities */

/* M step: theta_j[c][l] = (s + SUM_{i: L_ij = l} T_ic) / (k s + SUM_{i labelled by j} T_ic). */
static void cs_ds_m_step(const int32_t *L, size_t n, size_t m, size_t k, const double *T, double s, double *conf)
{
    for (size_t e = 0; e < m * k * k; e++) conf[e] = s;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++) {
            int32_t y = L[i * m + j];
            if (y == CS_MISSING) continue;
            for (size_t c = 0; c < k; c++) conf[(j * k + c) * k + (size_t)y] += T[i * k + c];
        }
    for (size_t r = 0; r < m * k; r++) {
        double *row = conf + r * k, tot = 0;
        for (size_t l = 0; l < k; l++) tot += row[l];
        for (size_t l = 0; l < k; l++) row[l] = tot > 0 ? row[l] / tot : 1.0 / (double)k;
    }
}

/* E step: T_ic ∝ P_ic PROD_{j labelled i} theta_j[c][L_ij], in logs. Returns
 * the largest change of any posterior. lrow: k scratch. */
static double cs_ds_e_step(const int32_t *L, size_t n, size_t m, size_t k, const double *P, const double *conf,
                           double *T, double *lrow)
{
    double moved = 0;
    for (size_t i = 0; i < n; i++) {
        double top = -INFINITY;
        for (size_t c = 0; c < k; c++) {
            double v = log(fmax(P[i * k + c], CS_DS_LOG_FLOOR));
            for (size_t j = 0; j < m; j++) {
                int32_t y = L[i * m + j];
                if (y != CS_MISSING) v += log(fmax(conf[(j * k + c) * k + (size_t)y], CS_DS_LOG_FLOOR));
            }
            lrow[c] = v;
            top = fmax(top, v);
        }
        double z = 0;
        for (size_t c = 0; c < k; c++) z += (lrow[c] = exp(lrow[c] - top));
        for (size_t c = 0; c < k; c++) {
            double t = lrow[c] / z;
            moved = fmax(moved, fabs(t - T[i * k + c]));
            T[i * k + c] = t;
        }
    }
    return moved;
}

int cs_dawid_skene(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k, const cs_opts *o,
                   double *posterior, double *confusion)
{
    assert(labels && pred_probs && o && posterior && confusion && k > 0 && o->ds_max_iter > 0);
    double *lrow = malloc(k * sizeof *lrow);
    if (!lrow) return -1;
    /* start: the model's probabilities, normalised */
    for (size_t i = 0; i < n; i++) {
        double z = 0;
        for (size_t c = 0; c < k; c++) z += fmax(pred_probs[i * k + c], 0);
        for (size_t c = 0; c < k; c++)
            posterior[i * k + c] = z > 0 ? fmax(pred_probs[i * k + c], 0) / z : 1.0 / (double)k;
    }
    int it = 0;
    while (it < o->ds_max_iter) {
        cs_ds_m_step(labels, n, m, k, posterior, o->ds_smoothing, confusion);
        it++;
        if (cs_ds_e_step(labels, n, m, k, pred_probs, confusion, posterior, lrow) < o->ds_tol) break;
    }
    /* the matrices that match the final posteriors */
    cs_ds_m_step(labels, n, m, k, posterior, o->ds_smoothing, confusion);
    free(lrow);
    return it;
}
