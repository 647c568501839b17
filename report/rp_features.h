/*
 * rp_features.h — the "most telling" feature values of a flagged tabular
 * example, as a short JSON text stored in examples.features and shown on the
 * contact-sheet card. Telling = the features whose value sits closer to the
 * suggested class's mean than to the given class's mean, in units of the
 * feature's standard deviation:
 *   t_j = (|x_ij - mu_given,j| - |x_ij - mu_sugg,j|) / sd_j
 * (when given == suggested: |x_ij - mu_given,j| / sd_j), largest first.
 *
 * Usage (in `audit --db`, or the report when the db has none):
 *   char **fs; rp_feature_summaries(&ds, suggested, is_issue, 4, &fs, &err);
 *   rec.features = fs;  ...  rp_feature_summaries_free(fs, ds.n);
 */
#ifndef LA_RP_FEATURES_H
#define LA_RP_FEATURES_H

#include <stddef.h>
#include <stdint.h>
#include "../io/dataset.h"

/* Per-class means (k x d) and overall standard deviations (d) of a dataset. */
typedef struct rp_feature_stats {
    size_t  d, k;
    double *mean;   /* k x d, mu_cj = mean_{i: y_i = c} x_ij                */
    double *sd;     /* d, population standard deviation (1 when 0)          */
    double *csd;    /* k x d, per-class population sd (sd_j when 0 or n_c < 2) */
} rp_feature_stats;

/* Computes the statistics from ds (features and labels). LA_EUSAGE when the
 * dataset has no feature columns; LA_EINTERNAL on out of memory. */
int  rp_feature_stats_init(const la_dataset *ds, rp_feature_stats *st, la_error *err);
void rp_feature_stats_free(rp_feature_stats *st);

/* The JSON summary of row `row`: an array of at most max_features objects
 * {"name", "value", "given_mean", "suggested_mean", "given_sd",
 * "suggested_sd"} (the sds per class, for the card's z-scores), most
 * telling first.
 * Returns a malloc'd string, or NULL on out of memory. */
char *rp_feature_summary(const rp_feature_stats *st, const la_dataset *ds, size_t row,
                         int64_t given, int64_t suggested, size_t max_features);

/* One summary per flagged row (is_issue[i] != 0), NULL for the others:
 * *out has ds->n entries. Free with rp_feature_summaries_free(*out, ds->n).
 * LA_EUSAGE when ds has no features. */
int  rp_feature_summaries(const la_dataset *ds, const int64_t *suggested, const uint8_t *is_issue,
                          size_t max_features, char ***out, la_error *err);
void rp_feature_summaries_free(char **s, size_t n);

#endif
