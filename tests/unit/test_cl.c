/*
 * test_cl.c — unit tests for the confident-learning core (audit/cl.h,
 * audit/cl_run.h) on small hand-made inputs: numpy's summation order and
 * argsort tie order (reference answers from numpy 1.24 in cl_ref_data.h,
 * including an adversarial input that exhausts introsort's depth budget),
 * rounding quirks, calibration, thresholds with empty classes, one-hot rows,
 * forgiveness, and the streaming driver against a direct re-implementation
 * for several thread counts and chunk sizes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit/cl.h"
#include "audit/cl_run.h"
#include "cl_ref_data.h"

static double sort_input(size_t i, int levels, int t)
{
    return (double)(((i * 7919 + 13 * (size_t)t) % 10007) % (size_t)levels) / 4;
}

static void test_sum_numpy_order(void **state)
{
    (void)state;
    for (size_t t = 0; t < sizeof ref_sum_m / sizeof ref_sum_m[0]; t++) {
        size_t m = ref_sum_m[t];
        double *x = malloc(m * sizeof *x);
        for (size_t i = 0; i < m; i++)
            x[i] = ldexp((double)((int64_t)((i * 2654435761ull) % 1000003) - 500000), -(int)((i * 7) % 40));
        double s = cl_sum(x, m);
        assert_true(s == ref_sum_r[t]); /* bit for bit */
        free(x);
    }
    assert_true(cl_sum(NULL, 0) == 0.0);
}

static void test_sum_not_left_to_right(void **state)
{
    (void)state;
    /* 9 elements: eight accumulators then one more; differs from a plain loop */
    double x[9] = {1e16, 1, 1, 1, 1, 1, 1, 1, 1};
    double plain = 0;
    for (int i = 0; i < 9; i++) plain += x[i];
    double r = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7])) + x[8];
    assert_true(cl_sum(x, 9) == r);
    assert_true(plain != r);
}

static void check_perm(const uint32_t *got, const uint32_t *want, size_t m)
{
    for (size_t i = 0; i < m; i++) assert_int_equal(got[i], want[i]);
}

static void test_argsort_ties_match_numpy(void **state)
{
    (void)state;
    const uint32_t *asc[] = {ref_sort_i0, ref_sort_i1, ref_sort_i2, ref_sort_i3, ref_sort_i4, ref_sort_i5};
    const uint32_t *desc[] = {ref_desc_i0, ref_desc_i1, ref_desc_i2, ref_desc_i3, ref_desc_i4, ref_desc_i5};
    for (int t = 0; t < 6; t++) {
        size_t m = ref_sort_m[t];
        double *v = malloc(m * sizeof *v), *tmp = malloc(m * sizeof *tmp);
        uint32_t *idx = malloc(m * sizeof *idx);
        for (size_t i = 0; i < m; i++) v[i] = sort_input(i, ref_sort_levels[t], t);
        cl_argsort(v, m, idx);
        check_perm(idx, asc[t], m);
        cl_argsort_desc(v, m, idx, tmp);
        check_perm(idx, desc[t], m);
        free(v); free(tmp); free(idx);
    }
}

static void test_argsort_small_is_stable(void **state)
{
    (void)state;
    double v[16] = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
    uint32_t idx[16];
    cl_argsort(v, 16, idx);
    for (int i = 0; i < 8; i++) assert_int_equal(idx[i], 2 * i + 1);
    for (int i = 0; i < 8; i++) assert_int_equal(idx[8 + i], 2 * i);
}

static void test_argsort_heapsort_fallback(void **state)
{
    (void)state;
    size_t m = sizeof ref_killer_v / sizeof ref_killer_v[0];
    double *v = malloc(m * sizeof *v);
    uint32_t *idx = malloc(m * sizeof *idx);
    for (size_t i = 0; i < m; i++) v[i] = ref_killer_v[i];
    cl_argsort(v, m, idx);
    check_perm(idx, ref_killer_i, m);
    /* with ties: halve the values so pairs collide; still a valid sort */
    for (size_t i = 0; i < m; i++) v[i] = floor(ref_killer_v[i] / 2);
    cl_argsort(v, m, idx);
    for (size_t i = 1; i < m; i++) assert_true(v[idx[i - 1]] <= v[idx[i]]);
    free(v); free(idx);
}

