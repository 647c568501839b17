/*
 * db_reviews.c — several reviewers per queue row (db_reviews.h): each
 * reviewer's answer in table reviews, every answer and undo appended to the
 * decision log and marked in review_entries. Not here: the one-decision
 * queue (db_decide.c), choosing what to show next (report/serve_next.c).
 * Invariants: each write is one BEGIN IMMEDIATE ... COMMIT; a refused answer
 * writes nothing; the queue row is never touched; the log is only appended.
 */
#include "db_reviews.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_sql.h"

int db_reviews_is_answer(const char *s)
{
    return s && (!strcmp(s, "keep") || !strcmp(s, "relabel") || !strcmp(s, "drop"));
}

int db_reviews_may_see(const char *own_status) { return db_reviews_is_answer(own_status); }

void db_answers_free(db_answers *a)
{
    if (!a) return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].reviewer); free(a->v[i].status); free(a->v[i].verdict);
        free(a->v[i].note); free(a->v[i].decided_at);
    }
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

void db_review_view_free(db_review_view *v)
{
    if (!v) return;
    db_items_free(&v->items);
    free(v->answers);
    v->answers = NULL;
}

/* ---- reading --------------------------------------------------------------- */

/* The queue rows as `reviewer` sees them: the own answer in place of the
 * queue row's decision (DB_SQL_ITEM_COLUMNS order). */
static const char view_sql[] =
    "SELECT v.queue_id, v.row, v.dataset_id, v.given, v.suggested, v.quality, v.rank, v.image_path,"
    " v.features, COALESCE(r.status, 'pending'), r.new_label, r.reviewer, r.decided_at, r.note,"
    " COALESCE(r.version, 0), 0, 0, r.verdict, v.suggested_p"
    " FROM queue_view v LEFT JOIN reviews r ON r.queue_id = v.queue_id AND r.reviewer = ?2"
    " WHERE v.run_id = ?1 AND (?3 <= 0 OR v.queue_id = ?3) ORDER BY v.rank IS NULL, v.rank, v.row";

typedef struct qid_count { int64_t qid, n; } qid_count;

static int qid_cmp(const void *a, const void *b)
{
    int64_t x = ((const qid_count *)a)->qid, y = ((const qid_count *)b)->qid;
    return (x > y) - (x < y);
}

/* Answers per queue row of the run, sorted by queue id: *out malloc'd. */
static int answer_counts(sqlite3 *db, int64_t run_id, qid_count **out, size_t *n, la_error *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    *n = 0;
    if (db_sql_prepare(db, "SELECT queue_id, count(*) FROM reviews WHERE run_id = ?1"
                           " AND status IN ('keep', 'relabel', 'drop') GROUP BY queue_id ORDER BY queue_id", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            qid_count *v = realloc(*out, cap * sizeof *v);
            if (!v) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
            *out = v;
        }
        (*out)[(*n)++] = (qid_count){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
    }
    if (!status && rc != SQLITE_DONE) status = db_sql_fail(db, err, "counting answers");
    sqlite3_finalize(st);
    if (status) { free(*out); *out = NULL; *n = 0; }
    return status;
}

int db_reviews_view(sqlite3 *db, int64_t run_id, const char *reviewer, int64_t queue_id, db_review_view *out,
                    la_error *err)
{
    assert(db && reviewer && out);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, view_sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, queue_id);
    if (db_sql_collect_items(db, st, 0, &out->items, err)) return err->status;
    qid_count *counts = NULL;
    size_t nc = 0;
    int rc = answer_counts(db, run_id, &counts, &nc, err);
    if (!rc && !(out->answers = la_calloc(out->items.n + 1, sizeof *out->answers)))
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; !rc && i < out->items.n; i++) {
        qid_count key = {out->items.v[i].queue_id, 0};
        qid_count *hit = nc ? bsearch(&key, counts, nc, sizeof *counts, qid_cmp) : NULL;
        out->answers[i] = hit ? hit->n : 0;
    }
    free(counts);
    if (rc) db_review_view_free(out);
    return rc;
}

static void answer_from_row(sqlite3_stmt *st, db_answer *a)
{
    a->queue_id = sqlite3_column_int64(st, 0);
    a->reviewer = db_sql_col_strdup(st, 1);
    a->status = db_sql_col_strdup(st, 2);
    a->new_label = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    a->verdict = db_sql_col_strdup(st, 4);
    a->note = db_sql_col_strdup(st, 5);
    a->decided_at = db_sql_col_strdup(st, 6);
    a->version = sqlite3_column_int(st, 7);
}

