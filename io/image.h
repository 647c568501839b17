/*
 * image.h — one image file to pixels, safely: the declared size is read from
 * the header (stbi_info, or the PNG IHDR when stb cannot tell) and checked
 * against a pixel limit before any pixel buffer is allocated, so a
 * decompression bomb or a lying header costs nothing. Decoding is stb_image
 * (PNG, JPEG, BMP, GIF first frame, TGA, PNM...). Every image read from a
 * dataset goes through here (the loaders, the report's thumbnails); this is
 * the code the fuzzer (tests/fuzz/fuzz_image.c) exercises.
 *
 * Usage (a thumbnailer):
 *
 *     unsigned char *pix; int w, h, c; la_error err = {0};
 *     if (io_image_decode(path, 0, IO_MAX_PIXELS_DEFAULT, &pix, &w, &h, &c, &err))
 *         return err.status;          // err.file = path, err.msg = the reason
 *     ... pix is h x w x c bytes, row-major, c in 1..4 ...
 *     io_image_free(pix);
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

/* Decodes the image file at path into 8-bit pixels, row-major h x w x c.
 * channels = 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA) converts to that
 * many channels; channels = 0 keeps the file's own (c = 1..4, alpha kept).
 * The order of the checks: the file is a regular file of 1 byte to
 * IO_IMAGE_MAX_FILE bytes; its header declares a non-empty size of at most
 * max_pixels (width x height) — refused before any pixel buffer exists —;
 * no PNG chunk runs past the end; stb_image decodes it to the declared size.
 * Returns 0 with *pix (caller frees with io_image_free), *w, *h and, when
 * c_out is not NULL, *c_out = c. Else LA_EUSAGE (LA_EINTERNAL out of memory)
 * with *pix NULL and err naming path (err->file) and the reason: "cannot open
 * image: ...", "empty file (0 bytes), not an image", "image declares WxH = N
 * pixels, over the limit of M (--max-pixels); refused before decoding", "not
 * an image stb_image can read (...)", "cannot decode image: corrupt or
 * truncated data (...)". Thread-safe except for stb's failure reason. */
int io_image_decode(const char *path, int channels, long long max_pixels,
                    unsigned char **pix, int *w, int *h, int *c_out, la_error *err);

/* io_image_decode for the loaders: channels must be 1 (gray) or 3 (RGB). */
int io_image_load(const char *path, int channels, long long max_pixels,
                  unsigned char **pix, int *w, int *h, la_error *err);

/* Frees pixels from io_image_decode / io_image_load. Safe on NULL. */
void io_image_free(unsigned char *pix);

/* Writes the image as features in [0, 1] into out (out_h x out_w x channels):
 *   x = pixel / 255, resized first with stb_image_resize when the size differs.
 * pix is h x w x channels. Returns 0, or -1 when out of memory. */
int io_image_to_features(const unsigned char *pix, int w, int h, int channels,
                         int out_w, int out_h, float *out);

#endif