static void test_trunc_numpy_cast(void **state)
{
    (void)state;
    assert_true(cl_trunc(2.9) == 2);
    assert_true(cl_trunc(-2.9) == -2);
    assert_true(cl_trunc(NAN) == INT64_MIN);
    assert_true(cl_trunc(INFINITY) == INT64_MIN);
    assert_true(cl_trunc(-INFINITY) == INT64_MIN);
    assert_true(cl_trunc(1e19) == INT64_MIN);
    assert_true(cl_trunc(4.67) == 4);
}

static void test_rps_half_even_and_ties(void **state)
{
    (void)state;
    int64_t r[4];
    /* rint: 0.5 -> 0, 0.5 -> 0, 1 -> 1; target 2: the highest tied index gets +1 */
    double x[3] = {0.5, 0.5, 1.0};
    cl_round_preserving_sum(x, 3, r);
    assert_true(r[0] == 0 && r[1] == 1 && r[2] == 1);
    /* 2.5 -> 2 (half to even), 1.5 -> 2; sum 4 = target 4: no change */
    double y[2] = {2.5, 1.5};
    cl_round_preserving_sum(y, 2, r);
    assert_true(r[0] == 2 && r[1] == 2);
    /* a NaN row: the loop does not run, NaN converts to INT64_MIN */
    double z[2] = {NAN, 1.0};
    cl_round_preserving_sum(z, 2, r);
    assert_true(r[0] == INT64_MIN && r[1] == 1);
    /* decrement: 0.6 + 0.6 + 0.6 + 0.2 = 2 but rounds to 3 -> lowest residual loses */
    double w[4] = {0.6, 0.6, 0.6, 0.2};
    cl_round_preserving_sum(w, 4, r);
    assert_true(r[0] + r[1] + r[2] + r[3] == 2);
    assert_true(r[0] == 0 && r[1] == 1 && r[2] == 1 && r[3] == 0);
}

static void test_calibrate_rows_sum_to_counts(void **state)
{
    (void)state;
    /* class 1 is never given: its raw diagonal 1 becomes an all-zero row */
    int64_t cj[9] = {5, 1, 0, 0, 1, 0, 2, 0, 3};
    int64_t cnt[3] = {7, 0, 5};
    int64_t out[9];
    cl_calibrate(cj, cnt, 3, out);
    for (int i = 0; i < 3; i++) {
        int64_t s = out[3 * i] + out[3 * i + 1] + out[3 * i + 2];
        assert_true(s == cnt[i]);
    }
    assert_true(out[3] == 0 && out[4] == 0 && out[5] == 0);
}

static void test_prune_matrix_trunc_and_quirk(void **state)
{
    (void)state;
    int64_t cjc[4] = {8, 3, 1, 4};   /* given 0: 8 right, 3 -> 1; given 1: 1 -> 0, 4 right */
    int64_t cnt[2] = {11, 5};
    int64_t P[4];
    assert_int_equal(cl_prune_matrix(cjc, cnt, 2, 1.0, NULL, 1, P), 0);
    /* P = CJ transposed */
    assert_true(P[0] == 8 && P[1] == 1 && P[2] == 3 && P[3] == 4);
    assert_int_equal(cl_prune_matrix(cjc, cnt, 2, 0.5, NULL, 1, P), 0);
    /* off-diagonal halved and truncated: 3 * 0.5 = 1.5 -> 1, 1 * 0.5 -> 0 */
    assert_true(P[2] == 1 && P[1] == 0);
    /* num_to_remove with a zero noise row gives 0/0: prunes nothing (INT64_MIN) */
    int64_t cjd[4] = {5, 0, 0, 5};
    int64_t c2[2] = {5, 5}, rm[2] = {1, 1};
    assert_int_equal(cl_prune_matrix(cjd, c2, 2, 1.0, rm, 1, P), 0);
    assert_true(P[1] <= 0 && P[2] <= 0);
    assert_true(P[1] == INT64_MIN || P[2] == INT64_MIN);
    /* --corrected: no NaN, nothing pruned, counts stay sane */
    assert_int_equal(cl_prune_matrix_ex(cjd, c2, 2, 1.0, rm, 1, 1, P), 0);
    assert_true(P[1] == 0 && P[2] == 0);
    /* --corrected rounds 1.5 half-to-even (2) instead of truncating (1) */
    assert_int_equal(cl_prune_matrix_ex(cjc, cnt, 2, 0.5, NULL, 1, 1, P), 0);
    assert_true(P[2] == 2);
}

