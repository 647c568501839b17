/*
 * test_metrics.c — cmocka tests for metrics/metrics: every figure is checked
 * against values computed by hand on small inputs (and cross-checked once
 * with scikit-learn 1.2.1, shown in the comments), including a class that is
 * never predicted, ties in scores (grouped, as sklearn does) and ties in argmax.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

#define TOL 1e-12

/* The shared toy: n = 6, k = 3.
 *   row  y   p0   p1   p2   argmax
 *   0    0   .6   .3   .1   0
 *   1    0   .4   .4   .2   0   (tie: lowest index wins)
 *   2    1   .3   .6   .1   1
 *   3    1   .5   .4   .1   0
 *   4    2   .2   .5   .3   1
 *   5    2   .3   .4   .3   1   (class 2 is never predicted)
 * confusion (rows true): [2 0 0; 1 1 0; 0 2 0] */
static const int32_t Y[6] = {0, 0, 1, 1, 2, 2};
static const double P[18] = {
    .6, .3, .1,  .4, .4, .2,  .3, .6, .1,
    .5, .4, .1,  .2, .5, .3,  .3, .4, .3,
};

static void test_toy_all_metrics(void **state)
{
    (void)state;
    mt_metrics m;
    la_error err;
    assert_int_equal(mt_compute(Y, P, 6, 3, &m, &err), 0);
    const int64_t cm[9] = {2, 0, 0, 1, 1, 0, 0, 2, 0};
    for (int i = 0; i < 9; i++) assert_int_equal(m.confusion[i], cm[i]);
    /* class 0: P = 2/3, R = 1, F1 = 2(2/3)(1)/(5/3) = 0.8 */
    assert_int_equal(m.per_class[0].support, 2);
    assert_int_equal(m.per_class[0].predicted, 3);
    assert_float_equal(m.per_class[0].precision, 2.0 / 3.0, TOL);
    assert_float_equal(m.per_class[0].recall, 1.0, TOL);
    assert_float_equal(m.per_class[0].f1, 0.8, TOL);
    /* class 1: P = 1/3, R = 1/2, F1 = (1/3)/(5/6) = 0.4 */
    assert_float_equal(m.per_class[1].precision, 1.0 / 3.0, TOL);
    assert_float_equal(m.per_class[1].recall, 0.5, TOL);
    assert_float_equal(m.per_class[1].f1, 0.4, TOL);
    /* class 2: never predicted: precision 0 by convention, not NaN */
    assert_int_equal(m.per_class[2].predicted, 0);
    assert_float_equal(m.per_class[2].precision, 0.0, 0);
    assert_float_equal(m.per_class[2].recall, 0.0, 0);
    assert_float_equal(m.per_class[2].f1, 0.0, 0);
    /* accuracy 3/6; balanced (1 + .5 + 0)/3; macro F1 (.8 + .4 + 0)/3 */
    assert_float_equal(m.accuracy, 0.5, TOL);
    assert_float_equal(m.balanced_accuracy, 0.5, TOL);
    assert_float_equal(m.macro_f1, 0.4, TOL);
    /* log loss -(ln .6 + ln .4 + ln .3)/3 = -ln(0.072)/3 (sklearn 0.8770297199886938) */
    assert_float_equal(m.log_loss, -log(0.072) / 3.0, TOL);
    assert_float_equal(m.log_loss, 0.8770297199886938, 1e-12);
    mt_metrics_free(&m);
}

/* AP by hand (sklearn: 0.8333, 0.7, 1.0):
 * class 0 scores desc 0.6(+) 0.5(-) 0.4(+) ...: .5*1 + 0 + .5*(2/3) = 5/6
 * class 1: 0.6(+) 0.5(-) {0.4: -,+,-} 0.3(-): .5*1 + 0 + .5*(2/5) = 0.7;
 *          the tie group at 0.4 is one threshold (breaking it by row order
 *          would give .5 + .5*(2/3) or .5 + .5*(2/4) instead)
 * class 2: {0.3: +,+} first: 1.0 */
