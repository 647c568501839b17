/* test_stages.c — cmocka tests of the cv and clean stages called in-process
 * (cv/cv.h, clean/clean.h) on the Glass table, checked against what the
 * binary writes for the same options: pred_probs.npy, labels.npy and
 * folds.csv byte for byte, metrics.json equal once its timings are removed;
 * the cleaned CSV and changes.csv byte for byte. The binary is $LA_BIN
 * (build/labelaudit when unset); the tests skip when it or the data is
 * missing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clean/clean.h"
#include "cv/cv.h"
#include "db/db.h"
#include "io/dataset.h"

static char g_glass[512];
#define GLASS g_glass

static char g_dir[256];
static const char *g_bin;

static int setup(void **state)
{
    (void)state;
    g_bin = getenv("LA_BIN");
    if (!g_bin) g_bin = "build/labelaudit";
    const char *shared = getenv("LA_SHARED");
    snprintf(g_glass, sizeof g_glass, "%s/data/tabular/Glass.csv", shared ? shared : "../shared");
    snprintf(g_dir, sizeof g_dir, "/tmp/la-test-stages.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int have_inputs(void)
{
    return access(g_bin, X_OK) == 0 && access(GLASS, R_OK) == 0;
}

/* The whole file, NUL-terminated; *len its size. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) { free(s); s = NULL; }
    if (s) s[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return s;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *sa = slurp(a, &la), *sb = slurp(b, &lb);
    assert_non_null(sa);
    assert_non_null(sb);
    assert_int_equal(la, lb);
    assert_memory_equal(sa, sb, la);
    free(sa);
    free(sb);
}

/* Removes the wall-clock fields of a cv metrics.json, top level and folds. */
static void drop_times(json_t *doc)
{
    json_object_del(doc, "seconds");
    json_object_del(doc, "load_seconds");
    json_object_del(doc, "peak_rss_mb");
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(doc, "folds"), i, f) json_object_del(f, "seconds");
}

static void run_bin(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s > /dev/null 2>&1", g_bin, args);
    assert_int_equal(system(cmd), 0);
}

