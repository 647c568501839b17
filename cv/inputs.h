/*
 * inputs.h — per-example inputs a training command takes besides the
 * dataset: replacement labels (--labels) and example weights (--weights),
 * each matched to the dataset's rows by id when the file has an `id` column,
 * else by row order. Shared by `cv` and `retrain`.
 */
#ifndef CV_INPUTS_H
#define CV_INPUTS_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

/* Reads a label file (io_labels_load: .npy of class indices, or CSV with a
 * `label` column of indices or class names and an optional `id` column) and
 * writes out[i] for each of the n dataset rows. With ids, every dataset id
 * must appear exactly once (extra ids are an error too); without, the file
 * must have n rows. Labels must be in 0..k-1. Returns 0 or LA_EUSAGE / LA_EINTERNAL. */
int cv_inputs_labels(const char *path, char *const *ids, size_t n, char *const *class_names,
                   size_t k, int32_t *out, la_error *err);

/* cv_inputs_labels into ds->labels, matched to ds's ids and classes; the
 * label file's warnings (labels trimmed) are appended to ds->warnings. */
struct la_dataset;
int cv_inputs_dataset_labels(const char *path, struct la_dataset *ds, la_error *err);

/* Reads example weights: .npy (n values, 1-D or n x 1, any numeric dtype) or
 * CSV with a `weight` column and an optional `id` column (matched as above).
 * Weights must be finite and >= 0, not all 0. */
int cv_inputs_weights(const char *path, char *const *ids, size_t n, float *out, la_error *err);

/* Takes example weights from the dataset's feature column `name` (a numeric
 * column of a CSV table) and removes that column from the features, so the
 * model never trains on it. Same value rules as cv_inputs_weights. Returns 0,
 * or LA_EUSAGE when there is no such numeric column or a value is bad. */
int cv_inputs_weight_column(struct la_dataset *ds, const char *name, float *out, la_error *err);

#endif /* CV_INPUTS_H */
