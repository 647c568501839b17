/*
 * test_check_db.c — cmocka tests for db/db_runs.c, the read-only run queries
 * behind `check --db`: latest audit run, previous run on the same dataset
 * (skipping other datasets and retrain runs), loading a run's summary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"

static void add_run(sqlite3 *db, const char *kind, const char *dataset, const char *summary)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db,
        "INSERT INTO runs (created_at, version, kind, dataset_path, dataset_hash, n, k, method,"
        " rank_by, options_json, error_rate, health, num_flagged, summary_json)"
        " VALUES ('2026-01-01T00:00:00.000Z', '0.1.0', ?1, ?2, 'h', 10, 2, 'm', 'r', '{}',"
        " 0.1, 0.9, 1, ?3)", -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, dataset, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, summary, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

static void test_run_queries(void **state)
{
    (void)state;
    char path[] = "/tmp/la-check-db-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sqlite3 *db;
    la_error err;
    assert_int_equal(db_open(path, &db, &err), 0);

    int64_t id = -1, prev = -1;
    assert_int_equal(db_latest_audit_run(db, &id, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no audit runs"));

    add_run(db, "audit", "a.csv", "{\"r\":1}");     /* 1 */
    add_run(db, "audit", "b.csv", "{\"r\":2}");     /* 2: other dataset */
    add_run(db, "retrain", "a.csv", "{\"r\":3}");   /* 3: not an audit */
    add_run(db, "audit", "a.csv", "{\"r\":4}");     /* 4 */
    add_run(db, "retrain", "a.csv", "{\"r\":5}");   /* 5 */

    assert_int_equal(db_latest_audit_run(db, &id, &err), 0);
    assert_int_equal(id, 4);
    assert_int_equal(db_previous_run(db, 4, &prev, &err), 0);
    assert_int_equal(prev, 1);
    assert_int_equal(db_previous_run(db, 1, &prev, &err), 0);
    assert_int_equal(prev, 0);                       /* none: not an error */
    assert_int_equal(db_previous_run(db, 2, &prev, &err), 0);
    assert_int_equal(prev, 0);
    assert_int_equal(db_previous_run(db, 99, &prev, &err), 0);
    assert_int_equal(prev, 0);

    db_run_brief rb;
    assert_int_equal(db_load_run_brief(db, 4, &rb, &err), 0);
    assert_int_equal(rb.id, 4);
    assert_string_equal(rb.summary_json, "{\"r\":4}");
    assert_string_equal(rb.dataset_path, "a.csv");
    assert_string_equal(rb.kind, "audit");
    db_run_brief_free(&rb);
    assert_null(rb.summary_json);
    assert_int_equal(db_load_run_brief(db, 42, &rb, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no run 42"));
    db_run_brief_free(&rb);                          /* safe on a zeroed struct */

    db_close(db);
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
