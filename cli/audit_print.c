/*
 * audit_print.c — `audit --top N` and the issue rows of `audit --format json`
 * (audit_print.h). The rows are the audit's ranking (r->cl.ranked, best
 * first) with the names of the labels, the ids, image paths and, for tabular
 * datasets, the feature values that sit nearer the suggested class.
 * Invariant: nothing is printed until every row is built.
 */
#include "audit_print.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../report/rp_digest.h"
#include "../report/rp_features.h"
#include "../util/la_json.h"

#define AP_NAME_MAX 24      /* characters of a class name or id in the table */
#define AP_FEATURES 3       /* telling features per row in the table         */

/* The class name of label c, or its index. */
static const char *ap_class(const au_input *in, int32_t c, char *buf, size_t size)
{
    if (in->class_names && c >= 0 && (size_t)c < in->k && in->class_names[c]) return in->class_names[c];
    snprintf(buf, size, "%d", (int)c);
    return buf;
}

/* Characters (not bytes) of UTF-8 text s. */
static size_t ap_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++) w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/* s in a column of `width` characters, cut with "..." when longer than max. */
static void ap_cell(FILE *out, const char *s, size_t width, size_t max)
{
    size_t w = ap_width(s);
    if (w > max) {
        size_t chars = 0, i = 0;
        while (s[i] && chars < max - 3) {
            i++;
            while (((unsigned char)s[i] & 0xC0) == 0x80) i++;
            chars++;
        }
        fprintf(out, "%.*s...", (int)i, s);
        w = max;
    } else {
        fputs(s, out);
    }
    for (; w < width; w++) fputc(' ', out);
}

/* Feature statistics when ds is a tabular dataset matching the input; 1 when st is filled. */
static int ap_stats(const la_dataset *ds, const au_input *in, rp_feature_stats *st)
{
    la_error e = {0};
    if (!ds || !ds->features || ds->image_paths || ds->image_w > 0 || ds->n != in->n || ds->k != in->k)
        return 0;
    return rp_feature_stats_init(ds, st, &e) == 0;
}

/* The row of rank j (0-based) as a JSON object; features from st when given. */
static json_t *ap_row(const au_result *r, const au_input *in, const la_dataset *ds, const rp_feature_stats *st,
                      size_t j)
{
    const cl_result *c = &r->cl;
    size_t i = c->ranked[j];
    char gb[32], sb[32], idb[32];
    snprintf(idb, sizeof idb, "%zu", i);
    const char *id = in->ids && in->ids[i] ? in->ids[i] : idb;
    const char *img = in->image_paths ? in->image_paths[i] : NULL;
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:f, s:o}", "rank", (json_int_t)(j + 1),
                          "row", (json_int_t)i, "id", id,
                          "given", ap_class(in, c->ranked_given[j], gb, sizeof gb),
                          "suggested", ap_class(in, c->ranked_suggested[j], sb, sizeof sb),
                          "score", c->ranked_score[j], "image_path", img ? json_string(img) : json_null());
    if (!o || !st) return o;
    char *text = rp_feature_summary(st, ds, i, c->ranked_given[j], c->ranked_suggested[j], RP_FEATURES_SHOWN);
    json_t *fs = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!fs || json_object_set_new(o, "features", fs)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The first m rows as a JSON array, or NULL on out of memory. */
static json_t *ap_rows(const au_result *r, const au_input *in, const la_dataset *ds, size_t m)
{
    rp_feature_stats st;
    int have = ap_stats(ds, in, &st);
    json_t *arr = json_array();
    for (size_t j = 0; arr && j < m; j++) {
        json_t *o = ap_row(r, in, ds, have ? &st : NULL, j);
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (have) rp_feature_stats_free(&st);
    return arr;
}

/* "Mg 0 (given 3.58, sugg. 0.52); Al 2.1 (...)": the first AP_FEATURES features. */
static void ap_features(FILE *out, const json_t *fs)
{
    size_t i;
    json_t *f;
    json_array_foreach(fs, i, f) {
        if (i == AP_FEATURES) break;
        fprintf(out, "%s%s %.4g (given %.4g, sugg. %.4g)", i ? "; " : "",
                json_string_value(json_object_get(f, "name")), json_number_value(json_object_get(f, "value")),
                json_number_value(json_object_get(f, "given_mean")),
                json_number_value(json_object_get(f, "suggested_mean")));
    }
}

int au_print_top(FILE *out, const au_result *r, const au_input *in, const au_opts *o, const la_dataset *ds,
                 size_t top, la_error *err)
{
    assert(out && r && in && o);
    size_t m = top < r->cl.n_flagged ? top : r->cl.n_flagged;
    if (m == 0) {
        fputs("no flagged examples\n", out);
        return 0;
    }
    json_t *rows = ap_rows(r, in, ds, m);
    if (!rows) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    /* column widths: the longest cell of each, capped */
    size_t w[3] = {2, 5, 9};   /* id, given, suggested: at least their headers */
    const char *key[3] = {"id", "given", "suggested"};
    size_t j;
    json_t *row;
    json_array_foreach(rows, j, row)
        for (int c = 0; c < 3; c++) {
            size_t cw = ap_width(json_string_value(json_object_get(row, key[c])));
            if (cw > AP_NAME_MAX) cw = AP_NAME_MAX;
            if (cw > w[c]) w[c] = cw;
        }
    int tabular = json_object_get(json_array_get(rows, 0), "features") != NULL;
    fprintf(out, "top %zu of %zu flagged (ranked by %s, lowest score first):\n", m, r->cl.n_flagged,
            cl_rank_names[o->rank]);
    fputs("rank  ", out);
    for (int c = 0; c < 3; c++) {
        ap_cell(out, key[c], w[c], AP_NAME_MAX);
        fputs("  ", out);
    }
    fprintf(out, "%-10s  %s\n", "score", tabular ? "telling features: value (class means)" : "image");
    json_array_foreach(rows, j, row) {
        fprintf(out, "%4" PRId64 "  ", (int64_t)json_integer_value(json_object_get(row, "rank")));
        for (int c = 0; c < 3; c++) {
            ap_cell(out, json_string_value(json_object_get(row, key[c])), w[c], AP_NAME_MAX);
            fputs("  ", out);
        }
        fprintf(out, "%-10.3g  ", json_number_value(json_object_get(row, "score")));
        const json_t *fs = json_object_get(row, "features");
        const char *img = json_string_value(json_object_get(row, "image_path"));
        if (fs) ap_features(out, fs);
        else fputs(img ? img : "-", out);
        fputc('\n', out);
    }
    json_decref(rows);
    return 0;
}

char *au_json_with_issues(const au_result *r, const au_input *in, const la_dataset *ds, size_t top,
                          la_error *err)
{
    assert(r && in && r->summary_json);
    size_t m = top && top < r->cl.n_flagged ? top : r->cl.n_flagged;
    json_t *doc = json_loads(r->summary_json, 0, NULL);
    json_t *rows = doc ? ap_rows(r, in, ds, m) : NULL;
    char *text = NULL;
    if (rows && json_object_set_new(doc, "issues", rows) == 0) text = la_json_text(doc, LA_JSON_EXACT);
    else json_decref(rows);
    json_decref(doc);
    if (!text) la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return text;
}
