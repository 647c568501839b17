/*
 * robust.h — noise-robust and imbalance-aware training of the networks on
 * top of model.h, for `retrain` and (per fold) `cv`:
 *
 *   co-teaching (Han et al. 2018): two networks with different initial
 *     weights; on every minibatch each ranks the rows by its own loss and
 *     hands the (1 - R(t)) share with the smallest loss to the OTHER network,
 *     which takes its gradient step on those rows only. R(t) = forget_rate *
 *     min(t / forget_epochs, 1) grows linearly over the first epochs, while
 *     the networks still fit mostly clean labels, then stays.
 *   decoupled rebalancing (Kang et al. 2020, "cRT"): the mlp or the cnn is
 *     trained on the natural class distribution, then its output layer alone
 *     is refitted (multinomial logistic regression by L-BFGS on the
 *     activations under it: the mlp's last hidden layer, the cnn's dense
 *     layer; model.h's cv_model_embed / cv_model_head) with class-balanced
 *     sampling.
 *
 * Both return ordinary cv_model's (predict with cv_model_predict_proba).
 * Co-teaching (mlp only) relies on the flat parameter layout of
 * cv_model_params: every W_l (in x out, row-major) then every b_l, layer l
 * mapping dims[l] -> dims[l+1] with dims = d, hidden[0..n_hidden-1], k.
 * Library code: never prints.
 */
#ifndef CV_ROBUST_H
#define CV_ROBUST_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "model.h"

typedef struct cv_robust_coteach_opts {
    double forget_rate;       /* tau: share of each batch dropped at the end (0.2) */
    int    forget_epochs;     /* T_k: epochs over which the share grows (10)       */
} cv_robust_coteach_opts;

/* Trains two mlps by co-teaching on X (n x d, preprocessed), y (n in 0..k-1).
 * o->model must be CV_MODEL_MLP; o->loss is the loss of the update step (the
 * ranking uses plain cross-entropy); o->sampler, dropout and sw are not used;
 * no early stopping (o->epochs epochs run). o->curve (may be NULL) gets the
 * first network's training accuracy (on the rows it was given) and held-out
 * accuracy per epoch; best = -1. *a, *b receive the two networks (free both
 * with cv_model_free). Returns 0, LA_EUSAGE (not an mlp, bad rates, n == 0)
 * or LA_EINTERNAL. */
int cv_robust_coteach_fit(const cv_train_opts *o, const cv_robust_coteach_opts *co, const float *X, size_t n,
                   size_t d, const int32_t *y, size_t k, cv_model **a, cv_model **b, la_error *err);

/* The co-taught pair's prediction: probs (n x k) = (p_a + p_b) / 2, the mean
 * of the two networks' class probabilities for X (n x d, preprocessed as for
 * the fit). Rows sum to 1, every value > 0. Returns 0 or LA_EINTERNAL (out of
 * memory; probs then undefined). */
int cv_robust_coteach_predict(const cv_model *a, const cv_model *b, const float *X, size_t n, size_t k,
                             double *probs, la_error *err);

/* Decoupled training: stage 1 cv_model_fit(o) with o->sampler forced to
 * none (the natural distribution; o->loss, early stopping and curves as
 * usual); stage 2 refits the output layer on the activations under it
 * (cv_model_embed) with cross-entropy and the sampler `stage2` (oversample =
 * class-balanced, the default; undersample). *out receives the model.
 * Returns 0, LA_EUSAGE (cv_robust_decouples(o) is 0) or LA_EINTERNAL. */
int cv_robust_decouple_fit(const cv_train_opts *o, cv_sampler_kind stage2, const float *X, size_t n,
                    size_t d, const int32_t *y, const float *sw, size_t k, cv_model **out,
                    la_error *err);

/* 1 when o's model can be decoupled: it has a representation under its
 * output layer (an mlp with a hidden layer, or the cnn's dense layer). */
int cv_robust_decouples(const cv_train_opts *o);

/* The last hidden layer's activations of an mlp with d inputs and k classes
 * trained with options o (H: n x hidden[n_hidden-1]). Returns 0 or
 * LA_EUSAGE (not an mlp) / LA_EINTERNAL. */
int cv_robust_hidden(cv_model *m, const cv_train_opts *o, size_t d, size_t k, const float *X, size_t n,
              float *H, la_error *err);

/* Fits one model on the preprocessed rows X (n x d), y, sw (NULL = 1) and
 * predicts Xte (nte x d) into probs (nte x k): the co-taught pair when co is
 * not NULL (predicting with the mean of its two networks), the decoupled net
 * when decouple (stage 2 with o->sampler), else cv_model_fit. When the
 * training shifted the class distribution (cv_prior_shift of prior.h) the
 * probabilities are mapped back to y's class shares, unless o->raw_probs.
 * What cv's folds and retrain share. Returns 0 or the fit's / prediction's
 * status. */
/* cv_robust_fit_predict that also writes H (nte x hidden[n_hidden-1]): the
 * last hidden layer of the fitted mlp on Xte (co-teaching: its first
 * network), or nothing when H is NULL. LA_EUSAGE when H is asked of a model
 * that is not an mlp with a hidden layer. */
int cv_robust_fit_predict_embed(const cv_train_opts *o, const cv_robust_coteach_opts *co, int decouple,
                                const float *X, size_t n, size_t d, const int32_t *y, const float *sw,
                                size_t k, const float *Xte, size_t nte, double *probs, float *H,
                                la_error *err);

int cv_robust_fit_predict(const cv_train_opts *o, const cv_robust_coteach_opts *co, int decouple,
                          const float *X, size_t n, size_t d, const int32_t *y, const float *sw,
                          size_t k, const float *Xte, size_t nte, double *probs, la_error *err);

#endif /* CV_ROBUST_H */
