/*
 * cmd_cv.c — `labelaudit cv`: k-fold out-of-fold probabilities for a dataset.
 * Loads the dataset (shared loader options), optionally replaces labels and
 * adds example weights, assigns stratified seeded folds, runs cv_run, and
 * writes pred_probs.npy (float64) with labels.npy, folds.csv and metrics.json
 * beside it; --audit then audits the probabilities in memory (the audit stage,
 * as `labelaudit audit` would on the files written).
 * The command layer: the only place in cv/ that prints.
 */
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "../io/npy.h"
#include "cmd_common.h"
#include "../cv/cv.h"
#include "../cv/folds.h"
#include "../cv/metrics.h"
#include "train_opts.h"
#include "audit_opts.h"

static const char usage[] =
    "usage: labelaudit cv --data DATASET [loader options] --out PRED_PROBS.npy\n"
    "           [--folds 5] [--seed S] [--threads N] [--model logreg|mlp|knn]\n"
    "           [model, loss and sampling options] [--coteach [--forget-rate R]\n"
    "           [--forget-epochs E]] [--audit DIR] [--db FILE]\n"
    "\n"
    "Out-of-fold predicted probabilities by stratified k-fold cross-validation:\n"
    "each example is predicted by the one model that never saw it. Writes\n"
    "PRED_PROBS.npy (N x K float64) and, beside it, labels.npy (the labels used,\n"
    "int64), folds.csv (id,fold) and metrics.json.\n"
    "\n"
    "options:\n"
    "  --data PATH              dataset (CSV table, manifest, image folder, IDX, .npy)\n"
    "  --out FILE               where to write the probabilities (.npy)\n"
    "  --labels FILE            replace the dataset's labels (.npy of class indices, or CSV\n"
    "                           with a label column, matched by an id column when present)\n"
    "  --weights FILE           per-example weights: CSV with a weight column (and id), or .npy\n"
    "  --weight-col NAME        per-example weights from this numeric column of a CSV table\n"
    "                           (removed from the features)\n"
    "  --folds N                folds (5)\n"
    "  --seed S                 seed of folds, initialization and sampling (0)\n"
    "  --threads N              threads (default: CPUs); folds run in parallel, BLAS\n"
    "                           single-threaded inside each, never more than N in all\n"
    "  --no-standardize         do not standardize features (one-hot columns are never\n"
    "                           standardized; categories unseen in training are zeroed)\n"
    "  --audit DIR              then run `labelaudit audit` on the result into DIR\n"
    "  --db FILE                with --audit: record the run and these metrics in FILE\n"
    "  --format text|json       summary on stdout (text)\n"
    "  --quiet                  no progress or information on stderr\n"
    "  --help                   this help\n"
    "\n";

enum { O_DATA = 1, O_OUT, O_LABELS, O_WEIGHTS, O_WCOL, O_FOLDS, O_SEED, O_THREADS, O_NOSTD, O_AUDIT,
       O_DB, O_FORMAT, O_QUIET, O_HELP };

static const struct option own_options[] = {
    {"data", required_argument, NULL, O_DATA},
    {"out", required_argument, NULL, O_OUT},
    {"labels", required_argument, NULL, O_LABELS},
    {"weights", required_argument, NULL, O_WEIGHTS},
    {"weight-col", required_argument, NULL, O_WCOL},
    {"folds", required_argument, NULL, O_FOLDS},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"no-standardize", no_argument, NULL, O_NOSTD},
    {"audit", required_argument, NULL, O_AUDIT},
    {"db", required_argument, NULL, O_DB},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
};

#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct cv_args {
    const char *data, *out, *labels, *weights, *weight_col, *audit, *db;
    long  folds, seed, threads;
    int   standardize, json, quiet;
    io_load_opts load;
    cv_opts train;
} cv_args;

