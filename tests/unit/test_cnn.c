/* test_cnn.c — cmocka tests for the convolutional network (cv/cnn.h) and the
 * ensembles (cv/ensemble.h): gradients against central finite differences
 * (cross-entropy + l2, focal, several chunks), the same weights and
 * probabilities at 1, 2 and 3 threads, learning a toy image task through
 * cv_model_fit, shape errors, the dense layer as the representation under
 * the output layer (cv_model_embed / cv_model_head) and decoupled training
 * of a rare class, and the ensemble's EM weights and mixture.
 * In-memory data only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv/cnn.h"
#include "cv/ensemble.h"
#include "cv/model.h"
#include "cv/robust.h"
#include "util/la_rng.h"

/* Toy images h x w x c: class y lights up quadrant y (of 4) plus noise. */
static void quadrant_images(size_t n, int h, int w, int c, size_t k, uint64_t seed, float *X, int32_t *y)
{
    la_rng r;
    la_rng_seed(&r, seed, 5);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % k);
        int qy = (y[i] / 2) % 2, qx = y[i] % 2;
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++)
                for (int ch = 0; ch < c; ch++) {
                    int on = (yy >= qy * h / 2 && yy < (qy + 1) * h / 2 && xx >= qx * w / 2 && xx < (qx + 1) * w / 2);
                    X[((i * h + yy) * w + xx) * c + ch] = (float)(on * 1.0 + 0.3 * la_rng_normal(&r));
                }
    }
}

/* n toy 8x8x1 quadrant images of k classes (free both). */
static void quadrant_set(size_t n, size_t k, uint64_t seed, float **X, int32_t **y)
{
    *X = malloc(n * 64 * sizeof **X);
    *y = malloc(n * sizeof **y);
    quadrant_images(n, 8, 8, 1, k, seed, *X, *y);
}

static cv_train_opts small_opts(int h, int w, int c)
{
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = CV_MODEL_CNN;
    o.image_h = h; o.image_w = w; o.channels = c;
    o.cnn_blocks = 2;
    o.cnn_filters[0] = 3; o.cnn_filters[1] = 4;
    o.cnn_dense = 5;
    o.seed = 3;
    return o;
}

/* Central differences dJ/dtheta_q ~ (J(theta + e) - J(theta - e)) / 2e for
 * every parameter, against the backward pass; prints the worst error. */
static void grad_check(cv_train_opts *o, size_t n, double l2)
{
    const int h = 8, w = 8, c = 2;
    const size_t k = 3, d = (size_t)h * w * c;
    float *X = malloc(n * d * sizeof *X);
    int32_t *y = malloc(n * sizeof *y);
    /* random inputs: the structured toy images leave near-ties in the deep
     * 2x2 poolings, kinks that finite differences cannot step over */
    la_rng r;
    la_rng_seed(&r, 11, 1);
    for (size_t i = 0; i < n * d; i++) X[i] = (float)la_rng_normal(&r);
    for (size_t i = 0; i < n; i++) y[i] = (int32_t)(i % k);
    cv_cnn *m = NULL;
    la_error err;
    assert_int_equal(cv_cnn_new(o, d, k, &m, &err), 0);
    /* biases off zero so that no ReLU sits exactly at its kink */
    la_rng_seed(&r, 1, 2);
    for (size_t q = 0; q < m->n_params; q++) m->params[q] += (float)(0.05 * la_rng_normal(&r));
    float *g = malloc(m->n_params * sizeof *g);
    double J = cv_cnn_objective(m, o, X, n, y, NULL, l2, g);
    assert_true(isfinite(J));
    const float eps = 1e-4f;           /* small: a kink (ReLU, pool switch) inside +-eps is rare */
    size_t bad = 0;
    double worst = 0.0;
    for (size_t q = 0; q < m->n_params; q++) {
        float keep = m->params[q];
        m->params[q] = keep + eps;
        double Jp = cv_cnn_objective(m, o, X, n, y, NULL, l2, NULL);
        m->params[q] = keep - eps;
        double Jm = cv_cnn_objective(m, o, X, n, y, NULL, l2, NULL);
        m->params[q] = keep;
        double fd = (Jp - Jm) / (2.0 * eps), e = fabs(fd - g[q]) / (1.0 + fabs(fd));
        if (e > worst) worst = e;
        if (e > 1e-2 && bad++ < 5) printf("  param %zu: backward %g, finite difference %g\n", q, (double)g[q], fd);
    }
    /* a max-pool switch or ReLU kink inside +-eps can spoil a few entries */
    printf("cnn gradient: %zu params, worst relative error %.2e, %zu above 1e-2: %s\n", m->n_params, worst, bad,
           bad <= m->n_params / 100 ? "OK" : "NOT OK");
    assert_true(bad <= m->n_params / 100);
    free(g); free(X); free(y);
    cv_cnn_free(m);
}

