/*
 * metrics.c — classification metrics (see metrics.h for the contract).
 *
 * Everything is computed in double from one pass over the N x K matrix for the
 * confusion matrix and log loss, plus one sort per class for average precision.
 * float32 inputs are widened into one temporary N x K double block first, so
 * the math lives in one place. Invariant: nothing stored in an mt_metrics or
 * emitted as JSON is NaN or infinite (0/0 ratios are 0 by convention).
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "../util/la_json.h"

#define MT_EPS 1e-15 /* log-loss clipping, sklearn's default */

/* a / b, or 0 when b == 0 (sklearn zero_division=0). */
static double mt__ratio(double a, double b)
{
    return b > 0 ? a / b : 0.0;
}

static double mt__f1(double p, double r)
{
    return p + r > 0 ? 2.0 * p * r / (p + r) : 0.0;
}

/* Checks labels in [0, k) and probabilities finite. */
static int mt__validate(const int32_t *labels, const double *probs, size_t n, size_t k,
                        la_error *err)
{
    if (n == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no examples");
    if (k == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no classes");
    for (size_t i = 0; i < n; i++) {
        if (labels[i] < 0 || (size_t)labels[i] >= k)
            return la_error_set(err, LA_EUSAGE, NULL, 0,
                                "row %zu: label %d is outside 0..%zu", i, (int)labels[i], k - 1);
        for (size_t j = 0; j < k; j++)
            if (!isfinite(probs[i * k + j]))
                return la_error_set(err, LA_EUSAGE, NULL, 0,
                                    "row %zu: probability of class %zu is not a finite number", i, j);
    }
    return 0;
}

/* ---------------------------------------------------------------- sorting */

typedef struct mt__scored {
    double s;             /* score                                             */
    unsigned char y;      /* 1 = positive                                      */
} mt__scored;

/* Decreasing score; ties in any order (they are grouped afterwards). */
static int mt__cmp_desc(const void *a, const void *b)
{
    double x = ((const mt__scored *)a)->s, y = ((const mt__scored *)b)->s;
    return (x < y) - (x > y);
}

/* Sorted (score, target) pairs, or NULL on out of memory. */
static mt__scored *mt__sorted(const unsigned char *y, const double *s, size_t n, size_t stride)
{
    mt__scored *v = la_malloc_array(n ? n : 1, sizeof *v);
    if (!v) return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].s = s[i * stride];
        v[i].y = y[i];
    }
    qsort(v, n, sizeof *v, mt__cmp_desc);
    return v;
}

/* AP over sorted pairs: walk thresholds in decreasing order; at the end of each
 * group of equal scores, AP += (tp/P - R_prev) * tp/(tp+fp). */
static double mt__ap_sorted(const mt__scored *v, size_t n)
{
    int64_t pos = 0;
    for (size_t i = 0; i < n; i++) pos += v[i].y;
    if (pos == 0) return 0.0;
    int64_t tp = 0;
    double ap = 0.0, r_prev = 0.0;
    for (size_t i = 0; i < n; i++) {
        tp += v[i].y;
        if (i + 1 < n && v[i + 1].s == v[i].s) continue;   /* same threshold */
        double r = (double)tp / (double)pos;
        double p = (double)tp / (double)(i + 1);
        ap += (r - r_prev) * p;
        r_prev = r;
    }
    return ap;
}

double mt_average_precision(const unsigned char *y, const double *s, size_t n)
{
    mt__scored *v = mt__sorted(y, s, n, 1);
    if (!v) return 0.0;
    double ap = mt__ap_sorted(v, n);
    free(v);
    return ap;
}

/* ---------------------------------------------------------------- metrics */

void mt_metrics_free(mt_metrics *m)
{
    if (!m) return;
    free(m->per_class);
    free(m->confusion);
    memset(m, 0, sizeof *m);
}

/* Per-class AP of column c of probs (n x k) against labels == c. */
static double mt__class_ap(const int32_t *labels, const double *probs, size_t n, size_t k,
                           mt__scored *v, size_t c)
{
    for (size_t i = 0; i < n; i++) {
        v[i].s = probs[i * k + c];
        v[i].y = labels[i] == (int32_t)c;
    }
    qsort(v, n, sizeof *v, mt__cmp_desc);
    return mt__ap_sorted(v, n);
}

