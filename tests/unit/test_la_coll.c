/*
 * test_la_coll.c — cmocka tests of util/la_coll.h and of cl_run across ranks
 * (cl_opts.coll) without MPI: a la_collective over threads (one thread per
 * rank, pthread barriers between the steps) runs cl_run on R row ranges of
 * one matrix, and rank 0's result must equal the one-process result byte
 * for byte (thresholds, joints, flags, ranking) for every pruning filter,
 * with exact ties at the cuts, chunks smaller than a rank's part and
 * 8192-value class blocks cut by the rank boundaries; a bad probability on
 * the last rank stops every rank with the one-process message. Also the
 * row split and the NULL (one-process) wrappers. Runs under `make check`'s
 * sanitizers, which the MPI binary does not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/cl_run.h"
#include "checks/dc_knn.h"
#include "util/la_coll.h"

enum { TC_MAX = 8 };

/* ---- a la_collective over threads -------------------------------------- */

typedef struct tc_world {
    int               R;
    pthread_barrier_t bar;
    const void       *buf[TC_MAX];
    size_t            bytes[TC_MAX];
    int               rc[TC_MAX];
    la_error          err[TC_MAX];
} tc_world;

typedef struct tc_rank {
    la_collective c;
    tc_world     *w;
    int           agreed;       /* an agreed failure: answer it again      */
    la_error      aerr;
} tc_rank;

static void tc_wait(tc_world *w) { pthread_barrier_wait(&w->bar); }

static int tc_allreduce(void *ctx, int64_t *v, size_t n)
{
    tc_rank *r = ctx;
    int64_t *mine = malloc(n * sizeof *mine);
    memcpy(mine, v, n * sizeof *v);
    r->w->buf[r->c.rank] = mine;
    tc_wait(r->w);
    for (size_t i = 0; i < n; i++) {
        int64_t s = 0;
        for (int q = 0; q < r->w->R; q++) s += ((const int64_t *)r->w->buf[q])[i];
        v[i] = s;
    }
    tc_wait(r->w);
    free(mine);
    return 0;
}

static int tc_gatherv(void *ctx, const void *buf, size_t bytes, void **out, size_t *lens)
{
    tc_rank *r = ctx;
    r->w->buf[r->c.rank] = buf;
    r->w->bytes[r->c.rank] = bytes;
    *out = NULL;
    tc_wait(r->w);
    if (r->c.rank == 0) {
        size_t tot = 0, at = 0;
        for (int q = 0; q < r->w->R; q++) tot += r->w->bytes[q];
        char *o = malloc(tot + 1);
        for (int q = 0; q < r->w->R; q++) {
            memcpy(o + at, r->w->buf[q], r->w->bytes[q]);
            at += r->w->bytes[q];
            if (lens) lens[q] = r->w->bytes[q];
        }
        *out = o;
    }
    tc_wait(r->w);
    return 0;
}

static int tc_bcast(void *ctx, void *buf, size_t bytes)
{
    tc_rank *r = ctx;
    if (r->c.rank == 0) r->w->buf[0] = buf;
    tc_wait(r->w);
    if (r->c.rank != 0) memcpy(buf, r->w->buf[0], bytes);
    tc_wait(r->w);
    return 0;
}

static int tc_agree(void *ctx, int rc, la_error *err)
{
    tc_rank *r = ctx;
    if (r->agreed) { *err = r->aerr; return r->aerr.status; }
    r->w->rc[r->c.rank] = rc;
    if (rc) r->w->err[r->c.rank] = *err;
    tc_wait(r->w);
    int first = -1;
    for (int q = 0; q < r->w->R && first < 0; q++) if (r->w->rc[q]) first = q;
    if (first >= 0) {
        *err = r->w->err[first];
        err->status = r->w->rc[first];
        r->aerr = *err;
        r->agreed = 1;
    }
    tc_wait(r->w);
    return first >= 0 ? err->status : 0;
}

/* ---- cl_run per rank ---------------------------------------------------- */

typedef struct tc_job {
    tc_rank        rank;
    size_t         n, k, lo, hi, chunk;
    const float   *p;
    const int32_t *y;
    cl_opts        o;
    cl_result      res;
    la_error       err;
    int            rc;
} tc_job;

static int tc_read(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    const tc_job *j = ctx;
    (void)nrows; (void)err;
    *out = j->p + (j->lo + row0) * j->k;
    return 0;
}

static void *tc_thread(void *arg)
{
    tc_job *j = arg;
    cl_reader rd = {.ctx = j, .elem = 4, .chunk_rows = j->chunk, .read = tc_read, .path = "probs.npy"};
    la_error_clear(&j->err);
    j->rc = cl_run(j->hi - j->lo, j->k, j->y + j->lo, &rd, &j->o, &j->res, &j->err);
    return NULL;
}

