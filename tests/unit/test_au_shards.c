/*
 * test_au_shards.c — cmocka tests of the sharded probability inputs
 * (audit.h au_shards_*, the streamed reader of au_source.c over shards):
 * glob expansion in byte-wise order, comma lists in their order, the
 * row offsets and the dtype rule, a reader range that spans shard
 * boundaries returning exactly the concatenated rows while the shards
 * outside its range are never opened (they are deleted first), and the
 * refusals (no match, another K, float32 with integers, an empty entry).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/au_source.h"
#include "io/npy.h"

static char dir[256];

static void path_of(char *p, size_t cap, const char *name) { snprintf(p, cap, "%s/%s", dir, name); }

/* m rows of k columns, value v(i, j) = (base + i) * 10 + j (exact in float32) */
static void save_f64(const char *name, size_t base, size_t m, size_t k)
{
    double *v = calloc(m * k + 1, sizeof *v);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) v[i * k + j] = (double)((base + i) * 10 + j);
    char p[512];
    path_of(p, sizeof p, name);
    la_error e;
    assert_int_equal(io_npy_save_f64(p, v, m, k, &e), 0);
    free(v);
}

static void save_f32(const char *name, size_t base, size_t m, size_t k)
{
    float *v = calloc(m * k + 1, sizeof *v);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++) v[i * k + j] = (float)((base + i) * 10 + j);
    char p[512];
    path_of(p, sizeof p, name);
    la_error e;
    assert_int_equal(io_npy_save_f32(p, v, m, k, &e), 0);
    free(v);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/la-shards-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_glob_order_offsets(void **state)
{
    (void)state;
    save_f64("p10.npy", 30, 5, 3);   /* byte-wise: p0 < p10 < p9 */
    save_f64("p9.npy", 35, 2, 3);
    save_f64("p0.npy", 0, 30, 3);
    char spec[512];
    path_of(spec, sizeof spec, "p*.npy");
    assert_true(au_shards_is_spec(spec));
    au_shards sh;
    la_error e;
    assert_int_equal(au_shards_open(spec, &sh, &e), 0);
    assert_int_equal(sh.n, 3);
    assert_non_null(strstr(sh.paths[0], "/p0.npy"));
    assert_non_null(strstr(sh.paths[1], "/p10.npy"));
    assert_non_null(strstr(sh.paths[2], "/p9.npy"));
    assert_int_equal(sh.start[1], 30);
    assert_int_equal(sh.start[2], 35);
    assert_int_equal(sh.start[3], 37);
    assert_int_equal(sh.k, 3);
    assert_int_equal(sh.elem, 8);
    au_shards_free(&sh);
}

/* a range across two boundaries, read after deleting the shards outside it */
static void test_reader_range(void **state)
{
    (void)state;
    save_f32("q0.npy", 0, 10, 4);
    save_f32("q1.npy", 10, 0, 4);    /* empty */
    save_f32("q2.npy", 10, 7, 4);
    save_f32("q3.npy", 17, 9, 4);
    save_f32("q4.npy", 26, 5, 4);
    char spec[512], p[512];
    path_of(spec, sizeof spec, "q*.npy");
    au_shards sh;
    la_error e;
    assert_int_equal(au_shards_open(spec, &sh, &e), 0);
    assert_int_equal(sh.elem, 4);
    assert_int_equal(sh.start[5], 31);
    path_of(p, sizeof p, "q0.npy");
    unlink(p);
    path_of(p, sizeof p, "q4.npy");
    unlink(p);
    au_input in = {.n = 31, .k = 4, .shards = &sh, .probs_path = spec};
    au_source src;
    assert_int_equal(au_source_open_rows(&in, 10, 26, &src, &e), 0);
    assert_int_equal(src.rd.elem, 4);
    /* every read size, every start: the concatenated rows 10..25 */
    for (size_t m = 1; m <= 16; m += 5)
        for (size_t r0 = 0; r0 + m <= 16; r0++) {
            const void *out;
            assert_int_equal(src.rd.read(src.rd.ctx, r0, m, &out, &e), 0);
            const float *f = out;
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < 4; j++) assert_true(f[i * 4 + j] == (float)((10 + r0 + i) * 10 + j));
        }
    au_source_close(&src);
    /* the deleted first shard is needed for row 0 */
    assert_int_equal(au_source_open_rows(&in, 0, 31, &src, &e), 0);
    const void *out;
    assert_int_not_equal(src.rd.read(src.rd.ctx, 0, 12, &out, &e), 0);
    assert_non_null(strstr(e.msg, "cannot open"));
    au_source_close(&src);
    au_shards_free(&sh);
}

