/*
 * test_decisions.c — db_review.c: queue listing with filters and paging,
 * progress per class, next pending, and the all-or-nothing import (every kind
 * of bad row named by line and column, nothing written; hostile names stored
 * byte-exact; imported decisions undoable); report/rp_decisions.c: the CSV
 * and JSON export, and the import CSV reader, round-tripping hostile text.
 */
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
#include "report/rp_decisions.h"
#include "report/rp_verdicts.h"
#include <math.h>

static char h0[] = "<script>alert(1)</script>";
static char h1[] = "Bob's \"best\", boot";
static char h2[] = "Robert'); DROP TABLE labels;--";
static char *const hostile[3] = {h0, h1, h2};

typedef struct fx {
    char path[64];
    sqlite3 *db;
    int64_t run;
} fx;

/* 9 examples, classes i % 3, all flagged, quality 0.1 * i, rank i + 1. */
static void fx_open(fx *f)
{
    char *ids[9], idbuf[9][16];
    int64_t given[9], sugg[9], ranked[9], cj[9] = {0}, issues[3] = {3, 3, 3};
    double q[9], nm[9] = {0}, cer[3] = {0}, cq[3] = {0};
    uint8_t is_issue[9];
    for (int i = 0; i < 9; i++) {
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
    r.n = 9;
    r.k = 3;
    r.class_names = hostile;
    r.ids = ids;
    r.given = given;
    r.suggested = sugg;
    r.quality = q;
    r.is_issue = is_issue;
    r.ranked = ranked;
    r.n_ranked = 9;
    r.confident_joint = cj;
    r.noise_matrix = nm;
    r.class_issues = issues;
    r.class_error_rate = cer;
    r.class_quality = cq;
    r.method = "prune_by_noise_rate";
    r.rank_by = "self_confidence";
    r.options_json = "{}";
    r.summary_json = "{}";
    snprintf(f->path, sizeof f->path, "/tmp/la-test-dec-XXXXXX");
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

static int64_t qint(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_list_filters(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    db_items it;
    db_filter flt;
    int64_t total;
    la_error_clear(&err);
    assert_int_equal(db_queue_list(f.db, f.run, NULL, &it, &total, &err), 0);
    assert_int_equal(it.n, 9);
    assert_int_equal(total, 9);
    for (size_t i = 0; i < it.n; i++) assert_int_equal(it.v[i].rank, (int64_t)i + 1);   /* rank order */
    assert_string_equal(it.v[0].status, "pending");
    db_items_free(&it);

    db_filter_init(&flt);
    flt.given = 1;
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(total, 3);
    for (size_t i = 0; i < it.n; i++) assert_int_equal(it.v[i].given, 1);
    db_items_free(&it);

    db_filter_init(&flt);
    flt.score_min = 0.25;
    flt.score_max = 0.55;
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(total, 3);                         /* 0.3, 0.4, 0.5 */
    db_items_free(&it);

    db_filter_init(&flt);
    flt.offset = 7;
    flt.limit = 5;
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(it.n, 2);
    assert_int_equal(total, 9);
    assert_int_equal(it.v[0].rank, 8);
    db_items_free(&it);

    /* decide two, then status filters and progress */
    int64_t q1 = qint(f.db, "SELECT id FROM queue WHERE dataset_id = 'ex-1'");
    int64_t q4 = qint(f.db, "SELECT id FROM queue WHERE dataset_id = 'ex-4'");
    assert_int_equal(db_decide(f.db, q1, 0, "keep", -1, "ann", NULL, "test", &err), 0);
    assert_int_equal(db_decide(f.db, q4, 0, "relabel", 2, "ann", "n", "test", &err), 0);
    db_filter_init(&flt);
    flt.status = "decided";
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(total, 2);
    db_items_free(&it);
    flt.status = "pending";
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(total, 7);
    db_items_free(&it);
    flt.status = "relabel";
    assert_int_equal(db_queue_list(f.db, f.run, &flt, &it, &total, &err), 0);
    assert_int_equal(it.n, 1);
    assert_int_equal(it.v[0].new_label, 2);
    assert_int_equal(it.v[0].version, 1);
    assert_string_equal(it.v[0].reviewer, "ann");
    db_items_free(&it);

    db_progress per[3], all;
    assert_int_equal(db_queue_progress(f.db, f.run, 3, per, &all, &err), 0);
    assert_int_equal(all.total, 9);
    assert_int_equal(all.decided, 2);
    assert_int_equal(all.keep, 1);
    assert_int_equal(all.relabel, 1);
    assert_int_equal(per[1].decided, 2);                /* ex-1 and ex-4 are class 1 */
    assert_int_equal(per[0].decided, 0);
    assert_int_equal(per[2].total, 3);

    assert_int_equal(db_queue_next_pending(f.db, f.run, &it, &err), 0);
    assert_int_equal(it.n, 1);
    assert_string_equal(it.v[0].dataset_id, "ex-0");
    db_items_free(&it);
    fx_close(&f);
}

static void test_status_valid(void **state)
{
    (void)state;
    assert_true(db_status_valid("keep", 0));
    assert_true(db_status_valid("skip", 0));
    assert_false(db_status_valid("pending", 0));
    assert_true(db_status_valid("pending", 1));
    assert_false(db_status_valid("KEEP", 1));
    assert_false(db_status_valid("", 1));
    assert_false(db_status_valid(NULL, 1));
}

#define ROW(line, id, dec, lab, rev, note) {line, id, dec, lab, rev, note, NULL}

static void expect_import_error(fx *f, const db_import_row *rows, size_t n, long line, const char *column,
                                const char *msg_part)
{
    la_error err;
    la_error_clear(&err);
    int64_t before = qint(f->db, "SELECT count(*) FROM decision_log");
    int64_t versions = qint(f->db, "SELECT sum(version) FROM queue");
    size_t applied = 99;
    assert_int_equal(db_import_decisions(f->db, 0, "in.csv", rows, n, &applied, &err), LA_EUSAGE);
    assert_int_equal(applied, 0);
    assert_string_equal(err.file, "in.csv");
    assert_int_equal(err.line, line);
    assert_string_equal(err.column, column);
    if (!strstr(err.msg, msg_part)) fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
    assert_int_equal(qint(f->db, "SELECT count(*) FROM decision_log"), before);
    assert_int_equal(qint(f->db, "SELECT sum(version) FROM queue"), versions);
}

static void test_import(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    la_error_clear(&err);
    /* every bad row type, each after a good row that must not stick */
    db_import_row r1[] = {ROW(2, "ex-0", "keep", "", "a", ""), ROW(3, "nope", "keep", "", "a", "")};
    expect_import_error(&f, r1, 2, 3, "id", "unknown id 'nope'");
    db_import_row r2[] = {ROW(2, "ex-0", "keep", "", "a", ""), ROW(3, "ex-1", "approve", "", "a", "")};
    expect_import_error(&f, r2, 2, 3, "decision", "bad decision 'approve'");
    db_import_row r3[] = {ROW(2, "ex-0", "relabel", "Cat", "a", "")};
    expect_import_error(&f, r3, 1, 2, "new_label", "unknown class 'Cat'");
    db_import_row r4[] = {ROW(2, "ex-0", "relabel", "", "a", "")};
    expect_import_error(&f, r4, 1, 2, "new_label", "needs a new_label");
    db_import_row r5[] = {ROW(5, "ex-0", "drop", h0, "a", "")};
    expect_import_error(&f, r5, 1, 5, "new_label", "only relabel");
    db_import_row r6[] = {ROW(2, "", "keep", "", "a", "")};
    expect_import_error(&f, r6, 1, 2, "id", "empty id");
    db_import_row r7[] = {ROW(2, "ex-0", "pending", "", "a", "")};
    expect_import_error(&f, r7, 1, 2, "decision", "bad decision");
    char longname[DB_MAX_REVIEWER + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    db_import_row r8[] = {ROW(2, "ex-0", "keep", "", longname, "")};
    expect_import_error(&f, r8, 1, 2, "reviewer", "longer than");

    /* a good import: hostile names byte-exact, logged with source import */
    db_import_row ok[] = {ROW(2, "ex-0", "relabel", h2, "O'Brien", "a \"note\", with\nnewline"),
                          ROW(3, "ex-1", "relabel", h1, "ann", ""),
                          ROW(4, "ex-2", "drop", "", "", "")};
    size_t applied = 0;
    assert_int_equal(db_import_decisions(f.db, f.run, "in.csv", ok, 3, &applied, &err), 0);
    assert_int_equal(applied, 3);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM decision_log WHERE source = 'import'"), 3);
    assert_int_equal(qint(f.db, "SELECT new_label FROM queue WHERE dataset_id = 'ex-0'"), 2);
    assert_int_equal(qint(f.db, "SELECT new_label FROM queue WHERE dataset_id = 'ex-1'"), 1);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE dataset_id = 'ex-2' AND reviewer IS NULL AND status = 'drop'"), 1);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE reviewer = 'O''Brien' AND note = 'a \"note\", with' || char(10) || 'newline'"), 1);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM run_classes WHERE name = 'Robert''); DROP TABLE labels;--'"), 1);
    /* import bumps versions: a stale writer now conflicts */
    int64_t q0 = qint(f.db, "SELECT id FROM queue WHERE dataset_id = 'ex-0'");
    assert_int_equal(db_decide(f.db, q0, 0, "keep", -1, "bob", NULL, "test", &err), DB_CONFLICT);
    /* an imported decision can be undone by its reviewer */
    int64_t back = 0;
    assert_int_equal(db_undo_last(f.db, "O'Brien", f.run, &back, &err), 0);
    assert_int_equal(back, q0);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE id = (SELECT id FROM queue WHERE dataset_id = 'ex-0') AND status = 'pending'"), 1);
    /* empty import: fine, nothing changes */
    assert_int_equal(db_import_decisions(f.db, 0, "in.csv", NULL, 0, &applied, &err), 0);
    assert_int_equal(applied, 0);
    /* a missing run */
    assert_int_equal(db_import_decisions(f.db, 42, "in.csv", ok, 1, &applied, &err), LA_EUSAGE);
    fx_close(&f);
}

/* Verdicts (schema 004): recorded beside the action, validated, undone with
 * the decision, imported with an optional column; old rows have none. */
static void test_verdicts(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    la_error_clear(&err);
    assert_true(db_verdict_valid("error") && db_verdict_valid("ambiguous") && db_verdict_valid("false_alarm"));
    assert_false(db_verdict_valid("Error") || db_verdict_valid("") || db_verdict_valid(NULL));
    int64_t q0 = qint(f.db, "SELECT id FROM queue WHERE dataset_id = 'ex-0'");
    int64_t q1 = qint(f.db, "SELECT id FROM queue WHERE dataset_id = 'ex-1'");
    int64_t log0 = qint(f.db, "SELECT count(*) FROM decision_log");
    /* refused: a bad word, a verdict with skip or pending; nothing written */
    assert_int_equal(db_decide_verdict(f.db, f.run, q0, 0, "keep", -1, "maybe", "ann", NULL, "t", &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not 'maybe'"));
    assert_int_equal(db_decide_verdict(f.db, f.run, q0, 0, "skip", -1, "error", "ann", NULL, "t", &err), LA_EUSAGE);
    assert_int_equal(db_decide_verdict(f.db, f.run, q0, 0, "pending", -1, "error", "ann", NULL, "t", &err), LA_EUSAGE);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM decision_log"), log0);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE verdict IS NOT NULL OR version > 0"), 0);
    /* stored on the row, the log and the item; a plain db_decide stores none */
    assert_int_equal(db_decide_verdict(f.db, f.run, q0, 0, "relabel", 1, "error", "ann", NULL, "t", &err), 0);
    assert_int_equal(db_decide(f.db, q1, 0, "keep", -1, "ann", NULL, "t", &err), 0);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM decision_log WHERE verdict = 'error' AND prev_verdict IS NULL"), 1);
    db_items it = {0, NULL};
    assert_int_equal(db_load_item_in_run(f.db, f.run, q0, &it, &err), 0);
    assert_string_equal(it.v[0].verdict, "error");
    db_items_free(&it);
    assert_int_equal(db_load_item_in_run(f.db, f.run, q1, &it, &err), 0);
    assert_null(it.v[0].verdict);
    db_items_free(&it);
    /* a second decision changes it; undo restores the one before */
    assert_int_equal(db_decide_verdict(f.db, f.run, q0, 1, "drop", -1, "ambiguous", "ann", NULL, "t", &err), 0);
    assert_int_equal(db_undo_last(f.db, "ann", f.run, NULL, &err), 0);      /* q1's keep */
    assert_int_equal(db_undo_last(f.db, "ann", f.run, NULL, &err), 0);      /* q0's drop */
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE id = (SELECT id FROM queue WHERE dataset_id = 'ex-0')"
                                " AND status = 'relabel' AND verdict = 'error'"), 1);
    assert_int_equal(db_undo_last(f.db, "ann", f.run, NULL, &err), 0);      /* q0's relabel */
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE verdict IS NOT NULL"), 0);
    /* import: the optional column, a bad value names line and column */
    db_import_row bad[] = {{2, "ex-0", "keep", "", "a", "", "error"}, {3, "ex-1", "keep", "", "a", "", "maybe"}};
    expect_import_error(&f, bad, 2, 3, "verdict", "bad verdict 'maybe'");
    db_import_row bad2[] = {{4, "ex-0", "skip", "", "a", "", "false_alarm"}};
    expect_import_error(&f, bad2, 1, 4, "verdict", "given with decision 'skip'");
    db_import_row ok[] = {{2, "ex-0", "keep", "", "a", "", "false_alarm"}, {3, "ex-1", "drop", "", "a", "", ""}};
    assert_int_equal(db_import_decisions(f.db, f.run, "in.csv", ok, 2, NULL, &err), 0);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE dataset_id = 'ex-0' AND verdict = 'false_alarm'"), 1);
    assert_int_equal(qint(f.db, "SELECT count(*) FROM queue WHERE dataset_id = 'ex-1' AND verdict IS NULL AND status = 'drop'"), 1);
    fx_close(&f);
}

