/*
 * check.c — the CI gate's logic and renderers (contract in check.h).
 *
 * Summaries are parsed strictly (every required key present, rates finite and
 * in [0, 1], one entry per class) so a truncated or hand-edited summary is a
 * clear input error, never a silent pass. The verdict is a flat list of cases
 * computed once; text, JSON, JUnit and GitHub renderers only format it.
 */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "../util/la_json.h"

/* ---------------------------------------------------------------- parsing */

void ck_summary_free(ck_summary *s)
{
    if (!s) return;
    free(s->source);
    free(s->created_at);
    free(s->dataset);
    free(s->version);
    free(s->method);
    for (size_t c = 0; s->classes && c < s->k; c++) free(s->classes[c]);
    free(s->classes);
    free(s->counts);
    free(s->class_rate);
    free(s->class_lo);
    free(s->class_hi);
    memset(s, 0, sizeof *s);
}

static int ck__bad(la_error *err, const char *source, const char *key, const char *what)
{
    return la_error_setc(err, LA_EUSAGE, source, 0, key, "%s", what);
}

/* A finite number at key; required unless def is given (non-NULL). */
static int ck__num(const json_t *j, const char *key, const double *def, double *out,
                   const char *source, la_error *err)
{
    const json_t *v = json_object_get(j, key);
    if (!v) {
        if (def) { *out = *def; return 0; }
        return ck__bad(err, source, key, "missing from the summary");
    }
    if (!json_is_number(v) || !isfinite(json_number_value(v)))
        return ck__bad(err, source, key, "is not a number");
    *out = json_number_value(v);
    return 0;
}

static int ck__rate(double x, const char *key, const char *source, la_error *err)
{
    if (x < 0.0 || x > 1.0)
        return la_error_setc(err, LA_EUSAGE, source, 0, key, "%g is outside [0, 1]", x);
    return 0;
}

/* [lo, hi] pair of rates. */
static int ck__pair(const json_t *v, double *lo, double *hi, const char *key,
                    const char *source, la_error *err)
{
    if (!json_is_array(v) || json_array_size(v) != 2
        || !json_is_number(json_array_get(v, 0)) || !json_is_number(json_array_get(v, 1)))
        return ck__bad(err, source, key, "must be an array [lo, hi] of two numbers");
    *lo = json_number_value(json_array_get(v, 0));
    *hi = json_number_value(json_array_get(v, 1));
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi)
        return ck__bad(err, source, key, "must hold finite numbers with lo <= hi");
    if (ck__rate(*lo, key, source, err) || ck__rate(*hi, key, source, err)) return LA_EUSAGE;
    return 0;
}

static char *ck__opt_str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? la_strdup(s) : NULL;
}

/* The dataset checks' leak and duplicate rates (NAN when absent). */
static void ck__dataset_rates(const json_t *j, ck_summary *s)
{
    const json_t *dc = json_object_get(j, "dataset_checks");
    const json_t *l = json_object_get(dc, "leak_rate"), *d = json_object_get(dc, "duplicate_rate");
    s->leak_rate = json_is_number(l) ? json_number_value(l) : NAN;
    s->duplicate_rate = json_is_number(d) ? json_number_value(d) : NAN;
}

