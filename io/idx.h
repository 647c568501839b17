/*
 * idx.h — MNIST-style IDX files, gzip-compressed or plain (zlib's gzread reads
 * both). The dataset path is the images file (magic 0x00000803: N x H x W
 * unsigned bytes); its labels (0x00000801: N unsigned bytes) come from
 * --idx-labels or the standard sibling name (train-images-idx3-ubyte[.gz] ->
 * train-labels-idx1-ubyte[.gz]). Ids are the 0-based index; class names come
 * from --classes, else classes.txt beside the images (line k = label k), else
 * "0", "1", ... up to the largest label. Features are pixels / 255.
 */
#ifndef LA_IO_IDX_H
#define LA_IO_IDX_H

#include "dataset_model.h"

/* Loads images + labels into ds. Errors name the file: bad magic, wrong type
 * or dimension count, N mismatch between the two files, truncated data,
 * trailing bytes, a label without a class name. */
int io_idx_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err);

/* Derives the labels file name from an images file name into out: "images"
 * becomes "labels" and "idx3" becomes "idx1" in the base name, trying the
 * name with and without ".gz". Returns 0 when such a file exists. */
int io_idx_labels_path(const char *images, char *out, size_t outsz);

#endif
