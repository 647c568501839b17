/*
 * ensemble.c — mixtures of member models (ensemble.h). Members are fitted
 * one after another with the ensemble's options (and thread budget); the
 * members' test probabilities are kept (M x nte x k) until the weights are
 * known. Not here: the members' math (model.c and below).
 */
#include "ensemble.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"
#include "model.h"

#define CV_ENSEMBLE_MAX 4

void cv_ensemble_em_weights(const double *const *pv, int M, const int32_t *y, size_t n, size_t k, double *w)
{
    for (int m = 0; m < M; m++) w[m] = 1.0 / M;
    if (n == 0) return;
    double acc[CV_ENSEMBLE_MAX];
    for (int it = 0; it < CV_ENSEMBLE_EM_ITERS; it++) {
        for (int m = 0; m < M; m++) acc[m] = 0.0;
        for (size_t i = 0; i < n; i++) {
            /* r_im = w_m p^m_{i,y_i} / sum_j w_j p^j_{i,y_i} */
            double s = 0.0, q[CV_ENSEMBLE_MAX];
            for (int m = 0; m < M; m++) { q[m] = w[m] * pv[m][i * k + (size_t)y[i]]; s += q[m]; }
            if (!(s > 0)) continue;
            for (int m = 0; m < M; m++) acc[m] += q[m] / s;
        }
        double tot = 0.0;
        for (int m = 0; m < M; m++) tot += acc[m];
        if (!(tot > 0)) return;
        for (int m = 0; m < M; m++) w[m] = acc[m] / tot;       /* w_m = mean_i r_im */
    }
}

/* Member m's options: the ensemble's, with the model replaced. */
static cv_train_opts member_opts(const cv_train_opts *o, int m)
{
    cv_train_opts om = *o;
    om.model = o->ensemble[m];
    om.n_ensemble = 0;
    om.curve = NULL;
    om.eval_X = NULL;
    om.eval_y = NULL;
    om.eval_n = 0;
    return om;
}

/* The inner split for weights: fold 0 of round(1 / val_frac) stratified
 * folds (seed ^ CV_INNER_SPLIT_SEED) is validation. Fills tr / va (index
 * lists), returns 0 or -1 (out of memory, or too few rows: no split). */
static int inner_split(const cv_train_opts *o, const int32_t *y, size_t n, size_t k, size_t *tr, size_t *ntr,
                       size_t *va, size_t *nva)
{
    int vf = o->val_frac > 0 ? (int)lround(1.0 / o->val_frac) : 10;
    if (vf < 2 || n < (size_t)vf * 5) return -1;
    int32_t *fold = la_malloc_array(n, sizeof *fold);
    la_error e;
    if (!fold || cv_folds_stratified(y, n, k, vf, o->seed ^ CV_INNER_SPLIT_SEED, fold, NULL, &e)) {
        free(fold);
        return -1;
    }
    *ntr = *nva = 0;
    for (size_t i = 0; i < n; i++) { if (fold[i] == 0) va[(*nva)++] = i; else tr[(*ntr)++] = i; }
    free(fold);
    return 0;
}

/* Rows idx of X (d wide), y, sw gathered into Xs, ys, sws (sws NULL when sw is). */
static void gather(const float *X, const int32_t *y, const float *sw, size_t d, const size_t *idx, size_t m,
                   float *Xs, int32_t *ys, float *sws)
{
    for (size_t j = 0; j < m; j++) {
        memcpy(Xs + j * d, X + idx[j] * d, d * sizeof *Xs);
        ys[j] = y[idx[j]];
        if (sw) sws[j] = sw[idx[j]];
    }
}

