/*
 * mlp.c — the dense network kernels (mlp.h) shared by logreg and the mlp,
 * and the mlp's minibatch training. Matrix products go through cblas_sgemm in
 * float32; the sums that decide early stopping (losses) are kept in double.
 * Not here: L-BFGS (logreg.c), samplers (sampler.c), loss math (loss.c).
 */
#include "mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"
#include "sampler.h"

/* Early stopping: a validation loss counts as better only below best - this. */
#define MLP_MIN_IMPROVEMENT 1e-4
/* Rows of the batch buffers for passes over whole matrices (prediction). */
#define MLP_PASS_ROWS 1024

/* ---- parameters ----------------------------------------------------------- */

int cv_mlp_net_alloc(cv_mlp_net *m, size_t d, const int *hidden, int n_hidden, size_t k)
{
    memset(m, 0, sizeof *m);
    m->d = d;
    m->k = k;
    m->n_layers = n_hidden + 1;
    m->dims[0] = d;
    for (int l = 1; l < m->n_layers; l++) m->dims[l] = (size_t)hidden[l - 1];
    m->dims[m->n_layers] = k;
    size_t total = 0;
    for (int l = 0; l < m->n_layers; l++) total += m->dims[l] * m->dims[l + 1] + m->dims[l + 1];
    m->params = la_calloc(total, sizeof *m->params);
    if (!m->params) { memset(m, 0, sizeof *m); return -1; }
    m->n_params = total;
    float *p = m->params;
    for (int l = 0; l < m->n_layers; l++) { m->W[l] = p; p += m->dims[l] * m->dims[l + 1]; }
    for (int l = 0; l < m->n_layers; l++) { m->b[l] = p; p += m->dims[l + 1]; }
    return 0;
}

void cv_mlp_net_free(cv_mlp_net *m)
{
    free(m->params);
    memset(m, 0, sizeof *m);
}

void cv_mlp_net_init_weights(cv_mlp_net *m, uint64_t seed)
{
    /* hidden layers: He uniform a = sqrt(6 / fan_in); output: Glorot sqrt(6 / (in + out)) */
    la_rng r;
    la_rng_seed(&r, seed, 7);
    for (int l = 0; l < m->n_layers; l++) {
        size_t fi = m->dims[l], fo = m->dims[l + 1];
        double a = l + 1 < m->n_layers ? sqrt(6.0 / fi) : sqrt(6.0 / (fi + fo));
        for (size_t j = 0; j < fi * fo; j++) m->W[l][j] = (float)(a * (2.0 * la_rng_uniform(&r) - 1.0));
    }
}

/* ---- forward / backward / Adam (logreg = one layer) ------------------------ */

void cv_mlp_ws_free(cv_mlp_ws *w)
{
    for (int l = 0; l < CV_MAX_HIDDEN + 2; l++) free(w->A[l]);
    free(w->G0); free(w->G1);
    memset(w, 0, sizeof *w);
}

