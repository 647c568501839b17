/*
 * checks_opts.c — `audit`'s dataset-check options and the glue that reads
 * their inputs, runs dc_run, writes dc_write's files and prints what was
 * found (see checks_opts.h). A split is a dataset (any loader format), a
 * features .npy, or both (the .npy's rows are the dataset's examples).
 */
#include "checks_opts.h"
#include "audit_opts.h"
#include "cli.h"
#include "load_opts.h"
#include "../db/db.h"
#include "../io/npy.h"
#include "../report/rp_issues.h"
#include "../report/rp_record.h"
#include "../util/la_json.h"

#include <inttypes.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char dc_cli_help[] =
    "Dataset checks (beyond labels; without --pred-probs they run alone):\n"
    "  --features FILE.npy      N x D features (e.g. embeddings) for the feature\n"
    "                           checks; default: the dataset's own (--data)\n"
    "  --test TESTSET           a test split (dataset, or an N x D .npy): leakage\n"
    "  --test-features FILE.npy the test split's features (with --features)\n"
    "  --issues LIST            checks to run, comma-separated: label,\n"
    "                           near_duplicate, outlier, exact_duplicate, leakage,\n"
    "                           image, or all (default: every one the inputs allow)\n"
    "  --k N                    nearest neighbours (10)\n"
    "  --near-duplicate-threshold T  radius = T x median NN distance (0.13)\n"
    "  --metric cosine|euclidean  kNN metric (default: cosine when D > 3)\n"
    "  --outlier-score parity|pca  outlier.csv's score: cleanlab's (parity, the\n"
    "                           default) or kNN on the top principal components\n"
    "                           of the unit-length rows (pca; better on images)\n"
    "  --pca-components N       components of the pca score (20)\n"
    "With --db the findings are recorded with the audit run (needs --pred-probs):\n"
    "the review queue, `clean --drop-issues`, the report's issue-TYPE.html pages.\n"
    "\n";

void dc_cli_init(dc_cli *c)
{
    memset(c, 0, sizeof *c);
    dc_opts_init(&c->o);
}

int dc_cli_handle(dc_cli *c, int code, const char *value, const char *cmd)
{
    long lv;
    const char *bad;
    size_t bad_len;
    if (code == IO_OPT_BASE + 2) {              /* the loader's --features */
        size_t len = strlen(value);
        if (len < 4 || strcmp(value + len - 4, ".npy")) return -1;
        c->features = value;
        return 0;
    }
    switch (code - DC_OPT_BASE) {
    case 1: c->test = value; return 0;
    case 2: c->test_features = value; return 0;
    case 3:
        if (dc_checks_parse(value, &c->o.checks, &bad, &bad_len))
            return cli_usage_error(cmd, "--issues: unknown check '%.*s' (label, near_duplicate, outlier, "
                                        "exact_duplicate, leakage, image, all)", (int)bad_len, bad);
        c->issues = value;
        c->o.strict = strcmp(value, "all") != 0;      /* "all": whatever the inputs allow */
        return 0;
    case 4:
        if (cli_parse_long(cmd, "k", value, 1, 100000, &lv)) return LA_EUSAGE;
        c->o.k = (size_t)lv;
        return 0;
    case 5: return cli_parse_double(cmd, "near-duplicate-threshold", value, 0, 1e6, &c->o.near_dup_threshold)
                       ? LA_EUSAGE : 0;
    case 6:
        if (!strcmp(value, "cosine")) c->o.metric = DC_METRIC_COSINE;
        else if (!strcmp(value, "euclidean")) c->o.metric = DC_METRIC_EUCLIDEAN;
        else return cli_usage_error(cmd, "--metric must be cosine or euclidean, got '%s'", value);
        return 0;
    case 7:
        if (!strcmp(value, "parity")) c->o.outlier_score = DC_OUTLIER_PARITY;
        else if (!strcmp(value, "pca")) c->o.outlier_score = DC_OUTLIER_PCA;
        else return cli_usage_error(cmd, "--outlier-score must be parity or pca, got '%s'", value);
        return 0;
    case 8:
        if (cli_parse_long(cmd, "pca-components", value, 1, 4096, &lv)) return LA_EUSAGE;
        c->o.pca_components = (size_t)lv;
        return 0;
    default: return -1;
    }
}