static void test_gradient_ce_l2(void **state)
{
    (void)state;
    cv_train_opts o = small_opts(8, 8, 2);
    grad_check(&o, 37, 0.5);                /* 3 chunks of up to 16 images */
}

static void test_gradient_focal_gce_three_blocks(void **state)
{
    (void)state;
    cv_train_opts o = small_opts(8, 8, 2);
    o.loss = CV_LOSS_FOCAL;
    o.cnn_blocks = 3;
    o.cnn_filters[2] = 3;
    grad_check(&o, 9, 0.0);
    o.loss = CV_LOSS_GCE;
    grad_check(&o, 40, 0.1);
}

/* The same seed gives the same bytes at 1, 2 and 3 threads (augmentation and
 * dropout on). */
static void test_threads_deterministic(void **state)
{
    (void)state;
    const int h = 12, w = 12, c = 1;
    const size_t n = 150, k = 4, d = (size_t)h * w * c;
    float *X = malloc(n * d * sizeof *X);
    int32_t *y = malloc(n * sizeof *y);
    quadrant_images(n, h, w, c, k, 2, X, y);
    double *P[3];
    float *W[3];
    size_t np = 0;
    for (int t = 0; t < 3; t++) {
        cv_train_opts o = small_opts(h, w, c);
        o.epochs = 4;
        o.batch_size = 40;
        o.augment = 1;
        o.dropout = 0.3;
        o.threads = t + 1;
        cv_model *m = NULL;
        la_error err;
        assert_int_equal(cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err), 0);
        P[t] = malloc(n * k * sizeof *P[t]);
        assert_int_equal(cv_model_predict_proba(m, X, n, P[t], &err), 0);
        float *p = cv_model_params(m, &np);
        W[t] = malloc(np * sizeof *W[t]);
        memcpy(W[t], p, np * sizeof *p);
        cv_model_free(m);
    }
    for (int t = 1; t < 3; t++) {
        assert_memory_equal(W[0], W[t], np * sizeof *W[0]);
        assert_memory_equal(P[0], P[t], n * k * sizeof *P[0]);
    }
    for (int t = 0; t < 3; t++) { free(P[t]); free(W[t]); }
    free(X); free(y);
}

/* Learns the quadrant task; rows of the probabilities sum to 1. */
static void test_learns_quadrants(void **state)
{
    (void)state;
    const int h = 16, w = 16, c = 1;
    const size_t n = 400, k = 4, d = (size_t)h * w * c;
    float *X = malloc(2 * n * d * sizeof *X);
    int32_t *y = malloc(2 * n * sizeof *y);
    quadrant_images(2 * n, h, w, c, k, 7, X, y);
    cv_train_opts o = small_opts(h, w, c);
    o.cnn_filters[0] = 8; o.cnn_filters[1] = 8; o.cnn_dense = 16;
    o.epochs = 8;
    o.threads = 2;
    cv_model *m = NULL;
    la_error err;
    assert_int_equal(cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err), 0);
    double *P = malloc(n * k * sizeof *P);
    assert_int_equal(cv_model_predict_proba(m, X + n * d, n, P, &err), 0);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        double s = 0.0;
        size_t am = 0;
        for (size_t j = 0; j < k; j++) { s += P[i * k + j]; if (P[i * k + j] > P[i * k + am]) am = j; assert_true(P[i * k + j] > 0); }
        assert_true(fabs(s - 1.0) < 1e-9);
        ok += (int32_t)am == y[n + i];
    }
    assert_true(ok >= n * 9 / 10);
    free(P); free(X); free(y);
    cv_model_free(m);
}

static void test_shape_errors(void **state)
{
    (void)state;
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = CV_MODEL_CNN;
    la_error err;
    cv_cnn *m = NULL;
    assert_int_equal(cv_cnn_new(&o, 784, 10, &m, &err), LA_EUSAGE);    /* no shape */
    assert_non_null(strstr(err.msg, "--image-shape"));
    o.image_h = 28; o.image_w = 28; o.channels = 1;
    assert_int_equal(cv_cnn_new(&o, 785, 10, &m, &err), LA_EUSAGE);    /* d mismatch */
    assert_non_null(strstr(err.msg, "785"));
    o.image_h = 2; o.image_w = 2; o.channels = 1;
    assert_int_equal(cv_cnn_new(&o, 4, 10, &m, &err), LA_EUSAGE);      /* too small to pool twice */
    assert_null(m);
    o.image_h = 28; o.image_w = 28;
    assert_int_equal(cv_cnn_new(&o, 784, 10, &m, &err), 0);
    /* 9*1*16+16 + 9*16*32+32 + 7*7*32*128+128 + 128*10+10 */
    assert_int_equal(m->n_params, 160 + 4640 + 200832 + 1290);
    cv_cnn_free(m);
}

