/*
 * folds.h — stratified, seeded k-fold assignment.
 *
 * Each class's examples are shuffled (seeded) and dealt round-robin over the
 * folds, continuing where the previous class stopped, so every class is spread
 * as evenly as possible (per-fold counts differ by at most one) and fold sizes
 * differ by at most one. A class with fewer examples than folds gets each of
 * its examples in a different fold (some folds then hold none of it); the
 * caller is told how many such classes there are so it can warn.
 */
#ifndef CV_FOLDS_H
#define CV_FOLDS_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

/* y: n labels in 0..k-1. Fills fold[i] in 0..n_folds-1. *n_small (may be
 * NULL) receives the number of non-empty classes with fewer than n_folds
 * examples. Returns 0, LA_EUSAGE when n < n_folds or n_folds < 2 (err says
 * why), LA_EINTERNAL on allocation failure. Same (y, n_folds, seed) = same folds. */
int cv_folds_stratified(const int32_t *y, size_t n, size_t k, int n_folds, uint64_t seed,
                        int32_t *fold, size_t *n_small, la_error *err);

#endif /* CV_FOLDS_H */
