/* test_cv_rebalance.c — cmocka tests of issue 19's library code: the prior
 * correction (cv/prior: the map by hand, the training shares of each
 * option, and on a synthetic problem with a known prior shift the corrected
 * probabilities match the Bayes posterior), the top-up oversampling
 * (cv/sampler: targets, SMOTE rows on segments of their class, image
 * augmentation), --rebalance auto's recorded choice (cv/rebalance) and the
 * operating point (metrics: the threshold rule, the file round trip) and
 * early stopping on the class-balanced validation loss (cv/train, cv/mlp). */
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

#include "cv/mlp.h"
#include "cv/prior.h"
#include "cv/rebalance.h"
#include "cv/robust.h"
#include "cv/sampler.h"
#include "metrics/metrics.h"
#include "util/la_rng.h"
#include <jansson.h>

static void test_prior_correct_by_hand(void **state)
{
    (void)state;
    /* p' = (0.5, 0.5) trained at shares (0.5, 0.5), data (0.9, 0.1):
     * p = (0.5 * 1.8, 0.5 * 0.2) / 1 = (0.9, 0.1) */
    double p[4] = {0.5, 0.5, 0.2, 0.8}, pi[2] = {0.9, 0.1}, pt[2] = {0.5, 0.5};
    cv_prior_correct(p, 2, 2, pi, pt);
    assert_true(fabs(p[0] - 0.9) < 1e-12 && fabs(p[1] - 0.1) < 1e-12);
    /* (0.2 * 1.8, 0.8 * 0.2) = (0.36, 0.16) / 0.52 */
    assert_true(fabs(p[2] - 0.36 / 0.52) < 1e-12 && fabs(p[3] - 0.16 / 0.52) < 1e-12);
    /* identity when the shares agree */
    double q[2] = {0.3, 0.7};
    cv_prior_correct(q, 1, 2, pi, pi);
    assert_true(fabs(q[0] - 0.3) < 1e-12 && fabs(q[1] - 0.7) < 1e-12);
}

static void test_prior_shift_of_options(void **state)
{
    (void)state;
    int32_t y[100];
    for (int i = 0; i < 100; i++) y[i] = i < 90 ? 0 : 1;       /* 90 : 10 */
    double pi[2], pt[2];
    cv_train_opts o;
    cv_train_opts_init(&o);
    assert_int_equal(cv_prior_shift(&o, 0, y, 100, 2, pi, pt), 0);     /* plain: no shift */
    assert_true(fabs(pi[1] - 0.1) < 1e-12 && pt[1] == pi[1]);
    assert_int_equal(cv_prior_shifts(&o, 0), 0);
    o.sampler = CV_SAMPLER_OVERSAMPLE;                                  /* balanced */
    assert_int_equal(cv_prior_shift(&o, 0, y, 100, 2, pi, pt), 1);
    assert_true(fabs(pt[0] - 0.5) < 1e-12);
    o.sampler = CV_SAMPLER_NONE;
    o.loss = CV_LOSS_WEIGHTED;                                          /* 90 w0 = 10 w1 */
    assert_int_equal(cv_prior_shift(&o, 0, y, 100, 2, pi, pt), 1);
    assert_true(fabs(pt[1] - 0.5) < 1e-12);
    o.loss = CV_LOSS_LOGIT_ADJUSTED;                                    /* pi^(1 - tau) */
    o.tau = 0.5;
    assert_int_equal(cv_prior_shift(&o, 0, y, 100, 2, pi, pt), 1);
    double a0 = sqrt(0.9), a1 = sqrt(0.1);
    assert_true(fabs(pt[1] - a1 / (a0 + a1)) < 1e-12);
    o.loss = CV_LOSS_CE;
    o.oversample_ratio = 0.5;                                           /* 90 : 45 */
    assert_int_equal(cv_prior_shift(&o, 0, y, 100, 2, pi, pt), 1);
    assert_true(fabs(pt[1] - 45.0 / 135.0) < 1e-12);
    o.oversample_ratio = 0;
    o.model = CV_MODEL_MLP;
    o.n_hidden = 1;
    assert_int_equal(cv_prior_shift(&o, 1, y, 100, 2, pi, pt), 1);      /* decoupled head */
    assert_true(fabs(pt[0] - 0.5) < 1e-12);
}

