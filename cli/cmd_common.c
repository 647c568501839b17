/*
 * cmd_common.c — the option loop and training-set loading shared by the
 * `cv`, `retrain` and `clean` commands (see cmd_common.h). One loop means one
 * wording for --format, --help, stray arguments and getopt errors across them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

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
            if (p->load_given) *p->load_given |= 1u << (c - IO_OPT_BASE);
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
    if (src->labels && (rc = cv_inputs_dataset_labels(src->labels, ds, err)))
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

void cli_print_warnings(char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++) cli_warn("%s", v[i]);
}

/* The loader options' bits in cli_cmd_parser.load_given (their order in
 * IO_LOAD_LONG_OPTIONS). */
enum { LO_LABEL_COL = 0, LO_ID_COL = 1, LO_FEATURES = 2, LO_MISSING = 3, LO_CLASSES = 4, LO_IDX_LABELS = 5,
       LO_IMAGE_SIZE = 6, LO_RGB = 7, LO_MAX_PIXELS = 8, LO_OUTSIDE_ROOT = 9, LO_FORMAT_IN = 10,
       LO_NPY_LABELS = 11 };

int cli_load_opts_reuse(io_load_opts *lo, unsigned given, const char *json_text, int same_files,
                        io_load_opts_strings *st, la_error *err)
{
    if (!json_text) return 0;
    json_error_t je;
    json_t *doc = json_loads(json_text, 0, &je);
    if (!doc) return la_error_set(err, LA_EUSAGE, NULL, 0, "the run's recorded options are not JSON: %s", je.text);
    json_t *obj = json_object_get(doc, "options");
    io_load_opts rec;
    int rc = io_load_opts_from_json(json_is_object(obj) ? obj : doc, &rec, st, err);
    json_decref(doc);
    if (rc) return rc;
#define LO_TAKE(bit, field) do { if (!(given & (1u << (bit))) && rec.field) lo->field = rec.field; } while (0)
    LO_TAKE(LO_LABEL_COL, label_col);
    LO_TAKE(LO_ID_COL, id_col);
    LO_TAKE(LO_FEATURES, features);
    LO_TAKE(LO_CLASSES, classes_file);
    if (same_files) {
        LO_TAKE(LO_IDX_LABELS, idx_labels);
        LO_TAKE(LO_NPY_LABELS, npy_labels);
        if (!(given & (1u << LO_FORMAT_IN))) lo->format = rec.format;
        if (!(given & (1u << LO_OUTSIDE_ROOT))) lo->allow_outside_root = rec.allow_outside_root;
    }
    /* how the recorded data was read: the same rules for the cleaned copy */
    if (!(given & (1u << LO_MISSING))) lo->missing = rec.missing;
    if (!(given & (1u << LO_IMAGE_SIZE)) && rec.image_w) { lo->image_w = rec.image_w; lo->image_h = rec.image_h; }
    if (!(given & (1u << LO_RGB))) lo->channels = rec.channels;
    if (!(given & (1u << LO_MAX_PIXELS))) lo->max_pixels = rec.max_pixels;
#undef LO_TAKE
    return 0;
}
