/*
 * manifest.c — manifests and image folders (see manifest.h). Reading the list
 * of examples and decoding the images are separate steps: the list is
 * validated first (fields, ids, labels, paths), then every image is decoded
 * into its row of the one feature block.
 */
#include "manifest.h"
#include "loader.h"
#include "csv_table.h"
#include "image.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------ path checks */

int io_path_inside(const char *root, const char *rel)
{
    assert(root && rel);
    if (rel[0] == '/') return -1;
    /* lexical: count depth, never below 0 */
    long depth = 0;
    for (const char *p = rel; *p;) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0) return -1;
        } else if (n > 0 && !(n == 1 && p[0] == '.')) {
            depth++;
        }
        p += n;
        if (*p == '/') p++;
    }
    /* symlinks: the resolved file must stay under the resolved root */
    char full[PATH_MAX], rroot[PATH_MAX], rfull[PATH_MAX];
    if (la_path_join(full, sizeof full, root, rel)) return -1;
    if (!realpath(root, rroot) || !realpath(full, rfull)) return 0;   /* missing: reported later */
    size_t n = strlen(rroot);
    if (strncmp(rfull, rroot, n) != 0) return -1;
    if (n > 1 && rfull[n] != '/' && rfull[n] != 0) return -1;
    return 0;
}

/* ------------------------------------------------------- decoding images */

/* Appends "; line L: text" (or "; text") to the message, as room allows. */
static void append_more(char *msg, size_t cap, long line, const char *text)
{
    size_t len = strlen(msg);
    if (len + 8 >= cap) return;
    if (line > 0) snprintf(msg + len, cap - len, "; line %ld: %s", line, text);
    else snprintf(msg + len, cap - len, "; %s", text);
}

/* Decodes image i of ds into its feature row. shown[i] is the path as the user
 * wrote it (for messages); src/line_of locate the manifest line, if any. */
typedef struct decoder {
    la_dataset         *ds;
    const io_load_opts *opts;
    const char         *src;       /* manifest path, or NULL for folders      */
    const long         *line_of;   /* manifest line per example, or NULL      */
    char              **shown;     /* path as written, per example            */
    int                 w0, h0;    /* first native size (no --image-size)     */
    size_t              first_i;   /* example that had it                     */
    size_t              n_bad;
    la_error            first;     /* the first failure, in full              */
    char                more[900]; /* the others, briefly                     */
} decoder;

static void note_bad(decoder *dc, size_t i, const la_error *e)
{
    long line = dc->line_of ? dc->line_of[i] : 0;
    if (dc->n_bad++ == 0) {
        dc->first = *e;
        if (dc->src) {
            /* name the manifest and line; the image path goes in the message */
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "image '%.300s': %.700s", dc->shown[i], e->msg);
            la_error_set(&dc->first, e->status, dc->src, line, "%s", msg);
        }
        return;
    }
    char brief[400];
    snprintf(brief, sizeof brief, "%s: %.300s", dc->shown[i], e->msg);
    append_more(dc->more, sizeof dc->more, line, brief);
}

static int decode_one(decoder *dc, size_t i, la_error *e)
{
    la_dataset *ds = dc->ds;
    const io_load_opts *o = dc->opts;
    unsigned char *pix;
    int w, h;
    int ch = o->channels == 3 ? 3 : 1;
    int rc = io_image_load(ds->image_paths[i], ch, o->max_pixels, &pix, &w, &h, e);
    if (rc) return rc;
    if (io_note_image_size(ds, w, h)) { io_image_free(pix); return la_error_set(e, LA_EINTERNAL, NULL, 0, "out of memory"); }
    if (!ds->features) {
        /* the first good image fixes D unless --image-size did */
        ds->image_w = o->image_w ? o->image_w : w;
        ds->image_h = o->image_h ? o->image_h : h;
        ds->channels = ch;
        dc->w0 = w;
        dc->h0 = h;
        dc->first_i = i;
        ds->d = (size_t)ds->image_w * (size_t)ds->image_h * (size_t)ch;
        ds->features = la_calloc(ds->n, ds->d * sizeof(float));
        if (!ds->features) {
            io_image_free(pix);
            return la_error_set(e, LA_EINTERNAL, NULL, 0, "out of memory (%zu images of %zu values)", ds->n, ds->d);
        }
    } else if (!o->image_w && (w != dc->w0 || h != dc->h0)) {
        io_image_free(pix);
        char where[64] = "";
        if (dc->line_of) snprintf(where, sizeof where, " (line %ld)", dc->line_of[dc->first_i]);
        return la_error_set(e, LA_EUSAGE, ds->image_paths[i], 0,
                            "image is %dx%d but the earlier images are %dx%d (first: %s%s); "
                            "use --image-size WxH to resize them all",
                            w, h, dc->w0, dc->h0, dc->shown[dc->first_i], where);
    }
    rc = io_image_to_features(pix, w, h, ch, ds->image_w, ds->image_h, ds->features + i * ds->d);
    io_image_free(pix);
    if (rc) return la_error_set(e, LA_EINTERNAL, NULL, 0, "out of memory while resizing");
    return 0;
}

