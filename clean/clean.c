/*
 * clean.c — the clean stage (clean.h): the plan (reviewer decisions first,
 * then the automatic policy for what nobody reviewed), changes.csv, and the
 * cleaned dataset written through io/dataset_write.h into OUT.tmp.PID, which
 * replaces OUT only once everything is written.
 */
#include "clean.h"
#include "../io/npy_dataset.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../io/dataset_write.h"
#include "../util/la_dirs.h"

#define CLN_CHANGES_FILE "changes.csv"
#define CLN_TMP_SUFFIX_MAX 64        /* room for ".tmp.PID" after the out path */

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
                  const cln_auto_opts *ao, cln_plan *out, la_error *err)
{
    assert(ao);
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
            if (ao->policy == CLN_AUTO_NONE) continue;
            if (!isnan(ao->min_quality) && !(d->quality < ao->min_quality)) continue;
            int sure = (!isnan(ao->relabel_below) && d->quality < ao->relabel_below) ||
                       (ao->relabel_above > 0 && d->suggested_p >= ao->relabel_above);   /* NAN compares false */
            if (ao->policy == CLN_AUTO_DROP && !(sure && d->suggested >= 0 && d->suggested != given[i])) {
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

int cln_plan_drop_issues(cln_plan *p, const char *const *why, la_error *err)
{
    assert(p && why);
    for (size_t i = 0; i < p->n; i++) {
        if (!why[i] || p->label[i] == CLN_DROPPED) continue;
        if (p->why[i]) {                           /* an automatic relabel gives way */
            assert(strncmp(p->why[i], "reviewer:", 9) != 0);
            p->n_relabeled--;
            p->n_automatic--;
        }
        if (set_why(p, i, why[i], "")) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        p->label[i] = CLN_DROPPED;
        p->n_dropped++;
        p->n_automatic++;
        p->n_issue_dropped++;
    }
    return 0;
}

static const char *label_name(const la_dataset *ds, int32_t c)
{
    return c == CLN_DROPPED ? "dropped" : ds->class_names[c];
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
        io_write_csv_field(af.fp, io_row_id(ds, i, b));
        fputc(',', af.fp);
        io_write_csv_field(af.fp, label_name(ds, old_label[i]));
        fputc(',', af.fp);
        io_write_csv_field(af.fp, label_name(ds, p->label[i]));
        fputc(',', af.fp);
        io_write_csv_field(af.fp, p->why[i]);
        fputc('\n', af.fp);
    }
    return la_atomic_commit(&af, err);
}

/* ---- the stage ------------------------------------------------------------ */

/* 1 when path (an existing file) lies inside dir (an existing directory). */
static int inside(const char *path, const char *dir)
{
    char rp[PATH_MAX], rd[PATH_MAX];
    if (!path || !realpath(path, rp) || !realpath(dir, rd)) return 0;
    size_t n = strlen(rd);
    return !strncmp(rp, rd, n) && (rp[n] == '/' || rp[n] == 0);
}

int cln_out_dir_check(const char *out, const char *const *inputs, size_t n_inputs, char *norm,
                      size_t normsz, la_error *err)
{
    size_t olen = strlen(out);
    while (olen > 1 && out[olen - 1] == '/') olen--;
    if (olen == 0 || olen + CLN_TMP_SUFFIX_MAX >= normsz)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--out: bad directory name");
    memcpy(norm, out, olen);
    norm[olen] = 0;
    struct stat sb;
    if (stat(norm, &sb) != 0) return 0;
    if (!S_ISDIR(sb.st_mode)) return la_error_set(err, LA_EUSAGE, norm, 0, "exists and is not a directory");
    for (size_t i = 0; i < n_inputs; i++)
        if (inside(inputs[i], norm))
            return la_error_set(err, LA_EUSAGE, norm, 0, "holds the input files; write the cleaned dataset elsewhere");
    if (!la_dir_replaceable(norm, CLN_CHANGES_FILE))
        return la_error_set(err, LA_EUSAGE, norm, 0, "exists and is not an earlier clean output (no changes.csv); "
                            "refusing to replace it");
    return 0;
}

/* IDX output names: the source's base name without ".gz", and its labels
 * twin ("images" -> "labels", "idx3" -> "idx1"). */
static void idx_names(const char *src, char *img, char *lab, size_t sz)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", src);
    snprintf(img, sz, "%s", basename(tmp));
    size_t n = strlen(img);
    if (n > 3 && !strcmp(img + n - 3, ".gz")) img[n - 3] = 0;
    snprintf(lab, sz, "%s", img);
    char *p = strstr(lab, "images");
    if (p) memcpy(p, "labels", 6);
    p = strstr(lab, "idx3");
    if (p) p[3] = '1';
    if (!strcmp(lab, img)) snprintf(lab, sz, "labels-idx1-ubyte");
}

static int too_long(const char *dir, la_error *err)
{
    return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
}

/* Writes the cleaned dataset into dir; main_file gets the name of the file
 * to pass as --data afterwards (relative to dir). */
