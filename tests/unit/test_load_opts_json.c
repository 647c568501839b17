/* test_load_opts_json.c — cmocka tests for io/load_opts_json: the loader
 * options written as the audit's summary has always written them (checked
 * against a copy of that code), read back field by field, defaults left out,
 * and the refusals of the reader. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/dataset.h"
#include "io/load_opts_json.h"

/* The writer as cli/cmd_audit.c's au_summary had it before the move, kept
 * here as the reference the new writer must match byte for byte. */
static void reference_to_json(const io_load_opts *lo, json_t *opt)
{
    const char *files[3][2] = {{"classes", lo->classes_file}, {"idx_labels", lo->idx_labels},
                               {"npy_labels", lo->npy_labels}};
    for (int f = 0; f < 3; f++) {
        if (!files[f][1]) continue;
        char *abs = realpath(files[f][1], NULL);
        json_object_set_new(opt, files[f][0], json_string(abs ? abs : files[f][1]));
        free(abs);
    }
    if (lo->format != IO_FORMAT_AUTO) json_object_set_new(opt, "format_in", json_string(io_format_name(lo->format)));
    if (lo->label_col && strcmp(lo->label_col, "label"))
        json_object_set_new(opt, "label_col", json_string(lo->label_col));
    if (lo->id_col && strcmp(lo->id_col, "id")) json_object_set_new(opt, "id_col", json_string(lo->id_col));
    if (lo->features) json_object_set_new(opt, "features", json_string(lo->features));
}

/* Both writers after the same leading key, dumped as the summary is. */
static void assert_same_as_reference(const io_load_opts *lo)
{
    json_t *a = json_pack("{ss}", "filter_by", "prune_by_noise_rate");
    json_t *b = json_pack("{ss}", "filter_by", "prune_by_noise_rate");
    reference_to_json(lo, a);
    assert_int_equal(io_load_opts_to_json(lo, b), 0);
    char *ta = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    char *tb = json_dumps(b, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    assert_string_equal(ta, tb);
    free(ta);
    free(tb);
    json_decref(a);
    json_decref(b);
}

static void test_defaults_write_nothing(void **state)
{
    (void)state;
    io_load_opts lo;
    io_load_opts_init(&lo);
    json_t *o = json_object();
    assert_int_equal(io_load_opts_to_json(&lo, o), 0);
    assert_int_equal(json_object_size(o), 0);
    /* the defaults given explicitly are still defaults */
    lo.label_col = "label";
    lo.id_col = "id";
    assert_int_equal(io_load_opts_to_json(&lo, o), 0);
    assert_int_equal(json_object_size(o), 0);
    /* and nothing recorded reads back as the defaults */
    io_load_opts back, def;
    io_load_opts_init(&def);
    io_load_opts_strings st = {0};
    la_error err = {0};
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), 0);
    assert_int_equal(memcmp(&back, &def, sizeof def), 0);
    assert_int_equal(io_load_opts_from_json(NULL, &back, &st, &err), 0);
    assert_int_equal(memcmp(&back, &def, sizeof def), 0);
    io_load_opts_strings_free(&st);
    json_decref(o);
}

