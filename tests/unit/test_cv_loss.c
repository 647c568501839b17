/* test_cv_loss.c — cmocka tests for cv/loss and the model objectives: every
 * loss's gradient against central finite differences (per row in double, and
 * through logreg and mlp in float32), focal with gamma 0 equals CE, and the
 * class weights against hand-computed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv/loss.h"
#include "cv/model.h"
#include "util/la_rng.h"

#define K 4

static cv_loss make_loss(cv_loss_kind kind, double smoothing, const double *cw)
{
    cv_loss L;
    memset(&L, 0, sizeof L);
    L.kind = kind;
    L.k = K;
    L.smoothing = smoothing;
    L.gamma = 2.0;
    L.gce_q = 0.7;
    L.sce_alpha = 0.1;
    L.sce_beta = 1.0;
    L.class_w = cw;
    return L;
}

/* max relative error of the analytic gradient against (L(z+h) - L(z-h)) / 2h */
static double row_fd_error(const cv_loss *L, const double *z0, int32_t y)
{
    double z[K], g[K], worst = 0.0, h = 1e-6;
    memcpy(z, z0, sizeof z);
    cv_loss_row(L, z, y, g);
    for (int j = 0; j < K; j++) {
        double zj = z[j];
        z[j] = zj + h;
        double fp = cv_loss_row(L, z, y, NULL);
        z[j] = zj - h;
        double fm = cv_loss_row(L, z, y, NULL);
        z[j] = zj;
        double num = (fp - fm) / (2 * h);
        double e = fabs(num - g[j]) / (fabs(num) + fabs(g[j]) + 1e-8);
        if (e > worst) worst = e;
    }
    return worst;
}

static void test_loss_gradients_finite_differences(void **state)
{
    (void)state;
    const double cw[K] = {0.5, 1.0, 2.0, 1.5};
    const double zs[3][K] = {{0.3, -1.2, 2.0, 0.1}, {-3.0, 4.0, 0.0, 1.0}, {0.0, 0.0, 0.0, 0.0}};
    for (int kind = CV_LOSS_CE; kind <= CV_LOSS_SCE; kind++)
        for (int sm = 0; sm < 2; sm++)
            for (int zi = 0; zi < 3; zi++)
                for (int32_t y = 0; y < K; y++) {
                    cv_loss L = make_loss((cv_loss_kind)kind, sm ? 0.1 : 0.0, kind == CV_LOSS_CE ? NULL : cw);
                    double e = row_fd_error(&L, zs[zi], y);
                    if (e > 1e-5)
                        fail_msg("loss %s smoothing %d z %d y %d: relative gradient error %g",
                                 cv_loss_name((cv_loss_kind)kind), sm, zi, y, e);
                }
}

static void test_focal_gamma0_equals_ce(void **state)
{
    (void)state;
    const double z[K] = {0.7, -0.2, 1.5, -2.0};
    cv_loss ce = make_loss(CV_LOSS_CE, 0.0, NULL), fo = make_loss(CV_LOSS_FOCAL, 0.0, NULL);
    fo.gamma = 0.0;
    for (int32_t y = 0; y < K; y++) {
        double g1[K], g2[K];
        double a = cv_loss_row(&ce, z, y, g1), b = cv_loss_row(&fo, z, y, g2);
        assert_true(fabs(a - b) < 1e-12);
        for (int j = 0; j < K; j++) assert_true(fabs(g1[j] - g2[j]) < 1e-12);
    }
    /* CE value by hand: -log softmax(z)_y */
    double s = 0;
    for (int j = 0; j < K; j++) s += exp(z[j]);
    assert_true(fabs(cv_loss_row(&ce, z, 2, NULL) - (log(s) - z[2])) < 1e-12);
    /* focal with gamma 2 is below CE for a confident correct row */
    fo.gamma = 2.0;
    assert_true(cv_loss_row(&fo, z, 2, NULL) < cv_loss_row(&ce, z, 2, NULL));
}

