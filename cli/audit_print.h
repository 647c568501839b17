/*
 * audit_print.h — what `audit` prints about the flagged examples themselves:
 * `--top N` as an aligned table (rank, id, given, suggested, score, and the
 * image path or the most telling feature values), and `--format json` as
 * summary.json's object with an "issues" array of the same rows, so scripts
 * need not read the CSVs. Command layer only; the rows come from the audit
 * stage's result (au_result) and the loaded inputs.
 */
#ifndef LA_CLI_AUDIT_PRINT_H
#define LA_CLI_AUDIT_PRINT_H

#include <stddef.h>
#include <stdio.h>
#include "../audit/audit.h"

/* Prints the top `top` flagged examples of r (all when top is larger), as
 * ranked by o->rank, as an aligned table on out. ds (may be NULL) is the audited dataset: a tabular
 * one (features, no image paths) gives each row its most telling features
 * (report/rp_features.h). Returns 0, or LA_EINTERNAL (out of memory) with
 * err filled. */
int au_print_top(FILE *out, const au_result *r, const au_input *in, const au_opts *o, const la_dataset *ds,
                 size_t top, la_error *err);

/* summary.json's text with an "issues" array appended to its object: the
 * first `top` flagged examples (all when top is 0), each {rank, row, id,
 * given, suggested, score, image_path (or null), features (array, tabular
 * datasets only)}. Returns a malloc'd string (caller frees) or NULL with err
 * filled (LA_EINTERNAL). */
char *au_json_with_issues(const au_result *r, const au_input *in, const la_dataset *ds, size_t top,
                          la_error *err);

#endif
