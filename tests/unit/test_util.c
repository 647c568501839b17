/* test_util.c — cmocka tests for util/: error records, atomic files, paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/la_util.h"

static void test_error_set_and_print(void **state)
{
    (void)state;
    la_error err;
    la_error_clear(&err);
    assert_int_equal(la_error_set(&err, LA_EUSAGE, "a.csv", 42, "expected %d fields, got %d", 6, 5), LA_EUSAGE);
    assert_string_equal(err.file, "a.csv");
    assert_int_equal(err.line, 42);
    char buf[256];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    la_error_print(&err, f);
    fclose(f);
    assert_string_equal(buf, "labelaudit: a.csv:42: expected 6 fields, got 5\n");
}

static void test_atomic_commit_and_abort(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-util-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256];
    assert_int_equal(la_path_join(path, sizeof path, dir, "out.txt"), 0);
    la_error err;
    la_atomic_file af;
    /* an aborted write leaves nothing behind */
    assert_int_equal(la_atomic_open(&af, path, &err), 0);
    fputs("half", af.fp);
    la_atomic_abort(&af);
    assert_int_equal(access(path, F_OK), -1);
    /* a committed write appears whole */
    assert_int_equal(la_atomic_open(&af, path, &err), 0);
    fputs("whole\n", af.fp);
    assert_int_equal(access(path, F_OK), -1); /* not visible before commit */
    assert_int_equal(la_atomic_commit(&af, &err), 0);
    FILE *f = fopen(path, "r");
    char line[32] = {0};
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "whole\n");
    unlink(path);
    rmdir(dir);
}

static void test_mkdir_p_and_join(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-util-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char deep[256];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    la_error err;
    assert_int_equal(la_mkdir_p(deep, &err), 0);
    struct stat st;
    assert_int_equal(stat(deep, &st), 0);
    char small[8];
    assert_int_equal(la_path_join(small, sizeof small, "abcdef", "ghijk"), -1);
    char ok[32];
    assert_int_equal(la_path_join(ok, sizeof ok, "a/", "b"), 0);
    assert_string_equal(ok, "a/b");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_checked_alloc_overflow(void **state)
{
    (void)state;
    assert_null(la_malloc_array(SIZE_MAX / 2, 4));
    assert_null(la_calloc(SIZE_MAX / 2, 4));
    void *p = la_calloc(0, 8);
    assert_non_null(p);
    free(p);
}

/* la_atomic_commit_all: every file appears whole, or (a rename fails: the
 * target is a directory) the ones not yet renamed are discarded. */
static void test_atomic_commit_all(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-util-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[70][256];
    la_atomic_file af[70];
    la_error err;
    for (int i = 0; i < 70; i++) {      /* more than one wave of 64 fsync threads */
        char name[32];
        snprintf(name, sizeof name, "f%02d.txt", i);
        assert_int_equal(la_path_join(path[i], sizeof path[i], dir, name), 0);
        assert_int_equal(la_atomic_open(&af[i], path[i], &err), 0);
        fprintf(af[i].fp, "file %d\n", i);
    }
    for (int i = 0; i < 70; i++) assert_int_equal(access(path[i], F_OK), -1);
    assert_int_equal(la_atomic_commit_all(af, 70, &err), 0);
    for (int i = 0; i < 70; i++) {
        FILE *f = fopen(path[i], "r");
        char line[32] = {0}, want[32];
        assert_non_null(f);
        assert_non_null(fgets(line, sizeof line, f));
        fclose(f);
        snprintf(want, sizeof want, "file %d\n", i);
        assert_string_equal(line, want);
        unlink(path[i]);
    }
    /* the second of three cannot be renamed (a directory is in the way) */
    for (int i = 0; i < 3; i++) assert_int_equal(la_atomic_open(&af[i], path[i], &err), 0);
    assert_int_equal(mkdir(path[1], 0700), 0);
    assert_int_not_equal(la_atomic_commit_all(af, 3, &err), 0);
    assert_string_equal(err.file, path[1]);
    assert_int_equal(access(path[0], F_OK), 0);     /* renamed before the failure */
    assert_int_equal(access(path[2], F_OK), -1);    /* discarded */
    assert_int_equal(access(af[2].tmp, F_OK), -1);
    assert_int_equal(access(af[1].tmp, F_OK), -1);
    unlink(path[0]);
    rmdir(path[1]);
    assert_int_equal(rmdir(dir), 0);                 /* nothing else left */
}

/* la_fmt_g17 must print exactly what printf("%.17g") prints: checked on
 * the fast path's edges (powers of ten, roundings up to the next power,
 * exact halves) and on millions of values drawn uniformly in bits. */
static void g17_same(double x)
{
    char a[64], b[64];
    int n = la_fmt_g17(x, a);
    snprintf(b, sizeof b, "%.17g", x);
    if (strcmp(a, b) != 0) fail_msg("la_fmt_g17(%a): '%s', printf: '%s'", x, a, b);
    assert_int_equal(n, (int)strlen(b));
}

static void test_fmt_g17_matches_printf(void **state)
{
    (void)state;
    const double edges[] = {0, 1, -0.5, 1e-4, 1e-3, 1e-2, 0.1, 0.5, 0.25, 0.125, 0.9999999999999999,
                            0.99999999999999994, 0.099999999999999992, 0.0099999999999999985,
                            0.00099999999999999991, 0.0001, 9.9999999999999991e-05, 1.5, 1e300, 5e-324,
                            0.10000000000000001, 1.0 / 3, 2.0 / 3, 0.7};
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        g17_same(edges[i]);
        g17_same(nextafter(edges[i], 0));
        g17_same(nextafter(edges[i], 2));
    }
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 2000000; i++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        /* uniform in [2^-14, 1) by exponent and mantissa, and float32 values widened */
        uint64_t bits = ((uint64_t)(1023 - 1 - (int)(r % 14)) << 52) | (r >> 12);
        double x;
        memcpy(&x, &bits, sizeof x);
        g17_same(x);
        g17_same((double)(float)x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_and_print),
        cmocka_unit_test(test_atomic_commit_and_abort),
        cmocka_unit_test(test_mkdir_p_and_join),
        cmocka_unit_test(test_checked_alloc_overflow),
        cmocka_unit_test(test_fmt_g17_matches_printf),
        cmocka_unit_test(test_atomic_commit_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
