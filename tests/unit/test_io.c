/* test_io.c — cmocka tests for the io/ loaders on the real files of
 * ../shared/data (LA_SHARED overrides the location): CSV tables, manifests,
 * image folders, IDX, the bad/ inputs, and the small pieces (hash table,
 * strict numbers, image headers, path checks, option handling). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dataset.h"
#include "cli/load_opts.h"
#include "io/strtab.h"
#include "io/csv_table.h"
#include "io/image.h"
#include "io/manifest.h"
#include "io/idx.h"
#include "io/npy.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_data[1024];

static const char *data_path(const char *rel)
{
    static char buf[8][1200];
    static int slot;
    char *p = buf[slot++ & 7];
    snprintf(p, sizeof buf[0], "%s/%s", g_data, rel);
    return p;
}

static int load(const char *rel, const io_load_opts *o, la_dataset *ds, la_error *err)
{
    io_load_opts def;
    if (!o) { io_load_opts_init(&def); o = &def; }
    return io_dataset_load(rel[0] == '/' || !strncmp(rel, "tests/", 6) ? rel : data_path(rel), o, ds, err);
}

/* ------------------------------------------------------------ small parts */

static void test_strtab(void **state)
{
    (void)state;
    io_strtab t = {0};
    char keys[1000][16];
    for (int i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        assert_int_equal(io_strtab_put(&t, keys[i], i), i);
    }
    assert_int_equal(t.count, 1000);
    assert_true(t.cap >= 2000);
    for (int i = 0; i < 1000; i++) assert_int_equal(io_strtab_get(&t, keys[i]), i);
    assert_int_equal(io_strtab_put(&t, "k7", 99), 7);   /* duplicate: old value back */
    assert_int_equal(io_strtab_get(&t, "nope"), -1);
    io_strtab_free(&t);
    assert_int_equal(io_strtab_get(&t, "k1"), -1);
}

