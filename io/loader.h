/*
 * loader.h — helpers shared by the io/ loaders (not for other layers): the
 * class-name set every loader builds while reading labels, and the step that
 * fixes the class order (sorted byte-wise, or the --classes file) and remaps
 * the labels to it.
 */
#ifndef LA_IO_LOADER_H
#define LA_IO_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "dataset.h"
#include "strtab.h"

/* Class names in first-seen order, with a hash index. */
typedef struct io_classset {
    char     **names;   /* k malloc'd names                                  */
    size_t     k, cap;
    io_strtab  index;   /* name -> position in names                         */
} io_classset;

/* Returns the code of name (adding it when new), or -1 when out of memory. */
int io_classset_add(io_classset *cs, const char *name);
void io_classset_free(io_classset *cs);

/* Reads a --classes file: one name per line, UTF-8 BOM and trailing CR
 * dropped, blank lines skipped, duplicates an error (naming both lines). */
int io_class_file_read(const char *path, io_classset *out, la_error *err);

/* Moves the classes into ds (class_names, k) and rewrites ds->labels[0..n) from
 * first-seen codes to final indices. Order: the --classes file when given
 * (a label missing from it is an error naming `line_of[i]` of `path`, or the
 * example id when line_of is NULL), else byte-wise sorted names. On success
 * cs is emptied; on failure ds is unchanged. */
int io_classes_finish(io_classset *cs, la_dataset *ds, const io_load_opts *opts,
                      const char *path, const long *line_of, la_error *err);

/* Records one native image size in ds->image_sizes (0 or -1 out of memory). */
int io_note_image_size(la_dataset *ds, int w, int h);

/* Appends s to a growable vector of strings (*v, *n, *cap). 0 or -1. */
int io_strvec_push(char ***v, size_t *n, size_t *cap, char *s);

#endif
