/*
 * cmd_common.c — the option loop and training-set loading shared by the
 * `cv`, `retrain` and `clean` commands (see cmd_common.h). One loop means one
 * wording for --format, --help, stray arguments and getopt errors across them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_common.h"
#include "../cv/inputs.h"

#define MAX_OPTIONS 256

int cli_cmd_parse(const cli_cmd_parser *p, int argc, char **argv, int *help)
{
    struct option opts[MAX_OPTIONS];
    size_t no = 0;
    for (size_t i = 0; i < p->n_own && no < MAX_OPTIONS - 1; i++) opts[no++] = p->own[i];
    for (size_t i = 0; io_load_long_options[i].name && no < MAX_OPTIONS - 1; i++) opts[no++] = io_load_long_options[i];
    for (size_t i = 0; p->train && cli_train_long_options[i].name && no < MAX_OPTIONS - 1; i++)
        opts[no++] = cli_train_long_options[i];
    memset(&opts[no], 0, sizeof opts[no]);

    *help = 0;
    int c, idx;
    while (idx = -1, (c = getopt_long(argc, argv, ":", opts, &idx)) != -1) {
        if (c == '?' || c == ':') return cli_getopt_error(p->cmd, c, argv);
        if (c >= IO_OPT_BASE && c < IO_OPT_BASE + 64) {
            if (io_load_opts_handle(p->load, c, optarg, p->cmd)) return LA_EUSAGE;
            int rc = p->load_option ? p->load_option(p->ctx, c, optarg) : 0;
            if (rc) return rc;
            continue;
        }
        if (p->train && c >= CLI_TRAIN_OPT_BASE && c < CLI_TRAIN_OPT_BASE + 64) {
            if (cli_train_opts_handle(p->train, c, optarg, p->cmd)) return LA_EUSAGE;
            continue;
        }
        const char *name = idx >= 0 ? opts[idx].name : "";
        if (!strcmp(name, "format")) {
            if (!strcmp(optarg, "json")) *p->json = 1;
            else if (!strcmp(optarg, "text")) *p->json = 0;
            else return cli_usage_error(p->cmd, "--format: '%s' is not text or json", optarg);
        } else if (!strcmp(name, "quiet")) {
            *p->quiet = 1;
        } else if (!strcmp(name, "help")) {
            *help = 1;
            return 0;
        } else {
            int rc = p->own_option(p->ctx, c, optarg);
            if (rc) return rc;
        }
    }
    if (optind < argc) return cli_usage_error(p->cmd, "unexpected argument '%s'", argv[optind]);
    return 0;
}

int cli_train_source_load(const cli_train_source *src, cv_train_opts *t, la_dataset *ds, float **sw,
                         la_error *err)
{
    int rc;
    if ((rc = io_dataset_load(src->data, src->load, ds, err))) return rc;
    if (ds->d == 0 || !ds->features)
        return la_error_set(err, LA_EUSAGE, src->data, 0, "the dataset has no feature columns to train on");
    if ((rc = cv_train_opts_validate(t, ds->k, err))) return rc;
    if (src->labels && (rc = cv_inputs_labels(src->labels, ds->ids, ds->n, ds->class_names, ds->k, ds->labels, err)))
        return rc;
    if (src->weights || src->weight_col) {
        if (!(*sw = la_malloc_array(ds->n, sizeof **sw)))
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        if (src->weights && (rc = cv_inputs_weights(src->weights, ds->ids, ds->n, *sw, err))) return rc;
        if (src->weight_col) {
            if ((rc = cv_inputs_weight_column(ds, src->weight_col, *sw, err))) return rc;
            if (ds->d == 0)
                return la_error_set(err, LA_EUSAGE, src->data, 0, "no feature columns left besides --weight-col");
        }
    }
    if (!t->image_shape_set) {         /* --image-shape wins (.npy, csv rows) */
        t->image_w = ds->image_w;
        t->image_h = ds->image_h;
        t->channels = ds->channels;
    }
    return 0;
}
