/*
 * rp_html.c — escaping, URL-encoding and the inline SVG charts of the report.
 * Not here: page layout (report.c) or any file access. Invariant: every string
 * that came from data is written through rp_esc (text, attributes) or rp_url
 * (links), so a class called <script> stays text.
 */
#include "rp_html.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void rp_esc(FILE *out, const char *s)
{
    if (!s) return;
    for (; *s; s++) {
        switch (*s) {
        case '&':  fputs("&amp;", out); break;
        case '<':  fputs("&lt;", out); break;
        case '>':  fputs("&gt;", out); break;
        case '"':  fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default:   fputc(*s, out);
        }
    }
}

void rp_url(FILE *out, const char *s)
{
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
            fputc(c, out);
        else
            fprintf(out, "%%%02X", c);
    }
}

const char *rp_color(size_t i)
{
    static const char *const palette[] = {
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    };
    return palette[i % (sizeof palette / sizeof *palette)];
}

/* Writes at most max_chars UTF-8 characters of s, escaped, with an ellipsis
 * when cut (long class names must not overrun the chart's label column). */
static void esc_trunc(FILE *out, const char *s, size_t max_chars)
{
    size_t chars = 0, i = 0;
    while (s[i] && chars < max_chars) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) i++;   /* continuation bytes */
        chars++;
    }
    if (!s[i]) {
        rp_esc(out, s);
        return;
    }
    char buf[512];
    size_t len = i < sizeof buf - 1 ? i : sizeof buf - 1;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) len--;
    memcpy(buf, s, len);
    buf[len] = 0;
    rp_esc(out, buf);
    fputs("\xe2\x80\xa6", out);   /* … */
}

static void svg_label(FILE *out, const char *name, size_t max_chars);

void rp_svg_bars(FILE *out, size_t k, char *const *names, const int64_t *value,
                 const int64_t *overlay, const char *value_label, const char *overlay_label)
{
    const int label_w = 170, bar_w = 380, row_h = 22, top = overlay ? 26 : 6;
    int64_t max = 1;
    for (size_t c = 0; c < k; c++) if (value[c] > max) max = value[c];
    int width = label_w + bar_w + 90, height = top + (int)k * row_h + 6;
    fprintf(out, "<svg class=\"chart\" role=\"img\" aria-label=\"bar chart: examples per class\""
                 " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            width, height, width, height);
    if (overlay) {
        fprintf(out, "<rect x=\"%d\" y=\"6\" width=\"12\" height=\"12\" fill=\"#a6c8e8\"/>"
                     "<text x=\"%d\" y=\"16\" class=\"lg\">", label_w, label_w + 16);
        rp_esc(out, value_label);
        fprintf(out, "</text><rect x=\"%d\" y=\"6\" width=\"12\" height=\"12\" fill=\"#e15759\"/>"
                     "<text x=\"%d\" y=\"16\" class=\"lg\">", label_w + 130, label_w + 146);
        rp_esc(out, overlay_label);
        fputs("</text>\n", out);
    }
    for (size_t c = 0; c < k; c++) {
        int y = top + (int)c * row_h;
        double w = (double)bar_w * (double)value[c] / (double)max;
        fprintf(out, "<g><title>");
        rp_esc(out, names[c]);
        fprintf(out, ": %lld %s", (long long)value[c], value_label ? value_label : "");
        if (overlay) fprintf(out, ", %lld %s", (long long)overlay[c], overlay_label ? overlay_label : "");
        fprintf(out, "</title><text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lb\">",
                label_w - 8, y + 15);
        svg_label(out, names[c], 24);
        fprintf(out, "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"#a6c8e8\"/>",
                label_w, y + 3, w, row_h - 6);
        if (overlay) {
            double o = (double)bar_w * (double)overlay[c] / (double)max;
            if (overlay[c] > 0 && o < 1.5) o = 1.5;   /* a few issues stay visible */
            fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\" fill=\"#e15759\"/>",
                    label_w, y + 3, o, row_h - 6);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%d\" class=\"num\">%lld", label_w + w + 6, y + 15,
                (long long)value[c]);
        if (overlay) fprintf(out, " <tspan class=\"iss\">(%lld)</tspan>", (long long)overlay[c]);
        fputs("</text></g>\n", out);
    }
    fputs("</svg>\n", out);
}

