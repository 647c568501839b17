/*
 * rp_features.c — per-class feature statistics and the short per-example
 * feature summaries shown on tabular contact-sheet cards. Pure computation
 * over an in-memory la_dataset; JSON is written with jansson.
 */
#include "rp_features.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../util/la_json.h"

void rp_feature_stats_free(rp_feature_stats *st)
{
    if (!st) return;
    free(st->mean);
    free(st->sd);
    free(st->csd);
    memset(st, 0, sizeof *st);
}

int rp_feature_stats_init(const la_dataset *ds, rp_feature_stats *st, la_error *err)
{
    assert(ds && st);
    memset(st, 0, sizeof *st);
    if (!ds->features || ds->d == 0 || ds->k == 0)
        return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no feature columns");
    size_t n = ds->n, d = ds->d, k = ds->k;
    st->d = d;
    st->k = k;
    st->mean = la_calloc(k * d, sizeof *st->mean);
    st->sd = la_calloc(d, sizeof *st->sd);
    st->csd = la_calloc(k * d, sizeof *st->csd);
    double *all = la_calloc(d, sizeof *all);
    int64_t *count = la_calloc(k, sizeof *count);
    if (!st->mean || !st->sd || !st->csd || !all || !count) {
        free(all);
        free(count);
        rp_feature_stats_free(st);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    /* mu_cj = sum_{i: y_i = c} x_ij / n_c ;  mu_j = sum_i x_ij / n */
    for (size_t i = 0; i < n; i++) {
        int32_t c = ds->labels[i];
        if (c < 0 || (size_t)c >= k) continue;
        const float *x = ds->features + i * d;
        count[c]++;
        for (size_t j = 0; j < d; j++) {
            double v = isfinite(x[j]) ? x[j] : 0.0;
            st->mean[(size_t)c * d + j] += v;
            all[j] += v;
        }
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++)
            if (count[c]) st->mean[c * d + j] /= (double)count[c];
    for (size_t j = 0; j < d; j++) all[j] /= n ? (double)n : 1.0;
    /* sd_j = sqrt(sum_i (x_ij - mu_j)^2 / n), 1 for constant columns;
     * sd_cj = sqrt(sum_{i: y_i = c} (x_ij - mu_cj)^2 / n_c), the overall sd_j
     * when the class has fewer than 2 examples or is constant in column j */
    for (size_t i = 0; i < n; i++) {
        const float *x = ds->features + i * d;
        int32_t c = ds->labels[i];
        int in = c >= 0 && (size_t)c < k;
        for (size_t j = 0; j < d; j++) {
            double v = isfinite(x[j]) ? x[j] : 0.0;
            st->sd[j] += (v - all[j]) * (v - all[j]);
            if (in) {
                double dv = v - st->mean[(size_t)c * d + j];
                st->csd[(size_t)c * d + j] += dv * dv;
            }
        }
    }
    for (size_t j = 0; j < d; j++) {
        double s = sqrt(st->sd[j] / (n ? (double)n : 1.0));
        st->sd[j] = s > 1e-12 ? s : 1.0;
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++) {
            double s = count[c] > 1 ? sqrt(st->csd[c * d + j] / (double)count[c]) : 0.0;
            st->csd[c * d + j] = s > 1e-12 ? s : st->sd[j];
        }
    free(all);
    free(count);
    return 0;
}

/* Rounds for display: 4 significant digits keep the JSON short. */
static double round4(double v)
{
    if (!isfinite(v) || v == 0) return isfinite(v) ? v : 0.0;
    double mag = pow(10.0, 3 - (int)floor(log10(fabs(v))));
    return round(v * mag) / mag;
}

char *rp_feature_summary(const rp_feature_stats *st, const la_dataset *ds, size_t row,
                         int64_t given, int64_t suggested, size_t max_features)
{
    assert(st && ds && row < ds->n);
    size_t d = st->d;
    if (given < 0 || (size_t)given >= st->k) given = 0;
    if (suggested < 0 || (size_t)suggested >= st->k) suggested = given;
    const float *x = ds->features + row * d;
    const double *mg = st->mean + (size_t)given * d, *ms = st->mean + (size_t)suggested * d;
    if (max_features > d) max_features = d;
    size_t *best = la_calloc(max_features ? max_features : 1, sizeof *best);
    double *score = la_calloc(max_features ? max_features : 1, sizeof *score);
    json_t *arr = json_array();
    if (!best || !score || !arr) goto fail;
    size_t nb = 0;
    for (size_t j = 0; j < d; j++) {
        double v = isfinite(x[j]) ? x[j] : 0.0;
        double t = given == suggested ? fabs(v - mg[j]) / st->sd[j]
                                      : (fabs(v - mg[j]) - fabs(v - ms[j])) / st->sd[j];
        /* insertion into the top list; ties keep the earlier column */
        size_t pos = nb;
        while (pos > 0 && score[pos - 1] < t) pos--;
        if (pos >= max_features) continue;
        size_t end = nb < max_features ? nb : max_features - 1;
        memmove(best + pos + 1, best + pos, (end - pos) * sizeof *best);
        memmove(score + pos + 1, score + pos, (end - pos) * sizeof *score);
        best[pos] = j;
        score[pos] = t;
        if (nb < max_features) nb++;
    }
    for (size_t b = 0; b < nb; b++) {
        size_t j = best[b];
        const char *name = ds->feature_names && ds->feature_names[j] ? ds->feature_names[j] : "";
        char fallback[32];
        if (!*name) snprintf(fallback, sizeof fallback, "f%zu", j), name = fallback;
        json_t *o = json_pack("{s:s, s:f, s:f, s:f, s:f, s:f}", "name", name,
                              "value", round4(isfinite(x[j]) ? x[j] : 0.0),
                              "given_mean", round4(mg[j]), "suggested_mean", round4(ms[j]),
                              "given_sd", round4(st->csd[(size_t)given * d + j]),
                              "suggested_sd", round4(st->csd[(size_t)suggested * d + j]));
        if (!o || json_array_append_new(arr, o)) goto fail;
    }
    char *s = la_json_text(arr, LA_JSON_LINE);
    json_decref(arr);
    free(best);
    free(score);
    return s;
fail:
    json_decref(arr);
    free(best);
    free(score);
    return NULL;
}

void rp_feature_summaries_free(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++) free(s[i]);
    free(s);
}

int rp_feature_summaries(const la_dataset *ds, const int64_t *suggested, const uint8_t *is_issue,
                         size_t max_features, char ***out, la_error *err)
{
    assert(ds && suggested && is_issue && out);
    *out = NULL;
    rp_feature_stats st;
    int rc = rp_feature_stats_init(ds, &st, err);
    if (rc) return rc;
    char **v = la_calloc(ds->n ? ds->n : 1, sizeof *v);
    if (!v) {
        rp_feature_stats_free(&st);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < ds->n; i++) {
        if (!is_issue[i]) continue;
        v[i] = rp_feature_summary(&st, ds, i, ds->labels[i], suggested[i], max_features);
        if (!v[i]) {
            rp_feature_summaries_free(v, ds->n);
            rp_feature_stats_free(&st);
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        }
    }
    rp_feature_stats_free(&st);
    *out = v;
    return 0;
}
