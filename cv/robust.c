/*
 * robust.c — co-teaching (mlp) and decoupled rebalancing (mlp, cnn), robust.h.
 *
 * Co-teaching works on a cv_model's network (cv_model_net: the W_l and b_l
 * of mlp.h's layout) and drives mlp.c's forward / backward passes and Adam
 * step directly: it needs per-row losses and updates on row subsets chosen
 * by the other network, which cv_model_fit does not offer (no dropout here).
 * Decoupling needs only model.h's representation and output layer.
 */
#include "ensemble.h"
#include "robust.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loss.h"
#include "mlp.h"
#include "prior.h"
#include "../util/la_rng.h"

/* m's network when it is the mlp o, d, k describe, else NULL. */
static cv_mlp_net *net_view(cv_model *m, const cv_train_opts *o, size_t d, size_t k)
{
    cv_mlp_net *nt = cv_model_net(m);
    if (!nt || nt->n_layers != o->n_hidden + 1 || nt->dims[0] != d || nt->dims[nt->n_layers] != k) return NULL;
    for (int l = 1; l < nt->n_layers; l++) if (nt->dims[l] != (size_t)o->hidden[l - 1]) return NULL;
    return nt;
}

int cv_robust_hidden(cv_model *m, const cv_train_opts *o, size_t d, size_t k, const float *X,
              size_t n, float *H, la_error *err)
{
    if (o->model != CV_MODEL_MLP || o->n_hidden < 1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "needs an mlp with a hidden layer");
    if (!net_view(m, o, d, k))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "the model's parameters are not an mlp's");
    return cv_model_embed(m, X, n, H, err);
}

/* ---- co-teaching --------------------------------------------------------- */

/* Per-row cross-entropy of logits Z (nb x k): loss[i] = logsumexp(z) - z_y. */
static void row_ce(const float *Z, size_t nb, size_t k, const int32_t *y, double *loss, size_t *correct)
{
    size_t c = 0;
    for (size_t i = 0; i < nb; i++) {
        const float *z = Z + i * k;
        size_t am = 0;
        for (size_t j = 1; j < k; j++) if (z[j] > z[am]) am = j;
        double s = 0.0;
        for (size_t j = 0; j < k; j++) s += exp((double)z[j] - z[am]);
        loss[i] = log(s) + z[am] - z[y[i]];
        c += (int32_t)am == y[i];
    }
    if (correct) *correct += c;
}

/* qsort_r comparator: row indices by loss ascending (ties by position, so
 * deterministic); ctx is the loss array, so no global state is involved. */
static int by_loss(const void *pa, const void *pb, void *ctx)
{
    const double *loss = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    double la = loss[a], lb = loss[b];
    if (la < lb) return -1;
    if (la > lb) return 1;
    return a < b ? -1 : a > b;
}

/* One gradient step of nt on the rows sel[0..ns) of the batch (Xb, yb). */
static void update_on(const cv_mlp_net *nt, cv_mlp_ws *a, cv_mlp_adam *s, const cv_loss *L, double l2n, double lr,
                      const float *Xb, const int32_t *yb, const size_t *sel, size_t ns, size_t d,
                      float *Xs, int32_t *ys, float *grad)
{
    for (size_t j = 0; j < ns; j++) {
        memcpy(Xs + j * d, Xb + sel[j] * d, d * sizeof *Xs);
        ys[j] = yb[sel[j]];
    }
    float *Z = cv_mlp_forward(nt, a, Xs, ns, 0.0, NULL);
    memset(grad, 0, nt->n_params * sizeof *grad);
    cv_loss_batch(L, Z, ns, ys, NULL, 1.0f / (float)ns, a->G0, NULL);
    cv_mlp_backward(nt, a, Xs, ns, a->G0, 1.0f, grad);
    if (l2n > 0) {
        size_t off = 0;
        for (int l = 0; l < nt->n_layers; l++) {
            size_t sz = nt->dims[l] * nt->dims[l + 1];
            for (size_t q = 0; q < sz; q++) grad[off + q] += (float)(l2n * nt->W[l][q]);
            off += sz;
        }
    }
    cv_mlp_adam_step(s, nt->params, grad, nt->n_params, lr);
}

