/*
 * test_contract.c — the library side of issue 14's data contract: the class
 * order (io_class_names_sort: integers by value), probabilities written as
 * CSV and read back (io_write_probs_csv / io_probs_load), the class list
 * beside probabilities (au_classes_beside), a cleaned manifest whose images
 * are links inside its directory (io_write_manifest), and the loader
 * options a run recorded completing a command line (cli_load_opts_reuse).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/loader.h"
#include "io/labels.h"
#include "io/dataset_write.h"
#include "audit/audit.h"
#include "cli/cmd_common.h"

/* A string literal where the API takes char * (names are never written to). */
#define S(x) ((char *)(x))

static void test_class_order(void **state)
{
    (void)state;
    char *v[] = {S("10"), S("2"), S("0"), S("11"), S("1"), S("-3"), S("07"), S("7")};
    io_class_names_sort(v, 8);
    const char *want[] = {S("-3"), S("0"), S("1"), S("2"), S("07"), S("7"), S("10"), S("11")};
    for (int i = 0; i < 8; i++) assert_string_equal(v[i], want[i]);
    char *w[] = {S("10"), S("2"), S("b"), S("a")};   /* not all integers: byte-wise */
    io_class_names_sort(w, 4);
    assert_string_equal(w[0], "10");
    assert_string_equal(w[1], "2");
    assert_string_equal(w[2], "a");
    char *big[] = {S("1234567890123456789"), S("5")};   /* 19 digits: not an integer name */
    io_class_names_sort(big, 2);
    assert_string_equal(big[0], "1234567890123456789");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_probs_csv_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-contract-XXXXXX", path[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/p.csv", dir);
    double p[6] = {0.1, 0.9, 1.0 / 3, 2.0 / 3, 0.5, 0.5};
    char *names[] = {S("cat"), S("dog, big")};
    la_error err;
    assert_int_equal(io_write_probs_csv(path, p, 3, 2, names, &err), 0);
    io_probs q;
    assert_int_equal(io_probs_load(path, &q, &err), 0);
    assert_int_equal(q.n, 3);
    assert_non_null(q.class_names);
    assert_string_equal(q.class_names[1], "dog, big");
    for (int i = 0; i < 6; i++) assert_true(q.p[i] == p[i]);   /* 17 digits: exact */
    io_probs_free(&q);
    /* numeric names that are not 0..k-1 would read as data: p0.. header */
    char *nums[] = {S("1"), S("5")};
    assert_int_equal(io_write_probs_csv(path, p, 3, 2, nums, &err), 0);
    assert_int_equal(io_probs_load(path, &q, &err), 0);
    assert_int_equal(q.n, 3);
    assert_null(q.class_names);
    io_probs_free(&q);
    unlink(path);
    rmdir(dir);
}

static void test_classes_beside(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-contract-XXXXXX", probs[256], cls[256];
    assert_non_null(mkdtemp(dir));
    snprintf(probs, sizeof probs, "%s/p.npy", dir);
    snprintf(cls, sizeof cls, "%s/classes.txt", dir);
    char **names = NULL, **warn = NULL;
    size_t m = 0, nw = 0;
    la_error err;
    assert_int_equal(au_classes_beside(probs, 3, &names, &m, &warn, &nw, &err), 0);   /* none */
    assert_null(names);
    write_text(cls, "a\nb \nc\n");
    assert_int_equal(au_classes_beside(probs, 3, &names, &m, &warn, &nw, &err), 0);
    assert_int_equal(m, 3);
    assert_string_equal(names[1], "b");
    assert_int_equal(nw, 1);                       /* 'b ' trimmed */
    io_free_strings(names, m);
    assert_int_equal(au_classes_beside(probs, 4, &names, &m, &warn, &nw, &err), 0);
    assert_null(names);                            /* another length: not used, */
    assert_int_equal(nw, 2);                       /* and no trim warning for it */
    assert_non_null(strstr(warn[1], "not used"));
    io_free_strings(warn, nw);
    write_text(cls, "a\na\n");
    warn = NULL;
    nw = 0;
    assert_int_equal(au_classes_beside(probs, 2, &names, &m, &warn, &nw, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "listed twice"));
    io_free_strings(warn, nw);
    unlink(cls);
    rmdir(dir);
}

static void test_manifest_links(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-contract-XXXXXX", root[256], img[256], out[256], mf[512], linked[600];
    assert_non_null(mkdtemp(dir));
    snprintf(root, sizeof root, "%s/data", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    assert_int_equal(mkdir(root, 0755), 0);
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(img, sizeof img, "%s/data/cat", dir);
    assert_int_equal(mkdir(img, 0755), 0);
    snprintf(img, sizeof img, "%s/data/cat/a.png", dir);
    write_text(img, "not really a png");
    char *paths[] = {img, img}, *ids[] = {S("x"), S("y")}, *cn[] = {S("cat")};
    int32_t label[] = {0, IO_ROW_DROPPED};
    la_dataset ds = {.n = 2, .k = 1, .class_names = cn, .ids = ids, .image_paths = paths, .root = root};
    snprintf(mf, sizeof mf, "%s/manifest.csv", out);
    la_error err;
    assert_int_equal(io_write_manifest(&ds, label, out, mf, &err), 0);
    FILE *f = fopen(mf, "r");
    char buf[256] = "";
    assert_non_null(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    assert_string_equal(buf, "id,path,label\nx,images/cat/a.png,cat\n");
    snprintf(linked, sizeof linked, "%s/images/cat/a.png", out);
    struct stat a, b;
    assert_int_equal(stat(img, &a), 0);
    assert_int_equal(stat(linked, &b), 0);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);   /* the very file */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_load_opts_reuse(void **state)
{
    (void)state;
    io_load_opts lo;
    io_load_opts_init(&lo);
    lo.id_col = "given";
    io_load_opts_strings st;
    memset(&st, 0, sizeof st);
    la_error err;
    const char *run = "{\"filter_by\":\"x\",\"label_col\":\"species\",\"id_col\":\"sid\",\"npy_labels\":\"/a/y.csv\","
                      "\"format_in\":\"npy\"}";
    /* --id-col given (bit 1): kept; label_col taken; files not (retrain) */
    assert_int_equal(cli_load_opts_reuse(&lo, 1u << 1, run, 0, &st, &err), 0);
    assert_string_equal(lo.label_col, "species");
    assert_string_equal(lo.id_col, "given");
    assert_null(lo.npy_labels);
    assert_int_equal(lo.format, IO_FORMAT_AUTO);
    /* the same dataset (clean): files and format too; a summary's "options" */
    io_load_opts_init(&lo);
    char summary[512];
    snprintf(summary, sizeof summary, "{\"n\":3,\"options\":%s}", run);
    assert_int_equal(cli_load_opts_reuse(&lo, 0, summary, 1, &st, &err), 0);
    assert_string_equal(lo.npy_labels, "/a/y.csv");
    assert_int_equal(lo.format, IO_FORMAT_NPY);
    assert_int_equal(cli_load_opts_reuse(&lo, 0, "{not json", 1, &st, &err), LA_EUSAGE);
    io_load_opts_strings_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_order),
        cmocka_unit_test(test_probs_csv_roundtrip),
        cmocka_unit_test(test_classes_beside),
        cmocka_unit_test(test_manifest_links),
        cmocka_unit_test(test_load_opts_reuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
