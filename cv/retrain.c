/*
 * retrain.c — one fit on all training rows, one prediction of the test set
 * (retrain.h). Preprocessing: a scaler fitted on the training rows only,
 * then applied to both. The model: cv_model_fit, or co-teaching /
 * decoupled rebalancing from robust.c; co-teaching predicts with the mean
 * of its two networks' probabilities. Below it the retrain stage: the test
 * set checked against the training set, the fit, the test metrics, the
 * metrics.json document and the writers of the outputs.
 */
#include "retrain.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../io/dataset_write.h"
#include "../io/npy.h"
#include "../util/la_json.h"

#include "scaler.h"
#include "prior.h"

int cv_retrain_run(const cv_retrain_opts *o, const float *Xtr, size_t n, size_t d, const int32_t *y,
           const float *sw, size_t k, const float *Xte, size_t nte, const int32_t *yte,
           double *probs, cv_curve *curve, int *iters, la_error *err)
{
    cv_scaler sc;
    memset(&sc, 0, sizeof sc);
    float *Xs = NULL, *Ts = NULL;
    int rc;
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no training examples");
    if ((rc = cv_scaler_fit(&sc, Xtr, n, d, NULL, -1, o->onehot, o->standardize, err))) return rc;
    Xs = la_malloc_array(n * d, sizeof *Xs);
    Ts = la_malloc_array((nte ? nte : 1) * d, sizeof *Ts);
    if (!Xs || !Ts) goto oom;
    /* x' = (x - mean_train) / std_train, train and test alike */
    cv_scaler_apply(&sc, Xtr, NULL, n, Xs);
    cv_scaler_apply(&sc, Xte, NULL, nte, Ts);

    cv_train_opts t = o->train;
    t.curve = curve;
    t.eval_X = yte ? Ts : NULL;
    t.eval_y = yte;
    t.eval_n = yte ? nte : 0;
    t.n_iter = iters;
    t.aug_mean = sc.mean;
    t.aug_inv_scale = sc.inv_scale;
    int decouple = o->decouple;
    if (o->rebalance) {
        /* --rebalance auto: the strategy of best inner score on the training rows */
        cv_rebalance_choice ch;
        if ((rc = cv_rebalance_choose(&t, o->rebalance, Xs, n, d, y, sw, k, &ch, err))) goto done;
        if (o->choice) *o->choice = ch;
        rc = cv_rebalance_fit_predict(&t, &ch, o->coteach ? &o->co : NULL, Xs, n, d, y, sw, k, Ts, nte, probs, err);
    } else {
        rc = cv_robust_fit_predict(&t, o->coteach ? &o->co : NULL, decouple, Xs, n, d, y, sw, k, Ts, nte,
                                   probs, err);
    }
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    cv_scaler_free(&sc);
    free(Xs); free(Ts);
    return rc;
}

/* ---- the stage ------------------------------------------------------------ */

/* The test set must carry the training set's features, column for column. */
static int check_features(const la_dataset *tr, const la_dataset *te, la_error *err)
{
    if (!te->features || te->d == 0)
        return la_error_set(err, LA_EUSAGE, te->path, 0, "the test set has no feature columns");
    if (te->d != tr->d)
        return la_error_set(err, LA_EUSAGE, te->path, 0,
                            "the test set has %zu features, the training set %zu: they must match",
                            te->d, tr->d);
    if (tr->feature_names && te->feature_names)
        for (size_t j = 0; j < tr->d; j++)
            if (tr->feature_names[j] && te->feature_names[j] && strcmp(tr->feature_names[j], te->feature_names[j]))
                return la_error_setc(err, LA_EUSAGE, te->path, 1, te->feature_names[j],
                                     "feature %zu is '%.200s' in the test set but '%.200s' in the training set "
                                     "(same columns, same categories needed)", j + 1, te->feature_names[j],
                                     tr->feature_names[j]);
    return 0;
}

/* Test labels as training class indices, by class name. */
static int map_test_labels(const la_dataset *tr, const la_dataset *te, int32_t *out, la_error *err)
{
    int32_t *map = la_malloc_array(te->k + 1, sizeof *map);
    if (!map) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t c = 0; c < te->k; c++) {
        map[c] = -1;
        for (size_t j = 0; j < tr->k; j++)
            if (!strcmp(te->class_names[c], tr->class_names[j])) map[c] = (int32_t)j;
    }
    int rc = 0;
    for (size_t i = 0; i < te->n && !rc; i++) {
        int32_t c = map[te->labels[i]];
        if (c < 0)
            rc = la_error_set(err, LA_EUSAGE, te->path, 0,
                              "test example '%.200s' has class '%.200s', which the training set does not have "
                              "(the class lists must match)", te->ids ? te->ids[i] : "?",
                              te->class_names[te->labels[i]]);
        out[i] = c;
    }
    free(map);
    return rc;
}

static json_t *farr(const float *v, size_t n)
{
    json_t *a = json_array();
    for (size_t e = 0; e < n; e++)
        json_array_append_new(a, v && isfinite(v[e]) ? json_real(v[e]) : json_null());
    return a;
}