int ck_summary_from_json(const json_t *j, const char *source, ck_summary *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    ck_summary s = {0};
    int rc = 0;
    if (!json_is_object(j)) return ck__bad(err, source, "", "is not a JSON object");
    s.source = la_strdup(source ? source : "summary");
    if (!s.source) goto oom;

    const json_t *jn = json_object_get(j, "n"), *jk = json_object_get(j, "k");
    if (!json_is_integer(jn) || json_integer_value(jn) < 1)
        { rc = ck__bad(err, source, "n", "missing or not a positive integer"); goto fail; }
    if (!json_is_integer(jk) || json_integer_value(jk) < 1 || json_integer_value(jk) > 1000000)
        { rc = ck__bad(err, source, "k", "missing or not a positive integer"); goto fail; }
    s.n = (size_t)json_integer_value(jn);
    size_t k = (size_t)json_integer_value(jk);

    const json_t *jc = json_object_get(j, "classes");
    if (!json_is_array(jc) || json_array_size(jc) != k)
        { rc = ck__bad(err, source, "classes", "missing or not an array of k names"); goto fail; }
    s.classes = la_calloc(k, sizeof *s.classes);
    s.counts = la_calloc(k, sizeof *s.counts);
    s.class_rate = la_calloc(k, sizeof *s.class_rate);
    s.class_lo = la_calloc(k, sizeof *s.class_lo);
    s.class_hi = la_calloc(k, sizeof *s.class_hi);
    if (!s.classes || !s.counts || !s.class_rate || !s.class_lo || !s.class_hi) goto oom;
    s.k = k;
    for (size_t c = 0; c < k; c++) {
        const char *name = json_string_value(json_array_get(jc, c));
        if (!name) { rc = ck__bad(err, source, "classes", "holds a non-string entry"); goto fail; }
        if (!(s.classes[c] = la_strdup(name))) goto oom;
    }

    const double half = 0.95, minus1 = -1;
    double x;
    if ((rc = ck__num(j, "error_rate", NULL, &s.error_rate, source, err))) goto fail;
    if ((rc = ck__rate(s.error_rate, "error_rate", source, err))) goto fail;
    if ((rc = ck__num(j, "health_score", NULL, &s.health, source, err))) goto fail;
    if ((rc = ck__num(j, "confidence", &half, &s.confidence, source, err))) goto fail;
    if (!(s.confidence > 0.0 && s.confidence < 1.0))
        { rc = ck__bad(err, source, "confidence", "must be strictly between 0 and 1"); goto fail; }
    if ((rc = ck__num(j, "num_flagged", &minus1, &x, source, err))) goto fail;
    if (!(x >= -1 && x <= 9e15)) { rc = ck__bad(err, source, "num_flagged", "is not a count"); goto fail; }
    s.num_flagged = (int64_t)x;
    if ((rc = ck__num(j, "num_label_issues", &minus1, &x, source, err))) goto fail;
    if (!(x >= -1 && x <= 9e15)) { rc = ck__bad(err, source, "num_label_issues", "is not a count"); goto fail; }
    s.num_label_issues = (int64_t)x;

    const json_t *jr = json_object_get(j, "class_error_rate");
    if (!json_is_array(jr) || json_array_size(jr) != k)
        { rc = ck__bad(err, source, "class_error_rate", "missing or not an array of k numbers"); goto fail; }
    for (size_t c = 0; c < k; c++) {
        const json_t *v = json_array_get(jr, c);
        if (!json_is_number(v) || !isfinite(json_number_value(v)))
            { rc = ck__bad(err, source, "class_error_rate", "holds a non-number"); goto fail; }
        s.class_rate[c] = json_number_value(v);
        if ((rc = ck__rate(s.class_rate[c], "class_error_rate", source, err))) goto fail;
        s.class_lo[c] = s.class_hi[c] = s.class_rate[c];
    }
    const json_t *jcounts = json_object_get(j, "counts");
    if (jcounts) {
        if (!json_is_array(jcounts) || json_array_size(jcounts) != k)
            { rc = ck__bad(err, source, "counts", "not an array of k integers"); goto fail; }
        for (size_t c = 0; c < k; c++) {
            const json_t *v = json_array_get(jcounts, c);
            if (!json_is_integer(v) || json_integer_value(v) < 0)
                { rc = ck__bad(err, source, "counts", "holds a non-integer"); goto fail; }
            s.counts[c] = json_integer_value(v);
        }
    }

    /* Intervals: both present, or neither (then degenerate, has_ci = 0). */
    const json_t *jci = json_object_get(j, "error_rate_ci");
    const json_t *jcci = json_object_get(j, "class_error_rate_ci");
    s.error_lo = s.error_hi = s.error_rate;
    if (jci && !json_is_null(jci)) {
        if ((rc = ck__pair(jci, &s.error_lo, &s.error_hi, "error_rate_ci", source, err))) goto fail;
        s.has_ci = 1;
    }
    if (jcci && !json_is_null(jcci)) {
        if (!json_is_array(jcci) || json_array_size(jcci) != k)
            { rc = ck__bad(err, source, "class_error_rate_ci", "not an array of k [lo, hi] pairs"); goto fail; }
        for (size_t c = 0; c < k; c++)
            if ((rc = ck__pair(json_array_get(jcci, c), &s.class_lo[c], &s.class_hi[c],
                               "class_error_rate_ci", source, err))) goto fail;
    }
    s.dataset = ck__opt_str(j, "dataset");
    if (!s.dataset) s.dataset = ck__opt_str(j, "labels_path");
    s.version = ck__opt_str(j, "labelaudit_version");
    s.method = ck__opt_str(j, "method");
    ck__dataset_rates(j, &s);
    *out = s;
    return 0;
oom:
    rc = la_error_set(err, LA_EINTERNAL, source, 0, "out of memory reading the summary");
fail:
    ck_summary_free(&s);
    return rc;
}

int ck_summary_from_text(const char *text, const char *source, ck_summary *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return la_error_set(err, LA_EUSAGE, source, je.line > 0 ? je.line : 0,
                            "not valid JSON: %s", je.text);
    int rc = ck_summary_from_json(j, source, out, err);
    json_decref(j);
    return rc;
}

int ck_summary_load(const char *path, ck_summary *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot read the summary: %m");
    json_t *j = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (!j)
        return la_error_set(err, LA_EUSAGE, path, je.line > 0 ? je.line : 0,
                            "not a valid summary.json: %s", je.text);
    int rc = ck_summary_from_json(j, path, out, err);
    json_decref(j);
    return rc;
}