static void test_matches_the_audit_summary(void **state)
{
    (void)state;
    char cwd[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    io_load_opts lo;
    io_load_opts_init(&lo);
    assert_same_as_reference(&lo);
    lo.classes_file = "tests/data/io/iris_classes.txt";     /* exists: made absolute */
    assert_same_as_reference(&lo);
    lo.idx_labels = "no/such/labels-idx1-ubyte";           /* missing: as given */
    lo.npy_labels = "Makefile";
    lo.format = IO_FORMAT_NPY;
    assert_same_as_reference(&lo);
    lo.label_col = "species";
    lo.id_col = "row id";
    lo.features = "a,\"b,c\",d";
    assert_same_as_reference(&lo);
    for (io_format f = IO_FORMAT_AUTO; f <= IO_FORMAT_NPY; f++) {
        lo.format = f;
        assert_same_as_reference(&lo);
    }
    /* a name that is not UTF-8 cannot be JSON: left out, as before */
    lo.label_col = "caf\xE9";
    assert_same_as_reference(&lo);
    json_t *o = json_object();
    assert_int_equal(io_load_opts_to_json(&lo, o), 0);
    assert_null(json_object_get(o, "label_col"));
    json_decref(o);
    /* the key order is the summary's */
    lo.label_col = "species";
    o = json_object();
    assert_int_equal(io_load_opts_to_json(&lo, o), 0);
    const char *want[] = {"classes", "idx_labels", "npy_labels", "format_in", "label_col", "id_col", "features"};
    size_t i = 0;
    for (void *it = json_object_iter(o); it; it = json_object_iter_next(o, it), i++) {
        assert_true(i < 7);
        assert_string_equal(json_object_iter_key(it), want[i]);
    }
    assert_int_equal(i, 7);
    char abs[PATH_MAX + 64];
    snprintf(abs, sizeof abs, "%s/tests/data/io/iris_classes.txt", cwd);
    char *real = realpath(abs, NULL);
    assert_non_null(real);
    assert_string_equal(json_string_value(json_object_get(o, "classes")), real);
    free(real);
    json_decref(o);
}

/* Every recorded field, one at a time and all together, survives the trip;
 * the strings are copies that outlive the JSON. */
static void test_round_trip(void **state)
{
    (void)state;
    io_load_opts lo;
    io_load_opts_init(&lo);
    lo.classes_file = "/no/such/classes.txt";
    lo.idx_labels = "/no/such/train-labels-idx1-ubyte.gz";
    lo.npy_labels = "/no/such/labels.csv";
    lo.label_col = "species";
    lo.id_col = "name";
    lo.features = "bill_length_mm,island";
    for (int field = -1; field < 7; field++) {
        io_load_opts one;
        io_load_opts_init(&one);
        if (field < 0) one = lo;
        if (field == 0) one.classes_file = lo.classes_file;
        if (field == 1) one.idx_labels = lo.idx_labels;
        if (field == 2) one.npy_labels = lo.npy_labels;
        if (field == 3) one.label_col = lo.label_col;
        if (field == 4) one.id_col = lo.id_col;
        if (field == 5) one.features = lo.features;
        for (io_format f = IO_FORMAT_AUTO; f <= IO_FORMAT_NPY; f++) {
            one.format = f;
            json_t *o = json_object();
            assert_int_equal(io_load_opts_to_json(&one, o), 0);
            io_load_opts back;
            io_load_opts_strings st = {0};
            la_error err = {0};
            assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), 0);
            json_decref(o);                 /* back must not point into o */
            assert_int_equal(back.format, one.format);
            assert_string_equal(back.label_col, one.label_col);
            assert_string_equal(back.id_col, one.id_col);
#define SAME_OR_NULL(a, b) do { if (b) assert_string_equal(a, b); else assert_null(a); } while (0)
            SAME_OR_NULL(back.features, one.features);
            SAME_OR_NULL(back.classes_file, one.classes_file);
            SAME_OR_NULL(back.idx_labels, one.idx_labels);
            SAME_OR_NULL(back.npy_labels, one.npy_labels);
#undef SAME_OR_NULL
            /* the fields that are not recorded keep their defaults */
            assert_int_equal(back.missing, IO_MISSING_ERROR);
            assert_int_equal(back.channels, 1);
            assert_int_equal(back.max_pixels, IO_MAX_PIXELS_DEFAULT);
            assert_int_equal(back.image_w, 0);
            assert_int_equal(back.allow_outside_root, 0);
            assert_null(back.progress);
            io_load_opts_strings_free(&st);
        }
    }
}

/* The value options (missing, image size, rgb, max pixels, outside root)
 * are recorded only when not the default, and read back. */
