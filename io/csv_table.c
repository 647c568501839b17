/*
 * csv_table.c — the CSV record reader (libcsv, strict, physical line numbers)
 * and the CSV table loader.
 *
 * Line numbers: the file is fed to libcsv one physical line at a time, so the
 * line counter is exact; a record starts on the first non-blank line after the
 * previous record ended (quoted fields may carry it over several lines).
 * Memory: cells are parsed straight into the N x D float block in the last
 * pass; only ids, labels and the category values of string columns are kept.
 */
#include "csv_table.h"
#include "loader.h"

#include <assert.h>
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the reader */

typedef struct csv_reader {
    const char      *path;
    io_csv_record_fn fn;
    void            *ctx;
    la_error        *err;
    char            *buf;        /* current record's fields, NUL-separated   */
    size_t           len, cap;
    size_t          *offs;       /* field start offsets into buf             */
    size_t          *lens;
    size_t           nf, fcap;
    char           **fields;     /* pointers handed to fn                    */
    long             line;       /* physical line being fed                  */
    long             rec_line;   /* line where the current record began      */
    int              at_start;   /* next non-blank line starts a record      */
    int              rc;         /* first failure (or IO_CSV_STOP)           */
} csv_reader;

static int never_space(unsigned char c) { (void)c; return 0; }

static void on_field(void *s, size_t len, void *data)
{
    csv_reader *r = data;
    if (r->rc) return;
    if (r->nf == r->fcap) {
        size_t nc = r->fcap ? r->fcap * 2 : 64;
        size_t *no = realloc(r->offs, nc * sizeof *no);
        if (no) r->offs = no;
        size_t *nl = realloc(r->lens, nc * sizeof *nl);
        if (nl) r->lens = nl;
        char **nfp = realloc(r->fields, nc * sizeof *nfp);
        if (nfp) r->fields = nfp;
        if (!no || !nl || !nfp) { r->rc = la_error_set(r->err, LA_EINTERNAL, r->path, r->line, "out of memory"); return; }
        r->fcap = nc;
    }
    if (r->len + len + 1 > r->cap) {
        size_t nc = r->cap ? r->cap : 4096;
        while (nc < r->len + len + 1) nc *= 2;
        char *nb = realloc(r->buf, nc);
        if (!nb) { r->rc = la_error_set(r->err, LA_EINTERNAL, r->path, r->line, "out of memory"); return; }
        r->buf = nb;
        r->cap = nc;
    }
    if (len) memcpy(r->buf + r->len, s, len);
    r->buf[r->len + len] = 0;
    r->offs[r->nf] = r->len;
    r->lens[r->nf] = len;
    r->nf++;
    r->len += len + 1;
}

static void on_record(int c, void *data)
{
    csv_reader *r = data;
    (void)c;
    size_t bad = r->rc ? r->len : la_utf8_check(r->buf, r->len);
    if (bad < r->len) {   /* names, labels and ids end up in JSON and HTML: UTF-8 only */
        size_t f = 0;
        while (f + 1 < r->nf && r->offs[f + 1] <= bad) f++;
        r->rc = la_error_set(r->err, LA_EUSAGE, r->path, r->rec_line, "field %zu is not valid UTF-8 (byte 0x%02X)",
                             f + 1, (unsigned char)r->buf[bad]);
    }
    if (!r->rc) {
        for (size_t i = 0; i < r->nf; i++) r->fields[i] = r->buf + r->offs[i];
        r->rc = r->fn(r->ctx, r->rec_line, r->nf, r->fields, r->lens, r->err);
    }
    r->nf = 0;
    r->len = 0;
    r->at_start = 1;
}

static int blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

