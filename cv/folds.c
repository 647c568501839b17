/*
 * folds.c — stratified k-fold assignment (see folds.h).
 * Invariant: for every class c and folds a, b: |count(c, a) - count(c, b)| <= 1,
 * and |size(a) - size(b)| <= 1.
 */
#include <stdlib.h>
#include "folds.h"
#include "../util/la_rng.h"

int cv_folds_stratified(const int32_t *y, size_t n, size_t k, int n_folds, uint64_t seed,
                        int32_t *fold, size_t *n_small, la_error *err)
{
    if (n_folds < 2)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--folds must be at least 2, got %d", n_folds);
    if (n < (size_t)n_folds)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu examples cannot be split into %d folds",
                            n, n_folds);
    size_t *start = la_calloc(k + 1, sizeof *start);
    size_t *order = la_malloc_array(n, sizeof *order);
    if (!start || !order) {
        free(start); free(order);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    /* counting sort by class: order[start[c] .. start[c+1]) = rows of class c */
    for (size_t i = 0; i < n; i++) start[y[i] + 1]++;
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    size_t *pos = la_calloc(k, sizeof *pos);
    if (!pos) {
        free(start); free(order);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++) order[start[y[i]] + pos[y[i]]++] = i;
    free(pos);

    la_rng r;
    la_rng_seed(&r, seed, 1);
    size_t offset = 0, small = 0;
    for (size_t c = 0; c < k; c++) {
        size_t nc = start[c + 1] - start[c];
        if (nc > 0 && nc < (size_t)n_folds) small++;
        la_rng_shuffle(&r, order + start[c], nc);
        /* deal round-robin: fold = (offset + j) mod F */
        for (size_t j = 0; j < nc; j++)
            fold[order[start[c] + j]] = (int32_t)((offset + j) % (size_t)n_folds);
        offset = (offset + nc) % (size_t)n_folds;
    }
    if (n_small) *n_small = small;
    free(start); free(order);
    return 0;
}
