/* test_db_issues.c — cmocka tests for db/db_issues.c: findings recorded and
 * read back in rank order (by type, counts), leaks with a test partner,
 * stored examples (pixels, features, test ids), one queue row per example
 * however many types it has (label-flagged rows keep theirs, leak-only rows
 * get none), carry-over of decisions into those rows on a later run, the
 * refusals (row outside the run, no type, no such run) writing nothing,
 * reads of a run without findings, and the migration of a 004 database. */
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
    snprintf(f->path, sizeof f->path, "/tmp/la-test-dbiss-XXXXXX");
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

static void test_record_and_read(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    record(&f, run);
    la_error err;
    la_error_clear(&err);
    db_issues l;
    assert_int_equal(db_issues_load(f.db, run, NULL, &l, &err), 0);
    assert_int_equal(l.n, 6);
    for (size_t t = 0; t < l.n; t++) {
        assert_int_equal(l.v[t].rank, (int64_t)t + 1);
        assert_int_equal(l.v[t].row, g_rows[t].row);
        assert_string_equal(l.v[t].issue, g_rows[t].issue);
        assert_int_equal(l.v[t].partner, g_rows[t].partner);
        assert_int_equal(l.v[t].partner_test, g_rows[t].partner_test);
    }
    db_issues_free(&l);
    assert_int_equal(db_issues_load(f.db, run, "leakage", &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].row, 4);
    assert_int_equal(l.v[0].partner, 7);
    assert_true(l.v[0].partner_test);
    assert_true(l.v[0].score == 0.01);
    db_issues_free(&l);

    db_issue_count *c;
    size_t n;
    assert_int_equal(db_issues_counts(f.db, run, &c, &n, &err), 0);
    assert_int_equal(n, 4);                  /* by first rank: conflict, duplicate, leakage, outlier */
    assert_string_equal(c[0].issue, "label_conflict");
    assert_int_equal(c[0].n, 2);
    assert_string_equal(c[3].issue, "outlier");
    db_issues_counts_free(c, n);

    db_issue_example e;
    int found;
    assert_int_equal(db_issues_example(f.db, run, 1, 7, &e, &found, &err), 0);
    assert_true(found);
    assert_string_equal(e.dataset_id, "t-7");
    assert_int_equal(e.image_w * e.image_h * e.channels, 4);
    assert_memory_equal(e.pixels, g_px, 4);
    db_issue_example_free(&e);
    assert_int_equal(db_issues_example(f.db, run, 0, 4, &e, &found, &err), 0);
    assert_true(found);
    assert_string_equal(e.features, "[[\"a\",1.5]]");
    assert_null(e.pixels);
    db_issue_example_free(&e);
    assert_int_equal(db_issues_example(f.db, run, 0, 7, &e, &found, &err), 0);  /* train 7: none */
    assert_false(found);

    char *test;
    int64_t nt;
    assert_int_equal(db_issues_test_split(f.db, run, &test, &nt, &err), 0);
    assert_string_equal(test, "test.csv");
    assert_int_equal(nt, 9);
    free(test);
    fx_close(&f);
}

static void test_queue_rows(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue"), 2);
    record(&f, run);
    /* 0 and 1 (label), 2, 3, 5 (issues); 4 leaked only: none */
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue"), 5);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue WHERE row = 4"), 0);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue WHERE row = 2"), 1);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue_issues WHERE row = 2 AND "
                                 "issues = 'label_conflict exact_duplicate' AND partner = 3"), 1);
    assert_int_equal(count(f.db, "SELECT label_flagged FROM queue_issues WHERE row = 0"), 1);
    assert_int_equal(count(f.db, "SELECT label_flagged FROM queue_issues WHERE row = 5"), 0);
    /* queue order after the label rows: by most severe issue (2, then 3, then 5) */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f.db, "SELECT group_concat(row, ',') FROM (SELECT row FROM queue ORDER BY id)",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "0,1,2,3,5");
    sqlite3_finalize(st);
    fx_close(&f);
}

