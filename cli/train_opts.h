/*
 * train_opts.h — the model, loss and sampling options on the command line, shared
 * by `cv` and `retrain` (the same flags mean the same thing in both).
 *
 *   struct option longopts[] = { ...own options..., CV_TRAIN_LONG_OPTIONS... };
 * Commands append cv_train_long_options (values in [CV_OPT_BASE, +64)) and
 * hand every such option to cv_opts_handle.
 */
#ifndef CV_OPTS_H
#define CV_OPTS_H

#include <getopt.h>
#include "../cv/model.h"
#include "../cv/robust.h"

#define CV_OPT_BASE 1100
#define CV_MAX_ALPHA 256

typedef struct cv_opts {
    cv_train_opts train;              /* everything cv_model_fit needs        */
    double focal_alpha[CV_MAX_ALPHA]; /* storage behind train.focal_alpha     */
    int    smoothing_set;             /* --smoothing given                    */
    int    coteach;                   /* --coteach: co-teaching (mlp)         */
    rb_coteach_opts co;               /* --forget-rate, --forget-epochs       */
} cv_opts;

/* Defaults (cv_train_opts_init). */
void cv_opts_init(cv_opts *o);

/* Applies option `c` (from cv_train_long_options) with its value. Prints a
 * usage error naming `cmd` and returns LA_EUSAGE on a bad value, else 0. */
int cv_opts_handle(cv_opts *o, int c, const char *value, const char *cmd);

/* Checks that go across options, once all are parsed: --coteach needs
 * --model mlp, and takes no --sampler and no example weights (has_weights:
 * the command was given --weights or --weight-col). Prints a usage error
 * naming `cmd` and returns LA_EUSAGE, else 0. */
int cv_opts_check(const cv_opts *o, int has_weights, const char *cmd);

extern const struct option cv_train_long_options[]; /* terminated by {0} */
extern const char cv_train_opts_help[];

#endif /* CV_OPTS_H */
