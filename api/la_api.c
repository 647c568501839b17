/*
 * la_api.c — the public C API (include/labelaudit.h) over the stages: each
 * la_* function turns the public options into the stage's own struct, calls
 * the stage and hands back an opaque object or fills the caller's buffer.
 * No logic of its own beyond that translation; no printing, no globals.
 */
#include "../include/labelaudit.h"
#include "../audit/audit.h"
#include "../cv/cv.h"
#include "../cv/rebalance.h"
#include "../util/la_json.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "../report/report.h"
#include "../report/rp_record.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *la_version(void) { return LABELAUDIT_VERSION; }

/* ---- load ---------------------------------------------------------------- */

void la_load_options_init(la_load_options *o)
{
    assert(o);
    io_load_opts lo;
    io_load_opts_init(&lo);
    memset(o, 0, sizeof *o);
    o->label_col = lo.label_col;
    o->id_col = lo.id_col;
    o->missing = "error";
    o->max_pixels = lo.max_pixels;
}

/* Public load options -> the loader's; LA_EUSAGE naming the bad value. */
static int api_load_opts(const la_load_options *o, io_load_opts *lo, la_error *err)
{
    static const char *const formats[] = {"auto", "csv", "manifest", "folder", "idx", "npy"};
    static const char *const missing[] = {"error", "mean", "zero"};
    io_load_opts_init(lo);
    if (!o) return 0;
    if (o->format) {
        size_t f = 0;
        while (f < 6 && strcmp(o->format, formats[f])) f++;
        if (f == 6) return la_error_set(err, LA_EUSAGE, NULL, 0, "format '%s' is not csv, manifest, folder, idx or npy", o->format);
        lo->format = (io_format)f;
    }
    if (o->missing) {
        size_t m = 0;
        while (m < 3 && strcmp(o->missing, missing[m])) m++;
        if (m == 3) return la_error_set(err, LA_EUSAGE, NULL, 0, "missing '%s' is not error, mean or zero", o->missing);
        lo->missing = (io_missing)m;
    }
    if (o->label_col) lo->label_col = o->label_col;
    if (o->id_col) lo->id_col = o->id_col;
    lo->features = o->features;
    lo->classes_file = o->classes_file;
    lo->idx_labels = o->idx_labels;
    lo->npy_labels = o->npy_labels;
    if (o->image_w < 0 || o->image_h < 0 || (!o->image_w) != (!o->image_h))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "image size %dx%d: give both, positive", o->image_w, o->image_h);
    lo->image_w = o->image_w;
    lo->image_h = o->image_h;
    lo->channels = o->rgb ? 3 : 1;
    if (o->max_pixels > 0) lo->max_pixels = o->max_pixels;
    lo->allow_outside_root = o->allow_outside_root;
    return 0;
}

int la_load(const char *path, const la_load_options *o, la_dataset **out, la_error *err)
{
    assert(path && out && err);
    la_error_clear(err);
    *out = NULL;
    io_load_opts lo;
    if (api_load_opts(o, &lo, err)) return err->status;
    la_dataset *ds = calloc(1, sizeof *ds);
    if (!ds) return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    int rc = io_dataset_load(path, &lo, ds, err);
    if (rc) { free(ds); return rc; }
    *out = ds;
    return 0;
}

void la_dataset_free(la_dataset *ds)
{
    if (!ds) return;
    io_dataset_free(ds);
    free(ds);
}

size_t la_dataset_n(const la_dataset *ds) { assert(ds); return ds->n; }
size_t la_dataset_d(const la_dataset *ds) { assert(ds); return ds->d; }
size_t la_dataset_k(const la_dataset *ds) { assert(ds); return ds->k; }
const int32_t *la_dataset_labels(const la_dataset *ds) { assert(ds); return ds->labels; }
const float *la_dataset_features(const la_dataset *ds) { assert(ds); return ds->features; }

const char *la_dataset_class_name(const la_dataset *ds, size_t c)
{
    assert(ds && c < ds->k);
    return ds->class_names[c];
}

const char *la_dataset_id(const la_dataset *ds, size_t i)
{
    assert(ds && i < ds->n);
    return ds->ids[i];
}

int la_dataset_set_labels(la_dataset *ds, const int32_t *labels, size_t n, la_error *err)
{
    assert(ds && labels && err);
    la_error_clear(err);
    if (n != ds->n)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu labels for a dataset of %zu examples", n, ds->n);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= ds->k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "label %d of example %zu is not a class index 0..%zu",
                                (int)labels[i], i, ds->k - 1);
    memcpy(ds->labels, labels, n * sizeof *labels);
    return 0;
}

