/*
 * cmd_check.c — `labelaudit check`: the CI gate. A shell: parses the limits,
 * loads the run to judge (a database run through db_load_audit_summary, or a
 * summary.json file) and its baseline, then judges and renders with the check
 * stage (audit/check.h). Exit 0 within limits, 1 when a limit is exceeded,
 * 2 for bad input (missing run, unreadable summary, mismatched classes, too
 * few reviewers' verdicts for --min-reviewed-precision).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../audit/check.h"

static const char CK_USAGE[] =
    "usage: labelaudit check (--db FILE [--run N] | --summary FILE) [--baseline RUN|FILE]\n"
    "           [--max-error-rate R] [--max-increase D] [--max-class-error-rate R]\n"
    "           [--min-health H] [--max-leak-rate R] [--max-duplicate-rate R]\n"
    "           [--min-reviewed-precision P [--min-reviewed N]]\n"
    "           [--confidence C] [--format text|json|junit|github]\n"
    "           [--out FILE] [--quiet]\n"
    "\n"
    "Fails (exit 1) when the label quality of an audit slips past a limit.\n"
    "  --db FILE               judge a run of this database (default: the latest audit run)\n"
    "  --run N                 the run to judge\n"
    "  --summary FILE          judge a summary.json written by `audit --summary`\n"
    "  --baseline RUN|FILE     compare with this run id (needs --db) or summary file;\n"
    "                          default with --db: the previous run on the same dataset\n"
    "  --max-error-rate R      estimated label-error rate must be <= R\n"
    "  --max-increase D        the error rate may rise by at most D over the baseline;\n"
    "                          a rise fails only when it exceeds D and its interval\n"
    "                          excludes 0 (default 0 when there is a baseline)\n"
    "  --max-class-error-rate R  every class's estimated error rate must be <= R\n"
    "  --min-health H          label health score must be >= H\n"
    "  --max-leak-rate R       leaked test examples / test examples <= R (an audit\n"
    "                          run with the dataset checks and --test)\n"
    "  --max-duplicate-rate R  examples with an exact duplicate / examples <= R\n"
    "  --min-reviewed-precision P  the audit's precision as reviewers judged it\n"
    "                          (verdict error / decided examples with a verdict;\n"
    "                          needs --db) must not be below P: fails when its Wilson\n"
    "                          interval's upper bound is below P\n"
    "  --min-reviewed N        fewer verdicts than N cannot be judged: exit 2\n"
    "                          (default 20)\n"
    "  --confidence C          interval level (default: the audit's, 0.95);\n"
    "                          other levels rescale the bootstrap intervals\n"
    "  --format F              text (default), json, junit (JUnit XML), github\n"
    "                          (GitHub Actions ::error workflow commands)\n"
    "  --out FILE              write the report to FILE (atomically) instead of stdout\n"
    "  --quiet                 no notes on stderr\n"
    "exit status: 0 within limits, 1 a limit exceeded, 2 bad input, 3 internal error\n";

enum { OPT_DB = 1, OPT_RUN, OPT_SUMMARY, OPT_BASELINE, OPT_MAX_ERR, OPT_MAX_INC,
       OPT_MAX_CLASS, OPT_MIN_HEALTH, OPT_CONF, OPT_FORMAT, OPT_OUT, OPT_QUIET, OPT_HELP,
       OPT_MAX_LEAK, OPT_MAX_DUP, OPT_MIN_PREC, OPT_MIN_REVIEWED };

typedef struct ck_args {
    const char *db_path, *summary_path, *baseline, *out_path;
    long        run;
    double      conf;                 /* NAN: the audit's own                   */
    int         quiet;
    ck_format   fmt;
    ck_limits   lim;
} ck_args;

