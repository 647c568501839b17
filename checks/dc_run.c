/*
 * dc_run.c — the dataset-checks stage (checks.h): validates the inputs, builds
 * the kNN graph once (cleanlab's correction applied), runs the checks the
 * options and inputs allow, and gathers one severity-sorted issue list.
 * Everything it returns lives in dc_result; nothing is written here.
 */
#include "checks.h"
#include "dc_internal.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const dc_check_names[DC_CHECK_COUNT] = {"label", "near_duplicate", "outlier", "exact_duplicate",
                                                    "leakage", "image"};
const char *const dc_issue_names[DC_ISSUE_COUNT] = {
    "label_conflict", "exact_duplicate", "leakage", "near_duplicate", "image_near_duplicate", "label", "outlier",
    "dark", "bright", "blurry", "low_information", "odd_size", "odd_aspect_ratio", "channels"};
const char *const dc_leak_kind_names[4] = {"exact", "file", "near", "image"};

/* Candidate neighbours per image for the near-duplicate image search. */
enum { DC_IMAGE_CANDIDATES = 5 };

void dc_opts_init(dc_opts *o)
{
    memset(o, 0, sizeof *o);
    o->checks = DC_ALL_CHECKS;
    o->k = DC_DEFAULT_K;
    o->near_dup_threshold = DC_NEAR_DUP_THRESHOLD;
    o->outlier_threshold = DC_OUTLIER_THRESHOLD;
    o->metric = DC_METRIC_AUTO;
    o->threads = 1;
    o->outlier_score = DC_OUTLIER_PARITY;
    o->pca_components = DC_PCA_COMPONENTS;
}

int dc_checks_parse(const char *list, unsigned *mask, const char **bad, size_t *bad_len)
{
    *mask = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = len == 3 && !strncmp(p, "all", 3);
        if (found) *mask = DC_ALL_CHECKS;
        for (int c = 0; c < DC_CHECK_COUNT && !found; c++)
            if (strlen(dc_check_names[c]) == len && !strncmp(p, dc_check_names[c], len)) {
                *mask |= DC_BIT(c);
                found = 1;
            }
        if (!found) { *bad = p; *bad_len = len; return -1; }
        p += len;
        if (*p == ',') p++;
    }
    return 0;
}

unsigned dc_allowed(const dc_input *in)
{
    const dc_split *s = &in->train;
    unsigned m = 0;
    int feat = s->feat.n > 0, img = s->pixels != NULL || s->image_paths != NULL;
    if (in->label_issue) m |= DC_BIT(DC_CHECK_LABEL);
    if (feat) m |= DC_BIT(DC_CHECK_NEAR_DUPLICATE) | DC_BIT(DC_CHECK_OUTLIER);
    if (feat || s->image_paths) m |= DC_BIT(DC_CHECK_EXACT_DUPLICATE);
    if (in->test && (feat || img)) m |= DC_BIT(DC_CHECK_LEAKAGE);
    if (img) m |= DC_BIT(DC_CHECK_IMAGE);
    return m;
}

/* ---- input checks ---------------------------------------------------------- */

static int dc_check_finite(const dc_split *s, la_error *err)
{
    const dc_matrix *x = &s->feat;
    for (size_t i = 0; i < x->n; i++)
        for (size_t j = 0; j < x->d; j++) {
            double v = dc_at(x, i, j);
            if (!isfinite(v))
                return la_error_set(err, LA_EUSAGE, s->feat_path, 0,
                                    "row %zu (0-based), column %zu: %s feature value; the feature checks "
                                    "need finite numbers", i, j, isnan(v) ? "NaN" : "infinite");
        }
    return 0;
}

static int dc_check_inputs(const dc_input *in, la_error *err)
{
    const dc_split *s = &in->train, *t = in->test;
    if (s->feat.n && s->feat.n != s->n)
        return la_error_set(err, LA_EUSAGE, s->feat_path, 0, "%zu feature rows for %zu examples (%s)", s->feat.n,
                            s->n, s->path ? s->path : "the labels");
    int rc = dc_check_finite(s, err);
    if (rc || !t) return rc;
    if (t->feat.n && t->feat.n != t->n)
        return la_error_set(err, LA_EUSAGE, t->feat_path, 0, "%zu feature rows for %zu test examples",
                            t->feat.n, t->n);
    if (s->feat.n && t->feat.n && s->feat.d != t->feat.d)
        return la_error_set(err, LA_EUSAGE, t->feat_path, 0,
                            "row 0 (0-based): %zu feature columns, but the training features (%s) have %zu",
                            t->feat.d, s->feat_path ? s->feat_path : "", s->feat.d);
    if (s->pixels && t->pixels && (s->image_w != t->image_w || s->image_h != t->image_h ||
                                   s->channels != t->channels))
        return la_error_set(err, LA_EUSAGE, t->path, 0, "test images are %dx%dx%d, training images %dx%dx%d",
                            t->image_w, t->image_h, t->channels, s->image_w, s->image_h, s->channels);
    return dc_check_finite(t, err);
}

