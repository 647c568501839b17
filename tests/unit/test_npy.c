/*
 * test_npy.c — io/npy: round trips for float32/float64/int64, row-range
 * reads with conversion, and refusal of what we do not read (big-endian,
 * Fortran order, 3-D, truncated data, bad magic).
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

#include "io/npy.h"

static char dir[256];

static const char *tpath(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_npy.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void write_raw(const char *name, const char *hdr, const void *data, size_t bytes)
{
    FILE *fp = fopen(tpath(name), "wb");
    size_t len = strlen(hdr), total = 10 + len + 1, pad = (64 - total % 64) % 64, hl = len + pad + 1;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)hl, (unsigned char)(hl >> 8)};
    fwrite(pre, 1, 10, fp);
    fwrite(hdr, 1, len, fp);
    for (size_t i = 0; i < pad; i++) fputc(' ', fp);
    fputc('\n', fp);
    if (bytes) fwrite(data, 1, bytes, fp);
    fclose(fp);
}

static void test_roundtrip_f64(void **state)
{
    (void)state;
    double m[6] = {0.1, 0.2, 0.7, 1.0 / 3, 0.5, 1e-300};
    la_error err;
    assert_int_equal(io_npy_save_f64(tpath("a.npy"), m, 2, 3, &err), 0);
    double *out;
    size_t r, c;
    assert_int_equal(io_npy_load_f64(tpath("a.npy"), &out, &r, &c, &err), 0);
    assert_int_equal(r, 2);
    assert_int_equal(c, 3);
    assert_memory_equal(out, m, sizeof m);
    free(out);
    /* row range with a fresh reader */
    io_npy f;
    assert_int_equal(io_npy_open(&f, tpath("a.npy"), &err), 0);
    double row[3];
    assert_int_equal(io_npy_read_rows_f64(&f, 1, 1, row, &err), 0);
    assert_memory_equal(row, m + 3, sizeof row);
    assert_int_not_equal(io_npy_read_rows_f64(&f, 2, 1, row, &err), 0);
    io_npy_close(&f);
}

static void test_f32_widened_exactly(void **state)
{
    (void)state;
    float m[4] = {0.1f, 0.9f, 0.25f, 0.75f};
    la_error err;
    assert_int_equal(io_npy_save_f32(tpath("b.npy"), m, 2, 2, &err), 0);
    double *out;
    size_t r, c;
    assert_int_equal(io_npy_load_f64(tpath("b.npy"), &out, &r, &c, &err), 0);
    for (int i = 0; i < 4; i++) assert_true(out[i] == (double)m[i]);
    free(out);
    io_npy f;
    assert_int_equal(io_npy_open(&f, tpath("b.npy"), &err), 0);
    assert_int_equal(f.dtype, IO_DT_F32);
    float back[4];
    assert_int_equal(io_npy_read_rows_f32(&f, 0, 2, back, &err), 0);
    assert_memory_equal(back, m, sizeof m);
    io_npy_close(&f);
}

