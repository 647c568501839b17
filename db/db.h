/*
 * db.h — the only module that speaks SQL. It owns the labelaudit database:
 * schema migrations (schema/NNN_name.sql embedded at build time, version in
 * PRAGMA user_version), audit runs and their examples, the review queue and
 * the append-only decision log. WAL mode, foreign keys on, every write in a
 * transaction, every value bound as a parameter.
 */
#ifndef LA_DB_H
#define LA_DB_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

typedef struct sqlite3 sqlite3;

/* Opens (creating if needed) and migrates the database in one transaction.
 * A database from a newer labelaudit is refused with LA_EUSAGE. */
int  db_open(const char *path, sqlite3 **out, la_error *err);
void db_close(sqlite3 *db);

/* Everything an audit run records. Arrays are borrowed, not copied. */
typedef struct db_audit_record {
    const char *dataset_path;       /* --data, or the labels file when none;
                                       stored absolute (realpath) when it exists */
    const char *dataset_hash;       /* hex content hash of the input files    */
    const char *labels_path;
    const char *pred_probs_path;
    size_t n, k;
    char *const *class_names;       /* k                                      */
    char *const *ids;               /* n, or NULL: ids are the row numbers    */
    char *const *image_paths;       /* n, or NULL                             */
    const int64_t *given;           /* n given labels                         */
    const int64_t *suggested;       /* n: argmax of the predicted probabilities */
    const double  *suggested_p;     /* n: its probability, or NULL (stored NULL) */
    const double  *quality;         /* n label quality scores (--rank-by)     */
    const uint8_t *is_issue;        /* n: flagged by --filter-by              */
    const int64_t *ranked;          /* n_ranked flagged indices, best first   */
    size_t n_ranked;
    const int64_t *confident_joint; /* k x k, calibrated                      */
    const double  *noise_matrix;    /* k x k, P(given | true)                 */
    const int64_t *class_issues;    /* k: flagged examples per given class    */
    const double  *class_error_rate;/* k: estimated label-error rate per class */
    const double  *class_quality;   /* k: label quality score per class       */
    double error_rate;              /* estimated label-error rate overall     */
    double health;                  /* overall label health score             */
    const char *method;             /* filter_by                              */
    const char *rank_by;
    const char *options_json;       /* every option, as JSON text             */
    const char *summary_json;       /* the summary.json text                  */
    char *const *features;          /* n, or NULL: a short JSON feature summary
                                       per flagged example (tabular data; see
                                       report/rp_features.h), NULL entries ok   */
} db_audit_record;

/* Appends a run, its examples and its review queue in one transaction.
 * Decisions already made on the same dataset ids carry over into the new
 * queue. *run_id receives the new run's id. */
int db_record_audit(sqlite3 *db, const db_audit_record *rec, int64_t *run_id, la_error *err);

/* Attaches cross-validation or retrain metrics (metrics.json text) to a run. */
int db_record_metrics(sqlite3 *db, int64_t run_id, const char *kind,
                      const char *metrics_json, la_error *err);

/* ---- Reading runs (the report, check, clean) ---------------------------- */

/* A read snapshot: between db_snapshot_begin and db_snapshot_end every read
 * sees the database as of the first one (WAL: writers are not blocked), so a
 * report written while reviewers decide is consistent. */
int  db_snapshot_begin(sqlite3 *db, la_error *err);
void db_snapshot_end(sqlite3 *db);

/* Id of the most recent run (largest id). LA_EUSAGE "no runs" when empty. */
int db_latest_run(sqlite3 *db, int64_t *run_id, la_error *err);

/* Ids of every run, oldest first. *ids is malloc'd (free it); *n may be 0. */
int db_list_runs(sqlite3 *db, int64_t **ids, size_t *n, la_error *err);

