/*
 * test_labels.c — io/labels: label CSVs (integers, names sorted byte-wise,
 * names through a class list, id column, quoted names), probability CSVs
 * (p0.. header, class-name header, no header) and the errors with their
 * line numbers (NaN, out of range, ragged rows, unknown class, duplicates).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/labels.h"

static char dir[256];

static const char *put(const char *name, const char *text)
{
    static char p[4][512];
    static int slot;
    char *path = p[slot++ % 4];
    snprintf(path, 512, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    fputs(text, fp);
    fclose(fp);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_labels.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void test_integer_labels(void **state)
{
    (void)state;
    io_labels l;
    la_error err;
    assert_int_equal(io_labels_load(put("a.csv", "label\n0\n2\n1\n"), NULL, 0, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_true(l.labels[0] == 0 && l.labels[1] == 2 && l.labels[2] == 1);
    assert_null(l.names);
    assert_null(l.ids);
    io_labels_free(&l);
    /* out of range once k is known: file and line */
    assert_int_equal(io_labels_load(put("b.csv", "label\n0\n3\n"), NULL, 3, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(io_labels_load(put("c.csv", "label\n0\n-1\n"), NULL, 0, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
}

static void test_names_and_ids(void **state)
{
    (void)state;
    io_labels l;
    la_error err;
    const char *f = put("n.csv", "id,label\nx1,dog\nx2,cat\nx3,\"fox, red\"\nx4,dog\n");
    assert_int_equal(io_labels_load(f, NULL, 0, &l, &err), 0);
    assert_int_equal(l.n_names, 3);
    assert_string_equal(l.names[0], "cat");
    assert_string_equal(l.names[1], "dog");
    assert_string_equal(l.names[2], "fox, red");
    assert_true(l.labels[0] == 1 && l.labels[1] == 0 && l.labels[2] == 2 && l.labels[3] == 1);
    assert_string_equal(l.ids[2], "x3");
    io_labels_free(&l);
    char *cls[3] = {(char *)"fox, red", (char *)"dog", (char *)"cat"};
    assert_int_equal(io_labels_load(f, cls, 3, &l, &err), 0);
    assert_true(l.labels[0] == 1 && l.labels[1] == 2 && l.labels[2] == 0);
    io_labels_free(&l);
    char *two[2] = {(char *)"dog", (char *)"cat"};
    assert_int_equal(io_labels_load(f, two, 2, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 4);
    assert_non_null(strstr(err.msg, "fox"));
}

static void test_label_file_errors(void **state)
{
    (void)state;
    io_labels l;
    la_error err;
    assert_int_equal(io_labels_load(put("e1.csv", "klass,other\n1,2\n"), NULL, 0, &l, &err), LA_EUSAGE);
    assert_int_equal(io_labels_load(put("e2.csv", "id,label\n1,2\n3\n"), NULL, 0, &l, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(io_labels_load(put("e3.csv", ""), NULL, 0, &l, &err), LA_EUSAGE);
    assert_int_equal(io_labels_load(put("e4.csv", "id,label\n1,\n"), NULL, 0, &l, &err), LA_EUSAGE);
    assert_int_equal(io_labels_load(put("e5.csv", "label\n\"open\n"), NULL, 0, &l, &err), LA_EUSAGE);
}

static void test_probs(void **state)
{
    (void)state;
    io_probs p;
    la_error err;
    assert_int_equal(io_probs_load(put("p.csv", "p0,p1\n0.25,0.75\n1,0\n"), &p, &err), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.k, 2);
    assert_null(p.class_names);
    assert_true(p.p[0] == 0.25 && p.p[3] == 0.0);
    io_probs_free(&p);
    assert_int_equal(io_probs_load(put("q.csv", "cat,dog\n0.5,0.5\n"), &p, &err), 0);
    assert_string_equal(p.class_names[1], "dog");
    io_probs_free(&p);
    assert_int_equal(io_probs_load(put("r.csv", "0.5,0.5\n0.1,0.9\n"), &p, &err), 0);
    assert_int_equal(p.n, 2);
    io_probs_free(&p);
    /* %.17g round trip: strtod gives back the exact double */
    assert_int_equal(io_probs_load(put("s.csv", "p0,p1\n0.10000000000000001,0.90000000000000002\n"), &p, &err), 0);
    assert_true(p.p[0] == 0.1 && p.p[1] == 0.9);
    io_probs_free(&p);
    /* tolerance: within 1e-6 outside [0, 1] is accepted */
    assert_int_equal(io_probs_load(put("t.csv", "p0,p1\n1.0000005,-5e-7\n"), &p, &err), 0);
    io_probs_free(&p);
}

static void test_prob_errors(void **state)
{
    (void)state;
    io_probs p;
    la_error err;
    assert_int_equal(io_probs_load(put("e1.csv", "p0,p1\n0.5,0.5\nnan,0.5\n"), &p, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(io_probs_load(put("e2.csv", "p0,p1\n0.5,0.5\n0.5,inf\n"), &p, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_int_equal(io_probs_load(put("e3.csv", "p0,p1\n1.5,-0.5\n"), &p, &err), LA_EUSAGE);
    assert_int_equal(err.line, 2);
    assert_int_equal(io_probs_load(put("e4.csv", "p0,p1\n0.5,0.5,0\n"), &p, &err), LA_EUSAGE);
    assert_int_equal(io_probs_load(put("e5.csv", "p0,p1\n0.5,abc\n"), &p, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "abc"));
    assert_int_equal(io_probs_load(put("e6.csv", "cat,cat\n0.5,0.5\n"), &p, &err), LA_EUSAGE);
}

static void test_class_list(void **state)
{
    (void)state;
    char **names;
    size_t k;
    la_error err;
    assert_int_equal(io_class_names_load(put("c.txt", "b\r\na\n\nc\n"), &names, &k, &err), 0);
    assert_int_equal(k, 3);
    assert_string_equal(names[0], "b");
    assert_string_equal(names[2], "c");
    io_free_strings(names, k);
    assert_int_equal(io_class_names_load(put("d.txt", "a\nb\na\n"), &names, &k, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
}

/* The one class-list reader (io_class_file_read behind io_class_names_load):
 * what the loaders' --classes and audit's --classes both accepted before
 * (a BOM, CRLF, empty lines) and what both refused, with file and line. */
static void test_class_list_one_reader(void **state)
{
    (void)state;
    char **names;
    size_t k;
    la_error err = {0};
    const char *p = put("bom.txt", "\xEF\xBB\xBF" "cat\r\ndog\r\n\r\n\xC3\xA9l\xC3\xA9phant\r\n");
    assert_int_equal(io_class_names_load(p, &names, &k, &err), 0);
    assert_int_equal(k, 3);
    assert_string_equal(names[0], "cat");          /* the BOM is not part of it */
    assert_string_equal(names[1], "dog");
    assert_string_equal(names[2], "\xC3\xA9l\xC3\xA9phant");
    io_free_strings(names, k);
    /* no final newline; a BOM alone on line 1 is an empty line */
    assert_int_equal(io_class_names_load(put("e.txt", "\xEF\xBB\xBF\nx\ny"), &names, &k, &err), 0);
    assert_int_equal(k, 2);
    assert_string_equal(names[1], "y");
    io_free_strings(names, k);
    /* duplicates name both lines (the BOM does not hide the first) */
    p = put("dup.txt", "\xEF\xBB\xBF" "cat\r\ndog\r\ncat\r\n");
    assert_int_equal(io_class_names_load(p, &names, &k, &err), LA_EUSAGE);
    assert_string_equal(err.file, p);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "class 'cat' listed twice (also on line 1)"));
    /* a BOM later in the file is a character of the name, not dropped */
    assert_int_equal(io_class_names_load(put("b2.txt", "a\n\xEF\xBB\xBF" "a\n"), &names, &k, &err), 0);
    assert_int_equal(k, 2);
    io_free_strings(names, k);
    /* bad text, with its line */
    assert_int_equal(io_class_names_load(put("u.txt", "cat\nd\xED\xA0\x80" "g\n"), &names, &k, &err), LA_EUSAGE);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    FILE *fp = fopen(p = put("nul.txt", ""), "wb");
    fwrite("a\nb\0c\n", 1, 6, fp);
    fclose(fp);
    assert_int_equal(io_class_names_load(p, &names, &k, &err), LA_EUSAGE);
    assert_int_equal(err.line, 2);
    assert_non_null(strstr(err.msg, "NUL byte"));
    /* nothing in it, or no file */
    assert_int_equal(io_class_names_load(put("empty.txt", "\xEF\xBB\xBF\r\n\n"), &names, &k, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "class list is empty"));
    assert_int_equal(io_class_names_load(put("none.txt", ""), &names, &k, &err), LA_EUSAGE);
    assert_int_equal(io_class_names_load("/no/such/classes.txt", &names, &k, &err), LA_EUSAGE);
    assert_string_equal(err.file, "/no/such/classes.txt");
}

/* pandas spellings: df.to_csv() index column, 0..K-1 header, id column. */
static void test_pandas_probs(void **state)
{
    (void)state;
    io_probs p;
    la_error err;
    /* index 0..N-1: recognised and dropped; header 0,1 names class indices */
    assert_int_equal(io_probs_load(put("pi.csv", ",0,1\n0,0.25,0.75\n1,1.0,0.0\n"), &p, &err), 0);
    assert_int_equal(p.n, 2);
    assert_int_equal(p.k, 2);
    assert_null(p.class_names);
    assert_null(p.ids);
    assert_true(p.p[1] == 0.75 && p.p[2] == 1.0);
    io_probs_free(&p);
    /* to_csv(index=False): 0,1 is the header, not a data row */
    assert_int_equal(io_probs_load(put("ph.csv", "0,1\n0.5,0.5\n"), &p, &err), 0);
    assert_int_equal(p.n, 1);
    io_probs_free(&p);
    /* a headerless first row that is not exactly 0..K-1 is still data */
    assert_int_equal(io_probs_load(put("pd.csv", "1,0\n0.5,0.5\n"), &p, &err), 0);
    assert_int_equal(p.n, 2);
    io_probs_free(&p);
    /* an index that is not 0..N-1 gives the ids; class names kept */
    assert_int_equal(io_probs_load(put("pn.csv", ",cat,dog\n7,0.5,0.5\n3,0.1,0.9\n"), &p, &err), 0);
    assert_string_equal(p.class_names[0], "cat");
    assert_non_null(p.ids);
    assert_string_equal(p.ids[1], "3");
    io_probs_free(&p);
    /* an id column anywhere; with an index too, the index is ignored (warning) */
    assert_int_equal(io_probs_load(put("pid.csv", ",p0,id,p1\n0,0.5,b,0.5\n1,0.1,a,0.9\n"), &p, &err), 0);
    assert_int_equal(p.k, 2);
    assert_null(p.class_names);
    assert_string_equal(p.ids[0], "b");
    assert_true(p.p[2] == 0.1 && p.p[3] == 0.9);
    assert_int_equal(p.n_warnings, 1);
    assert_non_null(strstr(p.warnings[0], "pandas index"));
    /* matched to labels' ids: any order; missing or extra ids refused */
    char a[] = "a", b[] = "b", zz[] = "zz";
    char *order[] = {a, b};
    assert_int_equal(io_probs_reorder(&p, "pid.csv", order, 2, "labels.csv", &err), 0);
    assert_true(p.p[0] == 0.1 && p.p[3] == 0.5);
    assert_string_equal(p.ids[0], "a");
    char *missing[] = {a, zz};
    assert_int_equal(io_probs_reorder(&p, "pid.csv", missing, 2, "labels.csv", &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "1 id of labels.csv has no row here: 'zz'"));
    assert_true(p.p[0] == 0.1);   /* unchanged */
    char *fewer[] = {b};
    assert_int_equal(io_probs_reorder(&p, "pid.csv", fewer, 1, "labels.csv", &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "1 row here has an id that labels.csv does not: 'a'"));
    io_probs_free(&p);
    /* duplicate ids refused with both lines */
    assert_int_equal(io_probs_load(put("pdup.csv", "id,p0,p1\nx,0.5,0.5\nx,0.1,0.9\n"), &p, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.msg, "duplicate id 'x' (also on line 2)"));
    /* a ragged row names the id column in its count */
    assert_int_equal(io_probs_load(put("prag.csv", "id,p0,p1\nx,0.5\n"), &p, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "expected 3 fields (2 probabilities and the id), found 2"));
}

static void test_pandas_labels(void **state)
{
    (void)state;
    io_labels l;
    la_error err;
    /* df.to_csv(): index column 0..N-1 dropped */
    assert_int_equal(io_labels_load(put("li.csv", ",label\n0,1\n1,0\n"), NULL, 0, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_null(l.ids);
    assert_true(l.labels[0] == 1 && l.labels[1] == 0);
    io_labels_free(&l);
    /* Series.to_csv(): index + one column named 0 */
    assert_int_equal(io_labels_load(put("ls.csv", ",0\nu,2\nv,0\n"), NULL, 3, &l, &err), 0);
    assert_string_equal(l.ids[0], "u");
    assert_true(l.labels[0] == 2);
    io_labels_free(&l);
    /* whitespace rule: trimmed, a warning names the first lines */
    assert_int_equal(io_labels_load(put("lw.csv", "label\nzero \nzero\n\" one\"\n"), NULL, 0, &l, &err), 0);
    assert_int_equal(l.n_names, 2);
    assert_string_equal(l.names[0], "one");
    assert_string_equal(l.names[1], "zero");
    assert_int_equal(l.n_warnings, 1);
    assert_non_null(strstr(l.warnings[0], "2 labels had leading or trailing whitespace, trimmed (first on lines 2, 4)"));
    io_labels_free(&l);
    /* class lists: names differing only by spaces are one name, listed twice */
    char **names;
    size_t k;
    assert_int_equal(io_class_names_load(put("cw.txt", "cat\n dog\ndog \n"), &names, &k, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "class 'dog' listed twice (also on line 2)"));
    char **warn = NULL;
    size_t nw = 0;
    assert_int_equal(io_class_names_load_warn(put("cw2.txt", "cat\n dog\n"), &names, &k, &warn, &nw, &err), 0);
    assert_string_equal(names[1], "dog");
    assert_int_equal(nw, 1);
    io_free_strings(names, k);
    io_free_strings(warn, nw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_labels),
        cmocka_unit_test(test_names_and_ids),
        cmocka_unit_test(test_label_file_errors),
        cmocka_unit_test(test_probs),
        cmocka_unit_test(test_prob_errors),
        cmocka_unit_test(test_class_list),
        cmocka_unit_test(test_class_list_one_reader),
        cmocka_unit_test(test_pandas_probs),
        cmocka_unit_test(test_pandas_labels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
