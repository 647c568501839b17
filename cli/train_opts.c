/*
 * train_opts.c — parsing of the shared training flags (see train_opts.h). Ranges are
 * checked here so the library only sees sane values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_opts.h"
#include "../cv/robust.h"
#include "cli.h"

enum {
    O_MODEL = CLI_TRAIN_OPT_BASE, O_LOSS, O_BETA, O_GAMMA, O_FALPHA, O_GCEQ, O_SCEA, O_SCEB, O_SMOOTH,
    O_L2, O_MAXITER, O_TOL, O_HIDDEN, O_EPOCHS, O_BATCH, O_LR, O_DROPOUT, O_PATIENCE, O_K,
    O_METRIC, O_SAMPLER, O_FLIP, O_VALFRAC, O_COTEACH, O_FRATE, O_FEPOCHS, O_TAU, O_OVERRATIO,
    O_RAWPROBS, O_DECOUPLE, O_REBALANCE, O_SELECTBY, O_REBFOLDS, O_REBREPEATS,
    O_CNNFILT, O_CNNDENSE, O_AUGMENT, O_IMGSHAPE, O_ENSW, O_STOPON   /* cnn: last (handle_cnn_opts; O_STOPON: cli_train_opts_handle) */
};

const struct option cli_train_long_options[] = {
    {"model", required_argument, NULL, O_MODEL},
    {"loss", required_argument, NULL, O_LOSS},
    {"beta", required_argument, NULL, O_BETA},
    {"gamma", required_argument, NULL, O_GAMMA},
    {"focal-alpha", required_argument, NULL, O_FALPHA},
    {"gce-q", required_argument, NULL, O_GCEQ},
    {"sce-alpha", required_argument, NULL, O_SCEA},
    {"sce-beta", required_argument, NULL, O_SCEB},
    {"smoothing", required_argument, NULL, O_SMOOTH},
    {"l2", required_argument, NULL, O_L2},
    {"max-iter", required_argument, NULL, O_MAXITER},
    {"tol", required_argument, NULL, O_TOL},
    {"hidden", required_argument, NULL, O_HIDDEN},
    {"epochs", required_argument, NULL, O_EPOCHS},
    {"batch-size", required_argument, NULL, O_BATCH},
    {"lr", required_argument, NULL, O_LR},
    {"dropout", required_argument, NULL, O_DROPOUT},
    {"patience", required_argument, NULL, O_PATIENCE},
    {"val-frac", required_argument, NULL, O_VALFRAC},
    {"k", required_argument, NULL, O_K},
    {"metric", required_argument, NULL, O_METRIC},
    {"sampler", required_argument, NULL, O_SAMPLER},
    {"flip", no_argument, NULL, O_FLIP},
    {"coteach", no_argument, NULL, O_COTEACH},
    {"forget-rate", required_argument, NULL, O_FRATE},
    {"forget-epochs", required_argument, NULL, O_FEPOCHS},
    {"tau", required_argument, NULL, O_TAU},
    {"oversample-ratio", required_argument, NULL, O_OVERRATIO},
    {"raw-probs", no_argument, NULL, O_RAWPROBS},
    {"decouple", no_argument, NULL, O_DECOUPLE},
    {"rebalance", required_argument, NULL, O_REBALANCE},
    {"select-by", required_argument, NULL, O_SELECTBY},
    {"rebalance-folds", required_argument, NULL, O_REBFOLDS},
    {"rebalance-repeats", required_argument, NULL, O_REBREPEATS},
    {"cnn-filters", required_argument, NULL, O_CNNFILT},
    {"cnn-dense", required_argument, NULL, O_CNNDENSE},
    {"augment", no_argument, NULL, O_AUGMENT},
    {"image-shape", required_argument, NULL, O_IMGSHAPE},
    {"ensemble-weights", no_argument, NULL, O_ENSW},
    {"stop-on", required_argument, NULL, O_STOPON},
    {NULL, 0, NULL, 0}
};

