/*
 * db.c — the labelaudit database: migrations, recording audit runs, reading
 * them back for reports, and the review-queue decisions with optimistic
 * locking. Not here: HTML, HTTP, file formats (callers hand us plain arrays).
 * Invariants: every write runs inside one BEGIN IMMEDIATE ... COMMIT and rolls
 * back completely on any failure; every value reaches SQL as a bound parameter
 * (class names and ids are hostile data); the decision_log is only appended.
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "schema_sql.h"

/* ---- small helpers ---------------------------------------------------- */

static int sql_fail(sqlite3 *db, la_error *err, const char *what)
{
    return la_error_set(err, LA_EINTERNAL, sqlite3_db_filename(db, "main"), 0,
                        "sqlite: %s: %s", what, sqlite3_errmsg(db));
}

static int exec_sql(sqlite3 *db, const char *sql, la_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK) return 0;
    la_error_set(err, LA_EINTERNAL, sqlite3_db_filename(db, "main"), 0, "sqlite: %s",
                 msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return LA_EINTERNAL;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, la_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK) return 0;
    *st = NULL;
    return sql_fail(db, err, "prepare");
}

static void rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static char *col_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s ? la_strdup((const char *)s) : NULL;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s) sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

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
    return exec_sql(db, sql, err);
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
    if (exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                     "PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536", err))
        goto fail;
    if (version < latest) {
        if (exec_sql(db, "BEGIN IMMEDIATE", err)) goto fail;
        /* Re-read under the write lock: another process may have migrated. */
        if (read_int(db, "PRAGMA user_version", &version) != SQLITE_OK) {
            sql_fail(db, err, "user_version");
            rollback(db);
            goto fail;
        }
        if (version < latest && migrate(db, path, version, err)) {
            rollback(db);
            goto fail;
        }
        if (exec_sql(db, "COMMIT", err)) {
            rollback(db);
            goto fail;
        }
    }
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

/* ---- recording an audit ----------------------------------------------- */

static int check_record(const db_audit_record *rec, la_error *err)
{
    const char *f = rec->dataset_path;
    if (rec->k == 0) return la_error_set(err, LA_EUSAGE, f, 0, "no classes");
    for (size_t c = 0; c < rec->k; c++)
        if (!rec->class_names || !rec->class_names[c])
            return la_error_set(err, LA_EUSAGE, f, 0, "class %zu has no name", c);
    for (size_t i = 0; i < rec->n; i++) {
        if (rec->given[i] < 0 || (size_t)rec->given[i] >= rec->k)
            return la_error_set(err, LA_EUSAGE, f, 0, "row %zu: given label %" PRId64
                                " outside 0..%zu", i, rec->given[i], rec->k - 1);
        if (rec->suggested[i] < 0 || (size_t)rec->suggested[i] >= rec->k)
            return la_error_set(err, LA_EUSAGE, f, 0, "row %zu: suggested label %" PRId64
                                " outside 0..%zu", i, rec->suggested[i], rec->k - 1);
    }
    for (size_t r = 0; r < rec->n_ranked; r++) {
        int64_t i = rec->ranked[r];
        if (i < 0 || (size_t)i >= rec->n)
            return la_error_set(err, LA_EUSAGE, f, 0, "ranked index %" PRId64 " outside 0..%zu",
                                i, rec->n - 1);
    }
    return 0;
}

static int insert_run(sqlite3 *db, const db_audit_record *rec, const char *dataset_path,
                      int64_t num_flagged, int64_t *run_id, la_error *err)
{
    static const char sql[] =
        "INSERT INTO runs (created_at, version, kind, dataset_path, dataset_hash, labels_path,"
        " pred_probs_path, n, k, method, rank_by, options_json, error_rate, health,"
        " num_flagged, summary_json) VALUES (?,?,'audit',?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    if (prepare(db, sql, &st, err)) return err->status;
    char now[32];
    db_now_iso(now);
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, LA_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dataset_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->dataset_hash ? rec->dataset_hash : "", -1, SQLITE_STATIC);
    bind_text_or_null(st, 5, rec->labels_path);
    bind_text_or_null(st, 6, rec->pred_probs_path);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)rec->n);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)rec->k);
    sqlite3_bind_text(st, 9, rec->method ? rec->method : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, rec->rank_by ? rec->rank_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, rec->options_json ? rec->options_json : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 12, rec->error_rate);
    sqlite3_bind_double(st, 13, rec->health);
    sqlite3_bind_int64(st, 14, num_flagged);
    sqlite3_bind_text(st, 15, rec->summary_json ? rec->summary_json : "{}", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(db, err, "insert run");
    *run_id = sqlite3_last_insert_rowid(db);
    return 0;
}

