/*
 * test_audit_stage.c — cmocka tests of the audit stage in-process (audit/audit.h)
 * and the record stage (db/db_record.c): au_run + au_write on golden cases,
 * in memory and streamed from .npy, must write exactly the files the binary
 * writes for the same input (byte for byte); a failed run leaves nothing;
 * the recorded run reads back; --num-to-remove-per-class parsing; noise is
 * reproducible. Golden cases come from $LA_SHARED/golden (skipped without);
 * the binary is $LA_BIN (default build/labelaudit).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "db/db.h"
#include "io/labels.h"
#include "io/npy.h"

static const char *const cases[] = {"edge_mixed_k5_n54", "balanced_k3_n1000", "edge_float32_k4_n300"};

static int golden_dir(const char *name, char *out, size_t size)
{
    const char *shared = getenv("LA_SHARED");
    snprintf(out, size, "%s/golden/%s", shared ? shared : "../shared", name);
    struct stat st;
    return stat(out, &st) == 0 ? 0 : -1;
}

static const char *bin(void)
{
    const char *b = getenv("LA_BIN");
    return b ? b : "build/labelaudit";
}

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, fp) != (size_t)n) { free(b); b = NULL; }
    fclose(fp);
    *len = (size_t)n;
    return b;
}

/* Every file of dir a is in b with the same bytes, and both hold as many. */
static void assert_same_dirs(const char *a, const char *b)
{
    DIR *d = opendir(a);
    assert_non_null(d);
    struct dirent *e;
    size_t na = 0, nb = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char pa[2048], pb[2048];
        snprintf(pa, sizeof pa, "%s/%s", a, e->d_name);
        snprintf(pb, sizeof pb, "%s/%s", b, e->d_name);
        size_t la, lb;
        char *x = read_all(pa, &la), *y = read_all(pb, &lb);
        if (!y) fail_msg("%s: missing in %s", e->d_name, b);
        if (la != lb || memcmp(x, y, la)) fail_msg("%s differs from the binary's", e->d_name);
        free(x);
        free(y);
        na++;
    }
    closedir(d);
    d = opendir(b);
    assert_non_null(d);
    while ((e = readdir(d))) nb += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(na, nb);
    assert_true(na >= 20);
}

static void rm_rf(const char *dir)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* The binary's audit of labels + probs (with --scores) into dir. */
static void run_binary(const char *labels, const char *probs, const char *dir)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' audit --labels '%s' --pred-probs '%s' --out '%s' --scores --quiet --threads 2",
             bin(), labels, probs, dir);
    assert_int_equal(system(cmd), 0);
}

/* In memory: probabilities and labels read here, the stage on the matrix. */
static void test_in_memory_matches_binary(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char g[1024], lpath[1200], ppath[1200];
        if (golden_dir(cases[c], g, sizeof g)) { skip(); return; }
        snprintf(lpath, sizeof lpath, "%s/labels.csv", g);
        snprintf(ppath, sizeof ppath, "%s/pred_probs.csv", g);
        la_error err;
        la_error_clear(&err);
        io_probs p;
        io_labels lab;
        assert_int_equal(io_probs_load(ppath, &p, &err), 0);
        assert_int_equal(io_labels_load(lpath, NULL, 0, &lab, &err), 0);
        assert_int_equal(lab.n, p.n);
        int32_t *y = malloc(p.n * sizeof *y);
        for (size_t i = 0; i < p.n; i++) y[i] = (int32_t)lab.labels[i];
        io_load_opts lo;
        io_load_opts_init(&lo);
        au_input in = {.n = p.n, .k = p.k, .labels = y, .probs = p.p, .class_names = p.class_names,
                       .probs_path = ppath, .labels_path = lpath, .load = &lo};
        au_opts o;
        au_opts_init(&o);
        o.threads = 2;
        o.scores = 1;
        char mine[] = "/tmp/la-au-mem-XXXXXX", theirs[] = "/tmp/la-au-bin-XXXXXX";
        assert_non_null(mkdtemp(mine));
        assert_non_null(mkdtemp(theirs));
        au_result r;
        assert_int_equal(au_run(&in, &o, mine, &r, &err), 0);
        assert_int_equal(r.cl.n, p.n);
        assert_true(r.ci[0] <= r.ci[1]);
        assert_int_equal(au_write(&r, &in, &o, mine, NULL, &err), 0);
        au_result_free(&r);
        run_binary(lpath, ppath, theirs);
        assert_same_dirs(theirs, mine);
        rm_rf(mine);
        rm_rf(theirs);
        free(y);
        io_probs_free(&p);
        io_labels_free(&lab);
    }
}