static void test_row_scores(void **state)
{
    (void)state;
    double onehot[3] = {0, 1, 0}, tmp[3];
    /* quirk 8: a one-hot row on its label scores 0 with the entropy score */
    assert_true(cl_cw_entropy(onehot, 3, 1, log(3.0), tmp) == 0.0);
    assert_true(cl_normalized_margin(onehot, 3, 1) == 1.0);
    assert_true(cl_normalized_margin(onehot, 3, 0) == 0.0);
    double tie[2] = {0.5, 0.5};
    assert_int_equal(cl_argmax(tie, 2), 0);
    assert_true(cl_forgiven(tie, 2, 1));   /* 0.5 + 1e-6 beats 0.5 */
    assert_true(cl_forgiven(tie, 2, 0));
    double r[3] = {0.3, 0.3, 0.4};
    assert_false(cl_forgiven(r, 3, 0));
}

/* ---- the driver on in-memory data ------------------------------------- */

typedef struct mem_src { const double *p; size_t k; } mem_src;

static int mem_read(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    mem_src *m = ctx;
    (void)nrows; (void)err;
    *out = m->p + row0 * m->k;
    return 0;
}

static int run(const double *p, const int32_t *y, size_t n, size_t k, cl_opts *o, size_t chunk, cl_result *res)
{
    static mem_src src; /* test-only */
    src.p = p;
    src.k = k;
    cl_reader rd = {.ctx = &src, .elem = 8, .chunk_rows = chunk, .read = mem_read, .path = "mem"};
    la_error err;
    la_error_clear(&err);
    return cl_run(n, k, y, &rd, o, res, &err);
}

static void test_thresholds_empty_class_and_joint(void **state)
{
    (void)state;
    /* K = 3, class 2 never given; row 3 is one-hot */
    double p[] = {0.8, 0.1, 0.1,  0.6, 0.3, 0.1,  0.2, 0.7, 0.1,  0, 1, 0,  0.4, 0.35, 0.25};
    int32_t y[] = {0, 0, 1, 1, 0};
    cl_opts o;
    cl_opts_init(&o);
    cl_result r;
    assert_int_equal(run(p, y, 5, 3, &o, 2, &r), 0);
    assert_true(r.thresholds[2] == 2.0);
    assert_true(r.thresholds[0] == (0.8 + 0.6 + 0.4) / 3);
    assert_true(r.thresholds[1] == (0.7 + 1.0) / 2);
    assert_true(r.cj[2 * 3 + 2] == 1); /* diagonal raised to 1 for a never-given class */
    for (size_t i = 0; i < 3; i++) assert_true(r.cjc[6 + i] == 0);
    double s = 0;
    for (int i = 0; i < 9; i++) s += r.joint[i];
    assert_true(fabs(s - 1) < 1e-12);
    cl_result_free(&r);
}

static void test_single_class_refused_unless_zero(void **state)
{
    (void)state;
    double p[] = {0.9, 0.1, 0.8, 0.2, 0.3, 0.7};
    int32_t ones[] = {1, 1, 1}, zeros[] = {0, 0, 0};
    cl_opts o;
    cl_opts_init(&o);
    cl_result r;
    assert_int_equal(run(p, ones, 3, 2, &o, 8, &r), LA_EUSAGE);
    assert_int_equal(run(p, zeros, 3, 2, &o, 8, &r), 0);
    assert_true(r.single_class);
    cl_result_free(&r);
    o.filter = CL_LOW_SELF_CONFIDENCE;
    assert_int_equal(run(p, zeros, 3, 2, &o, 8, &r), LA_EUSAGE);
}

static void test_out_of_range_probability_refused(void **state)
{
    (void)state;
    double p[] = {0.9, 0.1, 1.01, -0.01, 0.3, 0.7};
    int32_t y[] = {0, 1, 1};
    cl_opts o;
    cl_opts_init(&o);
    cl_result r;
    assert_int_equal(run(p, y, 3, 2, &o, 8, &r), LA_EUSAGE);
    double q[] = {0.9, 0.1, NAN, 0.5, 0.3, 0.7};
    assert_int_equal(run(q, y, 3, 2, &o, 8, &r), LA_EUSAGE);
    /* within the 1e-6 tolerance: accepted, but the entropy score is refused */
    double t[] = {1.0000005, -5e-7, 0.5, 0.5, 0.3, 0.7};
    assert_int_equal(run(t, y, 3, 2, &o, 8, &r), 0);
    assert_true(r.cwe_refused);
    cl_result_free(&r);
}