/* Phi(x) = 0.5 erfc(-x / sqrt 2); solve Phi(z) = (1 + c)/2 by bisection
 * (monotone, 100 halvings of [0, 40] reach double precision). */
double ck_z(double c)
{
    assert(c > 0.0 && c < 1.0);
    double target = 0.5 * (1.0 + c), lo = 0.0, hi = 40.0;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < target) lo = mid; else hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Wilson score interval for x successes in n trials at normal quantile z
 * (Wilson 1927; Agresti & Coull 1998 recommend it over the Wald interval
 * for small n and p near 0 or 1):
 *   p = x / n,  c = (p + z^2 / 2n) / (1 + z^2 / n)
 *   h = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)
 *   [lo, hi] = [c - h, c + h]  (within [0, 1] by construction; clamped for
 *   rounding). */
void ck_wilson(int64_t x, int64_t n, double z, double *lo, double *hi)
{
    assert(lo && hi && x >= 0 && x <= n);
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    double nn = (double)n, p = (double)x / nn, z2 = z * z;
    double denom = 1.0 + z2 / nn;
    double centre = (p + z2 / (2.0 * nn)) / denom;
    double half = z / denom * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
}

/* Scales the half-widths around e by f, clamped to [0, 1]. */
static void ck__rescale(double e, double *lo, double *hi, double f)
{
    *lo = fmax(0.0, e - (e - *lo) * f);
    *hi = fmin(1.0, e + (*hi - e) * f);
}

void ck_summary_set_confidence(ck_summary *s, double c)
{
    if (fabs(c - s->confidence) < 1e-12) return;
    double f = ck_z(c) / ck_z(s->confidence);
    ck__rescale(s->error_rate, &s->error_lo, &s->error_hi, f);
    for (size_t i = 0; i < s->k; i++)
        ck__rescale(s->class_rate[i], &s->class_lo[i], &s->class_hi[i], f);
    s->confidence = c;
}

static long ck__find(const ck_summary *s, const char *name)
{
    for (size_t c = 0; c < s->k; c++)
        if (strcmp(s->classes[c], name) == 0) return (long)c;
    return -1;
}

/* Appends ", name" (or "name" first) to buf, keeping it NUL-terminated. */
static void ck__append(char *buf, size_t size, const char *name)
{
    size_t len = strlen(buf);
    if (len + 8 >= size) return;
    snprintf(buf + len, size - len, "%s'%s'", buf[0] && buf[len - 1] != ' ' ? ", " : "", name);
}

int ck_compare_classes(const ck_summary *cur, const ck_summary *base, la_error *err)
{
    char only_cur[400] = "", only_base[400] = "";
    size_t ncur = 0, nbase = 0;
    for (size_t c = 0; c < cur->k; c++)
        if (ck__find(base, cur->classes[c]) < 0) { ck__append(only_cur, sizeof only_cur, cur->classes[c]); ncur++; }
    for (size_t c = 0; c < base->k; c++)
        if (ck__find(cur, base->classes[c]) < 0) { ck__append(only_base, sizeof only_base, base->classes[c]); nbase++; }
    if (ncur == 0 && nbase == 0 && cur->k == base->k) return 0;
    if (ncur == 0 && nbase == 0)
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "class lists differ from the baseline %s: %zu classes vs %zu (duplicate names)",
                            base->source, cur->k, base->k);
    return la_error_set(err, LA_EUSAGE, cur->source, 0,
                        "class lists differ from the baseline %s: only in current (%zu): %s; "
                        "only in baseline (%zu): %s",
                        base->source, ncur, ncur ? only_cur : "none", nbase, nbase ? only_base : "none");
}

/* ---------------------------------------------------------------- verdict */

void ck_limits_init(ck_limits *l)
{
    l->max_error_rate = NAN;
    l->max_increase = NAN;
    l->max_class_error_rate = NAN;
    l->min_health = NAN;
    l->max_leak_rate = NAN;
    l->max_duplicate_rate = NAN;
    l->min_reviewed_precision = NAN;
    l->min_reviewed = CK_MIN_REVIEWED;
}

void ck_diff_interval(double e1, double lo1, double hi1, double e0, double lo0, double hi0,
                      double *d, double *lo, double *hi)
{
    /* half-widths below/above each estimate, never negative (a percentile
     * bootstrap interval may sit entirely on one side of its estimate) */
    double l1 = fmax(0.0, e1 - lo1), u1 = fmax(0.0, hi1 - e1);
    double l0 = fmax(0.0, e0 - lo0), u0 = fmax(0.0, hi0 - e0);
    *d = e1 - e0;
    *lo = *d - sqrt(l1 * l1 + u0 * u0);
    *hi = *d + sqrt(u1 * u1 + l0 * l0);
}

void ck_verdict_free(ck_verdict *v)
{
    if (!v) return;
    free(v->cases);
    free(v->class_change);
    free(v->base_index);
    memset(v, 0, sizeof *v);
}

