/*
 * test_db.c — the database module: migrations (empty, older, newer, not a
 * database), recording a run and reading it back, hostile names stored
 * byte-exact, decisions carried over a re-audit, optimistic locking and undo,
 * the append-only log, the private SQL helpers (db_sql.h), report digests
 * stored all or nothing and read back, a version-1 database migrated to the
 * digest schema. Each test works in its own temporary file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/db_sql.h"

static char h0[] = "<script>alert(1)</script>";
static char h1[] = "Bob's \"best\", boot";
static char h2[] = "Robert'); DROP TABLE labels;--";
static char *const hostile[3] = {h0, h1, h2};

static void temp_db(char *path, size_t size)
{
    snprintf(path, size, "/tmp/la-test-db-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
}

static void remove_db(const char *path)
{
    char p[300];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static int user_version(sqlite3 *db)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A 10-example, 3-class run: examples 1, 4, 7 flagged, ranked 7, 1, 4. */
typedef struct fixture {
    char   *ids[10];
    char    idbuf[10][16];
    int64_t given[10], suggested[10], ranked[3], cj[9], issues[3];
    double  quality[10], nm[9], cer[3], cq[3];
    uint8_t is_issue[10];
    db_audit_record rec;
} fixture;

static void make_fixture(fixture *f, char *const *names, const char *path)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 10; i++) {
        snprintf(f->idbuf[i], sizeof f->idbuf[i], "ex-%02d", i);
        f->ids[i] = f->idbuf[i];
        f->given[i] = i % 3;
        f->suggested[i] = i % 3;
        f->quality[i] = 0.9;
    }
    int64_t flagged[3] = {7, 1, 4};
    for (int r = 0; r < 3; r++) {
        int64_t i = flagged[r];
        f->ranked[r] = i;
        f->is_issue[i] = 1;
        f->suggested[i] = (f->given[i] + 1) % 3;
        f->quality[i] = 0.1 * (r + 1);
    }
    for (int c = 0; c < 9; c++) {
        f->cj[c] = c % 4 == 0 ? 3 : (c == 1 ? 1 : 0);
        f->nm[c] = c % 4 == 0 ? 0.9 : 0.05;
    }
    for (int c = 0; c < 3; c++) f->issues[c] = 1, f->cer[c] = 0.1, f->cq[c] = 0.8;
    db_audit_record *r = &f->rec;
    r->dataset_path = path;
    r->dataset_hash = "abc123";
    r->n = 10;
    r->k = 3;
    r->class_names = names;
    r->ids = f->ids;
    r->given = f->given;
    r->suggested = f->suggested;
    r->quality = f->quality;
    r->is_issue = f->is_issue;
    r->ranked = f->ranked;
    r->n_ranked = 3;
    r->confident_joint = f->cj;
    r->noise_matrix = f->nm;
    r->class_issues = f->issues;
    r->class_error_rate = f->cer;
    r->class_quality = f->cq;
    r->error_rate = 0.3;
    r->health = 0.7;
    r->method = "prune_by_noise_rate";
    r->rank_by = "self_confidence";
    r->options_json = "{}";
    r->summary_json = "{}";
}

static void test_migrate_from_empty(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    assert_true(user_version(db) >= 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'queue'"), 1);
    assert_int_equal(query_int(db, "PRAGMA foreign_keys"), 1);
    db_close(db);
    /* Opening again is a no-op. */
    assert_int_equal(db_open(path, &db, &err), 0);
    db_close(db);
    remove_db(path);
}

static void test_migrate_from_older(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *raw;
    /* An older database: version 0, no tables (labelaudit before any schema). */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version = 0; PRAGMA journal_mode = DELETE",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    assert_true(user_version(db) >= 1);
    char mode[16] = "";
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    if (sqlite3_step(st) == SQLITE_ROW) snprintf(mode, sizeof mode, "%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    assert_string_equal(mode, "wal");
    db_close(db);
    remove_db(path);
}

static void test_refuse_newer(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "CREATE TABLE future (x); PRAGMA user_version = 999",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    sqlite3 *db = NULL;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), LA_EUSAGE);
    assert_null(db);
    assert_non_null(strstr(err.msg, "newer"));
    assert_non_null(strstr(err.msg, "999"));
    /* Untouched: still version 999. */
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(user_version(raw), 999);
    sqlite3_close(raw);
    remove_db(path);
}

