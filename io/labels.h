/*
 * labels.h — label files and predicted-probability files, the inputs of
 * `audit`, `metrics`, `check` and `cv --labels`.
 *
 * Labels: .npy of integer class indices, or CSV with a `label` column holding
 * integers or class names (names need a class list: from the probability
 * header or --classes), optionally with an `id` column. Labels follow the
 * whitespace rule of loader.h (trimmed, with a warning in ->warnings).
 * Predicted probabilities: .npy (float16/32/64, N x K, C or Fortran order) or
 * CSV with header p0..pK-1, 0..K-1 (pandas' default column names: class
 * indices, not data), the class names, or no header; values parsed strictly.
 * Files as pandas writes them: a first column with an empty name (or
 * "Unnamed: 0") is the index df.to_csv() writes: its values are the row ids
 * when the file has no `id` column and they are not just 0..N-1 (then they
 * are dropped: ids NULL); with an `id` column it is ignored (a warning).
 * An `id` column gives the ids; ids must be unique (refused naming the line).
 * A label CSV of two columns, the unnamed index and one other (what
 * Series.to_csv() writes), takes the other as the label.
 */
#ifndef LA_LABELS_H
#define LA_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

typedef struct io_labels {
    size_t   n;          /* examples                                          */
    int64_t *labels;     /* n class indices (validated against k if known)    */
    char   **ids;        /* n ids when the CSV had an `id` column, else NULL  */
    char   **names;      /* class names if the file used names, else NULL     */
    size_t   n_names;    /* length of names                                   */
    char   **warnings;   /* n_warnings sentences for the command to print     */
    size_t   n_warnings; /* (labels trimmed); freed by io_labels_free         */
} io_labels;

/* Reads a label file. class_names (k entries, may be NULL) maps names to
 * indices; without it, a CSV of names gets classes sorted by name (byte-wise)
 * and returned in ->names. k > 0 with class_names NULL only bounds integer
 * labels to 0..k-1. Returns 0 (free with io_labels_free), or LA_EUSAGE /
 * LA_EINTERNAL with err naming the file and line and *out zeroed. */
int io_labels_load(const char *path, char *const *class_names, size_t k,
                   io_labels *out, la_error *err);
/* Frees what io_labels_load filled and zeroes *l. */
void io_labels_free(io_labels *l);

/* Reads a --classes file into *names (*k names in file order): the same
 * reader, rules and messages as the loaders' --classes (io_class_file_read in
 * loader.h): UTF-8 BOM, CRLF and empty lines accepted; NUL bytes, invalid
 * UTF-8, duplicates and an empty list refused with err naming file and line.
 * Returns 0 (caller frees with io_free_strings), or LA_EUSAGE / LA_EINTERNAL
 * with *names and *k untouched. */
int io_class_names_load(const char *path, char ***names, size_t *k, la_error *err);
/* The same, appending the whitespace rule's warning (names trimmed) to
 * (*warnings, *n_warnings) when there is one; the caller frees them with
 * io_free_strings. warnings and n_warnings both NULL: no warning kept. */
int io_class_names_load_warn(const char *path, char ***names, size_t *k, char ***warnings, size_t *n_warnings,
                             la_error *err);
/* Frees v[0..n) and v. Safe on NULL. */
void io_free_strings(char **v, size_t n);

/* Predicted probabilities held in memory (CSV input, or small .npy). */
typedef struct io_probs {
    size_t  n, k;
    double *p;           /* n x k row-major                                   */
    char  **class_names; /* k names when the CSV header named classes, else NULL */
    char  **ids;         /* n row ids (CSV `id` column or a pandas index that */
                         /* is not 0..N-1), else NULL                         */
    char  **warnings;    /* n_warnings sentences for the command to print     */
    size_t  n_warnings;
} io_probs;

/* Reads a probability file (see the top of this header). Returns 0 (free
 * with io_probs_free), or LA_EUSAGE / LA_EINTERNAL with err naming file,
 * line and column and *out zeroed. */
int  io_probs_load(const char *path, io_probs *out, la_error *err);
void io_probs_free(io_probs *p);

/* Reorders the rows of p (which must have ids: p->ids != NULL) to the order
 * of ids[0..n) (the labels' or the dataset's ids; ids_from names them in
 * messages, e.g. "labels.csv"): afterwards row i of p->p is the row whose id
 * is ids[i], p->n == n and p->ids is a copy of ids. Refused with LA_EUSAGE,
 * p unchanged, when an id of ids has no row in p ("2 ids of labels.csv have
 * no row here: 'a', 'b'"), or a row of p has an id not in ids (extra rows);
 * err names `path` (the probability file) and up to 3 ids. One N x K copy. */
int  io_probs_reorder(io_probs *p, const char *path, char *const *ids, size_t n, const char *ids_from, la_error *err);

#endif