static void test_gce_and_sce_values(void **state)
{
    (void)state;
    const double z[K] = {1.0, 0.0, -1.0, 0.5};
    double s = 0;
    for (int j = 0; j < K; j++) s += exp(z[j]);
    double p0 = exp(z[0]) / s;
    cv_loss g = make_loss(CV_LOSS_GCE, 0.0, NULL);
    assert_true(fabs(cv_loss_row(&g, z, 0, NULL) - (1 - pow(p0, 0.7)) / 0.7) < 1e-12);
    /* SCE with one-hot target: 0.1 CE + 1.0 * (-log 1e-4) (1 - p_y) */
    cv_loss sc = make_loss(CV_LOSS_SCE, 0.0, NULL);
    double want = 0.1 * -log(p0) + -log(1e-4) * (1 - p0);
    assert_true(fabs(cv_loss_row(&sc, z, 0, NULL) - want) < 1e-10);
}

static void test_effective_number_weights_by_hand(void **state)
{
    (void)state;
    /* n_0 = 1, n_1 = 10, n_2 = 0 (absent), beta = 0.9:
     * raw w = (0.1/0.1, 0.1/(1-0.9^10)) = (1, 0.153534...), scaled to sum 2 */
    int32_t y[11] = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    double w[3];
    cv_class_weights_effective(y, 11, 3, 0.9, w);
    double r1 = 0.1 / (1 - pow(0.9, 10));
    assert_true(fabs(w[0] - 2.0 / (1 + r1)) < 1e-12);
    assert_true(fabs(w[1] - 2.0 * r1 / (1 + r1)) < 1e-12);
    assert_true(fabs(w[0] - 1.7338024) < 1e-6);
    assert_true(fabs(w[1] - 0.2661976) < 1e-6);
    assert_true(w[2] == 0.0);
    /* beta = 0: equal weights */
    cv_class_weights_effective(y, 11, 3, 0.0, w);
    assert_true(fabs(w[0] - 1.0) < 1e-12 && fabs(w[1] - 1.0) < 1e-12);
    /* inverse frequency n / (K' n_c): 11/(2*1), 11/(2*10) */
    cv_class_weights_inverse(y, 11, 3, w);
    assert_true(fabs(w[0] - 5.5) < 1e-12 && fabs(w[1] - 0.55) < 1e-12 && w[2] == 0.0);
}

/* Finite differences through a model's objective in float32: central
 * differences with step h on a sample of parameters. */
static void model_fd(cv_model_kind kind, cv_loss_kind loss, double smoothing)
{
    enum { N = 24, D = 5, KK = 3 };
    float X[N * D], sw[N];
    int32_t y[N];
    la_rng r;
    la_rng_seed(&r, 42, 0);
    for (int i = 0; i < N * D; i++) X[i] = (float)la_rng_normal(&r);
    for (int i = 0; i < N; i++) { y[i] = i % KK; sw[i] = (float)(0.5 + la_rng_uniform(&r)); }
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.model = kind;
    o.loss = loss;
    o.smoothing = smoothing;
    o.l2 = 0.3;
    o.hidden[0] = 6; o.hidden[1] = 4; o.n_hidden = 2;
    o.seed = 3;
    la_error err;
    cv_model *m;
    assert_int_equal(cv_model_init(&o, D, KK, &m, &err), 0);
    size_t np;
    float *p = cv_model_params(m, &np);
    for (size_t j = 0; j < np; j++) p[j] += (float)(0.3 * la_rng_normal(&r));  /* off the init */
    float *g = calloc(np, sizeof *g);
    cv_model_objective(m, &o, X, N, y, sw, g);
    double worst = 0.0;
    if (kind == CV_MODEL_LOGREG) {
        /* smooth: every coordinate */
        for (size_t j = 0; j < np; j++) {
            float pj = p[j], h = 1e-2f;
            p[j] = pj + h;
            double fp = cv_model_objective(m, &o, X, N, y, sw, NULL);
            p[j] = pj - h;
            double fm = cv_model_objective(m, &o, X, N, y, sw, NULL);
            p[j] = pj;
            double num = (fp - fm) / (2.0 * h);
            double e = fabs(num - g[j]) / (fabs(num) + fabs(g[j]) + 1e-2);
            if (e > worst) worst = e;
        }
    } else {
        /* ReLU kinks: directional derivatives along random directions, small step */
        float *p0 = malloc(np * sizeof *p0), *v = malloc(np * sizeof *v);
        memcpy(p0, p, np * sizeof *p0);
        for (int t = 0; t < 8; t++) {
            double gv = 0.0, h = 1e-3;
            for (size_t j = 0; j < np; j++) { v[j] = (float)la_rng_normal(&r); gv += (double)g[j] * v[j]; }
            for (size_t j = 0; j < np; j++) p[j] = p0[j] + (float)h * v[j];
            double fp = cv_model_objective(m, &o, X, N, y, sw, NULL);
            for (size_t j = 0; j < np; j++) p[j] = p0[j] - (float)h * v[j];
            double fm = cv_model_objective(m, &o, X, N, y, sw, NULL);
            double num = (fp - fm) / (2.0 * h);
            double e = fabs(num - gv) / (fabs(num) + fabs(gv) + 1e-2);
            if (e > worst) worst = e;
        }
        memcpy(p, p0, np * sizeof *p0);
        free(p0); free(v);
    }
    free(g);
    cv_model_free(m);
    if (worst > 2e-2)
        fail_msg("%s loss %s: relative gradient error %g", cv_model_name(kind), cv_loss_name(loss), worst);
}

