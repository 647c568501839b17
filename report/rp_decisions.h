/*
 * rp_decisions.h — review decisions in and out of the database as files: the
 * export (CSV or JSON) of a run's queue, and the reader of an import CSV made
 * elsewhere (header id,decision,new_label,reviewer,note[,verdict], columns
 * found by name) whose rows db_import_decisions then applies all or nothing. The CSV
 * written here reads back unchanged: fields are quoted whenever they hold
 * , " CR or LF. Not here: option parsing and messages (cli/cmd_decisions.c).
 */
#ifndef LA_RP_DECISIONS_H
#define LA_RP_DECISIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../db/db.h"

typedef enum rp_decisions_format { RP_DECISIONS_CSV, RP_DECISIONS_JSON } rp_decisions_format;

typedef struct rp_export_opts {
    rp_decisions_format format;
    int         all;       /* pending rows too (decision 'pending')              */
    const char *path;      /* written atomically (temp + rename); NULL: to stream */
    FILE       *stream;    /* used when path is NULL                              */
} rp_export_opts;

/* Writes the decisions of run run_id (<= 0: db_review_run's) in queue order.
 * CSV columns id,decision,new_label,reviewer,note,given,suggested,score,rank,
 * decided_at,verdict (class names, not indices; verdict empty when none); JSON {run, classes, decisions: [...]}
 * indented, ASCII only. Returns 0; LA_EUSAGE (no such run); LA_EINTERNAL
 * (write failed: then o->path is as it was). */
int rp_decisions_export(sqlite3 *db, int64_t run_id, const rp_export_opts *o, la_error *err);

/* The rows of an import CSV; strings owned by the struct. */
typedef struct rp_decisions_file {
    db_import_row *rows;
    size_t         n;
    char         **owned;    /* every string the rows point into             */
    size_t         nowned;
} rp_decisions_file;

/* Reads path (a UTF-8 BOM is skipped; extra columns ignored; id and decision
 * columns required). Returns 0, or LA_EUSAGE naming path:line (unreadable,
 * empty, malformed CSV, a missing or doubled column, a row with the wrong
 * field count) / LA_EINTERNAL (out of memory); *out is empty then. Free with
 * rp_decisions_file_free (zeroed-safe). Rows are not validated against a run:
 * db_import_decisions does that. */
int  rp_decisions_read(const char *path, rp_decisions_file *out, la_error *err);
void rp_decisions_file_free(rp_decisions_file *f);

#endif
