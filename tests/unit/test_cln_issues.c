/* test_cln_issues.c — cmocka tests for clean/cln_issues.c and
 * cln_plan_drop_issues: the --drop-issues word list, duplicate groups
 * (chains merge, the lowest row is kept, a reviewer's drop moves the keeper,
 * a reviewer's keep protects), conflicts dropped whole, outliers and image
 * defects, leaked test examples listed once, the kinds not asked for left
 * alone, rows outside the dataset refused, and the plan: issue drops after
 * the label policy, an automatic relabel giving way, counts; pair answers
 * (cln_issue_select_pairs): keep_both splits a group, drop / keep choose
 * the member, leaks dropped or kept, kinds not asked for ignored, reviewer
 * decisions winning, bad pairs refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "clean/clean.h"
#include "clean/cln_issues.h"

/* The automatic policy and its thresholds (cln_auto_opts), for cln_plan_make. */
#define AUTO(policy, min_quality, below, above) (&(cln_auto_opts){(policy), (min_quality), (below), (above)})

static void test_parse(void **state)
{
    (void)state;
    unsigned m;
    const char *bad = NULL;
    size_t len = 0;
    assert_int_equal(cln_issue_types_parse("near_duplicate,leakage", &m, &bad, &len), 0);
    assert_int_equal(m, (1u << CLN_ISS_NEAR_DUPLICATE) | (1u << CLN_ISS_LEAKAGE));
    assert_int_equal(cln_issue_types_parse("all", &m, &bad, &len), 0);
    assert_int_equal(m, (1u << CLN_ISS_COUNT) - 1);
    assert_int_equal(cln_issue_types_parse("outlier,dupes", &m, &bad, &len), -1);
    assert_int_equal(len, 5);
    assert_memory_equal(bad, "dupes", 5);
    assert_int_equal(cln_issue_types_parse("", &m, &bad, &len), -1);
    assert_int_equal(cln_issue_kind_of("blurry"), CLN_ISS_IMAGE);
    assert_int_equal(cln_issue_kind_of("label"), -1);
    assert_int_equal(cln_issue_kind_of("label_conflict"), CLN_ISS_LABEL_CONFLICT);
}

/* 10 rows: 1-4-7 chained near duplicates, 2 = 8 exact, 3 <> 9 conflict,
 * 5 outlier, 6 dark, 0 leaked twice into test 11 and once into test 12. */
static const cln_issue g_rows[] = {
    {3, 9, 0, "label_conflict", 0}, {9, 3, 0, "label_conflict", 0},
    {3, 9, 0, "exact_duplicate", 0}, {9, 3, 0, "exact_duplicate", 0},
    {2, 8, 0, "exact_duplicate", 0}, {8, 2, 0, "exact_duplicate", 0},
    {0, 11, 1, "leakage", 0}, {0, 12, 1, "leakage", 0.2}, {0, 11, 1, "leakage", 0},
    {4, 1, 0, "near_duplicate", 0.01}, {7, 4, 0, "near_duplicate", 0.02}, {1, 4, 0, "near_duplicate", 0.01},
    {5, -1, 0, "outlier", 0.1}, {6, -1, 0, "dark", 0.05},
};
#define N_ROWS (sizeof g_rows / sizeof *g_rows)

static void run(unsigned mask, const uint8_t *decided, const char **why, cln_leak **leaks, size_t *nl)
{
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cln_issue_select(g_rows, N_ROWS, mask, 10, decided, why, leaks, nl, &err), 0);
}

static void test_duplicates(void **state)
{
    (void)state;
    const char *why[10];
    cln_leak *leaks;
    size_t nl;
    run(1u << CLN_ISS_NEAR_DUPLICATE, NULL, why, &leaks, &nl);
    assert_null(why[1]);                                   /* the chain's lowest row stays */
    assert_string_equal(why[4], "issue:near_duplicate");
    assert_string_equal(why[7], "issue:near_duplicate");
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7) assert_null(why[i]);          /* nothing else asked for */
    assert_null(leaks);
    assert_int_equal(nl, 0);
    /* a reviewer dropped 1: 4 becomes the keeper; a reviewer kept 7: stays */
    uint8_t dec[10] = {0};
    dec[1] = CLN_DECIDED_DROP;
    dec[7] = CLN_DECIDED_KEEP;
    run(1u << CLN_ISS_NEAR_DUPLICATE, dec, why, &leaks, &nl);
    assert_null(why[1]);                                   /* the reviewer's drop, not ours */
    assert_null(why[4]);
    assert_null(why[7]);
    run(1u << CLN_ISS_EXACT_DUPLICATE, NULL, why, &leaks, &nl);
    assert_null(why[2]);
    assert_string_equal(why[8], "issue:exact_duplicate");
    assert_null(why[3]);
    assert_string_equal(why[9], "issue:exact_duplicate");
}

