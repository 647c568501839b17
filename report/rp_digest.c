/*
 * rp_digest.c — computes a run's report digest (rp_digest.h) and hands it to
 * db_record_digest. The numbers are exactly those the report drew when it
 * recomputed them itself: the same mt_pr_curve sweep thinned to at most
 * RP_PR_MAX_POINTS points, the same rp_feature_summary over the same rows,
 * the same byte = round(255 v) of the pixel rows.
 */
#include "rp_digest.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../metrics/metrics.h"
#include "../db/db.h"
#include "../io/labels.h"
#include "report.h"
#include "rp_features.h"

/* Everything the digest owns while it is built; freed by digest_free. */
typedef struct digest {
    db_digest          d;
    db_pr_curve       *curves;     /* k                                      */
    double            *pr;         /* k x 2 x RP_PR_MAX_POINTS               */
    db_example_digest *ex;         /* one per flagged example                */
    char             **features;   /* n_ex, malloc'd JSON texts or NULL      */
    uint8_t           *pixels;     /* n_ex x image bytes                     */
    char               note[512];
} digest;

static void digest_free(digest *g)
{
    if (g->features)
        for (size_t i = 0; i < g->d.n_examples; i++) free(g->features[i]);
    free(g->features);
    free(g->curves);
    free(g->pr);
    free(g->ex);
    free(g->pixels);
}

double *rp_digest_load_probs(const char *path, size_t n, size_t k)
{
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || sb.st_size > RP_DIGEST_MAX_PROBS_BYTES) return NULL;
    io_probs p;
    la_error e = {0};
    if (io_probs_load(path, &p, &e)) return NULL;
    double *out = NULL;
    if (p.n == n && p.k == k) {
        out = p.p;        /* taken over: io_probs_free must not free it */
        p.p = NULL;
    }
    io_probs_free(&p);
    return out;
}

/* Per-class curves: all classes or none (a failed sweep leaves none). */
static int build_curves(digest *g, const double *probs, const int32_t *labels, size_t n, size_t k,
                        la_error *err)
{
    if (!probs || !labels || n == 0 || k == 0) return 0;
    g->curves = la_calloc(k, sizeof *g->curves);
    g->pr = la_malloc_array(k * 2, RP_PR_MAX_POINTS * sizeof *g->pr);
    if (!g->curves || !g->pr) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t c = 0; c < k; c++) {
        mt_pr_point *pts = NULL;
        size_t np = 0;
        la_error e = {0};
        if (mt_pr_curve(labels, probs, n, k, c, &pts, &np, &e) || np == 0) {
            free(pts);
            return 0;                       /* no curves; n_curves stays 0 */
        }
        /* at most RP_PR_MAX_POINTS points, evenly spaced along the sweep, the last kept */
        size_t m = np < RP_PR_MAX_POINTS ? np : RP_PR_MAX_POINTS;
        double *rec = g->pr + 2 * c * RP_PR_MAX_POINTS, *pre = rec + RP_PR_MAX_POINTS;
        for (size_t j = 0; j < m; j++) {
            size_t at = m > 1 ? j * (np - 1) / (m - 1) : 0;
            rec[j] = pts[at].recall;
            pre[j] = pts[at].precision;
        }
        free(pts);
        g->curves[c] = (db_pr_curve){.class_index = (int64_t)c, .npoints = m, .recall = rec, .precision = pre};
    }
    g->d.curves = g->curves;
    g->d.n_curves = k;
    g->d.has_pr = 1;
    return 0;
}

/* The dataset is the run's: same size, classes and class names. */
static int dataset_matches(const la_dataset *ds, const db_run *run)
{
    int same = ds->n == (size_t)run->n && ds->k == (size_t)run->k && ds->features;
    for (size_t c = 0; same && c < ds->k; c++)
        same = ds->class_names && ds->class_names[c] && !strcmp(ds->class_names[c], run->class_names[c]);
    return same;
}

/* The row still holds the example the queue names. */
static int same_example(const la_dataset *ds, const db_item *it)
{
    return it->row >= 0 && (size_t)it->row < ds->n &&
           (!ds->ids || !it->dataset_id || !strcmp(ds->ids[it->row], it->dataset_id));
}

