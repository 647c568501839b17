/*
 * db_retrain.c — the queries `clean` needs beyond the review-queue API: the
 * dataset ids of every example of a run, in row order, so a cleaned dataset
 * can be checked against the run it claims to clean. Read-only; every value
 * is bound as a parameter. Declarations: the "clean / retrain" section of db.h.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "db_sql.h"

void db_free_ids(char **ids, size_t n)
{
    if (!ids) return;
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

int db_example_ids(sqlite3 *db, int64_t run_id, char ***ids, size_t *n, la_error *err)
{
    static const char sql[] = "SELECT row, dataset_id FROM examples WHERE run_id = ?1 ORDER BY row";
    const char *file = sqlite3_db_filename(db, "main");
    sqlite3_stmt *st = NULL;
    size_t cnt = 0, cap = 0;
    char **v = NULL;
    *ids = NULL;
    *n = 0;
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* rows are 0..n-1 without gaps (db_record_audit writes them so) */
        if (sqlite3_column_int64(st, 0) != (int64_t)cnt) {
            sqlite3_finalize(st);
            db_free_ids(v, cnt);
            return la_error_set(err, LA_EUSAGE, file, 0, "run %lld: example rows are not 0..n-1",
                                (long long)run_id);
        }
        if (cnt == cap) {
            size_t nc = cap ? 2 * cap : 1024;
            char **nv = realloc(v, nc * sizeof *nv);
            if (!nv) goto oom;
            v = nv;
            cap = nc;
        }
        const unsigned char *s = sqlite3_column_text(st, 1);
        if (!(v[cnt] = la_strdup(s ? (const char *)s : ""))) goto oom;
        cnt++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db_free_ids(v, cnt);
        return db_sql_fail(db, err, "example ids");
    }
    *ids = v;
    *n = cnt;
    return 0;
oom:
    sqlite3_finalize(st);
    db_free_ids(v, cnt);
    return la_error_set(err, LA_EINTERNAL, file, 0, "out of memory");
}
