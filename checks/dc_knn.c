/*
 * dc_knn.c — blocked exact kNN (see dc_knn.h). Query rows are cut into blocks
 * of DC_QB rows, handed to threads round-robin; each block is multiplied
 * against DC_RB reference rows at a time, so memory is one DC_QB x DC_RB
 * product per thread plus a few candidates per query row. The GEMM picks
 * candidates; the reported distances are recomputed in double.
 */
#include "dc_knn.h"

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../util/la_par.h"

const char *const dc_metric_names[3] = {"auto", "cosine", "euclidean"};

/* Block shapes: a 256 x 2048 double product is 4 MB, L2/L3 friendly. */
enum { DC_QB = 256, DC_RB = 2048, DC_SCAN = 32 };
/* Extra candidates per row beyond k, re-ranked in double: GEMM rounding in
 * float32 can swap neighbours whose distances differ by ~1e-6 relative. */
enum { DC_MARGIN_F32 = 8, DC_MARGIN_F64 = 2 };

dc_metric dc_metric_resolve(dc_metric m, size_t d)
{
    if (m != DC_METRIC_AUTO) return m;
    return d > DC_HIGH_DIMENSION_CUTOFF ? DC_METRIC_COSINE : DC_METRIC_EUCLIDEAN;
}

/* 1/|x_i| (0 for a zero row: it stays zero, as sklearn's normalize leaves it)
 * or |x_i|^2, for every row. */
static void dc_row_stats(const dc_matrix *x, dc_metric m, double *out)
{
    for (size_t i = 0; i < x->n; i++) {
        double s = 0;
        for (size_t j = 0; j < x->d; j++) {
            double v = dc_at(x, i, j);
            s += v * v;
        }
        out[i] = m == DC_METRIC_COSINE ? (s > 0 ? 1.0 / sqrt(s) : 0.0) : s;
    }
}

double dc_distance(const dc_matrix *a, size_t i, const dc_matrix *b, size_t j, dc_metric m)
{
    double s = 0;
    if (m == DC_METRIC_EUCLIDEAN) {
        for (size_t c = 0; c < a->d; c++) {
            double t = dc_at(a, i, c) - dc_at(b, j, c);
            s += t * t;
        }
        return sqrt(s);
    }
    /* cosine: 1 - (x/|x|).(y/|y|), clipped to [0, 2] like sklearn */
    double na = 0, nb = 0;
    for (size_t c = 0; c < a->d; c++) {
        double x = dc_at(a, i, c), y = dc_at(b, j, c);
        s += x * y;
        na += x * x;
        nb += y * y;
    }
    double ia = na > 0 ? 1.0 / sqrt(na) : 0.0, ib = nb > 0 ? 1.0 / sqrt(nb) : 0.0;
    double dist = 1.0 - s * ia * ib;
    return dist < 0 ? 0 : dist > 2 ? 2 : dist;
}

typedef struct dc_knn_job {
    const dc_matrix *ref, *query;
    int              self;            /* query is ref: skip j == i               */
    dc_metric        m;
    size_t           k, c;            /* neighbours kept, candidates tracked     */
    const double    *rstat, *qstat;   /* dc_row_stats of ref and query           */
    const float     *rstat_f;         /* rstat in float (float32 input), or NULL */
    dc_knn          *out;
    atomic_size_t    done;            /* query rows finished                     */
    atomic_int       oom;
    la_progress     *pg;
    size_t           q_lo, q_hi;      /* the query rows computed: [q_lo, q_hi),
                                         q_lo a multiple of DC_QB               */
} dc_knn_job;

/* Inserts (s, j) into a row's sorted candidates (cnt of cap): an equal
 * surrogate goes after the existing ones, so lower indices win ties. */
static void dc_cand_insert(double *cs, int64_t *ci, size_t *cnt, size_t cap, double s, int64_t j)
{
    size_t p = *cnt < cap ? (*cnt)++ : cap - 1;
    while (p > 0 && cs[p - 1] > s) { cs[p] = cs[p - 1]; ci[p] = ci[p - 1]; p--; }
    cs[p] = s; ci[p] = j;
}

/* prod = Q R^T for query rows [q0, q0+nq) and reference rows [r0, r0+nr). */
static void dc_gemm(const dc_knn_job *J, size_t q0, size_t nq, size_t r0, size_t nr, void *prod)
{
    const dc_matrix *q = J->query, *r = J->ref;
    int d = (int)q->d;
    if (q->f32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nr, d, 1.0f, q->f32 + q0 * q->d, d,
                    r->f32 + r0 * r->d, d, 0.0f, prod, (int)nr);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nr, d, 1.0, q->f64 + q0 * q->d, d,
                    r->f64 + r0 * r->d, d, 0.0, prod, (int)nr);
}

/* Candidates of query row qi from one product row: surrogate s orders like
 * the distance (cosine: d - 1 = -x.y/(|x||y|); euclidean: d^2 - |q|^2).
 * Blocks of DC_SCAN entries whose minimum cannot enter the candidates are
 * skipped after one vectorisable pass; float32 input is scanned in float
 * (the candidates are re-ranked in double afterwards). */
