/*
 * dc_write.c — the files of the dataset checks (checks.h) and the summary
 * object: one CSV per check that ran and issues.csv, written to temp files
 * and renamed together, so a failed run leaves the directory as it was.
 * Floats are printed as %.17g (they read back bit for bit).
 */
#include "dc_internal.h"
#include "../io/dataset_write.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { DC_MAX_FILES = 8 };

static void dc_id(FILE *fp, char *const *ids, int64_t i)
{
    if (ids) io_write_csv_field(fp, ids[i]);
    else fprintf(fp, "%" PRId64, i);
}

static void dc_num(FILE *fp, double x)
{
    char b[40];
    if (isnan(x)) return;
    la_fmt_g17(x, b);
    fputs(b, fp);
}

static void dc_write_near_dup(FILE *a, FILE *b, const dc_result *r, char *const *ids)
{
    fputs("index,id,is_near_duplicate_issue,near_duplicate_score,nearest_neighbor,distance_to_nearest_neighbor\n", a);
    fputs("index,id,set\n", b);
    for (size_t i = 0; i < r->n; i++) {
        fprintf(a, "%zu,", i);
        dc_id(a, ids, (int64_t)i);
        fprintf(a, ",%d,", r->nd.is_issue[i]);
        dc_num(a, r->nd.score[i]);
        fprintf(a, ",%" PRId64 ",", r->knn.index[i * r->k]);
        dc_num(a, r->knn.dist[i * r->k]);
        fputc('\n', a);
        fprintf(b, "%zu,", i);
        dc_id(b, ids, (int64_t)i);
        fputc(',', b);
        for (size_t t = r->nd.set_start[i]; t < r->nd.set_start[i + 1]; t++)
            fprintf(b, "%s%" PRId64, t > r->nd.set_start[i] ? " " : "", r->nd.set[t]);
        fputc('\n', b);
    }
}

static void dc_write_outlier(FILE *fp, const dc_result *r, char *const *ids)
{
    fputs("index,id,is_outlier_issue,outlier_score\n", fp);
    for (size_t i = 0; i < r->n; i++) {
        fprintf(fp, "%zu,", i);
        dc_id(fp, ids, (int64_t)i);
        fprintf(fp, ",%d,", r->od.is_issue[i]);
        dc_num(fp, r->od.score[i]);
        fputc('\n', fp);
    }
}

static void dc_write_groups(FILE *fp, const dc_groups *g, const uint8_t *conflict, const char *kind,
                            size_t *group0, const dc_split *s)
{
    for (size_t t = 0; t < g->n_groups; t++, (*group0)++)
        for (size_t m = g->start[t]; m < g->start[t + 1]; m++) {
            int64_t i = g->member[m];
            fprintf(fp, "%zu,%s,%" PRId64 ",", *group0, kind, i);
            dc_id(fp, s->ids, i);
            if (s->labels) fprintf(fp, ",%" PRId32, s->labels[i]);
            else fputc(',', fp);
            fprintf(fp, ",%d,%zu\n", conflict[t], g->start[t + 1] - g->start[t]);
        }
}

static void dc_write_pairs(FILE *fp, const dc_result *r, char *const *ids)
{
    fputs("index,id,partner,partner_id,correlation,shift_x,shift_y\n", fp);
    for (size_t t = 0; t < r->n_pairs; t++) {
        const dc_pair *p = &r->pairs[t];
        fprintf(fp, "%" PRId64 ",", p->a);
        dc_id(fp, ids, p->a);
        fprintf(fp, ",%" PRId64 ",", p->b);
        dc_id(fp, ids, p->b);
        fputc(',', fp);
        dc_num(fp, p->corr);
        fprintf(fp, ",%d,%d\n", p->dx, p->dy);
    }
}