static int decode_all(decoder *dc, la_error *err)
{
    la_dataset *ds = dc->ds;
    if (dc->opts->image_w && (long long)dc->opts->image_w * dc->opts->image_h > dc->opts->max_pixels)
        return la_error_set(err, LA_EUSAGE, dc->src ? dc->src : ds->root, 0,
                            "--image-size %dx%d is over the --max-pixels limit", dc->opts->image_w, dc->opts->image_h);
    if (dc->opts->progress) dc->opts->progress->total = (long long)ds->n;
    for (size_t i = 0; i < ds->n; i++) {
        if (dc->opts->progress) la_progress_update(dc->opts->progress, (long long)i);
        la_error e;
        la_error_clear(&e);
        if (decode_one(dc, i, &e) == 0) continue;
        if (e.status == LA_EINTERNAL) { *err = e; return LA_EINTERNAL; }
        note_bad(dc, i, &e);
    }
    if (dc->n_bad == 0) {
        if (!ds->features) return la_error_set(err, LA_EUSAGE, dc->src ? dc->src : ds->root, 0, "no images");
        return 0;
    }
    *err = dc->first;
    if (dc->n_bad > 1) {
        char extra[1024];
        snprintf(extra, sizeof extra, " [%zu more bad image%s%.900s]", dc->n_bad - 1, dc->n_bad > 2 ? "s" : "", dc->more);
        size_t len = strlen(err->msg);
        if (len + 1 < sizeof err->msg) snprintf(err->msg + len, sizeof err->msg - len, "%.*s", (int)(sizeof err->msg - len - 1), extra);
    }
    return err->status ? err->status : LA_EUSAGE;
}

/* --------------------------------------------------------------- manifest */

typedef struct mf {
    const char         *path;
    const io_load_opts *opts;
    la_dataset         *ds;
    int                 c_path, c_label, c_id;
    size_t              ncols;
    int                 header_done;
    io_classset         classes;
    io_strtab           id_index;
    size_t              cap;
    long               *line_of;
    char              **shown;
    io_trim_log         trimmed;   /* labels cut by the whitespace rule */
} mf;

static int mf_header(mf *m, long line, size_t nf, char **fields, la_error *err)
{
    m->c_path = m->c_label = m->c_id = -1;
    for (size_t i = 0; i < nf; i++) {
        if (!strcmp(fields[i], "path")) m->c_path = (int)i;
        else if (!strcmp(fields[i], m->opts->label_col)) m->c_label = (int)i;
        else if (!strcmp(fields[i], m->opts->id_col)) m->c_id = (int)i;
    }
    if (m->c_path < 0) return la_error_set(err, LA_EUSAGE, m->path, line, "manifest has no 'path' column");
    if (m->c_label < 0)
        return la_error_set(err, LA_EUSAGE, m->path, line, "manifest has no label column '%s' (use --label-col NAME)",
                            m->opts->label_col);
    m->ncols = nf;
    m->header_done = 1;
    return 0;
}

static int mf_reserve(mf *m)
{
    la_dataset *ds = m->ds;
    if (ds->n < m->cap) return 0;
    size_t nc = m->cap ? m->cap * 2 : 1024;
    char **ids = realloc(ds->ids, nc * sizeof *ids);
    if (ids) ds->ids = ids;
    char **paths = realloc(ds->image_paths, nc * sizeof *paths);
    if (paths) ds->image_paths = paths;
    char **shown = realloc(m->shown, nc * sizeof *shown);
    if (shown) m->shown = shown;
    int32_t *labels = realloc(ds->labels, nc * sizeof *labels);
    if (labels) ds->labels = labels;
    long *lines = realloc(m->line_of, nc * sizeof *lines);
    if (lines) m->line_of = lines;
    if (!ids || !paths || !shown || !labels || !lines) return -1;
    m->cap = nc;
    return 0;
}

