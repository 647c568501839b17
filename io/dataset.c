/*
 * dataset.c — io_dataset_load: decides the format and dispatches to its
 * reader (csv_table.c, manifest.c for manifests and image folders, idx.c,
 * npy_dataset.c); plus the loader options' defaults, the format names and
 * io_dataset_free. The helpers the readers share are below them, in
 * loader.c; this file is the only one that knows every reader.
 * Invariant: on failure *out is left zeroed, never half-filled.
 */
#include "dataset.h"
#include "csv_table.h"
#include "manifest.h"
#include "idx.h"
#include "npy_dataset.h"
#include "npy.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void io_load_opts_init(io_load_opts *opts)
{
    assert(opts);
    memset(opts, 0, sizeof *opts);
    opts->format = IO_FORMAT_AUTO;
    opts->label_col = IO_DEFAULT_LABEL_COL;
    opts->id_col = IO_DEFAULT_ID_COL;
    opts->missing = IO_MISSING_ERROR;
    opts->channels = 1;
    opts->max_pixels = IO_MAX_PIXELS_DEFAULT;
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

int io_format_from_name(const char *name, io_format *out)
{
    assert(name && out);
    for (io_format f = IO_FORMAT_CSV; f <= IO_FORMAT_NPY; f++) {
        if (!strcmp(name, io_format_name(f))) {
            *out = f;
            return 0;
        }
    }
    return -1;
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
    if (got >= IO_NPY_MAGIC_LEN && !memcmp(magic, IO_NPY_MAGIC, IO_NPY_MAGIC_LEN)) return IO_FORMAT_NPY;
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
    assert(path && out && err);
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
    free_strings(ds->warnings, ds->n_warnings);
    memset(ds, 0, sizeof *ds);
}
