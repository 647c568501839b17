/*
 * cmd_check.c — `labelaudit check`: the CI gate. Loads the run to judge (a
 * database run or a summary.json file) and its baseline, then renders the
 * verdict of audit/check.c. Exit 0 within limits, 1 when a limit is exceeded,
 * 2 for bad input (missing run, unreadable summary, mismatched classes).
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
    "           [--min-health H] [--confidence C] [--format text|json|junit|github]\n"
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
    "  --confidence C          interval level (default: the audit's, 0.95);\n"
    "                          other levels rescale the bootstrap intervals\n"
    "  --format F              text (default), json, junit (JUnit XML), github\n"
    "                          (GitHub Actions ::error workflow commands)\n"
    "  --out FILE              write the report to FILE (atomically) instead of stdout\n"
    "  --quiet                 no notes on stderr\n"
    "exit status: 0 within limits, 1 a limit exceeded, 2 bad input, 3 internal error\n";

enum { OPT_DB = 1, OPT_RUN, OPT_SUMMARY, OPT_BASELINE, OPT_MAX_ERR, OPT_MAX_INC,
       OPT_MAX_CLASS, OPT_MIN_HEALTH, OPT_CONF, OPT_FORMAT, OPT_OUT, OPT_QUIET, OPT_HELP };

typedef enum { FMT_TEXT, FMT_JSON, FMT_JUNIT, FMT_GITHUB } ck_format;

static int is_run_id(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* Loads run `id` of db into *out (source "run N (dataset)"). */
static int load_run(sqlite3 *db, const char *db_path, int64_t id, ck_summary *out, la_error *err)
{
    db_run_brief rb;
    if (db_load_run_brief(db, id, &rb, err)) return err->status;
    if (strcmp(rb.kind, "audit") != 0) {
        la_error_set(err, LA_EUSAGE, db_path, 0,
                     "run %lld is a %s run, not an audit: check judges audits", (long long)id, rb.kind);
        db_run_brief_free(&rb);
        return LA_EUSAGE;
    }
    char source[1200];
    snprintf(source, sizeof source, "run %lld (%s, %s)", (long long)id, rb.dataset_path,
             rb.created_at);
    int rc = ck_summary_from_text(rb.summary_json, source, out, err);
    if (!rc) {
        out->run_id = id;
        free(out->created_at);
        out->created_at = rb.created_at;
        rb.created_at = NULL;
        free(out->dataset);
        out->dataset = rb.dataset_path;
        rb.dataset_path = NULL;
    }
    db_run_brief_free(&rb);
    return rc;
}

static int render(ck_format fmt, const char *out_path, const ck_summary *cur,
                  const ck_summary *base, const ck_verdict *v, la_error *err)
{
    la_atomic_file af;
    FILE *fp = stdout;
    if (out_path) {
        if (la_atomic_open(&af, out_path, err)) return err->status;
        fp = af.fp;
    }
    switch (fmt) {
    case FMT_TEXT: ck_write_text(fp, cur, base, v); break;
    case FMT_JUNIT: ck_write_junit(fp, cur, base, v); break;
    case FMT_GITHUB: ck_write_github(fp, cur, base, v); break;
    case FMT_JSON: {
        json_t *j = ck_to_json(cur, base, v);
        if (!j || json_dumpf(j, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))) {
            json_decref(j);
            if (out_path) la_atomic_abort(&af);
            return la_error_set(err, LA_EINTERNAL, out_path, 0, "cannot write the JSON report");
        }
        fputc('\n', fp);
        json_decref(j);
        break;
    }
    }
    if (out_path) return la_atomic_commit(&af, err);
    fflush(stdout);
    return 0;
}

