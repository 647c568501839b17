/*
 * test_report.c — the HTML report: escaping and URL-encoding, crisp
 * nearest-neighbour thumbnails and refusal of hostile images, a report of an
 * image dataset with hostile class names (escaped, paginated, thumbnails,
 * URL-encoded links), a tabular report with feature summaries, and the
 * all-or-nothing output directory. Reads ../shared/data (LA_SHARED).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stb_image.h>

#include "db/db.h"
#include "report/report.h"
#include "report/rp_digest.h"
#include "report/rp_features.h"
#include "metrics/metrics.h"
#include "io/npy.h"
#include "report/rp_html.h"

static char shared[512];
static char tmpdir[256];

static const char *data_path(char *buf, size_t size, const char *rel)
{
    snprintf(buf, size, "%s/data/%s", shared, rel);
    return buf;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (s) s[n] = 0;
    fclose(f);
    return s;
}

static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- escaping --------------------------------------------------------- */

static char *to_string(void (*fn)(FILE *, const char *), const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, s);
    fclose(f);
    return buf;
}

static void test_escape(void **state)
{
    (void)state;
    char *e = to_string(rp_esc, "<script>alert(1)</script> Bob's \"best\" & co");
    assert_string_equal(e, "&lt;script&gt;alert(1)&lt;/script&gt; Bob&#39;s &quot;best&quot; &amp; co");
    free(e);
    e = to_string(rp_url, "/data/images/Ankle boot/x#1?.png");
    assert_string_equal(e, "/data/images/Ankle%20boot/x%231%3F.png");
    free(e);
    e = to_string(rp_url, "caf\xc3\xa9");
    assert_string_equal(e, "caf%C3%A9");
    free(e);
}

/* ---- the operating point on a PR chart -------------------------------- */

static void test_pr_operating_point_mark(void **state)
{
    (void)state;
    const double rec[] = {0.0, 0.5, 1.0}, pre[] = {1.0, 0.8, 0.2};
    rp_series s[2] = {{.name = "common", .recall = rec, .precision = pre, .npoints = 3},
                      {.name = "rare <b>", .recall = rec, .precision = pre, .npoints = 3}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rp_svg_pr(f, s, 2);
    fclose(f);
    assert_null(strstr(buf, "class=\"op\""));        /* no mark: no ring */
    free(buf);
    s[1].mark = "operating point of rare <b>";
    s[1].mark_recall = 0.5;
    s[1].mark_precision = 0.8;
    buf = NULL;
    f = open_memstream(&buf, &len);
    rp_svg_pr(f, s, 2);
    fclose(f);
    /* x = 46 + 300 r, y = 12 + 300 (1 - p); the tooltip escaped */
    assert_non_null(strstr(buf, "<g class=\"op\"><title>operating point of rare &lt;b&gt;</title>"
                                "<circle cx=\"196.0\" cy=\"72.0\" r=\"7\""));
    assert_null(strstr(buf, "<b>"));
    char *second = strstr(buf, "class=\"op\"");
    assert_null(strstr(second + 1, "class=\"op\""));  /* one ring only */
    free(buf);
}

/* ---- thumbnails ------------------------------------------------------- */

static void test_thumbnail_crisp(void **state)
{
    (void)state;
    char src[1024], dst[512];
    data_path(src, sizeof src, "bad/images/fm-t10k-00000.png");
    snprintf(dst, sizeof dst, "%s/thumb.png", tmpdir);
    int w = 0, h = 0;
    la_error err = {0};
    assert_int_equal(rp_thumbnail(src, dst, 112, &w, &h, &err), 0);
    assert_int_equal(w, 112);
    assert_int_equal(h, 112);
    int sw, sh, sc, tw, th, tc;
    unsigned char *a = stbi_load(src, &sw, &sh, &sc, 1);
    unsigned char *b = stbi_load(dst, &tw, &th, &tc, 1);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(sw, 28);
    /* nearest neighbour: every 4x4 block equals its source pixel exactly */
    int mismatches = 0;
    for (int y = 0; y < 112; y++)
        for (int x = 0; x < 112; x++)
            if (b[y * 112 + x] != a[(y / 4) * 28 + x / 4]) mismatches++;
    assert_int_equal(mismatches, 0);
    stbi_image_free(a);
    stbi_image_free(b);
    /* an 8x8 digit becomes 112x112 too (factor 14) */
    data_path(src, sizeof src, "bad/images/digits-0000-8x8.png");
    assert_int_equal(rp_thumbnail(src, dst, 112, &w, &h, &err), 0);
    assert_int_equal(w, 112);
    unlink(dst);
}

/* Pixel rows (IDX datasets): [0, 1] floats back to bytes, same crisp upscale. */
static void test_thumbnail_pixels(void **state)
{
    (void)state;
    char dst[512];
    snprintf(dst, sizeof dst, "%s/pix.png", tmpdir);
    float px[28 * 28];
    for (int i = 0; i < 28 * 28; i++) px[i] = (float)((i * 37) % 256) / 255.0f;
    px[0] = -0.5f;                          /* clamped to 0 and 255 */
    px[1] = 2.0f;
    int w = 0, h = 0;
    la_error err = {0};
    assert_int_equal(rp_thumbnail_pixels(px, 28, 28, 1, dst, 112, &w, &h, &err), 0);
    assert_int_equal(w, 112);
    assert_int_equal(h, 112);
    int tw, th, tc;
    unsigned char *b = stbi_load(dst, &tw, &th, &tc, 0);
    assert_non_null(b);
    assert_int_equal(tc, 1);
    int mismatches = 0;
    for (int y = 0; y < 112; y++)
        for (int x = 0; x < 112; x++) {
            int i = (y / 4) * 28 + x / 4;
            int want = i == 0 ? 0 : i == 1 ? 255 : (i * 37) % 256;
            if (b[y * 112 + x] != want) mismatches++;
        }
    assert_int_equal(mismatches, 0);
    stbi_image_free(b);
    /* rgb 3x2, interleaved: factor 112 / 3 = 37 */
    float rgb[3 * 2 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0.5f, 0.5f, 0.5f};
    assert_int_equal(rp_thumbnail_pixels(rgb, 3, 2, 3, dst, 112, &w, &h, &err), 0);
    assert_int_equal(w, 111);
    assert_int_equal(h, 74);
    b = stbi_load(dst, &tw, &th, &tc, 3);
    assert_non_null(b);
    assert_int_equal(b[(40 * 111 + 10) * 3 + 1], 255);   /* row 1, col 0 white */
    assert_int_equal(b[(40 * 111 + 40) * 3 + 1], 0);     /* row 1, col 1 black */
    assert_int_equal(b[(0 * 111 + 80) * 3 + 2], 255);    /* row 0, col 2 blue  */
    assert_int_equal(b[(0 * 111 + 80) * 3 + 0], 0);
    stbi_image_free(b);
    /* bad shapes are refused, nothing written */
    unlink(dst);
    assert_int_equal(rp_thumbnail_pixels(px, 0, 28, 1, dst, 112, &w, &h, &err), LA_EUSAGE);
    assert_int_equal(rp_thumbnail_pixels(px, 28, 28, 2, dst, 112, &w, &h, &err), LA_EUSAGE);
    assert_int_equal(access(dst, F_OK), -1);
}

static void test_thumbnail_hostile(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "bad/huge_dimensions.png", "bad/decompression_bomb.png", "bad/not_an_image.png",
        "bad/truncated.png", "bad/empty.png", "bad/no-such-file.png",
    };
    char src[1024], dst[512];
    snprintf(dst, sizeof dst, "%s/bad-thumb.png", tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        la_error err = {0};
        int w, h;
        assert_int_equal(rp_thumbnail(data_path(src, sizeof src, bad[i]), dst, 112, &w, &h, &err),
                         LA_EUSAGE);
        assert_string_equal(err.file, src);
        assert_false(exists(dst));
    }
}

