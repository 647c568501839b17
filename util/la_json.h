/*
 * la_json.h — the one JSON writer (over jansson): every JSON document
 * labelaudit writes, to a file, a stream or a string, goes through here in one
 * of a few named styles, so the same kind of document is always written the
 * same way. Keys keep their insertion order (jansson >= 2.8 always does).
 */
#ifndef LA_JSON_H
#define LA_JSON_H

#include <jansson.h>
#include <stdio.h>
#include "la_util.h"

typedef enum la_json_style {
    LA_JSON_EXACT,     /* indented, reals with 17 significant digits: numbers
                          that must read back bit for bit (audit summaries) */
    LA_JSON_READABLE,  /* indented, reals with 10 digits: reports, metrics   */
    LA_JSON_LINE,      /* one line, 17 digits: stored in the database        */
    LA_JSON_LINE_READABLE, /* one line, 10 digits: metrics stored in the database */
    LA_JSON_SORTED,    /* indented, keys sorted, 10 digits: options shown to
                          people (the report's run options)                  */
    LA_JSON_WIRE,      /* one line, ASCII only (\u escapes): HTTP answers    */
    LA_JSON_EXPORT     /* indented, ASCII only, 17 digits: files for other
                          tools (decisions export)                           */
} la_json_style;

/* The jansson flags of a style (for json_dump* calls that need them). */
size_t la_json_flags(la_json_style style);

/* j as text in `style`, without a trailing newline. Returns a malloc'd
 * string the caller frees, or NULL when out of memory. */
char *la_json_text(const json_t *j, la_json_style style);

/* Writes j and a newline to fp. 0, or -1 when writing failed. */
int la_json_print(const json_t *j, FILE *fp, la_json_style style);

/* Writes j and a newline to `path` through temp-file-and-rename: the file is
 * either the whole document or left as it was. 0, or a status with err
 * naming the path. */
int la_json_write_file(const json_t *j, const char *path, la_json_style style, la_error *err);

#endif
