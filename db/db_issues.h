/*
 * db_issues.h — the dataset checks' findings in the database
 * (schema/005_issues.sql): one row per issue of a training example with its
 * score, partner and severity rank, what the report shows of every example
 * an issue names (test examples of leaks included), and the review queue
 * rows those examples get. Plain strings in, owned structs out: db/ does not
 * know checks/ (report/rp_issues.c translates). Never prints.
 *
 *   db_record_audit_then(db, &rec, hook, ctx, &id, &err);  // hook calls:
 *   db_issues_record(db, id, &set, &err);                  // same transaction
 *   db_issues_load(db, id, "near_duplicate", &list, &err);
 */
#ifndef LA_DB_ISSUES_H
#define LA_DB_ISSUES_H

#include <stddef.h>
#include <stdint.h>
#include "db.h"

/* One issue to record; strings borrowed. rank = its position + 1. */
typedef struct db_issue_row {
    int64_t     row;              /* training row (leakage: the copied one)   */
    const char *issue;            /* issues.csv's type word                   */
    double      score;            /* [0, 1], lower = more severe              */
    int64_t     partner;          /* the pair's other row, -1 = none          */
    int         partner_test;     /* 1: partner is a test row (leakage)       */
} db_issue_row;

/* What the report shows of one example an issue names. Borrowed when
 * recorded; owned (db_issue_example_free) when loaded. */
typedef struct db_issue_example {
    int         test;             /* 1: a test-split row                      */
    int64_t     row;
    char       *dataset_id;
    char       *label;            /* class name, or NULL                      */
    char       *image_path;       /* or NULL                                  */
    int         image_w, image_h, channels; /* pixels' shape, 0 = none        */
    uint8_t    *pixels;           /* image_h x image_w x channels, or NULL    */
    char       *features;         /* JSON [[name, value], ...], or NULL       */
} db_issue_example;

typedef struct db_issue_set {
    size_t                  n_rows;
    const db_issue_row     *rows;         /* severity order                   */
    size_t                  n_examples;   /* each (test, row) at most once    */
    const db_issue_example *examples;
    const char             *test_path;    /* the test split, or NULL: none    */
    int64_t                 n_test;
} db_issue_set;

/* Stores s as run run_id's findings under one SAVEPOINT (inside the
 * caller's transaction when one is open), and gives every training example
 * with an issue other than leakage a review-queue row when the label audit
 * did not (one row per example, whatever its types), carrying decisions
 * over from earlier runs of the dataset as db_record_audit does. Returns 0;
 * LA_EUSAGE (a row outside the run, an empty issue word); LA_EINTERNAL;
 * nothing is written on failure. */
int db_issues_record(sqlite3 *db, int64_t run_id, const db_issue_set *s, la_error *err);

/* One recorded issue, owned. */
typedef struct db_issue {
    int64_t rank, row, partner;   /* partner -1 = none                        */
    int     partner_test;
    char   *issue;
    double  score;
} db_issue;

typedef struct db_issues { size_t n; db_issue *v; } db_issues;

/* Run run_id's issues of type `issue` (NULL = every type) in rank order.
 * 0 or LA_EINTERNAL; out is empty for a run without findings (an older
 * labelaudit's, or one recorded without checks). Free with db_issues_free. */
int  db_issues_load(sqlite3 *db, int64_t run_id, const char *issue, db_issues *out, la_error *err);
void db_issues_free(db_issues *l);

/* The issues of one training example (`row` of run run_id), rank order:
 * what the review shows beside it. Same ownership as db_issues_load. */
int  db_issues_load_row(sqlite3 *db, int64_t run_id, int64_t row, db_issues *out, la_error *err);

/* Per-type counts of run run_id: issue words (owned) with the rows of each,
 * in order of first appearance by rank. *n = 0 when none. Free with
 * db_issues_counts_free. */
typedef struct db_issue_count { char *issue; int64_t n; } db_issue_count;
int  db_issues_counts(sqlite3 *db, int64_t run_id, db_issue_count **out, size_t *n, la_error *err);
void db_issues_counts_free(db_issue_count *c, size_t n);

/* The stored example (test or training row `row`): *found = 0 when none is
 * stored. Free out with db_issue_example_free (zeroed-safe). */
int  db_issues_example(sqlite3 *db, int64_t run_id, int test, int64_t row, db_issue_example *out,
                       int *found, la_error *err);
void db_issue_example_free(db_issue_example *e);

/* The run's test split: *path (owned) and *n, or *path = NULL when the run
 * had none. 0 or LA_EINTERNAL. */
int db_issues_test_split(sqlite3 *db, int64_t run_id, char **path, int64_t *n, la_error *err);

#endif