/* The embedding is the layer under the output layer: softmax(H W2 + b2)
 * reproduces the prediction; a logreg has no such layer. */
static void test_embed_and_head(void **state)
{
    (void)state;
    const size_t n = 120, k = 4, d = 64;
    float *X;
    int32_t *y;
    quadrant_set(n, k, 5, &X, &y);
    cv_train_opts o = small_opts(8, 8, 1);
    o.epochs = 2;
    cv_model *m = NULL;
    la_error err;
    assert_int_equal(cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err), 0);
    size_t e = cv_model_embed_dim(m);
    assert_int_equal(e, 5);
    float *H = malloc(n * e * sizeof *H), *W, *b;
    double *P = malloc(n * k * sizeof *P);
    assert_int_equal(cv_model_embed(m, X, n, H, &err), 0);
    assert_int_equal(cv_model_head(m, &W, &b, &err), 0);
    assert_int_equal(cv_model_predict_proba(m, X, n, P, &err), 0);
    for (size_t i = 0; i < n; i++) {
        /* p_j = exp(z_j) / sum exp(z), z = h W + b */
        double z[4], mx = -INFINITY, s = 0.0;
        for (size_t j = 0; j < k; j++) {
            z[j] = b[j];
            for (size_t u = 0; u < e; u++) { assert_true(H[i * e + u] >= 0); z[j] += (double)H[i * e + u] * W[u * k + j]; }
            if (z[j] > mx) mx = z[j];
        }
        for (size_t j = 0; j < k; j++) s += exp(z[j] - mx);
        for (size_t j = 0; j < k; j++) assert_true(fabs(exp(z[j] - mx) / s - P[i * k + j]) < 1e-5);
    }
    cv_model_free(m);
    o.model = CV_MODEL_LOGREG;
    assert_int_equal(cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err), 0);
    assert_int_equal(cv_model_embed_dim(m), 0);
    assert_int_equal(cv_model_embed(m, X, n, H, &err), LA_EUSAGE);
    assert_int_equal(cv_model_head(m, &W, &b, &err), LA_EUSAGE);
    cv_model_free(m);
    free(H); free(P); free(X); free(y);
}

/* Recall of class c: the share of its rows whose argmax is c. */
static double recall_of(const double *P, const int32_t *y, size_t n, size_t k, int32_t c)
{
    size_t hit = 0, all = 0;
    for (size_t i = 0; i < n; i++) {
        if (y[i] != c) continue;
        size_t am = 0;
        for (size_t j = 1; j < k; j++) if (P[i * k + j] > P[i * k + am]) am = j;
        all++;
        hit += (int32_t)am == c;
    }
    return all ? (double)hit / (double)all : 0.0;
}

/* Decoupled training of a cnn (robust.h): the natural-distribution net
 * rarely predicts a 1.5% class; refitting only its output layer
 * class-balanced raises that class's recall (raw head probabilities), and
 * the convolutions and dense layer are the stage-1 net's, unchanged. */