int db_reviews_all(sqlite3 *db, int64_t run_id, db_answers *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT queue_id, reviewer, status, new_label, verdict, note, decided_at, version"
                           " FROM reviews WHERE run_id = ?1 AND status <> 'pending' ORDER BY queue_id, reviewer",
                       &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    int rc, status = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            db_answer *v = realloc(out->v, cap * sizeof *v);
            if (!v) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
            out->v = v;
        }
        db_answer *a = &out->v[out->n++];
        answer_from_row(st, a);
        if (!a->reviewer || !a->status) { status = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
    }
    if (!status && rc != SQLITE_DONE) status = db_sql_fail(db, err, "reading answers");
    sqlite3_finalize(st);
    if (status) db_answers_free(out);
    return status;
}

int db_reviews_stamp(sqlite3 *db, int64_t run_id, int64_t *stamp, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT COALESCE(max(e.log_id), 0) FROM review_entries e"
                           " JOIN decision_log d ON d.id = e.log_id WHERE d.run_id = ?1", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    *stamp = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_sql_fail(db, err, "reading the answers' stamp");
}

/* ---- writing --------------------------------------------------------------- */

/* The queue row (its run and dataset id) and the run's k. */
typedef struct row_info { int64_t run_id, k; char *dataset_id; } row_info;