static double accuracy_of(const cv_mlp_net *nt, cv_mlp_ws *a, const float *X, size_t n, size_t d, const int32_t *y)
{
    size_t ok = 0, k = nt->k;
    for (size_t i0 = 0; i0 < n; i0 += a->cap) {
        size_t nb = n - i0 < a->cap ? n - i0 : a->cap;
        const float *Z = cv_mlp_forward(nt, a, X + i0 * d, nb, 0.0, NULL);
        for (size_t i = 0; i < nb; i++) {
            size_t am = 0;
            for (size_t j = 1; j < k; j++) if (Z[i * k + j] > Z[i * k + am]) am = j;
            ok += (int32_t)am == y[i0 + i];
        }
    }
    return n ? (double)ok / (double)n : NAN;
}

int cv_robust_coteach_fit(const cv_train_opts *o, const cv_robust_coteach_opts *co, const float *X, size_t n,
                   size_t d, const int32_t *y, size_t k, cv_model **pa, cv_model **pb, la_error *err)
{
    *pa = *pb = NULL;
    if (o->model != CV_MODEL_MLP) return la_error_set(err, LA_EUSAGE, NULL, 0, "--coteach needs --model mlp");
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no training examples");
    if (!(co->forget_rate >= 0 && co->forget_rate < 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--forget-rate must be in [0, 1)");
    if (cv_train_opts_validate(o, k, err)) return err->status;
    if (o->threads > 0) openblas_set_num_threads(o->threads);

    cv_train_opts ob = *o;
    ob.seed = o->seed + 1000003;                /* a different initialization */
    cv_model *ma = NULL, *mb = NULL;
    cv_mlp_net *na = NULL, *nb = NULL;
    cv_mlp_ws aa, ab;
    int aok = 0, bok = 0, rc = 0;
    size_t B = (size_t)(o->batch_size > 0 ? o->batch_size : 128);
    if (B > n) B = n;
    size_t *perm = NULL, *ia = NULL, *ib = NULL;
    float *Xb = NULL, *Xs = NULL, *grad = NULL;
    int32_t *yb = NULL, *ys = NULL;
    double *la = NULL, *lb = NULL, *cw = NULL;
    cv_mlp_adam sa = {0}, sb = {0};
    if ((rc = cv_model_init(o, d, k, &ma, err)) || (rc = cv_model_init(&ob, d, k, &mb, err))) goto done;
    if (!(na = net_view(ma, o, d, k)) || !(nb = net_view(mb, o, d, k))) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "the model's parameters are not an mlp's");
        goto done;
    }
    if (cv_mlp_ws_alloc(&aa, na, B < 1024 ? 1024 : B)) goto oom;
    aok = 1;
    if (cv_mlp_ws_alloc(&ab, nb, B < 1024 ? 1024 : B)) goto oom;
    bok = 1;
    perm = la_malloc_array(n, sizeof *perm);
    ia = la_malloc_array(B, sizeof *ia);
    ib = la_malloc_array(B, sizeof *ib);
    Xb = la_malloc_array(B * d, sizeof *Xb);
    Xs = la_malloc_array(B * d, sizeof *Xs);
    yb = la_malloc_array(B, sizeof *yb);
    ys = la_malloc_array(B, sizeof *ys);
    la = la_malloc_array(B, sizeof *la);
    lb = la_malloc_array(B, sizeof *lb);
    cw = la_calloc(k, sizeof *cw);
    grad = la_malloc_array(na->n_params, sizeof *grad);
    sa.mom = la_calloc(na->n_params, sizeof(float)); sa.vel = la_calloc(na->n_params, sizeof(float));
    sb.mom = la_calloc(nb->n_params, sizeof(float)); sb.vel = la_calloc(nb->n_params, sizeof(float));
    if (!perm || !ia || !ib || !Xb || !Xs || !yb || !ys || !la || !lb || !cw || !grad ||
        !sa.mom || !sa.vel || !sb.mom || !sb.vel)
        goto oom;
    sa.b1t = sa.b2t = sb.b1t = sb.b2t = 1.0;

    cv_loss L;
    cv_loss_setup(o, y, n, k, cw, &L);
    double l2n = o->l2 / (double)n;
    la_rng r;
    la_rng_seed(&r, o->seed, 17);
    for (size_t i = 0; i < n; i++) perm[i] = i;
    for (int e = 0; e < o->epochs; e++) {
        /* R(e) = tau min(e / T_k, 1): share of each batch left out */
        double R = co->forget_epochs > 0 ? co->forget_rate * fmin((double)e / co->forget_epochs, 1.0)
                                         : co->forget_rate;
        size_t correct = 0;
        la_rng_shuffle(&r, perm, n);
        for (size_t j0 = 0; j0 < n; j0 += B) {
            size_t m = n - j0 < B ? n - j0 : B;
            for (size_t j = 0; j < m; j++) {
                memcpy(Xb + j * d, X + perm[j0 + j] * d, d * sizeof *Xb);
                yb[j] = y[perm[j0 + j]];
            }
            row_ce(cv_mlp_forward(na, &aa, Xb, m, 0.0, NULL), m, k, yb, la, &correct);
            row_ce(cv_mlp_forward(nb, &ab, Xb, m, 0.0, NULL), m, k, yb, lb, NULL);
            for (size_t j = 0; j < m; j++) ia[j] = ib[j] = j;
            qsort_r(ia, m, sizeof *ia, by_loss, la);
            qsort_r(ib, m, sizeof *ib, by_loss, lb);
            size_t keep = m - (size_t)lround(R * (double)m);
            if (keep < 1) keep = 1;
            /* each network learns from the rows its peer finds easy */
            update_on(na, &aa, &sa, &L, l2n, o->lr, Xb, yb, ib, keep, d, Xs, ys, grad);
            update_on(nb, &ab, &sb, &L, l2n, o->lr, Xb, yb, ia, keep, d, Xs, ys, grad);
        }
        cv_curve *cu = o->curve;
        if (cu && (size_t)e < cu->cap) {
            if (cu->train_acc) cu->train_acc[e] = (float)((double)correct / (double)n);
            if (cu->train_loss) cu->train_loss[e] = NAN;
            if (cu->val_acc) cu->val_acc[e] = NAN;
            if (cu->val_loss) cu->val_loss[e] = NAN;
            if (cu->heldout_acc)
                cu->heldout_acc[e] = o->eval_X && o->eval_y && o->eval_n
                    ? (float)accuracy_of(na, &aa, o->eval_X, o->eval_n, d, o->eval_y) : NAN;
            cu->n = (size_t)e + 1;
        }
    }
    if (o->curve) o->curve->best = -1;
    if (o->n_iter) *o->n_iter = o->epochs;
    *pa = ma;
    *pb = mb;
    ma = mb = NULL;
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    if (aok) cv_mlp_ws_free(&aa);
    if (bok) cv_mlp_ws_free(&ab);
    cv_model_free(ma);
    cv_model_free(mb);
    free(perm); free(ia); free(ib); free(Xb); free(Xs); free(yb); free(ys);
    free(la); free(lb); free(cw); free(grad);
    free(sa.mom); free(sa.vel); free(sb.mom); free(sb.vel);
    return rc;
}

