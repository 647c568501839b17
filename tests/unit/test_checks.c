/* test_checks.c — cmocka tests for checks/: the blocked kNN against brute
 * force (both metrics, both precisions, query != reference, more rows than a
 * block), cleanlab's exact-duplicate correction on its documented examples,
 * numpy's median and percentiles, reciprocal near-duplicate sets, outlier
 * flags, hashing groups, the shifted image match, defects, and the stage's
 * refusals (NaN, shapes, --issues the inputs do not allow). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "checks/checks.h"
#include "audit/check.h"

static double frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

/* brute-force k nearest (ties to the lower index) of query row q */
static void brute(const dc_matrix *ref, const dc_matrix *qm, size_t q, size_t k, dc_metric m, int self,
                  int64_t *idx, double *dist)
{
    size_t cnt = 0;
    for (size_t j = 0; j < ref->n; j++) {
        if (self && j == q) continue;
        double d = dc_distance(qm, q, ref, j, m);
        size_t p = cnt < k ? cnt++ : k;
        if (p == k && d >= dist[k - 1]) continue;
        if (p == k) p = k - 1;
        while (p > 0 && dist[p - 1] > d) { dist[p] = dist[p - 1]; idx[p] = idx[p - 1]; p--; }
        dist[p] = d; idx[p] = (int64_t)j;
    }
}

static void knn_case(size_t n, size_t nq, size_t d, size_t k, dc_metric m, int f32)
{
    uint64_t s = n * 31 + d;
    double *a = malloc(n * d * sizeof *a), *b = malloc(nq * d * sizeof *b);
    float *af = malloc(n * d * sizeof *af), *bf = malloc(nq * d * sizeof *bf);
    for (size_t i = 0; i < n * d; i++) af[i] = (float)(a[i] = frand(&s) - 0.3);
    for (size_t i = 0; i < nq * d; i++) bf[i] = (float)(b[i] = frand(&s) - 0.3);
    dc_matrix ref = {n, d, f32 ? af : NULL, f32 ? NULL : a}, qm = {nq, d, f32 ? bf : NULL, f32 ? NULL : b};
    for (int self = 0; self <= 1; self++) {
        const dc_matrix *q = self ? &ref : &qm;
        dc_knn g;
        la_error err;
        assert_int_equal(dc_knn_build(&ref, self ? NULL : &qm, k, m, 2, NULL, &g, &err), 0);
        assert_int_equal(g.n, q->n);
        int64_t idx[32];
        double dist[32];
        for (size_t i = 0; i < q->n; i++) {
            brute(&ref, q, i, k, m, self, idx, dist);
            for (size_t c = 0; c < k; c++) {
                assert_true(fabs(g.dist[i * k + c] - dist[c]) < 1e-12);
                if (fabs(dist[c] - (c + 1 < k ? dist[c + 1] : -1)) > 1e-9 && (c == 0 || fabs(dist[c] - dist[c - 1]) > 1e-9))
                    assert_int_equal(g.index[i * k + c], idx[c]);
            }
        }
        dc_knn_free(&g);
    }
    free(a); free(b); free(af); free(bf);
}

static void test_knn_brute_force(void **state)
{
    (void)state;
    knn_case(300, 70, 8, 10, DC_METRIC_COSINE, 0);
    knn_case(300, 70, 8, 10, DC_METRIC_EUCLIDEAN, 0);
    knn_case(2100, 300, 5, 3, DC_METRIC_EUCLIDEAN, 1);    /* more rows than one block */
    knn_case(500, 40, 33, 7, DC_METRIC_COSINE, 1);
    knn_case(12, 5, 2, 11, DC_METRIC_EUCLIDEAN, 0);        /* k = n - 1 */
}

static void test_knn_refuses_large_k(void **state)
{
    (void)state;
    double x[6] = {0, 1, 2, 3, 4, 5};
    dc_matrix m = {3, 2, NULL, x};
    dc_knn g;
    la_error err;
    assert_int_equal(dc_knn_build(&m, NULL, 3, DC_METRIC_EUCLIDEAN, 1, NULL, &g, &err), LA_EUSAGE);
    assert_null(g.index);
}