int dc_cli_active(const dc_cli *c)
{
    return c->features || c->test || c->test_features ||
           (c->issues && (c->o.checks & ~DC_BIT(DC_CHECK_LABEL)));
}

/* ---- reading a split ---------------------------------------------------- */

/* What one split owns. */
typedef struct dc_side {
    la_dataset ds;
    int        have_ds;
    io_labels  lab;
    int32_t   *y32;                   /* lab's labels as int32                    */
    float     *f32;
    double    *f64;
    dc_split   s;
} dc_side;

static void dc_side_free(dc_side *sd)
{
    if (sd->have_ds) io_dataset_free(&sd->ds);
    io_labels_free(&sd->lab);
    free(sd->y32);
    free(sd->f32);
    free(sd->f64);
    memset(sd, 0, sizeof *sd);
}

/* A 2-D .npy of features, float32 kept as float32, anything else as double. */
static int dc_load_npy(const char *path, dc_side *sd, la_error *err)
{
    io_npy f;
    int rc = io_npy_open(&f, path, err);
    if (rc) return rc;
    int f32 = f.dtype == IO_DT_F32 || f.dtype == IO_DT_F16, two_d = f.ndim == 2;
    size_t rows = f.rows, cols = f.cols;
    io_npy_close(&f);
    if (!two_d) return la_error_set(err, LA_EUSAGE, path, 0, "features must be a 2-D N x D array");
    rc = f32 ? io_npy_load_f32(path, &sd->f32, &rows, &cols, err) : io_npy_load_f64(path, &sd->f64, &rows, &cols, err);
    if (rc) return rc;
    sd->s.feat = (dc_matrix){rows, cols, sd->f32, sd->f64};
    sd->s.feat_path = path;
    if (!sd->s.n) sd->s.n = rows;
    return 0;
}

static int dc_is_npy_matrix(const char *path)
{
    io_npy f;
    la_error e;
    if (io_npy_open(&f, path, &e)) return 0;
    int m = f.ndim == 2 && (f.dtype == IO_DT_F32 || f.dtype == IO_DT_F64 || f.dtype == IO_DT_F16);
    io_npy_close(&f);
    return m;
}

/* The dataset's part of a split: ids, labels, image paths, pixels, and its
 * features when no .npy gives them. */
static int dc_load_dataset(const char *path, const io_load_opts *lo, dc_side *sd, la_error *err)
{
    io_load_opts o = *lo;
    o.no_features = 0;
    int rc = io_dataset_load(path, &o, &sd->ds, err);
    if (rc) return rc;
    sd->have_ds = 1;
    const la_dataset *ds = &sd->ds;
    sd->s.n = ds->n;
    sd->s.path = path;
    sd->s.ids = ds->ids;
    sd->s.labels = ds->labels;
    sd->s.image_paths = ds->image_paths;
    if (ds->image_w > 0 && ds->features) {
        sd->s.pixels = ds->features;
        sd->s.image_w = ds->image_w; sd->s.image_h = ds->image_h; sd->s.channels = ds->channels;
    }
    if (ds->features && ds->d) {
        sd->s.feat = (dc_matrix){ds->n, ds->d, ds->features, NULL};
        sd->s.feat_path = path;
    }
    return 0;
}

/* A split from a dataset and/or a features .npy, labels from labels_path
 * when there is no dataset. */