const char cli_train_opts_help[] =
    "model:\n"
    "  --model logreg|mlp|knn|cnn|ensemble:M1+M2[+M3[+M4]]   model (logreg); cnn: a small\n"
    "                           convolutional network for images; ensemble: the mean of the\n"
    "                           members' probabilities, e.g. ensemble:logreg+mlp+cnn\n"
    "  --l2 L|auto              L2 penalty: J = sum_i w_i loss_i + L/2 ||W||^2, biases free;\n"
    "                           L = 1/C of scikit-learn (mlp 1.0; logreg default: L = 0.00316 x\n"
    "                           sum of training weights, with --tol 1e-3). logreg 'auto': the L\n"
    "                           of best inner-validation log loss on a path n*10^(-1..-4), refitted\n"
    "  --max-iter N, --tol T    logreg L-BFGS: at most N iterations (500); stop when\n"
    "                           max|grad| <= T * sum of weights (1e-4; 1e-3 without --l2)\n"
    "  --hidden H[,H2]          mlp hidden layer sizes (256)\n"
    "  --epochs N               mlp, cnn epochs at most (30)\n"
    "  --batch-size B           mlp, cnn minibatch (128)\n"
    "  --lr R                   mlp, cnn Adam step (0.001)\n"
    "  --dropout P              mlp dropout on hidden units, cnn on its dense layer (0.2)\n"
    "  --patience N             early stopping on an inner validation split: stop after N\n"
    "                           mlp epochs (10), cnn epochs (5) or 5N logreg iterations (off: logreg\n"
    "                           converges) without a better validation score (--stop-on);\n"
    "                           keep the best\n"
    "  --val-frac F             inner validation share of the training fold (0.1)\n"
    "  --stop-on accuracy|loss|balanced  mlp, cnn: what early stopping watches on the\n"
    "                           inner validation split: accuracy (ties broken by the loss;\n"
    "                           the default), the log loss, or the class-balanced log loss\n"
    "                           (every class's mean loss weighs the same: for a rare class;\n"
    "                           the default under --rebalance auto)\n"
    "  --k N                    knn neighbours (15)\n"
    "  --cnn-filters F1[,F2[,F3]]  cnn: filters of each 3x3 conv + ReLU + 2x2 max-pool\n"
    "                           block (16,32)\n"
    "  --cnn-dense N            cnn: units of the dense layer (128)\n"
    "  --augment                cnn: shift each training image 1-2 pixels with\n"
    "                           probability 1/2 per epoch (mirror too with --flip)\n"
    "  --image-shape HxWxC      the shape of each row for cnn when the data are not\n"
    "                           images (.npy, csv): H x W x C values, HWC order\n"
    "  --ensemble-weights       ensemble: weights by EM on an inner validation split\n"
    "                           (members fitted on the rest) instead of equal weights\n"
    "  --metric cosine|euclidean  knn distance (cosine)\n"
    "loss (logreg, mlp, cnn):\n"
    "  --loss ce|weighted|balanced|focal|gce|sce|logit-adjusted   (ce)\n"
    "                           weighted: w_c = n/(K n_c); balanced: w_c ~ (1-beta)/(1-beta^n_c);\n"
    "                           logit-adjusted: CE on logits + tau log(n_c/n) (balanced softmax)\n"
    "  --tau T                  logit-adjusted: strength of the shift (1)\n"
    "  --beta B                 balanced: effective-number beta (0.999)\n"
    "  --gamma G                focal exponent (2)\n"
    "  --focal-alpha A[,A...]   focal per-class weights (one value, or one per class)\n"
    "  --gce-q Q                generalized cross-entropy exponent (0.7)\n"
    "  --sce-alpha A, --sce-beta B  symmetric cross-entropy weights (0.1, 1.0)\n"
    "  --smoothing S            label smoothing (0); knn: vote smoothing (0.01)\n"
    "sampling:\n"
    "  --sampler none|oversample|undersample   (none); oversampled image repeats are\n"
    "                           shifted 1-2 pixels\n"
    "  --flip                   also mirror oversampled images horizontally\n"
    "  --oversample-ratio R     modest oversampling: top every class up to R x the largest\n"
    "                           class (0 < R <= 1) with new rows: images shifted, rotated\n"
    "                           (+-10 degrees) and noisy; table rows by SMOTE interpolation\n"
    "rebalancing:\n"
    "  (with a sampler, --oversample-ratio, class weights, logit-adjusted or --decouple the\n"
    "   probabilities are mapped back to the data's class priors: p(c|x) ~ p'(c|x) pi_c/pi'_c)\n"
    "  --raw-probs              keep the probabilities of the rebalanced training distribution\n"
    "  --decouple               decoupled rebalancing (mlp, cnn): train on the natural\n"
    "                           distribution, then refit only the output layer class-balanced\n"
    "                           (--sampler oversample, the default, or undersample)\n"
    "  --rebalance auto         choose per fold among plain, balanced, weighted, focal,\n"
    "                           logit-adjusted, --oversample-ratio (0.2) and decouple (mlp, cnn) by an\n"
    "                           inner cross-validation of the training fold (recorded in\n"
    "                           metrics.json)\n"
    "  --select-by M            auto's score on the rare classes (share < 1/(2K)):\n"
    "                           recall-guarded:P (default, P 0.5: recall at precision P among\n"
    "                           the candidates not losing PR-AUC beyond its bootstrap error),\n"
    "                           pr-auc, recall-at-precision:P (0.5), balanced-accuracy\n"
    "  --rebalance-folds N      auto's inner folds (3)\n"
    "  --rebalance-repeats N    auto's inner k-folds, each of its own seed (3)\n"
    "noise-robust training (mlp):\n"
    "  --coteach                co-teaching: two networks, each updated on the small-loss\n"
    "                           rows of each batch chosen by the other; predictions\n"
    "                           average the two (no sampler, no weights, no early stopping)\n"
    "  --forget-rate R          co-teaching: share of each batch dropped (0.2), reached\n"
    "  --forget-epochs E        linearly over the first E epochs (10)\n";