/* ---- cv ------------------------------------------------------------------ */

void la_cv_options_init(la_cv_options *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
    o->model = "logreg";
    o->folds = 5;
    o->standardize = 1;
    o->l2 = -1;
}

/* Public cv options -> the stage's (defaults from cv_train_opts_init, as the
 * command's; rb receives auto's settings when o->rebalance_auto); LA_EUSAGE
 * naming the bad value. */
static int api_cv_opts(const la_cv_options *o, const la_dataset *ds, cv_stage_opts *so, cv_rebalance_opts *rb,
                       la_error *err)
{
    memset(so, 0, sizeof *so);
    cv_train_opts *t = &so->train;
    cv_train_opts_init(t);
    int m = cv_model_parse(o->model ? o->model : "logreg");
    if (m < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "model '%s' is not logreg, mlp, knn or cnn", o->model);
    t->model = (cv_model_kind)m;
    if (o->folds < 2) return la_error_set(err, LA_EUSAGE, NULL, 0, "folds must be at least 2, not %d", o->folds);
    if (o->l2 >= 0) { t->l2 = o->l2; t->l2_default = 0; }
    if (o->max_iter > 0) t->max_iter = o->max_iter;
    if (o->epochs > 0) t->epochs = o->epochs;
    if (o->knn_k > 0) t->knn_k = o->knn_k;
    if (o->hidden[0] > 0) {
        t->n_hidden = 0;
        for (int h = 0; h < 4 && o->hidden[h] > 0; h++) t->hidden[t->n_hidden++] = o->hidden[h];
    }
    if (o->loss) {
        int l = cv_loss_parse(o->loss);
        if (l < 0)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "loss '%s' is not ce, weighted, balanced, focal, gce, sce or logit-adjusted", o->loss);
        t->loss = (cv_loss_kind)l;
    }
    if (o->tau < 0 || o->tau > 10) return la_error_set(err, LA_EUSAGE, NULL, 0, "tau %g is not in [0, 10]", o->tau);
    if (o->tau > 0) t->tau = o->tau;
    if (o->sampler) {
        int s = cv_sampler_parse(o->sampler);
        if (s < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "sampler '%s' is not none, oversample or undersample", o->sampler);
        t->sampler = (cv_sampler_kind)s;
    }
    if (!(o->oversample_ratio >= 0 && o->oversample_ratio <= 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "oversample_ratio %g is not in (0, 1] (0 = off)", o->oversample_ratio);
    t->oversample_ratio = o->oversample_ratio;
    t->raw_probs = o->raw_probs != 0;
    cv_rebalance_opts_init(rb);
    if (o->select_by && cv_select_parse(o->select_by, &rb->select_by, &rb->precision))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "select_by '%s' is not pr-auc, recall-at-precision[:P], "
                            "balanced-accuracy or recall-guarded[:P] (P in [0, 1])", o->select_by);
    if (o->rebalance_auto) t->stop_on = CV_STOP_BALANCED;   /* as the command's default under auto */
    if (cv_rebalance_check(t, o->decouple != 0, o->rebalance_auto != 0, err)) return err->status;
    t->seed = o->seed;
    t->image_w = ds->image_w;
    t->image_h = ds->image_h;
    t->channels = ds->channels;
    so->n_folds = o->folds;
    so->seed = o->seed;
    so->threads = o->threads > 0 ? o->threads : la_num_cpus();
    so->standardize = o->standardize;
    so->decouple = o->decouple != 0;
    so->rebalance = o->rebalance_auto ? rb : NULL;
    return cv_train_opts_validate(t, ds->k, err);
}

int la_cv_metrics(const la_dataset *ds, const la_cv_options *o, double *probs, int32_t *fold_out,
                  char **metrics_json, la_error *err)
{
    assert(ds && probs && err);
    la_error_clear(err);
    if (metrics_json) *metrics_json = NULL;
    la_cv_options defaults;
    if (!o) { la_cv_options_init(&defaults); o = &defaults; }
    if (!ds->features || ds->d == 0)
        return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no feature columns to train on");
    cv_stage_opts so;
    cv_rebalance_opts rb;
    if (api_cv_opts(o, ds, &so, &rb, err)) return err->status;
    cv_stage_result res;
    memset(&res, 0, sizeof res);
    int rc = cv_stage(ds, NULL, &so, &res, err);
    if (!rc && metrics_json) {
        json_t *doc = cv_stage_metrics_json(&res, &so, ds->class_names);
        if (!doc || !(*metrics_json = json_dumps(doc, la_json_flags(LA_JSON_READABLE))))
            rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        json_decref(doc);
    }
    if (!rc) {
        memcpy(probs, res.probs, ds->n * ds->k * sizeof *probs);
        if (fold_out) memcpy(fold_out, res.fold, ds->n * sizeof *fold_out);
    }
    cv_stage_result_free(&res);
    return rc;
}

