/* test_retrain.c — cmocka tests for cv/retrain.c and cv/robust.c on seeded
 * synthetic blobs: every variant (plain, co-teaching, decoupled) learns a
 * separable problem; preprocessing is fitted on the training rows only (a
 * test set shifted far away does not move the scaler); co-teaching resists
 * 30% flipped labels; decoupling raises a rare class's recall; the curves
 * are filled per epoch; bad option combinations are refused; the co-taught
 * pair predicts with the mean of its two networks, and cv_run with
 * co-teaching per fold gives out-of-fold probabilities that beat the flips. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cv/cv.h"
#include "cv/retrain.h"
#include "util/la_rng.h"

/* n rows of d features: class c has mean 3 * (c == j) on feature j. */
static void blobs(size_t n, size_t d, size_t k, const double *prior, uint64_t seed,
                  float *X, int32_t *y)
{
    la_rng r;
    la_rng_seed(&r, seed, 1);
    for (size_t i = 0; i < n; i++) {
        double u = la_rng_uniform(&r), acc = 0.0;
        size_t c = k - 1;
        for (size_t j = 0; j < k; j++) {
            acc += prior ? prior[j] : 1.0 / (double)k;
            if (u < acc) { c = j; break; }
        }
        y[i] = (int32_t)c;
        for (size_t j = 0; j < d; j++)
            X[i * d + j] = (float)(la_rng_normal(&r) + (j == c ? 3.0 : 0.0));
    }
}

static double accuracy(const double *P, const int32_t *y, size_t n, size_t k)
{
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        size_t am = 0;
        for (size_t c = 1; c < k; c++) if (P[i * k + c] > P[i * k + am]) am = c;
        ok += (int32_t)am == y[i];
    }
    return (double)ok / (double)n;
}

static double recall_of(const double *P, const int32_t *y, size_t n, size_t k, int32_t cls)
{
    size_t tp = 0, pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != cls) continue;
        pos++;
        size_t am = 0;
        for (size_t c = 1; c < k; c++) if (P[i * k + c] > P[i * k + am]) am = c;
        tp += (int32_t)am == cls;
    }
    return pos ? (double)tp / (double)pos : 0.0;
}

typedef struct fixture {
    size_t n, nte, d, k;
    float *X, *T;
    int32_t *y, *yte;
    double *P;
} fixture;

static void fx_make(fixture *f, size_t n, size_t nte, const double *prior)
{
    f->n = n; f->nte = nte; f->d = 6; f->k = 3;
    f->X = malloc(n * f->d * sizeof *f->X);
    f->T = malloc(nte * f->d * sizeof *f->T);
    f->y = malloc(n * sizeof *f->y);
    f->yte = malloc(nte * sizeof *f->yte);
    f->P = malloc(nte * f->k * sizeof *f->P);
    blobs(n, f->d, f->k, prior, 11, f->X, f->y);
    blobs(nte, f->d, f->k, NULL, 12, f->T, f->yte);
}

static void fx_free(fixture *f)
{
    free(f->X); free(f->T); free(f->y); free(f->yte); free(f->P);
}

static void mlp_opts(cv_retrain_opts *o)
{
    memset(o, 0, sizeof *o);
    cv_train_opts_init(&o->train);
    o->train.model = CV_MODEL_MLP;
    o->train.hidden[0] = 16;
    o->train.n_hidden = 1;
    o->train.epochs = 15;
    o->train.lr = 0.01;           /* few rows, few steps per epoch */
    o->train.threads = 1;
    o->standardize = 1;
    o->co.forget_rate = 0.2;
    o->co.forget_epochs = 5;
}

