/*
 * consensus.c — CROWDLAB consensus, per-label and per-annotator quality and
 * ActiveLab scores, as cleanlab 2.9.0's multiannotator module computes them
 * (see consensus.h). Exactness first: means and sums that can decide a
 * discrete output follow numpy's pairwise order (cl_sum), comparisons are the
 * exact float equalities cleanlab uses, and cleanlab's quirks are kept (the
 * `agreement` method's class counts land on the first classes, as
 * internal.util.value_counts does for float labels). Not here: Dawid-Skene
 * (cs_dawid_skene.c), files.
 */
#include "consensus.h"
#include "cl.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CS_CLIP_LOWER     1e-6   /* CLIPPING_LOWER_BOUND                        */
#define CS_SMALL_CONST    1e-30  /* multiannotator_utils.SMALL_CONST            */
#define CS_EPSILON        1e-6   /* numerics.softmax: temperature floor         */
#define CS_BIG_THRESHOLD  2.0    /* get_confident_thresholds: absent class      */
#define CS_FINE_STEPS     4      /* find_best_temp_scaler fine_search_size      */

static const double cs_coarse_temps[] = {0.1, 0.2, 0.5, 0.8, 1, 2, 3, 5, 8};
#define CS_N_COARSE (sizeof cs_coarse_temps / sizeof *cs_coarse_temps)

void cs_opts_init(cs_opts *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
    o->consensus = CS_BEST_QUALITY;
    o->quality = CS_QUALITY_CROWDLAB;
    o->score = CS_SELF_CONFIDENCE;
    o->ds_max_iter = 100;
    o->ds_tol = 1e-8;
    o->ds_smoothing = 0.01;
}

/* The inputs every step reads. */
typedef struct cs_in {
    const int32_t *L;            /* n x m, CS_MISSING where unlabelled         */
    size_t         n, m, k;
    const int32_t *num;          /* n: labels per example                      */
} cs_in;

/* The outputs of _get_consensus_stats for one consensus. */
typedef struct cs_stats {
    double *agreement;           /* n                                          */
    double *quality;             /* n                                          */
    double *post;                /* n x k posterior probabilities              */
    double  model_weight;        /* NAN unless crowdlab                        */
    double *annotator_weight;    /* m (NAN unless crowdlab)                    */
} cs_stats;

static int cs_stats_alloc(cs_stats *s, size_t n, size_t m, size_t k)
{
    s->agreement = la_malloc_array(n, sizeof(double));
    s->quality = la_malloc_array(n, sizeof(double));
    s->post = la_malloc_array(n * k, sizeof(double));
    s->annotator_weight = la_malloc_array(m, sizeof(double));
    return s->agreement && s->quality && s->post && s->annotator_weight ? 0 : -1;
}

static void cs_stats_free(cs_stats *s)
{
    free(s->agreement);
    free(s->quality);
    free(s->post);
    free(s->annotator_weight);
    memset(s, 0, sizeof *s);
}

/* np.mean over the entries of v that are not NaN (nanmean); NAN when none.
 * tmp: len doubles. */
static double cs_nanmean(const double *v, size_t len, double *tmp)
{
    size_t c = 0;
    for (size_t i = 0; i < len; i++)
        if (!isnan(v[i])) tmp[c++] = v[i];
    return c ? cl_sum(tmp, c) / (double)c : NAN;
}

/* ---- validation ------------------------------------------------------------ */

int cs_validate(const int32_t *labels, size_t n, size_t m, size_t k, la_error *err)
{
    assert(labels && err);
    if (m < 2)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu annotator%s: consensus needs at least two "
                            "(with one, audit the labels instead)", m, m == 1 ? "" : "s");
    size_t multi = 0;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < m; j++) {
            int32_t y = labels[i * m + j];
            if (y == CS_MISSING) continue;
            if (y < 0 || (size_t)y >= k)
                return la_error_set(err, LA_EUSAGE, NULL, 0, "example %zu, annotator %zu: label %d is not a "
                                    "class 0..%zu", i, j, (int)y, k - 1);
            c++;
        }
        if (!c) return la_error_set(err, LA_EUSAGE, NULL, 0, "example %zu: no annotator labelled it", i);
        multi += c > 1;
    }
    for (size_t j = 0; j < m; j++) {
        size_t c = 0;
        for (size_t i = 0; i < n && !c; i++) c += labels[i * m + j] != CS_MISSING;
        if (!c) return la_error_set(err, LA_EUSAGE, NULL, 0, "annotator %zu labelled no example", j);
    }
    if (!multi)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "every example has a single label: nothing to reach a "
                            "consensus on (audit the labels instead)");
    return 0;
}

/* ---- label quality scores (rank.get_label_quality_scores) ------------------- */

/* Scores of labels y[r] (r over the rows of `rows`, or all n when rows is
 * NULL) against P, by o's method, with P adjusted by the class thresholds of
 * these labels when o->adjust. out[r]: one score per used row, in order.
 * tmp: k + len + k doubles. */
