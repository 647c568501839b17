/*
 * metrics.h — classification metrics from labels and predicted probabilities:
 * per-class precision/recall/F1/support/PR-AUC, balanced accuracy, macro F1,
 * accuracy, log loss, the confusion matrix, per-class precision-recall curves
 * and the metrics.json document shared by `cv`, `retrain` and `metrics`.
 *
 * Pure functions: no I/O, no printing. Definitions follow scikit-learn 1.2 so
 * figures can be checked against it; every value written to JSON is finite.
 */
#ifndef LA_METRICS_H
#define LA_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../util/la_util.h"

/* Input convention for every function below:
 *   labels: n int32 class indices in [0, k)     (la_dataset.labels)
 *   probs : n x k row-major predicted probabilities, double (mt_*) or float
 *           (mt_*_f32); rows need not sum exactly to 1.
 * The predicted class is argmax_j p_ij, ties to the lowest index (numpy).
 * A label outside [0, k) is an LA_EUSAGE error naming the row. */

/* One class, one-vs-rest. */
typedef struct mt_class {
    int64_t support;      /* examples whose true label is this class          */
    int64_t predicted;    /* examples predicted as this class                 */
    int64_t tp;           /* true positives (confusion diagonal)              */
    double  precision;    /* tp / predicted; 0 when predicted == 0 (convention,
                             sklearn zero_division=0)                          */
    double  recall;       /* tp / support;   0 when support == 0               */
    double  f1;           /* 2PR / (P + R);  0 when P + R == 0                 */
    double  pr_auc;       /* average precision of score p[:, c] (see below);
                             0 when support == 0 (undefined)                   */
} mt_class;

/* Metrics of one prediction set (pooled out-of-fold, one fold, a test set). */
typedef struct mt_metrics {
    size_t   n, k;
    double   accuracy;          /* sum_c tp_c / n                              */
    double   balanced_accuracy; /* mean recall over classes with support > 0   */
    double   macro_f1;          /* mean F1 over classes with support > 0 or
                                   predicted > 0 (sklearn's default labels)   */
    double   log_loss;          /* -1/n sum_i log p'_{i,y_i}, p' = clip(p, 1e-15,
                                   1 - 1e-15) renormalized per row (sklearn 1.2) */
    mt_class *per_class;        /* k entries                                   */
    int64_t  *confusion;        /* k x k row-major, rows = true, cols = predicted */
} mt_metrics;

/* Computes all metrics. Returns 0, or LA_EUSAGE (bad label, n == 0, k == 0,
 * non-finite probability) / LA_EINTERNAL (out of memory) with err filled and
 * *out zeroed. The caller frees with mt_metrics_free. */
int mt_compute(const int32_t *labels, const double *probs, size_t n, size_t k,
               mt_metrics *out, la_error *err);
int mt_compute_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                   mt_metrics *out, la_error *err);

/* mt_compute with a decision threshold for class cls (< k) instead of the
 * argmax: a row is predicted cls when p_cls >= threshold, else the most
 * probable other class (ties to the lowest index). Precision, recall, F1,
 * the confusion matrix and the averages follow the rule; PR-AUC and log loss
 * do not depend on it. */
int mt_compute_at_threshold(const int32_t *labels, const double *probs, size_t n, size_t k, size_t cls,
                            double threshold, mt_metrics *out, la_error *err);

/* Frees the arrays and zeroes the struct. Safe on a zeroed struct. */
void mt_metrics_free(mt_metrics *m);

/* Average precision (PR-AUC) of scores s (n) for the binary target y (n, 0/1),
 * the step-wise sklearn definition:
 *   AP = sum_t (R_t - R_{t-1}) P_t
 * over the distinct score values t in decreasing order (equal scores form one
 * threshold, so ties are not broken by input order), R_0 = 0.
 * Returns 0 when y has no positives. */
double mt_average_precision(const unsigned char *y, const double *s, size_t n);