int io_csv_read(const char *path, io_csv_record_fn fn, void *ctx, la_error *err)
{
    assert(path && fn && err);
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)) {
        fclose(fp);
        return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    csv_set_space_func(&p, never_space);
    csv_reader r = {.path = path, .fn = fn, .ctx = ctx, .err = err, .at_start = 1};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long records = 0;
    int any_byte = 0;
    while (!r.rc && (n = getline(&line, &cap, fp)) > 0) {
        char *s = line;
        r.line++;
        any_byte = 1;
        if (r.line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { s += 3; n -= 3; }
        if (memchr(s, 0, (size_t)n)) {
            r.rc = la_error_set(err, LA_EUSAGE, path, r.line, "NUL byte in the text (binary file?)");
            break;
        }
        if (r.at_start && !blank_line(s, (size_t)n)) {
            r.rec_line = r.line;
            r.at_start = 0;
            records++;
        }
        if (csv_parse(&p, s, (size_t)n, on_field, on_record, &r) != (size_t)n && !r.rc)
            r.rc = la_error_set(err, LA_EUSAGE, path, r.line,
                                "malformed quoting (%s): a quote inside an unquoted field or text after a closing quote",
                                csv_strerror(csv_error(&p)));
    }
    if (!r.rc && ferror(fp)) r.rc = la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", strerror(errno));
    if (!r.rc && !any_byte) r.rc = la_error_set(err, LA_EUSAGE, path, 0, "empty file: no header row");
    if (!r.rc && records == 0) r.rc = la_error_set(err, LA_EUSAGE, path, 0, "no header row (only blank lines)");
    if (!r.rc && csv_fini(&p, on_field, on_record, &r) != 0 && !r.rc)
        r.rc = la_error_set(err, LA_EUSAGE, path, r.rec_line,
                            "unterminated quoted field: a quote opened in the record starting on this line is never closed");
    csv_free(&p);
    free(line);
    fclose(fp);
    free(r.buf);
    free(r.offs);
    free(r.lens);
    free(r.fields);
    return r.rc == IO_CSV_STOP ? 0 : r.rc;
}

typedef struct header_ctx { char **names; size_t n; } header_ctx;

static int header_cb(void *ctx, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    header_ctx *h = ctx;
    (void)line; (void)lens; (void)err;
    h->names = calloc(nf ? nf : 1, sizeof *h->names);
    if (!h->names) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        h->names[i] = la_strdup(fields[i]);
        if (!h->names[i]) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        h->n = i + 1;
    }
    return IO_CSV_STOP;
}

int io_csv_header(const char *path, char ***names, size_t *n, la_error *err)
{
    assert(path && names && n && err);
    header_ctx h = {0};
    int rc = io_csv_read(path, header_cb, &h, err);
    if (rc) {
        for (size_t i = 0; i < h.n; i++) free(h.names[i]);
        free(h.names);
        return rc;
    }
    *names = h.names;
    *n = h.n;
    return 0;
}

/* Tokens up to this length are parsed in a stack buffer; longer ones (a 5 MB
 * run of digits) are checked character by character first and copied only
 * when they are made of number characters. */
#define IO_NUM_SHORT 64

/* s[0..len) (trimmed) into tmp (len + 1 bytes) and through strtod: -1 when it
 * is not a decimal number, IO_NUM_OVERFLOW when it is one beyond a double. */
static int strict_strtod(const char *s, size_t len, char *tmp, double *out)
{
    int digits = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') digits = 1;
        else if (c != '+' && c != '-' && c != '.' && c != 'e' && c != 'E') return -1;
        tmp[i] = c;
    }
    if (!digits) return -1;
    tmp[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(tmp, &end);
    if (*end) return -1;
    if (!isfinite(v) || (errno == ERANGE && fabs(v) > 1.0)) return IO_NUM_OVERFLOW;
    *out = v;
    return 0;
}

static int parse_long_number(const char *s, size_t len, double *out)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.' || s[i] == 'e' || s[i] == 'E'))
            return -1;
    char *tmp = malloc(len + 1);
    if (!tmp) return -1;
    int rc = strict_strtod(s, len, tmp, out);
    free(tmp);
    return rc;
}