/* ---- the kNN graph and the cleanlab checks -------------------------------- */

static int dc_run_features(const dc_input *in, const dc_opts *o, unsigned want, dc_result *r, la_error *err)
{
    const dc_matrix *x = &in->train.feat;
    int rc = dc_exact_groups(x, &r->rows, err);
    if (rc) return rc;
    if (!(want & (DC_BIT(DC_CHECK_NEAR_DUPLICATE) | DC_BIT(DC_CHECK_OUTLIER) | DC_BIT(DC_CHECK_LEAKAGE))))
        return 0;
    if (o->k >= x->n)
        return la_error_set(err, LA_EUSAGE, in->train.feat_path, 0,
                            "k = %zu nearest neighbours needs more than %zu examples (use --k)", o->k, x->n);
    if ((rc = dc_knn_build_coll(o->coll, x, NULL, o->k, r->metric, o->threads, o->progress, &r->knn, err))) return rc;
    if ((rc = dc_knn_correct(&r->knn, &r->rows, err))) return rc;
    /* the near-duplicate radius is also leakage's */
    if ((rc = dc_near_duplicates(&r->knn, o->near_dup_threshold, &r->nd, err))) return rc;
    if (want & DC_BIT(DC_CHECK_NEAR_DUPLICATE)) r->ran |= DC_BIT(DC_CHECK_NEAR_DUPLICATE);
    if (want & DC_BIT(DC_CHECK_OUTLIER)) {
        /* parity: cleanlab's score on the graph above; pca: the same score on
         * the euclidean graph of the unit-length rows' top principal components */
        rc = o->outlier_score == DC_OUTLIER_PCA
                 ? dc_pca_outliers(x, o->pca_components, o->k, o->outlier_threshold, o->threads, NULL, &r->od, err)
                 : dc_outliers(&r->knn, r->metric, o->outlier_threshold, &r->od, err);
        if (rc) return rc;
        r->ran |= DC_BIT(DC_CHECK_OUTLIER);
    }
    return 0;
}

/* ---- exact duplicates and label conflicts -------------------------------- */

static int dc_files_equal_ctx(void *ctx, size_t a, size_t b)
{
    char *const *paths = ctx;
    return dc_files_equal(paths[a], paths[b]);
}

static int dc_hash_files(char *const *paths, size_t n, uint64_t *h, la_error *err)
{
    for (size_t i = 0; i < n; i++) {
        dc_file_info fi;
        int rc = dc_file_read_info(paths[i], &fi, err);
        if (rc) return rc;
        h[i] = fi.hash ^ ((uint64_t)fi.size * 0x9E3779B97F4A7C15ULL);
    }
    return 0;
}

/* conflict[g] = 1 when group g's members do not all carry one label. */
static uint8_t *dc_conflicts(const dc_groups *g, const int32_t *labels)
{
    uint8_t *c = la_calloc(g->n_groups + 1, 1);
    if (!c || !labels) return c;
    for (size_t t = 0; t < g->n_groups; t++)
        for (size_t m = g->start[t] + 1; m < g->start[t + 1]; m++)
            if (labels[g->member[m]] != labels[g->member[g->start[t]]]) c[t] = 1;
    return c;
}

static int dc_run_exact(const dc_input *in, dc_result *r, la_error *err)
{
    const dc_split *s = &in->train;
    if (s->image_paths) {
        uint64_t *h = la_malloc_array(s->n + 1, sizeof *h);
        if (!h) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        int rc = dc_hash_files(s->image_paths, s->n, h, err);
        if (!rc) rc = dc_group_by_hash(s->n, h, dc_files_equal_ctx, (void *)s->image_paths, &r->files, err);
        free(h);
        if (rc) return rc;
    }
    r->rows_conflict = dc_conflicts(&r->rows, s->labels);
    r->files_conflict = dc_conflicts(&r->files, s->labels);
    if (!r->rows_conflict || !r->files_conflict) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    r->ran |= DC_BIT(DC_CHECK_EXACT_DUPLICATE);
    return 0;
}

/* ---- images ------------------------------------------------------------------ */

