/*
 * la_check.c — the public dataset-checks functions (la_check_* and
 * la_checks_* in include/labelaudit.h) over the checks stage (checks/):
 * public splits and options into dc_input / dc_opts, dc_run, then accessors
 * into the dc_result. The caller's buffers are borrowed, never copied: the
 * la_checks keeps the dc_input that points at them for la_checks_write.
 * No logic of its own beyond that translation; no printing, no globals.
 */
#include "../include/labelaudit.h"
#include "../checks/checks.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

struct la_checks {
    dc_input  in;                     /* borrowed buffers, as dc_run saw them     */
    dc_split  test;                   /* in.test points here when there is one    */
    dc_opts   o;
    dc_result r;
};

void la_check_options_init(la_check_options *o)
{
    assert(o);
    dc_opts d;
    dc_opts_init(&d);
    memset(o, 0, sizeof *o);
    o->k = d.k;
    o->near_dup_threshold = d.near_dup_threshold;
    o->outlier_threshold = d.outlier_threshold;
}

/* Public split -> the stage's; LA_EUSAGE for a bad dtype or missing pixels'
 * shape. */
static int lk_split(const la_check_split *p, dc_split *s, la_error *err)
{
    memset(s, 0, sizeof *s);
    s->n = p->n;
    if (p->features) {
        if (p->dtype != LA_F32 && p->dtype != LA_F64)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "features dtype must be LA_F32 or LA_F64");
        if (p->d == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "features have no columns");
        s->feat = (dc_matrix){p->n, p->d, p->dtype == LA_F32 ? p->features : NULL,
                              p->dtype == LA_F64 ? p->features : NULL};
    }
    if (p->pixels && (p->image_w <= 0 || p->image_h <= 0 || p->channels <= 0))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "pixels need image_w, image_h and channels > 0");
    s->ids = (char *const *)p->ids;
    s->labels = p->labels;
    s->image_paths = (char *const *)p->image_paths;
    s->pixels = p->pixels;
    s->image_w = p->image_w;
    s->image_h = p->image_h;
    s->channels = p->channels;
    return 0;
}

/* Public options -> dc_opts; LA_EUSAGE naming an unknown check or metric. */
static int lk_opts(const la_check_options *p, dc_opts *o, la_error *err)
{
    dc_opts_init(o);
    if (p->checks && strcmp(p->checks, "all")) {
        const char *bad = NULL;
        size_t len = 0;
        if (dc_checks_parse(p->checks, &o->checks, &bad, &len))
            return la_error_set(err, LA_EUSAGE, NULL, 0, "unknown check '%.*s' (near_duplicate, outlier, "
                                "exact_duplicate, leakage, image, label)", (int)len, bad);
        o->strict = 1;
    }
    if (p->metric && strcmp(p->metric, "auto")) {
        if (!strcmp(p->metric, "cosine")) o->metric = DC_METRIC_COSINE;
        else if (!strcmp(p->metric, "euclidean")) o->metric = DC_METRIC_EUCLIDEAN;
        else return la_error_set(err, LA_EUSAGE, NULL, 0, "unknown metric '%s' (auto, cosine, euclidean)", p->metric);
    }
    if (p->k < 1) return la_error_set(err, LA_EUSAGE, NULL, 0, "k must be at least 1");
    if (!(p->near_dup_threshold >= 0) || !(p->outlier_threshold > 0))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "thresholds must be positive numbers");
    o->k = p->k;
    o->near_dup_threshold = p->near_dup_threshold;
    o->outlier_threshold = p->outlier_threshold;
    o->threads = p->threads > 0 ? p->threads : la_num_cpus();
    return 0;
}

int la_check_run(const la_check_split *train, const la_check_split *test, const la_check_options *o,
                 la_checks **out, la_error *err)
{
    assert(train && o && out && err);
    la_error_clear(err);
    *out = NULL;
    la_checks *c = la_calloc(1, sizeof *c);
    if (!c) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int rc = lk_opts(o, &c->o, err);
    if (!rc) rc = lk_split(train, &c->in.train, err);
    if (!rc && test) {
        rc = lk_split(test, &c->test, err);
        c->test.labels = NULL;          /* conflicts are within training only */
        c->in.test = &c->test;
    }
    if (!rc && train->label_issue && !train->label_score)
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "label_issue needs label_score");
    if (!rc && train->n == 0) rc = la_error_set(err, LA_EUSAGE, NULL, 0, "no examples");
    if (rc) { free(c); return rc; }
    c->in.label_issue = train->label_issue;
    c->in.label_score = train->label_score;
    if ((rc = dc_run(&c->in, &c->o, &c->r, err))) { free(c); return rc; }
    *out = c;
    return 0;
}

void la_checks_free(la_checks *c)
{
    if (!c) return;
    dc_result_free(&c->r);
    free(c);
}

int la_checks_ran(const la_checks *c, const char *check)
{
    unsigned m = 0;
    const char *bad;
    size_t len;
    if (!check || dc_checks_parse(check, &m, &bad, &len) || !m) return 0;
    return (c->r.ran & m) == m;
}

