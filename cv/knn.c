/*
 * knn.c — k-nearest neighbours (knn.h). Distances of a block of queries to
 * every training row come from one sgemm (S = Q X^T): cosine 1 - q.x on unit
 * rows, euclidean |q|^2 + |x|^2 - 2 q.x; an insertion list keeps the k best.
 */
#include "knn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KNN_BLOCK 64          /* queries per sgemm                            */
#define KNN_DEFAULT_K 15
#define KNN_DEFAULT_SMOOTHING 0.01

struct cv_knn {
    size_t   d, k;
    float   *X;                         /* n x d training rows (unit rows for cosine) */
    float   *sqn;                       /* n squared norms (euclidean)          */
    int32_t *y;                         /* n labels                             */
    float   *sw;                        /* n weights                            */
    size_t   n;
    int      knn_k;
    cv_metric metric;
    double   smooth;
};

void cv_knn_free(cv_knn *m)
{
    if (!m) return;
    free(m->X); free(m->sqn); free(m->y); free(m->sw);
    free(m);
}

int cv_knn_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
               const float *sw, size_t k, cv_knn **out, la_error *err)
{
    *out = NULL;
    cv_knn *m = la_calloc(1, sizeof *m);
    if (!m) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    m->d = d;
    m->k = k;
    m->n = n;
    m->knn_k = o->knn_k > 0 ? o->knn_k : KNN_DEFAULT_K;
    if ((size_t)m->knn_k > n) m->knn_k = (int)n;
    m->metric = o->metric;
    m->smooth = o->smoothing > 0 ? o->smoothing : KNN_DEFAULT_SMOOTHING;
    m->X = la_malloc_array(n * (d ? d : 1), sizeof *m->X);
    m->sqn = la_malloc_array(n, sizeof *m->sqn);
    m->y = la_malloc_array(n, sizeof *m->y);
    m->sw = la_malloc_array(n, sizeof *m->sw);
    if (!m->X || !m->sqn || !m->y || !m->sw) {
        cv_knn_free(m);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += (double)x[j] * x[j];
        double sc = (m->metric == CV_METRIC_COSINE && s > 0) ? 1.0 / sqrt(s) : 1.0;
        for (size_t j = 0; j < d; j++) m->X[i * d + j] = (float)(x[j] * sc);
        m->sqn[i] = (float)(m->metric == CV_METRIC_COSINE ? (s > 0 ? 1.0 : 0.0) : s);
        m->y[i] = y[i];
        m->sw[i] = sw ? sw[i] : 1.0f;
    }
    *out = m;
    return 0;
}

int cv_knn_predict_proba(const cv_knn *m, const float *X, size_t n, double *out, la_error *err)
{
    size_t d = m->d, k = m->k, N = m->n, kk = (size_t)m->knn_k, B = KNN_BLOCK;
    float *Q = la_malloc_array(B * (d ? d : 1), sizeof *Q);
    float *S = la_malloc_array(B * N, sizeof *S);
    float *bd = la_malloc_array(kk + 1, sizeof *bd);
    size_t *bi = la_malloc_array(kk + 1, sizeof *bi);
    double *v = la_malloc_array(k, sizeof *v);
    if (!Q || !S || !bd || !bi || !v) {
        free(Q); free(S); free(bd); free(bi); free(v);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t nb = n - i0 < B ? n - i0 : B;
        float qn[KNN_BLOCK];
        for (size_t i = 0; i < nb; i++) {
            const float *x = X + (i0 + i) * d;
            double s = 0.0;
            for (size_t j = 0; j < d; j++) s += (double)x[j] * x[j];
            double sc = (m->metric == CV_METRIC_COSINE && s > 0) ? 1.0 / sqrt(s) : 1.0;
            for (size_t j = 0; j < d; j++) Q[i * d + j] = (float)(x[j] * sc);
            qn[i] = (float)(m->metric == CV_METRIC_COSINE ? (s > 0 ? 1.0 : 0.0) : s);
        }
        /* S (nb x N) = Q X^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)N, (int)d,
                    1.0f, Q, (int)d, m->X, (int)d, 0.0f, S, (int)N);
        for (size_t i = 0; i < nb; i++) {
            const float *s = S + i * N;
            size_t cnt = 0;
            for (size_t j = 0; j < N; j++) {
                /* cosine: 1 - q.x; euclidean: sqrt(|q|^2 + |x|^2 - 2 q.x) */
                float dist = m->metric == CV_METRIC_COSINE ? 1.0f - s[j]
                                                           : qn[i] + m->sqn[j] - 2.0f * s[j];
                if (dist < 0) dist = 0;
                if (cnt == kk && dist >= bd[cnt - 1]) continue;
                size_t p = cnt < kk ? cnt++ : kk - 1;
                while (p > 0 && bd[p - 1] > dist) { bd[p] = bd[p - 1]; bi[p] = bi[p - 1]; p--; }
                bd[p] = dist; bi[p] = j;
            }
            for (size_t c = 0; c < k; c++) v[c] = 0.0;
            double tot = 0.0;
            for (size_t t = 0; t < cnt; t++) {
                double dd = m->metric == CV_METRIC_EUCLIDEAN ? sqrt((double)bd[t]) : (double)bd[t];
                double wt = m->sw[bi[t]] / (dd + 1e-6);
                v[m->y[bi[t]]] += wt;
                tot += wt;
            }
            double *o = out + (i0 + i) * k, a = m->smooth;
            for (size_t c = 0; c < k; c++)
                o[c] = ((tot > 0 ? v[c] / tot : 1.0 / k) + a) / (1.0 + k * a);
        }
    }
    free(Q); free(S); free(bd); free(bi); free(v);
    return 0;
}
