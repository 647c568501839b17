/*
 * dc_leak.c — train/test leakage and the one issue list. A test example
 * leaks when it is an identical feature row (exact), a byte-identical image
 * file (file), within the near-duplicate radius of a training example
 * (near: threshold x the training median nearest-neighbour distance), or
 * the same picture up to a small shift and brightness change (image); the
 * first of these that holds names its partner.
 */
#include "dc_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { DC_LEAK_IMAGE_CANDIDATES = 5 };

float *dc_descriptors(const dc_split *s, int threads, la_error *err)
{
    float *d = la_big_alloc(s->n ? s->n : 1, DC_DESC_DIM * sizeof(float));
    if (!d) { la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the image descriptors"); return NULL; }
    if (dc_image_descriptors(s->pixels, s->n, s->image_w, s->image_h, s->channels, threads, d, err)) {
        free(d);
        return NULL;
    }
    return d;
}

typedef struct dc_hidx { uint64_t h; int64_t i; } dc_hidx;

static int dc_hidx_cmp(const void *a, const void *b)
{
    const dc_hidx *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Smallest training row equal to test row t (hash table sorted), or -1. */
static int64_t dc_find_row(const dc_hidx *tab, size_t n, uint64_t h, const dc_matrix *train, const dc_matrix *test,
                           size_t t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tab[mid].h < h) lo = mid + 1; else hi = mid;
    }
    for (; lo < n && tab[lo].h == h; lo++)
        if (dc_rows_equal(train, (size_t)tab[lo].i, test, t)) return tab[lo].i;
    return -1;
}

static int dc_leak_exact(const dc_split *tr, const dc_split *te, dc_leak *best, la_error *err)
{
    dc_hidx *tab = la_malloc_array(tr->n + 1, sizeof *tab);
    if (!tab) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < tr->n; i++) tab[i] = (dc_hidx){dc_row_hash(&tr->feat, i), (int64_t)i};
    qsort(tab, tr->n, sizeof *tab, dc_hidx_cmp);
    for (size_t t = 0; t < te->n; t++) {
        int64_t j = dc_find_row(tab, tr->n, dc_row_hash(&te->feat, t), &tr->feat, &te->feat, t);
        if (j >= 0) best[t] = (dc_leak){(int64_t)t, j, DC_LEAK_EXACT, 0, 0};
    }
    free(tab);
    return 0;
}

static int dc_leak_files(const dc_split *tr, const dc_split *te, dc_leak *best, la_error *err)
{
    dc_hidx *tab = la_malloc_array(tr->n + 1, sizeof *tab);
    if (!tab) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    int rc = 0;
    dc_file_info fi;
    for (size_t i = 0; i < tr->n && !rc; i++) {
        rc = dc_file_read_info(tr->image_paths[i], &fi, err);
        tab[i] = (dc_hidx){fi.hash ^ (uint64_t)fi.size, (int64_t)i};
    }
    if (!rc) qsort(tab, tr->n, sizeof *tab, dc_hidx_cmp);
    for (size_t t = 0; t < te->n && !rc; t++) {
        if (best[t].kind == DC_LEAK_EXACT && best[t].train >= 0) continue;
        if ((rc = dc_file_read_info(te->image_paths[t], &fi, err))) break;
        uint64_t h = fi.hash ^ (uint64_t)fi.size;
        size_t lo = 0, hi = tr->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (tab[mid].h < h) lo = mid + 1; else hi = mid;
        }
        for (; lo < tr->n && tab[lo].h == h; lo++)
            if (dc_files_equal(tr->image_paths[tab[lo].i], te->image_paths[t])) {
                best[t] = (dc_leak){(int64_t)t, tab[lo].i, DC_LEAK_FILE, 0, 0};
                break;
            }
    }
    free(tab);
    return rc;
}

static int dc_leak_near(const dc_split *tr, const dc_split *te, const dc_opts *o, const dc_result *r,
                        dc_leak *best, la_error *err)
{
    dc_knn g;
    int rc = dc_knn_build_coll(o->coll, &tr->feat, &te->feat, 1, r->metric, o->threads, NULL, &g, err);
    if (rc) return rc;
    for (size_t t = 0; t < te->n; t++) {
        if (best[t].train >= 0) continue;
        double d = g.dist[t];
        if (d < r->nd.radius)
            best[t] = (dc_leak){(int64_t)t, g.index[t], DC_LEAK_NEAR, d,
                                fabs(d) <= 1e-8 ? 0.0 : 1.0 - exp(-d / r->nd.median_nn)};
    }
    dc_knn_free(&g);
    return 0;
}

