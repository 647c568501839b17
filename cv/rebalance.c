/*
 * rebalance.c — the strategy comparison of `--rebalance auto` (rebalance.h):
 * repeated inner k-folds over a training fold per strategy, the pooled inner
 * out-of-fold probabilities (prior-corrected by cv_robust_fit_predict)
 * scored on the rare classes, and the gains over plain with a paired
 * stratified bootstrap error over the rows.
 */
#include "rebalance.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "folds.h"
#include "robust.h"
#include "../util/la_rng.h"
#include "../metrics/metrics.h"
#include <assert.h>
#include <jansson.h>

static const char *const strategy_names[CV_REB_N] = {
    "plain", "balanced", "weighted", "focal", "logit-adjusted", "oversample-ratio", "decouple"
};
static const char *const select_names[] = {"pr-auc", "recall-at-precision", "balanced-accuracy", "recall-guarded"};

const char *cv_rebalance_name(int s) { return s >= 0 && s < CV_REB_N ? strategy_names[s] : "?"; }
const char *cv_select_name(cv_select_by s) { return select_names[s]; }

int cv_rebalance_applies(int s, cv_model_kind m)
{
    if (m == CV_MODEL_KNN) return s == CV_REB_PLAIN || s == CV_REB_OVERSAMPLE;
    if (s == CV_REB_DECOUPLE) return m == CV_MODEL_MLP || m == CV_MODEL_CNN;
    return 1;
}

void cv_rebalance_opts_init(cv_rebalance_opts *r)
{
    r->select_by = CV_SELECT_DEFAULT;
    r->precision = CV_SELECT_DEFAULT_PRECISION;
    r->inner_folds = CV_REB_INNER_FOLDS;
    r->repeats = CV_REB_REPEATS;
}

int cv_select_parse(const char *v, cv_select_by *s, double *precision)
{
    for (int m = 0; m < (int)(sizeof select_names / sizeof *select_names); m++) {
        size_t len = strlen(select_names[m]);
        if (strncmp(v, select_names[m], len)) continue;
        int takes_p = m == CV_SELECT_RECALL_AT_PRECISION || m == CV_SELECT_RECALL_GUARDED;
        if (!v[len]) { *s = (cv_select_by)m; return 0; }
        if (!takes_p || (v[len] != ':' && v[len] != '=')) continue;
        char *end;
        double p = strtod(v + len + 1, &end);
        if (end == v + len + 1 || *end || !(p >= 0.0 && p <= 1.0)) return -1;
        *s = (cv_select_by)m;
        *precision = p;
        return 0;
    }
    return -1;
}

int cv_rebalance_check(const cv_train_opts *t, int decouple, int rebalance, la_error *err)
{
    if (decouple && !cv_robust_decouples(t))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--decouple refits the output layer of a network: add --model mlp or --model cnn");
    if (t->sampler != CV_SAMPLER_NONE && t->oversample_ratio > 0)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "give --sampler or --oversample-ratio, not both");
    if (!rebalance) return 0;
    if (decouple) return la_error_set(err, LA_EUSAGE, NULL, 0, "--rebalance auto chooses the strategy itself: drop --decouple");
    if (t->sampler != CV_SAMPLER_NONE || t->loss != CV_LOSS_CE)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--rebalance auto chooses the loss and the sampling itself: drop --%s",
                            t->sampler != CV_SAMPLER_NONE ? "sampler" : "loss");
    return 0;
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
                    double *P, la_error *err)
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
    }
    return 0;
}

/* Stratified bootstrap counts over the rows: replicate b draws each class's
 * n_c rows n_c times with replacement (seed, stream b), W[b n + i] = how
 * often row i was drawn (saturating at 255). One set for all candidates and
 * repeats, so that their differences are paired. Returns 0, or -1 when out
 * of memory. */
