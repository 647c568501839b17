/*
 * dataset_write.c — writers of a dataset with some rows relabeled or
 * dropped, in its input's own format (dataset_write.h). The CSV writer works
 * on raw bytes, not on parsed values, so an unchanged record comes out
 * exactly as it went in; it only needs record and field boundaries, which a
 * quote-state scan gives (the loader validated the quoting on load).
 */
#include "dataset_write.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "npy.h"

/* ---- small CSV helpers --------------------------------------------------- */

static int needs_quotes(const char *s)
{
    size_t len = strlen(s);
    if (len == 0) return 0;
    return strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[len - 1] == ' ' || s[0] == '\t';
}

void io_write_csv_quoted(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const char *q = s; *q; q++) {
        if (*q == '"') fputc('"', fp);
        fputc(*q, fp);
    }
    fputc('"', fp);
}

void io_write_csv_field(FILE *fp, const char *s)
{
    if (needs_quotes(s)) io_write_csv_quoted(fp, s);
    else fputs(s, fp);
}

const char *io_row_id(const la_dataset *ds, size_t i, char buf[32])
{
    if (ds->ids && ds->ids[i]) return ds->ids[i];
    snprintf(buf, 32, "%zu", i);
    return buf;
}

int io_write_labels_csv(const la_dataset *ds, const int32_t *label, const char *out_path,
                        la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, out_path, err)) return err->status;
    fputs("id,label\n", af.fp);
    for (size_t i = 0; i < ds->n; i++) {
        if (label[i] == IO_ROW_DROPPED) continue;
        char b[32];
        io_write_csv_field(af.fp, io_row_id(ds, i, b));
        fputc(',', af.fp);
        io_write_csv_field(af.fp, ds->class_names[label[i]]);
        fputc('\n', af.fp);
    }
    return la_atomic_commit(&af, err);
}

/* ---- CSV table: raw record copy ----------------------------------------- */

static char *slurp(const char *path, size_t *len, la_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        la_error_set(err, LA_EUSAGE, path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) { free(buf); buf = NULL; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (!buf) { la_error_set(err, LA_EINTERNAL, path, 0, "out of memory"); return NULL; }
    if (bad) { free(buf); la_error_set(err, LA_EUSAGE, path, 0, "read error"); return NULL; }
    *len = n;
    return buf;
}

/* End of the record starting at s[i] (index just past its line end, or len).
 * A line end inside quotes belongs to the field. */
static size_t record_end(const char *s, size_t len, size_t i)
{
    int q = 0;
    for (; i < len; i++) {
        if (s[i] == '"') q = !q;                 /* "" toggles twice: no change */
        else if (s[i] == '\n' && !q) return i + 1;
    }
    return len;
}

static int blank(const char *s, size_t a, size_t b)
{
    for (size_t i = a; i < b; i++)
        if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t') return 0;
    return 1;
}

/* Field f of the record s[a, b) (line end excluded): [*fa, *fb). 0 or -1. */
static int field_span(const char *s, size_t a, size_t b, size_t f, size_t *fa, size_t *fb)
{
    size_t cur = 0, start = a;
    int q = 0;
    for (size_t i = a; i <= b; i++) {
        if (i < b && s[i] == '"') { q = !q; continue; }
        if (i == b || (s[i] == ',' && !q)) {
            if (cur == f) { *fa = start; *fb = i; return 0; }
            cur++;
            start = i + 1;
        }
    }
    return -1;
}

/* 1 when the raw field s[a, b) holds exactly the text name. */
static int field_equals(const char *s, size_t a, size_t b, const char *name)
{
    if (b - a >= 2 && s[a] == '"' && s[b - 1] == '"') {
        const char *p = name;
        for (size_t i = a + 1; i < b - 1; i++) {
            if (s[i] == '"') i++;                /* "" -> " */
            if (*p++ != s[i]) return 0;
        }
        return *p == 0;
    }
    return b - a == strlen(name) && !memcmp(s + a, name, b - a);
}

int io_write_csv_relabeled(const char *src, size_t label_col, const la_dataset *ds,
                           const int32_t *label, const char *out_path, la_error *err)
{
    size_t len = 0;
    char *s = slurp(src, &len, err);
    if (!s) return err->status;
    la_atomic_file af;
    if (la_atomic_open(&af, out_path, err)) { free(s); return err->status; }
    size_t i = 0, row = 0;
    long line = 1;
    int header = 1;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) { fwrite(s, 1, 3, af.fp); i = 3; }
    while (i < len) {
        size_t e = record_end(s, len, i);
        long nl = 0;
        for (size_t t = i; t < e; t++) nl += s[t] == '\n';
        if (blank(s, i, e)) { i = e; line += nl; continue; }
        if (header) {                            /* header: as is */
            fwrite(s + i, 1, e - i, af.fp);
            header = 0;
            i = e; line += nl;
            continue;
        }
        if (row >= ds->n) {
            la_atomic_abort(&af); free(s);
            return la_error_set(err, LA_EUSAGE, src, line, "more records than the dataset has rows (%zu): the file changed?", ds->n);
        }
        /* content end without the line end (\n or \r\n) */
        size_t ce = e;
        if (ce > i && s[ce - 1] == '\n') ce--;
        if (ce > i && s[ce - 1] == '\r') ce--;
        int32_t lab = label[row];
        size_t fa, fb;
        if (lab != IO_ROW_DROPPED) {
            if (field_span(s, i, ce, label_col, &fa, &fb)) {
                la_atomic_abort(&af); free(s);
                return la_error_set(err, LA_EUSAGE, src, line, "record has no column %zu: the file changed?", label_col + 1);
            }
            const char *name = ds->class_names[lab];
            if (field_equals(s, fa, fb, name)) {
                fwrite(s + i, 1, e - i, af.fp);
            } else {
                fwrite(s + i, 1, fa - i, af.fp);
                if (fb > fa && s[fa] == '"') io_write_csv_quoted(af.fp, name);
                else io_write_csv_field(af.fp, name);
                fwrite(s + fb, 1, e - fb, af.fp);
            }
        }
        row++;
        i = e; line += nl;
    }
    free(s);
    if (row != ds->n) {
        la_atomic_abort(&af);
        return la_error_set(err, LA_EUSAGE, src, 0, "%zu records but the dataset has %zu rows: the file changed?", row, ds->n);
    }
    return la_atomic_commit(&af, err);
}

