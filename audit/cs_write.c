/*
 * cs_write.c — the consensus stage (cs_stage in cs_io.h): cs_run, then the
 * four CSV files cleanlab's DataFrames would give (and classes.txt) written
 * into OUT.tmp.PID, renamed to OUT only when all are complete; and the
 * reader of label_quality.csv that `clean --consensus` uses.
 *
 * Invariant: OUT is either as it was or a complete consensus output.
 */
#include "cs_io.h"
#include "../io/csv_table.h"
#include "../io/labels.h"
#include "../util/la_json.h"

#include <jansson.h>
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CS_MARKER "label_quality.csv"   /* what makes a directory a consensus output */

static const char *const cs_files[] = {CS_MARKER, "annotator_stats.csv", "detailed_label_quality.csv",
                                       "active_learning.csv", "classes.txt"};
#define CS_N_FILES (sizeof cs_files / sizeof *cs_files)

/* A CSV field, quoted when it holds a comma, quote, CR or LF. */
static void cs_put_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"') fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* ",x" with 17 significant digits, or "," alone for NaN. */
static void cs_put_double(FILE *fp, double x)
{
    char buf[40];
    fputc(',', fp);
    if (isnan(x)) return;
    la_fmt_g17(x, buf);
    fputs(buf, fp);
}

static void cs_put_index(FILE *fp, const cs_labels *l, size_t i)
{
    if (l->ids) cs_put_field(fp, l->ids[i]);
    else fprintf(fp, "%zu", i);
}

static void cs_write_label_quality(FILE *fp, const cs_labels *l, const cs_result *r)
{
    fputs("index,consensus_label,consensus_quality_score,annotator_agreement,num_annotations\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        cs_put_index(fp, l, i);
        fprintf(fp, ",%d", (int)r->consensus_label[i]);
        cs_put_double(fp, r->consensus_quality[i]);
        cs_put_double(fp, r->agreement[i]);
        fprintf(fp, ",%d\n", (int)r->num_annotations[i]);
    }
}

static void cs_write_annotator_stats(FILE *fp, const cs_labels *l, const cs_result *r)
{
    fputs("annotator,annotator_quality,agreement_with_consensus,worst_class,num_examples_labeled\n", fp);
    for (size_t t = 0; t < r->m; t++) {
        size_t j = r->order[t];
        cs_put_field(fp, l->annotators[j]);
        cs_put_double(fp, r->annotator_quality[j]);
        cs_put_double(fp, r->agreement_with_consensus[j]);
        fprintf(fp, ",%d,%d\n", (int)r->worst_class[j], (int)r->num_labeled[j]);
    }
}

static void cs_write_detailed(FILE *fp, const cs_labels *l, const cs_result *r)
{
    fputs("index", fp);
    for (size_t j = 0; j < r->m; j++) {
        fputc(',', fp);
        char name[512];
        snprintf(name, sizeof name, "quality_annotator_%s", l->annotators[j]);
        cs_put_field(fp, name);
    }
    fputc('\n', fp);
    for (size_t i = 0; i < r->n; i++) {
        cs_put_index(fp, l, i);
        for (size_t j = 0; j < r->m; j++) cs_put_double(fp, r->detailed[i * r->m + j]);
        fputc('\n', fp);
    }
}

static void cs_write_active_learning(FILE *fp, const cs_labels *l, const cs_result *r)
{
    fputs("index,active_learning_score\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        cs_put_index(fp, l, i);
        cs_put_double(fp, r->active_learning[i]);
        fputc('\n', fp);
    }
}

/* Removes the files this stage writes from dir, then dir. */
static void cs_remove_dir(const char *dir)
{
    char p[PATH_MAX + 64];
    for (size_t f = 0; f < CS_N_FILES; f++) {
        if (la_path_join(p, sizeof p, dir, cs_files[f])) continue;
        unlink(p);
    }
    rmdir(dir);
}

