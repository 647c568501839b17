/*
 * db_digest.c — storing and reading a run's report digest (db.h, "Report
 * digests"): precision-recall points, thumbnail pixels of examples without
 * image files, feature summaries into examples.features. Invariant: a digest
 * is written under one SAVEPOINT, so it lands whole or not at all, inside or
 * outside a caller's transaction; the reads never fail on an old database
 * (db_open has migrated it; an old run just has no digest row).
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_sql.h"

/* Largest pixel row stored per example (a 4096 x 4096 RGB image). */
#define DB_MAX_PIXEL_BYTES (4096LL * 4096 * 3)

static int check_digest(const db_run *run, const db_digest *d, la_error *err)
{
    long long bytes = (long long)d->image_w * d->image_h * d->channels;
    if (d->image_w < 0 || d->image_h < 0 || (d->channels != 0 && d->channels != 1 && d->channels != 3) ||
        bytes > DB_MAX_PIXEL_BYTES)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: bad pixel shape %dx%dx%d",
                            d->image_w, d->image_h, d->channels);
    for (size_t c = 0; c < d->n_curves; c++)
        if (d->curves[c].class_index < 0 || d->curves[c].class_index >= run->k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: curve of class %" PRId64
                                " outside 0..%" PRId64, d->curves[c].class_index, run->k - 1);
    for (size_t i = 0; i < d->n_examples; i++) {
        if (d->examples[i].row < 0 || d->examples[i].row >= run->n)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: row %" PRId64 " outside 0..%" PRId64,
                                d->examples[i].row, run->n - 1);
        if (d->examples[i].pixels && bytes == 0)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: pixels without a shape");
    }
    for (size_t i = 0; i < d->n_probs; i++) {
        const db_example_probs *p = &d->probs[i];
        int bad = p->row < 0 || p->row >= run->n || p->n_top < 1 || p->n_top > 3;
        for (int j = 0; !bad && j < p->n_top; j++) bad = p->top[j] < 0 || p->top[j] >= run->k;
        if (bad)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: bad probabilities of row %" PRId64, p->row);
    }
    for (size_t i = 0; i < d->n_typical; i++) {
        const db_typical *t = &d->typical[i];
        if (t->row < 0 || t->row >= run->n || t->class_index < 0 || t->class_index >= run->k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "digest: bad typical example row %" PRId64
                                " of class %" PRId64, t->row, t->class_index);
    }
    return 0;
}

static int clear_digest(sqlite3 *db, int64_t run_id, la_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM run_digest WHERE run_id = ?1", "DELETE FROM run_pr_points WHERE run_id = ?1",
        "DELETE FROM example_pixels WHERE run_id = ?1", "DELETE FROM example_probs WHERE run_id = ?1",
        "DELETE FROM class_typical WHERE run_id = ?1",
    };
    for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
        sqlite3_stmt *st;
        if (db_sql_prepare(db, sql[i], &st, err)) return err->status;
        sqlite3_bind_int64(st, 1, run_id);
        if (db_sql_step_done(db, st, "clear digest", err)) return err->status;
    }
    return 0;
}

static int insert_digest_row(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO run_digest (run_id, pr_points, image_w, image_h, channels,"
                           " note) VALUES (?,?,?,?,?,?)", &st, err))
        return err->status;
    int pix = d->channels > 0;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int(st, 2, d->has_pr ? 1 : 0);
    sqlite3_bind_int(st, 3, pix ? d->image_w : 0);
    sqlite3_bind_int(st, 4, pix ? d->image_h : 0);
    sqlite3_bind_int(st, 5, pix ? d->channels : 0);
    db_sql_bind_text_or_null(st, 6, d->note);
    return db_sql_step_done(db, st, "insert digest", err);
}

static int insert_curves(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO run_pr_points (run_id, class_index, point, recall, precision)"
                           " VALUES (?,?,?,?,?)", &st, err))
        return err->status;
    int status = 0;
    sqlite3_bind_int64(st, 1, run_id);
    for (size_t c = 0; c < d->n_curves && !status; c++) {
        const db_pr_curve *cu = &d->curves[c];
        for (size_t p = 0; p < cu->npoints && !status; p++) {
            sqlite3_bind_int64(st, 2, cu->class_index);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)p);
            sqlite3_bind_double(st, 4, cu->recall[p]);
            sqlite3_bind_double(st, 5, cu->precision[p]);
            if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert curve point");
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    return status;
}

/* Feature summaries go into examples.features unless one is stored already;
 * pixels into example_pixels. */
