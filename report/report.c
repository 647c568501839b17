/*
 * report.c — writes the static HTML report of one run: index.html (summary)
 * and the contact sheets issues-P.html, class-C-P.html, with thumbnails in
 * assets/thumbs/ROW.png. Every page carries its own inline CSS and a
 * Content-Security-Policy that forbids scripts, so it opens from disk with no
 * network. Reads only the database and image files (what the raw inputs gave
 * was stored at record time: rp_digest.h). Not here: SQL (db/), escaping and
 * charts (rp_html.c), thumbnails (rp_thumb.c).
 * Invariant: the report is built in OUT.tmp.PID and renamed into place.
 */
#include "report.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "../db/db.h"
#include "../util/la_dirs.h"
#include "../util/la_json.h"
#include "rp_curves.h"
#include "rp_reviewers.h"
#include "rp_html.h"
#include "rp_issues.h"

#define RP_DEFAULT_PER_PAGE  200
#define RP_DEFAULT_THUMB_BOX 112

void rp_options_init(rp_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->per_page = RP_DEFAULT_PER_PAGE;
    opt->thumb_box = RP_DEFAULT_THUMB_BOX;
}

/* ---- the report's state ----------------------------------------------- */

typedef struct thumb {
    uint8_t state;      /* 0 not tried, 1 written, 2 failed, 3 no pixels stored */
    uint16_t w, h;
} thumb;

typedef struct report {
    sqlite3        *db;
    const rp_options *opt;
    rp_result      *res;
    la_error       *err;
    char            dir[PATH_MAX + 64];     /* the temporary directory being written */
    db_run          run;
    db_progress    *progress;          /* k, review progress per given class    */
    db_progress     overall;
    thumb          *thumbs;            /* n, by row                             */
    db_digest_info  digest;            /* what the record stage stored          */
    char            features_note[2200]; /* why a card shows no values, or ""   */
    db_typical     *typical;           /* n_typical, by class then slot (003)   */
    size_t          n_typical;
    const char     *out;               /* the report directory as given         */
    json_t         *summary;           /* the run's summary.json, or NULL       */
} report;

static int io_fail(report *r, const char *path)
{
    return la_error_set(r->err, LA_EINTERNAL, path, 0, "cannot write: %s", strerror(errno));
}

/* ---- page frame ------------------------------------------------------- */

static const char css[] =
"*{box-sizing:border-box}"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
"color:#1d2330;background:#f3f5f8}"
"a{color:#2456a6;text-decoration:none}a:hover{text-decoration:underline}"
"header.top{background:#1f2a3c;color:#e8edf5;padding:10px 28px;display:flex;gap:18px;align-items:baseline;flex-wrap:wrap}"
"header.top a{color:#fff;font-weight:600}header.top .sub{color:#aab6c8;font-size:13px}"
"main{max-width:1320px;margin:0 auto;padding:18px 28px 40px}"
"h1{font-size:24px;margin:6px 0 2px}h2{font-size:18px;margin:0 0 10px}"
".muted{color:#667085}.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}"
"section.panel{background:#fff;border:1px solid #e1e5ec;border-radius:10px;padding:16px 20px;margin:16px 0;"
"box-shadow:0 1px 2px rgba(16,24,40,.04)}"
".kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(132px,1fr));gap:12px;margin:14px 0}"
".kpi{background:#fff;border:1px solid #e1e5ec;border-radius:10px;padding:12px 14px}"
".kpi .v{font-size:24px;font-weight:650}.kpi .l{color:#667085;font-size:12px;text-transform:uppercase;letter-spacing:.04em}"
".kpi.warn .v{color:#c2410c}.kpi.good .v{color:#15803d}"
".row{display:flex;gap:26px;flex-wrap:wrap;align-items:flex-start}.row>div{flex:1 1 460px;min-width:0}"
"h3{font-size:15px;margin:4px 0 6px}"
"table.cls{border-collapse:collapse;width:100%;font-size:13px}"
"table.cls th,table.cls td{padding:5px 8px;border-bottom:1px solid #eef0f4;text-align:right;white-space:nowrap}"
"table.cls th{color:#475467;font-weight:600;background:#f8f9fb}table.cls td:first-child,table.cls th:first-child{text-align:left;white-space:normal}"
".bar{display:inline-block;height:8px;border-radius:4px;background:#e15759;vertical-align:middle;margin-left:6px}"
".bar.q{background:#59a14f}"
".chips{display:flex;flex-wrap:wrap;gap:8px}.chip{border:1px solid #d0d5dd;border-radius:16px;padding:3px 11px;background:#fff}"
".chip b{color:#c2410c}"
"svg.chart{max-width:100%;height:auto}svg text{font-family:inherit}"
"svg .lb{font-size:12px;fill:#344054}svg .num{font-size:11px;fill:#475467}svg .iss{fill:#c2410c}"
"svg .ax{font-size:12px;fill:#667085;font-weight:600}svg .tk{font-size:10px;fill:#667085}svg .lg{font-size:12px;fill:#344054}"
"nav.pages{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin:12px 0}"
"nav.pages a,nav.pages span{padding:3px 9px;border-radius:6px;border:1px solid #d0d5dd;background:#fff}"
"nav.pages span.cur{background:#1f2a3c;color:#fff;border-color:#1f2a3c}nav.pages span.gap{border:0;background:none}"
".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}"
".card{margin:0;background:#fff;border:1px solid #e1e5ec;border-radius:10px;padding:10px;display:flex;flex-direction:column;gap:6px;"
"border-top:4px solid #98a2b3}"
".card.s-keep{border-top-color:#15803d}.card.s-relabel{border-top-color:#2456a6}.card.s-drop{border-top-color:#b42318}"
".card.s-skip{border-top-color:#d0d5dd}.card.disagree{box-shadow:0 0 0 2px #f79009 inset}"
".thumb{display:flex;justify-content:center;align-items:center;background:#111;border-radius:6px;min-height:112px}"
".thumb img{image-rendering:pixelated;display:block;max-width:100%}"
".noimg{color:#5d6679;font-size:12px;padding:20px;text-align:center}.thumb .noimg{color:#d0d5dd}"
"table.feat{font-size:11px;border-collapse:collapse;width:100%}table.feat td,table.feat th{padding:1px 3px;text-align:right}"
"table.feat th{color:#667085;font-weight:500}table.feat td:first-child{text-align:left;overflow-wrap:anywhere}"
".cap{font-size:12.5px;display:flex;flex-direction:column;gap:3px}"
".cap .top{display:flex;justify-content:space-between;gap:6px}.cap .rank{font-weight:700;color:#475467}"
".cap .id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11.5px;overflow-wrap:anywhere}"
".given{color:#b42318;font-weight:600}.sugg{color:#15803d;font-weight:600}.why{overflow-wrap:break-word}"
".badge{font-size:11px;border-radius:10px;padding:0 7px;background:#eef0f4;color:#344054}"
".badge.s-keep{background:#dcfae6;color:#085d3a}.badge.s-relabel{background:#d1e0ff;color:#1d3b8a}"
".badge.s-drop{background:#fee4e2;color:#912018}.badge.warn{background:#fef0c7;color:#93370d}"
".rbwarn{background:#fef0c7;color:#93370d;border-radius:6px;padding:6px 10px;margin:8px 0 0}"
"footer{color:#5d6679;font-size:12px;text-align:center;padding:20px}"
".why{margin:2px 0;font-size:12.5px;color:#1d2330}"
".probs{display:flex;flex-direction:column;gap:2px;font-size:11.5px}"
".pr{display:grid;grid-template-columns:minmax(0,1fr) 52px 38px;gap:6px;align-items:center}"
".probs .pn{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}.probs .pv{text-align:right;font-variant-numeric:tabular-nums}"
".pbar{display:block;height:8px;background:#eef0f4;border-radius:4px;overflow:hidden}"
".pbar i{display:block;height:100%;background:#667085;min-width:1px}"
".pr.g .pbar i{background:#b42318}.pr.s .pbar i{background:#15803d}"
".pr.g .pn{color:#b42318;font-weight:600}.pr.s .pn{color:#15803d;font-weight:600}"
".typ{display:flex;flex-direction:column;gap:3px;font-size:11px;color:#475467}"
".typ .strip{display:flex;gap:3px;align-items:center;flex-wrap:wrap}.typ img{image-rendering:pixelated;border-radius:3px;background:#111}"
".typ .tl{flex:1 1 100%;overflow-wrap:anywhere}"
".feat{display:flex;flex-direction:column;gap:5px;font-size:11.5px}"
".ft .fn{overflow-wrap:normal;word-break:normal;hyphens:none;color:#344054}"
".ft .fv{display:flex;justify-content:space-between;gap:4px}.ft .z{color:#475467;font-size:10.5px;white-space:nowrap;font-variant-numeric:tabular-nums}"
"svg.scale{display:block;width:100%;height:16px}"
".kpi .ci{color:#475467;font-size:12px;margin-top:2px}"
"section.next ol{margin:0;padding-left:20px}section.next li{margin:6px 0}"
"code.cmd{display:block;background:#1f2a3c;color:#f3f5f8;border-radius:6px;padding:6px 9px;margin:4px 0;"
"font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;white-space:pre-wrap;"
"overflow-wrap:anywhere;user-select:all;-webkit-user-select:all}"
".note{background:#eef4ff;border:1px solid #c7d7fe;border-radius:8px;padding:8px 12px;margin:10px 0}"
".note a,p a,li a{text-decoration:underline}"
"a:focus-visible,summary:focus-visible,code.cmd:focus-visible{outline:3px solid #f79009;outline-offset:2px}"
"pre.opts{background:#f8f9fb;border:1px solid #eef0f4;border-radius:6px;padding:8px;white-space:pre-wrap;overflow-wrap:anywhere;max-height:260px;overflow:auto}";

