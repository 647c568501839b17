/*
 * rp_verdicts.h — what reviewers found, summarised: among a run's decided
 * examples (keep, relabel, drop) that carry a verdict (schema 004), the share
 * judged a genuine label error, ambiguous, or a false alarm, per given class
 * and overall, each with a Wilson interval. The error share is the audit's
 * precision as people judged it, and it corrects the audit's estimated
 * label-error rate:
 *
 *   precision  = x_error / n_judged          (Wilson interval [P_lo, P_hi])
 *   corrected  = est_rate * precision,  interval est_rate * [P_lo, P_hi]
 *
 * est_rate (the audit's estimate, overall or the class's) is taken as fixed:
 * its own interval is not propagated, so the corrected interval reflects only
 * the reviewers' sampling error. Ambiguous examples count against precision
 * (they are not clear errors). Used by `decisions --summary`, the report's
 * reviewer section and `check --min-reviewed-precision`. Read-only.
 */
#ifndef LA_RP_VERDICTS_H
#define LA_RP_VERDICTS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../util/la_util.h"

typedef struct sqlite3 sqlite3;

/* A proportion x / n with its Wilson interval; p, lo, hi NAN when n = 0. */
typedef struct rp_prop {
    int64_t x, n;
    double  p, lo, hi;
} rp_prop;

/* One class's (or the whole run's) reviewed verdicts. */
typedef struct rp_verdict_group {
    int64_t decided;              /* keep + relabel + drop                       */
    int64_t judged;               /* of them, with a verdict (the n below)       */
    rp_prop error;                /* genuine label errors: the precision         */
    rp_prop ambiguous;            /* ambiguous or several objects                */
    rp_prop false_alarm;          /* the audit was wrong                         */
    double  est_rate;             /* the audit's estimated label-error rate      */
    double  corrected, corrected_lo, corrected_hi; /* est_rate * precision and
                                     its interval; NAN when judged = 0          */
} rp_verdict_group;

typedef struct rp_verdicts {
    int64_t run_id;
    double  confidence;           /* interval level, e.g. 0.95                  */
    size_t  k;
    char  **classes;              /* k class names (owned)                      */
    rp_verdict_group  overall;
    rp_verdict_group *per_class;  /* k, by given class (owned)                  */
} rp_verdicts;

/* Summarises run run_id (<= 0: db_review_run's) at `confidence` (0..1).
 * Returns 0; LA_EUSAGE (no such run); LA_EINTERNAL (SQL, out of memory;
 * *out empty then). Free with rp_verdicts_free (zeroed-safe). */
int  rp_verdicts_load(sqlite3 *db, int64_t run_id, double confidence, rp_verdicts *out, la_error *err);
void rp_verdicts_free(rp_verdicts *v);

/* Fills g from counts c and the audit's rate est_rate at quantile z (the
 * formulas in the top comment). Never fails. */
struct db_verdict_counts;
void rp_verdict_group_fill(rp_verdict_group *g, const struct db_verdict_counts *c, double est_rate, double z);

/* The summary as JSON {run, confidence, formula, overall: {...}, classes:
 * [{class, ...}]}; proportions as {x, n, p, lo, hi} (null p/lo/hi when n = 0).
 * NULL on out of memory; caller json_decref's. */
json_t *rp_verdicts_json(const rp_verdicts *v);

#endif