static int boot_counts(const int32_t *y, size_t n, size_t k, uint64_t seed, int B, uint8_t *W)
{
    size_t *start = la_calloc(k + 1, sizeof *start), *rows = la_malloc_array(n ? n : 1, sizeof *rows);
    size_t *at = la_calloc(k + 1, sizeof *at);
    if (!start || !rows || !at) { free(start); free(rows); free(at); return -1; }
    for (size_t i = 0; i < n; i++) start[y[i] + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++) rows[start[y[i]] + at[y[i]]++] = i;
    for (int b = 0; b < B; b++) {
        uint8_t *w = W + (size_t)b * n;
        la_rng g;
        la_rng_seed(&g, seed, (uint64_t)b);
        memset(w, 0, n);
        for (size_t c = 0; c < k; c++) {
            size_t nc = start[c + 1] - start[c];
            for (size_t t = 0; t < nc; t++) {
                size_t i = rows[start[c] + la_rng_below(&g, nc)];
                if (w[i] < 255) w[i]++;
            }
        }
    }
    free(start); free(rows); free(at);
    return 0;
}

typedef struct reb_ranked { double s; size_t i; } reb_ranked;

static int ranked_desc(const void *a, const void *b)
{
    double x = ((const reb_ranked *)a)->s, y = ((const reb_ranked *)b)->s;
    return (x < y) - (x > y);
}

/* For each rare class in turn, the rows by decreasing P[., c] into ord
 * (n per rare class; ties in any order, they are grouped when scored). */
static int rank_rare(const double *P, size_t n, size_t k, const uint8_t *rare, size_t *ord)
{
    reb_ranked *v = la_malloc_array(n ? n : 1, sizeof *v);
    if (!v) return -1;
    size_t m = 0;
    for (size_t c = 0; c < k; c++) {
        if (!rare[c]) continue;
        for (size_t i = 0; i < n; i++) { v[i].s = P[i * k + c]; v[i].i = i; }
        qsort(v, n, sizeof *v, ranked_desc);
        for (size_t i = 0; i < n; i++) ord[m * n + i] = v[i].i;
        m++;
    }
    free(v);
    return 0;
}

/* The score of cv_rebalance_score with row i counted w[i] times (w NULL =
 * once), over the ranking ord of rank_rare. Walking each rare class's rows
 * by decreasing probability, at the end of each group of equal scores:
 *   tp = sum w_i [y_i = c], fp = sum w_i [y_i != c], R = tp / pos,
 *   Prec = tp / (tp + fp);  AP += (R - R_prev) Prec,
 *   recall-at-precision P = max R over the groups with Prec >= P.
 * Balanced accuracy: mean over classes of sum w [argmax = y] / sum w. */
static double wscore(const cv_rebalance_opts *r, const int32_t *y, const double *P, size_t n, size_t k,
                     const uint8_t *rare, const size_t *ord, const uint8_t *w)
{
    if (r->select_by == CV_SELECT_BALANCED_ACCURACY) {
        double *hit = la_calloc(2 * k, sizeof *hit), sum = 0.0;
        if (!hit) return NAN;
        for (size_t i = 0; i < n; i++) {
            size_t a = 0;
            for (size_t j = 1; j < k; j++) if (P[i * k + j] > P[i * k + a]) a = j;
            double wi = w ? w[i] : 1.0;
            hit[k + (size_t)y[i]] += wi;
            if (a == (size_t)y[i]) hit[y[i]] += wi;
        }
        size_t m = 0;
        for (size_t c = 0; c < k; c++) if (hit[k + c] > 0) { sum += hit[c] / hit[k + c]; m++; }
        free(hit);
        return m ? sum / (double)m : NAN;
    }
    double sum = 0.0;
    size_t m = 0;
    for (size_t c = 0; c < k; c++) {
        if (!rare[c]) continue;
        const size_t *o = ord + m * n;
        double pos = 0.0, tp = 0.0, fp = 0.0, ap = 0.0, r_prev = 0.0, best = 0.0;
        for (size_t i = 0; i < n; i++) if (y[i] == (int32_t)c) pos += w ? w[i] : 1.0;
        for (size_t j = 0; pos > 0 && j < n; j++) {
            size_t i = o[j];
            double wi = w ? w[i] : 1.0;
            if (y[i] == (int32_t)c) tp += wi; else fp += wi;
            if (j + 1 < n && P[o[j + 1] * k + c] == P[i * k + c]) continue;   /* same threshold */
            if (tp + fp <= 0) continue;
            double rec = tp / pos, prec = tp / (tp + fp);
            ap += (rec - r_prev) * prec;
            r_prev = rec;
            if (prec >= r->precision && rec > best) best = rec;
        }
        sum += r->select_by == CV_SELECT_PR_AUC ? ap : best;
        m++;
    }
    return m ? sum / (double)m : NAN;
}

