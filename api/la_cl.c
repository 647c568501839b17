/*
 * la_cl.c — the public confident-learning functions (la_cl_* in
 * include/labelaudit.h): cleanlab 2.9.0's count / filter / rank / dataset
 * primitives over a caller's probability buffer, read in place (float32 or
 * float64, row-major), for the Python package and other bindings. Row passes
 * run on la_par_run threads with per-thread counts summed in thread order;
 * the K x K steps are audit/cl.h and audit/cl_latent.h.
 */
#include "../include/labelaudit.h"
#include "../audit/cl.h"
#include "../audit/cl_latent.h"
#include "../audit/cl_run.h"
#include "../util/la_par.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rows per cl_run chunk over an in-memory buffer: the buffer is read in
 * place, so this only sets the granularity of the threads' work. */
#define LC_CHUNK_ROWS ((size_t)1 << 16)

static int lc_oom(la_error *err) { return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory"); }

static int lc_threads(int t) { return t > 0 ? t : la_num_cpus(); }

/* Row i of probs as doubles: the row itself (f64) or converted into buf. */
static const double *lc_row(const void *probs, la_dtype dt, size_t k, size_t i, double *buf)
{
    if (dt == LA_F64) return (const double *)probs + i * k;
    const float *p = (const float *)probs + i * k;
    for (size_t j = 0; j < k; j++) buf[j] = p[j];
    return buf;
}

static int lc_check(const int32_t *labels, const void *probs, la_dtype dt, size_t n, size_t k, la_error *err)
{
    if (dt != LA_F32 && dt != LA_F64) return la_error_set(err, LA_EUSAGE, NULL, 0, "dtype must be LA_F32 or LA_F64");
    if (!labels || !probs || n == 0 || k == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "no examples or no classes");
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= k)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "label %d (example %zu) is not a class index 0..%zu",
                                (int)labels[i], i, k - 1);
    return 0;
}

/* ---- thresholds ---------------------------------------------------------- */

int la_cl_thresholds(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                     double *thresholds, la_error *err)
{
    assert(thresholds && err);
    la_error_clear(err);
    int rc = lc_check(labels, probs, dtype, n, k, err);
    if (rc) return rc;
    size_t *off = la_calloc(k + 1, sizeof *off);
    double *g = la_malloc_array(n + 1, sizeof *g);
    if (!off || !g) { free(off); free(g); return lc_oom(err); }
    for (size_t i = 0; i < n; i++) off[labels[i] + 1]++;
    for (size_t j = 0; j < k; j++) off[j + 1] += off[j];
    size_t *cur = la_malloc_array(k + 1, sizeof *cur);
    if (!cur) { free(off); free(g); return lc_oom(err); }
    memcpy(cur, off, k * sizeof *cur);
    for (size_t i = 0; i < n; i++) {
        size_t y = (size_t)labels[i];
        g[cur[y]++] = dtype == LA_F64 ? ((const double *)probs)[i * k + y] : ((const float *)probs)[i * k + y];
    }
    for (size_t j = 0; j < k; j++) {
        size_t m = off[j + 1] - off[j];
        double t = m ? cl_sum(g + off[j], m) / (double)m : 2.0;    /* BIG_VALUE for absent classes */
        thresholds[j] = fmax(t, CL_THRESHOLD_MIN);
    }
    free(off); free(g); free(cur);
    return 0;
}

/* ---- confident joint ------------------------------------------------------ */

typedef struct lc_cj_ctx {
    const int32_t *y;
    const void *probs;
    la_dtype dt;
    size_t n, k;
    const double *thr;
    int64_t *cj;          /* T x k x k */
    int64_t *issues;      /* T */
    uint8_t *offdiag;     /* n or NULL */
    int fail;
} lc_cj_ctx;

