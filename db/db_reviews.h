/*
 * db_reviews.h — review sessions where every queue row goes to R reviewers
 * (serve / review --reviews-per-item R; schema/006_reviews.sql). Each
 * reviewer's answer on a row is kept apart (table reviews) and appended to
 * the decision log, so `consensus --db` reads them all; the queue row itself
 * is never changed by an answer.
 *
 * The hiding rule lives here (db_reviews_may_see): a reviewer sees the other
 * reviewers' answers on a row only once they have answered it themselves
 * (keep, relabel or drop). A row is done when R reviewers have answered it.
 * Undo is one's own only, and takes one's own last answer back.
 */
#ifndef LA_DB_REVIEWS_H
#define LA_DB_REVIEWS_H

#include <stddef.h>
#include <stdint.h>
#include "db.h"

#define DB_REVIEWS_MAX 1000    /* largest R accepted                          */

/* One reviewer's answer on a queue row; strings owned. */
typedef struct db_answer {
    int64_t queue_id;
    char   *reviewer;
    char   *status;           /* keep | relabel | drop | skip | pending         */
    int64_t new_label;        /* -1 when none                                   */
    char   *verdict, *note;   /* NULL when none                                 */
    char   *decided_at;
    int     version;
} db_answer;

typedef struct db_answers {
    size_t     n;
    db_answer *v;
} db_answers;

void db_answers_free(db_answers *a);

/* 1 when status is an answer (keep, relabel, drop): it counts towards R and
 * lets its reviewer see the others' answers. skip (later) and pending do not. */
int db_reviews_is_answer(const char *status);

/* The hiding rule: 1 when a reviewer whose own status on a row is
 * own_status may see the other reviewers' answers on it. */
int db_reviews_may_see(const char *own_status);

/* A reviewer's view of run run_id's queue, in rank order: items.v[i] is the
 * queue row with status, new_label, reviewer, decided_at, note, version and
 * verdict taken from `reviewer`'s own answer (status "pending", version 0
 * when none) and never from the queue row, carried_from 0, disagrees 0 (so
 * nothing of another reviewer shows); answers[i] = how many reviewers have
 * answered it (db_reviews_is_answer). queue_id > 0 restricts it to that row
 * (items.n = 0 when it is not in the run). Free with db_review_view_free. */
typedef struct db_review_view {
    db_items items;
    int64_t *answers;         /* items.n                                        */
} db_review_view;

int  db_reviews_view(sqlite3 *db, int64_t run_id, const char *reviewer, int64_t queue_id, db_review_view *out,
                     la_error *err);
void db_review_view_free(db_review_view *v);

/* Every answer (status keep, relabel, drop or skip) given on run run_id's
 * rows, by queue id then reviewer. Free with db_answers_free. */
int db_reviews_all(sqlite3 *db, int64_t run_id, db_answers *out, la_error *err);

/* Records reviewer's answer on queue row queue_id of run run_id (> 0) in
 * one transaction: sets their row in reviews (version + 1) if its version
 * is still expected_version (0 = no answer yet), and appends to the decision
 * log (marked in review_entries). status: keep | relabel | drop | skip, or
 * pending to withdraw one's answer; new_label a class index for relabel, -1
 * otherwise; verdict as db_decide_verdict. A new answer on a row that R
 * (per_item) reviewers have answered already is refused. Returns 0;
 * DB_CONFLICT (nothing written): "stale version: ..." or "queue entry Q
 * (ID) is done: R reviewers answered it"; LA_EUSAGE (bad status or label,
 * "no queue entry Q in run R"); LA_EINTERNAL. */
int db_reviews_answer(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version, int64_t per_item,
                      const char *status, int new_label, const char *verdict, const char *reviewer,
                      const char *note, const char *source, la_error *err);

/* Takes reviewer's own last answer in run run_id back (the one before it on
 * that row, if any, becomes theirs again), logging an 'undo' entry; calling
 * it again undoes the answer before. *queue_id (may be NULL) receives the
 * row. Returns 0 or LA_EUSAGE "nothing to undo for reviewer 'NAME'". */
int db_reviews_undo(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *queue_id, la_error *err);

/* A number that changes whenever an answer is given or undone in run run_id
 * (the last decision-log id of the run's answers), for recomputing what
 * depends on them. */
int db_reviews_stamp(sqlite3 *db, int64_t run_id, int64_t *stamp, la_error *err);

#endif