/* The predicted class of a row: argmax (ties to the lowest index), or with
 * cls >= 0 cls when p_cls >= thr, else the argmax of the other classes. */
static size_t mt__decide(const double *row, size_t k, long cls, double thr)
{
    size_t best = 0;
    if (cls >= 0 && row[cls] >= thr) return (size_t)cls;
    if (cls == 0 && k > 1) best = 1;
    for (size_t j = 0; j < k; j++)
        if ((long)j != cls && row[j] > row[best]) best = j;
    return best;
}

static int mt__compute(const int32_t *labels, const double *probs, size_t n, size_t k, long cls, double thr,
                       mt_metrics *out, la_error *err);

int mt_compute(const int32_t *labels, const double *probs, size_t n, size_t k,
               mt_metrics *out, la_error *err)
{
    return mt__compute(labels, probs, n, k, -1, 0.0, out, err);
}

int mt_compute_at_threshold(const int32_t *labels, const double *probs, size_t n, size_t k, size_t cls,
                            double threshold, mt_metrics *out, la_error *err)
{
    assert(cls < k);
    return mt__compute(labels, probs, n, k, (long)cls, threshold, out, err);
}

static int mt__compute(const int32_t *labels, const double *probs, size_t n, size_t k, long cls, double thr,
                       mt_metrics *out, la_error *err)
{
    /* labels: n; probs: n x k row-major */
    assert(out && labels && probs);
    memset(out, 0, sizeof *out);
    if (mt__validate(labels, probs, n, k, err)) return err->status;

    mt_metrics m = {.n = n, .k = k};
    m.per_class = la_calloc(k, sizeof *m.per_class);
    m.confusion = la_calloc(k * k, sizeof *m.confusion);
    mt__scored *v = la_malloc_array(n, sizeof *v);
    if (!m.per_class || !m.confusion || !v) goto oom;

    /* confusion C[y_i][argmax_j p_ij]; log loss -1/n sum_i log p'_{i,y_i} */
    double ll = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double *row = probs + i * k;
        size_t best = cls < 0 ? 0 : mt__decide(row, k, cls, thr);
        double sum = 0.0;
        for (size_t j = 0; j < k; j++) {
            if (cls < 0 && row[j] > row[best]) best = j;
            sum += fmin(fmax(row[j], MT_EPS), 1.0 - MT_EPS);
        }
        double py = fmin(fmax(row[labels[i]], MT_EPS), 1.0 - MT_EPS) / sum;
        ll -= log(py);
        m.confusion[(size_t)labels[i] * k + best]++;
    }
    m.log_loss = ll / (double)n;

    int64_t correct = 0;
    double rec_sum = 0.0, f1_sum = 0.0;
    size_t rec_n = 0, f1_n = 0;
    for (size_t c = 0; c < k; c++) {
        mt_class *pc = &m.per_class[c];
        for (size_t j = 0; j < k; j++) {
            pc->support += m.confusion[c * k + j];
            pc->predicted += m.confusion[j * k + c];
        }
        pc->tp = m.confusion[c * k + c];
        correct += pc->tp;
        pc->precision = mt__ratio((double)pc->tp, (double)pc->predicted);
        pc->recall = mt__ratio((double)pc->tp, (double)pc->support);
        pc->f1 = mt__f1(pc->precision, pc->recall);
        pc->pr_auc = mt__class_ap(labels, probs, n, k, v, c);
        if (pc->support > 0) { rec_sum += pc->recall; rec_n++; }
        if (pc->support > 0 || pc->predicted > 0) { f1_sum += pc->f1; f1_n++; }
    }
    m.accuracy = (double)correct / (double)n;
    m.balanced_accuracy = mt__ratio(rec_sum, (double)rec_n);
    m.macro_f1 = mt__ratio(f1_sum, (double)f1_n);
    free(v);
    *out = m;
    return 0;