static void test_conflicts_and_defects(void **state)
{
    (void)state;
    const char *why[10];
    cln_leak *leaks;
    size_t nl;
    unsigned m = (1u << CLN_ISS_LABEL_CONFLICT) | (1u << CLN_ISS_EXACT_DUPLICATE) | (1u << CLN_ISS_OUTLIER) |
                 (1u << CLN_ISS_IMAGE);
    run(m, NULL, why, &leaks, &nl);
    assert_string_equal(why[3], "issue:label_conflict");    /* both members, not one kept */
    assert_string_equal(why[9], "issue:label_conflict");
    assert_string_equal(why[8], "issue:exact_duplicate");
    assert_null(why[2]);
    assert_string_equal(why[5], "issue:outlier");
    assert_string_equal(why[6], "issue:image");
    assert_null(why[0]);                                    /* leakage drops no training row */
    uint8_t dec[10] = {0};
    dec[9] = CLN_DECIDED_KEEP;                              /* a reviewer kept one member */
    run(m, dec, why, &leaks, &nl);
    assert_string_equal(why[3], "issue:label_conflict");
    assert_null(why[9]);
}

static void test_leaks(void **state)
{
    (void)state;
    const char *why[10];
    cln_leak *leaks;
    size_t nl;
    run(1u << CLN_ISS_LEAKAGE, NULL, why, &leaks, &nl);
    assert_int_equal(nl, 2);                                /* test 11 once, test 12 */
    assert_int_equal(leaks[0].test, 11);
    assert_int_equal(leaks[0].train, 0);
    assert_int_equal(leaks[1].test, 12);
    assert_null(leaks[0].test_id);
    for (int i = 0; i < 10; i++) assert_null(why[i]);
    free(leaks);
}

static void test_bad_row(void **state)
{
    (void)state;
    const char *why[4];
    cln_leak *leaks;
    size_t nl;
    la_error err;
    la_error_clear(&err);
    cln_issue bad[] = {{1, -1, 0, "outlier", 0}, {4, -1, 0, "outlier", 0}};
    assert_int_equal(cln_issue_select(bad, 2, 1u << CLN_ISS_OUTLIER, 4, NULL, why, &leaks, &nl, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "row 4 outside"));
    assert_null(leaks);
}

static void run_pairs(unsigned mask, const uint8_t *decided, const cln_pair *p, size_t np, const char **why,
                      cln_leak **leaks, size_t *nl)
{
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cln_issue_select_pairs(g_rows, N_ROWS, mask, 10, decided, p, np, why, leaks, nl, &err), 0);
}

