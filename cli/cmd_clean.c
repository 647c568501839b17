/*
 * cmd_clean.c — `labelaudit clean`: the reviewers' decisions of an audit run
 * (and, for flagged examples nobody reviewed, an automatic policy) applied
 * to the dataset, written as a new dataset in the input's own format plus
 * changes.csv. A thin shell: it reads the run's review queue from the
 * database, maps it to the dataset's classes and hands it to the clean stage
 * (clean/clean.h), which writes OUT.tmp.PID and renames it to OUT.
 */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../db/db_issues.h"
#include "../db/db_pairs.h"
#include "../io/dataset.h"
#include "../util/la_json.h"
#include "../clean/clean.h"
#include "cmd_common.h"
#include "../cv/inputs.h"
#include "../audit/cs_io.h"
#include "../io/labels.h"
#include "../io/strtab.h"

static const char usage[] =
    "usage: labelaudit clean (--db FILE [--run N] | --consensus DIR) --data DATASET [loader options]\n"
    "           [--labels FILE] --out DIR [--auto none|drop|relabel] [--min-quality Q]\n"
    "           [--relabel-below Q] [--relabel-above P] [--drop-issues TYPES]\n"
    "\n"
    "Applies the review decisions of an audit run to the dataset and writes the\n"
    "cleaned dataset, in the input's own format, to DIR with changes.csv beside it.\n"
    "The input files are never modified.\n"
    "\n"
    "  --db FILE            the labelaudit database holding the audit run (required); the\n"
    "                       loader options the run recorded apply unless given again\n"
    "                       (--missing is not needed: rows are copied byte for byte)\n"
    "  --run N              the audit run (default: the latest audit run)\n"
    "  --consensus DIR      instead of --db: apply the consensus labels of `labelaudit consensus\n"
    "                       --out DIR` (label_quality.csv, indexed by dataset id): relabel where\n"
    "                       the consensus differs from the given label (why reviewer:consensus)\n"
    "  --data PATH          the dataset the run audited (same ids, same order)\n"
    "  --labels FILE        labels used instead of the dataset's own (as given to cv/audit):\n"
    "                       .npy of class indices, or CSV with label (and id) columns\n"
    "  --out DIR            output directory (replaced when it holds an earlier clean output)\n"
    "  --auto POLICY        flagged examples nobody reviewed (pending or skipped):\n"
    "                       none (default: unchanged), drop, or relabel (to the suggested class)\n"
    "  --min-quality Q      apply --auto only to examples whose label quality score < Q\n"
    "  --relabel-below Q    with --auto drop: relabel (to the suggested class) instead of\n"
    "                       dropping when the label quality score is < Q, i.e. when the\n"
    "                       model is sure the given label is wrong; drop the rest\n"
    "  --relabel-above P    with --auto drop: relabel instead of dropping when the\n"
    "                       suggested class has probability >= P, i.e. when the model is\n"
    "                       sure of the new label (P in (0, 1]; e.g. 0.9); drop the rest.\n"
    "                       Needs a run recorded by this version's audit --db\n"
    "  --drop-issues TYPES  drop what the run's dataset checks found (audit --issues ... --db),\n"
    "                       comma-separated: exact_duplicate, near_duplicate,\n"
    "                       image_near_duplicate (each group of copies keeps its lowest row),\n"
    "                       label_conflict (every member), outlier, image (per-image\n"
    "                       defects), leakage (DIR/leaked_test.csv lists the leaked TEST\n"
    "                       examples; no training row is dropped), or all. Rows a\n"
    "                       reviewer decided are never dropped by this (why issue:TYPE);\n"
    "                       a pair answered in serve (drop, keep, keep_both) drops what\n"
    "                       the answer says instead (why pair:drop, pair:keep)\n"
    "  --format text|json   summary on stdout (text)\n"
    "  --quiet              no information on stderr\n"
    "  --help               this help\n"
    "\n"
    "Decisions: relabel -> the reviewer's class; drop -> removed; keep -> unchanged\n"
    "(never touched by --auto). Output by input format:\n"
    "  CSV table   DIR/<name>.csv: same columns; unchanged rows byte for byte,\n"
    "              changed rows with the new class name, dropped rows removed\n"
    "  manifest, image folder   DIR/manifest.csv (id,path,label) and DIR/images/: each\n"
    "              kept image hard-linked there (the same file; copied when the file\n"
    "              system refuses links), so the manifest loads with default options\n"
    "  IDX         DIR/<images> and DIR/<labels> (uncompressed) and DIR/classes.txt;\n"
    "              ids become the new row numbers 0..N'-1\n"
    "  .npy        DIR/<name>.npy (kept rows, float32) and DIR/<name>.labels.csv\n"
    "              (id,label), which the .npy loader reads by default (no --npy-labels)\n"
    "  always      DIR/changes.csv: id,old_label,new_label (or dropped),why\n"
    "              (reviewer:NAME or automatic:drop|relabel)\n"
    "\n";