static void test_average_precision_ties(void **state)
{
    (void)state;
    mt_metrics m;
    la_error err;
    assert_int_equal(mt_compute(Y, P, 6, 3, &m, &err), 0);
    assert_float_equal(m.per_class[0].pr_auc, 5.0 / 6.0, TOL);
    assert_float_equal(m.per_class[1].pr_auc, 0.7, TOL);
    assert_float_equal(m.per_class[2].pr_auc, 1.0, TOL);
    mt_metrics_free(&m);

    /* All scores equal: one threshold, AP = prevalence. */
    const unsigned char y[4] = {1, 0, 0, 1};
    const double s[4] = {.5, .5, .5, .5};
    assert_float_equal(mt_average_precision(y, s, 4), 0.5, TOL);
    /* No positives: 0, not NaN. */
    const unsigned char z[3] = {0, 0, 0};
    assert_float_equal(mt_average_precision(z, s, 3), 0.0, 0);
    /* Perfect ranking: 1. */
    const unsigned char y2[4] = {0, 1, 0, 1};
    const double s2[4] = {.1, .9, .2, .8};
    assert_float_equal(mt_average_precision(y2, s2, 4), 1.0, TOL);
    /* Worst ranking of 1 positive among 4: P at recall 1 is 1/4. */
    const unsigned char y3[4] = {1, 0, 0, 0};
    const double s3[4] = {.1, .9, .8, .7};
    assert_float_equal(mt_average_precision(y3, s3, 4), 0.25, TOL);
}

static void test_f32_matches_f64(void **state)
{
    (void)state;
    /* Values exactly representable in float so both paths agree bit for bit. */
    const float pf[6] = {.75f, .25f, .5f, .5f, .125f, .875f};
    const double pd[6] = {.75, .25, .5, .5, .125, .875};
    const int32_t y[3] = {0, 1, 1};
    mt_metrics a, b;
    la_error err;
    assert_int_equal(mt_compute(y, pd, 3, 2, &a, &err), 0);
    assert_int_equal(mt_compute_f32(y, pf, 3, 2, &b, &err), 0);
    assert_float_equal(a.log_loss, b.log_loss, 0);
    assert_float_equal(a.per_class[1].pr_auc, b.per_class[1].pr_auc, 0);
    /* row 1 ties at .5: predicted 0; so class 1 recall 1/2 */
    assert_float_equal(a.per_class[1].recall, 0.5, TOL);
    mt_metrics_free(&a);
    mt_metrics_free(&b);
}

/* A class absent from the labels and from the predictions is left out of
 * balanced accuracy and macro F1 (sklearn's default label set); its pr_auc is 0. */
static void test_absent_class(void **state)
{
    (void)state;
    const int32_t y[4] = {0, 0, 1, 1};
    const double p[12] = {.7, .2, .1,  .6, .3, .1,  .2, .7, .1,  .6, .3, .1};
    mt_metrics m;
    la_error err;
    assert_int_equal(mt_compute(y, p, 4, 3, &m, &err), 0);
    /* recalls 1, 1/2 -> balanced .75; F1: class0 P=2/3 R=1 -> .8, class1 P=1 R=.5 -> 2/3 */
    assert_float_equal(m.balanced_accuracy, 0.75, TOL);
    assert_float_equal(m.macro_f1, (0.8 + 2.0 / 3.0) / 2.0, TOL);
    assert_int_equal(m.per_class[2].support, 0);
    assert_float_equal(m.per_class[2].pr_auc, 0.0, 0);
    mt_metrics_free(&m);
}

/* Clipping: p_{i,y} = 0 becomes 1e-15; rows renormalize to 1 + tiny. */
static void test_log_loss_clipping(void **state)
{
    (void)state;
    const int32_t y[2] = {0, 1};
    const double p[4] = {0.0, 1.0, 1.0, 0.0};
    mt_metrics m;
    la_error err;
    assert_int_equal(mt_compute(y, p, 2, 2, &m, &err), 0);
    assert_true(isfinite(m.log_loss));
    assert_float_equal(m.log_loss, -log(1e-15), 1e-9);
    assert_float_equal(m.accuracy, 0.0, 0);
    mt_metrics_free(&m);
}

