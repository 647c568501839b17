/*
 * npy_dataset.h — a dataset whose features are a .npy matrix (N x D float32 or
 * float64, e.g. embeddings from PyTorch or JAX) and whose labels come from
 * --npy-labels (a .npy of integers, or a CSV label column; see labels.h).
 */
#ifndef LA_IO_NPY_DATASET_H
#define LA_IO_NPY_DATASET_H

#include "dataset_model.h"

/* Ids come from the labels CSV's id column when it has one, else 0..N-1.
 * Class names: the names in the labels file, else --classes, else "0".."K-1".
 * Without --npy-labels the labels of NAME.npy are NAME.labels.csv beside it
 * (IO_NPY_LABELS_SUFFIX: what `clean` writes beside a cleaned .npy), when
 * that file exists. Errors: no labels, row counts that differ, labels out
 * of range. */
#define IO_NPY_LABELS_SUFFIX ".labels.csv"
int io_npy_dataset_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err);

#endif
