/*
 * rp_verdicts.c — the reviewed-verdict summary (rp_verdicts.h): counts from
 * db_verdict_counts_load, Wilson intervals from ck_wilson, the corrected
 * label-error rate. Read-only; prints nothing.
 */
#include "rp_verdicts.h"
#include "../audit/check.h"
#include "../db/db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void prop_fill(rp_prop *p, int64_t x, int64_t n, double z)
{
    p->x = x;
    p->n = n;
    p->p = n > 0 ? (double)x / (double)n : NAN;
    ck_wilson(x, n, z, &p->lo, &p->hi);
}

void rp_verdict_group_fill(rp_verdict_group *g, const db_verdict_counts *c, double est_rate, double z)
{
    memset(g, 0, sizeof *g);
    g->decided = c->decided;
    g->judged = c->error + c->ambiguous + c->false_alarm;
    prop_fill(&g->error, c->error, g->judged, z);
    prop_fill(&g->ambiguous, c->ambiguous, g->judged, z);
    prop_fill(&g->false_alarm, c->false_alarm, g->judged, z);
    g->est_rate = est_rate;
    /* corrected = est_rate * precision, interval est_rate * [P_lo, P_hi]
     * (est_rate fixed: see rp_verdicts.h) */
    g->corrected = est_rate * g->error.p;
    g->corrected_lo = est_rate * g->error.lo;
    g->corrected_hi = est_rate * g->error.hi;
}

void rp_verdicts_free(rp_verdicts *v)
{
    if (!v) return;
    for (size_t i = 0; v->classes && i < v->k; i++) free(v->classes[i]);
    free(v->classes);
    free(v->per_class);
    memset(v, 0, sizeof *v);
}

int rp_verdicts_load(sqlite3 *db, int64_t run_id, double confidence, rp_verdicts *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    if (run_id <= 0 && db_review_run(db, &run_id, err)) return err->status;
    db_run run;
    if (db_load_run(db, run_id, &run, err)) return err->status;
    size_t k = (size_t)run.k;
    db_verdict_counts *counts = calloc(k ? k : 1, sizeof *counts), all;
    out->per_class = calloc(k ? k : 1, sizeof *out->per_class);
    out->classes = calloc(k ? k : 1, sizeof *out->classes);
    int rc = !counts || !out->per_class || !out->classes
        ? la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory")
        : db_verdict_counts_load(db, run_id, k, counts, &all, err);
    double z = ck_z(confidence);
    out->run_id = run_id;
    out->confidence = confidence;
    out->k = k;
    for (size_t c = 0; !rc && c < k; c++) {
        out->classes[c] = la_strdup(run.class_names[c] ? run.class_names[c] : "");
        if (!out->classes[c]) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        else rp_verdict_group_fill(&out->per_class[c], &counts[c], run.class_error_rate[c], z);
    }
    if (!rc) rp_verdict_group_fill(&out->overall, &all, run.error_rate, z);
    free(counts);
    db_run_free(&run);
    if (rc) rp_verdicts_free(out);
    return rc;
}

static json_t *num_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *prop_json(const rp_prop *p)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o}", "x", (json_int_t)p->x, "n", (json_int_t)p->n,
                     "p", num_or_null(p->p), "lo", num_or_null(p->lo), "hi", num_or_null(p->hi));
}

static json_t *group_json(const rp_verdict_group *g)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "decided", (json_int_t)g->decided,
                     "judged", (json_int_t)g->judged, "error", prop_json(&g->error),
                     "ambiguous", prop_json(&g->ambiguous), "false_alarm", prop_json(&g->false_alarm),
                     "estimated_error_rate", num_or_null(g->est_rate),
                     "corrected_error_rate", num_or_null(g->corrected),
                     "corrected_lo", num_or_null(g->corrected_lo), "corrected_hi", num_or_null(g->corrected_hi));
}

json_t *rp_verdicts_json(const rp_verdicts *v)
{
    json_t *classes = json_array();
    json_t *root = json_pack("{s:I, s:f, s:s, s:s, s:o, s:o}", "run", (json_int_t)v->run_id,
                             "confidence", v->confidence, "interval", "wilson",
                             "formula", "corrected_error_rate = estimated_error_rate * error.p "
                                        "(precision); interval = estimated_error_rate * [error.lo, error.hi]",
                             "overall", group_json(&v->overall), "classes", classes);
    if (!root || !classes) {
        json_decref(root);
        return NULL;
    }
    for (size_t c = 0; c < v->k; c++) {
        json_t *g = group_json(&v->per_class[c]);
        if (!g || json_object_set_new(g, "class", json_string(v->classes[c])) || json_array_append_new(classes, g)) {
            json_decref(g);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}
