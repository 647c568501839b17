/*
 * serve_pairs.c — the pair view of the review server (serve_pairs.h): the
 * queue rows' issues and partners read once at start, the current pair
 * answers in memory beside them (same rule as db_pair_load: latest answer
 * of a pair, none after an undo). Invariant: the cache changes only after
 * the database accepted the write.
 */
#include "serve_pairs.h"

#include <stdlib.h>
#include <string.h>

#include "../db/db_issues.h"
#include "../db/db_pairs.h"

typedef struct srv_pair_row {
    int64_t row;
    char   *issues;                    /* space-separated types               */
    int     has_partner, partner_test;
    int64_t partner;
    db_issue_example ex;               /* the partner as stored (may be empty) */
    char   *choice, *reviewer, *decided_at;   /* current answer, or NULL       */
} srv_pair_row;

struct srv_pairs {
    size_t          n;
    srv_pair_row   *v;                 /* by row                              */
    pthread_mutex_t lock;              /* guards the answers                  */
};

static void pair_row_answer_free(srv_pair_row *e)
{
    free(e->choice); free(e->reviewer); free(e->decided_at);
    e->choice = e->reviewer = e->decided_at = NULL;
}

void srv_pairs_close(srv_pairs *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].issues);
        db_issue_example_free(&p->v[i].ex);
        pair_row_answer_free(&p->v[i]);
    }
    free(p->v);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static srv_pair_row *pair_find(const srv_pairs *p, int64_t row)
{
    size_t lo = 0, hi = p ? p->n : 0;
    while (lo < hi) {              /* binary search: v is sorted by row */
        size_t mid = lo + (hi - lo) / 2;
        if (p->v[mid].row < row) lo = mid + 1;
        else hi = mid;
    }
    return p && lo < p->n && p->v[lo].row == row ? &p->v[lo] : NULL;
}

/* Sets e's answer from d (copies); 0 or -1 out of memory. */
static int pair_set_answer(srv_pair_row *e, const db_pair_decision *d)
{
    pair_row_answer_free(e);
    if (!d) return 0;
    e->choice = la_strdup(d->choice);
    e->reviewer = la_strdup(d->reviewer);
    e->decided_at = la_strdup(d->decided_at);
    return e->choice && e->reviewer && e->decided_at ? 0 : -1;
}

/* The queue rows with issues, moved into p. */
static int pairs_read_rows(sqlite3 *db, int64_t run_id, srv_pairs *p, la_error *err)
{
    db_pair_rows l;
    if (db_pair_rows_load(db, run_id, &l, err)) return err->status;
    if (!(p->v = la_calloc(l.n + 1, sizeof *p->v))) {
        db_pair_rows_free(&l);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        srv_pair_row *e = &p->v[i];
        e->row = l.v[i].row;
        e->issues = l.v[i].issues;
        l.v[i].issues = NULL;
        e->has_partner = l.v[i].partner >= 0;
        e->partner = l.v[i].partner;
        e->partner_test = l.v[i].partner_test;
    }
    p->n = l.n;
    db_pair_rows_free(&l);
    return 0;
}