static void test_metric_rule(void **state)
{
    (void)state;
    assert_int_equal(dc_metric_resolve(DC_METRIC_AUTO, 3), DC_METRIC_EUCLIDEAN);
    assert_int_equal(dc_metric_resolve(DC_METRIC_AUTO, 4), DC_METRIC_COSINE);
    assert_int_equal(dc_metric_resolve(DC_METRIC_EUCLIDEAN, 100), DC_METRIC_EUCLIDEAN);
    /* a zero row is at cosine distance 1 from everything, itself included */
    double x[4] = {0, 0, 0, 0};
    dc_matrix m = {2, 2, NULL, x};
    assert_true(dc_distance(&m, 0, &m, 1, DC_METRIC_COSINE) == 1.0);
}

/* cleanlab's correct_knn_distances_and_indices docstring: rows 0 and 1 are
 * equal; their 1-NN becomes each other at distance 0, row 2 keeps its own. */
static void test_correction_doc_example(void **state)
{
    (void)state;
    double x[6] = {0, 0, 0, 0, 1, 1};
    dc_matrix m = {3, 2, NULL, x};
    int64_t idx[3] = {2, 0, 1};
    double dist[3] = {sqrt(2), 1e-16, sqrt(2)};
    dc_knn g = {3, 1, idx, dist};
    dc_groups gr;
    la_error err;
    assert_int_equal(dc_exact_groups(&m, &gr, &err), 0);
    assert_int_equal(gr.n_groups, 1);
    assert_int_equal(dc_knn_correct(&g, &gr, &err), 0);
    assert_int_equal(idx[0], 1); assert_true(dist[0] == 0);
    assert_int_equal(idx[1], 0); assert_true(dist[1] == 0);
    assert_int_equal(idx[2], 1); assert_true(dist[2] == sqrt(2));
    dc_groups_free(&gr);
}

/* A group larger than k: the first k+1 members see each other, the rest
 * the first k; a group smaller than k keeps the nearest non-members after it. */
static void test_correction_groups(void **state)
{
    (void)state;
    enum { N = 6, K = 2 };
    double x[N] = {5, 5, 5, 5, 7, 9};                     /* 0..3 equal */
    dc_matrix m = {N, 1, NULL, x};
    dc_knn g;
    dc_groups gr;
    la_error err;
    assert_int_equal(dc_knn_build(&m, NULL, K, DC_METRIC_EUCLIDEAN, 1, NULL, &g, &err), 0);
    assert_int_equal(dc_exact_groups(&m, &gr, &err), 0);
    assert_int_equal(dc_knn_correct(&g, &gr, &err), 0);
    int64_t want[N][K] = {{1, 2}, {0, 2}, {0, 1}, {0, 1}, {0, 1}, {4, 0}};
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < K; c++) {
            assert_int_equal(g.index[i * K + c], want[i][c]);
            assert_true(g.dist[i * K + c] == 0);
        }
    dc_knn_free(&g);
    dc_groups_free(&gr);
    /* group of 2 with k = 3: the other member first, then the 2 nearest others */
    double y[5] = {1, 1, 1.5, 3, 10};
    dc_matrix my = {5, 1, NULL, y};
    assert_int_equal(dc_knn_build(&my, NULL, 3, DC_METRIC_EUCLIDEAN, 1, NULL, &g, &err), 0);
    assert_int_equal(dc_exact_groups(&my, &gr, &err), 0);
    assert_int_equal(dc_knn_correct(&g, &gr, &err), 0);
    assert_int_equal(g.index[0], 1); assert_int_equal(g.index[1], 2); assert_int_equal(g.index[2], 3);
    assert_int_equal(g.index[3], 0); assert_true(g.dist[3] == 0); assert_true(g.dist[4] == 0.5);
    dc_knn_free(&g);
    dc_groups_free(&gr);
}

