/*
 * loss.h — the training losses of logreg and mlp, on logits z (one row of K)
 * with p = softmax(z) and target q = (1 - s) onehot(y) + s / K (label
 * smoothing s). Each returns the loss and dL/dz; every gradient is checked
 * against finite differences in tests/unit/test_cv_loss.c.
 *
 *   ce        L = -sum_c q_c log p_c
 *   weighted  w_y * CE, w_c = n / (K n_c)                    (inverse frequency)
 *   balanced  w_y * CE, w_c ~ (1 - beta) / (1 - beta^n_c)    (effective number)
 *   focal     L = -a_y sum_c q_c (1 - p_c)^gamma log p_c     (gamma 0 = CE)
 *   gce       L = sum_c q_c (1 - p_c^qq) / qq                (generalized CE)
 *   sce       L = alpha CE + beta' RCE, RCE = -sum_c p_c log max(q_c, 1e-4)
 *   logit-adjusted  CE on z + tau log pi (balanced softmax, Menon et al. 2021):
 *             L = -sum_c q_c log softmax(z + s)_c,  s_c = tau log pi_c,
 *             pi the training class shares; dL/dz = softmax(z + s) - q.
 *             The model's own softmax(z) then estimates p(y|x) / pi^tau (up
 *             to normalization): balanced at tau = 1; adding s back at
 *             prediction time (the prior correction of rebalance.h) recovers
 *             the data's posterior.
 */
#ifndef CV_LOSS_H
#define CV_LOSS_H

#include <stddef.h>
#include <stdint.h>

typedef enum cv_loss_kind {
    CV_LOSS_CE = 0, CV_LOSS_WEIGHTED, CV_LOSS_BALANCED, CV_LOSS_FOCAL, CV_LOSS_GCE, CV_LOSS_SCE,
    CV_LOSS_LOGIT_ADJUSTED
} cv_loss_kind;

typedef struct cv_loss {
    cv_loss_kind kind;
    size_t  k;           /* classes                                               */
    double  smoothing;   /* label smoothing s in [0, 1)                           */
    double  gamma;       /* focal exponent                                        */
    double  gce_q;       /* GCE exponent in (0, 1]                                */
    double  sce_alpha;   /* SCE weight of CE                                      */
    double  sce_beta;    /* SCE weight of reverse CE                              */
    const double *class_w; /* k per-class weights (class weighting x focal alpha), or NULL = 1 */
    const double *logit_shift; /* k additive logit offsets s_c (logit-adjusted), or NULL */
} cv_loss;

/* Parses "ce", "weighted", ..., "logit-adjusted"; returns -1 for an unknown name. */
int cv_loss_parse(const char *name);
const char *cv_loss_name(cv_loss_kind kind);

/* Class weights from the training labels y (n, in 0..k-1) into out (k):
 *   inverse:   w_c = n / (K' n_c)
 *   effective: w_c = (1 - beta) / (1 - beta^n_c), then scaled so sum_c w_c = K'
 * (Cui et al. 2019), where K' counts the classes present; absent classes get 0.
 * beta in [0, 1); beta = 0 gives equal weights. */
void cv_class_weights_inverse(const int32_t *y, size_t n, size_t k, double *out);
void cv_class_weights_effective(const int32_t *y, size_t n, size_t k, double beta, double *out);

/* One row: z (k logits), label y; returns the loss (times class_w[y]) and,
 * when g is not NULL, writes dL/dz (k). With logit_shift the loss is taken
 * at z + logit_shift (the gradient w.r.t. z is the same as w.r.t. z + s). */
double cv_loss_row(const cv_loss *L, const double *z, int32_t y, double *g);

/* A batch: Z (n x k float logits). Returns sum_i sw_i L_i (sw NULL = 1) and
 * writes G = scale * sw_i * dL_i/dz_i (n x k) when G is not NULL.
 * *n_correct (may be NULL) receives the number of rows whose argmax is y. */
double cv_loss_batch(const cv_loss *L, const float *Z, size_t n, const int32_t *y,
                     const float *sw, float scale, float *G, size_t *n_correct);

/* Builds the loss of training options o (model.h) for training labels y
 * (n in 0..k-1): kind, smoothing and exponents from o, class_w (k doubles,
 * which must outlive L) = 1, inverse-frequency (weighted), effective-number
 * (balanced) weights, times --focal-alpha for focal. For logit-adjusted the
 * same k doubles hold the shifts s_c = tau log pi_c instead (pi_c = n_c / n,
 * an absent class counted as 1/2 row) and L->class_w is NULL. Cannot fail. */
struct cv_train_opts;
void cv_loss_setup(const struct cv_train_opts *o, const int32_t *y, size_t n, size_t k,
                   double *class_w, cv_loss *L);

/* s_c = tau log pi_c from the labels y (n in 0..k-1) into out (k), with
 * pi_c = max(n_c, 1/2) / n. */
void cv_loss_logit_shift(const int32_t *y, size_t n, size_t k, double tau, double *out);

#endif /* CV_LOSS_H */