static int insert_classes(sqlite3 *db, const db_audit_record *rec, int64_t run_id, la_error *err)
{
    int64_t *count = la_calloc(rec->k, sizeof *count);
    if (!count) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < rec->n; i++) count[rec->given[i]]++;
    sqlite3_stmt *st;
    if (prepare(db, "INSERT INTO run_classes (run_id, class_index, name, given_count,"
                    " num_issues, error_rate, quality) VALUES (?,?,?,?,?,?,?)", &st, err)) {
        free(count);
        return err->status;
    }
    int status = 0;
    for (size_t c = 0; c < rec->k && !status; c++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)c);
        sqlite3_bind_text(st, 3, rec->class_names[c], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, count[c]);
        sqlite3_bind_int64(st, 5, rec->class_issues ? rec->class_issues[c] : 0);
        sqlite3_bind_double(st, 6, rec->class_error_rate ? rec->class_error_rate[c] : 0.0);
        sqlite3_bind_double(st, 7, rec->class_quality ? rec->class_quality[c] : 1.0);
        if (sqlite3_step(st) != SQLITE_DONE) status = sql_fail(db, err, "insert class");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(count);
    return status;
}

static int insert_matrices(sqlite3 *db, const db_audit_record *rec, int64_t run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "INSERT INTO run_matrices (run_id, name, row, col, value) VALUES (?,?,?,?,?)",
                &st, err))
        return err->status;
    int status = 0;
    size_t k = rec->k;
    for (int m = 0; m < 2 && !status; m++) {
        if (m == 0 && !rec->confident_joint) continue;
        if (m == 1 && !rec->noise_matrix) continue;
        for (size_t ij = 0; ij < k * k && !status; ij++) {
            double v = m == 0 ? (double)rec->confident_joint[ij] : rec->noise_matrix[ij];
            sqlite3_bind_int64(st, 1, run_id);
            sqlite3_bind_text(st, 2, m == 0 ? "confident_joint" : "noise_matrix", -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, (sqlite3_int64)(ij / k));
            sqlite3_bind_int64(st, 4, (sqlite3_int64)(ij % k));
            sqlite3_bind_double(st, 5, v);
            if (sqlite3_step(st) != SQLITE_DONE) status = sql_fail(db, err, "insert matrix");
            sqlite3_reset(st);
        }
    }
    sqlite3_finalize(st);
    return status;
}

/* One prepared INSERT reused for every example: the 1M-row path. */
static int insert_examples(sqlite3 *db, const db_audit_record *rec, const int64_t *rank,
                           int64_t run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "INSERT INTO examples (run_id, row, dataset_id, given, suggested, quality,"
                    " is_issue, rank, image_path, features) VALUES (?,?,?,?,?,?,?,?,?,?)",
                &st, err))
        return err->status;
    int status = 0;
    char rowid[32];
    sqlite3_bind_int64(st, 1, run_id);   /* bindings persist across resets */
    for (size_t i = 0; i < rec->n && !status; i++) {
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        if (rec->ids && rec->ids[i]) {
            sqlite3_bind_text(st, 3, rec->ids[i], -1, SQLITE_STATIC);
        } else {
            int len = snprintf(rowid, sizeof rowid, "%zu", i);
            sqlite3_bind_text(st, 3, rowid, len, SQLITE_TRANSIENT);
        }
        sqlite3_bind_int64(st, 4, rec->given[i]);
        sqlite3_bind_int64(st, 5, rec->suggested[i]);
        sqlite3_bind_double(st, 6, rec->quality ? rec->quality[i] : 1.0);
        sqlite3_bind_int(st, 7, rank[i] > 0 || (rec->is_issue && rec->is_issue[i]));
        if (rank[i] > 0) sqlite3_bind_int64(st, 8, rank[i]);
        else sqlite3_bind_null(st, 8);
        bind_text_or_null(st, 9, rec->image_paths ? rec->image_paths[i] : NULL);
        bind_text_or_null(st, 10, rec->features ? rec->features[i] : NULL);
        if (sqlite3_step(st) != SQLITE_DONE) status = sql_fail(db, err, "insert example");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return status;
}

