/* test_clean.c — cmocka tests for clean/clean.c and io/dataset_write.c: every policy of the clean plan
 * (none, drop, relabel, --min-quality, reviewer decisions over automatic
 * ones, keep protects, skip counts as unreviewed), changes.csv content, the
 * raw-record CSV writer (quoting, CRLF, BOM, blank lines kept out), the
 * manifest's relative paths and the IDX writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "clean/clean.h"
#include "io/dataset_write.h"
#include "io/dataset.h"

/* The automatic policy and its thresholds (cln_auto_opts), for cln_plan_make. */
#define AUTO(policy, min_quality, below, above) (&(cln_auto_opts){(policy), (min_quality), (below), (above)})

#define S(x) ((char *)(x))     /* string literals as the dataset's char * */

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/la-test-clean.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* six rows, labels 0 0 1 1 2 2; flagged rows 1..5 with various states */
static const int32_t given6[6] = {0, 0, 1, 1, 2, 2};

static void test_plan_none_keeps_unreviewed(void **state)
{
    (void)state;
    cln_decision d[] = {
        {1, "pending", -1, 2, 0.1, NULL, NAN},
        {2, "relabel", 0, 2, 0.3, "ann", NAN},
        {3, "drop", -1, 0, 0.2, "bob", NAN},
        {4, "keep", -1, 0, 0.05, "ann", NAN},
        {5, "skip", -1, 1, 0.01, "bob", NAN},
    };
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(given6, 6, d, 5, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), 0);
    int32_t want[6] = {0, 0, 0, CLN_DROPPED, 2, 2};
    assert_memory_equal(p.label, want, sizeof want);
    assert_null(p.why[0]);
    assert_null(p.why[1]);
    assert_string_equal(p.why[2], "reviewer:ann");
    assert_string_equal(p.why[3], "reviewer:bob");
    assert_null(p.why[4]);
    assert_null(p.why[5]);
    assert_int_equal(p.n_relabeled, 1);
    assert_int_equal(p.n_dropped, 1);
    assert_int_equal(p.n_by_reviewer, 2);
    assert_int_equal(p.n_automatic, 0);
    assert_int_equal(p.n_kept_by_reviewer, 1);
    assert_int_equal(p.n_unreviewed, 2);       /* pending and skip */
    cln_plan_free(&p);
}

static void test_plan_relabel_and_drop(void **state)
{
    (void)state;
    cln_decision d[] = {
        {1, "pending", -1, 2, 0.1, NULL, NAN},
        {2, "relabel", 0, 2, 0.3, "ann", NAN},      /* reviewer wins over auto */
        {4, "keep", -1, 0, 0.05, "ann", NAN},       /* keep is never touched */
        {5, "skip", -1, 1, 0.01, "", NAN},
    };
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(given6, 6, d, 4, AUTO(CLN_AUTO_RELABEL, NAN, NAN, NAN), &p, &err), 0);
    int32_t want[6] = {0, 2, 0, 1, 2, 1};
    assert_memory_equal(p.label, want, sizeof want);
    assert_string_equal(p.why[1], "automatic:relabel");
    assert_string_equal(p.why[2], "reviewer:ann");
    assert_null(p.why[4]);
    assert_string_equal(p.why[5], "automatic:relabel");
    assert_int_equal(p.n_automatic, 2);
    cln_plan_free(&p);

    assert_int_equal(cln_plan_make(given6, 6, d, 4, AUTO(CLN_AUTO_DROP, NAN, NAN, NAN), &p, &err), 0);
    int32_t want2[6] = {0, CLN_DROPPED, 0, 1, 2, CLN_DROPPED};
    assert_memory_equal(p.label, want2, sizeof want2);
    assert_string_equal(p.why[1], "automatic:drop");
    assert_int_equal(p.n_dropped, 2);
    assert_int_equal(p.n_relabeled, 1);
    cln_plan_free(&p);
}