static void test_logreg_objective_gradient(void **state)
{
    (void)state;
    for (int kind = CV_LOSS_CE; kind <= CV_LOSS_SCE; kind++) model_fd(CV_MODEL_LOGREG, (cv_loss_kind)kind, 0.0);
    model_fd(CV_MODEL_LOGREG, CV_LOSS_CE, 0.1);
    model_fd(CV_MODEL_LOGREG, CV_LOSS_FOCAL, 0.1);
}

static void test_mlp_objective_gradient(void **state)
{
    (void)state;
    for (int kind = CV_LOSS_CE; kind <= CV_LOSS_SCE; kind++) model_fd(CV_MODEL_MLP, (cv_loss_kind)kind, 0.0);
    model_fd(CV_MODEL_MLP, CV_LOSS_GCE, 0.2);
}

static void test_loss_batch_weights_and_scale(void **state)
{
    (void)state;
    float Z[2 * K] = {0.1f, 0.2f, 0.3f, 0.4f, 1.0f, -1.0f, 0.0f, 0.5f};
    int32_t y[2] = {3, 1};
    float sw[2] = {2.0f, 0.0f}, G[2 * K];
    cv_loss L = make_loss(CV_LOSS_CE, 0.0, NULL);
    size_t correct = 0;
    double z0[K] = {0.1, 0.2, 0.3, 0.4}, g0[K];
    double want = 2.0 * cv_loss_row(&L, z0, 3, g0);
    double got = cv_loss_batch(&L, Z, 2, y, sw, 0.5f, G, &correct);
    assert_true(fabs(got - want) < 1e-6);
    assert_int_equal(correct, 1);            /* row 0 argmax 3 = y; row 1 argmax 0 != 1 */
    for (int j = 0; j < K; j++) {
        assert_true(fabs(G[j] - 0.5 * 2.0 * g0[j]) < 1e-6);
        assert_true(G[K + j] == 0.0f);       /* weight 0: no gradient */
    }
}

/* logreg's objective (its own cross-entropy path for ce / weighted /
 * balanced without smoothing) against the general per-row loss summed by
 * hand: J = sum_i sw_i L(x_i W + b, y_i) + (l2 / 2) ||W||^2 and its gradient
 * dJ/dW = sum_i sw_i x_i^T g_i + l2 W, dJ/db = sum_i sw_i g_i. */