/* Direct re-implementation of prune_by_noise_rate (section 10.4) with full
 * per-class sorts, to check the heap + tie-pass streaming version. */
static void reference_pbnr(const double *p, const int32_t *y, size_t n, size_t k, const cl_result *r,
                           long nmin, uint8_t *mask)
{
    int64_t *P = calloc(k * k, sizeof *P);
    cl_prune_matrix(r->cjc, r->counts, k, 1.0, NULL, nmin, P);
    memset(mask, 0, n);
    double *mu = malloc(n * sizeof *mu);
    uint32_t *ex = malloc(n * sizeof *ex), *idx = malloc(n * sizeof *idx);
    for (size_t c = 0; c < k; c++) {
        if (!(r->counts[c] > nmin && r->counts[c] >= 2)) continue;
        for (size_t j = 0; j < k; j++) {
            if (j == c || P[j * k + c] <= 0) continue;
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if ((size_t)y[i] == c) { mu[m] = -(p[i * k + j] - p[i * k + c]); ex[m++] = (uint32_t)i; }
            cl_argsort(mu, m, idx);
            for (int64_t q = 0; q < P[j * k + c] && (size_t)q < m; q++) mask[ex[idx[q]]] = 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (cl_forgiven(p + i * k, k, (size_t)y[i])) mask[i] = 0;
    free(P); free(mu); free(ex); free(idx);
}

static void test_streaming_matches_reference(void **state)
{
    (void)state;
    size_t n = 3000, k = 4;
    double *p = malloc(n * k * sizeof *p);
    int32_t *y = malloc(n * sizeof *y);
    uint8_t *mask = malloc(n);
    la_xoshiro rng;
    la_xoshiro_seed(&rng, 42);
    for (size_t i = 0; i < n; i++) {
        /* coarse values (multiples of 1/8): many exact ties at every cut */
        double w[4], s = 0;
        for (size_t j = 0; j < k; j++) { w[j] = (double)(1 + la_xoshiro_next(&rng) % 6); s += w[j]; }
        for (size_t j = 0; j < k; j++) p[i * k + j] = round(w[j] / s * 8) / 8;
        y[i] = (int32_t)(la_xoshiro_next(&rng) % k);
    }
    int tie_passes_seen = 0;
    size_t chunks[] = {1, 7, 1000, 5000};
    int threads[] = {1, 2, 3};
    uint8_t *first = NULL;
    for (int c = 0; c < 4; c++)
        for (int t = 0; t < 3; t++) {
            cl_opts o;
            cl_opts_init(&o);
            o.threads = threads[t];
            cl_result r;
            assert_int_equal(run(p, y, n, k, &o, chunks[c], &r), 0);
            reference_pbnr(p, y, n, k, &r, 1, mask);
            for (size_t i = 0; i < n; i++) assert_int_equal(!!(r.flags[i] & CL_F_ISSUE), mask[i]);
            if (!first) {
                first = malloc(n);
                memcpy(first, r.flags, n);
            } else {
                assert_memory_equal(first, r.flags, n);
            }
            tie_passes_seen |= r.tie_passes > 0;
            cl_result_free(&r);
        }
    assert_true(tie_passes_seen); /* the exact tie path was exercised */
    free(first); free(p); free(y); free(mask);
}

/* A sink that keeps nothing: with a sink cl_run never folds pass 2. */
static int null_sink(void *ctx, size_t row0, size_t nrows, const double *scores, la_error *err)
{
    (void)ctx; (void)row0; (void)nrows; (void)scores; (void)err;
    return 0;
}

typedef struct mem_src32 { const float *p; size_t k; } mem_src32;

static int mem_read32(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    mem_src32 *m = ctx;
    (void)nrows; (void)err;
    *out = m->p + row0 * m->k;
    return 0;
}

/* cl_run over float32 (f32) or float64 copies of p. */
static int run_dt(const double *p, const int32_t *y, size_t n, size_t k, int f32, cl_opts *o, size_t chunk,
                  cl_result *res)
{
    if (!f32) return run(p, y, n, k, o, chunk, res);
    float *q = malloc(n * k * sizeof *q);
    for (size_t i = 0; i < n * k; i++) q[i] = (float)p[i];
    mem_src32 src = {q, k};
    cl_reader rd = {.ctx = &src, .elem = 4, .chunk_rows = chunk, .read = mem_read32, .path = "mem"};
    la_error err;
    la_error_clear(&err);
    int rc = cl_run(n, k, y, &rd, o, res, &err);
    free(q);
    return rc;
}

/* The confident joint counted inside pass 1 (cl_spec_row) equals pass 2's:
 * rows whose given-class probability sits at the threshold (most entries in
 * the speculation's band), float32 and float64, several chunk sizes and
 * thread counts; and a file whose early chunks mislead the band (rows sorted
 * by falling p_iy), where the speculation must fail and pass 2 run. */
static void test_folded_joint_matches_pass2(void **state)
{
    (void)state;
    size_t n = 40000, k = 12;
    double *p = malloc(n * k * sizeof *p);
    int32_t *y = malloc(n * sizeof *y);
    la_xoshiro rng;
    la_xoshiro_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) {
        /* bench_python.py's rows: uniform plus k/8 on the true class, 10% of
         * labels redrawn, so p_iy clusters just above the threshold */
        size_t t = la_xoshiro_next(&rng) % k;
        y[i] = la_xoshiro_uniform(&rng) < 0.1 ? (int32_t)(la_xoshiro_next(&rng) % k) : (int32_t)t;
        double s = 0;
        for (size_t j = 0; j < k; j++) {
            p[i * k + j] = la_xoshiro_uniform(&rng) + (j == t ? (double)k / 8 : 0);
            s += p[i * k + j];
        }
        for (size_t j = 0; j < k; j++) p[i * k + j] /= s;
    }
    size_t chunks[] = {997, 4096, 40000};
    int threads[] = {1, 2};
    for (int sorted = 0; sorted < 2; sorted++) {
        if (sorted) { /* rows by falling p_iy: every early band lies above the final thresholds */
            double *key = malloc(n * sizeof *key), *q = malloc(n * k * sizeof *q);
            uint32_t *ord = malloc(n * sizeof *ord);
            int32_t *yq = malloc(n * sizeof *yq);
            for (size_t i = 0; i < n; i++) key[i] = -p[i * k + (size_t)y[i]];
            cl_argsort(key, n, ord);
            for (size_t i = 0; i < n; i++) {
                memcpy(q + i * k, p + (size_t)ord[i] * k, k * sizeof *q);
                yq[i] = y[ord[i]];
            }
            memcpy(p, q, n * k * sizeof *p);
            memcpy(y, yq, n * sizeof *y);
            free(key); free(q); free(ord); free(yq);
        }
        for (int f32 = 0; f32 < 2; f32++)
            for (int c = 0; c < 3; c++)
                for (int t = 0; t < 2; t++) {
                    cl_opts o;
                    cl_opts_init(&o);
                    o.threads = threads[t];
                    cl_result a, b;
                    assert_int_equal(run_dt(p, y, n, k, f32, &o, chunks[c], &a), 0);
                    o.sink = null_sink;
                    assert_int_equal(run_dt(p, y, n, k, f32, &o, chunks[c], &b), 0);
                    assert_int_equal(b.folded, 0);
                    /* sorted: the early chunks' bands miss the thresholds (one chunk: no early band) */
                    assert_int_equal(a.folded, !(sorted && chunks[c] < n));
                    assert_memory_equal(a.cj, b.cj, k * k * sizeof *a.cj);
                    assert_memory_equal(a.flags, b.flags, n);
                    assert_int_equal(a.n_flagged, b.n_flagged);
                    assert_memory_equal(a.ranked, b.ranked, a.n_flagged * sizeof *a.ranked);
                    assert_int_equal(a.num_off_diagonal, b.num_off_diagonal);
                    cl_result_free(&a);
                    cl_result_free(&b);
                }
    }
    free(p); free(y);
}

/* cl_run over float32 rows with and without the AVX2 kernels (no_simd):
 * the same result, or the same refusal, bit for bit. */
static void simd_vs_scalar(const float *q, const int32_t *y, size_t n, size_t k, cl_filter f, int threads)
{
    cl_result a, b;
    la_error ea, eb;
    la_error_clear(&ea);
    la_error_clear(&eb);
    mem_src32 src = {q, k};
    cl_reader rd = {.ctx = &src, .elem = 4, .chunk_rows = 1000, .read = mem_read32, .path = "mem"};
    cl_opts o;
    cl_opts_init(&o);
    o.filter = f;
    o.threads = threads;
    int ra = cl_run(n, k, y, &rd, &o, &a, &ea);
    o.no_simd = 1;
    int rb = cl_run(n, k, y, &rd, &o, &b, &eb);
    assert_int_equal(ra, rb);
    if (ra) { assert_string_equal(ea.msg, eb.msg); return; }
    assert_memory_equal(a.thresholds, b.thresholds, k * sizeof *a.thresholds);
    assert_memory_equal(a.cj, b.cj, k * k * sizeof *a.cj);
    assert_memory_equal(a.flags, b.flags, n);
    assert_memory_equal(a.suggested, b.suggested, n * sizeof *a.suggested);
    assert_int_equal(a.n_flagged, b.n_flagged);
    assert_memory_equal(a.ranked, b.ranked, a.n_flagged * sizeof *a.ranked);
    assert_int_equal(a.cwe_refused, b.cwe_refused);
    assert_int_equal(a.folded, b.folded);
    cl_result_free(&a);
    cl_result_free(&b);
}

/* The AVX2 pass-1 kernels against the scalar ones on float32 rows full of
 * exact ties (the first maximum must win, in whole lanes and in the tail),
 * signed zeros, values at the 1e-6 tolerance edges, and invalid rows. */
static void test_simd_matches_scalar(void **state)
{
    (void)state;
    size_t n = 5000, ks[] = {3, 8, 13, 100};
    float edge[] = {0.0f, -0.0f, 1.0f, (float)(1 + 1e-6), nextafterf((float)(1 + 1e-6), 2.0f), (float)-1e-6,
                    nextafterf((float)-1e-6, -1.0f), 0.5f, 0.25f};
    la_xoshiro rng;
    la_xoshiro_seed(&rng, 11);
    for (size_t t = 0; t < 4; t++) {
        size_t k = ks[t];
        float *q = malloc(n * k * sizeof *q);
        int32_t *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++) {
            y[i] = (int32_t)(la_xoshiro_next(&rng) % k);
            for (size_t j = 0; j < k; j++) /* multiples of 1/16: ties everywhere */
                q[i * k + j] = (float)(la_xoshiro_next(&rng) % 17) / 16.0f;
            if (i % 7 == 0) q[i * k + la_xoshiro_next(&rng) % k] = -0.0f;
        }
        for (int th = 1; th <= 2; th++) {
            simd_vs_scalar(q, y, n, k, CL_PRUNE_BY_NOISE_RATE, th);
            simd_vs_scalar(q, y, n, k, CL_BOTH, th);
        }
        /* the tolerance edges and signed zeros, one per row: some refused */
        for (size_t e = 0; e < sizeof edge / sizeof edge[0]; e++) {
            float *r = malloc(n * k * sizeof *r);
            memcpy(r, q, n * k * sizeof *r);
            r[(n / 2) * k + (k - 1)] = edge[e];
            simd_vs_scalar(r, y, n, k, CL_PRUNE_BY_NOISE_RATE, 2);
            r[(n / 2) * k + (k - 1)] = NAN;
            simd_vs_scalar(r, y, n, k, CL_PRUNE_BY_NOISE_RATE, 2);
            free(r);
        }
        free(q);
        free(y);
    }
}

