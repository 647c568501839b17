/*
 * retrain.h — the final model: fit preprocessing and one model on the whole
 * (cleaned) training set, predict a held-out test set. `retrain` drives it;
 * the test labels are used only for the per-epoch held-out accuracy curve,
 * never for fitting, preprocessing or early stopping (the mlp stops on its
 * own inner validation split of the training rows).
 * Library code: never prints.
 */
#ifndef CV_RETRAIN_H
#define CV_RETRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../io/dataset.h"
#include "../metrics/metrics.h"
#include "model.h"
#include "robust.h"
#include "rebalance.h"

typedef struct cv_retrain_opts {
    cv_train_opts train;      /* model, loss, sampler... (curve/eval/n_iter are set by cv_retrain_run) */
    int   standardize;        /* 1: standardize columns on the training rows  */
    const uint8_t *onehot;    /* d indicator columns (never standardized), or NULL */
    int   coteach;            /* 1: co-teaching (mlp), see robust.h           */
    cv_robust_coteach_opts co;
    int   decouple;           /* 1: decoupled rebalancing (mlp, cnn), robust.h */
    const cv_rebalance_opts *rebalance; /* --rebalance auto on the training set, or NULL */
    cv_rebalance_choice *choice;        /* receives auto's comparison (may be NULL) */
    const char *threshold_file; /* --threshold FILE (metrics --threshold-out): test
                                   predictions at that class's threshold, or NULL */
} cv_retrain_opts;

/* Xtr: n x d raw training features, y: n labels, sw: n weights or NULL;
 * Xte: nte x d raw test features, yte: nte test labels (curve only, may be
 * NULL). Writes probs (nte x k doubles). curve (may be NULL; arrays of
 * curve->cap entries) receives the learning curves; *iters (may be NULL) the
 * iterations or epochs run. With --decouple, stage 2 uses train.sampler
 * (oversample when none). Returns 0, LA_EUSAGE or LA_EINTERNAL with err. */
int cv_retrain_run(const cv_retrain_opts *o, const float *Xtr, size_t n, size_t d, const int32_t *y,
           const float *sw, size_t k, const float *Xte, size_t nte, const int32_t *yte,
           double *probs, cv_curve *curve, int *iters, la_error *err);

/* ---- the retrain stage ----------------------------------------------------- */

/* What a retrain produces; every array is owned by the struct. */
typedef struct cv_retrain_result {
    size_t     n_train, n_test, k;
    double    *probs;         /* n_test x k test probabilities (float64)      */
    int32_t   *test_labels;   /* n_test, as the training set's class indices  */
    mt_metrics metrics;       /* on the test set                              */
    cv_curve   curve;         /* learning curve (curve.cap 0 for knn)         */
    float     *curve_mem;     /* storage behind curve, NAN where not measured */
    int        iters;         /* iterations or epochs run                     */
    double     seconds;       /* wall time of the fit and prediction          */
    long       thr_class;     /* --threshold: its class index, -1 = argmax    */
    double     thr_value;     /* ... and threshold                            */
    double     thr_precision; /* ... precision and recall where it was chosen */
    double     thr_recall;    /*     (the file's; NAN when it has none)       */
    cv_rebalance_choice choice; /* --rebalance auto: compared and chosen       */
} cv_retrain_result;

/* Checks that test carries train's features column for column and maps its
 * labels to train's class indices by name into test_labels (test->n).
 * Returns 0 or LA_EUSAGE naming the first mismatch. */
int cv_retrain_check_test(const la_dataset *train, const la_dataset *test, int32_t *test_labels,
                          la_error *err);

/* The retrain stage: checks the test set (above), fits on all of train
 * (features, labels, weights sw or NULL; o->onehot is taken from train) and
 * evaluates on test. The test labels reach only the metrics and the mlp's
 * held-out curve, never the fit. With o->threshold_file the metrics are
 * those of its decision rule (mt_compute_at_threshold); its class must be a
 * training class (LA_EUSAGE naming the file otherwise). Returns 0 (free *out with
 * cv_retrain_result_free) or LA_EUSAGE / LA_EINTERNAL with *out zeroed. */
int  cv_retrain_stage(const la_dataset *train, const float *sw, const la_dataset *test,
                      const cv_retrain_opts *o, cv_retrain_result *out, la_error *err);
void cv_retrain_result_free(cv_retrain_result *r);

/* "plain", "coteach" or "decouple". */
const char *cv_retrain_variant(const cv_retrain_opts *o);

/* The metrics.json document of a retrain: test metrics (cv's schema), then
 * kind, model, loss, sampler, variant (and co-teaching rates), train_data,
 * test_data, n_train, n_test, n, k, seed, threads, iterations, seconds,
 * load_seconds and the curves; only when used: "threshold" {class, value,
 * file}, "rebalance" {mode, select_by, chosen, scores}, "prior_correction",
 * "tau", "oversample_ratio". A new reference, or NULL when out of memory. */
json_t *cv_retrain_metrics_json(const cv_retrain_result *r, const cv_retrain_opts *o,
                                char *const *class_names, const char *train_path,
                                const char *test_path, double load_seconds);

/* Writes DIR (created if needed)/test_pred_probs.npy (float64),
 * test_labels.npy (int64), classes.txt (train's classes) and metrics.json
 * (doc, indented, 10 digits), each by temp file + rename. */
int cv_retrain_write(const cv_retrain_result *r, const la_dataset *train, const json_t *doc,
                     const char *dir, la_error *err);

#endif /* CV_RETRAIN_H */