/* One point of a precision-recall sweep: predict positive when score >= threshold. */
typedef struct mt_pr_point {
    double  threshold;
    int64_t tp, fp, fn, tn;
    double  precision;         /* tp / (tp + fp), 0 when tp + fp == 0          */
    double  recall;            /* tp / (tp + fn), 0 when no positives          */
    double  f1;
    double  false_alarm_rate;  /* fp / (fp + tn), 0 when no negatives          */
} mt_pr_point;

/* The precision-recall curve of class `cls` (score p[:, cls], target y == cls):
 * one point per distinct score, thresholds in decreasing order, so recall is
 * non-decreasing along the array. *points is allocated (caller frees with
 * free()); *npoints >= 1 when n >= 1. Returns 0 or a status with err filled. */
int mt_pr_curve(const int32_t *labels, const double *probs, size_t n, size_t k,
                size_t cls, mt_pr_point **points, size_t *npoints, la_error *err);
int mt_pr_curve_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                    size_t cls, mt_pr_point **points, size_t *npoints, la_error *err);

/* Operating-point constraints for mt_pick_threshold. */
typedef enum mt_constraint {
    MT_MIN_PRECISION,          /* precision >= v, then highest recall          */
    MT_MIN_RECALL,             /* recall >= v, then highest precision          */
    MT_MAX_FALSE_ALARM         /* false_alarm_rate <= v, then highest recall   */
} mt_constraint;

/* Index of the point meeting the constraint (ties: the higher threshold), or
 * -1 when no point does. */
long mt_pick_threshold(const mt_pr_point *points, size_t npoints,
                       mt_constraint c, double v);

/* The metrics.json document:
 *   {accuracy, balanced_accuracy, log_loss, macro_f1,
 *    per_class: [{class, support, precision, recall, f1, pr_auc}, ...],
 *    confusion_matrix: [[...], ...]  (rows = true class),
 *    folds: [ {fold, accuracy, balanced_accuracy, log_loss, macro_f1,
 *              per_class, confusion_matrix}, ... ]}
 * `class` is class_names[c] when class_names is non-NULL, else the decimal
 * index as a string. folds may be NULL with nfolds 0 (then "folds": []).
 * Returns a new reference (caller json_decref's) or NULL on out of memory. */
json_t *mt_to_json(const mt_metrics *pooled, const mt_metrics *folds, size_t nfolds,
                   char *const *class_names);

/* The body of one metrics object (no "folds" key); used for each fold. */
json_t *mt_metrics_json(const mt_metrics *m, char *const *class_names);

/* Pooled metrics of all n rows into *pooled and each fold's (fold_of: n
 * values in [0, nfolds)) into folds[0..nfolds). A fold with no examples or a
 * row outside the folds is LA_EUSAGE; on any error nothing is left allocated.
 * Free each with mt_metrics_free. */
int mt_compute_folds(const int32_t *labels, const double *probs, size_t n, size_t k,
                     const int32_t *fold_of, size_t nfolds, mt_metrics *pooled, mt_metrics *folds,
                     la_error *err);

/* Convenience for trainers: pooled metrics plus per-fold metrics from fold
 * assignments (fold_of: n values in [0, nfolds)), as one metrics.json document.
 * A fold with no examples is an LA_EUSAGE error. *out is a new reference. */
int mt_json_with_folds(const int32_t *labels, const double *probs, size_t n, size_t k,
                       const int32_t *fold_of, size_t nfolds, char *const *class_names,
                       json_t **out, la_error *err);
int mt_json_with_folds_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                           const int32_t *fold_of, size_t nfolds, char *const *class_names,
                           json_t **out, la_error *err);

/* Before/after comparison of two metrics.json documents of the same classes
 * (e.g. a model trained on noisy labels, then on cleaned labels): *out is
 *   {before: before_name,
 *    per_class: [{class, support_before, support, f1_before, f1_after,
 *                 f1_delta, recall_before, recall_after, pr_auc_before,
 *                 pr_auc_after}, ...],
 *    balanced_accuracy: {before, after, delta}, macro_f1: {before, after, delta}}
 * with delta = after - before; support is the after document's. Class lists
 * must be equal and in the same order: otherwise LA_EUSAGE naming the classes
 * found in only one of them (or the first position that differs). A document
 * lacking a field read here is LA_EUSAGE naming it; LA_EINTERNAL on out of
 * memory. *out is a new reference. */
