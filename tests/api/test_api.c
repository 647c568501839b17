/*
 * test_api.c — the public C API from the outside: this program includes only
 * <labelaudit.h> and links only liblabelaudit.so. It runs load -> cv ->
 * audit -> write in-process and checks the results against what the
 * `labelaudit` binary wrote for the same inputs (tests/e2e/test_api.sh runs
 * both). Prints PASS/FAIL lines for the e2e harness.
 *
 *   test_api DATASET CLASSES BIN_PRED_PROBS.npy BIN_AUDIT_DIR OUT_DIR
 */
#include <labelaudit.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%s %s\n", ok ? "PASS" : "FAIL", what);
    if (!ok) failures++;
}

static void report(const char *what, const la_error *err)
{
    printf("FAIL %s: %s:%ld: %s\n", what, err->file, err->line, err->msg);
    failures++;
}

/* The float64 payload of a version 1 .npy file (header length at byte 8). */
static double *read_npy_f64(const char *path, size_t want)
{
    FILE *fp = fopen(path, "rb");
    unsigned char head[10];
    if (!fp || fread(head, 1, 10, fp) != 10 || memcmp(head, "\x93NUMPY\x01", 7)) {
        if (fp) fclose(fp);
        return NULL;
    }
    long hlen = head[8] | head[9] << 8;
    double *v = malloc(want * sizeof *v);
    if (v && (fseek(fp, 10 + hlen, SEEK_SET) || fread(v, sizeof *v, want, fp) != want)) { free(v); v = NULL; }
    fclose(fp);
    return v;
}