/* out must be new, or a directory holding an earlier consensus output. */
static int cs_check_out(const char *out, la_error *err)
{
    struct stat st;
    if (stat(out, &st) != 0) return 0;
    char p[PATH_MAX + 64];
    if (la_path_join(p, sizeof p, out, CS_MARKER)) return la_error_set(err, LA_EUSAGE, out, 0, "path too long");
    if (!S_ISDIR(st.st_mode) || access(p, F_OK) != 0)
        return la_error_set(err, LA_EUSAGE, out, 0, "exists and is not an earlier consensus output (no %s): "
                            "choose a new --out", CS_MARKER);
    return 0;
}

static int cs_write_all(const char *dir, const cs_stage_in *in, const cs_result *r, la_error *err)
{
    char p[PATH_MAX + 64];
    size_t n_files = in->class_names ? CS_N_FILES : CS_N_FILES - 1;
    for (size_t f = 0; f < n_files; f++) {
        if (la_path_join(p, sizeof p, dir, cs_files[f])) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        FILE *fp = fopen(p, "w");
        if (!fp) return la_error_set(err, LA_EINTERNAL, p, 0, "cannot create: %s", strerror(errno));
        if (f == 0) cs_write_label_quality(fp, in->labels, r);
        else if (f == 1) cs_write_annotator_stats(fp, in->labels, r);
        else if (f == 2) cs_write_detailed(fp, in->labels, r);
        else if (f == 3) cs_write_active_learning(fp, in->labels, r);
        else
            for (size_t c = 0; c < in->k; c++) fprintf(fp, "%s\n", in->class_names[c]);
        int bad = ferror(fp) | (fflush(fp) != 0) | (fsync(fileno(fp)) != 0);
        if (fclose(fp) != 0 || bad) return la_error_set(err, LA_EINTERNAL, p, 0, "write failed: %s", strerror(errno));
    }
    return 0;
}

/* tmp renamed to out; an earlier output there moved aside first, then removed. */
static int cs_commit_dir(const char *tmp, const char *out, la_error *err)
{
    char old[PATH_MAX + 64];
    snprintf(old, sizeof old, "%s.old.%ld", out, (long)getpid());
    int had = access(out, F_OK) == 0;
    if (had && rename(out, old) != 0)
        return la_error_set(err, LA_EINTERNAL, out, 0, "cannot replace: %s", strerror(errno));
    if (rename(tmp, out) != 0) {
        int e = errno;
        if (had) rename(old, out);
        return la_error_set(err, LA_EINTERNAL, out, 0, "cannot create: %s", strerror(e));
    }
    if (had) cs_remove_dir(old);
    return 0;
}

int cs_stage(const cs_stage_in *in, const cs_opts *o, const char *out_dir, cs_result *res, la_error *err)
{
    assert(in && in->labels && in->pred_probs && o && out_dir && res && err);
    memset(res, 0, sizeof *res);
    const cs_labels *l = in->labels;
    int rc = cs_check_out(out_dir, err);
    if (rc) return rc;
    if ((rc = cs_run(l->y, l->n, l->m, in->pred_probs, in->k, o, res, err))) return rc;
    char tmp[PATH_MAX + 64];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_dir, (long)getpid()) >= (int)sizeof tmp) {
        rc = la_error_set(err, LA_EUSAGE, out_dir, 0, "path too long");
        goto fail;
    }
    cs_remove_dir(tmp);
    char parent[PATH_MAX + 64];
    snprintf(parent, sizeof parent, "%s", out_dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) *slash = 0;
    if (slash && slash != parent && (rc = la_mkdir_p(parent, err))) goto fail;
    if (mkdir(tmp, 0777) != 0) {
        rc = la_error_set(err, LA_EINTERNAL, tmp, 0, "cannot create: %s", strerror(errno));
        goto fail;
    }
    if ((rc = cs_write_all(tmp, in, res, err)) || (rc = cs_commit_dir(tmp, out_dir, err))) {
        cs_remove_dir(tmp);
        goto fail;
    }
    return 0;
fail:
    cs_result_free(res);
    return rc;
}

/* ---- reading an output back (clean --consensus) ------------------------------------ */

