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
    const char *dataset_path;       /* --data, or the labels file when none   */
    const char *dataset_hash;       /* hex content hash of the input files    */
    const char *labels_path;
    const char *pred_probs_path;
    size_t n, k;
    char *const *class_names;       /* k                                      */
    char *const *ids;               /* n, or NULL: ids are the row numbers    */
    char *const *image_paths;       /* n, or NULL                             */
    const int64_t *given;           /* n given labels                         */
    const int64_t *suggested;       /* n: argmax of the predicted probabilities */
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
} db_audit_record;

/* Appends a run, its examples and its review queue in one transaction.
 * Decisions already made on the same dataset ids carry over into the new
 * queue. *run_id receives the new run's id. */
int db_record_audit(sqlite3 *db, const db_audit_record *rec, int64_t *run_id, la_error *err);

/* Attaches cross-validation or retrain metrics (metrics.json text) to a run. */
int db_record_metrics(sqlite3 *db, int64_t run_id, const char *kind,
                      const char *metrics_json, la_error *err);

#endif
