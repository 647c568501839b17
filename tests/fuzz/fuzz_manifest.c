/*
 * fuzz_manifest.c — libFuzzer target for image manifests (io/manifest.h):
 * the input is manifest.csv, written into a directory that holds three
 * small valid PNGs (a.png 2x2, b.png 2x2, c.png 3x3, sub/d.png 2x2) and a
 * symlink out.png -> /etc/hostname, so paths, sizes, escapes and labels all
 * get exercised. Images are decoded (max 4096 pixels) and also only listed
 * (no_features), and io_path_inside is fed each line on its own.
 */
#include "fuzz_common.h"
#include <sys/stat.h>
#include <stb_image_write.h>
#include "../../io/manifest.h"
#include "../../io/dataset.h"

static void manifest_setup(void)
{
    static int done;
    if (done) return;
    done = 1;
    char p[512];
    unsigned char px[9] = {0, 64, 128, 255, 32, 16, 8, 4, 2};
    snprintf(p, sizeof p, "%s/a.png", fz_tmpdir()); stbi_write_png(p, 2, 2, 1, px, 2);
    snprintf(p, sizeof p, "%s/b.png", fz_tmpdir()); stbi_write_png(p, 2, 2, 1, px + 1, 2);
    snprintf(p, sizeof p, "%s/c.png", fz_tmpdir()); stbi_write_png(p, 3, 3, 1, px, 3);
    snprintf(p, sizeof p, "%s/sub", fz_tmpdir()); mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sub/d.png", fz_tmpdir()); stbi_write_png(p, 2, 2, 1, px + 2, 2);
    snprintf(p, sizeof p, "%s/out.png", fz_tmpdir());
    if (symlink("/etc/hostname", p)) { /* fine: the escape test just has one case less */ }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    manifest_setup();
    char path[512];
    fz_write("manifest.csv", data, size, path, sizeof path);
    la_error err;
    for (int mode = 0; mode < 2; mode++) {
        io_load_opts opts;
        io_load_opts_init(&opts);
        opts.format = IO_FORMAT_MANIFEST;
        opts.max_pixels = 4096;
        opts.no_features = mode;
        la_dataset ds;
        memset(&ds, 0, sizeof ds);
        la_error_clear(&err);
        if (io_dataset_load(path, &opts, &ds, &err) == 0) {
            for (size_t i = 0; i < ds.n; i++)
                if (ds.labels[i] < 0 || (size_t)ds.labels[i] >= ds.k) abort();
            io_dataset_free(&ds);
        }
    }
    /* each line as a relative path: must never escape and be called inside */
    char line[1024];
    size_t o = 0;
    for (size_t i = 0; i <= size && i < 8192; i++) {
        if (i == size || data[i] == '\n' || o + 1 == sizeof line) {
            line[o] = '\0';
            if (o && !memchr(line, 0, o) && io_path_inside(fz_tmpdir(), line) == 0
                && line[0] == '/') abort();   /* an absolute path is never inside */
            o = 0;
            continue;
        }
        line[o++] = (char)data[i];
    }
    return 0;
}