/* ---- building runs ---------------------------------------------------- */

typedef struct run_data {
    size_t   n, k;
    char   **names, **ids, **paths, **features;
    int64_t *given, *suggested, *ranked, *cj, *issues;
    double  *quality, *nm, *cer, *cq;
    uint8_t *is_issue;
    size_t   n_ranked;
} run_data;

static void run_alloc(run_data *d, size_t n, size_t k)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->k = k;
    d->names = calloc(k, sizeof(char *));
    d->ids = calloc(n, sizeof(char *));
    d->given = calloc(n, sizeof(int64_t));
    d->suggested = calloc(n, sizeof(int64_t));
    d->ranked = calloc(n, sizeof(int64_t));
    d->quality = calloc(n, sizeof(double));
    d->is_issue = calloc(n, 1);
    d->cj = calloc(k * k, sizeof(int64_t));
    d->nm = calloc(k * k, sizeof(double));
    d->issues = calloc(k, sizeof(int64_t));
    d->cer = calloc(k, sizeof(double));
    d->cq = calloc(k, sizeof(double));
}

static void run_free(run_data *d)
{
    for (size_t c = 0; c < d->k; c++) free(d->names[c]);
    for (size_t i = 0; i < d->n; i++) {
        free(d->ids[i]);
        if (d->paths) free(d->paths[i]);
        if (d->features) free(d->features[i]);
    }
    free(d->names); free(d->ids); free(d->paths); free(d->features);
    free(d->given); free(d->suggested); free(d->ranked); free(d->quality); free(d->is_issue);
    free(d->cj); free(d->nm); free(d->issues); free(d->cer); free(d->cq);
}

/* Flags every example whose row % every == 1 and suggests the next class;
 * ranks them by a made-up score, then fills the matrices consistently. */
static void run_flag(run_data *d, size_t every)
{
    for (size_t i = 0; i < d->n; i++) {
        d->suggested[i] = d->given[i];
        d->quality[i] = 0.9 + 0.0001 * (double)(i % 7);
        if (i % every == 1) {
            d->is_issue[i] = 1;
            d->suggested[i] = (d->given[i] + 1) % (int64_t)d->k;
            d->quality[i] = 0.5 * (double)((i * 37) % 101) / 101.0;
            d->ranked[d->n_ranked++] = (int64_t)i;
            d->issues[d->given[i]]++;
        }
    }
    /* rank by quality ascending (insertion sort, small n) */
    for (size_t a = 1; a < d->n_ranked; a++)
        for (size_t b = a; b > 0 && d->quality[d->ranked[b]] < d->quality[d->ranked[b - 1]]; b--) {
            int64_t t = d->ranked[b];
            d->ranked[b] = d->ranked[b - 1];
            d->ranked[b - 1] = t;
        }
    for (size_t i = 0; i < d->n; i++) d->cj[d->given[i] * (int64_t)d->k + d->suggested[i]]++;
    for (size_t c = 0; c < d->k; c++) {
        int64_t col = 0;
        for (size_t g = 0; g < d->k; g++) col += d->cj[g * d->k + c];
        for (size_t g = 0; g < d->k; g++)
            d->nm[g * d->k + c] = col ? (double)d->cj[g * d->k + c] / (double)col : 0;
        d->cer[c] = 0.1;
        d->cq[c] = 0.8;
    }
}

