/*
 * cv.h — k-fold cross-validation driver: for each fold f, fit the scaler and
 * the model on the rows outside f, predict the rows of f. Every example's
 * probabilities come from the one model that never saw it (nor its features:
 * preprocessing is fitted on the training rows only).
 *
 * Folds run in parallel on `threads` workers (BLAS single-threaded inside
 * each), or one after another with a `threads`-wide BLAS when there is one
 * worker; either way the result depends only on the inputs, the seed and the
 * thread count. cv_stage (below) is the stage over a loaded dataset: folds,
 * cv_run, metrics, and the writers of its outputs.
 */
#ifndef CV_CV_H
#define CV_CV_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../util/la_coll.h"
#include "../io/dataset.h"
#include "../metrics/metrics.h"
#include "model.h"
#include "robust.h"
#include "rebalance.h"

typedef struct cv_fold_info {
    size_t n_train, n_test;   /* rows fitted on / predicted                   */
    int    iters;             /* L-BFGS iterations or mlp epochs run          */
    double seconds;           /* wall time of the fold                        */
    double l2;                /* L2 penalty used (chosen by --l2 auto)        */
    cv_rebalance_choice rebalance; /* --rebalance auto: what was compared and chosen */
} cv_fold_info;

typedef struct cv_run_opts {
    int   n_folds;            /* folds (values of fold[] are 0..n_folds-1)    */
    int   threads;            /* total threads, >= 1                          */
    int   standardize;        /* 1: standardize columns (training rows only)  */
    const uint8_t *onehot;    /* d: indicator columns (never standardized), or NULL */
    cv_curve *curves;         /* n_folds learning curves to fill, or NULL     */
    /* co-teaching per fold (mlp, no weights): each fold's model is a co-taught
     * pair, predicting with the mean of its two networks; NULL = cv_model_fit */
    const cv_robust_coteach_opts *coteach;
    int   decouple;           /* 1: decoupled rebalancing per fold (mlp, cnn; robust.h) */
    /* --rebalance auto: each fold's strategy chosen by an inner cross-validation
     * of its training rows (rebalance.h), recorded in info[f].rebalance; NULL = off */
    const cv_rebalance_opts *rebalance;
    /* called as each fold finishes (serialized; may be NULL) */
    void (*on_fold)(void *ctx, int fold, int n_done);
    void *ctx;
    /* Across ranks (la_coll.h), or NULL: every rank calls cv_run with the
     * same inputs; rank r trains folds r, r + size, ...; the held-out
     * probabilities, fold infos and curves are gathered at rank 0 by
     * example index and copied to every rank: each ends with the
     * one-process result (same seed per fold, same BLAS threading). */
    const la_collective *coll;
    /* n x hidden[n_hidden-1] floats, or NULL: each row's last hidden layer
     * (mlp) from the fold model that held it out (not across ranks) */
    float *embed;
} cv_run_opts;

/* X: n x d raw features; y: n labels in 0..k-1; sw: n weights or NULL;
 * fold: n fold indices. Writes probs (n x k doubles) and info[n_folds] (may
 * be NULL). Returns 0 or a status with err filled (nothing useful in probs). */
int cv_run(const cv_train_opts *t, const cv_run_opts *r, const float *X, size_t n, size_t d,
           const int32_t *y, const float *sw, size_t k, const int32_t *fold,
           double *probs, cv_fold_info *info, la_error *err);

/* ---- the cross-validation stage ----------------------------------------- */

