/*
 * cnn.c — the convolutional network of cnn.h: im2col + cblas_sgemm kernels
 * (NHWC), max-pooling, the dense head, and the minibatch training loop.
 * A batch is cut into chunks of CV_CNN_CHUNK images; la_par_run's part t
 * runs chunks t, t+T, ... each into its own gradient buffer, and the buffers
 * are summed in chunk order afterwards: the same floats at any thread count.
 * BLAS runs single-threaded inside (the parallelism is across the batch).
 * Not here: the losses (loss.c), the sampler (sampler.c), Adam (mlp.c).
 */
#include "cnn.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/la_par.h"
#include "folds.h"
#include "loss.h"
#include "mlp.h"
#include "sampler.h"

#define CNN_DEFAULT_DENSE 128
#define CNN_INIT_STREAM 23            /* rng streams of o->seed: weights, epochs       */
#define CNN_EPOCH_STREAM 29
#define CNN_MAX_THREADS 64
#define CNN_PATIENCE 5                /* --patience -1: epochs cost ~10x the mlp's      */
#define CNN_DROP_STEP 0x9E3779B97F4A7C15ull /* seed step between minibatches' dropout */

/* ---- shapes and parameters ------------------------------------------------ */

int cv_cnn_wanted(const cv_train_opts *o)
{
    if (o->model == CV_MODEL_CNN) return 1;
    if (o->model != CV_MODEL_ENSEMBLE) return 0;
    for (int i = 0; i < o->n_ensemble; i++) if (o->ensemble[i] == CV_MODEL_CNN) return 1;
    return 0;
}

int cv_cnn_check_shape(const cv_train_opts *o, size_t d, la_error *err)
{
    int h = o->image_h, w = o->image_w, c = o->channels ? o->channels : 1;
    if (h <= 0 || w <= 0)
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "--model cnn needs images (a manifest, folder or IDX dataset, or --image-shape HxWxC)");
    if ((size_t)h * (size_t)w * (size_t)c != d)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "image shape %dx%dx%d is %zu values but rows have %zu features",
                            h, w, c, (size_t)h * w * c, d);
    int nb = o->cnn_blocks > 0 ? o->cnn_blocks : 2;
    if (nb > CV_CNN_MAX_BLOCKS)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--cnn-filters: at most %d blocks", CV_CNN_MAX_BLOCKS);
    if ((h >> nb) < 1 || (w >> nb) < 1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%dx%d images are too small for %d 2x2 poolings", h, w, nb);
    return 0;
}

void cv_cnn_free(cv_cnn *m)
{
    if (!m) return;
    free(m->params);
    free(m);
}

/* He uniform a = sqrt(6 / fan_in) (ReLU layers), Glorot sqrt(6 / (in + out)) (logits). */
static void init_uniform(float *W, size_t count, double a, la_rng *r)
{
    for (size_t j = 0; j < count; j++) W[j] = (float)(a * (2.0 * la_rng_uniform(r) - 1.0));
}