static int is_pixel_dataset(const la_dataset *ds)
{
    return ds->image_w > 0 && ds->image_h > 0 && !ds->image_paths &&
           (ds->channels == 1 || ds->channels == 3) &&
           ds->d == (size_t)ds->image_w * ds->image_h * ds->channels;
}

/* Thumbnail bytes of every flagged example without an image file. */
static int build_pixels(digest *g, const la_dataset *ds, const db_items *items, la_error *err)
{
    size_t bytes = ds->d;
    g->pixels = la_malloc_array(items->n ? items->n : 1, bytes);
    if (!g->pixels) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    g->d.image_w = ds->image_w;
    g->d.image_h = ds->image_h;
    g->d.channels = ds->channels;
    for (size_t i = 0; i < items->n; i++) {
        const db_item *it = &items->v[i];
        if (it->image_path || !same_example(ds, it)) continue;
        uint8_t *out = g->pixels + g->d.n_examples * bytes;
        rp_pixel_bytes(ds->features + (size_t)it->row * ds->d, bytes, out);
        g->ex[g->d.n_examples++] = (db_example_digest){.row = it->row, .pixels = out};
    }
    return 0;
}

/* Feature summaries of every flagged example without an image file or a
 * stored summary. A dataset without feature columns stores none. */
static int build_features(digest *g, const la_dataset *ds, const db_items *items, la_error *err)
{
    rp_feature_stats st;
    la_error e = {0};
    if (rp_feature_stats_init(ds, &st, &e))   /* no feature columns: nothing to show */
        return e.status == LA_EINTERNAL ? la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory") : 0;
    g->features = la_calloc(items->n ? items->n : 1, sizeof *g->features);
    int status = g->features ? 0 : la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < items->n && !status; i++) {
        const db_item *it = &items->v[i];
        if (it->image_path || it->features || !same_example(ds, it)) continue;
        char *s = rp_feature_summary(&st, ds, (size_t)it->row, it->given, it->suggested, RP_FEATURES_SHOWN);
        if (!s) {
            status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            break;
        }
        g->features[g->d.n_examples] = s;
        g->ex[g->d.n_examples++] = (db_example_digest){.row = it->row, .features = s};
    }
    rp_feature_stats_free(&st);
    return status;
}

/* A note for the report page, shown when a card has nothing to show. */
static void set_note(digest *g, const char *why)
{
    snprintf(g->note, sizeof g->note, "feature values and thumbnails unavailable: %s", why);
    g->d.note = g->note;
}

static int build_examples(digest *g, sqlite3 *db, const db_run *run, const la_dataset *ds, la_error *err)
{
    db_items items;
    if (db_queue_list(db, run->id, NULL, &items, NULL, err)) return err->status;
    size_t without_file = 0;
    for (size_t i = 0; i < items.n; i++) without_file += items.v[i].image_path == NULL;
    int status = 0;
    if (without_file == 0) {
        /* every flagged example has an image file: nothing to store */
    } else if (!ds) {
        set_note(g, "the audit was given no dataset (--data)");
    } else if (!dataset_matches(ds, run)) {
        set_note(g, "the dataset does not match the run (size, classes or features differ)");
    } else if (!(g->ex = la_calloc(items.n, sizeof *g->ex))) {
        status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    } else {
        status = is_pixel_dataset(ds) ? build_pixels(g, ds, &items, err) : build_features(g, ds, &items, err);
        g->d.examples = g->ex;
    }
    db_items_free(&items);
    return status;
}

int rp_record_digest(sqlite3 *db, int64_t run_id, const la_dataset *ds, const double *probs,
                     const int32_t *labels, size_t n, size_t k, la_error *err)
{
    assert(db && (labels || n == 0));
    db_run run;
    int status = db_load_run(db, run_id, &run, err);
    if (status) return status;
    assert((size_t)run.n == n && (size_t)run.k == k);
    digest g;
    memset(&g, 0, sizeof g);
    status = build_curves(&g, probs, labels, n, k, err);
    if (!status) status = build_examples(&g, db, &run, ds, err);
    if (!status) status = db_record_digest(db, run_id, &g.d, err);
    digest_free(&g);
    db_run_free(&run);
    return status;
}

int rp_digest_hook(sqlite3 *db, int64_t run_id, void *src, la_error *err)
{
    const rp_digest_src *s = src;
    assert(s);
    return rp_record_digest(db, run_id, s->ds, s->probs, s->labels, s->n, s->k, err);
}
