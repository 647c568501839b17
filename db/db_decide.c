/*
 * db_decide.c — single review decisions with optimistic locking (db_decide)
 * (db_decide_in_run: only rows of the run being reviewed) and per-reviewer
 * undo (db_undo_last, only one's own decisions). Invariants: each call is one
 * BEGIN IMMEDIATE ... COMMIT; a row changed since the caller read it is a
 * DB_CONFLICT with nothing written; the decision_log is only appended.
 * A decision may carry a verdict (schema 004: error | ambiguous |
 * false_alarm); an undo restores the row's verdict from before. The log
 * entries of several-reviewer answers (db_reviews.c, review_entries) never
 * changed a queue row, so undo here neither takes nor is blocked by them.
 */
#include "db.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_sql.h"

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
    char   *verdict;              /* NULL = none                              */
} queue_state;

static void queue_state_free(queue_state *q)
{
    free(q->status); free(q->reviewer); free(q->decided_at); free(q->note); free(q->dataset_id);
    free(q->verdict);
}

static int read_queue_state(sqlite3 *db, int64_t queue_id, queue_state *q, la_error *err)
{
    memset(q, 0, sizeof *q);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT q.run_id, r.k, q.new_label, q.carried_from, q.version, q.status,"
                    " q.reviewer, q.decided_at, q.note, q.dataset_id, q.verdict"
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
        q->status = db_sql_col_strdup(st, 5);
        q->reviewer = db_sql_col_strdup(st, 6);
        q->decided_at = db_sql_col_strdup(st, 7);
        q->note = db_sql_col_strdup(st, 8);
        q->dataset_id = db_sql_col_strdup(st, 9);
        q->verdict = db_sql_col_strdup(st, 10);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64, queue_id);
    if (rc != SQLITE_ROW) return db_sql_fail(db, err, "read queue entry");
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
                      int64_t new_label, const char *verdict, const char *reviewer, const char *note,
                      const char *source, const char *at, int64_t undoes, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label,"
                    " reviewer, note, source, at, version, undoes, prev_status, prev_new_label,"
                     " prev_reviewer, prev_decided_at, prev_note, prev_carried_from, verdict, prev_verdict)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_int64(st, 2, prev->run_id);
    sqlite3_bind_text(st, 3, prev->dataset_id ? prev->dataset_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, status, -1, SQLITE_STATIC);
    bind_label(st, 5, new_label);
    db_sql_bind_text_or_null(st, 6, reviewer);
    db_sql_bind_text_or_null(st, 7, note);
    sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, prev->version + 1);
    bind_id(st, 11, undoes);
    db_sql_bind_text_or_null(st, 12, prev->status);
    bind_label(st, 13, prev->new_label);
    db_sql_bind_text_or_null(st, 14, prev->reviewer);
    db_sql_bind_text_or_null(st, 15, prev->decided_at);
    db_sql_bind_text_or_null(st, 16, prev->note);
    bind_id(st, 17, prev->carried_from);
    db_sql_bind_text_or_null(st, 18, verdict);
    db_sql_bind_text_or_null(st, 19, prev->verdict);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, "append decision log");
}

/* Sets the queue row's state if its version is still `version`; bumps it. */
static int update_queue(sqlite3 *db, int64_t queue_id, int version, const char *status,
                        int64_t new_label, const char *verdict, const char *reviewer,
                        const char *decided_at, const char *note, int64_t carried_from, int *changed,
                        la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "UPDATE queue SET status = ?1, new_label = ?2, reviewer = ?3, decided_at = ?4,"
                    " note = ?5, carried_from = ?6, verdict = ?9, version = version + 1"
                    " WHERE id = ?7 AND version = ?8", &st, err))
        return err->status;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    bind_label(st, 2, new_label);
    db_sql_bind_text_or_null(st, 3, reviewer);
    db_sql_bind_text_or_null(st, 4, decided_at);
    db_sql_bind_text_or_null(st, 5, note);
    bind_id(st, 6, carried_from);
    sqlite3_bind_int64(st, 7, queue_id);
    sqlite3_bind_int(st, 8, version);
    db_sql_bind_text_or_null(st, 9, verdict);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_sql_fail(db, err, "update queue");
    *changed = sqlite3_changes(db);
    return 0;
}

