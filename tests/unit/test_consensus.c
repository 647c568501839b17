/* test_consensus.c — cmocka tests for audit/consensus.c, cs_dawid_skene.c,
 * cs_input.c and cs_write.c: majority vote and each of its tiebreaks,
 * validation, the `agreement` method's value_counts quirk, CROWDLAB's
 * posterior invariants, temperature scaling, Dawid-Skene on annotators with
 * known confusions, the wide and long readers (and their refusals), and the
 * stage's output directory read back by cs_read_consensus. Golden parity
 * with cleanlab runs through the binary (tests/e2e/test_consensus.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/consensus.h"
#include "audit/cs_io.h"
#include "io/labels.h"

#define X CS_MISSING

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/la-test-consensus.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_majority_vote_tiebreaks(void **state)
{
    (void)state;
    /* rows: clear majority; tie broken by the model; tie the model cannot
     * break (equal probabilities) broken by the rarer class overall */
    const int32_t L[] = {1, 1, 0,
                         0, 2, X,
                         0, 1, X,
                         1, 1, 1,
                         1, 1, X};
    const double P[] = {0.2, 0.5, 0.3,
                        0.1, 0.2, 0.7,
                        0.4, 0.4, 0.2,
                        0.1, 0.8, 0.1,
                        0.1, 0.8, 0.1};
    int32_t lab[5];
    size_t nrand = 9;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_majority_vote(L, 5, 3, P, 3, lab, &nrand, &err), 0);
    assert_int_equal(lab[0], 1);
    assert_int_equal(lab[1], 2);   /* model: 0.7 for class 2 */
    assert_int_equal(lab[2], 0);   /* class 0 chosen 2 times overall, class 1 seven */
    assert_int_equal(lab[3], 1);
    assert_int_equal(nrand, 0);
}

static void test_majority_vote_annotator_tiebreak(void **state)
{
    (void)state;
    /* row 2 ties 0 vs 1 with equal probabilities and equal class totals:
     * annotator 0 agrees with the untied majority, annotator 1 never does */
    const int32_t L[] = {0, 1,
                         1, 0,
                         0, 1,
                         0, X,
                         1, X};
    const double P[] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    int32_t lab[5];
    size_t nrand = 0;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_majority_vote(L, 5, 2, P, 2, lab, &nrand, &err), 0);
    /* untied: rows 3, 4 (single labels, annotator 0 agrees): annotator 1 has no
     * untied row and gets the mean (1.0); all three tied rows stay tied -> lowest */
    assert_int_equal(lab[3], 0);
    assert_int_equal(lab[4], 1);
    assert_int_equal(nrand, 3);
    assert_int_equal(lab[0], 0);
}

static void test_validate(void **state)
{
    (void)state;
    la_error err;
    const int32_t empty_row[] = {0, 1, X, X, 1, 1};
    la_error_clear(&err);
    assert_int_equal(cs_validate(empty_row, 3, 2, 2, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "example 1"));
    const int32_t empty_col[] = {0, X, 1, X};
    assert_int_equal(cs_validate(empty_col, 2, 2, 2, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "annotator 1"));
    const int32_t single[] = {0, X, X, 1};
    assert_int_equal(cs_validate(single, 2, 2, 2, &err), LA_EUSAGE);
    const int32_t outside[] = {0, 5, 1, 1};
    assert_int_equal(cs_validate(outside, 2, 2, 2, &err), LA_EUSAGE);
    const int32_t good[] = {0, 0, 1, X};
    assert_int_equal(cs_validate(good, 2, 2, 2, &err), 0);
}

static void test_agreement_value_counts_quirk(void **state)
{
    (void)state;
    /* cleanlab's value_counts on float labels puts the counts of the classes
     * present on classes 0, 1, ...: a unanimous 2 becomes class 0 */
    const int32_t L[] = {2, 2, 1, 1, 0, 0, 0, 1};
    const double P[] = {0.1, 0.1, 0.8, 0.1, 0.8, 0.1, 0.8, 0.1, 0.1, 0.4, 0.4, 0.2};
    cs_opts o;
    cs_opts_init(&o);
    o.quality = CS_QUALITY_AGREEMENT;
    cs_result r;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_run(L, 4, 2, P, 3, &o, &r, &err), 0);
    assert_int_equal(r.consensus_label[0], 0);
    assert_int_equal(r.consensus_label[1], 0);
    assert_int_equal(r.consensus_label[2], 0);
    assert_true(fabs((double)(r.consensus_quality[0]) - (double)(0.0)) <= (0));
    assert_true(fabs((double)(r.agreement[2]) - (double)(1.0)) <= (0));
    cs_result_free(&r);
    o.consensus = CS_MAJORITY_VOTE;
    assert_int_equal(cs_run(L, 4, 2, P, 3, &o, &r, &err), 0);
    assert_int_equal(r.consensus_label[0], 2);
    assert_true(fabs((double)(r.consensus_quality[0]) - (double)(1.0)) <= (0));
    cs_result_free(&r);
}

