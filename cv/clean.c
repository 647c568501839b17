/*
 * clean.c — the clean plan (reviewer decisions first, then the automatic
 * policy for what nobody reviewed) and the writers of the cleaned dataset.
 *
 * The CSV writer works on raw bytes, not on parsed values, so an unchanged
 * record comes out exactly as it went in; it only needs to find record and
 * field boundaries, which a quote-state scan gives (the loader already
 * validated the quoting when the dataset was loaded).
 */
#include "clean.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../io/npy.h"

/* ---- the plan ------------------------------------------------------------ */

void cln_plan_free(cln_plan *p)
{
    if (p->why)
        for (size_t i = 0; i < p->n; i++) free(p->why[i]);
    free(p->why);
    free(p->label);
    memset(p, 0, sizeof *p);
}

static int set_why(cln_plan *p, size_t i, const char *prefix, const char *what)
{
    size_t len = strlen(prefix) + strlen(what) + 1;
    char *s = malloc(len);
    if (!s) return -1;
    snprintf(s, len, "%s%s", prefix, what);
    free(p->why[i]);
    p->why[i] = s;
    return 0;
}

int cln_plan_make(const int32_t *given, size_t n, const cln_decision *dec, size_t ndec,
                  cln_auto policy, double min_quality, double relabel_below, cln_plan *out, la_error *err)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->label = la_malloc_array(n ? n : 1, sizeof *out->label);
    out->why = la_calloc(n ? n : 1, sizeof *out->why);
    uint8_t *listed = la_calloc(n ? n : 1, 1);
    if (!out->label || !out->why || !listed) goto oom;
    memcpy(out->label, given, n * sizeof *given);
    for (size_t j = 0; j < ndec; j++) {
        const cln_decision *d = &dec[j];
        if (d->row >= n) {
            free(listed);
            cln_plan_free(out);
            return la_error_set(err, LA_EUSAGE, NULL, 0, "review row %zu is outside the dataset (%zu rows)", d->row, n);
        }
        if (listed[d->row]++) {
            free(listed);
            cln_plan_free(out);
            return la_error_set(err, LA_EUSAGE, NULL, 0, "row %zu is in the review queue twice", d->row);
        }
        const char *st = d->status ? d->status : "pending";
        const char *who = d->reviewer && *d->reviewer ? d->reviewer : "unknown";
        size_t i = d->row;
        if (!strcmp(st, "relabel")) {
            if (d->new_label < 0) {
                free(listed);
                cln_plan_free(out);
                return la_error_set(err, LA_EUSAGE, NULL, 0, "row %zu: relabel decision without a new label", i);
            }
            out->label[i] = d->new_label;
            if (d->new_label != given[i] && set_why(out, i, "reviewer:", who)) goto oom;
        } else if (!strcmp(st, "drop")) {
            out->label[i] = CLN_DROPPED;
            if (set_why(out, i, "reviewer:", who)) goto oom;
        } else if (!strcmp(st, "keep")) {
            out->n_kept_by_reviewer++;
        } else {                                   /* pending or skip */
            out->n_unreviewed++;
            if (policy == CLN_AUTO_NONE) continue;
            if (!isnan(min_quality) && !(d->quality < min_quality)) continue;
            int sure = !isnan(relabel_below) && d->quality < relabel_below;
            if (policy == CLN_AUTO_DROP && !(sure && d->suggested >= 0 && d->suggested != given[i])) {
                out->label[i] = CLN_DROPPED;
                if (set_why(out, i, "automatic:", "drop")) goto oom;
            } else if (d->suggested >= 0 && d->suggested != given[i]) {
                out->label[i] = d->suggested;
                if (set_why(out, i, "automatic:", "relabel")) goto oom;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!out->why[i]) continue;
        if (out->label[i] == CLN_DROPPED) out->n_dropped++;
        else out->n_relabeled++;
        if (!strncmp(out->why[i], "reviewer:", 9)) out->n_by_reviewer++;
        else out->n_automatic++;
    }
    free(listed);
    return 0;
oom:
    free(listed);
    cln_plan_free(out);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
}

/* ---- small CSV helpers --------------------------------------------------- */

static int needs_quotes(const char *s)
{
    size_t len = strlen(s);
    if (len == 0) return 0;
    return strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' || s[len - 1] == ' ' || s[0] == '\t';
}

static void put_quoted(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (const char *q = s; *q; q++) {
        if (*q == '"') fputc('"', fp);
        fputc(*q, fp);
    }
    fputc('"', fp);
}

void cln_csv_field(FILE *fp, const char *s)
{
    if (needs_quotes(s)) put_quoted(fp, s);
    else fputs(s, fp);
}

static const char *label_name(const la_dataset *ds, int32_t c)
{
    return c == CLN_DROPPED ? "dropped" : ds->class_names[c];
}

static const char *row_id(const la_dataset *ds, size_t i, char buf[32])
{
    if (ds->ids && ds->ids[i]) return ds->ids[i];
    snprintf(buf, 32, "%zu", i);
    return buf;
}

int cln_write_changes(const char *path, const la_dataset *ds, const int32_t *old_label,
                      const cln_plan *p, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    fputs("id,old_label,new_label,why\n", af.fp);
    for (size_t i = 0; i < p->n; i++) {
        if (!p->why[i]) continue;
        char b[32];
        cln_csv_field(af.fp, row_id(ds, i, b));
        fputc(',', af.fp);
        cln_csv_field(af.fp, label_name(ds, old_label[i]));
        fputc(',', af.fp);
        cln_csv_field(af.fp, label_name(ds, p->label[i]));
        fputc(',', af.fp);
        cln_csv_field(af.fp, p->why[i]);
        fputc('\n', af.fp);
    }
    return la_atomic_commit(&af, err);
}