int cv_cnn_new(const cv_train_opts *o, size_t d, size_t k, cv_cnn **out, la_error *err)
{
    *out = NULL;
    int rc = cv_cnn_check_shape(o, d, err);
    if (rc) return rc;
    cv_cnn *m = la_calloc(1, sizeof *m);
    if (!m) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    m->n_blocks = o->cnn_blocks > 0 ? o->cnn_blocks : 2;
    m->h[0] = o->image_h; m->w[0] = o->image_w; m->c[0] = o->channels ? o->channels : 1;
    for (int b = 0; b < m->n_blocks; b++) {
        m->c[b + 1] = o->cnn_filters[b] > 0 ? o->cnn_filters[b] : 16 << b;
        m->h[b + 1] = m->h[b] / 2;
        m->w[b + 1] = m->w[b] / 2;
    }
    int L = m->n_blocks;
    m->flat = (size_t)m->h[L] * m->w[L] * m->c[L];
    m->dense = (size_t)(o->cnn_dense > 0 ? o->cnn_dense : CNN_DEFAULT_DENSE);
    m->k = k;
    size_t P = 0;
    for (int b = 0; b < L; b++) P += (size_t)9 * m->c[b] * m->c[b + 1] + m->c[b + 1];
    P += m->flat * m->dense + m->dense + m->dense * k + k;
    if (!(m->params = la_calloc(P, sizeof *m->params))) {
        free(m);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    m->n_params = P;
    float *p = m->params;
    la_rng r;
    la_rng_seed(&r, o->seed, CNN_INIT_STREAM);
    for (int b = 0; b < L; b++) {
        size_t fan_in = (size_t)9 * m->c[b];
        m->Wc[b] = p; p += fan_in * m->c[b + 1];
        m->bc[b] = p; p += m->c[b + 1];
        init_uniform(m->Wc[b], fan_in * m->c[b + 1], sqrt(6.0 / fan_in), &r);
    }
    m->W1 = p; p += m->flat * m->dense;
    m->b1 = p; p += m->dense;
    m->W2 = p; p += m->dense * k;
    m->b2 = p;
    init_uniform(m->W1, m->flat * m->dense, sqrt(6.0 / m->flat), &r);
    init_uniform(m->W2, m->dense * k, sqrt(6.0 / (m->dense + k)), &r);
    *out = m;
    return 0;
}

/* ---- per-thread workspace: one chunk of up to CV_CNN_CHUNK images ---------- */

typedef struct cnn_ws {
    float   *cols[CV_CNN_MAX_BLOCKS];  /* (nc h_b w_b) x (9 c_b) im2col of block b's input */
    float   *A[CV_CNN_MAX_BLOCKS];     /* (nc h_b w_b) x c_{b+1}, conv + ReLU        */
    float   *P[CV_CNN_MAX_BLOCKS];     /* nc x h_{b+1} x w_{b+1} x c_{b+1}, pooled   */
    int32_t *arg[CV_CNN_MAX_BLOCKS];   /* like P: index into A of each max           */
    float   *H1, *Z, *G, *dH1;         /* nc x dense, nc x k, nc x k, nc x dense     */
    float   *dA, *dcols, *dP0, *dP1;   /* largest A, cols, P (gradients)             */
} cnn_ws;

static void ws_free(cnn_ws *w)
{
    for (int b = 0; b < CV_CNN_MAX_BLOCKS; b++) { free(w->cols[b]); free(w->A[b]); free(w->P[b]); free(w->arg[b]); }
    free(w->H1); free(w->Z); free(w->G); free(w->dH1);
    free(w->dA); free(w->dcols); free(w->dP0); free(w->dP1);
    memset(w, 0, sizeof *w);
}

static int ws_alloc(cnn_ws *w, const cv_cnn *m, int backward)
{
    memset(w, 0, sizeof *w);
    size_t C = CV_CNN_CHUNK, mc = 0, ma = 0, mp = m->flat;
    for (int b = 0; b < m->n_blocks; b++) {
        size_t hw = (size_t)m->h[b] * m->w[b], ncol = C * hw * 9 * m->c[b];
        size_t na = C * hw * m->c[b + 1], np = C * m->h[b + 1] * m->w[b + 1] * m->c[b + 1];
        size_t nin = C * hw * m->c[b];
        w->cols[b] = la_malloc_array(ncol, sizeof(float));
        w->A[b] = la_malloc_array(na, sizeof(float));
        w->P[b] = la_malloc_array(np, sizeof(float));
        w->arg[b] = la_malloc_array(np, sizeof(int32_t));
        if (!w->cols[b] || !w->A[b] || !w->P[b] || !w->arg[b]) goto oom;
        if (ncol > mc) mc = ncol;
        if (na > ma) ma = na;
        if (nin > mp && b > 0) mp = nin;
        if (np > mp) mp = np;
    }
    w->H1 = la_malloc_array(C * m->dense, sizeof(float));
    w->Z = la_malloc_array(C * m->k, sizeof(float));
    w->G = la_malloc_array(C * m->k, sizeof(float));
    if (!w->H1 || !w->Z || !w->G) goto oom;
    if (!backward) return 0;
    w->dH1 = la_malloc_array(C * m->dense, sizeof(float));
    w->dA = la_malloc_array(ma, sizeof(float));
    w->dcols = la_malloc_array(mc, sizeof(float));
    w->dP0 = la_malloc_array(mp, sizeof(float));
    w->dP1 = la_malloc_array(mp, sizeof(float));
    if (!w->dH1 || !w->dA || !w->dcols || !w->dP0 || !w->dP1) goto oom;
    return 0;
oom:
    ws_free(w);
    return -1;
}

/* ---- kernels ---------------------------------------------------------------- */

/* in: nc x h x w x c (NHWC). cols: (nc h w) x (9 c), row r = (i h + y) w + x,
 * column (ky 3 + kx) c + ch:  cols[r, (ky,kx,ch)] = in[i, y+ky-1, x+kx-1, ch],
 * 0 outside the image (zero padding 1). */
static void im2col(const float *in, size_t nc, int h, int w, int c, float *cols)
{
    size_t rowlen = (size_t)9 * c;
    for (size_t i = 0; i < nc; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float *dst = cols + (((i * h) + y) * w + x) * rowlen;
                for (int ky = 0; ky < 3; ky++) {
                    int iy = y + ky - 1;
                    for (int kx = 0; kx < 3; kx++, dst += c) {
                        int ix = x + kx - 1;
                        /* plain loops: c is often 1, where a memcpy call costs more than the copy */
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) { for (int ch = 0; ch < c; ch++) dst[ch] = 0.0f; continue; }
                        const float *src = in + (((i * h) + iy) * w + ix) * c;
                        for (int ch = 0; ch < c; ch++) dst[ch] = src[ch];
                    }
                }
            }
}