enum { O_DB = 1, O_RUN, O_CONSENSUS, O_DATA, O_LABELS, O_OUT, O_AUTO, O_MINQ, O_RELABEL_BELOW, O_FORMAT, O_QUIET, O_HELP,
       O_DROP_ISSUES, O_RELABEL_ABOVE };

static const struct option own_options[] = {
    {"db", required_argument, NULL, O_DB},
    {"run", required_argument, NULL, O_RUN},
    {"consensus", required_argument, NULL, O_CONSENSUS},
    {"data", required_argument, NULL, O_DATA},
    {"labels", required_argument, NULL, O_LABELS},
    {"out", required_argument, NULL, O_OUT},
    {"auto", required_argument, NULL, O_AUTO},
    {"min-quality", required_argument, NULL, O_MINQ},
    {"relabel-below", required_argument, NULL, O_RELABEL_BELOW},
    {"relabel-above", required_argument, NULL, O_RELABEL_ABOVE},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
    {"drop-issues", required_argument, NULL, O_DROP_ISSUES},
};
#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct clean_args {
    const char *db, *data, *labels, *out, *consensus;
    long run;
    cln_auto policy;
    unsigned drop_issues;        /* --drop-issues: 1 << cln_issue_kind        */
    double min_quality, relabel_below, relabel_above;
    int json, quiet;
    io_load_opts load;
    unsigned load_given;         /* loader options on the command line      */
} clean_args;

/* --missing's bit in load_given (its place in IO_LOAD_LONG_OPTIONS). */
#define CLEAN_MISSING_BIT 3


static int own_option(void *ctx, int c, const char *arg)
{
    clean_args *a = ctx;
    switch (c) {
    case O_DB: a->db = arg; break;
    case O_RUN: if (cli_parse_long("clean", "--run", arg, 1, LONG_MAX, &a->run)) return LA_EUSAGE; break;
    case O_CONSENSUS: a->consensus = arg; break;
    case O_DATA: a->data = arg; break;
    case O_LABELS: a->labels = arg; break;
    case O_OUT: a->out = arg; break;
    case O_AUTO:
        if (!strcmp(arg, "none")) a->policy = CLN_AUTO_NONE;
        else if (!strcmp(arg, "drop")) a->policy = CLN_AUTO_DROP;
        else if (!strcmp(arg, "relabel")) a->policy = CLN_AUTO_RELABEL;
        else return cli_usage_error("clean", "--auto: '%s' is not none, drop or relabel", arg);
        break;
    case O_MINQ:
        if (cli_parse_double("clean", "--min-quality", arg, 0.0, 1.0, &a->min_quality)) return LA_EUSAGE;
        break;
    case O_RELABEL_BELOW:
        if (cli_parse_double("clean", "--relabel-below", arg, 0.0, 1.0, &a->relabel_below)) return LA_EUSAGE;
        break;
    case O_RELABEL_ABOVE:
        if (cli_parse_double("clean", "--relabel-above", arg, 0.0, 1.0, &a->relabel_above)) return LA_EUSAGE;
        if (!(a->relabel_above > 0))
            return cli_usage_error("clean", "--relabel-above must be in (0, 1], got '%s'", arg);
        break;
    case O_DROP_ISSUES: {
        const char *bad = arg;
        size_t bad_len = 0;
        if (cln_issue_types_parse(arg, &a->drop_issues, &bad, &bad_len))
            return cli_usage_error("clean", "--drop-issues: unknown type '%.*s' (exact_duplicate, near_duplicate, "
                                   "image_near_duplicate, label_conflict, leakage, outlier, image, all)",
                                   (int)bad_len, bad);
        break;
    }
    default: return cli_usage_error("clean", "unknown option");
    }
    return 0;
}