/* Fits member m on (X, n) and predicts Xte into Pte and, when Xva, Xva into Pva. */
static int fit_member(const cv_train_opts *o, int m, const float *X, size_t n, size_t d, const int32_t *y,
                      const float *sw, size_t k, const float *Xte, size_t nte, double *Pte, const float *Xva,
                      size_t nva, double *Pva, la_error *err)
{
    cv_train_opts om = member_opts(o, m);
    cv_model *mod = NULL;
    int rc = cv_model_fit(&om, X, n, d, y, sw, k, &mod, err);
    if (!rc && nte) rc = cv_model_predict_proba(mod, Xte, nte, Pte, err);
    if (!rc && Xva && nva) rc = cv_model_predict_proba(mod, Xva, nva, Pva, err);
    cv_model_free(mod);
    return rc;
}

int cv_ensemble_fit_predict(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                            const float *sw, size_t k, const float *Xte, size_t nte, double *probs,
                            double *weights, la_error *err)
{
    int M = o->n_ensemble;
    if (M < 1 || M > CV_ENSEMBLE_MAX)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "an ensemble needs 1 to %d members", CV_ENSEMBLE_MAX);
    double w[CV_ENSEMBLE_MAX];
    double *Pte = la_malloc_array((size_t)M * nte * k + 1, sizeof *Pte);
    size_t *tr = NULL, *va = NULL, ntr = 0, nva = 0;
    float *Xtr = NULL, *Xva = NULL, *swtr = NULL;
    int32_t *ytr = NULL, *yva = NULL;
    double *Pva = NULL;
    int rc = 0, split = 0;
    if (!Pte) goto oom;
    if (o->ensemble_weighted) {
        tr = la_malloc_array(n, sizeof *tr);
        va = la_malloc_array(n, sizeof *va);
        if (!tr || !va) goto oom;
        split = inner_split(o, y, n, k, tr, &ntr, va, &nva) == 0;
    }
    if (split) {
        Xtr = la_malloc_array(ntr * d, sizeof *Xtr);
        Xva = la_malloc_array(nva * d, sizeof *Xva);
        ytr = la_malloc_array(ntr, sizeof *ytr);
        yva = la_malloc_array(nva, sizeof *yva);
        swtr = sw ? la_malloc_array(ntr, sizeof *swtr) : NULL;
        Pva = la_malloc_array((size_t)M * nva * k, sizeof *Pva);
        if (!Xtr || !Xva || !ytr || !yva || (sw && !swtr) || !Pva) goto oom;
        gather(X, y, sw, d, tr, ntr, Xtr, ytr, swtr);
        gather(X, y, NULL, d, va, nva, Xva, yva, NULL);
    }
    for (int m = 0; m < M && !rc; m++)
        rc = split ? fit_member(o, m, Xtr, ntr, d, ytr, swtr, k, Xte, nte, Pte + (size_t)m * nte * k, Xva, nva,
                                Pva + (size_t)m * nva * k, err)
                   : fit_member(o, m, X, n, d, y, sw, k, Xte, nte, Pte + (size_t)m * nte * k, NULL, 0, NULL, err);
    if (rc) goto done;
    const double *pv[CV_ENSEMBLE_MAX];
    for (int m = 0; m < M; m++) pv[m] = split ? Pva + (size_t)m * nva * k : NULL;
    cv_ensemble_em_weights(pv, M, yva, split ? nva : 0, k, w);
    /* p_ic = sum_m w_m p^m_ic: a convex combination of rows that sum to 1 */
    for (size_t j = 0; j < nte * k; j++) {
        double s = 0.0;
        for (int m = 0; m < M; m++) s += w[m] * Pte[(size_t)m * nte * k + j];
        probs[j] = s > 1e-12 ? s : 1e-12;
    }
    for (size_t i = 0; i < nte; i++) {
        double s = 0.0;
        for (size_t c = 0; c < k; c++) s += probs[i * k + c];
        for (size_t c = 0; c < k; c++) probs[i * k + c] /= s;
    }
    if (weights) memcpy(weights, w, (size_t)M * sizeof *w);
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    free(Pte); free(tr); free(va); free(Xtr); free(Xva); free(swtr); free(ytr); free(yva); free(Pva);
    return rc;
}
