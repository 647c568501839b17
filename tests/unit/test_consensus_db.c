/* test_consensus_db.c — cmocka tests for db/db_consensus.c: several
 * reviewers' decisions of a run as multi-annotator labels (each reviewer's
 * latest decision per row; keep = the given label, relabel = the new one;
 * drop and skip give no label; undone decisions do not count), and the
 * refusal of a run without any keep or relabel decision. Several-reviewer
 * answers (db/db_reviews.c, schema 006): what each reviewer's view shows
 * (own answer only; the hiding rule), R reached, stale versions, own-only
 * undo, the queue untouched, and consensus --db reading exactly the
 * answers kept in table reviews. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit/cs_io.h"
#include "db/db.h"
#include "db/db_reviews.h"

static char c0[] = "cat", c1[] = "dog", c2[] = "eel";
static char *const classes[3] = {c0, c1, c2};

typedef struct fx {
    char path[64];
    sqlite3 *db;
    int64_t run;
} fx;

/* 6 examples, given class i % 3, all flagged. */
static void fx_open(fx *f)
{
    char *ids[6], idbuf[6][16];
    int64_t given[6], sugg[6], ranked[6], cj[9] = {0}, issues[3] = {2, 2, 2};
    double q[6], nm[9] = {0}, cer[3] = {0}, cq[3] = {0};
    uint8_t is_issue[6];
    for (int i = 0; i < 6; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "ex-%d", i);
        ids[i] = idbuf[i];
        given[i] = i % 3;
        sugg[i] = (i + 1) % 3;
        q[i] = 0.1 * i;
        is_issue[i] = 1;
        ranked[i] = i;
    }
    db_audit_record r;
    memset(&r, 0, sizeof r);
    r.dataset_path = "fixture.csv";
    r.dataset_hash = "x";
    r.n = 6;
    r.k = 3;
    r.class_names = classes;
    r.ids = ids;
    r.given = given;
    r.suggested = sugg;
    r.quality = q;
    r.is_issue = is_issue;
    r.ranked = ranked;
    r.n_ranked = 6;
    r.confident_joint = cj;
    r.noise_matrix = nm;
    r.class_issues = issues;
    r.class_error_rate = cer;
    r.class_quality = cq;
    r.method = "prune_by_noise_rate";
    r.rank_by = "self_confidence";
    r.options_json = "{}";
    r.summary_json = "{}";
    snprintf(f->path, sizeof f->path, "/tmp/la-test-csdb-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->path);
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_open(f->path, &f->db, &err), 0);
    assert_int_equal(db_record_audit(f->db, &r, &f->run, &err), 0);
}

static void fx_close(fx *f)
{
    char p[100];
    db_close(f->db);
    unlink(f->path);
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
}

/* reviewer decides the flagged example of row `row`. */
static void decide(fx *f, int64_t row, const char *status, int new_label, const char *reviewer)
{
    db_items all;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_load_flagged(f->db, f->run, -1, 0, 100, &all, &err), 0);
    for (size_t t = 0; t < all.n; t++)
        if (all.v[t].row == row)
            assert_int_equal(db_decide(f->db, all.v[t].queue_id, all.v[t].version, status, new_label, reviewer, NULL,
                                       "review", &err), 0);
    db_items_free(&all);
}

static void test_reviewers_as_annotators(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    decide(&f, 0, "keep", -1, "alice");
    decide(&f, 0, "relabel", 1, "bob");      /* after alice: the queue row now says bob's */
    decide(&f, 1, "relabel", 2, "alice");
    decide(&f, 1, "keep", -1, "bob");
    decide(&f, 2, "relabel", 0, "alice");
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_undo_last(f.db, "alice", f.run, NULL, &err), 0);   /* alice's row 2 undone */
    decide(&f, 3, "drop", -1, "bob");
    decide(&f, 4, "skip", -1, "carol");
    decide(&f, 5, "relabel", 0, "carol");
    decide(&f, 5, "relabel", 1, "carol");    /* carol changed her mind: the latest counts */
    cs_labels l;
    int64_t *rows = NULL;
    assert_int_equal(db_consensus_labels(f.db, f.run, 3, &l, &rows, &err), 0);
    assert_int_equal(l.n, 3);                /* rows 0, 1, 5 */
    assert_int_equal(l.m, 3);
    assert_string_equal(l.annotators[0], "alice");
    assert_string_equal(l.annotators[1], "bob");
    assert_string_equal(l.annotators[2], "carol");
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 1);
    assert_int_equal(rows[2], 5);
    assert_string_equal(l.ids[2], "ex-5");
    const int32_t want[] = {0, 1, CS_MISSING,
                            2, 1, CS_MISSING,
                            CS_MISSING, CS_MISSING, 1};
    for (size_t e = 0; e < 9; e++) assert_int_equal(l.y[e], want[e]);
    cs_labels_free(&l);
    free(rows);
    fx_close(&f);
}