/* Two gaussians N(-1, 1), N(+1, 1) per coordinate (d = 2), shares 0.9 /
 * 0.1: the Bayes posterior is p(1|x) = sigmoid(2 (x1 + x2) + log(1/9)). */
static void gaussians(size_t n, uint64_t seed, float *X, int32_t *y, double *post)
{
    la_rng r;
    la_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++) {
        y[i] = la_rng_uniform(&r) < 0.1;
        double m = y[i] ? 1.0 : -1.0, s = 0.0;
        for (int j = 0; j < 2; j++) { X[i * 2 + j] = (float)(m + la_rng_normal(&r)); s += X[i * 2 + j]; }
        post[i] = 1.0 / (1.0 + exp(-(2.0 * s + log(1.0 / 9.0))));
    }
}

static void test_prior_correction_recovers_posterior(void **state)
{
    (void)state;
    enum { N = 6000, NT = 4000 };
    float *X = malloc(N * 2 * sizeof *X), *T = malloc(NT * 2 * sizeof *T);
    int32_t *y = malloc(N * sizeof *y), *yt = malloc(NT * sizeof *yt);
    double *post = malloc(N * sizeof *post), *pt = malloc(NT * sizeof *pt), *P = malloc(NT * 2 * sizeof *P);
    gaussians(N, 1, X, y, post);
    gaussians(NT, 2, T, yt, pt);
    la_error err;
    cv_loss_kind losses[] = {CV_LOSS_CE, CV_LOSS_WEIGHTED, CV_LOSS_LOGIT_ADJUSTED};
    for (int v = 0; v < 4; v++) {
        cv_train_opts o;
        cv_train_opts_init(&o);
        o.l2 = 1.0;
        o.l2_default = 0;
        o.seed = 5;
        if (v < 3) o.loss = losses[v];
        if (v == 0) o.sampler = CV_SAMPLER_OVERSAMPLE;
        if (v == 3) o.oversample_ratio = 1.0;                         /* SMOTE to balance */
        double err_raw = 0.0, err_fix = 0.0, mean_fix = 0.0;
        for (int raw = 1; raw >= 0; raw--) {
            o.raw_probs = raw;
            assert_int_equal(cv_robust_fit_predict(&o, NULL, 0, X, N, 2, y, NULL, 2, T, NT, P, &err), 0);
            double e = 0.0;
            for (size_t i = 0; i < NT; i++) {
                e += fabs(P[i * 2 + 1] - pt[i]);
                if (!raw) mean_fix += P[i * 2 + 1];
            }
            if (raw) err_raw = e / NT; else err_fix = e / NT;
        }
        mean_fix /= NT;
        /* raw: calibrated to the balanced shares, far from the posterior;
         * corrected: within a few points of it, and the mean back at ~0.1 */
        if (!(err_raw > 0.05 && err_fix < 0.03 && err_fix < err_raw / 3 && fabs(mean_fix - 0.1) < 0.02))
            fail_msg("variant %d: mean |p - posterior| raw %.4f corrected %.4f, mean p %.4f", v, err_raw, err_fix, mean_fix);
    }
    free(X); free(T); free(y); free(yt); free(post); free(pt); free(P);
}

