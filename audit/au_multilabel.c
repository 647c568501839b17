/*
 * au_multilabel.c — the multi-label audit stage (au_multilabel.h): reads
 * multi-hot labels, runs one binary confident-learning audit per class
 * (cl_run over [1 - p_c, p_c], read from memory), aggregates the per-class
 * scores as cleanlab's exponential moving average and writes the file set.
 * Invariant: an example is flagged iff some class's binary filter flags it.
 */
#include "au_multilabel.h"
#include "cl.h"
#include "../io/csv_table.h"
#include "../io/npy.h"
#include "../util/la_json.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int aml_oom(la_error *err) { return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }

void aml_opts_init(aml_opts *o)
{
    memset(o, 0, sizeof *o);
    o->filter = CL_PRUNE_BY_NOISE_RATE;
    o->rank = CL_SELF_CONFIDENCE;
    o->frac_noise = 1.0;
    o->nmin = 1;
    o->threads = 1;
}

void aml_labels_free(aml_labels *y)
{
    if (!y) return;
    free(y->onehot);
    if (y->ids)
        for (size_t i = 0; i < y->n; i++) free(y->ids[i]);
    free(y->ids);
    memset(y, 0, sizeof *y);
}

/* ---- labels: a .npy indicator matrix ---------------------------------------- */

static int aml_load_npy(const char *path, size_t k, aml_labels *y, la_error *err)
{
    io_npy f;
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    if (f.ndim != 2 || f.cols != k) {
        io_npy_close(&f);
        return la_error_set(err, LA_EUSAGE, path, 0, "a multi-label indicator matrix must be N x %zu (one column "
                            "per class of the probabilities), got %s%zu x %zu", k, f.ndim != 2 ? "1-D " : "",
                            f.rows, f.ndim != 2 ? (size_t)1 : f.cols);
    }
    double *row = la_malloc_array(k, sizeof *row);
    y->onehot = la_malloc_array(f.rows * k + 1, 1);
    if (!row || !y->onehot) { free(row); io_npy_close(&f); return aml_oom(err); }
    y->n = f.rows;
    for (size_t i = 0; !rc && i < f.rows; i++) {
        if ((rc = io_npy_read_rows_f64(&f, i, 1, row, err))) break;
        for (size_t c = 0; c < k; c++) {
            if (row[c] != 0 && row[c] != 1) {
                rc = la_error_set(err, LA_EUSAGE, path, 0, "row %zu (0-based), column %zu: %g is not 0 or 1 "
                                  "(a multi-label indicator matrix)", i, c, row[c]);
                break;
            }
            y->onehot[i * k + c] = row[c] == 1;
        }
    }
    free(row);
    io_npy_close(&f);
    return rc;
}

/* ---- labels: a CSV column of class lists -------------------------------------- */

typedef struct aml_csv {
    const char  *path;
    size_t       k, cap;
    char *const *names;
    long         col, id_col;
    aml_labels  *y;
} aml_csv;

/* One token of a class list: an index 0..k-1 or a class name. */
static int aml_token(aml_csv *cx, long line, const char *t, size_t len, uint8_t *row, la_error *err)
{
    size_t j = 0;
    while (j < len && isdigit((unsigned char)t[j])) j++;
    if (j == len && len <= 9) {
        size_t v = (size_t)strtoul(t, NULL, 10);
        if (v < cx->k) { row[v] = 1; return 0; }
    }
    for (size_t c = 0; cx->names && c < cx->k; c++)
        if (strlen(cx->names[c]) == len && !strncmp(cx->names[c], t, len)) { row[c] = 1; return 0; }
    return la_error_setc(err, LA_EUSAGE, cx->path, line, "labels", "'%.*s' is not a class (indices 0..%zu%s)",
                         (int)len, t, cx->k - 1, cx->names ? " or the class names" : "");
}

/* "0,3", "[0, 3]", "0 3", "0;3", "" into row (k bytes). */
static int aml_parse_list(aml_csv *cx, long line, const char *s, uint8_t *row, la_error *err)
{
    static const char sep[] = " \t,;[]'\"";
    for (const char *p = s; *p;) {
        p += strspn(p, sep);
        size_t len = strcspn(p, sep);
        if (!len) break;
        int rc = aml_token(cx, line, p, len, row, err);
        if (rc) return rc;
        p += len;
    }
    return 0;
}