/* A run with its per-class table and matrices, all owned by the struct. */
typedef struct db_run {
    int64_t id;
    char   *created_at, *version, *kind;
    char   *dataset_path, *dataset_hash, *labels_path, *pred_probs_path; /* paths may be NULL */
    int64_t n, k;
    char   *method, *rank_by, *options_json, *summary_json;
    double  error_rate, health;
    int64_t num_flagged;
    char  **class_names;      /* k                                              */
    int64_t *given_count;     /* k                                              */
    int64_t *num_issues;      /* k                                              */
    double *class_error_rate; /* k                                              */
    double *class_quality;    /* k                                              */
    double *confident_joint;  /* k x k row-major (given, true), 0 when absent   */
    double *noise_matrix;     /* k x k row-major                                */
    int     has_images;       /* some example of the run has an image_path      */
} db_run;

/* Loads run `run_id`. LA_EUSAGE "no run N" when it does not exist. Free with
 * db_run_free (safe on a zeroed or half-filled struct). */
int  db_load_run(sqlite3 *db, int64_t run_id, db_run *out, la_error *err);
void db_run_free(db_run *run);

/* One flagged example with its review-queue state. */
typedef struct db_item {
    int64_t queue_id;
    int64_t row;              /* 0-based row in the dataset                     */
    char   *dataset_id;
    int64_t given, suggested;
    double  suggested_p;      /* its probability (schema 008); NAN when not recorded */
    double  quality;
    int64_t rank;             /* 1-based                                        */
    char   *image_path;       /* NULL when none                                 */
    char   *features;         /* JSON feature summary or NULL                   */
    char   *status;           /* pending | keep | relabel | drop | skip         */
    int64_t new_label;        /* -1 when none                                   */
    char   *reviewer, *decided_at, *note; /* NULL when none                     */
    int     version;          /* for db_decide's optimistic locking             */
    int64_t carried_from;     /* queue id the decision came from, 0 when none   */
    int     disagrees;        /* carried decision disagrees with this run       */
    char   *verdict;          /* error | ambiguous | false_alarm, NULL = none   */
} db_item;

typedef struct db_items {
    size_t   n;
    db_item *v;
} db_items;

/* Number of flagged examples of a run, all (given_class < 0) or of one given
 * class. */
int db_count_flagged(sqlite3 *db, int64_t run_id, int64_t given_class,
                     int64_t *count, la_error *err);

/* Up to `limit` flagged examples in rank order whose rank is > after_rank
 * (keyset paging: pass 0, then the last rank seen), of all classes
 * (given_class < 0) or one given class. Free with db_items_free. */
int  db_load_flagged(sqlite3 *db, int64_t run_id, int64_t given_class,
                     int64_t after_rank, int64_t limit, db_items *out, la_error *err);
/* The queue row `queue_id` (any run). LA_EUSAGE when absent. out->n == 1. */
int  db_load_item(sqlite3 *db, int64_t queue_id, db_items *out, la_error *err);
/* The same, only when the row belongs to run `run_id` (> 0; <= 0 = any run):
 * a row of another run is LA_EUSAGE "no queue entry Q in run R", as if absent. */
int  db_load_item_in_run(sqlite3 *db, int64_t run_id, int64_t queue_id, db_items *out, la_error *err);
void db_items_free(db_items *items);

/* The given labels of every example of the run, by row: *given is malloc'd
 * (n entries, caller frees), *n = the run's N. */
int db_load_given(sqlite3 *db, int64_t run_id, int32_t **given, size_t *n, la_error *err);

/* The most recent metrics_json of `kind` ("cv", "retrain"; NULL = any) attached
 * to the run; *json = NULL when none. Caller frees *json. */
int db_load_metrics(sqlite3 *db, int64_t run_id, const char *kind, char **json, la_error *err);

/* ---- Decisions (serve, review, decisions --import) -------------------- */

/* db_decide / db_undo_last return this (with err filled) when the queue row
 * changed since the caller read it: someone else decided it meanwhile. */
#define DB_CONFLICT 10