/* cv_stage + cv_stage_write in-process == `labelaudit cv` for logreg and knn. */
static void check_cv(const char *model, int threads)
{
    char out_bin[400], out_lib[400], args[2000], a[500], b[500];
    snprintf(out_bin, sizeof out_bin, "%s/bin-%s/p.npy", g_dir, model);
    snprintf(out_lib, sizeof out_lib, "%s/lib-%s/p.npy", g_dir, model);
    snprintf(args, sizeof args, "cv --data %s --model %s --folds 4 --seed 3 --threads %d --out '%s' --quiet",
             GLASS, model, threads, out_bin);
    run_bin(args);

    la_error err;
    la_error_clear(&err);
    io_load_opts lo;
    io_load_opts_init(&lo);
    la_dataset ds;
    assert_int_equal(io_dataset_load(GLASS, &lo, &ds, &err), 0);
    cv_stage_opts o = {.n_folds = 4, .seed = 3, .threads = threads, .standardize = 1};
    cv_train_opts_init(&o.train);
    o.train.model = !strcmp(model, "knn") ? CV_MODEL_KNN : CV_MODEL_LOGREG;
    cv_stage_result r;
    assert_int_equal(cv_stage(&ds, NULL, &o, &r, &err), 0);
    assert_int_equal(r.n, ds.n);
    assert_int_equal(r.k, ds.k);
    for (size_t i = 0; i < r.n; i++) {
        double s = 0.0;
        for (size_t c = 0; c < r.k; c++) s += r.probs[i * r.k + c];
        assert_true(fabs(s - 1.0) < 1e-9);
    }
    json_t *doc = cv_stage_metrics_json(&r, &o, ds.class_names);
    assert_non_null(doc);
    assert_int_equal(cv_stage_write(&r, &ds, doc, out_lib, &err), 0);

    assert_same_file(out_bin, out_lib);
    static const char *const beside[] = {"labels.npy", "folds.csv"};
    for (size_t j = 0; j < 2; j++) {
        snprintf(a, sizeof a, "%s/bin-%s/%s", g_dir, model, beside[j]);
        snprintf(b, sizeof b, "%s/lib-%s/%s", g_dir, model, beside[j]);
        assert_same_file(a, b);
    }
    snprintf(a, sizeof a, "%s/bin-%s/metrics.json", g_dir, model);
    snprintf(b, sizeof b, "%s/lib-%s/metrics.json", g_dir, model);
    json_error_t je;
    json_t *ja = json_load_file(a, 0, &je), *jb = json_load_file(b, 0, &je);
    assert_non_null(ja);
    assert_non_null(jb);
    drop_times(ja);
    drop_times(jb);
    assert_true(json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
    json_decref(doc);
    cv_stage_result_free(&r);
    io_dataset_free(&ds);
}

static void test_cv_stage_logreg(void **state)
{
    (void)state;
    if (!have_inputs()) skip();
    check_cv("logreg", 2);
}

static void test_cv_stage_knn(void **state)
{
    (void)state;
    if (!have_inputs()) skip();
    check_cv("knn", 1);
}

/* Fixed folds are used as given; a fold without training rows is refused. */
static void test_cv_stage_given_folds(void **state)
{
    (void)state;
    if (access(GLASS, R_OK)) skip();
    la_error err;
    io_load_opts lo;
    io_load_opts_init(&lo);
    la_dataset ds;
    assert_int_equal(io_dataset_load(GLASS, &lo, &ds, &err), 0);
    int32_t *fold = calloc(ds.n, sizeof *fold);
    assert_non_null(fold);
    for (size_t i = 0; i < ds.n; i++) fold[i] = (int32_t)(i % 3);
    cv_stage_opts o = {.n_folds = 3, .seed = 1, .threads = 1, .standardize = 1, .folds = fold};
    cv_train_opts_init(&o.train);
    cv_stage_result r;
    assert_int_equal(cv_stage(&ds, NULL, &o, &r, &err), 0);
    for (size_t i = 0; i < ds.n; i++) assert_int_equal(r.fold[i], fold[i]);
    assert_int_equal(r.info[0].n_test + r.info[1].n_test + r.info[2].n_test, ds.n);
    cv_stage_result_free(&r);
    for (size_t i = 0; i < ds.n; i++) fold[i] = 0;
    assert_int_equal(cv_stage(&ds, NULL, &o, &r, &err), LA_EUSAGE);
    assert_null(r.probs);
    free(fold);
    io_dataset_free(&ds);
}

/* cln_stage in-process on the review queue of an audit run == `labelaudit
 * clean` on the same run. */
static void test_clean_stage(void **state)
{
    (void)state;
    if (!have_inputs()) skip();
    char args[3000], dbp[400], out_bin[400], out_lib[400], a[500], b[500];
    snprintf(dbp, sizeof dbp, "%s/g.db", g_dir);
    snprintf(args, sizeof args, "cv --data %s --folds 5 --seed 3 --threads 2 --out '%s/cvc/p.npy' "
             "--audit '%s/audit' --db '%s' --quiet", GLASS, g_dir, g_dir, dbp);
    run_bin(args);
    snprintf(out_bin, sizeof out_bin, "%s/clean-bin", g_dir);
    snprintf(args, sizeof args, "clean --db '%s' --data %s --out '%s' --auto drop --min-quality 0.3", dbp,
             GLASS, out_bin);
    run_bin(args);

    la_error err;
    la_error_clear(&err);
    io_load_opts lo;
    io_load_opts_init(&lo);
    la_dataset ds;
    assert_int_equal(io_dataset_load(GLASS, &lo, &ds, &err), 0);
    sqlite3 *db = NULL;
    int64_t run = 0;
    db_items items = {0, NULL};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    assert_int_equal(db_latest_audit_run(db, &run, &err), 0);
    assert_int_equal(db_queue_list(db, run, NULL, &items, NULL, &err), 0);
    assert_true(items.n > 0);
    cln_decision *dec = calloc(items.n, sizeof *dec);
    assert_non_null(dec);
    for (size_t j = 0; j < items.n; j++) {     /* same classes, same order: indices map 1:1 */
        dec[j].row = (size_t)items.v[j].row;
        dec[j].status = items.v[j].status;
        dec[j].new_label = (int32_t)items.v[j].new_label;
        dec[j].suggested = (int32_t)items.v[j].suggested;
        dec[j].quality = items.v[j].quality;
        dec[j].reviewer = items.v[j].reviewer;
    }
    snprintf(out_lib, sizeof out_lib, "%s/clean-lib", g_dir);
    cln_stage_in in = {.ds = &ds, .data_path = GLASS, .dec = dec, .ndec = items.n};
    cln_stage_opts o = {.automatic = {CLN_AUTO_DROP, 0.3, NAN, NAN}, .out_dir = out_lib};
    cln_stage_out so;
    assert_int_equal(cln_stage(&in, &o, &so, &err), 0);
    assert_string_equal(so.main_file, "Glass.csv");
    assert_int_equal(so.n_kept, ds.n - so.plan.n_dropped);
    assert_true(so.plan.n_dropped > 0);
    static const char *const files[] = {"Glass.csv", "changes.csv"};
    for (size_t j = 0; j < 2; j++) {
        snprintf(a, sizeof a, "%s/%s", out_bin, files[j]);
        snprintf(b, sizeof b, "%s/%s", out_lib, files[j]);
        assert_same_file(a, b);
    }
    /* a second run replaces the earlier output; a foreign directory is refused */
    cln_stage_out_free(&so);
    assert_int_equal(cln_stage(&in, &o, &so, &err), 0);
    cln_stage_out_free(&so);
    char norm[400];
    const char *inputs[] = {GLASS};
    snprintf(a, sizeof a, "%s/audit", g_dir);
    assert_int_equal(cln_out_dir_check(a, inputs, 1, norm, sizeof norm, &err), LA_EUSAGE);
    snprintf(a, sizeof a, "%s/clean-lib///", g_dir);
    assert_int_equal(cln_out_dir_check(a, inputs, 1, norm, sizeof norm, &err), 0);
    assert_string_equal(norm, out_lib);

    free(dec);
    db_items_free(&items);
    db_close(db);
    io_dataset_free(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cv_stage_logreg),
        cmocka_unit_test(test_cv_stage_knn),
        cmocka_unit_test(test_cv_stage_given_folds),
        cmocka_unit_test(test_clean_stage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
