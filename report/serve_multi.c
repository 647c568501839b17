/*
 * serve_multi.c — the JSON API of a several-reviewer session (serve_multi.h):
 * each queue row goes to R reviewers, each reviewer sees their own answer
 * and, only after giving it, the others'. The work order is rank, or
 * ActiveLab's (serve_next.h) with --next active-learning.
 * Invariant: every reply is built from one db_reviews_view of the signed-in
 * reviewer, under the app's lock, and passes through mitem_json, the one
 * place that decides what of other reviewers an item shows.
 */
#include "serve_multi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve_next.h"

struct srv_multi {
    int64_t   per_item;       /* R                                            */
    srv_next *nx;             /* ActiveLab order, or NULL: rank order         */
};

int srv_multi_open(sqlite3 *db, const db_run *run, int64_t per_item, int active_learning, const char *probs_path,
                   srv_multi **out, la_error *err)
{
    *out = NULL;
    srv_multi *m = la_calloc(1, sizeof *m);
    if (!m) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    m->per_item = per_item;
    int rc = active_learning ? srv_next_open(db, run, probs_path, &m->nx, err) : 0;
    if (!rc && m->nx) rc = srv_next_refresh(m->nx, db, err);   /* refuse unusable inputs at start */
    if (rc) {
        srv_multi_close(m);
        return rc;
    }
    *out = m;
    return 0;
}

void srv_multi_close(srv_multi *m)
{
    if (!m) return;
    srv_next_close(m->nx);
    free(m);
}

int64_t srv_multi_per_item(const srv_multi *m) { return m->per_item; }

/* ---- one reviewer's view ------------------------------------------------------ */

typedef struct mview {
    db_review_view v;         /* every queue row of the run, as `reviewer` sees it */
    db_answers     a;         /* every answer, by queue id then reviewer          */
    size_t        *order;     /* work order (indices into v.items)                */
    size_t         todo;      /* rows still to answer, first in order             */
    const char    *reviewer;
} mview;

static void mview_free(mview *mv)
{
    db_review_view_free(&mv->v);
    db_answers_free(&mv->a);
    free(mv->order);
}

/* Caller holds the lock. */
static int mview_load(const srv_multi_ctx *c, const char *reviewer, mview *mv, la_error *err)
{
    memset(mv, 0, sizeof *mv);
    mv->reviewer = reviewer;
    int rc = c->m->nx ? srv_next_refresh(c->m->nx, c->db, err) : 0;
    if (!rc) rc = db_reviews_view(c->db, c->run->id, reviewer, 0, &mv->v, err);
    if (!rc) rc = db_reviews_all(c->db, c->run->id, &mv->a, err);
    if (!rc) rc = srv_next_order(c->m->nx, &mv->v, c->m->per_item, &mv->order, &mv->todo, err);
    if (rc) mview_free(mv);
    return rc;
}

/* The other reviewers' answers on row qid (skips are no answer). */
static json_t *others_json(const mview *mv, int64_t qid)
{
    json_t *arr = json_array();
    for (size_t t = 0; t < mv->a.n; t++) {
        const db_answer *x = &mv->a.v[t];
        if (x->queue_id != qid || !strcmp(x->reviewer, mv->reviewer) || !db_reviews_is_answer(x->status)) continue;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:o, s:o, s:s}", "reviewer", x->reviewer,
                                             "status", x->status, "new_label", (json_int_t)x->new_label,
                                             "verdict", x->verdict ? json_string(x->verdict) : json_null(),
                                             "note", x->note ? json_string(x->note) : json_null(),
                                             "decided_at", x->decided_at ? x->decided_at : ""));
    }
    return arr;
}

/* The item as the reviewer may see it: the hiding rule. */
static json_t *mitem_json(const srv_multi_ctx *c, const mview *mv, size_t i)
{
    const db_item *it = &mv->v.items.v[i];
    json_t *o = c->item_json(c->app, it);
    if (!o) return json_null();
    int64_t n = mv->v.answers[i], R = c->m->per_item;
    int see = db_reviews_may_see(it->status);
    json_object_set_new(o, "answers", json_integer(n));
    json_object_set_new(o, "per_item", json_integer(R));
    json_object_set_new(o, "done", json_boolean(n >= R));
    json_object_set_new(o, "can_answer", json_boolean(see || n < R));
    json_object_set_new(o, "hidden", json_boolean(!see));
    json_object_set_new(o, "others", see ? others_json(mv, it->queue_id) : json_null());
    double s = c->m->nx ? srv_next_score(c->m->nx, it->queue_id) : NAN;
    json_object_set_new(o, "priority", isfinite(s) ? json_real(s) : json_null());
    return o;
}

