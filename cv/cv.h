/*
 * cv.h — k-fold cross-validation driver: for each fold f, fit the scaler and
 * the model on the rows outside f, predict the rows of f. Every example's
 * probabilities come from the one model that never saw it (nor its features:
 * preprocessing is fitted on the training rows only).
 *
 * Folds run in parallel on `threads` workers (BLAS single-threaded inside
 * each), or one after another with a `threads`-wide BLAS when there is one
 * worker; either way the result depends only on the inputs, the seed and the
 * thread count. Logistic regression with no sampler trains all folds at once
 * (one pass over X serves every fold's gradient: see cv.c).
 */
#ifndef CV_CV_H
#define CV_CV_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "model.h"
#include "robust.h"

typedef struct cv_fold_info {
    size_t n_train, n_test;   /* rows fitted on / predicted                   */
    int    iters;             /* L-BFGS iterations or mlp epochs run          */
    double seconds;           /* wall time of the fold                        */
    double l2;                /* L2 penalty used (chosen by --l2 auto)        */
} cv_fold_info;

typedef struct cv_run_opts {
    int   n_folds;            /* folds (values of fold[] are 0..n_folds-1)    */
    int   threads;            /* total threads, >= 1                          */
    int   standardize;        /* 1: standardize columns (training rows only)  */
    const uint8_t *onehot;    /* d: indicator columns (never standardized), or NULL */
    cv_curve *curves;         /* n_folds learning curves to fill, or NULL     */
    /* co-teaching per fold (mlp, no weights): each fold's model is a co-taught
     * pair, predicting with the mean of its two networks; NULL = cv_model_fit */
    const cv_robust_coteach_opts *coteach;
    /* called as each fold finishes (serialized; may be NULL) */
    void (*on_fold)(void *ctx, int fold, int n_done);
    void *ctx;
} cv_run_opts;

/* X: n x d raw features; y: n labels in 0..k-1; sw: n weights or NULL;
 * fold: n fold indices. Writes probs (n x k doubles) and info[n_folds] (may
 * be NULL). Returns 0 or a status with err filled (nothing useful in probs). */
int cv_run(const cv_train_opts *t, const cv_run_opts *r, const float *X, size_t n, size_t d,
           const int32_t *y, const float *sw, size_t k, const int32_t *fold,
           double *probs, cv_fold_info *info, la_error *err);

#endif /* CV_CV_H */
