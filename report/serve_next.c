/*
 * serve_next.c — the active-learning order of a several-reviewer session
 * (serve_next.h): cleanlab's get_active_learning_scores over the answers so
 * far, built from the consensus module's public pieces (temperature search,
 * temperature scaling, CROWDLAB), and the per-reviewer work order.
 * Invariant: scores are a pure function of (answers, probabilities); the
 * cache is keyed by the answers' stamp, so a new answer always recomputes.
 */
#include "serve_next.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/consensus.h"
#include "../io/labels.h"

struct srv_next {
    int64_t  run_id;
    size_t   n_rows, k;      /* the run's examples and classes                  */
    double  *probs;          /* n_rows x k, by dataset row                      */
    size_t   n;              /* queue rows scored                               */
    int64_t *qid;            /* n, ascending                                    */
    double  *score;          /* n                                               */
    int64_t  stamp;          /* db_reviews_stamp when scored, -1 = never        */
    int64_t  computed;
};

/* ---- cleanlab's get_active_learning_scores ---------------------------------- */

/* The single-label case (every labelled row has one label): majority vote =
 * that label, q_i = p_i[label] (self_confidence), weights all 1, t = 1. */
static void activelab_single(const int32_t *labels, size_t n, size_t m, const double *probs, size_t k,
                             double *score)
{
    double inv_k = 1.0 / (double)k;
    for (size_t i = 0; i < n; i++) {
        const double *p = probs + i * k;
        int32_t y = CS_MISSING;
        for (size_t j = 0; j < m; j++)
            if (labels[i * m + j] != CS_MISSING) y = labels[i * m + j];
        if (y != CS_MISSING) {
            score[i] = (p[y] * 2.0 + inv_k * 1.0) / 3.0;   /* weights (1 + w_model, mean w) = (2, 1) */
            continue;
        }
        double mx = p[0];
        for (size_t c = 1; c < k; c++) mx = p[c] > mx ? p[c] : mx;
        score[i] = (mx * 1.0 + inv_k * 1.0) / 2.0;         /* weights (w_model, mean w) = (1, 1) */
    }
}

/* Rows with a label, compacted (columns with no label dropped): lab nl x ml,
 * P nl x k; idx[r] = the original row. Returns -1 when out of memory. */
static int activelab_labelled(const int32_t *labels, size_t n, size_t m, const double *probs, size_t k,
                              int32_t **lab, double **P, size_t **idx, size_t *nl, size_t *ml, size_t **cols)
{
    *cols = la_calloc(m + 1, sizeof **cols);
    *idx = la_calloc(n + 1, sizeof **idx);
    if (!*cols || !*idx) return -1;
    *ml = 0;
    for (size_t j = 0; j < m; j++) {
        int any = 0;
        for (size_t i = 0; i < n && !any; i++) any = labels[i * m + j] != CS_MISSING;
        if (any) (*cols)[(*ml)++] = j;
    }
    *nl = 0;
    for (size_t i = 0; i < n; i++) {
        int any = 0;
        for (size_t c = 0; c < *ml && !any; c++) any = labels[i * m + (*cols)[c]] != CS_MISSING;
        if (any) (*idx)[(*nl)++] = i;
    }
    *lab = la_malloc_array(*nl * *ml + 1, sizeof **lab);
    *P = la_malloc_array(*nl * k + 1, sizeof **P);
    if (!*lab || !*P) return -1;
    for (size_t r = 0; r < *nl; r++) {
        for (size_t c = 0; c < *ml; c++) (*lab)[r * *ml + c] = labels[(*idx)[r] * m + (*cols)[c]];
        memcpy(*P + r * k, probs + (*idx)[r] * k, k * sizeof **P);
    }
    return 0;
}

/* The CROWDLAB case on nl labelled rows (at least one with two labels). */
static int activelab_crowdlab(const int32_t *lab, size_t nl, size_t ml, const double *P, const size_t *idx,
                              const double *probs, size_t n, size_t k, double *score, la_error *err)
{
    double t = cs_best_temperature(lab, nl, ml, P, k);
    double *Pt = la_malloc_array(nl * k + 1, sizeof *Pt), *row = la_malloc_array(k, sizeof *row);
    char *is_lab = la_calloc(n + 1, 1);
    cs_result res;
    memset(&res, 0, sizeof res);
    int rc = 0;
    if (t < 0 || !Pt || !row || !is_lab) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    cs_temp_scale(P, nl, k, t, Pt);
    cs_opts o;
    cs_opts_init(&o);
    if ((rc = cs_run(lab, nl, ml, Pt, k, &o, &res, err))) goto done;
    double mean_w = 0, inv_k = 1.0 / (double)k, wm = res.model_weight;
    for (size_t j = 0; j < ml; j++) mean_w += res.annotator_weight[j];
    mean_w /= (double)ml;
    for (size_t r = 0; r < nl; r++) {
        double W = wm;                                 /* W_i = w_model + SUM_{j labelled i} w_j */
        for (size_t j = 0; j < ml; j++)
            if (lab[r * ml + j] != CS_MISSING) W += res.annotator_weight[j];
        score[idx[r]] = (res.consensus_quality[r] * W + inv_k * mean_w) / (W + mean_w);
        is_lab[idx[r]] = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (is_lab[i]) continue;
        cs_temp_scale(probs + i * k, 1, k, t, row);    /* max_c P'_ic, P' = temp_scale(P, t) */
        double mx = row[0];
        for (size_t c = 1; c < k; c++) mx = row[c] > mx ? row[c] : mx;
        score[i] = (mx * wm + inv_k * mean_w) / (wm + mean_w);
    }
done:
    cs_result_free(&res);
    free(Pt);
    free(row);
    free(is_lab);
    return rc;
}

