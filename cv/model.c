/*
 * model.c — logreg (L-BFGS), mlp (Adam) and knn behind one fit/predict API
 * (see model.h). Matrix products go through cblas_sgemm in float32; sums that
 * decide convergence (loss, L-BFGS vectors) are kept in double.
 * Not here: preprocessing (prep.c), fold logic (cv.c), loss math (loss.c).
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "mlp.h"
#include "folds.h"

struct cv_model {
    cv_model_kind kind;
    size_t d, k;
    /* logreg and mlp: one parameter block; layer l maps dims[l] -> dims[l+1] */
    int    n_layers;                    /* 1 for logreg                        */
    size_t dims[CV_MAX_HIDDEN + 2];
    float *params;                      /* all W_l (in x out) then b_l (out)   */
    size_t n_params;
    float *W[CV_MAX_HIDDEN + 1], *b[CV_MAX_HIDDEN + 1];
    /* knn */
    float   *X;                         /* n x d training rows (unit rows for cosine) */
    float   *sqn;                       /* n squared norms (euclidean)          */
    int32_t *y;                         /* n labels                             */
    float   *sw;                        /* n weights                            */
    size_t   n;
    int      knn_k;
    cv_metric metric;
    double   smooth;
};

static const char *const model_names[] = {"logreg", "mlp", "knn"};
const char *cv_model_name(cv_model_kind k) { return model_names[k]; }

void cv_train_opts_init(cv_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = CV_MODEL_LOGREG;
    o->loss = CV_LOSS_CE;
    o->beta = 0.999;
    o->gamma = 2.0;
    o->gce_q = 0.7;
    o->sce_alpha = 0.1;
    o->sce_beta = 1.0;
    o->l2 = 1.0;
    o->max_iter = 500;
    o->tol = 1e-4;                 /* = scikit-learn's tol on the mean-loss gradient */
    o->l2_default = 1;             /* logreg: L relative to the data, see logreg_fit */
    o->tol_default = 1;
    o->hidden[0] = 256;
    o->n_hidden = 1;
    o->epochs = 30;
    o->batch_size = 128;
    o->lr = 1e-3;
    o->patience = -1;              /* per model: mlp 3, logreg 0 (converge) */
    o->val_frac = 0.1;
    o->knn_k = 15;
    o->metric = CV_METRIC_COSINE;
}

int cv_train_opts_validate(const cv_train_opts *o, size_t k, la_error *err)
{
    if (k > CV_MAX_CLASSES)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu classes: at most %d are supported", k, CV_MAX_CLASSES);
    if (o->focal_alpha && o->n_focal_alpha != 1 && o->n_focal_alpha != k)
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "--focal-alpha has %zu values: give 1 or one per class (%zu)",
                            o->n_focal_alpha, k);
    if (o->model == CV_MODEL_MLP && o->n_hidden < 1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--hidden needs at least one layer size");
    return 0;
}

void cv_loss_setup(const cv_train_opts *o, const int32_t *y, size_t n, size_t k,
                   double *class_w, cv_loss *L)
{
    memset(L, 0, sizeof *L);
    L->kind = o->loss;
    L->k = k;
    L->smoothing = o->smoothing;
    L->gamma = o->gamma;
    L->gce_q = o->gce_q;
    L->sce_alpha = o->sce_alpha;
    L->sce_beta = o->sce_beta;
    for (size_t c = 0; c < k; c++) class_w[c] = 1.0;
    if (o->loss == CV_LOSS_WEIGHTED) cv_class_weights_inverse(y, n, k, class_w);
    if (o->loss == CV_LOSS_BALANCED) cv_class_weights_effective(y, n, k, o->beta, class_w);
    if (o->loss == CV_LOSS_FOCAL && o->focal_alpha)
        for (size_t c = 0; c < k; c++)
            class_w[c] *= o->focal_alpha[o->n_focal_alpha == 1 ? 0 : c];
    L->class_w = class_w;
}

/* ---- sampling and augmentation ------------------------------------------ */

void cv_sampler_epoch(cv_sampler_kind s, const int32_t *y, size_t n, size_t k, la_rng *rng,
                      size_t *idx, size_t *count)
{
    if (s == CV_SAMPLER_OVERSAMPLE) {
        /* P(i) = 1 / (K' n_{y_i}): pick a present class uniformly, then a row of it */
        size_t *cnt = la_calloc(k + 1, sizeof *cnt), *rows = la_malloc_array(n, sizeof *rows);
        size_t *present = la_malloc_array(k, sizeof *present);
        if (!cnt || !rows || !present) goto plain;
        for (size_t i = 0; i < n; i++) cnt[y[i] + 1]++;
        for (size_t c = 0; c < k; c++) cnt[c + 1] += cnt[c];
        size_t *pos = present;      /* borrow as a cursor, refilled below */
        for (size_t c = 0; c < k; c++) pos[c] = cnt[c];
        for (size_t i = 0; i < n; i++) rows[pos[y[i]]++] = i;
        size_t kp = 0;
        for (size_t c = 0; c < k; c++) if (cnt[c + 1] > cnt[c]) present[kp++] = c;
        for (size_t j = 0; j < n; j++) {
            size_t c = present[la_rng_below(rng, kp)];
            idx[j] = rows[cnt[c] + la_rng_below(rng, cnt[c + 1] - cnt[c])];
        }
        *count = n;
        free(cnt); free(rows); free(present);
        return;
    plain:
        free(cnt); free(rows); free(present);
        s = CV_SAMPLER_NONE;
    }
    if (s == CV_SAMPLER_UNDERSAMPLE) {
        /* shuffle all, then keep the first min_c n_c rows of each class */
        size_t *cnt = la_calloc(k, sizeof *cnt), *kept = la_calloc(k, sizeof *kept);
        if (cnt && kept) {
            for (size_t i = 0; i < n; i++) { idx[i] = i; cnt[y[i]]++; }
            size_t mn = SIZE_MAX;
            for (size_t c = 0; c < k; c++) if (cnt[c] && cnt[c] < mn) mn = cnt[c];
            la_rng_shuffle(rng, idx, n);
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (kept[y[idx[i]]]++ < mn) idx[m++] = idx[i];
            *count = m;
            free(cnt); free(kept);
            return;
        }
        free(cnt); free(kept);
    }
    for (size_t i = 0; i < n; i++) idx[i] = i;
    la_rng_shuffle(rng, idx, n);
    *count = n;
}

void cv_augment_row(float *row, float *tmp, int w, int h, int ch, int dx, int dy, int flip)
{
    /* out(x, y) = in(clamp(x' - dx), clamp(y - dy)), x' = w-1-x when flipped */
    size_t sz = (size_t)w * h * ch;
    memcpy(tmp, row, sz * sizeof *row);
    for (int yy = 0; yy < h; yy++) {
        int sy = yy - dy;
        sy = sy < 0 ? 0 : sy >= h ? h - 1 : sy;
        for (int xx = 0; xx < w; xx++) {
            int sx = (flip ? w - 1 - xx : xx) - dx;
            sx = sx < 0 ? 0 : sx >= w ? w - 1 : sx;
            for (int c = 0; c < ch; c++)
                row[((size_t)yy * w + xx) * ch + c] = tmp[((size_t)sy * w + sx) * ch + c];
        }
    }
}

/* Random shift of 1-2 pixels (never 0, 0) and, with flip, a coin-flip mirror. */
static void augment_random(const cv_train_opts *o, float *row, float *tmp, la_rng *r)
{
    int dx, dy;
    do {
        dx = (int)la_rng_below(r, 5) - 2;
        dy = (int)la_rng_below(r, 5) - 2;
    } while (dx == 0 && dy == 0);
    int fl = o->flip && (la_rng_next(r) & 1);
    cv_augment_row(row, tmp, o->image_w, o->image_h, o->channels ? o->channels : 1, dx, dy, fl);
}

