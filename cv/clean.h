/*
 * clean.h — applying review decisions to a dataset: which examples change
 * label, which are dropped and why (cln_plan_make), and writers for the
 * cleaned dataset in its input's own format plus changes.csv.
 *
 * Not here: reading the database (cmd_clean.c does, through db.h) or
 * training. Invariant: the input files are only ever read; every writer
 * writes below a directory the caller created (a temporary one that
 * cmd_clean.c renames into place), never over its input.
 */
#ifndef CV_CLEAN_H
#define CV_CLEAN_H

#include <stddef.h>
#include <stdint.h>
#include "../io/dataset.h"
#include "../util/la_util.h"

/* What happens to flagged examples nobody reviewed. */
typedef enum cln_auto { CLN_AUTO_NONE = 0, CLN_AUTO_DROP, CLN_AUTO_RELABEL } cln_auto;

#define CLN_DROPPED (-1)

/* One flagged example of the review queue, with labels already mapped to the
 * dataset's class indices. Strings are borrowed. */
typedef struct cln_decision {
    size_t      row;          /* row in the dataset                            */
    const char *status;       /* pending | keep | relabel | drop | skip        */
    int32_t     new_label;    /* relabel: the class chosen, else -1            */
    int32_t     suggested;    /* the audit's suggested class                   */
    double      quality;      /* label quality score (lower = more suspect)    */
    const char *reviewer;     /* NULL or "" when unknown                       */
} cln_decision;

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
} cln_plan;

/* Rules, per flagged example (rows not in dec are unchanged):
 *   relabel -> new_label (no change when it equals the given label)
 *   drop    -> dropped                 (why "reviewer:NAME")
 *   keep    -> unchanged, whatever the automatic policy
 *   pending, skip (nobody decided) -> the automatic policy, only when
 *              quality < min_quality (min_quality NAN = always):
 *              relabel -> suggested (when it differs), drop -> dropped,
 *              except that with drop, quality < relabel_below (NAN =
 *              never) relabels to the suggested class instead: the model
 *              is then sure enough of its suggestion to keep the example.
 * given: n current labels. Returns 0, LA_EUSAGE (a row out of range, a row
 * listed twice, a relabel without a class) or LA_EINTERNAL; free with
 * cln_plan_free (safe on a zeroed struct). */
int  cln_plan_make(const int32_t *given, size_t n, const cln_decision *dec, size_t ndec,
                   cln_auto policy, double min_quality, double relabel_below, cln_plan *out, la_error *err);
void cln_plan_free(cln_plan *p);

/* changes.csv: header id,old_label,new_label,why; one row per changed
 * example in dataset order; labels are class names, new_label "dropped" for
 * drops; RFC 4180 quoting where needed. */
int cln_write_changes(const char *path, const la_dataset *ds, const int32_t *old_label,
                      const cln_plan *p, la_error *err);

/* CSV table: the source file record by record. Unchanged records are copied
 * byte for byte (quoting, spacing, line ends); a changed record keeps every
 * other field's raw text and gets the new class name in the label column
 * (quoted when the old field was, or when the name needs it); dropped records
 * are left out; blank lines are not copied. label_col is the column index. */
int cln_write_csv(const char *src, size_t label_col, const la_dataset *ds, const cln_plan *p,
                  const char *out_path, la_error *err);

/* Manifest id,path,label for image datasets (manifest or folder input):
 * paths relative to the directory the manifest will finally live in,
 * final_dir (which must exist, or its parent must); dropped rows left out. */
int cln_write_manifest(const la_dataset *ds, const cln_plan *p, const char *final_dir,
                       const char *out_path, la_error *err);

/* IDX: copies the kept images of src_images (idx3, gzip or plain) into
 * out_images and writes their labels (class indices, idx1) to out_labels,
 * both uncompressed. */
int cln_write_idx(const char *src_images, const la_dataset *ds, const cln_plan *p,
                  const char *out_images, const char *out_labels, la_error *err);

/* Labels file id,label (class names) for the kept rows. */
int cln_write_labels_csv(const la_dataset *ds, const cln_plan *p, const char *out_path,
                         la_error *err);

/* The kept rows of ds->features as float32 .npy. */
int cln_write_features_npy(const la_dataset *ds, const cln_plan *p, const char *out_path,
                           la_error *err);

/* out = a path to target relative to directory base (both must exist up
 * to their last component; symlinks resolved). 0, or -1 when it does not fit
 * or cannot be resolved. */
int cln_relpath(const char *base, const char *target, char *out, size_t outsz);

/* Writes s as one CSV field (quoted when it holds , " CR LF or edge spaces). */
void cln_csv_field(FILE *fp, const char *s);

#endif /* CV_CLEAN_H */