/* White -> colour ramp; t in [0,1]. */
static void ramp(char *buf, size_t size, double t, int r1, int g1, int b1)
{
    if (!(t >= 0)) t = 0;
    if (t > 1) t = 1;
    int r = (int)lround(255 + (r1 - 255) * t), g = (int)lround(255 + (g1 - 255) * t),
        b = (int)lround(255 + (b1 - 255) * t);
    snprintf(buf, size, "#%02x%02x%02x", r, g, b);
}

void rp_svg_heatmap(FILE *out, size_t k, char *const *names, const double *m,
                    int decimals, const char *row_title, const char *col_title,
                    int diag_muted)
{
    rp_svg_heatmap_support(out, k, names, m, decimals, row_title, col_title, diag_muted, NULL);
}

/* A label that may be cut (esc_trunc) with its full name as the tooltip. */
static void svg_label(FILE *out, const char *name, size_t max_chars)
{
    fputs("<title>", out);
    rp_esc(out, name);
    fputs("</title>", out);
    esc_trunc(out, name, max_chars);
}

/* The cell tooltip's support part: "; rests on C of S examples counted as
 * true NAME" when the confident joint cj (k x k, (given, true)) is given. */
static void cell_support(FILE *out, const double *cj, size_t k, size_t i, size_t j, const char *col_title,
                         const char *name)
{
    if (!cj) return;
    double col = 0;                 /* S_j = sum_i cj_ij: the examples counted as true j */
    for (size_t r = 0; r < k; r++) col += cj[r * k + j];
    fprintf(out, "; rests on %.0f of %.0f examples counted as %s ", cj[i * k + j], col,
            col_title ? col_title : "");
    rp_esc(out, name);
    fputs(" (confident joint)", out);
}

void rp_svg_heatmap_support(FILE *out, size_t k, char *const *names, const double *m,
                            int decimals, const char *row_title, const char *col_title,
                            int diag_muted, const double *cj)
{
    int cell = k <= 4 ? 56 : k <= 10 ? 40 : k <= 20 ? 28 : k <= 40 ? 18 : 12;
    int label_w = 112, top = 96;
    int width = label_w + (int)k * cell + 30, height = top + (int)k * cell + 6;
    double max_diag = 0, max_off = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double v = fabs(m[i * k + j]);
            if (i == j) { if (v > max_diag) max_diag = v; }
            else if (v > max_off) max_off = v;
        }
    double max_all = max_diag > max_off ? max_diag : max_off;
    fprintf(out, "<svg class=\"chart heat\" role=\"img\" aria-label=\"heatmap: ");
    rp_esc(out, row_title);
    fputs(" (rows) by ", out);
    rp_esc(out, col_title);
    fprintf(out, " (columns); hover a cell for its value\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            width, height, width, height);
    /* axis titles */
    fprintf(out, "<text x=\"%d\" y=\"14\" class=\"ax\">", label_w);
    rp_esc(out, col_title);
    fprintf(out, " &#8594;</text><text x=\"10\" y=\"%d\" class=\"ax\" transform=\"rotate(-90 10 %d)\""
                 " text-anchor=\"end\">", top, top);
    rp_esc(out, row_title);
    fputs(" &#8594;</text>\n", out);
    int font = cell >= 40 ? 12 : cell >= 28 ? 10 : cell >= 18 ? 8 : 0;
    for (size_t j = 0; j < k; j++) {   /* column labels, rotated */
        int x = label_w + (int)j * cell + cell / 2 + 4;
        fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"lb\" transform=\"rotate(-45 %d %d)\">",
                x, top - 6, x, top - 6);
        svg_label(out, names[j], 13);
        fputs("</text>\n", out);
    }
    for (size_t i = 0; i < k; i++) {
        int y = top + (int)i * cell;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"lb\">", label_w - 6,
                y + cell / 2 + 4);
        svg_label(out, names[i], 15);
        fputs("</text>\n", out);
        for (size_t j = 0; j < k; j++) {
            double v = m[i * k + j];
            char fill[16], num[64];
            double t;
            if (diag_muted && i == j) {
                t = max_diag > 0 ? fabs(v) / max_diag : 0;
                ramp(fill, sizeof fill, 0.35 * t, 90, 110, 130);
            } else {
                double scale = diag_muted ? max_off : max_all;
                t = scale > 0 ? fabs(v) / scale : 0;
                if (diag_muted) ramp(fill, sizeof fill, t, 200, 40, 40);
                else ramp(fill, sizeof fill, t, 33, 102, 172);
            }
            snprintf(num, sizeof num, "%.*f", decimals, v);
            int x = label_w + (int)j * cell;
            fprintf(out, "<g><title>");
            rp_esc(out, row_title);
            fputs(" ", out);
            rp_esc(out, names[i]);
            fputs(", ", out);
            rp_esc(out, col_title);
            fputs(" ", out);
            rp_esc(out, names[j]);
            fprintf(out, ": %s", num);
            cell_support(out, cj, k, i, j, col_title, names[j]);
            fprintf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\""
                         " stroke=\"#fff\"/>", x, y, cell, cell, fill);
            if (font)
                fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"%d\" fill=\"%s\">%s</text>",
                        x + cell / 2, y + cell / 2 + font / 3, font,
                        (!(diag_muted && i == j) && t > 0.55) ? "#fff" : "#222", num);
            fputs("</g>\n", out);
        }
    }
    fputs("</svg>\n", out);
}