int cmd_check(int argc, char **argv)
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
        {"confidence", required_argument, NULL, OPT_CONF},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"out", required_argument, NULL, OPT_OUT},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *cmd = "check";
    const char *db_path = NULL, *summary_path = NULL, *baseline = NULL, *out_path = NULL;
    long run = 0;
    double conf = NAN;
    int quiet = 0;
    ck_format fmt = FMT_TEXT;
    ck_limits lim;
    ck_limits_init(&lim);

    int c;
    while ((c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_DB: db_path = optarg; break;
        case OPT_RUN:
            if (cli_parse_long(cmd, "--run", optarg, 1, 1L << 62, &run)) return LA_EUSAGE;
            break;
        case OPT_SUMMARY: summary_path = optarg; break;
        case OPT_BASELINE: baseline = optarg; break;
        case OPT_MAX_ERR:
            if (cli_parse_double(cmd, "--max-error-rate", optarg, 0, 1, &lim.max_error_rate)) return LA_EUSAGE;
            break;
        case OPT_MAX_INC:
            if (cli_parse_double(cmd, "--max-increase", optarg, 0, 1, &lim.max_increase)) return LA_EUSAGE;
            break;
        case OPT_MAX_CLASS:
            if (cli_parse_double(cmd, "--max-class-error-rate", optarg, 0, 1, &lim.max_class_error_rate))
                return LA_EUSAGE;
            break;
        case OPT_MIN_HEALTH:
            if (cli_parse_double(cmd, "--min-health", optarg, 0, 1, &lim.min_health)) return LA_EUSAGE;
            break;
        case OPT_CONF:
            if (cli_parse_double(cmd, "--confidence", optarg, 0.5, 0.9999, &conf)) return LA_EUSAGE;
            break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "text")) fmt = FMT_TEXT;
            else if (!strcmp(optarg, "json")) fmt = FMT_JSON;
            else if (!strcmp(optarg, "junit")) fmt = FMT_JUNIT;
            else if (!strcmp(optarg, "github")) fmt = FMT_GITHUB;
            else return cli_usage_error(cmd, "--format must be text, json, junit or github, not '%s'", optarg);
            break;
        case OPT_OUT: out_path = optarg; break;
        case 'q': case OPT_QUIET: quiet = 1; break;
        case 'h': case OPT_HELP: fputs(CK_USAGE, stdout); return LA_OK;
        default: return cli_getopt_error(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!db_path == !summary_path) return cli_usage_error(cmd, "give exactly one of --db FILE or --summary FILE");
    if (run && !db_path) return cli_usage_error(cmd, "--run needs --db");
    if (baseline && !db_path && is_run_id(baseline) && access(baseline, F_OK) != 0)
        return cli_usage_error(cmd, "--baseline %s is a run id: it needs --db", baseline);

    la_error err;
    la_error_clear(&err);
    ck_summary cur = {0}, base = {0};
    ck_verdict v = {0};
    sqlite3 *db = NULL;
    int have_base = 0, rc = 0;

    if (db_path) {
        if (access(db_path, R_OK) != 0) {
            rc = la_error_set(&err, LA_EUSAGE, db_path, 0, "cannot read the database: %m");
            goto done;
        }
        if ((rc = db_open(db_path, &db, &err))) goto done;
        int64_t id = run;
        if (!id && (rc = db_latest_audit_run(db, &id, &err))) goto done;
        if ((rc = load_run(db, db_path, id, &cur, &err))) goto done;
        if (!baseline) {
            int64_t prev = 0;
            if ((rc = db_previous_run(db, id, &prev, &err))) goto done;
            if (prev) {
                if ((rc = load_run(db, db_path, prev, &base, &err))) goto done;
                have_base = 1;
            }
        }
    } else if ((rc = ck_summary_load(summary_path, &cur, &err))) {
        goto done;
    }
    if (baseline) {
        if (db && is_run_id(baseline) && access(baseline, F_OK) != 0) {
            rc = load_run(db, db_path, strtoll(baseline, NULL, 10), &base, &err);
        } else {
            rc = ck_summary_load(baseline, &base, &err);
        }
        if (rc) goto done;
        have_base = 1;
    }
    if (have_base && (rc = ck_compare_classes(&cur, &base, &err))) goto done;

    if (have_base && cur.method && base.method && strcmp(cur.method, base.method) && !quiet)
        cli_warn("the baseline used --filter-by %s, this run %s: their error rates may not be comparable",
                 base.method, cur.method);

    /* One confidence level for both: --confidence, else the current run's. */
    if (isnan(conf)) conf = cur.confidence;
    ck_summary_set_confidence(&cur, conf);
    if (have_base) ck_summary_set_confidence(&base, conf);
    if (have_base && isnan(lim.max_increase)) lim.max_increase = 0.0;
    if (!have_base && !isnan(lim.max_increase))
        cli_info(quiet, "labelaudit check: no baseline found, --max-increase is not judged\n");
    if (!cur.has_ci)
        cli_info(quiet, "labelaudit check: %s has no bootstrap intervals; changes are judged on estimates\n",
                 cur.source);

    if ((rc = ck_evaluate(&cur, have_base ? &base : NULL, &lim, &v, &err))) goto done;
    if ((rc = render(fmt, out_path, &cur, have_base ? &base : NULL, &v, &err))) goto done;
    rc = v.nfailed ? LA_CHECK_FAILED : LA_OK;
    if (v.nfailed && (fmt != FMT_TEXT || out_path) && !quiet) {
        /* people reading a CI log see the failing limits whatever the format */
        for (size_t i = 0; i < v.ncases; i++)
            if (v.cases[i].status) fprintf(stderr, "labelaudit check: FAIL %s: %s\n",
                                           v.cases[i].name, v.cases[i].msg);
    }
done:
    ck_verdict_free(&v);
    ck_summary_free(&cur);
    ck_summary_free(&base);
    if (db) db_close(db);
    if (rc > LA_CHECK_FAILED) return cli_report(&err);
    return rc;
}