static int record(sqlite3 *db, run_data *d, const char *path, int64_t *run)
{
    db_audit_record rec = {0};
    rec.dataset_path = path;
    rec.dataset_hash = "h";
    rec.n = d->n;
    rec.k = d->k;
    rec.class_names = d->names;
    rec.ids = d->ids;
    rec.image_paths = d->paths;
    rec.features = d->features;
    rec.given = d->given;
    rec.suggested = d->suggested;
    rec.quality = d->quality;
    rec.is_issue = d->is_issue;
    rec.ranked = d->ranked;
    rec.n_ranked = d->n_ranked;
    rec.confident_joint = d->cj;
    rec.noise_matrix = d->nm;
    rec.class_issues = d->issues;
    rec.class_error_rate = d->cer;
    rec.class_quality = d->cq;
    rec.error_rate = 0.12;
    rec.health = 0.81;
    rec.method = "prune_by_noise_rate";
    rec.rank_by = "self_confidence";
    rec.options_json = "{\"filter_by\":\"prune_by_noise_rate\",\"note\":\"<b>x</b>\"}";
    rec.summary_json = "{}";
    la_error err = {0};
    int rc = db_record_audit(db, &rec, run, &err);
    if (rc) fprintf(stderr, "record: %s\n", err.msg);
    return rc;
}

/* Reads manifest_escaping_labels.csv: id,path,label with a quoted label. */
static void load_hostile_manifest(run_data *d)
{
    char path[1024], line[1024];
    FILE *f = fopen(data_path(path, sizeof path, "bad/manifest_escaping_labels.csv"), "r");
    assert_non_null(f);
    run_alloc(d, 60, 3);
    d->paths = calloc(60, sizeof(char *));
    size_t n = 0;
    assert_non_null(fgets(line, sizeof line, f));   /* header */
    while (n < 60 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        assert_non_null(c2);
        *c1 = 0, *c2 = 0;
        char *label = c2 + 1, unq[256];
        if (*label == '"') {          /* unquote "" */
            size_t o = 0;
            for (char *p = label + 1; *p && o < sizeof unq - 1; p++) {
                if (*p == '"' && p[1] == '"') unq[o++] = '"', p++;
                else if (*p == '"') break;
                else unq[o++] = *p;
            }
            unq[o] = 0;
            label = unq;
        }
        size_t c = 0;
        while (c < d->k && d->names[c] && strcmp(d->names[c], label)) c++;
        assert_true(c < d->k);
        if (!d->names[c]) d->names[c] = strdup(label);
        d->ids[n] = strdup(line);
        char img[1100];
        snprintf(img, sizeof img, "%s/data/bad/%s", shared, c1 + 1);
        d->paths[n] = strdup(img);
        d->given[n] = (int64_t)c;
        n++;
    }
    fclose(f);
    assert_int_equal(n, 60);
}

