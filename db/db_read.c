/*
 * db_read.c — reading runs back for the report, check and clean: the latest
 * run, a run with its per-class table and matrices, its flagged examples in
 * rank order (keyset paging), its given labels and attached metrics.
 * Read-only; callers wanting one consistent view wrap the reads in
 * db_snapshot_begin / db_snapshot_end.
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_sql.h"

int db_latest_run(sqlite3 *db, int64_t *run_id, la_error *err)
{
    int found;
    if (db_sql_latest_run(db, NULL, run_id, &found, err)) return err->status;
    if (!found)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "the database holds no runs yet (record one with audit --db)");
    return 0;
}

int db_list_runs(sqlite3 *db, int64_t **ids, size_t *n, la_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT id FROM runs ORDER BY id", &st, err)) return err->status;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            int64_t *p = realloc(*ids, cap * sizeof *p);
            if (!p) {
                sqlite3_finalize(st);
                free(*ids), *ids = NULL, *n = 0;
                return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            }
            *ids = p;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*ids), *ids = NULL, *n = 0;
        return db_sql_fail(db, err, "list runs");
    }
    return 0;
}

void db_run_free(db_run *run)
{
    if (!run) return;
    free(run->created_at); free(run->version); free(run->kind);
    free(run->dataset_path); free(run->dataset_hash); free(run->labels_path);
    free(run->pred_probs_path); free(run->method); free(run->rank_by);
    free(run->options_json); free(run->summary_json);
    if (run->class_names)
        for (int64_t c = 0; c < run->k; c++) free(run->class_names[c]);
    free(run->class_names); free(run->given_count); free(run->num_issues);
    free(run->class_error_rate); free(run->class_quality);
    free(run->confident_joint); free(run->noise_matrix);
    memset(run, 0, sizeof *run);
}

static int load_run_row(sqlite3 *db, int64_t run_id, db_run *r, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT created_at, version, kind, dataset_path, dataset_hash, labels_path,"
                    " pred_probs_path, n, k, method, rank_by, options_json, summary_json,"
                    " error_rate, health, num_flagged,"
                    " EXISTS (SELECT 1 FROM examples WHERE run_id = runs.id AND rank IS NOT NULL"
                    "         AND image_path IS NOT NULL)"
                    " FROM runs WHERE id = ?", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->id = run_id;
        r->created_at = db_sql_col_strdup(st, 0);
        r->version = db_sql_col_strdup(st, 1);
        r->kind = db_sql_col_strdup(st, 2);
        r->dataset_path = db_sql_col_strdup(st, 3);
        r->dataset_hash = db_sql_col_strdup(st, 4);
        r->labels_path = db_sql_col_strdup(st, 5);
        r->pred_probs_path = db_sql_col_strdup(st, 6);
        r->n = sqlite3_column_int64(st, 7);
        r->k = sqlite3_column_int64(st, 8);
        r->method = db_sql_col_strdup(st, 9);
        r->rank_by = db_sql_col_strdup(st, 10);
        r->options_json = db_sql_col_strdup(st, 11);
        r->summary_json = db_sql_col_strdup(st, 12);
        r->error_rate = sqlite3_column_double(st, 13);
        r->health = sqlite3_column_double(st, 14);
        r->num_flagged = sqlite3_column_int64(st, 15);
        r->has_images = sqlite3_column_int(st, 16);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "no run %" PRId64 " in the database", run_id);
    if (rc != SQLITE_ROW) return db_sql_fail(db, err, "load run");
    if (r->k < 0 || r->k > 1000000)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "run %" PRId64 " has an implausible class count %" PRId64, run_id, r->k);
    return 0;
}

/* The run's per-class rows into r (k entries already allocated); a class
 * without a row gets the name "class C" so callers never see NULL. */
