/*
 * cmd_retrain.c — `labelaudit retrain`: the final model on the whole
 * (cleaned) training set, evaluated on a held-out test set. Writes
 * DIR/metrics.json (cv's schema via mt_* plus the learning curves),
 * DIR/test_pred_probs.npy, DIR/test_labels.npy and DIR/classes.txt, and with
 * --db attaches the metrics to an audit run (kind 'retrain').
 * The command layer: loads, checks that the test set matches, prints.
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "../io/npy.h"
#include "cmd_common.h"
#include "../cv/inputs.h"
#include "../metrics/metrics.h"
#include "train_opts.h"
#include "../cv/retrain.h"

static const char usage[] =
    "usage: labelaudit retrain --data DATASET [loader options] [--labels FILE] --test TESTSET\n"
    "           [--test-labels FILE] --out DIR [model, loss and sampling options]\n"
    "           [--coteach [--forget-rate R] [--forget-epochs E] | --decouple]\n"
    "           [--db FILE [--run N]]\n"
    "\n"
    "Trains the final model on the whole (cleaned) training set and evaluates it\n"
    "on a held-out test set. Preprocessing is fitted on the training rows only.\n"
    "Writes DIR/metrics.json (the schema of cv's, with the learning curves),\n"
    "DIR/test_pred_probs.npy (N_test x K float64), DIR/test_labels.npy (int64) and\n"
    "DIR/classes.txt, so `labelaudit metrics --labels DIR/test_labels.npy\n"
    "--pred-probs DIR/test_pred_probs.npy --classes DIR/classes.txt` works on them.\n"
    "\n"
    "  --data PATH              training set (any loader format)\n"
    "  --labels FILE            training labels instead of the dataset's own\n"
    "  --weights FILE           per-example training weights (CSV weight[,id] or .npy)\n"
    "  --test PATH              held-out test set (any loader format; the loader options\n"
    "                           apply to it too): same feature columns, and every class\n"
    "                           of it must be a training class\n"
    "  --test-labels FILE       test labels: for a .npy test set its --npy-labels,\n"
    "                           otherwise labels instead of the test set's own\n"
    "  --out DIR                output directory (created if needed)\n"
    "  --seed S                 seed of initialization and sampling (0)\n"
    "  --threads N              BLAS threads (default: CPUs)\n"
    "  --no-standardize         do not standardize features\n"
    "  --decouple               decoupled rebalancing (mlp): train on the natural class\n"
    "                           distribution, then refit only the output layer with\n"
    "                           class-balanced sampling (--sampler oversample, the\n"
    "                           default, or undersample)\n"
    "  --db FILE                record the test metrics in FILE (kind 'retrain')\n"
    "  --run N                  attach them to audit run N (default: the latest)\n"
    "  --format text|json       summary on stdout (text)\n"
    "  --quiet                  no information on stderr\n"
    "  --help                   this help\n"
    "\n";

enum { O_DATA = 1, O_LABELS, O_WEIGHTS, O_TEST, O_TEST_LABELS, O_OUT, O_SEED, O_THREADS, O_NOSTD,
       O_DECOUPLE, O_DB, O_RUN, O_FORMAT, O_QUIET, O_HELP };

static const struct option own_options[] = {
    {"data", required_argument, NULL, O_DATA},
    {"labels", required_argument, NULL, O_LABELS},
    {"weights", required_argument, NULL, O_WEIGHTS},
    {"test", required_argument, NULL, O_TEST},
    {"test-labels", required_argument, NULL, O_TEST_LABELS},
    {"out", required_argument, NULL, O_OUT},
    {"seed", required_argument, NULL, O_SEED},
    {"threads", required_argument, NULL, O_THREADS},
    {"no-standardize", no_argument, NULL, O_NOSTD},
    {"decouple", no_argument, NULL, O_DECOUPLE},
    {"db", required_argument, NULL, O_DB},
    {"run", required_argument, NULL, O_RUN},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
};
#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct retrain_args {
    const char *data, *labels, *weights, *test, *test_labels, *out, *db;
    long seed, threads, run;
    int standardize, decouple, json, quiet;
    io_load_opts load;
    cli_train_opts train;
} retrain_args;

static int own_option(void *ctx, int c, const char *arg)
{
    retrain_args *a = ctx;
    switch (c) {
    case O_DATA: a->data = arg; break;
    case O_LABELS: a->labels = arg; break;
    case O_WEIGHTS: a->weights = arg; break;
    case O_TEST: a->test = arg; break;
    case O_TEST_LABELS: a->test_labels = arg; break;
    case O_OUT: a->out = arg; break;
    case O_SEED: if (cli_parse_long("retrain", "--seed", arg, 0, 2147483647L, &a->seed)) return LA_EUSAGE; break;
    case O_THREADS: if (cli_parse_long("retrain", "--threads", arg, 1, 64, &a->threads)) return LA_EUSAGE; break;
    case O_NOSTD: a->standardize = 0; break;
    case O_DECOUPLE: a->decouple = 1; break;
    case O_DB: a->db = arg; break;
    case O_RUN: if (cli_parse_long("retrain", "--run", arg, 1, LONG_MAX, &a->run)) return LA_EUSAGE; break;
    default: return cli_usage_error("retrain", "unknown option");
    }
    return 0;
}

static int parse_args(int argc, char **argv, retrain_args *a, int *help)
{
    cli_cmd_parser p = {
        .cmd = "retrain", .own = own_options, .n_own = N_OWN, .load = &a->load, .train = &a->train,
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a,
    };
    int rc = cli_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->data) return cli_usage_error("retrain", "--data DATASET is required");
    if (!a->test) return cli_usage_error("retrain", "--test TESTSET is required");
    if (!a->out) return cli_usage_error("retrain", "--out DIR is required");
    if (a->run && !a->db) return cli_usage_error("retrain", "--run needs --db FILE");
    if (a->train.coteach && a->decouple) return cli_usage_error("retrain", "--coteach and --decouple do not combine");
    if (a->decouple && a->train.train.model != CV_MODEL_MLP)
        return cli_usage_error("retrain", "--decouple trains an mlp: add --model mlp");
    return cli_train_opts_check(&a->train, a->weights != NULL, "retrain");
}

/* The test set must carry the training set's features, column for column. */
static int check_features(const la_dataset *tr, const la_dataset *te, la_error *err)
{
    if (!te->features || te->d == 0)
        return la_error_set(err, LA_EUSAGE, te->path, 0, "the test set has no feature columns");
    if (te->d != tr->d)
        return la_error_set(err, LA_EUSAGE, te->path, 0,
                            "the test set has %zu features, the training set %zu: they must match",
                            te->d, tr->d);
    if (tr->feature_names && te->feature_names)
        for (size_t j = 0; j < tr->d; j++)
            if (tr->feature_names[j] && te->feature_names[j] && strcmp(tr->feature_names[j], te->feature_names[j]))
                return la_error_setc(err, LA_EUSAGE, te->path, 1, te->feature_names[j],
                                     "feature %zu is '%.200s' in the test set but '%.200s' in the training set "
                                     "(same columns, same categories needed)", j + 1, te->feature_names[j],
                                     tr->feature_names[j]);
    return 0;
}