size_t la_checks_n(const la_checks *c) { return c->r.n; }
size_t la_checks_k(const la_checks *c) { return c->r.k; }
const char *la_checks_metric(const la_checks *c) { return dc_metric_names[c->r.metric]; }
const int64_t *la_checks_knn_index(const la_checks *c) { return c->r.knn.n ? c->r.knn.index : NULL; }
const double *la_checks_knn_distance(const la_checks *c) { return c->r.knn.n ? c->r.knn.dist : NULL; }

static int lk_ran(const la_checks *c, dc_check k) { return (c->r.ran & DC_BIT(k)) != 0; }

const uint8_t *la_checks_near_duplicate_flags(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_NEAR_DUPLICATE) ? c->r.nd.is_issue : NULL;
}
const double *la_checks_near_duplicate_scores(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_NEAR_DUPLICATE) ? c->r.nd.score : NULL;
}
const size_t *la_checks_near_duplicate_set_start(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_NEAR_DUPLICATE) ? c->r.nd.set_start : NULL;
}
const int64_t *la_checks_near_duplicate_sets(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_NEAR_DUPLICATE) ? c->r.nd.set : NULL;
}
double la_checks_median_nn_distance(const la_checks *c) { return c->r.nd.median_nn; }

const uint8_t *la_checks_outlier_flags(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_OUTLIER) ? c->r.od.is_issue : NULL;
}
const double *la_checks_outlier_scores(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_OUTLIER) ? c->r.od.score : NULL;
}
const double *la_checks_outlier_avg_distance(const la_checks *c)
{
    return lk_ran(c, DC_CHECK_OUTLIER) ? c->r.od.avg_dist : NULL;
}
double la_checks_outlier_threshold(const la_checks *c) { return c->r.od.issue_threshold; }

size_t la_checks_groups(const la_checks *c, int files, const size_t **start, const int64_t **members,
                        const uint8_t **conflict)
{
    const dc_groups *g = files ? &c->r.files : &c->r.rows;
    if (start) *start = g->start;
    if (members) *members = g->member;
    if (conflict) *conflict = files ? c->r.files_conflict : c->r.rows_conflict;
    return g->n_groups;
}

size_t la_checks_num_leaks(const la_checks *c) { return c->r.n_leaks; }

void la_checks_leaks(const la_checks *c, int64_t *test, int64_t *train, int32_t *kind, double *distance,
                     double *score)
{
    for (size_t j = 0; j < c->r.n_leaks; j++) {
        const dc_leak *l = &c->r.leaks[j];
        if (test) test[j] = l->test;
        if (train) train[j] = l->train;
        if (kind) kind[j] = (int32_t)l->kind;
        if (distance) distance[j] = l->distance;
        if (score) score[j] = l->score;
    }
}

const char *la_check_leak_kind_name(int kind) { return kind >= 0 && kind < 4 ? dc_leak_kind_names[kind] : NULL; }

size_t la_checks_num_image_pairs(const la_checks *c) { return c->r.n_pairs; }

void la_checks_image_pairs(const la_checks *c, int64_t *a, int64_t *b, double *corr)
{
    for (size_t j = 0; j < c->r.n_pairs; j++) {
        if (a) a[j] = c->r.pairs[j].a;
        if (b) b[j] = c->r.pairs[j].b;
        if (corr) corr[j] = c->r.pairs[j].corr;
    }
}

int la_check_num_defects(void) { return DC_DEFECT_COUNT; }
const char *la_check_defect_name(int j) { return j >= 0 && j < DC_DEFECT_COUNT ? dc_defect_names[j] : NULL; }
const double *la_checks_defect_scores(const la_checks *c) { return lk_ran(c, DC_CHECK_IMAGE) ? c->r.defects.score : NULL; }
const uint8_t *la_checks_defect_flags(const la_checks *c) { return lk_ran(c, DC_CHECK_IMAGE) ? c->r.defects.flag : NULL; }

int la_check_num_issue_types(void) { return DC_ISSUE_COUNT; }
const char *la_check_issue_name(int type) { return type >= 0 && type < DC_ISSUE_COUNT ? dc_issue_names[type] : NULL; }
size_t la_checks_count(const la_checks *c, int type)
{
    return type >= 0 && type < DC_ISSUE_COUNT ? c->r.count[type] : 0;
}
size_t la_checks_num_issues(const la_checks *c) { return c->r.n_issues; }

void la_checks_issues(const la_checks *c, int64_t *index, int32_t *type, double *score, int64_t *partner)
{
    for (size_t j = 0; j < c->r.n_issues; j++) {
        const dc_issue *s = &c->r.issues[j];
        if (index) index[j] = s->index;
        if (type) type[j] = s->type;
        if (score) score[j] = s->score;
        if (partner) partner[j] = s->partner;
    }
}

int la_checks_write(const la_checks *c, const char *out_dir, la_error *err)
{
    assert(c && out_dir && err);
    la_error_clear(err);
    return dc_write(&c->r, &c->in, &c->o, out_dir, err);
}
