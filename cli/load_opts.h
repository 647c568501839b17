/*
 * load_opts.h — the loader options on the command line: the long options every
 * command that reads a dataset accepts, their help text, and the parser that
 * fills an io_load_opts from them (with usage errors naming the command).
 * Command layer only: the loaders themselves take a filled io_load_opts.
 */
#ifndef LA_CLI_LOAD_OPTS_H
#define LA_CLI_LOAD_OPTS_H

#include <getopt.h>
#include "../io/dataset.h"

/* Loader options on the command line: commands put IO_LOAD_LONG_OPTIONS in
 * their own struct option array (it expands to the entries, no terminator):
 *
 *   static const struct option longopts[] = {
 *       {"format", required_argument, 0, 'f'}, IO_LOAD_LONG_OPTIONS, {0, 0, 0, 0}};
 *   ...
 *   default: if (c >= IO_OPT_BASE && c < IO_OPT_BASE + 64) {
 *                if (io_load_opts_handle(&lo, c, optarg, "inspect")) return LA_EUSAGE;
 *            }
 *
 * and print io_load_opts_help in their --help. io_load_long_options is the same
 * list with a terminator. */
#define IO_OPT_BASE 1000
#define IO_LOAD_LONG_OPTIONS \
    {"label-col",          required_argument, 0, IO_OPT_BASE + 0},  \
    {"id-col",             required_argument, 0, IO_OPT_BASE + 1},  \
    {"features",           required_argument, 0, IO_OPT_BASE + 2},  \
    {"missing",            required_argument, 0, IO_OPT_BASE + 3},  \
    {"classes",            required_argument, 0, IO_OPT_BASE + 4},  \
    {"idx-labels",         required_argument, 0, IO_OPT_BASE + 5},  \
    {"image-size",         required_argument, 0, IO_OPT_BASE + 6},  \
    {"rgb",                no_argument,       0, IO_OPT_BASE + 7},  \
    {"max-pixels",         required_argument, 0, IO_OPT_BASE + 8},  \
    {"allow-outside-root", no_argument,       0, IO_OPT_BASE + 9},  \
    {"format-in",          required_argument, 0, IO_OPT_BASE + 10}, \
    {"npy-labels",         required_argument, 0, IO_OPT_BASE + 11}
#define IO_LOAD_N_OPTIONS 12                      /* entries in the macro     */

/* Returns 0 when c was a loader option and its value is good, LA_EUSAGE after
 * printing a usage error (bad value), -1 when c is not a loader option. */
int io_load_opts_handle(io_load_opts *opts, int c, const char *value, const char *cmd);
extern const struct option io_load_long_options[]; /* terminated by {0} */
extern const char io_load_opts_help[];            /* help text lines      */

#endif