static ck_case *ck__add(ck_verdict *v, const char *limit, long cls, const char *cls_name)
{
    ck_case *c = &v->cases[v->ncases++];
    memset(c, 0, sizeof *c);
    snprintf(c->limit, sizeof c->limit, "%s", limit);
    if (cls >= 0) snprintf(c->name, sizeof c->name, "%s[%s]", limit, cls_name);
    else snprintf(c->name, sizeof c->name, "%s", limit);
    c->cls = cls;
    return c;
}

static void ck__fail(ck_verdict *v, ck_case *c, double excess)
{
    c->status = CK_FAIL;
    c->excess = excess;
    v->nfailed++;
}

/* "rose most in: a +0.120, b +0.080" for classes with a real rise, largest first. */
static void ck__rising_classes(const ck_summary *cur, const ck_verdict *v, char *buf, size_t size)
{
    buf[0] = 0;
    size_t shown = 0;
    unsigned char *used = la_calloc(cur->k ? cur->k : 1, 1);
    if (!used) return;
    for (;;) {
        long best = -1;
        for (size_t c = 0; c < cur->k; c++)
            if (!used[c] && v->class_change[c].real_rise
                && (best < 0 || v->class_change[c].d > v->class_change[best].d)) best = (long)c;
        if (best < 0 || shown == 5) break;
        used[best] = 1;
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s %+.4f", shown ? ", " : "; rose most in: ",
                 cur->classes[best], v->class_change[best].d);
        shown++;
    }
    free(used);
}

/* A "rate <= limit" case on one of the dataset checks' rates. */
static void ck__rate_limit(ck_verdict *v, const char *limit, double value, double threshold, const char *what)
{
    if (isnan(threshold)) return;
    ck_case *c = ck__add(v, limit, -1, NULL);
    c->value = c->lo = c->hi = value;
    c->threshold = threshold;
    if (value > threshold) ck__fail(v, c, value - threshold);
    snprintf(c->msg, sizeof c->msg, "%s: rate %.4f %s the limit %.4f", what, value,
             c->status ? "exceeds" : "is within", threshold);
    if (c->status) {
        size_t len = strlen(c->msg);
        snprintf(c->msg + len, sizeof c->msg - len, " by %.4f", c->excess);
    }
}

/* The min-reviewed-precision case (see ck_judge in check.h): fails when the
 * Wilson upper bound of reviewed_error / reviewed is below the minimum. */
static void ck__reviewed_precision(ck_verdict *v, const ck_summary *cur, double min)
{
    ck_case *c = ck__add(v, "min-reviewed-precision", -1, NULL);
    c->value = (double)cur->reviewed_error / (double)cur->reviewed;
    ck_wilson(cur->reviewed_error, cur->reviewed, ck_z(cur->confidence), &c->lo, &c->hi);
    c->threshold = min;
    if (c->hi < min) ck__fail(v, c, min - c->hi);
    snprintf(c->msg, sizeof c->msg,
             "reviewed precision %.4f [%.4f, %.4f] (%lld of %lld reviewed examples a genuine label error, "
             "%.0f%% Wilson interval) %s the minimum %.4f",
             c->value, c->lo, c->hi, (long long)cur->reviewed_error, (long long)cur->reviewed,
             100.0 * cur->confidence,
             c->status ? "is below" : c->value < min ? "may be below (the interval reaches" : "meets", min);
    size_t len = strlen(c->msg);
    if (c->status) snprintf(c->msg + len, sizeof c->msg - len, ": its upper bound by %.4f", c->excess);
    else if (c->value < min) snprintf(c->msg + len, sizeof c->msg - len, "; not a fail)");
}