static void prog_add(db_progress *p, const char *status)
{
    p->total++;
    if (!strcmp(status, "pending")) return;
    p->decided++;
    if (!strcmp(status, "keep")) p->keep++;
    else if (!strcmp(status, "relabel")) p->relabel++;
    else if (!strcmp(status, "drop")) p->drop++;
    else if (!strcmp(status, "skip")) p->skip++;
}

static json_t *prog_json(const db_progress *p)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "total", (json_int_t)p->total, "decided",
                     (json_int_t)p->decided, "keep", (json_int_t)p->keep, "relabel", (json_int_t)p->relabel,
                     "drop", (json_int_t)p->drop, "skip", (json_int_t)p->skip);
}

/* The single-reviewer progress shape over one's own answers, plus
 * "reviews": the session's (items done, answers given, one's own, to do). */
static json_t *mprogress(const srv_multi_ctx *c, const mview *mv)
{
    size_t k = (size_t)c->run->k;
    db_progress overall = {0}, *per = la_calloc(k + 1, sizeof *per);
    if (!per) return json_null();
    int64_t done = 0, answers = 0, mine = 0;
    for (size_t i = 0; i < mv->v.items.n; i++) {
        const db_item *it = &mv->v.items.v[i];
        prog_add(&overall, it->status);
        if (it->given >= 0 && (size_t)it->given < k) prog_add(&per[it->given], it->status);
        done += mv->v.answers[i] >= c->m->per_item;
        answers += mv->v.answers[i];
        mine += db_reviews_is_answer(it->status);
    }
    json_t *arr = json_array();
    for (size_t j = 0; j < k; j++) json_array_append_new(arr, prog_json(&per[j]));
    free(per);
    json_t *rv = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "per_item", (json_int_t)c->m->per_item,
                           "items", (json_int_t)mv->v.items.n, "done", (json_int_t)done, "answers",
                           (json_int_t)answers, "mine", (json_int_t)mine, "todo", (json_int_t)mv->todo,
                           "order", c->m->nx ? "active-learning" : "rank");
    return json_pack("{s:o, s:o, s:o}", "overall", prog_json(&overall), "classes", arr, "reviews", rv);
}

/* ---- handlers ------------------------------------------------------------------ */

static int filter_match(const db_filter *f, const db_item *it, int64_t answers, int64_t R)
{
    if (f->given >= 0 && it->given != f->given) return 0;
    if (!(it->quality >= f->score_min && it->quality <= f->score_max)) return 0;
    if (!f->status) return 1;
    if (!strcmp(f->status, "pending")) return !strcmp(it->status, "pending") && answers < R;
    if (!strcmp(f->status, "decided")) return db_reviews_is_answer(it->status);
    return !strcmp(f->status, it->status);
}

static void reply_db_error(srv_response *r, const la_error *err)
{
    srv_reply_error(r, err->status == LA_EUSAGE ? 400 : 500, err->msg[0] ? err->msg : "database error");
}

/* mview_load under the lock: 0, or -1 with r filled (the error). */
static int mview_locked(const srv_multi_ctx *c, const srv_who *who, mview *mv, srv_response *r)
{
    la_error err;
    la_error_clear(&err);
    pthread_mutex_lock(c->lock);
    int rc = mview_load(c, who->reviewer, mv, &err);
    pthread_mutex_unlock(c->lock);
    if (rc) reply_db_error(r, &err);
    return rc ? -1 : 0;
}

