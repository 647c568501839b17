/*
 * cmd_consensus.c — `labelaudit consensus`: several annotators' labels (a
 * wide or long CSV, or several reviewers' decisions of a run in the
 * database) and a model's out-of-sample probabilities into consensus labels,
 * their quality, each annotator's quality and ActiveLab scores, exactly as
 * cleanlab 2.9.0 computes them (audit/consensus.h), written by the consensus
 * stage (audit/cs_io.h) into --out. A thin shell: parse, load, call, print.
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "cmd_common.h"
#include "../audit/audit.h"
#include "../audit/consensus.h"
#include "../audit/cs_io.h"
#include "../db/db.h"
#include "../io/labels.h"
#include "../util/la_json.h"

static const char usage[] =
    "usage: labelaudit consensus (--labels FILE | --db FILE [--run N]) [--pred-probs FILE]\n"
    "           --out DIR [--consensus best_quality|majority_vote|dawid-skene]\n"
    "           [--quality crowdlab|agreement] [--calibrate] [--score METHOD] [--adjust-pred-probs]\n"
    "\n"
    "Consensus labels from several annotators and a model (cleanlab 2.9.0's CROWDLAB,\n"
    "get_label_quality_multiannotator with return_detailed_quality=True, and ActiveLab,\n"
    "get_active_learning_scores), written to DIR.\n"
    "\n"
    "  --labels FILE        wide CSV: one column per annotator, one row per example, empty =\n"
    "                       not labelled, an `id` column optional; or long CSV: id,annotator,label\n"
    "                       (labels: class indices, or class names with --classes or\n"
    "                       the classes.txt beside the probabilities)\n"
    "  --db FILE            instead: the reviewers' keep/relabel decisions of an audit run\n"
    "  --run N              the run (default: the latest audit run)\n"
    "  --pred-probs FILE    N x K out-of-sample probabilities (.npy or CSV; default with --db:\n"
    "                       the run's); rows follow the labels' ids when both have ids\n"
    "  --classes FILE       class names, one per line (labels may then be names)\n"
    "  --out DIR            output directory (replaced when it holds an earlier consensus output)\n"
    "  --consensus M        best_quality (default), majority_vote, or dawid-skene (EM over\n"
    "                       per-annotator confusion matrices, the model as each example's prior)\n"
    "  --quality Q          crowdlab (default) or agreement (quality_method)\n"
    "  --calibrate          temperature-scale the probabilities first (calibrate_probs=True)\n"
    "  --score METHOD       self_confidence (default), normalized_margin or\n"
    "                       confidence_weighted_entropy (label_quality_score_kwargs method)\n"
    "  --adjust-pred-probs  subtract class thresholds first (label_quality_score_kwargs)\n"
    "  --ds-iterations N    dawid-skene: EM iterations at most (100)\n"
    "  --ds-smoothing S     dawid-skene: pseudo-count per confusion cell (0.01)\n"
    "  --format text|json   summary on stdout (text)\n"
    "  --quiet              no information on stderr\n"
    "  --help               this help\n"
    "\n"
    "Writes DIR/label_quality.csv, annotator_stats.csv (worst annotator first),\n"
    "detailed_label_quality.csv, active_learning.csv (lowest = label next) and classes.txt\n"
    "when class names are known. Apply the labels with `clean --consensus DIR`.\n"
    "With --db, the reviewer table (labelled, agreement, quality, worst class) is also\n"
    "recorded in the run for `labelaudit report`.\n";

enum { O_LABELS = 1, O_DB, O_RUN, O_PROBS, O_CLASSES, O_OUT, O_CONSENSUS, O_QUALITY, O_CALIBRATE, O_SCORE,
       O_ADJUST, O_DS_ITER, O_DS_SMOOTH, O_FORMAT, O_QUIET, O_HELP };

static const struct option options[] = {
    {"labels", required_argument, NULL, O_LABELS},       {"db", required_argument, NULL, O_DB},
    {"run", required_argument, NULL, O_RUN},             {"pred-probs", required_argument, NULL, O_PROBS},
    {"classes", required_argument, NULL, O_CLASSES},     {"out", required_argument, NULL, O_OUT},
    {"consensus", required_argument, NULL, O_CONSENSUS}, {"quality", required_argument, NULL, O_QUALITY},
    {"calibrate", no_argument, NULL, O_CALIBRATE},       {"score", required_argument, NULL, O_SCORE},
    {"adjust-pred-probs", no_argument, NULL, O_ADJUST},  {"ds-iterations", required_argument, NULL, O_DS_ITER},
    {"ds-smoothing", required_argument, NULL, O_DS_SMOOTH}, {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},               {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

typedef struct cons_args {
    const char *labels, *db, *probs, *classes, *out;
    long run;
    cs_opts o;
    int json, quiet, help;
} cons_args;

static const char *const consensus_names[] = {"best_quality", "majority_vote", "dawid-skene"};
static const char *const quality_names[] = {"crowdlab", "agreement"};
static const char *const score_names[] = {"self_confidence", "normalized_margin", "confidence_weighted_entropy"};

/* The index of arg in names[0..n), or -1. */
static int pick(const char *arg, const char *const *names, int n)
{
    for (int t = 0; t < n; t++)
        if (!strcmp(arg, names[t])) return t;
    return -1;
}

