/*
 * retrain.h — the final model: fit preprocessing and one model on the whole
 * (cleaned) training set, predict a held-out test set. `retrain` drives it;
 * the test labels are used only for the per-epoch held-out accuracy curve,
 * never for fitting, preprocessing or early stopping (the mlp stops on its
 * own inner validation split of the training rows).
 * Library code: never prints.
 */
#ifndef CV_RETRAIN_H
#define CV_RETRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "model.h"
#include "robust.h"

typedef struct cv_retrain_opts {
    cv_train_opts train;      /* model, loss, sampler... (curve/eval/n_iter are set by cv_retrain_run) */
    int   standardize;        /* 1: standardize columns on the training rows  */
    const uint8_t *onehot;    /* d indicator columns (never standardized), or NULL */
    int   coteach;            /* 1: co-teaching (mlp), see robust.h           */
    cv_robust_coteach_opts co;
    int   decouple;           /* 1: decoupled rebalancing (mlp), see robust.h */
} cv_retrain_opts;

/* Xtr: n x d raw training features, y: n labels, sw: n weights or NULL;
 * Xte: nte x d raw test features, yte: nte test labels (curve only, may be
 * NULL). Writes probs (nte x k doubles). curve (may be NULL; arrays of
 * curve->cap entries) receives the learning curves; *iters (may be NULL) the
 * iterations or epochs run. With --decouple, stage 2 uses train.sampler
 * (oversample when none). Returns 0, LA_EUSAGE or LA_EINTERNAL with err. */
int cv_retrain_run(const cv_retrain_opts *o, const float *Xtr, size_t n, size_t d, const int32_t *y,
           const float *sw, size_t k, const float *Xte, size_t nte, const int32_t *yte,
           double *probs, cv_curve *curve, int *iters, la_error *err);

#endif /* CV_RETRAIN_H */
