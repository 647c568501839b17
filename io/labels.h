/*
 * labels.h — label files and predicted-probability files, the inputs of
 * `audit`, `metrics`, `check` and `cv --labels`.
 *
 * Labels: .npy of integer class indices, or CSV with a `label` column holding
 * integers or class names (names need a class list: from the probability
 * header or --classes), optionally with an `id` column.
 * Predicted probabilities: .npy (float32/float64, N x K) or CSV with header
 * p0..pK-1 or the class names; values parsed strictly with strtod.
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
/* Frees v[0..n) and v. Safe on NULL. */
void io_free_strings(char **v, size_t n);

/* Predicted probabilities held in memory (CSV input, or small .npy). */
typedef struct io_probs {
    size_t  n, k;
    double *p;           /* n x k row-major                                   */
    char  **class_names; /* k names when the CSV header named classes, else NULL */
} io_probs;

int  io_probs_load(const char *path, io_probs *out, la_error *err);
void io_probs_free(io_probs *p);

#endif