static void test_refuse_not_a_database(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("id,label\nthis is a csv file, not a database, long enough to have a header......\n", fp);
    fclose(fp);
    sqlite3 *db = NULL;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not a labelaudit database"));
    remove_db(path);
    /* A foreign SQLite file with tables but no version is not ours either. */
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE other (x)", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_int_equal(db_open(path, &db, &err), LA_EUSAGE);
    remove_db(path);
    /* A directory that does not exist. */
    assert_int_equal(db_open("/nonexistent-dir/x.db", &db, &err), LA_EUSAGE);
}

static void test_record_and_read(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "data/x.csv");
    int64_t run = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    assert_true(run > 0);
    int64_t latest = 0;
    assert_int_equal(db_latest_run(db, &latest, &err), 0);
    assert_int_equal(latest, run);

    db_run r;
    assert_int_equal(db_load_run(db, run, &r, &err), 0);
    assert_int_equal(r.n, 10);
    assert_int_equal(r.k, 3);
    assert_int_equal(r.num_flagged, 3);
    for (int c = 0; c < 3; c++) assert_string_equal(r.class_names[c], hostile[c]); /* byte-exact */
    assert_int_equal(r.given_count[0], 4);
    assert_int_equal(r.given_count[1], 3);
    assert_true(r.noise_matrix[0] == 0.9);
    assert_true(r.confident_joint[1] == 1.0);
    assert_string_equal(r.dataset_path, "data/x.csv");
    db_run_free(&r);
    /* The tables the hostile name mentions are still there. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                                   " AND name = 'examples'"), 1);

    int64_t count = 0;
    assert_int_equal(db_count_flagged(db, run, -1, &count, &err), 0);
    assert_int_equal(count, 3);
    assert_int_equal(db_count_flagged(db, run, 1, &count, &err), 0);
    assert_int_equal(count, 3);   /* rows 1, 4 and 7 have given label 1 */
    assert_int_equal(db_count_flagged(db, run, 0, &count, &err), 0);
    assert_int_equal(count, 0);

    db_items items;
    assert_int_equal(db_load_flagged(db, run, -1, 0, 2, &items, &err), 0);
    assert_int_equal(items.n, 2);
    assert_string_equal(items.v[0].dataset_id, "ex-07");
    assert_int_equal(items.v[0].rank, 1);
    assert_string_equal(items.v[1].dataset_id, "ex-01");
    assert_string_equal(items.v[0].status, "pending");
    int64_t last = items.v[1].rank;
    db_items_free(&items);
    assert_int_equal(db_load_flagged(db, run, -1, last, 2, &items, &err), 0);
    assert_int_equal(items.n, 1);
    assert_string_equal(items.v[0].dataset_id, "ex-04");
    db_items_free(&items);
    assert_int_equal(db_load_flagged(db, run, 1, 0, 10, &items, &err), 0);
    assert_int_equal(items.n, 3);
    db_items_free(&items);

    assert_int_equal(db_load_run(db, run + 5, &r, &err), LA_EUSAGE);

    char *json = NULL;
    assert_int_equal(db_load_metrics(db, run, "cv", &json, &err), 0);
    assert_null(json);
    assert_int_equal(db_record_metrics(db, run, "cv", "{\"accuracy\": 0.5}", &err), 0);
    assert_int_equal(db_load_metrics(db, run, "cv", &json, &err), 0);
    assert_non_null(json);
    assert_non_null(strstr(json, "accuracy"));
    free(json);
    assert_int_equal(db_record_metrics(db, run, "cv", "{not json", &err), LA_EUSAGE);
    db_close(db);
    remove_db(path);
}

static void test_bad_record_rolls_back(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d");
    /* Duplicate ids are fine for the db; a bad label is not. */
    f.given[5] = 7;
    int64_t run = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), LA_EUSAGE);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 0);
    db_close(db);
    remove_db(path);
}