static int is_run_id(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* One option: 0, 1 after --help, LA_EUSAGE (printed). */
static int ck_option(ck_args *a, int c, char **argv)
{
    const char *cmd = "check";
    ck_limits *lim = &a->lim;
    switch (c) {
    case OPT_DB: a->db_path = optarg; return 0;
    case OPT_RUN: return cli_parse_long(cmd, "--run", optarg, 1, 1L << 62, &a->run) ? LA_EUSAGE : 0;
    case OPT_SUMMARY: a->summary_path = optarg; return 0;
    case OPT_BASELINE: a->baseline = optarg; return 0;
    case OPT_MAX_ERR:
        return cli_parse_double(cmd, "--max-error-rate", optarg, 0, 1, &lim->max_error_rate) ? LA_EUSAGE : 0;
    case OPT_MAX_INC:
        return cli_parse_double(cmd, "--max-increase", optarg, 0, 1, &lim->max_increase) ? LA_EUSAGE : 0;
    case OPT_MAX_CLASS:
        return cli_parse_double(cmd, "--max-class-error-rate", optarg, 0, 1, &lim->max_class_error_rate)
               ? LA_EUSAGE : 0;
    case OPT_MIN_HEALTH:
        return cli_parse_double(cmd, "--min-health", optarg, 0, 1, &lim->min_health) ? LA_EUSAGE : 0;
    case OPT_MAX_LEAK:
        return cli_parse_double(cmd, "--max-leak-rate", optarg, 0, 1, &lim->max_leak_rate) ? LA_EUSAGE : 0;
    case OPT_MAX_DUP:
        return cli_parse_double(cmd, "--max-duplicate-rate", optarg, 0, 1, &lim->max_duplicate_rate) ? LA_EUSAGE : 0;
    case OPT_MIN_PREC:
        return cli_parse_double(cmd, "--min-reviewed-precision", optarg, 0, 1, &lim->min_reviewed_precision)
               ? LA_EUSAGE : 0;
    case OPT_MIN_REVIEWED: {
        long n = 0;
        if (cli_parse_long(cmd, "--min-reviewed", optarg, 1, 1L << 40, &n)) return LA_EUSAGE;
        lim->min_reviewed = n;
        return 0;
    }
    case OPT_CONF: return cli_parse_double(cmd, "--confidence", optarg, 0.5, 0.9999, &a->conf) ? LA_EUSAGE : 0;
    case OPT_FORMAT:
        if (!strcmp(optarg, "text")) a->fmt = CK_FORMAT_TEXT;
        else if (!strcmp(optarg, "json")) a->fmt = CK_FORMAT_JSON;
        else if (!strcmp(optarg, "junit")) a->fmt = CK_FORMAT_JUNIT;
        else if (!strcmp(optarg, "github")) a->fmt = CK_FORMAT_GITHUB;
        else return cli_usage_error(cmd, "--format must be text, json, junit or github, not '%s'", optarg);
        return 0;
    case OPT_OUT: a->out_path = optarg; return 0;
    case 'q': case OPT_QUIET: a->quiet = 1; return 0;
    case 'h': case OPT_HELP: fputs(CK_USAGE, stdout); return 1;
    default: return cli_getopt_error(cmd, c, argv);
    }
}

/* 0 to go on, 1 after --help, LA_EUSAGE (printed). */
static int ck_parse(int argc, char **argv, ck_args *a)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"run", required_argument, NULL, OPT_RUN},
        {"summary", required_argument, NULL, OPT_SUMMARY},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"max-error-rate", required_argument, NULL, OPT_MAX_ERR},
        {"max-increase", required_argument, NULL, OPT_MAX_INC},
        {"max-class-error-rate", required_argument, NULL, OPT_MAX_CLASS},
        {"min-health", required_argument, NULL, OPT_MIN_HEALTH},
        {"max-leak-rate", required_argument, NULL, OPT_MAX_LEAK},
        {"max-duplicate-rate", required_argument, NULL, OPT_MAX_DUP},
        {"min-reviewed-precision", required_argument, NULL, OPT_MIN_PREC},
        {"min-reviewed", required_argument, NULL, OPT_MIN_REVIEWED},
        {"confidence", required_argument, NULL, OPT_CONF},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, OPT_OUT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "check";
    memset(a, 0, sizeof *a);
    a->conf = NAN;
    a->fmt = CK_FORMAT_TEXT;
    ck_limits_init(&a->lim);
    int c, rc;
    while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1)
        if ((rc = ck_option(a, c, argv))) return rc;
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->db_path == !a->summary_path) return cli_usage_error(cmd, "give exactly one of --db FILE or --summary FILE");
    if (a->run && !a->db_path) return cli_usage_error(cmd, "--run needs --db");
    if (a->baseline && !a->db_path && is_run_id(a->baseline) && access(a->baseline, F_OK) != 0)
        return cli_usage_error(cmd, "--baseline %s is a run id: it needs --db", a->baseline);
    return 0;
}

/* The reviewers' verdicts on run id (decided examples only) into cur. */
static int ck_load_reviewed(sqlite3 *db, int64_t id, ck_summary *cur, la_error *err)
{
    db_verdict_counts vc;
    if (db_verdict_counts_load(db, id, 0, NULL, &vc, err)) return err->status;
    cur->has_reviewed = 1;
    cur->reviewed = vc.error + vc.ambiguous + vc.false_alarm;
    cur->reviewed_error = vc.error;
    return 0;
}

