/*
 * mp_coll.c — the collective operations of la_coll.h over MPI. Large
 * buffers go in pieces of at most MP_PIECE bytes (MPI counts are ints);
 * gathers are point-to-point in rank order so the root never needs more
 * than the total it asked for. Errors: MPI's default handler aborts the job
 * on a transport failure, so a rank that dies ends every rank (mpirun
 * reports which one), and these functions see only MPI_SUCCESS in practice.
 */
#include "mp_coll.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MP_PIECE = 1 << 30, MP_TAG = 18 };

static int mp_allreduce_i64(void *ctx, int64_t *v, size_t n)
{
    (void)ctx;
    /* integer sums: exact and independent of the reduction order */
    for (size_t off = 0; off < n; off += MP_PIECE / 8) {
        size_t m = n - off < MP_PIECE / 8 ? n - off : MP_PIECE / 8;
        if (MPI_Allreduce(MPI_IN_PLACE, v + off, (int)m, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int mp_send(const void *buf, size_t bytes, int to)
{
    for (size_t off = 0; off < bytes; off += MP_PIECE) {
        size_t m = bytes - off < MP_PIECE ? bytes - off : MP_PIECE;
        if (MPI_Send((const char *)buf + off, (int)m, MPI_BYTE, to, MP_TAG, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    }
    return 0;
}

static int mp_recv(void *buf, size_t bytes, int from)
{
    for (size_t off = 0; off < bytes; off += MP_PIECE) {
        size_t m = bytes - off < MP_PIECE ? bytes - off : MP_PIECE;
        if (MPI_Recv((char *)buf + off, (int)m, MPI_BYTE, from, MP_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int mp_gatherv(void *ctx, const void *buf, size_t bytes, void **out, size_t *lens)
{
    const la_collective *c = ctx;
    uint64_t mine = bytes, *all = NULL;
    *out = NULL;
    if (c->rank == 0 && !(all = malloc((size_t)c->size * sizeof *all))) return -1;
    if (MPI_Gather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
        free(all);
        return -1;
    }
    if (c->rank != 0) return bytes ? mp_send(buf, bytes, 0) : 0;
    size_t tot = 0;
    for (int r = 0; r < c->size; r++) tot += (size_t)all[r];
    char *o = malloc(tot ? tot : 1);
    int rc = o ? 0 : -1;
    size_t at = 0;
    for (int r = 0; r < c->size; r++) {
        /* a rank's message is received even when out of memory, so no
         * sender is left blocked */
        if (r == 0 && o) memcpy(o, buf, bytes);
        else if (r != 0 && all[r]) {
            char *dst = o ? o + at : malloc((size_t)all[r]);
            if (!dst || mp_recv(dst, (size_t)all[r], r)) rc = -1;
            if (!o) free(dst);
        }
        if (lens) lens[r] = (size_t)all[r];
        at += (size_t)all[r];
    }
    free(all);
    if (rc) { free(o); return rc; }
    *out = o;
    return 0;
}

static int mp_bcast(void *ctx, void *buf, size_t bytes)
{
    (void)ctx;
    for (size_t off = 0; off < bytes; off += MP_PIECE) {
        size_t m = bytes - off < MP_PIECE ? bytes - off : MP_PIECE;
        if (MPI_Bcast((char *)buf + off, (int)m, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    }
    return 0;
}

static int mp_agreed;   /* a failure went through mp_agree: every rank knows */
static la_error mp_err; /* ... and this was it                             */

int mp_coll_agreed_failure(void) { return mp_agreed; }

static int mp_agree(void *ctx, int rc, la_error *err)
{
    const la_collective *c = ctx;
    int mine = rc ? c->rank : c->size, first = c->size;
    /* after an agreed failure no rank communicates again: the same answer */
    if (mp_agreed) { *err = mp_err; return mp_err.status; }
    if (MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "MPI_Allreduce failed");
    if (first == c->size) return 0;
    /* the first failing rank's status and message, to every rank */
    la_error e;
    if (c->rank == first) { e = *err; e.status = rc; }
    if (MPI_Bcast(&e, (int)sizeof e, MPI_BYTE, first, MPI_COMM_WORLD) != MPI_SUCCESS)
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "MPI_Bcast failed");
    *err = e;
    mp_agreed = 1;
    if (first != 0 && !strstr(err->msg, "(rank ")) {
        size_t len = strlen(err->msg);
        snprintf(err->msg + len, sizeof err->msg - len, " (rank %d of %d)", first, c->size);
    }
    if (!e.status) err->status = LA_EINTERNAL;
    mp_err = *err;
    return mp_err.status;
}

void mp_coll_init(la_collective *c)
{
    memset(c, 0, sizeof *c);
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    c->ctx = c;
    c->allreduce_i64 = mp_allreduce_i64;
    c->gatherv = mp_gatherv;
    c->bcast = mp_bcast;
    c->agree = mp_agree;
}
