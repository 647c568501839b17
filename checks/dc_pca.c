/*
 * dc_pca.c — the PCA outlier score (dc_pca.h): unit-length rows, their
 * covariance by blocked dsyrk, the top eigenvectors by LAPACK, the projection
 * by blocked dgemm, and cleanlab's average-distance score on the kNN graph of
 * the projection. Memory: d x d + n x r doubles and one row block; no n x n.
 */
#include "dc_pca.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const dc_outlier_score_names[2] = {"parity", "pca"};

/* LAPACK's symmetric eigensolver from OpenBLAS (Debian ships no LAPACKE header). */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);

enum { DC_PCA_BLOCK = 512 };          /* rows per dsyrk/dgemm block             */

/* buf (rows x d) = u_i - mu for rows i0 .. i0+rows of x, u_i = x_i / |x_i|. */
static void dc_pca_block(const dc_matrix *x, const double *mu, size_t i0, size_t rows, double *buf)
{
    size_t d = x->d;
    for (size_t b = 0; b < rows; b++) {
        double *u = buf + b * d, ss = 0;
        for (size_t j = 0; j < d; j++) { u[j] = dc_at(x, i0 + b, j); ss += u[j] * u[j]; }
        double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;       /* a zero row stays zero */
        for (size_t j = 0; j < d; j++) u[j] = u[j] * inv - (mu ? mu[j] : 0.0);
    }
}

/* The r leading eigenvectors of the d x d covariance C (destroyed), into P
 * (r x d, row c = the c-th largest), each signed so its largest component
 * is positive (distances do not depend on the sign; the output does not
 * depend on LAPACK's choice). */
static int dc_pca_eig(double *C, size_t d, size_t r, double *P, la_error *err)
{
    /* row-major upper triangle of C = column-major lower triangle */
    int n = (int)d, lwork = -1, info = 0;
    double q = 0, *w = la_malloc_array(d, sizeof *w), *work = NULL;
    if (!w) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    dsyev_("V", "L", &n, C, &n, w, &q, &lwork, &info);
    lwork = info == 0 && q >= 1 ? (int)q : 3 * n;
    if (!(work = la_malloc_array((size_t)lwork, sizeof *work))) {
        free(w);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    dsyev_("V", "L", &n, C, &n, w, work, &lwork, &info);
    free(work);
    free(w);
    if (info != 0) return la_error_set(err, LA_EINTERNAL, NULL, 0, "PCA: LAPACK dsyev failed (info %d)", info);
    for (size_t c = 0; c < r; c++) {             /* eigenvalues ascending: take from the end */
        const double *v = C + (d - 1 - c) * d;   /* column-major: eigenvector = a column */
        size_t jm = 0;
        for (size_t j = 1; j < d; j++) if (fabs(v[j]) > fabs(v[jm])) jm = j;
        double s = v[jm] < 0 ? -1.0 : 1.0;
        for (size_t j = 0; j < d; j++) P[c * d + j] = s * v[j];
    }
    return 0;
}

int dc_pca_project(const dc_matrix *x, size_t r, double **z, size_t *r_out, la_error *err)
{
    assert(x && z && r_out && x->n >= 1 && x->d >= 1 && r >= 1);
    size_t n = x->n, d = x->d, bs = n < DC_PCA_BLOCK ? n : DC_PCA_BLOCK;
    if (r > d) r = d;
    *z = NULL;
    *r_out = r;
    double *mu = la_calloc(d, sizeof *mu), *C = la_calloc(d * d, sizeof *C);
    double *P = la_malloc_array(r * d, sizeof *P), *buf = la_malloc_array(bs * d, sizeof *buf);
    double *out = la_big_alloc(n * r, sizeof *out);
    int rc = 0;
    if (!mu || !C || !P || !buf || !out) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
    /* mu_j = (1/n) sum_i u_ij */
    for (size_t i0 = 0; i0 < n; i0 += bs) {
        size_t rows = n - i0 < bs ? n - i0 : bs;
        dc_pca_block(x, NULL, i0, rows, buf);
        for (size_t b = 0; b < rows; b++)
            for (size_t j = 0; j < d; j++) mu[j] += buf[b * d + j];
    }
    for (size_t j = 0; j < d; j++) mu[j] /= (double)n;
    /* C = (1/n) sum_i (u_i - mu)(u_i - mu)^T, upper triangle, one dsyrk per block */
    for (size_t i0 = 0; i0 < n; i0 += bs) {
        size_t rows = n - i0 < bs ? n - i0 : bs;
        dc_pca_block(x, mu, i0, rows, buf);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0 / (double)n, buf, (int)d, 1.0,
                    C, (int)d);
    }
    if ((rc = dc_pca_eig(C, d, r, P, err))) goto done;
    /* z_i = P (u_i - mu): z (rows x r) = buf (rows x d) P^T */
    for (size_t i0 = 0; i0 < n; i0 += bs) {
        size_t rows = n - i0 < bs ? n - i0 : bs;
        dc_pca_block(x, mu, i0, rows, buf);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)r, (int)d, 1.0, buf, (int)d, P, (int)d,
                    0.0, out + i0 * r, (int)r);
    }
    *z = out;
    out = NULL;
done:
    free(mu); free(C); free(P); free(buf); free(out);
    return rc;
}

int dc_pca_outliers(const dc_matrix *x, size_t r, size_t k, double threshold, int threads, la_progress *pg,
                    dc_outlier *out, la_error *err)
{
    assert(x && out && k >= 1 && k < x->n);
    memset(out, 0, sizeof *out);
    double *z;
    size_t rr;
    int rc = dc_pca_project(x, r, &z, &rr, err);
    if (rc) return rc;
    dc_matrix zm = {x->n, rr, NULL, z};
    dc_knn g;
    if (!(rc = dc_knn_build(&zm, NULL, k, DC_METRIC_EUCLIDEAN, threads, pg, &g, err))) {
        /* avg_i = (1/k) sum_j |z_i - z_nbr(i,j)|; cleanlab's score and IQR flag */
        rc = dc_outliers(&g, DC_METRIC_EUCLIDEAN, threshold, out, err);
        dc_knn_free(&g);
    }
    free(z);
    return rc;
}
