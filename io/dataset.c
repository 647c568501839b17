/*
 * dataset.c — io_dataset_load (format detection and dispatch), freeing, the
 * loader options shared by every command, and the class-name helpers every
 * loader uses (loader.h). The format readers live in csv_table.c,
 * manifest.c (manifests and image folders), idx.c and npy_dataset.c.
 * Invariant: on failure *out is left zeroed, never half-filled.
 */
#include "dataset.h"
#include "loader.h"
#include "csv_table.h"
#include "manifest.h"
#include "idx.h"
#include "npy_dataset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void io_load_opts_init(io_load_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->format = IO_FORMAT_AUTO;
    opts->label_col = "label";
    opts->id_col = "id";
    opts->missing = IO_MISSING_ERROR;
    opts->channels = 1;
    opts->max_pixels = 64000000LL;
}

const char *io_format_name(io_format f)
{
    switch (f) {
    case IO_FORMAT_CSV: return "csv";
    case IO_FORMAT_MANIFEST: return "manifest";
    case IO_FORMAT_FOLDER: return "folder";
    case IO_FORMAT_IDX: return "idx";
    case IO_FORMAT_NPY: return "npy";
    case IO_FORMAT_AUTO: break;
    }
    return "auto";
}

/* ----------------------------------------------------------- class names */

int io_strvec_push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        char **nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = s;
    return 0;
}

int io_classset_add(io_classset *cs, const char *name)
{
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
    for (size_t i = 0; i < cs->k; i++) free(cs->names[i]);
    free(cs->names);
    io_strtab_free(&cs->index);
    memset(cs, 0, sizeof *cs);
}

