/*
 * labelaudit.h — the public C API of liblabelaudit: load a dataset,
 * cross-validate a model into out-of-fold probabilities, audit the labels
 * with confident learning (cleanlab 2.9.0 semantics, exactly), write the
 * audit's files, record it in a review database and write the HTML report.
 * This header is the whole contract; it includes only the C library.
 *
 *   #include <labelaudit.h>
 *
 *   la_error err;
 *   la_dataset *ds = NULL;
 *   la_load_options lo;  la_load_options_init(&lo);
 *   if (la_load("wine.csv", &lo, &ds, &err)) goto fail;          // any format
 *
 *   size_t n = la_dataset_n(ds), k = la_dataset_k(ds);
 *   double *probs = malloc(n * k * sizeof *probs);                // caller's buffer
 *   la_cv_options co;  la_cv_options_init(&co);  co.model = "logreg";
 *   if (la_cv(ds, &co, probs, NULL, &err)) goto fail;            // n x k, row-major
 *
 *   la_audit *au = NULL;
 *   la_audit_options ao;  la_audit_options_init(&ao);  ao.dataset = ds;  // names, ids
 *   if (la_audit_run(la_dataset_labels(ds), probs, LA_F64, n, k, &ao, &au, &err)) goto fail;
 *   printf("%zu label issues\n", la_audit_num_flagged(au));
 *   const uint32_t *worst = la_audit_ranked(au);                 // worst first
 *   if (la_audit_write(au, "audit-out", &err)) goto fail;        // the CLI's files
 *   la_audit_free(au); free(probs); la_dataset_free(ds);
 *   ...
 *   fail: fprintf(stderr, "%s:%ld: %s\n", err.file, err.line, err.msg);
 *
 * Conventions, for every function below:
 * - A function that can fail returns 0 (LA_OK) on success, otherwise a status
 *   (LA_EUSAGE: bad input data or options; LA_EINTERNAL: out of memory, I/O,
 *   a bug) and fills *err: the file, 1-based line (0 = none), column and a
 *   message without the "file:line:" prefix. On failure nothing is returned
 *   through the out parameters (they are left NULL / untouched) and no output
 *   file is left half-written: files are written to a temporary name and
 *   renamed into place, database changes are one transaction.
 * - Ownership: every `*_free` releases what the matching constructor
 *   returned (NULL is allowed). Pointers returned by accessors point into the
 *   object and stay valid until it is freed. Buffers the caller passes in
 *   (probabilities, labels) stay the caller's and are only read during the call.
 * - Nothing here prints, exits or keeps global state; separate objects may be
 *   used from separate threads. Options structs are set up with their
 *   *_init function first; string options are copied or read during the call.
 * - Results are deterministic: the same inputs, options and seed give the same
 *   bytes whatever the thread count.
 * Build: `make lib` makes build/liblabelaudit.so and build/liblabelaudit.a;
 * link with -llabelaudit (the static library also needs sqlite3, jansson,
 * zlib, openblas, libmicrohttpd, libcsv, -lm and -pthread).
 */
#ifndef LABELAUDIT_H
#define LABELAUDIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(LA_NO_VISIBILITY)
#define LA_API __attribute__((visibility("default")))
#else
#define LA_API
#endif

#define LABELAUDIT_VERSION "0.1.0"
#define LABELAUDIT_VERSION_NUMBER 100      /* major * 10000 + minor * 100 + patch */

/* The library's version string (LABELAUDIT_VERSION of the build). */
LA_API const char *la_version(void);

/* ---- status and error record ----------------------------------------- */

enum {
    LA_OK = 0,           /* success                                            */
    LA_CHECK_FAILED = 1, /* a `check` limit was exceeded (the CI gate)         */
    LA_EUSAGE = 2,       /* bad options or bad input data                      */
    LA_EINTERNAL = 3     /* out of memory, I/O failure, a bug                  */
};