static void lc_cj_part(void *vctx, int t, int T)
{
    lc_cj_ctx *c = vctx;
    size_t k = c->k, a = c->n * (size_t)t / (size_t)T, b = c->n * (size_t)(t + 1) / (size_t)T;
    double *buf = la_malloc_array(k + 1, sizeof *buf);
    if (!buf) { c->fail = 1; return; }
    int64_t *cj = c->cj + (size_t)t * k * k;
    for (size_t i = a; i < b; i++) {
        const double *p = lc_row(c->probs, c->dt, k, i, buf);
        size_t nconf = 0, first = 0;
        for (size_t j = 0; j < k; j++)
            if (p[j] >= c->thr[j] - CL_TOL) { if (!nconf) first = j; nconf++; }
        int off = 0;
        if (nconf) {
            size_t guess = nconf > 1 ? cl_argmax(p, k) : first, g = (size_t)c->y[i];
            cj[g * k + guess]++;
            off = guess != g;
            if (off && !cl_forgiven(p, k, g)) c->issues[t]++;
        }
        if (c->offdiag) c->offdiag[i] = (uint8_t)off;
    }
    free(buf);
}

int la_cl_confident_joint(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                          const double *thresholds, int calibrate, int threads, int64_t *cj, uint8_t *offdiag,
                          int64_t *num_issues, la_error *err)
{
    assert(cj && err);
    la_error_clear(err);
    int rc = lc_check(labels, probs, dtype, n, k, err);
    if (rc) return rc;
    double *thr = la_malloc_array(k, sizeof *thr);
    if (!thr) return lc_oom(err);
    if (thresholds) memcpy(thr, thresholds, k * sizeof *thr);
    else if ((rc = la_cl_thresholds(labels, probs, dtype, n, k, thr, err))) { free(thr); return rc; }
    int T = lc_threads(threads);
    if ((size_t)T > n) T = (int)n;
    lc_cj_ctx c = {labels, probs, dtype, n, k, thr, la_calloc((size_t)T * k * k, sizeof(int64_t)),
                   la_calloc((size_t)T, sizeof(int64_t)), offdiag, 0};
    if (!c.cj || !c.issues) { free(thr); free(c.cj); free(c.issues); return lc_oom(err); }
    la_par_run(T, lc_cj_part, &c);
    int64_t total = 0;
    memset(cj, 0, k * k * sizeof *cj);
    for (int t = 0; t < T; t++) {
        for (size_t q = 0; q < k * k; q++) cj[q] += c.cj[(size_t)t * k * k + q];
        total += c.issues[t];
    }
    for (size_t j = 0; j < k; j++) if (cj[j * k + j] < 1) cj[j * k + j] = 1;
    if (num_issues) *num_issues = total;
    free(thr); free(c.cj); free(c.issues);
    if (c.fail) return lc_oom(err);
    if (calibrate) {
        int64_t *counts = la_calloc(k, sizeof *counts), *out = la_malloc_array(k * k, sizeof *out);
        if (!counts || !out) { free(counts); free(out); return lc_oom(err); }
        for (size_t i = 0; i < n; i++) counts[labels[i]]++;
        cl_calibrate(cj, counts, k, out);
        memcpy(cj, out, k * k * sizeof *cj);
        free(counts); free(out);
    }
    return 0;
}

/* ---- K x K steps ------------------------------------------------------------ */

int la_cl_calibrate(const double *cj, const double *counts, size_t k, int64_t *out, la_error *err)
{
    assert(cj && counts && out && err);
    la_error_clear(err);
    if (k == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "empty confident joint");
    return cl_calibrate_f64(cj, counts, k, out) ? lc_oom(err) : 0;
}

