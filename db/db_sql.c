/*
 * db_sql.c — the private SQL helpers of db/ (db_sql.h): error reporting,
 * prepare / exec / step, column copies, the latest-run query and the queue-row
 * reader shared by every query over queue_view.
 */
#include "db_sql.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

int db_sql_fail(sqlite3 *db, la_error *err, const char *what)
{
    return la_error_set(err, LA_EINTERNAL, sqlite3_db_filename(db, "main"), 0,
                        "sqlite: %s: %s", what, sqlite3_errmsg(db));
}

int db_sql_exec(sqlite3 *db, const char *sql, la_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    la_error_set(err, LA_EINTERNAL, sqlite3_db_filename(db, "main"), 0, "sqlite: %s",
                 msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return LA_EINTERNAL;
}

int db_sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, la_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK) return 0;
    *st = NULL;
    return db_sql_fail(db, err, "prepare");
}

int db_sql_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, la_error *err)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, what);
}

void db_sql_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

char *db_sql_col_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? la_strdup((const char *)s) : NULL;
}

void db_sql_bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

int db_sql_latest_run(sqlite3 *db, const char *kind, int64_t *run_id, int *found, la_error *err)
{
    sqlite3_stmt *st;
    *found = 0;
    if (db_sql_prepare(db, "SELECT max(id) FROM runs WHERE ?1 IS NULL OR kind = ?1", &st, err))
        return err->status;
    db_sql_bind_text_or_null(st, 1, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *run_id = sqlite3_column_int64(st, 0);
        *found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_sql_fail(db, err, "latest run");
}

/* A copy of nullable text column i; *ok is cleared when a value was not
 * copied for lack of memory. */
static char *col_copy(sqlite3_stmt *st, int i, int *ok)
{
    char *s = db_sql_col_strdup(st, i);
    if (!s && sqlite3_column_type(st, i) != SQLITE_NULL) *ok = 0;
    return s;
}

/* Queue rows are read here and freed here, beside the reader that makes them. */
static void item_free(db_item *it)
{
    free(it->dataset_id); free(it->image_path); free(it->features); free(it->status);
    free(it->reviewer); free(it->decided_at); free(it->note); free(it->verdict);
}

void db_items_free(db_items *items)
{
    if (!items) return;
    for (size_t i = 0; i < items->n; i++) item_free(&items->v[i]);
    free(items->v);
    items->v = NULL;
    items->n = 0;
}

/* Fills *it from a row of DB_SQL_ITEM_COLUMNS; 0, or -1 when out of memory
 * (then *it holds what was copied, for db_items_free). */
static int item_from_row(sqlite3_stmt *st, db_item *it)
{
    int ok = 1;
    memset(it, 0, sizeof *it);
    it->queue_id = sqlite3_column_int64(st, 0);
    it->row = sqlite3_column_int64(st, 1);
    it->dataset_id = col_copy(st, 2, &ok);
    it->given = sqlite3_column_int64(st, 3);
    it->suggested = sqlite3_column_int64(st, 4);
    it->quality = sqlite3_column_double(st, 5);
    it->rank = sqlite3_column_int64(st, 6);           /* NULL reads 0 */
    it->image_path = col_copy(st, 7, &ok);
    it->features = col_copy(st, 8, &ok);
    it->status = col_copy(st, 9, &ok);
    it->new_label = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 10);
    it->reviewer = col_copy(st, 11, &ok);
    it->decided_at = col_copy(st, 12, &ok);
    it->note = col_copy(st, 13, &ok);
    it->version = sqlite3_column_int(st, 14);
    it->carried_from = sqlite3_column_int64(st, 15);  /* NULL reads 0 */
    it->disagrees = sqlite3_column_int(st, 16);
    it->verdict = col_copy(st, 17, &ok);            /* schema 004; NULL = none */
    it->suggested_p = sqlite3_column_type(st, 18) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 18);
    if (ok && !it->dataset_id) ok = (it->dataset_id = la_strdup("")) != NULL;
    if (ok && !it->status) ok = (it->status = la_strdup("pending")) != NULL;
    return ok ? 0 : -1;
}

int db_sql_collect_items(sqlite3 *db, sqlite3_stmt *st, size_t max_rows, db_items *out,
                         la_error *err)
{
    size_t cap = 0;
    int rc = SQLITE_DONE, status = 0;
    out->n = 0;
    out->v = NULL;
    while ((max_rows == 0 || out->n < max_rows) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            db_item *nv = realloc(out->v, ncap * sizeof *nv);
            if (!nv) {
                status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
                break;
            }
            out->v = nv;
            cap = ncap;
        }
        if (item_from_row(st, &out->v[out->n++])) {
            status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            break;
        }
    }
    if (!status && rc != SQLITE_ROW && rc != SQLITE_DONE) status = db_sql_fail(db, err, "reading the queue");
    sqlite3_finalize(st);
    if (status) db_items_free(out);
    return status;
}
