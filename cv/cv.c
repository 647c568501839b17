/*
 * cv.c — the k-fold driver (see cv.h). Each fold: rows outside f -> scaler
 * fit -> standardized training matrix -> cv_model_fit; rows of f -> same
 * scaler -> cv_model_predict_proba -> scattered into probs.
 * Folds run as one fork-join (la_par_run) whose parts pull the next fold.
 * Below cv_run: the stage (cv_stage) over a loaded dataset, its metrics.json
 * document and the writers of its outputs.
 * Invariant: nothing computed from a fold's held-out rows reaches its model.
 */
#include <assert.h>
#include <cblas.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cv.h"
#include "cnn.h"
#include "folds.h"
#include "prior.h"
#include "scaler.h"
#include "../io/dataset_write.h"
#include "../io/npy.h"
#include "../util/la_json.h"
#include "../util/la_par.h"

/* Seed step between folds: fold f's model is seeded seed + f x this. */
#define CV_FOLD_SEED_STEP 1000003ull

typedef struct job {
    const cv_train_opts *t;
    const cv_run_opts   *r;
    const float   *X;
    size_t         n, d, k;
    const int32_t *y;
    const float   *sw;
    const int32_t *fold;
    double        *probs;
    cv_fold_info  *info;
    pthread_mutex_t lock;
    int            next, done, failed;
    int            stride;        /* folds next, next + stride, ... (ranks)   */
    la_error       err;
} job;

static double t_l2_default(const cv_train_opts *t) { return t->l2 < 0 ? 1.0 : t->l2; }

/* One fold, start to finish, its standardized rows in *buf: the training
 * rows then the held-out ones, n x d floats for every fold, so a worker
 * allocates it (and the kernel zero-fills its pages) once, not once per fold.
 * Returns 0 or a status with *err filled. */