int srv_next_activelab(const int32_t *labels, size_t n, size_t m, const double *probs, size_t k, double *score,
                       la_error *err)
{
    int32_t *lab = NULL;
    double *P = NULL;
    size_t *idx = NULL, *cols = NULL, nl = 0, ml = 0;
    int rc = 0;
    if (activelab_labelled(labels, n, m, probs, k, &lab, &P, &idx, &nl, &ml, &cols)) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    int multi = 0;                                     /* some row has two labels or more */
    for (size_t r = 0; r < nl && !multi; r++) {
        int c = 0;
        for (size_t j = 0; j < ml; j++) c += lab[r * ml + j] != CS_MISSING;
        multi = c > 1;
    }
    if (!multi) activelab_single(labels, n, m, probs, k, score);
    else rc = activelab_crowdlab(lab, nl, ml, P, idx, probs, n, k, score, err);
done:
    free(lab);
    free(P);
    free(idx);
    free(cols);
    return rc;
}

/* ---- over a run's answers --------------------------------------------------- */

int srv_next_open(sqlite3 *db, const db_run *run, const char *probs_path, srv_next **out, la_error *err)
{
    *out = NULL;
    const char *path = probs_path ? probs_path : run->pred_probs_path;
    if (!path)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "run %lld recorded no probability "
                            "file, which --next active-learning needs: give --pred-probs FILE", (long long)run->id);
    io_probs p;
    char **ids = NULL;
    size_t n_ids = 0;
    int rc = io_probs_load(path, &p, err);
    if (rc) return rc;
    if (!(rc = db_example_ids(db, run->id, &ids, &n_ids, err))) {
        char from[64];
        snprintf(from, sizeof from, "run %lld", (long long)run->id);
        if (p.ids) rc = io_probs_reorder(&p, path, ids, n_ids, from, err);
        else if (p.n != n_ids)
            rc = la_error_set(err, LA_EUSAGE, path, 0, "has %zu rows of probabilities but run %lld has %zu examples",
                              p.n, (long long)run->id, n_ids);
    }
    if (!rc && p.k != (size_t)run->k)
        rc = la_error_set(err, LA_EUSAGE, path, 0, "has %zu probability columns but run %lld has %lld classes",
                          p.k, (long long)run->id, (long long)run->k);
    for (size_t i = 0; !rc && i < p.n * p.k; i++)
        if (!isfinite(p.p[i]) || p.p[i] < 0)
            rc = la_error_set(err, LA_EUSAGE, path, (long)(i / p.k) + 1, "row %zu: %g is not a probability",
                              i / p.k, p.p[i]);
    srv_next *nx = rc ? NULL : la_calloc(1, sizeof *nx);
    if (!rc && !nx) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    if (!rc) {
        nx->run_id = run->id;
        nx->n_rows = p.n;
        nx->k = p.k;
        nx->probs = p.p;
        p.p = NULL;
        nx->stamp = -1;
        *out = nx;
    }
    db_free_ids(ids, n_ids);
    io_probs_free(&p);
    return rc;
}

void srv_next_close(srv_next *nx)
{
    if (!nx) return;
    free(nx->probs);
    free(nx->qid);
    free(nx->score);
    free(nx);
}

/* The index of reviewer name in *names (appended when new), or -1. */
static long reviewer_col(char ***names, size_t *m, const char *name)
{
    for (size_t j = 0; j < *m; j++)
        if (!strcmp((*names)[j], name)) return (long)j;
    char **v = realloc(*names, (*m + 1) * sizeof *v);
    if (!v) return -1;
    *names = v;
    v[*m] = (char *)name;                     /* borrowed from the answers */
    return (long)(*m)++;
}

/* The label matrix of the view's rows (ascending queue id) from the answers
 * (keep = the given class, relabel = the new one; drop and skip: none). */