void rp_svg_pr(FILE *out, const rp_series *s, size_t n)
{
    const int left = 46, top = 12, plot = 300, legend_w = 190;
    int width = left + plot + 20 + legend_w, height = top + plot + 44;
    int legend_h = 20 + 18 * (int)n;
    if (legend_h > height) height = legend_h;
    fprintf(out, "<svg class=\"chart\" role=\"img\" aria-label=\"precision-recall chart, one curve or point per class\""
                 " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            width, height, width, height);
    fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafbfc\" stroke=\"#ccd\"/>\n",
            left, top, plot, plot);
    for (int t = 0; t <= 4; t++) {
        double f = t / 4.0;
        int x = left + (int)(f * plot), y = top + plot - (int)(f * plot);
        fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e4e7ec\"/>"
                     "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e4e7ec\"/>",
                x, top, x, top + plot, left, y, left + plot, y);
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"tk\">%.2g</text>"
                     "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"tk\">%.2g</text>\n",
                x, top + plot + 14, f, left - 4, y + 4, f);
    }
    fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"ax\">recall</text>"
                 "<text x=\"12\" y=\"%d\" class=\"ax\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">precision</text>\n",
            left + plot / 2, top + plot + 32, top + plot / 2, top + plot / 2);
    for (size_t i = 0; i < n; i++) {
        const char *col = rp_color(i);
        fputs("<g><title>", out);
        rp_esc(out, s[i].name);
        fputs("</title>", out);
        if (s[i].npoints > 1) {
            fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", col);
            for (size_t p = 0; p < s[i].npoints; p++) {
                double r = s[i].recall[p], pr = s[i].precision[p];
                if (!isfinite(r) || !isfinite(pr)) continue;
                fprintf(out, "%.1f,%.1f ", left + r * plot, top + plot - pr * plot);
            }
            fputs("\"/>", out);
        } else if (s[i].npoints == 1 && isfinite(s[i].recall[0]) && isfinite(s[i].precision[0])) {
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\" stroke=\"#fff\"/>",
                    left + s[i].recall[0] * plot, top + plot - s[i].precision[0] * plot, col);
        }
        if (s[i].mark && isfinite(s[i].mark_recall) && isfinite(s[i].mark_precision)) {
            double x = left + s[i].mark_recall * plot, y = top + plot - s[i].mark_precision * plot;
            fputs("<g class=\"op\"><title>", out);
            rp_esc(out, s[i].mark);
            int right = s[i].mark_recall > 0.6; /* the label on the side with room */
            fprintf(out, "</title><circle cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"#101828\""
                         " stroke-width=\"2\"/><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"tk\">"
                         "operating point</text></g>",
                    x, y, right ? x - 10 : x + 10, y < top + 20 ? y + 18 : y - 8, right ? "end" : "start");
        }
        int ly = top + 10 + 18 * (int)i;
        fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                     "<text x=\"%d\" y=\"%d\" class=\"lg\">", left + plot + 20, ly, col,
                left + plot + 38, ly + 10);
        esc_trunc(out, s[i].name, 26);
        fputs("</text></g>\n", out);
    }
    fputs("</svg>\n", out);
}