static void dc_scan_row(const dc_knn_job *J, size_t qi, const void *prow, size_t r0, size_t nr, double *s,
                        double *cs, int64_t *ci, size_t *cnt)
{
    const float *pf = J->query->f32 ? prow : NULL;
    const double *pd = pf ? NULL : prow;
    int cos = J->m == DC_METRIC_COSINE;
    for (size_t j0 = 0; j0 < nr; j0 += DC_SCAN) {
        size_t nb = nr - j0 < DC_SCAN ? nr - j0 : DC_SCAN;
        double lo;
        if (pf) {
            const float *rs = J->rstat_f + r0 + j0, *p = pf + j0;
            float qs = (float)J->qstat[qi], lf = INFINITY, sf[DC_SCAN];
            if (cos) for (size_t j = 0; j < nb; j++) sf[j] = -p[j] * qs * rs[j];
            else for (size_t j = 0; j < nb; j++) sf[j] = rs[j] - 2.0f * p[j];
            for (size_t j = 0; j < nb; j++) lf = sf[j] < lf ? sf[j] : lf;
            lo = lf;
            if (*cnt == J->c && lo >= cs[J->c - 1]) continue;
            for (size_t j = 0; j < nb; j++) s[j] = sf[j];
        } else {
            const double *rs = J->rstat + r0 + j0;
            double qs = J->qstat[qi];
            lo = INFINITY;
            for (size_t j = 0; j < nb; j++) {
                double v = cos ? -pd[j0 + j] * qs * rs[j] : rs[j] - 2.0 * pd[j0 + j];
                s[j] = v;
                lo = v < lo ? v : lo;
            }
            if (*cnt == J->c && lo >= cs[J->c - 1]) continue;
        }
        for (size_t j = 0; j < nb; j++) {
            size_t g = r0 + j0 + j;
            if (J->self && g == qi) continue;
            if (*cnt == J->c && s[j] >= cs[J->c - 1]) continue;
            dc_cand_insert(cs, ci, cnt, J->c, s[j], (int64_t)g);
        }
    }
}

/* The exact distances of a row's candidates, best k into the output. */
static void dc_finish_row(const dc_knn_job *J, size_t qi, const int64_t *ci, size_t cnt, double *cs, int64_t *idx)
{
    size_t n = 0;
    for (size_t t = 0; t < cnt; t++) {
        double dist = dc_distance(J->query, qi, J->ref, (size_t)ci[t], J->m);
        size_t p = n++;
        while (p > 0 && (cs[p - 1] > dist || (cs[p - 1] == dist && idx[p - 1] > ci[t]))) {
            cs[p] = cs[p - 1]; idx[p] = idx[p - 1]; p--;
        }
        cs[p] = dist; idx[p] = ci[t];
    }
    for (size_t t = 0; t < J->k; t++) {
        J->out->index[qi * J->k + t] = idx[t];
        J->out->dist[qi * J->k + t] = cs[t];
    }
}

static void dc_knn_part(void *ctx, int t, int T)
{
    dc_knn_job *J = ctx;
    size_t es = J->query->f32 ? sizeof(float) : sizeof(double);
    void *prod = malloc((size_t)DC_QB * DC_RB * es);
    double *cs = malloc((size_t)DC_QB * J->c * sizeof *cs);
    int64_t *ci = malloc((size_t)DC_QB * J->c * sizeof *ci);
    size_t *cnt = malloc(DC_QB * sizeof *cnt);
    int64_t *idx = malloc(J->c * sizeof *idx);
    double s[DC_SCAN];
    if (!prod || !cs || !ci || !cnt || !idx) { atomic_store(&J->oom, 1); goto out; }
    size_t nq = J->q_hi, nr = J->ref->n;
    for (size_t q0 = J->q_lo + (size_t)t * DC_QB; q0 < nq; q0 += (size_t)T * DC_QB) {
        size_t qb = nq - q0 < DC_QB ? nq - q0 : DC_QB;
        memset(cnt, 0, qb * sizeof *cnt);
        for (size_t r0 = 0; r0 < nr; r0 += DC_RB) {
            size_t rb = nr - r0 < DC_RB ? nr - r0 : DC_RB;
            dc_gemm(J, q0, qb, r0, rb, prod);
            for (size_t i = 0; i < qb; i++)
                dc_scan_row(J, q0 + i, (const char *)prod + i * rb * es, r0, rb, s, cs + i * J->c, ci + i * J->c,
                            &cnt[i]);
        }
        for (size_t i = 0; i < qb; i++) dc_finish_row(J, q0 + i, ci + i * J->c, cnt[i], cs + i * J->c, idx);
        size_t done = atomic_fetch_add(&J->done, qb) + qb;
        if (t == 0 && J->pg) la_progress_update(J->pg, (long long)done);
    }
out:
    free(prod); free(cs); free(ci); free(cnt); free(idx);
}

