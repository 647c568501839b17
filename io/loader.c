/*
 * loader.c — the helpers every format reader shares (see loader.h): the
 * class-name set built while reading labels, the ONE reader of --classes
 * files (also behind io_class_names_load in labels.c), the step that fixes
 * the class order and remaps labels, and two small growable vectors.
 * Below the readers: nothing here knows a file format or dispatches.
 */
#include "loader.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

/* First capacity of a string vector (doubles after). */
#define IO_STRVEC_FIRST_CAP 16

int io_strvec_push(char ***v, size_t *n, size_t *cap, char *s)
{
    assert(v && n && cap && *n <= *cap);
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : IO_STRVEC_FIRST_CAP;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

/* ------------------------------------------- warnings and the trim rule */

int io_warn(char ***v, size_t *n, const char *fmt, ...)
{
    assert(v && n && fmt);
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0) return -1;
    char **nv = realloc(*v, (*n + 1) * sizeof *nv);
    if (!nv) {
        free(s);
        return -1;
    }
    *v = nv;
    nv[(*n)++] = s;
    return 0;
}

static int io_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

char *io_label_trim(char *s, size_t *len, io_trim_log *log, long line)
{
    assert(s && len);
    size_t a = 0, b = *len;
    while (a < b && io_ascii_space(s[a])) a++;
    while (b > a && io_ascii_space(s[b - 1])) b--;
    if (a == 0 && b == *len) return s;
    if (log) {
        if (log->count < IO_TRIM_SHOWN) log->lines[log->count] = line;
        log->count++;
    }
    s[b] = '\0';
    *len = b - a;
    return s + a;
}

int io_trim_warning(const io_trim_log *log, const char *path, const char *what, const char *unit,
                    char ***v, size_t *n)
{
    assert(log && path && what && unit && v && n);
    if (log->count == 0) return 0;
    char where[96] = "";
    size_t shown = log->count < IO_TRIM_SHOWN ? log->count : IO_TRIM_SHOWN, used = 0;
    for (size_t i = 0; i < shown; i++)
        used += (size_t)snprintf(where + used, sizeof where - used, "%s%ld", i ? ", " : "", log->lines[i]);
    return io_warn(v, n, "%s: %zu %s had leading or trailing whitespace, trimmed (first on %s%s %s%s)", path,
                   log->count, what, unit, shown > 1 ? "s" : "", where, log->count > shown ? ", ..." : "");
}

/* ----------------------------------------------------------- class sets */

int io_classset_add(io_classset *cs, const char *name)
{
    assert(cs && name);
    int code = io_strtab_get(&cs->index, name);
    if (code >= 0) return code;
    char *copy = la_strdup(name);
    if (!copy) return -1;
    if (io_strvec_push(&cs->names, &cs->k, &cs->cap, copy)) {
        free(copy);
        return -1;
    }
    if (io_strtab_put(&cs->index, copy, (int)(cs->k - 1)) < 0) {
        cs->k--;
        free(copy);
        return -1;
    }
    return (int)(cs->k - 1);
}

void io_classset_free(io_classset *cs)
{
    if (!cs) return;
    for (size_t i = 0; i < cs->k; i++) free(cs->names[i]);
    free(cs->names);
    io_strtab_free(&cs->index);
    memset(cs, 0, sizeof *cs);
}

/* ------------------------------------------------------ --classes files */

static const char utf8_bom[3] = {'\xEF', '\xBB', '\xBF'};

/* Reading state of one class list: the set, and each class's line for the
 * message about a duplicate. */
typedef struct cf_reader {
    const char  *path;
    io_classset *out;
    long        *first_line;   /* line of class c, c < out->k               */
    size_t       fl_cap;
    la_error    *err;
} cf_reader;

/* One line (BOM and line end already cut off, len > 0): a new class. */
static int cf_add_line(cf_reader *r, const char *s, size_t len, long lineno)
{
    if (len != strlen(s)) return la_error_set(r->err, LA_EUSAGE, r->path, lineno, "NUL byte in class name");
    if (la_utf8_check(s, len) != len)
        return la_error_set(r->err, LA_EUSAGE, r->path, lineno, "class name is not valid UTF-8");
    int seen = io_strtab_get(&r->out->index, s);
    if (seen >= 0)
        return la_error_set(r->err, LA_EUSAGE, r->path, lineno, "class '%s' listed twice (also on line %ld)", s,
                            r->first_line[seen]);
    int code = io_classset_add(r->out, s);
    if (code >= 0 && r->out->k > r->fl_cap) {
        long *nl = realloc(r->first_line, r->out->cap * sizeof *nl);
        if (nl) {
            r->first_line = nl;
            r->fl_cap = r->out->cap;
        } else {
            code = -1;
        }
    }
    if (code < 0) return la_error_set(r->err, LA_EINTERNAL, r->path, lineno, "out of memory");
    r->first_line[code] = lineno;
    return 0;
}