static int can_augment(const cv_train_opts *o, size_t d)
{
    int ch = o->channels ? o->channels : 1;
    return o->image_w > 0 && o->image_h > 0 && (size_t)o->image_w * o->image_h * ch == d;
}

/* ---- parameters ----------------------------------------------------------- */

static cv_model *model_alloc(const cv_train_opts *o, size_t d, size_t k)
{
    cv_model *m = la_calloc(1, sizeof *m);
    if (!m) return NULL;
    m->kind = o->model;
    m->d = d;
    m->k = k;
    if (o->model == CV_MODEL_KNN) return m;
    m->n_layers = o->model == CV_MODEL_MLP ? o->n_hidden + 1 : 1;
    m->dims[0] = d;
    for (int l = 1; l < m->n_layers; l++) m->dims[l] = (size_t)o->hidden[l - 1];
    m->dims[m->n_layers] = k;
    size_t total = 0;
    for (int l = 0; l < m->n_layers; l++) total += m->dims[l] * m->dims[l + 1] + m->dims[l + 1];
    m->params = la_calloc(total, sizeof *m->params);
    if (!m->params) { free(m); return NULL; }
    m->n_params = total;
    float *p = m->params;
    for (int l = 0; l < m->n_layers; l++) { m->W[l] = p; p += m->dims[l] * m->dims[l + 1]; }
    for (int l = 0; l < m->n_layers; l++) { m->b[l] = p; p += m->dims[l + 1]; }
    return m;
}

int cv_model_init(const cv_train_opts *o, size_t d, size_t k, cv_model **out, la_error *err)
{
    cv_model *m = model_alloc(o, d, k);
    if (!m) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (o->model == CV_MODEL_MLP) {
        /* hidden layers: He uniform a = sqrt(6 / fan_in); output: Glorot sqrt(6 / (in + out)) */
        la_rng r;
        la_rng_seed(&r, o->seed, 7);
        for (int l = 0; l < m->n_layers; l++) {
            size_t fi = m->dims[l], fo = m->dims[l + 1];
            double a = l + 1 < m->n_layers ? sqrt(6.0 / fi) : sqrt(6.0 / (fi + fo));
            for (size_t j = 0; j < fi * fo; j++) m->W[l][j] = (float)(a * (2.0 * la_rng_uniform(&r) - 1.0));
        }
    }
    *out = m;
    return 0;
}

float *cv_model_params(cv_model *m, size_t *count)
{
    *count = m->n_params;
    return m->params;
}

void cv_model_free(cv_model *m)
{
    if (!m) return;
    free(m->params);
    free(m->X); free(m->sqn); free(m->y); free(m->sw);
    free(m);
}

/* ---- forward / backward / Adam (logreg = one layer); cv_mlp_* of mlp.h ----- */

void cv_mlp_ws_free(cv_mlp_ws *w)
{
    for (int l = 0; l < CV_MAX_HIDDEN + 2; l++) free(w->A[l]);
    free(w->G0); free(w->G1);
    memset(w, 0, sizeof *w);
}

int cv_mlp_ws_alloc(cv_mlp_ws *w, const cv_model *m, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->cap = cap;
    size_t mx = 0;
    for (int l = 1; l <= m->n_layers; l++) {
        w->A[l] = la_malloc_array(cap * m->dims[l], sizeof(float));
        if (!w->A[l]) { cv_mlp_ws_free(w); return -1; }
        if (m->dims[l] > mx) mx = m->dims[l];
    }
    w->G0 = la_malloc_array(cap * mx, sizeof(float));
    w->G1 = la_malloc_array(cap * mx, sizeof(float));
    if (!w->G0 || !w->G1) { cv_mlp_ws_free(w); return -1; }
    return 0;
}

/* Forward pass of nb rows X (nb x d): A[l+1] = act(A[l] W_l + b_l), ReLU on
 * hidden layers, inverted dropout (keep 1 - p, scale 1/(1-p)) when r != NULL.
 * Returns the logits A[L] (nb x k). */
float *cv_mlp_forward(const cv_model *m, cv_mlp_ws *w, const float *X, size_t nb, double dropout, la_rng *r)
{
    const float *in = X;
    for (int l = 0; l < m->n_layers; l++) {
        size_t fi = m->dims[l], fo = m->dims[l + 1];
        float *out = w->A[l + 1];
        for (size_t i = 0; i < nb; i++) memcpy(out + i * fo, m->b[l], fo * sizeof *out);
        /* out (nb x fo) += in (nb x fi) * W_l (fi x fo) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)fo, (int)fi,
                    1.0f, in, (int)fi, m->W[l], (int)fo, 1.0f, out, (int)fo);
        if (l + 1 < m->n_layers) {
            size_t sz = nb * fo;
            if (r && dropout > 0) {
                float keep = (float)(1.0 / (1.0 - dropout));
                uint32_t thr = (uint32_t)(dropout * 4294967296.0);
                for (size_t j = 0; j < sz; j += 2) {
                    uint64_t u = la_rng_next(r);
                    out[j] = ((uint32_t)u < thr || out[j] < 0) ? 0.0f : out[j] * keep;
                    if (j + 1 < sz) out[j + 1] = ((uint32_t)(u >> 32) < thr || out[j + 1] < 0) ? 0.0f : out[j + 1] * keep;
                }
            } else {
                for (size_t j = 0; j < sz; j++) if (out[j] < 0) out[j] = 0.0f;
            }
        }
        in = out;
    }
    return w->A[m->n_layers];
}

/* Backward pass after cv_mlp_forward(): G (nb x k) = dJ/dlogits, accumulates into
 * grad (parameter layout). keep_scale = 1/(1-dropout) (1 without dropout). */
void cv_mlp_backward(const cv_model *m, cv_mlp_ws *w, const float *X, size_t nb, float *G,
                     float keep_scale, float *grad)
{
    float *gW[CV_MAX_HIDDEN + 1], *gb[CV_MAX_HIDDEN + 1], *p = grad;
    for (int l = 0; l < m->n_layers; l++) { gW[l] = p; p += m->dims[l] * m->dims[l + 1]; }
    for (int l = 0; l < m->n_layers; l++) { gb[l] = p; p += m->dims[l + 1]; }
    float *cur = G, *other = (G == w->G0) ? w->G1 : w->G0;
    for (int l = m->n_layers - 1; l >= 0; l--) {
        size_t fi = m->dims[l], fo = m->dims[l + 1];
        const float *in = l == 0 ? X : w->A[l];
        /* gW_l += in^T (fi x nb) * cur (nb x fo); gb_l += colsum cur */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)fi, (int)fo, (int)nb,
                    1.0f, in, (int)fi, cur, (int)fo, 1.0f, gW[l], (int)fo);
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < fo; j++) gb[l][j] += cur[i * fo + j];
        if (l == 0) break;
        /* dA_l (nb x fi) = cur * W_l^T; through ReLU and dropout: 0 where A_l == 0 */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)fi, (int)fo,
                    1.0f, cur, (int)fo, m->W[l], (int)fo, 0.0f, other, (int)fi);
        const float *A = w->A[l];
        for (size_t j = 0; j < nb * fi; j++) other[j] = A[j] > 0 ? other[j] * keep_scale : 0.0f;
        float *t = cur; cur = other; other = t;
    }
}

int cv_mlp_layers(cv_model *m, size_t dims[CV_MAX_HIDDEN + 2], float *W[CV_MAX_HIDDEN + 1],
                  float *b[CV_MAX_HIDDEN + 1])
{
    for (int l = 0; l < m->n_layers; l++) { dims[l] = m->dims[l]; W[l] = m->W[l]; b[l] = m->b[l]; }
    dims[m->n_layers] = m->dims[m->n_layers];
    return m->n_layers;
}