/* ---- manifest ------------------------------------------------------------ */

/* Splits an absolute path into components in place; returns the count. */
static size_t split_path(char *s, char **parts, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(s, "/"); t && n < max; t = strtok(NULL, "/")) parts[n++] = t;
    return n;
}

int io_relpath(const char *base, const char *target, char *out, size_t outsz)
{
    char rb[PATH_MAX], rt[PATH_MAX];
    if (!realpath(base, rb) || !realpath(target, rt)) return -1;
    char *pb[512], *pt[512];
    size_t nb = split_path(rb, pb, 512), nt = split_path(rt, pt, 512), c = 0;
    while (c < nb && c < nt && !strcmp(pb[c], pt[c])) c++;
    size_t used = 0;
    out[0] = 0;
    /* "..", once per base component below the common prefix, then the rest */
    for (size_t j = c; j < nb + nt - c; j++) {
        const char *part = j < nb ? ".." : pt[c + (j - nb)];
        int w = snprintf(out + used, outsz - used, "%s%s", used ? "/" : "", part);
        if (w < 0 || (size_t)w >= outsz - used) return -1;
        used += (size_t)w;
    }
    if (used == 0) snprintf(out, outsz, ".");
    return 0;
}

/* The name of image i inside the output's image directory: its path below
 * ds->root when it lies there lexically (no "..", not absolute), else
 * "_outside/<row>-<file name>" (a manifest loaded with --allow-outside-root). */
static int image_out_name(const la_dataset *ds, size_t i, char *out, size_t outsz)
{
    const char *p = ds->image_paths[i];
    size_t rl = ds->root ? strlen(ds->root) : 0;
    const char *rel = rl && !strncmp(p, ds->root, rl) && p[rl] == '/' ? p + rl + 1 : NULL;
    while (rel && rel[0] == '.' && rel[1] == '/') rel += 2;
    int outside = !rel || !*rel || rel[0] == '/' || !strncmp(rel, "../", 3) || strstr(rel, "/../") ||
                  !strcmp(rel, "..") || (strlen(rel) >= 3 && !strcmp(rel + strlen(rel) - 3, "/.."));
    const char *slash = strrchr(p, '/');
    int w = outside ? snprintf(out, outsz, "%s/%zu-%s", IO_IMAGES_OUTSIDE, i, slash ? slash + 1 : p)
                    : snprintf(out, outsz, "%s", rel);
    return w < 0 || (size_t)w >= outsz ? -1 : 0;
}

