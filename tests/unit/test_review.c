/*
 * test_review.c — the terminal review's pure parts: single keys, typed lines
 * (words, class by index or exact hostile name, junk), class lookup, the
 * terminal-safe sanitizer and the text shown for one example.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/review.h"

static char h0[] = "<script>alert(1)</script>";
static char h1[] = "Bob's \"best\", boot";
static char h2[] = "3";                   /* a name that looks like an index */
static char h3[] = "esc\033[2Jape";
static char *const names[4] = {h0, h1, h2, h3};

static void test_keys(void **state)
{
    (void)state;
    rv_command c;
    assert_int_equal(rv_parse_key('k', 2, &c), 0); assert_int_equal(c.action, RV_KEEP);
    assert_int_equal(rv_parse_key('r', 2, &c), 0); assert_int_equal(c.action, RV_RELABEL); assert_int_equal(c.label, 2);
    assert_int_equal(rv_parse_key('c', 2, &c), 0); assert_int_equal(c.action, RV_CHOOSE);
    assert_int_equal(rv_parse_key('d', 2, &c), 0); assert_int_equal(c.action, RV_DROP);
    assert_int_equal(rv_parse_key('s', 2, &c), 0); assert_int_equal(c.action, RV_SKIP);
    assert_int_equal(rv_parse_key('u', 2, &c), 0); assert_int_equal(c.action, RV_UNDO);
    assert_int_equal(rv_parse_key('q', 2, &c), 0); assert_int_equal(c.action, RV_QUIT);
    assert_int_equal(rv_parse_key(3, 2, &c), 0);   assert_int_equal(c.action, RV_QUIT);   /* Ctrl-C */
    assert_int_equal(rv_parse_key(4, 2, &c), 0);   assert_int_equal(c.action, RV_QUIT);   /* Ctrl-D */
    /* the pair answers (schema 007) */
    assert_int_equal(rv_parse_key('1', 2, &c), 0); assert_int_equal(c.action, RV_PAIR); assert_string_equal(c.pair, "drop");
    assert_int_equal(rv_parse_key('2', 2, &c), 0); assert_int_equal(c.action, RV_PAIR); assert_string_equal(c.pair, "keep");
    assert_int_equal(rv_parse_key('3', 2, &c), 0); assert_int_equal(c.action, RV_PAIR); assert_string_equal(c.pair, "keep_both");
    assert_int_equal(rv_parse_key('k', 2, &c), 0); assert_null(c.pair);
    assert_int_equal(rv_parse_key('4', 2, &c), -1);
    assert_int_equal(rv_parse_key('?', 2, &c), 0); assert_int_equal(c.action, RV_HELP);
    assert_int_equal(rv_parse_key('\n', 2, &c), 0); assert_int_equal(c.action, RV_NONE);
    assert_int_equal(rv_parse_key('x', 2, &c), -1);
    assert_int_equal(rv_parse_key(27, 2, &c), -1);
    assert_int_equal(rv_parse_key('K', 2, &c), -1);
    assert_int_equal(rv_parse_key('e', 2, &c), 0); assert_int_equal(c.action, RV_VERDICT); assert_string_equal(c.verdict, "error");
    assert_int_equal(rv_parse_key('a', 2, &c), 0); assert_string_equal(c.verdict, "ambiguous");
    assert_int_equal(rv_parse_key('f', 2, &c), 0); assert_string_equal(c.verdict, "false_alarm");
}

static int line(const char *s, rv_command *c)
{
    char why[256];
    why[0] = '\0';
    return rv_parse_line(s, 1, names, 4, c, why, sizeof why);
}

