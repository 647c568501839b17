/*
 * fuzz_idx.c — libFuzzer target for IDX files (io/idx.h), plain and gzip.
 * Input layout: byte 0 = flags, bytes 1-2 = length L of the images file
 * (big-endian, clipped to what is there), then L bytes of images, then the
 * labels file. Flags: bit 0 gzip both files through zlib (the fuzzer mutates
 * the uncompressed bytes), bit 1 name them .gz but write the bytes raw (so
 * corrupt gzip streams are fuzzed too), bit 2 give a classes.txt (3 names).
 */
#include "fuzz_common.h"
#include <zlib.h>
#include "../../io/dataset.h"

static void put(const char *name, const uint8_t *d, size_t n, int gz)
{
    char path[512];
    if (!gz) { fz_write(name, d, n, path, sizeof path); return; }
    snprintf(path, sizeof path, "%s/%s", fz_tmpdir(), name);
    gzFile g = gzopen(path, "wb1");
    if (!g) abort();
    if (n && gzwrite(g, d, (unsigned)n) != (int)n) abort();
    gzclose(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) return 0;
    int flags = data[0];
    size_t L = ((size_t)data[1] << 8) | data[2];
    data += 3; size -= 3;
    if (L > size) L = size;
    int gz = flags & 1, gzname = (flags & 3) != 0;
    char img[64], lab[64], path[512];
    snprintf(img, sizeof img, "train-images-idx3-ubyte%s", gzname ? ".gz" : "");
    snprintf(lab, sizeof lab, "train-labels-idx1-ubyte%s", gzname ? ".gz" : "");
    char stale[512];   /* the other spelling from an earlier input */
    snprintf(stale, sizeof stale, "%s/train-images-idx3-ubyte%s", fz_tmpdir(), gzname ? "" : ".gz");
    unlink(stale);
    snprintf(stale, sizeof stale, "%s/train-labels-idx1-ubyte%s", fz_tmpdir(), gzname ? "" : ".gz");
    unlink(stale);
    put(img, data, L, gz);
    put(lab, data + L, size - L, gz);
    char cls[512];
    snprintf(cls, sizeof cls, "%s/classes.txt", fz_tmpdir());
    if (flags & 4) fz_write("classes.txt", (const uint8_t *)"a\nb\nc\n", 6, cls, sizeof cls);
    else unlink(cls);

    snprintf(path, sizeof path, "%s/%s", fz_tmpdir(), img);
    io_load_opts opts;
    io_load_opts_init(&opts);
    opts.format = IO_FORMAT_IDX;
    la_dataset ds;
    memset(&ds, 0, sizeof ds);
    la_error err;
    la_error_clear(&err);
    if (io_dataset_load(path, &opts, &ds, &err) == 0) {
        for (size_t i = 0; i < ds.n; i++)
            if (ds.labels[i] < 0 || (size_t)ds.labels[i] >= ds.k) abort();
        io_dataset_free(&ds);
    }
    return 0;
}