static void page_begin(report *r, FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "img-src 'self' file: data:; style-src 'unsafe-inline'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    rp_esc(f, title);
    fprintf(f, "</title>\n<style>%s</style></head>\n<body>\n<header class=\"top\">"
               "<a href=\"index.html\">labelaudit report</a><span class=\"sub\">run %" PRId64
               " &#183; ", css, r->run.id);
    rp_esc(f, r->run.dataset_path);
    fputs(" &#183; ", f);
    rp_esc(f, r->run.created_at);
    fputs("</span></header>\n<main>\n", f);
}

static int page_end(report *r, FILE *f, const char *path)
{
    fputs("</main>\n<footer>labelaudit ", f);
    rp_esc(f, r->run.version);
    fputs(" &#183; static report, no scripts, opens from disk</footer>\n</body></html>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) return io_fail(r, path);
    r->res->pages++;
    return 0;
}

static FILE *page_open(report *r, const char *name, char *path, size_t size)
{
    if (la_path_join(path, size, r->dir, name)) {
        la_error_set(r->err, LA_EUSAGE, r->dir, 0, "path too long");
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f) io_fail(r, path);
    return f;
}

static const char *class_name(const report *r, int64_t c)
{
    if (c >= 0 && c < r->run.k) return r->run.class_names[c];
    return "?";
}

/* ---- contact sheets --------------------------------------------------- */

static void sheet_name(char *out, size_t size, int64_t cls, int64_t page)
{
    if (cls < 0) snprintf(out, size, "issues-%" PRId64 ".html", page);
    else snprintf(out, size, "class-%" PRId64 "-%" PRId64 ".html", cls, page);
}

static void pager(FILE *f, int64_t cls, int64_t page, int64_t pages)
{
    if (pages <= 1) return;
    char name[64];
    fputs("<nav class=\"pages\">", f);
    if (page > 1) {
        sheet_name(name, sizeof name, cls, page - 1);
        fprintf(f, "<a href=\"%s\" rel=\"prev\">&#171; prev</a>", name);
    }
    int gap = 0;
    for (int64_t p = 1; p <= pages; p++) {
        if (p != 1 && p != pages && llabs((long long)(p - page)) > 3) {
            if (!gap) fputs("<span class=\"gap\">&#8230;</span>", f);
            gap = 1;
            continue;
        }
        gap = 0;
        sheet_name(name, sizeof name, cls, p);
        if (p == page) fprintf(f, "<span class=\"cur\">%" PRId64 "</span>", p);
        else fprintf(f, "<a href=\"%s\">%" PRId64 "</a>", name, p);
    }
    if (page < pages) {
        sheet_name(name, sizeof name, cls, page + 1);
        fprintf(f, "<a href=\"%s\" rel=\"next\">next &#187;</a>", name);
    }
    fputs("</nav>\n", f);
}

/* Writes the thumbnail of it's row from its image file, or from the pixels
 * the record stage stored (image datasets without files), once. */
static int make_thumb(report *r, const db_item *it, const char *path, int *w, int *h, la_error *e)
{
    if (it->image_path) return rp_thumbnail(it->image_path, path, r->opt->thumb_box, w, h, e);
    uint8_t *px = NULL;
    size_t len = 0;
    const db_digest_info *d = &r->digest;
    int rc = db_load_pixels(r->db, r->run.id, it->row, &px, &len, e);
    if (!rc && len != (size_t)d->image_w * d->image_h * d->channels) rc = -1;   /* none stored */
    if (!rc) rc = rp_thumbnail_bytes(px, d->image_w, d->image_h, d->channels, path,
                                     r->opt->thumb_box, w, h, e);
    free(px);
    return rc;
}

/* Makes the thumbnail of it's row once; returns its state. A row without
 * stored pixels is state 3 (no thumbnail, not a failure). */
static const thumb *ensure_thumb(report *r, const db_item *it)
{
    static const thumb none = {2, 0, 0};
    if (it->row < 0 || it->row >= r->run.n || !r->thumbs) return &none;
    thumb *t = &r->thumbs[it->row];
    if (t->state) return t;
    char rel[64], path[PATH_MAX];
    snprintf(rel, sizeof rel, "assets/thumbs/%" PRId64 ".png", it->row);
    la_path_join(path, sizeof path, r->dir, rel);
    int w = 0, h = 0;
    la_error e = {0};
    int rc = make_thumb(r, it, path, &w, &h, &e);
    if (rc == -1) {
        t->state = 3;
        return t;
    }
    if (rc) {
        t->state = 2;
        if (!r->res->thumb_failures++)
            snprintf(r->res->first_failure, sizeof r->res->first_failure, "%s: %s", e.file, e.msg);
        return t;
    }
    t->state = 1;
    t->w = (uint16_t)w;
    t->h = (uint16_t)h;
    r->res->thumbs++;
    return t;
}

/* A card has neither an image file nor stored values: the summary page says
 * why (the record stage's note, or an old run that stored no digest). */
static void note_missing(report *r)
{
    if (r->features_note[0]) return;
    if (r->digest.note)
        snprintf(r->features_note, sizeof r->features_note, "%s", r->digest.note);
    else if (!r->digest.present)
        snprintf(r->features_note, sizeof r->features_note,
                 "feature values and thumbnails unavailable: this run was recorded by an older "
                 "labelaudit, which did not store them in the database (run audit --db again "
                 "to have them)");
}

/* One feature of a tabular card: the name (wrapping only at separators),
 * the value with its z-scores against the given and the suggested class,
 * and the scale (rp_svg_feature_scale). Old summaries without the class sds
 * get the means only. */
static void card_feature(FILE *f, const json_t *o)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    double v = json_number_value(json_object_get(o, "value"));
    double mg = json_number_value(json_object_get(o, "given_mean"));
    double ms = json_number_value(json_object_get(o, "suggested_mean"));
    const json_t *jg = json_object_get(o, "given_sd"), *js = json_object_get(o, "suggested_sd");
    fputs("<div class=\"ft\"><div class=\"fn\" title=\"", f);
    rp_esc(f, name);
    fputs("\">", f);
    rp_esc_wrap(f, name, 22);
    fprintf(f, "</div><div class=\"fv\"><b>%.4g</b>", v);
    if (json_is_number(jg) && json_is_number(js)) {
        double sg = json_number_value(jg), ss = json_number_value(js);
        /* z = (x - mu_c) / sd_c against each class */
        double zg = sg > 0 ? (v - mg) / sg : 0, zs = ss > 0 ? (v - ms) / ss : 0;
        fprintf(f, "<span class=\"z\" title=\"z-score: (value - class mean) / class sd\">"
                   "z %+.1f given &#183; %+.1f sugg.</span></div>", zg, zs);
        rp_svg_feature_scale(f, name, v, mg, sg, ms, ss);
    } else {
        fprintf(f, "<span class=\"z\">given mean %.4g &#183; sugg. %.4g</span></div>", mg, ms);
    }
    fputs("</div>", f);
}

