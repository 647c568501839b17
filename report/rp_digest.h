/*
 * rp_digest.h — the report's digest of a run, computed once when the run is
 * recorded (audit --db) from the raw inputs the report must not reopen: the
 * per-class precision-recall curves of the out-of-fold probabilities, the
 * "most telling" feature summaries of flagged tabular examples
 * (rp_features.h), and the 8-bit thumbnail pixels of flagged examples of
 * image datasets without files (IDX, .npy pixels). Stored with
 * db_record_digest (db.h); the report then reads only the database and image
 * files. Not here: drawing (report.c) or SQL (db/).
 *
 * Usage, right after db_record_audit:
 *   double *pp = probs_in_memory ? NULL : rp_digest_load_probs(probs_path, n, k);
 *   rc = rp_record_digest(db, run_id, &ds_or_NULL, probs_in_memory ? p : pp, y, n, k, &err);
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

#endif