int la_cl_estimate_latent(const double *cj, const double *ps, size_t k, const char *py_method, int converge,
                          double *py, double *nm, double *inv, la_error *err)
{
    assert(cj && ps && py && nm && inv && err);
    la_error_clear(err);
    int m = 0;
    while (m < CL_PY_COUNT && strcmp(py_method ? py_method : "cnt", cl_py_method_names[m])) m++;
    if (m == CL_PY_COUNT)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "py_method %s should be in [cnt, eqn, marginal, marginal_ps]", py_method);
    if (k == 0) return la_error_set(err, LA_EUSAGE, NULL, 0, "empty confident joint");
    int rc = cl_estimate_latent_f64(cj, ps, k, (cl_py_method)m, converge, py, nm, inv);
    if (rc == -2) return la_error_set(err, LA_EUSAGE, NULL, 0, "Singular matrix");
    return rc ? lc_oom(err) : 0;
}

int la_cl_class_quality(const double *joint, size_t k, size_t n, double *rows, la_error *err)
{
    assert(joint && rows && err);
    la_error_clear(err);
    cl_class_quality *q = la_malloc_array(k + 1, sizeof *q);
    if (!q || cl_class_quality_table(joint, k, n, q)) { free(q); return lc_oom(err); }
    for (size_t c = 0; c < k; c++) {
        double *r = rows + c * 6;
        r[0] = (double)q[c].cls; r[1] = (double)q[c].issues; r[2] = (double)q[c].inv_issues;
        r[3] = q[c].noise; r[4] = q[c].inv_noise; r[5] = q[c].quality;
    }
    free(q);
    return 0;
}

int la_cl_overlapping_classes(const double *joint, size_t k, size_t n, double *rows, la_error *err)
{
    assert(joint && rows && err && k > 0);
    la_error_clear(err);
    size_t m = k * (k - 1) / 2;
    cl_overlap *o = la_malloc_array(m + 1, sizeof *o);
    if (!o || cl_overlapping_classes(joint, k, n, o)) { free(o); return lc_oom(err); }
    for (size_t i = 0; i < m; i++) {
        double *r = rows + i * 4;
        r[0] = (double)o[i].a; r[1] = (double)o[i].b; r[2] = (double)o[i].num; r[3] = o[i].joint;
    }
    free(o);
    return 0;
}

/* ---- per-example label quality scores --------------------------------------- */

typedef struct lc_sc_ctx {
    const int32_t *y;
    const void *probs;
    la_dtype dt;
    size_t n, k;
    int method;
    const double *thr;   /* adjusted scores: the thresholds, else NULL */
    double tmax, log_k;
    double *out;
    int fail, outside;
    int *bad;            /* per thread: a probability beyond [-1e-6, 1 + 1e-6] or NaN */
    int check_all;       /* the self-confidence pass checks the whole matrix */
} lc_sc_ctx;

/* The range check of rows [a, b) on their own (the self-confidence pass
 * reads one element per row); NaN fails the comparisons. */
static void lc_sc_range(lc_sc_ctx *c, size_t a, size_t b, int t)
{
    size_t lo = a * c->k, hi = b * c->k;
    int bad = 0;
    if (c->dt == LA_F64) {
        const double *p = c->probs;
        for (size_t i = lo; i < hi; i++) bad |= !(p[i] >= -CL_TOL) | !(p[i] <= 1 + CL_TOL);
    } else {
        /* compared in float against the float bounds equivalent to the double
         * ones ((double)x >= -tol <=> x >= flo), so the loop vectorizes */
        const float *p = c->probs;
        float flo = (float)-CL_TOL, fhi = (float)(1 + CL_TOL);
        if ((double)flo < -CL_TOL) flo = nextafterf(flo, 0.0f);
        if ((double)fhi > 1 + CL_TOL) fhi = nextafterf(fhi, 0.0f);
        /* 8 lanes of min, max and sum (NaN poisons the sum; +-inf reach the
         * min or max), a constant-count inner loop the compiler vectorizes */
        float mn[8], mx[8], sum[8];
        for (int j = 0; j < 8; j++) { mn[j] = flo; mx[j] = fhi; sum[j] = 0; }
        size_t i = lo;
        for (; i + 8 <= hi; i += 8)
            for (int j = 0; j < 8; j++) {
                float x = p[i + j];
                mn[j] = x < mn[j] ? x : mn[j];
                mx[j] = x > mx[j] ? x : mx[j];
                sum[j] += x;
            }
        for (; i < hi; i++) bad |= !(p[i] >= flo) | !(p[i] <= fhi);
        for (int j = 0; j < 8; j++) bad |= (mn[j] < flo) | (mx[j] > fhi) | (sum[j] != sum[j]);
    }
    if (bad) c->bad[t] = 1;
}

