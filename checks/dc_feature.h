/*
 * dc_feature.h — the feature checks as pure functions over a kNN graph and a
 * feature matrix: groups of identical rows, cleanlab 2.9.0's exact-duplicate
 * correction of the kNN graph, its near-duplicate sets and scores
 * (NearDuplicateIssueManager) and its outlier scores and IQR flag
 * (OutlierIssueManager on features). Same rules as cleanlab, re-derived from
 * its documented behaviour; golden cases in ../shared/golden-issues.
 * No I/O, no printing; every result is owned by its struct (one _free each).
 */
#ifndef LA_DC_FEATURE_H
#define LA_DC_FEATURE_H

#include <stddef.h>
#include <stdint.h>
#include "dc_knn.h"

/* cleanlab's defaults. */
#define DC_DEFAULT_K 10
#define DC_NEAR_DUP_THRESHOLD 0.13    /* radius = threshold x median NN distance */
#define DC_OUTLIER_THRESHOLD 0.37037  /* flag avg > Q3 + (1/t - 1) IQR             */
#define DC_EPSILON 1e-6               /* cleanlab.internal.constants.EPSILON       */

/* Groups of two or more equal items, in CSR form: group g has members
 * member[start[g] .. start[g+1]), ascending; groups ordered by their first
 * (smallest) member. Owned; dc_groups_free. */
typedef struct dc_groups {
    size_t   n_groups;
    size_t  *start;                   /* n_groups + 1 offsets                    */
    int64_t *member;
} dc_groups;

/* Equality of items a and b whose hashes are equal (ctx: the caller's). */
typedef int (*dc_equal_fn)(void *ctx, size_t a, size_t b);

/* Groups n items by hash[i], confirming with eq (NULL: equal hash = equal).
 * 0 or LA_EINTERNAL (out of memory, *g zeroed). */
int dc_group_by_hash(size_t n, const uint64_t *hash, dc_equal_fn eq, void *ctx, dc_groups *g, la_error *err);

/* Hash of row i, equal for rows np.unique(axis=0) calls equal (-0 == 0). */
uint64_t dc_row_hash(const dc_matrix *x, size_t i);

/* 1 when rows i of a and j of b are equal value by value. */
int dc_rows_equal(const dc_matrix *a, size_t i, const dc_matrix *b, size_t j);

/* Groups of identical rows of x (cleanlab's exact duplicate sets). */
int dc_exact_groups(const dc_matrix *x, dc_groups *g, la_error *err);

void dc_groups_free(dc_groups *g);

/* cleanlab's correct_knn_graph, in place: in a group of s identical rows the
 * first min(s-1, k) neighbours become the other members at distance 0 (the
 * first k+1 members when s > k, the rest get the first k), followed by the
 * row's nearest non-members in their order. g is a self-kNN graph of the rows
 * dups was built from. 0 or LA_EINTERNAL (out of memory, g unchanged). */
int dc_knn_correct(dc_knn *g, const dc_groups *dups, la_error *err);

/* Near duplicates (NearDuplicateIssueManager). Owned; dc_near_dup_free. */
typedef struct dc_near_dup {
    double   median_nn;               /* max(median NN distance, EPSILON)        */
    double   radius;                  /* threshold x median_nn                   */
    size_t   n_issues;
    uint8_t *is_issue;                /* n: member of some near-duplicate set    */
    double  *score;                   /* n: 1 - exp(-d_nn / median_nn), 0 at d~0 */
    size_t  *set_start;               /* n + 1 offsets into set                  */
    int64_t *set;                     /* each example's set, ascending           */
} dc_near_dup;

/* Sets: the neighbours within radius (strictly closer), made reciprocal.
 * g: corrected self-kNN graph. 0 or LA_EINTERNAL. */
int dc_near_duplicates(const dc_knn *g, double threshold, dc_near_dup *out, la_error *err);
void dc_near_dup_free(dc_near_dup *r);

/* Outliers on features (OutlierIssueManager). Owned; dc_outlier_free. */
typedef struct dc_outlier {
    double   issue_threshold;         /* Q3 + (1/threshold - 1) IQR of avg dist  */
    double   scaling_factor;          /* max(median avg dist, 100 eps)           */
    size_t   n_issues;
    uint8_t *is_issue;                /* n: avg distance > issue_threshold       */
    double  *score;                   /* n: exp(-avg / scaling); 1 when avg ~ 0  */
    double  *avg_dist;                /* n: mean distance to the k neighbours    */
} dc_outlier;

int dc_outliers(const dc_knn *g, dc_metric m, double threshold, dc_outlier *out, la_error *err);
void dc_outlier_free(dc_outlier *r);

/* numpy's median and percentile (method "linear") of v[0..n), n >= 1; v is
 * sorted in place. */
double dc_median_inplace(double *v, size_t n);
double dc_percentile_sorted(const double *v, size_t n, double q); /* v already sorted */

#endif