/* Records a decision on queue row `queue_id` in one transaction: updates the
 * row (status, new_label, reviewer, decided_at = now, note, version + 1) only
 * if its version still equals expected_version, and appends to decision_log.
 * status: pending | keep | relabel | drop | skip; new_label is a class index
 * 0..k-1 for relabel and must be -1 otherwise; note may be NULL; source is
 * 'serve' | 'review' | 'import' (free text, stored). Returns 0, DB_CONFLICT
 * (nothing written), LA_EUSAGE (bad status/label/queue id), LA_EINTERNAL. */
int db_decide(sqlite3 *db, int64_t queue_id, int expected_version, const char *status,
              int new_label, const char *reviewer, const char *note, const char *source,
              la_error *err);
/* db_decide limited to run `run_id` (> 0; <= 0 = any run): a queue row of
 * another run is LA_EUSAGE "no queue entry Q in run R" and nothing is written.
 * The DB_CONFLICT message says which case it is: "another reviewer, NAME,
 * decided ..." when the row's current decision is someone else's, else
 * "stale version: ..." (one's own earlier change, or an undo, since the read).
 * What serve and review call. */
int db_decide_in_run(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version,
                     const char *status, int new_label, const char *reviewer, const char *note,
                     const char *source, la_error *err);

/* Verdicts (schema/004_verdict.sql): what the reviewer found, beside the
 * action. 1 when v is error | ambiguous | false_alarm. */
int db_verdict_valid(const char *v);
/* 0 when verdict is NULL (none) or valid for status; LA_EUSAGE naming the
 * fault otherwise (a bad word; a verdict with pending or skip, which are no
 * decision). */
int db_verdict_check(const char *status, const char *verdict, la_error *err);
/* db_decide_in_run that also records `verdict` (NULL = none) on the queue row
 * and its log entry; an undo restores the verdict the row had before. */
int db_decide_verdict(sqlite3 *db, int64_t run_id, int64_t queue_id, int expected_version,
                      const char *status, int new_label, const char *verdict, const char *reviewer,
                      const char *note, const char *source, la_error *err);

/* Undoes `reviewer`'s most recent decision not yet undone (in run `run_id`, or
 * any run when run_id <= 0): restores the queue row to its state before that
 * decision, bumps its version and logs an 'undo' entry. Calling it again undoes
 * the decision before. *queue_id (may be NULL) receives the row restored.
 * Returns 0; LA_EUSAGE "nothing to undo"; DB_CONFLICT when someone else changed
 * the row since (nothing written). */
int db_undo_last(sqlite3 *db, const char *reviewer, int64_t run_id, int64_t *queue_id,
                 la_error *err);

/* Current UTC time as ISO-8601 with milliseconds ("2026-01-02T03:04:05.678Z"). */
void db_now_iso(char out[32]);

/* ---- Review queue: filters, progress, import (db/db_review.c) ---------- */
/* (section owned by the review server / terminal review / decisions work)   */

#define DB_MAX_REVIEWER 200      /* bytes; longer names are refused          */
#define DB_MAX_NOTE     4000     /* bytes                                    */

/* The run reviewers see by default: the most recent run of kind 'audit'.
 * LA_EUSAGE when there is none. */
int db_review_run(sqlite3 *db, int64_t *run_id, la_error *err);

/* 1 when s is keep | relabel | drop | skip (or pending when allow_pending). */
int db_status_valid(const char *s, int allow_pending);

/* Which queue rows db_queue_list returns. db_filter_init sets "everything". */
typedef struct db_filter {
    int64_t     given;            /* given class index, -1 = any              */
    const char *status;           /* NULL = any, "decided" = not pending,
                                     else one status                          */
    double      score_min, score_max; /* label quality range, inclusive       */
    int64_t     offset, limit;    /* paging; limit <= 0 = no limit            */
} db_filter;
void db_filter_init(db_filter *f);

/* Queue rows of run `run_id` matching f (NULL = all), in rank order, into
 * *out (free with db_items_free). *total (may be NULL) receives the number of
 * matching rows ignoring offset/limit. 0 or LA_EINTERNAL. */