static void card_features(report *r, FILE *f, const db_item *it)
{
    json_t *arr = it->features ? json_loads(it->features, 0, NULL) : NULL;
    if (!json_is_array(arr) || json_array_size(arr) == 0) {
        fputs("<div class=\"noimg\">no image or feature values</div>", f);
        json_decref(arr);
        return;
    }
    fputs("<div class=\"feat\" role=\"group\" aria-label=\"most telling features\">", f);
    size_t i;
    json_t *o;
    json_array_foreach(arr, i, o) card_feature(f, o);
    fputs("</div>", f);
    json_decref(arr);
}

/* <img> of a written thumbnail, its alt text naming id and labels. */
static void card_img(report *r, FILE *f, const db_item *it, const thumb *t)
{
    fprintf(f, "<img src=\"assets/thumbs/%" PRId64 ".png\" width=\"%d\" height=\"%d\" alt=\"",
            it->row, t->w, t->h);
    rp_esc(f, it->dataset_id);
    fputs(", given ", f);
    rp_esc(f, class_name(r, it->given));
    fputs(", suggested ", f);
    rp_esc(f, class_name(r, it->suggested));
    fputs("\">", f);
}

/* The card's picture: the image file's thumbnail (linked to the original),
 * the stored pixels' thumbnail, or the feature table. */
static void card_media(report *r, FILE *f, const db_item *it)
{
    if (it->image_path) {
        const thumb *t = ensure_thumb(r, it);
        char absolute[PATH_MAX];
        int link = realpath(it->image_path, absolute) != NULL;
        fputs("<div class=\"thumb\">", f);
        if (link) {
            fputs("<a href=\"file://", f);
            rp_url(f, absolute);
            fputs("\" title=\"open the original image\">", f);
        }
        if (t->state == 1) card_img(r, f, it, t);
        else fputs("<span class=\"noimg\">image unavailable</span>", f);
        if (link) fputs("</a>", f);
        fputs("</div>", f);
        return;
    }
    if (r->digest.channels > 0) {       /* an image dataset without files */
        const thumb *t = ensure_thumb(r, it);
        fputs("<div class=\"thumb\">", f);
        if (t->state == 1) card_img(r, f, it, t);
        else fputs("<span class=\"noimg\">image unavailable</span>", f);
        fputs("</div>", f);
        return;
    }
    if (!it->features) note_missing(r);
    card_features(r, f, it);
}

/* p as a short percentage: "94%", "3.4%", "0.3%", "<0.1%", "0%". */
static void fmt_pct(char *out, size_t size, double p)
{
    double v = 100 * p;
    if (!(v > 0)) snprintf(out, size, "0%%");
    else if (v >= 9.95) snprintf(out, size, "%.0f%%", v);
    else if (v >= 0.05) snprintf(out, size, "%.1f%%", v);
    else snprintf(out, size, "<0.1%%");
}

/* One bar of the card's probability list: class name, bar, value; role
 * g (given), s (suggested) or "" marks it. */
static void prob_row(report *r, FILE *f, int64_t c, double p, const char *role, const char *what)
{
    char pct[32];
    fmt_pct(pct, sizeof pct, p);
    double w = fmin(fmax(p, 0), 1) * 100;
    fprintf(f, "<div class=\"pr %s\" role=\"listitem\" data-class=\"", role);
    rp_esc(f, class_name(r, c));
    fprintf(f, "\" data-p=\"%.6g\" title=\"p(", p);
    rp_esc(f, class_name(r, c));
    fprintf(f, ") = %.4g%s\"><span class=\"pn\">", p, what);
    rp_esc(f, class_name(r, c));
    fprintf(f, "</span><span class=\"pbar\" aria-hidden=\"true\"><i style=\"width:%.1f%%\"></i></span>"
               "<span class=\"pv\">", w);
    rp_esc(f, pct);
    fputs("</span></div>", f);
}

/* The reason in plain words and the bars: the top 3 classes and the given
 * label (when it is not among them). pr->n_top == 0: nothing stored. */
static void card_probs(report *r, FILE *f, const db_item *it, const db_example_probs *pr)
{
    if (!pr || pr->n_top == 0) return;
    char pg[32], ps[32];
    fmt_pct(pg, sizeof pg, pr->p_given);
    int64_t other = pr->top[0] != it->given ? pr->top[0] : (pr->n_top > 1 ? pr->top[1] : -1);
    double po = pr->top[0] != it->given ? pr->p_top[0] : (pr->n_top > 1 ? pr->p_top[1] : 0);
    fmt_pct(ps, sizeof ps, po);
    fputs("<p class=\"why\">The model gives the given label ", f);
    rp_esc(f, pg);
    if (other >= 0) {
        fputs(pr->top[0] != it->given ? ", " : "; runner-up ", f);
        rp_esc_wrap(f, class_name(r, other), 40);
        fputs(" ", f);
        rp_esc(f, ps);
    }
    fputs(".</p><div class=\"probs\" role=\"list\" aria-label=\"model probabilities\">", f);
    int given_shown = 0;
    for (int j = 0; j < pr->n_top; j++) {
        int g = pr->top[j] == it->given, sg = pr->top[j] == it->suggested;
        given_shown |= g;
        prob_row(r, f, pr->top[j], pr->p_top[j], g ? "g" : sg ? "s" : "",
                 g ? " (given label)" : sg ? " (suggested)" : "");
    }
    if (!given_shown) prob_row(r, f, it->given, pr->p_given, "g", " (given label)");
    fputs("</div>", f);
}

/* The caption: rank, status, id, labels, the model's probabilities, the
 * score (in a tooltip) and the decision made. */
static void card_caption(report *r, FILE *f, const db_item *it, const char *st, const db_example_probs *pr)
{
    fprintf(f, "<figcaption class=\"cap\"><div class=\"top\"><span class=\"rank\" title=\"rank %" PRId64
               " of %" PRId64 " by label quality (", it->rank, r->run.num_flagged);
    rp_esc(f, r->run.rank_by);
    fprintf(f, ", lowest first); score %.3g\">#%" PRId64 " of %" PRId64 "</span><span class=\"badge s-",
            it->quality, it->rank, r->run.num_flagged);
    rp_esc(f, st);
    fputs("\">", f);
    rp_esc(f, st);
    fputs("</span></div><div class=\"id\" title=\"id\">", f);
    rp_esc(f, it->dataset_id);
    fputs("</div><div>given <span class=\"given\">", f);
    rp_esc_wrap(f, class_name(r, it->given), 40);
    fputs("</span></div><div>suggested <span class=\"sugg\">", f);
    rp_esc_wrap(f, class_name(r, it->suggested), 40);
    fputs("</span></div>", f);
    card_probs(r, f, it, pr);
    fprintf(f, "<div class=\"muted\" title=\"label quality score (");
    rp_esc(f, r->run.rank_by);
    fprintf(f, "): %.3g; lower = more likely mislabelled\">row %" PRId64 "%s</div>",
            it->quality, it->row, pr && pr->n_top ? "" : " &#183; no probabilities stored");
    if (strcmp(st, "pending") != 0) {
        fputs("<div class=\"muted\">", f);
        rp_esc(f, st);
        if (!strcmp(st, "relabel")) {
            fputs(" &#8594; ", f);
            rp_esc(f, class_name(r, it->new_label));
        }
        if (it->reviewer) {
            fputs(" by ", f);
            rp_esc(f, it->reviewer);
        }
        if (it->carried_from) fputs(" (carried over)", f);
        fputs("</div>", f);
        if (it->note && *it->note) {
            fputs("<div class=\"muted\">&#8220;", f);
            rp_esc(f, it->note);
            fputs("&#8221;</div>", f);
        }
    }
    if (it->disagrees)
        fputs("<div><span class=\"badge warn\">earlier decision disagrees with this run</span></div>", f);
    fputs("</figcaption>", f);
}

