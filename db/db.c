/*
 * db.c — opening the labelaudit database: migrations (schema/NNN_name.sql,
 * embedded at build time; PRAGMA user_version is the number applied), the
 * per-connection settings, read snapshots and the clock every record uses.
 * Not here: runs (db_write.c, db_read.c), decisions (db_decide.c), the review
 * queue (db_review.c). Invariant: a migration is all-or-nothing, under the
 * write lock, and a database from a newer labelaudit is never touched.
 */
#include "db.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "db_sql.h"
#include "schema_sql.h"

void db_now_iso(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(out, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + len, 32 - len, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);
}

/* ---- open and migrate ------------------------------------------------- */

static int schema_latest(void)
{
    int n = 0;
    while (db_schema_files[n]) n++;
    return n;
}

static int read_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Applies schema files [from, latest) and sets user_version, inside the
 * caller's transaction. */
static int migrate(sqlite3 *db, const char *path, int from, la_error *err)
{
    int latest = schema_latest();
    for (int v = from; v < latest; v++) {
        char *msg = NULL;
        if (sqlite3_exec(db, db_schema_files[v], NULL, NULL, &msg) != SQLITE_OK) {
            la_error_set(err, LA_EINTERNAL, path, 0, "applying schema %s: %s",
                         db_schema_names[v], msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            return LA_EINTERNAL;
        }
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", latest); /* PRAGMA takes no bind */
    return db_sql_exec(db, sql, err);
}

/* Migrates under the write lock, all or nothing: re-reads user_version
 * there, since another process may have migrated meanwhile. */
static int migrate_locked(sqlite3 *db, const char *path, la_error *err)
{
    int version = 0;
    if (db_sql_exec(db, "BEGIN IMMEDIATE", err)) return err->status;
    int status = read_int(db, "PRAGMA user_version", &version) != SQLITE_OK
        ? db_sql_fail(db, err, "user_version") : 0;
    if (!status && version < schema_latest()) status = migrate(db, path, version, err);
    if (!status) status = db_sql_exec(db, "COMMIT", err);
    if (status) db_sql_rollback(db);
    return status;
}

int db_open(const char *path, sqlite3 **out, la_error *err)
{
    assert(path && out);
    *out = NULL;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        la_error_set(err, LA_EUSAGE, path, 0, "cannot open database: %s",
                     db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return LA_EUSAGE;
    }
    sqlite3_busy_timeout(db, 10000);   /* a reviewer's write waits for another's */
    sqlite3_extended_result_codes(db, 0);

    int version = 0, tables = 0;
    int rc = read_int(db, "PRAGMA user_version", &version);
    if (rc == SQLITE_OK) rc = read_int(db, "SELECT count(*) FROM sqlite_master", &tables);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
        la_error_set(err, LA_EUSAGE, path, 0, "not a labelaudit database (not SQLite)");
        goto fail;
    }
    if (rc != SQLITE_OK) {
        la_error_set(err, LA_EUSAGE, path, 0, "cannot read database: %s", sqlite3_errmsg(db));
        goto fail;
    }
    int latest = schema_latest();
    if (version > latest) {
        la_error_set(err, LA_EUSAGE, path, 0,
                     "database schema version %d is newer than this labelaudit %s "
                     "understands (%d); use a newer labelaudit", version, LA_VERSION, latest);
        goto fail;
    }
    if (version == 0 && tables > 0) {
        la_error_set(err, LA_EUSAGE, path, 0,
                     "not a labelaudit database (it has tables but no schema version)");
        goto fail;
    }
    /* WAL and foreign keys are per-connection / per-file settings made
     * outside any transaction. WAL lets the report read while serve writes. */
    /* A 64 MB page cache keeps the example indexes in memory while a large
     * run is written (the 2 MB default thrashes past ~100k examples). */
    if (db_sql_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536", err))
        goto fail;
    if (version < latest && migrate_locked(db, path, err)) goto fail;
    *out = db;
    return 0;
fail:
    sqlite3_close(db);
    return err->status ? err->status : LA_EINTERNAL;
}

void db_close(sqlite3 *db)
{
    if (db) sqlite3_close(db);
}

int db_snapshot_begin(sqlite3 *db, la_error *err)
{
    return db_sql_exec(db, "BEGIN DEFERRED", err);
}

void db_snapshot_end(sqlite3 *db)
{
    db_sql_rollback(db);   /* nothing was written: ending the read is all it does */
}