static int aml_header(aml_csv *cx, size_t nf, char **f, la_error *err)
{
    cx->col = cx->id_col = -1;
    for (size_t j = 0; j < nf; j++) {
        if (!strcmp(f[j], "labels") || (!strcmp(f[j], "label") && cx->col < 0)) cx->col = (long)j;
        if (!strcmp(f[j], "id")) cx->id_col = (long)j;
    }
    if (cx->col < 0)
        return la_error_set(err, LA_EUSAGE, cx->path, 1, "no 'labels' (or 'label') column: multi-label labels "
                            "are a column of class lists such as \"0,3\"");
    if (cx->id_col >= 0 && !(cx->y->ids = la_calloc(cx->cap, sizeof *cx->y->ids))) return aml_oom(err);
    return 0;
}

static int aml_grow(aml_csv *cx, la_error *err)
{
    size_t cap = cx->cap * 2;
    uint8_t *oh = realloc(cx->y->onehot, cap * cx->k);
    if (!oh) return aml_oom(err);
    cx->y->onehot = oh;
    if (cx->y->ids) {
        char **ids = realloc(cx->y->ids, cap * sizeof *ids);
        if (!ids) return aml_oom(err);
        cx->y->ids = ids;
    }
    cx->cap = cap;
    return 0;
}

static int aml_record(void *ctx, long line, size_t nf, char **f, const size_t *lens, la_error *err)
{
    (void)lens;
    aml_csv *cx = ctx;
    aml_labels *y = cx->y;
    if (cx->col == -2) { cx->col = -1; return aml_header(cx, nf, f, err); }
    if ((size_t)cx->col >= nf || (cx->id_col >= 0 && (size_t)cx->id_col >= nf))
        return la_error_set(err, LA_EUSAGE, cx->path, line, "%zu fields, fewer than the header's", nf);
    if (y->n == cx->cap && aml_grow(cx, err)) return err->status;
    uint8_t *row = y->onehot + y->n * cx->k;
    memset(row, 0, cx->k);
    int rc = aml_parse_list(cx, line, f[cx->col], row, err);
    if (rc) return rc;
    if (cx->id_col >= 0 && !(y->ids[y->n] = la_strdup(f[cx->id_col]))) return aml_oom(err);
    y->n++;
    return 0;
}

int aml_labels_load(const char *path, size_t k, char *const *class_names, aml_labels *out, la_error *err)
{
    assert(path && out && err && k >= 1);
    memset(out, 0, sizeof *out);
    out->k = k;
    size_t len = strlen(path);
    int rc;
    if (len >= 4 && !strcmp(path + len - 4, ".npy")) {
        rc = aml_load_npy(path, k, out, err);
    } else {
        aml_csv cx = {path, k, 1024, class_names, -2, -1, out};
        out->onehot = la_malloc_array(cx.cap, k);
        rc = out->onehot ? io_csv_read(path, aml_record, &cx, err) : aml_oom(err);
    }
    if (!rc && out->n == 0) rc = la_error_set(err, LA_EUSAGE, path, 0, "no examples");
    if (rc) { aml_labels_free(out); return rc; }
    out->k = k;
    return 0;
}

/* ---- the audit ------------------------------------------------------------------ */

typedef struct aml_mem { const double *p; } aml_mem;

static int aml_read(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    (void)nrows; (void)err;
    *out = ((const aml_mem *)ctx)->p + 2 * row0;
    return 0;
}

/* cleanlab's exponential_moving_average over the k scores s sorted from
 * highest to lowest: e_0 = s_(0), e_j = alpha s_(j) + (1 - alpha) e_(j-1). */
static double aml_ema(double *s, size_t k, uint32_t *idx)
{
    cl_argsort(s, k, idx);                      /* ascending; walk it backwards */
    double e = s[idx[k - 1]];
    for (size_t j = 1; j < k; j++) e = AML_EMA_ALPHA * s[idx[k - 1 - j]] + (1 - AML_EMA_ALPHA) * e;
    return e;
}

