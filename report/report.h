/*
 * report.h — the static HTML report of one audit run: a summary page
 * (dataset, key figures with their intervals, the next-steps commands for the
 * run, class balance, per-class table, noise matrix and confident joint
 * heatmaps, precision-recall plot when the run has cv metrics) and paginated
 * contact sheets of the flagged examples (all, and one per given class): each
 * card gives the model's probabilities as bars and a reason in words, with
 * typical examples of the given and suggested class (images) or the telling
 * features against both classes (tabular); docs/report.md.
 *
 * Reads only the database and image files: what the raw inputs gave (the
 * precision-recall points, feature summaries of tabular examples, thumbnail
 * pixels of image datasets without files) was stored when the run was
 * recorded (rp_digest.h). A run recorded by an older labelaudit, which stored
 * none of it, gets operating points instead of curves and text cards, with a
 * note on the summary page. Writes OUT into a sibling temporary directory and renames it
 * into place, so a failure never leaves half a report: an existing OUT is
 * replaced only once the new one is complete, and only when it looks like a
 * report (empty, or holding index.html).
 */
#ifndef LA_REPORT_H
#define LA_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "../util/la_util.h"

typedef struct sqlite3 sqlite3;

typedef struct rp_options {
    int64_t run_id;       /* <= 0: the latest run                              */
    int     per_page;     /* cards per contact-sheet page (default 200)        */
    int     thumb_box;    /* thumbnail bounding box in pixels (default 112)    */
    const char *db_path;  /* the database as the user names it, for the "next
                             steps" commands; NULL: shown as labelaudit.db     */
} rp_options;

/* What was written, for the command's closing line. */
typedef struct rp_result {
    int64_t run_id;
    size_t  pages;           /* HTML files written                              */
    size_t  cards;           /* cards on the all-issues sheets                  */
    size_t  thumbs;          /* thumbnails generated                            */
    size_t  thumb_failures;  /* images that could not be read (placeholder)     */
    int     features_source; /* 0 none, 1 stored in the db (the only source now) */
    char    first_failure[2200]; /* "path: reason" of the first unreadable image */
} rp_result;

/* Sets the defaults above. */
void rp_options_init(rp_options *opt);

/* Writes the report of run opt->run_id into directory out_dir. Returns 0, or
 * LA_EUSAGE (no such run, out_dir is a file or a non-report directory) /
 * LA_EINTERNAL (I/O) with err filled; then out_dir is as it was. */
int rp_write_report(sqlite3 *db, const char *out_dir, const rp_options *opt, rp_result *res,
                    la_error *err);

/* Thumbnail of image src into PNG dst, fitting a box x box square: images
 * that fit are upscaled by the largest integer factor with a box filter
 * (nearest neighbour at integer ratios: 28x28 pixels stay crisp), larger ones
 * are downscaled. Decoded by io/image.h (size-checked before decoding: images
 * above 64 megapixels are refused from the header), as RGB, written gray when
 * every pixel is. *w, *h receive the thumbnail size. 0 or LA_EUSAGE
 * (unreadable image, with the decoder's reason) / LA_EINTERNAL (write failed). */
int rp_thumbnail(const char *src, const char *dst, int box, int *w, int *h, la_error *err);

/* The same thumbnail from 8-bit pixels: w x h x c bytes (row-major, channels
 * interleaved, c = 1 or 3). 0, LA_EUSAGE (bad shape) or LA_EINTERNAL. */
int rp_thumbnail_bytes(const unsigned char *px, int w, int h, int c, const char *dst, int box,
                       int *w_out, int *h_out, la_error *err);

/* The same thumbnail from one pixel row of a dataset: w x h x c floats in
 * [0, 1], as the loaders store images; bytes are rp_pixel_bytes of them.
 * 0, LA_EUSAGE (bad shape) or LA_EINTERNAL. */
int rp_thumbnail_pixels(const float *px, int w, int h, int c, const char *dst, int box,
                        int *w_out, int *h_out, la_error *err);

/* out[i] = round(255 px[i]) clamped to 0..255 (NaN reads 0): the loaders'
 * [0, 1] pixel values back to bytes. */
void rp_pixel_bytes(const float *px, size_t m, unsigned char *out);

#endif