/* The typical examples of class c (thumbnails), or nothing when none is
 * stored or none could be drawn. */
static void typical_strip(report *r, FILE *f, int64_t c, const char *which)
{
    size_t at = 0;
    while (at < r->n_typical && r->typical[at].class_index < c) at++;
    if (at == r->n_typical || r->typical[at].class_index != c) return;
    size_t end = at, drawn = 0;
    for (; end < r->n_typical && r->typical[end].class_index == c; end++) {
        const db_typical *t = &r->typical[end];
        db_item ti = {.row = t->row, .dataset_id = t->dataset_id, .image_path = t->image_path};
        drawn += ensure_thumb(r, &ti)->state == 1;
    }
    if (!drawn) return;
    fprintf(f, "<div class=\"strip\"><span class=\"tl\">typical %s: ", which);
    rp_esc(f, class_name(r, c));
    fputs("</span>", f);
    for (; at < end; at++) {
        const db_typical *t = &r->typical[at];
        if (!r->thumbs || t->row < 0 || t->row >= r->run.n || r->thumbs[t->row].state != 1) continue;
        char pct[32];
        fmt_pct(pct, sizeof pct, t->prob);
        fprintf(f, "<img src=\"assets/thumbs/%" PRId64 ".png\" width=\"40\" height=\"40\" loading=\"lazy\" alt=\"typical ",
                t->row);
        rp_esc(f, class_name(r, c));
        fputs(" (", f);
        rp_esc(f, t->dataset_id);
        fputs(")\" title=\"", f);
        rp_esc(f, t->dataset_id);
        fputs(": labelled ", f);
        rp_esc(f, class_name(r, c));
        fprintf(f, ", model %s sure\">", pct);
    }
    fputs("</div>", f);
}

/* Image cards: typical examples of the suggested and the given class, for
 * comparison. */
static void card_typical(report *r, FILE *f, const db_item *it)
{
    if (!r->n_typical || (!it->image_path && r->digest.channels <= 0)) return;
    fputs("<div class=\"typ\">", f);
    if (it->suggested != it->given) typical_strip(r, f, it->suggested, "suggested");
    typical_strip(r, f, it->given, "given");
    fputs("</div>", f);
}

static void card(report *r, FILE *f, const db_item *it, const db_example_probs *pr)
{
    const char *st = it->status ? it->status : "pending";
    fprintf(f, "<figure class=\"card s-");
    rp_esc(f, st);
    fprintf(f, "%s\" id=\"q%" PRId64 "\">", it->disagrees ? " disagree" : "", it->queue_id);
    card_media(r, f, it);
    card_caption(r, f, it, st, pr);
    card_typical(r, f, it);
    fputs("</figure>\n", f);
}

/* Writes s as one shell word: as is when it holds only safe characters,
 * else single-quoted ('\'' for a quote); HTML-escaped either way. */
static void sh_word(FILE *f, const char *s)
{
    int safe = *s != 0;
    for (const char *p = s; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("_./:=@%+,-", *p) != NULL;
    if (safe) {
        rp_esc(f, s);
        return;
    }
    fputs("&#39;", f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'') fputs("&#39;\\&#39;&#39;", f);
        else {
            char c[2] = {*p, 0};
            rp_esc(f, c);
        }
    }
    fputs("&#39;", f);
}

static const char *db_shown(const report *r)
{
    return r->opt->db_path && *r->opt->db_path ? r->opt->db_path : "labelaudit.db";
}

/* "labelaudit CMD --db DB --run N" (escaped, in a <code> the reader can
 * select with one click), the rest of the line from tail (already HTML). */
static void command(report *r, FILE *f, const char *cmd, const char *tail)
{
    fprintf(f, "<code class=\"cmd\" tabindex=\"0\">labelaudit %s --db ", cmd);
    sh_word(f, db_shown(r));
    fprintf(f, " --run %" PRId64 "%s</code>", r->run.id, tail ? tail : "");
}

/* The note atop each contact sheet: this page is read-only; decide in serve. */
static void sheet_note(report *r, FILE *f)
{
    fputs("<div class=\"note\" id=\"decide\">This page is a read-only snapshot. Decide (keep, relabel, "
          "drop, skip) in the review server, which opens these cards with keyboard shortcuts:", f);
    command(r, f, "serve", NULL);
    fputs("or in the terminal with <code>labelaudit review</code>. "
          "<a href=\"index.html#next\">Next steps</a></div>\n", f);
}

/* Writes every page of the sheet for one class (cls >= 0) or all (cls < 0). */
static int write_sheet(report *r, int64_t cls)
{
    int64_t total = 0;
    if (db_count_flagged(r->db, r->run.id, cls, &total, r->err)) return r->err->status;
    int64_t per = r->opt->per_page;
    int64_t pages = total ? (total + per - 1) / per : 1;
    int64_t after = 0;
    for (int64_t p = 1; p <= pages; p++) {
        db_items items;
        if (db_load_flagged(r->db, r->run.id, cls, after, per, &items, r->err)) return r->err->status;
        char name[64], path[PATH_MAX], title[256];
        sheet_name(name, sizeof name, cls, p);
        FILE *f = page_open(r, name, path, sizeof path);
        if (!f) {
            db_items_free(&items);
            return r->err->status;
        }
        snprintf(title, sizeof title, "page %" PRId64 " of %" PRId64, p, pages);
        page_begin(r, f, cls < 0 ? "All flagged examples" : class_name(r, cls));
        fputs("<p><a href=\"index.html\">&#8592; back to the summary</a></p>\n<h1>", f);
        if (cls < 0) {
            fputs("All flagged examples", f);
        } else {
            fputs("Given label: ", f);
            rp_esc(f, class_name(r, cls));
        }
        fprintf(f, "</h1>\n<p class=\"muted\">%" PRId64 " flagged, in rank order (lowest label "
                   "quality first); %s. Cards show the given label in red and the model's "
                   "suggestion in green, with the model's probabilities; the top border is the "
                   "review status.%s</p>\n", total, title,
                r->run.has_images || r->digest.channels > 0 ? " Beside each: typical examples of the "
                "suggested and the given class (the most confident correctly-labelled ones)."
                : " Features: the example's value (&#9660;) against the given class (red band, mean "
                  "&#177; 1 sd) and the suggested class (green band); z = (value &#8722; class mean) / class sd.");
        sheet_note(r, f);
        pager(f, cls, p, pages);
        db_example_probs *pr = la_calloc(items.n ? items.n : 1, sizeof *pr);
        if (pr && db_load_example_probs(r->db, r->run.id, &items, pr, r->err)) {
            free(pr);
            fclose(f);
            db_items_free(&items);
            return r->err->status;
        }
        fputs("<div class=\"grid\">\n", f);
        for (size_t i = 0; i < items.n; i++) {
            card(r, f, &items.v[i], pr ? &pr[i] : NULL);
            after = items.v[i].rank;
        }
        free(pr);
        if (cls < 0) r->res->cards += items.n;
        fputs("</div>\n", f);
        if (total == 0) fputs("<p>No flagged examples.</p>\n", f);
        pager(f, cls, p, pages);
        fputs("<p><a href=\"index.html\">&#8592; back to the summary</a></p>\n", f);
        db_items_free(&items);
        if (page_end(r, f, path)) return r->err->status;
    }
    return 0;
}