static void test_parse_number(void **state)
{
    (void)state;
    double v;
    const char *good[] = {"0", "-0", "3", "5.1", "-12.75", ".5", "1.", "+4", "1e3", "2.5E-3", " 7 ", "0.30000000000000004",
                          "12345678901234567890", "1.0000000000000000000000001"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        assert_int_equal(io_parse_number(good[i], strlen(good[i]), &v), 0);
        assert_true(v == strtod(good[i], NULL));
    }
    const char *bad[] = {"", " ", "abc", "#VALUE!", "1e", "nan", "NaN", "inf", "-Infinity", "0x10", "1,5", "1.2.3",
                         "--1", "+", ".", "1e999", "3 4"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_not_equal(io_parse_number(bad[i], strlen(bad[i]), &v), 0);
    /* the fast path agrees with strtod on many random short decimals */
    srand(1);
    for (int i = 0; i < 100000; i++) {
        char s[40];
        int frac = rand() % 8;
        snprintf(s, sizeof s, "%s%d.%0*d", rand() % 2 ? "-" : "", rand() % 100000, frac ? frac : 1, rand() % 10000000);
        assert_int_equal(io_parse_number(s, strlen(s), &v), 0);
        if (v != strtod(s, NULL)) fail_msg("fast path differs on %s", s);
    }
}

typedef struct lines_ctx { long lines[16]; size_t nf[16]; int n; } lines_ctx;

static int lines_cb(void *ctx, long line, size_t nf, char **fields, const size_t *lens, la_error *err)
{
    (void)fields; (void)lens; (void)err;
    lines_ctx *c = ctx;
    if (c->n < 16) { c->lines[c->n] = line; c->nf[c->n] = nf; }
    c->n++;
    return 0;
}

static void test_csv_lines_with_quoted_newlines(void **state)
{
    (void)state;
    lines_ctx c = {0};
    la_error err;
    assert_int_equal(io_csv_read("tests/data/io/multiline_ok.csv", lines_cb, &c, &err), 0);
    assert_int_equal(c.n, 4);
    assert_int_equal(c.lines[0], 1);
    assert_int_equal(c.lines[1], 2);   /* spans lines 2-3 */
    assert_int_equal(c.lines[2], 5);   /* after a blank line */
    assert_int_equal(c.lines[3], 6);
    lines_ctx d = {0};
    assert_int_equal(io_csv_read("tests/data/io/multiline_ragged.csv", lines_cb, &d, &err), 0);
    assert_int_equal(d.lines[3], 6);
    assert_int_equal(d.nf[3], 2);
}

static void test_image_probe_headers(void **state)
{
    (void)state;
    la_error err;
    unsigned char *pix;
    int w, h;
    assert_int_equal(io_image_load(data_path("bad/huge_dimensions.png"), 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "100000x100000"));
    assert_null(pix);
    assert_int_equal(io_image_load(data_path("bad/decompression_bomb.png"), 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "16384x16384"));
    assert_int_equal(io_image_load(data_path("bad/truncated.png"), 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "corrupt or truncated"));
    assert_int_equal(io_image_load(data_path("bad/not_an_image.png"), 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "unknown image type"));
    assert_int_equal(io_image_load(data_path("bad/empty.png"), 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), LA_EUSAGE);
    assert_string_equal(err.file, data_path("bad/empty.png"));
    assert_int_equal(io_image_load(data_path("bad/images/fm-t10k-00000.png"), 3, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &err), 0);
    assert_int_equal(w, 28);
    assert_int_equal(h, 28);
    io_image_free(pix);
    /* the limit is inclusive: 28x28 = 784 passes at 784, fails at 783 */
    assert_int_equal(io_image_load(data_path("bad/images/fm-t10k-00000.png"), 1, 784, &pix, &w, &h, &err), 0);
    io_image_free(pix);
    assert_int_equal(io_image_load(data_path("bad/images/fm-t10k-00000.png"), 1, 783, &pix, &w, &h, &err), LA_EUSAGE);
}

/* io_image_decode, as the report's thumbnails use it: the file's own channels
 * (alpha kept), the same pixels as stb_image's own file loader, and the
 * loaders' checks and messages. */
static void test_image_decode_any_channels(void **state)
{
    (void)state;
    char dir[] = "/tmp/la_decode_XXXXXX", p[64];
    assert_non_null(mkdtemp(dir));
    unsigned char rgba[5 * 3 * 4];
    for (size_t i = 0; i < sizeof rgba; i++) rgba[i] = (unsigned char)(i * 37 + 11);
    la_error err = {0};
    unsigned char *pix;
    int w, h, c;
    for (int comp = 1; comp <= 4; comp++) {
        snprintf(p, sizeof p, "%s/c%d.png", dir, comp);
        assert_true(stbi_write_png(p, 5, 3, comp, rgba, 5 * comp));
        assert_int_equal(io_image_decode(p, 0, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &c, &err), 0);
        assert_int_equal(w, 5);
        assert_int_equal(h, 3);
        assert_int_equal(c, comp);
        int sw, sh, sc;
        unsigned char *ref = stbi_load(p, &sw, &sh, &sc, 0);
        assert_non_null(ref);
        assert_int_equal(sc, comp);
        assert_memory_equal(pix, ref, (size_t)5 * 3 * comp);
        stbi_image_free(ref);
        io_image_free(pix);
        /* converted on request; c_out may be NULL */
        assert_int_equal(io_image_decode(p, 3, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &c, &err), 0);
        assert_int_equal(c, 3);
        io_image_free(pix);
        assert_int_equal(io_image_decode(p, 1, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, NULL, &err), 0);
        io_image_free(pix);
        /* the pixel limit comes before decoding */
        assert_int_equal(io_image_decode(p, 0, 14, &pix, &w, &h, &c, &err), LA_EUSAGE);
        assert_null(pix);
        assert_string_equal(err.file, p);
        assert_non_null(strstr(err.msg, "5x3 = 15 pixels, over the limit of 14"));
        unlink(p);
    }
    assert_int_equal(io_image_decode(data_path("bad/decompression_bomb.png"), 0, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h,
                                     &c, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "16384x16384"));
    assert_int_equal(io_image_decode(data_path("bad/truncated.png"), 0, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &c, &err),
                     LA_EUSAGE);
    assert_non_null(strstr(err.msg, "corrupt or truncated"));
    assert_int_equal(io_image_decode(dir, 0, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &c, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not a regular file"));
    rmdir(dir);
}

static void test_path_inside(void **state)
{
    (void)state;
    assert_int_equal(io_path_inside("tests/data", "io/x.png"), 0);
    assert_int_equal(io_path_inside("tests/data", "io/../x.png"), 0);
    assert_int_equal(io_path_inside("tests/data", "./a/./b.png"), 0);
    assert_int_equal(io_path_inside("tests/data", "../x.png"), -1);
    assert_int_equal(io_path_inside("tests/data", "io/../../x.png"), -1);
    assert_int_equal(io_path_inside("tests/data", "/etc/passwd"), -1);
}

static void test_opts_handle(void **state)
{
    (void)state;
    io_load_opts o;
    io_load_opts_init(&o);
    assert_int_equal(o.max_pixels, 64000000);
    assert_int_equal(o.channels, 1);
    assert_int_equal(io_load_opts_handle(&o, IO_OPT_BASE + 6, "32x16", "t"), 0);
    assert_int_equal(o.image_w, 32);
    assert_int_equal(o.image_h, 16);
    assert_int_equal(io_load_opts_handle(&o, IO_OPT_BASE + 3, "mean", "t"), 0);
    assert_int_equal(o.missing, IO_MISSING_MEAN);
    assert_int_equal(io_load_opts_handle(&o, IO_OPT_BASE + 7, NULL, "t"), 0);
    assert_int_equal(o.channels, 3);
    assert_int_equal(io_load_opts_handle(&o, IO_OPT_BASE + 10, "idx", "t"), 0);
    assert_int_equal(o.format, IO_FORMAT_IDX);
    assert_int_equal(io_load_opts_handle(&o, 'x', "v", "t"), -1);
    size_t n = 0;
    while (io_load_long_options[n].name) n++;
    assert_int_equal(n, IO_LOAD_N_OPTIONS);
    assert_non_null(strstr(io_load_opts_help, "--allow-outside-root"));
}

/* --------------------------------------------------------------- tables */

static void test_iris(void **state)
{
    (void)state;
    la_dataset ds;
    la_error err;
    assert_int_equal(load("tabular/iris.csv", NULL, &ds, &err), 0);
    assert_int_equal(ds.format, IO_FORMAT_CSV);
    assert_int_equal(ds.n, 150);
    assert_int_equal(ds.d, 4);
    assert_int_equal(ds.k, 3);
    assert_string_equal(ds.class_names[0], "setosa");
    assert_string_equal(ds.class_names[2], "virginica");
    assert_string_equal(ds.ids[0], "iris-0000");
    assert_string_equal(ds.feature_names[0], "sepal length (cm)");
    assert_true(ds.features[0] == 5.1f);
    assert_true(ds.features[149 * 4 + 3] == 1.8f);   /* last row, petal width */
    assert_int_equal(ds.labels[0], 0);
    assert_int_equal(ds.labels[149], 2);
    assert_int_equal(ds.n_columns, 6);
    assert_int_equal(ds.columns[0].type, IO_COL_ID);
    assert_int_equal(ds.columns[5].type, IO_COL_LABEL);
    assert_null(ds.image_paths);
    io_dataset_free(&ds);
    io_dataset_free(&ds);   /* safe on a zeroed struct */
}

static void assert_same_dataset(const la_dataset *a, const la_dataset *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->d, b->d);
    assert_int_equal(a->k, b->k);
    for (size_t c = 0; c < a->k; c++) assert_string_equal(a->class_names[c], b->class_names[c]);
    for (size_t i = 0; i < a->n; i++) assert_string_equal(a->ids[i], b->ids[i]);
    assert_memory_equal(a->labels, b->labels, a->n * sizeof *a->labels);
    for (size_t j = 0; j < a->d; j++) assert_string_equal(a->feature_names[j], b->feature_names[j]);
    assert_memory_equal(a->features, b->features, a->n * a->d * sizeof(float));
}

static void test_bom_crlf_equals_iris(void **state)
{
    (void)state;
    la_dataset a, b;
    la_error err;
    assert_int_equal(load("tabular/iris.csv", NULL, &a, &err), 0);
    assert_int_equal(load("bad/bom_crlf.csv", NULL, &b, &err), 0);
    assert_string_equal(b.columns[0].name, "id");
    assert_same_dataset(&a, &b);
    io_dataset_free(&a);
    io_dataset_free(&b);
}

static void test_escaping_labels(void **state)
{
    (void)state;
    la_dataset ds;
    la_error err;
    assert_int_equal(load("bad/escaping_labels.csv", NULL, &ds, &err), 0);
    assert_int_equal(ds.k, 3);
    /* byte-wise sorted: '<' < 'B' < 'R' */
    assert_string_equal(ds.class_names[0], "<script>alert(1)</script>");
    assert_string_equal(ds.class_names[1], "Bob's \"best\", boot");
    assert_string_equal(ds.class_names[2], "Robert'); DROP TABLE labels;--");
    io_dataset_free(&ds);
}

static void test_categorical_and_missing(void **state)
{
    (void)state;
    la_dataset ds;
    la_error err;
    io_load_opts o;
    io_load_opts_init(&o);
    assert_int_equal(load("tabular/penguins.csv", &o, &ds, &err), LA_EUSAGE);
    assert_int_equal(err.line, 5);
    assert_string_equal(err.column, "bill_length_mm");
    o.missing = IO_MISSING_MEAN;
    assert_int_equal(load("tabular/penguins.csv", &o, &ds, &err), 0);
    assert_int_equal(ds.n, 344);
    assert_int_equal(ds.n_missing, 19);
    /* island: Biscoe, Dream, Torgersen one-hot; sex: female, male */
    int island = -1;
    for (size_t j = 0; j < ds.d; j++)
        if (!strcmp(ds.feature_names[j], "island=Biscoe")) island = (int)j;
    assert_true(island >= 0);
    assert_string_equal(ds.feature_names[island + 1], "island=Dream");
    assert_string_equal(ds.feature_names[island + 2], "island=Torgersen");
    assert_int_equal(ds.feature_onehot[island], 1);
    size_t src = (size_t)ds.feature_source[island];
    assert_string_equal(ds.columns[src].name, "island");
    assert_int_equal(ds.columns[src].type, IO_COL_CATEGORICAL);
    assert_int_equal(ds.columns[src].n_categories, 3);
    for (size_t i = 0; i < ds.n; i++) {
        const float *x = ds.features + i * ds.d + island;
        assert_true(x[0] + x[1] + x[2] == 1.0f);
    }
    /* row 3 (line 5) has no bill length: filled with the column mean */
    int bill = -1;
    for (size_t j = 0; j < ds.d; j++)
        if (!strcmp(ds.feature_names[j], "bill_length_mm")) bill = (int)j;
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < ds.n; i++)
        if (i != 3 && i != 271) { sum += ds.features[i * ds.d + bill]; cnt++; }
    assert_true(fabs(ds.features[3 * ds.d + bill] - sum / (double)cnt) < 1e-3);
    io_dataset_free(&ds);
    o.missing = IO_MISSING_ZERO;
    assert_int_equal(load("tabular/penguins.csv", &o, &ds, &err), 0);
    assert_true(ds.features[3 * ds.d + bill] == 0.0f);
    io_dataset_free(&ds);
}

static void test_features_and_classes_options(void **state)
{
    (void)state;
    la_dataset ds;
    la_error err;
    io_load_opts o;
    io_load_opts_init(&o);
    o.features = "petal width (cm),\"sepal length (cm)\"";
    o.classes_file = "tests/data/io/iris_classes.txt";
    assert_int_equal(load("tabular/iris.csv", &o, &ds, &err), 0);
    assert_int_equal(ds.d, 2);
    assert_string_equal(ds.feature_names[0], "sepal length (cm)");   /* file order */
    assert_string_equal(ds.class_names[0], "virginica");
    assert_int_equal(ds.labels[0], 1);   /* setosa is second in the list */
    io_dataset_free(&ds);
    o.classes_file = "tests/data/io/iris_classes_short.txt";
    assert_int_equal(load("tabular/iris.csv", &o, &ds, &err), LA_EUSAGE);
    assert_int_equal(err.line, 52);
    assert_non_null(strstr(err.msg, "versicolor"));
    o.classes_file = NULL;
    o.id_col = "nope";   /* absent: ids are row numbers */
    o.features = NULL;
    assert_int_equal(load("tabular/iris.csv", &o, &ds, &err), 0);
    assert_string_equal(ds.ids[0], "0");
    assert_string_equal(ds.ids[149], "149");
    assert_int_equal(ds.d, 4 + 150);   /* the old id column is now a categorical feature */
    io_dataset_free(&ds);
}

static void test_bad_tables(void **state)
{
    (void)state;
    struct { const char *file; long line; const char *column; const char *msg; } cases[] = {
        {"bad/ragged_row.csv", 42, "", "expected 6 fields, got 5"},
        {"bad/unterminated_quote.csv", 77, "", "unterminated quoted field"},
        {"bad/nonnumeric_value.csv", 23, "sepal width (cm)", "'#VALUE!' is not a number"},
        {"bad/empty_label.csv", 101, "label", "empty label"},
        {"bad/duplicate_ids.csv", 60, "", "line 59 and line 60"},
        {"bad/empty.csv", 0, "", "empty file"},
        {"bad/manifest_missing_image.csv", 17, "", "images/fm-t10k-99999.png"},
        {"bad/manifest_mixed_sizes.csv", 32, "", "8x8 but the earlier images are 28x28"},
        {"bad/manifest_corrupt_images.csv", 12, "", "truncated.png"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        la_dataset ds;
        la_error err;
        assert_int_equal(load(cases[i].file, NULL, &ds, &err), LA_EUSAGE);
        assert_string_equal(err.file, data_path(cases[i].file));
        assert_int_equal(err.line, cases[i].line);
        assert_string_equal(err.column, cases[i].column);
        if (!strstr(err.msg, cases[i].msg)) fail_msg("%s: '%s' lacks '%s'", cases[i].file, err.msg, cases[i].msg);
        assert_int_equal(ds.n, 0);   /* nothing half-filled */
        assert_null(ds.features);
    }
}

/* pandas tables, id-like columns, many levels, the whitespace rule and
 * numbers beyond a double, through files written here. */
static const char *tmp_table(const char *name, const char *text)
{
    static char path[4][256];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 256, "/tmp/test_io_%d_%s", (int)getpid(), name);
    FILE *fp = fopen(p, "wb");
    fputs(text, fp);
    fclose(fp);
    return p;
}

static void test_pandas_tables(void **state)
{
    (void)state;
    io_load_opts o;
    io_load_opts_init(&o);
    la_dataset ds;
    la_error err;
    const char *idx = tmp_table("idx.csv", ",x,label\n0,1.5,a\n1,2.5,b\n");
    assert_int_equal(io_dataset_load(idx, &o, &ds, &err), 0);
    assert_int_equal(ds.d, 1);
    assert_int_equal(ds.columns[0].type, IO_COL_ID);
    assert_string_equal(ds.ids[1], "1");
    io_dataset_free(&ds);
    const char *un = tmp_table("un.csv", "Unnamed: 0,id,x,label\n0,q,1.5,a\n1,r,2.5,b\n");
    assert_int_equal(io_dataset_load(un, &o, &ds, &err), 0);
    assert_int_equal(ds.d, 1);
    assert_int_equal(ds.columns[0].type, IO_COL_UNUSED);
    assert_string_equal(ds.ids[0], "q");
    assert_int_equal(ds.n_warnings, 1);
    io_dataset_free(&ds);
    /* a string column distinct in each of 60 rows: the id, with a warning */
    char buf[8192];
    size_t used = (size_t)snprintf(buf, sizeof buf, "sample,x,label\n");
    for (int i = 0; i < 60; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "s%d,%d,%s \n", i, i, i % 2 ? "a" : "b");
    assert_int_equal(io_dataset_load(tmp_table("sid.csv", buf), &o, &ds, &err), 0);
    assert_int_equal(ds.columns[0].type, IO_COL_ID);
    assert_string_equal(ds.ids[59], "s59");
    assert_int_equal(ds.d, 1);
    assert_int_equal(ds.k, 2);               /* 'a ' trimmed to 'a' */
    assert_int_equal(ds.n_warnings, 2);
    assert_non_null(strstr(ds.warnings[0], "used as the id column"));
    assert_non_null(strstr(ds.warnings[1], "60 labels had leading or trailing whitespace, trimmed (first on lines 2, 3, 4, ...)"));
    io_dataset_free(&ds);
    /* the same beside an id column: refused naming --id-col */
    used = (size_t)snprintf(buf, sizeof buf, "id,sample,x,label\n");
    for (int i = 0; i < 60; i++) used += (size_t)snprintf(buf + used, sizeof buf - used, "%d,s%d,%d,a\n", i, i, i);
    assert_int_equal(io_dataset_load(tmp_table("sid2.csv", buf), &o, &ds, &err), LA_EUSAGE);
    assert_string_equal(err.column, "sample");
    assert_non_null(strstr(err.msg, "--id-col sample"));
    o.features = "x,sample";   /* asked for: allowed */
    assert_int_equal(io_dataset_load(tmp_table("sid2.csv", buf), &o, &ds, &err), 0);
    assert_int_equal(ds.d, 61);
    io_dataset_free(&ds);
    o.features = NULL;
    /* numbers beyond a double */
    assert_int_equal(io_dataset_load(tmp_table("big.csv", "x,label\n1,a\n-1e400,b\n"), &o, &ds, &err), LA_EUSAGE);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.column, "x");
    assert_non_null(strstr(err.msg, "too large for a double"));
}