static int insert_examples(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    sqlite3_stmt *feat = NULL, *pix = NULL;
    if (db_sql_prepare(db, "UPDATE examples SET features = ?3 WHERE run_id = ?1 AND row = ?2"
                           " AND features IS NULL", &feat, err) ||
        db_sql_prepare(db, "INSERT INTO example_pixels (run_id, row, pixels) VALUES (?,?,?)", &pix, err)) {
        sqlite3_finalize(feat);
        return err->status;
    }
    int status = 0;
    int bytes = d->image_w * d->image_h * d->channels;
    sqlite3_bind_int64(feat, 1, run_id);
    sqlite3_bind_int64(pix, 1, run_id);
    for (size_t i = 0; i < d->n_examples && !status; i++) {
        const db_example_digest *e = &d->examples[i];
        if (e->features) {
            sqlite3_bind_int64(feat, 2, e->row);
            sqlite3_bind_text(feat, 3, e->features, -1, SQLITE_STATIC);
            if (sqlite3_step(feat) != SQLITE_DONE) status = db_sql_fail(db, err, "store features");
            sqlite3_reset(feat);
        }
        if (e->pixels && !status) {
            sqlite3_bind_int64(pix, 2, e->row);
            sqlite3_bind_blob(pix, 3, e->pixels, bytes, SQLITE_STATIC);
            if (sqlite3_step(pix) != SQLITE_DONE) status = db_sql_fail(db, err, "store pixels");
            sqlite3_reset(pix);
        }
    }
    sqlite3_finalize(feat);
    sqlite3_finalize(pix);
    return status;
}

/* The flagged examples' p(given) and top 3 classes (schema/003_report.sql). */
static int insert_probs(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    if (d->n_probs == 0) return 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO example_probs (run_id, row, p_given, c1, p1, c2, p2, c3, p3)"
                           " VALUES (?,?,?,?,?,?,?,?,?)", &st, err))
        return err->status;
    int status = 0;
    sqlite3_bind_int64(st, 1, run_id);
    for (size_t i = 0; i < d->n_probs && !status; i++) {
        const db_example_probs *p = &d->probs[i];
        sqlite3_bind_int64(st, 2, p->row);
        sqlite3_bind_double(st, 3, p->p_given);
        for (int j = 0; j < 3; j++) {
            if (j < p->n_top) {
                sqlite3_bind_int64(st, 4 + 2 * j, p->top[j]);
                sqlite3_bind_double(st, 5 + 2 * j, p->p_top[j]);
            } else {
                sqlite3_bind_null(st, 4 + 2 * j);
                sqlite3_bind_null(st, 5 + 2 * j);
            }
        }
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "store probabilities");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

static int insert_typical(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    if (d->n_typical == 0) return 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO class_typical (run_id, class_index, slot, row, prob)"
                           " VALUES (?,?,?,?,?)", &st, err))
        return err->status;
    int status = 0;
    sqlite3_bind_int64(st, 1, run_id);
    for (size_t i = 0; i < d->n_typical && !status; i++) {
        const db_typical *t = &d->typical[i];
        sqlite3_bind_int64(st, 2, t->class_index);
        sqlite3_bind_int(st, 3, t->slot);
        sqlite3_bind_int64(st, 4, t->row);
        sqlite3_bind_double(st, 5, t->prob);
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "store typical example");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

int db_record_digest(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err)
{
    assert(db && d);
    assert(d->n_curves == 0 || d->curves);
    assert(d->n_examples == 0 || d->examples);
    assert(d->n_probs == 0 || d->probs);
    assert(d->n_typical == 0 || d->typical);
    db_run run;
    int status = db_load_run(db, run_id, &run, err);
    if (status) return status;
    status = check_digest(&run, d, err);
    db_run_free(&run);
    if (status) return status;
    if ((status = db_sql_exec(db, "SAVEPOINT digest", err))) return status;
    if (!status) status = clear_digest(db, run_id, err);
    if (!status) status = insert_digest_row(db, run_id, d, err);
    if (!status) status = insert_curves(db, run_id, d, err);
    if (!status) status = insert_examples(db, run_id, d, err);
    if (!status) status = insert_probs(db, run_id, d, err);
    if (!status) status = insert_typical(db, run_id, d, err);
    if (status) {
        /* undo everything since the savepoint, then drop it */
        sqlite3_exec(db, "ROLLBACK TO digest; RELEASE digest", NULL, NULL, NULL);
        return status;
    }
    if ((status = db_sql_exec(db, "RELEASE digest", err)))
        sqlite3_exec(db, "ROLLBACK TO digest; RELEASE digest", NULL, NULL, NULL);
    return status;
}

void db_digest_info_free(db_digest_info *d)
{
    if (!d) return;
    free(d->note);
    memset(d, 0, sizeof *d);
}