oom:
    free(v);
    mt_metrics_free(&m);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing metrics");
}

/* float32 -> one double block (n x k); NULL on out of memory. */
static double *mt__widen(const float *p, size_t n, size_t k)
{
    if (k && n > SIZE_MAX / k) return NULL;
    double *d = la_malloc_array(n * k > 0 ? n * k : 1, sizeof *d);
    if (!d) return NULL;
    for (size_t i = 0; i < n * k; i++) d[i] = p[i];
    return d;
}

int mt_compute_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                   mt_metrics *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    double *d = mt__widen(probs, n, k);
    if (!d) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing metrics");
    int rc = mt_compute(labels, d, n, k, out, err);
    free(d);
    return rc;
}

/* ---------------------------------------------------------------- PR curve */

int mt_pr_curve(const int32_t *labels, const double *probs, size_t n, size_t k,
                size_t cls, mt_pr_point **points, size_t *npoints, la_error *err)
{
    *points = NULL;
    *npoints = 0;
    if (mt__validate(labels, probs, n, k, err)) return err->status;
    if (cls >= k)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "class %zu is outside 0..%zu", cls, k - 1);
    mt__scored *v = la_malloc_array(n, sizeof *v);
    mt_pr_point *pts = la_malloc_array(n, sizeof *pts);
    if (!v || !pts) {
        free(v); free(pts);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing a PR curve");
    }
    int64_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        v[i].s = probs[i * k + cls];
        v[i].y = labels[i] == (int32_t)cls;
        pos += v[i].y;
    }
    int64_t neg = (int64_t)n - pos;
    qsort(v, n, sizeof *v, mt__cmp_desc);

    /* At threshold t = v[i].s (end of a tie group), predicted positive = i + 1. */
    size_t m = 0;
    int64_t tp = 0;
    for (size_t i = 0; i < n; i++) {
        tp += v[i].y;
        if (i + 1 < n && v[i + 1].s == v[i].s) continue;
        mt_pr_point *p = &pts[m++];
        p->threshold = v[i].s;
        p->tp = tp;
        p->fp = (int64_t)(i + 1) - tp;
        p->fn = pos - tp;
        p->tn = neg - p->fp;
        p->precision = mt__ratio((double)p->tp, (double)(p->tp + p->fp));
        p->recall = mt__ratio((double)p->tp, (double)pos);
        p->f1 = mt__f1(p->precision, p->recall);
        p->false_alarm_rate = mt__ratio((double)p->fp, (double)neg);
    }
    free(v);
    *points = pts;
    *npoints = m;
    return 0;
}

int mt_pr_curve_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                    size_t cls, mt_pr_point **points, size_t *npoints, la_error *err)
{
    *points = NULL;
    *npoints = 0;
    double *d = mt__widen(probs, n, k);
    if (!d) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing a PR curve");
    int rc = mt_pr_curve(labels, d, n, k, cls, points, npoints, err);
    free(d);
    return rc;
}

long mt_pick_threshold(const mt_pr_point *points, size_t npoints, mt_constraint c, double v)
{
    long best = -1;
    for (size_t i = 0; i < npoints; i++) {
        const mt_pr_point *p = &points[i];
        int ok;
        double key, bkey;
        switch (c) {
        case MT_MIN_PRECISION: ok = p->precision >= v; key = p->recall; break;
        case MT_MIN_RECALL:    ok = p->recall >= v;    key = p->precision; break;
        default:               ok = p->false_alarm_rate <= v; key = p->recall; break;
        }
        if (!ok) continue;
        if (best < 0) { best = (long)i; continue; }
        const mt_pr_point *b = &points[best];
        bkey = c == MT_MIN_RECALL ? b->precision : b->recall;
        /* points run in decreasing threshold: strictly better only, so ties
         * keep the earlier (higher) threshold */
        if (key > bkey) best = (long)i;
    }
    return best;
}

/* ---------------------------------------------------------------- JSON */

