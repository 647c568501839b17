/*
 * db_review.c — the review side of the database: read queries over the queue
 * (listing with filters, progress per class, next pending) and the
 * all-or-nothing import of decisions made elsewhere.
 * Not here: writing single decisions and undo (db_decide, db_undo_last in
 * db.c). Invariant: every value is bound as a parameter, every write happens
 * inside one transaction that is rolled back on the first bad row.
 */
#include "db.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"

/* ---- runs ------------------------------------------------------------------ */

int db_review_run(sqlite3 *db, int64_t *run_id, la_error *err)
{
    int found;
    if (db_sql_latest_run(db, "audit", run_id, &found, err)) return err->status;
    if (!found)
        return la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0,
                            "the database holds no audit run yet (record one with audit --db)");
    return 0;
}

/* ---- queue items ----------------------------------------------------------- */

void db_filter_init(db_filter *f)
{
    memset(f, 0, sizeof *f);
    f->given = -1;
    f->score_min = -INFINITY;
    f->score_max = INFINITY;
}

int db_status_valid(const char *s, int allow_pending)
{
    static const char *const ok[] = {"keep", "relabel", "drop", "skip", "pending"};
    size_t n = allow_pending ? 5 : 4;
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, ok[i]) == 0) return 1;
    return 0;
}

/* Binds the filter's parameters ?2..?6 (run_id is ?1). */
static void bind_filter(sqlite3_stmt *st, int64_t run_id, const db_filter *f)
{
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, f->given);
    if (f->status) sqlite3_bind_text(st, 3, f->status, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 3);
    sqlite3_bind_double(st, 4, isfinite(f->score_min) ? f->score_min : -1e300);
    sqlite3_bind_double(st, 5, isfinite(f->score_max) ? f->score_max : 1e300);
}

/* ?3 status: NULL any, 'decided' = not pending, else exact. */
#define FILTER_WHERE \
    " FROM queue_view WHERE run_id = ?1 AND (?2 < 0 OR given = ?2)" \
    " AND (?3 IS NULL OR status = ?3 OR (?3 = 'decided' AND status <> 'pending'))" \
    " AND quality >= ?4 AND quality <= ?5"
#define QUEUE_ORDER " ORDER BY rank IS NULL, rank, row"

int db_queue_list(sqlite3 *db, int64_t run_id, const db_filter *f,
                  db_items *out, int64_t *total, la_error *err)
{
    sqlite3_stmt *st = NULL;
    db_filter deflt;
    out->n = 0;
    out->v = NULL;
    if (!f) {
        db_filter_init(&deflt);
        f = &deflt;
    }
    if (total) {
        if (db_sql_prepare(db, "SELECT count(*)" FILTER_WHERE, &st, err)) return err->status;
        bind_filter(st, run_id, f);
        int rc = sqlite3_step(st);
        *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW) return db_sql_fail(db, err, "counting the queue");
    }
    if (db_sql_prepare(db, "SELECT " DB_SQL_ITEM_COLUMNS FILTER_WHERE QUEUE_ORDER " LIMIT ?6 OFFSET ?7", &st, err))
        return err->status;
    bind_filter(st, run_id, f);
    sqlite3_bind_int64(st, 6, f->limit > 0 ? f->limit : -1);
    sqlite3_bind_int64(st, 7, f->offset > 0 ? f->offset : 0);
    return db_sql_collect_items(db, st, 0, out, err);
}

int db_queue_next_pending(sqlite3 *db, int64_t run_id, db_items *out, la_error *err)
{
    sqlite3_stmt *st = NULL;
    out->n = 0;
    out->v = NULL;
    if (db_sql_prepare(db, "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE run_id = ?1 AND status = 'pending'"
                QUEUE_ORDER " LIMIT 1", &st, err))
        return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    return db_sql_collect_items(db, st, 0, out, err);
}

/* ---- progress -------------------------------------------------------------- */

/* Adds a count to a cell of db_progress or db_verdict_counts. */
typedef void (*count_add_fn)(void *cell, const char *value, int64_t count);

/* Steps sql ("SELECT given, VALUE, count(*) ... WHERE run_id = ?1 GROUP BY
 * given, VALUE") adding each count to *overall and to per_class[given]
 * (k cells of `size` bytes; may be NULL), both zeroed first. */
