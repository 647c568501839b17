/*
 * inputs.c — replacement labels and example weights matched to dataset rows
 * (see inputs.h). Ids are matched through a sorted index and binary search.
 */
#include <stdlib.h>
#include <string.h>

#include "inputs.h"
#include "../io/csv_table.h"
#include "../io/dataset.h"
#include "../io/labels.h"
#include "../io/npy.h"

typedef struct id_index {
    char *const *ids;
    size_t *ord;     /* row numbers sorted by id */
    size_t  n;
} id_index;

static int cmp_ord(const void *a, const void *b, void *ids)
{
    char *const *v = ids;
    return strcmp(v[*(const size_t *)a], v[*(const size_t *)b]);
}

static int index_build(id_index *ix, char *const *ids, size_t n)
{
    ix->ids = ids; ix->n = n;
    ix->ord = la_malloc_array(n ? n : 1, sizeof *ix->ord);
    if (!ix->ord) return -1;
    for (size_t i = 0; i < n; i++) ix->ord[i] = i;
    qsort_r(ix->ord, n, sizeof *ix->ord, cmp_ord, (void *)ids);
    return 0;
}

/* Row of id, or -1. */
static long index_find(const id_index *ix, const char *id)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->ids[ix->ord[mid]], id);
        if (c == 0) return (long)ix->ord[mid];
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    return -1;
}

/* cv_inputs_labels, moving the label file's warnings to (*warnings,
 * *n_warnings) when warnings is not NULL. */
static int labels_read(const char *path, char *const *ids, size_t n, char *const *class_names, size_t k,
                       int32_t *out, char ***warnings, size_t *n_warnings, la_error *err);

int cv_inputs_labels(const char *path, char *const *ids, size_t n, char *const *class_names,
                   size_t k, int32_t *out, la_error *err)
{
    return labels_read(path, ids, n, class_names, k, out, NULL, NULL, err);
}

int cv_inputs_dataset_labels(const char *path, la_dataset *ds, la_error *err)
{
    return labels_read(path, ds->ids, ds->n, ds->class_names, ds->k, ds->labels, &ds->warnings, &ds->n_warnings,
                       err);
}

static int labels_read(const char *path, char *const *ids, size_t n, char *const *class_names, size_t k,
                       int32_t *out, char ***warnings, size_t *n_warnings, la_error *err)
{
    io_labels l;
    memset(&l, 0, sizeof l);
    int rc = io_labels_load(path, class_names, k, &l, err);
    if (rc) return rc;
    if (warnings && l.n_warnings) {
        char **v = realloc(*warnings, (*n_warnings + l.n_warnings) * sizeof *v);
        if (!v) {
            io_labels_free(&l);
            return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
        }
        memcpy(v + *n_warnings, l.warnings, l.n_warnings * sizeof *v);
        *warnings = v;
        *n_warnings += l.n_warnings;
        free(l.warnings);
        l.warnings = NULL;
        l.n_warnings = 0;
    }
    id_index ix = {0};
    uint8_t *got = NULL;
    if (l.ids && ids) {
        got = la_calloc(n ? n : 1, 1);
        if (!got || index_build(&ix, ids, n)) {
            rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
            goto done;
        }
        if (l.n != n) {
            rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu labels for %zu examples", l.n, n);
            goto done;
        }
        for (size_t j = 0; j < l.n; j++) {
            long i = index_find(&ix, l.ids[j]);
            if (i < 0) {
                rc = la_error_set(err, LA_EUSAGE, path, (long)j + 2, "id '%s' is not in the dataset", l.ids[j]);
                goto done;
            }
            if (got[i]++) {
                rc = la_error_set(err, LA_EUSAGE, path, (long)j + 2, "id '%s' appears twice", l.ids[j]);
                goto done;
            }
            if (l.labels[j] < 0 || (size_t)l.labels[j] >= k) {
                rc = la_error_set(err, LA_EUSAGE, path, (long)j + 2, "label %lld is not a class index 0..%zu",
                                  (long long)l.labels[j], k - 1);
                goto done;
            }
            out[i] = (int32_t)l.labels[j];
        }
    } else {
        if (l.n != n) {
            rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu labels for %zu examples (no id column: rows must match)", l.n, n);
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            if (l.labels[i] < 0 || (size_t)l.labels[i] >= k) {
                rc = la_error_set(err, LA_EUSAGE, path, 0, "row %zu: label %lld is not a class index 0..%zu",
                                  i, (long long)l.labels[i], k - 1);
                goto done;
            }
            out[i] = (int32_t)l.labels[i];
        }
    }
done:
    free(ix.ord); free(got);
    io_labels_free(&l);
    return rc;
}

typedef struct wctx {
    const char *path;
    long    id_col, w_col;
    size_t  rows, n;
    id_index ix;      /* ix.ord == NULL: by row order */
    uint8_t *got;
    float  *out;
} wctx;

