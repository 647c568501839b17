/*
 * fuzz_image.c — libFuzzer target for image files (io/image.h): the header
 * probe on the bytes in memory, then the loader from a file (size check
 * before decoding, max 65536 pixels, gray and RGB), then the conversion to
 * features with a resize to 4x4; and the decoder as thumbnails use it (the
 * file's own channels, 1 to 4).
 */
#include "fuzz_common.h"
#include "../../io/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int w = 0, h = 0;
    char why[256];
    io_image_probe(data, size, &w, &h, why, sizeof why);

    char path[512];
    fz_write("img.png", data, size, path, sizeof path);
    for (int ch = 1; ch <= 3; ch += 2) {
        unsigned char *pix = NULL;
        la_error err;
        la_error_clear(&err);
        if (io_image_load(path, ch, 65536, &pix, &w, &h, &err) == 0) {
            if ((long long)w * h > 65536) abort();     /* the limit held */
            float out[4 * 4 * 3];
            io_image_to_features(pix, w, h, ch, 4, 4, out);
            io_image_free(pix);
        }
    }
    unsigned char *pix = NULL;
    int c = 0;
    la_error err;
    la_error_clear(&err);
    if (io_image_decode(path, 0, 65536, &pix, &w, &h, &c, &err) == 0) {
        if ((long long)w * h > 65536 || c < 1 || c > 4) abort();
        volatile unsigned char last = pix[(size_t)w * h * c - 1];   /* the whole buffer is there */
        (void)last;
        io_image_free(pix);
    }
    return 0;
}
