/*
 * rebalance.c — the strategy comparison of `--rebalance auto` (rebalance.h):
 * one inner k-fold over a training fold per strategy, the pooled inner
 * out-of-fold probabilities (prior-corrected by cv_robust_fit_predict)
 * scored on the rare classes.
 */
#include "rebalance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"
#include "robust.h"
#include "../metrics/metrics.h"
#include <assert.h>
#include <jansson.h>

static const char *const strategy_names[CV_REB_N] = {
    "plain", "balanced", "weighted", "focal", "logit-adjusted", "oversample-ratio", "decouple"
};
static const char *const select_names[] = {"pr-auc", "recall-at-precision", "balanced-accuracy"};

const char *cv_rebalance_name(int s) { return s >= 0 && s < CV_REB_N ? strategy_names[s] : "?"; }
const char *cv_select_name(cv_select_by s) { return select_names[s]; }

int cv_rebalance_applies(int s, cv_model_kind m)
{
    if (m == CV_MODEL_KNN) return s == CV_REB_PLAIN || s == CV_REB_OVERSAMPLE;
    if (s == CV_REB_DECOUPLE) return m == CV_MODEL_MLP;
    return 1;
}

void cv_rebalance_apply(cv_train_opts *o, int s, int *decouple)
{
    static const cv_loss_kind loss_of[CV_REB_N] = {
        CV_LOSS_CE, CV_LOSS_BALANCED, CV_LOSS_WEIGHTED, CV_LOSS_FOCAL, CV_LOSS_LOGIT_ADJUSTED, CV_LOSS_CE, CV_LOSS_CE
    };
    double ratio = o->oversample_ratio > 0 ? o->oversample_ratio : CV_REB_DEFAULT_RATIO;
    o->loss = loss_of[s];
    o->sampler = s == CV_REB_DECOUPLE ? CV_SAMPLER_OVERSAMPLE : CV_SAMPLER_NONE;
    o->oversample_ratio = s == CV_REB_OVERSAMPLE ? ratio : 0.0;
    if (s != CV_REB_FOCAL) { o->focal_alpha = NULL; o->n_focal_alpha = 0; }
    *decouple = s == CV_REB_DECOUPLE;
}

size_t cv_rebalance_rare(const int32_t *y, size_t n, size_t k, uint8_t *rare)
{
    size_t *cnt = la_calloc(k, sizeof *cnt), m = 0;
    if (!cnt) { memset(rare, 1, k); return k; }
    for (size_t i = 0; i < n; i++) cnt[y[i]]++;
    /* share < 1 / (2K)  <=>  2 K n_c < n */
    for (size_t c = 0; c < k; c++) m += rare[c] = cnt[c] > 0 && 2 * k * cnt[c] < n;
    if (!m)
        for (size_t c = 0; c < k; c++) m += rare[c] = cnt[c] > 0;
    free(cnt);
    return m;
}

double cv_rebalance_score(const cv_rebalance_opts *r, const int32_t *y, const double *P, size_t n,
                          size_t k, const uint8_t *rare)
{
    la_error e;
    if (r->select_by == CV_SELECT_BALANCED_ACCURACY) {
        mt_metrics m;
        if (mt_compute(y, P, n, k, &m, &e)) return NAN;
        double b = m.balanced_accuracy;
        mt_metrics_free(&m);
        return b;
    }
    double sum = 0.0;
    size_t m = 0;
    uint8_t *t = la_malloc_array(n ? n : 1, 1);
    double *s = la_malloc_array(n ? n : 1, sizeof *s);
    if (!t || !s) { free(t); free(s); return NAN; }
    for (size_t c = 0; c < k; c++) {
        if (!rare[c]) continue;
        if (r->select_by == CV_SELECT_PR_AUC) {
            for (size_t i = 0; i < n; i++) { t[i] = y[i] == (int32_t)c; s[i] = P[i * k + c]; }
            sum += mt_average_precision(t, s, n);
        } else {
            mt_pr_point *pts;
            size_t np;
            if (mt_pr_curve(y, P, n, k, c, &pts, &np, &e)) { sum = NAN; break; }
            long at = mt_pick_threshold(pts, np, MT_MIN_PRECISION, r->precision);
            sum += at >= 0 ? pts[at].recall : 0.0;
            free(pts);
        }
        m++;
    }
    free(t); free(s);
    return m ? sum / (double)m : NAN;
}