static void lc_sc_part(void *vctx, int t, int T)
{
    lc_sc_ctx *c = vctx;
    size_t k = c->k, a = c->n * (size_t)t / (size_t)T, b = c->n * (size_t)(t + 1) / (size_t)T;
    double *buf = la_malloc_array(3 * k + 1, sizeof *buf);
    if (!buf) { c->fail = 1; return; }
    double *adj = buf + k, *tmp = buf + 2 * k;
    if (c->method == CL_SELF_CONFIDENCE && !c->thr) {    /* p[i][y_i]: one element per row */
        for (size_t i = a; i < b; i++) {
            size_t at = i * k + (size_t)c->y[i];
            double v = c->dt == LA_F64 ? ((const double *)c->probs)[at] : ((const float *)c->probs)[at];
            c->out[i] = v;
            if (!(v >= -CL_TOL && v <= 1 + CL_TOL)) c->bad[t] = 1;
        }
        if (c->check_all) lc_sc_range(c, a, b, t);
        free(buf);
        return;
    }
    for (size_t i = a; i < b; i++) {
        const double *p = lc_row(c->probs, c->dt, k, i, buf);
        size_t y = (size_t)c->y[i];
        for (size_t j = 0; j < k; j++)
            if (!(p[j] >= -CL_TOL && p[j] <= 1 + CL_TOL)) c->bad[t] = 1;
        if (c->thr) { cl_adjust_row(p, c->thr, c->tmax, k, adj); p = adj; }
        if (c->method == CL_SELF_CONFIDENCE) c->out[i] = p[y];
        else if (c->method == CL_NORMALIZED_MARGIN) c->out[i] = cl_normalized_margin(p, k, y);
        else {
            for (size_t j = 0; j < k; j++) if (p[j] < 0 || p[j] > 1) c->outside = 1;
            c->out[i] = cl_cw_entropy(p, k, y, c->log_k, tmp);
        }
    }
    free(buf);
}

int la_cl_label_quality_scores(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                               const char *method, int adjust, int check_range, int threads, double *scores,
                               la_error *err)
{
    assert(scores && err);
    la_error_clear(err);
    int rc = lc_check(labels, probs, dtype, n, k, err);
    if (rc) return rc;
    int m = 0;
    while (m < CL_RANK_COUNT && strcmp(method ? method : "self_confidence", cl_rank_names[m])) m++;
    if (m == CL_RANK_COUNT) return la_error_set(err, LA_EUSAGE, NULL, 0, "%s is not a valid scoring method for rank_by!", method);
    if (adjust && m == CL_CW_ENTROPY)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "adjust_pred_probs is not currently supported for %s.", method);
    double *thr = NULL, tmax = 0;
    if (adjust) {
        if (!(thr = la_malloc_array(k, sizeof *thr))) return lc_oom(err);
        if ((rc = la_cl_thresholds(labels, probs, dtype, n, k, thr, err))) { free(thr); return rc; }
        for (size_t j = 0; j < k; j++) if (j == 0 || thr[j] > tmax) tmax = thr[j];
    }
    int T = lc_threads(threads);
    if ((size_t)T > n) T = (int)n;
    int *bad = la_calloc((size_t)T, sizeof *bad);
    if (!bad) { free(thr); return lc_oom(err); }
    lc_sc_ctx c = {labels, probs, dtype, n, k, m, thr, tmax, log((double)k), scores, 0, 0, bad, check_range};
    la_par_run(T, lc_sc_part, &c);
    free(thr);
    int any_bad = 0;
    for (int t = 0; t < T; t++) any_bad |= bad[t];
    free(bad);
    if (c.fail) return lc_oom(err);
    if (any_bad && check_range) return la_error_set(err, LA_EUSAGE, NULL, 0, "Values in pred_probs must be between 0 and 1.");
    if (c.outside) return la_error_set(err, LA_EUSAGE, NULL, 0, "All probabilities are required to be in the interval [0, 1].");
    return 0;
}

