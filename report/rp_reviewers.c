/*
 * rp_reviewers.c — the reviewer table of the report (see rp_reviewers.h):
 * one row per reviewer, lowest estimated quality first, from the JSON that
 * `consensus --db` attached to the run. Read-only; every string escaped.
 */
#include "rp_reviewers.h"
#include "rp_html.h"
#include "../db/db.h"

#include <jansson.h>
#include <stdlib.h>

/* One reviewer's row. */
static void reviewer_row(FILE *f, const json_t *r)
{
    fputs("<tr><td>", f);
    rp_esc(f, json_string_value(json_object_get(r, "reviewer")));
    fprintf(f, "</td><td>%lld</td><td>%.3f</td><td>", (long long)json_integer_value(json_object_get(r, "labelled")),
            json_number_value(json_object_get(r, "agreement")));
    const json_t *q = json_object_get(r, "quality");
    if (json_is_number(q)) fprintf(f, "%.3f", json_number_value(q));
    else fputs("&ndash;", f);
    fputs("</td><td>", f);
    rp_esc(f, json_string_value(json_object_get(r, "worst_class")));
    fputs("</td></tr>\n", f);
}

void rp_reviewer_section(sqlite3 *db, int64_t run_id, FILE *f)
{
    char *text = NULL;
    la_error e;
    la_error_clear(&e);
    if (db_load_metrics(db, run_id, "consensus", &text, &e) || !text) {
        free(text);
        return;
    }
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    const json_t *rows = json_object_get(m, "reviewers");
    if (!json_is_array(rows) || !json_array_size(rows)) {
        json_decref(m);
        return;
    }
    fputs("<section class=\"panel\" id=\"reviewers\"><h2>Reviewers</h2>\n<p class=\"muted\">Consensus (", f);
    rp_esc(f, json_string_value(json_object_get(m, "consensus")));
    fprintf(f, ") over the %lld examples reviewers labelled, from <code>labelaudit consensus --db</code>; "
            "lowest quality first.</p>\n", (long long)json_integer_value(json_object_get(m, "examples")));
    fputs("<table class=\"cls\"><tr><th>reviewer</th><th>labelled</th><th>agreement with consensus</th>"
          "<th>quality</th><th>worst class</th></tr>\n", f);
    size_t i;
    const json_t *r;
    json_array_foreach(rows, i, r) reviewer_row(f, r);
    fputs("</table></section>\n", f);
    json_decref(m);
}
