/*
 * mlp.h — internal: the mlp building blocks of model.c, shared with robust.c
 * (co-teaching needs per-row losses and updates on row subsets, which
 * cv_model_fit does not offer). Not part of the public trainer API (model.h).
 * Layer l maps dims[l] -> dims[l+1]; L layers, dims[0] = d, dims[L] = k;
 * ReLU on hidden layers, logits out. Parameters: all W_l (dims[l] x
 * dims[l+1], row-major) then all b_l (dims[l+1]).
 */
#ifndef CV_MLP_H
#define CV_MLP_H

#include "model.h"

/* Batch buffers for up to `cap` rows. */
typedef struct cv_mlp_ws {
    size_t cap;                           /* rows the buffers hold             */
    float *A[CV_MAX_HIDDEN + 2];          /* A[l]: cap x dims[l], l >= 1       */
    float *G0, *G1;                       /* cap x max dims[l>=1], ping-pong   */
} cv_mlp_ws;

int  cv_mlp_ws_alloc(cv_mlp_ws *w, const cv_model *m, size_t cap);   /* -1 on OOM */
void cv_mlp_ws_free(cv_mlp_ws *w);

/* Number of weight layers L (0 for knn); fills dims[0..L], W[0..L-1], b[0..L-1]
 * (pointers into m's parameter vector). */
int cv_mlp_layers(cv_model *m, size_t dims[CV_MAX_HIDDEN + 2], float *W[CV_MAX_HIDDEN + 1],
                  float *b[CV_MAX_HIDDEN + 1]);

/* X (nb x d), nb <= cap -> A[l+1] = act(A[l] W_l + b_l); returns the logits
 * A[L] (nb x k); A[L-1] holds the last hidden layer. Inverted dropout
 * (keep 1 - p, scale 1/(1-p)) on hidden layers when r != NULL. */
float *cv_mlp_forward(const cv_model *m, cv_mlp_ws *w, const float *X, size_t nb, double dropout,
                      la_rng *r);

/* After cv_mlp_forward on the same X: G (nb x k, w->G0 or w->G1) = dJ/dlogits;
 * grad (P, parameter layout) += dJ/dtheta. keep_scale = 1/(1-dropout), 1 without. */
void cv_mlp_backward(const cv_model *m, cv_mlp_ws *w, const float *X, size_t nb, float *G,
                     float keep_scale, float *grad);

/* Adam state: mom, vel (P floats each, zeroed), b1t = b2t = 1 at start. */
typedef struct cv_mlp_adam {
    float *mom, *vel;
    double b1t, b2t;
} cv_mlp_adam;

/* m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; theta -= lr mhat / (sqrt(vhat) + eps),
 * b1 = 0.9, b2 = 0.999, eps = 1e-8; theta and g have P entries. */
void cv_mlp_adam_step(cv_mlp_adam *s, float *theta, const float *g, size_t P, double lr);

#endif