void cli_train_opts_init(cli_train_opts *o)
{
    memset(o, 0, sizeof *o);
    cv_train_opts_init(&o->train);
    o->co.forget_rate = 0.2;
    o->co.forget_epochs = 10;
    cv_rebalance_opts_init(&o->rb);
}

const cv_rebalance_opts *cli_train_rebalance(const cli_train_opts *o)
{
    return o->rebalance ? &o->rb : NULL;
}

void cli_train_note_pr_auc_loss(const char *where, const cv_rebalance_choice *ch, const cv_rebalance_opts *rb)
{
    double g, se;
    if (!cv_rebalance_loses_pr_auc(ch, &g, &se)) return;
    char name[64], score[64];
    int s = ch->chosen;
    double sg = ch->blend ? ch->blend_gain[s] : ch->gain[s], sse = ch->blend ? ch->blend_gain_se[s] : ch->gain_se[s];
    if (rb->select_by == CV_SELECT_BALANCED_ACCURACY) snprintf(score, sizeof score, "balanced accuracy");
    else snprintf(score, sizeof score, "recall at precision %g", rb->precision);
    cli_warn("%s chose %s: inner PR-AUC %.4f below plain's (%s its bootstrap error %.4f); %s %+.4f (error %.4f)",
             where, cv_rebalance_choice_name(ch, name, sizeof name), -g, -g <= se ? "within" : "beyond", se, score,
             sg, sse);
}

/* --select-by pr-auc | recall-at-precision[:P] | balanced-accuracy | recall-guarded[:P] */
static int parse_select(cli_train_opts *o, const char *v, const char *cmd)
{
    if (!cv_select_parse(v, &o->rb.select_by, &o->rb.precision)) return 0;
    return cli_usage_error(cmd, "--select-by: '%s' is not pr-auc, recall-at-precision[:P], balanced-accuracy or "
                           "recall-guarded[:P] (P in [0, 1])", v);
}

/* The checks of the rebalancing flags (see cli_train_opts_check). */
static int check_rebalance(const cli_train_opts *o, const char *cmd)
{
    la_error err;
    if (o->rebalance && o->coteach)
        return cli_usage_error(cmd, "--rebalance auto chooses the strategy itself: drop --coteach");
    if (cv_rebalance_check(&o->train, o->decouple, o->rebalance, &err)) return cli_usage_error(cmd, "%s", err.msg);
    return 0;
}