/* Adds a real, mapping any non-finite value to 0 (never expected: belt and braces). */
static int mt__set_real(json_t *o, const char *key, double x)
{
    return json_object_set_new(o, key, json_real(isfinite(x) ? x : 0.0));
}

json_t *mt_metrics_json(const mt_metrics *m, char *const *class_names)
{
    json_t *o = json_object(), *pcs = json_array(), *cm = json_array();
    if (!o || !pcs || !cm) goto fail;
    int bad = 0;
    bad |= mt__set_real(o, "accuracy", m->accuracy);
    bad |= mt__set_real(o, "balanced_accuracy", m->balanced_accuracy);
    bad |= mt__set_real(o, "log_loss", m->log_loss);
    bad |= mt__set_real(o, "macro_f1", m->macro_f1);
    for (size_t c = 0; c < m->k; c++) {
        const mt_class *pc = &m->per_class[c];
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", c);
        json_t *e = json_object(), *row = json_array();
        if (!e || !row) { json_decref(e); json_decref(row); goto fail; }
        bad |= json_object_set_new(e, "class", json_string(class_names ? class_names[c] : idx));
        bad |= json_object_set_new(e, "support", json_integer(pc->support));
        bad |= mt__set_real(e, "precision", pc->precision);
        bad |= mt__set_real(e, "recall", pc->recall);
        bad |= mt__set_real(e, "f1", pc->f1);
        bad |= mt__set_real(e, "pr_auc", pc->pr_auc);
        bad |= json_array_append_new(pcs, e);
        for (size_t j = 0; j < m->k; j++)
            bad |= json_array_append_new(row, json_integer(m->confusion[c * m->k + j]));
        bad |= json_array_append_new(cm, row);
    }
    bad |= json_object_set_new(o, "per_class", pcs);
    pcs = NULL;
    bad |= json_object_set_new(o, "confusion_matrix", cm);
    cm = NULL;
    if (bad) goto fail;
    return o;
fail:
    json_decref(o);
    json_decref(pcs);
    json_decref(cm);
    return NULL;
}

json_t *mt_to_json(const mt_metrics *pooled, const mt_metrics *folds, size_t nfolds,
                   char *const *class_names)
{
    json_t *o = mt_metrics_json(pooled, class_names);
    json_t *fa = json_array();
    if (!o || !fa) goto fail;
    for (size_t f = 0; f < nfolds; f++) {
        json_t *fo = mt_metrics_json(&folds[f], class_names);
        if (!fo) goto fail;
        /* "fold" first is nicer to read; jansson keeps insertion order */
        json_t *ordered = json_object();
        if (!ordered || json_object_set_new(ordered, "fold", json_integer((json_int_t)f))
            || json_object_update(ordered, fo)) {
            json_decref(ordered);
            json_decref(fo);
            goto fail;
        }
        json_decref(fo);
        if (json_array_append_new(fa, ordered)) goto fail;
    }
    if (json_object_set_new(o, "folds", fa)) { fa = NULL; goto fail; }
    return o;
fail:
    json_decref(o);
    json_decref(fa);
    return NULL;
}

int mt_compute_folds(const int32_t *labels, const double *probs, size_t n, size_t k,
                     const int32_t *fold_of, size_t nfolds, mt_metrics *pooled, mt_metrics *folds,
                     la_error *err)
{
    assert(labels && probs && fold_of && pooled && (folds || nfolds == 0));
    if (nfolds) memset(folds, 0, nfolds * sizeof *folds);
    if (mt_compute(labels, probs, n, k, pooled, err)) return err->status;
    size_t *cnt = la_calloc(nfolds ? nfolds : 1, sizeof *cnt);
    int32_t *fy = la_malloc_array(n, sizeof *fy);
    double *fp = k && n <= SIZE_MAX / k ? la_malloc_array(n * k, sizeof *fp) : NULL;
    int rc = 0;
    if (!cnt || !fy || !fp) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing fold metrics");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (fold_of[i] < 0 || (size_t)fold_of[i] >= nfolds) {
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "row %zu: fold %d is outside 0..%zu",
                              i, (int)fold_of[i], nfolds ? nfolds - 1 : 0);
            goto done;
        }
        cnt[fold_of[i]]++;
    }
    for (size_t f = 0; f < nfolds; f++) {
        if (cnt[f] == 0) {
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "fold %zu has no examples", f);
            goto done;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if ((size_t)fold_of[i] != f) continue;
            fy[m] = labels[i];
            memcpy(fp + m * k, probs + i * k, k * sizeof *fp);
            m++;
        }
        if ((rc = mt_compute(fy, fp, m, k, &folds[f], err))) goto done;
    }