static void test_plain_logreg_and_mlp(void **state)
{
    (void)state;
    fixture f;
    fx_make(&f, 600, 300, NULL);
    cv_retrain_opts o;
    memset(&o, 0, sizeof o);
    cv_train_opts_init(&o.train);
    o.train.threads = 1;
    o.standardize = 1;
    la_error err;
    int iters = 0;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, f.yte, f.P, NULL, &iters, &err), 0);
    assert_true(accuracy(f.P, f.yte, f.nte, f.k) > 0.9);
    assert_true(iters > 0);
    for (size_t j = 0; j < f.nte * f.k; j++) assert_true(f.P[j] > 0 && f.P[j] < 1);

    mlp_opts(&o);
    float mem[5 * 15];
    cv_curve cu = {.cap = 15, .train_acc = mem, .train_loss = mem + 15, .val_acc = mem + 30,
                   .val_loss = mem + 45, .heldout_acc = mem + 60, .best = -2};
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, f.yte, f.P, &cu, &iters, &err), 0);
    assert_true(accuracy(f.P, f.yte, f.nte, f.k) > 0.9);
    assert_true(cu.n >= 1 && cu.n <= 15);
    assert_true(cu.best >= -1 && cu.best < (int)cu.n);
    for (size_t e = 0; e < cu.n; e++) {
        assert_true(cu.train_acc[e] > 0 && cu.train_acc[e] <= 1);
        assert_true(cu.heldout_acc[e] > 0 && cu.heldout_acc[e] <= 1);
    }
    fx_free(&f);
}

/* The scaler sees the training rows only: shifting every test row by +100
 * on feature 0 must change the predictions, not the fitted model (so the
 * unshifted rows predict exactly as before). */
static void test_scaler_fitted_on_training_rows(void **state)
{
    (void)state;
    fixture f;
    fx_make(&f, 400, 100, NULL);
    cv_retrain_opts o;
    memset(&o, 0, sizeof o);
    cv_train_opts_init(&o.train);
    o.train.threads = 1;
    o.standardize = 1;
    la_error err;
    double *P2 = malloc((f.nte + 1) * f.k * sizeof *P2);
    float *T2 = malloc((f.nte + 1) * f.d * sizeof *T2);
    memcpy(T2, f.T, f.nte * f.d * sizeof *T2);
    for (size_t j = 0; j < f.d; j++) T2[f.nte * f.d + j] = 100.0f;   /* one far-away extra row */
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), 0);
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, T2, f.nte + 1, NULL, P2, NULL, NULL, &err), 0);
    for (size_t j = 0; j < f.nte * f.k; j++) assert_true(fabs(f.P[j] - P2[j]) < 1e-12);
    free(P2); free(T2);
    fx_free(&f);
}

static void test_coteach_resists_flips(void **state)
{
    (void)state;
    fixture f;
    fx_make(&f, 1500, 300, NULL);
    /* 30% of class 0 flipped to class 1 */
    la_rng r;
    la_rng_seed(&r, 5, 2);
    for (size_t i = 0; i < f.n; i++)
        if (f.y[i] == 0 && la_rng_uniform(&r) < 0.3) f.y[i] = 1;
    cv_retrain_opts o;
    mlp_opts(&o);
    o.coteach = 1;
    o.train.epochs = 20;
    la_error err;
    float mem[5 * 20];
    for (size_t j = 0; j < 100; j++) mem[j] = -1;
    cv_curve cu = {.cap = 20, .train_acc = mem, .train_loss = mem + 20, .val_acc = mem + 40,
                   .val_loss = mem + 60, .heldout_acc = mem + 80};
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, f.yte, f.P, &cu, NULL, &err), 0);
    assert_int_equal(cu.n, 20);
    assert_int_equal(cu.best, -1);
    assert_true(cu.heldout_acc[19] > 0.85);
    assert_true(accuracy(f.P, f.yte, f.nte, f.k) > 0.85);
    assert_true(recall_of(f.P, f.yte, f.nte, f.k, 0) > 0.75);
    /* rates out of range are refused */
    o.co.forget_rate = 1.5;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), LA_EUSAGE);
    /* co-teaching needs an mlp */
    o.co.forget_rate = 0.2;
    o.train.model = CV_MODEL_LOGREG;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), LA_EUSAGE);
    fx_free(&f);
}

