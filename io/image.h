/*
 * image.h — one image file to pixels, safely: the declared size is read from
 * the header (stbi_info, or the PNG IHDR when stb cannot tell) and checked
 * against a pixel limit before any pixel buffer is allocated, so a
 * decompression bomb or a lying header costs nothing. Decoding is stb_image
 * (PNG, JPEG, BMP, GIF first frame, TGA, PNM...), converted to 1 or 3 channels.
 */
#ifndef LA_IO_IMAGE_H
#define LA_IO_IMAGE_H

#include <stddef.h>
#include "../util/la_util.h"

/* Largest image file read (bytes); anything bigger is refused unread. */
#define IO_IMAGE_MAX_FILE (512LL * 1024 * 1024)

/* Reads width and height from the header of an encoded image in memory.
 * Returns 0, or -1 with a reason in why (e.g. "unknown image type"). Never
 * decodes pixels. A PNG whose IHDR stb rejects still reports its declared
 * size through *w, *h (returning -1), so callers can name it. */
int io_image_probe(const unsigned char *buf, size_t len, int *w, int *h, char *why, size_t whysz);

/* Loads the image at path as `channels` (1 gray, 3 RGB) 8-bit pixels, row-major
 * h x w x channels. Refuses files whose declared width x height exceeds
 * max_pixels before decoding. Returns 0 and *pix (free with io_image_free), or
 * LA_EUSAGE with err naming path and the reason (empty, unreadable, unknown
 * type, too large with the declared size, corrupt data). */
int io_image_load(const char *path, int channels, long long max_pixels,
                  unsigned char **pix, int *w, int *h, la_error *err);

void io_image_free(unsigned char *pix);

/* Writes the image as features in [0, 1] into out (out_h x out_w x channels):
 *   x = pixel / 255, resized first with stb_image_resize when the size differs.
 * Returns 0, or -1 when out of memory. */
int io_image_to_features(const unsigned char *pix, int w, int h, int channels,
                         int out_w, int out_h, float *out);

#endif