static int load_classes(sqlite3 *db, int64_t run_id, db_run *r, la_error *err)
{
    size_t k = (size_t)r->k;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT class_index, name, given_count, num_issues, error_rate,"
                           " quality FROM run_classes WHERE run_id = ? ORDER BY class_index", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t c = sqlite3_column_int64(st, 0);
        if (c < 0 || (size_t)c >= k || r->class_names[c]) continue;
        r->class_names[c] = db_sql_col_strdup(st, 1);
        r->given_count[c] = sqlite3_column_int64(st, 2);
        r->num_issues[c] = sqlite3_column_int64(st, 3);
        r->class_error_rate[c] = sqlite3_column_double(st, 4);
        r->class_quality[c] = sqlite3_column_double(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_sql_fail(db, err, "load classes");
    for (size_t c = 0; c < k; c++) {
        if (r->class_names[c]) continue;
        char name[32];
        snprintf(name, sizeof name, "class %zu", c);  /* never NULL for callers */
        if (!(r->class_names[c] = la_strdup(name)))
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    return 0;
}

/* The run's confident joint and noise matrix into r (k x k, zeroed). */
static int load_matrices(sqlite3 *db, int64_t run_id, db_run *r, la_error *err)
{
    size_t k = (size_t)r->k;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT name, row, col, value FROM run_matrices WHERE run_id = ?", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t i = sqlite3_column_int64(st, 1), j = sqlite3_column_int64(st, 2);
        if (!name || i < 0 || j < 0 || (size_t)i >= k || (size_t)j >= k) continue;
        double *m = !strcmp(name, "confident_joint") ? r->confident_joint
                  : !strcmp(name, "noise_matrix")    ? r->noise_matrix : NULL;
        if (m) m[(size_t)i * k + (size_t)j] = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, "load matrices");
}

int db_load_run(sqlite3 *db, int64_t run_id, db_run *r, la_error *err)
{
    assert(db && r);
    memset(r, 0, sizeof *r);
    int status = load_run_row(db, run_id, r, err);
    if (status) goto fail;
    size_t k = (size_t)r->k;
    r->class_names = la_calloc(k, sizeof *r->class_names);
    r->given_count = la_calloc(k, sizeof *r->given_count);
    r->num_issues = la_calloc(k, sizeof *r->num_issues);
    r->class_error_rate = la_calloc(k, sizeof *r->class_error_rate);
    r->class_quality = la_calloc(k, sizeof *r->class_quality);
    r->confident_joint = la_calloc(k * k, sizeof *r->confident_joint);
    r->noise_matrix = la_calloc(k * k, sizeof *r->noise_matrix);
    if (!r->class_names || !r->given_count || !r->num_issues || !r->class_error_rate ||
        !r->class_quality || !r->confident_joint || !r->noise_matrix) {
        status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto fail;
    }
    if ((status = load_classes(db, run_id, r, err)) || (status = load_matrices(db, run_id, r, err)))
        goto fail;
    return 0;
fail:
    db_run_free(r);
    return status;
}

/* ---- reading the queue ------------------------------------------------ */

int db_count_flagged(sqlite3 *db, int64_t run_id, int64_t given_class, int64_t *count,
                     la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT count(*) FROM examples WHERE run_id = ?1 AND rank IS NOT NULL"
                    " AND (?2 < 0 OR given = ?2)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, given_class);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_sql_fail(db, err, "count flagged");
}

int db_load_flagged(sqlite3 *db, int64_t run_id, int64_t given_class, int64_t after_rank,
                    int64_t limit, db_items *out, la_error *err)
{
    assert(db && out && limit >= 0);
    memset(out, 0, sizeof *out);
    /* Two statements so that each uses its own (run_id[, given], rank) index. */
    const char *sql = given_class < 0
        ? "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE run_id = ?1 AND rank > ?2"
          " ORDER BY rank LIMIT ?3"
        : "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE run_id = ?1 AND rank > ?2"
          " AND given = ?4 ORDER BY rank LIMIT ?3";
    sqlite3_stmt *st;
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, after_rank);
    sqlite3_bind_int64(st, 3, limit);
    if (given_class >= 0) sqlite3_bind_int64(st, 4, given_class);
    if (limit == 0) {
        sqlite3_finalize(st);
        return 0;
    }
    return db_sql_collect_items(db, st, (size_t)limit, out, err);
}

int db_load_item_in_run(sqlite3 *db, int64_t run_id, int64_t queue_id, db_items *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE queue_id = ?1"
                           " AND (?2 <= 0 OR run_id = ?2)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_int64(st, 2, run_id);
    int status = db_sql_collect_items(db, st, 1, out, err);
    if (!status && out->n == 0) {
        db_items_free(out);
        if (run_id > 0)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64 " in run %" PRId64,
                                queue_id, run_id);
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64, queue_id);
    }
    return status;
}

int db_load_item(sqlite3 *db, int64_t queue_id, db_items *out, la_error *err)
{
    return db_load_item_in_run(db, 0, queue_id, out, err);
}

int db_load_given(sqlite3 *db, int64_t run_id, int32_t **given, size_t *n, la_error *err)
{
    *given = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT n FROM runs WHERE id = ?", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    int64_t total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (total < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no run %" PRId64, run_id);
    int32_t *g = la_calloc((size_t)total ? (size_t)total : 1, sizeof *g);
    if (!g) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (db_sql_prepare(db, "SELECT row, given FROM examples WHERE run_id = ?", &st, err)) {
        free(g);
        return err->status;
    }
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t row = sqlite3_column_int64(st, 0);
        if (row >= 0 && row < total) g[row] = (int32_t)sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(g);
        return db_sql_fail(db, err, "load labels");
    }
    *given = g;
    *n = (size_t)total;
    return 0;
}

int db_load_metrics(sqlite3 *db, int64_t run_id, const char *kind, char **json, la_error *err)
{
    *json = NULL;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT metrics_json FROM run_metrics WHERE run_id = ?1"
                    " AND (?2 IS NULL OR kind = ?2) ORDER BY id DESC LIMIT 1", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    db_sql_bind_text_or_null(st, 2, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *json = db_sql_col_strdup(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_sql_fail(db, err, "load metrics");
    if (rc == SQLITE_ROW && !*json) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return 0;
}