static int dc_side_load(const char *data, const char *features, const char *labels_path, const io_load_opts *lo,
                        dc_side *sd, la_error *err)
{
    memset(sd, 0, sizeof *sd);
    int rc = 0;
    if (data && dc_is_npy_matrix(data) && !features) features = data, data = NULL;
    if (data && (rc = dc_load_dataset(data, lo, sd, err))) return rc;
    if (features) {
        sd->s.feat = (dc_matrix){0};
        if ((rc = dc_load_npy(features, sd, err))) return rc;
    }
    if (!data && labels_path) {
        if ((rc = io_labels_load(labels_path, NULL, 0, &sd->lab, err))) return rc;
        if (sd->lab.n != sd->s.n)
            return la_error_set(err, LA_EUSAGE, labels_path, 0, "%zu labels for the %zu feature rows of %s",
                                sd->lab.n, sd->s.n, features);
        sd->s.ids = sd->lab.ids;
    }
    return 0;
}

/* The test split: the training loader options without the training
 * split's own label files (--idx-labels, --npy-labels). */
static int dc_test_load(const struct au_cli *a, dc_side *te, la_error *err)
{
    io_load_opts lo = a->lo;
    lo.idx_labels = NULL;
    lo.npy_labels = NULL;
    return dc_side_load(a->dc.test, a->dc.test_features, NULL, &lo, te, err);
}

/* The int64 labels of a --labels file as the int32 the checks take (NULL
 * when there are none or no memory: label_conflict is then not judged). */
static const int32_t *dc_labels32(dc_side *sd)
{
    if (!sd->lab.labels || !(sd->y32 = la_malloc_array(sd->lab.n + 1, sizeof *sd->y32))) return NULL;
    for (size_t i = 0; i < sd->lab.n; i++) sd->y32[i] = (int32_t)sd->lab.labels[i];
    return sd->y32;
}

/* ---- printing ------------------------------------------------------------- */

static void dc_cli_print(const dc_result *r, const dc_opts *o, const char *out, int quiet)
{
    if (quiet) return;
    fprintf(stderr, "dataset checks on %zu examples in %.2f s -> %s/issues.csv\n", r->n, r->seconds, out);
    if (r->knn.n)
        fprintf(stderr, "  kNN: k = %zu, %s, median nearest-neighbour distance %.6g\n", r->k,
                dc_metric_names[r->metric], r->nd.median_nn);
    if ((r->ran & DC_BIT(DC_CHECK_OUTLIER)) && o->outlier_score == DC_OUTLIER_PCA)
        fprintf(stderr, "  outlier score: pca (top %zu principal components of the unit-length rows, "
                        "euclidean kNN)\n", o->pca_components);
    for (int t = 0; t < DC_ISSUE_COUNT; t++)
        if (r->count[t]) fprintf(stderr, "  %-22s %zu\n", dc_issue_names[t], r->count[t]);
    if (r->ran & DC_BIT(DC_CHECK_LEAKAGE))
        fprintf(stderr, "  leaked test examples:   %zu of %zu\n", r->n_leaks, r->n_test);
    if (!r->n_issues) fprintf(stderr, "  no dataset issues found\n");
}

static int dc_write_summary(const dc_result *r, const dc_opts *o, const char *out, const char *copy, la_error *err)
{
    json_t *j = json_object(), *dcs = dc_summary(r, o);
    if (!j || !dcs) { json_decref(j); json_decref(dcs); return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }
    json_object_set_new(j, "dataset_checks", dcs);
    char path[1024];
    int rc = la_path_join(path, sizeof path, out, "summary.json") ? la_error_set(err, LA_EUSAGE, out, 0, "path too long")
                                                                  : la_json_write_file(j, path, LA_JSON_EXACT, err);
    if (!rc && copy) rc = la_json_write_file(j, copy, LA_JSON_EXACT, err);
    json_decref(j);
    return rc;
}

/* ---- the two entry points ------------------------------------------------- */

static void dc_cli_start(dc_cli *c, int threads, int quiet, la_progress *pg)
{
    c->o.threads = threads > 0 ? threads : la_num_cpus();
    la_progress_start(pg, "nearest neighbours", 0, quiet);
    c->o.progress = pg;
}