static double curve_value(const json_t *a, size_t i)
{
    const json_t *v = json_array_get(a, i);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

void rp_svg_curves(FILE *f, const json_t *curves)
{
    static const char *const keys[] = {"train_accuracy", "heldout_accuracy", "val_accuracy"};
    static const char *const names[] = {"training accuracy (labels trained on)", "held-out (test) accuracy",
                                        "inner validation accuracy"};
    size_t E = 0;
    double lo = 1.0;
    for (size_t s = 0; s < 3; s++) {
        const json_t *a = json_object_get(curves, keys[s]);
        if (json_array_size(a) > E) E = json_array_size(a);
        for (size_t e = 0; e < json_array_size(a); e++)
            if (curve_value(a, e) < lo) lo = curve_value(a, e);
    }
    if (E < 2) return;
    lo = floor(lo * 10.0) / 10.0;            /* y from a round value below the minimum to 1 */
    if (lo > 0.9) lo = 0.9;
    if (lo < 0) lo = 0;
    const int left = 46, top = 12, pw = 420, ph = 240, legend_w = 250;
    int width = left + pw + 20 + legend_w, height = top + ph + 44;
    fprintf(f, "<svg class=\"chart\" role=\"img\" aria-label=\"learning curves: accuracy per epoch\""
                 " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
            width, height, width, height);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafbfc\" stroke=\"#ccd\"/>\n",
            left, top, pw, ph);
    /* x = left + (e / (E - 1)) pw for epoch e + 1; y = top + ph (1 - (v - lo) / (1 - lo)) */
    for (int t = 0; t <= 4; t++) {
        double v = lo + (1.0 - lo) * t / 4.0;
        int y = top + ph - (int)(ph * t / 4.0);
        fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e4e7ec\"/>"
                   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" class=\"tk\">%.3g</text>\n",
                left, y, left + pw, y, left - 4, y + 4, v);
    }
    size_t step = E > 10 ? (E + 9) / 10 : 1;
    for (size_t e = 0; e < E; e += step)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" class=\"tk\">%zu</text>",
                left + (double)e / (E - 1) * pw, top + ph + 14, e + 1);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" class=\"ax\">epoch</text>"
               "<text x=\"12\" y=\"%d\" class=\"ax\" text-anchor=\"middle\" transform=\"rotate(-90 12 %d)\">accuracy</text>\n",
            left + pw / 2, top + ph + 32, top + ph / 2, top + ph / 2);
    const json_t *es = json_object_get(curves, "early_stopping_epoch");
    if (json_is_integer(es) && json_integer_value(es) >= 1 && (size_t)json_integer_value(es) <= E) {
        double x = left + (double)(json_integer_value(es) - 1) / (E - 1) * pw;
        fprintf(f, "<g><title>early stopping: weights of epoch %lld kept</title>"
                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#667085\" stroke-dasharray=\"4 3\"/></g>\n",
                (long long)json_integer_value(es), x, top, x, top + ph);
    }
    int ls = 0;
    for (size_t s = 0; s < 3; s++) {
        const json_t *a = json_object_get(curves, keys[s]);
        size_t n = json_array_size(a), shown = 0;
        const char *col = rp_color(s);
        fprintf(f, "<g><title>%s</title><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
                names[s], col, s == 2 ? " stroke-dasharray=\"5 3\"" : "");
        for (size_t e = 0; e < n; e++) {
            double v = curve_value(a, e);
            if (!isfinite(v)) continue;
            fprintf(f, "%.1f,%.1f ", left + (double)e / (E - 1) * pw, top + ph * (1.0 - (v - lo) / (1.0 - lo)));
            shown++;
        }
        fputs("\"/></g>\n", f);
        if (!shown) continue;
        int ly = top + 10 + 18 * ls++;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"%d\" class=\"lg\">%s</text>\n",
                left + pw + 20, ly, col, left + pw + 38, ly + 10, names[s]);
    }
    if (json_is_integer(es))
        fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"lg\">- - early stopping (epoch %lld)</text>\n",
                left + pw + 20, top + 10 + 18 * ls + 10, (long long)json_integer_value(es));
    fputs("</svg>\n", f);
}

