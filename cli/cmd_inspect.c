/*
 * cmd_inspect.c — `labelaudit inspect DATASET`: loads a dataset with the shared
 * loader options and describes it: size, classes with counts and the imbalance
 * ratio, column types and missing cells (tables), image sizes (images).
 * Read-only: it writes nothing but its report on stdout (text or JSON), and
 * the loader's warnings on stderr (and under "warnings" in JSON).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "../io/dataset.h"
#include "../util/la_json.h"
#include "load_opts.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: labelaudit inspect DATASET [loader options] [--format text|json] [--quiet]\n\n"
            "Loads DATASET (CSV table, image manifest, image folder, IDX or .npy) and prints\n"
            "N, D, the classes with their counts and the imbalance ratio (largest/smallest\n"
            "class), column types and missing values per column, and the image sizes seen.\n\n"
            "options:\n"
            "  --format F             text (default) or json\n"
            "  -q, --quiet            print nothing but errors (the exit status tells)\n"
            "  -h, --help             this help\n\n%s", io_load_opts_help);
}

static const char *col_type_name(io_col_type t)
{
    switch (t) {
    case IO_COL_NUMERIC: return "numeric";
    case IO_COL_CATEGORICAL: return "categorical";
    case IO_COL_ID: return "id";
    case IO_COL_LABEL: return "label";
    case IO_COL_UNUSED: return "unused";
    }
    return "?";
}

/* counts[k] = #{i : y_i = k}; largest / smallest over non-empty classes. */
static double imbalance(const size_t *counts, size_t k, size_t *lo, size_t *hi)
{
    *lo = (size_t)-1;
    *hi = 0;
    for (size_t c = 0; c < k; c++) {
        if (counts[c] == 0) continue;
        if (counts[c] < *lo) *lo = counts[c];
        if (counts[c] > *hi) *hi = counts[c];
    }
    if (*hi == 0) { *lo = 0; return 0.0; }
    return (double)*hi / (double)*lo;
}

static void print_text(const la_dataset *ds, const size_t *counts)
{
    size_t lo, hi;
    double ratio = imbalance(counts, ds->k, &lo, &hi);
    printf("dataset   %s\n", ds->path);
    printf("format    %s\n", io_format_name(ds->format));
    printf("examples  %zu\n", ds->n);
    printf("features  %zu\n", ds->d);
    printf("classes   %zu, imbalance %.1f (largest %zu / smallest %zu)\n", ds->k, ratio, hi, lo);
    size_t w = 5;
    for (size_t c = 0; c < ds->k; c++)
        if (cli_display_width(ds->class_names[c]) > w) w = cli_display_width(ds->class_names[c]);
    if (w > 60) w = 60;
    for (size_t c = 0; c < ds->k; c++) {
        printf("  ");
        size_t cw = cli_display_width(ds->class_names[c]);
        cli_pad(stdout, ds->class_names[c], cw > w ? cw : w, 0);   /* long names stay whole */
        printf(" %8zu%s\n", counts[c], counts[c] ? "" : "  (no examples)");
    }
    if (ds->n_columns) {
        size_t cw = 6;
        for (size_t j = 0; j < ds->n_columns; j++)
            if (strlen(ds->columns[j].name) > cw) cw = strlen(ds->columns[j].name);
        if (cw > 50) cw = 50;
        printf("columns   %zu\n  %-*s %-12s %8s %10s\n", ds->n_columns, (int)cw, "column", "type", "missing", "categories");
        for (size_t j = 0; j < ds->n_columns; j++) {
            const io_column *col = &ds->columns[j];
            printf("  %-*s %-12s %8zu", (int)cw, col->name, col_type_name(col->type), col->n_missing);
            if (col->type == IO_COL_CATEGORICAL) printf(" %10zu", col->n_categories);
            putchar('\n');
        }
        printf("missing   %zu cells in feature columns\n", ds->n_missing);
    }
    if (ds->image_w) {
        printf("images    %dx%d %s (D = %zu)\n", ds->image_w, ds->image_h, ds->channels == 3 ? "rgb" : "gray", ds->d);
        for (size_t i = 0; i < ds->n_image_sizes; i++)
            printf("  seen %dx%d: %zu\n", ds->image_sizes[i].w, ds->image_sizes[i].h, ds->image_sizes[i].count);
    }
}

/* A JSON string; text that is not valid UTF-8 (Latin-1 labels...) gets its
 * non-ASCII bytes replaced by '?' rather than being dropped. */
static json_t *jstr(const char *s)
{
    json_t *j = json_string(s);
    if (j) return j;
    char *copy = la_strdup(s);
    if (!copy) return json_null();
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80) *p = '?';
    j = json_string(copy);
    free(copy);
    return j ? j : json_null();
}

