/*
 * model.c — the trainer's front door (model.h): option defaults and checks,
 * and fit / predict dispatched to logreg.c (L-BFGS), mlp.c (Adam) or knn.c.
 * A logreg is a one-layer cv_mlp_net, so both share prediction (softmax).
 * Not here: the models' math, preprocessing (prep.c), folds (cv.c).
 */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "cnn.h"
#include "knn.h"
#include "logreg.h"
#include "mlp.h"
#include "sampler.h"

/* Rows per chunk when cv_model_objective evaluates J, and when
 * cv_model_embed runs the mlp forward (1024: robust.c's chunk before
 * session 14, so the embeddings and decoupled heads are bit for bit
 * the same). */
#define OBJECTIVE_ROWS 4096
#define EMBED_ROWS 1024

struct cv_model {
    cv_model_kind kind;
    size_t d, k;
    cv_mlp_net net;                     /* logreg and mlp                      */
    cv_knn *knn;                        /* knn, after the fit                  */
    cv_cnn *cnn;                        /* cnn                                 */
    int threads;                        /* cnn: prediction threads (the fit's) */
};

/* ---- parameters ----------------------------------------------------------- */

int cv_model_init(const cv_train_opts *o, size_t d, size_t k, cv_model **out, la_error *err)
{
    *out = NULL;
    cv_model *m = la_calloc(1, sizeof *m);
    if (!m) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    m->kind = o->model;
    m->d = d;
    m->k = k;
    if (o->model == CV_MODEL_ENSEMBLE) {
        free(m);
        return la_error_set(err, LA_EUSAGE, NULL, 0, "an ensemble is fitted by cv_ensemble_fit_predict");
    }
    if (o->model == CV_MODEL_CNN) {
        int rc = cv_cnn_new(o, d, k, &m->cnn, err);
        if (rc) { free(m); return rc; }
        m->threads = o->threads > o->batch_threads ? o->threads : o->batch_threads;
        *out = m;
        return 0;
    }
    if (o->model != CV_MODEL_KNN) {
        int n_hidden = o->model == CV_MODEL_MLP ? o->n_hidden : 0;
        if (cv_mlp_net_alloc(&m->net, d, o->hidden, n_hidden, k)) {
            free(m);
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        }
        if (o->model == CV_MODEL_MLP) cv_mlp_net_init_weights(&m->net, o->seed);
    }
    *out = m;
    return 0;
}

float *cv_model_params(cv_model *m, size_t *count)
{
    if (m->cnn) { *count = m->cnn->n_params; return m->cnn->params; }
    *count = m->net.n_params;
    return m->net.params;
}

cv_mlp_net *cv_model_net(cv_model *m)
{
    return m->kind == CV_MODEL_KNN || m->kind == CV_MODEL_CNN ? NULL : &m->net;
}

/* ---- the representation under the output layer --------------------------- */

size_t cv_model_embed_dim(const cv_model *m)
{
    if (m->kind == CV_MODEL_CNN) return m->cnn->dense;
    if (m->kind == CV_MODEL_MLP && m->net.n_layers > 1) return m->net.dims[m->net.n_layers - 1];
    return 0;
}

int cv_model_embed(const cv_model *m, const float *X, size_t n, float *H, la_error *err)
{
    size_t h = cv_model_embed_dim(m);
    if (!h) return la_error_set(err, LA_EUSAGE, NULL, 0, "the model has no hidden layer to embed with");
    if (m->kind == CV_MODEL_CNN) return cv_cnn_embed(m->cnn, X, n, m->threads, H, err);
    cv_mlp_ws a;
    size_t cap = n < EMBED_ROWS ? (n ? n : 1) : EMBED_ROWS;
    if (cv_mlp_ws_alloc(&a, &m->net, cap)) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i0 = 0; i0 < n; i0 += cap) {
        size_t nb = n - i0 < cap ? n - i0 : cap;
        cv_mlp_forward(&m->net, &a, X + i0 * m->d, nb, 0.0, NULL);
        memcpy(H + i0 * h, a.A[m->net.n_layers - 1], nb * h * sizeof *H);   /* last hidden layer */
    }
    cv_mlp_ws_free(&a);
    return 0;
}