/* Rows of X (d wide), y, sw where fold[i] (!= f) == f into the buffers. */
static size_t gather(const float *X, size_t n, size_t d, const int32_t *y, const float *sw,
                     const int32_t *fold, int32_t f, int in, float *Xo, int32_t *yo, float *swo, size_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if ((fold[i] == f) != in) continue;
        memcpy(Xo + m * d, X + i * d, d * sizeof *Xo);
        yo[m] = y[i];
        if (swo) swo[m] = sw[i];
        if (idx) idx[m] = i;
        m++;
    }
    return m;
}

/* Inner out-of-fold probabilities of strategy s into P (n x k). */
static int inner_cv(const cv_train_opts *base, int s, const cv_rebalance_opts *r, const float *X, size_t n,
                    size_t d, const int32_t *y, const float *sw, size_t k, const int32_t *fold,
                    float *Xa, int32_t *ya, float *swa, float *Xb, int32_t *yb, size_t *idx, double *Pb,
                    double *P, const uint8_t *rare, double *fold_score, la_error *err)
{
    cv_train_opts o = *base;
    int decouple = 0;
    cv_rebalance_apply(&o, s, &decouple);
    for (int f = 0; f < r->inner_folds; f++) {
        size_t na = gather(X, n, d, y, sw, fold, f, 0, Xa, ya, sw ? swa : NULL, NULL);
        size_t nb = gather(X, n, d, y, sw, fold, f, 1, Xb, yb, NULL, idx);
        if (!na || !nb) continue;
        o.seed = base->seed + (uint64_t)f + 1;
        int rc = cv_robust_fit_predict(&o, NULL, decouple, Xa, na, d, ya, sw ? swa : NULL, k, Xb, nb, Pb, err);
        if (rc) return rc;
        for (size_t i = 0; i < nb; i++) memcpy(P + idx[i] * k, Pb + i * k, k * sizeof *P);
        fold_score[f] = cv_rebalance_score(r, yb, Pb, nb, k, rare);
    }
    return 0;
}

/* The paired gain of fold scores a over plain's b (R x F folds, NANs
 * skipped) and its standard error, corrected for repeated k-fold:
 * se^2 = var(a - b) (1 / m + 1 / (F - 1)) with m the pairs (Nadeau &
 * Bengio); one repeat keeps the plain se^2 = var / m. */
static void paired_gain(const double *a, const double *b, int F, int R, double *gain, double *se)
{
    double s = 0.0, s2 = 0.0;
    int m = 0;
    for (int f = 0; f < F * R; f++)
        if (isfinite(a[f]) && isfinite(b[f])) { double d = a[f] - b[f]; s += d; s2 += d * d; m++; }
    *gain = m ? s / m : NAN;
    double var = m > 1 ? fmax(s2 - s * s / m, 0.0) / (m - 1) : INFINITY;
    *se = m > 1 ? sqrt(var * (1.0 / m + (R > 1 ? 1.0 / (F - 1) : 0.0))) : INFINITY;
}

/* The blend (plain + s) / 2 of the pooled inner probabilities P0, Ps into
 * Pm's first n x k: its pooled score into *pooled and each inner fold's
 * into fold_score (Pb and yb are scratch). */
static void blend_scores(const cv_rebalance_opts *r, const int32_t *y, size_t n, size_t k,
                         const uint8_t *rare, const int32_t *fold, int F, const double *P0,
                         const double *Ps, double *Pb, int32_t *yb, double *fold_score, double *pooled)
{
    double *Pm = la_malloc_array(n * k, sizeof *Pm);
    if (!Pm) { *pooled = NAN; return; }
    for (size_t j = 0; j < n * k; j++) Pm[j] = 0.5 * (P0[j] + Ps[j]);
    *pooled = cv_rebalance_score(r, y, Pm, n, k, rare);
    for (int f = 0; f < F; f++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] == f) { memcpy(Pb + m * k, Pm + i * k, k * sizeof *Pb); yb[m++] = y[i]; }
        fold_score[f] = m ? cv_rebalance_score(r, yb, Pb, m, k, rare) : NAN;
    }
    free(Pm);
}