int cli_train_opts_check(const cli_train_opts *o, int has_weights, const char *cmd)
{
    if (check_rebalance(o, cmd)) return LA_EUSAGE;
    if (!o->coteach) return 0;
    if (o->train.oversample_ratio > 0) return cli_usage_error(cmd, "--coteach does not take --oversample-ratio");
    if (o->decouple) return cli_usage_error(cmd, "--coteach and --decouple do not combine");
    if (o->train.model != CV_MODEL_MLP)
        return cli_usage_error(cmd, "--coteach trains an mlp: add --model mlp");
    if (o->train.sampler != CV_SAMPLER_NONE)
        return cli_usage_error(cmd, "--coteach does not take a --sampler");
    if (has_weights)
        return cli_usage_error(cmd, "--coteach does not take example weights (--weights, --weight-col)");
    return 0;
}

static int parse_list(const char *cmd, const char *opt, const char *s, double lo, double hi,
                      double *out, int cap, int *count)
{
    char buf[4096];
    if (strlen(s) >= sizeof buf) return cli_usage_error(cmd, "%s: value too long", opt);
    strcpy(buf, s);
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n >= cap) return cli_usage_error(cmd, "%s: more than %d values", opt, cap);
        if (cli_parse_double(cmd, opt, t, lo, hi, &out[n])) return LA_EUSAGE;
        n++;
    }
    if (n == 0) return cli_usage_error(cmd, "%s: no value given", opt);
    *count = n;
    return 0;
}

/* "logreg+mlp+cnn": 2-4 distinct members, none an ensemble. */
static int parse_ensemble(const char *cmd, const char *v, cv_train_opts *t)
{
    static const char *const names[] = {"logreg", "mlp", "knn", "cnn"};
    int n = 0;
    for (const char *p = v; *p;) {
        size_t len = strcspn(p, "+");
        int kind = -1;
        for (int j = 0; j < 4; j++) if (strlen(names[j]) == len && !strncmp(p, names[j], len)) kind = j;
        if (kind < 0) return cli_usage_error(cmd, "--model ensemble:%s: members are logreg, mlp, knn or cnn", v);
        if (n == 4) return cli_usage_error(cmd, "--model ensemble:%s: at most 4 members", v);
        for (int j = 0; j < n; j++)
            if ((int)t->ensemble[j] == kind) return cli_usage_error(cmd, "--model ensemble:%s: a member twice", v);
        t->ensemble[n++] = (cv_model_kind)kind;
        p += len;
        if (*p == '+') p++;
    }
    if (n < 2) return cli_usage_error(cmd, "--model ensemble:%s: give 2 to 4 members joined by '+'", v);
    t->model = CV_MODEL_ENSEMBLE;
    t->n_ensemble = n;
    return 0;
}

/* "28x28x1" -> image_h, image_w, channels (1 or 3). */
static int parse_image_shape(const char *cmd, const char *v, cv_train_opts *t)
{
    int h, w, c, end = 0;
    if (sscanf(v, "%dx%dx%d%n", &h, &w, &c, &end) != 3 || v[end] || h < 1 || w < 1 || h > 65536 || w > 65536 ||
        (c != 1 && c != 3))
        return cli_usage_error(cmd, "--image-shape: '%s' is not HxWxC (C 1 or 3), e.g. 28x28x1", v);
    t->image_h = h;
    t->image_w = w;
    t->channels = c;
    t->image_shape_set = 1;
    return 0;
}

/* The cnn, ensemble and early-stopping options (issue 20): c >= O_CNNFILT. */
static int handle_cnn_opts(cv_train_opts *t, int c, const char *v, const char *cmd)
{
    long l;
    switch (c) {
    case O_CNNFILT: {
        double f[3];
        int n = 0;
        if (parse_list(cmd, "--cnn-filters", v, 1, 1024, f, 3, &n)) return LA_EUSAGE;
        for (int i = 0; i < n; i++) {
            if (f[i] != (int)f[i]) return cli_usage_error(cmd, "--cnn-filters: '%s' must be whole numbers", v);
            t->cnn_filters[i] = (int)f[i];
        }
        t->cnn_blocks = n;
        return 0;
    }
    case O_CNNDENSE:
        if (cli_parse_long(cmd, "--cnn-dense", v, 1, 65536, &l)) return LA_EUSAGE;
        t->cnn_dense = (int)l;
        return 0;
    case O_AUGMENT:
        t->augment = 1;
        return 0;
    case O_IMGSHAPE: return parse_image_shape(cmd, v, t);
    case O_ENSW:
        t->ensemble_weighted = 1;
        return 0;
    }
    return cli_usage_error(cmd, "internal: unknown cnn option %d", c);
}

