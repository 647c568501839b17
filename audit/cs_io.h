/*
 * cs_io.h — the consensus stage's files: multi-annotator label files read
 * into the N x M matrix cs_run takes (wide CSV: one column per annotator;
 * long CSV: id,annotator,label), and the stage itself, which runs cs_run and
 * writes the four CSV outputs into a directory, all or nothing.
 *
 * Not here: the database input (db/db_consensus.c reads reviewers'
 * decisions into the same cs_labels), printing. Every refusal names the
 * file, the line and the reason.
 */
#ifndef LA_CS_IO_H
#define LA_CS_IO_H

#include <stddef.h>
#include <stdint.h>
#include "consensus.h"
#include "../util/la_util.h"

/* Multi-annotator labels; everything owned by the struct. */
typedef struct cs_labels {
    size_t   n, m;
    int32_t *y;              /* n x m class indices, CS_MISSING when unlabelled */
    char   **ids;            /* n example ids (id column, long CSV), or NULL: 0..n-1 */
    char   **annotators;     /* m names                                        */
    long    *lines;          /* n: the line that introduced each example, or NULL */
} cs_labels;

void cs_labels_free(cs_labels *l);

/* Reads a wide CSV: a header of annotator names (a column named `id`, or a
 * first column with an empty name / "Unnamed: 0" as pandas writes its
 * index, holds the example ids), one row per example, each cell a class
 * index ("3", or "3.0" as pandas writes a float column), a class name of
 * class_names (k names, may be NULL), or empty / NaN when that annotator did
 * not label the example. k bounds the class indices (the probabilities'
 * columns). Refused with LA_EUSAGE naming file, line and column: a label
 * outside the classes, an example nobody labelled, an annotator who labelled
 * nothing, duplicate annotator names or ids. 0 (free with cs_labels_free)
 * or a status with *out zeroed. */
int cs_labels_load_wide(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err);

/* Reads a long CSV with columns id (or task), annotator and label, in any
 * order, one row per label given: examples in order of first appearance,
 * annotators sorted by name (byte-wise, as pandas' pivot orders them in
 * cleanlab's convert_long_to_wide_dataset). Refused as the wide reader, and when the same (id,
 * annotator) appears twice (naming both lines). */
int cs_labels_load_long(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err);

/* Reads either: long when the header has annotator and label columns. */
int cs_labels_load(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err);

/* ---- the stage ---------------------------------------------------------------- */

typedef struct cs_stage_in {
    const cs_labels *labels;
    const double    *pred_probs;   /* labels->n x k, rows in the labels' order   */
    size_t           k;
    char *const     *class_names;  /* k, or NULL: classes.txt is not written     */
} cs_stage_in;

/* Runs cs_run and writes into out_dir (through OUT.tmp.PID renamed into
 * place; an earlier consensus output there is replaced, any other existing
 * path refused):
 *   label_quality.csv           index,consensus_label,consensus_quality_score,annotator_agreement,num_annotations
 *   annotator_stats.csv         annotator,annotator_quality,agreement_with_consensus,worst_class,num_examples_labeled
 *                               (cleanlab's order: worst annotator first)
 *   detailed_label_quality.csv  index,quality_annotator_<name>... (empty where unlabelled)
 *   active_learning.csv         index,active_learning_score
 *   classes.txt                 the class names, when known
 * index is the example id (or its row number); floats with 17 significant
 * digits, NaN as an empty cell. Returns 0 with *res filled (free with
 * cs_result_free), or a status with err filled, *res zeroed and out_dir as
 * it was. */
int cs_stage(const cs_stage_in *in, const cs_opts *o, const char *out_dir, cs_result *res, la_error *err);

/* Reads label_quality.csv of a consensus output directory: *ids gets the n
 * index values, *labels the n consensus labels (class indices); *names the
 * class names of classes.txt when present (else NULL, *k_names 0). Refused
 * with LA_EUSAGE naming file and line. Free with io_free_strings and free. */
int cs_read_consensus(const char *dir, char ***ids, int32_t **labels, size_t *n, char ***names, size_t *k_names,
                      la_error *err);

/* The annotator table of r as one line of JSON, for run_metrics kind
 * 'consensus' (the report's reviewer table): {"consensus": method,
 * "examples": n, "reviewers": [{"reviewer", "labelled", "agreement",
 * "quality" (null when undefined), "worst_class_index", "worst_class" (its
 * name, "" without class_names)}...]} in cleanlab's order, lowest quality
 * first. Returns malloc'd text (caller frees) or NULL when out of memory. */
char *cs_annotator_table_json(const cs_result *r, const cs_labels *l, char *const *class_names, const char *method);

#endif /* LA_CS_IO_H */
