/*
 * audit_opts.c — the audit stage's command-line options, `audit`'s argument
 * parser and help, and the lines `audit` and `cv --audit` print about an
 * audit (see audit_opts.h).
 */
#include "audit_opts.h"
#include "../report/rp_record.h"
#include "cli.h"
#include "load_opts.h"
#include "../db/db.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char au_usage[] =
    "usage: labelaudit audit --labels FILE --pred-probs FILE --out DIR [options]\n"
    "\n"
    "Finds label issues with confident learning (exactly as cleanlab 2.9.0 does)\n"
    "and estimates the label noise. FILEs are .npy or CSV.\n"
    "\n"
    "  --labels FILE            given labels: .npy integers, or CSV with a 'label'\n"
    "                           column (class indices or names; optional 'id' column)\n"
    "  --pred-probs FILE        out-of-fold probabilities, N x K: .npy float16/32/64, C or\n"
    "                           Fortran order (streamed), or CSV with header p0..pK-1,\n"
    "                           0..K-1 (pandas) or the class names; a pandas index column\n"
    "                           is recognised, an 'id' column matches rows to the labels'\n"
    "                           (or --data's) ids in any order. The class of each column:\n"
    "                           --classes, the header, else classes.txt beside FILE.\n"
    "                           Given several times: their mean (e.g. two models' or two\n"
    "                           rounds' probabilities), rows matched by id, columns by\n"
    "                           class name; written to OUT/pred_probs_mean.npy, the run's\n"
    "                           probability file (--db, report, serve)\n"
    "  --out DIR                output directory (created if needed)\n"
    "  --filter-by F            prune_by_noise_rate (default), prune_by_class, both,\n"
    "                           confident_learning, predicted_neq_given,\n"
    "                           low_normalized_margin, low_self_confidence, or\n"
    "                           noise_posterior (labelaudit's, not cleanlab's): as many as\n"
    "                           the low_* filters, those least likely right under the\n"
    "                           estimated noise matrix, P(true = given | x, given)\n"
    "  --rank-by R              self_confidence (default), normalized_margin,\n"
    "                           confidence_weighted_entropy\n"
    "  --frac-noise X           fraction of the estimated issues to flag, (0, 1] (1)\n"
    "  --num-to-remove-per-class FILE|n0,n1,...\n"
    "                           flag this many per class (prune filters only); FILE is a\n"
    "                           CSV with header 'count' and K rows\n"
    "  --min-examples-per-class N  never prune a class below N examples (1)\n"
    "  --corrected              opt-in fixes of two reference quirks: round (not\n"
    "                           truncate) fractional prune counts, and normalise\n"
    "                           --num-to-remove-per-class by each row's own sum\n"
    "  --scores                 also write the per-example label_quality_*.csv files\n"
    "  --multi-label            labels are lists of classes per example (CSV column\n"
    "                           'labels': \"0,3\"; or an N x K 0/1 .npy); pred-probs are K\n"
    "                           independent per-class probabilities\n"
    "  --data DATASET           the dataset (ids, class names, labels when --labels is\n"
    "                           not given); loader options below apply\n"
    "  --classes FILE           class names, one per line, in column order (labels given\n"
    "                           as names need it when the columns carry no names)\n"
    "  --summary FILE           also write summary.json to FILE\n"
    "  --db FILE                record the run, its examples and review queue in FILE\n"
    "  --bootstrap B            bootstrap resamples for the error-rate intervals (1000)\n"
    "  --confidence C           interval level (0.95)\n"
    "  --seed S                 bootstrap seed (0)\n"
    "  --threads N              worker threads (default: all cores); results do not\n"
    "                           depend on it\n"
    "  --format text|json       terminal summary format (default text); json is\n"
    "                           summary.json with an \"issues\" array of the flagged\n"
    "                           examples (all, or the --top N)\n"
    "  --top N                  print the N worst issues as a table on stdout: rank, id,\n"
    "                           given, suggested, score, image path or telling features\n"
    "  --quiet                  no progress or summary on stderr\n"
    "  --help                   this help\n"
    "\n";

