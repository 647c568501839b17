/*
 * load_opts_json.c — io_load_opts to and from the JSON the audit records
 * (see load_opts_json.h). The key table below is the one list of recorded
 * options: the writer walks it in order, the reader looks each key up.
 */
#include "load_opts_json.h"
#include "dataset.h"

#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How one recorded option is written and read. */
typedef enum lj_kind {
    LJ_PATH,     /* a file path: written absolute                          */
    LJ_FORMAT,   /* io_format by name; default IO_FORMAT_AUTO              */
    LJ_STRING    /* a string; default given (NULL = written when set)      */
} lj_kind;

typedef struct lj_key {
    const char *key;        /* JSON key                                     */
    lj_kind     kind;
    const char *dflt;       /* LJ_STRING: the default, not written          */
    size_t      field;      /* offsetof the const char * in io_load_opts    */
    size_t      store;      /* offsetof the char * in io_load_opts_strings  */
} lj_key;

#define LJ_STR(key, kind, dflt, f) \
    {key, kind, dflt, offsetof(io_load_opts, f), offsetof(io_load_opts_strings, f)}

/* In the order the audit's summary has always written them. */
static const lj_key lj_keys[] = {
    LJ_STR("classes", LJ_PATH, NULL, classes_file),
    LJ_STR("idx_labels", LJ_PATH, NULL, idx_labels),
    LJ_STR("npy_labels", LJ_PATH, NULL, npy_labels),
    {"format_in", LJ_FORMAT, NULL, 0, 0},
    LJ_STR("label_col", LJ_STRING, "label", label_col),
    LJ_STR("id_col", LJ_STRING, "id", id_col),
    LJ_STR("features", LJ_STRING, NULL, features),
};
#define LJ_N_KEYS (sizeof lj_keys / sizeof lj_keys[0])

static const char **lj_field(io_load_opts *o, const lj_key *k)
{
    return (const char **)(void *)((char *)o + k->field);
}

static const char *lj_field_value(const io_load_opts *o, const lj_key *k)
{
    return *(const char *const *)(const void *)((const char *)o + k->field);
}

static char **lj_store(io_load_opts_strings *s, const lj_key *k)
{
    return (char **)(void *)((char *)s + k->store);
}

/* Sets key to the string s. A string that is not valid UTF-8 cannot be JSON:
 * it is left out (0), as the audit has always done. -1 out of memory. */
static int lj_set_string(json_t *obj, const char *key, const char *s)
{
    size_t len = strlen(s);
    if (la_utf8_check(s, len) != len) return 0;
    return json_object_set_new(obj, key, json_string(s));
}

/* The options that are values, not strings, written after the table's keys
 * and only when not the default: missing (mean|zero), image_size ("WxH"),
 * rgb (true), max_pixels, allow_outside_root (true). -1 out of memory. */
static int lj_values_to_json(const io_load_opts *o, json_t *obj)
{
    static const char *const missing[] = {"error", "mean", "zero"};
    int rc = 0;
    if (o->missing != IO_MISSING_ERROR) rc |= json_object_set_new(obj, "missing", json_string(missing[o->missing]));
    if (o->image_w > 0 && o->image_h > 0) {
        char size[48];
        snprintf(size, sizeof size, "%dx%d", o->image_w, o->image_h);
        rc |= json_object_set_new(obj, "image_size", json_string(size));
    }
    if (o->channels == 3) rc |= json_object_set_new(obj, "rgb", json_true());
    if (o->max_pixels != IO_MAX_PIXELS_DEFAULT) rc |= json_object_set_new(obj, "max_pixels", json_integer(o->max_pixels));
    if (o->allow_outside_root) rc |= json_object_set_new(obj, "allow_outside_root", json_true());
    return rc ? -1 : 0;
}