/* Number of lines of a text file, or -1. */
static long count_lines(const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    long n = 0;
    int c;
    while ((c = fgetc(fp)) != EOF) n += c == '\n';
    fclose(fp);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: test_api DATASET CLASSES BIN_PRED_PROBS.npy BIN_AUDIT_DIR OUT_DIR\n");
        return 2;
    }
    la_error err;
    check(strcmp(la_version(), LABELAUDIT_VERSION) == 0, "la_version matches the header");

    /* bad input: a clear error, nothing returned */
    la_dataset *bad = (la_dataset *)&err;
    la_load_options lo;
    la_load_options_init(&lo);
    int rc = la_load("/nonexistent/data.csv", &lo, &bad, &err);
    check(rc == LA_EUSAGE && bad == NULL && strstr(err.file, "/nonexistent/data.csv"), "la_load of a missing file: LA_EUSAGE naming it");

    la_dataset *ds = NULL;
    lo.classes_file = argv[2];
    if ((rc = la_load(argv[1], &lo, &ds, &err))) { report("la_load", &err); return 1; }
    size_t n = la_dataset_n(ds), k = la_dataset_k(ds);
    check(n > 0 && k > 1 && la_dataset_features(ds) != NULL, "la_load: examples, classes and features");

    double *probs = malloc(n * k * sizeof *probs);
    int32_t *folds = malloc(n * sizeof *folds);
    la_cv_options co;
    la_cv_options_init(&co);
    co.seed = 3;
    co.threads = 2;
    if (!probs || !folds || (rc = la_cv(ds, &co, probs, folds, &err))) { report("la_cv", &err); return 1; }
    double *bin = read_npy_f64(argv[3], n * k);
    check(bin && memcmp(bin, probs, n * k * sizeof *probs) == 0, "la_cv: probabilities byte-identical to `labelaudit cv`");

    /* rebalancing through the API: a rebalancing loss gives the run's
     * metrics.json with the prior correction; the rules refuse bad mixes */
    char *doc = NULL;
    double *probs2 = malloc(n * k * sizeof *probs2);
    co.loss = "balanced";
    rc = la_cv_metrics(ds, &co, probs2, NULL, &doc, &err);
    check(rc == 0 && doc && strstr(doc, "\"prior_correction\": \"applied\"") && strstr(doc, "\"per_class\"") &&
          strstr(doc, "\"balanced_accuracy\""), "la_cv_metrics: loss balanced, metrics.json with the prior correction");
    check(rc == 0 && memcmp(probs, probs2, n * k * sizeof *probs) != 0, "la_cv_metrics: the loss changes the probabilities");
    free(doc);
    co.rebalance_auto = 1;
    doc = (char *)probs2;
    rc = la_cv_metrics(ds, &co, probs2, NULL, &doc, &err);
    check(rc == LA_EUSAGE && doc == NULL && strstr(err.msg, "drop --loss"), "la_cv_metrics: auto with a loss is refused");
    co.loss = NULL;
    co.select_by = "f1";
    rc = la_cv(ds, &co, probs2, NULL, &err);
    check(rc == LA_EUSAGE && strstr(err.msg, "select_by 'f1'"), "la_cv: an unknown select_by is refused");
    co.rebalance_auto = 0;
    co.select_by = NULL;
    co.decouple = 1;
    rc = la_cv(ds, &co, probs2, NULL, &err);
    check(rc == LA_EUSAGE && strstr(err.msg, "--model cnn"), "la_cv: decouple with logreg is refused");
    co.decouple = 0;
    free(probs2);

    la_audit *au = NULL;
    la_audit_options ao;
    la_audit_options_init(&ao);
    ao.threads = 2;
    ao.dataset = ds;
    if ((rc = la_audit_run(la_dataset_labels(ds), probs, LA_F64, n, k, &ao, &au, &err))) { report("la_audit_run", &err); return 1; }
    size_t nf = la_audit_num_flagged(au);
    char path[8400];
    snprintf(path, sizeof path, "%s/label_issues.csv", argv[4]);
    check((long)nf + 1 == count_lines(path), "la_audit_run: as many issues as the binary's label_issues.csv");
    const uint32_t *ranked = la_audit_ranked(au);
    int flagged_ok = 1;
    for (size_t q = 0; q < nf; q++) flagged_ok &= la_audit_is_issue(au, ranked[q]) == 1;
    check(flagged_ok, "la_audit_ranked lists flagged examples only");
    const int64_t *cj = la_audit_confident_joint(au, 1);
    int64_t total = 0;
    for (size_t c = 0; c < k * k; c++) total += cj[c];
    check(total == (int64_t)n, "calibrated confident joint sums to n");
    double lo_ci = -1, hi_ci = -1, rate = la_audit_error_rate(au, &lo_ci, &hi_ci);
    check(lo_ci <= rate && rate <= hi_ci && rate >= 0 && rate <= 1, "error rate inside its interval");

    if ((rc = la_audit_write(au, argv[5], &err))) report("la_audit_write", &err);
    else check(1, "la_audit_write");

    /* record (run, queue, digest) and the report from the database alone */
    char db[4200], rep[4200];
    snprintf(db, sizeof db, "%s.db", argv[5]);
    snprintf(rep, sizeof rep, "%s-report", argv[5]);
    int64_t run = 0;
    if ((rc = la_record(db, au, probs, &run, &err))) report("la_record", &err);
    else check(run == 1, "la_record: run 1 in a new database");
    if ((rc = la_report(db, run, rep, &err))) report("la_report", &err);
    else {
        snprintf(path, sizeof path, "%s/index.html", rep);
        check(count_lines(path) > 10, "la_report wrote index.html");
    }
    rc = la_report(db, 99, rep, &err);
    check(rc == LA_EUSAGE, "la_report of a run that does not exist: LA_EUSAGE");

    /* bad options: refused, no result */
    la_audit *none = NULL;
    ao.filter_by = "no_such_filter";
    rc = la_audit_run(la_dataset_labels(ds), probs, LA_F64, n, k, &ao, &none, &err);
    check(rc == LA_EUSAGE && none == NULL, "la_audit_run with an unknown filter: LA_EUSAGE");

    la_audit_free(au);
    la_dataset_free(ds);
    free(probs);
    free(folds);
    free(bin);
    return failures ? 1 : 0;
}
