/*
 * knn.h — k-nearest neighbours, the model of model.h's CV_MODEL_KNN: the
 * training rows are kept (unit rows for cosine, squared norms for
 * euclidean) and a query's class probabilities are its k nearest rows'
 * distance-weighted votes, smoothed so no class gets 0.
 * Not here: preprocessing (the rows arrive standardized). Never prints.
 */
#ifndef CV_KNN_H
#define CV_KNN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "train.h"

typedef struct cv_knn cv_knn;

/* Keeps X (n x d), y (n in 0..k-1) and sw (n, NULL = 1) with o->knn_k
 * (15 when <= 0, at most n), o->metric and vote smoothing o->smoothing (0.01
 * when <= 0). Returns 0 and *out (free with cv_knn_free) or LA_EINTERNAL. */
int cv_knn_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
               const float *sw, size_t k, cv_knn **out, la_error *err);

/* out (n x k): p_c = (v_c + a) / (1 + K a), v = the normalized sum over the
 * k nearest of sw_j / (dist_j + 1e-6) for their labels, a = vote smoothing.
 * Returns 0 or LA_EINTERNAL. */
int cv_knn_predict_proba(const cv_knn *m, const float *X, size_t n, double *out, la_error *err);

/* Safe on NULL. */
void cv_knn_free(cv_knn *m);

#endif /* CV_KNN_H */