int io_class_file_read(const char *path, io_classset *out, io_trim_log *trimmed, la_error *err)
{
    assert(path && out && err);
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open class list: %s", strerror(errno));
    cf_reader r = {.path = path, .out = out, .err = err};
    if (trimmed) memset(trimmed, 0, sizeof *trimmed);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    int rc = 0;
    while (!rc && (len = getline(&line, &cap, fp)) >= 0) {
        char *s = line;
        if (++lineno == 1 && len >= 3 && !memcmp(s, utf8_bom, 3)) {
            s += 3;
            len -= 3;
        }
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = '\0';
        size_t kept = (size_t)len;
        if (kept > 0 && kept == strlen(s)) s = io_label_trim(s, &kept, trimmed, lineno);
        if (kept > 0) rc = cf_add_line(&r, s, kept, lineno);
    }
    if (!rc && ferror(fp)) rc = la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", strerror(errno));
    if (!rc && out->k == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "class list is empty");
    free(r.first_line);
    free(line);
    fclose(fp);
    if (rc) io_classset_free(out);
    return rc;
}

/* ------------------------------------------------------ the class order */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Longest run of digits an integer class name may have (fits an int64). */
#define IO_INT_NAME_DIGITS 18

/* 1 when s is an integer: an optional '-', then 1..18 ASCII digits; its
 * value in *v. */
static int int_name(const char *s, long long *v)
{
    const char *p = s + (*s == '-');
    size_t nd = strspn(p, "0123456789");
    if (nd == 0 || nd > IO_INT_NAME_DIGITS || p[nd]) return 0;
    *v = strtoll(s, NULL, 10);
    return 1;
}

/* Integer names by value (ties such as "7" and "07" byte-wise). */
static int cmp_int_name(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    long long u = 0, w = 0;
    int_name(x, &u);
    int_name(y, &w);
    return u < w ? -1 : u > w ? 1 : strcmp(x, y);
}

void io_class_names_sort(char **names, size_t k)
{
    assert(names || !k);
    int all_int = 1;
    long long v;
    for (size_t j = 0; j < k && all_int; j++) all_int = int_name(names[j], &v);
    qsort(names, k, sizeof *names, all_int ? cmp_int_name : cmp_str);
}

/* remap[c] = position of cs->names[c] in the --classes file, read into
 * *fixed. A label missing from the file is an error naming its line (or its
 * example id when line_of is NULL). */
static int remap_to_file(const io_classset *cs, la_dataset *ds, const char *classes_file,
                         const char *path, const long *line_of, io_classset *fixed, int *remap, la_error *err)
{
    io_trim_log trimmed;
    int rc = io_class_file_read(classes_file, fixed, &trimmed, err);
    if (rc) return rc;
    if (io_trim_warning(&trimmed, classes_file, "class names", "line", &ds->warnings, &ds->n_warnings)) {
        io_classset_free(fixed);
        return la_error_set(err, LA_EINTERNAL, classes_file, 0, "out of memory");
    }
    for (size_t c = 0; c < cs->k; c++) {
        remap[c] = io_strtab_get(&fixed->index, cs->names[c]);
        if (remap[c] >= 0) continue;
        size_t i = 0;
        while (i < ds->n && ds->labels[i] != (int32_t)c) i++;
        if (line_of && i < ds->n)
            la_error_set(err, LA_EUSAGE, path, line_of[i], "label '%s' is not in the class list %s", cs->names[c],
                         classes_file);
        else
            la_error_set(err, LA_EUSAGE, path, 0, "label '%s' (example %s) is not in the class list %s", cs->names[c],
                         i < ds->n && ds->ids ? ds->ids[i] : "?", classes_file);
        io_classset_free(fixed);
        return LA_EUSAGE;
    }
    return 0;
}

int io_classes_finish(io_classset *cs, la_dataset *ds, const io_load_opts *opts,
                      const char *path, const long *line_of, la_error *err)
{
    assert(cs && ds && err);
    assert(ds->n == 0 || ds->labels);
    int *remap = la_malloc_array(cs->k, sizeof *remap);
    if (!remap) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    char **names;
    size_t k;
    if (opts && opts->classes_file) {
        io_classset fixed = {0};
        int rc = remap_to_file(cs, ds, opts->classes_file, path, line_of, &fixed, remap, err);
        if (rc) {
            free(remap);
            return rc;
        }
        names = fixed.names;
        k = fixed.k;
        io_strtab_free(&fixed.index);
        for (size_t c = 0; c < cs->k; c++) free(cs->names[c]);
        free(cs->names);
    } else {
        /* sort a copy of the pointers, then find each name's new position */
        names = la_malloc_array(cs->k, sizeof *names);
        if (!names) {
            free(remap);
            return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
        }
        memcpy(names, cs->names, cs->k * sizeof *names);
        io_class_names_sort(names, cs->k);
        for (size_t j = 0; j < cs->k; j++) remap[io_strtab_get(&cs->index, names[j])] = (int)j;
        k = cs->k;
        free(cs->names);
    }
    io_strtab_free(&cs->index);
    memset(cs, 0, sizeof *cs);
    for (size_t i = 0; i < ds->n; i++) ds->labels[i] = remap[ds->labels[i]];
    free(remap);
    ds->class_names = names;
    ds->k = k;
    return 0;
}

/* ------------------------------------------------------- image sizes */

int io_note_image_size(la_dataset *ds, int w, int h)
{
    assert(ds);
    for (size_t i = 0; i < ds->n_image_sizes; i++) {
        if (ds->image_sizes[i].w == w && ds->image_sizes[i].h == h) {
            ds->image_sizes[i].count++;
            return 0;
        }
    }
    io_image_size *v = realloc(ds->image_sizes, (ds->n_image_sizes + 1) * sizeof *v);
    if (!v) return -1;
    ds->image_sizes = v;
    v[ds->n_image_sizes++] = (io_image_size){w, h, 1};
    return 0;
}
