/*
 * cmd_decisions.c — `labelaudit decisions`: moves review decisions out of the
 * database (CSV or JSON) and in from a CSV made elsewhere. Parses options and
 * calls the stages: rp_decisions_export, or rp_decisions_read then
 * db_import_decisions (all-or-nothing: every row validated in one
 * transaction); or summarises what reviewers found (--summary:
 * rp_verdicts_load, then a table here or rp_verdicts_json).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../report/rp_decisions.h"
#include "../report/rp_verdicts.h"
#include "../util/la_json.h"

static const char decisions_usage[] =
    "usage: labelaudit decisions --db FILE [--run N] [--format csv|json] [--all] [--out FILE]\n"
    "       labelaudit decisions --db FILE [--run N] --import FILE\n"
    "       labelaudit decisions --db FILE [--run N] --summary [--format text|json]\n"
    "\n"
    "Exports the review decisions of a run (default: the latest), or imports\n"
    "decisions made elsewhere.\n"
    "\n"
    "  --db FILE        the labelaudit database (required)\n"
    "  --run N          the run (default: the latest)\n"
    "  --format F       export format: csv (default) or json\n"
    "  --all            export pending rows too (decision 'pending')\n"
    "  --out FILE       write the export to FILE (atomically) instead of stdout\n"
    "  --import FILE    import a CSV with header id,decision,new_label,reviewer,note\n"
    "                   (columns found by name; extra columns ignored). decision is\n"
    "                   keep|relabel|drop|skip, new_label a class name (relabel only).\n"
    "                   verdict (optional) is error|ambiguous|false_alarm or empty.\n"
    "                   Every row is checked; one bad row imports nothing.\n"
    "  --summary        what reviewers found: among decided examples (keep, relabel,\n"
    "                   drop) with a verdict, the share judged error, ambiguous and\n"
    "                   false_alarm per class and overall, with 95% Wilson intervals.\n"
    "                   The error share is the audit's precision as people judged it;\n"
    "                   corrected rate = estimated rate x precision (interval: the\n"
    "                   estimated rate x the precision's interval).\n"
    "  --quiet          no summary on stderr\n"
    "  --help           this text\n"
    "\n"
    "CSV export columns: id,decision,new_label,reviewer,note,given,suggested,score,\n"
    "rank,decided_at,verdict (class names, not indices), readable back with --import.\n";

/* Exports the decisions (to out, or stdout). */
static int do_export(sqlite3 *db, int64_t run_id, int json, int all, const char *out)
{
    la_error err;
    la_error_clear(&err);
    rp_export_opts o = {.format = json ? RP_DECISIONS_JSON : RP_DECISIONS_CSV, .all = all,
                        .path = out, .stream = stdout};
    return rp_decisions_export(db, run_id, &o, &err) ? cli_report(&err) : LA_OK;
}

/* Reads the import CSV and applies it in one transaction. */
static int do_import(sqlite3 *db, int64_t run_id, const char *path, int quiet)
{
    la_error err;
    la_error_clear(&err);
    rp_decisions_file file;
    if (rp_decisions_read(path, &file, &err)) return cli_report(&err);
    size_t applied = 0;
    int rc = db_import_decisions(db, run_id, path, file.rows, file.n, &applied, &err);
    rp_decisions_file_free(&file);
    if (rc) return cli_report(&err);
    cli_info(quiet, "labelaudit decisions: imported %zu decision%s from %s\n", applied, applied == 1 ? "" : "s", path);
    return LA_OK;
}

/* ---- --summary ------------------------------------------------------------- */

/* "0.600 [0.313, 0.832]", or "-" when nothing was judged. */
static void prop_cell(const rp_prop *p, char *buf, size_t n)
{
    if (p->n <= 0) snprintf(buf, n, "-");
    else snprintf(buf, n, "%.3f [%.3f, %.3f]", p->p, p->lo, p->hi);
}

