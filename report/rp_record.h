/*
 * rp_record.h — the record stage: an audit stage result into the review
 * database, with the digest the report reads instead of the raw inputs
 * (rp_digest.h: curves, feature summaries, thumbnail pixels), in one
 * transaction. It lives above db/ because the digest is the report's own
 * summary of the inputs; db/ stores, this decides what.
 */
#ifndef LA_RP_RECORD_H
#define LA_RP_RECORD_H

#include <stdint.h>
#include "../audit/audit.h"
#include "../io/dataset.h"

typedef struct sqlite3 sqlite3;

/* Records the run that au_run computed from `in` with `o` (res), its
 * examples, review queue and digest. ds (may be NULL) is the audited
 * dataset: feature summaries and pixels come from it. The curves come from
 * in->probs when the probabilities are in memory, else from in->probs_npy
 * read once when it is under the digest's size cap. *run_id (may be NULL)
 * receives the run. 0, or a status with err filled; nothing written then. */
int rp_record_audit(sqlite3 *db, const au_input *in, const au_opts *o, const au_result *res,
                    const la_dataset *ds, int64_t *run_id, la_error *err);

/* rp_record_audit with the dataset checks' findings (rp_issues_record of
 * checks) in the same transaction: all of it lands or none does. */
struct rp_issues_src;
int rp_record_audit_checks(sqlite3 *db, const au_input *in, const au_opts *o, const au_result *res,
                           const la_dataset *ds, const struct rp_issues_src *checks, int64_t *run_id,
                           la_error *err);

#endif
