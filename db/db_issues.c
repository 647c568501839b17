/*
 * db_issues.c — the dataset checks' findings in and out of the database
 * (db_issues.h, schema/005_issues.sql). Invariant: a set of findings is
 * written under one SAVEPOINT, whole or not at all; a training example keeps
 * one queue row whatever number of issue types it has. Reads never fail on
 * a run recorded without checks: they return nothing.
 */
#include "db_issues.h"

#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_sql.h"

static int db_issues_check(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT n FROM runs WHERE id = ?1", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int found = sqlite3_step(st) == SQLITE_ROW;
    int64_t n = found ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (!found) return la_error_set(err, LA_EUSAGE, NULL, 0, "no run %" PRId64 " to attach issues to", run_id);
    for (size_t t = 0; t < s->n_rows; t++) {
        const db_issue_row *r = &s->rows[t];
        if (r->row < 0 || r->row >= n)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "issue %zu: row %" PRId64 " outside run %" PRId64
                                " (0..%" PRId64 ")", t + 1, r->row, run_id, n - 1);
        if (!r->issue || !*r->issue) return la_error_set(err, LA_EUSAGE, NULL, 0, "issue %zu has no type", t + 1);
    }
    return 0;
}

static int db_issues_put_rows(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO example_issues (run_id, rank, row, issue, score, partner, partner_split)"
                           " VALUES (?1,?2,?3,?4,?5,?6,?7)", &st, err))
        return err->status;
    int status = 0;
    sqlite3_bind_int64(st, 1, run_id);
    for (size_t t = 0; t < s->n_rows && !status; t++) {
        const db_issue_row *r = &s->rows[t];
        sqlite3_bind_int64(st, 2, (sqlite3_int64)t + 1);
        sqlite3_bind_int64(st, 3, r->row);
        sqlite3_bind_text(st, 4, r->issue, -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, r->score);
        if (r->partner >= 0) {
            sqlite3_bind_int64(st, 6, r->partner);
            sqlite3_bind_text(st, 7, r->partner_test ? "test" : "train", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 6);
            sqlite3_bind_null(st, 7);
        }
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert issue");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

static int db_issues_put_examples(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT OR REPLACE INTO issue_examples (run_id, split, row, dataset_id, label, image_path,"
                           " image_w, image_h, channels, pixels, features) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                       &st, err))
        return err->status;
    int status = 0;
    sqlite3_bind_int64(st, 1, run_id);
    for (size_t t = 0; t < s->n_examples && !status; t++) {
        const db_issue_example *e = &s->examples[t];
        sqlite3_bind_text(st, 2, e->test ? "test" : "train", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, e->row);
        sqlite3_bind_text(st, 4, e->dataset_id ? e->dataset_id : "", -1, SQLITE_STATIC);
        db_sql_bind_text_or_null(st, 5, e->label);
        db_sql_bind_text_or_null(st, 6, e->image_path);
        int bytes = e->pixels ? e->image_w * e->image_h * e->channels : 0;
        sqlite3_bind_int(st, 7, bytes ? e->image_w : 0);
        sqlite3_bind_int(st, 8, bytes ? e->image_h : 0);
        sqlite3_bind_int(st, 9, bytes ? e->channels : 0);
        if (bytes > 0) sqlite3_bind_blob(st, 10, e->pixels, bytes, SQLITE_STATIC);
        else sqlite3_bind_null(st, 10);
        db_sql_bind_text_or_null(st, 11, e->features);
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert issue example");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

/* Queue rows for examples with a non-leak issue and none yet, in the order
 * of their most severe issue; then the carry-over for them. */
static const char db_issues_queue_sql[] =
    "INSERT INTO queue (run_id, row, dataset_id)"
    " SELECT e.run_id, e.row, e.dataset_id FROM examples e"
    " JOIN (SELECT row, min(rank) AS first FROM example_issues"
    "       WHERE run_id = ?1 AND issue <> 'leakage' GROUP BY row) i ON i.row = e.row"
    " WHERE e.run_id = ?1 AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.run_id = ?1 AND q.row = e.row)"
    " ORDER BY i.first";

static int db_issues_put_queue(sqlite3 *db, int64_t run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, db_issues_queue_sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    if (db_sql_step_done(db, st, "queue issues", err)) return err->status;
    return db_write_carry(db, run_id, err);
}

static int db_issues_put_test(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err)
{
    if (!s->test_path) return 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT OR REPLACE INTO run_test_split (run_id, path, n) VALUES (?1,?2,?3)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, s->test_path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, s->n_test);
    return db_sql_step_done(db, st, "insert test split", err);
}

int db_issues_record(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err)
{
    assert(db && s && err);
    assert(s->n_rows == 0 || s->rows);
    assert(s->n_examples == 0 || s->examples);
    int status = db_issues_check(db, run_id, s, err);
    if (status) return status;
    if ((status = db_sql_exec(db, "SAVEPOINT issues", err))) return status;
    status = db_issues_put_rows(db, run_id, s, err);
    if (!status) status = db_issues_put_examples(db, run_id, s, err);
    if (!status) status = db_issues_put_test(db, run_id, s, err);
    if (!status) status = db_issues_put_queue(db, run_id, err);
    if (!status) status = db_sql_exec(db, "RELEASE issues", err);
    if (status) sqlite3_exec(db, "ROLLBACK TO issues; RELEASE issues", NULL, NULL, NULL);
    return status;
}

/* ---- reading ------------------------------------------------------------- */

/* Run run_id's issues in rank order, of type `issue` (NULL = any) and of
 * training row `row` (< 0 = any). */
static int issues_query(sqlite3 *db, int64_t run_id, const char *issue, int64_t row, db_issues *out, la_error *err)
{
    assert(db && out && err);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT rank, row, partner, partner_split, issue, score FROM example_issues"
                           " WHERE run_id = ?1 AND (?2 IS NULL OR issue = ?2) AND (?3 < 0 OR row = ?3)"
                           " ORDER BY rank", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    db_sql_bind_text_or_null(st, 2, issue);
    sqlite3_bind_int64(st, 3, row);
    size_t cap = 0;
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t nc = cap ? 2 * cap : 64;
            db_issue *v = realloc(out->v, nc * sizeof *v);
            if (!v) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
            out->v = v;
            cap = nc;
        }
        db_issue *d = &out->v[out->n];
        d->rank = sqlite3_column_int64(st, 0);
        d->row = sqlite3_column_int64(st, 1);
        d->partner = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
        const unsigned char *split = sqlite3_column_text(st, 3);
        d->partner_test = split && !strcmp((const char *)split, "test");
        d->score = sqlite3_column_double(st, 5);
        if (!(d->issue = db_sql_col_strdup(st, 4))) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
        out->n++;
    }
    if (!status && rc != SQLITE_DONE) status = db_sql_fail(db, err, "load issues");
    sqlite3_finalize(st);
    if (status) db_issues_free(out);
    return status;
}

int db_issues_load(sqlite3 *db, int64_t run_id, const char *issue, db_issues *out, la_error *err)
{
    return issues_query(db, run_id, issue, -1, out, err);
}

int db_issues_load_row(sqlite3 *db, int64_t run_id, int64_t row, db_issues *out, la_error *err)
{
    return issues_query(db, run_id, NULL, row < 0 ? INT64_MAX : row, out, err);
}

void db_issues_free(db_issues *l)
{
    if (!l) return;
    for (size_t t = 0; t < l->n; t++) free(l->v[t].issue);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int db_issues_counts(sqlite3 *db, int64_t run_id, db_issue_count **out, size_t *n, la_error *err)
{
    assert(db && out && n && err);
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT issue, count(*) FROM example_issues WHERE run_id = ?1"
                           " GROUP BY issue ORDER BY min(rank)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        db_issue_count *v = realloc(*out, (*n + 1) * sizeof *v);
        if (!v) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
        *out = v;
        v[*n].n = sqlite3_column_int64(st, 1);
        if (!(v[*n].issue = db_sql_col_strdup(st, 0))) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
        (*n)++;
    }
    if (!status && rc != SQLITE_DONE) status = db_sql_fail(db, err, "count issues");
    sqlite3_finalize(st);
    if (status) { db_issues_counts_free(*out, *n); *out = NULL; *n = 0; }
    return status;
}

void db_issues_counts_free(db_issue_count *c, size_t n)
{
    for (size_t t = 0; c && t < n; t++) free(c[t].issue);
    free(c);
}

/* Copies the current row of `SELECT dataset_id, label, image_path, image_w,
 * image_h, channels, pixels, features` into e. 0 or -1 (out of memory). */
static int db_issues_read_example(sqlite3_stmt *st, db_issue_example *e)
{
    e->dataset_id = db_sql_col_strdup(st, 0);
    e->label = db_sql_col_strdup(st, 1);
    e->image_path = db_sql_col_strdup(st, 2);
    e->features = db_sql_col_strdup(st, 7);
    int len = sqlite3_column_bytes(st, 6);
    const void *blob = sqlite3_column_blob(st, 6);
    if (blob && len > 0) {
        if (!(e->pixels = malloc((size_t)len))) return -1;
        memcpy(e->pixels, blob, (size_t)len);
        e->image_w = sqlite3_column_int(st, 3);
        e->image_h = sqlite3_column_int(st, 4);
        e->channels = sqlite3_column_int(st, 5);
        if ((long long)e->image_w * e->image_h * e->channels != len) {
            free(e->pixels);                  /* a shape that disagrees: no pixels */
            e->pixels = NULL;
            e->image_w = e->image_h = e->channels = 0;
        }
    }
    return e->dataset_id ? 0 : -1;
}

int db_issues_example(sqlite3 *db, int64_t run_id, int test, int64_t row, db_issue_example *out, int *found,
                      la_error *err)
{
    assert(db && out && found && err);
    memset(out, 0, sizeof *out);
    *found = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT dataset_id, label, image_path, image_w, image_h, channels, pixels, features"
                           " FROM issue_examples WHERE run_id = ?1 AND split = ?2 AND row = ?3", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, test ? "test" : "train", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, row);
    int rc = sqlite3_step(st), status = 0;
    if (rc == SQLITE_ROW) {
        out->test = test;
        out->row = row;
        if (db_issues_read_example(st, out)) status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        else *found = 1;
    } else if (rc != SQLITE_DONE) {
        status = db_sql_fail(db, err, "load issue example");
    }
    sqlite3_finalize(st);
    if (status) db_issue_example_free(out);
    return status;
}

void db_issue_example_free(db_issue_example *e)
{
    if (!e) return;
    free(e->dataset_id);
    free(e->label);
    free(e->image_path);
    free(e->pixels);
    free(e->features);
    memset(e, 0, sizeof *e);
}

int db_issues_test_split(sqlite3 *db, int64_t run_id, char **path, int64_t *n, la_error *err)
{
    assert(db && path && n && err);
    *path = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT path, n FROM run_test_split WHERE run_id = ?1", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st), status = 0;
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 1);
        if (!(*path = db_sql_col_strdup(st, 0))) status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    } else if (rc != SQLITE_DONE) {
        status = db_sql_fail(db, err, "load test split");
    }
    sqlite3_finalize(st);
    return status;
}
