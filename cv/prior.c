/*
 * prior.c — the training distribution of a set of options and the
 * prior-shift correction of probabilities (prior.h).
 */
#include "prior.h"

#include <math.h>
#include <string.h>

/* Probability floor, as the models' softmax (mlp.c). */
#define PRIOR_FLOOR 1e-12

int cv_prior_shift(const cv_train_opts *o, int decouple, const int32_t *y, size_t n, size_t k,
                   double *pi, double *pi_train)
{
    double *a = pi_train;
    for (size_t c = 0; c < k; c++) pi[c] = 0.0;
    for (size_t i = 0; i < n; i++) pi[y[i]] += 1.0;
    size_t present = 0;
    for (size_t c = 0; c < k; c++) present += pi[c] > 0;
    int shifted = 0;
    for (size_t c = 0; c < k; c++) a[c] = pi[c];
    if (o->oversample_ratio > 0) {
        /* t_c = max(n_c, ceil(R max n)) */
        double mx = 0.0;
        for (size_t c = 0; c < k; c++) mx = a[c] > mx ? a[c] : mx;
        double want = ceil(o->oversample_ratio * mx);
        for (size_t c = 0; c < k; c++) if (a[c] > 0 && a[c] < want) { a[c] = want; shifted = 1; }
    }
    if (o->model != CV_MODEL_KNN && decouple) {
        for (size_t c = 0; c < k; c++) a[c] = pi[c] > 0 ? 1.0 : 0.0;
        shifted = 1;
    } else if (o->model != CV_MODEL_KNN) {
        double q[CV_MAX_CLASSES];
        memcpy(q, a, k * sizeof *q);
        if (o->sampler != CV_SAMPLER_NONE) {
            for (size_t c = 0; c < k; c++) a[c] = pi[c] > 0 ? 1.0 : 0.0;
            if (o->model == CV_MODEL_LOGREG) memcpy(q, a, k * sizeof *q);
            shifted = 1;
        }
        double qn = 0.0;
        for (size_t c = 0; c < k; c++) qn += q[c];
        for (size_t c = 0; c < k; c++) {
            if (a[c] <= 0) continue;
            double w = 1.0;
            if (o->loss == CV_LOSS_WEIGHTED) w = qn / ((double)present * q[c]);
            if (o->loss == CV_LOSS_BALANCED) w = (1.0 - o->beta) / (1.0 - pow(o->beta, q[c]));
            if (o->loss == CV_LOSS_FOCAL && o->focal_alpha)
                w *= o->focal_alpha[o->n_focal_alpha == 1 ? 0 : c];
            if (o->loss == CV_LOSS_LOGIT_ADJUSTED) w = pow(q[c] / qn, -o->tau);
            a[c] *= w;
        }
        if (o->loss == CV_LOSS_WEIGHTED || o->loss == CV_LOSS_BALANCED ||
            (o->loss == CV_LOSS_FOCAL && o->focal_alpha && o->n_focal_alpha > 1) ||
            (o->loss == CV_LOSS_LOGIT_ADJUSTED && o->tau != 0.0))
            shifted = 1;
    }
    double sp = 0.0, sa = 0.0;
    for (size_t c = 0; c < k; c++) { sp += pi[c]; sa += a[c]; }
    for (size_t c = 0; c < k; c++) {
        pi[c] = sp > 0 ? pi[c] / sp : 0.0;
        a[c] = sa > 0 ? a[c] / sa : 0.0;
    }
    if (!shifted) memcpy(pi_train, pi, k * sizeof *pi);
    return shifted;
}

int cv_prior_shifts(const cv_train_opts *o, int decouple)
{
    if (o->oversample_ratio > 0) return 1;
    if (o->model == CV_MODEL_KNN) return 0;
    return decouple || o->sampler != CV_SAMPLER_NONE || o->loss == CV_LOSS_WEIGHTED ||
           o->loss == CV_LOSS_BALANCED || (o->loss == CV_LOSS_FOCAL && o->focal_alpha && o->n_focal_alpha > 1) ||
           (o->loss == CV_LOSS_LOGIT_ADJUSTED && o->tau != 0.0);
}

void cv_prior_correct(double *probs, size_t n, size_t k, const double *pi, const double *pi_train)
{
    double r[CV_MAX_CLASSES];
    for (size_t c = 0; c < k; c++) r[c] = pi[c] > 0 && pi_train[c] > 0 ? pi[c] / pi_train[c] : 1.0;
    for (size_t i = 0; i < n; i++) {
        double *p = probs + i * k, s = 0.0;
        /* p(c|x) = p'(c|x) r_c / sum_j p'(j|x) r_j */
        for (size_t c = 0; c < k; c++) { p[c] *= r[c]; s += p[c]; }
        double s2 = 0.0;
        for (size_t c = 0; c < k; c++) { p[c] /= s; if (p[c] < PRIOR_FLOOR) p[c] = PRIOR_FLOOR; s2 += p[c]; }
        for (size_t c = 0; c < k; c++) p[c] /= s2;
    }
}
