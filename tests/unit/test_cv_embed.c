/* test_cv_embed.c — cmocka tests of the out-of-fold hidden-layer embedding
 * (cv_stage_opts.embed, cv_robust_fit_predict_embed; `cv --embed-out`) on the
 * Glass table: asking for it leaves the probabilities bit for bit as they
 * were; it is n x the last hidden width, finite, non-negative (ReLU) and not
 * constant; it does not depend on the threads; the mlp's own two-layer
 * embedding takes the last width; a model without a hidden layer is refused
 * with LA_EUSAGE and a zeroed result. Skips when ../shared is missing. */
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
#include "io/dataset.h"

static la_dataset g_ds;
static int g_have;

static int setup(void **state)
{
    (void)state;
    char path[512];
    const char *shared = getenv("LA_SHARED");
    snprintf(path, sizeof path, "%s/data/tabular/Glass.csv", shared ? shared : "../shared");
    if (access(path, R_OK)) return 0;
    la_error err;
    la_error_clear(&err);
    io_load_opts lo;
    io_load_opts_init(&lo);
    g_have = io_dataset_load(path, &lo, &g_ds, &err) == 0;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (g_have) io_dataset_free(&g_ds);
    return 0;
}

static void run(int embed, int threads, cv_model_kind model, const int *hidden, int n_hidden, cv_stage_result *r,
                int want_rc)
{
    la_error err;
    la_error_clear(&err);
    cv_stage_opts o = {.n_folds = 3, .seed = 5, .threads = threads, .standardize = 1, .embed = embed};
    cv_train_opts_init(&o.train);
    o.train.model = model;
    o.train.epochs = 15;
    o.train.n_hidden = n_hidden;
    for (int l = 0; l < n_hidden; l++) o.train.hidden[l] = hidden[l];
    assert_int_equal(cv_stage(&g_ds, NULL, &o, r, &err), want_rc);
}

static void test_embedding(void **state)
{
    (void)state;
    if (!g_have) { skip(); return; }
    const int h[] = {16};
    cv_stage_result a, b, c;
    run(0, 1, CV_MODEL_MLP, h, 1, &a, 0);
    run(1, 1, CV_MODEL_MLP, h, 1, &b, 0);
    run(1, 2, CV_MODEL_MLP, h, 1, &c, 0);
    assert_null(a.embed);
    assert_non_null(b.embed);
    assert_int_equal(b.embed_dim, 16);
    /* the probabilities do not change when the embedding is kept */
    assert_memory_equal(a.probs, b.probs, a.n * a.k * sizeof *a.probs);
    /* nor does the embedding depend on the threads */
    assert_memory_equal(b.embed, c.embed, b.n * b.embed_dim * sizeof *b.embed);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < b.n * b.embed_dim; i++) {
        assert_true(isfinite(b.embed[i]) && b.embed[i] >= 0.0f);      /* ReLU */
        if (b.embed[i] < lo) lo = b.embed[i];
        if (b.embed[i] > hi) hi = b.embed[i];
    }
    assert_true(hi > lo);
    cv_stage_result_free(&a);
    cv_stage_result_free(&b);
    cv_stage_result_free(&c);
}

static void test_last_layer_width(void **state)
{
    (void)state;
    if (!g_have) { skip(); return; }
    const int h[] = {12, 7};
    cv_stage_result r;
    run(1, 1, CV_MODEL_MLP, h, 2, &r, 0);
    assert_int_equal(r.embed_dim, 7);
    cv_stage_result_free(&r);
}

static void test_refused_without_hidden_layer(void **state)
{
    (void)state;
    if (!g_have) { skip(); return; }
    cv_stage_result r;
    memset(&r, 0xff, sizeof r);
    run(1, 1, CV_MODEL_LOGREG, NULL, 0, &r, LA_EUSAGE);
    assert_null(r.embed);
    assert_null(r.probs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_last_layer_width),
        cmocka_unit_test(test_refused_without_hidden_layer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