static void test_topup_smote_and_images(void **state)
{
    (void)state;
    /* class 0: 20 rows on x2 = 0 with x1 in [0, 19]; class 1: 4 rows on the
     * segment x2 = 5, x1 in {0, 1, 2, 3}; R = 0.5 -> 10 rows of class 1 */
    enum { N = 24, D = 2 };
    float X[N * D];
    int32_t y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i >= 20;
        X[i * D] = (float)(i >= 20 ? i - 20 : i);
        X[i * D + 1] = i >= 20 ? 5.0f : 0.0f;
    }
    size_t t[2];
    cv_sampler_ratio_targets(y, N, 2, 0.5, t);
    assert_int_equal(t[0], 20);
    assert_int_equal(t[1], 10);
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.oversample_ratio = 0.5;
    o.seed = 3;
    float *Xo, *swo;
    int32_t *yo;
    size_t no;
    la_error err;
    assert_int_equal(cv_sampler_topup(&o, X, N, D, y, NULL, 2, &Xo, &yo, &swo, &no, &err), 0);
    assert_int_equal(no, 30);
    assert_memory_equal(Xo, X, sizeof X);                        /* every row once, first */
    for (size_t j = N; j < no; j++) {
        assert_int_equal(yo[j], 1);
        assert_true(Xo[j * D + 1] == 5.0f);                       /* on the class's segment */
        assert_true(Xo[j * D] >= 0.0f && Xo[j * D] <= 3.0f);
        assert_true(swo[j] == 1.0f);
    }
    float *Xo2, *swo2;
    int32_t *yo2;
    size_t no2;
    assert_int_equal(cv_sampler_topup(&o, X, N, D, y, NULL, 2, &Xo2, &yo2, &swo2, &no2, &err), 0);
    assert_memory_equal(Xo, Xo2, no * D * sizeof *Xo);           /* deterministic */
    free(Xo); free(yo); free(swo); free(Xo2); free(yo2); free(swo2);

    /* images: a 9 x 9 bright square; the augmented copy keeps most of its mass */
    float img[81], tmp[81];
    for (int i = 0; i < 81; i++) img[i] = (i / 9 >= 3 && i / 9 <= 5 && i % 9 >= 3 && i % 9 <= 5) ? 1.0f : 0.0f;
    o.image_w = o.image_h = 9;
    o.channels = 1;
    la_rng r;
    la_rng_seed(&r, 1, 0);
    float a[81];
    memcpy(a, img, sizeof a);
    cv_sampler_augment_strong(&o, a, tmp, &r);
    double mass = 0.0, diff = 0.0;
    for (int i = 0; i < 81; i++) { mass += a[i]; diff += fabs(a[i] - img[i]); }
    assert_true(fabs(mass - 9.0) < 3.0);
    assert_true(diff > 0.5);                                      /* but it moved */
}

