/*
 * csv_table.h — CSV input for the loaders: a record reader over libcsv that
 * knows the physical line where each record starts, and the CSV table loader
 * (header, label column, id column, numeric and one-hot feature columns).
 *
 * The reader is strict (CSV_STRICT | CSV_STRICT_FINI): a stray quote or an
 * unterminated quoted field is an error, never silently merged lines. A UTF-8
 * byte order mark is skipped, CRLF line ends work, blank lines are ignored.
 * Nothing here prints; every failure fills an la_error naming file and line.
 */
#ifndef LA_IO_CSV_TABLE_H
#define LA_IO_CSV_TABLE_H

#include <stddef.h>
#include "dataset_model.h"

/* Called once per record (the header is the first). fields[i] is
 * NUL-terminated with length lens[i]; both arrays are only valid during the
 * call. `line` is the 1-based physical line where the record starts (quoted
 * fields may span lines). Return 0 to go on, IO_CSV_STOP to stop without an
 * error, or an error status (err filled) to abort. */
#define IO_CSV_STOP (-1)
typedef int (*io_csv_record_fn)(void *ctx, long line, size_t nf, char **fields,
                                const size_t *lens, la_error *err);

/* Reads path record by record. Returns 0 (also after IO_CSV_STOP), or a status
 * with err filled: unreadable file, empty file (no header row), NUL byte,
 * malformed quoting (line of the bad character), unterminated quoted field
 * (line where its record began), or whatever fn returned. */
int io_csv_read(const char *path, io_csv_record_fn fn, void *ctx, la_error *err);

/* Reads only the header row: *names gets n malloc'd strings (free each and
 * the array). Errors as io_csv_read. */
int io_csv_header(const char *path, char ***names, size_t *n, la_error *err);

/* Parses s strictly as a finite decimal number (digits, sign, point,
 * exponent; no hex, inf or nan, nothing left over). 0 on success, -1 when s is
 * not a number, IO_NUM_OVERFLOW when it is a decimal number whose magnitude
 * overflows a double ("1e999", a long run of digits): the table loader
 * refuses those, naming file, line and column, rather than calling the column
 * categorical. */
#define IO_NUM_OVERFLOW (-2)
int io_parse_number(const char *s, size_t len, double *out);

/* Loads a CSV table into ds (see dataset.h for the options). Two or three
 * passes over the file: structure, labels and ids first; category values of
 * the string columns next (only when there are any); then the N x D matrix,
 * written in place, so no cell string outlives its line. */
int io_csv_table_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err);

#endif
