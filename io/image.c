/*
 * image.c — size-checked image decoding (see image.h). The order is the point:
 * read the file (bounded), read the declared size, compare with the limit, and
 * only then let stb_image allocate and decode.
 */
#include "image.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_image.h>
#include <stb_image_resize.h>

static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int io_image_probe(const unsigned char *buf, size_t len, int *w, int *h, char *why, size_t whysz)
{
    assert((buf || !len) && w && h && why && whysz > 0);
    *w = *h = 0;
    /* PNG: the IHDR chunk follows the signature; its size is what the file
     * declares, whatever stb thinks of it (stbi_info reports "unknown image
     * type" for an IHDR over its own dimension limit). */
    int png_w = 0, png_h = 0, is_png = len >= 8 && !memcmp(buf, png_sig, 8);
    if (is_png && len >= 24 && !memcmp(buf + 12, "IHDR", 4)) {
        uint32_t pw = be32(buf + 16), ph = be32(buf + 20);
        png_w = pw > INT32_MAX ? INT32_MAX : (int)pw;
        png_h = ph > INT32_MAX ? INT32_MAX : (int)ph;
    }
    int comp;
    if (len <= INT32_MAX && stbi_info_from_memory(buf, (int)len, w, h, &comp)) return 0;
    const char *reason = stbi_failure_reason();
    if (is_png && png_w > 0 && png_h > 0) {
        *w = png_w;
        *h = png_h;
        snprintf(why, whysz, "PNG header declares %dx%d but stb_image cannot read it (%s)", png_w, png_h,
                 reason ? reason : "no reason");
        return -1;
    }
    if (is_png) snprintf(why, whysz, "corrupt PNG header (%s)", reason ? reason : "no IHDR");
    else snprintf(why, whysz, "not an image stb_image can read (%s)", reason ? reason : "unknown image type");
    return -1;
}

/* A PNG chunk may not declare more bytes than the file still holds: stb_image
 * reallocates its buffer to the declared length before reading, so a 72-byte
 * file could make it reserve 2 GB. Returns the offset of the bad chunk, or 0. */
static size_t png_bad_chunk(const unsigned char *b, size_t len)
{
    if (len < 8 || memcmp(b, png_sig, 8) != 0) return 0;
    for (size_t pos = 8; pos + 8 <= len;) {
        size_t L = (size_t)b[pos] << 24 | (size_t)b[pos + 1] << 16 | (size_t)b[pos + 2] << 8 | b[pos + 3];
        if (L > len - pos - 8) return pos;
        if (!memcmp(b + pos + 4, "IEND", 4)) break;
        pos += 12 + L;
    }
    return 0;
}

/* Reads a whole file of at most IO_IMAGE_MAX_FILE bytes. */
static int read_file(const char *path, unsigned char **buf, size_t *len, la_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return la_error_set(err, LA_EUSAGE, path, 0, "cannot open image: %s", strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return la_error_set(err, LA_EUSAGE, path, 0, "not a regular file");
    }
    if (st.st_size == 0) {
        fclose(fp);
        return la_error_set(err, LA_EUSAGE, path, 0, "empty file (0 bytes), not an image");
    }
    if (st.st_size > IO_IMAGE_MAX_FILE) {
        fclose(fp);
        return la_error_set(err, LA_EUSAGE, path, 0, "image file too large (%lld bytes, limit %lld)",
                            (long long)st.st_size, (long long)IO_IMAGE_MAX_FILE);
    }
    *len = (size_t)st.st_size;
    *buf = malloc(*len);
    if (!*buf) {
        fclose(fp);
        return la_error_set(err, LA_EINTERNAL, path, 0, "out of memory");
    }
    size_t got = fread(*buf, 1, *len, fp);
    fclose(fp);
    if (got != *len) {
        free(*buf);
        *buf = NULL;
        return la_error_set(err, LA_EUSAGE, path, 0, "read error (got %zu of %zu bytes)", got, *len);
    }
    return 0;
}

int io_image_decode(const char *path, int channels, long long max_pixels,
                    unsigned char **pix, int *w, int *h, int *c_out, la_error *err)
{
    assert(path && pix && w && h && err);
    assert(channels >= 0 && channels <= 4 && max_pixels > 0);
    *pix = NULL;
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = read_file(path, &buf, &len, err);
    if (rc) return rc;
    char why[512];
    int pw, ph;
    int probe = io_image_probe(buf, len, &pw, &ph, why, sizeof why);
    long long declared = (long long)pw * (long long)ph;
    if (pw > 0 && ph > 0 && declared > max_pixels) {
        free(buf);
        return la_error_set(err, LA_EUSAGE, path, 0,
                            "image declares %dx%d = %lld pixels, over the limit of %lld (--max-pixels); refused before decoding",
                            pw, ph, declared, max_pixels);
    }
    if (probe) {
        free(buf);
        return la_error_set(err, LA_EUSAGE, path, 0, "%s", why);
    }
    if (pw <= 0 || ph <= 0) {
        free(buf);
        return la_error_set(err, LA_EUSAGE, path, 0, "image declares an empty size %dx%d", pw, ph);
    }
    size_t badc = png_bad_chunk(buf, len);
    if (badc) {
        free(buf);
        return la_error_set(err, LA_EUSAGE, path, 0, "cannot decode image: corrupt or truncated data (the PNG chunk at byte %zu runs past the end of the file)", badc);
    }
    int comp;
    unsigned char *p = stbi_load_from_memory(buf, (int)len, w, h, &comp, channels);
    free(buf);
    if (!p) {
        const char *reason = stbi_failure_reason();
        return la_error_set(err, LA_EUSAGE, path, 0, "cannot decode image: corrupt or truncated data (stb_image: %s)",
                            reason ? reason : "no reason given");
    }
    if (*w != pw || *h != ph) {
        stbi_image_free(p);
        return la_error_set(err, LA_EUSAGE, path, 0, "decoded size %dx%d differs from the declared %dx%d", *w, *h, pw, ph);
    }
    *pix = p;
    if (c_out) *c_out = channels ? channels : comp;
    return 0;
}

int io_image_load(const char *path, int channels, long long max_pixels,
                  unsigned char **pix, int *w, int *h, la_error *err)
{
    assert(channels == 1 || channels == 3);
    return io_image_decode(path, channels, max_pixels, pix, w, h, NULL, err);
}

void io_image_free(unsigned char *pix)
{
    stbi_image_free(pix);
}

int io_image_to_features(const unsigned char *pix, int w, int h, int channels,
                         int out_w, int out_h, float *out)
{
    assert(pix && out && w > 0 && h > 0 && out_w > 0 && out_h > 0 && channels > 0);
    const unsigned char *src = pix;
    unsigned char *tmp = NULL;
    if (w != out_w || h != out_h) {
        tmp = malloc((size_t)out_w * (size_t)out_h * (size_t)channels);
        if (!tmp) return -1;
        if (!stbir_resize_uint8(pix, w, h, 0, tmp, out_w, out_h, 0, channels)) {
            free(tmp);
            return -1;
        }
        src = tmp;
    }
    size_t n = (size_t)out_w * (size_t)out_h * (size_t)channels;
    for (size_t i = 0; i < n; i++) out[i] = (float)src[i] * (1.0f / 255.0f);
    free(tmp);
    return 0;
}