static void test_parse_number_overflow(void **state)
{
    (void)state;
    double v;
    assert_int_equal(io_parse_number("1e999", 5, &v), IO_NUM_OVERFLOW);
    assert_int_equal(io_parse_number("-1E400", 6, &v), IO_NUM_OVERFLOW);
    assert_int_equal(io_parse_number("1e-999", 6, &v), 0);   /* underflow is 0, a number */
    static char digits[400];
    memset(digits, '9', sizeof digits - 1);
    assert_int_equal(io_parse_number(digits, strlen(digits), &v), IO_NUM_OVERFLOW);
    digits[0] = '0';
    digits[1] = '.';   /* 0.999...: long but fine */
    assert_int_equal(io_parse_number(digits, strlen(digits), &v), 0);
    assert_true(v == 1.0);
    digits[5] = 'x';
    assert_int_equal(io_parse_number(digits, strlen(digits), &v), -1);
}

/* ---------------------------------------------------- images and IDX */

static la_dataset g_train;   /* Fashion-MNIST train, loaded once */

static void test_idx(void **state)
{
    (void)state;
    la_error err;
    assert_int_equal(load("fashion-mnist/train-images-idx3-ubyte.gz", NULL, &g_train, &err), 0);
    assert_int_equal(g_train.format, IO_FORMAT_IDX);
    assert_int_equal(g_train.n, 60000);
    assert_int_equal(g_train.d, 784);
    assert_int_equal(g_train.k, 10);
    assert_string_equal(g_train.class_names[0], "T-shirt_top");
    assert_string_equal(g_train.class_names[9], "Ankle boot");
    assert_string_equal(g_train.ids[59999], "59999");
    size_t counts[10] = {0};
    for (size_t i = 0; i < g_train.n; i++) counts[g_train.labels[i]]++;
    for (int c = 0; c < 10; c++) assert_int_equal(counts[c], 6000);
    for (size_t i = 0; i < g_train.n * g_train.d; i += 997)
        assert_true(g_train.features[i] >= 0.0f && g_train.features[i] <= 1.0f);
    char lp[1200];
    assert_int_equal(io_idx_labels_path(data_path("fashion-mnist/t10k-images-idx3-ubyte.gz"), lp, sizeof lp), 0);
    assert_string_equal(lp, data_path("fashion-mnist/t10k-labels-idx1-ubyte.gz"));
}