static int own_option(void *ctx, int c, const char *arg)
{
    cv_args *a = ctx;
    switch (c) {
    case O_DATA: a->data = arg; break;
    case O_OUT: a->out = arg; break;
    case O_LABELS: a->labels = arg; break;
    case O_WEIGHTS: a->weights = arg; break;
    case O_WCOL: a->weight_col = arg; break;
    case O_FOLDS: if (cli_parse_long("cv", "--folds", arg, 2, 1000, &a->folds)) return LA_EUSAGE; break;
    case O_SEED: if (cli_parse_long("cv", "--seed", arg, 0, 2147483647L, &a->seed)) return LA_EUSAGE; break;
    case O_THREADS: if (cli_parse_long("cv", "--threads", arg, 1, 64, &a->threads)) return LA_EUSAGE; break;
    case O_NOSTD: a->standardize = 0; break;
    case O_AUDIT: a->audit = arg; break;
    case O_DB: a->db = arg; break;
    default: return cli_usage_error("cv", "unknown option");
    }
    return 0;
}

static int parse_args(int argc, char **argv, cv_args *a, int *help)
{
    cv_cmd_parser p = {
        .cmd = "cv", .own = own_options, .n_own = N_OWN, .load = &a->load, .train = &a->train,
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a,
    };
    int rc = cv_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->data) return cli_usage_error("cv", "--data DATASET is required");
    if (!a->out) return cli_usage_error("cv", "--out FILE is required");
    if (a->weights && a->weight_col) return cli_usage_error("cv", "give --weights or --weight-col, not both");
    if (a->db && !a->audit) return cli_usage_error("cv", "--db records an audit run: give --audit DIR too");
    return cv_opts_check(&a->train, a->weights || a->weight_col, "cv");
}

/* dir of path into out ("." when none). */
static void dir_of(const char *path, char *out, size_t sz)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, sz, "%s", dirname(tmp));
}

static int write_folds_csv(const char *path, const la_dataset *ds, const int32_t *fold, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    fputs("id,fold\n", af.fp);
    for (size_t i = 0; i < ds->n; i++) {
        const char *id = ds->ids ? ds->ids[i] : NULL;
        if (!id) { fprintf(af.fp, "%zu,%d\n", i, fold[i]); continue; }
        if (strpbrk(id, ",\"\r\n")) {          /* RFC 4180 quoting */
            fputc('"', af.fp);
            for (const char *p = id; *p; p++) { if (*p == '"') fputc('"', af.fp); fputc(*p, af.fp); }
            fprintf(af.fp, "\",%d\n", fold[i]);
        } else {
            fprintf(af.fp, "%s,%d\n", id, fold[i]);
        }
    }
    return la_atomic_commit(&af, err);
}

static json_t *curve_json(const cv_curve *c)
{
    json_t *o = json_object(), *tr = json_array(), *va = json_array(), *ho = json_array(), *vl = json_array();
    for (size_t e = 0; e < c->n; e++) {
        json_array_append_new(tr, isfinite(c->train_acc[e]) ? json_real(c->train_acc[e]) : json_null());
        json_array_append_new(va, isfinite(c->val_acc[e]) ? json_real(c->val_acc[e]) : json_null());
        json_array_append_new(vl, isfinite(c->val_loss[e]) ? json_real(c->val_loss[e]) : json_null());
        json_array_append_new(ho, isfinite(c->heldout_acc[e]) ? json_real(c->heldout_acc[e]) : json_null());
    }
    json_object_set_new(o, "train_accuracy", tr);
    json_object_set_new(o, "val_accuracy", va);
    json_object_set_new(o, "val_loss", vl);
    json_object_set_new(o, "heldout_accuracy", ho);
    json_object_set_new(o, "best_epoch", json_integer(c->best));
    return o;
}

typedef struct progress_ctx {
    la_progress pg;
} progress_ctx;

