/*
 * au_shards.c — sharded probability inputs (audit.h): `--pred-probs
 * 'DIR/part*.npy'` (a glob expanded here with glob(3), sorted byte-wise) or a
 * comma-separated list of .npy files, read as the matrix they make when
 * concatenated in that order. Only the headers are read here; the streamed
 * reader (au_source.c) opens one shard at a time. Never prints.
 */
#include "audit.h"
#include "../io/npy.h"

#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int au_shards_is_spec(const char *spec)
{
    struct stat st;
    if (!spec || !strpbrk(spec, "*?[,")) return 0;
    return stat(spec, &st) != 0;   /* a file named like a pattern is that file */
}

static int au_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int au_shards_glob(const char *spec, char ***paths, size_t *n, la_error *err)
{
    glob_t g;
    int grc = glob(spec, GLOB_NOSORT, NULL, &g);
    if (grc == GLOB_NOMATCH || (grc == 0 && g.gl_pathc == 0)) {
        if (grc == 0) globfree(&g);
        return la_error_set(err, LA_EUSAGE, spec, 0, "the pattern matches no file (quote it so the program, not "
                            "the shell, expands it; shards are .npy files concatenated in byte-wise name order)");
    }
    if (grc) return la_error_set(err, LA_EUSAGE, spec, 0, "cannot expand the pattern (glob error %d)", grc);
    char **v = la_calloc(g.gl_pathc, sizeof *v);
    int rc = v ? 0 : la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    for (size_t i = 0; !rc && i < g.gl_pathc; i++)
        if (!(v[i] = la_strdup(g.gl_pathv[i]))) rc = la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    size_t m = g.gl_pathc;
    globfree(&g);
    if (rc) { io_free_strings(v, v ? m : 0); return rc; }
    qsort(v, m, sizeof *v, au_cmp_str);   /* byte-wise, whatever the locale */
    *paths = v;
    *n = m;
    return 0;
}

static int au_shards_list(const char *spec, char ***paths, size_t *n, la_error *err)
{
    size_t m = 1;
    for (const char *p = spec; *p; p++) m += *p == ',';
    char **v = la_calloc(m, sizeof *v);
    if (!v) return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    const char *p = spec;
    for (size_t i = 0; i < m; i++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0) {
            io_free_strings(v, m);
            return la_error_set(err, LA_EUSAGE, spec, 0, "entry %zu of the comma-separated file list is empty", i + 1);
        }
        if (!(v[i] = malloc(len + 1))) {
            io_free_strings(v, m);
            return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
        }
        memcpy(v[i], p, len);
        v[i][len] = '\0';
        p = e ? e + 1 : p + len;
    }
    *paths = v;
    *n = m;
    return 0;
}

int au_shards_paths(const char *spec, char ***paths, size_t *n, la_error *err)
{
    *paths = NULL;
    *n = 0;
    return strpbrk(spec, "*?[") ? au_shards_glob(spec, paths, n, err) : au_shards_list(spec, paths, n, err);
}

/* The element size np.concatenate would give (see au_shards in audit.h);
 * float32 with an integer shard is refused: numpy's result type then
 * depends on the integer width, which this reader does not follow. */
static int au_shards_elem(au_shards *sh, const io_dtype *dt, la_error *err)
{
    int f32 = 0, f64 = 0, other = -1;
    for (size_t s = 0; s < sh->n; s++) {
        if (dt[s] == IO_DT_F32) f32 = 1;
        else if (dt[s] == IO_DT_F64) f64 = 1;
        else if (dt[s] != IO_DT_F16 && other < 0) other = (int)s;
    }
    if (f32 && other >= 0)
        return la_error_set(err, LA_EUSAGE, sh->paths[other], 0, "this shard holds integers while other shards "
                            "are float32: give every shard as float32 or float64");
    sh->elem = f32 && !f64 ? 4 : 8;
    return 0;
}

int au_shards_open(const char *spec, au_shards *sh, la_error *err)
{
    memset(sh, 0, sizeof *sh);
    int rc = au_shards_paths(spec, &sh->paths, &sh->n, err);
    if (rc) return rc;
    io_dtype *dt = la_calloc(sh->n, sizeof *dt);
    if (!dt || !(sh->start = la_calloc(sh->n + 1, sizeof *sh->start))) {
        free(dt);
        return la_error_set(err, LA_EINTERNAL, NULL, 0, "out of memory");
    }
    for (size_t s = 0; !rc && s < sh->n; s++) {
        io_npy f;
        if ((rc = io_npy_open(&f, sh->paths[s], err))) break;
        if (f.ndim != 2)
            rc = la_error_set(err, LA_EUSAGE, sh->paths[s], 0, "pred_probs must be 2-D (N x K), found a 1-D array");
        else if (s > 0 && f.cols != sh->k)
            rc = la_error_set(err, LA_EUSAGE, sh->paths[s], 0, "this shard has %zu columns but %s has %zu (every "
                              "shard of %s must have the same K)", f.cols, sh->paths[0], sh->k, spec);
        sh->k = f.cols;
        dt[s] = f.dtype;
        sh->start[s + 1] = sh->start[s] + f.rows;
        io_npy_close(&f);
    }
    if (!rc) rc = au_shards_elem(sh, dt, err);
    free(dt);
    return rc;
}

void au_shards_free(au_shards *sh)
{
    if (!sh) return;
    io_free_strings(sh->paths, sh->n);
    free(sh->start);
    memset(sh, 0, sizeof *sh);
}
