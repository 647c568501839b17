/*
 * rp_issues.c — the dataset checks in the record stage and the report
 * (rp_issues.h): a dc_result translated into db_issues' plain rows (leaks
 * turned round so that `row` is always a training row), and the pages per
 * issue type that read them back. Not here: running the checks (checks/)
 * or any SQL (db/). Invariant: the pages read only the database and image
 * files; everything else they show was stored by rp_issues_record.
 */
#include "rp_issues.h"
#include "report.h"
#include "rp_html.h"
#include "../db/db_issues.h"
#include "../util/la_json.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* ---- recording -------------------------------------------------------------- */

/* The examples being gathered, with what they own. */
typedef struct rp_iss_build {
    db_issue_row     *rows;
    size_t            n_rows;
    db_issue_example *ex;
    size_t            n_ex;
    uint8_t          *seen[2];            /* per split: already in ex            */
} rp_iss_build;

static void rp_iss_build_free(rp_iss_build *b)
{
    for (size_t t = 0; t < b->n_ex; t++) {
        free(b->ex[t].dataset_id);
        free(b->ex[t].pixels);
        free(b->ex[t].features);
    }
    free(b->ex);
    free(b->rows);
    free(b->seen[0]);
    free(b->seen[1]);
}

/* Row i's values as JSON [[name, value], ...], the first few columns. */
static char *rp_iss_features(const dc_matrix *m, size_t i, char *const *names)
{
    json_t *a = json_array();
    size_t d = m->d < RP_ISSUES_MAX_FEATURES ? m->d : RP_ISSUES_MAX_FEATURES;
    char name[32];
    for (size_t j = 0; a && j < d; j++) {
        double v = m->f32 ? (double)m->f32[i * m->d + j] : m->f64[i * m->d + j];
        snprintf(name, sizeof name, "f%zu", j);
        json_array_append_new(a, json_pack("[s,f]", names && names[j] ? names[j] : name, v));
    }
    char *text = a ? la_json_text(a, LA_JSON_LINE_READABLE) : NULL;
    json_decref(a);
    return text;
}

/* Fills e for row i of split s (test: the test split). 0 or -1 (memory). */
static int rp_iss_example(db_issue_example *e, const dc_split *s, int test, size_t i, char *const *classes,
                          size_t k, char *const *feature_names)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", i);
    e->test = test;
    e->row = (int64_t)i;
    if (!(e->dataset_id = la_strdup(s->ids && s->ids[i] ? s->ids[i] : num))) return -1;
    if (s->labels && classes && s->labels[i] >= 0 && (size_t)s->labels[i] < k) e->label = classes[s->labels[i]];
    e->image_path = s->image_paths ? s->image_paths[i] : NULL;
    if (!e->image_path && s->pixels && s->image_w > 0) {
        size_t m = (size_t)s->image_w * (size_t)s->image_h * (size_t)s->channels;
        if (!(e->pixels = malloc(m))) return -1;
        rp_pixel_bytes(s->pixels + i * m, m, e->pixels);
        e->image_w = s->image_w, e->image_h = s->image_h, e->channels = s->channels;
    } else if (!e->image_path && s->feat.n > i && s->feat.d) {
        if (!(e->features = rp_iss_features(&s->feat, i, feature_names))) return -1;
    }
    return 0;
}

static int rp_iss_add(rp_iss_build *b, const rp_issues_src *src, int test, int64_t row)
{
    const dc_split *s = test ? src->in->test : &src->in->train;
    if (!s || row < 0 || (size_t)row >= s->n || b->seen[test][row]) return 0;
    b->seen[test][row] = 1;
    db_issue_example *e = &b->ex[b->n_ex++];
    memset(e, 0, sizeof *e);
    return test ? rp_iss_example(e, s, 1, (size_t)row, src->test_classes, src->test_k, src->test_feature_names)
                : rp_iss_example(e, s, 0, (size_t)row, src->train_classes, src->train_k, src->train_feature_names);
}

/* rows (every issue but "label") and ex (each example they name once). */
static int rp_iss_gather(rp_iss_build *b, const rp_issues_src *src)
{
    const dc_result *r = src->r;
    size_t n_test = src->in->test ? src->in->test->n : 0;
    b->rows = la_malloc_array(r->n_issues + 1, sizeof *b->rows);
    b->ex = la_malloc_array(2 * r->n_issues + 1, sizeof *b->ex);
    b->seen[0] = la_calloc(r->n + 1, 1);
    b->seen[1] = la_calloc(n_test + 1, 1);
    if (!b->rows || !b->ex || !b->seen[0] || !b->seen[1]) return -1;
    for (size_t t = 0; t < r->n_issues; t++) {
        const dc_issue *s = &r->issues[t];
        if (s->type == DC_ISSUE_LABEL) continue;          /* the examples table's own */
        int leak = s->type == DC_ISSUE_LEAKAGE;
        db_issue_row *d = &b->rows[b->n_rows++];
        /* a leak's index is the test row, its partner the training row copied */
        *d = (db_issue_row){.row = leak ? s->partner : s->index, .issue = dc_issue_names[s->type],
                            .score = s->score, .partner = leak ? s->index : s->partner, .partner_test = leak};
        if (rp_iss_add(b, src, 0, d->row) || (d->partner >= 0 && rp_iss_add(b, src, leak, d->partner))) return -1;
    }
    return 0;
}

int rp_issues_record(sqlite3 *db, int64_t run_id, const rp_issues_src *src, la_error *err)
{
    assert(db && src && src->r && src->in && err);
    rp_iss_build b = {0};
    int rc = rp_iss_gather(&b, src) ? la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the issue digest") : 0;
    const dc_result *r = src->r;
    int leak = (r->ran & DC_BIT(DC_CHECK_LEAKAGE)) != 0;
    db_issue_set set = {.n_rows = b.n_rows, .rows = b.rows, .n_examples = b.n_ex, .examples = b.ex,
                        .test_path = leak ? (src->test_path ? src->test_path : "(test split)") : NULL,
                        .n_test = (int64_t)r->n_test};
    if (!rc) rc = db_issues_record(db, run_id, &set, err);
    rp_iss_build_free(&b);
    return rc;
}
