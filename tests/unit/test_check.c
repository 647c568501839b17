/*
 * test_check.c — cmocka tests for audit/check: summary parsing (strict keys),
 * the MOVER change interval against hand-computed values, confidence
 * rescaling, class-list comparison, the verdict rules of every limit, and the
 * XML / GitHub escapers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/check.h"

static const char SUMMARY[] =
    "{\"labelaudit_version\":\"0.1.0\",\"n\":1000,\"k\":3,\"classes\":[\"a\",\"b\",\"c\"],"
    "\"counts\":[400,400,200],\"num_flagged\":120,\"num_label_issues\":100,"
    "\"error_rate\":0.10,\"error_rate_ci\":[0.08,0.12],"
    "\"class_error_rate\":[0.05,0.10,0.20],\"class_error_rate_ci\":[[0.03,0.07],[0.08,0.12],[0.15,0.25]],"
    "\"health_score\":0.9,\"confidence\":0.95}";

/* Runs fn on a memory stream and returns the text (caller frees). */
static char *capture_escape(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    fn(fp, s);
    fclose(fp);
    return buf;
}

static void test_parse_summary(void **state)
{
    (void)state;
    ck_summary s;
    la_error err;
    assert_int_equal(ck_summary_from_text(SUMMARY, "s.json", &s, &err), 0);
    assert_int_equal(s.n, 1000);
    assert_int_equal(s.k, 3);
    assert_string_equal(s.classes[2], "c");
    assert_int_equal(s.counts[1], 400);
    assert_float_equal(s.error_lo, 0.08, 0);
    assert_float_equal(s.class_hi[2], 0.25, 0);
    assert_int_equal(s.has_ci, 1);
    assert_int_equal(s.num_label_issues, 100);
    assert_string_equal(s.version, "0.1.0");
    ck_summary_free(&s);
}