/* What went wrong, and where. Filled by the failing function. */
typedef struct la_error {
    int  status;         /* LA_EUSAGE for bad input, LA_EINTERNAL otherwise    */
    char file[1024];     /* offending file, "" when none                       */
    long line;           /* 1-based line (header = line 1), 0 when none        */
    char column[256];    /* column or field name, "" when none                 */
    char msg[1024];      /* what is wrong, without the file/line prefix        */
} la_error;

/* Element type of a probability matrix passed in. */
typedef enum la_dtype { LA_F32 = 4, LA_F64 = 8 } la_dtype;

/* ---- load: any supported dataset into memory ------------------------- */

typedef struct la_dataset la_dataset;   /* opaque; la_dataset_free releases it */

typedef struct la_load_options {
    const char *format;       /* "csv", "manifest", "folder", "idx", "npy", or
                                 NULL = decided from the path                  */
    const char *label_col;    /* label column of a CSV table or manifest ("label") */
    const char *id_col;       /* id column ("id"; absent = row numbers)         */
    const char *features;     /* CSV list of feature columns, NULL = all others */
    const char *missing;      /* empty cells: "error" (default), "mean", "zero" */
    const char *classes_file; /* class names, one per line, in index order      */
    const char *idx_labels;   /* labels of an IDX images file (default: beside it) */
    const char *npy_labels;   /* labels of a .npy feature file                  */
    int         image_w, image_h; /* resize images to w x h; 0 = all must agree */
    int         rgb;          /* 1: decode images as RGB (default grayscale)    */
    long long   max_pixels;   /* refuse images declaring more (64000000)        */
    int         allow_outside_root; /* manifest paths may leave their directory */
} la_load_options;

LA_API void la_load_options_init(la_load_options *o);

/* Loads the dataset at `path` (CSV table, manifest CSV, image folder, IDX
 * images [.gz], .npy features). Returns 0 and *out, or a status with err
 * naming the file, line and column of the first problem. */
LA_API int la_load(const char *path, const la_load_options *o, la_dataset **out, la_error *err);

LA_API void la_dataset_free(la_dataset *ds);

LA_API size_t         la_dataset_n(const la_dataset *ds);   /* examples            */
LA_API size_t         la_dataset_d(const la_dataset *ds);   /* feature columns     */
LA_API size_t         la_dataset_k(const la_dataset *ds);   /* classes             */
/* n given labels in 0..k-1 (the index of the class name). */
LA_API const int32_t *la_dataset_labels(const la_dataset *ds);
/* n x d float32 features, row-major (images scaled to [0, 1]); NULL if none. */
LA_API const float   *la_dataset_features(const la_dataset *ds);
/* Name of class c (0 <= c < k), id of example i (0 <= i < n). */
LA_API const char    *la_dataset_class_name(const la_dataset *ds, size_t c);
LA_API const char    *la_dataset_id(const la_dataset *ds, size_t i);

/* Replaces the dataset's labels by labels[0..n-1] (each in 0..k-1), e.g. the
 * noisy labels of an experiment. 0, or LA_EUSAGE (wrong n, out of range). */
LA_API int la_dataset_set_labels(la_dataset *ds, const int32_t *labels, size_t n, la_error *err);

/* ---- cv: k-fold out-of-fold probabilities --------------------------- */