static void test_plan_min_quality(void **state)
{
    (void)state;
    cln_decision d[] = {
        {0, "pending", -1, 1, 0.50, NULL, NAN},
        {1, "pending", -1, 1, 0.10, NULL, NAN},
        {2, "pending", -1, 0, 0.20, NULL, NAN},     /* exactly Q: not below */
        {3, "pending", -1, 1, 0.05, NULL, NAN},     /* suggested == given: nothing */
    };
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(given6, 6, d, 4, AUTO(CLN_AUTO_RELABEL, 0.2, NAN, NAN), &p, &err), 0);
    int32_t want[6] = {0, 1, 1, 1, 2, 2};
    assert_memory_equal(p.label, want, sizeof want);
    assert_int_equal(p.n_relabeled, 1);
    cln_plan_free(&p);
    assert_int_equal(cln_plan_make(given6, 6, d, 4, AUTO(CLN_AUTO_DROP, 0.2, NAN, NAN), &p, &err), 0);
    int32_t want2[6] = {0, CLN_DROPPED, 1, CLN_DROPPED, 2, 2};
    assert_memory_equal(p.label, want2, sizeof want2);
    cln_plan_free(&p);
}

/* --auto drop --relabel-below: sure suggestions relabel, the rest drop. */
static void test_plan_relabel_below(void **state)
{
    (void)state;
    cln_decision d[] = {
        {0, "pending", -1, 1, 0.50, NULL, NAN},     /* not sure: dropped */
        {1, "pending", -1, 1, 0.10, NULL, NAN},     /* sure: relabeled */
        {2, "pending", -1, 0, 0.15, NULL, NAN},     /* exactly the cut: not below, dropped */
        {3, "pending", -1, 1, 0.05, NULL, NAN},     /* sure, but suggested == given: dropped */
        {4, "keep", -1, 0, 0.01, "ann", NAN},       /* reviewers still win */
    };
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(given6, 6, d, 5, AUTO(CLN_AUTO_DROP, NAN, 0.15, NAN), &p, &err), 0);
    int32_t want[6] = {CLN_DROPPED, 1, CLN_DROPPED, CLN_DROPPED, 2, 2};
    assert_memory_equal(p.label, want, sizeof want);
    assert_string_equal(p.why[1], "automatic:relabel");
    assert_string_equal(p.why[3], "automatic:drop");
    assert_int_equal(p.n_dropped, 3);
    assert_int_equal(p.n_relabeled, 1);
    cln_plan_free(&p);
    /* with --min-quality 0.3 the unsure row 0 is left alone */
    assert_int_equal(cln_plan_make(given6, 6, d, 5, AUTO(CLN_AUTO_DROP, 0.3, 0.15, NAN), &p, &err), 0);
    int32_t want2[6] = {0, 1, CLN_DROPPED, CLN_DROPPED, 2, 2};
    assert_memory_equal(p.label, want2, sizeof want2);
    cln_plan_free(&p);
}

/* --auto drop --relabel-above: a sure suggestion (its probability at least
 * P) relabels, the rest drop; an unknown probability never relabels. */
static void test_plan_relabel_above(void **state)
{
    (void)state;
    cln_decision d[] = {
        {0, "pending", -1, 1, 0.10, NULL, 0.50},   /* not sure: dropped */
        {1, "pending", -1, 1, 0.30, NULL, 0.95},   /* sure: relabeled */
        {2, "pending", -1, 0, 0.20, NULL, 0.90},   /* exactly P: relabeled */
        {3, "pending", -1, 1, 0.05, NULL, NAN},    /* unknown: dropped */
        {4, "keep", -1, 0, 0.01, "ann", 0.99},     /* reviewers still win */
    };
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(given6, 6, d, 5, AUTO(CLN_AUTO_DROP, NAN, NAN, 0.9), &p, &err), 0);
    int32_t want[6] = {CLN_DROPPED, 1, 0, CLN_DROPPED, 2, 2};
    assert_memory_equal(p.label, want, sizeof want);
    assert_string_equal(p.why[1], "automatic:relabel");
    assert_string_equal(p.why[2], "automatic:relabel");
    assert_int_equal(p.n_dropped, 2);
    assert_int_equal(p.n_relabeled, 2);
    cln_plan_free(&p);
    /* with --relabel-below too, either rule keeps the example */
    assert_int_equal(cln_plan_make(given6, 6, d, 5, AUTO(CLN_AUTO_DROP, NAN, 0.15, 0.9), &p, &err), 0);
    int32_t want2[6] = {1, 1, 0, CLN_DROPPED, 2, 2};   /* row 3: its suggestion is its label */
    assert_memory_equal(p.label, want2, sizeof want2);
    cln_plan_free(&p);
}

