/*
 * labels.c — label files, class lists (read by io_class_file_read in
 * loader.c) and predicted-probability files (see labels.h). CSV parsing goes through libcsv (quoted class names work);
 * numbers are parsed strictly: the whole field must be a number.
 *
 * Line numbers in messages count the header as line 1 and assume one line
 * per record (a quoted field spanning lines shifts them, which is rare).
 */
#include "labels.h"
#include "loader.h"
#include "npy.h"

#include <assert.h>
#include <stdio.h>
#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A probability may stray this far outside [0, 1] (float rounding in the
 * model that wrote it; cleanlab's tolerance) before it is refused. */
#define LB_PROB_TOL 1e-6
/* First row capacity of the growing label and probability arrays. */
#define LB_FIRST_ROWS 1024

/* ---- a tiny row-at-a-time CSV driver over libcsv ------------------------ */

typedef struct lb_row {
    char  **f;        /* fields of the current record                      */
    size_t  nf, cap;
} lb_row;

typedef int (*lb_row_fn)(void *ctx, lb_row *row, long line);

typedef struct lb_reader {
    lb_row    row;
    long      line;   /* line number of the record being built (1-based)   */
    lb_row_fn fn;
    void     *ctx;
    int       rc;     /* first non-zero status returned by fn, or ENOMEM   */
    const char *path; /* for the UTF-8 check's message                     */
    la_error *err;
} lb_reader;

static int lb_never_space(unsigned char c) { (void)c; return 0; }

/* Header names, ids and numbers: surrounding whitespace cut silently (what
 * libcsv's default did for unquoted fields). Labels go through
 * io_label_trim instead, which records where it cut. */
static char *lb_trim(char *s)
{
    size_t len = strlen(s);
    return io_label_trim(s, &len, NULL, 0);
}

static void lb_field(void *s, size_t len, void *data)
{
    lb_reader *r = data;
    if (r->rc) return;
    if (r->row.nf == r->row.cap) {
        size_t nc = r->row.cap ? 2 * r->row.cap : 16;
        char **nf = realloc(r->row.f, nc * sizeof *nf);
        if (!nf) { r->rc = LA_EINTERNAL; return; }
        r->row.f = nf;
        r->row.cap = nc;
    }
    char *c = malloc(len + 1);
    if (!c) { r->rc = LA_EINTERNAL; return; }
    memcpy(c, s, len);
    c[len] = '\0';
    r->row.f[r->row.nf++] = c;
}

static void lb_row_clear(lb_row *row)
{
    for (size_t i = 0; i < row->nf; i++) free(row->f[i]);
    row->nf = 0;
}

static void lb_record(int c, void *data)
{
    lb_reader *r = data;
    (void)c;
    r->line++;
    for (size_t i = 0; i < r->row.nf && !r->rc; i++) {   /* names and ids go into JSON */
        size_t len = strlen(r->row.f[i]), bad = la_utf8_check(r->row.f[i], len);
        if (bad < len)
            r->rc = la_error_set(r->err, LA_EUSAGE, r->path, r->line, "field %zu is not valid UTF-8 (byte 0x%02X)",
                                 i + 1, (unsigned char)r->row.f[i][bad]);
    }
    if (!r->rc) {
        /* A blank line gives one empty field: skip it. */
        if (!(r->row.nf == 1 && r->row.f[0][strspn(r->row.f[0], " \t\r")] == '\0'))
            r->rc = r->fn(r->ctx, &r->row, r->line);
    }
    lb_row_clear(&r->row);
}

