/*
 * cmd_report.c — `labelaudit report`: writes the static HTML report of a run
 * recorded in the database (summary page + contact sheets). Parses options,
 * opens the database and calls rp_write_report; prints where the report is.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../report/report.h"

static const char report_usage[] =
    "usage: labelaudit report --db FILE [--run N] --out DIR [--per-page N] [--quiet]\n"
    "\n"
    "Writes DIR/index.html (summary: dataset, class balance, per-class table, noise\n"
    "matrix and confident joint, precision-recall when the run has cv metrics) and\n"
    "contact sheets of the flagged examples (all, and one per given class), with\n"
    "thumbnails in DIR/assets/. Self-contained: opens from disk, no network.\n"
    "The report is built next to DIR and renamed into place; an existing DIR is\n"
    "replaced only when it is empty or an earlier report (holds index.html).\n"
    "\n"
    "  --db FILE        the labelaudit database (required)\n"
    "  --run N          the run to show (default: the latest)\n"
    "  --out DIR        output directory (required)\n"
    "  --per-page N     cards per contact-sheet page (default 200, 1..100000)\n"
    "  --thumb-size PX  thumbnail box in pixels (default 112, 8..1024)\n"
    "  --quiet          print nothing on success\n"
    "  --help           this text\n";

/* Parses argv into the options. Returns -1 to go on, else the exit status
 * (--help printed, or a usage error reported). */
static int report_parse(int argc, char **argv, const char **db_path, const char **out, int *quiet,
                        rp_options *opt)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"run", required_argument, NULL, 'r'},
        {"out", required_argument, NULL, 'o'},
        {"per-page", required_argument, NULL, 'p'},
        {"thumb-size", required_argument, NULL, 't'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    long v;
    int c;
    while ((c = getopt_long(argc, argv, ":d:r:o:p:t:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': *db_path = optarg; break;
        case 'o': *out = optarg; break;
        case 'r':
            if (cli_parse_long("report", "run", optarg, 1, LONG_MAX, &v)) return LA_EUSAGE;
            opt->run_id = v;
            break;
        case 'p':
            if (cli_parse_long("report", "per-page", optarg, 1, 100000, &v)) return LA_EUSAGE;
            opt->per_page = (int)v;
            break;
        case 't':
            if (cli_parse_long("report", "thumb-size", optarg, 8, 1024, &v)) return LA_EUSAGE;
            opt->thumb_box = (int)v;
            break;
        case 'q': *quiet = 1; break;
        case 'h': fputs(report_usage, stdout); return LA_OK;
        default: return cli_getopt_error("report", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
    if (!*db_path) return cli_usage_error("report", "--db FILE is required");
    if (!*out) return cli_usage_error("report", "--out DIR is required");
    return -1;
}

int cmd_report(int argc, char **argv)
{
    const char *db_path = NULL, *out = NULL;
    int quiet = 0;
    rp_options opt;
    rp_options_init(&opt);
    int rc = report_parse(argc, argv, &db_path, &out, &quiet, &opt);
    if (rc >= 0) return rc;

    la_error err = {0};
    sqlite3 *db = NULL;
    if (db_open(db_path, &db, &err)) return cli_report(&err);
    opt.db_path = db_path;   /* named in the report's "next steps" commands */
    rp_result res;
    double t0 = la_now();
    rc = rp_write_report(db, out, &opt, &res, &err);
    db_close(db);
    if (rc) return cli_report(&err);
    if (res.thumb_failures)
        cli_warn("%zu image(s) could not be read for thumbnails (first: %s)", res.thumb_failures,
                 res.first_failure);
    if (!quiet) {
        size_t len = strlen(out);
        while (len > 1 && out[len - 1] == '/') len--;
        printf("report: %.*s/index.html\n", (int)len, out);
        cli_info(quiet, "run %lld: %zu flagged examples on %zu pages, %zu thumbnails, %.2f s\n",
                 (long long)res.run_id, res.cards, res.pages, res.thumbs, la_now() - t0);
    }
    return LA_OK;
}
