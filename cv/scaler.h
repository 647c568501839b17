/*
 * prep.h — preprocessing fitted on a training fold only: per-column
 * standardization (x - mean) / std, with one-hot indicator columns left as
 * 0/1 and zeroed when the category never occurs in the training rows.
 *
 * The scaler sees only the rows it is told to fit on: this is what keeps the
 * held-out fold out of preprocessing (tested in tests/unit/test_cv.c).
 */
#ifndef CV_SCALER_H
#define CV_SCALER_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

typedef struct cv_scaler {
    size_t d;            /* columns                                          */
    float *mean;         /* d: subtracted (0 for one-hot columns)            */
    float *inv_scale;    /* d: multiplier 1/std; 0 for constant or unseen    */
} cv_scaler;

/* Fits on the rows i of X (n x d) with fold[i] != exclude_fold (all rows when
 * fold is NULL). onehot (d, may be NULL) marks indicator columns. With
 * standardize == 0 the scaler only zeroes unseen one-hot columns (mean 0,
 * scale 1 elsewhere). Statistics in double; population std (ddof 0), a column
 * that is constant on the training rows maps to 0. Returns 0 or LA_EINTERNAL. */
int cv_scaler_fit(cv_scaler *s, const float *X, size_t n, size_t d, const int32_t *fold,
                  int exclude_fold, const uint8_t *onehot, int standardize, la_error *err);

/* out[i][j] = (X[i][j] - mean[j]) * inv_scale[j] for the rows listed in rows
 * (nrows of them, or the first nrows rows when rows is NULL); out is nrows x d. */
void cv_scaler_apply(const cv_scaler *s, const float *X, const size_t *rows, size_t nrows, float *out);

void cv_scaler_free(cv_scaler *s);

#endif /* CV_SCALER_H */