void rp_esc_wrap(FILE *out, const char *s, size_t max_seg)
{
    if (!s) return;
    char seg[512];
    size_t len = 0, chars = 0;
    int cut = 0;
    for (const char *p = s;; p++) {
        int sep = *p == '_' || *p == '/' || *p == '-' || *p == '.' || *p == ' ';
        if (*p && !sep) {
            int cont = ((unsigned char)*p & 0xC0) == 0x80;
            if (!cont) chars++;
            if (chars > max_seg) cut = 1;
            else if (len < sizeof seg - 1) seg[len++] = *p;
            continue;
        }
        /* a segment ends: write it (cut at a character boundary), its separator and a break chance */
        while (cut && len > 0 && ((unsigned char)seg[len] & 0xC0) == 0x80) len--;
        seg[len] = 0;
        rp_esc(out, seg);
        if (cut) fputs("\xe2\x80\xa6", out);
        if (!*p) break;
        char sp[2] = {*p, 0};
        rp_esc(out, sp);
        fputs("<wbr>", out);
        len = chars = 0;
        cut = 0;
    }
}

void rp_svg_feature_scale(FILE *out, const char *name, double x, double mg, double sg, double ms, double ss)
{
    /* the axis spans every band (mean +- 2 sd of both classes) and x */
    double lo = fmin(fmin(mg - 2 * sg, ms - 2 * ss), x), hi = fmax(fmax(mg + 2 * sg, ms + 2 * ss), x);
    if (!(hi > lo)) {
        lo -= 1;
        hi += 1;
    }
    const double w = 160, pad = 4;
#define RP_SX(v) (pad + ((v) - lo) / (hi - lo) * (w - 2 * pad))
    fprintf(out, "<svg class=\"scale\" viewBox=\"0 0 160 16\" preserveAspectRatio=\"none\" role=\"img\" "
                 "aria-label=\"");
    rp_esc(out, name);
    fprintf(out, " %.4g: given class %.4g &#177; %.3g, suggested class %.4g &#177; %.3g\"><title>", x, mg, sg, ms, ss);
    rp_esc(out, name);
    fprintf(out, " = %.4g; given class mean %.4g &#177; %.3g (sd), suggested class mean %.4g &#177; %.3g</title>",
            x, mg, sg, ms, ss);
    fprintf(out, "<line x1=\"%.0f\" y1=\"8\" x2=\"%.0f\" y2=\"8\" stroke=\"#d0d5dd\"/>", pad, w - pad);
    fprintf(out, "<rect x=\"%.1f\" y=\"3\" width=\"%.1f\" height=\"4\" fill=\"#f4a09a\"/>"
                 "<rect x=\"%.1f\" y=\"2\" width=\"1.5\" height=\"6\" fill=\"#b42318\"/>",
            RP_SX(mg - sg), RP_SX(mg + sg) - RP_SX(mg - sg), RP_SX(mg) - 0.75);
    fprintf(out, "<rect x=\"%.1f\" y=\"9\" width=\"%.1f\" height=\"4\" fill=\"#8fd0a0\"/>"
                 "<rect x=\"%.1f\" y=\"8\" width=\"1.5\" height=\"6\" fill=\"#15803d\"/>",
            RP_SX(ms - ss), RP_SX(ms + ss) - RP_SX(ms - ss), RP_SX(ms) - 0.75);
    double px = RP_SX(x);
    fprintf(out, "<path d=\"M%.1f 0h6l-3 5z\" fill=\"#1d2330\"/><rect x=\"%.1f\" y=\"0\" width=\"1.2\" height=\"16\" "
                 "fill=\"#1d2330\"/></svg>", px - 3, px - 0.6);
#undef RP_SX
}