static void test_no_decisions_refused(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    decide(&f, 0, "drop", -1, "alice");
    cs_labels l;
    int64_t *rows = NULL;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_consensus_labels(f.db, f.run, 3, &l, &rows, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no keep or relabel"));
    assert_null(rows);
    fx_close(&f);
}

/* reviewer answers queue row of dataset row `row` (R = 2); returns the status. */
static int answer(fx *f, int64_t row, const char *status, int new_label, const char *reviewer)
{
    db_review_view v;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_reviews_view(f->db, f->run, reviewer, 0, &v, &err), 0);
    int rc = -1;
    for (size_t t = 0; t < v.items.n; t++)
        if (v.items.v[t].row == row)
            rc = db_reviews_answer(f->db, f->run, v.items.v[t].queue_id, v.items.v[t].version, 2, status, new_label,
                                   NULL, reviewer, NULL, "serve", &err);
    db_review_view_free(&v);
    return rc;
}

/* The view of `reviewer` on dataset row `row`: its status, answers count. */
static void view_of(fx *f, const char *reviewer, int64_t row, char *status, size_t n, int64_t *answers,
                    char **who)
{
    db_review_view v;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_reviews_view(f->db, f->run, reviewer, 0, &v, &err), 0);
    assert_int_equal(v.items.n, 6);
    for (size_t t = 0; t < v.items.n; t++) {
        if (v.items.v[t].row != row) continue;
        snprintf(status, n, "%s", v.items.v[t].status);
        *answers = v.answers[t];
        *who = v.items.v[t].reviewer ? strdup(v.items.v[t].reviewer) : NULL;
        assert_int_equal(v.items.v[t].carried_from, 0);
        assert_int_equal(v.items.v[t].disagrees, 0);
    }
    db_review_view_free(&v);
}

static void test_answers_hidden_and_done(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    char st[16];
    int64_t n = 0;
    char *who = NULL;
    assert_int_equal(answer(&f, 0, "keep", -1, "alice"), 0);
    view_of(&f, "bob", 0, st, sizeof st, &n, &who);      /* bob sees the row pending, nobody's name */
    assert_string_equal(st, "pending");
    assert_int_equal(n, 1);
    assert_null(who);
    assert_false(db_reviews_may_see(st));
    view_of(&f, "alice", 0, st, sizeof st, &n, &who);
    assert_string_equal(st, "keep");
    assert_string_equal(who, "alice");
    assert_true(db_reviews_may_see(st));
    free(who);
    assert_int_equal(answer(&f, 0, "skip", -1, "bob"), 0);   /* skip: no answer, still hidden */
    view_of(&f, "bob", 0, st, sizeof st, &n, &who);
    assert_false(db_reviews_may_see(st));
    assert_int_equal(n, 1);
    free(who);
    assert_int_equal(answer(&f, 0, "relabel", 1, "bob"), 0);
    assert_int_equal(answer(&f, 0, "drop", -1, "carol"), DB_CONFLICT);   /* R = 2 reached */
    assert_int_equal(answer(&f, 0, "relabel", 2, "alice"), 0);          /* one's own change is fine */
    la_error err;
    la_error_clear(&err);
    db_review_view v;
    assert_int_equal(db_reviews_view(f.db, f.run, "alice", 0, &v, &err), 0);
    int64_t q0 = 0;
    for (size_t t = 0; t < v.items.n; t++)
        if (v.items.v[t].row == 0) q0 = v.items.v[t].queue_id;
    db_review_view_free(&v);
    assert_int_equal(db_reviews_answer(f.db, f.run, q0, 0, 2, "keep", -1, NULL, "alice", NULL, "serve", &err),
                     DB_CONFLICT);                                       /* stale version */
    assert_non_null(strstr(err.msg, "stale version"));
    assert_int_equal(db_reviews_answer(f.db, f.run + 1, q0, 2, 2, "keep", -1, NULL, "alice", NULL, "serve", &err),
                     LA_EUSAGE);                                         /* another run */
    db_items q;
    assert_int_equal(db_queue_list(f.db, f.run, NULL, &q, NULL, &err), 0);
    for (size_t t = 0; t < q.n; t++) {
        assert_string_equal(q.v[t].status, "pending");                  /* the queue is untouched */
        assert_int_equal(q.v[t].version, 0);
    }
    db_items_free(&q);
    fx_close(&f);
}

