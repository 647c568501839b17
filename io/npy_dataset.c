/*
 * npy_dataset.c — .npy features + a label file into a dataset (npy_dataset.h).
 * The matrix is read by io_npy_load_f32 (io/npy.c) into the one feature block.
 */
#include "npy_dataset.h"
#include "loader.h"
#include "npy.h"
#include "labels.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Beyond this many classes a label of a .npy dataset is taken for garbage
 * (an id column given as labels, say) rather than allocating names for it. */
#define NPY_MAX_CLASSES 100000

/* The class names: the --classes list (taken from *fixed), the label file's
 * names (taken from *lab), or "0".."K-1" for integer labels. */
static int npy_class_names(io_classset *fixed, io_labels *lab, const char *labels_path, char ***names, size_t *k,
                           la_error *err)
{
    if (fixed->k) {
        *k = fixed->k;
        *names = fixed->names;
        fixed->names = NULL;
        fixed->k = 0;
        return 0;
    }
    if (lab->names) {
        *k = lab->n_names;
        *names = lab->names;
        lab->names = NULL;
        lab->n_names = 0;
        return 0;
    }
    int64_t maxlab = 0;
    for (size_t i = 0; i < lab->n; i++) {
        if (lab->labels[i] < 0)
            return la_error_set(err, LA_EUSAGE, labels_path, 0, "negative label %lld (example %zu)",
                                (long long)lab->labels[i], i);
        if (lab->labels[i] > maxlab) maxlab = lab->labels[i];
    }
    if (maxlab > NPY_MAX_CLASSES)
        return la_error_set(err, LA_EUSAGE, labels_path, 0, "label %lld: too many classes", (long long)maxlab);
    *k = (size_t)maxlab + 1;
    *names = calloc(*k, sizeof **names);
    for (size_t c = 0; *names && c < *k; c++) {
        char s[24];
        snprintf(s, sizeof s, "%zu", c);
        (*names)[c] = la_strdup(s);
    }
    return 0;
}

/* Labels and ids of the `rows` examples into ds (class names already set). */
static int npy_fill_examples(const io_labels *lab, size_t rows, const char *path, const char *labels_path,
                             la_dataset *ds, la_error *err)
{
    ds->labels = la_malloc_array(rows, sizeof *ds->labels);
    ds->ids = calloc(rows ? rows : 1, sizeof *ds->ids);
    if (!ds->class_names || !ds->labels || !ds->ids) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    for (size_t c = 0; c < ds->k; c++)
        if (!ds->class_names[c]) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    ds->n = rows;
    for (size_t i = 0; i < rows; i++) {
        if (lab->labels[i] < 0 || (size_t)lab->labels[i] >= ds->k)
            return la_error_set(err, LA_EUSAGE, labels_path, 0, "label %lld of example %zu is not a class (K = %zu)",
                                (long long)lab->labels[i], i, ds->k);
        ds->labels[i] = (int32_t)lab->labels[i];
        char s[24];
        snprintf(s, sizeof s, "%zu", i);
        ds->ids[i] = la_strdup(lab->ids ? lab->ids[i] : s);
        if (!ds->ids[i]) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    return 0;
}

int io_npy_dataset_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    assert(path && opts && ds && err);
    /* without --npy-labels: NAME.labels.csv beside NAME.npy (what clean writes) */
    io_load_opts beside = *opts;
    char lpath[4200];
    if (!opts->npy_labels) {
        size_t len = strlen(path), stem = len > 4 && !strcmp(path + len - 4, ".npy") ? len - 4 : len;
        snprintf(lpath, sizeof lpath, "%.*s%s", (int)stem, path, IO_NPY_LABELS_SUFFIX);
        if (access(lpath, R_OK))
            return la_error_set(err, LA_EUSAGE, path, 0, "a .npy feature file needs its labels: give --npy-labels "
                                "FILE (or put them beside it as %s)", lpath);
        beside.npy_labels = lpath;
        opts = &beside;
    }
    float *x = NULL;
    size_t rows = 0, cols = 0;
    int rc = io_npy_load_f32(path, &x, &rows, &cols, err);
    if (rc) return rc;
    io_classset fixed = {0};
    io_trim_log trimmed = {0};
    if (opts->classes_file && (rc = io_class_file_read(opts->classes_file, &fixed, &trimmed, err))) {
        free(x);
        return rc;
    }
    io_labels lab;
    memset(&lab, 0, sizeof lab);
    rc = io_labels_load(opts->npy_labels, fixed.names, fixed.k, &lab, err);
    if (rc) goto fail;
    if (lab.n != rows) {
        rc = la_error_set(err, LA_EUSAGE, opts->npy_labels, 0, "%zu labels for the %zu rows of %s", lab.n, rows, path);
        goto fail;
    }
    if ((rc = npy_class_names(&fixed, &lab, opts->npy_labels, &ds->class_names, &ds->k, err))) goto fail;
    if ((rc = npy_fill_examples(&lab, rows, path, opts->npy_labels, ds, err))) goto fail;
    ds->features = x;
    ds->d = cols;
    x = NULL;
    ds->warnings = lab.warnings;   /* the labels' trim warning, then the class list's */
    ds->n_warnings = lab.n_warnings;
    lab.warnings = NULL;
    lab.n_warnings = 0;
    if (opts->classes_file &&
        io_trim_warning(&trimmed, opts->classes_file, "class names", "line", &ds->warnings, &ds->n_warnings))
        rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
fail:
    free(x);
    io_labels_free(&lab);
    io_classset_free(&fixed);
    return rc;
}
