/* test_cv.c — cmocka tests for the k-fold trainer: stratified disjoint folds,
 * small classes, the training-fold scaler and the absence of leakage through
 * the whole driver, samplers, augmentation, reproducibility, knn smoothing,
 * and label / weight files matched by id. In-memory data only. */
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

#include "cv/cv.h"
#include "cv/folds.h"
#include "cv/inputs.h"
#include "cv/model.h"
#include "cv/scaler.h"
#include "cv/sampler.h"
#include "util/la_rng.h"

/* Gaussian blobs: class c centred at 3 * e_{c mod d}; n rows, d features. */
static void blobs(size_t n, size_t d, size_t k, uint64_t seed, float *X, int32_t *y)
{
    la_rng r;
    la_rng_seed(&r, seed, 99);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % k);
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)(la_rng_normal(&r) + (j == (size_t)y[i] % d ? 3.0 : 0.0));
    }
}

static void test_folds_stratified_disjoint(void **state)
{
    (void)state;
    enum { N = 1003, K = 4, F = 5 };
    int32_t y[N], fold[N];
    for (int i = 0; i < N; i++) y[i] = (i * 7) % 10 < 6 ? 0 : (i % 3) + 1;   /* imbalanced */
    la_error err;
    size_t small = 99;
    assert_int_equal(cv_folds_stratified(y, N, K, F, 17, fold, &small, &err), 0);
    assert_int_equal(small, 0);
    int cnt[K][F] = {{0}}, size[F] = {0};
    for (int i = 0; i < N; i++) {
        assert_true(fold[i] >= 0 && fold[i] < F);   /* each row in exactly one fold */
        cnt[y[i]][fold[i]]++;
        size[fold[i]]++;
    }
    for (int c = 0; c < K; c++) {
        int mn = N, mx = 0;
        for (int f = 0; f < F; f++) { if (cnt[c][f] < mn) mn = cnt[c][f]; if (cnt[c][f] > mx) mx = cnt[c][f]; }
        assert_true(mx - mn <= 1);                   /* stratified */
    }
    int mn = N, mx = 0;
    for (int f = 0; f < F; f++) { if (size[f] < mn) mn = size[f]; if (size[f] > mx) mx = size[f]; }
    assert_true(mx - mn <= 1);
    /* seeded: same seed same folds, another seed other folds */
    int32_t f2[N];
    cv_folds_stratified(y, N, K, F, 17, f2, NULL, &err);
    assert_memory_equal(fold, f2, sizeof fold);
    cv_folds_stratified(y, N, K, F, 18, f2, NULL, &err);
    assert_true(memcmp(fold, f2, sizeof fold) != 0);
}

static void test_folds_small_class(void **state)
{
    (void)state;
    /* class 1 has 3 rows, class 2 has 1 row, 5 folds */
    enum { N = 54 };
    int32_t y[N], fold[N];
    for (int i = 0; i < N; i++) y[i] = 0;
    y[5] = y[20] = y[33] = 1;
    y[40] = 2;
    la_error err;
    size_t small = 0;
    assert_int_equal(cv_folds_stratified(y, N, 3, 5, 1, fold, &small, &err), 0);
    assert_int_equal(small, 2);
    assert_true(fold[5] != fold[20] && fold[5] != fold[33] && fold[20] != fold[33]);
    /* fewer rows than folds: a clear error, no crash */
    assert_int_equal(cv_folds_stratified(y, 3, 3, 5, 1, fold, NULL, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "folds"));
    assert_int_equal(cv_folds_stratified(y, N, 3, 1, 1, fold, NULL, &err), LA_EUSAGE);
}

static void test_scaler_sees_training_rows_only(void **state)
{
    (void)state;
    enum { N = 10, D = 3 };
    float X[N * D];
    int32_t fold[N];
    uint8_t onehot[D] = {0, 1, 1};
    for (int i = 0; i < N; i++) {
        fold[i] = i < 8 ? 0 : 1;
        X[i * D + 0] = i < 8 ? (float)i : 1e6f;        /* held-out rows are huge */
        X[i * D + 1] = i % 2 ? 1.0f : 0.0f;            /* a category seen in training */
        X[i * D + 2] = i < 8 ? 0.0f : 1.0f;            /* a category only in the held-out fold */
    }
    cv_scaler s;
    la_error err;
    assert_int_equal(cv_scaler_fit(&s, X, N, D, fold, 1, onehot, 1, &err), 0);
    /* mean of 0..7 = 3.5, population std = sqrt(5.25) */
    assert_true(fabs(s.mean[0] - 3.5) < 1e-6);
    assert_true(fabs(s.inv_scale[0] - 1.0 / sqrt(5.25)) < 1e-6);
    assert_true(s.mean[1] == 0.0f && s.inv_scale[1] == 1.0f);
    assert_true(s.inv_scale[2] == 0.0f);               /* unseen category zeroed */
    float out[D];
    size_t row = 9;
    cv_scaler_apply(&s, X, &row, 1, out);
    assert_true(out[2] == 0.0f && out[1] == 1.0f);
    cv_scaler_free(&s);
}