/* Class c's binary audit into r's columns. y, bin: n ints, n x 2 doubles. */
static int aml_class(const uint8_t *onehot, const double *probs, size_t c, const aml_opts *o, int32_t *y,
                     double *bin, aml_result *r, la_error *err)
{
    size_t n = r->n, k = r->k;
    int64_t given = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = onehot[i * k + c] != 0;
        given += y[i];
        bin[2 * i] = 1 - probs[i * k + c];    /* numpy's 1 - p, as stack_complement */
        bin[2 * i + 1] = probs[i * k + c];
    }
    if ((size_t)given == n)
        return la_error_set(err, LA_EUSAGE, o->probs_path, 0, "class %zu is given to every example: its binary "
                            "problem has one class (cleanlab refuses it: \"Labels must contain at least 2 "
                            "classes.\")", c);
    cl_opts co;
    cl_opts_init(&co);
    co.filter = o->filter;
    co.rank = o->rank;
    co.frac_noise = o->frac_noise;
    co.nmin = o->nmin;
    co.threads = o->threads;
    co.keep_rank_scores = 1;
    aml_mem m = {bin};
    cl_reader rd = {&m, 8, n < ((size_t)1 << 16) ? n : ((size_t)1 << 16), aml_read, o->probs_path};
    cl_result res;
    int rc = cl_run(n, 2, y, &rd, &co, &res, err);
    if (rc) return rc;
    r->given[c] = given;
    for (size_t i = 0; i < n; i++) {
        uint8_t f = (res.flags[i] & CL_F_ISSUE) != 0;
        r->class_issue[i * k + c] = f;
        r->class_score[i * k + c] = res.quality[i];
        if (f) (y[i] ? r->issues_given : r->issues_not_given)[c]++;
    }
    cl_result_free(&res);
    return 0;
}

/* The flagged examples ranked by their aggregated score (numpy's argsort of
 * the flagged subset, as cleanlab's idx[np.argsort(q[idx])]). */
static int aml_rank(aml_result *r, la_error *err)
{
    size_t n = r->n, m = 0;
    for (size_t i = 0; i < n; i++) m += r->is_issue[i];
    double *q = la_malloc_array(m + 1, sizeof *q);
    uint32_t *ord = la_malloc_array(m + 1, sizeof *ord), *at = la_malloc_array(m + 1, sizeof *at);
    r->ranked = la_malloc_array(m + 1, sizeof *r->ranked);
    if (!q || !ord || !at || !r->ranked) { free(q); free(ord); free(at); return aml_oom(err); }
    for (size_t i = 0, j = 0; i < n; i++)
        if (r->is_issue[i]) { at[j] = (uint32_t)i; q[j++] = r->score[i]; }
    if (m) cl_argsort(q, m, ord);
    for (size_t j = 0; j < m; j++) r->ranked[j] = at[ord[j]];
    r->n_flagged = m;
    r->health = 1.0 - (double)m / (double)n;
    free(q); free(ord); free(at);
    return 0;
}

int aml_run(const uint8_t *onehot, const double *probs, size_t n, size_t k, const aml_opts *o, aml_result *r,
            la_error *err)
{
    assert(onehot && probs && o && r && err && o->threads >= 1);
    memset(r, 0, sizeof *r);
    if (o->filter == CL_LOW_NORMALIZED_MARGIN || o->filter == CL_LOW_SELF_CONFIDENCE || o->filter == CL_NOISE_POSTERIOR)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--filter-by %s is not supported with --multi-label "
                            "(use prune_by_noise_rate, prune_by_class, both, confident_learning or "
                            "predicted_neq_given)", cl_filter_names[o->filter]);
    if (k < 2) return la_error_set(err, LA_EUSAGE, o->probs_path, 0, "multi-label needs at least 2 classes");
    r->n = n;
    r->k = k;
    r->class_issue = la_calloc(n * k + 1, 1);
    r->class_score = la_malloc_array(n * k + 1, sizeof *r->class_score);
    r->score = la_malloc_array(n + 1, sizeof *r->score);
    r->is_issue = la_calloc(n + 1, 1);
    r->given = la_calloc(k, sizeof *r->given);
    r->issues_given = la_calloc(k, sizeof *r->issues_given);
    r->issues_not_given = la_calloc(k, sizeof *r->issues_not_given);
    int32_t *y = la_malloc_array(n + 1, sizeof *y);
    double *bin = la_malloc_array(2 * n + 1, sizeof *bin), *s = la_malloc_array(k, sizeof *s);
    uint32_t *idx = la_malloc_array(k, sizeof *idx);
    int rc = r->class_issue && r->class_score && r->score && r->is_issue && r->given && r->issues_given &&
             r->issues_not_given && y && bin && s && idx ? 0 : aml_oom(err);
    for (size_t c = 0; !rc && c < k; c++) rc = aml_class(onehot, probs, c, o, y, bin, r, err);
    for (size_t i = 0; !rc && i < n; i++) {
        for (size_t c = 0; c < k; c++) {
            s[c] = r->class_score[i * k + c];
            r->is_issue[i] |= r->class_issue[i * k + c];
        }
        r->score[i] = aml_ema(s, k, idx);
    }
    if (!rc) rc = aml_rank(r, err);
    free(y); free(bin); free(s); free(idx);
    if (rc) aml_result_free(r);
    return rc;
}