int ck_evaluate(const ck_summary *cur, const ck_summary *base, const ck_limits *lim,
                ck_verdict *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    ck_verdict v = {0};
    size_t k = cur->k;
    v.cases = la_calloc(k + 6, sizeof *v.cases);
    if (!v.cases) goto oom;
    double pct = 100.0 * cur->confidence;

    if (base) {
        v.has_baseline = 1;
        v.class_change = la_calloc(k, sizeof *v.class_change);
        v.base_index = la_calloc(k, sizeof *v.base_index);
        if (!v.class_change || !v.base_index) goto oom;
        ck_diff_interval(cur->error_rate, cur->error_lo, cur->error_hi,
                         base->error_rate, base->error_lo, base->error_hi, &v.d, &v.d_lo, &v.d_hi);
        double allow = isnan(lim->max_increase) ? 0.0 : lim->max_increase;
        for (size_t c = 0; c < k; c++) {
            long b = ck__find(base, cur->classes[c]);
            assert(b >= 0); /* ck_compare_classes passed */
            v.base_index[c] = (size_t)b;
            ck_class_change *cc = &v.class_change[c];
            ck_diff_interval(cur->class_rate[c], cur->class_lo[c], cur->class_hi[c],
                             base->class_rate[b], base->class_lo[b], base->class_hi[b],
                             &cc->d, &cc->lo, &cc->hi);
            cc->real_rise = cc->d > allow && cc->lo > 0.0;
        }
    }

    if (!isnan(lim->max_error_rate)) {
        ck_case *c = ck__add(&v, "max-error-rate", -1, NULL);
        c->value = cur->error_rate; c->lo = cur->error_lo; c->hi = cur->error_hi;
        c->threshold = lim->max_error_rate;
        if (c->value > c->threshold) ck__fail(&v, c, c->value - c->threshold);
        snprintf(c->msg, sizeof c->msg,
                 "estimated label-error rate %.4f [%.4f, %.4f] %s the limit %.4f",
                 c->value, c->lo, c->hi, c->status ? "exceeds" : "is within", c->threshold);
        if (c->status) {
            size_t len = strlen(c->msg);
            snprintf(c->msg + len, sizeof c->msg - len, " by %.4f", c->excess);
        }
    }

    if (base && !isnan(lim->max_increase)) {
        ck_case *c = ck__add(&v, "max-increase", -1, NULL);
        c->value = v.d; c->lo = v.d_lo; c->hi = v.d_hi;
        c->threshold = lim->max_increase;
        int over = v.d > c->threshold, real = v.d_lo > 0.0;
        if (over && real) ck__fail(&v, c, v.d - c->threshold);
        char rising[600];
        ck__rising_classes(cur, &v, rising, sizeof rising);
        snprintf(c->msg, sizeof c->msg,
                 "error rate %.4f [%.4f, %.4f] vs baseline %.4f [%.4f, %.4f]: change %+.4f "
                 "(%.0f%% interval %+.4f..%+.4f), allowed +%.4f: %s",
                 cur->error_rate, cur->error_lo, cur->error_hi,
                 base->error_rate, base->error_lo, base->error_hi, v.d, pct, v.d_lo, v.d_hi,
                 c->threshold,
                 over && real ? "a real rise, over the limit by "
                 : over ? "above the allowed increase, but the interval includes no rise (noise)"
                 : "within the allowed increase");
        size_t len = strlen(c->msg);
        if (c->status)
            snprintf(c->msg + len, sizeof c->msg - len, "%.4f%s", c->excess, rising);
        else if (rising[0])
            snprintf(c->msg + len, sizeof c->msg - len, "%s", rising);
    }

    if (!isnan(lim->max_class_error_rate)) {
        for (size_t i = 0; i < k; i++) {
            ck_case *c = ck__add(&v, "max-class-error-rate", (long)i, cur->classes[i]);
            c->value = cur->class_rate[i]; c->lo = cur->class_lo[i]; c->hi = cur->class_hi[i];
            c->threshold = lim->max_class_error_rate;
            if (c->value > c->threshold) ck__fail(&v, c, c->value - c->threshold);
            snprintf(c->msg, sizeof c->msg,
                     "class '%s': estimated label-error rate %.4f [%.4f, %.4f] %s the limit %.4f",
                     cur->classes[i], c->value, c->lo, c->hi,
                     c->status ? "exceeds" : "is within", c->threshold);
            if (c->status) {
                size_t len = strlen(c->msg);
                snprintf(c->msg + len, sizeof c->msg - len, " by %.4f", c->excess);
            }
        }
    }

    if (!isnan(lim->min_health)) {
        ck_case *c = ck__add(&v, "min-health", -1, NULL);
        c->value = c->lo = c->hi = cur->health;
        c->threshold = lim->min_health;
        if (c->value < c->threshold) ck__fail(&v, c, c->threshold - c->value);
        snprintf(c->msg, sizeof c->msg, "label health score %.4f %s the minimum %.4f",
                 c->value, c->status ? "is below" : "meets", c->threshold);
        if (c->status) {
            size_t len = strlen(c->msg);
            snprintf(c->msg + len, sizeof c->msg - len, " by %.4f", c->excess);
        }
    }
    ck__rate_limit(&v, "max-leak-rate", cur->leak_rate, lim->max_leak_rate, "test examples copied from training");
    ck__rate_limit(&v, "max-duplicate-rate", cur->duplicate_rate, lim->max_duplicate_rate,
                   "examples with an exact duplicate");
    if (!isnan(lim->min_reviewed_precision) && cur->has_reviewed && cur->reviewed > 0)
        ck__reviewed_precision(&v, cur, lim->min_reviewed_precision);
    *out = v;
    return 0;
oom:
    ck_verdict_free(&v);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory evaluating limits");
}

/* ---------------------------------------------------------------- escapers */

/* Length of a valid UTF-8 sequence starting at s, 0 if invalid. */
static size_t ck__utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80) return 1;
    size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || (n == 2 && s[0] < 0xC2)) return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return n;
}

