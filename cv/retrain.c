/*
 * retrain.c — one fit on all training rows, one prediction of the test set
 * (retrain.h). Preprocessing: a scaler fitted on the training rows only,
 * then applied to both. The model: cv_model_fit, or co-teaching /
 * decoupled rebalancing from robust.c; co-teaching predicts with the mean
 * of its two networks' probabilities.
 */
#include "retrain.h"

#include <stdlib.h>
#include <string.h>

#include "scaler.h"

int cv_retrain_run(const cv_retrain_opts *o, const float *Xtr, size_t n, size_t d, const int32_t *y,
           const float *sw, size_t k, const float *Xte, size_t nte, const int32_t *yte,
           double *probs, cv_curve *curve, int *iters, la_error *err)
{
    cv_scaler sc;
    memset(&sc, 0, sizeof sc);
    float *Xs = NULL, *Ts = NULL;
    cv_model *m = NULL, *m2 = NULL;
    int rc;
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no training examples");
    if ((rc = cv_scaler_fit(&sc, Xtr, n, d, NULL, -1, o->onehot, o->standardize, err))) return rc;
    Xs = la_malloc_array(n * d, sizeof *Xs);
    Ts = la_malloc_array((nte ? nte : 1) * d, sizeof *Ts);
    if (!Xs || !Ts) goto oom;
    /* x' = (x - mean_train) / std_train, train and test alike */
    cv_scaler_apply(&sc, Xtr, NULL, n, Xs);
    cv_scaler_apply(&sc, Xte, NULL, nte, Ts);

    cv_train_opts t = o->train;
    t.curve = curve;
    t.eval_X = yte ? Ts : NULL;
    t.eval_y = yte;
    t.eval_n = yte ? nte : 0;
    t.n_iter = iters;
    if (o->coteach) {
        rc = cv_robust_coteach_fit(&t, &o->co, Xs, n, d, y, k, &m, &m2, err);
    } else if (o->decouple) {
        rc = cv_robust_decouple_fit(&t, t.sampler, Xs, n, d, y, sw, k, &m, err);
    } else {
        rc = cv_model_fit(&t, Xs, n, d, y, sw, k, &m, err);
    }
    if (rc) goto done;
    rc = m2 ? cv_robust_coteach_predict(m, m2, Ts, nte, k, probs, err)
            : cv_model_predict_proba(m, Ts, nte, probs, err);
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    cv_model_free(m);
    cv_model_free(m2);
    cv_scaler_free(&sc);
    free(Xs); free(Ts);
    return rc;
}