int la_cv(const la_dataset *ds, const la_cv_options *o, double *probs, int32_t *fold_out, la_error *err)
{
    return la_cv_metrics(ds, o, probs, fold_out, NULL, err);
}

/* ---- audit --------------------------------------------------------------- */

/* The opaque result: the stage's result and the input description it was
 * computed from (labels copied; names and ids borrowed from the dataset). */
struct la_audit {
    au_input  in;
    au_opts   opts;
    au_result res;
    int32_t  *labels;        /* owned copy of the given labels                 */
    int64_t  *remove;        /* owned copy of num_to_remove_per_class, or NULL */
    const la_dataset *ds;    /* borrowed, or NULL                              */
};

static const char api_in_memory[] = "(in memory)";

void la_audit_options_init(la_audit_options *o)
{
    assert(o);
    au_opts ao;
    au_opts_init(&ao);
    memset(o, 0, sizeof *o);
    o->filter_by = cl_filter_names[ao.filter];
    o->rank_by = cl_rank_names[ao.rank];
    o->frac_noise = ao.frac_noise;
    o->min_examples_per_class = ao.nmin;
    o->bootstrap = ao.bootstrap;
    o->confidence = ao.confidence;
}

/* Index of name in names[0..n), or -1. */
static int api_lookup(const char *name, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

static int api_audit_opts(const la_audit_options *o, size_t k, la_audit *a, la_error *err)
{
    au_opts *ao = &a->opts;
    au_opts_init(ao);
    int f = o->filter_by ? api_lookup(o->filter_by, cl_filter_names, CL_FILTER_COUNT) : (int)ao->filter;
    if (f < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "filter_by '%s' is not a cleanlab filter", o->filter_by);
    int r = o->rank_by ? api_lookup(o->rank_by, cl_rank_names, CL_RANK_COUNT) : (int)ao->rank;
    if (r < 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "rank_by '%s' is not a cleanlab ranking", o->rank_by);
    if (!(o->frac_noise > 0 && o->frac_noise <= 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "frac_noise must be in (0, 1], not %g", o->frac_noise);
    if (o->bootstrap < 1 || !(o->confidence > 0 && o->confidence < 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "bootstrap must be >= 1 and confidence in (0, 1)");
    ao->filter = (cl_filter)f;
    ao->rank = (cl_rank)r;
    ao->frac_noise = o->frac_noise;
    ao->nmin = o->min_examples_per_class;
    ao->corrected = o->corrected;
    ao->bootstrap = o->bootstrap;
    ao->confidence = o->confidence;
    ao->seed = o->seed;
    ao->threads = o->threads > 0 ? o->threads : la_num_cpus();
    ao->keep_rank_scores = 1;                /* the record stage stores them */
    if (o->num_to_remove_per_class) {
        if (!(a->remove = la_malloc_array(k, sizeof *a->remove)))
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        memcpy(a->remove, o->num_to_remove_per_class, k * sizeof *a->remove);
        ao->remove = a->remove;
    }
    return 0;
}

/* The probabilities as doubles: probs itself, or a converted copy in *copy. */
static const double *api_probs_f64(const void *probs, la_dtype dtype, size_t n, size_t k, double **copy)
{
    *copy = NULL;
    if (dtype == LA_F64) return probs;
    if (!(*copy = la_malloc_array(n * k, sizeof **copy))) return NULL;
    const float *p = probs;
    for (size_t i = 0; i < n * k; i++) (*copy)[i] = p[i];
    return *copy;
}

int la_audit_run(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                 const la_audit_options *o, la_audit **out, la_error *err)
{
    assert(labels && probs && out && err);
    la_error_clear(err);
    *out = NULL;
    la_audit_options defaults;
    if (!o) { la_audit_options_init(&defaults); o = &defaults; }
    if (dtype != LA_F32 && dtype != LA_F64) return la_error_set(err, LA_EUSAGE, NULL, 0, "dtype must be LA_F32 or LA_F64");
    const la_dataset *ds = o->dataset;
    if (ds && (ds->n != n || ds->k != k))
        return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has %zu examples and %zu classes, the "
                            "probabilities %zu x %zu", ds->n, ds->k, n, k);
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "label %d (example %zu) is out of range: pred_probs has "
                                "%zu columns (classes 0..%zu)", (int)labels[i], i, k, k ? k - 1 : 0);
    la_audit *a = calloc(1, sizeof *a);
    double *copy = NULL;
    const double *p = NULL;
    int rc = a ? 0 : la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc) rc = api_audit_opts(o, k, a, err);
    if (!rc && !(a->labels = la_malloc_array(n, sizeof *a->labels))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc && !(p = api_probs_f64(probs, dtype, n, k, &copy))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc) {
        memcpy(a->labels, labels, n * sizeof *labels);
        a->ds = ds;
        a->in = (au_input){
            .n = n, .k = k, .labels = a->labels, .probs = p, .probs_path = api_in_memory,
            .class_names = ds ? ds->class_names : NULL, .ids = ds ? ds->ids : NULL,
            .image_paths = ds ? ds->image_paths : NULL, .data_path = ds ? ds->path : NULL,
        };
        rc = au_run(&a->in, &a->opts, NULL, &a->res, err);
        a->in.probs = NULL;                   /* not kept past the call        */
    }
    free(copy);
    if (rc) { la_audit_free(a); return rc; }
    *out = a;
    return 0;
}