/* theta -= lr mhat / (sqrt(vhat) + eps), m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2 */
void cv_mlp_adam_step(cv_mlp_adam *s, float *theta, const float *g, size_t P, double lr)
{
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    s->b1t *= b1;
    s->b2t *= b2;
    float lr_t = (float)(lr * sqrt(1.0 - s->b2t) / (1.0 - s->b1t));
    for (size_t q = 0; q < P; q++) {
        float gq = g[q];
        s->mom[q] = (float)b1 * s->mom[q] + (float)(1.0 - b1) * gq;
        s->vel[q] = (float)b2 * s->vel[q] + (float)(1.0 - b2) * gq * gq;
        theta[q] -= lr_t * s->mom[q] / (sqrtf(s->vel[q]) + (float)eps);
    }
}

/* (l2/2) sum ||W_l||^2 added to J; l2 W_l added to the gradient (biases free). */
static double l2_term(const cv_model *m, double l2, float *grad)
{
    if (l2 == 0.0) return 0.0;
    double s = 0.0;
    size_t off = 0;
    for (int l = 0; l < m->n_layers; l++) {
        size_t sz = m->dims[l] * m->dims[l + 1];
        const float *W = m->W[l];
        for (size_t j = 0; j < sz; j++) {
            s += (double)W[j] * W[j];
            if (grad) grad[off + j] += (float)(l2 * W[j]);
        }
        off += sz;
    }
    return 0.5 * l2 * s;
}

/* J over all rows in chunks of ws.cap (no dropout), gradient accumulated. */
static double objective(const cv_model *m, const cv_loss *L, double l2, cv_mlp_ws *w,
                        const float *X, size_t n, const int32_t *y, const float *sw,
                        float *grad, size_t *n_correct)
{
    if (grad) memset(grad, 0, m->n_params * sizeof *grad);
    double J = 0.0;
    size_t correct = 0;
    for (size_t i0 = 0; i0 < n; i0 += w->cap) {
        size_t nb = n - i0 < w->cap ? n - i0 : w->cap, c = 0;
        const float *Xb = X + i0 * m->d;
        float *Z = cv_mlp_forward(m, w, Xb, nb, 0.0, NULL);
        float *G = grad ? w->G0 : NULL;
        J += cv_loss_batch(L, Z, nb, y + i0, sw ? sw + i0 : NULL, 1.0f, G, &c);
        correct += c;
        if (grad) cv_mlp_backward(m, w, Xb, nb, G, 1.0f, grad);
    }
    if (n_correct) *n_correct = correct;
    return J + l2_term(m, l2, grad);
}

static double logreg_eval(const cv_model *m, const cv_loss *L, double l2, cv_mlp_ws *w,
                          const float *X, size_t ld, size_t n, const int32_t *y, const float *sw,
                          float *grad, size_t *n_correct, const uint8_t *is_val,
                          double *vloss, size_t *vcorrect);

double cv_model_objective(const cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                          const int32_t *y, const float *sw, float *grad)
{
    if (m->kind == CV_MODEL_KNN) return 0.0;
    double *cw = la_calloc(m->k, sizeof *cw);
    cv_mlp_ws w;
    if (!cw || cv_mlp_ws_alloc(&w, m, n < 4096 ? n : 4096)) { free(cw); return NAN; }
    cv_loss L;
    cv_loss_setup(o, y, n, m->k, cw, &L);
    double J, l2 = o->l2 < 0 ? 1.0 : o->l2;
    if (m->kind == CV_MODEL_LOGREG) {
        /* the evaluation L-BFGS uses, with its sw-weighted CE path */
        float *ones = sw ? NULL : la_malloc_array(n ? n : 1, sizeof *ones);
        double vl;
        size_t vc;
        if (!sw && !ones) J = NAN;
        else {
            for (size_t i = 0; !sw && i < n; i++) ones[i] = 1.0f;
            J = logreg_eval(m, &L, l2, &w, X, m->d, n, y, sw ? sw : ones, grad, NULL, NULL, &vl, &vc);
        }
        free(ones);
    } else {
        J = objective(m, &L, l2, &w, X, n, y, sw, grad, NULL);
    }
    cv_mlp_ws_free(&w);
    free(cw);
    return J;
}

/* ---- logreg: L-BFGS ------------------------------------------------------- */

#define LBFGS_M 10

static void curve_put(cv_curve *cv, size_t e, double tr_acc, double tr_loss, double va_acc,
                      double va_loss, double ho_acc)
{
    if (!cv || e >= cv->cap) return;
    if (cv->train_acc) cv->train_acc[e] = (float)tr_acc;
    if (cv->train_loss) cv->train_loss[e] = (float)tr_loss;
    if (cv->val_acc) cv->val_acc[e] = (float)va_acc;
    if (cv->val_loss) cv->val_loss[e] = (float)va_loss;
    if (cv->heldout_acc) cv->heldout_acc[e] = (float)ho_acc;
    cv->n = e + 1;
}

static double heldout_accuracy(const cv_model *m, const cv_train_opts *o)
{
    if (!o->eval_X || !o->eval_n || !o->eval_y) return NAN;
    double *P = la_malloc_array(o->eval_n * m->k, sizeof *P);
    if (!P) return NAN;
    la_error e;
    size_t ok = 0;
    if (cv_model_predict_proba(m, o->eval_X, o->eval_n, P, &e) == 0)
        for (size_t i = 0; i < o->eval_n; i++) {
            size_t am = 0;
            for (size_t c = 1; c < m->k; c++) if (P[i * m->k + c] > P[i * m->k + am]) am = c;
            ok += (int32_t)am == o->eval_y[i];
        }
    free(P);
    return (double)ok / (double)o->eval_n;
}

/* Validation statistics of rows marked in is_val, from logits Z (nb x k):
 * plain cross-entropy sum and correct count. */
static void val_stats(const float *Z, size_t nb, size_t k, const int32_t *y, const uint8_t *is_val,
                      double *loss, size_t *correct)
{
    for (size_t i = 0; i < nb; i++) {
        if (!is_val[i]) continue;
        const float *z = Z + i * k;
        size_t am = 0;
        double mx = z[0], s = 0.0;
        for (size_t c = 1; c < k; c++) { if (z[c] > mx) mx = z[c]; if (z[c] > z[am]) am = c; }
        for (size_t c = 0; c < k; c++) s += exp((double)z[c] - mx);
        *loss += mx + log(s) - z[y[i]];
        *correct += (int32_t)am == y[i];
    }
}

/* Cross-entropy with class weights and no label smoothing (ce, weighted,
 * balanced): the loss of logreg's default path, done with one exp per class
 * instead of cv_loss_row's general form (which needs p twice). Per row i:
 *   p = softmax(z_i),  L_i = w_i c_{y_i} (log sum_c e^{z_ic} - z_{i y_i}),
 *   dL_i/dz_i = w_i c_{y_i} (p - onehot(y_i))
 * with w = sw and c = class_w; same contract as cv_loss_batch with scale 1. */
static int ce_form(const cv_loss *L)
{
    return (L->kind == CV_LOSS_CE || L->kind == CV_LOSS_WEIGHTED || L->kind == CV_LOSS_BALANCED) &&
           L->smoothing == 0.0 && L->k <= 256;
}

static double ce_batch(const cv_loss *L, const float *Z, size_t n, const int32_t *y,
                       const float *sw, float *G, size_t *n_correct)
{
    size_t k = L->k, correct = 0;
    double total = 0.0, e[256];
    for (size_t i = 0; i < n; i++) {
        const float *z = Z + i * k;
        size_t am = 0;
        for (size_t c = 1; c < k; c++) if (z[c] > z[am]) am = c;
        correct += (int32_t)am == y[i];
        double w = (double)sw[i] * (L->class_w ? L->class_w[y[i]] : 1.0);
        if (w == 0.0) {
            if (G) memset(G + i * k, 0, k * sizeof *G);
            continue;
        }
        double mx = z[am], se = 0.0;
        for (size_t c = 0; c < k; c++) { e[c] = exp((double)z[c] - mx); se += e[c]; }
        total += w * (mx + log(se) - z[y[i]]);
        if (!G) continue;
        double ws = w / se;
        for (size_t c = 0; c < k; c++) G[i * k + c] = (float)(ws * e[c]);
        G[i * k + y[i]] -= (float)w;
    }
    if (n_correct) *n_correct = correct;
    return total;
}