static void test_numpy_statistics(void **state)
{
    (void)state;
    double v[5] = {4, 1, 3, 2, 5};
    assert_true(dc_median_inplace(v, 5) == 3);
    double w[4] = {4, 1, 3, 2};
    assert_true(dc_median_inplace(w, 4) == 2.5);
    /* np.percentile([1, 2, 3, 4], 75) = 3.25, 25 -> 1.75 */
    assert_true(dc_percentile_sorted(w, 4, 75) == 3.25);
    assert_true(dc_percentile_sorted(w, 4, 25) == 1.75);
    double one[1] = {7};
    assert_true(dc_percentile_sorted(one, 1, 75) == 7);
}

static void test_near_dup_sets_reciprocal(void **state)
{
    (void)state;
    /* 1-D points: 0 and 1 close, 2 close to 1 only one way within radius */
    double x[8] = {0, 0.01, 0.025, 1, 2, 3, 4, 5};
    dc_matrix m = {8, 1, NULL, x};
    dc_knn g;
    dc_near_dup nd;
    la_error err;
    assert_int_equal(dc_knn_build(&m, NULL, 2, DC_METRIC_EUCLIDEAN, 1, NULL, &g, &err), 0);
    assert_int_equal(dc_near_duplicates(&g, 0.13, &nd, &err), 0);
    /* NN distances .01 .01 .015 .975 1 1 1 1: median (.975 + 1) / 2, radius 0.128 */
    assert_true(fabs(nd.median_nn - 0.9875) < 1e-12);
    assert_int_equal(nd.n_issues, 3);
    for (int i = 0; i < 3; i++) assert_true(nd.is_issue[i]);
    assert_int_equal(nd.set_start[1] - nd.set_start[0], 2);             /* {1, 2} */
    assert_int_equal(nd.set[nd.set_start[2]], 0);                       /* 2's set has 0 back */
    for (size_t i = 0; i < 8; i++)
        for (size_t t = nd.set_start[i]; t < nd.set_start[i + 1]; t++) {
            int64_t j = nd.set[t];
            int back = 0;
            for (size_t u = nd.set_start[j]; u < nd.set_start[j + 1]; u++) back |= nd.set[u] == (int64_t)i;
            assert_true(back);
            if (t > nd.set_start[i]) assert_true(nd.set[t - 1] < j);
        }
    assert_true(nd.score[0] > 0 && nd.score[0] < 0.02);
    dc_near_dup_free(&nd);
    dc_knn_free(&g);
}

static void test_outlier_flag(void **state)
{
    (void)state;
    enum { N = 41 };
    double x[N];
    for (int i = 0; i < N - 1; i++) x[i] = i * 0.1;
    x[N - 1] = 100;                                       /* far away */
    dc_matrix m = {N, 1, NULL, x};
    dc_knn g;
    dc_outlier od;
    la_error err;
    assert_int_equal(dc_knn_build(&m, NULL, 3, DC_METRIC_EUCLIDEAN, 1, NULL, &g, &err), 0);
    assert_int_equal(dc_outliers(&g, DC_METRIC_EUCLIDEAN, DC_OUTLIER_THRESHOLD, &od, &err), 0);
    /* IQR 0 (evenly spaced): the two ends of the line (avg 0.2 > Q3 0.133)
     * are flagged with the far point, as cleanlab flags them */
    assert_int_equal(od.n_issues, 3);
    assert_true(od.is_issue[0] && od.is_issue[N - 2] && od.is_issue[N - 1]);
    assert_true(od.score[N - 1] < 1e-10 && od.score[0] > 0.2);
    dc_outlier_free(&od);
    dc_knn_free(&g);
}

static void test_checks_parse(void **state)
{
    (void)state;
    unsigned m;
    const char *bad;
    size_t len;
    assert_int_equal(dc_checks_parse("near_duplicate,outlier", &m, &bad, &len), 0);
    assert_int_equal(m, DC_BIT(DC_CHECK_NEAR_DUPLICATE) | DC_BIT(DC_CHECK_OUTLIER));
    assert_int_equal(dc_checks_parse("all", &m, &bad, &len), 0);
    assert_int_equal(m, DC_ALL_CHECKS);
    assert_int_equal(dc_checks_parse("label,dupes", &m, &bad, &len), -1);
    assert_int_equal(len, 5);
    assert_memory_equal(bad, "dupes", 5);
}

