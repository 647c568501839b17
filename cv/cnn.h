/*
 * cnn.h — a small convolutional network for image rows (H x W x C, HWC, as
 * the image loaders give them): n_blocks (1-3) blocks of 3x3 convolution
 * (stride 1, zero padding 1) + ReLU + 2x2 max-pool (stride 2, floor), then a
 * dense ReLU layer and the logits (softmax in prediction and in the losses of
 * loss.h). Convolutions are im2col + cblas_sgemm in NHWC, so no transposes.
 * Training: Adam on minibatches of the sampler's epochs (with its shifts and
 * flips), L2 on weights, dropout on the dense layer, early stopping on an
 * inner validation split. The
 * batch is cut into fixed chunks of CV_CNN_CHUNK images run on la_par_run
 * threads; per-chunk gradients are summed in chunk order, so results are the
 * same at any thread count. No batch norm (see docs/issue-20.md). Library
 * code: never prints; failures fill la_error.
 */
#ifndef CV_CNN_H
#define CV_CNN_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"
#include "train.h"

#define CV_CNN_MAX_BLOCKS 3
#define CV_CNN_CHUNK 16        /* images per parallel work item (fixed: determinism) */

/* The network. Parameters are one block: per block b the filter Wc[b]
 * ((9 C_b) x C_{b+1}, row (ky*3+kx)*C_b + c) and bias bc[b] (C_{b+1}), then
 * W1 (flat x dense), b1 (dense), W2 (dense x k), b2 (k). */
typedef struct cv_cnn {
    int    n_blocks;
    int    h[CV_CNN_MAX_BLOCKS + 1];      /* h[b], w[b], c[b]: block b's input; */
    int    w[CV_CNN_MAX_BLOCKS + 1];      /* index n_blocks: the last pool's     */
    int    c[CV_CNN_MAX_BLOCKS + 1];      /* output                              */
    size_t flat, dense, k;                /* h*w*c after the last pool, dense units, classes */
    float *params;
    size_t n_params;
    float *Wc[CV_CNN_MAX_BLOCKS], *bc[CV_CNN_MAX_BLOCKS];
    float *W1, *b1, *W2, *b2;
} cv_cnn;

/* 1 when o trains a cnn (model cnn, or an ensemble with a cnn member): cv
 * then runs the folds one after another with the threads across the batch. */
int cv_cnn_wanted(const cv_train_opts *o);

/* The image shape of rows of d features under o (o->image_h/w/channels),
 * checked: returns 0, or LA_EUSAGE naming the mismatch (no shape, or
 * h*w*c != d, or too small for o->cnn_blocks pools). */
int cv_cnn_check_shape(const cv_train_opts *o, size_t d, la_error *err);

/* A net for o's image shape, o->cnn_filters[0..cnn_blocks-1] filters,
 * o->cnn_dense units (0 = 128) and k classes, weights from o->seed (He
 * uniform for convolutions and the dense layer, Glorot for the logits,
 * biases 0). Returns 0 and *out (free with cv_cnn_free), LA_EUSAGE (shape)
 * or LA_EINTERNAL (out of memory). */
int  cv_cnn_new(const cv_train_opts *o, size_t d, size_t k, cv_cnn **out, la_error *err);
void cv_cnn_free(cv_cnn *m);

/* Trains m from its current weights on X (n x d), y (n, 0..k-1), sw (n, NULL
 * = 1) with o's loss, sampler, lr, l2, epochs, batch size, patience and
 * val_frac; threads: max(o->threads, o->batch_threads, 1). Fills o->curve
 * and *o->n_iter when given. Returns 0 or LA_EINTERNAL. */
int cv_cnn_fit(cv_cnn *m, const cv_train_opts *o, const float *X, size_t n, const int32_t *y,
               const float *sw, la_error *err);

/* out (n x k doubles) = softmax of the logits of X's rows, floored at 1e-12
 * and renormalized (rows sum to 1, no value 0), on `threads` threads (< 1 =
 * 1). Returns 0 or LA_EINTERNAL. */
int cv_cnn_predict_proba(const cv_cnn *m, const float *X, size_t n, int threads, double *out,
                         la_error *err);

/* H (n x m->dense) = the dense layer's activations relu(P_L W1 + b1) of X's
 * rows, without dropout: the representation under the logits (decoupled
 * training refits W2, b2 on it, robust.h). Returns 0 or LA_EINTERNAL. */
int cv_cnn_embed(const cv_cnn *m, const float *X, size_t n, int threads, float *H, la_error *err);

/* Testing: J = sum_i sw_i L(z_i, y_i) + (l2 / 2) sum ||W||^2 (biases free)
 * over X (n x d) with o's loss; grad (n_params, may be NULL) = dJ/dtheta.
 * Returns NAN when out of memory. */
double cv_cnn_objective(const cv_cnn *m, const cv_train_opts *o, const float *X, size_t n,
                        const int32_t *y, const float *sw, double l2, float *grad);

#endif /* CV_CNN_H */