typedef struct la_cv_options {
    const char *model;        /* "logreg" (default), "mlp", "knn" or "cnn" (images:
                                 the dataset's own shape, IDX / PNG / manifest) */
    int         folds;        /* stratified folds (5)                           */
    uint64_t    seed;         /* folds, initialization, minibatches (0)         */
    int         threads;      /* worker threads (0 = all cores)                 */
    int         standardize;  /* 1: standardize columns on training rows (1)    */
    double      l2;           /* L2 penalty (logreg, mlp); < 0 = the default    */
    int         max_iter;     /* logreg L-BFGS iterations; 0 = default (500)    */
    int         epochs;       /* mlp, cnn epochs; 0 = the model's default        */
    int         hidden[4];    /* mlp hidden layer widths; {0} = default (256)   */
    int         knn_k;        /* knn neighbours; 0 = default (15)               */
    /* Rebalancing (docs/rebalancing.md), the flags of `labelaudit cv`; the
     * zero values leave it off. Whenever training shifts the class
     * distribution, the probabilities are mapped back to the data's priors
     * unless raw_probs. */
    const char *loss;         /* "ce" (NULL), "weighted", "balanced", "focal", "gce",
                                 "sce" or "logit-adjusted"                      */
    double      tau;          /* logit-adjusted: the shift's strength; 0 = 1    */
    const char *sampler;      /* "none" (NULL), "oversample" or "undersample"   */
    double      oversample_ratio; /* 0 < R <= 1: top every class up to R x the
                                 largest with new rows; 0 = off                 */
    int         decouple;     /* 1: decoupled rebalancing (mlp, cnn)            */
    int         rebalance_auto; /* 1: `--rebalance auto`: each fold chooses its
                                 strategy by an inner cross-validation          */
    const char *select_by;    /* auto's score: NULL = "recall-guarded:0.5", or
                                 "pr-auc", "recall-at-precision[:P]",
                                 "balanced-accuracy", "recall-guarded[:P]"     */
    int         raw_probs;    /* 1: keep the rebalanced distribution's probabilities */
} la_cv_options;

LA_API void la_cv_options_init(la_cv_options *o);

/* Cross-validates the model on ds (its labels and features) and writes the
 * out-of-fold probabilities into probs (n x k doubles, row-major, the
 * caller's buffer): each row comes from the one fold model that never saw
 * the example. fold_out (n ints, may be NULL) receives each example's fold.
 * Identical to `labelaudit cv` with the same options. */
LA_API int la_cv(const la_dataset *ds, const la_cv_options *o, double *probs, int32_t *fold_out,
                 la_error *err);

/* la_cv, and the run's metrics.json document (what `labelaudit cv` writes:
 * pooled and per-fold metrics, per-class precision / recall / F1 / PR-AUC,
 * balanced accuracy, and with rebalance_auto what every fold compared and
 * chose) into *metrics_json: the same NUL-terminated JSON text as the
 * file's (reals to 10 digits), which the caller releases with free(); NULL
 * on failure. */
LA_API int la_cv_metrics(const la_dataset *ds, const la_cv_options *o, double *probs, int32_t *fold_out,
                         char **metrics_json, la_error *err);

/* ---- audit: confident learning -------------------------------------- */

typedef struct la_audit la_audit;       /* opaque; la_audit_free releases it */

typedef struct la_audit_options {
    const char *filter_by;    /* "prune_by_noise_rate" (default), "prune_by_class",
                                 "both", "confident_learning", "predicted_neq_given",
                                 "low_normalized_margin", "low_self_confidence",
                                 "noise_posterior" (labelaudit's own: the low_*
                                 filters' count, ranked by the posterior
                                 probability that the given label is right
                                 under the estimated noise matrix)              */
    const char *rank_by;      /* "self_confidence" (default), "normalized_margin",
                                 "confidence_weighted_entropy"                    */
    double      frac_noise;   /* fraction of the estimated issues to flag (1)   */
    const int64_t *num_to_remove_per_class; /* k counts, or NULL               */
    long        min_examples_per_class; /* never prune a class below (1)       */
    int         corrected;    /* 1: the two opt-in fixes of reference quirks (0) */
    int         bootstrap;    /* resamples for the error-rate intervals (1000)  */
    double      confidence;   /* interval level (0.95)                          */
    uint64_t    seed;         /* bootstrap seed (0)                             */
    int         threads;      /* worker threads (0 = all cores)                 */
    const la_dataset *dataset;/* optional: class names and ids for the outputs
                                 and the record (borrowed: it must outlive the
                                 la_audit); NULL = numbered classes and rows   */
} la_audit_options;

LA_API void la_audit_options_init(la_audit_options *o);

/* Audits n given labels (each in 0..k-1) against the n x k probability
 * matrix probs (row-major, element type dtype; rows should sum to 1) as
 * cleanlab's find_label_issues / estimate_joint do. Returns 0 and *out, or
 * LA_EUSAGE (a probability outside [0, 1] or not finite, k < 2, labels out of
 * range...). The matrix is not kept. */
