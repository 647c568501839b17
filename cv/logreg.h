/*
 * logreg.h — multinomial logistic regression fitted by L-BFGS: the model of
 * model.h's CV_MODEL_LOGREG, a one-layer cv_mlp_net (W: d x k, b: k) whose
 * objective is J = sum_i sw_i L(z_i, y_i) + (l2 / 2) ||W||^2.
 * The L-BFGS is preconditioned by the inverse Gram matrix of the features,
 * and the default recipe (no --l2) warm-starts from a subsample; see
 * logreg.c. Not here: the network kernels (mlp.c). Library code: never prints.
 */
#ifndef CV_LOGREG_H
#define CV_LOGREG_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "loss.h"
#include "mlp.h"
#include "train.h"

/* Fits net (one layer, d x k, from its current parameters, normally 0) on X
 * (n x d), y (n in 0..k-1) and weights sw (NULL = 1) with options o: its
 * sampler (materialized once), loss, l2 (< 0: auto path), max_iter, tol,
 * patience and val_frac. Fills o->curve, *o->n_iter, *o->l2_used when given.
 * Returns 0 or LA_EINTERNAL (out of memory). */
int cv_logreg_fit(cv_mlp_net *net, const cv_train_opts *o, const float *X, size_t n,
                  const int32_t *y, const float *sw, size_t k, la_error *err);

/* J (above) of the net on X (n x d) and its gradient into grad (n_params,
 * may be NULL), evaluated the way L-BFGS does (sw NULL = weights 1), in
 * chunks of w->cap rows. NAN when out of memory. */
double cv_logreg_objective(const cv_mlp_net *net, const cv_loss *L, double l2, cv_mlp_ws *w,
                           const float *X, size_t n, const int32_t *y, const float *sw, float *grad);

#endif /* CV_LOGREG_H */