static void test_image_report_hostile(void **state)
{
    (void)state;
    char dbp[512], out[512], p[600];
    snprintf(dbp, sizeof dbp, "%s/img.db", tmpdir);
    snprintf(out, sizeof out, "%s/img-report", tmpdir);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    run_data d;
    load_hostile_manifest(&d);
    run_flag(&d, 3);                 /* 20 flagged */
    int64_t run;
    assert_int_equal(record(db, &d, "bad/manifest_escaping_labels.csv", &run), 0);
    /* a decision shows on the card, its note escaped */
    db_items items;
    assert_int_equal(db_load_flagged(db, run, -1, 0, 1, &items, &err), 0);
    assert_int_equal(db_decide(db, items.v[0].queue_id, 0, "relabel", 0, "<i>ann</i>",
                               "looks like a \"boot\" <b>", "test", &err), 0);
    db_items_free(&items);

    rp_options opt;
    rp_options_init(&opt);
    opt.per_page = 8;
    rp_result res;
    assert_int_equal(rp_write_report(db, out, &opt, &res, &err), 0);
    assert_int_equal(res.cards, 20);
    assert_int_equal(res.thumbs, 20);
    assert_int_equal(res.thumb_failures, 0);

    /* pages: 3 for all issues (8 + 8 + 4), per class as needed */
    snprintf(p, sizeof p, "%s/issues-3.html", out);
    assert_true(exists(p));
    snprintf(p, sizeof p, "%s/issues-4.html", out);
    assert_false(exists(p));
    size_t cards = 0;
    for (int page = 1; page <= 3; page++) {
        snprintf(p, sizeof p, "%s/issues-%d.html", out, page);
        char *html = slurp(p);
        assert_non_null(html);
        cards += count_str(html, "<figure class=\"card");
        assert_null(strstr(html, "<script"));
        assert_null(strstr(html, "Bob's"));
        assert_null(strstr(html, "Robert')"));
        assert_non_null(strstr(html, "href=\"index.html\""));
        if (page == 1) {
            assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
            assert_non_null(strstr(html, "&lt;i&gt;ann&lt;/i&gt;"));
            assert_non_null(strstr(html, "alt=\""));
            assert_non_null(strstr(html, "src=\"assets/thumbs/"));
            assert_non_null(strstr(html, "rel=\"next\""));
        }
        free(html);
    }
    assert_int_equal(cards, 20);
    /* per-class sheets hold every flagged card exactly once */
    size_t per_class = 0;
    for (size_t c = 0; c < d.k; c++)
        for (int page = 1;; page++) {
            snprintf(p, sizeof p, "%s/class-%zu-%d.html", out, c, page);
            char *html = slurp(p);
            if (!html) break;
            per_class += count_str(html, "<figure class=\"card");
            free(html);
        }
    assert_int_equal(per_class, 20);

    snprintf(p, sizeof p, "%s/index.html", out);
    char *index = slurp(p);
    assert_non_null(index);
    assert_null(strstr(index, "<script"));
    assert_null(strstr(index, "<b>x</b>"));        /* options JSON escaped too */
    assert_non_null(strstr(index, "Bob&#39;s &quot;best&quot;, boot"));
    assert_non_null(strstr(index, "<svg"));
    assert_non_null(strstr(index, "Noise matrix"));
    assert_non_null(strstr(index, "imbalance"));
    free(index);

    /* thumbnails are 112x112 PNGs in assets/ */
    snprintf(p, sizeof p, "%s/assets/thumbs/%lld.png", out, (long long)d.ranked[0]);
    int w, h, c;
    assert_true(stbi_info(p, &w, &h, &c));
    assert_int_equal(w, 112);

    /* a second report replaces the first; no temporary left behind */
    assert_int_equal(db_record_metrics(db, run, "cv",
        "{\"accuracy\":0.9,\"balanced_accuracy\":0.88,\"macro_f1\":0.87,\"per_class\":["
        "{\"class\":\"<script>alert(1)</script>\",\"support\":20,\"precision\":0.9,\"recall\":0.8,"
        "\"f1\":0.85,\"pr_auc\":0.91,\"pr_curve\":{\"recall\":[0,0.5,1],\"precision\":[1,0.9,0.4]}},"
        "{\"class\":\"b\",\"support\":20,\"precision\":0.7,\"recall\":0.6,\"f1\":0.65,\"pr_auc\":0.7}]}",
        &err), 0);
    assert_int_equal(rp_write_report(db, out, &opt, &res, &err), 0);
    snprintf(p, sizeof p, "%s/index.html", out);
    index = slurp(p);
    assert_non_null(index);
    assert_non_null(strstr(index, "precision and recall"));
    assert_non_null(strstr(index, "<polyline"));
    assert_null(strstr(index, "<script"));
    free(index);
    snprintf(p, sizeof p, "%s.tmp.%ld", out, (long)getpid());
    assert_false(exists(p));

    /* run that does not exist: error, report untouched */
    opt.run_id = 42;
    assert_int_equal(rp_write_report(db, out, &opt, &res, &err), LA_EUSAGE);
    snprintf(p, sizeof p, "%s/index.html", out);
    assert_true(exists(p));
    db_close(db);
    run_free(&d);
}

static void test_url_encoded_links(void **state)
{
    (void)state;
    char dbp[512], out[512], p[600];
    snprintf(dbp, sizeof dbp, "%s/fm.db", tmpdir);
    snprintf(out, sizeof out, "%s/fm-report/", tmpdir);   /* trailing slash is fine */
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    static const char *const cls[] = {"Ankle boot", "Bag"};
    static const char *const files[] = {"fm-train-00089", "fm-train-00011"};
    run_data d;
    run_alloc(&d, 4, 2);
    d.paths = calloc(4, sizeof(char *));
    for (size_t c = 0; c < 2; c++) d.names[c] = strdup(cls[c]);
    char path[1024], manifest[1024];
    data_path(manifest, sizeof manifest, "fashion-mnist-png/manifest.csv");
    FILE *f = fopen(manifest, "r");
    assert_non_null(f);
    char line[512];
    size_t got[2] = {0, 0};
    /* two images of each class, paths straight from the manifest */
    while (fgets(line, sizeof line, f) && (got[0] < 2 || got[1] < 2)) {
        line[strcspn(line, "\r\n")] = 0;
        char *c1 = strchr(line, ','), *c2 = c1 ? strrchr(line, ',') : NULL;
        if (!c2 || c1 == c2) continue;
        *c1 = 0, *c2 = 0;
        for (size_t c = 0; c < 2; c++) {
            if (strcmp(c2 + 1, cls[c]) || got[c] >= 2) continue;
            size_t i = c * 2 + got[c]++;
            d.ids[i] = strdup(line);
            snprintf(path, sizeof path, "%s/data/fashion-mnist-png/%s", shared, c1 + 1);
            d.paths[i] = strdup(path);
            d.given[i] = (int64_t)c;
        }
    }
    fclose(f);
    (void)files;
    run_flag(&d, 1);   /* every row % 1 == 1 never holds: flag by hand */
    d.n_ranked = 0;
    for (size_t i = 0; i < 4; i++) {
        d.is_issue[i] = 1;
        d.suggested[i] = 1 - d.given[i];
        d.ranked[d.n_ranked++] = (int64_t)i;
    }
    int64_t run;
    assert_int_equal(record(db, &d, "fashion-mnist-png/manifest.csv", &run), 0);
    rp_result res;
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    snprintf(p, sizeof p, "%sissues-1.html", out);
    char *html = slurp(p);
    assert_non_null(html);
    assert_int_equal(count_str(html, "<figure class=\"card"), 4);
    assert_non_null(strstr(html, "/Ankle%20boot/fm-train-"));
    assert_null(strstr(html, "/Ankle boot/"));
    free(html);
    db_close(db);
    run_free(&d);
}

