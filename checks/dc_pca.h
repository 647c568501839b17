/*
 * dc_pca.h — an outlier score that works on images (`audit --outlier-score
 * pca`), beside cleanlab's parity score: each row scaled to unit length,
 * centred and projected on its top principal components; the score is
 * cleanlab's average-distance score on the euclidean kNN graph of that
 * projection, flagged by the same IQR rule. Unit length keeps the cosine
 * geometry that finds thin, faint non-clothing images (digits); the
 * projection drops the pixel noise that hides inverted images and crops from
 * the raw-pixel kNN. Measured in docs/dataset-checks.md. Never prints.
 */
#ifndef LA_DC_PCA_H
#define LA_DC_PCA_H

#include <stddef.h>
#include "../util/la_util.h"
#include "dc_knn.h"
#include "dc_feature.h"

#define DC_PCA_COMPONENTS 20          /* the default r (best of 10-100 on the test bed) */

/* Which score fills outlier.csv: cleanlab's (default) or the PCA one. */
typedef enum dc_outlier_score { DC_OUTLIER_PARITY = 0, DC_OUTLIER_PCA } dc_outlier_score;
extern const char *const dc_outlier_score_names[2]; /* "parity", "pca" */

/* z = (u - mean u) P^T, u_i = x_i / |x_i| (a zero row stays zero), P the r
 * eigenvectors of cov(u) with the largest eigenvalues (LAPACK dsyev on the
 * d x d covariance, built by blocked dsyrk: memory d^2 doubles, never n x n).
 * r is clipped to d and reported in *r_out. *z: n x r doubles, la_big_alloc,
 * the caller free()s it. 0, or LA_EINTERNAL (out of memory, LAPACK failure)
 * with err set and *z NULL. */
int dc_pca_project(const dc_matrix *x, size_t r, double **z, size_t *r_out, la_error *err);

/* The pca outlier score of x's rows: dc_pca_project with r components, the k
 * nearest neighbours of each row in the projection (euclidean, dc_knn_build),
 * then dc_outliers on that graph: avg_i = mean distance to the k neighbours,
 * score_i = exp(-avg_i / median avg), flag avg_i > Q3 + (1/threshold - 1) IQR.
 * k < x->n. 0 with *out filled, or a status with err set and *out zeroed. */
int dc_pca_outliers(const dc_matrix *x, size_t r, size_t k, double threshold, int threads, la_progress *pg,
                    dc_outlier *out, la_error *err);

#endif
