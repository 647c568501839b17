/*
 * load_opts.c — parsing of the loader options (see load_opts.h): each long
 * option's value checked and stored in an io_load_opts, a bad value a usage
 * error naming the command. The loaders never see argv.
 */
#include "load_opts.h"
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- options */

const struct option io_load_long_options[] = {IO_LOAD_LONG_OPTIONS, {0, 0, 0, 0}};

const char io_load_opts_help[] =
    "loader options (every command that reads a dataset):\n"
    "  --format-in F          csv|manifest|folder|idx|npy (default: from the path)\n"
    "  --label-col NAME       label column of a CSV table or manifest (default label)\n"
    "  --id-col NAME          id column (default id, else pandas' unnamed index column or a\n"
    "                         text column distinct in every row; else row numbers 0..N-1)\n"
    "  --features A,B,...     feature columns of a CSV table (default: all other columns;\n"
    "                         the list is CSV, so quote names holding commas)\n"
    "  --missing M            empty cells: error (default), mean or zero\n"
    "  --classes FILE         class names, one per line, in index order (default: sorted)\n"
    "  --idx-labels FILE      labels of an IDX images file (default: the matching\n"
    "                         *-labels-idx1-ubyte[.gz] beside it)\n"
    "  --npy-labels FILE      labels of a .npy feature file (CSV label column or .npy)\n"
    "  --image-size WxH       resize every image to WxH (default: all must agree)\n"
    "  --rgb                  decode images as RGB (default grayscale)\n"
    "  --max-pixels N         refuse images declaring more than N pixels (default 64000000)\n"
    "  --allow-outside-root   let manifest paths leave the manifest's directory\n";

/* Largest side accepted by --image-size (pixels). */
#define LO_MAX_SIDE 1000000L
/* Largest --max-pixels accepted (4 gigapixels; the default is
 * IO_MAX_PIXELS_DEFAULT, which the help text spells out). */
#define LO_MAX_PIXELS_LIMIT 4000000000L

/* "28x28" -> w, h (each 1..LO_MAX_SIDE). 0 or -1. */
static int parse_size(const char *s, int *w, int *h)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X') || errno) return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || errno) return -1;
    if (a < 1 || b < 1 || a > LO_MAX_SIDE || b > LO_MAX_SIDE || s[0] == '-' || s[0] == '+' || t[0] == '-' || t[0] == '+')
        return -1;
    *w = (int)a;
    *h = (int)b;
    return 0;
}

int io_load_opts_handle(io_load_opts *opts, int c, const char *value, const char *cmd)
{
    long v;
    switch (c - IO_OPT_BASE) {
    case 0: opts->label_col = value; return 0;
    case 1: opts->id_col = value; return 0;
    case 2: opts->features = value; return 0;
    case 3:
        if (!strcmp(value, "error")) opts->missing = IO_MISSING_ERROR;
        else if (!strcmp(value, "mean")) opts->missing = IO_MISSING_MEAN;
        else if (!strcmp(value, "zero")) opts->missing = IO_MISSING_ZERO;
        else return cli_usage_error(cmd, "--missing must be error, mean or zero, not '%s'", value);
        return 0;
    case 4: opts->classes_file = value; return 0;
    case 5: opts->idx_labels = value; return 0;
    case 6:
        if (parse_size(value, &opts->image_w, &opts->image_h))
            return cli_usage_error(cmd, "--image-size must be WxH with positive integers (e.g. 28x28), not '%s'", value);
        return 0;
    case 7: opts->channels = 3; return 0;
    case 8:
        if (cli_parse_long(cmd, "--max-pixels", value, 1, LO_MAX_PIXELS_LIMIT, &v)) return LA_EUSAGE;
        opts->max_pixels = v;
        return 0;
    case 9: opts->allow_outside_root = 1; return 0;
    case 10:
        if (io_format_from_name(value, &opts->format))
            return cli_usage_error(cmd, "--format-in must be csv, manifest, folder, idx or npy, not '%s'", value);
        return 0;
    case 11: opts->npy_labels = value; return 0;
    default: return -1;
    }
}