static void test_low_filter_counts(void **state)
{
    (void)state;
    double p[] = {0.9, 0.1,  0.2, 0.8,  0.6, 0.4,  0.3, 0.7,  0.45, 0.55,  0.1, 0.9};
    int32_t y[] = {0, 0, 1, 1, 0, 1};
    cl_opts o;
    cl_opts_init(&o);
    o.filter = CL_LOW_SELF_CONFIDENCE;
    cl_result r;
    assert_int_equal(run(p, y, 6, 2, &o, 4, &r), 0);
    assert_true((int64_t)r.n_flagged == r.num_off_diagonal);
    cl_result_free(&r);
}

/* --filter-by noise_posterior: the num_off_diagonal examples whose given
 * label is least probable under Bayes' rule with the estimated noise matrix,
 * P(true = i | x, given = i) = p_i NM[i][i] / SUM_j p_j NM[i][j],
 * recomputed here from r.nm; the same flags for any chunking and thread
 * count; and on this draw (classes 0 and 1 look alike both ways, but only
 * 0 is flipped, into 1) it finds more of the flips than the same number
 * ranked by low_normalized_margin's margin, which also takes the hard
 * correct examples of class 0 that look like 1. */
static void test_noise_posterior_filter(void **state)
{
    (void)state;
    enum { N = 800, K = 4 };
    double *p = malloc(N * K * sizeof *p);
    int32_t y[N], t[N];
    uint64_t s = 12345;
    for (int i = 0; i < N; i++) {
        double row[K], sum = 0;
        t[i] = i % K;
        for (int j = 0; j < K; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            row[j] = 0.05 + (double)(s >> 11) / 9007199254740992.0;
        }
        row[t[i]] += 1.2;
        /* natural confusion: every third example of 0 or 1 looks like the other */
        if (t[i] < 2 && i % 3 == 0) row[1 - t[i]] += 1.3 * row[t[i]];
        for (int j = 0; j < K; j++) sum += row[j];
        for (int j = 0; j < K; j++) p[i * K + j] = row[j] / sum;
        y[i] = t[i];
        if (t[i] == 0 && i % 7 < 2) y[i] = 1;   /* the flips: 0 -> 1 only */
    }
    cl_opts o;
    cl_opts_init(&o);
    o.filter = CL_NOISE_POSTERIOR;
    cl_result r;
    assert_int_equal(run(p, y, N, K, &o, 4096, &r), 0);
    assert_true((int64_t)r.n_flagged == r.num_off_diagonal);
    double q[N];
    for (int i = 0; i < N; i++) {
        double den = 0;
        for (int j = 0; j < K; j++) den += p[i * K + j] * r.nm[y[i] * K + j];
        q[i] = p[i * K + y[i]] * r.nm[y[i] * K + y[i]] / den;
    }
    /* flagged exactly when fewer than num_off_diagonal rows rank before it
     * (lower posterior, or equal and a smaller index) */
    for (int i = 0; i < N; i++) {
        int64_t before = 0;
        for (int j = 0; j < N; j++) before += q[j] < q[i] || (q[j] == q[i] && j < i);
        assert_int_equal(!!(r.flags[i] & CL_F_ISSUE), before < r.num_off_diagonal);
    }
    int tp_post = 0, tp_margin = 0;
    for (int i = 0; i < N; i++) tp_post += (r.flags[i] & CL_F_ISSUE) && y[i] != t[i];
    /* streaming: other chunk sizes and threads, the same flags */
    size_t chunks[] = {1, 7, 333};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        cl_result r2;
        o.threads = (int)c + 1;
        assert_int_equal(run(p, y, N, K, &o, chunks[c], &r2), 0);
        assert_memory_equal(r.flags, r2.flags, N);
        cl_result_free(&r2);
    }
    o.threads = 1;
    o.filter = CL_LOW_NORMALIZED_MARGIN;
    cl_result rm;
    assert_int_equal(run(p, y, N, K, &o, 4096, &rm), 0);
    assert_int_equal(rm.n_flagged, r.n_flagged);   /* the same count, another order */
    for (int i = 0; i < N; i++) tp_margin += (rm.flags[i] & CL_F_ISSUE) && y[i] != t[i];
    assert_true(tp_post > tp_margin);   /* 38 against 35 of the 57 flips */
    cl_result_free(&rm);
    /* a single class is refused, as for the low_* filters */
    int32_t zeros[3] = {0, 0, 0};
    o.filter = CL_NOISE_POSTERIOR;
    assert_int_equal(run(p, zeros, 3, K, &o, 8, &rm), LA_EUSAGE);
    cl_result_free(&r);
    free(p);
}

