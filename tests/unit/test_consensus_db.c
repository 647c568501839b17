/* test_consensus_db.c — cmocka tests for db/db_consensus.c: several
 * reviewers' decisions of a run as multi-annotator labels (each reviewer's
 * latest decision per row; keep = the given label, relabel = the new one;
 * drop and skip give no label; undone decisions do not count), and the
 * refusal of a run without any keep or relabel decision. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reviewers_as_annotators),
        cmocka_unit_test(test_no_decisions_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