static int dc_leak_images(const dc_split *tr, const dc_split *te, const dc_opts *o, dc_leak *best, la_error *err)
{
    float *dtr = dc_descriptors(tr, o->threads, err), *dte = dtr ? dc_descriptors(te, o->threads, err) : NULL;
    if (!dte) { free(dtr); return err->status; }
    size_t kc = tr->n < DC_LEAK_IMAGE_CANDIDATES ? tr->n : DC_LEAK_IMAGE_CANDIDATES;
    dc_matrix a = {tr->n, DC_DESC_DIM, dtr, NULL}, b = {te->n, DC_DESC_DIM, dte, NULL};
    dc_knn g;
    int rc = dc_knn_build_coll(o->coll, &a, &b, kc, DC_METRIC_COSINE, o->threads, NULL, &g, err);
    free(dtr); free(dte);
    if (rc) return rc;
    size_t per = (size_t)tr->image_w * tr->image_h * tr->channels;
    for (size_t t = 0; t < te->n; t++) {
        if (best[t].train >= 0) continue;
        for (size_t c = 0; c < kc; c++) {
            int dx, dy;
            int64_t j = g.index[t * kc + c];
            double corr = dc_image_match(tr->pixels + (size_t)j * per, te->pixels + t * per, tr->image_w,
                                         tr->image_h, tr->channels, &dx, &dy);
            if (corr >= DC_IMAGE_NEAR_DUP_CORR && (best[t].train < 0 || 1 - corr < best[t].distance))
                best[t] = (dc_leak){(int64_t)t, j, DC_LEAK_IMAGE, 1 - corr, 1 - corr};
        }
    }
    dc_knn_free(&g);
    return 0;
}

int dc_run_leakage(const dc_input *in, const dc_opts *o, dc_result *r, la_error *err)
{
    const dc_split *tr = &in->train, *te = in->test;
    dc_leak *best = la_malloc_array(te->n + 1, sizeof *best);
    if (!best) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t t = 0; t < te->n; t++) best[t] = (dc_leak){(int64_t)t, -1, DC_LEAK_EXACT, 0, 0};
    int rc = 0, feat = tr->feat.n && te->feat.n;
    if (feat) rc = dc_leak_exact(tr, te, best, err);
    if (!rc && tr->image_paths && te->image_paths) rc = dc_leak_files(tr, te, best, err);
    if (!rc && feat && r->knn.n) rc = dc_leak_near(tr, te, o, r, best, err);
    if (!rc && tr->pixels && te->pixels && tr->n) rc = dc_leak_images(tr, te, o, best, err);
    if (rc) { free(best); return rc; }
    size_t m = 0;
    for (size_t t = 0; t < te->n; t++)
        if (best[t].train >= 0) best[m++] = best[t];
    r->leaks = best;
    r->n_leaks = m;
    r->n_test = te->n;
    r->ran |= DC_BIT(DC_CHECK_LEAKAGE);
    return 0;
}

/* ---- the issue list --------------------------------------------------------- */

static int dc_issue_cmp(const void *a, const void *b)
{
    const dc_issue *x = a, *y = b;
    if (x->score != y->score) return x->score < y->score ? -1 : 1;
    if (x->type != y->type) return x->type < y->type ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

typedef struct dc_list { dc_issue *v; size_t n, cap; } dc_list;

static int dc_push(dc_list *l, int64_t index, int type, double score, int64_t partner)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 1024;
        dc_issue *v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v; l->cap = cap;
    }
    l->v[l->n++] = (dc_issue){index, type, score, partner};
    return 0;
}

/* Members of groups (rows, then files): one exact_duplicate row each, and a
 * label_conflict row for members of a group with different labels. */
static int dc_push_groups(dc_list *l, const dc_groups *g, const uint8_t *conflict, const int32_t *labels,
                          uint8_t *seen_dup, uint8_t *seen_conf)
{
    for (size_t t = 0; t < g->n_groups; t++)
        for (size_t m = g->start[t]; m < g->start[t + 1]; m++) {
            int64_t i = g->member[m], other = g->member[m == g->start[t] ? m + 1 : g->start[t]];
            if (!seen_dup[i] && dc_push(l, i, DC_ISSUE_EXACT_DUPLICATE, 0, other)) return -1;
            seen_dup[i] = 1;
            if (!conflict[t] || seen_conf[i]) continue;
            int64_t diff = -1;
            for (size_t q = g->start[t]; q < g->start[t + 1] && diff < 0; q++)
                if (labels[g->member[q]] != labels[i]) diff = g->member[q];
            if (dc_push(l, i, DC_ISSUE_LABEL_CONFLICT, 0, diff)) return -1;
            seen_conf[i] = 1;
        }
    return 0;
}

