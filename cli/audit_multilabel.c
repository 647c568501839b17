/*
 * audit_multilabel.c — `labelaudit audit --multi-label`: multi-hot labels
 * (a CSV column of class lists or a 0/1 indicator .npy) and N x K
 * independent per-class probabilities in, the multi-label audit's files
 * out (audit/au_multilabel.h). A shell: read, match rows, run, write, print.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "audit_opts.h"
#include "cmd_common.h"
#include "../audit/au_multilabel.h"
#include "../io/labels.h"
#include "../util/la_json.h"

/* The options a multi-label audit cannot honour: LA_EUSAGE (printed). */
static int aml_cli_refuse(const au_cli *a)
{
    const char *cmd = "audit";
    if (!a->files.labels) return cli_usage_error(cmd, "--multi-label needs --labels (lists of classes per row)");
    if (a->files.data) return cli_usage_error(cmd, "--multi-label does not read --data: give --labels");
    if (a->db) return cli_usage_error(cmd, "--db is not supported with --multi-label");
    if (a->remove_arg) return cli_usage_error(cmd, "--num-to-remove-per-class is not supported with --multi-label");
    if (dc_cli_active(&a->dc)) return cli_usage_error(cmd, "the dataset checks are not supported with --multi-label");
    return 0;
}

/* Class names: --classes, else the probability header's, else none. */
static int aml_cli_names(const au_cli *a, const io_probs *p, char ***owned, char *const **names, la_error *err)
{
    *owned = NULL;
    *names = p->class_names;
    if (!a->lo.classes_file) return 0;
    size_t k = 0;
    int rc = io_class_names_load(a->lo.classes_file, owned, &k, err);
    if (rc) return rc;
    if (k != p->k) {
        io_free_strings(*owned, k);
        *owned = NULL;
        return la_error_set(err, LA_EUSAGE, a->lo.classes_file, 0, "%zu class names for the %zu probability columns "
                            "of %s", k, p->k, a->files.probs);
    }
    *names = *owned;
    return 0;
}

static void aml_cli_print(const aml_result *r, const aml_opts *o, const char *out, double t0)
{
    fprintf(stderr,
            "audited %zu examples, %zu classes (multi-label) in %.2f s\n"
            "  flagged for review:      %zu examples (filter %s per class, ranked by %s) -> %s/label_issues.csv\n"
            "  label health score:      %.4f\n",
            r->n, r->k, la_now() - t0, r->n_flagged, cl_filter_names[o->filter], cl_rank_names[o->rank], out,
            r->health);
}

int au_ml_cli_run(const au_cli *a)
{
    int rc = aml_cli_refuse(a);
    if (rc) return rc;
    double t0 = la_now();
    la_error err;
    la_error_clear(&err);
    io_probs p = {0};
    aml_labels y = {0};
    aml_result r = {0};
    char **owned = NULL;
    char *const *names = NULL;
    aml_opts o;
    aml_opts_init(&o);
    o.filter = a->o.filter;
    o.rank = a->o.rank;
    o.frac_noise = a->o.frac_noise;
    o.nmin = a->o.nmin;
    o.threads = a->o.threads;
    o.probs_path = a->files.probs;
    if ((rc = io_probs_load(a->files.probs, &p, &err))) goto fail;
    cli_print_warnings(p.warnings, p.n_warnings);
    if ((rc = aml_cli_names(a, &p, &owned, &names, &err))) goto fail;
    if ((rc = aml_labels_load(a->files.labels, p.k, names, &y, &err))) goto fail;
    if (p.ids && y.ids) rc = io_probs_reorder(&p, a->files.probs, y.ids, y.n, a->files.labels, &err);
    else if (p.n != y.n)
        rc = la_error_set(&err, LA_EUSAGE, a->files.probs, 0, "%zu probability rows for the %zu examples of %s",
                          p.n, y.n, a->files.labels);
    if (rc) goto fail;
    if ((rc = aml_run(y.onehot, p.p, y.n, p.k, &o, &r, &err))) goto fail;
    if ((rc = aml_write(&r, &y, p.p, names, &o, a->out, &err))) goto fail;
    if (a->json) {
        json_t *js = aml_summary(&r, names, &o);
        if (js) la_json_print(js, stdout, LA_JSON_EXACT);
        json_decref(js);
    } else if (!a->quiet) {
        aml_cli_print(&r, &o, a->out, t0);
    }
    goto out;
fail:
    rc = cli_report(&err);
out:
    aml_result_free(&r);
    aml_labels_free(&y);
    if (owned) io_free_strings(owned, p.k);
    io_probs_free(&p);
    return rc;
}