static int dc_pair_cmp(const void *x, const void *y)
{
    const dc_pair *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

/* Image near duplicates: candidates by descriptor, confirmed by the best
 * shifted correlation. */
static int dc_run_image_pairs(const dc_input *in, const dc_opts *o, const float *desc, dc_result *r, la_error *err)
{
    const dc_split *s = &in->train;
    if (s->n < 2) return 0;
    size_t kc = s->n - 1 < DC_IMAGE_CANDIDATES ? s->n - 1 : DC_IMAGE_CANDIDATES;
    dc_matrix dm = {s->n, DC_DESC_DIM, desc, NULL};
    dc_knn g;
    int rc = dc_knn_build_coll(o->coll, &dm, NULL, kc, DC_METRIC_COSINE, o->threads, NULL, &g, err);
    if (rc) return rc;
    r->pairs = la_malloc_array(s->n * kc, sizeof *r->pairs);
    if (!r->pairs) { dc_knn_free(&g); return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t c = 0; c < kc; c++) {
            int64_t j = g.index[i * kc + c];
            r->pairs[m++] = (dc_pair){(int64_t)i < j ? (int64_t)i : j, (int64_t)i < j ? j : (int64_t)i, 0, 0, 0};
        }
    dc_knn_free(&g);
    qsort(r->pairs, m, sizeof *r->pairs, dc_pair_cmp);
    size_t per = (size_t)s->image_w * s->image_h * s->channels, u = 0;
    for (size_t t = 0; t < m; t++) {
        if (t && r->pairs[t].a == r->pairs[t - 1].a && r->pairs[t].b == r->pairs[t - 1].b) continue;
        dc_pair p = r->pairs[t];
        p.corr = dc_image_match(s->pixels + (size_t)p.a * per, s->pixels + (size_t)p.b * per, s->image_w,
                                s->image_h, s->channels, &p.dx, &p.dy);
        if (p.corr >= DC_IMAGE_NEAR_DUP_CORR) r->pairs[u++] = p;
    }
    r->n_pairs = u;
    return 0;
}

static int dc_run_image(const dc_input *in, const dc_opts *o, unsigned want, dc_result *r, la_error *err)
{
    const dc_split *s = &in->train;
    int rc = dc_image_defects(s->pixels, s->n, s->image_w, s->image_h, s->channels, s->image_paths, o->threads,
                              &r->defects, err);
    if (rc) return rc;
    r->ran |= DC_BIT(DC_CHECK_IMAGE);
    if (!s->pixels || !(want & DC_BIT(DC_CHECK_NEAR_DUPLICATE))) return 0;
    float *desc = dc_descriptors(s, o->threads, err);
    if (!desc) return err->status;
    rc = dc_run_image_pairs(in, o, desc, r, err);
    free(desc);
    return rc;
}

int dc_run(const dc_input *in, const dc_opts *o, dc_result *r, la_error *err)
{
    assert(in && o && r && err && o->k >= 1 && o->threads >= 1);
    memset(r, 0, sizeof *r);
    double t0 = la_now();
    unsigned allowed = dc_allowed(in), want = o->checks & allowed;
    unsigned missing = o->checks & ~allowed & ~DC_BIT(DC_CHECK_LABEL);
    if (o->strict && missing) {
        int c = __builtin_ctz(missing);
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--issues %s: the inputs do not allow it (%s)",
                            dc_check_names[c],
                            c == DC_CHECK_LEAKAGE ? "it needs --test with features or images"
                            : c == DC_CHECK_IMAGE ? "it needs an image dataset"
                                                  : "it needs features: --features FILE.npy or --data");
    }
    int rc = dc_check_inputs(in, err);
    if (rc) return rc;
    r->n = in->train.n;
    r->k = o->k;
    r->metric = dc_metric_resolve(o->metric, in->train.feat.d);
    if (in->train.feat.n && (rc = dc_run_features(in, o, want, r, err))) goto fail;
    if ((want & DC_BIT(DC_CHECK_EXACT_DUPLICATE)) && (rc = dc_run_exact(in, r, err))) goto fail;
    if ((want & DC_BIT(DC_CHECK_IMAGE)) && (rc = dc_run_image(in, o, want, r, err))) goto fail;
    if ((want & DC_BIT(DC_CHECK_LEAKAGE)) && (rc = dc_run_leakage(in, o, r, err))) goto fail;
    if (want & DC_BIT(DC_CHECK_LABEL)) r->ran |= DC_BIT(DC_CHECK_LABEL);
    if ((rc = dc_build_issues(in, r, err))) goto fail;
    r->seconds = la_now() - t0;
    return 0;
fail:
    dc_result_free(r);
    return rc;
}

void dc_result_free(dc_result *r)
{
    if (!r) return;
    dc_knn_free(&r->knn);
    dc_near_dup_free(&r->nd);
    dc_outlier_free(&r->od);
    dc_groups_free(&r->rows);
    dc_groups_free(&r->files);
    free(r->rows_conflict);
    free(r->files_conflict);
    free(r->pairs);
    free(r->leaks);
    dc_defects_free(&r->defects);
    free(r->issues);
    memset(r, 0, sizeof *r);
}
