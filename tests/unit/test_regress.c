/*
 * test_regress.c — replays every input under tests/regress/<target>/ (crashes
 * found by the fuzzers, and the seed corpora of tests/fuzz/corpus/) through
 * the same harness code as the libFuzzer target, compiled here with the
 * normal toolchain: `make test` checks none of them aborts, `make check`
 * that none trips ASan/UBSan. The fuzz sources are included with their entry
 * point renamed, so each keeps its static helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput fz_csv_table
#include "../fuzz/fuzz_csv_table.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_labels
#include "../fuzz/fuzz_labels.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_npy
#include "../fuzz/fuzz_npy.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_idx
#include "../fuzz/fuzz_idx.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_manifest
#include "../fuzz/fuzz_manifest.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_image
#include "../fuzz/fuzz_image.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_summary
#include "../fuzz/fuzz_summary.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_serve
#include "../fuzz/fuzz_serve.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_consensus
#include "../fuzz/fuzz_consensus.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fz_decisions
#include "../fuzz/fuzz_decisions.c"
#undef LLVMFuzzerTestOneInput

typedef int (*fz_fn)(const uint8_t *, size_t);

/* Runs fn over every regular file of dir; returns how many (0 if no dir). */
static int replay_dir(const char *dir, fz_fn fn)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        static uint8_t buf[1 << 20];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        uint8_t *copy = malloc(len ? len : 1);   /* exact size, so overreads show */
        assert_non_null(copy);
        memcpy(copy, buf, len);
        fn(copy, len);
        free(copy);
        n++;
    }
    closedir(d);
    return n;
}

static void replay(const char *target, fz_fn fn)
{
    char dir[256];
    snprintf(dir, sizeof dir, "tests/regress/%s", target);
    int n = replay_dir(dir, fn);
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", target);
    n += replay_dir(dir, fn);
    assert_true(n > 0);   /* at least the seeds: run from the repository root */
}

static void test_csv_table(void **s) { (void)s; replay("csv_table", fz_csv_table); }
static void test_labels(void **s) { (void)s; replay("labels", fz_labels); }
static void test_npy(void **s) { (void)s; replay("npy", fz_npy); }
static void test_idx(void **s) { (void)s; replay("idx", fz_idx); }
static void test_manifest(void **s) { (void)s; replay("manifest", fz_manifest); }
static void test_image(void **s) { (void)s; replay("image", fz_image); }
static void test_summary(void **s) { (void)s; replay("summary", fz_summary); }
static void test_serve(void **s) { (void)s; replay("serve", fz_serve); }
static void test_consensus(void **s) { (void)s; replay("consensus", fz_consensus); }
static void test_decisions(void **s) { (void)s; replay("decisions", fz_decisions); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_table), cmocka_unit_test(test_labels),
        cmocka_unit_test(test_npy),       cmocka_unit_test(test_idx),
        cmocka_unit_test(test_manifest),  cmocka_unit_test(test_image),
        cmocka_unit_test(test_summary),   cmocka_unit_test(test_serve),
        cmocka_unit_test(test_consensus), cmocka_unit_test(test_decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