/* Copies file src to dst (a new file), for when a hard link is impossible. */
static int copy_file(const char *src, const char *dst, la_error *err)
{
    FILE *in = fopen(src, "rb");
    if (!in) return la_error_set(err, LA_EUSAGE, src, 0, "cannot open the image: %s", strerror(errno));
    FILE *out = fopen(dst, "wbx");
    if (!out) {
        fclose(in);
        return la_error_set(err, LA_EINTERNAL, dst, 0, "cannot create: %s", strerror(errno));
    }
    char buf[1 << 16];
    size_t got;
    int bad = 0;
    while (!bad && (got = fread(buf, 1, sizeof buf, in)) > 0) bad = fwrite(buf, 1, got, out) != got;
    bad |= ferror(in);
    fclose(in);
    if (fclose(out) || bad) return la_error_set(err, LA_EINTERNAL, dst, 0, "copy of %s failed", src);
    return 0;
}

/* final_dir/IO_IMAGES_DIR/name: a hard link to src (the same file), or a
 * copy when the file system refuses the link; a name already there (two rows
 * of one image) is kept. Creates the directories on the way. */
static int place_image(const char *src, const char *final_dir, const char *name, la_error *err)
{
    char dst[PATH_MAX], dir[PATH_MAX];
    int w = snprintf(dst, sizeof dst, "%s/%s/%s", final_dir, IO_IMAGES_DIR, name);
    if (w < 0 || (size_t)w >= sizeof dst) return la_error_set(err, LA_EUSAGE, final_dir, 0, "image path too long");
    snprintf(dir, sizeof dir, "%s", dst);
    *strrchr(dir, '/') = '\0';
    int rc = la_mkdir_p(dir, err);
    if (rc) return rc;
    if (link(src, dst) == 0 || errno == EEXIST) return 0;
    if (errno == ENOENT) return la_error_set(err, LA_EUSAGE, src, 0, "cannot resolve the image path: %s", strerror(errno));
    return copy_file(src, dst, err);
}

int io_write_manifest(const la_dataset *ds, const int32_t *label, const char *final_dir,
                      const char *out_path, la_error *err)
{
    if (!ds->image_paths) return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no image paths");
    la_atomic_file af;
    if (la_atomic_open(&af, out_path, err)) return err->status;
    fputs("id,path,label\n", af.fp);
    for (size_t i = 0; i < ds->n; i++) {
        if (label[i] == IO_ROW_DROPPED) continue;
        char name[PATH_MAX], rel[PATH_MAX + 16], b[32];
        if (image_out_name(ds, i, name, sizeof name)) {
            la_atomic_abort(&af);
            return la_error_set(err, LA_EUSAGE, ds->image_paths[i], 0, "image path too long");
        }
        if (place_image(ds->image_paths[i], final_dir, name, err)) {
            la_atomic_abort(&af);
            return err->status;
        }
        snprintf(rel, sizeof rel, "%s/%s", IO_IMAGES_DIR, name);
        io_write_csv_field(af.fp, io_row_id(ds, i, b));
        fputc(',', af.fp);
        io_write_csv_field(af.fp, rel);
        fputc(',', af.fp);
        io_write_csv_field(af.fp, ds->class_names[label[i]]);
        fputc('\n', af.fp);
    }
    return la_atomic_commit(&af, err);
}

/* ---- IDX ------------------------------------------------------------------ */

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24); b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);  b[3] = (unsigned char)v;
}