static void on_fold(void *ctx, int fold, int n_done)
{
    (void)fold;
    la_progress_update(&((progress_ctx *)ctx)->pg, n_done);
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru)) return 0.0;
    return ru.ru_maxrss / 1024.0;       /* Linux: kilobytes */
}

/* --audit: the audit stage on the probabilities just computed, as `audit
 * --labels LABELS.npy --pred-probs OUT --data DATA [loader options]` reads
 * them from the files written (the same numbers: they were written as
 * float64), with the audit's defaults. Returns the exit status (printed). */
static int run_audit(const cv_args *a, const char *labels_path, const la_dataset *ds, const double *probs)
{
    la_error err;
    la_error_clear(&err);
    au_input in = {
        .n = ds->n, .k = ds->k, .labels = ds->labels, .probs = probs, .class_names = ds->class_names,
        .ids = ds->ids, .image_paths = ds->image_paths, .probs_path = a->out, .labels_path = labels_path,
        .data_path = a->data, .load = &a->load,
    };
    au_opts o;
    au_opts_init(&o);
    o.keep_rank_scores = a->db != NULL;
    au_result res = {0};
    char **cls = NULL;
    double t0 = la_now();
    int rc = a->load.classes_file ? au_class_names_file(a->load.classes_file, ds->k, a->out, &cls, &err) : 0;
    if (cls) in.class_names = cls;
    if (!rc) rc = au_run(&in, &o, NULL, &res, &err);
    double t_run = la_now();
    if (!rc) rc = au_write(&res, &in, &o, a->audit, NULL, &err);
    if (!rc) au_cli_warn_skipped(&res, &o, a->out);
    if (!rc && a->db) rc = au_cli_record(a->db, &in, &o, &res, a->quiet, &err);
    if (!rc) au_cli_print_summary(&res, &in, &o, a->audit, t0, t_run, a->quiet, 0);
    au_result_free(&res);
    io_free_strings(cls, cls ? ds->k : 0);
    return rc ? cli_report(&err) : 0;
}

static int record_metrics(const char *dbpath, const char *json_text, la_error *err)
{
    sqlite3 *db = NULL;
    int64_t run = 0;
    int rc = db_open(dbpath, &db, err);
    if (!rc) rc = db_latest_run(db, &run, err);
    if (!rc) rc = db_record_metrics(db, run, "cv", json_text, err);
    db_close(db);
    return rc;
}

