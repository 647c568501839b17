/* test_dc_pca.c — cmocka tests for checks/dc_pca.c, the PCA outlier score:
 * the projection's columns are uncorrelated with variances in descending
 * order (the covariance's eigenvalues), r = d is a rotation of the centred
 * unit rows (norms kept, more rows than a block), the first component
 * captures more variance than any other direction tried, rows' scale does
 * not matter, float32 agrees with float64, r is clipped to d, and the score
 * flags a planted odd row and does not depend on the threads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* n x d rows: a positive base plus three strong directions and noise, scaled
 * by a random positive factor per row (which unit length removes) */
static double *make_rows(size_t n, size_t d, uint64_t seed)
{
    double *x = malloc(n * d * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        double a = frand(&seed) - 0.5, b = frand(&seed) - 0.5, c = frand(&seed) - 0.5, sc = 0.5 + 2 * frand(&seed);
        for (size_t j = 0; j < d; j++) {
            double v = 1.0 + 3 * a * sin(0.3 * (double)j) + 2 * b * cos(0.7 * (double)j) + c * (j % 3 == 0);
            x[i * d + j] = sc * (v + 0.05 * (frand(&seed) - 0.5));
        }
    }
    return x;
}

/* u_i - mu of the rows, by the definition (reference for the tests) */
static double *centred_unit(const double *x, size_t n, size_t d)
{
    double *u = calloc(n * d, sizeof *u), *mu = calloc(d, sizeof *mu);
    assert_non_null(u);
    assert_non_null(mu);
    for (size_t i = 0; i < n; i++) {
        double ss = 0;
        for (size_t j = 0; j < d; j++) ss += x[i * d + j] * x[i * d + j];
        for (size_t j = 0; j < d; j++) { u[i * d + j] = ss > 0 ? x[i * d + j] / sqrt(ss) : 0; mu[j] += u[i * d + j] / (double)n; }
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++) u[i * d + j] -= mu[j];
    free(mu);
    return u;
}

static void test_columns_uncorrelated_descending(void **state)
{
    (void)state;
    size_t n = 300, d = 24, r = 6, rr;
    double *x = make_rows(n, d, 1), *z;
    dc_matrix m = {n, d, NULL, x};
    la_error err = {0};
    assert_int_equal(dc_pca_project(&m, r, &z, &rr, &err), 0);
    assert_int_equal(rr, r);
    double prev = INFINITY;
    for (size_t c = 0; c < r; c++) {
        double mean = 0, var = 0;
        for (size_t i = 0; i < n; i++) mean += z[i * r + c] / (double)n;
        assert_true(fabs(mean) < 1e-12);                     /* centred */
        for (size_t i = 0; i < n; i++) var += z[i * r + c] * z[i * r + c] / (double)n;
        assert_true(var <= prev * (1 + 1e-12));              /* eigenvalues descending */
        prev = var;
        for (size_t e = c + 1; e < r; e++) {
            double cov = 0;
            for (size_t i = 0; i < n; i++) cov += z[i * r + c] * z[i * r + e] / (double)n;
            assert_true(fabs(cov) < 1e-12);                  /* eigenvectors orthogonal */
        }
    }
    free(z);
    free(x);
}

static void test_full_rank_is_rotation(void **state)
{
    (void)state;
    size_t n = 1100, d = 9, rr;                              /* n > the 512-row block */
    double *x = make_rows(n, d, 2), *z, *u = centred_unit(x, n, d);
    x[5 * d + 0] = x[5 * d + 1] = 0;                         /* a row with zeros */
    for (size_t j = 0; j < d; j++) x[7 * d + j] = 0;         /* a zero row stays zero */
    free(u);
    u = centred_unit(x, n, d);
    dc_matrix m = {n, d, NULL, x};
    la_error err = {0};
    assert_int_equal(dc_pca_project(&m, 50, &z, &rr, &err), 0);
    assert_int_equal(rr, d);                                 /* clipped to d */
    for (size_t i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (size_t j = 0; j < d; j++) { a += u[i * d + j] * u[i * d + j]; b += z[i * d + j] * z[i * d + j]; }
        assert_true(fabs(a - b) < 1e-12);                    /* |z_i| = |u_i - mu| */
    }
    /* pairwise distances kept too (what the kNN sees) */
    for (size_t i = 0; i < 20; i++) {
        double a = 0, b = 0;
        for (size_t j = 0; j < d; j++) {
            double p = u[i * d + j] - u[(i + 500) * d + j], q = z[i * d + j] - z[(i + 500) * d + j];
            a += p * p; b += q * q;
        }
        assert_true(fabs(a - b) < 1e-12);
    }
    free(z); free(u); free(x);
}

