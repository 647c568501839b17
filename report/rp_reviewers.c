/*
 * rp_reviewers.c — the reviewer section of the report (see rp_reviewers.h):
 * what reviewers found (the verdict summary of rp_verdicts.h: shares with
 * Wilson intervals, the corrected label-error rate), then one row per
 * reviewer, lowest estimated quality first, from the JSON that `consensus
 * --db` attached to the run. Read-only; every string escaped.
 */
#include "rp_reviewers.h"
#include "rp_html.h"
#include "rp_verdicts.h"
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

/* "0.600 [0.313, 0.832]" or a dash. */
static void prop_cell(FILE *f, const rp_prop *p)
{
    if (p->n <= 0) fputs("<td>&ndash;</td>", f);
    else fprintf(f, "<td>%.3f <span class=\"muted\">[%.3f, %.3f]</span></td>", p->p, p->lo, p->hi);
}

static void verdict_row(FILE *f, const char *name, const rp_verdict_group *g)
{
    fputs("<tr><td>", f);
    rp_esc(f, name);
    fprintf(f, "</td><td>%lld</td><td>%lld</td>", (long long)g->decided, (long long)g->judged);
    prop_cell(f, &g->error);
    prop_cell(f, &g->ambiguous);
    prop_cell(f, &g->false_alarm);
    fprintf(f, "<td>%.4f</td>", g->est_rate);
    if (g->judged > 0)
        fprintf(f, "<td>%.4f <span class=\"muted\">[%.4f, %.4f]</span></td>", g->corrected, g->corrected_lo,
                g->corrected_hi);
    else fputs("<td>&ndash;</td>", f);
    fputs("</tr>\n", f);
}

/* The verdict table; 1 when written (some decision has a verdict). */
static int verdict_part(sqlite3 *db, int64_t run_id, FILE *f, int open)
{
    rp_verdicts v;
    la_error e;
    la_error_clear(&e);
    if (rp_verdicts_load(db, run_id, 0.95, &v, &e)) return 0;
    if (v.overall.judged == 0) {
        rp_verdicts_free(&v);
        return 0;
    }
    if (!open) fputs("<section class=\"panel\" id=\"reviewers\"><h2>Reviewers</h2>\n", f);
    fprintf(f, "<h3 id=\"verdicts\">What reviewers found</h3>\n<p class=\"muted\">Of the %lld decided examples "
            "(keep, relabel, drop), %lld carry a verdict. The share judged a genuine label error is the audit's "
            "precision as people judged it; corrected rate = estimated rate &times; precision, its interval the "
            "estimated rate &times; the precision's 95%% Wilson interval.</p>\n",
            (long long)v.overall.decided, (long long)v.overall.judged);
    fputs("<table class=\"cls\" id=\"verdict-table\"><tr><th>class</th><th>decided</th><th>verdicts</th>"
          "<th>label error (precision)</th><th>ambiguous</th><th>false alarm</th><th>estimated rate</th>"
          "<th>corrected rate</th></tr>\n", f);
    verdict_row(f, "overall", &v.overall);
    for (size_t c = 0; c < v.k; c++) verdict_row(f, v.classes[c], &v.per_class[c]);
    fputs("</table>\n", f);
    rp_verdicts_free(&v);
    return 1;
}

void rp_reviewer_section(sqlite3 *db, int64_t run_id, FILE *f)
{
    char *text = NULL;
    la_error e;
    la_error_clear(&e);
    json_t *m = NULL;
    if (!db_load_metrics(db, run_id, "consensus", &text, &e) && text) m = json_loads(text, 0, NULL);
    free(text);
    const json_t *rows = json_object_get(m, "reviewers");
    int has_consensus = json_is_array(rows) && json_array_size(rows);
    int open = verdict_part(db, run_id, f, 0);
    if (!has_consensus) {
        if (open) fputs("</section>\n", f);
        json_decref(m);
        return;
    }
    if (!open) fputs("<section class=\"panel\" id=\"reviewers\"><h2>Reviewers</h2>\n", f);
    fputs("<p class=\"muted\">Consensus (", f);
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