done:
    free(cnt);
    free(fy);
    free(fp);
    if (rc) {
        for (size_t f = 0; f < nfolds; f++) mt_metrics_free(&folds[f]);
        mt_metrics_free(pooled);
    }
    return rc;
}

int mt_json_with_folds(const int32_t *labels, const double *probs, size_t n, size_t k,
                       const int32_t *fold_of, size_t nfolds, char *const *class_names,
                       json_t **out, la_error *err)
{
    *out = NULL;
    mt_metrics pooled;
    mt_metrics *fm = la_calloc(nfolds ? nfolds : 1, sizeof *fm);
    if (!fm) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing fold metrics");
    int rc = mt_compute_folds(labels, probs, n, k, fold_of, nfolds, &pooled, fm, err);
    if (!rc) {
        *out = mt_to_json(&pooled, fm, nfolds, class_names);
        if (!*out) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory building metrics.json");
        for (size_t f = 0; f < nfolds; f++) mt_metrics_free(&fm[f]);
        mt_metrics_free(&pooled);
    }
    free(fm);
    return rc;
}

int mt_json_with_folds_f32(const int32_t *labels, const float *probs, size_t n, size_t k,
                           const int32_t *fold_of, size_t nfolds, char *const *class_names,
                           json_t **out, la_error *err)
{
    *out = NULL;
    double *d = mt__widen(probs, n, k);
    if (!d) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory computing metrics");
    int rc = mt_json_with_folds(labels, d, n, k, fold_of, nfolds, class_names, out, err);
    free(d);
    return rc;
}

/* ------------------------------------------------------ before / after */

/* The fields the comparison reads from one metrics.json document. */
typedef struct mt__doc {
    const json_t *pcs;          /* per_class array                             */
    double        bal, mf1;     /* balanced_accuracy, macro_f1                 */
} mt__doc;

static int mt__num(const json_t *o, const char *key, double *v)
{
    const json_t *x = json_object_get(o, key);
    if (!json_is_number(x)) return -1;
    *v = json_number_value(x);
    return isfinite(*v) ? 0 : -1;
}

/* Checks that doc has every field the comparison reads. */
static int mt__doc_read(const json_t *doc, const char *name, mt__doc *d, la_error *err)
{
    if (!json_is_object(doc))
        return la_error_set(err, LA_EUSAGE, name, 0, "not a metrics.json document (not a JSON object)");
    if (mt__num(doc, "balanced_accuracy", &d->bal) || mt__num(doc, "macro_f1", &d->mf1))
        return la_error_set(err, LA_EUSAGE, name, 0, "not a metrics.json document: no numeric "
                            "balanced_accuracy and macro_f1");
    d->pcs = json_object_get(doc, "per_class");
    if (!json_is_array(d->pcs) || json_array_size(d->pcs) == 0)
        return la_error_set(err, LA_EUSAGE, name, 0, "not a metrics.json document: no per_class array");
    static const char *const keys[] = {"f1", "recall", "pr_auc"};
    for (size_t i = 0; i < json_array_size(d->pcs); i++) {
        const json_t *e = json_array_get(d->pcs, i);
        double v;
        if (!json_is_string(json_object_get(e, "class")) || !json_is_integer(json_object_get(e, "support")))
            return la_error_set(err, LA_EUSAGE, name, 0, "per_class[%zu] has no string 'class' and "
                                "integer 'support'", i);
        for (size_t j = 0; j < 3; j++)
            if (mt__num(e, keys[j], &v))
                return la_error_set(err, LA_EUSAGE, name, 0, "per_class[%zu] has no finite number '%s'",
                                    i, keys[j]);
    }
    return 0;
}