static void cs_label_scores(const int32_t *y, const size_t *rows, size_t len, const double *P, size_t k,
                            cs_score method, int adjust, double *out, double *tmp)
{
    double *thr = tmp, *gather = tmp + k, *row = gather + len;
    double tmax = 0;
    if (adjust) {
        /* t_c = mean_{r: y_r = c} P[r][c], 2 when c is absent, floored at 2e-6 */
        for (size_t c = 0; c < k; c++) {
            size_t g = 0;
            for (size_t r = 0; r < len; r++)
                if ((size_t)y[r] == c) gather[g++] = P[(rows ? rows[r] : r) * k + c];
            double t = g ? cl_sum(gather, g) / (double)g : CS_BIG_THRESHOLD;
            thr[c] = t < CL_THRESHOLD_MIN ? CL_THRESHOLD_MIN : t;
            if (c == 0 || thr[c] > tmax) tmax = thr[c];
        }
    }
    double log_k = log((double)k);
    for (size_t r = 0; r < len; r++) {
        const double *p = P + (rows ? rows[r] : r) * k;
        if (adjust) {
            cl_adjust_row(p, thr, tmax, k, row);
            p = row;
        }
        size_t c = (size_t)y[r];
        if (method == CS_NORMALIZED_MARGIN) out[r] = cl_normalized_margin(p, k, c);
        else if (method == CS_CW_ENTROPY) out[r] = cl_cw_entropy(p, k, c, log_k, gather);
        else out[r] = p[c];
    }
}

/* ---- majority vote ----------------------------------------------------------- */

/* Annotator agreement with the untied majority (tiebreak 3): mean over the
 * examples with a single mode that annotator j labelled; annotators with
 * none get the mean of the others. agr: m. */
static void cs_untied_agreement(const int32_t *L, size_t n, size_t m, const int32_t *label, const uint8_t *tied,
                                double *agr, double *tmp)
{
    for (size_t j = 0; j < m; j++) {
        size_t c = 0, same = 0;
        for (size_t i = 0; i < n; i++) {
            if (tied[i] || L[i * m + j] == CS_MISSING) continue;
            c++;
            same += L[i * m + j] == label[i];
        }
        agr[j] = c ? (double)same / (double)c : NAN;
    }
    double avg = cs_nanmean(agr, m, tmp);
    for (size_t j = 0; j < m; j++)
        if (isnan(agr[j])) agr[j] = avg;
}

/* Keeps the candidates cand[0..*nc) whose score is the maximum (want_max)
 * or the minimum; returns the new count. */
static size_t cs_keep_extreme(size_t *cand, size_t nc, const double *score, int want_max)
{
    double best = score[0];
    for (size_t t = 1; t < nc; t++)
        if (want_max ? score[t] > best : score[t] < best) best = score[t];
    size_t w = 0;
    for (size_t t = 0; t < nc; t++)
        if (score[t] == best) cand[w++] = cand[t];
    return w;
}

int cs_majority_vote(const int32_t *L, size_t n, size_t m, const double *P, size_t k, int32_t *label,
                     size_t *n_random, la_error *err)
{
    assert(L && P && label && k > 0);
    double *count = la_calloc(n * k, sizeof *count), *freq = la_calloc(k, sizeof *freq);
    double *agr = la_malloc_array(m, sizeof *agr), *tmp = la_malloc_array(m + k, sizeof *tmp);
    size_t *cand = la_malloc_array(k, sizeof *cand);
    uint8_t *tied = la_calloc(n, 1);
    int rc = 0;
    if (!count || !freq || !agr || !tmp || !cand || !tied) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < m; j++)
            if (L[i * m + j] != CS_MISSING) count[i * k + (size_t)L[i * m + j]] += 1;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) freq[c] += count[i * k + c];
    /* the modes; a single one is the label */
    for (size_t i = 0; i < n; i++) {
        const double *ci = count + i * k;
        size_t nc = 0;
        for (size_t c = 0; c < k; c++) cand[c] = c;
        nc = cs_keep_extreme(cand, k, ci, 1);
        label[i] = (int32_t)cand[0];
        tied[i] = nc > 1;
    }
    int agr_ready = 0;
    size_t random = 0;
    for (size_t i = 0; i < n; i++) {
        if (!tied[i]) continue;
        size_t nc = 0;
        for (size_t c = 0; c < k; c++) cand[c] = c;
        nc = cs_keep_extreme(cand, k, count + i * k, 1);
        /* tiebreak 1: the model's highest probability among the modes */
        for (size_t t = 0; t < nc; t++) tmp[t] = P[i * k + cand[t]];
        nc = cs_keep_extreme(cand, nc, tmp, 1);
        /* tiebreak 2: the class annotators chose least often overall */
        if (nc > 1) {
            for (size_t t = 0; t < nc; t++) tmp[t] = freq[cand[t]];
            nc = cs_keep_extreme(cand, nc, tmp, 0);
        }
        /* tiebreak 3: mean agreement of the annotators who chose the class */
        if (nc > 1) {
            if (!agr_ready) cs_untied_agreement(L, n, m, label, tied, agr, tmp), agr_ready = 1;
            double *score = tmp + m;
            for (size_t t = 0; t < nc; t++) {
                size_t c = 0;
                for (size_t j = 0; j < m; j++)
                    if (L[i * m + j] == (int32_t)cand[t]) tmp[c++] = agr[j];
                score[t] = c ? cl_sum(tmp, c) / (double)c : NAN;
            }
            size_t w = cs_keep_extreme(cand, nc, score, 1);
            nc = w ? w : nc;
        }
        random += nc > 1;            /* cleanlab: np.random.choice; here the lowest */
        label[i] = (int32_t)cand[0];
    }
    if (n_random) *n_random = random;