/* The driver's held-out predictions equal a model fitted by hand on the
 * training rows scaled by training-row statistics: if any held-out row
 * reached the scaler or the model, the two would differ (the held-out rows
 * here are far-off outliers, so leakage would move the statistics a lot). */
static void test_no_leakage_through_driver(void **state)
{
    (void)state;
    enum { N = 200, D = 4, K = 2, F = 4 };
    float X[N * D];
    int32_t y[N], fold[N];
    blobs(N, D, K, 5, X, y);
    la_error err;
    assert_int_equal(cv_folds_stratified(y, N, K, F, 3, fold, NULL, &err), 0);
    for (int i = 0; i < N; i++)
        if (fold[i] == 2) for (int j = 0; j < D; j++) X[i * D + j] = X[i * D + j] * 50.0f + 1000.0f;
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = CV_MODEL_KNN;
    o.knn_k = 5;
    o.metric = CV_METRIC_EUCLIDEAN;
    cv_run_opts ro = {.n_folds = F, .threads = 2, .standardize = 1};
    double *P = calloc(N * K, sizeof *P);
    assert_int_equal(cv_run(&o, &ro, X, N, D, y, NULL, K, fold, P, NULL, &err), 0);
    for (int f = 0; f < F; f++) {
        cv_scaler s;
        assert_int_equal(cv_scaler_fit(&s, X, N, D, fold, f, NULL, 1, &err), 0);
        size_t tr[N], te[N], ntr = 0, nte = 0;
        for (int i = 0; i < N; i++) { if (fold[i] == f) te[nte++] = (size_t)i; else tr[ntr++] = (size_t)i; }
        float *Xtr = malloc(ntr * D * sizeof *Xtr), *Xte = malloc(nte * D * sizeof *Xte);
        int32_t ytr[N];
        cv_scaler_apply(&s, X, tr, ntr, Xtr);
        cv_scaler_apply(&s, X, te, nte, Xte);
        for (size_t i = 0; i < ntr; i++) ytr[i] = y[tr[i]];
        cv_model *m;
        cv_train_opts o2 = o;
        o2.seed = o.seed + 1000003ull * (uint64_t)f;
        assert_int_equal(cv_model_fit(&o2, Xtr, ntr, D, ytr, NULL, K, &m, &err), 0);
        double *Q = malloc(nte * K * sizeof *Q);
        assert_int_equal(cv_model_predict_proba(m, Xte, nte, Q, &err), 0);
        for (size_t i = 0; i < nte; i++)
            for (int c = 0; c < K; c++) assert_true(fabs(Q[i * K + c] - P[te[i] * K + c]) < 1e-9);
        cv_model_free(m);
        cv_scaler_free(&s);
        free(Xtr); free(Xte); free(Q);
    }
    free(P);
}

static void test_oversampling_balanced_batches(void **state)
{
    (void)state;
    enum { N = 1100, K = 3 };
    int32_t y[N];
    for (int i = 0; i < N; i++) y[i] = i < 1000 ? 0 : i < 1080 ? 1 : 2;   /* 1000 : 80 : 20 */
    size_t idx[N], cnt = 0;
    la_rng r;
    la_rng_seed(&r, 1, 2);
    cv_sampler_epoch(CV_SAMPLER_OVERSAMPLE, y, N, K, &r, idx, &cnt);
    assert_int_equal(cnt, N);
    /* per batch of 128: each class about a third (binomial sd ~5.3) */
    for (size_t b0 = 0; b0 + 128 <= cnt; b0 += 128) {
        int c[K] = {0};
        for (size_t j = b0; j < b0 + 128; j++) c[y[idx[j]]]++;
        for (int k = 0; k < K; k++) assert_true(c[k] > 20 && c[k] < 66);
    }
    int tot[K] = {0};
    for (size_t j = 0; j < cnt; j++) tot[y[idx[j]]]++;
    for (int k = 0; k < K; k++) assert_true(abs(tot[k] - N / K) < 60);
    /* undersample: min class count of each */
    cv_sampler_epoch(CV_SAMPLER_UNDERSAMPLE, y, N, K, &r, idx, &cnt);
    assert_int_equal(cnt, 60);
    int u[K] = {0};
    for (size_t j = 0; j < cnt; j++) u[y[idx[j]]]++;
    for (int k = 0; k < K; k++) assert_int_equal(u[k], 20);
    /* none: a permutation */
    cv_sampler_epoch(CV_SAMPLER_NONE, y, N, K, &r, idx, &cnt);
    assert_int_equal(cnt, N);
    uint8_t seen[N] = {0};
    for (size_t j = 0; j < cnt; j++) { assert_false(seen[idx[j]]); seen[idx[j]] = 1; }
}

