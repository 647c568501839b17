/*
 * prior.h — prior correction: the class distribution a model was trained
 * towards (resampling, class weights, logit adjustment, decoupled heads)
 * and the Bayes prior-shift map of its probabilities back to the data's.
 *
 * A model trained where class c has share pi'_c instead of the data's pi_c
 * estimates p'(c|x) = p(x|c) pi'_c / Z'(x). Bayes' rule gives
 *     p(c|x) = p'(c|x) (pi_c / pi'_c) / sum_j p'(j|x) (pi_j / pi'_j),
 * the correction applied to every row unless --raw-probs.
 * Library code: pure functions, no allocation beyond the caller's buffers.
 */
#ifndef CV_PRIOR_H
#define CV_PRIOR_H

#include <stddef.h>
#include <stdint.h>
#include "train.h"

/* The data's class shares pi (k) of the training labels y (n in 0..k-1) and
 * the shares pi_train (k) the model of options o is trained towards, with
 * decouple: the decoupled mlp or cnn, whose output layer is refitted with a
 * class-balanced sampler. Returns 1 when training shifts the distribution
 * (pi_train != pi by construction), else 0 with pi_train = pi. Per model:
 *   a_c = n_c, or the --oversample-ratio targets t_c;  knn: that is all;
 *   decoupled: uniform over the present classes (the refitted head);
 *   --sampler oversample|undersample: a_c uniform over the present classes;
 *   q_c = the counts the loss weights and shifts are computed from (the mlp:
 *         the training rows before its sampler; logreg: a_c, the sampled set);
 *   weighted / balanced / --focal-alpha: a_c *= w_c(q) (weighting a class's
 *         loss by w_c is sampling it w_c times as often);
 *   logit-adjusted: a_c *= q_c^-tau (softmax(z) ~ p(c|x) / pi_c^tau);
 *   pi_train = a / sum a. */
int cv_prior_shift(const cv_train_opts *o, int decouple, const int32_t *y, size_t n, size_t k,
                   double *pi, double *pi_train);

/* 1 when options o (with decouple) shift the class distribution in
 * training: what cv_prior_shift returns for labels where every shifted
 * class is present, from the options alone. */
int cv_prior_shifts(const cv_train_opts *o, int decouple);

/* probs (n x k rows) mapped from the training shares pi_train to pi in place:
 * p_c <- p_c r_c / sum_j p_j r_j with r_c = pi_c / pi_train_c (r_c = 1 where
 * either share is 0), then floored at 1e-12 and renormalized like the models'
 * own outputs: rows sum to 1, no value is 0. */
void cv_prior_correct(double *probs, size_t n, size_t k, const double *pi, const double *pi_train);

#endif /* CV_PRIOR_H */
