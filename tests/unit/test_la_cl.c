/*
 * test_la_cl.c — unit tests for the confident-learning functions of the
 * public API (la_cl_* in include/labelaudit.h, api/la_cl.c) and the general
 * latent estimate (audit/cl_latent.h) on the hand-checkable golden case
 * tiny_k3_n12 (12 examples, 3 classes; cleanlab 2.9.0's answers inlined):
 * thresholds, confident joint raw and calibrated, off-diagonal examples,
 * find_label_issues from float32 and float64 buffers and from a supplied
 * joint, scores, py with every py_method, the multi-label per-class masks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "include/labelaudit.h"
#include "audit/cl_latent.h"

enum { N = 12, K = 3 };

static const double P[N * K] = {
    0.8, 0.1, 0.1,  0.7, 0.2, 0.1,  0.6, 0.3, 0.1,  0.1, 0.8, 0.1,
    0.1, 0.8, 0.1,  0.2, 0.7, 0.1,  0.2, 0.6, 0.2,  0.1, 0.1, 0.8,
    0.1, 0.1, 0.8,  0.1, 0.2, 0.7,  0.3, 0.3, 0.4,  0.45, 0.1, 0.45};
static const int32_t Y[N] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2};

static void test_thresholds_and_joint(void **state)
{
    (void)state;
    la_error err;
    double t[K];
    assert_int_equal(la_cl_thresholds(Y, P, LA_F64, N, K, t, &err), 0);
    assert_true(t[0] == 0.55000000000000004 && t[1] == 0.55000000000000004 && t[2] == 0.58750000000000002);
    int64_t cj[K * K], num = 0;
    uint8_t off[N];
    assert_int_equal(la_cl_confident_joint(Y, P, LA_F64, N, K, NULL, 0, 2, cj, off, &num, &err), 0);
    const int64_t want[K * K] = {3, 1, 0, 0, 3, 1, 0, 0, 2};
    assert_memory_equal(cj, want, sizeof want);
    for (size_t i = 0; i < N; i++) assert_int_equal(off[i], i == 3 || i == 7);
    assert_int_equal(num, 2);
    assert_int_equal(la_cl_confident_joint(Y, P, LA_F64, N, K, NULL, 1, 1, cj, NULL, NULL, &err), 0);
    const int64_t cal[K * K] = {3, 1, 0, 0, 3, 1, 0, 0, 4};
    assert_memory_equal(cj, cal, sizeof cal);
    double cjd[K * K], counts[K] = {4, 4, 4};
    int64_t out[K * K];
    for (size_t q = 0; q < K * K; q++) cjd[q] = (double)want[q];
    assert_int_equal(la_cl_calibrate(cjd, counts, K, out, &err), 0);
    assert_memory_equal(out, cal, sizeof cal);
}

static void test_find_label_issues(void **state)
{
    (void)state;
    la_error err;
    float p32[N * K];
    for (size_t q = 0; q < N * K; q++) p32[q] = (float)P[q];
    la_cl_options o;
    la_cl_options_init(&o);
    o.rank_by = "self_confidence";
    uint8_t m64[N], m32[N];
    uint32_t ranked[N];
    size_t nr = 0;
    assert_int_equal(la_cl_find_label_issues(Y, P, LA_F64, N, K, &o, m64, ranked, &nr, &err), 0);
    for (size_t i = 0; i < N; i++) assert_int_equal(m64[i], i == 3 || i == 7);
    assert_int_equal(nr, 2);
    assert_int_equal(ranked[0], 3);
    assert_int_equal(ranked[1], 7);
    assert_int_equal(la_cl_find_label_issues(Y, p32, LA_F32, N, K, &o, m32, NULL, NULL, &err), 0);
    assert_memory_equal(m32, m64, N);
    /* a supplied joint prunes from it: the identity joint flags nothing */
    const int64_t eye[K * K] = {4, 0, 0, 0, 4, 0, 0, 0, 4};
    o.confident_joint = eye;
    assert_int_equal(la_cl_find_label_issues(Y, P, LA_F64, N, K, &o, m64, NULL, NULL, &err), 0);
    for (size_t i = 0; i < N; i++) assert_int_equal(m64[i], 0);
    o.confident_joint = NULL;
    o.filter_by = "nope";
    assert_int_equal(la_cl_find_label_issues(Y, P, LA_F64, N, K, &o, m64, NULL, NULL, &err), LA_EUSAGE);
    double bad[N * K];
    memcpy(bad, P, sizeof bad);
    bad[5] = 1.5;
    la_cl_options_init(&o);
    assert_int_equal(la_cl_find_label_issues(Y, bad, LA_F64, N, K, &o, m64, NULL, NULL, &err), LA_EUSAGE);
    assert_string_equal(err.msg, "Values in pred_probs must be between 0 and 1.");
}

