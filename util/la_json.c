/*
 * la_json.c — the JSON writer of la_json.h.
 */
#include "la_json.h"

#include <stdlib.h>

size_t la_json_flags(la_json_style style)
{
    switch (style) {
    case LA_JSON_EXACT:    return JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    case LA_JSON_READABLE: return JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    case LA_JSON_LINE:     return JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    case LA_JSON_LINE_READABLE: return JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10);
    case LA_JSON_SORTED:   return JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10);
    case LA_JSON_WIRE:     return JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    case LA_JSON_EXPORT:   return JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17);
    }
    return JSON_INDENT(2);
}

char *la_json_text(const json_t *j, la_json_style style)
{
    return j ? json_dumps(j, la_json_flags(style)) : NULL;
}

int la_json_print(const json_t *j, FILE *fp, la_json_style style)
{
    if (!j || json_dumpf(j, fp, la_json_flags(style)) || fputc('\n', fp) == EOF) return -1;
    return 0;
}

int la_json_write_file(const json_t *j, const char *path, la_json_style style, la_error *err)
{
    la_atomic_file af;
    if (la_atomic_open(&af, path, err)) return err->status;
    if (la_json_print(j, af.fp, style)) {
        la_atomic_abort(&af);
        return la_error_set(err, LA_EINTERNAL, path, 0, "cannot write JSON (out of memory or disk full)");
    }
    return la_atomic_commit(&af, err);
}