static void test_augment_shift_and_flip(void **state)
{
    (void)state;
    /* 3x2 image, one channel: rows (0 1 2) (3 4 5) */
    float img[6] = {0, 1, 2, 3, 4, 5}, tmp[6];
    cv_sampler_augment_row(img, tmp, 3, 2, 1, 1, 0, 0);        /* shift right by 1, edge replicated */
    float want[6] = {0, 0, 1, 3, 3, 4};
    assert_memory_equal(img, want, sizeof want);
    float img2[6] = {0, 1, 2, 3, 4, 5};
    cv_sampler_augment_row(img2, tmp, 3, 2, 1, 0, 0, 1);       /* mirror */
    float want2[6] = {2, 1, 0, 5, 4, 3};
    assert_memory_equal(img2, want2, sizeof want2);
    float img3[6] = {0, 1, 2, 3, 4, 5};
    cv_sampler_augment_row(img3, tmp, 3, 2, 1, 0, 1, 0);       /* down by 1 */
    float want3[6] = {0, 1, 2, 0, 1, 2};
    assert_memory_equal(img3, want3, sizeof want3);
}

static void run_model(cv_model_kind kind, int threads, uint64_t seed, double *P, double *acc)
{
    enum { N = 300, D = 6, K = 3, F = 3 };
    float X[N * D];
    int32_t y[N], fold[N];
    blobs(N, D, K, 11, X, y);
    la_error err;
    assert_int_equal(cv_folds_stratified(y, N, K, F, seed, fold, NULL, &err), 0);
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = kind;
    o.seed = seed;
    o.hidden[0] = 16;
    o.epochs = 15;
    o.batch_size = 32;
    o.lr = 0.01;
    o.dropout = 0.1;
    o.sampler = kind == CV_MODEL_MLP ? CV_SAMPLER_OVERSAMPLE : CV_SAMPLER_NONE;
    cv_run_opts ro = {.n_folds = F, .threads = threads, .standardize = 1};
    assert_int_equal(cv_run(&o, &ro, X, N, D, y, NULL, K, fold, P, NULL, &err), 0);
    size_t ok = 0;
    for (int i = 0; i < N; i++) {
        double s = 0;
        int am = 0;
        for (int c = 0; c < K; c++) {
            assert_true(P[i * K + c] > 0.0);             /* never exactly 0 */
            s += P[i * K + c];
            if (P[i * K + c] > P[i * K + am]) am = c;
        }
        assert_true(fabs(s - 1.0) < 1e-9);
        ok += am == y[i];
    }
    *acc = (double)ok / N;
}

static void test_reproducible_and_accurate(void **state)
{
    (void)state;
    enum { N = 300, K = 3 };
    double *A = calloc(N * K, sizeof *A), *B = calloc(N * K, sizeof *B), acc, acc2;
    for (int kind = CV_MODEL_LOGREG; kind <= CV_MODEL_KNN; kind++) {
        run_model((cv_model_kind)kind, 2, 7, A, &acc);
        run_model((cv_model_kind)kind, 2, 7, B, &acc2);
        assert_memory_equal(A, B, N * K * sizeof *A);     /* same seed, same threads: bitwise */
        if (acc < 0.85) fail_msg("%s accuracy %.3f on easy blobs", cv_model_name((cv_model_kind)kind), acc);
    }
    /* a different seed changes the mlp */
    run_model(CV_MODEL_MLP, 2, 7, A, &acc);
    run_model(CV_MODEL_MLP, 2, 8, B, &acc2);
    assert_true(memcmp(A, B, N * K * sizeof *A) != 0);
    free(A); free(B);
}

static void test_class_absent_from_training(void **state)
{
    (void)state;
    enum { N = 60, D = 2, K = 3 };
    float X[N * D];
    int32_t y[N];
    blobs(N, D, 2, 4, X, y);                             /* classes 0, 1 only; class 2 never seen */
    la_error err;
    for (int kind = CV_MODEL_LOGREG; kind <= CV_MODEL_KNN; kind++) {
        cv_train_opts o;
        cv_train_opts_init(&o);
        o.model = (cv_model_kind)kind;
        o.epochs = 3;
        o.loss = CV_LOSS_BALANCED;
        cv_model *m;
        assert_int_equal(cv_model_fit(&o, X, N, D, y, NULL, K, &m, &err), 0);
        double P[N * K];
        assert_int_equal(cv_model_predict_proba(m, X, N, P, &err), 0);
        for (int i = 0; i < N * K; i++) assert_true(P[i] > 0.0 && isfinite(P[i]));
        cv_model_free(m);
    }
    /* bad weights are a usage error, not a crash */
    float sw[N];
    for (int i = 0; i < N; i++) sw[i] = 0.0f;
    cv_train_opts o;
    cv_train_opts_init(&o);
    cv_model *m = NULL;
    assert_int_equal(cv_model_fit(&o, X, N, D, y, sw, K, &m, &err), LA_EUSAGE);
    assert_null(m);
}