int db_queue_list(sqlite3 *db, int64_t run_id, const db_filter *f,
                  db_items *out, int64_t *total, la_error *err);

/* The first pending row of the run in rank order: out->n is 1, or 0 when
 * nothing is pending. Free with db_items_free. */
int db_queue_next_pending(sqlite3 *db, int64_t run_id, db_items *out, la_error *err);

/* Review progress: counts by status, overall and per given class. */
typedef struct db_progress {
    int64_t total, decided;       /* decided = not pending                    */
    int64_t keep, relabel, drop, skip;
} db_progress;

/* Fills per_class[0..k-1] (may be NULL) and *overall for run `run_id`. */
int db_queue_progress(sqlite3 *db, int64_t run_id, size_t k, db_progress *per_class,
                      db_progress *overall, la_error *err);

/* What reviewers found (schema 004), counted over decided rows: keep,
 * relabel or drop (pending and skip are no decision). */
typedef struct db_verdict_counts {
    int64_t decided;              /* decided rows                             */
    int64_t error, ambiguous, false_alarm; /* of them, with each verdict      */
} db_verdict_counts;              /* judged = error + ambiguous + false_alarm */

/* Fills per_class[0..k-1] (by given class; may be NULL) and *overall for run
 * `run_id`. 0 or LA_EINTERNAL. */
int db_verdict_counts_load(sqlite3 *db, int64_t run_id, size_t k, db_verdict_counts *per_class,
                           db_verdict_counts *overall, la_error *err);

/* One decision to import; strings borrowed; empty strings mean "none". */
typedef struct db_import_row {
    long        line;             /* line in the import file, for messages    */
    const char *id;               /* dataset id                               */
    const char *decision;         /* keep | relabel | drop | skip             */
    const char *new_label;        /* class name, relabel only                 */
    const char *reviewer, *note;
    const char *verdict;          /* error | ambiguous | false_alarm; NULL or
                                     empty = none (schema 004)                */
} db_import_row;

/* Applies rows to the queue of run `run_id` (<= 0: the latest run) in ONE
 * transaction, logging each with source 'import'. Every row is validated
 * (unknown id, bad decision, unknown class, new_label on a non-relabel) and
 * the first bad one aborts the whole import with err naming file:line and the
 * column; nothing is written then. *applied (may be NULL) receives n. */
int db_import_decisions(sqlite3 *db, int64_t run_id, const char *file,
                        const db_import_row *rows, size_t n, size_t *applied, la_error *err);
/* ---- end of db_review.c section ----------------------------------------- */

/* ---- Run queries for check (db/db_runs.c) ------------------------------ */
/* (section owned by the `check` work; read-only)                            */

/* Id of the most recent run of kind 'audit'. LA_EUSAGE "no audit runs" when
 * there is none. */
int db_latest_audit_run(sqlite3 *db, int64_t *run_id, la_error *err);

/* The latest audit run before run_id with the same dataset_path: *prev_id, or
 * 0 when there is none (not an error). */
int db_previous_run(sqlite3 *db, int64_t run_id, int64_t *prev_id, la_error *err);

/* The few columns check needs, owned by the struct. */
typedef struct db_run_brief {
    int64_t id;
    char   *created_at;       /* ISO-8601 UTC                                   */
    char   *kind;             /* audit | retrain                                */
    char   *dataset_path;
    char   *summary_json;     /* the audit's summary.json text                  */
} db_run_brief;

/* Loads run run_id. LA_EUSAGE "no run N" when absent. Free with
 * db_run_brief_free (safe on a zeroed struct). */
int  db_load_run_brief(sqlite3 *db, int64_t run_id, db_run_brief *out, la_error *err);
void db_run_brief_free(db_run_brief *r);
/* ---- end of db_runs.c section ------------------------------------------- */

/* ---- clean / retrain (db/db_retrain.c) -------------------------------- */
/* (section owned by the clean/retrain work; read-only)                      */