done:
    free(count);
    free(freq);
    free(agr);
    free(tmp);
    free(cand);
    free(tied);
    return rc;
}

/* ---- consensus statistics (_get_consensus_stats) ------------------------------ */

/* agr_i = #{j: L_ij = c_i} / num_i (_get_annotator_agreement_with_consensus). */
static void cs_agreement(const cs_in *in, const int32_t *c, double *agr)
{
    for (size_t i = 0; i < in->n; i++) {
        double same = 0;
        for (size_t j = 0; j < in->m; j++) same += in->L[i * in->m + j] == c[i];
        agr[i] = same / (double)in->num[i];
    }
}

/* _get_annotator_agreement_with_annotators: for annotator a, the average
 * over the examples a labelled of (#others agreeing with a) / (num - 1),
 * weighted by num - 1; annotators sharing no example with anyone get the
 * mean of the others. out: m; tmp: 2n doubles. */
static void cs_agreement_with_annotators(const cs_in *in, double *out, double *tmp)
{
    size_t n = in->n, m = in->m;
    double *aw = tmp, *w = tmp + n;
    for (size_t a = 0; a < m; a++) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            int32_t ya = in->L[i * m + a];
            if (ya == CS_MISSING) continue;
            double per = 0, adj = (double)(in->num[i] - 1);
            if (in->num[i] > 1) {
                double same = 0;
                for (size_t j = 0; j < m; j++) same += in->L[i * m + j] == ya;
                per = (same - 1) / adj;
            }
            aw[len] = per * adj;
            w[len++] = adj;
        }
        double sw = cl_sum(w, len);
        out[a] = sw == 0 ? NAN : cl_sum(aw, len) / sw;
    }
    double avg = cs_nanmean(out, m, tmp);
    for (size_t a = 0; a < m; a++)
        if (isnan(out[a])) out[a] = avg;
}

/* Mean of v over the examples with more than one label. tmp: n doubles. */
static double cs_multi_mean(const cs_in *in, const double *v, double *tmp)
{
    size_t c = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->num[i] != 1) tmp[c++] = v[i];
    return c ? cl_sum(tmp, c) / (double)c : NAN;
}

/* CROWDLAB's posterior (_get_post_pred_probs_and_weights, crowdlab):
 *   post_ic = (w_model P_ic + SUM_{j labelled i} w_j (L_ij = c ? a : (1 - a)/(K - 1)))
 *             / (w_model + SUM_{j labelled i} w_j)
 * with a the mean agreement on multiply-labelled examples, w_j the
 * annotator's agreement with the others relative to the most-likely-class
 * error, w_model the model's accuracy likewise times sqrt(mean num). */
static int cs_post_crowdlab(const cs_in *in, const double *P, const int32_t *c, cs_stats *s)
{
    size_t n = in->n, m = in->m, k = in->k;
    double *tmp = la_malloc_array(2 * n + k, sizeof *tmp);
    if (!tmp) return -1;
    double like = cs_multi_mean(in, s->agreement, tmp);
    double unlike = (1 - like) / (double)(k - 1);
    /* most likely class error on multiply-labelled examples, floored */
    double *bin = tmp + 2 * n;
    memset(bin, 0, k * sizeof *bin);
    size_t n_multi = 0, model_wrong = 0;
    for (size_t i = 0; i < n; i++)
        if (in->num[i] != 1) bin[c[i]] += 1, n_multi++;
    size_t top = cl_argmax(bin, k), off_top = 0;
    for (size_t i = 0; i < n; i++) {
        if (in->num[i] == 1) continue;
        off_top += (size_t)c[i] != top;
        model_wrong += cl_argmax(P + i * k, k) != (size_t)c[i];
    }
    double mlce = (double)off_top / (double)n_multi;
    if (!(mlce >= CS_CLIP_LOWER)) mlce = CS_CLIP_LOWER;
    double *w = s->annotator_weight;
    cs_agreement_with_annotators(in, w, tmp);
    for (size_t j = 0; j < m; j++) {
        w[j] = 1 - (1 - w[j]) / mlce;
        if (!(w[j] >= CS_CLIP_LOWER)) w[j] = CS_CLIP_LOWER;
    }
    double num_sum = 0;
    for (size_t i = 0; i < n; i++) num_sum += in->num[i];
    double mw = 1 - ((double)model_wrong / (double)n_multi) / mlce;
    mw = (mw > CS_CLIP_LOWER ? mw : CS_CLIP_LOWER) * sqrt(num_sum / (double)n);
    s->model_weight = mw;
    for (size_t i = 0; i < n; i++) {
        const int32_t *li = in->L + i * m;
        double total = 0;
        for (size_t j = 0; j < m; j++)
            if (li[j] != CS_MISSING) total += w[j];
        total += mw;
        double *pi = s->post + i * k;
        for (size_t cc = 0; cc < k; cc++) {
            double v = P[i * k + cc] * mw;
            for (size_t j = 0; j < m; j++)
                if (li[j] != CS_MISSING) v += li[j] == (int32_t)cc ? w[j] * like : w[j] * unlike;
            pi[cc] = v / total;
        }
    }
    free(tmp);
    return 0;
}

