/*
 * test_au_multilabel.c — cmocka tests of the multi-label audit stage
 * (audit/au_multilabel.h): the EMA aggregate by hand, flags as the union of
 * the per-class binary audits (each checked against cl_run directly), the
 * ranking, the class table counts, the label readers (lists, names, ids,
 * indicator .npy) and their refusals, and the all-or-nothing writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "../../audit/au_multilabel.h"
#include "../../io/npy.h"

enum { N = 80, K = 3 };

/* Planted data: class c applies when (i + c) % 3 == 0 or i % 7 == c;
 * probabilities 0.85 / 0.1 with a small ramp; rows 4 and 9 have one class
 * flipped while the probability stays sure of the truth. */
static void planted(uint8_t *y, double *p)
{
    for (int i = 0; i < N; i++)
        for (int c = 0; c < K; c++) {
            int on = (i + c) % 3 == 0 || i % 7 == c;
            p[i * K + c] = on ? 0.85 + 0.001 * (i % 10) : 0.1 + 0.001 * (i % 10);
            y[i * K + c] = (uint8_t)on;
        }
    y[4 * K + 1] ^= 1;
    p[4 * K + 1] = y[4 * K + 1] ? 0.01 : 0.99;
    y[9 * K + 2] ^= 1;
    p[9 * K + 2] = y[9 * K + 2] ? 0.01 : 0.99;
}

/* cl_reader over an n x 2 double buffer in memory. */
static int test_aml_read(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    (void)nrows; (void)err;
    *out = (const double *)ctx + 2 * row0;
    return 0;
}

