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
    db_example_probs  *probs;      /* one per flagged example                */
    db_typical        *typical;    /* <= RP_TYPICAL_PER_CLASS per class      */
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
    free(g->probs);
    free(g->typical);
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

/* p(given) and the top 3 classes of every flagged example (items). */
static int build_probs(digest *g, const double *probs, size_t n, size_t k, const db_items *items,
                       la_error *err)
{
    if (!probs || items->n == 0) return 0;
    g->probs = la_calloc(items->n, sizeof *g->probs);
    if (!g->probs) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < items->n; i++) {
        const db_item *it = &items->v[i];
        if (it->row < 0 || (size_t)it->row >= n) continue;
        const double *p = probs + (size_t)it->row * k;       /* row it->row of the n x k matrix */
        db_example_probs *e = &g->probs[g->d.n_probs++];
        e->row = it->row;
        e->p_given = it->given >= 0 && (size_t)it->given < k ? p[it->given] : 0.0;
        /* the 3 largest p_c by insertion; ties keep the lower class index */
        for (size_t c = 0; c < k; c++) {
            int pos = e->n_top;
            while (pos > 0 && e->p_top[pos - 1] < p[c]) pos--;
            if (pos >= 3) continue;
            int end = e->n_top < 3 ? e->n_top : 2;
            for (int j = end; j > pos; j--) {
                e->top[j] = e->top[j - 1];
                e->p_top[j] = e->p_top[j - 1];
            }
            e->top[pos] = (int64_t)c;
            e->p_top[pos] = p[c];
            if (e->n_top < 3) e->n_top++;
        }
    }
    g->d.probs = g->probs;
    return 0;
}

/* The typical examples of each class: rows whose given label is the class
 * and the argmax, not flagged, the RP_TYPICAL_PER_CLASS largest p(class). */
static int build_typical(digest *g, const double *probs, const int32_t *labels, size_t n, size_t k,
                         const db_items *items, la_error *err)
{
    if (!probs || !labels || n == 0 || k == 0) return 0;
    uint8_t *flagged = la_calloc(n, 1);
    g->typical = la_calloc(k * RP_TYPICAL_PER_CLASS, sizeof *g->typical);
    int *count = la_calloc(k, sizeof *count);
    if (!flagged || !g->typical || !count) {
        free(flagged);
        free(count);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < items->n; i++)
        if (items->v[i].row >= 0 && (size_t)items->v[i].row < n) flagged[items->v[i].row] = 1;
    for (size_t i = 0; i < n; i++) {
        int32_t y = labels[i];
        if (flagged[i] || y < 0 || (size_t)y >= k) continue;
        const double *p = probs + i * k;
        size_t am = 0;                              /* argmax_c p_ic, first on ties */
        for (size_t c = 1; c < k; c++)
            if (p[c] > p[am]) am = c;
        if (am != (size_t)y) continue;
        db_typical *t = g->typical + (size_t)y * RP_TYPICAL_PER_CLASS;   /* the class's slots */
        int m = count[y], pos = m;
        while (pos > 0 && t[pos - 1].prob < p[y]) pos--;    /* ties keep the earlier row */
        if (pos >= RP_TYPICAL_PER_CLASS) continue;
        int end = m < RP_TYPICAL_PER_CLASS ? m : RP_TYPICAL_PER_CLASS - 1;
        memmove(t + pos + 1, t + pos, (size_t)(end - pos) * sizeof *t);
        t[pos] = (db_typical){.class_index = y, .row = (int64_t)i, .prob = p[y]};
        if (m < RP_TYPICAL_PER_CLASS) count[y]++;
    }
    /* compact: class by class, slots 0..count-1 */
    size_t m = 0;
    for (size_t c = 0; c < k; c++)
        for (int s = 0; s < count[c]; s++) {
            g->typical[m] = g->typical[c * RP_TYPICAL_PER_CLASS + (size_t)s];
            g->typical[m++].slot = s;
        }
    g->d.typical = g->typical;
    g->d.n_typical = m;
    free(flagged);
    free(count);
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
    g->pixels = la_malloc_array(items->n + g->d.n_typical + 1, bytes);
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
    /* the typical examples' pixels, for the cards' comparison strips */
    for (size_t i = 0; i < g->d.n_typical; i++) {
        int64_t row = g->typical[i].row;
        if (row < 0 || (size_t)row >= ds->n || (ds->image_paths && ds->image_paths[row])) continue;
        uint8_t *out = g->pixels + g->d.n_examples * bytes;
        rp_pixel_bytes(ds->features + (size_t)row * ds->d, bytes, out);
        g->ex[g->d.n_examples++] = (db_example_digest){.row = row, .pixels = out};
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

static int build_examples(digest *g, sqlite3 *db, const db_run *run, const la_dataset *ds,
                          const double *probs, const int32_t *labels, la_error *err)
{
    db_items items;
    if (db_queue_list(db, run->id, NULL, &items, NULL, err)) return err->status;
    size_t n = (size_t)run->n, k = (size_t)run->k;
    int status = build_probs(g, probs, n, k, &items, err);
    if (!status) status = build_typical(g, probs, labels, n, k, &items, err);
    if (status) {
        db_items_free(&items);
        return status;
    }
    size_t without_file = 0;
    for (size_t i = 0; i < items.n; i++) without_file += items.v[i].image_path == NULL;
    if (without_file == 0) {
        /* every flagged example has an image file: nothing to store */
    } else if (!ds) {
        set_note(g, "the audit was given no dataset (--data)");
    } else if (!dataset_matches(ds, run)) {
        set_note(g, "the dataset does not match the run (size, classes or features differ)");
    } else if (!(g->ex = la_calloc(items.n + g->d.n_typical + 1, sizeof *g->ex))) {
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
    if (!status) status = build_examples(&g, db, &run, ds, probs, labels, err);
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