/* ---- find_label_issues: the streaming driver over the caller's buffer ------- */

void la_cl_options_init(la_cl_options *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
    o->filter_by = "prune_by_noise_rate";
    o->frac_noise = 1.0;
    o->min_examples_per_class = 1;
}

typedef struct lc_buf { const char *p; size_t row_bytes; } lc_buf;

static int lc_read(void *ctx, size_t row0, size_t nrows, const void **out, la_error *err)
{
    (void)nrows; (void)err;
    const lc_buf *b = ctx;
    *out = b->p + row0 * b->row_bytes;
    return 0;
}

int la_cl_find_label_issues(const int32_t *labels, const void *probs, la_dtype dtype, size_t n, size_t k,
                            const la_cl_options *o, uint8_t *mask, uint32_t *ranked, size_t *n_ranked,
                            la_error *err)
{
    assert(mask && err);
    la_error_clear(err);
    la_cl_options defaults;
    if (!o) { la_cl_options_init(&defaults); o = &defaults; }
    int rc = lc_check(labels, probs, dtype, n, k, err);
    if (rc) return rc;
    cl_opts co;
    cl_opts_init(&co);
    int f = 0, r = 0;
    while (f < CL_FILTER_COUNT && strcmp(o->filter_by ? o->filter_by : "prune_by_noise_rate", cl_filter_names[f])) f++;
    if (f == CL_FILTER_COUNT) return la_error_set(err, LA_EUSAGE, NULL, 0, "filter_by '%s' is not supported", o->filter_by);
    while (o->rank_by && r < CL_RANK_COUNT && strcmp(o->rank_by, cl_rank_names[r])) r++;
    if (r == CL_RANK_COUNT) return la_error_set(err, LA_EUSAGE, NULL, 0, "rank_by '%s' is not supported", o->rank_by);
    co.filter = (cl_filter)f;
    co.rank = (cl_rank)r;
    co.frac_noise = o->frac_noise;
    co.remove = o->num_to_remove_per_class;
    co.nmin = o->min_examples_per_class;
    co.threads = lc_threads(o->threads);
    co.prune_joint = o->confident_joint;
    lc_buf b = {probs, k * (size_t)dtype};
    cl_reader rd = {&b, (int)dtype, LC_CHUNK_ROWS < n ? LC_CHUNK_ROWS : n, lc_read, "pred_probs"};
    cl_result res;
    if ((rc = cl_run(n, k, labels, &rd, &co, &res, err))) {
        if (co.rank == CL_CW_ENTROPY && strstr(err->msg, "confidence_weighted_entropy needs"))  /* cleanlab's words */
            la_error_set(err, LA_EUSAGE, NULL, 0, "All probabilities are required to be in the interval [0, 1].");
        else if (strstr(err->msg, "beyond the 1e-6 tolerance") || strstr(err->msg, "not a finite number"))
            la_error_set(err, LA_EUSAGE, NULL, 0, "Values in pred_probs must be between 0 and 1.");
        return rc;
    }
    for (size_t i = 0; i < n; i++) mask[i] = (res.flags[i] & CL_F_ISSUE) != 0;
    if (ranked) memcpy(ranked, res.ranked, res.n_flagged * sizeof *ranked);
    if (n_ranked) *n_ranked = res.n_flagged;
    cl_result_free(&res);
    return 0;
}

