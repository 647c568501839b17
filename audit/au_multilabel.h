/*
 * au_multilabel.h — the multi-label audit stage (`audit --multi-label`):
 * cleanlab 2.9.0's multilabel_classification semantics over plain structs.
 * Each class c is the binary problem (given: class c applies; probabilities
 * [1 - p_c, p_c]) solved by the single-label streaming audit (cl_run); an
 * example is a label issue when any class flags it; its score is the
 * exponential moving average (alpha 0.8) of its K per-class scores sorted
 * from best to worst, and the flagged examples are ranked by it.
 *
 *   aml_labels y;  aml_labels_load("labels.csv", k, names, &y, &err);   // lists or 0/1 matrix
 *   aml_opts o;  aml_opts_init(&o);
 *   aml_result r;  aml_run(y.onehot, probs, n, k, &o, &r, &err);
 *   aml_write(&r, &y, names, &o, "out/", &err);                      // all files or none
 *   aml_result_free(&r); aml_labels_free(&y);
 *
 * Errors: LA_EUSAGE naming the file, line and what is wrong (a class index
 * out of range, a cell of an indicator matrix that is not 0 or 1, a class
 * given to every example, probabilities outside [0, 1]); LA_EINTERNAL.
 * Nothing here prints.
 */
#ifndef LA_AU_MULTILABEL_H
#define LA_AU_MULTILABEL_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "cl_run.h"

/* cleanlab's default aggregator: exponential_moving_average, alpha 0.8. */
#define AML_EMA_ALPHA 0.8

/* Multi-hot given labels. Owned; aml_labels_free. */
typedef struct aml_labels {
    size_t   n, k;
    uint8_t *onehot;                  /* n x k, 1 = class c is given             */
    char   **ids;                     /* n ids (CSV 'id' column), or NULL         */
} aml_labels;

/* Reads given labels for k classes: a .npy 0/1 indicator matrix N x k (any
 * integer, bool or float dtype), or a CSV with a 'labels' (or 'label')
 * column of class lists — "0,3", "[0, 3]", "0 3", "0;3" or empty for none;
 * class indices, or names of class_names (k entries, may be NULL) — and an
 * optional 'id' column. 0, or a status with err naming file and line. */
int  aml_labels_load(const char *path, size_t k, char *const *class_names, aml_labels *out, la_error *err);
void aml_labels_free(aml_labels *y);

typedef struct aml_opts {
    cl_filter filter;                 /* per-class filter: prune_by_noise_rate,
                                         prune_by_class, both, confident_learning,
                                         predicted_neq_given                      */
    cl_rank   rank;                   /* per-class score (self_confidence)        */
    double    frac_noise;             /* (1)                                      */
    long      nmin;                   /* min_examples_per_class (1)               */
    int       threads;                /* >= 1                                     */
    const char *probs_path;           /* for messages                             */
} aml_opts;

void aml_opts_init(aml_opts *o);

/* What the multi-label audit found. Owned; aml_result_free (zeroed: safe). */
typedef struct aml_result {
    size_t    n, k;
    uint8_t  *class_issue;            /* n x k: class c's binary filter flags i  */
    double   *class_score;            /* n x k per-class label quality scores     */
    double   *score;                  /* n aggregated scores (EMA)                */
    uint8_t  *is_issue;               /* n: any class flags the example           */
    uint32_t *ranked;                 /* n_flagged flagged indices, worst first   */
    size_t    n_flagged;
    int64_t  *given;                  /* k: examples given class c                */
    int64_t  *issues_given;           /* k: flagged for c with c given (Label Issues) */
    int64_t  *issues_not_given;       /* k: flagged for c, c not given (Inverse)  */
    double    health;                 /* 1 - n_flagged / n                        */
} aml_result;

/* Runs the audit of onehot (n x k) against probs (n x k doubles, each an
 * independent probability in [0, 1]). 0, or a status with err set and r
 * zeroed. */
int aml_run(const uint8_t *onehot, const double *probs, size_t n, size_t k, const aml_opts *o, aml_result *r,
            la_error *err);

/* Writes into out_dir (created if needed): label_issues.csv (rank, index,
 * id, given labels, suggested labels p >= 0.5, issue classes, score),
 * is_label_issue.csv, ranked.csv, label_quality.csv, class_issues.csv
 * (n x k flags), class_label_quality.csv (cleanlab's
 * rank_classes_by_multilabel_quality), overall_label_health_score.txt,
 * classes.txt and summary.json; all together or none. */
int aml_write(const aml_result *r, const aml_labels *y, const double *probs, char *const *class_names,
              const aml_opts *o, const char *out_dir, la_error *err);

/* summary.json's object (new reference, NULL when out of memory). */
struct json_t;
struct json_t *aml_summary(const aml_result *r, char *const *class_names, const aml_opts *o);

void aml_result_free(aml_result *r);

#endif