int cv_mlp_ws_alloc(cv_mlp_ws *w, const cv_mlp_net *m, size_t cap)
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
float *cv_mlp_forward(const cv_mlp_net *m, cv_mlp_ws *w, const float *X, size_t nb, double dropout, la_rng *r)
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
void cv_mlp_backward(const cv_mlp_net *m, cv_mlp_ws *w, const float *X, size_t nb, float *G,
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
double cv_mlp_l2_term(const cv_mlp_net *m, double l2, float *grad)
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
double cv_mlp_objective(const cv_mlp_net *m, const cv_loss *L, double l2, cv_mlp_ws *w,
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
    return J + cv_mlp_l2_term(m, l2, grad);
}

int cv_mlp_predict_proba(const cv_mlp_net *m, const float *X, size_t n, double *out, la_error *err)
{
    size_t k = m->k;
    cv_mlp_ws w;
    if (cv_mlp_ws_alloc(&w, m, MLP_PASS_ROWS)) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
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

double cv_mlp_heldout_accuracy(const cv_mlp_net *m, const cv_train_opts *o)
{
    if (!o->eval_X || !o->eval_n || !o->eval_y) return NAN;
    double *P = la_malloc_array(o->eval_n * m->k, sizeof *P);
    if (!P) return NAN;
    la_error e;
    size_t ok = 0;
    if (cv_mlp_predict_proba(m, o->eval_X, o->eval_n, P, &e) == 0)
        for (size_t i = 0; i < o->eval_n; i++) {
            size_t am = 0;
            for (size_t c = 1; c < m->k; c++) if (P[i * m->k + c] > P[i * m->k + am]) am = c;
            ok += (int32_t)am == o->eval_y[i];
        }
    free(P);
    return (double)ok / (double)o->eval_n;
}

/* ---- mlp: Adam on minibatches, early stopping ---------------------------- */

/* Everything one mlp fit allocates: the inner split, the batch buffers, the
 * optimizer state and the best weights so far. */
typedef struct mlp_run {
    size_t   B;                   /* minibatch rows                           */
    size_t  *tr, *va;             /* training / validation rows of X          */
    size_t   ntr, nva;
    int32_t *fold, *ytr, *yb, *yva;
    size_t  *idx;                 /* an epoch's order, indices into tr        */
    float   *Xb, *swb, *tmp;      /* batch rows, weights, augmentation scratch */
    uint8_t *seen;                /* ntr: row already drawn this epoch        */
    float   *grad, *mom, *vel, *best;   /* n_params each                      */
    float   *Xva, *swva;          /* validation rows (nva x d), weights 1     */
    double  *cw;                  /* k class weights of the loss              */
    cv_mlp_ws w;
    int      wsok;
} mlp_run;

static void mlp_run_free(mlp_run *R)
{
    if (R->wsok) cv_mlp_ws_free(&R->w);
    free(R->fold); free(R->tr); free(R->va); free(R->ytr); free(R->idx); free(R->yb); free(R->Xb);
    free(R->swb); free(R->tmp); free(R->seen); free(R->grad); free(R->mom); free(R->vel);
    free(R->best); free(R->cw); free(R->Xva); free(R->yva); free(R->swva);
}

/* The inner validation split: stratified, about val_frac of the rows, only
 * with early stopping and enough rows (5 per validation fold). 0 or -1. */
static int mlp_split(mlp_run *R, const cv_train_opts *o, const int32_t *y, size_t n, size_t k,
                     int patience)
{
    R->fold = la_malloc_array(n, sizeof *R->fold);
    R->tr = la_malloc_array(n, sizeof *R->tr);
    R->va = la_malloc_array(n, sizeof *R->va);
    if (!R->fold || !R->tr || !R->va) return -1;
    R->ntr = n;
    R->nva = 0;
    int vf = o->val_frac > 0 ? (int)lround(1.0 / o->val_frac) : 0;
    if (patience > 0 && vf >= 2 && n >= (size_t)vf * 5) {
        la_error e2;
        if (cv_folds_stratified(y, n, k, vf, o->seed ^ CV_INNER_SPLIT_SEED, R->fold, NULL, &e2)) return -1;
        R->ntr = 0;
        for (size_t i = 0; i < n; i++) {
            if (R->fold[i] == 0) R->va[R->nva++] = i; else R->tr[R->ntr++] = i;
        }
    } else {
        for (size_t i = 0; i < n; i++) R->tr[i] = i;
    }
    return 0;
}

/* Buffers after the split; copies the validation rows. 0 or -1. */
static int mlp_alloc(mlp_run *R, const cv_mlp_net *m, const cv_train_opts *o, const float *X,
                     const int32_t *y, size_t k)
{
    size_t d = m->d, P = m->n_params, B = R->B, ntr = R->ntr, nva = R->nva;
    R->ytr = la_malloc_array(ntr, sizeof *R->ytr);
    R->idx = la_malloc_array(ntr, sizeof *R->idx);
    R->yb = la_malloc_array(B, sizeof *R->yb);
    R->Xb = la_malloc_array(B * d, sizeof *R->Xb);
    R->swb = la_malloc_array(B, sizeof *R->swb);
    R->tmp = la_malloc_array(d, sizeof *R->tmp);
    R->seen = la_calloc(ntr, 1);
    R->grad = la_calloc(P, sizeof *R->grad);
    R->mom = la_calloc(P, sizeof *R->mom);
    R->vel = la_calloc(P, sizeof *R->vel);
    R->best = la_malloc_array(P, sizeof *R->best);
    R->cw = la_calloc(k, sizeof *R->cw);
    if (!R->ytr || !R->idx || !R->yb || !R->Xb || !R->swb || !R->tmp || !R->seen || !R->grad ||
        !R->mom || !R->vel || !R->best || !R->cw)
        return -1;
    if (nva) {
        R->Xva = la_malloc_array(nva * d, sizeof *R->Xva);
        R->yva = la_malloc_array(nva, sizeof *R->yva);
        R->swva = la_malloc_array(nva, sizeof *R->swva);
        if (!R->Xva || !R->yva || !R->swva) return -1;
        for (size_t i = 0; i < nva; i++) {
            memcpy(R->Xva + i * d, X + R->va[i] * d, d * sizeof *R->Xva);
            R->yva[i] = y[R->va[i]];
        }
        cv_train_val_weights(o, R->yva, nva, k, R->swva);
    }
    if (cv_mlp_ws_alloc(&R->w, m, B > MLP_PASS_ROWS ? B : MLP_PASS_ROWS)) return -1;
    R->wsok = 1;
    for (size_t i = 0; i < ntr; i++) R->ytr[i] = y[R->tr[i]];
    return 0;
}

/* One minibatch step: rows idx[j0 .. j0+nb) of the epoch -> forward (with
 * dropout), G = (1/nb) sw_i dL_i/dz, backward, + (l2/n) W, Adam. Returns the
 * batch's summed loss; *correct += rows predicted right. */
static double mlp_step(mlp_run *R, cv_mlp_net *m, const cv_train_opts *o, const float *X,
                       const int32_t *y, const float *sw, const cv_loss *L, size_t j0, size_t nb,
                       int augment, double l2n, la_rng *r, cv_mlp_adam *adam, size_t *correct)
{
    size_t d = m->d, P = m->n_params;
    float keep_scale = o->dropout > 0 ? (float)(1.0 / (1.0 - o->dropout)) : 1.0f;
    for (size_t j = 0; j < nb; j++) {
        size_t t = R->idx[j0 + j], i = R->tr[t];
        memcpy(R->Xb + j * d, X + i * d, d * sizeof *R->Xb);
        if (augment && R->seen[t]++) cv_sampler_augment_random(o, R->Xb + j * d, R->tmp, r);
        R->yb[j] = y[i];
        R->swb[j] = sw ? sw[i] : 1.0f;
    }
    float *Z = cv_mlp_forward(m, &R->w, R->Xb, nb, o->dropout, o->dropout > 0 ? r : NULL);
    size_t c = 0;
    memset(R->grad, 0, P * sizeof *R->grad);
    /* mean over the batch: G = (1/nb) sw_i dL_i/dz */
    double loss = cv_loss_batch(L, Z, nb, R->yb, R->swb, 1.0f / (float)nb, R->w.G0, &c);
    *correct += c;
    cv_mlp_backward(m, &R->w, R->Xb, nb, R->w.G0, keep_scale, R->grad);
    /* the sum objective's l2 / n per example, on weights only */
    if (l2n > 0) {
        size_t off = 0;
        for (int l = 0; l < m->n_layers; l++) {
            size_t sz = m->dims[l] * m->dims[l + 1];
            for (size_t q = 0; q < sz; q++) R->grad[off + q] += (float)(l2n * m->W[l][q]);
            off += sz;
        }
    }
    cv_mlp_adam_step(adam, m->params, R->grad, P, o->lr);
    return loss;
}

int cv_mlp_improved(const cv_train_opts *o, double va_acc, double va_loss, double *best_acc, double *best_loss)
{
    int better_loss = va_loss < *best_loss - MLP_MIN_IMPROVEMENT;
    int better = o->stop_on != CV_STOP_ACCURACY ? better_loss
                                                : va_acc > *best_acc || (va_acc == *best_acc && better_loss);
    if (!better) return 0;
    *best_acc = va_acc;
    *best_loss = va_loss;
    return 1;
}

int cv_mlp_fit(cv_mlp_net *m, const cv_train_opts *o, const float *X, size_t n, const int32_t *y,
               const float *sw, size_t k, la_error *err)
{
    mlp_run R;
    memset(&R, 0, sizeof R);
    R.B = (size_t)(o->batch_size > 0 ? o->batch_size : CV_DEFAULT_BATCH);
    int patience = o->patience < 0 ? CV_MLP_PATIENCE : o->patience;
    if (mlp_split(&R, o, y, n, k, patience) || mlp_alloc(&R, m, o, X, y, k)) {
        mlp_run_free(&R);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    size_t P = m->n_params, ntr = R.ntr, nva = R.nva, B = R.B;
    cv_loss L, Lval;
    cv_loss_setup(o, R.ytr, ntr, k, R.cw, &L);
    memset(&Lval, 0, sizeof Lval);
    Lval.kind = CV_LOSS_CE;
    Lval.k = k;
    /* logit-adjusted: early stopping on the shifted logits, the model's
     * estimate of the data's posterior (the raw ones are balanced) */
    Lval.logit_shift = L.logit_shift;

    la_rng r;
    la_rng_seed(&r, o->seed, 11);
    int augment = o->sampler == CV_SAMPLER_OVERSAMPLE && cv_sampler_can_augment(o, m->d);
    cv_mlp_adam adam = {R.mom, R.vel, 1.0, 1.0};
    double best_loss = INFINITY, best_acc = -1.0, l2n = (o->l2 < 0 ? 1.0 : o->l2) / (double)(ntr ? ntr : 1);
    int bad = 0, best_epoch = -1, epoch;
    memcpy(R.best, m->params, P * sizeof *R.best);
    for (epoch = 0; epoch < o->epochs; epoch++) {
        size_t cnt = 0, correct = 0, seen_rows = 0;
        double tr_loss = 0.0;
        cv_sampler_epoch(o->sampler, R.ytr, ntr, k, &r, R.idx, &cnt);
        if (augment) memset(R.seen, 0, ntr);
        for (size_t j0 = 0; j0 < cnt; j0 += B) {
            size_t nb = cnt - j0 < B ? cnt - j0 : B;
            tr_loss += mlp_step(&R, m, o, X, y, sw, &L, j0, nb, augment, l2n, &r, &adam, &correct);
            seen_rows += nb;
        }
        double va_loss = NAN, va_acc = NAN;
        if (nva) {
            size_t c = 0;
            va_loss = cv_mlp_objective(m, &Lval, 0.0, &R.w, R.Xva, nva, R.yva, R.swva, NULL, &c) / (double)nva;
            va_acc = (double)c / (double)nva;
        }
        cv_curve_put(o->curve, (size_t)epoch, seen_rows ? (double)correct / seen_rows : NAN,
                     seen_rows ? tr_loss / seen_rows : NAN, va_acc, va_loss,
                     o->curve && o->curve->heldout_acc ? cv_mlp_heldout_accuracy(m, o) : NAN);
        if (!nva) continue;
        if (cv_mlp_improved(o, va_acc, va_loss, &best_acc, &best_loss)) {
            best_epoch = epoch;
            memcpy(R.best, m->params, P * sizeof *R.best);
            bad = 0;
        } else if (++bad >= patience) {
            epoch++;
            break;
        }
    }
    if (nva && best_epoch >= 0) memcpy(m->params, R.best, P * sizeof *R.best);
    if (o->curve) o->curve->best = nva ? best_epoch : -1;
    if (o->n_iter) *o->n_iter = epoch;
    mlp_run_free(&R);
    return 0;
}