/* ---- summary page ----------------------------------------------------- */

static void kpi(FILE *f, const char *cls, const char *label, const char *value)
{
    fprintf(f, "<div class=\"kpi %s\"><div class=\"v\">%s</div><div class=\"l\">%s</div></div>\n",
            cls, value, label);
}

/* A key figure with its interval under it (ci: already formatted). */
static void kpi_ci(FILE *f, const char *cls, const char *label, const char *value, const char *ci,
                   const char *title)
{
    fprintf(f, "<div class=\"kpi %s\" title=\"%s\"><div class=\"v\">%s</div><div class=\"ci\">%s</div>"
               "<div class=\"l\">%s</div></div>\n", cls, title, value, ci, label);
}

/* summary.json's interval pair arr ([lo, hi], nulls when undefined):
 * 1 with *lo, *hi, or 0. */
static int ci_pair(const json_t *arr, double *lo, double *hi)
{
    const json_t *a = json_array_get(arr, 0), *b = json_array_get(arr, 1);
    if (!json_is_number(a) || !json_is_number(b)) return 0;
    *lo = json_number_value(a);
    *hi = json_number_value(b);
    return 1;
}

/* The interval level of the run's bootstrap intervals, in percent (95). */
static double ci_level(const report *r)
{
    const json_t *c = json_object_get(r->summary, "confidence");
    return json_is_number(c) ? 100 * json_number_value(c) : 95;
}

/* Per-class precision-recall curves stored when the run was recorded (when
 * metrics.json carries no curve points): labels as given, the same truth cv's
 * metrics use. Fills s[c] for every class and returns 1, or returns 0 having
 * changed nothing (no curves stored: an older run, or probabilities over the
 * record stage's size cap). */
static int curves_from_db(report *r, rp_series *s, size_t k, double **owned)
{
    if (!r->digest.has_pr || (int64_t)k != r->run.k) return 0;
    la_error e = {0};
    size_t *np = la_calloc(k, sizeof *np);
    int ok = np != NULL;
    for (size_t c = 0; ok && c < k; c++)
        ok = db_load_pr_curve(r->db, r->run.id, (int64_t)c, &owned[2 * c], &owned[2 * c + 1],
                              &np[c], &e) == 0 && np[c] > 0;
    for (size_t c = 0; ok && c < k; c++) {
        s[c].recall = owned[2 * c];
        s[c].precision = owned[2 * c + 1];
        s[c].npoints = np[c];
    }
    free(np);
    return ok;
}

/* The per-class series of the cv metrics' per_class array pc (n entries):
 * the stored pr_curve points when there are any (owned[2i], owned[2i + 1]),
 * else the class's single operating point (buf[2i], buf[2i + 1]). Returns
 * the number of classes with a curve. */
static int pr_series(report *r, const json_t *pc, size_t n, rp_series *s, double *buf, double **owned)
{
    int curves = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(pc, i);
        s[i].name = json_string_value(json_object_get(c, "class"));
        if (!s[i].name) s[i].name = class_name(r, (int64_t)i);
        const json_t *cur = json_object_get(c, "pr_curve");
        const json_t *rec = json_object_get(cur, "recall"), *pre = json_object_get(cur, "precision");
        size_t np = json_array_size(rec);
        if (np >= 2 && np == json_array_size(pre)) {
            owned[2 * i] = la_calloc(np, sizeof(double));
            owned[2 * i + 1] = la_calloc(np, sizeof(double));
            if (owned[2 * i] && owned[2 * i + 1]) {
                for (size_t p = 0; p < np; p++) {
                    owned[2 * i][p] = json_number_value(json_array_get(rec, p));
                    owned[2 * i + 1][p] = json_number_value(json_array_get(pre, p));
                }
                s[i].recall = owned[2 * i];
                s[i].precision = owned[2 * i + 1];
                s[i].npoints = np;
                curves++;
                continue;
            }
        }
        buf[2 * i] = json_number_value(json_object_get(c, "recall"));
        buf[2 * i + 1] = json_number_value(json_object_get(c, "precision"));
        s[i].recall = &buf[2 * i];
        s[i].precision = &buf[2 * i + 1];
        s[i].npoints = 1;
    }
    return curves;
}

/* The cross-validation panel: the chart of s and the per-class table of pc. */
static void pr_write(FILE *f, const json_t *m, const json_t *pc, const rp_series *s, size_t n,
                     int curves, int old_run)
{
    fputs("<section class=\"panel\" id=\"cv\"><h2>Cross-validation: precision and recall per class</h2>\n", f);
    fprintf(f, "<p class=\"muted\">%s%s Out-of-fold accuracy %.4f, balanced accuracy %.4f, macro F1 %.4f.</p>\n",
            curves ? "Precision-recall curve of each class (one-vs-rest on the out-of-fold probabilities; "
                     "labels as given)."
                   : "Each class's operating point (argmax prediction); the metrics carry no curve points.",
            !curves && old_run ? " This run was recorded by an older labelaudit, which stored no curve "
                                 "points in the database." : "",
            json_number_value(json_object_get(m, "accuracy")),
            json_number_value(json_object_get(m, "balanced_accuracy")),
            json_number_value(json_object_get(m, "macro_f1")));
    fputs("<div class=\"row\"><div>", f);
    rp_svg_pr(f, s, n);
    fputs("</div><div>", f);
    rp_class_metrics_table(f, pc, s);
    fputs("</div></div></section>\n", f);
}

/* The operating point retrain used (retrain --threshold FILE, chosen with
 * `metrics --precision-at-least|--recall-at-least` on out-of-fold
 * probabilities) as a mark on its class's curve in s (n series): its
 * precision and recall where it was chosen, and on the test set. tip (cap
 * bytes) holds the mark's text. Nothing when retrain used no threshold or the
 * file gave no point. */
static void pr_operating_point(report *r, rp_series *s, size_t n, char *tip, size_t cap)
{
    char *text = NULL;
    la_error e = {0};
    if (db_load_metrics(r->db, r->run.id, "retrain", &text, &e) || !text) { free(text); return; }
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    const json_t *t = json_object_get(m, "threshold");
    const char *cls = json_string_value(json_object_get(t, "class"));
    const json_t *cp = json_object_get(t, "chosen_precision"), *cr = json_object_get(t, "chosen_recall");
    for (size_t i = 0; cls && json_is_number(cp) && json_is_number(cr) && i < n; i++) {
        if (!s[i].name || strcmp(s[i].name, cls)) continue;
        const json_t *pc = json_array_get(json_object_get(m, "per_class"), i);
        snprintf(tip, cap, "operating point of %s: predict it when its probability >= %.6g; chosen at precision "
                           "%.3f, recall %.3f on the out-of-fold probabilities; on the test set precision %.3f, "
                           "recall %.3f",
                 cls, json_number_value(json_object_get(t, "value")), json_number_value(cp), json_number_value(cr),
                 json_number_value(json_object_get(pc, "precision")), json_number_value(json_object_get(pc, "recall")));
        s[i].mark = tip;
        s[i].mark_recall = json_number_value(cr);
        s[i].mark_precision = json_number_value(cp);
    }
    json_decref(m);
}