/* rp_verdicts: counts over decided rows only (skip and pending are no
 * decision), per given class, with Wilson intervals and the corrected rate. */
static void test_verdict_summary(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    la_error_clear(&err);
    /* ex-i has given class i % 3 */
    db_import_row rows[] = {{2, "ex-0", "relabel", h1, "a", "", "error"}, {3, "ex-3", "drop", "", "a", "", "error"},
                            {4, "ex-6", "keep", "", "a", "", "false_alarm"}, {5, "ex-1", "keep", "", "a", "", "ambiguous"},
                            {6, "ex-4", "keep", "", "a", "", ""}, {7, "ex-2", "skip", "", "a", "", ""}};
    assert_int_equal(db_import_decisions(f.db, f.run, "in.csv", rows, 6, NULL, &err), 0);
    rp_verdicts v;
    assert_int_equal(rp_verdicts_load(f.db, f.run, 0.95, &v, &err), 0);
    assert_int_equal(v.k, 3);
    assert_int_equal(v.overall.decided, 5);                 /* the skip is not a decision */
    assert_int_equal(v.overall.judged, 4);
    assert_int_equal(v.overall.error.x, 2);
    assert_true(fabs(v.overall.error.p - 0.5) < 1e-12);
    assert_true(v.overall.error.lo < 0.5 && v.overall.error.hi > 0.5);
    assert_int_equal(v.per_class[0].decided, 3);
    assert_int_equal(v.per_class[0].error.x, 2);
    assert_int_equal(v.per_class[0].false_alarm.x, 1);
    assert_int_equal(v.per_class[1].judged, 1);
    assert_int_equal(v.per_class[2].judged, 0);
    assert_true(isnan(v.per_class[2].error.p) && isnan(v.per_class[2].corrected));
    /* corrected = est_rate * precision, interval est_rate * [lo, hi] */
    const rp_verdict_group *g = &v.per_class[0];
    assert_true(fabs(g->corrected - g->est_rate * 2.0 / 3.0) < 1e-12);
    assert_true(fabs(g->corrected_hi - g->est_rate * g->error.hi) < 1e-12);
    json_t *j = rp_verdicts_json(&v);
    assert_non_null(j);
    assert_int_equal(json_array_size(json_object_get(j, "classes")), 3);
    assert_true(json_is_null(json_object_get(json_object_get(json_array_get(json_object_get(j, "classes"), 2), "error"), "p")));
    json_decref(j);
    rp_verdicts_free(&v);
    assert_int_equal(rp_verdicts_load(f.db, 42, 0.95, &v, &err), LA_EUSAGE);
    fx_close(&f);
}