static void test_int_labels(void **state)
{
    (void)state;
    int64_t v[5] = {0, 2, 1, 1, 0};
    la_error err;
    assert_int_equal(io_npy_save_i64(tpath("l.npy"), v, 5, &err), 0);
    int64_t *out;
    size_t n;
    assert_int_equal(io_npy_load_i64(tpath("l.npy"), &out, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, v, sizeof v);
    free(out);
    int32_t w[3] = {3, -1, 7};
    write_raw("i4.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", w, sizeof w);
    assert_int_equal(io_npy_load_i64(tpath("i4.npy"), &out, &n, &err), 0);
    assert_true(out[0] == 3 && out[1] == -1 && out[2] == 7);
    free(out);
    /* float labels are refused */
    double d[2] = {0, 1};
    write_raw("fl.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", d, sizeof d);
    assert_int_equal(io_npy_load_i64(tpath("fl.npy"), &out, &n, &err), LA_EUSAGE);
}

static void test_refusals(void **state)
{
    (void)state;
    double d[4] = {0};
    la_error err;
    io_npy f;
    write_raw("be.npy", "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", d, sizeof d);
    assert_int_equal(io_npy_open(&f, tpath("be.npy"), &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "big-endian"));
    /* Fortran order is read now (test_fortran_order); a value that is
     * neither True nor False is still refused */
    write_raw("fo.npy", "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (2, 2), }", d, sizeof d);
    assert_int_equal(io_npy_open(&f, tpath("fo.npy"), &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "fortran_order"));
    write_raw("f16i.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (4,), }", d, 8);
    int64_t iv[4];
    assert_int_equal(io_npy_open(&f, tpath("f16i.npy"), &err), 0);
    assert_int_equal(io_npy_read_rows_i64(&f, 0, 4, iv, &err), LA_EUSAGE);   /* floats are not labels */
    io_npy_close(&f);
    write_raw("3d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 2), }", d, sizeof d);
    assert_int_equal(io_npy_open(&f, tpath("3d.npy"), &err), LA_EUSAGE);
    write_raw("tr.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", d, sizeof d);
    assert_int_equal(io_npy_open(&f, tpath("tr.npy"), &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "truncated"));
    write_raw("obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", d, 16);
    assert_int_equal(io_npy_open(&f, tpath("obj.npy"), &err), LA_EUSAGE);
    FILE *fp = fopen(tpath("junk.npy"), "wb");
    fputs("not a numpy file at all", fp);
    fclose(fp);
    assert_int_equal(io_npy_open(&f, tpath("junk.npy"), &err), LA_EUSAGE);
    assert_int_equal(io_npy_open(&f, tpath("absent.npy"), &err), LA_EUSAGE);
}

/* float16: every half converts exactly (normal, subnormal, zero, inf). */
static void test_float16(void **state)
{
    (void)state;
    /* 1.0, 0.5, -2.0, 65504 (max), 2^-24 (smallest subnormal), 0.1 (rounded
     * to 0.0999755859375), -0.0, inf */
    uint16_t h[8] = {0x3C00, 0x3800, 0xC000, 0x7BFF, 0x0001, 0x2E66, 0x8000, 0x7C00};
    double want[8] = {1.0, 0.5, -2.0, 65504.0, 0x1p-24, 0.0999755859375, -0.0, INFINITY};
    write_raw("h.npy", "{'descr': '<f2', 'fortran_order': False, 'shape': (4, 2), }", h, sizeof h);
    la_error err;
    io_npy f;
    assert_int_equal(io_npy_open(&f, tpath("h.npy"), &err), 0);
    assert_int_equal(f.dtype, IO_DT_F16);
    double d[8];
    float s[8];
    assert_int_equal(io_npy_read_rows_f64(&f, 0, 4, d, &err), 0);
    assert_int_equal(io_npy_read_rows_f32(&f, 1, 3, s, &err), 0);
    for (int i = 0; i < 8; i++) assert_true(d[i] == want[i]);
    for (int i = 0; i < 6; i++) assert_true((double)s[i] == want[i + 2]);
    assert_true(signbit(d[6]));
    io_npy_close(&f);
}

/* Fortran order: the file holds columns; reads return C-order rows, for any
 * row range, and with more rows than one gather buffer. */
static void test_fortran_order(void **state)
{
    (void)state;
    enum { R = 10000, C = 3 };
    static double colmajor[R * C];
    static float colmajor32[R * C];
    for (int j = 0; j < C; j++)
        for (int i = 0; i < R; i++) colmajor[j * R + i] = colmajor32[j * R + i] = (float)(i * 10 + j);
    write_raw("fo64.npy", "{'descr': '<f8', 'fortran_order': True, 'shape': (10000, 3), }", colmajor, sizeof colmajor);
    write_raw("fo32.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (10000, 3), }", colmajor32,
              sizeof colmajor32);
    la_error err;
    io_npy f;
    static double d[R * C];
    static float s[R * C];
    assert_int_equal(io_npy_open(&f, tpath("fo64.npy"), &err), 0);
    assert_true(f.fortran);
    assert_int_equal(io_npy_read_rows_f64(&f, 0, R, d, &err), 0);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) assert_true(d[i * C + j] == i * 10 + j);
    assert_int_equal(io_npy_read_rows_f64(&f, 4095, 3, d, &err), 0);   /* a chunk inside */
    assert_true(d[0] == 40950 && d[4] == 40961 && d[8] == 40972);
    assert_int_equal(io_npy_read_rows_f32(&f, 9999, 1, s, &err), 0);
    assert_true(s[0] == 99990 && s[2] == 99992);
    io_npy_close(&f);
    float *all;
    size_t rows, cols;
    assert_int_equal(io_npy_load_f32(tpath("fo32.npy"), &all, &rows, &cols, &err), 0);
    assert_int_equal(rows, R);
    assert_int_equal(cols, C);
    for (int i = 0; i < R; i++) assert_true(all[i * C + 1] == i * 10 + 1);
    free(all);
    /* a 1-D array flagged Fortran is the same bytes: labels still read */
    int64_t lab[3] = {2, 0, 1}, got[3];
    write_raw("fo1.npy", "{'descr': '<i8', 'fortran_order': True, 'shape': (3,), }", lab, sizeof lab);
    assert_int_equal(io_npy_open(&f, tpath("fo1.npy"), &err), 0);
    assert_int_equal(io_npy_read_rows_i64(&f, 0, 3, got, &err), 0);
    assert_true(got[0] == 2 && got[2] == 1);
    io_npy_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_f64),
        cmocka_unit_test(test_f32_widened_exactly),
        cmocka_unit_test(test_int_labels),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_float16),
        cmocka_unit_test(test_fortran_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