/* curves: per-epoch arrays (index = epoch - 1), null where not measured */
static json_t *curves_json(const cv_curve *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "epochs", json_integer((json_int_t)c->n));
    json_object_set_new(o, "train_accuracy", farr(c->train_acc, c->n));
    json_object_set_new(o, "train_loss", farr(c->train_loss, c->n));
    json_object_set_new(o, "val_accuracy", farr(c->val_acc, c->n));
    json_object_set_new(o, "val_loss", farr(c->val_loss, c->n));
    json_object_set_new(o, "heldout_accuracy", farr(c->heldout_acc, c->n));
    json_object_set_new(o, "best_epoch", json_integer(c->best));
    json_object_set_new(o, "early_stopping_epoch", c->best >= 0 ? json_integer(c->best + 1) : json_null());
    return o;
}

int cv_retrain_check_test(const la_dataset *train, const la_dataset *test, int32_t *test_labels,
                          la_error *err)
{
    int rc = check_features(train, test, err);
    return rc ? rc : map_test_labels(train, test, test_labels, err);
}

const char *cv_retrain_variant(const cv_retrain_opts *o)
{
    return o->coteach ? "coteach" : o->decouple ? "decouple" : "plain";
}

void cv_retrain_result_free(cv_retrain_result *r)
{
    mt_metrics_free(&r->metrics);
    free(r->probs); free(r->test_labels); free(r->curve_mem);
    memset(r, 0, sizeof *r);
}

/* The curve of a logreg (iterations) or mlp (epochs) fit, NAN-filled. */
static int alloc_curve(cv_retrain_result *r, const cv_train_opts *t)
{
    r->curve.best = -1;
    if (t->model == CV_MODEL_KNN) return 0;
    size_t cap = t->model == CV_MODEL_MLP ? (size_t)t->epochs : (size_t)t->max_iter + 2;
    if (!(r->curve_mem = la_malloc_array(5 * cap, sizeof *r->curve_mem))) return -1;
    cv_curve *c = &r->curve;
    float *m = r->curve_mem;
    c->cap = cap;
    c->train_acc = m; c->train_loss = m + cap; c->val_acc = m + 2 * cap;
    c->val_loss = m + 3 * cap; c->heldout_acc = m + 4 * cap;
    for (size_t j = 0; j < 5 * cap; j++) m[j] = NAN;
    return 0;
}

/* --threshold FILE: its class as a training class index, and the value. */
static int load_threshold(const char *path, const la_dataset *train, cv_retrain_result *out, la_error *err)
{
    mt_threshold_file t;
    int rc = mt_threshold_read(path, &t, err);
    if (rc) return rc;
    out->thr_value = t.threshold;
    out->thr_precision = t.precision;
    out->thr_recall = t.recall;
    for (size_t c = 0; c < train->k; c++)
        if (!strcmp(train->class_names[c], t.class_name)) out->thr_class = (long)c;
    if (out->thr_class < 0)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "class '%.200s' is not a class of the training set",
                          t.class_name);
    free(t.class_name);
    return rc;
}

int cv_retrain_stage(const la_dataset *train, const float *sw, const la_dataset *test,
                     const cv_retrain_opts *o, cv_retrain_result *out, la_error *err)
{
    assert(train && test && o && out);
    memset(out, 0, sizeof *out);
    const cv_train_opts *t = &o->train;
    out->n_train = train->n;
    out->n_test = test->n;
    out->k = train->k;
    int rc;
    if (!(out->test_labels = la_malloc_array(test->n + 1, sizeof *out->test_labels))) goto oom;
    if ((rc = cv_retrain_check_test(train, test, out->test_labels, err))) goto fail;
    if (alloc_curve(out, t)) goto oom;
    if (!(out->probs = la_malloc_array(test->n * train->k + 1, sizeof *out->probs))) goto oom;
    cv_retrain_opts ro = *o;
    ro.onehot = train->feature_onehot;
    ro.choice = &out->choice;
    out->thr_class = -1;
    if (o->threshold_file && (rc = load_threshold(o->threshold_file, train, out, err))) goto fail;
    double t1 = la_now();
    /* held-out curve (mlp epochs; not per L-BFGS iteration, too costly): the
     * test labels never touch the fit */
    if ((rc = cv_retrain_run(&ro, train->features, train->n, train->d, train->labels, sw, train->k,
                             test->features, test->n, t->model == CV_MODEL_MLP ? out->test_labels : NULL,
                             out->probs, out->curve.cap ? &out->curve : NULL, &out->iters, err)))
        goto fail;
    out->seconds = la_now() - t1;
    rc = out->thr_class >= 0
        ? mt_compute_at_threshold(out->test_labels, out->probs, test->n, train->k, (size_t)out->thr_class,
                                  out->thr_value, &out->metrics, err)
        : mt_compute(out->test_labels, out->probs, test->n, train->k, &out->metrics, err);
    if (rc) goto fail;
    return 0;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    cv_retrain_result_free(out);
    return rc;
}