int db_load_digest(sqlite3 *db, int64_t run_id, db_digest_info *out, la_error *err)
{
    assert(db && out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT pr_points, image_w, image_h, channels, note FROM run_digest"
                           " WHERE run_id = ?", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->present = 1;
        out->has_pr = sqlite3_column_int(st, 0);
        out->image_w = sqlite3_column_int(st, 1);
        out->image_h = sqlite3_column_int(st, 2);
        out->channels = sqlite3_column_int(st, 3);
        out->note = db_sql_col_strdup(st, 4);
    }
    int null_note = rc == SQLITE_ROW && sqlite3_column_type(st, 4) == SQLITE_NULL;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_sql_fail(db, err, "load digest");
    if (rc == SQLITE_ROW && !out->note && !null_note) {
        db_digest_info_free(out);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    long long bytes = (long long)out->image_w * out->image_h * out->channels;
    if (out->image_w < 0 || out->image_h < 0 || out->channels < 0 || out->channels > 4 ||
        bytes > DB_MAX_PIXEL_BYTES)
        out->image_w = out->image_h = out->channels = 0;   /* implausible: no pixels */
    return 0;
}

int db_load_pr_curve(sqlite3 *db, int64_t run_id, int64_t class_index, double **recall,
                     double **precision, size_t *npoints, la_error *err)
{
    *recall = *precision = NULL;
    *npoints = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT recall, precision FROM run_pr_points WHERE run_id = ?1"
                           " AND class_index = ?2 ORDER BY point", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, class_index);
    size_t n = 0, cap = 0;
    double *r = NULL, *p = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            double *nr = realloc(r, cap * sizeof *nr);
            if (nr) r = nr;
            double *np = nr ? realloc(p, cap * sizeof *np) : NULL;
            if (!nr || !np) {
                sqlite3_finalize(st);
                free(r);
                free(p);
                return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            }
            p = np;
        }
        r[n] = sqlite3_column_double(st, 0);
        p[n] = sqlite3_column_double(st, 1);
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(r);
        free(p);
        return db_sql_fail(db, err, "load curve");
    }
    *recall = r;
    *precision = p;
    *npoints = n;
    return 0;
}

int db_load_pixels(sqlite3 *db, int64_t run_id, int64_t row, uint8_t **pixels, size_t *len,
                   la_error *err)
{
    *pixels = NULL;
    *len = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT pixels FROM example_pixels WHERE run_id = ?1 AND row = ?2",
                       &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, row);
    int rc = sqlite3_step(st), status = 0;
    if (rc == SQLITE_ROW) {
        int n = sqlite3_column_bytes(st, 0);
        const void *b = sqlite3_column_blob(st, 0);
        if (n > 0 && b) {
            if (!(*pixels = malloc((size_t)n))) status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            else memcpy(*pixels, b, (size_t)n), *len = (size_t)n;
        }
    } else if (rc != SQLITE_DONE) {
        status = db_sql_fail(db, err, "load pixels");
    }
    sqlite3_finalize(st);
    return status;
}

int db_load_example_probs(sqlite3 *db, int64_t run_id, const db_items *items, db_example_probs *out,
                          la_error *err)
{
    assert(db && items && (out || items->n == 0));
    memset(out, 0, items->n * sizeof *out);
    if (items->n == 0) return 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT p_given, c1, p1, c2, p2, c3, p3 FROM example_probs"
                           " WHERE run_id = ?1 AND row = ?2", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int status = 0;
    for (size_t i = 0; i < items->n && !status; i++) {
        db_example_probs *p = &out[i];
        p->row = items->v[i].row;
        sqlite3_bind_int64(st, 2, p->row);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            p->p_given = sqlite3_column_double(st, 0);
            for (int j = 0; j < 3 && sqlite3_column_type(st, 1 + 2 * j) != SQLITE_NULL; j++) {
                p->top[j] = sqlite3_column_int64(st, 1 + 2 * j);
                p->p_top[j] = sqlite3_column_double(st, 2 + 2 * j);
                p->n_top = j + 1;
            }
        } else if (rc != SQLITE_DONE) {
            status = db_sql_fail(db, err, "load probabilities");
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

void db_typical_free(db_typical *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].dataset_id);
        free(t[i].image_path);
    }
    free(t);
}

int db_load_typical(sqlite3 *db, int64_t run_id, db_typical **out, size_t *n, la_error *err)
{
    assert(db && out && n);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT t.class_index, t.slot, t.row, t.prob, e.dataset_id, e.image_path"
                           " FROM class_typical t JOIN examples e ON e.run_id = t.run_id AND e.row = t.row"
                           " WHERE t.run_id = ? ORDER BY t.class_index, t.slot", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0, m = 0;
    db_typical *v = NULL;
    int rc = SQLITE_DONE, status = 0;
    while (!status && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (m == cap) {
            cap = cap ? 2 * cap : 32;
            db_typical *nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
                break;
            }
            v = nv;
        }
        db_typical *t = &v[m++];
        memset(t, 0, sizeof *t);
        t->class_index = sqlite3_column_int64(st, 0);
        t->slot = sqlite3_column_int(st, 1);
        t->row = sqlite3_column_int64(st, 2);
        t->prob = sqlite3_column_double(st, 3);
        t->dataset_id = db_sql_col_strdup(st, 4);
        t->image_path = db_sql_col_strdup(st, 5);
        if (!t->dataset_id || (!t->image_path && sqlite3_column_type(st, 5) != SQLITE_NULL))
            status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    if (!status && rc != SQLITE_DONE) status = db_sql_fail(db, err, "load typical examples");
    sqlite3_finalize(st);
    if (status) {
        db_typical_free(v, m);
        return status;
    }
    *out = v;
    *n = m;
    return 0;
}