/* Streams path through fn, one record at a time. A UTF-8 BOM is skipped. */
static int lb_read_csv(const char *path, lb_row_fn fn, void *ctx, la_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        fclose(fp);
        return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    csv_set_space_func(&p, lb_never_space);   /* fields keep their bytes: lb_trim */
    lb_reader r = {.fn = fn, .ctx = ctx, .path = path, .err = err};
    char buf[1 << 16];
    size_t n;
    int first = 1, rc = 0;
    long phys = 1;    /* physical line at the start of b, to name a NUL byte */
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        char *b = buf;
        if (first && n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB && (unsigned char)b[2] == 0xBF) {
            b += 3;
            n -= 3;
        }
        first = 0;
        const char *nul = memchr(b, 0, n);
        for (const char *q = b; q < (nul ? nul : b + n); q++) phys += *q == '\n';
        if (nul) {
            rc = la_error_set(err, LA_EUSAGE, path, phys, "NUL byte in the file (not a text CSV)");
            goto done;
        }
        if (csv_parse(&p, b, n, lb_field, lb_record, &r) != n) {
            rc = la_error_set(err, LA_EUSAGE, path, r.line + 1, "malformed CSV: %s", csv_strerror(csv_error(&p)));
            goto done;
        }
        if (r.rc) goto done;
    }
    if (ferror(fp)) {
        rc = la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", strerror(errno));
        goto done;
    }
    if (csv_fini(&p, lb_field, lb_record, &r) != 0) {
        rc = la_error_set(err, LA_EUSAGE, path, r.line + 1, "malformed CSV: %s", csv_strerror(csv_error(&p)));
        goto done;
    }
done:
    if (!rc && r.rc) rc = r.rc;
    if (rc == LA_EINTERNAL && err->status == LA_OK)
        la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    lb_row_clear(&r.row);
    free(r.row.f);
    csv_free(&p);
    fclose(fp);
    return rc;
}

static int lb_parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    while (*s == ' ') s++;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno) return -1;
    while (*end == ' ' || *end == '\r') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

/* ---- pandas and id columns ---------------------------------------------- */

/* The name pandas gives its index column: empty (df.to_csv()), or
 * "Unnamed: 0" once such a file has been read and written again. */
static int lb_pandas_index(const char *name)
{
    return name[0] == '\0' || !strcmp(name, "Unnamed: 0");
}

/* 1 when ids[0..n) are "0", "1", ..., "n-1" (a default pandas index, which
 * says nothing the row order does not). */
static int lb_ids_are_rows(char *const *ids, size_t n)
{
    char want[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(want, sizeof want, "%zu", i);
        if (strcmp(ids[i], want)) return 0;
    }
    return 1;
}

/* Refuses a repeated id (lines count the header as 1). */
static int lb_ids_unique(const char *path, char *const *ids, size_t n, la_error *err)
{
    io_strtab seen = {0};
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int prev = io_strtab_put(&seen, ids[i], (int)i);
        if (prev == -2) rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
        else if (prev != (int)i)
            rc = la_error_set(err, LA_EUSAGE, path, (long)i + 2, "duplicate id '%s' (also on line %d)", ids[i], prev + 2);
    }
    io_strtab_free(&seen);
    return rc;
}

/* The ids a file carries, once read: those of an `id` column are kept (and
 * must be unique); those of a pandas index are dropped when they are just
 * 0..N-1. */
static int lb_finish_ids(const char *path, int from_index, char ***ids, size_t n, la_error *err)
{
    if (!*ids) return 0;
    if (from_index && lb_ids_are_rows(*ids, n)) {
        io_free_strings(*ids, n);
        *ids = NULL;
        return 0;
    }
    return lb_ids_unique(path, *ids, n, err);
}

/* ---- labels ----------------------------------------------------------- */

typedef struct lb_lctx {
    const char *path;
    la_error   *err;
    long        label_col, id_col; /* -1 = absent; label_col -2 = not seen yet */
    long        index_col;         /* pandas' unnamed index column, or -1    */
    size_t      ncols;
    io_trim_log trimmed;           /* labels cut by the whitespace rule      */
    char      **raw;               /* label strings, n entries               */
    char      **ids;
    size_t      n, cap;
} lb_lctx;

