/*
 * cs_input.c — multi-annotator label files (see cs_io.h): the wide CSV (one
 * column per annotator) and the long CSV (id,annotator,label), both through
 * the strict record reader of io/csv_table.h, into one N x M matrix.
 *
 * Not here: the database input, the computation. Invariant: a refused file
 * leaves *out zeroed, and the message names file, line and column.
 */
#include "cs_io.h"
#include "../io/csv_table.h"
#include "../io/labels.h"
#include "../io/strtab.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CS_GROW_MIN 64

void cs_labels_free(cs_labels *l)
{
    if (!l) return;
    if (l->ids) io_free_strings(l->ids, l->n);
    if (l->annotators) io_free_strings(l->annotators, l->m);
    free(l->y);
    free(l->lines);
    memset(l, 0, sizeof *l);
}

/* One cell: 0 with *out a class, 1 when empty / NaN (not labelled), -1 when
 * it is no class (unknown name, not an integer, outside 0..k-1). */
static int cs_parse_label(const char *s, size_t len, char *const *names, size_t k, int32_t *out)
{
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) len--;
    static const char *const missing[] = {"nan", "NaN", "NA", "<NA>", "None"};
    if (!len) return 1;
    for (size_t t = 0; t < sizeof missing / sizeof *missing; t++)
        if (strlen(missing[t]) == len && !memcmp(s, missing[t], len)) return 1;
    for (size_t c = 0; names && c < k; c++)
        if (strlen(names[c]) == len && !memcmp(names[c], s, len)) return *out = (int32_t)c, 0;
    double v;
    if (io_parse_number(s, len, &v) || v != floor(v) || v < 0 || v >= (double)k) return -1;
    *out = (int32_t)v;
    return 0;
}

static int cs_bad_label(la_error *err, const char *path, long line, const char *column, const char *cell,
                        char *const *names, size_t k)
{
    if (names)
        return la_error_setc(err, LA_EUSAGE, path, line, column, "label '%.200s' is not one of the %zu classes "
                             "(a class name, or an index 0..%zu)", cell, k, k - 1);
    return la_error_setc(err, LA_EUSAGE, path, line, column, "label '%.200s' is not a class: labels are class "
                         "indices 0..%zu (the probabilities have %zu columns)", cell, k - 1, k);
}

/* Room for row `n` in the growing arrays of l (m columns). */
static int cs_grow(cs_labels *l, size_t *cap, int with_ids, la_error *err)
{
    if (l->n < *cap) return 0;
    size_t nc = *cap ? 2 * *cap : CS_GROW_MIN;
    int32_t *y = realloc(l->y, nc * (l->m ? l->m : 1) * sizeof *y);
    if (y) l->y = y;
    long *lines = realloc(l->lines, nc * sizeof *lines);
    if (lines) l->lines = lines;
    char **ids = with_ids ? realloc(l->ids, nc * sizeof *ids) : l->ids;
    if (ids) l->ids = ids;
    if (!y || !lines || (with_ids && !ids)) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    *cap = nc;
    return 0;
}

/* ---- wide ------------------------------------------------------------------------ */

typedef struct cs_wide {
    const char  *path;
    char *const *names;
    size_t       k;
    cs_labels   *out;
    size_t       cap, nf;
    long         id_field;       /* -1: no id column                              */
    io_strtab    ids;            /* duplicate ids                                 */
} cs_wide;

static int cs_is_id_header(const char *h, size_t field)
{
    return !strcmp(h, "id") || (field == 0 && (!h[0] || !strcmp(h, "Unnamed: 0")));
}