static void test_plan_bad_rows(void **state)
{
    (void)state;
    cln_plan p;
    la_error err;
    cln_decision out_of_range[] = {{6, "drop", -1, 0, 0.1, "x", NAN}};
    assert_int_equal(cln_plan_make(given6, 6, out_of_range, 1, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), LA_EUSAGE);
    cln_decision twice[] = {{1, "drop", -1, 0, 0.1, "x", NAN}, {1, "keep", -1, 0, 0.1, "x", NAN}};
    assert_int_equal(cln_plan_make(given6, 6, twice, 2, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), LA_EUSAGE);
    cln_decision nolabel[] = {{1, "relabel", -1, 0, 0.1, "x", NAN}};
    assert_int_equal(cln_plan_make(given6, 6, nolabel, 1, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), LA_EUSAGE);
    assert_null(p.label);
}

/* A tiny hand-built dataset: ids, 3 class names (one needing quotes). */
static void toy(la_dataset *ds, char **ids, char **names, int32_t *labels, size_t n)
{
    memset(ds, 0, sizeof *ds);
    ds->n = n;
    ds->k = 3;
    ds->ids = ids;
    ds->class_names = names;
    ds->labels = labels;
}

static void test_changes_csv(void **state)
{
    (void)state;
    char *ids[4] = {S("a"), S("b,1"), S("c"), S("d")};
    char *names[3] = {S("cat"), S("dog, big"), S("eel")};
    int32_t lab[4] = {0, 1, 2, 0};
    la_dataset ds;
    toy(&ds, ids, names, lab, 4);
    cln_decision d[] = {{1, "relabel", 2, 0, 0.1, "ann \"the\" reviewer", NAN}, {3, "pending", -1, 1, 0.1, NULL, NAN}};
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(lab, 4, d, 2, AUTO(CLN_AUTO_DROP, NAN, NAN, NAN), &p, &err), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/changes.csv", g_dir);
    assert_int_equal(cln_write_changes(path, &ds, lab, &p, &err), 0);
    assert_string_equal(slurp(path),
                        "id,old_label,new_label,why\n"
                        "\"b,1\",\"dog, big\",eel,\"reviewer:ann \"\"the\"\" reviewer\"\n"
                        "d,cat,dropped,automatic:drop\n");
    cln_plan_free(&p);
}

static void test_csv_writer_raw_copy(void **state)
{
    (void)state;
    /* BOM, CRLF, quoted fields with commas and a newline, a blank line,
     * the label column in the middle, quoted and unquoted labels */
    const char *src =
        "\xEF\xBB\xBF" "id,label,x\r\n"
        "r0,cat,\"1,5\"\r\n"
        "\r\n"
        "r1,\"dog, big\",2\r\n"
        "r2,eel,\"multi\nline\"\r\n"
        "r3,cat,  4 \r\n"
        "r4,\"cat\",5";                        /* no final newline */
    char in[400], out[400];
    snprintf(in, sizeof in, "%s/in.csv", g_dir);
    snprintf(out, sizeof out, "%s/out.csv", g_dir);
    write_file(in, src);
    char *ids[5] = {S("r0"), S("r1"), S("r2"), S("r3"), S("r4")};
    char *names[3] = {S("cat"), S("dog, big"), S("eel")};
    int32_t lab[5] = {0, 1, 2, 0, 0};
    la_dataset ds;
    toy(&ds, ids, names, lab, 5);
    /* r1 -> eel (was quoted: stays quoted), r2 dropped, r3 -> "dog, big"
     * (needs quotes), r4 -> eel (quoted before) */
    cln_decision d[] = {{1, "relabel", 2, 0, 0, "a", NAN}, {2, "drop", -1, 0, 0, "a", NAN},
                        {3, "relabel", 1, 0, 0, "a", NAN}, {4, "relabel", 2, 0, 0, "a", NAN}};
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(lab, 5, d, 4, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), 0);
    assert_int_equal(io_write_csv_relabeled(in, 1, &ds, p.label, out, &err), 0);
    assert_string_equal(slurp(out),
                        "\xEF\xBB\xBF" "id,label,x\r\n"
                        "r0,cat,\"1,5\"\r\n"
                        "r1,\"eel\",2\r\n"
                        "r3,\"dog, big\",  4 \r\n"
                        "r4,\"eel\",5");
    cln_plan_free(&p);

    /* the loader reads the output back: same columns, new labels */
    io_load_opts lo;
    io_load_opts_init(&lo);
    la_dataset back;
    assert_int_equal(io_dataset_load(out, &lo, &back, &err), 0);
    assert_int_equal(back.n, 4);
    assert_int_equal(back.n_columns, 3);
    assert_string_equal(back.columns[1].name, "label");
    assert_string_equal(back.ids[2], "r3");
    assert_string_equal(back.class_names[back.labels[1]], "eel");
    assert_string_equal(back.class_names[back.labels[2]], "dog, big");
    assert_string_equal(back.class_names[back.labels[3]], "eel");
    io_dataset_free(&back);

    /* a file with a different number of records is refused */
    write_file(in, "id,label,x\nr0,cat,1\n");
    assert_int_equal(cln_plan_make(lab, 5, NULL, 0, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), 0);
    assert_int_equal(io_write_csv_relabeled(in, 1, &ds, p.label, out, &err), LA_EUSAGE);
    cln_plan_free(&p);
}