/* cv_robust_coteach_predict is exactly (p_a + p_b) / 2 of the two networks. */
static void test_coteach_predict_is_mean(void **state)
{
    (void)state;
    fixture f;
    fx_make(&f, 600, 200, NULL);
    cv_retrain_opts o;
    mlp_opts(&o);
    la_error err;
    cv_model *a = NULL, *b = NULL;
    assert_int_equal(cv_robust_coteach_fit(&o.train, &o.co, f.X, f.n, f.d, f.y, f.k, &a, &b, &err), 0);
    double *pa = malloc(f.nte * f.k * sizeof *pa), *pb = malloc(f.nte * f.k * sizeof *pb);
    assert_int_equal(cv_model_predict_proba(a, f.T, f.nte, pa, &err), 0);
    assert_int_equal(cv_model_predict_proba(b, f.T, f.nte, pb, &err), 0);
    assert_int_equal(cv_robust_coteach_predict(a, b, f.T, f.nte, f.k, f.P, &err), 0);
    double maxdiff = 0.0;
    for (size_t j = 0; j < f.nte * f.k; j++) {
        assert_true(f.P[j] > 0.0);
        assert_true(f.P[j] == 0.5 * (pa[j] + pb[j]));
        maxdiff = fmax(maxdiff, fabs(pa[j] - pb[j]));
    }
    assert_true(maxdiff > 1e-6);          /* two different networks, not one twice */
    for (size_t i = 0; i < f.nte; i++)
        assert_true(fabs(f.P[i * f.k] + f.P[i * f.k + 1] + f.P[i * f.k + 2] - 1.0) < 1e-12);
    assert_true(accuracy(f.P, f.yte, f.nte, f.k) > 0.9);
    cv_model_free(a); cv_model_free(b);
    free(pa); free(pb);
    fx_free(&f);
}

/* cv_run with co-teaching per fold: fold 0's out-of-fold probabilities are
 * exactly those of a pair co-taught by hand on the other folds' rows (no
 * standardization, so no scaler in between) and predicted with the mean;
 * with 30% of class 0 flipped to class 1 the out-of-fold argmax gives back
 * the true class of most flipped rows; a second run gives the same bytes;
 * a logreg is refused. */
static void test_cv_run_coteach(void **state)
{
    (void)state;
    fixture f;
    fx_make(&f, 1500, 1, NULL);
    int32_t *truth = malloc(f.n * sizeof *truth), *fold = malloc(f.n * sizeof *fold);
    int32_t *ytr = malloc(f.n * sizeof *ytr);
    float *Xtr = malloc(f.n * f.d * sizeof *Xtr), *Xte = malloc(f.n * f.d * sizeof *Xte);
    double *P = malloc(f.n * f.k * sizeof *P), *P2 = malloc(f.n * f.k * sizeof *P2);
    memcpy(truth, f.y, f.n * sizeof *truth);
    la_rng r;
    la_rng_seed(&r, 7, 3);
    size_t flipped = 0, recovered = 0, ntr = 0, nte = 0;
    for (size_t i = 0; i < f.n; i++) {
        fold[i] = (int32_t)(i % 3);
        if (f.y[i] == 0 && la_rng_uniform(&r) < 0.3) { f.y[i] = 1; flipped++; }
    }
    cv_retrain_opts o;
    mlp_opts(&o);
    o.co.forget_rate = 0.3;
    o.train.epochs = 20;
    cv_run_opts ro = {.n_folds = 3, .threads = 1, .standardize = 0, .coteach = &o.co};
    la_error err;
    assert_int_equal(cv_run(&o.train, &ro, f.X, f.n, f.d, f.y, NULL, f.k, fold, P, NULL, &err), 0);

    /* fold 0 by hand: fit on folds 1-2 (seed + 1000003 * 0), predict fold 0 */
    for (size_t i = 0; i < f.n; i++) {
        if (fold[i] == 0) { memcpy(Xte + nte * f.d, f.X + i * f.d, f.d * sizeof *Xte); nte++; continue; }
        memcpy(Xtr + ntr * f.d, f.X + i * f.d, f.d * sizeof *Xtr);
        ytr[ntr++] = f.y[i];
    }
    cv_model *a = NULL, *b = NULL;
    assert_int_equal(cv_robust_coteach_fit(&o.train, &o.co, Xtr, ntr, f.d, ytr, f.k, &a, &b, &err), 0);
    assert_int_equal(cv_robust_coteach_predict(a, b, Xte, nte, f.k, P2, &err), 0);
    for (size_t i = 0, j = 0; i < f.n; i++) {
        if (fold[i] != 0) continue;
        assert_memory_equal(P + i * f.k, P2 + j * f.k, f.k * sizeof *P);
        j++;
    }
    cv_model_free(a); cv_model_free(b);

    for (size_t i = 0; i < f.n; i++) {
        if (truth[i] != 0 || f.y[i] != 1) continue;
        recovered += P[i * f.k] > P[i * f.k + 1];
    }
    assert_true(flipped > 100);
    assert_true((double)recovered / (double)flipped > 0.85);
    assert_true(accuracy(P, truth, f.n, f.k) > 0.9);
    assert_int_equal(cv_run(&o.train, &ro, f.X, f.n, f.d, f.y, NULL, f.k, fold, P2, NULL, &err), 0);
    assert_memory_equal(P, P2, f.n * f.k * sizeof *P);
    o.train.model = CV_MODEL_LOGREG;
    assert_int_equal(cv_run(&o.train, &ro, f.X, f.n, f.d, f.y, NULL, f.k, fold, P2, NULL, &err), LA_EUSAGE);
    free(truth); free(fold); free(ytr); free(Xtr); free(Xte); free(P); free(P2);
    fx_free(&f);
}