void ck_xml_escape(FILE *fp, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned char ch = *p;
        switch (ch) {
        case '&': fputs("&amp;", fp); p++; continue;
        case '<': fputs("&lt;", fp); p++; continue;
        case '>': fputs("&gt;", fp); p++; continue;
        case '"': fputs("&quot;", fp); p++; continue;
        case '\'': fputs("&apos;", fp); p++; continue;
        case '\t': case '\n': case '\r': fprintf(fp, "&#%d;", ch); p++; continue;
        default: break;
        }
        if (ch < 0x20 || ch == 0x7F) { fputs("\xEF\xBF\xBD", fp); p++; continue; }
        size_t n = ck__utf8_len(p);
        if (n == 0) { fputs("\xEF\xBF\xBD", fp); p++; continue; }  /* invalid byte */
        fwrite(p, 1, n, fp);
        p += n;
    }
}

static void ck__gh_escape(FILE *fp, const char *s, int property)
{
    for (; *s; s++) {
        switch (*s) {
        case '%': fputs("%25", fp); break;
        case '\r': fputs("%0D", fp); break;
        case '\n': fputs("%0A", fp); break;
        case ':': if (property) fputs("%3A", fp); else fputc(':', fp); break;
        case ',': if (property) fputs("%2C", fp); else fputc(',', fp); break;
        default: fputc(*s, fp);
        }
    }
}

void ck_gh_escape_data(FILE *fp, const char *s) { ck__gh_escape(fp, s, 0); }
void ck_gh_escape_property(FILE *fp, const char *s) { ck__gh_escape(fp, s, 1); }

/* ---------------------------------------------------------------- renderers */

void ck_write_text(FILE *fp, const ck_summary *cur, const ck_summary *base, const ck_verdict *v)
{
    double pct = 100.0 * cur->confidence;
    fprintf(fp, "labelaudit check: %s (%zu of %zu checks failed)\n",
            v->nfailed ? "FAIL" : "PASS", v->nfailed, v->ncases);
    fprintf(fp, "current : %s\n", cur->source);
    fprintf(fp, "          error rate %.4f [%.4f, %.4f] (%.0f%% interval), health %.4f, n %zu\n",
            cur->error_rate, cur->error_lo, cur->error_hi, pct, cur->health, cur->n);
    if (base) {
        fprintf(fp, "baseline: %s\n", base->source);
        fprintf(fp, "          error rate %.4f [%.4f, %.4f], health %.4f, n %zu\n",
                base->error_rate, base->error_lo, base->error_hi, base->health, base->n);
        fprintf(fp, "change  : %+.4f [%+.4f, %+.4f]\n", v->d, v->d_lo, v->d_hi);
    } else {
        fprintf(fp, "baseline: none\n");
    }
    if (!cur->has_ci) fprintf(fp, "note: the summary has no bootstrap intervals; rises are judged on estimates\n");
    if (v->ncases == 0) fprintf(fp, "note: no limits given; nothing to judge\n");
    for (size_t i = 0; i < v->ncases; i++) {
        const ck_case *c = &v->cases[i];
        fprintf(fp, "%s %s: %s\n", c->status ? "FAIL" : "ok  ", c->name, c->msg);
    }
    fprintf(fp, base ? "\n%-24s %8s  %-26s" : "\n%-24s %8s  %s", "class", "count", "error rate [interval]");
    if (base) fprintf(fp, "  %-26s  %s", "baseline [interval]", "change [interval]");
    fputc('\n', fp);
    for (size_t c = 0; c < cur->k; c++) {
        char a[64];
        snprintf(a, sizeof a, "%.4f [%.4f, %.4f]", cur->class_rate[c], cur->class_lo[c], cur->class_hi[c]);
        fprintf(fp, base ? "%-24s %8lld  %-26s" : "%-24s %8lld  %s", cur->classes[c],
                (long long)cur->counts[c], a);
        if (base) {
            size_t b = v->base_index[c];
            const ck_class_change *cc = &v->class_change[c];
            char bb[64];
            snprintf(bb, sizeof bb, "%.4f [%.4f, %.4f]", base->class_rate[b], base->class_lo[b],
                     base->class_hi[b]);
            fprintf(fp, "  %-26s  %+.4f [%+.4f, %+.4f]%s", bb, cc->d, cc->lo, cc->hi,
                    cc->real_rise ? "  rise" : "");
        }
        fputc('\n', fp);
    }
}