static void pr_section(report *r, FILE *f)
{
    char *text = NULL;
    la_error e = {0};
    if (db_load_metrics(r->db, r->run.id, "cv", &text, &e) || !text) {
        free(text);
        return;
    }
    json_t *m = json_loads(text, 0, NULL);
    free(text);
    json_t *pc = json_object_get(m, "per_class");
    size_t n = json_array_size(pc);
    rp_series *s = n ? la_calloc(n, sizeof *s) : NULL;
    double *buf = n ? la_calloc(2 * n, sizeof *buf) : NULL;   /* single-point series */
    double **owned = n ? la_calloc(2 * n, sizeof *owned) : NULL;
    if (json_is_array(pc) && s && buf && owned) {
        int curves = pr_series(r, pc, n, s, buf, owned);
        if (!curves && curves_from_db(r, s, n, owned)) curves = (int)n;
        char tip[1024];
        pr_operating_point(r, s, n, tip, sizeof tip);
        pr_write(f, m, pc, s, n, curves, !r->digest.present);
    }
    rp_rebalance_section(f, m);
    if (owned)
        for (size_t i = 0; i < 2 * n; i++) free(owned[i]);
    free(owned);
    free(buf);
    free(s);
    json_decref(m);
}

/* The title, the run line and the key figures. */
static void index_head(report *r, FILE *f, int64_t largest, int64_t smallest)
{
    const db_run *run = &r->run;
    size_t k = (size_t)run->k;
    /* title: the last two path components ("fashion-mnist-png/manifest.csv") */
    const char *base = run->dataset_path ? run->dataset_path : "";
    const char *end = base + strlen(base), *p = end;
    for (int slashes = 0; p > base; p--)
        if (p[-1] == '/' && p != end && ++slashes == 2) break;
    base = p;
    fputs("<h1>Label audit: ", f);
    rp_esc(f, base);
    fputs("</h1>\n<p class=\"muted\">", f);
    rp_esc(f, run->dataset_path);
    fprintf(f, " &#183; run %" PRId64 " &#183; ", run->id);
    rp_esc(f, run->created_at);
    fputs(" &#183; issues found by <b>", f);
    rp_esc(f, run->method);
    fputs("</b>, ranked by <b>", f);
    rp_esc(f, run->rank_by);
    fputs("</b></p>\n<div class=\"kpis\">\n", f);

    char v[96];
    snprintf(v, sizeof v, "%" PRId64, run->n);
    kpi(f, "", "examples", v);
    snprintf(v, sizeof v, "%" PRId64, run->k);
    kpi(f, "", "classes", v);
    snprintf(v, sizeof v, "%" PRId64, run->num_flagged);
    kpi(f, run->num_flagged ? "warn" : "good", "flagged for review", v);
    double lo, hi;
    const char *erc = run->error_rate > 0.05 ? "warn" : "good";
    if (ci_pair(json_object_get(r->summary, "error_rate_ci"), &lo, &hi)) {
        char ci[128], title[160];
        double lv = ci_level(r);
        snprintf(v, sizeof v, "%.2f%%", 100.0 * run->error_rate);
        snprintf(ci, sizeof ci, "%g%% interval %.2f%%..%.2f%%", lv, 100 * lo, 100 * hi);
        snprintf(title, sizeof title, "bootstrap %g%% interval of the estimated label-error rate", lv);
        kpi_ci(f, erc, "est. label-error rate", v, ci, title);
        snprintf(v, sizeof v, "%.0f", run->error_rate * (double)run->n);
        snprintf(ci, sizeof ci, "%g%% interval %.0f..%.0f", lv, lo * (double)run->n, hi * (double)run->n);
        kpi_ci(f, "", "est. label errors", v, ci, title);
    } else {
        snprintf(v, sizeof v, "%.2f%%", 100.0 * run->error_rate);
        kpi(f, erc, "est. label-error rate", v);
        snprintf(v, sizeof v, "%.0f", run->error_rate * (double)run->n);
        kpi(f, "", "est. label errors", v);
    }
    snprintf(v, sizeof v, "%.3f", run->health);
    if (ci_pair(json_object_get(r->summary, "error_rate_ci"), &lo, &hi) &&
        fabs(run->health - (1 - run->error_rate)) < 1e-9) {
        /* health = 1 - error rate, so its interval is the error rate's, mirrored */
        char ci[128];
        snprintf(ci, sizeof ci, "%g%% interval %.3f..%.3f", ci_level(r), 1 - hi, 1 - lo);
        kpi_ci(f, run->health < 0.9 ? "warn" : "good", "label health score", v, ci,
               "1 - estimated label-error rate, with the mirrored interval");
    } else {
        kpi(f, run->health < 0.9 ? "warn" : "good", "label health score", v);
    }
    if (smallest > 0 && k > 0) snprintf(v, sizeof v, "%.1f : 1", (double)largest / (double)smallest);
    else snprintf(v, sizeof v, "&#8734; (empty class)");
    kpi(f, smallest > 0 && largest <= 3 * smallest ? "" : "warn", "imbalance (largest:smallest)", v);
    snprintf(v, sizeof v, "%" PRId64 " / %" PRId64, r->overall.decided, r->overall.total);
    kpi(f, "", "reviewed", v);
    fputs("</div>\n", f);
    fputs("<p class=\"muted\">&#8220;Flagged&#8221; counts the examples selected for review; the "
          "estimated number of label errors comes from the confident joint. They differ by design.</p>\n", f);

}

/* Links to the contact sheets: all, and one per given class. */
static void index_sheets(report *r, FILE *f)
{
    const db_run *run = &r->run;
    size_t k = (size_t)run->k;
    /* contact sheets */
    fprintf(f, "<section class=\"panel\" id=\"sheets\"><h2>Contact sheets</h2>\n<div class=\"chips\">"
               "<a class=\"chip\" href=\"issues-1.html\">All flagged examples <b>%" PRId64 "</b></a>",
            run->num_flagged);
    for (size_t c = 0; c < k; c++) {
        fprintf(f, "<a class=\"chip\" href=\"class-%zu-1.html\">", c);
        rp_esc(f, run->class_names[c]);
        fprintf(f, " <b>%" PRId64 "</b></a>", r->progress ? r->progress[c].total : run->num_issues[c]);
    }
    fputs("</div></section>\n", f);
    rp_issues_chips(r->db, r->run.id, f);      /* dataset checks: a page per issue type */
}

/* Class balance: the bar chart and the per-class table. */
static void index_classes(report *r, FILE *f, int64_t largest, int64_t smallest)
{
    const db_run *run = &r->run;
    size_t k = (size_t)run->k;
    /* classes */
    fputs("<section class=\"panel\" id=\"classes\"><h2>Classes</h2>\n", f);
    if (smallest > 0)
        fprintf(f, "<p class=\"muted\">Examples per given label, flagged ones in red. Imbalance ratio "
                   "(largest / smallest class): <b>%.2f</b>.</p>\n", (double)largest / (double)smallest);
    else
        fputs("<p class=\"muted\">Examples per given label, flagged ones in red. At least one class "
              "has no examples.</p>\n", f);
    int64_t *flagged = la_calloc(k ? k : 1, sizeof *flagged);
    for (size_t c = 0; flagged && c < k; c++)
        flagged[c] = r->progress ? r->progress[c].total : run->num_issues[c];
    rp_svg_bars(f, k, run->class_names, run->given_count, flagged, "examples", "flagged");
    free(flagged);
    const json_t *cci = json_object_get(r->summary, "class_error_rate_ci");
    fprintf(f, "<table class=\"cls\"><tr><th>class</th><th>given count</th><th>flagged</th>"
               "<th>est. issues</th><th>noise rate</th><th>%g%% interval</th><th>label quality</th>"
               "<th>reviewed</th></tr>\n", ci_level(r));
    for (size_t c = 0; c < k; c++) {
        double rate = run->class_error_rate[c], q = run->class_quality[c], lo, hi;
        int64_t fl = r->progress ? r->progress[c].total : run->num_issues[c];
        char ci[64] = "-";
        if (ci_pair(json_array_get(cci, c), &lo, &hi))
            snprintf(ci, sizeof ci, "%.2f%%..%.2f%%", 100 * lo, 100 * hi);
        fprintf(f, "<tr><td><a href=\"class-%zu-1.html\">", c);
        rp_esc(f, run->class_names[c]);
        fprintf(f, "</a></td><td>%" PRId64 "</td><td>%" PRId64 "</td><td>%.1f</td>"
                   "<td>%.2f%%<span class=\"bar\" style=\"width:%.0fpx\"></span></td><td class=\"ci\">%s</td>"
                   "<td>%.3f<span class=\"bar q\" style=\"width:%.0fpx\"></span></td>"
                   "<td>%" PRId64 " / %" PRId64 "</td></tr>\n",
                run->given_count[c], fl, rate * (double)run->given_count[c], 100 * rate,
                fmin(fmax(rate, 0) * 120, 60), ci, q, fmin(fmax(q, 0), 1) * 60,
                r->progress ? r->progress[c].decided : 0, fl);
    }
    fputs("</table>\n<p class=\"muted\">Est. issues = noise rate &#215; given count: how many "
          "examples of the class are estimated to carry a wrong label. Label quality is the "
          "class's mean label quality score (higher is better).</p></section>\n", f);

}