static int parse_args(int argc, char **argv, clean_args *a, int *help)
{
    cli_cmd_parser p = {
        .cmd = "clean", .own = own_options, .n_own = N_OWN, .load = &a->load,
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a, .load_given = &a->load_given,
    };
    int rc = cli_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->db == !a->consensus) return cli_usage_error("clean", "give --db FILE (the review queue) or --consensus DIR");
    if (!a->data) return cli_usage_error("clean", "--data DATASET is required");
    if (!a->out) return cli_usage_error("clean", "--out DIR is required");
    if (a->drop_issues && !a->db) return cli_usage_error("clean", "--drop-issues reads the run's findings: it needs --db");
    if (!isnan(a->min_quality) && a->policy == CLN_AUTO_NONE)
        cli_warn("clean: --min-quality has no effect with --auto none");
    if (!isnan(a->relabel_below) && a->policy != CLN_AUTO_DROP)
        return cli_usage_error("clean", "--relabel-below goes with --auto drop (it says which flagged "
                               "examples to relabel instead of dropping)");
    if (!isnan(a->relabel_above) && a->policy != CLN_AUTO_DROP)
        return cli_usage_error("clean", "--relabel-above goes with --auto drop (it says which flagged "
                               "examples to relabel instead of dropping)");
    if (!isnan(a->relabel_above) && !a->db)
        return cli_usage_error("clean", "--relabel-above reads the run's probabilities: it needs --db");
    return 0;
}

/* ---- the run ------------------------------------------------------------- */

/* Checks that run `run` audited this dataset: same number of examples, same
 * ids in the same order. */
static int check_ids(sqlite3 *db, int64_t run, const la_dataset *ds, const char *dbpath, la_error *err)
{
    char **ids = NULL;
    size_t n = 0;
    if (db_example_ids(db, run, &ids, &n, err)) return err->status;
    int rc = 0;
    if (n != ds->n) {
        rc = la_error_set(err, LA_EUSAGE, ds->path, 0,
                          "does not match run %lld of %s: the run audited %zu examples, the dataset has %zu "
                          "(clean the dataset the run was made on)", (long long)run, dbpath, n, ds->n);
    } else {
        for (size_t i = 0; i < n && !rc; i++)
            if (strcmp(ids[i], ds->ids[i]))
                rc = la_error_set(err, LA_EUSAGE, ds->path, 0,
                                  "does not match run %lld of %s: example %zu has id '%.200s' in the dataset "
                                  "but '%.200s' in the run (clean the dataset the run was made on)",
                                  (long long)run, dbpath, i, ds->ids[i], ids[i]);
    }
    db_free_ids(ids, n);
    return rc;
}

/* What the audit run says about the dataset: its review queue as decisions
 * in the dataset's class indices. */
typedef struct run_queue {
    sqlite3     *db;
    int64_t      run_id;
    db_run       run;
    db_items     items;
    int32_t     *map;           /* run class index -> dataset class index     */
    cln_decision *dec;          /* n_dec                                      */
    size_t       n_dec;
} run_queue;

static void run_queue_free(run_queue *q)
{
    free(q->map);
    free(q->dec);
    db_items_free(&q->items);
    db_run_free(&q->run);
    db_close(q->db);
}