static void test_crowdlab_invariants(void **state)
{
    (void)state;
    const int32_t L[] = {0, 0, 0,
                         1, 1, 0,
                         2, 2, X,
                         0, X, 1,
                         1, 1, 1,
                         2, X, 2};
    const double P[] = {0.7, 0.2, 0.1, 0.2, 0.6, 0.2, 0.1, 0.1, 0.8,
                        0.5, 0.4, 0.1, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4};
    cs_opts o;
    cs_opts_init(&o);
    cs_result r;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_run(L, 6, 3, P, 3, &o, &r, &err), 0);
    const int32_t want[] = {0, 1, 2, 0, 1, 2};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(r.consensus_label[i], want[i]);
        assert_true(r.consensus_quality[i] > 0 && r.consensus_quality[i] < 1);
        assert_true(r.active_learning[i] > 0 && r.active_learning[i] < 1);
    }
    assert_true(isnan(r.detailed[2 * 3 + 2]));
    assert_int_equal(r.num_annotations[3], 2);
    assert_int_equal(r.num_labeled[1], 4);
    /* annotator 2 disagrees most: it comes first */
    assert_int_equal(r.order[0], 2);
    for (size_t t = 1; t < 3; t++)
        assert_true(r.annotator_quality[r.order[t - 1]] <= r.annotator_quality[r.order[t]]);
    assert_true(r.model_weight > 0);
    cs_result_free(&r);
}

static void test_temperature(void **state)
{
    (void)state;
    const double P[] = {0.5, 0.25, 0.25, 0.0, 1.0, 0.0};
    double out[6];
    cs_temp_scale(P, 2, 3, 1.0, out);
    assert_true(fabs((double)(out[0]) - (double)(0.5)) <= (1e-15));
    assert_true(fabs((double)(out[1]) - (double)(0.25)) <= (1e-15));
    assert_true(out[3] > 0 && out[3] < 1e-29);
    cs_temp_scale(P, 2, 3, 2.0, out);   /* smoother: sqrt(0.5) : sqrt(0.25) */
    assert_true(fabs((double)(out[0] / out[1]) - (double)(sqrt(2.0))) <= (1e-12));
    const int32_t L[] = {0, 0, 1, 1};
    double t = cs_best_temperature(L, 2, 2, P, 3);
    assert_true(t >= 0.1 && t <= 8);
}

/* xorshift, for simulated annotators */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 17, *s ^= *s << 5;
    return *s;
}

static void test_dawid_skene_recovers_confusions(void **state)
{
    (void)state;
    enum { N = 600, M = 3, K = 3 };
    int32_t *L = malloc(N * M * sizeof *L), truth[N];
    double *P = malloc(N * K * sizeof *P), *post = malloc(N * K * sizeof *post), conf[M * K * K];
    uint32_t s = 12345;
    for (size_t i = 0; i < N; i++) {
        truth[i] = (int32_t)(rnd(&s) % K);
        for (size_t c = 0; c < K; c++) P[i * K + c] = c == (size_t)truth[i] ? 0.5 : 0.25;
        for (size_t j = 0; j < M; j++) {
            int32_t y = truth[i];
            /* annotator 2 always says 1 for class 0 (a systematic swap) */
            if (j == 2 && y == 0) y = 1;
            else if (rnd(&s) % 10 == 0) y = (y + 1) % K;
            L[i * M + j] = y;
        }
    }
    cs_opts o;
    cs_opts_init(&o);
    int it = cs_dawid_skene(L, N, M, P, K, &o, post, conf);
    assert_true(it > 0);
    size_t right = 0;
    for (size_t i = 0; i < N; i++) {
        size_t best = 0;
        for (size_t c = 1; c < K; c++)
            if (post[i * K + c] > post[i * K + best]) best = c;
        right += best == (size_t)truth[i];
    }
    assert_true(right > N * 97 / 100);
    /* annotator 2's confusion: true 0 -> says 1 */
    assert_true(conf[(2 * K + 0) * K + 1] > 0.9);
    assert_true(conf[(0 * K + 0) * K + 0] > 0.8);
    cs_result r;
    la_error err;
    la_error_clear(&err);
    o.consensus = CS_DAWID_SKENE;
    assert_int_equal(cs_run(L, N, M, P, K, &o, &r, &err), 0);
    assert_true(r.annotator_quality[2] < r.annotator_quality[0]);
    assert_int_equal(r.order[0], 2);
    assert_int_equal(r.worst_class[2], 0);   /* its few 0s are all noise on true 2s */
    cs_result_free(&r);
    free(L), free(P), free(post);
}

