/*
 * cli.c — the command layer's shared helpers: messages, exit statuses and
 * strict option-value parsing. See cli.h.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
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

/* ---- terminal tables: display width of UTF-8 text ------------------------ */

/* Columns a code point takes on a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide and fullwidth forms and most
 * emoji, 1 otherwise (a locale-free subset of wcwidth). */
static int cp_width(uint32_t c)
{
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || (c >= 0xFE00 && c <= 0xFE0F) ||
        (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x20D0 && c <= 0x20FF))
        return 0;
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
        (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD))
        return 2;
    return 1;
}

/* Decodes the code point at s (*len bytes); a bad byte counts as one column. */
static uint32_t utf8_next(const unsigned char *s, size_t *len)
{
    int n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
    uint32_t c = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) n = 0;
        if (!n) break;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (!n) {
        *len = 1;
        return '?';
    }
    *len = (size_t)n;
    return c;
}

size_t cli_display_width(const char *s)
{
    size_t w = 0, len;
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p += len) w += (size_t)cp_width(utf8_next(p, &len));
    return w;
}

void cli_pad(FILE *fp, const char *s, size_t width, int right)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t used = 0, bytes = 0, len;
    while (p[bytes]) {           /* the longest prefix that fits, whole characters only */
        int cw = cp_width(utf8_next(p + bytes, &len));
        if (used + (size_t)cw > width) break;
        used += (size_t)cw;
        bytes += len;
    }
    if (right) fprintf(fp, "%*s", (int)(width - used), "");
    fwrite(p, 1, bytes, fp);
    if (!right) fprintf(fp, "%*s", (int)(width - used), "");
}


int cli_parse_next_order(const char *cmd, const char *s, int *active_learning)
{
    if (strcmp(s, "rank") && strcmp(s, "active-learning"))
        return cli_usage_error(cmd, "--next must be rank or active-learning, not '%s'", s);
    *active_learning = !strcmp(s, "active-learning");
    return 0;
}
