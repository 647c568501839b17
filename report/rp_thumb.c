/*
 * rp_thumb.c — the report's thumbnails (report.h): an image file decoded by
 * the size-checked loader io/image.h, or a stored 8-bit pixel row, scaled to
 * fit a box and written as PNG. Images that fit are upscaled by the largest
 * integer factor with a box filter (nearest neighbour at integer ratios, so
 * 28x28 digits stay crisp); larger ones are downscaled with a Mitchell filter.
 */
#include "report.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_resize.h>
#include <stb_image_write.h>

#include "../io/image.h"

#define RP_MAX_PIXELS 64000000LL   /* same cap as the loaders: refuse bombs */

void rp_pixel_bytes(const float *px, size_t m, unsigned char *out)
{
    /* features are v = byte / 255 in [0, 1]: byte = round(255 v), clamped */
    for (size_t i = 0; i < m; i++) {
        float v = px[i];
        out[i] = !(v > 0) ? 0 : v >= 1 ? 255 : (unsigned char)lroundf(v * 255.0f);
    }
}

/* Scales the 8-bit image in (w x h x c) to fit box and writes PNG dst. src
 * names the source in errors. */
static int thumb_write(const unsigned char *in, int w, int h, int c, const char *src,
                       const char *dst, int box, int *tw_out, int *th_out, la_error *err)
{
    int big = w > h ? w : h, tw, th;
    stbir_filter filter;
    if (big <= box) {
        int f = box / big;                 /* integer factor: box = nearest */
        tw = w * f, th = h * f;
        filter = STBIR_FILTER_BOX;
    } else {
        double s = (double)box / big;
        tw = (int)lround(w * s), th = (int)lround(h * s);
        if (tw < 1) tw = 1;
        if (th < 1) th = 1;
        filter = STBIR_FILTER_MITCHELL;
    }
    unsigned char *out = la_malloc_array((size_t)tw * th, (size_t)c);
    if (!out) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int alpha = c == 2 ? 1 : c == 4 ? 3 : STBIR_ALPHA_CHANNEL_NONE;
    int ok = stbir_resize_uint8_generic(in, w, h, 0, out, tw, th, 0, c, alpha, 0,
                                        STBIR_EDGE_CLAMP, filter, STBIR_COLORSPACE_LINEAR, NULL);
    if (!ok) {
        free(out);
        return la_error_set(err, LA_EINTERNAL, src, 0, "resizing the image failed");
    }
    ok = stbi_write_png(dst, tw, th, c, out, tw * c);
    free(out);
    if (!ok) return la_error_set(err, LA_EINTERNAL, dst, 0, "cannot write thumbnail");
    if (tw_out) *tw_out = tw;
    if (th_out) *th_out = th;
    return 0;
}

/* 1 when every RGB pixel of px (m pixels) is gray (R = G = B). */
static int all_gray(const unsigned char *px, size_t m)
{
    for (size_t i = 0; i < m; i++)
        if (px[3 * i] != px[3 * i + 1] || px[3 * i] != px[3 * i + 2]) return 0;
    return 1;
}

int rp_thumbnail(const char *src, const char *dst, int box, int *tw_out, int *th_out, la_error *err)
{
    assert(src && dst && box > 0);
    unsigned char *in = NULL;
    int w = 0, h = 0;
    int rc = io_image_load(src, 3, RP_MAX_PIXELS, &in, &w, &h, err);
    if (rc) return rc;
    /* io/image.h decodes to RGB; a gray image is written as a gray PNG again
     * (R = G = B holds exactly for gray sources: stb replicates the value). */
    size_t m = (size_t)w * (size_t)h;
    int c = 3;
    if (all_gray(in, m)) {
        for (size_t i = 0; i < m; i++) in[i] = in[3 * i];
        c = 1;
    }
    rc = thumb_write(in, w, h, c, src, dst, box, tw_out, th_out, err);
    io_image_free(in);
    return rc;
}

int rp_thumbnail_bytes(const unsigned char *px, int w, int h, int c, const char *dst, int box,
                       int *tw_out, int *th_out, la_error *err)
{
    assert(px && dst && box > 0);
    if (w <= 0 || h <= 0 || (c != 1 && c != 3) || (long long)w * h > RP_MAX_PIXELS)
        return la_error_set(err, LA_EUSAGE, dst, 0, "bad pixel row shape %dx%dx%d", w, h, c);
    return thumb_write(px, w, h, c, "pixel row", dst, box, tw_out, th_out, err);
}

int rp_thumbnail_pixels(const float *px, int w, int h, int c, const char *dst, int box,
                        int *tw_out, int *th_out, la_error *err)
{
    assert(px && dst && box > 0);
    if (w <= 0 || h <= 0 || (c != 1 && c != 3) || (long long)w * h > RP_MAX_PIXELS)
        return la_error_set(err, LA_EUSAGE, dst, 0, "bad pixel row shape %dx%dx%d", w, h, c);
    size_t m = (size_t)w * h * c;
    unsigned char *in = la_malloc_array(m, 1);
    if (!in) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    rp_pixel_bytes(px, m, in);
    int rc = rp_thumbnail_bytes(in, w, h, c, dst, box, tw_out, th_out, err);
    free(in);
    return rc;
}
