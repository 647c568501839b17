/*
 * cmd_clean.c — `labelaudit clean`: the reviewers' decisions of an audit run
 * (and, for flagged examples nobody reviewed, an automatic policy) applied
 * to the dataset, written as a new dataset in the input's own format plus
 * changes.csv. The input files are never written: everything goes to
 * OUT.tmp.PID, renamed to OUT at the end (an old clean output is replaced).
 */
#include <errno.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "../db/db.h"
#include "../io/dataset.h"
#include "../util/la_dirs.h"
#include "../cv/clean.h"
#include "cmd_common.h"
#include "../cv/inputs.h"

static const char usage[] =
    "usage: labelaudit clean --db FILE [--run N] --data DATASET [loader options]\n"
    "           [--labels FILE] --out DIR [--auto none|drop|relabel] [--min-quality Q]\n"
    "           [--relabel-below Q]\n"
    "\n"
    "Applies the review decisions of an audit run to the dataset and writes the\n"
    "cleaned dataset, in the input's own format, to DIR with changes.csv beside it.\n"
    "The input files are never modified.\n"
    "\n"
    "  --db FILE            the labelaudit database holding the audit run (required)\n"
    "  --run N              the audit run (default: the latest audit run)\n"
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
    "  --format text|json   summary on stdout (text)\n"
    "  --quiet              no information on stderr\n"
    "  --help               this help\n"
    "\n"
    "Decisions: relabel -> the reviewer's class; drop -> removed; keep -> unchanged\n"
    "(never touched by --auto). Output by input format:\n"
    "  CSV table   DIR/<name>.csv: same columns; unchanged rows byte for byte,\n"
    "              changed rows with the new class name, dropped rows removed\n"
    "  manifest, image folder   DIR/manifest.csv (id,path,label), paths relative to\n"
    "              DIR (they leave DIR: load it with --allow-outside-root)\n"
    "  IDX         DIR/<images> and DIR/<labels> (uncompressed) and DIR/classes.txt;\n"
    "              ids become the new row numbers 0..N'-1\n"
    "  .npy        DIR/<name>.npy (kept rows, float32) and DIR/labels.csv (id,label):\n"
    "              load with --npy-labels DIR/labels.csv\n"
    "  always      DIR/changes.csv: id,old_label,new_label (or dropped),why\n"
    "              (reviewer:NAME or automatic:drop|relabel)\n"
    "\n";

enum { O_DB = 1, O_RUN, O_DATA, O_LABELS, O_OUT, O_AUTO, O_MINQ, O_RELABEL_BELOW, O_FORMAT, O_QUIET, O_HELP };

static const struct option own_options[] = {
    {"db", required_argument, NULL, O_DB},
    {"run", required_argument, NULL, O_RUN},
    {"data", required_argument, NULL, O_DATA},
    {"labels", required_argument, NULL, O_LABELS},
    {"out", required_argument, NULL, O_OUT},
    {"auto", required_argument, NULL, O_AUTO},
    {"min-quality", required_argument, NULL, O_MINQ},
    {"relabel-below", required_argument, NULL, O_RELABEL_BELOW},
    {"format", required_argument, NULL, O_FORMAT},
    {"quiet", no_argument, NULL, O_QUIET},
    {"help", no_argument, NULL, O_HELP},
};
#define N_OWN (sizeof own_options / sizeof *own_options)

typedef struct clean_args {
    const char *db, *data, *labels, *out;
    long run;
    cln_auto policy;
    double min_quality, relabel_below;
    int json, quiet;
    io_load_opts load;
} clean_args;

static int own_option(void *ctx, int c, const char *arg)
{
    clean_args *a = ctx;
    switch (c) {
    case O_DB: a->db = arg; break;
    case O_RUN: if (cli_parse_long("clean", "--run", arg, 1, LONG_MAX, &a->run)) return LA_EUSAGE; break;
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
    default: return cli_usage_error("clean", "unknown option");
    }
    return 0;
}