/* The `agreement` posterior: each example's label counts over its number of
 * labels, the counts of the classes present placed on classes 0, 1, ... in
 * class order unless all k classes are present (cleanlab's value_counts on
 * float labels). row: out k; cnt: k scratch. */
static void cs_value_counts_row(const int32_t *li, size_t m, size_t k, double *row, double *cnt)
{
    memset(cnt, 0, k * sizeof *cnt);
    for (size_t j = 0; j < m; j++)
        if (li[j] != CS_MISSING) cnt[li[j]] += 1;
    size_t present = 0;
    for (size_t c = 0; c < k; c++) present += cnt[c] > 0;
    memset(row, 0, k * sizeof *row);
    if (present == k) {
        memcpy(row, cnt, k * sizeof *row);
        return;
    }
    size_t w = 0;
    for (size_t c = 0; c < k; c++)
        if (cnt[c] > 0) row[w++] = cnt[c];
}

static int cs_post_agreement(const cs_in *in, cs_stats *s)
{
    size_t k = in->k;
    double *cnt = la_malloc_array(k, sizeof *cnt);
    if (!cnt) return -1;
    for (size_t i = 0; i < in->n; i++) {
        double *pi = s->post + i * k;
        cs_value_counts_row(in->L + i * in->m, in->m, k, pi, cnt);
        for (size_t c = 0; c < k; c++) pi[c] /= (double)in->num[i];
    }
    s->model_weight = NAN;
    for (size_t j = 0; j < in->m; j++) s->annotator_weight[j] = NAN;
    free(cnt);
    return 0;
}

/* _get_consensus_stats for consensus c: agreement, posterior, weights and
 * the consensus quality score. 0 or -1 (out of memory). */
static int cs_consensus_stats(const cs_in *in, const double *P, const int32_t *c, cs_quality q,
                              cs_score method, int adjust, cs_stats *s)
{
    cs_agreement(in, c, s->agreement);
    if (q == CS_QUALITY_AGREEMENT) {
        if (cs_post_agreement(in, s)) return -1;
        memcpy(s->quality, s->agreement, in->n * sizeof *s->quality);
        return 0;
    }
    if (cs_post_crowdlab(in, P, c, s)) return -1;
    double *tmp = la_malloc_array(2 * in->k + in->n, sizeof *tmp);
    if (!tmp) return -1;
    cs_label_scores(c, NULL, in->n, s->post, in->k, method, adjust, s->quality, tmp);
    free(tmp);
    return 0;
}

/* best_quality: the posterior's unique argmax, else the majority vote. */
static void cs_best_quality_label(const cs_in *in, const double *post, const int32_t *mv, int32_t *out)
{
    for (size_t i = 0; i < in->n; i++) {
        const double *p = post + i * in->k;
        size_t best = cl_argmax(p, in->k), ties = 0;
        for (size_t c = 0; c < in->k; c++) ties += p[c] == p[best];
        out[i] = ties == 1 ? (int32_t)best : mv[i];
    }
}

/* ---- each label's quality and the annotators' ----------------------------------- */

/* detailed_label_quality: column j scores annotator j's labels against post
 * (its own thresholds when adjusting). out: n x m, NAN where missing. */
static int cs_detailed(const cs_in *in, const double *post, cs_score method, int adjust, double *out)
{
    size_t n = in->n, m = in->m, k = in->k;
    size_t *rows = la_malloc_array(n, sizeof *rows);
    int32_t *y = la_malloc_array(n, sizeof *y);
    double *sc = la_malloc_array(n, sizeof *sc), *tmp = la_malloc_array(2 * k + n, sizeof *tmp);
    int rc = rows && y && sc && tmp ? 0 : -1;
    for (size_t j = 0; j < m && !rc; j++) {
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            out[i * m + j] = NAN;
            if (in->L[i * m + j] != CS_MISSING) rows[len] = i, y[len++] = in->L[i * m + j];
        }
        cs_label_scores(y, rows, len, post, k, method, adjust, sc, tmp);
        for (size_t r = 0; r < len; r++) out[rows[r] * m + j] = sc[r];
    }
    free(rows);
    free(y);
    free(sc);
    free(tmp);
    return rc;
}

/* _get_single_annotator_worst_class: the class of annotator j's labels that
 * agrees least with the consensus; ties to the class j gave most often, then
 * to the highest mean consensus quality, then the lowest class. tmp: 4k
 * doubles, cand: k. */