static int cs_wide_header(cs_wide *w, size_t nf, char **f, la_error *err)
{
    cs_labels *l = w->out;
    w->nf = nf;
    w->id_field = -1;
    for (size_t j = 0; j < nf; j++)
        if (cs_is_id_header(f[j], j) && w->id_field < 0) w->id_field = (long)j;
    l->m = nf - (w->id_field >= 0);
    if (!l->m) return la_error_set(err, LA_EUSAGE, w->path, 1, "no annotator columns");
    if (!(l->annotators = la_calloc(l->m, sizeof *l->annotators)))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    io_strtab seen = {0};
    int rc = 0;
    for (size_t j = 0, a = 0; j < nf && !rc; j++) {
        if ((long)j == w->id_field) continue;
        if (!(l->annotators[a] = la_strdup(f[j]))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        else if (io_strtab_put(&seen, l->annotators[a], (int)a) != (int)a)
            rc = la_error_setc(err, LA_EUSAGE, w->path, 1, f[j], "annotator '%.200s' is named twice", f[j]);
        a++;
    }
    io_strtab_free(&seen);
    return rc;
}

static int cs_wide_record(void *ctx, long line, size_t nf, char **f, const size_t *lens, la_error *err)
{
    cs_wide *w = ctx;
    cs_labels *l = w->out;
    if (!l->annotators) return cs_wide_header(w, nf, f, err);
    if (nf != w->nf)
        return la_error_set(err, LA_EUSAGE, w->path, line, "%zu fields where the header has %zu", nf, w->nf);
    int rc = cs_grow(l, &w->cap, w->id_field >= 0, err);
    if (rc) return rc;
    size_t i = l->n, labelled = 0;
    for (size_t j = 0, a = 0; j < nf; j++) {
        if ((long)j == w->id_field) continue;
        int32_t y = CS_MISSING;
        int pr = cs_parse_label(f[j], lens[j], w->names, w->k, &y);
        if (pr < 0) return cs_bad_label(err, w->path, line, l->annotators[a], f[j], w->names, w->k);
        l->y[i * l->m + a++] = pr ? CS_MISSING : y;
        labelled += !pr;
    }
    l->lines[i] = line;
    if (w->id_field >= 0) {
        if (!(l->ids[i] = la_strdup(f[w->id_field]))) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        l->n++;
        int got = io_strtab_put(&w->ids, l->ids[i], (int)i);
        if (got == -2) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        if (got != (int)i)
            return la_error_setc(err, LA_EUSAGE, w->path, line, "id", "id '%.200s' appears twice (first on line %ld)",
                                 f[w->id_field], l->lines[got]);
    } else {
        l->n++;
    }
    if (!labelled)
        return la_error_set(err, LA_EUSAGE, w->path, line, "example %.200s: no annotator labelled it (every "
                            "example needs at least one label)", w->id_field >= 0 ? f[w->id_field] : "on this line");
    return 0;
}

/* Every annotator labelled something. */
static int cs_check_annotators(const cs_labels *l, const char *path, la_error *err)
{
    for (size_t j = 0; j < l->m; j++) {
        size_t c = 0;
        for (size_t i = 0; i < l->n && !c; i++) c += l->y[i * l->m + j] != CS_MISSING;
        if (!c)
            return la_error_setc(err, LA_EUSAGE, path, 1, l->annotators[j], "annotator '%.200s' labelled no "
                                 "example", l->annotators[j]);
    }
    if (!l->n) return la_error_set(err, LA_EUSAGE, path, 0, "no examples");
    return 0;
}

int cs_labels_load_wide(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err)
{
    assert(path && out && err && k > 0);
    memset(out, 0, sizeof *out);
    cs_wide w = {.path = path, .names = class_names, .k = k, .out = out, .id_field = -1};
    int rc = io_csv_read(path, cs_wide_record, &w, err);
    if (!rc) rc = cs_check_annotators(out, path, err);
    io_strtab_free(&w.ids);
    if (rc) cs_labels_free(out);
    return rc;
}

/* ---- long ------------------------------------------------------------------------ */

typedef struct cs_entry { size_t row, ann; int32_t y; long line; } cs_entry;

typedef struct cs_long {
    const char  *path;
    char *const *names;
    size_t       k;
    cs_labels   *out;
    long         f_id, f_ann, f_label;   /* field indices, -1 before the header  */
    size_t       nf, cap, cap_ann, n_ent, cap_ent;
    cs_entry    *ent;
    io_strtab    ids, anns;
} cs_long;

static int cs_long_header(cs_long *c, size_t nf, char **f, la_error *err)
{
    c->nf = nf;
    for (size_t j = 0; j < nf; j++) {
        if ((!strcmp(f[j], "id") || !strcmp(f[j], "task")) && c->f_id < 0) c->f_id = (long)j;
        else if (!strcmp(f[j], "annotator")) c->f_ann = (long)j;
        else if (!strcmp(f[j], "label")) c->f_label = (long)j;
    }
    if (c->f_id < 0 || c->f_ann < 0 || c->f_label < 0)
        return la_error_set(err, LA_EUSAGE, c->path, 1, "a long label file needs the columns id (or task), "
                            "annotator and label");
    return 0;
}

/* The index of string s in tab (adding it to names when new). */
static long cs_intern(io_strtab *tab, char ***names, size_t *count, size_t *cap, const char *s, la_error *err)
{
    int got = io_strtab_get(tab, s);
    if (got >= 0) return got;
    if (*count == *cap) {
        size_t nc = *cap ? 2 * *cap : CS_GROW_MIN;
        char **v = realloc(*names, nc * sizeof *v);
        if (!v) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"), -1;
        *names = v, *cap = nc;
    }
    if (!((*names)[*count] = la_strdup(s)) || io_strtab_put(tab, (*names)[*count], (int)*count) < 0)
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"), -1;
    return (long)(*count)++;
}

static int cs_long_record(void *ctx, long line, size_t nf, char **f, const size_t *lens, la_error *err)
{
    cs_long *c = ctx;
    cs_labels *l = c->out;
    if (c->f_id < 0) return cs_long_header(c, nf, f, err);
    if (nf != c->nf)
        return la_error_set(err, LA_EUSAGE, c->path, line, "%zu fields where the header has %zu", nf, c->nf);
    int32_t y = CS_MISSING;
    int pr = cs_parse_label(f[c->f_label], lens[c->f_label], c->names, c->k, &y);
    if (pr < 0) return cs_bad_label(err, c->path, line, "label", f[c->f_label], c->names, c->k);
    if (pr) return 0;                      /* an empty label: not labelled */
    size_t before = l->n;
    long row = cs_intern(&c->ids, &l->ids, &l->n, &c->cap, f[c->f_id], err);
    if (row < 0) return err->status;
    if (l->n > before) {
        long *lines = realloc(l->lines, c->cap * sizeof *lines);
        if (!lines) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        l->lines = lines;
        l->lines[row] = line;
    }
    long ann = cs_intern(&c->anns, &l->annotators, &l->m, &c->cap_ann, f[c->f_ann], err);
    if (ann < 0) return err->status;
    if (c->n_ent == c->cap_ent) {
        size_t nc = c->cap_ent ? 2 * c->cap_ent : CS_GROW_MIN;
        cs_entry *e = realloc(c->ent, nc * sizeof *e);
        if (!e) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        c->ent = e, c->cap_ent = nc;
    }
    c->ent[c->n_ent++] = (cs_entry){(size_t)row, (size_t)ann, y, line};
    return 0;
}

static int cs_cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Annotators sorted by name, as pandas' pivot orders its columns
 * (convert_long_to_wide_dataset); entries renumbered. */
static int cs_sort_annotators(cs_long *c, la_error *err)
{
    cs_labels *l = c->out;
    char **sorted = la_malloc_array(l->m, sizeof *sorted);
    size_t *newpos = la_malloc_array(l->m, sizeof *newpos);
    if (!sorted || !newpos) return free(sorted), free(newpos), la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    memcpy(sorted, l->annotators, l->m * sizeof *sorted);
    qsort(sorted, l->m, sizeof *sorted, cs_cmp_name);
    for (size_t j = 0; j < l->m; j++)
        for (size_t t = 0; t < l->m; t++)
            if (sorted[t] == l->annotators[j]) newpos[j] = t;
    for (size_t e = 0; e < c->n_ent; e++) c->ent[e].ann = newpos[c->ent[e].ann];
    memcpy(l->annotators, sorted, l->m * sizeof *sorted);
    free(sorted);
    free(newpos);
    return 0;
}

/* The entries into the n x m matrix; a cell filled twice is refused. */
static int cs_long_matrix(cs_long *c, la_error *err)
{
    cs_labels *l = c->out;
    if (!l->n) return la_error_set(err, LA_EUSAGE, c->path, 0, "no labels");
    if (cs_sort_annotators(c, err)) return err->status;
    l->y = la_malloc_array(l->n * l->m, sizeof *l->y);
    long *at = la_calloc(l->n * l->m, sizeof *at);
    if (!l->y || !at) return free(at), la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t e = 0; e < l->n * l->m; e++) l->y[e] = CS_MISSING;
    int rc = 0;
    for (size_t e = 0; e < c->n_ent && !rc; e++) {
        const cs_entry *t = &c->ent[e];
        size_t cell = t->row * l->m + t->ann;
        if (at[cell])
            rc = la_error_set(err, LA_EUSAGE, c->path, t->line, "id '%.200s', annotator '%.200s': labelled twice "
                              "(first on line %ld)", l->ids[t->row], l->annotators[t->ann], at[cell]);
        l->y[cell] = t->y;
        at[cell] = t->line;
    }
    free(at);
    return rc;
}