static void dc_write_leaks(FILE *fp, const dc_result *r, const dc_input *in)
{
    fputs("index,id,partner,partner_id,kind,distance,score\n", fp);
    for (size_t t = 0; t < r->n_leaks; t++) {
        const dc_leak *l = &r->leaks[t];
        fprintf(fp, "%" PRId64 ",", l->test);
        dc_id(fp, in->test->ids, l->test);
        fprintf(fp, ",%" PRId64 ",", l->train);
        dc_id(fp, in->train.ids, l->train);
        fprintf(fp, ",%s,", dc_leak_kind_names[l->kind]);
        dc_num(fp, l->distance);
        fputc(',', fp);
        dc_num(fp, l->score);
        fputc('\n', fp);
    }
}

static void dc_write_defects(FILE *fp, const dc_result *r, char *const *ids)
{
    const dc_defects *d = &r->defects;
    fputs("index,id,width,height,channels", fp);
    for (int t = 0; t < DC_DEFECT_COUNT; t++) fprintf(fp, ",%s_score", dc_defect_names[t]);
    fputs(",issues\n", fp);
    for (size_t i = 0; i < d->n; i++) {
        fprintf(fp, "%zu,", i);
        dc_id(fp, ids, (int64_t)i);
        const int32_t *sz = d->size + i * 3;
        if (sz[0] > 0) fprintf(fp, ",%d,%d,%d", sz[0], sz[1], sz[2]);
        else fputs(",,,", fp);
        for (int t = 0; t < DC_DEFECT_COUNT; t++) {
            fputc(',', fp);
            dc_num(fp, d->score[i * DC_DEFECT_COUNT + t]);
        }
        fputc(',', fp);
        int first = 1;
        for (int t = 0; t < DC_DEFECT_COUNT; t++)
            if (d->flag[i * DC_DEFECT_COUNT + t]) { fprintf(fp, "%s%s", first ? "" : " ", dc_defect_names[t]); first = 0; }
        fputc('\n', fp);
    }
}

static void dc_write_issues(FILE *fp, const dc_result *r, const dc_input *in)
{
    fputs("index,id,issue,score,partner\n", fp);
    for (size_t t = 0; t < r->n_issues; t++) {
        const dc_issue *s = &r->issues[t];
        int test = s->type == DC_ISSUE_LEAKAGE;
        fprintf(fp, "%" PRId64 ",", s->index);
        dc_id(fp, test ? in->test->ids : in->train.ids, s->index);
        fprintf(fp, ",%s,", dc_issue_names[s->type]);
        dc_num(fp, s->score);
        fputc(',', fp);
        if (s->partner >= 0) fprintf(fp, "%" PRId64, s->partner);
        fputc('\n', fp);
    }
}

/* Opens out_dir/name as the next file of the set. */
static FILE *dc_open(la_atomic_file *af, size_t *n, const char *out_dir, const char *name, la_error *err)
{
    char path[1024];
    if (la_path_join(path, sizeof path, out_dir, name)) {
        la_error_set(err, LA_EUSAGE, out_dir, 0, "path too long");
        return NULL;
    }
    if (la_atomic_open(&af[*n], path, err)) return NULL;
    return af[(*n)++].fp;
}

