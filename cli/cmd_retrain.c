/*
 * cmd_retrain.c — `labelaudit retrain`: the final model on the whole
 * (cleaned) training set, evaluated on a held-out test set. Writes
 * DIR/metrics.json (cv's schema via mt_* plus the learning curves),
 * DIR/test_pred_probs.npy, DIR/test_labels.npy and DIR/classes.txt, and with
 * --db attaches the metrics to an audit run (kind 'retrain').
 * A thin shell: loads both sets, checks that the test set matches, runs the
 * retrain stage (cv/retrain.h) and its writers, records, prints.
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "../util/la_json.h"
#include "cmd_common.h"
#include "../cv/inputs.h"
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
    "  --threshold FILE         predict the test set with the operating point of FILE\n"
    "                           (`metrics --threshold-out`): its class when its probability\n"
    "                           >= the threshold, else the most probable other class\n"
    "  --db FILE                record the test metrics in FILE (kind 'retrain'); the\n"
    "                           loader options the audit run recorded (--label-col,\n"
    "                           --id-col, --features, --classes) apply unless given\n"
    "  --run N                  attach them to audit run N (default: the latest)\n"
    "  --format text|json       summary on stdout (text)\n"
    "  --quiet                  no information on stderr\n"
    "  --help                   this help\n"
    "\n";

enum { O_DATA = 1, O_LABELS, O_WEIGHTS, O_TEST, O_TEST_LABELS, O_OUT, O_SEED, O_THREADS, O_NOSTD,
       O_DB, O_RUN, O_FORMAT, O_QUIET, O_HELP, O_THRESHOLD };

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
    {"db", required_argument, NULL, O_DB},
    {"run", required_argument, NULL, O_RUN},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
    {"threshold", required_argument, NULL, O_THRESHOLD},
};
#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct retrain_args {
    const char *data, *labels, *weights, *test, *test_labels, *out, *db, *threshold;
    long seed, threads, run;
    int standardize, json, quiet;
    io_load_opts load;
    unsigned load_given;         /* loader options on the command line      */
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
    case O_THRESHOLD: a->threshold = arg; break;
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
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a, .load_given = &a->load_given,
    };
    int rc = cli_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->data) return cli_usage_error("retrain", "--data DATASET is required");
    if (!a->test) return cli_usage_error("retrain", "--test TESTSET is required");
    if (!a->out) return cli_usage_error("retrain", "--out DIR is required");
    if (a->run && !a->db) return cli_usage_error("retrain", "--run needs --db FILE");
    return cli_train_opts_check(&a->train, a->weights != NULL, "retrain");
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

/* --db: the audit run (--run, else the latest) whose recorded loader options
 * complete the command line's (cli_load_opts_reuse: columns and classes,
 * not the original dataset's own files); a->run is set to it. */
static int reuse_run_options(retrain_args *a, io_load_opts_strings *st, la_error *err)
{
    sqlite3 *db = NULL;
    int64_t run = a->run;
    db_run_brief b;
    memset(&b, 0, sizeof b);
    int rc = db_open(a->db, &db, err);
    if (!rc && !run) rc = db_latest_audit_run(db, &run, err);
    if (!rc) rc = db_load_run_brief(db, run, &b, err);
    if (!rc) rc = cli_load_opts_reuse(&a->load, a->load_given, b.summary_json, 0, st, err);
    db_run_brief_free(&b);
    if (db) db_close(db);
    a->run = (long)run;
    return rc;
}

/* The test set: the training loader options, its own labels file
 * (--test-labels: --npy-labels for a .npy test set, else replacing its labels). */
static int load_test(const retrain_args *a, la_dataset *te, la_error *err)
{
    io_load_opts tl = a->load;
    tl.idx_labels = NULL;
    tl.npy_labels = NULL;
    io_format f = tl.format;
    size_t len = strlen(a->test);
    int is_npy = f == IO_FORMAT_NPY || (f == IO_FORMAT_AUTO && len > 4 && !strcmp(a->test + len - 4, ".npy"));
    if (is_npy) tl.npy_labels = a->test_labels;
    int rc = io_dataset_load(a->test, &tl, te, err);
    if (!rc && !is_npy && a->test_labels)
        rc = cv_inputs_dataset_labels(a->test_labels, te, err);
    return rc;
}