/* Streamed: au_load on the .npy files, as the command does. */
static void test_streamed_matches_binary(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char g[1024], lpath[1200], ppath[1200];
        if (golden_dir(cases[c], g, sizeof g)) { skip(); return; }
        snprintf(lpath, sizeof lpath, "%s/labels.npy", g);
        snprintf(ppath, sizeof ppath, "%s/pred_probs.npy", g);
        la_error err;
        la_error_clear(&err);
        io_load_opts lo;
        io_load_opts_init(&lo);
        lo.no_features = 1;
        au_files f = {.labels = lpath, .probs = ppath, .load = &lo};
        au_loaded l;
        assert_int_equal(au_load(&f, &l, &err), 0);
        assert_non_null(l.in.probs_npy);
        assert_null(l.in.probs);
        au_opts o;
        au_opts_init(&o);
        o.threads = 1;
        o.scores = 1;
        char mine[] = "/tmp/la-au-npy-XXXXXX", theirs[] = "/tmp/la-au-bin-XXXXXX";
        assert_non_null(mkdtemp(mine));
        assert_non_null(mkdtemp(theirs));
        au_result r;
        assert_int_equal(au_run(&l.in, &o, mine, &r, &err), 0);
        assert_int_equal(au_write(&r, &l.in, &o, mine, NULL, &err), 0);
        au_result_free(&r);
        run_binary(lpath, ppath, theirs);
        assert_same_dirs(theirs, mine);
        rm_rf(mine);
        rm_rf(theirs);
        au_loaded_free(&l);
    }
}

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Averaged --pred-probs (au_files.probs_more): the mean in the first file's
 * rows and columns, the second file's rows matched by id and its columns by
 * class name; au_write adds AU_MEAN_FILE, which probs_path names; a file of
 * other classes is refused naming it. */
static void test_mean_of_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-au-mean-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[1200], b[1200], c[1200], lab[1200], mean[1300], out[1200];
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);
    snprintf(c, sizeof c, "%s/c.csv", dir);
    snprintf(lab, sizeof lab, "%s/labels.csv", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(mean, sizeof mean, "%s/%s", out, AU_MEAN_FILE);
    write_text(a, "id,cat,dog,fox\nx,0.5,0.25,0.25\ny,0.25,0.75,0\nz,0,0,1\nw,1,0,0\n");
    /* b: the columns in another order, the rows shuffled */
    write_text(b, "id,fox,cat,dog\nz,0.5,0.5,0\nw,0,0.5,0.5\nx,0,1,0\ny,0.25,0.25,0.5\n");
    write_text(c, "id,cat,dog,wolf\nx,1,0,0\ny,0,1,0\nz,0,0,1\nw,1,0,0\n");
    write_text(lab, "id,label\nx,cat\ny,dog\nz,fox\nw,dog\n");
    const double want[12] = {0.75, 0.125, 0.125, 0.25, 0.625, 0.125, 0.25, 0, 0.75, 0.75, 0.25, 0};
    io_load_opts lo;
    io_load_opts_init(&lo);
    lo.no_features = 1;
    char *more[1] = {b};
    au_files f = {.labels = lab, .probs = a, .probs_more = more, .n_probs_more = 1, .mean_path = mean, .load = &lo};
    la_error err;
    la_error_clear(&err);
    au_loaded l;
    assert_int_equal(au_load(&f, &l, &err), 0);
    assert_int_equal(l.in.n, 4);
    assert_int_equal(l.in.k, 3);
    assert_non_null(l.in.probs);
    for (int i = 0; i < 12; i++) assert_true(l.in.probs[i] == want[i]);
    assert_string_equal(l.in.probs_path, mean);
    assert_int_equal(l.in.n_mean_of, 2);
    assert_string_equal(l.in.class_names[2], "fox");
    au_opts o;
    au_opts_init(&o);
    o.threads = 1;
    au_result r;
    assert_int_equal(au_run(&l.in, &o, out, &r, &err), 0);
    assert_int_equal(au_write(&r, &l.in, &o, out, NULL, &err), 0);
    assert_non_null(strstr(r.summary_json, "\"pred_probs_mean_of\""));
    au_result_free(&r);
    double *m = NULL;
    size_t rows = 0, cols = 0;
    assert_int_equal(io_npy_load_f64(mean, &m, &rows, &cols, &err), 0);
    assert_int_equal(rows, 4);
    assert_int_equal(cols, 3);
    assert_memory_equal(m, want, sizeof want);
    free(m);
    au_loaded_free(&l);
    more[0] = c;   /* other classes: refused, naming c */
    assert_int_equal(au_load(&f, &l, &err), LA_EUSAGE);
    assert_non_null(strstr(err.file, "c.csv"));
    assert_non_null(strstr(err.msg, "no column for class 'fox'"));
    au_loaded_free(&l);
    rm_rf(dir);
}