static int one_option(cons_args *a, int c, const char *arg)
{
    int v;
    long l;
    switch (c) {
    case O_LABELS: a->labels = arg; break;
    case O_DB: a->db = arg; break;
    case O_RUN: return cli_parse_long("consensus", "--run", arg, 1, LONG_MAX, &a->run);
    case O_PROBS: a->probs = arg; break;
    case O_CLASSES: a->classes = arg; break;
    case O_OUT: a->out = arg; break;
    case O_CONSENSUS:
        if ((v = pick(arg, consensus_names, 3)) < 0)
            return cli_usage_error("consensus", "--consensus: '%s' is not best_quality, majority_vote or dawid-skene", arg);
        a->o.consensus = (cs_consensus)v;
        break;
    case O_QUALITY:
        if ((v = pick(arg, quality_names, 2)) < 0)
            return cli_usage_error("consensus", "--quality: '%s' is not crowdlab or agreement", arg);
        a->o.quality = (cs_quality)v;
        break;
    case O_CALIBRATE: a->o.calibrate = 1; break;
    case O_SCORE:
        if ((v = pick(arg, score_names, 3)) < 0)
            return cli_usage_error("consensus", "--score: '%s' is not self_confidence, normalized_margin or "
                                   "confidence_weighted_entropy", arg);
        a->o.score = (cs_score)v;
        break;
    case O_ADJUST: a->o.adjust = 1; break;
    case O_DS_ITER:
        if (cli_parse_long("consensus", "--ds-iterations", arg, 1, 100000, &l)) return LA_EUSAGE;
        a->o.ds_max_iter = (int)l;
        break;
    case O_DS_SMOOTH: return cli_parse_double("consensus", "--ds-smoothing", arg, 0, 1e6, &a->o.ds_smoothing);
    case O_FORMAT:
        if (strcmp(arg, "json") && strcmp(arg, "text"))
            return cli_usage_error("consensus", "--format: '%s' is not text or json", arg);
        a->json = !strcmp(arg, "json");
        break;
    case O_QUIET: a->quiet = 1; break;
    case O_HELP: a->help = 1; break;
    default: return cli_usage_error("consensus", "unknown option");
    }
    return 0;
}

static int parse_args(int argc, char **argv, cons_args *a)
{
    cli_getopt_reset();
    int c, rc;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        if (c == '?' || c == ':') return cli_getopt_error("consensus", c, argv);
        if ((rc = one_option(a, c, optarg))) return rc;
        if (a->help) return 0;
    }
    if (optind < argc) return cli_usage_error("consensus", "unexpected argument '%s'", argv[optind]);
    if (!a->labels == !a->db) return cli_usage_error("consensus", "give one of --labels FILE or --db FILE");
    if (a->run && !a->db) return cli_usage_error("consensus", "--run goes with --db");
    if (!a->db && !a->probs) return cli_usage_error("consensus", "--pred-probs FILE is required with --labels");
    if (!a->out) return cli_usage_error("consensus", "--out DIR is required");
    if (a->o.adjust && a->o.score == CS_CW_ENTROPY)
        return cli_usage_error("consensus", "--adjust-pred-probs does not go with confidence_weighted_entropy "
                               "(as in cleanlab)");
    return 0;
}

/* ---- inputs ------------------------------------------------------------------ */

/* What the stage reads, owned here. */
typedef struct cons_inputs {
    cs_labels labels;
    io_probs  probs;
    double   *rows_probs;      /* labels.n x k: the probabilities in label order */
    char    **classes;         /* k names or NULL                                */
    size_t    k;
    int64_t   run_id;
} cons_inputs;

static void cons_inputs_free(cons_inputs *in)
{
    cs_labels_free(&in->labels);
    io_probs_free(&in->probs);
    free(in->rows_probs);
    if (in->classes) io_free_strings(in->classes, in->k);
}

