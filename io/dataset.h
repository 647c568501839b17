/*
 * dataset.h — the dataset model every stage shares (its types are in
 * dataset_model.h, included here), and the one entry point that loads any
 * supported format into it.
 *
 * A dataset is N examples, each with an id, a given label (an index into the
 * sorted class names, or the order fixed by --classes), and a float32 feature
 * row (N x D, one contiguous block, features scaled to [0, 1] for images), an
 * image path, or both; tables also describe their columns. io/ knows nothing
 * about models; cv/ and audit/ know nothing about file formats.
 */
#ifndef LA_DATASET_H
#define LA_DATASET_H

#include "dataset_model.h"

/* Name of a format ("csv", "manifest", "folder", "idx", "npy", "auto"). */
const char *io_format_name(io_format f);

/* The format named name (one of the names above but "auto") into *out.
 * Returns 0, or -1 (out untouched) for any other name. */
int io_format_from_name(const char *name, io_format *out);

/* Fills *opts with the defaults: format from the path, label column "label",
 * id column "id", error on missing cells, gray, IO_MAX_PIXELS_DEFAULT, every
 * other field 0 / NULL. Cannot fail. */
void io_load_opts_init(io_load_opts *opts);

/* Loads a dataset. The format comes from opts->format, else from the path:
 * a directory = image folder; a CSV whose header has `path` and `label` and
 * nothing else but `id` = manifest; other files = CSV table, except names
 * containing "idx3"/"-ubyte" or ending .idx[.gz] = IDX, and *.npy = features.
 * opts NULL = the defaults of io_load_opts_init. Returns 0 and fills *out
 * (free with io_dataset_free), or a status (LA_EUSAGE bad input, LA_EINTERNAL
 * out of memory) with err naming the file, line and column of the first
 * problem and *out zeroed. path, out and err must not be NULL. */
int io_dataset_load(const char *path, const io_load_opts *opts, la_dataset *out, la_error *err);

/* Frees everything the dataset owns and zeroes it. Safe on a zeroed struct. */
void io_dataset_free(la_dataset *ds);

#endif
