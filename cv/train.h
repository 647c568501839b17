/*
 * train.h — what every model of the trainer shares, below the models: the
 * training options (cv_train_opts, one struct for logreg, mlp and knn, with
 * their defaults and checks), learning curves, and the model names.
 * logreg.c, mlp.c, knn.c and sampler.c include this, never model.h, so the
 * dispatch in model.c sits above the models it dispatches to.
 */
#ifndef CV_TRAIN_H
#define CV_TRAIN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "loss.h"

typedef enum cv_model_kind { CV_MODEL_LOGREG = 0, CV_MODEL_MLP, CV_MODEL_KNN, CV_MODEL_CNN,
                              CV_MODEL_ENSEMBLE } cv_model_kind;
typedef enum cv_sampler_kind { CV_SAMPLER_NONE = 0, CV_SAMPLER_OVERSAMPLE, CV_SAMPLER_UNDERSAMPLE } cv_sampler_kind;
typedef enum cv_metric { CV_METRIC_COSINE = 0, CV_METRIC_EUCLIDEAN } cv_metric;

#define CV_MAX_HIDDEN 4
#define CV_MAX_CLASSES 4096
#define CV_DEFAULT_BATCH 128          /* --batch-size when not positive        */
#define CV_MLP_PATIENCE 10            /* --patience of the mlp and cnn when -1 (was 3:
                                         stopped after 4-7 epochs on noisy labels) */
/* Seed offset of the inner validation split (mlp and logreg early stopping,
 * --l2 auto), so it differs from the outer folds of the same --seed. */
#define CV_INNER_SPLIT_SEED 0x5A5A5A5Aull

/* Per-epoch (mlp) or per-iteration (logreg) learning curves, filled into
 * caller-provided arrays of `cap` entries each (any array may be NULL).
 * val_* is the inner validation split (mlp early stopping), heldout_acc the
 * accuracy on opts->eval_X when given; missing values are NAN. */
typedef struct cv_curve {
    size_t cap;          /* capacity of each array                            */
    size_t n;            /* entries written                                   */
    float *train_acc;    /* accuracy on the training batches of the epoch     */
    float *train_loss;   /* mean training loss of the epoch                   */
    float *val_acc;      /* inner validation accuracy                         */
    float *val_loss;     /* inner validation log loss                         */
    float *heldout_acc;  /* accuracy on eval_X / eval_y                       */
    int    best;         /* 0-based epoch whose weights were kept (-1 = last) */
} cv_curve;

/* What the mlp's and the cnn's early stopping watches on the inner
 * validation split (cv_mlp_improved, cv_train_val_weights). */
typedef enum cv_stop_on {
    CV_STOP_ACCURACY = 0,    /* accuracy, ties broken by the log loss            */
    CV_STOP_LOSS,            /* the log loss                                     */
    CV_STOP_BALANCED         /* the class-balanced log loss: each class's mean loss
                                weighs 1/K, so a rare class of 5 validation rows
                                counts as much as the other 495 (issue 19)       */
} cv_stop_on;