typedef struct cs_lq_reader {
    const char *path;
    long        f_index, f_label;
    size_t      n, cap;
    char      **ids;
    int32_t    *labels;
} cs_lq_reader;

static int cs_lq_record(void *ctx, long line, size_t nf, char **f, const size_t *lens, la_error *err)
{
    cs_lq_reader *r = ctx;
    if (r->f_index < 0) {
        for (size_t j = 0; j < nf; j++) {
            if (!strcmp(f[j], "index")) r->f_index = (long)j;
            if (!strcmp(f[j], "consensus_label")) r->f_label = (long)j;
        }
        if (r->f_index < 0 || r->f_label < 0)
            return la_error_set(err, LA_EUSAGE, r->path, line, "needs the columns index and consensus_label "
                                "(a label_quality.csv written by `labelaudit consensus`)");
        return 0;
    }
    if ((size_t)r->f_index >= nf || (size_t)r->f_label >= nf)
        return la_error_set(err, LA_EUSAGE, r->path, line, "%zu fields: too few", nf);
    double v;
    if (io_parse_number(f[r->f_label], lens[r->f_label], &v) || v != floor(v) || v < 0 || v > INT32_MAX)
        return la_error_setc(err, LA_EUSAGE, r->path, line, "consensus_label", "'%.200s' is not a class index",
                             f[r->f_label]);
    if (r->n == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 64;
        char **ids = realloc(r->ids, nc * sizeof *ids);
        if (ids) r->ids = ids;
        int32_t *lab = realloc(r->labels, nc * sizeof *lab);
        if (lab) r->labels = lab;
        if (!ids || !lab) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        r->cap = nc;
    }
    if (!(r->ids[r->n] = la_strdup(f[r->f_index]))) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    r->labels[r->n++] = (int32_t)v;
    return 0;
}

int cs_read_consensus(const char *dir, char ***ids, int32_t **labels, size_t *n, char ***names, size_t *k_names,
                      la_error *err)
{
    assert(dir && ids && labels && n && names && k_names && err);
    char p[PATH_MAX + 64];
    if (la_path_join(p, sizeof p, dir, CS_MARKER)) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
    cs_lq_reader r = {.path = p, .f_index = -1, .f_label = -1};
    *names = NULL, *k_names = 0;
    int rc = io_csv_read(p, cs_lq_record, &r, err);
    if (!rc) {
        if (la_path_join(p, sizeof p, dir, "classes.txt")) rc = la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        else if (access(p, F_OK) == 0) rc = io_class_names_load(p, names, k_names, err);
    }
    if (rc) {
        io_free_strings(r.ids, r.n);
        free(r.labels);
        return rc;
    }
    *ids = r.ids, *labels = r.labels, *n = r.n;
    return 0;
}

/* ---- the reviewer table (consensus --db records it for the report) ------------------ */

char *cs_annotator_table_json(const cs_result *r, const cs_labels *l, char *const *class_names, const char *method)
{
    assert(r && l && method);
    json_t *doc = json_object(), *rows = json_array();
    if (!doc || !rows) return json_decref(doc), json_decref(rows), NULL;
    json_object_set_new(doc, "consensus", json_string(method));
    json_object_set_new(doc, "examples", json_integer((json_int_t)r->n));
    json_object_set_new(doc, "reviewers", rows);
    for (size_t t = 0; t < r->m; t++) {
        size_t j = r->order[t];
        int32_t w = r->worst_class[j];
        json_t *row = json_pack("{s:s, s:I, s:f, s:o, s:I, s:s}", "reviewer", l->annotators[j], "labelled",
                                (json_int_t)r->num_labeled[j], "agreement", r->agreement_with_consensus[j],
                                "quality", isnan(r->annotator_quality[j]) ? json_null()
                                                                          : json_real(r->annotator_quality[j]),
                                "worst_class_index", (json_int_t)w, "worst_class",
                                class_names ? class_names[w] : "");
        if (!row || json_array_append_new(rows, row)) return json_decref(doc), NULL;
    }
    char *text = la_json_text(doc, LA_JSON_LINE);
    json_decref(doc);
    return text;
}
