/*
 * db_pairs.h — reviewers' answers on duplicate / leak pairs
 * (schema/007_pairs.sql): example X (a training row of the run) and its
 * partner Y, the partner of X's most severe pair issue (queue_issues).
 * Append-only: an answer and its undo are each a new row; the current
 * answers are each pair's latest row unless that row is an undo. Every
 * write runs in its own transaction (BEGIN IMMEDIATE ... COMMIT).
 *
 *   db_pair_record(db, run, 4, "keep", "ann", &p, &err);  // keep 4, drop Y
 *   db_pair_undo(db, run, "ann", &p, &err);                // withdraw it
 *   db_pair_load(db, run, &list, &err);                    // current answers
 */
#ifndef LA_DB_PAIRS_H
#define LA_DB_PAIRS_H

#include <stddef.h>
#include <stdint.h>
#include "db.h"

/* One answer on a pair (owned strings when loaded). */
typedef struct db_pair_decision {
    int64_t row;              /* X, training row                             */
    int64_t partner;          /* Y                                           */
    int     partner_test;     /* 1: Y is a test row (a leak)                 */
    char   *choice;           /* drop | keep | keep_both                     */
    char   *reviewer, *decided_at;
} db_pair_decision;

typedef struct db_pair_decisions { size_t n; db_pair_decision *v; } db_pair_decisions;

/* 1 when choice is drop, keep or keep_both. */
int db_pair_choice_valid(const char *choice);

/* The partner of training row `row`'s most severe pair issue in run run_id:
 * *found = 0 when the row has none. 0 or LA_EINTERNAL. */
int db_pair_partner(sqlite3 *db, int64_t run_id, int64_t row, int64_t *partner, int *partner_test,
                    int *found, la_error *err);

/* Records reviewer's `choice` on (row, its partner) and fills *out (owned:
 * db_pair_decision_free). LA_EUSAGE, nothing written: an unknown choice, an
 * empty reviewer, a row of no pair ("row R of run N has no duplicate or leak
 * partner"); LA_EINTERNAL. */
int db_pair_record(sqlite3 *db, int64_t run_id, int64_t row, const char *choice, const char *reviewer,
                   db_pair_decision *out, la_error *err);

/* Withdraws reviewer's latest answer that is still a pair's current one,
 * filling *out with the answer withdrawn. LA_EUSAGE "nothing to undo" when
 * there is none; LA_EINTERNAL. */
int db_pair_undo(sqlite3 *db, int64_t run_id, const char *reviewer, db_pair_decision *out, la_error *err);

/* The current answer of every answered pair of run run_id, by row then
 * partner. 0 or LA_EINTERNAL (out empty). Free with db_pair_decisions_free. */
int  db_pair_load(sqlite3 *db, int64_t run_id, db_pair_decisions *out, la_error *err);
void db_pair_decision_free(db_pair_decision *d);

/* A queue row with dataset-check issues (queue_issues): its types and the
 * partner of its most severe pair issue. */
typedef struct db_pair_row {
    int64_t row;
    char   *issues;               /* space-separated, severity order (owned)  */
    int64_t partner;              /* -1 = none                               */
    int     partner_test;
} db_pair_row;
typedef struct db_pair_rows { size_t n; db_pair_row *v; } db_pair_rows;

/* Run run_id's queue rows with issues, by row. 0 or LA_EINTERNAL (out
 * empty). Free with db_pair_rows_free. */
int  db_pair_rows_load(sqlite3 *db, int64_t run_id, db_pair_rows *out, la_error *err);
void db_pair_rows_free(db_pair_rows *l);
void db_pair_decisions_free(db_pair_decisions *l);

#endif