static int parse_args(int argc, char **argv, clean_args *a, int *help)
{
    cli_cmd_parser p = {
        .cmd = "clean", .own = own_options, .n_own = N_OWN, .load = &a->load,
        .json = &a->json, .quiet = &a->quiet, .own_option = own_option, .ctx = a,
    };
    int rc = cli_cmd_parse(&p, argc, argv, help);
    if (rc || *help) return rc;
    if (!a->db) return cli_usage_error("clean", "--db FILE is required");
    if (!a->data) return cli_usage_error("clean", "--data DATASET is required");
    if (!a->out) return cli_usage_error("clean", "--out DIR is required");
    if (!isnan(a->min_quality) && a->policy == CLN_AUTO_NONE)
        cli_warn("clean: --min-quality has no effect with --auto none");
    if (!isnan(a->relabel_below) && a->policy != CLN_AUTO_DROP)
        return cli_usage_error("clean", "--relabel-below goes with --auto drop (it says which flagged "
                               "examples to relabel instead of dropping)");
    return 0;
}

/* ---- output directory ------------------------------------------------- */

/* 1 when path (an existing file) lies inside dir (an existing directory). */
static int inside(const char *path, const char *dir)
{
    char rp[PATH_MAX], rd[PATH_MAX];
    if (!path || !realpath(path, rp) || !realpath(dir, rd)) return 0;
    size_t n = strlen(rd);
    return !strncmp(rp, rd, n) && (rp[n] == '/' || rp[n] == 0);
}

/* IDX output names: the source's base name without ".gz", and its labels
 * twin ("images" -> "labels", "idx3" -> "idx1"). */
static void idx_names(const char *src, char *img, char *lab, size_t sz)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", src);
    snprintf(img, sz, "%s", basename(tmp));
    size_t n = strlen(img);
    if (n > 3 && !strcmp(img + n - 3, ".gz")) img[n - 3] = 0;
    snprintf(lab, sz, "%s", img);
    char *p = strstr(lab, "images");
    if (p) memcpy(p, "labels", 6);
    p = strstr(lab, "idx3");
    if (p) p[3] = '1';
    if (!strcmp(lab, img)) snprintf(lab, sz, "labels-idx1-ubyte");
}

/* Writes the cleaned dataset into dir; *main_file gets the name of the file
 * to pass as --data afterwards (relative to dir). */
static int write_dataset(const clean_args *a, const la_dataset *ds, const cln_plan *p,
                         const char *dir, char *main_file, size_t mfsz, la_error *err)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", a->data);
    const char *base = basename(tmp);
    switch (ds->format) {
    case IO_FORMAT_CSV: {
        size_t lc = ds->n_columns;
        for (size_t j = 0; j < ds->n_columns; j++)
            if (ds->columns[j].type == IO_COL_LABEL) lc = j;
        if (lc == ds->n_columns) return la_error_set(err, LA_EUSAGE, a->data, 1, "no label column");
        snprintf(main_file, mfsz, "%s", base);
        if (la_path_join(path, sizeof path, dir, main_file)) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        return cln_write_csv(a->data, lc, ds, p, path, err);
    }
    case IO_FORMAT_MANIFEST:
    case IO_FORMAT_FOLDER:
        snprintf(main_file, mfsz, "manifest.csv");
        if (la_path_join(path, sizeof path, dir, main_file)) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        return cln_write_manifest(ds, p, dir, path, err);
    case IO_FORMAT_IDX: {
        char img[NAME_MAX + 1], lab[NAME_MAX + 1], lp[PATH_MAX];
        idx_names(a->data, img, lab, sizeof img);
        snprintf(main_file, mfsz, "%s", img);
        if (la_path_join(path, sizeof path, dir, img) || la_path_join(lp, sizeof lp, dir, lab))
            return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        if (cln_write_idx(a->data, ds, p, path, lp, err)) return err->status;
        if (la_path_join(path, sizeof path, dir, "classes.txt")) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        return cv_write_class_names(path, ds, err);
    }
    case IO_FORMAT_NPY:
        snprintf(main_file, mfsz, "%s", base);
        if (la_path_join(path, sizeof path, dir, main_file)) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        if (cln_write_features_npy(ds, p, path, err)) return err->status;
        if (la_path_join(path, sizeof path, dir, "labels.csv")) return la_error_set(err, LA_EUSAGE, dir, 0, "path too long");
        return cln_write_labels_csv(ds, p, path, err);
    default:
        return la_error_set(err, LA_EUSAGE, a->data, 0, "cannot write a cleaned %s dataset", io_format_name(ds->format));
    }
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

