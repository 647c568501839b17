/*
 * db_pairs.c — pair answers (db_pairs.h): append-only rows of pair_decisions,
 * each write in its own BEGIN IMMEDIATE transaction. Invariant: a pair's
 * current answer is its latest row when that row is not an undo; a refused
 * request writes nothing.
 */
#include "db_pairs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"

int db_pair_choice_valid(const char *c)
{
    return c && (!strcmp(c, "drop") || !strcmp(c, "keep") || !strcmp(c, "keep_both"));
}

void db_pair_decision_free(db_pair_decision *d)
{
    if (!d) return;
    free(d->choice); free(d->reviewer); free(d->decided_at);
    memset(d, 0, sizeof *d);
}

void db_pair_decisions_free(db_pair_decisions *l)
{
    for (size_t i = 0; l && i < l->n; i++) db_pair_decision_free(&l->v[i]);
    if (l) { free(l->v); l->v = NULL; l->n = 0; }
}

int db_pair_partner(sqlite3 *db, int64_t run_id, int64_t row, int64_t *partner, int *partner_test,
                    int *found, la_error *err)
{
    sqlite3_stmt *st;
    *found = 0;
    if (db_sql_prepare(db, "SELECT partner, partner_split FROM example_issues WHERE run_id = ? AND row = ?"
                           " AND partner IS NOT NULL ORDER BY rank LIMIT 1", &st, err))
        return LA_EINTERNAL;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, row);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *split = sqlite3_column_text(st, 1);
        *partner = sqlite3_column_int64(st, 0);
        *partner_test = split && !strcmp((const char *)split, "test");
        *found = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_sql_fail(db, err, "pair partner");
}

/* Appends one row; caller holds the transaction. */
static int pair_insert(sqlite3 *db, int64_t run_id, const db_pair_decision *d, int undone, la_error *err)
{
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "INSERT INTO pair_decisions (run_id, row, partner, partner_split, choice, reviewer,"
                           " decided_at, undone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", &st, err))
        return LA_EINTERNAL;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, d->row);
    sqlite3_bind_int64(st, 3, d->partner);
    sqlite3_bind_text(st, 4, d->partner_test ? "test" : "train", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->choice, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->reviewer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->decided_at, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, undone);
    return db_sql_step_done(db, st, "pair decision", err);
}

static int pair_fill(db_pair_decision *out, int64_t row, int64_t partner, int test, const char *choice,
                     const char *reviewer, const char *at, la_error *err)
{
    out->row = row;
    out->partner = partner;
    out->partner_test = test;
    out->choice = la_strdup(choice);
    out->reviewer = la_strdup(reviewer);
    out->decided_at = la_strdup(at);
    if (out->choice && out->reviewer && out->decided_at) return 0;
    db_pair_decision_free(out);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}

int db_pair_record(sqlite3 *db, int64_t run_id, int64_t row, const char *choice, const char *reviewer,
                   db_pair_decision *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    if (!db_pair_choice_valid(choice))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "choice must be drop, keep or keep_both");
    if (!reviewer || !reviewer[0]) return la_error_set(err, LA_EUSAGE, NULL, 0, "a pair decision needs a reviewer");
    int rc = db_sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    int64_t partner = -1;
    int test = 0, found = 0;
    char now[32];
    db_now_iso(now);
    rc = db_pair_partner(db, run_id, row, &partner, &test, &found, err);
    if (!rc && !found)
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "row %lld of run %lld has no duplicate or leak partner",
                          (long long)row, (long long)run_id);
    if (!rc) rc = pair_fill(out, row, partner, test, choice, reviewer, now, err);
    if (!rc) rc = pair_insert(db, run_id, out, 0, err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
    if (rc) {
        db_sql_rollback(db);
        db_pair_decision_free(out);
    }
    return rc;
}

/* The answers that are their pair's latest row (and not undos). */
#define DB_PAIR_CURRENT \
    "SELECT p.row, p.partner, p.partner_split = 'test', p.choice, p.reviewer, p.decided_at FROM pair_decisions p" \
    " WHERE p.run_id = ?1 AND p.undone = 0 AND p.id = (SELECT max(q.id) FROM pair_decisions q" \
    " WHERE q.run_id = p.run_id AND q.row = p.row AND q.partner = p.partner AND q.partner_split = p.partner_split)"