/* The adjoint of im2col: din (nc x h x w x c) = sum over the cols entries
 * that copied each input value: din[i, y+ky-1, x+kx-1, ch] += dcols[r, (ky,kx,ch)]. */
static void col2im(const float *dcols, size_t nc, int h, int w, int c, float *din)
{
    size_t rowlen = (size_t)9 * c;
    memset(din, 0, nc * h * w * c * sizeof *din);
    for (size_t i = 0; i < nc; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                const float *src = dcols + (((i * h) + y) * w + x) * rowlen;
                for (int ky = 0; ky < 3; ky++) {
                    int iy = y + ky - 1;
                    for (int kx = 0; kx < 3; kx++, src += c) {
                        int ix = x + kx - 1;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        float *d = din + (((i * h) + iy) * w + ix) * c;
                        for (int ch = 0; ch < c; ch++) d[ch] += src[ch];
                    }
                }
            }
}

/* A: nc x h x w x f -> P: nc x (h/2) x (w/2) x f, P = max of each 2x2 window
 * (the first maximum wins), arg = A's index of it. Odd last rows/columns drop. */
static void maxpool(const float *A, size_t nc, int h, int w, int f, float *P, int32_t *arg)
{
    int ph = h / 2, pw = w / 2;
    for (size_t i = 0; i < nc; i++)
        for (int y = 0; y < ph; y++)
            for (int x = 0; x < pw; x++) {
                size_t o = (((i * ph) + y) * pw + x) * f;
                size_t a00 = (((i * h) + 2 * y) * w + 2 * x) * f;
                size_t q[4] = {a00, a00 + f, a00 + (size_t)w * f, a00 + (size_t)w * f + f};
                for (int ch = 0; ch < f; ch++) {
                    size_t best = q[0] + ch;
                    for (int j = 1; j < 4; j++) if (A[q[j] + ch] > A[best]) best = q[j] + ch;
                    P[o + ch] = A[best];
                    arg[o + ch] = (int32_t)best;
                }
            }
}

/* max(v, 0) without a branch (a ReLU's sign is a coin flip to the branch
 * predictor): clear every bit when the sign bit is set. */
static inline float relu_f(float v)
{
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    u &= ~(uint32_t)((int32_t)u >> 31);
    memcpy(&v, &u, sizeof v);
    return v;
}

/* out (rows x f) = in (rows x fi) W (fi x f) + bias (f), then ReLU when relu. */
static void dense_fwd(const float *in, size_t rows, size_t fi, const float *W, const float *bias, size_t f,
                      int relu, float *out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)f, (int)fi, 1.0f, in, (int)fi, W,
                (int)f, 0.0f, out, (int)f);
    for (size_t i = 0; i < rows; i++) {
        float *o = out + i * f;
        if (relu) for (size_t j = 0; j < f; j++) o[j] = relu_f(o[j] + bias[j]);
        else for (size_t j = 0; j < f; j++) o[j] += bias[j];
    }
}

/* Forward pass of nc images X (nc x d): block b: cols = im2col(in),
 * A_b = relu(cols Wc_b + bc_b), P_b = maxpool(A_b); H1 = relu(P_L W1 + b1)
 * (with dropout when r); Z = H1 W2 + b2 (nc x k, returned). */
static float *cnn_forward(const cv_cnn *m, cnn_ws *w, const float *X, size_t nc, double dropout, la_rng *r)
{
    const float *in = X;
    for (int b = 0; b < m->n_blocks; b++) {
        size_t rows = nc * m->h[b] * m->w[b];
        im2col(in, nc, m->h[b], m->w[b], m->c[b], w->cols[b]);
        dense_fwd(w->cols[b], rows, (size_t)9 * m->c[b], m->Wc[b], m->bc[b], (size_t)m->c[b + 1], 1, w->A[b]);
        maxpool(w->A[b], nc, m->h[b], m->w[b], m->c[b + 1], w->P[b], w->arg[b]);
        in = w->P[b];
    }
    dense_fwd(in, nc, m->flat, m->W1, m->b1, m->dense, 1, w->H1);
    if (r && dropout > 0) {
        /* inverted dropout on the dense layer: h = 0 with probability p, else h / (1 - p) */
        float keep = (float)(1.0 / (1.0 - dropout));
        for (size_t j = 0; j < nc * m->dense; j++) w->H1[j] = la_rng_uniform(r) < dropout ? 0.0f : w->H1[j] * keep;
    }
    dense_fwd(w->H1, nc, m->dense, m->W2, m->b2, m->k, 0, w->Z);
    return w->Z;
}