static void test_rebalance_choice_recorded(void **state)
{
    (void)state;
    enum { N = 1500 };
    float *X = malloc(N * 2 * sizeof *X);
    int32_t *y = malloc(N * sizeof *y);
    double *post = malloc(N * sizeof *post);
    gaussians(N, 7, X, y, post);
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.seed = 11;
    cv_rebalance_opts rb = {.select_by = CV_SELECT_PR_AUC, .precision = 0.5, .inner_folds = 3};
    cv_rebalance_choice ch;
    la_error err;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &ch, &err), 0);
    for (int s = 0; s < CV_REB_N; s++) {
        assert_int_equal(ch.tried[s], s != CV_REB_DECOUPLE);      /* logreg: all but decouple */
        if (ch.tried[s]) assert_true(ch.score[s] > 0.3 && ch.score[s] <= 1.0);
        else assert_true(isnan(ch.score[s]));
    }
    assert_true(ch.tried[ch.chosen]);
    assert_int_equal(ch.select_by, CV_SELECT_PR_AUC);
    for (int s = 0; s < CV_REB_N; s++) assert_true(isnan(ch.guard_gain[s]));   /* pr-auc: no second PR-AUC */
    /* plain unless another's paired gain clears the margin and its error;
     * then the best pooled score among those that do */
    int passes[CV_REB_N] = {0};
    for (int s = 1; s < CV_REB_N; s++)
        passes[s] = ch.tried[s] && ch.gain[s] > CV_REB_MARGIN && ch.gain[s] > ch.gain_se[s];
    if (ch.chosen != CV_REB_PLAIN) assert_true(passes[ch.chosen]);
    for (int s = 1; s < CV_REB_N; s++) {
        if (passes[s]) assert_true(ch.chosen != CV_REB_PLAIN && ch.score[s] <= ch.score[ch.chosen]);
        if (ch.tried[s]) assert_true(isfinite(ch.gain[s]) && ch.gain_se[s] > 0 && isfinite(ch.gain_se[s]));
        /* the gain is the pooled scores' difference, not a mean of per-fold gains */
        if (ch.tried[s]) {
            assert_true(ch.gain[s] == ch.score[s] - ch.score[CV_REB_PLAIN]);
            assert_true(ch.blend_gain[s] == ch.blend_score[s] - ch.score[CV_REB_PLAIN]);
        }
    }
    uint8_t rare[2];
    assert_int_equal(cv_rebalance_rare(y, N, 2, rare), 1);
    assert_true(rare[1] && !rare[0]);
    /* the same inputs make the same choice */
    cv_rebalance_choice ch2;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &ch2, &err), 0);
    assert_memory_equal(&ch, &ch2, sizeof ch);
    /* recall-guarded: R@P scores, and a chosen candidate (strategy or blend)
     * whose PR-AUC gain is >= -its error; the guard is recorded for all */
    rb.select_by = CV_SELECT_RECALL_GUARDED;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &ch, &err), 0);
    for (int s = 1; s < CV_REB_N; s++)
        if (ch.tried[s])
            assert_true(isfinite(ch.guard_gain[s]) && ch.guard_gain_se[s] > 0 && isfinite(ch.blend_guard_gain[s]));
    if (ch.chosen != CV_REB_PLAIN) {
        double g = ch.blend ? ch.blend_guard_gain[ch.chosen] : ch.guard_gain[ch.chosen];
        double se = ch.blend ? ch.blend_guard_gain_se[ch.chosen] : ch.guard_gain_se[ch.chosen];
        assert_true(g >= -se);
    }
    rb.precision = 0.5;
    rb.select_by = CV_SELECT_RECALL_AT_PRECISION;
    cv_rebalance_choice ch3;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &ch3, &err), 0);
    for (int s = 0; s < CV_REB_N; s++) if (ch.tried[s]) assert_true(ch.score[s] == ch3.score[s]);
    /* recall-at-precision: the same PR-AUC gains beside its score (to say when
     * its choice loses PR-AUC), but no guard on the choice */
    assert_int_equal(ch3.select_by, CV_SELECT_RECALL_AT_PRECISION);
    for (int s = 1; s < CV_REB_N; s++)
        if (ch.tried[s])
            assert_true(ch3.guard_gain[s] == ch.guard_gain[s] && ch3.guard_gain_se[s] == ch.guard_gain_se[s] &&
                        ch3.blend_guard_gain[s] == ch.blend_guard_gain[s]);
    /* knn compares plain and oversampling only */
    o.model = CV_MODEL_KNN;
    rb.select_by = CV_SELECT_BALANCED_ACCURACY;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &ch, &err), 0);
    assert_true(ch.tried[CV_REB_PLAIN] && ch.tried[CV_REB_OVERSAMPLE] && !ch.tried[CV_REB_FOCAL]);
    free(X); free(y); free(post);
}

/* Repeated inner k-folds: repeats 0 and 1 are the single split; three
 * repeats average three splits (other scores), keep the determinism, and
 * their corrected standard error is wider than the naive sd / sqrt(R F). */