int cmd_cv(int argc, char **argv)
{
    cv_args a;
    memset(&a, 0, sizeof a);
    a.folds = 5;
    a.threads = la_num_cpus();
    a.standardize = 1;
    io_load_opts_init(&a.load);
    cv_opts_init(&a.train);
    int help = 0, rc = parse_args(argc, argv, &a, &help);
    if (rc || help) {
        if (help) printf("%s%s\n%s", usage, cv_train_opts_help, io_load_opts_help);
        return rc;
    }

    la_error err;
    la_error_clear(&err);
    la_dataset ds;
    memset(&ds, 0, sizeof ds);
    int32_t *fold = NULL;
    float *sw = NULL;
    double *probs = NULL;
    int64_t *lab64 = NULL;
    cv_fold_info *info = NULL;
    cv_curve *curves = NULL;
    float *curve_mem = NULL;
    json_t *doc = NULL;
    char *json_text = NULL;
    cv_train_opts *t = &a.train.train;
    t->seed = (uint64_t)a.seed;

    double t0 = la_now();
    cv_train_source src = {
        .data = a.data, .load = &a.load, .labels = a.labels, .weights = a.weights, .weight_col = a.weight_col,
    };
    if ((rc = cv_train_source_load(&src, t, &ds, &sw, &err))) goto fail;
    double load_s = la_now() - t0;

    /* folds, with a warning for classes smaller than the number of folds */
    fold = la_malloc_array(ds.n, sizeof *fold);
    if (!fold) goto oom;
    size_t n_small = 0;
    if ((rc = cv_folds_stratified(ds.labels, ds.n, ds.k, (int)a.folds, (uint64_t)a.seed, fold, &n_small, &err)))
        goto fail;
    if (n_small) {
        size_t *cnt = la_calloc(ds.k, sizeof *cnt);
        if (!cnt) goto oom;
        for (size_t i = 0; i < ds.n; i++) cnt[ds.labels[i]]++;
        for (size_t c = 0; c < ds.k; c++) {
            if (cnt[c] == 0 || cnt[c] >= (size_t)a.folds) continue;
            if (cnt[c] == 1)
                cli_warn("class '%s' has 1 example, fewer than %ld folds: it is predicted by a model "
                         "that never saw the class", ds.class_names[c], a.folds);
            else
                cli_warn("class '%s' has %zu examples, fewer than %ld folds: each is held out in a "
                         "different fold, and %ld folds hold none of it", ds.class_names[c], cnt[c],
                         a.folds, a.folds - (long)cnt[c]);
        }
        free(cnt);
    }

    probs = la_malloc_array(ds.n * ds.k, sizeof *probs);
    info = la_calloc((size_t)a.folds, sizeof *info);
    if (!probs || !info) goto oom;
    if (t->model == CV_MODEL_MLP) {
        size_t cap = (size_t)t->epochs;
        curves = la_calloc((size_t)a.folds, sizeof *curves);
        curve_mem = la_malloc_array((size_t)a.folds * 5 * cap, sizeof *curve_mem);
        if (!curves || !curve_mem) goto oom;
        for (long f = 0; f < a.folds; f++) {
            float *p = curve_mem + (size_t)f * 5 * cap;
            curves[f].cap = cap;
            curves[f].train_acc = p; curves[f].train_loss = p + cap; curves[f].val_acc = p + 2 * cap;
            curves[f].val_loss = p + 3 * cap; curves[f].heldout_acc = p + 4 * cap;
        }
    }

    cli_info(a.quiet, "cv: %zu examples, %zu features, %zu classes, %ld folds, model %s, %ld threads\n",
             ds.n, ds.d, ds.k, a.folds, cv_model_name(t->model), a.threads);
    progress_ctx pc;
    la_progress_start(&pc.pg, "cv folds", a.folds, a.quiet);
    cv_run_opts ro = {
        .n_folds = (int)a.folds, .threads = (int)a.threads, .standardize = a.standardize,
        .onehot = ds.feature_onehot, .curves = curves, .on_fold = on_fold, .ctx = &pc,
        .coteach = a.train.coteach ? &a.train.co : NULL,
    };
    double t1 = la_now();
    rc = cv_run(t, &ro, ds.features, ds.n, ds.d, ds.labels, sw, ds.k, fold, probs, info, &err);
    la_progress_finish(&pc.pg);
    if (rc) goto fail;
    double train_s = la_now() - t1;

    /* metrics, pooled and per fold */
    if ((rc = mt_json_with_folds(ds.labels, probs, ds.n, ds.k, fold, (size_t)a.folds,
                                 ds.class_names, &doc, &err)))
        goto fail;
    json_t *jf = json_object_get(doc, "folds");
    for (long f = 0; f < a.folds; f++) {
        json_t *o = json_array_get(jf, (size_t)f);
        if (!o) continue;
        json_object_set_new(o, "n_train", json_integer((json_int_t)info[f].n_train));
        json_object_set_new(o, "n_test", json_integer((json_int_t)info[f].n_test));
        json_object_set_new(o, "iterations", json_integer(info[f].iters));
        json_object_set_new(o, "seconds", json_real(info[f].seconds));
        if (t->model != CV_MODEL_KNN) json_object_set_new(o, "l2", json_real(info[f].l2));
        if (curves) json_object_set_new(o, "curve", curve_json(&curves[f]));
    }
    json_object_set_new(doc, "model", json_string(cv_model_name(t->model)));
    json_object_set_new(doc, "loss", json_string(cv_loss_name(t->loss)));
    json_object_set_new(doc, "variant", json_string(a.train.coteach ? "coteach" : "plain"));
    if (a.train.coteach) {
        json_object_set_new(doc, "forget_rate", json_real(a.train.co.forget_rate));
        json_object_set_new(doc, "forget_epochs", json_integer(a.train.co.forget_epochs));
    }
    json_object_set_new(doc, "n", json_integer((json_int_t)ds.n));
    json_object_set_new(doc, "k", json_integer((json_int_t)ds.k));
    json_object_set_new(doc, "n_folds", json_integer(a.folds));
    json_object_set_new(doc, "seed", json_integer(a.seed));
    json_object_set_new(doc, "threads", json_integer(a.threads));
    json_object_set_new(doc, "seconds", json_real(train_s));
    json_object_set_new(doc, "load_seconds", json_real(load_s));

    /* outputs: beside --out */
    char dir[4096], path[4200];
    dir_of(a.out, dir, sizeof dir);
    if ((rc = la_mkdir_p(dir, &err))) goto fail;
    snprintf(path, sizeof path, "%s/folds.csv", dir);
    if ((rc = write_folds_csv(path, &ds, fold, &err))) goto fail;
    lab64 = la_malloc_array(ds.n, sizeof *lab64);
    if (!lab64) goto oom;
    for (size_t i = 0; i < ds.n; i++) lab64[i] = ds.labels[i];
    char labels_path[4200];
    snprintf(labels_path, sizeof labels_path, "%s/labels.npy", dir);
    if ((rc = io_npy_save_i64(labels_path, lab64, ds.n, &err))) goto fail;
    if ((rc = io_npy_save_f64(a.out, probs, ds.n, ds.k, &err))) goto fail;
    json_object_set_new(doc, "peak_rss_mb", json_real(peak_rss_mb()));
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    if ((rc = cv_write_json(path, doc, &err))) goto fail;

    if (a.json) {
        char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (s) { puts(s); free(s); }
    } else {
        printf("fold  n_train  n_test  iters  seconds  accuracy  log_loss\n");
        for (long f = 0; f < a.folds; f++) {
            json_t *o = json_array_get(jf, (size_t)f);
            printf("%4ld  %7zu  %6zu  %5d  %7.2f  %8.4f  %8.4f\n", f, info[f].n_train, info[f].n_test,
                   info[f].iters, info[f].seconds,
                   json_real_value(json_object_get(o, "accuracy")),
                   json_real_value(json_object_get(o, "log_loss")));
        }
        printf("all   accuracy %.4f  balanced_accuracy %.4f  macro_f1 %.4f  log_loss %.4f\n",
               json_real_value(json_object_get(doc, "accuracy")),
               json_real_value(json_object_get(doc, "balanced_accuracy")),
               json_real_value(json_object_get(doc, "macro_f1")),
               json_real_value(json_object_get(doc, "log_loss")));
        printf("time  %.2f s training, %.2f s loading; peak RSS %.0f MB\n", train_s, load_s, peak_rss_mb());
        printf("wrote %s, %s/labels.npy, %s/folds.csv, %s/metrics.json\n", a.out, dir, dir, dir);
    }
    fflush(stdout);

    if (a.audit) {
        rc = run_audit(&a, labels_path, &ds, probs);
        if (rc) goto done;
        if (a.db) {
            json_text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10));
            if (!json_text) goto oom;
            if ((rc = record_metrics(a.db, json_text, &err))) goto fail;
        }
    }
    rc = 0;
    goto done;
oom:
    rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    rc = cli_report(&err);
done:
    free(json_text);
    json_decref(doc);
    free(fold); free(sw); free(probs); free(lab64); free(info); free(curves); free(curve_mem);
    io_dataset_free(&ds);
    return rc;
}
