/*
 * cmd_cv.c — `labelaudit cv`: k-fold out-of-fold probabilities for a dataset.
 * A thin shell: parses options, loads the training set (cmd_common), assigns
 * stratified seeded folds (warning about small classes), runs the cv stage
 * (cv/cv.h) and its writers (pred_probs.npy, labels.npy, folds.csv,
 * metrics.json), prints the summary; --audit then runs the audit stage on the
 * probabilities in memory (as `labelaudit audit` would on the files written).
 */
#include <jansson.h>
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
#include "../util/la_json.h"
#include "cmd_common.h"
#include "../cv/cv.h"
#include "../cv/folds.h"
#include "train_opts.h"
#include "audit_opts.h"

static const char usage[] =
    "usage: labelaudit cv --data DATASET [loader options] --out PRED_PROBS.npy|.csv\n"
    "           [--folds 5] [--seed S] [--threads N] [--model logreg|mlp|knn]\n"
    "           [model, loss and sampling options] [--coteach [--forget-rate R]\n"
    "           [--forget-epochs E]] [--audit DIR [audit options]] [--db FILE]\n"
    "\n"
    "Out-of-fold predicted probabilities by stratified k-fold cross-validation:\n"
    "each example is predicted by the one model that never saw it. Writes\n"
    "PRED_PROBS.npy (N x K float64; or PRED_PROBS.csv with the class names as\n"
    "header) and, beside it, labels.npy (the labels used, int64), folds.csv\n"
    "(id,fold), classes.txt (the class of each column, in order) and metrics.json.\n"
    "\n"
    "options:\n"
    "  --data PATH              dataset (CSV table, manifest, image folder, IDX, .npy)\n"
    "  --out FILE               where to write the probabilities (.npy or .csv)\n"
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
    "  --audit DIR              then run `labelaudit audit` on the result into DIR;\n"
    "                           audit's --filter-by, --rank-by, --frac-noise,\n"
    "                           --num-to-remove-per-class, --min-examples-per-class,\n"
    "                           --scores, --corrected, --bootstrap and --confidence\n"
    "                           apply to it (see `labelaudit audit --help`)\n"
    "  --db FILE                with --audit: record the run and these metrics in FILE\n"
    "  --embed-out FILE.npy     also write each row's last hidden layer (--model mlp)\n"
    "                           from the fold model that held it out, N x H float32\n"
    "                           (for `audit --features FILE.npy --issues outlier`)\n"
    "  --format text|json       summary on stdout (text)\n"
    "  --quiet                  no progress or information on stderr\n"
    "  --help                   this help\n"
    "\n";

enum { O_DATA = 1, O_OUT, O_LABELS, O_WEIGHTS, O_WCOL, O_FOLDS, O_SEED, O_THREADS, O_NOSTD, O_AUDIT,
       O_DB, O_FORMAT, O_QUIET, O_HELP, O_EMBED };

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
    {"embed-out", required_argument, NULL, O_EMBED},
    AU_STAGE_LONG_OPTIONS,
};

#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct cv_args {
    const char *data, *out, *labels, *weights, *weight_col, *audit, *db;
    const char *embed_out;            /* --embed-out FILE.npy, or NULL */
    long  folds, seed, threads;
    int   standardize, json, quiet;
    io_load_opts load;
    cli_train_opts train;
    au_opts audit_opts;               /* the audit stage's options (--audit) */
    const char *remove_arg;           /* --num-to-remove-per-class, parsed once K is known */
    int audit_opt_given;              /* an audit option was given */
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
    case O_EMBED:
        if (strlen(arg) < 5 || strcmp(arg + strlen(arg) - 4, ".npy"))
            return cli_usage_error("cv", "--embed-out must name a .npy file, got '%s'", arg);
        a->embed_out = arg;
        break;
    default: {
        int rc = au_opts_handle(&a->audit_opts, &a->remove_arg, c, arg, "cv");
        if (rc < 0) return cli_usage_error("cv", "unknown option");
        a->audit_opt_given = 1;
        return rc;
    }
    }
    return 0;
}

static int parse_args(int argc, char **argv, cv_args *a, int *help)
{
    cli_cmd_parser p = {
        .cmd = "cv", .own = own_options, .n_own = N_OWN, .load = &a->load, .train = &a->train,
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a,
    };
    int rc = cli_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->data) return cli_usage_error("cv", "--data DATASET is required");
    if (!a->out) return cli_usage_error("cv", "--out FILE is required");
    size_t olen = strlen(a->out);
    if (!cv_stage_out_is_csv(a->out) && !(olen >= 4 && !strcmp(a->out + olen - 4, ".npy")))
        return cli_usage_error("cv", "--out %s: the probabilities are written as .npy (float64) or .csv "
                               "(a class-name header): name the file *.npy or *.csv", a->out);
    if (a->weights && a->weight_col) return cli_usage_error("cv", "give --weights or --weight-col, not both");
    if (a->db && !a->audit) return cli_usage_error("cv", "--db records an audit run: give --audit DIR too");
    if (a->audit_opt_given && !a->audit)
        return cli_usage_error("cv", "audit options (--filter-by, --rank-by, ...) apply to --audit DIR: give it too");
    if (au_opts_check(&a->audit_opts, a->remove_arg, "cv")) return LA_EUSAGE;
    return cli_train_opts_check(&a->train, a->weights || a->weight_col, "cv");
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
 * float64), with the audit options given to cv. Returns the exit status (printed). */
