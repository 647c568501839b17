/*
 * npy_dataset.c — .npy features + a label file into a dataset (npy_dataset.h).
 * The matrix is read by io_npy_load_f32 (io/npy.c) into the one feature block.
 */
#include "npy_dataset.h"
#include "loader.h"
#include "npy.h"
#include "labels.h"

#include <stdlib.h>
#include <string.h>

int io_npy_dataset_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    if (!opts->npy_labels)
        return la_error_set(err, LA_EUSAGE, path, 0, "a .npy feature file needs its labels: give --npy-labels FILE");
    float *x = NULL;
    size_t rows = 0, cols = 0;
    int rc = io_npy_load_f32(path, &x, &rows, &cols, err);
    if (rc) return rc;
    io_classset fixed = {0};
    if (opts->classes_file && (rc = io_class_file_read(opts->classes_file, &fixed, err))) {
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
    /* class names: from the file's names, the class list, or the numbers */
    size_t k;
    char **names;
    if (fixed.k) {
        k = fixed.k;
        names = fixed.names;
        fixed.names = NULL;
        fixed.k = 0;
    } else if (lab.names) {
        k = lab.n_names;
        names = lab.names;
        lab.names = NULL;
        lab.n_names = 0;
    } else {
        int64_t maxlab = 0;
        for (size_t i = 0; i < lab.n; i++) {
            if (lab.labels[i] < 0) {
                rc = la_error_set(err, LA_EUSAGE, opts->npy_labels, 0, "negative label %lld (example %zu)",
                                  (long long)lab.labels[i], i);
                goto fail;
            }
            if (lab.labels[i] > maxlab) maxlab = lab.labels[i];
        }
        if (maxlab > 100000) {
            rc = la_error_set(err, LA_EUSAGE, opts->npy_labels, 0, "label %lld: too many classes", (long long)maxlab);
            goto fail;
        }
        k = (size_t)maxlab + 1;
        names = calloc(k, sizeof *names);
        for (size_t c = 0; names && c < k; c++) {
            char s[24];
            snprintf(s, sizeof s, "%zu", c);
            names[c] = la_strdup(s);
        }
    }
    ds->class_names = names;
    ds->k = k;
    ds->labels = la_malloc_array(rows, sizeof *ds->labels);
    ds->ids = calloc(rows ? rows : 1, sizeof *ds->ids);
    if (!names || !ds->labels || !ds->ids) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto fail; }
    for (size_t c = 0; c < k; c++)
        if (!names[c]) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto fail; }
    ds->n = rows;
    for (size_t i = 0; i < rows; i++) {
        if (lab.labels[i] < 0 || (size_t)lab.labels[i] >= k) {
            rc = la_error_set(err, LA_EUSAGE, opts->npy_labels, 0, "label %lld of example %zu is not a class (K = %zu)",
                              (long long)lab.labels[i], i, k);
            goto fail;
        }
        ds->labels[i] = (int32_t)lab.labels[i];
        char s[24];
        snprintf(s, sizeof s, "%zu", i);
        ds->ids[i] = la_strdup(lab.ids ? lab.ids[i] : s);
        if (!ds->ids[i]) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto fail; }
    }
    ds->features = x;
    ds->d = cols;
    x = NULL;
fail:
    free(x);
    io_labels_free(&lab);
    io_classset_free(&fixed);
    return rc;
}