/* Reads the value options back (absent = default); LA_EUSAGE on a bad one. */
static int lj_values_from_json(const json_t *obj, io_load_opts *out, la_error *err)
{
    const json_t *v;
    if ((v = json_object_get(obj, "missing")) && !json_is_null(v)) {
        const char *m = json_string_value(v);
        if (m && !strcmp(m, "mean")) out->missing = IO_MISSING_MEAN;
        else if (m && !strcmp(m, "zero")) out->missing = IO_MISSING_ZERO;
        else if (!m || strcmp(m, "error"))
            return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader option missing is not error, mean or zero");
    }
    if ((v = json_object_get(obj, "image_size")) && !json_is_null(v)) {
        const char *sz = json_string_value(v);
        int w = 0, h = 0;
        char tail;
        if (!sz || sscanf(sz, "%dx%d%c", &w, &h, &tail) != 2 || w < 1 || h < 1)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader option image_size is not WxH");
        out->image_w = w;
        out->image_h = h;
    }
    if ((v = json_object_get(obj, "rgb")) && json_is_true(v)) out->channels = 3;
    if ((v = json_object_get(obj, "max_pixels")) && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader option max_pixels is not a positive integer");
        out->max_pixels = (long long)json_integer_value(v);
    }
    if ((v = json_object_get(obj, "allow_outside_root")) && json_is_true(v)) out->allow_outside_root = 1;
    return 0;
}

int io_load_opts_to_json(const io_load_opts *opts, json_t *obj)
{
    assert(opts && json_is_object(obj));
    for (size_t i = 0; i < LJ_N_KEYS; i++) {
        const lj_key *k = &lj_keys[i];
        int rc = 0;
        if (k->kind == LJ_FORMAT) {
            if (opts->format != IO_FORMAT_AUTO) rc = lj_set_string(obj, k->key, io_format_name(opts->format));
        } else {
            const char *v = lj_field_value(opts, k);
            if (!v || (k->dflt && !strcmp(v, k->dflt))) continue;
            char *abs = k->kind == LJ_PATH ? realpath(v, NULL) : NULL;
            rc = lj_set_string(obj, k->key, abs ? abs : v);
            free(abs);
        }
        if (rc) return -1;
    }
    return lj_values_to_json(opts, obj);
}

void io_load_opts_strings_free(io_load_opts_strings *store)
{
    if (!store) return;
    for (size_t i = 0; i < LJ_N_KEYS; i++)
        if (lj_keys[i].kind != LJ_FORMAT) free(*lj_store(store, &lj_keys[i]));
    memset(store, 0, sizeof *store);
}

/* Reads one key of obj into out (and a copy into store). */
static int lj_read_key(const json_t *obj, const lj_key *k, io_load_opts *out, io_load_opts_strings *store,
                       la_error *err)
{
    const json_t *v = json_object_get(obj, k->key);
    if (!v || json_is_null(v)) return 0;
    const char *s = json_string_value(v);
    if (!s) return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader option '%s' is not a string", k->key);
    if (k->kind == LJ_FORMAT) {
        if (io_format_from_name(s, &out->format))
            return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader option format_in '%s' is not a format", s);
        return 0;
    }
    char *copy = la_strdup(s);
    if (!copy) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    *lj_store(store, k) = copy;
    *lj_field(out, k) = copy;
    return 0;
}

int io_load_opts_from_json(const json_t *obj, io_load_opts *out, io_load_opts_strings *store, la_error *err)
{
    assert(out && store && err);
    io_load_opts_strings_free(store);
    io_load_opts_init(out);
    if (!obj) return 0;
    if (!json_is_object(obj)) return la_error_set(err, LA_EUSAGE, NULL, 0, "recorded loader options are not an object");
    for (size_t i = 0; i <= LJ_N_KEYS; i++) {
        int rc = i < LJ_N_KEYS ? lj_read_key(obj, &lj_keys[i], out, store, err) : lj_values_from_json(obj, out, err);
        if (rc) {
            io_load_opts_strings_free(store);
            io_load_opts_init(out);
            return rc;
        }
    }
    return 0;
}
