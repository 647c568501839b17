/*
 * prep.c — the training-fold scaler (see prep.h). Two passes in double:
 * mean, then variance, over the training rows only.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "scaler.h"

int cv_scaler_fit(cv_scaler *s, const float *X, size_t n, size_t d, const int32_t *fold,
                  int exclude_fold, const uint8_t *onehot, int standardize, la_error *err)
{
    memset(s, 0, sizeof *s);
    double *sum = la_calloc(d ? d : 1, sizeof *sum);
    double *sq = la_calloc(d ? d : 1, sizeof *sq);
    s->mean = la_calloc(d ? d : 1, sizeof *s->mean);
    s->inv_scale = la_calloc(d ? d : 1, sizeof *s->inv_scale);
    if (!sum || !sq || !s->mean || !s->inv_scale) {
        free(sum); free(sq); cv_scaler_free(s);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    s->d = d;
    size_t m = 0;
    /* mean_j = (1/m) sum_{i in train} x_ij */
    for (size_t i = 0; i < n; i++) {
        if (fold && fold[i] == exclude_fold) continue;
        const float *x = X + i * d;
        for (size_t j = 0; j < d; j++) sum[j] += x[j];
        m++;
    }
    for (size_t j = 0; j < d; j++) sum[j] = m ? sum[j] / (double)m : 0.0;
    /* var_j = (1/m) sum_{i in train} (x_ij - mean_j)^2 */
    for (size_t i = 0; i < n; i++) {
        if (fold && fold[i] == exclude_fold) continue;
        const float *x = X + i * d;
        for (size_t j = 0; j < d; j++) {
            double t = x[j] - sum[j];
            sq[j] += t * t;
        }
    }
    for (size_t j = 0; j < d; j++) {
        double var = m ? sq[j] / (double)m : 0.0, sd = sqrt(var);
        if (onehot && onehot[j]) {
            /* indicator: keep 0/1; a category unseen in training is zeroed */
            s->mean[j] = 0.0f;
            s->inv_scale[j] = sum[j] > 0.0 ? 1.0f : 0.0f;
        } else if (!standardize) {
            s->mean[j] = 0.0f;
            s->inv_scale[j] = 1.0f;
        } else {
            s->mean[j] = (float)sum[j];
            s->inv_scale[j] = sd > 1e-7 * (1.0 + fabs(sum[j])) ? (float)(1.0 / sd) : 0.0f;
        }
    }
    free(sum); free(sq);
    return 0;
}

void cv_scaler_apply(const cv_scaler *s, const float *X, const size_t *rows, size_t nrows, float *out)
{
    size_t d = s->d;
    for (size_t r = 0; r < nrows; r++) {
        const float *x = X + (rows ? rows[r] : r) * d;
        float *o = out + r * d;
        for (size_t j = 0; j < d; j++) o[j] = (x[j] - s->mean[j]) * s->inv_scale[j];
    }
}

void cv_scaler_free(cv_scaler *s)
{
    free(s->mean); free(s->inv_scale);
    memset(s, 0, sizeof *s);
}