/* Runs one statement with ?1 = run_id, ?2 = text (may be NULL). */
static int exec_run_stmt(sqlite3 *db, const char *sql, int64_t run_id, const char *text,
                         const char *what, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_bind_parameter_count(st) >= 2) bind_text_or_null(st, 2, text);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(db, err, what);
}

/* The queue: one row per ranked example, queue ids in rank order. */
static const char queue_sql[] =
    "INSERT INTO queue (run_id, row, dataset_id) SELECT run_id, row, dataset_id"
    " FROM examples WHERE run_id = ?1 AND rank IS NOT NULL ORDER BY rank";

/* Carry-over: each new queue row whose dataset_id was decided (non-pending) in
 * an earlier run on the same dataset_path takes the latest such decision
 * (by decided_at, then run). A relabel target is mapped by class name; when
 * the class no longer exists the decision is not carried. */
static const char carry_sql[] =
    "UPDATE queue AS q SET status = p.status, new_label = p.nl, reviewer = p.reviewer,"
    "  decided_at = p.decided_at, note = p.note, carried_from = p.id"
    " FROM (SELECT pq.id, pq.dataset_id, pq.status, pq.reviewer, pq.decided_at, pq.note,"
    "         (SELECT nc.class_index FROM run_classes pc JOIN run_classes nc"
    "            ON nc.run_id = ?1 AND nc.name = pc.name"
    "          WHERE pc.run_id = pq.run_id AND pc.class_index = pq.new_label) AS nl,"
    "         row_number() OVER (PARTITION BY pq.dataset_id"
    "                            ORDER BY pq.decided_at DESC, pq.run_id DESC) AS rn"
    "       FROM queue pq JOIN runs r ON r.id = pq.run_id"
    "       WHERE r.dataset_path = ?2 AND pq.run_id < ?1 AND pq.status <> 'pending') AS p"
    " WHERE q.run_id = ?1 AND q.dataset_id = p.dataset_id AND p.rn = 1"
    "   AND (p.status <> 'relabel' OR p.nl IS NOT NULL)";

static const char carry_log_sql[] =
    "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label, reviewer,"
    " note, source, at, version, prev_status)"
    " SELECT id, run_id, dataset_id, status, new_label, reviewer, note, 'carry', ?2,"
    "        version, 'pending' FROM queue WHERE run_id = ?1 AND carried_from IS NOT NULL";

int db_record_audit(sqlite3 *db, const db_audit_record *rec, int64_t *run_id, la_error *err)
{
    assert(db && rec && run_id);
    assert(rec->n == 0 || (rec->given && rec->suggested));
    assert(rec->n_ranked == 0 || rec->ranked);
    if (check_record(rec, err)) return err->status;

    /* rank[i] = 1-based position of i in `ranked`, 0 when not ranked */
    int64_t *rank = la_calloc(rec->n ? rec->n : 1, sizeof *rank);
    if (!rank) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int64_t num_flagged = 0;
    for (size_t r = 0; r < rec->n_ranked; r++) {
        int64_t i = rec->ranked[r];
        if (rank[i] == 0) rank[i] = (int64_t)r + 1, num_flagged++;
    }

    int status = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (status) {
        free(rank);
        return status;
    }
    char now[32];
    db_now_iso(now);
    /* Runs of one dataset are matched by path (carry-over, check's baseline):
     * store it absolute so that re-auditing from another directory matches. */
    char abs[PATH_MAX];
    const char *path = rec->dataset_path ? rec->dataset_path : "";
    if (*path && realpath(path, abs)) path = abs;
    int64_t id = 0;
    if (!status) status = insert_run(db, rec, path, num_flagged, &id, err);
    if (!status) status = insert_classes(db, rec, id, err);
    if (!status) status = insert_matrices(db, rec, id, err);
    if (!status) status = insert_examples(db, rec, rank, id, err);
    if (!status) status = exec_run_stmt(db, queue_sql, id, NULL, "fill queue", err);
    if (!status) status = exec_run_stmt(db, carry_sql, id, path, "carry decisions", err);
    if (!status) status = exec_run_stmt(db, carry_log_sql, id, now, "log carried decisions", err);
    if (!status) status = exec_sql(db, "COMMIT", err);
    free(rank);
    if (status) {
        rollback(db);
        return status;
    }
    *run_id = id;
    return 0;
}