static void test_first_component_maximal(void **state)
{
    (void)state;
    size_t n = 400, d = 16, rr;
    double *x = make_rows(n, d, 3), *z, *u = centred_unit(x, n, d);
    dc_matrix m = {n, d, NULL, x};
    la_error err = {0};
    assert_int_equal(dc_pca_project(&m, 1, &z, &rr, &err), 0);
    double top = 0;
    for (size_t i = 0; i < n; i++) top += z[i] * z[i] / (double)n;
    uint64_t s = 99;
    for (int t = 0; t < 200; t++) {                          /* var along random unit v <= top */
        double v[16], nv = 0, var = 0;
        for (size_t j = 0; j < d; j++) { v[j] = frand(&s) - 0.5; nv += v[j] * v[j]; }
        for (size_t i = 0; i < n; i++) {
            double p = 0;
            for (size_t j = 0; j < d; j++) p += u[i * d + j] * v[j] / sqrt(nv);
            var += p * p / (double)n;
        }
        assert_true(var <= top * (1 + 1e-12));
    }
    free(z); free(u); free(x);
}

static void test_scale_and_precision(void **state)
{
    (void)state;
    size_t n = 200, d = 12, r = 4, rr;
    double *x = make_rows(n, d, 4), *x2 = malloc(n * d * sizeof *x2), *z, *z2, *z3;
    float *f = malloc(n * d * sizeof *f);
    assert_non_null(x2);
    assert_non_null(f);
    for (size_t i = 0; i < n * d; i++) { x2[i] = x[i] * (double)(1 + i / d % 7); f[i] = (float)x[i]; }
    dc_matrix m = {n, d, NULL, x}, m2 = {n, d, NULL, x2}, mf = {n, d, f, NULL};
    la_error err = {0};
    assert_int_equal(dc_pca_project(&m, r, &z, &rr, &err), 0);
    assert_int_equal(dc_pca_project(&m2, r, &z2, &rr, &err), 0);
    assert_int_equal(dc_pca_project(&mf, r, &z3, &rr, &err), 0);
    for (size_t i = 0; i < n * r; i++) {
        assert_true(fabs(z[i] - z2[i]) < 1e-10);             /* a row's scale does not matter */
        assert_true(fabs(z[i] - z3[i]) < 1e-5);              /* float32 input: same up to rounding */
    }
    free(z); free(z2); free(z3); free(x); free(x2); free(f);
}

static void test_outliers_flag_planted(void **state)
{
    (void)state;
    size_t n = 500, d = 20;
    double *x = make_rows(n, d, 5);
    for (size_t j = 0; j < d; j++) x[123 * d + j] = j % 2 ? 1.0 : 0.0;   /* a pattern unlike the rest */
    dc_matrix m = {n, d, NULL, x};
    la_error err = {0};
    dc_outlier a, b;
    assert_int_equal(dc_pca_outliers(&m, 5, 10, DC_OUTLIER_THRESHOLD, 1, NULL, &a, &err), 0);
    assert_int_equal(dc_pca_outliers(&m, 5, 10, DC_OUTLIER_THRESHOLD, 2, NULL, &b, &err), 0);
    assert_true(a.is_issue[123]);
    size_t low = 0;
    for (size_t i = 0; i < n; i++) {
        if (a.score[i] < a.score[low]) low = i;
        assert_true(a.score[i] > 0 && a.score[i] <= 1);
        assert_true(a.score[i] == b.score[i] && a.is_issue[i] == b.is_issue[i]);   /* threads */
    }
    assert_int_equal(low, 123);
    assert_true(a.n_issues < n / 10);
    dc_outlier_free(&a);
    dc_outlier_free(&b);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns_uncorrelated_descending),
        cmocka_unit_test(test_full_rank_is_rotation),
        cmocka_unit_test(test_first_component_maximal),
        cmocka_unit_test(test_scale_and_precision),
        cmocka_unit_test(test_outliers_flag_planted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