void la_audit_free(la_audit *a)
{
    if (!a) return;
    au_result_free(&a->res);
    free(a->labels);
    free(a->remove);
    free(a);
}

size_t la_audit_n(const la_audit *a) { assert(a); return a->in.n; }
size_t la_audit_k(const la_audit *a) { assert(a); return a->in.k; }
size_t la_audit_num_flagged(const la_audit *a) { assert(a); return a->res.cl.n_flagged; }
const uint32_t *la_audit_ranked(const la_audit *a) { assert(a); return a->res.cl.ranked; }

int la_audit_is_issue(const la_audit *a, size_t i)
{
    assert(a && i < a->in.n);
    return (a->res.cl.flags[i] & CL_F_ISSUE) != 0;
}

int32_t la_audit_suggested(const la_audit *a, size_t i)
{
    assert(a && i < a->in.n);
    return a->res.cl.suggested[i];
}

const int64_t *la_audit_confident_joint(const la_audit *a, int calibrated)
{
    assert(a);
    return calibrated ? a->res.cl.cjc : a->res.cl.cj;
}

const double *la_audit_joint(const la_audit *a) { assert(a); return a->res.cl.joint; }
const double *la_audit_noise_matrix(const la_audit *a) { assert(a); return a->res.cl.nm; }
const double *la_audit_inverse_noise_matrix(const la_audit *a) { assert(a); return a->res.cl.inv; }
const double *la_audit_priors(const la_audit *a) { assert(a); return a->res.cl.py; }
const double *la_audit_thresholds(const la_audit *a) { assert(a); return a->res.cl.thresholds; }
double la_audit_health(const la_audit *a) { assert(a); return a->res.cl.health; }

double la_audit_error_rate(const la_audit *a, double *lo, double *hi)
{
    assert(a);
    if (lo) *lo = a->res.ci[0];
    if (hi) *hi = a->res.ci[1];
    return a->in.n ? (double)a->res.cl.num_off_diagonal / (double)a->in.n : 0.0;
}

int la_audit_write(const la_audit *a, const char *out_dir, la_error *err)
{
    assert(a && out_dir && err);
    la_error_clear(err);
    /* au_write commits the score files it was given; the API streams none,
     * so the result is not changed and a const view is safe to hand over. */
    return au_write((au_result *)&a->res, &a->in, &a->opts, out_dir, NULL, err);
}

/* ---- record and report --------------------------------------------------- */

int la_record(const char *db_path, const la_audit *a, const double *probs, int64_t *run_id, la_error *err)
{
    assert(db_path && a && err);
    la_error_clear(err);
    sqlite3 *db = NULL;
    au_input in = a->in;
    in.probs = probs;
    int rc = db_open(db_path, &db, err);
    if (!rc) rc = rp_record_audit(db, &in, &a->opts, &a->res, a->ds, run_id, err);
    if (db) db_close(db);
    return rc;
}

int la_report(const char *db_path, int64_t run_id, const char *out_dir, la_error *err)
{
    assert(db_path && out_dir && err);
    la_error_clear(err);
    sqlite3 *db = NULL;
    rp_options ro;
    rp_options_init(&ro);
    ro.run_id = run_id;
    rp_result res;
    memset(&res, 0, sizeof res);
    int rc = db_open(db_path, &db, err);
    if (!rc) rc = rp_write_report(db, out_dir, &ro, &res, err);
    if (db) db_close(db);
    return rc;
}
