/*
 * ensemble.h — `--model ensemble:logreg+mlp+cnn`: fits each member model
 * (model.h) on the same rows and predicts with the mixture of their class
 * probabilities, p_ic = sum_m w_m p^m_ic. Equal weights by default; with
 * o->ensemble_weighted the members are fitted on an inner training split and
 * w maximizes the mixture's likelihood of the inner validation labels (EM).
 * Averaged probabilities are better calibrated than any member's, which is
 * what confident learning's thresholds need. Sits above model.h (it calls
 * cv_model_fit); robust.c dispatches to it. Library code: never prints.
 */
#ifndef CV_ENSEMBLE_H
#define CV_ENSEMBLE_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "train.h"

#define CV_ENSEMBLE_EM_ITERS 200

/* Mixture weights by EM: pv[m] (n x k) are member m's probabilities of n
 * validation rows with labels y; w (M) receives the weights (>= 0, sum 1)
 * that maximize sum_i log sum_m w_m pv[m][i, y_i], from w = 1/M:
 *   r_im = w_m p^m_{i,y_i} / sum_j w_j p^j_{i,y_i},   w_m = mean_i r_im.
 * n == 0 gives equal weights. Cannot fail. */
void cv_ensemble_em_weights(const double *const *pv, int M, const int32_t *y, size_t n, size_t k, double *w);

/* Fits o->ensemble[0..n_ensemble-1] (each with o's options, model replaced)
 * on X (n x d), y, sw (NULL = 1) and writes probs (nte x k) = the weighted
 * mean of their probabilities for Xte (nte x d); weights (n_ensemble, may be
 * NULL) receives w. Rows sum to 1, every value > 0. Returns 0 or the first
 * failing member's status (LA_EUSAGE, LA_EINTERNAL). */
int cv_ensemble_fit_predict(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                            const float *sw, size_t k, const float *Xte, size_t nte, double *probs,
                            double *weights, la_error *err);

#endif /* CV_ENSEMBLE_H */