int cln_write_labels_csv(const la_dataset *ds, const cln_plan *p, const char *out_path,
                         la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, out_path, err)) return err->status;
    fputs("id,label\n", af.fp);
    for (size_t i = 0; i < p->n; i++) {
        if (p->label[i] == CLN_DROPPED) continue;
        char b[32];
        cln_csv_field(af.fp, row_id(ds, i, b));
        fputc(',', af.fp);
        cln_csv_field(af.fp, ds->class_names[p->label[i]]);
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

int cln_write_csv(const char *src, size_t label_col, const la_dataset *ds, const cln_plan *p,
                  const char *out_path, la_error *err)
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
        if (row >= p->n) {
            la_atomic_abort(&af); free(s);
            return la_error_set(err, LA_EUSAGE, src, line, "more records than the dataset has rows (%zu): the file changed?", p->n);
        }
        /* content end without the line end (\n or \r\n) */
        size_t ce = e;
        if (ce > i && s[ce - 1] == '\n') ce--;
        if (ce > i && s[ce - 1] == '\r') ce--;
        int32_t lab = p->label[row];
        size_t fa, fb;
        if (lab != CLN_DROPPED) {
            if (field_span(s, i, ce, label_col, &fa, &fb)) {
                la_atomic_abort(&af); free(s);
                return la_error_set(err, LA_EUSAGE, src, line, "record has no column %zu: the file changed?", label_col + 1);
            }
            const char *name = ds->class_names[lab];
            if (field_equals(s, fa, fb, name)) {
                fwrite(s + i, 1, e - i, af.fp);
            } else {
                fwrite(s + i, 1, fa - i, af.fp);
                if (fb > fa && s[fa] == '"') put_quoted(af.fp, name);
                else cln_csv_field(af.fp, name);
                fwrite(s + fb, 1, e - fb, af.fp);
            }
        }
        row++;
        i = e; line += nl;
    }
    free(s);
    if (row != p->n) {
        la_atomic_abort(&af);
        return la_error_set(err, LA_EUSAGE, src, 0, "%zu records but the dataset has %zu rows: the file changed?", row, p->n);
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

int cln_relpath(const char *base, const char *target, char *out, size_t outsz)
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

int cln_write_manifest(const la_dataset *ds, const cln_plan *p, const char *final_dir,
                       const char *out_path, la_error *err)
{
    if (!ds->image_paths) return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no image paths");
    la_atomic_file af;
    if (la_atomic_open(&af, out_path, err)) return err->status;
    fputs("id,path,label\n", af.fp);
    for (size_t i = 0; i < p->n; i++) {
        if (p->label[i] == CLN_DROPPED) continue;
        char rel[PATH_MAX], b[32];
        if (cln_relpath(final_dir, ds->image_paths[i], rel, sizeof rel)) {
            la_atomic_abort(&af);
            return la_error_set(err, LA_EUSAGE, ds->image_paths[i], 0, "cannot resolve the image path: %s", strerror(errno));
        }
        cln_csv_field(af.fp, row_id(ds, i, b));
        fputc(',', af.fp);
        cln_csv_field(af.fp, rel);
        fputc(',', af.fp);
        cln_csv_field(af.fp, ds->class_names[p->label[i]]);
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

int cln_write_idx(const char *src_images, const la_dataset *ds, const cln_plan *p,
                  const char *out_images, const char *out_labels, la_error *err)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->label[i] > 255)
            return la_error_set(err, LA_EUSAGE, src_images, 0, "IDX labels are bytes: class %d does not fit", p->label[i]);
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
    if (n != p->n || sz == 0 || sz != ds->d) {
        gzclose(gi);
        return la_error_set(err, LA_EUSAGE, src_images, 0, "the images file changed since it was loaded");
    }
    size_t kept = 0;
    for (size_t i = 0; i < p->n; i++) kept += p->label[i] != CLN_DROPPED;
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
    for (size_t i = 0; i < p->n; i++) {
        if (gzread(gi, img, (unsigned)sz) != (int)sz) {
            rc = la_error_set(err, LA_EUSAGE, src_images, 0, "truncated at image %zu", i);
            break;
        }
        if (p->label[i] == CLN_DROPPED) continue;
        fwrite(img, 1, sz, ai.fp);
        fputc(p->label[i], al.fp);
    }
    free(img);
    gzclose(gi);
    if (rc) { la_atomic_abort(&ai); la_atomic_abort(&al); return rc; }
    if (la_atomic_commit(&ai, err)) { la_atomic_abort(&al); return err->status; }
    return la_atomic_commit(&al, err);
}

/* ---- npy features ------------------------------------------------------- */

int cln_write_features_npy(const la_dataset *ds, const cln_plan *p, const char *out_path,
                           la_error *err)
{
    if (!ds->features || ds->d == 0) return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no features");
    size_t kept = 0;
    for (size_t i = 0; i < p->n; i++) kept += p->label[i] != CLN_DROPPED;
    float *X = la_malloc_array(kept * ds->d + 1, sizeof *X);
    if (!X) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t r = 0;
    for (size_t i = 0; i < p->n; i++) {
        if (p->label[i] == CLN_DROPPED) continue;
        memcpy(X + r * ds->d, ds->features + i * ds->d, ds->d * sizeof *X);
        r++;
    }
    int rc = io_npy_save_f32(out_path, X, kept, ds->d, err);
    free(X);
    return rc;
}
