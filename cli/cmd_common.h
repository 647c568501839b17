/*
 * cmd_common.h — what the training-side commands (`cv`, `retrain`, `clean`)
 * share at the command layer: one getopt_long loop over their own options,
 * the loader options and (optionally) the model options, and the loading of
 * a training set with its --labels, --weights and --weight-col. Command-layer
 * code: cli_cmd_parse prints usage errors (via cli_*), cli_print_warnings the
 * loaders' warning lists; the rest never prints.
 */
#ifndef CLI_CMD_COMMON_H
#define CLI_CMD_COMMON_H

#include <getopt.h>
#include <stddef.h>

#include "../io/dataset.h"
#include "../io/load_opts_json.h"
#include "load_opts.h"
#include "../util/la_util.h"
#include "train_opts.h"

/* A command's option parsing. `own` lists the command's own options; the
 * entries named "format", "quiet" and "help" are handled here (--format
 * text|json into *json, --quiet into *quiet); every other own option goes to
 * own_option. Loader options go to io_load_opts_handle(load) and then, when
 * set, to load_option (cv passes them on to audit); model options go to
 * cli_train_opts_handle(train), or are not accepted when train is NULL. */
typedef struct cli_cmd_parser {
    const char *cmd;                     /* "cv": named in every message     */
    const struct option *own;
    size_t n_own;
    io_load_opts *load;
    cli_train_opts *train;                      /* NULL: no model options           */
    int *json, *quiet;
    /* the command's own option c with its value: 0 or a usage status */
    int (*own_option)(void *ctx, int c, const char *arg);
    /* after a loader option c was accepted: 0 or a status; may be NULL */
    int (*load_option)(void *ctx, int c, const char *arg);
    void *ctx;
    /* may be NULL: bit (c - IO_OPT_BASE) set for each loader option given,
     * so cli_load_opts_reuse knows what the command line overrides */
    unsigned *load_given;
} cli_cmd_parser;

/* Runs getopt_long over argv. Returns 0 with *help = 1 as soon as --help is
 * seen, 0 with *help = 0 after all options (a positional argument is a usage
 * error), or the status of the first error (already printed). The command
 * checks its required options afterwards, only when !*help. */
int cli_cmd_parse(const cli_cmd_parser *p, int argc, char **argv, int *help);

/* Where a training set comes from: --data with loader options, and optional
 * --labels (replacing the dataset's), --weights (a file) and --weight-col (a
 * numeric feature column, then removed from the features). */
typedef struct cli_train_source {
    const char *data;
    const io_load_opts *load;
    const char *labels, *weights, *weight_col;   /* each may be NULL */
} cli_train_source;

/* Loads the training set into *ds and checks it against the model options:
 * it must have feature columns (and some left after --weight-col), t must
 * validate for its k classes. Reads the labels and weights (into *sw, which
 * stays NULL without weights), then sets t's image geometry from the dataset.
 * Returns 0 or a status with err set; on error the caller still frees *ds
 * (io_dataset_free) and *sw. */
int cli_train_source_load(const cli_train_source *src, cv_train_opts *t, la_dataset *ds, float **sw,
                         la_error *err);

/* Completes the command line's loader options lo with those an audit run
 * recorded (io_load_opts_from_json over json_text: the run's options object,
 * or its summary.json whose "options" holds it): each recorded option the
 * command line did not give (bit c - IO_OPT_BASE of given clear) is taken:
 * --label-col, --id-col, --features, --classes and, with same_files (the
 * very dataset the run audited, as for `clean`), --format-in, --idx-labels
 * and --npy-labels too (they name that dataset's own files; `retrain` on
 * clean's output leaves them out). The strings live in *st (free with
 * io_load_opts_strings_free). json_text NULL: nothing recorded. 0, or
 * LA_EUSAGE (unreadable JSON, a bad recorded value) / LA_EINTERNAL. */
int cli_load_opts_reuse(io_load_opts *lo, unsigned given, const char *json_text, int same_files,
                        io_load_opts_strings *st, la_error *err);

/* Prints each of the n warnings (sentences a loader or stage returned:
 * la_dataset.warnings, io_labels.warnings, io_probs.warnings, ...) on stderr
 * as "labelaudit: warning: ...". The one printer of those lists; v may be
 * NULL when n is 0. */
void cli_print_warnings(char *const *v, size_t n);

#endif /* CLI_CMD_COMMON_H */