static int run_fold(job *J, int f, float **buf, la_error *err)
{
    double t0 = la_now();
    size_t n = J->n, d = J->d, k = J->k, ntr = 0, nte = 0;
    size_t *tr = la_malloc_array(n, sizeof *tr), *te = la_malloc_array(n, sizeof *te);
    float *Xtr = NULL, *Xte = NULL, *swtr = NULL;
    int32_t *ytr = NULL;
    double *P = NULL;
    cv_scaler sc;
    memset(&sc, 0, sizeof sc);
    int rc = 0;
    if (!tr || !te) goto oom;
    for (size_t i = 0; i < n; i++) {
        if (J->fold[i] == f) te[nte++] = i; else tr[ntr++] = i;
    }
    if (ntr == 0 || nte == 0) {
        rc = la_error_set(err, LA_EUSAGE, NULL, 0, "fold %d has %zu training and %zu held-out rows", f, ntr, nte);
        goto done;
    }
    /* preprocessing fitted on the training rows only */
    if ((rc = cv_scaler_fit(&sc, J->X, n, d, J->fold, f, J->r->onehot, J->r->standardize, err))) goto done;
    if (!*buf && !(*buf = la_big_alloc(n, (d ? d : 1) * sizeof(float)))) goto oom;
    Xtr = *buf;
    Xte = *buf + ntr * d;
    ytr = la_malloc_array(ntr, sizeof *ytr);
    P = la_malloc_array(nte * k, sizeof *P);
    if (J->sw) swtr = la_malloc_array(ntr, sizeof *swtr);
    if (!ytr || !P || (J->sw && !swtr)) goto oom;
    cv_scaler_apply(&sc, J->X, tr, ntr, Xtr);
    cv_scaler_apply(&sc, J->X, te, nte, Xte);
    for (size_t i = 0; i < ntr; i++) {
        ytr[i] = J->y[tr[i]];
        if (swtr) swtr[i] = J->sw[tr[i]];
    }
    cv_train_opts o = *J->t;
    int iters = 0;
    double l2_used = t_l2_default(J->t);
    o.threads = 0;                    /* BLAS threads are set by cv_run */
    o.seed = J->t->seed + CV_FOLD_SEED_STEP * (uint64_t)f;
    o.curve = J->r->curves ? &J->r->curves[f] : NULL;
    o.n_iter = &iters;
    o.l2_used = &l2_used;
    o.aug_mean = sc.mean;
    o.aug_inv_scale = sc.inv_scale;
    if (o.curve) { o.eval_X = Xte; o.eval_n = nte; }
    int32_t *yte = NULL;
    if (o.curve) {
        yte = la_malloc_array(nte, sizeof *yte);
        if (!yte) goto oom;
        for (size_t i = 0; i < nte; i++) yte[i] = J->y[te[i]];
        o.eval_y = yte;
    }
    int decouple = J->r->decouple;
    size_t h = J->r->embed ? (size_t)J->t->hidden[J->t->n_hidden - 1] : 0;
    float *H = h ? la_malloc_array(nte * h, sizeof *H) : NULL;
    if (h && !H) { free(yte); goto oom; }
    if (J->r->rebalance) {
        /* --rebalance auto: the strategy of best inner score on these rows only */
        cv_rebalance_choice ch;
        rc = h ? la_error_set(err, LA_EUSAGE, NULL, 0, "--embed-out does not go with --rebalance auto "
                              "(the chosen fit may be a blend of two models)")
               : cv_rebalance_choose(&o, J->r->rebalance, Xtr, ntr, d, ytr, swtr, k, &ch, err);
        if (rc) { free(yte); free(H); goto done; }
        if (J->info) J->info[f].rebalance = ch;
        rc = cv_rebalance_fit_predict(&o, &ch, J->r->coteach, Xtr, ntr, d, ytr, swtr, k, Xte, nte, P, err);
    } else {
        rc = cv_robust_fit_predict_embed(&o, J->r->coteach, decouple, Xtr, ntr, d, ytr, swtr, k, Xte, nte, P, H, err);
    }
    free(yte);
    for (size_t i = 0; !rc && H && i < nte; i++) memcpy(J->r->embed + te[i] * h, H + i * h, h * sizeof *H);
    free(H);
    if (rc) goto done;
    for (size_t i = 0; i < nte; i++) memcpy(J->probs + te[i] * k, P + i * k, k * sizeof *P);
    if (J->info) {
        J->info[f].n_train = ntr;
        J->info[f].n_test = nte;
        J->info[f].iters = iters;
        J->info[f].seconds = la_now() - t0;
        J->info[f].l2 = l2_used;
    }
    goto done;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
done:
    cv_scaler_free(&sc);
    free(tr); free(te); free(ytr); free(swtr); free(P);
    return rc;
}

/* One part of the fork-join: takes the next fold until none is left (or
 * one failed). Which part runs which fold does not matter: each fold's
 * result depends only on the fold. */
static void worker(void *arg, int part, int n_parts)
{
    (void)part;
    (void)n_parts;
    job *J = arg;
    float *buf = NULL;
    for (;;) {
        pthread_mutex_lock(&J->lock);
        int f = J->failed ? J->r->n_folds : J->next;
        J->next += J->stride;
        pthread_mutex_unlock(&J->lock);
        if (f >= J->r->n_folds) break;
        la_error e;
        la_error_clear(&e);
        int rc = run_fold(J, f, &buf, &e);
        pthread_mutex_lock(&J->lock);
        if (rc && !J->failed) { J->failed = rc; J->err = e; }
        if (!rc) {
            J->done++;
            if (J->r->on_fold) J->r->on_fold(J->r->ctx, f, J->done);
        }
        pthread_mutex_unlock(&J->lock);
    }
    free(buf);
}

/* ---- folds across ranks (cv_run_opts.coll) -------------------------------- */

/* One fold's record between ranks: its info, then its curve (n, best and
 * the five arrays of cap floats) when curves are kept. */
static size_t cv_fold_bytes(const cv_run_opts *r)
{
    size_t cap = r->curves ? r->curves[0].cap : 0;
    return sizeof(cv_fold_info) + (r->curves ? 2 * sizeof(int64_t) + 5 * cap * sizeof(float) : 0);
}

