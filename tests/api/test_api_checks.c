/*
 * test_api_checks.c — cmocka tests of the public dataset-checks API
 * (la_check_run and the la_checks_* accessors) from the outside: it includes
 * only <labelaudit.h> and links only liblabelaudit.so. Planted data (exact
 * and near duplicates, a label conflict, a far point, leaked test rows, a
 * dark image), a golden-issues case of cleanlab 2.9.0's Datalab ($LA_SHARED
 * or ../shared), the written files, and refusals that leave *out NULL.
 */
#include <labelaudit.h>

#include <math.h>
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

enum { N = 60, D = 5 };

/* N x D planted features: row 10 = row 3 (same label), row 20 = row 4
 * (other label), row 30 = row 5 + 1e-4, row 40 far away (euclidean). */
static void planted(double *x, int32_t *y)
{
    uint64_t s = 12345;
    for (size_t i = 0; i < (size_t)N * D; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(s >> 11) / 9007199254740992.0 - 0.5;
    }
    for (int j = 0; j < D; j++) {
        x[10 * D + j] = x[3 * D + j];
        x[20 * D + j] = x[4 * D + j];
        x[30 * D + j] = x[5 * D + j] + 1e-4;
        x[40 * D + j] = 50.0 + j;
    }
    for (int i = 0; i < N; i++) y[i] = i % 3;
    y[10] = y[3];
    y[20] = (y[4] + 1) % 3;
}

static la_check_split split_of(const double *x, const int32_t *y, size_t n)
{
    la_check_split s;
    memset(&s, 0, sizeof s);
    s.features = x;
    s.dtype = LA_F64;
    s.n = n;
    s.d = D;
    s.labels = y;
    return s;
}

static void test_planted_feature_checks(void **state)
{
    (void)state;
    double x[N * D];
    int32_t y[N];
    planted(x, y);
    la_check_split tr = split_of(x, y, N);
    la_check_options o;
    la_check_options_init(&o);
    assert_int_equal(o.k, 10);
    assert_true(fabs(o.near_dup_threshold - 0.13) < 1e-12 && fabs(o.outlier_threshold - 0.37037) < 1e-12);
    o.metric = "euclidean";
    o.threads = 2;
    la_checks *c = NULL;
    la_error err;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_OK);
    assert_non_null(c);
    assert_int_equal(la_checks_n(c), N);
    assert_int_equal(la_checks_k(c), 10);
    assert_string_equal(la_checks_metric(c), "euclidean");
    assert_true(la_checks_ran(c, "near_duplicate") && la_checks_ran(c, "outlier") &&
                la_checks_ran(c, "exact_duplicate"));
    assert_false(la_checks_ran(c, "leakage"));
    assert_false(la_checks_ran(c, "image"));
    assert_false(la_checks_ran(c, "no_such_check"));

    /* the corrected graph: a duplicate's first neighbour is its twin at 0 */
    const int64_t *ix = la_checks_knn_index(c);
    const double *dist = la_checks_knn_distance(c);
    assert_int_equal(ix[3 * 10], 10);
    assert_true(dist[3 * 10] == 0.0);

    const uint8_t *ndf = la_checks_near_duplicate_flags(c);
    assert_true(ndf[3] && ndf[10] && ndf[5] && ndf[30] && !ndf[40]);
    const size_t *st = la_checks_near_duplicate_set_start(c);
    const int64_t *sets = la_checks_near_duplicate_sets(c);
    int found = 0;
    for (size_t m = st[5]; m < st[6]; m++) found |= sets[m] == 30;
    assert_true(found);
    assert_true(la_checks_median_nn_distance(c) > 0);
    const double *nds = la_checks_near_duplicate_scores(c);
    assert_true(nds[3] < 1e-9 && nds[0] > 0);

    const uint8_t *of = la_checks_outlier_flags(c);
    const double *os = la_checks_outlier_scores(c), *avg = la_checks_outlier_avg_distance(c);
    assert_true(of[40]);
    for (int i = 0; i < N; i++) assert_true(i == 40 || os[i] > os[40]);
    assert_true(avg[40] > la_checks_outlier_threshold(c));

    const size_t *gs;
    const int64_t *gm;
    const uint8_t *gc;
    assert_int_equal(la_checks_groups(c, 0, &gs, &gm, &gc), 2);
    assert_int_equal(gm[gs[0]], 3);
    assert_int_equal(gm[gs[0] + 1], 10);
    assert_int_equal(gc[0], 0);
    assert_int_equal(gm[gs[1]], 4);
    assert_int_equal(gc[1], 1);
    assert_int_equal(la_checks_groups(c, 1, NULL, NULL, NULL), 0);

    /* the issue list: counts agree with it, the label conflict comes first */
    int tconf = -1, tdup = -1;
    for (int t = 0; t < la_check_num_issue_types(); t++) {
        if (!strcmp(la_check_issue_name(t), "label_conflict")) tconf = t;
        if (!strcmp(la_check_issue_name(t), "exact_duplicate")) tdup = t;
    }
    assert_true(tconf >= 0 && tdup >= 0);
    assert_null(la_check_issue_name(la_check_num_issue_types()));
    assert_int_equal(la_checks_count(c, tconf), 2);
    assert_int_equal(la_checks_count(c, tdup), 4);
    size_t ni = la_checks_num_issues(c);
    int64_t *idx = malloc(ni * sizeof *idx);
    int32_t *typ = malloc(ni * sizeof *typ);
    la_checks_issues(c, idx, typ, NULL, NULL);
    assert_int_equal(typ[0], tconf);
    size_t nconf = 0;
    for (size_t j = 0; j < ni; j++) nconf += typ[j] == tconf;
    assert_int_equal(nconf, 2);
    free(idx);
    free(typ);

    /* nothing for the checks that did not run */
    assert_int_equal(la_checks_num_leaks(c), 0);
    assert_null(la_checks_defect_scores(c));
    la_checks_free(c);
}