static int dc_push_images(dc_list *l, const dc_result *r, double *best, int64_t *partner)
{
    for (size_t i = 0; i < r->n; i++) { best[i] = -1; partner[i] = -1; }
    for (size_t t = 0; t < r->n_pairs; t++) {
        const dc_pair *p = &r->pairs[t];
        if (p->corr > best[p->a]) { best[p->a] = p->corr; partner[p->a] = p->b; }
        if (p->corr > best[p->b]) { best[p->b] = p->corr; partner[p->b] = p->a; }
    }
    for (size_t i = 0; i < r->n; i++)
        if (partner[i] >= 0 && dc_push(l, (int64_t)i, DC_ISSUE_IMAGE_NEAR_DUPLICATE, 1 - best[i], partner[i]))
            return -1;
    const dc_defects *d = &r->defects;
    for (size_t i = 0; i < d->n; i++)
        for (int t = 0; t < DC_DEFECT_COUNT; t++)
            if (d->flag[i * DC_DEFECT_COUNT + t] &&
                dc_push(l, (int64_t)i, DC_ISSUE_DEFECT0 + t, d->score[i * DC_DEFECT_COUNT + t], -1))
                return -1;
    return 0;
}

static int dc_push_all(dc_list *l, const dc_input *in, const dc_result *r, uint8_t *seen, double *best,
                       int64_t *partner)
{
    size_t n = r->n;
    if (r->ran & DC_BIT(DC_CHECK_NEAR_DUPLICATE))
        for (size_t i = 0; i < n; i++)
            if (r->nd.is_issue[i] &&
                dc_push(l, (int64_t)i, DC_ISSUE_NEAR_DUPLICATE, r->nd.score[i], r->knn.index[i * r->k]))
                return -1;
    if (r->ran & DC_BIT(DC_CHECK_OUTLIER))
        for (size_t i = 0; i < n; i++)
            if (r->od.is_issue[i] && dc_push(l, (int64_t)i, DC_ISSUE_OUTLIER, r->od.score[i], -1)) return -1;
    if (r->ran & DC_BIT(DC_CHECK_LABEL))
        for (size_t i = 0; i < n; i++)
            if (in->label_issue[i] &&
                dc_push(l, (int64_t)i, DC_ISSUE_LABEL, in->label_score ? in->label_score[i] : 0, -1))
                return -1;
    if (r->ran & DC_BIT(DC_CHECK_EXACT_DUPLICATE)) {
        uint8_t *conf = seen + n;
        if (dc_push_groups(l, &r->rows, r->rows_conflict, in->train.labels, seen, conf) ||
            dc_push_groups(l, &r->files, r->files_conflict, in->train.labels, seen, conf))
            return -1;
    }
    if ((r->ran & DC_BIT(DC_CHECK_IMAGE)) && dc_push_images(l, r, best, partner)) return -1;
    for (size_t t = 0; t < r->n_leaks; t++)
        if (dc_push(l, r->leaks[t].test, DC_ISSUE_LEAKAGE, r->leaks[t].score, r->leaks[t].train)) return -1;
    return 0;
}

int dc_build_issues(const dc_input *in, dc_result *r, la_error *err)
{
    dc_list l = {0};
    uint8_t *seen = la_calloc(2 * r->n + 1, 1);
    double *best = la_malloc_array(r->n + 1, sizeof *best);
    int64_t *partner = la_malloc_array(r->n + 1, sizeof *partner);
    int bad = !seen || !best || !partner || dc_push_all(&l, in, r, seen, best, partner);
    free(seen); free(best); free(partner);
    if (bad) { free(l.v); return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the issue list"); }
    if (l.n) qsort(l.v, l.n, sizeof *l.v, dc_issue_cmp);
    r->issues = l.v;
    r->n_issues = l.n;
    for (size_t t = 0; t < l.n; t++) r->count[l.v[t].type]++;
    return 0;
}