void aml_result_free(aml_result *r)
{
    if (!r) return;
    free(r->class_issue); free(r->class_score); free(r->score); free(r->is_issue); free(r->ranked);
    free(r->given); free(r->issues_given); free(r->issues_not_given);
    memset(r, 0, sizeof *r);
}

/* ---- outputs ------------------------------------------------------------------------ */

json_t *aml_summary(const aml_result *r, char *const *class_names, const aml_opts *o)
{
    json_t *j = json_object(), *cls = json_array(), *per = json_array();
    if (!j || !cls || !per) { json_decref(j); json_decref(cls); json_decref(per); return NULL; }
    json_object_set_new(j, "multi_label", json_true());
    json_object_set_new(j, "n", json_integer((json_int_t)r->n));
    json_object_set_new(j, "k", json_integer((json_int_t)r->k));
    json_object_set_new(j, "filter_by", json_string(cl_filter_names[o->filter]));
    json_object_set_new(j, "rank_by", json_string(cl_rank_names[o->rank]));
    json_object_set_new(j, "aggregator", json_string("exponential_moving_average"));
    json_object_set_new(j, "alpha", json_real(AML_EMA_ALPHA));
    json_object_set_new(j, "num_flagged", json_integer((json_int_t)r->n_flagged));
    json_object_set_new(j, "overall_multilabel_health_score", json_real(r->health));
    for (size_t c = 0; c < r->k; c++) {
        char num[32];
        snprintf(num, sizeof num, "%zu", c);
        json_array_append_new(cls, json_string(class_names ? class_names[c] : num));
        json_t *e = json_object();
        json_object_set_new(e, "given", json_integer(r->given[c]));
        json_object_set_new(e, "label_issues", json_integer(r->issues_given[c]));
        json_object_set_new(e, "inverse_label_issues", json_integer(r->issues_not_given[c]));
        json_array_append_new(per, e);
    }
    json_object_set_new(j, "classes", cls);
    json_object_set_new(j, "per_class", per);
    return j;
}

/* "0,3" style list of the classes where v[c] (k bytes or doubles >= 0.5). */
static void aml_put_list(FILE *fp, const uint8_t *b, const double *p, size_t k)
{
    int first = 1;
    fputc('"', fp);
    for (size_t c = 0; c < k; c++)
        if (b ? b[c] != 0 : p[c] >= 0.5) { fprintf(fp, first ? "%zu" : ",%zu", c); first = 0; }
    fputc('"', fp);
}

static void aml_write_issues(FILE *fp, const aml_result *r, const aml_labels *y, const double *probs)
{
    size_t k = r->k;
    fputs("rank,index,id,given_labels,suggested_labels,issue_classes,label_quality\n", fp);
    for (size_t j = 0; j < r->n_flagged; j++) {
        size_t i = r->ranked[j];
        fprintf(fp, "%zu,%zu,", j + 1, i);
        if (y->ids) fputs(y->ids[i], fp);
        else fprintf(fp, "%zu", i);
        fputc(',', fp);
        aml_put_list(fp, y->onehot + i * k, NULL, k);
        fputc(',', fp);
        aml_put_list(fp, NULL, probs + i * k, k);
        fputc(',', fp);
        aml_put_list(fp, r->class_issue + i * k, NULL, k);
        fprintf(fp, ",%.17g\n", r->score[i]);
    }
}

