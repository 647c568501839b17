/*
 * dataset_write.h — writers beside the loaders: a dataset with some rows
 * relabeled or dropped, in its input's own format (CSV table copied record
 * by record, manifest, IDX, .npy features plus a labels CSV), the class list,
 * and the CSV field quoting they share. `clean` writes its cleaned dataset
 * through these. Every writer writes one file by temp file + rename (IDX: two),
 * never its source. Not here: deciding which rows change (clean/).
 *
 * label (ds->n entries): each row's new class index, or IO_ROW_DROPPED.
 */
#ifndef IO_DATASET_WRITE_H
#define IO_DATASET_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "dataset.h"
#include "../util/la_util.h"

#define IO_ROW_DROPPED (-1)

/* CSV table: the source file src record by record. Unchanged records are
 * copied byte for byte (quoting, spacing, line ends); a changed record keeps
 * every other field's raw text and gets the new class name in column
 * label_col (quoted when the old field was, or when the name needs it);
 * dropped records are left out; blank lines are not copied. Returns 0, or
 * LA_EUSAGE when src no longer has ds->n records (or lacks the column). */
int io_write_csv_relabeled(const char *src, size_t label_col, const la_dataset *ds,
                           const int32_t *label, const char *out_path, la_error *err);

/* Manifest id,path,label for image datasets (manifest or folder input),
 * dropped rows left out, whose images live inside final_dir (the directory
 * the manifest is written into, which must exist), so that it loads with
 * the path guard on (no --allow-outside-root): each kept image is placed at
 * final_dir/IO_IMAGES_DIR/<its path below ds->root> (an image outside the
 * root, which only --allow-outside-root let in, at IO_IMAGES_OUTSIDE/<row>-
 * <file name>) as a hard link to the very file (a copy when the file system
 * refuses links, e.g. across devices), and the manifest's path is that
 * relative one. LA_EUSAGE when ds has no image paths or an image is gone. */
#define IO_IMAGES_DIR "images"
#define IO_IMAGES_OUTSIDE "_outside"
int io_write_manifest(const la_dataset *ds, const int32_t *label, const char *final_dir,
                      const char *out_path, la_error *err);

/* IDX: copies the kept images of src_images (idx3, gzip or plain) into
 * out_images and writes their labels (class indices, idx1) to out_labels,
 * both uncompressed. LA_EUSAGE when a class index exceeds 255 or the
 * images file no longer matches ds. */
int io_write_idx(const char *src_images, const la_dataset *ds, const int32_t *label,
                 const char *out_images, const char *out_labels, la_error *err);

/* Labels file id,label (class names) for the kept rows. */
int io_write_labels_csv(const la_dataset *ds, const int32_t *label, const char *out_path,
                        la_error *err);

/* The kept rows of ds->features as float32 .npy (LA_EUSAGE without features). */
int io_write_features_npy(const la_dataset *ds, const int32_t *label, const char *out_path,
                          la_error *err);

/* Predicted probabilities p (n x k, row-major) as CSV: a header, then one
 * row per example, each value with 17 significant digits (read back
 * exactly). The header is the class names (RFC 4180 quoting where needed),
 * which io_probs_load takes as the column order, except when every name is a
 * number and the names are not exactly 0..k-1 (a header like 1,2,5 would
 * read as a data row): then p0..pk-1, and the names go in classes.txt. names
 * NULL: p0..pk-1. One file, temp file + rename. */
int io_write_probs_csv(const char *path, const double *p, size_t n, size_t k, char *const *names,
                       la_error *err);

/* ds's class names, one a line. */
int io_write_class_names(const char *path, const la_dataset *ds, la_error *err);

/* out = a path to target relative to directory base (both must exist up
 * to their last component; symlinks resolved). 0, or -1 when it does not fit
 * or cannot be resolved. */
int io_relpath(const char *base, const char *target, char *out, size_t outsz);

/* Writes s as one CSV field, quoted (RFC 4180, "" for ") when it holds
 * , " CR LF or leading/trailing spaces (io_write_csv_field) or always
 * (io_write_csv_quoted). */
void io_write_csv_field(FILE *fp, const char *s);
void io_write_csv_quoted(FILE *fp, const char *s);

/* ds->ids[i], or the row number written into buf when ds has no ids. */
const char *io_row_id(const la_dataset *ds, size_t i, char buf[32]);

#endif /* IO_DATASET_WRITE_H */