static int32_t cs_worst_class(const cs_in *in, size_t j, const int32_t *c, const double *cq, double *tmp,
                              size_t *cand)
{
    size_t k = in->k, m = in->m;
    double *acc = tmp, *cnt = tmp + k, *qsum = tmp + 2 * k, *score = tmp + 3 * k;
    memset(tmp, 0, 3 * k * sizeof *tmp);
    for (size_t i = 0; i < in->n; i++) {
        int32_t y = in->L[i * m + j];
        if (y == CS_MISSING) continue;
        cnt[y] += 1;
        acc[y] += y == c[i];
        qsum[y] += cq[i];
    }
    size_t nc = 0;
    for (size_t cc = 0; cc < k; cc++)
        if (cnt[cc] > 0) cand[nc] = cc, score[nc++] = acc[cc] / cnt[cc];
    nc = cs_keep_extreme(cand, nc, score, 0);
    if (nc > 1) {
        for (size_t t = 0; t < nc; t++) score[t] = cnt[cand[t]];
        nc = cs_keep_extreme(cand, nc, score, 1);
    }
    if (nc > 1) {
        for (size_t t = 0; t < nc; t++) score[t] = qsum[cand[t]] / cnt[cand[t]];
        nc = cs_keep_extreme(cand, nc, score, 1);
    }
    return (int32_t)cand[0];
}

/* Agreement of annotator j with the consensus over the examples it labelled
 * (multi_only: only those with more than one label); NAN when none. */
static double cs_annotator_agreement(const cs_in *in, size_t j, const int32_t *c, int multi_only)
{
    size_t cnt = 0, same = 0;
    for (size_t i = 0; i < in->n; i++) {
        int32_t y = in->L[i * in->m + j];
        if (y == CS_MISSING || (multi_only && in->num[i] == 1)) continue;
        cnt++;
        same += y == c[i];
    }
    return cnt ? (double)same / (double)cnt : NAN;
}

/* a before b in annotator_stats: by quality then agreement, NaN last. */
static int cs_stats_before(const cs_result *r, size_t a, size_t b)
{
    const double *keys[2] = {r->annotator_quality, r->agreement_with_consensus};
    for (int t = 0; t < 2; t++) {
        double x = keys[t][a], y = keys[t][b];
        if (isnan(x) && isnan(y)) continue;
        if (isnan(x) != isnan(y)) return isnan(y);
        if (x != y) return x < y;
    }
    return 0;
}

/* _get_annotator_stats; detailed must be filled. 0 or -1. */
static int cs_annotator_stats(const cs_in *in, const cs_stats *s, cs_quality q, cs_result *r)
{
    size_t n = in->n, m = in->m, k = in->k;
    double *tmp = la_malloc_array(n + 4 * k, sizeof *tmp), *col = la_malloc_array(n, sizeof *col);
    size_t *cand = la_malloc_array(k, sizeof *cand);
    if (!tmp || !col || !cand) return free(tmp), free(col), free(cand), -1;
    double wsum = 0, num_sum = 0;
    for (size_t i = 0; i < n; i++) num_sum += in->num[i];
    if (q == CS_QUALITY_CROWDLAB) wsum = cl_sum(s->annotator_weight, m);
    double frac = num_sum / (double)n / (double)m;
    double w = s->model_weight / (s->model_weight + wsum * frac);
    for (size_t j = 0; j < m; j++) {
        size_t cnt = 0;
        for (size_t i = 0; i < n; i++) {
            col[i] = r->detailed[i * m + j];
            cnt += in->L[i * m + j] != CS_MISSING;
        }
        r->num_labeled[j] = (int32_t)cnt;
        double agree_multi = cs_annotator_agreement(in, j, r->consensus_label, 1);
        if (q == CS_QUALITY_CROWDLAB) {
            /* np.nanmean(detailed_label_quality, axis=0): a reduction down a
             * column of a C-order array, so numpy adds row after row */
            double lqs = 0;
            for (size_t i = 0; i < n; i++)
                if (!isnan(col[i])) lqs += col[i];
            lqs /= (double)cnt;
            r->annotator_quality[j] = w * lqs + (1 - w) * agree_multi;
        } else {
            r->annotator_quality[j] = agree_multi;
        }
        r->agreement_with_consensus[j] = cs_annotator_agreement(in, j, r->consensus_label, 0);
        r->worst_class[j] = cs_worst_class(in, j, r->consensus_label, r->consensus_quality, tmp, cand);
    }
    /* stable insertion sort: m is small */
    for (size_t j = 0; j < m; j++) r->order[j] = j;
    for (size_t j = 1; j < m; j++) {
        size_t v = r->order[j], t = j;
        for (; t > 0 && cs_stats_before(r, v, r->order[t - 1]); t--) r->order[t] = r->order[t - 1];
        r->order[t] = v;
    }
    free(tmp);
    free(col);
    free(cand);
    return 0;
}

/* ---- temperature scaling (find_best_temp_scaler, temp_scale_pred_probs) ------------ */