LA_API int la_audit_run(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                        const la_audit_options *o, la_audit **out, la_error *err);

LA_API void la_audit_free(la_audit *au);

LA_API size_t la_audit_n(const la_audit *au);
LA_API size_t la_audit_k(const la_audit *au);
/* Examples flagged by the filter, and their indices ranked worst first by
 * rank_by (la_audit_num_flagged entries). */
LA_API size_t          la_audit_num_flagged(const la_audit *au);
LA_API const uint32_t *la_audit_ranked(const la_audit *au);
/* 1 when example i (0 <= i < n) is flagged, else 0. */
LA_API int             la_audit_is_issue(const la_audit *au, size_t i);
/* The suggested class of example i: the model's argmax, or with the
 * noise_posterior filter the posterior's most probable true class (for a
 * flagged example, the most probable one other than its given label). */
LA_API int32_t         la_audit_suggested(const la_audit *au, size_t i);
/* K x K row-major estimates: given label g (row), true label t (column) for
 * the confident joint (raw and calibrated counts) and the joint; noise matrix
 * P(given = i | true = j) at [i*k + j]; inverse P(true = i | given = j). */
LA_API const int64_t *la_audit_confident_joint(const la_audit *au, int calibrated);
LA_API const double  *la_audit_joint(const la_audit *au);
LA_API const double  *la_audit_noise_matrix(const la_audit *au);
LA_API const double  *la_audit_inverse_noise_matrix(const la_audit *au);
/* k estimated class priors P(true = j), and the k per-class thresholds. */
LA_API const double  *la_audit_priors(const la_audit *au);
LA_API const double  *la_audit_thresholds(const la_audit *au);
/* Estimated share of wrong labels, and its bootstrap interval. */
LA_API double         la_audit_error_rate(const la_audit *au, double *lo, double *hi);
/* Label health score, 1 - num_off_diagonal / n (cleanlab's health_summary). */
LA_API double         la_audit_health(const la_audit *au);

/* Writes the audit's file set into directory out_dir (created if needed):
 * the same files `labelaudit audit --out DIR` writes (label_issues.csv,
 * ranked.csv, is_label_issue.csv, confident_joint.csv, noise matrices,
 * summary.json ...), with the names and ids of the options' dataset. All
 * files appear together or none does. */
LA_API int la_audit_write(const la_audit *au, const char *out_dir, la_error *err);

/* ---- record and report: the review database ------------------------- */

/* Records the audit (run, examples, review queue) in the SQLite database
 * db_path (created or migrated as needed), in one transaction, with what the
 * report needs from the inputs: feature summaries and pixels from the
 * options' dataset, precision-recall curves from probs (the n x k doubles
 * the audit ran on, or NULL for none). *run_id (may be NULL) receives the
 * new run. */
LA_API int la_record(const char *db_path, const la_audit *au, const double *probs, int64_t *run_id,
                     la_error *err);

/* Writes the HTML report of run run_id (<= 0: the latest) of db_path into
 * out_dir, replacing an earlier report there only once the new one is whole. */
LA_API int la_report(const char *db_path, int64_t run_id, const char *out_dir, la_error *err);

/* ---- confident-learning functions (cleanlab's count, filter, rank) ------ */
/* The building blocks of cleanlab 2.9.0's functions, over a caller's n x k
 * probability buffer read in place (LA_F32 or LA_F64, row-major, never
 * copied) and n labels in 0..k-1; the Python package (python/labelaudit) is
 * built on them. Inputs are assumed validated as cleanlab's assert_valid_inputs
 * does (probabilities within [-1e-6, 1 + 1e-6]); they return LA_EUSAGE for
 * labels out of range, an unknown method name, k < 2 where a joint is needed.
 * threads <= 0 means all cores; results do not depend on it. */

/* get_confident_thresholds: thresholds[c] = mean p[i][c] over examples
 * labelled c (numpy's summation order), 2 for a class never given, floored
 * at 2e-6. */
LA_API int la_cl_thresholds(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                            double *thresholds, la_error *err);

