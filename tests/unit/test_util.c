/* test_util.c — cmocka tests for util/: error records, atomic files, paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_set_and_print),
        cmocka_unit_test(test_atomic_commit_and_abort),
        cmocka_unit_test(test_mkdir_p_and_join),
        cmocka_unit_test(test_checked_alloc_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