int dc_write(const dc_result *r, const dc_input *in, const dc_opts *o, const char *out_dir, la_error *err)
{
    la_atomic_file af[DC_MAX_FILES];
    size_t n = 0;
    int rc = la_mkdir_p(out_dir, err);
    if (rc) return rc;
    FILE *a, *b;
    char *const *ids = in->train.ids;
    if (r->ran & DC_BIT(DC_CHECK_NEAR_DUPLICATE) && r->knn.n) {
        if (!(a = dc_open(af, &n, out_dir, "near_duplicate.csv", err))) goto fail;
        if (!(b = dc_open(af, &n, out_dir, "near_duplicate_sets.csv", err))) goto fail;
        dc_write_near_dup(a, b, r, ids);
    }
    if (r->ran & DC_BIT(DC_CHECK_OUTLIER)) {
        if (!(a = dc_open(af, &n, out_dir, "outlier.csv", err))) goto fail;
        dc_write_outlier(a, r, ids);
    }
    if (r->ran & DC_BIT(DC_CHECK_EXACT_DUPLICATE)) {
        if (!(a = dc_open(af, &n, out_dir, "exact_duplicate.csv", err))) goto fail;
        fputs("group,kind,index,id,label,label_conflict,size\n", a);
        size_t g0 = 0;
        dc_write_groups(a, &r->rows, r->rows_conflict, "features", &g0, &in->train);
        dc_write_groups(a, &r->files, r->files_conflict, "file", &g0, &in->train);
    }
    if (r->ran & DC_BIT(DC_CHECK_IMAGE)) {
        if (!(a = dc_open(af, &n, out_dir, "image_issues.csv", err))) goto fail;
        dc_write_defects(a, r, ids);
        if (in->train.pixels && (o->checks & DC_BIT(DC_CHECK_NEAR_DUPLICATE))) {
            if (!(a = dc_open(af, &n, out_dir, "image_near_duplicate.csv", err))) goto fail;
            dc_write_pairs(a, r, ids);
        }
    }
    if (r->ran & DC_BIT(DC_CHECK_LEAKAGE)) {
        if (!(a = dc_open(af, &n, out_dir, "leakage.csv", err))) goto fail;
        dc_write_leaks(a, r, in);
    }
    if (!(a = dc_open(af, &n, out_dir, "issues.csv", err))) goto fail;
    dc_write_issues(a, r, in);
    return la_atomic_commit_all(af, n, err);
fail:
    for (size_t t = 0; t < n; t++) la_atomic_abort(&af[t]);
    return err->status ? err->status : LA_EINTERNAL;
}

json_t *dc_summary(const dc_result *r, const dc_opts *o)
{
    json_t *j = json_object(), *ran = json_array(), *cnt = json_object();
    if (!j || !ran || !cnt) { json_decref(j); json_decref(ran); json_decref(cnt); return NULL; }
    for (int c = 0; c < DC_CHECK_COUNT; c++)
        if (r->ran & DC_BIT(c)) json_array_append_new(ran, json_string(dc_check_names[c]));
    json_object_set_new(j, "checks", ran);
    json_object_set_new(j, "n", json_integer((json_int_t)r->n));
    for (int t = 0; t < DC_ISSUE_COUNT; t++) json_object_set_new(cnt, dc_issue_names[t], json_integer((json_int_t)r->count[t]));
    json_object_set_new(j, "counts", cnt);
    json_object_set_new(j, "issues", json_integer((json_int_t)r->n_issues));
    if (r->knn.n) {
        json_t *nn = json_object();
        json_object_set_new(nn, "metric", json_string(dc_metric_names[r->metric]));
        json_object_set_new(nn, "k", json_integer((json_int_t)r->k));
        json_object_set_new(nn, "threshold", json_real(o->near_dup_threshold));
        json_object_set_new(nn, "median_distance_to_nearest_neighbor", json_real(r->nd.median_nn));
        json_object_set_new(j, "knn", nn);
    }
    if (r->ran & DC_BIT(DC_CHECK_OUTLIER)) {
        json_t *od = json_object();
        json_object_set_new(od, "threshold", json_real(o->outlier_threshold));
        json_object_set_new(od, "issue_threshold", json_real(r->od.issue_threshold));
        json_object_set_new(od, "scaling_factor", json_real(r->od.scaling_factor));
        if (o->outlier_score != DC_OUTLIER_PARITY) {   /* absent for parity: summaries unchanged */
            json_object_set_new(od, "score", json_string(dc_outlier_score_names[o->outlier_score]));
            json_object_set_new(od, "pca_components", json_integer((json_int_t)o->pca_components));
        }
        json_object_set_new(j, "outlier", od);
    }
    if (r->ran & DC_BIT(DC_CHECK_LEAKAGE)) {
        json_object_set_new(j, "test_examples", json_integer((json_int_t)r->n_test));
        json_object_set_new(j, "leak_rate", json_real(r->n_test ? (double)r->n_leaks / (double)r->n_test : 0));
    }
    if (r->ran & DC_BIT(DC_CHECK_EXACT_DUPLICATE))
        json_object_set_new(j, "duplicate_rate", json_real(r->n ? (double)r->count[DC_ISSUE_EXACT_DUPLICATE] / (double)r->n : 0));
    return j;
}
