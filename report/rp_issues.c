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

/* ---- the report's pages ----------------------------------------------------------- */

/* What each type means, for the page's first line. */
static const char *rp_iss_what(const char *issue)
{
    static const struct { const char *w, *s; } t[] = {
        {"label_conflict", "Identical examples (same feature row or byte-identical file) carrying different labels: "
                           "one of the labels is certainly wrong."},
        {"exact_duplicate", "Identical feature rows or byte-identical image files."},
        {"leakage", "Test examples that are exact or near copies of training examples: every test score on them is "
                    "flattered. The left example is the training one, the right one the test copy."},
        {"near_duplicate", "Near duplicates by cleanlab's rule (within 0.13 x the median nearest-neighbour distance), "
                           "shown with the nearest neighbour."},
        {"image_near_duplicate", "The same picture up to a small shift or a brightness change."},
        {"outlier", "Examples far from their nearest neighbours (cleanlab's outlier score)."},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        if (!strcmp(issue, t[i].w)) return t[i].s;
    return "Per-image defects (thresholds in docs/dataset-checks.md).";
}

/* A type word safe in a file name: [a-z][a-z0-9_]*, at most 48 bytes. */
static int rp_iss_word_ok(const char *w)
{
    size_t n = strlen(w);
    if (!n || n > 48 || *w < 'a' || *w > 'z') return 0;
    for (; *w; w++)
        if (!((*w >= 'a' && *w <= 'z') || (*w >= '0' && *w <= '9') || *w == '_')) return 0;
    return 1;
}

/* assets/thumbs/issue-SPLIT-ROW.png from the image file or the stored
 * pixels, once; 1 when it exists afterwards. */
static int rp_iss_thumb(rp_issues_pager *pg, const db_issue_example *e, char *rel, size_t relsz)
{
    snprintf(rel, relsz, "assets/thumbs/issue-%s-%" PRId64 ".png", e->test ? "test" : "train", e->row);
    char path[PATH_MAX];
    if (la_path_join(path, sizeof path, pg->dir, rel)) return 0;
    FILE *f = fopen(path, "rb");
    if (f) { fclose(f); return 1; }
    if (!e->image_path && !e->pixels) return 0;
    int w, h;
    la_error e2 = {0};
    int rc = e->image_path ? rp_thumbnail(e->image_path, path, pg->thumb_box, &w, &h, &e2)
                           : rp_thumbnail_bytes(e->pixels, e->image_w, e->image_h, e->channels, path, pg->thumb_box,
                                                &w, &h, &e2);
    if (rc) { pg->thumb_failures++; return 0; }
    pg->thumbs++;
    return 1;
}

/* The stored feature values as a small table. */
static void rp_iss_features_html(FILE *f, const char *json)
{
    json_t *a = json_loads(json, 0, NULL);
    size_t i;
    json_t *v;
    fputs("<table class=\"feat\">", f);
    json_array_foreach(a, i, v) {
        fputs("<tr><th>", f);
        rp_esc(f, json_string_value(json_array_get(v, 0)));
        fprintf(f, "</th><td>%.6g</td></tr>", json_number_value(json_array_get(v, 1)));
    }
    fputs("</table>", f);
    json_decref(a);
}

/* One example of a pair: thumbnail or features, id, label, split. */
static void rp_iss_side(sqlite3 *db, int64_t run_id, rp_issues_pager *pg, FILE *f, int test, int64_t row)
{
    db_issue_example e;
    int found = 0;
    la_error err = {0};
    fputs("<div class=\"card\">", f);
    if (db_issues_example(db, run_id, test, row, &e, &found, &err) || !found) {
        fprintf(f, "<div class=\"cap\">%s row %" PRId64 " (not stored)</div></div>", test ? "test" : "train", row);
        return;
    }
    char rel[128];
    if (rp_iss_thumb(pg, &e, rel, sizeof rel)) {
        fprintf(f, "<div class=\"thumb\"><img src=\"%s\" alt=\"", rel);
        rp_esc(f, e.dataset_id);
        fputs("\"></div>", f);
    } else if (e.features) {
        rp_iss_features_html(f, e.features);
    }
    fprintf(f, "<div class=\"cap\"><span class=\"badge\">%s</span><span>id <b>", test ? "test" : "train");
    rp_esc(f, e.dataset_id);
    fprintf(f, "</b> &#183; row %" PRId64, row);
    if (e.label) {
        fputs(" &#183; label <b>", f);
        rp_esc(f, e.label);
        fputs("</b>", f);
    }
    fputs("</span></div></div>", f);
    db_issue_example_free(&e);
}

/* 1 when issue t is a training pair whose mirror came earlier in l. */
static int rp_iss_shown(const db_issues *l, size_t t)
{
    const db_issue *d = &l->v[t];
    if (d->partner < 0 || d->partner_test) return 0;
    for (size_t q = 0; q < t; q++)
        if (l->v[q].row == d->partner && l->v[q].partner == d->row && !l->v[q].partner_test) return 1;
    return 0;
}

static int rp_iss_page(sqlite3 *db, int64_t run_id, rp_issues_pager *pg, const char *issue, int64_t count,
                       la_error *err)
{
    char name[96], path[PATH_MAX];
    snprintf(name, sizeof name, "issue-%s.html", issue);
    FILE *f = pg->open(pg->ctx, name, issue, path, sizeof path);
    if (!f) return err->status ? err->status : LA_EINTERNAL;
    db_issues l;
    int rc = db_issues_load(db, run_id, issue, &l, err);
    fputs("<p><a href=\"index.html\">&#8592; back to the summary</a></p>\n<h1>", f);
    rp_esc(f, issue);
    fprintf(f, " <span class=\"muted\">%" PRId64 " example%s</span></h1>\n<p class=\"note\">", count, count == 1 ? "" : "s");
    rp_esc(f, rp_iss_what(issue));
    fputs("</p>\n", f);
    if (!rc && l.n > RP_ISSUES_PAGE_ROWS)
        fprintf(f, "<p class=\"muted\">The %d most severe are shown; issues.csv lists all.</p>\n", RP_ISSUES_PAGE_ROWS);
    for (size_t t = 0; !rc && t < l.n && t < RP_ISSUES_PAGE_ROWS; t++) {
        const db_issue *d = &l.v[t];
        if (rp_iss_shown(&l, t)) continue;               /* the pair (b, a) after (a, b) */
        fprintf(f, "<section class=\"panel pair\" id=\"r%" PRId64 "\"><h3>#%" PRId64 " &#183; score %.4g</h3>"
                   "<div class=\"grid\">", d->rank, d->rank, d->score);
        rp_iss_side(db, run_id, pg, f, 0, d->row);
        if (d->partner >= 0) rp_iss_side(db, run_id, pg, f, d->partner_test, d->partner);
        fputs("</div></section>\n", f);
    }
    db_issues_free(&l);
    if (rc) {
        fclose(f);
        return rc;
    }
    return pg->close(pg->ctx, f, path);
}

int rp_issues_pages(sqlite3 *db, int64_t run_id, rp_issues_pager *pg, la_error *err)
{
    assert(db && pg && pg->open && pg->close && err);
    db_issue_count *c = NULL;
    size_t n = 0;
    int rc = db_issues_counts(db, run_id, &c, &n, err);
    for (size_t t = 0; !rc && t < n; t++)
        if (rp_iss_word_ok(c[t].issue)) rc = rp_iss_page(db, run_id, pg, c[t].issue, c[t].n, err);
    db_issues_counts_free(c, n);
    return rc;
}

void rp_issues_chips(sqlite3 *db, int64_t run_id, FILE *f)
{
    db_issue_count *c = NULL;
    size_t n = 0;
    la_error err = {0};
    if (db_issues_counts(db, run_id, &c, &n, &err) || !n) return;
    char *test = NULL;
    int64_t n_test = 0;
    db_issues_test_split(db, run_id, &test, &n_test, &err);
    fputs("<section class=\"panel\" id=\"dataset-checks\"><h2>Dataset checks</h2>\n<div class=\"chips\">", f);
    for (size_t t = 0; t < n; t++) {
        if (!rp_iss_word_ok(c[t].issue)) continue;
        fprintf(f, "<a class=\"chip\" href=\"issue-%s.html\">", c[t].issue);
        rp_esc(f, c[t].issue);
        fprintf(f, " <b>%" PRId64 "</b></a>", c[t].n);
    }
    fputs("</div>", f);
    if (test) {
        fprintf(f, "<p class=\"muted\">Leakage was checked against the test split ");
        rp_esc(f, test);
        fprintf(f, " (%" PRId64 " examples).</p>", n_test);
    }
    fputs("</section>\n", f);
    free(test);
    db_issues_counts_free(c, n);
}