static void test_decide_conflict_undo(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d");
    int64_t run = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    db_items items;
    assert_int_equal(db_load_flagged(db, run, -1, 0, 3, &items, &err), 0);
    int64_t q0 = items.v[0].queue_id, q1 = items.v[1].queue_id;
    db_items_free(&items);

    /* Bad inputs. */
    assert_int_equal(db_decide(db, q0, 0, "maybe", -1, "ann", NULL, "test", &err), LA_EUSAGE);
    assert_int_equal(db_decide(db, q0, 0, "relabel", 3, "ann", NULL, "test", &err), LA_EUSAGE);
    assert_int_equal(db_decide(db, q0, 0, "keep", 1, "ann", NULL, "test", &err), LA_EUSAGE);
    assert_int_equal(db_decide(db, 99999, 0, "keep", -1, "ann", NULL, "test", &err), LA_EUSAGE);

    assert_int_equal(db_decide(db, q0, 0, "relabel", 2, "ann", hostile[1], "test", &err), 0);
    /* Bob read version 0 too: his write is a conflict and changes nothing. */
    assert_int_equal(db_decide(db, q0, 0, "drop", -1, "bob", NULL, "test", &err), DB_CONFLICT);
    assert_non_null(strstr(err.msg, "ann"));
    assert_int_equal(db_load_item(db, q0, &items, &err), 0);
    assert_string_equal(items.v[0].status, "relabel");
    assert_int_equal(items.v[0].new_label, 2);
    assert_string_equal(items.v[0].note, hostile[1]);
    assert_int_equal(items.v[0].version, 1);
    db_items_free(&items);

    assert_int_equal(db_decide(db, q1, 0, "keep", -1, "ann", NULL, "test", &err), 0);
    assert_int_equal(db_decide(db, q1, 1, "drop", -1, "ann", NULL, "test", &err), 0);
    /* Undo twice walks back ann's decisions on q1: drop -> keep -> pending. */
    int64_t undone = 0;
    assert_int_equal(db_undo_last(db, "ann", run, &undone, &err), 0);
    assert_int_equal(undone, q1);
    assert_int_equal(db_load_item(db, q1, &items, &err), 0);
    assert_string_equal(items.v[0].status, "keep");
    db_items_free(&items);
    assert_int_equal(db_undo_last(db, "ann", run, &undone, &err), 0);
    assert_int_equal(db_load_item(db, q1, &items, &err), 0);
    assert_string_equal(items.v[0].status, "pending");
    assert_null(items.v[0].reviewer);
    db_items_free(&items);

    /* Bob decides q0 after ann: ann's undo of q0 would overwrite him. */
    assert_int_equal(db_decide(db, q0, 1, "drop", -1, "bob", NULL, "test", &err), 0);
    assert_int_equal(db_undo_last(db, "ann", run, &undone, &err), DB_CONFLICT);
    assert_int_equal(db_undo_last(db, "carol", run, &undone, &err), LA_EUSAGE);
    assert_int_equal(db_undo_last(db, "bob", 0, &undone, &err), 0);
    assert_int_equal(db_load_item(db, q0, &items, &err), 0);
    assert_string_equal(items.v[0].status, "relabel");   /* ann's decision back */
    db_items_free(&items);

    /* The log is append-only. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM decision_log"), 7);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE decision_log SET status = 'x'", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM decision_log", NULL, NULL, NULL), SQLITE_OK);
    db_close(db);
    remove_db(path);
}

static void test_decisions_survive_reaudit(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "data/set.csv");
    int64_t run1 = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run1, &err), 0);
    db_items items;
    assert_int_equal(db_load_flagged(db, run1, -1, 0, 3, &items, &err), 0);
    /* ex-07 relabel to its suggestion, ex-01 keep, ex-04 relabel to class 0 */
    assert_string_equal(items.v[0].dataset_id, "ex-07");
    assert_int_equal(db_decide(db, items.v[0].queue_id, 0, "relabel", (int)items.v[0].suggested,
                               "ann", "n1", "test", &err), 0);
    assert_int_equal(db_decide(db, items.v[1].queue_id, 0, "keep", -1, "ann", NULL, "test", &err), 0);
    assert_int_equal(db_decide(db, items.v[2].queue_id, 0, "relabel", 0, "ann", NULL, "test", &err), 0);
    int64_t q07 = items.v[0].queue_id;
    db_items_free(&items);

    /* Re-audit: same flags, but ex-04 is now suggested as class 2 (disagrees). */
    f.suggested[4] = 2;
    int64_t run2 = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run2, &err), 0);
    assert_true(run2 > run1);
    assert_int_equal(db_load_flagged(db, run2, -1, 0, 3, &items, &err), 0);
    assert_int_equal(items.n, 3);
    assert_string_equal(items.v[0].dataset_id, "ex-07");
    assert_string_equal(items.v[0].status, "relabel");
    assert_string_equal(items.v[0].reviewer, "ann");
    assert_string_equal(items.v[0].note, "n1");
    assert_int_equal(items.v[0].carried_from, q07);
    assert_int_equal(items.v[0].disagrees, 0);
    assert_string_equal(items.v[1].status, "keep");
    assert_int_equal(items.v[1].disagrees, 1);    /* keep, yet flagged again */
    assert_string_equal(items.v[2].status, "relabel");
    assert_int_equal(items.v[2].new_label, 0);
    assert_int_equal(items.v[2].disagrees, 1);    /* relabel 0, suggestion now 2 */
    db_items_free(&items);
    assert_int_equal(query_int(db, "SELECT count(*) FROM decision_log WHERE source = 'carry'"), 3);
    /* Run 1's queue is untouched. */
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue WHERE run_id = 1"
                                   " AND status <> 'pending'"), 3);

    /* A different dataset gets no carried decisions. */
    f.rec.dataset_path = "other.csv";
    int64_t run3 = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run3, &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue WHERE run_id = 3"
                                   " AND status <> 'pending'"), 0);
    db_close(db);
    remove_db(path);
}