/* Gradient views into a buffer of the parameter layout. */
typedef struct cnn_grad {
    float *Wc[CV_CNN_MAX_BLOCKS], *bc[CV_CNN_MAX_BLOCKS], *W1, *b1, *W2, *b2;
} cnn_grad;

static cnn_grad grad_view(const cv_cnn *m, float *g)
{
    cnn_grad v;
    memset(&v, 0, sizeof v);
    for (int b = 0; b < m->n_blocks; b++) { v.Wc[b] = g + (m->Wc[b] - m->params); v.bc[b] = g + (m->bc[b] - m->params); }
    v.W1 = g + (m->W1 - m->params); v.b1 = g + (m->b1 - m->params);
    v.W2 = g + (m->W2 - m->params); v.b2 = g + (m->b2 - m->params);
    return v;
}

/* gW (fi x f) += in^T (fi x rows) G (rows x f); gb (f) += colsum G. */
static void dense_grad(const float *in, const float *G, size_t rows, size_t fi, size_t f, float *gW, float *gb)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fi, (int)f, (int)rows, 1.0f, in, (int)fi, G, (int)f,
                1.0f, gW, (int)f);
    for (size_t i = 0; i < rows; i++) for (size_t j = 0; j < f; j++) gb[j] += G[i * f + j];
}

/* dIn (rows x fi) = G (rows x f) W^T (f x fi). */
static void dense_dinput(const float *G, const float *W, size_t rows, size_t fi, size_t f, float *dIn)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)fi, (int)f, 1.0f, G, (int)f, W, (int)f,
                0.0f, dIn, (int)fi);
}

/* After cnn_forward on the same chunk: G (nc x k) = dJ/dZ in w->G; adds
 * dJ/dtheta into grad (parameter layout). Backward of each step:
 *   dW2 = H1^T G, dH1 = (G W2^T) * [H1 > 0] / (1 - p), dW1 = P_L^T dH1, dP_L = dH1 W1^T;
 *   block b: dA_b[arg] = dP_b [P_b > 0] (0 elsewhere), dWc_b = cols_b^T dA_b,
 *   dP_{b-1} = col2im(dA_b Wc_b^T) (skipped for b = 0: no input gradient). */
static void cnn_backward(const cv_cnn *m, cnn_ws *w, size_t nc, float keep_scale, float *grad)
{
    cnn_grad g = grad_view(m, grad);
    int L = m->n_blocks;
    dense_grad(w->H1, w->G, nc, m->dense, m->k, g.W2, g.b2);
    dense_dinput(w->G, m->W2, nc, m->dense, m->k, w->dH1);
    /* through ReLU and dropout: 0 where h == 0, else times 1 / (1 - p) */
    for (size_t j = 0; j < nc * m->dense; j++) w->dH1[j] = w->H1[j] > 0 ? w->dH1[j] * keep_scale : 0.0f;
    dense_grad(w->P[L - 1], w->dH1, nc, m->flat, m->dense, g.W1, g.b1);
    float *dP = w->dP0, *dPprev = w->dP1;
    dense_dinput(w->dH1, m->W1, nc, m->flat, m->dense, dP);
    for (int b = L - 1; b >= 0; b--) {
        size_t f = (size_t)m->c[b + 1], rows = nc * m->h[b] * m->w[b];
        size_t np = nc * m->h[b + 1] * m->w[b + 1] * f, fi = (size_t)9 * m->c[b];
        /* the pool routes dP_j to its argmax, where A = P_j; ReLU passes it when P_j > 0 */
        memset(w->dA, 0, rows * f * sizeof *w->dA);
        const float *Pb = w->P[b];
        for (size_t j = 0; j < np; j++) w->dA[w->arg[b][j]] = Pb[j] > 0 ? dP[j] : 0.0f;
        dense_grad(w->cols[b], w->dA, rows, fi, f, g.Wc[b], g.bc[b]);
        if (b == 0) break;
        dense_dinput(w->dA, m->Wc[b], rows, fi, f, w->dcols);
        col2im(w->dcols, nc, m->h[b], m->w[b], m->c[b], dPprev);
        float *t = dP; dP = dPprev; dPprev = t;
    }
}

/* (l2 / 2) sum ||W||^2 over the filters, W1 and W2 (biases free); when grad:
 * grad += scale l2 W. */
static double l2_term(const cv_cnn *m, double l2, float *grad, double scale)
{
    double s = 0.0;
    const float *seg[CV_CNN_MAX_BLOCKS + 2];
    size_t len[CV_CNN_MAX_BLOCKS + 2], ns = 0;
    for (int b = 0; b < m->n_blocks; b++) { seg[ns] = m->Wc[b]; len[ns++] = (size_t)9 * m->c[b] * m->c[b + 1]; }
    seg[ns] = m->W1; len[ns++] = m->flat * m->dense;
    seg[ns] = m->W2; len[ns++] = m->dense * m->k;
    float f = (float)(scale * l2);
    for (size_t q = 0; q < ns; q++) {
        float *gq = grad ? grad + (seg[q] - m->params) : NULL;
        for (size_t j = 0; j < len[q]; j++) {
            s += (double)seg[q][j] * seg[q][j];
            if (gq) gq[j] += f * seg[q][j];
        }
    }
    return 0.5 * l2 * s;
}

