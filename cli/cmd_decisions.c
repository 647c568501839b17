/*
 * cmd_decisions.c — `labelaudit decisions`: moves review decisions out of the
 * database (CSV or JSON) and in from a CSV made elsewhere.
 * Export is a read; import is all-or-nothing (db_import_decisions validates
 * every row inside one transaction). The CSV written here reads back through
 * --import unchanged: fields are quoted whenever they hold , " CR or LF.
 */
#include <csv.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"

static const char decisions_usage[] =
    "usage: labelaudit decisions --db FILE [--run N] [--format csv|json] [--all] [--out FILE]\n"
    "       labelaudit decisions --db FILE [--run N] --import FILE\n"
    "\n"
    "Exports the review decisions of a run (default: the latest), or imports\n"
    "decisions made elsewhere.\n"
    "\n"
    "  --db FILE        the labelaudit database (required)\n"
    "  --run N          the run (default: the latest)\n"
    "  --format F       export format: csv (default) or json\n"
    "  --all            export pending rows too (decision 'pending')\n"
    "  --out FILE       write the export to FILE (atomically) instead of stdout\n"
    "  --import FILE    import a CSV with header id,decision,new_label,reviewer,note\n"
    "                   (columns found by name; extra columns ignored). decision is\n"
    "                   keep|relabel|drop|skip, new_label a class name (relabel only).\n"
    "                   Every row is checked; one bad row imports nothing.\n"
    "  --quiet          no summary on stderr\n"
    "  --help           this text\n"
    "\n"
    "CSV export columns: id,decision,new_label,reviewer,note,given,suggested,score,\n"
    "rank,decided_at (class names, not indices), readable back with --import.\n";

/* ---- export ---------------------------------------------------------------- */

/* Writes one CSV field, quoted (RFC 4180) when it holds , " CR or LF. */
static void csv_field(FILE *fp, const char *s, int last)
{
    if (!s) s = "";
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', fp);
        for (const char *p = s; *p; p++) {
            if (*p == '"') fputc('"', fp);
            fputc(*p, fp);
        }
        fputc('"', fp);
    } else {
        fputs(s, fp);
    }
    fputc(last ? '\n' : ',', fp);
}

static const char *class_name(const db_run *run, int64_t c)
{
    return c >= 0 && c < run->k && run->class_names[c] ? run->class_names[c] : "";
}

static void export_csv(FILE *fp, const db_run *run, const db_items *items)
{
    char num[64];
    fputs("id,decision,new_label,reviewer,note,given,suggested,score,rank,decided_at\n", fp);
    for (size_t i = 0; i < items->n; i++) {
        const db_item *it = &items->v[i];
        csv_field(fp, it->dataset_id, 0);
        csv_field(fp, it->status, 0);
        csv_field(fp, it->new_label >= 0 ? class_name(run, it->new_label) : "", 0);
        csv_field(fp, it->reviewer, 0);
        csv_field(fp, it->note, 0);
        csv_field(fp, class_name(run, it->given), 0);
        csv_field(fp, class_name(run, it->suggested), 0);
        snprintf(num, sizeof num, "%.6g", it->quality);
        csv_field(fp, num, 0);
        if (it->rank > 0) snprintf(num, sizeof num, "%lld", (long long)it->rank);
        else num[0] = '\0';
        csv_field(fp, num, 0);
        csv_field(fp, it->decided_at, 1);
    }
}

static json_t *opt_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int export_json(FILE *fp, const db_run *run, const db_items *items)
{
    json_t *root = json_object(), *arr = json_array();
    if (!root || !arr) goto oom;
    json_object_set_new(root, "run", json_integer(run->id));
    json_object_set_new(root, "decisions", arr);
    for (size_t i = 0; i < items->n; i++) {
        const db_item *it = &items->v[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:f, s:o, s:o, s:i}",
                              "id", it->dataset_id, "decision", it->status,
                              "new_label", it->new_label >= 0 ? json_string(class_name(run, it->new_label)) : json_null(),
                              "reviewer", opt_str(it->reviewer), "note", opt_str(it->note),
                              "given", class_name(run, it->given),
                              "suggested", class_name(run, it->suggested),
                              "score", isfinite(it->quality) ? it->quality : 0.0,
                              "rank", it->rank > 0 ? json_integer(it->rank) : json_null(),
                              "decided_at", opt_str(it->decided_at), "version", it->version);
        if (!o || json_array_append_new(arr, o)) goto oom;
    }
    int rc = json_dumpf(root, fp, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', fp);
    json_decref(root);
    return rc ? -1 : 0;
oom:
    json_decref(root);
    return -1;
}