void ck_write_junit(FILE *fp, const ck_summary *cur, const ck_summary *base, const ck_verdict *v)
{
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", fp);
    fprintf(fp, "<testsuites name=\"labelaudit check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n",
            v->ncases, v->nfailed);
    fprintf(fp, "  <testsuite name=\"labelaudit check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\">\n",
            v->ncases, v->nfailed);
    fputs("    <properties>\n      <property name=\"current\" value=\"", fp);
    ck_xml_escape(fp, cur->source);
    fprintf(fp, "\"/>\n      <property name=\"error_rate\" value=\"%.6f [%.6f, %.6f]\"/>\n",
            cur->error_rate, cur->error_lo, cur->error_hi);
    fprintf(fp, "      <property name=\"confidence\" value=\"%.4g\"/>\n", cur->confidence);
    if (base) {
        fputs("      <property name=\"baseline\" value=\"", fp);
        ck_xml_escape(fp, base->source);
        fprintf(fp, "\"/>\n      <property name=\"baseline_error_rate\" value=\"%.6f [%.6f, %.6f]\"/>\n",
                base->error_rate, base->error_lo, base->error_hi);
    }
    fputs("    </properties>\n", fp);
    for (size_t i = 0; i < v->ncases; i++) {
        const ck_case *c = &v->cases[i];
        fputs("    <testcase classname=\"labelaudit.check.", fp);
        ck_xml_escape(fp, c->limit);
        fputs("\" name=\"", fp);
        ck_xml_escape(fp, c->name);
        fputs("\" time=\"0\">\n", fp);
        if (c->status) {
            char head[400];
            snprintf(head, sizeof head, "%s exceeded by %.4f", c->name, c->excess);
            fputs("      <failure type=\"", fp);
            ck_xml_escape(fp, c->limit);
            fputs("\" message=\"", fp);
            ck_xml_escape(fp, head);
            fputs("\">", fp);
            ck_xml_escape(fp, c->msg);
            fputs("</failure>\n", fp);
        } else {
            fputs("      <system-out>", fp);
            ck_xml_escape(fp, c->msg);
            fputs("</system-out>\n", fp);
        }
        fputs("    </testcase>\n", fp);
    }
    fputs("  </testsuite>\n</testsuites>\n", fp);
}

void ck_write_github(FILE *fp, const ck_summary *cur, const ck_summary *base, const ck_verdict *v)
{
    for (size_t i = 0; i < v->ncases; i++) {
        const ck_case *c = &v->cases[i];
        if (!c->status) continue;
        char title[400];
        snprintf(title, sizeof title, "labelaudit check: %s", c->name);
        fputs("::error ", fp);
        if (cur->run_id == 0) {           /* a committed summary: annotate that file */
            fputs("file=", fp);
            ck_gh_escape_property(fp, cur->source);
            fputc(',', fp);
        }
        fputs("title=", fp);
        ck_gh_escape_property(fp, title);
        fputs("::", fp);
        ck_gh_escape_data(fp, c->msg);
        fputc('\n', fp);
    }
    char msg[600];
    int len = snprintf(msg, sizeof msg, "%zu of %zu checks failed; error rate %.4f [%.4f, %.4f]",
                       v->nfailed, v->ncases, cur->error_rate, cur->error_lo, cur->error_hi);
    if (base && len > 0 && (size_t)len < sizeof msg)
        snprintf(msg + len, sizeof msg - (size_t)len, ", baseline %.4f [%.4f, %.4f], change %+.4f [%+.4f, %+.4f]",
                 base->error_rate, base->error_lo, base->error_hi, v->d, v->d_lo, v->d_hi);
    fputs(v->nfailed ? "::error title=" : "::notice title=", fp);
    ck_gh_escape_property(fp, v->nfailed ? "labelaudit check failed" : "labelaudit check passed");
    fputs("::", fp);
    ck_gh_escape_data(fp, msg);
    fputc('\n', fp);
}

/* [lo, hi] as a JSON array. */
static json_t *ck__jpair(double lo, double hi)
{
    return json_pack("[f, f]", lo, hi);
}

static json_t *ck__jsummary(const ck_summary *s)
{
    json_t *o = json_pack("{s:s, s:f, s:o, s:f, s:f, s:I, s:I}",
                          "source", s->source,
                          "error_rate", s->error_rate,
                          "error_rate_ci", ck__jpair(s->error_lo, s->error_hi),
                          "health_score", s->health,
                          "confidence", s->confidence,
                          "n", (json_int_t)s->n, "k", (json_int_t)s->k);
    if (!o) return NULL;
    if (s->run_id > 0) json_object_set_new(o, "run", json_integer(s->run_id));
    if (s->dataset) json_object_set_new(o, "dataset", json_string(s->dataset));
    if (s->created_at) json_object_set_new(o, "created_at", json_string(s->created_at));
    return o;
}

