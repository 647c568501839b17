/*
 * fuzz_decisions.c — libFuzzer target for `decisions --import FILE`
 * (report/rp_decisions.h): the input is the import CSV. It is read with
 * rp_decisions_read and, when it parses, applied with db_import_decisions
 * to a fresh in-memory copy of the review database ($LA_FUZZ_DB, built by
 * run.sh: run 1 over a hostile-names manifest, every example queued), so
 * each input starts from the same queue.
 *
 * Contract checked after a successful import: the CSV export of the run
 * reads back with rp_decisions_read and imports again (the export is meant
 * to round-trip, whatever the class names, ids and notes hold). Without
 * $LA_FUZZ_DB only the reader runs.
 */
#include "fuzz_common.h"
#include <sqlite3.h>
#include "../../report/rp_decisions.h"

static sqlite3 *pristine;

static void decisions_setup(void)
{
    static int done;
    if (done) return;
    done = 1;
    const char *db = getenv("LA_FUZZ_DB");
    if (!db || !*db) return;
    if (sqlite3_open_v2(db, &pristine, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_decisions: cannot open %s\n", db);
        abort();
    }
}

/* A fresh in-memory copy of the pristine database, or NULL. */
static sqlite3 *decisions_copy(void)
{
    sqlite3 *mem = NULL;
    if (sqlite3_open(":memory:", &mem) != SQLITE_OK) { sqlite3_close(mem); return NULL; }
    sqlite3_backup *b = sqlite3_backup_init(mem, "main", pristine, "main");
    if (!b) { sqlite3_close(mem); return NULL; }
    sqlite3_backup_step(b, -1);
    if (sqlite3_backup_finish(b) != SQLITE_OK) { sqlite3_close(mem); return NULL; }
    sqlite3_exec(mem, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    return mem;
}

/* Export run 1 as CSV, read it back, import it again: each step must work. */
static void decisions_roundtrip(sqlite3 *mem)
{
    char out[512];
    snprintf(out, sizeof out, "%s/export.csv", fz_tmpdir());
    la_error err;
    la_error_clear(&err);
    rp_export_opts o;
    memset(&o, 0, sizeof o);
    o.format = RP_DECISIONS_CSV;
    o.path = out;
    if (rp_decisions_export(mem, 0, &o, &err)) { fprintf(stderr, "export: %s\n", err.msg); abort(); }
    rp_decisions_file f;
    memset(&f, 0, sizeof f);
    la_error_clear(&err);
    if (rp_decisions_read(out, &f, &err)) { fprintf(stderr, "re-read: %ld: %s\n", err.line, err.msg); abort(); }
    la_error_clear(&err);
    if (db_import_decisions(mem, 0, out, f.rows, f.n, NULL, &err)) {
        fprintf(stderr, "re-import: %ld: %s\n", err.line, err.msg);
        abort();
    }
    rp_decisions_file_free(&f);
    /* JSON too, to a file: only that it is written */
    o.format = RP_DECISIONS_JSON;
    la_error_clear(&err);
    if (rp_decisions_export(mem, 0, &o, &err)) { fprintf(stderr, "json export: %s\n", err.msg); abort(); }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    decisions_setup();
    char path[512];
    fz_write("decisions.csv", data, size, path, sizeof path);
    rp_decisions_file f;
    memset(&f, 0, sizeof f);
    la_error err;
    la_error_clear(&err);
    if (rp_decisions_read(path, &f, &err)) return 0;
    if (pristine) {
        sqlite3 *mem = decisions_copy();
        if (mem) {
            la_error_clear(&err);
            if (db_import_decisions(mem, 0, path, f.rows, f.n, NULL, &err) == 0) decisions_roundtrip(mem);
            sqlite3_close(mem);
        }
    }
    rp_decisions_file_free(&f);
    return 0;
}
