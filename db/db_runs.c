/*
 * db_runs.c — read-only run queries for `labelaudit check`: the latest audit
 * run, the run before a given one on the same dataset, and a run's stored
 * summary.json. Nothing here writes; every value is bound as a parameter.
 * Declarations: the "Run queries for check" section of db.h.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_sql.h"

int db_latest_audit_run(sqlite3 *db, int64_t *run_id, la_error *err)
{
    int found;
    *run_id = 0;
    if (db_sql_latest_run(db, "audit", run_id, &found, err)) return err->status;
    if (!found)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "no audit runs in the database");
    return 0;
}

int db_previous_run(sqlite3 *db, int64_t run_id, int64_t *prev_id, la_error *err)
{
    static const char sql[] =
        "SELECT p.id FROM runs r JOIN runs p ON p.dataset_path = r.dataset_path"
        " WHERE r.id = ?1 AND p.id < r.id AND p.kind = 'audit' ORDER BY p.id DESC LIMIT 1";
    sqlite3_stmt *st;
    *prev_id = 0;
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *prev_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_sql_fail(db, err, "previous run");
    return 0;
}

void db_run_brief_free(db_run_brief *r)
{
    if (!r) return;
    free(r->created_at);
    free(r->kind);
    free(r->dataset_path);
    free(r->summary_json);
    memset(r, 0, sizeof *r);
}

int db_load_run_brief(sqlite3 *db, int64_t run_id, db_run_brief *out, la_error *err)
{
    static const char sql[] =
        "SELECT id, created_at, kind, dataset_path, summary_json FROM runs WHERE id = ?1";
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "no run %lld in the database", (long long)run_id);
    }
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return db_sql_fail(db, err, "load run");
    }
    out->id = sqlite3_column_int64(st, 0);
    out->created_at = db_sql_col_strdup(st, 1);
    out->kind = db_sql_col_strdup(st, 2);
    out->dataset_path = db_sql_col_strdup(st, 3);
    out->summary_json = db_sql_col_strdup(st, 4);
    sqlite3_finalize(st);
    if (!out->created_at || !out->kind || !out->dataset_path || !out->summary_json) {
        db_run_brief_free(out);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory loading run %lld",
                            (long long)run_id);
    }
    return 0;
}