static void test_choose_repeats(void **state)
{
    (void)state;
    enum { N = 1200 };
    static float X[N * 2];
    static int32_t y[N];
    static double post[N];
    cv_rebalance_opts rb = {.select_by = CV_SELECT_PR_AUC, .precision = 0.5, .inner_folds = 3, .repeats = 0};
    cv_rebalance_choice c0, c1, c3, c3b;
    la_error err;
    cv_train_opts o;
    cv_train_opts_init(&o);
    o.seed = 3;
    gaussians(N, 5, X, y, post);
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &c0, &err), 0);
    rb.repeats = 1;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &c1, &err), 0);
    assert_memory_equal(&c0, &c1, sizeof c0);
    rb.repeats = 3;
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &c3, &err), 0);
    assert_int_equal(cv_rebalance_choose(&o, &rb, X, N, 2, y, NULL, 2, &c3b, &err), 0);
    assert_memory_equal(&c3, &c3b, sizeof c3);
    int differ = 0;
    for (int s = 0; s < CV_REB_N; s++) {
        if (!c3.tried[s]) continue;
        assert_true(c3.score[s] > 0.3 && c3.score[s] <= 1.0);
        differ |= c3.score[s] != c1.score[s];
        if (s != CV_REB_PLAIN) assert_true(isfinite(c3.gain_se[s]) && c3.gain_se[s] >= 0);
    }
    assert_true(differ);
}

/* "Without saying so": a choice whose pooled inner score is below plain's
 * is flagged, and its JSON says below_plain; plain or a better score is not. */
static void test_rebalance_below_plain(void **state)
{
    (void)state;
    cv_rebalance_choice ch;
    memset(&ch, 0, sizeof ch);
    for (int s = 0; s < CV_REB_N; s++) ch.score[s] = NAN;
    ch.tried[CV_REB_PLAIN] = ch.tried[CV_REB_FOCAL] = 1;
    ch.score[CV_REB_PLAIN] = 0.80;
    ch.score[CV_REB_FOCAL] = 0.78;
    ch.chosen = CV_REB_PLAIN;
    assert_false(cv_rebalance_below_plain(&ch));
    ch.chosen = CV_REB_FOCAL;
    assert_true(cv_rebalance_below_plain(&ch));
    json_t *j = cv_rebalance_choice_json(&ch);
    assert_true(json_is_true(json_object_get(j, "below_plain")));
    json_decref(j);
    ch.score[CV_REB_FOCAL] = NAN;                 /* no score: not shown to be as good */
    assert_true(cv_rebalance_below_plain(&ch));
    ch.score[CV_REB_FOCAL] = 0.80;                /* a tie is not below */
    assert_false(cv_rebalance_below_plain(&ch));
    j = cv_rebalance_choice_json(&ch);
    assert_null(json_object_get(j, "below_plain"));
    json_decref(j);
}

/* "Without saying so", PR-AUC: a non-plain choice whose PR-AUC gain over
 * plain is below zero is flagged with that gain and its error, from the
 * guard under recall-guarded (and the other non-PR-AUC scores), from the
 * gain itself under pr-auc; plain, a gain of zero or an unknown gain is not.
 * The JSON says loses_pr_auc with the two figures only when flagged. */