static void test_noise_generation(void **state)
{
    (void)state;
    size_t k = 5;
    double nm[25], py[5] = {0.2, 0.2, 0.2, 0.2, 0.2};
    la_xoshiro rng;
    la_xoshiro_seed(&rng, 7);
    assert_int_equal(cl_noise_matrix_from_trace(k, 3.5, py, 0.4, &rng, 1000, nm), 0);
    double tr = 0;
    for (size_t j = 0; j < k; j++) {
        double s = 0;
        for (size_t i = 0; i < k; i++) { s += nm[i * k + j]; assert_true(nm[i * k + j] >= 0); }
        assert_true(fabs(s - 1) < 1e-12);
        tr += nm[j * k + j];
    }
    assert_true(fabs(tr - 3.5) < 1e-9);
    int64_t truth[1000], a[1000], b[1000];
    for (int i = 0; i < 1000; i++) truth[i] = i % 5;
    la_xoshiro_seed(&rng, 9);
    assert_int_equal(cl_noisy_labels(truth, 1000, nm, k, &rng, a), 0);
    la_xoshiro_seed(&rng, 9);
    assert_int_equal(cl_noisy_labels(truth, 1000, nm, k, &rng, b), 0);
    assert_memory_equal(a, b, sizeof a);
    for (size_t j = 0; j < k; j++) {
        int flipped = 0;
        for (int i = 0; i < 1000; i++) flipped += truth[i] == (int64_t)j && a[i] != (int64_t)j;
        assert_int_equal(flipped, (int)rint(200 * (1 - nm[j * k + j])));
    }
}

