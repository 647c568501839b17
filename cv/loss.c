/*
 * loss.c — losses and their gradients on logits (see loss.h).
 *
 * All but SCE's reverse term share one form: L = w_y sum_c q_c f(p_c), so
 *   dL/dz_j = w_y [ q_j a_j - p_j sum_c q_c a_c ],  a_c = f'(p_c) p_c
 * (from dp_c/dz_j = p_c (delta_cj - p_j)). CE has a_c = -1, giving p - q.
 */
#include <math.h>
#include <string.h>
#include "loss.h"
#include "train.h"

static const char *const loss_names[] = {"ce", "weighted", "balanced", "focal", "gce", "sce", "logit-adjusted"};

int cv_loss_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof loss_names / sizeof *loss_names); i++)
        if (!strcmp(name, loss_names[i])) return i;
    return -1;
}

const char *cv_loss_name(cv_loss_kind kind) { return loss_names[kind]; }

static size_t class_counts(const int32_t *y, size_t n, size_t k, double *cnt)
{
    for (size_t c = 0; c < k; c++) cnt[c] = 0;
    for (size_t i = 0; i < n; i++) cnt[y[i]] += 1.0;
    size_t present = 0;
    for (size_t c = 0; c < k; c++) present += cnt[c] > 0;
    return present;
}

void cv_class_weights_inverse(const int32_t *y, size_t n, size_t k, double *out)
{
    size_t present = class_counts(y, n, k, out);
    for (size_t c = 0; c < k; c++)
        out[c] = out[c] > 0 ? (double)n / ((double)present * out[c]) : 0.0;
}

void cv_class_weights_effective(const int32_t *y, size_t n, size_t k, double beta, double *out)
{
    size_t present = class_counts(y, n, k, out);
    double sum = 0.0;
    for (size_t c = 0; c < k; c++) {
        /* effective number E_c = (1 - beta^n_c) / (1 - beta); w_c = 1 / E_c */
        out[c] = out[c] > 0 ? (1.0 - beta) / (1.0 - pow(beta, out[c])) : 0.0;
        sum += out[c];
    }
    for (size_t c = 0; c < k; c++) out[c] = sum > 0 ? out[c] * (double)present / sum : 0.0;
}

void cv_loss_logit_shift(const int32_t *y, size_t n, size_t k, double tau, double *out)
{
    class_counts(y, n, k, out);
    for (size_t c = 0; c < k; c++)
        out[c] = tau * log((out[c] > 0 ? out[c] : 0.5) / (double)(n ? n : 1));
}

static double row_loss(const cv_loss *L, const double *z, int32_t y, double *g);

double cv_loss_row(const cv_loss *L, const double *z, int32_t y, double *g)
{
    if (!L->logit_shift) return row_loss(L, z, y, g);
    /* logit adjustment: the loss at z + s; d(z + s)/dz = I */
    double zs[CV_MAX_CLASSES];
    for (size_t c = 0; c < L->k; c++) zs[c] = z[c] + L->logit_shift[c];
    return row_loss(L, zs, y, g);
}

