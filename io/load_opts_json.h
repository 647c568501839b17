/*
 * load_opts_json.h — the loader options (io_load_opts) as JSON, both ways:
 * the audit records them in its summary's "options" object (and so in the
 * run's options_json in the db), and clean and retrain given --db read them
 * back to load the run's data exactly as the audit loaded it. One writer and
 * one reader beside the struct, so the two key sets cannot drift apart.
 *
 * The keys, in the order written, each only when not the default:
 *   "classes", "idx_labels", "npy_labels"  file paths, made absolute
 *                                          (realpath; as given when that fails)
 *   "format_in"                            io_format_name, when not auto
 *   "label_col"                            when not "label"
 *   "id_col"                               when not "id"
 *   "features"                             when given
 *   "missing"                              "mean" or "zero", when not error
 *   "image_size"                           "WxH", when resizing
 *   "rgb"                                  true, when decoding in colour
 *   "max_pixels"                           when not IO_MAX_PIXELS_DEFAULT
 *   "allow_outside_root"                   true, when given
 * The progress pointer and no_features are not options of the data: never
 * recorded.
 */
#ifndef LA_IO_LOAD_OPTS_JSON_H
#define LA_IO_LOAD_OPTS_JSON_H

#include <jansson.h>
#include "dataset_model.h"

/* Appends the recorded options of opts to the JSON object obj (which may hold
 * other keys: the audit's own options come first). Paths are resolved against
 * the current directory. Returns 0, or -1 when out of memory (obj may then
 * hold some of the keys). */
int io_load_opts_to_json(const io_load_opts *opts, json_t *obj);

/* The strings io_load_opts_from_json points an io_load_opts at: copies, so
 * they outlive the JSON. Zero it before use; free with
 * io_load_opts_strings_free once the options are no longer used. */
typedef struct io_load_opts_strings {
    char *label_col, *id_col, *features;          /* column names / list     */
    char *classes_file, *idx_labels, *npy_labels; /* file paths              */
} io_load_opts_strings;

/* Sets *out to the defaults (io_load_opts_init) and then to the options
 * recorded in obj by io_load_opts_to_json; keys it does not know are ignored
 * (the audit's filter_by, seed, ...) and so is a JSON null. obj NULL = nothing
 * recorded. The string fields of *out point into *store (previous contents of
 * *store are freed). Returns 0, or LA_EUSAGE with err naming the key (a value
 * that is not a string, an unknown format_in) or LA_EINTERNAL (out of memory);
 * on failure *out holds the defaults and *store is empty. */
int io_load_opts_from_json(const json_t *obj, io_load_opts *out, io_load_opts_strings *store, la_error *err);

/* Frees the copies and zeroes *store. Safe on a zeroed struct or NULL. */
void io_load_opts_strings_free(io_load_opts_strings *store);

#endif