/* ---- the stage's options -------------------------------------------------- */

static int au_enum(const char *cmd, const char *opt, const char *v, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) { *out = i; return 0; }
    return cli_usage_error(cmd, "unknown value '%s' for --%s", v, opt);
}

int au_opts_handle(au_opts *o, const char **remove_arg, int c, const char *value, const char *cmd)
{
    int ival = 0;
    long lv;
    switch (c - AU_OPT_BASE) {
    case 0:
        if (au_enum(cmd, "filter-by", value, cl_filter_names, CL_FILTER_COUNT, &ival)) return LA_EUSAGE;
        o->filter = (cl_filter)ival;
        return 0;
    case 1:
        if (au_enum(cmd, "rank-by", value, cl_rank_names, CL_RANK_COUNT, &ival)) return LA_EUSAGE;
        o->rank = (cl_rank)ival;
        return 0;
    case 2:
        if (cli_parse_double(cmd, "frac-noise", value, 0, 1, &o->frac_noise)) return LA_EUSAGE;
        if (o->frac_noise <= 0) return cli_usage_error(cmd, "option '--frac-noise' must be in (0, 1]");
        return 0;
    case 3: *remove_arg = value; return 0;
    case 4: return cli_parse_long(cmd, "min-examples-per-class", value, 0, 1000000000L, &o->nmin) ? LA_EUSAGE : 0;
    case 5: o->scores = 1; return 0;
    case 6: o->corrected = 1; return 0;
    case 7:
        if (cli_parse_long(cmd, "bootstrap", value, 1, 1000000, &lv)) return LA_EUSAGE;
        o->bootstrap = (int)lv;
        return 0;
    case 8:
        if (cli_parse_double(cmd, "confidence", value, 0, 1, &o->confidence)) return LA_EUSAGE;
        if (o->confidence <= 0 || o->confidence >= 1) return cli_usage_error(cmd, "--confidence must be in (0, 1)");
        return 0;
    default: return -1;
    }
}

int au_opts_check(const au_opts *o, const char *remove_arg, const char *cmd)
{
    /* the pruning filters: the only ones that use the per-class counts */
    int prune = o->filter == CL_PRUNE_BY_NOISE_RATE || o->filter == CL_PRUNE_BY_CLASS || o->filter == CL_BOTH;
    if (remove_arg && !prune)
        return cli_usage_error(cmd, "--num-to-remove-per-class only applies to prune_by_noise_rate, "
                                    "prune_by_class and both (not %s)", cl_filter_names[o->filter]);
    /* cleanlab warns and goes on; so does the command (also under --quiet) */
    if (o->frac_noise != 1.0 && !prune)
        fprintf(stderr, "labelaudit %s: warning: --frac-noise applies to prune_by_noise_rate, prune_by_class and "
                        "both only; %s ignores it\n", cmd, cl_filter_names[o->filter]);
    return 0;
}

/* ---- `audit`'s own options ------------------------------------------------ */

enum { AU_LABELS = 1, AU_PROBS, AU_OUT, AU_DATA, AU_SUMMARY, AU_DB, AU_THREADS, AU_FORMAT, AU_QUIET, AU_HELP,
       AU_SEED, AU_TOP, AU_MULTI };

static const struct option au_longopts[] = {
    {"labels", required_argument, 0, AU_LABELS},
    {"pred-probs", required_argument, 0, AU_PROBS},
    {"out", required_argument, 0, AU_OUT},
    {"data", required_argument, 0, AU_DATA},
    {"summary", required_argument, 0, AU_SUMMARY},
    {"db", required_argument, 0, AU_DB},
    {"threads", required_argument, 0, AU_THREADS},
    {"format", required_argument, 0, AU_FORMAT},
    {"quiet", no_argument, 0, AU_QUIET},
    {"help", no_argument, 0, AU_HELP},
    {"seed", required_argument, 0, AU_SEED},
    {"top", required_argument, 0, AU_TOP},
    {"multi-label", no_argument, 0, AU_MULTI},
    AU_STAGE_LONG_OPTIONS,
    IO_LOAD_LONG_OPTIONS,
    DC_CLI_LONG_OPTIONS,
    {0, 0, 0, 0}
};