int db_record_metrics(sqlite3 *db, int64_t run_id, const char *kind,
                      const char *metrics_json, la_error *err)
{
    assert(db && kind && metrics_json);
    json_error_t jerr;
    json_t *j = json_loads(metrics_json, 0, &jerr);
    if (!j)
        return la_error_set(err, LA_EUSAGE, NULL, jerr.line, "metrics are not valid JSON: %s",
                            jerr.text);
    json_decref(j);
    sqlite3_stmt *st;
    if (prepare(db, "INSERT INTO run_metrics (run_id, kind, created_at, metrics_json)"
                    " VALUES (?,?,?,?)", &st, err))
        return err->status;
    char now[32];
    db_now_iso(now);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, metrics_json, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no run %" PRId64 " to attach metrics to", run_id);
    return rc == SQLITE_DONE ? 0 : sql_fail(db, err, "insert metrics");
}

/* ---- reading runs ----------------------------------------------------- */

int db_snapshot_begin(sqlite3 *db, la_error *err)
{
    return exec_sql(db, "BEGIN DEFERRED", err);
}

void db_snapshot_end(sqlite3 *db)
{
    rollback(db);   /* nothing was written: ending the read is all it does */
}

int db_latest_run(sqlite3 *db, int64_t *run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "SELECT max(id) FROM runs", &st, err)) return err->status;
    int rc = sqlite3_step(st);
    int ok = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (ok) *run_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) return sql_fail(db, err, "latest run");
    if (!ok)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "the database holds no runs yet (record one with audit --db)");
    return 0;
}