int db_pair_undo(sqlite3 *db, int64_t run_id, const char *reviewer, db_pair_decision *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = db_sql_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    sqlite3_stmt *st;
    char now[32];
    db_now_iso(now);
    rc = db_sql_prepare(db, DB_PAIR_CURRENT " AND p.reviewer = ?2 ORDER BY p.id DESC LIMIT 1", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, reviewer ? reviewer : "", -1, SQLITE_STATIC);
        int s = sqlite3_step(st);
        if (s == SQLITE_ROW)
            rc = pair_fill(out, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
                           (const char *)sqlite3_column_text(st, 3), reviewer, now, err);
        else if (s == SQLITE_DONE)
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "nothing to undo: %s has no pair decision in run %lld",
                              reviewer ? reviewer : "", (long long)run_id);
        else rc = db_sql_fail(db, err, "pair undo");
        sqlite3_finalize(st);
    }
    if (!rc) rc = pair_insert(db, run_id, out, 1, err);
    if (!rc) rc = db_sql_exec(db, "COMMIT", err);
    if (rc) {
        db_sql_rollback(db);
        db_pair_decision_free(out);
    }
    return rc;
}

/* Makes room for element n of *v (capacity *cap, elements of size sz):
 * doubles from 16. 0, or -1 when out of memory (*v unchanged). */
static int grow(void **v, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : 16;
    void *nv = nc > SIZE_MAX / sz ? NULL : realloc(*v, nc * sz);
    if (!nv) return -1;
    *v = nv;
    *cap = nc;
    return 0;
}

int db_pair_load(sqlite3 *db, int64_t run_id, db_pair_decisions *out, la_error *err)
{
    out->n = 0;
    out->v = NULL;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, DB_PAIR_CURRENT " ORDER BY p.row, p.partner_split, p.partner", &st, err))
        return LA_EINTERNAL;
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    int s, rc = 0;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->v, &cap, out->n, sizeof *out->v)) {
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            break;
        }
        db_pair_decision *d = &out->v[out->n];
        memset(d, 0, sizeof *d);
        rc = pair_fill(d, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int(st, 2),
                       (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
                       (const char *)sqlite3_column_text(st, 5), err);
        if (!rc) out->n++;
    }
    if (!rc && s != SQLITE_DONE) rc = db_sql_fail(db, err, "pair decisions");
    sqlite3_finalize(st);
    if (rc) db_pair_decisions_free(out);
    return rc;
}

void db_pair_rows_free(db_pair_rows *l)
{
    for (size_t i = 0; l && i < l->n; i++) free(l->v[i].issues);
    if (l) { free(l->v); l->v = NULL; l->n = 0; }
}

int db_pair_rows_load(sqlite3 *db, int64_t run_id, db_pair_rows *out, la_error *err)
{
    out->n = 0;
    out->v = NULL;
    sqlite3_stmt *st;
    if (db_sql_prepare(db, "SELECT row, issues, partner, partner_split FROM queue_issues WHERE run_id = ?"
                           " AND issues IS NOT NULL ORDER BY row", &st, err))
        return LA_EINTERNAL;
    sqlite3_bind_int64(st, 1, run_id);
    size_t cap = 0;
    int s, rc = 0;
    while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&out->v, &cap, out->n, sizeof *out->v)) {
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
            break;
        }
        db_pair_row *e = &out->v[out->n];
        const unsigned char *split = sqlite3_column_text(st, 3);
        e->row = sqlite3_column_int64(st, 0);
        e->partner = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 2);
        e->partner_test = split && !strcmp((const char *)split, "test");
        if (!(e->issues = db_sql_col_strdup(st, 1))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        else out->n++;
    }
    if (!rc && s != SQLITE_DONE) rc = db_sql_fail(db, err, "queue issues");
    sqlite3_finalize(st);
    if (rc) db_pair_rows_free(out);
    return rc;
}
