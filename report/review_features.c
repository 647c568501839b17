/*
 * review_features.c — feature values for the review of a tabular run whose
 * examples carry no stored summary: reload the run's dataset once (the audit's
 * recorded loader options, missing values filled with the mean) and compute
 * the report's "most telling features" per example on demand.
 * Any failure only leaves a note; reviewing never depends on it.
 */
#include "review.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rv_features_open(rv_features *f, const db_run *run)
{
    memset(f, 0, sizeof *f);
    if (run->has_images || !run->dataset_path || !run->dataset_path[0]) return;
    io_load_opts lo;
    io_load_opts_init(&lo);
    json_t *o = run->options_json ? json_loads(run->options_json, 0, NULL) : NULL;
    const char *label_col = o ? json_string_value(json_object_get(o, "label_col")) : NULL;
    const char *id_col = o ? json_string_value(json_object_get(o, "id_col")) : NULL;
    const char *classes = o ? json_string_value(json_object_get(o, "classes")) : NULL;
    if (label_col) lo.label_col = label_col;
    if (id_col) lo.id_col = id_col;
    if (classes) lo.classes_file = classes;
    lo.missing = IO_MISSING_MEAN;
    la_error e;
    la_error_clear(&e);
    int rc = io_dataset_load(run->dataset_path, &lo, &f->ds, &e);
    json_decref(o);
    if (rc) {
        snprintf(f->note, sizeof f->note, "feature values unavailable: %.200s: %.250s", e.file, e.msg);
        return;
    }
    if (f->ds.image_w > 0) {       /* pixels of an IDX run are not telling features */
        io_dataset_free(&f->ds);
        return;
    }
    int same = f->ds.n == (size_t)run->n && f->ds.k == (size_t)run->k && f->ds.features;
    for (size_t c = 0; same && c < f->ds.k; c++)
        same = run->class_names[c] && !strcmp(f->ds.class_names[c], run->class_names[c]);
    if (!same) {
        snprintf(f->note, sizeof f->note, "feature values unavailable: the dataset no longer matches the run");
        io_dataset_free(&f->ds);
        return;
    }
    if (rp_feature_stats_init(&f->ds, &f->st, &e) != 0) {
        snprintf(f->note, sizeof f->note, "feature values unavailable: %.400s", e.msg);
        io_dataset_free(&f->ds);
        return;
    }
    f->ok = 1;
}

void rv_features_close(rv_features *f)
{
    if (!f) return;
    if (f->ok) {
        rp_feature_stats_free(&f->st);
        io_dataset_free(&f->ds);
    }
    memset(f, 0, sizeof *f);
}

const char *rv_features_for(const rv_features *f, const db_item *it, char **owned)
{
    *owned = NULL;
    if (it->features) return it->features;
    if (!f || !f->ok || it->row < 0 || (size_t)it->row >= f->ds.n) return NULL;
    if (f->ds.ids && it->dataset_id && strcmp(f->ds.ids[it->row], it->dataset_id) != 0) return NULL;
    *owned = rp_feature_summary(&f->st, &f->ds, (size_t)it->row, it->given, it->suggested, 4);
    return *owned;
}