static int lb_label_row(void *vctx, lb_row *row, long line)
{
    lb_lctx *c = vctx;
    if (c->label_col == -2) { /* header */
        c->label_col = -1;
        c->id_col = -1;
        c->index_col = -1;
        c->ncols = row->nf;
        for (size_t i = 0; i < row->nf; i++) {
            const char *name = lb_trim(row->f[i]);
            if (!strcmp(name, "label")) c->label_col = (long)i;
            else if (!strcmp(name, "id")) c->id_col = (long)i;
        }
        if (row->nf > 1 && c->label_col != 0 && lb_pandas_index(row->f[0])) c->index_col = 0;
        if (c->label_col < 0 && row->nf == 1) c->label_col = 0;
        if (c->label_col < 0 && row->nf == 2 && c->index_col == 0) c->label_col = 1;   /* Series.to_csv() */
        if (c->id_col < 0) c->id_col = c->index_col;   /* 0..N-1 is dropped later */
        if (c->label_col < 0)
            return la_error_set(c->err, LA_EUSAGE, c->path, line, "no 'label' column in the header");
        return 0;
    }
    if (row->nf != c->ncols)
        return la_error_set(c->err, LA_EUSAGE, c->path, line, "expected %zu fields, found %zu", c->ncols, row->nf);
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : LB_FIRST_ROWS;
        char **nr = realloc(c->raw, nc * sizeof *nr);
        if (!nr) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
        c->raw = nr;
        if (c->id_col >= 0) {
            char **ni = realloc(c->ids, nc * sizeof *ni);
            if (!ni) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
            c->ids = ni;
        }
        c->cap = nc;
    }
    size_t lab_len = strlen(row->f[c->label_col]);
    const char *lab = io_label_trim(row->f[c->label_col], &lab_len, &c->trimmed, line);
    if (!lab[0])
        return la_error_setc(c->err, LA_EUSAGE, c->path, line, "label", "empty label");
    c->raw[c->n] = la_strdup(lab);
    if (c->id_col >= 0) c->ids[c->n] = la_strdup(lb_trim(row->f[c->id_col]));
    c->n++;
    return 0;
}

static int lb_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lb_labels_npy(const char *path, io_labels *out, la_error *err)
{
    int rc = io_npy_load_i64(path, &out->labels, &out->n, err);
    if (rc) return rc;
    for (size_t i = 0; i < out->n; i++)
        if (out->labels[i] < 0)
            return la_error_set(err, LA_EUSAGE, path, 0, "label %lld at index %zu is negative (labels are class indices 0..K-1)",
                                (long long)out->labels[i], i);
    return 0;
}

static long lb_name_index(char *const *names, size_t k, const char *s)
{
    for (size_t j = 0; j < k; j++)
        if (!strcmp(names[j], s)) return (long)j;
    return -1;
}

/* Integer labels: each in 0..k-1 (k = 0: only not negative). Line i + 2. */
static int lb_labels_ints(const lb_lctx *c, size_t k, io_labels *out, la_error *err)
{
    for (size_t i = 0; i < c->n; i++) {
        lb_parse_i64(c->raw[i], &out->labels[i]);
        if (out->labels[i] < 0)
            return la_error_setc(err, LA_EUSAGE, c->path, (long)i + 2, "label",
                                 "label %lld is negative (labels are class indices 0..K-1 or class names)",
                                 (long long)out->labels[i]);
        if (k && out->labels[i] >= (int64_t)k)
            return la_error_setc(err, LA_EUSAGE, c->path, (long)i + 2, "label",
                                 "label %lld is out of range: there are %zu classes (0..%zu)", (long long)out->labels[i],
                                 k, k - 1);
    }
    return 0;
}

/* Names (or in-range integers) through the class list class_names[0..k). */
static int lb_labels_by_list(const lb_lctx *c, char *const *class_names, size_t k, io_labels *out, la_error *err)
{
    for (size_t i = 0; i < c->n; i++) {
        long j = lb_name_index(class_names, k, c->raw[i]);
        int64_t v;
        if (j < 0 && !lb_parse_i64(c->raw[i], &v) && v >= 0 && v < (int64_t)k) j = (long)v;
        if (j < 0)
            return la_error_setc(err, LA_EUSAGE, c->path, (long)i + 2, "label", "unknown class '%s' (not in the class list)",
                                 c->raw[i]);
        out->labels[i] = j;
    }
    return 0;
}

/* Names without a class list: the classes are the distinct names sorted
 * byte-wise, returned in out->names. */