/* Exact powers of ten as doubles (10^22 is the largest exactly representable). */
static const double pow10_tab[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

int io_parse_number(const char *s, size_t len, double *out)
{
    assert(s && out);
    while (len && (*s == ' ' || *s == '\t')) { s++; len--; }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
    if (len == 0) return -1;
    if (len > IO_NUM_SHORT) return parse_long_number(s, len, out);
    /* fast path, exact (Clinger): [+-]digits[.digits] with at most 15
     * significant digits is m / 10^f with m < 2^53, and one correctly
     * rounded division of two exact doubles equals strtod's result. */
    {
        size_t i = 0;
        int neg = 0, ndig = 0, frac = 0, dot = 0;
        uint64_t m = 0;
        if (s[0] == '-' || s[0] == '+') { neg = s[0] == '-'; i = 1; }
        for (; i < len; i++) {
            char c = s[i];
            if (c >= '0' && c <= '9') {
                if (m || c != '0') ndig++;
                m = m * 10 + (uint64_t)(c - '0');
                frac += dot;
                if (ndig > 15) break;
            } else if (c == '.' && !dot) {
                dot = 1;
            } else {
                break;
            }
        }
        int digits_seen = (int)(i - (size_t)(s[0] == '-' || s[0] == '+')) - dot;
        if (i == len && ndig <= 15 && frac <= 22 && digits_seen > 0) {
            double v = (double)m / pow10_tab[frac];
            *out = neg ? -v : v;
            return 0;
        }
    }
    char tmp[IO_NUM_SHORT + 8];
    return strict_strtod(s, len, tmp, out);
}

/* ------------------------------------------------------------- the table */

typedef struct tcol {
    io_col_type type;
    size_t      n_num, n_text, n_missing;
    double      sum;              /* of the numeric values                   */
    long        first_text_line;
    char       *first_text;       /* first value that is not a number        */
    io_strtab   cats;             /* value -> first-seen code (pass 2)       */
    char      **cat_names;        /* first-seen order                        */
    size_t      n_cats, cap_cats;
    size_t     *cat_counts;       /* per first-seen code                     */
    int        *cat_rank;         /* first-seen code -> sorted position      */
} tcol;

typedef struct table {
    const char         *path;
    const io_load_opts *opts;
    la_dataset         *ds;
    int                 pass;      /* 1 structure, 2 categories, 3 matrix    */
    size_t              ncols;
    tcol               *cols;
    int                 label_col, id_col;
    io_classset         classes;
    io_strtab           id_index;  /* id -> row                              */
    size_t              n, cap;    /* rows so far (pass 1), capacity         */
    long               *line_of;   /* physical line of each row              */
    size_t              row;       /* row cursor in passes 2 and 3           */
    int                 index_col; /* an unnamed pandas index column that is */
                                   /* not the id (ignored), or -1            */
    io_trim_log         trimmed;   /* labels cut by the whitespace rule      */
} table;

/* A categorical column whose values are distinct in at least this share of
 * its rows (percent), in a table of more than IO_IDLIKE_MIN_ROWS rows, is an
 * id, not a feature: one-hot encoding it would make a feature per row. It
 * becomes the id column when there is none and it is unique in every row;
 * otherwise the load is refused, naming --id-col and --features. With
 * --features the user chose the columns: no check. With --id-col naming a
 * column the file does not have (the user chose row numbers as ids) it stays
 * a feature, with a warning. */
#define IO_IDLIKE_PERCENT 95
#define IO_IDLIKE_MIN_ROWS 50
/* A categorical column with more distinct values than this gets a warning
 * (each value becomes a feature). */
#define IO_MANY_LEVELS 1000

/* pandas writes its index as a first column with an empty name (to_csv) or,
 * read back and written again, as "Unnamed: 0". */
static int pandas_index_name(const char *name)
{
    return name[0] == '\0' || !strcmp(name, "Unnamed: 0");
}

static int find_col(const table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (!strcmp(t->ds->columns[i].name, name)) return (int)i;
    return -1;
}

/* Marks the feature columns: those of --features (a comma list; a name holding
 * a comma is written in double quotes, "" for a quote), else every column but
 * the label and the id. */
static int mark_features(table *t, la_error *err)
{
    for (size_t i = 0; i < t->ncols; i++)
        if ((int)i != t->label_col && (int)i != t->id_col)
            t->cols[i].type = t->opts->features || (int)i == t->index_col ? IO_COL_UNUSED : IO_COL_NUMERIC;
    if (!t->opts->features) return 0;
    const char *list = t->opts->features;
    size_t L = strlen(list);
    char *cur = malloc(L + 1);
    if (!cur) return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
    size_t k = 0, nsel = 0;
    int inq = 0, rc = 0;
    for (size_t i = 0; i <= L && !rc; i++) {
        char ch = list[i];
        if (inq) {
            if (ch == '"' && list[i + 1] == '"') { cur[k++] = '"'; i++; }
            else if (ch == '"') inq = 0;
            else if (ch == 0) rc = la_error_set(err, LA_EUSAGE, t->path, 0, "--features: unterminated quote in '%s'", list);
            else cur[k++] = ch;
            continue;
        }
        if (ch == '"') { inq = 1; continue; }
        if (ch != ',' && ch != 0) { cur[k++] = ch; continue; }
        cur[k] = 0;
        k = 0;
        int c = find_col(t, cur);
        if (c < 0)
            rc = la_error_setc(err, LA_EUSAGE, t->path, 1, cur, "--features names a column that is not in the header");
        else if (c == t->label_col || c == t->id_col)
            rc = la_error_setc(err, LA_EUSAGE, t->path, 1, cur, "--features names the %s column",
                               c == t->label_col ? "label" : "id");
        else if (t->cols[c].type == IO_COL_NUMERIC)
            rc = la_error_setc(err, LA_EUSAGE, t->path, 1, cur, "--features names this column twice");
        else {
            t->cols[c].type = IO_COL_NUMERIC;
            nsel++;
        }
    }
    free(cur);
    if (!rc && nsel == 0) rc = la_error_set(err, LA_EUSAGE, t->path, 0, "--features selects no column");
    return rc;
}


/* The header row: column names (unique), label and id columns, features. */
static int table_header(table *t, long line, size_t nf, char **fields, la_error *err)
{
    la_dataset *ds = t->ds;
    ds->columns = calloc(nf, sizeof *ds->columns);
    t->cols = calloc(nf, sizeof *t->cols);
    if (!ds->columns || !t->cols) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
    io_strtab seen = {0};     /* name -> column: a hash, so 100,000 columns stay linear */
    for (size_t i = 0; i < nf; i++) {
        ds->columns[i].name = la_strdup(fields[i]);
        int j = ds->columns[i].name ? io_strtab_put(&seen, ds->columns[i].name, (int)i) : -2;
        if (j == -2) { io_strtab_free(&seen); return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory"); }
        ds->n_columns = t->ncols = i + 1;
        if (j != (int)i) {
            io_strtab_free(&seen);
            return la_error_setc(err, LA_EUSAGE, t->path, line, fields[i],
                                 "column name appears twice in the header (columns %d and %zu)", j + 1, i + 1);
        }
    }
    io_strtab_free(&seen);
    t->label_col = find_col(t, t->opts->label_col);
    if (t->label_col < 0)
        return la_error_set(err, LA_EUSAGE, t->path, line, "no label column '%s' in the header (use --label-col NAME)",
                            t->opts->label_col);
    t->id_col = find_col(t, t->opts->id_col);
    if (t->label_col != 0 && pandas_index_name(fields[0])) {   /* df.to_csv(): the index */
        if (t->id_col < 0) {
            t->id_col = 0;
        } else if (t->id_col != 0) {
            t->index_col = 0;
            if (io_warn(&ds->warnings, &ds->n_warnings, "%s: column 1 has no name (a pandas index): ignored, the ids are "
                        "column '%s'", t->path, ds->columns[t->id_col].name))
                return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
        }
    }
    if (t->id_col == t->label_col)
        return la_error_set(err, LA_EUSAGE, t->path, line, "the id column and the label column are the same");
    t->cols[t->label_col].type = IO_COL_LABEL;
    if (t->id_col >= 0) t->cols[t->id_col].type = IO_COL_ID;
    return mark_features(t, err);
}

/* Grows the per-row arrays (ids, labels, line_of) to hold one more row. */
static int table_reserve(table *t)
{
    if (t->n < t->cap) return 0;
    size_t nc = t->cap ? t->cap * 2 : 1024;
    la_dataset *ds = t->ds;
    char **ids = realloc(ds->ids, nc * sizeof *ids);
    if (ids) ds->ids = ids;
    int32_t *labels = realloc(ds->labels, nc * sizeof *labels);
    if (labels) ds->labels = labels;
    long *lines = realloc(t->line_of, nc * sizeof *lines);
    if (lines) t->line_of = lines;
    if (!ids || !labels || !lines) return -1;
    t->cap = nc;
    return 0;
}

/* Pass 1: field count, label, id, missing cells and which values parse. */
static int table_row_pass1(table *t, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    la_dataset *ds = t->ds;
    if (nf != t->ncols)
        return la_error_set(err, LA_EUSAGE, t->path, line, "expected %zu fields, got %zu", t->ncols, nf);
    if (table_reserve(t)) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
    size_t r = t->n, label_len = lens[t->label_col];
    const char *label = io_label_trim(fields[t->label_col], &label_len, &t->trimmed, line);
    if (label_len == 0)
        return la_error_setc(err, LA_EUSAGE, t->path, line, ds->columns[t->label_col].name, "empty label");
    int code = io_classset_add(&t->classes, label);
    if (code < 0) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
    char *id;
    if (t->id_col >= 0) {
        if (lens[t->id_col] == 0)
            return la_error_setc(err, LA_EUSAGE, t->path, line, ds->columns[t->id_col].name, "empty id");
        id = la_strdup(fields[t->id_col]);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%zu", r);
        id = la_strdup(buf);
    }
    if (!id) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
    int prev = io_strtab_put(&t->id_index, id, (int)r);
    if (prev == -2) { free(id); return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory"); }
    if (prev != (int)r) {
        int rc = la_error_set(err, LA_EUSAGE, t->path, line, "duplicate id '%s': line %ld and line %ld have the same id",
                              id, t->line_of[prev], line);
        free(id);
        return rc;
    }
    ds->ids[r] = id;
    ds->labels[r] = code;
    t->line_of[r] = line;
    t->n = ds->n = r + 1;
    if (t->opts->progress) la_progress_update(t->opts->progress, (long long)t->n);
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        if (c->type == IO_COL_LABEL || c->type == IO_COL_ID) continue;
        if (lens[j] == 0) {
            c->n_missing++;
            if (c->type == IO_COL_UNUSED || t->opts->missing != IO_MISSING_ERROR) continue;
            return la_error_setc(err, LA_EUSAGE, t->path, line, ds->columns[j].name,
                                 "missing value (empty field); use --missing mean or --missing zero to fill it");
        }
        double v;
        int num = io_parse_number(fields[j], lens[j], &v);
        if (num == 0) {
            c->n_num++;
            c->sum += v;
        } else if (num == IO_NUM_OVERFLOW && c->type == IO_COL_NUMERIC) {
            return la_error_setc(err, LA_EUSAGE, t->path, line, ds->columns[j].name,
                                 "number '%.24s%s' (%zu characters) is too large for a double", fields[j],
                                 lens[j] > 24 ? "..." : "", lens[j]);
        } else {
            if (c->n_text++ == 0) {
                c->first_text = la_strdup(fields[j]);
                c->first_text_line = line;
                if (!c->first_text) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
            }
        }
    }
    return 0;
}

/* Pass 2: the distinct values of every categorical column, first-seen codes. */
static int table_row_pass2(table *t, long line, char **fields, la_error *err)
{
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        if (c->type != IO_COL_CATEGORICAL || fields[j][0] == 0) continue;
        int code = io_strtab_get(&c->cats, fields[j]);
        if (code < 0) {
            char *v = la_strdup(fields[j]);
            if (!v || io_strvec_push(&c->cat_names, &c->n_cats, &c->cap_cats, v)) {
                free(v);
                return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
            }
            size_t *cc = realloc(c->cat_counts, c->cap_cats * sizeof *cc);
            if (!cc) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
            c->cat_counts = cc;
            code = (int)(c->n_cats - 1);
            c->cat_counts[code] = 0;
            if (io_strtab_put(&c->cats, v, code) < 0) return la_error_set(err, LA_EINTERNAL, t->path, line, "out of memory");
        }
        c->cat_counts[code]++;
    }
    return 0;
}

/* Pass 3: one row of the matrix.
 *   numeric:      x_ij = value, or the fill (column mean / 0) when missing
 *   categorical:  x_i,feat0+rank(v) = 1; missing -> the category frequencies
 *                 (mean of each indicator) or all 0 */
static int table_row_pass3(table *t, long line, char **fields, const size_t *lens, la_error *err)
{
    la_dataset *ds = t->ds;
    float *x = ds->features + t->row * ds->d;
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        io_column *col = &ds->columns[j];
        if (c->type == IO_COL_NUMERIC) {
            double v;
            if (lens[j] == 0) {
                size_t nn = c->n_num;
                v = (t->opts->missing == IO_MISSING_MEAN && nn) ? c->sum / (double)nn : 0.0;
            } else if (io_parse_number(fields[j], lens[j], &v)) {
                return la_error_setc(err, LA_EUSAGE, t->path, line, col->name, "the file changed while it was read");
            }
            x[col->feat0] = (float)v;
        } else if (c->type == IO_COL_CATEGORICAL) {
            if (lens[j] == 0) {
                size_t present = t->n - c->n_missing;
                for (size_t q = 0; q < c->n_cats; q++)
                    x[col->feat0 + (size_t)c->cat_rank[q]] = (t->opts->missing == IO_MISSING_MEAN && present)
                        ? (float)((double)c->cat_counts[q] / (double)present) : 0.0f;
                continue;
            }
            int code = io_strtab_get(&c->cats, fields[j]);
            if (code < 0) return la_error_setc(err, LA_EUSAGE, t->path, line, col->name, "the file changed while it was read");
            x[col->feat0 + (size_t)c->cat_rank[code]] = 1.0f;
        }
    }
    return 0;
}