/* Row-wise softmax of x / max(t, 1e-6) without shifting (numerics.softmax). */
static void cs_softmax_rows(const double *x, size_t n, size_t k, double t, double *out)
{
    double div = t > CS_EPSILON ? t : CS_EPSILON;
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * k;
        for (size_t c = 0; c < k; c++) o[c] = exp(x[i * k + c] / div);
        double s = cl_sum(o, k);
        for (size_t c = 0; c < k; c++) o[c] /= s;
    }
}

/* Mean over examples of the soft cross-entropy between the annotators'
 * label distribution (value_counts as cleanlab: see cs_value_counts_row) and
 * clip(q, 1e-30), over log(K). tmp: n + 3k. */
static double cs_soft_cross_entropy(const cs_in *in, const double *q, double *tmp)
{
    size_t k = in->k;
    double *ce = tmp, *emp = tmp + in->n, *cnt = emp + k, *term = cnt + k;
    double log_k = log((double)k);
    for (size_t i = 0; i < in->n; i++) {
        cs_value_counts_row(in->L + i * in->m, in->m, k, emp, cnt);
        for (size_t c = 0; c < k; c++) {
            double p = q[i * k + c] > CS_SMALL_CONST ? q[i * k + c] : CS_SMALL_CONST;
            term[c] = emp[c] / (double)in->num[i] * log(p);
        }
        ce[i] = -cl_sum(term, k) / log_k;
    }
    return cl_sum(ce, in->n) / (double)in->n;
}

/* np.linspace(a, b, num, endpoint) appended to out; returns the new length. */
static size_t cs_linspace(double a, double b, size_t num, int endpoint, double *out, size_t len)
{
    double step = (b - a) / (double)(endpoint ? num - 1 : num);
    for (size_t j = 0; j < num; j++) out[len + j] = (double)j * step + a;
    if (endpoint) out[len + num - 1] = b;
    return len + num;
}

/* The temperature of `grid` with the least soft cross-entropy (first of ties). */
static double cs_grid_best(const cs_in *in, const double *logp, const double *grid, size_t ng, double *q,
                           double *tmp, size_t *best_at)
{
    double best = INFINITY;
    size_t at = 0;
    for (size_t g = 0; g < ng; g++) {
        cs_softmax_rows(logp, in->n, in->k, grid[g], q);
        double ce = cs_soft_cross_entropy(in, q, tmp);
        if (ce < best || g == 0) best = ce, at = g;
    }
    if (best_at) *best_at = at;
    return grid[at];
}

static double cs_best_temperature_in(const cs_in *in, const double *P)
{
    size_t n = in->n, k = in->k;
    double *logp = la_malloc_array(n * k, sizeof *logp), *q = la_malloc_array(n * k, sizeof *q);
    double *tmp = la_malloc_array(n + 3 * k, sizeof *tmp);
    double t = -1;
    if (logp && q && tmp) {
        for (size_t e = 0; e < n * k; e++) logp[e] = P[e] > 0 ? log(P[e]) : -INFINITY;
        size_t at = 0;
        cs_grid_best(in, logp, cs_coarse_temps, CS_N_COARSE, q, tmp, &at);
        double fine[2 * CS_FINE_STEPS + 1];
        size_t nf = 0;
        if (at != 0) nf = cs_linspace(cs_coarse_temps[at - 1], cs_coarse_temps[at], CS_FINE_STEPS, 0, fine, nf);
        if (at != CS_N_COARSE - 1)
            nf = cs_linspace(cs_coarse_temps[at], cs_coarse_temps[at + 1], CS_FINE_STEPS + 1, 1, fine, nf);
        t = cs_grid_best(in, logp, fine, nf, q, tmp, NULL);
    }
    free(logp);
    free(q);
    free(tmp);
    return t;
}

/* num: labels per example (n). */
static void cs_count(const int32_t *L, size_t n, size_t m, int32_t *num)
{
    for (size_t i = 0; i < n; i++) {
        num[i] = 0;
        for (size_t j = 0; j < m; j++) num[i] += L[i * m + j] != CS_MISSING;
    }
}

double cs_best_temperature(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k)
{
    assert(labels && pred_probs && n > 0 && k > 1);
    int32_t *num = la_malloc_array(n, sizeof *num);
    if (!num) return -1;
    cs_count(labels, n, m, num);
    cs_in in = {.L = labels, .n = n, .m = m, .k = k, .num = num};
    double t = cs_best_temperature_in(&in, pred_probs);
    free(num);
    return t;
}

void cs_temp_scale(const double *P, size_t n, size_t k, double t, double *out)
{
    assert(P && out && k > 0);
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * k;
        for (size_t c = 0; c < k; c++) o[c] = P[i * k + c] > CS_SMALL_CONST ? P[i * k + c] : CS_SMALL_CONST;
        double s = cl_sum(o, k);
        for (size_t c = 0; c < k; c++) o[c] = log(o[c] / s);
    }
    cs_softmax_rows(out, n, k, t, out);
    for (size_t i = 0; i < n; i++) {
        double *o = out + i * k, s = cl_sum(o, k);
        for (size_t c = 0; c < k; c++) o[c] /= s;
    }
}

