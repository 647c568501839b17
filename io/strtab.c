/*
 * strtab.c — open-addressing string -> int table (see strtab.h).
 * Invariant: count <= cap / 2, so a probe sequence always ends at an empty slot.
 */
#include "strtab.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a, 64-bit: good spread for short keys such as "iris-0042". */
static uint64_t strtab_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int io_strtab_get(const io_strtab *t, const char *key)
{
    assert(t && key);
    if (t->cap == 0) return -1;
    size_t mask = t->cap - 1;
    for (size_t i = strtab_hash(key) & mask;; i = (i + 1) & mask) {
        if (!t->keys[i]) return -1;
        if (strcmp(t->keys[i], key) == 0) return t->vals[i];
    }
}

/* Doubles the capacity (or creates 16 slots). On failure the table is unchanged. */
static int strtab_grow(io_strtab *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 16;
    const char **nkeys = calloc(ncap, sizeof *nkeys);
    int *nvals = malloc(ncap * sizeof *nvals);
    if (!nkeys || !nvals) {
        free(nkeys);
        free(nvals);
        return -1;
    }
    for (size_t j = 0; j < t->cap; j++) {
        if (!t->keys[j]) continue;
        size_t i = strtab_hash(t->keys[j]) & (ncap - 1);
        while (nkeys[i]) i = (i + 1) & (ncap - 1);
        nkeys[i] = t->keys[j];
        nvals[i] = t->vals[j];
    }
    free(t->keys);
    free(t->vals);
    t->keys = nkeys;
    t->vals = nvals;
    t->cap = ncap;
    return 0;
}

int io_strtab_put(io_strtab *t, const char *key, int val)
{
    assert(t && key);
    if ((t->count + 1) * 2 > t->cap && strtab_grow(t)) return -2;
    size_t mask = t->cap - 1;
    size_t i = strtab_hash(key) & mask;
    for (; t->keys[i]; i = (i + 1) & mask)
        if (strcmp(t->keys[i], key) == 0) return t->vals[i];
    t->keys[i] = key;
    t->vals[i] = val;
    t->count++;
    return val;
}

void io_strtab_free(io_strtab *t)
{
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof *t);
}