static int lb_labels_sorted(const lb_lctx *c, io_labels *out, la_error *err)
{
    char **sorted = la_malloc_array(c->n + 1, sizeof *sorted);
    if (!sorted) return la_error_set(err, LA_EINTERNAL, c->path, 0, "out of memory");
    memcpy(sorted, c->raw, c->n * sizeof *sorted);
    qsort(sorted, c->n, sizeof *sorted, lb_cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < c->n; i++)
        if (u == 0 || strcmp(sorted[u - 1], sorted[i])) sorted[u++] = sorted[i];
    out->names = la_malloc_array(u + 1, sizeof *out->names);
    if (!out->names) {
        free(sorted);
        return la_error_set(err, LA_EINTERNAL, c->path, 0, "out of memory");
    }
    for (size_t j = 0; j < u; j++) out->names[j] = la_strdup(sorted[j]);
    out->n_names = u;
    for (size_t i = 0; i < c->n; i++) {
        char **hit = bsearch(&c->raw[i], sorted, u, sizeof *sorted, lb_cmp_str);
        out->labels[i] = hit - sorted;
    }
    free(sorted);
    return 0;
}

int io_labels_load(const char *path, char *const *class_names, size_t k,
                   io_labels *out, la_error *err)
{
    assert(path && out && err);
    memset(out, 0, sizeof *out);
    size_t len = strlen(path);
    if (len >= 4 && !strcmp(path + len - 4, ".npy")) {
        int rc = lb_labels_npy(path, out, err);
        if (rc) io_labels_free(out);
        return rc;
    }
    lb_lctx c = {.path = path, .err = err, .label_col = -2, .id_col = -1, .index_col = -1};
    int rc = lb_read_csv(path, lb_label_row, &c, err);
    if (!rc && c.label_col == -2)
        rc = la_error_set(err, LA_EUSAGE, path, 1, "empty file (expected a header with a 'label' column)");
    if (!rc) rc = lb_finish_ids(path, c.id_col >= 0 && c.id_col == c.index_col, &c.ids, c.n, err);
    if (!rc && io_trim_warning(&c.trimmed, path, "labels", "line", &out->warnings, &out->n_warnings))
        rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    if (rc) goto done;
    out->n = c.n;
    out->ids = c.ids;
    c.ids = NULL;
    out->labels = la_malloc_array(c.n + 1, sizeof *out->labels);
    if (!out->labels) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto done; }
    /* Integers when every label is an integer and no name matches. */
    int all_int = 1;
    for (size_t i = 0; i < c.n && all_int; i++) {
        int64_t v;
        if (lb_parse_i64(c.raw[i], &v)) all_int = 0;
        else if (class_names && lb_name_index(class_names, k, c.raw[i]) >= 0) all_int = 0;
    }
    if (all_int) rc = lb_labels_ints(&c, k, out, err);
    else if (class_names) rc = lb_labels_by_list(&c, class_names, k, out, err);
    else rc = lb_labels_sorted(&c, out, err);
done:
    if (c.raw) io_free_strings(c.raw, c.n);
    if (c.ids) io_free_strings(c.ids, c.n);
    if (rc) io_labels_free(out);
    return rc;
}

void io_labels_free(io_labels *l)
{
    free(l->labels);
    if (l->ids) io_free_strings(l->ids, l->n);
    if (l->names) io_free_strings(l->names, l->n_names);
    io_free_strings(l->warnings, l->n_warnings);
    memset(l, 0, sizeof *l);
}

void io_free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

int io_class_names_load(const char *path, char ***names, size_t *k, la_error *err)
{
    assert(path && names && k && err);
    return io_class_names_load_warn(path, names, k, NULL, NULL, err);
}