typedef struct cv_train_opts {
    cv_model_kind model;          /* --model (default logreg)                  */
    /* loss */
    cv_loss_kind loss;            /* --loss (default ce)                       */
    double beta;                  /* --beta, effective-number weights (0.999)  */
    double gamma;                 /* --gamma, focal (2)                        */
    const double *focal_alpha;    /* --focal-alpha: k values, or 1 for all, or NULL */
    size_t n_focal_alpha;
    double gce_q;                 /* --gce-q (0.7)                             */
    double sce_alpha, sce_beta;   /* --sce-alpha (0.1), --sce-beta (1.0)       */
    double smoothing;             /* --smoothing label smoothing (0); knn: vote smoothing */
    double l2;                    /* --l2, see the objective above (1.0); < 0 = auto (logreg) */
    double tau;                   /* --tau, logit-adjusted: logits + tau log pi (1) */
    /* logreg */
    int    max_iter;              /* --max-iter L-BFGS iterations (500); without --l2
                                     per run: subsample warm start, then full fit */
    double tol;                   /* --tol on max |grad| / n (1e-4, as sklearn)  */
    int    l2_default;            /* 1 = no --l2 given (set by init, cleared by --l2):
                                     logreg uses L = 10^-2.5 x sum of training weights */
    int    tol_default;           /* 1 = no --tol given: logreg with l2_default stops at 1e-3 */
    /* mlp */
    int    hidden[CV_MAX_HIDDEN]; /* --hidden 256[,128]                        */
    int    n_hidden;
    int    epochs;                /* --epochs (30)                             */
    int    batch_size;            /* --batch-size (128)                        */
    double lr;                    /* --lr Adam step (1e-3)                     */
    double dropout;               /* --dropout on hidden units (0.2; the cnn: its dense layer) */
    int    patience;              /* --patience: mlp epochs (10), logreg 5x iterations (off); 0 = off, -1 = per model */
    double val_frac;              /* inner validation share (0.1)              */
    /* knn */
    int    knn_k;                 /* --k (15)                                  */
    cv_metric metric;             /* --metric (cosine)                         */
    /* sampling */
    cv_sampler_kind sampler;      /* --sampler (none)                          */
    int    flip;                  /* --flip: horizontal flips when augmenting  */
    double oversample_ratio;      /* --oversample-ratio R in (0, 1]: every class topped up to
                                     R x the largest class's rows with synthetic rows (images:
                                     shifted, rotated, noisy copies; tables: SMOTE), 0 = off */
    int    raw_probs;             /* --raw-probs: keep the probabilities of the training
                                     distribution (no prior correction, rebalance.h) */
    int    image_w, image_h, channels; /* image shape of X's rows, 0 = not images */
    const float *aug_mean;        /* d: the scaler's mean and 1/std of X's columns, so */
    const float *aug_inv_scale;   /* image augmentation works in pixel units (NULL: X is raw) */
    /* run */
    uint64_t seed;                /* --seed                                     */
    int    threads;               /* BLAS threads for this fit (0 = leave as is) */
    /* optional outputs / inputs */
    cv_curve *curve;              /* learning curves, or NULL                  */
    const float *eval_X;          /* held-out rows for curve->heldout_acc      */
    size_t eval_n;
    const int32_t *eval_y;
    int   *n_iter;                /* receives iterations / epochs run, or NULL */
    double *l2_used;              /* receives the l2 used (chosen by --l2 auto), or NULL */
    /* cnn (cnn.h) and ensembles (ensemble.h), issue 20 */
    int    cnn_blocks;            /* --cnn-filters count: conv blocks (2)          */
    int    cnn_filters[3];        /* --cnn-filters F1,F2[,F3] (32,64)             */
    int    cnn_dense;             /* --cnn-dense units of the dense layer (128)    */
    int    augment;               /* --augment: shift every training image (p 1/2) */
    int    batch_threads;         /* threads across a cnn batch (0 = o->threads)   */
    int    image_shape_set;       /* 1 = --image-shape given: keep image_h/w/channels */
    cv_model_kind ensemble[4];    /* --model ensemble:a+b[+c[+d]] members          */
    int    n_ensemble;
    int    ensemble_weighted;     /* --ensemble-weights: EM mixture weights on an inner split */
    cv_stop_on stop_on;           /* --stop-on: what early stopping watches (accuracy) */
} cv_train_opts;

/* "accuracy", "loss", "balanced". */
const char *cv_stop_on_name(cv_stop_on s);

/* 1 when o's model (or an ensemble member) is an mlp or a cnn, the models
 * whose early stopping o->stop_on steers. */
int cv_train_stops_early(const cv_train_opts *o);

/* What metrics.json records as "stop_on" (cv and retrain): the rule's name
 * when o's model stops early and the rule is not the default accuracy, else
 * NULL (no key: runs with the default keep their documents unchanged). */
const char *cv_train_stop_on_recorded(const cv_train_opts *o);

/* Defaults as documented per field. */
void cv_train_opts_init(cv_train_opts *o);

/* Checks option values that depend on k (focal alpha count) and ranges.
 * Returns 0 or LA_EUSAGE with err naming the option. */
int cv_train_opts_validate(const cv_train_opts *o, size_t k, la_error *err);

/* The inner validation rows' weights sw (n) for early stopping's loss: 1,
 * or with o->stop_on == CV_STOP_BALANCED sw_i = n / (K' n_{y_i}) (K' the
 * classes present, n_c their rows), so that (1/n) sum_i sw_i L_i =
 * (1/K') sum_c mean_{y_i = c} L_i, the class-balanced mean loss. */
void cv_train_val_weights(const cv_train_opts *o, const int32_t *y, size_t n, size_t k, float *sw);

/* Writes epoch / iteration e of a learning curve (values as doubles, stored
 * as floats; arrays that are NULL are skipped) and sets cv->n = e + 1. No-op
 * when cv is NULL or e >= cv->cap. */
void cv_curve_put(cv_curve *cv, size_t e, double tr_acc, double tr_loss, double va_acc,
                  double va_loss, double ho_acc);

/* "logreg", "mlp" or "knn". */
const char *cv_model_name(cv_model_kind k);
/* The kind of a single model's name ("logreg", "mlp", "knn", "cnn"; not
 * an ensemble), or -1. */
int cv_model_parse(const char *name);
/* The sampler of "none", "oversample" or "undersample", or -1. */
int cv_sampler_parse(const char *name);

#endif /* CV_TRAIN_H */
