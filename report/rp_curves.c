/*
 * rp_curves.c — the metrics panels (rp_curves.h): the final-model panel and
 * the per-class metrics table it shares with the cross-validation panel.
 * Values come from JSON the tool wrote itself, but every string still goes
 * through rp_esc; the charts are rp_html.c's.
 */
#include "rp_curves.h"

#include <stdlib.h>
#include <string.h>

#include "../db/db.h"
#include "rp_html.h"

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
    const char *stop = json_string_value(json_object_get(m, "stop_on"));   /* absent: accuracy */
    if (stop) fprintf(f, ", early stopping on the %svalidation loss", strcmp(stop, "balanced") ? "" : "class-balanced ");
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
    fputs("</div><div>", f);
    rp_class_metrics_table(f, json_object_get(m, "per_class"), NULL);
    fputs("</div></div></section>\n", f);
    json_decref(m);
}

void rp_class_metrics_table(FILE *f, const json_t *per_class, const rp_series *names)
{
    fputs("<table class=\"cls\"><tr><th>class</th><th>support</th><th>precision</th>"
          "<th>recall</th><th>F1</th><th>PR-AUC</th></tr>\n", f);
    for (size_t i = 0; i < json_array_size(per_class); i++) {
        const json_t *c = json_array_get(per_class, i);
        fputs("<tr><td>", f);
        rp_esc(f, names ? names[i].name : json_string_value(json_object_get(c, "class")));
        fprintf(f, "</td><td>%lld</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>\n",
                (long long)json_integer_value(json_object_get(c, "support")),
                json_number_value(json_object_get(c, "precision")),
                json_number_value(json_object_get(c, "recall")),
                json_number_value(json_object_get(c, "f1")),
                json_number_value(json_object_get(c, "pr_auc")));
    }
    fputs("</table>", f);
}

/* One fold's inner score of strategy name, "-" when it was not compared. */
static void rebalance_cell(FILE *f, const json_t *fold_rb, const char *name)
{
    const json_t *sc = json_object_get(json_object_get(fold_rb, "scores"), name);
    const char *chosen = json_string_value(json_object_get(fold_rb, "chosen"));
    int is_chosen = chosen && !strcmp(chosen, name);
    if (!json_is_number(sc)) { fputs("<td>-</td>", f); return; }
    const json_t *g = json_object_get(json_object_get(fold_rb, "gain_over_plain"), name);
    const json_t *se = json_object_get(json_object_get(fold_rb, "gain_se"), name);
    fputs("<td", f);
    if (json_is_number(g) && json_is_number(se))
        fprintf(f, " title=\"gain over plain %+.4f, standard error %.4f\"", json_number_value(g),
                json_number_value(se));
    fprintf(f, ">%s%.4f%s</td>", is_chosen ? "<b>" : "", json_number_value(sc), is_chosen ? " &#10003;</b>" : "");
}

/* "Without saying so" (issue 19): one warning line per fold whose choice
 * loses inner PR-AUC to plain (the fold's rebalance.loses_pr_auc), with
 * that loss, its bootstrap error and what the choice gained by its score. */
static void rebalance_warnings(FILE *f, const json_t *rb, const json_t *folds)
{
    const char *sel = json_string_value(json_object_get(rb, "select_by"));
    const json_t *prec = json_object_get(rb, "precision");
    for (size_t i = 0; i < json_array_size(folds); i++) {
        const json_t *fold = json_array_get(folds, i), *frb = json_object_get(fold, "rebalance");
        if (!json_is_true(json_object_get(frb, "loses_pr_auc"))) continue;
        const char *chosen = json_string_value(json_object_get(frb, "chosen"));
        const json_t *sg = json_object_get(json_object_get(frb, "gain_over_plain"), chosen ? chosen : "");
        fprintf(f, "<p class=\"rbwarn\">&#9888; fold %lld chose <b>", (long long)json_integer_value(json_object_get(fold, "fold")));
        rp_esc(f, chosen ? chosen : "?");
        fprintf(f, "</b>, which <b>loses inner PR-AUC</b> to plain: %+.4f (bootstrap error %.4f)",
                json_number_value(json_object_get(frb, "chosen_pr_auc_gain")),
                json_number_value(json_object_get(frb, "chosen_pr_auc_gain_se")));
        if (json_is_number(sg)) {
            fputs(", for ", f);
            rp_esc(f, sel ? sel : "its score");
            if (json_is_number(prec)) fprintf(f, " at precision %g", json_number_value(prec));
            fprintf(f, " %+.4f", json_number_value(sg));
        }
        fputs(".</p>\n", f);
    }
}

void rp_rebalance_section(FILE *f, const json_t *cv_metrics)
{
    const json_t *rb = json_object_get(cv_metrics, "rebalance");
    const json_t *compared = json_object_get(rb, "compared"), *folds = json_object_get(cv_metrics, "folds");
    if (!json_is_array(compared) || !json_array_size(compared) || !json_is_array(folds)) return;
    const char *sel = json_string_value(json_object_get(rb, "select_by"));
    fputs("<section class=\"panel\" id=\"rebalance\"><h2>Class rebalancing: what was compared, what was chosen</h2>\n"
          "<p class=\"muted\">cv --rebalance auto: inside each training fold, an inner cross-validation of that fold "
          "alone scored every strategy on the rare classes by <b>", f);
    rp_esc(f, sel ? sel : "pr-auc");
    fputs("</b> (higher is better). Plain cross-entropy is kept unless a strategy's gain, scored on the inner folds' "
          "pooled out-of-fold rows, exceeds both the margin and its bootstrap standard error (in each score's tooltip). The chosen strategy is marked "
          "&#10003;; the fold's held-out rows never took part in the choice.</p>\n"
          "<table class=\"cls\"><tr><th>fold</th>", f);
    for (size_t s = 0; s < json_array_size(compared); s++) {
        fputs("<th>", f);
        rp_esc(f, json_string_value(json_array_get(compared, s)));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (size_t i = 0; i < json_array_size(folds); i++) {
        const json_t *fold = json_array_get(folds, i), *frb = json_object_get(fold, "rebalance");
        if (!json_is_object(frb)) continue;
        fprintf(f, "<tr><td>%lld</td>", (long long)json_integer_value(json_object_get(fold, "fold")));
        for (size_t s = 0; s < json_array_size(compared); s++)
            rebalance_cell(f, frb, json_string_value(json_array_get(compared, s)));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    rebalance_warnings(f, rb, folds);
    fputs("</section>\n", f);
}