static int find_id(const la_dataset *ds, const char *id)
{
    for (size_t i = 0; i < ds->n; i++)
        if (!strcmp(ds->ids[i], id)) return (int)i;
    return -1;
}

static void test_png_manifest_matches_idx(void **state)
{
    (void)state;
    la_dataset m, f;
    la_error err;
    assert_int_equal(load("fashion-mnist-png/manifest.csv", NULL, &m, &err), 0);
    assert_int_equal(m.format, IO_FORMAT_MANIFEST);
    assert_int_equal(m.n, 3000);
    assert_int_equal(m.d, 784);
    assert_int_equal(m.image_w, 28);
    assert_int_equal(m.n_image_sizes, 1);
    assert_non_null(strstr(m.image_paths[0], "fashion-mnist-png/images/"));
    /* id fm-train-NNNNN is row NNNNN of the IDX file, pixel for pixel */
    for (size_t i = 0; i < m.n; i++) {
        size_t idx = (size_t)atol(m.ids[i] + strlen("fm-train-"));
        assert_string_equal(m.class_names[m.labels[i]], g_train.class_names[g_train.labels[idx]]);
        assert_memory_equal(m.features + i * 784, g_train.features + idx * 784, 784 * sizeof(float));
    }
    /* the folder form holds the same examples (in class, then file order) */
    assert_int_equal(load("fashion-mnist-png/images", NULL, &f, &err), 0);
    assert_int_equal(f.format, IO_FORMAT_FOLDER);
    assert_int_equal(f.n, 3000);
    for (size_t c = 0; c < f.k; c++) assert_string_equal(f.class_names[c], m.class_names[c]);
    for (size_t i = 0; i < f.n; i += 7) {
        int j = find_id(&m, f.ids[i]);
        assert_true(j >= 0);
        assert_int_equal(f.labels[i], m.labels[j]);
        assert_memory_equal(f.features + i * 784, m.features + (size_t)j * 784, 784 * sizeof(float));
    }
    io_dataset_free(&m);
    io_dataset_free(&f);
    io_dataset_free(&g_train);
}

