/*
 * npy.h — NumPy .npy files, read and write (format version 1.0/2.0/3.0).
 *
 * Accepted on read: little-endian (or byte-order-free) float16, float32,
 * float64 and integer dtypes (<i1 <i2 <i4 <i8 <u1 <u2 <u4 <u8 |u1 |i1), C or
 * Fortran order, 1-D or 2-D. float16 converts exactly (every half is a float).
 * Fortran order is read as C-order rows: a row chunk is gathered from the K
 * column blocks (one pread per column block and buffer, so a chunk of R rows
 * costs K reads of R elements instead of one read: fine for the K of a
 * probability matrix, slow for a 10,000-column feature file in tiny chunks).
 * Anything else (big-endian, object/string dtypes, 3-D...) is refused with a
 * message saying what was found. Large files are read in row chunks so no
 * caller needs to hold the whole matrix. Writes are atomic (temp file +
 * rename), always C order.
 */
#ifndef LA_NPY_H
#define LA_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../util/la_util.h"

/* The first bytes of every .npy file (format sniffing, reading, writing). */
#define IO_NPY_MAGIC "\x93NUMPY"
#define IO_NPY_MAGIC_LEN 6

typedef enum io_dtype { IO_DT_F32, IO_DT_F64, IO_DT_INT, IO_DT_UINT, IO_DT_F16 } io_dtype;

typedef struct io_npy {
    FILE    *fp;            /* open stream positioned anywhere               */
    char     path[1024];    /* for messages                                  */
    io_dtype dtype;         /* element kind                                  */
    int      elem_size;     /* bytes per element (1, 2, 4, 8)                */
    int      ndim;          /* 1 or 2                                        */
    size_t   rows;          /* shape[0]                                      */
    size_t   cols;          /* shape[1], or 1 for 1-D                        */
    long     data_offset;   /* byte offset of the first element              */
    int      fortran;       /* 1: column-major on disk (2-D only; reads      */
                            /* still return C-order rows)                    */
} io_npy;

/* Opens and validates the header; checks the file is long enough for the
 * declared shape. Returns 0 or a status (LA_EUSAGE for a bad file). */
int io_npy_open(io_npy *f, const char *path, la_error *err);

/* Reads rows [row0, row0 + nrows) converted to double into out (nrows x cols).
 * Integer files convert exactly when |v| < 2^53. */
int io_npy_read_rows_f64(io_npy *f, size_t row0, size_t nrows, double *out, la_error *err);

/* Same, converted to float32 (float16 and float32 exactly). */
int io_npy_read_rows_f32(io_npy *f, size_t row0, size_t nrows, float *out, la_error *err);

/* Rows [row0, row0 + nrows) of a 1-D integer file as int64 (an unsigned
 * value above INT64_MAX is an error; float or 2-D files are refused). */
int io_npy_read_rows_i64(io_npy *f, size_t row0, size_t nrows, int64_t *out, la_error *err);

void io_npy_close(io_npy *f);

/* Whole-file helpers. The caller frees *out with free(). */
int io_npy_load_f32(const char *path, float **out, size_t *rows, size_t *cols, la_error *err);
int io_npy_load_f64(const char *path, double **out, size_t *rows, size_t *cols, la_error *err);
/* A 1-D integer array (or 2-D with one column); float files are refused. */
int io_npy_load_i64(const char *path, int64_t **out, size_t *n, la_error *err);

/* Atomic writers: 2-D (rows x cols) C-order arrays, and 1-D int64. */
int io_npy_save_f32(const char *path, const float *data, size_t rows, size_t cols, la_error *err);
int io_npy_save_f64(const char *path, const double *data, size_t rows, size_t cols, la_error *err);
int io_npy_save_i64(const char *path, const int64_t *data, size_t n, la_error *err);
/* A rows x cols float64 .npy (C order) written to fp, e.g. a la_atomic_file
 * among others committed together. 0, or -1 when a write failed. */
int io_npy_write_f64(FILE *fp, const double *data, size_t rows, size_t cols);

#endif
