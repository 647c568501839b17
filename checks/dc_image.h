/*
 * dc_image.h — checks on images: per-image defects in the spirit of
 * cleanvision (too dark, too bright, blurry, low information, odd size or
 * aspect ratio, unexpected channel count), a shift-tolerant descriptor for
 * near-duplicate images, the pixel correlation that confirms a pair, and
 * byte-level hashing of image files. Pure functions over pixel arrays
 * (n x h x w x c floats in [0,1], row-major) and paths; never prints.
 * Every score is in [0, 1], lower = more severe, as cleanlab's scores are.
 */
#ifndef LA_DC_IMAGE_H
#define LA_DC_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

/* The defects, in issues.csv's order. */
typedef enum dc_defect {
    DC_DEFECT_DARK = 0,               /* score: 99th percentile of brightness     */
    DC_DEFECT_BRIGHT,                 /* score: 1 - 1st percentile of brightness  */
    DC_DEFECT_BLURRY,                 /* score: 1 - exp(-var(Laplacian) / scale)  */
    DC_DEFECT_LOW_INFORMATION,        /* score: histogram entropy / 8 bits        */
    DC_DEFECT_ODD_SIZE,               /* score: min(area/median, median/area)     */
    DC_DEFECT_ODD_ASPECT_RATIO,       /* score: min(r/median r, median r/r)       */
    DC_DEFECT_CHANNELS,               /* score: 0 when not the common count       */
    DC_DEFECT_COUNT
} dc_defect;

extern const char *const dc_defect_names[DC_DEFECT_COUNT];
/* Flag when score < threshold (documented in docs/issue-16.md). */
extern const double dc_defect_thresholds[DC_DEFECT_COUNT];

/* Per-image scores. Owned; dc_defects_free. A score that could not be
 * computed (no pixels, no file) is NAN and never flags. */
typedef struct dc_defects {
    size_t   n;
    double  *score;                   /* n x DC_DEFECT_COUNT                      */
    uint8_t *flag;                    /* n x DC_DEFECT_COUNT                      */
    int32_t *size;                    /* n x 3 native width, height, channels, or */
                                      /* 0 when unknown                           */
    size_t   count[DC_DEFECT_COUNT];  /* flagged per defect                       */
} dc_defects;

/* The pixel defects from pixels (may be NULL: only the file ones) and the
 * file ones from paths via the image header (may be NULL). threads >= 1.
 * 0 or LA_EINTERNAL (out of memory, *out zeroed). */
int dc_image_defects(const float *pixels, size_t n, int w, int h, int c, char *const *paths, int threads,
                     dc_defects *out, la_error *err);
void dc_defects_free(dc_defects *d);

/* Descriptor dimension for near duplicates: |2-D DFT| of the mean-removed
 * gray image at the DC_DESC_FREQ x (2 DC_DESC_FREQ - 1) lowest frequencies,
 * without the DC term and the mirrored half, unit length. Invariant to
 * circular shifts (a shift of an object on a flat background is one) and to
 * brightness/contrast changes. */
#define DC_DESC_FREQ 8
#define DC_DESC_DIM (DC_DESC_FREQ * (2 * DC_DESC_FREQ - 1) - DC_DESC_FREQ)

/* desc: n x DC_DESC_DIM float32, caller-allocated. 0 or LA_EINTERNAL. */
int dc_image_descriptors(const float *pixels, size_t n, int w, int h, int c, int threads, float *desc,
                         la_error *err);

/* Largest shift, in pixels each way, the pair confirmation tries. */
#define DC_MAX_SHIFT 2
/* A pair is a near duplicate when its best correlation is at least this. */
#define DC_IMAGE_NEAR_DUP_CORR 0.995

/* Best Pearson correlation of gray images a and b (h x w x c each) over the
 * shifts |dx|, |dy| <= DC_MAX_SHIFT, on the overlap; *dx, *dy get the best
 * shift. 0 when either image is flat. */
double dc_image_match(const float *a, const float *b, int w, int h, int c, int *dx, int *dy);

/* A file's bytes: their 64-bit hash (FNV-1a), size, and the image header's
 * width, height and channels (0 when stb cannot read the header). 0 or
 * LA_EUSAGE naming the file (cannot open or read). */
typedef struct dc_file_info { uint64_t hash; long long size; int w, h, c; } dc_file_info;
int dc_file_read_info(const char *path, dc_file_info *info, la_error *err);

/* 1 when two files have the same bytes. */
int dc_files_equal(const char *a, const char *b);

#endif
