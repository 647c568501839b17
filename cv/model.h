/*
 * model.h — the trainer as a library: fit one model on a matrix, predict
 * class probabilities. `cv` calls it once per fold, `retrain` once on the whole
 * (cleaned) training set. Models: multinomial logistic regression (L-BFGS),
 * an MLP (ReLU, Adam, minibatches, dropout, early stopping on an inner
 * validation split) and k-nearest neighbours (distance-weighted votes).
 *
 *   cv_train_opts o;  cv_train_opts_init(&o);  o.model = CV_MODEL_MLP;
 *   cv_model *m;
 *   if (cv_model_fit(&o, X, n, d, y, NULL, k, &m, &err)) return err.status;
 *   cv_model_predict_proba(m, Xtest, ntest, probs, &err);   // ntest x k doubles
 *   cv_model_free(m);
 *
 * X is float32 row-major and already preprocessed (see prep.h): the model
 * does not standardize. The objective of logreg and mlp is
 *   J(theta) = sum_i sw_i L(z_i, y_i) + (l2 / 2) ||W||^2     (biases unpenalized)
 * so --l2 is 1/C of scikit-learn's LogisticRegression (C = 1 <=> l2 = 1).
 * The models live in logreg.c, mlp.c and knn.c; this module holds the
 * options and dispatches. Library code: never prints; failures fill la_error.
 */
#ifndef CV_MODEL_H
#define CV_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "loss.h"

typedef enum cv_model_kind { CV_MODEL_LOGREG = 0, CV_MODEL_MLP, CV_MODEL_KNN } cv_model_kind;
typedef enum cv_sampler_kind { CV_SAMPLER_NONE = 0, CV_SAMPLER_OVERSAMPLE, CV_SAMPLER_UNDERSAMPLE } cv_sampler_kind;
typedef enum cv_metric { CV_METRIC_COSINE = 0, CV_METRIC_EUCLIDEAN } cv_metric;

#define CV_MAX_HIDDEN 4
#define CV_MAX_CLASSES 4096
#define CV_DEFAULT_BATCH 128          /* --batch-size when not positive        */
#define CV_MLP_PATIENCE 3             /* --patience of the mlp when -1         */
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
    double dropout;               /* --dropout on hidden units (0)             */
    int    patience;              /* --patience: mlp epochs (3), logreg 5x iterations (off); 0 = off, -1 = per model */
    double val_frac;              /* inner validation share (0.1)              */
    /* knn */
    int    knn_k;                 /* --k (15)                                  */
    cv_metric metric;             /* --metric (cosine)                         */
    /* sampling */
    cv_sampler_kind sampler;      /* --sampler (none)                          */
    int    flip;                  /* --flip: horizontal flips when augmenting  */
    int    image_w, image_h, channels; /* image shape of X's rows, 0 = not images */
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
} cv_train_opts;

typedef struct cv_model cv_model;

/* Defaults as documented per field. */
void cv_train_opts_init(cv_train_opts *o);

/* Checks option values that depend on k (focal alpha count) and ranges.
 * Returns 0 or LA_EUSAGE with err naming the option. */
int cv_train_opts_validate(const cv_train_opts *o, size_t k, la_error *err);

/* Trains a model on X (n x d float32), labels y (n, in 0..k-1) and optional
 * per-example weights sw (n, >= 0; NULL = all 1). Returns 0 and *out (free
 * with cv_model_free), LA_EUSAGE for unusable input (n == 0, k > CV_MAX_CLASSES,
 * all weights 0), LA_EINTERNAL when out of memory. Deterministic for the same
 * inputs, seed and thread count. A class with no training example is allowed:
 * it gets a small, never exactly 0, probability. */
int cv_model_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                 const float *sw, size_t k, cv_model **out, la_error *err);

/* out (n x k doubles) = class probabilities of X's rows (n x d). Rows sum to
 * 1, every value > 0. Returns 0 or LA_EINTERNAL (out of memory). */
int cv_model_predict_proba(const cv_model *m, const float *X, size_t n, double *out, la_error *err);

void cv_model_free(cv_model *m);

/* Inspection and testing. cv_model_init makes an untrained model with the
 * same initialization as cv_model_fit (logreg and mlp); cv_model_params gives
 * its flat parameter vector; cv_model_objective evaluates J (above, no
 * dropout) and its gradient (same layout as the parameters, may be NULL). */
int    cv_model_init(const cv_train_opts *o, size_t d, size_t k, cv_model **out, la_error *err);
float *cv_model_params(cv_model *m, size_t *count);
double cv_model_objective(const cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                          const int32_t *y, const float *sw, float *grad);

/* The network behind a logreg or mlp model (its parameters, for robust.c's
 * co-teaching and decoupled training), or NULL for knn. */
struct cv_mlp_net *cv_model_net(cv_model *m);

/* Writes epoch / iteration e of a learning curve (values as doubles, stored
 * as floats; arrays that are NULL are skipped) and sets cv->n = e + 1. No-op
 * when cv is NULL or e >= cv->cap. */
void cv_curve_put(cv_curve *cv, size_t e, double tr_acc, double tr_loss, double va_acc,
                  double va_loss, double ho_acc);

const char *cv_model_name(cv_model_kind k);

#endif /* CV_MODEL_H */