static const char *mt__cls(const mt__doc *d, size_t i)
{
    return json_string_value(json_object_get(json_array_get(d->pcs, i), "class"));
}

/* Appends to buf the classes of a that are not in b, comma separated. */
static size_t mt__only(char *buf, size_t cap, const mt__doc *a, const mt__doc *b)
{
    size_t n = 0, len = strlen(buf);
    for (size_t i = 0; i < json_array_size(a->pcs); i++) {
        const char *s = mt__cls(a, i);
        int found = 0;
        for (size_t j = 0; !found && j < json_array_size(b->pcs); j++) found = !strcmp(s, mt__cls(b, j));
        if (found) continue;
        if (len < cap) len += (size_t)snprintf(buf + len, cap - len, "%s'%s'", n ? ", " : "", s);
        n++;
    }
    return n;
}

static json_t *mt__pair(double before, double after)
{
    return json_pack("{s:f, s:f, s:f}", "before", before, "after", after, "delta", after - before);
}

int mt_compare_json(const json_t *before, const char *before_name, const json_t *after,
                    const char *after_name, json_t **out, la_error *err)
{
    *out = NULL;
    mt__doc b, a;
    if (mt__doc_read(before, before_name, &b, err)) return err->status;
    if (mt__doc_read(after, after_name, &a, err)) return err->status;
    size_t k = json_array_size(a.pcs);
    int same = json_array_size(b.pcs) == k;
    for (size_t c = 0; same && c < k; c++) same = !strcmp(mt__cls(&b, c), mt__cls(&a, c));
    if (!same) {
        char only_b[400] = "", only_a[400] = "";
        size_t nb = mt__only(only_b, sizeof only_b, &b, &a), na = mt__only(only_a, sizeof only_a, &a, &b);
        if (nb || na)
            return la_error_set(err, LA_EUSAGE, before_name, 0,
                                "class lists differ (%zu vs %zu classes): only here: %s; only in %s: %s",
                                json_array_size(b.pcs), k, nb ? only_b : "none", after_name,
                                na ? only_a : "none");
        size_t c = 0;
        while (!strcmp(mt__cls(&b, c), mt__cls(&a, c))) c++;
        return la_error_set(err, LA_EUSAGE, before_name, 0,
                            "same classes in a different order: class %zu is '%s' here but '%s' in %s",
                            c, mt__cls(&b, c), mt__cls(&a, c), after_name);
    }
    json_t *o = json_object(), *cls = json_array();
    if (!o || !cls) goto oom;
    /* delta = after - before, per class and for the two averages */
    for (size_t c = 0; c < k; c++) {
        const json_t *eb = json_array_get(b.pcs, c), *ea = json_array_get(a.pcs, c);
        double fb = 0, fa = 0, rb = 0, ra = 0, pb = 0, pa = 0;
        mt__num(eb, "f1", &fb), mt__num(ea, "f1", &fa);
        mt__num(eb, "recall", &rb), mt__num(ea, "recall", &ra);
        mt__num(eb, "pr_auc", &pb), mt__num(ea, "pr_auc", &pa);
        json_t *e = json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
                              "class", mt__cls(&a, c),
                              "support_before", json_integer_value(json_object_get(eb, "support")),
                              "support", json_integer_value(json_object_get(ea, "support")),
                              "f1_before", fb, "f1_after", fa, "f1_delta", fa - fb,
                              "recall_before", rb, "recall_after", ra,
                              "pr_auc_before", pb, "pr_auc_after", pa);
        if (!e || json_array_append_new(cls, e)) goto oom;
    }
    if (json_object_set_new(o, "before", json_string(before_name)) ||
        json_object_set_new(o, "per_class", cls))
        goto oom;
    cls = NULL;
    if (json_object_set_new(o, "balanced_accuracy", mt__pair(b.bal, a.bal)) ||
        json_object_set_new(o, "macro_f1", mt__pair(b.mf1, a.mf1)))
        goto oom;
    *out = o;
    return 0;