static void test_bad_input(void **state)
{
    (void)state;
    mt_metrics m;
    la_error err;
    const int32_t y[2] = {0, 3};
    const double p[4] = {.5, .5, .5, .5};
    assert_int_equal(mt_compute(y, p, 2, 2, &m, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "row 1"));
    assert_null(m.per_class);
    const int32_t y2[2] = {0, 1};
    const double pn[4] = {.5, NAN, .5, .5};
    assert_int_equal(mt_compute(y2, pn, 2, 2, &m, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "finite"));
    assert_int_equal(mt_compute(y2, p, 0, 2, &m, &err), LA_EUSAGE);
}

/* PR curve of class 1 on the toy (sklearn precision_recall_curve):
 * thresholds .6 .5 .4 .3 -> P 1, .5, .4, 1/3; R .5, .5, 1, 1. */
static void test_pr_curve_and_pick(void **state)
{
    (void)state;
    mt_pr_point *pt;
    size_t np;
    la_error err;
    assert_int_equal(mt_pr_curve(Y, P, 6, 3, 1, &pt, &np, &err), 0);
    assert_int_equal(np, 4);
    const double th[4] = {.6, .5, .4, .3}, pr[4] = {1, .5, .4, 1.0 / 3}, rc[4] = {.5, .5, 1, 1};
    const double fa[4] = {0, .25, .75, 1};
    for (size_t i = 0; i < 4; i++) {
        assert_float_equal(pt[i].threshold, th[i], TOL);
        assert_float_equal(pt[i].precision, pr[i], TOL);
        assert_float_equal(pt[i].recall, rc[i], TOL);
        assert_float_equal(pt[i].false_alarm_rate, fa[i], TOL);
        assert_int_equal(pt[i].tp + pt[i].fp + pt[i].fn + pt[i].tn, 6);
    }
    assert_int_equal(pt[2].tp, 2);
    assert_int_equal(pt[2].fp, 3);
    assert_int_equal(pt[2].tn, 1);
    /* precision >= .5: points 0,1 qualify, both recall .5 -> the higher threshold */
    assert_int_equal(mt_pick_threshold(pt, np, MT_MIN_PRECISION, 0.5), 0);
    /* precision >= .4: point 2 adds recall 1 */
    assert_int_equal(mt_pick_threshold(pt, np, MT_MIN_PRECISION, 0.4), 2);
    /* recall >= 1: points 2,3 -> best precision .4 */
    assert_int_equal(mt_pick_threshold(pt, np, MT_MIN_RECALL, 1.0), 2);
    /* false alarms <= .25: points 0,1 -> recall tie -> higher threshold */
    assert_int_equal(mt_pick_threshold(pt, np, MT_MAX_FALSE_ALARM, 0.25), 0);
    /* nothing meets precision >= 1.01 */
    assert_int_equal(mt_pick_threshold(pt, np, MT_MIN_PRECISION, 1.01), -1);
    free(pt);

    assert_int_equal(mt_pr_curve(Y, P, 6, 3, 3, &pt, &np, &err), LA_EUSAGE);
    assert_null(pt);
}

static int has_exact_keys(json_t *o, const char *const *keys, size_t n)
{
    if (json_object_size(o) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!json_object_get(o, keys[i])) return 0;
    return 1;
}

