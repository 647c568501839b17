/*
 * model.h — the trainer as a library: fit one model on a matrix, predict
 * class probabilities. `cv` calls it once per fold, `retrain` once on the whole
 * (cleaned) training set. Models: multinomial logistic regression (L-BFGS),
 * an MLP (ReLU, Adam, minibatches, dropout, early stopping on an inner
 * validation split) and k-nearest neighbours (distance-weighted votes).
 *
 *   cv_train_opts o;  cv_train_opts_init(&o);  o.model = CV_MODEL_MLP;
 *   cv_model *m;
 *   if (cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err)) return err.status;
 *   cv_model_predict_proba(m, Xtest, ntest, probs, &err);   // ntest x k doubles
 *   cv_model_free(m);
 *
 * X is float32 row-major and already preprocessed (see prep.h): the model
 * does not standardize. The objective of logreg and mlp is
 *   J(theta) = sum_i sw_i L(z_i, y_i) + (l2 / 2) ||W||^2     (biases unpenalized)
 * so --l2 is 1/C of scikit-learn's LogisticRegression (C = 1 <=> l2 = 1).
 * The models live in logreg.c, mlp.c and knn.c, their options in train.h;
 * this module only dispatches. Library code: never prints; failures fill la_error.
 */
#ifndef CV_MODEL_H
#define CV_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "loss.h"
#include "train.h"

typedef struct cv_model cv_model;



/* Trains a model on X (n x d float32), labels y (n, in 0..k-1) and optional
 * per-example weights sw (n, >= 0; NULL = all 1). Returns 0 and *out (free
 * with cv_model_free), LA_EUSAGE for unusable input (n == 0, k > CV_MAX_CLASSES,
 * all weights 0), LA_EINTERNAL when out of memory. Deterministic for the same
 * inputs, seed and thread count. A class with no training example is allowed:
 * it gets a small, never exactly 0, probability. */
int cv_model_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                 const float *sw, size_t k, cv_model **out, la_error *err);

/* out (n x k doubles) = class probabilities of X's rows (n x d). Rows sum to
 * 1, every value > 0. Returns 0 or LA_EINTERNAL (out of memory). */
int cv_model_predict_proba(const cv_model *m, const float *X, size_t n, double *out, la_error *err);

void cv_model_free(cv_model *m);

/* Inspection and testing. cv_model_init makes an untrained model with the
 * same initialization as cv_model_fit (logreg and mlp); cv_model_params gives
 * its flat parameter vector; cv_model_objective evaluates J (above, no
 * dropout) and its gradient (same layout as the parameters, may be NULL). */
int    cv_model_init(const cv_train_opts *o, size_t d, size_t k, cv_model **out, la_error *err);
float *cv_model_params(cv_model *m, size_t *count);
double cv_model_objective(const cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                          const int32_t *y, const float *sw, float *grad);

/* The representation under the output layer, for decoupled training
 * (robust.h): the last hidden layer of an mlp, the dense layer of a cnn.
 * cv_model_embed_dim gives its width (0 for logreg and knn, which have no
 * representation of their own: a logreg's "representation" is its input);
 * cv_model_embed writes H (n x width) for X's rows (n x d, no dropout),
 * returning 0, LA_EUSAGE (width 0) or LA_EINTERNAL; cv_model_head points
 * *W (width x k, row-major) and *b (k) at the output layer z = h W + b,
 * to read or overwrite, and returns 0 or LA_EUSAGE (width 0). */
size_t cv_model_embed_dim(const cv_model *m);
int    cv_model_embed(const cv_model *m, const float *X, size_t n, float *H, la_error *err);
int    cv_model_head(cv_model *m, float **W, float **b, la_error *err);

/* The network behind a logreg or mlp model (its parameters, for robust.c's
 * co-teaching and decoupled training), or NULL for knn. */
struct cv_mlp_net *cv_model_net(cv_model *m);



#endif /* CV_MODEL_H */