int cv_robust_coteach_predict(const cv_model *a, const cv_model *b, const float *X, size_t n, size_t k,
                             double *probs, la_error *err)
{
    double *pb = la_malloc_array(n * k + 1, sizeof *pb);
    if (!pb) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int rc = cv_model_predict_proba(a, X, n, probs, err);
    if (!rc) rc = cv_model_predict_proba(b, X, n, pb, err);
    /* p_ic = (p^a_ic + p^b_ic) / 2: both rows sum to 1, so does the mean */
    for (size_t j = 0; !rc && j < n * k; j++) probs[j] = 0.5 * (probs[j] + pb[j]);
    free(pb);
    return rc;
}

/* ---- decoupled rebalancing ----------------------------------------------- */

int cv_robust_decouple_fit(const cv_train_opts *o, cv_sampler_kind stage2, const float *X, size_t n,
                    size_t d, const int32_t *y, const float *sw, size_t k, cv_model **out,
                    la_error *err)
{
    *out = NULL;
    if (!cv_robust_decouples(o))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--decouple needs --model mlp with a hidden layer or --model cnn");
    cv_train_opts o1 = *o;
    o1.sampler = CV_SAMPLER_NONE;               /* stage 1: natural distribution */
    cv_model *m = NULL, *head = NULL;
    float *H = NULL, *W, *b;
    int rc = cv_model_fit(&o1, X, n, d, y, sw, k, &m, err);
    if (rc) return rc;
    size_t h = cv_model_embed_dim(m);
    H = la_malloc_array(n * h, sizeof *H);
    if (!H) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto done; }
    if ((rc = cv_model_embed(m, X, n, H, err))) goto done;

    /* stage 2: softmax regression on the frozen features, class-balanced */
    cv_train_opts oh;
    cv_train_opts_init(&oh);
    oh.model = CV_MODEL_LOGREG;
    oh.loss = CV_LOSS_CE;
    oh.sampler = stage2 == CV_SAMPLER_NONE ? CV_SAMPLER_OVERSAMPLE : stage2;
    oh.seed = o->seed;
    oh.threads = o->threads;
    if ((rc = cv_model_fit(&oh, H, n, h, y, sw, k, &head, err))) goto done;
    size_t hp = 0;
    float *src = cv_model_params(head, &hp);
    if (hp != h * k + k) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "unexpected head size"); goto done; }
    if ((rc = cv_model_head(m, &W, &b, err))) goto done;
    /* the logreg's layout: W (h x k) then b (k), the output layer's shapes */
    memcpy(W, src, h * k * sizeof *src);
    memcpy(b, src + h * k, k * sizeof *src);
    *out = m;
    m = NULL;