int io_class_file_read(const char *path, io_classset *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open class list: %s", strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    long *first_line = NULL;  /* line of each class, for duplicate messages */
    size_t fl_cap = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        char *s = line;
        if (lineno == 1 && len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { s += 3; len -= 3; }
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) s[--len] = 0;
        if (len == 0) continue;
        if ((size_t)len != strlen(s)) { rc = la_error_set(err, LA_EUSAGE, path, lineno, "NUL byte in class name"); break; }
        if (la_utf8_check(s, (size_t)len) != (size_t)len) { rc = la_error_set(err, LA_EUSAGE, path, lineno, "class name is not valid UTF-8"); break; }
        int seen = io_strtab_get(&out->index, s);
        if (seen >= 0) {
            rc = la_error_set(err, LA_EUSAGE, path, lineno, "class '%s' listed twice (also on line %ld)", s, first_line[seen]);
            break;
        }
        int code = io_classset_add(out, s);
        if (code < 0 || (out->k > fl_cap && !(first_line = realloc(first_line, (fl_cap = out->cap) * sizeof *first_line)))) {
            rc = la_error_set(err, LA_EINTERNAL, path, lineno, "out of memory");
            break;
        }
        first_line[code] = lineno;
    }
    if (!rc && ferror(fp)) rc = la_error_set(err, LA_EUSAGE, path, 0, "read error: %s", strerror(errno));
    if (!rc && out->k == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "class list is empty");
    free(first_line);
    free(line);
    fclose(fp);
    if (rc) io_classset_free(out);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int io_classes_finish(io_classset *cs, la_dataset *ds, const io_load_opts *opts,
                      const char *path, const long *line_of, la_error *err)
{
    int *remap = la_malloc_array(cs->k, sizeof *remap);
    if (!remap) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    io_classset fixed = {0};
    char **names;
    size_t k;
    if (opts && opts->classes_file) {
        int rc = io_class_file_read(opts->classes_file, &fixed, err);
        if (rc) { free(remap); return rc; }
        for (size_t c = 0; c < cs->k; c++) {
            remap[c] = io_strtab_get(&fixed.index, cs->names[c]);
            if (remap[c] >= 0) continue;
            size_t i = 0;
            while (i < ds->n && ds->labels[i] != (int32_t)c) i++;
            if (line_of && i < ds->n)
                la_error_set(err, LA_EUSAGE, path, line_of[i], "label '%s' is not in the class list %s",
                             cs->names[c], opts->classes_file);
            else
                la_error_set(err, LA_EUSAGE, path, 0, "label '%s' (example %s) is not in the class list %s",
                             cs->names[c], i < ds->n && ds->ids ? ds->ids[i] : "?", opts->classes_file);
            free(remap);
            io_classset_free(&fixed);
            return LA_EUSAGE;
        }
        names = fixed.names;
        k = fixed.k;
        io_strtab_free(&fixed.index);
        for (size_t c = 0; c < cs->k; c++) free(cs->names[c]);
        free(cs->names);
    } else {
        /* sort a copy of the pointers, then find each name's new position */
        names = la_malloc_array(cs->k, sizeof *names);
        if (!names) { free(remap); return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); }
        memcpy(names, cs->names, cs->k * sizeof *names);
        qsort(names, cs->k, sizeof *names, cmp_str);
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

int io_note_image_size(la_dataset *ds, int w, int h)
{
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

/* --------------------------------------------------------------- loading */

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Decides the format of a file from its name and first bytes. */
static io_format sniff_format(const char *path, const io_load_opts *opts)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return IO_FORMAT_FOLDER;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (has_suffix(base, ".npy")) return IO_FORMAT_NPY;
    if (strstr(base, "idx3") || strstr(base, "-ubyte") || has_suffix(base, ".idx") || has_suffix(base, ".idx.gz"))
        return IO_FORMAT_IDX;
    unsigned char magic[6] = {0};
    FILE *fp = fopen(path, "rb");
    size_t got = fp ? fread(magic, 1, sizeof magic, fp) : 0;
    if (fp) fclose(fp);
    if (got >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return IO_FORMAT_IDX;        /* gzip */
    if (got >= 6 && !memcmp(magic, "\x93NUMPY", 6)) return IO_FORMAT_NPY;
    if (got >= 4 && magic[0] == 0 && magic[1] == 0 && magic[2] == 0x08 && magic[3] >= 1 && magic[3] <= 4)
        return IO_FORMAT_IDX;
    if ((got >= 4 && !memcmp(magic, "\x89PNG", 4)) || (got >= 3 && !memcmp(magic, "\xFF\xD8\xFF", 3)) ||
        (got >= 6 && !memcmp(magic, "GIF8", 4) && magic[5] == 'a'))
        return IO_FORMAT_AUTO;  /* a single image: not a dataset */
    /* a CSV: a manifest when its header is path + label (+ id) */
    char **names = NULL;
    size_t n = 0;
    la_error ignored;
    io_format f = IO_FORMAT_CSV;
    if (io_csv_header(path, &names, &n, &ignored) == 0) {
        int has_path = 0, has_label = 0, other = 0;
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(names[i], "path")) has_path = 1;
            else if (!strcmp(names[i], opts->label_col)) has_label = 1;
            else if (strcmp(names[i], opts->id_col)) other = 1;
        }
        if (has_path && has_label && !other) f = IO_FORMAT_MANIFEST;
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return f;
}

int io_dataset_load(const char *path, const io_load_opts *opts_in, la_dataset *out, la_error *err)
{
    io_load_opts defaults;
    if (!opts_in) { io_load_opts_init(&defaults); opts_in = &defaults; }
    memset(out, 0, sizeof *out);
    la_error_clear(err);
    struct stat st;
    if (stat(path, &st) != 0)
        return la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
    io_format f = opts_in->format != IO_FORMAT_AUTO ? opts_in->format : sniff_format(path, opts_in);
    if (f == IO_FORMAT_AUTO)
        return la_error_set(err, LA_EUSAGE, path, 0,
                            "is a single image, not a dataset: give a manifest (CSV id,path,label) or a folder ROOT/<class>/<image>");
    if (f != IO_FORMAT_FOLDER && S_ISDIR(st.st_mode))
        return la_error_set(err, LA_EUSAGE, path, 0, "is a directory (an image folder needs --format-in folder or none)");
    out->path = la_strdup(path);
    if (!out->path) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    out->format = f;
    int rc;
    switch (f) {
    case IO_FORMAT_CSV: rc = io_csv_table_load(path, opts_in, out, err); break;
    case IO_FORMAT_MANIFEST: rc = io_manifest_load(path, opts_in, out, err); break;
    case IO_FORMAT_FOLDER: rc = io_folder_load(path, opts_in, out, err); break;
    case IO_FORMAT_IDX: rc = io_idx_load(path, opts_in, out, err); break;
    case IO_FORMAT_NPY: rc = io_npy_dataset_load(path, opts_in, out, err); break;
    default: rc = la_error_set(err, LA_EINTERNAL, path, 0, "unknown format"); break;
    }
    if (!rc && out->n == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "no examples (the file has no data rows)");
    if (rc) {
        if (!err->status) err->status = rc;
        io_dataset_free(out);
        return rc;
    }
    return 0;
}

static void free_strings(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

void io_dataset_free(la_dataset *ds)
{
    if (!ds) return;
    free(ds->path);
    free_strings(ds->class_names, ds->k);
    free_strings(ds->ids, ds->n);
    free(ds->labels);
    free(ds->features);
    free_strings(ds->feature_names, ds->d);
    free(ds->feature_source);
    free(ds->feature_onehot);
    free_strings(ds->image_paths, ds->n);
    free(ds->root);
    for (size_t i = 0; i < ds->n_columns; i++) {
        free(ds->columns[i].name);
        free_strings(ds->columns[i].categories, ds->columns[i].n_categories);
    }
    free(ds->columns);
    free(ds->image_sizes);
    memset(ds, 0, sizeof *ds);
}