static void test_rebalance_loses_pr_auc(void **state)
{
    (void)state;
    cv_rebalance_choice ch;
    memset(&ch, 0, sizeof ch);
    for (int s = 0; s < CV_REB_N; s++)
        ch.score[s] = ch.gain[s] = ch.gain_se[s] = ch.blend_score[s] = ch.blend_gain[s] = ch.blend_gain_se[s] =
            ch.guard_gain[s] = ch.guard_gain_se[s] = ch.blend_guard_gain[s] = ch.blend_guard_gain_se[s] = NAN;
    ch.select_by = CV_SELECT_RECALL_GUARDED;
    ch.tried[CV_REB_PLAIN] = ch.tried[CV_REB_WEIGHTED] = 1;
    ch.score[CV_REB_PLAIN] = 0.40; ch.score[CV_REB_WEIGHTED] = 0.46;
    ch.gain[CV_REB_WEIGHTED] = 0.06; ch.gain_se[CV_REB_WEIGHTED] = 0.03;
    ch.guard_gain[CV_REB_WEIGHTED] = -0.007; ch.guard_gain_se[CV_REB_WEIGHTED] = 0.014;
    ch.blend_guard_gain[CV_REB_WEIGHTED] = 0.005; ch.blend_guard_gain_se[CV_REB_WEIGHTED] = 0.01;
    double g = 1, se = 1;
    ch.chosen = CV_REB_PLAIN;
    assert_false(cv_rebalance_loses_pr_auc(&ch, &g, &se));
    assert_true(g == 0.0 && se == 0.0);
    ch.chosen = CV_REB_WEIGHTED;
    assert_true(cv_rebalance_loses_pr_auc(&ch, &g, &se));
    assert_true(g == -0.007 && se == 0.014);
    assert_false(cv_rebalance_below_plain(&ch));   /* its own score is above plain's */
    json_t *j = cv_rebalance_choice_json(&ch);
    assert_true(json_is_true(json_object_get(j, "loses_pr_auc")));
    assert_float_equal(json_real_value(json_object_get(j, "chosen_pr_auc_gain")), -0.007, 1e-15);
    assert_float_equal(json_real_value(json_object_get(j, "chosen_pr_auc_gain_se")), 0.014, 1e-15);
    json_decref(j);
    ch.blend = 1;                                   /* the blend's guard gains */
    assert_false(cv_rebalance_loses_pr_auc(&ch, NULL, NULL));
    j = cv_rebalance_choice_json(&ch);
    assert_null(json_object_get(j, "loses_pr_auc"));
    assert_null(json_object_get(j, "chosen_pr_auc_gain"));
    json_decref(j);
    ch.blend = 0;
    ch.guard_gain[CV_REB_WEIGHTED] = 0.0;           /* no loss at zero */
    assert_false(cv_rebalance_loses_pr_auc(&ch, NULL, NULL));
    ch.guard_gain[CV_REB_WEIGHTED] = NAN;           /* unknown: not shown to lose */
    assert_false(cv_rebalance_loses_pr_auc(&ch, NULL, NULL));
    ch.select_by = CV_SELECT_PR_AUC;                /* pr-auc: the gain is the PR-AUC gain */
    ch.gain[CV_REB_WEIGHTED] = -0.01;
    assert_true(cv_rebalance_loses_pr_auc(&ch, &g, &se));
    assert_true(g == -0.01 && se == 0.03);
}

/* The bootstrap's weighted score: counts of 1 give cv_rebalance_score, and
 * integer counts give the score of the rows repeated that often (ties in
 * the probabilities grouped the same way), for every select-by. */
static void test_score_weighted(void **state)
{
    (void)state;
    enum { N = 400, K = 3 };
    static double P[N * K], Pd[4 * N * K];
    static int32_t y[N], yd[4 * N];
    static uint8_t w[N];
    la_rng g;
    la_rng_seed(&g, 9, 0);
    size_t m = 0;
    for (size_t i = 0; i < N; i++) {
        y[i] = i % 20 == 0 ? 2 : i % 7 == 0 ? 1 : 0;
        double a = (double)la_rng_below(&g, 10) + (y[i] == 2 ? 3.0 : 0.0), b = (double)la_rng_below(&g, 10), c = 5.0;
        P[i * K + 2] = a; P[i * K + 1] = b; P[i * K] = c;      /* integer scores: many ties */
        double t = a + b + c;
        for (int j = 0; j < K; j++) P[i * K + j] /= t;
        w[i] = (uint8_t)la_rng_below(&g, 4);
        for (uint8_t r = 0; r < w[i]; r++) { memcpy(Pd + m * K, P + i * K, K * sizeof *P); yd[m++] = y[i]; }
    }
    uint8_t rare[K] = {0, 1, 1};
    for (int sel = 0; sel < 3; sel++) {
        cv_rebalance_opts rb = {.select_by = (cv_select_by)sel, .precision = 0.5, .inner_folds = 3};
        double a = cv_rebalance_score(&rb, y, P, N, K, rare), b = cv_rebalance_score_weighted(&rb, y, P, N, K, rare, NULL);
        assert_true(isfinite(a) && fabs(a - b) < 1e-12);
        a = cv_rebalance_score(&rb, yd, Pd, m, K, rare);
        b = cv_rebalance_score_weighted(&rb, y, P, N, K, rare, w);
        assert_true(isfinite(a) && fabs(a - b) < 1e-12);
    }
}