done:
    cv_model_free(head);
    cv_model_free(m);
    free(H);
    return rc;
}

int cv_robust_decouples(const cv_train_opts *o)
{
    return (o->model == CV_MODEL_MLP && o->n_hidden >= 1) || o->model == CV_MODEL_CNN;
}

/* ---- fit and predict ------------------------------------------------------ */

int cv_robust_fit_predict(const cv_train_opts *o, const cv_robust_coteach_opts *co, int decouple,
                          const float *X, size_t n, size_t d, const int32_t *y, const float *sw,
                          size_t k, const float *Xte, size_t nte, double *probs, la_error *err)
{
    return cv_robust_fit_predict_embed(o, co, decouple, X, n, d, y, sw, k, Xte, nte, probs, NULL, err);
}

int cv_robust_fit_predict_embed(const cv_train_opts *o, const cv_robust_coteach_opts *co, int decouple,
                                const float *X, size_t n, size_t d, const int32_t *y, const float *sw,
                                size_t k, const float *Xte, size_t nte, double *probs, float *H,
                                la_error *err)
{
    if (H && (o->model != CV_MODEL_MLP || o->n_hidden < 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "the hidden-layer embedding needs --model mlp");
    if (o->model == CV_MODEL_ENSEMBLE && !co && !decouple)
        return cv_ensemble_fit_predict(o, X, n, d, y, sw, k, Xte, nte, probs, NULL, err);
    cv_model *m = NULL, *m2 = NULL;
    int rc;
    if (co) rc = cv_robust_coteach_fit(o, co, X, n, d, y, k, &m, &m2, err);
    else if (decouple) rc = cv_robust_decouple_fit(o, o->sampler, X, n, d, y, sw, k, &m, err);
    else rc = cv_model_fit(o, X, n, d, y, sw, k, &m, err);
    if (!rc) rc = m2 ? cv_robust_coteach_predict(m, m2, Xte, nte, k, probs, err)
                     : cv_model_predict_proba(m, Xte, nte, probs, err);
    if (!rc && H) rc = cv_robust_hidden(m, o, d, k, Xte, nte, H, err);   /* co-teaching: the first net */
    cv_model_free(m);
    cv_model_free(m2);
    if (rc || o->raw_probs || k > CV_MAX_CLASSES) return rc;
    /* back to the data's priors when training shifted them (prior.h) */
    double pi[CV_MAX_CLASSES], pi_train[CV_MAX_CLASSES];
    if (cv_prior_shift(o, decouple && !co, y, n, k, pi, pi_train)) cv_prior_correct(probs, nte, k, pi, pi_train);
    return rc;
}