static void test_digits_png_match_csv(void **state)
{
    (void)state;
    la_dataset png, csv;
    la_error err;
    assert_int_equal(load("digits-png/manifest.csv", NULL, &png, &err), 0);
    assert_int_equal(load("tabular/digits.csv", NULL, &csv, &err), 0);
    assert_int_equal(png.n, 1797);
    assert_int_equal(png.d, 64);
    for (size_t i = 0; i < png.n; i++) {
        assert_string_equal(png.ids[i], csv.ids[i]);
        assert_string_equal(png.class_names[png.labels[i]], csv.class_names[csv.labels[i]]);
        for (size_t j = 0; j < 64; j++) {
            /* README: pixel = floor((v * 255 + 8) / 16) */
            int v = (int)csv.features[i * 64 + j];
            int pixel = (int)lroundf(png.features[i * 64 + j] * 255.0f);
            assert_int_equal(pixel, (v * 255 + 8) / 16);
        }
    }
    io_dataset_free(&png);
    io_dataset_free(&csv);
}

static void test_image_options(void **state)
{
    (void)state;
    la_dataset ds;
    la_error err;
    io_load_opts o;
    io_load_opts_init(&o);
    o.image_w = 28;
    o.image_h = 28;
    o.channels = 3;
    assert_int_equal(load("bad/manifest_mixed_sizes.csv", &o, &ds, &err), 0);
    assert_int_equal(ds.n, 61);
    assert_int_equal(ds.d, 28 * 28 * 3);
    assert_int_equal(ds.n_image_sizes, 2);
    io_dataset_free(&ds);
    io_load_opts_init(&o);
    o.no_features = 1;
    assert_int_equal(load("bad/manifest_corrupt_images.csv", &o, &ds, &err), 0);   /* paths only */
    assert_null(ds.features);
    assert_int_equal(ds.n, 64);
    io_dataset_free(&ds);
    io_load_opts_init(&o);
    assert_int_equal(load("bad/manifest_corrupt_images.csv", &o, &ds, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "line 27"));
    assert_non_null(strstr(err.msg, "line 42"));
    assert_non_null(strstr(err.msg, "line 57"));
    assert_int_equal(load("bad/manifest_escaping_labels.csv", &o, &ds, &err), 0);
    assert_string_equal(ds.class_names[1], "Bob's \"best\", boot");
    io_dataset_free(&ds);
}


