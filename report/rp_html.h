/*
 * rp_html.h — the one HTML/SVG writer of the report and the review server:
 * escaping text and attributes, URL-encoding paths, and SVG charts (bar
 * chart, heatmap with numbers, precision-recall plot, learning curves). Everything from data goes through
 * rp_esc or rp_url; nothing here opens files, the caller passes a FILE *.
 * Charts are plain inline SVG sized in CSS pixels, no scripts.
 */
#ifndef LA_RP_HTML_H
#define LA_RP_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* Writes s HTML-escaped (& < > " ' become entities): safe in text and in
 * double- or single-quoted attributes. NULL writes nothing. */
void rp_esc(FILE *out, const char *s);

/* Writes s percent-encoded for an href/src path: every byte except
 * A-Z a-z 0-9 - . _ ~ / is written %XX ("Ankle boot" -> "Ankle%20boot"). */
void rp_url(FILE *out, const char *s);

/* Horizontal bar chart, one row per class: bar length ~ value[c], a second
 * overlaid bar ~ overlay[c] (may be NULL), labels escaped. */
void rp_svg_bars(FILE *out, size_t k, char *const *names, const int64_t *value,
                 const int64_t *overlay, const char *value_label, const char *overlay_label);

/* K x K heatmap of m (row-major) with the value printed in each cell with
 * `decimals` digits after the point; rows and columns labelled by
 * names; row_title / col_title name the axes. Colour ~ value / max. When
 * diag_muted, diagonal cells use a separate neutral scale so off-diagonal
 * mass stands out. */
void rp_svg_heatmap(FILE *out, size_t k, char *const *names, const double *m,
                    int decimals, const char *row_title, const char *col_title,
                    int diag_muted);

/* rp_svg_heatmap with each cell's support in its tooltip: cj (k x k,
 * (given, true), may be NULL) is the confident joint the rates rest on, and
 * cell (i, j)'s title says "rests on cj_ij of sum_r cj_rj examples counted as
 * true j". Axis labels cut to fit carry the full name in a <title>. */
void rp_svg_heatmap_support(FILE *out, size_t k, char *const *names, const double *m,
                            int decimals, const char *row_title, const char *col_title,
                            int diag_muted, const double *cj);

/* One curve or point set for rp_svg_pr. */
typedef struct rp_series {
    const char   *name;      /* legend text (escaped)                         */
    const double *recall;    /* npoints                                       */
    const double *precision; /* npoints                                       */
    size_t        npoints;   /* 1 = a single operating point, drawn as a dot  */
    const char   *mark;      /* non-NULL: a chosen operating point at         */
    double        mark_recall, mark_precision; /* (x, y), ringed, mark = its
                                                  tooltip (escaped)          */
} rp_series;

/* Precision (y) against recall (x) in [0,1]^2, one colour per series; a
 * series' mark as a ring with a label beside it. */
void rp_svg_pr(FILE *out, const rp_series *s, size_t n);

/* The learning-curve chart for a metrics.json `curves` object: one
 * polyline per present series (train_accuracy, heldout_accuracy,
 * val_accuracy; null entries, not measured, are skipped), a dashed vertical
 * line at early_stopping_epoch. Writes nothing when there are fewer than 2
 * epochs. */
void rp_svg_curves(FILE *out, const json_t *curves);

/* Writes s escaped with a line-break chance (<wbr>) after each separator
 * (_ / - . space), so a long feature name wraps between its words and never
 * inside one; a segment longer than max_seg characters is cut with an
 * ellipsis (the caller puts the full name in a title). */
void rp_esc_wrap(FILE *out, const char *s, size_t max_seg);

/* A 160 x 16 inline SVG scale for one feature value x: the given class's
 * mean +- 1 sd (red band, upper half), the suggested class's (green, lower
 * half) and x as a black marker; the axis spans both classes' mean +- 2 sd
 * and x. name labels it (title, aria-label). */
void rp_svg_feature_scale(FILE *out, const char *name, double x, double mg, double sg, double ms, double ss);

/* The colour used for series / class i (a fixed palette, cycled). */
const char *rp_color(size_t i);

#endif
