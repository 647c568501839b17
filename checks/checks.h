/*
 * checks.h — the dataset-checks stage: problems beyond wrong labels, over
 * plain structs (no argv, no printing). Near duplicates and outliers on
 * features exactly as cleanlab 2.9.0's Datalab finds them; identical rows and
 * byte-identical image files (exact_duplicate), such groups with different
 * labels (label_conflict); test examples copied from training (leakage);
 * shift-tolerant near-duplicate images and per-image defects (image); beside
 * cleanlab's outlier score, one that works on images (dc_pca.h, opts.outlier_score).
 *
 *   dc_opts o;  dc_opts_init(&o);             // cleanlab's defaults, every check
 *   dc_input in = {.train = {.feat = {n, d, f32, NULL}, .ids = ids, ...}};
 *   dc_result r;
 *   if (dc_run(&in, &o, &r, &err)) ... ;      // r is empty on failure
 *   if (dc_write(&r, &in, &o, "out/", &err)) ... ;
 *   dc_result_free(&r);
 *
 * A check runs when o->checks asks for it and the inputs allow it (see
 * dc_allowed); asking explicitly (o->strict) for one the inputs do not allow
 * is an error. Errors: LA_EUSAGE for bad data (NaN or infinite features,
 * shapes that disagree, k too large) naming the file and row; LA_EINTERNAL.
 */
#ifndef LA_CHECKS_H
#define LA_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "../util/la_util.h"
#include "dc_knn.h"
#include "dc_feature.h"
#include "dc_image.h"
#include "dc_pca.h"

/* The checks --issues names. "label" is the confident-learning audit (the
 * audit stage, not this one); it is listed so one list picks everything. */
typedef enum dc_check {
    DC_CHECK_LABEL = 0, DC_CHECK_NEAR_DUPLICATE, DC_CHECK_OUTLIER, DC_CHECK_EXACT_DUPLICATE,
    DC_CHECK_LEAKAGE, DC_CHECK_IMAGE, DC_CHECK_COUNT
} dc_check;
#define DC_BIT(c) (1u << (c))
#define DC_ALL_CHECKS ((1u << DC_CHECK_COUNT) - 1)
extern const char *const dc_check_names[DC_CHECK_COUNT];

/* "near_duplicate,outlier" or "all" into *mask. 0, or -1 with *bad pointing
 * at the unknown name (its length in *bad_len). */
int dc_checks_parse(const char *list, unsigned *mask, const char **bad, size_t *bad_len);

/* The rows of issues.csv, in severity order within equal scores. */
typedef enum dc_issue_type {
    DC_ISSUE_LABEL_CONFLICT = 0, DC_ISSUE_EXACT_DUPLICATE, DC_ISSUE_LEAKAGE, DC_ISSUE_NEAR_DUPLICATE,
    DC_ISSUE_IMAGE_NEAR_DUPLICATE, DC_ISSUE_LABEL, DC_ISSUE_OUTLIER,
    DC_ISSUE_DEFECT0,                 /* + dc_defect: dark, bright, ...           */
    DC_ISSUE_COUNT = DC_ISSUE_DEFECT0 + DC_DEFECT_COUNT
} dc_issue_type;
extern const char *const dc_issue_names[DC_ISSUE_COUNT];

typedef struct dc_opts {
    unsigned   checks;                /* DC_BIT mask (DC_ALL_CHECKS)              */
    int        strict;                /* 1: a check asked for but impossible = error */
    size_t     k;                     /* neighbours (10)                           */
    double     near_dup_threshold;    /* radius factor (0.13)                      */
    double     outlier_threshold;     /* IQR rule's t (0.37037)                    */
    dc_metric  metric;                /* DC_METRIC_AUTO: cosine when D > 3          */
    int        threads;               /* >= 1                                       */
    la_progress *progress;            /* kNN progress, or NULL                      */
    const la_collective *coll;        /* ranks sharing the kNN searches (labelaudit-mpi),
                                         or NULL: every rank calls dc_run with the
                                         same inputs and gets the same result      */
    dc_outlier_score outlier_score;   /* what outlier.csv holds (DC_OUTLIER_PARITY)  */
    size_t     pca_components;        /* r of the pca score (DC_PCA_COMPONENTS)      */
} dc_opts;

