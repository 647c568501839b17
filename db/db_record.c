/*
 * db_record.c — the record stage: an audit result into the database (one
 * run, its examples and its review queue, in the one transaction of
 * db_record_audit), and an audit run's summary back out for `check`.
 * Marshals the audit stage's structs into db_audit_record; all SQL stays in
 * db.c and db_runs.c. Never prints.
 */
#include "db.h"
#include "../audit/audit.h"
#include "../audit/check.h"
#include "../io/labels.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a 64 over the bytes of the input files: the run's dataset_hash. */
#define DB_FNV_OFFSET 0xcbf29ce484222325ull
#define DB_FNV_PRIME  0x100000001b3ull

static uint64_t db_hash_file(const char *path, uint64_t h)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return h;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        for (size_t i = 0; i < n; i++) { h ^= buf[i]; h *= DB_FNV_PRIME; }
    fclose(fp);
    return h;
}

/* The per-example and per-class arrays db_audit_record wants, converted
 * from the audit result (int64 labels, 0/1 issue bytes, names for classes
 * without one). */
typedef struct db_audit_arrays {
    int64_t *given, *sugg, *ranked;
    uint8_t *issue;
    double  *cq, *cer;
    char   **cn;
    size_t   k;
} db_audit_arrays;

static void db_audit_arrays_free(db_audit_arrays *a)
{
    free(a->given); free(a->sugg); free(a->ranked); free(a->issue); free(a->cq); free(a->cer);
    if (a->cn) io_free_strings(a->cn, a->k);
}

static int db_audit_arrays_fill(db_audit_arrays *a, const au_input *in, const cl_result *r)
{
    size_t n = in->n, k = in->k;
    memset(a, 0, sizeof *a);
    a->k = k;
    a->given = la_malloc_array(n + 1, sizeof *a->given);
    a->sugg = la_malloc_array(n + 1, sizeof *a->sugg);
    a->ranked = la_malloc_array(r->n_flagged + 1, sizeof *a->ranked);
    a->issue = la_malloc_array(n + 1, 1);
    a->cq = la_calloc(k + 1, sizeof *a->cq);
    a->cer = la_calloc(k + 1, sizeof *a->cer);
    a->cn = la_calloc(k + 1, sizeof *a->cn);
    if (!a->given || !a->sugg || !a->ranked || !a->issue || !a->cq || !a->cer || !a->cn) return -1;
    for (size_t i = 0; i < n; i++) {
        a->given[i] = in->labels[i];
        a->sugg[i] = r->suggested[i];
        a->issue[i] = (r->flags[i] & CL_F_ISSUE) ? 1 : 0;
    }
    for (size_t q = 0; q < r->n_flagged; q++) a->ranked[q] = r->ranked[q];
    char numbuf[32];
    for (size_t c = 0; c < k; c++) {
        a->cer[c] = r->counts[c] ? (double)r->class_off_diagonal[c] / (double)r->counts[c] : 0;
        snprintf(numbuf, sizeof numbuf, "%zu", c);
        if (!(a->cn[c] = la_strdup(in->class_names ? in->class_names[c] : numbuf))) return -1;
    }
    for (size_t c = 0; c < k; c++) a->cq[r->class_quality[c].cls] = r->class_quality[c].quality;
    return 0;
}

int db_record_audit_result(sqlite3 *db, const struct au_input *in, const struct au_opts *o,
                           const struct au_result *res, db_record_hook then, void *ctx, int64_t *run_id,
                           la_error *err)
{
    assert(db && in && o && res && run_id && err);
    assert(res->summary_json && res->options_json);
    const cl_result *r = &res->cl;
    db_audit_arrays a;
    if (db_audit_arrays_fill(&a, in, r)) {
        db_audit_arrays_free(&a);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    char hash[32];
    uint64_t h = DB_FNV_OFFSET;
    if (in->labels_path) h = db_hash_file(in->labels_path, h);
    h = db_hash_file(in->probs_path, h);
    snprintf(hash, sizeof hash, "%016" PRIx64, h);
    db_audit_record rec = {
        .dataset_path = in->data_path ? in->data_path : in->labels_path,
        .dataset_hash = hash,
        .labels_path = in->labels_path ? in->labels_path : in->data_path,
        .pred_probs_path = in->probs_path,
        .n = in->n, .k = in->k,
        .class_names = a.cn,
        .ids = in->ids,
        .image_paths = in->image_paths,
        .given = a.given,
        .suggested = a.sugg,
        .suggested_p = r->suggested_p,
        .quality = r->quality,
        .is_issue = a.issue,
        .ranked = a.ranked,
        .n_ranked = r->n_flagged,
        .confident_joint = r->cjc,
        .noise_matrix = r->nm,
        .class_issues = r->class_flagged,
        .class_error_rate = a.cer,
        .class_quality = a.cq,
        .error_rate = (double)r->num_off_diagonal / (double)in->n,
        .health = r->health,
        .method = cl_filter_names[o->filter],
        .rank_by = cl_rank_names[o->rank],
        .options_json = res->options_json,
        .summary_json = res->summary_json,
    };
    int rc = db_record_audit_then(db, &rec, then, ctx, run_id, err);
    db_audit_arrays_free(&a);
    return rc;
}

int db_load_audit_summary(sqlite3 *db, const char *db_path, int64_t id, struct ck_summary *out, la_error *err)
{
    assert(db && out && err);
    db_run_brief rb;
    if (db_load_run_brief(db, id, &rb, err)) return err->status;
    if (strcmp(rb.kind, "audit") != 0) {
        la_error_set(err, LA_EUSAGE, db_path, 0,
                     "run %lld is a %s run, not an audit: check judges audits", (long long)id, rb.kind);
        db_run_brief_free(&rb);
        return LA_EUSAGE;
    }
    char source[1200];
    snprintf(source, sizeof source, "run %lld (%s, %s)", (long long)id, rb.dataset_path, rb.created_at);
    int rc = ck_summary_from_text(rb.summary_json, source, out, err);
    if (!rc) {
        out->run_id = id;
        free(out->created_at);
        out->created_at = rb.created_at;
        rb.created_at = NULL;
        free(out->dataset);
        out->dataset = rb.dataset_path;
        rb.dataset_path = NULL;
    }
    db_run_brief_free(&rb);
    return rc;
}
