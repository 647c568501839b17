/*
 * rp_reviewers.h — the report's reviewer section: what reviewers found (the
 * verdict summary, report/rp_verdicts.h, when some decision has a verdict),
 * and the reviewer table: for each reviewer of a run,
 * how many examples they labelled, their agreement with the consensus, their
 * quality and the class they get wrong most, as the latest `consensus --db`
 * on the run recorded them (run_metrics kind 'consensus', see
 * audit/cs_io.h's cs_annotator_table_json). Writes nothing when the run has
 * neither.
 */
#ifndef LA_RP_REVIEWERS_H
#define LA_RP_REVIEWERS_H

#include <stdint.h>
#include <stdio.h>

typedef struct sqlite3 sqlite3;

/* The panel for run run_id into f (a <section>), or nothing. Never fails:
 * an unreadable record is skipped. */
void rp_reviewer_section(sqlite3 *db, int64_t run_id, FILE *f);

#endif
