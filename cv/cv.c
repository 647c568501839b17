/*
 * cv.c — the k-fold driver (see cv.h). Each fold: rows outside f -> scaler
 * fit -> standardized training matrix -> cv_model_fit; rows of f -> same
 * scaler -> cv_model_predict_proba -> scattered into probs.
 * Invariant: nothing computed from a fold's held-out rows reaches its model.
 */
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cv.h"
#include "scaler.h"

typedef struct job {
    const cv_train_opts *t;
    const cv_run_opts   *r;
    const float   *X;
    size_t         n, d, k;
    const int32_t *y;
    const float   *sw;
    const int32_t *fold;
    double        *probs;
    cv_fold_info  *info;
    pthread_mutex_t lock;
    int            next, done, failed;
    la_error       err;
} job;

static double t_l2_default(const cv_train_opts *t) { return t->l2 < 0 ? 1.0 : t->l2; }

/* One fold, start to finish, its standardized rows in *buf: the training
 * rows then the held-out ones, n x d floats for every fold, so a worker
 * allocates it (and the kernel zero-fills its pages) once, not once per fold.
 * Returns 0 or a status with *err filled. */
static int run_fold(job *J, int f, float **buf, la_error *err)
{
    double t0 = la_now();
    size_t n = J->n, d = J->d, k = J->k, ntr = 0, nte = 0;
    size_t *tr = la_malloc_array(n, sizeof *tr), *te = la_malloc_array(n, sizeof *te);
    float *Xtr = NULL, *Xte = NULL, *swtr = NULL;
    int32_t *ytr = NULL;
    double *P = NULL;
    cv_model *m = NULL, *m2 = NULL;
    cv_scaler sc;
    memset(&sc, 0, sizeof sc);
    int rc = 0;
    if (!tr || !te) goto oom;
    for (size_t i = 0; i < n; i++) {
        if (J->fold[i] == f) te[nte++] = i; else tr[ntr++] = i;
    }
    if (ntr == 0 || nte == 0) {
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "fold %d has %zu training and %zu held-out rows", f, ntr, nte);
        goto done;
    }
    /* preprocessing fitted on the training rows only */
    if ((rc = cv_scaler_fit(&sc, J->X, n, d, J->fold, f, J->r->onehot, J->r->standardize, err))) goto done;
    if (!*buf && !(*buf = la_big_alloc(n, (d ? d : 1) * sizeof(float)))) goto oom;
    Xtr = *buf;
    Xte = *buf + ntr * d;
    ytr = la_malloc_array(ntr, sizeof *ytr);
    P = la_malloc_array(nte * k, sizeof *P);
    if (J->sw) swtr = la_malloc_array(ntr, sizeof *swtr);
    if (!ytr || !P || (J->sw && !swtr)) goto oom;
    cv_scaler_apply(&sc, J->X, tr, ntr, Xtr);
    cv_scaler_apply(&sc, J->X, te, nte, Xte);
    for (size_t i = 0; i < ntr; i++) {
        ytr[i] = J->y[tr[i]];
        if (swtr) swtr[i] = J->sw[tr[i]];
    }
    cv_train_opts o = *J->t;
    int iters = 0;
    double l2_used = t_l2_default(J->t);
    o.threads = 0;                    /* BLAS threads are set by cv_run */
    o.seed = J->t->seed + 1000003ull * (uint64_t)f;
    o.curve = J->r->curves ? &J->r->curves[f] : NULL;
    o.n_iter = &iters;
    o.l2_used = &l2_used;
    if (o.curve) { o.eval_X = Xte; o.eval_n = nte; }
    int32_t *yte = NULL;
    if (o.curve) {
        yte = la_malloc_array(nte, sizeof *yte);
        if (!yte) goto oom;
        for (size_t i = 0; i < nte; i++) yte[i] = J->y[te[i]];
        o.eval_y = yte;
    }
    if (J->r->coteach) rc = cv_robust_coteach_fit(&o, J->r->coteach, Xtr, ntr, d, ytr, k, &m, &m2, err);
    else rc = cv_model_fit(&o, Xtr, ntr, d, ytr, swtr, k, &m, err);
    if (!rc) rc = m2 ? cv_robust_coteach_predict(m, m2, Xte, nte, k, P, err)
                     : cv_model_predict_proba(m, Xte, nte, P, err);
    free(yte);
    if (rc) goto done;
    for (size_t i = 0; i < nte; i++) memcpy(J->probs + te[i] * k, P + i * k, k * sizeof *P);
    if (J->info) {
        J->info[f].n_train = ntr;
        J->info[f].n_test = nte;
        J->info[f].iters = iters;
        J->info[f].seconds = la_now() - t0;
        J->info[f].l2 = l2_used;
    }
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    cv_model_free(m);
    cv_model_free(m2);
    cv_scaler_free(&sc);
    free(tr); free(te); free(ytr); free(swtr); free(P);
    return rc;
}

static void *worker(void *arg)
{
    job *J = arg;
    float *buf = NULL;
    for (;;) {
        pthread_mutex_lock(&J->lock);
        int f = J->failed ? J->r->n_folds : J->next++;
        pthread_mutex_unlock(&J->lock);
        if (f >= J->r->n_folds) break;
        la_error e;
        la_error_clear(&e);
        int rc = run_fold(J, f, &buf, &e);
        pthread_mutex_lock(&J->lock);
        if (rc && !J->failed) { J->failed = rc; J->err = e; }
        if (!rc) {
            J->done++;
            if (J->r->on_fold) J->r->on_fold(J->r->ctx, f, J->done);
        }
        pthread_mutex_unlock(&J->lock);
    }
    free(buf);
    return NULL;
}

int cv_run(const cv_train_opts *t, const cv_run_opts *r, const float *X, size_t n, size_t d,
           const int32_t *y, const float *sw, size_t k, const int32_t *fold,
           double *probs, cv_fold_info *info, la_error *err)
{
    if (cv_train_opts_validate(t, k, err)) return err->status;
    job J;
    memset(&J, 0, sizeof J);
    J.t = t; J.r = r; J.X = X; J.n = n; J.d = d; J.k = k; J.y = y; J.sw = sw;
    J.fold = fold; J.probs = probs; J.info = info;
    la_error_clear(&J.err);
    pthread_mutex_init(&J.lock, NULL);
    int threads = r->threads > 0 ? r->threads : 1;
    int workers = threads < r->n_folds ? threads : r->n_folds;
    /* workers > 1: parallel folds, single-threaded BLAS (no oversubscription) */
    openblas_set_num_threads(workers > 1 ? 1 : threads);
    pthread_t tid[64];
    int started = 0;
    if (workers > 64) workers = 64;
    for (int w = 1; w < workers; w++) {
        if (pthread_create(&tid[started], NULL, worker, &J) != 0) break;
        started++;
    }
    worker(&J);
    for (int w = 0; w < started; w++) pthread_join(tid[w], NULL);
    pthread_mutex_destroy(&J.lock);
    openblas_set_num_threads(threads);
    if (J.failed) {
        *err = J.err;
        return J.failed;
    }
    return 0;
}