/* cleanlab's rank_classes_by_multilabel_quality: Label Issues = flagged for c
 * with c given, Label Noise = that / n, quality = 1 - noise; worst first
 * (numpy's argsort of the quality over class order). */
static int aml_write_classes(FILE *fp, const aml_result *r, char *const *names, la_error *err)
{
    size_t k = r->k;
    double *q = la_malloc_array(k, sizeof *q);
    uint32_t *ord = la_malloc_array(k, sizeof *ord);
    if (!q || !ord) { free(q); free(ord); return aml_oom(err); }
    for (size_t c = 0; c < k; c++) q[c] = 1 - (double)r->issues_given[c] / (double)r->n;
    cl_argsort(q, k, ord);
    fprintf(fp, "%sClass Index,Label Issues,Inverse Label Issues,Label Noise,Inverse Label Noise,"
            "Label Quality Score\n", names ? "Class Name," : "");    /* cleanlab: a name column only with names */
    for (size_t j = 0; j < k; j++) {
        size_t c = ord[j];
        if (names) fprintf(fp, "%s,", names[c]);
        fprintf(fp, "%zu,%" PRId64 ",%" PRId64 ",%.17g,%.17g,%.17g\n", c, r->issues_given[c],
                r->issues_not_given[c], (double)r->issues_given[c] / (double)r->n,
                (double)r->issues_not_given[c] / (double)r->n, q[c]);
    }
    free(q); free(ord);
    return 0;
}

enum { AML_FILES = 9 };

int aml_write(const aml_result *r, const aml_labels *y, const double *probs, char *const *class_names,
              const aml_opts *o, const char *out_dir, la_error *err)
{
    static const char *const names[AML_FILES] = {
        "label_issues.csv", "is_label_issue.csv", "ranked.csv", "label_quality.csv", "class_issues.csv",
        "class_label_quality.csv", "overall_label_health_score.txt", "classes.txt", "summary.json"};
    la_atomic_file af[AML_FILES];
    memset(af, 0, sizeof af);
    int rc = la_mkdir_p(out_dir, err);
    for (int f = 0; !rc && f < AML_FILES; f++) {
        char path[1024];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", out_dir, names[f]) >= sizeof path)
            rc = la_error_set(err, LA_EUSAGE, out_dir, 0, "output path too long");
        else rc = la_atomic_open(&af[f], path, err);
    }
    json_t *js = rc ? NULL : aml_summary(r, class_names, o);
    if (!rc && !js) rc = aml_oom(err);
    if (rc) goto fail;
    size_t n = r->n, k = r->k;
    aml_write_issues(af[0].fp, r, y, probs);
    fputs("is_label_issue\n", af[1].fp);
    fputs("index\n", af[2].fp);
    fputs("label_quality\n", af[3].fp);
    for (size_t i = 0; i < n; i++) {
        fprintf(af[1].fp, "%d\n", r->is_issue[i]);
        fprintf(af[3].fp, "%.17g\n", r->score[i]);
    }
    for (size_t j = 0; j < r->n_flagged; j++) fprintf(af[2].fp, "%" PRIu32 "\n", r->ranked[j]);
    for (size_t c = 0; c < k; c++) {
        if (class_names) fprintf(af[4].fp, "%s%s", c ? "," : "", class_names[c]);
        else fprintf(af[4].fp, "%s%zu", c ? "," : "", c);
        if (class_names) fprintf(af[7].fp, "%s\n", class_names[c]);
        else fprintf(af[7].fp, "%zu\n", c);
    }
    fputc('\n', af[4].fp);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++) fprintf(af[4].fp, "%d%c", r->class_issue[i * k + c], c + 1 < k ? ',' : '\n');
    if ((rc = aml_write_classes(af[5].fp, r, class_names, err))) goto fail;
    fprintf(af[6].fp, "%.17g\n", r->health);
    if (la_json_print(js, af[8].fp, LA_JSON_EXACT)) { rc = la_error_set(err, LA_EINTERNAL, out_dir, 0, "write failed"); goto fail; }
    json_decref(js);
    return la_atomic_commit_all(af, AML_FILES, err);
fail:
    json_decref(js);
    for (int f = 0; f < AML_FILES; f++)
        if (af[f].fp) la_atomic_abort(&af[f]);
    return rc;
}