/* logreg's J over n rows of X spaced ld floats apart (ld = d: contiguous;
 * ld = s d: every s-th row, the subsample of logreg_fit), in chunks of w->cap:
 *   Z = X_b W + 1 b^T,  G = dJ/dZ (cv_loss_batch),  gW += X_b^T G,  gb += 1^T G
 * Rows with sw 0 contribute nothing; validation stats of rows in is_val. */
static double logreg_eval(const cv_model *m, const cv_loss *L, double l2, cv_mlp_ws *w,
                          const float *X, size_t ld, size_t n, const int32_t *y, const float *sw,
                          float *grad, size_t *n_correct, const uint8_t *is_val,
                          double *vloss, size_t *vcorrect)
{
    size_t d = m->d, k = m->k;
    float *gW = grad, *gb = grad ? grad + d * k : NULL;
    if (grad) memset(grad, 0, m->n_params * sizeof *grad);
    double J = 0.0;
    size_t correct = 0;
    *vloss = 0.0;
    *vcorrect = 0;
    for (size_t i0 = 0; i0 < n; i0 += w->cap) {
        size_t nb = n - i0 < w->cap ? n - i0 : w->cap, c = 0;
        const float *Xb = X + i0 * ld;
        float *Z = w->A[1], *G = w->G0;
        for (size_t i = 0; i < nb; i++) memcpy(Z + i * k, m->b[0], k * sizeof *Z);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)d,
                    1.0f, Xb, (int)ld, m->W[0], (int)k, 1.0f, Z, (int)k);
        if (ce_form(L)) J += ce_batch(L, Z, nb, y + i0, sw + i0, grad ? G : NULL, &c);
        else J += cv_loss_batch(L, Z, nb, y + i0, sw + i0, 1.0f, grad ? G : NULL, &c);
        correct += c;
        if (is_val) val_stats(Z, nb, k, y + i0, is_val + i0, vloss, vcorrect);
        if (!grad) continue;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)k, (int)nb,
                    1.0f, Xb, (int)ld, G, (int)k, 1.0f, gW, (int)k);
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < k; j++) gb[j] += G[i * k + j];
    }
    if (n_correct) *n_correct = correct;
    return J + l2_term(m, l2, grad);
}

/* The L-BFGS preconditioner: P = (X^T X / m + eps I)^-1 on each class column
 * of W (identity on the biases), from a deterministic subsample of at most
 * 8192 training rows. Pixel columns are strongly correlated, so plain L-BFGS
 * crawls along the small eigenvalues; P removes most of that.
 * gram_build fills the lower triangle of G = S^T S / m (d x d, double);
 * precond_factor writes the Cholesky factor Lc of G + eps I. */
static int gram_build(const float *X, size_t n, size_t d, const float *sw, double *Gd)
{
    size_t step = n > 8192 ? (n + 8191) / 8192 : 1, m = 0;
    float *S = la_malloc_array((n / step + 1) * d, sizeof *S);
    float *G = la_calloc(d * d, sizeof *G);
    if (!S || !G) { free(S); free(G); return -1; }
    for (size_t i = 0; i < n; i += step) {
        if (sw[i] == 0.0f) continue;
        memcpy(S + m * d, X + i * d, d * sizeof *S);
        m++;
    }
    /* G (d x d, lower) = S^T S */
    cblas_ssyrk(CblasRowMajor, CblasLower, CblasTrans, (int)d, (int)m, 1.0f, S, (int)d, 0.0f, G, (int)d);
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) Gd[i * d + j] = G[i * d + j] / (double)(m ? m : 1);
    free(S); free(G);
    return 0;
}

/* LAPACK's Cholesky from OpenBLAS (no LAPACKE header in Debian's package). */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

static void precond_factor(const double *G, size_t d, double eps, double *Lc)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) Lc[i * d + j] = G[i * d + j] + (i == j ? eps : 0.0);
    /* A = L L^T, lower triangle row-major = LAPACK's upper triangle column-major,
     * blocked (dpotrf); the scalar loop below only when it reports A not
     * positive definite, which eps >= 1e-3 on a Gram matrix rules out */
    int n = (int)d, info = 0;
    dpotrf_("U", &n, Lc, &n, &info);
    if (info == 0) return;
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++) Lc[i * d + j] = G[i * d + j] + (i == j ? eps : 0.0);
    for (size_t j = 0; j < d; j++) {
        double s = Lc[j * d + j];
        for (size_t q = 0; q < j; q++) s -= Lc[j * d + q] * Lc[j * d + q];
        if (s <= 1e-12) s = 1e-12;
        double ljj = sqrt(s);
        Lc[j * d + j] = ljj;
        for (size_t i = j + 1; i < d; i++) {
            double t = Lc[i * d + j];
            for (size_t q = 0; q < j; q++) t -= Lc[i * d + q] * Lc[j * d + q];
            Lc[i * d + j] = t / ljj;
        }
    }
}

/* v (P-sized, W block d x k row-major then k biases) <- P v: two triangular
 * solves on the whole d x k block, L U = V then L^T X = U (biases untouched). */
static void precond_apply(const double *Lc, size_t d, size_t k, double *v)
{
    if (!Lc) return;
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasNoTrans, CblasNonUnit,
                (int)d, (int)k, 1.0, Lc, (int)d, v, (int)k);
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans, CblasNonUnit,
                (int)d, (int)k, 1.0, Lc, (int)d, v, (int)k);
}

/* Everything one L-BFGS run needs; buffers sized once per fit. */
typedef struct lbfgs_ctx {
    cv_model *m;
    const cv_loss *L;
    const cv_train_opts *o;
    cv_mlp_ws *w;
    const float *X;
    size_t ld;                  /* floats from one row of X to the next       */
    size_t n;
    const int32_t *y;
    const float *sw;            /* rows with 0 are out of the objective       */
    const uint8_t *is_val;      /* validation rows, or NULL                   */
    size_t nva;
    double wsum;
    const double *Lc;           /* preconditioner factor, or NULL             */
    double *mem;                /* P * (6 + 2 M) doubles                      */
    float *gf, *best;           /* P floats each                              */
    size_t iter_base;           /* curve offset                               */
    double tol;                 /* stop at max|grad| <= tol * wsum            */
} lbfgs_ctx;

/* L-BFGS (memory 10, preconditioned two-loop recursion, backtracking Armijo
 * line search with quadratic interpolation) from the model's current
 * parameters on J with penalty l2. With es > 0 and validation rows, keeps the
 * iterate of best validation log loss and stops after es iterations without
 * improvement; otherwise runs until max|grad| <= tol * sum(sw), f stalls, or
 * max_iter. Returns iterations run; *val_out = best (or final) validation loss. */