static int grouped_counts(sqlite3 *db, const char *sql, int64_t run_id, size_t k, void *per_class,
                          size_t size, void *overall, count_add_fn add, const char *what, la_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (per_class) memset(per_class, 0, k * size);
    memset(overall, 0, size);
    if (db_sql_prepare(db, sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t g = sqlite3_column_int64(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        int64_t c = sqlite3_column_int64(st, 2);
        add(overall, v, c);
        if (per_class && g >= 0 && (size_t)g < k) add((char *)per_class + (size_t)g * size, v, c);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_sql_fail(db, err, what);
    return 0;
}

static void progress_add(void *cell, const char *status, int64_t count)
{
    db_progress *p = cell;
    if (!status) return;
    p->total += count;
    if (strcmp(status, "pending") == 0) return;
    p->decided += count;
    if (!strcmp(status, "keep")) p->keep += count;
    else if (!strcmp(status, "relabel")) p->relabel += count;
    else if (!strcmp(status, "drop")) p->drop += count;
    else if (!strcmp(status, "skip")) p->skip += count;
}

int db_queue_progress(sqlite3 *db, int64_t run_id, size_t k, db_progress *per_class,
                      db_progress *overall, la_error *err)
{
    return grouped_counts(db, "SELECT given, status, count(*) FROM queue_view"
                          " WHERE run_id = ?1 GROUP BY given, status",
                          run_id, k, per_class, sizeof *overall, overall, progress_add, "reading progress", err);
}

static void verdict_add(void *cell, const char *verdict, int64_t c)
{
    db_verdict_counts *v = cell;
    v->decided += c;
    if (!verdict) return;
    if (!strcmp(verdict, "error")) v->error += c;
    else if (!strcmp(verdict, "ambiguous")) v->ambiguous += c;
    else if (!strcmp(verdict, "false_alarm")) v->false_alarm += c;
}

int db_verdict_counts_load(sqlite3 *db, int64_t run_id, size_t k, db_verdict_counts *per_class,
                           db_verdict_counts *overall, la_error *err)
{
    /* skip and pending are no decision (skip = decide later) */
    return grouped_counts(db, "SELECT given, verdict, count(*) FROM queue_view"
                          " WHERE run_id = ?1 AND status IN ('keep', 'relabel', 'drop') GROUP BY given, verdict",
                          run_id, k, per_class, sizeof *overall, overall, verdict_add, "reading verdicts", err);
}

/* ---- import ---------------------------------------------------------------- */

/* Index of class `name` in the run, or -1. */
static int64_t class_index(const db_run *run, const char *name)
{
    for (int64_t i = 0; i < run->k; i++)
        if (run->class_names[i] && strcmp(run->class_names[i], name) == 0) return i;
    return -1;
}

/* Validates one import row against the run; fills *label (-1 none). */
static int import_check(const db_run *run, const char *file, const db_import_row *r,
                        int64_t *label, la_error *err)
{
    *label = -1;
    if (!r->id || !r->id[0])
        return la_error_setc(err, LA_EUSAGE, file, r->line, "id", "empty id");
    if (!db_status_valid(r->decision, 0))
        return la_error_setc(err, LA_EUSAGE, file, r->line, "decision",
                             "bad decision '%s' (expected keep, relabel, drop or skip)",
                             r->decision ? r->decision : "");
    int has_label = r->new_label && r->new_label[0];
    if (strcmp(r->decision, "relabel") == 0) {
        if (!has_label)
            return la_error_setc(err, LA_EUSAGE, file, r->line, "new_label",
                                 "decision 'relabel' needs a new_label");
        if ((*label = class_index(run, r->new_label)) < 0)
            return la_error_setc(err, LA_EUSAGE, file, r->line, "new_label",
                                 "unknown class '%s' (run %lld has %lld classes)",
                                 r->new_label, (long long)run->id, (long long)run->k);
    } else if (has_label) {
        return la_error_setc(err, LA_EUSAGE, file, r->line, "new_label",
                             "new_label '%s' given with decision '%s' (only relabel takes one)",
                             r->new_label, r->decision);
    }
    if (r->verdict && r->verdict[0] && !db_verdict_valid(r->verdict))
        return la_error_setc(err, LA_EUSAGE, file, r->line, "verdict",
                             "bad verdict '%s' (expected error, ambiguous, false_alarm or empty)",
                             r->verdict);
    if (r->verdict && r->verdict[0] && !strcmp(r->decision, "skip"))
        return la_error_setc(err, LA_EUSAGE, file, r->line, "verdict",
                             "verdict '%s' given with decision 'skip' (skip is no decision)", r->verdict);
    if (r->reviewer && strlen(r->reviewer) > DB_MAX_REVIEWER)
        return la_error_setc(err, LA_EUSAGE, file, r->line, "reviewer",
                             "reviewer longer than %d bytes", DB_MAX_REVIEWER);
    if (r->note && strlen(r->note) > DB_MAX_NOTE)
        return la_error_setc(err, LA_EUSAGE, file, r->line, "note", "note longer than %d bytes", DB_MAX_NOTE);
    return 0;
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s && s[0]) sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
}

/* The log entry is written first, from the row as it is (prev_* = what an
 * undo restores), then the row is updated; both inside the caller's
 * transaction. */
static const char import_log_sql[] =
    "INSERT INTO decision_log (queue_id, run_id, dataset_id, status, new_label, reviewer, note,"
    " source, at, version, prev_status, prev_new_label, prev_reviewer, prev_decided_at, prev_note,"
    " prev_carried_from, verdict, prev_verdict)"
    " SELECT id, run_id, dataset_id, ?2, ?3, ?4, ?5, 'import', ?6, version + 1,"
    " status, new_label, reviewer, decided_at, note, carried_from, ?7, verdict FROM queue WHERE id = ?1";
static const char import_update_sql[] =
    "UPDATE queue SET status = ?2, new_label = ?3, reviewer = ?4, note = ?5, decided_at = ?6,"
    " carried_from = NULL, verdict = ?7, version = version + 1 WHERE id = ?1";

/* Binds ?1..?7 shared by import_log_sql and import_update_sql. */
static void bind_import(sqlite3_stmt *st, int64_t qid, const db_import_row *r, int64_t label,
                        const char *now)
{
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, qid);
    sqlite3_bind_text(st, 2, r->decision, -1, SQLITE_TRANSIENT);
    if (label >= 0) sqlite3_bind_int64(st, 3, label);
    else sqlite3_bind_null(st, 3);
    bind_opt_text(st, 4, r->reviewer);
    bind_opt_text(st, 5, r->note);
    sqlite3_bind_text(st, 6, now, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 7, r->verdict);
}

int db_import_decisions(sqlite3 *db, int64_t run_id, const char *file,
                        const db_import_row *rows, size_t n, size_t *applied, la_error *err)
{
    db_run run;
    sqlite3_stmt *find = NULL, *upd = NULL, *log = NULL;
    char now[32];
    size_t done = 0;
    if (applied) *applied = 0;
    if (run_id <= 0 && db_review_run(db, &run_id, err)) return err->status;
    if (db_load_run(db, run_id, &run, err)) return err->status;
    db_now_iso(now);
    if (db_sql_exec(db, "BEGIN IMMEDIATE", err)) {
        db_run_free(&run);
        return err->status;
    }
    if (db_sql_prepare(db, "SELECT id FROM queue WHERE run_id = ?1 AND dataset_id = ?2", &find, err) ||
        db_sql_prepare(db, import_update_sql, &upd, err) || db_sql_prepare(db, import_log_sql, &log, err))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const db_import_row *r = &rows[i];
        int64_t label;
        if (import_check(&run, file, r, &label, err)) goto fail;
        sqlite3_reset(find);
        sqlite3_bind_int64(find, 1, run.id);
        sqlite3_bind_text(find, 2, r->id, -1, SQLITE_TRANSIENT);
        int rc = sqlite3_step(find);
        if (rc == SQLITE_DONE) {
            la_error_setc(err, LA_EUSAGE, file, r->line, "id",
                          "unknown id '%s' (not in the review queue of run %lld)", r->id, (long long)run.id);
            goto fail;
        }
        if (rc != SQLITE_ROW) {
            db_sql_fail(db, err, "finding the queue entry");
            goto fail;
        }
        int64_t qid = sqlite3_column_int64(find, 0);
        bind_import(log, qid, r, label, now);
        if (sqlite3_step(log) != SQLITE_DONE) {
            db_sql_fail(db, err, "appending to the decision log");
            goto fail;
        }
        bind_import(upd, qid, r, label, now);
        if (sqlite3_step(upd) != SQLITE_DONE) {
            db_sql_fail(db, err, "updating the queue");
            goto fail;
        }
        done++;
    }
    sqlite3_finalize(find);
    sqlite3_finalize(upd);
    sqlite3_finalize(log);
    db_run_free(&run);
    if (db_sql_exec(db, "COMMIT", err)) {
        db_sql_rollback(db);
        return err->status;
    }
    if (applied) *applied = done;
    return 0;
fail:
    sqlite3_finalize(find);
    sqlite3_finalize(upd);
    sqlite3_finalize(log);
    db_run_free(&run);
    db_sql_rollback(db);
    return err->status ? err->status : LA_EINTERNAL;
}