int cv_rebalance_choose(const cv_train_opts *o, const cv_rebalance_opts *r, const float *X, size_t n,
                        size_t d, const int32_t *y, const float *sw, size_t k, cv_rebalance_choice *out,
                        la_error *err)
{
    assert(r->inner_folds >= 2 && r->inner_folds <= CV_REB_MAX_INNER);
    memset(out, 0, sizeof *out);
    for (int s = 0; s < CV_REB_N; s++) out->score[s] = NAN;
    cv_train_opts base = *o;
    base.curve = NULL; base.eval_X = NULL; base.eval_y = NULL; base.eval_n = 0;
    base.n_iter = NULL; base.l2_used = NULL;
    base.raw_probs = 0;
    int32_t *fold = la_malloc_array(n, sizeof *fold), *ya = la_malloc_array(n, sizeof *ya);
    int32_t *yb = la_malloc_array(n, sizeof *yb);
    float *Xa = la_malloc_array(n * d, sizeof *Xa), *Xb = la_malloc_array(n * d, sizeof *Xb);
    float *swa = sw ? la_malloc_array(n, sizeof *swa) : NULL;
    size_t *idx = la_malloc_array(n, sizeof *idx);
    double *P = la_malloc_array(n * k * CV_REB_N, sizeof *P), *Pb = la_malloc_array(n * k, sizeof *Pb);
    uint8_t *rare = la_malloc_array(k, 1);
    int rc = 0;
    if (!fold || !ya || !yb || !Xa || !Xb || (sw && !swa) || !idx || !P || !Pb || !rare) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    cv_rebalance_rare(y, n, k, rare);
    int R = r->repeats < 1 ? 1 : r->repeats > CV_REB_MAX_REPEATS ? CV_REB_MAX_REPEATS : r->repeats;
    int F = r->inner_folds;
    double fs[CV_REB_N][CV_REB_MAX_INNER * CV_REB_MAX_REPEATS], bs[CV_REB_N][CV_REB_MAX_INNER * CV_REB_MAX_REPEATS];
    for (int s = 0; s < CV_REB_N; s++) {
        out->gain[s] = out->gain_se[s] = out->blend_gain[s] = out->blend_gain_se[s] = NAN;
        out->blend_score[s] = NAN;
        for (int f = 0; f < CV_REB_MAX_INNER * CV_REB_MAX_REPEATS; f++) fs[s][f] = bs[s][f] = NAN;
    }
    for (int rep = 0; rep < R; rep++) {
        /* repeat 0 keeps the single split's seed; the others step by the golden ratio */
        uint64_t seed = (o->seed ^ CV_REB_SEED) + (uint64_t)rep * 0x9E3779B97F4A7C15ull;
        if ((rc = cv_folds_stratified(y, n, k, F, seed, fold, NULL, err))) goto done;
        for (int s = 0; s < CV_REB_N; s++) {
            if (!cv_rebalance_applies(s, o->model)) continue;
            double *Ps = P + (size_t)s * n * k;
            /* rows of a fold without an inner model keep 1/k */
            for (size_t j = 0; j < n * k; j++) Ps[j] = 1.0 / (double)k;
            base.seed = o->seed + (uint64_t)rep * (uint64_t)F;
            if ((rc = inner_cv(&base, s, r, X, n, d, y, sw, k, fold, Xa, ya, swa, Xb, yb, idx, Pb, Ps, rare,
                               fs[s] + rep * F, err)))
                goto done;
            double sc = cv_rebalance_score(r, y, Ps, n, k, rare);
            out->score[s] = (rep ? out->score[s] * rep + sc : sc) / (rep + 1);
            out->tried[s] = 1;
            if (s == CV_REB_PLAIN) continue;
            blend_scores(r, y, n, k, rare, fold, F, P, Ps, Pb, yb, bs[s] + rep * F, &sc);
            out->blend_score[s] = (rep ? out->blend_score[s] * rep + sc : sc) / (rep + 1);
        }
    }
    /* plain unless a strategy's paired gain clears the margin and its error */
    out->chosen = CV_REB_PLAIN;
    for (int s = CV_REB_PLAIN + 1; s < CV_REB_N; s++) {
        if (!out->tried[s]) continue;
        paired_gain(fs[s], fs[CV_REB_PLAIN], F, R, &out->gain[s], &out->gain_se[s]);
        paired_gain(bs[s], fs[CV_REB_PLAIN], F, R, &out->blend_gain[s], &out->blend_gain_se[s]);
    }
    double best = -INFINITY;
    for (int b = 0; b < 2; b++)
        for (int s = CV_REB_PLAIN + 1; s < CV_REB_N; s++) {
            if (!out->tried[s]) continue;
            double g = b ? out->blend_gain[s] : out->gain[s], se = b ? out->blend_gain_se[s] : out->gain_se[s];
            double sc = b ? out->blend_score[s] : out->score[s];
            if (!(g > CV_REB_MARGIN && g > se) || !(sc > best)) continue;
            best = sc; out->chosen = s; out->blend = b;
        }
done:
    free(fold); free(ya); free(yb); free(Xa); free(Xb); free(swa); free(idx); free(P); free(Pb); free(rare);
    return rc;
}