/* The noise matrix and the confident joint. */
static void index_matrices(report *r, FILE *f)
{
    const db_run *run = &r->run;
    size_t k = (size_t)run->k;
    /* matrices */
    fputs("<section class=\"panel\" id=\"noise\"><h2>Where the labels go wrong</h2>\n"
          "<div class=\"row\"><div><h3>Noise matrix P(given | true)</h3>\n", f);
    rp_svg_heatmap_support(f, k, run->class_names, run->noise_matrix, 2, "given", "true", 1,
                           run->confident_joint);
    fputs("<p class=\"muted\">Column = true class, row = given label; off-diagonal cells (red) are "
          "label noise. Hover a cell for the number of examples its rate rests on.</p></div><div><h3>Confident joint (calibrated counts)</h3>\n", f);
    rp_svg_heatmap(f, k, run->class_names, run->confident_joint, 0, "given", "true", 1);
    fputs("<p class=\"muted\">Examples confidently counted as each (given, true) pair; "
          "off-diagonal counts are the likely label errors.</p></div></div></section>\n", f);

}

/* The "next steps" panel: the exact commands that go on from this run. */
static void index_next(report *r, FILE *f)
{
    const db_run *run = &r->run;
    fputs("<section class=\"panel next\" id=\"next\"><h2>Next steps</h2>\n<p class=\"muted\">The "
          "commands for this run; click one to select it whole, then copy it into a terminal.</p>\n<ol>\n", f);
    fputs("<li><b>Review the flagged examples</b> in the browser: keep, relabel, drop or skip each, "
          "with keyboard shortcuts and undo (the address to open is printed):", f);
    command(r, f, "serve", NULL);
    fputs("or one at a time in the terminal:", f);
    command(r, f, "review", NULL);
    fputs("</li>\n<li><b>Export the decisions</b> (CSV, or <code>--format json</code>):", f);
    command(r, f, "decisions", " --out decisions.csv");
    fputs("</li>\n<li><b>Write the cleaned dataset</b> with the decisions applied (add <code>--auto drop</code> "
          "or <code>--auto relabel</code> for the flagged examples nobody reviewed):", f);
    const char *data = run->dataset_path ? run->dataset_path : "DATASET";
    fputs("<code class=\"cmd\" tabindex=\"0\">labelaudit clean --db ", f);
    sh_word(f, db_shown(r));
    fprintf(f, " --run %" PRId64 " --data ", run->id);
    sh_word(f, data);
    if (run->labels_path && run->dataset_path && strcmp(run->labels_path, run->dataset_path) != 0) {
        fputs(" --labels ", f);
        sh_word(f, run->labels_path);
    }
    fputs(" --out cleaned</code></li>\n<li><b>Retrain and measure</b> on the cleaned data against a held-out "
          "test set of yours (<code>TESTSET</code>); the metrics are attached to this run:", f);
    const char *slash = strrchr(data, '/');
    fputs("<code class=\"cmd\" tabindex=\"0\">labelaudit retrain --db ", f);
    sh_word(f, db_shown(r));
    fprintf(f, " --run %" PRId64 " --data ", run->id);
    char cleaned[PATH_MAX];
    snprintf(cleaned, sizeof cleaned, "cleaned/%s", slash ? slash + 1 : data);
    sh_word(f, cleaned);
    fputs(" --test TESTSET --out retrained</code></li>\n<li><b>Refresh this report</b> once decisions "
          "are made (the cards show them):", f);
    fputs("<code class=\"cmd\" tabindex=\"0\">labelaudit report --db ", f);
    sh_word(f, db_shown(r));
    fprintf(f, " --run %" PRId64 " --out ", run->id);
    sh_word(f, r->out ? r->out : "report");
    fputs("</code></li>\n</ol></section>\n", f);
}

/* One row of the run-details table: label, then value escaped. */
static void detail_row(FILE *f, const char *label, const char *value)
{
    fprintf(f, "<tr><td>%s</td><td class=\"mono\" style=\"text-align:left\">", label);
    rp_esc(f, value ? value : "-");
    fputs("</td></tr>\n", f);
}

/* What cv chose with --rebalance auto and the operating point retrain used
 * (--threshold), from the metrics attached to the run; nothing when absent. */
static void details_training(report *r, FILE *f)
{
    char *text = NULL, buf[1024];
    la_error e = {0};
    if (!db_load_metrics(r->db, r->run.id, "cv", &text, &e) && text) {
        json_t *m = json_loads(text, 0, NULL);
        const json_t *rb = json_object_get(m, "rebalance"), *chosen = json_object_get(rb, "chosen");
        if (json_is_object(chosen)) {
            size_t len = 0;
            const char *key;
            json_t *v;
            json_object_foreach((json_t *)chosen, key, v) {
                long long folds = json_integer_value(v);
                int w = snprintf(buf + len, sizeof buf - len, "%s%s in %lld fold%s", len ? ", " : "", key, folds,
                                 folds == 1 ? "" : "s");
                if (w < 0 || (size_t)w >= sizeof buf - len) break;
                len += (size_t)w;
            }
            const char *sel = json_string_value(json_object_get(rb, "select_by"));
            if (sel && len + 48 < sizeof buf) len += (size_t)snprintf(buf + len, sizeof buf - len, " (chosen by %s)", sel);
            /* and where the choice loses inner PR-AUC to plain */
            const json_t *lp = json_object_get(rb, "loses_pr_auc_folds");
            for (size_t i = 0; i < json_array_size(lp) && len + 48 < sizeof buf; i++)
                len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%lld", i ? ", " : "; loses inner PR-AUC on fold ",
                                        (long long)json_integer_value(json_array_get(lp, i)));
            detail_row(f, "class rebalancing (cv --rebalance auto)", buf);
        }
        const char *pc = json_string_value(json_object_get(m, "prior_correction"));
        if (pc) detail_row(f, "prior correction of the probabilities", pc);
        json_decref(m);
    }
    free(text);
    text = NULL;
    if (!db_load_metrics(r->db, r->run.id, "retrain", &text, &e) && text) {
        json_t *m = json_loads(text, 0, NULL);
        const json_t *t = json_object_get(m, "threshold");
        const char *cls = json_string_value(json_object_get(t, "class"));
        if (cls && json_is_number(json_object_get(t, "value"))) {
            const char *file = json_string_value(json_object_get(t, "file"));
            snprintf(buf, sizeof buf, "predict %s when its probability >= %.6g%s%s%s", cls,
                     json_number_value(json_object_get(t, "value")), file ? " (" : "", file ? file : "",
                     file ? ")" : "");
            detail_row(f, "operating point (retrain --threshold)", buf);
        }
        json_decref(m);
    }
    free(text);
}

