/*
 * cmd_audit.c — `labelaudit audit`: labels + out-of-fold probabilities in,
 * confident-learning findings out (the golden file set, is_label_issue.csv,
 * ranked.csv, label_issues.csv, summary.json), optionally into the database.
 *
 * A shell over the stages: parse (audit_opts.c), read the inputs (au_load),
 * audit (au_run), write (au_write), record (rp_record_audit: the run and the
 * report digest), print (audit_opts.c: the summary; audit_print.c: --top and
 * the issue rows of --format json).
 * Every output appears only after the whole computation succeeded.
 */
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "audit_opts.h"
#include "audit_print.h"
#include "cmd_common.h"

/* The closing output: the summary (text on stderr, or JSON with the issue
 * rows on stdout) and the --top table. */
static int au_cli_print_issues(const au_cli *a, const au_loaded *in, const au_result *res, double t0,
                               double t_run, la_error *err)
{
    const la_dataset *ds = a->files.data ? &in->ds : NULL;
    if (a->json) {
        char *text = au_json_with_issues(res, &in->in, ds, (size_t)a->top, err);
        if (!text) return err->status;
        au_result shown = *res;          /* the summary printer, with the rows in */
        shown.summary_json = text;
        au_cli_print_summary(&shown, &in->in, &a->o, a->out, t0, t_run, a->quiet, 1);
        free(text);
        return 0;
    }
    au_cli_print_summary(res, &in->in, &a->o, a->out, t0, t_run, a->quiet, 0);
    if (a->top && au_print_top(stdout, res, &in->in, &a->o, ds, (size_t)a->top, err)) return err->status;
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    au_cli a;
    int done, rc = au_cli_parse(argc, argv, &a, &done);
    if (rc || done) return rc;
    /* labelaudit-mpi: the ranks share the audit; anything else is rank 0's */
    a.o.coll = la_coll_world();
    a.dc.o.coll = a.o.coll;   /* the kNN checks too; rank 0 writes their files */
    if (la_coll_rank(a.o.coll) != 0 && a.multi_label) return 0;
    if (a.multi_label) return au_ml_cli_run(&a);
    if (!a.files.probs) return dc_cli_features_only(&a);   /* dataset checks alone */

    la_error err;
    la_error_clear(&err);
    au_loaded in;
    au_result res = {0};
    int64_t *remove = NULL;
    double t0 = la_now();
    rc = au_load(&a.files, &in, &err);
    cli_print_warnings(in.mem.warnings, in.mem.n_warnings);
    cli_print_warnings(in.lab.warnings, in.lab.n_warnings);
    cli_print_warnings(in.ds.warnings, in.ds.n_warnings);
    cli_print_warnings(in.warnings, in.n_warnings);
    rc = la_coll_agree(a.o.coll, rc, &err);   /* every rank read its inputs: one message, not an abort */
    if (!rc && a.db && in.in.shards)   /* the run's hash and digest read one probability file */
        rc = la_error_set(&err, LA_EUSAGE, a.files.probs, 0, "--db records one probability file, not shards: "
                          "concatenate them (np.concatenate) or drop --db");
    if (rc) goto fail;
    if (a.remove_arg && (rc = au_remove_parse(a.remove_arg, in.in.k, &remove, &err))) goto fail;
    a.o.remove = remove;
    if ((rc = au_run(&in.in, &a.o, a.out, &res, &err))) goto fail;
    if (dc_cli_active(&a.dc) && (rc = dc_cli_with_audit(&a, &in, &res, &err))) goto fail;
    if (la_coll_rank(a.o.coll) != 0) goto out;   /* rank 0 writes and prints */
    double t_run = la_now();
    if ((rc = au_write(&res, &in.in, &a.o, a.out, a.summary, &err))) goto fail;
    au_cli_warn_skipped(&res, &a.o, a.files.probs);
    if (a.db && (rc = a.dc.kept ? dc_cli_record(&a, &in, &res, &err)      /* with the checks' findings */
                                : au_cli_record(a.db, &in.in, &a.o, &res, a.files.data ? &in.ds : NULL, a.quiet, &err)))
        goto fail;
    if ((rc = au_cli_print_issues(&a, &in, &res, t0, t_run, &err))) goto fail;
    rc = 0;
    goto out;
fail:
    rc = cli_report(&err);
out:
    dc_cli_free(&a.dc);
    au_result_free(&res);
    free(remove);
    au_loaded_free(&in);
    return rc;
}