int cv_model_head(cv_model *m, float **W, float **b, la_error *err)
{
    if (!cv_model_embed_dim(m)) return la_error_set(err, LA_EUSAGE, NULL, 0, "the model has no hidden layer under its output layer");
    if (m->kind == CV_MODEL_CNN) { *W = m->cnn->W2; *b = m->cnn->b2; return 0; }
    *W = m->net.W[m->net.n_layers - 1];
    *b = m->net.b[m->net.n_layers - 1];
    return 0;
}

void cv_model_free(cv_model *m)
{
    if (!m) return;
    cv_mlp_net_free(&m->net);
    cv_knn_free(m->knn);
    cv_cnn_free(m->cnn);
    free(m);
}

double cv_model_objective(const cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                          const int32_t *y, const float *sw, float *grad)
{
    if (m->kind == CV_MODEL_KNN) return 0.0;
    if (m->kind == CV_MODEL_CNN) return cv_cnn_objective(m->cnn, o, X, n, y, sw, o->l2 < 0 ? 1.0 : o->l2, grad);
    double *cw = la_calloc(m->k, sizeof *cw);
    cv_mlp_ws w;
    if (!cw || cv_mlp_ws_alloc(&w, &m->net, n < OBJECTIVE_ROWS ? n : OBJECTIVE_ROWS)) { free(cw); return NAN; }
    cv_loss L;
    cv_loss_setup(o, y, n, m->k, cw, &L);
    double J, l2 = o->l2 < 0 ? 1.0 : o->l2;
    if (m->kind == CV_MODEL_LOGREG) J = cv_logreg_objective(&m->net, &L, l2, &w, X, n, y, sw, grad);
    else J = cv_mlp_objective(&m->net, &L, l2, &w, X, n, y, sw, grad, NULL);
    cv_mlp_ws_free(&w);
    free(cw);
    return J;
}

/* ---- public fit / predict ------------------------------------------------- */

/* --oversample-ratio: the fit on every row plus the synthetic top-up rows
 * (sampler.h), with the ratio then off. */
static int fit_topped_up(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                         const float *sw, size_t k, cv_model **out, la_error *err)
{
    float *Xo, *swo;
    int32_t *yo;
    size_t no;
    int rc = cv_sampler_topup(o, X, n, d, y, sw, k, &Xo, &yo, &swo, &no, err);
    if (rc) return rc;
    cv_train_opts o2 = *o;
    o2.oversample_ratio = 0.0;
    rc = cv_model_fit(&o2, Xo, no, d, yo, swo, k, out, err);
    free(Xo); free(yo); free(swo);
    return rc;
}

int cv_model_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                 const float *sw, size_t k, cv_model **out, la_error *err)
{
    *out = NULL;
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no training examples");
    if (cv_train_opts_validate(o, k, err)) return err->status;
    if (sw) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (!(sw[i] >= 0) || !isfinite(sw[i]))
                return la_error_set(err, LA_EUSAGE, NULL, 0, "example weight %zu is %g: weights must be finite and >= 0", i, (double)sw[i]);
            s += sw[i];
        }
        if (s <= 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "every example weight is 0");
    }
    if (o->oversample_ratio > 0) return fit_topped_up(o, X, n, d, y, sw, k, out, err);
    if (o->threads > 0) openblas_set_num_threads(o->threads);
    cv_model *m;
    int rc = cv_model_init(o, d, k, &m, err);
    if (rc) return rc;
    if (o->model == CV_MODEL_KNN) rc = cv_knn_fit(o, X, n, d, y, sw, k, &m->knn, err);
    else if (o->model == CV_MODEL_CNN) rc = cv_cnn_fit(m->cnn, o, X, n, y, sw, err);
    else if (o->model == CV_MODEL_MLP) rc = cv_mlp_fit(&m->net, o, X, n, y, sw, k, err);
    else rc = cv_logreg_fit(&m->net, o, X, n, y, sw, k, err);
    if (rc) { cv_model_free(m); return rc; }
    *out = m;
    return 0;
}

int cv_model_predict_proba(const cv_model *m, const float *X, size_t n, double *out, la_error *err)
{
    if (m->kind == CV_MODEL_KNN) return cv_knn_predict_proba(m->knn, X, n, out, err);
    if (m->kind == CV_MODEL_CNN) return cv_cnn_predict_proba(m->cnn, X, n, m->threads, out, err);
    return cv_mlp_predict_proba(&m->net, X, n, out, err);
}
