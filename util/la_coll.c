/*
 * la_coll.c — NULL-safe wrappers over la_collective (la_coll.h) and the row
 * split every distributed stage shares. No MPI here: mpi/mp_coll.c provides
 * the operations; without it every wrapper is the identity.
 */
#include "la_coll.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const la_collective *la_coll_world_ptr;

const la_collective *la_coll_world(void) { return la_coll_world_ptr; }
void la_coll_set_world(const la_collective *c) { la_coll_world_ptr = c; }

static int la_coll_fail(la_error *err, const char *what)
{
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "%s across ranks failed (MPI)", what);
}

int la_coll_agree(const la_collective *c, int rc, la_error *err)
{
    if (!la_coll_active(c)) return rc;
    return c->agree(c->ctx, rc, err);
}

int la_coll_sum_i64(const la_collective *c, int64_t *v, size_t n, la_error *err)
{
    if (!la_coll_active(c) || n == 0) return 0;
    return c->allreduce_i64(c->ctx, v, n) ? la_coll_fail(err, "a sum") : 0;
}

int la_coll_gather(const la_collective *c, const void *buf, size_t bytes, void **out, size_t *lens, la_error *err)
{
    assert(out);
    if (!la_coll_active(c)) {   /* one process: a copy of its own part */
        *out = malloc(bytes ? bytes : 1);
        if (!*out) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        if (bytes) memcpy(*out, buf, bytes);
        if (lens) lens[0] = bytes;
        return 0;
    }
    return c->gatherv(c->ctx, buf, bytes, out, lens) ? la_coll_fail(err, "a gather") : 0;
}

int la_coll_bcast(const la_collective *c, void *buf, size_t bytes, la_error *err)
{
    if (!la_coll_active(c) || bytes == 0) return 0;
    return c->bcast(c->ctx, buf, bytes) ? la_coll_fail(err, "a broadcast") : 0;
}

void la_coll_split(size_t n, int rank, int size, size_t align, size_t *lo, size_t *hi)
{
    assert(size >= 1 && rank >= 0 && rank < size && align >= 1);
    /* whole blocks of `align` rows dealt out evenly, the remainder last */
    size_t blocks = (n + align - 1) / align;
    size_t b0 = blocks * (size_t)rank / (size_t)size, b1 = blocks * (size_t)(rank + 1) / (size_t)size;
    *lo = b0 * align < n ? b0 * align : n;
    *hi = b1 * align < n ? b1 * align : n;
}