/* The per-class table and the test line, or the document as JSON. */
static void print_result(const retrain_args *a, const la_dataset *tr, const cv_retrain_result *r,
                         const json_t *doc, double load_s, int64_t run)
{
    if (a->json) {
        la_json_print(doc, stdout, LA_JSON_READABLE);
        return;
    }
    if (a->quiet) return;   /* --quiet: nothing but errors (and JSON asked for) */
    const mt_metrics *mt = &r->metrics;
    const cv_curve *c = &r->curve;
    printf("class%*s  support  precision  recall     f1  pr_auc\n", 15, "");
    for (size_t k = 0; k < tr->k; k++) {
        const mt_class *pc = &mt->per_class[k];
        cli_pad(stdout, tr->class_names[k], 20, 0);
        printf("  %7lld  %9.4f  %6.4f  %5.4f  %6.4f\n", (long long)pc->support,
               pc->precision, pc->recall, pc->f1, pc->pr_auc);
    }
    printf("test  accuracy %.4f  balanced_accuracy %.4f  macro_f1 %.4f  log_loss %.4f\n",
           mt->accuracy, mt->balanced_accuracy, mt->macro_f1, mt->log_loss);
    if (c->cap && c->n && c->best >= 0)
        printf("curve %zu epochs; weights kept from epoch %d (early stopping)\n", c->n, c->best + 1);
    else if (c->cap && c->n)
        printf("curve %zu %s; no early stopping\n", c->n, a->train.train.model == CV_MODEL_MLP ? "epochs" : "iterations");
    printf("time  %.2f s training, %.2f s loading\n", r->seconds, load_s);
    printf("wrote %s/metrics.json, %s/test_pred_probs.npy, %s/test_labels.npy\n", a->out, a->out, a->out);
    if (a->db) printf("recorded in %s (run %lld, kind retrain)\n", a->db, (long long)run);
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
    float *sw = NULL;
    int32_t *yte = NULL;
    json_t *doc = NULL;
    char *json_text = NULL;
    cv_retrain_result res;
    memset(&res, 0, sizeof res);

    cv_train_opts *t = &a.train.train;
    t->seed = (uint64_t)a.seed;
    t->threads = (int)a.threads;
    io_load_opts_strings st;
    memset(&st, 0, sizeof st);
    double t0 = la_now();
    if (a.db && (rc = reuse_run_options(&a, &st, &err))) goto fail;
    cli_train_source src = {.data = a.data, .load = &a.load, .labels = a.labels, .weights = a.weights};
    rc = cli_train_source_load(&src, t, &tr, &sw, &err);
    cli_print_warnings(tr.warnings, tr.n_warnings);
    if (rc) goto fail;
    rc = load_test(&a, &te, &err);
    cli_print_warnings(te.warnings, te.n_warnings);
    if (rc) goto fail;
    if (!(yte = la_malloc_array(te.n + 1, sizeof *yte))) goto oom;
    if ((rc = cv_retrain_check_test(&tr, &te, yte, &err))) goto fail;
    double load_s = la_now() - t0;

    cv_retrain_opts ro = {.train = *t, .standardize = a.standardize, .coteach = a.train.coteach,
                          .co = a.train.co, .decouple = a.train.decouple, .rebalance = cli_train_rebalance(&a.train),
                          .threshold_file = a.threshold};
    cli_info(a.quiet, "retrain: %zu training examples, %zu test, %zu features, %zu classes, model %s (%s)\n",
             tr.n, te.n, tr.d, tr.k, cv_model_name(t->model), cv_retrain_variant(&ro));
    if ((rc = cv_retrain_stage(&tr, sw, &te, &ro, &res, &err))) goto fail;
    if (ro.rebalance && cv_rebalance_below_plain(&res.choice)) { /* say so (metrics.json: rebalance.below_plain) */
        const cv_rebalance_choice *ch = &res.choice;
        char name[64];
        cli_warn("retrain: --rebalance auto chose %s, whose inner %s %.4f is below plain's %.4f",
                 cv_rebalance_choice_name(ch, name, sizeof name), cv_select_name(ro.rebalance->select_by),
                 ch->blend ? ch->blend_score[ch->chosen] : ch->score[ch->chosen], ch->score[CV_REB_PLAIN]);
    }
    if (ro.rebalance) cli_train_note_pr_auc_loss("retrain", &res.choice, ro.rebalance);
    if (!(doc = cv_retrain_metrics_json(&res, &ro, tr.class_names, a.data, a.test, load_s))) goto oom;
    if ((rc = cv_retrain_write(&res, &tr, doc, a.out, &err))) goto fail;

    int64_t run = 0;
    if (a.db) {
        if (!(json_text = la_json_text(doc, LA_JSON_LINE_READABLE))) goto oom;
        if ((rc = record(&a, json_text, &run, &err))) goto fail;
    }
    print_result(&a, &tr, &res, doc, load_s, run);
    rc = 0;
    goto done;
oom:
    rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    rc = cli_report(&err);
done:
    cv_retrain_result_free(&res);
    free(json_text);
    json_decref(doc);
    free(sw); free(yte);
    io_dataset_free(&tr);
    io_dataset_free(&te);
    io_load_opts_strings_free(&st);
    return rc;
}