/* The rebalancing options of issue 19 (--tau ... --rebalance-folds). */
static int handle_rebalance(cli_train_opts *o, int c, const char *v, const char *cmd)
{
    cv_train_opts *t = &o->train;
    long l;
    switch (c) {
    case O_TAU: return cli_parse_double(cmd, "--tau", v, 0.0, 10.0, &t->tau);
    case O_OVERRATIO:
        if (cli_parse_double(cmd, "--oversample-ratio", v, 0.0, 1.0, &t->oversample_ratio)) return LA_EUSAGE;
        if (t->oversample_ratio <= 0) return cli_usage_error(cmd, "--oversample-ratio: '%s' must be above 0", v);
        return 0;
    case O_RAWPROBS:
        t->raw_probs = 1;
        return 0;
    case O_DECOUPLE:
        o->decouple = 1;
        return 0;
    case O_REBALANCE:
        if (!strcmp(v, "auto")) o->rebalance = 1;
        else if (!strcmp(v, "none")) o->rebalance = 0;
        else return cli_usage_error(cmd, "--rebalance: '%s' is not auto or none", v);
        /* auto watches the rare class while it trains too, unless told otherwise */
        if (!o->stop_on_set) t->stop_on = o->rebalance ? CV_STOP_BALANCED : CV_STOP_ACCURACY;
        return 0;
    case O_SELECTBY: return parse_select(o, v, cmd);
    case O_REBFOLDS:
        if (cli_parse_long(cmd, "--rebalance-folds", v, 2, CV_REB_MAX_INNER, &l)) return LA_EUSAGE;
        o->rb.inner_folds = (int)l;
        return 0;
    case O_REBREPEATS:
        if (cli_parse_long(cmd, "--rebalance-repeats", v, 1, CV_REB_MAX_REPEATS, &l)) return LA_EUSAGE;
        o->rb.repeats = (int)l;
        return 0;
    }
    return cli_usage_error(cmd, "internal: unknown training option %d", c);
}

