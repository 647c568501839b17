/*
 * dc_knn.h — exact k-nearest neighbours by blocked matrix products (CBLAS),
 * for the dataset checks: every row of a query matrix against every row of a
 * reference matrix, cosine or euclidean, without an N x N matrix in memory.
 *
 * Candidates are picked from GEMM products in the input's precision (sgemm
 * for float32, dgemm for float64), a few more than k per row; their distances
 * are then recomputed exactly in double and the best k kept, nearest first,
 * ties to the lower index. Distances follow scikit-learn's definitions:
 * cosine = 1 - x.y / (|x| |y|) clipped to [0, 2] (a zero row is at distance 1
 * from everything), euclidean = |x - y|. Never prints.
 */
#ifndef LA_DC_KNN_H
#define LA_DC_KNN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../util/la_coll.h"

typedef enum dc_metric {
    DC_METRIC_AUTO = 0,               /* cleanlab's rule: cosine when D > 3      */
    DC_METRIC_COSINE,
    DC_METRIC_EUCLIDEAN
} dc_metric;

/* cleanlab's HIGH_DIMENSION_CUTOFF: more columns than this means cosine. */
#define DC_HIGH_DIMENSION_CUTOFF 3

extern const char *const dc_metric_names[3]; /* "auto", "cosine", "euclidean" */

/* A borrowed N x D row-major matrix: exactly one of f32 / f64 is set. */
typedef struct dc_matrix {
    size_t        n, d;
    const float  *f32;
    const double *f64;
} dc_matrix;

/* The k nearest neighbours of each query row. Owned; dc_knn_free. */
typedef struct dc_knn {
    size_t   n, k;                    /* query rows, neighbours per row          */
    int64_t *index;                   /* n x k reference rows, nearest first     */
    double  *dist;                    /* n x k distances                         */
} dc_knn;

/* The metric cleanlab would pick for d columns when m is DC_METRIC_AUTO. */
dc_metric dc_metric_resolve(dc_metric m, size_t d);

/* Value of row i, column j (either precision) as double. */
static inline double dc_at(const dc_matrix *x, size_t i, size_t j)
{
    return x->f32 ? (double)x->f32[i * x->d + j] : x->f64[i * x->d + j];
}

/* Distance between row i of a and row j of b (same d), exactly as dc_knn
 * reports it. */
double dc_distance(const dc_matrix *a, size_t i, const dc_matrix *b, size_t j, dc_metric m);

/* The k nearest rows of ref for every row of query; query NULL means ref
 * itself, each row excluded from its own neighbours (then k < ref->n).
 * m must be resolved (not AUTO). threads >= 1; pg (may be NULL) is advanced
 * in query rows from the calling thread only. Returns 0 with *out filled, or
 * LA_EINTERNAL (out of memory) / LA_EUSAGE (k too large) with err set and
 * *out zeroed. */
int dc_knn_build(const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m, int threads,
                 la_progress *pg, dc_knn *out, la_error *err);

/* dc_knn_build over the ranks of c (la_coll.h; NULL or one rank: exactly
 * dc_knn_build): each rank computes the lists of its block of query rows
 * against every reference row, and every rank returns the whole graph,
 * byte-identical to one process's. Every rank calls it with the same
 * inputs. A failure on any rank fails every rank (la_coll_agree). */
int dc_knn_build_coll(const la_collective *c, const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m,
                      int threads, la_progress *pg, dc_knn *out, la_error *err);

void dc_knn_free(dc_knn *g);

#endif