static void test_list_and_dtypes(void **state)
{
    (void)state;
    save_f32("m32.npy", 0, 3, 2);
    save_f64("m64.npy", 3, 2, 2);
    char spec[1200], a[512], b[512];
    path_of(a, sizeof a, "m64.npy");
    path_of(b, sizeof b, "m32.npy");
    snprintf(spec, sizeof spec, "%s,%s", a, b);   /* the list's order, not the names' */
    au_shards sh;
    la_error e;
    assert_int_equal(au_shards_open(spec, &sh, &e), 0);
    assert_int_equal(sh.n, 2);
    assert_string_equal(sh.paths[0], a);
    assert_int_equal(sh.start[1], 2);
    assert_int_equal(sh.elem, 8);   /* float32 with float64: float64 */
    au_input in = {.n = 5, .k = 2, .shards = &sh, .probs_path = spec};
    au_source src;
    assert_int_equal(au_source_open_rows(&in, 0, 5, &src, &e), 0);
    const void *out;
    assert_int_equal(src.rd.read(src.rd.ctx, 0, 5, &out, &e), 0);
    const double *d = out;
    assert_true(d[0] == 30 && d[3] == 41 && d[4] == 0 && d[9] == 21);
    au_source_close(&src);
    au_shards_free(&sh);
}

static void test_refusals(void **state)
{
    (void)state;
    save_f32("r32.npy", 0, 3, 2);
    save_f32("rk3.npy", 0, 3, 3);
    char p[512], q[512], spec[1200];
    path_of(p, sizeof p, "r32.npy");
    int64_t iv[6] = {0};
    la_error e;
    path_of(q, sizeof q, "rint.npy");
    /* a 2-D integer file: written by hand through the f64 writer's shape, then replaced */
    FILE *fp = fopen(q, "wb");
    const char hdr[] = "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }";
    char h[128];
    memset(h, ' ', sizeof h);
    memcpy(h, hdr, sizeof hdr - 1);
    h[117] = '\n';
    fwrite("\x93NUMPY\x01\x00\x76\x00", 1, 10, fp);
    fwrite(h, 1, 118, fp);
    fwrite(iv, sizeof iv[0], 6, fp);
    fclose(fp);
    au_shards sh;
    snprintf(spec, sizeof spec, "%s,%s", p, q);
    assert_int_equal(au_shards_open(spec, &sh, &e), LA_EUSAGE);
    assert_non_null(strstr(e.msg, "holds integers"));
    au_shards_free(&sh);
    path_of(q, sizeof q, "rk3.npy");
    snprintf(spec, sizeof spec, "%s,%s", p, q);
    assert_int_equal(au_shards_open(spec, &sh, &e), LA_EUSAGE);
    assert_non_null(strstr(e.msg, "has 3 columns"));
    assert_non_null(strstr(e.file, "rk3.npy"));
    au_shards_free(&sh);
    snprintf(spec, sizeof spec, "%s,,%s", p, q);
    assert_int_equal(au_shards_open(spec, &sh, &e), LA_EUSAGE);
    assert_non_null(strstr(e.msg, "entry 2"));
    au_shards_free(&sh);
    path_of(spec, sizeof spec, "none*.npy");
    assert_int_equal(au_shards_open(spec, &sh, &e), LA_EUSAGE);
    assert_non_null(strstr(e.msg, "matches no file"));
    au_shards_free(&sh);
    assert_false(au_shards_is_spec(p));   /* a plain file */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob_order_offsets),
        cmocka_unit_test(test_reader_range),
        cmocka_unit_test(test_list_and_dtypes),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