static void summary_row(const char *name, const rp_verdict_group *g)
{
    char e[64], a[64], f[64], c[64];
    prop_cell(&g->error, e, sizeof e);
    prop_cell(&g->ambiguous, a, sizeof a);
    prop_cell(&g->false_alarm, f, sizeof f);
    if (g->judged > 0) snprintf(c, sizeof c, "%.4f [%.4f, %.4f]", g->corrected, g->corrected_lo, g->corrected_hi);
    else snprintf(c, sizeof c, "-");
    cli_pad(stdout, name, 20, 0);
    printf(" %7lld %8lld  %-21s %-21s %-21s %9.4f  %s\n", (long long)g->decided, (long long)g->judged, e, a, f,
           g->est_rate, c);
}

/* The summary as a table (stdout) or JSON. */
static int do_summary(sqlite3 *db, int64_t run_id, int json)
{
    la_error err;
    la_error_clear(&err);
    rp_verdicts v;
    if (rp_verdicts_load(db, run_id, 0.95, &v, &err)) return cli_report(&err);
    int rc = LA_OK;
    if (json) {
        json_t *j = rp_verdicts_json(&v);
        if (!j || la_json_print(j, stdout, LA_JSON_READABLE)) rc = LA_EINTERNAL;
        json_decref(j);
    } else {
        printf("run %lld: what reviewers found (95%% Wilson intervals; shares of the decided examples with a verdict)\n",
               (long long)v.run_id);
        cli_pad(stdout, "class", 20, 0);
        printf(" %7s %8s  %-21s %-21s %-21s %9s  %s\n", "decided", "verdicts", "error (precision)", "ambiguous",
               "false alarm", "est. rate", "corrected rate");
        summary_row("overall", &v.overall);
        for (size_t c = 0; c < v.k; c++) summary_row(v.classes[c], &v.per_class[c]);
        printf("corrected rate = est. rate x precision; its interval = est. rate x the precision's interval\n");
        if (v.overall.judged == 0) printf("no decision has a verdict yet (serve, review: keys e, a, f)\n");
    }
    rp_verdicts_free(&v);
    if (rc) fprintf(stderr, "labelaudit: cannot write the summary\n");
    return rc;
}

/* ---- command --------------------------------------------------------------- */

int cmd_decisions(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},     {"run", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'}, {"all", no_argument, NULL, 'a'},
        {"out", required_argument, NULL, 'o'},    {"import", required_argument, NULL, 'i'},
        {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
        {"summary", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    const char *dbpath = NULL, *import = NULL, *out = NULL;
    long run = 0;
    int json = 0, all = 0, quiet = 0, summary = 0, c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': dbpath = optarg; break;
        case 'r':
            if (cli_parse_long("decisions", "run", optarg, 1, LONG_MAX, &run))
                return LA_EUSAGE;
            break;
        case 'f':
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "csv") || !strcmp(optarg, "text")) json = 0;
            else return cli_usage_error("decisions", "--format must be csv, text or json, got '%s'", optarg);
            break;
        case 'a': all = 1; break;
        case 'o': out = optarg; break;
        case 'i': import = optarg; break;
        case 'q': quiet = 1; break;
        case 's': summary = 1; break;
        case 'h': fputs(decisions_usage, stdout); return LA_OK;
        default: return cli_getopt_error("decisions", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("decisions", "unexpected argument '%s'", argv[optind]);
    if (!dbpath) return cli_usage_error("decisions", "--db FILE is required");
    if (import && (out || json || all))
        return cli_usage_error("decisions", "--import cannot be combined with --out, --format or --all");
    if (summary && (import || out || all))
        return cli_usage_error("decisions", "--summary cannot be combined with --import, --out or --all");
    struct stat stb;
    if (stat(dbpath, &stb) != 0) {
        fprintf(stderr, "labelaudit: %s: no such database (run 'labelaudit audit --db' first)\n", dbpath);
        return LA_EUSAGE;
    }
    sqlite3 *db = NULL;
    la_error err;
    la_error_clear(&err);
    if (db_open(dbpath, &db, &err)) return cli_report(&err);
    int rc = summary  ? do_summary(db, run, json)
           : import ? do_import(db, run, import, quiet)
                    : do_export(db, run, json, all, out);
    db_close(db);
    return rc;
}