double cv_rebalance_score_weighted(const cv_rebalance_opts *r, const int32_t *y, const double *P, size_t n,
                                   size_t k, const uint8_t *rare, const uint8_t *w)
{
    size_t m = 0;
    for (size_t c = 0; c < k; c++) m += rare[c] != 0;
    size_t *ord = la_malloc_array(m * n > 0 ? m * n : 1, sizeof *ord);
    if (!ord || rank_rare(P, n, k, rare, ord)) { free(ord); return NAN; }
    double s = wscore(r, y, P, n, k, rare, ord, w);
    free(ord);
    return s;
}

/* One candidate's pooled inner out-of-fold probabilities P of one repeat
 * (of R): its score into *score, and each bootstrap replicate's score / R
 * added to acc[0..B-1] (ord is scratch, n per rare class). */
static int pooled_boot(const cv_rebalance_opts *r, const int32_t *y, const double *P, size_t n, size_t k,
                       const uint8_t *rare, const uint8_t *W, int B, int R, size_t *ord, double *acc,
                       double *score)
{
    if (r->select_by != CV_SELECT_BALANCED_ACCURACY && rank_rare(P, n, k, rare, ord)) return -1;
    *score = cv_rebalance_score(r, y, P, n, k, rare);
    for (int b = 0; b < B; b++) acc[b] += wscore(r, y, P, n, k, rare, ord, W + (size_t)b * n) / R;
    return 0;
}

