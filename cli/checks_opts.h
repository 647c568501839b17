/*
 * checks_opts.h — the dataset checks (checks/checks.h) on `audit`'s command
 * line: their long options and parser, the inputs they read (features .npy,
 * a test set), and the two ways `audit` runs them: alone (no --pred-probs:
 * feature checks only) or beside the label audit, whose summary.json then
 * gains a "dataset_checks" object. Command layer only.
 */
#ifndef LA_CLI_CHECKS_OPTS_H
#define LA_CLI_CHECKS_OPTS_H

#include <getopt.h>
#include "../checks/checks.h"

struct au_cli;
struct au_loaded;
struct au_result;

/* Option codes [DC_OPT_BASE, DC_OPT_BASE + 16); entries only (no terminator).
 * --features is the loader's option name too (a CSV table's columns): a
 * value ending in .npy is a feature matrix (ours), anything else stays the
 * loader's column list. */
#define DC_OPT_BASE 1300
#define DC_CLI_LONG_OPTIONS \
    {"test",                     required_argument, 0, DC_OPT_BASE + 1}, \
    {"test-features",            required_argument, 0, DC_OPT_BASE + 2}, \
    {"issues",                   required_argument, 0, DC_OPT_BASE + 3}, \
    {"k",                        required_argument, 0, DC_OPT_BASE + 4}, \
    {"near-duplicate-threshold", required_argument, 0, DC_OPT_BASE + 5}, \
    {"metric",                   required_argument, 0, DC_OPT_BASE + 6}, \
    {"outlier-score",            required_argument, 0, DC_OPT_BASE + 7}, \
    {"pca-components",           required_argument, 0, DC_OPT_BASE + 8}

struct dc_cli_kept;

typedef struct dc_cli {
    const char *features;             /* --features FILE.npy                      */
    const char *test;                 /* --test TESTSET (dataset or .npy matrix)  */
    const char *test_features;        /* --test-features FILE.npy                 */
    const char *issues;               /* --issues LIST as given                   */
    dc_opts     o;
    struct dc_cli_kept *kept;         /* dc_cli_with_audit's result, kept for
                                         dc_cli_record; dc_cli_free           */
} dc_cli;

extern const char dc_cli_help[];

void dc_cli_init(dc_cli *c);

/* 0 when code was one of ours with a good value (the loader's --features
 * code with a .npy value included), LA_EUSAGE after printing the usage
 * error, -1 when code is not ours. */
int dc_cli_handle(dc_cli *c, int code, const char *value, const char *cmd);

/* 1 when feature checks were asked for beside a label audit: --features,
 * --test, --test-features, or --issues naming a check other than label. */
int dc_cli_active(const dc_cli *c);

/* `audit` without --pred-probs: the dataset checks alone. Returns the exit
 * status (messages printed). With --db it refuses (exit 2) before any work:
 * a run is an audit run, with labels and probabilities. */
int dc_cli_features_only(struct au_cli *a);

/* After au_run: the checks on the audit's dataset (in->ds) or --features,
 * their files written into a->out, issues.csv with the label issues too,
 * and res->summary_json given "dataset_checks". 0 or a status (err set). */
int dc_cli_with_audit(struct au_cli *a, struct au_loaded *in, struct au_result *res, la_error *err);

/* After dc_cli_with_audit, when it kept findings (a->dc.kept): records the audit run with them
 * in the database a->db (rp_record_audit_checks) and says so unless quiet.
 * 0 or a status (err set, not printed). */
int dc_cli_record(struct au_cli *a, struct au_loaded *ld, const struct au_result *res, la_error *err);

/* Frees what dc_cli_with_audit kept (safe when nothing was). */
void dc_cli_free(dc_cli *c);

#endif