static void test_labels_and_weights_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_cv_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char lp[256], wp[256];
    snprintf(lp, sizeof lp, "%s/labels.csv", dir);
    snprintf(wp, sizeof wp, "%s/w.csv", dir);
    FILE *f = fopen(lp, "w");
    fputs("id,label\nc,b\na,a\nb,b\n", f);                /* by id, out of order, by name */
    fclose(f);
    f = fopen(wp, "w");
    fputs("id,weight\nb,2\na,0.5\nc,1\n", f);
    fclose(f);
    char a_[] = "a", b_[] = "b", c_[] = "c", na[] = "a", nb[] = "b";
    char *ids[3] = {a_, b_, c_}, *names[2] = {na, nb};
    int32_t lab[3] = {9, 9, 9};
    float w[3];
    la_error err;
    assert_int_equal(cv_inputs_labels(lp, ids, 3, names, 2, lab, &err), 0);
    assert_int_equal(lab[0], 0);
    assert_int_equal(lab[1], 1);
    assert_int_equal(lab[2], 1);
    assert_int_equal(cv_inputs_weights(wp, ids, 3, w, &err), 0);
    assert_true(w[0] == 0.5f && w[1] == 2.0f && w[2] == 1.0f);
    f = fopen(wp, "w");
    fputs("id,weight\nb,2\nzz,0.5\nc,1\n", f);            /* unknown id */
    fclose(f);
    assert_int_equal(cv_inputs_weights(wp, ids, 3, w, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    f = fopen(wp, "w");
    fputs("weight\n1\n-2\n1\n", f);                       /* row order, negative */
    fclose(f);
    assert_int_equal(cv_inputs_weights(wp, ids, 3, w, &err), LA_EUSAGE);
    unlink(lp); unlink(wp); rmdir(dir);
}

/* The default logreg on 20000 rows starts from a fit on every 4th row
 * (subsample_start in logreg.c): what it returns must still meet the full
 * objective's stopping rule, max |dJ/dtheta| <= tol x n (tol 1e-3 by
 * default), not just the subsample's. */
static void test_logreg_subsample_start_converges(void **state)
{
    (void)state;
    enum { N = 20000, D = 6, K = 3 };
    float *X = malloc(N * D * sizeof *X);
    int32_t *y = malloc(N * sizeof *y);
    blobs(N, D, K, 11, X, y);
    cv_train_opts o;
    cv_train_opts_init(&o);
    int iters = 0;
    double l2 = -1.0;
    o.n_iter = &iters;
    o.l2_used = &l2;
    la_error err;
    cv_model *m;
    assert_int_equal(cv_model_fit(&o, X, N, D, y, NULL, K, &m, &err), 0);
    assert_true(fabs(l2 - pow(10.0, -2.5) * N) < 1e-9 * N);
    size_t np;
    (void)cv_model_params(m, &np);
    float *g = calloc(np, sizeof *g);
    cv_train_opts oe = o;
    oe.l2 = l2;                              /* J with the penalty the fit used */
    double J = cv_model_objective(m, &oe, X, N, y, NULL, g), gmax = 0.0;
    for (size_t j = 0; j < np; j++) if (fabs(g[j]) > gmax) gmax = fabs(g[j]);
    assert_true(isfinite(J));
    if (gmax > 1e-3 * N) fail_msg("max |grad| %g > tol x n = %g after %d iterations", gmax, 1e-3 * N, iters);
    assert_true(iters > 0);
    cv_model_free(m);
    free(g); free(X); free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folds_stratified_disjoint),
        cmocka_unit_test(test_folds_small_class),
        cmocka_unit_test(test_scaler_sees_training_rows_only),
        cmocka_unit_test(test_no_leakage_through_driver),
        cmocka_unit_test(test_oversampling_balanced_batches),
        cmocka_unit_test(test_augment_shift_and_flip),
        cmocka_unit_test(test_reproducible_and_accurate),
        cmocka_unit_test(test_class_absent_from_training),
        cmocka_unit_test(test_labels_and_weights_files),
        cmocka_unit_test(test_logreg_subsample_start_converges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