static void test_value_options_round_trip(void **state)
{
    (void)state;
    io_load_opts lo;
    io_load_opts_init(&lo);
    lo.missing = IO_MISSING_MEAN;
    lo.image_w = 32;
    lo.image_h = 16;
    lo.channels = 3;
    lo.max_pixels = 1000;
    lo.allow_outside_root = 1;
    json_t *o = json_object();
    assert_int_equal(io_load_opts_to_json(&lo, o), 0);
    char *text = json_dumps(o, JSON_COMPACT);
    assert_string_equal(text, "{\"missing\":\"mean\",\"image_size\":\"32x16\",\"rgb\":true,"
                              "\"max_pixels\":1000,\"allow_outside_root\":true}");
    free(text);
    io_load_opts back;
    io_load_opts_strings st = {0};
    la_error err = {0};
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), 0);
    assert_int_equal(back.missing, IO_MISSING_MEAN);
    assert_int_equal(back.image_w, 32);
    assert_int_equal(back.image_h, 16);
    assert_int_equal(back.channels, 3);
    assert_int_equal(back.max_pixels, 1000);
    assert_int_equal(back.allow_outside_root, 1);
    io_load_opts_strings_free(&st);
    json_decref(o);
    const char *bad[] = {"{\"missing\":\"median\"}", "{\"image_size\":\"32\"}", "{\"image_size\":\"0x3\"}",
                         "{\"max_pixels\":-5}", "{\"max_pixels\":\"many\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        assert_non_null(b);
        assert_int_equal(io_load_opts_from_json(b, &back, &st, &err), LA_EUSAGE);
        assert_int_equal(back.missing, IO_MISSING_ERROR);   /* left at the defaults */
        json_decref(b);
    }
}

static void test_reader_refusals(void **state)
{
    (void)state;
    io_load_opts back;
    io_load_opts_strings st = {0};
    la_error err = {0};
    /* the audit's own options and nulls are ignored */
    json_t *o = json_pack("{sssisnss}", "filter_by", "both", "seed", 7, "classes", "label_col", "y");
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), 0);
    assert_null(back.classes_file);
    assert_string_equal(back.label_col, "y");
    json_decref(o);
    /* a second read frees the first one's strings */
    o = json_pack("{ss}", "id_col", "k");
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), 0);
    assert_string_equal(back.label_col, "label");
    assert_string_equal(back.id_col, "k");
    assert_null(st.label_col);
    json_decref(o);
    /* not a string, an unknown format, not an object: refused, defaults left */
    o = json_pack("{sssi}", "label_col", "y", "id_col", 3);
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "'id_col' is not a string"));
    assert_string_equal(back.label_col, "label");
    assert_null(st.label_col);
    json_decref(o);
    o = json_pack("{ss}", "format_in", "tiff");
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "format_in 'tiff'"));
    assert_int_equal(back.format, IO_FORMAT_AUTO);
    json_decref(o);
    o = json_pack("[s]", "label_col");
    assert_int_equal(io_load_opts_from_json(o, &back, &st, &err), LA_EUSAGE);
    json_decref(o);
    io_load_opts_strings_free(&st);
    io_load_opts_strings_free(NULL);
}

static void test_format_names(void **state)
{
    (void)state;
    io_format f = IO_FORMAT_AUTO;
    for (io_format g = IO_FORMAT_CSV; g <= IO_FORMAT_NPY; g++) {
        assert_int_equal(io_format_from_name(io_format_name(g), &f), 0);
        assert_int_equal(f, g);
    }
    assert_int_equal(io_format_from_name("auto", &f), -1);
    assert_int_equal(io_format_from_name("CSV", &f), -1);
    assert_int_equal(f, IO_FORMAT_NPY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_write_nothing),
        cmocka_unit_test(test_matches_the_audit_summary),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_value_options_round_trip),
        cmocka_unit_test(test_reader_refusals),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