static void test_json_schema_and_folds(void **state)
{
    (void)state;
    char n0[] = "cat", n1[] = "dog", n2[] = "eel";
    char *names[3] = {n0, n1, n2};
    const int32_t folds[6] = {0, 1, 0, 1, 0, 1};
    json_t *j;
    la_error err;
    assert_int_equal(mt_json_with_folds(Y, P, 6, 3, folds, 2, names, &j, &err), 0);
    const char *top[] = {"accuracy", "balanced_accuracy", "log_loss", "macro_f1",
                         "per_class", "confusion_matrix", "folds"};
    assert_true(has_exact_keys(j, top, 7));
    json_t *pc = json_object_get(j, "per_class");
    assert_int_equal(json_array_size(pc), 3);
    const char *pck[] = {"class", "support", "precision", "recall", "f1", "pr_auc"};
    assert_true(has_exact_keys(json_array_get(pc, 2), pck, 6));
    assert_string_equal(json_string_value(json_object_get(json_array_get(pc, 2), "class")), "eel");
    assert_float_equal(json_real_value(json_object_get(json_array_get(pc, 2), "precision")), 0, 0);
    json_t *cm = json_object_get(j, "confusion_matrix");
    assert_int_equal(json_integer_value(json_array_get(json_array_get(cm, 2), 1)), 2);
    json_t *fa = json_object_get(j, "folds");
    assert_int_equal(json_array_size(fa), 2);
    /* fold 0 = rows 0, 2, 4: predictions 0, 1, 1 against 0, 1, 2 -> accuracy 2/3 */
    json_t *f0 = json_array_get(fa, 0);
    assert_int_equal(json_integer_value(json_object_get(f0, "fold")), 0);
    assert_float_equal(json_real_value(json_object_get(f0, "accuracy")), 2.0 / 3.0, TOL);
    assert_null(json_object_get(f0, "folds"));
    /* serializes without NaN (jansson refuses NaN reals, so dumping must succeed) */
    char *s = json_dumps(j, JSON_COMPACT);
    assert_non_null(s);
    assert_null(strstr(s, "nan"));
    free(s);
    json_decref(j);

    /* no names: the class is its index as a string; no folds: [] */
    mt_metrics m;
    assert_int_equal(mt_compute(Y, P, 6, 3, &m, &err), 0);
    j = mt_to_json(&m, NULL, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_array_get(
                            json_object_get(j, "per_class"), 1), "class")), "1");
    assert_int_equal(json_array_size(json_object_get(j, "folds")), 0);
    json_decref(j);
    mt_metrics_free(&m);

    /* an empty fold is an error, not a NaN */
    const int32_t bad[6] = {0, 0, 0, 0, 0, 0};
    assert_int_equal(mt_json_with_folds(Y, P, 6, 3, bad, 2, names, &j, &err), LA_EUSAGE);
    assert_null(j);
    assert_non_null(strstr(err.msg, "fold 1"));
}

/* Randomized cross-check of AP against its other form, O(n^2):
 *   AP = 1/P sum_{i positive} |{j pos: s_j >= s_i}| / |{j: s_j >= s_i}|
 * (each positive contributes the precision at its own score's threshold, ties
 * included), on scores quantized to 8 levels so ties are everywhere. */
static void test_average_precision_bruteforce(void **state)
{
    (void)state;
    unsigned seed = 12345;
    enum { N = 300 };
    unsigned char y[N];
    double s[N];
    for (int rep = 0; rep < 50; rep++) {
        int pos = 0;
        for (int i = 0; i < N; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = (double)((seed >> 16) % 8) / 8.0;
            seed = seed * 1103515245u + 12345u;
            /* positives lean to higher scores */
            y[i] = ((seed >> 16) % 16) < (unsigned)(2 + 2 * (int)(s[i] * 8));
            pos += y[i];
        }
        double want = 0.0;
        for (int i = 0; i < N; i++) {
            if (!y[i]) continue;
            int tp = 0, all = 0;
            for (int j = 0; j < N; j++)
                if (s[j] >= s[i]) { all++; tp += y[j]; }
            want += (double)tp / all;
        }
        want = pos ? want / pos : 0.0;
        assert_float_equal(mt_average_precision(y, s, N), want, 1e-12);
    }
}

/* The float32 PR curve and fold JSON agree with the double ones. */
static void test_f32_curve_and_folds(void **state)
{
    (void)state;
    float pf[18];
    for (int i = 0; i < 18; i++) pf[i] = (float)P[i];
    mt_pr_point *a, *b;
    size_t na, nb;
    la_error err;
    assert_int_equal(mt_pr_curve(Y, P, 6, 3, 0, &a, &na, &err), 0);
    assert_int_equal(mt_pr_curve_f32(Y, pf, 6, 3, 0, &b, &nb, &err), 0);
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_int_equal(a[i].tp, b[i].tp);
        assert_int_equal(a[i].fp, b[i].fp);
    }
    free(a);
    free(b);
    const int32_t folds[6] = {1, 0, 1, 0, 1, 0};
    json_t *j;
    assert_int_equal(mt_json_with_folds_f32(Y, pf, 6, 3, folds, 2, NULL, &j, &err), 0);
    assert_int_equal(json_array_size(json_object_get(j, "folds")), 2);
    /* fold 1 = rows 0, 2, 4 here */
    assert_float_equal(json_real_value(json_object_get(json_array_get(json_object_get(j, "folds"), 1),
                                                       "accuracy")), 2.0 / 3.0, 1e-12);
    json_decref(j);
}

