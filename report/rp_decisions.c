/*
 * rp_decisions.c — the decisions export writers and the import CSV reader
 * (rp_decisions.h). The reader is libcsv in strict mode fed line by line, so
 * every error names the line where the bad row began.
 */
#include "rp_decisions.h"
#include "../util/la_json.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    fputs("id,decision,new_label,reviewer,note,given,suggested,score,rank,decided_at,verdict\n", fp);
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
        csv_field(fp, it->decided_at, 0);
        csv_field(fp, it->verdict, 1);
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
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s, s:s, s:f, s:o, s:o, s:i, s:o}",
                              "id", it->dataset_id, "decision", it->status,
                              "new_label", it->new_label >= 0 ? json_string(class_name(run, it->new_label)) : json_null(),
                              "reviewer", opt_str(it->reviewer), "note", opt_str(it->note),
                              "given", class_name(run, it->given),
                              "suggested", class_name(run, it->suggested),
                              "score", isfinite(it->quality) ? it->quality : 0.0,
                              "rank", it->rank > 0 ? json_integer(it->rank) : json_null(),
                              "decided_at", opt_str(it->decided_at), "version", it->version,
                              "verdict", opt_str(it->verdict));
        if (!o || json_array_append_new(arr, o)) goto oom;
    }
    int rc = la_json_print(root, fp, LA_JSON_EXPORT);
    json_decref(root);
    return rc ? -1 : 0;
oom:
    json_decref(root);
    return -1;
}

/* Writes the export to fp; 0, or -1 when writing failed. */
static int export_to(FILE *fp, const db_run *run, const db_items *items, rp_decisions_format format)
{
    if (format == RP_DECISIONS_JSON) return export_json(fp, run, items);
    export_csv(fp, run, items);
    return ferror(fp) ? -1 : 0;
}

int rp_decisions_export(sqlite3 *db, int64_t run_id, const rp_export_opts *o, la_error *err)
{
    assert(db && o && (o->path || o->stream));
    db_run run;
    db_items items = {0, NULL};
    if (run_id <= 0 && db_review_run(db, &run_id, err)) return err->status;
    if (db_load_run(db, run_id, &run, err)) return err->status;
    db_filter f;
    db_filter_init(&f);
    f.status = o->all ? NULL : "decided";
    if (db_queue_list(db, run_id, &f, &items, NULL, err)) {
        db_run_free(&run);
        return err->status;
    }
    int rc = 0;
    if (o->path) {
        la_atomic_file af;
        if (!(rc = la_atomic_open(&af, o->path, err))) {
            if (export_to(af.fp, &run, &items, o->format)) {
                la_atomic_abort(&af);
                rc = la_error_set(err, LA_EINTERNAL, o->path, 0, "cannot write the export");
            } else {
                rc = la_atomic_commit(&af, err);
            }
        }
    } else if (export_to(o->stream, &run, &items, o->format) || fflush(o->stream)) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "cannot write the export");
    }
    db_items_free(&items);
    db_run_free(&run);
    return rc;
}

/* ---- import ---------------------------------------------------------------- */

enum { COL_ID, COL_DECISION, COL_LABEL, COL_REVIEWER, COL_NOTE, COL_VERDICT, NCOLS };
static const char *const col_names[NCOLS] = {"id", "decision", "new_label", "reviewer", "note", "verdict"};

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
    if (memchr(data, 0, len)) {   /* C strings from here on: a NUL would cut the field short */
        la_error_set(&s->err, LA_EUSAGE, s->file, s->line, "a NUL byte in field %zu", s->nfields + 1);
        return;
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
    /* Every column read must be UTF-8: the JSON export, the review page and
     * the report carry these strings, and jansson refuses anything else (a
     * spreadsheet saved as Latin-1 used to import, then broke the export). */
    for (int c = 0; c < NCOLS; c++) {
        if (s->col[c] < 0) continue;
        const char *f = s->fields[s->col[c]];
        size_t n = strlen(f), at = la_utf8_check(f, n);
        if (at == n) continue;
        la_error_setc(&s->err, LA_EUSAGE, s->file, s->row_line, col_names[c],
                      "not valid UTF-8 (byte %zu of the field): save the file as UTF-8", at + 1);
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
    *r = (db_import_row){s->row_line, v[COL_ID], v[COL_DECISION], v[COL_LABEL], v[COL_REVIEWER], v[COL_NOTE],
                          v[COL_VERDICT]};
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

int rp_decisions_read(const char *path, rp_decisions_file *out, la_error *err)
{
    assert(path && out);
    memset(out, 0, sizeof *out);
    import_state s;
    memset(&s, 0, sizeof s);
    s.file = path;
    if (parse_import(path, &s)) {
        *err = s.err;
        import_state_free(&s);
        return err->status;
    }
    drop_fields(&s);
    free(s.fields);
    out->rows = s.rows;
    out->n = s.nrows;
    out->owned = s.owned;
    out->nowned = s.nowned;
    return 0;
}

void rp_decisions_file_free(rp_decisions_file *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->nowned; i++) free(f->owned[i]);
    free(f->owned);
    free(f->rows);
    memset(f, 0, sizeof *f);
}