/* ---- parallel passes over the chunks of a batch ---------------------------- */

/* One pass over n rows cut into chunks: eval (loss per chunk), train (and
 * gradient per chunk), or predict (probabilities). */
typedef struct cnn_pass {
    const cv_cnn *m;
    cnn_ws *ws;                   /* T workspaces                              */
    const float *X;               /* n x d                                      */
    size_t n;
    const int32_t *y;             /* n labels (eval, train)                     */
    const float *sw;              /* n weights or NULL                          */
    const cv_loss *L;
    float scale;                  /* G = scale sw dL/dz                         */
    double *loss;                 /* per chunk                                  */
    size_t *correct;              /* per chunk                                  */
    double dropout;               /* train: dense-layer dropout p               */
    uint64_t step;                /* train: minibatch number (dropout streams)  */
    uint64_t seed;
    float *gbuf;                  /* train: chunks x n_params                   */
    double *probs;                /* predict: n x k                             */
    float *H;                     /* embed: n x dense (the dense layer)         */
} cnn_pass;

static void softmax_rows(const float *Z, size_t nb, size_t k, double *out)
{
    for (size_t i = 0; i < nb; i++) {
        /* p = softmax(z) in double, floored at 1e-12 so no class is exactly 0 */
        const float *z = Z + i * k;
        double *p = out + i * k, mx = z[0], s = 0.0, s2 = 0.0;
        for (size_t c = 1; c < k; c++) if (z[c] > mx) mx = z[c];
        for (size_t c = 0; c < k; c++) { p[c] = exp((double)z[c] - mx); s += p[c]; }
        for (size_t c = 0; c < k; c++) { p[c] /= s; if (p[c] < 1e-12) p[c] = 1e-12; s2 += p[c]; }
        for (size_t c = 0; c < k; c++) p[c] /= s2;
    }
}

static void pass_part(void *arg, int t, int T)
{
    cnn_pass *p = arg;
    const cv_cnn *m = p->m;
    size_t d = (size_t)m->h[0] * m->w[0] * m->c[0], nch = (p->n + CV_CNN_CHUNK - 1) / CV_CNN_CHUNK;
    cnn_ws *w = &p->ws[t];
    for (size_t ch = (size_t)t; ch < nch; ch += (size_t)T) {
        size_t i0 = ch * CV_CNN_CHUNK, nc = p->n - i0 < CV_CNN_CHUNK ? p->n - i0 : CV_CNN_CHUNK;
        la_rng r;                 /* chunk ch of step s: its own stream, whatever the thread */
        la_rng_seed(&r, p->seed + CNN_DROP_STEP * p->step, (uint64_t)ch);
        int drop = p->gbuf && p->dropout > 0;
        float *Z = cnn_forward(m, w, p->X + i0 * d, nc, p->dropout, drop ? &r : NULL);
        if (p->H) { memcpy(p->H + i0 * m->dense, w->H1, nc * m->dense * sizeof *p->H); continue; }
        if (p->probs) { softmax_rows(Z, nc, m->k, p->probs + i0 * m->k); continue; }
        size_t c = 0;
        float *G = p->gbuf ? w->G : NULL;
        p->loss[ch] = cv_loss_batch(p->L, Z, nc, p->y + i0, p->sw ? p->sw + i0 : NULL, p->scale, G, &c);
        p->correct[ch] = c;
        if (!p->gbuf) continue;
        float *g = p->gbuf + ch * m->n_params;
        memset(g, 0, m->n_params * sizeof *g);
        cnn_backward(m, w, nc, drop ? (float)(1.0 / (1.0 - p->dropout)) : 1.0f, g);
    }
}

/* Runs the pass on T threads; returns the summed loss (chunk order), and
 * *correct; with gbuf, grad (n_params) = sum of the chunks' gradients. */
static double pass_run(cnn_pass *p, int T, float *grad, size_t *correct)
{
    size_t nch = (p->n + CV_CNN_CHUNK - 1) / CV_CNN_CHUNK;
    if ((size_t)T > nch) T = (int)(nch ? nch : 1);
    la_par_run(T, pass_part, p);
    double J = 0.0;
    size_t c = 0;
    for (size_t ch = 0; !p->probs && !p->H && ch < nch; ch++) { J += p->loss[ch]; c += p->correct[ch]; }
    if (correct) *correct = c;
    if (grad && p->gbuf) {
        size_t P = p->m->n_params;
        memcpy(grad, p->gbuf, P * sizeof *grad);
        for (size_t ch = 1; ch < nch; ch++) {
            const float *g = p->gbuf + ch * P;
            for (size_t q = 0; q < P; q++) grad[q] += g[q];
        }
    }
    return J;
}