int io_class_names_load_warn(const char *path, char ***names, size_t *k, char ***warnings, size_t *n_warnings,
                             la_error *err)
{
    assert(path && names && k && err && !warnings == !n_warnings);
    io_classset cs;
    io_trim_log trimmed;
    int rc = io_class_file_read(path, &cs, &trimmed, err);
    if (rc) return rc;
    if (warnings && io_trim_warning(&trimmed, path, "class names", "line", warnings, n_warnings)) {
        io_classset_free(&cs);
        return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    io_strtab_free(&cs.index);   /* keep the names, in file order */
    *names = cs.names;
    *k = cs.k;
    return 0;
}

/* ---- predicted probabilities ------------------------------------------ */

typedef struct lb_pctx {
    const char *path;
    la_error   *err;
    int         have_header;
    size_t      k;             /* probability columns                       */
    size_t      ncols;         /* all columns (k + the id and index ones)   */
    long        id_col;        /* `id` column, or the pandas index, or -1   */
    long        index_col;     /* pandas' unnamed index column, or -1       */
    size_t     *pcol;          /* k: the file column of probability j       */
    double     *p;
    size_t      n, cap;        /* rows held / allocated                     */
    char      **names;         /* header names when not p0..pK-1 or 0..K-1  */
    char      **ids;           /* n ids from id_col                         */
    size_t      ids_cap;
    long        first_line;
} lb_pctx;

static int lb_parse_prob(const char *s, double *out)
{
    char *end;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) return -1;
    while (*end == ' ' || *end == '\t' || *end == '\r') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

/* The id of one probability row, kept in c->ids. */
static int lb_prob_id(lb_pctx *c, lb_row *row, long line)
{
    if (c->n == c->ids_cap) {
        size_t nc = c->ids_cap ? 2 * c->ids_cap : LB_FIRST_ROWS;
        char **ni = realloc(c->ids, nc * sizeof *ni);
        if (!ni) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
        c->ids = ni;
        c->ids_cap = nc;
    }
    const char *id = lb_trim(row->f[c->id_col]);
    if (!id[0]) return la_error_setc(c->err, LA_EUSAGE, c->path, line, "id", "empty id");
    if (!(c->ids[c->n] = la_strdup(id))) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
    return 0;
}

static int lb_prob_push(lb_pctx *c, lb_row *row, long line)
{
    if (row->nf != c->ncols && c->ncols == c->k)
        return la_error_set(c->err, LA_EUSAGE, c->path, line, "expected %zu probabilities, found %zu", c->k, row->nf);
    if (row->nf != c->ncols)
        return la_error_set(c->err, LA_EUSAGE, c->path, line, "expected %zu fields (%zu probabilities and the id), found %zu",
                            c->ncols, c->k, row->nf);
    if (c->n == c->cap) {
        size_t nc = c->cap ? 2 * c->cap : LB_FIRST_ROWS;
        double *np = la_malloc_array(nc * c->k, sizeof *np);
        if (!np) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
        if (c->p) memcpy(np, c->p, c->n * c->k * sizeof *np);
        free(c->p);
        c->p = np;
        c->cap = nc;
    }
    double *dst = c->p + c->n * c->k;
    for (size_t j = 0; j < c->k; j++) {
        char col[32];
        snprintf(col, sizeof col, "%zu", j);
        const char *f = row->f[c->pcol[j]];
        if (lb_parse_prob(f, &dst[j]))
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "not a number: '%s'", f);
        if (!isfinite(dst[j]))
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "probability is %s", f);
        if (dst[j] < -LB_PROB_TOL || dst[j] > 1 + LB_PROB_TOL)
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "probability %s is outside [0, 1]", f);
    }
    if (c->id_col >= 0 && lb_prob_id(c, row, line)) return c->err->status;   /* last: a refused row keeps no id */
    c->n++;
    return 0;
}

/* The header's id columns: `id`, and pandas' unnamed index (the ids when
 * there is no `id` column, else ignored); the rest are probabilities. */