/* A hand-made metrics.json document: classes a, b, c with the given F1. */
static json_t *cmp_doc(const char *c3, double f1a, double bal, double mf1)
{
    return json_pack("{s:f, s:f, s:[{s:s, s:i, s:f, s:f, s:f}, {s:s, s:i, s:f, s:f, s:f},"
                     " {s:s, s:i, s:f, s:f, s:f}]}",
                     "balanced_accuracy", bal, "macro_f1", mf1, "per_class",
                     "class", "a", "support", 10, "f1", f1a, "recall", 0.5, "pr_auc", 0.6,
                     "class", "b", "support", 20, "f1", 0.7, "recall", 0.75, "pr_auc", 0.8,
                     "class", c3, "support", 30, "f1", 0.9, "recall", 1.0, "pr_auc", 0.95);
}

static void test_compare(void **state)
{
    (void)state;
    la_error err;
    json_t *before = cmp_doc("c", 0.25, 0.6, 0.5), *after = cmp_doc("c", 0.75, 0.7, 0.65), *out = NULL;
    assert_int_equal(mt_compare_json(before, "b.json", after, "now", &out, &err), 0);
    json_t *pc = json_object_get(out, "per_class");
    assert_int_equal(json_array_size(pc), 3);
    json_t *a = json_array_get(pc, 0);
    assert_string_equal(json_string_value(json_object_get(a, "class")), "a");
    assert_int_equal(json_integer_value(json_object_get(a, "support")), 10);
    assert_true(fabs(json_real_value(json_object_get(a, "f1_before")) - 0.25) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(a, "f1_after")) - 0.75) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(a, "f1_delta")) - 0.5) < 1e-12);
    assert_true(fabs(json_real_value(json_object_get(a, "pr_auc_after")) - 0.6) < 1e-12);
    json_t *bal = json_object_get(out, "balanced_accuracy");
    assert_true(fabs(json_real_value(json_object_get(bal, "delta")) - 0.1) < 1e-12);
    json_t *mf = json_object_get(out, "macro_f1");
    assert_true(fabs(json_real_value(json_object_get(mf, "after")) - 0.65) < 1e-12);
    assert_string_equal(json_string_value(json_object_get(out, "before")), "b.json");
    json_decref(out);
    json_decref(after);

    /* a class only in one of them: both named */
    after = cmp_doc("zebra", 0.75, 0.7, 0.65);
    assert_int_equal(mt_compare_json(before, "b.json", after, "now", &out, &err), LA_EUSAGE);
    assert_null(out);
    assert_string_equal(err.file, "b.json");
    assert_non_null(strstr(err.msg, "only here: 'c'"));
    assert_non_null(strstr(err.msg, "only in now: 'zebra'"));
    json_decref(after);

    /* same classes, another order */
    after = cmp_doc("c", 0.75, 0.7, 0.65);
    json_t *pcs = json_object_get(after, "per_class");
    json_t *first = json_incref(json_array_get(pcs, 0));
    json_array_remove(pcs, 0);
    json_array_append_new(pcs, first);
    assert_int_equal(mt_compare_json(before, "b.json", after, "now", &out, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "different order"));
    json_decref(after);

    /* a missing field, and something that is not a metrics document */
    after = cmp_doc("c", 0.75, 0.7, 0.65);
    json_object_del(json_array_get(json_object_get(after, "per_class"), 1), "pr_auc");
    assert_int_equal(mt_compare_json(before, "b.json", after, "now", &out, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "per_class[1] has no finite number 'pr_auc'"));
    json_decref(after);
    after = json_array();
    assert_int_equal(mt_compare_json(before, "b.json", after, "now", &out, &err), LA_EUSAGE);
    assert_string_equal(err.file, "now");
    json_decref(after);
    json_decref(before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_all_metrics),
        cmocka_unit_test(test_average_precision_ties),
        cmocka_unit_test(test_f32_matches_f64),
        cmocka_unit_test(test_absent_class),
        cmocka_unit_test(test_log_loss_clipping),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_pr_curve_and_pick),
        cmocka_unit_test(test_json_schema_and_folds),
        cmocka_unit_test(test_average_precision_bruteforce),
        cmocka_unit_test(test_f32_curve_and_folds),
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
