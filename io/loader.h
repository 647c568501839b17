/*
 * loader.h — helpers shared by the io/ format readers (not for other layers):
 * the class-name set every reader builds while reading labels, the one reader
 * of --classes files, the step that fixes the class order (integers by value,
 * else byte-wise, or the --classes file) and remaps the labels to it, and
 * small vectors.
 * The readers (csv_table, manifest, idx, npy_dataset) and labels.c sit above
 * this module; dataset.c dispatches to the readers. Nothing here prints.
 */
#ifndef LA_IO_LOADER_H
#define LA_IO_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include "dataset_model.h"
#include "strtab.h"

/* Class names in first-seen order, with a hash index. */
typedef struct io_classset {
    char     **names;   /* k malloc'd names                                  */
    size_t     k, cap;
    io_strtab  index;   /* name -> position in names                         */
} io_classset;

/* Returns the code of name (adding a copy when new: codes are 0, 1, ... in
 * first-seen order), or -1 when out of memory (cs unchanged). */
int io_classset_add(io_classset *cs, const char *name);

/* Frees the names and the index and zeroes cs. Safe on a zeroed set or NULL. */
void io_classset_free(io_classset *cs);

/* The whitespace rule for labels, the same in every reader (CSV tables,
 * manifests, label files, class lists): leading and trailing ASCII whitespace
 * (space, tab, CR, LF, VT, FF) is cut off, so 'Barolo ' and 'Barolo' are one
 * class, and the reader records where it trimmed so the command can warn.
 * A label that is only whitespace becomes empty (refused as empty). */
#define IO_TRIM_SHOWN 3
typedef struct io_trim_log {
    size_t count;                 /* labels trimmed                          */
    long   lines[IO_TRIM_SHOWN];  /* lines (or rows) of the first ones       */
} io_trim_log;

/* Trims s[0..*len) in place: returns the first kept byte, NUL-terminates the
 * kept text and updates *len. When anything was cut, notes `line` in log
 * (log may be NULL). */
char *io_label_trim(char *s, size_t *len, io_trim_log *log, long line);

/* Appends "PATH: N WHAT had leading or trailing whitespace, trimmed (first on
 * line L, ...)" to the warning list (*v, *n) when log->count > 0. `unit` is
 * "line" or "row". 0, or -1 when out of memory. */
int io_trim_warning(const io_trim_log *log, const char *path, const char *what, const char *unit,
                    char ***v, size_t *n);

/* Appends one formatted warning sentence to (*v, *n). 0 or -1 (out of memory). */
int io_warn(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads a --classes file, the ONE class-list reader (the loaders' --classes,
 * and audit/metrics through io_class_names_load in labels.h): one name per
 * line, in index order. A UTF-8 byte order mark on line 1 is dropped, and so
 * are the line ends (LF, CRLF, stray CRs at the end); empty lines are skipped.
 * Refused, with err naming path and the line: a NUL byte, invalid UTF-8
 * ("class name is not valid UTF-8"), a name listed twice ("class 'x' listed
 * twice (also on line N)"); naming only path: unreadable, no names at all
 * ("class list is empty"). Names are trimmed by the whitespace rule above
 * (a name then equal to another is "listed twice"), noted in *trimmed when
 * not NULL. Returns 0 and fills *out (free with
 * io_classset_free), or LA_EUSAGE / LA_EINTERNAL with *out zeroed. */
int io_class_file_read(const char *path, io_classset *out, io_trim_log *trimmed, la_error *err);

/* The class order when no --classes file fixes it (cleanlab's convention:
 * label k is column k): when every name is an integer (an optional '-' and
 * 1..18 digits), by value, so "0".."11" stay 0, 1, 2, ..., 10, 11 (not 0, 1,
 * 10, 11, 2, ...); otherwise byte-wise (strcmp). Sorts names[0..k) in place. */
void io_class_names_sort(char **names, size_t k);

/* Moves the classes into ds (class_names, k) and rewrites ds->labels[0..n) from
 * first-seen codes to final indices. Order: the --classes file when given
 * (a label missing from it is an error naming `line_of[i]` of `path`, or the
 * example id when line_of is NULL), else io_class_names_sort's order. On success
 * cs is emptied; on failure ds is unchanged. */
int io_classes_finish(io_classset *cs, la_dataset *ds, const io_load_opts *opts,
                      const char *path, const long *line_of, la_error *err);

/* Records one native image size in ds->image_sizes (0 or -1 out of memory). */
int io_note_image_size(la_dataset *ds, int w, int h);

/* Appends s to a growable vector of strings (*v, *n, *cap), taking it. 0, or
 * -1 when out of memory (the vector unchanged, s still the caller's). */
int io_strvec_push(char ***v, size_t *n, size_t *cap, char *s);

#endif