/* compute_confident_joint: cj (k x k, given label at row, true at column,
 * diagonal at least 1) with the given thresholds (k, or NULL = estimated),
 * calibrated when calibrate = 1. offdiag (n bytes, may be NULL) receives 1
 * for the examples counted off the diagonal (return_indices_of_off_diagonals);
 * *num_issues (may be NULL) those of them not forgiven (num_label_issues'
 * off_diagonal estimate). */
LA_API int la_cl_confident_joint(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                                 const double *thresholds, int calibrate, int threads, int64_t *cj,
                                 uint8_t *offdiag, int64_t *num_issues, la_error *err);

/* calibrate_confident_joint of any (float) k x k joint to the given-label
 * counts[k]: out k x k integers, row i summing to counts[i]. */
LA_API int la_cl_calibrate(const double *cj, const double *counts, size_t k, int64_t *out, la_error *err);

/* estimate_latent from any k x k confident joint and ps[k] = P(given = j):
 * py_method "cnt" (NULL), "eqn", "marginal" or "marginal_ps"; converge = 1 runs
 * converge_latent_estimates. Outputs py[k], noise matrix nm[k*k] (P(given=i |
 * true=j) at [i*k+j]) and its inverse inv[k*k]. LA_EUSAGE for an unknown
 * method or a singular noise matrix with "eqn". */
LA_API int la_cl_estimate_latent(const double *cj, const double *ps, size_t k, const char *py_method,
                                 int converge, double *py, double *nm, double *inv, la_error *err);

/* rank_classes_by_label_quality rows from a joint (k x k): k rows of 6
 * doubles {class, label issues, inverse label issues, label noise, inverse
 * label noise, label quality}, in cleanlab's output order. */
LA_API int la_cl_class_quality(const double *joint, size_t k, size_t n, double *rows, la_error *err);

/* find_overlapping_classes rows: k(k-1)/2 rows of 4 doubles {class a,
 * class b, num overlapping examples, joint probability}, in output order. */
LA_API int la_cl_overlapping_classes(const double *joint, size_t k, size_t n, double *rows, la_error *err);

/* get_label_quality_scores: scores[n] by method "self_confidence" (NULL),
 * "normalized_margin" or "confidence_weighted_entropy", on probabilities with
 * the confident thresholds subtracted when adjust = 1. check_range = 1:
 * probabilities beyond [-1e-6, 1 + 1e-6] or NaN give LA_EUSAGE "Values in pred_probs must be between
 * 0 and 1." (checked in the same pass; la_cl_find_label_issues says the same). */
LA_API int la_cl_label_quality_scores(const int32_t *labels, const void *probs, la_dtype dtype, size_t n,
                                      size_t k, const char *method, int adjust, int check_range, int threads,
                                      double *scores, la_error *err);

typedef struct la_cl_options {
    const char *filter_by;    /* as la_audit_options (prune_by_noise_rate)     */
    const char *rank_by;      /* ranking of the flagged examples, NULL = none   */
    double      frac_noise;   /* 1                                             */
    const int64_t *num_to_remove_per_class; /* k counts, or NULL               */
    long        min_examples_per_class;     /* 1                               */
    const int64_t *confident_joint; /* k x k joint to prune from instead of the
                                 estimated calibrated one (cleanlab's supplied
                                 confident_joint), or NULL                      */
    int         threads;      /* 0 = all cores                                 */
} la_cl_options;

LA_API void la_cl_options_init(la_cl_options *o);

/* find_label_issues: mask[n] = 1 for the flagged examples; with rank_by set,
 * ranked (capacity n) receives the *n_ranked flagged indices worst first
 * (return_indices_ranked_by). The streaming audit (la_audit_run's core)
 * without its files, intervals or copies. */
LA_API int la_cl_find_label_issues(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                                   const la_cl_options *o, uint8_t *mask, uint32_t *ranked, size_t *n_ranked,
                                   la_error *err);

