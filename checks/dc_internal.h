/*
 * dc_internal.h — what the stage's own files share (dc_run.c, dc_leak.c,
 * dc_write.c) and nobody else calls: the leakage search, the issue list, the
 * image descriptors of a split (all in dc_leak.c, so dc_run.c -> dc_leak.c
 * is the only direction between the two).
 */
#ifndef LA_DC_INTERNAL_H
#define LA_DC_INTERNAL_H

#include "checks.h"

/* Fills r->leaks for in->test against in->train (r->nd.radius set when the
 * training features exist). 0 or a status. */
int dc_run_leakage(const dc_input *in, const dc_opts *o, dc_result *r, la_error *err);

/* Fills r->issues (sorted) and r->count from what ran. 0 or LA_EINTERNAL. */
int dc_build_issues(const dc_input *in, dc_result *r, la_error *err);

/* n x DC_DESC_DIM descriptors of s's pixels (la_big_alloc; free()), or NULL
 * with err set. */
float *dc_descriptors(const dc_split *s, int threads, la_error *err);

#endif