/* Runs cl_run on R ranks (R = 0: one process, no collective) into *res. */
static int tc_run(int R, size_t n, size_t k, const float *p, const int32_t *y, const cl_opts *o, size_t chunk,
                  cl_result *res, la_error *err)
{
    tc_world w = {.R = R ? R : 1};
    tc_job *jobs = calloc((size_t)w.R, sizeof *jobs);
    pthread_t th[TC_MAX];
    pthread_barrier_init(&w.bar, NULL, (unsigned)w.R);
    for (int r = 0; r < w.R; r++) {
        tc_job *j = &jobs[r];
        j->n = n; j->k = k; j->p = p; j->y = y; j->o = *o; j->chunk = chunk;
        j->lo = 0; j->hi = n;
        if (R) {
            la_coll_split(n, r, R, 1, &j->lo, &j->hi);
            j->rank = (tc_rank){.c = {.rank = r, .size = R, .allreduce_i64 = tc_allreduce, .gatherv = tc_gatherv,
                                      .bcast = tc_bcast, .agree = tc_agree}, .w = &w};
            j->rank.c.ctx = &j->rank;
            j->o.coll = &j->rank.c;
            j->o.row0 = j->lo;
            j->o.n_all = n;
        }
        pthread_create(&th[r], NULL, tc_thread, j);
    }
    for (int r = 0; r < w.R; r++) pthread_join(th[r], NULL);
    int rc = jobs[0].rc;
    for (int r = 1; r < w.R; r++) {
        assert_int_equal(jobs[r].rc, rc);   /* every rank ends the same way */
        if (rc) assert_string_equal(jobs[r].err.msg, jobs[0].err.msg);
        cl_result_free(&jobs[r].res);
    }
    *res = jobs[0].res;
    *err = jobs[0].err;
    pthread_barrier_destroy(&w.bar);
    free(jobs);
    return rc;
}

/* n x k float32 probabilities on a 1/16 grid (exact ties) and noisy labels. */
static void tc_data(size_t n, size_t k, float *p, int32_t *y, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        double row[16], tot = 0;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t t = (size_t)(s >> 33) % k;
        for (size_t j = 0; j < k; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            row[j] = (double)(s >> 11) / 9007199254740992.0 + (j == t ? 1.5 : 0);
            tot += row[j];
        }
        for (size_t j = 0; j < k; j++) p[i * k + j] = (float)(round(row[j] / tot * 16) / 16);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        y[i] = (int32_t)((s >> 40) % 5 == 0 ? (s >> 20) % k : t);
    }
}

/* tc_data into new arrays (the caller frees both). */
static void tc_alloc(size_t n, size_t k, float **p, int32_t **y, uint64_t seed)
{
    *p = malloc(n * k * sizeof **p);
    *y = malloc(n * sizeof **y);
    assert_non_null(*p);
    assert_non_null(*y);
    tc_data(n, k, *p, *y, seed);
}

static void assert_same_result(const cl_result *a, const cl_result *b)
{
    size_t k = a->k;
    assert_int_equal(a->n, b->n);
    assert_memory_equal(a->counts, b->counts, k * sizeof *a->counts);
    assert_memory_equal(a->thresholds, b->thresholds, k * sizeof *a->thresholds);
    assert_memory_equal(a->cj, b->cj, k * k * sizeof *a->cj);
    assert_memory_equal(a->joint, b->joint, k * k * sizeof *a->joint);
    assert_memory_equal(a->nm, b->nm, k * k * sizeof *a->nm);
    assert_int_equal(a->num_off_diagonal, b->num_off_diagonal);
    assert_memory_equal(&a->health, &b->health, sizeof a->health);
    assert_memory_equal(a->flags, b->flags, a->n);
    assert_memory_equal(a->suggested, b->suggested, a->n * sizeof *a->suggested);
    assert_int_equal(a->n_flagged, b->n_flagged);
    assert_memory_equal(a->ranked, b->ranked, a->n_flagged * sizeof *a->ranked);
    assert_memory_equal(a->ranked_score, b->ranked_score, a->n_flagged * sizeof *a->ranked_score);
    assert_memory_equal(a->ranked_given, b->ranked_given, a->n_flagged * sizeof *a->ranked_given);
}

/* 30,000 rows of 4 classes: class arrays of ~7,500-10,000 values, so the
 * 8192-value blocks of cl_sum are cut by rank boundaries. */