static void cv_fold_pack(const cv_run_opts *r, const cv_fold_info *info, int f, unsigned char *o)
{
    memcpy(o, &info[f], sizeof *info);
    if (!r->curves) return;
    const cv_curve *c = &r->curves[f];
    int64_t nb[2] = {(int64_t)c->n, c->best};
    const float *a[5] = {c->train_acc, c->train_loss, c->val_acc, c->val_loss, c->heldout_acc};
    o += sizeof *info;
    memcpy(o, nb, sizeof nb);
    o += sizeof nb;
    for (int q = 0; q < 5; q++, o += c->cap * sizeof(float)) memcpy(o, a[q], c->cap * sizeof(float));
}

static void cv_fold_unpack(const cv_run_opts *r, cv_fold_info *info, int f, const unsigned char *o)
{
    memcpy(&info[f], o, sizeof *info);
    if (!r->curves) return;
    cv_curve *c = &r->curves[f];
    int64_t nb[2];
    float *a[5] = {c->train_acc, c->train_loss, c->val_acc, c->val_loss, c->heldout_acc};
    o += sizeof *info;
    memcpy(nb, o, sizeof nb);
    o += sizeof nb;
    c->n = (size_t)nb[0];
    c->best = (int)nb[1];
    for (int q = 0; q < 5; q++, o += c->cap * sizeof(float)) memcpy(a[q], o, c->cap * sizeof(float));
}

/* After every rank trained its folds (f % size == rank): rank r's message is
 * its folds' records, then the probability rows of its folds in index
 * order; rank 0 puts each where one process would have, then the whole
 * result goes to every rank. info may be NULL (then a scratch one). */
static int cv_dist_collect(const cv_run_opts *r, int failed, const int32_t *fold, size_t n, size_t k, double *probs,
                           cv_fold_info *info, la_error *err)
{
    const la_collective *co = r->coll;
    int R = co->size, me = co->rank, nf = r->n_folds;
    size_t fb = cv_fold_bytes(r), rows = 0, nmine = 0;
    cv_fold_info *scratch = info ? NULL : la_calloc((size_t)nf, sizeof *scratch);
    int rc = la_coll_agree(co, failed ? failed : (!info && !scratch) ? LA_EINTERNAL : 0, err);
    if (rc) { free(scratch); return rc; }
    if (!info) info = scratch;
    for (size_t i = 0; i < n; i++) rows += fold[i] % R == me;
    for (int f = me; f < nf; f += R) nmine++;
    size_t bytes = nmine * fb + rows * k * sizeof *probs;
    unsigned char *msg = la_malloc_array(bytes + 1, 1), *all = NULL, *whole = la_malloc_array((size_t)nf * fb + 1, 1);
    if (!msg || !whole) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t at = 0;
    for (int f = me; !rc && f < nf; f += R, at += fb) cv_fold_pack(r, info, f, msg + at);
    for (size_t i = 0; !rc && i < n; i++)
        if (fold[i] % R == me) { memcpy(msg + at, probs + i * k, k * sizeof *probs); at += k * sizeof *probs; }
    if ((rc = la_coll_agree(co, rc, err)) || (rc = la_coll_gather(co, msg, bytes, (void **)&all, NULL, err))) goto done;
    if (me == 0) {   /* rank by rank, in the order they were packed */
        at = 0;
        for (int q = 0; q < R; q++) {
            for (int f = q; f < nf; f += R, at += fb) memcpy(whole + (size_t)f * fb, all + at, fb);
            for (size_t i = 0; i < n; i++)
                if (fold[i] % R == q) { memcpy(probs + i * k, all + at, k * sizeof *probs); at += k * sizeof *probs; }
        }
    }
    if ((rc = la_coll_bcast(co, probs, n * k * sizeof *probs, err)) ||
        (rc = la_coll_bcast(co, whole, (size_t)nf * fb, err)))
        goto done;
    for (int f = 0; f < nf; f++) cv_fold_unpack(r, info, f, whole + (size_t)f * fb);
done:
    free(msg); free(all); free(whole); free(scratch);
    return la_coll_agree(co, rc, err);
}

