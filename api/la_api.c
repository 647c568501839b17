/*
 * la_api.c — the public C API (include/labelaudit.h) over the stages: each
 * la_* function turns the public options into the stage's own struct, calls
 * the stage and hands back an opaque object or fills the caller's buffer.
 * No logic of its own beyond that translation; no printing, no globals.
 */
#include "../include/labelaudit.h"
#include "../io/dataset.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

const char *la_version(void) { return LABELAUDIT_VERSION; }

/* ---- load ---------------------------------------------------------------- */

void la_load_options_init(la_load_options *o)
{
    assert(o);
    io_load_opts lo;
    io_load_opts_init(&lo);
    memset(o, 0, sizeof *o);
    o->label_col = lo.label_col;
    o->id_col = lo.id_col;
    o->missing = "error";
    o->max_pixels = lo.max_pixels;
}

/* Public load options -> the loader's; LA_EUSAGE naming the bad value. */
static int api_load_opts(const la_load_options *o, io_load_opts *lo, la_error *err)
{
    static const char *const formats[] = {"auto", "csv", "manifest", "folder", "idx", "npy"};
    static const char *const missing[] = {"error", "mean", "zero"};
    io_load_opts_init(lo);
    if (!o) return 0;
    if (o->format) {
        size_t f = 0;
        while (f < 6 && strcmp(o->format, formats[f])) f++;
        if (f == 6) return la_error_set(err, LA_EUSAGE, NULL, 0, "format '%s' is not csv, manifest, folder, idx or npy", o->format);
        lo->format = (io_format)f;
    }
    if (o->missing) {
        size_t m = 0;
        while (m < 3 && strcmp(o->missing, missing[m])) m++;
        if (m == 3) return la_error_set(err, LA_EUSAGE, NULL, 0, "missing '%s' is not error, mean or zero", o->missing);
        lo->missing = (io_missing)m;
    }
    if (o->label_col) lo->label_col = o->label_col;
    if (o->id_col) lo->id_col = o->id_col;
    lo->features = o->features;
    lo->classes_file = o->classes_file;
    lo->idx_labels = o->idx_labels;
    lo->npy_labels = o->npy_labels;
    if (o->image_w < 0 || o->image_h < 0 || (!o->image_w) != (!o->image_h))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "image size %dx%d: give both, positive", o->image_w, o->image_h);
    lo->image_w = o->image_w;
    lo->image_h = o->image_h;
    lo->channels = o->rgb ? 3 : 1;
    if (o->max_pixels > 0) lo->max_pixels = o->max_pixels;
    lo->allow_outside_root = o->allow_outside_root;
    return 0;
}

int la_load(const char *path, const la_load_options *o, la_dataset **out, la_error *err)
{
    assert(path && out && err);
    la_error_clear(err);
    *out = NULL;
    io_load_opts lo;
    if (api_load_opts(o, &lo, err)) return err->status;
    la_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    int rc = io_dataset_load(path, &lo, ds, err);
    if (rc) { free(ds); return rc; }
    *out = ds;
    return 0;
}

void la_dataset_free(la_dataset *ds)
{
    if (!ds) return;
    io_dataset_free(ds);
    free(ds);
}

size_t la_dataset_n(const la_dataset *ds) { assert(ds); return ds->n; }
size_t la_dataset_d(const la_dataset *ds) { assert(ds); return ds->d; }
size_t la_dataset_k(const la_dataset *ds) { assert(ds); return ds->k; }
const int32_t *la_dataset_labels(const la_dataset *ds) { assert(ds); return ds->labels; }
const float *la_dataset_features(const la_dataset *ds) { assert(ds); return ds->features; }

const char *la_dataset_class_name(const la_dataset *ds, size_t c)
{
    assert(ds && c < ds->k);
    return ds->class_names[c];
}

const char *la_dataset_id(const la_dataset *ds, size_t i)
{
    assert(ds && i < ds->n);
    return ds->ids[i];
}

int la_dataset_set_labels(la_dataset *ds, const int32_t *labels, size_t n, la_error *err)
{
    assert(ds && labels && err);
    la_error_clear(err);
    if (n != ds->n)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu labels for a dataset of %zu examples", n, ds->n);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= ds->k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "label %d of example %zu is not a class index 0..%zu",
                                (int)labels[i], i, ds->k - 1);
    memcpy(ds->labels, labels, n * sizeof *labels);
    return 0;
}