/* The same existing file spelled two ways is one dataset: stored absolute. */
static void test_paths_normalized(void **state)
{
    (void)state;
    char path[64], dir[64] = "/tmp/la-test-dbdir-XXXXXX", file[128], other[160];
    temp_db(path, sizeof path);
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/data.csv", dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(other, sizeof other, "%s/../%s/./data.csv", dir, strrchr(dir, '/') + 1);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, file);
    int64_t run1, run2;
    assert_int_equal(db_record_audit(db, &f.rec, &run1, &err), 0);
    db_items items;
    assert_int_equal(db_load_flagged(db, run1, -1, 0, 1, &items, &err), 0);
    assert_int_equal(db_decide(db, items.v[0].queue_id, 0, "drop", -1, "ann", NULL, "t", &err), 0);
    db_items_free(&items);
    f.rec.dataset_path = other;
    assert_int_equal(db_record_audit(db, &f.rec, &run2, &err), 0);
    assert_int_equal(db_load_flagged(db, run2, -1, 0, 1, &items, &err), 0);
    assert_string_equal(items.v[0].status, "drop");
    db_items_free(&items);
    db_run r;
    assert_int_equal(db_load_run(db, run2, &r, &err), 0);
    assert_string_equal(r.dataset_path, file);
    db_run_free(&r);
    db_close(db);
    remove_db(path);
    unlink(file);
    rmdir(dir);
}

static void test_no_ids_uses_row_numbers(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d");
    f.rec.ids = NULL;
    int64_t run = 0;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    db_items items;
    assert_int_equal(db_load_flagged(db, run, -1, 0, 1, &items, &err), 0);
    assert_string_equal(items.v[0].dataset_id, "7");
    db_items_free(&items);
    db_close(db);
    remove_db(path);
}

/* bench/bench_db.sh: test_db --bench N DB records a run of N examples (K = 10,
 * 5% flagged, string ids), decides 1000 of its queue rows, records a second
 * run (carry-over), and prints "N write_wall write_cpu reaudit_wall reaudit_cpu db_mb". */