int cv_run(const cv_train_opts *t, const cv_run_opts *r, const float *X, size_t n, size_t d,
           const int32_t *y, const float *sw, size_t k, const int32_t *fold,
           double *probs, cv_fold_info *info, la_error *err)
{
    if (cv_train_opts_validate(t, k, err)) return err->status;
    job J;
    memset(&J, 0, sizeof J);
    J.t = t; J.r = r; J.X = X; J.n = n; J.d = d; J.k = k; J.y = y; J.sw = sw;
    J.fold = fold; J.probs = probs; J.info = info;
    J.stride = 1;
    const la_collective *co = la_coll_active(r->coll) ? r->coll : NULL;
    if (co) { J.next = co->rank; J.stride = co->size; }
    la_error_clear(&J.err);
    pthread_mutex_init(&J.lock, NULL);
    int threads = r->threads > 0 ? r->threads : 1;
    int workers = threads < r->n_folds ? threads : r->n_folds;
    cv_train_opts tc;
    if (cv_cnn_wanted(t)) {           /* cnn: folds in turn, threads across each batch */
        tc = *t;
        tc.batch_threads = threads;
        J.t = t = &tc;
        workers = 1;
    }
    /* workers > 1: parallel folds, single-threaded BLAS (no oversubscription) */
    openblas_set_num_threads(workers > 1 ? 1 : threads);
    /* across ranks the BLAS threading above is one process's; only the
     * number of fold-pulling parts follows this rank's share of folds */
    int mine = co ? (r->n_folds - co->rank + co->size - 1) / co->size : r->n_folds;
    la_par_run(mine < 1 ? 1 : mine < workers ? mine : workers, worker, &J);
    pthread_mutex_destroy(&J.lock);
    openblas_set_num_threads(threads);
    if (co) {
        if (J.failed) *err = J.err;
        return cv_dist_collect(r, J.failed, fold, n, k, probs, info, err);
    }
    if (J.failed) {
        *err = J.err;
        return J.failed;
    }
    return 0;
}

/* ---- the stage ------------------------------------------------------------ */

void cv_stage_result_free(cv_stage_result *r)
{
    for (int f = 0; r->fold_metrics && f < r->n_folds; f++) mt_metrics_free(&r->fold_metrics[f]);
    mt_metrics_free(&r->pooled);
    free(r->fold_metrics);
    free(r->probs); free(r->fold); free(r->info); free(r->curves); free(r->curve_mem); free(r->embed);
    memset(r, 0, sizeof *r);
}

/* Learning curves of the mlp's epochs, one per fold, carved from one block. */
static int alloc_curves(cv_stage_result *r, size_t cap)
{
    size_t nf = (size_t)r->n_folds;
    r->curves = la_calloc(nf, sizeof *r->curves);
    r->curve_mem = la_malloc_array(nf * 5 * cap, sizeof *r->curve_mem);
    if (!r->curves || !r->curve_mem) return -1;
    for (size_t f = 0; f < nf; f++) {
        float *p = r->curve_mem + f * 5 * cap;
        cv_curve *c = &r->curves[f];
        c->cap = cap;
        c->train_acc = p; c->train_loss = p + cap; c->val_acc = p + 2 * cap;
        c->val_loss = p + 3 * cap; c->heldout_acc = p + 4 * cap;
    }
    return 0;
}