/* ---- multi-label: one binary problem per class (cleanlab's one-vs-rest) ---- */

/* Class c's binary problem: labels y[i] = onehot[i][c], probabilities
 * [1 - p_ic, p_ic] in the input's precision (numpy's stack_complement). */
static void lc_binary(const uint8_t *onehot, const void *probs, la_dtype dt, size_t n, size_t k, size_t c,
                      int32_t *y, void *bin)
{
    for (size_t i = 0; i < n; i++) {
        y[i] = onehot[i * k + c] != 0;
        if (dt == LA_F64) {
            double p = ((const double *)probs)[i * k + c];
            ((double *)bin)[2 * i] = 1 - p;
            ((double *)bin)[2 * i + 1] = p;
        } else {
            float p = ((const float *)probs)[i * k + c];
            ((float *)bin)[2 * i] = 1.0f - p;
            ((float *)bin)[2 * i + 1] = p;
        }
    }
}

int la_cl_multilabel_scores(const uint8_t *onehot, const void *probs, la_dtype dtype, size_t n, size_t k,
                            const char *method, int adjust, int threads, double *scores, la_error *err)
{
    assert(onehot && probs && scores && err);
    la_error_clear(err);
    if (dtype != LA_F32 && dtype != LA_F64) return la_error_set(err, LA_EUSAGE, NULL, 0, "dtype must be LA_F32 or LA_F64");
    int32_t *y = la_malloc_array(n + 1, sizeof *y);
    void *bin = la_malloc_array(2 * n + 1, (size_t)dtype);
    double *col = la_malloc_array(n + 1, sizeof *col);
    int rc = y && bin && col ? 0 : lc_oom(err);
    for (size_t c = 0; !rc && c < k; c++) {
        lc_binary(onehot, probs, dtype, n, k, c, y, bin);
        rc = la_cl_label_quality_scores(y, bin, dtype, n, 2, method, adjust, 0, threads, col, err);
        for (size_t i = 0; !rc && i < n; i++) scores[i * k + c] = col[i];
    }
    free(y); free(bin); free(col);
    return rc;
}

int la_cl_multilabel_find_label_issues(const uint8_t *onehot, const void *probs, la_dtype dtype, size_t n, size_t k,
                                       const la_cl_options *o, uint8_t *issues, la_error *err)
{
    assert(onehot && probs && issues && err);
    la_error_clear(err);
    if (dtype != LA_F32 && dtype != LA_F64) return la_error_set(err, LA_EUSAGE, NULL, 0, "dtype must be LA_F32 or LA_F64");
    la_cl_options defaults;
    if (!o) { la_cl_options_init(&defaults); o = &defaults; }
    int32_t *y = la_malloc_array(n + 1, sizeof *y);
    void *bin = la_malloc_array(2 * n + 1, (size_t)dtype);
    uint8_t *mask = la_malloc_array(n + 1, 1);
    int rc = y && bin && mask ? 0 : lc_oom(err);
    for (size_t c = 0; !rc && c < k; c++) {
        lc_binary(onehot, probs, dtype, n, k, c, y, bin);
        la_cl_options oc = *o;
        int64_t remove[2];
        oc.rank_by = NULL;
        if (o->num_to_remove_per_class) {
            remove[0] = o->num_to_remove_per_class[c];
            remove[1] = 0;
            oc.num_to_remove_per_class = remove;
        }
        oc.confident_joint = o->confident_joint ? o->confident_joint + 4 * c : NULL;
        rc = la_cl_find_label_issues(y, bin, dtype, n, 2, &oc, mask, NULL, NULL, err);
        for (size_t i = 0; !rc && i < n; i++) issues[i * k + c] = mask[i];
    }
    free(y); free(bin); free(mask);
    return rc;
}
