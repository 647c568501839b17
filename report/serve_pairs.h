/*
 * serve_pairs.h — the review server's pair view, private to report/serve*.c:
 * each queue row's dataset-check types and the partner of its most severe
 * pair issue (queue_issues, schema 005), with the partner's id, label,
 * image and feature row, read once when the server starts (the findings of
 * a run never change), and the reviewers' current answers on those pairs
 * (drop | keep | keep_both, db_pairs.h), kept beside them and updated on
 * every answer and undo. Thread-safe: the answers have their own lock, so
 * items can be decorated without the app's database lock.
 */
#ifndef LA_SERVE_PAIRS_H
#define LA_SERVE_PAIRS_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>
#include "../db/db.h"
#include "serve_auth.h"
#include "serve_reply.h"

typedef struct srv_pairs srv_pairs;

/* Image path to URL (serve.c's image_url), JSON null when none. */
typedef json_t *(*srv_pairs_image_fn)(const void *app, const char *image_path);

/* Reads run run_id's queue rows with issues. 0, or LA_EINTERNAL with err.
 * A run without findings gives an empty set. Free with srv_pairs_close. */
int  srv_pairs_open(sqlite3 *db, int64_t run_id, srv_pairs **out, la_error *err);
void srv_pairs_close(srv_pairs *p);

/* Adds to item (the JSON of training row `row`) "issues" (the types,
 * space-separated, severity order) when the row has any, and "partner"
 * {row, split, id, label, image, features} and "pair" (the current answer
 * {choice, reviewer, decided_at}, or null) when it has a partner. Items of
 * rows without issues are left exactly as they are. */
void srv_pairs_decorate(srv_pairs *p, json_t *item, int64_t row, srv_pairs_image_fn image, const void *app);

/* POST /api/pair {"qid": Q, "choice": "drop"|"keep"|"keep_both"} and POST
 * /api/pair/undo {}: the app's lock held by the caller. On success the
 * reply is {"ok": true, "pair": {...}, "row": R} with status 200; an
 * unknown choice or a row without partner 400, a queue row of another run
 * 404, nothing to undo 404; nothing is written on any refusal. */
void srv_pairs_decide(srv_pairs *p, sqlite3 *db, int64_t run_id, const srv_request *req, const srv_who *who,
                      srv_response *r);
void srv_pairs_undo(srv_pairs *p, sqlite3 *db, int64_t run_id, const srv_who *who, srv_response *r);

#endif