void srv_multi_state(const srv_multi_ctx *c, const db_filter *f, const srv_who *who, srv_response *r)
{
    mview mv;
    if (mview_locked(c, who, &mv, r)) return;
    json_t *items = json_array(), *classes = json_array();
    int64_t total = 0;
    for (size_t t = 0; t < mv.v.items.n; t++) {
        /* rank order by default (as in a single-reviewer session), else the work order */
        size_t i = c->m->nx ? mv.order[t] : t;
        if (!filter_match(f, &mv.v.items.v[i], mv.v.answers[i], c->m->per_item)) continue;
        if (total >= f->offset && (f->limit <= 0 || total < f->offset + f->limit))
            json_array_append_new(items, mitem_json(c, &mv, i));
        total++;
    }
    for (int64_t j = 0; j < c->run->k; j++)
        json_array_append_new(classes, json_string(c->run->class_names[j] ? c->run->class_names[j] : ""));
    srv_reply_json(r, 200, json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:o}",
                                     "run", (json_int_t)c->run->id, "reviewer", who->reviewer,
                                     "dataset", c->run->dataset_path ? c->run->dataset_path : "",
                                     "created_at", c->run->created_at ? c->run->created_at : "",
                                     "classes", classes, "progress", mprogress(c, &mv),
                                     "total", (json_int_t)total, "offset", (json_int_t)f->offset,
                                     "limit", (json_int_t)f->limit, "items", items));
    mview_free(&mv);
}

void srv_multi_next(const srv_multi_ctx *c, const srv_who *who, srv_response *r)
{
    mview mv;
    if (mview_locked(c, who, &mv, r)) return;
    /* the first row still to answer; else a row skipped for later */
    json_t *item = json_null();
    for (size_t t = 0; t < mv.v.items.n && json_is_null(item); t++) {
        size_t i = mv.order[t];
        const db_item *it = &mv.v.items.v[i];
        if (mv.v.answers[i] < c->m->per_item && !db_reviews_is_answer(it->status)) item = mitem_json(c, &mv, i);
    }
    srv_reply_json(r, 200, json_pack("{s:o, s:I, s:s, s:o}", "item", item, "todo", (json_int_t)mv.todo,
                                     "order", c->m->nx ? "active-learning" : "rank", "progress", mprogress(c, &mv)));
    mview_free(&mv);
}

/* The answer to a decide or undo: the row as the reviewer now sees it.
 * Caller holds the lock. */
static void reply_row(const srv_multi_ctx *c, srv_response *r, int status, int64_t qid, const char *msg,
                      const char *conflict, const char *reviewer)
{
    la_error err;
    la_error_clear(&err);
    mview mv;
    if (mview_load(c, reviewer, &mv, &err)) { reply_db_error(r, &err); return; }
    json_t *item = json_null();
    for (size_t i = 0; i < mv.v.items.n && json_is_null(item); i++)
        if (mv.v.items.v[i].queue_id == qid) item = mitem_json(c, &mv, i);
    json_t *o = json_pack("{s:b, s:s, s:o, s:o}", "ok", status == 200, "message", msg ? msg : "", "item", item,
                          "progress", mprogress(c, &mv));
    if (conflict) {
        json_object_set_new(o, "error", json_string(msg ? msg : "conflict"));
        json_object_set_new(o, "conflict", json_string(conflict));
    }
    srv_reply_json(r, status, o);
    mview_free(&mv);
}

void srv_multi_decide(const srv_multi_ctx *c, int64_t qid, int version, const char *decision, int label,
                      const char *verdict, const char *note, const srv_who *who, srv_response *r)
{
    la_error err;
    la_error_clear(&err);
    pthread_mutex_lock(c->lock);
    int rc = db_reviews_answer(c->db, c->run->id, qid, version, c->m->per_item, decision, label, verdict,
                               who->reviewer, note, "serve", &err);
    if (rc == 0) reply_row(c, r, 200, qid, "saved", NULL, who->reviewer);
    else if (rc == DB_CONFLICT)
        reply_row(c, r, 409, qid, err.msg, strstr(err.msg, " is done: ") ? "done" : "stale_version", who->reviewer);
    else if (rc == LA_EUSAGE && strstr(err.msg, "no queue entry")) srv_reply_error(r, 404, err.msg);
    else reply_db_error(r, &err);
    pthread_mutex_unlock(c->lock);
}

void srv_multi_undo(const srv_multi_ctx *c, const srv_who *who, srv_response *r)
{
    la_error err;
    la_error_clear(&err);
    int64_t qid = 0;
    pthread_mutex_lock(c->lock);
    int rc = db_reviews_undo(c->db, who->reviewer, c->run->id, &qid, &err);
    if (rc == 0) reply_row(c, r, 200, qid, "undone", NULL, who->reviewer);
    else if (rc == LA_EUSAGE) srv_reply_error(r, 404, err.msg);
    else reply_db_error(r, &err);
    pthread_mutex_unlock(c->lock);
}