static int lb_prob_columns(lb_pctx *c, lb_row *row, long line)
{
    c->ncols = row->nf;
    c->id_col = c->index_col = -1;
    for (size_t i = 0; i < row->nf; i++)
        if (!strcmp(lb_trim(row->f[i]), "id") && c->id_col < 0) c->id_col = (long)i;
    if (row->nf > 1 && lb_pandas_index(row->f[0]) && c->id_col != 0) c->index_col = 0;
    if (c->id_col < 0) c->id_col = c->index_col;
    c->pcol = la_malloc_array(row->nf + 1, sizeof *c->pcol);
    if (!c->pcol) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
    c->k = 0;
    for (size_t i = 0; i < row->nf; i++)
        if ((long)i != c->id_col && (long)i != c->index_col) c->pcol[c->k++] = i;
    if (c->k == 0) return la_error_set(c->err, LA_EUSAGE, c->path, line, "no probability columns in the header");
    return 0;
}

/* What the first row is: 1 data (every field a number, and not the header
 * pandas writes: exactly 0,1,...,K-1), 2 a header without class names
 * (p0..pK-1, or 0..K-1 naming class indices), 0 class names. */
static int lb_header_kind(const lb_pctx *c, lb_row *row)
{
    int numeric = c->ncols == c->k, pnames = 1, indices = 1;
    for (size_t j = 0; j < c->k; j++) {
        const char *f = row->f[c->pcol[j]];
        double v;
        if (lb_parse_prob(f, &v)) numeric = 0;
        char want[32];
        snprintf(want, sizeof want, "p%zu", j);
        if (strcmp(f, want)) pnames = 0;
        if (strcmp(f, want + 1)) indices = 0;
    }
    if (pnames || indices) return 2;
    return numeric;
}

static int lb_prob_row(void *vctx, lb_row *row, long line)
{
    lb_pctx *c = vctx;
    if (c->have_header) return lb_prob_push(c, row, line);
    c->have_header = 1;
    if (row->nf == 0) return la_error_set(c->err, LA_EUSAGE, c->path, line, "empty header");
    for (size_t i = 0; i < row->nf; i++) {
        char *t = lb_trim(row->f[i]);
        memmove(row->f[i], t, strlen(t) + 1);
    }
    int rc = lb_prob_columns(c, row, line);
    if (rc) return rc;
    int kind = lb_header_kind(c, row);
    if (kind == 1) return lb_prob_push(c, row, line);
    if (kind == 2) return 0;
    c->names = la_calloc(c->k, sizeof *c->names);
    if (!c->names) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
    for (size_t j = 0; j < c->k; j++) {
        const char *f = row->f[c->pcol[j]];
        if (!f[0]) return la_error_set(c->err, LA_EUSAGE, c->path, line, "empty class name in column %zu", c->pcol[j] + 1);
        for (size_t i = 0; i < j; i++)
            if (!strcmp(c->names[i], f))
                return la_error_set(c->err, LA_EUSAGE, c->path, line, "duplicate class name '%s' in the header", f);
        c->names[j] = la_strdup(f);
    }
    return 0;
}

int io_probs_load(const char *path, io_probs *out, la_error *err)
{
    assert(path && out && err);
    memset(out, 0, sizeof *out);
    size_t len = strlen(path);
    if (len >= 4 && !strcmp(path + len - 4, ".npy")) {
        size_t r, k;
        double *p;
        int rc = io_npy_load_f64(path, &p, &r, &k, err);
        if (rc) return rc;
        for (size_t i = 0; i < r * k; i++) {
            if (!isfinite(p[i]) || p[i] < -LB_PROB_TOL || p[i] > 1 + LB_PROB_TOL) {
                la_error_set(err, LA_EUSAGE, path, 0, "row %zu, column %zu: probability %g is %s", i / k, i % k, p[i],
                             isfinite(p[i]) ? "outside [0, 1]" : "not finite");
                free(p);
                return LA_EUSAGE;
            }
        }
        out->n = r;
        out->k = k;
        out->p = p;
        return 0;
    }
    lb_pctx c = {.path = path, .err = err, .id_col = -1, .index_col = -1};
    int rc = lb_read_csv(path, lb_prob_row, &c, err);
    if (!rc && !c.have_header) rc = la_error_set(err, LA_EUSAGE, path, 1, "empty file");
    if (!rc) rc = lb_finish_ids(path, c.id_col >= 0 && c.id_col == c.index_col, &c.ids, c.n, err);
    if (!rc && c.index_col >= 0 && c.id_col != c.index_col &&
        io_warn(&out->warnings, &out->n_warnings, "%s: column 1 has no name (a pandas index): ignored, the ids are "
                "column 'id'", path))
        rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    free(c.pcol);
    if (rc) {
        free(c.p);
        io_free_strings(c.names, c.k);
        io_free_strings(c.ids, c.n);
        io_probs_free(out);
        return rc;
    }
    out->n = c.n;
    out->k = c.k;
    out->p = c.p ? c.p : la_calloc(1, sizeof(double));
    out->class_names = c.names;
    out->ids = c.ids;
    return 0;
}