/* Multi-label (cleanlab.multilabel_classification): onehot is n x k bytes
 * (1 = class c applies to example i), probs n x k independent per-class
 * probabilities. Each class is the binary problem (labels onehot[:, c],
 * probabilities [1 - p_c, p_c]) cleanlab solves: la_cl_multilabel_scores
 * fills scores (n x k) with every class's label quality score,
 * la_cl_multilabel_find_label_issues fills issues (n x k bytes) with every
 * class's find_label_issues mask (o->num_to_remove_per_class: k counts, one
 * per class; o->confident_joint: k x 2 x 2, or NULL; o->rank_by ignored). */
LA_API int la_cl_multilabel_scores(const uint8_t *onehot, const void *probs, la_dtype dtype, size_t n, size_t k,
                                   const char *method, int adjust, int threads, double *scores, la_error *err);
LA_API int la_cl_multilabel_find_label_issues(const uint8_t *onehot, const void *probs, la_dtype dtype, size_t n,
                                              size_t k, const la_cl_options *o, uint8_t *issues, la_error *err);

/* ---- dataset checks (checks/): beyond wrong labels -------------------- */
/* Near duplicates and outliers on features exactly as cleanlab 2.9.0's
 * Datalab finds them (NearDuplicateIssueManager, OutlierIssueManager, one
 * corrected kNN graph), identical rows and byte-identical image files with
 * the label conflicts among them, test examples leaked from training, and
 * image near duplicates and defects: `labelaudit check --issues` in-process.
 * Every buffer is the caller's, borrowed (read in place, never copied): it
 * must stay valid until la_checks_free, as la_checks_write reads it again. */

typedef struct la_check_split {
    const void    *features;     /* n x d row-major of dtype, or NULL           */
    la_dtype       dtype;        /* LA_F32 or LA_F64                            */
    size_t         n, d;         /* examples; feature columns                   */
    const int32_t *labels;       /* n labels, or NULL (no label conflicts)      */
    const float   *pixels;       /* n x image_h x image_w x channels in [0, 1],
                                    or NULL (no pixel checks)                   */
    int            image_w, image_h, channels;
    const char *const *image_paths; /* n image files, or NULL (no file checks)  */
    const char *const *ids;      /* n ids for la_checks_write, or NULL: rows    */
    const uint8_t *label_issue;  /* training split only: n flags of a label
                                    audit to merge as "label" issues, or NULL   */
    const double  *label_score;  /* with label_issue: n label quality scores    */
} la_check_split;

typedef struct la_check_options {
    const char *checks;          /* "near_duplicate,outlier,exact_duplicate,
                                    leakage,image,label" (a check the inputs
                                    do not allow is then LA_EUSAGE), or NULL /
                                    "all" = every check the inputs allow        */
    size_t      k;               /* neighbours (10)                             */
    double      near_dup_threshold; /* radius factor (0.13)                     */
    double      outlier_threshold;  /* IQR rule's t (0.37037)                   */
    const char *metric;          /* NULL / "auto" (cosine when d > 3), "cosine",
                                    "euclidean"                                 */
    int         threads;         /* 0 = all cores                               */
} la_check_options;

LA_API void la_check_options_init(la_check_options *o);

typedef struct la_checks la_checks;     /* opaque; la_checks_free releases it */

/* Runs the checks on the training split (test: a test split for leakage, or
 * NULL). 0 and *out, or LA_EUSAGE (NaN or infinite features naming the row
 * and column, shapes that disagree, k >= n, an unknown check or metric) or
 * LA_EINTERNAL, with *out left NULL. */
LA_API int la_check_run(const la_check_split *train, const la_check_split *test, const la_check_options *o,
                        la_checks **out, la_error *err);
LA_API void la_checks_free(la_checks *c);

/* 1 when the check named (one of la_check_options' names) ran, else 0. */
LA_API int         la_checks_ran(const la_checks *c, const char *check);
LA_API size_t      la_checks_n(const la_checks *c);
LA_API size_t      la_checks_k(const la_checks *c);
LA_API const char *la_checks_metric(const la_checks *c);      /* resolved       */
/* The corrected self-kNN graph: n x k neighbour rows nearest first, and
 * their distances; NULL when no feature check ran. */