static char *slurp_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    return buf;
}

static void test_export_read_round_trip(void **state)
{
    (void)state;
    fx f;
    fx_open(&f);
    la_error err;
    la_error_clear(&err);
    db_import_row ok[] = {ROW(2, "ex-0", "relabel", h2, "O'Brien", "a \"note\", with\nnewline"),
                          ROW(3, "ex-4", "keep", "", "ann", "")};
    assert_int_equal(db_import_decisions(f.db, f.run, "in.csv", ok, 2, NULL, &err), 0);
    char csv[128], json[128];
    snprintf(csv, sizeof csv, "%s.export.csv", f.path);
    snprintf(json, sizeof json, "%s.export.json", f.path);
    rp_export_opts o = {.format = RP_DECISIONS_CSV, .path = csv};
    assert_int_equal(rp_decisions_export(f.db, f.run, &o, &err), 0);
    char *text = slurp_file(csv);
    assert_non_null(text);
    assert_non_null(strstr(text, "id,decision,new_label,reviewer,note,given,suggested,score,rank,decided_at,verdict\n"));
    assert_non_null(strstr(text, "\"a \"\"note\"\", with\nnewline\""));
    /* read back: the same rows, hostile text byte-exact */
    rp_decisions_file in;
    assert_int_equal(rp_decisions_read(csv, &in, &err), 0);
    assert_int_equal(in.n, 2);
    assert_string_equal(in.rows[0].id, "ex-0");
    assert_string_equal(in.rows[0].new_label, h2);
    assert_string_equal(in.rows[0].note, "a \"note\", with\nnewline");
    assert_string_equal(in.rows[1].decision, "keep");
    assert_int_equal(in.rows[1].line, 4);   /* the quoted newline spans line 2-3 */
    assert_int_equal(db_import_decisions(f.db, f.run, csv, in.rows, in.n, NULL, &err), 0);
    rp_decisions_file_free(&in);
    /* --all exports the pending rows too; JSON is ASCII with escapes */
    rp_export_opts oj = {.format = RP_DECISIONS_JSON, .all = 1, .path = json};
    assert_int_equal(rp_decisions_export(f.db, f.run, &oj, &err), 0);
    text = slurp_file(json);
    assert_non_null(strstr(text, "\"decisions\""));
    assert_non_null(strstr(text, "\"pending\""));
    /* reader errors name file and line; nothing is returned */
    FILE *fp = fopen(csv, "w");
    fputs("id,note\nex-0,x\n", fp);
    fclose(fp);
    assert_int_equal(rp_decisions_read(csv, &in, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "no 'decision' column"));
    assert_int_equal(in.n, 0);
    fp = fopen(csv, "w");
    fputs("id,decision\nex-0,keep\nex-1\n", fp);
    fclose(fp);
    la_error_clear(&err);
    assert_int_equal(rp_decisions_read(csv, &in, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(rp_decisions_read("/nonexistent/x.csv", &in, &err), LA_EUSAGE);
    /* a field that is not UTF-8 (a spreadsheet saved as Latin-1) or holds a
     * NUL: refused naming line and column (fuzz finding: the import took
     * it and the JSON export then failed) */
    fp = fopen(csv, "wb");
    fputs("id,decision,note\nex-0,keep,ok\nex-1,keep,caf\xe9\n", fp);
    fclose(fp);
    la_error_clear(&err);
    assert_int_equal(rp_decisions_read(csv, &in, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    assert_int_equal(in.n, 0);
    fp = fopen(csv, "wb");
    fwrite("id,decision\nex-0,ke\0ep\n", 1, 23, fp);
    fclose(fp);
    la_error_clear(&err);
    assert_int_equal(rp_decisions_read(csv, &in, &err), LA_EUSAGE);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "NUL byte"));
    /* an unknown run is refused and the target is not created */
    unlink(json);
    assert_int_equal(rp_decisions_export(f.db, 42, &oj, &err), LA_EUSAGE);
    assert_int_equal(access(json, F_OK), -1);
    unlink(csv);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_filters),
        cmocka_unit_test(test_status_valid),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_verdict_summary),
        cmocka_unit_test(test_export_read_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
