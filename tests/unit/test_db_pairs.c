/* test_db_pairs.c — cmocka tests for db/db_pairs.c: an answer on a
 * duplicate pair and on a leak (partner found from the recorded issues),
 * the current answer being the latest, undo withdrawing the reviewer's own
 * latest answer only, refusals (unknown choice, a row without partner, no
 * reviewer) writing nothing, "nothing to undo", and the migration of a
 * 006 database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "db/db.h"
#include "db/db_issues.h"
#include "db/db_pairs.h"

static char c0[] = "cat", c1[] = "dog";
static char *const classes[2] = {c0, c1};

typedef struct fx {
    char path[64];
    sqlite3 *db;
} fx;

/* A run of 8 examples, rows 0 and 1 flagged by the label audit. */
static int64_t fx_run(fx *f)
{
    char *ids[8], idbuf[8][16];
    int64_t given[8], sugg[8], ranked[2] = {0, 1}, cj[4] = {0}, issues[2] = {1, 1};
    double q[8], nm[4] = {0}, cer[2] = {0}, cq[2] = {0};
    uint8_t is_issue[8] = {1, 1};
    for (int i = 0; i < 8; i++) {
        snprintf(idbuf[i], sizeof idbuf[i], "ex-%d", i);
        ids[i] = idbuf[i];
        given[i] = i % 2;
        sugg[i] = i % 2;
        q[i] = 0.5;
    }
    db_audit_record r;
    memset(&r, 0, sizeof r);
    r.dataset_path = "fixture-issues.csv";
    r.dataset_hash = "x";
    r.n = 8;
    r.k = 2;
    r.class_names = classes;
    r.ids = ids;
    r.given = given;
    r.suggested = sugg;
    r.quality = q;
    r.is_issue = is_issue;
    r.ranked = ranked;
    r.n_ranked = 2;
    r.confident_joint = cj;
    r.noise_matrix = nm;
    r.class_issues = issues;
    r.class_error_rate = cer;
    r.class_quality = cq;
    r.method = "prune_by_noise_rate";
    r.rank_by = "self_confidence";
    r.options_json = "{}";
    r.summary_json = "{}";
    la_error err;
    la_error_clear(&err);
    int64_t run = 0;
    assert_int_equal(db_record_audit(f->db, &r, &run, &err), 0);
    return run;
}

static void fx_open(fx *f)
{
    snprintf(f->path, sizeof f->path, "/tmp/la-test-dbpair-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->path);
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_open(f->path, &f->db, &err), 0);
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

static int64_t count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* row 0 (label-flagged) duplicates 2; 2 conflicts with 3; 4 leaked to test 7; 5 outlier */
static const db_issue_row g_rows[] = {
    {2, "label_conflict", 0, 3, 0}, {3, "label_conflict", 0, 2, 0}, {0, "exact_duplicate", 0, 2, 0},
    {2, "exact_duplicate", 0, 0, 0}, {4, "leakage", 0.01, 7, 1}, {5, "outlier", 0.2, -1, 0},
};
static uint8_t g_px[4] = {0, 64, 128, 255};
static char s_ex0[] = "ex-0", s_ex4[] = "ex-4", s_t7[] = "t-7", s_dog[] = "dog", s_feat[] = "[[\"a\",1.5]]";
static const db_issue_example g_ex[] = {
    {0, 0, s_ex0, s_dog, NULL, 2, 2, 1, g_px, NULL},
    {0, 4, s_ex4, NULL, NULL, 0, 0, 0, NULL, s_feat},
    {1, 7, s_t7, NULL, NULL, 2, 2, 1, g_px, NULL},
};

static void record(fx *f, int64_t run)
{
    db_issue_set s = {6, g_rows, 3, g_ex, "test.csv", 9};
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_issues_record(f->db, run, &s, &err), 0);
}

static void test_record_undo_load(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    record(&f, run);
    la_error err;
    la_error_clear(&err);
    db_pair_decision d;
    /* 2's most severe pair issue is the conflict with 3 */
    assert_int_equal(db_pair_record(f.db, run, 2, "keep_both", "ann", &d, &err), 0);
    assert_int_equal(d.partner, 3);
    assert_int_equal(d.partner_test, 0);
    db_pair_decision_free(&d);
    assert_int_equal(db_pair_record(f.db, run, 4, "keep", "bob", &d, &err), 0);
    assert_int_equal(d.partner, 7);
    assert_int_equal(d.partner_test, 1);
    db_pair_decision_free(&d);
    assert_int_equal(db_pair_record(f.db, run, 2, "drop", "ann", &d, &err), 0);   /* replaces keep_both */
    db_pair_decision_free(&d);
    db_pair_decisions l;
    assert_int_equal(db_pair_load(f.db, run, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].row, 2);
    assert_string_equal(l.v[0].choice, "drop");
    assert_string_equal(l.v[0].reviewer, "ann");
    assert_int_equal(l.v[1].row, 4);
    assert_string_equal(l.v[1].choice, "keep");
    db_pair_decisions_free(&l);
    /* refusals write nothing */
    int64_t before = count(f.db, "SELECT count(*) FROM pair_decisions");
    assert_int_equal(db_pair_record(f.db, run, 2, "both", "ann", &d, &err), LA_EUSAGE);
    assert_int_equal(db_pair_record(f.db, run, 5, "drop", "ann", &d, &err), LA_EUSAGE);   /* outlier: no partner */
    assert_non_null(strstr(err.msg, "no duplicate or leak partner"));
    assert_int_equal(db_pair_record(f.db, run, 2, "drop", "", &d, &err), LA_EUSAGE);
    assert_int_equal(count(f.db, "SELECT count(*) FROM pair_decisions"), before);
    /* ann's undo takes her latest live answer (2: drop); the pair then has none */
    assert_int_equal(db_pair_undo(f.db, run, "ann", &d, &err), 0);
    assert_int_equal(d.row, 2);
    assert_string_equal(d.choice, "drop");
    db_pair_decision_free(&d);
    assert_int_equal(db_pair_load(f.db, run, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].row, 4);
    db_pair_decisions_free(&l);
    /* her keep_both was replaced, not current: nothing left to undo */
    assert_int_equal(db_pair_undo(f.db, run, "ann", &d, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "nothing to undo"));
    assert_int_equal(count(f.db, "SELECT count(*) FROM pair_decisions"), before + 1);   /* append-only */
    fx_close(&f);
}

static void test_migrate_from_v6(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    assert_int_equal(sqlite3_exec(f.db, "DROP TABLE pair_decisions; DROP VIEW queue_view;"
                                        " ALTER TABLE examples DROP COLUMN suggested_p; PRAGMA user_version = 6", NULL, NULL, NULL), SQLITE_OK);
    db_close(f.db);
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_open(f.path, &f.db, &err), 0);
    assert_int_equal(count(f.db, "PRAGMA user_version"), 8);   /* 007 and 008 applied */
    record(&f, run);
    db_pair_decision d;
    assert_int_equal(db_pair_record(f.db, run, 0, "keep", "ann", &d, &err), 0);   /* 0 duplicates 2 */
    assert_int_equal(d.partner, 2);
    db_pair_decision_free(&d);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_undo_load),
        cmocka_unit_test(test_migrate_from_v6),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