/* One option of `audit`: 0, 1 after --help, LA_EUSAGE (printed). */
static int au_cli_option(au_cli *a, int c, char **argv)
{
    const char *cmd = "audit";
    long lv;
    int rc;
    switch (c) {
    case AU_LABELS: a->files.labels = optarg; return 0;
    case AU_PROBS:
        if (!a->files.probs) a->files.probs = optarg;
        else if (a->files.n_probs_more + 1 < AU_CLI_MAX_MEAN) a->probs_more[a->files.n_probs_more++] = optarg;
        else return cli_usage_error(cmd, "--pred-probs is given more than %d times", AU_CLI_MAX_MEAN);
        return 0;
    case AU_OUT: a->out = optarg; return 0;
    case AU_DATA: a->files.data = optarg; return 0;
    case AU_SUMMARY: a->summary = optarg; return 0;
    case AU_DB: a->db = optarg; return 0;
    case AU_THREADS:
        if (cli_parse_long(cmd, "threads", optarg, 1, 256, &lv)) return LA_EUSAGE;
        a->o.threads = (int)lv;
        return 0;
    case AU_FORMAT:
        if (!strcmp(optarg, "json")) a->json = 1;
        else if (!strcmp(optarg, "text")) a->json = 0;
        else return cli_usage_error(cmd, "--format must be text or json, got '%s'", optarg);
        return 0;
    case AU_QUIET: a->quiet = 1; return 0;
    case AU_TOP: return cli_parse_long(cmd, "top", optarg, 1, 1000000000L, &a->top) ? LA_EUSAGE : 0;
    case AU_MULTI: a->multi_label = 1; return 0;
    case AU_SEED:
        if (cli_parse_long(cmd, "seed", optarg, 0, 2147483647L, &lv)) return LA_EUSAGE;
        a->o.seed = (uint64_t)lv;
        return 0;
    case 'h': case AU_HELP:
        printf("%s%s%s", au_usage, dc_cli_help, io_load_opts_help);
        return 1;
    default:
        if ((rc = au_opts_handle(&a->o, &a->remove_arg, c, optarg, cmd)) >= 0) return rc;
        if ((rc = dc_cli_handle(&a->dc, c, optarg, cmd)) >= 0) return rc;
        if (c >= IO_OPT_BASE && c < IO_OPT_BASE + 64)
            return io_load_opts_handle(&a->lo, c, optarg, cmd) ? LA_EUSAGE : 0;
        return cli_getopt_error(cmd, c, argv);
    }
}

int au_cli_parse(int argc, char **argv, au_cli *a, int *done)
{
    const char *cmd = "audit";
    memset(a, 0, sizeof *a);
    au_opts_init(&a->o);
    io_load_opts_init(&a->lo);
    a->lo.no_features = 1;
    a->files.load = &a->lo;
    dc_cli_init(&a->dc);
    *done = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", au_longopts, NULL)) != -1) {
        int rc = au_cli_option(a, c, argv);
        if (rc == 1) { *done = 1; return 0; }
        if (rc) return rc;
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    int checks_only = !a->files.probs && (a->files.data || a->dc.features);  /* dataset checks alone */
    if (!a->files.probs && !checks_only) return cli_usage_error(cmd, "--pred-probs is required");
    if (!a->out) return cli_usage_error(cmd, "--out is required");
    if (!checks_only && !a->files.labels && !a->files.data) return cli_usage_error(cmd, "--labels (or --data) is required");
    if (a->files.n_probs_more) {   /* averaged: the mean is written to OUT/AU_MEAN_FILE */
        if (a->multi_label) return cli_usage_error(cmd, "--multi-label takes one --pred-probs");
        if (snprintf(a->mean_path, sizeof a->mean_path, "%s/%s", a->out, AU_MEAN_FILE) >= (int)sizeof a->mean_path)
            return cli_usage_error(cmd, "--out is too long");
        a->files.probs_more = a->probs_more;
        a->files.mean_path = a->mean_path;
    }
    if (dc_cli_active(&a->dc)) a->lo.no_features = 0;
    a->o.keep_rank_scores = a->db != NULL;
    return au_opts_check(&a->o, a->remove_arg, cmd);
}