LA_API const int64_t *la_checks_knn_index(const la_checks *c);
LA_API const double  *la_checks_knn_distance(const la_checks *c);
/* Near duplicates (NULL when the check did not run): n flags, n scores
 * (1 - exp(-d_nn / median)), and each example's near-duplicate set as CSR:
 * example i's set is members[start[i] .. start[i+1]), ascending. */
LA_API const uint8_t *la_checks_near_duplicate_flags(const la_checks *c);
LA_API const double  *la_checks_near_duplicate_scores(const la_checks *c);
LA_API const size_t  *la_checks_near_duplicate_set_start(const la_checks *c);
LA_API const int64_t *la_checks_near_duplicate_sets(const la_checks *c);
LA_API double         la_checks_median_nn_distance(const la_checks *c);
/* Outliers (NULL when the check did not run): n flags, n scores
 * (exp(-avg / scaling)), n mean distances to the k neighbours, and the IQR
 * rule's threshold on them. */
LA_API const uint8_t *la_checks_outlier_flags(const la_checks *c);
LA_API const double  *la_checks_outlier_scores(const la_checks *c);
LA_API const double  *la_checks_outlier_avg_distance(const la_checks *c);
LA_API double         la_checks_outlier_threshold(const la_checks *c);
/* Groups of identical feature rows (files = 0) or byte-identical image files
 * (files = 1), CSR as above over groups, members ascending, and per group 1
 * when its labels differ. Returns the number of groups (0: none, the
 * pointers then NULL or empty). Any out pointer may be NULL. */
LA_API size_t la_checks_groups(const la_checks *c, int files, const size_t **start, const int64_t **members,
                               const uint8_t **conflict);
/* Leaked test examples: la_checks_num_leaks rows copied into the caller's
 * arrays (each may be NULL): test row, training row, kind (0 exact, 1 file,
 * 2 near, 3 image; la_check_leak_kind_name), distance, score in [0, 1]. */
LA_API size_t      la_checks_num_leaks(const la_checks *c);
LA_API void        la_checks_leaks(const la_checks *c, int64_t *test, int64_t *train, int32_t *kind, double *distance,
                                   double *score);
LA_API const char *la_check_leak_kind_name(int kind);   /* NULL out of range */
/* Image near duplicates a < b with their best shifted correlation. */
LA_API size_t la_checks_num_image_pairs(const la_checks *c);
LA_API void   la_checks_image_pairs(const la_checks *c, int64_t *a, int64_t *b, double *corr);
/* Image defects: n x la_check_num_defects() scores (NaN: not computed) and
 * flags, defect j named la_check_defect_name(j); NULL when the check did
 * not run. */
LA_API int             la_check_num_defects(void);
LA_API const char     *la_check_defect_name(int j);    /* NULL out of range */
LA_API const double   *la_checks_defect_scores(const la_checks *c);
LA_API const uint8_t  *la_checks_defect_flags(const la_checks *c);
/* The issue list (issues.csv's rows, most severe first): type t is named
 * la_check_issue_name(t) ("label_conflict", "exact_duplicate", "leakage",
 * "near_duplicate", "image_near_duplicate", "label", "outlier", then the
 * defects); partner is the other example of a pair, or -1. */
LA_API int         la_check_num_issue_types(void);
LA_API const char *la_check_issue_name(int type);       /* NULL out of range */
LA_API size_t      la_checks_count(const la_checks *c, int type); /* flagged examples */
LA_API size_t      la_checks_num_issues(const la_checks *c);
LA_API void        la_checks_issues(const la_checks *c, int64_t *index, int32_t *type, double *score,
                                    int64_t *partner);
/* Writes the files `labelaudit check --out DIR` writes for the checks that
 * ran (issues.csv, near_duplicate.csv, outlier.csv, ...) into out_dir,
 * all together or none. */
LA_API int la_checks_write(const la_checks *c, const char *out_dir, la_error *err);

#ifdef __cplusplus
}
#endif
#endif /* LABELAUDIT_H */