int cv_stage(const la_dataset *ds, const float *sw, const cv_stage_opts *o, cv_stage_result *out,
             la_error *err)
{
    assert(ds && o && out && o->n_folds >= 2 && o->threads >= 1);
    memset(out, 0, sizeof *out);
    if (ds->d == 0 || !ds->features)
        return la_error_set(err, LA_EUSAGE, ds->path, 0, "the dataset has no feature columns to train on");
    cv_train_opts t = o->train;
    t.seed = o->seed;
    if (!t.image_shape_set) {          /* --image-shape wins (.npy, csv rows) */
        t.image_w = ds->image_w;
        t.image_h = ds->image_h;
        t.channels = ds->channels;
    }
    size_t n = ds->n, k = ds->k;
    out->n = n;
    out->k = k;
    out->n_folds = o->n_folds;
    out->fold = la_malloc_array(n ? n : 1, sizeof *out->fold);
    out->probs = la_malloc_array(n && k ? n * k : 1, sizeof *out->probs);
    out->info = la_calloc((size_t)o->n_folds, sizeof *out->info);
    out->fold_metrics = la_calloc((size_t)o->n_folds, sizeof *out->fold_metrics);
    if (!out->fold || !out->probs || !out->info || !out->fold_metrics) goto oom;
    if ((t.model == CV_MODEL_MLP || t.model == CV_MODEL_CNN) && alloc_curves(out, (size_t)t.epochs)) goto oom;
    int rc;
    if (o->embed) {            /* the out-of-fold hidden-layer embedding (mlp only, one process) */
        if (t.model != CV_MODEL_MLP || t.n_hidden < 1 || t.hidden[t.n_hidden - 1] < 1) {
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "--embed-out needs --model mlp (the embedding is its last hidden layer)");
            goto fail;
        }
        if (o->coll && la_coll_size(o->coll) > 1) {
            rc = la_error_set(err, LA_EUSAGE, NULL, 0, "--embed-out is not available across MPI ranks");
            goto fail;
        }
        out->embed_dim = (size_t)t.hidden[t.n_hidden - 1];
        if (!(out->embed = la_big_alloc(n ? n : 1, out->embed_dim * sizeof *out->embed))) goto oom;
    }
    if (o->folds) memcpy(out->fold, o->folds, n * sizeof *out->fold);
    else if ((rc = cv_folds_stratified(ds->labels, n, k, o->n_folds, o->seed, out->fold, NULL, err))) goto fail;
    cv_run_opts ro = {
        .n_folds = o->n_folds, .threads = o->threads, .standardize = o->standardize,
        .onehot = ds->feature_onehot, .curves = out->curves, .coteach = o->coteach,
        .decouple = o->decouple, .rebalance = o->rebalance, .on_fold = o->on_fold, .ctx = o->ctx,
        .coll = o->coll, .embed = out->embed,
    };
    double t1 = la_now();
    if ((rc = cv_run(&t, &ro, ds->features, n, ds->d, ds->labels, sw, k, out->fold, out->probs,
                     out->info, err)))
        goto fail;
    out->seconds = la_now() - t1;
    if ((rc = mt_compute_folds(ds->labels, out->probs, n, k, out->fold, (size_t)o->n_folds, &out->pooled,
                               out->fold_metrics, err)))
        goto fail;
    return 0;
oom:
    rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
fail:
    cv_stage_result_free(out);
    return rc;
}

/* One fold's learning curve: per-epoch arrays, null where not measured. */
static json_t *curve_json(const cv_curve *c)
{
    json_t *o = json_object(), *tr = json_array(), *va = json_array(), *ho = json_array(), *vl = json_array();
    for (size_t e = 0; e < c->n; e++) {
        json_array_append_new(tr, isfinite(c->train_acc[e]) ? json_real(c->train_acc[e]) : json_null());
        json_array_append_new(va, isfinite(c->val_acc[e]) ? json_real(c->val_acc[e]) : json_null());
        json_array_append_new(vl, isfinite(c->val_loss[e]) ? json_real(c->val_loss[e]) : json_null());
        json_array_append_new(ho, isfinite(c->heldout_acc[e]) ? json_real(c->heldout_acc[e]) : json_null());
    }
    json_object_set_new(o, "train_accuracy", tr);
    json_object_set_new(o, "val_accuracy", va);
    json_object_set_new(o, "val_loss", vl);
    json_object_set_new(o, "heldout_accuracy", ho);
    json_object_set_new(o, "best_epoch", json_integer(c->best));
    return o;
}