static int build_labels(const db_review_view *v, const db_answers *a, size_t k, int32_t **labels, size_t *m)
{
    char **names = NULL;
    *m = 0;
    for (size_t t = 0; t < a->n; t++)
        if ((!strcmp(a->v[t].status, "keep") || !strcmp(a->v[t].status, "relabel")) &&
            reviewer_col(&names, m, a->v[t].reviewer) < 0) { free(names); return -1; }
    size_t n = v->items.n, mm = *m ? *m : 1;
    *labels = la_malloc_array(n * mm + 1, sizeof **labels);
    if (!*labels) { free(names); return -1; }
    for (size_t e = 0; e < n * mm; e++) (*labels)[e] = CS_MISSING;
    size_t t = 0;
    for (size_t i = 0; i < n; i++) {
        const db_item *it = &v->items.v[i];
        for (; t < a->n && a->v[t].queue_id < it->queue_id; t++) {}
        for (; t < a->n && a->v[t].queue_id == it->queue_id; t++) {
            const db_answer *x = &a->v[t];
            int64_t y = !strcmp(x->status, "keep") ? it->given : !strcmp(x->status, "relabel") ? x->new_label : -1;
            if (y < 0 || (size_t)y >= k) continue;
            (*labels)[i * mm + (size_t)reviewer_col(&names, m, x->reviewer)] = (int32_t)y;
        }
    }
    free(names);
    return 0;
}

static int qid_order(const void *a, const void *b)
{
    int64_t x = ((const db_item *)a)->queue_id, y = ((const db_item *)b)->queue_id;
    return (x > y) - (x < y);
}

int srv_next_refresh(srv_next *nx, sqlite3 *db, la_error *err)
{
    int64_t stamp = 0;
    int rc = db_reviews_stamp(db, nx->run_id, &stamp, err);
    if (rc || stamp == nx->stamp) return rc;
    db_review_view v;
    db_answers a = {0, NULL};
    int32_t *labels = NULL;
    double *P = NULL, *score = NULL;
    int64_t *qid = NULL;
    size_t m = 0, k = nx->k;
    if ((rc = db_reviews_view(db, nx->run_id, "", 0, &v, err))) return rc;
    if ((rc = db_reviews_all(db, nx->run_id, &a, err))) goto done;
    qsort(v.items.v, v.items.n, sizeof *v.items.v, qid_order);
    size_t n = v.items.n;
    P = la_malloc_array(n * k + 1, sizeof *P);
    score = la_malloc_array(n + 1, sizeof *score);
    qid = la_malloc_array(n + 1, sizeof *qid);
    if (!P || !score || !qid || build_labels(&v, &a, k, &labels, &m)) {
        rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int64_t row = v.items.v[i].row;
        qid[i] = v.items.v[i].queue_id;
        if (row < 0 || (size_t)row >= nx->n_rows) {
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "queue row %lld: dataset row %lld has no probabilities",
                              (long long)qid[i], (long long)row);
            goto done;
        }
        memcpy(P + i * k, nx->probs + (size_t)row * k, k * sizeof *P);
    }
    if ((rc = srv_next_activelab(labels, n, m ? m : 1, P, k, score, err))) goto done;
    free(nx->qid);
    free(nx->score);
    nx->qid = qid, nx->score = score, nx->n = n, nx->stamp = stamp;
    qid = NULL, score = NULL;
    nx->computed++;
done:
    db_review_view_free(&v);
    db_answers_free(&a);
    free(labels);
    free(P);
    free(score);
    free(qid);
    return rc;
}

double srv_next_score(const srv_next *nx, int64_t q)
{
    size_t lo = 0, hi = nx->n;
    while (lo < hi) {                                   /* binary search on ascending qid */
        size_t mid = lo + (hi - lo) / 2;
        if (nx->qid[mid] < q) lo = mid + 1;
        else hi = mid;
    }
    return lo < nx->n && nx->qid[lo] == q ? nx->score[lo] : NAN;
}

int64_t srv_next_computed(const srv_next *nx) { return nx->computed; }

/* Sort key of a view item in the work order. */
typedef struct order_key { int group; double score; int64_t rank, row; size_t i; } order_key;

static int order_cmp(const void *pa, const void *pb)
{
    const order_key *a = pa, *b = pb;
    if (a->group != b->group) return a->group - b->group;
    if (a->score != b->score) return a->score < b->score ? -1 : 1;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

int srv_next_order(const srv_next *nx, const db_review_view *view, int64_t per_item, size_t **order,
                   size_t *todo, la_error *err)
{
    size_t n = view->items.n;
    order_key *key = la_malloc_array(n + 1, sizeof *key);
    *order = la_malloc_array(n + 1, sizeof **order);
    if (!key || !*order) {
        free(key);
        free(*order);
        *order = NULL;
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    *todo = 0;
    for (size_t i = 0; i < n; i++) {
        const db_item *it = &view->items.v[i];
        int open = view->answers[i] < per_item && !db_reviews_is_answer(it->status);
        int group = !open ? 2 : !strcmp(it->status, "skip") ? 1 : 0;
        double s = nx && group < 2 ? srv_next_score(nx, it->queue_id) : 0;
        key[i] = (order_key){group, isnan(s) ? INFINITY : s, it->rank, it->row, i};
        *todo += group == 0;
    }
    qsort(key, n, sizeof *key, order_cmp);
    for (size_t i = 0; i < n; i++) (*order)[i] = key[i].i;
    free(key);
    return 0;
}