int db_list_runs(sqlite3 *db, int64_t **ids, size_t *n, la_error *err)
{
    *ids = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (prepare(db, "SELECT id FROM runs ORDER BY id", &st, err)) return err->status;
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
        return sql_fail(db, err, "list runs");
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
    if (prepare(db, "SELECT created_at, version, kind, dataset_path, dataset_hash, labels_path,"
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
        r->created_at = col_strdup(st, 0);
        r->version = col_strdup(st, 1);
        r->kind = col_strdup(st, 2);
        r->dataset_path = col_strdup(st, 3);
        r->dataset_hash = col_strdup(st, 4);
        r->labels_path = col_strdup(st, 5);
        r->pred_probs_path = col_strdup(st, 6);
        r->n = sqlite3_column_int64(st, 7);
        r->k = sqlite3_column_int64(st, 8);
        r->method = col_strdup(st, 9);
        r->rank_by = col_strdup(st, 10);
        r->options_json = col_strdup(st, 11);
        r->summary_json = col_strdup(st, 12);
        r->error_rate = sqlite3_column_double(st, 13);
        r->health = sqlite3_column_double(st, 14);
        r->num_flagged = sqlite3_column_int64(st, 15);
        r->has_images = sqlite3_column_int(st, 16);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "no run %" PRId64 " in the database", run_id);
    if (rc != SQLITE_ROW) return sql_fail(db, err, "load run");
    if (r->k < 0 || r->k > 1000000)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "run %" PRId64 " has an implausible class count %" PRId64, run_id, r->k);
    return 0;
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
    sqlite3_stmt *st;
    if ((status = prepare(db, "SELECT class_index, name, given_count, num_issues, error_rate,"
                              " quality FROM run_classes WHERE run_id = ? ORDER BY class_index",
                          &st, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t c = sqlite3_column_int64(st, 0);
        if (c < 0 || (size_t)c >= k || r->class_names[c]) continue;
        r->class_names[c] = col_strdup(st, 1);
        r->given_count[c] = sqlite3_column_int64(st, 2);
        r->num_issues[c] = sqlite3_column_int64(st, 3);
        r->class_error_rate[c] = sqlite3_column_double(st, 4);
        r->class_quality[c] = sqlite3_column_double(st, 5);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        status = sql_fail(db, err, "load classes");
        goto fail;
    }
    for (size_t c = 0; c < k; c++) {
        if (r->class_names[c]) continue;
        char name[32];
        snprintf(name, sizeof name, "class %zu", c);  /* never NULL for callers */
        if (!(r->class_names[c] = la_strdup(name))) {
            status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            goto fail;
        }
    }
    if ((status = prepare(db, "SELECT name, row, col, value FROM run_matrices WHERE run_id = ?",
                          &st, err)))
        goto fail;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t i = sqlite3_column_int64(st, 1), j = sqlite3_column_int64(st, 2);
        if (!name || i < 0 || j < 0 || (size_t)i >= k || (size_t)j >= k) continue;
        double *m = !strcmp(name, "confident_joint") ? r->confident_joint
                  : !strcmp(name, "noise_matrix")    ? r->noise_matrix : NULL;
        if (m) m[(size_t)i * k + (size_t)j] = sqlite3_column_double(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        status = sql_fail(db, err, "load matrices");
        goto fail;
    }
    return 0;
fail:
    db_run_free(r);
    return status;
}

/* ---- reading the queue ------------------------------------------------ */

#define ITEM_COLUMNS \
    "queue_id, row, dataset_id, given, suggested, quality, rank, image_path, features," \
    " status, new_label, reviewer, decided_at, note, version, carried_from, disagrees"

static int item_from_row(sqlite3_stmt *st, db_item *it)
{
    it->queue_id = sqlite3_column_int64(st, 0);
    it->row = sqlite3_column_int64(st, 1);
    it->dataset_id = col_strdup(st, 2);
    it->given = sqlite3_column_int64(st, 3);
    it->suggested = sqlite3_column_int64(st, 4);
    it->quality = sqlite3_column_double(st, 5);
    it->rank = sqlite3_column_int64(st, 6);
    it->image_path = col_strdup(st, 7);
    it->features = col_strdup(st, 8);
    it->status = col_strdup(st, 9);
    it->new_label = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 10);
    it->reviewer = col_strdup(st, 11);
    it->decided_at = col_strdup(st, 12);
    it->note = col_strdup(st, 13);
    it->version = sqlite3_column_int(st, 14);
    it->carried_from = sqlite3_column_int64(st, 15);
    it->disagrees = sqlite3_column_int(st, 16);
    return it->dataset_id && it->status ? 0 : -1;
}

static void item_free(db_item *it)
{
    free(it->dataset_id); free(it->image_path); free(it->features); free(it->status);
    free(it->reviewer); free(it->decided_at); free(it->note);
}

void db_items_free(db_items *items)
{
    if (!items) return;
    for (size_t i = 0; i < items->n; i++) item_free(&items->v[i]);
    free(items->v);
    items->v = NULL;
    items->n = 0;
}

/* Steps a prepared SELECT of ITEM_COLUMNS into out (at most `cap` rows). */
static int collect_items(sqlite3 *db, sqlite3_stmt *st, size_t cap, db_items *out, la_error *err)
{
    out->n = 0;
    out->v = la_calloc(cap ? cap : 1, sizeof *out->v);
    if (!out->v) {
        sqlite3_finalize(st);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    int rc, status = 0;
    while (out->n < cap && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (item_from_row(st, &out->v[out->n++])) {
            status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            break;
        }
    }
    if (!status && out->n < cap && rc != SQLITE_DONE) status = sql_fail(db, err, "load queue");
    sqlite3_finalize(st);
    if (status) db_items_free(out);
    return status;
}

int db_count_flagged(sqlite3 *db, int64_t run_id, int64_t given_class, int64_t *count,
                     la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "SELECT count(*) FROM examples WHERE run_id = ?1 AND rank IS NOT NULL"
                    " AND (?2 < 0 OR given = ?2)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, given_class);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : sql_fail(db, err, "count flagged");
}

int db_load_flagged(sqlite3 *db, int64_t run_id, int64_t given_class, int64_t after_rank,
                    int64_t limit, db_items *out, la_error *err)
{
    assert(db && out && limit >= 0);
    memset(out, 0, sizeof *out);
    /* Two statements so that each uses its own (run_id[, given], rank) index. */
    const char *sql = given_class < 0
        ? "SELECT " ITEM_COLUMNS " FROM queue_view WHERE run_id = ?1 AND rank > ?2"
          " ORDER BY rank LIMIT ?3"
        : "SELECT " ITEM_COLUMNS " FROM queue_view WHERE run_id = ?1 AND rank > ?2"
          " AND given = ?4 ORDER BY rank LIMIT ?3";
    sqlite3_stmt *st;
    if (prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, after_rank);
    sqlite3_bind_int64(st, 3, limit);
    if (given_class >= 0) sqlite3_bind_int64(st, 4, given_class);
    return collect_items(db, st, (size_t)limit, out, err);
}

int db_load_item(sqlite3 *db, int64_t queue_id, db_items *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (prepare(db, "SELECT " ITEM_COLUMNS " FROM queue_view WHERE queue_id = ?", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    int status = collect_items(db, st, 1, out, err);
    if (!status && out->n == 0) {
        db_items_free(out);
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64, queue_id);
    }
    return status;
}

int db_load_given(sqlite3 *db, int64_t run_id, int32_t **given, size_t *n, la_error *err)
{
    *given = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (prepare(db, "SELECT n FROM runs WHERE id = ?", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    int64_t total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (total < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no run %" PRId64, run_id);
    int32_t *g = la_calloc((size_t)total ? (size_t)total : 1, sizeof *g);
    if (!g) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (prepare(db, "SELECT row, given FROM examples WHERE run_id = ?", &st, err)) {
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
        return sql_fail(db, err, "load labels");
    }
    *given = g;
    *n = (size_t)total;
    return 0;
}

int db_load_metrics(sqlite3 *db, int64_t run_id, const char *kind, char **json, la_error *err)
{
    *json = NULL;
    sqlite3_stmt *st;
    if (prepare(db, "SELECT metrics_json FROM run_metrics WHERE run_id = ?1"
                    " AND (?2 IS NULL OR kind = ?2) ORDER BY id DESC LIMIT 1", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    bind_text_or_null(st, 2, kind);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *json = col_strdup(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_fail(db, err, "load metrics");
    if (rc == SQLITE_ROW && !*json) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    return 0;
}

/* ---- decisions -------------------------------------------------------- */

static int valid_status(const char *s)
{
    static const char *const ok[] = {"pending", "keep", "relabel", "drop", "skip"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (s && !strcmp(s, ok[i])) return 1;
    return 0;
}

/* The queue row's state, read inside a write transaction. */
typedef struct queue_state {
    int64_t run_id, k, new_label, carried_from; /* new_label/carried_from: -1 / 0 = NULL */
    int     version;
    char   *status, *reviewer, *decided_at, *note, *dataset_id;
} queue_state;

static void queue_state_free(queue_state *q)
{
    free(q->status); free(q->reviewer); free(q->decided_at); free(q->note); free(q->dataset_id);
}

static int read_queue_state(sqlite3 *db, int64_t queue_id, queue_state *q, la_error *err)
{
    memset(q, 0, sizeof *q);
    sqlite3_stmt *st;
    if (prepare(db, "SELECT q.run_id, r.k, q.new_label, q.carried_from, q.version, q.status,"
                    " q.reviewer, q.decided_at, q.note, q.dataset_id"
                    " FROM queue q JOIN runs r ON r.id = q.run_id WHERE q.id = ?", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        q->run_id = sqlite3_column_int64(st, 0);
        q->k = sqlite3_column_int64(st, 1);
        q->new_label = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
        q->carried_from = sqlite3_column_int64(st, 3);
        q->version = sqlite3_column_int(st, 4);
        q->status = col_strdup(st, 5);
        q->reviewer = col_strdup(st, 6);
        q->decided_at = col_strdup(st, 7);
        q->note = col_strdup(st, 8);
        q->dataset_id = col_strdup(st, 9);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64, queue_id);
    if (rc != SQLITE_ROW) return sql_fail(db, err, "read queue entry");
    return 0;
}

static void bind_label(sqlite3_stmt *st, int i, int64_t label)
{
    if (label >= 0) sqlite3_bind_int64(st, i, label);
    else sqlite3_bind_null(st, i);
}

static void bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    if (id > 0) sqlite3_bind_int64(st, i, id);
    else sqlite3_bind_null(st, i);
}

/* Appends a log entry describing the change from `prev` to the given state. */
static int append_log(sqlite3 *db, int64_t queue_id, const queue_state *prev, const char *status,
                      int64_t new_label, const char *reviewer, const char *note,
                      const char *source, const char *at, int64_t undoes, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label,"
                    " reviewer, note, source, at, version, undoes, prev_status, prev_new_label,"
                    " prev_reviewer, prev_decided_at, prev_note, prev_carried_from)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_int64(st, 2, prev->run_id);
    sqlite3_bind_text(st, 3, prev->dataset_id ? prev->dataset_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    bind_label(st, 5, new_label);
    bind_text_or_null(st, 6, reviewer);
    bind_text_or_null(st, 7, note);
    sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, prev->version + 1);
    bind_id(st, 11, undoes);
    bind_text_or_null(st, 12, prev->status);
    bind_label(st, 13, prev->new_label);
    bind_text_or_null(st, 14, prev->reviewer);
    bind_text_or_null(st, 15, prev->decided_at);
    bind_text_or_null(st, 16, prev->note);
    bind_id(st, 17, prev->carried_from);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : sql_fail(db, err, "append decision log");
}

/* Sets the queue row's state if its version is still `version`; bumps it. */
static int update_queue(sqlite3 *db, int64_t queue_id, int version, const char *status,
                        int64_t new_label, const char *reviewer, const char *decided_at,
                        const char *note, int64_t carried_from, int *changed, la_error *err)
{
    sqlite3_stmt *st;
    if (prepare(db, "UPDATE queue SET status = ?, new_label = ?, reviewer = ?, decided_at = ?,"
                    " note = ?, carried_from = ?, version = version + 1"
                    " WHERE id = ? AND version = ?", &st, err))
        return err->status;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    bind_label(st, 2, new_label);
    bind_text_or_null(st, 3, reviewer);
    bind_text_or_null(st, 4, decided_at);
    bind_text_or_null(st, 5, note);
    bind_id(st, 6, carried_from);
    sqlite3_bind_int64(st, 7, queue_id);
    sqlite3_bind_int(st, 8, version);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return sql_fail(db, err, "update queue");
    *changed = sqlite3_changes(db);
    return 0;
}

int db_decide(sqlite3 *db, int64_t queue_id, int expected_version, const char *status,
              int new_label, const char *reviewer, const char *note, const char *source,
              la_error *err)
{
    assert(db);
    if (!valid_status(status))
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "decision must be pending, keep, relabel, drop or skip, not '%s'",
                            status ? status : "");
    if (strcmp(status, "relabel") != 0 && new_label != -1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "a new label is only allowed with relabel");
    if (!source || !*source) source = "api";
    int rc = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    queue_state q;
    if ((rc = read_queue_state(db, queue_id, &q, err))) goto done;
    if (!strcmp(status, "relabel") && (new_label < 0 || new_label >= q.k)) {
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "relabel needs a class index in 0..%" PRId64
                          ", got %d", q.k - 1, new_label);
        goto done;
    }
    if (q.version != expected_version) {
        rc = la_error_set(err, DB_CONFLICT, NULL, 0,
                          "queue entry %" PRId64 " (%s) was changed meanwhile by %s: now '%s'"
                          " (version %d, expected %d)", queue_id, q.dataset_id ? q.dataset_id : "",
                          q.reviewer ? q.reviewer : "someone", q.status ? q.status : "",
                          q.version, expected_version);
        goto done;
    }
    char now[32];
    db_now_iso(now);
    int pending = !strcmp(status, "pending");   /* back to pending clears the decision */
    int changed = 0;
    rc = update_queue(db, queue_id, q.version, status, new_label, pending ? NULL : reviewer,
                      pending ? NULL : now, pending ? NULL : note, 0, &changed, err);
    if (!rc && changed != 1) rc = la_error_set(err, DB_CONFLICT, NULL, 0, "queue entry %" PRId64
                                               " was changed meanwhile", queue_id);
    if (!rc) rc = append_log(db, queue_id, &q, status, new_label, reviewer, note, source, now, 0, err);
    if (!rc) rc = exec_sql(db, "COMMIT", err);
done:
    if (rc) rollback(db);
    queue_state_free(&q);
    return rc;
}

int db_undo_last(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *queue_id,
                 la_error *err)
{
    assert(db);
    if (!reviewer) return la_error_set(err, LA_EUSAGE, NULL, 0, "undo needs a reviewer name");
    int rc = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    queue_state q = {0}, prev = {0};
    int64_t entry = 0, qid = 0;
    sqlite3_stmt *st = NULL;
    /* The reviewer's latest own decision that no undo entry points at. */
    if ((rc = prepare(db, "SELECT l.id, l.queue_id, l.prev_status, l.prev_new_label,"
                          " l.prev_reviewer, l.prev_decided_at, l.prev_note, l.prev_carried_from"
                          " FROM decision_log l WHERE l.reviewer = ?1"
                          " AND l.source NOT IN ('undo', 'carry') AND (?2 <= 0 OR l.run_id = ?2)"
                          " AND NOT EXISTS (SELECT 1 FROM decision_log u WHERE u.undoes = l.id)"
                          " ORDER BY l.id DESC LIMIT 1", &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        entry = sqlite3_column_int64(st, 0);
        qid = sqlite3_column_int64(st, 1);
        prev.status = col_strdup(st, 2);
        prev.new_label = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
        prev.reviewer = col_strdup(st, 4);
        prev.decided_at = col_strdup(st, 5);
        prev.note = col_strdup(st, 6);
        prev.carried_from = sqlite3_column_int64(st, 7);
    }
    sqlite3_finalize(st);
    if (step == SQLITE_DONE) {
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "nothing to undo for reviewer '%s'", reviewer);
        goto done;
    }
    if (step != SQLITE_ROW) {
        rc = sql_fail(db, err, "find last decision");
        goto done;
    }
    /* Someone else touched the row after this entry: their decision stands. */
    if ((rc = prepare(db, "SELECT reviewer FROM decision_log WHERE queue_id = ?1 AND id > ?2"
                          " AND reviewer IS NOT ?3 LIMIT 1", &st, err)))
        goto done;
    sqlite3_bind_int64(st, 1, qid);
    sqlite3_bind_int64(st, 2, entry);
    sqlite3_bind_text(st, 3, reviewer, -1, SQLITE_STATIC);
    step = sqlite3_step(st);
    char other[128] = "";
    if (step == SQLITE_ROW)
        snprintf(other, sizeof other, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "someone");
    sqlite3_finalize(st);
    if (step == SQLITE_ROW) {
        rc = la_error_set(err, DB_CONFLICT, NULL, 0, "cannot undo: queue entry %" PRId64
                          " was decided since by %s", qid, other);
        goto done;
    }
    if (step != SQLITE_DONE) {
        rc = sql_fail(db, err, "check undo");
        goto done;
    }
    if ((rc = read_queue_state(db, qid, &q, err))) goto done;
    char now[32];
    db_now_iso(now);
    const char *restored = prev.status ? prev.status : "pending";
    int changed = 0;
    rc = update_queue(db, qid, q.version, restored, prev.new_label, prev.reviewer,
                      prev.decided_at, prev.note, prev.carried_from, &changed, err);
    if (!rc && changed != 1) rc = la_error_set(err, DB_CONFLICT, NULL, 0, "queue entry %" PRId64
                                               " was changed meanwhile", qid);
    if (!rc) rc = append_log(db, qid, &q, restored, prev.new_label, reviewer, prev.note, "undo",
                             now, entry, err);
    if (!rc) rc = exec_sql(db, "COMMIT", err);
    if (!rc && queue_id) *queue_id = qid;
done:
    if (rc) rollback(db);
    queue_state_free(&q);
    queue_state_free(&prev);
    return rc;
}
