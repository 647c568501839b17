/*
 * audit_opts.h — the audit stage on the command line, shared by `audit` and
 * `cv --audit`: the stage's long options and their parser into au_opts, the
 * whole `audit` argument parser and help text, and the lines both commands
 * print about an audit (warnings, the recorded run, the summary).
 * Command layer only: the stage itself (audit/audit.h) takes a filled au_opts.
 */
#ifndef LA_CLI_AUDIT_OPTS_H
#define LA_CLI_AUDIT_OPTS_H

#include <getopt.h>
#include "../audit/audit.h"
#include "checks_opts.h"

/* The stage's options: commands put AU_STAGE_LONG_OPTIONS in their struct
 * option array (entries only, no terminator) and pass codes in
 * [AU_OPT_BASE, AU_OPT_BASE + 64) to au_opts_handle. (--seed and --threads
 * also set au_opts but are the command's own: cv has its own meaning.) */
#define AU_OPT_BASE 1200
#define AU_STAGE_LONG_OPTIONS \
    {"filter-by",               required_argument, 0, AU_OPT_BASE + 0}, \
    {"rank-by",                 required_argument, 0, AU_OPT_BASE + 1}, \
    {"frac-noise",              required_argument, 0, AU_OPT_BASE + 2}, \
    {"num-to-remove-per-class", required_argument, 0, AU_OPT_BASE + 3}, \
    {"min-examples-per-class",  required_argument, 0, AU_OPT_BASE + 4}, \
    {"scores",                  no_argument,       0, AU_OPT_BASE + 5}, \
    {"corrected",               no_argument,       0, AU_OPT_BASE + 6}, \
    {"bootstrap",               required_argument, 0, AU_OPT_BASE + 7}, \
    {"confidence",              required_argument, 0, AU_OPT_BASE + 8}

/* Returns 0 when c was a stage option with a good value (the
 * --num-to-remove-per-class text goes to *remove_arg: it needs K, known only
 * once the probabilities are open), LA_EUSAGE after printing a usage error,
 * -1 when c is not a stage option. */
int au_opts_handle(au_opts *o, const char **remove_arg, int c, const char *value, const char *cmd);

/* The checks across options: --num-to-remove-per-class only with the prune
 * filters. 0, or LA_EUSAGE after printing the usage error. */
int au_opts_check(const au_opts *o, const char *remove_arg, const char *cmd);

/* `labelaudit audit`'s arguments. */
enum { AU_CLI_MAX_MEAN = 16 };        /* --pred-probs given at most this often */
typedef struct au_cli {
    au_opts      o;
    au_files     files;
    char        *probs_more[AU_CLI_MAX_MEAN];   /* --pred-probs given again: files.probs_more */
    char         mean_path[4096];     /* files.mean_path: OUT/AU_MEAN_FILE      */
    io_load_opts lo;                  /* files.load points here                */
    const char  *out, *summary, *db, *remove_arg;
    int          quiet, json;
    long         top;                 /* --top N: print the N worst issues (0: no) */
    dc_cli       dc;                  /* the dataset checks (checks_opts.h)    */
    int          multi_label;         /* --multi-label (audit_multilabel.c)    */
} au_cli;

/* Parses `audit`'s argv into a (defaults first). Returns 0 with *done = 1
 * after printing --help, 0 with *done = 0 to go on, or LA_EUSAGE (printed). */
int au_cli_parse(int argc, char **argv, au_cli *a, int *done);

/* `audit --multi-label` after au_cli_parse (audit_multilabel.c): the exit status. */
int au_ml_cli_run(const au_cli *a);

/* ---- what audit and cv --audit print ------------------------------------ */

/* The warnings about files au_write left out (single class; the
 * confidence_weighted_entropy score file). */
void au_cli_warn_skipped(const au_result *r, const au_opts *o, const char *probs_path);

/* Records r (with the report digest from ds, may be NULL) in the database
 * db_path and says so unless quiet. 0 or the status (err set, not printed). */
int au_cli_record(const char *db_path, const au_input *in, const au_opts *o, const au_result *r,
                  const la_dataset *ds, int quiet, la_error *err);

/* The closing lines: LABELAUDIT_TIMING's line when set; summary.json on
 * stdout when json, else (unless quiet) the summary on stderr. t0: when the
 * command started (la_now), t_run: when au_run returned. */
void au_cli_print_summary(const au_result *r, const au_input *in, const au_opts *o, const char *out_dir,
                          double t0, double t_run, int quiet, int json);

#endif
