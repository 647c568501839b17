/*
 * rp_curves.c — the final-model panel and the learning-curve SVG (rp_curves.h).
 * Values come from JSON the tool wrote itself, but every string still goes
 * through rp_esc; null entries in a curve (not measured) break the line.
 */
#include "rp_curves.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "rp_html.h"

static double num(const json_t *a, size_t i)
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
            if (num(a, e) < lo) lo = num(a, e);
    }
    if (E < 2) return;
    lo = floor(lo * 10.0) / 10.0;            /* y from a round value below the minimum to 1 */
    if (lo > 0.9) lo = 0.9;
    if (lo < 0) lo = 0;
    const int left = 46, top = 12, pw = 420, ph = 240, legend_w = 250;
    int width = left + pw + 20 + legend_w, height = top + ph + 44;
    fprintf(f, "<svg class=\"chart\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
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
            double v = num(a, e);
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

void rp_retrain_section(sqlite3 *db, int64_t run_id, FILE *f)
{
    char *text = NULL;
    la_error e;
    la_error_clear(&e);
    if (db_load_metrics(db, run_id, "retrain", &text, &e) || !text) {
        free(text);
        return;
    }
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(m)) { json_decref(m); return; }
    fputs("<section class=\"panel\" id=\"retrain\"><h2>Final model on the held-out test set</h2>\n"
          "<p class=\"muted\">", f);
    fputs("Model ", f);
    rp_esc(f, json_string_value(json_object_get(m, "model")));
    fputs(" (", f);
    rp_esc(f, json_string_value(json_object_get(m, "variant")));
    fputs(", loss ", f);
    rp_esc(f, json_string_value(json_object_get(m, "loss")));
    fputs(", sampler ", f);
    rp_esc(f, json_string_value(json_object_get(m, "sampler")));
    fprintf(f, ") trained on %lld examples of ", (long long)json_integer_value(json_object_get(m, "n_train")));
    rp_esc(f, json_string_value(json_object_get(m, "train_data")));
    fprintf(f, ", tested on %lld: accuracy %.4f, balanced accuracy %.4f, macro F1 %.4f.</p>\n",
            (long long)json_integer_value(json_object_get(m, "n_test")),
            json_number_value(json_object_get(m, "accuracy")),
            json_number_value(json_object_get(m, "balanced_accuracy")),
            json_number_value(json_object_get(m, "macro_f1")));
    fputs("<div class=\"row\"><div>", f);
    const json_t *cu = json_object_get(m, "curves");
    if (json_is_object(cu)) rp_svg_curves(f, cu);
    fputs("</div><div><table class=\"cls\"><tr><th>class</th><th>support</th><th>precision</th>"
          "<th>recall</th><th>F1</th><th>PR-AUC</th></tr>\n", f);
    const json_t *pc = json_object_get(m, "per_class");
    for (size_t i = 0; i < json_array_size(pc); i++) {
        const json_t *c = json_array_get(pc, i);
        fputs("<tr><td>", f);
        rp_esc(f, json_string_value(json_object_get(c, "class")));
        fprintf(f, "</td><td>%lld</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n",
                (long long)json_integer_value(json_object_get(c, "support")),
                json_number_value(json_object_get(c, "precision")),
                json_number_value(json_object_get(c, "recall")),
                json_number_value(json_object_get(c, "f1")),
                json_number_value(json_object_get(c, "pr_auc")));
    }
    fputs("</table></div></div></section>\n", f);
    json_decref(m);
}