/* PNG, BMP, TGA and JPEG written by stb_image_write load through the folder
 * loader; RGB channels land in (row, column, channel) order; --image-size
 * resizes, and a constant image stays constant. */
static void test_formats_rgb_resize(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-io-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[256];
    snprintf(p, sizeof p, "%s/red", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/blue", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    unsigned char red[4 * 6 * 3], blue[4 * 6 * 3];
    for (int i = 0; i < 4 * 6; i++) {
        red[3 * i] = 255; red[3 * i + 1] = 0; red[3 * i + 2] = 0;
        blue[3 * i] = 0; blue[3 * i + 1] = 0; blue[3 * i + 2] = 200;
    }
    snprintf(p, sizeof p, "%s/red/a.png", dir);
    assert_true(stbi_write_png(p, 6, 4, 3, red, 6 * 3));
    snprintf(p, sizeof p, "%s/red/b.bmp", dir);
    assert_true(stbi_write_bmp(p, 6, 4, 3, red));
    snprintf(p, sizeof p, "%s/blue/c.tga", dir);
    assert_true(stbi_write_tga(p, 6, 4, 3, blue));
    snprintf(p, sizeof p, "%s/blue/d.jpg", dir);
    assert_true(stbi_write_jpg(p, 6, 4, 3, blue, 100));
    snprintf(p, sizeof p, "%s/blue/notes.txt", dir);   /* not an image: skipped */
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("hello\n", f);
    fclose(f);
    la_dataset ds;
    la_error err;
    io_load_opts o;
    io_load_opts_init(&o);
    o.channels = 3;
    assert_int_equal(io_dataset_load(dir, &o, &ds, &err), 0);
    assert_int_equal(ds.format, IO_FORMAT_FOLDER);
    assert_int_equal(ds.n, 4);
    assert_int_equal(ds.d, 6 * 4 * 3);
    assert_string_equal(ds.class_names[0], "blue");
    assert_string_equal(ds.ids[0], "c");
    assert_string_equal(ds.ids[3], "b");
    for (size_t i = 0; i < ds.n; i++) {
        const float *x = ds.features + i * ds.d;
        int is_red = ds.labels[i] == 1;
        for (size_t px = 0; px < 24; px++) {
            float r = x[3 * px], b = x[3 * px + 2];
            if (is_red) assert_true(fabsf(r - 1.0f) < 0.02f && b < 0.02f);
            else assert_true(r < 0.02f && fabsf(b - 200.0f / 255.0f) < 0.02f);
        }
    }
    io_dataset_free(&ds);
    o.channels = 1;
    o.image_w = 3;
    o.image_h = 2;
    assert_int_equal(io_dataset_load(dir, &o, &ds, &err), 0);
    assert_int_equal(ds.d, 6);
    assert_int_equal(ds.image_sizes[0].w, 6);
    assert_int_equal(ds.image_sizes[0].h, 4);
    for (size_t j = 1; j < ds.d; j++) assert_true(fabsf(ds.features[j] - ds.features[0]) < 0.01f);
    io_dataset_free(&ds);
    /* a file name used in two classes: ids become class/file for all */
    snprintf(p, sizeof p, "%s/red/c.png", dir);
    assert_true(stbi_write_png(p, 6, 4, 3, red, 6 * 3));
    io_load_opts_init(&o);
    assert_int_equal(io_dataset_load(dir, &o, &ds, &err), 0);
    assert_int_equal(ds.n, 5);
    assert_string_equal(ds.ids[0], "blue/c.tga");
    assert_string_equal(ds.ids[4], "red/c.png");
    io_dataset_free(&ds);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}


/* .npy features + a CSV of class names (with ids) as --npy-labels. */
static void test_npy_dataset(void **state)
{
    (void)state;
    char dir[] = "/tmp/la-io-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char x[256], y[256];
    snprintf(x, sizeof x, "%s/emb.npy", dir);
    snprintf(y, sizeof y, "%s/labels.csv", dir);
    float m[4 * 3] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    la_error err;
    assert_int_equal(io_npy_save_f32(x, m, 4, 3, &err), 0);
    FILE *f = fopen(y, "w");
    assert_non_null(f);
    fputs("id,label\nq0,dog\nq1,cat\nq2,dog\nq3,bird\n", f);
    fclose(f);
    la_dataset ds;
    io_load_opts o;
    io_load_opts_init(&o);
    assert_int_equal(io_dataset_load(x, &o, &ds, &err), LA_EUSAGE);   /* labels needed */
    assert_non_null(strstr(err.msg, "--npy-labels"));
    o.npy_labels = y;
    assert_int_equal(io_dataset_load(x, &o, &ds, &err), 0);
    assert_int_equal(ds.format, IO_FORMAT_NPY);
    assert_int_equal(ds.n, 4);
    assert_int_equal(ds.d, 3);
    assert_int_equal(ds.k, 3);
    assert_string_equal(ds.class_names[ds.labels[1]], "cat");
    assert_string_equal(ds.class_names[ds.labels[3]], "bird");
    assert_string_equal(ds.ids[2], "q2");
    assert_memory_equal(ds.features, m, sizeof m);
    io_dataset_free(&ds);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const char *shared = getenv("LA_SHARED");
    snprintf(g_data, sizeof g_data, "%s/data", shared && *shared ? shared : "../shared");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strtab),
        cmocka_unit_test(test_parse_number),
        cmocka_unit_test(test_csv_lines_with_quoted_newlines),
        cmocka_unit_test(test_image_probe_headers),
        cmocka_unit_test(test_image_decode_any_channels),
        cmocka_unit_test(test_path_inside),
        cmocka_unit_test(test_opts_handle),
        cmocka_unit_test(test_iris),
        cmocka_unit_test(test_bom_crlf_equals_iris),
        cmocka_unit_test(test_escaping_labels),
        cmocka_unit_test(test_categorical_and_missing),
        cmocka_unit_test(test_features_and_classes_options),
        cmocka_unit_test(test_bad_tables),
        cmocka_unit_test(test_pandas_tables),
        cmocka_unit_test(test_parse_number_overflow),
        cmocka_unit_test(test_idx),
        cmocka_unit_test(test_png_manifest_matches_idx),
        cmocka_unit_test(test_digits_png_match_csv),
        cmocka_unit_test(test_image_options),
        cmocka_unit_test(test_formats_rgb_resize),
        cmocka_unit_test(test_npy_dataset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