static int weight_record(void *ctx, long line, size_t nf, char **f, const size_t *lens, la_error *err)
{
    wctx *c = ctx;
    if (c->w_col < 0) {          /* header */
        for (size_t j = 0; j < nf; j++) {
            if (!strcmp(f[j], "weight")) c->w_col = (long)j;
            if (!strcmp(f[j], "id")) c->id_col = (long)j;
        }
        if (c->w_col < 0) return la_error_set(err, LA_EUSAGE, c->path, line, "no 'weight' column in the header");
        return 0;
    }
    if ((size_t)c->w_col >= nf || (c->id_col >= 0 && (size_t)c->id_col >= nf))
        return la_error_set(err, LA_EUSAGE, c->path, line, "expected more fields, got %zu", nf);
    double v;
    if (io_parse_number(f[c->w_col], lens[c->w_col], &v) || !(v >= 0))
        return la_error_setc(err, LA_EUSAGE, c->path, line, "weight", "'%s' is not a number >= 0", f[c->w_col]);
    long i;
    if (c->ix.ord) {
        i = index_find(&c->ix, f[c->id_col]);
        if (i < 0) return la_error_set(err, LA_EUSAGE, c->path, line, "id '%s' is not in the dataset", f[c->id_col]);
        if (c->got[i]++) return la_error_set(err, LA_EUSAGE, c->path, line, "id '%s' appears twice", f[c->id_col]);
    } else {
        if (c->rows >= c->n) return la_error_set(err, LA_EUSAGE, c->path, line, "more weights than the %zu examples", c->n);
        i = (long)c->rows;
    }
    c->out[i] = (float)v;
    c->rows++;
    return 0;
}

int cv_inputs_weights(const char *path, char *const *ids, size_t n, float *out, la_error *err)
{
    size_t len = strlen(path);
    int rc = 0;
    if (len >= 4 && !strcmp(path + len - 4, ".npy")) {
        double *v = NULL;
        size_t r = 0, cc = 0;
        if ((rc = io_npy_load_f64(path, &v, &r, &cc, err))) return rc;
        if (r * cc != n || (cc != 1 && r != 1)) {
            free(v);
            return la_error_set(err, LA_EUSAGE, path, 0, "%zu x %zu weights for %zu examples", r, cc, n);
        }
        for (size_t i = 0; i < n; i++) out[i] = (float)v[i];
        free(v);
    } else {
        wctx c = {.path = path, .id_col = -1, .w_col = -1, .n = n, .out = out};
        /* peek at the header to know whether ids are used */
        char **names = NULL;
        size_t nn = 0;
        if ((rc = io_csv_header(path, &names, &nn, err))) return rc;
        int has_id = 0;
        for (size_t j = 0; j < nn; j++) { has_id |= !strcmp(names[j], "id"); free(names[j]); }
        free(names);
        if (has_id && ids) {
            c.got = la_calloc(n ? n : 1, 1);
            if (!c.got || index_build(&c.ix, ids, n)) {
                free(c.got); free(c.ix.ord);
                return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
            }
        }
        rc = io_csv_read(path, weight_record, &c, err);
        if (!rc && c.rows != n)
            rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu weights for %zu examples", c.rows, n);
        free(c.got); free(c.ix.ord);
        if (rc) return rc;
    }
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(out[i] >= 0) || out[i] > 3e38f)
            return la_error_set(err, LA_EUSAGE, path, 0, "weight of row %zu is %g: must be finite and >= 0", i, (double)out[i]);
        s += out[i];
    }
    if (s <= 0) return la_error_set(err, LA_EUSAGE, path, 0, "every weight is 0");
    return 0;
}

int cv_inputs_weight_column(la_dataset *ds, const char *name, float *out, la_error *err)
{
    size_t d = ds->d, col = d;
    for (size_t j = 0; j < d && ds->feature_names; j++)
        if (!strcmp(ds->feature_names[j], name) && !(ds->feature_onehot && ds->feature_onehot[j])) col = j;
    if (col == d)
        return la_error_setc(err, LA_EUSAGE, ds->path, 0, name, "no numeric feature column of that name for --weight-col");
    double s = 0.0;
    for (size_t i = 0; i < ds->n; i++) {
        float v = ds->features[i * d + col];
        if (!(v >= 0) || v > 3e38f)
            return la_error_setc(err, LA_EUSAGE, ds->path, (long)i + 2, name, "weight %g: must be finite and >= 0", (double)v);
        out[i] = v;
        s += v;
    }
    if (s <= 0) return la_error_setc(err, LA_EUSAGE, ds->path, 0, name, "every weight is 0");
    /* drop the column: rows are compacted in place, d -> d - 1 */
    for (size_t i = 0; i < ds->n; i++) {
        const float *src = ds->features + i * d;
        float *dst = ds->features + i * (d - 1);
        memmove(dst, src, col * sizeof *dst);
        memmove(dst + col, src + col + 1, (d - 1 - col) * sizeof *dst);
    }
    free(ds->feature_names[col]);
    memmove(ds->feature_names + col, ds->feature_names + col + 1, (d - 1 - col) * sizeof *ds->feature_names);
    if (ds->feature_source)
        memmove(ds->feature_source + col, ds->feature_source + col + 1, (d - 1 - col) * sizeof *ds->feature_source);
    if (ds->feature_onehot)
        memmove(ds->feature_onehot + col, ds->feature_onehot + col + 1, (d - 1 - col) * sizeof *ds->feature_onehot);
    ds->d = d - 1;
    return 0;
}