static int table_record(void *ctx, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    table *t = ctx;
    if (line > 0 && t->pass == 1 && t->ncols == 0) return table_header(t, line, nf, fields, err);
    if (t->pass == 1) return table_row_pass1(t, line, nf, fields, lens, err);
    if (t->row == (size_t)-1) { t->row = 0; return 0; }   /* header, again */
    if (t->row >= t->n || nf != t->ncols || line != t->line_of[t->row])
        return la_error_set(err, LA_EUSAGE, t->path, line, "the file changed while it was read");
    int rc = t->pass == 2 ? table_row_pass2(t, line, fields, err) : table_row_pass3(t, line, fields, lens, err);
    if (t->opts->progress && t->pass == 3) la_progress_update(t->opts->progress, (long long)t->row);
    t->row++;
    return rc;
}

/* Spellings of "missing" that other tools write; we want empty fields. */
static int missing_marker(const char *s)
{
    static const char *const m[] = {"NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "?", "-", "."};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (!strcmp(s, m[i])) return 1;
    return 0;
}

/* After pass 1: numeric or categorical, and the mostly-numeric error. */
static int table_types(table *t, int *any_cat, la_error *err)
{
    *any_cat = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        io_column *col = &t->ds->columns[j];
        col->n_missing = c->n_missing;
        if (c->type != IO_COL_NUMERIC) { col->type = c->type; continue; }
        t->ds->n_missing += c->n_missing;
        if (c->n_text == 0) { col->type = IO_COL_NUMERIC; continue; }
        /* at least 90% numbers: the strings are damage (a spreadsheet's
         * #VALUE!, a stray unit), not categories */
        if (c->n_num * 10 >= (c->n_num + c->n_text) * 9)
            return la_error_setc(err, LA_EUSAGE, t->path, c->first_text_line, col->name,
                                 "'%s' is not a number (%zu of the column's %zu values are numbers%s)%s", c->first_text,
                                 c->n_num, c->n_num + c->n_text,
                                 c->n_text > 1 ? ", this is the first that is not" : "",
                                 missing_marker(c->first_text) ? "; write missing values as empty fields" : "");
        c->type = col->type = IO_COL_CATEGORICAL;
        *any_cat = 1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Column j, distinct in every row, becomes the id column: its values (in
 * first-seen order, which is row order) replace the row numbers. */
static int adopt_id_column(table *t, size_t j, la_error *err)
{
    la_dataset *ds = t->ds;
    tcol *c = &t->cols[j];
    io_strtab_free(&t->id_index);   /* its keys are the ids replaced here */
    for (size_t r = 0; r < t->n; r++) {
        char *id = la_strdup(c->cat_names[r]);
        if (!id) return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
        free(ds->ids[r]);
        ds->ids[r] = id;
    }
    c->type = ds->columns[j].type = IO_COL_ID;
    t->id_col = (int)j;
    if (io_warn(&ds->warnings, &ds->n_warnings, "%s: column '%s' has a different value in every row: used as the id "
                "column, not as a feature (--id-col %s says so; --features chooses the features)", t->path,
                ds->columns[j].name, ds->columns[j].name))
        return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
    return 0;
}

/* After pass 2: categorical columns that are ids in disguise (see
 * IO_IDLIKE_PERCENT), and a warning for those with very many levels. With
 * --features the user chose the columns: only the warning. */
static int table_idlike(table *t, la_error *err)
{
    la_dataset *ds = t->ds;
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        if (c->type != IO_COL_CATEGORICAL) continue;
        size_t present = t->n - c->n_missing;
        int idlike = !t->opts->features && t->n > IO_IDLIKE_MIN_ROWS &&
                     c->n_cats * 100 >= present * IO_IDLIKE_PERCENT;
        /* --id-col naming a column the file lacks: the user chose row
         * numbers as ids; the column stays a feature, with a warning */
        int chose_rows = t->id_col < 0 && strcmp(t->opts->id_col, IO_DEFAULT_ID_COL) != 0;
        if (idlike && chose_rows) {
            if (io_warn(&ds->warnings, &ds->n_warnings, "%s: column '%s' has %zu distinct values in %zu rows, one-hot "
                        "encoded into as many features: is it an id? (--id-col %s)", t->path, ds->columns[j].name,
                        c->n_cats, present, ds->columns[j].name))
                return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
        } else if (idlike && t->id_col < 0 && c->n_cats == t->n) {
            int rc = adopt_id_column(t, j, err);
            if (rc) return rc;
        } else if (idlike) {
            return la_error_setc(err, LA_EUSAGE, t->path, 1, ds->columns[j].name,
                                 "%zu distinct values in %zu rows: this looks like an id, not a categorical feature "
                                 "(one-hot it would make a feature per row); name it with --id-col %s, or choose the "
                                 "features with --features", c->n_cats, present, ds->columns[j].name);
        } else if (c->n_cats > IO_MANY_LEVELS &&
                   io_warn(&ds->warnings, &ds->n_warnings, "%s: column '%s' has %zu distinct values: one-hot "
                           "encoding makes %zu features of it", t->path, ds->columns[j].name, c->n_cats, c->n_cats)) {
            return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
        }
    }
    return 0;
}

/* After pass 2 (or directly after pass 1): category order, D, feature names. */
static int table_layout(table *t, la_error *err)
{
    la_dataset *ds = t->ds;
    size_t d = 0;
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        io_column *col = &ds->columns[j];
        col->feat0 = d;
        if (c->type == IO_COL_NUMERIC) d++;
        if (c->type != IO_COL_CATEGORICAL) continue;
        /* sorted category list; rank maps first-seen code -> sorted position */
        col->categories = la_malloc_array(c->n_cats, sizeof *col->categories);
        c->cat_rank = la_malloc_array(c->n_cats, sizeof *c->cat_rank);
        if (!col->categories || !c->cat_rank) return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
        memcpy(col->categories, c->cat_names, c->n_cats * sizeof *col->categories);
        qsort(col->categories, c->n_cats, sizeof *col->categories, cmp_str);
        for (size_t q = 0; q < c->n_cats; q++) c->cat_rank[io_strtab_get(&c->cats, col->categories[q])] = (int)q;
        col->n_categories = c->n_cats;
        free(c->cat_names);       /* the strings now belong to col->categories */
        c->cat_names = NULL;
        d += c->n_cats;
    }
    if (d == 0) return la_error_set(err, LA_EUSAGE, t->path, 1, "no feature columns (only the label and the id)");
    ds->d = d;
    ds->feature_names = calloc(d, sizeof *ds->feature_names);
    ds->feature_source = la_malloc_array(d, sizeof *ds->feature_source);
    ds->feature_onehot = la_calloc(d, sizeof *ds->feature_onehot);
    ds->features = la_calloc(ds->n, d * sizeof(float));
    if (!ds->feature_names || !ds->feature_source || !ds->feature_onehot || !ds->features)
        return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory (%zu x %zu features)", ds->n, d);
    for (size_t j = 0; j < t->ncols; j++) {
        io_column *col = &ds->columns[j];
        if (col->type == IO_COL_NUMERIC) {
            ds->feature_names[col->feat0] = la_strdup(col->name);
            ds->feature_source[col->feat0] = (int32_t)j;
            if (!ds->feature_names[col->feat0]) return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
        }
        if (col->type != IO_COL_CATEGORICAL) continue;
        for (size_t q = 0; q < col->n_categories; q++) {
            size_t f = col->feat0 + q;
            size_t len = strlen(col->name) + strlen(col->categories[q]) + 2;
            ds->feature_names[f] = malloc(len);
            if (!ds->feature_names[f]) return la_error_set(err, LA_EINTERNAL, t->path, 0, "out of memory");
            snprintf(ds->feature_names[f], len, "%s=%s", col->name, col->categories[q]);
            ds->feature_source[f] = (int32_t)j;
            ds->feature_onehot[f] = 1;
        }
    }
    return 0;
}