/* The rebalancing and operating point keys, only where used. */
static void add_rebalance_keys(json_t *doc, const cv_retrain_result *r, const cv_retrain_opts *o,
                               char *const *class_names)
{
    const cv_train_opts *t = &o->train;
    if (t->loss == CV_LOSS_LOGIT_ADJUSTED) json_object_set_new(doc, "tau", json_real(t->tau));
    if (t->oversample_ratio > 0) json_object_set_new(doc, "oversample_ratio", json_real(t->oversample_ratio));
    if (o->rebalance) {
        json_t *j = cv_rebalance_choice_json(&r->choice);
        cv_rebalance_opts_json(j, o->rebalance);
        json_object_set_new(doc, "rebalance", j);
    }
    if (o->rebalance || cv_prior_shifts(t, o->decouple))
        json_object_set_new(doc, "prior_correction", json_string(t->raw_probs ? "raw" : "applied"));
    if (r->thr_class >= 0) {
        json_t *j = json_object();
        json_object_set_new(j, "class", json_string(class_names[r->thr_class]));
        json_object_set_new(j, "value", json_real(r->thr_value));
        json_object_set_new(j, "file", json_string(o->threshold_file));
        /* where it was chosen (the report marks it on the out-of-fold curve) */
        if (isfinite(r->thr_precision)) json_object_set_new(j, "chosen_precision", json_real(r->thr_precision));
        if (isfinite(r->thr_recall)) json_object_set_new(j, "chosen_recall", json_real(r->thr_recall));
        json_object_set_new(doc, "threshold", j);
    }
}

json_t *cv_retrain_metrics_json(const cv_retrain_result *r, const cv_retrain_opts *o,
                                char *const *class_names, const char *train_path,
                                const char *test_path, double load_seconds)
{
    json_t *doc = mt_to_json(&r->metrics, NULL, 0, class_names);
    if (!doc) return NULL;
    const cv_train_opts *t = &o->train;
    const char *sampler = t->sampler == CV_SAMPLER_OVERSAMPLE ? "oversample"
                        : t->sampler == CV_SAMPLER_UNDERSAMPLE ? "undersample" : "none";
    json_object_set_new(doc, "kind", json_string("retrain"));
    json_object_set_new(doc, "model", json_string(cv_model_name(t->model)));
    json_object_set_new(doc, "loss", json_string(cv_loss_name(t->loss)));
    json_object_set_new(doc, "sampler", json_string(sampler));
    json_object_set_new(doc, "variant", json_string(cv_retrain_variant(o)));
    const char *stop = cv_train_stop_on_recorded(t);
    if (stop) json_object_set_new(doc, "stop_on", json_string(stop));
    if (o->coteach) {
        json_object_set_new(doc, "forget_rate", json_real(o->co.forget_rate));
        json_object_set_new(doc, "forget_epochs", json_integer(o->co.forget_epochs));
    }
    json_object_set_new(doc, "train_data", json_string(train_path));
    json_object_set_new(doc, "test_data", json_string(test_path));
    json_object_set_new(doc, "n_train", json_integer((json_int_t)r->n_train));
    json_object_set_new(doc, "n_test", json_integer((json_int_t)r->n_test));
    json_object_set_new(doc, "n", json_integer((json_int_t)r->n_test));
    json_object_set_new(doc, "k", json_integer((json_int_t)r->k));
    json_object_set_new(doc, "seed", json_integer((json_int_t)t->seed));
    json_object_set_new(doc, "threads", json_integer(t->threads));
    json_object_set_new(doc, "iterations", json_integer(r->iters));
    json_object_set_new(doc, "seconds", json_real(r->seconds));
    json_object_set_new(doc, "load_seconds", json_real(load_seconds));
    if (r->curve.cap) json_object_set_new(doc, "curves", curves_json(&r->curve));
    add_rebalance_keys(doc, r, o, class_names);
    return doc;
}

int cv_retrain_write(const cv_retrain_result *r, const la_dataset *train, const json_t *doc,
                     const char *dir, la_error *err)
{
    assert(r && train && doc && dir);
    char path[PATH_MAX];
    int rc;
    if ((rc = la_mkdir_p(dir, err))) return rc;
    int64_t *lab64 = la_malloc_array(r->n_test + 1, sizeof *lab64);
    if (!lab64) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < r->n_test; i++) lab64[i] = r->test_labels[i];
    snprintf(path, sizeof path, "%s/test_pred_probs.npy", dir);
    rc = io_npy_save_f64(path, r->probs, r->n_test, r->k, err);
    snprintf(path, sizeof path, "%s/test_labels.npy", dir);
    if (!rc) rc = io_npy_save_i64(path, lab64, r->n_test, err);
    free(lab64);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    if ((rc = io_write_class_names(path, train, err))) return rc;
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    return la_json_write_file(doc, path, LA_JSON_READABLE, err);
}
