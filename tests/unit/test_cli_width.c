/*
 * test_cli_width.c — terminal tables count columns, not bytes: display width
 * of UTF-8 text (ASCII, accents, CJK, combining marks, bad bytes) and
 * cli_pad's cut-and-pad into an exact number of columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli/cli.h"

static char *padded(const char *s, size_t w, int right)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&buf, &n);
    assert_non_null(fp);
    cli_pad(fp, s, w, right);
    fclose(fp);
    return buf;
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(cli_display_width(""), 0);
    assert_int_equal(cli_display_width(NULL), 0);
    assert_int_equal(cli_display_width("cat"), 3);
    assert_int_equal(cli_display_width("caf\xc3\xa9"), 4);                 /* café: 5 bytes   */
    assert_int_equal(cli_display_width("\xe6\x97\xa5\xe6\x9c\xac"), 4);    /* 日本: 2 wide    */
    assert_int_equal(cli_display_width("e\xcc\x81"), 1);                  /* e + combining   */
    assert_int_equal(cli_display_width("\xf0\x9f\x90\x88"), 2);           /* an emoji        */
    assert_int_equal(cli_display_width("a\xff" "b"), 3);                  /* a bad byte: 1   */
}

static void test_pad(void **state)
{
    (void)state;
    char *s = padded("caf\xc3\xa9", 6, 0);
    assert_string_equal(s, "caf\xc3\xa9  ");
    free(s);
    s = padded("caf\xc3\xa9", 6, 1);
    assert_string_equal(s, "  caf\xc3\xa9");
    free(s);
    s = padded("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, 0);           /* 日本語 in 5: 日本 + 1 space */
    assert_string_equal(s, "\xe6\x97\xa5\xe6\x9c\xac ");
    free(s);
    s = padded("abcdef", 3, 0);
    assert_string_equal(s, "abc");
    free(s);
    s = padded(NULL, 2, 0);
    assert_string_equal(s, "  ");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_pad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
