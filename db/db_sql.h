/*
 * db_sql.h — the private SQL helpers of db/: one way to report an SQLite
 * failure, prepare a statement, run a statement, copy a column, and read the
 * queue rows every reader returns. Internal to db/: nothing outside db/
 * includes it (db.h is the public contract). Every helper binds values as
 * parameters and leaves no statement open on any return.
 */
#ifndef LA_DB_SQL_H
#define LA_DB_SQL_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "db.h"

/* Fills err with LA_EINTERNAL "sqlite: WHAT: <sqlite's message>", naming the
 * database file; returns LA_EINTERNAL. */
int db_sql_fail(sqlite3 *db, la_error *err, const char *what);

/* Runs one or more statements without parameters (BEGIN, COMMIT, PRAGMA).
 * 0, or LA_EINTERNAL with sqlite's message. */
int db_sql_exec(sqlite3 *db, const char *sql, la_error *err);

/* Prepares sql into *st. 0, or LA_EINTERNAL ("prepare") with *st = NULL. */
int db_sql_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, la_error *err);

/* Steps a prepared statement that returns no rows, then finalizes it.
 * 0 when it ran to SQLITE_DONE, else LA_EINTERNAL naming `what`. */
int db_sql_step_done(sqlite3 *db, sqlite3_stmt *st, const char *what, la_error *err);

/* Rolls back the open transaction, if any (nothing when in autocommit). */
void db_sql_rollback(sqlite3 *db);

/* A copy of text column i (malloc'd), or NULL when the value is NULL. */
char *db_sql_col_strdup(sqlite3_stmt *st, int i);

/* Binds s, or NULL when s is NULL (SQLITE_STATIC: s must outlive the step). */
void db_sql_bind_text_or_null(sqlite3_stmt *st, int i, const char *s);

/* The id of the most recent run (largest id), of kind `kind` ('audit') or of
 * any kind (kind NULL): *run_id, and *found = 0 when there is none (not an
 * error). 0 or LA_EINTERNAL. */
int db_sql_latest_run(sqlite3 *db, const char *kind, int64_t *run_id, int *found, la_error *err);

/* Carries decisions of earlier runs of the same dataset_path over to run
 * run_id's queue rows that are pending and carried from nowhere, logging each
 * (db_write.c; db_record_audit's own carry-over, for rows added after it).
 * 0, LA_EUSAGE (no such run) or LA_EINTERNAL. */
int db_write_carry(sqlite3 *db, int64_t run_id, la_error *err);

/* The columns of queue_view every queue reader selects, in item order. */
#define DB_SQL_ITEM_COLUMNS \
    "queue_id, row, dataset_id, given, suggested, quality, rank, image_path, features," \
    " status, new_label, reviewer, decided_at, note, version, carried_from, disagrees, verdict, suggested_p"

/* Steps a prepared SELECT of DB_SQL_ITEM_COLUMNS into *out (free with
 * db_items_free), at most max_rows rows (0 = no limit), then finalizes st.
 * A NULL dataset_id reads as "", a NULL status as "pending". 0, or
 * LA_EINTERNAL (out is then empty). */
int db_sql_collect_items(sqlite3 *db, sqlite3_stmt *st, size_t max_rows, db_items *out,
                         la_error *err);

#endif