static int bench(long n, const char *path)
{
    size_t k = 10, nf = (size_t)n / 20;
    char cn[10][8];
    char *names[10];
    for (size_t c = 0; c < k; c++) snprintf(cn[c], sizeof cn[c], "c%zu", c), names[c] = cn[c];
    char **ids = calloc((size_t)n, sizeof *ids);
    char *idbuf = calloc((size_t)n, 24);
    int64_t *given = calloc((size_t)n, 8), *sugg = calloc((size_t)n, 8), *ranked = calloc(nf + 1, 8);
    double *q = calloc((size_t)n, 8);
    uint8_t *iss = calloc((size_t)n, 1);
    int64_t cj[100] = {0}, ci[10] = {0};
    double nm[100] = {0}, ce[10] = {0}, cq[10] = {0};
    if (!ids || !idbuf || !given || !sugg || !ranked || !q || !iss) return 1;
    size_t r = 0;
    for (long i = 0; i < n; i++) {
        ids[i] = idbuf + 24 * i;
        snprintf(ids[i], 24, "ex-%08ld", i % 100000000);
        given[i] = i % 10;
        sugg[i] = i % 20 == 7 ? (i + 1) % 10 : i % 10;
        q[i] = i % 20 == 7 ? 0.01 : 0.9;
        if (i % 20 == 7 && r < nf) iss[i] = 1, ranked[r++] = i;
    }
    db_audit_record rec = {.dataset_path = "bench", .dataset_hash = "h", .n = (size_t)n, .k = k,
        .class_names = names, .ids = ids, .given = given, .suggested = sugg, .quality = q,
        .is_issue = iss, .ranked = ranked, .n_ranked = r, .confident_joint = cj, .noise_matrix = nm,
        .class_issues = ci, .class_error_rate = ce, .class_quality = cq, .method = "m", .rank_by = "r"};
    sqlite3 *db;
    la_error err = {0};
    if (db_open(path, &db, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    int64_t run = 0;
    double t0 = la_now(), c0 = (double)clock() / CLOCKS_PER_SEC;
    if (db_record_audit(db, &rec, &run, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    double t1 = la_now(), c1 = (double)clock() / CLOCKS_PER_SEC;
    db_items items;
    if (db_load_flagged(db, run, -1, 0, 1000, &items, &err)) return 1;
    for (size_t i = 0; i < items.n; i++)
        db_decide(db, items.v[i].queue_id, 0, "keep", -1, "bench", NULL, "bench", &err);
    db_items_free(&items);
    double t2 = la_now(), c2 = (double)clock() / CLOCKS_PER_SEC;
    if (db_record_audit(db, &rec, &run, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    double t3 = la_now(), c3 = (double)clock() / CLOCKS_PER_SEC;
    db_close(db);
    FILE *f = fopen(path, "rb");
    long size = 0;
    if (f) fseek(f, 0, SEEK_END), size = ftell(f), fclose(f);
    printf("%ld %.2f %.2f %.2f %.2f %.0f\n", n, t1 - t0, c1 - c0, t3 - t2, c3 - c2, size / 1e6);
    free(ids); free(idbuf); free(given); free(sugg); free(ranked); free(q); free(iss);
    return 0;
}

/* ---- the private SQL helpers (db_sql.h) -------------------------------- */

static void test_sql_helpers(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    /* latest run: none yet (not an error), then the largest id of the kind */
    int64_t id = -1;
    int found = 1;
    assert_int_equal(db_sql_latest_run(db, NULL, &id, &found, &err), 0);
    assert_int_equal(found, 0);
    assert_int_equal(db_latest_run(db, &id, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no runs"));
    fixture f;
    make_fixture(&f, hostile, "d.csv");
    int64_t r1, r2;
    assert_int_equal(db_record_audit(db, &f.rec, &r1, &err), 0);
    assert_int_equal(db_record_audit(db, &f.rec, &r2, &err), 0);
    assert_int_equal(db_sql_exec(db, "UPDATE runs SET kind = 'retrain' WHERE id = 2", &err), 0);
    assert_int_equal(db_sql_latest_run(db, NULL, &id, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_int_equal(id, r2);
    assert_int_equal(db_sql_latest_run(db, "audit", &id, &found, &err), 0);
    assert_int_equal(id, r1);
    assert_int_equal(db_latest_audit_run(db, &id, &err), 0);
    assert_int_equal(id, r1);
    assert_int_equal(db_review_run(db, &id, &err), 0);
    assert_int_equal(id, r1);
    /* one error format: "sqlite: WHAT: message", naming the file */
    sqlite3_stmt *st = (sqlite3_stmt *)1;
    la_error e2 = {0};
    assert_int_equal(db_sql_prepare(db, "SELECT nosuchcolumn FROM runs", &st, &e2), LA_EINTERNAL);
    assert_null(st);
    assert_non_null(strstr(e2.msg, "sqlite: prepare: "));
    assert_non_null(strstr(e2.msg, "nosuchcolumn"));
    assert_non_null(strstr(e2.file, "la-test-db-"));
    la_error e3 = {0};
    assert_int_equal(db_sql_exec(db, "INSERT INTO nosuchtable VALUES (1)", &e3), LA_EINTERNAL);
    /* step_done runs a statement and finalizes it */
    assert_int_equal(db_sql_prepare(db, "UPDATE runs SET health = 0.5 WHERE id = 1", &st, &err), 0);
    assert_int_equal(db_sql_step_done(db, st, "update", &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs WHERE health = 0.5"), 1);
    /* the queue reader: rows in rank order, max_rows honoured, 0 = all */
    db_items items;
    assert_int_equal(db_sql_prepare(db, "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE run_id = 1"
                                        " ORDER BY rank", &st, &err), 0);
    assert_int_equal(db_sql_collect_items(db, st, 2, &items, &err), 0);
    assert_int_equal(items.n, 2);
    assert_int_equal(items.v[0].row, 7);
    assert_string_equal(items.v[0].status, "pending");
    assert_int_equal(items.v[0].new_label, -1);
    db_items_free(&items);
    assert_int_equal(db_sql_prepare(db, "SELECT " DB_SQL_ITEM_COLUMNS " FROM queue_view WHERE run_id = 1",
                                    &st, &err), 0);
    assert_int_equal(db_sql_collect_items(db, st, 0, &items, &err), 0);
    assert_int_equal(items.n, 3);
    db_items_free(&items);
    /* rollback is a no-op outside a transaction, undoes inside one */
    db_sql_rollback(db);
    assert_int_equal(db_sql_exec(db, "BEGIN; DELETE FROM decision_log", &err), 0);
    db_sql_rollback(db);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    db_close(db);
    remove_db(path);
}

/* ---- report digests ---------------------------------------------------- */

static void test_digest_round_trip(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d.csv");
    int64_t run;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    /* no digest yet: present = 0, nothing stored, not an error */
    db_digest_info info;
    assert_int_equal(db_load_digest(db, run, &info, &err), 0);
    assert_int_equal(info.present, 0);
    double *rec = NULL, *pre = NULL;
    size_t np = 9;
    assert_int_equal(db_load_pr_curve(db, run, 0, &rec, &pre, &np, &err), 0);
    assert_int_equal(np, 0);
    assert_null(rec);

    double r0[3] = {0.0, 0.5, 1.0}, p0[3] = {1.0, 0.75, 0.1 + 0.2};   /* 0.30000000000000004 */
    db_pr_curve curves[3];
    for (int c = 0; c < 3; c++)
        curves[c] = (db_pr_curve){.class_index = c, .npoints = 3, .recall = r0, .precision = p0};
    uint8_t px[2 * 3] = {0, 1, 127, 128, 254, 255};
    db_example_digest ex[2] = {{.row = 7, .features = "[{\"name\":\"<b>\",\"value\":1}]", .pixels = px},
                               {.row = 1, .pixels = px}};
    db_digest d = {.has_pr = 1, .n_curves = 3, .curves = curves, .image_w = 3, .image_h = 2,
                   .channels = 1, .n_examples = 2, .examples = ex, .note = "a note"};
    assert_int_equal(db_record_digest(db, run, &d, &err), 0);
    assert_int_equal(db_load_digest(db, run, &info, &err), 0);
    assert_int_equal(info.present, 1);
    assert_int_equal(info.has_pr, 1);
    assert_int_equal(info.image_w, 3);
    assert_int_equal(info.image_h, 2);
    assert_int_equal(info.channels, 1);
    assert_string_equal(info.note, "a note");
    db_digest_info_free(&info);
    assert_int_equal(db_load_pr_curve(db, run, 2, &rec, &pre, &np, &err), 0);
    assert_int_equal(np, 3);
    for (int i = 0; i < 3; i++) {   /* bit for bit */
        assert_memory_equal(&rec[i], &r0[i], sizeof(double));
        assert_memory_equal(&pre[i], &p0[i], sizeof(double));
    }
    free(rec);
    free(pre);
    uint8_t *got = NULL;
    size_t len = 0;
    assert_int_equal(db_load_pixels(db, run, 1, &got, &len, &err), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(got, px, 6);
    free(got);
    assert_int_equal(db_load_pixels(db, run, 4, &got, &len, &err), 0);   /* none for row 4 */
    assert_null(got);
    /* features land in examples.features, where every reader finds them */
    db_items it;
    assert_int_equal(db_load_flagged(db, run, -1, 0, 10, &it, &err), 0);
    assert_int_equal(it.v[0].row, 7);
    assert_string_equal(it.v[0].features, "[{\"name\":\"<b>\",\"value\":1}]");
    assert_null(it.v[1].features);
    db_items_free(&it);

    /* a second digest replaces the first: a stored summary is kept */
    db_example_digest ex2 = {.row = 7, .features = "[]"};
    db_digest d2 = {.n_examples = 1, .examples = &ex2};
    assert_int_equal(db_record_digest(db, run, &d2, &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_pr_points"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM example_pixels"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM examples WHERE features = '[]'"), 0);
    assert_int_equal(db_load_digest(db, run, &info, &err), 0);
    assert_int_equal(info.has_pr, 0);
    assert_null(info.note);
    db_digest_info_free(&info);
    db_close(db);
    remove_db(path);
}

static void test_digest_all_or_nothing(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d.csv");
    int64_t run;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    double r0[2] = {0, 1}, p0[2] = {1, 0.5};
    db_pr_curve cu = {.class_index = 0, .npoints = 2, .recall = r0, .precision = p0};
    /* refused before anything is written: a row outside the run, a class
     * outside it, pixels without a shape, an unknown run */
    db_example_digest bad_row = {.row = 10, .features = "[]"};
    db_digest d = {.has_pr = 1, .n_curves = 1, .curves = &cu, .n_examples = 1, .examples = &bad_row};
    assert_int_equal(db_record_digest(db, run, &d, &err), LA_EUSAGE);
    db_pr_curve bad_cls = cu;
    bad_cls.class_index = 3;
    db_digest d2 = {.n_curves = 1, .curves = &bad_cls};
    assert_int_equal(db_record_digest(db, run, &d2, &err), LA_EUSAGE);
    uint8_t px[1] = {0};
    db_example_digest no_shape = {.row = 1, .pixels = px};
    db_digest d3 = {.n_examples = 1, .examples = &no_shape};
    assert_int_equal(db_record_digest(db, run, &d3, &err), LA_EUSAGE);
    db_digest ok = {.has_pr = 1, .n_curves = 1, .curves = &cu};
    assert_int_equal(db_record_digest(db, run + 1, &ok, &err), LA_EUSAGE);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_digest"), 0);
    /* a failure half-way (a trigger refusing pixels) leaves nothing */
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TRIGGER no_px BEFORE INSERT ON example_pixels"
                                      " BEGIN SELECT RAISE(ABORT, 'refused'); END", NULL, NULL, NULL), SQLITE_OK);
    uint8_t one = 7;
    db_example_digest pe = {.row = 1, .features = "[1]", .pixels = &one};
    db_digest d4 = {.has_pr = 1, .n_curves = 1, .curves = &cu, .image_w = 1, .image_h = 1, .channels = 1,
                    .n_examples = 1, .examples = &pe};
    assert_int_equal(db_record_digest(db, run, &d4, &err), LA_EINTERNAL);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_digest"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_pr_points"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM examples WHERE features IS NOT NULL"), 0);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER no_px", NULL, NULL, NULL), SQLITE_OK);
    /* inside a caller's transaction: rolled back with it */
    assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(db_record_digest(db, run, &d4, &err), 0);
    assert_int_equal(sqlite3_get_autocommit(db), 0);
    assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_digest"), 0);
    assert_int_equal(db_record_digest(db, run, &d4, &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM example_pixels"), 1);
    db_close(db);
    remove_db(path);
}

/* Undoing schema 004 (what an older release's database lacks). */
/* What 005_issues and 006_reviews add, for databases of the releases before them. */
#define UNDO_005_006 " DROP VIEW IF EXISTS queue_issues; DROP TABLE IF EXISTS example_issues;" \
                     " DROP TABLE IF EXISTS issue_examples; DROP TABLE IF EXISTS run_test_split;" \
                     " DROP TABLE IF EXISTS review_entries; DROP TABLE IF EXISTS reviews;"
/* What 008 adds: examples.suggested_p (008 creates queue_view again). */
#define UNDO_008 " DROP VIEW queue_view; ALTER TABLE examples DROP COLUMN suggested_p;"
#define UNDO_004 " DROP VIEW IF EXISTS queue_view; ALTER TABLE queue DROP COLUMN verdict;" \
                 " ALTER TABLE decision_log DROP COLUMN verdict; ALTER TABLE decision_log DROP COLUMN prev_verdict;"

/* An older release's database at path: one recorded run, then `downgrade`
 * (SQL dropping what that release lacks and setting its user_version). */
static int64_t old_database(const char *path, const char *downgrade)
{
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d.csv");
    int64_t run;
    assert_int_equal(db_record_audit(db, &f.rec, &run, &err), 0);
    assert_int_equal(sqlite3_exec(db, downgrade, NULL, NULL, NULL), SQLITE_OK);
    db_close(db);
    return run;
}

/* A database of the previous release (schema 001 only, user_version 1) opens,
 * gains the digest tables and keeps its runs; its runs have no digest. */
static void test_migrate_v1_to_digest(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    int64_t run = old_database(path, UNDO_008 UNDO_005_006 " DROP TABLE example_pixels; DROP TABLE run_pr_points;"
                                     " DROP TABLE run_digest; DROP TABLE IF EXISTS example_probs;"
                                     " DROP TABLE IF EXISTS class_typical;" UNDO_004 " PRAGMA user_version = 1");
    assert_int_equal(db_open(path, &db, &err), 0);
    assert_true(user_version(db) >= 2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'run_digest'"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('queue') WHERE name = 'verdict'"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue_view WHERE verdict IS NULL"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue"), 3);
    db_digest_info info;
    assert_int_equal(db_load_digest(db, run, &info, &err), 0);
    assert_int_equal(info.present, 0);
    db_close(db);
    remove_db(path);
}

/* A database at 001, 002 and 003 (user_version 3) gets 004 only, in place:
 * 003 is not applied again, every row stays. */
static void test_migrate_v3_to_verdict(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    old_database(path, UNDO_008 UNDO_005_006 UNDO_004 " PRAGMA user_version = 3");
    assert_int_equal(db_open(path, &db, &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM pragma_table_info('queue') WHERE name = 'verdict'"), 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue_view WHERE verdict IS NULL"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'example_probs'"), 1);
    assert_true(user_version(db) >= 4);
    db_close(db);
    remove_db(path);
}

/* A database of the release before the dataset checks and several reviewers
 * (user_version 4) gains 005 and 006 in place, every row kept. */
static void test_migrate_v4_to_reviews(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    old_database(path, UNDO_008 UNDO_005_006 " PRAGMA user_version = 4");
    assert_int_equal(db_open(path, &db, &err), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                   "('example_issues', 'issue_examples', 'run_test_split', 'queue_issues', "
                                   "'reviews', 'review_entries')"), 6);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue_issues"), 3);
    assert_true(user_version(db) >= 6);
    db_close(db);
    remove_db(path);
}

static int failing_hook(sqlite3 *db, int64_t run_id, void *ctx, la_error *err)
{
    int *calls = ctx;
    (*calls)++;
    /* the run is visible inside the transaction, then the hook fails */
    db_run run;
    assert_int_equal(db_load_run(db, run_id, &run, err), 0);
    db_run_free(&run);
    db_digest d = {.note = "x"};
    assert_int_equal(db_record_digest(db, run_id, &d, err), 0);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "hook failed");
}

static int digest_hook(sqlite3 *db, int64_t run_id, void *ctx, la_error *err)
{
    db_digest d = {.note = ctx};
    return db_record_digest(db, run_id, &d, err);
}

/* The run and its follow-up rows land together or not at all. */
static void test_record_then(void **state)
{
    (void)state;
    char path[64];
    temp_db(path, sizeof path);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(path, &db, &err), 0);
    fixture f;
    make_fixture(&f, hostile, "d.csv");
    int64_t run = 0;
    int calls = 0;
    assert_int_equal(db_record_audit_then(db, &f.rec, failing_hook, &calls, &run, &err), LA_EINTERNAL);
    assert_int_equal(calls, 1);
    assert_int_equal(query_int(db, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM run_digest"), 0);
    assert_int_equal(query_int(db, "SELECT count(*) FROM queue"), 0);
    assert_int_equal(sqlite3_get_autocommit(db), 1);
    char note[] = "stored with the run";
    assert_int_equal(db_record_audit_then(db, &f.rec, digest_hook, note, &run, &err), 0);
    db_digest_info info;
    assert_int_equal(db_load_digest(db, run, &info, &err), 0);
    assert_string_equal(info.note, note);
    db_digest_info_free(&info);
    db_close(db);
    remove_db(path);
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--bench")) return bench(atol(argv[2]), argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrate_from_empty),
        cmocka_unit_test(test_migrate_from_older),
        cmocka_unit_test(test_refuse_newer),
        cmocka_unit_test(test_refuse_not_a_database),
        cmocka_unit_test(test_record_and_read),
        cmocka_unit_test(test_bad_record_rolls_back),
        cmocka_unit_test(test_decide_conflict_undo),
        cmocka_unit_test(test_decisions_survive_reaudit),
        cmocka_unit_test(test_no_ids_uses_row_numbers),
        cmocka_unit_test(test_paths_normalized),
        cmocka_unit_test(test_sql_helpers),
        cmocka_unit_test(test_digest_round_trip),
        cmocka_unit_test(test_digest_all_or_nothing),
        cmocka_unit_test(test_migrate_v1_to_digest),
        cmocka_unit_test(test_migrate_v3_to_verdict),
        cmocka_unit_test(test_migrate_v4_to_reviews),
        cmocka_unit_test(test_record_then),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