static double row_loss(const cv_loss *L, const double *z, int32_t y, double *g)
{
    size_t k = L->k;
    double m = z[0];
    for (size_t c = 1; c < k; c++) if (z[c] > m) m = z[c];
    double se = 0.0;
    for (size_t c = 0; c < k; c++) se += exp(z[c] - m);
    double lse = m + log(se);
    double w = L->class_w ? L->class_w[y] : 1.0;
    double s = L->smoothing, off = s / (double)k, on = 1.0 - s + off;
    double loss = 0.0, qa = 0.0;
    /* first pass: loss and sum_c q_c a_c */
    for (size_t c = 0; c < k; c++) {
        double q = (int32_t)c == y ? on : off;
        if (q == 0.0) continue;
        double lp = z[c] - lse, p = exp(lp), f, a;
        switch (L->kind) {
        case CV_LOSS_FOCAL: {
            double om = 1.0 - p, gm = L->gamma;
            double omg = gm == 0.0 ? 1.0 : pow(om, gm);
            f = -omg * lp;
            /* a = f'(p) p = gamma p (1-p)^(gamma-1) log p - (1-p)^gamma */
            a = -omg;
            if (gm != 0.0 && om > 1e-300) a += gm * p * pow(om, gm - 1.0) * lp;
            break;
        }
        case CV_LOSS_GCE: {
            double pq = exp(L->gce_q * lp);
            f = (1.0 - pq) / L->gce_q;
            a = -pq;
            break;
        }
        case CV_LOSS_SCE:
            f = -L->sce_alpha * lp;
            a = -L->sce_alpha;
            break;
        default:
            f = -lp;
            a = -1.0;
        }
        loss += q * f;
        qa += q * a;
    }
    double rce = 0.0;
    if (L->kind == CV_LOSS_SCE) {
        /* RCE = sum_c p_c r_c, r_c = -log max(q_c, 1e-4); dRCE/dz_j = p_j (r_j - RCE) */
        for (size_t c = 0; c < k; c++) {
            double q = (int32_t)c == y ? on : off;
            rce += exp(z[c] - lse) * -log(q > 1e-4 ? q : 1e-4);
        }
        loss += L->sce_beta * rce;
    }
    if (g) {
        for (size_t j = 0; j < k; j++) {
            double q = (int32_t)j == y ? on : off, p = exp(z[j] - lse), a = 0.0;
            if (q != 0.0) {
                switch (L->kind) {
                case CV_LOSS_FOCAL: {
                    double om = 1.0 - p, gm = L->gamma;
                    a = -(gm == 0.0 ? 1.0 : pow(om, gm));
                    if (gm != 0.0 && om > 1e-300) a += gm * p * pow(om, gm - 1.0) * (z[j] - lse);
                    break;
                }
                case CV_LOSS_GCE: a = -exp(L->gce_q * (z[j] - lse)); break;
                case CV_LOSS_SCE: a = -L->sce_alpha; break;
                default: a = -1.0;
                }
            }
            double gj = q * a - p * qa;
            if (L->kind == CV_LOSS_SCE) {
                double r = -log(q > 1e-4 ? q : 1e-4);
                gj += L->sce_beta * p * (r - rce);
            }
            g[j] = w * gj;
        }
    }
    return w * loss;
}

double cv_loss_batch(const cv_loss *L, const float *Z, size_t n, const int32_t *y,
                     const float *sw, float scale, float *G, size_t *n_correct)
{
    size_t k = L->k, correct = 0;
    double total = 0.0, z[256], g[256], *zb = z, *gb = g;
    double big[2 * 4096];
    if (k > 256) { zb = big; gb = big + 4096; }   /* k <= 4096 enforced by callers */
    for (size_t i = 0; i < n; i++) {
        const float *zi = Z + i * k;
        size_t am = 0;
        for (size_t c = 0; c < k; c++) {
            zb[c] = zi[c] + (L->logit_shift ? L->logit_shift[c] : 0.0);
            if (zi[c] > zi[am]) am = c;
        }
        correct += (int32_t)am == y[i];
        double wi = sw ? sw[i] : 1.0;
        if (wi == 0.0) {
            if (G) memset(G + i * k, 0, k * sizeof *G);
            continue;
        }
        total += wi * row_loss(L, zb, y[i], G ? gb : NULL);
        if (G)
            for (size_t c = 0; c < k; c++) G[i * k + c] = (float)(scale * wi * gb[c]);
    }
    if (n_correct) *n_correct = correct;
    return total;
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
    if (o->loss == CV_LOSS_LOGIT_ADJUSTED) {
        cv_loss_logit_shift(y, n, k, o->tau, class_w);
        L->class_w = NULL;
        L->logit_shift = class_w;
    }
}