/* The run's rebalancing: {mode, select_by, [precision], inner_folds,
 * compared: [strategies], chosen: {strategy: folds}, [below_plain_folds],
 * loses_pr_auc_folds: [folds whose choice loses inner PR-AUC, maybe empty]}. */
static json_t *rebalance_json(const cv_stage_result *r, const cv_stage_opts *o)
{
    const cv_rebalance_opts *rb = o->rebalance;
    json_t *j = json_object(), *cmp = json_array(), *cho = json_object();
    cv_rebalance_opts_json(j, rb);
    for (int s = 0; s < CV_REB_N; s++)
        if (cv_rebalance_applies(s, o->train.model)) json_array_append_new(cmp, json_string(cv_rebalance_name(s)));
    for (int f = 0; f < r->n_folds; f++) {
        char buf[48];
        const char *nm = cv_rebalance_choice_name(&r->info[f].rebalance, buf, sizeof buf);
        json_t *c = json_object_get(cho, nm);
        json_object_set_new(cho, nm, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    json_object_set_new(j, "compared", cmp);
    json_object_set_new(j, "chosen", cho);
    /* folds whose choice scores below plain in the inner comparison */
    json_t *bp = json_array();
    for (int f = 0; f < r->n_folds; f++)
        if (cv_rebalance_below_plain(&r->info[f].rebalance)) json_array_append_new(bp, json_integer(f));
    if (json_array_size(bp)) json_object_set_new(j, "below_plain_folds", bp);
    else json_decref(bp);
    /* folds whose choice loses inner PR-AUC to plain ("without saying so") */
    json_t *lp = json_array();
    for (int f = 0; f < r->n_folds; f++)
        if (cv_rebalance_loses_pr_auc(&r->info[f].rebalance, NULL, NULL)) json_array_append_new(lp, json_integer(f));
    json_object_set_new(j, "loses_pr_auc_folds", lp);
    return j;
}

/* The rebalancing options, only where they are used (runs without them keep
 * their documents byte for byte). */
static void add_rebalance_keys(json_t *doc, const cv_stage_result *r, const cv_stage_opts *o)
{
    const cv_train_opts *t = &o->train;
    if (t->sampler != CV_SAMPLER_NONE)
        json_object_set_new(doc, "sampler", json_string(t->sampler == CV_SAMPLER_OVERSAMPLE ? "oversample" : "undersample"));
    if (t->loss == CV_LOSS_LOGIT_ADJUSTED) json_object_set_new(doc, "tau", json_real(t->tau));
    if (t->oversample_ratio > 0) json_object_set_new(doc, "oversample_ratio", json_real(t->oversample_ratio));
    if (o->decouple) json_object_set_new(doc, "decouple", json_true());
    const char *stop = cv_train_stop_on_recorded(t);
    if (stop) json_object_set_new(doc, "stop_on", json_string(stop));
    if (o->rebalance) json_object_set_new(doc, "rebalance", rebalance_json(r, o));
    if (o->rebalance || cv_prior_shifts(t, o->decouple))
        json_object_set_new(doc, "prior_correction", json_string(t->raw_probs ? "raw" : "applied"));
}

json_t *cv_stage_metrics_json(const cv_stage_result *r, const cv_stage_opts *o, char *const *class_names)
{
    json_t *doc = mt_to_json(&r->pooled, r->fold_metrics, (size_t)r->n_folds, class_names);
    if (!doc) return NULL;
    const cv_train_opts *t = &o->train;
    json_t *jf = json_object_get(doc, "folds");
    for (int f = 0; f < r->n_folds; f++) {
        json_t *fo = json_array_get(jf, (size_t)f);
        const cv_fold_info *in = &r->info[f];
        if (!fo) continue;
        json_object_set_new(fo, "n_train", json_integer((json_int_t)in->n_train));
        json_object_set_new(fo, "n_test", json_integer((json_int_t)in->n_test));
        json_object_set_new(fo, "iterations", json_integer(in->iters));
        json_object_set_new(fo, "seconds", json_real(in->seconds));
        if (t->model != CV_MODEL_KNN) json_object_set_new(fo, "l2", json_real(in->l2));
        if (r->curves) json_object_set_new(fo, "curve", curve_json(&r->curves[f]));
        if (o->rebalance) json_object_set_new(fo, "rebalance", cv_rebalance_choice_json(&in->rebalance));
    }
    json_object_set_new(doc, "model", json_string(cv_model_name(t->model)));
    json_object_set_new(doc, "loss", json_string(cv_loss_name(t->loss)));
    json_object_set_new(doc, "variant", json_string(o->coteach ? "coteach" : o->decouple ? "decouple" : "plain"));
    if (o->coteach) {
        json_object_set_new(doc, "forget_rate", json_real(o->coteach->forget_rate));
        json_object_set_new(doc, "forget_epochs", json_integer(o->coteach->forget_epochs));
    }
    json_object_set_new(doc, "n", json_integer((json_int_t)r->n));
    json_object_set_new(doc, "k", json_integer((json_int_t)r->k));
    json_object_set_new(doc, "n_folds", json_integer(r->n_folds));
    json_object_set_new(doc, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(doc, "threads", json_integer(o->threads));
    json_object_set_new(doc, "seconds", json_real(r->seconds));
    add_rebalance_keys(doc, r, o);
    return doc;
}

int cv_stage_out_is_csv(const char *pred_probs_path)
{
    size_t len = strlen(pred_probs_path);
    return len >= 4 && !strcasecmp(pred_probs_path + len - 4, ".csv");
}

void cv_stage_dir(const char *pred_probs_path, char *dir, size_t dirsz)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", pred_probs_path);
    snprintf(dir, dirsz, "%s", dirname(tmp));
}

/* folds.csv: id,fold per row in dataset order (ids quoted when they hold
 * , " CR or LF; the row number when the dataset has no ids). */
static int write_folds_csv(const char *path, const la_dataset *ds, const int32_t *fold, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    fputs("id,fold\n", af.fp);
    for (size_t i = 0; i < ds->n; i++) {
        const char *id = ds->ids ? ds->ids[i] : NULL;
        if (!id) fprintf(af.fp, "%zu,%d\n", i, fold[i]);
        else if (strpbrk(id, ",\"\r\n")) { io_write_csv_quoted(af.fp, id); fprintf(af.fp, ",%d\n", fold[i]); }
        else fprintf(af.fp, "%s,%d\n", id, fold[i]);
    }
    return la_atomic_commit(&af, err);
}

int cv_stage_write(const cv_stage_result *r, const la_dataset *ds, const json_t *doc,
                   const char *pred_probs_path, la_error *err)
{
    assert(r && ds && doc && pred_probs_path && r->n == ds->n);
    char dir[4096], path[4200];
    int rc;
    cv_stage_dir(pred_probs_path, dir, sizeof dir);
    if ((rc = la_mkdir_p(dir, err))) return rc;
    snprintf(path, sizeof path, "%s/folds.csv", dir);
    if ((rc = write_folds_csv(path, ds, r->fold, err))) return rc;
    int64_t *lab64 = la_malloc_array(ds->n ? ds->n : 1, sizeof *lab64);
    if (!lab64) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; i < ds->n; i++) lab64[i] = ds->labels[i];
    snprintf(path, sizeof path, "%s/labels.npy", dir);
    rc = io_npy_save_i64(path, lab64, ds->n, err);
    free(lab64);
    if (rc) return rc;
    if (cv_stage_out_is_csv(pred_probs_path))
        rc = io_write_probs_csv(pred_probs_path, r->probs, r->n, r->k, ds->class_names, err);
    else
        rc = io_npy_save_f64(pred_probs_path, r->probs, r->n, r->k, err);
    if (rc) return rc;
    snprintf(path, sizeof path, "%s/classes.txt", dir);
    if ((rc = io_write_class_names(path, ds, err))) return rc;
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    return la_json_write_file(doc, path, LA_JSON_READABLE, err);
}
