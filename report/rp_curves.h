/*
 * rp_curves.h — the report's "final model" panel: the test-set metrics that
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

typedef struct sqlite3 sqlite3;

/* The panel for run run_id into f (a <section>), or nothing. Never fails:
 * unreadable metrics are skipped. */
void rp_retrain_section(sqlite3 *db, int64_t run_id, FILE *f);

/* The learning-curve chart alone for a metrics.json `curves` object: one
 * polyline per present series (train_accuracy, heldout_accuracy,
 * val_accuracy), a dashed vertical line at early_stopping_epoch. Writes
 * nothing when there are fewer than 2 epochs. */
void rp_svg_curves(FILE *f, const json_t *curves);

#endif