static int do_export(sqlite3 *db, int64_t run_id, int json, int all, const char *out)
{
    la_error err;
    db_run run;
    db_items items = {0, NULL};
    db_filter f;
    la_error_clear(&err);
    if (run_id <= 0 && db_review_run(db, &run_id, &err)) return cli_report(&err);
    if (db_load_run(db, run_id, &run, &err)) return cli_report(&err);
    db_filter_init(&f);
    f.status = all ? NULL : "decided";
    if (db_queue_list(db, run_id, &f, &items, NULL, &err)) {
        db_run_free(&run);
        return cli_report(&err);
    }
    la_atomic_file af;
    FILE *fp = stdout;
    int rc = 0;
    if (out) {
        if (la_atomic_open(&af, out, &err)) goto done;
        fp = af.fp;
    }
    if (json) rc = export_json(fp, &run, &items);
    else export_csv(fp, &run, &items);
    if (out) {
        if (rc) la_atomic_abort(&af);
        else la_atomic_commit(&af, &err);
    } else if (fflush(stdout)) {
        rc = -1;
    }
    if (rc && !err.status) la_error_set(&err, LA_EINTERNAL, out, 0, "cannot write the export");
done:
    db_items_free(&items);
    db_run_free(&run);
    return err.status ? cli_report(&err) : LA_OK;
}

/* ---- import ---------------------------------------------------------------- */

enum { COL_ID, COL_DECISION, COL_LABEL, COL_REVIEWER, COL_NOTE, NCOLS };
static const char *const col_names[NCOLS] = {"id", "decision", "new_label", "reviewer", "note"};

/* libcsv callback state: the header map, then the rows as borrowed strings. */
typedef struct import_state {
    const char *file;
    long line;                 /* physical line being fed                     */
    long row_line;             /* line where the current row began            */
    int  in_row;
    char **fields;             /* fields of the current row                   */
    size_t nfields, capfields;
    int  col[NCOLS];           /* header position of each column, -1 absent   */
    size_t header_n;           /* 0 until the header was read                 */
    db_import_row *rows;
    char **owned;              /* every kept string, for freeing              */
    size_t nrows, caprows, nowned, capowned;
    la_error err;
} import_state;

static int keep_string(import_state *s, char *p)
{
    if (s->nowned == s->capowned) {
        size_t ncap = s->capowned ? s->capowned * 2 : 256;
        char **nv = realloc(s->owned, ncap * sizeof *nv);
        if (!nv) return -1;
        s->owned = nv;
        s->capowned = ncap;
    }
    s->owned[s->nowned++] = p;
    return 0;
}

static void field_cb(void *data, size_t len, void *ctx)
{
    import_state *s = ctx;
    if (s->err.status) return;
    if (!s->in_row) {
        s->in_row = 1;
        s->row_line = s->line;
    }
    if (s->nfields == s->capfields) {
        size_t ncap = s->capfields ? s->capfields * 2 : 8;
        char **nv = realloc(s->fields, ncap * sizeof *nv);
        if (!nv) goto oom;
        s->fields = nv;
        s->capfields = ncap;
    }
    char *f = malloc(len + 1);
    if (!f) goto oom;
    memcpy(f, data, len);
    f[len] = '\0';
    s->fields[s->nfields++] = f;
    return;
oom:
    la_error_set(&s->err, LA_EINTERNAL, s->file, s->line, "out of memory");
}

static void drop_fields(import_state *s)
{
    for (size_t i = 0; i < s->nfields; i++) free(s->fields[i]);
    s->nfields = 0;
}

static int read_header(import_state *s)
{
    for (int c = 0; c < NCOLS; c++) s->col[c] = -1;
    for (size_t i = 0; i < s->nfields; i++) {
        const char *name = s->fields[i];
        if (i == 0 && (unsigned char)name[0] == 0xEF && (unsigned char)name[1] == 0xBB &&
            (unsigned char)name[2] == 0xBF)
            name += 3;                                   /* UTF-8 byte order mark */
        for (int c = 0; c < NCOLS; c++) {
            if (strcmp(name, col_names[c]) != 0) continue;
            if (s->col[c] >= 0)
                return la_error_setc(&s->err, LA_EUSAGE, s->file, s->row_line, col_names[c],
                                     "column '%s' appears twice in the header", col_names[c]);
            s->col[c] = (int)i;
        }
    }
    for (int c = 0; c < 2; c++)
        if (s->col[c] < 0)
            return la_error_set(&s->err, LA_EUSAGE, s->file, s->row_line,
                                "header has no '%s' column (expected id,decision,new_label,reviewer,note)",
                                col_names[c]);
    s->header_n = s->nfields;
    drop_fields(s);
    return 0;
}