static int lbfgs_run(lbfgs_ctx *c, double l2, int max_iter, int es, double *val_out, int *best_out)
{
    cv_model *m = c->m;
    const cv_train_opts *o = c->o;
    size_t P = m->n_params, d = m->d, k = m->k, n = c->n;
    double *x = c->mem, *g = x + P, *dir = g + P, *xn = dir + P, *gn = xn + P, *py = gn + P;
    double *S = py + P, *Y = S + LBFGS_M * P, rho[LBFGS_M], alpha[LBFGS_M];
    float *gf = c->gf;
    for (size_t j = 0; j < P; j++) x[j] = m->params[j];
    size_t correct = 0, vcorrect = 0;
    double vloss = 0.0;
    double f = logreg_eval(m, c->L, l2, c->w, c->X, c->ld, n, c->y, c->sw, gf, &correct, c->is_val, &vloss, &vcorrect);
    for (size_t j = 0; j < P; j++) g[j] = gf[j];
    double best_v = c->nva ? vloss / (double)c->nva : NAN;
    int hist = 0, head = 0, iter = 0, bad = 0, best_iter = -1;
    memcpy(c->best, m->params, P * sizeof *c->best);
    for (iter = 0; iter < max_iter; iter++) {
        double gmax = 0.0;
        for (size_t j = 0; j < P; j++) if (fabs(g[j]) > gmax) gmax = fabs(g[j]);
        if (gmax <= c->tol * c->wsum) break;
        /* two-loop recursion: dir = -H g, H0 = gamma P */
        for (size_t j = 0; j < P; j++) dir[j] = -g[j];
        for (int h = 0; h < hist; h++) {
            int s = (head - 1 - h + LBFGS_M) % LBFGS_M;
            double a = 0.0;
            for (size_t j = 0; j < P; j++) a += S[s * P + j] * dir[j];
            a *= rho[s];
            alpha[s] = a;
            for (size_t j = 0; j < P; j++) dir[j] -= a * Y[s * P + j];
        }
        precond_apply(c->Lc, d, k, dir);
        if (hist > 0) {
            int s = (head - 1 + LBFGS_M) % LBFGS_M;
            double sy = 0.0, ypy = 0.0;
            for (size_t j = 0; j < P; j++) { py[j] = Y[s * P + j]; sy += S[s * P + j] * Y[s * P + j]; }
            precond_apply(c->Lc, d, k, py);
            for (size_t j = 0; j < P; j++) ypy += Y[s * P + j] * py[j];
            double gam = ypy > 0 ? sy / ypy : 1.0;
            for (size_t j = 0; j < P; j++) dir[j] *= gam;
        } else {
            double dn = 0.0;
            for (size_t j = 0; j < P; j++) dn += dir[j] * dir[j];
            double sc = 1.0 / sqrt(dn > 0 ? dn : 1.0);
            for (size_t j = 0; j < P; j++) dir[j] *= sc;
        }
        for (int h = hist - 1; h >= 0; h--) {
            int s = (head - 1 - h + LBFGS_M) % LBFGS_M;
            double b = 0.0;
            for (size_t j = 0; j < P; j++) b += Y[s * P + j] * dir[j];
            b *= rho[s];
            for (size_t j = 0; j < P; j++) dir[j] += (alpha[s] - b) * S[s * P + j];
        }
        double gd = 0.0;
        for (size_t j = 0; j < P; j++) gd += g[j] * dir[j];
        if (!(gd < 0)) {                 /* not a descent direction: restart */
            hist = 0;
            double gn2 = 0.0;
            for (size_t j = 0; j < P; j++) gn2 += g[j] * g[j];
            for (size_t j = 0; j < P; j++) dir[j] = -g[j] / sqrt(gn2);
            gd = -sqrt(gn2);
        }
        /* backtracking line search, Armijo f(x + t d) <= f + 1e-4 t g.d */
        double t = 1.0, fn = f;
        int ok = 0;
        for (int ls = 0; ls < 40; ls++) {
            for (size_t j = 0; j < P; j++) { xn[j] = x[j] + t * dir[j]; m->params[j] = (float)xn[j]; }
            fn = logreg_eval(m, c->L, l2, c->w, c->X, c->ld, n, c->y, c->sw, gf, &correct, c->is_val, &vloss, &vcorrect);
            if (isfinite(fn) && fn <= f + 1e-4 * t * gd) { ok = 1; break; }
            double tq = isfinite(fn) ? -gd * t * t / (2.0 * (fn - f - gd * t)) : 0.1 * t;
            t = tq < 0.1 * t ? 0.1 * t : tq > 0.5 * t ? 0.5 * t : tq;
        }
        if (!ok) break;                  /* no progress possible in float32 */
        for (size_t j = 0; j < P; j++) gn[j] = gf[j];
        double sy = 0.0, yy = 0.0;
        for (size_t j = 0; j < P; j++) {
            double sv = xn[j] - x[j], yv = gn[j] - g[j];
            S[head * P + j] = sv;
            Y[head * P + j] = yv;
            sy += sv * yv; yy += yv * yv;
        }
        if (sy > 1e-10 * yy) {
            rho[head] = 1.0 / sy;
            head = (head + 1) % LBFGS_M;
            if (hist < LBFGS_M) hist++;
        }
        double df = f - fn;
        memcpy(x, xn, P * sizeof *x);
        memcpy(g, gn, P * sizeof *g);
        f = fn;
        double vl = c->nva ? vloss / (double)c->nva : NAN;
        curve_put(o->curve, c->iter_base + (size_t)iter, (double)correct / (double)n, f / c->wsum,
                  c->nva ? (double)vcorrect / (double)c->nva : NAN, vl,
                  o->curve && o->curve->heldout_acc ? heldout_accuracy(m, o) : NAN);
        if (c->nva) {
            if (vl < best_v - 1e-6) {
                best_v = vl;
                best_iter = iter;
                memcpy(c->best, m->params, P * sizeof *c->best);
                bad = 0;
            } else if (es > 0 && ++bad >= es) {
                iter++;
                break;
            }
        }
        if (df <= 1e-10 * (fabs(f) > 1.0 ? fabs(f) : 1.0)) { iter++; break; }
    }
    if (c->nva && es > 0 && best_iter >= 0) memcpy(m->params, c->best, P * sizeof *c->best);
    else for (size_t j = 0; j < P; j++) m->params[j] = (float)x[j];
    if (val_out) *val_out = c->nva ? (es > 0 ? best_v : vloss / (double)c->nva) : NAN;
    if (best_out) *best_out = best_iter;
    c->iter_base += (size_t)iter;
    return iter;
}

/* Warm start from a subsample: every LR_SUB_STRIDE-th row, with the penalty
 * scaled by the subsample's share of the weight so the per-row objective is
 * the same. Its optimum is within sampling error of the full one and each
 * of its iterations reads a quarter of the rows; on Fashion-MNIST (48000-row
 * folds) the full-data run that follows needs 14-41 iterations (median 22)
 * instead of 29-47, about a fifth fewer row passes in all. It stops by the same rule
 * as the full run (max|grad| <= tol x its weight sum), and only chooses the
 * starting point: the result is still the full objective's, to the full tol.
 * Skipped below LR_SUB_MIN subsample rows, where a fit is cheap anyway.
 * Returns its iterations (0 when skipped), -1 when out of memory. */
#define LR_SUB_STRIDE 4
#define LR_SUB_MIN 4096

static int subsample_start(lbfgs_ctx *c, double l2)
{
    size_t ms = (c->n + LR_SUB_STRIDE - 1) / LR_SUB_STRIDE;
    if (ms < LR_SUB_MIN) return 0;
    int32_t *ys = la_malloc_array(ms, sizeof *ys);
    float *ss = la_malloc_array(ms, sizeof *ss);
    if (!ys || !ss) { free(ys); free(ss); return -1; }
    double wsub = 0.0;
    for (size_t i = 0; i < ms; i++) {
        ys[i] = c->y[i * LR_SUB_STRIDE];
        ss[i] = c->sw[i * LR_SUB_STRIDE];
        wsub += ss[i];
    }
    int iters = 0;
    if (wsub > 0) {
        lbfgs_ctx cs = *c;
        cs.ld = LR_SUB_STRIDE * c->ld;
        cs.n = ms;
        cs.y = ys;
        cs.sw = ss;
        cs.wsum = wsub;
        iters = lbfgs_run(&cs, l2 * wsub / c->wsum, c->o->max_iter, 0, NULL, NULL);
        c->iter_base = cs.iter_base;
    }
    free(ys); free(ss);
    return iters;
}