static void test_pairs_duplicates(void **state)
{
    (void)state;
    const char *why[10];
    cln_leak *leaks;
    size_t nl;
    unsigned near = 1u << CLN_ISS_NEAR_DUPLICATE, exact = 1u << CLN_ISS_EXACT_DUPLICATE;
    /* 4 and 1 are not duplicates: the chain splits, {4, 7} keeps 4 */
    cln_pair kb = {4, 1, 0, CLN_PAIR_KEEP_BOTH};
    run_pairs(near, NULL, &kb, 1, why, &leaks, &nl);
    assert_null(why[1]);
    assert_null(why[4]);
    assert_string_equal(why[7], "issue:near_duplicate");
    /* drop 7, keep 4: 4 is kept although the group {1, 4} keeps 1 */
    cln_pair dr = {7, 4, 0, CLN_PAIR_DROP};
    run_pairs(near, NULL, &dr, 1, why, &leaks, &nl);
    assert_string_equal(why[7], "pair:drop");
    assert_null(why[4]);
    assert_null(why[1]);
    /* keep 8, drop 2: the automatic rule would have dropped 8 */
    cln_pair kp = {8, 2, 0, CLN_PAIR_KEEP};
    run_pairs(exact, NULL, &kp, 1, why, &leaks, &nl);
    assert_string_equal(why[2], "pair:keep");
    assert_null(why[8]);
    /* the same answer when exact duplicates are not asked for: nothing */
    run_pairs(near, NULL, &kp, 1, why, &leaks, &nl);
    assert_null(why[2]);
    assert_null(why[8]);
    /* a reviewer kept 7: the pair's drop gives way */
    uint8_t dec[10] = {0};
    dec[7] = CLN_DECIDED_KEEP;
    run_pairs(near, dec, &dr, 1, why, &leaks, &nl);
    assert_null(why[7]);
    /* 3 and 9 not duplicates: neither the conflict nor the copy drops them */
    cln_pair c = {3, 9, 0, CLN_PAIR_KEEP_BOTH};
    run_pairs((1u << CLN_ISS_LABEL_CONFLICT) | exact, NULL, &c, 1, why, &leaks, &nl);
    assert_null(why[3]);
    assert_null(why[9]);
    assert_string_equal(why[8], "issue:exact_duplicate");
}

static void test_pairs_leaks(void **state)
{
    (void)state;
    const char *why[10];
    cln_leak *leaks;
    size_t nl;
    unsigned m = 1u << CLN_ISS_LEAKAGE;
    cln_pair p[2] = {{0, 11, 1, CLN_PAIR_DROP}, {0, 12, 1, CLN_PAIR_KEEP}};
    run_pairs(m, NULL, p, 2, why, &leaks, &nl);
    assert_string_equal(why[0], "pair:drop");              /* the training copy goes */
    assert_int_equal(nl, 1);                                /* test 11 stays, 12 is dropped */
    assert_int_equal(leaks[0].test, 12);
    free(leaks);
    p[0].choice = CLN_PAIR_KEEP_BOTH;
    run_pairs(m, NULL, p, 1, why, &leaks, &nl);
    assert_null(why[0]);
    assert_int_equal(nl, 1);
    assert_int_equal(leaks[0].test, 12);
    free(leaks);
    la_error err;
    la_error_clear(&err);
    cln_pair bad = {10, 1, 0, CLN_PAIR_DROP};
    assert_int_equal(cln_issue_select_pairs(g_rows, N_ROWS, m, 10, NULL, &bad, 1, why, &leaks, &nl, &err), LA_EUSAGE);
    assert_int_equal(cln_pair_choice_of("keep_both"), CLN_PAIR_KEEP_BOTH);
    assert_int_equal(cln_pair_choice_of("both"), -1);
}

static void test_plan(void **state)
{
    (void)state;
    int32_t given[5] = {0, 1, 0, 1, 0};
    cln_decision d[] = {{1, "pending", -1, 0, 0.1, NULL, NAN}, {2, "pending", -1, 1, 0.1, NULL, NAN}};
    cln_plan p;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cln_plan_make(given, 5, d, 2, AUTO(CLN_AUTO_RELABEL, NAN, NAN, NAN), &p, &err), 0);
    assert_int_equal(p.n_relabeled, 2);
    const char *why[5] = {NULL, "issue:near_duplicate", NULL, NULL, "issue:outlier"};
    assert_int_equal(cln_plan_drop_issues(&p, why, &err), 0);
    assert_int_equal(p.label[1], CLN_DROPPED);              /* the relabel gave way */
    assert_string_equal(p.why[1], "issue:near_duplicate");
    assert_int_equal(p.label[2], 1);                        /* relabel untouched */
    assert_int_equal(p.label[4], CLN_DROPPED);
    assert_int_equal(p.n_relabeled, 1);
    assert_int_equal(p.n_dropped, 2);
    assert_int_equal(p.n_issue_dropped, 2);
    assert_int_equal(p.n_automatic, 3);
    cln_plan_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_conflicts_and_defects),
        cmocka_unit_test(test_leaks),
        cmocka_unit_test(test_bad_row),
        cmocka_unit_test(test_plan),
        cmocka_unit_test(test_pairs_duplicates),
        cmocka_unit_test(test_pairs_leaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
