/*
 * sampler.h — which training rows an epoch sees, and light image
 * augmentation of repeated rows: the samplers of --sampler (none, oversample,
 * undersample) and the 1-2 pixel shifts (and --flip mirrors) of oversampled
 * image repeats. Used by the mlp every epoch and by logreg once (its
 * resampled training set is materialized, then fitted full-batch).
 * The modest oversampling of --oversample-ratio (cv_sampler_topup) is
 * materialized once by cv_model_fit for every model.
 * Not here: the models, the losses. Deterministic for a given rng state.
 */
#ifndef CV_SAMPLER_H
#define CV_SAMPLER_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../util/la_rng.h"
#include "train.h"

/* Minibatch order for one epoch of a sampler over n training labels:
 * writes *count indices into idx (capacity n) — a permutation (none), n draws
 * with replacement with P(i) ~ 1 / n_{y_i} (oversample), or min_c n_c of each
 * class without replacement (undersample). Cannot fail: when out of memory
 * it falls back to the plain permutation. */
void cv_sampler_epoch(cv_sampler_kind s, const int32_t *y, size_t n, size_t k, la_rng *rng,
                      size_t *idx, size_t *count);

/* Light augmentation of one image row in place (w x h x channels, HWC):
 * shift by (dx, dy) pixels with edge replication, mirrored when flip.
 * tmp holds w x h x ch floats of scratch. */
void cv_sampler_augment_row(float *row, float *tmp, int w, int h, int ch, int dx, int dy, int flip);

/* A random shift of 1-2 pixels (never 0, 0) of a row of o's image shape
 * and, with o->flip, a coin-flip mirror. */
void cv_sampler_augment_random(const cv_train_opts *o, float *row, float *tmp, la_rng *r);

/* 1 when rows of d values are images of o's shape (augmentation applies). */
int cv_sampler_can_augment(const cv_train_opts *o, size_t d);

/* One epoch of o->sampler materialized (rng stream 13 of o->seed): *Xo
 * (*no x d), *yo, *swo (sw NULL = weights 1) hold the drawn rows, image
 * repeats augmented when oversampling. Returns 0 (caller frees the three)
 * or LA_EINTERNAL with nothing allocated. */
int cv_sampler_resample(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                        const float *sw, size_t k, float **Xo, int32_t **yo, float **swo, size_t *no,
                        la_error *err);

/* ---- modest oversampling (--oversample-ratio) ----------------------------- */

#define CV_AUG_MAX_SHIFT   2      /* pixels, either direction                  */
#define CV_AUG_MAX_DEGREES 10.0   /* rotation in [-10, 10] degrees             */
#define CV_AUG_NOISE       0.05   /* gaussian noise sd (standardized units)    */
#define CV_SMOTE_NEIGHBOURS 5     /* SMOTE: interpolate towards one of the 5 nearest */
#define CV_SMOTE_POOL      256    /* ... among at most this many rows of the class */

/* Targets of ratio R in (0, 1]: t_c = max(n_c, ceil(R max_c n_c)) for a
 * present class, 0 for an absent one. */
void cv_sampler_ratio_targets(const int32_t *y, size_t n, size_t k, double R, size_t *t);

/* A new image of o's shape from row (in place): rotated by a uniform angle
 * in [-CV_AUG_MAX_DEGREES, +], shifted by up to CV_AUG_MAX_SHIFT pixels
 * (bilinear, edges replicated), mirrored with o->flip on a coin flip, plus
 * gaussian noise of sd CV_AUG_NOISE, in pixel units when o->aug_mean is set
 * (the row is unstandardized first, restandardized after). tmp: w x h x ch
 * floats of scratch. */
void cv_sampler_augment_strong(const cv_train_opts *o, float *row, float *tmp, la_rng *r);

/* Every training row once, then t_c - n_c synthetic rows of each class c
 * (targets above with R = o->oversample_ratio; rng stream 19 of o->seed):
 * image rows (cv_sampler_can_augment) are augmented copies of a random row
 * of the class; table rows are SMOTE interpolations x_i + u (x_j - x_i),
 * u ~ U(0, 1), x_j one of the CV_SMOTE_NEIGHBOURS nearest (euclidean) rows
 * of the class among at most CV_SMOTE_POOL drawn ones (a class of one row is
 * copied). A synthetic row carries its source row's weight. *Xo (*no x d),
 * *yo, *swo as cv_sampler_resample. Returns 0 or LA_EINTERNAL. */
int cv_sampler_topup(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                     const float *sw, size_t k, float **Xo, int32_t **yo, float **swo, size_t *no,
                     la_error *err);

#endif /* CV_SAMPLER_H */