static void test_parse_errors(void **state)
{
    (void)state;
    ck_summary s;
    la_error err;
    /* each mutation must be refused, naming the key */
    static const struct { const char *from, *to, *key; } cases[] = {
        {"\"error_rate\":0.10,", "", "error_rate"},
        {"\"health_score\":0.9", "\"health_score\":\"x\"", "health_score"},
        {"\"class_error_rate\":[0.05,0.10,0.20]", "\"class_error_rate\":[0.05,0.10]", "class_error_rate"},
        {"\"error_rate_ci\":[0.08,0.12]", "\"error_rate_ci\":[0.12,0.08]", "error_rate_ci"},
        {"\"classes\":[\"a\",\"b\",\"c\"]", "\"classes\":[\"a\",\"b\"]", "classes"},
        {"\"error_rate\":0.10", "\"error_rate\":1.5", "error_rate"},
        {"\"k\":3", "\"k\":0", "k"},
        {"\"confidence\":0.95", "\"confidence\":1", "confidence"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[2048];
        const char *at = strstr(SUMMARY, cases[i].from);
        assert_non_null(at);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - SUMMARY), SUMMARY, cases[i].to,
                 at + strlen(cases[i].from));
        assert_int_equal(ck_summary_from_text(buf, "s.json", &s, &err), LA_EUSAGE);
        assert_string_equal(err.column, cases[i].key);
        assert_string_equal(err.file, "s.json");
        assert_null(s.classes);
    }
    assert_int_equal(ck_summary_from_text("{\"n\":", "t.json", &s, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not valid JSON"));
    assert_int_equal(ck_summary_from_text("[1]", "t.json", &s, &err), LA_EUSAGE);
    assert_int_equal(ck_summary_load("/nonexistent/summary.json", &s, &err), LA_EUSAGE);
}

/* Wilson intervals against published values (Newcombe 1998, Table I:
 * 81/263 -> [0.2553, 0.3662]; 15/148 -> [0.0624, 0.1605]) and the edges. */
static void test_wilson(void **state)
{
    (void)state;
    double lo, hi, z = ck_z(0.95);
    ck_wilson(81, 263, z, &lo, &hi);
    assert_true(fabs(lo - 0.2553) < 5e-5 && fabs(hi - 0.3662) < 5e-5);
    ck_wilson(15, 148, z, &lo, &hi);
    assert_true(fabs(lo - 0.0624) < 5e-5 && fabs(hi - 0.1605) < 5e-5);
    ck_wilson(0, 10, z, &lo, &hi);                      /* 0 successes: lo = 0, hi > 0 */
    assert_true(lo == 0.0 && fabs(hi - 0.2775) < 5e-5);
    ck_wilson(10, 10, z, &lo, &hi);
    assert_true(fabs(lo - 0.7225) < 5e-5 && hi == 1.0);
    ck_wilson(0, 0, z, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
}

static void test_z_and_rescale(void **state)
{
    (void)state;
    assert_float_equal(ck_z(0.95), 1.959963984540054, 1e-9);
    assert_float_equal(ck_z(0.99), 2.5758293035489004, 1e-9);
    assert_float_equal(ck_z(0.6826894921370859), 1.0, 1e-9);
    ck_summary s;
    la_error err;
    assert_int_equal(ck_summary_from_text(SUMMARY, "s", &s, &err), 0);
    /* 0.95 -> 0.99: half-width 0.02 * 2.5758/1.96 = 0.026285 */
    ck_summary_set_confidence(&s, 0.99);
    double hw = 0.02 * 2.5758293035489004 / 1.959963984540054;
    assert_float_equal(s.error_lo, 0.10 - hw, 1e-9);
    assert_float_equal(s.error_hi, 0.10 + hw, 1e-9);
    assert_float_equal(s.confidence, 0.99, 0);
    /* clamped at 0: class a [0.03, 0.07] around 0.05 grows but stays >= 0 */
    ck_summary_set_confidence(&s, 0.9999);
    assert_true(s.class_lo[0] >= 0.0);
    ck_summary_free(&s);
}

/* MOVER by hand: e1 = .16 [.14, .18], e0 = .10 [.085, .116]
 * d = .06; L = .06 - sqrt(.02^2 + .016^2) = .06 - .025612497
 *          U = .06 + sqrt(.02^2 + .015^2) = .06 + .025 */
static void test_diff_interval(void **state)
{
    (void)state;
    double d, lo, hi;
    ck_diff_interval(0.16, 0.14, 0.18, 0.10, 0.085, 0.116, &d, &lo, &hi);
    assert_float_equal(d, 0.06, 1e-12);
    assert_float_equal(lo, 0.06 - sqrt(0.0004 + 0.000256), 1e-12);
    assert_float_equal(hi, 0.085, 1e-12);
    /* symmetric intervals of equal width w: d -/+ w sqrt 2 */
    ck_diff_interval(0.2, 0.17, 0.23, 0.1, 0.07, 0.13, &d, &lo, &hi);
    assert_float_equal(lo, 0.1 - 0.03 * sqrt(2.0), 1e-12);
    assert_float_equal(hi, 0.1 + 0.03 * sqrt(2.0), 1e-12);
    /* an interval lying on one side of its estimate counts 0, never negative */
    ck_diff_interval(0.2, 0.21, 0.25, 0.1, 0.1, 0.1, &d, &lo, &hi);
    assert_float_equal(lo, 0.1, 1e-12);
}

static void test_compare_classes(void **state)
{
    (void)state;
    ck_summary a, b;
    la_error err;
    assert_int_equal(ck_summary_from_text(SUMMARY, "cur", &a, &err), 0);
    char other[2048];
    snprintf(other, sizeof other, "%s", SUMMARY);
    char *p = strstr(other, "[\"a\",\"b\",\"c\"]");
    memcpy(p, "[\"c\",\"a\",\"b\"]", 13);          /* same set, other order: fine */
    assert_int_equal(ck_summary_from_text(other, "base", &b, &err), 0);
    assert_int_equal(ck_compare_classes(&a, &b, &err), 0);
    ck_summary_free(&b);
    memcpy(p, "[\"x\",\"a\",\"y\"]", 13);
    assert_int_equal(ck_summary_from_text(other, "base", &b, &err), 0);
    assert_int_equal(ck_compare_classes(&a, &b, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "only in current (2): 'b', 'c'"));
    assert_non_null(strstr(err.msg, "only in baseline (2): 'x', 'y'"));
    ck_summary_free(&a);
    ck_summary_free(&b);
}

static void test_verdict(void **state)
{
    (void)state;
    ck_summary cur, base;
    la_error err;
    assert_int_equal(ck_summary_from_text(SUMMARY, "base", &base, &err), 0);
    assert_int_equal(ck_summary_from_text(SUMMARY, "cur", &cur, &err), 0);
    ck_limits lim;
    ck_limits_init(&lim);
    ck_verdict v;
    /* no limits: nothing to judge, still a change of 0 */
    assert_int_equal(ck_evaluate(&cur, &base, &lim, &v, &err), 0);
    assert_int_equal(v.ncases, 0);
    assert_float_equal(v.d, 0, 0);
    ck_verdict_free(&v);

    cur.error_rate = 0.16; cur.error_lo = 0.14; cur.error_hi = 0.18;
    cur.class_rate[2] = 0.30; cur.class_lo[2] = 0.26; cur.class_hi[2] = 0.34;
    lim.max_error_rate = 0.15;
    lim.max_increase = 0.05;
    lim.max_class_error_rate = 0.25;
    lim.min_health = 0.95;
    assert_int_equal(ck_evaluate(&cur, &base, &lim, &v, &err), 0);
    assert_int_equal(v.ncases, 6);           /* 1 + 1 + 3 classes + 1 */
    assert_string_equal(v.cases[0].name, "max-error-rate");
    assert_int_equal(v.cases[0].status, CK_FAIL);
    assert_float_equal(v.cases[0].excess, 0.01, 1e-12);
    assert_string_equal(v.cases[1].name, "max-increase");
    /* d = .06 > .05; L = .06 - sqrt(.02^2+.02^2) = .0317 > 0: fails by .01 */
    assert_int_equal(v.cases[1].status, CK_FAIL);
    assert_float_equal(v.cases[1].excess, 0.01, 1e-12);
    assert_non_null(strstr(v.cases[1].msg, "rose most in: c +0.1000"));
    assert_string_equal(v.cases[4].name, "max-class-error-rate[c]");
    assert_int_equal(v.cases[4].status, CK_FAIL);
    assert_int_equal(v.cases[4].cls, 2);
    assert_int_equal(v.cases[2].status, CK_PASS);
    assert_string_equal(v.cases[5].name, "min-health");
    assert_int_equal(v.cases[5].status, CK_FAIL);
    assert_float_equal(v.cases[5].excess, 0.05, 1e-12);
    assert_int_equal(v.nfailed, 4);
    assert_int_equal(v.class_change[2].real_rise, 1);
    assert_int_equal(v.class_change[0].real_rise, 0);
    ck_verdict_free(&v);

    /* a rise above D whose interval includes 0 is noise: passes */
    cur.error_lo = 0.05; cur.error_hi = 0.27;
    assert_int_equal(ck_evaluate(&cur, &base, &lim, &v, &err), 0);
    assert_int_equal(v.cases[1].status, CK_PASS);
    assert_non_null(strstr(v.cases[1].msg, "includes no rise"));
    ck_verdict_free(&v);

    /* no baseline: max-increase is not a case */
    assert_int_equal(ck_evaluate(&cur, NULL, &lim, &v, &err), 0);
    assert_int_equal(v.ncases, 5);
    assert_null(v.class_change);
    json_t *j = ck_to_json(&cur, NULL, &v);
    assert_non_null(j);
    assert_true(json_is_null(json_object_get(j, "baseline")));
    assert_string_equal(json_string_value(json_object_get(j, "status")), "fail");
    json_decref(j);
    ck_verdict_free(&v);

    /* the stage refuses a relative limit it cannot judge (exit 2, not PASS) */
    la_error_clear(&err);
    assert_int_equal(ck_judge(&cur, NULL, &lim, NAN, &v, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "--max-increase needs a baseline"));
    assert_int_equal(v.ncases, 0);
    ck_verdict_free(&v);

    /* --min-reviewed-precision: refused without counts or with too few, then
     * judged on the Wilson upper bound (37 / 40: [0.8014, 0.9742]) */
    ck_limits rl;
    ck_limits_init(&rl);
    assert_int_equal(rl.min_reviewed, CK_MIN_REVIEWED);
    rl.min_reviewed_precision = 0.5;
    la_error_clear(&err);
    assert_int_equal(ck_judge(&cur, NULL, &rl, NAN, &v, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "give --db"));
    ck_verdict_free(&v);
    cur.has_reviewed = 1;
    cur.reviewed = 19;
    cur.reviewed_error = 19;
    assert_int_equal(ck_judge(&cur, NULL, &rl, NAN, &v, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "at least 20 reviewed examples with a verdict, and there are 19"));
    ck_verdict_free(&v);
    cur.reviewed = 40;
    cur.reviewed_error = 37;
    double cases[][2] = {{0.5, CK_PASS}, {0.95, CK_PASS}, {0.975, CK_FAIL}};
    for (size_t i = 0; i < 3; i++) {
        rl.min_reviewed_precision = cases[i][0];
        assert_int_equal(ck_judge(&cur, NULL, &rl, 0.95, &v, &err), 0);
        assert_int_equal(v.ncases, 1);
        assert_string_equal(v.cases[0].name, "min-reviewed-precision");
        assert_true(fabs(v.cases[0].value - 0.925) < 1e-12);
        assert_true(fabs(v.cases[0].lo - 0.8014) < 5e-5 && fabs(v.cases[0].hi - 0.9742) < 5e-5);
        assert_int_equal(v.cases[0].status, (int)cases[i][1]);
        ck_verdict_free(&v);
    }
    ck_summary_free(&cur);
    ck_summary_free(&base);
}

static void test_escapers(void **state)
{
    (void)state;
    char *s = capture_escape(ck_xml_escape, "a<b>&\"c'\x01\n\xC3\xA9\xFF");
    assert_string_equal(s, "a&lt;b&gt;&amp;&quot;c&apos;\xEF\xBF\xBD&#10;\xC3\xA9\xEF\xBF\xBD");
    free(s);
    s = capture_escape(ck_gh_escape_data, "50% a:b,c\r\nd");
    assert_string_equal(s, "50%25 a:b,c%0D%0Ad");
    free(s);
    s = capture_escape(ck_gh_escape_property, "50% a:b,c\r\nd");
    assert_string_equal(s, "50%25 a%3Ab%2Cc%0D%0Ad");
    free(s);
}

/* JUnit: one testcase per case; a failure element only on failing ones. */
static void test_junit_shape(void **state)
{
    (void)state;
    ck_summary cur;
    la_error err;
    assert_int_equal(ck_summary_from_text(SUMMARY, "c<ur>", &cur, &err), 0);
    ck_limits lim;
    ck_limits_init(&lim);
    lim.max_class_error_rate = 0.1;
    ck_verdict v;
    assert_int_equal(ck_evaluate(&cur, NULL, &lim, &v, &err), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    ck_write_junit(fp, &cur, NULL, &v);
    fclose(fp);
    assert_non_null(strstr(buf, "tests=\"3\" failures=\"1\""));
    assert_non_null(strstr(buf, "value=\"c&lt;ur&gt;\""));
    size_t ntc = 0, nfail = 0;
    for (char *p = buf; (p = strstr(p, "<testcase ")); p++) ntc++;
    for (char *p = buf; (p = strstr(p, "<failure ")); p++) nfail++;
    assert_int_equal(ntc, 3);
    assert_int_equal(nfail, 1);
    free(buf);
    ck_verdict_free(&v);
    ck_summary_free(&cur);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_summary),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_z_and_rescale),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_diff_interval),
        cmocka_unit_test(test_compare_classes),
        cmocka_unit_test(test_verdict),
        cmocka_unit_test(test_escapers),
        cmocka_unit_test(test_junit_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