/* ---- the whole computation ---------------------------------------------------------- */

/* get_label_quality_multiannotator's consensus for best_quality or
 * majority_vote: label (n) and its statistics in *s (allocated here). */
static int cs_consensus_core(const cs_in *in, const double *P, cs_consensus method, cs_quality q, cs_score score,
                             int adjust, int32_t *label, cs_stats *s, size_t *n_random, la_error *err)
{
    int rc = 0;
    int32_t *mv = la_malloc_array(in->n, sizeof *mv);
    cs_stats mvs = {0};
    if (!mv || cs_stats_alloc(&mvs, in->n, in->m, in->k) || cs_stats_alloc(s, in->n, in->m, in->k)) goto oom;
    if ((rc = cs_majority_vote(in->L, in->n, in->m, P, in->k, mv, n_random, err))) goto done;
    if (cs_consensus_stats(in, P, mv, q, score, adjust, &mvs)) goto oom;
    if (method == CS_MAJORITY_VOTE) {
        memcpy(label, mv, in->n * sizeof *label);
        cs_stats tmp = *s;
        *s = mvs, mvs = tmp;
    } else {
        cs_best_quality_label(in, mvs.post, mv, label);
        if (cs_consensus_stats(in, P, label, q, score, adjust, s)) goto oom;
    }
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    free(mv);
    cs_stats_free(&mvs);
    return rc;
}

/* get_active_learning_scores for the labelled examples (cleanlab's defaults):
 * temperature-scale P, run best_quality / crowdlab on it, then
 *   score_i = (q_i W_i + (1/K) mean_j w_j) / (W_i + mean_j w_j),
 *   W_i = w_model + SUM_{j labelled i} w_j. */
static int cs_active_learning(const cs_in *in, const double *P, double *out, la_error *err)
{
    size_t n = in->n, m = in->m, k = in->k;
    double *Pt = la_malloc_array(n * k, sizeof *Pt), *tmp = la_malloc_array(m, sizeof *tmp);
    int32_t *label = la_malloc_array(n, sizeof *label);
    cs_stats s = {0};
    int rc = 0;
    double t = Pt && tmp && label ? cs_best_temperature_in(in, P) : -1;
    if (t < 0) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    cs_temp_scale(P, n, k, t, Pt);
    if ((rc = cs_consensus_core(in, Pt, CS_BEST_QUALITY, CS_QUALITY_CROWDLAB, CS_SELF_CONFIDENCE, 0, label, &s,
                                NULL, err)))
        goto done;
    double avg_w = cl_sum(s.annotator_weight, m) / (double)m;
    for (size_t i = 0; i < n; i++) {
        size_t c = 0;
        for (size_t j = 0; j < m; j++)
            if (in->L[i * m + j] != CS_MISSING) tmp[c++] = s.annotator_weight[j];
        double w1 = cl_sum(tmp, c) + s.model_weight;
        out[i] = (s.quality[i] * w1 + (1.0 / (double)k) * avg_w) / (w1 + avg_w);
    }
done:
    free(Pt);
    free(tmp);
    free(label);
    cs_stats_free(&s);
    return rc;
}

void cs_result_free(cs_result *r)
{
    if (!r) return;
    free(r->consensus_label);
    free(r->consensus_quality);
    free(r->agreement);
    free(r->num_annotations);
    free(r->detailed);
    free(r->annotator_quality);
    free(r->agreement_with_consensus);
    free(r->worst_class);
    free(r->num_labeled);
    free(r->order);
    free(r->active_learning);
    free(r->annotator_weight);
    memset(r, 0, sizeof *r);
}

static int cs_result_alloc(cs_result *r, size_t n, size_t m, size_t k)
{
    r->n = n, r->m = m, r->k = k;
    r->consensus_label = la_malloc_array(n, sizeof(int32_t));
    r->consensus_quality = la_malloc_array(n, sizeof(double));
    r->agreement = la_malloc_array(n, sizeof(double));
    r->num_annotations = la_malloc_array(n, sizeof(int32_t));
    r->detailed = la_malloc_array(n * m, sizeof(double));
    r->annotator_quality = la_malloc_array(m, sizeof(double));
    r->agreement_with_consensus = la_malloc_array(m, sizeof(double));
    r->worst_class = la_malloc_array(m, sizeof(int32_t));
    r->num_labeled = la_malloc_array(m, sizeof(int32_t));
    r->order = la_malloc_array(m, sizeof(size_t));
    r->active_learning = la_malloc_array(n, sizeof(double));
    r->annotator_weight = la_malloc_array(m, sizeof(double));
    r->temperature = 1;
    return r->consensus_label && r->consensus_quality && r->agreement && r->num_annotations && r->detailed &&
                   r->annotator_quality && r->agreement_with_consensus && r->worst_class && r->num_labeled &&
                   r->order && r->active_learning && r->annotator_weight
               ? 0
               : -1;
}

/* Dawid-Skene's consensus and qualities into r (see cs_dawid_skene):
 * consensus = posterior argmax, its quality the posterior probability, each
 * label's quality the posterior of that label, an annotator's quality its
 * estimated accuracy SUM_c prior_c theta_j[c][c]. */