static int write_dataset(const char *data, const la_dataset *ds, const int32_t *label,
                         const char *dir, char *main_file, size_t mfsz, la_error *err)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", data);
    const char *base = basename(tmp);
    switch (ds->format) {
    case IO_FORMAT_CSV: {
        size_t lc = ds->n_columns;
        for (size_t j = 0; j < ds->n_columns; j++)
            if (ds->columns[j].type == IO_COL_LABEL) lc = j;
        if (lc == ds->n_columns) return la_error_set(err, LA_EUSAGE, data, 1, "no label column");
        snprintf(main_file, mfsz, "%s", base);
        if (la_path_join(path, sizeof path, dir, main_file)) return too_long(dir, err);
        return io_write_csv_relabeled(data, lc, ds, label, path, err);
    }
    case IO_FORMAT_MANIFEST:
    case IO_FORMAT_FOLDER:
        snprintf(main_file, mfsz, "manifest.csv");
        if (la_path_join(path, sizeof path, dir, main_file)) return too_long(dir, err);
        return io_write_manifest(ds, label, dir, path, err);
    case IO_FORMAT_IDX: {
        char img[NAME_MAX + 1], lab[NAME_MAX + 1], lp[PATH_MAX];
        idx_names(data, img, lab, sizeof img);
        snprintf(main_file, mfsz, "%s", img);
        if (la_path_join(path, sizeof path, dir, img) || la_path_join(lp, sizeof lp, dir, lab)) return too_long(dir, err);
        if (io_write_idx(data, ds, label, path, lp, err)) return err->status;
        if (la_path_join(path, sizeof path, dir, "classes.txt")) return too_long(dir, err);
        return io_write_class_names(path, ds, err);
    }
    case IO_FORMAT_NPY:
        snprintf(main_file, mfsz, "%s", base);
        if (la_path_join(path, sizeof path, dir, main_file)) return too_long(dir, err);
        if (io_write_features_npy(ds, label, path, err)) return err->status;
        /* NAME.labels.csv beside NAME.npy: the .npy loader's default labels */
        snprintf(tmp, sizeof tmp, "%s", main_file);
        if (strlen(tmp) > 4 && !strcmp(tmp + strlen(tmp) - 4, ".npy")) tmp[strlen(tmp) - 4] = '\0';
        if (strlen(tmp) + sizeof IO_NPY_LABELS_SUFFIX > sizeof tmp) return too_long(dir, err);
        strcat(tmp, IO_NPY_LABELS_SUFFIX);
        if (la_path_join(path, sizeof path, dir, tmp)) return too_long(dir, err);
        return io_write_labels_csv(ds, label, path, err);
    default:
        return la_error_set(err, LA_EUSAGE, data, 0, "cannot write a cleaned %s dataset", io_format_name(ds->format));
    }
}

void cln_stage_out_free(cln_stage_out *out)
{
    cln_plan_free(&out->plan);
    memset(out, 0, sizeof *out);
}

/* leaked_test.csv: the leaked test examples and the training rows they copy. */
static int cln_write_leaks(const char *path, const la_dataset *ds, const cln_leak *leaks, size_t n, la_error *err)
{
    FILE *fp = fopen(path, "w");
    if (!fp) return la_error_set(err, LA_EINTERNAL, path, 0, "cannot write: %s", strerror(errno));
    fputs("test_index,test_id,train_index,train_id,score\n", fp);
    char num[32];
    for (size_t t = 0; t < n; t++) {
        const cln_leak *l = &leaks[t];
        snprintf(num, sizeof num, "%" PRId64, l->test);
        fprintf(fp, "%" PRId64 ",", l->test);
        io_write_csv_field(fp, l->test_id ? l->test_id : num);
        fprintf(fp, ",%" PRId64 ",", l->train);
        io_write_csv_field(fp, l->train >= 0 && (size_t)l->train < ds->n ? ds->ids[l->train] : "");
        fprintf(fp, ",%.17g\n", l->score);
    }
    int bad = ferror(fp);
    if (fclose(fp) || bad) return la_error_set(err, LA_EINTERNAL, path, 0, "write failed");
    return 0;
}

int cln_stage(const cln_stage_in *in, const cln_stage_opts *o, cln_stage_out *out, la_error *err)
{
    assert(in && in->ds && in->data_path && (in->dec || in->ndec == 0) && o && o->out_dir && out);
    const la_dataset *ds = in->ds;
    memset(out, 0, sizeof *out);
    int rc = cln_plan_make(ds->labels, ds->n, in->dec, in->ndec, &o->automatic, &out->plan, err);
    if (!rc && in->issue_why) rc = cln_plan_drop_issues(&out->plan, in->issue_why, err);
    if (rc) {
        cln_plan_free(&out->plan);
        return rc;
    }

    /* write everything into OUT.tmp.PID, then rename */
    char tmpdir[PATH_MAX + CLN_TMP_SUFFIX_MAX], parent[PATH_MAX], path[PATH_MAX];
    snprintf(tmpdir, sizeof tmpdir, "%s.tmp.%ld", o->out_dir, (long)getpid());
    snprintf(parent, sizeof parent, "%s", o->out_dir);
    if ((rc = la_mkdir_p(dirname(parent), err))) goto fail;
    if (mkdir(tmpdir, 0755) != 0) {
        rc = la_error_set(err, LA_EINTERNAL, tmpdir, 0, "mkdir: %s", strerror(errno));
        goto fail;
    }
    if ((rc = write_dataset(in->data_path, ds, out->plan.label, tmpdir, out->main_file,
                            sizeof out->main_file, err)))
        goto fail_tmp;
    la_path_join(path, sizeof path, tmpdir, CLN_CHANGES_FILE);
    if ((rc = cln_write_changes(path, ds, ds->labels, &out->plan, err))) goto fail_tmp;
    la_path_join(path, sizeof path, tmpdir, "leaked_test.csv");
    if (in->write_leaks && (rc = cln_write_leaks(path, ds, in->leaks, in->n_leaks, err))) goto fail_tmp;
    if (la_dir_swap_in(tmpdir, o->out_dir)) {
        rc = la_error_set(err, LA_EINTERNAL, o->out_dir, 0, "rename: %s", strerror(errno));
        goto fail_tmp;
    }
    out->n_kept = ds->n - out->plan.n_dropped;
    return 0;
fail_tmp:
    la_dir_remove_tree(tmpdir);
fail:
    cln_stage_out_free(out);
    return rc;
}