static int mf_record(void *ctx, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    mf *m = ctx;
    la_dataset *ds = m->ds;
    if (!m->header_done) return mf_header(m, line, nf, fields, err);
    if (nf != m->ncols) return la_error_set(err, LA_EUSAGE, m->path, line, "expected %zu fields, got %zu", m->ncols, nf);
    size_t label_len = lens[m->c_label];
    const char *label = io_label_trim(fields[m->c_label], &label_len, &m->trimmed, line);
    if (label_len == 0) return la_error_setc(err, LA_EUSAGE, m->path, line, m->opts->label_col, "empty label");
    if (lens[m->c_path] == 0) return la_error_setc(err, LA_EUSAGE, m->path, line, "path", "empty path");
    if (m->c_id >= 0 && lens[m->c_id] == 0) return la_error_setc(err, LA_EUSAGE, m->path, line, m->opts->id_col, "empty id");
    const char *rel = fields[m->c_path];
    if (!m->opts->allow_outside_root && io_path_inside(ds->root, rel))
        return la_error_setc(err, LA_EUSAGE, m->path, line, "path",
                             "'%s' leaves the manifest's directory (use --allow-outside-root to permit)", rel);
    if (mf_reserve(m)) return la_error_set(err, LA_EINTERNAL, m->path, line, "out of memory");
    size_t r = ds->n;
    char idbuf[32];
    snprintf(idbuf, sizeof idbuf, "%zu", r);
    char *id = la_strdup(m->c_id >= 0 ? fields[m->c_id] : idbuf);
    char *shown = la_strdup(rel);
    size_t plen = strlen(ds->root) + strlen(rel) + 2;
    char *full = malloc(plen);
    int code = io_classset_add(&m->classes, label);
    if (!id || !shown || !full || code < 0) {
        free(id); free(shown); free(full);
        return la_error_set(err, LA_EINTERNAL, m->path, line, "out of memory");
    }
    if (rel[0] == '/') snprintf(full, plen, "%s", rel);
    else snprintf(full, plen, "%s/%s", ds->root, rel);
    int prev = io_strtab_put(&m->id_index, id, (int)r);
    if (prev != (int)r) {
        int rc = prev == -2 ? la_error_set(err, LA_EINTERNAL, m->path, line, "out of memory")
                            : la_error_set(err, LA_EUSAGE, m->path, line,
                                           "duplicate id '%s': line %ld and line %ld have the same id", id, m->line_of[prev], line);
        free(id); free(shown); free(full);
        return rc;
    }
    ds->ids[r] = id;
    ds->image_paths[r] = full;
    m->shown[r] = shown;
    ds->labels[r] = code;
    m->line_of[r] = line;
    ds->n = r + 1;
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return la_strdup(".");
    if (slash == path) return la_strdup("/");
    size_t n = (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (d) { memcpy(d, path, n); d[n] = 0; }
    return d;
}

int io_manifest_load(const char *path, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    assert(path && opts && ds && err);
    mf m = {.path = path, .opts = opts, .ds = ds};
    ds->root = dir_of(path);
    if (!ds->root) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    int rc = io_csv_read(path, mf_record, &m, err);
    if (!rc && !m.header_done) rc = la_error_set(err, LA_EUSAGE, path, 0, "empty file: no header row");
    if (!rc && ds->n == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "no data rows after the header");
    if (!rc) rc = io_classes_finish(&m.classes, ds, opts, path, m.line_of, err);
    if (!rc && io_trim_warning(&m.trimmed, path, "labels", "line", &ds->warnings, &ds->n_warnings))
        rc = la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    if (!rc && !opts->no_features) {
        decoder dc = {.ds = ds, .opts = opts, .src = path, .line_of = m.line_of, .shown = m.shown};
        rc = decode_all(&dc, err);
    }
    for (size_t i = 0; i < ds->n; i++) free(m.shown[i]);
    free(m.shown);
    free(m.line_of);
    io_classset_free(&m.classes);
    io_strtab_free(&m.id_index);
    return rc;
}

/* ----------------------------------------------------------- image folder */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int image_ext(const char *name)
{
    static const char *const exts[] = {"png", "jpg", "jpeg", "bmp", "gif", "tga", "pgm", "ppm", "pnm", "psd", "hdr", "pic"};
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (!strcasecmp(dot + 1, exts[i])) return 1;
    return 0;
}

/* Sorted visible entries of dir that are directories (want_dir) or image files. */
static int list_dir(const char *dir, int want_dir, char ***out, size_t *n, la_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    DIR *d = opendir(dir);
    if (!d) return la_error_set(err, LA_EUSAGE, dir, 0, "cannot open directory: %s", strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char full[PATH_MAX];
        struct stat st;
        if (la_path_join(full, sizeof full, dir, e->d_name) || stat(full, &st)) continue;
        if (want_dir ? !S_ISDIR(st.st_mode) : (!S_ISREG(st.st_mode) || !image_ext(e->d_name))) continue;
        char *s = la_strdup(e->d_name);
        if (!s || io_strvec_push(out, n, &cap, s)) {
            free(s);
            rc = la_error_set(err, LA_EINTERNAL, dir, 0, "out of memory");
        }
    }
    closedir(d);
    if (!rc && *n) qsort(*out, *n, sizeof **out, cmp_str);
    return rc;
}

static void free_vec(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Collects ROOT/<class>/<file> as relative paths ("class/file") in byte-wise
 * order, with each one's first-seen class code. */
static int folder_scan(const char *root, io_classset *cs, char ***rel, size_t *n,
                       int32_t **labels, la_error *err)
{
    char **classes = NULL;
    size_t nclass = 0, cap = 0, lab_cap = 0;
    int rc = list_dir(root, 1, &classes, &nclass, err);
    if (!rc && nclass == 0)
        rc = la_error_set(err, LA_EUSAGE, root, 0, "no class folders (expected ROOT/<class>/<image files>)");
    for (size_t c = 0; !rc && c < nclass; c++) {
        char dir[PATH_MAX];
        char **files = NULL;
        size_t nfiles = 0;
        if (la_path_join(dir, sizeof dir, root, classes[c])) rc = la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        if (!rc) rc = list_dir(dir, 0, &files, &nfiles, err);
        int code = rc ? 0 : io_classset_add(cs, classes[c]);
        for (size_t f = 0; !rc && f < nfiles; f++) {
            char r[PATH_MAX];
            if (la_path_join(r, sizeof r, classes[c], files[f])) { rc = la_error_set(err, LA_EUSAGE, dir, 0, "path too long"); break; }
            if (*n == lab_cap) {
                lab_cap = lab_cap ? lab_cap * 2 : 1024;
                int32_t *nl = realloc(*labels, lab_cap * sizeof *nl);
                if (!nl) code = -1;
                else *labels = nl;
            }
            char *copy = code < 0 ? NULL : la_strdup(r);
            if (!copy || io_strvec_push(rel, n, &cap, copy)) {
                free(copy);
                rc = la_error_set(err, LA_EINTERNAL, root, 0, "out of memory");
                break;
            }
            (*labels)[*n - 1] = code;
        }
        free_vec(files, nfiles);
    }
    free_vec(classes, nclass);
    return rc;
}

int io_folder_load(const char *root, const io_load_opts *opts, la_dataset *ds, la_error *err)
{
    assert(root && opts && ds && err);
    char **rel = NULL;
    size_t n = 0;
    int32_t *labels = NULL;
    io_classset cs = {0};
    io_strtab stems = {0};
    ds->root = la_strdup(root);
    if (!ds->root) return la_error_set(err, LA_EINTERNAL, root, 0, "out of memory");
    int rc = folder_scan(root, &cs, &rel, &n, &labels, err);
    if (!rc && n == 0) rc = la_error_set(err, LA_EUSAGE, root, 0, "no image files in the class folders");
    if (!rc) {
        /* both arrays whole before n is set, so io_dataset_free always works */
        ds->ids = calloc(n, sizeof *ds->ids);
        ds->image_paths = calloc(n, sizeof *ds->image_paths);
        if (!ds->ids || !ds->image_paths) rc = la_error_set(err, LA_EINTERNAL, root, 0, "out of memory");
        else {
            ds->n = n;
            ds->labels = labels;
            labels = NULL;
        }
    }
    /* ids: the file names without extension when unique, else class/file */
    int unique = 1;
    for (size_t i = 0; !rc && i < n; i++) {
        size_t len = strlen(ds->root) + strlen(rel[i]) + 2;
        const char *slash = strrchr(rel[i], '/');
        ds->ids[i] = la_strdup(slash ? slash + 1 : rel[i]);
        ds->image_paths[i] = malloc(len);
        if (!ds->ids[i] || !ds->image_paths[i]) { rc = la_error_set(err, LA_EINTERNAL, root, 0, "out of memory"); break; }
        snprintf(ds->image_paths[i], len, "%s/%s", ds->root, rel[i]);
        char *dot = strrchr(ds->ids[i], '.');
        if (dot && dot != ds->ids[i]) *dot = 0;
        int prev = io_strtab_put(&stems, ds->ids[i], (int)i);
        if (prev == -2) rc = la_error_set(err, LA_EINTERNAL, root, 0, "out of memory");
        else if (prev != (int)i) unique = 0;
    }
    io_strtab_free(&stems);
    for (size_t i = 0; !rc && !unique && i < n; i++) {
        char *id = la_strdup(rel[i]);
        if (!id) { rc = la_error_set(err, LA_EINTERNAL, root, 0, "out of memory"); break; }
        free(ds->ids[i]);
        ds->ids[i] = id;
    }
    if (!rc) rc = io_classes_finish(&cs, ds, opts, root, NULL, err);
    if (!rc && !opts->no_features) {
        decoder dc = {.ds = ds, .opts = opts, .shown = rel};
        rc = decode_all(&dc, err);
    }
    free_vec(rel, n);
    free(labels);
    io_classset_free(&cs);
    return rc;
}