/* Probabilities must be finite and non-negative. */
static int check_probs(const io_probs *p, const char *path, la_error *err)
{
    if (p->k < 2) return la_error_set(err, LA_EUSAGE, path, 0, "%zu probability column%s: needs 2 classes or more",
                                      p->k, p->k == 1 ? "" : "s");
    for (size_t i = 0; i < p->n; i++)
        for (size_t c = 0; c < p->k; c++)
            if (!isfinite(p->p[i * p->k + c]) || p->p[i * p->k + c] < 0)
                return la_error_set(err, LA_EUSAGE, path, (long)i + 1, "row %zu, column %zu: %g is not a "
                                    "probability", i, c, p->p[i * p->k + c]);
    return 0;
}

/* in->probs (read from path) put in the order of ids (n; NULL: as stored,
 * which must then have n rows). */
static int align_probs(const char *path, char *const *ids, size_t n, const char *ids_from, cons_inputs *in,
                       la_error *err)
{
    if (ids && in->probs.ids) return io_probs_reorder(&in->probs, path, ids, n, ids_from, err);
    if (in->probs.n != n)
        return la_error_set(err, LA_EUSAGE, path, 0, "has %zu rows of probabilities but %s has %zu examples "
                            "(one row per example, in the same order)", in->probs.n, ids_from, n);
    return 0;
}

static int load_probs(const char *path, char *const *ids, size_t n, const char *ids_from, cons_inputs *in,
                      la_error *err)
{
    int rc = io_probs_load(path, &in->probs, err);
    if (rc || (rc = check_probs(&in->probs, path, err))) return rc;
    return align_probs(path, ids, n, ids_from, in, err);
}

/* --labels: the probabilities first (they give K and maybe class names),
 * then the labels, then the rows aligned. */
static int load_files(const cons_args *a, cons_inputs *in, la_error *err)
{
    int rc = io_probs_load(a->probs, &in->probs, err);
    if (rc || (rc = check_probs(&in->probs, a->probs, err))) return rc;
    in->k = in->probs.k;
    if (a->classes) {
        size_t kc = 0;
        if ((rc = io_class_names_load(a->classes, &in->classes, &kc, err))) return rc;
        if (kc != in->k) {
            io_free_strings(in->classes, kc);
            in->classes = NULL;
            return la_error_set(err, LA_EUSAGE, a->classes, 0, "%zu classes, but %s has %zu probability columns", kc,
                                a->probs, in->k);
        }
    } else if (in->probs.class_names) {
        in->classes = in->probs.class_names;
        in->probs.class_names = NULL;
    } else {
        /* the class order cv, retrain and audit write beside their probabilities */
        char **warn = NULL;
        size_t m = 0, n_warn = 0;
        rc = au_classes_beside(a->probs, in->k, &in->classes, &m, &warn, &n_warn, err);
        cli_print_warnings(warn, n_warn);
        io_free_strings(warn, n_warn);
        if (rc) return rc;
    }
    if ((rc = cs_labels_load(a->labels, in->classes, in->k, &in->labels, err))) return rc;
    if ((rc = align_probs(a->probs, in->labels.ids, in->labels.n, a->labels, in, err))) return rc;
    in->rows_probs = in->probs.p;
    in->probs.p = NULL;
    return 0;
}

/* --db: the reviewers' decisions; probabilities of the run's examples. */
static int load_db(const cons_args *a, cons_inputs *in, la_error *err)
{
    sqlite3 *db = NULL;
    db_run run = {0};
    char **ids = NULL;
    size_t n_ids = 0;
    int64_t *rows = NULL;
    int rc = db_open(a->db, &db, err);
    in->run_id = a->run;
    if (!rc && !in->run_id) rc = db_latest_audit_run(db, &in->run_id, err);
    if (!rc) rc = db_load_run(db, in->run_id, &run, err);
    if (!rc) rc = db_consensus_labels(db, in->run_id, run.k, &in->labels, &rows, err);
    if (!rc) rc = db_example_ids(db, in->run_id, &ids, &n_ids, err);
    const char *probs = a->probs ? a->probs : run.pred_probs_path;
    if (!rc && !probs)
        rc = la_error_set(err, LA_EUSAGE, a->db, 0, "run %lld recorded no probability file: give --pred-probs",
                          (long long)in->run_id);
    char from[64];
    snprintf(from, sizeof from, "run %lld", (long long)in->run_id);
    if (!rc) rc = load_probs(probs, ids, n_ids, from, in, err);
    if (!rc && in->probs.k != (size_t)run.k)
        rc = la_error_set(err, LA_EUSAGE, probs, 0, "has %zu probability columns but run %lld has %lld classes",
                          in->probs.k, (long long)in->run_id, (long long)run.k);
    if (!rc && !(in->rows_probs = la_malloc_array(in->labels.n * in->probs.k + 1, sizeof(double))))
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc) {
        in->k = in->probs.k;
        for (size_t i = 0; i < in->labels.n; i++)
            memcpy(in->rows_probs + i * in->k, in->probs.p + (size_t)rows[i] * in->k, in->k * sizeof(double));
        in->classes = run.class_names;
        run.class_names = NULL;
    }
    db_free_ids(ids, n_ids);
    free(rows);
    db_run_free(&run);
    db_close(db);
    return rc;
}