/* The neighbour lists of query rows [q_lo, q_hi) into out (sized for every
 * query row; the other rows are left zero). */
static int dc_knn_rows(const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m, int threads,
                       la_progress *pg, size_t q_lo, size_t q_hi, dc_knn *out, la_error *err)
{
    assert(ref && out && (ref->f32 != NULL) != (ref->f64 != NULL) && m != DC_METRIC_AUTO && k >= 1);
    memset(out, 0, sizeof *out);
    int self = query == NULL;
    if (self) query = ref;
    assert(query->d == ref->d && (query->f32 != NULL) == (ref->f32 != NULL));
    size_t avail = ref->n - (size_t)self;
    if (ref->n < (size_t)self || k > avail)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "k = %zu neighbours need more than %zu examples", k,
                            avail);
    size_t margin = ref->f32 ? DC_MARGIN_F32 : DC_MARGIN_F64;
    dc_knn_job J = {.ref = ref, .query = query, .self = self, .m = m, .k = k, .pg = pg,
                    .c = k + margin < avail ? k + margin : avail, .out = out,
                    .q_lo = q_lo, .q_hi = q_hi == SIZE_MAX ? query->n : q_hi};
    double *rstat = la_malloc_array(ref->n, sizeof *rstat);
    double *qstat = self ? rstat : la_malloc_array(query->n, sizeof *qstat);
    float *rstat_f = NULL;
    out->index = la_big_alloc(query->n * k, sizeof *out->index);
    out->dist = la_big_alloc(query->n * k, sizeof *out->dist);
    if (!rstat || !qstat || !out->index || !out->dist) goto oom;
    out->n = query->n;
    out->k = k;
    dc_row_stats(ref, m, rstat);
    if (!self) dc_row_stats(query, m, qstat);
    if (ref->f32) {
        if (!(rstat_f = la_malloc_array(ref->n, sizeof *rstat_f))) goto oom;
        for (size_t i = 0; i < ref->n; i++) rstat_f[i] = (float)rstat[i];
    }
    J.rstat_f = rstat_f;
    J.rstat = rstat;
    J.qstat = qstat;
    atomic_init(&J.done, 0);
    atomic_init(&J.oom, 0);
    /* our threads each run a single-threaded GEMM */
    int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
    la_par_run(threads < 1 ? 1 : threads, dc_knn_part, &J);
    openblas_set_num_threads(blas_threads);
    if (atomic_load(&J.oom)) goto oom;
    if (!self) free(qstat);
    free(rstat);
    free(rstat_f);
    return 0;
oom:
    if (!self) free(qstat);
    free(rstat);
    free(rstat_f);
    dc_knn_free(out);
    return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory for the nearest-neighbour search");
}

int dc_knn_build(const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m, int threads,
                 la_progress *pg, dc_knn *out, la_error *err)
{
    return dc_knn_rows(ref, query, k, m, threads, pg, 0, SIZE_MAX, out, err);
}

/* Over ranks: rank r computes the query rows of la_coll_split(nq, r, size,
 * DC_QB), whole DC_QB blocks, so every block is the one one process
 * computes (same GEMM shapes, same candidates); the rows' lists are
 * gathered at rank 0 in rank order, which is row order, and broadcast, so
 * every rank ends with the one-process graph. Traffic: 16 bytes per
 * neighbour, into rank 0 and back out. */
int dc_knn_build_coll(const la_collective *c, const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m,
                      int threads, la_progress *pg, dc_knn *out, la_error *err)
{
    if (!la_coll_active(c)) return dc_knn_build(ref, query, k, m, threads, pg, out, err);
    size_t nq = query ? query->n : ref->n, lo, hi;
    la_coll_split(nq, c->rank, c->size, DC_QB, &lo, &hi);
    int rc = dc_knn_rows(ref, query, k, m, threads, pg, lo, hi, out, err);
    if ((rc = la_coll_agree(c, rc, err))) { dc_knn_free(out); return rc; }
    size_t row = k * sizeof(int64_t), n = (hi - lo) * k;
    int64_t *idx = NULL;
    double *dist = NULL;
    rc = la_coll_gather(c, out->index + lo * k, n * sizeof *idx, (void **)&idx, NULL, err);
    if (!rc) rc = la_coll_gather(c, out->dist + lo * k, n * sizeof *dist, (void **)&dist, NULL, err);
    if (!rc && c->rank == 0) {   /* the whole graph, in row order */
        memcpy(out->index, idx, nq * row);
        memcpy(out->dist, dist, nq * k * sizeof *dist);
    }
    free(idx);
    free(dist);
    if (!rc) rc = la_coll_bcast(c, out->index, nq * row, err);
    if (!rc) rc = la_coll_bcast(c, out->dist, nq * k * sizeof *dist, err);
    if (rc) dc_knn_free(out);
    return rc;
}

void dc_knn_free(dc_knn *g)
{
    if (!g) return;
    free(g->index);
    free(g->dist);
    memset(g, 0, sizeof *g);
}