oom:
    json_decref(cls);
    json_decref(o);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory comparing metrics");
}

/* ------------------------------------------------------ the stage */

const char *mt_constraint_name(mt_constraint c)
{
    return c == MT_MIN_PRECISION ? "min_precision" : c == MT_MIN_RECALL ? "min_recall"
                                                                        : "max_false_alarm_rate";
}

/* The threshold with the best F1 (ties: the higher threshold). */
static long mt__best_f1(const mt_pr_point *p, size_t n)
{
    long best = -1;
    for (size_t i = 0; i < n; i++)
        if (best < 0 || p[i].f1 > p[best].f1) best = (long)i;
    return best;
}

void mt_stage_result_free(mt_stage_result *r)
{
    mt_metrics_free(&r->metrics);
    for (size_t f = 0; r->folds && f < r->nfolds; f++) mt_metrics_free(&r->folds[f]);
    free(r->folds);
    free(r->pts);
    memset(r, 0, sizeof *r);
    r->pick = -1;
}

int mt_stage(const int32_t *labels, const double *probs, size_t n, size_t k, const mt_stage_opts *o,
             mt_stage_result *out, la_error *err)
{
    assert(labels && probs && o && out);
    memset(out, 0, sizeof *out);
    out->pick = -1;
    int rc = mt_compute(labels, probs, n, k, &out->metrics, err);
    if (rc) {
        if (!err->file[0] && o->probs_name) snprintf(err->file, sizeof err->file, "%s", o->probs_name);
        return rc;
    }
    if (o->positive >= 0) {
        if ((rc = mt_pr_curve(labels, probs, n, k, (size_t)o->positive, &out->pts, &out->npts, err))) goto fail;
        out->pick = o->has_constraint ? mt_pick_threshold(out->pts, out->npts, o->kind, o->value)
                                      : mt__best_f1(out->pts, out->npts);
    }
    if (o->fold_of) {
        mt_metrics pooled;
        out->folds = la_calloc(o->nfolds ? o->nfolds : 1, sizeof *out->folds);
        if (!out->folds) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); goto fail; }
        if ((rc = mt_compute_folds(labels, probs, n, k, o->fold_of, o->nfolds, &pooled, out->folds, err))) {
            if (!err->file[0] && o->folds_name) snprintf(err->file, sizeof err->file, "%s", o->folds_name);
            goto fail;
        }
        mt_metrics_free(&pooled);
        out->nfolds = o->nfolds;
    }
    return 0;
fail:
    mt_stage_result_free(out);
    return rc;
}

static json_t *mt__point_json(const mt_pr_point *p)
{
    return json_pack("{s:f, s:f, s:f, s:f, s:f, s:[[I, I], [I, I]]}",
                     "threshold", p->threshold, "precision", p->precision, "recall", p->recall,
                     "f1", p->f1, "false_alarm_rate", p->false_alarm_rate,
                     "confusion_matrix", (json_int_t)p->tn, (json_int_t)p->fp,
                     (json_int_t)p->fn, (json_int_t)p->tp);
}

json_t *mt_stage_json(const mt_stage_result *r, const mt_stage_opts *o, char *const *names)
{
    const mt_metrics *m = &r->metrics;
    json_t *j = mt_to_json(m, NULL, 0, names);
    if (!j) return NULL;
    if (o->positive >= 0) {
        char idx[32];
        snprintf(idx, sizeof idx, "%ld", o->positive);
        json_t *op = json_object();
        json_object_set_new(op, "positive", json_string(names ? names[o->positive] : idx));
        json_object_set_new(op, "constraint", o->has_constraint
                            ? json_pack("{s:s, s:f}", "kind", mt_constraint_name(o->kind), "value", o->value)
                            : json_pack("{s:s}", "kind", "best_f1"));
        json_object_set_new(op, "point", r->pick >= 0 ? mt__point_json(&r->pts[r->pick]) : json_null());
        if (r->pick < 0)
            json_object_set_new(op, "note", json_string("no threshold meets the constraint"));
        json_object_set_new(op, "pr_auc", json_real(m->per_class[o->positive].pr_auc));
        json_object_set_new(j, "operating_point", op);
    }
    if (r->folds) {
        /* the same per-fold objects mt_json_with_folds writes, in the "folds" slot */
        json_t *withf = mt_to_json(m, r->folds, r->nfolds, names);
        if (!withf) { json_decref(j); return NULL; }
        json_object_set(j, "folds", json_object_get(withf, "folds"));
        json_decref(withf);
    }
    return j;
}