static void test_readers(void **state)
{
    (void)state;
    char wide[300], lng[300], dup[300], bad[300];
    snprintf(wide, sizeof wide, "%s/wide.csv", g_dir);
    snprintf(lng, sizeof lng, "%s/long.csv", g_dir);
    snprintf(dup, sizeof dup, "%s/dup.csv", g_dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", g_dir);
    write_file(wide, "id,ann_a,ann_b\nx,0,1.0\ny,,cat\nz,NaN,1\n");
    write_file(lng, "annotator,id,label\nann_a,x,0\nann_b,x,1\nann_b,y,0\nann_b,z,1\n");
    write_file(dup, "id,annotator,label\nx,a,0\nx,b,1\nx,a,1\n");
    write_file(bad, "a,b\n0,1\n,\n");
    char *names[] = {(char *)"cat", (char *)"dog"};
    cs_labels l;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_labels_load(wide, names, 2, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.m, 2);
    assert_string_equal(l.ids[1], "y");
    assert_string_equal(l.annotators[1], "ann_b");
    assert_int_equal(l.y[0 * 2 + 1], 1);
    assert_int_equal(l.y[1 * 2 + 0], X);
    assert_int_equal(l.y[1 * 2 + 1], 0);   /* "cat" */
    cs_labels_free(&l);
    assert_int_equal(cs_labels_load(lng, NULL, 2, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.annotators[0], "ann_a");
    assert_int_equal(l.y[2 * 2 + 0], X);
    assert_int_equal(l.y[2 * 2 + 1], 1);
    cs_labels_free(&l);
    assert_int_equal(cs_labels_load(dup, NULL, 2, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "first on line 2"));
    assert_int_equal(cs_labels_load(bad, NULL, 2, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(cs_labels_load(wide, NULL, 2, &l, &err), LA_EUSAGE);   /* "cat" without names */
    assert_int_equal(err.line, 3);
    assert_string_equal(err.column, "ann_b");
}

static void test_stage_roundtrip(void **state)
{
    (void)state;
    char wide[300], out[300], other[300];
    snprintf(wide, sizeof wide, "%s/w2.csv", g_dir);
    snprintf(out, sizeof out, "%s/out", g_dir);
    snprintf(other, sizeof other, "%s/other", g_dir);
    write_file(wide, "id,a,b,c\np,0,0,1\nq,1,1,1\nr,0,X1,\n");
    cs_labels l;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(cs_labels_load(wide, NULL, 2, &l, &err), LA_EUSAGE);   /* "X1" */
    write_file(wide, "id,a,b,c\np,0,0,1\nq,1,1,1\nr,0,,\n");
    assert_int_equal(cs_labels_load(wide, NULL, 2, &l, &err), 0);
    const double P[] = {0.8, 0.2, 0.3, 0.7, 0.6, 0.4};
    char *classes[] = {(char *)"neg", (char *)"pos"};
    cs_stage_in in = {.labels = &l, .pred_probs = P, .k = 2, .class_names = classes};
    cs_opts o;
    cs_opts_init(&o);
    cs_result r;
    assert_int_equal(cs_stage(&in, &o, out, &r, &err), 0);
    cs_result_free(&r);
    assert_int_equal(cs_stage(&in, &o, out, &r, &err), 0);       /* replaces its own output */
    cs_result_free(&r);
    write_file(other, "x");
    assert_int_equal(cs_stage(&in, &o, other, &r, &err), LA_EUSAGE);   /* not a consensus output */
    assert_int_equal(cs_stage(&in, &o, out, &r, &err), 0);
    char *json = cs_annotator_table_json(&r, &l, classes, "best_quality");
    assert_non_null(json);
    assert_non_null(strstr(json, "\"reviewer\":\"c\""));   /* c disagrees most: first */
    assert_true(strstr(json, "\"reviewer\":\"c\"") < strstr(json, "\"reviewer\":\"a\""));
    free(json);
    cs_result_free(&r);
    char **ids = NULL, **names = NULL;
    int32_t *lab = NULL;
    size_t n = 0, kn = 0;
    assert_int_equal(cs_read_consensus(out, &ids, &lab, &n, &names, &kn, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ids[2], "r");
    assert_int_equal(lab[0], 0);
    assert_int_equal(lab[1], 1);
    assert_int_equal(kn, 2);
    assert_string_equal(names[1], "pos");
    io_free_strings(ids, n);
    io_free_strings(names, kn);
    free(lab);
    cs_labels_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_majority_vote_tiebreaks),
        cmocka_unit_test(test_majority_vote_annotator_tiebreak),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_agreement_value_counts_quirk),
        cmocka_unit_test(test_crowdlab_invariants),
        cmocka_unit_test(test_temperature),
        cmocka_unit_test(test_dawid_skene_recovers_confusions),
        cmocka_unit_test(test_readers),
        cmocka_unit_test(test_stage_roundtrip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