static int read_row(sqlite3 *db, int64_t queue_id, row_info *ri, la_error *err)
{
    sqlite3_stmt *st;
    memset(ri, 0, sizeof *ri);
    if (db_sql_prepare(db, "SELECT q.run_id, r.k, q.dataset_id FROM queue q JOIN runs r ON r.id = q.run_id"
                           " WHERE q.id = ?1", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ri->run_id = sqlite3_column_int64(st, 0);
        ri->k = sqlite3_column_int64(st, 1);
        ri->dataset_id = db_sql_col_strdup(st, 2);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 0;
    return rc == SQLITE_DONE ? LA_EUSAGE : db_sql_fail(db, err, "read queue entry");
}

/* reviewer's answer on queue_id into *a; *found = 0 when none. */
static int read_answer(sqlite3 *db, int64_t queue_id, const char *reviewer, db_answer *a, int *found,
                       la_error *err)
{
    sqlite3_stmt *st;
    memset(a, 0, sizeof *a);
    a->new_label = -1;
    *found = 0;
    if (db_sql_prepare(db, "SELECT queue_id, reviewer, status, new_label, verdict, note, decided_at, version"
                           " FROM reviews WHERE queue_id = ?1 AND reviewer = ?2", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        answer_from_row(st, a);
        *found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, "read answer");
}

static void free_answer(db_answer *a)
{
    free(a->reviewer); free(a->status); free(a->verdict); free(a->note); free(a->decided_at);
    memset(a, 0, sizeof *a);
}

static int count_answers(sqlite3 *db, int64_t queue_id, const char *except, int64_t *n, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT count(*) FROM reviews WHERE queue_id = ?1 AND reviewer <> ?2"
                           " AND status IN ('keep', 'relabel', 'drop')", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_text(st, 2, except, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_sql_fail(db, err, "count answers");
}

static void bind_label(sqlite3_stmt *st, int i, int64_t label)
{
    if (label >= 0) sqlite3_bind_int64(st, i, label);
    else sqlite3_bind_null(st, i);
}

/* Sets reviewer's row to `to` (to->status NULL: deletes it). */
static int store_answer(sqlite3 *db, const row_info *ri, int64_t queue_id, const char *reviewer,
                        const db_answer *to, la_error *err)
{
    sqlite3_stmt *st;
    if (!to->status) {
        if (db_sql_prepare(db, "DELETE FROM reviews WHERE queue_id = ?1 AND reviewer = ?2", &st, err))
            return err->status;
        sqlite3_bind_int64(st, 1, queue_id);
        sqlite3_bind_text(st, 2, reviewer, -1, SQLITE_STATIC);
        return db_sql_step_done(db, st, "withdraw answer", err);
    }
    if (db_sql_prepare(db, "INSERT INTO reviews (queue_id, run_id, reviewer, status, new_label, verdict, note,"
                           " decided_at, version) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)"
                           " ON CONFLICT (queue_id, reviewer) DO UPDATE SET status = ?4, new_label = ?5,"
                           " verdict = ?6, note = ?7, decided_at = ?8, version = ?9", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_int64(st, 2, ri->run_id);
    sqlite3_bind_text(st, 3, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, to->status, -1, SQLITE_STATIC);
    bind_label(st, 5, to->new_label);
    db_sql_bind_text_or_null(st, 6, to->verdict);
    db_sql_bind_text_or_null(st, 7, to->note);
    sqlite3_bind_text(st, 8, to->decided_at ? to->decided_at : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 9, to->version);
    return db_sql_step_done(db, st, "store answer", err);
}

/* Appends the change from `prev` (status NULL: no answer) to `to` to the
 * decision log and marks it as an answer entry. */
static int log_answer(sqlite3 *db, const row_info *ri, int64_t queue_id, const char *reviewer,
                      const db_answer *prev, const db_answer *to, const char *source, const char *at,
                      int64_t undoes, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label, reviewer,"
                           " note, source, at, version, undoes, prev_status, prev_new_label, prev_reviewer,"
                           " prev_decided_at, prev_note, verdict, prev_verdict)"
                           " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, queue_id);
    sqlite3_bind_int64(st, 2, ri->run_id);
    sqlite3_bind_text(st, 3, ri->dataset_id ? ri->dataset_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, to->status ? to->status : "pending", -1, SQLITE_STATIC);
    bind_label(st, 5, to->status ? to->new_label : -1);
    sqlite3_bind_text(st, 6, reviewer, -1, SQLITE_STATIC);
    db_sql_bind_text_or_null(st, 7, to->note);
    sqlite3_bind_text(st, 8, source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 10, to->version);
    if (undoes > 0) sqlite3_bind_int64(st, 11, undoes);
    else sqlite3_bind_null(st, 11);
    db_sql_bind_text_or_null(st, 12, prev->status);
    bind_label(st, 13, prev->status ? prev->new_label : -1);
    db_sql_bind_text_or_null(st, 14, prev->status ? reviewer : NULL);
    db_sql_bind_text_or_null(st, 15, prev->decided_at);
    db_sql_bind_text_or_null(st, 16, prev->note);
    db_sql_bind_text_or_null(st, 17, to->verdict);
    db_sql_bind_text_or_null(st, 18, prev->verdict);
    int rc = db_sql_step_done(db, st, "append decision log", err);
    if (rc) return rc;
    if (db_sql_prepare(db, "INSERT INTO review_entries (log_id) VALUES (?1)", &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(db));
    return db_sql_step_done(db, st, "mark answer entry", err);
}

static int check_answer_args(const char *status, int new_label, const char *verdict, la_error *err)
{
    if (!db_status_valid(status, 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "decision must be pending, keep, relabel, drop or skip, not '%s'",
                            status ? status : "");
    if (strcmp(status, "relabel") != 0 && new_label != -1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "a new label is only allowed with relabel");
    return db_verdict_check(status, verdict, err);
}

/* The refusals of an answer, inside the transaction: another run's row, a
 * class out of range, a stale version, a row already done. */
static int answer_refused(sqlite3 *db, const row_info *ri, int64_t run_id, int64_t queue_id, const db_answer *own,
                          int expected_version, int64_t per_item, const char *status, int new_label,
                          const char *reviewer, la_error *err)
{
    const char *id = ri->dataset_id ? ri->dataset_id : "";
    if (ri->run_id != run_id)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64 " in run %" PRId64, queue_id, run_id);
    if (!strcmp(status, "relabel") && (new_label < 0 || new_label >= ri->k))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "relabel needs a class index in 0..%" PRId64 ", got %d",
                            ri->k - 1, new_label);
    if (own->version != expected_version)
        return la_error_set(err, DB_CONFLICT, NULL, 0, "stale version: your answer on queue entry %" PRId64
                            " (%s) changed since you read it: now '%s' (version %d, yours was %d); reload and"
                            " answer again", queue_id, id, own->status ? own->status : "pending", own->version,
                            expected_version);
    int64_t others = 0;
    if (db_reviews_is_answer(status) && !db_reviews_is_answer(own->status)) {
        int rc = count_answers(db, queue_id, reviewer, &others, err);
        if (rc) return rc;
        if (others >= per_item)
            return la_error_set(err, DB_CONFLICT, NULL, 0, "queue entry %" PRId64 " (%s) is done: %" PRId64
                                " reviewers answered it (%" PRId64 " per item); yours was not saved", queue_id, id,
                                others, per_item);
    }
    return 0;
}

int db_reviews_answer(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version, int64_t per_item,
                      const char *status, int new_label, const char *verdict, const char *reviewer,
                      const char *note, const char *source, la_error *err)
{
    assert(db && run_id > 0 && per_item >= 1);
    if (!reviewer || !reviewer[0]) return la_error_set(err, LA_EUSAGE, NULL, 0, "an answer needs a reviewer name");
    int rc = check_answer_args(status, new_label, verdict, err);
    if (rc) return rc;
    if ((rc = db_sql_exec(db, "BEGIN IMMEDIATE", err))) return rc;
    row_info ri;
    db_answer own = {.new_label = -1};
    int found = 0;
    rc = read_row(db, queue_id, &ri, err);
    if (rc == LA_EUSAGE)
        la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64 " in run %" PRId64, queue_id, run_id);
    if (!rc) rc = read_answer(db, queue_id, reviewer, &own, &found, err);
    if (!rc) rc = answer_refused(db, &ri, run_id, queue_id, &own, expected_version, per_item, status, new_label,
                                 reviewer, err);
    char now[32];
    db_now_iso(now);
    db_answer to = {.status = (char *)status, .new_label = new_label, .verdict = (char *)verdict,
                    .note = (char *)note, .decided_at = now, .version = own.version + 1};
    if (!rc) rc = store_answer(db, &ri, queue_id, reviewer, &to, err);
    if (!rc) rc = log_answer(db, &ri, queue_id, reviewer, &own, &to, source && *source ? source : "api", now, 0, err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
    if (rc) db_sql_rollback(db);
    free(ri.dataset_id);
    free_answer(&own);
    return rc;
}

/* reviewer's latest answer entry in the run that is no undo and not undone:
 * *entry, *qid and the answer before it (prev->status NULL: none). */
static int find_own_entry(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *entry, int64_t *qid,
                          db_answer *prev, la_error *err)
{
    sqlite3_stmt *st;
    memset(prev, 0, sizeof *prev);
    prev->new_label = -1;
    if (db_sql_prepare(db, "SELECT l.id, l.queue_id, l.prev_status, l.prev_new_label, l.prev_decided_at,"
                           " l.prev_note, l.prev_verdict FROM decision_log l JOIN review_entries e ON e.log_id = l.id"
                           " WHERE l.reviewer = ?1 AND l.run_id = ?2 AND l.source <> 'undo'"
                           " AND NOT EXISTS (SELECT 1 FROM decision_log u WHERE u.undoes = l.id)"
                           " ORDER BY l.id DESC LIMIT 1", &st, err))
        return err->status;
    sqlite3_bind_text(st, 1, reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *entry = sqlite3_column_int64(st, 0);
        *qid = sqlite3_column_int64(st, 1);
        prev->status = db_sql_col_strdup(st, 2);
        prev->new_label = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
        prev->decided_at = db_sql_col_strdup(st, 4);
        prev->note = db_sql_col_strdup(st, 5);
        prev->verdict = db_sql_col_strdup(st, 6);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return la_error_set(err, LA_EUSAGE, NULL, 0, "nothing to undo for reviewer '%s'", reviewer);
    return rc == SQLITE_ROW ? 0 : db_sql_fail(db, err, "find last answer");
}

int db_reviews_undo(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *queue_id, la_error *err)
{
    assert(db);
    if (!reviewer) return la_error_set(err, LA_EUSAGE, NULL, 0, "undo needs a reviewer name");
    int rc = db_sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    db_answer prev, cur;
    memset(&cur, 0, sizeof cur);
    row_info ri = {0};
    int64_t entry = 0, qid = 0;
    int found = 0;
    rc = find_own_entry(db, reviewer, run_id, &entry, &qid, &prev, err);
    if (!rc && (rc = read_row(db, qid, &ri, err)) == LA_EUSAGE)
        la_error_set(err, LA_EUSAGE, NULL, 0, "no queue entry %" PRId64, qid);
    if (!rc) rc = read_answer(db, qid, reviewer, &cur, &found, err);
    char now[32];
    db_now_iso(now);
    /* the answer before comes back, with a fresh version (optimistic locking) */
    prev.version = cur.version + 1;
    if (!prev.decided_at) prev.decided_at = la_strdup(now);
    if (!rc) rc = store_answer(db, &ri, qid, reviewer, &prev, err);
    if (!rc) rc = log_answer(db, &ri, qid, reviewer, &cur, &prev, "undo", now, entry, err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
    if (rc) db_sql_rollback(db);
    else if (queue_id) *queue_id = qid;
    free(ri.dataset_id);
    free_answer(&prev);
    free_answer(&cur);
    return rc;
}