/* Test labels as training class indices, by class name. */
static int map_test_labels(const la_dataset *tr, const la_dataset *te, int32_t *out, la_error *err)
{
    int32_t *map = la_malloc_array(te->k + 1, sizeof *map);
    if (!map) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t c = 0; c < te->k; c++) {
        map[c] = -1;
        for (size_t j = 0; j < tr->k; j++)
            if (!strcmp(te->class_names[c], tr->class_names[j])) map[c] = (int32_t)j;
    }
    int rc = 0;
    for (size_t i = 0; i < te->n && !rc; i++) {
        int32_t c = map[te->labels[i]];
        if (c < 0)
            rc = la_error_set(err, LA_EUSAGE, te->path, 0,
                              "test example '%.200s' has class '%.200s', which the training set does not have "
                              "(the class lists must match)", te->ids ? te->ids[i] : "?",
                              te->class_names[te->labels[i]]);
        out[i] = c;
    }
    free(map);
    return rc;
}

static json_t *farr(const float *v, size_t n)
{
    json_t *a = json_array();
    for (size_t e = 0; e < n; e++)
        json_array_append_new(a, v && isfinite(v[e]) ? json_real(v[e]) : json_null());
    return a;
}

/* curves: per-epoch arrays (index = epoch - 1), null where not measured */
static json_t *curves_json(const cv_curve *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "epochs", json_integer((json_int_t)c->n));
    json_object_set_new(o, "train_accuracy", farr(c->train_acc, c->n));
    json_object_set_new(o, "train_loss", farr(c->train_loss, c->n));
    json_object_set_new(o, "val_accuracy", farr(c->val_acc, c->n));
    json_object_set_new(o, "val_loss", farr(c->val_loss, c->n));
    json_object_set_new(o, "heldout_accuracy", farr(c->heldout_acc, c->n));
    json_object_set_new(o, "best_epoch", json_integer(c->best));
    json_object_set_new(o, "early_stopping_epoch", c->best >= 0 ? json_integer(c->best + 1) : json_null());
    return o;
}