static json_t *build_json(const la_dataset *ds, const size_t *counts)
{
    size_t lo, hi;
    double ratio = imbalance(counts, ds->k, &lo, &hi);
    json_t *root = json_object();
    json_object_set_new(root, "path", jstr(ds->path));
    json_object_set_new(root, "format", json_string(io_format_name(ds->format)));
    json_object_set_new(root, "n", json_integer((json_int_t)ds->n));
    json_object_set_new(root, "d", json_integer((json_int_t)ds->d));
    json_object_set_new(root, "k", json_integer((json_int_t)ds->k));
    json_t *classes = json_array();
    for (size_t c = 0; c < ds->k; c++) {
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(ds->class_names[c]));
        json_object_set_new(o, "count", json_integer((json_int_t)counts[c]));
        json_array_append_new(classes, o);
    }
    json_object_set_new(root, "classes", classes);
    json_object_set_new(root, "imbalance_ratio", json_real(ratio));
    json_object_set_new(root, "largest_class_count", json_integer((json_int_t)hi));
    json_object_set_new(root, "smallest_class_count", json_integer((json_int_t)lo));
    json_object_set_new(root, "missing_cells", json_integer((json_int_t)ds->n_missing));
    json_t *cols = json_array();
    for (size_t j = 0; j < ds->n_columns; j++) {
        const io_column *col = &ds->columns[j];
        json_t *o = json_object();
        json_object_set_new(o, "name", jstr(col->name));
        json_object_set_new(o, "type", json_string(col_type_name(col->type)));
        json_object_set_new(o, "missing", json_integer((json_int_t)col->n_missing));
        if (col->type == IO_COL_CATEGORICAL) {
            json_t *cats = json_array();
            for (size_t q = 0; q < col->n_categories; q++) json_array_append_new(cats, jstr(col->categories[q]));
            json_object_set_new(o, "categories", cats);
        }
        json_array_append_new(cols, o);
    }
    json_object_set_new(root, "columns", cols);
    if (ds->image_w) {
        json_t *img = json_object();
        json_object_set_new(img, "width", json_integer(ds->image_w));
        json_object_set_new(img, "height", json_integer(ds->image_h));
        json_object_set_new(img, "channels", json_integer(ds->channels));
        json_t *seen = json_array();
        for (size_t i = 0; i < ds->n_image_sizes; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "width", json_integer(ds->image_sizes[i].w));
            json_object_set_new(o, "height", json_integer(ds->image_sizes[i].h));
            json_object_set_new(o, "count", json_integer((json_int_t)ds->image_sizes[i].count));
            json_array_append_new(seen, o);
        }
        json_object_set_new(img, "sizes_seen", seen);
        json_object_set_new(root, "images", img);
    }
    if (ds->n_warnings) {   /* only when there are some: older outputs keep their bytes */
        json_t *w = json_array();
        for (size_t i = 0; i < ds->n_warnings; i++) json_array_append_new(w, jstr(ds->warnings[i]));
        json_object_set_new(root, "warnings", w);
    }
    return root;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        IO_LOAD_LONG_OPTIONS,
        {0, 0, 0, 0}};
    io_load_opts lo;
    io_load_opts_init(&lo);
    int json = 0, quiet = 0, c;
    while ((c = getopt_long(argc, argv, ":f:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (!strcmp(optarg, "json")) json = 1;
            else if (!strcmp(optarg, "text")) json = 0;
            else return cli_usage_error("inspect", "--format must be text or json, not '%s'", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return LA_OK;
        default:
            if (c >= IO_OPT_BASE && c < IO_OPT_BASE + 64) {
                if (io_load_opts_handle(&lo, c, optarg, "inspect")) return LA_EUSAGE;
                break;
            }
            return cli_getopt_error("inspect", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("inspect", "missing DATASET");
    if (optind + 1 < argc) return cli_usage_error("inspect", "one DATASET only (got '%s' too)", argv[optind + 1]);
    la_dataset ds;
    la_error err;
    la_error_clear(&err);
    la_progress pg;
    la_progress_start(&pg, "loading", 0, quiet);
    lo.progress = &pg;
    int lrc = io_dataset_load(argv[optind], &lo, &ds, &err);
    la_progress_finish(&pg);
    if (lrc) return cli_report(&err);
    size_t *counts = calloc(ds.k ? ds.k : 1, sizeof *counts);
    if (!counts) {
        io_dataset_free(&ds);
        la_error_set(&err, LA_EINTERNAL, NULL, 0, "out of memory");
        return cli_report(&err);
    }
    for (size_t i = 0; i < ds.n; i++) counts[ds.labels[i]]++;
    if (!quiet)   /* what the loader accepted but the user should know (stderr) */
        for (size_t i = 0; i < ds.n_warnings; i++) cli_warn("%s", ds.warnings[i]);
    int rc = LA_OK;
    if (!quiet && json) {
        json_t *root = build_json(&ds, counts);
        if (la_json_print(root, stdout, LA_JSON_EXACT)) rc = LA_EINTERNAL;
        json_decref(root);
    } else if (!quiet) {
        print_text(&ds, counts);
    }
    if (fflush(stdout)) rc = LA_EINTERNAL;
    free(counts);
    io_dataset_free(&ds);
    return rc;
}