/* The dataset ids of every example of run run_id, in row order: *ids gets
 * *n malloc'd strings (free with db_free_ids). A run with no examples gives
 * *n = 0. Returns 0 or LA_EINTERNAL. */
int  db_example_ids(sqlite3 *db, int64_t run_id, char ***ids, size_t *n, la_error *err);
void db_free_ids(char **ids, size_t n);
/* ---- end of db_retrain.c section ---------------------------------------- */

/* ---- Report digests (db/db_digest.c) ----------------------------------- */
/* What the report needs from the raw inputs (precision-recall points, the
 * thumbnail pixels of examples without image files, feature summaries),
 * stored when a run is recorded so that the report reads only the database
 * and image files. Computed by report/rp_digest.h; schema/002_digest.sql.   */

/* One class's precision-recall curve; arrays borrowed. */
typedef struct db_pr_curve {
    int64_t       class_index;
    size_t        npoints;
    const double *recall, *precision;   /* npoints each, in sweep order       */
} db_pr_curve;

/* What one flagged example gets; both parts optional (NULL). */
typedef struct db_example_digest {
    int64_t        row;
    const char    *features;   /* JSON feature summary into examples.features
                                  (kept when one is stored already)           */
    const uint8_t *pixels;     /* image_h x image_w x channels bytes, or NULL */
} db_example_digest;

/* A flagged example's probabilities (schema/003_report.sql): p(given) and
 * the n_top (1..3) most probable classes, most probable first. */
typedef struct db_example_probs {
    int64_t row;
    double  p_given;
    int     n_top;               /* 0 when none is stored (when loaded)        */
    int64_t top[3];
    double  p_top[3];
} db_example_probs;

/* One typical example of a class: given = class = argmax, not flagged, the
 * slot-th most confident. dataset_id and image_path are owned when loaded
 * (db_load_typical), ignored when recorded. */
typedef struct db_typical {
    int64_t class_index, row;
    int     slot;                /* 0 = most confident                         */
    double  prob;                /* p(class) of the example                    */
    char   *dataset_id, *image_path;  /* image_path NULL when none             */
} db_typical;

/* A run's digest; everything borrowed. */
typedef struct db_digest {
    int                 has_pr;      /* curves hold every class of the run      */
    size_t              n_curves;
    const db_pr_curve  *curves;
    int                 image_w, image_h, channels; /* pixel shape, 0 = none  */
    size_t              n_examples;
    const db_example_digest *examples;
    const char         *note;        /* why parts are missing, or NULL        */
    size_t              n_probs;     /* flagged examples' probabilities (003) */
    const db_example_probs *probs;
    size_t              n_typical;   /* typical examples per class (003)      */
    const db_typical   *typical;
} db_digest;

/* Stores d as run run_id's digest, replacing any earlier one, all or nothing
 * (a SAVEPOINT: inside the caller's transaction when one is open, else its
 * own). Returns 0; LA_EUSAGE (no such run, a row outside the run, pixels
 * without a shape); LA_EINTERNAL (SQL, out of memory); nothing is written then. */
int db_record_digest(sqlite3 *db, int64_t run_id, const db_digest *d, la_error *err);

/* The stored digest of a run as the report reads it, owned by the struct. */
typedef struct db_digest_info {
    int   present;                 /* 0: no digest (an older labelaudit's run) */
    int   has_pr;
    int   image_w, image_h, channels;
    char *note;                    /* NULL when none                          */
} db_digest_info;

/* Loads run run_id's digest row; out->present = 0 when there is none (not an
 * error). 0 or LA_EINTERNAL. Free with db_digest_info_free (zeroed-safe). */
int  db_load_digest(sqlite3 *db, int64_t run_id, db_digest_info *out, la_error *err);
void db_digest_info_free(db_digest_info *d);

/* Class class_index's stored curve: *recall and *precision malloc'd (caller
 * frees both), *npoints entries; *npoints = 0 and NULLs when none stored. */
int db_load_pr_curve(sqlite3 *db, int64_t run_id, int64_t class_index, double **recall,
                     double **precision, size_t *npoints, la_error *err);