static void test_decouple_helps_rare_class(void **state)
{
    (void)state;
    const double prior[3] = {0.495, 0.495, 0.01};
    fixture f;
    fx_make(&f, 3000, 600, prior);
    cv_retrain_opts o;
    mlp_opts(&o);
    la_error err;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), 0);
    double r_plain = recall_of(f.P, f.yte, f.nte, f.k, 2);
    o.decouple = 1;
    /* the balanced head's own probabilities (issue 19: by default they are
     * mapped back to the data's priors, see prior.h) */
    o.train.raw_probs = 1;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), 0);
    double r_dec = recall_of(f.P, f.yte, f.nte, f.k, 2);
    assert_true(r_dec >= r_plain);
    assert_true(r_dec > 0.8);
    /* undersampled stage 2 works too */
    o.train.sampler = CV_SAMPLER_UNDERSAMPLE;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), 0);
    assert_true(recall_of(f.P, f.yte, f.nte, f.k, 2) > 0.7);
    /* no hidden layer: refused */
    o.train.n_hidden = 0;
    assert_int_equal(cv_retrain_run(&o, f.X, f.n, f.d, f.y, NULL, f.k, f.T, f.nte, NULL, f.P, NULL, NULL, &err), LA_EUSAGE);
    fx_free(&f);
}

static void test_hidden_matches_layout(void **state)
{
    (void)state;
    /* a 2-4-3 mlp with hand-set parameters: H = relu(x W0 + b0) */
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = CV_MODEL_MLP;
    o.hidden[0] = 4;
    o.n_hidden = 1;
    cv_model *m;
    la_error err;
    assert_int_equal(cv_model_init(&o, 2, 3, &m, &err), 0);
    size_t P;
    float *p = cv_model_params(m, &P);
    assert_int_equal(P, 2 * 4 + 4 * 3 + 4 + 3);
    for (size_t j = 0; j < P; j++) p[j] = 0;
    /* W0 (2 x 4) */
    p[0] = 1; p[1] = -1; p[2] = 2; p[3] = 0;
    p[4] = 0; p[5] = 1;  p[6] = 1; p[7] = -3;
    /* b0 after W0 (8) and W1 (12): offset 20 */
    p[20] = 0.5f; p[21] = 0; p[22] = 0; p[23] = 1;
    float X[2] = {1, 2}, H[4];
    assert_int_equal(cv_robust_hidden(m, &o, 2, 3, X, 1, H, &err), 0);
    /* x W0 = (1, 1, 4, -6); + b0 = (1.5, 1, 4, -5); relu */
    assert_float_equal(H[0], 1.5f, 1e-6);
    assert_float_equal(H[1], 1.0f, 1e-6);
    assert_float_equal(H[2], 4.0f, 1e-6);
    assert_float_equal(H[3], 0.0f, 1e-6);
    cv_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_logreg_and_mlp),
        cmocka_unit_test(test_scaler_fitted_on_training_rows),
        cmocka_unit_test(test_coteach_resists_flips),
        cmocka_unit_test(test_coteach_predict_is_mean),
        cmocka_unit_test(test_cv_run_coteach),
        cmocka_unit_test(test_decouple_helps_rare_class),
        cmocka_unit_test(test_hidden_matches_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