/* The sample standard deviation over the B replicates of a - p. */
static double boot_se(const double *a, const double *p, int B)
{
    double s = 0.0, s2 = 0.0;
    int m = 0;
    for (int b = 0; b < B; b++)
        if (isfinite(a[b]) && isfinite(p[b])) { double d = a[b] - p[b]; s += d; s2 += d * d; m++; }
    return m > 1 ? sqrt(fmax(s2 - s * s / m, 0.0) / (m - 1)) : INFINITY;
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
    uint8_t *rare = la_malloc_array(k, 1), *W = NULL;
    double *acc = NULL, *Pm = NULL;
    size_t *ord = NULL;
    int rc = 0;
    if (!fold || !ya || !yb || !Xa || !Xb || (sw && !swa) || !idx || !P || !Pb || !rare) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    int R = r->repeats < 1 ? 1 : r->repeats > CV_REB_MAX_REPEATS ? CV_REB_MAX_REPEATS : r->repeats;
    int F = r->inner_folds, B = CV_REB_BOOT;
    size_t nrare = cv_rebalance_rare(y, n, k, rare);
    /* acc[c * B + b]: candidate c's (strategy s, or blend CV_REB_N + s)
     * replicate-b score, averaged over the repeats */
    /* the PR-AUC beside any other score: recall-guarded's guard, and for the
     * others what cv_rebalance_loses_pr_auc reports */
    int with_pr = r->select_by != CV_SELECT_PR_AUC;
    out->select_by = r->select_by;
    cv_rebalance_opts rg = *r;
    rg.select_by = CV_SELECT_PR_AUC;
    double gsc[2 * CV_REB_N];      /* the guard's (PR-AUC) pooled scores, mean over repeats */
    for (int c = 0; c < 2 * CV_REB_N; c++) gsc[c] = 0.0;
    acc = la_calloc((size_t)(with_pr ? 4 : 2) * CV_REB_N * B, sizeof *acc);
    double *gacc = acc + (size_t)2 * CV_REB_N * B;   /* the PR-AUC replicates (when with_pr) */
    W = la_malloc_array((size_t)B * (n ? n : 1), 1);
    ord = la_malloc_array(nrare * n > 0 ? nrare * n : 1, sizeof *ord);
    Pm = la_malloc_array(n * k > 0 ? n * k : 1, sizeof *Pm);
    if (!acc || !W || !ord || !Pm || boot_counts(y, n, k, o->seed ^ CV_REB_SEED, B, W)) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (int s = 0; s < CV_REB_N; s++) {
        out->gain[s] = out->gain_se[s] = out->blend_gain[s] = out->blend_gain_se[s] = NAN;
        out->blend_score[s] = NAN;
        out->guard_gain[s] = out->guard_gain_se[s] = out->blend_guard_gain[s] = out->blend_guard_gain_se[s] = NAN;
    }
    for (int rep = 0; rep < R; rep++) {
        /* repeat 0 keeps the single split's seed; the others step by the golden ratio */
        uint64_t seed = (o->seed ^ CV_REB_SEED) + (uint64_t)rep * 0x9E3779B97F4A7C15ull;
        if ((rc = cv_folds_stratified(y, n, k, F, seed, fold, NULL, err))) goto done;
        for (int s = 0; s < CV_REB_N; s++) {
            if (!cv_rebalance_applies(s, o->model)) continue;
            double *Ps = P + (size_t)s * n * k, sc;
            /* rows of a fold without an inner model keep 1/k */
            for (size_t j = 0; j < n * k; j++) Ps[j] = 1.0 / (double)k;
            base.seed = o->seed + (uint64_t)rep * (uint64_t)F;
            if ((rc = inner_cv(&base, s, r, X, n, d, y, sw, k, fold, Xa, ya, swa, Xb, yb, idx, Pb, Ps, err)))
                goto done;
            if (pooled_boot(r, y, Ps, n, k, rare, W, B, R, ord, acc + (size_t)s * B, &sc)) goto oom;
            if (with_pr) {
                double g;
                if (pooled_boot(&rg, y, Ps, n, k, rare, W, B, R, ord, gacc + (size_t)s * B, &g)) goto oom;
                gsc[s] += g / R;
            }
            out->score[s] = (rep ? out->score[s] * rep + sc : sc) / (rep + 1);
            out->tried[s] = 1;
            if (s == CV_REB_PLAIN) continue;
            /* the blend p = (p_plain + p_s) / 2 */
            for (size_t j = 0; j < n * k; j++) Pm[j] = 0.5 * (P[j] + Ps[j]);
            if (pooled_boot(r, y, Pm, n, k, rare, W, B, R, ord, acc + (size_t)(CV_REB_N + s) * B, &sc)) goto oom;
            if (with_pr) {
                double g;
                if (pooled_boot(&rg, y, Pm, n, k, rare, W, B, R, ord, gacc + (size_t)(CV_REB_N + s) * B, &g))
                    goto oom;
                gsc[CV_REB_N + s] += g / R;
            }
            out->blend_score[s] = (rep ? out->blend_score[s] * rep + sc : sc) / (rep + 1);
        }
    }
    /* the pooled gain over plain (mean over repeats) and its bootstrap error */
    out->chosen = CV_REB_PLAIN;
    for (int s = CV_REB_PLAIN + 1; s < CV_REB_N; s++) {
        if (!out->tried[s]) continue;
        out->gain[s] = out->score[s] - out->score[CV_REB_PLAIN];
        out->blend_gain[s] = out->blend_score[s] - out->score[CV_REB_PLAIN];
        out->gain_se[s] = boot_se(acc + (size_t)s * B, acc, B);
        out->blend_gain_se[s] = boot_se(acc + (size_t)(CV_REB_N + s) * B, acc, B);
        if (!with_pr) continue;
        out->guard_gain[s] = gsc[s] - gsc[CV_REB_PLAIN];
        out->blend_guard_gain[s] = gsc[CV_REB_N + s] - gsc[CV_REB_PLAIN];
        out->guard_gain_se[s] = boot_se(gacc + (size_t)s * B, gacc, B);
        out->blend_guard_gain_se[s] = boot_se(gacc + (size_t)(CV_REB_N + s) * B, gacc, B);
    }
    /* plain unless a candidate's gain clears the margin and its error (and,
     * recall-guarded, its PR-AUC gain is >= -its error) */
    double best = -INFINITY;
    for (int b = 0; b < 2; b++)
        for (int s = CV_REB_PLAIN + 1; s < CV_REB_N; s++) {
            if (!out->tried[s]) continue;
            double g = b ? out->blend_gain[s] : out->gain[s], se = b ? out->blend_gain_se[s] : out->gain_se[s];
            double sc = b ? out->blend_score[s] : out->score[s];
            if (!(g > CV_REB_MARGIN && g > se) || !(sc > best)) continue;
            if (r->select_by == CV_SELECT_RECALL_GUARDED && !(b ? out->blend_guard_gain[s] >= -out->blend_guard_gain_se[s]
                               : out->guard_gain[s] >= -out->guard_gain_se[s]))
                continue;
            best = sc; out->chosen = s; out->blend = b;
        }
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    free(fold); free(ya); free(yb); free(Xa); free(Xb); free(swa); free(idx); free(P); free(Pb); free(rare);
    free(W); free(acc); free(Pm); free(ord);
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

int cv_rebalance_loses_pr_auc(const cv_rebalance_choice *ch, double *gain, double *se)
{
    int s = ch->chosen, plain = s == CV_REB_PLAIN && !ch->blend;
    double g = 0.0, e = 0.0;
    if (!plain && s > CV_REB_PLAIN && s < CV_REB_N) {
        int pr = ch->select_by == CV_SELECT_PR_AUC;   /* the score is the PR-AUC */
        g = ch->blend ? (pr ? ch->blend_gain[s] : ch->blend_guard_gain[s]) : (pr ? ch->gain[s] : ch->guard_gain[s]);
        e = ch->blend ? (pr ? ch->blend_gain_se[s] : ch->blend_guard_gain_se[s])
                      : (pr ? ch->gain_se[s] : ch->guard_gain_se[s]);
    }
    if (gain) *gain = g;
    if (se) *se = e;
    return !plain && g < 0.0;   /* NAN compares false: not shown to lose */
}

/* A number, or null when not finite. */
static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

void cv_rebalance_opts_json(json_t *j, const cv_rebalance_opts *r)
{
    json_object_set_new(j, "mode", json_string("auto"));
    json_object_set_new(j, "select_by", json_string(cv_select_name(r->select_by)));
    if (r->select_by == CV_SELECT_RECALL_AT_PRECISION || r->select_by == CV_SELECT_RECALL_GUARDED)
        json_object_set_new(j, "precision", json_real(r->precision));
    json_object_set_new(j, "inner_folds", json_integer(r->inner_folds));
    json_object_set_new(j, "repeats", json_integer(r->repeats < 1 ? 1 : r->repeats));
}

json_t *cv_rebalance_choice_json(const cv_rebalance_choice *ch)
{
    json_t *o = json_object(), *sc = json_object(), *g = json_object(), *se = json_object();
    json_t *gg = NULL, *gse = NULL;
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
        if (!isfinite(ch->guard_gain[s])) continue;
        if (!gg) { gg = json_object(); gse = json_object(); }
        json_object_set_new(gg, cv_rebalance_name(s), num(ch->guard_gain[s]));
        json_object_set_new(gse, cv_rebalance_name(s), num(ch->guard_gain_se[s]));
        json_object_set_new(gg, nm, num(ch->blend_guard_gain[s]));
        json_object_set_new(gse, nm, num(ch->blend_guard_gain_se[s]));
    }
    if (gg) { json_object_set_new(o, "pr_auc_gain", gg); json_object_set_new(o, "pr_auc_gain_se", gse); }
    json_object_set_new(o, "chosen", json_string(cv_rebalance_choice_name(ch, nm, sizeof nm)));
    json_object_set_new(o, "scores", sc);
    json_object_set_new(o, "gain_over_plain", g);
    json_object_set_new(o, "gain_se", se);
    if (cv_rebalance_below_plain(ch)) json_object_set_new(o, "below_plain", json_true());
    double pg, pse;
    if (cv_rebalance_loses_pr_auc(ch, &pg, &pse)) {
        json_object_set_new(o, "loses_pr_auc", json_true());
        json_object_set_new(o, "chosen_pr_auc_gain", num(pg));
        json_object_set_new(o, "chosen_pr_auc_gain_se", num(pse));
    }
    return o;
}