int dc_cli_features_only(struct au_cli *a)
{
    la_error err;
    la_error_clear(&err);
    dc_side tr, te = {0};
    dc_result r = {0};
    la_progress pg;
    if (a->db)
        return cli_usage_error("audit", "--db records an audit run, which needs --pred-probs (or cv --audit): the "
                               "dataset checks alone are not recorded; drop --db, or add --pred-probs");
    int rc = dc_side_load(a->files.data, a->dc.features, a->files.labels, &a->lo, &tr, &err);
    if (!rc && !tr.s.labels) tr.s.labels = dc_labels32(&tr);
    if (!rc && (a->dc.test || a->dc.test_features))
        rc = dc_test_load(a, &te, &err);
    rc = la_coll_agree(a->dc.o.coll, rc, &err);   /* every rank loaded them (labelaudit-mpi) */
    if (rc) goto out;
    dc_input in = {.train = tr.s, .test = (a->dc.test || a->dc.test_features) ? &te.s : NULL};
    dc_cli_start(&a->dc, a->o.threads, a->quiet, &pg);
    pg.total = (long long)tr.s.n;
    rc = dc_run(&in, &a->dc.o, &r, &err);   /* every rank (labelaudit-mpi): the kNN over ranks */
    la_progress_finish(&pg);
    if (!rc && la_coll_rank(a->dc.o.coll) != 0) goto out;   /* rank 0 writes */
    if (!rc) rc = dc_write(&r, &in, &a->dc.o, a->out, &err);
    if (!rc) rc = dc_write_summary(&r, &a->dc.o, a->out, a->summary, &err);
    if (!rc) dc_cli_print(&r, &a->dc.o, a->out, a->quiet);
out:
    if (rc) rc = cli_report(&err);
    dc_result_free(&r);
    dc_side_free(&tr);
    dc_side_free(&te);
    return rc;
}

/* The label audit's flags and scores for issues.csv (score NAN when not flagged). */
static int dc_label_rows(const au_result *res, uint8_t **flag, double **score)
{
    const cl_result *c = &res->cl;
    *flag = la_calloc(c->n + 1, 1);
    *score = la_malloc_array(c->n + 1, sizeof **score);
    if (!*flag || !*score) return -1;
    for (size_t i = 0; i < c->n; i++) (*score)[i] = 0;
    for (size_t t = 0; t < c->n_flagged; t++) {
        (*flag)[c->ranked[t]] = 1;
        (*score)[c->ranked[t]] = c->ranked_score[t];
    }
    return 0;
}

/* res->summary_json with "dataset_checks" added at the end. */
static int dc_merge_summary(au_result *res, const dc_result *r, const dc_opts *o, la_error *err)
{
    json_t *j = json_loads(res->summary_json, 0, NULL), *dcs = dc_summary(r, o);
    char *text = NULL;
    if (j && dcs) {
        json_object_set_new(j, "dataset_checks", dcs);
        dcs = NULL;
        text = la_json_text(j, LA_JSON_EXACT);
    }
    json_decref(j);
    json_decref(dcs);
    if (!text) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    free(res->summary_json);
    res->summary_json = text;
    return 0;
}

/* What dc_cli_with_audit leaves for dc_cli_record: the result and every
 * input it points into. */
typedef struct dc_cli_kept {
    dc_side   tr, te;
    dc_result r;
    dc_input  in;
    dc_split  s;
    uint8_t  *flag;
    double   *score;
    char *const *train_names;        /* feature names of s.feat, or NULL        */
} dc_cli_kept;

void dc_cli_free(dc_cli *c)
{
    dc_cli_kept *k = c->kept;
    if (!k) return;
    free(k->flag);
    free(k->score);
    dc_result_free(&k->r);
    dc_side_free(&k->tr);
    dc_side_free(&k->te);
    free(k);
    c->kept = NULL;
}