/* The DB_CONFLICT message: a stale version of one's own (or an undone)
 * decision reads differently from another reviewer's decision. */
static int conflict(la_error *err, int64_t queue_id, const queue_state *q, const char *reviewer,
                    int expected_version)
{
    const char *id = q->dataset_id ? q->dataset_id : "";
    const char *now = q->status ? q->status : "";
    if (q->reviewer && (!reviewer || strcmp(q->reviewer, reviewer) != 0))
        return la_error_set(err, DB_CONFLICT, NULL, 0,
                            "another reviewer, %s, decided queue entry %" PRId64 " (%s) meanwhile: now '%s'"
                            " (version %d, yours was %d); yours was not saved",
                            q->reviewer, queue_id, id, now, q->version, expected_version);
    return la_error_set(err, DB_CONFLICT, NULL, 0,
                        "stale version: queue entry %" PRId64 " (%s) changed since you read it: now '%s'"
                        " (version %d, yours was %d); reload and decide again",
                        queue_id, id, now, q->version, expected_version);
}

int db_verdict_valid(const char *v)
{
    return v && (!strcmp(v, "error") || !strcmp(v, "ambiguous") || !strcmp(v, "false_alarm"));
}

int db_verdict_check(const char *status, const char *verdict, la_error *err)
{
    if (!verdict) return 0;
    if (!db_verdict_valid(verdict))
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "verdict must be error, ambiguous or false_alarm, not '%s'", verdict);
    if (status && (!strcmp(status, "pending") || !strcmp(status, "skip")))
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "a verdict needs a decision (keep, relabel or drop), not '%s'", status);
    return 0;
}

int db_decide_in_run(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version,
                     const char *status, int new_label, const char *reviewer, const char *note,
                     const char *source, la_error *err)
{
    return db_decide_verdict(db, run_id, queue_id, expected_version, status, new_label, NULL,
                             reviewer, note, source, err);
}

int db_decide_verdict(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version,
                      const char *status, int new_label, const char *verdict, const char *reviewer,
                      const char *note, const char *source, la_error *err)
{
    assert(db);
    if (!valid_status(status))
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "decision must be pending, keep, relabel, drop or skip, not '%s'",
                            status ? status : "");
    if (strcmp(status, "relabel") != 0 && new_label != -1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "a new label is only allowed with relabel");
    if (db_verdict_check(status, verdict, err)) return err->status;
    if (!source || !*source) source = "api";
    int rc = db_sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    queue_state q;
    if ((rc = read_queue_state(db, queue_id, &q, err))) goto done;
    if (run_id > 0 && q.run_id != run_id) {
        /* Same words as an absent row: a session of run R cannot even learn
         * which queue ids exist in other runs. */
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64 " in run %" PRId64,
                          queue_id, run_id);
        goto done;
    }
    if (!strcmp(status, "relabel") && (new_label < 0 || new_label >= q.k)) {
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "relabel needs a class index in 0..%" PRId64
                          ", got %d", q.k - 1, new_label);
        goto done;
    }
    if (q.version != expected_version) {
        rc = conflict(err, queue_id, &q, reviewer, expected_version);
        goto done;
    }
    char now[32];
    db_now_iso(now);
    int pending = !strcmp(status, "pending");   /* back to pending clears the decision */
    int changed = 0;
    rc = update_queue(db, queue_id, q.version, status, new_label, verdict, pending ? NULL : reviewer,
                      pending ? NULL : now, pending ? NULL : note, 0, &changed, err);
    if (!rc && changed != 1) rc = la_error_set(err, DB_CONFLICT, NULL, 0, "queue entry %" PRId64
                                               " was changed meanwhile", queue_id);
    if (!rc) rc = append_log(db, queue_id, &q, status, new_label, verdict, reviewer, note, source, now, 0,
                             err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
done:
    if (rc) db_sql_rollback(db);
    queue_state_free(&q);
    return rc;
}

int db_decide(sqlite3 *db, int64_t queue_id, int expected_version, const char *status,
              int new_label, const char *reviewer, const char *note, const char *source,
              la_error *err)
{
    return db_decide_in_run(db, 0, queue_id, expected_version, status, new_label, reviewer, note,
                            source, err);
}