/* Row row's stored pixels: *pixels malloc'd (caller frees), *len bytes;
 * NULL and 0 when none stored. 0 or LA_EINTERNAL. */
int db_load_pixels(sqlite3 *db, int64_t run_id, int64_t row, uint8_t **pixels, size_t *len,
                   la_error *err);
/* The stored probabilities of items->v[i] into out[i] (items->n entries,
 * caller-allocated); out[i].n_top = 0 when none is stored. 0 or LA_EINTERNAL. */
int db_load_example_probs(sqlite3 *db, int64_t run_id, const db_items *items,
                          db_example_probs *out, la_error *err);

/* The typical examples of every class of the run, by class then slot:
 * *out malloc'd (*n entries; free with db_typical_free), NULL and 0 when
 * none is stored. 0 or LA_EINTERNAL. */
int  db_load_typical(sqlite3 *db, int64_t run_id, db_typical **out, size_t *n, la_error *err);
void db_typical_free(db_typical *t, size_t n);
/* ---- end of db_digest.c section ----------------------------------------- */

/* ---- Recording with follow-up writes (db/db_write.c) -------------------- */

/* Writes run_id's follow-up rows (e.g. rp_digest_hook: the report digest)
 * inside db_record_audit_then's transaction; 0 or a status with err filled. */
typedef int (*db_record_hook)(sqlite3 *db, int64_t run_id, void *ctx, la_error *err);

/* db_record_audit, then then(db, run_id, ctx, err) (when not NULL) before the
 * COMMIT: the run and what the hook writes land together or not at all. */
int db_record_audit_then(sqlite3 *db, const db_audit_record *rec, db_record_hook then, void *ctx,
                         int64_t *run_id, la_error *err);

/* ---- The record stage (db/db_record.c) -------------------------------- */
/* (section owned by the audit work)                                          */

struct au_input;
struct au_opts;
struct au_result;
struct ck_summary;

/* Records an audit stage result (audit/audit.h: the inputs it ran on, its
 * options, au_run's result) as one run with its examples and review queue,
 * then then(db, run_id, ctx, err) when not NULL (the report digest:
 * report/rp_record.h), all in one transaction (db_record_audit_then).
 * dataset_hash is FNV-1a over the label and probability files named in `in`.
 * *run_id receives the new run's id. 0, or a status with err set (nothing
 * written then). */
int db_record_audit_result(sqlite3 *db, const struct au_input *in, const struct au_opts *o,
                           const struct au_result *res, db_record_hook then, void *ctx, int64_t *run_id,
                           la_error *err);

/* Loads audit run `id`'s summary for check (audit/check.h): source "run N
 * (dataset, created_at)", run_id, created_at and dataset from the run.
 * LA_EUSAGE when the run is missing or not an audit (db_path names the file
 * in the message). Free with ck_summary_free. */
int db_load_audit_summary(sqlite3 *db, const char *db_path, int64_t id, struct ck_summary *out, la_error *err);
/* ---- end of db_record.c section ----------------------------------------- */

/* ---- Several reviewers' decisions as consensus input (db/db_consensus.c) -- */
/* (section owned by the consensus work; read-only)                           */

struct cs_labels;

/* Every reviewer's latest decision (not undone) on each queue row of run
 * run_id as multi-annotator labels: one example per row some reviewer kept
 * (label = the given class) or relabeled (the new class), in row order, ids
 * the dataset ids; one annotator per reviewer, by name ("unknown" for
 * none). Class indices are the run's (k classes). *rows (malloc'd, out->n)
 * receives each example's dataset row. LA_EUSAGE when the run has no such
 * decision or a class is out of range. Free out with cs_labels_free and
 * *rows with free. */
int db_consensus_labels(sqlite3 *db, int64_t run_id, int64_t k, struct cs_labels *out, int64_t **rows,
                        la_error *err);
/* ---- end of db_consensus.c section --------------------------------------- */

#endif
