/*
 * db_write.c — recording runs: an audit run with its classes, matrices,
 * examples and review queue (carrying over earlier decisions), and the cv /
 * retrain metrics attached to a run. Invariants: every write runs inside one
 * BEGIN IMMEDIATE ... COMMIT and rolls back completely on any failure; every
 * value reaches SQL as a bound parameter (class names and ids are hostile).
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "db_sql.h"

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
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    char now[32];
    db_now_iso(now);
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, LA_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, dataset_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->dataset_hash ? rec->dataset_hash : "", -1, SQLITE_STATIC);
    db_sql_bind_text_or_null(st, 5, rec->labels_path);
    db_sql_bind_text_or_null(st, 6, rec->pred_probs_path);
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
    if (rc != SQLITE_DONE) return db_sql_fail(db, err, "insert run");
    *run_id = sqlite3_last_insert_rowid(db);
    return 0;
}

static int insert_classes(sqlite3 *db, const db_audit_record *rec, int64_t run_id, la_error *err)
{
    int64_t *count = la_calloc(rec->k, sizeof *count);
    if (!count) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < rec->n; i++) count[rec->given[i]]++;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO run_classes (run_id, class_index, name, given_count,"
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
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert class");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    free(count);
    return status;
}

static int insert_matrices(sqlite3 *db, const db_audit_record *rec, int64_t run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO run_matrices (run_id, name, row, col, value) VALUES (?,?,?,?,?)",
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
            if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert matrix");
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
    if (db_sql_prepare(db, "INSERT INTO examples (run_id, row, dataset_id, given, suggested, quality,"
                    " is_issue, rank, image_path, features, suggested_p) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
        db_sql_bind_text_or_null(st, 9, rec->image_paths ? rec->image_paths[i] : NULL);
        db_sql_bind_text_or_null(st, 10, rec->features ? rec->features[i] : NULL);
        if (rec->suggested_p) sqlite3_bind_double(st, 11, rec->suggested_p[i]);
        else sqlite3_bind_null(st, 11);
        if (sqlite3_step(st) != SQLITE_DONE) status = db_sql_fail(db, err, "insert example");
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
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_bind_parameter_count(st) >= 2) db_sql_bind_text_or_null(st, 2, text);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, what);
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
    "   AND (p.status <> 'relabel' OR p.nl IS NOT NULL)"
    "   AND q.carried_from IS NULL AND q.status = 'pending'";   /* rows added later (db_write_carry) */

static const char carry_log_sql[] =
    "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label, reviewer,"
    " note, source, at, version, prev_status)"
    " SELECT id, run_id, dataset_id, status, new_label, reviewer, note, 'carry', ?2,"
    "        version, 'pending' FROM queue WHERE run_id = ?1 AND carried_from IS NOT NULL"
    "   AND NOT EXISTS (SELECT 1 FROM decision_log l WHERE l.queue_id = queue.id AND l.source = 'carry')";

int db_record_audit_then(sqlite3 *db, const db_audit_record *rec, db_record_hook then, void *ctx,
                         int64_t *run_id, la_error *err)
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

    int status = db_sql_exec(db, "BEGIN IMMEDIATE", err);
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
    if (!status && then) status = then(db, id, ctx, err);   /* same transaction */
    if (!status) status = db_sql_exec(db, "COMMIT", err);
    free(rank);
    if (status) {
        db_sql_rollback(db);
        return status;
    }
    *run_id = id;
    return 0;
}

int db_write_carry(sqlite3 *db, int64_t run_id, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT dataset_path FROM runs WHERE id = ?1", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    char *path = sqlite3_step(st) == SQLITE_ROW ? db_sql_col_strdup(st, 0) : NULL;
    sqlite3_finalize(st);
    if (!path) return la_error_set(err, LA_EUSAGE, NULL, 0, "no run %" PRId64, run_id);
    char now[32];
    db_now_iso(now);
    int status = exec_run_stmt(db, carry_sql, run_id, path, "carry decisions", err);
    if (!status) status = exec_run_stmt(db, carry_log_sql, run_id, now, "log carried decisions", err);
    free(path);
    return status;
}

int db_record_audit(sqlite3 *db, const db_audit_record *rec, int64_t *run_id, la_error *err)
{
    return db_record_audit_then(db, rec, NULL, NULL, run_id, err);
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
    if (db_sql_prepare(db, "INSERT INTO run_metrics (run_id, kind, created_at, metrics_json)"
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
    return rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, "insert metrics");
}