int cs_labels_load_long(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err)
{
    assert(path && out && err && k > 0);
    memset(out, 0, sizeof *out);
    cs_long c = {.path = path, .names = class_names, .k = k, .out = out, .f_id = -1, .f_ann = -1, .f_label = -1};
    int rc = io_csv_read(path, cs_long_record, &c, err);
    if (!rc) rc = cs_long_matrix(&c, err);
    if (!rc) rc = cs_check_annotators(out, path, err);
    free(c.ent);
    io_strtab_free(&c.ids);
    io_strtab_free(&c.anns);
    if (rc) cs_labels_free(out);
    return rc;
}

int cs_labels_load(const char *path, char *const *class_names, size_t k, cs_labels *out, la_error *err)
{
    char **h = NULL;
    size_t nh = 0;
    int rc = io_csv_header(path, &h, &nh, err);
    if (rc) return rc;
    int has_ann = 0, has_label = 0;
    for (size_t j = 0; j < nh; j++) {
        has_ann |= !strcmp(h[j], "annotator");
        has_label |= !strcmp(h[j], "label");
    }
    io_free_strings(h, nh);
    return has_ann && has_label ? cs_labels_load_long(path, class_names, k, out, err)
                                : cs_labels_load_wide(path, class_names, k, out, err);
}