/* Run class index -> dataset class index, by name. */
static int map_classes(run_queue *q, const la_dataset *ds, const char *data, la_error *err)
{
    q->map = la_malloc_array((size_t)q->run.k + 1, sizeof *q->map);
    if (!q->map) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (int64_t c = 0; c < q->run.k; c++) {
        q->map[c] = -1;
        for (size_t j = 0; j < ds->k; j++)
            if (!strcmp(q->run.class_names[c], ds->class_names[j])) q->map[c] = (int32_t)j;
        if (q->map[c] < 0)
            return la_error_set(err, LA_EUSAGE, data, 0, "run %lld has class '%.200s', which the dataset does not have "
                                "(give the same --classes as the audit)", (long long)q->run_id, q->run.class_names[c]);
    }
    return 0;
}

/* Opens the run (--run or the latest audit run), checks it audited ds and
 * turns its review queue into decisions; warns when the labels differ. */
static int open_run(const clean_args *a, run_queue *q, la_error *err)
{
    int rc;
    if ((rc = db_open(a->db, &q->db, err))) return rc;
    q->run_id = a->run;
    if (!q->run_id && (rc = db_latest_audit_run(q->db, &q->run_id, err))) return rc;
    return db_load_run(q->db, q->run_id, &q->run, err);
}

/* The run's review queue (open_run first) as decisions for ds. */
static int load_queue(const clean_args *a, const la_dataset *ds, run_queue *q, la_error *err)
{
    int rc;
    if ((rc = check_ids(q->db, q->run_id, ds, a->db, err))) return rc;
    if ((rc = map_classes(q, ds, a->data, err))) return rc;
    if ((rc = db_queue_list(q->db, q->run_id, NULL, &q->items, NULL, err))) return rc;
    q->dec = la_calloc(q->items.n + 1, sizeof *q->dec);
    if (!q->dec) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t n_given_differs = 0;
    const int32_t *map = q->map;
    int64_t k = q->run.k;
    for (size_t j = 0; j < q->items.n; j++) {
        const db_item *it = &q->items.v[j];
        if (it->row < 0 || (size_t)it->row >= ds->n)
            return la_error_set(err, LA_EUSAGE, a->db, 0, "run %lld: queue row %lld is outside the dataset",
                                (long long)q->run_id, (long long)it->row);
        /* a row only the dataset checks queued is a label decision only
         * once a reviewer decided it (--auto is for label issues) */
        if (it->rank <= 0 && (!strcmp(it->status, "pending") || !strcmp(it->status, "skip"))) continue;
        cln_decision *d = &q->dec[q->n_dec++];
        d->row = (size_t)it->row;
        d->status = it->status;
        d->new_label = it->new_label >= 0 && it->new_label < k ? map[it->new_label] : -1;
        d->suggested = it->suggested >= 0 && it->suggested < k ? map[it->suggested] : -1;
        d->quality = it->quality;
        d->suggested_p = it->suggested_p;
        d->reviewer = it->reviewer;
        if (!isnan(a->relabel_above) && isnan(it->suggested_p) && it->rank > 0)
            return la_error_set(err, LA_EUSAGE, a->db, 0, "run %lld has no probabilities of the suggested classes "
                                "(recorded before labelaudit kept them): --relabel-above needs the audit re-run "
                                "with --db", (long long)q->run_id);
        if (it->given >= 0 && it->given < k && map[it->given] != ds->labels[it->row]) n_given_differs++;
    }
    if (n_given_differs)
        cli_warn("clean: %zu flagged example%s a different label in the data than in run %lld: "
                 "pass the --labels the audit used", n_given_differs, n_given_differs == 1 ? " has" : "s have",
                 (long long)q->run_id);
    return 0;
}

/* --consensus DIR: each example of label_quality.csv (by dataset id) as a
 * decision of reviewer "consensus": relabel to the consensus where it differs
 * from the given label, keep where it agrees. Class names of classes.txt
 * map to the dataset's classes; without it the labels are class indices. */
