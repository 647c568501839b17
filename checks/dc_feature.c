/*
 * dc_feature.c — exact-duplicate groups, the kNN graph correction, near
 * duplicates and outliers exactly as cleanlab 2.9.0's Datalab computes them
 * (see dc_feature.h). The arithmetic follows numpy where it decides a flag:
 * median and linear percentiles (with numpy's two-sided lerp), the pairwise
 * summation of a row mean.
 */
#include "dc_feature.h"

#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- grouping by hash ------------------------------------------------- */

typedef struct dc_hidx { uint64_t h; size_t i; } dc_hidx;

static int dc_hidx_cmp(const void *a, const void *b)
{
    const dc_hidx *x = a, *y = b;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int dc_group_by_hash(size_t n, const uint64_t *hash, dc_equal_fn eq, void *ctx, dc_groups *g, la_error *err)
{
    memset(g, 0, sizeof *g);
    dc_hidx *v = la_malloc_array(n ? n : 1, sizeof *v);
    int64_t *gid = la_malloc_array(n ? n : 1, sizeof *gid);
    size_t *size = la_calloc(n ? n : 1, sizeof *size);
    if (!v || !gid || !size) goto oom;
    for (size_t i = 0; i < n; i++) { v[i].h = hash[i]; v[i].i = i; gid[i] = (int64_t)i; }
    qsort(v, n, sizeof *v, dc_hidx_cmp);
    /* within a run of equal hashes, each item joins the first earlier head it
     * equals (heads are the run's smallest members of their groups) */
    for (size_t r0 = 0, r1; r0 < n; r0 = r1) {
        for (r1 = r0 + 1; r1 < n && v[r1].h == v[r0].h; r1++) {}
        for (size_t a = r0 + 1; a < r1; a++)
            for (size_t b = r0; b < a; b++) {
                if (gid[v[b].i] != (int64_t)v[b].i) continue;          /* not a head */
                if (!eq || eq(ctx, v[b].i, v[a].i)) { gid[v[a].i] = (int64_t)v[b].i; break; }
            }
    }
    size_t members = 0;
    for (size_t i = 0; i < n; i++) size[gid[i]]++;
    for (size_t i = 0; i < n; i++)
        if (gid[i] == (int64_t)i && size[i] > 1) { g->n_groups++; members += size[i]; }
    g->start = la_calloc(g->n_groups + 1, sizeof *g->start);
    g->member = la_malloc_array(members ? members : 1, sizeof *g->member);
    if (!g->start || !g->member) goto oom;
    /* group number of each head, in head order; then members in index order */
    size_t ng = 0;
    for (size_t i = 0; i < n; i++)
        if (gid[i] == (int64_t)i && size[i] > 1) { g->start[ng + 1] = g->start[ng] + size[i]; size[i] = ng++; }
        else if (gid[i] == (int64_t)i) size[i] = (size_t)-1;
    size_t *fill = (size_t *)v;        /* reuse: n_groups <= n / 2 cursors */
    for (size_t t = 0; t < g->n_groups; t++) fill[t] = g->start[t];
    for (size_t i = 0; i < n; i++) {
        size_t grp = size[gid[i]];
        if (grp != (size_t)-1) g->member[fill[grp]++] = (int64_t)i;
    }
    free(v); free(gid); free(size);
    return 0;
oom:
    free(v); free(gid); free(size);
    dc_groups_free(g);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory grouping duplicates");
}

void dc_groups_free(dc_groups *g)
{
    if (!g) return;
    free(g->start);
    free(g->member);
    memset(g, 0, sizeof *g);
}

/* ---- identical rows ----------------------------------------------------- */

uint64_t dc_row_hash(const dc_matrix *x, size_t i)
{
    uint64_t h = 1469598103934665603ULL;             /* FNV-1a over the doubles */
    for (size_t j = 0; j < x->d; j++) {
        double v = dc_at(x, i, j);
        if (v == 0) v = 0;                           /* -0 hashes as 0 */
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        h = (h ^ b) * 1099511628211ULL;
        h ^= h >> 29;
    }
    return h;
}

int dc_rows_equal(const dc_matrix *a, size_t i, const dc_matrix *b, size_t j)
{
    assert(a->d == b->d);
    for (size_t c = 0; c < a->d; c++)
        if (dc_at(a, i, c) != dc_at(b, j, c)) return 0;
    return 1;
}

static int dc_rows_equal_self(void *ctx, size_t a, size_t b)
{
    const dc_matrix *x = ctx;
    return dc_rows_equal(x, a, x, b);
}

int dc_exact_groups(const dc_matrix *x, dc_groups *g, la_error *err)
{
    uint64_t *h = la_malloc_array(x->n ? x->n : 1, sizeof *h);
    if (!h) {
        memset(g, 0, sizeof *g);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory hashing feature rows");
    }
    for (size_t i = 0; i < x->n; i++) h[i] = dc_row_hash(x, i);
    int rc = dc_group_by_hash(x->n, h, dc_rows_equal_self, (void *)x, g, err);
    free(h);
    return rc;
}

/* ---- the kNN graph correction ------------------------------------------ */

static int dc_in_group(const int64_t *m, size_t s, int64_t j)
{
    for (size_t t = 0; t < s; t++)
        if (m[t] == j) return 1;
    return 0;
}

/* Row r of the first min(s, k+1) members: those members without m[r]. */
static void dc_fill_members(int64_t *idx, double *dist, const int64_t *m, size_t base, size_t r)
{
    size_t c = 0;
    for (size_t t = 0; t < base; t++)
        if (t != r) { idx[c] = m[t]; dist[c] = 0; c++; }
}

int dc_knn_correct(dc_knn *g, const dc_groups *dups, la_error *err)
{
    size_t k = g->k;
    int64_t *keep_i = la_malloc_array(k, sizeof *keep_i);
    double *keep_d = la_malloc_array(k, sizeof *keep_d);
    if (!keep_i || !keep_d) {
        free(keep_i); free(keep_d);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory correcting the kNN graph");
    }
    for (size_t grp = 0; grp < dups->n_groups; grp++) {
        const int64_t *m = dups->member + dups->start[grp];
        size_t s = dups->start[grp + 1] - dups->start[grp];
        size_t inc = s - 1 < k ? s - 1 : k;          /* members among the neighbours */
        for (size_t r = 0; r < s; r++) {
            int64_t *idx = g->index + (size_t)m[r] * k;
            double *dist = g->dist + (size_t)m[r] * k;
            if (s >= k + 1) {
                /* all neighbours are members: the first k+1 see each other, the rest the first k */
                if (r <= k) dc_fill_members(idx, dist, m, k + 1, r);
                else for (size_t c = 0; c < k; c++) { idx[c] = m[c]; dist[c] = 0; }
                continue;
            }
            /* the row's first k - inc non-members, in order, move to the back */
            size_t nk = 0;
            for (size_t c = 0; c < k && nk < k - inc; c++)
                if (!dc_in_group(m, s, idx[c])) { keep_i[nk] = idx[c]; keep_d[nk] = dist[c]; nk++; }
            dc_fill_members(idx, dist, m, s, r);
            for (size_t c = 0; c < nk; c++) { idx[inc + c] = keep_i[c]; dist[inc + c] = keep_d[c]; }
        }
    }
    free(keep_i); free(keep_d);
    return 0;
}

/* ---- numpy's statistics --------------------------------------------------- */

static int dc_dbl_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double dc_median_inplace(double *v, size_t n)
{
    assert(n >= 1);
    qsort(v, n, sizeof *v, dc_dbl_cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double dc_percentile_sorted(const double *v, size_t n, double q)
{
    assert(n >= 1);
    double pos = (double)(n - 1) * (q / 100.0);
    double fl = floor(pos), t = pos - fl;
    size_t lo = (size_t)fl, hi = lo + 1 < n ? lo + 1 : n - 1;
    double a = v[lo], b = v[hi], diff = b - a;
    /* numpy's _lerp: a + (b-a) t, or b - (b-a)(1-t) when t >= 0.5 */
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/* numpy's pairwise sum of a short contiguous row (8 accumulators). */
static double dc_np_sum(const double *a, size_t n)
{
    if (n < 8) {
        double s = 0;
        for (size_t i = 0; i < n; i++) s += a[i];
        return s;
    }
    if (n > 128) {
        size_t h = (n / 2) & ~(size_t)7;
        return dc_np_sum(a, h) + dc_np_sum(a + h, n - h);
    }
    double r[8];
    size_t i;
    for (i = 0; i < 8; i++) r[i] = a[i];
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++) r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += a[i];
    return s;
}

/* ---- near duplicates ---------------------------------------------------- */

typedef struct dc_edge { int64_t a, b; } dc_edge;

static int dc_edge_cmp(const void *x, const void *y)
{
    const dc_edge *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

int dc_near_duplicates(const dc_knn *g, double threshold, dc_near_dup *out, la_error *err)
{
    size_t n = g->n, k = g->k;
    memset(out, 0, sizeof *out);
    double *nn = la_malloc_array(n, sizeof *nn);
    out->is_issue = la_calloc(n, 1);
    out->score = la_malloc_array(n, sizeof *out->score);
    out->set_start = la_calloc(n + 1, sizeof *out->set_start);
    if (!nn || !out->is_issue || !out->score || !out->set_start) goto oom;
    for (size_t i = 0; i < n; i++) nn[i] = g->dist[i * k];
    double med = dc_median_inplace(nn, n);
    out->median_nn = med > DC_EPSILON ? med : DC_EPSILON;
    out->radius = threshold * out->median_nn;
    double temperature = 1.0 / out->median_nn;
    for (size_t i = 0; i < n; i++) {
        double d = g->dist[i * k];
        /* np.isclose(d, 0): |d| <= 1e-8 */
        out->score[i] = fabs(d) <= 1e-8 ? 0.0 : 1.0 - exp(-temperature * d);
    }
    /* within-radius edges and their reverses, sorted and deduplicated */
    size_t ne = 0;
    for (size_t i = 0; i < n * k; i++) ne += g->dist[i] < out->radius;
    dc_edge *e = la_malloc_array(2 * ne + 1, sizeof *e);
    if (!e) goto oom;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < k; c++)
            if (g->dist[i * k + c] < out->radius) {
                e[m++] = (dc_edge){(int64_t)i, g->index[i * k + c]};
                e[m++] = (dc_edge){g->index[i * k + c], (int64_t)i};
            }
    qsort(e, m, sizeof *e, dc_edge_cmp);
    out->set = la_malloc_array(m + 1, sizeof *out->set);
    if (!out->set) { free(e); goto oom; }
    size_t u = 0;
    for (size_t t = 0; t < m; t++) {
        if (t && e[t].a == e[t - 1].a && e[t].b == e[t - 1].b) continue;
        out->set[u++] = e[t].b;
        out->set_start[e[t].a + 1]++;
    }
    for (size_t i = 0; i < n; i++) {
        out->set_start[i + 1] += out->set_start[i];
        out->is_issue[i] = out->set_start[i + 1] > out->set_start[i];
        out->n_issues += out->is_issue[i];
    }
    free(e);
    free(nn);
    return 0;
oom:
    free(nn);
    dc_near_dup_free(out);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the near-duplicate sets");
}

void dc_near_dup_free(dc_near_dup *r)
{
    if (!r) return;
    free(r->is_issue); free(r->score); free(r->set_start); free(r->set);
    memset(r, 0, sizeof *r);
}

/* ---- outliers ------------------------------------------------------------- */

int dc_outliers(const dc_knn *g, dc_metric m, double threshold, dc_outlier *out, la_error *err)
{
    size_t n = g->n, k = g->k;
    memset(out, 0, sizeof *out);
    out->is_issue = la_calloc(n, 1);
    out->score = la_malloc_array(n, sizeof *out->score);
    out->avg_dist = la_malloc_array(n, sizeof *out->avg_dist);
    double *v = la_malloc_array(n, sizeof *v);
    if (!out->is_issue || !out->score || !out->avg_dist || !v) {
        free(v);
        dc_outlier_free(out);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the outlier scores");
    }
    for (size_t i = 0; i < n; i++) v[i] = out->avg_dist[i] = dc_np_sum(g->dist + i * k, k) / (double)k;
    double med = dc_median_inplace(v, n);                      /* v is now sorted */
    double q1 = dc_percentile_sorted(v, n, 25), q3 = dc_percentile_sorted(v, n, 75);
    double iqr_scale = threshold != 0 ? 1.0 / threshold - 1.0 : INFINITY;
    out->issue_threshold = q3 + iqr_scale * (q3 - q1);
    out->scaling_factor = med > 100 * DBL_EPSILON ? med : 100 * DBL_EPSILON;
    double scale = out->scaling_factor > DC_EPSILON ? out->scaling_factor : DC_EPSILON;
    /* cleanlab's correct_precision_errors: below tolerance the score is 1 */
    double tol = m == DC_METRIC_COSINE ? 100 * (DBL_EPSILON / 2) : sqrt(100 * DBL_EPSILON);
    for (size_t i = 0; i < n; i++) {
        double a = out->avg_dist[i];
        out->is_issue[i] = a > out->issue_threshold;
        out->n_issues += out->is_issue[i];
        out->score[i] = a < tol ? 1.0 : exp(-a / scale);
    }
    free(v);
    return 0;
}

void dc_outlier_free(dc_outlier *r)
{
    if (!r) return;
    free(r->is_issue); free(r->score); free(r->avg_dist);
    memset(r, 0, sizeof *r);
}