static void test_image_match_shift(void **state)
{
    (void)state;
    enum { W = 12, H = 10 };
    float a[W * H] = {0}, b[W * H] = {0};
    for (int y = 3; y < 7; y++)
        for (int x = 3; x < 8; x++) a[y * W + x] = (float)(0.2 + 0.05 * x + 0.03 * y);
    for (int y = 0; y < H; y++)
        for (int x = 1; x < W; x++) b[y * W + x] = 0.5f * a[y * W + x - 1] + 0.3f;   /* shifted, dimmer */
    int dx, dy;
    double r = dc_image_match(b, a, W, H, 1, &dx, &dy);
    assert_true(r > 0.999);
    assert_int_equal(dx, 1);
    assert_int_equal(dy, 0);
    float flat[W * H];
    for (int i = 0; i < W * H; i++) flat[i] = 0.5f;
    assert_true(dc_image_match(flat, a, W, H, 1, &dx, &dy) == 0);
}

static void test_image_defects(void **state)
{
    (void)state;
    enum { W = 8, H = 8, N = 3 };
    float px[N * W * H];
    for (int i = 0; i < W * H; i++) {
        px[i] = (float)((i * 37) % 11) / 10.0f;           /* busy, full range */
        px[W * H + i] = px[i] * 0.1f;                     /* dark */
        px[2 * W * H + i] = 0.5f;                          /* flat */
    }
    dc_defects d;
    la_error err;
    assert_int_equal(dc_image_defects(px, N, W, H, 1, NULL, 1, &d, &err), 0);
    assert_false(d.flag[DC_DEFECT_DARK]);
    assert_true(d.flag[DC_DEFECT_COUNT + DC_DEFECT_DARK]);
    assert_false(d.flag[DC_DEFECT_COUNT + DC_DEFECT_BLURRY]);          /* contrast cancels */
    assert_true(d.flag[2 * DC_DEFECT_COUNT + DC_DEFECT_LOW_INFORMATION]);
    assert_true(d.flag[2 * DC_DEFECT_COUNT + DC_DEFECT_BLURRY]);
    for (int i = 0; i < N * DC_DEFECT_COUNT; i++)
        assert_true(isnan(d.score[i]) || (d.score[i] >= 0 && d.score[i] <= 1));
    assert_true(isnan(d.score[DC_DEFECT_ODD_SIZE]));                   /* no files */
    dc_defects_free(&d);
}

static void test_descriptor_shift_invariant(void **state)
{
    (void)state;
    enum { W = 16, H = 16 };
    float a[W * H] = {0}, b[W * H] = {0}, da[DC_DESC_DIM], db[DC_DESC_DIM];
    for (int y = 4; y < 10; y++)
        for (int x = 5; x < 11; x++) a[y * W + x] = (float)((x * y) % 5) / 4.0f;
    for (int i = 0; i < W * H; i++) b[i] = 0.1f;          /* shifted 2 px, contrast 0.7, +0.1 */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W - 2; x++) b[y * W + x + 2] = a[y * W + x] * 0.7f + 0.1f;
    la_error err;
    assert_int_equal(dc_image_descriptors(a, 1, W, H, 1, 1, da, &err), 0);
    assert_int_equal(dc_image_descriptors(b, 1, W, H, 1, 1, db, &err), 0);
    double dot = 0;
    for (int t = 0; t < DC_DESC_DIM; t++) dot += (double)da[t] * db[t];
    assert_true(dot > 0.999);
}