int cv_rebalance_fit_predict(const cv_train_opts *o, const cv_rebalance_choice *ch,
                             const cv_robust_coteach_opts *co, const float *X, size_t n, size_t d,
                             const int32_t *y, const float *sw, size_t k, const float *Xte, size_t nte,
                             double *probs, la_error *err)
{
    cv_train_opts t = *o;
    int decouple = 0;
    cv_rebalance_apply(&t, ch->chosen, &decouple);
    int rc = cv_robust_fit_predict(&t, co, decouple, X, n, d, y, sw, k, Xte, nte, probs, err);
    if (rc || !ch->blend) return rc;
    /* the blend: p = (p_plain + p_s) / 2 */
    double *P0 = la_malloc_array(nte ? nte : 1, k * sizeof *P0);
    if (!P0) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    t = *o;
    cv_rebalance_apply(&t, CV_REB_PLAIN, &decouple);
    t.curve = NULL; t.eval_X = NULL; t.eval_y = NULL; t.eval_n = 0; t.n_iter = NULL; t.l2_used = NULL;
    rc = cv_robust_fit_predict(&t, co, decouple, X, n, d, y, sw, k, Xte, nte, P0, err);
    if (!rc)
        for (size_t j = 0; j < nte * k; j++) probs[j] = 0.5 * (probs[j] + P0[j]);
    free(P0);
    return rc;
}

const char *cv_rebalance_choice_name(const cv_rebalance_choice *ch, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", ch->blend ? "blend:" : "", cv_rebalance_name(ch->chosen));
    return buf;
}

int cv_rebalance_below_plain(const cv_rebalance_choice *ch)
{
    double chosen = ch->blend ? ch->blend_score[ch->chosen] : ch->score[ch->chosen];
    return (ch->blend || ch->chosen != CV_REB_PLAIN) && ch->tried[CV_REB_PLAIN] &&
           isfinite(ch->score[CV_REB_PLAIN]) && !(chosen >= ch->score[CV_REB_PLAIN]);
}

/* A number, or null when not finite. */
static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

json_t *cv_rebalance_choice_json(const cv_rebalance_choice *ch)
{
    json_t *o = json_object(), *sc = json_object(), *g = json_object(), *se = json_object();
    char nm[48];
    for (int s = 0; s < CV_REB_N; s++) {
        if (!ch->tried[s]) continue;
        json_object_set_new(sc, cv_rebalance_name(s), num(ch->score[s]));
        if (s == CV_REB_PLAIN) continue;
        json_object_set_new(g, cv_rebalance_name(s), num(ch->gain[s]));
        json_object_set_new(se, cv_rebalance_name(s), num(ch->gain_se[s]));
        snprintf(nm, sizeof nm, "blend:%s", cv_rebalance_name(s));
        json_object_set_new(sc, nm, num(ch->blend_score[s]));
        json_object_set_new(g, nm, num(ch->blend_gain[s]));
        json_object_set_new(se, nm, num(ch->blend_gain_se[s]));
    }
    json_object_set_new(o, "chosen", json_string(cv_rebalance_choice_name(ch, nm, sizeof nm)));
    json_object_set_new(o, "scores", sc);
    json_object_set_new(o, "gain_over_plain", g);
    json_object_set_new(o, "gain_se", se);
    if (cv_rebalance_below_plain(ch)) json_object_set_new(o, "below_plain", json_true());
    return o;
}
