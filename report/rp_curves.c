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