static int load_consensus(const char *dir, const la_dataset *ds, run_queue *q, la_error *err)
{
    char **ids = NULL, **names = NULL;
    int32_t *lab = NULL;
    size_t n = 0, kn = 0;
    io_strtab rows = {0};
    int rc = cs_read_consensus(dir, &ids, &lab, &n, &names, &kn, err);
    if (!rc && !(q->dec = la_calloc(n + 1, sizeof *q->dec))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < ds->n && !rc; i++)
        if (io_strtab_put(&rows, ds->ids[i], (int)i) == -2) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t t = 0; t < n && !rc; t++) {
        int row = io_strtab_get(&rows, ids[t]);
        int32_t y = lab[t];
        if (names && y < (int32_t)kn) {
            y = -1;
            for (size_t j = 0; j < ds->k; j++)
                if (!strcmp(names[lab[t]], ds->class_names[j])) y = (int32_t)j;
        }
        if (row < 0 || y < 0 || (size_t)y >= ds->k) {
            rc = la_error_set(err, LA_EUSAGE, dir, (long)t + 2, "label_quality.csv: %s '%.200s' is not in the dataset",
                              row < 0 ? "id" : "consensus class", row < 0 ? ids[t] : (names && lab[t] < (int32_t)kn ? names[lab[t]] : "(index)"));
            break;
        }
        int same = ds->labels[row] == y;
        q->dec[q->n_dec++] = (cln_decision){.row = (size_t)row, .status = same ? "keep" : "relabel",
                                            .new_label = same ? -1 : y, .suggested = y, .quality = NAN,
                                            .reviewer = "consensus"};
    }
    io_strtab_free(&rows);
    io_free_strings(ids, n);
    io_free_strings(names, kn);
    free(lab);
    return rc;
}

/* --drop-issues: the run's dataset-check findings as the clean stage's
 * issue drops and leaked test examples (cln_issue_select). */
typedef struct issue_drops {
    db_issues         list;
    cln_issue        *rows;
    const char      **why;          /* ds->n                                 */
    uint8_t          *decided;      /* ds->n: CLN_UNDECIDED / _KEEP / _DROP   */
    cln_leak         *leaks;
    size_t            n_leaks;
    db_issue_example *test_ex;      /* n_leaks: the leaked examples' ids      */
    db_pair_decisions answers;      /* reviewers' pair answers (serve)        */
    cln_pair         *pairs;        /* answers.n of them                      */
} issue_drops;

static void issue_drops_free(issue_drops *x)
{
    for (size_t t = 0; x->test_ex && t < x->n_leaks; t++) db_issue_example_free(&x->test_ex[t]);
    free(x->test_ex);
    free(x->leaks);
    free(x->decided);
    free(x->why);
    free(x->rows);
    db_issues_free(&x->list);
    db_pair_decisions_free(&x->answers);
    free(x->pairs);
}

/* Checks the run recorded what --drop-issues asks for. */
static int issue_drops_check(const clean_args *a, const run_queue *q, la_error *err)
{
    if (!q->run.summary_json || !strstr(q->run.summary_json, "\"dataset_checks\""))
        return la_error_set(err, LA_EUSAGE, a->db, 0, "--drop-issues: run %lld has no dataset-check findings "
                            "(record them with audit --pred-probs P --issues ... --db)", (long long)q->run_id);
    if (!(a->drop_issues & (1u << CLN_ISS_LEAKAGE))) return 0;
    char *test = NULL;
    int64_t n_test = 0;
    if (db_issues_test_split(q->db, q->run_id, &test, &n_test, err)) return err->status;
    int has = test != NULL;
    free(test);
    return has ? 0 : la_error_set(err, LA_EUSAGE, a->db, 0, "--drop-issues leakage: run %lld had no test split "
                                  "(audit --test TESTSET)", (long long)q->run_id);
}