/* The reviewer's latest own decision (in run_id, or any run when <= 0) that
 * no undo entry points at: its log id, queue row and the state before it.
 * LA_EUSAGE "nothing to undo" when there is none. */
static int find_undo_entry(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *entry,
                           int64_t *qid, queue_state *prev, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT l.id, l.queue_id, l.prev_status, l.prev_new_label,"
                           " l.prev_reviewer, l.prev_decided_at, l.prev_note, l.prev_carried_from, l.prev_verdict"
                           " FROM decision_log l WHERE l.reviewer = ?1"
                           " AND l.source NOT IN ('undo', 'carry') AND (?2 <= 0 OR l.run_id = ?2)"
                           " AND NOT EXISTS (SELECT 1 FROM decision_log u WHERE u.undoes = l.id)"
                           /* answers of several-reviewer sessions (006) never changed the row */
                           " AND l.id NOT IN (SELECT log_id FROM review_entries)"
                           " ORDER BY l.id DESC LIMIT 1", &st, err))
        return err->status;
    sqlite3_bind_text(st, 1, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *entry = sqlite3_column_int64(st, 0);
        *qid = sqlite3_column_int64(st, 1);
        prev->status = db_sql_col_strdup(st, 2);
        prev->new_label = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
        prev->reviewer = db_sql_col_strdup(st, 4);
        prev->decided_at = db_sql_col_strdup(st, 5);
        prev->note = db_sql_col_strdup(st, 6);
        prev->carried_from = sqlite3_column_int64(st, 7);
        prev->verdict = db_sql_col_strdup(st, 8);
    }
    sqlite3_finalize(st);
    if (step == SQLITE_DONE)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "nothing to undo for reviewer '%s'", reviewer);
    return step == SQLITE_ROW ? 0 : db_sql_fail(db, err, "find last decision");
}

/* DB_CONFLICT when someone else touched queue row qid after log entry
 * `entry`: their decision stands. */
static int check_untouched(sqlite3 *db, int64_t qid, int64_t entry, const char *reviewer, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT reviewer FROM decision_log WHERE queue_id = ?1 AND id > ?2"
                           " AND reviewer IS NOT ?3 AND id NOT IN (SELECT log_id FROM review_entries) LIMIT 1",
                       &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, qid);
    sqlite3_bind_int64(st, 2, entry);
    sqlite3_bind_text(st, 3, reviewer, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    char other[128] = "";
    if (step == SQLITE_ROW)
        snprintf(other, sizeof other, "%s", sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "someone");
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return la_error_set(err, DB_CONFLICT, NULL, 0, "cannot undo: queue entry %" PRId64
                            " was decided since by %s", qid, other);
    return step == SQLITE_DONE ? 0 : db_sql_fail(db, err, "check undo");
}

int db_undo_last(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *queue_id,
                 la_error *err)
{
    assert(db);
    if (!reviewer) return la_error_set(err, LA_EUSAGE, NULL, 0, "undo needs a reviewer name");
    int rc = db_sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    queue_state q = {0}, prev = {0};
    int64_t entry = 0, qid = 0;
    if ((rc = find_undo_entry(db, reviewer, run_id, &entry, &qid, &prev, err))) goto done;
    if ((rc = check_untouched(db, qid, entry, reviewer, err))) goto done;
    if ((rc = read_queue_state(db, qid, &q, err))) goto done;
    char now[32];
    db_now_iso(now);
    const char *restored = prev.status ? prev.status : "pending";
    int changed = 0;
    rc = update_queue(db, qid, q.version, restored, prev.new_label, prev.verdict, prev.reviewer,
                      prev.decided_at, prev.note, prev.carried_from, &changed, err);
    if (!rc && changed != 1) rc = la_error_set(err, DB_CONFLICT, NULL, 0, "queue entry %" PRId64
                                               " was changed meanwhile", qid);
    if (!rc) rc = append_log(db, qid, &q, restored, prev.new_label, prev.verdict, reviewer, prev.note,
                             "undo", now, entry, err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
    if (!rc && queue_id) *queue_id = qid;
done:
    if (rc) db_sql_rollback(db);
    queue_state_free(&q);
    queue_state_free(&prev);
    return rc;
}