static void test_relpath(void **state)
{
    (void)state;
    char a[400], b[400], f[500], rel[600];
    snprintf(a, sizeof a, "%s/x/y", g_dir);
    snprintf(b, sizeof b, "%s/img/c", g_dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", a, b);
    assert_int_equal(system(cmd), 0);
    snprintf(f, sizeof f, "%s/p q.png", b);
    write_file(f, "x");
    assert_int_equal(io_relpath(a, f, rel, sizeof rel), 0);
    assert_string_equal(rel, "../../img/c/p q.png");
    snprintf(f, sizeof f, "%s/x", g_dir);
    assert_int_equal(io_relpath(a, f, rel, sizeof rel), 0);
    assert_string_equal(rel, "..");
    assert_int_equal(io_relpath(a, "/nonexistent/zzz", rel, sizeof rel), -1);
}

static void test_idx_writer(void **state)
{
    (void)state;
    /* 3 images of 2x2, labels 0 1 2; drop the middle one, relabel the last */
    unsigned char img[16 + 12] = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2,
                                  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    char in[400], oi[400], ol[400];
    snprintf(in, sizeof in, "%s/t-images-idx3-ubyte.gz", g_dir);
    gzFile g = gzopen(in, "wb");
    assert_non_null(g);
    gzwrite(g, img, sizeof img);
    gzclose(g);
    char *ids[3] = {S("0"), S("1"), S("2")};
    char *names[3] = {S("0"), S("1"), S("2")};
    int32_t lab[3] = {0, 1, 2};
    la_dataset ds;
    toy(&ds, ids, names, lab, 3);
    ds.d = 4;
    cln_decision d[] = {{1, "drop", -1, 0, 0, "a", NAN}, {2, "relabel", 0, 0, 0, "a", NAN}};
    cln_plan p;
    la_error err;
    assert_int_equal(cln_plan_make(lab, 3, d, 2, AUTO(CLN_AUTO_NONE, NAN, NAN, NAN), &p, &err), 0);
    snprintf(oi, sizeof oi, "%s/o-images-idx3-ubyte", g_dir);
    snprintf(ol, sizeof ol, "%s/o-labels-idx1-ubyte", g_dir);
    assert_int_equal(io_write_idx(in, &ds, p.label, oi, ol, &err), 0);
    cln_plan_free(&p);
    FILE *f = fopen(oi, "rb");
    unsigned char got[64];
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    unsigned char want[16 + 8] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 9, 10, 11, 12};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(got, want, sizeof want);
    f = fopen(ol, "rb");
    n = fread(got, 1, sizeof got, f);
    fclose(f);
    unsigned char wl[10] = {0, 0, 8, 1, 0, 0, 0, 2, 0, 0};
    assert_int_equal(n, sizeof wl);
    assert_memory_equal(got, wl, sizeof wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_none_keeps_unreviewed),
        cmocka_unit_test(test_plan_relabel_and_drop),
        cmocka_unit_test(test_plan_min_quality),
        cmocka_unit_test(test_plan_relabel_below),
        cmocka_unit_test(test_plan_relabel_above),
        cmocka_unit_test(test_plan_bad_rows),
        cmocka_unit_test(test_changes_csv),
        cmocka_unit_test(test_csv_writer_raw_copy),
        cmocka_unit_test(test_relpath),
        cmocka_unit_test(test_idx_writer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