static int threads_of(const cv_train_opts *o)
{
    int T = o->threads > o->batch_threads ? o->threads : o->batch_threads;
    return T < 1 ? 1 : T > CNN_MAX_THREADS ? CNN_MAX_THREADS : T;
}

/* T workspaces; -1 on OOM (none left allocated). */
static cnn_ws *ws_array(const cv_cnn *m, int T, int backward)
{
    cnn_ws *ws = la_calloc((size_t)T, sizeof *ws);
    if (!ws) return NULL;
    for (int t = 0; t < T; t++)
        if (ws_alloc(&ws[t], m, backward)) {
            for (int u = 0; u < t; u++) ws_free(&ws[u]);
            free(ws);
            return NULL;
        }
    return ws;
}

static void ws_array_free(cnn_ws *ws, int T)
{
    for (int t = 0; ws && t < T; t++) ws_free(&ws[t]);
    free(ws);
}

/* A forward pass without dropout on `threads` threads into probs (n x k)
 * or H (n x dense): prediction and the embedding share it. */
static int forward_pass(const cv_cnn *m, const float *X, size_t n, int threads, double *probs, float *H,
                        la_error *err)
{
    int T = threads < 1 ? 1 : threads > CNN_MAX_THREADS ? CNN_MAX_THREADS : threads;
    cnn_ws *ws = ws_array(m, T, 0);
    if (!ws) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    cnn_pass p = {.m = m, .ws = ws, .X = X, .n = n, .probs = probs, .H = H};
    pass_run(&p, T, NULL, NULL);
    openblas_set_num_threads(saved);
    ws_array_free(ws, T);
    return 0;
}

int cv_cnn_predict_proba(const cv_cnn *m, const float *X, size_t n, int threads, double *out, la_error *err)
{
    return forward_pass(m, X, n, threads, out, NULL, err);
}

int cv_cnn_embed(const cv_cnn *m, const float *X, size_t n, int threads, float *H, la_error *err)
{
    return forward_pass(m, X, n, threads, NULL, H, err);
}

double cv_cnn_objective(const cv_cnn *m, const cv_train_opts *o, const float *X, size_t n, const int32_t *y,
                        const float *sw, double l2, float *grad)
{
    size_t nch = (n + CV_CNN_CHUNK - 1) / CV_CNN_CHUNK;
    double *cw = la_calloc(m->k, sizeof *cw), *loss = la_calloc(nch + 1, sizeof *loss), J = NAN;
    size_t *cor = la_calloc(nch + 1, sizeof *cor);
    float *gbuf = grad ? la_malloc_array((nch + 1) * m->n_params, sizeof *gbuf) : NULL;
    cnn_ws *ws = ws_array(m, 1, 1);
    if (cw && loss && cor && ws && (!grad || gbuf)) {
        cv_loss L;
        cv_loss_setup(o, y, n, m->k, cw, &L);
        cnn_pass p = {.m = m, .ws = ws, .X = X, .n = n, .y = y, .sw = sw, .L = &L, .scale = 1.0f,
                      .loss = loss, .correct = cor, .gbuf = gbuf};
        J = pass_run(&p, 1, grad, NULL);
        J += l2_term(m, l2, grad, 1.0);
    }
    ws_array_free(ws, 1);
    free(cw); free(loss); free(cor); free(gbuf);
    return J;
}

/* ---- training ---------------------------------------------------------------- */

/* Everything one fit allocates. */
typedef struct cnn_run {
    size_t   B, d, nch;           /* batch rows, features, chunks per batch     */
    uint64_t step;                /* minibatches so far                         */
    int      T;
    int32_t *fold, *ytr, *yb, *yva;
    size_t  *tr, *va, ntr, nva, *idx;
    uint8_t *seen;                /* ntr: drawn before in this epoch            */
    float   *Xb, *swb, *tmp;      /* batch rows, weights, augmentation scratch  */
    float   *grad, *mom, *vel, *best, *gbuf;
    float   *Xva, *swva;          /* validation rows, their weights (cv_train_val_weights) */
    double  *cw, *loss;
    size_t  *correct;
    cnn_ws  *ws;
} cnn_run;

static void run_free(cnn_run *R)
{
    ws_array_free(R->ws, R->T);
    free(R->fold); free(R->ytr); free(R->yb); free(R->yva); free(R->swva); free(R->tr); free(R->va); free(R->idx);
    free(R->seen); free(R->Xb); free(R->swb); free(R->tmp); free(R->grad); free(R->mom); free(R->vel);
    free(R->best); free(R->gbuf); free(R->Xva); free(R->cw); free(R->loss); free(R->correct);
}