void dc_opts_init(dc_opts *o);

/* One split. Everything is borrowed; every array has n entries (or rows). */
typedef struct dc_split {
    size_t          n;
    dc_matrix       feat;             /* n x d features, or feat.n = 0: none       */
    const char     *feat_path;        /* where feat came from (messages)           */
    const char     *path;             /* the dataset, for messages, or NULL        */
    char *const    *ids;              /* or NULL: row numbers                      */
    const int32_t  *labels;           /* or NULL (no label_conflict)               */
    char *const    *image_paths;      /* or NULL (no file checks)                  */
    const float    *pixels;           /* n x h x w x c in [0,1], or NULL           */
    int             image_w, image_h, channels;
} dc_split;

typedef struct dc_input {
    dc_split        train;
    const dc_split *test;             /* or NULL: no leakage                       */
    const uint8_t  *label_issue;      /* n label-audit flags, or NULL              */
    const double   *label_score;      /* n label quality scores, or NULL           */
} dc_input;

/* The checks the inputs allow (a DC_BIT mask; label only when label_issue). */
unsigned dc_allowed(const dc_input *in);

/* A test example found in the training set. */
typedef enum dc_leak_kind { DC_LEAK_EXACT = 0, DC_LEAK_FILE, DC_LEAK_NEAR, DC_LEAK_IMAGE } dc_leak_kind;
extern const char *const dc_leak_kind_names[4];
typedef struct dc_leak {
    int64_t      test, train;         /* rows of each split                        */
    dc_leak_kind kind;
    double       distance;            /* feature distance, or 1 - correlation      */
    double       score;               /* in [0, 1], lower = more certain           */
} dc_leak;

/* Two images that are the same picture up to a small shift and brightness. */
typedef struct dc_pair { int64_t a, b; double corr; int dx, dy; } dc_pair;

typedef struct dc_issue { int64_t index; int32_t type; double score; int64_t partner; } dc_issue;

/* What the checks found. Owned; dc_result_free (safe on a zeroed struct). */
typedef struct dc_result {
    unsigned    ran;                  /* DC_BIT mask of the checks that ran        */
    size_t      n;                    /* training examples                          */
    dc_metric   metric;               /* resolved                                   */
    size_t      k;
    dc_knn      knn;                  /* corrected self graph (feature checks)      */
    dc_near_dup nd;
    dc_outlier  od;
    dc_groups   rows;                 /* identical feature rows                     */
    dc_groups   files;                /* byte-identical image files                 */
    uint8_t    *rows_conflict;        /* per group of rows: labels differ           */
    uint8_t    *files_conflict;       /* per group of files                         */
    dc_pair    *pairs;                /* image near duplicates, a < b               */
    size_t      n_pairs;
    dc_leak    *leaks;                /* one per leaked test example                */
    size_t      n_leaks, n_test;
    dc_defects  defects;
    dc_issue   *issues;               /* issues.csv, sorted                         */
    size_t      n_issues;
    size_t      count[DC_ISSUE_COUNT];/* examples flagged per type                  */
    double      seconds;
} dc_result;

/* Runs the checks. 0, or a status with err set and r zeroed. */
int dc_run(const dc_input *in, const dc_opts *o, dc_result *r, la_error *err);

/* Writes into out_dir (created if needed) the files of the checks that ran:
 * near_duplicate.csv, near_duplicate_sets.csv, outlier.csv,
 * exact_duplicate.csv, image_near_duplicate.csv, leakage.csv,
 * image_issues.csv, and issues.csv; all appear together or none does. */
int dc_write(const dc_result *r, const dc_input *in, const dc_opts *o, const char *out_dir, la_error *err);

/* summary.json's "dataset_checks" object (new reference; NULL when out of
 * memory): checks run, per-type counts, the kNN parameters. */
json_t *dc_summary(const dc_result *r, const dc_opts *o);

void dc_result_free(dc_result *r);

#endif