/* ---- printing ------------------------------------------------------------ */

void au_cli_warn_skipped(const au_result *r, const au_opts *o, const char *probs_path)
{
    if (r->cl.single_class)
        cli_warn("audit: every label is class 0: num_label_issues_off_diagonal.txt, "
                 "num_label_issues_off_diagonal_calibrated.txt and overall_label_health_score.txt are not "
                 "written (the reference refuses a single class there); the other outputs are");
    if (o->scores && r->cl.cwe_refused)
        cli_warn("audit: %s not written: confidence_weighted_entropy needs every probability in [0, 1] "
                 "exactly, and %s has values within the 1e-6 tolerance outside it",
                 au_score_files[2], probs_path);
}

int au_cli_record(const char *db_path, const au_input *in, const au_opts *o, const au_result *r,
                  const la_dataset *ds, int quiet, la_error *err)
{
    sqlite3 *db = NULL;
    int64_t run_id = 0;
    int rc = db_open(db_path, &db, err);
    if (!rc) rc = rp_record_audit(db, in, o, r, ds, &run_id, err);
    if (db) db_close(db);
    if (!rc) cli_info(quiet, "recorded run %" PRId64 " in %s\n", run_id, db_path);
    return rc;
}

static int au_timing_wanted(void)
{
    const char *timing = getenv("LABELAUDIT_TIMING");
    return timing && *timing && strcmp(timing, "0");
}

void au_cli_print_summary(const au_result *r, const au_input *in, const au_opts *o, const char *out_dir,
                          double t0, double t_run, int quiet, int json)
{
    const cl_result *c = &r->cl;
    if (au_timing_wanted())
        fprintf(stderr, "timing: pass1 %.3f s, pass2+kxk %.3f s, pruning %.3f s (%d re-runs without floors, "
                        "%d tie passes), ranking %.3f s, bootstrap+outputs %.3f s, total %.3f s\n",
                c->seconds[0], c->seconds[1], c->seconds[2], c->floor_passes, c->tie_passes, c->seconds[3],
                la_now() - t_run + r->boot_seconds, la_now() - t0);
    if (json) {
        printf("%s\n", r->summary_json);
        return;
    }
    if (quiet) return;
    double er = (double)c->num_off_diagonal / (double)in->n;
    /* an undefined interval end prints as 0 (it is null in summary.json) */
    double lo = isfinite(r->ci[0]) ? r->ci[0] : 0, hi = isfinite(r->ci[1]) ? r->ci[1] : 0;
    fprintf(stderr,
            "audited %zu examples, %zu classes in %.2f s\n"
            "  flagged for review:      %zu examples (filter %s, ranked by %s) -> %s/label_issues.csv\n"
            "  estimated label errors:  %" PRId64 " (%.2f%% of examples, %g%% interval %.2f%%..%.2f%%)\n"
            "  label health score:      %.4f\n",
            in->n, in->k, la_now() - t0, c->n_flagged, cl_filter_names[o->filter], cl_rank_names[o->rank], out_dir,
            c->num_off_diagonal, 100 * er, 100 * o->confidence, 100 * lo, 100 * hi, c->health);
    fprintf(stderr, "  (the flagged count comes from the filter; the estimate counts the off-diagonal\n"
                    "   confident-joint examples; they differ by design)\n");
}
