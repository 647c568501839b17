/*
 * test_audit_print.c — `audit --top N` and the issue rows of `audit --format
 * json` (cli/audit_print.h) over a hand-made audit result: the table's
 * columns line up (UTF-8 names counted as characters, long names cut), a
 * tabular dataset gives the telling features, and the JSON is summary.json's
 * object, unchanged, with the "issues" rows appended.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/audit_print.h"

typedef struct fixture {
    au_result  r;
    au_input   in;
    au_opts    o;
    uint32_t   ranked[3];
    double     score[3];
    int32_t    given[3], sugg[3];
    char      *names[3], *ids[5], *paths[5];
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    static char n0[] = "Ankle boot", n1[] = "T-shirt \xc3\xa9t\xc3\xa9",   /* 10 characters, 12 bytes */
                n2[] = "a_class_name_far_longer_than_the_column";
    static char i0[] = "a", i1[] = "b", i2[] = "c", i3[] = "d", i4[] = "e";
    static char p1[] = "img/b.png", p3[] = "img/d.png", p4[] = "img/e.png";
    f->names[0] = n0, f->names[1] = n1, f->names[2] = n2;
    char *ids[5] = {i0, i1, i2, i3, i4}, *paths[5] = {NULL, p1, NULL, p3, p4};
    memcpy(f->ids, ids, sizeof ids);
    memcpy(f->paths, paths, sizeof paths);
    uint32_t ranked[3] = {3, 1, 4};
    double score[3] = {1e-12, 0.0123, 0.25};
    int32_t given[3] = {1, 0, 2}, sugg[3] = {0, 2, 1};
    memcpy(f->ranked, ranked, sizeof ranked);
    memcpy(f->score, score, sizeof score);
    memcpy(f->given, given, sizeof given);
    memcpy(f->sugg, sugg, sizeof sugg);
    f->r.cl.n = 5, f->r.cl.k = 3;
    f->r.cl.ranked = f->ranked;
    f->r.cl.ranked_score = f->score;
    f->r.cl.ranked_given = f->given;
    f->r.cl.ranked_suggested = f->sugg;
    f->r.cl.n_flagged = 3;
    f->r.summary_json = (char *)"{\n  \"n\": 5,\n  \"k\": 3,\n  \"num_flagged\": 3\n}";
    f->in.n = 5, f->in.k = 3;
    f->in.class_names = f->names;
    f->in.ids = f->ids;
    f->in.image_paths = f->paths;
    au_opts_init(&f->o);
}

static char *capture_top(fixture *f, const la_dataset *ds, size_t top)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    la_error err = {0};
    assert_int_equal(au_print_top(out, &f->r, &f->in, &f->o, ds, top, &err), 0);
    fclose(out);
    return buf;
}

/* Character offset of needle in line (UTF-8 aware). */
static long col_of(const char *line, const char *needle)
{
    const char *at = strstr(line, needle);
    if (!at) return -1;
    long c = 0;
    for (const char *p = line; p < at; p++) c += ((unsigned char)*p & 0xC0) != 0x80;
    return c;
}

static void test_top_table(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    char *s = capture_top(&f, NULL, 2);
    char *lines[4] = {0};
    int n = 0;
    for (char *p = strtok(s, "\n"); p && n < 4; p = strtok(NULL, "\n")) lines[n++] = p;
    assert_int_equal(n, 4);          /* the heading, the header and 2 rows: --top 2 */
    assert_string_equal(lines[0], "top 2 of 3 flagged (ranked by self_confidence, lowest score first):");
    /* rank 1 is row 3 (id d): given T-shirt été, suggested Ankle boot, its image */
    assert_non_null(strstr(lines[2], "   1  d "));
    assert_non_null(strstr(lines[2], "img/d.png"));
    assert_non_null(strstr(lines[2], "1e-12"));
    /* the suggested and score columns start at the same character in every line */
    long cs = col_of(lines[1], "suggested"), cc = col_of(lines[1], "score");
    assert_true(cs > 0 && cc > cs);
    assert_int_equal(col_of(lines[2], "Ankle boot"), cs);
    assert_int_equal(col_of(lines[3], "a_class_name_far_long..."), cs);   /* cut at 24 characters */
    assert_int_equal(col_of(lines[2], "1e-12"), cc);
    assert_int_equal(col_of(lines[3], "0.0123"), cc);
    free(s);
    /* --top larger than the flagged count: all 3 */
    s = capture_top(&f, NULL, 100);
    assert_non_null(strstr(s, "top 3 of 3 flagged"));
    assert_non_null(strstr(s, "img/e.png"));
    free(s);
    f.r.cl.n_flagged = 0;            /* nothing flagged: one line says so */
    s = capture_top(&f, NULL, 5);
    assert_string_equal(s, "no flagged examples\n");
    free(s);
}

static void test_top_features(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.in.image_paths = NULL;
    /* 5 rows, 1 feature: row 3 (given 1) has the value of class 0 */
    float x[5] = {0, 0, 10, 0, 20};
    int32_t y[5] = {0, 0, 1, 1, 2};
    char fname[] = "flavanoids";
    char *fn[1] = {fname};
    la_dataset ds = {0};
    ds.n = 5, ds.d = 1, ds.k = 3;
    ds.features = x, ds.labels = y, ds.feature_names = fn;
    char *s = capture_top(&f, &ds, 1);
    assert_non_null(strstr(s, "telling features"));
    assert_non_null(strstr(s, "flavanoids 0 (given 5, sugg. 0)"));
    free(s);
    la_error err = {0};
    char *j = au_json_with_issues(&f.r, &f.in, &ds, 0, &err);
    json_t *doc = json_loads(j, 0, NULL);
    free(j);
    json_t *rows = json_object_get(doc, "issues");
    assert_int_equal(json_array_size(rows), 3);
    json_t *first = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "d");
    assert_int_equal(json_integer_value(json_object_get(first, "row")), 3);
    assert_true(json_is_null(json_object_get(first, "image_path")));
    json_t *feat = json_array_get(json_object_get(first, "features"), 0);
    assert_string_equal(json_string_value(json_object_get(feat, "name")), "flavanoids");
    json_decref(doc);
}

static void test_json_rows(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    la_error err = {0};
    char *j = au_json_with_issues(&f.r, &f.in, NULL, 2, &err);
    assert_non_null(j);
    /* summary.json's keys first, unchanged, then the rows */
    assert_memory_equal(j, "{\n  \"n\": 5,\n  \"k\": 3,\n  \"num_flagged\": 3,\n  \"issues\": [", 51);
    json_t *doc = json_loads(j, 0, NULL);
    free(j);
    json_t *rows = json_object_get(doc, "issues");
    assert_int_equal(json_array_size(rows), 2);
    json_t *second = json_array_get(rows, 1);
    assert_int_equal(json_integer_value(json_object_get(second, "rank")), 2);
    assert_string_equal(json_string_value(json_object_get(second, "given")), "Ankle boot");
    assert_string_equal(json_string_value(json_object_get(second, "suggested")),
                        "a_class_name_far_longer_than_the_column");
    assert_string_equal(json_string_value(json_object_get(second, "image_path")), "img/b.png");
    assert_true(json_real_value(json_object_get(second, "score")) == 0.0123);
    assert_null(json_object_get(second, "features"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_top_table),
        cmocka_unit_test(test_top_features),
        cmocka_unit_test(test_json_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