/* The training split: the audit's dataset (ld->ds) or --features. */
static void dc_audit_split(const struct au_cli *a, const au_loaded *ld, dc_cli_kept *k)
{
    const la_dataset *ds = a->files.data ? &ld->ds : NULL;
    dc_split s = {.n = ld->in.n, .ids = ld->in.ids, .labels = ld->in.labels, .feat = k->tr.s.feat,
                  .feat_path = k->tr.s.feat_path, .path = a->files.data};
    if (ds && ds->features && ds->d && !a->dc.features) {
        s.feat = (dc_matrix){ds->n, ds->d, ds->features, NULL}, s.feat_path = a->files.data;
        k->train_names = ds->feature_names;
    }
    if (ds && ds->image_w > 0 && ds->features)
        s.pixels = ds->features, s.image_w = ds->image_w, s.image_h = ds->image_h, s.channels = ds->channels;
    if (ds) s.image_paths = ds->image_paths;
    k->s = s;
}

int dc_cli_with_audit(struct au_cli *a, struct au_loaded *ld, struct au_result *res, la_error *err)
{
    dc_cli_free(&a->dc);
    dc_cli_kept *k = a->dc.kept = la_calloc(1, sizeof *k);
    if (!k) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    la_progress pg;
    int rc = 0;
    if (a->dc.features) rc = dc_load_npy(a->dc.features, &k->tr, err);
    if (!rc && (a->dc.test || a->dc.test_features))
        rc = dc_test_load(a, &k->te, err);
    int root = la_coll_rank(a->dc.o.coll) == 0;   /* other ranks lack the per-example audit arrays */
    if (!rc && root && dc_label_rows(res, &k->flag, &k->score))
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if ((rc = la_coll_agree(a->dc.o.coll, rc, err))) return rc;
    dc_audit_split(a, ld, k);
    k->in = (dc_input){.train = k->s, .test = (a->dc.test || a->dc.test_features) ? &k->te.s : NULL,
                       .label_issue = k->flag, .label_score = k->score};
    dc_cli_start(&a->dc, a->o.threads, a->quiet, &pg);
    pg.total = (long long)k->s.n;
    rc = dc_run(&k->in, &a->dc.o, &k->r, err);   /* every rank: the kNN over ranks */
    la_progress_finish(&pg);
    if (rc || !root) return rc;                    /* rank 0 writes */
    rc = dc_write(&k->r, &k->in, &a->dc.o, a->out, err);
    if (!rc) rc = dc_merge_summary(res, &k->r, &a->dc.o, err);
    if (!rc) dc_cli_print(&k->r, &a->dc.o, a->out, a->quiet);
    return rc;
}

int dc_cli_record(struct au_cli *a, struct au_loaded *ld, const struct au_result *res, la_error *err)
{
    const dc_cli_kept *k = a->dc.kept;
    assert(k);
    const dc_side *te = &k->te;
    rp_issues_src src = {.r = &k->r, .in = &k->in, .train_classes = ld->in.class_names, .train_k = ld->in.k,
                         .test_classes = te->have_ds ? te->ds.class_names : NULL, .test_k = te->have_ds ? te->ds.k : 0,
                         .train_feature_names = k->train_names,
                         .test_feature_names = te->have_ds && !a->dc.test_features ? te->ds.feature_names : NULL,
                         .test_path = a->dc.test ? a->dc.test : a->dc.test_features};
    sqlite3 *db = NULL;
    int64_t run_id = 0;
    int rc = db_open(a->db, &db, err);
    if (!rc) rc = rp_record_audit_checks(db, &ld->in, &a->o, res, a->files.data ? &ld->ds : NULL, &src, &run_id, err);
    if (db) db_close(db);
    if (!rc) cli_info(a->quiet, "recorded run %" PRId64 " in %s with %zu dataset issues\n", run_id, a->db,
                      k->r.n_issues - k->r.count[DC_ISSUE_LABEL]);
    return rc;
}