static void test_bootstrap(void **state)
{
    (void)state;
    int64_t err[2] = {10, 40}, cnt[2] = {100, 200};
    double ci[2], cci[4], ci2[2], cci2[4];
    assert_int_equal(cl_bootstrap_ci(err, cnt, 2, 500, 0.95, 3, ci, cci), 0);
    assert_true(ci[0] < 50.0 / 300 && 50.0 / 300 < ci[1]);
    assert_true(cci[0] < 0.1 && 0.1 < cci[1]);
    assert_true(cci[2] < 0.2 && 0.2 < cci[3]);
    assert_int_equal(cl_bootstrap_ci(err, cnt, 2, 500, 0.95, 3, ci2, cci2), 0);
    assert_memory_equal(ci, ci2, sizeof ci);
}

static void test_binomial_sampler(void **state)
{
    (void)state;
    /* mean and variance for the inversion and BTRD branches and p > 1/2 */
    static const struct { int64_t n; double p; } cs[] = {
        {100000, 0.3}, {50, 0.1}, {1000, 0.9}, {30, 0.5}, {1000000, 0.01}, {25, 0.41}, {7, 0.999}};
    la_xoshiro rng;
    la_xoshiro_seed(&rng, 1);
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        int reps = 20000;
        double s = 0, s2 = 0, mu = (double)cs[t].n * cs[t].p, var = mu * (1 - cs[t].p);
        for (int i = 0; i < reps; i++) {
            int64_t x = la_xoshiro_binomial(&rng, cs[t].n, cs[t].p);
            assert_true(x >= 0 && x <= cs[t].n);
            s += (double)x;
            s2 += (double)x * (double)x;
        }
        double m = s / reps, v = s2 / reps - m * m;
        assert_true(fabs(m - mu) < 5 * sqrt(var / reps) + 1e-9);
        assert_true(fabs(v - var) < 0.1 * var + 1e-9);
    }
    /* the whole distribution for n = 40, p = 0.4 (BTRD): chi-square test */
    double cnt[41] = {0}, pmf[41];
    int reps = 200000;
    for (int i = 0; i < reps; i++) cnt[la_xoshiro_binomial(&rng, 40, 0.4)]++;
    double chi = 0;
    int cells = 0;
    for (int x = 0; x <= 40; x++) {
        pmf[x] = exp(lgamma(41) - lgamma(x + 1) - lgamma(41 - x) + x * log(0.4) + (40 - x) * log(0.6));
        double e = pmf[x] * reps;
        if (e < 20) continue;
        chi += (cnt[x] - e) * (cnt[x] - e) / e;
        cells++;
    }
    assert_true(chi < cells + 5 * sqrt(2.0 * cells)); /* far beyond the 99.9th percentile */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_numpy_order),
        cmocka_unit_test(test_sum_not_left_to_right),
        cmocka_unit_test(test_argsort_ties_match_numpy),
        cmocka_unit_test(test_argsort_small_is_stable),
        cmocka_unit_test(test_argsort_heapsort_fallback),
        cmocka_unit_test(test_trunc_numpy_cast),
        cmocka_unit_test(test_rps_half_even_and_ties),
        cmocka_unit_test(test_calibrate_rows_sum_to_counts),
        cmocka_unit_test(test_prune_matrix_trunc_and_quirk),
        cmocka_unit_test(test_row_scores),
        cmocka_unit_test(test_thresholds_empty_class_and_joint),
        cmocka_unit_test(test_single_class_refused_unless_zero),
        cmocka_unit_test(test_out_of_range_probability_refused),
        cmocka_unit_test(test_streaming_matches_reference),
        cmocka_unit_test(test_folded_joint_matches_pass2),
        cmocka_unit_test(test_simd_matches_scalar),
        cmocka_unit_test(test_low_filter_counts),
        cmocka_unit_test(test_noise_posterior_filter),
        cmocka_unit_test(test_noise_generation),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_binomial_sampler),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
