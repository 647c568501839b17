/*
 * strtab.h — a small open-addressing hash table from strings to ints, used by
 * the loaders to map class names, category values and ids to indices without
 * a linear scan per cell.
 *
 * The table does not own its keys: they must outlive it (the loaders point
 * them at strings they keep anyway). Linear probing, power-of-two capacity,
 * load factor at most 1/2; FNV-1a hashing. No deletion (loaders never need it).
 */
#ifndef LA_IO_STRTAB_H
#define LA_IO_STRTAB_H

#include <stddef.h>

typedef struct io_strtab {
    const char **keys;   /* cap slots, NULL = empty                          */
    int         *vals;   /* cap values                                       */
    size_t       cap;    /* power of two (0 before the first insert)         */
    size_t       count;  /* keys stored                                      */
} io_strtab;

/* Looks key up: returns its value, or -1 when absent. */
int io_strtab_get(const io_strtab *t, const char *key);

/* Inserts key -> val unless key is present. Returns the value now stored for
 * key (the old one when it was present, so callers detect duplicates by
 * comparing with val), or -2 when out of memory (the table is unchanged). */
int io_strtab_put(io_strtab *t, const char *key, int val);

/* Frees the slots (not the keys) and zeroes the table. */
void io_strtab_free(io_strtab *t);

#endif