int mt_compare_json(const json_t *before, const char *before_name, const json_t *after,
                    const char *after_name, json_t **out, la_error *err);

/* ---- the metrics stage ---------------------------------------------------- */

/* Options of mt_stage: an optional threshold sweep and per-fold metrics. */
typedef struct mt_stage_opts {
    long          positive;       /* class index to sweep, -1 = no sweep      */
    int           has_constraint; /* 0: the operating point is the best F1    */
    mt_constraint kind;
    double        value;
    const int32_t *fold_of;       /* n fold indices, or NULL                  */
    size_t        nfolds;         /* folds in fold_of (max + 1)               */
    const char   *probs_name;     /* names the probabilities in errors, or NULL */
    const char   *folds_name;     /* names the fold assignment in errors, or NULL */
} mt_stage_opts;

/* What mt_stage computes; owned by the struct. */
typedef struct mt_stage_result {
    mt_metrics   metrics;         /* all rows                                 */
    mt_pr_point *pts;             /* the sweep's curve (npts), or NULL        */
    size_t       npts;
    long         pick;            /* operating point index into pts, -1 = none */
    mt_metrics  *folds;           /* nfolds per-fold metrics, or NULL         */
    size_t       nfolds;
} mt_stage_result;

/* The metrics stage over labels (n) and probs (n x k): all metrics, with
 * o->positive >= 0 the precision-recall sweep of that class and the
 * operating point meeting o's constraint (or of best F1; ties: the higher
 * threshold), with o->fold_of the per-fold metrics. Returns 0 (free with
 * mt_stage_result_free) or a status with err filled and *out zeroed. */
int  mt_stage(const int32_t *labels, const double *probs, size_t n, size_t k, const mt_stage_opts *o,
              mt_stage_result *out, la_error *err);
void mt_stage_result_free(mt_stage_result *r);

/* The name of a constraint in JSON and text ("min_precision", ...). */
const char *mt_constraint_name(mt_constraint c);

/* The metrics.json document of a stage result: mt_to_json's, with
 * "folds" filled when per-fold metrics were computed and, after a sweep,
 * "operating_point" {positive, constraint, point (or null, with a note),
 * pr_auc}. A new reference, or NULL when out of memory. */
json_t *mt_stage_json(const mt_stage_result *r, const mt_stage_opts *o, char *const *class_names);

/* pr_curve.csv of a sweep: threshold,precision,recall,f1,false_alarm_rate,
 * 17 significant digits, by temp file + rename. */
int mt_write_pr_csv(const char *path, const mt_pr_point *pts, size_t npts, la_error *err);

/* ---- the operating point as a file --------------------------------------- */

/* The class with the fewest (but > 0) labels, ties to the lowest index;
 * -1 when no label is in 0..k-1. */
long mt_rarest_class(const int32_t *labels, size_t n, size_t k);

/* Writes the operating point p of class cls (named class_name) chosen under
 * o's constraint to path (JSON, temp file + rename):
 *   {class, class_index, threshold, rule, constraint, value, precision,
 *    recall, chosen_on}
 * Returns 0 or a status with err naming the file. */
int mt_threshold_write(const char *path, const char *class_name, size_t cls, const mt_pr_point *p,
                       const mt_stage_opts *o, la_error *err);

/* An operating point as mt_threshold_read gives it. */
typedef struct mt_threshold_file {
    char  *class_name;  /* caller frees                                     */
    double threshold;
    double precision;   /* at the threshold on the probabilities it was     */
    double recall;      /* chosen on; NAN when the file does not say        */
} mt_threshold_file;

/* Reads a file of mt_threshold_write into *out. LA_EUSAGE naming the file
 * (and the JSON line) when it is not JSON or lacks the class string or a
 * finite threshold; LA_EINTERNAL. On failure out->class_name is NULL. */
int mt_threshold_read(const char *path, mt_threshold_file *out, la_error *err);

#endif /* LA_METRICS_H */
