/*
 * consensus.h — multi-annotator consensus: cleanlab 2.9.0's CROWDLAB
 * (get_label_quality_multiannotator with return_detailed_quality=True) and
 * ActiveLab (get_active_learning_scores), reproduced rule for rule, plus a
 * Dawid-Skene estimator as a third consensus method.
 *
 * Pure functions over an N x M label matrix (CS_MISSING where an annotator
 * gave no label) and N x K out-of-sample probabilities. Not here: reading
 * files (cs_input.c), writing them (cs_write.c), printing. Invariant: inputs
 * are never modified; every output array belongs to the cs_result.
 */
#ifndef LA_CONSENSUS_H
#define LA_CONSENSUS_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

#define CS_MISSING (-1)          /* labels[i*m + j]: annotator j did not label i */

typedef enum cs_consensus { CS_BEST_QUALITY = 0, CS_MAJORITY_VOTE, CS_DAWID_SKENE } cs_consensus;
typedef enum cs_quality { CS_QUALITY_CROWDLAB = 0, CS_QUALITY_AGREEMENT } cs_quality;
/* get_label_quality_scores' method (label_quality_score_kwargs). */
typedef enum cs_score { CS_SELF_CONFIDENCE = 0, CS_NORMALIZED_MARGIN, CS_CW_ENTROPY } cs_score;

typedef struct cs_opts {
    cs_consensus consensus;      /* consensus_method                           */
    cs_quality   quality;        /* quality_method                             */
    int          calibrate;      /* calibrate_probs: temperature-scale first   */
    cs_score     score;          /* label_quality_score_kwargs["method"]       */
    int          adjust;         /* label_quality_score_kwargs["adjust_pred_probs"] */
    int          ds_max_iter;    /* Dawid-Skene: EM iterations at most (> 0)   */
    double       ds_tol;         /* ... stop when no posterior moves more      */
    double       ds_smoothing;   /* ... pseudo-count per confusion cell (>= 0) */
} cs_opts;

/* cleanlab's defaults: best_quality, crowdlab, no calibration, self_confidence. */
void cs_opts_init(cs_opts *o);

/* What cs_run computes. Per-annotator arrays are in input column order;
 * order[] gives cleanlab's annotator_stats row order. */
typedef struct cs_result {
    size_t   n, m, k;
    int32_t *consensus_label;    /* n                                          */
    double  *consensus_quality;  /* n: consensus_quality_score                 */
    double  *agreement;          /* n: annotator_agreement                     */
    int32_t *num_annotations;    /* n                                          */
    double  *detailed;           /* n x m: quality_annotator_*, NAN if missing */
    double  *annotator_quality;  /* m (NAN: no example shared with others)     */
    double  *agreement_with_consensus; /* m                                    */
    int32_t *worst_class;        /* m                                          */
    int32_t *num_labeled;        /* m: num_examples_labeled                    */
    size_t  *order;              /* m: sorted by (quality, agreement), NAN last, stable */
    double  *active_learning;    /* n: active_learning_score (ActiveLab)       */
    double   model_weight;       /* crowdlab weights of the consensus (NAN otherwise) */
    double  *annotator_weight;   /* m, or NAN entries when not crowdlab        */
    double   temperature;        /* calibrate: the temperature used, else 1    */
    int      ds_iterations;      /* Dawid-Skene: EM iterations run, else 0     */
    size_t   n_random_ties;      /* majority-vote ties cleanlab breaks at random
                                    (np.random.choice): here the lowest class */
} cs_result;

/* Validates labels (n x m, entries CS_MISSING or 0..k-1) against cleanlab's
 * rules: no example without a label, no annotator without one, m >= 2, not
 * every example with a single label. Returns 0 or LA_EUSAGE naming the
 * example (row i, 0-based) or annotator (column j) in err (file NULL: the
 * caller's reader names the file and line). */
int cs_validate(const int32_t *labels, size_t n, size_t m, size_t k, la_error *err);

/* The whole computation: consensus labels and their quality, each label's
 * quality, annotator statistics (all per opts), and the ActiveLab scores
 * (always cleanlab's defaults, as get_active_learning_scores calls them).
 * labels: n x m row-major; pred_probs: n x k row-major, k >= 2. Returns 0
 * (free out with cs_result_free), or LA_EUSAGE (cs_validate) / LA_EINTERNAL
 * with err filled and *out zeroed. */
int  cs_run(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k,
            const cs_opts *o, cs_result *out, la_error *err);
void cs_result_free(cs_result *r);

/* ---- pieces, exposed for the unit tests ----------------------------------- */

/* get_majority_vote_label with pred_probs: counts, then ties broken by the
 * model, then the rarer class overall, then the annotators' agreement with
 * the untied majority; whatever is still tied gets its lowest class and
 * counts into *n_random (may be NULL). label: n. 0 or LA_EINTERNAL. */
int cs_majority_vote(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k,
                     int32_t *label, size_t *n_random, la_error *err);

/* find_best_temp_scaler: the temperature (coarse grid, then a finer one)
 * minimising the soft cross-entropy between the annotators' label
 * distribution and the scaled probabilities. -1 on out of memory. */
double cs_best_temperature(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k);

/* temp_scale_pred_probs: out = normalise(softmax(log(clip(p)) / t)). */
void cs_temp_scale(const double *pred_probs, size_t n, size_t k, double t, double *out);

/* Dawid-Skene EM: posterior n x k (in: ignored; out: P(true class | labels,
 * model)), each example's prior being the model's probabilities; confusion
 * m x k x k (row = true class, column = given label). Starts from the
 * model's probabilities as posteriors. Returns the iterations run, or -1 on
 * out of memory. */
int cs_dawid_skene(const int32_t *labels, size_t n, size_t m, const double *pred_probs, size_t k,
                   const cs_opts *o, double *posterior, double *confusion);

#endif /* LA_CONSENSUS_H */