static void test_tabular_report(void **state)
{
    (void)state;
    char dbp[512], out[512], p[600];
    snprintf(dbp, sizeof dbp, "%s/tab.db", tmpdir);
    snprintf(out, sizeof out, "%s/tab-report", tmpdir);
    /* a tiny dataset: feature "petal" separates the classes, "noise" does not */
    la_dataset ds = {0};
    size_t n = 12;
    ds.n = n, ds.d = 2, ds.k = 2;
    float feats[24];
    int32_t labels[12];
    char fn0[] = "petal <len>", fn1[] = "noise";
    char *fnames[2] = {fn0, fn1};
    for (size_t i = 0; i < n; i++) {
        labels[i] = i < 6 ? 0 : 1;
        feats[i * 2] = labels[i] ? 5.0f : 1.0f;
        feats[i * 2 + 1] = (float)(i % 3);
    }
    feats[1 * 2] = 5.0f;   /* row 1 is labelled 0 but looks like a 1 */
    ds.features = feats;
    ds.labels = labels;
    ds.feature_names = fnames;
    run_data d;
    run_alloc(&d, n, 2);
    d.names[0] = strdup("setosa");
    d.names[1] = strdup("virginica");
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "iris-%04zu", i);
        d.ids[i] = strdup(id);
        d.given[i] = labels[i];
    }
    run_flag(&d, 5);   /* rows 1, 6, 11 */
    assert_int_equal(rp_feature_summaries(&ds, d.suggested, d.is_issue, 4, &d.features, &(la_error){0}), 0);
    assert_null(d.features[0]);
    assert_non_null(d.features[1]);
    /* the separating feature is the most telling for row 1 */
    assert_true(strstr(d.features[1], "petal") < strstr(d.features[1], "noise"));
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    int64_t run;
    assert_int_equal(record(db, &d, "tabular/tiny.csv", &run), 0);
    rp_result res;
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    assert_int_equal(res.cards, 3);
    assert_int_equal(res.thumbs, 0);
    assert_int_equal(res.features_source, 1);
    snprintf(p, sizeof p, "%s/issues-1.html", out);
    char *html = slurp(p);
    assert_non_null(html);
    assert_int_equal(count_str(html, "<figure class=\"card"), 3);
    assert_int_equal(count_str(html, "<div class=\"feat\""), 3);
    assert_non_null(strstr(html, "petal &lt;len&gt;"));
    assert_null(strstr(html, "<img"));
    free(html);
    db_close(db);
    run_free(&d);
}

static void test_output_dir_safety(void **state)
{
    (void)state;
    char dbp[512], out[512], p[600];
    snprintf(dbp, sizeof dbp, "%s/img.db", tmpdir);   /* from the image test */
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    rp_result res;
    /* a directory that is not a report is never replaced */
    snprintf(out, sizeof out, "%s/precious", tmpdir);
    mkdir(out, 0755);
    snprintf(p, sizeof p, "%s/thesis.txt", out);
    FILE *f = fopen(p, "w");
    fputs("do not delete", f);
    fclose(f);
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), LA_EUSAGE);
    assert_non_null(strstr(err.msg, "not a labelaudit report"));
    assert_true(exists(p));
    /* a file in the way */
    assert_int_equal(rp_write_report(db, p, NULL, &res, &err), LA_EUSAGE);
    /* an empty directory is fine */
    snprintf(out, sizeof out, "%s/empty-dir", tmpdir);
    mkdir(out, 0755);
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    snprintf(p, sizeof p, "%s/index.html", out);
    assert_true(exists(p));
    db_close(db);
}

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("LA_SHARED");
    snprintf(shared, sizeof shared, "%s", s && *s ? s : "../shared");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/la-test-report-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Helpers for tests/browser/report_browser.sh:
 *   test_report --fixture-db DB   records the hostile-names image run in DB
 *   test_report --png-stats PNG   prints "W H COLOURS NONWHITE_PERCENT" */