static void test_carry_over(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    record(&f, run);
    la_error err;
    la_error_clear(&err);
    db_items one;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(f.db, "SELECT id FROM queue WHERE row = 3", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t qid = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(db_load_item(f.db, qid, &one, &err), 0);
    assert_int_equal(db_decide(f.db, qid, one.v[0].version, "drop", -1, "ann", NULL, "review", &err), 0);
    db_items_free(&one);
    int64_t run2 = fx_run(&f);
    record(&f, run2);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue WHERE run_id = 2 AND row = 3 AND status = 'drop' "
                                 "AND reviewer = 'ann' AND carried_from IS NOT NULL"), 1);
    assert_int_equal(count(f.db, "SELECT count(*) FROM decision_log WHERE run_id = 2 AND source = 'carry'"), 1);
    fx_close(&f);
}

static void test_refusals(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    la_error err;
    la_error_clear(&err);
    db_issue_row bad_row[] = {{5, "outlier", 0, -1, 0}, {8, "outlier", 0, -1, 0}};
    db_issue_set s = {2, bad_row, 0, NULL, NULL, 0};
    assert_int_equal(db_issues_record(f.db, run, &s, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "row 8 outside run"));
    db_issue_row no_type[] = {{5, "", 0, -1, 0}};
    db_issue_set s2 = {1, no_type, 0, NULL, NULL, 0};
    assert_int_equal(db_issues_record(f.db, run, &s2, &err), LA_EUSAGE);
    db_issue_set s3 = {1, bad_row, 0, NULL, NULL, 0};
    assert_int_equal(db_issues_record(f.db, run + 1, &s3, &err), LA_EUSAGE);
    assert_int_equal(count(f.db, "SELECT count(*) FROM example_issues"), 0);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue"), 2);
    /* a run without findings reads as empty */
    db_issues l;
    assert_int_equal(db_issues_load(f.db, run, NULL, &l, &err), 0);
    assert_int_equal(l.n, 0);
    db_issue_count *c;
    size_t n;
    assert_int_equal(db_issues_counts(f.db, run, &c, &n, &err), 0);
    assert_int_equal(n, 0);
    char *test;
    int64_t nt;
    assert_int_equal(db_issues_test_split(f.db, run, &test, &nt, &err), 0);
    assert_null(test);
    fx_close(&f);
}

/* A database of the previous schema (user_version 4, no 005 tables; 006 is
 * IF NOT EXISTS, so its tables may stay) opens,
 * gains them in place and keeps its runs; the old run reads as no findings. */
static void test_migrate_from_v4(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    int64_t run = fx_run(&f);
    assert_int_equal(sqlite3_exec(f.db, "DROP VIEW queue_issues; DROP TABLE example_issues; DROP TABLE issue_examples;"
                                        " DROP TABLE run_test_split; DROP VIEW queue_view;"
                                        " ALTER TABLE examples DROP COLUMN suggested_p; PRAGMA user_version = 4", NULL, NULL, NULL), SQLITE_OK);
    db_close(f.db);
    la_error err;
    la_error_clear(&err);
    assert_int_equal(db_open(f.path, &f.db, &err), 0);
    assert_int_equal(count(f.db, "PRAGMA user_version"), 8);   /* 005, 006 (reviews), 007 (pairs), 008 applied */
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue"), 2);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue_issues WHERE issues IS NULL"), 2);
    /* 008: the old run's examples have no suggested_p, and the queue view shows it */
    assert_int_equal(count(f.db, "SELECT count(*) FROM examples WHERE suggested_p IS NOT NULL"), 0);
    assert_int_equal(count(f.db, "SELECT count(*) FROM queue_view WHERE suggested_p IS NULL"), 2);
    record(&f, run);
    assert_int_equal(count(f.db, "SELECT count(*) FROM example_issues"), 6);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_and_read),
        cmocka_unit_test(test_queue_rows),
        cmocka_unit_test(test_carry_over),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_migrate_from_v4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