static void test_decouple_cnn_rare_class(void **state)
{
    (void)state;
    const int h = 8, w = 8, c = 1;
    const size_t n = 1200, nte = 800, k = 2, d = (size_t)h * w * c;
    float *X = malloc((n + nte) * d * sizeof *X);
    int32_t *y = malloc((n + nte) * sizeof *y);
    /* two classes that overlap: quadrant 0 (class 0) against quadrant 1
     * dimmed to a faint signal (class 1, 1.5% of the training rows; 50% of
     * the test rows) */
    la_rng r;
    la_rng_seed(&r, 4, 4);
    for (size_t i = 0; i < n + nte; i++) {
        int rare = i < n ? la_rng_uniform(&r) < 0.015 : (i % 2 == 1);
        float *x = X + i * d;
        quadrant_images(1, h, w, c, 4, 100 + i, x, y + i);   /* y[i] = 0: quadrant 0 */
        if (rare) {
            for (int yy = 0; yy < h / 2; yy++)
                for (int xx = 0; xx < w; xx++) {
                    float *v = x + (yy * w + xx) * c;
                    *v += xx < w / 2 ? -0.35f : 0.35f;       /* move a little light to quadrant 1 */
                }
        }
        y[i] = rare;
    }
    size_t nr = 0;
    for (size_t i = 0; i < n; i++) nr += y[i];
    assert_true(nr >= 8 && nr <= 35);
    cv_train_opts o = small_opts(h, w, c);
    o.epochs = 8;
    o.threads = 2;
    la_error err;
    cv_model *plain = NULL, *dec = NULL;
    double *P = malloc(nte * k * sizeof *P);
    assert_int_equal(cv_model_fit(&o, X, n, d, y, NULL, k, &plain, &err), 0);
    assert_int_equal(cv_model_predict_proba(plain, X + n * d, nte, P, &err), 0);
    double r_plain = recall_of(P, y + n, nte, k, 1);
    assert_int_equal(cv_robust_decouple_fit(&o, CV_SAMPLER_NONE, X, n, d, y, NULL, k, &dec, &err), 0);
    assert_int_equal(cv_model_predict_proba(dec, X + n * d, nte, P, &err), 0);
    double r_dec = recall_of(P, y + n, nte, k, 1);
    printf("cnn rare-class recall: plain %.3f, decoupled %.3f\n", r_plain, r_dec);
    assert_true(r_dec > r_plain + 0.1);
    /* stage 1 is the plain fit (same options, no sampler): all but the head match */
    size_t pp, pd;
    float *a = cv_model_params(plain, &pp), *bb = cv_model_params(dec, &pd), *W, *b;
    assert_int_equal(pp, pd);
    assert_int_equal(cv_model_head(dec, &W, &b, &err), 0);
    size_t head0 = (size_t)(W - bb);
    assert_memory_equal(a, bb, head0 * sizeof *a);
    assert_true(memcmp(a + head0, bb + head0, (pp - head0) * sizeof *a) != 0);
    assert_true(cv_robust_decouples(&o));
    o.model = CV_MODEL_LOGREG;
    assert_false(cv_robust_decouples(&o));
    cv_model_free(plain);
    cv_model_free(dec);
    free(P); free(X); free(y);
}

/* EM: a perfect member against a uniform one gets (almost) all the weight. */
static void test_ensemble_em(void **state)
{
    (void)state;
    const size_t n = 50, k = 5;
    double *good = malloc(n * k * sizeof *good), *flat = malloc(n * k * sizeof *flat);
    int32_t y[50];
    for (size_t i = 0; i < n; i++) {
        y[i] = (int32_t)(i % k);
        for (size_t c = 0; c < k; c++) { good[i * k + c] = c == (size_t)y[i] ? 0.96 : 0.01; flat[i * k + c] = 0.2; }
    }
    const double *pv[2] = {good, flat};
    double w[2];
    cv_ensemble_em_weights(pv, 2, y, n, k, w);
    assert_true(w[0] > 0.95 && fabs(w[0] + w[1] - 1.0) < 1e-12);
    cv_ensemble_em_weights(pv, 2, y, 0, k, w);
    assert_true(w[0] == 0.5 && w[1] == 0.5);
    free(good); free(flat);
}

/* logreg + cnn on the toy task: rows sum to 1; weighted mode gives weights. */
static void test_ensemble_fit_predict(void **state)
{
    (void)state;
    const size_t n = 200, k = 4, d = 64;
    float *X;
    int32_t *y;
    quadrant_set(n, k, 9, &X, &y);
    cv_train_opts o = small_opts(8, 8, 1);
    o.model = CV_MODEL_ENSEMBLE;
    o.ensemble[0] = CV_MODEL_LOGREG;
    o.ensemble[1] = CV_MODEL_CNN;
    o.n_ensemble = 2;
    o.epochs = 3;
    double *P = malloc(n * k * sizeof *P), wts[2];
    la_error err;
    for (int weighted = 0; weighted < 2; weighted++) {
        o.ensemble_weighted = weighted;
        assert_int_equal(cv_ensemble_fit_predict(&o, X, n, d, y, NULL, k, X, n, P, wts, &err), 0);
        for (size_t i = 0; i < n; i++) {
            double s = 0.0;
            for (size_t j = 0; j < k; j++) s += P[i * k + j];
            assert_true(fabs(s - 1.0) < 1e-9);
        }
        assert_true(fabs(wts[0] + wts[1] - 1.0) < 1e-9);
        if (!weighted) assert_true(wts[0] == 0.5);
    }
    free(P); free(X); free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradient_ce_l2),
        cmocka_unit_test(test_gradient_focal_gce_three_blocks),
        cmocka_unit_test(test_threads_deterministic),
        cmocka_unit_test(test_learns_quadrants),
        cmocka_unit_test(test_shape_errors),
        cmocka_unit_test(test_embed_and_head),
        cmocka_unit_test(test_decouple_cnn_rare_class),
        cmocka_unit_test(test_ensemble_em),
        cmocka_unit_test(test_ensemble_fit_predict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
