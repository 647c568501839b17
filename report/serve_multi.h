/*
 * serve_multi.h — the review server's several-reviewer sessions (serve
 * --reviews-per-item R [--next active-learning]), private to report/serve*.c:
 * the JSON API over db/db_reviews.h as one signed-in reviewer sees it.
 * The hiding rule is applied here to everything sent: an item carries the
 * other reviewers' answers ("others") only when the reviewer has answered
 * it; before that "others" is null and "hidden" true; no other field (the
 * queue row's own decision included) shows anyone else's answer.
 */
#ifndef LA_SERVE_MULTI_H
#define LA_SERVE_MULTI_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>
#include "../db/db.h"
#include "../db/db_reviews.h"
#include "serve_auth.h"
#include "serve_reply.h"

typedef struct srv_multi srv_multi;

/* What a handler needs of the app (borrowed from serve.c). item_json turns
 * a view item into the single-reviewer JSON (image URL, features, ...). */
typedef struct srv_multi_ctx {
    srv_multi       *m;
    sqlite3         *db;
    pthread_mutex_t *lock;
    const db_run    *run;
    json_t        *(*item_json)(const void *app, const db_item *it);
    const void      *app;
} srv_multi_ctx;

/* per_item R >= 1; active_learning: order by ActiveLab (probs_path, NULL =
 * the run's probability file). LA_EUSAGE naming the file when the
 * probabilities cannot be used. Free with srv_multi_close. */
int  srv_multi_open(sqlite3 *db, const db_run *run, int64_t per_item, int active_learning, const char *probs_path,
                    srv_multi **out, la_error *err);
void srv_multi_close(srv_multi *m);
int64_t srv_multi_per_item(const srv_multi *m);

/* GET /api/state: f as parsed by serve.c; status "pending" means still to
 * answer by this reviewer (not answered, not done), "decided" answered. */
void srv_multi_state(const srv_multi_ctx *c, const db_filter *f, const srv_who *who, srv_response *r);
/* GET /api/next: {"item": the next to answer (null when none), "todo": n, "order": "rank" | "active-learning"}. */
void srv_multi_next(const srv_multi_ctx *c, const srv_who *who, srv_response *r);
/* POST /api/decide, checked by serve.c: 200, 409 ("conflict": "stale_version"
 * or "done"), 404 (another run's row), 400. */
void srv_multi_decide(const srv_multi_ctx *c, int64_t qid, int version, const char *decision, int label,
                      const char *verdict, const char *note, const srv_who *who, srv_response *r);
/* POST /api/undo: the reviewer's own last answer. 200 or 404. */
void srv_multi_undo(const srv_multi_ctx *c, const srv_who *who, srv_response *r);

#endif