static void test_cl_run_across_ranks(void **state)
{
    (void)state;
    size_t n = 30000, k = 4;
    float *p;
    int32_t *y;
    tc_alloc(n, k, &p, &y, 18);
    const cl_filter filters[] = {CL_PRUNE_BY_NOISE_RATE, CL_BOTH, CL_PRUNE_BY_CLASS, CL_LOW_NORMALIZED_MARGIN,
                                 CL_CONFIDENT_LEARNING};
    for (size_t f = 0; f < sizeof filters / sizeof *filters; f++) {
        cl_opts o;
        cl_opts_init(&o);
        o.filter = filters[f];
        o.rank = f == 3 ? CL_CW_ENTROPY : f == 1 ? CL_NORMALIZED_MARGIN : CL_SELF_CONFIDENCE;
        o.keep_rank_scores = 1;
        cl_result one, many;
        la_error err;
        assert_int_equal(tc_run(0, n, k, p, y, &o, 4096, &one, &err), 0);
        for (int R = 2; R <= 4; R++) {
            assert_int_equal(tc_run(R, n, k, p, y, &o, 2500, &many, &err), 0);
            assert_same_result(&one, &many);
            if (filters[f] == CL_PRUNE_BY_NOISE_RATE) assert_true(many.tie_passes > 0);   /* the tie path ran */
            assert_memory_equal(one.quality, many.quality, n * sizeof *one.quality);
            cl_result_free(&many);
        }
        cl_result_free(&one);
    }
    free(p); free(y);
}

/* Every rank's first rows are its hardest (label far from the argmax), so
 * the floors estimated from a rank's first chunk lie above the final cuts:
 * rank 0 must see it and have every rank run pass 3 again without floors. */
static void test_cl_run_floors_too_high(void **state)
{
    (void)state;
    size_t n = 30000, k = 4;
    float *p;
    int32_t *y;
    tc_alloc(n, k, &p, &y, 11);
    for (size_t i = 0; i < n; i++)
        if (i % 7500 < 900) {   /* confidently wrong: mass on (y + 1) mod k */
            for (size_t j = 0; j < k; j++) p[i * k + j] = j == ((size_t)y[i] + 1) % k ? 0.875f : 0.0625f;
            p[i * k + (size_t)y[i]] = 0.0f;
        }
    cl_opts o;
    cl_opts_init(&o);
    cl_result one, many;
    la_error err;
    assert_int_equal(tc_run(0, n, k, p, y, &o, 8192, &one, &err), 0);
    assert_int_equal(tc_run(4, n, k, p, y, &o, 2500, &many, &err), 0);
    assert_same_result(&one, &many);
    assert_true(many.floor_passes > 0);
    cl_result_free(&one);
    cl_result_free(&many);
    free(p); free(y);
}

/* A bad probability in the last rank's rows: every rank fails with the
 * one-process message (the global row number). */
static void test_cl_run_bad_row_on_last_rank(void **state)
{
    (void)state;
    size_t n = 9000, k = 3;
    float *p;
    int32_t *y;
    tc_alloc(n, k, &p, &y, 7);
    p[(n - 3) * k + 1] = 2.5f;
    cl_opts o;
    cl_opts_init(&o);
    cl_result one, many;
    la_error e1, e3;
    assert_int_equal(tc_run(0, n, k, p, y, &o, 4096, &one, &e1), LA_EUSAGE);
    assert_int_equal(tc_run(3, n, k, p, y, &o, 1000, &many, &e3), LA_EUSAGE);
    assert_string_equal(e1.msg, e3.msg);
    assert_non_null(strstr(e3.msg, "row 8997, column 1"));
    free(p); free(y);
}

static void test_split_and_null(void **state)
{
    (void)state;
    size_t lo, hi, prev = 0;
    for (int r = 0; r < 4; r++) {   /* contiguous, in order, aligned */
        la_coll_split(100000, r, 4, 8192, &lo, &hi);
        assert_int_equal(lo, prev);
        assert_true(lo % 8192 == 0 || lo == 100000);
        prev = hi;
    }
    assert_int_equal(prev, 100000);
    la_coll_split(3, 3, 4, 1, &lo, &hi);   /* more ranks than rows: empty parts */
    assert_true(lo <= hi && hi <= 3);
    /* one process: the identity */
    la_error err;
    int64_t v[2] = {3, 4};
    assert_int_equal(la_coll_sum_i64(NULL, v, 2, &err), 0);
    assert_int_equal(v[0] + v[1], 7);
    void *out = NULL;
    size_t lens[1];
    assert_int_equal(la_coll_gather(NULL, v, sizeof v, &out, lens, &err), 0);
    assert_memory_equal(out, v, sizeof v);
    assert_int_equal(lens[0], sizeof v);
    free(out);
    assert_int_equal(la_coll_agree(NULL, LA_EUSAGE, &err), LA_EUSAGE);
    assert_int_equal(la_coll_size(NULL), 1);
    assert_int_equal(la_coll_rank(NULL), 0);
    assert_null(la_coll_world());
}

