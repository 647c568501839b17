/*
 * rp_digest.h — the report's digest of a run, computed once when the run is
 * recorded (audit --db) from the raw inputs the report must not reopen: the
 * per-class precision-recall curves of the out-of-fold probabilities, each
 * flagged example's p(given) and top 3 classes, the typical examples of each
 * class (the most confident correctly-labelled ones: schema/003_report.sql),
 * the "most telling" feature summaries of flagged tabular examples
 * (rp_features.h), and the 8-bit thumbnail pixels of flagged examples of
 * image datasets without files (IDX, .npy pixels). Stored with
 * db_record_digest (db.h); the report then reads only the database and image
 * files. Not here: drawing (report.c) or SQL (db/).
 *
 * Usage: in the same transaction as the run (db_record_audit_then), or after
 * it (rp_record_digest):
 *   double *pp = csv_probs ? NULL : rp_digest_load_probs(probs_path, n, k);
 *   rp_digest_src src = {ds_or_NULL, csv_probs ? csv_probs : pp, y, n, k};
 *   rc = db_record_audit_then(db, &rec, rp_digest_hook, &src, &run_id, &err);
 *   free(pp);
 */
#ifndef LA_RP_DIGEST_H
#define LA_RP_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include "../io/dataset.h"
#include "../util/la_util.h"

typedef struct sqlite3 sqlite3;

/* Probability files above this size get no stored curves (the report then
 * shows each class's operating point): the audit streams large files and
 * never holds them whole; this is the cap the report used to reload under. */
#define RP_DIGEST_MAX_PROBS_BYTES (256LL << 20)
#define RP_PR_MAX_POINTS   240   /* points kept per class curve               */
#define RP_FEATURES_SHOWN  4     /* features per flagged tabular example       */
#define RP_TYPICAL_PER_CLASS 3   /* typical examples stored per class          */

/* The n x k probabilities of the .npy or CSV file at path, as doubles, for
 * the curves: a malloc'd array (caller frees), or NULL when the file is over
 * RP_DIGEST_MAX_PROBS_BYTES, unreadable, or not n x k. Never fails otherwise. */
double *rp_digest_load_probs(const char *path, size_t n, size_t k);

/* Computes and stores (one SAVEPOINT) run run_id's digest:
 *   probs  n x k row-major out-of-fold probabilities, or NULL (no curves);
 *   labels n given labels (the run's), for the curves;
 *   ds     the audited dataset, or NULL: feature summaries (tabular) or
 *          thumbnail pixels (pixel rows without image files) of the run's
 *          flagged examples that have no image file. A dataset that does not
 *          match the run (size, classes) stores a note instead.
 * n and k must be the run's. Returns 0; LA_EUSAGE (no such run);
 * LA_EINTERNAL (out of memory, SQL); nothing is stored then. */
int rp_record_digest(sqlite3 *db, int64_t run_id, const la_dataset *ds, const double *probs,
                     const int32_t *labels, size_t n, size_t k, la_error *err);

/* The inputs of rp_record_digest, for rp_digest_hook; all borrowed. */
typedef struct rp_digest_src {
    const la_dataset *ds;        /* or NULL                                  */
    const double     *probs;     /* n x k, or NULL                           */
    const int32_t    *labels;    /* n                                        */
    size_t            n, k;
} rp_digest_src;

/* A db_record_hook: rp_record_digest(db, run_id, src...) with src an
 * rp_digest_src *, so the digest is stored in the run's own transaction. */
int rp_digest_hook(sqlite3 *db, int64_t run_id, void *src, la_error *err);

#endif