static int fixture_db(const char *path)
{
    sqlite3 *db;
    la_error err = {0};
    if (db_open(path, &db, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    run_data d;
    load_hostile_manifest(&d);
    run_flag(&d, 3);
    int64_t run;
    int rc = record(db, &d, "bad/manifest_escaping_labels.csv", &run);
    db_close(db);
    run_free(&d);
    return rc ? 1 : 0;
}

static int png_stats(const char *path)
{
    int w, h, c;
    unsigned char *px = stbi_load(path, &w, &h, &c, 3);
    if (!px) {
        fprintf(stderr, "%s: %s\n", path, stbi_failure_reason());
        return 1;
    }
    /* distinct colours via a 4096-bucket presence table (4 bits per channel) */
    static unsigned char seen[4096];
    size_t colours = 0, nonwhite = 0, total = (size_t)w * h;
    for (size_t i = 0; i < total; i++) {
        const unsigned char *p = px + 3 * i;
        unsigned idx = (unsigned)(p[0] >> 4) << 8 | (unsigned)(p[1] >> 4) << 4 | (p[2] >> 4);
        if (!seen[idx]) seen[idx] = 1, colours++;
        if (p[0] < 240 || p[1] < 240 || p[2] < 240) nonwhite++;
    }
    printf("%d %d %zu %.1f\n", w, h, colours, 100.0 * (double)nonwhite / (double)total);
    stbi_image_free(px);
    return 0;
}

/* ---- the digest stored at record time (rp_digest.h) ------------------- */

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A 12-row, 2-class tabular dataset ("petal" separates the classes) and a
 * run flagging rows 1, 6, 11, recorded without feature summaries. */
typedef struct tab_fixture {
    la_dataset ds;
    float      feats[24];
    int32_t    labels[12];
    char       fn0[16], fn1[16], cn0[16], cn1[16];
    char      *fnames[2], *cnames[2];
    double     probs[24];
    run_data   d;
} tab_fixture;

static void tab_fixture_init(tab_fixture *t)
{
    memset(t, 0, sizeof *t);
    size_t n = 12;
    snprintf(t->fn0, sizeof t->fn0, "petal <len>");
    snprintf(t->fn1, sizeof t->fn1, "noise");
    snprintf(t->cn0, sizeof t->cn0, "setosa");
    snprintf(t->cn1, sizeof t->cn1, "virginica");
    t->fnames[0] = t->fn0, t->fnames[1] = t->fn1;
    t->cnames[0] = t->cn0, t->cnames[1] = t->cn1;
    for (size_t i = 0; i < n; i++) {
        t->labels[i] = i < 6 ? 0 : 1;
        t->feats[i * 2] = t->labels[i] ? 5.0f : 1.0f;
        t->feats[i * 2 + 1] = (float)(i % 3);
        double p1 = t->labels[i] ? 0.6 + 0.03 * (double)i : 0.1 + 0.02 * (double)i;
        t->probs[i * 2] = 1.0 - p1;
        t->probs[i * 2 + 1] = p1;
    }
    t->feats[1 * 2] = 5.0f;
    la_dataset *ds = &t->ds;
    ds->n = n, ds->d = 2, ds->k = 2;
    ds->features = t->feats;
    ds->labels = t->labels;
    ds->feature_names = t->fnames;
    ds->class_names = t->cnames;
    run_alloc(&t->d, n, 2);
    t->d.names[0] = strdup("setosa");
    t->d.names[1] = strdup("virginica");
    for (size_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "iris-%04zu", i);
        t->d.ids[i] = strdup(id);
        t->d.given[i] = t->labels[i];
    }
    run_flag(&t->d, 5);   /* rows 1, 6, 11 */
}

/* The fixture recorded in a fresh database NAME.db with its digest (the
 * probabilities included); out receives NAME-report's path. */
static sqlite3 *tab_recorded(tab_fixture *t, const char *name, char *out, size_t size, int64_t *run)
{
    char dbp[512];
    snprintf(dbp, sizeof dbp, "%s/%s.db", tmpdir, name);
    snprintf(out, size, "%s/%s-report", tmpdir, name);
    tab_fixture_init(t);
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    assert_int_equal(record(db, &t->d, "tabular/tiny.csv", run), 0);
    assert_int_equal(rp_record_digest(db, *run, &t->ds, t->probs, t->labels, 12, 2, &err), 0);
    return db;
}

static void test_digest_tabular(void **state)
{
    (void)state;
    char out[512], p[600];
    tab_fixture t;
    int64_t run;
    la_error err = {0};
    sqlite3 *db = tab_recorded(&t, "digest-tab", out, sizeof out, &run);
    /* the feature summaries are exactly rp_feature_summary's */
    rp_feature_stats st;
    assert_int_equal(rp_feature_stats_init(&t.ds, &st, &err), 0);
    char *want = rp_feature_summary(&st, &t.ds, 6, t.d.given[6], t.d.suggested[6], RP_FEATURES_SHOWN);
    rp_feature_stats_free(&st);
    db_items it;
    assert_int_equal(db_queue_list(db, run, NULL, &it, NULL, &err), 0);
    assert_int_equal(it.n, 3);
    for (size_t i = 0; i < it.n; i++) {
        assert_non_null(it.v[i].features);
        if (it.v[i].row == 6) assert_string_equal(it.v[i].features, want);
    }
    db_items_free(&it);
    free(want);
    /* the curves are mt_pr_curve's points, bit for bit (12 < 240: all kept) */
    mt_pr_point *pts = NULL;
    size_t np = 0;
    assert_int_equal(mt_pr_curve(t.labels, t.probs, 12, 2, 1, &pts, &np, &err), 0);
    double *rec, *pre;
    size_t got;
    assert_int_equal(db_load_pr_curve(db, run, 1, &rec, &pre, &got, &err), 0);
    assert_int_equal(got, np);
    for (size_t j = 0; j < np; j++) {
        assert_memory_equal(&rec[j], &pts[j].recall, sizeof(double));
        assert_memory_equal(&pre[j], &pts[j].precision, sizeof(double));
    }
    free(rec);
    free(pre);
    free(pts);
    assert_int_equal(q_int(db, "SELECT count(*) FROM example_pixels"), 0);
    /* the report draws them: feature tables and curves, from the db alone */
    assert_int_equal(db_record_metrics(db, run, "cv",
        "{\"accuracy\":0.9,\"balanced_accuracy\":0.9,\"macro_f1\":0.9,\"per_class\":["
        "{\"class\":\"setosa\",\"support\":6,\"precision\":1,\"recall\":0.8,\"f1\":0.9,\"pr_auc\":0.9},"
        "{\"class\":\"virginica\",\"support\":6,\"precision\":0.8,\"recall\":1,\"f1\":0.9,\"pr_auc\":0.9}]}",
        &err), 0);
    rp_result res;
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    assert_int_equal(res.features_source, 1);
    snprintf(p, sizeof p, "%s/issues-1.html", out);
    char *html = slurp(p);
    assert_int_equal(count_str(html, "<div class=\"feat\""), 3);
    free(html);
    snprintf(p, sizeof p, "%s/index.html", out);
    html = slurp(p);
    assert_int_equal(count_str(html, "<polyline"), 2);
    assert_null(strstr(html, "unavailable"));
    free(html);
    db_close(db);
    run_free(&t.d);
}

/* The cards' probabilities and the typical examples (schema 003): stored
 * from the probabilities at record time, drawn as bars and a reason. */
static void test_digest_probs_typical(void **state)
{
    (void)state;
    char out[512], p[600];
    tab_fixture t;
    int64_t run;
    la_error err = {0};
    sqlite3 *db = tab_recorded(&t, "digest-probs", out, sizeof out, &run);
    assert_int_equal(q_int(db, "SELECT count(*) FROM example_probs"), 3);
    db_items it;
    assert_int_equal(db_queue_list(db, run, NULL, &it, NULL, &err), 0);
    db_example_probs pr[3];
    assert_int_equal(db_load_example_probs(db, run, &it, pr, &err), 0);
    for (size_t i = 0; i < it.n; i++) {
        int64_t row = it.v[i].row;
        const double *pp = t.probs + row * 2;
        assert_int_equal(pr[i].row, row);
        assert_int_equal(pr[i].n_top, 2);                  /* k = 2: two classes only */
        assert_true(pr[i].p_top[0] >= pr[i].p_top[1]);
        assert_int_equal(pr[i].top[0], pp[1] > pp[0] ? 1 : 0);
        assert_memory_equal(&pr[i].p_given, &pp[t.labels[row]], sizeof(double));
    }
    /* typical: given = argmax, not flagged (1, 6, 11), largest p first */
    db_typical *ty;
    size_t nt;
    assert_int_equal(db_load_typical(db, run, &ty, &nt, &err), 0);
    assert_int_equal(nt, 6);
    const int64_t want_rows[6] = {0, 2, 3, 10, 9, 8};
    for (size_t i = 0; i < nt; i++) {
        assert_int_equal(ty[i].row, want_rows[i]);
        assert_int_equal(ty[i].class_index, i < 3 ? 0 : 1);
        assert_int_equal(ty[i].slot, (int)(i % 3));
        assert_string_equal(ty[i].dataset_id, t.d.ids[want_rows[i]]);
        assert_null(ty[i].image_path);
    }
    db_typical_free(ty, nt);
    /* the report: a reason and bars with the stored values */
    rp_result res;
    rp_options opt;
    rp_options_init(&opt);
    opt.db_path = "my dir/la.db";
    assert_int_equal(rp_write_report(db, out, &opt, &res, &err), 0);
    snprintf(p, sizeof p, "%s/issues-1.html", out);
    char *html = slurp(p);
    assert_int_equal(count_str(html, "<p class=\"why\">The model gives the given label "), 3);
    assert_int_equal(count_str(html, "<div class=\"pr "), 6);
    /* row 6: given virginica p = 0.78, the runner-up setosa 0.22 */
    assert_non_null(strstr(html, "The model gives the given label 78%; runner-up setosa 22%."));
    assert_non_null(strstr(html, "data-class=\"virginica\" data-p=\"0.78\""));
    assert_non_null(strstr(html, "labelaudit serve --db &#39;my dir/la.db&#39; --run 1"));
    free(html);
    snprintf(p, sizeof p, "%s/index.html", out);
    html = slurp(p);
    assert_non_null(strstr(html, "id=\"next\""));
    assert_non_null(strstr(html, "labelaudit review --db &#39;my dir/la.db&#39; --run 1</code>"));
    assert_non_null(strstr(html, "labelaudit clean --db &#39;my dir/la.db&#39; --run 1 --data tabular/tiny.csv"));
    free(html);
    /* a digest naming a row or class outside the run is refused whole */
    db_example_probs bad = {.row = 12, .p_given = 0.5, .n_top = 1, .top = {0}, .p_top = {0.5}};
    db_digest dg = {.n_probs = 1, .probs = &bad};
    assert_int_equal(db_record_digest(db, run, &dg, &err), LA_EUSAGE);
    bad.row = 1, bad.top[0] = 2;
    assert_int_equal(db_record_digest(db, run, &dg, &err), LA_EUSAGE);
    db_typical badt = {.class_index = 5, .row = 0};
    dg = (db_digest){.n_typical = 1, .typical = &badt};
    assert_int_equal(db_record_digest(db, run, &dg, &err), LA_EUSAGE);
    assert_int_equal(q_int(db, "SELECT count(*) FROM example_probs"), 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM class_typical"), 6);
    db_items_free(&it);
    db_close(db);
    run_free(&t.d);
}

static char *to_string_n(void (*fn)(FILE *, const char *, size_t), const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fn(f, s, n);
    fclose(f);
    return buf;
}

/* Feature names wrap at separators, never inside a word; long words are cut. */
static void test_wrap_names(void **state)
{
    (void)state;
    char *s = to_string_n(rp_esc_wrap, "od280/od315_of_diluted_wines", 22);
    assert_string_equal(s, "od280/<wbr>od315_<wbr>of_<wbr>diluted_<wbr>wines");
    free(s);
    s = to_string_n(rp_esc_wrap, "flavanoids", 22);
    assert_string_equal(s, "flavanoids");
    free(s);
    s = to_string_n(rp_esc_wrap, "abcdefgh-<x>", 4);
    assert_string_equal(s, "abcd\xe2\x80\xa6-<wbr>&lt;x&gt;");
    free(s);
    s = to_string_n(rp_esc_wrap, "\xc3\xa9\xc3\xa9\xc3\xa9", 2);   /* cut between characters */
    assert_string_equal(s, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
    free(s);
    /* the heatmap: full names and support in titles */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char a[] = "Barbera d'Alba superiore", b[] = "Nebbiolo";
    char *names[2] = {a, b};
    double nm[4] = {0.9, 0.2, 0.1, 0.8}, cj[4] = {90, 2, 10, 8};
    rp_svg_heatmap_support(f, 2, names, nm, 2, "given", "true", 1, cj);
    fclose(f);
    assert_non_null(strstr(buf, "<title>Barbera d&#39;Alba superiore</title>"));
    assert_non_null(strstr(buf, "given Barbera d&#39;Alba superiore, true Nebbiolo: 0.20; rests on 2 of 10 "
                                "examples counted as true Nebbiolo"));
    free(buf);
}

static void test_digest_pixels_and_notes(void **state)
{
    (void)state;
    char dbp[512], out[512], p[600];
    snprintf(dbp, sizeof dbp, "%s/digest-pix.db", tmpdir);
    snprintf(out, sizeof out, "%s/digest-pix-report", tmpdir);
    tab_fixture t;
    tab_fixture_init(&t);
    /* the same rows as 2 x 1 gray images: pixels, not feature tables */
    t.ds.image_w = 2, t.ds.image_h = 1, t.ds.channels = 1;
    for (size_t i = 0; i < 24; i++) t.feats[i] = (float)(i % 5) / 4.0f;
    sqlite3 *db;
    la_error err = {0};
    assert_int_equal(db_open(dbp, &db, &err), 0);
    int64_t run;
    assert_int_equal(record(db, &t.d, "idx/tiny.gz", &run), 0);
    assert_int_equal(rp_record_digest(db, run, &t.ds, NULL, t.labels, 12, 2, &err), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM example_pixels"), 3);
    assert_int_equal(q_int(db, "SELECT count(*) FROM run_pr_points"), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM examples WHERE features IS NOT NULL"), 0);
    uint8_t *px;
    size_t len;
    assert_int_equal(db_load_pixels(db, run, 6, &px, &len, &err), 0);
    assert_int_equal(len, 2);
    unsigned char want[2];
    rp_pixel_bytes(t.feats + 12, 2, want);
    assert_memory_equal(px, want, 2);
    free(px);
    rp_result res;
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    assert_int_equal(res.thumbs, 3);
    snprintf(p, sizeof p, "%s/issues-1.html", out);
    char *html = slurp(p);
    assert_int_equal(count_str(html, "<img src=\"assets/thumbs/"), 3);
    free(html);
    /* a dataset that does not match the run: a note, no values */
    t.cnames[1] = t.cn0;
    assert_int_equal(rp_record_digest(db, run, &t.ds, NULL, t.labels, 12, 2, &err), 0);
    assert_int_equal(q_int(db, "SELECT count(*) FROM example_pixels"), 0);
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    snprintf(p, sizeof p, "%s/index.html", out);
    html = slurp(p);
    assert_non_null(strstr(html, "the dataset does not match the run"));
    free(html);
    /* no dataset at all */
    assert_int_equal(rp_record_digest(db, run, NULL, NULL, t.labels, 12, 2, &err), 0);
    assert_int_equal(rp_write_report(db, out, NULL, &res, &err), 0);
    html = slurp(p);
    assert_non_null(strstr(html, "the audit was given no dataset"));
    free(html);
    /* an unknown run is refused */
    assert_int_equal(rp_record_digest(db, run + 1, NULL, NULL, NULL, 0, 0, &err), LA_EUSAGE);
    db_close(db);
    run_free(&t.d);
}

static void test_digest_probs_cap(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/pp.npy", tmpdir);
    double m[6] = {0.1, 0.9, 0.8, 0.2, 0.5, 0.5};
    la_error err = {0};
    assert_int_equal(io_npy_save_f64(path, m, 3, 2, &err), 0);
    double *p = rp_digest_load_probs(path, 3, 2);
    assert_non_null(p);
    assert_memory_equal(p, m, sizeof m);
    free(p);
    assert_null(rp_digest_load_probs(path, 4, 2));          /* not n x k */
    assert_null(rp_digest_load_probs("/nonexistent/pp.npy", 3, 2));
    /* over the cap: refused from the file size, never read */
    assert_int_equal(truncate(path, RP_DIGEST_MAX_PROBS_BYTES + 1), 0);
    assert_null(rp_digest_load_probs(path, 3, 2));
    unlink(path);
}

int main(int argc, char **argv)
{
    if (argc == 3 && (!strcmp(argv[1], "--fixture-db") || !strcmp(argv[1], "--png-stats"))) {
        const char *s = getenv("LA_SHARED");
        snprintf(shared, sizeof shared, "%s", s && *s ? s : "../shared");
        return !strcmp(argv[1], "--fixture-db") ? fixture_db(argv[2]) : png_stats(argv[2]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_thumbnail_crisp),
        cmocka_unit_test(test_thumbnail_pixels),
        cmocka_unit_test(test_thumbnail_hostile),
        cmocka_unit_test(test_image_report_hostile),
        cmocka_unit_test(test_url_encoded_links),
        cmocka_unit_test(test_tabular_report),
        cmocka_unit_test(test_output_dir_safety),
        cmocka_unit_test(test_digest_tabular),
        cmocka_unit_test(test_digest_pixels_and_notes),
        cmocka_unit_test(test_digest_probs_cap),
        cmocka_unit_test(test_digest_probs_typical),
        cmocka_unit_test(test_wrap_names),
        cmocka_unit_test(test_pr_operating_point_mark),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