int srv_pairs_open(sqlite3 *db, int64_t run_id, srv_pairs **out, la_error *err)
{
    *out = NULL;
    srv_pairs *p = la_calloc(1, sizeof *p);
    if (!p) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    int rc = pairs_read_rows(db, run_id, p, err);
    for (size_t i = 0; !rc && i < p->n; i++) {
        int found = 0;
        if (p->v[i].has_partner)
            rc = db_issues_example(db, run_id, p->v[i].partner_test, p->v[i].partner, &p->v[i].ex, &found, err);
    }
    db_pair_decisions l = {0, NULL};
    if (!rc) rc = db_pair_load(db, run_id, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        srv_pair_row *e = pair_find(p, l.v[i].row);
        if (e && e->has_partner && e->partner == l.v[i].partner && e->partner_test == l.v[i].partner_test &&
            pair_set_answer(e, &l.v[i]))
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    db_pair_decisions_free(&l);
    if (rc) {
        srv_pairs_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

void srv_pairs_decorate(srv_pairs *p, json_t *item, int64_t row, srv_pairs_image_fn image, const void *app)
{
    srv_pair_row *e = pair_find(p, row);
    if (!item || !e) return;
    json_object_set_new(item, "issues", json_string(e->issues));
    if (!e->has_partner) return;
    const db_issue_example *x = &e->ex;
    json_t *features = x->features ? json_loads(x->features, 0, NULL) : NULL;
    json_object_set_new(item, "partner", json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "row", (json_int_t)e->partner,
                        "split", e->partner_test ? "test" : "train",
                        "id", x->dataset_id ? json_string(x->dataset_id) : json_null(),
                        "label", x->label ? json_string(x->label) : json_null(),
                        "image", image(app, x->image_path), "features", features ? features : json_null()));
    pthread_mutex_lock(&p->lock);
    json_t *ans = e->choice ? json_pack("{s:s, s:s, s:s}", "choice", e->choice, "reviewer", e->reviewer,
                                        "decided_at", e->decided_at)
                            : json_null();
    pthread_mutex_unlock(&p->lock);
    json_object_set_new(item, "pair", ans);
}

static json_t *pair_json(const db_pair_decision *d, int undone)
{
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:b}", "row", (json_int_t)d->row,
                     "partner", (json_int_t)d->partner, "split", d->partner_test ? "test" : "train",
                     "choice", d->choice, "reviewer", d->reviewer, "decided_at", d->decided_at, "undone", undone);
}

/* Puts d (or, when undone, no answer) into the cache; reply 200. */
static void pairs_reply(srv_pairs *p, const db_pair_decision *d, int undone, srv_response *r)
{
    srv_pair_row *e = pair_find(p, d->row);
    int bad = 0;
    if (e) {
        pthread_mutex_lock(&p->lock);
        bad = pair_set_answer(e, undone ? NULL : d);
        pthread_mutex_unlock(&p->lock);
    }
    if (bad) { srv_reply_error(r, 500, "out of memory"); return; }
    srv_reply_json(r, 200, json_pack("{s:b, s:s, s:I, s:o}", "ok", 1, "message", undone ? "undone" : "saved",
                                     "row", (json_int_t)d->row, "pair", pair_json(d, undone)));
}

void srv_pairs_decide(srv_pairs *p, sqlite3 *db, int64_t run_id, const srv_request *req, const srv_who *who,
                      srv_response *r)
{
    json_error_t jerr;
    json_int_t qid = 0;
    const char *choice = NULL;
    json_t *j = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j || !json_is_object(j) || json_unpack_ex(j, &jerr, 0, "{s:I, s:s}", "qid", &qid, "choice", &choice)) {
        json_decref(j);
        srv_reply_error(r, 400, "need qid (integer) and choice (drop, keep or keep_both)");
        return;
    }
    if (!db_pair_choice_valid(choice) || qid <= 0) {
        json_decref(j);
        srv_reply_error(r, 400, qid <= 0 ? "bad qid" : "choice must be drop, keep or keep_both");
        return;
    }
    la_error err;
    la_error_clear(&err);
    db_items it = {0, NULL};
    db_pair_decision d;
    int rc = db_load_item_in_run(db, run_id, qid, &it, &err);
    if (rc) srv_reply_error(r, rc == LA_EUSAGE ? 404 : 500, err.msg);
    else if ((rc = db_pair_record(db, run_id, it.v[0].row, choice, who->reviewer, &d, &err)))
        srv_reply_error(r, rc == LA_EUSAGE ? 400 : 500, err.msg);
    else {
        pairs_reply(p, &d, 0, r);
        db_pair_decision_free(&d);
    }
    db_items_free(&it);
    json_decref(j);
}

void srv_pairs_undo(srv_pairs *p, sqlite3 *db, int64_t run_id, const srv_who *who, srv_response *r)
{
    la_error err;
    la_error_clear(&err);
    db_pair_decision d;
    int rc = db_pair_undo(db, run_id, who->reviewer, &d, &err);
    if (rc) { srv_reply_error(r, rc == LA_EUSAGE ? 404 : 500, err.msg); return; }
    pairs_reply(p, &d, 1, r);
    db_pair_decision_free(&d);
}
