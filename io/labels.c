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
        if (!(r->row.nf == 1 && r->row.f[0][0] == '\0'))
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

/* ---- labels ----------------------------------------------------------- */

typedef struct lb_lctx {
    const char *path;
    la_error   *err;
    long        label_col, id_col; /* -1 = absent; label_col -2 = not seen yet */
    size_t      ncols;
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
        c->ncols = row->nf;
        for (size_t i = 0; i < row->nf; i++) {
            if (!strcmp(row->f[i], "label")) c->label_col = (long)i;
            else if (!strcmp(row->f[i], "id")) c->id_col = (long)i;
        }
        if (c->label_col < 0 && row->nf == 1) c->label_col = 0;
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
    const char *lab = row->f[c->label_col];
    if (!lab[0])
        return la_error_setc(c->err, LA_EUSAGE, c->path, line, "label", "empty label");
    c->raw[c->n] = la_strdup(lab);
    if (c->id_col >= 0) c->ids[c->n] = la_strdup(row->f[c->id_col]);
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
    lb_lctx c = {.path = path, .err = err, .label_col = -2, .id_col = -1};
    int rc = lb_read_csv(path, lb_label_row, &c, err);
    if (!rc && c.label_col == -2)
        rc = la_error_set(err, LA_EUSAGE, path, 1, "empty file (expected a header with a 'label' column)");
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
    io_classset cs;
    int rc = io_class_file_read(path, &cs, err);
    if (rc) return rc;
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
    size_t      k;
    double     *p;
    size_t      n, cap;        /* rows held / allocated                     */
    char      **names;         /* header names when not p0..pK-1           */
    long        first_line;
} lb_pctx;

static int lb_parse_prob(const char *s, double *out)
{
    char *end;
    while (*s == ' ') s++;
    if (!*s) return -1;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s) return -1;
    while (*end == ' ' || *end == '\r') end++;
    if (*end) return -1;
    *out = v;
    return 0;
}

static int lb_prob_push(lb_pctx *c, lb_row *row, long line)
{
    if (row->nf != c->k)
        return la_error_set(c->err, LA_EUSAGE, c->path, line, "expected %zu probabilities, found %zu", c->k, row->nf);
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
        if (lb_parse_prob(row->f[j], &dst[j]))
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "not a number: '%s'", row->f[j]);
        if (!isfinite(dst[j]))
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "probability is %s", row->f[j]);
        if (dst[j] < -LB_PROB_TOL || dst[j] > 1 + LB_PROB_TOL)
            return la_error_setc(c->err, LA_EUSAGE, c->path, line, c->names ? c->names[j] : col,
                                 "probability %s is outside [0, 1]", row->f[j]);
    }
    c->n++;
    return 0;
}

static int lb_prob_row(void *vctx, lb_row *row, long line)
{
    lb_pctx *c = vctx;
    if (c->have_header) return lb_prob_push(c, row, line);
    c->have_header = 1;
    c->k = row->nf;
    if (c->k == 0) return la_error_set(c->err, LA_EUSAGE, c->path, line, "empty header");
    /* A numeric first row is data (no header). */
    int numeric = 1, pnames = 1;
    for (size_t j = 0; j < c->k; j++) {
        double v;
        if (lb_parse_prob(row->f[j], &v)) numeric = 0;
        char want[32];
        snprintf(want, sizeof want, "p%zu", j);
        if (strcmp(row->f[j], want)) pnames = 0;
    }
    if (numeric) return lb_prob_push(c, row, line);
    if (pnames) return 0;
    c->names = la_calloc(c->k, sizeof *c->names);
    if (!c->names) return la_error_set(c->err, LA_EINTERNAL, c->path, line, "out of memory");
    for (size_t j = 0; j < c->k; j++) {
        if (!row->f[j][0]) return la_error_set(c->err, LA_EUSAGE, c->path, line, "empty class name in column %zu", j + 1);
        for (size_t i = 0; i < j; i++)
            if (!strcmp(row->f[i], row->f[j]))
                return la_error_set(c->err, LA_EUSAGE, c->path, line, "duplicate class name '%s' in the header", row->f[j]);
        c->names[j] = la_strdup(row->f[j]);
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
    lb_pctx c = {.path = path, .err = err};
    int rc = lb_read_csv(path, lb_prob_row, &c, err);
    if (!rc && !c.have_header) rc = la_error_set(err, LA_EUSAGE, path, 1, "empty file");
    if (rc) {
        free(c.p);
        io_free_strings(c.names, c.k);
        return rc;
    }
    out->n = c.n;
    out->k = c.k;
    out->p = c.p ? c.p : la_calloc(1, sizeof(double));
    out->class_names = c.names;
    return 0;
}

void io_probs_free(io_probs *p)
{
    free(p->p);
    if (p->class_names) io_free_strings(p->class_names, p->k);
    memset(p, 0, sizeof *p);
}
