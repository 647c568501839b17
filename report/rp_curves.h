/*
 * rp_curves.h — the report's metrics panels. The "final model" panel: the test-set metrics that
 * `retrain --db` attached to a run (run_metrics kind 'retrain') and the SVG
 * learning curves from its metrics.json `curves` object (training accuracy
 * and held-out accuracy per epoch, the early-stopping epoch marked), so the
 * epoch where the network starts memorizing wrong labels can be seen.
 * Writes nothing when the run has no retrain metrics.
 */
#ifndef LA_RP_CURVES_H
#define LA_RP_CURVES_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "rp_html.h"

typedef struct sqlite3 sqlite3;

/* The panel for run run_id into f (a <section>), or nothing. Never fails:
 * unreadable metrics are skipped. */
void rp_retrain_section(sqlite3 *db, int64_t run_id, FILE *f);

/* The per-class metrics table (class, support, precision, recall, F1,
 * PR-AUC) of a metrics.json per_class array; class names from names[i].name
 * when names is given (n entries), else from each entry's "class". */
void rp_class_metrics_table(FILE *f, const json_t *per_class, const rp_series *names);

/* The rebalancing panel of cv's metrics.json (cv --rebalance auto): one row
 * per fold, each compared strategy's inner score, the chosen one marked,
 * gain over plain and its standard error as tooltips. Nothing when the
 * metrics carry no comparison. */
void rp_rebalance_section(FILE *f, const json_t *cv_metrics);

#endif