int mt_write_pr_csv(const char *path, const mt_pr_point *pts, size_t npts, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    fputs("threshold,precision,recall,f1,false_alarm_rate\n", af.fp);
    for (size_t i = 0; i < npts; i++) {
        const mt_pr_point *p = &pts[i];
        fprintf(af.fp, "%.17g,%.17g,%.17g,%.17g,%.17g\n", p->threshold, p->precision, p->recall,
                p->f1, p->false_alarm_rate);
    }
    return la_atomic_commit(&af, err);
}

/* ---------------------------------------------------------------- operating point file */

long mt_rarest_class(const int32_t *labels, size_t n, size_t k)
{
    int64_t *cnt = la_calloc(k ? k : 1, sizeof *cnt);
    if (!cnt) return k ? 0 : -1;
    for (size_t i = 0; i < n; i++) if (labels[i] >= 0 && (size_t)labels[i] < k) cnt[labels[i]]++;
    long best = -1;
    for (size_t c = 0; c < k; c++)
        if (cnt[c] > 0 && (best < 0 || cnt[c] < cnt[best])) best = (long)c;
    free(cnt);
    return best;
}

int mt_threshold_write(const char *path, const char *class_name, size_t cls, const mt_pr_point *p,
                       const mt_stage_opts *o, la_error *err)
{
    json_t *doc = json_object();
    if (!doc) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    json_object_set_new(doc, "class", json_string(class_name));
    json_object_set_new(doc, "class_index", json_integer((json_int_t)cls));
    json_object_set_new(doc, "threshold", json_real(p->threshold));
    json_object_set_new(doc, "rule", json_string("predict the class when its probability >= threshold, "
                                                 "else the most probable other class"));
    json_object_set_new(doc, "constraint", o->has_constraint ? json_string(mt_constraint_name(o->kind)) : json_string("best_f1"));
    if (o->has_constraint) mt__set_real(doc, "value", o->value);
    mt__set_real(doc, "precision", p->precision);
    mt__set_real(doc, "recall", p->recall);
    if (o->probs_name) json_object_set_new(doc, "chosen_on", json_string(o->probs_name));
    int rc = la_json_write_file(doc, path, LA_JSON_EXACT, err);
    json_decref(doc);
    return rc;
}

/* A number member of doc, or NAN. */
static double mt__real_or_nan(const json_t *doc, const char *key)
{
    const json_t *v = json_object_get(doc, key);
    return json_is_number(v) && isfinite(json_number_value(v)) ? json_number_value(v) : NAN;
}

int mt_threshold_read(const char *path, mt_threshold_file *out, la_error *err)
{
    out->class_name = NULL;
    out->precision = out->recall = NAN;
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return la_error_set(err, LA_EUSAGE, path, je.line > 0 ? je.line : 0, "not a threshold file (JSON): %s", je.text);
    const json_t *c = json_object_get(doc, "class"), *t = json_object_get(doc, "threshold");
    int rc = 0;
    if (!json_is_string(c))
        rc = la_error_set(err, LA_EUSAGE, path, 0, "no \"class\" string: write the file with "
                          "`labelaudit metrics ... --threshold-out FILE`");
    else if (!json_is_number(t) || !isfinite(json_number_value(t)))
        rc = la_error_set(err, LA_EUSAGE, path, 0, "no finite \"threshold\" number");
    else if (!(out->class_name = la_strdup(json_string_value(c))))
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    else {
        out->threshold = json_number_value(t);
        out->precision = mt__real_or_nan(doc, "precision");
        out->recall = mt__real_or_nan(doc, "recall");
    }
    json_decref(doc);
    return rc;
}