json_t *ck_to_json(const ck_summary *cur, const ck_summary *base, const ck_verdict *v)
{
    json_t *o = json_object(), *checks = json_array(), *classes = json_array();
    if (!o || !checks || !classes) goto fail;
    json_object_set_new(o, "status", json_string(v->nfailed ? "fail" : "pass"));
    json_object_set_new(o, "failed", json_integer((json_int_t)v->nfailed));
    json_object_set_new(o, "total", json_integer((json_int_t)v->ncases));
    json_object_set_new(o, "current", ck__jsummary(cur));
    json_object_set_new(o, "baseline", base ? ck__jsummary(base) : json_null());
    if (base)
        json_object_set_new(o, "change", json_pack("{s:f, s:o}", "estimate", v->d,
                                                   "interval", ck__jpair(v->d_lo, v->d_hi)));
    else
        json_object_set_new(o, "change", json_null());
    for (size_t i = 0; i < v->ncases; i++) {
        const ck_case *c = &v->cases[i];
        json_t *e = json_pack("{s:s, s:s, s:o, s:s, s:f, s:o, s:f, s:f, s:s}",
                              "name", c->name, "limit", c->limit,
                              "class", c->cls >= 0 ? json_string(cur->classes[c->cls]) : json_null(),
                              "status", c->status ? "fail" : "pass",
                              "value", c->value, "interval", ck__jpair(c->lo, c->hi),
                              "threshold", c->threshold, "excess", c->status ? c->excess : 0.0,
                              "message", c->msg);
        if (!e || json_array_append_new(checks, e)) goto fail;
    }
    for (size_t c = 0; c < cur->k; c++) {
        json_t *e = json_pack("{s:s, s:I, s:f, s:o}", "class", cur->classes[c],
                              "count", (json_int_t)cur->counts[c],
                              "error_rate", cur->class_rate[c],
                              "error_rate_ci", ck__jpair(cur->class_lo[c], cur->class_hi[c]));
        if (!e) goto fail;
        if (base) {
            size_t b = v->base_index[c];
            const ck_class_change *cc = &v->class_change[c];
            json_object_set_new(e, "baseline_error_rate", json_real(base->class_rate[b]));
            json_object_set_new(e, "baseline_error_rate_ci", ck__jpair(base->class_lo[b], base->class_hi[b]));
            json_object_set_new(e, "change", json_real(cc->d));
            json_object_set_new(e, "change_interval", ck__jpair(cc->lo, cc->hi));
            json_object_set_new(e, "real_rise", json_boolean(cc->real_rise));
        }
        if (json_array_append_new(classes, e)) goto fail;
    }
    json_object_set_new(o, "checks", checks);
    json_object_set_new(o, "classes", classes);
    return o;
fail:
    json_decref(o);
    json_decref(checks);
    json_decref(classes);
    return NULL;
}

/* ---- the stage: judge and render ------------------------------------------ */

int ck_judge(ck_summary *cur, ck_summary *base, ck_limits *lim, double conf, ck_verdict *out, la_error *err)
{
    assert(cur && lim && out && err);
    memset(out, 0, sizeof *out);
    /* A gate asked for a relative limit it cannot judge must not pass. */
    if (!base && !isnan(lim->max_increase))
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "--max-increase needs a baseline, and there is none%s: give --baseline"
                            " (a summary.json or, with --db, a run id), or drop --max-increase",
                            cur->run_id ? " (no earlier audit run of the same dataset in the database)" : "");
    if (!isnan(lim->min_reviewed_precision) && !cur->has_reviewed)
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "--min-reviewed-precision needs the reviewers' verdicts, which are in the database:"
                            " give --db instead of --summary");
    if (!isnan(lim->min_reviewed_precision) && (cur->reviewed < lim->min_reviewed || cur->reviewed <= 0))
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "--min-reviewed-precision needs at least %lld reviewed examples with a verdict, and"
                            " there are %lld: review more (serve or review, keys e, a, f) or lower --min-reviewed",
                            (long long)(lim->min_reviewed > 0 ? lim->min_reviewed : 1), (long long)cur->reviewed);
    /* One confidence level for both: conf, else the current run's. */
    if (isnan(conf)) conf = cur->confidence;
    ck_summary_set_confidence(cur, conf);
    if (base) ck_summary_set_confidence(base, conf);
    if (base && isnan(lim->max_increase)) lim->max_increase = 0.0;
    return ck_evaluate(cur, base, lim, out, err);
}

static int ck_write(FILE *fp, ck_format fmt, const ck_summary *cur, const ck_summary *base, const ck_verdict *v)
{
    switch (fmt) {
    case CK_FORMAT_TEXT: ck_write_text(fp, cur, base, v); return 0;
    case CK_FORMAT_JUNIT: ck_write_junit(fp, cur, base, v); return 0;
    case CK_FORMAT_GITHUB: ck_write_github(fp, cur, base, v); return 0;
    case CK_FORMAT_JSON: {
        json_t *j = ck_to_json(cur, base, v);
        int rc = la_json_print(j, fp, LA_JSON_READABLE);
        json_decref(j);
        return rc;
    }
    }
    return -1;
}

int ck_render(ck_format fmt, const char *out_path, FILE *fp, const ck_summary *cur, const ck_summary *base,
              const ck_verdict *v, la_error *err)
{
    assert(cur && v && err && (out_path || fp));
    la_atomic_file af;
    if (out_path) {
        if (la_atomic_open(&af, out_path, err)) return err->status;
        fp = af.fp;
    }
    if (ck_write(fp, fmt, cur, base, v)) {
        if (out_path) la_atomic_abort(&af);
        return la_error_set(err, LA_EINTERNAL, out_path, 0, "cannot write the JSON report");
    }
    if (out_path) return la_atomic_commit(&af, err);
    fflush(fp);
    return 0;
}