/* ---- output ------------------------------------------------------------------- */

/* --db: the reviewer table into the run (run_metrics kind 'consensus'), for
 * the report. */
static int record_reviewers(const cons_args *a, const cons_inputs *in, const cs_result *r, la_error *err)
{
    char *json = cs_annotator_table_json(r, &in->labels, in->classes, consensus_names[a->o.consensus]);
    if (!json) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    sqlite3 *db = NULL;
    int rc = db_open(a->db, &db, err);
    if (!rc) rc = db_record_metrics(db, in->run_id, "consensus", json, err);
    db_close(db);
    free(json);
    return rc;
}

static int print_summary(const cons_args *a, const cons_inputs *in, const cs_result *r)
{
    size_t changed = 0;
    for (size_t i = 0; i < r->n; i++) changed += r->agreement[i] < 1;
    const char *worst = in->labels.annotators[r->order[0]];
    if (!a->json) {
        printf("%zu examples, %zu annotators, %zu classes: consensus %s, quality %s\n", r->n, r->m, r->k,
               consensus_names[a->o.consensus], quality_names[a->o.quality]);
        printf("%zu examples with disagreement; lowest-quality annotator: %s\n", changed, worst);
        if (a->o.calibrate) printf("probabilities temperature-scaled by %g\n", r->temperature);
        if (r->ds_iterations) printf("dawid-skene: %d EM iterations\n", r->ds_iterations);
        printf("wrote %s/label_quality.csv, annotator_stats.csv, detailed_label_quality.csv, active_learning.csv\n",
               a->out);
        if (r->n_random_ties)
            cli_warn("consensus: %zu majority-vote ties cleanlab would break at random: the lowest class was taken",
                     r->n_random_ties);
        return 0;
    }
    json_t *doc = json_pack("{s:I, s:I, s:I, s:s, s:s, s:I, s:s, s:f, s:I, s:I, s:s}", "examples", (json_int_t)r->n,
                            "annotators", (json_int_t)r->m, "classes", (json_int_t)r->k, "consensus",
                            consensus_names[a->o.consensus], "quality", quality_names[a->o.quality], "disagreements",
                            (json_int_t)changed, "worst_annotator", worst, "temperature", r->temperature,
                            "ds_iterations", (json_int_t)r->ds_iterations, "random_ties", (json_int_t)r->n_random_ties,
                            "out", a->out);
    if (!doc) return -1;
    if (in->run_id) json_object_set_new(doc, "run", json_integer((json_int_t)in->run_id));
    la_json_print(doc, stdout, LA_JSON_EXACT);
    json_decref(doc);
    return 0;
}

int cmd_consensus(int argc, char **argv)
{
    cons_args a;
    memset(&a, 0, sizeof a);
    cs_opts_init(&a.o);
    int rc = parse_args(argc, argv, &a);
    if (rc || a.help) {
        if (a.help) fputs(usage, stdout);
        return rc;
    }
    la_error err;
    la_error_clear(&err);
    cons_inputs in;
    memset(&in, 0, sizeof in);
    cs_result res;
    memset(&res, 0, sizeof res);
    rc = a.db ? load_db(&a, &in, &err) : load_files(&a, &in, &err);
    if (!rc) {
        cs_stage_in si = {.labels = &in.labels, .pred_probs = in.rows_probs, .k = in.k, .class_names = in.classes};
        rc = cs_stage(&si, &a.o, a.out, &res, &err);
        if (rc && !err.file[0]) {
            la_error named = err;
            la_error_set(&err, rc, a.labels ? a.labels : a.db, 0, "%s", named.msg);
        }
    }
    if (!rc && a.db) rc = record_reviewers(&a, &in, &res, &err);
    if (!rc && print_summary(&a, &in, &res)) rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (rc) rc = cli_report(&err);
    cs_result_free(&res);
    cons_inputs_free(&in);
    return rc;
}