static void test_operating_point(void **state)
{
    (void)state;
    /* class 2 at threshold 0.3: row 0 (p2 0.35) becomes 2, row 1 (p2 0.2)
     * stays the argmax of the others */
    const int32_t lab[3] = {2, 1, 0};
    const double P[9] = {0.40, 0.25, 0.35, 0.10, 0.70, 0.20, 0.80, 0.15, 0.05};
    mt_metrics m, a;
    la_error err;
    assert_int_equal(mt_compute(lab, P, 3, 3, &a, &err), 0);
    assert_int_equal(mt_compute_at_threshold(lab, P, 3, 3, 2, 0.3, &m, &err), 0);
    assert_int_equal(a.confusion[2 * 3 + 0], 1);                /* argmax: 2 -> 0 */
    assert_int_equal(m.confusion[2 * 3 + 2], 1);                /* threshold: 2 -> 2 */
    assert_true(m.accuracy == 1.0 && a.accuracy < 1.0);
    assert_true(m.per_class[2].pr_auc == a.per_class[2].pr_auc);
    mt_metrics_free(&m); mt_metrics_free(&a);
    assert_int_equal(mt_rarest_class((const int32_t[]){0, 0, 1, 2, 2}, 5, 4), 1);

    char path[] = "/tmp/la-thrXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    mt_pr_point pt = {.threshold = 0.123456789012345, .precision = 0.9, .recall = 0.5};
    mt_stage_opts so = {.positive = 2, .has_constraint = 1, .kind = MT_MIN_PRECISION, .value = 0.9};
    assert_int_equal(mt_threshold_write(path, "Shirt", 2, &pt, &so, &err), 0);
    mt_threshold_file t;
    assert_int_equal(mt_threshold_read(path, &t, &err), 0);
    assert_string_equal(t.class_name, "Shirt");
    assert_true(t.threshold == pt.threshold);
    assert_true(t.precision == 0.9 && t.recall == 0.5);
    free(t.class_name);
    FILE *fp = fopen(path, "w");
    fputs("{\"class\": \"Shirt\"}\n", fp);
    fclose(fp);
    assert_int_equal(mt_threshold_read(path, &t, &err), LA_EUSAGE);
    assert_null(t.class_name);
    assert_non_null(strstr(err.msg, "threshold"));
    unlink(path);
}

/* --stop-on balanced: the validation weights make the weighted mean loss the
 * mean of the classes' mean losses (an absent class does not count), and the
 * rule then follows that loss, not the accuracy. */
static void test_stop_on_balanced(void **state)
{
    (void)state;
    int32_t y[10] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    double L[10] = {0.1, 0.2, 0.1, 0.3, 0.2, 0.1, 0.1, 0.3, 4.0, 2.0};
    float sw[10];
    cv_train_opts o;
    cv_train_opts_init(&o);
    cv_train_val_weights(&o, y, 10, 3, sw);
    for (int i = 0; i < 10; i++) assert_float_equal(sw[i], 1.0, 0.0);
    o.stop_on = CV_STOP_BALANCED;
    cv_train_val_weights(&o, y, 10, 3, sw);
    assert_float_equal(sw[0], 10.0 / (2 * 8), 1e-6);
    assert_float_equal(sw[9], 10.0 / (2 * 2), 1e-6);
    double wmean = 0.0, m0 = 0.0, m1 = 0.0;
    for (int i = 0; i < 10; i++) {
        wmean += sw[i] * L[i] / 10.0;
        if (y[i]) m1 += L[i] / 2.0; else m0 += L[i] / 8.0;
    }
    assert_float_equal(wmean, (m0 + m1) / 2.0, 1e-6);
    assert_string_equal(cv_stop_on_name(o.stop_on), "balanced");

    /* a lower loss at a lower accuracy: an improvement only when the loss rules */
    double best_acc = 0.99, best_loss = 1.0;
    assert_int_equal(cv_mlp_improved(&o, 0.95, 0.5, &best_acc, &best_loss), 1);
    assert_float_equal(best_loss, 0.5, 0.0);
    o.stop_on = CV_STOP_ACCURACY;
    best_acc = 0.99; best_loss = 1.0;
    assert_int_equal(cv_mlp_improved(&o, 0.95, 0.5, &best_acc, &best_loss), 0);
    assert_int_equal(cv_mlp_improved(&o, 0.99, 0.5, &best_acc, &best_loss), 1);
    o.model = CV_MODEL_LOGREG;
    assert_int_equal(cv_train_stops_early(&o), 0);
    o.model = CV_MODEL_CNN;
    assert_int_equal(cv_train_stops_early(&o), 1);
}