static int load_issue_drops(const clean_args *a, const la_dataset *ds, run_queue *q, issue_drops *x, la_error *err)
{
    int rc = issue_drops_check(a, q, err);
    if (!rc) rc = db_issues_load(q->db, q->run_id, NULL, &x->list, err);
    if (rc) return rc;
    x->rows = la_calloc(x->list.n + 1, sizeof *x->rows);
    x->why = la_calloc(ds->n + 1, sizeof *x->why);
    x->decided = la_calloc(ds->n + 1, 1);
    if (!x->rows || !x->why || !x->decided) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t t = 0; t < x->list.n; t++) {
        const db_issue *d = &x->list.v[t];
        x->rows[t] = (cln_issue){d->row, d->partner, d->partner_test, d->issue, d->score};
    }
    for (size_t j = 0; j < q->items.n; j++) {
        const db_item *it = &q->items.v[j];
        if (it->row < 0 || (size_t)it->row >= ds->n) continue;
        if (!strcmp(it->status, "drop")) x->decided[it->row] = CLN_DECIDED_DROP;
        else if (!strcmp(it->status, "keep") || !strcmp(it->status, "relabel")) x->decided[it->row] = CLN_DECIDED_KEEP;
    }
    if ((rc = db_pair_load(q->db, q->run_id, &x->answers, err))) return rc;
    if (!(x->pairs = la_calloc(x->answers.n + 1, sizeof *x->pairs)))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t t = 0; t < x->answers.n; t++) {
        const db_pair_decision *d = &x->answers.v[t];
        x->pairs[t] = (cln_pair){d->row, d->partner, d->partner_test, (cln_pair_choice)cln_pair_choice_of(d->choice)};
    }
    if ((rc = cln_issue_select_pairs(x->rows, x->list.n, a->drop_issues, ds->n, x->decided, x->pairs, x->answers.n,
                                     x->why, &x->leaks, &x->n_leaks, err)))
        return rc;
    if (!(x->test_ex = la_calloc(x->n_leaks + 1, sizeof *x->test_ex)))
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t t = 0; t < x->n_leaks; t++) {
        int found = 0;
        if (db_issues_example(q->db, q->run_id, 1, x->leaks[t].test, &x->test_ex[t], &found, err)) return err->status;
        if (found) x->leaks[t].test_id = x->test_ex[t].dataset_id;
    }
    return 0;
}

/* The summary on stdout, text or JSON. */
static int print_summary(const clean_args *a, const char *out, const la_dataset *ds, const run_queue *q,
                         const cln_stage_out *so, const issue_drops *x)
{
    const cln_plan *p = &so->plan;
    char data_out[PATH_MAX + NAME_MAX + 2];
    snprintf(data_out, sizeof data_out, "%s/%s", out, so->main_file);
    if (!a->json) {
        char where[64];
        snprintf(where, sizeof where, q->run_id ? "run %lld" : "consensus", (long long)q->run_id);
        printf("%s: %zu flagged; %zu relabeled, %zu dropped (%zu by reviewers, %zu automatic); "
               "%zu kept by reviewers, %zu not reviewed\n",
               where, q->n_dec, p->n_relabeled, p->n_dropped, p->n_by_reviewer,
               p->n_automatic, p->n_kept_by_reviewer, p->n_unreviewed);
        if (a->drop_issues)
            printf("dataset issues: %zu examples dropped%s", p->n_issue_dropped,
                   a->drop_issues & (1u << CLN_ISS_LEAKAGE) ? "" : "\n");
        if (a->drop_issues & (1u << CLN_ISS_LEAKAGE))
            printf("; %zu leaked test examples listed in %s/leaked_test.csv\n", x->n_leaks, out);
        printf("wrote %s (%zu of %zu examples) and %s/changes.csv\n", data_out, so->n_kept, ds->n, out);
        return 0;
    }
    json_t *doc = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                            "run", (json_int_t)q->run_id, "dataset", data_out, "format", io_format_name(ds->format),
                            "examples_in", (json_int_t)ds->n, "examples_out", (json_int_t)so->n_kept,
                            "flagged", (json_int_t)q->n_dec, "relabeled", (json_int_t)p->n_relabeled,
                            "dropped", (json_int_t)p->n_dropped, "by_reviewer", (json_int_t)p->n_by_reviewer,
                            "automatic", (json_int_t)p->n_automatic, "kept_by_reviewer", (json_int_t)p->n_kept_by_reviewer,
                            "unreviewed", (json_int_t)p->n_unreviewed);
    if (!doc) return -1;
    if (a->drop_issues) json_object_set_new(doc, "issue_dropped", json_integer((json_int_t)p->n_issue_dropped));
    if (a->drop_issues & (1u << CLN_ISS_LEAKAGE)) json_object_set_new(doc, "leaked_test", json_integer((json_int_t)x->n_leaks));
    la_json_print(doc, stdout, LA_JSON_EXACT);
    json_decref(doc);
    return 0;
}