int cmd_clean(int argc, char **argv)
{
    clean_args a;
    memset(&a, 0, sizeof a);
    a.min_quality = NAN;
    a.relabel_below = NAN;
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
    sqlite3 *db = NULL;
    db_run run;
    memset(&run, 0, sizeof run);
    db_items items = {0, NULL};
    cln_decision *dec = NULL;
    int32_t *map = NULL, *old = NULL;
    cln_plan plan;
    memset(&plan, 0, sizeof plan);
    char tmpdir[PATH_MAX + 64] = "";
    json_t *doc = NULL;

    /* output directory first: cheap checks before the expensive load */
    char out[PATH_MAX];
    size_t olen = strlen(a.out);
    while (olen > 1 && a.out[olen - 1] == '/') olen--;
    if (olen == 0 || olen >= sizeof out - 64) return cli_usage_error("clean", "--out: bad directory name");
    memcpy(out, a.out, olen);
    out[olen] = 0;
    struct stat sb;
    if (stat(out, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) { rc = la_error_set(&err, LA_EUSAGE, out, 0, "exists and is not a directory"); goto fail; }
        if (inside(a.data, out) || inside(a.labels, out) || inside(a.db, out)) {
            rc = la_error_set(&err, LA_EUSAGE, out, 0, "holds the input files; write the cleaned dataset elsewhere");
            goto fail;
        }
        if (!la_dir_replaceable(out, "changes.csv")) {
            rc = la_error_set(&err, LA_EUSAGE, out, 0, "exists and is not an earlier clean output (no changes.csv); "
                              "refusing to replace it");
            goto fail;
        }
    }

    if ((rc = io_dataset_load(a.data, &a.load, &ds, &err))) goto fail;
    if (!ds.ids) { rc = la_error_set(&err, LA_EINTERNAL, a.data, 0, "dataset without ids"); goto fail; }
    if (a.labels && (rc = cv_inputs_labels(a.labels, ds.ids, ds.n, ds.class_names, ds.k, ds.labels, &err)))
        goto fail;

    if ((rc = db_open(a.db, &db, &err))) goto fail;
    int64_t run_id = a.run;
    if (!run_id && (rc = db_latest_audit_run(db, &run_id, &err))) goto fail;
    if ((rc = db_load_run(db, run_id, &run, &err))) goto fail;
    if ((rc = check_ids(db, run_id, &ds, a.db, &err))) goto fail;

    /* run class index -> dataset class index, by name */
    map = la_malloc_array((size_t)run.k + 1, sizeof *map);
    if (!map) goto oom;
    for (int64_t c = 0; c < run.k; c++) {
        map[c] = -1;
        for (size_t j = 0; j < ds.k; j++)
            if (!strcmp(run.class_names[c], ds.class_names[j])) map[c] = (int32_t)j;
        if (map[c] < 0) {
            rc = la_error_set(&err, LA_EUSAGE, a.data, 0, "run %lld has class '%.200s', which the dataset does not have "
                              "(give the same --classes as the audit)", (long long)run_id, run.class_names[c]);
            goto fail;
        }
    }

    if ((rc = db_queue_list(db, run_id, NULL, &items, NULL, &err))) goto fail;
    dec = la_calloc(items.n + 1, sizeof *dec);
    if (!dec) goto oom;
    size_t n_given_differs = 0;
    for (size_t j = 0; j < items.n; j++) {
        const db_item *it = &items.v[j];
        if (it->row < 0 || (size_t)it->row >= ds.n) {
            rc = la_error_set(&err, LA_EUSAGE, a.db, 0, "run %lld: queue row %lld is outside the dataset",
                              (long long)run_id, (long long)it->row);
            goto fail;
        }
        dec[j].row = (size_t)it->row;
        dec[j].status = it->status;
        dec[j].new_label = it->new_label >= 0 && it->new_label < run.k ? map[it->new_label] : -1;
        dec[j].suggested = it->suggested >= 0 && it->suggested < run.k ? map[it->suggested] : -1;
        dec[j].quality = it->quality;
        dec[j].reviewer = it->reviewer;
        if (it->given >= 0 && it->given < run.k && map[it->given] != ds.labels[it->row]) n_given_differs++;
    }
    if (n_given_differs)
        cli_warn("clean: %zu flagged example%s a different label in the data than in run %lld: "
                 "pass the --labels the audit used", n_given_differs, n_given_differs == 1 ? " has" : "s have",
                 (long long)run_id);

    old = la_malloc_array(ds.n + 1, sizeof *old);
    if (!old) goto oom;
    memcpy(old, ds.labels, ds.n * sizeof *old);
    if ((rc = cln_plan_make(ds.labels, ds.n, dec, items.n, a.policy, a.min_quality, a.relabel_below, &plan, &err))) goto fail;

    /* write everything into OUT.tmp.PID, then rename */
    snprintf(tmpdir, sizeof tmpdir, "%s.tmp.%ld", out, (long)getpid());
    {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%s", out);
        if ((rc = la_mkdir_p(dirname(parent), &err))) { tmpdir[0] = 0; goto fail; }
    }
    if (mkdir(tmpdir, 0755) != 0) {
        rc = la_error_set(&err, LA_EINTERNAL, tmpdir, 0, "mkdir: %s", strerror(errno));
        tmpdir[0] = 0;
        goto fail;
    }
    char main_file[NAME_MAX + 1], path[PATH_MAX];
    if ((rc = write_dataset(&a, &ds, &plan, tmpdir, main_file, sizeof main_file, &err))) goto fail;
    la_path_join(path, sizeof path, tmpdir, "changes.csv");
    if ((rc = cln_write_changes(path, &ds, old, &plan, &err))) goto fail;
    if (la_dir_swap_in(tmpdir, out)) {
        rc = la_error_set(&err, LA_EINTERNAL, out, 0, "rename: %s", strerror(errno));
        goto fail;
    }
    tmpdir[0] = 0;

    size_t kept = ds.n - plan.n_dropped;
    char data_out[PATH_MAX + NAME_MAX + 2];
    snprintf(data_out, sizeof data_out, "%s/%s", out, main_file);
    doc = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                    "run", (json_int_t)run_id, "dataset", data_out, "format", io_format_name(ds.format),
                    "examples_in", (json_int_t)ds.n, "examples_out", (json_int_t)kept,
                    "flagged", (json_int_t)items.n, "relabeled", (json_int_t)plan.n_relabeled,
                    "dropped", (json_int_t)plan.n_dropped, "by_reviewer", (json_int_t)plan.n_by_reviewer,
                    "automatic", (json_int_t)plan.n_automatic, "kept_by_reviewer", (json_int_t)plan.n_kept_by_reviewer,
                    "unreviewed", (json_int_t)plan.n_unreviewed);
    if (!doc) goto oom;
    if (a.json) {
        char *s = json_dumps(doc, JSON_INDENT(2));
        if (s) { puts(s); free(s); }
    } else {
        printf("run %lld: %zu flagged; %zu relabeled, %zu dropped (%zu by reviewers, %zu automatic); "
               "%zu kept by reviewers, %zu not reviewed\n",
               (long long)run_id, items.n, plan.n_relabeled, plan.n_dropped, plan.n_by_reviewer,
               plan.n_automatic, plan.n_kept_by_reviewer, plan.n_unreviewed);
        printf("wrote %s (%zu of %zu examples) and %s/changes.csv\n", data_out, kept, ds.n, out);
    }
    rc = 0;
    goto done;
oom:
    rc = la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    rc = cli_report(&err);
done:
    if (tmpdir[0]) la_dir_remove_tree(tmpdir);
    json_decref(doc);
    cln_plan_free(&plan);
    free(old); free(map); free(dec);
    db_items_free(&items);
    db_run_free(&run);
    db_close(db);
    io_dataset_free(&ds);
    return rc;
}