/* Stratified inner validation split (fold 0 of round(1 / val_frac)) when
 * early stopping is on and there are >= 5 rows per split fold; then the
 * buffers. 0 or -1 (out of memory). */
static int run_alloc(cnn_run *R, const cv_cnn *m, const cv_train_opts *o, const float *X, size_t n,
                     const int32_t *y, int patience)
{
    size_t d = R->d, B = R->B, P = m->n_params, k = m->k;
    R->fold = la_malloc_array(n, sizeof *R->fold);
    R->tr = la_malloc_array(n, sizeof *R->tr);
    R->va = la_malloc_array(n, sizeof *R->va);
    if (!R->fold || !R->tr || !R->va) return -1;
    int vf = o->val_frac > 0 ? (int)lround(1.0 / o->val_frac) : 0;
    R->ntr = n;
    if (patience > 0 && vf >= 2 && n >= (size_t)vf * 5) {
        la_error e;
        if (cv_folds_stratified(y, n, k, vf, o->seed ^ CV_INNER_SPLIT_SEED, R->fold, NULL, &e)) return -1;
        R->ntr = 0;
        for (size_t i = 0; i < n; i++) { if (R->fold[i] == 0) R->va[R->nva++] = i; else R->tr[R->ntr++] = i; }
    } else {
        for (size_t i = 0; i < n; i++) R->tr[i] = i;
    }
    R->nch = (B + CV_CNN_CHUNK - 1) / CV_CNN_CHUNK;
    size_t nvch = (R->nva + CV_CNN_CHUNK - 1) / CV_CNN_CHUNK, lch = nvch > R->nch ? nvch : R->nch;
    R->ytr = la_malloc_array(R->ntr, sizeof *R->ytr);
    R->idx = la_malloc_array(R->ntr, sizeof *R->idx);
    R->seen = la_calloc(R->ntr, 1);
    R->yb = la_malloc_array(B, sizeof *R->yb);
    R->Xb = la_malloc_array(B * d, sizeof *R->Xb);
    R->swb = la_malloc_array(B, sizeof *R->swb);
    R->tmp = la_malloc_array(d, sizeof *R->tmp);
    R->grad = la_calloc(P, sizeof *R->grad);
    R->mom = la_calloc(P, sizeof *R->mom);
    R->vel = la_calloc(P, sizeof *R->vel);
    R->best = la_malloc_array(P, sizeof *R->best);
    R->gbuf = la_malloc_array(R->nch * P, sizeof *R->gbuf);
    R->cw = la_calloc(k, sizeof *R->cw);
    R->loss = la_calloc(lch, sizeof *R->loss);
    R->correct = la_calloc(lch, sizeof *R->correct);
    R->ws = ws_array(m, R->T, 1);
    if (!R->ytr || !R->idx || !R->seen || !R->yb || !R->Xb || !R->swb || !R->tmp || !R->grad || !R->mom ||
        !R->vel || !R->best || !R->gbuf || !R->cw || !R->loss || !R->correct || !R->ws)
        return -1;
    for (size_t i = 0; i < R->ntr; i++) R->ytr[i] = y[R->tr[i]];
    if (!R->nva) return 0;
    R->Xva = la_malloc_array(R->nva * d, sizeof *R->Xva);
    R->yva = la_malloc_array(R->nva, sizeof *R->yva);
    R->swva = la_malloc_array(R->nva, sizeof *R->swva);
    if (!R->Xva || !R->yva || !R->swva) return -1;
    for (size_t i = 0; i < R->nva; i++) {
        memcpy(R->Xva + i * d, X + R->va[i] * d, d * sizeof *R->Xva);
        R->yva[i] = y[R->va[i]];
    }
    cv_train_val_weights(o, R->yva, R->nva, m->k, R->swva);
    return 0;
}

/* Copies the epoch's rows idx[j0 .. j0+nb) into the batch; a row drawn
 * again this epoch (oversampling) is shifted, and with o->augment every row
 * is shifted with probability 1/2 (mirrored too with --flip). */
static void fill_batch(cnn_run *R, const cv_train_opts *o, const float *X, const int32_t *y, const float *sw,
                       size_t j0, size_t nb, int can_aug, la_rng *r)
{
    size_t d = R->d;
    for (size_t j = 0; j < nb; j++) {
        size_t t = R->idx[j0 + j], i = R->tr[t];
        float *row = R->Xb + j * d;
        memcpy(row, X + i * d, d * sizeof *row);
        int repeat = R->seen[t]++ > 0;
        if (can_aug && (repeat || (o->augment && (la_rng_next(r) & 1)))) cv_sampler_augment_random(o, row, R->tmp, r);
        R->yb[j] = y[i];
        R->swb[j] = sw ? sw[i] : 1.0f;
    }
}

