/*
 * db_consensus.c — several reviewers' decisions of one run as multi-annotator
 * labels (audit/cs_io.h's cs_labels) for `consensus --db`: the decision log
 * is append-only, so every reviewer's latest decision on every queue row is
 * still there even when another reviewer decided the row after them.
 *
 * keep means the given label, relabel the new one; drop, skip and pending
 * give no label. Undone entries do not count. Read-only.
 * The answers of several-reviewer sessions (db_reviews.c) are logged the
 * same way (an undo names the entry it undoes, a withdrawn answer is a
 * 'pending' entry), so what this reads for them is exactly the answers held
 * in table reviews (tests/unit/test_consensus_db.c checks it).
 */
#include "db_sql.h"
#include "../audit/cs_io.h"

#include <stdlib.h>
#include <string.h>

/* Each (queue row, reviewer)'s latest entry that is neither an undo nor undone. */
static const char db_cs_sql[] =
    "WITH live AS (SELECT d.id, d.queue_id, COALESCE(d.reviewer, '') AS reviewer, d.status, d.new_label"
    "              FROM decision_log d WHERE d.run_id = ?1 AND d.source <> 'undo'"
    "              AND d.id NOT IN (SELECT undoes FROM decision_log WHERE undoes IS NOT NULL)),"
    " latest AS (SELECT queue_id, reviewer, MAX(id) AS id FROM live GROUP BY queue_id, reviewer)"
    " SELECT q.row, q.dataset_id, l.reviewer, l.status, l.new_label, e.given"
    " FROM latest t JOIN live l ON l.id = t.id JOIN queue q ON q.id = l.queue_id"
    " JOIN examples e ON e.run_id = q.run_id AND e.row = q.row"
    " WHERE l.status IN ('keep', 'relabel') ORDER BY q.row, l.reviewer";

/* The index of name in *names (appended when new). */
static long db_cs_reviewer(char ***names, size_t *m, const char *name)
{
    for (size_t j = 0; j < *m; j++)
        if (!strcmp((*names)[j], name)) return (long)j;
    char **v = realloc(*names, (*m + 1) * sizeof *v);
    if (!v) return -1;
    *names = v;
    if (!(v[*m] = la_strdup(name[0] ? name : "unknown"))) return -1;
    return (long)(*m)++;
}

typedef struct db_cs_cell { int64_t row; long ann; int32_t y; } db_cs_cell;

/* The cells into out (examples in row order, reviewers by name). */
static int db_cs_build(const db_cs_cell *c, size_t nc, char **ids_by_cell, cs_labels *out, int64_t **rows,
                       la_error *err)
{
    size_t n = 0;
    for (size_t t = 0; t < nc; t++) n += t == 0 || c[t].row != c[t - 1].row;
    out->n = n;
    out->y = la_malloc_array(n * out->m + 1, sizeof *out->y);
    out->ids = la_calloc(n + 1, sizeof *out->ids);
    *rows = la_malloc_array(n + 1, sizeof **rows);
    if (!out->y || !out->ids || !*rows) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t e = 0; e < n * out->m; e++) out->y[e] = CS_MISSING;
    size_t i = 0;
    for (size_t t = 0; t < nc; t++) {
        if (t > 0 && c[t].row != c[t - 1].row) i++;
        if (t == 0 || c[t].row != c[t - 1].row) {
            (*rows)[i] = c[t].row;
            out->ids[i] = ids_by_cell[t];
            ids_by_cell[t] = NULL;
        }
        out->y[i * out->m + (size_t)c[t].ann] = c[t].y;
    }
    return 0;
}

int db_consensus_labels(sqlite3 *db, int64_t run_id, int64_t k, cs_labels *out, int64_t **rows, la_error *err)
{
    memset(out, 0, sizeof *out);
    *rows = NULL;
    sqlite3_stmt *st = NULL;
    if (db_sql_prepare(db, db_cs_sql, &st, err)) return err->status;
    sqlite3_bind_int64(st, 1, run_id);
    db_cs_cell *cells = NULL;
    char **ids = NULL;
    size_t nc = 0, cap = 0;
    int rc = 0, s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW && !rc) {
        if (nc == cap) {
            size_t ncap = cap ? 2 * cap : 256;
            db_cs_cell *v = realloc(cells, ncap * sizeof *v);
            if (v) cells = v;
            char **w = realloc(ids, ncap * sizeof *w);
            if (w) ids = w;
            if (!v || !w) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
            cap = ncap;
        }
        const char *rev = (const char *)sqlite3_column_text(st, 2), *status = (const char *)sqlite3_column_text(st, 3);
        int relabel = status && !strcmp(status, "relabel");
        int64_t y = relabel ? sqlite3_column_int64(st, 4) : sqlite3_column_int64(st, 5);
        long ann = db_cs_reviewer(&out->annotators, &out->m, rev ? rev : "");
        ids[nc] = db_sql_col_strdup(st, 1);
        if (ann < 0 || !ids[nc]) { rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); break; }
        if (y < 0 || y >= k || (relabel && sqlite3_column_type(st, 4) == SQLITE_NULL))
            rc = la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0, "run %lld, example '%.200s': "
                              "reviewer '%.200s' gave class %lld, outside the run's %lld classes", (long long)run_id,
                              ids[nc], out->annotators[ann], (long long)y, (long long)k);
        cells[nc++] = (db_cs_cell){sqlite3_column_int64(st, 0), ann, (int32_t)y};
    }
    if (!rc && s != SQLITE_DONE) rc = db_sql_fail(db, err, "reading reviewers' decisions");
    sqlite3_finalize(st);
    if (!rc && !nc)
        rc = la_error_set(err, LA_EUSAGE, sqlite3_db_filename(db, "main"), 0, "run %lld has no keep or relabel "
                          "decisions: nothing to reach a consensus on", (long long)run_id);
    if (!rc) rc = db_cs_build(cells, nc, ids, out, rows, err);
    for (size_t t = 0; t < nc; t++) free(ids[t]);
    free(ids);
    free(cells);
    if (rc) {
        cs_labels_free(out);
        free(*rows);
        *rows = NULL;
    }
    return rc;
}