/* A probability outside [0, 1] (beyond CL_TOL): LA_EUSAGE naming the row,
 * the result empty, no file (not even a score temp file) left behind. */
static void test_failure_leaves_nothing(void **state)
{
    (void)state;
    double p[8] = {0.9, 0.1, 0.2, 0.8, 1.5, -0.5, 0.3, 0.7};
    int32_t y[4] = {0, 1, 0, 1};
    au_input in = {.n = 4, .k = 2, .labels = y, .probs = p, .probs_path = "mem"};
    au_opts o;
    au_opts_init(&o);
    o.scores = 1;
    char dir[] = "/tmp/la-au-fail-XXXXXX";
    assert_non_null(mkdtemp(dir));
    la_error err;
    la_error_clear(&err);
    au_result r;
    assert_int_equal(au_run(&in, &o, dir, &r, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "row 2"));
    assert_null(r.summary_json);
    assert_null(r.cl.flags);
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 0);
    rm_rf(dir);
}

/* Six examples, two classes: the small audit of the tests below. */
static const double two_p[12] = {0.9, 0.1, 0.8, 0.2, 0.3, 0.7, 0.1, 0.9, 0.6, 0.4, 0.45, 0.55};
static const int32_t two_y[6] = {0, 0, 1, 1, 1, 0};

/* The K x K files carry row and column labels (the class names, quoted as
 * CSV needs, else the indices) behind a corner cell naming the axes; the
 * class tables gain cleanlab's leading name columns only with names. */
static void test_write_class_labels(void **state)
{
    (void)state;
    const double *p = two_p;
    const int32_t *y = two_y;
    char cat[] = "cat", odd[] = "Bob's \"best\", boot";
    char *names[2] = {cat, odd};
    for (int named = 0; named < 2; named++) {
        au_input in = {.n = 6, .k = 2, .labels = y, .probs = p, .class_names = named ? names : NULL,
                       .probs_path = "mem.csv", .labels_path = "mem_labels.csv"};
        au_opts o;
        au_opts_init(&o);
        o.bootstrap = 10;
        char dir[] = "/tmp/la-au-names-XXXXXX", path[1100];
        assert_non_null(mkdtemp(dir));
        la_error err;
        la_error_clear(&err);
        au_result r;
        assert_int_equal(au_run(&in, &o, dir, &r, &err), 0);
        assert_int_equal(au_write(&r, &in, &o, dir, NULL, &err), 0);
        char *t;
        size_t len;
        snprintf(path, sizeof path, "%s/confident_joint.csv", dir);
        assert_non_null(t = read_all(path, &len));
        t[len] = '\0';
        assert_string_equal(t, named ? "given/true,cat,\"Bob's \"\"best\"\", boot\"\ncat,2,0\n"
                                       "\"Bob's \"\"best\"\", boot\",0,2\n"
                                     : "c0,c1\n2,0\n0,2\n");   /* unnamed: the reference's layout */
        free(t);
        snprintf(path, sizeof path, "%s/inverse_noise_matrix.csv", dir);
        assert_non_null(t = read_all(path, &len));
        t[len] = '\0';
        assert_true(strncmp(t, named ? "true/given,cat," : "c0,c1\n", named ? 15 : 6) == 0);
        free(t);
        snprintf(path, sizeof path, "%s/class_label_quality.csv", dir);
        assert_non_null(t = read_all(path, &len));
        t[len] = '\0';
        assert_true(strncmp(t, named ? "Class Name,Class Index," : "Class Index,", named ? 23 : 12) == 0);
        if (named) assert_non_null(strstr(t, "\ncat,0,"));
        free(t);
        snprintf(path, sizeof path, "%s/overlapping_classes.csv", dir);
        assert_non_null(t = read_all(path, &len));
        t[len] = '\0';
        assert_string_equal(strchr(t, '\n') + 1, named ? "cat,\"Bob's \"\"best\"\", boot\",0,1,0,0\n"
                                                         : "0,1,0,0\n");
        free(t);
        au_result_free(&r);
        rm_rf(dir);
    }
}