static void test_leakage_and_float32(void **state)
{
    (void)state;
    double x[N * D];
    int32_t y[N];
    planted(x, y);
    float xf[N * D], tf[3 * D];
    for (int i = 0; i < N * D; i++) xf[i] = (float)x[i];
    for (int j = 0; j < D; j++) {
        tf[0 * D + j] = xf[7 * D + j];          /* a copy of training row 7 */
        tf[1 * D + j] = 9.0f - (float)j * 3;    /* new */
        tf[2 * D + j] = xf[50 * D + j];         /* a copy of row 50 */
    }
    la_check_split tr = split_of(NULL, y, N), te;
    tr.features = xf;
    tr.dtype = LA_F32;
    te = tr;
    te.features = tf;
    te.n = 3;
    te.labels = NULL;
    la_check_options o;
    la_check_options_init(&o);
    o.checks = "leakage";
    la_checks *c = NULL;
    la_error err;
    assert_int_equal(la_check_run(&tr, &te, &o, &c, &err), LA_OK);
    assert_true(la_checks_ran(c, "leakage"));
    assert_false(la_checks_ran(c, "outlier"));
    assert_null(la_checks_outlier_flags(c));
    size_t m = la_checks_num_leaks(c);
    assert_int_equal(m, 2);
    int64_t test[2], train[2];
    int32_t kind[2];
    double dd[2], sc[2];
    la_checks_leaks(c, test, train, kind, dd, sc);
    assert_true((test[0] == 0 && train[0] == 7 && test[1] == 2 && train[1] == 50) ||
                (test[0] == 2 && train[0] == 50 && test[1] == 0 && train[1] == 7));
    assert_string_equal(la_check_leak_kind_name(kind[0]), "exact");
    assert_null(la_check_leak_kind_name(9));
    assert_true(sc[0] >= 0 && sc[0] <= 1 && dd[0] == 0);
    la_checks_free(c);
}

static void test_image_defects(void **state)
{
    (void)state;
    enum { M = 20, W = 8, H = 8 };
    float *px = malloc((size_t)M * W * H * sizeof *px);
    uint64_t s = 99;
    for (size_t i = 0; i < (size_t)M * W * H; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        px[i] = 0.2f + 0.6f * (float)((s >> 40) & 0xffff) / 65535.0f;
    }
    for (int p = 0; p < W * H; p++) px[3 * W * H + p] = 0.01f;   /* image 3 is dark */
    la_check_split tr;
    memset(&tr, 0, sizeof tr);
    tr.n = M;
    tr.pixels = px;
    tr.image_w = W;
    tr.image_h = H;
    tr.channels = 1;
    la_check_options o;
    la_check_options_init(&o);
    o.checks = "image";
    la_checks *c = NULL;
    la_error err;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_OK);
    int nd = la_check_num_defects(), dark = -1;
    for (int j = 0; j < nd; j++)
        if (!strcmp(la_check_defect_name(j), "dark")) dark = j;
    assert_true(dark >= 0);
    assert_null(la_check_defect_name(nd));
    const uint8_t *f = la_checks_defect_flags(c);
    assert_int_equal(f[3 * nd + dark], 1);
    assert_int_equal(f[0 * nd + dark], 0);
    assert_int_equal(la_checks_num_image_pairs(c), 0);
    assert_null(la_checks_knn_index(c));
    la_checks_free(c);
    free(px);
}