int io_write_idx(const char *src_images, const la_dataset *ds, const int32_t *label,
                 const char *out_images, const char *out_labels, la_error *err)
{
    for (size_t i = 0; i < ds->n; i++)
        if (label[i] > 255)
            return la_error_set(err, LA_EUSAGE, src_images, 0, "IDX labels are bytes: class %d does not fit", label[i]);
    gzFile gi = gzopen(src_images, "rb");
    if (!gi) return la_error_set(err, LA_EUSAGE, src_images, 0, "cannot open: %s", strerror(errno));
    unsigned char hdr[16];
    if (gzread(gi, hdr, 16) != 16 || hdr[0] || hdr[1] || hdr[2] != 0x08 || hdr[3] != 3) {
        gzclose(gi);
        return la_error_set(err, LA_EUSAGE, src_images, 0, "not an unsigned-byte 3-D IDX images file");
    }
    uint32_t n = (uint32_t)hdr[4] << 24 | (uint32_t)hdr[5] << 16 | (uint32_t)hdr[6] << 8 | hdr[7];
    size_t rows = (size_t)hdr[8] << 24 | (size_t)hdr[9] << 16 | (size_t)hdr[10] << 8 | hdr[11];
    size_t cols = (size_t)hdr[12] << 24 | (size_t)hdr[13] << 16 | (size_t)hdr[14] << 8 | hdr[15];
    size_t sz = rows * cols;
    if (n != ds->n || sz == 0 || sz != ds->d) {
        gzclose(gi);
        return la_error_set(err, LA_EUSAGE, src_images, 0, "the images file changed since it was loaded");
    }
    size_t kept = 0;
    for (size_t i = 0; i < ds->n; i++) kept += label[i] != IO_ROW_DROPPED;
    unsigned char *img = malloc(sz);
    la_atomic_file ai, al;
    if (!img) { gzclose(gi); return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }
    if (la_atomic_open(&ai, out_images, err)) { free(img); gzclose(gi); return err->status; }
    if (la_atomic_open(&al, out_labels, err)) { la_atomic_abort(&ai); free(img); gzclose(gi); return err->status; }
    put_be32(hdr + 4, (uint32_t)kept);
    fwrite(hdr, 1, 16, ai.fp);
    unsigned char lh[8] = {0, 0, 0x08, 1};
    put_be32(lh + 4, (uint32_t)kept);
    fwrite(lh, 1, 8, al.fp);
    int rc = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (gzread(gi, img, (unsigned)sz) != (int)sz) {
            rc = la_error_set(err, LA_EUSAGE, src_images, 0, "truncated at image %zu", i);
            break;
        }
        if (label[i] == IO_ROW_DROPPED) continue;
        fwrite(img, 1, sz, ai.fp);
        fputc(label[i], al.fp);
    }
    free(img);
    gzclose(gi);
    if (rc) { la_atomic_abort(&ai); la_atomic_abort(&al); return rc; }
    if (la_atomic_commit(&ai, err)) { la_atomic_abort(&al); return err->status; }
    return la_atomic_commit(&al, err);
}

/* ---- npy features ------------------------------------------------------- */

int io_write_features_npy(const la_dataset *ds, const int32_t *label, const char *out_path,
                          la_error *err)
{
    if (!ds->features || ds->d == 0) return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no features");
    size_t kept = 0;
    for (size_t i = 0; i < ds->n; i++) kept += label[i] != IO_ROW_DROPPED;
    float *X = la_malloc_array(kept * ds->d + 1, sizeof *X);
    if (!X) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t r = 0;
    for (size_t i = 0; i < ds->n; i++) {
        if (label[i] == IO_ROW_DROPPED) continue;
        memcpy(X + r * ds->d, ds->features + i * ds->d, ds->d * sizeof *X);
        r++;
    }
    int rc = io_npy_save_f32(out_path, X, kept, ds->d, err);
    free(X);
    return rc;
}

/* 1 when the header names would read as a data row (every name a number)
 * without being the 0..k-1 header io_probs_load knows. */
static int names_read_as_data(char *const *names, size_t k)
{
    int indices = 1;
    for (size_t j = 0; j < k; j++) {
        char *end = NULL;
        errno = 0;
        (void)strtod(names[j], &end);
        if (!names[j][0] || *end) return 0;
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", j);
        indices &= !strcmp(names[j], idx);
    }
    return !indices;
}

int io_write_probs_csv(const char *path, const double *p, size_t n, size_t k, char *const *names,
                       la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    int named = names && !names_read_as_data(names, k);
    for (size_t j = 0; j < k; j++) {
        if (j) fputc(',', af.fp);
        if (named) io_write_csv_field(af.fp, names[j]);
        else fprintf(af.fp, "p%zu", j);
    }
    fputc('\n', af.fp);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < k; j++) fprintf(af.fp, j ? ",%.17g" : "%.17g", p[i * k + j]);
        fputc('\n', af.fp);
    }
    return la_atomic_commit(&af, err);
}

int io_write_class_names(const char *path, const la_dataset *ds, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    for (size_t c = 0; c < ds->k; c++) fprintf(af.fp, "%s\n", ds->class_names[c]);
    return la_atomic_commit(&af, err);
}