int cmd_clean(int argc, char **argv)
{
    clean_args a;
    memset(&a, 0, sizeof a);
    a.min_quality = NAN;
    a.relabel_below = NAN;
    a.relabel_above = NAN;
    io_load_opts_init(&a.load);
    int help = 0, rc = parse_args(argc, argv, &a, &help);
    if (rc || help) {
        if (help) printf("%s%s", usage, io_load_opts_help);
        return rc;
    }
    la_error err;
    la_error_clear(&err);
    la_dataset ds;
    memset(&ds, 0, sizeof ds);
    run_queue q;
    memset(&q, 0, sizeof q);
    cln_stage_out so;
    memset(&so, 0, sizeof so);
    io_load_opts_strings st;
    memset(&st, 0, sizeof st);
    issue_drops x;
    memset(&x, 0, sizeof x);

    /* output directory first: cheap checks before the expensive load */
    char out[PATH_MAX];
    size_t olen = strlen(a.out);
    while (olen > 1 && a.out[olen - 1] == '/') olen--;
    if (olen == 0 || olen >= sizeof out - 64) return cli_usage_error("clean", "--out: bad directory name");
    const char *inputs[] = {a.data, a.labels, a.db ? a.db : a.consensus};
    if ((rc = cln_out_dir_check(a.out, inputs, 3, out, sizeof out, &err))) goto fail;

    /* the run first: its recorded loader options load the dataset as audited */
    if (a.db && (rc = open_run(&a, &q, &err))) goto fail;
    if (a.db && (rc = cli_load_opts_reuse(&a.load, a.load_given, q.run.options_json, 1, &st, &err))) goto fail;
    /* clean never trains: rows are copied byte for byte and images linked,
     * so missing cells need no --missing and images no decoding */
    if (!(a.load_given & (1u << CLEAN_MISSING_BIT))) a.load.missing = IO_MISSING_ZERO;
    a.load.no_features = 1;      /* only manifests and folders decode pixels */
    if ((rc = io_dataset_load(a.data, &a.load, &ds, &err))) goto fail;
    if (!ds.ids) { rc = la_error_set(&err, LA_EINTERNAL, a.data, 0, "dataset without ids"); goto fail; }
    rc = a.labels ? cv_inputs_dataset_labels(a.labels, &ds, &err) : 0;
    cli_print_warnings(ds.warnings, ds.n_warnings);
    if (rc) goto fail;
    if ((rc = a.consensus ? load_consensus(a.consensus, &ds, &q, &err) : load_queue(&a, &ds, &q, &err))) goto fail;
    if (a.drop_issues && (rc = load_issue_drops(&a, &ds, &q, &x, &err))) goto fail;

    cln_stage_in in = {.ds = &ds, .data_path = a.data, .dec = q.dec, .ndec = q.n_dec, .issue_why = x.why,
                       .leaks = x.leaks, .n_leaks = x.n_leaks, .write_leaks = (a.drop_issues >> CLN_ISS_LEAKAGE) & 1};
    cln_stage_opts so_opts = {.automatic = {a.policy, a.min_quality, a.relabel_below, a.relabel_above}, .out_dir = out};
    if ((rc = cln_stage(&in, &so_opts, &so, &err))) goto fail;
    if (print_summary(&a, out, &ds, &q, &so, &x)) {
        rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto fail;
    }
    rc = 0;
    goto done;
fail:
    rc = cli_report(&err);
done:
    cln_stage_out_free(&so);
    issue_drops_free(&x);
    run_queue_free(&q);
    io_dataset_free(&ds);
    io_load_opts_strings_free(&st);
    return rc;
}