/* One epoch of minibatch steps: G = (1/nb) sw_i dL_i/dz, grad = sum of the
 * chunk gradients + (l2 / n_train) W, Adam. Returns the summed loss. */
static double run_epoch(cnn_run *R, cv_cnn *m, const cv_train_opts *o, const float *X, const int32_t *y,
                        const float *sw, const cv_loss *L, double l2n, la_rng *r, cv_mlp_adam *adam,
                        size_t *seen_rows, size_t *correct)
{
    size_t cnt = 0;
    double loss = 0.0;
    int can_aug = cv_sampler_can_augment(o, R->d);
    cv_sampler_epoch(o->sampler, R->ytr, R->ntr, m->k, r, R->idx, &cnt);
    memset(R->seen, 0, R->ntr);
    for (size_t j0 = 0; j0 < cnt; j0 += R->B) {
        size_t nb = cnt - j0 < R->B ? cnt - j0 : R->B, c = 0;
        fill_batch(R, o, X, y, sw, j0, nb, can_aug, r);
        cnn_pass p = {.m = m, .ws = R->ws, .X = R->Xb, .n = nb, .y = R->yb, .sw = R->swb, .L = L,
                      .scale = 1.0f / (float)nb, .loss = R->loss, .correct = R->correct, .gbuf = R->gbuf,
                      .dropout = o->dropout, .step = R->step++, .seed = o->seed};
        loss += pass_run(&p, R->T, R->grad, &c);
        if (l2n > 0) l2_term(m, l2n, R->grad, 1.0);
        cv_mlp_adam_step(adam, m->params, R->grad, m->n_params, o->lr);
        *correct += c;
        *seen_rows += nb;
    }
    return loss;
}

int cv_cnn_fit(cv_cnn *m, const cv_train_opts *o, const float *X, size_t n, const int32_t *y, const float *sw,
               la_error *err)
{
    cnn_run R;
    memset(&R, 0, sizeof R);
    R.d = (size_t)m->h[0] * m->w[0] * m->c[0];
    R.B = (size_t)(o->batch_size > 0 ? o->batch_size : CV_DEFAULT_BATCH);
    R.T = threads_of(o);
    int patience = o->patience < 0 ? CNN_PATIENCE : o->patience;
    if (run_alloc(&R, m, o, X, n, y, patience)) {
        run_free(&R);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    int saved = openblas_get_num_threads();
    openblas_set_num_threads(1);
    size_t P = m->n_params;
    cv_loss L, Lval;
    cv_loss_setup(o, R.ytr, R.ntr, m->k, R.cw, &L);
    memset(&Lval, 0, sizeof Lval);
    Lval.kind = CV_LOSS_CE;
    Lval.k = m->k;
    la_rng r;
    la_rng_seed(&r, o->seed, CNN_EPOCH_STREAM);
    cv_mlp_adam adam = {R.mom, R.vel, 1.0, 1.0};
    double best = INFINITY, best_acc = -1.0, l2n = (o->l2 < 0 ? 1.0 : o->l2) / (double)(R.ntr ? R.ntr : 1);
    int bad = 0, best_epoch = -1, epoch;
    memcpy(R.best, m->params, P * sizeof *R.best);
    for (epoch = 0; epoch < o->epochs; epoch++) {
        size_t seen = 0, correct = 0, vc = 0;
        double tr_loss = run_epoch(&R, m, o, X, y, sw, &L, l2n, &r, &adam, &seen, &correct);
        double va_loss = NAN, va_acc = NAN;
        if (R.nva) {
            cnn_pass p = {.m = m, .ws = R.ws, .X = R.Xva, .n = R.nva, .y = R.yva, .sw = R.swva, .L = &Lval,
                          .scale = 1.0f,
                          .loss = R.loss, .correct = R.correct};
            va_loss = pass_run(&p, R.T, NULL, &vc) / (double)R.nva;
            va_acc = (double)vc / (double)R.nva;
        }
        cv_curve_put(o->curve, (size_t)epoch, seen ? (double)correct / seen : NAN, seen ? tr_loss / seen : NAN,
                     va_acc, va_loss, NAN);
        if (!R.nva) continue;
        if (cv_mlp_improved(o, va_acc, va_loss, &best_acc, &best)) {
            best_epoch = epoch;
            memcpy(R.best, m->params, P * sizeof *R.best);
            bad = 0;
        } else if (++bad >= patience) {
            epoch++;
            break;
        }
    }
    if (R.nva && best_epoch >= 0) memcpy(m->params, R.best, P * sizeof *R.best);
    if (o->curve) o->curve->best = R.nva ? best_epoch : -1;
    if (o->n_iter) *o->n_iter = epoch;
    openblas_set_num_threads(saved);
    run_free(&R);
    return 0;
}