static void table_free(table *t)
{
    for (size_t j = 0; j < t->ncols; j++) {
        tcol *c = &t->cols[j];
        free(c->first_text);
        io_strtab_free(&c->cats);
        if (c->cat_names)
            for (size_t q = 0; q < c->n_cats; q++) free(c->cat_names[q]);
        free(c->cat_names);
        free(c->cat_counts);
        free(c->cat_rank);
    }
    free(t->cols);
    io_classset_free(&t->classes);
    io_strtab_free(&t->id_index);
    free(t->line_of);
}

int io_csv_table_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    assert(path && opts && ds && err);
    table t = {.path = path, .opts = opts, .ds = ds, .pass = 1, .label_col = -1, .id_col = -1, .index_col = -1};
    int rc = io_csv_read(path, table_record, &t, err);
    if (!rc && t.ncols == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "empty file: no header row");
    if (!rc && t.n == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "no data rows after the header");
    int any_cat = 0;
    if (!rc) rc = table_types(&t, &any_cat, err);
    if (!rc && any_cat) {
        t.pass = 2;
        t.row = (size_t)-1;
        rc = io_csv_read(path, table_record, &t, err);
        if (!rc) rc = table_idlike(&t, err);
    }
    if (!rc) rc = table_layout(&t, err);
    if (!rc) {
        t.pass = 3;
        t.row = (size_t)-1;
        if (opts->progress) opts->progress->total = (long long)t.n;
        rc = io_csv_read(path, table_record, &t, err);
        if (!rc && t.row != t.n) rc = la_error_set(err, LA_EUSAGE, path, 0, "the file changed while it was read");
    }
    if (!rc) rc = io_classes_finish(&t.classes, ds, opts, path, t.line_of, err);
    if (!rc && io_trim_warning(&t.trimmed, path, "labels", "line", &ds->warnings, &ds->n_warnings))
        rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    table_free(&t);
    return rc;
}