static void row_cb(int term, void *ctx)
{
    import_state *s = ctx;
    (void)term;
    if (s->err.status) {
        drop_fields(s);
        s->in_row = 0;
        return;
    }
    if (!s->in_row) s->row_line = s->line;    /* a row that was a lone empty field */
    s->in_row = 0;
    if (!s->header_n) {
        read_header(s);
        drop_fields(s);
        return;
    }
    if (s->nfields != s->header_n) {
        la_error_set(&s->err, LA_EUSAGE, s->file, s->row_line, "expected %zu fields, got %zu",
                     s->header_n, s->nfields);
        drop_fields(s);
        return;
    }
    if (s->nrows == s->caprows) {
        size_t ncap = s->caprows ? s->caprows * 2 : 64;
        db_import_row *nv = realloc(s->rows, ncap * sizeof *nv);
        if (!nv) goto oom;
        s->rows = nv;
        s->caprows = ncap;
    }
    for (size_t i = 0; i < s->nfields; i++) {
        if (keep_string(s, s->fields[i])) {
            for (size_t j = i; j < s->nfields; j++) free(s->fields[j]);  /* not yet owned */
            s->nfields = 0;
            goto oom;
        }
    }
    db_import_row *r = &s->rows[s->nrows++];
    const char *v[NCOLS];
    for (int c = 0; c < NCOLS; c++) v[c] = s->col[c] >= 0 ? s->fields[s->col[c]] : "";
    *r = (db_import_row){s->row_line, v[COL_ID], v[COL_DECISION], v[COL_LABEL], v[COL_REVIEWER], v[COL_NOTE]};
    s->nfields = 0;                           /* ownership moved to s->owned */
    return;
oom:
    drop_fields(s);
    la_error_set(&s->err, LA_EINTERNAL, s->file, s->row_line, "out of memory");
}

static void import_state_free(import_state *s)
{
    drop_fields(s);
    free(s->fields);
    for (size_t i = 0; i < s->nowned; i++) free(s->owned[i]);
    free(s->owned);
    free(s->rows);
}

/* Parses the import CSV into s->rows; err in s->err. */
static int parse_import(const char *path, import_state *s)
{
    struct csv_parser p;
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(&s->err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        fclose(fp);
        return la_error_set(&s->err, LA_EINTERNAL, path, 0, "out of memory");
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!s->err.status && (len = getline(&line, &cap, fp)) > 0) {
        s->line++;
        if (csv_parse(&p, line, (size_t)len, field_cb, row_cb, s) != (size_t)len && !s->err.status)
            la_error_set(&s->err, LA_EUSAGE, path, s->in_row ? s->row_line : s->line, "malformed CSV: %s",
                         csv_strerror(csv_error(&p)));
    }
    if (!s->err.status && ferror(fp)) la_error_set(&s->err, LA_EUSAGE, path, s->line, "read error");
    if (!s->err.status && csv_fini(&p, field_cb, row_cb, s) != 0)
        la_error_set(&s->err, LA_EUSAGE, path, s->in_row ? s->row_line : s->line,
                     "malformed CSV: %s (a quoted field is never closed)", csv_strerror(csv_error(&p)));
    if (!s->err.status && !s->header_n) la_error_set(&s->err, LA_EUSAGE, path, 0, "empty file: no header row");
    csv_free(&p);
    free(line);
    fclose(fp);
    return s->err.status;
}

static int do_import(sqlite3 *db, int64_t run_id, const char *path, int quiet)
{
    import_state s;
    memset(&s, 0, sizeof s);
    s.file = path;
    if (parse_import(path, &s)) {
        import_state_free(&s);
        return cli_report(&s.err);
    }
    la_error err;
    size_t applied = 0;
    la_error_clear(&err);
    int rc = db_import_decisions(db, run_id, path, s.rows, s.nrows, &applied, &err);
    import_state_free(&s);
    if (rc) return cli_report(&err);
    cli_info(quiet, "labelaudit decisions: imported %zu decision%s from %s\n", applied, applied == 1 ? "" : "s", path);
    return LA_OK;
}

/* ---- command --------------------------------------------------------------- */

int cmd_decisions(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"run", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'}, {"all", no_argument, NULL, 'a'},
        {"out", required_argument, NULL, 'o'},    {"import", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *dbpath = NULL, *import = NULL, *out = NULL;
    long run = 0;
    int json = 0, all = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dbpath = optarg; break;
        case 'r':
            if (cli_parse_long("decisions", "run", optarg, 1, LONG_MAX, &run))
                return LA_EUSAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "csv")) json = 0;
            else return cli_usage_error("decisions", "--format must be csv or json, got '%s'", optarg);
            break;
        case 'a': all = 1; break;
        case 'o': out = optarg; break;
        case 'i': import = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(decisions_usage, stdout); return LA_OK;
        default: return cli_getopt_error("decisions", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("decisions", "unexpected argument '%s'", argv[optind]);
    if (!dbpath) return cli_usage_error("decisions", "--db FILE is required");
    if (import && (out || json || all))
        return cli_usage_error("decisions", "--import cannot be combined with --out, --format or --all");
    struct stat stb;
    if (stat(dbpath, &stb) != 0) {
        fprintf(stderr, "labelaudit: %s: no such database (run 'labelaudit audit --db' first)\n", dbpath);
        return LA_EUSAGE;
    }
    sqlite3 *db = NULL;
    la_error err;
    la_error_clear(&err);
    if (db_open(dbpath, &db, &err)) return cli_report(&err);
    int rc = import ? do_import(db, run, import, quiet) : do_export(db, run, json, all, out);
    db_close(db);
    return rc;
}