/* Paths, versions, notes and the recorded options. */
static void index_details(report *r, FILE *f)
{
    const db_run *run = &r->run;
    /* run details */
    fputs("<section class=\"panel\" id=\"run\"><h2>Run details</h2>\n<table class=\"cls\">", f);
    const char *rows[][2] = {
        {"dataset", run->dataset_path}, {"content hash", run->dataset_hash},
        {"labels", run->labels_path}, {"predicted probabilities", run->pred_probs_path},
        {"labelaudit version", run->version}, {"recorded", run->created_at},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) detail_row(f, rows[i][0], rows[i][1]);
    details_training(r, f);
    fputs("</table>\n", f);
    if (r->features_note[0]) {
        fputs("<p class=\"muted\">", f);
        rp_esc(f, r->features_note);
        fputs("</p>\n", f);
    }
    if (r->res->thumb_failures) {
        fprintf(f, "<p class=\"muted\">%zu image(s) could not be read for thumbnails; first: ",
                r->res->thumb_failures);
        rp_esc(f, r->res->first_failure);
        fputs("</p>\n", f);
    }
    json_t *o = run->options_json ? json_loads(run->options_json, 0, NULL) : NULL;
    char *pretty = o ? la_json_text(o, LA_JSON_SORTED) : NULL;
    json_decref(o);
    fputs("<h3>Options</h3><pre class=\"opts mono\">", f);
    rp_esc(f, pretty ? pretty : run->options_json);
    fputs("</pre></section>\n", f);
    free(pretty);
}

static int write_index(report *r)
{
    char path[PATH_MAX];
    FILE *f = page_open(r, "index.html", path, sizeof path);
    if (!f) return r->err->status;
    const db_run *run = &r->run;
    page_begin(r, f, "labelaudit report");
    int64_t largest = 0, smallest = INT64_MAX;
    for (size_t c = 0; c < (size_t)run->k; c++) {
        if (run->given_count[c] > largest) largest = run->given_count[c];
        if (run->given_count[c] < smallest) smallest = run->given_count[c];
    }
    index_head(r, f, largest, smallest);
    index_next(r, f);
    index_sheets(r, f);
    index_classes(r, f, largest, smallest);
    index_matrices(r, f);
    pr_section(r, f);
    rp_retrain_section(r->db, r->run.id, f);   /* retrain --db: final model, learning curves */
    rp_reviewer_section(r->db, r->run.id, f);  /* consensus --db: the reviewer table */
    index_details(r, f);
    return page_end(r, f, path);
}

/* ---- directories ------------------------------------------------------ */

static int make_dirs(report *r)
{
    char p[PATH_MAX];
    if (mkdir(r->dir, 0755) != 0) return io_fail(r, r->dir);
    la_path_join(p, sizeof p, r->dir, "assets");
    if (mkdir(p, 0755) != 0) return io_fail(r, p);
    la_path_join(p, sizeof p, r->dir, "assets/thumbs");
    if (mkdir(p, 0755) != 0) return io_fail(r, p);
    return 0;
}

/* out_dir without trailing slashes into out; refuses a file or a directory
 * that is not an earlier report. */
static int check_out_dir(const char *out_dir, char *out, size_t size, la_error *err)
{
    size_t len = strlen(out_dir);
    while (len > 1 && out_dir[len - 1] == '/') len--;   /* "rep/" -> "rep" */
    if (len == 0 || len >= size - 32)
        return la_error_set(err, LA_EUSAGE, out_dir, 0, "bad output directory name");
    memcpy(out, out_dir, len);
    out[len] = 0;
    struct stat sb;
    if (stat(out, &sb) != 0) return 0;
    if (!S_ISDIR(sb.st_mode))
        return la_error_set(err, LA_EUSAGE, out, 0, "exists and is not a directory");
    if (!la_dir_replaceable(out, "index.html"))
        return la_error_set(err, LA_EUSAGE, out, 0, "exists and is not a labelaudit report "
                            "(no index.html); refusing to replace it");
    return 0;
}

/* Reads everything the pages need up front: the run, its review progress and
 * its digest. */
static int load_state(report *r, int64_t run_id)
{
    la_error *err = r->err;
    if (run_id <= 0 && db_latest_run(r->db, &run_id, err)) return err->status;
    if (db_load_run(r->db, run_id, &r->run, err)) return err->status;
    r->res->run_id = run_id;
    r->progress = la_calloc(r->run.k ? (size_t)r->run.k : 1, sizeof *r->progress);
    r->thumbs = la_calloc(r->run.n > 0 ? (size_t)r->run.n : 1, sizeof *r->thumbs);
    if (!r->progress || !r->thumbs) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (db_queue_progress(r->db, run_id, (size_t)r->run.k, r->progress, &r->overall, err))
        return err->status;
    if (db_load_typical(r->db, run_id, &r->typical, &r->n_typical, err)) return err->status;
    r->summary = r->run.summary_json ? json_loads(r->run.summary_json, 0, NULL) : NULL;
    return db_load_digest(r->db, run_id, &r->digest, err);
}

/* The pages of rp_issues.h, with this report's header and footer. */
static FILE *issues_open(void *ctx, const char *name, const char *title, char *path, size_t size)
{
    report *r = ctx;
    FILE *f = page_open(r, name, path, size);
    if (f) page_begin(r, f, title);
    return f;
}

static int issues_close(void *ctx, FILE *f, const char *path)
{
    return page_end(ctx, f, path);
}

static int write_issue_pages(report *r)
{
    rp_issues_pager pg = {.ctx = r, .open = issues_open, .close = issues_close, .dir = r->dir,
                          .thumb_box = r->opt->thumb_box};
    int status = rp_issues_pages(r->db, r->run.id, &pg, r->err);
    r->res->thumbs += pg.thumbs;
    r->res->thumb_failures += pg.thumb_failures;
    return status;
}

/* Writes every page into the temporary directory r->dir, the index last (it
 * reports thumbnail failures and the features note). */
static int write_pages(report *r)
{
    int status = make_dirs(r);
    if (!status) status = write_sheet(r, -1);
    for (int64_t c = 0; !status && c < r->run.k; c++) status = write_sheet(r, c);
    if (!status) status = write_issue_pages(r);
    if (status) return status;
    if (!r->run.has_images && r->run.num_flagged > 0) {
        /* the stored summaries were used when the cards had them */
        db_items one;
        if (db_load_flagged(r->db, r->run.id, -1, 0, 1, &one, r->err) == 0) {
            if (one.n && one.v[0].features) r->res->features_source = 1;
            db_items_free(&one);
        }
    }
    return write_index(r);
}

int rp_write_report(sqlite3 *db, const char *out_dir, const rp_options *opt_in, rp_result *res,
                    la_error *err)
{
    assert(db && out_dir && res);
    rp_options opt;
    if (opt_in) opt = *opt_in;
    else rp_options_init(&opt);
    if (opt.per_page <= 0) opt.per_page = RP_DEFAULT_PER_PAGE;
    if (opt.thumb_box <= 0) opt.thumb_box = RP_DEFAULT_THUMB_BOX;
    memset(res, 0, sizeof *res);
    char out[PATH_MAX];
    if (check_out_dir(out_dir, out, sizeof out, err)) return err->status;

    report r;
    memset(&r, 0, sizeof r);
    r.db = db;
    r.opt = &opt;
    r.res = res;
    r.err = err;
    r.out = out;
    if (db_snapshot_begin(db, err)) return err->status;
    int status = load_state(&r, opt.run_id);
    /* the parent must exist; the temporary directory is its sibling */
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s", out);
    char *slash = strrchr(parent, '/');
    if (!status && slash && slash != parent) {
        *slash = 0;
        status = la_mkdir_p(parent, err);
    }
    if (!status) {
        snprintf(r.dir, sizeof r.dir, "%s.tmp.%ld", out, (long)getpid());
        la_dir_remove_tree(r.dir);   /* a leftover from a crashed run with our pid */
        status = write_pages(&r);
        /* move the finished temporary directory to out, replacing an old report */
        if (!status && la_dir_swap_in(r.dir, out)) status = io_fail(&r, out);
        if (status) la_dir_remove_tree(r.dir);
    }
    db_snapshot_end(db);
    db_digest_info_free(&r.digest);
    db_typical_free(r.typical, r.n_typical);
    json_decref(r.summary);
    free(r.progress);
    free(r.thumbs);
    db_run_free(&r.run);
    return status;
}