/* logreg: L-BFGS on J. The default recipe (no --l2, nothing held back for
 * validation) starts from subsample_start's point, and --max-iter bounds
 * each of the two runs; an explicit --l2 runs from 0 as before, so capped
 * runs (--max-iter 100, scikit-learn's budget) keep their meaning.
 * --l2 auto (o->l2 < 0): a regularization path
 * l2 = sum(sw) x 10^(-1 - j/2), j = 0..6, warm-started from the strongest,
 * each solved to convergence on the training rows minus a stratified inner
 * validation share; the l2 with the best validation log loss is then refitted
 * on all training rows. --patience > 0: early stopping on the validation share
 * instead of convergence (see lbfgs_run). */
static int logreg_fit(cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                      const int32_t *y, const float *sw_in, const cv_loss *L, la_error *err)
{
    size_t P = m->n_params, d = m->d, k = m->k, cap = n < 512 ? n : 512;
    double *mem = la_malloc_array(P * (6 + 2 * LBFGS_M), sizeof *mem);
    float *gf = la_malloc_array(P, sizeof *gf), *sw = la_malloc_array(n, sizeof *sw);
    float *best = la_malloc_array(P, sizeof *best), *best_path = la_malloc_array(P, sizeof *best_path);
    uint8_t *is_val = NULL;
    int32_t *fold = NULL;
    double *Lc = NULL, *G = NULL;
    cv_mlp_ws w;
    int wsok = cv_mlp_ws_alloc(&w, m, cap) == 0, rc = 0;
    if (!mem || !gf || !sw || !best || !best_path || !wsok) goto oom;
    for (size_t i = 0; i < n; i++) sw[i] = sw_in ? sw_in[i] : 1.0f;
    int autol2 = o->l2 < 0;
    int patience = o->patience < 0 ? 0 : o->patience;
    int vf = o->val_frac > 0 ? (int)lround(1.0 / o->val_frac) : 0;
    size_t nva = 0;
    if ((patience > 0 || autol2) && vf >= 2 && n >= (size_t)vf * 20) {
        la_error e2;
        fold = la_malloc_array(n, sizeof *fold);
        is_val = la_calloc(n, 1);
        if (!fold || !is_val) goto oom;
        if (cv_folds_stratified(y, n, k, vf, o->seed ^ 0x5A5A5A5Aull, fold, NULL, &e2)) goto oom;
        for (size_t i = 0; i < n; i++)
            if (fold[i] == 0) { is_val[i] = 1; sw[i] = 0.0f; nva++; }
    }
    double wsum = 0.0, wall = 0.0;
    for (size_t i = 0; i < n; i++) { wsum += sw[i]; wall += sw_in ? sw_in[i] : 1.0; }
    if (wsum <= 0) wsum = 1.0;
    if (d > 0 && d <= 4096) {
        Lc = la_calloc(d * d, sizeof *Lc);
        G = la_calloc(d * d, sizeof *G);
        if (!Lc || !G || gram_build(X, n, d, sw, G)) goto oom;
    }
    double l2 = autol2 ? 1.0 : o->l2, tol = o->tol;
    /* No --l2: L = 10^-2.5 sum(w), the value --l2 auto picks on Fashion-MNIST
     * in every fold (C = 1 overfits 784 correlated pixels: log loss 0.51 vs
     * 0.41), solved to tol 1e-3: the held-out loss no longer moves there. */
    if (o->l2_default && !autol2) {
        l2 = pow(10.0, -2.5) * wall;
        if (o->tol_default && tol < 1e-3) tol = 1e-3;
    }
    lbfgs_ctx c = {.m = m, .L = L, .o = o, .w = &w, .X = X, .n = n, .y = y, .sw = sw,
                   .is_val = nva ? is_val : NULL, .nva = nva, .wsum = wsum, .Lc = Lc,
                   .mem = mem, .gf = gf, .best = best, .tol = tol, .ld = d};
    int iters = 0, best_iter = -1;
#define PRECOND(lam) do { if (Lc) { double e_ = (lam) / (0.1 * c.wsum); \
        precond_factor(G, d, e_ < 1e-3 ? 1e-3 : e_, Lc); } } while (0)
    if (autol2 && nva) {
        double best_v = INFINITY, best_l2 = 1.0;
        int worse = 0;
        for (int j = 0; j <= 6; j++) {
            double lam = wsum * pow(10.0, -1.0 - 0.5 * j), v;
            PRECOND(lam);
            iters += lbfgs_run(&c, lam, o->max_iter, 0, &v, NULL);
            if (v < best_v) {
                best_v = v;
                best_l2 = lam;
                memcpy(best_path, m->params, P * sizeof *best_path);
                worse = 0;
            } else if (++worse >= 2) {
                break;
            }
        }
        /* refit on every training row, from the best point of the path */
        memcpy(m->params, best_path, P * sizeof *best_path);
        for (size_t i = 0; i < n; i++) sw[i] = sw_in ? sw_in[i] : 1.0f;
        l2 = best_l2 * wall / wsum;
        c.is_val = NULL;
        c.nva = 0;
        c.wsum = wall;
        PRECOND(l2);
        iters += lbfgs_run(&c, l2, o->max_iter, 0, NULL, NULL);
    } else {
        PRECOND(l2);
        int it0 = nva || !o->l2_default ? 0 : subsample_start(&c, l2);
        if (it0 < 0) goto oom;
        iters = it0 + lbfgs_run(&c, l2, o->max_iter, nva ? 5 * patience : 0, NULL, &best_iter);
    }
#undef PRECOND
    if (o->n_iter) *o->n_iter = iters;
    if (o->l2_used) *o->l2_used = l2;
    if (o->curve) o->curve->best = nva && !autol2 ? best_iter : -1;
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    if (wsok) cv_mlp_ws_free(&w);
    free(mem); free(gf); free(sw); free(best); free(best_path); free(is_val); free(fold);
    free(Lc); free(G);
    return rc;
}

/* ---- mlp: Adam on minibatches, early stopping ---------------------------- */

