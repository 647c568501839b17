/*
 * cli.c — the command layer's shared helpers: messages, exit statuses and
 * strict option-value parsing. See cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_report(const la_error *err)
{
    la_error_print(err, stderr);
    return err->status ? err->status : LA_EINTERNAL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "labelaudit %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'labelaudit %s --help'.\n", cmd);
    return LA_EUSAGE;
}

int cli_getopt_error(const char *cmd, int c, char **argv)
{
    const char *arg = argv[optind - 1];
    if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", arg);
    if (optopt && optopt < 128 && !(arg && arg[0] == '-' && arg[1] == '-'))
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

void cli_getopt_reset(void)
{
    optind = 1;
    opterr = 0;
    optopt = 0;
}

/* Options are named with or without their leading dashes ("l2" or "--l2"). */
static const char *option_name(const char *opt)
{
    while (*opt == '-') opt++;
    return opt;
}

int cli_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    opt = option_name(opt);
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return cli_usage_error(cmd, "option '--%s' needs a whole number, got '%s'", opt, s);
    if (v < min || v > max)
        return cli_usage_error(cmd, "option '--%s' must be between %ld and %ld, got %ld", opt, min, max, v);
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double min, double max, double *out)
{
    char *end;
    opt = option_name(opt);
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v))
        return cli_usage_error(cmd, "option '--%s' needs a number, got '%s'", opt, s);
    if (v < min || v > max)
        return cli_usage_error(cmd, "option '--%s' must be between %g and %g, got %g", opt, min, max, v);
    *out = v;
    return 0;
}

void cli_info(int quiet, const char *fmt, ...)
{
    if (quiet) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("labelaudit: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