/* The run to judge and its baseline (*have_base): from the database
 * (default: the latest audit run and the previous one on its dataset) or
 * summary files; --baseline is a run id of the database or a file. */
static int ck_load(const ck_args *a, ck_summary *cur, ck_summary *base, int *have_base, la_error *err)
{
    sqlite3 *db = NULL;
    int rc = 0;
    *have_base = 0;
    if (a->db_path) {
        if (access(a->db_path, R_OK) != 0)
            return la_error_set(err, LA_EUSAGE, a->db_path, 0, "cannot read the database: %m");
        if ((rc = db_open(a->db_path, &db, err))) goto done;
        int64_t id = a->run, prev = 0;
        if (!id && (rc = db_latest_audit_run(db, &id, err))) goto done;
        if ((rc = db_load_audit_summary(db, a->db_path, id, cur, err))) goto done;
        if ((rc = ck_load_reviewed(db, id, cur, err))) goto done;
        if (!a->baseline) {
            if ((rc = db_previous_run(db, id, &prev, err))) goto done;
            if (prev && (rc = db_load_audit_summary(db, a->db_path, prev, base, err))) goto done;
            *have_base = prev != 0;
        }
    } else if ((rc = ck_summary_load(a->summary_path, cur, err))) {
        goto done;
    }
    if (a->baseline) {
        if (db && is_run_id(a->baseline) && access(a->baseline, F_OK) != 0)
            rc = db_load_audit_summary(db, a->db_path, strtoll(a->baseline, NULL, 10), base, err);
        else
            rc = ck_summary_load(a->baseline, base, err);
        *have_base = !rc;
    }
done:
    if (db) db_close(db);
    return rc;
}

/* --max-leak-rate / --max-duplicate-rate need the dataset checks' rates. */
static int ck_dataset_rates_present(const ck_summary *cur, const ck_limits *lim, la_error *err)
{
    if (!isnan(lim->max_leak_rate) && isnan(cur->leak_rate))
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "no dataset_checks.leak_rate for --max-leak-rate (audit with --test records it)");
    if (!isnan(lim->max_duplicate_rate) && isnan(cur->duplicate_rate))
        return la_error_set(err, LA_EUSAGE, cur->source, 0,
                            "no dataset_checks.duplicate_rate for --max-duplicate-rate (audit with the "
                            "exact_duplicate check records it)");
    return 0;
}

int cmd_check(int argc, char **argv)
{
    ck_args a;
    int rc = ck_parse(argc, argv, &a);
    if (rc) return rc == 1 ? LA_OK : rc;

    la_error err;
    la_error_clear(&err);
    ck_summary cur = {0}, base = {0};
    ck_verdict v = {0};
    int have_base = 0;
    if ((rc = ck_load(&a, &cur, &base, &have_base, &err))) goto done;
    if (have_base && (rc = ck_compare_classes(&cur, &base, &err))) goto done;
    if ((rc = ck_dataset_rates_present(&cur, &a.lim, &err))) goto done;
    if (have_base && cur.method && base.method && strcmp(cur.method, base.method) && !a.quiet)
        cli_warn("the baseline used --filter-by %s, this run %s: their error rates may not be comparable",
                 base.method, cur.method);
    if (!cur.has_ci)
        cli_info(a.quiet, "labelaudit check: %s has no bootstrap intervals; changes are judged on estimates\n",
                 cur.source);

    if ((rc = ck_judge(&cur, have_base ? &base : NULL, &a.lim, a.conf, &v, &err))) goto done;
    if ((rc = ck_render(a.fmt, a.out_path, stdout, &cur, have_base ? &base : NULL, &v, &err))) goto done;
    rc = v.nfailed ? LA_CHECK_FAILED : LA_OK;
    /* People reading a CI log see the failing limits whatever the format,
     * once: GitHub's ::error lines on stdout already are that line. */
    int echo = a.out_path || (a.fmt != CK_FORMAT_TEXT && a.fmt != CK_FORMAT_GITHUB);
    if (v.nfailed && echo && !a.quiet) {
        for (size_t i = 0; i < v.ncases; i++)
            if (v.cases[i].status) fprintf(stderr, "labelaudit check: FAIL %s: %s\n",
                                           v.cases[i].name, v.cases[i].msg);
    }
done:
    ck_verdict_free(&v);
    ck_summary_free(&cur);
    ck_summary_free(&base);
    if (rc > LA_CHECK_FAILED) return cli_report(&err);
    return rc;
}