static int cs_run_dawid_skene(const cs_in *in, const double *P, const cs_opts *o, cs_result *r, la_error *err)
{
    size_t n = in->n, m = in->m, k = in->k;
    double *post = la_malloc_array(n * k, sizeof *post), *conf = la_malloc_array(m * k * k, sizeof *conf);
    double *prior = la_calloc(k, sizeof *prior);
    int it = post && conf && prior ? cs_dawid_skene(in->L, n, m, P, k, o, post, conf) : -1;
    if (it < 0) {
        free(post), free(conf), free(prior);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    r->ds_iterations = it;
    for (size_t i = 0; i < n; i++) {
        const double *p = post + i * k;
        r->consensus_label[i] = (int32_t)cl_argmax(p, k);
        r->consensus_quality[i] = p[r->consensus_label[i]];
        for (size_t c = 0; c < k; c++) prior[c] += p[c] / (double)n;
        for (size_t j = 0; j < m; j++) {
            int32_t y = in->L[i * m + j];
            r->detailed[i * m + j] = y == CS_MISSING ? NAN : p[y];
        }
    }
    cs_agreement(in, r->consensus_label, r->agreement);
    r->model_weight = NAN;
    for (size_t j = 0; j < m; j++) {
        double acc = 0;
        for (size_t c = 0; c < k; c++) acc += prior[c] * conf[(j * k + c) * k + c];
        r->annotator_quality[j] = acc;
        r->annotator_weight[j] = NAN;
    }
    free(post), free(conf), free(prior);
    return 0;
}

/* The annotator table after a Dawid-Skene consensus: counts, agreement and
 * worst class as cleanlab computes them for any consensus. */
static void cs_ds_annotator_table(const cs_in *in, cs_result *r, double *tmp, size_t *cand)
{
    for (size_t j = 0; j < in->m; j++) {
        size_t cnt = 0;
        for (size_t i = 0; i < in->n; i++) cnt += in->L[i * in->m + j] != CS_MISSING;
        r->num_labeled[j] = (int32_t)cnt;
        r->agreement_with_consensus[j] = cs_annotator_agreement(in, j, r->consensus_label, 0);
        r->worst_class[j] = cs_worst_class(in, j, r->consensus_label, r->consensus_quality, tmp, cand);
    }
    for (size_t j = 0; j < in->m; j++) r->order[j] = j;
    for (size_t j = 1; j < in->m; j++) {
        size_t v = r->order[j], t = j;
        for (; t > 0 && cs_stats_before(r, v, r->order[t - 1]); t--) r->order[t] = r->order[t - 1];
        r->order[t] = v;
    }
}

int cs_run(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k, const cs_opts *o,
           cs_result *out, la_error *err)
{
    assert(labels && pred_probs && o && out && err && k >= 2);
    memset(out, 0, sizeof *out);
    int rc;
    if ((rc = cs_validate(labels, n, m, k, err))) return rc;
    double *Pc = NULL, *tmp = NULL;
    size_t *cand = NULL;
    cs_stats s = {0};
    if (cs_result_alloc(out, n, m, k)) goto oom;
    cs_count(labels, n, m, out->num_annotations);
    cs_in in = {.L = labels, .n = n, .m = m, .k = k, .num = out->num_annotations};
    const double *P = pred_probs;
    if (o->calibrate) {
        Pc = la_malloc_array(n * k, sizeof *Pc);
        out->temperature = Pc ? cs_best_temperature_in(&in, pred_probs) : -1;
        if (out->temperature < 0) goto oom;
        cs_temp_scale(pred_probs, n, k, out->temperature, Pc);
        P = Pc;
    }
    if (o->consensus == CS_DAWID_SKENE) {
        tmp = la_malloc_array(4 * k, sizeof *tmp);
        cand = la_malloc_array(k, sizeof *cand);
        if (!tmp || !cand) goto oom;
        if ((rc = cs_run_dawid_skene(&in, P, o, out, err))) goto fail;
        cs_ds_annotator_table(&in, out, tmp, cand);
    } else {
        if ((rc = cs_consensus_core(&in, P, o->consensus, o->quality, o->score, o->adjust, out->consensus_label, &s,
                                    &out->n_random_ties, err)))
            goto fail;
        memcpy(out->consensus_quality, s.quality, n * sizeof(double));
        memcpy(out->agreement, s.agreement, n * sizeof(double));
        memcpy(out->annotator_weight, s.annotator_weight, m * sizeof(double));
        out->model_weight = s.model_weight;
        if (cs_detailed(&in, s.post, o->score, o->adjust, out->detailed)) goto oom;
        if (cs_annotator_stats(&in, &s, o->quality, out)) goto oom;
    }
    if ((rc = cs_active_learning(&in, pred_probs, out->active_learning, err))) goto fail;
    cs_stats_free(&s);
    free(Pc);
    free(tmp);
    free(cand);
    return 0;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    cs_stats_free(&s);
    free(Pc);
    free(tmp);
    free(cand);
    cs_result_free(out);
    return rc;
}
