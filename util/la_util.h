/*
 * la_util.h — the small layer every other module stands on: the error record,
 * checked allocation, temp-file-and-rename output, and the stderr progress bar.
 *
 * Library code never prints or exits. A failing function fills an la_error and
 * returns a non-zero status; only the command layer (cli/) turns the record into
 * "labelaudit: FILE:LINE: reason" and an exit status.
 */
#ifndef LA_UTIL_H
#define LA_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <stdarg.h>

/* The status codes and the error record are the public API's
 * (include/labelaudit.h), so a caller of the library and the code inside
 * share one definition. */
#include "../include/labelaudit.h"

/* The release, as `labelaudit --version` prints it and runs record it. */
#define LA_VERSION LABELAUDIT_VERSION

/* Clears the record (status LA_OK, all fields empty). */
void la_error_clear(la_error *err);

/* Fills the record and returns `status`, so callers can write
 *   return la_error_set(err, LA_EUSAGE, path, line, "expected %d fields", n);
 * `file` may be NULL and `line` 0 when they do not apply. */
int la_error_set(la_error *err, int status, const char *file, long line,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Like la_error_set, also recording a column / field name. */
int la_error_setc(la_error *err, int status, const char *file, long line,
                  const char *column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Writes the record as one line: "labelaudit: FILE:LINE: column 'C': msg\n". */
void la_error_print(const la_error *err, FILE *out);

/* Checked allocation: NULL on failure (never aborts); the caller reports
 * "out of memory" with la_error_set(..., LA_EINTERNAL, ...). n*size overflow
 * is detected and returns NULL. */
void *la_calloc(size_t n, size_t size);
void *la_malloc_array(size_t n, size_t size);
char *la_strdup(const char *s);

/* Allocation for large per-example arrays (N x something): 2 MB aligned, with
 * transparent huge pages when at least 4 MB, which cuts the first-touch page
 * faults that otherwise dominate on virtual machines. Uninitialised; NULL on
 * failure or n*size overflow; release with free(). */
void *la_big_alloc(size_t n, size_t size);

/* Temp-file-and-rename: output is written to "<path>.tmp.<pid>" and only
 * appears under `path` when la_atomic_commit succeeds, so a crash or error never
 * leaves half a file in place of a good one.
 *
 *   la_atomic_file af;
 *   if (la_atomic_open(&af, path, err)) return err->status;
 *   fprintf(af.fp, ...);
 *   return la_atomic_commit(&af, err);   // or la_atomic_abort(&af) on error
 */
typedef struct la_atomic_file {
    FILE *fp;             /* write here                                       */
    char  path[1024];     /* final name                                       */
    char  tmp[1100];      /* temporary name in the same directory             */
} la_atomic_file;

int  la_atomic_open(la_atomic_file *af, const char *path, la_error *err);
int  la_atomic_commit(la_atomic_file *af, la_error *err); /* fflush+fsync+rename */
void la_atomic_abort(la_atomic_file *af);                  /* close and unlink   */
/* Commits n open files together: flush all, fsync all on parallel threads
 * (concurrent fsyncs share journal commits, where one after another each
 * waits for its own), then rename each into place. On a failure every file
 * not yet renamed is aborted. Entries with fp == NULL are skipped. */
int  la_atomic_commit_all(la_atomic_file *afs, size_t n, la_error *err);

/* Creates a directory and its parents (mkdir -p). 0 or an error. */
int la_mkdir_p(const char *path, la_error *err);

/* Joins dir and name into out (size outsz). Returns 0, or -1 if truncated. */
int la_path_join(char *out, size_t outsz, const char *dir, const char *name);

/* Progress bar on stderr, drawn only when stderr is a terminal and not quiet.
 * Updates are rate-limited, so calling la_progress_update per item is cheap. */
typedef struct la_progress {
    const char *label;    /* shown before the bar                              */
    long long   total;    /* 0 = unknown                                       */
    long long   done;
    double      last_draw;/* monotonic seconds of the last redraw              */
    int         enabled;  /* stderr is a tty and not --quiet                   */
} la_progress;

void la_progress_start(la_progress *pg, const char *label, long long total, int quiet);
void la_progress_update(la_progress *pg, long long done);
void la_progress_finish(la_progress *pg);

/* Monotonic clock in seconds (for benchmarks and progress). */
double la_now(void);

/* Number of online CPUs (at least 1). */
int la_num_cpus(void);

/* Checks s[0..n) is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF: what jansson accepts, so names that pass can go into JSON).
 * Returns n when valid, else the offset of the first bad byte. */
size_t la_utf8_check(const char *s, size_t n);

/* Writes x as printf("%.17g") does, NUL-terminated, into out (at least 32
 * bytes); returns the length. Several times faster than printf for the
 * common case 1e-4 <= x < 1 (scores and probabilities), which is converted
 * exactly with 128-bit integers; anything else goes through snprintf. */
int la_fmt_g17(double x, char *out);

#endif /* LA_UTIL_H */