int cli_train_opts_handle(cli_train_opts *o, int c, const char *v, const char *cmd)
{
    if (c == O_STOPON) {
        o->stop_on_set = 1;
        if (!strcmp(v, "accuracy")) o->train.stop_on = CV_STOP_ACCURACY;
        else if (!strcmp(v, "loss")) o->train.stop_on = CV_STOP_LOSS;
        else if (!strcmp(v, "balanced")) o->train.stop_on = CV_STOP_BALANCED;
        else return cli_usage_error(cmd, "--stop-on: '%s' is not accuracy, loss or balanced", v);
        return 0;
    }
    if (c >= O_CNNFILT) return handle_cnn_opts(&o->train, c, v, cmd);
    if (c >= O_TAU) return handle_rebalance(o, c, v, cmd);
    cv_train_opts *t = &o->train;
    long l;
    double d;
    switch (c) {
    case O_MODEL:
        if ((l = cv_model_parse(v)) >= 0) t->model = (cv_model_kind)l;
        else if (!strncmp(v, "ensemble:", 9)) return parse_ensemble(cmd, v + 9, t);
        else return cli_usage_error(cmd, "--model: '%s' is not logreg, mlp, knn, cnn or ensemble:M1+M2", v);
        return 0;
    case O_LOSS: {
        int k = cv_loss_parse(v);
        if (k < 0)
            return cli_usage_error(cmd, "--loss: '%s' is not ce, weighted, balanced, focal, gce, sce or logit-adjusted", v);
        t->loss = (cv_loss_kind)k;
        return 0;
    }
    case O_BETA: return cli_parse_double(cmd, "--beta", v, 0.0, 0.999999999, &t->beta);
    case O_GAMMA: return cli_parse_double(cmd, "--gamma", v, 0.0, 20.0, &t->gamma);
    case O_FALPHA: {
        int n = 0;
        if (parse_list(cmd, "--focal-alpha", v, 0.0, 1e6, o->focal_alpha, CLI_TRAIN_MAX_ALPHA, &n)) return LA_EUSAGE;
        t->focal_alpha = o->focal_alpha;
        t->n_focal_alpha = (size_t)n;
        return 0;
    }
    case O_GCEQ: return cli_parse_double(cmd, "--gce-q", v, 1e-6, 1.0, &t->gce_q);
    case O_SCEA: return cli_parse_double(cmd, "--sce-alpha", v, 0.0, 1e6, &t->sce_alpha);
    case O_SCEB: return cli_parse_double(cmd, "--sce-beta", v, 0.0, 1e6, &t->sce_beta);
    case O_SMOOTH:
        o->smoothing_set = 1;
        return cli_parse_double(cmd, "--smoothing", v, 0.0, 0.999, &t->smoothing);
    case O_L2:
        t->l2_default = 0;
        if (!strcmp(v, "auto")) { t->l2 = -1.0; return 0; }
        return cli_parse_double(cmd, "--l2", v, 0.0, 1e12, &t->l2);
    case O_MAXITER:
        if (cli_parse_long(cmd, "--max-iter", v, 1, 1000000, &l)) return LA_EUSAGE;
        t->max_iter = (int)l;
        return 0;
    case O_TOL:
        t->tol_default = 0;
        return cli_parse_double(cmd, "--tol", v, 0.0, 1e6, &t->tol);
    case O_HIDDEN: {
        double h[CV_MAX_HIDDEN];
        int n = 0;
        if (parse_list(cmd, "--hidden", v, 1, 65536, h, CV_MAX_HIDDEN, &n)) return LA_EUSAGE;
        for (int i = 0; i < n; i++) {
            if (h[i] != (int)h[i]) return cli_usage_error(cmd, "--hidden: '%s' must be whole numbers", v);
            t->hidden[i] = (int)h[i];
        }
        t->n_hidden = n;
        return 0;
    }
    case O_EPOCHS:
        if (cli_parse_long(cmd, "--epochs", v, 1, 100000, &l)) return LA_EUSAGE;
        t->epochs = (int)l;
        return 0;
    case O_BATCH:
        if (cli_parse_long(cmd, "--batch-size", v, 1, 65536, &l)) return LA_EUSAGE;
        t->batch_size = (int)l;
        return 0;
    case O_LR: return cli_parse_double(cmd, "--lr", v, 1e-9, 10.0, &t->lr);
    case O_DROPOUT: return cli_parse_double(cmd, "--dropout", v, 0.0, 0.95, &t->dropout);
    case O_PATIENCE:
        if (cli_parse_long(cmd, "--patience", v, 0, 100000, &l)) return LA_EUSAGE;
        t->patience = (int)l;
        return 0;
    case O_VALFRAC:
        if (cli_parse_double(cmd, "--val-frac", v, 0.0, 0.5, &d)) return LA_EUSAGE;
        t->val_frac = d;
        return 0;
    case O_K:
        if (cli_parse_long(cmd, "--k", v, 1, 100000, &l)) return LA_EUSAGE;
        t->knn_k = (int)l;
        return 0;
    case O_METRIC:
        if (!strcmp(v, "cosine")) t->metric = CV_METRIC_COSINE;
        else if (!strcmp(v, "euclidean")) t->metric = CV_METRIC_EUCLIDEAN;
        else return cli_usage_error(cmd, "--metric: '%s' is not cosine or euclidean", v);
        return 0;
    case O_SAMPLER:
        if ((l = cv_sampler_parse(v)) >= 0) t->sampler = (cv_sampler_kind)l;
        else return cli_usage_error(cmd, "--sampler: '%s' is not none, oversample or undersample", v);
        return 0;
    case O_FLIP:
        t->flip = 1;
        return 0;
    case O_COTEACH:
        o->coteach = 1;
        return 0;
    case O_FRATE: return cli_parse_double(cmd, "--forget-rate", v, 0.0, 0.95, &o->co.forget_rate);
    case O_FEPOCHS:
        if (cli_parse_long(cmd, "--forget-epochs", v, 0, 100000, &l)) return LA_EUSAGE;
        o->co.forget_epochs = (int)l;
        return 0;
    }
    return cli_usage_error(cmd, "internal: unknown training option %d", c);
}