/* Options of one cross-validation. */
typedef struct cv_stage_opts {
    cv_train_opts train;      /* model options (train.seed and image shape are set by the stage) */
    int      n_folds;         /* >= 2                                         */
    uint64_t seed;            /* folds, initialization, sampling              */
    int      threads;         /* >= 1: folds in parallel, BLAS inside         */
    int      standardize;     /* 1: standardize columns (training rows only)  */
    const int32_t *folds;     /* n fold indices to use, or NULL: stratified from seed */
    const cv_robust_coteach_opts *coteach;   /* co-teaching per fold (mlp), or NULL */
    int      decouple;        /* 1: decoupled rebalancing per fold (mlp, cnn) */
    const cv_rebalance_opts *rebalance;      /* --rebalance auto, or NULL     */
    void (*on_fold)(void *ctx, int fold, int n_done);   /* progress, may be NULL */
    void *ctx;
    const la_collective *coll;  /* folds spread over ranks (cv_run_opts.coll), or NULL */
    int      embed;           /* 1: keep the out-of-fold hidden-layer embedding (mlp) */
} cv_stage_opts;

/* What a cross-validation produces; every array is owned by the struct. */
typedef struct cv_stage_result {
    size_t        n, k;
    int           n_folds;
    double       *probs;      /* n x k out-of-fold probabilities (float64)    */
    int32_t      *fold;       /* n: the fold each row was held out in         */
    cv_fold_info *info;       /* n_folds: sizes, iterations, seconds, l2      */
    cv_curve     *curves;     /* n_folds learning curves (mlp), else NULL     */
    float        *curve_mem;  /* storage behind curves                        */
    mt_metrics    pooled;     /* metrics of all out-of-fold predictions       */
    mt_metrics   *fold_metrics; /* n_folds: each fold's                       */
    double        seconds;    /* wall time of the training                    */
    float        *embed;      /* n x embed_dim (cv_stage_opts.embed), else NULL */
    size_t        embed_dim;
} cv_stage_result;

/* Cross-validates a loaded dataset: ds->features (n x d, raw), ds->labels,
 * optional weights sw (n, or NULL), with ds->feature_onehot columns never
 * standardized. Returns 0 with *out filled (free with cv_stage_result_free),
 * or LA_EUSAGE (no features, bad options, a fold without training or held-out
 * rows) / LA_EINTERNAL with err filled and *out zeroed. The probabilities
 * depend only on the inputs, the options and o->threads. */
int  cv_stage(const la_dataset *ds, const float *sw, const cv_stage_opts *o, cv_stage_result *out,
              la_error *err);
void cv_stage_result_free(cv_stage_result *r);

/* The metrics.json document of a result: pooled and per-fold metrics (with
 * n_train, n_test, iterations, seconds, l2 and curves per fold), then model,
 * loss, variant (and co-teaching rates), n, k, n_folds, seed, threads,
 * seconds. Only when used: "rebalance" per fold ({chosen, scores}) and at
 * the top ({mode, select_by, precision, inner_folds, compared, chosen
 * counts}); "prior_correction" ("applied" / "raw") when training shifts the
 * class distribution; "tau", "oversample_ratio", "sampler", "decouple";
 * "stop_on" (mlp, cnn) when early stopping watches other than accuracy.
 * A new reference (json_decref), or NULL when out of memory. */
json_t *cv_stage_metrics_json(const cv_stage_result *r, const cv_stage_opts *o, char *const *class_names);

/* Writes a result: pred_probs_path (n x k float64 .npy, or CSV when it ends
 * in .csv: io_write_probs_csv, a class-name header) and, in its directory
 * (created if needed), labels.npy (ds->labels as int64), folds.csv
 * (id,fold), classes.txt (ds->class_names, the column order) and
 * metrics.json (doc, indented, 10 digits). Each file is
 * written by temp file + rename. Returns 0 or a status with err naming the file. */
int cv_stage_write(const cv_stage_result *r, const la_dataset *ds, const json_t *doc,
                   const char *pred_probs_path, la_error *err);

/* 1 when pred_probs_path ends in .csv (any case): written as CSV. */
int cv_stage_out_is_csv(const char *pred_probs_path);

/* The directory cv_stage_write writes beside pred_probs_path ("." when none). */
void cv_stage_dir(const char *pred_probs_path, char *dir, size_t dirsz);

#endif /* CV_CV_H */