static void test_answers_undo_and_consensus(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    la_error_clear(&err);
    assert_int_equal(answer(&f, 0, "keep", -1, "alice"), 0);
    assert_int_equal(answer(&f, 0, "relabel", 1, "alice"), 0);
    assert_int_equal(answer(&f, 0, "relabel", 2, "bob"), 0);
    assert_int_equal(answer(&f, 1, "relabel", 2, "alice"), 0);
    assert_int_equal(answer(&f, 2, "keep", -1, "bob"), 0);
    assert_int_equal(answer(&f, 3, "keep", -1, "carol"), 0);
    assert_int_equal(answer(&f, 3, "pending", -1, "carol"), 0);      /* withdrawn */
    assert_int_equal(db_undo_last(f.db, "alice", f.run, NULL, &err), LA_EUSAGE);  /* single undo: not these */
    int64_t qid = 0;
    assert_int_equal(db_reviews_undo(f.db, "alice", f.run, &qid, &err), 0);  /* row 1's answer gone */
    assert_int_equal(db_reviews_undo(f.db, "alice", f.run, &qid, &err), 0);  /* row 0: back to keep */
    char st[16];
    int64_t n = 0;
    char *who = NULL;
    view_of(&f, "alice", 0, st, sizeof st, &n, &who);
    assert_string_equal(st, "keep");
    assert_int_equal(n, 2);
    free(who);
    view_of(&f, "bob", 0, st, sizeof st, &n, &who);
    assert_string_equal(st, "relabel");                               /* bob's untouched by alice's undo */
    free(who);
    /* consensus --db: exactly the answers in reviews (keep = given, relabel = new) */
    cs_labels l;
    int64_t *rows = NULL;
    assert_int_equal(db_consensus_labels(f.db, f.run, 3, &l, &rows, &err), 0);
    assert_int_equal(l.n, 2);                                          /* rows 0, 2 */
    assert_int_equal(l.m, 2);
    assert_string_equal(l.annotators[0], "alice");
    assert_string_equal(l.annotators[1], "bob");
    const int32_t want[] = {0, 2, CS_MISSING, 2};
    for (size_t e = 0; e < 4; e++) assert_int_equal(l.y[e], want[e]);
    db_answers a;
    assert_int_equal(db_reviews_all(f.db, f.run, &a, &err), 0);
    size_t labelled = 0;
    for (size_t t = 0; t < a.n; t++) labelled += !strcmp(a.v[t].status, "keep") || !strcmp(a.v[t].status, "relabel");
    assert_int_equal(labelled, 3);                                     /* the 3 labels above */
    db_answers_free(&a);
    cs_labels_free(&l);
    free(rows);
    assert_int_equal(db_reviews_undo(f.db, "alice", f.run, &qid, &err), 0);   /* row 0 first keep */
    assert_int_equal(db_reviews_undo(f.db, "alice", f.run, &qid, &err), LA_EUSAGE);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviewers_as_annotators),
        cmocka_unit_test(test_no_decisions_refused),
        cmocka_unit_test(test_answers_hidden_and_done),
        cmocka_unit_test(test_answers_undo_and_consensus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
