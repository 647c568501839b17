/*
 * cli.h — helpers shared by the subcommands: option parsing conventions,
 * number parsing with clear messages, and turning an la_error into a message
 * and an exit status. Only code under cli/ and the cmd_*.c files print.
 *
 * Every subcommand is `int cmd_NAME(int argc, char **argv)` where argv[0] is
 * the subcommand name; it returns the process exit status (LA_OK, LA_EUSAGE...).
 */
#ifndef LA_CLI_H
#define LA_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include "../util/la_util.h"


/* Prints err as "labelaudit: FILE:LINE: reason" and returns its status
 * (LA_EINTERNAL when the record carries none). */
int cli_report(const la_error *err);

/* Prints "labelaudit CMD: message" and a hint to --help; returns LA_EUSAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reports the getopt_long result `c` ('?' unknown option, ':' missing value)
 * for argv[optind - 1]; returns LA_EUSAGE. Use with an optstring starting ':'. */
int cli_getopt_error(const char *cmd, int c, char **argv);

/* Prepares getopt_long for a fresh parse (optind = 1, opterr = 0). */
void cli_getopt_reset(void);

/* Strict number parsing of option values ("--name" or "name"): the whole string must be a number
 * within [min, max]. On failure prints a usage error naming the option and
 * returns LA_EUSAGE; 0 on success. */
int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out);

/* serve's and review's --next ORDER: rank (*active_learning = 0) or
 * active-learning (1). 0, or LA_EUSAGE after printing the usage error. */
int cli_parse_next_order(const char *cmd, const char *s, int *active_learning);
int cli_parse_double(const char *cmd, const char *opt, const char *s, double min, double max, double *out);

/* Logging for commands: cli_info prints to stderr unless quiet. */
void cli_info(int quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Terminal tables count columns, not bytes: the display width of UTF-8 text
 * (wide East Asian characters 2, combining marks 0), and s written into
 * exactly `width` columns (cut at a character boundary when longer, padded
 * with spaces after it, or before it when right is 1). */
size_t cli_display_width(const char *s);
void   cli_pad(FILE *fp, const char *s, size_t width, int right);

#endif
