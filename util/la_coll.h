/*
 * la_coll.h — the collective operations a stage needs to run across several
 * processes (ranks), as a struct of function pointers: audit/ and cv/ call
 * these, mpi/ implements them over MPI (make mpi), and the single-process
 * build has none (a NULL la_collective *: every helper below is then the
 * identity, so the default binary never links MPI).
 *
 * Contract of every operation: all ranks call it in the same order with
 * matching arguments; it returns 0, or LA_EINTERNAL when the transport
 * failed. A stage keeps ranks in step by calling la_coll_agree before any
 * collective that follows work which can fail on one rank only.
 */
#ifndef LA_COLL_H
#define LA_COLL_H

#include <stddef.h>
#include <stdint.h>
#include "la_util.h"

typedef struct la_collective {
    void *ctx;
    int   rank, size;         /* this process, and how many there are        */
    /* v[0..n) summed over the ranks, in place on every rank (integers: exact) */
    int (*allreduce_i64)(void *ctx, int64_t *v, size_t n);
    /* The root (rank 0) receives every rank's `bytes` concatenated in rank
     * order: *out (malloc'd, the root frees it; NULL elsewhere) and, when
     * lens is not NULL, lens[r] the bytes of rank r (size entries, root only). */
    int (*gatherv)(void *ctx, const void *buf, size_t bytes, void **out, size_t *lens);
    /* buf[0..bytes) of the root copied to every rank */
    int (*bcast)(void *ctx, void *buf, size_t bytes);
    /* Every rank passes its status rc (err filled when rc != 0). Returns 0
     * when all are 0; otherwise the status of the lowest failing rank, whose
     * error record is copied into err on every rank. */
    int (*agree)(void *ctx, int rc, la_error *err);
} la_collective;

/* NULL-safe helpers: with c == NULL (one process) they do nothing and
 * succeed, so a stage calls them unconditionally. */
static inline int la_coll_size(const la_collective *c) { return c ? c->size : 1; }
static inline int la_coll_rank(const la_collective *c) { return c ? c->rank : 0; }
static inline int la_coll_active(const la_collective *c) { return c && c->size > 1; }
int la_coll_agree(const la_collective *c, int rc, la_error *err);
int la_coll_sum_i64(const la_collective *c, int64_t *v, size_t n, la_error *err);
int la_coll_gather(const la_collective *c, const void *buf, size_t bytes, void **out, size_t *lens, la_error *err);
int la_coll_bcast(const la_collective *c, void *buf, size_t bytes, la_error *err);

/* Rows [*lo, *hi) of n for rank r of `size`: contiguous, in rank order,
 * sizes differing by at most `align` rows (boundaries at multiples of
 * align >= 1, except the last). */
void la_coll_split(size_t n, int rank, int size, size_t align, size_t *lo, size_t *hi);

/* The process's collective: NULL unless a launcher (mpi/mp_main.c) set one
 * before running a command. The one process-wide setting, like MPI's own
 * MPI_COMM_WORLD; library stages take the pointer as an option instead. */
const la_collective *la_coll_world(void);
void la_coll_set_world(const la_collective *c);

#endif