void io_probs_free(io_probs *p)
{
    free(p->p);
    if (p->class_names) io_free_strings(p->class_names, p->k);
    io_free_strings(p->ids, p->n);
    io_free_strings(p->warnings, p->n_warnings);
    memset(p, 0, sizeof *p);
}

/* Names up to LB_SHOWN_IDS of the ids in `what` (a list of n, picked by
 * pick[i] != 0) into buf, for a message. */
#define LB_SHOWN_IDS 3
static void lb_list_ids(char *buf, size_t cap, char *const *ids, size_t n, const unsigned char *pick, size_t count)
{
    size_t used = 0, shown = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && shown < LB_SHOWN_IDS; i++) {
        if (!pick[i]) continue;
        int w = snprintf(buf + used, cap - used, "%s'%.40s'", shown ? ", " : "", ids[i]);
        if (w < 0 || (size_t)w >= cap - used) break;
        used += (size_t)w;
        shown++;
    }
    if (count > shown) snprintf(buf + used, cap - used, " and %zu more", count - shown);
}

int io_probs_reorder(io_probs *p, const char *path, char *const *ids, size_t n, const char *ids_from, la_error *err)
{
    assert(p && p->ids && path && (ids || !n) && ids_from && err);
    io_strtab at = {0};
    int rc = 0;
    int *src = la_malloc_array(n + 1, sizeof *src);
    unsigned char *used = la_calloc(p->n + 1, 1), *missing = la_calloc(n + 1, 1);
    double *q = la_malloc_array(n * p->k + 1, sizeof *q);
    char **nid = la_calloc(n + 1, sizeof *nid);
    if (!src || !used || !missing || !q || !nid) { rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); goto done; }
    for (size_t j = 0; j < p->n && !rc; j++)
        if (io_strtab_put(&at, p->ids[j], (int)j) == -2) rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    size_t n_missing = 0, n_extra = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        src[i] = io_strtab_get(&at, ids[i]);
        if (src[i] < 0) { missing[i] = 1; n_missing++; continue; }
        used[src[i]] = 1;
    }
    for (size_t j = 0; j < p->n; j++) n_extra += !used[j];
    if (!rc && (n_missing || n_extra)) {
        char list[256];
        if (n_missing) {
            lb_list_ids(list, sizeof list, ids, n, missing, n_missing);
            rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu id%s of %s %s no row here: %s", n_missing,
                              n_missing > 1 ? "s" : "", ids_from, n_missing > 1 ? "have" : "has", list);
        } else {
            for (size_t j = 0; j < p->n; j++) used[j] = !used[j];
            lb_list_ids(list, sizeof list, p->ids, p->n, used, n_extra);
            rc = la_error_set(err, LA_EUSAGE, path, 0, "%zu row%s here %s an id that %s does not: %s", n_extra,
                              n_extra > 1 ? "s" : "", n_extra > 1 ? "have" : "has", ids_from, list);
        }
        goto done;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        memcpy(q + i * p->k, p->p + (size_t)src[i] * p->k, p->k * sizeof *q);
        if (!(nid[i] = la_strdup(ids[i]))) rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    if (rc) goto done;
    free(p->p);
    io_free_strings(p->ids, p->n);
    p->p = q;
    p->ids = nid;
    p->n = n;
    q = NULL;
    nid = NULL;
done:
    io_strtab_free(&at);
    free(src);
    free(used);
    free(missing);
    free(q);
    io_free_strings(nid, n);
    return rc;
}