static int run_audit(const cv_args *a, const char *labels_path, const la_dataset *ds, const double *probs)
{
    la_error err;
    la_error_clear(&err);
    au_input in = {
        .n = ds->n, .k = ds->k, .labels = ds->labels, .probs = probs, .class_names = ds->class_names,
        .ids = ds->ids, .image_paths = ds->image_paths, .probs_path = a->out, .labels_path = labels_path,
        .data_path = a->data, .load = &a->load,
    };
    au_opts o = a->audit_opts;
    o.keep_rank_scores = a->db != NULL;
    au_result res = {0};
    char **cls = NULL;
    int64_t *remove = NULL;
    double t0 = la_now();
    int rc = a->load.classes_file ? au_class_names_file(a->load.classes_file, ds->k, a->out, &cls, &err) : 0;
    if (cls) in.class_names = cls;
    if (!rc && a->remove_arg) rc = au_remove_parse(a->remove_arg, ds->k, &remove, &err);
    o.remove = remove;
    if (!rc) rc = au_run(&in, &o, a->audit, &res, &err);
    double t_run = la_now();
    if (!rc) rc = au_write(&res, &in, &o, a->audit, NULL, &err);
    if (!rc) au_cli_warn_skipped(&res, &o, a->out);
    if (!rc && a->db) rc = au_cli_record(a->db, &in, &o, &res, ds, a->quiet, &err);
    if (!rc) au_cli_print_summary(&res, &in, &o, a->audit, t0, t_run, a->quiet, 0);
    au_result_free(&res);
    free(remove);
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

/* Warns about classes with fewer examples than folds (each of their
 * examples is held out in a different fold). */
static int warn_small_classes(const la_dataset *ds, long folds)
{
    size_t *cnt = la_calloc(ds->k, sizeof *cnt);
    if (!cnt) return -1;
    for (size_t i = 0; i < ds->n; i++) cnt[ds->labels[i]]++;
    for (size_t c = 0; c < ds->k; c++) {
        if (cnt[c] == 0 || cnt[c] >= (size_t)folds) continue;
        if (cnt[c] == 1)
            cli_warn("class '%s' has 1 example, fewer than %ld folds: it is predicted by a model "
                     "that never saw the class", ds->class_names[c], folds);
        else
            cli_warn("class '%s' has %zu examples, fewer than %ld folds: each is held out in a "
                     "different fold, and %ld folds hold none of it", ds->class_names[c], cnt[c],
                     folds, folds - (long)cnt[c]);
    }
    free(cnt);
    return 0;
}

/* The per-fold table and the pooled line, or the document as JSON. */
static void print_result(const cv_args *a, const cv_stage_result *r, const json_t *doc, double load_s,
                         const char *dir)
{
    if (a->json) {
        la_json_print(doc, stdout, LA_JSON_READABLE);
        return;
    }
    if (a->quiet) return;   /* --quiet: nothing but errors (and JSON asked for) */
    printf("fold  n_train  n_test  iters  seconds  accuracy  log_loss\n");
    for (int f = 0; f < r->n_folds; f++) {
        const cv_fold_info *in = &r->info[f];
        printf("%4d  %7zu  %6zu  %5d  %7.2f  %8.4f  %8.4f\n", f, in->n_train, in->n_test,
               in->iters, in->seconds, r->fold_metrics[f].accuracy, r->fold_metrics[f].log_loss);
    }
    printf("all   accuracy %.4f  balanced_accuracy %.4f  macro_f1 %.4f  log_loss %.4f\n",
           r->pooled.accuracy, r->pooled.balanced_accuracy, r->pooled.macro_f1, r->pooled.log_loss);
    printf("time  %.2f s training, %.2f s loading; peak RSS %.0f MB\n", r->seconds, load_s, peak_rss_mb());
    printf("wrote %s, %s/labels.npy, %s/folds.csv, %s/classes.txt, %s/metrics.json\n", a->out, dir, dir, dir, dir);
}

/* "Without saying so": one line on stderr when --rebalance auto's choice on
 * some folds scores below plain in the inner comparison (metrics.json
 * records the folds as rebalance.below_plain_folds). */
static void note_below_plain(const cv_stage_result *r, const cv_stage_opts *o)
{
    char folds[512] = "";
    size_t len = 0;
    for (int f = 0; f < r->n_folds && len + 16 < sizeof folds; f++)
        if (cv_rebalance_below_plain(&r->info[f].rebalance))
            len += (size_t)snprintf(folds + len, sizeof folds - len, " %d", f);
    if (len)
        cli_warn("cv: --rebalance auto's choice scores below plain's inner %s on fold(s)%s "
                 "(metrics.json: rebalance.below_plain_folds)", cv_select_name(o->rebalance->select_by), folds);
    /* and each fold whose choice loses inner PR-AUC (rebalance.loses_pr_auc_folds) */
    for (int f = 0; f < r->n_folds; f++) {
        char where[32];
        snprintf(where, sizeof where, "cv: fold %d", f);
        cli_train_note_pr_auc_loss(where, &r->info[f].rebalance, o->rebalance);
    }
}

/* Load, folds, the cv stage, its outputs and the summary; *doc receives the
 * metrics document, labels_path where labels.npy went. */
static int run_cv(cv_args *a, la_dataset *ds, cv_stage_result *res, json_t **doc, char *labels_path,
                  size_t lpsz, la_error *err)
{
    float *sw = NULL;
    int32_t *fold = NULL;
    int rc;
    cv_train_opts *t = &a->train.train;
    t->seed = (uint64_t)a->seed;
    double t0 = la_now();
    cli_train_source src = {
        .data = a->data, .load = &a->load, .labels = a->labels, .weights = a->weights, .weight_col = a->weight_col,
    };
    rc = cli_train_source_load(&src, t, ds, &sw, err);
    cli_print_warnings(ds->warnings, ds->n_warnings);
    if (rc) goto done;
    double load_s = la_now() - t0;

    /* folds, with a warning for classes smaller than the number of folds */
    size_t n_small = 0;
    if (!(fold = la_malloc_array(ds->n ? ds->n : 1, sizeof *fold))) goto oom;
    if ((rc = cv_folds_stratified(ds->labels, ds->n, ds->k, (int)a->folds, (uint64_t)a->seed, fold, &n_small, err)))
        goto done;
    if (n_small && warn_small_classes(ds, a->folds)) goto oom;

    cli_info(a->quiet, "cv: %zu examples, %zu features, %zu classes, %ld folds, model %s, %ld threads\n",
             ds->n, ds->d, ds->k, a->folds, cv_model_name(t->model), a->threads);
    progress_ctx pc;
    la_progress_start(&pc.pg, "cv folds", a->folds, a->quiet);
    cv_stage_opts so = {
        .train = *t, .n_folds = (int)a->folds, .seed = (uint64_t)a->seed, .threads = (int)a->threads,
        .standardize = a->standardize, .folds = fold, .coteach = a->train.coteach ? &a->train.co : NULL,
        .decouple = a->train.decouple, .rebalance = cli_train_rebalance(&a->train), .on_fold = on_fold, .ctx = &pc,
        .coll = la_coll_world(),   /* labelaudit-mpi: folds over the ranks */
        .embed = a->embed_out != NULL,
    };
    rc = cv_stage(ds, sw, &so, res, err);
    la_progress_finish(&pc.pg);
    if (rc || la_coll_rank(so.coll) != 0) goto done;   /* rank 0 writes and prints */

    if (so.rebalance) note_below_plain(res, &so);
    if (!(*doc = cv_stage_metrics_json(res, &so, ds->class_names))) goto oom;
    json_object_set_new(*doc, "load_seconds", json_real(load_s));
    json_object_set_new(*doc, "peak_rss_mb", json_real(peak_rss_mb()));
    char dir[4096];
    cv_stage_dir(a->out, dir, sizeof dir);
    snprintf(labels_path, lpsz, "%s/labels.npy", dir);
    if ((rc = cv_stage_write(res, ds, *doc, a->out, err))) goto done;
    if (a->embed_out && (rc = io_npy_save_f32(a->embed_out, res->embed, res->n, res->embed_dim, err))) goto done;
    print_result(a, res, *doc, load_s, dir);
    if (a->embed_out && !a->json && !a->quiet)
        printf("wrote %s (%zu x %zu float32, the out-of-fold hidden layer)\n", a->embed_out, res->n, res->embed_dim);
    fflush(stdout);
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    free(sw);
    free(fold);
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
    cli_train_opts_init(&a.train);
    au_opts_init(&a.audit_opts);
    int help = 0, rc = parse_args(argc, argv, &a, &help);
    if (rc || help) {
        if (help) printf("%s%s\n%s", usage, cli_train_opts_help, io_load_opts_help);
        return rc;
    }

    la_error err;
    la_error_clear(&err);
    la_dataset ds;
    memset(&ds, 0, sizeof ds);
    cv_stage_result res;
    memset(&res, 0, sizeof res);
    json_t *doc = NULL;
    char *json_text = NULL;
    char labels_path[4200];
    if ((rc = run_cv(&a, &ds, &res, &doc, labels_path, sizeof labels_path, &err))) goto fail;

    if (la_coll_rank(la_coll_world()) != 0) goto done;
    if (a.audit) {
        rc = run_audit(&a, labels_path, &ds, res.probs);
        if (rc) goto done;
        if (a.db) {
            json_text = la_json_text(doc, LA_JSON_LINE_READABLE);
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
    cv_stage_result_free(&res);
    io_dataset_free(&ds);
    return rc;
}