static void test_stage_refusals(void **state)
{
    (void)state;
    double x[8] = {0, 1, 2, NAN, 4, 5, 6, 7};
    dc_input in = {.train = {.n = 4, .feat = {4, 2, NULL, x}, .feat_path = "f.npy"}};
    dc_opts o;
    dc_opts_init(&o);
    o.k = 2;
    dc_result r;
    la_error err;
    assert_int_equal(dc_run(&in, &o, &r, &err), LA_EUSAGE);
    assert_string_equal(err.file, "f.npy");
    assert_non_null(strstr(err.msg, "row 1"));
    x[3] = 3;
    in.train.n = 5;
    assert_int_equal(dc_run(&in, &o, &r, &err), LA_EUSAGE);               /* 4 rows for 5 examples */
    in.train.n = 4;
    double t[3] = {1, 2, 3};
    dc_split te = {.n = 1, .feat = {1, 3, NULL, t}, .feat_path = "t.npy"};
    in.test = &te;
    assert_int_equal(dc_run(&in, &o, &r, &err), LA_EUSAGE);               /* D 3 vs 2 */
    assert_string_equal(err.file, "t.npy");
    in.test = NULL;
    o.checks = DC_BIT(DC_CHECK_LEAKAGE);
    o.strict = 1;
    assert_int_equal(dc_run(&in, &o, &r, &err), LA_EUSAGE);               /* no test split */
    o.strict = 0;
    assert_int_equal(dc_run(&in, &o, &r, &err), 0);                       /* silently skipped */
    assert_int_equal(r.ran, 0);
    assert_int_equal(r.n_issues, 0);
    dc_result_free(&r);
    o.checks = DC_ALL_CHECKS;
    assert_int_equal(dc_run(&in, &o, &r, &err), 0);
    assert_true(r.ran & DC_BIT(DC_CHECK_NEAR_DUPLICATE));
    assert_false(r.ran & DC_BIT(DC_CHECK_IMAGE));
    dc_result_free(&r);
}

/* check's gates on the rates the dataset checks add to summary.json */
static void test_check_gates_rates(void **state)
{
    (void)state;
    const char *text = "{\"n\": 100, \"k\": 2, \"classes\": [\"a\", \"b\"], \"error_rate\": 0.1, "
                       "\"health_score\": 0.9, \"class_error_rate\": [0.1, 0.1], "
                       "\"dataset_checks\": {\"leak_rate\": 0.04, \"duplicate_rate\": 0.02}}";
    ck_summary s;
    la_error err;
    assert_int_equal(ck_summary_from_text(text, "s.json", &s, &err), 0);
    assert_true(s.leak_rate == 0.04 && s.duplicate_rate == 0.02);
    ck_limits lim;
    ck_limits_init(&lim);
    lim.max_leak_rate = 0.01;
    lim.max_duplicate_rate = 0.05;
    ck_verdict v;
    assert_int_equal(ck_evaluate(&s, NULL, &lim, &v, &err), 0);
    assert_int_equal(v.ncases, 2);
    assert_int_equal(v.nfailed, 1);
    assert_string_equal(v.cases[0].name, "max-leak-rate");
    assert_int_equal(v.cases[0].status, CK_FAIL);
    assert_int_equal(v.cases[1].status, CK_PASS);
    ck_verdict_free(&v);
    ck_summary_free(&s);
    const char *plain = "{\"n\": 100, \"k\": 2, \"classes\": [\"a\", \"b\"], \"error_rate\": 0.1, "
                        "\"health_score\": 0.9, \"class_error_rate\": [0.1, 0.1]}";
    assert_int_equal(ck_summary_from_text(plain, "p.json", &s, &err), 0);
    assert_true(isnan(s.leak_rate) && isnan(s.duplicate_rate));
    ck_summary_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_knn_brute_force),
        cmocka_unit_test(test_knn_refuses_large_k),
        cmocka_unit_test(test_metric_rule),
        cmocka_unit_test(test_correction_doc_example),
        cmocka_unit_test(test_correction_groups),
        cmocka_unit_test(test_numpy_statistics),
        cmocka_unit_test(test_near_dup_sets_reciprocal),
        cmocka_unit_test(test_outlier_flag),
        cmocka_unit_test(test_checks_parse),
        cmocka_unit_test(test_image_match_shift),
        cmocka_unit_test(test_image_defects),
        cmocka_unit_test(test_descriptor_shift_invariant),
        cmocka_unit_test(test_stage_refusals),
        cmocka_unit_test(test_check_gates_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
