/*
 * clean.h — the clean stage: review decisions applied to a dataset. Which
 * examples change label, which are dropped and why (cln_plan_make), the
 * cleaned dataset in its input's own format (through io/dataset_write.h) and
 * changes.csv, written into a temporary directory renamed into place.
 *
 * Not here: reading the database (the command maps the review queue to
 * cln_decision's) or training. Invariant: the input files are only ever read.
 */
#ifndef CLN_CLEAN_H
#define CLN_CLEAN_H

#include <stddef.h>
#include <stdint.h>
#include "../io/dataset.h"
#include "../io/dataset_write.h"
#include "../util/la_util.h"
#include "cln_issues.h"

/* What happens to flagged examples nobody reviewed. */
typedef enum cln_auto { CLN_AUTO_NONE = 0, CLN_AUTO_DROP, CLN_AUTO_RELABEL } cln_auto;

#define CLN_DROPPED IO_ROW_DROPPED   /* plan label of a dropped row */

/* One flagged example of the review queue, with labels already mapped to the
 * dataset's class indices. Strings are borrowed. */
typedef struct cln_decision {
    size_t      row;          /* row in the dataset                            */
    const char *status;       /* pending | keep | relabel | drop | skip        */
    int32_t     new_label;    /* relabel: the class chosen, else -1            */
    int32_t     suggested;    /* the audit's suggested class                   */
    double      quality;      /* label quality score (lower = more suspect)    */
    const char *reviewer;     /* NULL or "" when unknown                       */
    double      suggested_p;  /* the suggested class's probability (NAN or 0:
                                 unknown; --relabel-above never applies)      */
} cln_decision;

/* What happens to the flagged examples nobody decided (pending, skip). */
typedef struct cln_auto_opts {
    cln_auto policy;
    double   min_quality;     /* NAN = the policy applies to all              */
    double   relabel_below;   /* drop: relabel when quality < it (NAN = never) */
    double   relabel_above;   /* drop: relabel when suggested_p >= it (<= 0 or
                                 NAN = never)                                 */
} cln_auto_opts;

/* The outcome for every row. */
typedef struct cln_plan {
    size_t   n;
    int32_t *label;           /* n: final label, or CLN_DROPPED                */
    char   **why;             /* n: NULL when unchanged, else "reviewer:NAME",
                                 "automatic:relabel" or "automatic:drop"      */
    size_t   n_relabeled, n_dropped;   /* changes, all sources                 */
    size_t   n_by_reviewer, n_automatic;
    size_t   n_kept_by_reviewer;       /* flagged, reviewer said keep          */
    size_t   n_unreviewed;             /* flagged, pending or skip             */
    size_t   n_issue_dropped;          /* of n_dropped: by --drop-issues       */
} cln_plan;

/* Rules, per flagged example (rows not in dec are unchanged):
 *   relabel -> new_label (no change when it equals the given label)
 *   drop    -> dropped                 (why "reviewer:NAME")
 *   keep    -> unchanged, whatever the automatic policy
 *   pending, skip (nobody decided) -> the automatic policy, only when
 *              quality < min_quality (min_quality NAN = always):
 *              relabel -> suggested (when it differs), drop -> dropped,
 *              except that with drop, quality < relabel_below or
 *              suggested_p >= relabel_above relabels to the suggested
 *              class instead: the model is then sure enough that the given
 *              label is wrong (low quality) or that its suggestion is right
 *              (a high probability of the suggested class) to keep the example.
 * ao: the policy and its thresholds (cln_auto_opts). given: n current
 * labels. Returns 0, LA_EUSAGE (a row out of range, a row listed twice, a
 * relabel without a class) or LA_EINTERNAL; free with cln_plan_free (safe
 * on a zeroed struct). */
int  cln_plan_make(const int32_t *given, size_t n, const cln_decision *dec, size_t ndec,
                   const cln_auto_opts *ao, cln_plan *out, la_error *err);
void cln_plan_free(cln_plan *p);

/* Drops every row i with why[i] != NULL (why[i] becomes its why in the
 * plan) that the plan has not dropped already; an automatic relabel gives
 * way to the drop. The caller has left reviewer-decided rows out of why
 * (cln_issue_select does). 0 or LA_EINTERNAL (out of memory). */
int cln_plan_drop_issues(cln_plan *p, const char *const *why, la_error *err);

/* changes.csv: header id,old_label,new_label,why; one row per changed
 * example in dataset order; labels are class names, new_label "dropped" for
 * drops; RFC 4180 quoting where needed. */
int cln_write_changes(const char *path, const la_dataset *ds, const int32_t *old_label,
                      const cln_plan *p, la_error *err);

/* ---- the clean stage ------------------------------------------------------ */

/* What to clean: the dataset as audited (its labels are the given ones, after
 * any --labels), the file it was loaded from, and the review queue. */
typedef struct cln_stage_in {
    const la_dataset   *ds;          /* loaded dataset with ids                 */
    const char         *data_path;   /* its source (CSV and IDX are re-read; names the outputs) */
    const cln_decision *dec;         /* ndec flagged examples, labels in ds's classes */
    size_t              ndec;
    const char *const  *issue_why;   /* ds->n: cln_issue_select's why, or NULL  */
    const cln_leak     *leaks;       /* n_leaks leaked test examples            */
    size_t              n_leaks;
    int                 write_leaks; /* 1: write leaked_test.csv (leakage asked) */
} cln_stage_in;

typedef struct cln_stage_opts {
    cln_auto_opts automatic;         /* unreviewed flagged examples            */
    const char *out_dir;             /* as cln_out_dir_check normalized it      */
} cln_stage_opts;

typedef struct cln_stage_out {
    cln_plan plan;                   /* every row's outcome                     */
    char     main_file[256];         /* the file to load next, inside out_dir  */
    size_t   n_kept;                 /* rows written                            */
} cln_stage_out;

/* Normalizes the output directory `out` (trailing slashes dropped) into
 * norm and checks it, before anything expensive: it must be a new path or
 * a directory that an earlier clean wrote (it holds changes.csv), and it must
 * not hold any of the n_inputs input files (entries may be NULL). Returns 0
 * or LA_EUSAGE. */
int cln_out_dir_check(const char *out, const char *const *inputs, size_t n_inputs, char *norm,
                      size_t normsz, la_error *err);

/* The clean stage: the plan (cln_plan_make) from in's decisions and o's
 * policy, then in->issue_why's drops (cln_plan_drop_issues), the cleaned dataset in the input's own format (CSV table, manifest
 * with its images hard-linked under images/ for manifest and image folder
 * inputs, IDX with classes.txt, .npy with
 * NAME.labels.csv) plus changes.csv (and leaked_test.csv: test_index,test_id,
 * train_index,train_id,score when in->write_leaks), all written into OUT.tmp.PID and renamed
 * to o->out_dir (an earlier clean output there is replaced). All or
 * nothing: on failure the temporary directory is removed and out_dir is as
 * it was. Returns 0 (free out with cln_stage_out_free), or LA_EUSAGE /
 * LA_EINTERNAL with err filled and *out zeroed. */
int  cln_stage(const cln_stage_in *in, const cln_stage_opts *o, cln_stage_out *out, la_error *err);
void cln_stage_out_free(cln_stage_out *out);

#endif /* CLN_CLEAN_H */