static int mlp_fit(cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                   const int32_t *y, const float *sw, size_t k, la_error *err)
{
    size_t d = m->d, P = m->n_params, B = (size_t)(o->batch_size > 0 ? o->batch_size : 128);
    int rc = 0;
    int32_t *fold = NULL, *ytr = NULL, *yb = NULL, *yva = NULL;
    size_t *tr = NULL, *va = NULL, *idx = NULL;
    float *Xb = NULL, *swb = NULL, *grad = NULL, *mom = NULL, *vel = NULL, *best = NULL, *tmp = NULL;
    float *Xva = NULL, *swva = NULL;
    uint8_t *seen = NULL;
    double *cw = NULL;
    cv_mlp_ws w;
    int wsok = 0;
    size_t ntr = n, nva = 0;

    /* inner validation split: stratified, about val_frac of the rows */
    fold = la_malloc_array(n, sizeof *fold);
    tr = la_malloc_array(n, sizeof *tr);
    va = la_malloc_array(n, sizeof *va);
    if (!fold || !tr || !va) goto oom;
    int vf = o->val_frac > 0 ? (int)lround(1.0 / o->val_frac) : 0;
    int patience = o->patience < 0 ? 3 : o->patience;
    if (patience > 0 && vf >= 2 && n >= (size_t)vf * 5) {
        la_error e2;
        if (cv_folds_stratified(y, n, k, vf, o->seed ^ 0x5A5A5A5Aull, fold, NULL, &e2)) goto oom;
        ntr = nva = 0;
        for (size_t i = 0; i < n; i++) {
            if (fold[i] == 0) va[nva++] = i; else tr[ntr++] = i;
        }
    } else {
        for (size_t i = 0; i < n; i++) tr[i] = i;
    }
    ytr = la_malloc_array(ntr, sizeof *ytr);
    idx = la_malloc_array(ntr, sizeof *idx);
    yb = la_malloc_array(B, sizeof *yb);
    Xb = la_malloc_array(B * d, sizeof *Xb);
    swb = la_malloc_array(B, sizeof *swb);
    tmp = la_malloc_array(d, sizeof *tmp);
    seen = la_calloc(ntr, 1);
    grad = la_calloc(P, sizeof *grad);
    mom = la_calloc(P, sizeof *mom);
    vel = la_calloc(P, sizeof *vel);
    best = la_malloc_array(P, sizeof *best);
    cw = la_calloc(k, sizeof *cw);
    if (!ytr || !idx || !yb || !Xb || !swb || !tmp || !seen || !grad || !mom || !vel || !best || !cw) goto oom;
    if (nva) {
        Xva = la_malloc_array(nva * d, sizeof *Xva);
        yva = la_malloc_array(nva, sizeof *yva);
        swva = la_malloc_array(nva, sizeof *swva);
        if (!Xva || !yva || !swva) goto oom;
        for (size_t i = 0; i < nva; i++) {
            memcpy(Xva + i * d, X + va[i] * d, d * sizeof *Xva);
            yva[i] = y[va[i]];
            swva[i] = 1.0f;
        }
    }
    if (cv_mlp_ws_alloc(&w, m, B > 1024 ? B : 1024)) goto oom;
    wsok = 1;
    for (size_t i = 0; i < ntr; i++) ytr[i] = y[tr[i]];

    cv_loss L, Lval;
    cv_loss_setup(o, ytr, ntr, k, cw, &L);
    memset(&Lval, 0, sizeof Lval);
    Lval.kind = CV_LOSS_CE;
    Lval.k = k;

    la_rng r;
    la_rng_seed(&r, o->seed, 11);
    int augment = o->sampler == CV_SAMPLER_OVERSAMPLE && can_augment(o, d);
    float keep_scale = o->dropout > 0 ? (float)(1.0 / (1.0 - o->dropout)) : 1.0f;
    cv_mlp_adam adam = {mom, vel, 1.0, 1.0};
    double best_loss = INFINITY, l2n = (o->l2 < 0 ? 1.0 : o->l2) / (double)(ntr ? ntr : 1);
    int bad = 0, best_epoch = -1, epoch;
    memcpy(best, m->params, P * sizeof *best);
    for (epoch = 0; epoch < o->epochs; epoch++) {
        size_t cnt = 0, correct = 0, seen_rows = 0;
        double tr_loss = 0.0;
        cv_sampler_epoch(o->sampler, ytr, ntr, k, &r, idx, &cnt);
        if (augment) memset(seen, 0, ntr);
        for (size_t j0 = 0; j0 < cnt; j0 += B) {
            size_t nb = cnt - j0 < B ? cnt - j0 : B;
            for (size_t j = 0; j < nb; j++) {
                size_t t = idx[j0 + j], i = tr[t];
                memcpy(Xb + j * d, X + i * d, d * sizeof *Xb);
                if (augment && seen[t]++) augment_random(o, Xb + j * d, tmp, &r);
                yb[j] = y[i];
                swb[j] = sw ? sw[i] : 1.0f;
            }
            float *Z = cv_mlp_forward(m, &w, Xb, nb, o->dropout, o->dropout > 0 ? &r : NULL);
            size_t c = 0;
            memset(grad, 0, P * sizeof *grad);
            /* mean over the batch: G = (1/nb) sw_i dL_i/dz */
            tr_loss += cv_loss_batch(&L, Z, nb, yb, swb, 1.0f / (float)nb, w.G0, &c);
            correct += c;
            seen_rows += nb;
            cv_mlp_backward(m, &w, Xb, nb, w.G0, keep_scale, grad);
            /* the sum objective's l2 / n per example, on weights only */
            if (l2n > 0) {
                size_t off = 0;
                for (int l = 0; l < m->n_layers; l++) {
                    size_t sz = m->dims[l] * m->dims[l + 1];
                    for (size_t q = 0; q < sz; q++) grad[off + q] += (float)(l2n * m->W[l][q]);
                    off += sz;
                }
            }
            cv_mlp_adam_step(&adam, m->params, grad, P, o->lr);
        }
        double va_loss = NAN, va_acc = NAN;
        if (nva) {
            size_t c = 0;
            va_loss = objective(m, &Lval, 0.0, &w, Xva, nva, yva, swva, NULL, &c) / (double)nva;
            va_acc = (double)c / (double)nva;
        }
        curve_put(o->curve, (size_t)epoch, seen_rows ? (double)correct / seen_rows : NAN,
                  seen_rows ? tr_loss / seen_rows : NAN, va_acc, va_loss,
                  o->curve && o->curve->heldout_acc ? heldout_accuracy(m, o) : NAN);
        if (!nva) continue;
        if (va_loss < best_loss - 1e-4) {
            best_loss = va_loss;
            best_epoch = epoch;
            memcpy(best, m->params, P * sizeof *best);
            bad = 0;
        } else if (++bad >= patience) {
            epoch++;
            break;
        }
    }
    if (nva && best_epoch >= 0) memcpy(m->params, best, P * sizeof *best);
    if (o->curve) o->curve->best = nva ? best_epoch : -1;
    if (o->n_iter) *o->n_iter = epoch;
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    if (wsok) cv_mlp_ws_free(&w);
    free(fold); free(tr); free(va); free(ytr); free(idx); free(yb); free(Xb); free(swb);
    free(tmp); free(seen); free(grad); free(mom); free(vel); free(best); free(cw);
    free(Xva); free(yva); free(swva);
    return rc;
}

/* ---- knn ------------------------------------------------------------------ */

static int knn_fit(cv_model *m, const cv_train_opts *o, const float *X, size_t n,
                   const int32_t *y, const float *sw, la_error *err)
{
    size_t d = m->d;
    m->n = n;
    m->knn_k = o->knn_k > 0 ? o->knn_k : 15;
    if ((size_t)m->knn_k > n) m->knn_k = (int)n;
    m->metric = o->metric;
    m->smooth = o->smoothing > 0 ? o->smoothing : 0.01;
    m->X = la_malloc_array(n * (d ? d : 1), sizeof *m->X);
    m->sqn = la_malloc_array(n, sizeof *m->sqn);
    m->y = la_malloc_array(n, sizeof *m->y);
    m->sw = la_malloc_array(n, sizeof *m->sw);
    if (!m->X || !m->sqn || !m->y || !m->sw)
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const float *x = X + i * d;
        double s = 0.0;
        for (size_t j = 0; j < d; j++) s += (double)x[j] * x[j];
        double sc = (m->metric == CV_METRIC_COSINE && s > 0) ? 1.0 / sqrt(s) : 1.0;
        for (size_t j = 0; j < d; j++) m->X[i * d + j] = (float)(x[j] * sc);
        m->sqn[i] = (float)(m->metric == CV_METRIC_COSINE ? (s > 0 ? 1.0 : 0.0) : s);
        m->y[i] = y[i];
        m->sw[i] = sw ? sw[i] : 1.0f;
    }
    return 0;
}

/* Probabilities p_c = (v_c + a) / (1 + K a), v = normalized sum over the k
 * nearest of sw_j / (dist_j + 1e-6) for their labels; a = vote smoothing. */