/* The record stage: the run reads back with the audit's numbers. */
static void test_record_audit_result(void **state)
{
    (void)state;
    const double *p = two_p;
    const int32_t *y = two_y;
    char cat[] = "cat", dog[] = "dog";
    char *names[2] = {cat, dog};
    au_input in = {.n = 6, .k = 2, .labels = y, .probs = p, .class_names = names, .probs_path = "mem.csv",
                   .labels_path = "mem_labels.csv"};
    au_opts o;
    au_opts_init(&o);
    o.keep_rank_scores = 1;
    o.bootstrap = 50;
    la_error err;
    la_error_clear(&err);
    au_result r;
    assert_int_equal(au_run(&in, &o, NULL, &r, &err), 0);
    assert_non_null(r.cl.quality);
    char path[] = "/tmp/la-au-db-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sqlite3 *db;
    assert_int_equal(db_open(path, &db, &err), 0);
    int64_t run = 0;
    assert_int_equal(db_record_audit_result(db, &in, &o, &r, NULL, NULL, &run, &err), 0);
    assert_true(run > 0);
    db_run dr;
    assert_int_equal(db_load_run(db, run, &dr, &err), 0);
    assert_int_equal(dr.n, 6);
    assert_int_equal(dr.k, 2);
    assert_int_equal(dr.num_flagged, (int64_t)r.cl.n_flagged);
    assert_string_equal(dr.class_names[1], "dog");
    assert_string_equal(dr.summary_json, r.summary_json);
    db_run_free(&dr);
    db_close(db);
    unlink(path);
    au_result_free(&r);
}

static void test_remove_parse(void **state)
{
    (void)state;
    la_error err;
    la_error_clear(&err);
    int64_t *v = NULL;
    assert_int_equal(au_remove_parse("3,0,7", 3, &v, &err), 0);
    assert_int_equal(v[0], 3);
    assert_int_equal(v[2], 7);
    free(v);
    assert_int_equal(au_remove_parse("3,0", 3, &v, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "needs K = 3 counts, found 2"));
    assert_int_equal(au_remove_parse("1,x", 2, &v, &err), LA_EUSAGE);
    assert_int_equal(au_remove_parse("1,2,3", 2, &v, &err), LA_EUSAGE);
}

/* The noise stage: same seed, same matrix and labels; columns sum to 1. */
static void test_noise_reproducible(void **state)
{
    (void)state;
    enum { N = 600, K = 3 };
    int64_t truth[N], a[N], b[N];
    for (size_t i = 0; i < N; i++) truth[i] = (int64_t)(i % K);
    double nm1[K * K], nm2[K * K];
    size_t f1, f2;
    au_noise_opts o = {.trace = 2.4, .frac_zero = 0, .seed = 7, .max_iter = 10000};
    la_error err;
    la_error_clear(&err);
    assert_int_equal(au_noise(truth, N, K, &o, "t", nm1, a, &f1, &err), 0);
    assert_int_equal(au_noise(truth, N, K, &o, "t", nm2, b, &f2, &err), 0);
    assert_memory_equal(nm1, nm2, sizeof nm1);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(f1, f2);
    assert_true(f1 > 0 && f1 < N);
    for (size_t j = 0; j < K; j++) {
        double s = 0;
        for (size_t i = 0; i < K; i++) s += nm1[i * K + j];
        assert_true(fabs(s - 1) < 1e-12);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_memory_matches_binary),
        cmocka_unit_test(test_streamed_matches_binary),
        cmocka_unit_test(test_mean_of_files),
        cmocka_unit_test(test_failure_leaves_nothing),
        cmocka_unit_test(test_record_audit_result),
        cmocka_unit_test(test_write_class_labels),
        cmocka_unit_test(test_remove_parse),
        cmocka_unit_test(test_noise_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