/* The select-by names and the rebalancing rules every front end shares. */
static void test_select_parse_and_rules(void **state)
{
    (void)state;
    cv_select_by s = CV_SELECT_PR_AUC;
    double p = 0.5;
    assert_int_equal(cv_select_parse("balanced-accuracy", &s, &p), 0);
    assert_int_equal(s, CV_SELECT_BALANCED_ACCURACY);
    assert_int_equal(cv_select_parse("recall-guarded:0.7", &s, &p), 0);
    assert_int_equal(s, CV_SELECT_RECALL_GUARDED);
    assert_true(p == 0.7);
    assert_int_equal(cv_select_parse("recall-at-precision", &s, &p), 0);
    assert_int_equal(s, CV_SELECT_RECALL_AT_PRECISION);
    assert_true(p == 0.7);                                /* no P: kept */
    assert_int_equal(cv_select_parse("recall-at-precision=0.25", &s, &p), 0);
    assert_true(p == 0.25);
    assert_int_equal(cv_select_parse("pr-auc", &s, &p), 0);
    assert_int_equal(s, CV_SELECT_PR_AUC);
    const char *bad[] = {"f1", "recall-guarded:2", "recall-guarded:", "recall-guarded:0.5x", "pr-auc:0.5", "pr-aucx", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(cv_select_parse(bad[i], &s, &p), -1);
        assert_int_equal(s, CV_SELECT_PR_AUC);            /* nothing written */
        assert_true(p == 0.25);
    }

    cv_train_opts t;
    cv_train_opts_init(&t);
    la_error err;
    assert_int_equal(cv_rebalance_check(&t, 0, 1, &err), 0);
    assert_int_equal(cv_rebalance_check(&t, 1, 0, &err), LA_EUSAGE);             /* logreg: no network */
    assert_non_null(strstr(err.msg, "--model cnn"));
    t.model = CV_MODEL_CNN;
    assert_int_equal(cv_rebalance_check(&t, 1, 0, &err), 0);
    assert_int_equal(cv_rebalance_check(&t, 1, 1, &err), LA_EUSAGE);             /* auto chooses it */
    assert_non_null(strstr(err.msg, "drop --decouple"));
    t.loss = CV_LOSS_FOCAL;
    assert_int_equal(cv_rebalance_check(&t, 0, 1, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "drop --loss"));
    t.loss = CV_LOSS_CE;
    t.sampler = CV_SAMPLER_OVERSAMPLE;
    assert_int_equal(cv_rebalance_check(&t, 0, 0, &err), 0);
    t.oversample_ratio = 0.2;
    assert_int_equal(cv_rebalance_check(&t, 0, 0, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not both"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prior_correct_by_hand),
        cmocka_unit_test(test_prior_shift_of_options),
        cmocka_unit_test(test_prior_correction_recovers_posterior),
        cmocka_unit_test(test_topup_smote_and_images),
        cmocka_unit_test(test_rebalance_choice_recorded),
        cmocka_unit_test(test_choose_repeats),
        cmocka_unit_test(test_score_weighted),
        cmocka_unit_test(test_rebalance_below_plain),
        cmocka_unit_test(test_rebalance_loses_pr_auc),
        cmocka_unit_test(test_operating_point),
        cmocka_unit_test(test_stop_on_balanced),
        cmocka_unit_test(test_select_parse_and_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