static int knn_predict(const cv_model *m, const float *X, size_t n, double *out, la_error *err)
{
    size_t d = m->d, k = m->k, N = m->n, kk = (size_t)m->knn_k, B = 64;
    float *Q = la_malloc_array(B * (d ? d : 1), sizeof *Q);
    float *S = la_malloc_array(B * N, sizeof *S);
    float *bd = la_malloc_array(kk + 1, sizeof *bd);
    size_t *bi = la_malloc_array(kk + 1, sizeof *bi);
    double *v = la_malloc_array(k, sizeof *v);
    if (!Q || !S || !bd || !bi || !v) {
        free(Q); free(S); free(bd); free(bi); free(v);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i0 = 0; i0 < n; i0 += B) {
        size_t nb = n - i0 < B ? n - i0 : B;
        float qn[64];
        for (size_t i = 0; i < nb; i++) {
            const float *x = X + (i0 + i) * d;
            double s = 0.0;
            for (size_t j = 0; j < d; j++) s += (double)x[j] * x[j];
            double sc = (m->metric == CV_METRIC_COSINE && s > 0) ? 1.0 / sqrt(s) : 1.0;
            for (size_t j = 0; j < d; j++) Q[i * d + j] = (float)(x[j] * sc);
            qn[i] = (float)(m->metric == CV_METRIC_COSINE ? (s > 0 ? 1.0 : 0.0) : s);
        }
        /* S (nb x N) = Q X^T */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nb, (int)N, (int)d,
                    1.0f, Q, (int)d, m->X, (int)d, 0.0f, S, (int)N);
        for (size_t i = 0; i < nb; i++) {
            const float *s = S + i * N;
            size_t cnt = 0;
            for (size_t j = 0; j < N; j++) {
                /* cosine: 1 - q.x; euclidean: sqrt(|q|^2 + |x|^2 - 2 q.x) */
                float dist = m->metric == CV_METRIC_COSINE ? 1.0f - s[j]
                                                           : qn[i] + m->sqn[j] - 2.0f * s[j];
                if (dist < 0) dist = 0;
                if (cnt == kk && dist >= bd[cnt - 1]) continue;
                size_t p = cnt < kk ? cnt++ : kk - 1;
                while (p > 0 && bd[p - 1] > dist) { bd[p] = bd[p - 1]; bi[p] = bi[p - 1]; p--; }
                bd[p] = dist; bi[p] = j;
            }
            for (size_t c = 0; c < k; c++) v[c] = 0.0;
            double tot = 0.0;
            for (size_t t = 0; t < cnt; t++) {
                double dd = m->metric == CV_METRIC_EUCLIDEAN ? sqrt((double)bd[t]) : (double)bd[t];
                double wt = m->sw[bi[t]] / (dd + 1e-6);
                v[m->y[bi[t]]] += wt;
                tot += wt;
            }
            double *o = out + (i0 + i) * k, a = m->smooth;
            for (size_t c = 0; c < k; c++)
                o[c] = ((tot > 0 ? v[c] / tot : 1.0 / k) + a) / (1.0 + k * a);
        }
    }
    free(Q); free(S); free(bd); free(bi); free(v);
    return 0;
}

/* ---- public fit / predict ------------------------------------------------- */

/* logreg with a sampler: the resampled (and, for image repeats, augmented)
 * training set is materialized once, then fitted full-batch. */
static int resample(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                    const float *sw, size_t k, float **Xo, int32_t **yo, float **swo, size_t *no,
                    la_error *err)
{
    la_rng r;
    la_rng_seed(&r, o->seed, 13);
    size_t *idx = la_malloc_array(n, sizeof *idx), cnt = 0;
    uint8_t *seen = la_calloc(n, 1);
    float *tmp = la_malloc_array(d ? d : 1, sizeof *tmp);
    if (!idx || !seen || !tmp) goto oom;
    cv_sampler_epoch(o->sampler, y, n, k, &r, idx, &cnt);
    *Xo = la_malloc_array(cnt * (d ? d : 1), sizeof **Xo);
    *yo = la_malloc_array(cnt, sizeof **yo);
    *swo = la_malloc_array(cnt, sizeof **swo);
    if (!*Xo || !*yo || !*swo) { free(*Xo); free(*yo); free(*swo); goto oom; }
    int augment = o->sampler == CV_SAMPLER_OVERSAMPLE && can_augment(o, d);
    for (size_t j = 0; j < cnt; j++) {
        size_t i = idx[j];
        memcpy(*Xo + j * d, X + i * d, d * sizeof **Xo);
        if (augment && seen[i]++) augment_random(o, *Xo + j * d, tmp, &r);
        (*yo)[j] = y[i];
        (*swo)[j] = sw ? sw[i] : 1.0f;
    }
    *no = cnt;
    free(idx); free(seen); free(tmp);
    return 0;
oom:
    free(idx); free(seen); free(tmp);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}

int cv_model_fit(const cv_train_opts *o, const float *X, size_t n, size_t d, const int32_t *y,
                 const float *sw, size_t k, cv_model **out, la_error *err)
{
    *out = NULL;
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no training examples");
    if (cv_train_opts_validate(o, k, err)) return err->status;
    if (sw) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            if (!(sw[i] >= 0) || !isfinite(sw[i]))
                return la_error_set(err, LA_EUSAGE, NULL, 0, "example weight %zu is %g: weights must be finite and >= 0", i, (double)sw[i]);
            s += sw[i];
        }
        if (s <= 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "every example weight is 0");
    }
    if (o->threads > 0) openblas_set_num_threads(o->threads);
    cv_model *m;
    int rc = cv_model_init(o, d, k, &m, err);
    if (rc) return rc;
    if (o->model == CV_MODEL_KNN) {
        rc = knn_fit(m, o, X, n, y, sw, err);
    } else if (o->model == CV_MODEL_MLP) {
        rc = mlp_fit(m, o, X, n, y, sw, k, err);
    } else {
        float *Xr = NULL, *swr = NULL;
        int32_t *yr = NULL;
        size_t nr = n;
        if (o->sampler != CV_SAMPLER_NONE) {
            rc = resample(o, X, n, d, y, sw, k, &Xr, &yr, &swr, &nr, err);
            if (rc) { cv_model_free(m); return rc; }
        }
        double *cw = la_calloc(k, sizeof *cw);
        if (!cw) {
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        } else {
            cv_loss L;
            cv_loss_setup(o, Xr ? yr : y, nr, k, cw, &L);
            rc = logreg_fit(m, o, Xr ? Xr : X, nr, Xr ? yr : y, Xr ? swr : sw, &L, err);
        }
        free(cw); free(Xr); free(yr); free(swr);
    }
    if (rc) { cv_model_free(m); return rc; }
    *out = m;
    return 0;
}

int cv_model_predict_proba(const cv_model *m, const float *X, size_t n, double *out, la_error *err)
{
    size_t k = m->k;
    if (m->kind == CV_MODEL_KNN) return knn_predict(m, X, n, out, err);
    cv_mlp_ws w;
    if (cv_mlp_ws_alloc(&w, m, 1024)) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i0 = 0; i0 < n; i0 += w.cap) {
        size_t nb = n - i0 < w.cap ? n - i0 : w.cap;
        const float *Z = cv_mlp_forward(m, &w, X + i0 * m->d, nb, 0.0, NULL);
        for (size_t i = 0; i < nb; i++) {
            /* p = softmax(z) in double, floored at 1e-12 so no class is exactly 0 */
            const float *z = Z + i * k;
            double *p = out + (i0 + i) * k, mx = z[0], s = 0.0;
            for (size_t c = 1; c < k; c++) if (z[c] > mx) mx = z[c];
            for (size_t c = 0; c < k; c++) { p[c] = exp((double)z[c] - mx); s += p[c]; }
            double s2 = 0.0;
            for (size_t c = 0; c < k; c++) { p[c] = p[c] / s; if (p[c] < 1e-12) p[c] = 1e-12; s2 += p[c]; }
            for (size_t c = 0; c < k; c++) p[c] /= s2;
        }
    }
    cv_mlp_ws_free(&w);
    return 0;
}