static void test_run(void **state)
{
    (void)state;
    uint8_t y[N * K];
    double p[N * K];
    planted(y, p);
    aml_opts o;
    aml_opts_init(&o);
    aml_result r;
    la_error err;
    assert_int_equal(aml_run(y, p, N, K, &o, &r, &err), 0);
    assert_true(r.is_issue[4] && r.is_issue[9]);
    assert_true(r.class_issue[4 * K + 1] && r.class_issue[9 * K + 2]);

    /* each class's column is exactly cl_run's binary audit */
    for (int c = 0; c < K; c++) {
        int32_t yb[N];
        double bin[2 * N];
        for (int i = 0; i < N; i++) {
            yb[i] = y[i * K + c];
            bin[2 * i] = 1 - p[i * K + c];
            bin[2 * i + 1] = p[i * K + c];
        }
        cl_opts co;
        cl_opts_init(&co);
        co.threads = 1;
        co.keep_rank_scores = 1;
        cl_result res;
        cl_reader rd;
        memset(&rd, 0, sizeof rd);
        rd.ctx = bin;
        rd.elem = 8;
        rd.chunk_rows = N;
        rd.read = test_aml_read;
        rd.path = "bin";
        assert_int_equal(cl_run(N, 2, yb, &rd, &co, &res, &err), 0);
        for (int i = 0; i < N; i++) {
            assert_int_equal(r.class_issue[i * K + c], (res.flags[i] & CL_F_ISSUE) != 0);
            assert_true(r.class_score[i * K + c] == res.quality[i]);
        }
        cl_result_free(&res);
    }

    /* EMA by hand for row 4: scores sorted high to low, alpha 0.8 */
    double s[K];
    memcpy(s, r.class_score + 4 * K, sizeof s);
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++)
            if (s[b] > s[a]) { double t = s[a]; s[a] = s[b]; s[b] = t; }
    double e = s[0];
    for (int j = 1; j < K; j++) e = 0.8 * s[j] + (1 - 0.8) * e;
    assert_true(r.score[4] == e);

    /* ranked: the flagged examples, ascending score */
    size_t m = 0;
    for (int i = 0; i < N; i++) m += r.is_issue[i];
    assert_int_equal(r.n_flagged, m);
    for (size_t j = 1; j < m; j++) assert_true(r.score[r.ranked[j - 1]] <= r.score[r.ranked[j]]);
    assert_true(r.health == 1.0 - (double)m / N);
    int64_t ig = 0;
    for (int i = 0; i < N; i++) ig += r.class_issue[i * K + 1] && y[i * K + 1];
    assert_int_equal(r.issues_given[1], ig);
    aml_result_free(&r);
    aml_result_free(&r);                        /* safe twice */
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t y[N * K];
    double p[N * K];
    planted(y, p);
    aml_opts o;
    aml_opts_init(&o);
    aml_result r;
    la_error err;
    for (int i = 0; i < N; i++) y[i * K + 0] = 1;
    assert_int_equal(aml_run(y, p, N, K, &o, &r, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "class 0 is given to every example"));
    assert_null(r.score);
    planted(y, p);
    o.filter = CL_LOW_SELF_CONFIDENCE;
    assert_int_equal(aml_run(y, p, N, K, &o, &r, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not supported with --multi-label"));
    o.filter = CL_PRUNE_BY_NOISE_RATE;
    p[7] = 1.5;
    assert_int_not_equal(aml_run(y, p, N, K, &o, &r, &err), 0);
    assert_null(r.is_issue);
}

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_labels_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/la_aml_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cat[] = "cat", dog[] = "dog", bird[] = "bird";
    char *names[] = {cat, dog, bird};
    aml_labels y;
    la_error err;
    const char *p = write_tmp(dir, "a.csv", "id,labels\nx,\"0,2\"\ny,\"[1]\"\nz,\nw,\"dog; bird\"\n");
    assert_int_equal(aml_labels_load(p, 3, names, &y, &err), 0);
    assert_int_equal(y.n, 4);
    const uint8_t want[12] = {1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 1};
    assert_memory_equal(y.onehot, want, 12);
    assert_string_equal(y.ids[3], "w");
    aml_labels_free(&y);

    p = write_tmp(dir, "b.csv", "label\n0 1\n1\n3\n");
    assert_int_equal(aml_labels_load(p, 3, NULL, &y, &err), LA_EUSAGE);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "'3' is not a class (indices 0..2)"));
    assert_null(y.onehot);
    p = write_tmp(dir, "c.csv", "tags\n0\n");
    assert_int_equal(aml_labels_load(p, 3, NULL, &y, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no 'labels'"));
    p = write_tmp(dir, "d.csv", "labels\n");
    assert_int_equal(aml_labels_load(p, 3, NULL, &y, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no examples"));

    char npy[600];
    snprintf(npy, sizeof npy, "%s/y.npy", dir);
    double m[6] = {1, 0, 1, 0, 0, 1};
    assert_int_equal(io_npy_save_f64(npy, m, 2, 3, &err), 0);
    assert_int_equal(aml_labels_load(npy, 3, NULL, &y, &err), 0);
    assert_int_equal(y.n, 2);
    assert_int_equal(y.onehot[5], 1);
    assert_null(y.ids);
    aml_labels_free(&y);
    assert_int_equal(aml_labels_load(npy, 2, NULL, &y, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "must be N x 2"));
    m[4] = 0.5;
    assert_int_equal(io_npy_save_f64(npy, m, 2, 3, &err), 0);
    assert_int_equal(aml_labels_load(npy, 3, NULL, &y, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "row 1 (0-based), column 1: 0.5 is not 0 or 1"));
    const char *files[] = {"a.csv", "b.csv", "c.csv", "d.csv", "y.npy"};
    char f[700];
    for (size_t i = 0; i < 5; i++) { snprintf(f, sizeof f, "%s/%s", dir, files[i]); unlink(f); }
    rmdir(dir);
}

static void test_write(void **state)
{
    (void)state;
    uint8_t y[N * K];
    double p[N * K];
    planted(y, p);
    aml_opts o;
    aml_opts_init(&o);
    aml_result r;
    la_error err;
    assert_int_equal(aml_run(y, p, N, K, &o, &r, &err), 0);
    aml_labels lab = {N, K, y, NULL};
    char dir[] = "/tmp/la_amlw_XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(aml_write(&r, &lab, p, NULL, &o, dir, &err), 0);
    char f[600];
    snprintf(f, sizeof f, "%s/class_label_quality.csv", dir);
    FILE *fp = fopen(f, "r");
    assert_non_null(fp);
    char line[256];
    assert_non_null(fgets(line, sizeof line, fp));
    assert_true(!strncmp(line, "Class Index,Label Issues", 24));   /* no name column without names */
    fclose(fp);
    const char *names[] = {"label_issues.csv", "is_label_issue.csv", "ranked.csv", "label_quality.csv",
                           "class_issues.csv", "class_label_quality.csv", "overall_label_health_score.txt",
                           "classes.txt", "summary.json"};
    struct stat st;
    for (size_t i = 0; i < 9; i++) {
        snprintf(f, sizeof f, "%s/%s", dir, names[i]);
        assert_int_equal(stat(f, &st), 0);
        unlink(f);
    }
    rmdir(dir);
    /* an output path that cannot be made: nothing appears, an error */
    assert_int_not_equal(aml_write(&r, &lab, p, NULL, &o, "/proc/no/such/dir", &err), 0);
    aml_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_labels_load),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
