/*
 * au_source.h — private to the audit stage (audit.c, au_source.c): the
 * probability source behind a cl_reader, either an in-memory matrix or a
 * .npy file streamed in chunks with a read-ahead thread. Not a public API:
 * callers use au_input (audit.h).
 */
#ifndef LA_AU_SOURCE_H
#define LA_AU_SOURCE_H

#include "audit.h"

typedef struct au_npy_reader au_npy_reader;

/* A cl_reader and what it reads from. */
typedef struct au_source {
    cl_reader      rd;
    au_npy_reader *npy;               /* NULL for an in-memory matrix          */
    const double  *mem;               /* in->probs                             */
    size_t         k;
    size_t         lo;                /* reader row r is row lo + r of in      */
} au_source;

/* Opens in's probability source (a .npy must hold in->n x in->k). 0 or a
 * status; au_source_close either way. */
int  au_source_open(const au_input *in, au_source *s, la_error *err);
void au_source_close(au_source *s);

/* The same over rows [lo, hi) of in only (one rank's part): reader row r is
 * row lo + r; nothing outside the range is read. */
int  au_source_open_rows(const au_input *in, size_t lo, size_t hi, au_source *s, la_error *err);

#endif