static void test_lines(void **state)
{
    (void)state;
    rv_command c;
    assert_int_equal(line("k\n", &c), 0);        assert_int_equal(c.action, RV_KEEP);
    assert_null(c.verdict);
    assert_null(c.pair);
    assert_int_equal(line("3", &c), 0);          assert_int_equal(c.action, RV_PAIR); assert_string_equal(c.pair, "keep_both");
    assert_int_equal(line("keep-both", &c), 0);  assert_string_equal(c.pair, "keep_both");
    assert_int_equal(line("pair-drop", &c), 0);  assert_string_equal(c.pair, "drop");
    assert_int_equal(line("2 x", &c), -1);
    assert_int_equal(line("e", &c), 0);          assert_int_equal(c.action, RV_VERDICT); assert_string_equal(c.verdict, "error");
    assert_int_equal(line("false_alarm", &c), 0); assert_string_equal(c.verdict, "false_alarm");
    assert_int_equal(line("ambiguous", &c), 0);  assert_string_equal(c.verdict, "ambiguous");
    assert_int_equal(line("e x", &c), -1);
    assert_int_equal(line("  keep \r\n", &c), 0); assert_int_equal(c.action, RV_KEEP);
    assert_int_equal(line("r", &c), 0);          assert_int_equal(c.action, RV_RELABEL); assert_int_equal(c.label, 1);
    assert_int_equal(line("relabel", &c), 0);    assert_int_equal(c.action, RV_RELABEL); assert_int_equal(c.label, 1);
    assert_int_equal(line("c", &c), 0);          assert_int_equal(c.action, RV_CHOOSE);
    assert_int_equal(line("c 0", &c), 0);        assert_int_equal(c.action, RV_RELABEL); assert_int_equal(c.label, 0);
    assert_int_equal(line("c Bob's \"best\", boot", &c), 0); assert_int_equal(c.label, 1);
    assert_int_equal(line("relabel <script>alert(1)</script>\n", &c), 0); assert_int_equal(c.label, 0);
    assert_int_equal(line("c 3", &c), 0);        assert_int_equal(c.label, 2);   /* exact name wins */
    assert_int_equal(line("c 4", &c), -1);
    assert_int_equal(line("c -1", &c), -1);
    assert_int_equal(line("c Cat", &c), -1);
    assert_int_equal(line("d", &c), 0);          assert_int_equal(c.action, RV_DROP);
    assert_int_equal(line("drop", &c), 0);       assert_int_equal(c.action, RV_DROP);
    assert_int_equal(line("s", &c), 0);          assert_int_equal(c.action, RV_SKIP);
    assert_int_equal(line("skip", &c), 0);       assert_int_equal(c.action, RV_SKIP);
    assert_int_equal(line("u", &c), 0);          assert_int_equal(c.action, RV_UNDO);
    assert_int_equal(line("undo", &c), 0);       assert_int_equal(c.action, RV_UNDO);
    assert_int_equal(line("q", &c), 0);          assert_int_equal(c.action, RV_QUIT);
    assert_int_equal(line("quit", &c), 0);       assert_int_equal(c.action, RV_QUIT);
    assert_int_equal(line("exit", &c), 0);       assert_int_equal(c.action, RV_QUIT);
    assert_int_equal(line("?", &c), 0);          assert_int_equal(c.action, RV_HELP);
    assert_int_equal(line("help", &c), 0);       assert_int_equal(c.action, RV_HELP);
    assert_int_equal(line("", &c), 0);           assert_int_equal(c.action, RV_NONE);
    assert_int_equal(line("   \n", &c), 0);      assert_int_equal(c.action, RV_NONE);
    assert_int_equal(line("keepx", &c), -1);
    assert_int_equal(line("k now", &c), -1);
    assert_int_equal(line("DROP TABLE queue", &c), -1);
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[0] = 'c';
    big[1] = ' ';
    big[sizeof big - 1] = '\0';
    assert_int_equal(line(big, &c), -1);
}

static void test_lookup_and_sanitize(void **state)
{
    (void)state;
    assert_int_equal(rv_class_lookup("0", names, 4), 0);
    assert_int_equal(rv_class_lookup("3", names, 4), 2);
    assert_int_equal(rv_class_lookup("esc\033[2Jape", names, 4), 3);
    assert_int_equal(rv_class_lookup("", names, 4), -1);
    assert_int_equal(rv_class_lookup("1x", names, 4), -1);
    assert_int_equal(rv_class_lookup("99999999999999999999", names, 4), -1);
    char out[64];
    rv_sanitize("esc\033[2Jape\n\x7f", out, sizeof out);
    assert_string_equal(out, "esc?[2Jape??");
    rv_sanitize("abcdef", out, 4);
    assert_string_equal(out, "abc");
    rv_sanitize(NULL, out, sizeof out);
    assert_string_equal(out, "");
}

