/*
 * train.c — the training options' defaults and checks, learning curves and
 * model names (train.h).
 */
#include "train.h"

#include <string.h>

static const char *const model_names[] = {"logreg", "mlp", "knn", "cnn", "ensemble"};
const char *cv_model_name(cv_model_kind k) { return model_names[k]; }

int cv_model_parse(const char *name)
{
    for (int i = 0; i < CV_MODEL_ENSEMBLE; i++)
        if (!strcmp(name, model_names[i])) return i;
    return -1;
}

static const char *const sampler_names[] = {"none", "oversample", "undersample"};

int cv_sampler_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof sampler_names / sizeof *sampler_names); i++)
        if (!strcmp(name, sampler_names[i])) return i;
    return -1;
}

static const char *const stop_names[] = {"accuracy", "loss", "balanced"};
const char *cv_stop_on_name(cv_stop_on s) { return stop_names[s]; }

int cv_train_stops_early(const cv_train_opts *o)
{
    if (o->model == CV_MODEL_MLP || o->model == CV_MODEL_CNN) return 1;
    for (int i = 0; o->model == CV_MODEL_ENSEMBLE && i < o->n_ensemble; i++)
        if (o->ensemble[i] == CV_MODEL_MLP || o->ensemble[i] == CV_MODEL_CNN) return 1;
    return 0;
}

const char *cv_train_stop_on_recorded(const cv_train_opts *o)
{
    return o->stop_on != CV_STOP_ACCURACY && cv_train_stops_early(o) ? cv_stop_on_name(o->stop_on) : NULL;
}

void cv_train_opts_init(cv_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->model = CV_MODEL_LOGREG;
    o->loss = CV_LOSS_CE;
    o->beta = 0.999;
    o->gamma = 2.0;
    o->gce_q = 0.7;
    o->sce_alpha = 0.1;
    o->sce_beta = 1.0;
    o->l2 = 1.0;
    o->tau = 1.0;
    o->max_iter = 500;
    o->tol = 1e-4;                 /* = scikit-learn's tol on the mean-loss gradient */
    o->l2_default = 1;             /* logreg: L relative to the data, see logreg.c */
    o->tol_default = 1;
    o->hidden[0] = 256;
    o->n_hidden = 1;
    o->epochs = 30;
    o->batch_size = CV_DEFAULT_BATCH;
    o->lr = 1e-3;
    o->dropout = 0.2;              /* mlp, cnn: with patience 10 on accuracy, above sklearn (issue 20) */
    o->patience = -1;              /* per model: mlp 10, logreg 0 (converge) */
    o->val_frac = 0.1;
    o->knn_k = 15;
    o->metric = CV_METRIC_COSINE;
}

int cv_train_opts_validate(const cv_train_opts *o, size_t k, la_error *err)
{
    if (k > CV_MAX_CLASSES)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "%zu classes: at most %d are supported", k, CV_MAX_CLASSES);
    if (o->focal_alpha && o->n_focal_alpha != 1 && o->n_focal_alpha != k)
        return la_error_set(err, LA_EUSAGE, NULL, 0,
                            "--focal-alpha has %zu values: give 1 or one per class (%zu)",
                            o->n_focal_alpha, k);
    if (!(o->oversample_ratio >= 0 && o->oversample_ratio <= 1))
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--oversample-ratio must be in (0, 1]");
    if (o->model == CV_MODEL_MLP && o->n_hidden < 1)
        return la_error_set(err, LA_EUSAGE, NULL, 0, "--hidden needs at least one layer size");
    return 0;
}

void cv_train_val_weights(const cv_train_opts *o, const int32_t *y, size_t n, size_t k, float *sw)
{
    size_t count[CV_MAX_CLASSES] = {0}, present = 0;
    for (size_t i = 0; i < n; i++) sw[i] = 1.0f;
    if (o->stop_on != CV_STOP_BALANCED || k > CV_MAX_CLASSES) return;
    for (size_t i = 0; i < n; i++) count[y[i]]++;
    for (size_t c = 0; c < k; c++) present += count[c] > 0;
    /* sw_i = n / (K' n_{y_i}): sum_i sw_i L_i / n = (1/K') sum_c mean_{y_i=c} L_i */
    for (size_t i = 0; i < n; i++) sw[i] = (float)((double)n / ((double)present * (double)count[y[i]]));
}

void cv_curve_put(cv_curve *cv, size_t e, double tr_acc, double tr_loss, double va_acc,
                  double va_loss, double ho_acc)
{
    if (!cv || e >= cv->cap) return;
    if (cv->train_acc) cv->train_acc[e] = (float)tr_acc;
    if (cv->train_loss) cv->train_loss[e] = (float)tr_loss;
    if (cv->val_acc) cv->val_acc[e] = (float)va_acc;
    if (cv->val_loss) cv->val_loss[e] = (float)va_loss;
    if (cv->heldout_acc) cv->heldout_acc[e] = (float)ho_acc;
    cv->n = e + 1;
}

