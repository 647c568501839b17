/*
 * rp_record.c — the record stage (rp_record.h): db_record_audit_result with
 * the report digest (and the dataset checks' findings) as its
 * in-transaction follow-up.
 */
#include "rp_record.h"
#include "rp_digest.h"
#include "rp_issues.h"
#include "../db/db.h"

#include <assert.h>
#include <stdlib.h>

int rp_record_audit(sqlite3 *db, const au_input *in, const au_opts *o, const au_result *res,
                    const la_dataset *ds, int64_t *run_id, la_error *err)
{
    assert(db && in && o && res && err);
    int64_t id = 0;
    double *read = in->probs || !in->probs_npy ? NULL : rp_digest_load_probs(in->probs_npy, in->n, in->k);
    rp_digest_src src = {ds && ds->n ? ds : NULL, in->probs ? in->probs : read, in->labels, in->n, in->k};
    int rc = db_record_audit_result(db, in, o, res, rp_digest_hook, &src, &id, err);
    free(read);
    if (!rc && run_id) *run_id = id;
    return rc;
}

/* The digest, then the dataset checks' findings, in the run's transaction. */
typedef struct rp_record_both { rp_digest_src *digest; const rp_issues_src *issues; } rp_record_both;

static int rp_record_both_hook(sqlite3 *db, int64_t run_id, void *ctx, la_error *err)
{
    rp_record_both *b = ctx;
    int rc = rp_digest_hook(db, run_id, b->digest, err);
    return rc ? rc : rp_issues_record(db, run_id, b->issues, err);
}

int rp_record_audit_checks(sqlite3 *db, const au_input *in, const au_opts *o, const au_result *res,
                           const la_dataset *ds, const rp_issues_src *checks, int64_t *run_id, la_error *err)
{
    assert(db && in && o && res && checks && err);
    int64_t id = 0;
    double *read = in->probs || !in->probs_npy ? NULL : rp_digest_load_probs(in->probs_npy, in->n, in->k);
    rp_digest_src src = {ds && ds->n ? ds : NULL, in->probs ? in->probs : read, in->labels, in->n, in->k};
    rp_record_both both = {&src, checks};
    int rc = db_record_audit_result(db, in, o, res, rp_record_both_hook, &both, &id, err);
    free(read);
    if (!rc && run_id) *run_id = id;
    return rc;
}
