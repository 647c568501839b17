/*
 * mlp.h — the dense network of logreg (one layer) and the mlp (ReLU hidden
 * layers, logits out): parameters, forward and backward passes, Adam, and the
 * mlp's training loop (minibatches, dropout, early stopping on an inner
 * validation split). robust.c builds co-teaching and decoupled training on
 * the same kernels. Layer l maps dims[l] -> dims[l+1]; L layers, dims[0] = d,
 * dims[L] = k. Parameters: all W_l (dims[l] x dims[l+1], row-major) then all
 * b_l (dims[l+1]), one block. Library code: never prints.
 */
#ifndef CV_MLP_H
#define CV_MLP_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "../util/la_rng.h"
#include "loss.h"
#include "train.h"

/* A dense network; W and b point into params. */
typedef struct cv_mlp_net {
    size_t d, k;                          /* inputs, classes (dims[0], dims[L]) */
    int    n_layers;                      /* weight layers L (logreg: 1)        */
    size_t dims[CV_MAX_HIDDEN + 2];
    float *params;                        /* n_params floats                    */
    size_t n_params;
    float *W[CV_MAX_HIDDEN + 1];          /* dims[l] x dims[l+1]                */
    float *b[CV_MAX_HIDDEN + 1];          /* dims[l+1]                          */
} cv_mlp_net;

/* Allocates the zeroed parameters of a net d -> hidden[0..n_hidden-1] -> k
 * (n_hidden 0: logreg). Returns 0, or -1 when out of memory (net zeroed). */
int  cv_mlp_net_alloc(cv_mlp_net *net, size_t d, const int *hidden, int n_hidden, size_t k);
/* Frees the parameters and zeroes the struct; safe on a zeroed struct. */
void cv_mlp_net_free(cv_mlp_net *net);
/* Random weights (biases stay 0) from rng stream 7 of seed: hidden layers He
 * uniform a = sqrt(6 / fan_in), the output layer Glorot sqrt(6 / (in + out)). */
void cv_mlp_net_init_weights(cv_mlp_net *net, uint64_t seed);

/* Batch buffers for up to `cap` rows. */
typedef struct cv_mlp_ws {
    size_t cap;                           /* rows the buffers hold             */
    float *A[CV_MAX_HIDDEN + 2];          /* A[l]: cap x dims[l], l >= 1       */
    float *G0, *G1;                       /* cap x max dims[l>=1], ping-pong   */
} cv_mlp_ws;

int  cv_mlp_ws_alloc(cv_mlp_ws *w, const cv_mlp_net *m, size_t cap);   /* -1 on OOM */
void cv_mlp_ws_free(cv_mlp_ws *w);

/* X (nb x d), nb <= cap -> A[l+1] = act(A[l] W_l + b_l); returns the logits
 * A[L] (nb x k); A[L-1] holds the last hidden layer. Inverted dropout
 * (keep 1 - p, scale 1/(1-p)) on hidden layers when r != NULL. */
float *cv_mlp_forward(const cv_mlp_net *m, cv_mlp_ws *w, const float *X, size_t nb, double dropout,
                      la_rng *r);

/* After cv_mlp_forward on the same X: G (nb x k, w->G0 or w->G1) = dJ/dlogits;
 * grad (P, parameter layout) += dJ/dtheta. keep_scale = 1/(1-dropout), 1 without. */
void cv_mlp_backward(const cv_mlp_net *m, cv_mlp_ws *w, const float *X, size_t nb, float *G,
                     float keep_scale, float *grad);

/* Adam state: mom, vel (P floats each, zeroed), b1t = b2t = 1 at start. */
typedef struct cv_mlp_adam {
    float *mom, *vel;
    double b1t, b2t;
} cv_mlp_adam;

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; theta -= lr mhat / (sqrt(vhat) + eps),
 * b1 = 0.9, b2 = 0.999, eps = 1e-8; theta and g have P entries. */
void cv_mlp_adam_step(cv_mlp_adam *s, float *theta, const float *g, size_t P, double lr);

/* (l2/2) sum_l ||W_l||^2, and l2 W_l added to grad when grad != NULL
 * (biases unpenalized). */
double cv_mlp_l2_term(const cv_mlp_net *m, double l2, float *grad);

/* J = sum_i sw_i L(z_i, y_i) + l2 term over X (n x d) in chunks of w->cap, no
 * dropout; grad (n_params, may be NULL) is overwritten with dJ/dtheta;
 * *n_correct (may be NULL) gets the rows whose argmax is y. */
double cv_mlp_objective(const cv_mlp_net *m, const cv_loss *L, double l2, cv_mlp_ws *w,
                        const float *X, size_t n, const int32_t *y, const float *sw,
                        float *grad, size_t *n_correct);

/* Early stopping's rule for the mlp and the cnn: returns 1 (and updates
 * *best_acc, *best_loss) when this epoch's inner-validation accuracy va_acc
 * and log loss va_loss beat the best so far: by accuracy (ties broken by a
 * loss lower by 1e-4), or, with o->stop_on CV_STOP_LOSS or CV_STOP_BALANCED,
 * by a loss (the caller's, cv_train_val_weights) lower by 1e-4.
 * Accuracy, because on noisy labels the validation log loss climbs as soon
 * as the net grows confident, long before it stops getting more right. */
int cv_mlp_improved(const cv_train_opts *o, double va_acc, double va_loss, double *best_acc, double *best_loss);

/* The mlp's training (model.h's cv_model_fit for CV_MODEL_MLP) from the
 * net's current weights: Adam on minibatches of o->sampler's epochs, early
 * stopping on a stratified inner validation split (o->val_frac, patience).
 * Fills o->curve and *o->n_iter when given. Returns 0 or LA_EINTERNAL. */
int cv_mlp_fit(cv_mlp_net *m, const cv_train_opts *o, const float *X, size_t n, const int32_t *y,
               const float *sw, size_t k, la_error *err);

/* out (n x k) = softmax of the logits, in double, floored at 1e-12 and
 * renormalized: rows sum to 1, no value is 0. Returns 0 or LA_EINTERNAL. */
int cv_mlp_predict_proba(const cv_mlp_net *m, const float *X, size_t n, double *out, la_error *err);

/* Accuracy of the net on o->eval_X / eval_y (NAN without them, or when out
 * of memory): the held-out point of a learning curve. */
double cv_mlp_heldout_accuracy(const cv_mlp_net *m, const cv_train_opts *o);

#endif /* CV_MLP_H */