static int record(const retrain_args *a, const char *json_text, int64_t *run_out, la_error *err)
{
    sqlite3 *db = NULL;
    int64_t run = a->run;
    int rc = db_open(a->db, &db, err);
    if (!rc && !run) rc = db_latest_audit_run(db, &run, err);
    if (!rc) {
        db_run_brief b;
        memset(&b, 0, sizeof b);
        rc = db_load_run_brief(db, run, &b, err);
        db_run_brief_free(&b);
    }
    if (!rc) rc = db_record_metrics(db, run, "retrain", json_text, err);
    db_close(db);
    *run_out = run;
    return rc;
}

int cmd_retrain(int argc, char **argv)
{
    retrain_args a;
    memset(&a, 0, sizeof a);
    a.standardize = 1;
    a.threads = la_num_cpus();
    io_load_opts_init(&a.load);
    cli_train_opts_init(&a.train);
    int help = 0, rc = parse_args(argc, argv, &a, &help);
    if (rc || help) {
        if (help) printf("%s%s\n%s", usage, cli_train_opts_help, io_load_opts_help);
        return rc;
    }

    la_error err;
    la_error_clear(&err);
    la_dataset tr, te;
    memset(&tr, 0, sizeof tr);
    memset(&te, 0, sizeof te);
    float *sw = NULL, *curve_mem = NULL;
    int32_t *yte = NULL;
    int64_t *lab64 = NULL;
    double *probs = NULL;
    json_t *doc = NULL;
    char *json_text = NULL;
    mt_metrics mt;
    memset(&mt, 0, sizeof mt);
    cv_curve curve;
    memset(&curve, 0, sizeof curve);
    curve.best = -1;

    cv_train_opts *t = &a.train.train;
    t->seed = (uint64_t)a.seed;
    t->threads = (int)a.threads;
    double t0 = la_now();
    cli_train_source src = {.data = a.data, .load = &a.load, .labels = a.labels, .weights = a.weights};
    if ((rc = cli_train_source_load(&src, t, &tr, &sw, &err))) goto fail;

    /* the test set: same loader options, its own labels file */
    io_load_opts tl = a.load;
    tl.idx_labels = NULL;
    tl.npy_labels = NULL;
    {
        io_format f = tl.format;
        size_t len = strlen(a.test);
        int is_npy = f == IO_FORMAT_NPY || (f == IO_FORMAT_AUTO && len > 4 && !strcmp(a.test + len - 4, ".npy"));
        if (is_npy) tl.npy_labels = a.test_labels;
        if ((rc = io_dataset_load(a.test, &tl, &te, &err))) goto fail;
        if (!is_npy && a.test_labels &&
            (rc = cv_inputs_labels(a.test_labels, te.ids, te.n, te.class_names, te.k, te.labels, &err)))
            goto fail;
    }
    if ((rc = check_features(&tr, &te, &err))) goto fail;
    if (!(yte = la_malloc_array(te.n + 1, sizeof *yte))) goto oom;
    if ((rc = map_test_labels(&tr, &te, yte, &err))) goto fail;
    double load_s = la_now() - t0;

    if (t->model != CV_MODEL_KNN) {
        size_t cap = t->model == CV_MODEL_MLP ? (size_t)t->epochs : (size_t)t->max_iter + 2;
        if (!(curve_mem = la_malloc_array(5 * cap, sizeof *curve_mem))) goto oom;
        curve.cap = cap;
        curve.train_acc = curve_mem; curve.train_loss = curve_mem + cap; curve.val_acc = curve_mem + 2 * cap;
        curve.val_loss = curve_mem + 3 * cap; curve.heldout_acc = curve_mem + 4 * cap;
        for (size_t j = 0; j < 5 * cap; j++) curve_mem[j] = NAN;
    }
    if (!(probs = la_malloc_array(te.n * tr.k + 1, sizeof *probs))) goto oom;

    cv_retrain_opts ro;
    memset(&ro, 0, sizeof ro);
    ro.train = *t;
    ro.standardize = a.standardize;
    ro.onehot = tr.feature_onehot;
    ro.coteach = a.train.coteach;
    ro.co = a.train.co;
    ro.decouple = a.decouple;
    const char *variant = a.train.coteach ? "coteach" : a.decouple ? "decouple" : "plain";
    cli_info(a.quiet, "retrain: %zu training examples, %zu test, %zu features, %zu classes, model %s (%s)\n",
             tr.n, te.n, tr.d, tr.k, cv_model_name(t->model), variant);
    int iters = 0;
    double t1 = la_now();
    /* held-out curve (mlp epochs; not per L-BFGS iteration, too costly): the
     * test labels never touch the fit */
    if ((rc = cv_retrain_run(&ro, tr.features, tr.n, tr.d, tr.labels, sw, tr.k, te.features, te.n,
                     t->model == CV_MODEL_MLP ? yte : NULL, probs, curve.cap ? &curve : NULL, &iters, &err)))
        goto fail;
    double train_s = la_now() - t1;

    if ((rc = mt_compute(yte, probs, te.n, tr.k, &mt, &err))) goto fail;
    if (!(doc = mt_to_json(&mt, NULL, 0, tr.class_names))) goto oom;
    const char *sampler = t->sampler == CV_SAMPLER_OVERSAMPLE ? "oversample"
                        : t->sampler == CV_SAMPLER_UNDERSAMPLE ? "undersample" : "none";
    json_object_set_new(doc, "kind", json_string("retrain"));
    json_object_set_new(doc, "model", json_string(cv_model_name(t->model)));
    json_object_set_new(doc, "loss", json_string(cv_loss_name(t->loss)));
    json_object_set_new(doc, "sampler", json_string(sampler));
    json_object_set_new(doc, "variant", json_string(variant));
    if (a.train.coteach) {
        json_object_set_new(doc, "forget_rate", json_real(a.train.co.forget_rate));
        json_object_set_new(doc, "forget_epochs", json_integer(a.train.co.forget_epochs));
    }
    json_object_set_new(doc, "train_data", json_string(a.data));
    json_object_set_new(doc, "test_data", json_string(a.test));
    json_object_set_new(doc, "n_train", json_integer((json_int_t)tr.n));
    json_object_set_new(doc, "n_test", json_integer((json_int_t)te.n));
    json_object_set_new(doc, "n", json_integer((json_int_t)te.n));
    json_object_set_new(doc, "k", json_integer((json_int_t)tr.k));
    json_object_set_new(doc, "seed", json_integer(a.seed));
    json_object_set_new(doc, "threads", json_integer(a.threads));
    json_object_set_new(doc, "iterations", json_integer(iters));
    json_object_set_new(doc, "seconds", json_real(train_s));
    json_object_set_new(doc, "load_seconds", json_real(load_s));
    if (curve.cap) json_object_set_new(doc, "curves", curves_json(&curve));

    char path[PATH_MAX];
    if ((rc = la_mkdir_p(a.out, &err))) goto fail;
    if (!(lab64 = la_malloc_array(te.n + 1, sizeof *lab64))) goto oom;
    for (size_t i = 0; i < te.n; i++) lab64[i] = yte[i];
    snprintf(path, sizeof path, "%s/test_pred_probs.npy", a.out);
    if ((rc = io_npy_save_f64(path, probs, te.n, tr.k, &err))) goto fail;
    snprintf(path, sizeof path, "%s/test_labels.npy", a.out);
    if ((rc = io_npy_save_i64(path, lab64, te.n, &err))) goto fail;
    snprintf(path, sizeof path, "%s/classes.txt", a.out);
    if ((rc = cv_write_class_names(path, &tr, &err))) goto fail;
    snprintf(path, sizeof path, "%s/metrics.json", a.out);
    if ((rc = cv_write_json(path, doc, &err))) goto fail;

    int64_t run = 0;
    if (a.db) {
        if (!(json_text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(10)))) goto oom;
        if ((rc = record(&a, json_text, &run, &err))) goto fail;
    }
    if (a.json) {
        char *s = json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        if (s) { puts(s); free(s); }
    } else {
        printf("class%*s  support  precision  recall     f1  pr_auc\n", 15, "");
        for (size_t c = 0; c < tr.k; c++) {
            const mt_class *pc = &mt.per_class[c];
            printf("%-20.20s  %7lld  %9.4f  %6.4f  %5.4f  %6.4f\n", tr.class_names[c], (long long)pc->support,
                   pc->precision, pc->recall, pc->f1, pc->pr_auc);
        }
        printf("test  accuracy %.4f  balanced_accuracy %.4f  macro_f1 %.4f  log_loss %.4f\n",
               mt.accuracy, mt.balanced_accuracy, mt.macro_f1, mt.log_loss);
        if (curve.cap && curve.n && curve.best >= 0)
            printf("curve %zu epochs; weights kept from epoch %d (early stopping)\n", curve.n, curve.best + 1);
        else if (curve.cap && curve.n)
            printf("curve %zu %s; no early stopping\n", curve.n, t->model == CV_MODEL_MLP ? "epochs" : "iterations");
        printf("time  %.2f s training, %.2f s loading\n", train_s, load_s);
        printf("wrote %s/metrics.json, %s/test_pred_probs.npy, %s/test_labels.npy\n", a.out, a.out, a.out);
        if (a.db) printf("recorded in %s (run %lld, kind retrain)\n", a.db, (long long)run);
    }
    rc = 0;
    goto done;
oom:
    rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    rc = cli_report(&err);
done:
    mt_metrics_free(&mt);
    free(json_text);
    json_decref(doc);
    free(sw); free(curve_mem); free(yte); free(lab64); free(probs);
    io_dataset_free(&tr);
    io_dataset_free(&te);
    return rc;
}