/* ---- the kNN graph over ranks ------------------------------------------- */

typedef struct tk_job {
    tc_rank          rank;
    const dc_matrix *ref, *query;
    size_t           k;
    dc_metric        m;
    dc_knn           g;
    la_error         err;
    int              rc;
} tk_job;

static void *tk_thread(void *arg)
{
    tk_job *j = arg;
    la_error_clear(&j->err);
    j->rc = dc_knn_build_coll(&j->rank.c, j->ref, j->query, j->k, j->m, 2, NULL, &j->g, &j->err);
    return NULL;
}

/* dc_knn_build_coll on R ranks: every rank's graph is one process's. */
static void tk_check(int R, const dc_matrix *ref, const dc_matrix *query, size_t k, dc_metric m)
{
    dc_knn one;
    la_error e;
    assert_int_equal(dc_knn_build(ref, query, k, m, 1, NULL, &one, &e), 0);
    tc_world w = {.R = R};
    tk_job jobs[TC_MAX];
    pthread_t th[TC_MAX];
    memset(jobs, 0, sizeof jobs);
    pthread_barrier_init(&w.bar, NULL, (unsigned)R);
    for (int r = 0; r < R; r++) {
        tk_job *j = &jobs[r];
        j->ref = ref; j->query = query; j->k = k; j->m = m;
        j->rank = (tc_rank){.c = {.rank = r, .size = R, .allreduce_i64 = tc_allreduce, .gatherv = tc_gatherv,
                                  .bcast = tc_bcast, .agree = tc_agree}, .w = &w};
        j->rank.c.ctx = &j->rank;
        pthread_create(&th[r], NULL, tk_thread, j);
    }
    for (int r = 0; r < R; r++) pthread_join(th[r], NULL);
    for (int r = 0; r < R; r++) {
        assert_int_equal(jobs[r].rc, 0);
        assert_int_equal(jobs[r].g.n, one.n);
        assert_memory_equal(jobs[r].g.index, one.index, one.n * k * sizeof *one.index);
        assert_memory_equal(jobs[r].g.dist, one.dist, one.n * k * sizeof *one.dist);
        dc_knn_free(&jobs[r].g);
    }
    pthread_barrier_destroy(&w.bar);
    dc_knn_free(&one);
}

/* 1,100 rows (4 full blocks of 256 query rows and a partial one), planted
 * copies so ties and zero distances occur, and a 700-row query set. */
static void test_knn_across_ranks(void **state)
{
    (void)state;
    size_t n = 1100, nq = 700, d = 12;
    float *xf = malloc(n * d * sizeof *xf), *qf = malloc(nq * d * sizeof *qf);
    double *xd = malloc(n * d * sizeof *xd), *qd = malloc(nq * d * sizeof *qd);
    uint64_t s = 18;
    for (size_t i = 0; i < n * d; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        xf[i] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
    }
    for (size_t i = 0; i < 40; i++) memcpy(xf + (n - 1 - i) * d, xf + i * 7 * d, d * sizeof *xf);   /* copies */
    for (size_t i = 0; i < nq * d; i++) qf[i] = xf[(i * 13) % (n * d)] * 0.999f;
    for (size_t i = 0; i < n * d; i++) xd[i] = xf[i];
    for (size_t i = 0; i < nq * d; i++) qd[i] = qf[i];
    dc_matrix rf = {n, d, xf, NULL}, rd = {n, d, NULL, xd}, q32 = {nq, d, qf, NULL}, q64 = {nq, d, NULL, qd};
    for (int R = 2; R <= 4; R++) {
        tk_check(R, &rf, NULL, 10, DC_METRIC_COSINE);
        tk_check(R, &rd, NULL, 10, DC_METRIC_EUCLIDEAN);
        tk_check(R, &rf, &q32, 1, DC_METRIC_EUCLIDEAN);
        tk_check(R, &rd, &q64, 3, DC_METRIC_COSINE);
    }
    free(xf); free(qf); free(xd); free(qd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_and_null),
        cmocka_unit_test(test_cl_run_across_ranks),
        cmocka_unit_test(test_cl_run_floors_too_high),
        cmocka_unit_test(test_cl_run_bad_row_on_last_rank),
        cmocka_unit_test(test_knn_across_ranks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