static void test_logreg_ce_objective_by_hand(void **state)
{
    (void)state;
    enum { N = 40, D = 4, KK = 3 };
    float X[N * D], sw[N];
    int32_t y[N];
    la_rng r;
    la_rng_seed(&r, 9, 0);
    for (int i = 0; i < N * D; i++) X[i] = (float)la_rng_normal(&r);
    for (int i = 0; i < N; i++) { y[i] = (i * 5) % 7 < 4 ? 0 : 1 + i % 2; sw[i] = (float)(0.25 + la_rng_uniform(&r)); }
    cv_loss_kind kinds[] = {CV_LOSS_CE, CV_LOSS_WEIGHTED, CV_LOSS_BALANCED};
    for (int t = 0; t < 3; t++) {
        cv_train_opts o;
        cv_train_opts_init(&o);
        o.loss = kinds[t];
        o.beta = 0.9;
        o.l2 = 0.7;
        la_error err;
        cv_model *m;
        assert_int_equal(cv_model_init(&o, D, KK, &m, &err), 0);
        size_t np;
        float *p = cv_model_params(m, &np);
        for (size_t j = 0; j < np; j++) p[j] = (float)(0.5 * la_rng_normal(&r));
        float g[D * KK + KK];
        double J = cv_model_objective(m, &o, X, N, y, sw, g);
        double cw[KK], want = 0.0, gw[D * KK + KK] = {0};
        cv_loss L;
        cv_loss_setup(&o, y, N, KK, cw, &L);
        for (int i = 0; i < N; i++) {
            double z[KK], gz[KK];
            for (int c = 0; c < KK; c++) {
                z[c] = p[D * KK + c];
                for (int j = 0; j < D; j++) z[c] += (double)X[i * D + j] * p[j * KK + c];
            }
            want += sw[i] * cv_loss_row(&L, z, y[i], gz);
            for (int c = 0; c < KK; c++) {
                for (int j = 0; j < D; j++) gw[j * KK + c] += sw[i] * X[i * D + j] * gz[c];
                gw[D * KK + c] += sw[i] * gz[c];
            }
        }
        for (int j = 0; j < D * KK; j++) { want += 0.5 * o.l2 * p[j] * p[j]; gw[j] += o.l2 * p[j]; }
        if (fabs(J - want) > 1e-5 * fabs(want))
            fail_msg("%s: objective %.9g, by hand %.9g", cv_loss_name(kinds[t]), J, want);
        for (int j = 0; j < D * KK + KK; j++)
            if (fabs(g[j] - gw[j]) > 1e-4 * (1.0 + fabs(gw[j])))
                fail_msg("%s: gradient %d is %g, by hand %g", cv_loss_name(kinds[t]), j, (double)g[j], gw[j]);
        cv_model_free(m);
    }
}

/* logit-adjusted: the loss is CE at z + s, its gradient (w.r.t. z) checked
 * against finite differences per row and through logreg and the mlp. */
static void test_logit_adjusted_gradient(void **state)
{
    (void)state;
    const double shift[K] = {-0.01, -2.3, -0.7, -4.6};
    const double zs[3][K] = {{0.3, -1.2, 2.0, 0.1}, {-3.0, 4.0, 0.0, 1.0}, {0.0, 0.0, 0.0, 0.0}};
    for (int sm = 0; sm < 2; sm++)
        for (int zi = 0; zi < 3; zi++)
            for (int32_t y = 0; y < K; y++) {
                cv_loss L = make_loss(CV_LOSS_LOGIT_ADJUSTED, sm ? 0.1 : 0.0, NULL);
                L.logit_shift = shift;
                double e = row_fd_error(&L, zs[zi], y);
                if (e > 1e-5) fail_msg("logit-adjusted smoothing %d z %d y %d: relative error %g", sm, zi, y, e);
                /* value: CE of the shifted logits */
                cv_loss ce = make_loss(CV_LOSS_CE, sm ? 0.1 : 0.0, NULL);
                double z2[K];
                for (int j = 0; j < K; j++) z2[j] = zs[zi][j] + shift[j];
                assert_true(fabs(cv_loss_row(&L, zs[zi], y, NULL) - cv_loss_row(&ce, z2, y, NULL)) < 1e-12);
            }
    /* s_c = tau log(n_c / n), an absent class counted as half a row */
    int32_t yy[10] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    double s3[3];
    cv_loss_logit_shift(yy, 10, 3, 0.5, s3);
    assert_true(fabs(s3[0] - 0.5 * log(0.8)) < 1e-12 && fabs(s3[1] - 0.5 * log(0.2)) < 1e-12);
    assert_true(fabs(s3[2] - 0.5 * log(0.05)) < 1e-12);
    assert_int_equal(cv_loss_parse("logit-adjusted"), CV_LOSS_LOGIT_ADJUSTED);
    model_fd(CV_MODEL_LOGREG, CV_LOSS_LOGIT_ADJUSTED, 0.0);
    model_fd(CV_MODEL_LOGREG, CV_LOSS_LOGIT_ADJUSTED, 0.1);
    model_fd(CV_MODEL_MLP, CV_LOSS_LOGIT_ADJUSTED, 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_gradients_finite_differences),
        cmocka_unit_test(test_focal_gamma0_equals_ce),
        cmocka_unit_test(test_gce_and_sce_values),
        cmocka_unit_test(test_effective_number_weights_by_hand),
        cmocka_unit_test(test_logreg_objective_gradient),
        cmocka_unit_test(test_mlp_objective_gradient),
        cmocka_unit_test(test_loss_batch_weights_and_scale),
        cmocka_unit_test(test_logreg_ce_objective_by_hand),
        cmocka_unit_test(test_logit_adjusted_gradient),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