static void test_format(void **state)
{
    (void)state;
    char id[] = "fm-t10k-00000", status[] = "relabel", img[] = "images/a.png";
    char feats[] = "[{\"name\":\"petal\\nwidth\",\"value\":1.5,\"given_mean\":0.2,\"suggested_mean\":1.4,\"z\":3}]";
    db_item it;
    memset(&it, 0, sizeof it);
    it.dataset_id = id;
    it.status = status;
    it.given = 3;
    it.suggested = 0;
    it.new_label = 1;
    it.quality = 0.0123;
    it.rank = 4;
    it.row = 17;
    it.image_path = img;
    it.features = feats;
    db_progress p = {.total = 60, .decided = 5};
    char *s = rv_format_item(&it, names, 4, &p);
    assert_non_null(s);
    assert_non_null(strstr(s, "[5 of 60 decided]"));
    assert_non_null(strstr(s, "id:        fm-t10k-00000   (row 17, rank 4)"));
    assert_non_null(strstr(s, "given:     esc?[2Jape"));
    assert_null(strchr(s, '\033'));
    assert_non_null(strstr(s, "suggested: <script>alert(1)</script>"));
    assert_non_null(strstr(s, "score:     0.0123"));
    assert_non_null(strstr(s, "status:    relabel -> Bob's \"best\", boot"));
    assert_non_null(strstr(s, "image:     images/a.png"));
    assert_non_null(strstr(s, "petal?width"));
    assert_non_null(strstr(s, "given-class mean 0.2"));
    free(s);
    it.given = 9;                 /* out of range: shown as #9, never read past */
    it.features = NULL;
    it.image_path = NULL;
    s = rv_format_item(&it, names, 4, NULL);
    assert_non_null(strstr(s, "given:     #9"));
    assert_null(strstr(s, "image:"));
    free(s);
}

/* The dataset checks' lines: types with scores, the partner with what the
 * database stored of it (a leak's test row too), control bytes replaced. */
static void test_format_issues(void **state)
{
    (void)state;
    char w1[] = "exact_duplicate", w2[] = "near_duplicate", w3[] = "leakage";
    db_issue v[] = {{1, 3, 150, 0, w1, 0.0}, {2, 3, 150, 0, w2, 0.25}};
    db_issues iss = {2, v};
    char id[] = "img\033[2J150", label[] = "Shirt", path[] = "images/150.png";
    db_issue_example p;
    memset(&p, 0, sizeof p);
    p.row = 150;
    p.dataset_id = id;
    p.label = label;
    p.image_path = path;
    char *s = rv_format_issues(&iss, &p);
    assert_non_null(s);
    assert_non_null(strstr(s, "issues:    exact_duplicate (score 0.0000), near_duplicate (score 0.2500)\n"));
    assert_non_null(strstr(s, "partner:   training row 150, id img?[2J150, label Shirt\n"));
    assert_non_null(strstr(s, "image images/150.png"));
    assert_null(strchr(s, '\033'));
    free(s);
    /* a leak: the partner is a test row; a stored example of another split
     * is not shown as it */
    db_issue l[] = {{1, 30, 50, 1, w3, 0.0}};
    db_issues leak = {1, l};
    p.row = 50;
    s = rv_format_issues(&leak, &p);
    assert_non_null(strstr(s, "partner:   test row 50\n"));
    assert_null(strstr(s, "id img"));
    free(s);
    p.test = 1;
    char feats[] = "[[\"RI\", 1.52], [\"Na\", 13.6]]";
    p.image_path = NULL;
    p.features = feats;
    s = rv_format_issues(&leak, &p);
    assert_non_null(strstr(s, "partner:   test row 50, id img?[2J150, label Shirt\n"));
    assert_non_null(strstr(s, " RI=1.52 Na=13.6\n"));
    free(s);
    db_issues none = {0, NULL};
    s = rv_format_issues(&none, NULL);
    assert_string_equal(s, "");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_lookup_and_sanitize),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_issues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