/* Reads a version-1 float64 C-order .npy of shape (rows, cols). */
static double *read_npy(const char *path, size_t *rows, size_t *cols)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    unsigned char pre[10];
    double *x = NULL;
    if (fread(pre, 1, 10, f) == 10) {
        size_t hl = pre[8] | (size_t)pre[9] << 8;
        char *h = calloc(hl + 1, 1);
        if (h && fread(h, 1, hl, f) == hl && strstr(h, "'<f8'") && strstr(h, "False")) {
            const char *sh = strstr(h, "'shape': (");
            if (sh && sscanf(sh, "'shape': (%zu, %zu)", rows, cols) == 2) {
                x = malloc(*rows * *cols * sizeof *x);
                if (x && fread(x, sizeof *x, *rows * *cols, f) != *rows * *cols) { free(x); x = NULL; }
            }
        }
        free(h);
    }
    fclose(f);
    return x;
}

static void test_golden_issues_case(void **state)
{
    (void)state;
    const char *sh = getenv("LA_SHARED");
    char path[4096];
    snprintf(path, sizeof path, "%s/golden-issues/planted_d8_n300/features.npy", sh ? sh : "../shared");
    size_t n = 0, d = 0;
    double *x = read_npy(path, &n, &d);
    if (!x) {
        snprintf(path, sizeof path, "/work/shared/golden-issues/planted_d8_n300/features.npy");
        x = read_npy(path, &n, &d);
    }
    if (!x) skip();
    la_check_split tr;
    memset(&tr, 0, sizeof tr);
    tr.features = x;
    tr.dtype = LA_F64;
    tr.n = n;
    tr.d = d;
    la_check_options o;
    la_check_options_init(&o);
    o.checks = "near_duplicate,outlier";
    la_checks *c = NULL;
    la_error err;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_OK);
    /* cleanlab 2.9.0's Datalab on this case (params.json): cosine, 24 near
     * duplicates, 0 outliers */
    assert_string_equal(la_checks_metric(c), "cosine");
    const uint8_t *nd = la_checks_near_duplicate_flags(c), *od = la_checks_outlier_flags(c);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < n; i++) { a += nd[i]; b += od[i]; }
    assert_int_equal(a, 24);
    assert_int_equal(b, 0);
    la_checks_free(c);
    free(x);
}

static void test_write(void **state)
{
    (void)state;
    double x[N * D];
    int32_t y[N];
    planted(x, y);
    la_check_split tr = split_of(x, y, N);
    la_check_options o;
    la_check_options_init(&o);
    la_checks *c = NULL;
    la_error err;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_OK);
    char dir[] = "/tmp/la_api_checks_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char out[256], f[320];
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(la_checks_write(c, out, &err), LA_OK);
    const char *names[] = {"issues.csv", "near_duplicate.csv", "near_duplicate_sets.csv", "outlier.csv",
                           "exact_duplicate.csv"};
    struct stat st;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(f, sizeof f, "%s/%s", out, names[i]);
        assert_int_equal(stat(f, &st), 0);
        assert_true(st.st_size > 10);
        unlink(f);
    }
    rmdir(out);
    rmdir(dir);
    la_checks_free(c);
}

static void test_refusals(void **state)
{
    (void)state;
    double x[N * D];
    int32_t y[N];
    planted(x, y);
    la_check_split tr = split_of(x, y, N);
    la_check_options o;
    la_check_options_init(&o);
    la_error err;
    la_checks *c = (la_checks *)&err;

    x[7 * D + 2] = NAN;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_null(c);
    assert_non_null(strstr(err.msg, "row 7"));
    assert_non_null(strstr(err.msg, "NaN"));
    planted(x, y);

    o.checks = "near_duplicate,typo";
    c = (la_checks *)&err;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_null(c);
    assert_non_null(strstr(err.msg, "unknown check 'typo'"));

    o.checks = "leakage";                       /* no test split */
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_null(c);
    assert_non_null(strstr(err.msg, "leakage"));

    o.checks = NULL;
    o.metric = "manhattan";
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown metric"));

    o.metric = NULL;
    o.k = N;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_null(c);
    assert_non_null(strstr(err.msg, "needs more than"));

    o.k = 10;
    tr.dtype = (la_dtype)5;
    assert_int_equal(la_check_run(&tr, NULL, &o, &c, &err), LA_EUSAGE);
    assert_null(c);
    la_checks_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planted_feature_checks),
        cmocka_unit_test(test_leakage_and_float32),
        cmocka_unit_test(test_image_defects),
        cmocka_unit_test(test_golden_issues_case),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
