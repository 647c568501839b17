/*
 * train_opts.h — the model, loss and sampling options on the command line, shared
 * by `cv` and `retrain` (the same flags mean the same thing in both).
 *
 * They fill the library's cv_train_opts (cv/model.h) and the co-teaching
 * options (cv/robust.h); the structs stay in cv/. Commands append cli_train_long_options (values in [CLI_TRAIN_OPT_BASE, +64)) and
 * hand every such option to cli_train_opts_handle.
 */
#ifndef CLI_TRAIN_OPTS_H
#define CLI_TRAIN_OPTS_H

#include <getopt.h>
#include "../cv/model.h"
#include "../cv/robust.h"
#include "../cv/rebalance.h"

#define CLI_TRAIN_OPT_BASE 1100
#define CLI_TRAIN_MAX_ALPHA 256

typedef struct cli_train_opts {
    cv_train_opts train;              /* everything cv_model_fit needs        */
    double focal_alpha[CLI_TRAIN_MAX_ALPHA]; /* storage behind train.focal_alpha     */
    int    smoothing_set;             /* --smoothing given                    */
    int    coteach;                   /* --coteach: co-teaching (mlp)         */
    cv_robust_coteach_opts co;               /* --forget-rate, --forget-epochs       */
    int    decouple;                  /* --decouple: decoupled rebalancing (mlp, cnn) */
    int    rebalance;                 /* --rebalance auto (implies --stop-on balanced) */
    int    stop_on_set;               /* --stop-on given                      */
    cv_rebalance_opts rb;             /* --select-by, --rebalance-folds        */
} cli_train_opts;

/* &o->rb when --rebalance auto was given, else NULL. */
const cv_rebalance_opts *cli_train_rebalance(const cli_train_opts *o);

/* "Without saying so" (issue 19): when the choice ch of --rebalance auto
 * (selected by rb) loses pooled inner PR-AUC to plain
 * (cv_rebalance_loses_pr_auc), one warning line on stderr naming where
 * ("cv: fold 2", "retrain"), the loss, its bootstrap error and what the
 * choice gained by its own score; nothing otherwise. Printed under --quiet
 * too, like the other warnings. */
void cli_train_note_pr_auc_loss(const char *where, const cv_rebalance_choice *ch, const cv_rebalance_opts *rb);

/* Defaults (cv_train_opts_init). */
void cli_train_opts_init(cli_train_opts *o);

/* Applies option `c` (from cli_train_long_options) with its value. Prints a
 * usage error naming `cmd` and returns LA_EUSAGE on a bad value, else 0. */
int cli_train_opts_handle(cli_train_opts *o, int c, const char *value, const char *cmd);

/* Checks that go across options, once all are parsed: --coteach needs
 * --model mlp, and takes no --sampler, --oversample-ratio, --decouple,
 * --rebalance and no example weights (has_weights: the command was given
 * --weights or --weight-col); --decouple needs --model mlp or cnn; --rebalance auto
 * takes no --loss but ce, no --sampler and no --decouple (it chooses them);
 * --sampler and --oversample-ratio do not combine. Prints a usage error
 * naming `cmd` and returns LA_EUSAGE, else 0. */
int cli_train_opts_check(const cli_train_opts *o, int has_weights, const char *cmd);

extern const struct option cli_train_long_options[]; /* terminated by {0} */
extern const char cli_train_opts_help[];

#endif /* CLI_TRAIN_OPTS_H */
