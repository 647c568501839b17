/* test_serve_next.c — cmocka tests for report/serve_next.c: the ActiveLab
 * scores of a several-reviewer session against cleanlab 2.9.0's
 * get_active_learning_scores(labels, pred_probs, pred_probs_unlabeled) in its
 * three cases (no label yet, one label per labelled example, CROWDLAB), and
 * the per-reviewer work order (rows still to answer by score, then one's
 * skips, then the rest). The expected values were printed by cleanlab 2.9.0
 * (numpy 1.26) for these inputs: rows with labels first as `labels`, the
 * rows without as `pred_probs_unlabeled`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/consensus.h"
#include "report/serve_next.h"

#define X CS_MISSING
#define TOL 1e-9

/* 10 x 3 probabilities (numpy default_rng(7).dirichlet([2, 1, 1], 10)) */
static const double P[30] = {
    0.53266321864533717, 0.18153394099560075, 0.28580284035906212, 0.28901351836168154, 0.0024600113500347679,
    0.70852647028828364, 0.5650621629020981, 0.27582980959198627, 0.15910802750591574, 0.46168643440946272,
    0.48155870474403945, 0.056754860846497862, 0.10678365552088182, 0.72383751122663997, 0.16937883325247813,
    0.91089771375035733, 0.049502318324616226, 0.039599967925026382, 0.34976352367142749, 0.53456868535182178,
    0.11566779097675074, 0.76808510982937239, 0.22254490805671612, 0.0093699821139115024, 0.25511230607690516,
    0.23275780563189438, 0.51212988829120032, 0.7283856974582712, 0.11221186416043469, 0.15940243838129411};

static void check_scores(const int32_t *labels, size_t m, const double *want, const char *what)
{
    double s[10];
    la_error err;
    la_error_clear(&err);
    assert_int_equal(srv_next_activelab(labels, 10, m, P, 3, s, &err), 0);
    double worst = 0;
    for (int i = 0; i < 10; i++) worst = fmax(worst, fabs(s[i] - want[i]));
    printf("%s %s: max |diff| %.3g over 10 scores\n", worst <= TOL ? "OK" : "NOT OK", what, worst);
    assert_true(worst <= TOL);
}

static void test_activelab_crowdlab(void **state)
{
    (void)state;
    const int32_t L[30] = {0, 0, X,  1, X, 1,  2, 0, X,  X, 1, 1,  0, X, X,  1, 2, 0,
                           X, X, X,  X, X, X,  X, X, X,  X, X, X};
    const double want[10] = {0.37621719532937897, 0.47541506217656754, 0.38354832393941179, 0.38278192205837031,
                             0.42056852927154736, 0.49463646081832402, 0.38143287156558642, 0.46839059044972869,
                             0.3709487696565808, 0.42134390231469232};
    check_scores(L, 3, want, "CROWDLAB, 6 labelled + 4 unlabeled");
}

static void test_activelab_single(void **state)
{
    (void)state;
    const int32_t L[20] = {0, X,  X, 1,  2, X,  X, 1,  X, X,  X, X,  X, X,  X, X,  X, X,  X, X};
    const double want[10] = {0.46621992354133585, 0.11275111867780095, 0.21718312944838827, 0.43215024760713744,
                             0.52858542227998673, 0.62211552354184529, 0.43395100934257758, 0.55070922158135294,
                             0.42273161081226684, 0.53085951539580234};
    check_scores(L, 2, want, "one label each, 4 labelled + 6 unlabeled");
}

static void test_activelab_none(void **state)
{
    (void)state;
    int32_t L[10];
    for (int i = 0; i < 10; i++) L[i] = X;
    const double want[10] = {0.43299827598933527, 0.52092990181080856, 0.44919774811771573, 0.40744601903868638,
                             0.52858542227998673, 0.62211552354184529, 0.43395100934257758, 0.55070922158135294,
                             0.42273161081226684, 0.53085951539580234};
    check_scores(L, 1, want, "no label yet");
}

/* Without scores: rows to answer in rank order, then one's skips, then the rest. */
static void test_work_order(void **state)
{
    (void)state;
    static char pend[] = "pending", keep[] = "keep", skip[] = "skip";
    db_item it[5];
    memset(it, 0, sizeof it);
    char *st[5] = {keep, pend, skip, pend, pend};
    int64_t answers[5] = {1, 2, 0, 1, 0};           /* row 1: done (R = 2) */
    for (int i = 0; i < 5; i++) {
        it[i].queue_id = 10 + i;
        it[i].rank = 5 - i;
        it[i].row = i;
        it[i].status = st[i];
    }
    db_review_view v = {{5, it}, answers};
    size_t *order = NULL, todo = 0;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(srv_next_order(NULL, &v, 2, &order, &todo, &err), 0);
    assert_int_equal(todo, 2);
    const size_t want[5] = {4, 3, 2, 1, 0};         /* to do by rank (1, 2), the skip, then done / answered by rank */
    for (int i = 0; i < 5; i++) assert_int_equal(order[i], want[i]);
    free(order);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activelab_crowdlab),
        cmocka_unit_test(test_activelab_single),
        cmocka_unit_test(test_activelab_none),
        cmocka_unit_test(test_work_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