static void test_scores_and_latent(void **state)
{
    (void)state;
    la_error err;
    double s[N];
    assert_int_equal(la_cl_label_quality_scores(Y, P, LA_F64, N, K, "self_confidence", 0, 1, 2, s, &err), 0);
    assert_true(s[0] == 0.8 && s[3] == 0.1);
    assert_int_equal(la_cl_label_quality_scores(Y, P, LA_F64, N, K, "normalized_margin", 1, 1, 1, s, &err), 0);
    assert_int_equal(la_cl_label_quality_scores(Y, P, LA_F64, N, K, "confidence_weighted_entropy", 1, 1, 1, s, &err),
                     LA_EUSAGE);
    const double cj[K * K] = {3, 1, 0, 0, 3, 1, 0, 0, 4}, ps[K] = {1.0 / 3, 1.0 / 3, 1.0 / 3};
    double py[K], nm[K * K], inv[K * K];
    assert_int_equal(la_cl_estimate_latent(cj, ps, K, "cnt", 1, py, nm, inv, &err), 0);
    assert_true(py[0] == 0.25 && py[1] == 0.33333333333333331 && py[2] == 0.41666666666666657);
    for (int m = 0; m < CL_PY_COUNT; m++) {
        assert_int_equal(la_cl_estimate_latent(cj, ps, K, cl_py_method_names[m], 0, py, nm, inv, &err), 0);
        assert_true(fabs(py[0] + py[1] + py[2] - 1) < 1e-12);
    }
    assert_int_equal(la_cl_estimate_latent(cj, ps, K, "nope", 0, py, nm, inv, &err), LA_EUSAGE);
    const double sing[K * K] = {1, 1, 0, 1, 1, 0, 0, 0, 1};
    /* numpy.linalg.inv raises LinAlgError("Singular matrix") for this noise matrix */
    assert_int_equal(la_cl_estimate_latent(sing, ps, K, "eqn", 0, py, nm, inv, &err), LA_EUSAGE);
    assert_string_equal(err.msg, "Singular matrix");
}

static void test_multilabel(void **state)
{
    (void)state;
    la_error err;
    /* class c of example i is the binary problem [1 - p, p]: with onehot =
     * labels == c and p = P[i][c], each class reproduces the single-label
     * binary run */
    uint8_t oh[N * K];
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < K; c++) oh[i * K + c] = Y[i] == (int32_t)c;
    uint8_t iss[N * K];
    la_cl_options o;
    la_cl_options_init(&o);
    o.filter_by = "confident_learning";
    assert_int_equal(la_cl_multilabel_find_label_issues(oh, P, LA_F64, N, K, &o, iss, &err), 0);
    for (size_t c = 0; c < K; c++) {
        int32_t yb[N];
        double pb[2 * N];
        uint8_t m[N];
        for (size_t i = 0; i < N; i++) { yb[i] = oh[i * K + c]; pb[2 * i] = 1 - P[i * K + c]; pb[2 * i + 1] = P[i * K + c]; }
        assert_int_equal(la_cl_find_label_issues(yb, pb, LA_F64, N, 2, &o, m, NULL, NULL, &err), 0);
        for (size_t i = 0; i < N; i++) assert_int_equal(iss[i * K + c], m[i]);
    }
    double sc[N * K];
    assert_int_equal(la_cl_multilabel_scores(oh, P, LA_F64, N, K, "self_confidence", 0, 1, sc, &err), 0);
    for (size_t i = 0; i < N; i++)
        for (size_t c = 0; c < K; c++)
            assert_true(sc[i * K + c] == (oh[i * K + c] ? P[i * K + c] : 1 - P[i * K + c]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds_and_joint),
        cmocka_unit_test(test_find_label_issues),
        cmocka_unit_test(test_scores_and_latent),
        cmocka_unit_test(test_multilabel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
